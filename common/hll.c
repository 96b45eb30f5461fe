/*
 * hll.c -- HyperLogLog: the approximate number of distinct keys, in
 * HLL_REGS one-byte registers (16 KiB; a standard error of 1.04 /
 * sqrt(HLL_REGS), 0.8%).
 *
 * The hash is fixed, never seeded: SipHash-1-3 under the all-zero key.
 * A sketch then depends only on the keys added, so a replay gives the
 * same count every run, and sketches made anywhere could be merged (the
 * register by register maximum) to count the hosts of a whole fleet.  The top HLL_BITS bits of the hash pick the
 * register, which keeps the longest run of leading zeros (plus one)
 * of the other bits.
 */
#include "httpmon.h"

static const struct hashkey hll_key;	/* all zero: the documented hash */

/* hll_add -- add the n bytes at p to h */
void
hll_add(struct hll *h, const void *p, size_t n)
{
	uint64_t x = siphash(&hll_key, p, n);
	uint64_t w = x << HLL_BITS | UINT64_C(1) << (HLL_BITS - 1);
	uint8_t rank = (uint8_t)(__builtin_clzll(w) + 1);
	size_t i = (size_t)(x >> (64 - HLL_BITS));

	if (rank > h->reg[i])
		h->reg[i] = rank;
}

/*
 * ln -- the natural logarithm of x >= 1: x = 2^e f with f in [1, 2),
 * ln f = 2 atanh((f-1)/(f+1)) by its series.  Here, not from libm,
 * whose pages would cost every logstats half a megabyte of memory.
 */
static double
ln(double x)
{
	double y, y2, term, sum = 0;
	int e = 0, i;

	for (; x >= 2; x /= 2)
		e++;
	y = (x - 1) / (x + 1);
	y2 = y * y;
	term = y;
	for (i = 1; i < 60; i += 2) {
		sum += term / i;
		term *= y2;
	}
	return e * 0.69314718055994530942 + 2 * sum;
}

/*
 * hll_count -- the estimate: the harmonic mean of 2^reg, corrected as
 * Flajolet et al. do, with linear counting (m ln(m/V), V registers
 * still zero) up to 2.5 m; a 64-bit hash needs no large-range
 * correction.  Rounded to the nearest integer.
 */
uint64_t
hll_count(const struct hll *h)
{
	double m = HLL_REGS, sum = 0, e;
	size_t i, zeros = 0;

	for (i = 0; i < HLL_REGS; i++) {
		sum += 1.0 / (double)(UINT64_C(1) << h->reg[i]);
		zeros += h->reg[i] == 0;
	}
	e = 0.7213 / (1 + 1.079 / m) * m * m / sum;
	if (e <= 2.5 * m && zeros > 0)
		e = m * ln(m / (double)zeros);
	return (uint64_t)(e + 0.5);
}
