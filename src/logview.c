/*
 * logview -- a live terminal dashboard of the merged record stream of
 * logalert -s and logstats.
 *
 * Records come from standard input (or a file); the screen is the
 * controlling terminal, opened as /dev/tty, so that the records can
 * arrive through a pipe or a FIFO while the keyboard still works.  The
 * loop waits in one poll(2) on both, with a deadline: the screen is
 * redrawn when records came (at most ten times a second) and at least
 * once a second.  Nothing from a record reaches the screen without
 * being unescaped and then passed through vis(3), byte by byte, into a
 * fixed buffer: no control byte or escape sequence from a log line is
 * ever sent to the terminal.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curses.h>
#include <err.h>
#include <vis.h>

#include "httpmon.h"

#define VIS_FLAGS	(VIS_CSTYLE | VIS_TAB | VIS_NL | VIS_OCTAL)
#define HIST		1024	/* seconds of per-second hits kept */
#define NMSG		8	/* alert messages kept */
#define NSECT		32	/* top sections kept */
#define NMETH		16	/* methods kept */
#define NAMELEN		96	/* a section name, escaped, cut here */
#define MSGLEN		200	/* an alert message, escaped, cut here */
#define SHORTLEN	24	/* a method, a rate, a threshold */
#define BATCH		4096	/* records read between two looks at the keys */
#define DRAW_MS		100	/* shortest time between two redraws */

enum { C_ALERT = 1, C_OK, C_OVER, C_LINE };

/* A row of the sections table: a section and its counts. */
struct section_row {
	char	 name[NAMELEN];
	int64_t	 hits, bytes, s4xx, s5xx;
};

struct method {
	char	 name[SHORTLEN];
	int64_t	 hits;
};

struct view {
	/* the title: what the driver says, or what the records say */
	char		 log[1024];	/* the file followed, made safe */
	char		 thrtext[SHORTLEN];
	int64_t		 threshold;	/* millionths; -1 unknown */
	int64_t		 window;	/* seconds; 0 unknown */
	int64_t		 interval;	/* seconds; 0 unknown */

	/* the alert panel */
	int		 alerting;
	uint64_t	 nalerts;
	int64_t		 last_alert, last_recover;	/* -1: never */
	char		 msg[NMSG][MSGLEN];
	uint64_t	 nmsg;		/* messages ever; msg[] is a ring */
	int		 have_window;
	int64_t		 wtime, whits;
	char		 wavg[SHORTLEN];

	/* the chart: hist[s % HIST] = hits in second s, first..last */
	uint64_t	 hist[HIST];
	int64_t		 hist_first, hist_last;	/* -1: none yet */

	/* the latest interval, and the totals since start */
	int		 have_stats;
	int64_t		 st[STATS_NFIELDS];
	char		 rate[SHORTLEN];
	int64_t		 total_bad, total_late;
	struct section_row sect[NSECT];
	int		 nsect, maxsect;
	struct method	 meth[NMETH];
	int		 nmeth;

	/* input and screen */
	const char	*name;
	int		 eof, readerr;
	struct badinput	 bad;
	FILE		*tty;
	SCREEN		*scr;
	int		 color;
	int		 dirty;
	int64_t		 drawn_ms;	/* monotonic time of the last draw */
};

/* usage -- the synopsis: on stdout for -h, on stderr for a bad call */
static _Noreturn void
usage(int status)
{
	fprintf(status == EXIT_OK ? stdout : stderr, "usage: %s [-hV] "
	    "[-i interval] [-l log] [-t threshold] [-w window] [file]\n",
	    getprogname());
	exit(status);
}

/*
 * safe_copy -- src (len bytes, raw) made safe for a terminal with vis(3)
 * into dst; a byte whose escape does not fit is left out with the rest,
 * so an escape is never cut in half.
 */
static void
safe_copy(char *dst, size_t size, const char *src, size_t len)
{
	char enc[5];
	size_t i, n, used = 0;

	for (i = 0; i < len; i++) {
		vis(enc, (unsigned char)src[i], VIS_FLAGS,
		    i + 1 < len ? (unsigned char)src[i + 1] : '\0');
		n = strlen(enc);
		if (used + n >= size)
			break;
		memcpy(dst + used, enc, n);
		used += n;
	}
	dst[used] = '\0';
}

