/*
 * logstats -- per-interval traffic statistics from hit records.
 *
 * Reads the record stream (hit, tick, bad) and, for every interval of
 * log time [k*I, (k+1)*I), writes one block of records when the interval
 * closes: a stats record, the top N sections and every method seen.  At
 * most two intervals are open at once (the one the clock is in and the
 * one before it, in its grace period); per interval, memory is one hash
 * table entry per distinct section, host and method, up to a cap:
 *
 *   sections	8192 keys or 256 KiB of names; past it a new section's
 *		hits are FOLDED (counted in the stats, in no section)
 *   methods	64 keys or 4 KiB of names; past it FOLDED_METHODS
 *   hosts	4096 keys or 64 KiB of names counted exactly; past it
 *		every host goes to a HyperLogLog sketch (hll.c, 16 KiB)
 *		and HOSTS is its estimate, HOSTS_APPROX 1
 *
 * The tables are keyed by SipHash under a per-run random key, so that
 * colliding keys cannot be computed offline; nothing written depends on
 * the key (tables are sorted before they are written).  A table is
 * emptied but kept when its interval closes, unless it grew past
 * KEEP_KEYS keys or KEEP_NAMES bytes of names: then it is freed and the
 * memory given back, so that a spike does not hold memory for good.
 */
#include <getopt.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <err.h>

#include "httpmon.h"

#define OUT_BUFSIZE	(256 * 1024)	/* a block is one flush */
#define NAME_MAX_OUT	200		/* bytes of a section name written */
#define JUMP_MAX	60		/* intervals of empties written at once */
#define KEEP_KEYS	1024		/* a table bigger than this is freed */
#define KEEP_NAMES	(64 * 1024)	/* ... and one with more name bytes */

/* The counts of a section, host or method in an interval, by its name. */
struct tally {
	uint64_t	 hits;
	uint64_t	 bytes;
	uint64_t	 s4xx;
	uint64_t	 s5xx;
	uint64_t	 hash;
	uint32_t	 off;		/* the name is at names + off */
	uint32_t	 len;
	const char	*name;		/* set by sort_keys, for ranking */
};

/* The cap on the keys of a table: keys, and bytes of their names. */
struct keycap {
	size_t		 keys;
	size_t		 names;
};
static const struct keycap SECTIONS_CAP = { 8192, 256 * 1024 };
static const struct keycap METHODS_CAP = { 64, 4 * 1024 };
static const struct keycap HOSTS_CAP = { 4096, 64 * 1024 };

/*
 * The keys of one kind in one interval: an open-addressing hash table
 * (linear probing) of indexes into a dense array of keys, their names
 * back to back in one buffer.  Grown when half full, up to its cap;
 * emptied and kept when the interval closes if small (then, once the
 * busiest interval has been seen, a hit allocates nothing), freed if not.
 */
struct keytab {
	uint32_t	*slot;		/* cap entries: 0 empty, else index + 1 */
	size_t		 cap;		/* a power of two; 0 before the first key */
	struct tally	*key;		/* a tally per key, count of them */
	size_t		 count;
	size_t		 keycap;
	char		*names;
	size_t		 nameslen;
	size_t		 namescap;
	const struct keycap *max;	/* the cap: never more keys than it */
};

/* One open interval [k*I, (k+1)*I); used = 0 when the slot is free. */
struct interval {
	int		 used;
	int64_t		 k;
	uint64_t	 hits;
	uint64_t	 bytes;
	uint64_t	 status[ST_NCLASS];
	uint64_t	 nhosts;
	uint64_t	 late;
	uint64_t	 late_bytes;
	uint64_t	 bad;
	uint64_t	 folded;	/* hits of sections past the cap */
	uint64_t	 folded_methods; /* hits of methods past the cap */
	struct hll	*hll;		/* hosts past the cap, or NULL */
	/* The tables last: interval_open zeroes what comes before them. */
	struct keytab	 sections;
	struct keytab	 hosts;
	struct keytab	 methods;
};

