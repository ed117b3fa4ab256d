/*
 * Unit tests for daemon/index.c: the hash table (growth past its first
 * size, removal), the records of deleted paths, the walk, the seq counter and its reservation ahead
 * of use, and the dirty list.  An index and nothing else: no daemon, no
 * database (what db.c and daemon.c do with a reservation is played by
 * the test).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "index.h"
#include "unit.h"

/* Past index.c's first table (1024 slots, grown at 70%), four times. */
#define IX_MANY		20000

static void	 ix_path(char *, size_t, int);
static void	 ix_fill(struct index *, int);
static void	 ix_find_all(struct index *, int, const char *);
static void	 ix_count_cb(struct rec *, void *);

/* The relpath of the i-th test record: spread over directories. */
static void
ix_path(char *buf, size_t size, int i)
{
	snprintf(buf, size, "d%d/sub%d/f%d.c", i % 17, i % 5, i);
}

/* index_get records 0..n-1, each stamped with its number in ino. */
static void
ix_fill(struct index *ix, int n)
{
	struct rec	*r;
	char		 path[64];
	int		 i;

	for (i = 0; i < n; i++) {
		ix_path(path, sizeof path, i);
		r = index_get(ix, path);
		CHECK(r != NULL);
		CHECK_EQ_STR(r->path, path);
		CHECK_EQ_UINT(r->seq, 0);
		CHECK_EQ_INT(r->exists, 0);
		r->ino = (uint64_t)i + 1;
	}
}

/*
 * Records 0..n-1 (ix_fill) are all there, once each, after what the
 * table went through.
 */
static void
ix_find_all(struct index *ix, int n, const char *after)
{
	struct rec	*r;
	char		 path[64];
	int		 i;

	CHECK_EQ_UINT(index_count(ix), (size_t)n);
	for (i = 0; i < n; i++) {
		ix_path(path, sizeof path, i);
		r = index_find(ix, path);
		if (r == NULL)
			unit_fail(__FILE__, __LINE__, "'%s' (record %d) lost"
			    " after %s", path, i, after);
		CHECK_EQ_STR(r->path, path);
		CHECK_EQ_UINT(r->ino, (uint64_t)i + 1);
		/* The same record, not a second one. */
		CHECK(index_get(ix, path) == r);
	}
	CHECK_EQ_UINT(index_count(ix), (size_t)n);
}

void
index_grow_keeps_every_record(void)
{
	struct index	*ix = index_new();

	ix_fill(ix, IX_MANY);
	ix_find_all(ix, IX_MANY, "growing");
	CHECK(index_find(ix, "d0/sub0/nosuch.c") == NULL);
	CHECK(index_find(ix, "") == NULL);
	index_free(ix);
}

void
index_hashed_lookup_same_record(void)
{
	struct index	*ix = index_new();
	struct rec	*r;
	char		 path[64];
	int		 i;

	/*
	 * A crawl looks up a listing's paths by the hash its threads made,
	 * prefetching ahead (a hint, whatever the slot holds): the same
	 * records as index_get, created once, through a table that grows.
	 */
	ix_fill(ix, IX_MANY / 2);
	for (i = 0; i < IX_MANY; i++) {
		ix_path(path, sizeof path, i);
		index_prefetch(ix, index_path_hash(path), 0);
		index_prefetch(ix, index_path_hash(path), 1);
		r = index_get_hashed(ix, path, index_path_hash(path));
		CHECK_EQ_STR(r->path, path);
		if (i >= IX_MANY / 2)
			r->ino = (uint64_t)i + 1;
		CHECK(index_get(ix, path) == r);
	}
	ix_find_all(ix, IX_MANY, "hashed lookups");
	index_free(ix);
}

static int
ix_path_cmp(const void *a, const void *b)
{
	return (strcmp((*(struct rec *const *)a)->path,
	    (*(struct rec *const *)b)->path));
}

/*
 * n records, seqs from 1000 on in steps of up to spread (0: a tie with
 * the one before), in path order, into (seq, path) order: each once.
 */
