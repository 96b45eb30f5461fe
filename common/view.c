/*
 * view.c -- logview's model (view.h): records in, the dashboard's state
 * out, and the chart's scale.  No curses here: logview draws, and the
 * fuzz target drives the same code on random records.
 */
#include <string.h>

#include <vis.h>

#include "view.h"

#define VIS_FLAGS	(VIS_CSTYLE | VIS_TAB | VIS_NL | VIS_OCTAL)

/*
 * view_safe_copy -- src (len bytes, raw) made safe for a terminal with
 * vis(3) into dst; a byte whose escape does not fit is left out with the
 * rest, so an escape is never cut in half.
 */
void
view_safe_copy(char *dst, size_t size, const char *src, size_t len)
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
	view_safe_copy(dst, size, r->field[i], r->len[i]);
}

/*
 * numbers -- the INT fields of r into f (rec_numbers), each at most
 * VIEW_COUNT_MAX, so that no sum or product of a few of them overflows;
 * -1 if r is malformed or a number is out of range.  Times are checked
 * by the caller, against the narrower time range.
 */
static int
numbers(const struct record *r, int64_t *f, int n)
{
	int i;

	if (rec_numbers(r, f, n) == -1)
		return -1;
	for (i = 1; i < n; i++)
		if (rec_schema[r->type].field[i].kind == FIELD_INT &&
		    f[i] > VIEW_COUNT_MAX)
			return -1;
	return 0;
}

/* add_sat -- a + b, both >= 0, at most INT64_MAX */
static int64_t
add_sat(int64_t a, int64_t b)
{
	return a > INT64_MAX - b ? INT64_MAX : a + b;
}

/* view_threshold -- the threshold, as text and in millionths, if valid */
int
view_threshold(struct view *v, const char *text)
{
	int64_t micro;

	if (parse_decimal_micro(text, &micro) == -1)
		return -1;
	v->threshold = micro;
	view_safe_copy(v->thrtext, sizeof(v->thrtext), text, strlen(text));
	return 0;
}

/* add_message -- keep an alert message in the ring */
static void
add_message(struct view *v, struct record *r)
{
	field_copy(v->msg[v->nmsg % VIEW_NMSG], VIEW_MSGLEN, r, ALERT_MESSAGE);
	v->nmsg++;
}

/* do_alert -- an alert or recover record: the state, times, message */
static int
do_alert(struct view *v, struct record *r)
{
	int64_t f[ALERT_NFIELDS];

	if (numbers(r, f, ALERT_NFIELDS) == -1 || !time_valid(f[ALERT_TIME]))
		return -1;
	/* A fleet alert (silent:NAME): a message; the server record says
	   the rest.  The state and the window are the threshold's. */
	if (strncmp(r->field[ALERT_RULE], "silent:", 7) == 0) {
		add_message(v, r);
		return 0;
	}
	if (r->type == REC_ALERT) {
		v->alerting = 1;
		v->nalerts++;
		v->last_alert = f[ALERT_TIME];
	} else {
		v->alerting = 0;
		v->last_recover = f[ALERT_TIME];
	}
	if (v->threshold < 0)
		view_threshold(v, r->field[ALERT_THRESHOLD]);
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

	if (numbers(r, f, WINDOW_NFIELDS) == -1 ||
	    !time_valid(f[WINDOW_TIME] - 1))
		return -1;
	v->have_window = 1;
	v->wtime = f[WINDOW_TIME];
	v->whits = f[WINDOW_HITS];
	field_copy(v->wavg, sizeof(v->wavg), r, WINDOW_AVG);
	if (v->threshold < 0)
		view_threshold(v, r->field[WINDOW_THRESHOLD]);
	s = f[WINDOW_TIME] - 1;
	if (v->hist_last < 0)
		v->hist_first = v->hist_last = s;
	else if (s <= v->hist_last) {
		if (s > v->hist_last - VIEW_HIST)
			v->hist[s % VIEW_HIST] = (uint64_t)f[WINDOW_LASTSEC];
		return 0;
	}
	from = v->hist_last + 1;
	if (s - from >= VIEW_HIST)
		from = s - VIEW_HIST + 1;
	for (; from < s; from++)
		v->hist[from % VIEW_HIST] = 0;
	v->hist[s % VIEW_HIST] = (uint64_t)f[WINDOW_LASTSEC];
	v->hist_last = s;
	return 0;
}

/*
 * do_second -- a second record of logalert -s: second TIME, already
 * charted, has more hits now (lines that came late): its bar grows.
 */
static int
do_second(struct view *v, struct record *r)
{
	int64_t f[SECOND_NFIELDS], s;

	if (numbers(r, f, SECOND_NFIELDS) == -1 ||
	    !time_valid(f[SECOND_TIME]))
		return -1;
	s = f[SECOND_TIME];
	if (v->hist_last >= 0 && s <= v->hist_last &&
	    s > v->hist_last - VIEW_HIST && s >= v->hist_first)
		v->hist[s % VIEW_HIST] = (uint64_t)f[SECOND_HITS];
	return 0;
}

