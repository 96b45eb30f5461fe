/*
 * schema.c -- the field-index enums of httpmon.h agree with record.c's
 * table: each index names the field the table has in that place, and
 * no enum has more fields than the table.  Built and run by
 * tests/records.bats; prints each disagreement, exits 1 if any.
 *
 * The table's name of HIT_BYTES is "bytes": the enum name after its
 * first '_', in lower case; "s" before a status class (STATS_2XX is
 * "s2xx", STATS_OTHER "sother"), and NAME is the type's own name.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "httpmon.h"

#define E(type, index)	{ type, index, #index }
#define N(type, nfields)	{ type, -(nfields), #nfields }

static const struct {
	enum rec_type	 type;
	int		 index;		/* -NFIELDS: a count */
	const char	*name;
} idx[] = {
	E(REC_HIT, HIT_TIME), E(REC_HIT, HIT_HOST), E(REC_HIT, HIT_USER),
	E(REC_HIT, HIT_METHOD), E(REC_HIT, HIT_PATH), E(REC_HIT, HIT_SECTION),
	E(REC_HIT, HIT_STATUS), E(REC_HIT, HIT_BYTES), E(REC_HIT, HIT_REFERER),
	E(REC_HIT, HIT_AGENT), N(REC_HIT, HIT_NFIELDS),
	E(REC_ALERT, ALERT_TIME), E(REC_ALERT, ALERT_HITS),
	E(REC_ALERT, ALERT_AVG), E(REC_ALERT, ALERT_THRESHOLD),
	E(REC_ALERT, ALERT_MESSAGE), E(REC_ALERT, ALERT_RULE),
	N(REC_ALERT, ALERT_NFIELDS),
	E(REC_RECOVER, ALERT_TIME), E(REC_RECOVER, ALERT_HITS),
	E(REC_RECOVER, ALERT_AVG), E(REC_RECOVER, ALERT_THRESHOLD),
	E(REC_RECOVER, ALERT_MESSAGE), E(REC_RECOVER, ALERT_RULE),
	N(REC_RECOVER, ALERT_NFIELDS),
	E(REC_SERVER, SERVER_TIME), E(REC_SERVER, SERVER_SOURCE),
	E(REC_SERVER, SERVER_LATEST), E(REC_SERVER, SERVER_LAG),
	E(REC_SERVER, SERVER_HITS), E(REC_SERVER, SERVER_SILENT),
	N(REC_SERVER, SERVER_NFIELDS),
	E(REC_ROLL, ROLL_TIME), E(REC_ROLL, ROLL_SOURCE), E(REC_ROLL, ROLL_SEQ),
	E(REC_ROLL, ROLL_SECTION), E(REC_ROLL, ROLL_METHOD),
	E(REC_ROLL, ROLL_STATUS), E(REC_ROLL, ROLL_HITS),
	E(REC_ROLL, ROLL_BYTES), N(REC_ROLL, ROLL_NFIELDS),
	E(REC_ROLLHOST, ROLL_TIME), E(REC_ROLLHOST, ROLL_SOURCE),
	E(REC_ROLLHOST, ROLL_SEQ), E(REC_ROLLHOST, ROLLHOST_HOST),
	N(REC_ROLLHOST, ROLLHOST_NFIELDS),
	E(REC_ROLLTICK, ROLL_TIME), E(REC_ROLLTICK, ROLL_SOURCE),
	E(REC_ROLLTICK, ROLL_SEQ), N(REC_ROLLTICK, ROLLTICK_NFIELDS),
	E(REC_ROLLBAD, ROLL_TIME), E(REC_ROLLBAD, ROLL_SOURCE),
	E(REC_ROLLBAD, ROLL_SEQ), E(REC_ROLLBAD, ROLLBAD_COUNT),
	N(REC_ROLLBAD, ROLLBAD_NFIELDS),
	E(REC_WINDOW, WINDOW_TIME), E(REC_WINDOW, WINDOW_HITS),
	E(REC_WINDOW, WINDOW_AVG), E(REC_WINDOW, WINDOW_THRESHOLD),
	E(REC_WINDOW, WINDOW_LASTSEC), N(REC_WINDOW, WINDOW_NFIELDS),
	E(REC_SECOND, SECOND_TIME), E(REC_SECOND, SECOND_HITS),
	N(REC_SECOND, SECOND_NFIELDS),
	E(REC_STATS, STATS_END), E(REC_STATS, STATS_INTERVAL),
	E(REC_STATS, STATS_HITS), E(REC_STATS, STATS_RATE),
	E(REC_STATS, STATS_BYTES), E(REC_STATS, STATS_TOTAL_HITS),
	E(REC_STATS, STATS_TOTAL_BYTES), E(REC_STATS, STATS_2XX),
	E(REC_STATS, STATS_3XX), E(REC_STATS, STATS_4XX),
	E(REC_STATS, STATS_5XX), E(REC_STATS, STATS_OTHER),
	E(REC_STATS, STATS_HOSTS), E(REC_STATS, STATS_LATE),
	E(REC_STATS, STATS_BAD), N(REC_STATS, STATS_NFIELDS),
	E(REC_SECTION, SECTION_END), E(REC_SECTION, SECTION_RANK),
	E(REC_SECTION, SECTION_NAME), E(REC_SECTION, SECTION_HITS),
	E(REC_SECTION, SECTION_BYTES), E(REC_SECTION, SECTION_4XX),
	E(REC_SECTION, SECTION_5XX), N(REC_SECTION, SECTION_NFIELDS),
	E(REC_METHOD, METHOD_END), E(REC_METHOD, METHOD_NAME),
	E(REC_METHOD, METHOD_HITS), N(REC_METHOD, METHOD_NFIELDS),
	E(REC_BAD, BAD_LINE), E(REC_BAD, BAD_REASON), N(REC_BAD, BAD_NFIELDS),
};

/* field_name -- the table's name for the enum constant e of type t */
static void
field_name(char *buf, size_t size, enum rec_type t, const char *e)
{
	size_t i = 0;

	e = strchr(e, '_') + 1;
	if (strcmp(e, "NAME") == 0)
		e = rec_schema[t].name;
	else if (isdigit((unsigned char)e[0]) || strcmp(e, "OTHER") == 0)
		buf[i++] = 's';
	for (; *e != '\0' && i + 1 < size; e++)
		buf[i++] = (char)tolower((unsigned char)*e);
	buf[i] = '\0';
}

int
main(void)
{
	const struct rec_schema *s;
	char want[64];
	size_t i;
	int bad = 0;

	for (i = 0; i < sizeof(idx) / sizeof(idx[0]); i++) {
		s = &rec_schema[idx[i].type];
		if (idx[i].index < 0) {
			if (-idx[i].index > s->nfields) {
				printf("%s: %s is %d, the table has %d\n",
				    s->name, idx[i].name, -idx[i].index,
				    s->nfields);
				bad = 1;
			}
			continue;
		}
		field_name(want, sizeof(want), idx[i].type, idx[i].name);
		if (idx[i].index >= s->nfields ||
		    strcmp(s->field[idx[i].index].name, want) != 0) {
			printf("%s: %s is %d, the table has %s there\n",
			    s->name, idx[i].name, idx[i].index,
			    idx[i].index < s->nfields ?
			    s->field[idx[i].index].name : "nothing");
			bad = 1;
		}
	}
	return bad;
}
