#!/usr/bin/env bash
# Area 5 (faults): inotify queue overflow.  With the daemon stopped
# (SIGSTOP), a flood of creates and deletes in watched directories fills
# the queue (fs.inotify.max_queued_events, 16384 by default) and a
# dependency is rewritten and dated back behind its target: the event
# that said so is lost, so only the rescan after IN_Q_OVERFLOW can find
# it.  Checks must still say stale, every time; a target written after
# the rescan is up to date again.  Then overflows in a row: the rescans
# back off, every answer is still right, and the log says so once.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

NDIRS=4			# watched directories the flood goes to

# now: the wall clock in ms, for the timing comments.
now()
{
	local t=${EPOCHREALTIME/./}

	printf '%d' "$((t / 1000))"
}

# flood ROUND FILES: in each of the NDIRS watched directories, delete the
# files of round ROUND-1 and create FILES/NDIRS files of round ROUND
# (empty: IN_CREATE and IN_CLOSE_WRITE each).  Python, as a shell loop
# of 40,000 redirections is several times slower.
flood()
{
	python3 - "$1" "$2" "$NDIRS" <<'EOF_PY'
import os, sys

rnd, files, ndirs = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
for d in range(ndirs):
    for name in os.listdir("w%d" % d):
        if name.startswith("f%d_" % (rnd - 1)):
            os.unlink("w%d/%s" % (d, name))
    for i in range(files // ndirs):
        os.close(os.open("w%d/f%d_%d" % (d, rnd, i),
                         os.O_CREAT | os.O_WRONLY, 0o644))
EOF_PY
}

# The daemon is resumed whatever happens, or the clean-up would wait on it.
PID=
resume()
{
	[ -n "$PID" ] && kill -CONT "$PID" 2>/dev/null
	return 0
}
at_exit resume

WRONG=0			# checks that answered wrong
CHECKS=0		# checks made

# overflow_round ROUND FILES: the target written (and seen), then with
# the daemon stopped: the flood, and the dependency rewritten with an
# older mtime; resumed; the checks.
overflow_round()
{
	local rnd=$1 files=$2

	echo "target $rnd" >tgt
	count_check 0 depcheck tgt dep
	kill -STOP "$PID"
	flood "$rnd" "$files"
	echo "new $rnd" >dep
	touch -d 2001-01-01 dep
	kill -CONT "$PID"
	count_check 1 depcheck tgt dep
	# a file the flood created after the target, one it deleted
	count_check 1 depcheck tgt "w1/f${rnd}_7"
	[ "$rnd" -gt 1 ] && count_check 2 depcheck tgt "w2/f$((rnd - 1))_7"
	echo "target $rnd again" >tgt
	count_check 0 depcheck tgt dep "w1/f${rnd}_7"
}

t_start=$(now)
start_daemon
PID=$(status_field pid)
like "$PID" '^[1-9][0-9]*$' "status gives the pid"
mkdir w0 w1 w2 w3
echo old >dep
# A sync (no sleep) before the target is written: a crawl of the new
# directories in the same clock tick as the target's write could not
# tell their order, and the answer would rightly be "stale".
depcheck_nowrap seq dep >/dev/null
echo t >tgt
expect_exit -m "up to date (and the new directories watched)" \
    0 depcheck tgt dep
like "$(status_field watches)" '^[0-9]+$' "status gives watches"
diag "watches: $(status_field watches)"

# 1. Three rounds of one overflow each, 40,000 files a round.
t0=$(now)
for rnd in 1 2 3; do
	overflow_round "$rnd" 40000
done
t1=$(now)
is "$WRONG" 0 "overflow rounds: $WRONG wrong answers of $CHECKS checks"
diag "3 overflow rounds of 40000 files: $((t1 - t0)) ms"
overflows=$(status_field overflows)
rescans=$(status_field rescans)
last=$(status_field last_rescan)
diag "status: overflows $overflows, rescans $rescans, last_rescan $last"
ok "status overflows ($overflows) >= 1" test "${overflows:-0}" -ge 1
ok "status rescans ($rescans) >= 1" test "${rescans:-0}" -ge 1
ok "status last_rescan ($last) is a time since the test started" \
    test "${last:-0}" -gt 0 -a "${last:-0}" -ge "$((t_start / 1000 - 1))"

echo "target after the rescan" >tgt
expect_exit -m "target written after the rescan: up to date" \
    0 depcheck tgt dep w0/f3_0 w3/f3_9

# 2. Overflows in a row: 3 floods, each right after the last rescan.
log=$ROOT/.depcheck/depcheckd.log
line='repeated inotify queue overflows'
lines0=$(grep -c "$line" "$log")
ov0=$(status_field overflows)
WRONG=0
CHECKS=0
t0=$(now)
for rnd in 4 5 6; do
	overflow_round "$rnd" 20000
done
t1=$(now)
is "$WRONG" 0 "overflows in a row: $WRONG wrong answers of $CHECKS checks"
diag "3 overflow rounds in a row of 20000 files: $((t1 - t0)) ms"
ov1=$(status_field overflows)
diag "status: overflows $ov1, rescans $(status_field rescans)"
ok "status overflows rose by 3 or more ($ov0 -> $ov1)" \
    test "${ov1:-0}" -ge "$((ov0 + 3))"
lines1=$(grep -c "$line" "$log")
diag "log lines '$line': $lines0 before, $lines1 after"
ok "the log says '$line' at most once for them" \
    test "$lines1" -le "$((lines0 + 1))"
ok "the log says '$line' (the rescans backed off)" test "$lines1" -ge 1
grep "$line" "$log" >"$T_OUT"
diag_file "those lines" "$T_OUT"

echo "target at the end" >tgt
expect_exit -m "at the end, target written: up to date" \
    0 depcheck tgt dep w0/f6_0
echo "dep at the end" >dep
expect_exit -m "at the end, dependency written: stale" 1 depcheck tgt dep
diag "whole test: $(($(now) - t_start)) ms"

done_testing
