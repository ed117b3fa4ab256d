/*
 * Unit tests for scan_floor (daemon/scan.c): the earliest ctime a file
 * written at or after a moment can have, one coarse clock tick earlier,
 * rounded down to the file system's timestamp granularity.
 */
#include <stdint.h>

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
