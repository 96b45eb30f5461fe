/*
 * jetstream.c -- what natspub and natssub share: a connection to NATS
 * that reconnects for ever, and the JetStream stream they meet on.
 * Only those two link -lnats; the others never pull this object in.
 */
#include <poll.h>
#include <string.h>

#include <err.h>
#include <nats/nats.h>

#include "httpmon.h"
#include "jetstream.h"

/* js_pause -- sleep ms milliseconds, or less if a stop signal comes */
void
js_pause(int ms)
{
	poll(NULL, 0, ms);
}

static volatile int js_closing;	/* our own close: nothing to say */

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

/*
 * js_connect -- connect to one of the servers, retrying the first
 * connection and every reconnection for ever (a server restart must not
 * end a shipper), with a reconnect buffer of bufsize bytes.
 */
natsConnection *
js_connect(struct jsplace *p, int bufsize)
{
	const char *url[JS_MAXURLS];
	natsOptions *o;
	natsConnection *nc;
	natsStatus s;
	char *u, *save = NULL;
	int n = 0;

	for (u = strtok_r(p->urls, ",", &save); u != NULL;
	    u = strtok_r(NULL, ",", &save))
		if (n < JS_MAXURLS)
			url[n++] = u;
	if (n == 0)
		errx(EXIT_USAGE, "no NATS server URL");
	if ((s = natsOptions_Create(&o)) != NATS_OK ||
	    (s = natsOptions_SetServers(o, url, n)) != NATS_OK ||
	    (s = natsOptions_SetMaxReconnect(o, -1)) != NATS_OK ||
	    (s = natsOptions_SetReconnectWait(o, 250)) != NATS_OK ||
	    (s = natsOptions_SetReconnectBufSize(o, bufsize)) != NATS_OK ||
	    (s = natsOptions_SetRetryOnFailedConnect(o, true, NULL, NULL)) !=
	    NATS_OK ||
	    (s = natsOptions_SetDisconnectedCB(o, js_on_disconnect, NULL)) !=
	    NATS_OK ||
	    (s = natsOptions_SetReconnectedCB(o, js_on_reconnect, NULL)) !=
	    NATS_OK)
		errx(EXIT_FAIL, "NATS options: %s", natsStatus_GetText(s));
	s = natsConnection_Connect(&nc, o);
	natsOptions_Destroy(o);
	/* With retry on a failed connect, NOT_YET_CONNECTED is fine. */
	if (s != NATS_OK && s != NATS_NOT_YET_CONNECTED)
		errx(EXIT_FAIL, "%s: %s", url[0], natsStatus_GetText(s));
	return nc;
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
		s = js_AddStream(&si, js, &cfg, &o, &jerr);
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
	if ((s = natsConnection_JetStream(&js, nc, o)) != NATS_OK)
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
