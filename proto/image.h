/*
 * The shared image: a file, ROOT/.depcheck/image, that depcheckd maps
 * read-write and publishes its index into, and that the exec preload
 * library (client/preload.c) maps read-only, so that a build tool's stat
 * costs no round trip (DESIGN section 10).  This header is the contract;
 * image.c holds the code both sides share: the hash, the writer's insert
 * and remove, and the reader's lookup.  PROTOCOL.md describes the layout.
 *
 * The file is a header and a hash table of entries keyed by (dev, ino),
 * open addressing with linear probing.  The writer is the daemon's one
 * thread; readers take no lock: the header's generation is odd while the
 * writer changes the table (a seqlock), and a reader that sees it change
 * under it reads again.  A table too small for the index is not grown in
 * place: the daemon writes a new file, renames it over the old one and
 * marks the old one retired, and readers open the file again.  Readers
 * treat every byte as untrusted: the reader's functions bound every index
 * and every probe by what they mapped.
 */
#ifndef IMAGE_H
#define IMAGE_H

#include <stddef.h>
#include <stdint.h>

/* bump when the layout below changes */
#define IMAGE_VERSION		3
#define IMAGE_MAGIC		"DCIMAGE\0"

struct image_hdr {
	char		magic[8];	/* IMAGE_MAGIC */
	uint32_t	version;	/* IMAGE_VERSION */
	uint32_t	ent_size;	/* sizeof(struct image_ent) */
	uint64_t	gen;		/* seqlock: odd while being written */
	uint64_t	nslots;		/* any but 0 */
	uint64_t	retired;	/* 1: replaced by a newer file */
	uint64_t	count;		/* live entries */
	uint64_t	used;		/* live entries and tombstones */
	uint64_t	max_seq;	/* highest seq published */
	int64_t		max_presented;	/* highest presented time published */
	uint64_t	pid;		/* the daemon's */
	uint64_t	reserved[6];
};

/*
 * An entry, 32 bytes; a slot whose tag is 0 is empty.  dev is the
 * kernel's dev_t, which is 32 bits (st_dev of a larger value is never
 * published).  tag holds the IMAGE_* flags in its low bits and, above
 * them, the hash of the relpath that put the entry (its owner: of two
 * hard links, only the one that put an entry removes it).
 */
struct image_ent {
	uint32_t	dev;
	uint32_t	tag;		/* IMAGE_* | owner hash */
	uint64_t	ino;
	int64_t		ctime_ns;	/* the record's, guards against news */
	int64_t		presented_ns;	/* modification time to present */
};

#define IMAGE_LIVE		0x1	/* an entry */
#define IMAGE_TOMB		0x2	/* was an entry: probes go past it */
#define IMAGE_TIED		0x4	/* shares its seq with another entry:
					   a crawl's group of equal ctimes */
#define IMAGE_FLAGS		0x7
/* The owner part of a tag for a relpath hash. */
#define IMAGE_OWNER(hash)	((uint32_t)(hash) & ~(uint32_t)IMAGE_FLAGS)
/* Did the relpath of this hash put e? */
#define IMAGE_OWNED_BY(e, hash)	(IMAGE_OWNER((e)->tag) == IMAGE_OWNER(hash))

/* The size of a file holding nslots entries. */
#define IMAGE_SIZE(nslots)	(sizeof(struct image_hdr) + \
				 (size_t)(nslots) * sizeof(struct image_ent))

/* The slot a (dev, ino) probe starts at, modulo nslots. */
uint64_t	 image_hash(uint64_t, uint64_t);

/*
 * Writer side (the daemon; no other writer exists).  Between
 * image_write_begin and image_write_end readers retry.
 */
void		 image_write_begin(struct image_hdr *);
void		 image_write_end(struct image_hdr *);
/*
 * Put e, whose tag holds its owner and flags but IMAGE_LIVE and
 * IMAGE_TOMB, into the table (replacing the entry of the same dev and
 * ino).  Returns 0, or -1 when the table is too full (more than 3/4
 * used): the caller then builds a larger one.
 */
int		 image_put(struct image_hdr *, const struct image_ent *);
/* Remove the entry of dev and ino if its owner is IMAGE_OWNER(hash). */
void		 image_remove(struct image_hdr *, uint64_t, uint64_t,
		     uint32_t);
/* The writer's own lookup (no seqlock); NULL when absent. */
struct image_ent *image_slot(struct image_hdr *, uint64_t, uint64_t);

/*
 * Reader side.  image_check: is the mapping of size bytes at p a table
 * this version can read?  0, or -1 with a static cause.
 */
int		 image_check(const void *, size_t, const char **);

enum image_result {
	IMAGE_FOUND,		/* *out holds a consistent copy */
	IMAGE_ABSENT,		/* no entry for dev and ino */
	IMAGE_BUSY,		/* the writer kept changing it: try later */
	IMAGE_BAD,		/* the table is damaged: stop using it */
};

/*
 * Look dev and ino up in the image mapped at p (size bytes, already
 * checked with image_check).  Lock-free; bounded by nslots probes and a
 * fixed number of retries.
 */
enum image_result image_lookup(const void *, size_t, uint64_t, uint64_t,
		     struct image_ent *);
/* A consistent read of the header's retired, max_seq and max_presented. */
enum image_result image_read_hdr(const void *, size_t, uint64_t *,
		     uint64_t *, int64_t *);

#endif
