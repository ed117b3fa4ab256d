#!/usr/bin/env bash
# Issue 13: depcheck check --depfile reads the make-syntax depfiles that
# real compilers write (gcc -MD -MP, clang -MD) and checks every target
# against its prerequisites, with every option of a check; the exit status
# is the worst of them.  Hand-written files cover the escapes and the
# errors (FILE:LINE).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v gcc >/dev/null || skip_all "gcc is not installed"
start_daemon
cd "$ROOT" || exit 1

mkdir -p src build
printf '#include "a b.h"\n#include "x.h"\nint one(void){return X;}\n' >src/one.c
printf '#include "x.h"\nint two(void){return X;}\n' >src/two.c
printf 'int three;\n' >src/three.c
printf '#define X 1\n' >src/x.h
printf '/* a header with a space */\n' >"src/a b.h"
for f in one two three; do
	gcc -MD -MP -c "src/$f.c" -o "build/$f.o"
done
ok "gcc -MD -MP wrote the depfiles" test -s build/one.d -a -s build/two.d
like "$(cat build/one.d)" 'a\\ b\.h' "gcc escaped the space in 'a b.h'"

expect_exit -m "every target up to date after the build" 0 \
    depcheck --depfile build/one.d --depfile build/two.d --depfile build/three.d
expect_exit -m "check --depfile: the same" 0 depcheck check --depfile build/one.d

echo '#define Y 2' >>src/x.h
expect_exit -m "a header written: the worst of the targets is stale" 1 \
    depcheck --depfile build/one.d --depfile build/three.d
expect_exit -m "--why names the header for each object that includes it" 1 \
    depcheck --why --depfile build/one.d --depfile build/two.d --depfile build/three.d
is "$(grep -c 'src/x\.h written after it' "$T_ERR")" 2 "--why: two stale objects, both for src/x.h"
has_line "$T_ERR" "^depcheck: build/one\\.o is stale: src/x\\.h written after it \\(seq [0-9]+ > [0-9]+\\)\$" \
    "--why: the shape of a check's line"
expect_exit -m "--newer -0 lists the newer prerequisites" 1 \
    depcheck --newer -0 --depfile build/one.d --depfile build/three.d
printf 'src/x.h\0' >"$SCRATCH/want"
ok "--newer -0: exactly src/x.h, NUL-terminated" cmp "$T_OUT" "$SCRATCH/want"

expect_exit -m "--json: one object per target" 1 \
    depcheck --json --depfile build/one.d --depfile build/two.d --depfile build/three.d
is "$(wc -l <"$T_OUT")" 3 "--json: three lines"
python3 - "$T_OUT" >"$SCRATCH/j" <<'EOF_PY'
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    print(o["target"], o["exit"], " ".join(d["path"] for d in o["deps"] if d["newer"]))
EOF_PY
is "$(cat "$SCRATCH/j")" $'build/one.o 1 src/x.h\nbuild/two.o 1 src/x.h\nbuild/three.o 0 ' \
    "--json: the targets in order, stale by src/x.h"

gcc -MD -MP -c src/one.c -o build/one.o
expect_exit -m "one.o rebuilt: up to date" 0 depcheck --depfile build/one.d
expect_exit -m "two.o still stale" 1 depcheck --depfile build/two.d

# -MP's phony targets are not checked: a removed header is not "stale".
rm "src/a b.h"
expect_fail -m "a prerequisite gone: an error naming it, not a stale phony target" \
    2 "depcheck: dependency 'src/a b.h' does not exist" \
    depcheck --depfile build/one.d

# clang -MD
if command -v clang >/dev/null; then
	printf '/* back */\n' >"src/a b.h"
	clang -MD -c src/one.c -o build/c1.o -MF build/c1.d
	expect_exit -m "clang -MD: up to date" 0 depcheck --depfile build/c1.d
	touch src/x.h
	expect_exit -m "clang -MD: the header touched, stale" 1 depcheck --depfile build/c1.d
else
	skip "clang is not installed" 2
fi

# Hand-written: escapes, several targets, continuation, order-only.
# shellcheck disable=SC2016	# a '$' in a file name, on purpose
touch 'sp ace.h' 'h#1.h' 'd$ollar.h' order.h
echo o >t1.o
echo o >t2.o
# shellcheck disable=SC2016
printf 't1.o t2.o: sp\\ ace.h \\\n  h\\#1.h d$$ollar.h | order.h\n' >hand.d
expect_exit -m "hand-written: every escape read, up to date" 0 depcheck --newer --depfile hand.d
touch order.h
expect_exit -m "an order-only prerequisite does not make a target stale (as make)" 0 \
    depcheck --depfile hand.d
touch 'h#1.h'
expect_exit -m "hand-written: the escaped '#' name is stale" 1 depcheck --newer --depfile hand.d
is "$(cat "$T_OUT")" $'h#1.h\nh#1.h' "--newer names it for both targets"

# Errors: FILE:LINE, exit 2.
printf 'a.o: a.c\n\nfoo.o foo.c\n' >bad.d
expect_fail -m "a line without ':'" 2 "depcheck: bad.d:3: missing ':' after the targets" \
    depcheck --depfile bad.d
printf ': x.c\n' >bad2.d
expect_fail -m "no target" 2 "depcheck: bad2.d:1: no target before ':'" depcheck --depfile bad2.d
expect_fail -m "an unreadable depfile" 2 "depcheck: cannot read 'nosuch.d': No such file or directory" \
    depcheck --depfile nosuch.d
expect_fail -m "--depfile without its file" 2 "depcheck: option '--depfile' needs a value" depcheck check --depfile

done_testing
