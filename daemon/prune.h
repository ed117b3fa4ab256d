/*
 * Forgetting deleted paths.  A deleted file's record (exists 0) says at
 * which seq it went; kept forever, a tree that is written and deleted
 * (build directories, temporary files) would grow the index and the
 * database without bound.  The records of the last PRUNE_KEEP deletions
 * are kept; older ones are dropped from the database's record table and
 * from the index, once committed.  The history keeps their writes.
 * Called by batch.c after each commit.
 */
#ifndef PRUNE_H
#define PRUNE_H

#include <stddef.h>

/* Deletions whose records are kept. */
#define PRUNE_KEEP	((size_t)2048)

struct db;
struct index;
struct prune;

/* Pruning index and db (borrowed), as loaded. */
struct prune	*prune_new(struct index *, struct db *);
void		 prune_free(struct prune *);
/*
 * A batch was committed that left gone more records of deleted paths:
 * once more than twice PRUNE_KEEP may be there, forget all but the
 * PRUNE_KEEP deleted last.  Returns how many records were forgotten.
 */
size_t		 prune_batch(struct prune *, size_t);

#endif
