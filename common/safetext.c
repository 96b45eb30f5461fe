/*
 * safetext.c -- bytes from the network or a log, made safe for a
 * warning on a terminal by the one escaping the record format uses
 * (out_escaped): what a terminal shows is what a record would carry.
 */
#include <string.h>

#include "httpmon.h"

/*
 * safe_textn -- the n bytes at s escaped as a record field is, into
 * dst: at most size - 1 bytes (size >= 4), cut between two escapes with
 * "..." at the end if it is too long.  Escaped a UTF-8 sequence (or a
 * byte) at a time, so an escape is never cut in two.  Returns dst.
 */
const char *
safe_textn(char *dst, size_t size, const char *s, size_t n)
{
	struct out o;
	size_t i, k, keep = 0;

	out_init(&o, -1, 64);	/* one sequence escaped: never flushed */
	for (i = 0; i < n; i += k) {
		if ((k = utf8_seqlen(s + i, n - i)) == 0)
			k = 1;
		o.len = 0;
		out_escaped(&o, s + i, k);
		if (keep + o.len > size - 4 && (i + k < n ||
		    keep + o.len > size - 1)) {
			memcpy(dst + keep, "...", 3);
			keep += 3;
			break;
		}
		memcpy(dst + keep, o.buf, o.len);
		keep += o.len;
	}
	dst[keep] = '\0';
	out_free(&o);
	return dst;
}

/* safe_text -- the string s (NULL gives "?") made safe: safe_textn */
const char *
safe_text(char *dst, size_t size, const char *s)
{
	if (s == NULL)
		s = "?";
	return safe_textn(dst, size, s, strlen(s));
}
