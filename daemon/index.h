/*
 * Records in memory: one per path ever seen under the root, keyed by
 * relpath, plus the seq counter.  Queries are answered from here; db.c
 * keeps the durable copy.  Records are never removed: a deleted file keeps
 * its record (exists = 0) and the seq at which it went.
 */
#ifndef INDEX_H
#define INDEX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

enum rec_kind { REC_OTHER, REC_FILE, REC_DIR, REC_LINK };

#define INDEX_TOUCHED	1	/* facts to refresh at the next commit */
#define INDEX_WRITTEN	2	/* and a new seq: goes to the history */

/* A record and its path are one allocation. */
struct rec {
	uint64_t	 seq;		/* last write; 0 never written */
	int64_t		 wtime_ns;	/* wall clock when seq was given */
	int64_t		 mtime_ns;
	int64_t		 ctime_ns;
	uint64_t	 size;
	uint64_t	 ino;
	uint64_t	 dev;
	uint64_t	 built_started;	/* recorded build (depcheck run) ... */
	uint64_t	 built_finished; /* ... valid while seq <= this */
	uint8_t		 exists;
	uint8_t		 kind;		/* enum rec_kind */
	uint8_t		 dirty;		/* 0, INDEX_TOUCHED or INDEX_WRITTEN */
	uint8_t		 seen;		/* scratch for scan.c */
	uint8_t		 inlog;		/* in stamp.c's log, at logpos */
	uint8_t		 racy;		/* restamped with matching facts */
	uint8_t		 fresh;		/* facts from a crawl, not written since
					   (batch.c need not stat it) */
	uint32_t	 logpos;
	uint32_t	 hash;
	char		 path[];
};

struct index;

struct index	*index_new(void);
void		 index_free(struct index *);
/* The record for relpath, or NULL.  Borrowed. */
struct rec	*index_find(struct index *, const char *);
/* The record for relpath, created (missing, seq 0) if new.  Borrowed. */
struct rec	*index_get(struct index *, const char *);
size_t		 index_count(struct index *);
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
 * record on the dirty list for the next commit.
 */
void		 index_write(struct index *, struct rec *, uint64_t, int);
/* Copy stat facts into rec (does not mark it dirty). */
void		 index_set_facts(struct rec *, const struct stat *);
/* Do the stat facts differ from rec's? */
int		 index_facts_differ(const struct rec *, const struct stat *);
/* The dirty list; index_clear_dirty() empties it after a commit. */
struct rec     **index_dirty(struct index *, size_t *);
void		 index_clear_dirty(struct index *);
/*
 * The seq at which the recorded build that last wrote r started, or 0
 * when there is none or r was written since (DESIGN section 3,
 * "Recorded builds").
 */
uint64_t	 index_built_from(const struct rec *);
/*
 * Used as a set of directories: is relpath, or a directory above it, in
 * the set with exists set?
 */
int		 index_covers(struct index *, const char *);
/* Mark a record dirty without a new seq (facts changed only). */
void		 index_touch(struct index *, struct rec *);

#endif
