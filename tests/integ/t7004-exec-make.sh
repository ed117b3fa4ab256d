#!/usr/bin/env bash
# Area 7 (make): `depcheck exec -- make` with GNU make and Makefiles left
# as they are (DESIGN section 10, issue 8), on the test's root with a real
# daemon.  Plain make runs beside it under the same env -i, for contrast:
#  (a) no daemon runs: exec starts one, and a dependency rewritten with
#      its target's mtime (touch -r) is stale under exec (make -q exits 1)
#      where plain make -q exits 0; up to date right after the build;
#  (b) a dependency rewritten by a recipe just before the make that reads
#      it: a sub-make ($(MAKE) -C sub), and the same make process after it
#      reaped that recipe, see the write;
#  (c) make -j4 over 40 pattern-rule objects; make -n prints exactly the
#      stale recipes, make -t touches exactly the stale targets;
#  (d) backwards mtimes (cp -p, mv, tar x of an older file over a source,
#      touch -d 2001): plain make is content, exec rebuilds; --why says so;
#  (e) a dependency dated an hour ahead: plain make warns of a time in the
#      future, exec presents the time the write was seen and does not;
#  (f) a recipe run under exec (stat, test -nt, cp -p, tar c and x) sees
#      and writes real mtimes, the same as outside exec;
#  (g) dependencies outside the root (older, newer) and a system header:
#      exec decides as plain make does;
#  (h) a process that is not a build tool (stat(1)) sees real mtimes;
#      DEPCHECK_EXEC_TOOLS=stat makes it see presented ones;
#  (i) an LD_PRELOAD already set is kept, the library appended (once);
#  (j) CMD's exit status passes through; a missing CMD is 127;
#  (k) --why is silent where write order and mtimes agree;
#  (l) no daemon and none can start (DEPCHECKD=/nonexistent, a .depcheck
#      that cannot be written): one warning, CMD with real mtimes and its
#      own status; --strict and DEPCHECK_STRICT=1: 2, CMD not run.
# No output of any command contains "in the future" or "Clock skew"
# (but the plain make of (e), which shows the warning exec avoids).
# Under DEPCHECK_TEST_WRAP, (b) to (g) are skipped: the wrap runs the
# client, which executes make unwrapped, and those parts only add make
# runs to what (a) and (h) to (l) do with the client.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

for c in make tar cp mv stat; do
	command -v "$c" >/dev/null 2>&1 || skip_all "no $c"
done

# Every command's output goes to a transcript, for the clock warnings.
exec_transcript

# dx ARGS: depcheck exec ARGS (options, --, CMD) in the working directory.
dx()
{
	depcheck exec "$@"
}

# dx_env NAME=VALUE... -- ARGS: dx with variables lib.sh does not pass
# (LD_PRELOAD) in depcheck's environment.
dx_env()
{
	local envs=() wrap=()

	while [ "$1" != -- ]; do
		envs+=("$1")
		shift
	done
	shift
	_bin_env
	[ -n "$DEPCHECK_TEST_WRAP" ] && read -r -a wrap <<<"$DEPCHECK_TEST_WRAP"
	timeout -k 5 "$DEPCHECK_TEST_TIMEOUT" env -i "${_ENV[@]}" "${envs[@]}" \
	    "${wrap[@]}" "$DEPCHECK_BINDIR/depcheck" exec "$@" </dev/null
}


# Real mtimes, one per line.
mt()
{
	stat -c %.9Y "$@"
}

# Presented mtimes, one per line: stat(1) as a build tool under exec.
pt()
{
	DEPCHECK_EXEC_TOOLS=stat dx -- stat -c %.9Y "$@"
}

# A time as printed by %.9Y (or date +%s.%N), in nanoseconds.
ns()
{
	printf '%d' "$((${1%.*} * 1000000000 + 10#${1#*.}))"
}

now()
{
	date +%s.%N
}

# The mtime touch -d 2001-01-01 gives, as %.9Y prints it.
OLD=$(date -d 2001-01-01 +%s.000000000)

