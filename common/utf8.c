/*
 * utf8.c -- how much of a byte string is valid UTF-8, by the table of
 * well-formed sequences in the Unicode standard (3.9, table 3-7): no
 * overlong forms, no surrogates, nothing above U+10FFFF.  For the writers
 * of formats that must be valid UTF-8 (JSON, Prometheus label values).
 */
#include "httpmon.h"

/*
 * utf8_seqlen -- the length (1 to 4) of the valid UTF-8 sequence at the
 * start of s[0..n), or 0 if s does not start with one.
 */
size_t
utf8_seqlen(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (n == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;	/* overlong below U+0800 */
		else if (s[0] == 0xed)
			hi = 0x9f;	/* surrogates U+D800..U+DFFF */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		if (s[0] == 0xf0)
			lo = 0x90;	/* overlong below U+10000 */
		else if (s[0] == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}
