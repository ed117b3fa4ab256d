/*
 * sqlite storage (see db.h).  Every statement is prepared once at open from
 * db_sql[] and run through db_run(); sqlite's own messages name the cause
 * when something fails.
 */
#include <assert.h>
#include <sys/random.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <uv.h>

#include "xmalloc.h"
#include "db.h"
#include "index.h"
#include "log.h"
#include "util.h"

#define DB_SCHEMA_VERSION	3
/*
 * The history is trimmed at a commit after this many rows were added, or
 * an eighth of what it keeps if that is less (a small --history), and at
 * the first commit of a run.
 */
#define DB_HISTORY_TRIM_EVERY	4096
/*
 * Checkpoints (db_checkpoints): one starts in libuv's pool once this many
 * WAL frames (4 KiB pages) wait to be copied into the database, as often
 * as sqlite's own wal_autocheckpoint did on the loop.
 */
#define DB_CKPT_FRAMES		256
/*
 * The WAL is rewound only by a commit that begins when every frame in it
 * is in the database, so a checkpoint that always runs beside commits
 * (a writer that never pauses) never lets it shrink.  Past this many
 * frames (16 MiB) the loop checkpoints itself, between commits, as sqlite
 * did every 256 frames: rarely, and the WAL stays bounded.  (A single
 * large commit, the first crawl's, is checkpointed in the pool.)
 */
#define DB_WAL_CAP_FRAMES	4096

/*
 * Records and history rows go DB_ROWS at a time in one statement while
 * DB_ROWS are left: a third less time than one statement per row (the
 * step, reset and halt of each statement) for the 100k of a first crawl,
 * and 64 rows 11 ms less than 16 (records 66 -> 60 ms, history 46 -> 40
 * ms).  256 gained 1-2 ms more and cost 300 KiB of prepared statements.
 */
#define DB_ROWS			64
#define DB_RECORD_COLS		11
#define DB_HISTORY_COLS		5

#define DB_RECORD_ROW		"(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
#define DB_HISTORY_ROW		"(?, ?, ?, ?, ?)"
#define DB_ROWS4(row)		row ", " row ", " row ", " row
#define DB_ROWS16(row)		DB_ROWS4(row) ", " DB_ROWS4(row) ", " \
				DB_ROWS4(row) ", " DB_ROWS4(row)
#define DB_ROWS64(row)		DB_ROWS16(row) ", " DB_ROWS16(row) ", " \
				DB_ROWS16(row) ", " DB_ROWS16(row)

enum db_stmt {
	DB_PUT_RECORD,
	DB_PUT_RECORDS,
	DB_ADD_HISTORY,
	DB_ADD_HISTORIES,
	DB_SET_META,
	DB_GET_META,
	DB_LOAD_RECORDS,
	DB_TRIM_HISTORY,
	DB_HISTORY_CUT,
	DB_HISTORY_ROWS,
	DB_RECORD_ROWS,
	DB_PUT_BUILD,
	DB_LOAD_BUILDS,
	DB_DROP_RECORD,
	DB_DROP_BUILD,
	DB_BEGIN,
	DB_COMMIT,
	DB_ROLLBACK,
	DB_NSTMT
};