# no_stderr DESC: the last command said nothing on stderr.
no_stderr()
{
	if [ -s "$T_ERR" ]; then
		fail "$1" "stderr was not empty"
		diag_last
	else
		pass "$1"
	fi
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

# ---------------------------------------------------------- (a)

part_a()
{
	cat >Makefile <<'EOF'
obj.o: dep.c
	cp dep.c $@
EOF
	echo v1 >dep.c
	ok "(a) no daemon runs" test -z "$(daemon_pids)"
	expect_exit -m "(a) exec -- make, no daemon running: builds obj.o" \
	    0 dx -- make obj.o
	no_stderr "(a) no warning: exec started a daemon"
	DAEMON=$(status_field pid)
	like "$DAEMON" '^[1-9][0-9]*$' "(a) a daemon runs for the root"
	is "$(daemon_pids)" "$DAEMON" "(a) one depcheck process for the root"
	is "$(cat obj.o)" v1 "(a) obj.o built from dep.c"

	echo v2 >dep.c
	touch -r obj.o dep.c
	is "$(mt dep.c)" "$(mt obj.o)" \
	    "(a) setup: dep.c rewritten with obj.o's mtime"
	expect_exit -m "(a) plain make -q obj.o: 0 (the rewrite is missed)" \
	    0 plain make -q obj.o
	expect_exit -m "(a) exec -- make -q obj.o: 1 (dep.c written after)" \
	    1 dx -- make -q obj.o
	no_stderr "(a) make -q under exec: nothing on stderr"
	expect_exit -m "(a) exec -- make obj.o: rebuilds" 0 dx -- make obj.o
	is "$(cat obj.o)" v2 "(a) obj.o has dep.c's new content"
	expect_exit -m "(a) exec -- make -q obj.o right after the build: 0" \
	    0 dx -- make -q obj.o
}

# ---------------------------------------------------------- (b)

# rec/: the top make's recipe rewrites sub/dep.c with sub/obj.o's mtime,
# then runs the sub-make.  rec/same.mk: one make runs such a recipe, reaps
# it, then decides obj2.o.
part_b()
{
	mkdir -p rec/sub
	cat >rec/Makefile <<'EOF'
all: sub

regen:
	echo $(V) >sub/dep.c
	if [ -e sub/obj.o ]; then touch -r sub/obj.o sub/dep.c; fi

sub: regen
	$(MAKE) -C sub

.PHONY: all regen sub
EOF
	cat >rec/sub/Makefile <<'EOF'
obj.o: dep.c
	cp dep.c $@
EOF
	cat >rec/same.mk <<'EOF'
all: regen obj2.o

regen:
	echo $(V) >dep2.c
	touch -r obj2.o dep2.c

obj2.o: dep2.c
	cp dep2.c $@

.PHONY: all regen
EOF
	cd rec || exit 1
	expect_exit -m "(b) exec -- make: first recursive build" \
	    0 dx -- make V=1
	is "$(cat sub/obj.o)" 1 "(b) sub/obj.o built"
	expect_exit -m "(b) exec -- make: a recipe rewrites sub/dep.c" \
	    0 dx -- make V=2
	is "$(cat sub/obj.o)" 2 "(b) the sub-make under exec rebuilt sub/obj.o"
	expect_exit -m "(b) plain make, the same rewrite" 0 plain make V=3
	is "$(cat sub/obj.o)" 2 "(b) plain sub-make: sub/obj.o not rebuilt"
	is "$(mt sub/dep.c)" "$(mt sub/obj.o)" \
	    "(b) setup: the recipe gave sub/dep.c sub/obj.o's mtime"
	expect_exit -m "(b) exec -- make -j4, the same rewrite" \
	    0 dx -- make -j4 V=4
	is "$(cat sub/obj.o)" 4 "(b) -j4: the sub-make rebuilt sub/obj.o"
	expect_exit -m "(b) exec -- make -C sub -q: up to date" \
	    0 dx -- make -C sub -q

	echo 0 >dep2.c
	expect_exit -m "(b) same make: obj2.o built" \
	    0 dx -- make -f same.mk obj2.o
	expect_exit -m "(b) same make: a recipe rewrites dep2.c, then obj2.o" \
	    0 dx -- make -f same.mk V=5
	is "$(cat obj2.o)" 5 \
	    "(b) the make that reaped the recipe saw dep2.c written after"
	expect_exit -m "(b) plain make -f same.mk" 0 plain make -f same.mk V=6
	is "$(cat obj2.o)" 5 "(b) plain make: obj2.o not rebuilt"
	cd "$ROOT" || exit 1
}

# ---------------------------------------------------------- (c)

PARLOG=$SCRATCH/par.log
STALE1=(f03 f07 f11 f15 f19 f23 f27 f31 f35 f39)
STALE2=(f02 f06 f10 f14 f18 f22 f26 f30 f34 f38)

# ran: the objects whose recipe ran since the last call, sorted.
ran()
{
	sort "$PARLOG"
	: >"$PARLOG"
}

# rewrite NAME...: NAME.c rewritten with NAME.o's mtime.
rewrite()
{
	local n

	for n in "$@"; do
		printf '%s v2\n' "$n" >"$n.c"
		touch -r "$n.o" "$n.c"
	done
}

# The targets' mtimes, "name mtime" lines.
target_times()
{
	stat -c '%n %.9Y' ./*.o prog
}

part_c()
{
	local i n f want before after touched t0 late bad

	: >"$PARLOG"
	mkdir par
	{
		printf 'LOG := %s\n' "$PARLOG"
		cat <<'EOF'
OBJS := $(patsubst %.c,%.o,$(sort $(wildcard f*.c)))

prog: $(OBJS)
	cat $(OBJS) >$@

%.o: %.c
	cp $< $@ && echo $@ >>$(LOG)
EOF
	} >par/Makefile
	for ((i = 1; i <= 40; i++)); do
		printf 'f%02d v1\n' "$i" >"par/$(printf 'f%02d' "$i").c"
	done

	cd par || exit 1
	expect_exit -m "(c) exec -- make -j4: 40 objects and prog" \
	    0 dx -- make -j4
	is "$(ran | wc -l)" 40 "(c) -j4: each object's recipe ran once"
	is "$(cat prog)" "$(cat f*.c)" "(c) prog holds every source"
	expect_exit -m "(c) exec -- make -j4 -q: up to date" \
	    0 dx -- make -j4 -q
	expect_exit -m "(c) exec -- make -j4: nothing to do" 0 dx -- make -j4
	is "$(ran)" "" "(c) no-op -j4 build: no recipe ran"

	rewrite "${STALE1[@]}"
	expect_exit -m "(c) 10 sources rewritten, same mtimes: plain make -q" \
	    0 plain make -q
	expect_exit -m "(c) plain make -n" 0 plain make -n
	is "$(cat "$T_OUT")" "make: 'prog' is up to date." \
	    "(c) plain make -n: nothing to do"
	expect_exit -m "(c) exec -- make -n" 0 dx -- make -n
	want=$(for n in "${STALE1[@]}"; do
		printf 'cp %s.c %s.o && echo %s.o >>%s\n' "$n" "$n" "$n" \
		    "$PARLOG"
	done
	printf 'cat %s >prog\n' "$(echo f*.o)")
	is "$(cat "$T_OUT")" "$want" \
	    "(c) make -n under exec prints exactly the 10 stale recipes, the link"
	is "$(ran)" "" "(c) make -n ran nothing"

	before=$(target_times)
	t0=$(ns "$(now)")
	expect_exit -m "(c) exec -- make -t" 0 dx -- make -t
	want=$(for n in "${STALE1[@]}"; do
		printf 'touch %s.o\n' "$n"
	done
	echo 'touch prog')
	is "$(cat "$T_OUT")" "$want" \
	    "(c) make -t under exec names the stale targets"
	after=$(target_times)
	touched=$(diff <(echo "$before") <(echo "$after") |
	    sed -n 's/^> \.\/\([^ ]*\) .*/\1/p; s/^> \(prog\) .*/\1/p')
	is "$touched" "$(printf '%s.o\n' "${STALE1[@]}"; echo prog)" \
	    "(c) make -t changed the mtimes of exactly the stale targets"
	late=0
	for f in "${STALE1[@]/%/.o}" prog; do
		[ "$(ns "$(mt "$f")")" -ge "$t0" ] || late=$((late + 1))
	done
	is "$late" 0 "(c) make -t wrote real times (now), not presented ones"
	is "$(ran)" "" "(c) make -t ran no recipe"
	is "$(cat f03.o)" "f03 v1" "(c) make -t left f03.o's content alone"
	expect_exit -m "(c) exec -- make -q after make -t: up to date" \
	    0 dx -- make -q

	rewrite "${STALE2[@]}"
	expect_exit -m "(c) 10 more rewritten: plain make -q 0" 0 plain make -q
	expect_exit -m "(c) exec -- make -j4: rebuilds them" 0 dx -- make -j4
	is "$(ran)" "$(printf '%s.o\n' "${STALE2[@]}")" \
	    "(c) -j4: exactly the 10 stale objects rebuilt"
	bad=0
	for n in "${STALE2[@]}"; do
		[ "$(cat "$n.o")" = "$n v2" ] || bad=$((bad + 1))
	done
	is "$bad" 0 "(c) -j4: each rebuilt object has its new source"
	expect_exit -m "(c) exec -- make -j4 -q: up to date" \
	    0 dx -- make -j4 -q
	cd "$ROOT" || exit 1
}

# ---------------------------------------------------------- (d)

part_d()
{
	local n

	mkdir bw "$SCRATCH/old"
	cat >bw/Makefile <<'EOF'
OBJS := cpp.o mv.o tar.o td.o

all: $(OBJS)

%.o: %.c
	cp $< $@
EOF
	for n in cpp mv tar td; do
		echo "$n v1" >"bw/$n.c"
	done
	# the older files: outside the root, dated 2001
	(cd "$SCRATCH/old" && echo "cpp v2" >cpp.c && echo "mv v2" >mv.c &&
	    echo "tar v2" >tar.c && touch -d 2001-01-01 cpp.c mv.c tar.c &&
	    tar cf ../old.tar tar.c)

	cd bw || exit 1
	expect_exit -m "(d) exec -- make: 4 objects" 0 dx -- make
	cp -p "$SCRATCH/old/cpp.c" cpp.c
	mv "$SCRATCH/old/mv.c" mv.c
	tar xf "$SCRATCH/old.tar"
	echo "td v2" >td.c
	touch -d 2001-01-01 td.c
	is "$(mt cpp.c mv.c tar.c td.c | sort -u)" "$OLD" \
	    "(d) setup: the four sources are dated 2001-01-01"
	for n in cpp mv tar td; do
		expect_exit -m "(d) $n: plain make -q $n.o: 0" \
		    0 plain make -q "$n.o"
		expect_exit -m "(d) $n: exec -- make -q $n.o: 1" \
		    1 dx -- make -q "$n.o"
	done
	expect_exit -m "(d) exec --why -- make: rebuilds" 0 dx --why -- make
	for n in cpp mv tar td; do
		is "$(cat "$n.o")" "$n v2" \
		    "(d) $n.o rebuilt from the 2001-dated $n.c"
		err_like "^depcheck: make: '$n\\.c' was written after '[^']+', but its mtime [0-9: .-]+ is earlier: write order decides\$" \
		    "(d) --why: $n.c written after, its mtime earlier"
	done
	is "$(grep -o "^depcheck: make: '[^']*'" "$T_ERR" | sort | uniq -d)" \
	    "" "(d) --why: no path named twice"
	expect_exit -m "(d) exec -- make -q: up to date after the rebuild" \
	    0 dx -- make -q
	cd "$ROOT" || exit 1
}

