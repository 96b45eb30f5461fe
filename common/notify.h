/*
 * notify.h -- tell the world about an alert and its recovery: run an
 * operator's hook command, one at a time through a detached supervisor
 * with a queue and a time limit, and/or write the message to syslog.
 * Nothing here ever blocks the caller for longer than a fork or a send.
 */
#ifndef NOTIFY_H
#define NOTIFY_H

#include <stdint.h>

#define HOOK_TIMEOUT_DEFAULT	10
#define HOOK_TIMEOUT_MAX	86400
#define HOOK_QUEUE_MAX		32	/* events waiting for the hook */
#define HOOK_RECENT		600	/* seconds: older events are a replay */

struct notify {
	const char	*hook;		/* a command for sh -c, or NULL */
	int		 timeout;	/* seconds before the hook is killed */
	int		 syslog;	/* also log the message to syslog */
	int		 replay;	/* --replay-hooks: old events too */
	int		 sock;		/* to the supervisor, or -1 */
	int		 broken;	/* the supervisor could not be had */
	uint64_t	 skipped;	/* events too old: no hook, no syslog */
	uint64_t	 lost;		/* events the supervisor did not take */
};

/* One alert or recover event, its fields as the record writes them. */
struct alert_event {
	const char	*kind;		/* "alert" or "recover" */
	int64_t		 time;
	uint64_t	 hits;
	const char	*avg;
	const char	*threshold;
	int64_t		 window;
	const char	*message;
	const char	*rule;		/* "hits", or "silent:NAME" (escaped) */
};

void	 notify_init(struct notify *);
void	 notify_start(struct notify *);
void	 notify_event(struct notify *, const struct alert_event *);
void	 notify_finish(struct notify *);

#endif /* NOTIFY_H */
