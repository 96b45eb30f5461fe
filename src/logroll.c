/*
 * logroll -- roll hit records up into per-second rollup records, tagged
 * with a source name and a per-source sequence number, for shipping to a
 * central logalert and logstats (httpmon.sh --ship).
 *
 * The rollup of a stream must give the same alerts and stats as the
 * stream itself.  Both readers move a clock T, the largest time seen,
 * and judge each hit (late or not) against T at the moment it arrives.
 * So logroll sums the hits that arrive while T stays put (a group: hits
 * at T and any out-of-order ones of earlier seconds) and writes the group
 * just before T moves on, its records of second T first: the reader sees
 * T reached, then every sum judged against that same T, exactly as it
 * would have judged the hits one by one.  A group is also written when
 * the input would block, so a live rollup waits for nothing; a second
 * group at the same T changes nothing for the reader.
 *
 *   roll      TIME SOURCE SEQ SECTION METHOD STATUS HITS BYTES
 *   rollhost  TIME SOURCE SEQ HOST		one per distinct host
 *   rolltick  TIME SOURCE SEQ			a tick moved T
 *   rollbad   TIME SOURCE SEQ COUNT		bad lines in the group
 *
 * A group's sums live in an open-addressing hash table over an arena of
 * key bytes; both are reused from group to group, so the hot path does
 * not allocate once they have grown to the busiest second.  The table is
 * keyed by SipHash under a per-run random key (no colliding keys can be
 * made offline), and bounded: a group that reaches GROUP_SUMS sums or
 * GROUP_BYTES bytes of keys is written at once, as when input would
 * block.  The output stays exact for its readers (a second group at the
 * same T changes nothing); only the same key may then be written twice.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <err.h>

#include "httpmon.h"

#define OUT_BUFSIZE	(64 * 1024)
#define SEQ_MAX		(INT64_MAX / 2)
#define RUN_ALIGN	(INT64_C(1) << 20)	/* logmerge: a run's start */
#define GROUP_SUMS	4096		/* a group is written at this many sums */
#define GROUP_BYTES	(256 * 1024)	/* ... or this many bytes of keys */

/* One sum of a group: a (second, section, method, status) or a host. */
struct ent {
	int64_t		 time;
	uint64_t	 hash;
	uint64_t	 hits;
	uint64_t	 bytes;
	size_t		 off;		/* key bytes in the arena */
	size_t		 len[3];	/* section, method, status; or host */
	size_t		 slot;		/* its place in the hash table */
	int		 ishost;
};

struct roller {
	const char	*source;
	int64_t		 seq;		/* SEQ of the next record */
	int		 started;	/* T is set */
	int64_t		 now;		/* T */
	uint64_t	 badcount;	/* bad lines in the open group */
	struct ent	*ent;		/* the group's sums, in arrival order */
	size_t		 nent, ent_cap;
	uint32_t	*table;		/* index + 1 into ent, 0: empty */
	size_t		 table_cap;	/* a power of two */
	char		*arena;
	size_t		 arena_len, arena_cap;
	char		*key;		/* scratch: the key of a hit */
	size_t		 key_cap;
	size_t		*order;		/* scratch: ent indexes to write */
	size_t		 order_cap;
	struct hashkey	 hkey;		/* the table's hash key, this run's */
	struct out	 out;
	struct badinput	 bad;
};

/* usage -- the synopsis: on stdout for -h, on stderr for a bad call */
static _Noreturn void
usage(int status)
{
	fprintf(status == EXIT_OK ? stdout : stderr, "usage: %s [-hV] "
	    "[-S seq] [-s source] [file ...]\n", getprogname());
	exit(status);
}

/* hash_key -- SipHash of the key bytes, then of it, the second and the kind */
static uint64_t
hash_key(const struct hashkey *hk, int64_t t, int ishost, const char *k,
    size_t n)
{
	uint64_t v[3] = { siphash(hk, k, n), (uint64_t)t, (uint64_t)ishost };

	return siphash(hk, v, sizeof(v));
}

