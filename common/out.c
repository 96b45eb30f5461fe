/*
 * out.c -- buffered output on a file descriptor, and the one writer of
 * the record format (out_field escapes, out_end ends a record).
 *
 * stdio is avoided on the hot path: one memcpy per field and one write(2)
 * per buffer.  Callers flush before they may block on input, so a record
 * never waits in the buffer while the program sleeps.
 *
 * A writer whose output pipe may have other writers (logalert and
 * logstats read by one reader) calls out_share: each write(2) then
 * carries whole records only, at most PIPE_BUF bytes, which the kernel
 * never interleaves with another writer's; a record longer than
 * PIPE_BUF goes alone in its write.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <err.h>

#include "httpmon.h"

void
out_init(struct out *o, int fd, size_t cap)
{
	o->fd = fd;
	o->cap = cap;
	o->len = 0;
	o->error = 0;
	o->whole = 0;
	if ((o->buf = malloc(cap)) == NULL)
		err(EXIT_FAIL, "malloc");
}

/* out_share -- whole records per write(2) if the output is a pipe */
void
out_share(struct out *o)
{
	struct stat sb;

	if (fstat(o->fd, &sb) == 0 && S_ISFIFO(sb.st_mode))
		o->whole = 1;
}

void
out_free(struct out *o)
{
	free(o->buf);
	o->buf = NULL;
}

/* out_fail -- output errors are fatal: a reader gone (EPIPE) quietly */
static void
out_fail(struct out *o)
{
	if (o->error == EPIPE)
		_exit(EXIT_OK);
	errno = o->error;
	err(EXIT_IOERR, "write error");
}

/* put -- write n bytes at s, however many write(2)s it takes */
static void
put(struct out *o, const char *s, size_t n)
{
	ssize_t w;

	while (n > 0 && o->error == 0) {
		if ((w = stoppable_write(o->fd, s, n)) < 0)
			o->error = errno;
		else {
			s += w;
			n -= (size_t)w;
		}
	}
}

/*
 * piece -- how much of the n bytes at s to write at once to a shared
 * pipe: the whole records among the first PIPE_BUF bytes, or one record
 * longer than that alone; 0 if s holds no whole record (unless all).
 */
static size_t
piece(const char *s, size_t n, int all)
{
	const char *nl;

	if ((nl = memrchr(s, '\n', n < PIPE_BUF ? n : PIPE_BUF)) != NULL)
		return n <= PIPE_BUF && all ? n : (size_t)(nl + 1 - s);
	if (n <= PIPE_BUF)
		return all ? n : 0;
	if ((nl = memchr(s + PIPE_BUF, '\n', n - PIPE_BUF)) != NULL)
		return (size_t)(nl + 1 - s);
	return all ? n : 0;
}

/*
 * flush -- write the buffer out (with o->whole, the whole records only,
 * unless all: a record begun stays for the next flush); exits on failure
 * (see out_fail), or by the stop signal that came while a write blocked
 * (signals.c)
 */
static void
flush(struct out *o, int all)
{
	size_t done = 0, n;

	if (!o->whole)
		put(o, o->buf, o->len);
	else
		while (done < o->len && o->error == 0 &&
		    (n = piece(o->buf + done, o->len - done, all)) > 0) {
			put(o, o->buf + done, n);
			done += n;
		}
	if (o->error)
		out_fail(o);
	if (!o->whole)
		done = o->len;
	memmove(o->buf, o->buf + done, o->len - done);
	o->len -= done;
}

/* out_flush -- write the buffer out (see flush) */
void
out_flush(struct out *o)
{
	flush(o, 0);
}

/*
 * room -- make room for n more bytes: flush, and with o->whole grow the
 * buffer while a record longer than it is being written
 */
static void
room(struct out *o, size_t n)
{
	size_t cap;

	flush(o, 0);
	if (!o->whole || o->len + n <= o->cap)
		return;
	for (cap = o->cap; cap < o->len + n; cap *= 2)
		;
	if ((o->buf = realloc(o->buf, cap)) == NULL)
		err(EXIT_FAIL, "realloc");
	o->cap = cap;
}

