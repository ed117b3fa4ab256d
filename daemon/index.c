/*
 * The in-memory index (see index.h): an open-addressing hash table of
 * records, FNV-1a hashed, linear probing, grown at 70% load.  A slot holds
 * a record's 32-bit slab id (slab.h), not a pointer: half the table.  Removal
 * shifts the entries after the hole back, so no tombstones are needed.
 * Called by apply.c, scan.c, stamp.c, batch.c, conn.c, db.c, prune.c.
 */
#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "xmalloc.h"
#include "log.h"
#include "index.h"
#include "slab.h"
#include "util.h"

/* Seqs are reserved in the database this far ahead of use. */
#define INDEX_RESERVE_STEP	65536
/* A dirty list longer than this is freed once committed. */
#define INDEX_DIRTY_KEEP	4096

/* A recorded build (depcheck run): few records have one. */
struct index_build {
	const struct rec *rec;
	uint64_t	  started;
	uint64_t	  finished;
};

struct index {
	struct slab	  slab;		/* the records' memory */
	uint32_t	 *slots;	/* slab ids, 0 empty */
	size_t		  nslots;	/* a power of two */
	size_t		  count;
	uint64_t	  next_seq;
	uint64_t	  reserved;	/* persisted: no seq >= this given */
	uint64_t	  persisted;	/* the mark before the last reserve */
	struct rec	**dirty;
	size_t		  ndirty;
	size_t		  dirty_cap;
	struct index_build *builds;	/* open addressing by rec->hash */
	size_t		  nbuilds;
	size_t		  builds_slots;	/* a power of two, or 0 */
};

/* Below this many records, index_sort_by_seq leaves it to qsort. */
#define INDEX_COUNT_SORT_MIN	1024
/* index_sort_by_path sorts fewer than this many by insertion. */
#define INDEX_PATH_SORT_SMALL	12

/*
 * The devices of every record, numbered in the order first seen: a
 * record keeps the number (rec->devno, 2 bytes) rather than the dev_t (8).
 * One table for every index of the process; a tree spans few devices.
 */
#define INDEX_MAX_DEVS	65535	/* devno 0 is dev 0: no facts */
static uint64_t	 *index_devs;
static size_t	  index_ndevs;

static void	 index_build_drop(struct index *, const struct rec *);

/* The record a slot names; the slot must not be empty. */
static inline struct rec *
index_rec(const struct index *ix, uint32_t id)
{
	return (slab_ptr(&ix->slab, id));
}

uint32_t
index_path_hash(const char *s)
{
	uint32_t	h = 2166136261u;

	while (*s != '\0') {
		h ^= (unsigned char)*s++;
		h *= 16777619u;
	}
	return (h);
}

struct index *
index_new(void)
{
	struct index	*ix;

	ix = xcalloc(1, sizeof *ix);
	slab_init(&ix->slab);
	ix->nslots = 1024;
	ix->slots = xcalloc(ix->nslots, sizeof *ix->slots);
	ix->next_seq = 1;
	ix->reserved = 1;
	return (ix);
}

void
index_free(struct index *ix)
{
	if (ix == NULL)
		return;
	slab_fini(&ix->slab);
	free(ix->slots);
	free(ix->dirty);
	free(ix->builds);
	free(ix);
}

uint64_t
index_dev(const struct rec *r)
{
	return (r->devno != 0 && r->devno <= index_ndevs ?
	    index_devs[r->devno - 1] : 0);
}

void
index_set_dev(struct rec *r, uint64_t dev)
{
	static size_t	last;
	size_t		i;

	if (dev == 0) {
		r->devno = 0;	/* no facts (yet) */
		return;
	}
	if (last < index_ndevs && index_devs[last] == dev) {
		r->devno = (uint16_t)(last + 1);
		return;
	}
	for (i = 0; i < index_ndevs; i++) {
		if (index_devs[i] == dev)
			break;
	}
	if (i == index_ndevs) {
		if (index_ndevs == INDEX_MAX_DEVS)
			fatalx("more than %d devices under the root",
			    INDEX_MAX_DEVS);
		index_devs = xreallocarray(index_devs, index_ndevs + 1,
		    sizeof *index_devs);
		index_devs[index_ndevs++] = dev;
	}
	last = i;
	r->devno = (uint16_t)(i + 1);
}

