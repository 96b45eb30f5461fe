/*
 * siphash.c -- SipHash-1-3, the keyed hash of every table whose keys
 * come from log data, and the random key of a run.
 *
 * A table indexed by an unkeyed hash (FNV-1a and its low bits) can be
 * flooded: keys whose hashes collide are computed offline and every
 * lookup then walks all of them.  With a key drawn at random for each
 * run, nobody outside the process can tell which keys collide.  Output
 * never depends on the key: whatever a table holds is sorted before it
 * is written.
 */
#include <sys/random.h>

#include <string.h>

#include <err.h>

#include "httpmon.h"

#define ROTL(x, b)	(uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

/* sipround -- one SipRound on the state v */
static void
sipround(uint64_t v[4])
{
	v[0] += v[1]; v[1] = ROTL(v[1], 13); v[1] ^= v[0];
	v[0] = ROTL(v[0], 32);
	v[2] += v[3]; v[3] = ROTL(v[3], 16); v[3] ^= v[2];
	v[0] += v[3]; v[3] = ROTL(v[3], 21); v[3] ^= v[0];
	v[2] += v[1]; v[1] = ROTL(v[1], 17); v[1] ^= v[2];
	v[2] = ROTL(v[2], 32);
}

/* le64 -- 8 bytes at p as a little-endian number */
static uint64_t
le64(const unsigned char *p)
{
	uint64_t m = 0;
	int i;

	for (i = 7; i >= 0; i--)
		m = m << 8 | p[i];
	return m;
}

/* siphash -- SipHash-1-3 of n bytes at p under key k */
uint64_t
siphash(const struct hashkey *k, const void *p, size_t n)
{
	const unsigned char *s = p;
	unsigned char last[8];
	uint64_t v[4], m;
	size_t i;

	v[0] = k->k[0] ^ UINT64_C(0x736f6d6570736575);
	v[1] = k->k[1] ^ UINT64_C(0x646f72616e646f6d);
	v[2] = k->k[0] ^ UINT64_C(0x6c7967656e657261);
	v[3] = k->k[1] ^ UINT64_C(0x7465646279746573);
	for (i = 0; n - i >= 8; i += 8) {
		m = le64(s + i);
		v[3] ^= m;
		sipround(v);
		v[0] ^= m;
	}
	memset(last, 0, sizeof(last));
	memcpy(last, s + i, n - i);
	last[7] = (unsigned char)n;
	m = le64(last);
	v[3] ^= m;
	sipround(v);
	v[0] ^= m;
	v[2] ^= 0xff;
	sipround(v);
	sipround(v);
	sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/*
 * hashkey_random -- a fresh random key, for one run (getrandom(2), not
 * libbsd's arc4random: its state costs a third of a megabyte).
 */
void
hashkey_random(struct hashkey *k)
{
	if (getrandom(k->k, sizeof(k->k), 0) != (ssize_t)sizeof(k->k))
		err(EXIT_FAIL, "getrandom");
}