static const char *db_sql[DB_NSTMT] = {
	[DB_PUT_RECORD] = "INSERT OR REPLACE INTO record (path, seq, present,"
	    " kind, mtime_ns, ctime_ns, size, ino, dev, wtime_ns, first)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	[DB_PUT_RECORDS] = "INSERT OR REPLACE INTO record (path, seq, present,"
	    " kind, mtime_ns, ctime_ns, size, ino, dev, wtime_ns, first)"
	    " VALUES " DB_ROWS64(DB_RECORD_ROW),
	[DB_ADD_HISTORY] = "INSERT INTO history (seq, path, present, wtime_ns,"
	    " what) VALUES (?1, ?2, ?3, ?4, ?5)",
	[DB_ADD_HISTORIES] = "INSERT INTO history (seq, path, present,"
	    " wtime_ns, what) VALUES " DB_ROWS64(DB_HISTORY_ROW),
	[DB_SET_META] = "INSERT OR REPLACE INTO meta (key, value)"
	    " VALUES (?1, ?2)",
	[DB_GET_META] = "SELECT value FROM meta WHERE key = ?1",
	[DB_LOAD_RECORDS] = "SELECT path, seq, present, kind, mtime_ns,"
	    " ctime_ns, size, ino, dev, wtime_ns, first FROM record",
	[DB_TRIM_HISTORY] = "DELETE FROM history WHERE seq <= ?1",
	/*
	 * The seq up to which rows go to keep about ?1, by rowid (the order
	 * rows came in, and seq order but for build entries): two lookups
	 * in the table's tree, not a walk of ?1 index entries.  The rows of
	 * a seq go together.
	 */
	[DB_HISTORY_CUT] = "SELECT seq FROM history WHERE rowid <="
	    " (SELECT max(rowid) FROM history) - ?1 ORDER BY rowid DESC"
	    " LIMIT 1",
	[DB_HISTORY_ROWS] = "SELECT count(*) FROM history",
	[DB_RECORD_ROWS] = "SELECT count(*) FROM record",
	[DB_PUT_BUILD] = "INSERT OR REPLACE INTO build (target, seq_started,"
	    " seq_finished, wtime_ns) VALUES (?1, ?2, ?3, ?4)",
	[DB_LOAD_BUILDS] = "SELECT target, seq_started, seq_finished"
	    " FROM build",
	[DB_DROP_RECORD] = "DELETE FROM record WHERE path = ?1",
	[DB_DROP_BUILD] = "DELETE FROM build WHERE target = ?1",
	[DB_BEGIN] = "BEGIN",
	[DB_COMMIT] = "COMMIT",
	[DB_ROLLBACK] = "ROLLBACK",
};

/*
 * Schema version 3.  record.first: found by the root's first crawl and
 * never seen written since (issue 14).  "build" holds recorded builds (depcheck run): the
 * seq at which a recipe started, per target.  "history" holds the writes
 * (what: enum proto_what) and the entries that are no write (builds,
 * starts, rescans; see proto.h) in seq order; meta "history_from" is the
 * seq after which it is whole, "db_id" names this database in tokens
 * (depcheck since).  Version 1 had no "what": every row was a write.
 */
static const char db_schema[] =
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "CREATE TABLE record (path BLOB PRIMARY KEY, seq INTEGER NOT NULL,"
    " present INTEGER NOT NULL, kind INTEGER NOT NULL, mtime_ns INTEGER,"
    " ctime_ns INTEGER, size INTEGER, ino INTEGER, dev INTEGER,"
    " wtime_ns INTEGER, first INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
    "CREATE TABLE history (seq INTEGER NOT NULL, path BLOB NOT NULL,"
    " present INTEGER NOT NULL, wtime_ns INTEGER,"
    " what INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX history_seq ON history (seq);"
    "CREATE TABLE build (target BLOB PRIMARY KEY, seq_started INTEGER,"
    " seq_finished INTEGER, wtime_ns INTEGER) WITHOUT ROWID;"
    "PRAGMA user_version = 3;";

/*
 * From version 1: history rows were writes (deleted ones say so); from
 * 1 and 2: no record was first seen (their order stays the seqs').
 */
static const char db_upgrade_1[] =
    "ALTER TABLE history ADD COLUMN what INTEGER NOT NULL DEFAULT 0;"
    "UPDATE history SET what = 2 WHERE present = 0;";
static const char db_upgrade_2[] =
    "ALTER TABLE record ADD COLUMN first INTEGER NOT NULL DEFAULT 0;"
    "PRAGMA user_version = 3;";

struct db {
	int		 is_new;
	int		 failing;	/* logged a failure; quiet until a commit */
	sqlite3		*conn;
	sqlite3_stmt	*stmt[DB_NSTMT];
	int		 in_txn;
	unsigned	 history_adds;
	uint64_t	 history_max;	/* rows the history keeps, about */
	uint64_t	 history_from;	/* it holds every write after */
	uint64_t	 id;		/* meta db_id */

	/*
	 * The integrity check of an existing database, in a thread of its
	 * own with a connection of its own while db_load reads the records
	 * and the start's crawl lists the tree (db_check_start): check_rc
	 * and check_cause are the thread's until db_checked joins it.
	 */
	uv_thread_t	 check_thread;
	int		 checking;	/* the thread runs, or is not joined */
	char		*check_path;
	int		 check_rc;
	char		*check_cause;

	/*
	 * Checkpoints in the pool (db_checkpoints).  ckpt_conn and the
	 * ckpt_rc..ckpt_err results belong to the worker while ckpt_busy;
	 * everything else to the loop.
	 */
	sqlite3		*ckpt_conn;	/* NULL: sqlite checkpoints on commit */
	uv_work_t	 ckpt_req;
	int		 ckpt_busy;
	int		 ckpt_rc;
	int		 ckpt_log;	/* frames in the WAL, as it saw them */
	int		 ckpt_done;	/* of them, in the database */
	char		*ckpt_err;
	int		 ckpt_failing;	/* logged a failure; quiet until one works */
	int		 wal_frames;	/* in the WAL after the last commit */
	int		 wal_copied;	/* of them, known to be in the database */
	int		 wal_next;	/* a checkpoint once there are as many */
	int		 wal_rewinds;	/* all copied: the next commit rewinds */
	unsigned	 commits;	/* commits that wrote frames */
	unsigned	 ckpt_commits;	/* commits when the checkpoint began */
};

static int	 db_new_id(struct db *);
static int	 db_wal_hook(void *, sqlite3 *, const char *, int);
static void	 db_ckpt_start(struct db *);
static void	 db_ckpt_work(uv_work_t *);
static void	 db_ckpt_after(uv_work_t *, int);
static void	 db_ckpt_done(struct db *, int, int);
static void	 db_ckpt_works(struct db *);
static void	 db_ckpt_failed(struct db *, const char *);

const char *
db_errmsg(struct db *db)
{
	return (sqlite3_errmsg(db->conn));
}

/* Step a statement to completion, reset it, clear its bindings. */
static int
db_run(struct db *db, enum db_stmt which)
{
	sqlite3_stmt	*s = db->stmt[which];
	int		 rc;

	rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		/* Once per episode: a full disk fails every batch. */
		if (!db->failing)
			log_warn("db_run: %s: %s", db_sql[which],
			    sqlite3_errmsg(db->conn));
		db->failing = 1;
		return (-1);
	}
	if (which == DB_COMMIT)
		db->failing = 0;
	return (0);
}

