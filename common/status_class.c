/* status_class.c -- the class of an HTTP status: 2xx to 5xx, or other */
#include "httpmon.h"

/* status_class -- the class of a status field; other if not 200-599 */
enum status_class
status_class(const char *s, size_t len)
{
	int64_t v;

	if (parse_int64(s, len, 0, 999, &v) == -1 || v < 200 || v > 599)
		return ST_OTHER;
	return (enum status_class)(v / 100 - 2);
}
