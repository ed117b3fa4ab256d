/*
 * Unit tests for daemon/stamp.c: the order of a drain's writes.  Without
 * a crawl, queue order; with one, by ctime, equal ctimes by queue order,
 * unless a crawled entry shares the ctime (then the group shares a seq),
 * and what is gone last, together.  Ctimes come from a table here, not
 * the file system (stamp_set_ctime).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "index.h"
#include "stamp.h"
#include "unit.h"

#define NCTIME	16

/* Ctimes by path; a path not in the table is gone. */
struct ctimes {
	const char	*path[NCTIME];
	int64_t		 ctime[NCTIME];
	size_t		 n;
};

static struct index	*ix;
static struct stamp	*st;
static struct ctimes	 ct;

static int
fake_ctime(void *arg, const char *relpath, int64_t *ctime_ns)
{
	struct ctimes	*c = arg;
	size_t		 i;

	for (i = 0; i < c->n; i++) {
		if (strcmp(c->path[i], relpath) == 0) {
			*ctime_ns = c->ctime[i];
			return (0);
		}
	}
	return (-1);
}

static void
setup(void)
{
	ix = index_new();
	st = stamp_new(ix, -1);
	memset(&ct, 0, sizeof ct);
	stamp_set_ctime(st, fake_ctime, &ct);
}

static void
teardown(void)
{
	stamp_free(st);
	index_free(ix);
}

/* relpath exists now, with this ctime. */
static void
file(const char *relpath, int64_t ctime_ns)
{
	ct.path[ct.n] = relpath;
	ct.ctime[ct.n++] = ctime_ns;
}

/* Stamp a write of relpath: an event (crawled 0) or a crawl's find. */
static struct rec *
wr(const char *relpath, int exists, int crawled, int64_t not_before)
{
	struct rec	*r = index_get(ix, relpath);

	stamp_write(st, r, exists, crawled, not_before);
	return (r);
}

void
stamp_events_keep_queue_order(void)
{
	struct rec	*a, *b, *c;

	setup();
	file("a", 300);
	file("b", 200);
	file("c", 100);
	a = wr("a", 1, 0, 0);
	b = wr("b", 1, 0, 0);
	c = wr("c", 1, 0, 0);
	stamp_close(st);
	/* No crawl ran: every write was seen, in this order. */
	CHECK(a->seq < b->seq);
	CHECK(b->seq < c->seq);
	teardown();
}

void
stamp_crawl_orders_by_ctime(void)
{
	struct rec	*a, *b, *c;

	setup();
	file("a", 300);
	file("b", 100);
	file("c", 200);
	a = wr("a", 1, 0, 0);
	b = wr("b", 1, 1, 0);	/* found by a crawl */
	c = wr("c", 1, 0, 0);
	stamp_close(st);
	CHECK(b->seq < c->seq);
	CHECK(c->seq < a->seq);
	CHECK(!a->inlog && !b->inlog && !c->inlog);
	teardown();
}

void
stamp_crawled_tie_shares_seq(void)
{
	struct rec	*w, *x, *y, *z;

	setup();
	file("w", 50);
	file("x", 100);
	file("y", 100);
	file("z", 100);
	y = wr("y", 1, 0, 0);
	x = wr("x", 1, 1, 0);	/* its place among y and z: unknown */
	z = wr("z", 1, 0, 0);
	w = wr("w", 1, 0, 0);
	stamp_close(st);
	CHECK_EQ_UINT(x->seq, y->seq);
	CHECK_EQ_UINT(y->seq, z->seq);
	CHECK(w->seq < x->seq);
	CHECK_EQ_UINT(stamp_ties(st), 3);	/* x, y, z; not w */
	teardown();
}

void
stamp_evented_tie_keeps_queue_order(void)
{
	struct rec	*o, *p, *q;

	setup();
	file("o", 10);
	file("p", 100);
	file("q", 100);
	o = wr("o", 1, 1, 0);	/* a crawl ran, at another ctime */
	p = wr("p", 1, 0, 0);
	q = wr("q", 1, 0, 0);
	stamp_close(st);
	CHECK(o->seq < p->seq);
	CHECK(p->seq < q->seq);
	CHECK_EQ_UINT(stamp_ties(st), 0);
	teardown();
}

void
stamp_rewrite_moves_to_last_order(void)
{
	struct rec	*p, *q;

	setup();
	file("c", 1);
	file("p", 100);
	file("q", 100);
	wr("c", 1, 1, 0);
	p = wr("p", 1, 0, 0);
	q = wr("q", 1, 0, 0);
	wr("p", 1, 0, 0);	/* written again, after q */
	stamp_close(st);
	CHECK(q->seq < p->seq);
	teardown();
}

void
stamp_gone_last_together(void)
{
	struct rec	*a, *b, *c, *d;

	setup();
	file("c", 100);
	file("d", 900);
	a = wr("a", 0, 0, 0);	/* deleted */
	b = wr("b", 1, 1, 0);	/* found, but gone by the end */
	c = wr("c", 1, 0, 0);
	d = wr("d", 1, 1, 0);
	stamp_close(st);
	CHECK(c->seq < d->seq);
	CHECK(d->seq < a->seq);
	CHECK_EQ_UINT(a->seq, b->seq);
	CHECK(!a->exists);
	CHECK_EQ_UINT(stamp_ties(st), 0);	/* gone together: no tie */
	teardown();
}

