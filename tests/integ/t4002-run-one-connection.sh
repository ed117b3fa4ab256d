#!/usr/bin/env bash
# Area 4 (run): depcheck run is one connection (issue 11): HELLO and the
# check's QUERY go out in one write, and the RUN_DONE after the command
# goes on the same connection, kept open while the command runs.  A
# command that outlasts the daemon's idle timeout finds the connection
# closed: the client connects again and the build is still recorded.
# shellcheck source=lib.sh disable=SC2016	# sh -c scripts quote on purpose
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip_all "python3 is not installed"
need_strace

# The seq at which out.o's recorded build started ("null": none).
built_from()
{
	depcheck_nowrap --json out.o in.c >"$SCRATCH/json" 2>/dev/null
	json_eval "$SCRATCH/json" 'o["target_built_from"]'
}

CONNECTS='^[0-9]+ +connect\('
SENDS='(sendto|sendmsg|write|writev)\(([3-9]|[1-9][0-9]+),'

# A short idle timeout, so that a command can outlast it.
start_depcheckd --idle-timeout 1000

echo v1 >in.c
traced run out.o in.c -- cp in.c out.o
is "$T_RC" 0 "a stale target: the command runs, exit 0"
is "$(trace_count "$CONNECTS")" 1 "check and record: one connection"
is "$(trace_count "$SENDS")" 2 "two writes: HELLO with QUERY, then RUN_DONE"
is "$(nlines "$T_ERR")" 0 "nothing on stderr"
ok "the build is recorded" test "$(built_from)" != null

traced run out.o in.c -- sh -c 'echo ran >marker'
is "$T_RC" 0 "up to date: exit 0"
is "$(trace_count "$CONNECTS")" 1 "up to date: one connection"
is "$(trace_count "$SENDS")" 1 "up to date: one write"
ok "the command did not run" test ! -e marker

# The command runs for longer than the idle timeout (1 s): the daemon
# closes the silent connection, and RUN_DONE goes on a new one.
echo v2 >in.c
before=$(built_from)
traced run out.o in.c -- sh -c 'sleep 2; cp in.c out.o'
is "$T_RC" 0 "a command past the idle timeout: exit 0"
is "$(nlines "$T_ERR")" 0 "nothing on stderr"
is "$(trace_count "$CONNECTS")" 2 "the client connected again for RUN_DONE"
# Holding a served connection is not a fault: the daemon says so in
# passing, and does not warn as it does of a client that never asked.
LOG=$ROOT/.depcheck/depcheckd.log
ok "the close is logged as idle after a request" \
    grep -q ' I a client sent no request for 1000 ms after its last' "$LOG"
ok "and not warned of" \
    sh -c "! grep -q ' W a client sent no request' '$LOG'"
ok "the build is recorded anew" test "$(built_from)" -gt "$before"
# Recorded indeed: an input written while the recipe ran makes the target
# stale, though the target was written after it.
echo v3 >in.c
traced run out.o in.c -- sh -c 'echo v4 >in.c; sleep 2; echo v3 >out.o'
is "$T_RC" 0 "again, the input rewritten while the command ran"
is "$(trace_count "$CONNECTS")" 2 "(connected again)"
expect_exit -m "the target is stale: written while its recipe ran" \
    1 depcheck out.o in.c

# At --max-connections, a run holding its connection while its command
# runs does not make a check fail busy: the daemon closes the idle one,
# and the run reconnects for RUN_DONE.  (FIFOs, not sleeps, pace it.)
depcheck stop >/dev/null 2>&1
start_depcheckd --max-connections 1
mkfifo started go
echo v5 >in.c
depcheck run out.o in.c -- sh -c 'echo >started; read x <go; cp in.c out.o' \
    >"$SCRATCH/held.out" 2>"$SCRATCH/held.err" &
held=$!
read -r _ <started
expect_exit -m "a check while a run holds the only connection: answered" \
    1 depcheck out.o in.c
echo >go
wait "$held"
is "$?" 0 "the held run: exit 0"
is "$(cat "$SCRATCH/held.err")" "" "the held run: nothing on stderr"
expect_exit -m "and its build is recorded: up to date" 0 depcheck out.o in.c
ok "the daemon said why it closed the idle connection" \
    grep -q ' I at --max-connections (1): closing an idle connection' \
    "$ROOT/.depcheck/depcheckd.log"

done_testing
