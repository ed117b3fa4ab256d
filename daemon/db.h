/*
 * The durable copy of the index and the write history, in sqlite
 * (ROOT/.depcheck/state.db, WAL).  Writes happen only between db_begin()
 * and db_commit(), one transaction per batch of events.  Called by main.c
 * (open, load) and batch.c (commit).
 */
#ifndef DB_H
#define DB_H

#include <stdint.h>

struct db;
struct index;
struct rec;
struct uv_loop_s;

/*
 * Open (creating the schema if new) and begin the check of its integrity:
 * a database to create or upgrade is checked here, an existing one in a
 * thread of its own (db_checked).  NULL and an allocated cause on
 * failure; *corrupt is set when the file is damaged (not a database, or
 * failing sqlite's quick_check).
 */
struct db	*db_open(const char *, int *, char **);
void		 db_close(struct db *);
/*
 * Load every record into the index and set its seq counter from the
 * reserved mark (or floor, if higher).  Returns 0, or -1 with an allocated
 * cause and *corrupt set if what it read is damaged.  The integrity check
 * may still run.
 */
int		 db_load(struct db *, struct index *, uint64_t, int *, char **);
/*
 * Wait for the integrity check db_open began: 0 when the database passed
 * it (or it is over), else -1 with an allocated cause and *corrupt set if
 * the file is damaged.  The first write (db_begin) waits for it too.
 */
int		 db_checked(struct db *, int *, char **);
/*
 * From now on checkpoint in the loop's thread pool, not in the commit
 * that passes sqlite's mark (see db.c).  The loop must run until its work
 * is done before db_close().
 */
void		 db_checkpoints(struct db *, struct uv_loop_s *);
/* Was the database created by this db_open (new or empty file)? */
int		 db_is_new(struct db *);
int64_t		 db_get_meta(struct db *, const char *, int64_t);
/* The database's id (random, never 0), for tokens (depcheck since). */
uint64_t	 db_id(struct db *);
/* The history keeps about this many rows (DESIGN section 6). */
#define DB_HISTORY_DEFAULT	1000000
void		 db_set_history_max(struct db *, uint64_t);
/* Rows in the history now (a count: for depcheck status). */
uint64_t	 db_history_rows(struct db *);
/* The history holds every write after this seq (0: all since created). */
uint64_t	 db_history_from(struct db *);

int		 db_begin(struct db *);
/* Commit; on failure roll back and return -1 with an allocated cause. */
int		 db_commit(struct db *, char **);
void		 db_rollback(struct db *);
int		 db_put_record(struct db *, const struct rec *);
int		 db_add_history(struct db *, const struct rec *);
/* db_put_record and db_add_history of n records, in fewer statements. */
int		 db_put_records(struct db *, struct rec *const *, size_t);
int		 db_add_histories(struct db *, struct rec *const *, size_t);
int		 db_set_meta(struct db *, const char *, int64_t);
/*
 * A history entry that is no write (enum proto_what from
 * PROTO_BUILD_START): a recorded build of path, or with "" a start or a
 * rescan of the daemon.
 */
int		 db_add_entry(struct db *, uint64_t, uint32_t, const char *,
		     int64_t);
/*
 * Forget r: its record and recorded build (prune.c); the history keeps
 * its writes.
 */
int		 db_drop_record(struct db *, const struct rec *);
/* Record the build of r: the seqs it started at and holds up to. */
int		 db_put_build(struct db *, const struct rec *, uint64_t,
		     uint64_t);
/* Free what sqlite caches (after a large batch). */
void		 db_release_memory(struct db *);
/* The last sqlite error message, for causes. */
const char	*db_errmsg(struct db *);

#endif