struct stats {
	int64_t		 ival;		/* -i: interval length, seconds */
	int64_t		 grace;		/* -g, capped at ival */
	int		 top;		/* -n: sections written per block */
	int		 have_clock;	/* a time has been seen */
	int		 marks;		/* -c: a clock record when T moves */
	int64_t		 clock;		/* T: the largest time seen */
	int64_t		 done;		/* intervals <= done are written */
	int64_t		 skip_until;	/* empties <= this are not written */
	uint64_t	 total_hits;
	uint64_t	 total_bytes;
	uint64_t	 pending_bad;	/* bad input before the first time */
	struct interval	 slot[2];	/* interval k lives in slot[k & 1] */
	struct tally	**sorted;	/* scratch for ranking */
	size_t		 nsorted;
	struct hashkey	 hkey;		/* the tables' hash key, this run's */
	struct out	 out;
	struct badinput	 bad;
};

/* usage -- the synopsis: on stdout for -h, on stderr for a bad call */
static _Noreturn void
usage(int status)
{
	fprintf(status == EXIT_OK ? stdout : stderr, "usage: %s [-chV] "
	    "[-g secs] [-i secs] [-n count] [file ...]\n", getprogname());
	exit(status);
}

/* floor_div -- a / b rounded toward minus infinity (b > 0) */
static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && a < 0) ? q - 1 : q;
}

/* keytab_rehash -- double the slots of t (or make the first ones) */
static void
keytab_rehash(struct keytab *t)
{
	size_t cap = t->cap ? t->cap * 2 : 256, i, j;

	free(t->slot);
	if ((t->slot = calloc(cap, sizeof(*t->slot))) == NULL)
		err(EXIT_FAIL, "malloc");
	t->cap = cap;
	for (i = 0; i < t->count; i++) {
		for (j = t->key[i].hash & (cap - 1); t->slot[j] != 0;
		    j = (j + 1) & (cap - 1))
			;
		t->slot[j] = (uint32_t)i + 1;
	}
}

/* key_add -- a new key for name in t, whose hash is h */
static struct tally *
key_add(struct keytab *t, uint64_t h, const char *name, size_t len)
{
	struct tally *k;
	size_t j;

	if (t->count + 1 > t->cap / 2)
		keytab_rehash(t);
	for (j = h & (t->cap - 1); t->slot[j] != 0; j = (j + 1) & (t->cap - 1))
		;
	t->key = grow_array(t->key, &t->keycap, t->count + 1,
	    sizeof(*t->key), 64);
	t->names = grow_array(t->names, &t->namescap, t->nameslen + len + 1,
	    1, 4096);
	k = &t->key[t->count];
	memset(k, 0, sizeof(*k));
	k->hash = h;
	k->off = (uint32_t)t->nameslen;
	k->len = (uint32_t)len;
	memcpy(t->names + t->nameslen, name, len);
	t->names[t->nameslen + len] = '\0';
	t->nameslen += len + 1;
	t->slot[j] = (uint32_t)++t->count;
	return k;
}

/* keys_full -- t cannot take a key of len more bytes */
static int
keys_full(const struct keytab *t, size_t len)
{
	return t->count >= t->max->keys ||
	    t->nameslen + len + 1 > t->max->names;
}

/*
 * key_get -- the key for name in t, added on its first sighting (*isnew
 * then 1); NULL if it is new and t is at its cap.  Hashed under hk.
 */
static struct tally *
key_get(struct keytab *t, const struct hashkey *hk, const char *name,
    size_t len, int *isnew)
{
	uint64_t h = siphash(hk, name, len);
	struct tally *k;
	size_t j;

	*isnew = 0;
	for (j = h & (t->cap - 1); t->cap > 0 && t->slot[j] != 0;
	    j = (j + 1) & (t->cap - 1)) {
		k = &t->key[t->slot[j] - 1];
		if (k->hash == h && k->len == len &&
		    memcmp(t->names + k->off, name, len) == 0)
			return k;
	}
	if (keys_full(t, len))
		return NULL;
	*isnew = 1;
	return key_add(t, h, name, len);
}

