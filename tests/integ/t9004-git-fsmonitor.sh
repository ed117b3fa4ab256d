#!/usr/bin/env bash
# Issue 12 item 4: contrib/git/fsmonitor-depcheck, git's core.fsmonitor
# hook (protocol version 2) on `depcheck since`, with real git on real
# repositories under a real daemon.
#
# After edits (one with its mtime put back), new untracked files, deletes,
# renames (a file, a directory), git add, a commit, a checkout of another
# branch and a daemon restart with writes while none ran, `git status
# --porcelain=v2 --untracked-files=all` with the hook prints exactly what
# it prints without one (git --no-optional-locks -c core.fsmonitor= -c
# core.untrackedCache=false: every entry lstat'ed, every directory read,
# nothing written to the index).  And in the steady state the hook
# answered with a list, not "/" (anything may have changed):
#   GIT_TRACE_FSMONITOR   "fsmonitor process '...' returned success", and
#			  "fsmonitor_refresh_callback 'PATH'" for the
#			  changed paths (git took them from the answer);
#   GIT_TRACE2_EVENT      no "query/trivial-response" (git's note of a
#			  "/" answer), and refresh/sum_lstat below
#			  read/cache_nr (git did not lstat every entry).
# The first answer (git's made-up first token) is "/", and the trace says
# so: the check can see a "/".  Names with spaces, a tab, a newline and a
# non-UTF-8 byte.  A root above the work tree (paths cut to the top's,
# others dropped); no daemon (the hook starts one, or with
# DEPCHECK_FSMONITOR_START=0 fails and git scans); a daemon with --ignore
# or with unwatched directories (always "/").  A control: a hook that answers "nothing changed" makes
# the comparison fail, so this test can.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v git >/dev/null 2>&1 || skip_all "git is not installed"
command -v perl >/dev/null 2>&1 ||
    skip_all "perl is not installed (the hook is a perl script)"

HOOK=$REPO_DIR/contrib/git/fsmonitor-depcheck
export DEPCHECK_RUNTIME_DIR=$SCRATCH/run
# The hook's client: this build's.
export DEPCHECK=$DEPCHECK_BINDIR/depcheck
# git on its own: no system or user configuration, a fixed identity.
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=$SCRATCH/gitconfig
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t GIT_COMMITTER_NAME=t \
    GIT_COMMITTER_EMAIL=t@t
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_TRACE GIT_TRACE2 \
    GIT_TRACE2_EVENT GIT_TRACE_FSMONITOR
: >"$GIT_CONFIG_GLOBAL"

# The hook loads no module (its start is in every git status): strict and
# warnings here.
run_cmd perl -Mstrict -Mwarnings -c "$HOOK"
is "$T_RC $(cat "$T_ERR")" "0 $HOOK syntax OK" \
    "the hook compiles under strict and warnings, silently"

STATUS=(status --porcelain=v2 --untracked-files=all)
N=0

# with_hook HOOK: the repository in the working directory uses HOOK.
with_hook()
{
	git config core.fsmonitor "$1" &&
	    git config core.fsmonitorHookVersion 2 &&
	    git config core.untrackedCache true
}

# same DESC: git status with the hook (traces in $T.fsm and $T.tr2) and
# without print the same; nothing on stderr, unless SAME_STDERR is set.
# Sets T.
same()
{
	local desc=$1

	N=$((N + 1))
	T=$SCRATCH/s$N
	GIT_TRACE_FSMONITOR=$T.fsm GIT_TRACE2_EVENT=$T.tr2 \
	    git "${STATUS[@]}" >"$T.with" 2>"$T.err"
	echo "exit $?" >>"$T.with"
	git --no-optional-locks -c core.fsmonitor= -c core.untrackedCache=false \
	    "${STATUS[@]}" >"$T.want" 2>>"$T.err"
	echo "exit $?" >>"$T.want"
	if cmp -s "$T.with" "$T.want" &&
	    { [ -n "${SAME_STDERR:-}" ] || [ ! -s "$T.err" ]; }; then
		pass "$desc: git status with the hook = without"
	else
		fail "$desc: git status with the hook = without" \
		    "$(diff "$T.want" "$T.with" | cat -v)"
		diag_file "stderr" "$T.err"
		diag_file "fsmonitor trace" "$T.fsm"
	fi
}

