#!/usr/bin/env bash
# Area 5 (faults), issue 9: the state directory is the daemon's life.
# When ROOT/.depcheck/ (or its lock, socket, database or seq mark) is
# removed or replaced -- rm -rf, git clean -xfd, mv -- the daemon notices
# within a second or two, logs it and exits; a new start then gives the
# root exactly one daemon again, and the old one, exiting, removes nothing
# of the new one's.  depcheck start exits 0 only with a daemon that
# answers.  .depcheck/ holds a .gitignore of '*': git status never shows it.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# This test's daemons only, in a registry of its own.
export DEPCHECK_RUNTIME_DIR=$SCRATCH/run

# gone_within PID DESC: the daemon PID exits by itself (10 s at most).
gone_within()
{
	if wait_gone "$1"; then
		pass "$2"
	else
		fail "$2" "pid $1 still runs"
	fi
}

# the_one DESC: exactly one daemon serves ROOT, and it answers; prints
# nothing, sets NEW to its pid.
the_one()
{
	NEW=$(status_field pid)
	is "$(daemon_pids)" "$NEW" "$1"
}

echo c >a.c
echo o >a.o

# ------------------------------------------------------------ git
start_daemon
ok ".depcheck/.gitignore holds '*'" has_line .depcheck/.gitignore '*'
if command -v git >/dev/null; then
	git init -q . && git add a.c a.o && git -c user.name=t -c user.email=t@t \
	    commit -qm init
	echo new >b.c
	git status --porcelain --untracked-files=all >"$SCRATCH/git"
	is "$(cat "$SCRATCH/git")" "?? b.c" \
	    "git status shows the new file and nothing of .depcheck/"
	rm -f b.c
else
	skip "git is not installed"
fi

# ------------------------------- git clean -xfd, then start at once
old=$(status_field pid)
if command -v git >/dev/null; then
	git clean -xfdq
	ok "git clean -xfd removed .depcheck/" test ! -e .depcheck
else
	rm -rf .depcheck
	skip "git is not installed"
fi
expect_exit -m "start right after: exit 0" 0 depcheck start
gone_within "$old" "the old daemon is gone"
the_one "one daemon for the root, the new one"
ok "its socket is there" test -S .depcheck/sock
ok "no exec image until exec asks for one" test ! -e .depcheck/image
expect_exit -m "exec asks for the image" 0 depcheck exec true
ok "its exec image is there" test -f .depcheck/image
echo c >a.c
echo o >a.o
expect_exit -m "checks answer, by seq" 0 depcheck --strict a.o a.c
expect_exit -m "stop the new one" 0 depcheck stop
is "$(daemon_pids)" "" "no daemon left"

# -------------------------- rm -rf .depcheck: the daemon goes by itself
start_daemon
old=$(status_field pid)
rm -rf .depcheck
gone_within "$old" "rm -rf .depcheck: the daemon exits within seconds"
is "$(daemon_pids)" "" "no daemon left"

# ---------------------- each file, removed or replaced; logged as such
# lost NAME CMD...: run CMD on a running daemon; it must exit, saying
# that .depcheck/NAME went.
lost()
{
	local name=$1 log=.depcheck/depcheckd.log

	shift
	start_daemon
	old=$(status_field pid)
	"$@"
	gone_within "$old" "$name: the daemon exits"
	[ -d .depcheck.old ] && log=.depcheck.old/depcheckd.log
	ok "$name: the log says what went" grep -qF \
	    "'$ROOT/.depcheck${name#.depcheck}' was removed or replaced: stopping" \
	    "$log"
	rm -rf .depcheck.old
}
lost .depcheck mv .depcheck .depcheck.old
lost .depcheck/lock rm .depcheck/lock
lost .depcheck/state.db rm .depcheck/state.db
lost .depcheck/seq rm .depcheck/seq
lost .depcheck/sock rm .depcheck/sock
replace_dir()
{
	mv .depcheck .depcheck.old && cp -a .depcheck.old .depcheck
}
lost .depcheck replace_dir