/* rehash -- double the table and put every sum back in it */
static void
rehash(struct roller *r)
{
	size_t i, mask, s;

	free(r->table);
	r->table_cap = r->table_cap ? r->table_cap * 2 : 256;
	if ((r->table = calloc(r->table_cap, sizeof(*r->table))) == NULL)
		err(EXIT_FAIL, "malloc");
	mask = r->table_cap - 1;
	for (i = 0; i < r->nent; i++) {
		for (s = r->ent[i].hash & mask; r->table[s] != 0;
		    s = (s + 1) & mask)
			;
		r->table[s] = (uint32_t)(i + 1);
		r->ent[i].slot = s;
	}
}

/*
 * find -- the sum for key k (the parts' lengths in len) at second t,
 * added with zero counts if the group does not have it yet.
 */
static struct ent *
find(struct roller *r, int64_t t, int ishost, const char *k,
    const size_t len[3])
{
	size_t n = len[0] + len[1] + len[2], mask, s;
	uint64_t h = hash_key(&r->hkey, t, ishost, k, n);
	struct ent *e;

	if (r->nent + 1 > r->table_cap / 2)
		rehash(r);
	mask = r->table_cap - 1;
	for (s = h & mask; r->table[s] != 0; s = (s + 1) & mask) {
		e = &r->ent[r->table[s] - 1];
		if (e->hash == h && e->time == t && e->ishost == ishost &&
		    e->len[0] == len[0] && e->len[1] == len[1] &&
		    e->len[2] == len[2] &&
		    memcmp(r->arena + e->off, k, n) == 0)
			return e;
	}
	if (r->nent >= UINT32_MAX - 1)
		errx(EXIT_FAIL, "too many sums in one second");
	r->ent = grow_array(r->ent, &r->ent_cap, r->nent + 1, sizeof(*r->ent),
	    64);
	r->arena = grow_array(r->arena, &r->arena_cap, r->arena_len + n, 1, 64);
	e = &r->ent[r->nent];
	memset(e, 0, sizeof(*e));
	e->time = t;
	e->hash = h;
	e->ishost = ishost;
	memcpy(e->len, len, sizeof(e->len));
	e->off = r->arena_len;
	e->slot = s;
	memcpy(r->arena + r->arena_len, k, n);
	r->arena_len += n;
	r->table[s] = (uint32_t)++r->nent;
	return e;
}

/* out_head -- the TYPE TIME SOURCE SEQ start of a rollup record */
static void
out_head(struct roller *r, const char *type, int64_t t)
{
	out_str(&r->out, type);
	out_char(&r->out, '\t');
	out_int(&r->out, t);
	out_field(&r->out, r->source, strlen(r->source));
	out_char(&r->out, '\t');
	out_int(&r->out, r->seq);
	if (r->seq++ == SEQ_MAX)
		errx(EXIT_FAIL, "sequence number exhausted");
}

/* by_order -- second T first, then by time, sums before hosts, arrival */
static struct roller *sort_roller;
static int
by_order(const void *pa, const void *pb)
{
	const struct ent *a = &sort_roller->ent[*(const size_t *)pa];
	const struct ent *b = &sort_roller->ent[*(const size_t *)pb];
	int64_t now = sort_roller->now;

	if ((a->time == now) != (b->time == now))
		return a->time == now ? -1 : 1;
	if (a->time != b->time)
		return a->time < b->time ? -1 : 1;
	if (a->ishost != b->ishost)
		return a->ishost - b->ishost;
	return a < b ? -1 : a > b;
}

/* write_ent -- one roll or rollhost record */
static void
write_ent(struct roller *r, const struct ent *e)
{
	const char *k = r->arena + e->off;

	if (e->ishost) {
		out_head(r, "rollhost", e->time);
		out_field(&r->out, k, e->len[0]);
		out_end(&r->out);
		return;
	}
	out_head(r, "roll", e->time);
	out_field(&r->out, k, e->len[0]);
	out_field(&r->out, k + e->len[0], e->len[1]);
	out_field(&r->out, k + e->len[0] + e->len[1], e->len[2]);
	out_char(&r->out, '\t');
	out_int(&r->out, (int64_t)e->hits);
	out_char(&r->out, '\t');
	out_int(&r->out, (int64_t)e->bytes);
	out_end(&r->out);
}

