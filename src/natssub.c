/*
 * natssub -- write the lines of a NATS JetStream stream to standard
 * output, through a durable pull consumer, at least once.
 *
 * Messages are fetched in batches; each batch is written and flushed,
 * and only then acknowledged.  A natssub killed between the write and
 * the acknowledgement leaves its consumer to deliver the batch again,
 * so lines may come twice but never go missing: the rollup records
 * carry a source and sequence number for logmerge to drop the second
 * copy.  The durable consumer remembers, in the cluster, where its last
 * acknowledgement was: a restarted natssub goes on from there.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <err.h>

#include "httpmon.h"
#include "jetstream.h"

#define BATCH_DEFAULT	64
#define DURABLE_DEFAULT	"httpmon"
#define ACKWAIT_DEFAULT	60
#define OUT_BUFSIZE	(1024 * 1024)

struct sub {
	struct jsplace	 place;
	const char	*durable;
	int64_t		 batch;		/* -b: messages per fetch */
	int64_t		 ackwait;	/* -a: seconds before redelivery */
	natsConnection	*nc;
	jsCtx		*js;
	natsSubscription *sub;
	int		 outage;	/* fetching failed, said so */
	struct out	 out;
};

/* usage -- the synopsis: on stdout for -h, on stderr for a bad call */
static _Noreturn void
usage(int status)
{
	fprintf(status == EXIT_OK ? stdout : stderr, "usage: %s [-hV] "
	    "[-a secs] [-b messages] [-d durable] [-r replicas] [-S stream]\n"
	    "               [-s subject] url[,url...]\n", getprogname());
	exit(status);
}

/* subscribe -- bind to (or create) the durable pull consumer; retried */
static int
subscribe(struct sub *s)
{
	jsSubOptions so;
	jsOptions o;
	jsErrCode jerr;
	natsStatus st;
	int said = 0;

	jsOptions_Init(&o);
	o.Wait = JS_API_WAIT_MS;
	jsSubOptions_Init(&so);
	so.Stream = s->place.stream;
	so.Config.AckWait = s->ackwait * 1000000000;
	so.Config.MaxAckPending = 20000;
	while (!stop_requested) {
		jerr = 0;
		js_hold();
		st = js_PullSubscribe(&s->sub, s->js, s->place.subject,
		    s->durable, &o, &so, &jerr);
		js_release();
		if (st == NATS_OK)
			return 0;
		if (!said++)
			warnx("consumer %s: %s (%d), retrying", s->durable,
			    natsStatus_GetText(st), (int)jerr);
		js_pause(200);
	}
	return -1;
}

/*
 * deliver -- write the messages of a batch, each ending in a newline,
 * flush, then acknowledge them.  An output error is fatal before any
 * acknowledgement: the batch will be delivered again.
 */
static void
deliver(struct sub *s, natsMsgList *list)
{
	const char *d;
	char why[SAFE_TEXT_MAX];
	int i, n;

	for (i = 0; i < list->Count; i++) {
		d = natsMsg_GetData(list->Msgs[i]);
		n = natsMsg_GetDataLength(list->Msgs[i]);
		if (n <= 0)
			continue;
		out_write(&s->out, d, (size_t)n);
		if (d[n - 1] != '\n')
			out_char(&s->out, '\n');
	}
	out_flush(&s->out);
	for (i = 0; i < list->Count; i++)
		if (natsMsg_Ack(list->Msgs[i], NULL) != NATS_OK && !s->outage)
			warnx("ack: %s (the message will come again)",
			    safe_text(why, sizeof(why),
			    nats_GetLastError(NULL)));
}

/* run -- fetch, write, acknowledge, until a stop signal */
static void
run(struct sub *s)
{
	natsMsgList list;
	natsStatus st;
	jsErrCode jerr;

	while (!stop_requested) {
		memset(&list, 0, sizeof(list));
		jerr = 0;
		st = natsSubscription_Fetch(&list, s->sub, (int)s->batch, 1000,
		    &jerr);
		if (list.Count > 0) {
			if (s->outage) {
				warnx("receiving again");
				s->outage = 0;
			}
			deliver(s, &list);
		} else if (st != NATS_OK && st != NATS_TIMEOUT) {
			if (!s->outage) {
				warnx("fetch: %s, retrying",
				    natsStatus_GetText(st));
				s->outage = 1;
			}
			js_pause(250);
		}
		natsMsgList_Destroy(&list);
	}
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "ack-wait",	required_argument,	NULL, 'a' },
		{ "batch",	required_argument,	NULL, 'b' },
		{ "durable",	required_argument,	NULL, 'd' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "replicas",	required_argument,	NULL, 'r' },
		{ "stream",	required_argument,	NULL, 'S' },
		{ "subject",	required_argument,	NULL, 's' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL,		0,			NULL, 0 }
	};
	struct sub s;
	int ch;

	memset(&s, 0, sizeof(s));
	s.batch = BATCH_DEFAULT;
	s.ackwait = ACKWAIT_DEFAULT;
	s.durable = DURABLE_DEFAULT;
	js_place_init(&s.place);
	while ((ch = getopt_long(argc, argv, "a:b:d:hr:S:s:V", longopts,
	    NULL)) != -1)
		switch (ch) {
		case 'a':
			s.ackwait = opt_number("-a", optarg, 1, 86400);
			break;
		case 'b':
			s.batch = opt_number("-b", optarg, 1, 10000);
			break;
		case 'd':
			s.durable = optarg;
			break;
		case 'r':
		case 'S':
		case 's':
			js_place_option(&s.place, ch, optarg);
			break;
		default:
			std_option(ch, usage);
		}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		usage(EXIT_USAGE);
	s.place.urls = argv[0];

	catch_stop_signals();
	out_init(&s.out, STDOUT_FILENO, OUT_BUFSIZE);
	if ((s.nc = js_connect(&s.place, 8 * 1024 * 1024)) == NULL)
		errx(EXIT_FAIL, "stopped before a NATS server answered");
	s.js = js_context(s.nc, NULL);
	if (js_stream(s.js, &s.place) == 0 && subscribe(&s) == 0)
		run(&s);
	out_finish(&s.out);
	natsSubscription_Destroy(s.sub);
	js_close(s.nc, s.js);
	return EXIT_OK;
}
