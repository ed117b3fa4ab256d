/*
 * The records' memory (see slab.h).  Called by index.c only.
 *
 * A slab is one page (or a few, so that it holds at least eight blocks)
 * of blocks of one size, described outside itself (struct slab_desc), so
 * that an emptied slab's pages can go back to the system with nothing of
 * the allocator's in them.  A slab hands out its blocks from the start
 * (used), then from its free list, which runs through the free blocks'
 * first four bytes.  The slabs of one size with room are a list (heads);
 * one slab that empties stays warm, the others give their pages back.
 *
 * Chunk 0's first page is never carved, so no block has id 0.  A block
 * of more than SLAB_MAX_UNITS units is a mapping of its own, a chunk
 * whose pagemap is NULL: its size is kept in the mapping's first bytes
 * and the block starts after them.
 */
#include <sys/mman.h>

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "log.h"
#include "slab.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLAB_ASAN	1
#endif
#endif
#if !defined(SLAB_ASAN) && defined(__SANITIZE_ADDRESS__)
#define SLAB_ASAN	1
#endif
#ifdef SLAB_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n)	ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n)	ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n)	((void)(p), (void)(n))
#define UNPOISON(p, n)	((void)(p), (void)(n))
#endif

#define SLAB_PAGE	4096
#define SLAB_CHUNK	((size_t)1 << SLAB_CHUNK_SHIFT)
#define SLAB_PAGES	(SLAB_CHUNK / SLAB_PAGE)
#define SLAB_MAX_CHUNKS	((size_t)1 << (32 - SLAB_OFF_BITS))
/* A large block's mapping starts with its size; the block follows. */
#define SLAB_LARGE_HDR	16

struct slab_desc {
	uint32_t	chunk;
	uint32_t	off;		/* bytes into the chunk */
	uint16_t	units;		/* of each block */
	uint16_t	nblocks;
	uint16_t	live;
	uint16_t	used;		/* blocks handed out from the start */
	uint32_t	free;		/* first free block + 1, or 0 */
	uint32_t	next;		/* in heads[units]: desc + 1, or 0 */
	uint32_t	prev;
	uint8_t		listed;
};

void
slab_init(struct slab *s)
{
	memset(s, 0, sizeof *s);
}

static size_t
slab_bytes(unsigned units)
{
	size_t	want = (size_t)units * SLAB_UNIT * 8;

	return ((want + SLAB_PAGE - 1) / SLAB_PAGE * SLAB_PAGE);
}

static void *
slab_map(size_t len)
{
	void	*p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		fatal("cannot map %zu bytes for records", len);
	return (p);
}

/* A chunk number for p: an unused one, or the next. */
static uint32_t
slab_chunk_new(struct slab *s, char *p, uint32_t *pagemap)
{
	size_t	i;

	for (i = 0; i < s->nchunks; i++) {
		if (s->chunks[i] == NULL)
			break;
	}
	if (i == s->nchunks) {
		if (s->nchunks == SLAB_MAX_CHUNKS)
			fatalx("more records than %zu chunks hold",
			    SLAB_MAX_CHUNKS);
		s->chunks = xreallocarray(s->chunks, s->nchunks + 1,
		    sizeof *s->chunks);
		s->pagemap = xreallocarray(s->pagemap, s->nchunks + 1,
		    sizeof *s->pagemap);
		s->nchunks++;
	}
	s->chunks[i] = p;
	s->pagemap[i] = pagemap;
	return ((uint32_t)i);
}

static void
slab_unlist(struct slab *s, struct slab_desc *d)
{
	uint32_t	self = (uint32_t)(d - s->descs) + 1;

	if (d->prev != 0)
		s->descs[d->prev - 1].next = d->next;
	else if (s->heads[d->units] == self)
		s->heads[d->units] = d->next;
	if (d->next != 0)
		s->descs[d->next - 1].prev = d->prev;
	d->next = d->prev = 0;
	d->listed = 0;
}

static void
slab_list(struct slab *s, struct slab_desc *d)
{
	uint32_t	self = (uint32_t)(d - s->descs) + 1;

	d->prev = 0;
	d->next = s->heads[d->units];
	if (d->next != 0)
		s->descs[d->next - 1].prev = self;
	s->heads[d->units] = self;
	d->listed = 1;
}

