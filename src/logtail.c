/*
 * logtail -- follow log files by name, like tail -F, and write their
 * whole lines to standard output: through rotation by rename (the old
 * file is drained first), copytruncate, deletion and re-creation, with
 * an optional state file so a restart resumes where it stopped.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <err.h>
#include <vis.h>

#include "httpmon.h"
#include "watch.h"

#define BUF_START	(64 * 1024)	/* first size of a line buffer */
#define RESTAT_MS	1000		/* look at the names at least this often */
#define TICK_MS		1000		/* idle time before a tick record */
#define SAVE_MS		5000		/* state saved this often while reading */
#define STATE_HEADER	"#logtail-state 1"
#define NAME_VIS	(VIS_CSTYLE | VIS_TAB | VIS_NL | VIS_OCTAL)
#define SUM_BYTES	256		/* the head of a file that identifies it */
#define NOT_REGULAR	(-2)		/* an errno of our own: see open_input */

/* One open file: the one the name points at, or a rotated one draining. */
struct src {
	int	 fd;		/* -1 when closed */
	dev_t	 dev;
	ino_t	 ino;
	off_t	 off;		/* file offset of buf[0]: after the last whole line */
	char	*buf;		/* a partial line held until its newline */
	size_t	 len;		/* bytes held */
	size_t	 cap;
	int	 skipping;	/* dropping the rest of an over-long line */
	int	 pipe;		/* a pipe (replay): poll before each read */
	int	 wd;		/* inotify watch, or -1 */
	int64_t	 active;	/* ms: when it last gave data (rotated file) */
};

/* One name on the command line. */
struct tfile {
	const char	*name;
	char		*dir;		/* its directory */
	int		 dwd;		/* watch on the directory, or -1 */
	struct src	 cur;		/* what the name points at */
	struct src	 old;		/* the file it pointed at before a rotation */
	int		 said;		/* errno last reported for the name, or -1 */
	int		 resumed;	/* the state file knew it */
};

/*
 * An entry of the state file: where reading a name stopped.  Device and
 * inode name the file; a checksum of its first bytes tells it from a
 * new file that was given the inode number of a deleted one.
 */
struct mark {
	uintmax_t	 dev;
	uintmax_t	 ino;
	intmax_t	 off;
	uintmax_t	 sumlen;	/* bytes summed: min(off, SUM_BYTES) */
	uintmax_t	 sum;		/* FNV-1a of those bytes */
};

struct logtail {
	struct tfile	*files;
	size_t		 nfiles;
	struct out	 out;
	struct watch	 watch;
	const char	*state;		/* --state file, or NULL */
	int		 from_start;
	int		 nofollow;
	int		 ticks;
	int64_t		 allow;		/* -a: s a tick stays behind the clock */
	int64_t		 poll_ms;	/* > 0: poll at this interval */
	int64_t		 grace_ms;	/* drain a rotated file until this idle */
	int64_t		 last_out;	/* ms: last line or tick written */
	int64_t		 next_save;	/* ms: when the state is due */
	int		 dirty;		/* offsets moved since the state was saved */
	int		 rval;
};

static const struct option longopts[] = {
	{ "allowance",		required_argument,	NULL, 'a' },
	{ "from-start",		no_argument,		NULL, 'b' },
	{ "rotate-grace",	required_argument,	NULL, 'g' },
	{ "help",		no_argument,		NULL, 'h' },
	{ "no-follow",		no_argument,		NULL, 'N' },
	{ "poll",		required_argument,	NULL, 'p' },
	{ "state",		required_argument,	NULL, 's' },
	{ "ticks",		no_argument,		NULL, 'T' },
	{ "version",		no_argument,		NULL, 'V' },
	{ NULL,			0,			NULL, 0 }
};

/* usage -- the synopsis: on stdout for -h, on stderr for a bad call */
static _Noreturn void
usage(int status)
{
	fprintf(status == EXIT_OK ? stdout : stderr, "usage: %s [-bhNTV] "
	    "[-a secs] [-g secs] [-p secs] [-s statefile] file ...\n",
	    getprogname());
	exit(status);
}

