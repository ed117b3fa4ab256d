#!/usr/bin/env bash
# Area 3 (sync): write-then-check while another process writes without
# pause, so that events wait in the inotify queue whenever a request
# arrives.  The daemon then proves the sync by draining the queue and
# committing before it answers, with no cookie file (daemon/sync.c,
# sync_check_cb; issue 11); a check none of whose files was written
# meanwhile is answered without waiting for that commit (conn.c,
# conn_commit_for).  Every answer must be right, and `depcheck status`
# must show that syncs were proved that way (syncs_drained) and checks
# answered early (queries_early), or this test did not test it.  DEPCHECK_TEST_ROUNDS sets the rounds (300;
# 50 under DEPCHECK_TEST_WRAP).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

rounds=${DEPCHECK_TEST_ROUNDS:-300}
[ -n "$DEPCHECK_TEST_WRAP" ] && [ -z "$DEPCHECK_TEST_ROUNDS" ] && rounds=50

mkdir "$ROOT/noise"
start_daemon

# noise STOPFILE: rewrite 200 files in turn, as fast as bash can, until
# STOPFILE exists (at most a million writes).
noise()
{
	local i n=0

	while [ ! -e "$1" ] && ((n < 1000000)); do
		for ((i = 0; i < 200; i++)); do
			echo "$n" >"$ROOT/noise/f$i"
		done
		n=$((n + 200))
	done
}

# put FILE N: write N into FILE.
put()
{
	echo "$2" >"$1"
}

stop=$SCRATCH/stop-noise
noise "$stop" &
noise_pid=$!
at_exit touch "$stop"

cd "$ROOT" || exit 1
echo 0 >dep
echo 0 >target
write_check_rounds "$rounds" put

# Checks of files not written meanwhile, under the same writer: their
# answers need not wait for the commit of the writer's files, and are
# counted (queries_early) when they did not.
early0=$(status_field queries_early)
echo 1 >dep
echo 1 >target
wrong=0
unwritten=$((rounds / 3))
for ((i = 0; i < unwritten; i++)); do
	depcheck target dep >/dev/null 2>&1 || wrong=$((wrong + 1))
	depcheck dep target >/dev/null 2>&1
	[ $? -eq 1 ] || wrong=$((wrong + 1))
done

# A check of a file just written waits for its commit: no reply carries a
# seq that is not committed.  The high-water seq a reply carries is the
# committed one, so a record's seq above it would be one not committed.
# (rawsock.py: the reply as it is; the client does not print it.  It
# writes the file itself, just before it sends the query, so that the
# write still waits for the group commit when the query comes.)
sock=$(status_field socket)
above=0
for ((i = 0; i < unwritten / 4 + 1; i++)); do
	reply=$("$PY" "$TEST_DIR/rawsock.py" "$sock" hello read write:fresh \
	    "send:query(1, [b'fresh', b'dep'])" read | grep '^RECORDS')
	read -r _ high _ r1 r2 <<<"$reply"
	if [ -z "$reply" ] || [ "${r1#*:}" -gt "$high" ] ||
	    [ "${r2#*:}" -gt "$high" ]; then
		above=$((above + 1))
		diag "a reply with a seq above its high-water seq: $reply"
	fi
done
is "$above" 0 "replies under a writer with a record's seq above the high-water seq"
: >"$stop"
wait "$noise_pid"
is "$WTC_WRONG" 0 "$rounds write-then-check rounds under a writer: wrong answers"
[ "$WTC_WRONG" -eq 0 ] || diag_log
is "$wrong" 0 "$((2 * unwritten)) checks of unwritten files under a writer: wrong answers"
early=$(status_field queries_early)
ok "checks answered while the writer's files waited for their commit: $((early - early0)) (> 0)" \
    test "$((early - early0))" -gt 0

drained=$(status_field syncs_drained)
diag "syncs: $(status_field syncs_at_once) at once, $drained by a drain, $(
    status_field syncs_cookie) by a cookie; $(status_field commits) commits"
ok "syncs proved by draining the queue: ${drained:-none} (> 0)" \
    test "${drained:-0}" -gt 0

done_testing
