/* record.c -- the one reader of the record format (the writer is out.c) */
#include <string.h>

#include "httpmon.h"

static const struct {
	const char	*name;
	size_t		 len;
	enum rec_type	 type;
} rec_types[] = {
	{ "hit", 3, REC_HIT },
	{ "tick", 4, REC_TICK },
	{ "alert", 5, REC_ALERT },
	{ "recover", 7, REC_RECOVER },
	{ "bad", 3, REC_BAD },
	{ "stats", 5, REC_STATS },
	{ "section", 7, REC_SECTION },
	{ "method", 6, REC_METHOD },
	{ "window", 6, REC_WINDOW },
	{ "roll", 4, REC_ROLL },
	{ "rollhost", 8, REC_ROLLHOST },
	{ "rolltick", 8, REC_ROLLTICK },
	{ "rollbad", 7, REC_ROLLBAD },
};

/* rec_type_of -- the type named by a record's first field */
enum rec_type
rec_type_of(const char *name, size_t len)
{
	size_t i;

	if (len > 0 && name[0] == '#')
		return REC_COMMENT;
	for (i = 0; i < sizeof(rec_types) / sizeof(rec_types[0]); i++)
		if (rec_types[i].len == len &&
		    memcmp(rec_types[i].name, name, len) == 0)
			return rec_types[i].type;
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
	if (r->nfields < 2)
		return -1;
	return parse_int64(r->field[1], r->len[1], 0, TIME_MAX,
	    t);
}

/* rec_ints -- fields from..to of r as integers >= 0 into v[from..to] */
int
rec_ints(const struct record *r, int from, int to, int64_t *v)
{
	int i;

	for (i = from; i <= to; i++)
		if (parse_int64(r->field[i], r->len[i], 0, INT64_MAX,
		    &v[i]) == -1)
			return -1;
	return 0;
}

/*
 * rec_numbers -- a stats, section or method record checked and its
 * numbers read into v, indexed by field (v holds STATS_NFIELDS at most):
 * what logshow prints and logview keeps.  -1 if r is malformed.
 */
int
rec_numbers(const struct record *r, int64_t *v)
{
	switch (r->type) {
	case REC_STATS:
		return r->nfields != STATS_NFIELDS ||
		    rec_ints(r, STATS_END, STATS_HITS, v) == -1 ||
		    rec_ints(r, STATS_BYTES, STATS_BAD, v) == -1 ? -1 : 0;
	case REC_SECTION:
		return r->nfields != SECTION_NFIELDS ||
		    rec_ints(r, SECTION_END, SECTION_RANK, v) == -1 ||
		    rec_ints(r, SECTION_HITS, SECTION_5XX, v) == -1 ? -1 : 0;
	case REC_METHOD:
		return r->nfields != METHOD_NFIELDS ||
		    rec_ints(r, METHOD_END, METHOD_END, v) == -1 ||
		    rec_ints(r, METHOD_HITS, METHOD_HITS, v) == -1 ? -1 : 0;
	default:
		return -1;
	}
}