/* field_copy -- field i of r, unescaped, then made safe into dst */
static void
field_copy(char *dst, size_t size, struct record *r, int i)
{
	r->len[i] = rec_unescape(r->field[i], r->len[i]);
	safe_copy(dst, size, r->field[i], r->len[i]);
}

/* set_threshold -- the threshold, as text and in millionths, if valid */
static int
set_threshold(struct view *v, const char *text)
{
	int64_t micro;

	if (parse_decimal_micro(text, &micro) == -1)
		return -1;
	v->threshold = micro;
	safe_copy(v->thrtext, sizeof(v->thrtext), text, strlen(text));
	return 0;
}

/* add_message -- keep an alert message in the ring */
static void
add_message(struct view *v, struct record *r)
{
	field_copy(v->msg[v->nmsg % NMSG], MSGLEN, r, ALERT_MESSAGE);
	v->nmsg++;
}

/* do_alert -- an alert or recover record: the state, times, message */
static int
do_alert(struct view *v, struct record *r)
{
	int64_t f[ALERT_NFIELDS];

	if (rec_numbers(r, f, ALERT_NFIELDS) == -1)
		return -1;
	if (r->type == REC_ALERT) {
		v->alerting = 1;
		v->nalerts++;
		v->last_alert = f[ALERT_TIME];
	} else {
		v->alerting = 0;
		v->last_recover = f[ALERT_TIME];
	}
	if (v->threshold < 0)
		set_threshold(v, r->field[ALERT_THRESHOLD]);
	/* Without window records, the alert's own numbers are the latest. */
	if (!v->have_window || f[ALERT_TIME] >= v->wtime) {
		v->have_window = 1;
		v->wtime = f[ALERT_TIME];
		v->whits = f[ALERT_HITS];
		field_copy(v->wavg, sizeof(v->wavg), r, ALERT_AVG);
	}
	add_message(v, r);
	return 0;
}

/*
 * do_window -- a window record of logalert -s: the window now, and the
 * hits of second TIME-1 for the chart.  Seconds skipped by a jump of
 * the clock had no hits: they are cleared, HIST of them at most.
 */
static int
do_window(struct view *v, struct record *r)
{
	int64_t f[WINDOW_NFIELDS], s, from;

	if (rec_numbers(r, f, WINDOW_NFIELDS) == -1 || f[WINDOW_TIME] < 1)
		return -1;
	v->have_window = 1;
	v->wtime = f[WINDOW_TIME];
	v->whits = f[WINDOW_HITS];
	field_copy(v->wavg, sizeof(v->wavg), r, WINDOW_AVG);
	if (v->threshold < 0)
		set_threshold(v, r->field[WINDOW_THRESHOLD]);
	s = f[WINDOW_TIME] - 1;
	if (v->hist_last < 0)
		v->hist_first = v->hist_last = s;
	else if (s <= v->hist_last) {
		if (s > v->hist_last - HIST)
			v->hist[s % HIST] = (uint64_t)f[WINDOW_LASTSEC];
		return 0;
	}
	from = v->hist_last + 1;
	if (s - from >= HIST)
		from = s - HIST + 1;
	for (; from < s; from++)
		v->hist[from % HIST] = 0;
	v->hist[s % HIST] = (uint64_t)f[WINDOW_LASTSEC];
	v->hist_last = s;
	return 0;
}

/* do_stats -- the head of a logstats block: a new latest interval */
static int
do_stats(struct view *v, struct record *r)
{
	int64_t f[STATS_NFIELDS];

	if (rec_numbers(r, f, STATS_NFIELDS) == -1)
		return -1;
	memcpy(v->st, f, sizeof(f));
	field_copy(v->rate, sizeof(v->rate), r, STATS_RATE);
	v->have_stats = 1;
	v->total_bad += f[STATS_BAD];
	v->total_late += f[STATS_LATE];
	if (v->interval == 0)
		v->interval = f[STATS_INTERVAL];
	v->nsect = v->nmeth = 0;
	return 0;
}

