/*
 * fuzz_logview -- logview's model (common/view.c) on any bytes, read as
 * record lines: view_line on each, then the chart's scale and every
 * bar, as logview draws them, for a few screen sizes.  Under UBSan a
 * signed overflow or a division by zero anywhere is a crash; the
 * checks below are what the drawing relies on.
 *
 * Input: byte 0 picks the threshold given with -t (none, small, the
 * largest); the rest is record lines, separated by newlines.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "view.h"

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

/* chart -- the scale and every bar of a chart cols x rows */
static void
chart(const struct view *v, int cols, int rows)
{
	struct view_scale sc;
	int64_t s, first;
	uint64_t c;
	int h;

	if (v->hist_last < 0)
		return;
	view_scale(v, cols, rows, &sc);
	CHECK(sc.ymax >= 1);
	CHECK(sc.tl >= 0 && sc.tl <= rows);
	CHECK(v->threshold < 0 ? sc.tl == 0 : sc.tl >= 1);
	first = v->hist_last - cols + 1;
	for (s = first; s <= v->hist_last; s++) {
		c = s >= v->hist_first ? v->hist[s % VIEW_HIST] : 0;
		h = view_bar(&sc, c, rows);
		CHECK(h >= 0 && h <= rows);
		CHECK(c <= sc.ymax);
		(void)view_over(v, c);
	}
}

/* check -- what the drawing takes for granted */
static void
check(const struct view *v)
{
	CHECK(v->nsect >= 0 && v->nsect <= VIEW_NSECT);
	CHECK(v->maxsect >= v->nsect && v->maxsect <= VIEW_NSECT);
	CHECK(v->nmeth >= 0 && v->nmeth <= VIEW_NMETH);
	CHECK(v->hist_last >= -1 && v->hist_last <= TIME_MAX);
	CHECK(v->hist_last < 0 || (v->hist_first >= 0 &&
	    v->hist_first <= v->hist_last));
	CHECK(v->total_bad >= 0 && v->total_late >= 0);
	CHECK(v->last_alert == -1 || time_valid(v->last_alert));
	CHECK(v->last_recover == -1 || time_valid(v->last_recover));
	CHECK(!v->have_stats || span_valid(v->st[STATS_END],
	    v->st[STATS_INTERVAL]));
	CHECK(memchr(v->wavg, '\0', sizeof(v->wavg)) != NULL);
	CHECK(memchr(v->rate, '\0', sizeof(v->rate)) != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const thr[] = { NULL, "2", "9223372036853.999999" };
	static struct view v;
	const char *p, *end, *nl;
	char *line;
	size_t len;

	if (size == 0)
		return 0;
	view_init(&v, "access.log", 10, 0);
	if (thr[data[0] % 3] != NULL)
		CHECK(view_threshold(&v, thr[data[0] % 3]) == 0);
	if ((line = malloc(size)) == NULL)
		abort();
	for (p = (const char *)data + 1, end = (const char *)data + size;
	    p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		len = (size_t)(nl - p);
		memcpy(line, p, len);
		line[len] = '\0';
		(void)view_line(&v, line, len);
		check(&v);
	}
	free(line);
	chart(&v, 10, 1);
	chart(&v, 73, 11);
	chart(&v, VIEW_HIST, 200);
	return 0;
}
