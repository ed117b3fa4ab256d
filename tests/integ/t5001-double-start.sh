#!/usr/bin/env bash
# Area 5 (faults): one daemon per root.  A second depcheck start says the
# daemon already runs and exits 0; depcheckd on a held root exits 3;
# concurrent starts on a fresh root leave exactly one daemon.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon
pid=$(status_field pid)
like "$pid" '^[1-9][0-9]*$' "status gives the pid"
is "$(daemon_pids)" "$pid" "one daemon for the root"
by_pgrep=$(for p in $(pgrep -f -- "$(_ere_quote "$ROOT")( |\$)"); do
	[ "$(cat "/proc/$p/comm" 2>/dev/null)" = depcheckd ] && echo "$p"
done)
is "$by_pgrep" "$pid" "pgrep -f finds that one depcheckd with the root on its command line"

expect_fail -m "a second depcheck start: already running, exit 0" \
    0 "depcheck: daemon already running for '$ROOT' (pid $pid)" \
    depcheck start
is "$(daemon_pids)" "$pid" "still one daemon for the root"
is "$(status_field pid)" "$pid" "status: the same pid"

mkdir sub
cd sub || exit 1
expect_fail -m "depcheck start ROOT from a subdirectory: already running" \
    0 "depcheck: daemon already running for '$ROOT' (pid $pid)" \
    depcheck start "$ROOT"
cd "$ROOT" || exit 1
is "$(daemon_pids)" "$pid" "still one daemon for the root"

expect_exit -m "depcheckd --root on a held root exits 3" \
    3 depcheckd --root "$ROOT"
like "$(head -n 1 "$T_ERR")" '^depcheckd: ' "with a 'depcheckd: ' line"
is "$(daemon_pids)" "$pid" "still one daemon for the root"
echo c >a.c
echo o >a.o
expect_exit -m "the daemon still answers" 0 depcheck a.o a.c
is "$(cat "$T_ERR")" "" "with no warning"

# Four starts at once on a fresh root.
root2=$TEST_TMP/root2
mkdir "$root2"
for i in 1 2 3 4; do
	(depcheck start "$root2" >"$SCRATCH/out$i" 2>"$SCRATCH/err$i"
	    echo $? >"$SCRATCH/rc$i") &
done
wait
rcs=$(cat "$SCRATCH"/rc[1-4] | tr '\n' ' ')
is "$rcs" "0 0 0 0 " "four concurrent starts all exit 0"
for i in 1 2 3 4; do
	[ "$(cat "$SCRATCH/rc$i")" = 0 ] || diag_file "stderr of start $i" "$SCRATCH/err$i"
done
n=$(daemon_pids "$root2" | wc -l)
is "$n" 1 "four concurrent starts: exactly one daemon for the new root"
cd "$root2" || exit 1
echo c >a.c
echo o >a.o
expect_exit -m "the new root's daemon answers" 0 depcheck a.o a.c
is "$(cat "$T_ERR")" "" "with no warning"
expect_exit -m "stop the new root" 0 depcheck stop
is "$(daemon_pids "$root2")" "" "the new root's daemon is gone"
is "$(daemon_pids "$ROOT")" "$pid" "the first root's daemon is not"

done_testing
