/*
 * logmerge -- merge the rollup records of many sources into one stream
 * with one clock, dropping duplicates, for a central logalert and
 * logstats.
 *
 * Rollups (logroll) of many web servers arrive interleaved, a little out
 * of order, and some twice (a consumer delivers at least once).  A record
 * is known by (SOURCE, SEQ): one whose SEQ a source has already sent is
 * dropped.  Per source, LATEST is the largest time among the records that
 * arrived without a gap in SEQ before them: the source has sent
 * everything up to LATEST (a record of second LATEST may still come).
 *
 * The fleet clock.  FRONT is the largest LATEST of all sources.  A source
 * is active while its LATEST >= FRONT - L (-l, default 10 s): a source
 * that has fallen L seconds behind, silent or late, stops holding the
 * clock back.  The clock is the smallest LATEST of the active sources, or
 * FRONT - L while fewer than -n sources have been seen; it never goes
 * back.  When it reaches C, every record held with time <= C is written,
 * in time order, then a tick C: downstream, no second closes before
 * every active source is past it, and the alert of a silent host's
 * missing hits comes at most L seconds later, never a false recovery
 * while it is only slow.  A record that arrives with its time already
 * behind the clock (a source more than L seconds late) is written at
 * once: logalert counts it if it still falls in its window, logstats
 * counts it as late; neither drops it silently.
 *
 * A gap in a source's SEQ (a message still on its way) holds that
 * source's LATEST, so a record resent out of order is waited for; once
 * the records past the gap are L seconds newer than LATEST the gap is
 * given up on (and said so).  A run of logroll starts at a SEQ that is a
 * multiple of 2^20: the first record that arrives from a source, or one
 * more than 2^20 past the expected SEQ with nothing waiting (a restarted
 * logroll), starts a new run at the multiple at or below its SEQ, and
 * the records between are waited for like any gap: a run's first
 * message, resent after its second, does not come too late.
 *
 * The time guard (common/timeguard.c) stands between each source and
 * its LATEST, so that one forged or wrong record cannot move the fleet
 * clock: a record more than TG_FUTURE_MAX (300 s) ahead of the wall
 * clock is bad ("time in the future"), and one more than TG_JUMP_MAX
 * (3600 s) ahead of what its source sent before (for a new source: of
 * the fleet's FRONT) waits until TG_CONFIRM (2) later records of that
 * source confirm it, or is bad ("time jump not confirmed").  A refused
 * record leaves its SEQ untaken (see refuse).
 *
 * Records held for the clock sit in a ring of per-second buffers (the
 * records of one second, in arrival order) reused for ever; one too far
 * ahead for the ring waits in a sorted list.
 *
 * Fleet health.  Each time the clock crosses a multiple of -r seconds, a
 * server record per source says its LATEST, its lag behind FRONT, the
 * hits of its rollups taken since the last one, and how long it has been
 * silent.  A source is silent once NOW - LATEST > L, NOW being FRONT, or,
 * while the input would block, FRONT plus the wall-clock time since FRONT
 * last moved (so that a whole fleet gone quiet is noticed too): an alert
 * record with rule silent:NAME says so, and a recover record when its
 * LATEST is back within L of the largest NOW so far, QUIET, each with a
 * server record of it.  So a source is silent exactly while its LATEST
 * < QUIET - L, and as QUIET only grows, the newly silent are those of
 * bylatest from QUIET - L to NOW - L: O(log n) a record, plus each alert.
 */
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <err.h>
#include <sys/tree.h>

#include "httpmon.h"

#define LATE_DEFAULT	10
#define LATE_MAX	86400
#define NEWRUN_JUMP	(INT64_C(1) << 20)
#define RUN_ALIGN	(INT64_C(1) << 20)	/* a run's first SEQ */
#define OUT_BUFSIZE	(256 * 1024)
#define REPORT_DEFAULT	10		/* -r: seconds between server records */
#define IDLE_POLL_MS	1000		/* the wall clock's step when idle */

/* A record of a source that arrived past a gap in its SEQ. */
struct pend {
	RB_ENTRY(pend)	 entry;
	int64_t		 seq;
	int64_t		 time;
};
RB_HEAD(pendtree, pend);

