/*
 * Write order (see stamp.h).
 *
 * A crawl (start-up, a new or moved-in directory, a rescan) stamps what it
 * finds, but events still queued when it runs are stamped after it,
 * though their writes may be older than what it found: a file written in
 * an already watched directory, then a file in a new one that the crawl
 * finds first (tests/integ/t2004-mkdir-p-race.sh).  Every event still
 * queued was made after the queue was last read empty, and no reply goes
 * out before the drain ends, so the drain's writes can all be stamped
 * again when it ends: by ctime (which touch -d cannot set back), then, for
 * equal ctimes, by event order -- unless a crawled entry shares that
 * ctime, whose place among the events nobody saw: then the whole group
 * shares one seq, and equal seqs count as stale.
 *
 * The ctimes are read when the drain ends, except a crawl's: it stat'd
 * what it found and passes the ctime it saw (stamp_found), and that one
 * is used.  It is the ctime of the last write of the record in this
 * drain: the crawl added the watch on the directory before listing it
 * (scan.c), so any later write queues an event.  Read in this drain, the
 * event stamps the record again through stamp_write, which forgets the
 * crawl's ctime: that record's ctime is read at the end, as any event's.
 * Read in a later drain (the write came after the queue was read empty),
 * it gives the record a new seq there, after everything stamped here.
 * Either way the order of this drain's writes is what a stat at its end
 * would have given, or as good: a stat then could only see a write that
 * the next drain stamps again anyway.  One stat per entry is saved (of
 * three, with the crawl's and the commit's, batch.c).
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "index.h"
#include "stamp.h"
#include "util.h"

/* A log longer than this is freed when its drain ends. */
#define STAMP_KEEP	4096

/*
 * 24 bytes: a crawl logs one per changed entry, 100,000 at once.  A
 * find's ctime is its record's (the crawl's stat set the facts); another
 * write's is read when the drain ends.  Then t, until then the highest
 * not_before, becomes the time the entry is sorted by.
 */
struct stamp_ent {
	struct rec	*rec;
	int64_t		 t;		/* not_before (see stamp_write), then
					   max(ctime, not_before) */
	uint32_t	 order;		/* of the record's last write in
					   this drain */
	uint8_t		 found;		/* by a crawl; no event since */
	uint8_t		 crawled;
	uint8_t		 gone;
};

struct stamp {
	struct index	 *index;
	int		  rootfd;
	stamp_ctime_fn	  ctime;
	void		 *ctime_arg;
	struct stamp_ent *ents;
	size_t		  n;
	size_t		  cap;
	uint32_t	  order;	/* from 1 in each drain */
	int		  crawled;	/* a crawl ran in this drain */
	int		  first_sight;	/* the root's first crawl runs */
	uint64_t	  ties;		/* see stamp_ties */
};

static int	 stamp_ctime_at(void *, const char *, int64_t *);

struct stamp *
stamp_new(struct index *ix, int rootfd)
{
	struct stamp	*st;

	st = xcalloc(1, sizeof *st);
	st->index = ix;
	st->rootfd = rootfd;
	st->ctime = stamp_ctime_at;
	st->ctime_arg = st;
	return (st);
}

void
stamp_set_ctime(struct stamp *st, stamp_ctime_fn fn, void *arg)
{
	st->ctime = fn;
	st->ctime_arg = arg;
}

/* The ctime of relpath as it is now, below the root. */
static int
stamp_ctime_at(void *arg, const char *relpath, int64_t *ctime_ns)
{
	struct stamp	*st = arg;
	struct stat	 sb;

	if (fstatat(st->rootfd, *relpath ? relpath : ".", &sb,
	    AT_SYMLINK_NOFOLLOW) != 0)
		return (-1);
	*ctime_ns = util_ts_ns(&sb.st_ctim);
	return (0);
}

void
stamp_first_sight(struct stamp *st, int on)
{
	st->first_sight = on != 0;
}

void
stamp_free(struct stamp *st)
{
	if (st == NULL)
		return;
	free(st->ents);
	free(st);
}

/* Stamp r and put it in the log (or move it to the end of the order). */
static struct stamp_ent *
stamp_log(struct stamp *st, struct rec *r, int exists, int crawled,
    int64_t not_before)
{
	struct stamp_ent	*e;

	index_write(st->index, r, index_next_seq(st->index), exists);
	if (crawled)
		st->crawled = 1;
	else
		r->racy = 0;	/* seen written: no longer a suspect */
	if (r->inlog) {
		e = &st->ents[r->logpos];
		e->order = ++st->order;
		e->crawled |= crawled != 0;
		if (not_before > e->t)
			e->t = not_before;
		return (e);
	}
	if (st->n == st->cap) {
		st->cap = st->cap == 0 ? 256 : st->cap * 2;
		st->ents = xreallocarray(st->ents, st->cap, sizeof *st->ents);
	}
	e = &st->ents[st->n];
	memset(e, 0, sizeof *e);
	e->rec = r;
	e->order = ++st->order;
	e->crawled = crawled != 0;
	e->t = not_before;
	r->inlog = 1;
	r->logpos = (uint32_t)st->n++;
	return (e);
}