# ---------------------------------------------------------- (e)

part_e()
{
	mkdir fut
	printf 'fut.o: fut.c\n\tcp fut.c $@\n' >fut/Makefile
	echo "fut v1" >fut/fut.c
	cd fut || exit 1
	expect_exit -m "(e) exec -- make: fut.o built" 0 dx -- make
	echo "fut v2" >fut.c
	touch -d '+1 hour' fut.c
	NO_TRANSCRIPT=1
	expect_exit -m "(e) fut.c dated an hour ahead: plain make -q: 1" \
	    1 plain make -q fut.o
	err_like "in the future" "(e) plain make warns of a time in the future"
	NO_TRANSCRIPT=
	expect_exit -m "(e) exec -- make: rebuilds" 0 dx -- make
	no_stderr "(e) exec -- make: no warning (presented: when seen written)"
	is "$(cat fut.o)" "fut v2" "(e) fut.o rebuilt"
	expect_exit -m "(e) exec -- make -q: up to date (plain make never is)" \
	    0 dx -- make -q
	no_stderr "(e) exec -- make -q: no warning"
	cd "$ROOT" || exit 1
}

# ---------------------------------------------------------- (f)

# stamp depends on a and b: b, stamp, then a written, a dated 2001.  Plain
# make is content; under exec stamp is stale, and its recipe's commands
# (not build tools) must see the real times, and write them.
PROBE=$SCRATCH/probe

