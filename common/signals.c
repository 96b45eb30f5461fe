/*
 * signals.c -- SIGINT, SIGTERM and SIGHUP set a flag that the main loops
 * test, so a stage stops at a record boundary and flushes what it has.
 * SIGPIPE keeps its default: a stage whose reader went away ends quietly.
 * A signal that comes while a write is blocked (a reader that stopped
 * reading) ends the stage by that signal: see out.c.
 */
#include <signal.h>
#include <string.h>

#include "httpmon.h"

volatile int stop_requested;

/* on_stop -- remember the signal; the loops see it at a record boundary */
static void
on_stop(int sig)
{
	stop_requested = sig;
}

void
install_signal_exit(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a blocking read returns EINTR and the loop ends. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}
