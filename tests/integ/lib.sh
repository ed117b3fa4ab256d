# shellcheck shell=bash
#
# Sourced by every tests/integ/t*.sh: a fresh root under mktemp -d (the
# working directory), the binaries from DEPCHECK_BINDIR run under env -i,
# TAP helpers, and a trap on EXIT that stops the daemon, kills whatever is
# left and removes it all.
#
#	. "$(dirname "$0")/lib.sh"
#	start_daemon
#	touch a.o && echo 'int x;' > a.c && touch -r a.o a.c
#	expect_exit 1 depcheck a.o a.c		# no sleep: every check syncs
#	expect_fail 2 "depcheck: dependency 'b.h' does not exist" depcheck a.o b.h
#	done_testing
#
# Variables: ROOT (the root, physical path, the working directory at
# start), SCRATCH (outside the root, for the harness's own files), T_RC,
# T_OUT, T_ERR (status and files of stdout, stderr of the last run_cmd or
# expect_*).
#
# Helpers: depcheck, depcheckd (the binaries, under env -i); run_cmd;
# expect_exit, expect_fail, expect_stderr (take -m DESC first to name the
# test); ok DESC CMD...; is; like; pass; fail; skip REASON [N]; skip_all;
# give_up; done_testing; diag, diag_file, diag_last, diag_log;
# start_daemon, start_depcheckd; daemon_pids, alive, status_field, seq_of;
# json_eval, hex; make_tmpdir; coarse_root; exec_transcript,
# no_clock_warnings, plain; has_line, nlines, not; at_exit.
#
# Knobs (environment of the test run):
#   DEPCHECK_BINDIR	where depcheck and depcheckd are (default: build/bin)
#   DEPCHECK_TEST_WRAP	prefix for every depcheck client run, e.g.
#			'valgrind -q --error-exitcode=99 --leak-check=full'
#   DEPCHECK_TEST_TIMEOUT  seconds before one command is killed (default 60)
#   DEPCHECK_TEST_ROUNDS   rounds of the race loops of t2004 and t3001, and
#                          of the restart rounds of t2007 and t2008
#			(default 100 and 500; fewer under a WRAP)
#
# Inside a test, DEPCHECK_* and DEPCHECKD* variables that the test sets
# (exported, plain, or as VAR=x before a command) are passed to the
# binaries; nothing else of the caller's environment is, but for PATH
# and the sanitizers' *SAN_OPTIONS.

