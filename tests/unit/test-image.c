/*
 * Unit tests for proto/image.c: the daemon's insert and remove, the
 * reader's check and lookup, and the reader's bounds when the bytes it
 * maps are wrong (the reader trusts none of them).
 */
#include <sys/mman.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image.h"
#include "xmalloc.h"
#include "unit.h"

#define DEV	2049	/* any device number */

static struct image_hdr	*img_new(uint64_t, size_t *);
static struct image_ent	 ent(uint32_t, uint64_t, uint64_t, uint32_t);
static uint64_t		 ino_at(uint64_t, uint64_t, uint64_t *);
static void		 check_found(const char *, int,
			     const struct image_hdr *, size_t,
			     const struct image_ent *);
static void		 check_absent(const char *, int,
			     const struct image_hdr *, size_t, uint64_t,
			     uint64_t);
static void		 check_refused(const char *, int, const void *,
			     size_t);

#define CHECK_FOUND(h, size, e)						\
	check_found(__FILE__, __LINE__, (h), (size), (e))
#define CHECK_ABSENT(h, size, dev, ino)					\
	check_absent(__FILE__, __LINE__, (h), (size), (dev), (ino))
#define CHECK_REFUSED(p, size)						\
	check_refused(__FILE__, __LINE__, (p), (size))

/* An empty table of nslots, as publish.c creates one. */
static struct image_hdr *
img_new(uint64_t nslots, size_t *size)
{
	struct image_hdr	*h;

	*size = IMAGE_SIZE(nslots);
	h = xcalloc(1, *size);
	memcpy(h->magic, IMAGE_MAGIC, sizeof h->magic);
	h->version = IMAGE_VERSION;
	h->ent_size = sizeof(struct image_ent);
	h->nslots = nslots;
	return (h);
}

/* A relpath hash whose owner part is n. */
#define OWN(n)	((uint32_t)(n) << 3)

/* An entry with every field set from its key and n, put by OWN(owner). */
static struct image_ent
ent(uint32_t dev, uint64_t ino, uint64_t n, uint32_t owner)
{
	struct image_ent	e;

	memset(&e, 0, sizeof e);
	e.dev = dev;
	e.ino = ino;
	e.ctime_ns = 1000000 + (int64_t)n;
	e.presented_ns = 2000000 + (int64_t)n;
	e.tag = IMAGE_OWNER(OWN(owner));
	return (e);
}

/* The next inode from *from on DEV whose probe starts at slot. */
static uint64_t
ino_at(uint64_t nslots, uint64_t slot, uint64_t *from)
{
	uint64_t	ino;

	for (ino = *from; image_hash(DEV, ino) % nslots != slot; ino++)
		;
	*from = ino + 1;
	return (ino);
}

/* image_lookup finds e, every field of it, marked live. */
static void
check_found(const char *file, int line, const struct image_hdr *h,
    size_t size, const struct image_ent *e)
{
	struct image_ent	out;
	enum image_result	rc;

	memset(&out, 0xa5, sizeof out);
	rc = image_lookup(h, size, e->dev, e->ino, &out);
	unit_check_int(file, line, "image_lookup", "IMAGE_FOUND", rc,
	    IMAGE_FOUND);
	unit_check_uint(file, line, "out.dev", "dev", out.dev, e->dev);
	unit_check_uint(file, line, "out.ino", "ino", out.ino, e->ino);
	unit_check_int(file, line, "out.ctime_ns", "ctime_ns", out.ctime_ns,
	    e->ctime_ns);
	unit_check_int(file, line, "out.presented_ns", "presented_ns",
	    out.presented_ns, e->presented_ns);
	unit_check_uint(file, line, "out.tag", "e->tag | IMAGE_LIVE", out.tag,
	    (e->tag & ~(uint32_t)IMAGE_TOMB) | IMAGE_LIVE);
}

static void
check_absent(const char *file, int line, const struct image_hdr *h,
    size_t size, uint64_t dev, uint64_t ino)
{
	struct image_ent	out;

	unit_check_int(file, line, "image_lookup", "IMAGE_ABSENT",
	    image_lookup(h, size, dev, ino, &out), IMAGE_ABSENT);
}

/* image_check refuses the size bytes at p, with a cause. */
static void
check_refused(const char *file, int line, const void *p, size_t size)
{
	const char	*cause = NULL;

	unit_check_int(file, line, "image_check", "-1",
	    image_check(p, size, &cause), -1);
	if (cause == NULL || *cause == '\0')
		unit_fail(file, line, "image_check refused without a cause");
}