/*
 * flush_group -- write the open group (second T first) and empty it.
 * Its bad lines go last, as a rollbad at T: a reader counts them in the
 * interval T is in, as it would have counted the bad lines themselves.
 */
static void
flush_group(struct roller *r)
{
	size_t i;

	if (r->nent > 0) {
		r->order = grow_array(r->order, &r->order_cap, r->nent,
		    sizeof(*r->order), 64);
		for (i = 0; i < r->nent; i++)
			r->order[i] = i;
		sort_roller = r;
		qsort(r->order, r->nent, sizeof(*r->order), by_order);
		for (i = 0; i < r->nent; i++)
			write_ent(r, &r->ent[r->order[i]]);
		for (i = 0; i < r->nent; i++)
			r->table[r->ent[i].slot] = 0;
	}
	if (r->badcount > 0 && r->started) {
		out_head(r, "rollbad", r->now);
		out_char(&r->out, '\t');
		out_int(&r->out, (int64_t)r->badcount);
		out_end(&r->out);
		r->badcount = 0;
	}
	r->nent = 0;
	r->arena_len = 0;
}

/* clock_to -- a record of time t arrived: a later T closes the group */
static void
clock_to(struct roller *r, int64_t t)
{
	if (!r->started) {
		r->started = 1;
		r->now = t;
	} else if (t > r->now) {
		flush_group(r);
		r->now = t;
	}
}

/* add_hit -- sum a hit record into the group */
static void
add_hit(struct roller *r, struct record *rec, int64_t t, int64_t bytes)
{
	size_t len[3] = { 0, 0, 0 }, n = 0;
	struct ent *e;
	int i, fld[3] = { HIT_SECTION, HIT_METHOD, HIT_STATUS };

	clock_to(r, t);
	/* A full group is written now: the table never grows past its cap. */
	if (r->nent + 2 > GROUP_SUMS || r->arena_len + rec->len[HIT_SECTION] +
	    rec->len[HIT_METHOD] + rec->len[HIT_STATUS] + rec->len[HIT_HOST] >
	    GROUP_BYTES)
		flush_group(r);
	/* The key: section, method, status, unescaped (re-escaped on output). */
	for (i = 0; i < 3; i++) {
		len[i] = rec_unescape(rec->field[fld[i]], rec->len[fld[i]]);
		n += len[i];
	}
	r->key = grow_array(r->key, &r->key_cap, n, 1, 64);
	memcpy(r->key, rec->field[HIT_SECTION], len[0]);
	memcpy(r->key + len[0], rec->field[HIT_METHOD], len[1]);
	memcpy(r->key + len[0] + len[1], rec->field[HIT_STATUS], len[2]);
	e = find(r, t, 0, r->key, len);
	e->hits++;
	e->bytes += (uint64_t)bytes;
	len[0] = rec->len[HIT_HOST];
	len[1] = len[2] = 0;
	find(r, t, 1, rec->field[HIT_HOST], len);
}

/* count_bad -- a line a reader would count as bad: warned, summed */
static void
count_bad(struct roller *r, size_t lineno, const char *why, const char *s,
    size_t len)
{
	bad_report(&r->bad, lineno, why, s, len);
	r->badcount++;
}