struct source {
	RB_ENTRY(source) entry;
	RB_ENTRY(source) byl;		/* in m->bylatest, once it has LATEST */
	int64_t		 next;		/* the lowest SEQ not yet received */
	int64_t		 latest;	/* LATEST, or INT64_MIN */
	int64_t		 pend_max;	/* largest time in pend */
	int64_t		 t0;		/* the time of its first record */
	uint64_t	 hits;		/* hits taken since its server record */
	int		 silent;	/* a silent:NAME alert is out */
	struct timeguard guard;		/* what may move LATEST */
	struct pendtree	 pend;
	const char	*name;		/* unescaped: the bytes after it */
};
RB_HEAD(sourcetree, source);
RB_HEAD(latesttree, source);

/* A record too far ahead for the ring, in time, then arrival, order. */
struct far {
	RB_ENTRY(far)	 entry;
	int64_t		 time;
	uint64_t	 n;
	size_t		 len;
	char		 line[];
};
RB_HEAD(fartree, far);

/* The records of one second held for the clock. */
struct bucket {
	char		*buf;
	size_t		 len, cap;
};

struct merger {
	int64_t		 late;		/* -l: L */
	int64_t		 expect;	/* -n: sources before the clock runs */
	int		 started;	/* a record has set the clock */
	int64_t		 clock;		/* C: written up to here */
	int64_t		 front;
	int64_t		 newest;	/* the largest time held */
	int		 wrote;		/* a record was written: ticks may go */
	int64_t		 report;	/* -r: server records every so often */
	int64_t		 front_ms;	/* the monotonic ms FRONT last moved */
	int64_t		 quiet;		/* QUIET: silence is found up to it */
	struct bucket	*ring;		/* ring[t & mask]: second t > C */
	int64_t		 mask;
	struct sourcetree sources;
	struct latesttree bylatest;	/* the sources with a LATEST, by it */
	size_t		 nsources;
	size_t		 nlatest;	/* how many: bylatest's size */
	struct source	*last;		/* the source of the last record */
	struct source	*cur;		/* the source its guard calls for */
	struct fartree	 far;
	uint64_t	 nfar;
	uint64_t	 dups, behind, lost;
	struct out	 out;
	struct badinput	 bad;
};

static int
pend_cmp(const struct pend *a, const struct pend *b)
{
	return (a->seq > b->seq) - (a->seq < b->seq);
}

static int
source_cmp(const struct source *a, const struct source *b)
{
	return strcmp(a->name, b->name);
}

/*
 * latest_cmp -- by LATEST, then by address: no two sources are equal.
 * A search key (no name) comes before the sources of its LATEST.
 */
static int
latest_cmp(const struct source *a, const struct source *b)
{
	uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;

	if (a->latest != b->latest)
		return a->latest < b->latest ? -1 : 1;
	if (a->name == NULL || b->name == NULL)
		return (b->name == NULL) - (a->name == NULL);
	return (x > y) - (x < y);
}

static int
far_cmp(const struct far *a, const struct far *b)
{
	if (a->time != b->time)
		return a->time < b->time ? -1 : 1;
	return (a->n > b->n) - (a->n < b->n);
}

/* RB_GENERATE_STATIC needs __unused, which libbsd leaves undefined. */
RB_GENERATE_INTERNAL(pendtree, pend, entry, pend_cmp,
    __attribute__((__unused__)) static)
RB_GENERATE_INTERNAL(sourcetree, source, entry, source_cmp,
    __attribute__((__unused__)) static)
RB_GENERATE_INTERNAL(latesttree, source, byl, latest_cmp,
    __attribute__((__unused__)) static)
RB_GENERATE_INTERNAL(fartree, far, entry, far_cmp,
    __attribute__((__unused__)) static)

static void held_pass(void *, char *, size_t, size_t, int64_t, int64_t);
static void held_reject(void *, const char *, char *, size_t, size_t,
    int64_t);
static const struct tg_calls guard_calls = {
	.pass = held_pass, .reject = held_reject
};

