/*
 * The shared image (see publish.h and proto/image.h).
 *
 * Presented times.  A build tool under `depcheck exec` sees, as the
 * modification time of a recorded file, a time derived from its seq:
 *
 *	presented(r) = max(basis(r), presented(previous record) + 1 ns)
 *
 * over the records in seq order, where basis is wtime_ns: the moment the
 * daemon observed the write, or for what a crawl found, its ctime (stamp.c
 * sets that).  So presented times rise strictly with seq, stay within
 * nanoseconds of when the write was seen (comparisons with files outside
 * the root still hold), and are never later than the clock when a tool
 * reads them, since a write is published only after it was seen.  The
 * preload library shifts them all back by one amount if the clock was
 * stepped back (client/preload.c).
 *
 * Equal seqs (a crawl's group of equal ctimes, whose order nobody saw)
 * cannot be presented as "stale both ways".  Equal times would make them
 * up to date both ways for make; they are presented in mtime order
 * instead (then by inode), each a nanosecond apart: make then decides
 * between them as it would by their mtimes, and of two files with equal
 * mtimes, the one created first (the lower inode, as a rule) is older:
 * stale one way, never up to date both ways
 * (tests/integ/t7005-exec-ties.sh).  One order is known to be safer: in
 * a group that a reconciliation stamped, a file whose stat facts still
 * match its record (stamped only because it is racily clean) most likely
 * did not change, and goes before the files that surely did: a target
 * built in the second in which its source was then rewritten while the
 * daemon was down is rebuilt (tests/integ/t7008-exec-coarse-make.sh).
 *
 * A file found by the root's first crawl and never seen written since
 * (r->first) is presented at its own mtime, capped at the moment the
 * first crawl began (meta "first_sight_ns"): nobody saw its order, and
 * the first build under exec then decides as plain make does on the
 * same tree, where ctime order would rebuild every copied or restored
 * tree (issue 14).  Every write seen later is presented after that
 * moment, so after any of them.
 *
 * The image is built from the index once per run, when exec first asks
 * for it (publish_open), and kept until the daemon stops: never rebuilt
 * in the middle of a run, which would recompute presented times a tool
 * may have kept.  Nothing in it needs to survive a crash (a start removes
 * what a killed daemon left); a table that fills up is copied into one
 * larger (or smaller, when deletions emptied it), renamed over the old
 * one, and the old one is retired.
 * What must survive is an upper bound of every time presented so far
 * (meta "presented_high", the clock at each commit): what a start's
 * reconciliation stamps is presented after it.  A file rewritten while
 * the daemon was down, in the second of a target ninja logged at a
 * presented time of the last run, would otherwise be presented at its
 * ctime, before that logged time, and ninja would call the target clean
 * (tests/unit/test-publish.c, publish_restart_after_high).
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xmalloc.h"
#include "image.h"
#include "batch.h"
#include "daemon.h"
#include "ignore.h"
#include "index.h"
#include "life.h"
#include "log.h"
#include "publish.h"
#include "util.h"
#include "watch.h"

#define PUBLISH_MIN_SLOTS	1024
/* A table's resident pages are let go of this many bytes at a time. */
#define PUBLISH_DROP_BYTES	((size_t)1 << 20)

struct publish {
	struct daemon		*d;
	char			*path;		/* ROOT/.depcheck/image */
	struct image_hdr	*hdr;		/* mapped read-write */
	size_t			 size;
	int			 failed;	/* growing failed: said once */
};

/* Gathering records to stamp with presented times. */
struct publish_list {
	struct daemon	 *d;		/* whose records */
	struct rec	**recs;
	size_t		  n;
	size_t		  cap;
};

static int
publish_cmp(const void *a, const void *b)
{
	const struct rec	*ra = *(struct rec *const *)a;
	const struct rec	*rb = *(struct rec *const *)b;

	if (ra->seq != rb->seq)
		return (ra->seq < rb->seq ? -1 : 1);
	if (ra->racy != rb->racy)
		return (ra->racy ? -1 : 1);
	if (ra->mtime_ns != rb->mtime_ns)
		return (ra->mtime_ns < rb->mtime_ns ? -1 : 1);
	if (ra->ino != rb->ino)
		return (ra->ino < rb->ino ? -1 : 1);
	return (0);
}

/* May r be presented?  Only what the daemon vouches for. */
static int
publish_eligible(struct daemon *d, const struct rec *r)
{
	return (r->exists && r->seq != 0 && (r->ino != 0 || index_dev(r) != 0) &&
	    index_dev(r) <= UINT32_MAX &&
	    !ignore_match(d->ignore, r->path) &&
	    (d->watch == NULL || !watch_is_unwatched(d->watch, r->path)));
}