void
image_put_lookup_round_trip(void)
{
	struct image_hdr	*h;
	struct image_ent	 e[3];
	size_t			 size, i;

	h = img_new(16, &size);
	e[0] = ent(DEV, 12, 1, 0x1111);
	e[1] = ent(DEV, 13, 2, 0x2222);
	e[2] = ent(DEV + 1, 12, 3, 0x3333);	/* same inode, other dev */
	e[2].presented_ns = -5;			/* before 1970 is a time */
	for (i = 0; i < 3; i++)
		CHECK_EQ_INT(image_put(h, &e[i]), 0);
	CHECK_EQ_UINT(h->count, 3);
	CHECK_EQ_UINT(h->used, 3);
	for (i = 0; i < 3; i++) {
		CHECK_FOUND(h, size, &e[i]);
		CHECK(image_slot(h, e[i].dev, e[i].ino) != NULL);
	}
	CHECK_ABSENT(h, size, DEV, 14);
	CHECK_ABSENT(h, size, DEV + 2, 12);
	CHECK(image_slot(h, DEV, 14) == NULL);
	/* A device wider than an entry's 32 bits is never found. */
	CHECK_ABSENT(h, size, ((uint64_t)1 << 32) | DEV, 12);
	CHECK(image_slot(h, ((uint64_t)1 << 32) | DEV, 12) == NULL);
	free(h);
}

void
image_put_replaces_same_key(void)
{
	struct image_hdr	*h;
	struct image_ent	 e;
	size_t			 size;

	h = img_new(8, &size);
	e = ent(DEV, 40, 1, 7);
	CHECK_EQ_INT(image_put(h, &e), 0);
	e = ent(DEV, 40, 9, 8);
	e.tag |= IMAGE_TOMB;	/* the writer's flags are its own */
	CHECK_EQ_INT(image_put(h, &e), 0);
	CHECK_EQ_UINT(h->count, 1);
	CHECK_EQ_UINT(h->used, 1);
	CHECK_FOUND(h, size, &e);
	free(h);
}

void
image_remove_matching_owner(void)
{
	struct image_hdr	*h;
	struct image_ent	 e, *s;
	size_t			 size;

	h = img_new(8, &size);
	e = ent(DEV, 40, 1, 7);
	CHECK_EQ_INT(image_put(h, &e), 0);
	s = image_slot(h, DEV, 40);
	CHECK(s != NULL);
	image_remove(h, DEV, 40, OWN(7));
	CHECK_ABSENT(h, size, DEV, 40);
	CHECK(image_slot(h, DEV, 40) == NULL);
	CHECK_EQ_UINT(s->tag, IMAGE_TOMB);
	CHECK_EQ_UINT(h->count, 0);
	CHECK_EQ_UINT(h->used, 1);	/* a tombstone still takes a slot */
	/* Removing it again changes nothing. */
	image_remove(h, DEV, 40, OWN(7));
	CHECK_EQ_UINT(h->count, 0);
	free(h);
}

/*
 * The tag: the writer's IMAGE_TIED is kept; the owner is the hash but
 * for its low bits, so a relpath whose hash differs only there owns it.
 */
void
image_tag_tied_and_owner(void)
{
	struct image_hdr	*h;
	struct image_ent	 e;
	size_t			 size;
	uint32_t		 hash = 0xdeadbee7u;

	h = img_new(8, &size);
	e = ent(DEV, 40, 1, 0);
	e.tag = IMAGE_OWNER(hash) | IMAGE_TIED;
	CHECK_EQ_INT(image_put(h, &e), 0);
	CHECK_FOUND(h, size, &e);
	image_remove(h, DEV, 40, hash + IMAGE_FLAGS + 1);
	CHECK_FOUND(h, size, &e);
	image_remove(h, DEV, 40, IMAGE_OWNER(hash));
	CHECK_ABSENT(h, size, DEV, 40);
	free(h);
}

void
image_remove_other_owner_kept(void)
{
	struct image_hdr	*h;
	struct image_ent	 e;
	size_t			 size;

	h = img_new(8, &size);
	e = ent(DEV, 40, 1, 7);
	CHECK_EQ_INT(image_put(h, &e), 0);
	image_remove(h, DEV, 40, OWN(8));
	CHECK_FOUND(h, size, &e);
	CHECK_EQ_UINT(h->count, 1);
	/* Nor does a key that is not there remove anything. */
	image_remove(h, DEV, 41, OWN(7));
	CHECK_FOUND(h, size, &e);
	CHECK_EQ_UINT(h->count, 1);
	free(h);
}

