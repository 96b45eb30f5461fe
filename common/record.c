/* record.c -- the record schema and the one reader of the record format
   (the writer is out.c) */
#include <string.h>

#include "httpmon.h"

/*
 * The record schema, the one list of record types and their fields
 * (man/httpmon-records.5 says the same in words; tests/records.bats
 * checks that they agree).  A field is TEXT, INT (an integer >= 0) or
 * DEC (a decimal such as 1.20); the names are logjson's keys.
 *
 * Version rule: fields are only ever appended.  A reader needs the
 * fields listed here and ignores any after them, so that old and new
 * programs can share a stream.
 *
 * To add a field: append it to its type's line, and to the type's entry
 * in the man page (and, if code reads it, its index to the type's enum
 * in httpmon.h; tests/schema.c checks the enums).  To add a record type:
 * one line here, its REC_ name in enum rec_type, its entry in the man
 * page.
 */
#define T(name)	{ name, FIELD_TEXT }
#define I(name)	{ name, FIELD_INT }
#define D(name)	{ name, FIELD_DEC }
#define TYPE(name, ...) { name, sizeof(name) - 1, 1 + (int)(sizeof(	\
	(const struct rec_field[]){ __VA_ARGS__ }) /			\
	sizeof(struct rec_field)), { T("type"), __VA_ARGS__ } }

const struct rec_schema rec_schema[REC_NTYPES] = {
	[REC_HIT] = TYPE("hit", I("time"), T("host"), T("user"), T("method"),
	    T("path"), T("section"), I("status"), I("bytes"), T("referer"),
	    T("agent")),
	[REC_TICK] = TYPE("tick", I("time")),
	[REC_ALERT] = TYPE("alert", I("time"), I("hits"), D("avg"),
	    D("threshold"), T("message"), T("rule")),
	[REC_RECOVER] = TYPE("recover", I("time"), I("hits"), D("avg"),
	    D("threshold"), T("message"), T("rule")),
	[REC_BAD] = TYPE("bad", I("line"), T("reason")),
	[REC_STATS] = TYPE("stats", I("end"), I("interval"), I("hits"),
	    D("rate"), I("bytes"), I("total_hits"), I("total_bytes"),
	    I("s2xx"), I("s3xx"), I("s4xx"), I("s5xx"), I("sother"),
	    I("hosts"), I("late"), I("bad"), I("folded"),
	    I("folded_methods"), I("hosts_approx")),
	[REC_SECTION] = TYPE("section", I("end"), I("rank"), T("section"),
	    I("hits"), I("bytes"), I("s4xx"), I("s5xx")),
	[REC_METHOD] = TYPE("method", I("end"), T("method"), I("hits")),
	[REC_WINDOW] = TYPE("window", I("time"), I("hits"), D("avg"),
	    D("threshold"), I("lastsec")),
	[REC_ROLL] = TYPE("roll", I("time"), T("source"), I("seq"),
	    T("section"), T("method"), I("status"), I("hits"), I("bytes")),
	[REC_ROLLHOST] = TYPE("rollhost", I("time"), T("source"), I("seq"),
	    T("host")),
	[REC_ROLLTICK] = TYPE("rolltick", I("time"), T("source"), I("seq")),
	[REC_ROLLBAD] = TYPE("rollbad", I("time"), T("source"), I("seq"),
	    I("count")),
	[REC_SECOND] = TYPE("second", I("time"), I("hits")),
	[REC_CLOCK] = TYPE("clock", I("time")),
	[REC_SERVER] = TYPE("server", I("time"), T("source"), I("latest"),
	    I("lag"), I("hits"), I("silent")),
};

/* rec_type_of -- the type named by a record's first field */
enum rec_type
rec_type_of(const char *name, size_t len)
{
	int i;

	if (len > 0 && name[0] == '#')
		return REC_COMMENT;
	for (i = 0; i < REC_NTYPES; i++)
		if (rec_schema[i].len == len && rec_schema[i].name != NULL &&
		    memcmp(rec_schema[i].name, name, len) == 0)
			return (enum rec_type)i;
	return REC_UNKNOWN;
}

/* 16 bytes as one vector (GCC and Clang vector extensions) */
typedef unsigned char bytes16 __attribute__((vector_size(16)));

/* count_tabs -- the TABs in s[0..n), counted 16 bytes at a time */
static size_t
count_tabs(const char *s, size_t n)
{
	const uint64_t ones = UINT64_C(0x0101010101010101);
	bytes16 v, tab;
	uint64_t half[2];
	size_t i, c = 0;

	for (i = 0; n - i >= 16; i += 16) {
		memcpy(&v, s + i, sizeof(v));
		tab = (bytes16)(v == '\t');	/* 0xff where a TAB is */
		memcpy(half, &tab, sizeof(half));
		/* one bit per TAB, summed by a multiply into the top byte */
		c += ((half[0] & ones) * ones) >> 56;
		c += ((half[1] & ones) * ones) >> 56;
	}
	for (; i < n; i++)
		c += s[i] == '\t';
	return c;
}