/* keys_reset -- empty t, keeping its memory for the next interval */
static void
keys_reset(struct keytab *t)
{
	if (t->cap > 0)
		memset(t->slot, 0, t->cap * sizeof(*t->slot));
	t->count = 0;
	t->nameslen = 0;
}

/* keys_free -- empty t and free its memory; it keeps its cap */
static void
keys_free(struct keytab *t)
{
	const struct keycap *max = t->max;

	free(t->slot);
	free(t->key);
	free(t->names);
	memset(t, 0, sizeof(*t));
	t->max = max;
}

/* keys_shrink -- empty t; free it if it grew large.  1 if freed. */
static int
keys_shrink(struct keytab *t)
{
	if (t->keycap > KEEP_KEYS || t->namescap > KEEP_NAMES) {
		keys_free(t);
		return 1;
	}
	keys_reset(t);
	return 0;
}

/* interval_open -- start interval k in its slot (the slot must be free) */
static void
interval_open(struct stats *st, int64_t k)
{
	struct interval *iv = &st->slot[k & 1];

	/* The counts start at 0; the (emptied) tables are kept. */
	memset(iv, 0, offsetof(struct interval, sections));
	iv->used = 1;
	iv->k = k;
}

/*
 * interval_clear -- empty an interval's keys and free its slot.  Tables
 * that grew large are freed, and the memory given back to the system
 * (malloc_trim: glibc keeps freed heap memory otherwise).
 */
static void
interval_clear(struct stats *st, struct interval *iv)
{
	int freed = 0;

	freed |= keys_shrink(&iv->sections);
	freed |= keys_shrink(&iv->hosts);
	freed |= keys_shrink(&iv->methods);
	if (iv->hll != NULL) {
		free(iv->hll);
		iv->hll = NULL;
		freed = 1;
	}
	if (st->nsorted > KEEP_KEYS) {
		free(st->sorted);
		st->sorted = NULL;
		st->nsorted = 0;
	}
	iv->used = 0;
#ifdef __GLIBC__
	if (freed)
		malloc_trim(0);
#else
	(void)freed;
#endif
}

/* interval_free -- free an interval's tables, at exit */
static void
interval_free(struct interval *iv)
{
	keys_free(&iv->sections);
	keys_free(&iv->hosts);
	keys_free(&iv->methods);
	free(iv->hll);
	iv->hll = NULL;
	iv->used = 0;
}

/* sort_keys -- the keys of t in st->sorted, ordered by cmp; their count */
static size_t
sort_keys(struct stats *st, struct keytab *t,
    int (*cmp)(const void *, const void *))
{
	size_t i;

	st->sorted = grow_array(st->sorted, &st->nsorted, t->count,
	    sizeof(*st->sorted), 64);
	for (i = 0; i < t->count; i++) {
		t->key[i].name = t->names + t->key[i].off;
		st->sorted[i] = &t->key[i];
	}
	if (t->count > 1)
		qsort(st->sorted, t->count, sizeof(st->sorted[0]), cmp);
	return t->count;
}

/* by_hits -- more hits first, then more bytes, then name bytewise */
static int
by_hits(const void *pa, const void *pb)
{
	const struct tally *a = *(struct tally *const *)pa;
	const struct tally *b = *(struct tally *const *)pb;

	if (a->hits != b->hits)
		return a->hits > b->hits ? -1 : 1;
	if (a->bytes != b->bytes)
		return a->bytes > b->bytes ? -1 : 1;
	return bytes_cmp(a->name, a->len, b->name, b->len);
}

/* out_u -- a TAB and an unsigned number */
static void
out_u(struct out *o, uint64_t v)
{
	out_char(o, '\t');
	out_int(o, v > INT64_MAX ? INT64_MAX : (int64_t)v);
}

/* out_rate -- a TAB and hits / secs with two decimals, rounded half up */
static void
out_rate(struct out *o, uint64_t hits, int64_t secs)
{
	uint64_t c = (hits * 200 + (uint64_t)secs) / (2 * (uint64_t)secs);
	char frac[3];

	out_u(o, c / 100);
	frac[0] = '.';
	frac[1] = (char)('0' + c / 10 % 10);
	frac[2] = (char)('0' + c % 10);
	out_write(o, frac, sizeof(frac));
}