TEST_DIR=$(cd -P "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd -P "$TEST_DIR/../.." && pwd)
# The python3 for the tests' helpers (rawsock.py, burst.py): the system's,
# which starts 5x faster than a shim and which other users can run.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
: "${DEPCHECK_BINDIR:=$REPO_DIR/build/bin}"
case $DEPCHECK_BINDIR in
/*)	;;
*)	DEPCHECK_BINDIR=$PWD/$DEPCHECK_BINDIR ;;
esac
: "${DEPCHECK_TEST_TIMEOUT:=60}"
: "${DEPCHECK_TEST_WRAP:=}"
T_NAME=$(basename "$0" .sh)

# Forget whatever DEPCHECK_* the caller's environment holds: a test
# starts clean and sets what it means to set.
for _v in $(compgen -v DEPCHECK); do
	case $_v in
	DEPCHECK_BINDIR|DEPCHECK_TEST_*)	;;
	*)	unset "$_v" ;;
	esac
done
unset _v

PATH=$DEPCHECK_BINDIR:$PATH
export PATH

T_N=0			# tests run
T_FAILED=0		# tests failed
T_DONE=			# done_testing was called
T_RC=0			# status of the last run_cmd
T_CMD=			# the last run_cmd, quoted

# ---------------------------------------------------------------- TAP

# A test description on one line, without a TAP directive in it.
_tap_desc()
{
	local d=$1

	d=${d//$'\n'/\\n}
	d=${d//#/\\#}
	printf '%s' "$d"
}

# Print each argument (and each line in it) as a TAP comment on stderr,
# where prove shows it even when not verbose.
diag()
{
	local text line

	for text in "$@"; do
		while IFS= read -r line || [ -n "$line" ]; do
			printf '# %s\n' "$line" >&2
		done <<<"$text"
	done
}

# Show a file's bytes as a TAP comment, non-printable characters visible.
diag_file()
{
	local label=$1 file=$2

	if [ ! -s "$file" ]; then
		diag "$label: (empty)"
		return
	fi
	diag "$label:"
	diag "$(head -c 4000 "$file" | cat -v | sed 's/^/    /')"
}

# Diagnostics for the last run_cmd: command, status, output, daemon log.
diag_last()
{
	diag "command: $T_CMD" "exit status: $T_RC"
	diag_file "stdout" "$T_OUT"
	diag_file "stderr" "$T_ERR"
	diag_log
}

diag_log()
{
	local log=$ROOT/.depcheck/depcheckd.log

	if [ -f "$log" ]; then
		diag "tail of $log:"
		diag "$(tail -n 20 "$log" | cat -v | sed 's/^/    /')"
	else
		diag "(no $log)"
	fi
}

pass()
{
	T_N=$((T_N + 1))
	printf 'ok %d - %s\n' "$T_N" "$(_tap_desc "$1")"
}

# fail DESC [DIAG...]
fail()
{
	T_N=$((T_N + 1))
	T_FAILED=$((T_FAILED + 1))
	printf 'not ok %d - %s\n' "$T_N" "$(_tap_desc "$1")"
	shift
	[ $# -gt 0 ] && diag "$@"
	return 0
}

# ok DESC CMD... : passes when CMD exits 0 (CMD is not captured).
ok()
{
	local desc=$1

	shift
	if "$@"; then
		pass "$desc"
	else
		fail "$desc" "command failed: $(_quote "$@")"
		diag_log
		return 1
	fi
}

# not CMD...: succeeds when CMD fails (for ok).
not()
{
	! "$@"
}

# is GOT WANT DESC
is()
{
	if [ "$1" == "$2" ]; then
		pass "$3"
	else
		fail "$3" "got:  '$1'" "want: '$2'"
		return 1
	fi
}

# like GOT REGEX DESC  (bash extended regex)
like()
{
	if [[ $1 =~ $2 ]]; then
		pass "$3"
	else
		fail "$3" "got:  '$1'" "want match: $2"
		return 1
	fi
}

# skip REASON [N]: N (default 1) skipped tests
skip()
{
	local i

	for ((i = 0; i < ${2:-1}; i++)); do
		T_N=$((T_N + 1))
		printf 'ok %d # skip %s\n' "$T_N" "$(_tap_desc "$1")"
	done
}

# Skip the whole script (call before any test).
skip_all()
{
	printf '1..0 # SKIP %s\n' "$(_tap_desc "$1")"
	T_DONE=1
	exit 0
}

# End the script early after a failure that makes the rest meaningless.
give_up()
{
	fail "$1"
	diag "giving up on $T_NAME"
	done_testing
}

# Print the plan and exit: 0 when every test passed.
done_testing()
{
	printf '1..%d\n' "$T_N"
	T_DONE=1
	[ "$T_FAILED" -eq 0 ] && exit 0
	diag "$T_FAILED of $T_N tests failed in $T_NAME"
	exit 1
}

# ---------------------------------------------------------- running

_quote()
{
	local s

	s=$(printf '%q ' "$@")
	printf '%s' "${s% }"
}

# The environment for the binaries: env -i with these.
# need_strace: skip the whole test unless strace can trace here.
need_strace()
{
	command -v strace >/dev/null || skip_all "strace is not installed"
	strace -f -qq -o /dev/null true 2>/dev/null ||
	    skip_all "strace cannot trace here"
}

# traced ARGS: depcheck ARGS under strace (not DEPCHECK_TEST_WRAP), its
# socket calls in $SCRATCH/trace, stderr in $T_ERR, T_RC its status.
traced()
{
	_bin_env
	# LeakSanitizer cannot run under ptrace: it would fail the client
	# (and write its complaint on the counted descriptors).
	_ENV+=("ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0")
	strace -f -qq -e trace=connect,sendto,sendmsg,write,writev \
	    -o "$SCRATCH/trace" env -i "${_ENV[@]}" \
	    "$DEPCHECK_BINDIR/depcheck" "$@" </dev/null >/dev/null 2>"$T_ERR"
	T_RC=$?
}

# trace_count REGEX: lines of the last trace (traced) that match.
trace_count()
{
	grep -cE -- "$1" "$SCRATCH/trace"
}

_bin_env()
{
	local v

	_ENV=("PATH=$DEPCHECK_BINDIR:$PATH" "HOME=$ROOT")
	# a sanitizer build's settings (make check-san) get through too
	for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS TSAN_OPTIONS \
	    MSAN_OPTIONS; do
		[ "${!v+set}" = set ] && _ENV+=("$v=${!v}")
	done
	for v in $(compgen -v DEPCHECK); do
		case $v in
		DEPCHECK_BINDIR|DEPCHECK_TEST_*)	continue ;;
		esac
		[ "${!v+set}" = set ] && _ENV+=("$v=${!v}")
	done
}

# depcheck ARGS: the client, under env -i, DEPCHECK_TEST_WRAP and a timeout.
depcheck()
{
	local wrap=()

	_bin_env
	[ -n "$DEPCHECK_TEST_WRAP" ] && read -r -a wrap <<<"$DEPCHECK_TEST_WRAP"
	timeout -k 5 "$DEPCHECK_TEST_TIMEOUT" env -i "${_ENV[@]}" \
	    "${wrap[@]}" "$DEPCHECK_BINDIR/depcheck" "$@" </dev/null
}

# depcheck_nowrap ARGS: the client without DEPCHECK_TEST_WRAP (cleanup).
depcheck_nowrap()
{
	_bin_env
	timeout -k 5 "$DEPCHECK_TEST_TIMEOUT" env -i "${_ENV[@]}" \
	    "$DEPCHECK_BINDIR/depcheck" "$@" </dev/null
}

# depcheckd ARGS: the daemon, under env -i and a timeout (for the parent;
# a forked daemon outlives it).
depcheckd()
{
	_bin_env
	timeout -k 5 "$DEPCHECK_TEST_TIMEOUT" env -i "${_ENV[@]}" \
	    "$DEPCHECK_BINDIR/depcheckd" "$@" </dev/null
}

# run_cmd CMD...: run quietly; T_RC is the status, T_OUT and T_ERR the
# files holding stdout and stderr (outside ROOT, so the daemon never
# sees them), T_CMD the command.
run_cmd()
{
	T_CMD=$(_quote "$@")
	"$@" >"$T_OUT" 2>"$T_ERR"
	T_RC=$?
	return 0
}

# Does FILE hold LINE as a whole line?
has_line()
{
	grep -qxF -- "$2" "$1"
}

# Number of lines in FILE.
nlines()
{
	local n

	n=$(wc -l <"$1")
	printf '%d' "$n"
}

# expect_exit [-m DESC] STATUS CMD...
expect_exit()
{
	local desc='' want

	if [ "$1" = -m ]; then
		desc=$2
		shift 2
	fi
	want=$1
	shift
	run_cmd "$@"
	[ -n "$desc" ] || desc="$T_CMD exits $want"
	if [ "$T_RC" -eq "$want" ]; then
		pass "$desc"
	else
		fail "$desc" "expected exit status $want"
		diag_last
		return 1
	fi
}

# expect_fail [-m DESC] STATUS LINE CMD...: the status, and LINE a whole
# line of stderr.
expect_fail()
{
	local desc='' want line

	if [ "$1" = -m ]; then
		desc=$2
		shift 2
	fi
	want=$1
	line=$2
	shift 2
	run_cmd "$@"
	[ -n "$desc" ] || desc="$T_CMD exits $want with: $line"
	if [ "$T_RC" -eq "$want" ] && has_line "$T_ERR" "$line"; then
		pass "$desc"
	else
		fail "$desc" "expected exit status $want and this stderr line:" \
		    "    $line"
		diag_last
		return 1
	fi
}

# expect_stderr [-m DESC] LINE: LINE is a whole line of the last stderr.
expect_stderr()
{
	local desc=''

	if [ "$1" = -m ]; then
		desc=$2
		shift 2
	fi
	[ -n "$desc" ] || desc="stderr of $T_CMD has: $1"
	if has_line "$T_ERR" "$1"; then
		pass "$desc"
	else
		fail "$desc" "missing stderr line:" "    $1"
		diag_last
		return 1
	fi
}

# ---------------------------------------------------------- daemon

# start_daemon [ARGS]: depcheck start in ROOT; the script gives up if
# that fails.
start_daemon()
{
	local here=$PWD

	cd "$ROOT" || exit 1
	run_cmd depcheck start "$@"
	cd "$here" || exit 1
	if [ "$T_RC" -ne 0 ]; then
		diag_last
		give_up "depcheck start${*:+ $*} (exit $T_RC)"
	fi
	pass "depcheck start${*:+ $*}"
}

# start_depcheckd [ARGS]: depcheckd --root ROOT ARGS directly (it forks
# and returns once the tree is watched); gives up if that fails.
start_depcheckd()
{
	run_cmd depcheckd --root "$ROOT" "$@"
	if [ "$T_RC" -ne 0 ]; then
		diag_last
		give_up "depcheckd --root ROOT${*:+ $*} (exit $T_RC)"
	fi
	pass "depcheckd --root ROOT${*:+ $*}"
}

# Is PID a live process (not gone, not a zombie nobody reaped)?
alive()
{
	local state

	# Any state but zombie or dead: also t (stopped by a tracer, as a
	# sanitizer's leak check stops a process on its way out).
	state=$(sed -n 's/^[0-9]* (.*) \([A-Za-z]\) .*/\1/p' "/proc/$1/stat" \
	    2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# daemon_pids [DIR]: the pids of live depcheck/depcheckd processes serving
# DIR (default ROOT): those with DIR as a word of their command line
# (pgrep -f) and those holding a file of DIR/.depcheck open.  One per
# line, sorted.
daemon_pids()
{
	local dir=${1:-$ROOT}

	_pids_matching "$(_ere_quote "$dir")( |\$)" "$dir/.depcheck/*"
}

# _pids_matching ERE GLOB: depcheck* processes whose command line matches
# ERE or that hold open a file whose path matches GLOB.
_pids_matching()
{
	local p comm

	{
		pgrep -f -- "$1" 2>/dev/null
		find /proc/[0-9]*/fd -maxdepth 1 -lname "$2" 2>/dev/null |
		    sed -n 's|^/proc/\([0-9]*\)/fd/.*|\1|p'
	} | sort -un | while read -r p; do
		comm=$(cat "/proc/$p/comm" 2>/dev/null) || continue
		alive "$p" || continue
		case $comm in
		depcheck*|memcheck*)	printf '%s\n' "$p" ;;
		esac
	done
}

