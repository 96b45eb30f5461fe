/*
 * logshow -- render the merged record stream of logalert and logstats as
 * text for a person at a terminal.
 *
 * Alert and recover records print their message; a stats record and the
 * section and method records after it (one block from logstats) print as
 * a short group of lines.  Every field is unescaped and then passed
 * through strvisx(3), so no control byte or escape sequence from a log
 * line ever reaches the terminal raw.  Output is flushed after each group
 * and whenever the next read could block.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <err.h>
#include <vis.h>

#include "httpmon.h"

#define OUT_BUFSIZE	(64 * 1024)
#define WRAP_COLUMN	78
#define VIS_FLAGS	(VIS_CSTYLE | VIS_TAB | VIS_NL | VIS_OCTAL)

/* What the lines printed so far leave open. */
enum group { G_NONE, G_STATS, G_SECTIONS, G_METHODS };

struct show {
	int		 raw;		/* -r: pass records through */
	enum group	 group;		/* the open stats group, if any */
	size_t		 column;	/* on the open "methods:" line */
	int		 marked;	/* clock records seen: they end groups */
	char		*vis;		/* strvisx output buffer */
	size_t		 viscap;
	struct out	 out;
	struct badinput	 bad;
};

/* usage -- the synopsis: on stdout for -h, on stderr for a bad call */
static _Noreturn void
usage(int status)
{
	fprintf(status == EXIT_OK ? stdout : stderr, "usage: %s [-hrV] "
	    "[file ...]\n", getprogname());
	exit(status);
}

/*
 * safe -- field i of r unescaped, then made safe for a terminal (C-style
 * escapes for control bytes, octal for the rest); valid until next call.
 */
static const char *
safe(struct show *sh, struct record *r, int i)
{
	size_t len = rec_unescape(r->field[i], r->len[i]), need;

	r->len[i] = len;
	need = len * 4 + 1;
	if (need > sh->viscap) {
		free(sh->vis);
		if ((sh->vis = malloc(need)) == NULL)
			err(EXIT_FAIL, "malloc");
		sh->viscap = need;
	}
	strvisx(sh->vis, r->field[i], len, VIS_FLAGS);
	return sh->vis;
}

/* out_label -- a label, then a number */
static void
out_label(struct out *o, const char *label, int64_t v)
{
	out_str(o, label);
	out_int(o, v);
}

/* end_group -- finish the open stats group's last line and flush */
static void
end_group(struct show *sh)
{
	if (sh->group == G_METHODS)
		out_end(&sh->out);
	sh->group = G_NONE;
	out_flush(&sh->out);
}

/* show_alert -- an alert or recover record: its message, as is */
static int
show_alert(struct show *sh, struct record *r)
{
	if (r->truncated)
		return -1;
	end_group(sh);
	out_str(&sh->out, safe(sh, r, ALERT_MESSAGE));
	out_end(&sh->out);
	out_flush(&sh->out);
	return 0;
}

/*
 * show_stats -- the head of a group:
 *   [2019-02-07T21:11:10Z] last 10s: 123 hits (12.30/s), 45.6 KiB
 *     total 4567 hits, 1.2 MiB | hosts 4 | late 0 | bad 0
 *     other sections 12  other methods 1	(only if any were folded)
 *     status 2xx 120  3xx 0  4xx 2  5xx 1  other 0
 */
static int
show_stats(struct show *sh, struct record *r)
{
	int64_t v[STATS_NFIELDS];
	char when[32], b1[32], b2[32];
	struct out *o = &sh->out;

	if (rec_numbers(r, v, STATS_NFIELDS) == -1 ||
	    !span_valid(v[STATS_END], v[STATS_INTERVAL]))
		return -1;
	end_group(sh);
	fmt_rfc3339(when, sizeof(when), v[STATS_END]);
	fmt_bytes(b1, sizeof(b1), v[STATS_BYTES]);
	fmt_bytes(b2, sizeof(b2), v[STATS_TOTAL_BYTES]);
	out_char(o, '[');
	out_str(o, when);
	out_label(o, "] last ", v[STATS_INTERVAL]);
	out_label(o, "s: ", v[STATS_HITS]);
	out_str(o, v[STATS_HITS] == 1 ? " hit (" : " hits (");
	out_str(o, safe(sh, r, STATS_RATE));
	out_str(o, "/s), ");
	out_str(o, b1);
	out_label(o, "\n  total ", v[STATS_TOTAL_HITS]);
	out_str(o, v[STATS_TOTAL_HITS] == 1 ? " hit, " : " hits, ");
	out_str(o, b2);
	/* An estimate (past logstats' cap on exact hosts) says so: "~". */
	out_label(o, v[STATS_HOSTS_APPROX] ? " | hosts ~" : " | hosts ",
	    v[STATS_HOSTS]);
	out_label(o, " | late ", v[STATS_LATE]);
	out_label(o, " | bad ", v[STATS_BAD]);
	/* Hits of keys past logstats' caps, in no section or method line. */
	if (v[STATS_FOLDED] > 0)
		out_label(o, "\n  other sections ", v[STATS_FOLDED]);
	if (v[STATS_FOLDED_METHODS] > 0)
		out_label(o, v[STATS_FOLDED] > 0 ? "  other methods " :
		    "\n  other methods ", v[STATS_FOLDED_METHODS]);
	out_label(o, "\n  status 2xx ", v[STATS_2XX]);
	out_label(o, "  3xx ", v[STATS_3XX]);
	out_label(o, "  4xx ", v[STATS_4XX]);
	out_label(o, "  5xx ", v[STATS_5XX]);
	out_label(o, "  other ", v[STATS_OTHER]);
	out_end(o);
	sh->group = G_STATS;
	return 0;
}