/* handle_line -- one input line: a hit, tick or bad record */
static void
handle_line(void *ctx, char *line, size_t len, size_t lineno)
{
	struct roller *r = ctx;
	struct record rec;
	int64_t t, bytes;

	if (rec_split(line, len, &rec) < 0) {
		count_bad(r, lineno, "too many fields", NULL, 0);
		return;
	}
	switch (rec.type) {
	case REC_HIT:
		if (rec.truncated)
			count_bad(r, lineno, "hit: wrong field count", NULL, 0);
		else if (rec_time(&rec, &t) != 0)
			count_bad(r, lineno, "hit: bad time", rec.field[1],
			    rec.len[1]);
		else if (parse_int64(rec.field[HIT_BYTES], rec.len[HIT_BYTES],
		    0, INT64_MAX / 4, &bytes) != 0)
			count_bad(r, lineno, "hit: bad byte count",
			    rec.field[HIT_BYTES], rec.len[HIT_BYTES]);
		else
			add_hit(r, &rec, t, bytes);
		break;
	case REC_TICK:
		if (rec.truncated || rec_time(&rec, &t) != 0)
			count_bad(r, lineno, "tick: bad time", NULL, 0);
		else if (!r->started || t > r->now) {
			clock_to(r, t);
			out_head(r, "rolltick", t);
			out_end(&r->out);
		}
		break;
	case REC_BAD:
		/* Already reported by logparse: summed, not warned. */
		r->badcount++;
		break;
	case REC_UNKNOWN:
		count_bad(r, lineno, "unknown record type", rec.field[0],
		    rec.len[0]);
		break;
	default:
		break;		/* comments, and records a reader ignores */
	}
}

/* too_long -- an over-long line is bad: counted in the rollbad */
static void
too_long(void *ctx, size_t lineno)
{
	count_bad(ctx, lineno, "line too long", NULL, 0);
}

/* idle -- input would block: the open group is written, not held */
static void
idle(void *ctx, int fd)
{
	(void)fd;
	flush_group(ctx);
}

/* run -- roll one input up; the group is written when input would block */
static int
run(void *ctx, int fd, const char *name)
{
	static const struct lr_calls calls = {
		.line = handle_line, .toolong = too_long, .idle = idle
	};
	struct roller *r = ctx;

	r->bad.file = name;
	return lr_each(fd, name, &r->out, &r->bad, &calls, r);
}

/*
 * default_seq -- the first SEQ: microseconds since the epoch, rounded up
 * to a multiple of 2^20, where logmerge expects a run to start.
 */
static int64_t
default_seq(void)
{
	struct timeval tv;
	int64_t us;

	gettimeofday(&tv, NULL);
	us = (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
	return (us / RUN_ALIGN + 1) * RUN_ALIGN;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help",	no_argument,		NULL, 'h' },
		{ "seq",	required_argument,	NULL, 'S' },
		{ "source",	required_argument,	NULL, 's' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL,		0,			NULL, 0 }
	};
	static char host[256];
	struct roller r;
	int ch, rval;

	memset(&r, 0, sizeof(r));
	hashkey_random(&r.hkey);
	r.seq = -1;
	while ((ch = getopt_long(argc, argv, "hS:s:V", longopts, NULL)) != -1)
		switch (ch) {
		case 'S':
			r.seq = opt_number("-S", optarg, 0, SEQ_MAX);
			break;
		case 's':
			r.source = optarg;
			break;
		default:
			std_option(ch, usage);
		}
	argc -= optind;
	argv += optind;
	if (r.source == NULL) {
		if (gethostname(host, sizeof(host) - 1) == -1)
			err(EXIT_FAIL, "gethostname");
		r.source = host;
	}
	if (r.source[0] == '\0')
		errx(EXIT_USAGE, "-s: the source name is empty");
	if (r.seq < 0)
		r.seq = default_seq();

	catch_stop_signals();
	out_init(&r.out, STDOUT_FILENO, OUT_BUFSIZE);
	bad_init(&r.bad, "record", "stdin");
	out_str(&r.out, RECORDS_HEADER "\n");
	rval = each_input(argc, argv, "stdin", run, &r);
	flush_group(&r);
	bad_summary(&r.bad);
	out_finish(&r.out);
	free(r.ent);
	free(r.table);
	free(r.arena);
	free(r.order);
	free(r.key);
	return rval;
}
