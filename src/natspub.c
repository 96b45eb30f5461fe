/*
 * natspub -- publish lines to a NATS JetStream subject, never losing one.
 *
 * Lines are packed into messages of up to -b lines (one message also
 * goes out whenever the input would block, so a live stream waits for
 * nothing), each with a Nats-Msg-Id unique to this run and message, and
 * published asynchronously: up to -m messages wait for their
 * acknowledgement at once, and when that many do, natspub stops reading
 * (its input blocks upstream; nothing is discarded).
 *
 * A message the server refuses or does not acknowledge within -w
 * seconds (a server restarting, a leader being elected) comes back
 * through the acknowledgement callback, which runs on the library's
 * thread and only queues it; the main loop publishes it again with the
 * same Nats-Msg-Id, so that the stream's duplicates window drops it if
 * the first copy did arrive.  The connection is retried for ever.  At
 * the end of input natspub waits until every message is acknowledged.
 */
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <err.h>
#include <sys/random.h>

#include "httpmon.h"
#include "jetstream.h"

#define BATCH_DEFAULT	100
#define BATCH_BYTES	(512 * 1024)	/* under NATS's 1 MiB max payload */
#define PENDING_DEFAULT	256
#define WAIT_DEFAULT	5
#define STOP_GRACE_MS	10000		/* waiting for acks after a signal */

struct pub {
	struct jsplace	 place;
	natsConnection	*nc;
	jsCtx		*js;
	jsPubOptions	 popts;		/* MaxWait: the acknowledgement */
	int64_t		 batch;		/* -b: lines per message */
	char		*buf;		/* the message being filled */
	size_t		 len;
	int64_t		 nlines;
	char		 runid[17];	/* random, hex: Nats-Msg-Id prefix */
	uint64_t	 msgno;
	uint64_t	 lines, msgs, resent;
	int		 outage;	/* publishing failed, said so */
	int		 verbose;	/* -v: counts at the end */
	pthread_mutex_t	 lock;		/* guards failed, nfailed, acked */
	natsMsg		**failed;	/* back from the callback, to resend */
	size_t		 nfailed, failed_cap;
	uint64_t	 acked;
	struct badinput	 bad;
};

/* usage -- the synopsis: on stdout for -h, on stderr for a bad call */
static _Noreturn void
usage(int status)
{
	fprintf(status == EXIT_OK ? stdout : stderr, "usage: %s [-hvV] "
	    "[-b lines] [-m messages] [-r replicas] [-S stream]\n"
	    "               [-s subject] [-w secs] url[,url...]\n", getprogname());
	exit(status);
}

/*
 * on_ack -- the library's acknowledgement callback (its thread): a
 * message acknowledged is done; one that failed is queued for the main
 * loop to publish again.  It never publishes itself.
 */
static void
on_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *arg)
{
	struct pub *p = arg;

	(void)js;
	(void)pa;
	pthread_mutex_lock(&p->lock);
	if (pae == NULL) {
		p->acked++;
		natsMsg_Destroy(msg);
	} else {
		p->failed = grow_array(p->failed, &p->failed_cap,
		    p->nfailed + 1, sizeof(*p->failed), 64);
		p->failed[p->nfailed++] = msg;
	}
	pthread_mutex_unlock(&p->lock);
}

/*
 * publish -- hand msg to the library, waiting while -m messages are
 * already unacknowledged, retrying while the connection is down.  After
 * a stop signal it gives up after STOP_GRACE_MS: 0, or -1 (msg kept).
 */
static int
publish(struct pub *p, natsMsg **msg)
{
	natsStatus s;
	int waited = 0;

	for (;;) {
		js_hold();	/* the first publish starts a thread */
		s = js_PublishMsgAsync(p->js, msg, &p->popts);
		js_release();
		if (s == NATS_OK) {
			if (p->outage) {
				warnx("publishing again");
				p->outage = 0;
			}
			return 0;
		}
		if (s != NATS_TIMEOUT && !p->outage) {
			/* NATS_TIMEOUT: the -m messages in flight, we wait. */
			warnx("publish: %s, retrying", natsStatus_GetText(s));
			p->outage = 1;
		}
		if (stop_requested && (waited += 100) > STOP_GRACE_MS)
			return -1;
		js_pause(s == NATS_TIMEOUT ? 0 : 100);
	}
}

