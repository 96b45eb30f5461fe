/*
 * memout.h -- for the fuzz targets: a struct out that writes into an
 * anonymous memory file (memfd), and the bytes written read back.
 */
#ifndef MEMOUT_H
#define MEMOUT_H

#include <sys/mman.h>
#include <stdlib.h>
#include <unistd.h>

#include <err.h>

#include "httpmon.h"

/* memout_open -- out on a fresh memory file, with a buffer of cap bytes */
static inline void
memout_open(struct out *o, size_t cap)
{
	static int fd = -1;

	if (fd == -1 && (fd = memfd_create("fuzz-out", 0)) == -1)
		err(1, "memfd_create");
	if (ftruncate(fd, 0) == -1 || lseek(fd, 0, SEEK_SET) == -1)
		err(1, "memfd reset");
	out_init(o, fd, cap);
}

/*
 * memout_close -- flush, free the buffer and return what was written in
 * a malloc'd, NUL-terminated copy (the caller frees it).
 */
static inline char *
memout_close(struct out *o, size_t *len)
{
	off_t end;
	char *s;

	out_flush(o);
	if ((end = lseek(o->fd, 0, SEEK_CUR)) == -1)
		err(1, "lseek");
	if ((s = malloc((size_t)end + 1)) == NULL)
		err(1, "malloc");
	if (pread(o->fd, s, (size_t)end, 0) != end)
		err(1, "pread");
	s[end] = '\0';
	*len = (size_t)end;
	out_free(o);
	return s;
}

#endif /* MEMOUT_H */