/* do_section -- one of the top sections of the latest interval */
static int
do_section(struct view *v, struct record *r)
{
	int64_t f[SECTION_NFIELDS];
	struct section_row *s;

	if (rec_numbers(r, f, SECTION_NFIELDS) == -1)
		return -1;
	if (!v->have_stats || f[SECTION_END] != v->st[STATS_END] ||
	    v->nsect == NSECT)
		return 0;
	s = &v->sect[v->nsect++];
	field_copy(s->name, sizeof(s->name), r, SECTION_NAME);
	s->hits = f[SECTION_HITS];
	s->bytes = f[SECTION_BYTES];
	s->s4xx = f[SECTION_4XX];
	s->s5xx = f[SECTION_5XX];
	if (v->nsect > v->maxsect)
		v->maxsect = v->nsect;
	return 0;
}

/* do_method -- the hits of one method in the latest interval */
static int
do_method(struct view *v, struct record *r)
{
	int64_t f[METHOD_NFIELDS];
	struct method *m;

	if (rec_numbers(r, f, METHOD_NFIELDS) == -1)
		return -1;
	if (!v->have_stats || f[METHOD_END] != v->st[STATS_END] ||
	    v->nmeth == NMETH)
		return 0;
	m = &v->meth[v->nmeth++];
	field_copy(m->name, sizeof(m->name), r, METHOD_NAME);
	m->hits = f[METHOD_HITS];
	return 0;
}

/* handle_line -- take in one record line; -1 if it is malformed */
static int
handle_line(struct view *v, char *line, size_t len)
{
	struct record r;

	if (rec_split(line, len, &r) == -1)
		return -1;
	switch (r.type) {
	case REC_COMMENT:
	case REC_HIT:
	case REC_TICK:
	case REC_CLOCK:
	case REC_BAD:
		return 0;
	case REC_ALERT:
	case REC_RECOVER:
		return do_alert(v, &r);
	case REC_WINDOW:
		return do_window(v, &r);
	case REC_STATS:
		return do_stats(v, &r);
	case REC_SECTION:
		return do_section(v, &r);
	case REC_METHOD:
		return do_method(v, &r);
	default:
		return -1;
	}
}

/*
 * read_records -- take in the records ready on the (non-blocking) input,
 * BATCH at most so that the keyboard is never starved by a replay.
 */
static void
read_records(struct view *v, struct linereader *lr)
{
	enum lr_status s;
	char *line;
	size_t len;
	int n;

	for (n = 0; n < BATCH && !v->eof; n++) {
		s = lr_next(lr, &line, &len);
		if (s == LR_EOF)
			v->eof = 1;
		else if (s == LR_ERROR) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			v->readerr = errno;
			v->eof = 1;
		} else if (s == LR_TOOLONG)
			bad_report(&v->bad, lr->lineno, "line too long", NULL,
			    0);
		else if (handle_line(v, line, len) == -1)
			bad_report(&v->bad, lr->lineno, "malformed record",
			    NULL, 0);
		v->dirty = 1;
	}
}

/* hms -- the time of day of t, UTC, as HH:MM:SS */
static void
hms(char *buf, size_t size, int64_t t)
{
	int64_t s = t % 86400;

	snprintf(buf, size, "%02d:%02d:%02d", (int)(s / 3600),
	    (int)(s / 60 % 60), (int)(s % 60));
}

/* put -- text at y, x, cut at the right edge, in attribute a */
static void
put(int y, int x, attr_t a, const char *s)
{
	if (y < 0 || y >= LINES || x >= COLS)
		return;
	attron(a);
	mvaddnstr(y, x, s, COLS - x);
	attroff(a);
}

/* color -- the attribute of colour pair p, or fallback without colour */
static attr_t
color(const struct view *v, short p, attr_t fallback)
{
	return v->color ? COLOR_PAIR(p) : fallback;
}

/*
 * draw_title -- the file, window, threshold, interval, and how to quit.
 * When it does not fit, the file name loses its start, then the rest is
 * cut: "q to quit" always shows.
 */
