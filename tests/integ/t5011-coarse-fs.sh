#!/usr/bin/env bash
# Area 5 (faults): the seed incident (kbuild's autoksyms race) on a real
# file system with 1-second timestamps: ext4 with 128-byte inodes on a
# loop device.  A target is built from a dependency and the dependency is
# rewritten within the same second: the mtimes are equal, make -q says up
# to date, depcheck must say stale.  Then the racily-clean cases, where
# the daemon did not see the rewrite and every stat fact (mtime, ctime,
# size, inode) still matches its record: after an inotify queue overflow
# (the rewrite made after the queue filled, so its events are lost) and
# across a stop and start.  Needs root and a loop device (skipped
# otherwise).  DEPCHECK_TEST_ROUNDS sets the number of trials (100).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

trials=${DEPCHECK_TEST_ROUNDS:-100}
[ -n "$DEPCHECK_TEST_WRAP" ] && [ -z "$DEPCHECK_TEST_ROUNDS" ] && trials=20

# now: the wall clock in ms, for the timing comments.
now()
{
	local t=${EPOCHREALTIME/./}

	printf '%d' "$((t / 1000))"
}

[ "$(id -u)" = 0 ] || skip_all "not root: cannot loop-mount an ext4 image"
command -v mkfs.ext4 >/dev/null 2>&1 || skip_all "no mkfs.ext4"
command -v python3 >/dev/null 2>&1 || skip_all "no python3 (for the flood)"
command -v make >/dev/null 2>&1 || skip_all "no make"

# Files the flood creates: more events than the inotify queue holds (each
# create is IN_CREATE and IN_CLOSE_WRITE, a rewrite IN_CLOSE_WRITE).
maxq=$(cat /proc/sys/fs/inotify/max_queued_events 2>/dev/null)
case $maxq in
''|*[!0-9]*)	maxq=16384 ;;
esac
nflood=$((maxq + 4000))
[ "$nflood" -le 60000 ] ||
    skip_all "fs.inotify.max_queued_events is $maxq: the flood would not fit"

# -N: room for the flood (the default for 64 MiB is 16384 inodes)
coarse_root 64 $((nflood + 8000))

# At exit, before coarse_root's stop and unmount: the daemon resumed if
# this test left it stopped (SIGSTOP below), so that it can stop.
PID=
resume_daemon()
{
	[ -n "$PID" ] && kill -CONT "$PID" 2>/dev/null
}
at_exit resume_daemon

t_start=$(now)
start_daemon
PID=$(status_field pid)
like "$PID" '^[1-9][0-9]*$' "status gives the pid"
diag "$(grep 'timestamps:' .depcheck/depcheckd.log | head -n 1)"

# 1. The seed incident, TRIALS times.  (A check first, to have the new
# directory crawled in a drain of its own: writes drained with a crawl
# whose entries share their ctime, here their second, share its seq.)
printf 'tgt: dep\n\tcat dep >tgt\n' >Makefile
mkdir flood
run_cmd depcheck Makefile flood
echo 0 >dep
cat dep >tgt
expect_exit -m "set-up seen: up to date" 0 depcheck tgt dep

# mq: make -q TARGET as a user would run it (not with our make's flags).
mq()
{
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -q "$@" >/dev/null 2>&1
}

done_=0 fooled=0 wrong=0 wrong_built=0 ticked=0
t0=$(now)
while [ "$done_" -lt "$trials" ] && [ "$ticked" -lt "$trials" ]; do
	echo "dep $done_ a" >dep
	cat dep >tgt			# the build
	echo "dep $done_ b" >dep	# the dependency rewritten
	if [ "$(stat -c %.9Y dep)" != "$(stat -c %.9Y tgt)" ]; then
		ticked=$((ticked + 1))	# the second ticked: not the race
		continue
	fi
	done_=$((done_ + 1))
	mq tgt && fooled=$((fooled + 1))
	run_cmd depcheck tgt dep
	if [ "$T_RC" -ne 1 ]; then
		wrong=$((wrong + 1))
		if [ "$wrong" -le 3 ]; then
			diag "trial $done_: dep rewritten in the target's\
 second: expected 1, got $T_RC"
			diag_last
		fi
	fi
	cat dep >tgt			# built again: up to date
	run_cmd depcheck tgt dep
	if [ "$T_RC" -ne 0 ]; then
		wrong_built=$((wrong_built + 1))
		if [ "$wrong_built" -le 3 ]; then
			diag "trial $done_: target rebuilt: expected 0, got $T_RC"
			diag_last
		fi
	fi
