/*
 * jetstream.h -- what natspub and natssub share: a connection to NATS
 * that is retried for ever with backoff and says why it fails, the stop
 * signals kept out of the library's threads, and the JetStream stream
 * they meet on (jetstream.c; link -lnats).
 */
#ifndef JETSTREAM_H
#define JETSTREAM_H

#include <nats/nats.h>

#define JS_STREAM_DEFAULT	"HTTPMON"
#define JS_SUBJECT_DEFAULT	"httpmon.rollups"
#define JS_MAXURLS		16
#define JS_DUPLICATES_NS	(INT64_C(600) * 1000000000)	/* 10 min */
#define JS_API_WAIT_MS		2000

/* Where to meet: the servers, the stream, its subject and replicas. */
struct jsplace {
	char		*urls;		/* comma-separated nats:// URLs */
	const char	*stream;
	const char	*subject;
	int64_t		 replicas;
};

void		 js_hold(void);
void		 js_release(void);
void		 js_pause(int);
natsConnection	*js_connect(struct jsplace *, int);
int		 js_stream(jsCtx *, const struct jsplace *);
void		 js_place_init(struct jsplace *);
void		 js_place_option(struct jsplace *, int, char *);
jsCtx		*js_context(natsConnection *, jsOptions *);
void		 js_close(natsConnection *, jsCtx *);

#endif /* JETSTREAM_H */