static void
ix_sort_case(int n, unsigned spread)
{
	struct index	 *ix = index_new();
	struct rec	**recs;
	char		  path[64];
	uint64_t	  seq = 1000;
	int		  i;

	recs = xreallocarray(NULL, (size_t)n, sizeof *recs);
	srandom(11);
	for (i = 0; i < n; i++) {
		ix_path(path, sizeof path, i);
		recs[i] = index_get(ix, path);
		seq += (uint64_t)random() % (spread + 1);
		recs[i]->seq = seq;
		recs[i]->ino = 0;
	}
	/* The seqs were given in ix_path order; the list is in path order. */
	qsort(recs, (size_t)n, sizeof *recs, ix_path_cmp);
	index_sort_by_seq(recs, (size_t)n);
	for (i = 0; i < n; i++) {
		CHECK_EQ_UINT(recs[i]->ino, 0);
		recs[i]->ino = 1;		/* each once */
		if (i == 0)
			continue;
		if (recs[i - 1]->seq > recs[i]->seq ||
		    (recs[i - 1]->seq == recs[i]->seq &&
		    strcmp(recs[i - 1]->path, recs[i]->path) >= 0))
			unit_fail(__FILE__, __LINE__, "n %d spread %u: '%s'"
			    " (seq %llu) before '%s' (seq %llu)", n, spread,
			    recs[i - 1]->path,
			    (unsigned long long)recs[i - 1]->seq, recs[i]->path,
			    (unsigned long long)recs[i]->seq);
	}
	free(recs);
	index_free(ix);
}

/*
 * n distinct random paths, of bytes 1..255 from a small alphabet (long
 * shared prefixes, paths that are prefixes of others, bytes above 0x7f
 * and below '/'), sorted as strcmp sorts them.
 */
static void
ix_path_sort_case(int n, const char *prefix)
{
	static const char alpha[] = "ab/.-\x01\xff";
	struct index	 *ix = index_new();
	struct rec	**recs, **want;
	char		  path[96];
	size_t		  len, k;
	int		  i;

	recs = xreallocarray(NULL, (size_t)n + 1, sizeof *recs);
	want = xreallocarray(NULL, (size_t)n + 1, sizeof *want);
	srandom(7);
	for (i = 0; i < n;) {
		len = strlen(prefix);
		memcpy(path, prefix, len);
		for (k = (size_t)random() % 12; k > 0; k--)
			path[len++] = alpha[random() % (sizeof alpha - 1)];
		path[len] = '\0';
		if (index_find(ix, path) != NULL)
			continue;
		recs[i] = want[i] = index_get(ix, path);
		i++;
	}
	qsort(want, (size_t)n, sizeof *want, ix_path_cmp);
	index_sort_by_path(recs, (size_t)n);
	for (i = 0; i < n; i++) {
		if (recs[i] != want[i])
			unit_fail(__FILE__, __LINE__, "n %d: at %d '%s', want"
			    " '%s'", n, i, recs[i]->path, want[i]->path);
	}
	free(recs);
	free(want);
	index_free(ix);
}

void
index_sort_by_path_as_strcmp(void)
{
	/* The record table's order (a commit's), in place. */
	ix_path_sort_case(0, "");
	ix_path_sort_case(1, "");
	ix_path_sort_case(11, "x");
	ix_path_sort_case(12, "x");
	ix_path_sort_case(13, "");
	ix_path_sort_case(1000, "");
	ix_path_sort_case(IX_MANY, "");
	ix_path_sort_case(IX_MANY, "drivers/gpu/drm/amd/display/dc/");
}

void
index_sort_by_seq_then_path(void)
{
	/*
	 * A commit's history goes in (seq, path) order: a crawl's ties
	 * (a counting sort, which must keep the path order), sparse seqs
	 * (qsort), and a few records (qsort).
	 */
	ix_sort_case(IX_MANY, 1);
	ix_sort_case(IX_MANY, 3);
	ix_sort_case(IX_MANY, 100000);
	ix_sort_case(50, 1);
	ix_sort_case(1, 1);
}

