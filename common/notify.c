/*
 * notify.c -- alert hooks and syslog (logalert --on-alert, --syslog).
 *
 * A hook runs as `sh -c CMD` with the event in its environment
 * (HTTPMON_KIND, _TIME, _HITS, _AVG, _THRESHOLD, _WINDOW, _MESSAGE) and
 * the record on its standard input; its standard output and error go to
 * the caller's standard error, never into the record stream.
 *
 * It is detached by a double fork: the caller forks a child, which starts
 * a new session, forks the supervisor and exits at once; the caller reaps
 * that child straight away, so it never waits for the hook and never
 * keeps a zombie.  The supervisor, an orphan of its own, starts the hook
 * in a process group of its own, waits for it with a deadline (SIGCHLD
 * blocked, sigtimedwait: no sleep loop), kills the whole group once the
 * time limit has passed, and reports on standard error a hook that failed,
 * was killed by a signal or ran too long.  Being in another session, the
 * hook survives a stop of the pipeline, so the last recovery still goes
 * out; it never outlives its time limit.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <err.h>

#include "httpmon.h"
#include "notify.h"

void
notify_init(struct notify *n)
{
	memset(n, 0, sizeof(*n));
	n->timeout = HOOK_TIMEOUT_DEFAULT;
}

/* notify_start -- open syslog if asked to (facility daemon, with pid) */
void
notify_start(struct notify *n)
{
	if (n->syslog)
		openlog(getprogname(), LOG_PID, LOG_DAEMON);
}

/* set_env -- the event in the hook's environment */
static void
set_env(const struct alert_event *e)
{
	char num[24];

	setenv("HTTPMON_KIND", e->kind, 1);
	snprintf(num, sizeof(num), "%" PRId64, e->time);
	setenv("HTTPMON_TIME", num, 1);
	snprintf(num, sizeof(num), "%" PRIu64, e->hits);
	setenv("HTTPMON_HITS", num, 1);
	setenv("HTTPMON_AVG", e->avg, 1);
	setenv("HTTPMON_THRESHOLD", e->threshold, 1);
	snprintf(num, sizeof(num), "%" PRId64, e->window);
	setenv("HTTPMON_WINDOW", num, 1);
	setenv("HTTPMON_MESSAGE", e->message, 1);
}

/* exec_hook -- in the hook's process: stdin the record, then sh -c CMD */
static _Noreturn void
exec_hook(const struct notify *n, const struct alert_event *e, int in,
    const sigset_t *oldmask)
{
	setpgid(0, 0);
	if (dup2(in, STDIN_FILENO) == -1 ||
	    dup2(STDERR_FILENO, STDOUT_FILENO) == -1)
		_exit(127);
	closefrom(STDERR_FILENO + 1);
	set_env(e);
	signal(SIGPIPE, SIG_DFL);
	sigprocmask(SIG_SETMASK, oldmask, NULL);
	execl("/bin/sh", "sh", "-c", n->hook, (char *)NULL);
	_exit(127);
}

/*
 * wait_deadline -- wait for pid until timeout seconds have passed;
 * 1 and *status set if it ended, 0 if it is still running.
 */
static int
wait_deadline(pid_t pid, int timeout, int *status)
{
	struct timespec now, end, left;
	sigset_t chld;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += timeout;
	for (;;) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &now);
		left.tv_sec = end.tv_sec - now.tv_sec;
		left.tv_nsec = end.tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0) {
			left.tv_sec--;
			left.tv_nsec += 1000000000L;
		}
		if (left.tv_sec < 0)
			return 0;
		sigtimedwait(&chld, NULL, &left);
	}
}

/* supervise -- the supervisor: run the hook, limit its time, report */
static _Noreturn void
supervise(const struct notify *n, const struct alert_event *e,
    const char *rec, size_t len)
{
	sigset_t chld, oldmask;
	int fd[2], status;
	pid_t pid;

	signal(SIGCHLD, SIG_DFL);	/* SIG_IGN would reap it for us */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &oldmask);
	/* The record fits in the pipe's buffer: no reader needed yet. */
	if (pipe(fd) == -1 || write(fd[1], rec, len) != (ssize_t)len) {
		warn("--on-alert hook for the %s at %" PRId64, e->kind,
		    e->time);
		_exit(EXIT_FAIL);
	}
	close(fd[1]);
	if ((pid = fork()) == -1) {
		warn("--on-alert hook for the %s at %" PRId64 ": fork",
		    e->kind, e->time);
		_exit(EXIT_FAIL);
	}
	if (pid == 0)
		exec_hook(n, e, fd[0], &oldmask);
	close(fd[0]);
	setpgid(pid, pid);	/* also here: no race with the kill below */
	if (!wait_deadline(pid, n->timeout, &status)) {
		killpg(pid, SIGKILL);
		waitpid(pid, &status, 0);
		warnx("--on-alert hook for the %s at %" PRId64 ": still "
		    "running after %d s, killed", e->kind, e->time, n->timeout);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		warnx("--on-alert hook for the %s at %" PRId64 ": exit status "
		    "%d", e->kind, e->time, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		warnx("--on-alert hook for the %s at %" PRId64 ": killed by "
		    "signal %d", e->kind, e->time, WTERMSIG(status));
	_exit(EXIT_OK);
}

/* run_hook -- start the hook detached (see the top); returns at once */
static void
run_hook(const struct notify *n, const struct alert_event *e)
{
	char rec[512];
	int len, status, devnull;
	pid_t pid;

	/* The message is logalert's own text: nothing in it to escape. */
	len = snprintf(rec, sizeof(rec), "%s\t%" PRId64 "\t%" PRIu64
	    "\t%s\t%s\t%s\n", e->kind, e->time, e->hits, e->avg,
	    e->threshold, e->message);
	if (len < 0 || (size_t)len >= sizeof(rec))
		len = sizeof(rec) - 1;
	if ((pid = fork()) == -1) {
		warn("--on-alert hook for the %s at %" PRId64 ": fork",
		    e->kind, e->time);
		return;
	}
	if (pid == 0) {
		/* Hold none of the caller's streams open: only stderr. */
		if ((devnull = open("/dev/null", O_RDWR)) != -1) {
			dup2(devnull, STDIN_FILENO);
			dup2(devnull, STDOUT_FILENO);
		}
		closefrom(STDERR_FILENO + 1);
		setsid();
		if ((pid = fork()) == 0)
			supervise(n, e, rec, (size_t)len);
		if (pid == -1)
			warn("--on-alert hook: fork");
		_exit(EXIT_OK);
	}
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
}

/* notify_event -- syslog and the hook, as configured, for one event */
void
notify_event(const struct notify *n, const struct alert_event *e)
{
	if (n->syslog)
		syslog(strcmp(e->kind, "alert") == 0 ? LOG_WARNING :
		    LOG_NOTICE, "%s", e->message);
	if (n->hook != NULL)
		run_hook(n, e);
}
