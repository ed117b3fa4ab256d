#!/usr/bin/env bash
# Area 6 (security): one user only.  ROOT/.depcheck is 0700 and its files
# 0600, so another user (nobody) cannot even connect; with the modes
# opened up by hand, the daemon still refuses a peer of another uid
# (SO_PEERCRED) without a reply and logs it (the first 10).  A state
# directory, socket or state file that is a symlink, or another user's,
# is refused by the daemon and the client, not followed: the symlink's
# target is left untouched.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root, to run commands as nobody and chown"
command -v setpriv >/dev/null || skip_all "no setpriv (util-linux)"
NUID=$(id -u nobody 2>/dev/null) || skip_all "no user nobody"
NGID=$(id -g nobody)
NOBODY=(setpriv "--reuid=$NUID" "--regid=$NGID" --clear-groups)
# nobody cannot use a python under /root (a pyenv shim): lib.sh's PY is
# the system's
"${NOBODY[@]}" "$PY" -c pass 2>/dev/null ||
    skip_all "nobody cannot run $PY"
RAWSOCK=$TEST_DIR/rawsock.py
PROTO_H=$(cat "$TEST_DIR/../../proto/proto.h")
SD=$ROOT/.depcheck

# as_nobody CMD...: the client as nobody (under DEPCHECK_TEST_WRAP too).
as_nobody()
{
	local DEPCHECK_TEST_WRAP="${NOBODY[*]} $DEPCHECK_TEST_WRAP"

	depcheck "$@"
}

# raw_nobody ACTION...: rawsock.py as nobody (it reads the script from
# standard input, and proto.h from the environment: nobody may not be
# able to read the tree it is in).
raw_nobody()
{
	(cd / && timeout -k 5 60 "${NOBODY[@]}" \
	    env RAWSOCK_PROTO_H="$PROTO_H" "$PY" - "$SD/sock" "$@" \
	    <"$RAWSOCK" >"$SCRATCH/raw" 2>&1)
	sed -i 's/^\(EOF\|TIMEOUT\|RESET\) [0-9]*$/\1/' "$SCRATCH/raw"
}

# no_reply DESC: rawsock.py's output says the connection was closed
# (EOF, reset, or a send that found it closed) and holds no reply.
no_reply()
{
	if grep -qE '^(EOF|RESET)$|-error (EPIPE|ECONNRESET)$' "$SCRATCH/raw" &&
	    ! grep -qvE '^(EOF|RESET|TIMEOUT)$|-error ' "$SCRATCH/raw"; then
		pass "$1"
	else
		fail "$1"
		diag_file "rawsock output" "$SCRATCH/raw"
	fi
}

# one_line DESC STATUS REGEX: the last command exited STATUS with exactly
# one line on stderr, matching REGEX, and nothing on stdout.
one_line()
{
	if [ "$T_RC" -eq "$2" ] && [ "$(nlines "$T_ERR")" -eq 1 ] &&
	    [[ $(cat "$T_ERR") =~ $3 ]] && [ ! -s "$T_OUT" ]; then
		pass "$1"
	else
		fail "$1" "want exit $2 and one stderr line matching: $3"
		diag_last
	fi
}

# A regex matching STRING literally.
re()
{
	_ere_quote "$1"
}

# ---------------------------------------------------------------- modes

echo c >a.c
start_daemon
echo o >a.o
expect_exit -m "a check (creates a sync cookie)" 0 depcheck a.o a.c
is "$(stat -c '%a %u %F' "$SD")" "700 0 directory" ".depcheck: 0700, ours"
is "$(stat -c '%a %u %F' "$SD/sock")" "600 0 socket" "the socket: 0600, ours"
for f in state.db depcheckd.log lock seq; do
	is "$(stat -c '%a %u %F' "$SD/$f")" "600 0 regular file" "$f: 0600, ours"
done
is "$(stat -c '%a' "$SD/cookies")" 700 "cookies/: 0700"
is "$(find "$SD" -perm /077 -printf '%m %p\n')" "" \
    "nothing in .depcheck grants group or others anything"

# ---------------------------------------------------------------- nobody

# nobody can reach ROOT, but not into ROOT/.depcheck.
at_exit chmod 0700 "$TEST_TMP"
chmod o+x "$TEST_TMP"
chmod 0755 "$ROOT"
raw_nobody hello read
is "$(cat "$SCRATCH/raw")" "connect-error EACCES" \
    "nobody: connect() to the socket fails with EACCES (.depcheck is 0700)"