/* usage -- the synopsis: on stdout for -h, on stderr for a bad call */
static _Noreturn void
usage(int status)
{
	fprintf(status == EXIT_OK ? stdout : stderr, "usage: %s [-hV] "
	    "[-l secs] [-n sources] [-r secs] [file ...]\n", getprogname());
	exit(status);
}

/* source_get -- the state of the source named name, made on first sight */
static struct source *
source_get(struct merger *m, const char *name, int64_t seq)
{
	struct source *s, find;
	size_t len = strlen(name);

	if (m->last != NULL && strcmp(m->last->name, name) == 0)
		return m->last;
	find.name = name;
	if ((s = RB_FIND(sourcetree, &m->sources, &find)) == NULL) {
		if ((s = calloc(1, sizeof(*s) + len + 1)) == NULL)
			err(EXIT_FAIL, "malloc");
		memcpy(s + 1, name, len + 1);
		s->name = (const char *)(s + 1);
		s->next = seq & ~(RUN_ALIGN - 1);
		s->latest = s->t0 = INT64_MIN;
		s->pend_max = INT64_MIN;
		tg_init(&s->guard, TG_FUTURE_MAX, &guard_calls, m);
		if (m->started)		/* a newcomer is no jump from FRONT */
			s->guard.front = m->front;
		RB_INIT(&s->pend);
		RB_INSERT(sourcetree, &m->sources, s);
		m->nsources++;
	}
	return m->last = s;
}

/* pop_contiguous -- take the waiting records that now follow next */
static void
pop_contiguous(struct source *s)
{
	struct pend *p;

	while ((p = RB_MIN(pendtree, &s->pend)) != NULL && p->seq <= s->next) {
		if (p->seq == s->next) {
			s->next++;
			if (p->time > s->latest)
				s->latest = p->time;
		}
		RB_REMOVE(pendtree, &s->pend, p);
		free(p);
	}
	if (RB_EMPTY(&s->pend))
		s->pend_max = INT64_MIN;
}

/*
 * receive -- account for record (seq, t) of source s: 0 if it is new,
 * -1 if it is a duplicate.  LATEST moves over what arrived without a gap.
 */
static int
receive(struct merger *m, struct source *s, int64_t seq, int64_t t)
{
	struct pend *p, find;
	char name[SAFE_TEXT_MAX];

	if (s->t0 == INT64_MIN)
		s->t0 = t;
	find.seq = seq;
	if (seq < s->next || RB_FIND(pendtree, &s->pend, &find) != NULL)
		return -1;
	if (seq > s->next && RB_EMPTY(&s->pend) &&
	    seq - s->next > NEWRUN_JUMP) {
		warnx("%s: sequence jumped from %" PRId64 " to %" PRId64
		    ": a new run", safe_text(name, sizeof(name), s->name),
		    s->next, seq);
		s->next = seq & ~(RUN_ALIGN - 1);
	}
	if (seq == s->next) {
		s->next++;
		if (t > s->latest)
			s->latest = t;
		pop_contiguous(s);
		return 0;
	}
	if ((p = malloc(sizeof(*p))) == NULL)
		err(EXIT_FAIL, "malloc");
	p->seq = seq;
	p->time = t;
	RB_INSERT(pendtree, &s->pend, p);
	if (t > s->pend_max)
		s->pend_max = t;
	/* Past a gap for L seconds: what is missing is not coming. */
	while (!RB_EMPTY(&s->pend) && s->pend_max > (s->latest !=
	    INT64_MIN ? s->latest : s->t0) + m->late) {
		p = RB_MIN(pendtree, &s->pend);
		warnx("%s: records %" PRId64 " to %" PRId64 " missing for %"
		    PRId64 " s, going on without them", safe_text(name,
		    sizeof(name), s->name), s->next, p->seq - 1, m->late);
		m->lost += (uint64_t)(p->seq - s->next);
		s->next = p->seq;
		pop_contiguous(s);
	}
	return 0;
}

