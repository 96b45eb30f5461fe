/*
 * httpmon.h -- what the httpmon programs share: the record format,
 * buffered line input and record output, time conversion, number
 * parsing and the rate-limited warning for bad input.
 *
 * Record format, version 1 (full text: man/httpmon-records.5)
 *
 *   One record per line; fields separated by one TAB; the first field
 *   names the record type.  A line starting with '#' is a comment and
 *   every program ignores it; a stream may begin with "#httpmon-records 1".
 *   No field holds TAB, CR, LF, backslash or another control byte raw:
 *   the writer escapes them as \t \r \n \\ and \xHH, so that what an
 *   attacker puts in a URL can never split or forge a record; C1
 *   controls, bidi and format characters and bytes that are not UTF-8
 *   are \xHH of each byte too (out.c), so that none reaches a terminal.  Times are
 *   integer epoch seconds, UTC.  Fields are only ever appended: a reader
 *   ignores fields after those it knows and rejects a record with fewer.
 *   The record types and their fields: the table rec_schema in record.c.
 */
#ifndef HTTPMON_H
#define HTTPMON_H

#include <sys/types.h>

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define RECORDS_HEADER		"#httpmon-records 1"

/* Exit statuses, the same for every program and the driver. */
#define EXIT_OK		0	/* success */
#define EXIT_FAIL	1	/* runtime failure (a stage died, I/O error) */
#define EXIT_USAGE	64	/* bad option or argument (EX_USAGE) */
#define EXIT_NOINPUT	66	/* input file missing or unreadable (EX_NOINPUT) */
#define EXIT_IOERR	74	/* output could not be written (EX_IOERR) */

/* Field indexes of a hit record. */
enum hit_field {
	HIT_TYPE, HIT_TIME, HIT_HOST, HIT_USER, HIT_METHOD, HIT_PATH,
	HIT_SECTION, HIT_STATUS, HIT_BYTES, HIT_REFERER, HIT_AGENT,
	HIT_NFIELDS
};

/* Field indexes of an alert or recover record. */
enum alert_field {
	ALERT_TYPE, ALERT_TIME, ALERT_HITS, ALERT_AVG, ALERT_THRESHOLD,
	ALERT_MESSAGE, ALERT_RULE, ALERT_NFIELDS
};

enum rec_type {
	REC_UNKNOWN, REC_COMMENT, REC_HIT, REC_TICK, REC_ALERT, REC_RECOVER,
	REC_BAD, REC_STATS, REC_SECTION, REC_METHOD, REC_WINDOW,
	REC_ROLL, REC_ROLLHOST, REC_ROLLTICK, REC_ROLLBAD, REC_SECOND,
	REC_CLOCK, REC_SERVER, REC_NTYPES
};

/*
 * Field indexes of the rollup records (logroll): a roll record sums the
 * hits of one second from one source with the same section, method and
 * status; rollhost names one distinct host of that second, rolltick moves
 * the source's clock, rollbad counts its bad lines.  SEQ numbers every
 * rollup record of a source, so that duplicates can be dropped.
 */
enum roll_field {
	ROLL_TYPE, ROLL_TIME, ROLL_SOURCE, ROLL_SEQ, ROLL_SECTION,
	ROLL_METHOD, ROLL_STATUS, ROLL_HITS, ROLL_BYTES, ROLL_NFIELDS
};
#define ROLLHOST_HOST		4	/* rollhost TIME SOURCE SEQ HOST */
#define ROLLHOST_NFIELDS	5
#define ROLLTICK_NFIELDS	4	/* rolltick TIME SOURCE SEQ */
#define ROLLBAD_COUNT		4	/* rollbad TIME SOURCE SEQ COUNT */
#define ROLLBAD_NFIELDS		5

/* Field indexes of a window record (logalert -s: each evaluation). */
enum window_field {
	WINDOW_TYPE, WINDOW_TIME, WINDOW_HITS, WINDOW_AVG, WINDOW_THRESHOLD,
	WINDOW_LASTSEC, WINDOW_NFIELDS
};

/* Field indexes of a second record (logalert -s: a count grown late). */
enum second_field { SECOND_TYPE, SECOND_TIME, SECOND_HITS, SECOND_NFIELDS };

/* Field indexes of a server record (logmerge: one server's health). */
enum server_field {
	SERVER_TYPE, SERVER_TIME, SERVER_SOURCE, SERVER_LATEST, SERVER_LAG,
	SERVER_HITS, SERVER_SILENT, SERVER_NFIELDS
};