void
out_write(struct out *o, const char *s, size_t n)
{
	if (o->len + n > o->cap) {
		room(o, n);
		if (o->len + n > o->cap) {
			/* Larger than the buffer: write it straight through. */
			put(o, s, n);
			if (o->error)
				out_fail(o);
			return;
		}
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

void
out_str(struct out *o, const char *s)
{
	out_write(o, s, strlen(s));
}

void
out_char(struct out *o, char c)
{
	if (o->len == o->cap)
		room(o, 1);
	o->buf[o->len++] = c;
}

void
out_int(struct out *o, int64_t v)
{
	char tmp[24], *p = tmp + sizeof(tmp);
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	out_write(o, p, (size_t)(tmp + sizeof(tmp) - p));
}

/*
 * needs_escape -- bytes a record field may not hold raw, or may hold
 * only after a closer look: every byte from 0x80 up (see out_escaped)
 */
static int
needs_escape(unsigned char c)
{
	return c < 0x20 || c >= 0x7f || c == '\\';
}

/*
 * 16 bytes as one vector (GCC and Clang vector extensions): compilers
 * turn the comparisons below into a few SIMD instructions, or plain
 * integer code where the machine has none.
 */
typedef unsigned char bytes16 __attribute__((vector_size(16)));

/* clean16 -- none of the 16 bytes at s needs escaping */
static int
clean16(const char *s)
{
	bytes16 v, bad;
	uint64_t half[2];

	memcpy(&v, s, sizeof(v));
	bad = (bytes16)((v < 0x20) | (v >= 0x7f) | (v == '\\'));
	memcpy(half, &bad, sizeof(half));
	return (half[0] | half[1]) == 0;
}

/*
 * out_clean_len -- how many bytes at the start of s need no escaping (and
 * are ASCII): all n in the common case, found 16 bytes at a time.
 */
size_t
out_clean_len(const char *s, size_t n)
{
	size_t i;

	for (i = 0; n - i >= 16 && clean16(s + i); i += 16)
		;
	/* Clean so far and under 16 bytes left: the last 16 (some seen). */
	if (i > 0 && i < n && n - i < 16 && clean16(s + n - 16))
		return n;
	while (i < n && !needs_escape((unsigned char)s[i]))
		i++;
	return i;
}

/*
 * escape_next -- the bytes at s[0..n) that out_clean_len stopped at, as
 * the record writes them, into esc (16 bytes): a valid UTF-8 character
 * that may stay raw as it is, the others each byte as \xHH (\t, \n, \r,
 * \\ for those four).  Returns the length of esc; *used is the bytes of s
 * taken, 1 to 4.
 */
static size_t
escape_next(const char *s, size_t n, char *esc, size_t *used)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c = (unsigned char)s[0];
	size_t len = 1, k, o = 0;

	if (c >= 0x80 && (len = utf8_safe_seqlen(s, n)) > 0) {
		memcpy(esc, s, len);
		*used = len;
		return len;
	}
	/* a C1 or format character: every byte of it escaped */
	if (c < 0x80 || (len = utf8_seqlen(s, n)) == 0)
		len = 1;
	for (k = 0; k < len; k++) {
		c = (unsigned char)s[k];
		esc[o++] = '\\';
		switch (c) {
		case '\t': esc[o++] = 't'; break;
		case '\n': esc[o++] = 'n'; break;
		case '\r': esc[o++] = 'r'; break;
		case '\\': esc[o++] = '\\'; break;
		default:
			esc[o++] = 'x';
			esc[o++] = hex[c >> 4];
			esc[o++] = hex[c & 0xf];
			break;
		}
	}
	*used = len;
	return o;
}

/*
 * out_escaped -- write s with TAB, CR, LF, backslash and every other
 * control byte escaped, C0, DEL and C1 alike, and the bidi and format
 * characters of unsafe_char too, each byte as \xHH; so is a byte that
 * is not valid UTF-8.  Other UTF-8 passes unchanged.  Runs of plain
 * ASCII are copied at once, which is the common case.
 */
void
out_escaped(struct out *o, const char *s, size_t n)
{
	size_t i, run, used;
	char esc[16];

	for (i = 0; ; i += used) {
		run = out_clean_len(s + i, n - i);
		out_write(o, s + i, run);
		if ((i += run) == n)
			break;
		out_write(o, esc, escape_next(s + i, n - i, esc, &used));
	}
}

/*
 * rec_escape -- s[0..n) as out_escaped writes it, into dst, which has
 * room for REC_ESCAPED_MAX(n) bytes; NUL-terminated, returns the length.
 * The text is printable ASCII and valid UTF-8, and rec_unescape gives s
 * back: a reversible, safe name for any bytes (a Prometheus label).
 */
size_t
rec_escape(char *dst, const char *s, size_t n)
{
	size_t i, run, used, o = 0;

	for (i = 0; ; i += used) {
		run = out_clean_len(s + i, n - i);
		memcpy(dst + o, s + i, run);
		o += run;
		if ((i += run) == n)
			break;
		o += escape_next(s + i, n - i, dst + o, &used);
	}
	dst[o] = '\0';
	return o;
}

/* out_field -- a TAB, then the field escaped (the type field is out_str) */
void
out_field(struct out *o, const char *s, size_t n)
{
	out_char(o, '\t');
	out_escaped(o, s, n);
}

/*
 * out_clean_field -- a TAB, then a field the caller has found needs no
 * escaping (out_clean_len): a whole clean line's fields are copied
 * without a look at each byte.
 */
void
out_clean_field(struct out *o, const char *s, size_t n)
{
	out_char(o, '\t');
	out_write(o, s, n);
}

void
out_end(struct out *o)
{
	out_char(o, '\n');
}

/*
 * out_clock -- a clock record: the writer's log time has reached t, and
 * what it wrote since its clock record before, if any, was made there
 * (logalert -c, logstats -c; logjoin orders by it)
 */
void
out_clock(struct out *o, int64_t t)
{
	out_str(o, "clock\t");
	out_int(o, t);
	out_end(o);
}

/* out_finish -- flush at exit; an output error is fatal (EXIT_IOERR) */
void
out_finish(struct out *o)
{
	flush(o, 1);
	out_free(o);
}
