/*
 * logjson -- httpmon records to JSON Lines: one JSON object per record.
 *
 * A record becomes {"type":"alert","time":104,"hits":6,...}: the keys
 * are the names of the record type's fields in httpmon-records(5), in
 * order (record.c's table); the fields that hold numbers are written as
 * JSON numbers, the others as strings, and fields after those the table
 * names are left out.  A string field is first unescaped from the record
 * format, then written as a JSON string: '"', '\' and every control byte
 * escaped (\" \\ \b \f \n \r \t, others \u00XX, DEL too), valid UTF-8
 * unchanged but for the characters a terminal acts on (utf8_unsafe), as
 * \uXXXX, and each byte that does not start a valid UTF-8 sequence
 * replaced by U+FFFD (written \ufffd), so that the output is always
 * valid UTF-8 and valid JSON whatever the log held.
 *
 * Comments are dropped.  A record of an unknown type, with too few
 * fields or a number field that is not a number is bad input:
 * counted, the first ones reported, not written.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <err.h>

#include "httpmon.h"

#define OUT_BUFSIZE	(64 * 1024)

struct conv {
	struct out	 out;
	struct badinput	 bad;
	char		 why[64];	/* the reason a record is bad */
};

/* usage -- the synopsis: on stdout for -h, on stderr for a bad call */
static _Noreturn void
usage(int status)
{
	fprintf(status == EXIT_OK ? stdout : stderr, "usage: %s [-hV] "
	    "[file ...]\n", getprogname());
	exit(status);
}

/*
 * is_number -- s[0..n) is -?DIGITS(.DIGITS)?; *skip is set to the number
 * of redundant leading zeros, which JSON does not allow ("007" is 7).
 */
static int
is_number(const char *s, size_t n, size_t *skip)
{
	size_t i = 0, start, dot = 0;

	if (n > 0 && s[0] == '-')
		i++;
	start = i;
	for (; i < n; i++) {
		if (s[i] == '.' && dot == 0 && i > start && i + 1 < n)
			dot = i;
		else if (s[i] < '0' || s[i] > '9')
			return 0;
	}
	if (i == start)
		return 0;
	*skip = 0;
	while (start + *skip + 1 < (dot ? dot : n) && s[start + *skip] == '0')
		(*skip)++;
	return 1;
}

/* put_number -- a number field, its redundant leading zeros dropped */
static void
put_number(struct out *o, const char *s, size_t n, size_t skip)
{
	if (s[0] == '-') {
		out_char(o, '-');
		s++;
		n--;
	}
	out_write(o, s + skip, n - skip);
}

/* put_u -- code point u as a JSON \\u escape (a surrogate pair above U+FFFF) */
static void
put_u(struct out *o, uint32_t u)
{
	static const char hex[] = "0123456789abcdef";
	char esc[6] = { '\\', 'u' };
	int k;

	if (u > 0xffff) {
		put_u(o, 0xd800 + ((u - 0x10000) >> 10));
		u = 0xdc00 + ((u - 0x10000) & 0x3ff);
	}
	for (k = 0; k < 4; k++)
		esc[2 + k] = hex[(u >> (12 - 4 * k)) & 0xf];
	out_write(o, esc, 6);
}

/*
 * put_string -- s[0..n) as a JSON string (see the comment at the top):
 * a character a terminal would act on (utf8_unsafe: C1 controls, bidi
 * and format characters) as its \\u escape, so that the JSON read by a
 * person is as safe as the text.
 */
