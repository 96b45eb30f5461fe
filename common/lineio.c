/*
 * lineio.c -- read newline-terminated lines of bounded length.
 *
 * One buffer of the longest allowed line; lines are returned in place
 * (no copy, no allocation per line).  A line of maxline bytes or more
 * (newline not counted) is reported once as LR_TOOLONG and the rest of
 * it skipped, so an abusive line costs a bounded amount of memory.  A
 * last line without a newline at end of input is still returned.
 *
 * Before a read that may block, the program's idle callback runs, then
 * the attached output is flushed (the s6 rule: flush whenever you risk
 * blocking on input).  That is the one moment a filter may end a group,
 * send a batch or rewrite a file, and lr_each is the one loop that every
 * filter reading to the end of its input shares.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <err.h>

#include "httpmon.h"

#define READ_CHUNK	(256 * 1024)

void
lr_init(struct linereader *lr, int fd, size_t maxline, struct out *flush)
{
	memset(lr, 0, sizeof(*lr));
	lr->fd = fd;
	lr->cap = maxline + READ_CHUNK;
	lr->flush = flush;
	if ((lr->buf = malloc(lr->cap + 1)) == NULL)
		err(EXIT_FAIL, "malloc");
}

void
lr_free(struct linereader *lr)
{
	free(lr->buf);
	lr->buf = NULL;
}

/* input_would_block -- true if a read on fd would wait for data */
static int
input_would_block(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 0;
}

/*
 * fill -- read more input after the unconsumed bytes; 0 at EOF, -1 error
 * (errno EINTR if a stop was requested while the idle callback waited).
 */
static ssize_t
fill(struct linereader *lr)
{
	ssize_t n;
	int flush;

	if (lr->start > 0) {
		memmove(lr->buf, lr->buf + lr->start, lr->end - lr->start);
		lr->end -= lr->start;
		lr->start = 0;
	}
	flush = lr->flush != NULL && lr->flush->len > 0;
	if ((lr->idle != NULL || flush) && input_would_block(lr->fd)) {
		if (lr->idle != NULL) {
			lr->idle(lr->ctx, lr->fd);
			if (stop_requested) {
				errno = EINTR;
				return -1;
			}
		}
		if (lr->flush != NULL && lr->flush->len > 0)
			out_flush(lr->flush);
	}
	do
		n = read(lr->fd, lr->buf + lr->end, lr->cap - lr->end);
	while (n < 0 && errno == EINTR && !stop_requested);
	if (n > 0)
		lr->end += (size_t)n;
	return n;
}

/*
 * lr_next -- the next line of the input, in place: *line points into the
 * reader's buffer, NUL-terminated at *len (the newline dropped), valid
 * until the next call.  LR_LINE for a line; LR_TOOLONG, once, for a line
 * of maxline bytes or more (*line NULL), whose rest is skipped; LR_EOF at
 * the end of input or after a stop signal; LR_ERROR for a read error
 * (errno set; EAGAIN on a non-blocking input with no whole line yet, the
 * partial line kept for the next call).  It returns without reading
 * while a whole line is buffered, and blocks in read(2) only when none
 * is, after the idle callback and the flush.  lr->lineno numbers the
 * line (or over-long line) just returned.
 */
enum lr_status
lr_next(struct linereader *lr, char **line, size_t *len)
{
	char *nl;
	ssize_t n;

	for (;;) {
		/*
		 * Search only the bytes not searched before: a long line that
		 * arrives in small reads would otherwise be rescanned from its
		 * start after every read, quadratic in its length.
		 */
		nl = memchr(lr->buf + lr->start + lr->scanned, '\n',
		    lr->end - lr->start - lr->scanned);
		if (nl == NULL)
			lr->scanned = lr->end - lr->start;
		if (nl != NULL) {
			lr->scanned = 0;
			*line = lr->buf + lr->start;
			*len = (size_t)(nl - *line);
			*nl = '\0';
			lr->start += *len + 1;
			if (lr->skipping) {
				/* The end of an over-long line, already counted. */
				lr->skipping = 0;
				continue;
			}
			lr->lineno++;
			/*
			 * Too long however it arrived: whether the newline came
			 * in the same read must not decide, or a replay could
			 * differ from the live run.
			 */
			if (*len >= lr->cap - READ_CHUNK) {
				*line = NULL;
				*len = 0;
				return LR_TOOLONG;
			}
			return LR_LINE;
		}
		if (lr->end - lr->start >= lr->cap - READ_CHUNK) {
			/* Over-long: drop what we hold, skip to its newline. */
			lr->start = lr->end = lr->scanned = 0;
			if (!lr->skipping) {
				lr->skipping = 1;
				lr->lineno++;
				*line = NULL;
				*len = 0;
				return LR_TOOLONG;
			}
		}
		if (lr->eof)
			return LR_EOF;
		n = fill(lr);
		if (n < 0)
			return errno == EINTR ? LR_EOF : LR_ERROR;
		if (n == 0) {
			lr->eof = 1;
			if (lr->end > lr->start && !lr->skipping) {
				/* A last line without its newline. */
				*line = lr->buf + lr->start;
				*len = lr->end - lr->start;
				(*line)[*len] = '\0';
				lr->start = lr->end;
				lr->scanned = 0;
				lr->lineno++;
				return LR_LINE;
			}
			return LR_EOF;
		}
	}
}

/*
 * lr_each -- read fd to its end, or to a stop signal, handing each line
 * and its number to calls->line(ctx, ...).  A line too long goes to
 * calls->toolong if there is one, else to bad as "line too long".
 * calls->idle(ctx, fd), if any, runs whenever the input would block,
 * before flush is flushed; it may itself wait on fd (poll), and a stop
 * requested meanwhile ends the input.  EXIT_OK, or EXIT_FAIL after a
 * read error (warned, naming the input).
 */
int
lr_each(int fd, const char *name, struct out *flush, struct badinput *bad,
    const struct lr_calls *calls, void *ctx)
{
	struct linereader lr;
	enum lr_status st;
	char *line;
	size_t len;
	int rval = EXIT_OK;

	lr_init(&lr, fd, LINE_MAX_DEFAULT, flush);
	lr.idle = calls->idle;
	lr.ctx = ctx;
	while (!stop_requested &&
	    (st = lr_next(&lr, &line, &len)) != LR_EOF) {
		if (st == LR_ERROR) {
			warn("%s", name);
			rval = EXIT_FAIL;
			break;
		}
		if (st == LR_LINE)
			calls->line(ctx, line, len, lr.lineno);
		else if (calls->toolong != NULL)
			calls->toolong(ctx, lr.lineno);
		else
			bad_report(bad, lr.lineno, "line too long", NULL, 0);
	}
	lr_free(&lr);
	return rval;
}
