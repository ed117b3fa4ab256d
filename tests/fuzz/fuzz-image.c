/*
 * libFuzzer target: the reader side of the shared image (proto/image.c),
 * as the exec preload library meets ROOT/.depcheck/image: the input is
 * the whole mapped file, copied to an aligned buffer of exactly its size
 * so that ASan sees any read past the end.  image_check must refuse what
 * does not fit; once it accepts, image_lookup and image_read_hdr must
 * stay inside the mapping and end whatever the bytes say, and a lookup
 * must find what a plain walk of the probe sequence finds.
 *
 * The generation is made even first: with no writer running, an odd one
 * only makes each call yield IMAGE_RETRIES times and answer IMAGE_BUSY
 * without reading the table (tests/unit/test-image.c covers that).  The
 * header's reserved words, which readers ignore, carry one more key (0
 * and 1) and an nslots (2) that replaces the checked one, as a writer
 * changing the header after the check would.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Keys to look up: a few of the table's own, and the header's. */
#define FUZZ_TABLE_KEYS	4

/* What image_probe does, without atomics or retries: the expected answer. */
static enum image_result
fuzz_walk(const struct image_hdr *h, uint64_t dev, uint64_t ino,
    const struct image_ent **found)
{
	const struct image_ent	*s = (const struct image_ent *)(h + 1);
	uint64_t		 i, n;

	i = image_hash(dev, ino) % h->nslots;
	for (n = 0; n < h->nslots; n++, i = i + 1 == h->nslots ? 0 : i + 1) {
		if (s[i].tag == 0)
			return (IMAGE_ABSENT);
		if ((s[i].tag & IMAGE_LIVE) && s[i].dev == dev &&
		    s[i].ino == ino) {
			*found = &s[i];
			return (IMAGE_FOUND);
		}
	}
	return (IMAGE_ABSENT);
}

/* Look dev and ino up in the checked image h; abort if it goes wrong. */
static void
fuzz_lookup(const struct image_hdr *h, size_t size, uint64_t dev,
    uint64_t ino)
{
	const struct image_ent	*want = NULL;
	struct image_ent	 e;
	enum image_result	 rc;

	rc = image_lookup(h, size, dev, ino, &e);
	if (rc != fuzz_walk(h, dev, ino, &want))
		abort();
	if (rc == IMAGE_FOUND && (want == NULL ||
	    memcmp(&e, want, sizeof e) != 0))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct image_hdr	*h;
	const struct image_ent	*s;
	struct image_ent	 e;
	const char		*cause;
	uint64_t		 retired, max_seq, nslots, i, nkeys;
	int64_t			 max_presented;
	void			*p;

	/* malloc's alignment is the mapping's, as far as loads care. */
	p = malloc(size == 0 ? 1 : size);
	memcpy(p, data, size);
	h = p;
	if (size >= sizeof *h)
		h->gen &= ~(uint64_t)1;

	/* The header alone may be read, checked or not. */
	if (image_read_hdr(p, size, &retired, &max_seq, &max_presented) ==
	    IMAGE_FOUND && (size < sizeof *h || retired != h->retired ||
	    max_seq != h->max_seq || max_presented != h->max_presented))
		abort();
	cause = NULL;
	if (image_check(p, size, &cause) != 0) {
		if (cause == NULL)
			abort();
		free(p);
		return (0);
	}
	if (size < sizeof *h || size < IMAGE_SIZE(h->nslots))
		abort();	/* accepted slots the buffer does not hold */

	/* Keys of the first few used slots, then of the header. */
	s = (const struct image_ent *)(h + 1);
	nslots = h->nslots;
	for (i = 0, nkeys = 0; i < nslots && nkeys < FUZZ_TABLE_KEYS; i++) {
		if (s[i].tag != 0) {
			fuzz_lookup(h, size, s[i].dev, s[i].ino);
			nkeys++;
		}
	}
	fuzz_lookup(h, size, h->reserved[0], h->reserved[1]);
	fuzz_lookup(h, size, 0, 0);

	/* nslots changed after the check: IMAGE_BAD unless it still fits. */
	if (h->reserved[2] != 0) {
		h->nslots = h->reserved[2];
		if (image_check(p, size, &cause) == 0)
			fuzz_lookup(h, size, h->reserved[0], h->reserved[1]);
		else if (image_lookup(p, size, h->reserved[0], h->reserved[1],
		    &e) != IMAGE_BAD)
			abort();
	}
	free(p);
	return (0);
}