void
stamp_not_before_raises_ctime(void)
{
	struct rec	*f, *t;

	setup();
	file("f", 100);
	file("t", 300);
	/* Moved in at 500: its own ctime (100) is days older. */
	f = wr("f", 1, 1, 500);
	t = wr("t", 1, 0, 0);
	stamp_close(st);
	CHECK(t->seq < f->seq);
	teardown();
}

void
stamp_crawled_wtime_is_ctime(void)
{
	struct rec	*f, *e;

	setup();
	file("f", 100);
	file("e", 200);
	f = wr("f", 1, 1, 0);
	e = wr("e", 1, 0, 0);
	stamp_close(st);
	/* Nobody saw f written: its ctime is the best evidence. */
	CHECK_EQ_INT(f->wtime_ns, 100);
	CHECK(e->wtime_ns > 200);
	teardown();
}

void
stamp_event_clears_racy(void)
{
	struct rec	*r;

	setup();
	file("r", 100);
	r = index_get(ix, "r");
	r->racy = 1;
	wr("r", 1, 1, 0);
	CHECK(r->racy);		/* a crawl does not clear it */
	wr("r", 1, 0, 0);
	CHECK(!r->racy);	/* seen written */
	stamp_close(st);
	teardown();
}

/*
 * A crawl's find of relpath, with the ctime its stat saw; fresh, as
 * scan_found leaves it.
 */
static struct rec *
found(const char *relpath, int64_t ctime_ns, int64_t not_before)
{
	struct rec	*r = index_get(ix, relpath);

	r->ctime_ns = ctime_ns;		/* the facts its stat set */
	stamp_found(st, r, 1, not_before);
	r->fresh = 1;
	return (r);
}

void
stamp_found_orders_by_crawl_ctime(void)
{
	struct rec	*f, *e;

	setup();
	file("f", 300);		/* rewritten since: the next drain's event */
	file("e", 200);
	f = found("f", 100, 0);
	e = wr("e", 1, 0, 0);
	stamp_close(st);
	/* By the ctime the crawl saw, not by what a stat says now. */
	CHECK(f->seq < e->seq);
	CHECK_EQ_INT(f->wtime_ns, 100);
	teardown();
}

void
stamp_found_not_asked_if_gone_since(void)
{
	struct rec	*f, *e;

	setup();
	file("e", 200);		/* f deleted since: the next drain's event */
	f = found("f", 100, 0);
	e = wr("e", 1, 0, 0);
	stamp_close(st);
	CHECK(f->exists);
	CHECK(f->seq < e->seq);
	CHECK_EQ_UINT(stamp_ties(st), 0);
	teardown();
}

void
stamp_event_forgets_found_ctime(void)
{
	struct rec	*f, *e;

	setup();
	file("f", 300);
	file("e", 200);
	f = found("f", 100, 0);
	CHECK(f->fresh);
	wr("f", 1, 0, 0);	/* written after the crawl's stat */
	CHECK(!f->fresh);	/* the commit must stat it (batch.c) */
	e = wr("e", 1, 0, 0);
	stamp_close(st);
	/* Its ctime is read again: 300, after e. */
	CHECK(e->seq < f->seq);
	teardown();
}

void
stamp_found_not_before_raises_ctime(void)
{
	struct rec	*f, *t;

	setup();
	file("f", 100);
	file("t", 300);
	/* Moved in at 500: the ctime the crawl saw (100) is days older. */
	f = found("f", 100, 500);
	t = wr("t", 1, 0, 0);
	stamp_close(st);
	CHECK(t->seq < f->seq);
	teardown();
}

/*
 * A crawl's drain of thousands of finds in no ctime order (the log is
 * sorted through a permutation, moved cycle by cycle): seqs follow the
 * ctimes exactly, equal ctimes sharing one; and a second drain, whose
 * queue order starts again, is ordered the same way after the first.
 */
void
stamp_large_crawl_sorted(void)
{
	struct rec	*r[3000];
	char		 path[32];
	uint32_t	 x = 12345;
	uint64_t	 last_seq = 0;
	size_t		 i, j, n = sizeof r / sizeof *r, bad = 0;
	int		 round;

	setup();
	for (round = 0; round < 2; round++) {
		for (i = 0; i < n; i++) {
			snprintf(path, sizeof path, "d%d/f%zu", round, i);
			r[i] = index_get(ix, path);
			x = x * 1103515245u + 12345u;
			r[i]->ctime_ns = (int64_t)1000 * round + 1 +
			    (x >> 16) % 700;
			stamp_found(st, r[i], 1, 0);
		}
		stamp_close(st);
		for (i = 0; i < n; i++) {
			if (r[i]->seq <= last_seq)
				bad++;
			for (j = i + 1; j < n; j += 7) {
				if ((r[i]->wtime_ns < r[j]->wtime_ns) !=
				    (r[i]->seq < r[j]->seq) ||
				    (r[i]->wtime_ns == r[j]->wtime_ns) !=
				    (r[i]->seq == r[j]->seq))
					bad++;
			}
		}
		CHECK_EQ_UINT(bad, 0);
		for (i = 0; i < n; i++) {
			if (r[i]->seq > last_seq)
				last_seq = r[i]->seq;
		}
	}
	teardown();
}