# A string quoted for use as a literal in an ERE.
_ere_quote()
{
	printf '%s' "$1" | sed 's/[][\.*^$?+(){}|]/\\&/g'
}

# Value of KEY in `depcheck status` (text), or empty.
status_field()
{
	depcheck_nowrap status 2>/dev/null |
	    sed -n "s/^$1: //p" | head -n 1
}

# The seq of PATH from `depcheck seq` (first field), or empty.
seq_of()
{
	depcheck_nowrap seq "$1" 2>/dev/null | head -n 1 | cut -d ' ' -f 1
}

# json_eval FILE EXPR: parse FILE as exactly one JSON document, strictly
# (UTF-8, no lone surrogates), and print the Python expression EXPR of it
# (`o` is the document; pb(d, "path") is the exact bytes of a path field,
# from its "_b64" sibling if there is one, in hex).  Strings print raw,
# other values as JSON.  Fails, with the reason on stderr, if FILE does
# not parse.
json_eval()
{
	python3 - "$1" "$2" <<'EOF_PY'
import base64, json, sys

with open(sys.argv[1], "rb") as f:
    o = json.loads(f.read().decode("utf-8"))

def pb(d, key):
    if key + "_b64" in d:
        return base64.b64decode(d[key + "_b64"], validate=True).hex()
    return d[key].encode("utf-8").hex()

def strict(v):
    # a lone surrogate (\udcff) parses in Python but is not Unicode
    if isinstance(v, str):
        v.encode("utf-8")
    elif isinstance(v, list):
        for x in v:
            strict(x)
    elif isinstance(v, dict):
        for k, x in v.items():
            strict(k)
            strict(x)

strict(o)
v = eval(sys.argv[2])
print(v if isinstance(v, str) else json.dumps(v))
EOF_PY
}

