#!/usr/bin/env bash
# Area 7 (make): contrib/make/depcheck.mk in a generated project: 20
# objects from a pattern rule, a link, a header listed in a recipe-less
# rule, a sub-make, and a recipe that rewrites its own input.  Every
# recipe runs through a wrapper that appends its command to a log, so a
# test counts what make really ran.  Each Makefile takes USE_DEPCHECK=1
# (include depcheck.mk) or not (plain make, the two words empty), so the
# same project is built both ways:
#  (a) a no-op build after a full one runs no recipe;
#  (b) a source rewritten in the same tick as its object (touch -r) is
#      rebuilt with depcheck, where plain make -q says up to date;
#  (c) a header from a separate rule (x.o: common.h) is among the
#      dependencies depcheck is given ($^);
#  (d) a sub-make including depcheck.mk uses the daemon the top make
#      started: one daemon, whose seqs decide in the subdirectory too;
#  (e) make -k with a failing recipe: same exit status, same targets and
#      same messages as plain make; a failed recipe records no build, and
#      the next build retries it, even when it left a target behind;
#  (f) a recipe that rewrites its input after reading it: rebuilt next
#      time ("written while its recipe ran"), where plain make is content.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v make >/dev/null 2>&1 || skip_all "no make"
command -v cc >/dev/null 2>&1 || skip_all "no cc"
command -v ar >/dev/null 2>&1 || skip_all "no ar"

cp "$REPO_DIR/contrib/make/depcheck.mk" "$ROOT/" || give_up "copy depcheck.mk"

# ---------------------------------------------------------- the project