/*
 * Create a file of nslots empty slots at path (replacing any), mapped
 * read-write.  The blocks are allocated up front: a store into a hole of
 * a mapped file on a full disk would be SIGBUS.  NULL with a cause.
 */
static struct image_hdr *
publish_create(const char *path, uint64_t nslots, size_t *size,
    char **cause)
{
	struct image_hdr	*h;
	void			*p;
	int			 fd, error;

	*size = IMAGE_SIZE(nslots);
	if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) == -1) {
		xasprintf(cause, "cannot create '%s': %s", path,
		    strerror(errno));
		return (NULL);
	}
	if ((error = posix_fallocate(fd, 0, (off_t)*size)) != 0) {
		xasprintf(cause, "cannot allocate '%s': %s", path,
		    strerror(error));
		close(fd);
		unlink(path);
		return (NULL);
	}
	p = mmap(NULL, *size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	error = errno;
	close(fd);
	if (p == MAP_FAILED) {
		xasprintf(cause, "cannot map '%s': %s", path, strerror(error));
		unlink(path);
		return (NULL);
	}
	h = p;
	memset(h, 0, sizeof *h);
	memcpy(h->magic, IMAGE_MAGIC, sizeof h->magic);
	h->version = IMAGE_VERSION;
	h->ent_size = sizeof(struct image_ent);
	h->nslots = nslots;
	h->pid = (uint64_t)getpid();
	return (h);
}

/*
 * A table for count entries, used to num/den: 2/3 when built at start
 * (the tree is what it is; put refuses past 3/4), 1/2 when copied to
 * grow or shrink, so that a tree that keeps growing is copied every
 * 1.5 times its size, not at every eighth.
 */
static uint64_t
publish_slots_for(uint64_t count, uint64_t num, uint64_t den)
{
	uint64_t	n = count * num / den + 1;

	return (n < PUBLISH_MIN_SLOTS ? PUBLISH_MIN_SLOTS : n);
}

/*
 * Put r with its presented time p, tied when another record put with it
 * has its seq; -1 when the table is full.
 */
static int
publish_put(struct image_hdr *h, const struct rec *r, int64_t p, int tied)
{
	struct image_ent	e;

	memset(&e, 0, sizeof e);
	e.dev = (uint32_t)index_dev(r);	/* publish_eligible: it fits */
	e.ino = r->ino;
	e.ctime_ns = r->ctime_ns;
	e.presented_ns = p;
	e.tag = IMAGE_OWNER(r->hash) | (tied ? IMAGE_TIED : 0);
	if (image_put(h, &e) != 0)
		return (-1);
	if (r->seq > h->max_seq)
		h->max_seq = r->seq;
	if (p > h->max_presented)
		h->max_presented = p;
	return (0);
}

/*
 * Stamp l's records (sorted here) with presented times and put them;
 * from seq first_seq on, after floor_ns.
 */
static int
publish_list_put(struct image_hdr *h, struct publish_list *l,
    uint64_t first_seq, int64_t floor_ns, int64_t first_sight_ns)
{
	int64_t	p, last = h->max_presented;
	size_t	i;
	int	tied;

	if (l->n == 0)
		return (0);
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): pointers */
	qsort(l->recs, l->n, sizeof *l->recs, publish_cmp);
	for (i = 0; i < l->n; i++) {
		tied = (i > 0 && l->recs[i - 1]->seq == l->recs[i]->seq) ||
		    (i + 1 < l->n && l->recs[i + 1]->seq == l->recs[i]->seq);
		if (l->recs[i]->first) {
			/*
			 * Never seen written: its own mtime, no later than
			 * when observation began, so that the first build
			 * decides as plain make would; what is seen written
			 * later is presented after that (issue 14).
			 */
			p = l->recs[i]->mtime_ns;
			if (first_sight_ns > 0 && p > first_sight_ns)
				p = first_sight_ns;
			if (publish_put(h, l->recs[i], p, tied) != 0)
				return (-1);
			if (p > last)
				last = p;
			continue;
		}
		if (l->recs[i]->seq >= first_seq && last < floor_ns)
			last = floor_ns;
		p = l->recs[i]->wtime_ns > last ? l->recs[i]->wtime_ns :
		    last + 1;
		if (publish_put(h, l->recs[i], p, tied) != 0)
			return (-1);
		last = p;
	}
	return (0);
}

