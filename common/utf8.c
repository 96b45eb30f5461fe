/*
 * utf8.c -- how much of a byte string is valid UTF-8, by the table of
 * well-formed sequences in the Unicode standard (3.9, table 3-7): no
 * overlong forms, no surrogates, nothing above U+10FFFF.  For the writers
 * of formats that must be valid UTF-8 (JSON, Prometheus label values),
 * and of anything that may reach a terminal (records, JSON): which valid
 * characters must still be escaped there.
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

/* utf8_code -- the code point of the valid len-byte sequence at s */
uint32_t
utf8_code(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t u;
	size_t i;

	if (len < 2)
		return s[0];
	u = s[0] & (0x7f >> len);
	for (i = 1; i < len; i++)
		u = u << 6 | (s[i] & 0x3f);
	return u;
}

/*
 * utf8_unsafe -- code point u, though valid UTF-8, is one a terminal
 * acts on or that hides or reorders text: a C1 control (U+0080..U+009F,
 * CSI and OSC among them), or a bidi or invisible format character
 * (U+061C, U+200B..U+200F, U+2028..U+202E, U+2060..U+206F, U+FEFF,
 * U+FFF9..U+FFFB, the tags U+E0000..U+E007F).
 */
int
utf8_unsafe(uint32_t u)
{
	return (u >= 0x80 && u <= 0x9f) || u == 0x61c ||
	    (u >= 0x200b && u <= 0x200f) || (u >= 0x2028 && u <= 0x202e) ||
	    (u >= 0x2060 && u <= 0x206f) || u == 0xfeff ||
	    (u >= 0xfff9 && u <= 0xfffb) || (u >= 0xe0000 && u <= 0xe007f);
}

/*
 * utf8_safe_seqlen -- the length of the valid UTF-8 sequence at s that
 * may reach a terminal raw (utf8_seqlen), or 0: not valid, or unsafe.
 */
size_t
utf8_safe_seqlen(const char *s, size_t n)
{
	size_t len = utf8_seqlen(s, n);

	return len >= 2 && utf8_unsafe(utf8_code(s, len)) ? 0 : len;
}
