/* grow_array.c -- room for more items in an array that doubles */
#include <stdlib.h>

#include <err.h>

#include "httpmon.h"

/*
 * grow_array -- p, an array of *cap items of size bytes, made room for
 * need items: its capacity doubled (from first) until they fit.  The
 * array, perhaps moved; exits if memory runs out.
 */
void *
grow_array(void *p, size_t *cap, size_t need, size_t size, size_t first)
{
	size_t n = *cap ? *cap : first;

	while (n < need)
		n *= 2;
	if (n == *cap)
		return p;
	if ((p = reallocarray(p, n, size)) == NULL)
		err(EXIT_FAIL, "malloc");
	*cap = n;
	return p;
}
