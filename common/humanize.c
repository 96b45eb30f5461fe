/* humanize.c -- numbers written for people rather than for programs */
#include <stdio.h>

#include "httpmon.h"

/* fmt_bytes -- a byte count in B, KiB, MiB, GiB or TiB, one decimal */
void
fmt_bytes(char *buf, size_t size, int64_t n)
{
	static const char *unit[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int u = -1;

	if (n < 1024) {
		snprintf(buf, size, "%lld B", (long long)n);
		return;
	}
	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	snprintf(buf, size, "%.1f %s", v, unit[u]);
}
