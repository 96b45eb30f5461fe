/*
 * logjoin -- merge record streams into one order that does not depend on
 * scheduling, without ever making a writer wait.
 *
 * Each input is a stream of records with clock marks (logalert -c,
 * logstats -c), whose times increase.  A clock t closes an epoch: the
 * records since the clock before it were made when the writer's log
 * time reached t, and belong to epoch t; the records after the last
 * clock at the end of an input to the last epoch of all.  The output is
 * every record, in the order
 *
 *   by epoch, then by input (as named), then as in its input,
 *
 * which is a function of the inputs' contents alone: a replay gives the
 * same bytes every run.  A record is written once its epoch is closed in
 * its input and no record can come that sorts before it: every input
 * before its own has closed its epoch (or ended), and every input after
 * it has closed the epoch before (or ended).  Until then it waits in its
 * input's queue, behind an internal clock line that gives its epoch.
 * With -c a clock record is written whenever every input has closed a
 * later epoch than the last one written, so that a renderer knows that
 * what it has is whole (logshow ends a group there).
 *
 * logjoin never blocks on an input or an output: it waits in one poll for
 * all of them, reads every input as soon as it has data and holds what an
 * output cannot take yet.  The queues (one per input, one per output) are
 * spools: memory up to a cap (-m), then an unlinked temporary file in
 * $TMPDIR.  A reader that stops reading (a stopped display) makes its
 * queue grow; it holds up no writer and no other output.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <err.h>

#include "httpmon.h"

#define MEM_DEFAULT	1024		/* KiB held in memory per queue */
#define MAXOUT		2		/* standard output and -o */
#define STOP_WAIT_MS	5000		/* a stopping logjoin waits this for a reader */

struct input {
	const char	*name;
	int		 fd;
	struct linereader lr;
	struct spool	 open;		/* read since the last clock */
	struct spool	 q;		/* closed epochs, each after its clock */
	int64_t		 seen;		/* the last clock read: epochs closed */
	int64_t		 head;		/* the epoch of the queue's first record */
	int		 ended;
	struct badinput	 bad;
};

struct output {
	const char	*name;
	int		 fd;
	size_t		 most;		/* bytes per write(2) */
	struct spool	 q;		/* not yet taken by the reader */
};

struct joiner {
	struct input	*in;
	int		 nin;
	struct output	 out[MAXOUT];
	int		 nout;
	int		 marks;		/* -c: clock records out */
	int64_t		 epoch;		/* of the last record written */
	int		 unmarked;	/* no clock written since it */
	int		 rval;
};

/* usage -- the synopsis: on stdout for -h, on stderr for a bad call */
static _Noreturn void
usage(int status)
{
	fprintf(status == EXIT_OK ? stdout : stderr, "usage: %s [-chV] "
	    "[-m kib] [-o file] file ...\n", getprogname());
	exit(status);
}

/* clock_of -- the time of a clock record (line without its newline) up
   to max, or -1 */
static int64_t
clock_of(const char *line, size_t len, int64_t max)
{
	const char *f = line + 6, *tab;
	int64_t t;

	if (len < 7 || memcmp(line, "clock\t", 6) != 0)
		return -1;
	tab = memchr(f, '\t', len - 6);
	if (parse_int64(f, (size_t)((tab ? tab : line + len) - f), 0, max,
	    &t) != 0)
		return -1;
	return t;
}

/* put_clock -- a clock line at t to a spool */
static void
put_clock(struct spool *q, int64_t t)
{
	char buf[40];
	int n = snprintf(buf, sizeof(buf), "clock\t%lld\n", (long long)t);

	spool_put(q, buf, (size_t)n);
}

/*
 * close_epoch -- the records read since the last clock belong to epoch
 * t: to the queue, behind a clock line that says so
 */
static void
close_epoch(struct input *in, int64_t t)
{
	char *line;
	size_t len;

	if (spool_pending(&in->open) > 0) {
		put_clock(&in->q, t);
		while (spool_line(&in->open, &line, &len)) {
			spool_put(&in->q, line, len);
			spool_drop(&in->open, len);
		}
	}
}

/*
 * take -- one line read from an input: the header dropped, a clock
 * closes an epoch (one not later than the last is ignored), anything
 * else waits for the clock that closes its epoch
 */
static void
take(struct input *in, char *line, size_t len)
{
	int64_t t;

	if (len == sizeof(RECORDS_HEADER) - 1 &&
	    memcmp(line, RECORDS_HEADER, len) == 0)
		return;
	if (len >= 6 && memcmp(line, "clock\t", 6) == 0) {
		if ((t = clock_of(line, len, TIME_MAX)) < 0)
			bad_report(&in->bad, in->lr.lineno, "clock: bad time",
			    line, len);
		else if (t > in->seen) {
			close_epoch(in, t);
			in->seen = t;
		}
		return;
	}
	line[len] = '\n';
	spool_put(&in->open, line, len + 1);
}