/* opt_seconds -- a decimal number of seconds in [min, max] ms, as ms */
static int64_t
opt_seconds(const char *name, const char *arg, int64_t min, int64_t max)
{
	int64_t micro;

	if (parse_decimal_micro(arg, &micro) == -1 || micro / 1000 < min ||
	    micro / 1000 > max)
		errx(EXIT_USAGE, "%s %s: not a number of seconds from %.3f "
		    "to %.0f", name, arg, min / 1000.0, max / 1000.0);
	return micro / 1000;
}

/* stopping -- true once SIGINT or SIGTERM asked us to stop */
static int
stopping(const struct logtail *lt)
{
	return stop_requested || watch_stop_pending(&lt->watch);
}

/* src_reset -- a closed source, keeping its buffer */
static void
src_reset(struct src *s)
{
	s->fd = -1;
	s->dev = 0;
	s->ino = 0;
	s->off = 0;
	s->len = 0;
	s->skipping = 0;
	s->pipe = 0;
	s->wd = -1;
	s->active = 0;
}

/* src_alloc -- a closed source with its line buffer */
static void
src_alloc(struct src *s)
{
	src_reset(s);
	s->cap = BUF_START;
	if ((s->buf = malloc(s->cap)) == NULL)
		err(EXIT_FAIL, "malloc");
}

/*
 * put_text -- whole lines from a log; with --ticks a line whose first
 * byte is TICK_MARK gets it doubled, so that no line is a tick.  p
 * starts a line.
 */
static void
put_text(struct logtail *lt, const char *p, size_t n)
{
	const char *m, *end = p + n;

	if (!lt->ticks) {
		out_write(&lt->out, p, n);
		return;
	}
	for (m = p; (m = memchr(m, TICK_MARK, (size_t)(end - m))) != NULL;
	    m++)
		if (m == p || m[-1] == '\n') {
			out_write(&lt->out, p, (size_t)(m - p));
			out_char(&lt->out, TICK_MARK);
			p = m;
		}
	out_write(&lt->out, p, (size_t)(end - p));
}

/* put_lines -- write the whole lines among the held bytes, keep the rest */
static void
put_lines(struct logtail *lt, struct src *s)
{
	char *nl;
	size_t n;

	if (s->skipping) {
		if ((nl = memchr(s->buf, '\n', s->len)) == NULL) {
			s->off += s->len;
			s->len = 0;
			return;
		}
		n = (size_t)(nl - s->buf) + 1;
		s->off += n;
		s->len -= n;
		memmove(s->buf, s->buf + n, s->len);
		s->skipping = 0;
	}
	if ((nl = memrchr(s->buf, '\n', s->len)) == NULL)
		return;
	n = (size_t)(nl - s->buf) + 1;
	put_text(lt, s->buf, n);
	s->off += n;
	s->len -= n;
	memmove(s->buf, s->buf + n, s->len);
	lt->dirty = 1;
	lt->last_out = now_ms();
}

/*
 * make_room -- room to read into: grow the buffer while a partial line
 * fills it, up to LINE_MAX_DEFAULT; a longer line is written cut at
 * that length (with a warning) and the rest of it dropped.
 */
static void
make_room(struct logtail *lt, const char *name, struct src *s)
{
	char *p;

	if (s->len < s->cap)
		return;
	if (s->cap < LINE_MAX_DEFAULT) {
		if ((p = realloc(s->buf, s->cap * 2)) == NULL)
			err(EXIT_FAIL, "realloc");
		s->buf = p;
		s->cap *= 2;
		return;
	}
	warnx("%s: line longer than %zu bytes, cut", name, s->cap);
	put_text(lt, s->buf, s->len);
	out_char(&lt->out, '\n');
	s->off += s->len;
	s->len = 0;
	s->skipping = 1;
	lt->dirty = 1;
}