static int
db_is_corrupt(int rc)
{
	rc &= 0xff;
	return (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB);
}

int
db_is_new(struct db *db)
{
	return (db->is_new);
}

/* sqlite's quick_check on conn: "ok", or the first problem it finds. */
static int
db_quick_check(sqlite3 *conn, char **cause)
{
	sqlite3_stmt	*s;
	const char	*res;
	int		 rc;

	if ((rc = sqlite3_prepare_v2(conn, "PRAGMA quick_check(1)", -1, &s,
	    NULL)) != SQLITE_OK)
		return (rc);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		res = (const char *)sqlite3_column_text(s, 0);
		if (res == NULL || strcmp(res, "ok") != 0) {
			/* One line: sqlite's report has newlines in it. */
			xasprintf(cause, "integrity check: %s",
			    res != NULL ? res : "no answer");
			for (char *p = *cause; *p != '\0'; p++) {
				if (*p == '\n' || *p == '\r' || *p == '\t')
					*p = ' ';
			}
			sqlite3_finalize(s);
			return (SQLITE_CORRUPT);
		}
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	return (rc);
}

/*
 * The check's thread: a read-only connection of its own (WAL: it reads
 * while the loop's connection reads too), with a small page cache: the
 * check reads each page about once.
 */
static void
db_check_main(void *arg)
{
	struct db	*db = arg;
	sqlite3		*conn = NULL;

	db->check_rc = sqlite3_open_v2(db->check_path, &conn,
	    SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX,
	    NULL);
	if (db->check_rc == SQLITE_OK) {
		sqlite3_extended_result_codes(conn, 1);
		sqlite3_busy_timeout(conn, 5000);
		db->check_rc = sqlite3_exec(conn, "PRAGMA cache_size = -64",
		    NULL, NULL, NULL);
	}
	if (db->check_rc == SQLITE_OK)
		db->check_rc = db_quick_check(conn, &db->check_cause);
	else if (conn != NULL)
		db->check_cause = xstrdup(sqlite3_errmsg(conn));
	sqlite3_close(conn);
}

/*
 * Check the database, in a thread beside what follows its opening
 * (apart: it reads every page, history and all: with a full history of
 * a million rows beside 100k records, 130 ms against db_load's 75), or
 * here: one to be created or upgraded is checked before it is written,
 * and where no thread can be made.
 */
static void
db_check_start(struct db *db, const char *path, int apart)
{
	db->check_path = xstrdup(path);
	if (apart &&
	    uv_thread_create(&db->check_thread, db_check_main, db) == 0) {
		db->checking = 1;
		return;
	}
	db_check_main(db);
}

/*
 * The check's outcome, once: 0 when the database passed it, else -1 with
 * *corrupt and *cause (either may be NULL: only joined).  Called before
 * the first write, and by the start before its crawl's commit (main.c).
 */
int
db_checked(struct db *db, int *corrupt, char **cause)
{
	const char	*path = db->check_path;
	int		 rc;

	if (db->check_path == NULL)
		return (0);
	if (db->checking && uv_thread_join(&db->check_thread) != 0)
		abort();
	db->checking = 0;
	rc = db->check_rc;
	if (rc != SQLITE_OK) {
		if (corrupt != NULL)
			*corrupt = db_is_corrupt(rc);
		if (cause != NULL)
			xasprintf(cause, db_is_corrupt(rc) ?
			    "database '%s' is damaged: %s" :
			    "cannot check database '%s': %s", path,
			    db->check_cause != NULL ? db->check_cause :
			    sqlite3_errstr(rc));
	}
	free(db->check_cause);
	db->check_cause = NULL;
	free(db->check_path);
	db->check_path = NULL;
	return (rc == SQLITE_OK ? 0 : -1);
}