run_cmd as_nobody status
is "$T_RC" 2 "nobody: depcheck status exits 2"
like "$(cat "$T_ERR")" "^depcheck: .*$(re "'$SD")" \
    "nobody: one 'depcheck: ' line naming the state directory"
is "$(nlines "$T_ERR")" 1 "nobody: one line"
DEPCHECK_ROOT=$ROOT run_cmd as_nobody "$ROOT/a.o" "$ROOT/a.c"
is "$T_RC" 2 "nobody: a check with DEPCHECK_ROOT exits 2, never a verdict"
like "$(cat "$T_ERR")" "^depcheck: .*$(re "'$SD")" \
    "nobody: a check: a 'depcheck: ' line naming the state directory"

# With the modes opened up, SO_PEERCRED still keeps nobody out.
chmod 0711 "$SD"
chmod 0666 "$SD/sock"
LOG_MARK=$(nlines "$SD/depcheckd.log")
raw_nobody hello read eof:5
no_reply "nobody, socket reachable: the daemon closes without a reply"
refused=$(tail -n "+$((LOG_MARK + 1))" "$SD/depcheckd.log")
like "$refused" \
    "W refused a connection from uid $NUID \(pid [0-9]+\): this daemon answers uid 0 only$" \
    "the refusal is logged, naming uid $NUID"
is "$(printf '%s\n' "$refused" | grep -c .)" 1 "one log line"
raw_nobody 'send:frame(302)' read eof:5
no_reply "nobody: a STOP gets no reply either"
ok "nobody's STOP did not stop the daemon" test -n "$(daemon_pids)"
for _ in 1 2 3 4 5 6 7 8 9 10; do
	raw_nobody hello read
done
is "$(tail -n "+$((LOG_MARK + 1))" "$SD/depcheckd.log" |
    grep -c 'refused a connection from uid')" 10 \
    "12 refused connections: the first 10 are logged"
run_cmd as_nobody status
is "$T_RC" 2 "nobody, socket reachable: depcheck status exits 2"
like "$(cat "$T_ERR")" "^depcheck: .*$(re "'$SD'") belongs to uid 0, not to uid $NUID" \
    "nobody: the client refuses a state directory of another user"
chmod 0700 "$SD"
chmod 0600 "$SD/sock"
expect_exit -m "modes restored: the daemon serves its own user" \
    0 depcheck status
echo c2 >a.c
expect_exit -m "and a check is right: stale" 1 depcheck a.o a.c
expect_exit -m "stop" 0 depcheck stop

# ---------------------------------------------------------------- symlinks

OTHER=$(make_tmpdir)
mv "$SD" "$SCRATCH/saved-state"
ln -s "$OTHER" "$SD"
SYMDIR="'$SD' is a symlink, not a directory"
expect_exit -m "a symlinked .depcheck: depcheck start exits 2" \
    2 depcheck start
one_line "depcheck start: one line, the symlink" 2 \
    "^depcheck: $(re "$SYMDIR (not followed; remove it)")$"
run_cmd depcheckd --root "$ROOT"
one_line "depcheckd: exit 2, one line, the symlink" 2 \
    "^depcheckd: $(re "$SYMDIR (remove it)")$"
run_cmd depcheck check a.o a.c
one_line "a symlinked .depcheck: depcheck check (no DEPCHECK_ROOT) refuses it" \
    2 "^depcheck: $(re "$SYMDIR (not followed; remove it)")$"
DEPCHECK_ROOT=$ROOT run_cmd depcheck check a.o a.c
one_line "depcheck check with DEPCHECK_ROOT refuses it" 2 \
    "^depcheck: $(re "$SYMDIR (not followed; remove it)")$"
run_cmd depcheck run a.o a.c -- touch a.o
one_line "depcheck run refuses it (and runs nothing)" 2 \
    "^depcheck: $(re "$SYMDIR (not followed; remove it)")$"
for cmd in status stop "seq a.c"; do
	# shellcheck disable=SC2086	# cmd is words
	run_cmd depcheck $cmd
	one_line "depcheck $cmd refuses it" 2 \
	    "^depcheck: $(re "$SYMDIR (not followed; remove it)")"
done
is "$(find "$OTHER" -mindepth 1)" "" "nothing was created in the symlink's target"
is "$(daemon_pids)" "" "no daemon runs"
rm "$SD"
ln -s "$OTHER/new" "$SD"
expect_exit -m "a dangling .depcheck symlink: start exits 2" 2 depcheck start
ok "its target was not created" not test -e "$OTHER/new"
rm "$SD"