LOG=$SCRATCH/recipes.log
LOGRUN=$SCRATCH/logrun
: >"$LOG"
# logrun CMD...: log "DIR: CMD" (DIR relative to the root, "." for it),
# then run CMD.  LOGRUN_FAIL=TARGET: for an output named TARGET (-o
# TARGET), write a partial target and fail instead, as a recipe
# "cmd >$@" that dies half-way would.
cat >"$LOGRUN" <<EOF
#!/bin/sh
d=\${PWD#"$ROOT"}
d=\${d#/}
printf '%s: %s\n' "\${d:-.}" "\$*" >>"$LOG"
if [ -n "\${LOGRUN_FAIL:-}" ]; then
	prev=
	for a; do
		if [ "\$prev" = -o ] && [ "\$a" = "\$LOGRUN_FAIL" ]; then
			echo partial >"\$a"
			echo "logrun: \$a: failing on purpose" >&2
			exit 1
		fi
		prev=\$a
	done
fi
exec "\$@"
EOF
chmod +x "$LOGRUN"

# The top Makefile: main.o, x.o, f01.o .. f18.o -> prog (main returns
# x()); the sub-make; gen.out (not part of all).
{
	cat <<EOF
ifeq (\$(USE_DEPCHECK),1)
include depcheck.mk
else
DEPCHECK_FORCE :=
DEPCHECK_RUN :=
endif

LOGRUN := $LOGRUN
EOF
	cat <<'EOF'
OBJS := main.o x.o $(patsubst %.c,%.o,$(sort $(wildcard f*.c)))

all: prog sub

prog: $(OBJS) $(DEPCHECK_FORCE)
	$(DEPCHECK_RUN) $(LOGRUN) cc -o $@ $(OBJS)

%.o: %.c $(DEPCHECK_FORCE)
	$(DEPCHECK_RUN) $(LOGRUN) cc -c -o $@ $<

x.o: common.h

sub:
	$(MAKE) -C sub

gen.out: gen.in $(DEPCHECK_FORCE)
	$(DEPCHECK_RUN) $(LOGRUN) sh rewrite.sh gen.in $@

clean:
	rm -f prog *.o gen.out
	$(MAKE) -C sub clean

.PHONY: all sub clean
EOF
} >Makefile
printf '#define X_VALUE 3\n' >common.h
printf '#include "common.h"\nint x(void) { return X_VALUE; }\n' >x.c
printf 'int x(void);\nint main(void) { return x(); }\n' >main.c
for ((i = 1; i <= 18; i++)); do
	n=$(printf '%02d' "$i")
	printf 'int f%s(void) { return %d; }\n' "$n" "$i" >"f$n.c"
done
# reads its input, rewrites it, then writes the target
cat >rewrite.sh <<'EOF'
v=$(cat "$1")
echo "$v+" >"$1"
printf '%s\n' "$v" >"$2"
EOF
echo v1 >gen.in

mkdir sub
{
	cat <<EOF
ifeq (\$(USE_DEPCHECK),1)
include ../depcheck.mk
else
DEPCHECK_FORCE :=
DEPCHECK_RUN :=
endif

LOGRUN := $LOGRUN
EOF
	cat <<'EOF'
SOBJS := s1.o s2.o s3.o

libsub.a: $(SOBJS) $(DEPCHECK_FORCE)
	$(DEPCHECK_RUN) $(LOGRUN) ar rc $@ $(SOBJS)

%.o: %.c $(DEPCHECK_FORCE)
	$(DEPCHECK_RUN) $(LOGRUN) cc -c -o $@ $<

clean:
	rm -f *.o *.a
EOF
} >sub/Makefile
for i in 1 2 3; do
	printf 'int s%d(void) { return %d; }\n' "$i" "$i" >"sub/s$i.c"
done

# ---------------------------------------------------------- helpers

# The recipes run since the last call, sorted, one per line, as "DIR:
# CMD" (the log is emptied).
ran()
{
	sort "$LOG"
	: >"$LOG"
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

# Lines of the last stdout but make's own: "Entering/Leaving directory"
# and the echo of the sub-make's recipe.
out_lines()
{
	grep -v -E -e '^make(\[[0-9]+\])?: (Entering|Leaving) directory' \
	    -e '^make -C sub$' "$T_OUT"
}

# err_like REGEX DESC: a line of the last stderr matches the ERE.
err_like()
{
	if grep -q -E -- "$1" "$T_ERR"; then
		pass "$2"
	else
		fail "$2" "no stderr line matches: $1"
		diag_last
	fi
}

# prog's exit status (main returns x())
prog_value()
{
	local rc=0

	./prog || rc=$?
	printf '%d' "$rc"
}

# Files the build made, sorted.
built_files()
{
	local f

	for f in "$ROOT"/prog "$ROOT"/*.o "$ROOT"/sub/*.o "$ROOT"/sub/*.a \
	    "$ROOT"/gen.out; do
		[ -e "$f" ] && printf '%s\n' "${f#"$ROOT"/}"
	done | sort
}

# built_from TARGET DEP: target_built_from in `depcheck --json`.
built_from()
{
	depcheck_nowrap --json "$1" "$2" >"$SCRATCH/json" 2>/dev/null
	json_eval "$SCRATCH/json" 'o["target_built_from"]'
}

DC=(USE_DEPCHECK=1)
ALL_RECIPES=21		# 20 objects and prog
SUB_RECIPES=4		# 3 objects and libsub.a

# ---------------------------------------------------------- (a)

ok "no daemon before the first build" test -z "$(daemon_pids)"
mk_ok "(a) full build with depcheck, -j4" -j4 "${DC[@]}"
no_depcheck_stderr "(a) full build: no warning from depcheck"
is "$(ran | wc -l)" $((ALL_RECIPES + SUB_RECIPES)) \
    "(a) full build: every recipe ran once"
is "$(prog_value)" 3 "(a) prog returns x()"
DAEMON=$(status_field pid)
ok "(a) depcheck.mk started the daemon" test -n "$DAEMON"
is "$(status_field root)" "$ROOT" "(a) its root is the top make's directory"

for j in 1 4; do
	mk_ok "(a) no-op build, -j$j" -j"$j" "${DC[@]}"
	is "$(ran)" "" "(a) no-op build, -j$j: no recipe ran"
	is "$(out_lines)" "" "(a) no-op build, -j$j: nothing echoed"
	no_depcheck_stderr "(a) no-op build, -j$j: no warning from depcheck"
done
mk "${DC[@]}" -q prog
is "$T_RC" 1 "make -q with depcheck.mk: the force target makes it 1"
mk -q prog
is "$T_RC" 0 "plain make -q prog: up to date"

# ---------------------------------------------------------- (b)

printf '#include "common.h"\nint x(void) { return X_VALUE + 1; }\n' >x.c
touch -r x.o x.c
is "$(stat -c %.9Y x.c)" "$(stat -c %.9Y x.o)" "(b) x.c has x.o's mtime"
mk -q prog
is "$T_RC" 0 "(b) plain make -q prog: up to date (the rewrite is missed)"
mk_ok "(b) build with depcheck" "${DC[@]}" prog
is "$(ran)" ".: cc -c -o x.o x.c
.: cc -o prog $(cd "$ROOT" && echo main.o x.o f*.o)" \
    "(b) x.o rebuilt, prog relinked, nothing else"
is "$(prog_value)" 4 "(b) prog has the new x()"
is "$(grep -c '^/.*logrun cc -c -o x.o x.c$' "$T_OUT")" 1 \
    "(b) --echo printed the one compile"

# plain make, same tick, for contrast: the rewrite is lost
printf '#include "common.h"\nint x(void) { return X_VALUE + 2; }\n' >x.c
touch -r x.o x.c
mk_ok "(b) plain make after a same-tick rewrite" prog
is "$(ran)" "" "(b) plain make: nothing rebuilt"
is "$(prog_value)" 4 "(b) plain make: prog still has the old x()"
mk_ok "(b) then with depcheck" "${DC[@]}" prog
is "$(prog_value)" 5 "(b) depcheck: prog has the new x()"
: >"$LOG"

# ---------------------------------------------------------- (c)

printf '#define X_VALUE 10\n' >common.h
touch -r x.o common.h
mk -q prog
is "$T_RC" 0 "(c) plain make -q prog: up to date (header rewrite missed)"
mk_ok "(c) build with depcheck, --why" "${DC[@]}" \
    "DEPCHECK_RUN_FLAGS=--echo --why" prog
is "$(ran | grep -c ' cc -c ')" 1 "(c) one object rebuilt"
err_like '^depcheck: x\.o is stale: common\.h written after it \(seq [0-9]+ > [0-9]+\)$' \
    "(c) --why: x.o is stale because of common.h, from the x.o: rule"
err_like '^depcheck: f01\.o is up to date: 1 dependency written before it ' \
    "(c) --why: f01.o has one dependency (no common.h)"
is "$(prog_value)" 12 "(c) prog has the new header's value"

# ---------------------------------------------------------- (d)

# one_daemon DESC PID: PID is the only depcheck process for the root
# (daemon_pids: pgrep -f and open files), and none serves sub/.
one_daemon()
{
	is "$(daemon_pids)" "$2" "$1: one depcheck process for the root"
	is "$(pgrep -f -- "--root $ROOT/sub( |\$)")" "" \
	    "$1: no daemon for the subdirectory (pgrep)"
	ok "$1: no state directory in the subdirectory" test ! -e sub/.depcheck
}

# The daemon of (a) runs: the sub-make uses it, and its seqs decide there
# too (a same-tick rewrite in sub/ is rebuilt).
is "$(status_field pid)" "$DAEMON" "(d) before: the daemon of (a)"
printf 'int s1(void) { return 100; }\n' >sub/s1.c
touch -r sub/s1.o sub/s1.c
mk_ok "(d) recursive build with depcheck, -j4" -j4 "${DC[@]}"
no_depcheck_stderr "(d) no warning from depcheck"
is "$(ran)" "sub: ar rc libsub.a s1.o s2.o s3.o
sub: cc -c -o s1.o s1.c" \
    "(d) the sub-make rebuilt s1.o (same tick) and the archive"
is "$(status_field pid)" "$DAEMON" "(d) after: the same daemon"
one_daemon "(d)" "$DAEMON"

# No daemon: the top make starts one, the sub-make finds it.
depcheck_nowrap stop >/dev/null 2>&1
ok "(d) daemon stopped" test -z "$(daemon_pids)"
printf 'int s2(void) { return 200; }\n' >sub/s2.c
touch -r sub/s2.o sub/s2.c
mk_ok "(d) recursive build, no daemon running, -j1" "${DC[@]}"
no_depcheck_stderr "(d) no daemon running: no warning from depcheck"
is "$(ran)" "sub: ar rc libsub.a s1.o s2.o s3.o
sub: cc -c -o s2.o s2.c" "(d) the sub-make rebuilt s2.o"
pid=$(status_field pid)
ok "(d) the top make started a daemon" test -n "$pid"
one_daemon "(d) started by the top make" "$pid"
mk_ok "(d) no-op recursive build" -j4 "${DC[@]}"
is "$(ran)" "" "(d) no-op: no recipe ran"
is "$(status_field pid)" "$pid" "(d) no-op: the same daemon"
one_daemon "(d) no-op" "$pid"

# ---------------------------------------------------------- (e)

# A compile error in x.c: make -k, plain and with depcheck, from clean.
printf 'int x(void) { return 1 }\n' >x.c
mk_ok "(e) make clean" clean
mk -k
PLAIN_RC=$T_RC
PLAIN_FILES=$(built_files)
cp "$T_ERR" "$SCRATCH/plain.err"
PLAIN_RAN=$(ran)
ok "(e) plain make -k fails" test "$PLAIN_RC" -ne 0
mk_ok "(e) make clean" clean
: >"$LOG"
mk -k "${DC[@]}"
is "$T_RC" "$PLAIN_RC" "(e) depcheck make -k: the same exit status"
is "$(built_files)" "$PLAIN_FILES" "(e) the same targets exist"
ok "(e) all but x.o and prog were built" \
    test "$(built_files | wc -l)" -eq $((ALL_RECIPES - 2 + SUB_RECIPES))
is "$(ran)" "$PLAIN_RAN" "(e) the same recipes ran"
if diff -u "$SCRATCH/plain.err" "$T_ERR" >"$SCRATCH/diff"; then
	pass "(e) the same messages on stderr"
else
	fail "(e) the same messages on stderr"
	diag_file "diff plain depcheck" "$SCRATCH/diff"
fi

# x.o built, then x.c broken: the failed recipe leaves the old x.o and
# its record alone; the next build retries.
printf '#include "common.h"\nint x(void) { return 7; }\n' >x.c
mk_ok "(e) fixed: the build completes" "${DC[@]}"
: >"$LOG"
B1=$(built_from x.o x.c)
like "$B1" '^[0-9]+$' "(e) x.o has a recorded build"
printf 'int x(void) { return 1 }\n' >x.c
mk -k "${DC[@]}"
ok "(e) broken again: make -k fails" test "$T_RC" -ne 0
is "$(ran | grep -c 'cc -c -o x.o x.c')" 1 "(e) x.o's recipe ran"
is "$(built_from x.o x.c)" "$B1" "(e) the failure recorded no build"
mk -k "${DC[@]}"
is "$(ran | grep -c 'cc -c -o x.o x.c')" 1 "(e) the next build retries x.o"
printf '#include "common.h"\nint x(void) { return 8; }\n' >x.c
mk_ok "(e) fixed again: the build completes" "${DC[@]}"
is "$(ran | grep -c ' cc ')" 2 "(e) x.o compiled, prog linked"
is "$(prog_value)" 8 "(e) prog has the fixed x()"

# A recipe that writes its target, then fails (no .DELETE_ON_ERROR):
# plain make takes the partial x.o for up to date next time; depcheck
# retries it.
printf '#include "common.h"\nint x(void) { return 9; }\n' >x.c
mk -k -e LOGRUN_FAIL=x.o prog
ok "(e) plain: the recipe failed" test "$T_RC" -ne 0
is "$(cat x.o)" partial "(e) plain: it left a partial x.o"
: >"$LOG"
mk -q prog
is "$T_RC" 1 "(e) plain make -q: prog out of date (its link never ran)"
mk -q x.o
is "$T_RC" 0 "(e) plain make -q x.o: the partial x.o counts as up to date"
printf '#include "common.h"\nint x(void) { return 9; }\n' >x.c
mk -k -e LOGRUN_FAIL=x.o "${DC[@]}" prog
ok "(e) depcheck: the recipe failed" test "$T_RC" -ne 0
is "$(cat x.o)" partial "(e) depcheck: it left a partial x.o"
is "$(ran | grep -c 'cc -c -o x.o x.c')" 1 "(e) depcheck: x.o's recipe ran"
expect_fail -m "(e) depcheck: x.o stale, its recipe failed" 1 \
    "depcheck: x.o is stale: the recipe that last wrote it failed" \
    depcheck --why x.o x.c common.h
mk_ok "(e) depcheck: the next build retries and succeeds" "${DC[@]}" prog
is "$(ran | grep -c 'cc -c -o x.o x.c')" 1 "(e) depcheck: x.o rebuilt"
is "$(prog_value)" 9 "(e) prog has x() from the retried build"

# ---------------------------------------------------------- (f)

# Plain make: the recipe rewrites gen.in after reading it; gen.out is the
# newer file, so plain make is content with a stale gen.out.
echo v1 >gen.in
mk_ok "(f) plain make gen.out" gen.out
is "$(cat gen.out):$(cat gen.in)" "v1:v1+" \
    "(f) gen.out from the old gen.in, which the recipe rewrote"
mk -q gen.out
is "$T_RC" 0 "(f) plain make -q: up to date (the rewrite is missed)"
: >"$LOG"
mk_ok "(f) plain make gen.out again" gen.out
is "$(ran)" "" "(f) plain make: nothing rebuilt"

# With depcheck.
rm gen.out
echo w1 >gen.in
mk_ok "(f) depcheck make gen.out" "${DC[@]}" gen.out
is "$(ran | wc -l)" 1 "(f) the recipe ran"
is "$(cat gen.out):$(cat gen.in)" "w1:w1+" "(f) gen.out from the old gen.in"
ok "(f) gen.out is the newer file by seq" \
    test "$(seq_of gen.out)" -gt "$(seq_of gen.in)"
run_cmd depcheck --why gen.out gen.in
is "$T_RC" 1 "(f) depcheck: gen.out is stale"
like "$(cat "$T_ERR")" \
    "^depcheck: gen\\.out is stale: gen\\.in written while its recipe ran \\(seq [0-9]+, the recipe started at seq [0-9]+\\)$" \
    "(f) --why: written while its recipe ran"
mk_ok "(f) depcheck make gen.out again" "${DC[@]}" gen.out
is "$(ran | wc -l)" 1 "(f) the recipe ran again"
is "$(cat gen.out)" "w1+" "(f) gen.out from the rewritten gen.in"

is "$(status_field pid)" "$pid" "the same daemon to the end"

done_testing