/* Field indexes of a stats record. */
enum stats_field {
	STATS_TYPE, STATS_END, STATS_INTERVAL, STATS_HITS, STATS_RATE,
	STATS_BYTES, STATS_TOTAL_HITS, STATS_TOTAL_BYTES, STATS_2XX,
	STATS_3XX, STATS_4XX, STATS_5XX, STATS_OTHER, STATS_HOSTS,
	STATS_LATE, STATS_BAD, STATS_FOLDED, STATS_FOLDED_METHODS,
	STATS_HOSTS_APPROX, STATS_NFIELDS
};

/* Field indexes of a section record (one of the top N of an interval). */
enum section_field {
	SECTION_TYPE, SECTION_END, SECTION_RANK, SECTION_NAME, SECTION_HITS,
	SECTION_BYTES, SECTION_4XX, SECTION_5XX, SECTION_NFIELDS
};

/* Field indexes of a method record. */
enum method_field {
	METHOD_TYPE, METHOD_END, METHOD_NAME, METHOD_HITS, METHOD_NFIELDS
};

/* Field indexes of a bad record (a log line logparse could not read). */
enum bad_field { BAD_TYPE, BAD_LINE, BAD_REASON, BAD_NFIELDS };

#define REC_MAXFIELDS	32

/*
 * The schema (record.c's table): for each record type its name and its
 * fields, field[0] being the type itself.  A reader needs nfields fields
 * at least; fields after those (a newer writer's) are ignored.
 */
enum field_kind { FIELD_TEXT, FIELD_INT, FIELD_DEC };
struct rec_field {
	const char	*name;		/* lower case: the JSON key */
	enum field_kind	 kind;		/* INT: integer >= 0; DEC: decimal */
};
struct rec_schema {
	const char	*name;		/* NULL for UNKNOWN and COMMENT */
	size_t		 len;		/* strlen(name) */
	int		 nfields;	/* with the type */
	struct rec_field field[REC_MAXFIELDS];
};
extern const struct rec_schema rec_schema[REC_NTYPES];

/* A record split in place: fields point into the caller's line. */
struct record {
	enum rec_type	 type;
	int		 nfields;
	int		 truncated;	/* fewer fields than its type has */
	char		*field[REC_MAXFIELDS];
	size_t		 len[REC_MAXFIELDS];
};

/* record.c: the one reader and the one writer of the record format */
int	 rec_split(char *, size_t, struct record *);
int	 rec_split_first(char *, size_t, struct record *, int);
void	 rec_unsplit(char *, size_t);
enum rec_type rec_type_of(const char *, size_t);
size_t	 rec_unescape(char *, size_t);
int	 hex_digit_value(int);
int	 rec_time(const struct record *, int64_t *);
int	 rec_numbers(const struct record *, int64_t *, int);

/* utf8.c: valid UTF-8 sequences, and the code points unsafe on a terminal */
size_t	 utf8_seqlen(const char *, size_t);
uint32_t utf8_code(const char *, size_t);
int	 utf8_unsafe(uint32_t);
size_t	 utf8_safe_seqlen(const char *, size_t);

/* out.c: buffered output on a file descriptor */
struct out {
	int	 fd;
	char	*buf;
	size_t	 len;
	size_t	 cap;
	int	 error;		/* errno of the first failed write, or 0 */
	int	 whole;		/* a shared pipe: whole records per write */
};
void	 out_init(struct out *, int, size_t);
void	 out_share(struct out *);
void	 out_free(struct out *);
void	 out_flush(struct out *);
void	 out_write(struct out *, const char *, size_t);
void	 out_str(struct out *, const char *);
void	 out_char(struct out *, char);
void	 out_int(struct out *, int64_t);
void	 out_escaped(struct out *, const char *, size_t);
#define REC_ESCAPED_MAX(n)	(4 * (n) + 1)	/* rec_escape's room, NUL too */
size_t	 rec_escape(char *, const char *, size_t);
void	 out_field(struct out *, const char *, size_t);
size_t	 out_clean_len(const char *, size_t);
void	 out_clean_field(struct out *, const char *, size_t);
void	 out_end(struct out *);
void	 out_clock(struct out *, int64_t);
void	 out_finish(struct out *);

/* safetext.c: network or log bytes escaped (out_escaped) for a warning */
#define SAFE_TEXT_MAX	256	/* a buffer for safe_text */
const char *safe_text(char *, size_t, const char *);
const char *safe_textn(char *, size_t, const char *, size_t);