struct db *
db_open(const char *path, int *corrupt, char **cause)
{
	struct db	*db;
	sqlite3_stmt	*s;
	int		 i, rc, version = -1;
	char		*err = NULL;

	*corrupt = 0;
	db = xcalloc(1, sizeof *db);
	/*
	 * The loop's thread is the only one to use this connection (the
	 * pool's checkpoints have their own): no mutex around each call.
	 */
	if (sqlite3_open_v2(path, &db->conn, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX,
	    NULL) != SQLITE_OK)
		goto fail;
	sqlite3_extended_result_codes(db->conn, 1);
	sqlite3_busy_timeout(db->conn, 5000);
	/*
	 * WAL, synced at checkpoints; checkpoints every 1 MiB of WAL and the
	 * WAL cut back to 1 MiB after each, so that a small disk that filled
	 * up once does not stay full of WAL.  A page cache of 512 KiB, not
	 * sqlite's 2 MiB: the records are read once, at start, and writes go
	 * to the WAL; at 100k files the larger cache was 15 bytes a record
	 * of RSS for no measurable speed (issue 11).
	 */
	if ((rc = sqlite3_exec(db->conn, "PRAGMA journal_mode = WAL;"
	    "PRAGMA synchronous = NORMAL;"
	    "PRAGMA wal_autocheckpoint = 256;"
	    "PRAGMA journal_size_limit = 1048576;"
	    "PRAGMA cache_size = -512;", NULL, NULL,
	    &err)) != SQLITE_OK) {
		*corrupt = db_is_corrupt(rc);
		goto fail;
	}
	if ((rc = sqlite3_prepare_v2(db->conn, "PRAGMA user_version", -1, &s,
	    NULL)) != SQLITE_OK) {
		*corrupt = db_is_corrupt(rc);
		goto fail;
	}
	if (sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	rc = sqlite3_finalize(s);
	if (rc != SQLITE_OK || version < 0) {
		*corrupt = db_is_corrupt(rc);
		goto fail;
	}
	/*
	 * An existing database of this schema is checked beside what
	 * follows, db_load and the first crawl (db_checked); one to create
	 * or to upgrade, before it is written.
	 */
	db_check_start(db, path, version == DB_SCHEMA_VERSION);
	if (version != DB_SCHEMA_VERSION &&
	    db_checked(db, corrupt, cause) != 0) {
		db_close(db);
		return (NULL);
	}
	if (version == 0) {
		db->is_new = 1;
		if (sqlite3_exec(db->conn, db_schema, NULL, NULL, &err) !=
		    SQLITE_OK)
			goto fail;
		log_info("database '%s' created (schema %d)", log_esc(path),
		    DB_SCHEMA_VERSION);
	} else if (version == 1 || version == 2) {
		if (sqlite3_exec(db->conn, "BEGIN", NULL, NULL, &err) !=
		    SQLITE_OK || (version == 1 && sqlite3_exec(db->conn,
		    db_upgrade_1, NULL, NULL, &err) != SQLITE_OK) ||
		    sqlite3_exec(db->conn, db_upgrade_2, NULL, NULL, &err) !=
		    SQLITE_OK ||
		    sqlite3_exec(db->conn, "COMMIT", NULL, NULL, &err) !=
		    SQLITE_OK) {
			(void)sqlite3_exec(db->conn, "ROLLBACK", NULL, NULL,
			    NULL);
			goto fail;
		}
		log_info("database '%s' upgraded to schema %d", log_esc(path),
		    DB_SCHEMA_VERSION);
	} else if (version != DB_SCHEMA_VERSION) {
		xasprintf(cause, "database '%s' has schema %d, this depcheckd"
		    " knows %d", path, version, DB_SCHEMA_VERSION);
		db_close(db);
		return (NULL);
	}
	for (i = 0; i < DB_NSTMT; i++) {
		if (sqlite3_prepare_v3(db->conn, db_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &db->stmt[i], NULL) != SQLITE_OK)
			goto fail;
	}
	db->history_max = DB_HISTORY_DEFAULT;
	db->history_adds = DB_HISTORY_TRIM_EVERY;	/* trim at the first */
	db->history_from = (uint64_t)db_get_meta(db, "history_from", 0);
	if ((db->id = (uint64_t)db_get_meta(db, "db_id", 0)) == 0) {
		if (db_checked(db, corrupt, cause) != 0) {
			db_close(db);
			return (NULL);
		}
		if (db_new_id(db) != 0)
			goto fail;
	}
	return (db);

fail:
	xasprintf(cause, *corrupt ? "database '%s' is damaged: %s" :
	    "cannot open database '%s': %s", path, err != NULL ? err :
	    db->conn != NULL ? sqlite3_errmsg(db->conn) : "out of memory");
	sqlite3_free(err);
	db_close(db);
	return (NULL);
}

void
db_close(struct db *db)
{
	int	i;

	if (db == NULL)
		return;
	(void)db_checked(db, NULL, NULL);
	/* The loop ran until the pool's work was done (main.c). */
	assert(!db->ckpt_busy);
	/* The main connection last: closing, it checkpoints the rest. */
	sqlite3_close(db->ckpt_conn);
	for (i = 0; i < DB_NSTMT; i++)
		sqlite3_finalize(db->stmt[i]);
	sqlite3_close(db->conn);
	free(db);
}

/*
 * Name the database: a token (depcheck since) of another database, of
 * one moved aside or rebuilt, is then told apart.  63 random bits, not 0.
 */
static int
db_new_id(struct db *db)
{
	uint64_t	id = 0;

	while (id == 0) {
		if (getrandom(&id, sizeof id, 0) != (ssize_t)sizeof id)
			return (-1);
		id >>= 1;
	}
	if (db_begin(db) != 0 || db_set_meta(db, "db_id", (int64_t)id) != 0 ||
	    db_run(db, DB_COMMIT) != 0) {
		db_rollback(db);
		return (-1);
	}
	db->in_txn = 0;
	db->id = id;
	return (0);
}

uint64_t
db_id(struct db *db)
{
	return (db->id);
}

uint64_t
db_history_from(struct db *db)
{
	return (db->history_from);
}

void
db_set_history_max(struct db *db, uint64_t max)
{
	db->history_max = max;
}

int64_t
db_get_meta(struct db *db, const char *key, int64_t dflt)
{
	sqlite3_stmt	*s = db->stmt[DB_GET_META];
	int64_t		 v = dflt;

	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return (v);
}

int
db_load(struct db *db, struct index *ix, uint64_t floor, int *corrupt,
    char **cause)
{
	sqlite3_stmt	*s = db->stmt[DB_LOAD_RECORDS];
	struct rec	*r;
	char		*path, *buf = NULL;
	size_t		 len, cap = 0;
	uint64_t	 max = 0, reserved;
	int		 rc;

	/* The table at its final size: no rehash of what is loaded. */
	if (sqlite3_step(db->stmt[DB_RECORD_ROWS]) == SQLITE_ROW)
		index_presize(ix, (size_t)sqlite3_column_int64(
		    db->stmt[DB_RECORD_ROWS], 0));
	sqlite3_reset(db->stmt[DB_RECORD_ROWS]);
	/* One buffer for every path: 100k rows are 100k allocations less. */
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		len = (size_t)sqlite3_column_bytes(s, 0);
		if (len + 1 > cap) {
			cap = len + 1 > 256 ? len + 1 : 256;
			buf = xrealloc(buf, cap);
		}
		if (len > 0)
			memcpy(buf, sqlite3_column_blob(s, 0), len);
		buf[len] = '\0';
		r = index_get(ix, buf);
		r->seq = (uint64_t)sqlite3_column_int64(s, 1);
		r->exists = sqlite3_column_int(s, 2) != 0;
		r->kind = (uint8_t)sqlite3_column_int(s, 3);
		r->mtime_ns = sqlite3_column_int64(s, 4);
		r->ctime_ns = sqlite3_column_int64(s, 5);
		r->size = (uint64_t)sqlite3_column_int64(s, 6);
		r->ino = (uint64_t)sqlite3_column_int64(s, 7);
		index_set_dev(r, (uint64_t)sqlite3_column_int64(s, 8));
		r->wtime_ns = sqlite3_column_int64(s, 9);
		r->first = sqlite3_column_int(s, 10) != 0;
		if (r->seq > max)
			max = r->seq;
	}
	free(buf);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		*corrupt = db_is_corrupt(rc);
		xasprintf(cause, "cannot read database '%s': %s",
		    sqlite3_db_filename(db->conn, "main"),
		    sqlite3_errmsg(db->conn));
		return (-1);
	}
	s = db->stmt[DB_LOAD_BUILDS];
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		path = xstrndup(sqlite3_column_blob(s, 0),
		    (size_t)sqlite3_column_bytes(s, 0));
		r = index_get(ix, path);
		free(path);
		index_set_built(ix, r, (uint64_t)sqlite3_column_int64(s, 1),
		    (uint64_t)sqlite3_column_int64(s, 2));
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		*corrupt = db_is_corrupt(rc);
		xasprintf(cause, "cannot read database '%s': %s",
		    sqlite3_db_filename(db->conn, "main"),
		    sqlite3_errmsg(db->conn));
		return (-1);
	}
	/*
	 * The record table is read once: its pages in sqlite's cache, freed
	 * among the records just allocated, go back to the system (at 10k
	 * files, 300 of the 1,300 KiB a restart added; at 100k the cache's
	 * 512 KiB are a small share).
	 */
	db_release_memory(db);
	/* Start at the reserved mark: seqs below it may have been used. */
	reserved = (uint64_t)db_get_meta(db, "seq_reserved", 1);
	if (reserved <= max)
		reserved = max + 1;
	if (reserved < floor)
		reserved = floor;
	index_set_seq(ix, reserved, reserved);
	return (0);
}

