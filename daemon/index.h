/*
 * Records in memory: one per path seen under the root, keyed by relpath,
 * plus the seq counter.  Queries are answered from here; db.c keeps the
 * durable copy.  A deleted file keeps its record (exists = 0) and the seq
 * at which it went until prune.c forgets it (index_gone, index_remove):
 * only the last few thousand deletions are kept.
 */
#ifndef INDEX_H
#define INDEX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

enum rec_kind { REC_OTHER, REC_FILE, REC_DIR, REC_LINK };

#define INDEX_TOUCHED	1	/* facts to refresh at the next commit */
#define INDEX_WRITTEN	2	/* and a new seq: goes to the history */

/*
 * A record and its path are one block of slab.c, of offsetof(struct rec,
 * path) plus the path rounded up to 8 bytes: 60 bytes and the path, as
 * there are as many records as files; it never moves.  Rare or repeated
 * facts live apart: the device as a number in a table of devices
 * (index_dev), recorded builds in a table of the index
 * (index_built_from).
 */
struct rec {
	uint64_t	 seq;		/* last write; 0 never written */
	int64_t		 wtime_ns;	/* wall clock when seq was given */
	int64_t		 mtime_ns;
	int64_t		 ctime_ns;
	uint64_t	 size;
	uint64_t	 ino;
	uint32_t	 logpos;	/* in stamp.c's log, if inlog */
	uint32_t	 hash;
	uint16_t	 devno;		/* see index_dev */
	unsigned	 exists:1;
	unsigned	 kind:2;	/* enum rec_kind */
	unsigned	 dirty:2;	/* 0, INDEX_TOUCHED or INDEX_WRITTEN */
	unsigned	 seen:1;	/* scratch for scan.c */
	unsigned	 inlog:1;	/* in stamp.c's log, at logpos */
	unsigned	 racy:1;	/* restamped with matching facts */
	unsigned	 fresh:1;	/* facts from a crawl, not written since
					   (batch.c need not stat it) */
	unsigned	 what:3;	/* enum proto_what of the last write */
	unsigned	 wasnew:1;	/* did not exist before this batch */
	unsigned	 first:1;	/* found by the root's first crawl and
					   never seen written since (issue 14):
					   against another such record, mtimes
					   decide */
	char		 path[];
} __attribute__((packed, aligned(8)));

/* The device of r's stat facts, and setting it. */
uint64_t	 index_dev(const struct rec *);
void		 index_set_dev(struct rec *, uint64_t);

struct index;

struct index	*index_new(void);
void		 index_free(struct index *);
/* The record for relpath, or NULL.  Borrowed. */
struct rec	*index_find(struct index *, const char *);
/* The record for relpath, created (missing, seq 0) if new.  Borrowed. */
struct rec	*index_get(struct index *, const char *);
/*
 * For a crawl, whose listing threads hash the paths they find (off the
 * loop's thread), and which looks up a listing's paths in a row: the
 * hash index_get files relpath under; index_get for a path of that hash;
 * and a hint that a path of that hash is about to be looked up: its slot
 * (rec 0) or, the slot already at hand, its record (rec 1) is brought
 * into the cache meanwhile.
 */
uint32_t	 index_path_hash(const char *);
struct rec	*index_get_hashed(struct index *, const char *, uint32_t);
void		 index_prefetch(const struct index *, uint32_t, int);
/* Records into path order (the record table's), as strcmp orders. */
void		 index_sort_by_path(struct rec **, size_t);
/* Records in path order into (seq, path) order (a commit's history). */
void		 index_sort_by_seq(struct rec **, size_t);
size_t		 index_count(struct index *);
/*
 * Size the table for n records at once (db_load knows how many it will
 * add): one table instead of a doubling per power of two, each of them
 * rehashing every record.
 */
void		 index_presize(struct index *, size_t);
/* Call fn for every record. */
void		 index_foreach(struct index *, void (*)(struct rec *, void *),
		     void *);

/* The seq counter: next seq to hand out, and the reserved high water. */
uint64_t	 index_next_seq(struct index *);
uint64_t	 index_peek_seq(struct index *);
void		 index_set_seq(struct index *, uint64_t next, uint64_t reserved);
/* Reserve ahead: returns 1 (and the new mark) if db must persist it. */
int		 index_need_reserve(struct index *, uint64_t *);
/* The reservation could not be persisted: ask again next time. */
void		 index_unreserve(struct index *);

/*
 * Record a write of rec at seq: sets seq, exists and wtime, and puts the
 * record on the dirty list for the next commit.  What the write was
 * (r->what, for the history) is created, written or deleted, seen from
 * before the batch; writing it again in the batch keeps what it was,
 * unless it went or came back.
 */
void		 index_write(struct index *, struct rec *, uint64_t, int);
/*
 * r's write of this batch was made by a crawl (found: it had no record
 * before, restamped: it had) or seen as an event (created, written).
 */
void		 index_set_what(struct rec *, int);
/*
 * The stat facts a record keeps, apart from a struct stat (144 bytes):
 * what a crawl holds for each entry it found until it ends (scan.c).
 */
struct facts {
	int64_t		 mtime_ns;
	int64_t		 ctime_ns;
	uint64_t	 size;
	uint64_t	 ino;
	uint64_t	 dev;
	uint8_t		 kind;		/* enum rec_kind */
};

/* The facts of st. */
void		 index_facts(struct facts *, const struct stat *);
/* Copy stat facts into rec (does not mark it dirty). */
void		 index_set_facts(struct rec *, const struct stat *);
void		 index_put_facts(struct rec *, const struct facts *);
/* Do the stat facts differ from rec's? */
int		 index_facts_differ(const struct rec *, const struct stat *);
int		 index_facts_changed(const struct rec *, const struct facts *);
/*
 * The dirty list; index_clear_dirty() empties it after a commit and
 * returns how many of its records were of deleted paths.
 */
struct rec     **index_dirty(struct index *, size_t *);
size_t		 index_clear_dirty(struct index *);
/*
 * The records of deleted paths (exists 0; none dirty or in stamp.c's log)
 * but the keep deleted last: oldest first, in an allocated array of *n
 * (NULL when none).  *left: how many such records there are besides.
 */
struct rec     **index_gone(struct index *, size_t, size_t *, size_t *);
/* Remove r (neither dirty nor in stamp.c's log) and free it. */
void		 index_remove(struct index *, struct rec *);
/*
 * The seq at which the recorded build that last wrote r started, or 0
 * when there is none or r was written since (DESIGN section 3,
 * "Recorded builds").
 */
uint64_t	 index_built_from(struct index *, const struct rec *);
/*
 * r's recorded build: the seq its recipe started at (or
 * PROTO_BUILT_FAILED), and the seq up to which it holds; 0 and 0 for
 * none (and setting them so forgets it).
 */
void		 index_get_built(struct index *, const struct rec *,
		     uint64_t *, uint64_t *);
void		 index_set_built(struct index *, struct rec *, uint64_t,
		     uint64_t);
/*
 * Used as a set of directories: is relpath, or a directory above it, in
 * the set with exists set?
 */
int		 index_covers(struct index *, const char *);
/* Mark a record dirty without a new seq (facts changed only). */
void		 index_touch(struct index *, struct rec *);

#endif