/* spool.c: a byte queue whose writer never waits on its reader: memory
   up to max, then an unlinked temporary file in $TMPDIR */
struct spool {
	char		*buf;		/* held in memory: buf[start, start+len) */
	size_t		 start;
	size_t		 len;
	size_t		 cap;
	size_t		 max;		/* memory cap, before spilling */
	int		 tmpfd;		/* the spill file, or -1 */
	off_t		 rd;		/* its unread bytes: [rd, wr) */
	off_t		 wr;
	int		 spilled;	/* it has been used */
	const char	*name;		/* for messages */
};
void	 spool_init(struct spool *, size_t, const char *);
void	 spool_free(struct spool *);
void	 spool_put(struct spool *, const char *, size_t);
uint64_t spool_pending(const struct spool *);
int	 spool_line(struct spool *, char **, size_t *);
void	 spool_drop(struct spool *, size_t);
ssize_t	 spool_send(struct spool *, int, size_t);

/* lineio.c: read lines of bounded length from a file descriptor */
#define LINE_MAX_DEFAULT	(1024 * 1024)
struct linereader {
	int	 fd;
	char	*buf;
	size_t	 cap;		/* buffer size: the longest line + 1 */
	size_t	 start;		/* first unconsumed byte */
	size_t	 end;		/* one past the last byte read */
	size_t	 scanned;	/* bytes after start known to hold no newline */
	size_t	 lineno;	/* number of the line last returned */
	int	 eof;
	int	 skipping;	/* discarding the rest of an over-long line */
	struct out *flush;	/* flushed before a read that could block */
	void	(*idle)(void *, int);  /* called then too, first: ctx, fd */
	void	*ctx;
};
enum lr_status { LR_LINE, LR_TOOLONG, LR_EOF, LR_ERROR };
void	 lr_init(struct linereader *, int, size_t, struct out *);
void	 lr_free(struct linereader *);
enum lr_status lr_next(struct linereader *, char **, size_t *);
struct badinput;
struct lr_calls {			/* what lr_each calls, with its ctx */
	void	(*line)(void *, char *, size_t, size_t);  /* line, len, number */
	void	(*toolong)(void *, size_t);	/* NULL: to bad, "line too long" */
	void	(*idle)(void *, int);	/* input fd would block; NULL: none */
};
int	 lr_each(int, const char *, struct out *, struct badinput *,
	    const struct lr_calls *, void *);

/* options.c: -h, -V and a bad option, the same in every program */
_Noreturn void std_option(int, void (*)(int));

/* inputs.c: each input named on the command line in turn */
int	 each_input(int, char *[], const char *,
	    int (*)(void *, int, const char *), void *);

/* timeconv.c: calendar arithmetic without the C library's time zone
   state, and the monotonic clock */
int64_t	 days_from_civil(int64_t, unsigned, unsigned);
void	 civil_from_days(int64_t, int64_t *, unsigned *, unsigned *);
size_t	 fmt_rfc3339(char *, size_t, int64_t);
int	 month_from_abbrev(const char *);
int64_t	 now_ms(void);
#define TIME_MAX	INT64_C(253402300799)	/* 9999-12-31T23:59:59Z */

/*
 * time_valid -- t is a time a record or a log may carry: an epoch second
 * from 1970-01-01T00:00:00Z to TIME_MAX.  The one definition of the
 * range, for every reader and writer.
 */
static inline int
time_valid(int64_t t)
{
	return t >= 0 && t <= TIME_MAX;
}

/*
 * span_valid -- an interval of ival seconds ending (exclusive) at end
 * holds only valid times: a stats record's END, which for the last
 * interval of the year 9999 is after TIME_MAX (TIME_MAX + 1 for an
 * interval that divides a day).
 */
static inline int
span_valid(int64_t end, int64_t ival)
{
	return ival >= 1 && end >= ival && time_valid(end - ival) &&
	    time_valid(end - 1);
}

/* timeguard.c: how a time read from a log or a rollup may move a
   stream's clock (see the file's opening comment) */
