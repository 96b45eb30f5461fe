/*
 * logmetrics -- keep a Prometheus metrics file from the records of
 * logalert and logstats, and pass the records on unchanged.
 *
 * It reads the merged stream that httpmon.sh shows (alert, recover and
 * window records from logalert; stats, section and method records from
 * logstats), copies every line to standard output, like tee(1), so that
 * it can sit in front of logshow or logview, and keeps in FILE the text
 * exposition format that node_exporter's textfile collector reads:
 * counters summed over the closed intervals (hits by status class, bytes,
 * hits and bytes by section, late and bad lines, intervals), and gauges
 * of the alert (its state, the hits and average of the window at its last
 * evaluation, the threshold, the latest log time).
 *
 * FILE is replaced atomically: written whole to a temporary file in the
 * same folder (".FILE.XXXXXX", which the collector's "*.prom" never
 * matches), then renamed over FILE, so that a reader only ever sees a
 * complete file.  It is rewritten as soon as the records pause, at most
 * once a second (-u) while they keep coming, and at exit.
 *
 * Sections come from logstats' top N of each interval: a section counts
 * in the intervals where it ranked, and section="(other)" holds the rest,
 * so that the sections always add up to the hits.  That also bounds the
 * number of series, whatever an attacker puts in URLs, as does the cap of
 * -m distinct sections (the ones beyond it count in "(other)").
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <err.h>
#include <sys/tree.h>

#include "httpmon.h"

#define OUT_BUFSIZE		(64 * 1024)
#define SECTIONS_DEFAULT	100
#define SECTIONS_MAX		10000
#define UPDATE_MAX		3600	/* -u, seconds */
#define MICRO_MAX		(INT64_C(1000000000) * 1000000)

/* A section's counters, keyed by its name as the record writes it. */
struct section {
	RB_ENTRY(section) entry;
	uint64_t	 hits;
	uint64_t	 bytes;
	size_t		 len;
	char		 name[];
};
RB_HEAD(sectiontree, section);

/* A server of the fleet: its last server record, keyed by its name. */
struct server {
	RB_ENTRY(server) entry;
	int64_t		 v[SERVER_NFIELDS];	/* indexed by field */
	size_t		 len;
	char		 name[];
};
RB_HEAD(servertree, server);
#define SERVERS_MAX	10000	/* series kept; more are not listed */

static const char *const class_name[ST_NCLASS] = {
	"2xx", "3xx", "4xx", "5xx", "other"
};

struct metrics {
	const char	*path;		/* -o FILE */
	char		*tmpl;		/* FILE's folder + "/.FILE.XXXXXX" */
	size_t		 maxsections;	/* -m */
	int64_t		 every_ms;	/* -u: the least time between rewrites */
	size_t		 nsections;
	struct sectiontree sections;
	uint64_t	 listed_hits;	/* of the sections in the tree */
	uint64_t	 listed_bytes;
	uint64_t	 hits;		/* sums over the stats records */
	uint64_t	 bytes;
	uint64_t	 status[ST_NCLASS];
	uint64_t	 late;
	uint64_t	 bad;
	uint64_t	 intervals;
	int		 alerting;
	uint64_t	 alerts;
	uint64_t	 fleet_alerts;	/* silent:NAME alerts */
	struct servertree servers;
	size_t		 nservers;
	uint64_t	 window_hits;
	int64_t		 window_avg;	/* millionths */
	int64_t		 threshold;	/* millionths; -1 until known */
	int64_t		 logtime;	/* latest time seen; -1 until known */
	int		 dirty;		/* changed since the last rewrite */
	int		 write_failed;	/* the last rewrite failed (warned) */
	int64_t		 written_ms;	/* monotonic time of the last rewrite */
	struct out	 out;
	struct badinput	 bad_input;
};

static int
section_cmp(const struct section *a, const struct section *b)
{
	return bytes_cmp(a->name, a->len, b->name, b->len);
}

static int
server_cmp(const struct server *a, const struct server *b)
{
	return bytes_cmp(a->name, a->len, b->name, b->len);
}

