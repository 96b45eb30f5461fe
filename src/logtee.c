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
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <err.h>

#include "httpmon.h"

#define BLOCK		(256 * 1024)	/* the largest read */
#define OUT_BUFSIZE	4096		/* larger blocks bypass the buffer */

struct logtee {
	struct out	*out;		/* standard output, then the files */
	int		 nout;
	char		*buf;
};

/* usage -- the synopsis: on stdout for -h, on stderr for a bad call */
static _Noreturn void
usage(int status)
{
	fprintf(status == EXIT_OK ? stdout : stderr, "usage: %s [-hV] "
	    "[file ...]\n", getprogname());
	exit(status);
}

/* put -- write n bytes of the block to every output (exits on error) */
static void
put(struct logtee *lt, size_t n)
{
	int i;

	for (i = 0; i < lt->nout; i++) {
		out_write(&lt->out[i], lt->buf, n);
		out_flush(&lt->out[i]);
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
	return EXIT_OK;
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
		{ "version",	no_argument,	NULL, 'V' },
		{ NULL,		0,		NULL, 0 }
	};
	struct logtee lt;
	int ch, fd, i, rval;

	while ((ch = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(EXIT_OK);
		case 'V':
			printf("logtee %s\n", HTTPMON_VERSION);
			return EXIT_OK;
		default:
			usage(EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;

	memset(&lt, 0, sizeof(lt));
	catch_stop_signals();
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
	free(lt.out);
	free(lt.buf);
	return rval;
}
