/*
 * logjson -- httpmon records to JSON Lines: one JSON object per record.
 *
 * A record becomes {"type":"alert","time":104,"hits":6,...}: the keys
 * are the names of the record type's fields in httpmon-records(5), in
 * order; the fields that hold numbers are written as JSON numbers, the
 * others as strings.  A string field is first unescaped from the record
 * format, then written as a JSON string: '"', '\' and every control byte
 * escaped (\" \\ \b \f \n \r \t, others \u00XX, DEL too), valid UTF-8
 * unchanged, and each byte that does not start a valid UTF-8 sequence
 * replaced by U+FFFD (written \ufffd), so that the output is always
 * valid UTF-8 and valid JSON whatever the log held.
 *
 * Comments are dropped.  A record of an unknown type, with the wrong
 * number of fields or a number field that is not a number is bad input:
 * counted, the first ones reported, not written.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <err.h>

#include "httpmon.h"

#define OUT_BUFSIZE	(64 * 1024)

/* A field of a record type: its JSON key, and whether it is a number. */
struct key {
	const char	*name;
	int		 number;
};
#define NUM(k)	{ k, 1 }
#define STR(k)	{ k, 0 }

static const struct key hit_keys[] = {
	NUM("time"), STR("host"), STR("user"), STR("method"), STR("path"),
	STR("section"), NUM("status"), NUM("bytes"), STR("referer"),
	STR("agent")
};
static const struct key tick_keys[] = { NUM("time") };
static const struct key alert_keys[] = {
	NUM("time"), NUM("hits"), NUM("avg"), NUM("threshold"),
	STR("message")
};
static const struct key window_keys[] = {
	NUM("time"), NUM("hits"), NUM("avg"), NUM("threshold"),
	NUM("lastsec")
};
static const struct key bad_keys[] = { NUM("line"), STR("reason") };
static const struct key stats_keys[] = {
	NUM("end"), NUM("interval"), NUM("hits"), NUM("rate"), NUM("bytes"),
	NUM("total_hits"), NUM("total_bytes"), NUM("s2xx"), NUM("s3xx"),
	NUM("s4xx"), NUM("s5xx"), NUM("sother"), NUM("hosts"), NUM("late"),
	NUM("bad")
};
static const struct key section_keys[] = {
	NUM("end"), NUM("rank"), STR("section"), NUM("hits"), NUM("bytes"),
	NUM("s4xx"), NUM("s5xx")
};
static const struct key method_keys[] = {
	NUM("end"), STR("method"), NUM("hits")
};
static const struct key roll_keys[] = {
	NUM("time"), STR("source"), NUM("seq"), STR("section"), STR("method"),
	NUM("status"), NUM("hits"), NUM("bytes")
};
static const struct key rollhost_keys[] = {
	NUM("time"), STR("source"), NUM("seq"), STR("host")
};
static const struct key rolltick_keys[] = {
	NUM("time"), STR("source"), NUM("seq")
};
static const struct key rollbad_keys[] = {
	NUM("time"), STR("source"), NUM("seq"), NUM("count")
};

#define KEYS(a)	a, sizeof(a) / sizeof(a[0])
static const struct rectype {
	const char	*name;
	const struct key *keys;
	int		 nkeys;		/* fields after the type */
} rectypes[] = {
	{ "hit", KEYS(hit_keys) },
	{ "tick", KEYS(tick_keys) },
	{ "alert", KEYS(alert_keys) },
	{ "recover", KEYS(alert_keys) },
	{ "window", KEYS(window_keys) },
	{ "bad", KEYS(bad_keys) },
	{ "stats", KEYS(stats_keys) },
	{ "section", KEYS(section_keys) },
	{ "method", KEYS(method_keys) },
	{ "roll", KEYS(roll_keys) },
	{ "rollhost", KEYS(rollhost_keys) },
	{ "rolltick", KEYS(rolltick_keys) },
	{ "rollbad", KEYS(rollbad_keys) },
};

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

/* find_type -- the field list of the record type named s, or NULL */
static const struct rectype *
find_type(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(rectypes) / sizeof(rectypes[0]); i++)
		if (strcmp(rectypes[i].name, s) == 0)
			return &rectypes[i];
	return NULL;
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

