/*
 * signals.c -- the stop policy, all of it.  SIGINT, SIGTERM and SIGHUP
 * (the stop signals) set a flag that the main loops test, so a stage
 * stops at a record boundary and flushes what it has.  SIGPIPE keeps its
 * default: a stage whose reader went away ends quietly.  A stop that
 * comes while a write is blocked (a reader that stopped reading) ends
 * the stage by that signal: see stoppable_write.  A follower may hold
 * the stop signals back everywhere but in its one wait (watch.c).
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "httpmon.h"

#define STOP_WAIT_MS	5000	/* a stopping program waits this for its reader */

static const int stop_signal[] = { SIGINT, SIGTERM, SIGHUP };
#define NSTOP	(sizeof(stop_signal) / sizeof(stop_signal[0]))

volatile int stop_requested;

/* on_stop -- remember the signal; the loops see it at a record boundary */
static void
on_stop(int sig)
{
	stop_requested = sig;
}

/* catch_stop_signals -- a stop signal sets stop_requested, nothing more */
void
catch_stop_signals(void)
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a blocking read returns EINTR and the loop ends. */
	for (i = 0; i < NSTOP; i++)
		sigaction(stop_signal[i], &sa, NULL);
}

/* stop_set -- the set of the stop signals */
static void
stop_set(sigset_t *set)
{
	size_t i;

	sigemptyset(set);
	for (i = 0; i < NSTOP; i++)
		sigaddset(set, stop_signal[i]);
}

/*
 * hold_stop_signals -- block the stop signals (catch them first);
 * waitmask gets the mask to wait with, which lets them through.
 */
void
hold_stop_signals(sigset_t *waitmask)
{
	sigset_t stop;
	size_t i;

	stop_set(&stop);
	sigprocmask(SIG_BLOCK, &stop, waitmask);
	for (i = 0; i < NSTOP; i++)
		sigdelset(waitmask, stop_signal[i]);
}

/* stop_pending -- true if a stop signal waits behind the mask */
int
stop_pending(void)
{
	sigset_t set;
	size_t i;

	if (sigpending(&set) == -1)
		return 0;
	for (i = 0; i < NSTOP; i++)
		if (sigismember(&set, stop_signal[i]) == 1)
			return 1;
	return 0;
}

/*
 * exit_by_stop -- a write blocked on a reader that does not read was
 * interrupted by a stop signal: what is left can never be delivered, so
 * end by that signal (status 128+N) rather than block forever.
 */
static _Noreturn void
exit_by_stop(void)
{
	sigset_t set;

	signal(stop_requested, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, stop_requested);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(stop_requested);
	_exit(EXIT_FAIL);
}

/*
 * write_once -- one write(2) that a stop signal can always interrupt.
 * The stop signals are let through for the write even in a program that
 * holds them back elsewhere.  Once a stop has been asked for, the last
 * output waits for a slow reader STOP_WAIT_MS at a time, at most (then
 * fails with EINTR), and goes in pieces that a pipe takes without
 * blocking.
 */
static ssize_t
write_once(int fd, const void *s, size_t n)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	sigset_t stop, old;
	ssize_t w = -1;
	int e;

	stop_set(&stop);
	sigprocmask(SIG_UNBLOCK, &stop, &old);
	if (stop_requested) {
		if (poll(&pfd, 1, STOP_WAIT_MS) == 0)
			errno = EINTR;	/* the reader is stuck: give up */
		else
			w = write(fd, s, n < PIPE_BUF ? n : PIPE_BUF);
	} else
		w = write(fd, s, n);
	e = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return w;
}

/*
 * stoppable_write -- write(2), the stop-while-writing rule applied: a
 * write interrupted by a stop signal ends the program by that signal;
 * one interrupted by another is tried again.  Never fails with EINTR.
 */
ssize_t
stoppable_write(int fd, const void *s, size_t n)
{
	ssize_t w;

	while ((w = write_once(fd, s, n)) < 0 && errno == EINTR)
		if (stop_requested)
			exit_by_stop();
	return w;
}
