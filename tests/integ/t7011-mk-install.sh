#!/usr/bin/env bash
# Area 7 (make): depcheck.mk as installed, and without a client (issue 9).
#  (a) make install DESTDIR=D PREFIX=/usr/local puts the programs, the exec
#      library, the man pages, the git fsmonitor hook (naming BINDIR's
#      client) and depcheck.mk in place (depcheck.mk in
#      D/usr/local/include, which GNU make searches for an include without
#      a path; make -I D/usr/local/include stands in for that search);
#  (b) a Makefile with a bare `include depcheck.mk` builds with the
#      installed client, whose daemon is the installed depcheckd, and
#      rebuilds a target whose source was rewritten within its mtime;
#  (c) with no client on PATH, or DEPCHECK naming a missing file, make
#      stops before any recipe with one line naming the DEPCHECK= knob,
#      and starts no daemon; DEPCHECK=/path/to/depcheck then works.
# The installed files are those of DEPCHECK_BINDIR's build, which must be
# up to date (make -q all): nothing is compiled here.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v make >/dev/null 2>&1 || skip_all "no make"
O=${DEPCHECK_BINDIR%/bin}
if [ "$O/bin" != "$DEPCHECK_BINDIR" ] ||
    ! env -i "PATH=$PATH" make -C "$REPO_DIR" -q "O=$O" all >/dev/null 2>&1; then
	skip_all "DEPCHECK_BINDIR is not the bin/ of an up-to-date build (make O=DIR)"
fi

DEST=$(make_tmpdir)
INC=$DEST/usr/local/include
IBIN=$DEST/usr/local/bin
SYSPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# ---------------------------------------------------------- (a) install

run_cmd env -i "PATH=$PATH" make -C "$REPO_DIR" "O=$O" \
    "DESTDIR=$DEST" PREFIX=/usr/local install
if [ "$T_RC" -ne 0 ]; then
	diag_last
	give_up "make install DESTDIR=... PREFIX=/usr/local (exit $T_RC)"
fi
pass "make install DESTDIR=... PREFIX=/usr/local"
for f in bin/depcheck bin/depcheckd; do
	ok "installed: $f, executable" test -x "$DEST/usr/local/$f"
done
for f in lib/depcheck/depcheck-preload.so share/man/man1/depcheck.1 \
    share/man/man8/depcheckd.8; do
	ok "installed: $f" test -f "$DEST/usr/local/$f"
done
ok "installed: include/depcheck.mk, the same as contrib/make/depcheck.mk" \
    cmp -s "$REPO_DIR/contrib/make/depcheck.mk" "$INC/depcheck.mk"
is "$(stat -c %a "$INC/depcheck.mk")" 644 "include/depcheck.mk is 0644"
GITHOOK=$DEST/usr/local/share/depcheck/git/fsmonitor-depcheck
ok "installed: share/depcheck/git/fsmonitor-depcheck, executable" \
    test -x "$GITHOOK"
ok "the installed git hook runs /usr/local/bin/depcheck" \
    grep -qF "'/usr/local/bin/depcheck'" "$GITHOOK"

# ---------------------------------------------------------- (c) no client

# The project: out is a copy of in, decided by depcheck.
project()
{
	cat >"$1/Makefile" <<'EOF'
include depcheck.mk

out: in $(DEPCHECK_FORCE)
	$(DEPCHECK_RUN) cp in out
EOF
	echo one >"$1/in"
}

# mk_in DIR ARGS: mk, in DIR instead of ROOT.
mk_in()
{
	local ROOT=$1

	shift
	mk "$@"
}

# no_client DESC REGEX: the last make exited 2 with stderr one line
# matching REGEX, ran no recipe and started no daemon.
no_client()
{
	local why=()

	[ "$T_RC" -eq 2 ] || why+=("exit status $T_RC, want 2")
	[ "$(nlines "$T_ERR")" -eq 1 ] || why+=("not one line on stderr")
	[[ $(head -n 1 "$T_ERR") =~ $2 ]] || why+=("stderr does not match: $2")
	[ -e "$NC/out" ] && why+=("a recipe ran")
	[ -e "$NC/.depcheck" ] && why+=("a daemon was started")
	if [ ${#why[@]} -eq 0 ]; then
		pass "$1"
	else
		fail "$1" "${why[@]}"
		diag_last
	fi
}

NC=$(make_tmpdir)
project "$NC"
KNOB='\(install depcheck, or set DEPCHECK=/path/to/depcheck\)\.  Stop\.$'
mk_in "$NC" -e "PATH=$SYSPATH" -I "$INC"
no_client "no depcheck on PATH: make stops, naming the DEPCHECK= knob" \
    "^depcheck\.mk:[0-9]+: \*\*\* depcheck: cannot run 'depcheck': not found on PATH $KNOB"
mk_in "$NC" -e "PATH=$SYSPATH" -I "$INC" DEPCHECK="$NC/no/depcheck"
no_client "DEPCHECK names a missing file: make stops, naming the knob" \
    "^depcheck\.mk:[0-9]+: \*\*\* depcheck: cannot run '$(_ere_quote "$NC/no/depcheck")': no such executable $KNOB"
mk_in "$NC" -e "PATH=$SYSPATH" -I "$INC" DEPCHECK="$IBIN/depcheck"
if [ "$T_RC" -eq 0 ] && [ "$(cat "$NC/out" 2>/dev/null)" = one ]; then
	pass "DEPCHECK=/path/to/depcheck, not on PATH: the build works"
else
	fail "DEPCHECK=/path/to/depcheck, not on PATH: the build works"
	diag_last
fi

# ---------------------------------------------------------- (b) installed

project "$ROOT"
mk -e "PATH=$IBIN:$SYSPATH" -I "$INC"
if [ "$T_RC" -eq 0 ] && has_line "$T_OUT" "cp in out" &&
    [ "$(cat out 2>/dev/null)" = one ]; then
	pass "include depcheck.mk (make -I the include directory): built"
else
	fail "include depcheck.mk (make -I the include directory): built"
	diag_last
fi
pid=$(status_field pid)
is "$(readlink "/proc/$pid/exe" 2>/dev/null)" "$IBIN/depcheckd" \
    "the daemon it started is the installed depcheckd"
mk -e "PATH=$IBIN:$SYSPATH" -I "$INC"
if [ "$T_RC" -eq 0 ] && [ ! -s "$T_OUT" ]; then
	pass "a second build does nothing"
else
	fail "a second build does nothing"
	diag_last
fi
echo two >in
touch -r out in
mk -e "PATH=$IBIN:$SYSPATH" -I "$INC"
if [ "$T_RC" -eq 0 ] && [ "$(cat out)" = two ]; then
	pass "in rewritten with out's mtime: rebuilt"
else
	fail "in rewritten with out's mtime: rebuilt"
	diag_last
fi

done_testing
