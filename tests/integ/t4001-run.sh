#!/usr/bin/env bash
# Area 4 (run): depcheck run runs its command only when the target is
# stale, passes its exit status through, records the build when it
# succeeds (and only then), and so catches a dependency rewritten while
# the recipe ran -- after the compiler read it -- which make and ninja miss.
# shellcheck source=lib.sh disable=SC2016	# sh -c scripts quote on purpose
. "$(dirname "$0")/lib.sh"

# The seq at which out.o's recorded build started ("null": none).
built_from()
{
	depcheck_nowrap --json out.o in.c >"$SCRATCH/json" 2>/dev/null
	json_eval "$SCRATCH/json" 'o["target_built_from"]'
}

start_daemon

echo v1 >in.c
expect_exit -m "missing target: the command runs" \
    0 depcheck run out.o in.c -- cp in.c out.o
is "$(cat out.o)" v1 "the command wrote the target"
expect_exit -m "up to date: exit 0" \
    0 depcheck run out.o in.c -- sh -c 'echo ran >marker'
ok "up to date: the command did not run" test ! -e marker
# Compared with the seq at which the recorded build of out.o started.
expect_fail -m "--why says why it did not run" 0 \
    "depcheck: out.o is up to date: 1 dependency written before it (newest in.c, seq $(seq_of in.c) < $(built_from))" \
    depcheck run --why out.o in.c -- sh -c 'echo ran >marker'

echo v2 >in.c
expect_fail -m "--why says why it ran" 0 \
    "depcheck: out.o is stale: in.c written after it (seq $(seq_of in.c) > $(seq_of out.o))" \
    depcheck run --why out.o in.c -- cp in.c out.o
is "$(cat out.o)" v2 "rebuilt from the new input"

# --echo prints the command, shell-quoted, only when it runs it.
echo v3 >in.c
expect_exit -m "--echo: runs" 0 \
    depcheck run --echo out.o in.c -- sh -c 'cat in.c >out.o' "a b"
is "$(cat "$T_OUT")" "sh -c 'cat in.c >out.o' 'a b'" "--echo: the command"
expect_exit -m "--echo: up to date" 0 \
    depcheck run --echo out.o in.c -- sh -c 'cat in.c >out.o'
is "$(cat "$T_OUT")" "" "--echo: nothing printed when it does not run"

# A recipe that reads its input, which is then rewritten before the
# target is written: the target is the newest file, but built from the
# old input.  The recorded build makes it stale.
echo v4 >in.c
expect_exit -m "recipe rewriting its input half-way: runs" 0 \
    depcheck run out.o in.c -- sh -c 'v=$(cat in.c); echo v5 >in.c; echo "$v" >out.o'
is "$(cat out.o)" v4 "the target holds the old input"
ok "the target is the newest file by seq" \
    test "$(seq_of out.o)" -gt "$(seq_of in.c)"
expect_fail -m "next check: stale, written while its recipe ran" 1 \
    "depcheck: out.o is stale: in.c written while its recipe ran (seq $(seq_of in.c), the recipe started at seq $(built_from))" \
    depcheck --why out.o in.c
ok "--json names the recipe's start, before the input's rewrite" \
    test "$(built_from)" -le "$(seq_of in.c)"
expect_exit -m "depcheck run rebuilds it" 0 depcheck run out.o in.c -- cp in.c out.o
is "$(cat out.o)" v5 "now from the new input"
expect_exit -m "then up to date" 0 depcheck out.o in.c

# A plain write of the target after a recorded build: the record no
# longer describes it, plain write order decides again.
echo v6 >in.c
expect_exit 0 depcheck run out.o in.c -- sh -c 'v=$(cat in.c); echo v7 >in.c; echo "$v" >out.o'
expect_exit -m "stale after the half-way rewrite" 1 depcheck out.o in.c
cp in.c out.o
expect_exit -m "target rewritten by hand afterwards: up to date" \
    0 depcheck out.o in.c

# The command's status passes through.  A failure is never recorded as a
# build; but when the failed recipe wrote the target, whatever it left
# counts as older than nothing: the target is stale (plain make would
# call it up to date here: it is the newest file).
echo v8 >in.c
expect_exit -m "failing command: its status" 3 \
    depcheck run out.o in.c -- sh -c 'v=$(cat in.c); echo v9 >in.c; echo "$v" >out.o; exit 3'
ok "the failed recipe's target is the newest file" \
    test "$(seq_of out.o)" -gt "$(seq_of in.c)"
expect_fail -m "a target written by a failed recipe is stale" 1 \
    "depcheck: out.o is stale: the recipe that last wrote it failed" \
    depcheck --why out.o in.c
expect_exit -m "the next run rebuilds it" 0 depcheck run out.o in.c -- cp in.c out.o
is "$(cat out.o)" v9 "rebuilt"
expect_exit -m "then up to date" 0 depcheck out.o in.c
before=$(built_from)
echo v10 >in.c
expect_exit -m "failing before writing the target: its status" 1 \
    depcheck run out.o in.c -- false
expect_fail -m "the target it did not write: stale by plain order" 1 \
    "depcheck: out.o is stale: in.c written after it (seq $(seq_of in.c) > $(seq_of out.o))" \
    depcheck --why out.o in.c
ok "a recorded build before" test "$before" -ge 2
is "$(built_from)" "$before" "the earlier record stands"
cp in.c out.o
expect_exit -m "a command killed by a signal: 128+N" 137 \
    depcheck run new.o in.c -- sh -c 'kill -9 $$'
expect_fail -m "a command that cannot run: 127" 127 \
    "depcheck: cannot run 'no-such-command-xyz': No such file or directory" \
    depcheck run new.o in.c -- no-such-command-xyz

# A dependency that does not exist when the recipe is to run is phony
# for make (kbuild's FORCE): make calls the target out of date, and so
# does depcheck run (the bare check calls it an error).
expect_fail -m "missing (phony) dependency: stale, the command runs" 0 \
    "depcheck: out.o is stale: FORCE does not exist (phony)" \
    depcheck run --why out.o in.c FORCE -- sh -c 'echo ran >marker'
ok "missing (phony) dependency: the command ran" test -e marker
rm -f marker
expect_fail -m "the bare check: a missing dependency is an error" 2 \
    "depcheck: dependency 'FORCE' does not exist" depcheck out.o in.c FORCE

# Errors before the command: it does not run.
expect_fail -m "no --" 2 "depcheck: missing -- before the command" \
    depcheck run out.o in.c
expect_fail -m "nothing after --" 2 "depcheck: missing the command after --" \
    depcheck run out.o in.c --
expect_fail -m "no target" 2 "depcheck: missing TARGET" \
    depcheck run -- true
expect_fail -m "unknown option" 2 "depcheck: unknown option '--bogus'" \
    depcheck run --bogus out.o in.c -- true

# Without a daemon: mtime rules, one warning, the command still runs.
depcheck_nowrap stop >/dev/null 2>&1
echo v11 >in.c
touch -d '2001-01-01' out.o
expect_exit -m "no daemon: stale by mtime, runs" 0 \
    depcheck run out.o in.c -- cp in.c out.o
ok "no daemon: the warning" has_line "$T_ERR" \
    "depcheck: no daemon for '$ROOT'; comparing mtimes (equal counts as stale)"
is "$(cat out.o)" v11 "no daemon: rebuilt"
expect_exit -m "no daemon, --strict: 2, not run" 2 \
    depcheck run --strict out.o in.c -- sh -c 'echo ran >marker'
ok "--strict: the command did not run" test ! -e marker

done_testing
