/*
 * Unit tests for daemon/db.c: checkpoints run in libuv's pool, never in a
 * commit on the loop, and the WAL is cut back once one has copied
 * everything.  A database in a fresh directory under /tmp and a loop of
 * its own; the pool has one thread, which a test can hold busy to see
 * what the commits alone do.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>
#include <uv.h>

#include "xmalloc.h"
#include "db.h"
#include "unit.h"

/* Commits that write a page each: more than DB_CKPT_FRAMES (db.c). */
#define DBT_COMMITS	400
/* journal_size_limit (db.c) */
#define DBT_WAL_LIMIT	(1024 * 1024)
/* Commits past DB_WAL_CAP_FRAMES (db.c), a page each at least. */
#define DBT_CAP_COMMITS	4200

struct dbt {
	char		*dir;
	char		*path;
	uv_loop_t	 loop;
	struct db	*db;
	uv_work_t	 hold;		/* the pool's one thread, held */
};

static void	 dbt_open(struct dbt *);
static void	 dbt_close(struct dbt *);
static void	 dbt_commit(struct dbt *, int);
static void	 dbt_stat(const char *, const char *, struct stat *);
static void	 dbt_hold_cb(uv_work_t *);
static void	 dbt_hold_pool(struct dbt *);
static void	 dbt_let_go(void);

static int	 dbt_hold[2];	/* the pool's one thread waits on it */

static void
dbt_open(struct dbt *t)
{
	char	 tmpl[] = "/tmp/depcheck-unit.XXXXXX", *cause;
	int	 corrupt;

	/* Before the pool starts: one thread, so a test can hold it. */
	setenv("UV_THREADPOOL_SIZE", "1", 1);
	if (mkdtemp(tmpl) == NULL)
		unit_fail(__FILE__, __LINE__, "mkdtemp failed");
	t->dir = xstrdup(tmpl);
	xasprintf(&t->path, "%s/state.db", t->dir);
	CHECK_EQ_INT(uv_loop_init(&t->loop), 0);
	if ((t->db = db_open(t->path, &corrupt, &cause)) == NULL)
		unit_fail(__FILE__, __LINE__, "db_open: %s", cause);
	db_checkpoints(t->db, &t->loop);
}

static void
dbt_close(struct dbt *t)
{
	char	*cmd;

	CHECK_EQ_INT(uv_run(&t->loop, UV_RUN_DEFAULT), 0);
	close(dbt_hold[0]);
	close(dbt_hold[1]);
	db_close(t->db);
	CHECK_EQ_INT(uv_loop_close(&t->loop), 0);
	xasprintf(&cmd, "rm -rf '%s'", t->dir);
	CHECK_EQ_INT(system(cmd), 0);
	free(cmd);
	free(t->path);
	free(t->dir);
}

/* One transaction: a meta row of its own, so at least one new page. */
static void
dbt_commit(struct dbt *t, int i)
{
	char	 key[64], *cause = NULL;

	snprintf(key, sizeof key, "unit-test-key-%06d-%040d", i, i);
	CHECK_EQ_INT(db_begin(t->db), 0);
	CHECK_EQ_INT(db_set_meta(t->db, key, i), 0);
	if (db_commit(t->db, &cause) != 0)
		unit_fail(__FILE__, __LINE__, "db_commit: %s", cause);
}

static void
dbt_stat(const char *path, const char *suffix, struct stat *st)
{
	char	*p;

	xasprintf(&p, "%s%s", path, suffix);
	if (stat(p, st) != 0)
		unit_fail(__FILE__, __LINE__, "cannot stat '%s'", p);
	free(p);
}

static void
dbt_hold_cb(uv_work_t *req)
{
	char	c;

	if (read(dbt_hold[0], &c, 1) != 1)
		return;		/* the test fails on its own */
}

/* Hold the pool's one thread until dbt_let_go: no checkpoint runs. */
static void
dbt_hold_pool(struct dbt *t)
{
	CHECK_EQ_INT(pipe(dbt_hold), 0);
	CHECK_EQ_INT(uv_queue_work(&t->loop, &t->hold, dbt_hold_cb, NULL), 0);
}

static void
dbt_let_go(void)
{
	CHECK_EQ_INT(write(dbt_hold[1], "x", 1), 1);
}