/* RB_GENERATE_STATIC needs __unused, which libbsd leaves undefined. */
RB_GENERATE_INTERNAL(sectiontree, section, entry, section_cmp,
    __attribute__((__unused__)) static)
RB_GENERATE_INTERNAL(servertree, server, entry, server_cmp,
    __attribute__((__unused__)) static)

/* usage -- the synopsis: on stdout for -h, on stderr for a bad call */
static _Noreturn void
usage(int status)
{
	fprintf(status == EXIT_OK ? stdout : stderr, "usage: %s [-hV] "
	    "[-m sections] [-u secs] -o file [file ...]\n", getprogname());
	exit(status);
}

/*
 * put_label -- a section's bytes as a label value: their record form
 * (rec_escape: printable, valid UTF-8, one text for each distinct name,
 * invalid UTF-8 as \xHH), then \ and " escaped for Prometheus
 */
static void
put_label(FILE *f, const char *s, size_t n)
{
	char small[256], *esc = small;
	size_t i, len;

	if (REC_ESCAPED_MAX(n) > sizeof(small) &&
	    (esc = malloc(REC_ESCAPED_MAX(n))) == NULL)
		err(EXIT_FAIL, "malloc");
	len = rec_escape(esc, s, n);
	for (i = 0; i < len; i++) {
		if (esc[i] == '\\' || esc[i] == '"')
			fputc('\\', f);
		fputc(esc[i], f);
	}
	if (esc != small)
		free(esc);
}

/* put_micro -- millionths as the shortest decimal: 1500000 is 1.5 */
static void
put_micro(FILE *f, int64_t micro)
{
	int64_t frac = micro % 1000000;
	int digits = 6;

	if (frac == 0) {
		fprintf(f, "%" PRId64, micro / 1000000);
		return;
	}
	for (; frac % 10 == 0; frac /= 10)
		digits--;
	fprintf(f, "%" PRId64 ".%0*" PRId64, micro / 1000000, digits, frac);
}

/* head -- the HELP and TYPE lines of a metric */
static void
head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* put_sections -- the per-section counter NAME: hits or bytes */
static void
put_sections(const struct metrics *m, FILE *f, int bytes)
{
	const char *name = bytes ? "httpmon_section_bytes_total" :
	    "httpmon_section_hits_total";
	uint64_t total = bytes ? m->bytes : m->hits;
	uint64_t listed = bytes ? m->listed_bytes : m->listed_hits;
	struct section *s;

	head(f, name, "counter", bytes ? "Bytes sent by section, in the "
	    "intervals where the section ranked in the top N; "
	    "section=\"(other)\" is the rest." : "Hits by section, in the "
	    "intervals where the section ranked in the top N; "
	    "section=\"(other)\" is the rest.");
	RB_FOREACH(s, sectiontree, (struct sectiontree *)&m->sections) {
		fprintf(f, "%s{section=\"", name);
		put_label(f, s->name, s->len);
		fprintf(f, "\"} %" PRIu64 "\n", bytes ? s->bytes : s->hits);
	}
	fprintf(f, "%s{section=\"(other)\"} %" PRIu64 "\n", name,
	    total > listed ? total - listed : 0);
}

/* put_servers -- the fleet's gauges, one series per server */
static void
put_servers(const struct metrics *m, FILE *f)
{
	static const struct {
		const char	*name, *help;
		int		 field;
	} g[] = {
		{ "httpmon_server_latest_seconds", "The newest second a server "
		    "has sent everything up to.", SERVER_LATEST },
		{ "httpmon_server_lag_seconds", "How far a server is behind "
		    "the newest one, seconds.", SERVER_LAG },
		{ "httpmon_server_hits", "A server's hits in the rollups taken "
		    "since the report before.", SERVER_HITS },
		{ "httpmon_server_silent_seconds", "How long a silent server "
		    "has sent nothing, else 0.", SERVER_SILENT },
	};
	struct server *sv;
	size_t i;

	if (m->nservers == 0)
		return;
	head(f, "httpmon_fleet_servers", "gauge", "Servers of the fleet "
	    "heard from.");
	fprintf(f, "httpmon_fleet_servers %zu\n", m->nservers);
	head(f, "httpmon_fleet_alerts_total", "counter", "Alerts for a "
	    "server of the fleet that stopped sending.");
	fprintf(f, "httpmon_fleet_alerts_total %" PRIu64 "\n",
	    m->fleet_alerts);
	for (i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		head(f, g[i].name, "gauge", g[i].help);
		RB_FOREACH(sv, servertree, (struct servertree *)&m->servers) {
			fprintf(f, "%s{server=\"", g[i].name);
			put_label(f, sv->name, sv->len);
			fprintf(f, "\"} %" PRId64 "\n", sv->v[g[i].field]);
		}
	}
}

