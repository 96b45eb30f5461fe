/*
 * logalert -- raise a high-traffic alert, and its recovery, over a
 * sliding window of log time.
 *
 * Reads httpmon records; writes alert and recover records.  The rule,
 * which the man page states and the tests pin down:
 *
 *   T is the largest timestamp seen so far (hits and ticks).  When T
 *   grows from a to b, the window is evaluated at every second boundary
 *   t in (a, b]: hits = the hits with time in [t-W, t-1] that have
 *   arrived so far, avg = hits / W.  Not in alert and avg > threshold:
 *   alert at t.  In alert and avg <= threshold: recover at t.  A hit
 *   older than T+1-W can never fall in a future window: it is late,
 *   counted and dropped.
 *
 * The window is a ring of W per-second counts and their running sum:
 * memory O(W), O(1) amortised work per record.
 *
 * With -s, every evaluation at t also writes a window record: the hits
 * and average it saw, and the hits of second t-1 alone, for a live view.
 * A hit that comes late, for a second already reported and still in the
 * window, marks that second changed; the next evaluation first writes a
 * second record (its count now) for each changed second, once, so that
 * a chart built from the records sums to the window's hits.
 *
 * With --state FILE, T, the window's non-zero seconds and whether an
 * alert is on are saved to FILE at exit and restored at start, so that
 * an alert on at a stop recovers after the restart.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <err.h>

#include "httpmon.h"
#include "notify.h"

#define WINDOW_DEFAULT		120
#define WINDOW_MAX		(7 * 86400)
#define THRESHOLD_DEFAULT	"10"
#define THRESHOLD_MAX_MICRO	(INT64_C(1000000000) * 1000000)
#define STATE_HEADER		"#logalert-state 1"
#define STATE_LINE_MAX		80	/* the longest line a state file holds */

struct alerter {
	int64_t		 window;	/* W, seconds */
	int64_t		 threshold;	/* hits/s, in millionths */
	char		 thrtext[32];	/* the threshold as written out */
	uint64_t	*count;		/* count[s % W]: hits in second s */
	uint64_t	 sum;		/* hits in [T+1-W, T] */
	unsigned char	*changed;	/* -s: changed[s % W], s grew late */
	int64_t		*changes;	/* -s: those seconds, in order */
	size_t		 nchanges;
	int64_t		 now;		/* T, the largest time seen */
	int		 started;	/* a time has been seen */
	int		 alerting;
	int		 status;	/* -s: a window record per evaluation */
	int		 marks;		/* -c: a clock record when T moves */
	struct notify	 notify;	/* --on-alert, --syslog */
	struct out	 out;
	struct badinput	 bad;
	struct badinput	 late;
};

/* usage -- the synopsis: on stdout for -h, on stderr for a bad call */
static _Noreturn void
usage(int status)
{
	fprintf(status == EXIT_OK ? stdout : stderr, "usage: %s [-chsV] "
	    "[-t threshold] [-w window] [--hook-timeout secs]\n"
	    "                [--on-alert command] [--replay-hooks] "
	    "[--state file] [--syslog]\n                [file ...]\n",
	    getprogname());
	exit(status);
}

