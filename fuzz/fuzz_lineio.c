/*
 * fuzz_lineio -- the line reader (common/lineio.c) on any bytes, with a
 * small line limit, against a reference split: every line shorter than
 * the limit comes back whole and in order, every longer one is reported
 * once as too long, and the line numbers count both.
 *
 * Input: byte 0 picks the limit (1 to 64 bytes); the rest is the stream.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "httpmon.h"
#include "memout.h"

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct linereader lr;
	struct out o;
	enum lr_status st;
	const uint8_t *p, *end, *nl;
	size_t maxline, len, want, lineno = 0;
	char *line;

	if (size == 0)
		return 0;
	maxline = 1 + data[0] % 64;
	p = data + 1;
	end = data + size;

	/* The stream in a memory file, read back from its start. */
	memout_open(&o, 4096);
	out_write(&o, (const char *)p, (size_t)(end - p));
	out_flush(&o);
	if (lseek(o.fd, 0, SEEK_SET) == -1)
		abort();
	lr_init(&lr, o.fd, maxline, NULL);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		want = (size_t)((nl ? nl : end) - p);
		st = lr_next(&lr, &line, &len);
		lineno++;
		CHECK(lr.lineno == lineno);
		if (want >= maxline)
			CHECK(st == LR_TOOLONG);
		else {
			CHECK(st == LR_LINE && len == want);
			CHECK(memcmp(line, p, len) == 0 && line[len] == '\0');
		}
		p += want + (nl != NULL);
	}
	CHECK(lr_next(&lr, &line, &len) == LR_EOF);
	lr_free(&lr);
	out_free(&o);
	return 0;
}