void
image_tombstone_probed_past(void)
{
	struct image_hdr	*h;
	struct image_ent	 a, b, c;
	size_t			 size;
	uint64_t		 from = 1;

	/* Three keys in one chain from slot 5: a, b, c. */
	h = img_new(16, &size);
	a = ent(DEV, ino_at(16, 5, &from), 1, 1);
	b = ent(DEV, ino_at(16, 5, &from), 2, 2);
	c = ent(DEV, ino_at(16, 5, &from), 3, 3);
	CHECK_EQ_INT(image_put(h, &a), 0);
	CHECK_EQ_INT(image_put(h, &b), 0);
	CHECK_EQ_INT(image_put(h, &c), 0);
	image_remove(h, b.dev, b.ino, b.tag);
	CHECK_ABSENT(h, size, b.dev, b.ino);
	CHECK_FOUND(h, size, &a);
	CHECK_FOUND(h, size, &c);
	CHECK(image_slot(h, c.dev, c.ino) != NULL);
	/* Putting c again updates it past the tombstone, not in it. */
	c.presented_ns = 2000030;
	CHECK_EQ_INT(image_put(h, &c), 0);
	CHECK_FOUND(h, size, &c);
	CHECK_EQ_UINT(h->count, 2);
	CHECK(image_slot(h, c.dev, c.ino) == (struct image_ent *)(h + 1) + 7);
	CHECK_EQ_UINT(((struct image_ent *)(h + 1))[6].tag, IMAGE_TOMB);
	free(h);
}

void
image_tombstone_reused(void)
{
	struct image_hdr	*h;
	struct image_ent	 a, b, c, d, *s;
	size_t			 size;
	uint64_t		 from = 1;

	h = img_new(16, &size);
	s = (struct image_ent *)(h + 1);
	a = ent(DEV, ino_at(16, 5, &from), 1, 1);
	b = ent(DEV, ino_at(16, 5, &from), 2, 2);
	c = ent(DEV, ino_at(16, 5, &from), 3, 3);
	d = ent(DEV, ino_at(16, 5, &from), 4, 4);
	CHECK_EQ_INT(image_put(h, &a), 0);
	CHECK_EQ_INT(image_put(h, &b), 0);
	CHECK_EQ_INT(image_put(h, &c), 0);
	image_remove(h, b.dev, b.ino, b.tag);
	CHECK_EQ_UINT(h->used, 3);
	/* d's probe passes a and stops in b's tombstone. */
	CHECK_EQ_INT(image_put(h, &d), 0);
	CHECK(image_slot(h, d.dev, d.ino) == &s[6]);
	CHECK_EQ_UINT(h->used, 3);
	CHECK_EQ_UINT(h->count, 3);
	CHECK_FOUND(h, size, &a);
	CHECK_FOUND(h, size, &c);
	CHECK_FOUND(h, size, &d);
	CHECK_ABSENT(h, size, b.dev, b.ino);
	free(h);
}

void
image_put_full_at_three_quarters(void)
{
	struct image_hdr	*h;
	struct image_ent	 e;
	size_t			 size;
	uint64_t		 i;

	h = img_new(8, &size);
	for (i = 1; i <= 6; i++) {
		e = ent(DEV, 100 + i, i, 0);
		CHECK_EQ_INT(image_put(h, &e), 0);
	}
	e = ent(DEV, 107, 7, 0);
	CHECK_EQ_INT(image_put(h, &e), -1);
	CHECK_EQ_UINT(h->count, 6);
	CHECK_EQ_UINT(h->used, 6);
	CHECK_ABSENT(h, size, DEV, 107);
	/* A key already there is replaced, full or not. */
	e = ent(DEV, 103, 30, 0);
	CHECK_EQ_INT(image_put(h, &e), 0);
	CHECK_FOUND(h, size, &e);
	free(h);
}

void
image_check_accepts_valid(void)
{
	struct image_hdr	*h;
	const char		*cause = NULL;
	size_t			 size;

	h = img_new(8, &size);
	CHECK_EQ_INT(image_check(h, size, &cause), 0);
	/* Bytes after the table are allowed (a file longer than needed). */
	h->nslots = 4;
	CHECK_EQ_INT(image_check(h, size, &cause), 0);
	h->nslots = 1;
	CHECK_EQ_INT(image_check(h, size, &cause), 0);
	free(h);
}

