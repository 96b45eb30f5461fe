/*
 * logtee -- copy standard input to standard output and to files, as it
 * comes, in large blocks.
 *
 * The driver's tee: one record stream to logalert and, through a FIFO,
 * to logstats.  tee(1) moves 8 KiB per read and write; this moves what
 * each read returns (up to BLOCK bytes) with one write per output, which
 * measured at less than half tee's CPU time in the pipeline.  Nothing is
 * held back: a block is written as soon as it is read, so a record never
 * waits here while the input is idle.
 *
 * A branch named with -s never holds the others up: it is written only
 * as far as its reader takes without waiting, and what it does not take
 * yet is held in a spool (memory up to -m KiB, then an unlinked file in
 * $TMPDIR), while the input goes on being read.  The driver gives
 * logstats such a branch, so that a stalled logstats (or anything behind
 * it) never holds up logalert.  The plain outputs keep their back
 * pressure: a slow standard output slows the reading.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <err.h>

#include "httpmon.h"

#define BLOCK		(256 * 1024)	/* the largest read */
#define OUT_BUFSIZE	4096		/* larger blocks bypass the buffer */
#define MEM_DEFAULT	1024		/* -m: KiB per branch in memory */
#define STOP_WAIT_MS	5000		/* a stopping logtee waits this for a branch */

struct branch;

struct logtee {
	struct out	*out;		/* standard output, then the files */
	int		 nout;
	struct branch	*branch;	/* -s: the spooled outputs */
	int		 nbranch;
	struct pollfd	*pfd;		/* the input and the branches */
	char		*buf;
};

/* A branch (-s): written when its reader can take it, held meanwhile. */
struct branch {
	const char	*name;
	int		 fd;		/* non-blocking, its own description */
	struct spool	 q;
};

/* usage -- the synopsis: on stdout for -h, on stderr for a bad call */
static _Noreturn void
usage(int status)
{
	fprintf(status == EXIT_OK ? stdout : stderr, "usage: %s [-hV] "
	    "[-m kib] [-s file] [file ...]\n", getprogname());
	exit(status);
}

/* give -- what a branch's reader takes now, without waiting */
static void
give(struct branch *b)
{
	ssize_t n;

	while ((n = spool_send(&b->q, b->fd, BLOCK)) > 0)
		;
	if (n < 0)
		err(EXIT_IOERR, "%s", b->name);
}

/* put -- n bytes of the block to every output (exits on error) */
static void
put(struct logtee *lt, size_t n)
{
	int i;

	for (i = 0; i < lt->nbranch; i++) {
		spool_put(&lt->branch[i].q, lt->buf, n);
		give(&lt->branch[i]);
	}
	for (i = 0; i < lt->nout; i++) {
		out_write(&lt->out[i], lt->buf, n);
		out_flush(&lt->out[i]);
	}
}

/*
 * wait_once -- one poll on the input (if reading) and the branches that
 * hold something, at most ms (-1: no limit); the branches that can take
 * more are given it.  True if the input is ready; 0 and errno ETIMEDOUT
 * if nothing was to be waited for or the time ran out.
 */
static int
wait_once(struct logtee *lt, int reading, int ms)
{
	struct pollfd *pfd = lt->pfd;
	int i, n = 0, r;

	if (reading)
		pfd[n++] = (struct pollfd){ STDIN_FILENO, POLLIN, 0 };
	for (i = 0; i < lt->nbranch; i++)
		pfd[n++] = (struct pollfd){ lt->branch[i].fd,
		    spool_pending(&lt->branch[i].q) > 0 ? POLLOUT : 0, 0 };
	if (n == reading || (r = poll(pfd, (nfds_t)n, ms)) == 0) {
		errno = ETIMEDOUT;
		return 0;
	}
	if (r < 0)
		return 0;
	for (i = 0; i < lt->nbranch; i++)
		if (pfd[reading + i].revents != 0)
			give(&lt->branch[i]);
	return reading && pfd[0].revents != 0;
}

/* pending -- some branch holds something */
static int
pending(const struct logtee *lt)
{
	int i;

	for (i = 0; i < lt->nbranch; i++)
		if (spool_pending(&lt->branch[i].q) > 0)
			return 1;
	return 0;
}

/* drain -- give the branches all they hold (a stopping logtee waits for
   a reader STOP_WAIT_MS at most) */
static void
drain(struct logtee *lt)
{
	while (pending(lt)) {
		if (!wait_once(lt, 0, stop_requested ? STOP_WAIT_MS : -1) &&
		    errno == ETIMEDOUT)
			break;
	}
}

