/*
 * The records' memory (index.c): blocks named by 32-bit ids, which the
 * index's slots hold instead of 8-byte pointers, and which never move, so
 * the rest of the daemon keeps borrowing plain pointers to records.
 *
 * Blocks are whole 8-byte units, in slabs of one block size each (no
 * header per block, as malloc has), carved from 1 MiB chunks.  A slab
 * that deletions empty gives its pages back to the system.  A block
 * larger than a slab class is its own mapping.  An id is the chunk's
 * number and the block's unit offset in it; 0 is never an id.
 */
#ifndef SLAB_H
#define SLAB_H

#include <stddef.h>
#include <stdint.h>

#define SLAB_UNIT		8
#define SLAB_CHUNK_SHIFT	20		/* 1 MiB chunks */
#define SLAB_OFF_BITS		(SLAB_CHUNK_SHIFT - 3)
#define SLAB_OFF_MASK		((1u << SLAB_OFF_BITS) - 1)
/* Blocks of up to this many units are in slabs; larger ones are maps. */
#define SLAB_MAX_UNITS		1024

struct slab_class;
struct slab_desc;

struct slab {
	char			**chunks;	/* by number; NULL: unused */
	uint32_t		**pagemap;	/* per chunk: page -> slab + 1,
						   NULL for a large block */
	size_t			  nchunks;
	size_t			  top;		/* bytes carved of the last
						   regular chunk */
	uint32_t		  cur;		/* that chunk's number + 1 */
	struct slab_desc	 *descs;
	size_t			  ndescs;
	size_t			  descs_cap;
	uint32_t		  heads[SLAB_MAX_UNITS + 1]; /* by units: a
						   slab with room, desc + 1 */
	size_t			  blocks;	/* live blocks */
	size_t			  mapped;	/* bytes of chunks and maps */
};

void	 slab_init(struct slab *);
/* Unmap everything: every id is void. */
void	 slab_fini(struct slab *);
/* A zeroed block of at least size bytes, 8-aligned; its id. */
uint32_t slab_alloc(struct slab *, size_t);
/* Give block id back. */
void	 slab_release(struct slab *, uint32_t);

static inline void *
slab_ptr(const struct slab *s, uint32_t id)
{
	return (s->chunks[id >> SLAB_OFF_BITS] +
	    (size_t)(id & SLAB_OFF_MASK) * SLAB_UNIT);
}

#endif
