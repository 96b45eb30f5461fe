/*
 * logguard -- end a run's stages when its driver dies without stopping
 * them (SIGKILL, a crash).
 *
 * The driver starts it next to its stages: it joins the stages' process
 * group (which it thereby keeps from ending, so that the group's number
 * can never be given to other processes while it waits), then sleeps on
 * a pidfd of the driver until the driver ends: no polling, no timer.
 * A driver that lives through its own end removes its private folder
 * first and ends the guard too; a folder still there means it did not:
 * the group gets SIGTERM (every stage stops as it would for the driver,
 * saving its state), then after STOP_MS what is left gets SIGKILL, the
 * guard itself included, once the folder has been removed.
 */
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <err.h>

#include "httpmon.h"

#define STOP_MS		2000	/* from SIGTERM to SIGKILL, as the driver's */

static const struct option longopts[] = {
	{ "group",	required_argument,	NULL, 'g' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "version",	no_argument,		NULL, 'V' },
	{ NULL,		0,			NULL, 0 }
};

/* usage -- the synopsis: on stdout for -h, on stderr for a bad call */
static _Noreturn void
usage(int status)
{
	fprintf(status == EXIT_OK ? stdout : stderr, "usage: %s [-hV] "
	    "-g pgid pid folder\n", getprogname());
	exit(status);
}

/* opt_pid -- a process or group number, or a usage error */
static pid_t
opt_pid(const char *what, const char *arg)
{
	const char *errstr;
	long long n;

	n = strtonum(arg, 2, INT_MAX, &errstr);
	if (errstr != NULL)
		errx(EXIT_USAGE, "%s %s: %s", what, arg, errstr);
	return (pid_t)n;
}

/* wait_end -- sleep until process pid has ended (at once if it has) */
static void
wait_end(pid_t pid)
{
	struct pollfd pfd = { .events = POLLIN };

	if ((pfd.fd = pidfd_open(pid, 0)) == -1) {
		if (errno == ESRCH)
			return;
		err(EXIT_FAIL, "pidfd_open %d", (int)pid);
	}
	while (poll(&pfd, 1, -1) == -1)
		if (errno != EINTR)
			err(EXIT_FAIL, "poll");
	close(pfd.fd);
}

/* remove_folder -- the driver's private folder and what it holds */
static void
remove_folder(const char *dir)
{
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		warn("%s", dir);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && unlinkat(dirfd(d), de->d_name, 0) ==
		    -1 && errno != ENOENT)
			warn("%s/%s", dir, de->d_name);
	closedir(d);
	if (rmdir(dir) == -1 && errno != ENOENT)
		warn("%s", dir);
}

/* owned_folder -- dir is a folder (no link) of ours: the driver's */
static int
owned_folder(const char *dir)
{
	struct stat st;

	return lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) &&
	    st.st_uid == geteuid();
}

int
main(int argc, char *argv[])
{
	pid_t driver, group = 0;
	const char *dir;
	int ch;

	while ((ch = getopt_long(argc, argv, "g:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'g':
			group = opt_pid("-g", optarg);
			break;
		default:
			std_option(ch, usage);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2 || group == 0)
		usage(EXIT_USAGE);
	driver = opt_pid("pid", argv[0]);
	dir = argv[1];

	/* A group already gone (the stages have finished): nothing to do. */
	if (setpgid(0, group) == -1)
		return EXIT_OK;
	wait_end(driver);
	if (!owned_folder(dir))
		return EXIT_OK;		/* the driver ended as it should */
	warnx("the driver (%d) has gone: stopping its stages", (int)driver);
	signal(SIGTERM, SIG_IGN);
	kill(0, SIGTERM);
	poll(NULL, 0, STOP_MS);
	remove_folder(dir);
	kill(0, SIGKILL);
	return EXIT_OK;
}