static void
put_string(struct out *o, const char *s, size_t n)
{
	size_t i = 0, run = 0, len, adv;
	unsigned char c;

	out_char(o, '"');
	while (i < n) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			i++;
			continue;
		}
		if (c >= 0x80 && (len = utf8_safe_seqlen(s + i, n - i)) > 0) {
			i += len;
			continue;
		}
		out_write(o, s + run, i - run);
		adv = 1;
		switch (c) {
		case '"': out_write(o, "\\\"", 2); break;
		case '\\': out_write(o, "\\\\", 2); break;
		case '\b': out_write(o, "\\b", 2); break;
		case '\f': out_write(o, "\\f", 2); break;
		case '\n': out_write(o, "\\n", 2); break;
		case '\r': out_write(o, "\\r", 2); break;
		case '\t': out_write(o, "\\t", 2); break;
		default:
			if (c < 0x80)
				put_u(o, c);
			else if ((len = utf8_seqlen(s + i, n - i)) > 0) {
				put_u(o, utf8_code(s + i, len));
				adv = len;
			} else
				out_write(o, "\\ufffd", 6);
			break;
		}
		i += adv;
		run = i;
	}
	out_write(o, s + run, n - run);
	out_char(o, '"');
}

/* check -- why record r cannot be converted, or NULL */
static const char *
check(struct conv *c, const struct record *r)
{
	const struct rec_schema *t = &rec_schema[r->type];
	size_t skip;
	int i;

	if (r->truncated) {
		snprintf(c->why, sizeof(c->why), "%s: %d fields, not %d",
		    t->name, r->nfields, t->nfields);
		return c->why;
	}
	for (i = 1; i < t->nfields; i++)
		if (t->field[i].kind != FIELD_TEXT && !is_number(r->field[i],
		    r->len[i], &skip)) {
			snprintf(c->why, sizeof(c->why), "%s: %s is not a "
			    "number", t->name, t->field[i].name);
			return c->why;
		}
	return NULL;
}

/*
 * convert -- one record as one JSON object on one line: the fields the
 * schema names, not those a newer writer appended
 */
static void
convert(struct conv *c, struct record *r)
{
	const struct rec_schema *t = &rec_schema[r->type];
	size_t skip, len;
	int i;

	out_str(&c->out, "{\"type\":\"");
	out_str(&c->out, t->name);
	out_char(&c->out, '"');
	for (i = 1; i < t->nfields; i++) {
		out_str(&c->out, ",\"");
		out_str(&c->out, t->field[i].name);
		out_str(&c->out, "\":");
		if (t->field[i].kind != FIELD_TEXT) {
			is_number(r->field[i], r->len[i], &skip);
			put_number(&c->out, r->field[i], r->len[i], skip);
		} else {
			len = rec_unescape(r->field[i], r->len[i]);
			put_string(&c->out, r->field[i], len);
		}
	}
	out_str(&c->out, "}\n");
}

/* handle_line -- one input line: a record converted, or bad input */
static void
handle_line(void *ctx, char *line, size_t len, size_t lineno)
{
	struct conv *c = ctx;
	const char *why;
	struct record r;

	if (rec_split(line, len, &r) < 0) {
		bad_report(&c->bad, lineno, "too many fields", NULL, 0);
		return;
	}
	if (r.type == REC_COMMENT)
		return;
	if (r.type == REC_UNKNOWN) {
		bad_report(&c->bad, lineno, "unknown record type", r.field[0],
		    r.len[0]);
		return;
	}
	if ((why = check(c, &r)) != NULL) {
		rec_unsplit(line, len);
		bad_report(&c->bad, lineno, why, line, len);
		return;
	}
	convert(c, &r);
}

/* run -- convert one input to its end; EXIT_FAIL after a read error */
static int
run(void *ctx, int fd, const char *name)
{
	struct conv *c = ctx;

	c->bad.file = name;
	return lr_each(fd, name, &c->out, &c->bad,
	    &(const struct lr_calls){ .line = handle_line }, c);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct conv c;
	int ch, rval;

	while ((ch = getopt_long(argc, argv, "hV", longopts, NULL)) != -1)
		switch (ch) {
		default:
			std_option(ch, usage);
		}
	argc -= optind;
	argv += optind;

	catch_stop_signals();
	out_init(&c.out, STDOUT_FILENO, OUT_BUFSIZE);
	bad_init(&c.bad, "record", "stdin");
	rval = each_input(argc, argv, "stdin", run, &c);
	bad_summary(&c.bad);
	out_finish(&c.out);
	return rval;
}