static void
publish_list_add(struct publish_list *l, struct rec *r)
{
	if (l->n == l->cap) {
		l->cap = l->cap == 0 ? 256 : l->cap * 2;
		/* NOLINTNEXTLINE(bugprone-sizeof-expression): pointers */
		l->recs = xreallocarray(l->recs, l->cap, sizeof *l->recs);
	}
	l->recs[l->n++] = r;
}

static void
publish_gather_cb(struct rec *r, void *arg)
{
	struct publish_list	*l = arg;

	if (publish_eligible(l->d, r))
		publish_list_add(l, r);
}

/* Rename the new table at tmp over the image; retire the old one. */
static void
publish_install(struct publish *pb, const char *tmp, struct image_hdr *h,
    size_t size)
{
	if (rename(tmp, pb->path) != 0)
		fatal("cannot rename '%s' to '%s'", tmp, pb->path);
	if (pb->hdr != NULL) {
		image_write_begin(pb->hdr);
		pb->hdr->retired = 1;
		image_write_end(pb->hdr);
		munmap(pb->hdr, pb->size);
	}
	pb->hdr = h;
	pb->size = size;
}

struct publish *
publish_new(struct daemon *d, uint64_t first_seq, int64_t floor_ns,
    char **cause)
{
	struct publish		*pb;
	struct publish_list	 l = { d, NULL, 0, 0 };
	struct image_hdr	*h;
	size_t			 size;
	char			*tmp;

	pb = xcalloc(1, sizeof *pb);
	pb->d = d;
	xasprintf(&pb->path, "%s/image", d->statedir);
	xasprintf(&tmp, "%s/image.new", d->statedir);
	index_foreach(d->index, publish_gather_cb, &l);
	h = publish_create(tmp, publish_slots_for(l.n, 3, 2), &size, cause);
	if (h == NULL || publish_list_put(h, &l, first_seq, floor_ns,
	    pb->d->first_sight_ns) != 0) {
		if (h != NULL) {
			xasprintf(cause, "cannot fill '%s' with %zu entries:"
			    " its table is full", tmp, l.n);
			munmap(h, size);
			unlink(tmp);
		}
		free(l.recs);
		free(tmp);
		free(pb->path);
		free(pb);
		return (NULL);
	}
	free(l.recs);
	publish_install(pb, tmp, h, size);
	free(tmp);
	/*
	 * The list of every record and qsort's buffer, below the mmap
	 * threshold in a small tree, were heap: give the pages back.
	 */
	util_trim_heap();
	return (pb);
}

int
publish_open(struct daemon *d, char **cause)
{
	if (d->publish != NULL)
		return (0);
	/* Only committed facts are published (publish_batch_cb). */
	batch_flush(d->batch);
	if (d->db_failed) {
		xasprintf(cause, "cannot publish the image of '%s': %s",
		    d->root, d->db_cause != NULL ? d->db_cause :
		    "the database cannot be written");
		return (-1);
	}
	if ((d->publish = publish_new(d, d->publish_from,
	    d->publish_floor_ns, cause)) == NULL) {
		if (!d->publish_failed)
			log_warn("%s; depcheck exec falls back to real mtimes",
			    *cause);
		d->publish_failed = 1;
		return (-1);
	}
	if (d->publish_failed)
		log_info("image '%s' published", d->publish->path);
	d->publish_failed = 0;
	batch_subscribe(d->batch, BATCH_COMMITTED, publish_refresh_cb,
	    publish_batch_cb, d->publish);
	return (0);
}

void
publish_clear(struct daemon *d)
{
	char	*path;

	xasprintf(&path, "%s/image", d->statedir);
	if (unlink(path) != 0 && errno != ENOENT)
		log_warn("cannot remove '%s': %s", path, strerror(errno));
	free(path);
}

uint64_t
publish_entries(const struct publish *pb)
{
	return (pb != NULL && !pb->failed ? pb->hdr->count : 0);
}

const char *
publish_state(const struct daemon *d)
{
	if (d->publish != NULL)
		return (d->publish->failed ? "failed" : "yes");
	return (d->publish_failed ? "failed" : "no");
}

void
publish_free(struct publish *pb)
{
	if (pb == NULL)
		return;
	/* Readers that still map it see it retired and let go. */
	image_write_begin(pb->hdr);
	pb->hdr->retired = 1;
	image_write_end(pb->hdr);
	munmap(pb->hdr, pb->size);
	/* A newer daemon's, if the state directory is not ours (t5021). */
	if (life_owns(pb->d->life))
		unlink(pb->path);
	free(pb->path);
	free(pb);
}

