/* bytes_cmp.c -- the order of two byte strings */
#include <string.h>

#include "httpmon.h"

/* bytes_cmp -- <0, 0, >0 as a sorts before, with, after b: bytewise,
   a prefix first */
int
bytes_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c;
	return (alen > blen) - (alen < blen);
}