# The bytes of a string, in hex (as json_eval's pb() prints them).
hex()
{
	printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'
}

# write_check_rounds N CMD...: N rounds of write-then-check in the
# working directory, with no pause in between, alternating: CMD dep I
# (then depcheck target dep must say stale, 1), CMD target I (up to
# date, 0).  Sets WTC_WRONG to the number of wrong answers; the first
# five are said with diag.
write_check_rounds()
{
	local n=$1 i what want

	shift
	WTC_WRONG=0
	for ((i = 1; i <= n; i++)); do
		if ((i % 2)); then
			what=dep
			want=1
		else
			what=target
			want=0
		fi
		"$@" "$what" "$i"
		run_cmd depcheck target dep
		if [ "$T_RC" -ne "$want" ]; then
			WTC_WRONG=$((WTC_WRONG + 1))
			if [ "$WTC_WRONG" -le 5 ]; then
				diag "round $i: wrote $what ($*), expected $want, got $T_RC"
				diag_file stderr "$T_ERR"
			fi
		fi
	done
}

# coarse_root MIB [INODES]: the test's root on a file system with 1-second
# timestamps, as ext4 with 128-byte inodes has: a MIB MiB image, made
# with mkfs.ext4 -I 128 (-N INODES if given) and loop-mounted; ROOT is a directory in it and
# the working directory.  At exit the daemon for ROOT is stopped and the
# image unmounted.  Skips the whole test (with the reason) where not root,
# without mkfs.ext4 or a loop device, or where the timestamps turn out
# finer than a second.
coarse_root()
{
	local img=$SCRATCH/coarse.img mt

	[ "$(id -u)" = 0 ] ||
	    skip_all "not root: cannot loop-mount an ext4 image"
	command -v mkfs.ext4 >/dev/null 2>&1 || skip_all "no mkfs.ext4"
	COARSE_MNT=$TEST_TMP/mnt
	mkdir "$COARSE_MNT"
	truncate -s "${1}M" "$img" 2>"$T_ERR" ||
	    skip_all "cannot make a $1 MiB image: $(head -n 1 "$T_ERR")"
	mkfs.ext4 -q -I 128 ${2:+-N "$2"} -F "$img" >"$T_OUT" 2>"$T_ERR" ||
	    skip_all "mkfs.ext4 failed: $(grep -v 'deprecated' "$T_ERR" |
	    head -n 1)"
	mount -o loop "$img" "$COARSE_MNT" 2>"$T_ERR" ||
	    skip_all "mount -o loop refused: $(head -n 1 "$T_ERR")"
	at_exit _coarse_unmount
	ROOT=$COARSE_MNT/root
	mkdir "$ROOT"
	cd "$ROOT" || exit 1
	echo probe >probe
	mt=$(stat -c '%.9Y %.9Z' probe)
	rm probe
	[[ $mt =~ ^[0-9]+\.0{9}\ [0-9]+\.0{9}$ ]] ||
	    skip_all "timestamps on the image are not whole seconds ($mt)"
}

