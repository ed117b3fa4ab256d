#!/usr/bin/env bash
# Area 5 (faults): after an inotify queue overflow only what may have
# changed unseen is restamped (issue 11, item 3).  On a file system with
# 1-second timestamps: dep, then tgt, written and seen; the daemon idle
# past their second; then, with the daemon stopped (SIGSTOP), a flood of
# writes to other files fills the queue.  The rescan must leave dep and
# tgt alone (up to date, no new ties): every write before the daemon last
# found its queue empty was seen.  It rescanned them by their shared
# second, tied, when that moment was its last drain, just after tgt.  And
# dep rewritten after the flood, its mtime put back, is still stale.
# Needs root and a loop device (skipped otherwise).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null 2>&1 || skip_all "no python3 (for the flood)"
maxq=$(cat /proc/sys/fs/inotify/max_queued_events 2>/dev/null)
case $maxq in
''|*[!0-9]*)	maxq=16384 ;;
esac
[ "$maxq" -le 100000 ] ||
    skip_all "fs.inotify.max_queued_events is $maxq: the flood would be long"
nflood=$((maxq + 4000))

coarse_root 32

# The daemon is resumed whatever happens, or the clean-up would wait on it.
PID=
resume()
{
	[ -n "$PID" ] && kill -CONT "$PID" 2>/dev/null
	return 0
}
at_exit resume

# next_second: wait for the wall clock's next second, and a tick more
# (the coarse clock that stamps files lags one).  The clock is what is
# waited for here, not the daemon.
next_second()
{
	local s=${EPOCHREALTIME%.*}

	while [ "${EPOCHREALTIME%.*}" = "$s" ]; do
		sleep 0.005
	done
	sleep 0.01
}

# flood: NFLOOD writes (open for writing, close: IN_CLOSE_WRITE), in
# turn to 100 files in flood/ that keep every stat fact: more events than
# the queue holds, no inode used.
flood()
{
	python3 - "$nflood" <<'EOF_PY'
import os, sys

for i in range(int(sys.argv[1])):
    os.close(os.open("flood/f%d" % (i % 100), os.O_WRONLY))
EOF_PY
}

start_daemon
PID=$(status_field pid)
mkdir flood
for ((i = 0; i < 100; i++)); do
	: >"flood/f$i"
done
run_cmd depcheck flood/f99 flood/f0

kept=0 tied=0 caught=0 rounds=3
for ((r = 1; r <= rounds; r++)); do
	next_second
	printf 'dep %d\n' "$r" >dep
	printf 'tgt %d\n' "$r" >tgt
	expect_exit -m "round $r: dep, then tgt, seen: up to date" \
	    0 depcheck tgt dep
	m=$(stat -c %.9Y dep)
	# Idle past their second, and past the daemon's next look at its
	# queue (every second).
	next_second
	sleep 1.1
	ties0=$(status_field ties)
	ov0=$(status_field overflows)
	kill -STOP "$PID"
	flood
	kill -CONT "$PID"
	run_cmd depcheck --why tgt dep		# waits for the rescan
	if [ "$T_RC" -eq 0 ]; then
		kept=$((kept + 1))
	else
		diag "round $r: after the overflow: exit $T_RC"
		diag_last
	fi
	ov1=$(status_field overflows)
	[ "$ov1" -gt "$ov0" ] || diag "round $r: no overflow ($ov0 -> $ov1)"
	ties1=$(status_field ties)
	[ "$ties1" = "$ties0" ] || tied=$((tied + 1))
	# dep rewritten unseen (the daemon stopped, the queue full), same
	# size, its mtime put back: stale.
	kill -STOP "$PID"
	flood
	printf 'DEP %d\n' "$r" >dep
	touch -d "@$m" dep
	kill -CONT "$PID"
	run_cmd depcheck tgt dep
	if [ "$T_RC" -eq 1 ]; then
		caught=$((caught + 1))
	else
		diag "round $r: dep rewritten unseen: exit $T_RC"
		diag_last
	fi
done
is "$kept" "$rounds" "seen before the overflow: up to date after the rescan"
is "$tied" 0 "status: the rescans tied no files"
is "$caught" "$rounds" "rewritten unseen, mtime put back: stale"
ok "status counts the overflows" test "$(status_field overflows)" -ge 2

done_testing
