#!/usr/bin/env bash
# Area 5 (faults): after an upgrade, a daemon still running speaks an
# older protocol.  Every check says so, with the advice "depcheck stop;
# depcheck start" -- so stop must work on it: it sends SIGTERM to the
# depcheckd that holds the root's lock.  (A stand-in plays the old daemon.)
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip_all "python3 is not installed"

# wait_file PATH: until a stand-in (not the daemon) says it is ready.
wait_file()
{
	local i

	for ((i = 0; i < 500; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.01
	done
	return 1
}

python3 "$TEST_DIR/old-daemon.py" "$ROOT" "$SCRATCH/ready" &
old=$!
at_exit eval "kill $old 2>/dev/null"	# stop has ended it, normally
ok "the stand-in is up" wait_file "$SCRATCH/ready"
is "$(cat "/proc/$old/comm")" depcheckd "the stand-in is named depcheckd"

echo a >dep
echo b >tgt
# The version this client speaks, which the stand-in's answer names.
PV=$(awk '$1 == "#define" && $2 == "PROTO_VERSION" { print $3 }' \
    "$TEST_DIR/../../proto/proto.h")
expect_fail -m "a check against the old daemon: 2, with the advice" 2 \
    "depcheck: daemon for '$ROOT': daemon speaks protocol 1, this client $PV (run: depcheck stop; depcheck start)" \
    depcheck tgt dep
expect_fail -m "start refuses to start a second daemon beside it" 2 \
    "depcheck: daemon for '$ROOT': daemon speaks protocol 1, this client $PV (run: depcheck stop; depcheck start)" \
    depcheck start
expect_fail -m "stop: signals the old daemon, says so, exit 0" 0 \
    "depcheck: daemon for '$ROOT': daemon speaks protocol 1, this client $PV (run: depcheck stop; depcheck start); sent it SIGTERM instead" \
    depcheck stop
wait "$old" 2>/dev/null
ok "the old daemon is gone" test ! -e "/proc/$old/status"
expect_exit -m "then start works" 0 depcheck start
echo c >tgt
expect_exit -m "and checks answer" 0 depcheck tgt dep

# A lock held by something that is not a depcheckd is never signalled.
depcheck_nowrap stop >/dev/null 2>&1
python3 -c 'import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX); os.ftruncate(fd, 0)
os.write(fd, b"%d\n" % os.getpid()); open(sys.argv[2], "w").close()
time.sleep(60)' "$ROOT/.depcheck/lock" "$SCRATCH/ready2" &
other=$!
at_exit eval "kill $other 2>/dev/null"
wait_file "$SCRATCH/ready2" || diag "the lock holder did not start"
rm -f "$ROOT/.depcheck/sock"
expect_exit -m "no socket: no daemon, stop says so and exits 0" 0 depcheck stop
ok "the lock holder that is no depcheckd was not signalled" \
    test -e "/proc/$other/status"

done_testing