# The daemon for ROOT stopped, then the unmount (lazy if something still
# holds the mount); the loop device goes with it.
_coarse_unmount()
{
	local p

	depcheck_nowrap stop "$ROOT" >/dev/null 2>&1
	for p in $(daemon_pids "$ROOT"); do
		kill -KILL "$p" 2>/dev/null
	done
	umount "$COARSE_MNT" 2>/dev/null || umount -l "$COARSE_MNT"
}

# exec_transcript: from now on run_cmd (and so every expect_*) also
# appends each command's output to TRANSCRIPT, unless NO_TRANSCRIPT is
# set; no_clock_warnings then checks that none of it is make's "in the
# future" or "Clock skew" (depcheck exec must never cause them).
exec_transcript()
{
	TRANSCRIPT=$SCRATCH/transcript
	NO_TRANSCRIPT=
	: >"$TRANSCRIPT"
	eval "$(declare -f run_cmd | sed '1s/^run_cmd/_lib_run_cmd/')"
	run_cmd()
	{
		_lib_run_cmd "$@"
		[ -n "$NO_TRANSCRIPT" ] ||
		    cat "$T_OUT" "$T_ERR" >>"$TRANSCRIPT"
	}
}

no_clock_warnings()
{
	if grep -n -i -E 'in the future|clock skew' "$TRANSCRIPT" \
	    >"$SCRATCH/skew"; then
		fail "no output says 'in the future' or 'Clock skew'"
		diag_file "lines" "$SCRATCH/skew"
	else
		pass "no output says 'in the future' or 'Clock skew'"
	fi
}

