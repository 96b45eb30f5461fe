/*
 * fuzz_logline -- the access-log line parsers (common/logline.c) on any
 * bytes, in each format and with detection.  Checks that every field
 * lies inside the line, the numbers are in their ranges, and that the
 * hit record logparse would write from it is one line of exactly
 * HIT_NFIELDS fields with no raw control byte; and that decoding a clean
 * line (out_clean_len) leaves every field clean, as logparse's fast path
 * assumes when it copies such fields unescaped.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "httpmon.h"
#include "logline.h"
#include "memout.h"

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

/* inside -- s lies in line[0..len), or is the parser's static "/" */
static int
inside(const struct span *s, const char *line, size_t len)
{
	if (s->n == 0)
		return 1;
	if (s->n == 1 && s->p[0] == '/')
		return 1;
	return s->p >= line && s->p + s->n <= line + len;
}

/* is_clean -- no byte of s needs escaping */
static int
is_clean(const struct span *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if ((unsigned char)s->p[i] < 0x20 || s->p[i] == 0x7f ||
		    s->p[i] == '\\')
			return 0;
	return 1;
}

/* write_hit -- the record as logparse writes it ("-" for empty) */
static void
write_hit(struct out *o, const struct loghit *h)
{
	const struct span *f[] = { &h->host, &h->user, &h->method, &h->path,
	    &h->section, &h->referer, &h->agent };
	size_t i;

	out_str(o, "hit\t");
	out_int(o, h->time);
	for (i = 0; i < 5; i++)
		out_field(o, f[i]->n ? f[i]->p : "-", f[i]->n ? f[i]->n : 1);
	out_char(o, '\t');
	out_int(o, h->status);
	out_char(o, '\t');
	out_int(o, h->bytes);
	for (i = 5; i < 7; i++)
		out_field(o, f[i]->n ? f[i]->p : "-", f[i]->n ? f[i]->n : 1);
	out_end(o);
}

/* check_record -- one line, HIT_NFIELDS fields, nothing raw in them */
static void
check_record(char *rec, size_t len)
{
	struct record r;
	size_t i;

	CHECK(len > 0 && rec[len - 1] == '\n');
	for (i = 0; i + 1 < len; i++)
		CHECK(rec[i] == '\t' || ((unsigned char)rec[i] >= 0x20 &&
		    rec[i] != 0x7f));
	CHECK(rec_split(rec, len - 1, &r) == HIT_NFIELDS);
	CHECK(r.type == REC_HIT);
}

/* one_format -- parse a private copy of the line in format fmt */
static void
one_format(const uint8_t *data, size_t size, enum log_format fmt)
{
	struct loghit h;
	struct out o;
	const char *why;
	char *line, *rec;
	size_t len;
	int clean;

	if ((line = malloc(size + 1)) == NULL)
		abort();
	memcpy(line, data, size);
	line[size] = '\0';
	clean = out_clean_len(line, size) == size;
	why = logline_parse(line, size, fmt, &h);
	if (why == NULL) {
		CHECK(h.time >= 0 && h.time <= TIME_MAX);
		CHECK(h.status >= 100 && h.status <= 999);
		CHECK(h.bytes >= 0);
		logline_decode(&h);
		CHECK(inside(&h.host, line, size) && inside(&h.user, line, size));
		CHECK(inside(&h.method, line, size) && inside(&h.path, line, size));
		CHECK(inside(&h.section, line, size));
		CHECK(inside(&h.referer, line, size) && inside(&h.agent, line, size));
		CHECK(h.section.n <= h.path.n || h.section.n == 1);
		CHECK(h.method.n <= LOG_METHOD_MAX);
		/* logparse copies the fields of a clean line unescaped */
		if (clean)
			CHECK(is_clean(&h.host) && is_clean(&h.user) &&
			    is_clean(&h.method) && is_clean(&h.path) &&
			    is_clean(&h.section) && is_clean(&h.referer) &&
			    is_clean(&h.agent));
		memout_open(&o, 256);
		write_hit(&o, &h);
		rec = memout_close(&o, &len);
		check_record(rec, len);
		free(rec);
	} else
		CHECK(why == LOGLINE_SKIP || strlen(why) > 0);
	free(line);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one_format(data, size, LOG_AUTO);
	one_format(data, size, LOG_CLF);
	one_format(data, size, LOG_COMBINED);
	one_format(data, size, LOG_CSV);
	return 0;
}
