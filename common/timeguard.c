/*
 * timeguard.c -- how a time read from outside may move a stream's clock.
 *
 * FRONT is the largest time the stream has let through; the first time
 * sets it.  A record of time t:
 *
 *  - live (tg_init's future >= 0) and t > wall clock + future: refused,
 *    TG_FUTURE ("time in the future"); FRONT does not move;
 *  - t <= FRONT + TG_JUMP_MAX: passes at once (FRONT = max(FRONT, t));
 *  - further ahead: a jump.  It is held as the candidate and passes only
 *    when TG_CONFIRM later records confirm it (a time >= candidate -
 *    TG_JUMP_MAX; they are held too): then the held records pass in
 *    arrival order, then the last one, and FRONT moves.  Records near
 *    FRONT go on passing meanwhile; when TG_CONFIRM of them have passed
 *    since the candidate, the held records are rejected ("time jump not
 *    confirmed").  A record that is a jump from FRONT but does not
 *    confirm the candidate rejects the held records and becomes the new
 *    candidate.
 *
 * A trusted time (tg_front: a tick from logtail's own clock) moves FRONT;
 * a candidate that is then no longer a jump passes.  At the end of the
 * input (tg_finish) the held records are rejected.  At most TG_CONFIRM
 * records are held; their buffers are kept for reuse.  Nothing depends
 * on the wall clock but the live bound, so a replay decides the same
 * every run.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <err.h>

#include "httpmon.h"

/* tg_init -- a guard with no front; future < 0: no live bound */
void
tg_init(struct timeguard *g, int64_t future, const struct tg_calls *calls,
    void *ctx)
{
	memset(g, 0, sizeof(*g));
	g->front = INT64_MIN;
	g->future = future;
	g->calls = calls;
	g->ctx = ctx;
}

/* tg_free -- the held buffers */
void
tg_free(struct timeguard *g)
{
	int i;

	for (i = 0; i < TG_CONFIRM; i++)
		free(g->held[i].line);
	memset(g->held, 0, sizeof(g->held));
	g->nheld = 0;
}

/* keep -- copy a record into the next held slot */
static void
keep(struct timeguard *g, int64_t t, const char *line, size_t len,
    size_t lineno, int64_t aux)
{
	struct tg_held *h = &g->held[g->nheld++];

	if (h->cap < len + 1) {
		if ((h->line = realloc(h->line, len + 1)) == NULL)
			err(EXIT_FAIL, "realloc");
		h->cap = len + 1;
	}
	memcpy(h->line, line, len);
	h->line[len] = '\0';
	h->len = len;
	h->time = t;
	h->lineno = lineno;
	h->aux = aux;
}

/* release -- the held records pass, in arrival order; FRONT moves */
static void
release(struct timeguard *g)
{
	struct tg_held *h;
	int i, n = g->nheld;

	g->nheld = 0;
	for (i = 0; i < n; i++) {
		h = &g->held[i];
		if (h->time > g->front)
			g->front = h->time;
		g->calls->pass(g->ctx, h->line, h->len, h->lineno, h->aux,
		    h->time);
	}
}

/* reject -- the held records are refused, in arrival order */
static void
reject(struct timeguard *g)
{
	struct tg_held *h;
	int i, n = g->nheld;

	g->nheld = 0;
	for (i = 0; i < n; i++) {
		h = &g->held[i];
		g->calls->reject(g->ctx, "time jump not confirmed", h->line,
		    h->len, h->lineno, h->aux);
	}
}

/* tg_admit -- one record of time t: TG_PASS (the caller writes it now,
   after any released before it), TG_HELD (kept here) or TG_FUTURE */
enum tg_verdict
tg_admit(struct timeguard *g, int64_t t, const char *line, size_t len,
    size_t lineno, int64_t aux)
{
	if (g->future >= 0 && t > g->now + g->future) {
		g->now = (int64_t)time(NULL);
		if (t > g->now + g->future)
			return TG_FUTURE;
	}
	if (g->off)
		return TG_PASS;
	if (g->front == INT64_MIN) {
		g->front = t;
		return TG_PASS;
	}
	if (t <= g->front + TG_JUMP_MAX) {
		if (t > g->front)
			g->front = t;
		if (g->nheld > 0 && g->held[0].time <= g->front + TG_JUMP_MAX)
			release(g);
		else if (g->nheld > 0 && ++g->near >= TG_CONFIRM)
			reject(g);
		return TG_PASS;
	}
	if (g->nheld > 0 && t >= g->held[0].time - TG_JUMP_MAX) {
		if (g->nheld < TG_CONFIRM) {
			keep(g, t, line, len, lineno, aux);
			return TG_HELD;
		}
		release(g);
		if (t > g->front)
			g->front = t;
		return TG_PASS;
	}
	reject(g);
	g->near = 0;
	keep(g, t, line, len, lineno, aux);
	return TG_HELD;
}

/* tg_front -- a trusted time moves FRONT; a candidate now near passes */
void
tg_front(struct timeguard *g, int64_t t)
{
	if (g->front != INT64_MIN && t <= g->front)
		return;
	g->front = t;
	if (g->nheld > 0 && g->held[0].time <= g->front + TG_JUMP_MAX)
		release(g);
}

/* tg_holds -- whether this very record (aux and bytes) is held: a
   record delivered twice must not confirm itself */
int
tg_holds(const struct timeguard *g, int64_t aux, const char *line,
    size_t len)
{
	const struct tg_held *h;
	int i;

	for (i = 0; i < g->nheld; i++) {
		h = &g->held[i];
		if (h->aux == aux && h->len == len &&
		    memcmp(h->line, line, len) == 0)
			return 1;
	}
	return 0;
}

/* tg_finish -- the end of the input: a jump not confirmed is refused */
void
tg_finish(struct timeguard *g)
{
	reject(g);
}
