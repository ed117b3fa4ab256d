#!/usr/bin/env bash
# Area 5 (faults), issue 9: nested roots.  depcheck start inside a
# watched tree reports the enclosing daemon and starts nothing, unless
# --nested asks for a daemon of the subtree's own; and a daemon never
# records a state directory (.depcheck) below its root: not a nested
# daemon's database and log, not one made or moved in later.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

export DEPCHECK_RUNTIME_DIR=$SCRATCH/run

mkdir -p sub/deep
start_daemon
top=$(status_field pid)

cd sub/deep || exit 1
expect_fail -m "start in a subdirectory: the enclosing daemon, exit 0" 0 \
    "depcheck: '$ROOT/sub/deep' is inside '$ROOT', watched by its daemon (pid $top); not starting another (--nested would)" \
    depcheck start
ok "no state directory made there" test ! -e .depcheck
is "$(daemon_pids "$ROOT/sub/deep")" "" "no daemon for the subdirectory"
is "$(status_field root)" "$ROOT" "checks there ask the enclosing daemon"
cd "$ROOT" || exit 1
expect_fail -m "start DIR below the root: the same" 0 \
    "depcheck: '$ROOT/sub' is inside '$ROOT', watched by its daemon (pid $top); not starting another (--nested would)" \
    depcheck start sub
ok "no state directory made in sub" test ! -e sub/.depcheck
DEPCHECK_ROOT=$ROOT/sub expect_exit -m "DEPCHECK_ROOT below the root: the same" \
    0 depcheck start
ok "still none in sub" test ! -e sub/.depcheck
expect_exit -m "start with the root itself: already running" 0 depcheck start

# The enclosing daemon's seq before the nested daemon does anything.
echo c >sub/a.c
echo o >sub/a.o
expect_exit -m "a check in the root syncs" 0 depcheck sub/a.o sub/a.c
seq0=$(status_field seq)

cd sub || exit 1
expect_exit -m "start --nested: a daemon for sub" 0 depcheck start --nested
ok "sub has a state directory" test -d .depcheck
nested=$(status_field pid)
is "$(status_field root)" "$ROOT/sub" "checks in sub now ask sub's daemon"
ok "another pid" test "$nested" != "$top"
for i in 1 2 3; do
	# Each syncs (a cookie in sub/.depcheck/cookies); a missing
	# target is stale.
	count_check 1 depcheck --strict nothere a.c
done
is "$CHECKS/$WRONG" "3/0" "sub's daemon answers"
expect_exit -m "start --nested again: already running" 0 depcheck start --nested
cd deep || exit 1
expect_exit -m "start in sub/deep: reports sub's daemon" 0 depcheck start
expect_stderr "depcheck: '$ROOT/sub/deep' is inside '$ROOT/sub', watched by its daemon (pid $nested); not starting another (--nested would)"
cd "$ROOT" || exit 1
expect_exit -m "a check in the root syncs again" 0 depcheck sub/a.o sub/a.c
# The nested daemon wrote its database, log, lock, image and cookies.
is "$(status_field seq)" "$seq0" "the root's daemon recorded none of it"
run_cmd depcheck seq sub/.depcheck/state.db sub/.depcheck/depcheckd.log
is "$(cut -d ' ' -f 2 "$T_OUT" | tr '\n' ' ')" "unwatched unwatched " \
    "the nested state directory has no records in the root's daemon"

# Whatever happens: one made later, deeper, or moved in.
mkdir -p x/y/.depcheck
echo s >x/y/.depcheck/state.db
mkdir -p "$SCRATCH/moved/.depcheck/cookies"
echo s >"$SCRATCH/moved/.depcheck/state.db"
mv "$SCRATCH/moved" moved
echo s >x/.depcheck
run_cmd depcheck seq x/y/.depcheck/state.db moved/.depcheck/state.db \
    x/.depcheck
is "$(cut -d ' ' -f 2 "$T_OUT" | tr '\n' ' ')" "unwatched unwatched unwatched " \
    "made, moved in, or a plain file: never recorded"
run_cmd depcheck seq x/y moved
is "$(cut -d ' ' -f 2 "$T_OUT" | tr '\n' ' ')" "exists exists " \
    "the directories around them are"

expect_exit -m "stop sub's daemon" 0 depcheck stop sub
expect_exit -m "stop the root's" 0 depcheck stop
is "$(daemon_pids "$ROOT"; daemon_pids "$ROOT/sub")" "" "no daemon left"

done_testing