static void
draw_title(const struct view *v)
{
	char buf[1280], tail[160];
	const char *name = v->log;
	size_t len = strlen(name), room;
	int n;

	if (v->window > 0)
		n = snprintf(tail, sizeof(tail), "  window %llds",
		    (long long)v->window);
	else
		n = snprintf(tail, sizeof(tail), "  window ?");
	n += snprintf(tail + n, sizeof(tail) - (size_t)n, "  threshold %s/s",
	    v->threshold < 0 ? "?" : v->thrtext);
	if (v->interval > 0)
		snprintf(tail + n, sizeof(tail) - (size_t)n, "  interval %llds",
		    (long long)v->interval);
	room = COLS > 13 + 10 + (int)strlen(tail) ? (size_t)COLS - 13 - 10 -
	    strlen(tail) : 8;
	if (len > room && room > 3) {
		name += len - (room - 3);
		snprintf(buf, sizeof(buf), " httpmon: ...%s%s", name, tail);
	} else
		snprintf(buf, sizeof(buf), " httpmon: %s%s", name, tail);
	if (COLS > 12 && strlen(buf) > (size_t)COLS - 12)
		buf[COLS - 12] = '\0';
	attron(A_REVERSE);
	mvhline(0, 0, ' ', COLS);
	attroff(A_REVERSE);
	put(0, 0, A_REVERSE | A_BOLD, buf);
	put(0, COLS > 11 ? COLS - 11 : 0, A_REVERSE, "q to quit");
}

/* draw_alert -- state, the window now, alert count and times, messages */
static int
draw_alert(const struct view *v, int y, int nmsg)
{
	char buf[256], t1[32], t2[32];
	uint64_t i, first;

	if (v->alerting)
		put(y, 1, color(v, C_ALERT, A_REVERSE) | A_BOLD, " ALERT ");
	else
		put(y, 1, color(v, C_OK, A_BOLD) | A_BOLD, "  OK   ");
	if (v->have_window) {
		hms(t1, sizeof(t1), v->wtime);
		snprintf(buf, sizeof(buf), "window %lld hits, %s hits/s "
		    "(threshold %s) at %s", (long long)v->whits, v->wavg,
		    v->threshold < 0 ? "?" : v->thrtext, t1);
	} else
		snprintf(buf, sizeof(buf), "window: no data yet");
	put(y, 10, 0, buf);
	if (v->last_alert >= 0)
		fmt_rfc3339(t1, sizeof(t1), v->last_alert);
	else
		strlcpy(t1, "never", sizeof(t1));
	if (v->last_recover >= 0)
		fmt_rfc3339(t2, sizeof(t2), v->last_recover);
	else
		strlcpy(t2, "never", sizeof(t2));
	snprintf(buf, sizeof(buf), "alerts %llu  last alert %s  last "
	    "recovery %s", (unsigned long long)v->nalerts, t1, t2);
	put(y + 1, 1, 0, buf);
	first = v->nmsg > (uint64_t)nmsg ? v->nmsg - (uint64_t)nmsg : 0;
	for (i = first; i < v->nmsg; i++)
		put(y + 2 + (int)(i - first), 1, 0, v->msg[i % NMSG]);
	return y + 2 + nmsg;
}

/* draw_stats -- the totals, then the latest interval's numbers */
static int
draw_stats(const struct view *v, int y)
{
	char buf[512], b1[32], t[16];
	const int64_t *f = v->st;
	size_t n;
	int i;

	if (!v->have_stats) {
		put(y, 1, A_BOLD, "totals: no interval closed yet");
		return y + 3;
	}
	fmt_bytes(b1, sizeof(b1), f[STATS_TOTAL_BYTES]);
	snprintf(buf, sizeof(buf), "totals: %lld hits, %s, bad lines %lld, "
	    "late %lld", (long long)f[STATS_TOTAL_HITS], b1,
	    (long long)v->total_bad, (long long)v->total_late);
	put(y, 1, A_BOLD, buf);
	fmt_bytes(b1, sizeof(b1), f[STATS_BYTES]);
	hms(t, sizeof(t), f[STATS_END]);
	snprintf(buf, sizeof(buf), "last %llds to %s: %lld hits, %s/s, %s, "
	    "%lld hosts", (long long)f[STATS_INTERVAL], t,
	    (long long)f[STATS_HITS], v->rate, b1, (long long)f[STATS_HOSTS]);
	put(y + 1, 1, 0, buf);
	n = (size_t)snprintf(buf, sizeof(buf), "2xx %lld  3xx %lld  4xx %lld"
	    "  5xx %lld  other %lld |", (long long)f[STATS_2XX],
	    (long long)f[STATS_3XX], (long long)f[STATS_4XX],
	    (long long)f[STATS_5XX], (long long)f[STATS_OTHER]);
	for (i = 0; i < v->nmeth && n < sizeof(buf); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, " %s %lld",
		    v->meth[i].name, (long long)v->meth[i].hits);
	put(y + 2, 1, 0, buf);
	return y + 3;
}