void
image_check_rejects_short(void)
{
	struct image_hdr	*h;
	size_t			 size;

	h = img_new(8, &size);
	CHECK_REFUSED(h, 0);
	CHECK_REFUSED(h, sizeof *h - 1);
	CHECK_REFUSED(h, sizeof *h);	/* no room for one slot */
	CHECK_REFUSED(h, size - 1);	/* the last slot cut short */
	free(h);
}

void
image_check_rejects_bad_magic(void)
{
	struct image_hdr	*h;
	size_t			 size;

	h = img_new(8, &size);
	h->magic[0] = 'd';
	CHECK_REFUSED(h, size);
	h->magic[0] = 'D';
	h->magic[7] = 'X';	/* the NUL is part of the magic */
	CHECK_REFUSED(h, size);
	free(h);
}

void
image_check_rejects_bad_version(void)
{
	struct image_hdr	*h;
	size_t			 size;

	h = img_new(8, &size);
	h->version = IMAGE_VERSION + 1;
	CHECK_REFUSED(h, size);
	h->version = 0;
	CHECK_REFUSED(h, size);
	free(h);
}

void
image_check_rejects_bad_ent_size(void)
{
	struct image_hdr	*h;
	size_t			 size;

	h = img_new(8, &size);
	h->ent_size = sizeof(struct image_ent) + 8;
	CHECK_REFUSED(h, size);
	h->ent_size = sizeof(struct image_ent) - 8;
	CHECK_REFUSED(h, size);
	free(h);
}

void
image_check_rejects_nslots_zero(void)
{
	struct image_hdr	*h;
	size_t			 size;

	h = img_new(16, &size);
	h->nslots = 0;
	CHECK_REFUSED(h, size);
	free(h);
}

/*
 * Any nslots that fits works (the daemon sizes its table to what it
 * holds): probes start at the hash modulo nslots and wrap from the last
 * slot to the first.
 */
void
image_nslots_any_wraps(void)
{
	struct image_hdr	*h;
	struct image_ent	 a, b;
	const char		*cause = NULL;
	size_t			 size;
	uint64_t		 from = 1;

	h = img_new(12, &size);
	CHECK_EQ_INT(image_check(h, size, &cause), 0);
	/* Two keys that start at the last slot: the second wraps to 0. */
	a = ent(DEV, ino_at(12, 11, &from), 1, 1);
	from = a.ino + 1;
	b = ent(DEV, ino_at(12, 11, &from), 2, 2);
	CHECK_EQ_INT(image_put(h, &a), 0);
	CHECK_EQ_INT(image_put(h, &b), 0);
	CHECK(image_slot(h, a.dev, a.ino) == (struct image_ent *)(h + 1) + 11);
	CHECK(image_slot(h, b.dev, b.ino) == (struct image_ent *)(h + 1));
	CHECK_FOUND(h, size, &a);
	CHECK_FOUND(h, size, &b);
	free(h);
}

void
image_check_rejects_nslots_beyond_file(void)
{
	struct image_hdr	*h;
	size_t			 size;

	h = img_new(8, &size);
	h->nslots = 16;
	CHECK_REFUSED(h, size);
	h->nslots = (uint64_t)1 << 63;	/* times 48 it would wrap */
	CHECK_REFUSED(h, size);
	free(h);
}

void
image_lookup_busy_while_gen_odd(void)
{
	struct image_hdr	*h;
	struct image_ent	 e, out;
	size_t			 size;
	uint64_t		 retired, max_seq;
	int64_t			 max_presented;

	h = img_new(8, &size);
	e = ent(DEV, 40, 1, 7);
	CHECK_EQ_INT(image_put(h, &e), 0);
	image_write_begin(h);
	CHECK_EQ_UINT(h->gen & 1, 1);
	/* Nobody ends the write: the reader gives up (after its retries). */
	CHECK_EQ_INT(image_lookup(h, size, DEV, 40, &out), IMAGE_BUSY);
	CHECK_EQ_INT(image_read_hdr(h, size, &retired, &max_seq,
	    &max_presented), IMAGE_BUSY);
	image_write_end(h);
	CHECK_EQ_UINT(h->gen, 2);
	CHECK_FOUND(h, size, &e);
	free(h);
}