# --------------- start never exits 0 without a daemon that answers
# The socket goes, and start runs before the daemon has noticed: the
# old daemon still holds the lock; start waits for it to go and starts
# a new one.
start_daemon
old=$(status_field pid)
rm .depcheck/sock
expect_exit -m "socket removed, start at once: exit 0" 0 depcheck start
gone_within "$old" "the old daemon is gone"
the_one "one daemon, which answers"
ok "a new pid" test "$NEW" != "$old"

# A lock held by something that never answers: start waits
# DEPCHECK_TIMEOUT, then fails saying so (it used to exit 0).
depcheck_nowrap stop >/dev/null 2>&1
python3 -c 'import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX); os.ftruncate(fd, 0)
os.write(fd, b"%d\n" % os.getpid()); open(sys.argv[2], "w").close()
time.sleep(60)' "$ROOT/.depcheck/lock" "$SCRATCH/ready" &
holder=$!
at_exit eval "kill $holder 2>/dev/null"
for ((i = 0; i < 500; i++)); do
	[ -e "$SCRATCH/ready" ] && break
	sleep 0.01	# the stand-in's start
done
DEPCHECK_TIMEOUT=1 expect_fail -m "a lock held, nobody answers: start exits 2" \
    2 "depcheck: '$ROOT' is locked by pid $holder, which does not answer within 1 s (see '$ROOT/.depcheck/depcheckd.log')" \
    depcheck start
kill "$holder"
wait "$holder" 2>/dev/null

# ------ the old daemon, exiting late, leaves the new one's files alone
# It is stopped (SIGSTOP) while its state directory is replaced and a
# new daemon starts (in another registry, so the new one does not stop
# it first); let go, it notices and exits: the new socket and image stay.
start_daemon
old=$(status_field pid)
expect_exit -m "the old daemon publishes its image" 0 depcheck exec true
kill -STOP "$old"
at_exit eval "kill -CONT $old 2>/dev/null"
rm -rf .depcheck
DEPCHECK_RUNTIME_DIR=$SCRATCH/run2 expect_exit -m "a new daemon beside a stopped old one" \
    0 depcheck start
new=$(status_field pid)
expect_exit -m "the new daemon publishes its image" 0 depcheck exec true
kill -CONT "$old"
gone_within "$old" "the old daemon exits once it runs again"
ok "the new daemon's socket is still there" test -S .depcheck/sock
ok "the new daemon's image is still there" test -f .depcheck/image
is "$(status_field pid)" "$new" "the new daemon answers"
the_one "one daemon for the root"
expect_exit -m "stop it" 0 depcheck stop
is "$(daemon_pids)" "" "no daemon left"

# The same with a socket path too long for ROOT/.depcheck/sock: both
# daemons bind the same short path under /tmp.
long=$ROOT/$(printf 'd%.0s' {1..60})/$(printf 'e%.0s' {1..60})
mkdir -p "$long"
cd "$long" || exit 1
expect_exit -m "start on a root with a long path" 0 depcheck start
ok "its socket is elsewhere" test -f .depcheck/sockpath
sock=$(cat .depcheck/sockpath)
old=$(status_field pid)
kill -STOP "$old"
at_exit eval "kill -CONT $old 2>/dev/null"
rm -rf .depcheck
DEPCHECK_RUNTIME_DIR=$SCRATCH/run2 expect_exit -m "a new daemon there" \
    0 depcheck start
is "$(cat .depcheck/sockpath)" "$sock" "the same socket path"
new=$(status_field pid)
kill -CONT "$old"
gone_within "$old" "the old daemon exits"
ok "the new daemon's socket is still there" test -S "$sock"
is "$(status_field pid)" "$new" "the new daemon answers"
expect_exit -m "stop it" 0 depcheck stop
ok "the socket is gone with it" test ! -e "$sock"
cd "$ROOT" || exit 1

done_testing