/* draw_sections -- the top sections of the latest interval, k rows */
static int
draw_sections(const struct view *v, int y, int k)
{
	char buf[512], b[32];
	int i, w = COLS - 40;

	if (w > 60)
		w = 60;
	if (w < 8)
		w = 8;
	snprintf(buf, sizeof(buf), "  # %-*s %8s %10s %6s %6s", w, "section",
	    "hits", "bytes", "4xx", "5xx");
	put(y, 1, A_UNDERLINE, buf);
	for (i = 0; i < k && i < v->nsect; i++) {
		fmt_bytes(b, sizeof(b), v->sect[i].bytes);
		snprintf(buf, sizeof(buf), "%3d %-*.*s %8lld %10s %6lld %6lld",
		    i + 1, w, w, v->sect[i].name, (long long)v->sect[i].hits,
		    b, (long long)v->sect[i].s4xx, (long long)v->sect[i].s5xx);
		put(y + 1 + i, 1, 0, buf);
	}
	return y + 1 + k;
}

/* over -- true if c hits in one second are over the threshold */
static int
over(const struct view *v, uint64_t c)
{
	return v->threshold >= 0 && (unsigned __int128)c * 1000000 >
	    (unsigned __int128)v->threshold;
}

/*
 * draw_chart -- hits per second, one column a second, the newest on the
 * right, rows high, scaled so that both the busiest second and the
 * threshold fit; the threshold is a dashed line, seconds over it red.
 */
static void
draw_chart(const struct view *v, int y, int rows)
{
	char buf[64], t[16];
	int cols = COLS - 7, x, lev, h, tl;
	int64_t s, first;
	uint64_t c, ymax = 1, thr;

	if (rows < 2 || cols < 10)
		return;
	if (v->hist_last < 0) {
		put(y, 1, A_BOLD, "hits/s: waiting for window records "
		    "(logalert -s)");
		return;
	}
	if (cols > HIST)
		cols = HIST;
	first = v->hist_last - cols + 1;
	for (s = first; s <= v->hist_last; s++)
		if (s >= v->hist_first && v->hist[s % HIST] > ymax)
			ymax = v->hist[s % HIST];
	thr = v->threshold < 0 ? 0 : (uint64_t)(v->threshold / 1000000);
	if (v->threshold >= 0 && thr + 1 > ymax)
		ymax = thr + 1;
	snprintf(buf, sizeof(buf), "hits/s, last %ds (--- threshold %s)",
	    cols, v->threshold < 0 ? "?" : v->thrtext);
	put(y, 1, A_BOLD, buf);
	y++;
	rows--;
	rows--;		/* the axis */
	/* The threshold's level, 1..rows from the bottom, rounded. */
	tl = v->threshold < 0 ? 0 : (int)((v->threshold * rows + (int64_t)ymax *
	    500000) / ((int64_t)ymax * 1000000));
	if (v->threshold >= 0 && tl < 1)
		tl = 1;
	snprintf(buf, sizeof(buf), "%5llu|", (unsigned long long)ymax);
	put(y, 0, 0, buf);
	for (lev = 1; lev < rows; lev++)
		put(y + rows - lev, 5, 0, "|");
	if (tl > 0 && tl < rows) {
		snprintf(buf, sizeof(buf), "%5.5s|", v->thrtext);
		put(y + rows - tl, 0, 0, buf);
	}
	for (x = 0; x < cols; x++) {
		s = first + x;
		c = s >= v->hist_first ? v->hist[s % HIST] : 0;
		h = (int)((c * (uint64_t)rows + ymax - 1) / ymax);
		for (lev = 1; lev <= rows; lev++) {
			if (lev <= h)
				put(y + rows - lev, 6 + x, over(v, c) ?
				    color(v, C_OVER, A_BOLD) | A_BOLD : 0, "#");
			else if (lev == tl)
				put(y + rows - lev, 6 + x,
				    color(v, C_LINE, 0), "-");
		}
	}
	snprintf(buf, sizeof(buf), "    0+");
	put(y + rows, 0, 0, buf);
	mvhline(y + rows, 6, '-', cols);
	snprintf(buf, sizeof(buf), "-%ds", cols);
	put(y + rows, 6, 0, buf);
	hms(t, sizeof(t), v->hist_last);
	put(y + rows, 6 + cols - (int)strlen(t), 0, t);
}