/*
 * Copy every live entry into a new table sized for them: half used
 * when the old one is full, two thirds (as at start) when deletions
 * emptied it (shrink).  -1 with a cause.
 */
static int
publish_resize(struct publish *pb, int shrink, char **cause)
{
	struct image_hdr	*h, *old = pb->hdr;
	struct image_ent	*s = (struct image_ent *)(void *)(old + 1);
	size_t			 size, off, dropped = 0;
	size_t			 page = (size_t)sysconf(_SC_PAGESIZE);
	uint64_t		 i;
	char			*tmp;

	xasprintf(&tmp, "%s/image.new", pb->d->statedir);
	h = publish_create(tmp, shrink ? publish_slots_for(old->count, 3, 2) :
	    publish_slots_for(old->count + 1, 2, 1), &size, cause);
	if (h == NULL) {
		free(tmp);
		return (-1);
	}
	for (i = 0; i < old->nslots; i++) {
		if (s[i].tag & IMAGE_LIVE)
			(void)image_put(h, &s[i]);
		/*
		 * The old table's pages copied are not needed (the file
		 * keeps them): let go of them as we go, or both tables
		 * would be resident at once.
		 */
		off = (size_t)((char *)&s[i + 1] - (char *)old) / page * page;
		if (off - dropped >= PUBLISH_DROP_BYTES) {
			(void)madvise((char *)old + dropped, off - dropped,
			    MADV_DONTNEED);
			dropped = off;
		}
	}
	h->max_seq = old->max_seq;
	h->max_presented = old->max_presented;
	publish_install(pb, tmp, h, size);
	free(tmp);
	return (0);
}

void
publish_moved(struct publish *pb, const struct rec *r, const struct stat *st)
{
	if (pb == NULL || (r->ino == st->st_ino &&
	    index_dev(r) == st->st_dev))
		return;
	image_write_begin(pb->hdr);
	image_remove(pb->hdr, index_dev(r), r->ino, r->hash);
	image_write_end(pb->hdr);
}

void
publish_batch(struct publish *pb, struct rec *const *dirty, size_t n)
{
	struct publish_list	 l = { NULL, NULL, 0, 0 };
	struct image_ent	*e;
	struct rec		*r;
	char			*cause;
	size_t			 i;

	if (pb == NULL)
		return;
	image_write_begin(pb->hdr);
	for (i = 0; i < n; i++) {
		r = dirty[i];
		if (!publish_eligible(pb->d, r)) {
			image_remove(pb->hdr, index_dev(r), r->ino, r->hash);
			continue;
		}
		if (r->dirty == INDEX_WRITTEN)
			publish_list_add(&l, r);
		else if ((e = image_slot(pb->hdr, index_dev(r), r->ino)) != NULL &&
		    IMAGE_OWNED_BY(e, r->hash))
			e->ctime_ns = r->ctime_ns;
	}
	while (publish_list_put(pb->hdr, &l, 0, 0, pb->d->first_sight_ns) !=
	    0) {
		image_write_end(pb->hdr);
		if (publish_resize(pb, 0, &cause) != 0) {
			/*
			 * Without room, tools must not see the old times of
			 * what this batch wrote: retire the image, and exec
			 * falls back to real mtimes, saying so.
			 */
			if (!pb->failed)
				log_warn("%s; depcheck exec now falls back"
				    " to real mtimes", cause);
			free(cause);
			pb->failed = 1;
			image_write_begin(pb->hdr);
			pb->hdr->retired = 1;
			break;
		}
		image_write_begin(pb->hdr);
	}
	image_write_end(pb->hdr);
	free(l.recs);
	/*
	 * Emptied by deletions to less than a third: a table two thirds
	 * used, as at start (a half used one grown is not shrunk back at
	 * once).  If that fails, the one there is still right.
	 */
	if (!pb->failed && pb->hdr->nslots > PUBLISH_MIN_SLOTS &&
	    pb->hdr->count * 3 < pb->hdr->nslots &&
	    publish_resize(pb, 1, &cause) != 0) {
		log_debug("%s", cause);
		free(cause);
	}
}

void
publish_refresh_cb(void *arg, const struct rec *r, const struct stat *st)
{
	publish_moved(arg, r, st);
}

/* Only a committed batch (no cause) with records in it is published. */
void
publish_batch_cb(void *arg, struct rec *const *recs, size_t n,
    const char *cause)
{
	if (cause == NULL && n > 0)
		publish_batch(arg, recs, n);
}