void
index_presize_keeps_every_record(void)
{
	struct index	*ix = index_new();

	/*
	 * db_load sizes the table for every row before it adds them: a
	 * table already holding records is rehashed into the larger one,
	 * and a size below the current one changes nothing.
	 */
	ix_fill(ix, IX_MANY / 4);
	index_presize(ix, IX_MANY);
	index_presize(ix, 10);
	CHECK_EQ_UINT(index_count(ix), IX_MANY / 4);
	ix_fill(ix, IX_MANY);
	ix_find_all(ix, IX_MANY, "presizing");
	index_free(ix);
}

void
index_no_removal_deleted_kept(void)
{
	struct index	*ix = index_new();
	struct rec	*r;
	char		 path[64];
	int		 i;

	/*
	 * A deleted file keeps its record, not existing, with the seq at
	 * which it went, and stays findable however the table grows, until
	 * prune.c removes it (index_gone_oldest_first).
	 */
	r = index_get(ix, "gone.c");
	index_write(ix, r, 7, 1);
	index_write(ix, r, 9, 0);
	index_clear_dirty(ix);
	ix_fill(ix, IX_MANY);
	r = index_find(ix, "gone.c");
	CHECK(r != NULL);
	CHECK_EQ_INT(r->exists, 0);
	CHECK_EQ_UINT(r->seq, 9);
	CHECK_EQ_UINT(index_count(ix), IX_MANY + 1);
	/* The root's record ("") is a record like any other. */
	r = index_get(ix, "");
	CHECK(index_find(ix, "") == r);
	for (i = 0; i < IX_MANY; i += 997) {
		ix_path(path, sizeof path, i);
		CHECK(index_find(ix, path) != NULL);
	}
	index_free(ix);
}

struct ix_walk {
	int	visits;
	int	bad;		/* visited more than once, or not ours */
};

static void
ix_count_cb(struct rec *r, void *arg)
{
	struct ix_walk	*w = arg;

	w->visits++;
	if (r->ino == 0 || r->seen != 0)
		w->bad++;
	r->seen = 1;
}

void
index_foreach_visits_each_once(void)
{
	struct index	*ix = index_new();
	struct ix_walk	 w = { 0, 0 };
	struct rec	*r;
	char		 path[64];
	int		 i;

	index_foreach(ix, ix_count_cb, &w);
	CHECK_EQ_INT(w.visits, 0);
	ix_fill(ix, IX_MANY);
	index_foreach(ix, ix_count_cb, &w);
	CHECK_EQ_INT(w.bad, 0);
	CHECK_EQ_INT(w.visits, IX_MANY);
	for (i = 0; i < IX_MANY; i++) {
		ix_path(path, sizeof path, i);
		r = index_find(ix, path);
		CHECK(r != NULL);
		if (r->seen != 1)
			unit_fail(__FILE__, __LINE__, "'%s' not visited",
			    path);
	}
	index_free(ix);
}

void
index_seq_counts_up(void)
{
	struct index	*ix = index_new();
	uint64_t	 i;

	CHECK_EQ_UINT(index_peek_seq(ix), 1);	/* 0 is "never written" */
	for (i = 1; i <= 1000; i++) {
		CHECK_EQ_UINT(index_next_seq(ix), i);
		CHECK_EQ_UINT(index_peek_seq(ix), i + 1);
	}
	index_free(ix);
}

/*
 * The daemon's use, played here: each batch hands out some seqs, then at
 * its commit asks index_need_reserve() and persists the mark it gets in
 * the same transaction.  Every seq committed must be below the mark
 * persisted with it (after a crash the counter restarts at the mark), and
 * reservations come ahead of use, not one per batch.
 */