/* hold -- keep a record of second t > C until the clock reaches it */
static void
hold(struct merger *m, int64_t t, const char *line, size_t len)
{
	struct bucket *b;
	struct far *f;
	size_t c;

	if (t > m->newest)
		m->newest = t;
	if (t - m->clock > m->mask + 1) {
		if ((f = malloc(sizeof(*f) + len)) == NULL)
			err(EXIT_FAIL, "malloc");
		f->time = t;
		f->n = m->nfar++;
		f->len = len;
		memcpy(f->line, line, len);
		RB_INSERT(fartree, &m->far, f);
		return;
	}
	b = &m->ring[t & m->mask];
	if (b->len + len + 1 > b->cap) {
		for (c = b->cap ? b->cap : 4096; c < b->len + len + 1; c *= 2)
			;
		if ((b->buf = realloc(b->buf, c)) == NULL)
			err(EXIT_FAIL, "malloc");
		b->cap = c;
	}
	memcpy(b->buf + b->len, line, len);
	b->buf[b->len + len] = '\n';
	b->len += len + 1;
}

/* write_far -- write, or move into the ring, the far records now near */
static void
write_far(struct merger *m, int64_t upto)
{
	struct far *f;

	while ((f = RB_MIN(fartree, &m->far)) != NULL &&
	    f->time - m->clock <= m->mask + 1) {
		RB_REMOVE(fartree, &m->far, f);
		if (f->time <= upto) {
			out_write(&m->out, f->line, f->len);
			out_end(&m->out);
			m->wrote = 1;
		} else
			hold(m, f->time, f->line, f->len);
		free(f);
	}
}

/* server_record -- the server record of source s at time t, NOW being now */
static void
server_record(struct merger *m, struct source *s, int64_t t, int64_t now)
{
	out_str(&m->out, "server\t");
	out_int(&m->out, t);
	out_char(&m->out, '\t');
	out_str(&m->out, s->name);	/* as it came: still escaped */
	out_char(&m->out, '\t');
	out_int(&m->out, s->latest);
	out_char(&m->out, '\t');
	out_int(&m->out, m->front > s->latest ? m->front - s->latest : 0);
	out_char(&m->out, '\t');
	out_int(&m->out, (int64_t)s->hits);
	out_char(&m->out, '\t');
	out_int(&m->out, s->silent && now > s->latest ? now - s->latest : 0);
	out_end(&m->out);
	s->hits = 0;
}

/*
 * silent_record -- the alert (or recover) record of source s at time t,
 * rule silent:NAME, then its server record; flushed, for the hooks.
 */
static void
silent_record(struct merger *m, struct source *s, int64_t t, int alert)
{
	char name[SAFE_TEXT_MAX], when[40], msg[SAFE_TEXT_MAX + 80];
	size_t n;

	n = strlcpy(name, s->name, sizeof(name));
	rec_unescape(name, n < sizeof(name) ? n : sizeof(name) - 1);
	fmt_rfc3339(when, sizeof(when), s->latest);
	snprintf(msg, sizeof(msg), alert ? "Server %s stopped sending - last "
	    "data at %s" : "Server %s is sending again - data up to %s",
	    name, when);
	out_str(&m->out, alert ? "alert\t" : "recover\t");
	out_int(&m->out, t);
	out_str(&m->out, "\t0\t0\t0");
	out_field(&m->out, msg, strlen(msg));
	out_str(&m->out, "\tsilent:");
	out_str(&m->out, s->name);
	out_end(&m->out);
	server_record(m, s, t, t);
	out_flush(&m->out);
}

/*
 * find_silent -- NOW is now: the sources whose LATEST is more than L
 * before it, not yet silent (from QUIET - L on), are said silent.
 */
static void
find_silent(struct merger *m, int64_t now)
{
	struct source *s, find;

	if (now <= m->quiet)
		return;
	find.latest = m->quiet - m->late;
	find.name = NULL;
	for (s = RB_NFIND(latesttree, &m->bylatest, &find);
	    s != NULL && now - s->latest > m->late;
	    s = RB_NEXT(latesttree, &m->bylatest, s))
		if (!s->silent) {
			s->silent = 1;
			silent_record(m, s, now, 1);
		}
	m->quiet = now;
}

/*
 * health -- source s's LATEST moved: it is back (within L of QUIET), or
 * new and already silent; then NOW is FRONT.
 */
