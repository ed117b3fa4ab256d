#!/usr/bin/env bash
# Area 7 (make): the autoksyms example (contrib/examples/autoksyms) built
# by real make, -j1 and -j4, in a copy in the root (with depcheck.mk next
# to it, so the daemon depcheck.mk starts serves that copy):
#  - KSYMS_SAME_MTIME_AS=lib.o (the ksym header gets lib.o's mtime, as on
#    a file system with 1-second timestamps): plain make links a stale
#    lib.o and fails; with USE_DEPCHECK=1 it links and ./prog runs;
#  - a no-op rebuild with depcheck (make objs again) runs no recipe
#    command: nothing echoed, the objects untouched (inode, mtime, seq);
#  - without the simulation, on this file system's fine timestamps, both
#    plain make and make USE_DEPCHECK=1 build and link.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v make >/dev/null 2>&1 || skip_all "no make"
command -v cc >/dev/null 2>&1 || skip_all "no cc"
command -v nm >/dev/null 2>&1 || skip_all "no nm (binutils)"

EXAMPLE=$REPO_DIR/contrib/examples/autoksyms
cp -R "$EXAMPLE/." "$ROOT/" || give_up "copy $EXAMPLE"
cp "$REPO_DIR/contrib/make/depcheck.mk" "$ROOT/" || give_up "copy depcheck.mk"

DC=(USE_DEPCHECK=1 DEPCHECK_MK=depcheck.mk)
SAME=(-e KSYMS_SAME_MTIME_AS=lib.o)

# Lines of the last stdout that are a command compiling or linking.
cc_lines()
{
	grep -E '^cc ' "$T_OUT"
}

# No line of the last stderr comes from depcheck (a "no daemon" warning
# would mean mtimes decided, not the daemon).
no_depcheck_stderr()
{
	if grep -q '^depcheck' "$T_ERR"; then
		fail "$1" "depcheck said on stderr:" "$(grep '^depcheck' "$T_ERR")"
	else
		pass "$1"
	fi
}

# inode, mtime (ns) and seq of each file, one line each.
facts()
{
	local f

	for f in "$@"; do
		printf '%s %s %s\n' "$f" "$(stat -c '%i %.9Y' "$f")" \
		    "$(seq_of "$f")"
	done
}

DAEMON=

for j in 1 4; do
	# (a) the race, simulated: plain make links the lib.o built before
	# the ksym header changed.
	mk_ok "-j$j: make clean" clean
	mk "${SAME[@]}" -j"$j"
	ok "-j$j plain, same mtime: make fails" test "$T_RC" -ne 0 ||
	    diag_last
	like "$(cat "$T_ERR")" "undefined reference to .put_user_2'" \
	    "-j$j plain, same mtime: the link found no put_user_2"
	is "$(stat -c %.9Y ksym/put_user_2.h)" "$(stat -c %.9Y lib.o)" \
	    "-j$j plain: the ksym header has lib.o's mtime"
	is "$(grep -c '^cc -c -o lib.o lib.c$' "$T_OUT")" 1 \
	    "-j$j plain: lib.o compiled once only"
	ok "-j$j plain: no prog" test ! -e prog

	mk_ok "-j$j: make clean" clean
	mk_ok "-j$j depcheck, same mtime: make succeeds" \
	    "${SAME[@]}" -j"$j" "${DC[@]}"
	no_depcheck_stderr "-j$j depcheck: no warning from depcheck"
	is "$(grep -c '^cc -c -o lib.o lib.c$' "$T_OUT")" 2 \
	    "-j$j depcheck: lib.o compiled again after the adjust"
	is "$(grep -c '^cc -c -o main.o main.c$' "$T_OUT")" 1 \
	    "-j$j depcheck: main.o compiled once"
	ok "-j$j depcheck: ./prog runs" ./prog
	is "$(status_field root)" "$ROOT" "-j$j: the daemon serves the copy"
	pid=$(status_field pid)
	if [ -z "$DAEMON" ]; then
		DAEMON=$pid
		ok "the first depcheck build started the daemon" \
		    test -n "$DAEMON"
	else
		is "$pid" "$DAEMON" "-j$j: the same daemon"
	fi

	# (b) a no-op rebuild runs no recipe command.
	before=$(facts main.o lib.o)
	mk_ok "-j$j depcheck: make objs again" -j"$j" "${DC[@]}" objs
	is "$(cc_lines)" "" "-j$j no-op: no command echoed"
	is "$(cat "$T_OUT")" "" "-j$j no-op: nothing on stdout"
	no_depcheck_stderr "-j$j no-op: no warning from depcheck"
	is "$(facts main.o lib.o)" "$before" \
	    "-j$j no-op: objects untouched (inode, mtime, seq)"
	ok "-j$j no-op: ./prog still runs" ./prog

	# (c) on this file system (ns timestamps), without the simulation,
	# both work.
	mk_ok "-j$j: make clean" clean
	mk_ok "-j$j plain, real mtimes: make succeeds" -j"$j"
	ok "-j$j plain, real mtimes: ./prog runs" ./prog
	mk_ok "-j$j: make clean" clean
	mk_ok "-j$j depcheck, real mtimes: make succeeds" -j"$j" "${DC[@]}"
	no_depcheck_stderr "-j$j depcheck, real mtimes: no warning"
	ok "-j$j depcheck, real mtimes: ./prog runs" ./prog
	is "$(status_field pid)" "$DAEMON" "-j$j: still the same daemon"
done

is "$(daemon_pids | wc -l)" 1 "one daemon for the root in the end"
ok "no state directory elsewhere" \
    test "$(find "$ROOT" -name .depcheck -type d)" = "$ROOT/.depcheck"

done_testing