part_f()
{
	local t0 a_in

	mkdir probe "$PROBE"
	{
		printf 'OUT := %s\n' "$PROBE"
		cat <<'EOF'
stamp: a b
	stat -c %.9Y a b >$(OUT)/stat
	if [ a -nt b ]; then echo a-newer; else echo a-not-newer; fi >$(OUT)/nt
	cp -p a a.copy
	tar cf $(OUT)/ab.tar a b
	rm -rf x && mkdir x && tar xf $(OUT)/ab.tar -C x
	stat -c %.9Y a.copy x/a x/b >$(OUT)/copies
	printenv LD_PRELOAD >$(OUT)/preload || true
	touch stamp
EOF
	} >probe/Makefile
	cd probe || exit 1
	echo b >b
	echo a1 >a
	touch stamp
	expect_exit -m "(f) setup: exec -- make -q stamp: up to date" \
	    0 dx -- make -q stamp
	echo a2 >a
	touch -d 2001-01-01 a
	expect_exit -m "(f) a rewritten, dated 2001: plain make -q stamp: 0" \
	    0 plain make -q stamp
	expect_exit -m "(f) exec -- make stamp: the recipe runs" \
	    0 dx -- make stamp
	is "$(cat "$PROBE/stat" 2>&1)" "$(mt a b)" \
	    "(f) stat(1) in the recipe: the real mtimes"
	is "$(cat "$PROBE/nt" 2>&1)" \
	    "$(if [ a -nt b ]; then echo a-newer; else echo a-not-newer; fi)" \
	    "(f) [ a -nt b ] in the recipe: as outside exec"
	is "$(mt a.copy 2>&1)" "$OLD" \
	    "(f) cp -p in the recipe wrote a's real mtime"
	is "$(cat "$PROBE/copies" 2>&1)" "$(mt a.copy x/a x/b 2>&1)" \
	    "(f) stat in the recipe and outside agree on the copies"
	is "$(stat -c %Y x/a x/b 2>&1)" "$(stat -c %Y a b)" \
	    "(f) tar c and x in the recipe kept the real mtimes (to the second)"
	tar cf "$SCRATCH/ab-outside.tar" a b
	is "$(tar --full-time -tvf "$PROBE/ab.tar" 2>&1)" \
	    "$(tar --full-time -tvf "$SCRATCH/ab-outside.tar")" \
	    "(f) the archive made in the recipe lists what one made outside does"
	like "$(cat "$PROBE/preload" 2>&1)" 'depcheck-preload\.so' \
	    "(f) the recipe ran with the library in LD_PRELOAD"
	expect_exit -m "(f) exec -- make -q stamp: up to date" \
	    0 dx -- make -q stamp

	# The same recipe with stat(1) taken for a build tool sees a presented
	# time, which proves the library was there; cp -p and tar still copy
	# the real ones.
	t0=$(ns "$(now)")
	echo a3 >a
	touch -d 2001-01-01 a
	rm -f "$PROBE/stat"
	DEPCHECK_EXEC_TOOLS=stat expect_exit \
	    -m "(f) DEPCHECK_EXEC_TOOLS=stat exec -- make stamp" \
	    0 dx -- make stamp
	a_in=$(head -n 1 "$PROBE/stat" 2>&1)
	like "$a_in" '^[0-9]+\.[0-9]{9}$' "(f) ... the recipe ran stat(1) again"
	ok "(f) ... which now sees a presented time for a, not 2001 ($a_in)" \
	    test "$(ns "$a_in" 2>/dev/null)" -ge "$t0"
	is "$(mt a.copy x/a 2>&1)" "$OLD
$OLD" "(f) ... cp -p and tar x still wrote a's real mtime"
	cd "$ROOT" || exit 1
}