/* format -- the whole exposition text */
static void
format(const struct metrics *m, FILE *f)
{
	int i;

	head(f, "httpmon_hits_total", "counter", "Hits counted in closed "
	    "statistics intervals, by status class.");
	for (i = 0; i < ST_NCLASS; i++)
		fprintf(f, "httpmon_hits_total{class=\"%s\"} %" PRIu64 "\n",
		    class_name[i], m->status[i]);
	head(f, "httpmon_bytes_total", "counter", "Bytes sent, for the hits "
	    "counted in closed statistics intervals.");
	fprintf(f, "httpmon_bytes_total %" PRIu64 "\n", m->bytes);
	put_sections(m, f, 0);
	put_sections(m, f, 1);
	head(f, "httpmon_late_hits_total", "counter", "Hits that arrived after "
	    "their interval had closed, counted in no interval.");
	fprintf(f, "httpmon_late_hits_total %" PRIu64 "\n", m->late);
	head(f, "httpmon_bad_lines_total", "counter", "Log lines that could "
	    "not be parsed.");
	fprintf(f, "httpmon_bad_lines_total %" PRIu64 "\n", m->bad);
	head(f, "httpmon_intervals_total", "counter", "Statistics intervals "
	    "closed.");
	fprintf(f, "httpmon_intervals_total %" PRIu64 "\n", m->intervals);
	head(f, "httpmon_alerts_total", "counter", "High-traffic alerts "
	    "raised.");
	fprintf(f, "httpmon_alerts_total %" PRIu64 "\n", m->alerts);
	head(f, "httpmon_alert", "gauge", "1 while the high-traffic alert is "
	    "on, else 0.");
	fprintf(f, "httpmon_alert %d\n", m->alerting);
	head(f, "httpmon_window_hits", "gauge", "Hits in the alert window at "
	    "its last evaluation.");
	fprintf(f, "httpmon_window_hits %" PRIu64 "\n", m->window_hits);
	head(f, "httpmon_window_average", "gauge", "Average hits per second "
	    "over the alert window at its last evaluation.");
	fputs("httpmon_window_average ", f);
	put_micro(f, m->window_avg);
	fputc('\n', f);
	if (m->threshold >= 0) {
		head(f, "httpmon_alert_threshold", "gauge", "The alert "
		    "threshold, hits per second.");
		fputs("httpmon_alert_threshold ", f);
		put_micro(f, m->threshold);
		fputc('\n', f);
	}
	if (m->logtime >= 0) {
		head(f, "httpmon_log_time_seconds", "gauge", "The latest log "
		    "time seen, seconds since the epoch.");
		fprintf(f, "httpmon_log_time_seconds %" PRId64 "\n",
		    m->logtime);
	}
	put_servers(m, f);
}

/* write_all -- the whole of buf to fd; 0, or -1 and errno */
static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * replace -- text to a new temporary file from the template tmp (changed
 * in place), then rename(2) it over FILE; NULL, or the name that failed
 * (errno set).  The temporary file never outlives a failure.
 */
