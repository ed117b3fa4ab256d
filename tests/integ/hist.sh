# shellcheck shell=bash disable=SC2034	# the variables are for the tests
#
# Sourced, after lib.sh, by the tests of since, watch and log (t9001,
# t9002, t9003): running them, reading their output, following a
# background watch.
#
# Variables: PY (python3), BURST (burst.py: many files, fast), TOKEN_RE
# (a token, ID:SEQ, as an ERE), SINCE_TOKEN and SINCE_FRESH (of the last
# since_ok), WATCH_PID (of the last watch_bg).
#
# Helpers: since_ok, since_paths, token_now, seq_part, wait_for,
# wait_exit, watch_cmd, watch_bg, watch_stop, kill_quiet, wait_watchers,
# rss_kb, burst, py_results.

[ -n "$PY" ] || skip_all "no python3"
BURST=$TEST_DIR/burst.py
TOKEN_RE='[0-9a-f]{16}:[0-9]+'

# burst ARGS: burst.py ARGS (see there), in the working directory.
burst()
{
	"$PY" "$BURST" "$@"
}

# since_ok DESC [OPTIONS] TOKEN: depcheck since (text) as run_cmd; one
# test that it exits 0 with nothing on stderr and prints what the
# contract says: lines `SEQ exists PATH` / `SEQ deleted PATH` (or all
# `SEQ fresh PATH`), in (seq, path bytes) order, no path twice, never the
# root nor .depcheck/..., and last `token TOKEN` (with ` fresh` for a
# fresh answer).  Sets SINCE_TOKEN and SINCE_FRESH (yes or no); the
# output stays in $SCRATCH/since.out, the paths (sorted) in
# $SCRATCH/since.paths.
since_ok()
{
	local desc=$1 shape

	shift
	SINCE_TOKEN=
	SINCE_FRESH=
	run_cmd depcheck since "$@"
	cp "$T_OUT" "$SCRATCH/since.out"
	shape=$("$PY" - "$T_OUT" "$SCRATCH/since.paths" 2>"$SCRATCH/shape" <<'EOF_PY'
import re, sys

data = open(sys.argv[1], "rb").read()
lines = data.split(b"\n")
if not data.endswith(b"\n"):
    sys.exit("the output does not end with a newline")
lines.pop()
if not lines:
    sys.exit("no output")
m = re.fullmatch(rb"token ([0-9a-f]{16}:[0-9]+)( fresh)?", lines[-1])
if not m:
    sys.exit("last line is not the token: %r" % lines[-1])
fresh = m.group(2) is not None
token = m.group(1).decode()
last, seen, paths = None, set(), []
for n, l in enumerate(lines[:-1], 1):
    m = re.fullmatch(rb"([0-9]+) (exists|deleted|fresh) (.+)", l, re.S)
    if not m:
        sys.exit("line %d is not SEQ WHAT PATH: %r" % (n, l))
    seq, what, path = int(m.group(1)), m.group(2), m.group(3)
    if (what == b"fresh") != fresh:
        sys.exit("line %d: %s in a%s answer" %
                 (n, what.decode(), " fresh" if fresh else "n incremental"))
    if path in seen:
        sys.exit("line %d: %r listed twice" % (n, path))
    if path.startswith((b"/", b"./")) or path in (b".", b"") or \
            path == b".depcheck" or path.startswith(b".depcheck/"):
        sys.exit("line %d: path %r" % (n, path))
    if last is not None and (seq, path) <= last:
        sys.exit("line %d: not in (seq, path) order after %r" % (n, last))
    last = (seq, path)
    seen.add(path)
    paths.append(path)
with open(sys.argv[2], "wb") as f:
    f.write(b"".join(p + b"\n" for p in sorted(paths)))
print(token, "yes" if fresh else "no")
EOF_PY
	)
	if [ "$T_RC" -eq 0 ] && [ ! -s "$T_ERR" ] && [ -n "$shape" ]; then
		SINCE_TOKEN=${shape% *}
		SINCE_FRESH=${shape#* }
		pass "$desc"
		return 0
	fi
	fail "$desc" "want exit 0, no stderr, the output of the contract" \
	    "$(cat "$SCRATCH/shape")"
	diag_last
	return 1
}

# since_paths: the paths of the last since_ok, one line, in path order,
# each with its state (exists, deleted, fresh): "a:exists b:deleted";
# "(no answer)" if it failed.
since_paths()
{
	if [ -z "$SINCE_TOKEN" ]; then
		printf '(no answer)'
		return
	fi
	sed -n 's/^[0-9]* \(exists\|deleted\|fresh\) \(.*\)$/\2\t\1/p' \
	    "$SCRATCH/since.out" | LC_ALL=C sort -t "$(printf '\t')" -k 1,1 |
	    tr '\t\n' ': ' | sed 's/ $//'
}

# token_now: a token for now (the last line of a synced since).
token_now()
{
	depcheck_nowrap since "${1-}" 2>/dev/null | tail -n 1 |
	    sed -n 's/^token \([^ ]*\).*/\1/p'
}

# seq_part TOKEN: the SEQ of ID:SEQ.
seq_part()
{
	printf '%s' "${1##*:}"
}

# wait_for FILE ERE [SECS [PID]]: poll FILE (the output of a background
# client) until a line matches ERE, at most SECS (default 10) seconds,
# and no longer than PID (the client) lives.
wait_for()
{
	local i n=$((${3:-10} * 50))

	for ((i = 0; i < n; i++)); do
		grep -qE -- "$2" "$1" 2>/dev/null && return 0
		if [ -n "${4:-}" ] && ! alive "$4"; then
			grep -qE -- "$2" "$1" 2>/dev/null
			return
		fi
		sleep 0.02	# polling another process's output, bounded
	done
	return 1
}

# wait_exit PID [SECS]: wait (at most SECS, default 10) for a background
# child to end; its status in WAIT_RC (255 when it did not end).
wait_exit()
{
	local i n=$((${2:-10} * 50))

	WAIT_RC=255
	for ((i = 0; i < n; i++)); do
		if ! alive "$1"; then
			wait "$1"
			WAIT_RC=$?
			return 0
		fi
		sleep 0.02	# polling for a process to end, bounded
	done
	return 1
}

# watch_cmd ARGS: `depcheck watch ARGS` (under DEPCHECK_TEST_WRAP and a
# timeout of 300 s), in the foreground.
watch_cmd()
{
	local wrap=()

	_bin_env
	[ -n "$DEPCHECK_TEST_WRAP" ] && read -r -a wrap <<<"$DEPCHECK_TEST_WRAP"
	timeout -k 5 300 env -i "${_ENV[@]}" "${wrap[@]}" \
	    "$DEPCHECK_BINDIR/depcheck" watch "$@" </dev/null
}

# watch_bg OUT ERR ARGS: `depcheck watch ARGS` in the background (its
# pid in WATCH_PID: the timeout(1) around it, which passes signals on),
# stdout to OUT, stderr to ERR, in the working directory.
watch_bg()
{
	local out=$1 err=$2 wrap=()

	shift 2
	_bin_env
	[ -n "$DEPCHECK_TEST_WRAP" ] && read -r -a wrap <<<"$DEPCHECK_TEST_WRAP"
	(exec timeout -k 5 300 env -i "${_ENV[@]}" "${wrap[@]}" \
	    "$DEPCHECK_BINDIR/depcheck" watch "$@" </dev/null >"$out" \
	    2>"$err") &
	WATCH_PID=$!
	at_exit kill_quiet "$WATCH_PID"
}

# kill_quiet PID: SIGTERM to PID if it is still there (for at_exit).
kill_quiet()
{
	kill -TERM "$1" 2>/dev/null
	return 0
}

# watch_stop PID: end a background watch (SIGTERM) and reap it.
watch_stop()
{
	kill -TERM "$1" 2>/dev/null
	wait_exit "$1" 10 || kill -KILL "$1" 2>/dev/null
}

# rss_kb PID: VmRSS of PID in kB.
rss_kb()
{
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB$/\1/p' "/proc/$1/status"
}

# wait_watchers N: poll `depcheck status` until it says N watchers, at
# most 10 s.
wait_watchers()
{
	local i

	for ((i = 0; i < 200; i++)); do
		[ "$(status_field watchers)" = "$1" ] && return 0
		sleep 0.05	# polling the daemon's state, bounded
	done
	return 1
}

# py_results FILE: turn the lines of FILE, written by a checking script
# as "ok<TAB>DESC" or "not ok<TAB>DESC<TAB>DETAIL", into tests.
py_results()
{
	local st desc detail n=0

	while IFS=$'\t' read -r st desc detail; do
		n=$((n + 1))
		case $st in
		ok)	pass "$desc" ;;
		*)	fail "$desc" "$detail" ;;
		esac
	done <"$1"
	[ "$n" -gt 0 ] || fail "the checking script gave results" \
	    "$(cat "$1")"
}
