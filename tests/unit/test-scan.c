/*
 * Unit tests for scan_floor (daemon/scan.c): the earliest ctime a file
 * written at or after a moment can have, one coarse clock tick earlier,
 * rounded down to the file system's timestamp granularity; and for
 * scan_settled_at, the moment a clean stop may end.
 */
#include <stdint.h>

#include "index.h"
#include "scan.h"
#include "unit.h"

#define SEC	1000000000LL
#define MS	1000000LL
#define ROOTDEV	2049

static const struct scan_clock	coarse = { ROOTDEV, SEC, 4 * MS };
static const struct scan_clock	fine = { ROOTDEV, 1, 4 * MS };

void
scan_floor_one_tick_earlier(void)
{
	/* Nanosecond timestamps: exactly one tick before. */
	CHECK_EQ_INT(scan_floor(&fine, ROOTDEV, 10 * SEC + 500 * MS),
	    10 * SEC + 496 * MS);
	CHECK_EQ_INT(scan_floor(&fine, ROOTDEV, 10 * SEC),
	    10 * SEC - 4 * MS);
}

void
scan_floor_rounds_down_to_granularity(void)
{
	CHECK_EQ_INT(scan_floor(&coarse, ROOTDEV, 10 * SEC + 500 * MS),
	    10 * SEC);
	/* The tick reaches back into the second before. */
	CHECK_EQ_INT(scan_floor(&coarse, ROOTDEV, 10 * SEC + 3 * MS),
	    9 * SEC);
	CHECK_EQ_INT(scan_floor(&coarse, ROOTDEV, 10 * SEC + 4 * MS),
	    10 * SEC);
}

void
scan_floor_other_device_two_seconds(void)
{
	/* Off the root's file system, 2 s is assumed (FAT). */
	CHECK_EQ_INT(scan_floor(&fine, ROOTDEV + 1, 11 * SEC + 500 * MS),
	    10 * SEC);
	CHECK_EQ_INT(scan_floor(&coarse, ROOTDEV + 1, 13 * SEC), 12 * SEC);
}

void
scan_floor_never_negative(void)
{
	CHECK_EQ_INT(scan_floor(&fine, ROOTDEV, 0), 0);
	CHECK_EQ_INT(scan_floor(&coarse, ROOTDEV, 3 * MS), 0);
	CHECK_EQ_INT(scan_floor(&coarse, ROOTDEV, 4 * MS), 0);
}

/* A record at relpath on device dev with ctime ctime_ns. */
static void
settle_rec(struct index *ix, const char *relpath, uint64_t dev,
    int64_t ctime_ns, int exists)
{
	struct rec	*r = index_get(ix, relpath);

	index_set_dev(r, dev);
	r->ctime_ns = ctime_ns;
	r->exists = (uint8_t)exists;
}

/*
 * A clean stop waits until scan_floor() has passed every recorded ctime
 * (batch_stop): the first such moment, not a nanosecond earlier.
 */
void
scan_settled_at_first_moment_past_every_ctime(void)
{
	struct index	*ix = index_new();
	struct scan	*s;
	int64_t		 t;

	s = scan_new(-1, "/r", ix, NULL, NULL, NULL, &coarse);
	CHECK_EQ_INT(scan_settled_at(s), 0);
	settle_rec(ix, "a", ROOTDEV, 10 * SEC + 300 * MS, 1);
	settle_rec(ix, "b", ROOTDEV, 12 * SEC, 1);
	settle_rec(ix, "gone", ROOTDEV, 50 * SEC, 0);	/* not a file now */
	t = scan_settled_at(s);
	CHECK_EQ_INT(t, 13 * SEC + 4 * MS);
	CHECK(scan_floor(&coarse, ROOTDEV, t) > 12 * SEC);
	CHECK(scan_floor(&coarse, ROOTDEV, t - 1) <= 12 * SEC);
	scan_free(s);

	s = scan_new(-1, "/r", ix, NULL, NULL, NULL, &fine);
	t = scan_settled_at(s);
	CHECK_EQ_INT(t, 12 * SEC + 1 + 4 * MS);
	CHECK(scan_floor(&fine, ROOTDEV, t) > 12 * SEC);
	CHECK(scan_floor(&fine, ROOTDEV, t - 1) <= 12 * SEC);
	/* Off the root's file system, 2 s granularity is assumed. */
	settle_rec(ix, "mnt/c", ROOTDEV + 1, 12 * SEC + 500 * MS, 1);
	CHECK_EQ_INT(scan_settled_at(s), 14 * SEC + 4 * MS);
	scan_free(s);
	index_free(ix);
}
