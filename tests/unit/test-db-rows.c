/*
 * Unit tests for daemon/db.c: records written in batches of several rows
 * per statement (db_put_records, db_add_histories) come back as written.
 */
#include <sqlite3.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xmalloc.h"
#include "db.h"
#include "index.h"
#include "unit.h"

/*
 * More than two statements' worth (DB_ROWS, 64 in db.c), and some left
 * over for single rows.
 */
#define NREC	133

void
db_put_records_round_trip(void)
{
	char		 tmpl[] = "/tmp/depcheck-unit.XXXXXX", *path, *cause;
	char		*cmd, name[32];
	struct index	*ix, *back;
	struct rec	*recs[NREC], *r;
	struct db	*db;
	sqlite3		*conn;
	sqlite3_stmt	*s;
	int		 corrupt, i;

	if (mkdtemp(tmpl) == NULL)
		unit_fail(__FILE__, __LINE__, "mkdtemp failed");
	xasprintf(&path, "%s/state.db", tmpl);
	if ((db = db_open(path, &corrupt, &cause)) == NULL)
		unit_fail(__FILE__, __LINE__, "db_open: %s", cause);
	ix = index_new();
	for (i = 0; i < NREC; i++) {
		snprintf(name, sizeof name, "d/f%02d", i);
		r = recs[i] = index_get(ix, name);
		r->seq = (uint64_t)(100 + i);
		r->exists = i % 3 != 0;
		r->kind = REC_FILE;
		r->mtime_ns = 1000 + i;
		r->ctime_ns = 2000 + i;
		r->size = (uint64_t)(3000 + i);
		r->ino = (uint64_t)(4000 + i);
		index_set_dev(r, 5000);
		r->wtime_ns = 6000 + i;
	}
	CHECK_EQ_INT(db_begin(db), 0);
	CHECK_EQ_INT(db_put_records(db, recs, NREC), 0);
	CHECK_EQ_INT(db_add_histories(db, recs, NREC), 0);
	CHECK_EQ_INT(db_commit(db, &cause), 0);
	db_close(db);

	if ((db = db_open(path, &corrupt, &cause)) == NULL)
		unit_fail(__FILE__, __LINE__, "db_open: %s", cause);
	back = index_new();
	CHECK_EQ_INT(db_load(db, back, 0, &corrupt, &cause), 0);
	CHECK_EQ_UINT(index_count(back), NREC);
	for (i = 0; i < NREC; i++) {
		r = index_find(back, recs[i]->path);
		CHECK(r != NULL);
		CHECK_EQ_UINT(r->seq, recs[i]->seq);
		CHECK_EQ_INT(r->exists, recs[i]->exists);
		CHECK_EQ_INT(r->kind, REC_FILE);
		CHECK_EQ_INT(r->mtime_ns, recs[i]->mtime_ns);
		CHECK_EQ_INT(r->ctime_ns, recs[i]->ctime_ns);
		CHECK_EQ_UINT(r->size, recs[i]->size);
		CHECK_EQ_UINT(r->ino, recs[i]->ino);
		CHECK_EQ_UINT(index_dev(r), index_dev(recs[i]));
		CHECK_EQ_INT(r->wtime_ns, recs[i]->wtime_ns);
	}
	db_close(db);

	/* Every history row, each as written. */
	CHECK_EQ_INT(sqlite3_open(path, &conn), SQLITE_OK);
	CHECK_EQ_INT(sqlite3_prepare_v2(conn, "SELECT seq, path, present,"
	    " wtime_ns FROM history ORDER BY seq", -1, &s, NULL), SQLITE_OK);
	for (i = 0; sqlite3_step(s) == SQLITE_ROW; i++) {
		CHECK(i < NREC);
		CHECK_EQ_UINT(sqlite3_column_int64(s, 0), recs[i]->seq);
		CHECK_EQ_MEM(sqlite3_column_blob(s, 1),
		    (size_t)sqlite3_column_bytes(s, 1), recs[i]->path,
		    strlen(recs[i]->path));
		CHECK_EQ_INT(sqlite3_column_int(s, 2), recs[i]->exists);
		CHECK_EQ_INT(sqlite3_column_int64(s, 3), recs[i]->wtime_ns);
	}
	CHECK_EQ_INT(i, NREC);
	sqlite3_finalize(s);
	sqlite3_close(conn);

	index_free(ix);
	index_free(back);
	xasprintf(&cmd, "rm -rf '%s'", tmpl);
	CHECK_EQ_INT(system(cmd), 0);
	free(cmd);
	free(path);
}