done
t1=$(now)
diag "$done_ trials ($ticked retried: the second ticked) in $((t1 - t0)) ms"
diag "make -q fooled (said up to date): $fooled/$done_"
diag "depcheck wrong (said up to date): $wrong/$done_"
diag "depcheck wrong after the rebuild (said stale): $wrong_built/$done_"
is "$done_" "$trials" "$trials trials with equal mtimes (1-second file system)"
is "$fooled" "$done_" "make -q said up to date in $fooled/$done_ trials"
is "$wrong" 0 "depcheck wrong (said up to date) in $wrong/$done_ trials"
is "$wrong_built" 0 \
    "rebuilt: depcheck wrong (said stale) in $wrong_built/$done_ trials"

# to_next_second: wait for the wall clock's next second, so that what
# follows has most of a second to run in (the timing of the test's own
# writes; the daemon is not waited on).
to_next_second()
{
	local s=${EPOCHREALTIME%.*}

	while [ "${EPOCHREALTIME%.*}" = "$s" ]; do
		sleep 0.005
	done
	sleep 0.02	# the coarse clock that stamps files lags a tick
}

# facts FILE: the stat facts a record holds.
facts()
{
	stat -c 'ino %i size %s mtime %.9Y ctime %.9Z' "$1"
}

# wait_stopped PID: wait (at most 5 s) until the kernel has stopped PID
# after SIGSTOP (the signal is asynchronous; the daemon does no work here).
wait_stopped()
{
	local i state

	for ((i = 0; i < 500; i++)); do
		state=$(sed -n 's/^[0-9]* (.*) \([A-Z]\) .*/\1/p' "/proc/$1/stat")
		[ "$state" = T ] && return 0
		sleep 0.01
	done
	return 1
}

# flood: an event for each of NFLOOD files in flood/ (created the first
# time, rewritten after): more than the inotify queue holds.
flood()
{
	python3 - "$nflood" <<'EOF_PY'
import os, sys

for i in range(int(sys.argv[1])):
    os.close(os.open("flood/f%d" % i, os.O_CREAT | os.O_WRONLY, 0o644))
EOF_PY
}

# 2. Racily clean after an overflow: dep and tgt written and seen, the
# daemon stopped, the queue overflowed, then dep rewritten in place (same
# size, same second): its events are lost, and the rescan finds every
# stat fact as recorded.  Only the racily-clean rule can tell.
ov0=$(status_field overflows)
attempt=0 same=
t0=$(now)
while [ "$attempt" -lt 10 ]; do
	attempt=$((attempt + 1))
	to_next_second
	echo AAAA >dep
	echo tgt >tgt
	run_cmd depcheck tgt dep
	if [ "$T_RC" -ne 0 ]; then
		diag "overflow attempt $attempt: dep then tgt written: exit\
 $T_RC, not up to date: again"
		diag_last
		continue
	fi
	before=$(facts dep)
	kill -STOP "$PID"
	wait_stopped "$PID" || diag "the daemon ($PID) did not stop"
	flood
	echo BBBB >dep			# in place: truncated and rewritten
	after=$(facts dep)
	if [ "$before" = "$after" ]; then
		same=1
		break
	fi
	kill -CONT "$PID"
	run_cmd depcheck tgt dep	# waits for the rescan the overflow owes
	diag "overflow attempt $attempt: the second ticked: again"
