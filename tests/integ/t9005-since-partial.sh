#!/usr/bin/env bash
# Issue 12: since never gives a silently partial list.  With directories
# the daemon cannot watch (DEPCHECKD_MAX_WATCHES: the watch limit, as
# ENOSPC), what changes in them is not seen: the token line says
# "partial", --json says "partial": true, and one line on stderr says why.
# With every directory watched, neither.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

mkdir -p "$ROOT/d1" "$ROOT/d2" "$ROOT/d3"
DEPCHECKD_MAX_WATCHES=2 start_daemon
cd "$ROOT" || exit 1
like "$(status_field unwatched)" '^[1-9][0-9]*$' "some directories are not watched"
run_cmd depcheck since ""
T=$(tail -n 1 "$T_OUT" | cut -d ' ' -f 2)
echo a >d1/a
echo a >d2/a
echo a >d3/a
expect_exit -m "since with unwatched directories" 0 depcheck since "$T"
like "$(tail -n 1 "$T_OUT")" '^token [0-9a-f]{16}:[0-9]+ partial$' "the token line says partial"
like "$(cat "$T_ERR")" "^depcheck: '.*' has directories the daemon cannot watch \\(see depcheck status\\): what changed in them is not listed\$" \
    "one line on stderr says why"
expect_exit -m "since --json with unwatched directories" 0 depcheck since --json "$T"
like "$(tail -n 1 "$T_OUT")" '"partial":true' "--json: partial true"

run_cmd depcheck stop "$ROOT"
start_daemon
is "$(status_field unwatched)" 0 "every directory watched now"
expect_exit -m "since with every directory watched" 0 depcheck since "$T"
like "$(tail -n 1 "$T_OUT")" '^token [0-9a-f]{16}:[0-9]+$' "no partial"
is "$(cat "$T_ERR")" "" "nothing on stderr"

done_testing