/* end_input -- at its end, what an input left open comes last of all */
static void
end_input(struct input *in)
{
	close_epoch(in, INT64_MAX);
	in->ended = 1;
	close(in->fd);
}

/* read_input -- what an input has now, to its queue; at its end, ended */
static void
read_input(struct joiner *j, struct input *in)
{
	enum lr_status st;
	char *line;
	size_t len;

	while (!stop_requested) {
		st = lr_next(&in->lr, &line, &len);
		if (st == LR_LINE)
			take(in, line, len);
		else if (st == LR_TOOLONG)
			bad_report(&in->bad, in->lr.lineno, "line too long",
			    NULL, 0);
		else if (st == LR_ERROR && errno == EAGAIN)
			return;
		else {
			if (st == LR_ERROR) {
				warn("%s", in->name);
				j->rval = EXIT_FAIL;
			}
			end_input(in);
			return;
		}
	}
}

/*
 * next -- the input whose first record comes next, or NULL if none may be
 * written yet (an input that may still send an earlier one has nothing
 * queued) or there is none.  Clocks at a queue's head are consumed.
 */
static struct input *
next(struct joiner *j)
{
	struct input *in, *best = NULL;
	int64_t e, best_e = 0, t;
	int has, best_has = 0, i;
	char *line;
	size_t len;

	for (i = 0; i < j->nin; i++) {
		in = &j->in[i];
		while ((has = spool_line(&in->q, &line, &len)) &&
		    (t = clock_of(line, len - 1, INT64_MAX)) >= 0) {
			in->head = t;
			spool_drop(&in->q, len);
		}
		if (!has && in->ended)
			continue;
		/* Nothing queued: it may still close epochs after seen. */
		e = has ? in->head : in->seen + 1;
		/* Strictly earlier: on a tie the input named first wins. */
		if (best == NULL || e < best_e) {
			best = in;
			best_e = e;
			best_has = has;
		}
	}
	return best_has ? best : NULL;
}

/*
 * mark -- with -c, a clock record after the last record of an epoch,
 * once it is known to be the last: at the same place in the output
 * whenever it is known (the epoch of what an input left open at its end
 * is written as the latest time read)
 */
static void
mark(struct joiner *j)
{
	int64_t t = j->epoch, top = 0;
	int i, o;

	j->unmarked = 0;
	if (!j->marks)
		return;
	if (t == INT64_MAX) {
		for (i = 0; i < j->nin; i++)
			if (j->in[i].seen > top)
				top = j->in[i].seen;
		t = top;
	}
	for (o = 0; o < j->nout; o++)
		put_clock(&j->out[o].q, t);
}

/* release -- every record that may be written now, to every output */
static void
release(struct joiner *j)
{
	struct input *in;
	char *line;
	size_t len;
	int o;

	int64_t closed = INT64_MAX;
	int i;

	while ((in = next(j)) != NULL) {
		if (j->unmarked && in->head != j->epoch)
			mark(j);
		spool_line(&in->q, &line, &len);
		for (o = 0; o < j->nout; o++)
			spool_put(&j->out[o].q, line, len);
		spool_drop(&in->q, len);
		j->epoch = in->head;
		j->unmarked = 1;
	}
	/* The epoch last written is whole once every input has closed it. */
	for (i = 0; i < j->nin; i++)
		if (!j->in[i].ended && j->in[i].seen < closed)
			closed = j->in[i].seen;
	if (j->unmarked && j->epoch <= closed)
		mark(j);
}

/* give -- what an output's reader can take now; a write error is fatal */
static void
give(struct output *out)
{
	ssize_t n;

	do {
		if ((n = spool_send(&out->q, out->fd, out->most)) < 0)
			err(EXIT_IOERR, "%s", out->name);
	} while (n > 0 && out->most > PIPE_BUF);
}

/* all_ended -- every input has ended */
static int
all_ended(const struct joiner *j)
{
	int i;

	for (i = 0; i < j->nin; i++)
		if (!j->in[i].ended)
			return 0;
	return 1;
}

/*
 * reader_gone -- an output's reader went away while nothing was held for
 * it: end as a write would have (SIGPIPE, or quietly where it is ignored),
 * so that the stages before us learn it at once
 */
static _Noreturn void
reader_gone(void)
{
	raise(SIGPIPE);
	_exit(EXIT_OK);
}

/*
 * wait_once -- one poll on the inputs still open and the outputs that
 * hold something, for at most ms (-1: no limit), then the reads and the
 * writes it allows; 0 if there was nothing to wait for or the time ran
 * out.  An output with nothing held is watched for its reader going away.
 */