static void
health(struct merger *m, struct source *s)
{
	if (s->silent && s->latest >= m->quiet - m->late) {
		s->silent = 0;
		silent_record(m, s, m->front, 0);
	} else if (!s->silent && s->latest < m->quiet - m->late) {
		s->silent = 1;
		silent_record(m, s, m->quiet, 1);
	}
	find_silent(m, m->front);
}

/* report -- the clock crossed a multiple of -r: every source's record */
static void
report(struct merger *m, int64_t c)
{
	struct source *s;

	RB_FOREACH(s, sourcetree, &m->sources)
		if (s->latest != INT64_MIN)
			server_record(m, s, c, m->front > m->quiet ?
			    m->front : m->quiet);
}

/*
 * advance -- move the clock to c: write the held seconds (C, c] in order,
 * then a tick c.  A jump of more than the ring writes the whole ring
 * first, then the far records up to c.
 */
static void
advance(struct merger *m, int64_t c)
{
	int64_t t, steps = c - m->clock, before = m->clock;
	struct bucket *b;

	if (steps <= 0)
		return;
	if (steps > m->mask + 1)
		steps = m->mask + 1;
	for (t = m->clock + 1; t <= m->clock + steps; t++) {
		b = &m->ring[t & m->mask];
		if (b->len == 0)
			continue;
		out_write(&m->out, b->buf, b->len);
		m->wrote = 1;
		b->len = 0;
	}
	if (c - m->clock > m->mask + 1) {
		m->clock = c - m->mask - 1;	/* the ring is empty */
		write_far(m, c);
	}
	m->clock = c;
	write_far(m, c);
	/* No tick before the first record: it would start the clock early. */
	if (m->wrote) {
		out_str(&m->out, "tick\t");
		out_int(&m->out, c);
		out_end(&m->out);
	}
	if (c / m->report != before / m->report)
		report(m, c);
}

/*
 * fleet_clock -- the clock rule (see the top of the file), in O(log n)
 * for n sources: LATEST only grows, so FRONT is the largest LATEST
 * ever set, and the smallest LATEST >= FRONT - L is found in bylatest.
 */
static int64_t
fleet_clock(struct merger *m)
{
	struct source *s, find;
	int64_t front;

	if (RB_EMPTY(&m->bylatest))
		return m->clock;
	front = RB_MAX(latesttree, &m->bylatest)->latest;
	if (front != m->front) {
		m->front = front;
		m->front_ms = now_ms();
	}
	if (m->nlatest < (size_t)m->expect)
		return m->front - m->late;
	find.latest = m->front - m->late;
	find.name = NULL;
	s = RB_NFIND(latesttree, &m->bylatest, &find);
	return s->latest;
}

/*
 * relatest -- source s's LATEST moved from before: move it in bylatest
 * (RB_REMOVE does not compare, so the new key is no harm there).
 */
static void
relatest(struct merger *m, struct source *s, int64_t before)
{
	if (before != INT64_MIN)
		RB_REMOVE(latesttree, &m->bylatest, s);
	else
		m->nlatest++;
	RB_INSERT(latesttree, &m->bylatest, s);
}

/* field_int -- field i of r as an integer in [0, max] */
static int
field_int(struct record *r, int i, int64_t max, int64_t *v)
{
	return parse_int64(r->field[i], r->len[i], 0, max, v);
}

/*
 * is_dup -- whether source s has had record seq already, or its guard
 * holds this very record.  A different record held with that SEQ does
 * not make this one a duplicate: one of the two is forged, and the one
 * the guard lets through first is taken (the other is then dropped).
 */
static int
is_dup(struct source *s, int64_t seq, const char *line, size_t len)
{
	struct pend find;

	find.seq = seq;
	return seq < s->next || RB_FIND(pendtree, &s->pend, &find) != NULL ||
	    tg_holds(&s->guard, seq, line, len);
}

/* roll_hits -- the HITS field of a roll record's line, or 0 */
static uint64_t
roll_hits(const char *line, size_t len)
{
	const char *p = line, *end = line + len, *tab;
	int64_t n;
	int i;

	for (i = 0; i < ROLL_HITS; i++) {
		if ((p = memchr(p, '\t', (size_t)(end - p))) == NULL)
			return 0;
		p++;
	}
	tab = memchr(p, '\t', (size_t)(end - p));
	if (parse_int64(p, (size_t)((tab ? tab : end) - p), 0, INT64_MAX / 4,
	    &n) != 0)
		return 0;
	return (uint64_t)n;
}

