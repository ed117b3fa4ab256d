#!/usr/bin/env bash
# Area 5 (faults), issue 9: many trees.  depcheck list shows every daemon
# of this user (root, pid, uptime, records, memory), from the registry
# each daemon keeps an entry in; --json for programs; an entry left by a
# daemon killed with -9 is dropped; one that does not answer is shown and
# said so; depcheck stop --all stops them all and returns once they have
# exited.  A registry that is not this user's is refused.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip_all "python3 is not installed"

# This test's daemons only: other tests' (and the user's) are elsewhere.
export DEPCHECK_RUNTIME_DIR=$SCRATCH/run

expect_exit -m "list with no registry: exit 0" 0 depcheck list
is "$(cat "$T_OUT")" "" "and nothing printed"
expect_exit -m "list --json with no registry" 0 depcheck list --json
is "$(json_eval "$T_OUT" 'o["daemons"]')" "[]" "an empty list"
expect_exit -m "stop --all with no registry: exit 0" 0 depcheck stop --all

# Three roots, one with a space and a byte that is not UTF-8 in its name.
r2=$TEST_TMP/'root two'
r3=$TEST_TMP/$'root\xff3'
mkdir "$r2" "$r3"
echo a >a.c
echo a >"$r2/a.c"
start_daemon
expect_exit -m "start a second root" 0 depcheck start "$r2"
expect_exit -m "start a third root" 0 depcheck start "$r3"
p1=$(status_field pid)
p2=$(DEPCHECK_ROOT=$r2 status_field pid)
p3=$(DEPCHECK_ROOT=$r3 status_field pid)

expect_exit -m "list: exit 0" 0 depcheck list
is "$(nlines "$T_OUT")" 4 "a header and three daemons"
is "$(head -n 1 "$T_OUT" | tr -s ' ')" "PID UPTIME RECORDS MEMORY ROOT" \
    "the header"
row=$(grep "^$p2 " "$T_OUT")
like "$row" "^$p2 +[0-9]+s +2 +[0-9.]+[KMG]  $(_ere_quote "$r2")\$" \
    "the second root's row: pid, uptime, 2 records (the root, a.c), memory, root"
is "$(cat "$T_ERR")" "" "nothing on stderr"

expect_exit -m "list --json" 0 depcheck list --json
is "$(json_eval "$T_OUT" '" ".join(str(d["pid"]) for d in o["daemons"])')" \
    "$(printf '%s\n' "$p1" "$p2" "$p3" | sort -n | tr '\n' ' ' | sed 's/ $//')" \
    "three daemons, by pid"
is "$(json_eval "$T_OUT" '[d for d in o["daemons"] if d["pid"] == '"$p1"'][0]["root"]')" \
    "$ROOT" "the root of the first"
is "$(json_eval "$T_OUT" 'pb([d for d in o["daemons"] if d["pid"] == '"$p3"'][0], "root")')" \
    "$(hex "$r3")" "the exact bytes of a root that is not UTF-8"
is "$(json_eval "$T_OUT" 'all(d["answering"] and d["records"] >= 1 and d["memory"] > 100000 and d["uptime"] >= 0 and d["idle_exit"] == 0 for d in o["daemons"])')" \
    true "each answers, with records, memory, uptime and idle_exit"

# A daemon killed with -9 leaves its entry; list drops it.
kill -KILL "$p3"
wait_gone "$p3"
expect_exit -m "list after kill -9 of one" 0 depcheck list
is "$(nlines "$T_OUT")" 3 "two daemons left"
ok "its registry entry is gone" test ! -e "$DEPCHECK_RUNTIME_DIR/$p3"
rm -rf "$r3/.depcheck"

# One that does not answer (stopped) is shown, and said so.
kill -STOP "$p2"
at_exit eval "kill -CONT $p2 2>/dev/null"
DEPCHECK_TIMEOUT=1 expect_exit -m "list with a stopped daemon: exit 0" 0 \
    depcheck list
like "$(grep "^$p2 " "$T_OUT" | tr -s ' ')" "^$p2 - - - $(_ere_quote "$r2")\$" \
    "its row has no numbers"
like "$(cat "$T_ERR")" "^depcheck: pid $p2, registered for '$(_ere_quote "$r2")', does not answer: the daemon for '$(_ere_quote "$r2")' did not answer within 1 s \(DEPCHECK_TIMEOUT\)\$" \
    "and one line on stderr says why"
kill -CONT "$p2"

expect_exit -m "stop --all: exit 0" 0 depcheck stop --all
is "$(cat "$T_ERR")" "" "silently"
# (Its lock goes as it exits: wait_gone waits for the kernel, no more.)
ok "the first daemon has exited" wait_gone "$p1"
ok "the second daemon has exited" wait_gone "$p2"
is "$(daemon_pids "$ROOT"; daemon_pids "$r2")" "" "no daemon left"
is "$(ls -A "$DEPCHECK_RUNTIME_DIR")" "" "the registry is empty"
expect_exit -m "list: nothing runs" 0 depcheck list
is "$(cat "$T_OUT")" "" "nothing printed"

expect_fail -m "list with an argument: usage error" 2 \
    "depcheck: unexpected argument 'x'" depcheck list x
expect_fail -m "list with an unknown option" 2 \
    "depcheck: unknown option '--bogus'" depcheck list --bogus
expect_fail -m "stop --all with a directory: usage error" 2 \
    "depcheck: unexpected argument '$ROOT'" depcheck stop --all "$ROOT"

# A registry that is a symlink, or another user's, is not used.
rm -rf "$DEPCHECK_RUNTIME_DIR"
mkdir "$SCRATCH/elsewhere"
ln -s "$SCRATCH/elsewhere" "$DEPCHECK_RUNTIME_DIR"
expect_fail -m "a symlinked registry is refused" 2 \
    "depcheck: registry '$DEPCHECK_RUNTIME_DIR' is not a directory (not followed; remove it)" \
    depcheck list
expect_exit -m "a daemon starts all the same" 0 depcheck start
like "$(cat "$T_ERR")" "^depcheckd: registry '$(_ere_quote "$DEPCHECK_RUNTIME_DIR")' is not a directory \(not followed; remove it\); depcheck list will not show this daemon\$" \
    "saying it is not registered"
expect_exit -m "stop it" 0 depcheck stop
rm "$DEPCHECK_RUNTIME_DIR"
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	mkdir -m 0700 "$DEPCHECK_RUNTIME_DIR"
	chown nobody "$DEPCHECK_RUNTIME_DIR"
	expect_fail -m "another user's registry is refused" 2 \
	    "depcheck: registry '$DEPCHECK_RUNTIME_DIR' belongs to uid $(id -u nobody), not to uid 0 (not used; remove it)" \
	    depcheck list
else
	skip "not root: cannot make another user's registry"
fi

done_testing