/*
 * show_section -- one of the top sections:
 *     1. /api                 100 hits, 45.6 KiB (4xx 1, 5xx 0)
 */
static int
show_section(struct show *sh, struct record *r)
{
	int64_t v[SECTION_NFIELDS];
	char b[32], num[64];
	struct out *o = &sh->out;
	const char *name;
	size_t len;

	if (rec_numbers(r, v, SECTION_NFIELDS) == -1)
		return -1;
	if (sh->group == G_METHODS)
		end_group(sh);
	if (sh->group != G_SECTIONS)
		out_str(o, "  top sections:\n");
	sh->group = G_SECTIONS;
	name = safe(sh, r, SECTION_NAME);
	len = strlen(name);
	snprintf(num, sizeof(num), "  %3lld. ", (long long)v[SECTION_RANK]);
	out_str(o, num);
	out_str(o, name);
	/* Pad short names so that the counts line up. */
	for (; len < 20; len++)
		out_char(o, ' ');
	fmt_bytes(b, sizeof(b), v[SECTION_BYTES]);
	snprintf(num, sizeof(num), " %6lld hit%s, ", (long long)v[SECTION_HITS],
	    v[SECTION_HITS] == 1 ? "" : "s");
	out_str(o, num);
	out_str(o, b);
	out_label(o, " (4xx ", v[SECTION_4XX]);
	out_label(o, ", 5xx ", v[SECTION_5XX]);
	out_str(o, ")\n");
	return 0;
}

/* show_method -- "  methods: GET 120  POST 3", wrapped before column 78 */
static int
show_method(struct show *sh, struct record *r)
{
	int64_t v[METHOD_NFIELDS];
	struct out *o = &sh->out;
	const char *name;
	char num[24];
	size_t len;

	if (rec_numbers(r, v, METHOD_NFIELDS) == -1)
		return -1;
	name = safe(sh, r, METHOD_NAME);
	snprintf(num, sizeof(num), "%lld", (long long)v[METHOD_HITS]);
	len = strlen(name) + 2 + strlen(num);
	if (sh->group != G_METHODS) {
		out_str(o, "  methods:");
		sh->column = 10;
	} else if (sh->column + 1 + len > WRAP_COLUMN) {
		out_str(o, "\n          ");
		sh->column = 10;
	} else {
		out_char(o, ' ');
		sh->column++;
	}
	out_char(o, ' ');
	out_str(o, name);
	out_char(o, ' ');
	out_str(o, num);
	sh->column += len;
	sh->group = G_METHODS;
	return 0;
}

/* render -- show one record line; -1 if it is malformed */
static int
render(struct show *sh, char *line, size_t len)
{
	struct record r;

	if (rec_split(line, len, &r) == -1)
		return -1;
	switch (r.type) {
	case REC_COMMENT:
	case REC_HIT:
	case REC_CLOCK:
		/* logjoin -c: an epoch is whole; groups end here, not at idle */
		sh->marked = 1;
		end_group(sh);
		return 0;
	case REC_TICK:
	case REC_BAD:
	case REC_WINDOW:
	case REC_SECOND:
	case REC_SERVER:
		return 0;
	case REC_ALERT:
	case REC_RECOVER:
		return show_alert(sh, &r);
	case REC_STATS:
		return show_stats(sh, &r);
	case REC_SECTION:
		return show_section(sh, &r);
	case REC_METHOD:
		return show_method(sh, &r);
	default:
		return -1;
	}
}

/* handle_line -- one line: as is with -r, else rendered */
static void
handle_line(void *ctx, char *line, size_t len, size_t lineno)
{
	struct show *sh = ctx;

	if (sh->raw) {
		out_write(&sh->out, line, len);
		out_end(&sh->out);
	} else if (render(sh, line, len) == -1) {
		rec_unsplit(line, len);
		bad_report(&sh->bad, lineno, "malformed record", line, len);
	}
}

/*
 * idle -- input would block: a block is never left half shown.  In a
 * stream with clock records (logjoin -c) they end the groups instead, so
 * that the text does not depend on how the input was cut into reads.
 */
static void
idle(void *ctx, int fd)
{
	struct show *sh = ctx;

	(void)fd;
	if (!sh->marked)
		end_group(sh);
}

/*
 * run -- render the records of fd.  A group ends at the next record that
 * is not part of it, at end of input, or when the input would block.
 */
static int
run(void *ctx, int fd, const char *name)
{
	static const struct lr_calls calls = {
		.line = handle_line, .idle = idle
	};
	struct show *sh = ctx;
	int rval;

	bad_init(&sh->bad, "record", name);
	rval = lr_each(fd, name, &sh->out, &sh->bad, &calls, sh);
	end_group(sh);
	bad_summary(&sh->bad);
	return rval;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help",	no_argument,	NULL, 'h' },
		{ "raw",	no_argument,	NULL, 'r' },
		{ "version",	no_argument,	NULL, 'V' },
		{ NULL,		0,		NULL, 0 }
	};
	struct show sh;
	int ch, rval;

	memset(&sh, 0, sizeof(sh));
	while ((ch = getopt_long(argc, argv, "hrV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			sh.raw = 1;
			break;
		default:
			std_option(ch, usage);
		}
	}
	argc -= optind;
	argv += optind;
	catch_stop_signals();
	out_init(&sh.out, STDOUT_FILENO, OUT_BUFSIZE);
	rval = each_input(argc, argv, "stdin", run, &sh);
	free(sh.vis);
	out_finish(&sh.out);
	return rval;
}