/* draw_footer -- end of input, bad records */
static void
draw_footer(const struct view *v)
{
	char buf[128];

	if (v->readerr)
		snprintf(buf, sizeof(buf), "read error: %s", strerror(v->readerr));
	else if (v->eof)
		snprintf(buf, sizeof(buf), "end of input");
	else
		buf[0] = '\0';
	if (v->bad.count > 0)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
		    "%s%llu malformed record%s", buf[0] ? "; " : "",
		    (unsigned long long)v->bad.count, v->bad.count == 1 ? "" :
		    "s");
	if (buf[0])
		put(LINES - 1, 1, A_REVERSE, buf);
}

/*
 * draw -- the whole screen.  Fixed rows: title, 2 of alert state, 3 of
 * stats, the sections' heading, the chart's title and axis, the footer;
 * the rest goes to messages, sections and the chart's height.
 */
static void
draw(struct view *v)
{
	int spare = LINES - 10, nmsg, k, y;

	/* Rows for the messages kept, 2 at least, a seventh at most. */
	nmsg = v->nmsg < NMSG ? (int)v->nmsg : NMSG;
	if (nmsg < 2)
		nmsg = 2;
	if (nmsg > spare / 7)
		nmsg = spare / 7 > 1 ? spare / 7 : 1;
	k = v->maxsect > 0 ? v->maxsect : 1;
	if (k > spare * 5 / 14)
		k = spare * 5 / 14;
	if (k < 1)
		k = 1;
	erase();
	draw_title(v);
	y = draw_alert(v, 1, nmsg);
	y = draw_stats(v, y);
	y = draw_sections(v, y, k);
	draw_chart(v, y, LINES - 1 - y);
	draw_footer(v);
	refresh();
	v->dirty = 0;
	v->drawn_ms = now_ms();
}

/* keys -- read the keys pressed; 1 if it is time to quit */
static int
keys(struct view *v)
{
	int c;

	while ((c = getch()) != ERR) {
		if (c == 'q' || c == 'Q')
			return 1;
		if (c == KEY_RESIZE)
			v->dirty = 1;
		else if (c == 'L' - '@') {
			clearok(curscr, TRUE);
			v->dirty = 1;
		}
	}
	return 0;
}

/* screen_open -- curses on the controlling terminal */
static void
screen_open(struct view *v)
{
	if ((v->tty = fopen("/dev/tty", "r+")) == NULL)
		err(EXIT_FAIL, "/dev/tty");
	if ((v->scr = newterm(NULL, v->tty, v->tty)) == NULL)
		errx(EXIT_FAIL, "cannot use the terminal (TERM=%s)",
		    getenv("TERM") ? getenv("TERM") : "");
	set_term(v->scr);
	cbreak();
	noecho();
	nonl();
	nodelay(stdscr, TRUE);
	keypad(stdscr, TRUE);
	curs_set(0);
	if (has_colors() && start_color() != ERR) {
		v->color = 1;
		use_default_colors();
		init_pair(C_ALERT, COLOR_WHITE, COLOR_RED);
		init_pair(C_OK, COLOR_GREEN, -1);
		init_pair(C_OVER, COLOR_RED, -1);
		init_pair(C_LINE, COLOR_YELLOW, -1);
	}
}