# ---------------------------------------------------------- (g)

EXT=$SCRATCH/ext.h
HDR=/usr/include/stdio.h

# g_explain: after an exec -- make -q of (g) that said stale when it
# should not have (seen once in CI, at -j2, never reproduced), what exec
# presented, what is on disk, and what --why says.
g_explain()
{
	diag "presented: $(pt ext.o "$EXT" 2>&1 | tr '\n' ' ')"
	diag "on disk (mtime ctime inode): $(stat -c '%n %.9Y %.9Z %i' \
	    ext.o "$EXT" | tr '\n' ' ')"
	run_cmd dx --why -- make -q ext.o
	diag "--why: exit $T_RC: $(tr '\n' ' ' <"$T_ERR")"
	diag "image entries: $(status_field image_entries)"
}

part_g()
{
	local i p

	mkdir ext
	{
		printf 'ext.o: %s\n\tcp $< $@\n' "$EXT"
		printf 'sys.o: %s\n\techo sys >$@\n' "$HDR"
	} >ext/Makefile
	cd ext || exit 1
	echo e1 >"$EXT"
	touch -d 2001-01-01 "$EXT"
	expect_exit -m "(g) exec -- make ext.o" 0 dx -- make ext.o
	expect_exit -m "(g) outside dependency older: plain make -q: 0" \
	    0 plain make -q ext.o
	expect_exit -m "(g) outside dependency older: exec -- make -q: 0" \
	    0 dx -- make -q ext.o || g_explain
	# Newer: written after the build, and (file times come from a clock
	# that lags by up to a tick) later than ext.o's presented time.
	p=$(ns "$(pt ext.o)")
	for ((i = 0; i < 2000; i++)); do
		echo e2 >"$EXT"
		[ "$(ns "$(mt "$EXT")")" -gt "$p" ] && break
	done
	ok "(g) setup: ext.h rewritten later than ext.o's presented time" \
	    test "$(ns "$(mt "$EXT")")" -gt "$p"
	expect_exit -m "(g) outside dependency newer: plain make -q: 1" \
	    1 plain make -q ext.o
	expect_exit -m "(g) outside dependency newer: exec -- make -q: 1" \
	    1 dx -- make -q ext.o
	expect_exit -m "(g) exec -- make ext.o: rebuilt" 0 dx -- make ext.o
	is "$(cat ext.o)" e2 "(g) ext.o has the new ext.h"
	expect_exit -m "(g) exec -- make -q ext.o: up to date" \
	    0 dx -- make -q ext.o || g_explain
	expect_exit -m "(g) plain make -q ext.o: up to date" \
	    0 plain make -q ext.o
	if [ -f "$HDR" ]; then
		expect_exit -m "(g) sys.o missing: plain make -q: 1" \
		    1 plain make -q sys.o
		expect_exit -m "(g) sys.o missing: exec -- make -q: 1" \
		    1 dx -- make -q sys.o
		expect_exit -m "(g) exec -- make sys.o" 0 dx -- make sys.o
		expect_exit -m "(g) $HDR: plain make -q sys.o: 0" \
		    0 plain make -q sys.o
		expect_exit -m "(g) $HDR: exec -- make -q sys.o: 0" \
		    0 dx -- make -q sys.o
	else
		skip "no $HDR" 5
	fi
	cd "$ROOT" || exit 1
}

