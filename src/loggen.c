/*
 * loggen -- write a deterministic, synthetic HTTP access log, either as
 * fast as possible with log-time timestamps (for tests and benchmarks)
 * or in real time with wall-clock timestamps (-L, a live simulator).
 *
 * The content comes from a private splitmix64 generator drawn a fixed
 * number of times per line in a fixed order, so the same arguments give
 * byte-identical output on every machine, and the same seed gives the
 * same requests in every format.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <err.h>

#include "httpmon.h"

#define DEFAULT_START	1549573860	/* 07/Feb/2019:21:11:00 +0000 */
#define DEFAULT_SEED	20190207
#define MAX_RATE	10000000
#define MAX_SECONDS	1000000000
#define MAX_JITTER	86400
#define DATE_CACHE	128	/* formatted dates kept, a power of two */

enum format { FMT_CLF, FMT_COMBINED, FMT_CSV };

/* One rate phase: RATE lines a second for SECONDS seconds (0: endless). */
struct phase {
	int64_t	 rate;
	int64_t	 seconds;
};

/* A formatted CLF date, "07/Feb/2019:21:11:00 +0000", for second t. */
struct datecache {
	int64_t	 t;
	int	 valid;
	char	 s[32];
};

struct gen {
	enum format	 format;
	struct phase	*phase;
	size_t		 nphase;
	int64_t		 start;		/* log time of the first second */
	int64_t		 jitter;	/* a line may be up to this much early */
	int64_t		 left;		/* lines still to write, or -1 */
	int		 live;
	uint64_t	 rng;		/* splitmix64 state */
	struct out	 out;
	struct datecache date[DATE_CACHE];
};

/* A weighted choice: cumulative weights are computed when picking. */
struct pick {
	const char	*s;
	unsigned	 weight;
};

static const char *hosts[] = {
	"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5",
	"10.0.0.6", "10.0.0.7", "10.0.0.8", "10.0.0.9", "10.0.0.10",
	"10.0.0.11", "10.0.0.12", "10.0.0.13", "10.0.0.14", "10.0.0.15",
	"10.0.0.16", "10.0.0.17", "10.0.0.18", "10.0.0.19", "10.0.0.20",
	"2001:db8::7",
};

static const struct pick users[] = {
	{ "-", 10 }, { "apache", 4 }, { "alice", 2 }, { "bob", 2 },
	{ "mary", 1 }, { "frank", 1 },
};

static const struct pick methods[] = {
	{ "GET", 85 }, { "POST", 9 }, { "PUT", 4 }, { "DELETE", 2 },
};

static const struct pick paths[] = {
	{ "/api/user", 12 }, { "/api/user/orders", 6 }, { "/api/search", 6 },
	{ "/api/cart/items", 4 }, { "/report", 6 }, { "/report/daily", 4 },
	{ "/report/2019/02", 2 }, { "/pages/index.html", 10 },
	{ "/pages/about.html", 4 }, { "/pages/contact", 3 },
	{ "/images/logo.png", 8 }, { "/images/banner.jpg", 4 },
	{ "/images/icons/home.svg", 3 }, { "/login", 6 }, { "/", 2 },
};

static const struct pick queries[] = {
	{ "", 80 }, { "?id=", 10 }, { "?page=", 6 }, { "?q=item", 4 },
};

static const struct pick protos[] = {
	{ "HTTP/1.1", 3 }, { "HTTP/1.0", 1 },
};

static const struct pick statuses[] = {
	{ "200", 82 }, { "301", 5 }, { "404", 7 }, { "500", 3 }, { "503", 3 },
};

static const struct pick referers[] = {
	{ "-", 6 }, { "http://www.example.com/pages/index.html", 2 },
	{ "https://www.google.com/search?q=httpmon", 1 },
};

