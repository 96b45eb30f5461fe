/*
 * logparse -- turn HTTP access log lines into httpmon hit records.
 *
 * Reads Common Log Format, Combined Log Format and a quoted CSV export,
 * detected line by line unless -f forces one.  The line parsers live in
 * common/logline.c (shared with the fuzz targets); this file is the
 * filter around them: input, pass-through of comments and (with -T)
 * logtail's ticks, the time guard (common/timeguard.c), output.
 *
 * Ticks are out of band: with -T a line whose first byte is TICK_MARK
 * (0x1e) is logtail's, either a tick (TICK_MARK "tick" TAB TIME) or a
 * log line that began with that byte, which logtail doubled.  Without
 * -T every line is a log line, so no log line can be taken for a tick.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <err.h>

#include "httpmon.h"
#include "logline.h"

#define OUT_BUFSIZE	(64 * 1024)

struct logparse {
	enum log_format	 fmt;
	int		 quiet;
	int		 ticks;		/* -T: the input is logtail --ticks */
	struct timeguard guard;
	struct out	 out;
	struct badinput	 bad;
	int64_t		 last_time;	/* the time of the last hit written */
	char		 time_text[24];	/* it in decimal, after its TAB */
	size_t		 time_len;	/* 0 before the first hit */
};

/* usage -- the synopsis: on stdout for -h, on stderr for a bad call */
static _Noreturn void
usage(int status)
{
	fprintf(status == EXIT_OK ? stdout : stderr, "usage: %s [-ahlqTV] "
	    "[-f format] [file ...]\n", getprogname());
	exit(status);
}

/* out_span -- a field, "-" if the log left it empty; escaped unless clean */
static void
out_span(struct out *o, const struct span *s, int clean)
{
	if (s->n == 0)
		out_clean_field(o, "-", 1);
	else if (clean)
		out_clean_field(o, s->p, s->n);
	else
		out_field(o, s->p, s->n);
}

/* out_num -- a TAB and a number */
static void
out_num(struct out *o, int64_t v)
{
	out_char(o, '\t');
	out_int(o, v);
}

/*
 * out_time -- a TAB and the time of a hit: most hits have the time of
 * the one before, whose digits are kept.
 */
static void
out_time(struct logparse *lp, int64_t t)
{
	char *end = lp->time_text + sizeof(lp->time_text), *p = end;
	int64_t v = t;

	if (lp->time_len == 0 || t != lp->last_time) {
		do {			/* times are never negative */
			*--p = (char)('0' + v % 10);
			v /= 10;
		} while (v != 0);
		*--p = '\t';
		lp->time_len = (size_t)(end - p);
		memmove(lp->time_text, p, lp->time_len);
		lp->last_time = t;
	}
	out_write(&lp->out, lp->time_text, lp->time_len);
}

/*
 * emit_hit -- decode the quoted fields in place and write the record.
 * clean: the line held no control byte and no backslash, so decoding
 * cannot make one and no field needs escaping (the common case).
 */
static void
emit_hit(struct logparse *lp, struct loghit *h, int clean)
{
	struct out *o = &lp->out;

	logline_decode(h);
	out_str(o, "hit");
	out_time(lp, h->time);
	out_span(o, &h->host, clean);
	out_span(o, &h->user, clean);
	out_span(o, &h->method, clean);
	out_span(o, &h->path, clean);
	out_span(o, &h->section, clean);
	out_num(o, h->status);
	out_num(o, h->bytes);
	out_span(o, &h->referer, clean);
	out_span(o, &h->agent, clean);
	out_end(o);
}

/* emit_bad -- count a bad line, warn about it, and write a bad record */
static void
emit_bad(struct logparse *lp, size_t lineno, const char *why,
    const char *line, size_t len)
{
	bad_report(&lp->bad, lineno, why, line, len);
	out_str(&lp->out, "bad");
	out_num(&lp->out, (int64_t)lineno);
	out_field(&lp->out, why, strlen(why));
	out_end(&lp->out);
}

/*
 * put_tick -- TICK_MARK "tick" TAB TIME from logtail -T: a tick record,
 * which moves the guard's front; anything else marked is bad, lest raw
 * bytes reach the record stream.
 */
static void
put_tick(struct logparse *lp, const char *line, size_t len, size_t lineno)
{
	int64_t t;

	if (len < 6 || memcmp(line + 1, "tick\t", 5) != 0 ||
	    parse_int64(line + 6, len - 6, 0, TIME_MAX, &t) != 0) {
		emit_bad(lp, lineno, "bad tick record", line, len);
		return;
	}
	tg_front(&lp->guard, t);
	out_write(&lp->out, line + 1, len - 1);
	out_end(&lp->out);
}