# tr2 KEY: the values of KEY in the last same's GIT_TRACE2_EVENT, one a
# line.
tr2()
{
	sed -n "s|.*\"key\":\"$1\",\"value\":\"\{0,1\}\([0-9]*\).*|\1|p" \
	    "$T.tr2"
}

# answered DESC [PATH...]: in the last same, the hook answered with a
# list (not "/"), each PATH in it, and git lstat'ed fewer entries than
# the index holds.
answered()
{
	local desc=$1 p missing='' lstat nr

	shift
	for p in "$@"; do
		grep -qF "fsmonitor_refresh_callback '$p' (pos" "$T.fsm" ||
		    missing+=" '$p'"
	done
	lstat=$(tr2 refresh/sum_lstat | sort -n | tail -n 1)
	nr=$(tr2 read/cache_nr | head -n 1)
	if grep -qF "fsmonitor process '$HOOK' returned success" "$T.fsm" &&
	    ! grep -q '"query/trivial-response"' "$T.tr2" &&
	    [ -z "$missing" ] && [ -n "$lstat" ] && [ -n "$nr" ] &&
	    [ "$lstat" -lt "$nr" ]; then
		pass "$desc: the hook answered with a list"
	else
		fail "$desc: the hook answered with a list" \
		    "not in the answer:${missing:- (none missing)}" \
		    "lstat $lstat of $nr entries"
		diag_file "fsmonitor trace" "$T.fsm"
		diag "$(grep -o '"key":"[^"]*","value":[^,}]*' "$T.tr2")"
	fi
}

# trivial DESC: in the last same, the hook answered "/".
trivial()
{
	local desc=$1

	if grep -qF "fsmonitor process '$HOOK' returned success" "$T.fsm" &&
	    grep -q '"query/trivial-response"' "$T.tr2"; then
		pass "$desc: the hook answered \"/\""
	else
		fail "$desc: the hook answered \"/\""
		diag_file "fsmonitor trace" "$T.fsm"
	fi
}

# mkrepo: a repository in the working directory, 3 directories of 20
# files and some odd names, committed on main; branch "other" changes a
# file, deletes one and adds a directory.
mkrepo()
{
	local d i

	git init -q -b main . || return 1
	for d in src lib "dir with space"; do
		mkdir -p "$d"
		for ((i = 1; i <= 20; i++)); do
			echo "$d $i" >"$d/f$i"
		done
	done
	echo top >"top file.txt"
	echo tab >$'tab\there'
	echo nl >$'new\nline'
	echo ff >$'byte\xff'
	git add -A && git commit -qm one &&
	    git checkout -q -b other &&
	    echo "other 1" >src/f1 && git rm -q lib/f2 &&
	    mkdir newdir && echo x >newdir/x && git add -A &&
	    git commit -qm other && git checkout -q main
}

# ------------------------------------ the root is the work tree's top
A=$(make_tmpdir)
cd "$A" || exit 1
ok "a repository of 63 files" mkrepo
expect_exit -m "depcheck start on its top" 0 depcheck start
with_hook "$HOOK"

same "first status"
trivial "first status (git's own first token)"
same "nothing changed"
answered "nothing changed"

echo more >>src/f3
cp -p lib/f4 "$SCRATCH/f4" && echo "LIB  4" >lib/f4 &&
    touch -r "$SCRATCH/f4" lib/f4	# same size, mtime put back
echo n >"new top"
echo n >"src/new f"
mkdir -p "brand new dir/deep" && echo x >"brand new dir/deep/x"
echo n >$'dir with space/new\nline too'
same "edits and new files"
answered "edits and new files" src/f3 lib/f4 "new top" "src/new f" \
    "brand new dir/deep/x"