static const struct pick agents[] = {
	{ "Mozilla/5.0 (X11; Linux x86_64; rv:65.0) Gecko/20100101 "
	    "Firefox/65.0", 5 },
	{ "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
	    "(KHTML, like Gecko) Chrome/72.0.3626.96 Safari/537.36", 6 },
	{ "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_14_3) "
	    "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/12.0.3 "
	    "Safari/605.1.15", 3 },
	{ "curl/7.64.0", 1 },
	{ "Mozilla/5.0 (compatible; Googlebot/2.1; "
	    "+http://www.google.com/bot.html)", 1 },
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const char csv_header[] =
    "\"remotehost\",\"rfc931\",\"authuser\",\"date\",\"request\","
    "\"status\",\"bytes\"\n";

/* usage -- the synopsis: on stdout for -h, on stderr for a bad call */
static _Noreturn void
usage(int status)
{
	fprintf(status == EXIT_OK ? stdout : stderr, "usage: %s [-hLV] "
	    "[-f clf | combined | csv] [-j secs] [-n lines] [-o file]\n"
	    "              [-r rate[:secs][,rate[:secs]...]] [-S seed] "
	    "[-s epoch]\n", getprogname());
	exit(status);
}

/* rnd_next -- splitmix64: the next 64 pseudo-random bits */
static uint64_t
rnd_next(struct gen *g)
{
	uint64_t z;

	z = (g->rng += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* rnd_below -- a number in [0, n), by multiply-shift (no modulo bias) */
static uint64_t
rnd_below(struct gen *g, uint32_t n)
{
	return ((rnd_next(g) >> 32) * n) >> 32;
}

/* pick -- one entry of a weighted table */
static const char *
pick(struct gen *g, const struct pick *p, size_t n)
{
	unsigned total = 0, r;
	size_t i;

	for (i = 0; i < n; i++)
		total += p[i].weight;
	r = (unsigned)rnd_below(g, total);
	for (i = 0; i < n - 1 && r >= p[i].weight; i++)
		r -= p[i].weight;
	return p[i].s;
}

/* put2 -- two decimal digits */
static char *
put2(char *p, unsigned v)
{
	*p++ = (char)('0' + v / 10 % 10);
	*p++ = (char)('0' + v % 10);
	return p;
}

/* clf_date -- "07/Feb/2019:21:11:00 +0000" for t, cached per second */
static const char *
clf_date(struct gen *g, int64_t t)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct datecache *c = &g->date[(uint64_t)t & (DATE_CACHE - 1)];
	int64_t days = t / 86400, secs = t % 86400, y;
	unsigned m, d;
	char *p;

	if (c->valid && c->t == t)
		return c->s;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	p = put2(c->s, d);
	*p++ = '/';
	memcpy(p, months + 3 * (m - 1), 3);
	p += 3;
	*p++ = '/';
	p = put2(p, (unsigned)(y / 100));
	p = put2(p, (unsigned)(y % 100));
	*p++ = ':';
	p = put2(p, (unsigned)(secs / 3600));
	*p++ = ':';
	p = put2(p, (unsigned)(secs / 60 % 60));
	*p++ = ':';
	p = put2(p, (unsigned)(secs % 60));
	memcpy(p, " +0000", 7);
	c->t = t;
	c->valid = 1;
	return c->s;
}

/* put_quoted -- a CSV field in double quotes (our fields hold none) */
static void
put_quoted(struct out *o, const char *s)
{
	out_char(o, '"');
	out_str(o, s);
	out_char(o, '"');
}

/*
 * put_line -- one log line stamped t minus the jitter.  Every draw is
 * made whatever the format and the jitter, so the sequence of requests
 * depends on the seed alone.
 */
static void
put_line(struct gen *g, int64_t t)
{
	struct out *o = &g->out;
	const char *host, *user, *method, *path, *query, *proto, *status;
	const char *referer, *agent;
	int64_t bytes, qnum;

	t -= (int64_t)rnd_below(g, (uint32_t)g->jitter + 1);
	host = hosts[rnd_below(g, NELEM(hosts))];
	user = pick(g, users, NELEM(users));
	method = pick(g, methods, NELEM(methods));
	path = pick(g, paths, NELEM(paths));
	query = pick(g, queries, NELEM(queries));
	qnum = (int64_t)rnd_below(g, 1000) + 1;
	proto = pick(g, protos, NELEM(protos));
	status = pick(g, statuses, NELEM(statuses));
	bytes = (int64_t)rnd_below(g, 1 << 16) + 20;
	if (status[0] == '3')
		bytes = 0;	/* a redirect has no body: "-" in CLF */
	else if (status[0] != '2')
		bytes = 200 + bytes % 400;
	referer = pick(g, referers, NELEM(referers));
	agent = pick(g, agents, NELEM(agents));

	if (g->format == FMT_CSV) {
		put_quoted(o, host);
		out_str(o, ",\"-\",");
		put_quoted(o, user);
		out_char(o, ',');
		out_int(o, t);
		out_str(o, ",\"");
	} else {
		out_str(o, host);
		out_str(o, " - ");
		out_str(o, user);
		out_str(o, " [");
		out_str(o, clf_date(g, t));
		out_str(o, "] \"");
	}
	out_str(o, method);
	out_char(o, ' ');
	out_str(o, path);
	if (query[0] != '\0') {
		out_str(o, query);
		/* "?id=" and the like take the number drawn for them. */
		if (query[strlen(query) - 1] == '=')
			out_int(o, qnum);
	}
	out_char(o, ' ');
	out_str(o, proto);
	if (g->format == FMT_CSV) {
		out_str(o, "\",");
		out_str(o, status);
		out_char(o, ',');
		out_int(o, bytes);
	} else {
		out_str(o, "\" ");
		out_str(o, status);
		out_char(o, ' ');
		if (bytes == 0)
			out_char(o, '-');
		else
			out_int(o, bytes);
	}
	if (g->format == FMT_COMBINED) {
		out_str(o, " \"");
		out_str(o, referer);
		out_str(o, "\" \"");
		out_str(o, agent);
		out_char(o, '"');
	}
	out_char(o, '\n');
	if (g->left > 0)
		g->left--;
}

/* sleep_until -- sleep to the wall-clock instant w; -1 if told to stop */
static int
sleep_until(const struct timespec *w)
{
	int e;

	while (!stop_requested) {
		e = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, w, NULL);
		if (e == 0)
			return 0;
		if (e != EINTR)
			errc(EXIT_FAIL, e, "clock_nanosleep");
	}
	return -1;
}

/* done -- whether -n is used up or a signal asked us to stop */
static int
done(const struct gen *g)
{
	return g->left == 0 || stop_requested;
}

/* run_log -- every phase at once, stamped with log time from -s */
static void
run_log(struct gen *g)
{
	int64_t t = g->start, k, i;
	size_t p;

	for (p = 0; p < g->nphase; p++) {
		const struct phase *ph = &g->phase[p];

		for (k = 0; ph->seconds == 0 || k < ph->seconds; k++, t++)
			for (i = 0; i < ph->rate; i++) {
				if (done(g))
					return;
				put_line(g, t);
			}
	}
}

/*
 * run_live -- the phases in real time.  Seconds are whole wall-clock
 * seconds, starting at the next one; line i of a second at rate R is
 * due i/R into it and is stamped with the clock's second when written
 * (so a stalled writer stamps late lines honestly).  Each line is
 * flushed, so a follower never sees half a line.
 */
static void
run_live(struct gen *g)
{
	struct timespec now, due;
	int64_t k, i;
	size_t p;

	clock_gettime(CLOCK_REALTIME, &now);
	due.tv_sec = now.tv_sec + 1;
	for (p = 0; p < g->nphase; p++) {
		const struct phase *ph = &g->phase[p];

		for (k = 0; ph->seconds == 0 || k < ph->seconds;
		    k++, due.tv_sec++) {
			due.tv_nsec = 0;
			if (ph->rate == 0 &&
			    (done(g) || sleep_until(&due) == -1))
				return;		/* an idle second */
			for (i = 0; i < ph->rate; i++) {
				due.tv_nsec = (long)(i * 1000000000 / ph->rate);
				if (done(g) || sleep_until(&due) == -1)
					return;
				clock_gettime(CLOCK_REALTIME, &now);
				put_line(g, now.tv_sec);
				out_flush(&g->out);
			}
		}
	}
	due.tv_nsec = 0;
	if (!done(g))
		sleep_until(&due);	/* a trailing idle phase lasts too */
}

/* parse_phases -- "RATE[:SECONDS],..." into g->phase; exits on error */
static void
parse_phases(struct gen *g, const char *spec)
{
	const char *s = spec, *comma, *colon;
	struct phase *ph;
	size_t n;

	for (;;) {
		comma = strchr(s, ',');
		n = comma ? (size_t)(comma - s) : strlen(s);
		g->phase = reallocarray(g->phase, g->nphase + 1,
		    sizeof(*g->phase));
		if (g->phase == NULL)
			err(EXIT_FAIL, "reallocarray");
		ph = &g->phase[g->nphase++];
		colon = memchr(s, ':', n);
		ph->seconds = 0;
		if (parse_int64(s, colon ? (size_t)(colon - s) : n, 0,
		    MAX_RATE, &ph->rate) == -1 ||
		    (colon && parse_int64(colon + 1, n - (size_t)(colon - s) - 1,
		    0, MAX_SECONDS, &ph->seconds) == -1))
			errx(EXIT_USAGE, "-r %s: bad phase \"%.*s\" (want "
			    "RATE[:SECONDS], RATE 0 to %d, SECONDS 0 to %d)",
			    spec, (int)n, s, MAX_RATE, MAX_SECONDS);
		if (comma == NULL)
			break;
		s = comma + 1;
	}
}

/* check_phases -- endless phases must be last and, off-line, not idle */
static void
check_phases(const struct gen *g, const char *spec)
{
	size_t p;

	for (p = 0; p < g->nphase; p++) {
		if (g->phase[p].seconds != 0)
			continue;
		if (p + 1 < g->nphase)
			errx(EXIT_USAGE, "-r %s: only the last phase may be "
			    "endless", spec);
		if (!g->live && g->phase[p].rate == 0)
			errx(EXIT_USAGE, "-r %s: an endless phase of rate 0 "
			    "writes nothing, for ever", spec);
	}
}

/* parse_format -- the -f argument */
static enum format
parse_format(const char *s)
{
	if (strcmp(s, "clf") == 0)
		return FMT_CLF;
	if (strcmp(s, "combined") == 0)
		return FMT_COMBINED;
	if (strcmp(s, "csv") == 0)
		return FMT_CSV;
	errx(EXIT_USAGE, "-f %s: unknown format (clf, combined or csv)", s);
}

/* open_output -- the -o file, appended to, or standard output */
static int
open_output(const char *path)
{
	int fd;

	if (path == NULL)
		return STDOUT_FILENO;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0666);
	if (fd == -1)
		err(EXIT_IOERR, "%s", path);
	return fd;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help",	no_argument,	NULL, 'h' },
		{ "version",	no_argument,	NULL, 'V' },
		{ NULL,		0,		NULL, 0 }
	};
	struct gen g;
	const char *spec = NULL, *outpath = NULL;
	int ch, fd;

	memset(&g, 0, sizeof(g));
	g.format = FMT_COMBINED;
	g.start = DEFAULT_START;
	g.rng = DEFAULT_SEED;
	g.left = -1;
	while ((ch = getopt_long(argc, argv, "f:hj:Ln:o:r:S:s:V", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'f':
			g.format = parse_format(optarg);
			break;
		case 'j':
			g.jitter = opt_number("-j", optarg, 0, MAX_JITTER);
			break;
		case 'L':
			g.live = 1;
			break;
		case 'n':
			g.left = opt_number("-n", optarg, 0, LLONG_MAX);
			break;
		case 'o':
			outpath = optarg;
			break;
		case 'r':
			spec = optarg;
			break;
		case 'S':
			g.rng = (uint64_t)opt_number("-S", optarg, 0,
			    LLONG_MAX);
			break;
		case 's':
			g.start = opt_number("-s", optarg, 0, TIME_MAX);
			break;
		default:
			std_option(ch, usage);
		}
	}
	if (optind != argc) {
		warnx("unexpected argument: %s", argv[optind]);
		usage(EXIT_USAGE);
	}
	/* Without -r: 10 a second, for a minute unless -n or -L bound it. */
	if (spec == NULL)
		spec = g.left >= 0 || g.live ? "10" : "10:60";
	parse_phases(&g, spec);
	check_phases(&g, spec);

	fd = open_output(outpath);
	catch_stop_signals();
	out_init(&g.out, fd, g.live ? 4096 : 256 * 1024);
	if (g.format == FMT_CSV)
		out_str(&g.out, csv_header);
	if (g.live)
		run_live(&g);
	else
		run_log(&g);
	out_finish(&g.out);
	if (fd != STDOUT_FILENO && close(fd) == -1)
		err(EXIT_IOERR, "%s", outpath);
	free(g.phase);
	return EXIT_OK;
}