/*
 * copy -- standard input to every output until its end or a stop.  A
 * stop cuts the last block after its last newline, so that no reader is
 * left with half a record.  EXIT_FAIL after a read error.
 */
static int
copy(struct logtee *lt)
{
	ssize_t n;
	char *nl;

	while (!stop_requested) {
		if (pending(lt) && !wait_once(lt, 1, -1))
			continue;
		n = read(STDIN_FILENO, lt->buf, BLOCK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			warn("stdin");
			return EXIT_FAIL;
		}
		if (n == 0)
			break;
		if (stop_requested) {
			if ((nl = memrchr(lt->buf, '\n', (size_t)n)) == NULL)
				break;
			n = nl + 1 - lt->buf;
		}
		put(lt, (size_t)n);
	}
	drain(lt);
	return EXIT_OK;
}

/* open_branch -- a -s file (a FIFO waits for its reader), non-blocking */
static void
open_branch(struct logtee *lt, const char *name, size_t mem)
{
	struct branch *b = &lt->branch[lt->nbranch++];
	int fd;

	while ((fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0666)) == -1 &&
	    errno == EINTR && !stop_requested)
		;
	if (fd == -1)
		err(EXIT_IOERR, "%s", name);
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1)
		err(EXIT_FAIL, "%s", name);
	b->name = name;
	b->fd = fd;
	spool_init(&b->q, mem, name);
}

/* open_outputs -- standard output and each file, created or truncated */
static void
open_outputs(struct logtee *lt, int argc, char *argv[])
{
	int fd, i;

	if ((lt->out = calloc((size_t)argc + 1, sizeof(*lt->out))) == NULL)
		err(EXIT_FAIL, "calloc");
	out_init(&lt->out[lt->nout++], STDOUT_FILENO, OUT_BUFSIZE);
	for (i = 0; i < argc; i++) {
		if ((fd = open(argv[i], O_WRONLY | O_CREAT | O_TRUNC, 0666)) ==
		    -1)
			err(EXIT_IOERR, "%s", argv[i]);
		out_init(&lt->out[lt->nout++], fd, OUT_BUFSIZE);
	}
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help",	no_argument,	NULL, 'h' },
		{ "memory",	required_argument, NULL, 'm' },
		{ "spool",	required_argument, NULL, 's' },
		{ "version",	no_argument,	NULL, 'V' },
		{ NULL,		0,		NULL, 0 }
	};
	struct logtee lt;
	char **spooled;
	size_t mem = MEM_DEFAULT * 1024;
	int ch, fd, i, nspooled = 0, rval;

	if ((spooled = calloc((size_t)argc, sizeof(*spooled))) == NULL)
		err(EXIT_FAIL, "calloc");
	while ((ch = getopt_long(argc, argv, "hm:s:V", longopts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			mem = (size_t)opt_number("-m", optarg, 1, 1024 * 1024) *
			    1024;
			break;
		case 's':
			spooled[nspooled++] = optarg;
			break;
		default:
			std_option(ch, usage);
		}
	}
	argc -= optind;
	argv += optind;

	memset(&lt, 0, sizeof(lt));
	catch_stop_signals();
	if ((lt.branch = calloc((size_t)nspooled + 1, sizeof(*lt.branch))) ==
	    NULL || (lt.pfd = calloc((size_t)nspooled + 1,
	    sizeof(*lt.pfd))) == NULL)
		err(EXIT_FAIL, "calloc");
	for (i = 0; i < nspooled; i++)
		open_branch(&lt, spooled[i], mem);
	open_outputs(&lt, argc, argv);
	if ((lt.buf = malloc(BLOCK)) == NULL)
		err(EXIT_FAIL, "malloc");
	rval = copy(&lt);
	for (i = 0; i < lt.nout; i++) {
		fd = lt.out[i].fd;
		out_finish(&lt.out[i]);
		if (fd != STDOUT_FILENO && close(fd) == -1)
			err(EXIT_IOERR, "%s", argv[i - 1]);
	}
	for (i = 0; i < lt.nbranch; i++) {
		if (close(lt.branch[i].fd) == -1)
			err(EXIT_IOERR, "%s", lt.branch[i].name);
		spool_free(&lt.branch[i].q);
	}
	free(lt.branch);
	free(lt.pfd);
	free(spooled);
	free(lt.out);
	free(lt.buf);
	return rval;
}