void
index_reserve_ahead_of_use(void)
{
	struct index	*ix = index_new();
	uint64_t	 persisted = 1, mark, seq = 0;
	int		 batch, k, n, reserves = 0;

	/* A fresh index reserves before its first commit. */
	CHECK_EQ_INT(index_need_reserve(ix, &mark), 1);
	CHECK(mark > index_peek_seq(ix));
	persisted = mark;
	reserves++;
	for (batch = 0; batch < 2000; batch++) {
		n = 1 + batch * 37 % 600;	/* 1 to 600 seqs */
		for (k = 0; k < n; k++)
			seq = index_next_seq(ix);
		if (index_need_reserve(ix, &mark)) {
			CHECK(mark > persisted);
			persisted = mark;
			reserves++;
		}
		if (seq >= persisted)
			unit_fail(__FILE__, __LINE__, "batch %d committed seq"
			    " %llu with the mark at %llu", batch,
			    (unsigned long long)seq,
			    (unsigned long long)persisted);
		/* Room for the next batch without asking again. */
		CHECK(index_peek_seq(ix) + 600 < persisted);
	}
	CHECK(seq > 500000);
	if (reserves > 30)
		unit_fail(__FILE__, __LINE__, "%d reservations for %llu seqs:"
		    " not reserving ahead", reserves,
		    (unsigned long long)seq);
	index_free(ix);
}

void
index_unreserve_asks_again(void)
{
	struct index	*ix = index_new();
	uint64_t	 m1, m2, m3;

	CHECK_EQ_INT(index_need_reserve(ix, &m1), 1);
	/* The mark could not be persisted: it is asked for again. */
	index_unreserve(ix);
	CHECK_EQ_INT(index_need_reserve(ix, &m2), 1);
	CHECK(m2 >= m1);
	/* Persisted now: no more asking while there is room. */
	CHECK_EQ_INT(index_need_reserve(ix, &m3), 0);
	index_next_seq(ix);
	CHECK_EQ_INT(index_need_reserve(ix, &m3), 0);
	index_free(ix);
}

void
index_set_seq_restart_reserves(void)
{
	struct index	*ix = index_new();
	uint64_t	 mark;

	/*
	 * db_load restarts the counter at the persisted mark: seqs below
	 * it may have been handed out before a crash, and the mark itself
	 * is not reserved yet.
	 */
	index_set_seq(ix, 70000, 70000);
	CHECK_EQ_UINT(index_peek_seq(ix), 70000);
	CHECK_EQ_INT(index_need_reserve(ix, &mark), 1);
	CHECK(mark > 70000);
	CHECK_EQ_UINT(index_next_seq(ix), 70000);
	/* A mark well ahead (a newer seq file) needs no reservation yet. */
	index_set_seq(ix, 100, 100000);
	CHECK_EQ_INT(index_need_reserve(ix, &mark), 0);
	CHECK_EQ_UINT(index_next_seq(ix), 100);
	index_free(ix);
}

void
index_dirty_list(void)
{
	struct index	*ix = index_new();
	struct rec	*a, *b, **dirty;
	char		 path[64];
	size_t		 n, i;

	a = index_get(ix, "a.c");
	b = index_get(ix, "b.c");
	(void)index_dirty(ix, &n);
	CHECK_EQ_UINT(n, 0);
	/* Touched twice: listed once, facts only. */
	index_touch(ix, a);
	index_touch(ix, a);
	dirty = index_dirty(ix, &n);
	CHECK_EQ_UINT(n, 1);
	CHECK(dirty[0] == a);
	CHECK_EQ_INT(a->dirty, INDEX_TOUCHED);
	/* Written after a touch: still once, now for the history too. */
	index_write(ix, a, 5, 1);
	CHECK_EQ_INT(a->dirty, INDEX_WRITTEN);
	CHECK_EQ_UINT(a->seq, 5);
	CHECK_EQ_INT(a->exists, 1);
	CHECK(a->wtime_ns > 0);
	/* Touched after a write: still a write. */
	index_write(ix, b, 6, 1);
	index_touch(ix, b);
	CHECK_EQ_INT(b->dirty, INDEX_WRITTEN);
	dirty = index_dirty(ix, &n);
	CHECK_EQ_UINT(n, 2);
	CHECK(dirty[0] == a && dirty[1] == b);
	/* Cleared after the commit: empty, and each record clean again. */
	index_clear_dirty(ix);
	(void)index_dirty(ix, &n);
	CHECK_EQ_UINT(n, 0);
	CHECK_EQ_INT(a->dirty, 0);
	CHECK_EQ_INT(b->dirty, 0);
	/* A record clean again is listed again by its next change. */
	index_touch(ix, b);
	dirty = index_dirty(ix, &n);
	CHECK_EQ_UINT(n, 1);
	CHECK(dirty[0] == b);
	index_clear_dirty(ix);
	/* Past the list's first size: each once, in order. */
	ix_fill(ix, 3000);
	for (i = 0; i < 3000; i++) {
		ix_path(path, sizeof path, (int)i);
		index_write(ix, index_find(ix, path), i + 10, 1);
	}
	dirty = index_dirty(ix, &n);
	CHECK_EQ_UINT(n, 3000);
	for (i = 0; i < n; i++) {
		CHECK_EQ_UINT(dirty[i]->seq, i + 10);
		CHECK_EQ_INT(dirty[i]->dirty, INDEX_WRITTEN);
	}
	index_free(ix);
}

