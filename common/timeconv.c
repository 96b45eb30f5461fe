/*
 * timeconv.c -- calendar arithmetic, free of the C library's time zone
 * state and cheap enough to run on every log line.  The day algorithms
 * are Howard Hinnant's proleptic Gregorian conversions.
 */
#include <string.h>

#include "httpmon.h"

/* days_from_civil -- days since 1970-01-01 of year y, month m, day d */
int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* civil_from_days -- the inverse of days_from_civil */
void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* fmt_rfc3339 -- "2024-01-16T19:25:02Z" for epoch second t */
size_t
fmt_rfc3339(char *buf, size_t size, int64_t t)
{
	int64_t days = t / 86400, secs = t % 86400, y;
	unsigned m, d;
	int n;

	if (secs < 0) {
		secs += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	n = snprintf(buf, size, "%04lld-%02u-%02uT%02d:%02d:%02dZ",
	    (long long)y, m, d, (int)(secs / 3600), (int)(secs / 60 % 60),
	    (int)(secs % 60));
	return n < 0 ? 0 : (size_t)n;
}

/* month_from_abbrev -- 1..12 for "Jan".."Dec" (exact case), else 0 */
int
month_from_abbrev(const char *s)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int i;

	for (i = 0; i < 12; i++)
		if (memcmp(s, months + 3 * i, 3) == 0)
			return i + 1;
	return 0;
}

/* now_ms -- the monotonic clock in milliseconds (deadlines, pacing) */
int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
