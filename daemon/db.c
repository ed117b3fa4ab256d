/*
 * sqlite storage (see db.h).  Every statement is prepared once at open from
 * db_sql[] and run through db_run(); sqlite's own messages name the cause
 * when something fails.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "xmalloc.h"
#include "db.h"
#include "index.h"
#include "log.h"

#define DB_SCHEMA_VERSION	1
/* The write history keeps about this many writes (DESIGN section 6). */
#define DB_HISTORY_MAX		1000000
#define DB_HISTORY_TRIM_EVERY	4096

/*
 * Records and history rows go DB_ROWS at a time in one statement while
 * DB_ROWS are left: a third less time than one statement per row (the
 * step, reset and halt of each statement) for the 100k of a first crawl.
 */
#define DB_ROWS			16
#define DB_RECORD_COLS		10
#define DB_HISTORY_COLS		4

#define DB_RECORD_ROW		"(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
#define DB_HISTORY_ROW		"(?, ?, ?, ?)"
#define DB_ROWS4(row)		row ", " row ", " row ", " row
#define DB_ROWS16(row)		DB_ROWS4(row) ", " DB_ROWS4(row) ", " \
				DB_ROWS4(row) ", " DB_ROWS4(row)

enum db_stmt {
	DB_PUT_RECORD,
	DB_PUT_RECORDS,
	DB_ADD_HISTORY,
	DB_ADD_HISTORIES,
	DB_SET_META,
	DB_GET_META,
	DB_LOAD_RECORDS,
	DB_TRIM_HISTORY,
	DB_PUT_BUILD,
	DB_LOAD_BUILDS,
	DB_BEGIN,
	DB_COMMIT,
	DB_ROLLBACK,
	DB_NSTMT
};