int
db_begin(struct db *db)
{
	char	*cause;

	assert(!db->in_txn);
	/* The check, first, if nobody waited for it (a test's database). */
	if (db_checked(db, NULL, &cause) != 0) {
		log_warn("%s", cause);
		free(cause);
		return (-1);
	}
	if (db_run(db, DB_BEGIN) != 0)
		return (-1);
	db->in_txn = 1;
	return (0);
}

static unsigned
db_trim_every(const struct db *db)
{
	uint64_t	n = db->history_max / 8;

	if (n < 1)
		n = 1;
	return (n < DB_HISTORY_TRIM_EVERY ? (unsigned)n :
	    DB_HISTORY_TRIM_EVERY);
}

uint64_t
db_history_rows(struct db *db)
{
	sqlite3_stmt	*s = db->stmt[DB_HISTORY_ROWS];
	uint64_t	 n = 0;

	if (sqlite3_step(s) == SQLITE_ROW)
		n = (uint64_t)sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return (n);
}

/*
 * Keep about history_max rows: those of the seqs before the cut go, a
 * seq's rows together, and history_from says where the rest begins.
 * *cut: the new history_from, 0 when nothing went.
 */
static int
db_trim_history(struct db *db, uint64_t *cut)
{
	sqlite3_stmt	*s = db->stmt[DB_HISTORY_CUT];
	int		 rc;

	db->history_adds = 0;
	*cut = 0;
	sqlite3_bind_int64(s, 1, (int64_t)db->history_max);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*cut = (uint64_t)sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return (-1);
	if (*cut == 0 || *cut <= db->history_from)
		return (0);
	sqlite3_bind_int64(db->stmt[DB_TRIM_HISTORY], 1, (int64_t)*cut);
	if (db_run(db, DB_TRIM_HISTORY) != 0 ||
	    db_set_meta(db, "history_from", (int64_t)*cut) != 0)
		return (-1);
	return (0);
}

