/*
 * spool.c -- a queue of bytes whose writer never waits: what a slow
 * reader has not taken yet is held in memory up to a cap, and beyond it
 * in a temporary file, created in $TMPDIR (default /tmp) and unlinked at
 * once, so that it goes away with the program whatever ends it.
 *
 * The bytes in memory come before the bytes in the file.  While the file
 * holds any, new bytes go to its end, so that order is kept; as the
 * reader takes the memory's bytes they are refilled from the file's
 * start, and once the file is read to its end it is emptied (truncated)
 * and memory is used alone again.  Memory is the cap, or a little more
 * to hold one line longer than it (spool_line).
 */
#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <err.h>

#include "httpmon.h"

void
spool_init(struct spool *sp, size_t max, const char *name)
{
	memset(sp, 0, sizeof(*sp));
	sp->max = max;
	sp->name = name;
	sp->tmpfd = -1;
}

void
spool_free(struct spool *sp)
{
	free(sp->buf);
	sp->buf = NULL;
	if (sp->tmpfd != -1)
		close(sp->tmpfd);
	sp->tmpfd = -1;
}

/* spool_pending -- bytes held, in memory and in the file */
uint64_t
spool_pending(const struct spool *sp)
{
	return sp->len + (uint64_t)(sp->wr - sp->rd);
}

/* reserve -- room for n more bytes after the memory's, moved to the start */
static void
reserve(struct spool *sp, size_t n)
{
	size_t cap;

	if (sp->start > 0) {
		memmove(sp->buf, sp->buf + sp->start, sp->len);
		sp->start = 0;
	}
	if (sp->len + n <= sp->cap)
		return;
	for (cap = sp->cap ? sp->cap : 4096; cap < sp->len + n; cap *= 2)
		;
	if ((sp->buf = realloc(sp->buf, cap)) == NULL)
		err(EXIT_FAIL, "realloc");
	sp->cap = cap;
}

/* spill -- append n bytes to the file, made on first use */
static void
spill(struct spool *sp, const char *s, size_t n)
{
	char path[PATH_MAX];
	const char *dir = getenv("TMPDIR");
	ssize_t w;

	if (sp->tmpfd == -1) {
		snprintf(path, sizeof(path), "%s/%s.XXXXXX",
		    dir != NULL && *dir != '\0' ? dir : "/tmp", getprogname());
		if ((sp->tmpfd = mkstemp(path)) == -1)
			err(EXIT_FAIL, "%s: spill file %s", sp->name, path);
		unlink(path);
	}
	while (n > 0) {
		if ((w = pwrite(sp->tmpfd, s, n, sp->wr)) < 0) {
			if (errno == EINTR)
				continue;
			err(EXIT_FAIL, "%s: spill file", sp->name);
		}
		s += w;
		n -= (size_t)w;
		sp->wr += w;
	}
	sp->spilled = 1;
}

/* spool_put -- queue n bytes: in memory while the cap allows, else spilled */
void
spool_put(struct spool *sp, const char *s, size_t n)
{
	if (n == 0)
		return;		/* (buf may still be NULL: not for memcpy) */
	if (sp->wr == sp->rd && sp->len + n <= sp->max) {
		if (sp->start + sp->len + n > sp->cap)
			reserve(sp, n);
		memcpy(sp->buf + sp->start + sp->len, s, n);
		sp->len += n;
	} else
		spill(sp, s, n);
}

/* refill -- move up to want bytes from the file's start into memory */
static void
refill(struct spool *sp, size_t want)
{
	ssize_t r;

	if ((uint64_t)want > (uint64_t)(sp->wr - sp->rd))
		want = (size_t)(sp->wr - sp->rd);
	reserve(sp, want);
	while (want > 0) {
		if ((r = pread(sp->tmpfd, sp->buf + sp->len, want, sp->rd)) <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			err(EXIT_FAIL, "%s: spill file", sp->name);
		}
		sp->len += (size_t)r;
		sp->rd += r;
		want -= (size_t)r;
	}
	if (sp->rd == sp->wr) {
		/* Read to its end: empty it, memory alone again. */
		if (ftruncate(sp->tmpfd, 0) == -1)
			err(EXIT_FAIL, "%s: spill file", sp->name);
		sp->rd = sp->wr = 0;
	}
}

/*
 * spool_line -- the first whole line held (its newline included), in
 * memory; 0 if none is (a line is only ever put whole by the callers
 * that use this).  Valid until the next call on sp.
 */
int
spool_line(struct spool *sp, char **line, size_t *len)
{
	char *nl;
	size_t seen = 0;

	for (;;) {
		/* Nothing held yet: buf may still be NULL, not for memchr. */
		nl = sp->len > seen ? memchr(sp->buf + sp->start + seen, '\n',
		    sp->len - seen) : NULL;
		if (nl != NULL) {
			*line = sp->buf + sp->start;
			*len = (size_t)(nl + 1 - *line);
			return 1;
		}
		if (sp->wr == sp->rd)
			return 0;
		seen = sp->len;
		refill(sp, sp->max > sp->len ? sp->max - sp->len : 4096);
	}
}

/* spool_drop -- the first n bytes held (in memory) are taken */
void
spool_drop(struct spool *sp, size_t n)
{
	sp->start += n;
	sp->len -= n;
	if (sp->len == 0)
		sp->start = 0;
}

/*
 * spool_send -- write what is held to fd, at most most bytes, in one
 * write(2); the bytes written are dropped.  The count written, 0 if none
 * is held or fd would block (EAGAIN), -1 on an error (errno set).
 */
ssize_t
spool_send(struct spool *sp, int fd, size_t most)
{
	ssize_t w;

	if (sp->len == 0 && sp->wr > sp->rd)
		refill(sp, sp->max);
	if (sp->len == 0)
		return 0;
	if ((w = write(fd, sp->buf + sp->start,
	    sp->len < most ? sp->len : most)) < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	spool_drop(sp, (size_t)w);
	return w;
}