/* utf8_cut -- n shortened so as not to end inside a UTF-8 sequence */
static size_t
utf8_cut(const char *s, size_t len, size_t n)
{
	if (len <= n)
		return len;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

/*
 * emit -- write the block of interval k (iv NULL: an empty interval) and
 * flush it at once, so that the block reaches a shared pipe in one write.
 */
static void
emit(struct stats *st, int64_t k, struct interval *iv)
{
	static struct interval empty;
	struct out *o = &st->out;
	int64_t end = (k + 1) * st->ival;
	size_t i, n;
	int c;

	if (iv == NULL)
		iv = &empty;
	st->total_hits += iv->hits + iv->late;
	st->total_bytes += iv->bytes + iv->late_bytes;
	out_str(o, "stats");
	out_u(o, (uint64_t)end);
	out_u(o, (uint64_t)st->ival);
	out_u(o, iv->hits);
	out_rate(o, iv->hits, st->ival);
	out_u(o, iv->bytes);
	out_u(o, st->total_hits);
	out_u(o, st->total_bytes);
	for (c = 0; c < ST_NCLASS; c++)
		out_u(o, iv->status[c]);
	out_u(o, iv->hll != NULL ? hll_count(iv->hll) : iv->nhosts);
	out_u(o, iv->late);
	out_u(o, iv->bad);
	out_u(o, iv->folded);
	out_u(o, iv->folded_methods);
	out_u(o, iv->hll != NULL);
	out_end(o);
	if (iv != &empty) {
		n = sort_keys(st, &iv->sections, by_hits);
		for (i = 0; i < n && i < (size_t)st->top; i++) {
			struct tally *s = st->sorted[i];

			out_str(o, "section");
			out_u(o, (uint64_t)end);
			out_u(o, i + 1);
			out_field(o, s->name, utf8_cut(s->name, s->len,
			    NAME_MAX_OUT));
			out_u(o, s->hits);
			out_u(o, s->bytes);
			out_u(o, s->s4xx);
			out_u(o, s->s5xx);
			out_end(o);
		}
		n = sort_keys(st, &iv->methods, by_hits);
		for (i = 0; i < n; i++) {
			struct tally *m = st->sorted[i];

			out_str(o, "method");
			out_u(o, (uint64_t)end);
			out_field(o, m->name, utf8_cut(m->name, m->len,
			    NAME_MAX_OUT));
			out_u(o, m->hits);
			out_end(o);
		}
	}
	out_flush(o);
	if (k > st->done)
		st->done = k;
}

/* emit_empties -- write the empty intervals from..to, unless skipped */
static void
emit_empties(struct stats *st, int64_t from, int64_t to)
{
	if (from <= st->skip_until)
		from = st->skip_until + 1;
	for (; from <= to; from++)
		emit(st, from, NULL);
}

/* close_slots -- write and free the open intervals <= upto, in order */
static void
close_slots(struct stats *st, int64_t upto)
{
	struct interval *a = &st->slot[0], *b = &st->slot[1], *t;
	int i;

	if (a->used && b->used && b->k < a->k) {
		t = a;
		a = b;
		b = t;
	}
	for (i = 0; i < 2; i++) {
		struct interval *iv = i == 0 ? a : b;

		if (!iv->used || iv->k > upto)
			continue;
		emit_empties(st, st->done + 1, iv->k - 1);
		emit(st, iv->k, iv);
		interval_clear(st, iv);
	}
}

/*
 * advance -- move the clock T forward to t and close what that closes.
 *
 * Interval k closes when T >= (k+1)*I + G, with G at most I, so only the
 * interval T is in and the one before it can be open.  Closing writes the
 * interval's block; the empty intervals between the last one written and
 * the newest closed one are written too (0 hits), unless this one step
 * moved the clock by more than JUMP_MAX intervals (a tick after an old
 * log was replayed): then the empties skipped over are never written.
 * The interval T is in always exists (it is written even if empty).
 * With -c, a clock record at t comes after what closing wrote: those
 * records were made when T reached t (see mark).
 */
static void
advance(struct stats *st, int64_t t)
{
	int64_t kt = floor_div(t, st->ival), closed;

	if (!st->have_clock) {
		st->have_clock = 1;
		st->clock = t;
		st->done = kt - 2;
		st->skip_until = kt - 1;
		interval_open(st, kt);
		st->slot[kt & 1].bad = st->pending_bad;
		st->pending_bad = 0;
		return;
	}
	if (t <= st->clock)
		return;
	if (kt - floor_div(st->clock, st->ival) > JUMP_MAX &&
	    kt - 1 > st->skip_until)
		st->skip_until = kt - 1;
	st->clock = t;
	closed = floor_div(t - st->grace, st->ival) - 1;
	close_slots(st, closed);
	emit_empties(st, st->done + 1, closed);
	if (!st->slot[kt & 1].used)
		interval_open(st, kt);
}

/* mark -- move the clock to t; with -c, a clock record after what that
   wrote, if T moved (the blocks of the end of input have none) */
static void
mark(struct stats *st, int64_t t)
{
	int moved = !st->have_clock || t > st->clock;

	advance(st, t);
	if (st->marks && moved)
		out_clock(&st->out, t);
}

/* current -- the interval the clock is in (late and bad input go there) */
static struct interval *
current(struct stats *st)
{
	return &st->slot[floor_div(st->clock, st->ival) & 1];
}

/*
 * count_bad -- one unusable line: warn (rate-limited) and count it.  The
 * line may have been split: its NULs are turned back into TABs to show it.
 */
static void
count_bad(struct stats *st, size_t lineno, const char *why, char *line,
    size_t len)
{
	if (line != NULL)
		rec_unsplit(line, len);
	bad_report(&st->bad, lineno, why, line, len);
	if (st->have_clock)
		current(st)->bad++;
	else
		st->pending_bad++;
}

/*
 * count_host -- a host seen in iv: counted exactly while the table has
 * room; past its cap, every host so far goes into a sketch, the table is
 * freed, and from then on the sketch counts.
 */
static void
count_host(struct stats *st, struct interval *iv, const char *name,
    size_t len)
{
	struct keytab *t = &iv->hosts;
	size_t i;
	int isnew;

	if (iv->hll == NULL) {
		if (key_get(t, &st->hkey, name, len, &isnew) != NULL) {
			iv->nhosts += isnew;
			return;
		}
		if ((iv->hll = calloc(1, sizeof(*iv->hll))) == NULL)
			err(EXIT_FAIL, "malloc");
		for (i = 0; i < t->count; i++)
			hll_add(iv->hll, t->names + t->key[i].off,
			    t->key[i].len);
		keys_free(t);
	}
	hll_add(iv->hll, name, len);
}

/* count_key -- hits and bytes of a section or method in iv; folded if
   its table is full */
static void
count_key(struct stats *st, struct keytab *t, uint64_t *folded,
    struct record *r, int field, uint64_t hits, uint64_t bytes,
    enum status_class c)
{
	struct tally *key;
	size_t len;
	int isnew;

	len = rec_unescape(r->field[field], r->len[field]);
	if ((key = key_get(t, &st->hkey, r->field[field], len,
	    &isnew)) == NULL) {
		*folded += hits;
		return;
	}
	key->hits += hits;
	key->bytes += bytes;
	key->s4xx += c == ST_4XX ? hits : 0;
	key->s5xx += c == ST_5XX ? hits : 0;
}

/* add_hit -- count a hit record in its interval, or as late */
static void
add_hit(struct stats *st, struct record *r, int64_t t, int64_t bytes)
{
	int64_t k = floor_div(t, st->ival);
	struct interval *iv;
	enum status_class c;

	mark(st, t);
	if (k <= st->done ||
	    st->clock >= (k + 1) * st->ival + st->grace) {
		/* Its interval is closed: counted, never dropped. */
		current(st)->late++;
		current(st)->late_bytes += (uint64_t)bytes;
		return;
	}
	iv = &st->slot[k & 1];
	if (!iv->used)
		interval_open(st, k);
	c = status_class(r->field[HIT_STATUS], r->len[HIT_STATUS]);
	iv->hits++;
	iv->bytes += (uint64_t)bytes;
	iv->status[c]++;
	count_host(st, iv, r->field[HIT_HOST], r->len[HIT_HOST]);
	count_key(st, &iv->sections, &iv->folded, r, HIT_SECTION, 1,
	    (uint64_t)bytes, c);
	count_key(st, &iv->methods, &iv->folded_methods, r, HIT_METHOD, 1, 0,
	    c);
}

/* roll_interval -- the open interval of time t after advancing, or NULL */
static struct interval *
roll_interval(struct stats *st, int64_t t)
{
	int64_t k = floor_div(t, st->ival);

	mark(st, t);
	if (k <= st->done || st->clock >= (k + 1) * st->ival + st->grace)
		return NULL;
	if (!st->slot[k & 1].used)
		interval_open(st, k);
	return &st->slot[k & 1];
}

/*
 * add_roll -- a roll record (logroll(1)): HITS hits of one section,
 * method and status at TIME, counted as the hits themselves would be.
 */
static void
add_roll(struct stats *st, struct record *r, int64_t t, int64_t hits,
    int64_t bytes)
{
	struct interval *iv;
	enum status_class c;

	if ((iv = roll_interval(st, t)) == NULL) {
		current(st)->late += (uint64_t)hits;
		current(st)->late_bytes += (uint64_t)bytes;
		return;
	}
	c = status_class(r->field[ROLL_STATUS], r->len[ROLL_STATUS]);
	iv->hits += (uint64_t)hits;
	iv->bytes += (uint64_t)bytes;
	iv->status[c] += (uint64_t)hits;
	count_key(st, &iv->sections, &iv->folded, r, ROLL_SECTION,
	    (uint64_t)hits, (uint64_t)bytes, c);
	count_key(st, &iv->methods, &iv->folded_methods, r, ROLL_METHOD,
	    (uint64_t)hits, 0, c);
}

/*
 * do_roll -- a rollup record: roll, rollhost (a distinct host of its
 * second, counted unless its interval is closed), rolltick, rollbad.
 */
static void
do_roll(struct stats *st, struct record *r, char *line, size_t len,
    size_t lineno)
{
	struct interval *iv;
	int64_t t, n, bytes;

	if (r->truncated || rec_time(r, &t) == -1)
		count_bad(st, lineno, "rollup: bad record", line, len);
	else if (r->type == REC_ROLLTICK)
		mark(st, t);
	else if (r->type == REC_ROLLHOST) {
		if ((iv = roll_interval(st, t)) != NULL)
			count_host(st, iv, r->field[ROLLHOST_HOST],
			    r->len[ROLLHOST_HOST]);
	} else if (r->type == REC_ROLLBAD) {
		if (parse_int64(r->field[ROLLBAD_COUNT],
		    r->len[ROLLBAD_COUNT], 0, INT64_MAX / 4, &n) == -1)
			count_bad(st, lineno, "rollbad: bad count", line, len);
		else if (st->have_clock)
			current(st)->bad += (uint64_t)n;
		else
			st->pending_bad += (uint64_t)n;
	} else if (parse_int64(r->field[ROLL_HITS], r->len[ROLL_HITS], 0,
	    INT64_MAX / 4, &n) == -1 || parse_int64(r->field[ROLL_BYTES],
	    r->len[ROLL_BYTES], 0, INT64_MAX / 4, &bytes) == -1)
		count_bad(st, lineno, "roll: bad count", line, len);
	else
		add_roll(st, r, t, n, bytes);
}

/* handle_line -- act on one input line */
static void
handle_line(void *ctx, char *line, size_t len, size_t lineno)
{
	struct stats *st = ctx;
	struct record r;
	int64_t t, bytes;

	/* The fields up to BYTES are read; REFERER and AGENT only counted. */
	if (rec_split_first(line, len, &r, HIT_BYTES + 1) == -1) {
		count_bad(st, lineno, "too many fields", line, len);
		return;
	}
	switch (r.type) {
	case REC_COMMENT:
	case REC_ALERT:
	case REC_RECOVER:
	case REC_STATS:
	case REC_SECTION:
	case REC_METHOD:
	case REC_WINDOW:
	case REC_SECOND:
	case REC_CLOCK:
	case REC_SERVER:
		break;
	case REC_HIT:
		if (r.truncated)
			count_bad(st, lineno, "hit: wrong field count", line,
			    len);
		else if (rec_time(&r, &t) == -1)
			count_bad(st, lineno, "hit: bad time", r.field[1],
			    r.len[1]);
		else if (parse_int64(r.field[HIT_BYTES], r.len[HIT_BYTES], 0,
		    INT64_MAX / 4, &bytes) == -1)
			count_bad(st, lineno, "hit: bad byte count",
			    r.field[HIT_BYTES], r.len[HIT_BYTES]);
		else
			add_hit(st, &r, t, bytes);
		break;
	case REC_ROLL:
	case REC_ROLLHOST:
	case REC_ROLLTICK:
	case REC_ROLLBAD:
		do_roll(st, &r, line, len, lineno);
		break;
	case REC_TICK:
		if (r.truncated || rec_time(&r, &t) == -1)
			count_bad(st, lineno, "tick: bad time", line, len);
		else
			mark(st, t);
		break;
	case REC_BAD:
		/* Already reported by logparse: counted, not warned. */
		if (st->have_clock)
			current(st)->bad++;
		else
			st->pending_bad++;
		break;
	default:
		count_bad(st, lineno, "unknown record type", r.field[0],
		    r.len[0]);
		break;
	}
}

/* finish -- end of input: every open interval closes */
static void
finish(struct stats *st)
{
	if (st->have_clock)
		close_slots(st, INT64_MAX);
}

/* too_long -- an over-long line is bad: counted in its interval */
static void
too_long(void *ctx, size_t lineno)
{
	count_bad(ctx, lineno, "line too long", NULL, 0);
}

/* run -- read the records of one input, to its end or a signal */
static int
run(void *ctx, int fd, const char *name)
{
	static const struct lr_calls calls = {
		.line = handle_line, .toolong = too_long
	};
	struct stats *st = ctx;
	int rval;

	bad_init(&st->bad, "line", name);
	rval = lr_each(fd, name, &st->out, &st->bad, &calls, st);
	bad_summary(&st->bad);
	return rval;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "clock",	no_argument,		NULL, 'c' },
		{ "grace",	required_argument,	NULL, 'g' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "interval",	required_argument,	NULL, 'i' },
		{ "top",	required_argument,	NULL, 'n' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL,		0,			NULL, 0 }
	};
	struct stats st;
	int ch, rval;

	memset(&st, 0, sizeof(st));
	hashkey_random(&st.hkey);
	for (ch = 0; ch < 2; ch++) {
		st.slot[ch].sections.max = &SECTIONS_CAP;
		st.slot[ch].methods.max = &METHODS_CAP;
		st.slot[ch].hosts.max = &HOSTS_CAP;
	}
	st.ival = 10;
	st.grace = 2;
	st.top = 5;
	while ((ch = getopt_long(argc, argv, "cg:hi:n:V", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			st.marks = 1;
			break;
		case 'g':
			st.grace = opt_number("-g", optarg, 0, 86400);
			break;
		case 'i':
			st.ival = opt_number("-i", optarg, 1, 86400);
			break;
		case 'n':
			st.top = (int)opt_number("-n", optarg, 0, 100);
			break;
		default:
			std_option(ch, usage);
		}
	}
	argc -= optind;
	argv += optind;
	/* Two open intervals at most: a grace longer than I acts as I. */
	if (st.grace > st.ival)
		st.grace = st.ival;
	catch_stop_signals();
	out_init(&st.out, STDOUT_FILENO, OUT_BUFSIZE);
	out_share(&st.out);	/* logalert may write into the same pipe */
	/* The files in turn are one stream. */
	rval = each_input(argc, argv, "stdin", run, &st);
	finish(&st);
	interval_free(&st.slot[0]);
	interval_free(&st.slot[1]);
	free(st.sorted);
	out_finish(&st.out);
	return rval;
}