void
index_covers_dirs_above(void)
{
	struct index	*ix = index_new();

	CHECK_EQ_INT(index_covers(ix, "a/b/c"), 0);
	index_get(ix, "a/b")->exists = 1;
	index_get(ix, "x")->exists = 0;
	CHECK_EQ_INT(index_covers(ix, "a/b"), 1);
	CHECK_EQ_INT(index_covers(ix, "a/b/c/d"), 1);
	CHECK_EQ_INT(index_covers(ix, "a"), 0);
	CHECK_EQ_INT(index_covers(ix, "a/bc"), 0);
	CHECK_EQ_INT(index_covers(ix, "x/y"), 0);
	/* The root covers everything. */
	index_get(ix, "")->exists = 1;
	CHECK_EQ_INT(index_covers(ix, "x/y"), 1);
	index_free(ix);
}

/*
 * Removal shifts back what follows in the probe sequence: after removing
 * every third record (in runs that wrap around the table too), every
 * other record is still found, and removed ones are not.
 */
void
index_remove_keeps_others(void)
{
	struct index	*ix = index_new();
	struct rec	*r;
	char		 path[64];
	int		 i, bad = 0;

	ix_fill(ix, IX_MANY);
	for (i = 0; i < IX_MANY; i += 3) {
		ix_path(path, sizeof path, i);
		index_remove(ix, index_find(ix, path));
	}
	CHECK_EQ_UINT(index_count(ix), IX_MANY - (IX_MANY + 2) / 3);
	for (i = 0; i < IX_MANY; i++) {
		ix_path(path, sizeof path, i);
		r = index_find(ix, path);
		if ((i % 3 == 0) != (r == NULL) ||
		    (r != NULL && r->ino != (uint64_t)i + 1))
			bad++;
	}
	CHECK_EQ_INT(bad, 0);
	/* And a removed path comes back as a new record. */
	ix_path(path, sizeof path, 0);
	r = index_get(ix, path);
	CHECK_EQ_UINT(r->ino, 0);
	CHECK_EQ_UINT(index_count(ix), IX_MANY - (IX_MANY + 2) / 3 + 1);
	index_free(ix);
}

/*
 * index_gone: the records of deleted paths beyond the keep deleted last,
 * oldest first; not those dirty (a commit is yet to write them) or
 * existing.
 */