/* format_threshold -- millionths as the shortest decimal ("2.5", "10") */
static void
format_threshold(char *buf, size_t size, int64_t micro)
{
	int64_t frac = micro % 1000000;
	int digits = 6;

	if (frac == 0) {
		snprintf(buf, size, "%" PRId64, micro / 1000000);
		return;
	}
	while (frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	snprintf(buf, size, "%" PRId64 ".%0*" PRId64, micro / 1000000, digits,
	    frac);
}

/* over_threshold -- hits / W > threshold, exactly, in integers */
static int
over_threshold(const struct alerter *a, uint64_t hits)
{
	return (unsigned __int128)hits * 1000000 >
	    (unsigned __int128)a->threshold * (uint64_t)a->window;
}

/* format_avg -- hits / W to two decimals, rounded half up, no floats */
static void
format_avg(const struct alerter *a, char *buf, size_t size, uint64_t hits)
{
	uint64_t hundredths;

	hundredths = (hits * 200 + (uint64_t)a->window) /
	    (2 * (uint64_t)a->window);
	snprintf(buf, size, "%" PRIu64 ".%02" PRIu64, hundredths / 100,
	    hundredths % 100);
}

/* emit -- an alert or recover at second t: run the hooks, then write
   the record and flush it */
static void
emit(struct alerter *a, int alert, int64_t t, uint64_t hits)
{
	char when[40], msg[160], avg[32];

	format_avg(a, avg, sizeof(avg), hits);
	fmt_rfc3339(when, sizeof(when), t);
	if (alert)
		snprintf(msg, sizeof(msg), "High traffic generated an alert - "
		    "hits = %" PRIu64 ", triggered at %s", hits, when);
	else
		snprintf(msg, sizeof(msg), "Traffic recovered - hits = %"
		    PRIu64 ", recovered at %s", hits, when);
	/*
	 * Hooks and syslog first: an output that blocks (a display that
	 * does not read) must never hold up the delivery of an alert.
	 */
	notify_event(&a->notify, &(struct alert_event){ alert ? "alert" :
	    "recover", t, hits, avg, a->thrtext, a->window, msg, "hits" });
	out_str(&a->out, alert ? "alert" : "recover");
	out_char(&a->out, '\t');
	out_int(&a->out, t);
	out_char(&a->out, '\t');
	out_int(&a->out, (int64_t)hits);
	out_field(&a->out, avg, strlen(avg));
	out_field(&a->out, a->thrtext, strlen(a->thrtext));
	out_field(&a->out, msg, strlen(msg));
	out_field(&a->out, "hits", 4);
	out_end(&a->out);
	out_flush(&a->out);
}

/*
 * emit_window -- with -s, the window record of the evaluation at t: the
 * hits in [t-W, t-1], their average, the threshold and the hits of
 * second t-1.  Flushed when the input would block, like everything else.
 */
static void
emit_window(struct alerter *a, int64_t t, uint64_t hits, uint64_t lastsec)
{
	char avg[32];

	format_avg(a, avg, sizeof(avg), hits);
	out_str(&a->out, "window\t");
	out_int(&a->out, t);
	out_char(&a->out, '\t');
	out_int(&a->out, (int64_t)hits);
	out_field(&a->out, avg, strlen(avg));
	out_field(&a->out, a->thrtext, strlen(a->thrtext));
	out_char(&a->out, '\t');
	out_int(&a->out, (int64_t)lastsec);
	out_end(&a->out);
}

/*
 * emit_seconds -- with -s, a second record for each second whose count
 * grew after it was reported, with its count now: each once, in the order
 * they changed.  Every one was caused by a hit: O(1) amortised per hit.
 */
static void
emit_seconds(struct alerter *a)
{
	size_t i;
	int64_t s;

	for (i = 0; i < a->nchanges; i++) {
		s = a->changes[i];
		out_str(&a->out, "second\t");
		out_int(&a->out, s);
		out_char(&a->out, '\t');
		out_int(&a->out, (int64_t)a->count[s % a->window]);
		out_end(&a->out);
		a->changed[s % a->window] = 0;
	}
	a->nchanges = 0;
}

/* evaluate -- apply the rule at second boundary t, window sum hits */
static void
evaluate(struct alerter *a, int64_t t, uint64_t hits)
{
	int over = over_threshold(a, hits);

	if (a->status) {
		emit_seconds(a);
		emit_window(a, t, hits, a->count[(t - 1) % a->window]);
	}

	if (over && !a->alerting) {
		a->alerting = 1;
		emit(a, 1, t, hits);
	} else if (!over && a->alerting) {
		a->alerting = 0;
		emit(a, 0, t, hits);
	}
}

/*
 * advance -- move T forward to b, evaluating the window at every second
 * boundary on the way.  After W+1 steps the ring is empty and every
 * further evaluation sees zero hits, which cannot change the state, so a
 * jump of any size costs at most W+1 steps.  With -s, the evaluations
 * skipped would all say zero: one window record at b says it once.
 */
static void
advance(struct alerter *a, int64_t b)
{
	int64_t t, steps = b - a->now, slot;

	if (steps > a->window + 1)
		steps = a->window + 1;
	for (t = a->now + 1; t <= a->now + steps; t++) {
		evaluate(a, t, a->sum);
		/* T becomes t: second t-W leaves the ring, its slot is t's */
		slot = t % a->window;
		a->sum -= a->count[slot];
		a->count[slot] = 0;
	}
	if (a->status && b > a->now + steps)
		emit_window(a, b, 0, 0);
	a->now = b;
}

/* clock_to -- a record says log time has reached t (with -c, a clock
   record after what the move wrote: those records were made at t) */
static void
clock_to(struct alerter *a, int64_t t)
{
	int moved = !a->started || t > a->now;

	if (!a->started) {
		a->started = 1;
		a->now = t;
	} else if (t > a->now)
		advance(a, t);
	if (a->marks && moved)
		out_clock(&a->out, t);
}

/*
 * add_hits -- count n hits at time t; 0, or -1 if they are late.  With
 * -s, a second before T was already reported (or never will be): its
 * change is noted for the next evaluation's second records.
 */
static int
add_hits(struct alerter *a, int64_t t, uint64_t n)
{
	int64_t slot = t % a->window;

	clock_to(a, t);
	if (t < a->now + 1 - a->window)
		return -1;
	a->count[slot] += n;
	a->sum += n;
	if (a->status && t < a->now && !a->changed[slot]) {
		a->changed[slot] = 1;
		a->changes[a->nchanges++] = t;
	}
	return 0;
}

/*
 * handle_roll -- a rollup record (logroll(1)): a roll counts HITS hits
 * at TIME, a rolltick moves the clock, as the hits and ticks would have.
 * Only TYPE and TIME were split: the record is split again in full.
 */
static void
handle_roll(struct alerter *a, struct record *r, char *line, size_t len,
    size_t lineno)
{
	int64_t t, n;

	rec_unsplit(line, len);
	if (rec_split(line, len, r) < 0 || r->truncated)
		bad_report(&a->bad, lineno, "wrong number of fields", NULL, 0);
	else if (rec_time(r, &t) != 0)
		bad_report(&a->bad, lineno, "bad time", r->field[1], r->len[1]);
	else if (r->type == REC_ROLLTICK)
		clock_to(a, t);
	else if (parse_int64(r->field[ROLL_HITS], r->len[ROLL_HITS], 0,
	    INT64_MAX / 4, &n) != 0)
		bad_report(&a->bad, lineno, "bad hit count",
		    r->field[ROLL_HITS], r->len[ROLL_HITS]);
	else if (add_hits(a, t, (uint64_t)n) != 0)
		bad_report(&a->late, lineno, "late record, dropped",
		    r->field[1], r->len[1]);
}

/*
 * pass_on -- an alert or recover record of another stage (logmerge's
 * fleet alerts, with their RULE), or a server record: written on at once
 * as it came, and for an alert or recover the hooks and syslog run as
 * for logalert's own.  One without a RULE (an older writer) passes by
 * unseen, as before.  Only TYPE and TIME were split: split again in full.
 */
static void
pass_on(struct alerter *a, struct record *r, char *line, size_t len,
    size_t lineno)
{
	int64_t t, hits;

	rec_unsplit(line, len);
	if (rec_split(line, len, r) < 0 || r->truncated)
		return;
	if (rec_time(r, &t) != 0) {
		bad_report(&a->bad, lineno, "bad time", r->field[1], r->len[1]);
		return;
	}
	if (r->type != REC_SERVER && parse_int64(r->field[ALERT_HITS],
	    r->len[ALERT_HITS], 0, INT64_MAX, &hits) != 0) {
		bad_report(&a->bad, lineno, "bad hit count",
		    r->field[ALERT_HITS], r->len[ALERT_HITS]);
		return;
	}
	/*
	 * Hooks and syslog first, as for logalert's own (emit): an output
	 * that blocks must not hold up a fleet alert.  They get the fields
	 * as they came, escaped: a server's name may hold any byte, its
	 * escaped form none to fear.
	 */
	if (r->type != REC_SERVER)
		notify_event(&a->notify, &(struct alert_event){
		    r->type == REC_ALERT ? "alert" : "recover", t,
		    (uint64_t)hits, r->field[ALERT_AVG],
		    r->field[ALERT_THRESHOLD], a->window,
		    r->field[ALERT_MESSAGE], r->field[ALERT_RULE] });
	rec_unsplit(line, len);
	out_write(&a->out, line, len);
	out_end(&a->out);
	if (r->type != REC_SERVER)
		out_flush(&a->out);
}

/* handle_line -- one input line: a hit or tick moves the window */
static void
handle_line(void *ctx, char *line, size_t len, size_t lineno)
{
	struct alerter *a = ctx;
	struct record r;
	int64_t t;

	/* Only TYPE and TIME are read: the other fields are just counted. */
	if (rec_split_first(line, len, &r, 2) < 0) {
		bad_report(&a->bad, lineno, "too many fields", NULL, 0);
		return;
	}
	if (r.type == REC_UNKNOWN) {
		bad_report(&a->bad, lineno, "unknown record type", r.field[0],
		    r.len[0]);
		return;
	}
	if (r.type == REC_ROLL || r.type == REC_ROLLTICK) {
		handle_roll(a, &r, line, len, lineno);
		return;
	}
	if (r.type == REC_ALERT || r.type == REC_RECOVER ||
	    r.type == REC_SERVER) {
		pass_on(a, &r, line, len, lineno);
		return;
	}
	if (r.type != REC_HIT && r.type != REC_TICK)
		return;		/* comments and other records pass by */
	if (r.truncated) {
		bad_report(&a->bad, lineno, "wrong number of fields", NULL, 0);
		return;
	}
	if (rec_time(&r, &t) != 0) {
		bad_report(&a->bad, lineno, "bad time", r.field[1], r.len[1]);
		return;
	}
	if (r.type == REC_TICK)
		clock_to(a, t);
	else if (add_hits(a, t, 1) != 0)
		bad_report(&a->late, lineno, "late record, dropped",
		    r.field[1], r.len[1]);
}

/* run -- read one input to its end; EXIT_FAIL after a read error */
static int
run(void *ctx, int fd, const char *name)
{
	struct alerter *a = ctx;

	a->bad.file = a->late.file = name;
	return lr_each(fd, name, &a->out, &a->bad,
	    &(const struct lr_calls){ .line = handle_line }, a);
}

/*
 * The state file (--state): a header line, then one "KEY VALUE" line
 * each for window (W), threshold (as written out), time (T) and alerting
 * (0 or 1), then a "second S N" line for each second S of the window
 * (T+1-W to T) that holds N > 0 hits.  Written to a temporary file and
 * renamed over FILE, so that a crash leaves the old state or the new.
 */

/* state_save -- T, the window and the alert flag to path; 0 or -1 */
static int
state_save(const struct alerter *a, const char *path)
{
	char tmp[PATH_MAX];
	int64_t s;
	FILE *fp;
	int fd;

	if (!a->started)
		return 0;	/* no time seen: nothing to remember */
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp)) {
		warnx("%s: name too long", path);
		return -1;
	}
	if ((fd = mkstemp(tmp)) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		warn("%s", tmp);
		if (fd != -1) {
			close(fd);
			unlink(tmp);
		}
		return -1;
	}
	fprintf(fp, "%s\nwindow %" PRId64 "\nthreshold %s\ntime %" PRId64
	    "\nalerting %d\n", STATE_HEADER, a->window, a->thrtext, a->now,
	    a->alerting);
	for (s = a->now + 1 - a->window; s <= a->now; s++)
		if (s >= 0 && a->count[s % a->window] > 0)
			fprintf(fp, "second %" PRId64 " %" PRIu64 "\n", s,
			    a->count[s % a->window]);
	if (fflush(fp) == EOF || ferror(fp) || fsync(fd) == -1) {
		warn("%s", tmp);
		fclose(fp);
		unlink(tmp);
		return -1;
	}
	fclose(fp);
	if (rename(tmp, path) == -1) {
		warn("%s", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* state_field -- "KEY VALUE..." line: the text after KEY and a space */
static const char *
state_field(const char *line, const char *key)
{
	size_t n = strlen(key);

	return strncmp(line, key, n) == 0 && line[n] == ' ' ? line + n + 1 :
	    NULL;
}

/* state_int -- the decimal number v is, from min to max; 0 or -1 */
static int
state_int(const char *v, int64_t min, int64_t max, int64_t *n)
{
	return v == NULL ? -1 : parse_int64(v, strlen(v), min, max, n);
}

/*
 * state_read -- the state file's lines into a, whose window and threshold
 * they must match; a->count must be zero.  NULL, or what is wrong.
 */
static const char *
state_read(struct alerter *a, FILE *fp, size_t *lineno)
{
	char line[STATE_LINE_MAX + 2], *sp;
	int64_t v, n;
	size_t len;
	int have = 0;	/* bits: window, threshold, time, alerting */

	for (*lineno = 1; fgets(line, sizeof(line), fp) != NULL; (*lineno)++) {
		if ((len = strlen(line)) == 0 || line[len - 1] != '\n')
			return "line too long or cut short";
		line[len - 1] = '\0';
		if (*lineno == 1) {
			if (strcmp(line, STATE_HEADER) != 0)
				return "not a logalert state file";
		} else if (state_field(line, "window") != NULL) {
			if (state_int(state_field(line, "window"), 1,
			    WINDOW_MAX, &v) != 0)
				return "bad window";
			if (v != a->window)
				return "another window: state ignored";
			have |= 1;
		} else if (state_field(line, "threshold") != NULL) {
			if (strcmp(state_field(line, "threshold"),
			    a->thrtext) != 0)
				return "another threshold: state ignored";
			have |= 2;
		} else if (state_field(line, "time") != NULL) {
			if (have != 3 || state_int(state_field(line, "time"),
			    0, TIME_MAX, &a->now) != 0)
				return "bad time";
			have |= 4;
		} else if (state_field(line, "alerting") != NULL) {
			if (state_int(state_field(line, "alerting"), 0, 1,
			    &v) != 0)
				return "bad alerting flag";
			a->alerting = (int)v;
			have |= 8;
		} else if (state_field(line, "second") != NULL) {
			/* "second S N": S in the window, N > 0, no overflow */
			if ((have & 4) == 0 ||
			    (sp = strchr(line + 7, ' ')) == NULL)
				return "bad second";
			*sp++ = '\0';
			if (state_int(line + 7, a->now + 1 - a->window, a->now,
			    &v) != 0 || v < 0 ||
			    state_int(sp, 1, INT64_MAX / 4, &n) != 0 ||
			    a->sum + (uint64_t)n < a->sum)
				return "bad second";
			a->count[v % a->window] += (uint64_t)n;
			a->sum += (uint64_t)n;
		} else
			return "unknown line";
	}
	if (ferror(fp))
		return strerror(errno);
	return have == 15 ? NULL : "incomplete";
}

/*
 * state_load -- restore what state_save wrote to path, if path exists.
 * A state that cannot be read, or one of another window or threshold, is
 * ignored with a warning: the run starts afresh.
 */
static void
state_load(struct alerter *a, const char *path)
{
	const char *why;
	size_t lineno = 0;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		if (errno != ENOENT)
			warn("%s: starting afresh", path);
		return;
	}
	if ((why = state_read(a, fp, &lineno)) != NULL) {
		warnx("%s:%zu: %s", path, lineno, why);
		memset(a->count, 0, (size_t)a->window * sizeof(*a->count));
		a->sum = 0;
		a->now = 0;
		a->alerting = 0;
	} else
		a->started = 1;
	fclose(fp);
}

static void
setup(struct alerter *a, int64_t window, int64_t threshold, int status)
{
	memset(a, 0, sizeof(*a));
	a->window = window;
	a->status = status;
	if (status && ((a->changed = calloc((size_t)window, 1)) == NULL ||
	    (a->changes = calloc((size_t)window, sizeof(int64_t))) == NULL))
		err(EXIT_FAIL, "calloc");
	a->threshold = threshold;
	format_threshold(a->thrtext, sizeof(a->thrtext), threshold);
	if ((a->count = calloc((size_t)window, sizeof(*a->count))) == NULL)
		err(EXIT_FAIL, "calloc");
	out_init(&a->out, STDOUT_FILENO, 64 * 1024);
	out_share(&a->out);	/* logstats may write into the same pipe */
	bad_init(&a->bad, "record", "stdin");
	bad_init(&a->late, "record", "stdin");
	a->late.kind = "late";
}

int
main(int argc, char *argv[])
{
	enum { OPT_HOOK_TIMEOUT = 256, OPT_ON_ALERT, OPT_REPLAY_HOOKS,
	    OPT_STATE, OPT_SYSLOG };
	static const struct option longopts[] = {
		{ "clock", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "hook-timeout", required_argument, NULL, OPT_HOOK_TIMEOUT },
		{ "on-alert", required_argument, NULL, OPT_ON_ALERT },
		{ "replay-hooks", no_argument, NULL, OPT_REPLAY_HOOKS },
		{ "state", required_argument, NULL, OPT_STATE },
		{ "status", no_argument, NULL, 's' },
		{ "syslog", no_argument, NULL, OPT_SYSLOG },
		{ "threshold", required_argument, NULL, 't' },
		{ "version", no_argument, NULL, 'V' },
		{ "window", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 }
	};
	struct alerter a;
	struct notify notify;
	const char *thr = THRESHOLD_DEFAULT, *state = NULL;
	int64_t window = WINDOW_DEFAULT, threshold;
	int ch, marks = 0, rval, status = 0;

	notify_init(&notify);
	while ((ch = getopt_long(argc, argv, "chst:Vw:", longopts, NULL)) != -1)
		switch (ch) {
		case 'c':
			marks = 1;
			break;
		case 's':
			status = 1;
			break;
		case 't':
			thr = optarg;
			break;
		case 'w':
			window = opt_number("-w", optarg, 1, WINDOW_MAX);
			break;
		case OPT_HOOK_TIMEOUT:
			notify.timeout = (int)opt_number("--hook-timeout",
			    optarg, 1, HOOK_TIMEOUT_MAX);
			break;
		case OPT_ON_ALERT:
			notify.hook = optarg;
			break;
		case OPT_REPLAY_HOOKS:
			notify.replay = 1;
			break;
		case OPT_STATE:
			state = optarg;
			break;
		case OPT_SYSLOG:
			notify.syslog = 1;
			break;
		default:
			std_option(ch, usage);
		}
	argc -= optind;
	argv += optind;
	if (parse_decimal_micro(thr, &threshold) != 0 ||
	    threshold > THRESHOLD_MAX_MICRO)
		errx(EXIT_USAGE, "-t %s: not a threshold (hits/s, a decimal "
		    "number from 0 to 1000000000, at most 6 decimals)", thr);

	catch_stop_signals();
	setup(&a, window, threshold, status);
	a.marks = marks;
	a.notify = notify;
	if (state != NULL)
		state_load(&a, state);
	notify_start(&a.notify);
	out_str(&a.out, RECORDS_HEADER "\n");
	rval = each_input(argc, argv, "stdin", run, &a);
	emit_seconds(&a);	/* what came late after the last evaluation */
	bad_summary(&a.bad);
	bad_summary(&a.late);
	notify_finish(&a.notify);
	out_finish(&a.out);
	if (state != NULL && state_save(&a, state) != 0 && rval == EXIT_OK)
		rval = EXIT_IOERR;
	free(a.count);
	free(a.changed);
	free(a.changes);
	return rval;
}