rm lib/f5 "dir with space/f1" $'byte\xff'
same "deletes"
answered "deletes" lib/f5 "dir with space/f1" $'byte\xff'

mv src/f6 "src/f6 renamed"
mv lib lib2
same "renames"
answered "renames" src/f6 "src/f6 renamed" lib2/f7

git add src lib lib2
same "git add"
answered "git add"

git add -A && git commit -qm two
same "commit"
answered "commit"

git checkout -q other
same "checkout of another branch"
answered "checkout of another branch" newdir/x
echo changed >src/f9
same "an edit after the checkout"
answered "an edit after the checkout" src/f9

# A restart, with writes while no daemon runs: the token stays good.
expect_exit -m "depcheck stop" 0 depcheck stop
echo stopped >>src/f10
echo n >"new while stopped"
rm src/f11
expect_exit -m "depcheck start again" 0 depcheck start
same "after a restart"
answered "after a restart" src/f10 "new while stopped" src/f11
echo again >>src/f12
same "after a restart, an edit"
answered "after a restart, an edit" src/f12

# The hook by hand: version 1 is refused with nothing on stdout; a token
# not of ours gets a token and "/".
run_cmd "$HOOK" 1 12345
is "$T_RC/$(wc -c <"$T_OUT")" "1/0" "the hook refuses version 1, says nothing"
run_cmd "$HOOK" 2 ""
like "$(tr '\0' '|' <"$T_OUT")" '^[0-9a-f]{16}:[0-9]+\|/\|$' \
    "an empty token: a token of depcheck's, then \"/\""
tok=$(tr '\0' '\n' <"$T_OUT" | head -n 1)
echo n >$'spaced \t name\nwith newline'
run_cmd "$HOOK" 2 "$tok"
printf '%s\0' "${tok%:*}:" $'spaced \t name\nwith newline' >"$SCRATCH/want"
ok "then a new file, exactly, NUL-ended" cmp -s "$SCRATCH/want" \
    <(sed -z '1s/:[0-9]*$/:/' "$T_OUT")

# Control: a hook that answers "nothing changed" makes git status wrong
# after an edit, and the comparison says so; the real hook, given the
# token that one passed on, puts it right.
# shellcheck disable=SC2016	# $2: the stand-in hook's own argument
printf '#!/bin/sh\nprintf "%%s\\0" "$2"\n' >"$SCRATCH/nothing-changed"
chmod +x "$SCRATCH/nothing-changed"
same "before the control"
with_hook "$SCRATCH/nothing-changed"
echo control >>src/f13
N=$((N + 1))
git "${STATUS[@]}" >"$SCRATCH/control.with" 2>&1
git --no-optional-locks -c core.fsmonitor= -c core.untrackedCache=false \
    "${STATUS[@]}" >"$SCRATCH/control.want" 2>&1
ok "control: a hook that says nothing changed makes git status differ" \
    not cmp -s "$SCRATCH/control.with" "$SCRATCH/control.want"
with_hook "$HOOK"
same "the real hook again"
answered "the real hook again" src/f13
cd "$ROOT" || exit 1

# ---------------------------------- the root above the work tree's top
mkdir -p up/repo up/repo2
cd up/repo || exit 1
ok "a repository in ROOT/up/repo" mkrepo
with_hook "$HOOK"
start_daemon
same "root above: first status"
trivial "root above: first status"
echo more >>src/f3
echo n >"new top"
echo n >../repo2/new		# outside: "up/repo2" is not "up/repo/"
echo n >../outside
echo n >"$ROOT/outside"
same "root above: edits in and out"
answered "root above: edits in and out" src/f3 "new top"
ok "root above: nothing from outside the top in the answer" not grep -E \
    "fsmonitor_refresh_callback '(up/|\\.\\./|repo|outside|new'|2/)" "$T.fsm"
