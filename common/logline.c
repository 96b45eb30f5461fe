/*
 * logline.c -- parse one HTTP access log line: Common Log Format,
 * Combined Log Format and a quoted CSV export, detected per line unless
 * the caller forces one.  Fields are sliced in place in the line buffer:
 * nothing is allocated or copied, and quoted strings are decoded in place
 * only once the whole line has been found good (logline_decode), so a
 * warning always shows the line as it was read.
 */
#include <string.h>

#include "httpmon.h"
#include "logline.h"

/* The reason a line is skipped without a record: a CSV header. */
const char LOGLINE_SKIP[] = "skip";

static const char *const csv_names[] = {
	"remotehost", "rfc931", "authuser", "date", "request", "status",
	"bytes"
};
#define CSV_NFIELDS	(sizeof(csv_names) / sizeof(csv_names[0]))

/* is_digit -- an ASCII digit, whatever the locale */
static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* skip_spaces -- advance past blanks */
static char *
skip_spaces(char *p, char *end)
{
	while (p < end && *p == ' ')
		p++;
	return p;
}

/* token -- the next run of non-blanks after *pp; 0 if there is none */
static int
token(char **pp, char *end, struct span *s)
{
	char *p = skip_spaces(*pp, end);

	s->p = p;
	while (p < end && *p != ' ')
		p++;
	s->n = (size_t)(p - s->p);
	*pp = p;
	return s->n > 0;
}