void
index_gone_oldest_first(void)
{
	struct index	*ix = index_new();
	struct rec	**gone, *r;
	char		 path[64];
	size_t		 n, left;
	int		 i;

	ix_fill(ix, 100);
	/* Deleted in the order 99, 98, ..., 0 (seqs 1..100). */
	for (i = 99; i >= 0; i--) {
		ix_path(path, sizeof path, i);
		index_write(ix, index_find(ix, path), (uint64_t)(100 - i), 0);
	}
	/* Dirty: none may go yet. */
	CHECK(index_gone(ix, 10, &n, &left) == NULL);
	CHECK_EQ_UINT(n, 0);
	CHECK_EQ_UINT(index_clear_dirty(ix), 100);
	/* Two exist again, one is dirty again. */
	index_write(ix, index_find(ix, "d0/sub0/f0.c"), 200, 1);
	index_write(ix, index_find(ix, "d1/sub1/f1.c"), 201, 1);
	index_clear_dirty(ix);
	ix_path(path, sizeof path, 50);
	index_touch(ix, index_find(ix, path));
	CHECK(index_gone(ix, 100, &n, &left) == NULL);
	CHECK_EQ_UINT(left, 97);
	gone = index_gone(ix, 10, &n, &left);
	CHECK(gone != NULL);
	CHECK_EQ_UINT(n, 87);
	CHECK_EQ_UINT(left, 10);
	/* Oldest first: 99 went first (seq 1). */
	CHECK_EQ_UINT(gone[0]->seq, 1);
	for (i = 1; i < (int)n; i++)
		CHECK(gone[i - 1]->seq < gone[i]->seq);
	for (i = 0; i < (int)n; i++)
		index_remove(ix, gone[i]);
	free(gone);
	CHECK_EQ_UINT(index_count(ix), 13);
	/* The 10 deleted last (seqs 89..98: paths 11..2) stay. */
	ix_path(path, sizeof path, 2);
	r = index_find(ix, path);
	CHECK(r != NULL && r->seq == 98);
	ix_path(path, sizeof path, 12);
	CHECK(index_find(ix, path) == NULL);
	ix_path(path, sizeof path, 50);
	CHECK(index_find(ix, path) != NULL);
	index_free(ix);
}

/*
 * Recorded builds live apart from the records: set, read back, valid
 * while the target is not written after them, kept through the table's
 * growth, and gone with a removed record (which a new record of the
 * same path does not inherit).
 */
void
index_builds_apart(void)
{
	struct index	*ix = index_new();
	struct rec	*r;
	char		 path[64];
	uint64_t	 started, finished;
	int		 i, bad = 0;

	ix_fill(ix, 1000);
	for (i = 0; i < 1000; i += 2) {
		ix_path(path, sizeof path, i);
		r = index_find(ix, path);
		r->seq = 10;
		index_set_built(ix, r, (uint64_t)i + 1, 10);
	}
	for (i = 0; i < 1000; i++) {
		ix_path(path, sizeof path, i);
		r = index_find(ix, path);
		index_get_built(ix, r, &started, &finished);
		if (i % 2 == 0 ? started != (uint64_t)i + 1 || finished != 10 ||
		    index_built_from(ix, r) != (uint64_t)i + 1 :
		    started != 0 || finished != 0 || index_built_from(ix, r) != 0)
			bad++;
	}
	CHECK_EQ_INT(bad, 0);
	/* Written since: no longer built from anything. */
	ix_path(path, sizeof path, 2);
	r = index_find(ix, path);
	r->seq = 11;
	CHECK_EQ_UINT(index_built_from(ix, r), 0);
	/* Forgotten by setting 0 and 0, or with its record. */
	ix_path(path, sizeof path, 4);
	r = index_find(ix, path);
	index_set_built(ix, r, 0, 0);
	CHECK_EQ_UINT(index_built_from(ix, r), 0);
	for (i = 0; i < 1000; i += 4) {
		ix_path(path, sizeof path, i);
		index_remove(ix, index_find(ix, path));
	}
	for (i = 0, bad = 0; i < 1000; i++) {
		ix_path(path, sizeof path, i);
		r = index_get(ix, path);
		r->seq = 10;
		index_get_built(ix, r, &started, &finished);
		if (i % 4 == 0 || i % 2 != 0 ? started != 0 :
		    started != (uint64_t)i + 1)
			bad++;
	}
	CHECK_EQ_INT(bad, 0);
	index_free(ix);
}
