/*
 * notify.c -- alert hooks and syslog (logalert --on-alert, --syslog).
 *
 * A hook runs as `sh -c CMD` with the event in its environment
 * (HTTPMON_KIND, _TIME, _HITS, _AVG, _THRESHOLD, _WINDOW, _MESSAGE,
 * _RULE) and
 * the record on its standard input; its standard output and error go to
 * the caller's standard error, never into the record stream.
 *
 * Which events: only those whose log time is at most HOOK_RECENT seconds
 * before the wall clock, unless --replay-hooks (n->replay): a replayed
 * log would otherwise page for every historic alert at once.  The rest
 * are counted and said once, at the end.  The same rule holds for syslog.
 *
 * Hooks run one at a time, in the order of the events, so that a hook
 * never sees a recovery before its alert.  They are run by a supervisor,
 * started at the first event by a double fork: the caller forks a child,
 * which starts a new session, forks the supervisor and exits at once; the
 * caller reaps that child straight away.  The caller sends each event as
 * one datagram on a socket pair (SOCK_SEQPACKET: whole or not at all,
 * never blocking: MSG_DONTWAIT); an event the socket cannot take is lost,
 * counted and said.  The supervisor reads events as they come, even while
 * a hook runs, into a queue of HOOK_QUEUE_MAX; when the queue is full the
 * oldest alert waiting is dropped with the recovery after it (a pair that
 * cancels out), so the hook still sees alerts and recoveries alternate
 * and the latest state last; drops are counted and said.  It starts each
 * hook in a process group of its own and waits for it with a deadline
 * (SIGCHLD blocked but in pselect: no sleep loop), kills the whole group
 * once the time limit has passed, and reports on standard error a hook
 * that failed, was killed by a signal or ran too long.  At the end of the
 * caller (exit, or death: the socket closes), the supervisor runs what is
 * still queued, then exits.  Being in another session, it survives a stop
 * of the pipeline, so the last recovery still goes out; it never outlives
 * its queue by more than one time limit per event.
 */
#include <sys/types.h>
#include <sys/select.h>
#include <sys/socket.h>
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

/* One event as the caller sends it to the supervisor (same binary). */
struct hook_msg {
	char		 kind[8];
	int64_t		 time;
	uint64_t	 hits;
	int64_t		 window;
	char		 avg[32];
	char		 threshold[32];
	char		 message[256];
	char		 rule[128];
};

/* The supervisor's state: the queue and the hook running, if any. */
struct hookq {
	const struct notify *n;
	struct hook_msg	 ev[HOOK_QUEUE_MAX];
	int		 len;
	uint64_t	 dropped;
	pid_t		 pid;		/* the hook running, or 0 */
	struct hook_msg	 cur;		/* its event */
	struct timespec	 deadline;
	sigset_t	 oldmask;
};

void
notify_init(struct notify *n)
{
	memset(n, 0, sizeof(*n));
	n->timeout = HOOK_TIMEOUT_DEFAULT;
	n->sock = -1;
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
set_env(const struct hook_msg *e)
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
	setenv("HTTPMON_RULE", e->rule, 1);
}

/* exec_hook -- in the hook's process: stdin the record, then sh -c CMD */
static _Noreturn void
exec_hook(const struct notify *n, const struct hook_msg *e, int in,
    const sigset_t *oldmask)
{
	setpgid(0, 0);
	if (dup2(in, STDIN_FILENO) == -1 ||
	    dup2(STDERR_FILENO, STDOUT_FILENO) == -1)
		_exit(127);
	closefrom(STDERR_FILENO + 1);
	set_env(e);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	sigprocmask(SIG_SETMASK, oldmask, NULL);
	execl("/bin/sh", "sh", "-c", n->hook, (char *)NULL);
	_exit(127);
}