static int
wait_once(struct joiner *j, int reading, int ms)
{
	struct pollfd pfd[64 + MAXOUT];
	void *who[64 + MAXOUT];
	int i, n = 0, r, waiting = 0;

	for (i = 0; reading && i < j->nin; i++)
		if (!j->in[i].ended) {
			pfd[n] = (struct pollfd){ j->in[i].fd, POLLIN, 0 };
			who[n++] = &j->in[i];
			waiting++;
		}
	for (i = 0; i < j->nout; i++) {
		pfd[n] = (struct pollfd){ j->out[i].fd, 0, 0 };
		if (spool_pending(&j->out[i].q) > 0) {
			pfd[n].events = POLLOUT;
			waiting++;
		}
		who[n++] = &j->out[i];
	}
	if (waiting == 0)
		return 0;
	if ((r = poll(pfd, (nfds_t)n, ms)) < 0) {
		if (errno != EINTR)
			err(EXIT_FAIL, "poll");
		return 1;
	}
	if (r == 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (pfd[i].revents == 0)
			continue;
		if (pfd[i].events == POLLIN)
			read_input(j, who[i]);
		else if (pfd[i].events == POLLOUT)
			give(who[i]);
		else if (pfd[i].revents & (POLLERR | POLLHUP))
			reader_gone();
	}
	return 1;
}

/*
 * join -- read every input to its end, writing the merged records as
 * they may be; then give the readers what is held.  A stop signal ends
 * the reading; what is held is then offered for STOP_WAIT_MS at most.
 */
static void
join(struct joiner *j)
{
	int i;

	while (!stop_requested && !all_ended(j)) {
		release(j);
		wait_once(j, 1, -1);
	}
	for (i = 0; i < j->nin; i++)
		if (!j->in[i].ended)
			end_input(&j->in[i]);
	release(j);
	while (wait_once(j, 0, stop_requested ? STOP_WAIT_MS : -1))
		;
}

/* open_input -- a file or FIFO (waiting for its writer), then non-blocking */
static void
open_input(struct joiner *j, const char *name, size_t mem)
{
	struct input *in = &j->in[j->nin++];
	int fd;

	while ((fd = open(name, O_RDONLY)) == -1 && errno == EINTR &&
	    !stop_requested)
		;
	if (fd == -1)
		err(EXIT_NOINPUT, "%s", name);
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1)
		err(EXIT_FAIL, "%s", name);
	in->name = name;
	in->fd = fd;
	in->seen = in->head = -1;	/* before any clock: first */
	lr_init(&in->lr, fd, LINE_MAX_DEFAULT, NULL);
	spool_init(&in->open, mem, name);
	spool_init(&in->q, mem, name);
	bad_init(&in->bad, "record", name);
}

/*
 * open_output -- standard output (fd 1), written after poll says it may
 * be, PIPE_BUF at a time so that a write never blocks; or a file or FIFO
 * (waiting for its reader), made non-blocking, its own description
 */
static void
open_output(struct joiner *j, const char *name, int fd, size_t mem)
{
	struct output *out = &j->out[j->nout++];

	out->most = PIPE_BUF;
	if (fd == -1) {
		while ((fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0666)) ==
		    -1 && errno == EINTR && !stop_requested)
			;
		if (fd == -1)
			err(EXIT_IOERR, "%s", name);
		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1)
			err(EXIT_FAIL, "%s", name);
		out->most = 1024 * 1024;
	}
	out->name = name;
	out->fd = fd;
	spool_init(&out->q, mem, name);
	spool_put(&out->q, RECORDS_HEADER "\n", sizeof(RECORDS_HEADER));
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "clock",	no_argument,		NULL, 'c' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "memory",	required_argument,	NULL, 'm' },
		{ "output",	required_argument,	NULL, 'o' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL,		0,			NULL, 0 }
	};
	struct joiner j;
	const char *second = NULL;
	size_t mem = MEM_DEFAULT * 1024;
	int ch, i, marks = 0;

	while ((ch = getopt_long(argc, argv, "chm:o:V", longopts, NULL)) != -1)
		switch (ch) {
		case 'c':
			marks = 1;
			break;
		case 'm':
			mem = (size_t)opt_number("-m", optarg, 1, 1024 * 1024) *
			    1024;
			break;
		case 'o':
			second = optarg;
			break;
		default:
			std_option(ch, usage);
		}
	argc -= optind;
	argv += optind;
	if (argc < 1 || argc > 64)
		usage(EXIT_USAGE);

	memset(&j, 0, sizeof(j));
	j.marks = marks;
	catch_stop_signals();
	open_output(&j, "stdout", STDOUT_FILENO, mem);
	if (second != NULL)
		open_output(&j, second, -1, mem);
	if ((j.in = calloc((size_t)argc, sizeof(*j.in))) == NULL)
		err(EXIT_FAIL, "calloc");
	for (i = 0; i < argc; i++)
		open_input(&j, argv[i], mem);
	join(&j);
	for (i = 0; i < j.nin; i++) {
		bad_summary(&j.in[i].bad);
		lr_free(&j.in[i].lr);
		spool_free(&j.in[i].open);
		spool_free(&j.in[i].q);
	}
	for (i = 0; i < j.nout; i++) {
		if (j.out[i].fd != STDOUT_FILENO && close(j.out[i].fd) == -1)
			err(EXIT_IOERR, "%s", j.out[i].name);
		spool_free(&j.out[i].q);
	}
	free(j.in);
	return j.rval;
}
