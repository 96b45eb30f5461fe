/*
 * fuzz_record -- the record reader (rec_split, rec_unescape, rec_time,
 * rec_numbers, the field count checked against the schema) on any
 * bytes, and the round-trip property of the writer: any fields written
 * with out_field are read back identically by rec_split and
 * rec_unescape, whatever bytes they hold (TAB, newline, backslash, NUL,
 * high bytes), whatever the size of the output buffer; and what it
 * writes is valid UTF-8 with no C1 control; rec_escape (a Prometheus
 * label's text) round-trips too.
 *
 * Input: byte 0 picks the output buffer size; the rest is fields, each
 * a length byte followed by that many bytes (cut short at the end).
 * The same bytes are also read as one record line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "httpmon.h"
#include "memout.h"

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

/* read_line -- split and unescape the input as a record line */
static void
read_line(const uint8_t *data, size_t size)
{
	struct record r;
	char *line;
	size_t i, sum;
	int64_t t, v[REC_MAXFIELDS];
	int n;

	if ((line = malloc(size + 1)) == NULL)
		abort();
	memcpy(line, data, size);
	n = rec_split(line, size, &r);
	if (n > 0) {
		CHECK(r.nfields == n);
		for (sum = 0, i = 0; i < (size_t)n; i++) {
			CHECK(r.field[i] >= line &&
			    r.field[i] + r.len[i] <= line + size);
			CHECK(memchr(r.field[i], '\t', r.len[i]) == NULL);
			sum += r.len[i];
		}
		CHECK(sum + (size_t)n - 1 == size);
		CHECK(r.truncated == (n < rec_schema[r.type].nfields));
		if (rec_numbers(&r, v, REC_MAXFIELDS) == 0)
			CHECK(!r.truncated && rec_schema[r.type].name != NULL);
		if (rec_time(&r, &t) == 0)
			CHECK(t >= 0 && t <= TIME_MAX);
		if (memchr(data, '\0', size) == NULL) {
			rec_unsplit(line, size);
			CHECK(memcmp(line, data, size) == 0);
			rec_split(line, size, &r);
		}
		for (i = 0; i < (size_t)n; i++) {
			size_t len = rec_unescape(r.field[i], r.len[i]);
			CHECK(len <= r.len[i] && r.field[i][len] == '\0');
		}
	} else
		CHECK(n == 0 || n == -1);
	free(line);
}

/* round_trip -- write the fields, read them back, compare */
static void
round_trip(const uint8_t *data, size_t size)
{
	const uint8_t *f[REC_MAXFIELDS];
	size_t flen[REC_MAXFIELDS], len, i, k, nf = 0;
	struct record r;
	struct out o;
	char *rec;

	if (size == 0)
		return;
	memout_open(&o, 1 + data[0] % 64);
	for (i = 1; i < size && nf < REC_MAXFIELDS - 1; nf++) {
		flen[nf] = data[i++];
		if (flen[nf] > size - i)
			flen[nf] = size - i;
		f[nf] = data + i;
		i += flen[nf];
	}
	out_str(&o, "hit");
	for (i = 0; i < nf; i++)
		out_field(&o, (const char *)f[i], flen[i]);
	out_end(&o);
	rec = memout_close(&o, &len);

	/* One line, no raw control byte but the TABs between fields. */
	CHECK(len > 0 && rec[len - 1] == '\n');
	for (i = 0; i + 1 < len; i++)
		CHECK(rec[i] == '\t' || ((unsigned char)rec[i] >= 0x20 &&
		    rec[i] != 0x7f));
	/* Bytes from 0x80 up: valid UTF-8, no C1 control (U+0080..U+009F). */
	for (i = 0; i + 1 < len; i += k) {
		k = (unsigned char)rec[i] < 0x80 ? 1 : utf8_seqlen(rec + i,
		    len - 1 - i);
		CHECK(k > 0);
		CHECK(!((unsigned char)rec[i] == 0xc2 &&
		    (unsigned char)rec[i + 1] < 0xa0));
	}
	CHECK(rec_split(rec, len - 1, &r) == (int)nf + 1);
	CHECK(r.type == REC_HIT);
	for (i = 0; i < nf; i++) {
		size_t n = rec_unescape(r.field[i + 1], r.len[i + 1]);
		CHECK(n == flen[i]);
		CHECK(memcmp(r.field[i + 1], f[i], n) == 0);
	}
	free(rec);

	/* rec_escape: the same text, and rec_unescape gives the bytes back */
	for (i = 0; i < nf; i++) {
		char *esc = malloc(REC_ESCAPED_MAX(flen[i]));
		size_t n;

		if (esc == NULL)
			abort();
		n = rec_escape(esc, (const char *)f[i], flen[i]);
		CHECK(n < REC_ESCAPED_MAX(flen[i]) && esc[n] == '\0');
		CHECK(memchr(esc, '\t', n) == NULL);
		n = rec_unescape(esc, n);
		CHECK(n == flen[i] && memcmp(esc, f[i], n) == 0);
		free(esc);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	read_line(data, size);
	round_trip(data, size);
	return 0;
}