/* start_hook -- run the hook for event e, its record on its stdin */
static void
start_hook(struct hookq *q, const struct hook_msg *e)
{
	char rec[512];
	int fd[2], len;
	pid_t pid;

	/*
	 * The message is logalert's own text, or a record's field as it
	 * came (escaped): nothing in it to escape.
	 */
	len = snprintf(rec, sizeof(rec), "%s\t%" PRId64 "\t%" PRIu64
	    "\t%s\t%s\t%s\t%s\n", e->kind, e->time, e->hits, e->avg,
	    e->threshold, e->message, e->rule);
	if (len < 0 || (size_t)len >= sizeof(rec))
		len = sizeof(rec) - 1;
	/* The record fits in the pipe's buffer: no reader needed yet. */
	if (pipe(fd) == -1) {
		warn("--on-alert hook for the %s at %" PRId64, e->kind,
		    e->time);
		return;
	}
	if (write(fd[1], rec, (size_t)len) != len)
		warn("--on-alert hook for the %s at %" PRId64, e->kind,
		    e->time);
	close(fd[1]);
	if ((pid = fork()) == -1) {
		warn("--on-alert hook for the %s at %" PRId64 ": fork",
		    e->kind, e->time);
		close(fd[0]);
		return;
	}
	if (pid == 0)
		exec_hook(q->n, e, fd[0], &q->oldmask);
	close(fd[0]);
	setpgid(pid, pid);	/* also here: no race with the kill below */
	q->pid = pid;
	q->cur = *e;
	clock_gettime(CLOCK_MONOTONIC, &q->deadline);
	q->deadline.tv_sec += q->n->timeout;
}

/* report -- say how the hook for the current event ended, if badly */
static void
report(const struct hookq *q, int status, int killed)
{
	const struct hook_msg *e = &q->cur;

	if (killed)
		warnx("--on-alert hook for the %s at %" PRId64 ": still "
		    "running after %d s, killed", e->kind, e->time,
		    q->n->timeout);
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		warnx("--on-alert hook for the %s at %" PRId64 ": exit status "
		    "%d", e->kind, e->time, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		warnx("--on-alert hook for the %s at %" PRId64 ": killed by "
		    "signal %d", e->kind, e->time, WTERMSIG(status));
}

/* reap -- end the current hook if it ended or its time is up */
static void
reap(struct hookq *q)
{
	struct timespec now;
	int status;

	if (q->pid == 0)
		return;
	if (waitpid(q->pid, &status, WNOHANG) == q->pid) {
		report(q, status, 0);
		q->pid = 0;
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec > q->deadline.tv_sec || (now.tv_sec ==
	    q->deadline.tv_sec && now.tv_nsec >= q->deadline.tv_nsec)) {
		killpg(q->pid, SIGKILL);
		waitpid(q->pid, &status, 0);
		report(q, status, 1);
		q->pid = 0;
	}
}

/*
 * enqueue -- add e at the end of the queue.  When it is full, the oldest
 * alert waiting and the recovery after it go: events alternate, so a full
 * queue always holds such a pair, and what is left still alternates.
 */
static void
enqueue(struct hookq *q, const struct hook_msg *e)
{
	int i;

	if (q->len == HOOK_QUEUE_MAX) {
		for (i = 0; i + 1 < q->len; i++)
			if (strcmp(q->ev[i].kind, "alert") == 0)
				break;
		if (i + 1 >= q->len)
			i = 0;	/* not alternating: cannot happen */
		if (q->dropped == 0)
			warnx("--on-alert: %d events wait for the hook: "
			    "dropping the %s at %" PRId64 " and the %s at %"
			    PRId64 ", and so on", HOOK_QUEUE_MAX,
			    q->ev[i].kind, q->ev[i].time, q->ev[i + 1].kind,
			    q->ev[i + 1].time);
		memmove(&q->ev[i], &q->ev[i + 2],
		    (size_t)(q->len - i - 2) * sizeof(q->ev[0]));
		q->len -= 2;
		q->dropped += 2;
	}
	q->ev[q->len++] = *e;
}

/* start_next -- start the hook for the first event waiting, if none runs */
static void
start_next(struct hookq *q)
{
	struct hook_msg e;

	while (q->pid == 0 && q->len > 0) {
		e = q->ev[0];
		memmove(&q->ev[0], &q->ev[1], (size_t)--q->len *
		    sizeof(q->ev[0]));
		start_hook(q, &e);	/* on failure, the next one */
	}
}

/*
 * receive -- take every event waiting on sock, the hook started as soon
 * as one can run; 1 at the socket's end, else 0
 */
static int
receive(struct hookq *q, int sock)
{
	struct hook_msg m;
	ssize_t got;

	for (;;) {
		got = recv(sock, &m, sizeof(m), MSG_DONTWAIT);
		if (got == 0)
			return 1;
		if (got == -1)
			return errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR ? 0 : 1;
		if ((size_t)got == sizeof(m)) {
			enqueue(q, &m);
			start_next(q);
		}
	}
}

static void
on_chld(int sig)
{
	(void)sig;
}

/*
 * supervise -- the supervisor (see the top): until the caller's end and
 * an empty queue, start the next hook when none runs, then wait in one
 * pselect for an event, the hook's end (SIGCHLD) or its deadline.
 */
static _Noreturn void
supervise(const struct notify *n, int sock)
{
	static struct hookq q;
	struct sigaction sa;
	struct timespec now, left, *tsp;
	sigset_t chld;
	fd_set rfds;
	int eof = 0;

	q.n = n;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_chld;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &q.oldmask);
	for (;;) {
		start_next(&q);
		if (q.pid == 0 && eof)
			break;
		FD_ZERO(&rfds);
		if (!eof)
			FD_SET(sock, &rfds);
		tsp = NULL;
		if (q.pid != 0) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			left.tv_sec = q.deadline.tv_sec - now.tv_sec;
			left.tv_nsec = q.deadline.tv_nsec - now.tv_nsec;
			if (left.tv_nsec < 0) {
				left.tv_sec--;
				left.tv_nsec += 1000000000L;
			}
			if (left.tv_sec < 0)
				left.tv_sec = left.tv_nsec = 0;
			tsp = &left;
		}
		if (pselect(eof ? 0 : sock + 1, &rfds, NULL, NULL, tsp,
		    &q.oldmask) > 0 && FD_ISSET(sock, &rfds))
			eof = receive(&q, sock);
		reap(&q);
	}
	if (q.dropped > 0)
		warnx("--on-alert: %" PRIu64 " events dropped, more than %d "
		    "waiting for the hook", q.dropped, HOOK_QUEUE_MAX);
	_exit(EXIT_OK);
}