/*
 * take -- a record of source s that its guard let through: it moves
 * LATEST and is held for the clock, or written now (a rolltick only
 * moves LATEST).
 */
static void
take(struct merger *m, struct source *s, const char *line, size_t len,
    int64_t seq, int64_t t)
{
	int64_t before = s->latest;

	if (receive(m, s, seq, t) != 0) {	/* held, and its SEQ came since */
		m->dups++;
		return;
	}
	if (!m->started) {
		m->started = 1;
		m->clock = t - m->late - 1;
		m->newest = m->clock;
	}
	if (len > 5 && memcmp(line, "roll\t", 5) == 0)
		s->hits += roll_hits(line, len);
	if (len < 9 || memcmp(line, "rolltick\t", 9) != 0) {
		if (t > m->clock)
			hold(m, t, line, len);
		else {
			if (t < m->clock)
				m->behind++;
			out_write(&m->out, line, len);
			out_end(&m->out);
			m->wrote = 1;
		}
	}
	if (s->latest != before) {
		relatest(m, s, before);
		advance(m, fleet_clock(m));
		health(m, s);
	}
}

/*
 * refuse -- a record whose time its guard refused is bad and leaves no
 * trace: its SEQ is not taken (a forged record must not make the real
 * one with that SEQ a duplicate, nor start a new run), so a real record
 * refused is a gap, waited for L seconds like any other.
 */
static void
refuse(struct merger *m, const char *why, size_t lineno)
{
	bad_report(&m->bad, lineno, why, NULL, 0);
}

/* held_pass, held_reject -- the guard of source m->cur decided */
static void
held_pass(void *ctx, char *line, size_t len, size_t lineno, int64_t seq,
    int64_t t)
{
	struct merger *m = ctx;

	(void)lineno;
	take(m, m->cur, line, len, seq, t);
}

static void
held_reject(void *ctx, const char *why, char *line, size_t len,
    size_t lineno, int64_t seq)
{
	(void)line;
	(void)len;
	(void)seq;
	refuse(ctx, why, lineno);
}

/* handle_line -- one rollup record: dropped, held, or written now */
static void
handle_line(void *ctx, char *line, size_t len, size_t lineno)
{
	struct merger *m = ctx;
	struct record r;
	struct source *s;
	int64_t t, seq;

	if (rec_split(line, len, &r) < 0) {
		bad_report(&m->bad, lineno, "too many fields", NULL, 0);
		return;
	}
	if (r.type == REC_COMMENT)
		return;
	if (r.type != REC_ROLL && r.type != REC_ROLLHOST &&
	    r.type != REC_ROLLTICK && r.type != REC_ROLLBAD) {
		bad_report(&m->bad, lineno, "not a rollup record", r.field[0],
		    r.len[0]);
		return;
	}
	if (r.truncated || rec_time(&r, &t) != 0 ||
	    field_int(&r, ROLL_SEQ, INT64_MAX - 1, &seq) != 0) {
		bad_report(&m->bad, lineno, "bad time or sequence", NULL, 0);
		return;
	}
	/*
	 * Sources are known by their text as written: unescaping in place
	 * would change the line passed on.  A raw control byte in it (a
	 * forged record) is escaped in warnings (safe_text).
	 */
	s = source_get(m, r.field[ROLL_SOURCE], seq);
	rec_unsplit(line, len);
	if (is_dup(s, seq, line, len)) {
		m->dups++;
		return;
	}
	m->cur = s;
	switch (tg_admit(&s->guard, t, line, len, lineno, seq)) {
	case TG_PASS:
		take(m, s, line, len, seq, t);
		break;
	case TG_HELD:
		break;
	case TG_FUTURE:
		refuse(m, "time in the future", lineno);
		break;
	}
}

/*
 * idle -- the input would block: NOW goes on with the wall clock from
 * FRONT's last move, a second at a time, until input comes or a stop,
 * so that sources, all of them too, are found silent with no data.
 */