void
stamp_write(struct stamp *st, struct rec *r, int exists, int crawled,
    int64_t not_before)
{
	struct stamp_ent	*e;

	e = stamp_log(st, r, exists, crawled, not_before);
	index_set_what(r, crawled);
	r->first = 0;		/* seen written (or gone) */
	/* Written after what a crawl saw: its ctime and facts are old. */
	e->found = 0;
	r->fresh = 0;
}

void
stamp_found(struct stamp *st, struct rec *r, int crawled, int64_t not_before)
{
	struct stamp_ent	*e;

	e = stamp_log(st, r, 1, crawled, not_before);
	index_set_what(r, crawled);
	r->first = st->first_sight && crawled;
	e->found = 1;
}

/* By gone, then the time sorted by, then the order of the last write. */
static int
stamp_cmp(const struct stamp_ent *ea, const struct stamp_ent *eb)
{
	if (ea->gone != eb->gone)
		return (ea->gone - eb->gone);
	if (ea->t != eb->t)
		return (ea->t < eb->t ? -1 : 1);
	if (ea->order != eb->order)
		return (ea->order < eb->order ? -1 : 1);
	return (0);
}

/*
 * When the write of a crawled group happened: nobody saw it, and its
 * ctime (which user space cannot set back) is the best evidence; the
 * moment the crawl found it is later, maybe by days.  wtime_ns is what
 * `depcheck seq` shows and what presented times are based on
 * (publish.c), so that exec compares such a file with files outside the
 * root as it was.
 */
static void
stamp_when(const struct stamp_ent *e)
{
	if (!e->gone && e->t > 0 && e->t < e->rec->wtime_ns)
		e->rec->wtime_ns = e->t;
}

/*
 * Restamp ents[0..n) (sorted) by ctime group, as the comment above says.
 * Returns the number of files (existing) that now share their seq.
 */
static uint64_t
stamp_restamp(struct index *ix, struct stamp_ent *ents, size_t n)
{
	size_t		i, j, k;
	uint64_t	seq, ties = 0;
	int		crawled;

	for (i = 0; i < n; i = j) {
		crawled = 0;
		for (j = i; j < n && ents[j].gone == ents[i].gone &&
		    (ents[i].gone || ents[j].t == ents[i].t);
		    j++)
			crawled |= ents[j].crawled;
		/* Gone now: when exactly is unknown; last, together. */
		if (crawled || ents[i].gone) {
			seq = index_next_seq(ix);
			for (k = i; k < j; k++) {
				index_write(ix, ents[k].rec, seq,
				    ents[k].rec->exists);
				stamp_when(&ents[k]);
			}
			if (!ents[i].gone && j - i > 1)
				ties += j - i;
			continue;
		}
		for (k = i; k < j; k++)
			index_write(ix, ents[k].rec, index_next_seq(ix),
			    ents[k].rec->exists);
	}
	return (ties);
}

/* Sift ents[i] down the max-heap of ents[0..n). */
static void
stamp_sift(struct stamp_ent *ents, size_t i, size_t n)
{
	struct stamp_ent	tmp = ents[i];
	size_t			c;

	while ((c = 2 * i + 1) < n) {
		if (c + 1 < n && stamp_cmp(&ents[c], &ents[c + 1]) < 0)
			c++;
		if (stamp_cmp(&tmp, &ents[c]) >= 0)
			break;
		ents[i] = ents[c];
		i = c;
	}
	ents[i] = tmp;
}

/*
 * Sort the log by stamp_cmp, in place: a heapsort.  A crawl's log holds
 * an entry per changed file, and qsort (a merge sort in glibc) takes a
 * buffer as large as what it sorts, at the moment the drain holds the
 * most memory (issue 11: the peak after an overflow).  The order is
 * total (no two entries share an order), so stability does not matter.
 */
static void
stamp_sort(struct stamp_ent *ents, size_t n)
{
	struct stamp_ent	tmp;
	size_t			i;

	for (i = n / 2; i-- > 0;)
		stamp_sift(ents, i, n);
	for (i = n; i-- > 1;) {
		tmp = ents[0];
		ents[0] = ents[i];
		ents[i] = tmp;
		stamp_sift(ents, 0, i);
	}
}

void
stamp_close(struct stamp *st)
{
	struct stamp_ent	*e;
	struct rec		*r;
	size_t			 i;
	int64_t			 ctime_ns;

	for (i = 0; i < st->n; i++) {
		e = &st->ents[i];
		r = e->rec;
		r->inlog = 0;
		if (!st->crawled)
			continue;
		/* A crawl's find keeps the ctime it saw (see the top). */
		ctime_ns = r->ctime_ns;
		if (!r->exists || (!e->found &&
		    st->ctime(st->ctime_arg, r->path, &ctime_ns) != 0)) {
			e->gone = 1;
			e->t = 0;	/* last, together, in log order */
		} else if (ctime_ns > e->t)
			e->t = ctime_ns;
	}
	if (st->crawled) {
		stamp_sort(st->ents, st->n);
		st->ties += stamp_restamp(st->index, st->ents, st->n);
	}
	st->n = 0;
	st->order = 0;
	st->crawled = 0;
	/* A crawl's drain: give its size back rather than keep it. */
	if (st->cap > STAMP_KEEP) {
		free(st->ents);
		st->ents = NULL;
		st->cap = 0;
	}
}

uint64_t
stamp_ties(struct stamp *st)
{
	return (st->ties);
}
