/*
 * jetstream.c -- what natspub and natssub share: a connection to NATS
 * that is retried for ever with backoff and says why it fails, the stop
 * signals kept out of the library's threads (js_hold), and the
 * JetStream stream they meet on.  Only those two link -lnats; the others
 * never pull this object in.
 */
#include <sys/socket.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <err.h>
#include <nats/nats.h>

#include "httpmon.h"
#include "jetstream.h"

#define JS_CONNECT_MS	2000	/* one try of one server, at most */
#define JS_RETRY_MS	250	/* the first pause between tries... */
#define JS_RETRY_MAX_MS	8000	/* ...doubling up to this */
#define JS_SAY_MS	10000	/* a failed try said at most this often */
#define JS_SLICE_MS	100	/* a pause looks at stop_requested this often */

/* A server's address, taken apart (js_url). */
struct jsurl {
	char	host[256];
	char	port[6];
};

static sigset_t js_open;	/* the mask outside a call into libnats */
static volatile int js_closing;	/* our own close: nothing to say */

/*
 * js_hold, js_release -- around a call into libnats that may start a
 * thread: the thread inherits a mask that blocks the stop signals, so
 * that only the main thread ever takes them and its waits (a poll, a
 * blocked write) end at once.  A stop that came meanwhile is taken at
 * js_release, when the call is over.
 */
void
js_hold(void)
{
	hold_stop_signals(&js_open);
}

void
js_release(void)
{
	sigprocmask(SIG_SETMASK, &js_open, NULL);
}

/* js_pause -- sleep ms milliseconds, or less if a stop signal comes */
void
js_pause(int ms)
{
	int n;

	for (; ms > 0 && !stop_requested; ms -= n) {
		n = ms < JS_SLICE_MS ? ms : JS_SLICE_MS;
		poll(NULL, 0, n);
	}
}

/* js_on_disconnect, js_on_reconnect -- say so on stderr */
static void
js_on_disconnect(natsConnection *nc, void *closure)
{
	(void)nc;
	(void)closure;
	if (!js_closing)
		warnx("disconnected from NATS, reconnecting");
}

static void
js_on_reconnect(natsConnection *nc, void *closure)
{
	char url[256], safe[SAFE_TEXT_MAX];

	(void)closure;
	/* A URL the cluster gossiped: bytes from the network. */
	if (natsConnection_GetConnectedUrl(nc, url, sizeof(url)) != NATS_OK)
		strlcpy(url, "a server", sizeof(url));
	warnx("reconnected to %s", safe_text(safe, sizeof(safe), url));
}

/* js_reconnect_delay -- a lost server is tried again with backoff too */
static int64_t
js_reconnect_delay(natsConnection *nc, int attempts, void *closure)
{
	(void)nc;
	(void)closure;
	if (attempts > 5)
		return JS_RETRY_MAX_MS;
	return JS_RETRY_MS << (attempts > 0 ? attempts - 1 : 0);
}

/*
 * js_url -- take apart [nats://|tls://][user[:password]@]host[:port][/]
 * (host a name, an IPv4 address or a bracketed IPv6 one; the port 4222
 * if none): NULL, or why u is not a server's URL.
 */
static const char *
js_url(const char *u, struct jsurl *a)
{
	const char *h, *e, *q;
	size_t n;
	long port = 4222;
	char *end;

	if ((q = strstr(u, "://")) != NULL) {
		if (!(q - u == 4 && strncmp(u, "nats", 4) == 0) &&
		    !(q - u == 3 && strncmp(u, "tls", 3) == 0))
			return "not a nats:// or tls:// URL";
		u = q + 3;
	}
	if ((q = strchr(u, '@')) != NULL)
		u = q + 1;
	h = u;
	if (*u == '[') {
		if ((e = strchr(u, ']')) == NULL)
			return "no ] after an IPv6 address";
		h = u + 1;
		n = (size_t)(e - h);
		u = e + 1;
	} else {
		for (e = u; isalnum((unsigned char)*e) || *e == '.' ||
		    *e == '-' || *e == '_'; e++)
			;
		n = (size_t)(e - h);
		u = e;
	}
	if (n == 0 || n >= sizeof(a->host))
		return "no host";
	if (*u == ':') {
		errno = 0;
		port = strtol(u + 1, &end, 10);
		if (!isdigit((unsigned char)u[1]) || errno != 0 || port < 1 ||
		    port > 65535)
			return "bad port";
		u = end;
	}
	if (*u == '/')
		u++;
	if (*u != '\0')
		return "unexpected characters after the host and port";
	memcpy(a->host, h, n);
	a->host[n] = '\0';
	snprintf(a->port, sizeof(a->port), "%ld", port);
	return NULL;
}