/*
 * pipe_wait -- wait until a replayed pipe has data or its writer has
 * gone.  The pipe is non-blocking, and read(2) says end of file while
 * a FIFO has no writer yet; poll(2) waits for the first writer to come
 * and go, and no stop signal is held in a replay: one ends the wait
 * (-1, errno EINTR).
 */
static int
pipe_wait(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, -1) == -1 ? -1 : 0;
}

/*
 * src_drain -- read s to its end, writing each whole line once; a
 * partial last line stays held.  Returns the bytes read, or -1 after a
 * read error (warned; the source is then left as it is).  A stop
 * signal ends a wait on a pipe.
 */
static ssize_t
src_drain(struct logtail *lt, const char *name, struct src *s)
{
	ssize_t n, total = 0;

	while (s->fd != -1) {
		make_room(lt, name, s);
		if (s->pipe && pipe_wait(s->fd) == -1)
			n = -1;
		else
			n = read(s->fd, s->buf + s->len, s->cap - s->len);
		if (n < 0 && errno == EAGAIN)
			continue;	/* a pipe: poll again */
		if (n < 0 && errno == EINTR) {
			if (stopping(lt))	/* a replay's pipe, waiting */
				break;
			continue;
		}
		if (n < 0) {
			warn("%s", name);
			lt->rval = EXIT_FAIL;
			return -1;
		}
		if (n == 0)
			break;
		s->len += (size_t)n;
		total += n;
		put_lines(lt, s);
		if (stopping(lt))
			break;
	}
	return total;
}

/* put_partial -- write a held partial line, ending it with a newline */
static void
put_partial(struct logtail *lt, struct src *s)
{
	if (s->len > 0 && !s->skipping) {
		put_text(lt, s->buf, s->len);
		out_char(&lt->out, '\n');
		lt->dirty = 1;
		lt->last_out = now_ms();
	}
	s->off += s->len;
	s->len = 0;
	s->skipping = 0;
}

/* src_close -- close s; a partial line it held is written (it is final) */
static void
src_close(struct logtail *lt, struct src *s)
{
	if (s->fd == -1)
		return;
	put_partial(lt, s);
	watch_forget(&lt->watch, s->wd);
	close(s->fd);
	src_reset(s);
	lt->dirty = 1;
}

/*
 * end_offset -- where reading from "the end" starts: after the last
 * newline, so that a line being written as we start comes out whole.
 * Sets skipping if the last line began too far back to find.
 */
static off_t
end_offset(struct src *s, off_t size)
{
	char tail[4096];
	size_t want;
	ssize_t n;
	char *nl;

	want = size < (off_t)sizeof(tail) ? (size_t)size : sizeof(tail);
	if (want == 0)
		return 0;
	n = pread(s->fd, tail, want, size - (off_t)want);
	if (n != (ssize_t)want)
		return size;
	if ((nl = memrchr(tail, '\n', want)) != NULL)
		return size - (off_t)want + (nl - tail) + 1;
	if ((off_t)want == size)
		return 0;
	s->skipping = 1;
	return size;
}

/* head_sum -- FNV-1a of the first len bytes of fd; -1 if it has fewer */
static int
head_sum(int fd, size_t len, uintmax_t *sum)
{
	unsigned char head[SUM_BYTES];

	if (len > sizeof(head) || pread(fd, head, len, 0) != (ssize_t)len)
		return -1;
	*sum = fnv1a(FNV1A_START, head, len);
	return 0;
}

/* is_marked -- true if the file open on fd is the one m describes */
static int
is_marked(int fd, const struct stat *st, const struct mark *m)
{
	uintmax_t sum;

	return (uintmax_t)st->st_dev == m->dev &&
	    (uintmax_t)st->st_ino == m->ino &&
	    head_sum(fd, m->sumlen, &sum) == 0 && sum == m->sum;
}

/* file_kind -- what a file that is no regular file is, for a message */
static const char *
file_kind(mode_t mode)
{
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device";
	return "not a regular file";
}

