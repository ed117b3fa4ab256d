/*
 * Unit tests for daemon/publish.c: the presented times it stamps on the
 * records it publishes (strictly rising in seq order, ties by mtime then
 * inode, the write's own time when writes are apart) and the entries it
 * removes.  A daemon with a state directory under /tmp and an index, no
 * loop and no watcher; what was published is read back from the image
 * file as the preload library reads it.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image.h"
#include "xmalloc.h"
#include "daemon.h"
#include "index.h"
#include "publish.h"
#include "unit.h"

#define DEV	2049	/* any device number */
#define SEC	1000000000LL

static struct daemon	 pub_daemon;

static void		 pub_setup(void);
static void		 pub_teardown(struct publish *);
static struct rec	*pub_rec(const char *, uint64_t, uint64_t, int64_t,
			     int64_t);
static struct publish	*pub_new(void);
static struct publish	*pub_new_after(uint64_t, int64_t);
static enum image_result pub_lookup(const struct rec *, struct image_ent *);
static int64_t		 pub_presented(const char *, int, const struct rec *);
static void		 pub_write(struct rec *, uint64_t, int64_t);

#define PRESENTED(r)	pub_presented(__FILE__, __LINE__, (r))

/* The daemon publish.c sees: a fresh state directory and index. */
static void
pub_setup(void)
{
	char	tmpl[] = "/tmp/depcheck-unit.XXXXXX";

	memset(&pub_daemon, 0, sizeof pub_daemon);
	if (mkdtemp(tmpl) == NULL)
		unit_fail(__FILE__, __LINE__, "mkdtemp failed");
	pub_daemon.statedir = xstrdup(tmpl);
	pub_daemon.index = index_new();
	pub_daemon.watch = NULL;
}

static void
pub_teardown(struct publish *pb)
{
	publish_free(pb);
	CHECK_EQ_INT(rmdir(pub_daemon.statedir), 0);
	free(pub_daemon.statedir);
	index_free(pub_daemon.index);
}

/* A record of an existing file, written at seq seen at wtime. */
static struct rec *
pub_rec(const char *relpath, uint64_t ino, uint64_t seq, int64_t wtime_ns,
    int64_t mtime_ns)
{
	struct rec	*r;

	r = index_get(pub_daemon.index, relpath);
	r->exists = 1;
	r->kind = REC_FILE;
	index_set_dev(r, DEV);
	r->ino = ino;
	r->seq = seq;
	r->wtime_ns = wtime_ns;
	r->mtime_ns = mtime_ns;
	r->ctime_ns = mtime_ns;
	return (r);
}

static struct publish *
pub_new(void)
{
	return (pub_new_after(0, 0));
}

/* A start whose crawl stamped seqs from first_seq, after floor_ns. */
static struct publish *
pub_new_after(uint64_t first_seq, int64_t floor_ns)
{
	struct publish	*pb;
	char		*cause = NULL;

	if ((pb = publish_new(&pub_daemon, first_seq, floor_ns,
	    &cause)) == NULL)
		unit_fail(__FILE__, __LINE__, "publish_new: %s", cause);
	return (pb);
}

/* A new write of r in the next batch (what index_write does). */
static void
pub_write(struct rec *r, uint64_t seq, int64_t wtime_ns)
{
	r->seq = seq;
	r->wtime_ns = wtime_ns;
	r->dirty = INDEX_WRITTEN;
}