/* The slot of path (hash h) in slots, or the empty one it would take. */
static uint32_t *
index_slot(const struct index *ix, uint32_t *slots, size_t nslots,
    const char *path, uint32_t h)
{
	struct rec	*r;
	size_t		 i = h & (nslots - 1);

	while (slots[i] != 0) {
		r = index_rec(ix, slots[i]);
		if (r->hash == h && strcmp(r->path, path) == 0)
			break;
		i = (i + 1) & (nslots - 1);
	}
	return (&slots[i]);
}

/* Rehash into nslots slots (a power of two, above the count). */
static void
index_resize(struct index *ix, size_t nslots)
{
	uint32_t	*slots, *s;
	struct rec	*r;
	size_t		 i;

	slots = xcalloc(nslots, sizeof *slots);
	for (i = 0; i < ix->nslots; i++) {
		if (ix->slots[i] == 0)
			continue;
		r = index_rec(ix, ix->slots[i]);
		s = index_slot(ix, slots, nslots, r->path, r->hash);
		*s = ix->slots[i];
	}
	free(ix->slots);
	ix->slots = slots;
	ix->nslots = nslots;
}

/* Slots enough for n records below the 70% load the table grows at. */
static size_t
index_slots_for(size_t n)
{
	size_t	nslots = 1024;

	while (n * 10 > nslots * 7)
		nslots *= 2;
	return (nslots);
}

void
index_presize(struct index *ix, size_t n)
{
	size_t	nslots = index_slots_for(n);

	if (nslots > ix->nslots)
		index_resize(ix, nslots);
}

struct rec *
index_find(struct index *ix, const char *path)
{
	uint32_t	id;

	id = *index_slot(ix, ix->slots, ix->nslots, path,
	    index_path_hash(path));
	return (id != 0 ? index_rec(ix, id) : NULL);
}

struct rec *
index_get(struct index *ix, const char *path)
{
	return (index_get_hashed(ix, path, index_path_hash(path)));
}

/*
 * A crawl's lookups go to slots and records all over the table, each a
 * cache miss when it is made as it comes: on 100k files, index_slot was
 * 7% of a restart's samples, and a third of that with the prefetch.
 */
void
index_prefetch(const struct index *ix, uint32_t h, int rec)
{
	const uint32_t	*slot = &ix->slots[h & (ix->nslots - 1)];
	const char	*r;

	if (!rec) {
		__builtin_prefetch(slot);
		return;
	}
	if (*slot == 0)
		return;
	r = (const char *)index_rec(ix, *slot);
	__builtin_prefetch(r);
	__builtin_prefetch(r + offsetof(struct rec, path));
}

struct rec *
index_get_hashed(struct index *ix, const char *path, uint32_t h)
{
	struct rec	*r;
	uint32_t	*s;
	size_t		 len;

	s = index_slot(ix, ix->slots, ix->nslots, path, h);
	if (*s != 0)
		return (index_rec(ix, *s));
	if ((ix->count + 1) * 10 > ix->nslots * 7) {
		index_resize(ix, ix->nslots * 2);
		s = index_slot(ix, ix->slots, ix->nslots, path, h);
	}
	len = strlen(path);
	*s = slab_alloc(&ix->slab, offsetof(struct rec, path) + len + 1);
	r = index_rec(ix, *s);
	memcpy(r->path, path, len + 1);
	r->hash = h;
	ix->count++;
	return (r);
}

size_t
index_count(struct index *ix)
{
	return (ix->count);
}