/*
 * js_probe -- why the server at a does not answer, found by a TCP
 * connect of our own (the library only says "no server available"):
 * the resolver's or the system's reason, or NULL if it does answer.
 */
static const char *
js_probe(const struct jsurl *a)
{
	struct addrinfo hints, *res;
	struct pollfd pfd = { .fd = -1, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int e, fd, waited = 0, soerr = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((e = getaddrinfo(a->host, a->port, &hints, &res)) != 0)
		return gai_strerror(e);
	fd = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, res->ai_protocol);
	if (fd == -1 || (connect(fd, res->ai_addr, res->ai_addrlen) == -1 &&
	    errno != EINPROGRESS)) {
		e = errno;
		freeaddrinfo(res);
		if (fd != -1)
			close(fd);
		return strerror(e);
	}
	freeaddrinfo(res);
	pfd.fd = fd;
	while ((e = poll(&pfd, 1, JS_SLICE_MS)) == 0 && !stop_requested &&
	    (waited += JS_SLICE_MS) < JS_CONNECT_MS)
		;
	if (e > 0)
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
	close(fd);
	if (e == 0)
		return "connection timed out";
	return e > 0 && soerr != 0 ? strerror(soerr) : NULL;
}

/* js_now_ms -- a monotonic clock, in milliseconds */
static int64_t
js_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* js_last_error -- the library's last error, without its "(file:line): " */
static const char *
js_last_error(natsStatus s)
{
	const char *e = nats_GetLastError(NULL), *p;

	if (e == NULL)
		return natsStatus_GetText(s);
	if (*e == '(' && (p = strstr(e, "): ")) != NULL)
		e = p + 3;
	return e;
}

/*
 * js_say_down -- a try failed (status s): name each server and why it
 * does not answer, and when the next try comes.
 */
static void
js_say_down(char **url, const struct jsurl *a, int n, natsStatus s,
    int tries, int next_ms)
{
	char safe[SAFE_TEXT_MAX], why[SAFE_TEXT_MAX];
	const char *r;
	int i;

	for (i = 0; i < n; i++) {
		r = js_probe(&a[i]);
		if (stop_requested)	/* the probe was cut short */
			return;
		if (r == NULL)		/* TCP answers: the library's reason */
			r = safe_text(why, sizeof(why), js_last_error(s));
		warnx("cannot connect to %s: %s", safe_text(safe,
		    sizeof(safe), url[i]), r);
	}
	warnx("no NATS server answers (%d tr%s), retrying in %d %s", tries,
	    tries == 1 ? "y" : "ies", next_ms < 1000 ? next_ms :
	    next_ms / 1000, next_ms < 1000 ? "ms" : "s");
}

/* js_options -- the connection's options (the library is opened here) */
static natsOptions *
js_options(char **url, int n, int bufsize)
{
	natsOptions *o;
	natsStatus s;

	if ((s = natsOptions_Create(&o)) != NATS_OK ||
	    (s = natsOptions_SetServers(o, (const char **)url, n)) !=
	    NATS_OK ||
	    (s = natsOptions_SetTimeout(o, JS_CONNECT_MS)) != NATS_OK ||
	    (s = natsOptions_SetMaxReconnect(o, -1)) != NATS_OK ||
	    (s = natsOptions_SetCustomReconnectDelay(o, js_reconnect_delay,
	    NULL)) != NATS_OK ||
	    (s = natsOptions_SetReconnectBufSize(o, bufsize)) != NATS_OK ||
	    (s = natsOptions_SetDisconnectedCB(o, js_on_disconnect, NULL)) !=
	    NATS_OK ||
	    (s = natsOptions_SetReconnectedCB(o, js_on_reconnect, NULL)) !=
	    NATS_OK)
		errx(EXIT_FAIL, "NATS options: %s", natsStatus_GetText(s));
	return o;
}

/*
 * js_connect -- connect to one of the servers (-urls, checked first: a
 * malformed one is a usage error).  Each try gives every server
 * JS_CONNECT_MS at most; while none answers, say which and why (at once,
 * then at most every JS_SAY_MS) and try again after a pause that
 * doubles from JS_RETRY_MS to JS_RETRY_MAX_MS.  Once connected, a lost
 * connection is retried for ever by the library, with the same backoff,
 * a reconnect buffer of bufsize bytes keeping what is published
 * meanwhile.  NULL if a stop signal came first.
 */