static const char *
replace(const struct metrics *m, const char *text, size_t len, char *tmp)
{
	mode_t mask = umask(0);
	int fd, saved;

	umask(mask);
	if ((fd = mkstemp(tmp)) == -1)
		return m->path;
	if (fchmod(fd, 0666 & ~mask) == -1 || write_all(fd, text, len) == -1) {
		saved = errno;
		close(fd);
		unlink(tmp);
		errno = saved;
		return tmp;
	}
	if (close(fd) == -1 || rename(tmp, m->path) == -1) {
		saved = errno;
		unlink(tmp);
		errno = saved;
		return m->path;
	}
	return NULL;
}

/*
 * rewrite -- replace FILE with the metrics as they stand.  A failure is
 * warned about once (until a rewrite succeeds again) and never stops the
 * records; 0, or -1 if this rewrite failed.
 */
static int
rewrite(struct metrics *m)
{
	char *text = NULL, *tmp;
	const char *failed;
	size_t len = 0;
	FILE *f;

	m->dirty = 0;
	m->written_ms = now_ms();
	if ((f = open_memstream(&text, &len)) == NULL)
		err(EXIT_FAIL, "open_memstream");
	format(m, f);
	if (fclose(f) != 0)
		err(EXIT_FAIL, "open_memstream");
	if ((tmp = strdup(m->tmpl)) == NULL)
		err(EXIT_FAIL, "strdup");
	if ((failed = replace(m, text, len, tmp)) != NULL && !m->write_failed)
		warn("%s", failed);
	m->write_failed = failed != NULL;
	free(tmp);
	free(text);
	return failed != NULL ? -1 : 0;
}

/* field_u64 -- field i of r as a non-negative integer */
static int
field_u64(const struct record *r, int i, uint64_t *v)
{
	int64_t n;

	if (parse_int64(r->field[i], r->len[i], 0, INT64_MAX, &n) != 0)
		return -1;
	*v = (uint64_t)n;
	return 0;
}

/* field_micro -- field i of r, a decimal, in millionths */
static int
field_micro(const struct record *r, int i, int64_t *v)
{
	return parse_decimal_micro(r->field[i], v) != 0 || *v > MICRO_MAX ?
	    -1 : 0;
}

/* saw_time -- log time has reached t */
static void
saw_time(struct metrics *m, int64_t t)
{
	if (t > m->logtime)
		m->logtime = t;
}

/* add_stats -- a stats record: add its interval to the counters */
static const char *
add_stats(struct metrics *m, const struct record *r)
{
	int64_t v[STATS_NFIELDS];
	int i;

	if (r->truncated)
		return "stats: wrong number of fields";
	if (rec_numbers(r, v, STATS_NFIELDS) != 0)
		return "stats: a count is not a number";
	if (!span_valid(v[STATS_END], v[STATS_INTERVAL]))
		return "stats: bad END";
	m->hits += (uint64_t)v[STATS_HITS];
	m->bytes += (uint64_t)v[STATS_BYTES];
	for (i = 0; i < ST_NCLASS; i++)
		m->status[i] += (uint64_t)v[STATS_2XX + i];
	m->late += (uint64_t)v[STATS_LATE];
	m->bad += (uint64_t)v[STATS_BAD];
	m->intervals++;
	saw_time(m, v[STATS_END]);
	return NULL;
}

/* add_section -- a section record: add to that section, if it has a series */
static const char *
add_section(struct metrics *m, const struct record *r)
{
	struct section *s, *find;
	uint64_t hits, bytes;
	size_t len = r->len[SECTION_NAME];
	union {
		struct section s;
		char buf[sizeof(struct section) + 256];
	} key;

	if (r->truncated)
		return "section: wrong number of fields";
	if (field_u64(r, SECTION_HITS, &hits) != 0 ||
	    field_u64(r, SECTION_BYTES, &bytes) != 0)
		return "section: a count is not a number";
	if (len >= sizeof(key.buf) - sizeof(struct section)) {
		if ((find = malloc(sizeof(*find) + len + 1)) == NULL)
			err(EXIT_FAIL, "malloc");
	} else
		find = &key.s;
	/* Keyed by the bytes: one series for each distinct section. */
	memcpy(find->name, r->field[SECTION_NAME], len);
	find->len = len = rec_unescape(find->name, len);
	if ((s = RB_FIND(sectiontree, &m->sections, find)) == NULL &&
	    m->nsections < m->maxsections) {
		if ((s = calloc(1, sizeof(*s) + len)) == NULL)
			err(EXIT_FAIL, "malloc");
		s->len = len;
		memcpy(s->name, find->name, len);
		RB_INSERT(sectiontree, &m->sections, s);
		m->nsections++;
	}
	if (find != &key.s)
		free(find);
	if (s == NULL)
		return NULL;	/* past -m: counts in "(other)" */
	s->hits += hits;
	s->bytes += bytes;
	m->listed_hits += hits;
	m->listed_bytes += bytes;
	return NULL;
}

