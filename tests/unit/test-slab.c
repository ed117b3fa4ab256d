/*
 * Unit tests for daemon/slab.c: the records' memory.  Blocks of every
 * size class and beyond are distinct, aligned, zeroed and stay where they
 * are; a released block is handed out again; an emptied slab's pages go
 * back to the system (mincore), but for one kept warm per size.
 */
#include <sys/mman.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "slab.h"
#include "unit.h"

#define SL_N	3000

/* Fill block id of size bytes with its own byte pattern. */
static void
sl_fill(struct slab *s, uint32_t id, size_t size)
{
	memset(slab_ptr(s, id), (int)(id * 7 + size) & 0xff, size);
}

/* Is block id's pattern intact? */
static int
sl_intact(struct slab *s, uint32_t id, size_t size)
{
	const unsigned char	*p = slab_ptr(s, id);
	size_t			 i;

	for (i = 0; i < size; i++) {
		if (p[i] != ((id * 7 + size) & 0xff))
			return (0);
	}
	return (1);
}

static int
sl_zeroed(struct slab *s, uint32_t id, size_t size)
{
	const unsigned char	*p = slab_ptr(s, id);
	size_t			 i;

	for (i = 0; i < size; i++) {
		if (p[i] != 0)
			return (0);
	}
	return (1);
}

/* The size of the i-th test block: every class, and some large ones. */
static size_t
sl_size(int i)
{
	if (i % 97 == 0)
		return ((size_t)SLAB_MAX_UNITS * SLAB_UNIT + 1 + (size_t)i);
	return (1 + (size_t)(i * 13) % (SLAB_MAX_UNITS * SLAB_UNIT));
}

void
slab_blocks_distinct_and_kept(void)
{
	struct slab	 s;
	uint32_t	*ids;
	int		 i, bad = 0;

	slab_init(&s);
	ids = calloc(SL_N, sizeof *ids);
	CHECK(ids != NULL);
	for (i = 0; i < SL_N; i++) {
		ids[i] = slab_alloc(&s, sl_size(i));
		CHECK(ids[i] != 0);
		CHECK_EQ_UINT((uintptr_t)slab_ptr(&s, ids[i]) % 8, 0);
		if (!sl_zeroed(&s, ids[i], sl_size(i)))
			bad++;
		sl_fill(&s, ids[i], sl_size(i));
	}
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_UINT(s.blocks, SL_N);
	/* No block wrote over another. */
	for (i = 0; i < SL_N; i++) {
		if (!sl_intact(&s, ids[i], sl_size(i)))
			bad++;
	}
	CHECK_EQ_INT(bad, 0);
	/* Every other one released: the rest stay where they were. */
	for (i = 0; i < SL_N; i += 2)
		slab_release(&s, ids[i]);
	CHECK_EQ_UINT(s.blocks, SL_N / 2);
	for (i = 1; i < SL_N; i += 2) {
		if (!sl_intact(&s, ids[i], sl_size(i)))
			bad++;
	}
	CHECK_EQ_INT(bad, 0);
	for (i = 1; i < SL_N; i += 2)
		slab_release(&s, ids[i]);
	CHECK_EQ_UINT(s.blocks, 0);
	slab_fini(&s);
	free(ids);
}

/* A released block is the next of its size, zeroed again. */
void
slab_release_reuses(void)
{
	struct slab	s;
	uint32_t	a, b, c;

	slab_init(&s);
	a = slab_alloc(&s, 70);
	b = slab_alloc(&s, 70);
	sl_fill(&s, a, 70);
	slab_release(&s, a);
	c = slab_alloc(&s, 72);		/* the same 9 units */
	CHECK_EQ_UINT(c, a);
	CHECK(sl_zeroed(&s, c, 72));
	CHECK(c != b);
	/* Another size does not take it. */
	slab_release(&s, c);
	CHECK(slab_alloc(&s, 80) != a);
	slab_fini(&s);
}

/* How many of the pages at p (len bytes) are resident. */
static size_t
sl_resident(const void *p, size_t len)
{
	size_t		 page = (size_t)sysconf(_SC_PAGESIZE);
	size_t		 n = (len + page - 1) / page, i, in = 0;
	unsigned char	*vec = calloc(n, 1);

	CHECK(vec != NULL);
	CHECK_EQ_INT(mincore((void *)(uintptr_t)p, len, vec), 0);
	for (i = 0; i < n; i++)
		in += vec[i] & 1;
	free(vec);
	return (in);
}

/*
 * 40 slabs of 72-byte blocks, emptied: all but one give their pages
 * back.  The blocks are in one chunk: from the first to the last block.
 */
void
slab_emptied_pages_returned(void)
{
	struct slab	 s;
	uint32_t	 ids[56 * 40];
	size_t		 n = sizeof ids / sizeof *ids, i, span, before;
	char		*lo, *hi;

	slab_init(&s);
	for (i = 0; i < n; i++) {
		ids[i] = slab_alloc(&s, 72);
		sl_fill(&s, ids[i], 72);
	}
	lo = slab_ptr(&s, ids[0]);
	hi = (char *)slab_ptr(&s, ids[n - 1]) + 72;
	CHECK(hi > lo);
	span = (size_t)(hi - lo);
	before = sl_resident(lo, span);
	CHECK(before >= 39);
	for (i = 0; i < n; i++)
		slab_release(&s, ids[i]);
	CHECK(sl_resident(lo, span) <= 1);
	/* And they are handed out again, zeroed. */
	for (i = 0; i < n; i++) {
		ids[i] = slab_alloc(&s, 72);
		CHECK(sl_zeroed(&s, ids[i], 72));
	}
	slab_fini(&s);
}

/* A block past the classes is a mapping of its own, unmapped when let go. */
void
slab_large_block(void)
{
	struct slab	s;
	uint32_t	id;
	size_t		size = 300000, base;

	slab_init(&s);
	(void)slab_alloc(&s, 64);
	base = s.mapped;
	id = slab_alloc(&s, size);
	CHECK(id != 0);
	CHECK(s.mapped >= base + size);
	CHECK(sl_zeroed(&s, id, size));
	sl_fill(&s, id, size);
	CHECK(sl_intact(&s, id, size));
	slab_release(&s, id);
	CHECK_EQ_UINT(s.mapped, base);
	slab_fini(&s);
}
