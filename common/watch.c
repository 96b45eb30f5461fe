/*
 * watch.c -- the event source of a follow loop: inotify, or a timer.
 *
 * watch_wait() is the only place a follower sleeps: one ppoll(2) with a
 * deadline on the inotify descriptor (none when polling).  The stop
 * signals (signals.c) are held back everywhere else and let through only
 * inside that ppoll, so a stop request can never slip in between the
 * caller's last look at stop_requested and the wait (no lost wake-up).
 * Long stretches of work without a wait ask watch_stop_pending().
 */
#include <sys/inotify.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "httpmon.h"
#include "watch.h"

#define FILE_EVENTS	(IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)
#define DIR_EVENTS	(IN_CREATE | IN_MOVED_TO)

/*
 * watch_init -- poll: 1 to use the timer even where inotify works;
 * block: 1 to hold the stop signals back until watch_wait (install the
 * handlers first).
 */
void
watch_init(struct watch *w, int poll, int block)
{
	w->fd = -1;
	if (!poll)
		w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	w->blocked = block;
	if (block)
		hold_stop_signals(&w->waitmask);
	else
		sigprocmask(SIG_SETMASK, NULL, &w->waitmask);
}

/*
 * watch_file -- watch the file open on fd (through /proc, so it is the
 * very inode we read even if the name was replaced meanwhile; the name
 * is the fallback); a watch descriptor, or -1.
 */
int
watch_file(struct watch *w, int fd, const char *name)
{
	char path[64];
	int wd;

	if (w->fd == -1)
		return -1;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if ((wd = inotify_add_watch(w->fd, path, FILE_EVENTS)) == -1)
		wd = inotify_add_watch(w->fd, name, FILE_EVENTS);
	return wd;
}

/* watch_dir -- watch a directory for names created or moved into it */
int
watch_dir(struct watch *w, const char *dir)
{
	if (w->fd == -1)
		return -1;
	return inotify_add_watch(w->fd, dir, DIR_EVENTS | IN_ONLYDIR);
}

/* watch_forget -- drop a watch (gone already if its inode was deleted) */
void
watch_forget(struct watch *w, int wd)
{
	if (w->fd != -1 && wd != -1)
		inotify_rm_watch(w->fd, wd);
}

/* drain_events -- read and discard the queued events */
static void
drain_events(struct watch *w)
{
	char buf[4096]
	    __attribute__((aligned(__alignof__(struct inotify_event))));

	while (read(w->fd, buf, sizeof(buf)) > 0)
		continue;
}

/*
 * watch_wait -- sleep until an event or for at most ms milliseconds;
 * 1 after an event, 0 at the deadline, -1 if a signal came (the caller
 * then looks at stop_requested).
 */
int
watch_wait(struct watch *w, int64_t ms)
{
	struct pollfd pfd = { .fd = w->fd, .events = POLLIN };
	struct timespec ts;
	int n;

	/* A stop that came during the last write (stoppable_write). */
	if (stop_requested)
		return -1;
	if (ms < 0)
		ms = 0;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	n = ppoll(&pfd, w->fd == -1 ? 0 : 1, &ts, &w->waitmask);
	if (n < 0)
		return -1;
	if (n > 0)
		drain_events(w);
	return n > 0;
}

/* watch_stop_pending -- true if a stop signal waits behind the mask */
int
watch_stop_pending(const struct watch *w)
{
	return w->blocked && stop_pending();
}

void
watch_close(struct watch *w)
{
	if (w->fd != -1)
		close(w->fd);
	w->fd = -1;
}
