/*
 * The daemon instance's shared operations (see daemon.h): ending a batch
 * of events with one commit, the seq mark file, and shutdown.  Called from watch.c, scan.c, conn.c and main.c.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "proto.h"
#include "daemon.h"
#include "db.h"
#include "index.h"
#include "log.h"
#include "notify.h"
#include "publish.h"
#include "sync.h"
#include "util.h"

struct daemon	*daemon_self;

int
daemon_seqmark_write(struct daemon *d, uint64_t mark)
{
	char	buf[32];
	int	len;

	len = snprintf(buf, sizeof buf, "%020" PRIu64 "\n", mark);
	if (pwrite(d->seqmark_fd, buf, (size_t)len, 0) != len)
		return (-1);
	return (0);
}

/*
 * One transaction per batch: refresh the stat facts of what changed,
 * write records, history, the seq reservation and the time up to which
 * every write was seen; only then answer the syncs this batch satisfied.
 */
void
daemon_batch_end(struct daemon *d)
{
	struct rec	**dirty, *r;
	struct stat	  st;
	size_t		  n, i;
	uint64_t	  mark;
	char		 *cause = NULL;
	int		  rc = 0;

	dirty = index_dirty(d->index, &n);
	if (n == 0) {
		if (!d->rescan_pending)
			sync_batch_done(d->sync, d->db_failed ? d->db_cause :
			    NULL);
		return;
	}
	if (db_begin(d->db) != 0)
		rc = -1;
	for (i = 0; rc == 0 && i < n; i++) {
		r = dirty[i];
		if (r->exists && fstatat(d->rootfd, *r->path ? r->path : ".",
		    &st, AT_SYMLINK_NOFOLLOW) == 0) {
			publish_moved(d->publish, r, &st);
			index_set_facts(r, &st);
		}
		if (db_put_record(d->db, r) != 0 ||
		    (r->dirty == INDEX_WRITTEN && db_add_history(d->db, r) != 0))
			rc = -1;
	}
	if (rc == 0 && index_need_reserve(d->index, &mark)) {
		/* The mark file first: it may only ever be ahead. */
		if (daemon_seqmark_write(d, mark) != 0) {
			rc = -1;
			index_unreserve(d->index);
		} else
			rc = db_set_meta(d->db, "seq_reserved", (int64_t)mark);
	}
	if (rc == 0)
		rc = db_set_meta(d->db, "observed_ns", d->observed_ns);
	/* Not earlier than any time presented so far (publish.c). */
	if (rc == 0)
		rc = db_set_meta(d->db, "presented_high", util_now_ns());
	if (rc == 0)
		rc = db_commit(d->db, &cause);
	else {
		xasprintf(&cause, "cannot write database: %s",
		    db_errmsg(d->db));
		db_rollback(d->db);
	}
	if (rc != 0) {
		/* Keep the batch dirty: the next one retries it. */
		if (!d->db_failed)
			log_warn("%s", cause);
		free(d->db_cause);
		d->db_cause = cause;
		d->db_failed = 1;
		sync_batch_done(d->sync, cause);
		return;
	}
	if (d->db_failed)
		log_info("database writes work again");
	d->db_failed = 0;
	/* Before the syncs are answered: a synced tool sees the batch. */
	publish_batch(d->publish, dirty, n);
	index_clear_dirty(d->index);
	/* Events were lost and the rescan is still owed: syncs wait. */
	if (!d->rescan_pending)
		sync_batch_done(d->sync, NULL);
}

void
daemon_shutdown(struct daemon *d)
{
	if (d->stopping)
		return;
	d->stopping = 1;
	notify_send("STOPPING=1\nSTATUS=stopping");
	uv_stop(d->loop);
}

void
daemon_say(struct daemon *d, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	if (msg == NULL)
		return;
	log_warn("%s", msg);
	if (d->starting && !d->foreground)
		fprintf(stderr, "depcheckd: %s\n", msg);
	free(msg);
}