#define TG_FUTURE_MAX	300	/* s ahead of the wall clock, live */
#define TG_JUMP_MAX	3600	/* s ahead of the front: a jump */
#define TG_CONFIRM	2	/* later records that confirm a jump */
#define TG_TICK_ALLOW	20	/* s a tick stays behind the wall clock */
enum tg_verdict { TG_PASS, TG_HELD, TG_FUTURE };
struct tg_calls {
	/* a held record passes (ctx, line, len, lineno, aux, time) */
	void	(*pass)(void *, char *, size_t, size_t, int64_t, int64_t);
	/* a held record is refused (ctx, why, line, len, lineno, aux) */
	void	(*reject)(void *, const char *, char *, size_t, size_t,
		    int64_t);
};
struct tg_held {
	int64_t	 time;
	int64_t	 aux;		/* the caller's: logmerge's SEQ */
	size_t	 lineno;
	char	*line;		/* a copy, NUL-terminated */
	size_t	 len, cap;
};
struct timeguard {
	int64_t		 front;		/* INT64_MIN before the first time */
	int64_t		 future;	/* live bound in s, or -1 */
	int64_t		 now;		/* wall clock last read */
	int		 off;		/* no jump rule: every time passes */
	int		 nheld;		/* held[0] is the candidate */
	int		 near;		/* records near FRONT since it */
	struct tg_held	 held[TG_CONFIRM];
	const struct tg_calls *calls;
	void		*ctx;
};
void	 tg_init(struct timeguard *, int64_t, const struct tg_calls *,
	    void *);
void	 tg_free(struct timeguard *);
enum tg_verdict tg_admit(struct timeguard *, int64_t, const char *, size_t,
	    size_t, int64_t);
void	 tg_front(struct timeguard *, int64_t);
int	 tg_holds(const struct timeguard *, int64_t, const char *, size_t);
void	 tg_finish(struct timeguard *);
#define TICK_MARK	'\036'	/* logtail --ticks: a tick line's first byte */

/* number.c: strict, allocation-free number parsing */
int	 parse_int64(const char *, size_t, int64_t, int64_t, int64_t *);
int	 parse_decimal_micro(const char *, int64_t *);
long long opt_number(const char *, const char *, long long, long long);

/* humanize.c: numbers for people */
void	 fmt_bytes(char *, size_t, int64_t);

/* badinput.c: count bad input, warn about the first few, summarise */
struct badinput {
	const char	*kind;		/* "bad" by default, or "late" */
	const char	*what;		/* "line", "record" */
	const char	*file;		/* name of the input */
	uint64_t	 count;
	uint64_t	 warned;
	uint64_t	 limit;		/* warnings printed before going quiet */
};
void	 bad_init(struct badinput *, const char *, const char *);
void	 bad_report(struct badinput *, size_t, const char *, const char *,
	    size_t);
void	 bad_summary(const struct badinput *);

/* bytes_cmp.c: byte strings in bytewise order, a prefix first */
int	 bytes_cmp(const char *, size_t, const char *, size_t);

/* status_class.c: HTTP status classes, in the order of a stats record's
   S2XX..SOTHER fields */
enum status_class { ST_2XX, ST_3XX, ST_4XX, ST_5XX, ST_OTHER, ST_NCLASS };
enum status_class status_class(const char *, size_t);

/* grow_array.c: make room in an array by doubling it; exits on failure */
void	*grow_array(void *, size_t *, size_t, size_t, size_t);

/* fnv1a.c: the 64-bit FNV-1a hash of bytes (unkeyed: never for a table
   whose keys come from log data, see siphash.c) */
#define FNV1A_START	UINT64_C(14695981039346656037)
uint64_t fnv1a(uint64_t, const void *, size_t);

/* siphash.c: SipHash-1-3, keyed: the hash of every table whose keys come
   from log data, under a key drawn at random for each run */
struct hashkey {
	uint64_t	 k[2];
};
uint64_t siphash(const struct hashkey *, const void *, size_t);
void	 hashkey_random(struct hashkey *);

/* hll.c: HyperLogLog, an approximate distinct count in 16 KiB under one
   fixed hash (SipHash-1-3, the all-zero key), so that sketches merge and
   replays agree */
#define HLL_BITS	14
#define HLL_REGS	(1 << HLL_BITS)
struct hll {
	uint8_t		 reg[HLL_REGS];
};
void	 hll_add(struct hll *, const void *, size_t);
uint64_t hll_count(const struct hll *);

/* signals.c: the stop policy.  SIGINT, SIGTERM and SIGHUP ask a program
   to stop at a record boundary; one that comes while a write blocks
   ends it by that signal. */
void	 catch_stop_signals(void);
extern volatile int stop_requested;	/* the stop signal's number, or 0 */
void	 hold_stop_signals(sigset_t *);
int	 stop_pending(void);
ssize_t	 stoppable_write(int, const void *, size_t);

#endif /* HTTPMON_H */
