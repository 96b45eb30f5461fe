/* fnv1a.c -- the 64-bit FNV-1a hash */
#include "httpmon.h"

/* fnv1a -- h, the hash so far (FNV1A_START to begin), over n more bytes */
uint64_t
fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	while (n-- > 0)
		h = (h ^ *s++) * UINT64_C(1099511628211);
	return h;
}