# A .depcheck symlinked to another root's, whose daemon runs: the client
# refuses it, and does not reach through it (no STOP, no signal).
ROOT2=$(make_tmpdir)
expect_exit -m "depcheck start ROOT2" 0 depcheck start "$ROOT2"
PID2=$(daemon_pids "$ROOT2")
ok "a daemon for a second root runs (pid $PID2)" test -n "$PID2"
ln -s "$ROOT2/.depcheck" "$SD"
for cmd in stop status "check a.o a.c"; do
	# shellcheck disable=SC2086	# cmd is words
	run_cmd depcheck $cmd
	one_line "a .depcheck symlinked to another root's: depcheck $cmd refuses it" \
	    2 "^depcheck: $(re "$SYMDIR (not followed; remove it)")"
	ok "... and the other root's daemon still runs" alive "$PID2"
done
rm "$SD"
depcheck_nowrap stop "$ROOT2" >/dev/null 2>&1

# Another user's state directory.
mkdir "$SD"
chown "$NUID" "$SD"
run_cmd depcheck start
one_line "nobody's .depcheck: depcheck start refuses it" 2 \
    "^depcheck: $(re "'$SD' belongs to uid $NUID, not to uid 0")"
run_cmd depcheckd --root "$ROOT"
one_line "nobody's .depcheck: depcheckd refuses it" 2 \
    "^depcheckd: $(re "'$SD' belongs to uid $NUID, not to uid 0 (remove it)")$"
run_cmd depcheck check a.o a.c
one_line "nobody's .depcheck: a check refuses it" 2 \
    "^depcheck: $(re "'$SD' belongs to uid $NUID, not to uid 0")"
is "$(find "$SD" -mindepth 1)" "" "nothing was created in it"
rm -rf "$SD"
mv "$SCRATCH/saved-state" "$SD"

# Another user's cookie directory.
chown "$NUID" "$SD/cookies"
run_cmd depcheckd --root "$ROOT"
one_line "nobody's cookies/: depcheckd refuses it" 2 \
    "^depcheckd: $(re "'$SD/cookies' belongs to uid $NUID, not to uid 0 (remove it)")$"
chown 0 "$SD/cookies"

# State files planted as symlinks: refused, the target untouched.
echo victim >"$OTHER/victim"
for f in lock depcheckd.log seq state.db cookies; do
	mv "$SD/$f" "$SCRATCH/saved"
	ln -s "$OTHER/victim" "$SD/$f"
	run_cmd depcheck start
	one_line "$f is a symlink: start exits 2 with one line naming it" 2 \
	    "^depcheckd: .*$(re "'$SD/$f'")"
	is "$(cat "$OTHER/victim")" victim "$f is a symlink: its target is untouched"
	rm "$SD/$f"
	mv "$SCRATCH/saved" "$SD/$f"
done
is "$(daemon_pids)" "" "no daemon runs"

# The socket replaced by a symlink, or by another user's, with no daemon.
ln -s "$OTHER/victim" "$SD/sock"
for cmd in status "check a.o a.c" stop start; do
	# shellcheck disable=SC2086	# cmd is words
	run_cmd depcheck $cmd
	one_line "a symlinked socket: depcheck $cmd refuses it" 2 \
	    "^depcheck: $(re "'$SD/sock' is a symlink, not a socket (not followed; remove it)")"
done
rm "$SD/sock"
"$PY" -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' \
    "$SD/sock"
chown "$NUID" "$SD/sock"
for cmd in status "check a.o a.c"; do
	# shellcheck disable=SC2086	# cmd is words
	run_cmd depcheck $cmd
	one_line "nobody's socket: depcheck $cmd refuses it" 2 \
	    "^depcheck: $(re "'$SD/sock' belongs to uid $NUID, not to uid 0")"
done
rm "$SD/sock"
ln -s "$OTHER/victim" "$SD/sock"
start_depcheckd
echo c3 >a.c
is "$(stat -c '%a %F' "$SD/sock")" "600 socket" \
    "the daemon put its own socket (0600) in the symlink's place"
is "$(cat "$OTHER/victim")" victim "the symlink's target is untouched"
expect_exit -m "and serves: stale" 1 depcheck a.o a.c

# A state directory left 0755 is narrowed to 0700 at start.
expect_exit -m "stop" 0 depcheck stop
chmod 0755 "$SD"
start_daemon
is "$(stat -c '%a' "$SD")" 700 "a 0755 .depcheck is narrowed to 0700"

done_testing
