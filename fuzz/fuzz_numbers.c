/*
 * fuzz_numbers -- the number and time parsers (common/number.c,
 * common/timeconv.c) on any bytes, each against a slow reference:
 * parse_int64 against 128-bit arithmetic, parse_decimal_micro against
 * its grammar, days_from_civil against civil_from_days.  opt_number is
 * strtonum plus errx and is left out (it exits).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "httpmon.h"

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

/* ref_int64 -- -?[0-9]+ within int64, by 128-bit arithmetic; 0 or -1 */
static int
ref_int64(const uint8_t *s, size_t n, int64_t *v)
{
	__int128 acc = 0;
	size_t i = 0;
	int neg = n > 0 && s[0] == '-';

	if (neg)
		i = 1;
	if (i == n)
		return -1;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		acc = acc * 10 + (s[i] - '0');
		if (acc > (__int128)INT64_MAX + 1)
			return -1;
	}
	if (neg)
		acc = -acc;
	if (acc > INT64_MAX)
		return -1;
	*v = (int64_t)acc;
	return 0;
}

/* check_int64 -- full range, then a range taken from the first bytes */
static void
check_int64(const uint8_t *data, size_t size)
{
	int64_t v = 0, w = 0, min, max;
	int ok, ref;

	ok = parse_int64((const char *)data, size, INT64_MIN, INT64_MAX, &v);
	ref = ref_int64(data, size, &w);
	CHECK(ok == ref);
	if (ok == 0)
		CHECK(v == w);
	min = size > 0 ? -(int64_t)data[0] * 1000 : 0;
	max = size > 1 ? (int64_t)data[1] * 1000000 : 999;
	ok = parse_int64((const char *)data, size, min, max, &v);
	CHECK(ok == (ref == 0 && w >= min && w <= max ? 0 : -1));
}

/* ref_micro -- [0-9]*(.[0-9]{0,6})? with a digit, in millionths */
static int
ref_micro(const char *s, int64_t *v)
{
	__int128 whole = 0, frac = 0;
	int digits = 0, fdigits = 0;

	for (; *s >= '0' && *s <= '9'; s++, digits++)
		if ((whole = whole * 10 + (*s - '0')) > INT64_MAX)
			return -2;	/* too large: any refusal will do */
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++, fdigits++) {
			if (fdigits >= 6)
				return -1;
			frac = frac * 10 + (*s - '0');
		}
	if (*s != '\0' || digits + fdigits == 0)
		return -1;
	for (; fdigits < 6; fdigits++)
		frac *= 10;
	if (whole * 1000000 + frac > INT64_MAX)
		return -2;
	*v = (int64_t)(whole * 1000000 + frac);
	return 0;
}

/* check_micro -- parse_decimal_micro on the input as a C string */
static void
check_micro(const uint8_t *data, size_t size)
{
	int64_t v = 0, w = 0;
	char *s;
	int ok, ref;

	if ((s = malloc(size + 1)) == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	ok = parse_decimal_micro(s, &v);
	ref = ref_micro(s, &w);
	if (ref == -1)
		CHECK(ok == -1);
	else if (ref == 0 && ok == 0)
		CHECK(v == w);
	else if (ok == 0)
		abort();	/* accepted what cannot be represented */
	free(s);
}

/* check_time -- days <-> civil round trip and the RFC 3339 form */
static void
check_time(const uint8_t *data, size_t size)
{
	int64_t z = 0, y, t;
	unsigned m, d;
	char buf[64];
	size_t i;

	for (i = 0; i < size && i < 8; i++)
		z = (int64_t)((uint64_t)z << 8 | data[i]);
	z %= INT64_C(100000000000);	/* days: +-273 million years */
	civil_from_days(z, &y, &m, &d);
	CHECK(m >= 1 && m <= 12 && d >= 1 && d <= 31);
	CHECK(days_from_civil(y, m, d) == z);
	t = (z < 0 ? -z : z) % (TIME_MAX + 1);
	CHECK(fmt_rfc3339(buf, sizeof(buf), t) == 20);
	if (size >= 3)
		CHECK(month_from_abbrev((const char *)data) <= 12);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_int64(data, size);
	check_micro(data, size);
	check_time(data, size);
	return 0;
}
