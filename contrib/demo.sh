#!/usr/bin/env bash
# `make demo`: the race make cannot see, in a few lines.  Builds a one-file
# project under mktemp -d with a depcheck daemon watching it, rewrites the
# source within the target's mtime, and shows make -q calling the stale
# object up to date while depcheck calls it stale.  The trap on EXIT stops
# the daemon and removes the tree.
#
#	contrib/demo.sh [BINDIR]	(default: build/bin beside contrib/)
#
# Exit status: 0 when depcheck gave the right answers, 1 when it did not,
# 2 when the demo could not run.

set -eu

DEMO_DIR=$(cd -P "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BINDIR=${1:-$DEMO_DIR/../build/bin}
case $BINDIR in
/*)	;;
*)	BINDIR=$PWD/$BINDIR ;;
esac

die()
{
	printf 'demo: %s\n' "$*" >&2
	exit 2
}

for _b in depcheck depcheckd; do
	[ -x "$BINDIR/$_b" ] || die "no '$BINDIR/$_b' (run: make)"
done
unset _b
command -v make >/dev/null || die "make is not installed"
: "${CC:=cc}"
command -v "$CC" >/dev/null || die "no C compiler '$CC' (set CC)"

# The demo's make and depcheck run as a user would type them: no settings
# inherited from an outer make (make demo) or from a depcheck set-up.
for _v in $(compgen -v DEPCHECK) MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES \
    DEPCHECKD; do
	unset "$_v"
done
unset _v
PATH=$BINDIR:$PATH
export PATH CC

ROOT=$(mktemp -d "${TMPDIR:-/tmp}/depcheck-demo.XXXXXX")
DAEMON_PID=
STARTED=			# set once depcheck start ran

# running PID: the process exists and is not a zombie.  (It and cleanup
# run from the EXIT trap, which shellcheck 0.9 misses when the script ends
# with an exit.)
# shellcheck disable=SC2317
running()
{
	local state

	state=$(sed -n 's/^[0-9]* (.*) \([A-Za-z]\) .*/\1/p' "/proc/$1/stat" \
	    2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# stop_daemon: `depcheck stop` returns once the daemon has exited; if
# the one we started is still there, say so, give it a second, then end
# it by its pid.
# shellcheck disable=SC2317
stop_daemon()
{
	local out rc=0 i

	out=$(depcheck stop "$ROOT" 2>&1) || rc=$?
	if [ -z "$DAEMON_PID" ] || ! running "$DAEMON_PID"; then
		return 0
	fi
	echo "demo: daemon $DAEMON_PID still running after 'depcheck stop'" \
	    "(exit $rc${out:+: $out}); end of its log:" >&2
	tail -n 5 "$ROOT/.depcheck/depcheckd.log" >&2 2>/dev/null || true
	for ((i = 0; i < 10; i++)); do
		sleep 0.1
		running "$DAEMON_PID" || return 0
	done
	echo "demo: killing daemon $DAEMON_PID" >&2
	kill "$DAEMON_PID" 2>/dev/null || true
}

# shellcheck disable=SC2317
cleanup()
{
	cd /
	if [ -n "$STARTED" ]; then
		stop_daemon
	fi
	rm -rf "$ROOT"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# say TEXT...: one line of narration.  show CMD...: print "$ CMD", run it,
# indent its output; sets RC to its exit status.
say()
{
	printf '%s\n' "$*"
}

show()
{
	local out

	printf '   $ %s\n' "$*"
	RC=0
	out=$("$@" 2>&1) || RC=$?
	if [ -n "$out" ]; then
		printf '%s\n' "$out" | sed 's/^/     /'
	fi
	printf '     (exit %d)\n' "$RC"
}

mtime()
{
	stat -c %y "$1"
}

cd "$ROOT"
say "depcheck demo: make compares mtimes; depcheck records the order of writes."
say ""

STARTED=yes
depcheck start "$ROOT" >/dev/null 2>"$ROOT/.start.err" ||
    die "depcheck start failed: $(cat "$ROOT/.start.err")"
rm -f "$ROOT/.start.err"
DAEMON_PID=$(depcheck status | sed -n 's/^pid: //p')
say "1. A daemon watches $ROOT (pid ${DAEMON_PID:-?})."
say "   A one-rule project: prog.o is built from prog.c.  Build it:"
cat >Makefile <<'EOF'
prog.o: prog.c
	$(CC) -c -o prog.o prog.c
EOF
printf 'int answer(void) { return 41; }\n' >prog.c
show make --no-print-directory prog.o
[ "$RC" = 0 ] || die "the first build failed"
say ""

say "2. Fix a bug in prog.c after the build, in the same timestamp tick."
say "   (Forced here with touch -r; on ext3, ext4 with 128-byte inodes, FAT,"
say "   HFS+ or NFS a write in the same second gets the same mtime by itself.)"
printf 'int answer(void) { return 42; }\n' >prog.c
touch -r prog.o prog.c
say "     prog.o mtime: $(mtime prog.o)"
say "     prog.c mtime: $(mtime prog.c)"
say ""

say "3. Ask both whether prog.o must be rebuilt:"
show make --no-print-directory -q prog.o
MAKE_RC=$RC
show depcheck --why prog.o prog.c
CHECK_RC=$RC
say ""

STATUS=0
if [ "$CHECK_RC" != 1 ]; then
	say "UNEXPECTED: depcheck should have said stale (exit 1)," \
	    "not exit $CHECK_RC."
	STATUS=1
elif [ "$MAKE_RC" = 0 ]; then
	cat <<'EOF'
Verdict: make -q says prog.o is up to date (exit 0): it would skip the
rebuild and ship an object built from the old prog.c.  depcheck says
stale (exit 1): it saw prog.c written after prog.o, whatever the mtimes
say.  The Linux kernel hit exactly this (autoksyms, about half of all
builds on ext4); depcheck makes equal timestamps a non-issue.
EOF
else
	say "Verdict: make -q noticed this time (exit $MAKE_RC; the mtimes" \
	    "did not tie);"
	say "depcheck says stale (exit 1) from the order of writes alone."
fi
say ""

say "4. Rebuild because depcheck said so, then ask again:"
show make --no-print-directory -B prog.o
show depcheck --why prog.o prog.c
if [ "$RC" != 0 ]; then
	say "UNEXPECTED: after the rebuild depcheck should say up to date" \
	    "(exit 0)."
	STATUS=1
fi
exit "$STATUS"