/* put_string -- s[0..n) as a JSON string (see the comment at the top) */
static void
put_string(struct out *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char esc[6] = { '\\', 'u', '0', '0', 0, 0 };
	size_t i = 0, run = 0, len;
	unsigned char c;

	out_char(o, '"');
	while (i < n) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			i++;
			continue;
		}
		if (c >= 0x80 && (len = utf8_seqlen(s + i, n - i)) > 0) {
			i += len;
			continue;
		}
		out_write(o, s + run, i - run);
		switch (c) {
		case '"': out_write(o, "\\\"", 2); break;
		case '\\': out_write(o, "\\\\", 2); break;
		case '\b': out_write(o, "\\b", 2); break;
		case '\f': out_write(o, "\\f", 2); break;
		case '\n': out_write(o, "\\n", 2); break;
		case '\r': out_write(o, "\\r", 2); break;
		case '\t': out_write(o, "\\t", 2); break;
		default:
			if (c >= 0x80)
				out_write(o, "\\ufffd", 6);
			else {
				esc[4] = hex[c >> 4];
				esc[5] = hex[c & 0xf];
				out_write(o, esc, 6);
			}
			break;
		}
		run = ++i;
	}
	out_write(o, s + run, n - run);
	out_char(o, '"');
}

/* check -- why record r of type t cannot be converted, or NULL */
static const char *
check(struct conv *c, const struct rectype *t, const struct record *r)
{
	size_t skip;
	int i;

	if (r->nfields != t->nkeys + 1) {
		snprintf(c->why, sizeof(c->why), "%s: %d fields, not %d",
		    t->name, r->nfields, t->nkeys + 1);
		return c->why;
	}
	for (i = 0; i < t->nkeys; i++)
		if (t->keys[i].number && !is_number(r->field[i + 1],
		    r->len[i + 1], &skip)) {
			snprintf(c->why, sizeof(c->why), "%s: %s is not a "
			    "number", t->name, t->keys[i].name);
			return c->why;
		}
	return NULL;
}

/* convert -- one record of type t as one JSON object on one line */
static void
convert(struct conv *c, const struct rectype *t, struct record *r)
{
	size_t skip, len;
	int i;

	out_str(&c->out, "{\"type\":\"");
	out_str(&c->out, t->name);
	out_char(&c->out, '"');
	for (i = 0; i < t->nkeys; i++) {
		out_str(&c->out, ",\"");
		out_str(&c->out, t->keys[i].name);
		out_str(&c->out, "\":");
		if (t->keys[i].number) {
			is_number(r->field[i + 1], r->len[i + 1], &skip);
			put_number(&c->out, r->field[i + 1], r->len[i + 1],
			    skip);
		} else {
			len = rec_unescape(r->field[i + 1], r->len[i + 1]);
			put_string(&c->out, r->field[i + 1], len);
		}
	}
	out_str(&c->out, "}\n");
}

/* handle_line -- one input line: a record converted, or bad input */
static void
handle_line(void *ctx, char *line, size_t len, size_t lineno)
{
	struct conv *c = ctx;
	const struct rectype *t;
	const char *why;
	struct record r;

	if (rec_split(line, len, &r) < 0) {
		bad_report(&c->bad, lineno, "too many fields", NULL, 0);
		return;
	}
	if (r.type == REC_COMMENT)
		return;
	if ((t = find_type(r.field[0])) == NULL) {
		bad_report(&c->bad, lineno, "unknown record type", r.field[0],
		    r.len[0]);
		return;
	}
	if ((why = check(c, t, &r)) != NULL) {
		rec_unsplit(line, len);
		bad_report(&c->bad, lineno, why, line, len);
		return;
	}
	convert(c, t, &r);
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
		case 'h':
			usage(EXIT_OK);
		case 'V':
			printf("logjson %s\n", HTTPMON_VERSION);
			return EXIT_OK;
		default:
			usage(EXIT_USAGE);
		}
	argc -= optind;
	argv += optind;

	install_signal_exit();
	out_init(&c.out, STDOUT_FILENO, OUT_BUFSIZE);
	bad_init(&c.bad, "record", "stdin");
	rval = each_input(argc, argv, "stdin", run, &c);
	bad_summary(&c.bad);
	out_finish(&c.out);
	return rval;
}