/*
 * rec_split_first -- rec_split for a reader that needs only the first
 * want fields: those are split in place, the rest only counted, so that
 * nfields is still the record's field count but field[want] and on are
 * unset.  Returns the number of fields, or -1 if there are more than
 * REC_MAXFIELDS.
 */
int
rec_split_first(char *line, size_t len, struct record *r, int want)
{
	char *p = line, *end = line + len, *tab;
	int n = 0;

	if (len > 0 && line[0] == '#') {
		r->type = REC_COMMENT;
		r->nfields = 0;
		r->truncated = 0;
		return 0;
	}
	for (;;) {
		if (n == REC_MAXFIELDS)
			return -1;
		tab = memchr(p, '\t', (size_t)(end - p));
		r->field[n] = p;
		r->len[n] = (size_t)((tab ? tab : end) - p);
		p[r->len[n]] = '\0';
		n++;
		if (tab == NULL)
			break;
		p = tab + 1;
		if (n == want) {
			/* The fields from p on: one more than their TABs. */
			n += (int)count_tabs(p, (size_t)(end - p)) + 1;
			if (n > REC_MAXFIELDS)
				return -1;
			break;
		}
	}
	r->nfields = n;
	r->type = rec_type_of(r->field[0], r->len[0]);
	r->truncated = n < rec_schema[r->type].nfields;
	return n;
}

/*
 * rec_split -- split a line (without its newline) into fields, in place.
 * Fields stay escaped: a program unescapes only the fields it shows, so
 * that a filter that reads only TIME pays nothing for the rest.  Returns
 * the number of fields, or -1 if there are more than REC_MAXFIELDS.
 */
int
rec_split(char *line, size_t len, struct record *r)
{
	return rec_split_first(line, len, r, REC_MAXFIELDS);
}

/* rec_unsplit -- turn the NULs rec_split left back into TABs, to show a line */
void
rec_unsplit(char *line, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (line[i] == '\0')
			line[i] = '\t';
}

/* hex_digit_value -- the value of the hex digit c, or -1 */
int
hex_digit_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * rec_unescape -- undo the writer's escapes in place; returns the new
 * length and NUL-terminates.  An unknown or truncated escape is kept as
 * it stands, so a hand-written record is never rejected for a stray '\'.
 */
size_t
rec_unescape(char *s, size_t len)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < len; i++) {
		if (s[i] != '\\' || i + 1 == len) {
			s[o++] = s[i];
			continue;
		}
		switch (s[i + 1]) {
		case 't': s[o++] = '\t'; i++; break;
		case 'n': s[o++] = '\n'; i++; break;
		case 'r': s[o++] = '\r'; i++; break;
		case '\\': s[o++] = '\\'; i++; break;
		case 'x':
			if (i + 3 < len && (hi = hex_digit_value(
			    (unsigned char)s[i + 2])) >= 0 && (lo =
			    hex_digit_value((unsigned char)s[i + 3])) >= 0) {
				s[o++] = (char)(hi << 4 | lo);
				i += 3;
				break;
			}
			s[o++] = s[i];
			break;
		default:
			s[o++] = s[i];
			break;
		}
	}
	s[o] = '\0';
	return o;
}

/* rec_time -- the TIME field (field 1) of a record, strictly parsed */
int
rec_time(const struct record *r, int64_t *t)
{
	if (r->nfields < 2 || parse_int64(r->field[1], r->len[1], 0,
	    INT64_MAX, t) == -1)
		return -1;
	return time_valid(*t) ? 0 : -1;
}

/*
 * rec_numbers -- the INT fields of r, as the schema has them, read into
 * v indexed by field; the first n fields at most, n being the size of v.
 * r must be split in full (rec_split).  -1 if r is of no known type,
 * has too few fields or a bad number.
 */
int
rec_numbers(const struct record *r, int64_t *v, int n)
{
	const struct rec_schema *s = &rec_schema[r->type];
	int i;

	if (s->name == NULL || r->truncated)
		return -1;
	if (n > s->nfields)
		n = s->nfields;
	for (i = 1; i < n; i++)
		if (s->field[i].kind == FIELD_INT && parse_int64(r->field[i],
		    r->len[i], 0, INT64_MAX, &v[i]) == -1)
			return -1;
	return 0;
}