/* set_window -- alert, recover or window: the window's last evaluation */
static const char *
set_window(struct metrics *m, const struct record *r, enum rec_type type)
{
	int64_t t, avg, thr;
	uint64_t hits;

	if (r->truncated)
		return "alert: wrong number of fields";
	if (rec_time(r, &t) != 0 || field_u64(r, ALERT_HITS, &hits) != 0 ||
	    field_micro(r, ALERT_AVG, &avg) != 0 ||
	    field_micro(r, ALERT_THRESHOLD, &thr) != 0)
		return "alert: a field is not a number";
	if (type != REC_WINDOW && strncmp(r->field[ALERT_RULE], "silent:",
	    7) == 0) {
		/* a fleet alert: the server records say the rest */
		m->fleet_alerts += type == REC_ALERT;
		return NULL;
	}
	if (type == REC_ALERT) {
		m->alerting = 1;
		m->alerts++;
	} else if (type == REC_RECOVER)
		m->alerting = 0;
	m->window_hits = hits;
	m->window_avg = avg;
	m->threshold = thr;
	saw_time(m, t);
	return NULL;
}

/* set_server -- a server record: that server's gauges */
static const char *
set_server(struct metrics *m, const struct record *r)
{
	struct server *sv, *find;
	int64_t v[SERVER_NFIELDS];
	size_t len = r->len[SERVER_SOURCE];

	if (rec_numbers(r, v, SERVER_NFIELDS) != 0)
		return "server: wrong number of fields or a bad number";
	if ((find = malloc(sizeof(*find) + len + 1)) == NULL)
		err(EXIT_FAIL, "malloc");
	memcpy(find->name, r->field[SERVER_SOURCE], len);
	find->len = len = rec_unescape(find->name, len);
	if ((sv = RB_FIND(servertree, &m->servers, find)) == NULL &&
	    m->nservers < SERVERS_MAX) {
		RB_INSERT(servertree, &m->servers, find);
		m->nservers++;
		sv = find;
		find = NULL;
	}
	free(find);
	if (sv != NULL)
		memcpy(sv->v, v, sizeof(v));
	saw_time(m, v[SERVER_TIME]);
	return NULL;
}

/* count_record -- count one record, if it is one of ours */
static void
count_record(struct metrics *m, char *line, size_t len, size_t lineno)
{
	const char *why = NULL;
	struct record r;

	if (rec_split(line, len, &r) < 0) {
		bad_report(&m->bad_input, lineno, "too many fields", NULL, 0);
		return;
	}
	switch (r.type) {
	case REC_STATS:
		why = add_stats(m, &r);
		break;
	case REC_SECTION:
		why = add_section(m, &r);
		break;
	case REC_ALERT:
	case REC_RECOVER:
	case REC_WINDOW:
		why = set_window(m, &r, r.type);
		break;
	case REC_SERVER:
		why = set_server(m, &r);
		break;
	case REC_UNKNOWN:
		why = "unknown record type";
		break;
	default:
		return;		/* comments, hits, methods...: not ours */
	}
	if (why != NULL) {
		rec_unsplit(line, len);
		bad_report(&m->bad_input, lineno, why, line, len);
	} else
		m->dirty = 1;
}

/* handle_line -- pass a line through, count it, rewrite FILE if due */
static void
handle_line(void *ctx, char *line, size_t len, size_t lineno)
{
	struct metrics *m = ctx;

	out_write(&m->out, line, len);
	out_end(&m->out);
	count_record(m, line, len, lineno);
	if (m->dirty && now_ms() - m->written_ms >= m->every_ms)
		rewrite(m);
}