/*
 * With the pool held, hundreds of commits (sqlite's own checkpoint would
 * have run in the 256th) leave the database file as it was: no commit
 * copies the WAL into it.  Once the pool is let go and the loop runs, a
 * checkpoint there does.
 */
void
db_checkpoint_not_in_commit(void)
{
	struct dbt	 t;
	struct stat	 st0, st1, wal;
	int		 i;

	dbt_open(&t);
	dbt_hold_pool(&t);
	dbt_commit(&t, 0);
	dbt_stat(t.path, "", &st0);
	for (i = 1; i <= DBT_COMMITS; i++)
		dbt_commit(&t, i);
	dbt_stat(t.path, "", &st1);
	CHECK_EQ_INT(st1.st_size, st0.st_size);
	CHECK_EQ_INT(st1.st_mtim.tv_sec, st0.st_mtim.tv_sec);
	CHECK_EQ_INT(st1.st_mtim.tv_nsec, st0.st_mtim.tv_nsec);
	dbt_stat(t.path, "-wal", &wal);
	CHECK(wal.st_size > 300 * 4096);

	dbt_let_go();
	CHECK_EQ_INT(uv_run(&t.loop, UV_RUN_DEFAULT), 0);
	dbt_stat(t.path, "", &st1);
	CHECK(st1.st_size > st0.st_size);
	dbt_close(&t);
}

/*
 * After a checkpoint in the pool that copied every frame, the next commit
 * writes from the WAL's start and cuts the file back to
 * journal_size_limit: a WAL that grew does not stay large.
 */
void
db_wal_cut_after_checkpoint(void)
{
	struct dbt	 t;
	struct stat	 wal;
	int		 i;

	dbt_open(&t);
	dbt_hold_pool(&t);
	for (i = 0; i < DBT_COMMITS; i++)
		dbt_commit(&t, i);
	dbt_stat(t.path, "-wal", &wal);
	CHECK(wal.st_size > DBT_WAL_LIMIT);

	dbt_let_go();
	CHECK_EQ_INT(uv_run(&t.loop, UV_RUN_DEFAULT), 0);
	dbt_commit(&t, i);
	dbt_stat(t.path, "-wal", &wal);
	CHECK(wal.st_size <= DBT_WAL_LIMIT);
	dbt_close(&t);
}

/*
 * Commits that keep coming while every checkpoint runs: the pool's copies
 * what it saw, but the WAL is never all copied when a commit begins, so
 * no commit rewinds it.  Here a reader, open across the pool's checkpoint
 * and the commits after it, stands for that overlap.  Past 16 MiB the
 * loop then checkpoints between two commits, and the next commit cuts the
 * WAL back: it does not grow without end.
 */
void
db_wal_bounded_when_commits_overlap(void)
{
	struct dbt	 t;
	struct stat	 st0, st1, wal;
	sqlite3		*reader;
	int		 i, n;

	dbt_open(&t);
	dbt_hold_pool(&t);
	dbt_stat(t.path, "", &st0);
	for (i = 0; i < DBT_CAP_COMMITS; i++)
		dbt_commit(&t, i);
	dbt_stat(t.path, "-wal", &wal);
	CHECK(wal.st_size > 16 * DBT_WAL_LIMIT);

	CHECK_EQ_INT(sqlite3_open_v2(t.path, &reader, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	CHECK_EQ_INT(sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM meta;",
	    NULL, NULL, NULL), SQLITE_OK);
	/* The pool's checkpoint, run to its end before the loop hears. */
	dbt_let_go();
	for (n = 0; n < 500; n++) {
		dbt_stat(t.path, "", &st1);
		if (st1.st_size > st0.st_size)
			break;
		usleep(10000);
	}
	CHECK(st1.st_size > st0.st_size);
	usleep(100000);
	/* The reader keeps these from rewinding the WAL. */
	for (n = 0; n < 3; n++)
		dbt_commit(&t, i++);
	CHECK_EQ_INT(sqlite3_exec(reader, "COMMIT;", NULL, NULL, NULL),
	    SQLITE_OK);
	CHECK_EQ_INT(sqlite3_close(reader), SQLITE_OK);

	CHECK_EQ_INT(uv_run(&t.loop, UV_RUN_DEFAULT), 0);
	dbt_commit(&t, i);
	dbt_stat(t.path, "-wal", &wal);
	CHECK(wal.st_size <= DBT_WAL_LIMIT);
	dbt_close(&t);
}
