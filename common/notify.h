/*
 * notify.h -- tell the world about an alert and its recovery: run an
 * operator's hook command, detached and with a time limit, and/or write
 * the message to syslog.  Nothing here ever blocks the caller for longer
 * than a fork.
 */
#ifndef NOTIFY_H
#define NOTIFY_H

#include <stdint.h>

#define HOOK_TIMEOUT_DEFAULT	10
#define HOOK_TIMEOUT_MAX	86400

struct notify {
	const char	*hook;		/* a command for sh -c, or NULL */
	int		 timeout;	/* seconds before the hook is killed */
	int		 syslog;	/* also log the message to syslog */
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
};

void	 notify_init(struct notify *);
void	 notify_start(struct notify *);
void	 notify_event(const struct notify *, const struct alert_event *);

#endif /* NOTIFY_H */