/* start_supervisor -- the detached supervisor (see the top); -1 if not */
static int
start_supervisor(const struct notify *n)
{
	int sv[2], status, devnull;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == -1) {
		warn("--on-alert: socketpair");
		return -1;
	}
	if ((pid = fork()) == -1) {
		warn("--on-alert: fork");
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		/* Hold none of the caller's streams open: only stderr. */
		if ((devnull = open("/dev/null", O_RDWR)) != -1) {
			dup2(devnull, STDIN_FILENO);
			dup2(devnull, STDOUT_FILENO);
		}
		if (dup2(sv[1], STDERR_FILENO + 1) == -1)
			_exit(EXIT_FAIL);
		closefrom(STDERR_FILENO + 2);
		setsid();
		if ((pid = fork()) == 0)
			supervise(n, STDERR_FILENO + 1);
		if (pid == -1)
			warn("--on-alert: fork");
		_exit(EXIT_OK);
	}
	close(sv[1]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	return sv[0];
}

/* send_hook -- hand the event to the supervisor, never waiting */
static void
send_hook(struct notify *n, const struct alert_event *e)
{
	struct hook_msg m;

	if (n->sock == -1 && !n->broken &&
	    (n->sock = start_supervisor(n)) == -1)
		n->broken = 1;
	memset(&m, 0, sizeof(m));
	strlcpy(m.kind, e->kind, sizeof(m.kind));
	m.time = e->time;
	m.hits = e->hits;
	m.window = e->window;
	strlcpy(m.avg, e->avg, sizeof(m.avg));
	strlcpy(m.threshold, e->threshold, sizeof(m.threshold));
	strlcpy(m.message, e->message, sizeof(m.message));
	strlcpy(m.rule, e->rule, sizeof(m.rule));
	if (n->sock != -1 && send(n->sock, &m, sizeof(m),
	    MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)sizeof(m))
		return;
	if (n->lost++ == 0)
		warn("--on-alert hook for the %s at %" PRId64 ": not run",
		    e->kind, e->time);
}

/* notify_event -- syslog and the hook, as configured, for one event */
void
notify_event(struct notify *n, const struct alert_event *e)
{
	if (n->hook == NULL && !n->syslog)
		return;
	if (!n->replay && e->time < (int64_t)time(NULL) - HOOK_RECENT) {
		n->skipped++;
		return;
	}
	if (n->syslog)
		syslog(strcmp(e->kind, "alert") == 0 ? LOG_WARNING :
		    LOG_NOTICE, "%s", e->message);
	if (n->hook != NULL)
		send_hook(n, e);
}

/*
 * notify_finish -- say what was skipped or lost, and close the socket:
 * the supervisor runs what is queued, then exits, on its own.
 */
void
notify_finish(struct notify *n)
{
	if (n->skipped > 0)
		warnx("%" PRIu64 " alert and recovery events more than %d s "
		    "before the clock: no hook or syslog for them (a replay; "
		    "--replay-hooks to have them)", n->skipped, HOOK_RECENT);
	if (n->lost > 1)
		warnx("--on-alert: %" PRIu64 " events not handed to the hook",
		    n->lost);
	if (n->sock != -1)
		close(n->sock);
	n->sock = -1;
}