done
t1=$(now)
kill -CONT "$PID"
diag "dep before the rewrite: $before" "dep after the rewrite:  $after"
diag "overflow case: $attempt attempt(s), $((t1 - t0)) ms"
ok "overflow: set-up seen, dep rewritten with every stat fact the same" \
    test -n "$same"
t0=$(now)
expect_exit -m "overflow: dep rewritten in tgt's second, unseen: stale" \
    1 depcheck tgt dep
t1=$(now)
diag "the check after the overflow (waits for the rescan): $((t1 - t0)) ms"
ov1=$(status_field overflows)
diag "status: overflows $ov1, rescans $(status_field rescans), records\
 $(status_field records), seq $(status_field seq)"
ok "status overflows rose ($ov0 -> $ov1)" test "${ov1:-0}" -gt "${ov0:-0}"
ok "status rescans >= 1" test "$(status_field rescans)" -ge 1
echo tgt2 >tgt
expect_exit -m "overflow: tgt written after the rescan: up to date" \
    0 depcheck tgt dep flood/f7

# 3. Racily clean across a restart: written and seen, the daemon killed
# (kill -9), dep rewritten in place in the same second, the daemon
# started.  Killed, not stopped: a clean stop now watches until the
# second of the last writes is over (issue 11, item 3; t2008), so a
# rewrite after it cannot keep every stat fact.  After kill -9 nothing
# waited, and only the racily-clean rule can tell.
attempt=0 same=
t0=$(now)
while [ "$attempt" -lt 10 ]; do
	attempt=$((attempt + 1))
	to_next_second
	echo CCCC >dep
	echo tgt3 >tgt
	run_cmd depcheck tgt dep
	if [ "$T_RC" -ne 0 ]; then
		diag "restart attempt $attempt: dep then tgt written: exit\
 $T_RC, not up to date: again"
		diag_last
		continue
	fi
	before=$(facts dep)
	kill -KILL "$PID"
	wait_gone "$PID" || give_up "the daemon ($PID) survived kill -9"
	PID=
	echo DDDD >dep
	after=$(facts dep)
	[ "$before" = "$after" ] && same=1
	run_cmd depcheck start
	if [ "$T_RC" -ne 0 ]; then
		diag_last
		give_up "depcheck start (exit $T_RC)"
	fi
	PID=$(status_field pid)
	[ -n "$same" ] && break
	diag "restart attempt $attempt: the second ticked: again"
done
t1=$(now)
diag "dep before the rewrite: $before" "dep after the rewrite:  $after"
diag "restart case: $attempt attempt(s), $((t1 - t0)) ms"
ok "restart: set-up seen, dep rewritten with every stat fact the same" \
    test -n "$same"
expect_exit -m "restart: dep rewritten in tgt's second while stopped: stale" \
    1 depcheck tgt dep
echo tgt4 >tgt
expect_exit -m "restart: tgt written after the start: up to date" \
    0 depcheck tgt dep
# 4. Not staler than needed: a new, empty directory's creation is an event
# like any other, so it must not tie a batch of writes that share its
# second (it did: mkdir, then dep, then tgt, read in one batch, came out
# "dep written at the same seq").  The daemon is stopped so that all
# three are read together.
wrong=0
for ((i = 1; i <= 5; i++)); do
	to_next_second
	kill -STOP "$PID"
	wait_stopped "$PID" || diag "the daemon ($PID) did not stop"
	mkdir "newdir$i"
	echo "$i" >dep
	cat dep >tgt
	kill -CONT "$PID"
	run_cmd depcheck --why tgt dep
	if [ "$T_RC" -ne 0 ]; then
		wrong=$((wrong + 1))
		diag_last
	fi
done
is "$wrong" 0 "mkdir, then dep, then tgt in one batch: up to date, 5 times"

diag "whole test: $(($(now) - t_start)) ms"

done_testing