/* A new slab for blocks of units, listed; its descriptor's index. */
static uint32_t
slab_carve(struct slab *s, unsigned units)
{
	struct slab_desc	*d;
	size_t			 bytes = slab_bytes(units), i;
	uint32_t		 c;

	if (s->cur == 0 || s->top + bytes > SLAB_CHUNK) {
		c = slab_chunk_new(s, slab_map(SLAB_CHUNK),
		    xcalloc(SLAB_PAGES, sizeof **s->pagemap));
		s->mapped += SLAB_CHUNK;
		s->cur = c + 1;
		s->top = c == 0 ? SLAB_PAGE : 0;
		POISON(s->chunks[c], SLAB_CHUNK);
	}
	c = s->cur - 1;
	if (s->ndescs == s->descs_cap) {
		s->descs_cap = s->descs_cap == 0 ? 64 : s->descs_cap * 2;
		s->descs = xreallocarray(s->descs, s->descs_cap,
		    sizeof *s->descs);
	}
	d = &s->descs[s->ndescs];
	memset(d, 0, sizeof *d);
	d->chunk = c;
	d->off = (uint32_t)s->top;
	d->units = (uint16_t)units;
	d->nblocks = (uint16_t)(bytes / ((size_t)units * SLAB_UNIT));
	for (i = 0; i < bytes / SLAB_PAGE; i++)
		s->pagemap[c][s->top / SLAB_PAGE + i] = (uint32_t)s->ndescs + 1;
	s->top += bytes;
	slab_list(s, d);
	return ((uint32_t)s->ndescs++);
}

static uint32_t
slab_alloc_large(struct slab *s, size_t size)
{
	size_t	 len = (SLAB_LARGE_HDR + size + SLAB_PAGE - 1) / SLAB_PAGE *
		    SLAB_PAGE;
	char	*p = slab_map(len);

	memcpy(p, &len, sizeof len);
	s->mapped += len;
	s->blocks++;
	return (slab_chunk_new(s, p, NULL) << SLAB_OFF_BITS |
	    SLAB_LARGE_HDR / SLAB_UNIT);
}

uint32_t
slab_alloc(struct slab *s, size_t size)
{
	struct slab_desc	*d;
	size_t			 units = (size + SLAB_UNIT - 1) / SLAB_UNIT;
	uint32_t		 idx;
	char			*block;

	if (units > SLAB_MAX_UNITS)
		return (slab_alloc_large(s, size));
	if (units == 0)
		units = 1;
	if (s->heads[units] == 0)
		(void)slab_carve(s, (unsigned)units);
	d = &s->descs[s->heads[units] - 1];
	if (d->free != 0) {
		idx = d->free - 1;
		block = s->chunks[d->chunk] + d->off +
		    (size_t)idx * units * SLAB_UNIT;
		UNPOISON(block, units * SLAB_UNIT);
		memcpy(&d->free, block, sizeof d->free);
	} else {
		idx = d->used++;
		block = s->chunks[d->chunk] + d->off +
		    (size_t)idx * units * SLAB_UNIT;
		UNPOISON(block, units * SLAB_UNIT);
	}
	memset(block, 0, units * SLAB_UNIT);
	if (++d->live == d->nblocks)
		slab_unlist(s, d);
	s->blocks++;
	return (d->chunk << SLAB_OFF_BITS |
	    (uint32_t)((block - s->chunks[d->chunk]) / SLAB_UNIT));
}

void
slab_release(struct slab *s, uint32_t id)
{
	struct slab_desc	*d;
	uint32_t		 c = id >> SLAB_OFF_BITS, idx;
	size_t			 off = (size_t)(id & SLAB_OFF_MASK) * SLAB_UNIT;
	size_t			 len;
	char			*block = slab_ptr(s, id);

	s->blocks--;
	if (s->pagemap[c] == NULL) {
		memcpy(&len, s->chunks[c], sizeof len);
		munmap(s->chunks[c], len);
		s->mapped -= len;
		s->chunks[c] = NULL;
		return;
	}
	d = &s->descs[s->pagemap[c][off / SLAB_PAGE] - 1];
	idx = (uint32_t)((off - d->off) / ((size_t)d->units * SLAB_UNIT));
	memcpy(block, &d->free, sizeof d->free);
	d->free = idx + 1;
	POISON(block, (size_t)d->units * SLAB_UNIT);
	d->live--;
	if (!d->listed)
		slab_list(s, d);
	/*
	 * Emptied: its pages go back, unless it is its size's only slab
	 * with room (a record made and forgotten over and over would make
	 * and unmake the page).  Its free list went with the pages.
	 */
	if (d->live == 0 && (s->heads[d->units] != (uint32_t)(d - s->descs) +
	    1 || d->next != 0)) {
		(void)madvise(s->chunks[d->chunk] + d->off,
		    slab_bytes(d->units), MADV_DONTNEED);
		d->free = 0;
		d->used = 0;
	}
}

void
slab_fini(struct slab *s)
{
	size_t	i, len;

	for (i = 0; i < s->nchunks; i++) {
		if (s->chunks[i] == NULL)
			continue;
		if (s->pagemap[i] == NULL)
			memcpy(&len, s->chunks[i], sizeof len);
		else
			len = SLAB_CHUNK;
		UNPOISON(s->chunks[i], len);
		munmap(s->chunks[i], len);
		free(s->pagemap[i]);
	}
	free(s->chunks);
	free(s->pagemap);
	free(s->descs);
	slab_init(s);
}