static void
idle(void *ctx, int fd)
{
	struct merger *m = ctx;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (RB_EMPTY(&m->bylatest))
		return;
	do {
		find_silent(m, m->front + (now_ms() - m->front_ms) / 1000);
		out_flush(&m->out);
	} while (!stop_requested && poll(&pfd, 1, IDLE_POLL_MS) == 0);
}

/* run -- merge one input to its end */
static int
run(void *ctx, int fd, const char *name)
{
	struct merger *m = ctx;

	m->bad.file = name;
	return lr_each(fd, name, &m->out, &m->bad,
	    &(const struct lr_calls){ .line = handle_line, .idle = idle }, m);
}

/* finish -- end of input: everything held is written, in time order */
static void
finish(struct merger *m)
{
	struct source *s;

	RB_FOREACH(s, sourcetree, &m->sources) {
		m->cur = s;
		tg_finish(&s->guard);
	}
	if (m->started)
		advance(m, m->newest);
}

/* summary -- what was dropped, passed on late or lost, on stderr */
static void
summary(const struct merger *m)
{
	if (m->dups > 0)
		warnx("%" PRIu64 " duplicate record%s dropped", m->dups,
		    m->dups == 1 ? "" : "s");
	if (m->behind > 0)
		warnx("%" PRIu64 " record%s came after the clock had passed "
		    "their second (written late)", m->behind,
		    m->behind == 1 ? "" : "s");
	if (m->lost > 0)
		warnx("%" PRIu64 " record%s never came", m->lost,
		    m->lost == 1 ? "" : "s");
}

/* teardown -- free what the merger holds */
static void
teardown(struct merger *m)
{
	struct source *s;
	struct pend *p;
	struct far *f;
	int64_t i;

	while ((s = RB_MIN(sourcetree, &m->sources)) != NULL) {
		while ((p = RB_MIN(pendtree, &s->pend)) != NULL) {
			RB_REMOVE(pendtree, &s->pend, p);
			free(p);
		}
		RB_REMOVE(sourcetree, &m->sources, s);
		tg_free(&s->guard);
		free(s);
	}
	for (i = 0; i <= m->mask; i++)
		free(m->ring[i].buf);
	free(m->ring);
	while ((f = RB_MIN(fartree, &m->far)) != NULL) {
		RB_REMOVE(fartree, &m->far, f);
		free(f);
	}
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help",	no_argument,		NULL, 'h' },
		{ "late",	required_argument,	NULL, 'l' },
		{ "report",	required_argument,	NULL, 'r' },
		{ "sources",	required_argument,	NULL, 'n' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL,		0,			NULL, 0 }
	};
	struct merger m;
	int64_t ring = 64;
	int ch, rval;

	memset(&m, 0, sizeof(m));
	m.late = LATE_DEFAULT;
	m.expect = 1;
	m.report = REPORT_DEFAULT;
	while ((ch = getopt_long(argc, argv, "hl:n:r:V", longopts, NULL)) !=
	    -1)
		switch (ch) {
		case 'l':
			m.late = opt_number("-l", optarg, 0, LATE_MAX);
			break;
		case 'n':
			m.expect = opt_number("-n", optarg, 1, 100000);
			break;
		case 'r':
			m.report = opt_number("-r", optarg, 1, LATE_MAX);
			break;
		default:
			std_option(ch, usage);
		}
	argc -= optind;
	argv += optind;

	/* The ring holds 2L seconds and more: C to FRONT, and past gaps. */
	while (ring < 2 * m.late + 64)
		ring *= 2;
	if ((m.ring = calloc((size_t)ring, sizeof(*m.ring))) == NULL)
		err(EXIT_FAIL, "calloc");
	m.mask = ring - 1;
	RB_INIT(&m.sources);
	RB_INIT(&m.bylatest);
	RB_INIT(&m.far);
	catch_stop_signals();
	out_init(&m.out, STDOUT_FILENO, OUT_BUFSIZE);
	bad_init(&m.bad, "record", "stdin");
	out_str(&m.out, RECORDS_HEADER "\n");
	rval = each_input(argc, argv, "stdin", run, &m);
	finish(&m);
	bad_summary(&m.bad);
	summary(&m);
	out_finish(&m.out);
	teardown(&m);
	return rval;
}