void
index_foreach(struct index *ix, void (*fn)(struct rec *, void *), void *arg)
{
	size_t	i;

	for (i = 0; i < ix->nslots; i++) {
		if (ix->slots[i] != 0)
			fn(index_rec(ix, ix->slots[i]), arg);
	}
}

uint64_t
index_next_seq(struct index *ix)
{
	return (ix->next_seq++);
}

uint64_t
index_peek_seq(struct index *ix)
{
	return (ix->next_seq);
}

void
index_set_seq(struct index *ix, uint64_t next, uint64_t reserved)
{
	ix->next_seq = next;
	ix->reserved = reserved;
}

/*
 * The reserved mark is persisted in the same transaction as the records
 * that use seqs below it, and always ahead of them: after a crash the
 * daemon restarts at the mark, so no seq is handed out twice even if
 * records written since the last commit were lost.
 */
int
index_need_reserve(struct index *ix, uint64_t *mark)
{
	if (ix->next_seq + INDEX_RESERVE_STEP / 2 < ix->reserved)
		return (0);
	ix->persisted = ix->reserved;
	ix->reserved = ix->next_seq + INDEX_RESERVE_STEP;
	*mark = ix->reserved;
	return (1);
}

void
index_unreserve(struct index *ix)
{
	ix->reserved = ix->persisted;
}

void
index_touch(struct index *ix, struct rec *r)
{
	if (r->dirty)
		return;
	if (ix->ndirty == ix->dirty_cap) {
		ix->dirty_cap = ix->dirty_cap == 0 ? 256 : ix->dirty_cap * 2;
		ix->dirty = xreallocarray(ix->dirty, ix->dirty_cap,
		    /* NOLINTNEXTLINE(bugprone-sizeof-expression): pointers */
		    sizeof *ix->dirty);
	}
	ix->dirty[ix->ndirty++] = r;
	r->dirty = INDEX_TOUCHED;
}

void
index_write(struct index *ix, struct rec *r, uint64_t seq, int exists)
{
	int	first = r->dirty != INDEX_WRITTEN;

	if (first)
		r->wasnew = !r->exists || r->seq == 0;
	if (!exists)
		r->what = PROTO_DELETED;
	else if (first || !r->exists)
		index_set_what(r, 0);
	r->seq = seq;
	r->exists = exists != 0;
	r->wtime_ns = util_now_ns();
	index_touch(ix, r);
	r->dirty = INDEX_WRITTEN;
}

void
index_set_what(struct rec *r, int crawl)
{
	if (!r->exists && r->dirty == INDEX_WRITTEN)
		r->what = PROTO_DELETED;
	else if (crawl)
		r->what = r->wasnew ? PROTO_FOUND : PROTO_RESTAMPED;
	else
		r->what = r->wasnew ? PROTO_CREATED : PROTO_WRITTEN;
}

static int
index_kind(mode_t mode)
{
	if (S_ISREG(mode))
		return (REC_FILE);
	if (S_ISDIR(mode))
		return (REC_DIR);
	if (S_ISLNK(mode))
		return (REC_LINK);
	return (REC_OTHER);
}

void
index_facts(struct facts *f, const struct stat *st)
{
	f->mtime_ns = util_ts_ns(&st->st_mtim);
	f->ctime_ns = util_ts_ns(&st->st_ctim);
	f->size = (uint64_t)st->st_size;
	f->ino = st->st_ino;
	f->dev = st->st_dev;
	f->kind = (uint8_t)index_kind(st->st_mode);
}

void
index_put_facts(struct rec *r, const struct facts *f)
{
	r->mtime_ns = f->mtime_ns;
	r->ctime_ns = f->ctime_ns;
	r->size = f->size;
	r->ino = f->ino;
	index_set_dev(r, f->dev);
	r->kind = f->kind;
}

void
index_set_facts(struct rec *r, const struct stat *st)
{
	struct facts	f;

	index_facts(&f, st);
	index_put_facts(r, &f);
}

