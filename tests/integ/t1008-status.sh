#!/usr/bin/env bash
# Area 1 (check): depcheck status and status --json: the keys of the
# interface, values that agree with each other and with the files;
# --version and --help.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

keys="root pid version protocol seq records watches unwatched overflows ties socket database log uptime"

start_daemon
mkdir -p src/a src/b
echo x >src/a/x.c
echo y >src/b/y.c
expect_exit -m "a check (syncs)" 1 depcheck src/a/x.c src/b/y.c

expect_exit -m "depcheck status" 0 depcheck status
cp "$T_OUT" "$SCRATCH/status"
for k in $keys; do
	n=$(grep -c "^$k: " "$SCRATCH/status")
	is "$n" 1 "status has one '$k: ' line"
done
bad=$(grep -v '^[a-z_]*: ' "$SCRATCH/status")
is "$bad" "" "status: every line is 'key: value'"
val()
{
	sed -n "s/^$1: //p" "$SCRATCH/status" | head -n 1
}
is "$(val root)" "$ROOT" "status: root"
pid=$(val pid)
like "$pid" '^[1-9][0-9]*$' "status: pid is a number"
ok "status: pid $pid is alive" alive "$pid"
is "$(cat "/proc/$pid/comm" 2>/dev/null)" depcheckd "status: pid is a depcheckd"
is "$(daemon_pids)" "$pid" "status: pid is the one daemon for the root"
like "$(val protocol)" '^[1-9][0-9]*$' "status: protocol is a number"
like "$(val version)" '^[0-9A-Za-z]' "status: version is there"
for k in seq records watches unwatched overflows ties; do
	like "$(val "$k")" '^[0-9]+$' "status: $k is a number"
done
ok "status: seq is at least the seq of the last write" \
    test "$(val seq)" -ge "$(seq_of src/b/y.c)"
ok "status: records counts at least the 5 paths made" \
    test "$(val records)" -ge 5
ok "status: watches counts at least root, src, src/a, src/b" \
    test "$(val watches)" -ge 4
is "$(val unwatched)" 0 "status: nothing unwatched"
is "$(val overflows)" 0 "status: no overflows"
abs()
{
	case $1 in
	/*)	printf '%s' "$1" ;;
	*)	printf '%s' "$ROOT/$1" ;;
	esac
}
ok "status: socket is a socket" test -S "$(abs "$(val socket)")"
is "$(abs "$(val socket)")" "$ROOT/.depcheck/sock" "status: socket in .depcheck"
ok "status: database is a file" test -f "$(abs "$(val database)")"
is "$(abs "$(val log)")" "$ROOT/.depcheck/depcheckd.log" "status: log"
ok "status: log is a file" test -f "$(abs "$(val log)")"
ok "status: uptime is there" test -n "$(val uptime)"

# --json: the same keys and values.
expect_exit -m "depcheck status --json" 0 depcheck status --json
for k in $keys; do
	is "$(json_eval "$T_OUT" "'$k' in o")" true "status --json has $k"
done
for k in root pid version protocol socket database log unwatched overflows; do
	is "$(json_eval "$T_OUT" "str(o['$k'])")" "$(val "$k")" \
	    "status --json: $k as in the text"
done

# --json types a value as the daemon sent it (issue 10): text stays a
# string even when it is made of digits, numbers are numbers.  A
# stand-in daemon sends the values.
FAKE=$ROOT/fake
mkdir -p "$FAKE"
python3 "$TEST_DIR/fake-daemon.py" "$FAKE" "$SCRATCH/fake-ready" \
    version=t:007 pid=u:18446744073709551615 last_rescan=i:-5 root=t: &
fake=$!
at_exit eval "kill $fake 2>/dev/null"
for ((i = 0; i < 500; i++)); do
	[ -e "$SCRATCH/fake-ready" ] && break
	sleep 0.01
done
cd "$FAKE" || exit 1
expect_exit -m "status --json from a stand-in daemon" 0 depcheck status --json
is "$(cat "$T_OUT")" \
    '{"version":"007","pid":18446744073709551615,"last_rescan":-5,"root":""}' \
    "status --json: text '007' is a string, u64 and i64 are numbers"
expect_exit -m "status from the stand-in" 0 depcheck status
is "$(cat "$T_OUT")" $'version: 007\npid: 18446744073709551615\nlast_rescan: -5\nroot: ' \
    "status: the same values as text"
cd "$ROOT" || exit 1
kill "$fake"
wait "$fake" 2>/dev/null
rm -rf "$FAKE"

# From a subdirectory, the same root.
cd src/a || exit 1
expect_exit -m "status from a subdirectory" 0 depcheck status
is "$(sed -n 's/^root: //p' "$T_OUT")" "$ROOT" "status from a subdirectory: the same root"
cd "$ROOT" || exit 1

# --version, --help.
expect_exit -m "depcheck --version" 0 depcheck --version
ok "--version prints something" test -s "$T_OUT"
ok "--version names the version status gives" grep -qF -- "$(val version)" "$T_OUT"
expect_exit -m "depcheck --help" 0 depcheck --help
ok "--help prints the usage on stdout" grep -q 'depcheck' "$T_OUT"
ok "--help mentions --why" grep -q -- '--why' "$T_OUT"

done_testing