natsConnection *
js_connect(struct jsplace *p, int bufsize)
{
	char *url[JS_MAXURLS], *u, *save = NULL;
	char safe[SAFE_TEXT_MAX];
	struct jsurl a[JS_MAXURLS];
	const char *why;
	natsOptions *o;
	natsConnection *nc = NULL;
	natsStatus s;
	int64_t said = 0;
	int n = 0, tries = 0, wait = JS_RETRY_MS;

	for (u = strtok_r(p->urls, ",", &save); u != NULL;
	    u = strtok_r(NULL, ",", &save)) {
		if (n == JS_MAXURLS)
			errx(EXIT_USAGE, "more than %d NATS URLs", JS_MAXURLS);
		if ((why = js_url(u, &a[n])) != NULL)
			errx(EXIT_USAGE, "%s: %s", safe_text(safe,
			    sizeof(safe), u), why);
		url[n++] = u;
	}
	if (n == 0)
		errx(EXIT_USAGE, "no NATS server URL");
	js_hold();
	o = js_options(url, n, bufsize);
	while ((s = natsConnection_Connect(&nc, o)) != NATS_OK) {
		js_release();
		if (stop_requested)
			break;
		tries++;
		if (tries == 1 || js_now_ms() - said >= JS_SAY_MS) {
			js_say_down(url, a, n, s, tries, wait);
			said = js_now_ms();
		}
		js_pause(wait);
		if (stop_requested)
			break;
		if ((wait *= 2) > JS_RETRY_MAX_MS)
			wait = JS_RETRY_MAX_MS;
		js_hold();
	}
	if (s == NATS_OK) {
		js_release();
		if (tries > 0)
			warnx("connected to NATS after %d failed tr%s", tries,
			    tries == 1 ? "y" : "ies");
	}
	natsOptions_Destroy(o);
	return s == NATS_OK ? nc : NULL;
}

/*
 * js_stream -- make sure the stream exists (file storage, the replicas
 * asked for, a duplicates window for the Nats-Msg-Id of resent
 * messages), retrying while the cluster has no leader yet or no server
 * answers.  An existing stream is used as it is.  0, or -1 on a stop.
 */
int
js_stream(jsCtx *js, const struct jsplace *p)
{
	jsStreamConfig cfg;
	jsStreamInfo *si = NULL;
	jsOptions o;
	jsErrCode jerr = 0;
	natsStatus s;
	const char *subjects[1];
	int said = 0;

	jsOptions_Init(&o);
	o.Wait = JS_API_WAIT_MS;
	jsStreamConfig_Init(&cfg);
	subjects[0] = p->subject;
	cfg.Name = p->stream;
	cfg.Subjects = subjects;
	cfg.SubjectsLen = 1;
	cfg.Storage = js_FileStorage;
	cfg.Replicas = p->replicas;
	cfg.Duplicates = JS_DUPLICATES_NS;
	while (!stop_requested) {
		jerr = 0;
		js_hold();
		s = js_AddStream(&si, js, &cfg, &o, &jerr);
		js_release();
		jsStreamInfo_Destroy(si);
		si = NULL;
		if (s == NATS_OK || jerr == JSStreamNameExistErr)
			return 0;
		if (!said++)
			warnx("stream %s: %s (%d), retrying", p->stream,
			    natsStatus_GetText(s), (int)jerr);
		js_pause(200);
	}
	return -1;
}

/* js_place_init -- the default stream and subject, one replica */
void
js_place_init(struct jsplace *p)
{
	p->stream = JS_STREAM_DEFAULT;
	p->subject = JS_SUBJECT_DEFAULT;
	p->replicas = 1;
}

/* js_place_option -- the options both programs take: -r, -S, -s */
void
js_place_option(struct jsplace *p, int ch, char *arg)
{
	switch (ch) {
	case 'r':
		p->replicas = opt_number("-r", arg, 1, 5);
		break;
	case 'S':
		p->stream = arg;
		break;
	case 's':
		p->subject = arg;
		break;
	}
}

/*
 * js_context -- the JetStream context on nc, with the options o (or the
 * defaults if NULL) and the API wait both programs use; exits on failure.
 */
jsCtx *
js_context(natsConnection *nc, jsOptions *o)
{
	jsOptions def;
	jsCtx *js;
	natsStatus s;

	if (o == NULL) {
		jsOptions_Init(&def);
		o = &def;
	}
	o->Wait = JS_API_WAIT_MS;
	js_hold();
	s = natsConnection_JetStream(&js, nc, o);
	js_release();
	if (s != NATS_OK)
		errx(EXIT_FAIL, "JetStream: %s", natsStatus_GetText(s));
	return js;
}

/* js_close -- close the connection and the library, quietly */
void
js_close(natsConnection *nc, jsCtx *js)
{
	js_closing = 1;
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	nats_Close();
}
