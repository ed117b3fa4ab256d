/*
 * Unit tests for the rescan back-off (rescan_backoff, daemon/rescan.c):
 * at once after a quiet spell, then doubling from 100 ms up to 3200 ms
 * while overflows keep coming within 10 s of the last rescan's end.
 */
#include <stdint.h>

#include "rescan.h"
#include "unit.h"

void
rescan_backoff_first_at_once(void)
{
	unsigned	ms = 0;

	CHECK_EQ_UINT(rescan_backoff(&ms, 0, 5000), 0);
	CHECK_EQ_UINT(ms, 0);
	ms = 800;	/* a storm long ago */
	CHECK_EQ_UINT(rescan_backoff(&ms, 0, 5000), 0);
	CHECK_EQ_UINT(ms, 0);
}

void
rescan_backoff_quiet_spell_resets(void)
{
	unsigned	ms = 1600;

	/* 10 s after the last rescan ended: a new episode. */
	CHECK_EQ_UINT(rescan_backoff(&ms, 1000, 11000), 0);
	CHECK_EQ_UINT(ms, 0);
	/* Just under: the storm goes on. */
	ms = 1600;
	CHECK_EQ_UINT(rescan_backoff(&ms, 1000, 10999), 3200);
	CHECK_EQ_UINT(ms, 3200);
}

void
rescan_backoff_doubles_to_cap(void)
{
	static const unsigned	want[] = { 100, 200, 400, 800, 1600, 3200,
	    3200, 3200 };
	unsigned		ms = 0;
	size_t			i;

	for (i = 0; i < sizeof want / sizeof want[0]; i++) {
		CHECK_EQ_UINT(rescan_backoff(&ms, 1000, 1500 + i), want[i]);
		CHECK_EQ_UINT(ms, want[i]);
	}
}