int
index_facts_changed(const struct rec *r, const struct facts *f)
{
	return (r->mtime_ns != f->mtime_ns || r->ctime_ns != f->ctime_ns ||
	    r->size != f->size || r->ino != f->ino || index_dev(r) != f->dev ||
	    r->kind != f->kind);
}

int
index_facts_differ(const struct rec *r, const struct stat *st)
{
	struct facts	f;

	index_facts(&f, st);
	return (index_facts_changed(r, &f));
}

struct rec **
index_dirty(struct index *ix, size_t *n)
{
	*n = ix->ndirty;
	return (ix->dirty);
}

size_t
index_clear_dirty(struct index *ix)
{
	size_t	i, gone = 0;

	for (i = 0; i < ix->ndirty; i++) {
		ix->dirty[i]->dirty = 0;
		if (!ix->dirty[i]->exists)
			gone++;
	}
	ix->ndirty = 0;
	/* A crawl's batch: give its size back rather than keep it. */
	if (ix->dirty_cap > INDEX_DIRTY_KEEP) {
		free(ix->dirty);
		ix->dirty = NULL;
		ix->dirty_cap = 0;
	}
	return (gone);
}

static int
index_seq_cmp(const void *a, const void *b)
{
	const struct rec	*ra = *(struct rec *const *)a;
	const struct rec	*rb = *(struct rec *const *)b;

	if (ra->seq != rb->seq)
		return (ra->seq < rb->seq ? -1 : 1);
	return (strcmp(ra->path, rb->path));
}

/* Byte depth of r's path, unsigned as strcmp compares; 0 past its end. */
static inline unsigned char
index_path_byte(const struct rec *r, size_t depth)
{
	return ((unsigned char)r->path[depth]);
}

static inline void
index_swap(struct rec **a, size_t i, size_t j)
{
	struct rec	*t = a[i];

	a[i] = a[j];
	a[j] = t;
}

/* A part of the list index_sort_by_path has still to sort. */
struct index_part {
	struct rec	**a;
	size_t		  n;
	size_t		  depth;	/* its paths agree before this byte */
};

/* Insertion sort of a part small enough, by the rest of its paths. */
static void
index_sort_small(struct rec **a, size_t n, size_t depth)
{
	size_t	i, j;

	for (i = 1; i < n; i++) {
		for (j = i; j > 0 && strcmp(a[j - 1]->path + depth,
		    a[j]->path + depth) > 0; j--)
			index_swap(a, j - 1, j);
	}
}

/*
 * Multikey quicksort (Bentley and Sedgewick, "Fast algorithms for sorting
 * and searching strings", 1997): a three-way partition on the byte at
 * depth; the part equal there goes on to the next byte.  In place, and
 * each path's bytes are read once at each level, where qsort's strcmp
 * reads both paths' common prefix at every comparison and glibc's merge
 * sort takes a buffer as large as the list: at 100k records of a first
 * crawl, 7 ms where qsort took 25.  The smallest part is sorted next
 * and the other two wait on a stack, the larger below: a part taken off
 * the stack is at most half of the one it was split from, so the stack
 * holds at most two parts for each bit of n.
 */