int
db_commit(struct db *db, char **cause)
{
	uint64_t	cut = 0;

	assert(db->in_txn);
	if (db->history_adds >= db_trim_every(db) &&
	    db_trim_history(db, &cut) != 0)
		goto fail;
	if (db_run(db, DB_COMMIT) != 0)
		goto fail;
	db->in_txn = 0;
	if (cut > db->history_from)
		db->history_from = cut;
	return (0);
fail:
	xasprintf(cause, "cannot write database '%s': %s",
	    sqlite3_db_filename(db->conn, "main"), sqlite3_errmsg(db->conn));
	db_rollback(db);
	return (-1);
}

void
db_rollback(struct db *db)
{
	if (!db->in_txn)
		return;
	/* After some errors (a full disk) sqlite has rolled back already. */
	if (!sqlite3_get_autocommit(db->conn))
		db_run(db, DB_ROLLBACK);
	db->in_txn = 0;
}

/* Bind r as the record row whose first parameter is i + 1. */
static void
db_bind_record(sqlite3_stmt *s, int i, const struct rec *r)
{
	sqlite3_bind_blob(s, i + 1, r->path, (int)strlen(r->path),
	    SQLITE_STATIC);
	sqlite3_bind_int64(s, i + 2, (int64_t)r->seq);
	sqlite3_bind_int(s, i + 3, r->exists);
	sqlite3_bind_int(s, i + 4, r->kind);
	sqlite3_bind_int64(s, i + 5, r->mtime_ns);
	sqlite3_bind_int64(s, i + 6, r->ctime_ns);
	sqlite3_bind_int64(s, i + 7, (int64_t)r->size);
	sqlite3_bind_int64(s, i + 8, (int64_t)r->ino);
	sqlite3_bind_int64(s, i + 9, (int64_t)index_dev(r));
	sqlite3_bind_int64(s, i + 10, r->wtime_ns);
	sqlite3_bind_int(s, i + 11, r->first);
}

/* Bind r as the history row whose first parameter is i + 1. */
static void
db_bind_history(sqlite3_stmt *s, int i, const struct rec *r)
{
	sqlite3_bind_int64(s, i + 1, (int64_t)r->seq);
	sqlite3_bind_blob(s, i + 2, r->path, (int)strlen(r->path),
	    SQLITE_STATIC);
	sqlite3_bind_int(s, i + 3, r->exists);
	sqlite3_bind_int64(s, i + 4, r->wtime_ns);
	sqlite3_bind_int(s, i + 5, r->what);
}

int
db_put_record(struct db *db, const struct rec *r)
{
	assert(db->in_txn);
	db_bind_record(db->stmt[DB_PUT_RECORD], 0, r);
	return (db_run(db, DB_PUT_RECORD));
}

int
db_put_records(struct db *db, struct rec *const *recs, size_t n)
{
	sqlite3_stmt	*s = db->stmt[DB_PUT_RECORDS];
	size_t		 i = 0;
	int		 j;

	assert(db->in_txn);
	for (; n - i >= DB_ROWS; i += DB_ROWS) {
		for (j = 0; j < DB_ROWS; j++)
			db_bind_record(s, j * DB_RECORD_COLS, recs[i + j]);
		if (db_run(db, DB_PUT_RECORDS) != 0)
			return (-1);
	}
	for (; i < n; i++) {
		if (db_put_record(db, recs[i]) != 0)
			return (-1);
	}
	return (0);
}

int
db_add_history(struct db *db, const struct rec *r)
{
	assert(db->in_txn);
	db->history_adds++;
	db_bind_history(db->stmt[DB_ADD_HISTORY], 0, r);
	return (db_run(db, DB_ADD_HISTORY));
}