/* resend -- publish again what the callback queued; -1 if one was kept */
static int
resend(struct pub *p)
{
	natsMsg **f;
	size_t i, n;
	int rval = 0;

	pthread_mutex_lock(&p->lock);
	f = p->failed;
	n = p->nfailed;
	p->failed = NULL;
	p->nfailed = p->failed_cap = 0;
	pthread_mutex_unlock(&p->lock);
	/* They failed once: a leader may be being elected, let it finish. */
	if (n > 0)
		js_pause(100);
	for (i = 0; i < n; i++) {
		if (rval == 0 && publish(p, &f[i]) == 0) {
			p->resent++;
			continue;
		}
		rval = -1;
		on_ack(p->js, f[i], NULL, &(jsPubAckErr){ 0 }, p);
	}
	free(f);
	return rval;
}

/* send_batch -- the lines gathered so far as one message */
static int
send_batch(struct pub *p)
{
	natsMsg *msg;
	natsStatus s;
	char id[40];

	if (p->nlines == 0)
		return 0;
	snprintf(id, sizeof(id), "%s-%" PRIu64, p->runid, ++p->msgno);
	if ((s = natsMsg_Create(&msg, p->place.subject, NULL, p->buf,
	    (int)p->len)) != NATS_OK ||
	    (s = natsMsgHeader_Set(msg, "Nats-Msg-Id", id)) != NATS_OK)
		errx(EXIT_FAIL, "message: %s", natsStatus_GetText(s));
	p->len = 0;
	p->lines += (uint64_t)p->nlines;
	p->nlines = 0;
	p->msgs++;
	if (publish(p, &msg) == 0)
		return 0;
	on_ack(p->js, msg, NULL, &(jsPubAckErr){ 0 }, p);
	return -1;
}

/*
 * handle_line -- put a line in the message, sending it when full; what
 * the callback queued as failed is published again first.
 */
static void
handle_line(void *ctx, char *line, size_t len, size_t lineno)
{
	struct pub *p = ctx;

	resend(p);
	if (len + 1 > BATCH_BYTES) {
		bad_report(&p->bad, lineno, "line too long for a message",
		    NULL, 0);
		return;
	}
	if (p->len + len + 1 > BATCH_BYTES)
		send_batch(p);
	memcpy(p->buf + p->len, line, len);
	p->buf[p->len + len] = '\n';
	p->len += len + 1;
	if (++p->nlines >= p->batch)
		send_batch(p);
}

/*
 * idle -- input would block: send what is gathered, then wait for input,
 * resending what fails meanwhile, until some comes or a stop.
 */
static void
idle(void *ctx, int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct pub *p = ctx;

	send_batch(p);
	while (!stop_requested && poll(&pfd, 1, 250) <= 0)
		resend(p);
}

/* run -- read the input to its end, publishing as it comes */
static int
run(void *ctx, int fd, const char *name)
{
	static const struct lr_calls calls = {
		.line = handle_line, .idle = idle
	};
	struct pub *p = ctx;

	return lr_each(fd, name, NULL, &p->bad, &calls, p);
}

/*
 * drain -- wait until every message is acknowledged, resending what
 * fails; after a stop signal, STOP_GRACE_MS at most.  The count of
 * messages left unacknowledged (0 when all went well).
 */
