/*
 * The shared image's table (see image.h): one hash, the daemon's insert
 * and remove, and the lock-free lookup of the exec preload library.
 * Linked into depcheckd and into the preload library.
 *
 * The reader loads every shared field with a relaxed atomic load between
 * two acquire loads of the generation: the writer makes it odd (release)
 * before it changes a slot and even again after, so a copy taken while
 * the generation stayed even and unchanged is one the writer published.
 */
#include <sched.h>
#include <string.h>

#include "image.h"

/* How often a reader retries (yielding) while the writer is busy. */
#define IMAGE_RETRIES	10000

#define LOAD(p)		__atomic_load_n((p), __ATOMIC_RELAXED)

uint64_t
image_hash(uint64_t dev, uint64_t ino)
{
	uint64_t	h = ino * 0x9e3779b97f4a7c15ULL ^ dev;

	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	return (h);
}

void
image_write_begin(struct image_hdr *h)
{
	__atomic_store_n(&h->gen, h->gen + 1, __ATOMIC_RELAXED);
	/* The odd generation is visible before any slot changes. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

void
image_write_end(struct image_hdr *h)
{
	__atomic_store_n(&h->gen, h->gen + 1, __ATOMIC_RELEASE);
}

static struct image_ent *
image_slots(struct image_hdr *h)
{
	return ((struct image_ent *)(void *)(h + 1));
}

struct image_ent *
image_slot(struct image_hdr *h, uint64_t dev, uint64_t ino)
{
	struct image_ent	*s = image_slots(h);
	uint64_t		 i, n;

	i = image_hash(dev, ino) % h->nslots;
	for (n = 0; n < h->nslots; n++, i = i + 1 == h->nslots ? 0 : i + 1) {
		if (s[i].tag == 0)
			return (NULL);
		if ((s[i].tag & IMAGE_LIVE) && s[i].dev == dev &&
		    s[i].ino == ino)
			return (&s[i]);
	}
	return (NULL);
}

int
image_put(struct image_hdr *h, const struct image_ent *e)
{
	struct image_ent	*s = image_slots(h), *t;
	uint64_t		 i;

	if ((t = image_slot(h, e->dev, e->ino)) != NULL) {
		*t = *e;
		t->tag = (e->tag & ~(uint32_t)(IMAGE_LIVE | IMAGE_TOMB)) |
		    IMAGE_LIVE;
		return (0);
	}
	/* Keep a quarter empty: probes of absent keys stay short. */
	if ((h->used + 1) * 4 > h->nslots * 3)
		return (-1);
	i = image_hash(e->dev, e->ino) % h->nslots;
	while (s[i].tag & IMAGE_LIVE)
		i = i + 1 == h->nslots ? 0 : i + 1;
	if (s[i].tag == 0)
		h->used++;
	s[i] = *e;
	s[i].tag = (e->tag & ~(uint32_t)(IMAGE_LIVE | IMAGE_TOMB)) |
	    IMAGE_LIVE;
	h->count++;
	return (0);
}

void
image_remove(struct image_hdr *h, uint64_t dev, uint64_t ino,
    uint32_t hash)
{
	struct image_ent	*t;

	if ((t = image_slot(h, dev, ino)) == NULL || !IMAGE_OWNED_BY(t, hash))
		return;
	memset(t, 0, sizeof *t);
	t->tag = IMAGE_TOMB;
	h->count--;
}

int
image_check(const void *p, size_t size, const char **cause)
{
	const struct image_hdr	*h = p;
	uint64_t		 nslots;

	if (size < sizeof *h) {
		*cause = "shorter than its header";
		return (-1);
	}
	if (memcmp(h->magic, IMAGE_MAGIC, sizeof h->magic) != 0) {
		*cause = "not a depcheck image";
		return (-1);
	}
	if (LOAD(&h->version) != IMAGE_VERSION ||
	    LOAD(&h->ent_size) != sizeof(struct image_ent)) {
		*cause = "written by another version of depcheckd";
		return (-1);
	}
	nslots = LOAD(&h->nslots);
	if (nslots == 0 ||
	    nslots > (size - sizeof *h) / sizeof(struct image_ent)) {
		*cause = "its table does not fit the file";
		return (-1);
	}
	return (0);
}

/* Copy slot i of the table at p with relaxed loads. */
static void
image_copy(const struct image_ent *s, struct image_ent *out)
{
	out->dev = LOAD(&s->dev);
	out->ino = LOAD(&s->ino);
	out->ctime_ns = LOAD(&s->ctime_ns);
	out->presented_ns = LOAD(&s->presented_ns);
	out->tag = LOAD(&s->tag);
}

/* One attempt at a lookup, with the generation it started at. */
static enum image_result
image_probe(const struct image_hdr *h, size_t size, uint64_t dev,
    uint64_t ino, struct image_ent *out)
{
	const struct image_ent	*s = (const struct image_ent *)(h + 1);
	uint64_t		 nslots, i, n;

	nslots = LOAD(&h->nslots);
	if (nslots == 0 || nslots > (size - sizeof *h) / sizeof *s)
		return (IMAGE_BAD);
	i = image_hash(dev, ino) % nslots;
	for (n = 0; n < nslots; n++, i = i + 1 == nslots ? 0 : i + 1) {
		image_copy(&s[i], out);
		if (out->tag == 0)
			return (IMAGE_ABSENT);
		if ((out->tag & IMAGE_LIVE) && out->dev == dev &&
		    out->ino == ino)
			return (IMAGE_FOUND);
	}
	return (IMAGE_ABSENT);
}

enum image_result
image_lookup(const void *p, size_t size, uint64_t dev, uint64_t ino,
    struct image_ent *out)
{
	const struct image_hdr	*h = p;
	enum image_result	 rc;
	uint64_t		 g1, g2;
	int			 try;

	for (try = 0; try < IMAGE_RETRIES; try++) {
		g1 = __atomic_load_n(&h->gen, __ATOMIC_ACQUIRE);
		if (g1 & 1) {
			sched_yield();
			continue;
		}
		rc = image_probe(h, size, dev, ino, out);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		g2 = __atomic_load_n(&h->gen, __ATOMIC_RELAXED);
		if (g1 == g2)
			return (rc);
	}
	return (IMAGE_BUSY);
}

enum image_result
image_read_hdr(const void *p, size_t size, uint64_t *retired,
    uint64_t *max_seq, int64_t *max_presented)
{
	const struct image_hdr	*h = p;
	uint64_t		 g1, g2;
	int			 try;

	if (size < sizeof *h)
		return (IMAGE_BAD);
	for (try = 0; try < IMAGE_RETRIES; try++) {
		g1 = __atomic_load_n(&h->gen, __ATOMIC_ACQUIRE);
		if (g1 & 1) {
			sched_yield();
			continue;
		}
		*retired = LOAD(&h->retired);
		*max_seq = LOAD(&h->max_seq);
		*max_presented = LOAD(&h->max_presented);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		g2 = __atomic_load_n(&h->gen, __ATOMIC_RELAXED);
		if (g1 == g2)
			return (IMAGE_FOUND);
	}
	return (IMAGE_BUSY);
}
