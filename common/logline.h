/*
 * logline.h -- the access-log line parsers (CLF, combined, CSV and the
 * per-line detection), shared by logparse and the fuzz targets.
 *
 * Fields are sliced in place in the caller's line buffer: nothing is
 * allocated or copied.  logline_parse() only reads and slices, so a line
 * found bad is still as it was read; logline_decode() then undoes the
 * quoting in place and splits the request.
 */
#ifndef LOGLINE_H
#define LOGLINE_H

#include <stddef.h>
#include <stdint.h>

#define LOG_METHOD_MAX	20
/*
 * The largest response size taken from a log: 10^15 bytes (1 PB).  A
 * larger one is forged or corrupt; it is a bad line, so that every
 * stage agrees on what a hit is and byte sums stay far from overflow.
 */
#define LOG_BYTES_MAX	INT64_C(1000000000000000)

enum log_format { LOG_AUTO, LOG_CLF, LOG_COMBINED, LOG_CSV };

/* A slice of the line buffer. */
struct span {
	char	*p;
	size_t	 n;
};

/* One parsed log line; every span points into the line buffer. */
struct loghit {
	int64_t		 time;
	struct span	 host, user, request, method, path, section;
	struct span	 referer, agent;
	int		 csv;		/* quoted strings escaped CSV-style ("") */
	int64_t		 status;
	int64_t		 bytes;
};

/* The reason logline_parse gives for a line to skip silently (CSV header). */
extern const char LOGLINE_SKIP[];

const char	*logline_parse(char *, size_t, enum log_format, struct loghit *);
void		 logline_decode(struct loghit *);
struct span	 section_of(struct span);

#endif /* LOGLINE_H */