/*
 * idle -- the pause point, input would block: rewrite FILE if it is
 * due, or wait for input until it is and rewrite it then, so that the
 * file never lags the records by more than -u once they pause.
 */
static void
idle(void *ctx, int fd)
{
	struct metrics *m = ctx;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int64_t wait;

	if (!m->dirty)
		return;
	wait = m->written_ms + m->every_ms - now_ms();
	if (wait > 0 && m->out.len > 0)
		out_flush(&m->out);	/* the records first, not in a second */
	if (wait <= 0 || poll(&pfd, 1, (int)wait) == 0)
		rewrite(m);
}

/* run -- copy one input through, counting its records */
static int
run(void *ctx, int fd, const char *name)
{
	static const struct lr_calls calls = {
		.line = handle_line, .idle = idle
	};
	struct metrics *m = ctx;

	m->bad_input.file = name;
	return lr_each(fd, name, &m->out, &m->bad_input, &calls, m);
}

/* setup -- the state, and the temporary file's template beside FILE */
static void
setup(struct metrics *m, const char *path, size_t maxsections,
    int64_t every)
{
	char *d, *b, *dir, *base;

	memset(m, 0, sizeof(*m));
	m->path = path;
	m->maxsections = maxsections;
	m->every_ms = every * 1000;
	m->threshold = -1;
	m->logtime = -1;
	RB_INIT(&m->sections);
	RB_INIT(&m->servers);
	if ((d = strdup(path)) == NULL || (b = strdup(path)) == NULL)
		err(EXIT_FAIL, "strdup");
	dir = dirname(d);
	base = basename(b);
	if (asprintf(&m->tmpl, "%s/.%s.XXXXXX", dir, base) == -1)
		err(EXIT_FAIL, "asprintf");
	free(d);
	free(b);
	out_init(&m->out, STDOUT_FILENO, OUT_BUFSIZE);
	bad_init(&m->bad_input, "record", "stdin");
}

/* teardown -- free what setup and the records allocated */
static void
teardown(struct metrics *m)
{
	struct section *s, *next;
	struct server *sv, *svnext;

	RB_FOREACH_SAFE(s, sectiontree, &m->sections, next) {
		RB_REMOVE(sectiontree, &m->sections, s);
		free(s);
	}
	RB_FOREACH_SAFE(sv, servertree, &m->servers, svnext) {
		RB_REMOVE(servertree, &m->servers, sv);
		free(sv);
	}
	free(m->tmpl);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "max-sections", required_argument, NULL, 'm' },
		{ "output", required_argument, NULL, 'o' },
		{ "update", required_argument, NULL, 'u' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct metrics m;
	const char *path = NULL;
	size_t maxsections = SECTIONS_DEFAULT;
	int64_t every = 1;
	int ch, rval;

	while ((ch = getopt_long(argc, argv, "hm:o:u:V", longopts, NULL)) != -1)
		switch (ch) {
		case 'm':
			maxsections = (size_t)opt_number("-m", optarg, 0,
			    SECTIONS_MAX);
			break;
		case 'o':
			path = optarg;
			break;
		case 'u':
			every = opt_number("-u", optarg, 0, UPDATE_MAX);
			break;
		default:
			std_option(ch, usage);
		}
	argc -= optind;
	argv += optind;
	if (path == NULL || *path == '\0') {
		warnx("-o file: where to keep the metrics is required");
		usage(EXIT_USAGE);
	}

	catch_stop_signals();
	setup(&m, path, maxsections, every);
	if (rewrite(&m) != 0)		/* a first file, all zero, at once */
		exit(EXIT_IOERR);
	rval = each_input(argc, argv, "stdin", run, &m);
	rewrite(&m);
	bad_summary(&m.bad_input);
	out_finish(&m.out);
	teardown(&m);
	if (m.write_failed && rval == EXIT_OK)
		rval = EXIT_IOERR;
	return rval;
}