void
image_read_hdr_values(void)
{
	struct image_hdr	*h;
	size_t			 size;
	uint64_t		 retired = 9, max_seq = 9;
	int64_t			 max_presented = 9;

	h = img_new(8, &size);
	h->retired = 1;
	h->max_seq = 77;
	h->max_presented = 1234567890123LL;
	CHECK_EQ_INT(image_read_hdr(h, size, &retired, &max_seq,
	    &max_presented), IMAGE_FOUND);
	CHECK_EQ_UINT(retired, 1);
	CHECK_EQ_UINT(max_seq, 77);
	CHECK_EQ_INT(max_presented, 1234567890123LL);
	CHECK_EQ_INT(image_read_hdr(h, sizeof *h - 1, &retired, &max_seq,
	    &max_presented), IMAGE_BAD);
	free(h);
}

/*
 * The writer (or anyone who can write the file) changes nslots after the
 * reader checked it: the lookup says IMAGE_BAD instead of probing slots
 * the mapping does not have.  The table ends where a PROT_NONE page
 * starts, so a read past it faults in any build.
 */
void
image_lookup_bad_nslots_after_check(void)
{
	struct image_hdr	*h;
	struct image_ent	 e, out;
	const char		*cause;
	size_t			 size = IMAGE_SIZE(8);
	long			 pg = sysconf(_SC_PAGESIZE);
	uint64_t		 from = 1, ino;
	char			*p;

	p = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	CHECK_EQ_INT(mprotect(p + pg, (size_t)pg, PROT_NONE), 0);
	h = (struct image_hdr *)(void *)(p + pg - size);
	memcpy(h->magic, IMAGE_MAGIC, sizeof h->magic);
	h->version = IMAGE_VERSION;
	h->ent_size = sizeof(struct image_ent);
	h->nslots = 8;
	/* Slots 0-7 live, so no probe stops early at an empty one. */
	memset(h + 1, 0xff, size - sizeof *h);
	CHECK_EQ_INT(image_check(h, size, &cause), 0);
	/* A key whose probe would start beyond the mapping in 16 slots. */
	ino = ino_at(16, 12, &from);
	CHECK_EQ_INT(image_lookup(h, size, DEV, ino, &out), IMAGE_ABSENT);

	h->nslots = 16;
	CHECK_EQ_INT(image_lookup(h, size, DEV, ino, &out), IMAGE_BAD);
	h->nslots = (uint64_t)1 << 62;
	CHECK_EQ_INT(image_lookup(h, size, DEV, ino, &out), IMAGE_BAD);
	h->nslots = 0;
	CHECK_EQ_INT(image_lookup(h, size, DEV, ino, &out), IMAGE_BAD);
	/* Shrunk is still inside: looked up in the smaller table. */
	h->nslots = 4;
	e = ent(DEV, ino, 1, 1);
	memset(h + 1, 0, size - sizeof *h);
	CHECK_EQ_INT(image_put(h, &e), 0);
	CHECK_FOUND(h, size, &e);
	munmap(p, (size_t)pg * 2);
}

/* A table with no empty slot (image_put never makes one): probes end. */
void
image_lookup_full_table_ends(void)
{
	struct image_hdr	*h;
	struct image_ent	*s, out;
	size_t			 size, i;

	h = img_new(8, &size);
	s = (struct image_ent *)(h + 1);
	for (i = 0; i < 8; i++) {
		s[i] = ent(DEV, 200 + i, i + 1, 0);
		s[i].tag = i % 2 == 0 ? IMAGE_LIVE : IMAGE_TOMB;
	}
	CHECK_EQ_INT(image_lookup(h, size, DEV, 199, &out), IMAGE_ABSENT);
	/* A tombstone's key is not found, even when it is still there. */
	CHECK_EQ_INT(image_lookup(h, size, DEV, 201, &out), IMAGE_ABSENT);
	CHECK_EQ_INT(image_lookup(h, size, DEV, 202, &out), IMAGE_FOUND);
	CHECK(image_slot(h, DEV, 199) == NULL);
	free(h);
}

/* An empty slot and a tombstone are all zeros but for the tag's flags. */
void
image_lookup_zero_key_absent(void)
{
	struct image_hdr	*h;
	struct image_ent	 e;
	size_t			 size;

	h = img_new(8, &size);
	CHECK_ABSENT(h, size, 0, 0);
	e = ent(DEV, 40, 1, 7);
	CHECK_EQ_INT(image_put(h, &e), 0);
	image_remove(h, DEV, 40, OWN(7));
	CHECK_ABSENT(h, size, 0, 0);
	CHECK(image_slot(h, 0, 0) == NULL);
	free(h);
}
