#!/usr/bin/env bash
# Area 5 (faults): every subcommand and option of depcheck and depcheckd
# with arguments missing, extra, empty, very long (PATH_MAX and beyond)
# and not UTF-8; roots that are files, unreadable, or removed while their
# daemon runs.  Each gets exit 2 (never a signal: below 128), nothing on
# stdout, and on stderr exactly one "depcheck: " (or "depcheckd: ") line,
# first, naming the argument and the cause -- plus, for a usage error,
# the usage text and nothing else.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# err [-s STATUS] DESC REGEX CMD...: CMD exits 2 (or STATUS), prints
# nothing on stdout, and its stderr is one line matching
# "^(depcheck|depcheckd): " and REGEX (a bash ERE), then at most the
# usage text (lines starting "usage: ", blank indented continuations,
# "exit status: ").
err()
{
	local want=2 desc regex first why=()

	if [ "$1" = -s ]; then
		want=$2
		shift 2
	fi
	desc=$1
	regex=$2
	shift 2
	run_cmd "$@"
	first=$(head -n 1 "$T_ERR")
	[ "$T_RC" -eq "$want" ] || why+=("exit status $T_RC, want $want")
	[ "$T_RC" -lt 128 ] || why+=("killed by signal $((T_RC - 128))")
	[ -s "$T_OUT" ] && why+=("something on stdout")
	[[ $first =~ ^(depcheck|depcheckd):\  ]] ||
	    why+=("the first stderr line is not a 'depcheck: ' line")
	[[ $first =~ $regex ]] || why+=("the first stderr line does not match: $regex")
	if [ "$(grep -cE '^(depcheck|depcheckd): ' "$T_ERR")" -ne 1 ]; then
		why+=("not exactly one 'depcheck: ' line")
	fi
	if tail -n +2 "$T_ERR" |
	    grep -qvE '^(usage: |[[:space:]]+[^[:space:]]|exit status: )'; then
		why+=("stderr has lines besides the message and the usage")
	fi
	if [ ${#why[@]} -eq 0 ]; then
		pass "$desc"
	else
		fail "$desc" "${why[@]}"
		diag "command: $T_CMD"
		diag_file "stderr" "$T_ERR"
		diag_file "stdout" "$T_OUT"
	fi
}

# A regex matching STRING literally.
re()
{
	_ere_quote "$1"
}

echo c >a.c
echo o >a.o
echo f >afile
LONG=$(printf 'd%.0s' $(seq 5000))		# 5000 bytes
# shellcheck disable=SC2034	# used as ${!name}, below
COMP=$(printf 'c%.0s' $(seq 300))		# one 300-byte component
PMAX=$(printf 'p%.0s' $(seq 200))		# 20 x 200 + 96 = 4096 bytes
PMAX=$(printf "$PMAX/%.0s" $(seq 20))$(printf 'q%.0s' $(seq 96))
BAD=$'n\xff\xfeu'				# not UTF-8
TOOLONG='(too long|No such file or directory)'	# PMAX's first part is missing

# ---------------------------------------------------------------- usage

err "no arguments" '^depcheck: missing TARGET or subcommand$' depcheck
err "check with no target" '^depcheck: missing TARGET$' depcheck check
err "check --bogus" "'--bogus'" depcheck check --bogus a.o a.c
err "an unknown long option" "'--bogus'" depcheck --bogus a.o a.c
err "an unknown short option" "'?-Z'?" depcheck -Z a.o a.c
err "run with no arguments" "missing -- before the command" depcheck run
err "run TARGET" "missing -- before the command" depcheck run a.o
err "run TARGET DEP, no --" "missing -- before the command" depcheck run a.o a.c
err "run TARGET DEP --, no command" "missing the command after --" \
    depcheck run a.o a.c --
err "run -- CMD, no target" "missing TARGET" depcheck run -- true
err "run --bogus" "'--bogus'" depcheck run --bogus a.o a.c -- true
err "start with two directories" "too many arguments.*'$(re "$SCRATCH")'|'$(re "$SCRATCH")'.*too many|unexpected argument '$(re "$SCRATCH")'" \
    depcheck start "$ROOT" "$SCRATCH"
err "start --bogus" "'--bogus'" depcheck start --bogus
err "start --ignore without its glob" "'--ignore'" depcheck start --ignore
err "stop with two directories" "too many arguments.*'$(re "$SCRATCH")'|'$(re "$SCRATCH")'.*too many|unexpected argument '$(re "$SCRATCH")'" \
    depcheck stop "$ROOT" "$SCRATCH"
err "stop --bogus" "unknown option '--bogus'" depcheck stop --bogus
err "status with an argument" "unexpected argument 'x'" depcheck status x
err "status --json with an argument" "unexpected argument 'x'" \
    depcheck status --json x
err "status --bogus" "'--bogus'" depcheck status --bogus
err "seq with no path" "missing PATH" depcheck seq
err "seq --json with no path" "missing PATH" depcheck seq --json
err "seq --bogus" "'--bogus'" depcheck seq --bogus a.c
err "since with no token" "missing TOKEN" depcheck since
err "since with two tokens" "one TOKEN only" depcheck since a b
err "since --bogus" "'--bogus'" depcheck since --bogus x
err "watch --since without its token" "'--since'" depcheck watch --since
err "watch --bogus" "'--bogus'" depcheck watch --bogus
for v in 0 -3 x ''; do
	err "log -n '$v'" "bad -n '$v'" depcheck log -n "$v"
done
err "log --bogus" "'--bogus'" depcheck log --bogus

# ---------------------------------------------------------------- daemon args

err "depcheckd with an extra argument" "unexpected argument 'extra'" \
    depcheckd extra
for v in 0 -1 abc 99999999999 '' 1x; do
	err "depcheckd --sync-timeout '$v'" \
	    "^depcheckd: bad --sync-timeout '$v' \(1 to 3600000 ms\)$" \
	    depcheckd --sync-timeout "$v"
done
for v in 0 65537 -5 x; do
	err "depcheckd --max-connections '$v'" \
	    "^depcheckd: bad --max-connections '$v' \(1 to 65536 connections\)$" \
	    depcheckd --max-connections "$v"
done
for v in x 0 86400001 ''; do
	err "depcheckd --idle-timeout '$v'" \
	    "^depcheckd: bad --idle-timeout '$v' \(1 to 86400000 ms\)$" \
	    depcheckd --idle-timeout "$v"
done
err "depcheckd --sync-timeout with no value" "'?--sync-timeout'?" \
    depcheckd --sync-timeout
err "depcheckd --root with no value" "'?--root'?" depcheckd --root
err "depcheckd --bogus" "'--bogus'" depcheckd --bogus
err "depcheckd --root /nonexistent" \
    "^depcheckd: cannot use root '/nonexistent': No such file or directory$" \
    depcheckd --root /nonexistent
err "depcheckd --root a file" \
    "^depcheckd: root '$(re "$ROOT/afile")' is not a directory$" \
    depcheckd --root "$ROOT/afile"
err "depcheckd --root ''" "^depcheckd: cannot use root '':" depcheckd --root ''
err "depcheckd --root, 5000 bytes" "^depcheckd: cannot use root 'd{20}.*$TOOLONG" \
    depcheckd --root "$LONG"
err "depcheckd --root, not UTF-8" "^depcheckd: cannot use root '$BAD'" \
    depcheckd --root "$BAD"
is "$(daemon_pids)" "" "no daemon was started by any of that"

# ---------------------------------------------------------------- paths

start_daemon
for args in "'' a.c" "a.o ''" "a.o a.c ''"; do
	eval "set -- $args"
	err "a check of: $args" "empty" depcheck "$@"
	err "check --why of: $args" "empty" depcheck check --why "$@"
done
err "seq ''" "empty" depcheck seq ''
err "seq a.c ''" "empty" depcheck seq a.c ''
err "run '' a.c -- true" "empty" depcheck run '' a.c -- true
err "start ''" "^depcheck: cannot use root '':" depcheck start ''
err "stop ''" "^depcheck: cannot use root '':" depcheck stop ''

for name in LONG COMP PMAX; do
	p=${!name}
	pre=$(re "${p:0:20}")
	err "a dependency of ${#p} bytes ($name)" "'$pre.*$TOOLONG" \
	    depcheck a.o "$p"
	err "a target of ${#p} bytes ($name)" "'$pre.*$TOOLONG" depcheck "$p" a.c
	err "seq of ${#p} bytes ($name)" "'$pre.*$TOOLONG" depcheck seq "$p"
	err "run with a target of ${#p} bytes ($name)" "'$pre.*$TOOLONG" \
	    depcheck run "$p" a.c -- true
	err "start ${#p} bytes ($name)" "'$pre.*$TOOLONG" depcheck start "$p"
	err "stop ${#p} bytes ($name)" "'$pre.*$TOOLONG" depcheck stop "$p"
	DEPCHECK_ROOT=$p err "DEPCHECK_ROOT of ${#p} bytes ($name): status" \
	    "'$pre.*$TOOLONG" depcheck status
done

# Files that exist, at paths near and beyond PATH_MAX.
C=$(printf 'c%.0s' $(seq 200))
near=$(printf "$C/%.0s" $(seq 18))near.c	# 3625 bytes below ROOT
far=$(printf "$C/%.0s" $(seq 25))far.c		# 5030 bytes below ROOT
(
	for i in $(seq 25); do
		mkdir "$C" && cd "$C" || exit 1
		[ "$i" = 18 ] && echo n >near.c
	done
	echo f >far.c
) || give_up "cannot make a tree 25 directories of 200 bytes deep"
expect_exit -m "an existing dependency at ${#near} bytes: stale" \
    1 depcheck a.o "$near"
echo o >a.o
expect_exit -m "... and up to date after the target is rewritten" \
    0 depcheck a.o "$near"
err "an existing dependency at ${#far} bytes" "'$(re "${far:0:20}").*$TOOLONG" \
    depcheck a.o "$far"
# The daemon cannot watch directories past PATH_MAX either: it must say
# so (README: directories it cannot watch are counted as unwatched).
depcheck_nowrap a.o a.c >/dev/null 2>&1	# sync: the new tree is seen
n=$(status_field unwatched)
if [ "${n:-0}" -gt 0 ] || grep -q "cannot watch" .depcheck/depcheckd.log; then
	pass "directories beyond PATH_MAX: counted as unwatched or logged ($n)"
else
	fail "directories beyond PATH_MAX: counted as unwatched or logged" \
	    "status: watches $(status_field watches), unwatched $n, for 25 + 1 directories"
fi
rm -rf "$C"

# Not UTF-8.
err "a missing dependency not in UTF-8" "^depcheck: dependency '$BAD' does not exist$" \
    depcheck a.o "$BAD"
err "start, not UTF-8" "^depcheck: cannot use root '$BAD'" depcheck start "$BAD"
err "stop, not UTF-8" "^depcheck: cannot use root '$BAD'" depcheck stop "$BAD"
# (a command that cannot be run: 127, as a shell says)
err -s 127 "run CMD not UTF-8 (cannot run it)" "^depcheck: cannot run '$BAD'" \
    depcheck run nosuch.o a.c -- "$BAD"
echo x >"$BAD"
expect_exit -m "an existing dependency not in UTF-8: stale" 1 depcheck a.o "$BAD"
run_cmd depcheck seq "$BAD"
if [ "$T_RC" -eq 0 ] && [ "$(cut -d ' ' -f 4- "$T_OUT")" = "$BAD" ]; then
	pass "seq of a name not in UTF-8: exit 0, the name as given"
else
	fail "seq of a name not in UTF-8: exit 0, the name as given"
	diag_last
fi
echo o >a.o
expect_exit -m "... up to date after the target" 0 depcheck a.o "$BAD"

# ---------------------------------------------------------------- roots

for cmd in "a.o a.c" status "seq a.c" "run a.o a.c -- true"; do
	# shellcheck disable=SC2086	# cmd is words
	DEPCHECK_ROOT=$ROOT/afile err "DEPCHECK_ROOT a file: $cmd" \
	    "^depcheck: root '$(re "$ROOT/afile")' is not a directory$" \
	    depcheck $cmd
done
err "start a file" "^depcheck: root '$(re "$ROOT/afile")' is not a directory$" \
    depcheck start "$ROOT/afile"
err "stop a file" "^depcheck: root '$(re "$ROOT/afile")' is not a directory$" \
    depcheck stop "$ROOT/afile"
DEPCHECK_ROOT=/nonexistent err "DEPCHECK_ROOT missing: status" \
    "^depcheck: cannot use root '/nonexistent': No such file or directory$" \
    depcheck status
DEPCHECK_ROOT=/nonexistent err "DEPCHECK_ROOT missing: a check" \
    "^depcheck: cannot use root '/nonexistent': No such file or directory$" \
    depcheck a.o a.c

# An unreadable root: as root, only another user is kept out.  nobody
# runs copies of the binaries, in a directory it can reach: the build may
# be in a 0700 home (a clone under /root; issue 9).
NOBODY_SKIP="an unreadable root needs root and setpriv (to be another user)"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null &&
    NUID=$(id -u nobody 2>/dev/null); then
	NOBODY=(setpriv "--reuid=$NUID" "--regid=$(id -g nobody)" --clear-groups)
	NBIN=$(make_tmpdir)
	chmod 0755 "$NBIN"
	cp "$DEPCHECK_BINDIR/depcheck" "$DEPCHECK_BINDIR/depcheckd" "$NBIN/"
	# (setpriv itself may still exec what nobody cannot: ask a shell.)
	# shellcheck disable=SC2016	# $1 is the inner shell's
	if "${NOBODY[@]}" sh -c '"$1" --version' sh "$NBIN/depcheckd" \
	    >/dev/null 2>&1; then
		NOBODY_SKIP=
	else
		NOBODY_SKIP="nobody cannot run programs in $NBIN (is ${TMPDIR:-/tmp} reachable?)"
	fi
fi
if [ -z "$NOBODY_SKIP" ]; then
	OUT=$(make_tmpdir)
	chmod 0711 "$OUT"
	mkdir "$OUT/u"
	chown "$NUID:$(id -g nobody)" "$OUT/u"
	chmod 0000 "$OUT/u"
	nobody_depcheck()
	{
		local DEPCHECK_TEST_WRAP="${NOBODY[*]} $DEPCHECK_TEST_WRAP"
		local DEPCHECK_BINDIR=$NBIN

		(cd / && depcheck "$@")
	}
	nobody_depcheckd()
	{
		local DEPCHECK_BINDIR=$NBIN

		(cd / && _bin_env && timeout -k 5 "$DEPCHECK_TEST_TIMEOUT" \
		    env -i "${_ENV[@]}" "${NOBODY[@]}" \
		    "$DEPCHECK_BINDIR/depcheckd" "$@" </dev/null)
	}
	U=$(re "$OUT/u")
	err "nobody: start on a 0000 directory" \
	    "^depcheck.*'$U(/\.depcheck)?'.*Permission denied" \
	    nobody_depcheck start "$OUT/u"
	err "nobody: depcheckd --root a 0000 directory" \
	    "^depcheckd: .*'$U(/\.depcheck)?'.*Permission denied" \
	    nobody_depcheckd --root "$OUT/u"
	DEPCHECK_ROOT=$OUT/u err "nobody: status in a 0000 directory" \
	    "^depcheck: .*'$U(/\.depcheck)?'.*Permission denied" \
	    nobody_depcheck status
	chmod 0300 "$OUT/u"
	err "nobody: start on a 0300 (unlistable) directory" \
	    "^depcheck.*'$U'.*Permission denied" \
	    nobody_depcheck start "$OUT/u"
	is "$(daemon_pids "$OUT/u")" "" "no daemon runs for the unreadable root"
	chmod 0700 "$OUT/u"
else
	skip "$NOBODY_SKIP" 5
fi

# A root removed while its daemon runs.
GONE=$(make_tmpdir)
expect_exit -m "start a daemon for a second root" 0 depcheck start "$GONE"
gpid=$(daemon_pids "$GONE")
rm -rf "$GONE"
cd "$SCRATCH" || exit 1
DEPCHECK_ROOT=$GONE err "root removed: status" \
    "^depcheck: cannot use root '$(re "$GONE")': No such file or directory$" \
    depcheck status
DEPCHECK_ROOT=$GONE err "root removed: a check" \
    "^depcheck: cannot use root '$(re "$GONE")': No such file or directory$" \
    depcheck x.o x.c
err "root removed: stop" \
    "^depcheck: cannot use root '$(re "$GONE")': No such file or directory$" \
    depcheck stop "$GONE"
# Nobody can reach that daemon any more (its socket went with the root):
# it should see its root go and exit.
for _ in $(seq 50); do
	alive "$gpid" || break
	sleep 0.1	# polling for the daemon to exit, bounded at 5 s
done
if alive "$gpid"; then
	fail "the daemon of a removed root exits by itself (within 5 s)" \
	    "pid $gpid still runs; killing it"
	kill "$gpid"
else
	pass "the daemon of a removed root exits by itself"
fi
mkdir "$GONE"
DEPCHECK_ROOT=$GONE err "root re-created empty: status" \
    "^depcheck: no daemon for '$(re "$GONE")'" depcheck status
cd "$ROOT" || exit 1

expect_exit -m "the first daemon still answers" 0 depcheck status
done_testing
