#!/usr/bin/env bash
# Area 1 (check): depcheck stop returns once the daemon has exited and the
# socket is gone; with no daemon it notes so and exits 0; start and stop
# with a DIR from elsewhere; seqs only go up across a restart.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon
pid=$(status_field pid)
like "$pid" '^[1-9][0-9]*$' "status gives the daemon's pid"
echo c >a.c
echo o >a.o
expect_exit -m "up to date" 0 depcheck a.o a.c
high=$(seq_of a.o)

expect_exit -m "depcheck stop" 0 depcheck stop
ok "stop: pid $pid has exited" not alive "$pid"
is "$(daemon_pids)" "" "stop: no depcheck process left for the root"
ok "stop: the socket is gone" test ! -e .depcheck/sock

expect_exit -m "depcheck stop with no daemon: 0" 0 depcheck stop
like "$(head -n 1 "$T_ERR")" '^depcheck: ' "stop with no daemon: a note on stderr"

# start DIR and stop DIR from another directory.
cd "$SCRATCH" || exit 1
expect_exit -m "depcheck start ROOT from elsewhere" 0 depcheck start "$ROOT"
pid2=$(cd "$ROOT" && status_field pid)
like "$pid2" '^[1-9][0-9]*$' "a new daemon"
is "$(daemon_pids)" "$pid2" "one daemon for the root"
cd "$ROOT" || exit 1
echo b >b.c
s=$(seq_of b.c)
ok "seqs go on after a restart ($high -> $s)" test "$s" -gt "$high"
expect_exit -m "after the restart, a.o is still older than b.c" \
    1 depcheck a.o b.c
cd "$SCRATCH" || exit 1
expect_exit -m "depcheck stop ROOT from elsewhere" 0 depcheck stop "$ROOT"
is "$(daemon_pids)" "" "stop ROOT: no depcheck process left"
ok "stop ROOT: the socket is gone" test ! -e "$ROOT/.depcheck/sock"

# DEPCHECK_ROOT names the root for start and stop.
DEPCHECK_ROOT=$ROOT expect_exit -m "start with DEPCHECK_ROOT" 0 depcheck start
pid3=$(cd "$ROOT" && status_field pid)
is "$(daemon_pids)" "$pid3" "DEPCHECK_ROOT: one daemon for the root"
DEPCHECK_ROOT=$ROOT expect_exit -m "stop with DEPCHECK_ROOT" 0 depcheck stop
is "$(daemon_pids)" "" "DEPCHECK_ROOT: stopped"

done_testing
