/*
 * options.c -- what every program's option loop ends with: -h, -V and
 * a bad option, answered the same way by every program.
 */
#include <stdio.h>
#include <stdlib.h>

#include "httpmon.h"

/*
 * std_option -- the option ch that the program's own cases did not take:
 * -h prints the usage on stdout and exits 0, -V the name and version,
 * anything else the usage on stderr, exit 64.
 */
void
std_option(int ch, void (*usage)(int))
{
	if (ch == 'V') {
		printf("%s %s\n", getprogname(), HTTPMON_VERSION);
		exit(fflush(stdout) == 0 ? EXIT_OK : EXIT_IOERR);
	}
	usage(ch == 'h' ? EXIT_OK : EXIT_USAGE);
	exit(EXIT_USAGE);	/* usage does not return */
}
