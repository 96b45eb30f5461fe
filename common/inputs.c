/*
 * inputs.c -- the loop every filter shares: each input named on the
 * command line in turn, "-" or no name at all meaning standard input.
 * The loop over the lines of one input is lr_each, in lineio.c.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <err.h>

#include "httpmon.h"

/*
 * each_input -- run fn on every input named in argv, or on standard input
 * (called stdin_name) if there is none, until a stop is requested.  An
 * input that cannot be opened is warned about and skipped.  Returns the
 * first non-zero status: EXIT_NOINPUT for an input not opened, or what fn
 * returned; EXIT_OK if there was none.
 */
int
each_input(int argc, char *argv[], const char *stdin_name,
    int (*fn)(void *, int, const char *), void *ctx)
{
	int fd, i, r, rval = EXIT_OK;

	if (argc == 0)
		return fn(ctx, STDIN_FILENO, stdin_name);
	for (i = 0; i < argc && !stop_requested; i++) {
		if (strcmp(argv[i], "-") == 0)
			r = fn(ctx, STDIN_FILENO, stdin_name);
		else if ((fd = open(argv[i], O_RDONLY)) == -1) {
			warn("%s", argv[i]);
			r = EXIT_NOINPUT;
		} else {
			r = fn(ctx, fd, argv[i]);
			close(fd);
		}
		if (r != EXIT_OK && rval == EXIT_OK)
			rval = r;
	}
	return rval;
}
