/*
 * signals.c -- SIGINT, SIGTERM and SIGHUP set a flag that the main loops
 * test, so a stage stops at a record boundary and flushes what it has.
 * SIGPIPE keeps its default: a stage whose reader went away ends quietly.
 */
#include <signal.h>
#include <string.h>

#include "httpmon.h"

volatile int stop_requested;

static void
on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
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