/* num2 -- two ASCII digits as a number, or -1 */
static int
num2(const char *s)
{
	if (!is_digit(s[0]) || !is_digit(s[1]))
		return -1;
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/* days_in_month -- the length of month m (1..12) of year y */
static int
days_in_month(int64_t y, int m)
{
	static const int len[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return len[m - 1];
}

/*
 * The last date and zone clf_time saw, and what they come to: a log holds
 * the same "10/Oct/2000" and "-0700" on line after line, so only the
 * time of day is new.  The key is the date and the zone together, so a
 * zone or date change (a month boundary) misses the cache and is worked
 * out in full.
 */
static struct {
	int	 valid;
	char	 date[11];		/* "10/Oct/2000" */
	char	 zone[5];		/* "-0700" */
	int64_t	 base;			/* epoch second of that midnight, UTC */
} date_cache;

/*
 * clf_date -- the date and zone of a clf_time stamp at s as the epoch
 * second of its local midnight, from the cache when they are the last
 * ones seen.  -1 if they are not a valid date and zone.
 */
static int
clf_date(const char *s, int64_t *base)
{
	int d, mon, yh, yl, zh, zm;
	int64_t y, off;

	if (date_cache.valid && memcmp(s + 1, date_cache.date, 11) == 0 &&
	    memcmp(s + 22, date_cache.zone, 5) == 0) {
		*base = date_cache.base;
		return 0;
	}
	d = num2(s + 1);
	mon = month_from_abbrev(s + 4);
	yh = num2(s + 8);
	yl = num2(s + 10);
	zh = num2(s + 23);
	zm = num2(s + 25);
	if (d < 1 || mon == 0 || yh < 0 || yl < 0 || zh < 0 || zh > 23 ||
	    zm < 0 || zm > 59)
		return -1;
	y = yh * 100 + yl;
	if (d > days_in_month(y, mon))
		return -1;
	off = (zh * 3600 + zm * 60) * (s[22] == '-' ? -1 : 1);
	*base = days_from_civil(y, (unsigned)mon, (unsigned)d) * 86400 - off;
	memcpy(date_cache.date, s + 1, 11);
	memcpy(date_cache.zone, s + 22, 5);
	date_cache.base = *base;
	date_cache.valid = 1;
	return 0;
}

/*
 * clf_time -- "[10/Oct/2000:13:55:36 -0700]" (exactly 28 bytes at s) in
 * epoch seconds UTC: the zone offset is subtracted, so -0700 adds 7 h.
 * Fixed positions, no strptime and no libc time zone state.
 */
static int
clf_time(const char *s, const char *end, int64_t *t)
{
	int h, mi, sec;
	int64_t base;

	if (end - s < 28 || s[0] != '[' || s[3] != '/' || s[7] != '/' ||
	    s[12] != ':' || s[15] != ':' || s[18] != ':' || s[21] != ' ' ||
	    (s[22] != '+' && s[22] != '-') || s[27] != ']')
		return -1;
	h = num2(s + 13);
	mi = num2(s + 16);
	sec = num2(s + 19);
	if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60 ||
	    clf_date(s, &base) == -1)
		return -1;
	*t = base + h * 3600 + mi * 60 + sec;
	return time_valid(*t) ? 0 : -1;
}

/*
 * clf_quoted -- the quoted string starting at *pp, still escaped.  It
 * ends at the first '"' not escaped by '\' and followed by a blank or the
 * end of the line, so that an unescaped quote inside (old Apache) does
 * not cut it short.  0 if *pp is no quoted string or it never ends.
 */
static int
clf_quoted(char **pp, char *end, struct span *s)
{
	char *p = skip_spaces(*pp, end), *q, *b;

	if (p == end || *p != '"')
		return 0;
	s->p = ++p;
	/*
	 * memchr to each '"'; a run of backslashes before it escapes it if
	 * the run is odd (the byte before a run is never an escaping '\').
	 */
	while ((q = memchr(p, '"', (size_t)(end - p))) != NULL) {
		for (b = q; b > s->p && b[-1] == '\\'; b--)
			;
		if ((q - b) % 2 == 0 && (q + 1 == end || q[1] == ' ')) {
			s->n = (size_t)(q - s->p);
			*pp = q + 1;
			return 1;
		}
		p = q + 1;
	}
	return 0;
}

/*
 * clf_unescape -- decode Apache and nginx escapes in place: \" \\ \xHH
 * and Apache's \n \r \t \b \f \v.  Any other backslash stays literal.
 */
static void
clf_unescape(struct span *s)
{
	char *r, *w, *end;
	int hi, lo;

	/* An absent field has no pointer: not even p + 0 is defined. */
	if (s->n == 0 || memchr(s->p, '\\', s->n) == NULL)
		return;
	r = w = s->p;
	end = s->p + s->n;
	while (r < end) {
		if (*r != '\\' || r + 1 == end) {
			*w++ = *r++;
			continue;
		}
		switch (r[1]) {
		case '"': case '\\': *w++ = r[1]; break;
		case 'n': *w++ = '\n'; break;
		case 'r': *w++ = '\r'; break;
		case 't': *w++ = '\t'; break;
		case 'b': *w++ = '\b'; break;
		case 'f': *w++ = '\f'; break;
		case 'v': *w++ = '\v'; break;
		case 'x':
			if (r + 3 < end && (hi = hex_digit_value(r[2])) >= 0 &&
			    (lo = hex_digit_value(r[3])) >= 0) {
				*w++ = (char)(hi << 4 | lo);
				r += 2;
				break;
			}
			/* FALLTHROUGH */
		default:
			*w++ = *r++;
			continue;
		}
		r += 2;
	}
	s->n = (size_t)(w - s->p);
}

/* csv_unescape -- turn each "" of a quoted CSV field into " in place */
static void
csv_unescape(struct span *s)
{
	char *r, *w, *end;

	if (s->n == 0 || memchr(s->p, '"', s->n) == NULL)
		return;
	r = w = s->p;
	end = s->p + s->n;
	while (r < end) {
		if (*r == '"' && r + 1 < end && r[1] == '"')
			r++;
		*w++ = *r++;
	}
	s->n = (size_t)(w - s->p);
}

/* parse_status -- three digits, 100 to 999 */
static int
parse_status(const struct span *s, int64_t *v)
{
	if (s->n != 3 || !is_digit(s->p[0]) || !is_digit(s->p[1]) ||
	    !is_digit(s->p[2]) || s->p[0] == '0')
		return -1;
	*v = (s->p[0] - '0') * 100 + (s->p[1] - '0') * 10 + (s->p[2] - '0');
	return 0;
}

/* parse_bytes -- 0 to LOG_BYTES_MAX; "-" or nothing means 0 */
static int
parse_bytes(const struct span *s, int64_t *v)
{
	if (s->n == 0 || (s->n == 1 && s->p[0] == '-')) {
		*v = 0;
		return 0;
	}
	return parse_int64(s->p, s->n, 0, LOG_BYTES_MAX, v);
}

/*
 * parse_clf -- host ident authuser [time] "request" status bytes, then,
 * unless fmt is LOG_CLF, an optional "referer" "agent" (required for
 * LOG_COMBINED).  Anything after that is ignored.  NULL or the reason.
 */
static const char *
parse_clf(char *p, char *end, enum log_format fmt, struct loghit *h)
{
	struct span ident, status, bytes;

	if (!token(&p, end, &h->host) || !token(&p, end, &ident) ||
	    !token(&p, end, &h->user))
		return "missing fields";
	p = skip_spaces(p, end);
	if (clf_time(p, end, &h->time) == -1)
		return "bad time";
	p += 28;
	if (!clf_quoted(&p, end, &h->request))
		return "bad request";
	if (!token(&p, end, &status) || parse_status(&status, &h->status))
		return "bad status";
	if (!token(&p, end, &bytes) || parse_bytes(&bytes, &h->bytes))
		return "bad bytes";
	if (fmt == LOG_CLF)
		return NULL;
	p = skip_spaces(p, end);
	if (p < end && *p == '"') {
		if (!clf_quoted(&p, end, &h->referer))
			return "bad referer";
		p = skip_spaces(p, end);
		if (p < end && *p == '"' && !clf_quoted(&p, end, &h->agent))
			return "bad agent";
	}
	if (fmt == LOG_COMBINED && h->agent.p == NULL)
		return "missing referer or agent";
	return NULL;
}

/*
 * csv_field -- the field at *pp, quoted or bare, still escaped; *pp is
 * left on the ',' after it or at the end.  0 if a quote is unbalanced.
 */
static int
csv_field(char **pp, char *end, struct span *s)
{
	char *p = *pp;

	if (p < end && *p == '"') {
		for (s->p = ++p; p < end; p++) {
			if (*p != '"')
				continue;
			if (p + 1 < end && p[1] == '"') {
				p++;
				continue;
			}
			s->n = (size_t)(p - s->p);
			*pp = p + 1;
			return *pp == end || **pp == ',';
		}
		return 0;
	}
	s->p = p;
	while (p < end && *p != ',')
		p++;
	s->n = (size_t)(p - s->p);
	*pp = p;
	return 1;
}

/* span_is -- s holds exactly the string w */
static int
span_is(const struct span *s, const char *w)
{
	size_t n = strlen(w);

	return s->n == n && memcmp(s->p, w, n) == 0;
}

/*
 * parse_csv -- "remotehost","rfc931","authuser","date","request",
 * "status","bytes", each quoted (with "" for ") or bare; date in epoch
 * seconds.  The header line gives LOGLINE_SKIP.  NULL or the reason.
 */
static const char *
parse_csv(char *p, char *end, struct loghit *h)
{
	struct span f[CSV_NFIELDS];
	size_t i;

	for (i = 0; i < CSV_NFIELDS; i++) {
		if (i > 0) {
			if (p == end)
				return "too few CSV fields";
			p++;	/* the ',' */
		}
		if (!csv_field(&p, end, &f[i]))
			return "bad CSV quoting";
	}
	if (p != end)
		return "too many CSV fields";
	if (span_is(&f[0], csv_names[0]) && span_is(&f[1], csv_names[1]))
		return LOGLINE_SKIP;
	if (parse_int64(f[3].p, f[3].n, 0, TIME_MAX, &h->time) == -1)
		return "bad time";
	if (parse_status(&f[5], &h->status) == -1)
		return "bad status";
	if (parse_bytes(&f[6], &h->bytes) == -1)
		return "bad bytes";
	h->host = f[0];
	h->user = f[2];
	h->request = f[4];
	h->csv = 1;
	csv_unescape(&h->host);
	csv_unescape(&h->user);
	return NULL;
}

/* plausible_method -- 1 to LOG_METHOD_MAX of A-Z, '_' and '-' */
static int
plausible_method(const struct span *s)
{
	size_t i;

	if (s->n == 0 || s->n > LOG_METHOD_MAX)
		return 0;
	for (i = 0; i < s->n; i++)
		if (!(s->p[i] >= 'A' && s->p[i] <= 'Z') && s->p[i] != '_' &&
		    s->p[i] != '-')
			return 0;
	return 1;
}

/*
 * section_of -- the path up to its second '/', without query string or
 * fragment: /pages/create -> /pages, /pages?x=1 -> /pages, / -> /.  An
 * absolute URI counts from its path (http://host/a/b -> /a, http://host
 * -> /).  Anything else (host:443, *) has no section: length 0.
 */
struct span
section_of(struct span path)
{
	struct span sec = { path.p, 0 };
	char *p = path.p, *end = path.p + path.n;

	if (p < end && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))) {
		while (p < end && *p != ':' && *p != '/' && *p != '?')
			p++;
		if (end - p < 3 || memcmp(p, "://", 3) != 0)
			return sec;
		for (p += 3; p < end && *p != '/' && *p != '?' && *p != '#';)
			p++;
		if (p == end || *p != '/') {
			static char root[] = "/";
			sec.p = root;
			sec.n = 1;
			return sec;
		}
	}
	if (p == end || *p != '/')
		return sec;
	sec.p = p;
	for (p++; p < end && *p != '/' && *p != '?' && *p != '#'; p++)
		;
	sec.n = (size_t)(p - sec.p);
	return sec;
}