/* do_stats -- the head of a logstats block: a new latest interval */
static int
do_stats(struct view *v, struct record *r)
{
	int64_t f[STATS_NFIELDS];

	if (numbers(r, f, STATS_NFIELDS) == -1 ||
	    !span_valid(f[STATS_END], f[STATS_INTERVAL]))
		return -1;
	memcpy(v->st, f, sizeof(f));
	field_copy(v->rate, sizeof(v->rate), r, STATS_RATE);
	v->have_stats = 1;
	v->total_bad = add_sat(v->total_bad, f[STATS_BAD]);
	v->total_late = add_sat(v->total_late, f[STATS_LATE]);
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
	struct view_section *s;

	if (numbers(r, f, SECTION_NFIELDS) == -1)
		return -1;
	if (!v->have_stats || f[SECTION_END] != v->st[STATS_END] ||
	    v->nsect == VIEW_NSECT)
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
	struct view_method *m;

	if (numbers(r, f, METHOD_NFIELDS) == -1)
		return -1;
	if (!v->have_stats || f[METHOD_END] != v->st[STATS_END] ||
	    v->nmeth == VIEW_NMETH)
		return 0;
	m = &v->meth[v->nmeth++];
	field_copy(m->name, sizeof(m->name), r, METHOD_NAME);
	m->hits = f[METHOD_HITS];
	return 0;
}

/*
 * do_server -- a server record of logmerge: that server's row, made on
 * first sight while there is room (then only counted).
 */
static int
do_server(struct view *v, struct record *r)
{
	struct view_server *sv;
	int64_t f[SERVER_NFIELDS];
	char name[sizeof(sv->name)];
	int i;

	if (numbers(r, f, SERVER_NFIELDS) == -1 ||
	    !time_valid(f[SERVER_TIME]) || !time_valid(f[SERVER_LATEST]))
		return -1;
	field_copy(name, sizeof(name), r, SERVER_SOURCE);
	for (i = 0; i < v->nserv; i++)
		if (strcmp(v->serv[i].name, name) == 0)
			break;
	if (i == v->nserv) {
		if (v->nserv == VIEW_NSERV) {
			v->nserv_more++;
			return 0;
		}
		v->nserv++;
	}
	sv = &v->serv[i];
	memcpy(sv->name, name, sizeof(name));
	sv->latest = f[SERVER_LATEST];
	sv->lag = f[SERVER_LAG];
	sv->hits = f[SERVER_HITS];
	sv->silent = f[SERVER_SILENT];
	return 0;
}

/* view_line -- take in one record line; -1 if it is malformed */
int
view_line(struct view *v, char *line, size_t len)
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
	case REC_SECOND:
		return do_second(v, &r);
	case REC_STATS:
		return do_stats(v, &r);
	case REC_SECTION:
		return do_section(v, &r);
	case REC_METHOD:
		return do_method(v, &r);
	case REC_SERVER:
		return do_server(v, &r);
	default:
		return -1;
	}
}

/* view_over -- true if c hits in one second are over the threshold */
int
view_over(const struct view *v, uint64_t c)
{
	return v->threshold >= 0 && (unsigned __int128)c * 1000000 >
	    (unsigned __int128)v->threshold;
}

/*
 * view_scale -- the scale of a chart of the last cols seconds in rows
 * rows of bars: its top is the busiest second, or above the threshold
 * if that is higher, so that both fit; the threshold's row is rounded,
 * 1 at least.  In 128 bits: a count times a row number never overflows.
 */
void
view_scale(const struct view *v, int64_t cols, int rows,
    struct view_scale *sc)
{
	unsigned __int128 thr, top;
	int64_t s, first = v->hist_last - cols + 1;

	sc->ymax = 1;
	sc->tl = 0;
	for (s = first; s <= v->hist_last; s++)
		if (s >= v->hist_first && v->hist[s % VIEW_HIST] > sc->ymax)
			sc->ymax = v->hist[s % VIEW_HIST];
	if (v->threshold < 0 || rows < 1)
		return;
	thr = (uint64_t)v->threshold / 1000000;
	if (thr + 1 > sc->ymax)
		sc->ymax = (uint64_t)thr + 1;
	top = (unsigned __int128)sc->ymax * 1000000;
	thr = ((unsigned __int128)(uint64_t)v->threshold * (unsigned)rows +
	    top / 2) / top;
	sc->tl = thr < 1 ? 1 : thr > (unsigned)rows ? rows : (int)thr;
}

/* view_bar -- the height in rows, 0..rows, of a bar of c on scale sc */
int
view_bar(const struct view_scale *sc, uint64_t c, int rows)
{
	unsigned __int128 h;

	if (rows < 1)
		return 0;
	h = ((unsigned __int128)c * (unsigned)rows + sc->ymax - 1) / sc->ymax;
	return h > (unsigned)rows ? rows : (int)h;
}

/* view_init -- an empty view, with the title's log, window and interval */
void
view_init(struct view *v, const char *log, int64_t window, int64_t interval)
{
	memset(v, 0, sizeof(*v));
	if (log != NULL)
		view_safe_copy(v->log, sizeof(v->log), log, strlen(log));
	v->threshold = -1;
	v->window = window;
	v->interval = interval;
	v->last_alert = v->last_recover = -1;
	v->hist_first = v->hist_last = -1;
}
