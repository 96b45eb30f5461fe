/*
 * view.h -- logview's model: what the dashboard knows, taken in from
 * records one line at a time, and the chart's scaling, without curses,
 * so that a fuzz target (fuzz/fuzz_logview.c) can drive it.
 *
 * Every number read from a record is range-checked before any
 * arithmetic: times by time_valid (span_valid for a stats END), counts
 * at most VIEW_COUNT_MAX; a record outside those is malformed.  Sums
 * saturate, and the chart scales in 128 bits.
 */
#ifndef VIEW_H
#define VIEW_H

#include <stdint.h>

#include "httpmon.h"

#define VIEW_HIST	1024	/* seconds of per-second hits kept */
#define VIEW_NMSG	8	/* alert messages kept */
#define VIEW_NSECT	32	/* top sections kept */
#define VIEW_NMETH	16	/* methods kept */
#define VIEW_NAMELEN	96	/* a section name, escaped, cut here */
#define VIEW_MSGLEN	200	/* an alert message, escaped, cut here */
#define VIEW_SHORTLEN	24	/* a method, a rate, a threshold */
#define VIEW_NSERV	64	/* servers of a fleet kept */
#define VIEW_COUNT_MAX	INT64_C(1000000000000000)	/* 10^15 */

/* A row of the sections table: a section and its counts. */
struct view_section {
	char	 name[VIEW_NAMELEN];
	int64_t	 hits, bytes, s4xx, s5xx;
};

struct view_method {
	char	 name[VIEW_SHORTLEN];
	int64_t	 hits;
};

/* A server of the fleet (logmerge's server records): its health. */
struct view_server {
	char	 name[VIEW_SHORTLEN * 2];
	int64_t	 latest, lag, hits, silent;
};

struct view {
	/* the title: what the driver says, or what the records say */
	char		 log[1024];	/* the file followed, made safe */
	char		 thrtext[VIEW_SHORTLEN];
	int64_t		 threshold;	/* millionths; -1 unknown */
	int64_t		 window;	/* seconds; 0 unknown */
	int64_t		 interval;	/* seconds; 0 unknown */

	/* the alert panel */
	int		 alerting;
	uint64_t	 nalerts;
	int64_t		 last_alert, last_recover;	/* -1: never */
	char		 msg[VIEW_NMSG][VIEW_MSGLEN];
	uint64_t	 nmsg;		/* messages ever; msg[] is a ring */
	int		 have_window;
	int64_t		 wtime, whits;
	char		 wavg[VIEW_SHORTLEN];

	/* the chart: hist[s % HIST] = hits in second s, first..last */
	uint64_t	 hist[VIEW_HIST];
	int64_t		 hist_first, hist_last;	/* -1: none yet */

	/* the latest interval, and the totals since start */
	int		 have_stats;
	int64_t		 st[STATS_NFIELDS];
	char		 rate[VIEW_SHORTLEN];
	int64_t		 total_bad, total_late;
	struct view_section sect[VIEW_NSECT];
	int		 nsect, maxsect;
	struct view_method meth[VIEW_NMETH];
	int		 nmeth;

	/* the fleet: its servers, by name, the first VIEW_NSERV seen */
	struct view_server serv[VIEW_NSERV];
	int		 nserv;
	uint64_t	 nserv_more;	/* records of servers not kept */
};

/* The chart's scale for rows of bars: its top, and the threshold's row. */
struct view_scale {
	uint64_t	 ymax;		/* >= 1 */
	int		 tl;		/* 1..rows from the bottom; 0: none */
};

void	 view_init(struct view *, const char *, int64_t, int64_t);
int	 view_threshold(struct view *, const char *);
int	 view_line(struct view *, char *, size_t);
void	 view_safe_copy(char *, size_t, const char *, size_t);
void	 view_scale(const struct view *, int64_t, int, struct view_scale *);
int	 view_bar(const struct view_scale *, uint64_t, int);
int	 view_over(const struct view *, uint64_t);

#endif /* VIEW_H */