cd "$ROOT" || exit 1

# ------------------------------------------------------ no daemon
C=$(make_tmpdir)
cd "$C" || exit 1
ok "a repository with no daemon" mkrepo
with_hook "$HOOK"
DEPCHECK_FSMONITOR_START=0 SAME_STDERR=yes \
    same "DEPCHECK_FSMONITOR_START=0, no daemon"
ok "it says why" grep -qxF \
    "depcheck: no daemon for '$C' (run: depcheck start)" "$T.err"
ok "no daemon: the hook failed, git scanned" grep -qF \
    "fsmonitor process '$HOOK' returned failure" "$T.fsm"
ok "no daemon was started" test ! -e .depcheck
# git asked version 1 after the failure (core.fsmonitorHookVersion 2 is
# set, so it must not have): the hook ran once.
is "$(grep -c "fsmonitor process" "$T.fsm")" 1 "the hook ran once"
same "no daemon: the hook starts one"
trivial "no daemon: the hook starts one, its first answer"
is "$(status_field root)" "$C" "a daemon answers for the top"
ok "git status shows nothing of .depcheck/" not grep -F .depcheck "$T.with"
echo more >>src/f3
same "the started daemon"
answered "the started daemon" src/f3
expect_exit -m "stop it" 0 depcheck stop
cd "$ROOT" || exit 1

# ---------------------------------------- a daemon that ignores globs
D=$(make_tmpdir)
cd "$D" || exit 1
ok "a repository with a tracked src/y.o" eval 'mkrepo && echo o >src/y.o &&
    git add src/y.o && git commit -qm y'
with_hook "$HOOK"
expect_exit -m "depcheck start --ignore '*.o'" 0 depcheck start --ignore '*.o'
same "--ignore: first status"
echo more >>src/y.o		# the daemon never sees it
same "--ignore: an ignored tracked file written"
trivial "--ignore: the hook answers \"/\""
expect_exit -m "stop it" 0 depcheck stop
cd "$ROOT" || exit 1

# ------------------------- a daemon that could not watch every directory
# `depcheck since` answers a list all the same (it lacks what was written
# in the unwatched directories); the hook sees status's count and says "/".
E=$(make_tmpdir)
cd "$E" || exit 1
ok "a repository" mkrepo
with_hook "$HOOK"
DEPCHECKD_MAX_WATCHES=2 expect_exit -m "depcheck start, 2 watches allowed" \
    0 depcheck start
same "unwatched: first status"
echo more >>lib/f3
echo more >>"dir with space/f3"
same "unwatched: files written in unwatched directories"
trivial "unwatched: the hook answers \"/\""
expect_exit -m "stop it" 0 depcheck stop
cd "$ROOT" || exit 1

# ------------------------------------ the installed hook, on its own
# make install PREFIX=P: the hook runs P/bin/depcheck with no DEPCHECK
# and no depcheck on PATH.
O=${DEPCHECK_BINDIR%/bin}
if [ "$O/bin" = "$DEPCHECK_BINDIR" ] && env -i "PATH=$PATH" \
    make -C "$REPO_DIR" -q "O=$O" all >/dev/null 2>&1; then
	P=$(make_tmpdir)
	expect_exit -m "make install PREFIX=P" 0 env -i "PATH=$PATH" \
	    make -C "$REPO_DIR" "O=$O" "PREFIX=$P" install
	cd "$A" || exit 1
	run_cmd env -u DEPCHECK PATH=/usr/bin:/bin \
	    "$P/share/depcheck/git/fsmonitor-depcheck" 2 ""
	like "$T_RC $(tr '\0' '|' <"$T_OUT")" '^0 [0-9a-f]{16}:[0-9]+\|/\|$' \
	    "the installed hook answers with P/bin/depcheck"
	cd "$ROOT" || exit 1
else
	skip "DEPCHECK_BINDIR is not the bin/ of an up-to-date build" 2
fi

done_testing