/* screen_close -- give the terminal back as it was */
static void
screen_close(struct view *v)
{
	endwin();
	delscreen(v->scr);
	fclose(v->tty);
}

/* deadline -- ms poll may wait: to the next redraw that is due */
static int
deadline(const struct view *v)
{
	int64_t left = v->drawn_ms + (v->dirty ? DRAW_MS : 1000) - now_ms();

	return left < 0 ? 0 : (int)left;
}

/*
 * run -- the loop: wait for records, keys or the next redraw; returns at
 * q or a signal.  The input is made non-blocking so that half a record
 * in a pipe never holds up the keyboard: lr_next then says LR_ERROR with
 * EAGAIN, and the half waits in the reader's buffer for its end.
 */
static void
run(struct view *v, int fd)
{
	struct linereader lr;
	struct pollfd pfd[2];
	int fl;

	if ((fl = fcntl(fd, F_GETFL)) != -1)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	lr_init(&lr, fd, LINE_MAX_DEFAULT, NULL);
	draw(v);
	while (!stop_requested) {
		pfd[0].fd = fileno(v->tty);
		pfd[0].events = POLLIN;
		pfd[1].fd = v->eof ? -1 : fd;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, deadline(v)) == -1 && errno != EINTR)
			err(EXIT_FAIL, "poll");
		if (stop_requested || keys(v))
			break;
		if (pfd[1].revents != 0)
			read_records(v, &lr);
		if (deadline(v) == 0)
			draw(v);
	}
	lr_free(&lr);
	if (fl != -1)
		fcntl(fd, F_SETFL, fl);
}

/* view_init -- an empty view with the title of the command line */
static void
view_init(struct view *v, const char *log, const char *thr, int64_t window,
    int64_t interval)
{
	memset(v, 0, sizeof(*v));
	if (log != NULL)
		safe_copy(v->log, sizeof(v->log), log, strlen(log));
	v->threshold = -1;
	v->window = window;
	v->interval = interval;
	v->last_alert = v->last_recover = -1;
	v->hist_first = v->hist_last = -1;
	if (thr != NULL && set_threshold(v, thr) == -1)
		errx(EXIT_USAGE, "-t %s: not a threshold (hits/s, a decimal "
		    "number, at most 6 decimals)", thr);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help",	no_argument,		NULL, 'h' },
		{ "interval",	required_argument,	NULL, 'i' },
		{ "log",	required_argument,	NULL, 'l' },
		{ "threshold",	required_argument,	NULL, 't' },
		{ "version",	no_argument,		NULL, 'V' },
		{ "window",	required_argument,	NULL, 'w' },
		{ NULL,		0,			NULL, 0 }
	};
	struct view v;
	const char *log = NULL, *thr = NULL;
	int64_t window = 0, interval = 0;
	int ch, fd = STDIN_FILENO;

	while ((ch = getopt_long(argc, argv, "hi:l:t:Vw:", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'h':
			usage(EXIT_OK);
		case 'i':
			interval = opt_number("-i", optarg, 1, 86400);
			break;
		case 'l':
			log = optarg;
			break;
		case 't':
			thr = optarg;
			break;
		case 'V':
			printf("logview %s\n", HTTPMON_VERSION);
			return EXIT_OK;
		case 'w':
			window = opt_number("-w", optarg, 1, 7 * 86400);
			break;
		default:
			usage(EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		usage(EXIT_USAGE);
	view_init(&v, log, thr, window, interval);
	v.name = "stdin";
	if (argc == 1 && strcmp(argv[0], "-") != 0) {
		if ((fd = open(argv[0], O_RDONLY)) == -1)
			err(EXIT_NOINPUT, "%s", argv[0]);
		v.name = argv[0];
	}
	if (log == NULL)
		safe_copy(v.log, sizeof(v.log), v.name, strlen(v.name));
	bad_init(&v.bad, "record", v.name);
	v.bad.limit = 0;	/* no warning over the screen: a summary */
	/* Before newterm: curses then leaves these signals to us. */
	catch_stop_signals();
	screen_open(&v);
	run(&v, fd);
	screen_close(&v);
	bad_summary(&v.bad);
	if (v.readerr) {
		errno = v.readerr;
		warn("%s", v.name);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
