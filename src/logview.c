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
 * ever sent to the terminal.  What the records say (the model, and the
 * chart's scale) is common/view.c, without curses; this file draws it.
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

#include "httpmon.h"
#include "view.h"

#define BATCH		4096	/* records read between two looks at the keys */
#define DRAW_MS		100	/* shortest time between two redraws */

enum { C_ALERT = 1, C_OK, C_OVER, C_LINE };

/* The dashboard: the model (view.h), its input, and the screen. */
struct dash {
	struct view	 v;
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
 * read_records -- take in the records ready on the (non-blocking) input,
 * BATCH at most so that the keyboard is never starved by a replay.
 */
static void
read_records(struct dash *d, struct linereader *lr)
{
	enum lr_status s;
	char *line;
	size_t len;
	int n;

	for (n = 0; n < BATCH && !d->eof; n++) {
		s = lr_next(lr, &line, &len);
		if (s == LR_EOF)
			d->eof = 1;
		else if (s == LR_ERROR) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			d->readerr = errno;
			d->eof = 1;
		} else if (s == LR_TOOLONG)
			bad_report(&d->bad, lr->lineno, "line too long", NULL,
			    0);
		else if (view_line(&d->v, line, len) == -1)
			bad_report(&d->bad, lr->lineno, "malformed record",
			    NULL, 0);
		d->dirty = 1;
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
color(const struct dash *d, short p, attr_t fallback)
{
	return d->color ? COLOR_PAIR(p) : fallback;
}

/*
 * draw_title -- the file, window, threshold, interval, and how to quit.
 * When it does not fit, the file name loses its start, then the rest is
 * cut: "q to quit" always shows.
 */
static void
draw_title(const struct view *v)
{
	char buf[1280], tail[160], fleet[48];
	const char *name = v->log;
	size_t len, room;
	int n;

	/* A fleet's title is its size, not the URLs it is collected from. */
	if (v->nserv > 0) {
		snprintf(fleet, sizeof(fleet), "fleet of %d%s server%s",
		    v->nserv, v->nserv_more > 0 ? "+" : "",
		    v->nserv == 1 && v->nserv_more == 0 ? "" : "s");
		name = fleet;
	}
	len = strlen(name);

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
draw_alert(const struct dash *d, int y, int nmsg)
{
	const struct view *v = &d->v;
	char buf[256], t1[32], t2[32];
	uint64_t i, first;

	if (v->alerting)
		put(y, 1, color(d, C_ALERT, A_REVERSE) | A_BOLD, " ALERT ");
	else
		put(y, 1, color(d, C_OK, A_BOLD) | A_BOLD, "  OK   ");
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
		put(y + 2 + (int)(i - first), 1, 0, v->msg[i % VIEW_NMSG]);
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

/*
 * draw_servers -- the fleet's servers, packed on rows rows: a name, then
 * its lag and hits of the last report, or how long it has been silent,
 * in the alert's colour; "+N" for those that do not fit.
 */
static int
draw_servers(const struct dash *d, int y, int rows)
{
	const struct view *v = &d->v;
	const struct view_server *sv;
	char buf[128];
	int i, x = 1, row = 0, n;

	if (rows == 0)
		return y;
	for (i = 0; i < v->nserv; i++) {
		sv = &v->serv[i];
		if (sv->silent > 0)
			n = snprintf(buf, sizeof(buf), "%s SILENT %llds",
			    sv->name, (long long)sv->silent);
		else
			n = snprintf(buf, sizeof(buf), "%s lag %llds %lld hits",
			    sv->name, (long long)sv->lag, (long long)sv->hits);
		if (x > 1 && x + n + 8 > COLS) {
			if (++row == rows)
				break;
			x = 1;
		}
		put(y + row, x, sv->silent > 0 ? color(d, C_ALERT, A_REVERSE) |
		    A_BOLD : 0, buf);
		x += n + 3;
	}
	if (i < v->nserv || v->nserv_more > 0) {
		snprintf(buf, sizeof(buf), "+%d%s", v->nserv - i,
		    v->nserv_more > 0 ? "+" : "");
		put(y + rows - 1, COLS > 8 ? COLS - 8 : 0, A_BOLD, buf);
	}
	return y + rows;
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

/*
 * draw_chart -- hits per second, one column a second, the newest on the
 * right, rows high, scaled so that both the busiest second and the
 * threshold fit; the threshold is a dashed line, seconds over it red.
 */
static void
draw_chart(const struct dash *d, int y, int rows)
{
	const struct view *v = &d->v;
	struct view_scale sc;
	char buf[64], t[16];
	int cols = COLS - 7, x, lev, h;
	int64_t s, first;
	uint64_t c;

	if (rows < 2 || cols < 10)
		return;
	if (v->hist_last < 0) {
		put(y, 1, A_BOLD, "hits/s: waiting for window records "
		    "(logalert -s)");
		return;
	}
	if (cols > VIEW_HIST)
		cols = VIEW_HIST;
	first = v->hist_last - cols + 1;
	snprintf(buf, sizeof(buf), "hits/s, last %ds (--- threshold %s)",
	    cols, v->threshold < 0 ? "?" : v->thrtext);
	put(y, 1, A_BOLD, buf);
	y++;
	rows--;
	rows--;		/* the axis */
	view_scale(v, cols, rows, &sc);
	snprintf(buf, sizeof(buf), "%5llu|", (unsigned long long)sc.ymax);
	put(y, 0, 0, buf);
	for (lev = 1; lev < rows; lev++)
		put(y + rows - lev, 5, 0, "|");
	if (sc.tl > 0 && sc.tl < rows) {
		snprintf(buf, sizeof(buf), "%5.5s|", v->thrtext);
		put(y + rows - sc.tl, 0, 0, buf);
	}
	for (x = 0; x < cols; x++) {
		s = first + x;
		c = s >= v->hist_first ? v->hist[s % VIEW_HIST] : 0;
		h = view_bar(&sc, c, rows);
		for (lev = 1; lev <= rows; lev++) {
			if (lev <= h)
				put(y + rows - lev, 6 + x, view_over(v, c) ?
				    color(d, C_OVER, A_BOLD) | A_BOLD : 0, "#");
			else if (lev == sc.tl)
				put(y + rows - lev, 6 + x,
				    color(d, C_LINE, 0), "-");
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
draw_footer(const struct dash *d)
{
	char buf[128];

	if (d->readerr)
		snprintf(buf, sizeof(buf), "read error: %s", strerror(d->readerr));
	else if (d->eof)
		snprintf(buf, sizeof(buf), "end of input");
	else
		buf[0] = '\0';
	if (d->bad.count > 0)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
		    "%s%llu malformed record%s", buf[0] ? "; " : "",
		    (unsigned long long)d->bad.count, d->bad.count == 1 ? "" :
		    "s");
	if (buf[0])
		put(LINES - 1, 1, A_REVERSE, buf);
}

/*
 * draw -- the whole screen.  Fixed rows: title, 2 of alert state, 3 of
 * stats, for a fleet 1 or 2 of servers, the sections' heading, the chart's title and axis, the footer;
 * the rest goes to messages, sections and the chart's height.
 */
static void
draw(struct dash *d)
{
	const struct view *v = &d->v;
	int fleet = v->nserv == 0 ? 0 : v->nserv <= 4 ? 1 : 2;
	int spare = LINES - 10 - fleet, nmsg, k, y;

	/* Rows for the messages kept, 2 at least, a seventh at most. */
	nmsg = v->nmsg < VIEW_NMSG ? (int)v->nmsg : VIEW_NMSG;
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
	y = draw_alert(d, 1, nmsg);
	y = draw_stats(v, y);
	y = draw_servers(d, y, fleet);
	y = draw_sections(v, y, k);
	draw_chart(d, y, LINES - 1 - y);
	draw_footer(d);
	refresh();
	d->dirty = 0;
	d->drawn_ms = now_ms();
}

/* keys -- read the keys pressed; 1 if it is time to quit */
static int
keys(struct dash *d)
{
	int c;

	while ((c = getch()) != ERR) {
		if (c == 'q' || c == 'Q')
			return 1;
		if (c == KEY_RESIZE)
			d->dirty = 1;
		else if (c == 'L' - '@') {
			clearok(curscr, TRUE);
			d->dirty = 1;
		}
	}
	return 0;
}

/* screen_open -- curses on the controlling terminal */
static void
screen_open(struct dash *d)
{
	if ((d->tty = fopen("/dev/tty", "r+")) == NULL)
		err(EXIT_FAIL, "/dev/tty");
	if ((d->scr = newterm(NULL, d->tty, d->tty)) == NULL)
		errx(EXIT_FAIL, "cannot use the terminal (TERM=%s)",
		    getenv("TERM") ? getenv("TERM") : "");
	set_term(d->scr);
	cbreak();
	noecho();
	nonl();
	nodelay(stdscr, TRUE);
	keypad(stdscr, TRUE);
	curs_set(0);
	if (has_colors() && start_color() != ERR) {
		d->color = 1;
		use_default_colors();
		init_pair(C_ALERT, COLOR_WHITE, COLOR_RED);
		init_pair(C_OK, COLOR_GREEN, -1);
		init_pair(C_OVER, COLOR_RED, -1);
		init_pair(C_LINE, COLOR_YELLOW, -1);
	}
}

/* screen_close -- give the terminal back as it was */
static void
screen_close(struct dash *d)
{
	endwin();
	delscreen(d->scr);
	fclose(d->tty);
}

/* deadline -- ms poll may wait: to the next redraw that is due */
static int
deadline(const struct dash *d)
{
	int64_t left = d->drawn_ms + (d->dirty ? DRAW_MS : 1000) - now_ms();

	return left < 0 ? 0 : (int)left;
}

/*
 * run -- the loop: wait for records, keys or the next redraw; returns at
 * q or a signal.  The input is made non-blocking so that half a record
 * in a pipe never holds up the keyboard: lr_next then says LR_ERROR with
 * EAGAIN, and the half waits in the reader's buffer for its end.
 */
static void
run(struct dash *d, int fd)
{
	struct linereader lr;
	struct pollfd pfd[2];
	int fl;

	if ((fl = fcntl(fd, F_GETFL)) != -1)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	lr_init(&lr, fd, LINE_MAX_DEFAULT, NULL);
	draw(d);
	while (!stop_requested) {
		pfd[0].fd = fileno(d->tty);
		pfd[0].events = POLLIN;
		pfd[1].fd = d->eof ? -1 : fd;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, deadline(d)) == -1 && errno != EINTR)
			err(EXIT_FAIL, "poll");
		if (stop_requested || keys(d))
			break;
		if (pfd[1].revents != 0)
			read_records(d, &lr);
		if (deadline(d) == 0)
			draw(d);
	}
	lr_free(&lr);
	if (fl != -1)
		fcntl(fd, F_SETFL, fl);
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
	struct dash d;
	const char *log = NULL, *thr = NULL;
	int64_t window = 0, interval = 0;
	int ch, fd = STDIN_FILENO;

	while ((ch = getopt_long(argc, argv, "hi:l:t:Vw:", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'i':
			interval = opt_number("-i", optarg, 1, 86400);
			break;
		case 'l':
			log = optarg;
			break;
		case 't':
			thr = optarg;
			break;
		case 'w':
			window = opt_number("-w", optarg, 1, 7 * 86400);
			break;
		default:
			std_option(ch, usage);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		usage(EXIT_USAGE);
	memset(&d, 0, sizeof(d));
	view_init(&d.v, log, window, interval);
	if (thr != NULL && view_threshold(&d.v, thr) == -1)
		errx(EXIT_USAGE, "-t %s: not a threshold (hits/s, a decimal "
		    "number, at most 6 decimals)", thr);
	d.name = "stdin";
	if (argc == 1 && strcmp(argv[0], "-") != 0) {
		if ((fd = open(argv[0], O_RDONLY)) == -1)
			err(EXIT_NOINPUT, "%s", argv[0]);
		d.name = argv[0];
	}
	if (log == NULL)
		view_safe_copy(d.v.log, sizeof(d.v.log), d.name,
		    strlen(d.name));
	bad_init(&d.bad, "record", d.name);
	d.bad.limit = 0;	/* no warning over the screen: a summary */
	/* Before newterm: curses then leaves these signals to us. */
	catch_stop_signals();
	screen_open(&d);
	run(&d, fd);
	screen_close(&d);
	bad_summary(&d.bad);
	if (d.readerr) {
		errno = d.readerr;
		warn("%s", d.name);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
