/* number.c -- strict, allocation-free number parsing */
#include <stdlib.h>
#include <string.h>

#include <err.h>

#include "httpmon.h"

/*
 * parse_int64 -- the decimal integer s[0..n) (optional leading '-'),
 * only digits, within [min, max]; 0 and *v set, or -1.  Overflow is
 * caught before it happens, so any string is safe.
 */
int
parse_int64(const char *s, size_t n, int64_t min, int64_t max, int64_t *v)
{
	uint64_t acc = 0, limit;
	size_t i = 0;
	int neg = 0;

	if (n > 0 && s[0] == '-') {
		neg = 1;
		i = 1;
	}
	if (i == n)
		return -1;
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		unsigned d = (unsigned char)s[i] - '0';
		if (d > 9)
			return -1;
		/* Under 18 digits read, no overflow is possible yet. */
		if (i - (size_t)neg >= 18 && acc > (limit - d) / 10)
			return -1;
		acc = acc * 10 + d;
	}
	if (neg) {
		if (acc == (uint64_t)INT64_MAX + 1)
			*v = INT64_MIN;
		else
			*v = -(int64_t)acc;
	} else
		*v = (int64_t)acc;
	return *v < min || *v > max ? -1 : 0;
}

/*
 * parse_decimal_micro -- a non-negative decimal such as "10", "2.5" or
 * ".25", in millionths, exactly (no binary floating point), so that a
 * comparison like "average > threshold" never depends on rounding.
 */
int
parse_decimal_micro(const char *s, int64_t *micro)
{
	int64_t whole = 0, frac = 0;
	int digits = 0, fdigits = 0;

	/* Whole part at most INT64_MAX / 10^6 - 1, so micro cannot overflow. */
	for (; *s >= '0' && *s <= '9'; s++, digits++) {
		if (whole > (INT64_MAX / 1000000 - 1 - (*s - '0')) / 10)
			return -1;
		whole = whole * 10 + (*s - '0');
	}
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++, fdigits++) {
			if (fdigits >= 6)
				return -1;	/* finer than a millionth */
			frac = frac * 10 + (*s - '0');
		}
	}
	if (*s != '\0' || digits + fdigits == 0)
		return -1;
	for (; fdigits < 6; fdigits++)
		frac *= 10;
	*micro = whole * 1000000 + frac;
	return 0;
}

/* opt_number -- an option's integer argument, or exit with usage status */
long long
opt_number(const char *name, const char *arg, long long min, long long max)
{
	const char *errstr;
	long long n;

	n = strtonum(arg, min, max, &errstr);
	if (errstr != NULL)
		errx(EXIT_USAGE, "%s %s: %s (allowed %lld to %lld)", name, arg,
		    errstr, min, max);
	return n;
}