void
index_sort_by_path(struct rec **recs, size_t n)
{
	struct index_part	 stack[sizeof(size_t) * 16], p, part[3], tmp;
	size_t			 top = 0, lt, gt, i, k;
	unsigned char		 v, c;

	p.a = recs;
	p.n = n;
	p.depth = 0;
	for (;;) {
		if (p.n < INDEX_PATH_SORT_SMALL) {
			index_sort_small(p.a, p.n, p.depth);
			if (top == 0)
				return;
			p = stack[--top];
			continue;
		}
		index_swap(p.a, 0, p.n / 2);
		v = index_path_byte(p.a[0], p.depth);
		lt = 0;
		gt = p.n;
		i = 1;
		/* [0, lt) below v, [lt, i) at v, [gt, n) above v. */
		while (i < gt) {
			c = index_path_byte(p.a[i], p.depth);
			if (c < v)
				index_swap(p.a, lt++, i++);
			else if (c > v)
				index_swap(p.a, i, --gt);
			else
				i++;
		}
		part[0] = (struct index_part){ p.a, lt, p.depth };
		/* Paths that end at depth are equal: nothing to sort. */
		part[1] = (struct index_part){ p.a + lt, v != 0 ? gt - lt : 0,
		    p.depth + 1 };
		part[2] = (struct index_part){ p.a + gt, p.n - gt, p.depth };
		/* By size, the largest first: the smallest is sorted next. */
		for (k = 0; k < 2; k++) {
			for (i = k + 1; i < 3; i++) {
				if (part[i].n > part[k].n) {
					tmp = part[k];
					part[k] = part[i];
					part[i] = tmp;
				}
			}
		}
		for (k = 0; k < 2; k++) {
			if (part[k].n > 1) {
				assert(top < sizeof stack / sizeof stack[0]);
				stack[top++] = part[k];
			}
		}
		p = part[2];
	}
}

/*
 * A batch's seqs are mostly a range about as wide as it has records (a
 * crawl's share one per ctime group): a counting sort by seq, stable, so
 * that each seq's records keep their path order, with no comparison of
 * paths.  At 100k records of a first crawl, 2 ms where qsort took 14.  A
 * wider range (a few writes far apart), or a few records, by qsort.
 */
void
index_sort_by_seq(struct rec **recs, size_t n)
{
	struct rec	**out;
	uint32_t	 *count;
	uint64_t	  lo, hi;
	size_t		  i, range, at, c;

	if (n < 2)
		return;
	lo = hi = recs[0]->seq;
	for (i = 1; i < n; i++) {
		if (recs[i]->seq < lo)
			lo = recs[i]->seq;
		if (recs[i]->seq > hi)
			hi = recs[i]->seq;
	}
	if (n < INDEX_COUNT_SORT_MIN || n > UINT32_MAX ||
	    hi - lo >= 4 * (uint64_t)n) {
		/* NOLINTNEXTLINE(bugprone-sizeof-expression): pointers */
		qsort(recs, n, sizeof *recs, index_seq_cmp);
		return;
	}
	range = (size_t)(hi - lo) + 1;
	count = xcalloc(range, sizeof *count);
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): pointers */
	out = xreallocarray(NULL, n, sizeof *out);
	for (i = 0; i < n; i++)
		count[recs[i]->seq - lo]++;
	for (i = 0, at = 0; i < range; i++) {
		c = count[i];
		count[i] = (uint32_t)at;
		at += c;
	}
	for (i = 0; i < n; i++)
		out[count[recs[i]->seq - lo]++] = recs[i];
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): pointers */
	memcpy(recs, out, n * sizeof *recs);
	free(out);
	free(count);
}

struct rec **
index_gone(struct index *ix, size_t keep, size_t *n, size_t *left)
{
	struct rec	**gone = NULL, *r;
	size_t		  i, ngone = 0, cap = 0;

	for (i = 0; i < ix->nslots; i++) {
		if (ix->slots[i] == 0)
			continue;
		r = index_rec(ix, ix->slots[i]);
		if (r->exists || r->dirty || r->inlog)
			continue;
		if (ngone == cap) {
			cap = cap == 0 ? 256 : cap * 2;
			/* NOLINTNEXTLINE(bugprone-sizeof-expression): pointers */
			gone = xreallocarray(gone, cap, sizeof *gone);
		}
		gone[ngone++] = r;
	}
	if (ngone <= keep) {
		free(gone);
		*n = 0;
		*left = ngone;
		return (NULL);
	}
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): pointers */
	qsort(gone, ngone, sizeof *gone, index_seq_cmp);
	*n = ngone - keep;
	*left = keep;
	return (gone);
}

