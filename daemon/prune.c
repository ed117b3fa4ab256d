/*
 * Forgetting deleted paths (see prune.h).
 *
 * What a user can see change: `depcheck seq` (and the seqs of `check
 * --json`) of a path deleted before the last PRUNE_KEEP deletions says
 * seq 0 and no write time, as for a path the daemon never saw.  Every
 * verdict stays: a missing target is stale and a missing dependency an
 * error whatever their records say, a path created again gets the next
 * seq, above everything before, and a recorded build of a deleted target
 * was void already (its deletion was a write after it).  The image holds
 * only files that exist (publish.c), and crawls only look for records
 * that exist (scan.c, apply.c).
 */
#include <stdlib.h>

#include "xmalloc.h"
#include "db.h"
#include "index.h"
#include "log.h"
#include "prune.h"

struct prune {
	struct index	*index;
	struct db	*db;
	size_t		 gone;		/* records of deleted paths, at most */
};

static void
prune_count_cb(struct rec *r, void *arg)
{
	size_t	*n = arg;

	if (!r->exists)
		(*n)++;
}

struct prune *
prune_new(struct index *ix, struct db *db)
{
	struct prune	*p;

	p = xcalloc(1, sizeof *p);
	p->index = ix;
	p->db = db;
	/* A database of an older depcheckd may hold many. */
	index_foreach(ix, prune_count_cb, &p->gone);
	return (p);
}

void
prune_free(struct prune *p)
{
	free(p);
}

size_t
prune_batch(struct prune *p, size_t gone)
{
	struct rec	**recs;
	size_t		  i, n, left;
	char		 *cause = NULL;

	if (p == NULL)
		return (0);
	p->gone += gone;
	/* Amortized: one walk of the index per PRUNE_KEEP deletions. */
	if (p->gone <= 2 * PRUNE_KEEP)
		return (0);
	recs = index_gone(p->index, PRUNE_KEEP, &n, &left);
	p->gone = left;
	if (n == 0)
		return (0);
	if (db_begin(p->db) != 0)
		goto fail;
	for (i = 0; i < n; i++) {
		if (db_drop_record(p->db, recs[i]) != 0)
			goto fail;
	}
	if (db_commit(p->db, &cause) != 0)
		goto fail;
	for (i = 0; i < n; i++)
		index_remove(p->index, recs[i]);
	free(recs);
	log_debug("forgot the records of %zu deleted paths", n);
	return (n);

fail:
	/* Kept in memory as in the database; tried again later. */
	if (cause == NULL)
		xasprintf(&cause, "%s", db_errmsg(p->db));
	log_warn("cannot forget the records of %zu deleted paths: %s", n,
	    cause);
	free(cause);
	db_rollback(p->db);
	free(recs);
	return (0);
}