static size_t
drain(struct pub *p)
{
	jsPubOptions o;
	natsMsgList left;
	size_t n;
	int waited = 0;

	send_batch(p);
	memset(&o, 0, sizeof(o));
	o.MaxWait = 500;
	for (;;) {
		if (js_PublishAsyncComplete(p->js, &o) == NATS_OK) {
			pthread_mutex_lock(&p->lock);
			n = p->nfailed;
			pthread_mutex_unlock(&p->lock);
			if (n == 0)
				return 0;
		}
		if (resend(p) != 0 || (stop_requested &&
		    (waited += 500) > STOP_GRACE_MS))
			break;
	}
	if (js_PublishAsyncGetPendingList(&left, p->js) != NATS_OK)
		left.Count = 0;
	pthread_mutex_lock(&p->lock);
	n = (size_t)left.Count + p->nfailed;
	pthread_mutex_unlock(&p->lock);
	if (left.Count > 0)
		natsMsgList_Destroy(&left);
	return n;
}

/*
 * setup -- connect, get ready to publish: -1 if a stop signal came
 * before a server answered
 */
static int
setup(struct pub *p, int64_t pending, int64_t wait)
{
	jsOptions o;
	unsigned char r[8];
	int i;

	if (getrandom(r, sizeof(r), 0) != sizeof(r))
		err(EXIT_FAIL, "getrandom");
	for (i = 0; i < 8; i++)
		snprintf(p->runid + 2 * i, 3, "%02x", r[i]);
	if ((p->buf = malloc(BATCH_BYTES)) == NULL)
		err(EXIT_FAIL, "malloc");
	if (pthread_mutex_init(&p->lock, NULL) != 0)
		errx(EXIT_FAIL, "pthread_mutex_init");
	if ((p->nc = js_connect(&p->place, 64 * 1024 * 1024)) == NULL)
		return -1;
	jsOptions_Init(&o);
	o.PublishAsync.MaxPending = pending;
	o.PublishAsync.AckHandler = on_ack;
	o.PublishAsync.AckHandlerClosure = p;
	o.PublishAsync.StallWait = 100;
	p->js = js_context(p->nc, &o);
	p->popts.MaxWait = wait * 1000;
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "batch",	required_argument,	NULL, 'b' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "pending",	required_argument,	NULL, 'm' },
		{ "replicas",	required_argument,	NULL, 'r' },
		{ "stream",	required_argument,	NULL, 'S' },
		{ "subject",	required_argument,	NULL, 's' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ "version",	no_argument,		NULL, 'V' },
		{ "wait",	required_argument,	NULL, 'w' },
		{ NULL,		0,			NULL, 0 }
	};
	struct pub p;
	int64_t pending = PENDING_DEFAULT, wait = WAIT_DEFAULT;
	size_t left;
	int ch, rval;

	memset(&p, 0, sizeof(p));
	p.batch = BATCH_DEFAULT;
	js_place_init(&p.place);
	while ((ch = getopt_long(argc, argv, "b:hm:r:S:s:vVw:", longopts,
	    NULL)) != -1)
		switch (ch) {
		case 'b':
			p.batch = opt_number("-b", optarg, 1, 100000);
			break;
		case 'm':
			pending = opt_number("-m", optarg, 1, 1000000);
			break;
		case 'r':
		case 'S':
		case 's':
			js_place_option(&p.place, ch, optarg);
			break;
		case 'v':
			p.verbose = 1;
			break;
		case 'w':
			wait = opt_number("-w", optarg, 1, 3600);
			break;
		default:
			std_option(ch, usage);
		}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		usage(EXIT_USAGE);
	p.place.urls = argv[0];

	catch_stop_signals();
	bad_init(&p.bad, "line", "stdin");
	if (setup(&p, pending, wait) != 0)
		errx(EXIT_FAIL, "stopped before a NATS server answered");
	if (js_stream(p.js, &p.place) != 0)
		return EXIT_FAIL;
	rval = run(&p, STDIN_FILENO, "stdin");
	left = drain(&p);
	bad_summary(&p.bad);
	if (left > 0) {
		warnx("%zu messages not acknowledged by the server", left);
		rval = EXIT_FAIL;
	}
	if (p.verbose)
		warnx("%" PRIu64 " lines in %" PRIu64 " messages, %" PRIu64
		    " sent again", p.lines, p.msgs, p.resent);
	js_close(p.nc, p.js);
	free(p.buf);
	return rval;
}
