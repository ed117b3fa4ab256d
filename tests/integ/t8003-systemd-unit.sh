#!/usr/bin/env bash
# Area 8 (contrib): the systemd user unit, contrib/systemd/depcheckd@.service
# (issue 9).  make install PREFIX=... puts it in PREFIX/lib/systemd/user
# with ExecStart naming the installed depcheckd; systemd-analyze verify
# finds nothing wrong with an instance of it (a root path with a space and
# a dash, escaped by systemd-escape --path).  Then a real start and stop,
# in a user manager of our own: systemd runs as a user manager only on a
# system booted with it (it looks for /run/systemd/system), which a
# container is not, so the test gives a private mount namespace a tmpfs
# as /run (unshare -m: root only) and starts systemd --user in it, with its
# own runtime, config and home directories and a target of ours as its
# only goal.  `systemctl --user start` returns once the daemon sent
# READY=1, and the tree is watched by then; the status text is the
# daemon's STATUS=; stop ends it cleanly.  A root that another daemon
# already watches fails the unit with status 3, the reason as its status
# text, and no restart.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v systemd-analyze >/dev/null 2>&1 ||
    skip_all "systemd-analyze not installed (Debian package systemd)"
o_dir=$(cd -P "$DEPCHECK_BINDIR/.." && pwd)
[ "$(dirname "$o_dir")" = "$REPO_DIR" ] ||
    skip_all "$DEPCHECK_BINDIR is not a build of this repository (make install is tested)"

inst=$(make_tmpdir)
run_cmd env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -C "$REPO_DIR" -o all \
    O="$(basename "$o_dir")" PREFIX="$inst" install
if [ "$T_RC" -ne 0 ]; then
	diag_last
	give_up "make install PREFIX=$inst"
fi
unit=$inst/lib/systemd/user/depcheckd@.service
ok "make install puts depcheckd@.service in PREFIX/lib/systemd/user" \
    test -f "$unit"
is "$(grep '^ExecStart=' "$unit")" \
    "ExecStart=$inst/bin/depcheckd --foreground --root %f" \
    "ExecStart: the installed depcheckd, in the foreground, on %f"
ok "Type=notify" grep -qx 'Type=notify' "$unit"

tree="$ROOT/my tree-1"
mkdir "$tree"
echo 'int x;' >"$tree/pre.c"
inst_name=$(systemd-escape --path "$tree")
is "$(systemd-escape --unescape --path "$inst_name")" "$tree" \
    "systemd-escape --path round-trips the root"

# systemd-analyze verify: a user-mode instance, next to its template.
# Documentation= pages are looked up with man, in the installed tree.
rt=$(make_tmpdir)
man_opt=()
command -v man >/dev/null 2>&1 || man_opt=(--man=no)
run_cmd env XDG_RUNTIME_DIR="$rt" MANPATH="$inst/share/man" \
    systemd-analyze verify "${man_opt[@]}" --user \
    "$inst/lib/systemd/user/depcheckd@$inst_name.service"
if [ "$T_RC" -eq 0 ] && [ ! -s "$T_OUT" ] && [ ! -s "$T_ERR" ]; then
	pass "systemd-analyze verify --user depcheckd@$inst_name.service: nothing to say"
else
	fail "systemd-analyze verify --user depcheckd@$inst_name.service: nothing to say"
	diag_last
fi
# It does catch a broken unit, so the silence above means something.
sed 's|^ExecStart=.*/depcheckd |ExecStart=/nonexistent/depcheckd |' \
    "$unit" >"$rt/depcheckd@.service"
run_cmd env XDG_RUNTIME_DIR="$rt" systemd-analyze verify --man=no --user \
    "$rt/depcheckd@$inst_name.service"
ok "and it fails a unit whose ExecStart does not exist" \
    test "$T_RC" -ne 0

# ---------------------------------------------------------- a real start

busy=$ROOT/busy
mkdir "$busy"
base=$(make_tmpdir)
cat >"$SCRATCH/usermgr.sh" <<'EOF'
# Run in a mount namespace of its own: a user manager, the unit started
# and stopped in it; prints "key: value" lines for the test.
set -u
inst=$1 tree=$2 busy=$3 base=$4
export XDG_RUNTIME_DIR=$base/run XDG_CONFIG_HOME=$base/config HOME=$base/home
mkdir -p "$XDG_RUNTIME_DIR" "$XDG_CONFIG_HOME/systemd/user" "$HOME"
chmod 700 "$XDG_RUNTIME_DIR"
cp "$inst/lib/systemd/user/depcheckd@.service" "$XDG_CONFIG_HOME/systemd/user/"
printf '[Unit]\nDescription=t8003\n' >"$XDG_CONFIG_HOME/systemd/user/t8003.target"
# A /run of this namespace's own (unshare makes mounts private), in
# which systemd finds the sign of a system booted with it.
if ! mount -t tmpfs tmpfs /run 2>"$base/mount.err"; then
	echo "skip: cannot mount a tmpfs on /run: $(head -n 1 "$base/mount.err")"
	exit 0
