#!/usr/bin/env bash
# Area 1 (check), issue 10: output that cannot be written is an error.
# With stdout on /dev/full, every subcommand that prints exits 2 with
# exactly "depcheck: cannot write output: No space left on device" on
# stderr, never 0 (or 1) as if its answer had been read; one that prints
# nothing on stdout answers as usual.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ -w /dev/full ] || skip_all "no writable /dev/full"

# This test's daemon only, for depcheck list.
export DEPCHECK_RUNTIME_DIR=$SCRATCH/run

full="depcheck: cannot write output: No space left on device"

# full CMD...: CMD with stdout on /dev/full exits 2, and its stderr is
# exactly the one line.
full()
{
	local desc="$* >/dev/full"

	T_CMD="$(_quote "$@") >/dev/full"
	"$@" >/dev/full 2>"$T_ERR"
	T_RC=$?
	: >"$T_OUT"
	if [ "$T_RC" -eq 2 ] && [ "$(cat "$T_ERR")" = "$full" ]; then
		pass "$desc: exit 2, '$full'"
	else
		fail "$desc: exit 2, '$full'"
		diag_last
	fi
}

start_daemon
echo c >a.c
echo o >a.o
echo h >a.h

full depcheck status
full depcheck status --json
full depcheck seq a.c
full depcheck seq --json a.c a.o
full depcheck list
full depcheck list --json
full depcheck --newer a.o a.h
full depcheck check --json a.o a.c
full depcheck --help
full depcheck --version
# The recipe does not run when its echo cannot be written.
full depcheck run --echo a.o a.h -- touch ran
ok "run --echo >/dev/full: the recipe did not run" test ! -e ran

# Nothing to print: the answer as usual.
T_CMD="depcheck a.o a.c >/dev/full"
depcheck a.o a.c >/dev/full 2>"$T_ERR"
T_RC=$?
is "$T_RC" 0 "a check that prints nothing, stdout full: exit 0"
is "$(cat "$T_ERR")" "" "and nothing on stderr"
depcheck --why a.o a.h >/dev/full 2>"$T_ERR"
is "$?" 1 "check --why (on stderr), stdout full: exit 1 (stale)"

done_testing