# plain CMD...: CMD in the environment depcheck exec gets, without it.
plain()
{
	_bin_env
	timeout -k 5 "$DEPCHECK_TEST_TIMEOUT" env -i "${_ENV[@]}" "$@" \
	    </dev/null
}

# A further temporary directory (physical path), removed on exit.  Used
# as out=$(make_tmpdir), in a subshell: the list of them is kept in a file.
make_tmpdir()
{
	local d

	d=$(mktemp -d "${TMPDIR:-/tmp}/depcheck-other.XXXXXX") || return 1
	d=$(cd -P "$d" && pwd)
	printf '%s\n' "$d" >>"$SCRATCH/extra-dirs"
	printf '%s' "$d"
}

# mk [-e NAME=VALUE]... ARGS: make ARGS in ROOT, as run_cmd (T_RC,
# T_OUT, T_ERR), under env -i: PATH with the binaries first, the test's
# DEPCHECK_* and the sanitizers' settings, and each -e NAME=VALUE.
mk()
{
	local envs=() args=()

	while [ "$1" = -e ]; do
		envs+=("$2")
		shift 2
	done
	args=("$@")
	# DEPCHECK_TEST_WRAP (valgrind) wraps the client make runs too
	if [ -n "$DEPCHECK_TEST_WRAP" ]; then
		args+=("DEPCHECK=$DEPCHECK_TEST_WRAP $DEPCHECK_BINDIR/depcheck")
	fi
	_bin_env
	T_CMD="${envs[*]}${envs[*]:+ }make $(_quote "${args[@]}")"
	(cd "$ROOT" && timeout -k 5 "$DEPCHECK_TEST_TIMEOUT" env -i \
	    "${_ENV[@]}" "${envs[@]}" make "${args[@]}") \
	    </dev/null >"$T_OUT" 2>"$T_ERR"
	T_RC=$?
}

# mk_ok DESC [-e NAME=VALUE]... ARGS: mk, and a test that it exited 0.
mk_ok()
{
	local desc=$1

	shift
	mk "$@"
	if [ "$T_RC" -eq 0 ]; then
		pass "$desc"
	else
		fail "$desc" "expected exit status 0"
		diag_last
		return 1
	fi
}