/*
 * open_input -- open path without blocking and look at what it is.
 * Followed by name, only a regular file will do: a FIFO, socket or
 * device there (planted in a shared folder, say) is refused with
 * NOT_REGULAR before a read could block.  A replay (-N) reads a pipe or
 * a device too; a pipe stays non-blocking (see src_drain).  The
 * descriptor, or -1 with errno set.
 */
static int
open_input(const struct logtail *lt, const char *path, struct stat *st)
{
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		return -1;
	if (fstat(fd, st) == -1)
		st->st_mode = S_IFDIR;	/* cannot happen; refused below */
	if (S_ISDIR(st->st_mode) || (!S_ISREG(st->st_mode) && !lt->nofollow)) {
		close(fd);
		errno = S_ISDIR(st->st_mode) ? EISDIR : NOT_REGULAR;
		return -1;
	}
	if (S_ISFIFO(st->st_mode))
		return fd;	/* read when poll says so: see src_drain */
	if (fcntl(fd, F_SETFL, 0) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* open_error -- what the failure e of open_input on name means */
static void
open_error(const char *name, int e)
{
	struct stat st;

	if (e != NOT_REGULAR)
		warnc(e, "%s", name);
	else
		warnx("%s: %s, not a regular file: refused", name,
		    stat(name, &st) == 0 ? file_kind(st.st_mode) :
		    "no longer there");
}

/*
 * src_open -- open path into s at offset off (-1: the end; beyond the
 * end: the start, after a warning).  With a mark (non-NULL) the file
 * must be the one it describes.  0, or -1 with errno set (NOT_REGULAR:
 * see open_input).
 */
static int
src_open(struct logtail *lt, struct src *s, const char *path, off_t off,
    const struct mark *want)
{
	struct stat st;
	int fd;

	if ((fd = open_input(lt, path, &st)) == -1)
		return -1;
	if (want != NULL && !is_marked(fd, &st, want)) {
		close(fd);
		errno = ESTALE;
		return -1;
	}
	src_reset(s);
	s->fd = fd;
	s->pipe = S_ISFIFO(st.st_mode);
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	if (off == -1)
		off = S_ISREG(st.st_mode) ? end_offset(s, st.st_size) : 0;
	else if (S_ISREG(st.st_mode) && off > st.st_size) {
		warnx("%s: truncated, reading from the start", path);
		off = 0;
	}
	if (off > 0 && lseek(fd, off, SEEK_SET) == -1)
		off = 0;
	s->off = off;
	s->wd = watch_file(&lt->watch, fd, path);
	s->active = now_ms();
	lt->dirty = 1;
	return 0;
}

/* say -- report trouble with a name once, until it changes */
static void
say(struct tfile *tf, int error)
{
	if (tf->said == error)
		return;
	tf->said = error;
	if (error == ENOENT)
		warnx("%s: waiting for it to appear", tf->name);
	else
		open_error(tf->name, error);
}

/*
 * rotated -- the name now points at another file.  Read the old one to
 * its end and keep it open as tf->old: a server goes on writing into
 * the renamed file until it reopens, so the follow loop drains both,
 * whole lines interleaved, until the old one has been idle for the
 * grace time.  A file still draining from an earlier rotation is
 * finished first.  Then the new file is read from its start.
 */
static void
rotated(struct logtail *lt, struct tfile *tf)
{
	struct src tmp;

	warnx("%s: replaced, following the new file", tf->name);
	src_drain(lt, tf->name, &tf->cur);
	src_drain(lt, tf->name, &tf->old);
	src_close(lt, &tf->old);
	tmp = tf->old;
	tf->old = tf->cur;
	tf->cur = tmp;
	tf->old.active = now_ms();
	if (lt->grace_ms == 0)
		src_close(lt, &tf->old);
	if (src_open(lt, &tf->cur, tf->name, 0, NULL) == -1)
		say(tf, errno);
}

/*
 * check_name -- re-stat the name: open it if it appeared, notice a
 * replacement (device or inode changed) or a truncation (size below
 * what we read).  A name that vanished leaves the open file as it is:
 * it may be renamed and still written; we wait for a new one.
 */
static void
check_name(struct logtail *lt, struct tfile *tf)
{
	struct src *s = &tf->cur;
	struct stat st;

	if (tf->dwd == -1)
		tf->dwd = watch_dir(&lt->watch, tf->dir);
	if (stat(tf->name, &st) == -1) {
		say(tf, errno);
		return;
	}
	if (s->fd == -1) {
		if (src_open(lt, s, tf->name, 0, NULL) == -1)
			say(tf, errno);
		else
			tf->said = -1;
		return;
	}
	tf->said = -1;
	if (st.st_dev != s->dev || st.st_ino != s->ino) {
		rotated(lt, tf);
		return;
	}
	if (S_ISREG(st.st_mode) && st.st_size < s->off + (off_t)s->len) {
		warnx("%s: truncated, reading from the start", tf->name);
		put_partial(lt, s);
		if (lseek(s->fd, 0, SEEK_SET) == -1)
			warn("%s", tf->name);
		s->off = 0;
		lt->dirty = 1;
	}
}

/* drain_all -- read every open file to its end, rotated ones first */
static void
drain_all(struct logtail *lt)
{
	struct tfile *tf;
	int64_t now = now_ms();
	size_t i;

	for (i = 0; i < lt->nfiles && !stopping(lt); i++) {
		tf = &lt->files[i];
		if (tf->old.fd != -1) {
			if (src_drain(lt, tf->name, &tf->old) > 0)
				tf->old.active = now;
			else if (now - tf->old.active >= lt->grace_ms)
				src_close(lt, &tf->old);
		}
		src_drain(lt, tf->name, &tf->cur);
	}
}

/* put_src -- one state entry: NAME DEV INO OFFSET SUMLEN SUM */
static void
put_src(FILE *fp, const char *vname, const struct src *s)
{
	uintmax_t sum = 0;
	size_t len;

	if (s->fd == -1)
		return;
	len = s->off < SUM_BYTES ? (size_t)s->off : SUM_BYTES;
	if (head_sum(s->fd, len, &sum) == -1)
		len = 0;	/* cut short since: any file matches */
	fprintf(fp, "%s\t%ju\t%ju\t%jd\t%zu\t%jx\n", vname,
	    (uintmax_t)s->dev, (uintmax_t)s->ino, (intmax_t)s->off, len, sum);
}

/*
 * state_save -- write where each file stands (flushed output only) to a
 * temporary file and rename it over the state file, so a crash leaves
 * the old state or the new, never half of one.
 */
static void
state_save(struct logtail *lt)
{
	char tmp[PATH_MAX], vname[4 * PATH_MAX + 1];
	struct tfile *tf;
	FILE *fp;
	size_t i;
	int fd;

	out_flush(&lt->out);
	lt->dirty = 0;
	lt->next_save = now_ms() + SAVE_MS;
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", lt->state) >=
	    (int)sizeof(tmp)) {
		warnx("%s: name too long", lt->state);
		return;
	}
	if ((fd = mkstemp(tmp)) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		warn("%s", tmp);
		if (fd != -1)
			close(fd);
		return;
	}
	fprintf(fp, "%s\n", STATE_HEADER);
	for (i = 0; i < lt->nfiles; i++) {
		tf = &lt->files[i];
		strvis(vname, tf->name, NAME_VIS);
		put_src(fp, vname, &tf->old);
		put_src(fp, vname, &tf->cur);
	}
	if (fflush(fp) == EOF || ferror(fp) || fsync(fd) == -1) {
		warn("%s", tmp);
		fclose(fp);
		unlink(tmp);
		return;
	}
	fclose(fp);
	if (rename(tmp, lt->state) == -1) {
		warn("%s", lt->state);
		unlink(tmp);
	}
}

/* parse_num -- a whole field as an unsigned number, or -1 */
static int
parse_num(const char *s, int base, uintmax_t *v)
{
	char *end;

	errno = 0;
	*v = strtoumax(s, &end, base);
	return *end != '\0' || end == s || *s == '-' || errno != 0 ? -1 : 0;
}

/*
 * parse_mark -- "NAME\tDEV\tINO\tOFF\tSUMLEN\tSUM": the name (split off
 * in place; it is vis-encoded, so it holds no TAB) and the mark, or NULL
 */
static char *
parse_mark(char *line, struct mark *m)
{
	uintmax_t off;
	char *f[5];
	int i;

	for (i = 4; i >= 0; i--) {
		if ((f[i] = strrchr(line, '\t')) == NULL)
			return NULL;
		*f[i]++ = '\0';
	}
	if (parse_num(f[0], 10, &m->dev) == -1 ||
	    parse_num(f[1], 10, &m->ino) == -1 ||
	    parse_num(f[2], 10, &off) == -1 || off > INTMAX_MAX ||
	    parse_num(f[3], 10, &m->sumlen) == -1 || m->sumlen > SUM_BYTES ||
	    parse_num(f[4], 16, &m->sum) == -1)
		return NULL;
	m->off = (intmax_t)off;
	return line;
}

/*
 * find_rotated -- the path of the file with that device and inode:
 * NAME.1 (logrotate), else any file in the same directory; malloc'd,
 * or NULL.
 */
static char *
find_rotated(const struct tfile *tf, const struct mark *m)
{
	struct dirent *de;
	struct stat st;
	char *path = NULL;
	DIR *d;

	if (asprintf(&path, "%s.1", tf->name) == -1)
		err(EXIT_FAIL, "asprintf");
	if (stat(path, &st) == 0 && (uintmax_t)st.st_dev == m->dev &&
	    (uintmax_t)st.st_ino == m->ino)
		return path;
	free(path);
	path = NULL;	/* returned as it is if no file matches */
	if ((d = opendir(tf->dir)) == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
		    -1 || !S_ISREG(st.st_mode) ||
		    (uintmax_t)st.st_dev != m->dev ||
		    (uintmax_t)st.st_ino != m->ino)
			continue;
		if (asprintf(&path, "%s/%s", tf->dir, de->d_name) == -1)
			err(EXIT_FAIL, "asprintf");
		break;
	}
	closedir(d);
	return path;
}