int
db_add_histories(struct db *db, struct rec *const *recs, size_t n)
{
	sqlite3_stmt	*s = db->stmt[DB_ADD_HISTORIES];
	size_t		 i = 0;
	int		 j;

	assert(db->in_txn);
	for (; n - i >= DB_ROWS; i += DB_ROWS) {
		db->history_adds += DB_ROWS;
		for (j = 0; j < DB_ROWS; j++)
			db_bind_history(s, j * DB_HISTORY_COLS, recs[i + j]);
		if (db_run(db, DB_ADD_HISTORIES) != 0)
			return (-1);
	}
	for (; i < n; i++) {
		if (db_add_history(db, recs[i]) != 0)
			return (-1);
	}
	return (0);
}

int
db_add_entry(struct db *db, uint64_t seq, uint32_t what, const char *path,
    int64_t wtime_ns)
{
	sqlite3_stmt	*s = db->stmt[DB_ADD_HISTORY];

	assert(db->in_txn);
	db->history_adds++;
	sqlite3_bind_int64(s, 1, (int64_t)seq);
	sqlite3_bind_blob(s, 2, path, (int)strlen(path), SQLITE_STATIC);
	sqlite3_bind_int(s, 3, 1);
	sqlite3_bind_int64(s, 4, wtime_ns);
	sqlite3_bind_int(s, 5, (int)what);
	return (db_run(db, DB_ADD_HISTORY));
}

int
db_set_meta(struct db *db, const char *key, int64_t v)
{
	sqlite3_stmt	*s = db->stmt[DB_SET_META];

	assert(db->in_txn);
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, v);
	return (db_run(db, DB_SET_META));
}

int
db_put_build(struct db *db, const struct rec *r, uint64_t started,
    uint64_t finished)
{
	sqlite3_stmt	*s = db->stmt[DB_PUT_BUILD];

	assert(db->in_txn);
	sqlite3_bind_blob(s, 1, r->path, (int)strlen(r->path), SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (int64_t)started);
	sqlite3_bind_int64(s, 3, (int64_t)finished);
	sqlite3_bind_int64(s, 4, r->wtime_ns);
	return (db_run(db, DB_PUT_BUILD));
}

int
db_drop_record(struct db *db, const struct rec *r)
{
	sqlite3_stmt	*s;

	assert(db->in_txn);
	s = db->stmt[DB_DROP_RECORD];
	sqlite3_bind_blob(s, 1, r->path, (int)strlen(r->path), SQLITE_STATIC);
	if (db_run(db, DB_DROP_RECORD) != 0)
		return (-1);
	s = db->stmt[DB_DROP_BUILD];
	sqlite3_bind_blob(s, 1, r->path, (int)strlen(r->path), SQLITE_STATIC);
	return (db_run(db, DB_DROP_BUILD));
}

void
db_release_memory(struct db *db)
{
	sqlite3_db_release_memory(db->conn);
	util_trim_heap();
}

/*
 * Checkpoints off the loop.  sqlite's own (wal_autocheckpoint) run inside
 * the commit that passes the mark, on the loop: the WAL and then the
 * database synced, milliseconds to tens of milliseconds on a busy disk,
 * while every sync waiting for that commit's answer, and every request
 * behind it, waits too.  Instead the commit's WAL hook only counts
 * frames, and a second connection copies them into the database in
 * libuv's pool: PASSIVE, so it never takes the writer's lock and never
 * waits for it, one at a time.  Durability is unchanged: a commit is in
 * the WAL as before, synced as synchronous=NORMAL says; a checkpoint cut
 * short by kill -9 is redone from the WAL by the next open.
 *
 * journal_size_limit still applies where the WAL is rewound, by the
 * first commit that begins with every frame copied: it cuts the file back
 * to 1 MiB, so a disk that filled up once does not stay full of WAL.
 */
void
db_checkpoints(struct db *db, uv_loop_t *loop)
{
	int	 rc;

	assert(db->ckpt_conn == NULL);
	rc = sqlite3_open_v2(sqlite3_db_filename(db->conn, "main"),
	    &db->ckpt_conn, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW,
	    NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db->ckpt_conn, "PRAGMA synchronous = NORMAL;"
		    "PRAGMA cache_size = 16;", NULL, NULL, NULL);
	if (rc != SQLITE_OK || !sqlite3_threadsafe()) {
		/* sqlite's checkpoints on commit, as before. */
		log_warn("checkpoints stay on commit: %s",
		    db->ckpt_conn != NULL && rc != SQLITE_OK ?
		    sqlite3_errmsg(db->ckpt_conn) :
		    "sqlite is built without threads");
		sqlite3_close(db->ckpt_conn);
		db->ckpt_conn = NULL;
		return;
	}
	/* Never waits: another checkpointer means this one is not needed. */
	sqlite3_busy_timeout(db->ckpt_conn, 0);
	db->ckpt_req.data = db;
	db->ckpt_req.loop = loop;
	db->wal_next = DB_CKPT_FRAMES;
	/* Replaces wal_autocheckpoint's hook: only ours runs. */
	sqlite3_wal_hook(db->conn, db_wal_hook, db);
}