# ---------------------------------------------------------- (h)

part_h()
{
	local t0 t1 p

	echo h1 >h.c
	t0=$(ns "$(now)")
	echo h2 >h.c
	touch -d 2001-01-01 h.c
	expect_exit -m "(h) exec -- stat: runs" 0 dx -- stat -c %.9Y h.c
	is "$(cat "$T_OUT")" "$OLD" "(h) stat(1) under exec: the real mtime"
	DEPCHECK_EXEC_TOOLS=stat expect_exit \
	    -m "(h) DEPCHECK_EXEC_TOOLS=stat exec -- stat" \
	    0 dx -- stat -c %.9Y h.c
	t1=$(ns "$(now)")
	p=$(cat "$T_OUT")
	ok "(h) ... prints a presented time, not the real one ($p)" \
	    test "$p" != "$OLD"
	ok "(h) ... between the moments before the write and after the stat" \
	    test "$(ns "$p")" -ge "$t0" -a "$(ns "$p")" -le "$t1"
	DEPCHECK_EXEC_TOOLS='cc:stat ninja' expect_exit \
	    -m "(h) DEPCHECK_EXEC_TOOLS='cc:stat ninja'" \
	    0 dx -- stat -c %.9Y h.c
	is "$(cat "$T_OUT")" "$p" "(h) ... names in a list count too"
	DEPCHECK_EXEC_TOOLS=sta expect_exit -m "(h) DEPCHECK_EXEC_TOOLS=sta" \
	    0 dx -- stat -c %.9Y h.c
	is "$(cat "$T_OUT")" "$OLD" "(h) ... a prefix of the name does not"
	is "$(mt h.c)" "$OLD" "(h) h.c's mtime on disk is still the real one"
}