# count_check WANT CMD...: run_cmd and count the answer in CHECKS, and a
# wrong one in WRONG, with diagnostics (for loops that report one total).
CHECKS=0
WRONG=0
count_check()
{
	local want=$1

	shift
	CHECKS=$((CHECKS + 1))
	run_cmd "$@"
	if [ "$T_RC" -ne "$want" ]; then
		WRONG=$((WRONG + 1))
		diag "wrong answer: expected $want"
		diag_last
		return 1
	fi
}

# wait_gone PID: wait (at most 10 s) for a killed process to be gone;
# this waits on the kernel delivering SIGKILL, not on the daemon's work.
wait_gone()
{
	local i

	for ((i = 0; i < 1000; i++)); do
		alive "$1" || return 0
		sleep 0.01
	done
	return 1
}

# at_exit CMD...: have the EXIT trap run CMD, first thing (in /, before
# the daemons are stopped and the directories removed); the last one
# registered runs first.  For what a test set up outside lib.sh: a
# SIGSTOPped daemon to resume, a mount to undo.
T_AT_EXIT=()
at_exit()
{
	T_AT_EXIT+=("$(_quote "$@")")
}

_cleanup()
{
	local rc=$? dirs d pids p i

	set +e
	cd / || true
	if [ -z "$T_DONE" ]; then
		diag "$T_NAME exited (status $rc) before done_testing"
		[ "$rc" -eq 0 ] && rc=1
	fi
	for ((i = ${#T_AT_EXIT[@]} - 1; i >= 0; i--)); do
		eval "${T_AT_EXIT[i]}"
	done
	dirs=("$TEST_TMP")
	if [ -f "$SCRATCH/extra-dirs" ]; then
		while IFS= read -r d; do
			dirs+=("$d")
		done <"$SCRATCH/extra-dirs"
	fi
	# Stop every daemon of every root this test made.
	while IFS= read -r d; do
		depcheck_nowrap stop "${d%/.depcheck}" >/dev/null 2>&1
	done < <(find "${dirs[@]}" -maxdepth 5 -type d -name .depcheck \
	    2>/dev/null)
	pids=$(for d in "${dirs[@]}"; do
		_pids_matching "$(_ere_quote "$d")" "$d/*"
	done | sort -un)
	if [ -n "$pids" ]; then
		for p in $pids; do
			diag "killing leftover $(cat "/proc/$p/comm" \
			    2>/dev/null) pid $p: $(tr '\0' ' ' \
			    <"/proc/$p/cmdline" 2>/dev/null)"
			kill -TERM "$p" 2>/dev/null
		done
		for ((i = 0; i < 50; i++)); do
			for p in $pids; do
				alive "$p" && break
				p=
			done
			[ -z "$p" ] && break
			sleep 0.1	# being killed, not waited on for work
		done
		for p in $pids; do
			alive "$p" && kill -KILL "$p" 2>/dev/null
		done
		[ "$rc" -eq 0 ] && rc=3
	fi
	rm -rf "${dirs[@]}"
	exit "$rc"
}

# ---------------------------------------------------------- set-up

if [ ! -x "$DEPCHECK_BINDIR/depcheck" ] ||
    [ ! -x "$DEPCHECK_BINDIR/depcheckd" ]; then
	echo "Bail out! no depcheck and depcheckd in $DEPCHECK_BINDIR" \
	    "(run make, or set DEPCHECK_BINDIR)"
	exit 1
fi

TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/depcheck-integ.XXXXXX") || {
	echo "Bail out! mktemp -d failed"
	exit 1
}
TEST_TMP=$(cd -P "$TEST_TMP" && pwd)
ROOT=$TEST_TMP/root
SCRATCH=$TEST_TMP/scratch
T_OUT=$SCRATCH/stdout
T_ERR=$SCRATCH/stderr
mkdir "$ROOT" "$SCRATCH"
trap _cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
trap 'exit 141' PIPE
cd "$ROOT" || exit 1
