#!/usr/bin/env bash
# Area 5 (faults): wrong arguments and roots that are not directories get
# exit 2 and a line on stderr, never an answer.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# expect_usage DESC CMD...: exit 2, something on stderr, nothing on stdout.
expect_usage()
{
	local desc=$1

	shift
	expect_exit -m "$desc: exit 2" 2 "$@" || return
	if [ -s "$T_ERR" ] && [ ! -s "$T_OUT" ]; then
		pass "$desc: a message on stderr, nothing on stdout"
	else
		fail "$desc: a message on stderr, nothing on stdout"
		diag_last
	fi
}

echo c >a.c
echo o >a.o
expect_usage "no arguments" depcheck
expect_usage "an unknown option" depcheck --no-such-option a.o a.c
expect_usage "check with no arguments" depcheck check
expect_usage "seq with no path" depcheck seq
expect_usage "status with an extra argument" depcheck status extra
expect_usage "an unknown option to start" depcheck start --no-such-option

expect_exit -m "start on a regular file: exit 2" 2 depcheck start a.c
like "$(cat "$T_ERR")" "^depcheck: .*a\\.c" "start on a regular file: a 'depcheck: ' line naming it"
is "$(nlines "$T_ERR")" 1 "start on a regular file: one line"
expect_exit -m "start on a missing directory: exit 2" 2 depcheck start nosuch
like "$(cat "$T_ERR")" "^depcheck: .*nosuch" "start on a missing directory: a 'depcheck: ' line naming it"
expect_exit -m "depcheckd --root on a regular file: exit 2" \
    2 depcheckd --root "$ROOT/a.c"
like "$(head -n 1 "$T_ERR")" '^depcheckd: ' "depcheckd: a 'depcheckd: ' line"
expect_exit -m "depcheckd with an unknown option: exit 2" \
    2 depcheckd --no-such-option
is "$(daemon_pids)" "" "no daemon was left running"

done_testing