# ---------------------------------------------------------- (i)

# entries VALUE: the entries of an LD_PRELOAD value, one per line,
# resolved.
entries()
{
	local e

	for e in $(printf '%s' "$1" | tr ':' ' '); do
		readlink -f -- "$e"
	done
}

part_i()
{
	local libc libm lib

	libc=$(ldd "$(type -P stat)" 2>/dev/null |
	    sed -n 's/^[[:space:]]*libc\.so[^ ]* => \([^ ]*\) .*/\1/p' |
	    head -n 1)
	expect_exit -m "(i) exec -- printenv LD_PRELOAD" \
	    0 dx -- printenv LD_PRELOAD
	lib=$(cat "$T_OUT")
	like "$(entries "$lib")" '^/[^[:space:]]*/depcheck-preload\.so$' \
	    "(i) no LD_PRELOAD before: the library alone"
	if [ -n "$libc" ] && [ -f "$libc" ]; then
		expect_exit -m "(i) LD_PRELOAD=$libc: exec -- printenv" \
		    0 dx_env "LD_PRELOAD=$libc" -- printenv LD_PRELOAD
		is "$(entries "$(cat "$T_OUT")")" "$(entries "$libc $lib")" \
		    "(i) LD_PRELOAD kept, the library appended"
	else
		skip "cannot find libc's path with ldd" 2
	fi
	# A library before ours that defines no stat: ours still decides.
	# (libc there would: its stat, found first, never reaches ours.)
	libm=${libc%/*}/libm.so.6
	if [ -n "$libc" ] && [ -f "$libm" ]; then
		echo v3 >dep.c
		touch -r obj.o dep.c
		expect_exit -m "(i) LD_PRELOAD=libm: exec -- make -q obj.o: 1" \
		    1 dx_env "LD_PRELOAD=$libm" -- make -q obj.o
	else
		skip "no libm.so.6 beside libc" 1
	fi
	expect_exit -m "(i) LD_PRELOAD=the library: exec -- printenv" \
	    0 dx_env "LD_PRELOAD=$lib" -- printenv LD_PRELOAD
	is "$(entries "$(cat "$T_OUT")")" "$(entries "$lib")" \
	    "(i) the library already there is not added again"
}

# ---------------------------------------------------------- (j)

part_j()
{
	expect_exit -m "(j) exec -- sh -c 'exit 7': 7" 7 dx -- sh -c 'exit 7'
	no_stderr "(j) nothing from depcheck"
	# shellcheck disable=SC2016	# $$ is the inner shell's
	expect_exit -m "(j) exec -- sh killed by SIGTERM: 143" \
	    143 dx -- sh -c 'kill -TERM $$'
	printf 'all:\n\tfalse\n' >fail.mk
	expect_exit -m "(j) exec -- make with a failing recipe: 2" \
	    2 dx -- make -f fail.mk
	expect_fail -m "(j) exec -- a missing command: 127" 127 \
	    "depcheck: cannot run 'depcheck-no-such-command': No such file or directory" \
	    dx -- depcheck-no-such-command
	is "$(nlines "$T_ERR")" 1 "(j) missing command: one line"
	expect_fail -m "(j) exec with no command: 2" \
	    2 "depcheck: no command to run" dx --
}

# ---------------------------------------------------------- (k)

# Written in order, each with an mtime later than the one before: write
# order and mtimes agree, --why has nothing to say.
part_k()
{
	local s

	mkdir why
	printf 'obj.o: src.c\n\tcp src.c $@\n' >why/Makefile
	s=$(date +%s)
	touch -d "@$((s - 20))" why/Makefile
	echo s1 >why/src.c
	touch -d "@$((s - 10))" why/src.c
	cd why || exit 1
	expect_exit -m "(k) exec --why -- make: builds" 0 dx --why -- make
	no_stderr "(k) --why, write order and mtimes agree: nothing said"
	expect_exit -m "(k) exec --why -- make again: nothing to do" \
	    0 dx --why -- make
	no_stderr "(k) --why, no-op build: nothing said"
	expect_exit -m "(k) exec -v -- make -q" 0 dx -v -- make -q
	no_stderr "(k) -v, make -q: nothing said"
	cd "$ROOT" || exit 1
}

# ---------------------------------------------------------- (l)

# no_help DIR DESC CAUSE_ERE: exec cannot help in DIR (already set up):
# one warning, CMD with real mtimes, CMD's status; --strict: 2, no CMD.
no_help()
{
	local dir=$1 what=$2 cause=$3

	cd "$dir" || exit 1
	printf 'obj.o: dep.c\n\tcp dep.c $@\n' >Makefile
	echo a >dep.c
	echo b >obj.o
	echo c >dep.c
	touch -r obj.o dep.c
	expect_exit -m "(l) $what: exec -- make -q obj.o: 0 (real mtimes)" \
	    0 dx -- make -q obj.o
	is "$(grep -c '^depcheck: ' "$T_ERR")" 1 \
	    "(l) $what: one 'depcheck: ' line"
	err_like "^depcheck: $cause; 'make' runs with real mtimes\$" \
	    "(l) $what: the warning says why and that make runs unhelped"
	expect_exit -m "(l) $what: CMD's status (7)" 7 dx -- sh -c \
	    'printenv LD_PRELOAD DEPCHECK_EXEC_ROOT; exit 7'
	is "$(cat "$T_OUT")" "" \
	    "(l) $what: no library, no root in CMD's environment"
	expect_fail -m "(l) $what: --strict: 2" 2 \
	    "$(grep '^depcheck: ' "$T_ERR" | tail -n 1 |
	    sed "s/; 'sh' runs with real mtimes\$/ (--strict: not running 'sh')/")" \
	    dx --strict -- sh -c 'touch marker'
	ok "(l) $what: --strict: CMD did not run" test ! -e marker
	DEPCHECK_STRICT=1 expect_exit -m "(l) $what: DEPCHECK_STRICT=1: 2" \
	    2 dx -- sh -c 'touch marker'
	ok "(l) $what: DEPCHECK_STRICT=1: CMD did not run" test ! -e marker
	is "$(daemon_pids "$dir")" "" "(l) $what: no daemon for it"
	cd "$ROOT" || exit 1
}

part_l()
{
	local nod bad ro rw=1

	nod=$(make_tmpdir)
	DEPCHECK_ROOT=$nod DEPCHECKD=/nonexistent no_help "$nod" \
	    "DEPCHECKD=/nonexistent" \
	    "cannot start a daemon for '$(_ere_quote "$nod")': cannot run '/nonexistent': No such file or directory"

	# A root it may not use: .depcheck is a file (found by the search
	# upwards, as the check finds it), not a directory.
	bad=$(make_tmpdir)
	touch "$bad/.depcheck"
	no_help "$bad" ".depcheck a file" \
	    "'$(_ere_quote "$bad")/\\.depcheck' is not a directory \\(not followed; remove it\\)"

	ro=$(make_tmpdir)
	mkdir "$ro/.depcheck"
	if [ "$(id -u)" != 0 ]; then
		chmod a-w "$ro/.depcheck"
		at_exit chmod u+w "$ro/.depcheck"
		rw=
	elif chattr +i "$ro/.depcheck" 2>/dev/null; then
		at_exit chattr -i "$ro/.depcheck"
		rw=
	fi
	if [ -z "$rw" ]; then
		no_help "$ro" ".depcheck not writable" \
		    "cannot start a daemon for '$(_ere_quote "$ro")': [^;]+"
	else
		skip "root, and no chattr +i here: .depcheck stays writable" 11
	fi
}

# ---------------------------------------------------------- the run

for part in a b c d e f g h i j k l; do
	case $part in
	[b-g])
		if [ -n "$DEPCHECK_TEST_WRAP" ]; then
			skip "($part) under DEPCHECK_TEST_WRAP: make is unwrapped"
			continue
		fi
		;;
	esac
	t0=${EPOCHREALTIME/./}
	"part_$part"
	diag "($part) $(((${EPOCHREALTIME/./} - t0) / 1000)) ms"
done
is "$(status_field pid)" "$DAEMON" "the daemon exec started ran to the end"

no_clock_warnings

done_testing
