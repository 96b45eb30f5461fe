/*
 * badinput.c -- the policy for input a program cannot use: count it,
 * name the first few with file, line and reason, then go quiet and say
 * so (a flood of garbage must not flood the terminal), and summarise at
 * exit.  Bad input never stops a filter.
 */
#include <inttypes.h>
#include <string.h>

#include <err.h>

#include "httpmon.h"

#define BAD_WARN_LIMIT	10

void
bad_init(struct badinput *b, const char *what, const char *file)
{
	memset(b, 0, sizeof(*b));
	b->kind = "bad";
	b->what = what;
	b->file = file;
	b->limit = BAD_WARN_LIMIT;
}

/*
 * bad_report -- count one bad line; warn about it while under the limit,
 * showing up to 60 bytes of it made safe for a terminal as a record
 * field is (safe_textn).
 */
void
bad_report(struct badinput *b, size_t lineno, const char *why,
    const char *text, size_t len)
{
	char shown[60 * 4 + 1];

	b->count++;
	if (b->warned >= b->limit)
		return;
	b->warned++;
	if (text != NULL) {
		safe_textn(shown, sizeof(shown), text, len > 60 ? 60 : len);
		warnx("%s:%zu: %s: %s%s", b->file, lineno, why, shown,
		    len > 60 ? "..." : "");
	} else
		warnx("%s:%zu: %s", b->file, lineno, why);
	if (b->warned == b->limit)
		warnx("%s: more %s %ss will be counted, not shown", b->file,
		    b->kind, b->what);
}

void
bad_summary(const struct badinput *b)
{
	if (b->count > 0)
		warnx("%s: %" PRIu64 " %s %s%s", b->file, b->count, b->kind,
		    b->what, b->count == 1 ? "" : "s");
}