/*
 * split_request -- "METHOD TARGET [PROTO]" into method, path, section.
 * The path is what lies between the method and a final HTTP/ token, so a
 * raw blank in a URL stays in the path.  An implausible method (TLS
 * garbage sent to a plain HTTP port) leaves method and path empty.
 */
static void
split_request(struct loghit *h)
{
	char *p = h->request.p, *end = p + h->request.n, *q;

	if (!token(&p, end, &h->method) || !plausible_method(&h->method)) {
		h->method.n = 0;
		return;
	}
	p = skip_spaces(p, end);
	while (end > p && end[-1] == ' ')
		end--;
	for (q = end; q > p && q[-1] != ' '; q--)
		;
	if (q > p && end - q >= 5 && memcmp(q, "HTTP/", 5) == 0)
		for (end = q; end > p && end[-1] == ' '; end--)
			;
	h->path.p = p;
	h->path.n = (size_t)(end - p);
	h->section = section_of(h->path);
}

/*
 * logline_decode -- decode the quoted fields of a good line in place and
 * split its request into method, path and section.
 */
void
logline_decode(struct loghit *h)
{
	if (h->csv)
		csv_unescape(&h->request);
	else {
		clf_unescape(&h->request);
		clf_unescape(&h->referer);
		clf_unescape(&h->agent);
	}
	if (!(h->request.n == 1 && h->request.p[0] == '-'))
		split_request(h);
}

/* dash_to_empty -- a field the log marks "-" holds nothing */
static void
dash_to_empty(struct span *s)
{
	if (s->n == 1 && s->p[0] == '-')
		s->n = 0;
}

/*
 * logline_parse -- slice one log line (without its newline) into *h:
 * CSV if fmt says so or, for LOG_AUTO, if it starts with '"'; CLF or
 * combined otherwise.  NULL if good, LOGLINE_SKIP for a CSV header, or
 * the reason it is bad.  Fields the log marks "-" come back empty.
 */
const char *
logline_parse(char *line, size_t len, enum log_format fmt, struct loghit *h)
{
	const char *why;

	memset(h, 0, sizeof(*h));
	if (fmt == LOG_CSV || (fmt == LOG_AUTO && len > 0 && line[0] == '"'))
		why = parse_csv(line, line + len, h);
	else
		why = parse_clf(line, line + len, fmt, h);
	if (why != NULL)
		return why;
	dash_to_empty(&h->host);
	dash_to_empty(&h->user);
	dash_to_empty(&h->referer);
	dash_to_empty(&h->agent);
	return NULL;
}