fi
mkdir -p /run/systemd/system
systemd=/lib/systemd/systemd
[ -x "$systemd" ] || systemd=/usr/lib/systemd/systemd
"$systemd" --user --unit=t8003.target >"$base/manager.log" 2>&1 &
mgr=$!
trap 'kill "$mgr" 2>/dev/null; wait "$mgr"' EXIT
for ((i = 0; i < 1000; i++)); do
	[ -S "$XDG_RUNTIME_DIR/systemd/private" ] && break
	kill -0 "$mgr" 2>/dev/null || break
	sleep 0.01
done
if [ ! -S "$XDG_RUNTIME_DIR/systemd/private" ]; then
	echo "skip: systemd --user did not start: $(tail -n 1 "$base/manager.log")"
	exit 0
fi
show()
{
	systemctl --user show -p "$2" --value "$1"
}
unit="depcheckd@$(systemd-escape --path "$tree").service"
systemctl --user start "$unit"
echo "start: $?"
# Straight after start returned: READY=1 came, so this needs no wait.
out=$(cd "$tree" && "$inst/bin/depcheck" seq pre.c 2>&1)
echo "seq: $? $out"
echo "root: $(cd "$tree" && "$inst/bin/depcheck" status 2>&1 | sed -n 's/^root: //p')"
echo "active: $(show "$unit" ActiveState) $(show "$unit" SubState)"
echo "status-text: $(show "$unit" StatusText)"
echo "main-pid: $(show "$unit" MainPID) $(cd "$tree" && "$inst/bin/depcheck" status 2>&1 | sed -n 's/^pid: //p')"
systemctl --user stop "$unit"
echo "stop: $?"
echo "stopped: $(show "$unit" ActiveState) $(show "$unit" Result)"
out=$(cd "$tree" && "$inst/bin/depcheck" status 2>&1)
echo "after-stop-status: $?"

unit="depcheckd@$(systemd-escape --path "$busy").service"
systemctl --user start "$unit" 2>/dev/null
echo "busy-start: $?"
echo "busy: $(show "$unit" ActiveState) $(show "$unit" Result) $(show "$unit" ExecMainStatus) $(show "$unit" NRestarts)"
echo "busy-status-text: $(show "$unit" StatusText)"
EOF

if ! unshare -m true 2>/dev/null; then
	skip "no private mount namespace (unshare -m needs root) for a user manager of our own" 9
else
	start_daemon "$busy"
	run_cmd timeout 120 unshare -m bash "$SCRATCH/usermgr.sh" "$inst" \
	    "$tree" "$busy" "$base"
	cp "$T_OUT" "$SCRATCH/usermgr.out"
	val()
	{
		sed -n "s/^$1: //p" "$SCRATCH/usermgr.out"
	}
	if grep -q '^skip: ' "$SCRATCH/usermgr.out"; then
		skip "$(val skip)" 9
	else
		is "$(val start)" 0 "systemctl --user start depcheckd@$inst_name.service"
		like "$(val seq)" "^0 [0-9]+ first-sight " \
		    "when start returns (READY=1), the daemon answers and pre.c is recorded"
		is "$(val root)" "$tree" "the daemon's root is %f: the path, space and all"
		is "$(val active)" "active running" "the unit is active (running)"
		like "$(val status-text)" "^watching '$tree': [0-9]+ entries, [0-9]+ directories\$" \
		    "its status text is the daemon's STATUS="
		like "$(val main-pid)" '^([0-9]+) \1$' \
		    "its main pid is the daemon (NotifyAccess=main holds)"
		is "$(val stop): $(val stopped): $(val after-stop-status)" \
		    "0: inactive success: 2" \
		    "systemctl --user stop: inactive, result success, no daemon answers"
		is "$(val busy-start): $(val busy)" "1: failed exit-code 3 0" \
		    "a root another daemon watches: failed, status 3, no restart"
		like "$(val busy-status-text)" "^'$busy' is already watched by pid [0-9]+\$" \
		    "and its status text says why"
		if [ "$T_FAILED" -ne 0 ]; then
			diag_file "usermgr.sh output" "$SCRATCH/usermgr.out"
			diag_file "usermgr.sh stderr" "$T_ERR"
			diag_file "manager log" "$base/manager.log"
		fi
	fi
fi

done_testing