void
index_remove(struct index *ix, struct rec *r)
{
	uint32_t	*slots = ix->slots, id;
	size_t		 mask = ix->nslots - 1, i, j, k;

	for (i = r->hash & mask; slots[i] != 0 && index_rec(ix, slots[i]) != r;
	    i = (i + 1) & mask)
		;
	if ((id = slots[i]) == 0)
		return;		/* not in the table */
	/*
	 * Move back every entry after the hole, up to the next empty slot,
	 * whose probe starts at or before the hole: its probe must not stop
	 * at the hole.
	 */
	for (j = (i + 1) & mask; slots[j] != 0; j = (j + 1) & mask) {
		k = index_rec(ix, slots[j])->hash & mask;
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		slots[i] = slots[j];
		i = j;
	}
	slots[i] = 0;
	ix->count--;
	index_build_drop(ix, r);
	slab_release(&ix->slab, id);
}

int
index_covers(struct index *ix, const char *relpath)
{
	struct rec	*r;
	char		*p, *slash;

	if (ix->count == 0)
		return (0);
	if ((r = index_find(ix, "")) != NULL && r->exists)
		return (1);
	p = xstrdup(relpath);
	for (;;) {
		if ((r = index_find(ix, p)) != NULL && r->exists) {
			free(p);
			return (1);
		}
		if ((slash = strrchr(p, '/')) == NULL)
			break;
		*slash = '\0';
	}
	free(p);
	return (0);
}

/* The slot of r's build, or of the hole where it would go. */
static struct index_build *
index_build_slot(struct index *ix, const struct rec *r)
{
	size_t	mask = ix->builds_slots - 1, i = r->hash & mask;

	while (ix->builds[i].rec != NULL && ix->builds[i].rec != r)
		i = (i + 1) & mask;
	return (&ix->builds[i]);
}

void
index_get_built(struct index *ix, const struct rec *r, uint64_t *started,
    uint64_t *finished)
{
	struct index_build	*b;

	*started = *finished = 0;
	if (ix->nbuilds == 0)
		return;
	b = index_build_slot(ix, r);
	if (b->rec != NULL) {
		*started = b->started;
		*finished = b->finished;
	}
}

/* Take r's build out, shifting back what follows it (index_remove). */
static void
index_build_drop(struct index *ix, const struct rec *r)
{
	struct index_build	*t = ix->builds;
	size_t			 mask = ix->builds_slots - 1, i, j, k;

	if (ix->nbuilds == 0 || index_build_slot(ix, r)->rec == NULL)
		return;
	i = (size_t)(index_build_slot(ix, r) - t);
	for (j = (i + 1) & mask; t[j].rec != NULL; j = (j + 1) & mask) {
		k = t[j].rec->hash & mask;
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		t[i] = t[j];
		i = j;
	}
	memset(&t[i], 0, sizeof t[i]);
	ix->nbuilds--;
}

void
index_set_built(struct index *ix, struct rec *r, uint64_t started,
    uint64_t finished)
{
	struct index_build	*old, *b;
	size_t			 n, i;

	if (started == 0 && finished == 0) {
		index_build_drop(ix, r);
		return;
	}
	if ((ix->nbuilds + 1) * 2 > ix->builds_slots) {
		old = ix->builds;
		n = ix->builds_slots;
		ix->builds_slots = n == 0 ? 64 : n * 2;
		ix->builds = xcalloc(ix->builds_slots, sizeof *ix->builds);
		for (i = 0; i < n; i++) {
			if (old[i].rec != NULL)
				*index_build_slot(ix, old[i].rec) = old[i];
		}
		free(old);
	}
	b = index_build_slot(ix, r);
	if (b->rec == NULL)
		ix->nbuilds++;
	b->rec = r;
	b->started = started;
	b->finished = finished;
}

uint64_t
index_built_from(struct index *ix, const struct rec *r)
{
	uint64_t	started, finished;

	index_get_built(ix, r, &started, &finished);
	if (started == 0 || r->seq > finished)
		return (0);
	return (started);
}
