/*
 * watch.h -- wait until watched files may have changed: inotify when
 * the kernel offers it, else a plain timer (polling).  The caller never
 * learns which file changed: it re-examines every file it follows after
 * each wake-up, so a lost or merged event costs latency, never data.
 */
#ifndef WATCH_H
#define WATCH_H

#include <signal.h>
#include <stdint.h>

struct watch {
	int	 fd;		/* inotify descriptor, or -1 when polling */
	int	 blocked;	/* stop signals blocked outside watch_wait */
	sigset_t waitmask;	/* the signal mask while waiting */
};

void	 watch_init(struct watch *, int, int);
int	 watch_file(struct watch *, int, const char *);
int	 watch_dir(struct watch *, const char *);
void	 watch_forget(struct watch *, int);
int	 watch_wait(struct watch *, int64_t);
int	 watch_stop_pending(const struct watch *);
void	 watch_close(struct watch *);

#endif /* WATCH_H */