/* After every commit that wrote frames, on the loop. */
static int
db_wal_hook(void *arg, sqlite3 *conn, const char *name, int nframe)
{
	struct db	*db = arg;

	/*
	 * A commit that began with every frame copied wrote from the WAL's
	 * start; so did one that finds fewer frames than the last.
	 */
	if (db->wal_rewinds || nframe < db->wal_frames) {
		db->wal_copied = 0;
		db->wal_next = DB_CKPT_FRAMES;
	}
	db->wal_rewinds = 0;
	db->wal_frames = nframe;
	db->commits++;
	/* One at a time: db_ckpt_after looks again. */
	if (!db->ckpt_busy && nframe >= db->wal_next)
		db_ckpt_start(db);
	return (SQLITE_OK);
}

static void
db_ckpt_start(struct db *db)
{
	int	rc;

	db->ckpt_busy = 1;
	db->ckpt_commits = db->commits;
	if ((rc = uv_queue_work(db->ckpt_req.loop, &db->ckpt_req,
	    db_ckpt_work, db_ckpt_after)) != 0) {
		db->ckpt_busy = 0;
		db_ckpt_failed(db, uv_strerror(rc));
	}
}

/* In the pool: only ckpt_conn and the results are touched. */
static void
db_ckpt_work(uv_work_t *req)
{
	struct db	*db = req->data;

	db->ckpt_rc = sqlite3_wal_checkpoint_v2(db->ckpt_conn, "main",
	    SQLITE_CHECKPOINT_PASSIVE, &db->ckpt_log, &db->ckpt_done);
	if (db->ckpt_rc != SQLITE_OK && (db->ckpt_rc & 0xff) != SQLITE_BUSY)
		db->ckpt_err = xstrdup(sqlite3_errmsg(db->ckpt_conn));
}

/* Back on the loop: note what was copied; start the next if due. */
static void
db_ckpt_after(uv_work_t *req, int status)
{
	struct db	*db = req->data;

	db->ckpt_busy = 0;
	if (db->ckpt_rc != SQLITE_OK) {
		db_ckpt_failed(db, db->ckpt_err);
		free(db->ckpt_err);
		db->ckpt_err = NULL;
		return;
	}
	if (db->ckpt_commits == db->commits) {
		/* Every frame is copied if it saw them all: rewinds. */
		db_ckpt_done(db, db->ckpt_log, db->ckpt_done);
		return;
	}
	db_ckpt_works(db);
	/* Frames came meanwhile; what it saw is copied. */
	if (db->ckpt_log <= db->wal_frames && db->ckpt_done > db->wal_copied) {
		db->wal_copied = db->ckpt_done;
		db->wal_next = db->wal_copied + DB_CKPT_FRAMES;
	}
	if (db->wal_frames < DB_WAL_CAP_FRAMES) {
		if (db->wal_frames >= db->wal_next)
			db_ckpt_start(db);
		return;
	}
	/*
	 * Commits kept coming while it ran, and the WAL could not be
	 * rewound: between two commits, here, it can.  (Whatever is left to
	 * copy: a checkpoint that copies nearly everything, overlapped every
	 * time, would let the WAL grow without end.)
	 */
	db->ckpt_rc = sqlite3_wal_checkpoint_v2(db->conn, "main",
	    SQLITE_CHECKPOINT_PASSIVE, &db->ckpt_log, &db->ckpt_done);
	if (db->ckpt_rc != SQLITE_OK)
		db_ckpt_failed(db, (db->ckpt_rc & 0xff) == SQLITE_BUSY ? NULL :
		    sqlite3_errmsg(db->conn));
	else
		db_ckpt_done(db, db->ckpt_log, db->ckpt_done);
}

/* A checkpoint copied ndone of nlog frames, and none came meanwhile. */
static void
db_ckpt_done(struct db *db, int nlog, int ndone)
{
	db_ckpt_works(db);
	db->wal_copied = ndone;
	db->wal_next = ndone + DB_CKPT_FRAMES;
	if (ndone == nlog)
		db->wal_rewinds = 1;
}

static void
db_ckpt_works(struct db *db)
{
	if (db->ckpt_failing)
		log_info("checkpoints of '%s' work again",
		    sqlite3_db_filename(db->conn, "main"));
	db->ckpt_failing = 0;
}

/*
 * A checkpoint failed (cause NULL: busy, another process's ran): the WAL
 * keeps every commit meanwhile; try again DB_CKPT_FRAMES later.  Said
 * once, until one works.
 */
static void
db_ckpt_failed(struct db *db, const char *cause)
{
	db->wal_next = db->wal_frames + DB_CKPT_FRAMES;
	if (cause == NULL || db->ckpt_failing)
		return;
	log_warn("cannot checkpoint '%s': %s",
	    sqlite3_db_filename(db->conn, "main"), cause);
	db->ckpt_failing = 1;
}