static const char *db_sql[DB_NSTMT] = {
	[DB_PUT_RECORD] = "INSERT OR REPLACE INTO record (path, seq, present,"
	    " kind, mtime_ns, ctime_ns, size, ino, dev, wtime_ns)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[DB_PUT_RECORDS] = "INSERT OR REPLACE INTO record (path, seq, present,"
	    " kind, mtime_ns, ctime_ns, size, ino, dev, wtime_ns)"
	    " VALUES " DB_ROWS16(DB_RECORD_ROW),
	[DB_ADD_HISTORY] = "INSERT INTO history (seq, path, present, wtime_ns)"
	    " VALUES (?1, ?2, ?3, ?4)",
	[DB_ADD_HISTORIES] = "INSERT INTO history (seq, path, present,"
	    " wtime_ns) VALUES " DB_ROWS16(DB_HISTORY_ROW),
	[DB_SET_META] = "INSERT OR REPLACE INTO meta (key, value)"
	    " VALUES (?1, ?2)",
	[DB_GET_META] = "SELECT value FROM meta WHERE key = ?1",
	[DB_LOAD_RECORDS] = "SELECT path, seq, present, kind, mtime_ns,"
	    " ctime_ns, size, ino, dev, wtime_ns FROM record",
	[DB_TRIM_HISTORY] = "DELETE FROM history WHERE rowid <"
	    " (SELECT max(rowid) FROM history) - ?1",
	[DB_PUT_BUILD] = "INSERT OR REPLACE INTO build (target, seq_started,"
	    " seq_finished, wtime_ns) VALUES (?1, ?2, ?3, ?4)",
	[DB_LOAD_BUILDS] = "SELECT target, seq_started, seq_finished"
	    " FROM build",
	[DB_BEGIN] = "BEGIN",
	[DB_COMMIT] = "COMMIT",
	[DB_ROLLBACK] = "ROLLBACK",
};

/*
 * Schema version 1.  "build" holds recorded builds (depcheck run): the
 * seq at which a recipe started, per target.
 */
static const char db_schema[] =
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "CREATE TABLE record (path BLOB PRIMARY KEY, seq INTEGER NOT NULL,"
    " present INTEGER NOT NULL, kind INTEGER NOT NULL, mtime_ns INTEGER,"
    " ctime_ns INTEGER, size INTEGER, ino INTEGER, dev INTEGER,"
    " wtime_ns INTEGER) WITHOUT ROWID;"
    "CREATE TABLE history (seq INTEGER NOT NULL, path BLOB NOT NULL,"
    " present INTEGER NOT NULL, wtime_ns INTEGER);"
    "CREATE INDEX history_seq ON history (seq);"
    "CREATE TABLE build (target BLOB PRIMARY KEY, seq_started INTEGER,"
    " seq_finished INTEGER, wtime_ns INTEGER) WITHOUT ROWID;"
    "PRAGMA user_version = 1;";

struct db {
	int		 is_new;
	int		 failing;	/* logged a failure; quiet until a commit */
	sqlite3		*conn;
	sqlite3_stmt	*stmt[DB_NSTMT];
	int		 in_txn;
	unsigned	 history_adds;
};

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

/* sqlite's quick_check: "ok", or the first problem it finds. */
static int
db_check(struct db *db, char **cause)
{
	sqlite3_stmt	*s;
	const char	*res;
	int		 rc;

	if ((rc = sqlite3_prepare_v2(db->conn, "PRAGMA quick_check(1)", -1,
	    &s, NULL)) != SQLITE_OK)
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

struct db *
db_open(const char *path, int *corrupt, char **cause)
{
	struct db	*db;
	sqlite3_stmt	*s;
	int		 i, rc, version = -1;
	char		*err = NULL;

	*corrupt = 0;
	db = xcalloc(1, sizeof *db);
	if (sqlite3_open_v2(path, &db->conn, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_extended_result_codes(db->conn, 1);
	sqlite3_busy_timeout(db->conn, 5000);
	/*
	 * WAL, synced at checkpoints; checkpoints every 1 MiB of WAL and the
	 * WAL cut back to 1 MiB after each, so that a small disk that filled
	 * up once does not stay full of WAL.
	 */
	if ((rc = sqlite3_exec(db->conn, "PRAGMA journal_mode = WAL;"
	    "PRAGMA synchronous = NORMAL;"
	    "PRAGMA wal_autocheckpoint = 256;"
	    "PRAGMA journal_size_limit = 1048576;", NULL, NULL,
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
	if ((rc = db_check(db, &err)) != SQLITE_OK) {
		*corrupt = db_is_corrupt(rc);
		if (err != NULL) {
			xasprintf(cause, "database '%s' is damaged: %s", path,
			    err);
			free(err);
			db_close(db);
			return (NULL);
		}
		goto fail;
	}
	if (version == 0) {
		db->is_new = 1;
		if (sqlite3_exec(db->conn, db_schema, NULL, NULL, &err) !=
		    SQLITE_OK)
			goto fail;
		log_info("database '%s' created (schema %d)", log_esc(path),
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
	for (i = 0; i < DB_NSTMT; i++)
		sqlite3_finalize(db->stmt[i]);
	sqlite3_close(db->conn);
	free(db);
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
		r->dev = (uint64_t)sqlite3_column_int64(s, 8);
		r->wtime_ns = sqlite3_column_int64(s, 9);
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
		r->built_started = (uint64_t)sqlite3_column_int64(s, 1);
		r->built_finished = (uint64_t)sqlite3_column_int64(s, 2);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		*corrupt = db_is_corrupt(rc);
		xasprintf(cause, "cannot read database '%s': %s",
		    sqlite3_db_filename(db->conn, "main"),
		    sqlite3_errmsg(db->conn));
		return (-1);
	}
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
	assert(!db->in_txn);
	if (db_run(db, DB_BEGIN) != 0)
		return (-1);
	db->in_txn = 1;
	return (0);
}

int
db_commit(struct db *db, char **cause)
{
	assert(db->in_txn);
	if (db->history_adds >= DB_HISTORY_TRIM_EVERY) {
		db->history_adds = 0;
		sqlite3_bind_int64(db->stmt[DB_TRIM_HISTORY], 1,
		    DB_HISTORY_MAX);
		if (db_run(db, DB_TRIM_HISTORY) != 0)
			goto fail;
	}
	if (db_run(db, DB_COMMIT) != 0)
		goto fail;
	db->in_txn = 0;
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
	sqlite3_bind_int64(s, i + 9, (int64_t)r->dev);
	sqlite3_bind_int64(s, i + 10, r->wtime_ns);
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
db_set_meta(struct db *db, const char *key, int64_t v)
{
	sqlite3_stmt	*s = db->stmt[DB_SET_META];

	assert(db->in_txn);
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, v);
	return (db_run(db, DB_SET_META));
}

int
db_put_build(struct db *db, const struct rec *r)
{
	sqlite3_stmt	*s = db->stmt[DB_PUT_BUILD];

	assert(db->in_txn);
	sqlite3_bind_blob(s, 1, r->path, (int)strlen(r->path), SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (int64_t)r->built_started);
	sqlite3_bind_int64(s, 3, (int64_t)r->built_finished);
	sqlite3_bind_int64(s, 4, r->wtime_ns);
	return (db_run(db, DB_PUT_BUILD));
}