/* held_pass -- a held line whose time jump was confirmed: parsed again */
static void
held_pass(void *ctx, char *line, size_t len, size_t lineno, int64_t aux,
    int64_t t)
{
	struct logparse *lp = ctx;
	struct loghit h;

	(void)aux;
	(void)t;
	if (logline_parse(line, len, lp->fmt, &h) == NULL)
		emit_hit(lp, &h, out_clean_len(line, len) == len);
	else	/* cannot be: it was parsed once */
		emit_bad(lp, lineno, "unreadable line", line, len);
}

/* held_reject -- a held line whose time jump was not confirmed */
static void
held_reject(void *ctx, const char *why, char *line, size_t len,
    size_t lineno, int64_t aux)
{
	(void)aux;
	emit_bad(ctx, lineno, why, line, len);
}

/*
 * handle_line -- one input line: pass a comment or (-T) a tick through,
 * otherwise parse it as a log line and, if the time guard lets it pass,
 * write a hit record; a bad record if it is not read or not let pass.
 */
static void
handle_line(void *ctx, char *line, size_t len, size_t lineno)
{
	struct logparse *lp = ctx;
	struct loghit h;
	const char *why;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 0)
		return;
	if (line[0] == '#') {
		/* Our own header is written once, at the start. */
		if (len >= sizeof(RECORDS_HEADER) - 1 &&
		    memcmp(line, RECORDS_HEADER, sizeof(RECORDS_HEADER) - 1) == 0)
			return;
		/* Escaped like any field: a comment comes from the log too. */
		out_escaped(&lp->out, line, len);
		out_end(&lp->out);
		return;
	}
	if (lp->ticks && line[0] == TICK_MARK) {
		if (len < 2 || line[1] != TICK_MARK) {
			put_tick(lp, line, len, lineno);
			return;
		}
		line++;		/* a log line's own first byte, doubled */
		len--;
	}
	why = logline_parse(line, len, lp->fmt, &h);
	if (why == LOGLINE_SKIP)
		return;
	if (why != NULL) {
		emit_bad(lp, lineno, why, line, len);
		return;
	}
	switch (tg_admit(&lp->guard, h.time, line, len, lineno, 0)) {
	case TG_PASS:
		emit_hit(lp, &h, out_clean_len(line, len) == len);
		break;
	case TG_HELD:
		break;
	case TG_FUTURE:
		emit_bad(lp, lineno, "time in the future", line, len);
		break;
	}
}

/* too_long -- an over-long line is bad like any other: a bad record */
static void
too_long(void *ctx, size_t lineno)
{
	emit_bad(ctx, lineno, "line too long", NULL, 0);
}

/* run -- parse one input, to its end or a stop signal */
static int
run(void *ctx, int fd, const char *name)
{
	static const struct lr_calls calls = {
		.line = handle_line, .toolong = too_long
	};
	struct logparse *lp = ctx;
	int rval;

	bad_init(&lp->bad, "line", name);
	if (lp->quiet)
		lp->bad.limit = 0;
	rval = lr_each(fd, name, &lp->out, &lp->bad, &calls, lp);
	tg_finish(&lp->guard);
	bad_summary(&lp->bad);
	return rval;
}

/* format_of -- the -f argument, or exit with usage status */
static enum log_format
format_of(const char *s)
{
	static const struct {
		const char	*name;
		enum log_format	 fmt;
	} names[] = {
		{ "auto", LOG_AUTO }, { "clf", LOG_CLF },
		{ "combined", LOG_COMBINED }, { "csv", LOG_CSV },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i].name) == 0)
			return names[i].fmt;
	warnx("-f %s: unknown format (auto, clf, combined or csv)", s);
	usage(EXIT_USAGE);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "any-time", no_argument, NULL, 'a' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "live", no_argument, NULL, 'l' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "ticks", no_argument, NULL, 'T' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct tg_calls guard_calls = {
		.pass = held_pass, .reject = held_reject
	};
	struct logparse lp;
	int ch, rval, live = 0, anytime = 0;

	memset(&lp, 0, sizeof(lp));
	while ((ch = getopt_long(argc, argv, "af:hlqTV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			anytime = 1;
			break;
		case 'f':
			lp.fmt = format_of(optarg);
			break;
		case 'l':
			live = 1;
			break;
		case 'q':
			lp.quiet = 1;
			break;
		case 'T':
			lp.ticks = 1;
			break;
		default:
			std_option(ch, usage);
		}
	}
	argc -= optind;
	argv += optind;

	tg_init(&lp.guard, live ? TG_FUTURE_MAX : -1, &guard_calls, &lp);
	lp.guard.off = anytime;
	catch_stop_signals();
	out_init(&lp.out, STDOUT_FILENO, OUT_BUFSIZE);
	out_str(&lp.out, RECORDS_HEADER "\n");
	rval = each_input(argc, argv, "stdin", run, &lp);
	out_finish(&lp.out);
	tg_free(&lp.guard);
	return rval;
}