/*
 * resume -- reopen a name where the state file says reading stopped: at
 * the saved offset if the name still points at that file; else the
 * rotated file's remainder is read first (found by device and inode)
 * and the file now under the name from its start.
 */
static void
resume(struct logtail *lt, struct tfile *tf, const struct mark *m)
{
	char *path;

	tf->resumed = 1;
	if (tf->cur.fd == -1 &&
	    src_open(lt, &tf->cur, tf->name, m->off, m) == 0)
		return;
	if (tf->old.fd != -1)
		return;
	if ((path = find_rotated(tf, m)) == NULL) {
		warnx("%s: rotated file not found, reading the new one from "
		    "the start", tf->name);
		return;
	}
	if (src_open(lt, &tf->old, path, m->off, m) == -1)
		warnx("%s: rotated file not found, reading the new one from "
		    "the start", tf->name);
	free(path);
}

/* state_load -- resume every name the state file knows */
static void
state_load(struct logtail *lt)
{
	char vname[4 * PATH_MAX + 1], *line = NULL, *name;
	size_t i, cap = 0, lineno = 0;
	struct mark m;
	struct stat st;
	ssize_t n;
	FILE *fp;
	int fd;

	if ((fd = open(lt->state, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		if (errno != ENOENT)
			err(EXIT_NOINPUT, "%s", lt->state);
		return;
	}
	if (fstat(fd, &st) == -1)
		err(EXIT_NOINPUT, "%s", lt->state);
	if (!S_ISREG(st.st_mode))
		errx(EXIT_NOINPUT, "%s: %s, not a regular file: refused",
		    lt->state, file_kind(st.st_mode));
	if ((fp = fdopen(fd, "r")) == NULL)
		err(EXIT_FAIL, "%s", lt->state);
	while ((n = getline(&line, &cap, fp)) != -1) {
		lineno++;
		if (n > 0 && line[n - 1] == '\n')
			line[n - 1] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if ((name = parse_mark(line, &m)) == NULL) {
			warnx("%s:%zu: not a state entry", lt->state, lineno);
			continue;
		}
		for (i = 0; i < lt->nfiles; i++) {
			strvis(vname, lt->files[i].name, NAME_VIS);
			if (strcmp(vname, name) == 0)
				resume(lt, &lt->files[i], &m);
		}
	}
	free(line);
	fclose(fp);
}

/* tf_init -- a name to follow, nothing open yet */
static void
tf_init(struct tfile *tf, const char *name)
{
	const char *slash;

	if (strlen(name) >= PATH_MAX)
		errx(EXIT_USAGE, "%s: name too long", name);
	tf->name = name;
	tf->dwd = -1;
	tf->said = -1;
	if ((slash = strrchr(name, '/')) == NULL)
		tf->dir = strdup(".");
	else if (slash == name)
		tf->dir = strdup("/");
	else
		tf->dir = strndup(name, (size_t)(slash - name));
	if (tf->dir == NULL)
		err(EXIT_FAIL, "strdup");
	src_alloc(&tf->cur);
	src_alloc(&tf->old);
}

/* start -- open every name: from the state, the start or the end */
static void
start(struct logtail *lt)
{
	struct tfile *tf;
	size_t i;

	if (lt->state != NULL)
		state_load(lt);
	for (i = 0; i < lt->nfiles; i++) {
		tf = &lt->files[i];
		if (tf->cur.fd != -1)
			continue;
		if (src_open(lt, &tf->cur, tf->name,
		    lt->from_start || tf->resumed ? 0 : -1, NULL) == -1) {
			if (errno == EINTR && stopping(lt))
				return;
			if (errno == NOT_REGULAR) {
				open_error(tf->name, errno);
				exit(EXIT_NOINPUT);
			}
			if (lt->nofollow) {
				open_error(tf->name, errno);
				lt->rval = EXIT_NOINPUT;
			} else
				say(tf, errno);
		}
		if (!lt->nofollow)
			tf->dwd = watch_dir(&lt->watch, tf->dir);
	}
}

/* replay -- --no-follow: read each file to its end, then stop */
static void
replay(struct logtail *lt)
{
	struct tfile *tf;
	size_t i;

	for (i = 0; i < lt->nfiles && !stopping(lt); i++) {
		tf = &lt->files[i];
		src_drain(lt, tf->name, &tf->old);
		src_close(lt, &tf->old);
		src_drain(lt, tf->name, &tf->cur);
		/* The last line is whole unless a later run will resume. */
		if (lt->state == NULL)
			put_partial(lt, &tf->cur);
	}
}

/* put_tick -- an idle tick, marked: the wall clock less the allowance */
static void
put_tick(struct logtail *lt, int64_t now)
{
	int64_t t = (int64_t)time(NULL) - lt->allow;

	out_char(&lt->out, TICK_MARK);
	out_str(&lt->out, "tick\t");
	out_int(&lt->out, t > 0 ? t : 0);
	out_end(&lt->out);
	lt->last_out = now;
}

/* next_wait -- milliseconds until something is due: a look, a tick, a save */
static int64_t
next_wait(struct logtail *lt, int64_t now)
{
	int64_t ms = lt->poll_ms > 0 ? lt->poll_ms : RESTAT_MS;
	size_t i;

	if (lt->ticks && lt->last_out + TICK_MS - now < ms)
		ms = lt->last_out + TICK_MS - now;
	if (lt->dirty && lt->state != NULL && lt->next_save - now < ms)
		ms = lt->next_save - now;
	for (i = 0; i < lt->nfiles; i++)
		if (lt->files[i].old.fd != -1 &&
		    lt->files[i].old.active + lt->grace_ms - now < ms)
			ms = lt->files[i].old.active + lt->grace_ms - now;
	return ms < 0 ? 0 : ms;
}

/*
 * follow -- the loop: look at every name (rotation, truncation, a file
 * appearing), drain every file to its end, write a tick if idle, save
 * the state when due, flush, then sleep in one wait until an inotify
 * event, the next look (every second, or the poll interval), the next
 * tick, save or end of a grace time.  Nothing runs while idle.
 */
static void
follow(struct logtail *lt)
{
	int64_t now;
	size_t i;

	lt->last_out = now_ms();
	lt->next_save = lt->last_out + SAVE_MS;
	for (;;) {
		for (i = 0; i < lt->nfiles && !stopping(lt); i++)
			check_name(lt, &lt->files[i]);
		drain_all(lt);
		if (stopping(lt))
			break;
		now = now_ms();
		if (lt->ticks && now - lt->last_out >= TICK_MS)
			put_tick(lt, now);
		if (lt->state != NULL && lt->dirty && now >= lt->next_save)
			state_save(lt);
		out_flush(&lt->out);
		watch_wait(&lt->watch, next_wait(lt, now));
	}
}

/* src_free -- close without a word and free: the end of the program */
static void
src_free(struct src *s)
{
	if (s->fd != -1)
		close(s->fd);
	free(s->buf);
	s->buf = NULL;
}

/* cleanup -- release every file and buffer */
static void
cleanup(struct logtail *lt)
{
	size_t i;

	for (i = 0; i < lt->nfiles; i++) {
		src_free(&lt->files[i].cur);
		src_free(&lt->files[i].old);
		free(lt->files[i].dir);
	}
	free(lt->files);
	watch_close(&lt->watch);
}

int
main(int argc, char *argv[])
{
	struct logtail lt;
	int ch, force_poll = 0;
	size_t i;

	memset(&lt, 0, sizeof(lt));
	lt.grace_ms = 5000;
	lt.allow = TG_TICK_ALLOW;
	while ((ch = getopt_long(argc, argv, "a:bg:hNp:s:TV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'a':
			lt.allow = opt_number("--allowance", optarg, 0, 3600);
			break;
		case 'b':
			lt.from_start = 1;
			break;
		case 'g':
			lt.grace_ms = opt_seconds("--rotate-grace", optarg, 0,
			    86400000);
			break;
			break;
		case 'N':
			lt.nofollow = lt.from_start = 1;
			break;
		case 'p':
			lt.poll_ms = opt_seconds("--poll", optarg, 1, 3600000);
			force_poll = 1;
			break;
		case 's':
			lt.state = optarg;
			break;
		case 'T':
			lt.ticks = 1;
			break;
		default:
			std_option(ch, usage);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		usage(EXIT_USAGE);

	catch_stop_signals();
	watch_init(&lt.watch, force_poll || lt.nofollow, !lt.nofollow);
	if (lt.watch.fd == -1 && lt.poll_ms == 0)
		lt.poll_ms = 1000;	/* no inotify: poll every second */
	out_init(&lt.out, STDOUT_FILENO, 64 * 1024);
	lt.nfiles = (size_t)argc;
	if ((lt.files = calloc(lt.nfiles, sizeof(*lt.files))) == NULL)
		err(EXIT_FAIL, "calloc");
	for (i = 0; i < lt.nfiles; i++)
		tf_init(&lt.files[i], argv[i]);

	start(&lt);
	if (lt.nofollow)
		replay(&lt);
	else
		follow(&lt);
	out_flush(&lt.out);
	if (lt.state != NULL)
		state_save(&lt);
	out_finish(&lt.out);
	cleanup(&lt);
	return lt.rval;
}