/* Look dev and ino up in the image file, as a reader maps it. */
static enum image_result
pub_lookup_key(uint64_t dev, uint64_t ino, struct image_ent *e)
{
	struct stat		 st;
	enum image_result	 rc;
	const char		*cause;
	char			*path;
	void			*p;
	int			 fd;

	xasprintf(&path, "%s/image", pub_daemon.statedir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	CHECK(fd != -1);
	CHECK_EQ_INT(fstat(fd, &st), 0);
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	CHECK(p != MAP_FAILED);
	if (image_check(p, (size_t)st.st_size, &cause) != 0)
		unit_fail(__FILE__, __LINE__, "image_check: %s", cause);
	rc = image_lookup(p, (size_t)st.st_size, dev, ino, e);
	munmap(p, (size_t)st.st_size);
	return (rc);
}

static enum image_result
pub_lookup(const struct rec *r, struct image_ent *e)
{
	return (pub_lookup_key(index_dev(r), r->ino, e));
}

/* r's presented time in the image; fails the test if r is not there. */
static int64_t
pub_presented(const char *file, int line, const struct rec *r)
{
	struct image_ent	e;

	unit_check_int(file, line, "pub_lookup", "IMAGE_FOUND",
	    pub_lookup(r, &e), IMAGE_FOUND);
	unit_check_uint(file, line, "IMAGE_OWNER(e.tag)",
	    "IMAGE_OWNER(r->hash)", IMAGE_OWNER(e.tag), IMAGE_OWNER(r->hash));
	unit_check_uint(file, line, "e.tag & IMAGE_LIVE", "IMAGE_LIVE",
	    e.tag & IMAGE_LIVE, IMAGE_LIVE);
	return (e.presented_ns);
}

/* Is r's entry marked as sharing its seq? */
static int
pub_tied(const struct rec *r)
{
	struct image_ent	e;

	CHECK_EQ_INT(pub_lookup(r, &e), IMAGE_FOUND);
	return ((e.tag & IMAGE_TIED) != 0);
}

/* Writes seen out of seq order (a crawl's ctimes): still rising. */
void
publish_presented_rises_with_seq(void)
{
	struct publish	*pb;
	struct rec	*a, *b, *c, *d;

	pub_setup();
	a = pub_rec("a", 11, 1, 50 * SEC, 1);
	b = pub_rec("b", 12, 2, 30 * SEC, 1);
	c = pub_rec("dir/c", 13, 3, 50 * SEC, 1);
	d = pub_rec("d", 14, 4, 40 * SEC, 1);
	pb = pub_new();
	CHECK_EQ_INT(PRESENTED(a), 50 * SEC);
	CHECK_EQ_INT(PRESENTED(b), 50 * SEC + 1);
	CHECK_EQ_INT(PRESENTED(c), 50 * SEC + 2);
	CHECK_EQ_INT(PRESENTED(d), 50 * SEC + 3);
	pub_teardown(pb);
}

/* Equal seqs: mtime order, then inode order, a nanosecond apart. */
void
publish_ties_by_mtime_then_inode(void)
{
	struct publish	*pb;
	struct rec	*first, *a, *b, *c, *d, *last;

	pub_setup();
	first = pub_rec("first", 90, 6, 10 * SEC, 99 * SEC);
	a = pub_rec("a", 1, 7, 10 * SEC, 30 * SEC);
	b = pub_rec("b", 4, 7, 10 * SEC, 10 * SEC);
	c = pub_rec("c", 3, 7, 10 * SEC, 20 * SEC);
	d = pub_rec("d", 2, 7, 10 * SEC, 20 * SEC);
	last = pub_rec("last", 5, 8, 10 * SEC, 0);
	pb = pub_new();
	CHECK_EQ_INT(PRESENTED(first), 10 * SEC);
	CHECK_EQ_INT(PRESENTED(b), 10 * SEC + 1);
	CHECK_EQ_INT(PRESENTED(d), 10 * SEC + 2);
	CHECK_EQ_INT(PRESENTED(c), 10 * SEC + 3);
	CHECK_EQ_INT(PRESENTED(a), 10 * SEC + 4);
	CHECK_EQ_INT(PRESENTED(last), 10 * SEC + 5);
	/* --why tells a crawl's guess from a write seen by this flag. */
	CHECK(!pub_tied(first));
	CHECK(pub_tied(a) && pub_tied(b) && pub_tied(c) && pub_tied(d));
	CHECK(!pub_tied(last));
	pub_teardown(pb);
}

/* Writes seen apart keep the times they were seen at. */
void
publish_presented_is_wtime_when_apart(void)
{
	struct publish	*pb;
	struct rec	*a, *b, *c, *dirty[1];

	pub_setup();
	a = pub_rec("a", 11, 1, 100 * SEC, 7);
	b = pub_rec("b", 12, 2, 100 * SEC + 2, 7);
	c = pub_rec("c", 13, 5, 200 * SEC, 7);
	pb = pub_new();
	CHECK_EQ_INT(PRESENTED(a), 100 * SEC);
	CHECK_EQ_INT(PRESENTED(b), 100 * SEC + 2);
	CHECK_EQ_INT(PRESENTED(c), 200 * SEC);
	pub_write(a, 6, 300 * SEC);
	dirty[0] = a;
	publish_batch(pb, dirty, 1);
	CHECK_EQ_INT(PRESENTED(a), 300 * SEC);
	pub_teardown(pb);
}

/*
 * A restart: what its crawl stamped (seq >= first_seq) is presented after
 * the last run's high mark, though its basis (a ctime) is earlier; what
 * went before keeps its times.
 */
void
publish_restart_after_high(void)
{
	struct publish	*pb;
	struct rec	*out, *in;

	pub_setup();
	out = pub_rec("out", 11, 4, 100 * SEC + 69, 100 * SEC);
	in = pub_rec("in", 12, 9, 100 * SEC, 100 * SEC);
	pb = pub_new_after(9, 100 * SEC + 70);
	CHECK_EQ_INT(PRESENTED(out), 100 * SEC + 69);
	CHECK(PRESENTED(in) > 100 * SEC + 70);
	pub_teardown(pb);
}

/* A batch goes after what was published before, whatever its wtimes. */
void
publish_batch_after_published(void)
{
	struct publish	*pb;
	struct rec	*a, *b, *c, *dirty[2];

	pub_setup();
	a = pub_rec("a", 11, 1, 50 * SEC, 7);
	pb = pub_new();
	CHECK_EQ_INT(PRESENTED(a), 50 * SEC);
	/* Listed out of seq order: the batch is sorted. */
	b = pub_rec("b", 12, 3, 40 * SEC, 7);
	c = pub_rec("c", 13, 2, 45 * SEC, 7);
	b->dirty = c->dirty = INDEX_WRITTEN;
	dirty[0] = b;
	dirty[1] = c;
	publish_batch(pb, dirty, 2);
	CHECK_EQ_INT(PRESENTED(c), 50 * SEC + 1);
	CHECK_EQ_INT(PRESENTED(b), 50 * SEC + 2);
	/* Written again: newer than everything, the old time replaced. */
	pub_write(a, 4, 10 * SEC);
	dirty[0] = a;
	publish_batch(pb, dirty, 1);
	CHECK_EQ_INT(PRESENTED(a), 50 * SEC + 3);
	pub_teardown(pb);
}

/* A deleted file's entry goes; the others stay. */
void
publish_deleted_removed(void)
{
	struct publish		*pb;
	struct image_ent	 e;
	struct rec		*a, *b, *dirty[1];

	pub_setup();
	a = pub_rec("a", 11, 1, 50 * SEC, 7);
	b = pub_rec("b", 12, 2, 60 * SEC, 7);
	pb = pub_new();
	CHECK_EQ_INT(PRESENTED(a), 50 * SEC);
	pub_write(a, 3, 70 * SEC);
	a->exists = 0;
	dirty[0] = a;
	publish_batch(pb, dirty, 1);
	CHECK_EQ_INT(pub_lookup(a, &e), IMAGE_ABSENT);
	CHECK_EQ_INT(PRESENTED(b), 60 * SEC);
	pub_teardown(pb);
}

/*
 * A record whose name now holds another inode: its old inode's entry
 * goes at once (a new file may get that number), the new one comes with
 * the batch.
 */
void
publish_moved_drops_old_inode(void)
{
	struct publish		*pb;
	struct image_ent	 e;
	struct stat		 st;
	struct rec		*a, *b, old, *dirty[1];

	pub_setup();
	a = pub_rec("a", 11, 1, 50 * SEC, 7);
	b = pub_rec("b", 12, 2, 60 * SEC, 7);
	pb = pub_new();
	memset(&st, 0, sizeof st);
	st.st_dev = DEV;
	st.st_ino = 11;
	publish_moved(pb, a, &st);	/* the same inode: nothing to do */
	CHECK_EQ_INT(PRESENTED(a), 50 * SEC);
	st.st_ino = 21;
	publish_moved(pb, a, &st);
	CHECK_EQ_INT(pub_lookup(a, &e), IMAGE_ABSENT);
	CHECK_EQ_INT(PRESENTED(b), 60 * SEC);
	/* Another record's entry is not its to remove. */
	st.st_ino = 31;
	/* Its fixed part only: the allocation ends after the path. */
	memcpy(&old, b, offsetof(struct rec, path));
	old.hash = b->hash + IMAGE_FLAGS + 1;	/* another owner */
	publish_moved(pb, &old, &st);
	CHECK_EQ_INT(PRESENTED(b), 60 * SEC);
	/* The batch that follows publishes the new inode. */
	a->ino = 21;
	pub_write(a, 3, 70 * SEC);
	dirty[0] = a;
	publish_batch(pb, dirty, 1);
	CHECK_EQ_INT(PRESENTED(a), 70 * SEC);
	pub_teardown(pb);
}

/* Facts changed without a write (chmod): the new ctime, the same time. */
void
publish_touched_updates_ctime(void)
{
	struct publish		*pb;
	struct image_ent	 e;
	struct rec		*a, *dirty[1];

	pub_setup();
	a = pub_rec("a", 11, 1, 50 * SEC, 7);
	pb = pub_new();
	a->ctime_ns = 55 * SEC;
	a->dirty = INDEX_TOUCHED;
	dirty[0] = a;
	publish_batch(pb, dirty, 1);
	CHECK_EQ_INT(pub_lookup(a, &e), IMAGE_FOUND);
	CHECK_EQ_INT(e.ctime_ns, 55 * SEC);
	CHECK_EQ_INT(e.presented_ns, 50 * SEC);
	pub_teardown(pb);
}

/* Only what the daemon vouches for is published. */
void
publish_skips_ineligible(void)
{
	struct publish		*pb;
	struct image_ent	 e;
	struct rec		*never, *gone, *state, *wide, *ok;

	pub_setup();
	never = pub_rec("never", 11, 0, 50 * SEC, 7);
	gone = pub_rec("gone", 12, 1, 50 * SEC, 7);
	gone->exists = 0;
	state = pub_rec(".depcheck/seq", 13, 2, 50 * SEC, 7);
	/* A device the image's 32 bits cannot hold: not cut short. */
	wide = pub_rec("wide", 15, 3, 50 * SEC, 7);
	index_set_dev(wide, ((uint64_t)1 << 32) | DEV);
	ok = pub_rec("ok", 14, 3, 60 * SEC, 7);
	pb = pub_new();
	CHECK_EQ_INT(pub_lookup_key(DEV, 15, &e), IMAGE_ABSENT);
	CHECK_EQ_INT(pub_lookup(wide, &e), IMAGE_ABSENT);
	CHECK_EQ_INT(pub_lookup(never, &e), IMAGE_ABSENT);
	CHECK_EQ_INT(pub_lookup(gone, &e), IMAGE_ABSENT);
	CHECK_EQ_INT(pub_lookup(state, &e), IMAGE_ABSENT);
	CHECK_EQ_INT(PRESENTED(ok), 60 * SEC);
	pub_teardown(pb);
}

/*
 * First seen by the crawl, never written (issue 14): presented at its own
 * mtime, capped at when the first crawl began; a write seen later is
 * presented after every such file.
 */
void
publish_first_sight_real_mtime(void)
{
	struct publish	*pb;
	struct rec	*o, *c, *f, *w;

	pub_setup();
	pub_daemon.first_sight_ns = 100 * SEC;
	o = pub_rec("obj.o", 11, 1, 60 * SEC, 20 * SEC);
	c = pub_rec("src.c", 12, 2, 60 * SEC, 10 * SEC);
	f = pub_rec("future.c", 13, 3, 60 * SEC, 500 * SEC);
	w = pub_rec("seen.c", 14, 4, 101 * SEC, 30 * SEC);
	o->first = c->first = f->first = 1;
	pb = pub_new();
	CHECK_EQ_INT(PRESENTED(o), 20 * SEC);
	CHECK_EQ_INT(PRESENTED(c), 10 * SEC);	/* older, as make sees it */
	CHECK_EQ_INT(PRESENTED(f), 100 * SEC);	/* never past the start */
	CHECK_EQ_INT(PRESENTED(w), 101 * SEC);
	CHECK(PRESENTED(w) > PRESENTED(f));
	pub_daemon.first_sight_ns = 0;
	pub_teardown(pb);
}
