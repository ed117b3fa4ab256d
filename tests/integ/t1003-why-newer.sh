#!/usr/bin/env bash
# Area 1 (check): --why (-v) explains the verdict on stderr in the exact
# shapes of the interface; --newer (-n) lists make's $?, -0 NUL-terminated;
# --no-sync still answers.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon

echo 1 >d1
echo o >t.o
echo 2 >d2
echo 3 >d3
expect_exit -m "setup: t.o is stale" 1 depcheck t.o d1 d2 d3
st=$(seq_of t.o) s1=$(seq_of d1) s2=$(seq_of d2) s3=$(seq_of d3)
like "$st $s1 $s2 $s3" '^[0-9]+ [0-9]+ [0-9]+ [0-9]+$' "setup: depcheck seq gives the seqs"
ok "setup: seqs follow the order of the writes" \
    test "$s1" -lt "$st" -a "$st" -lt "$s2" -a "$s2" -lt "$s3"

# --why, stale
expect_fail -m "--why, stale: written after it, with both seqs" \
    1 "depcheck: t.o is stale: d2 written after it (seq $s2 > $st)" \
    depcheck --why t.o d1 d2
is "$(cat "$T_OUT")" "" "--why prints nothing on stdout"
expect_fail -m "-v is --why" \
    1 "depcheck: t.o is stale: d2 written after it (seq $s2 > $st)" \
    depcheck -v t.o d2
expect_exit -m "--why with two newer dependencies" 1 depcheck --why t.o d1 d2 d3
bad=$(grep -vE "^depcheck: t\.o is stale: (d2 written after it \(seq $s2 > $st\)|d3 written after it \(seq $s3 > $st\))$" "$T_ERR")
is "$bad" "" "--why: every line names a newer dependency, in the exact shape"
ok "--why: at least one line" test -s "$T_ERR"
expect_fail -m "--why, missing target" \
    1 "depcheck: nosuch.o is stale: it does not exist" \
    depcheck --why nosuch.o d1

# --why, up to date
echo o >t.o
st=$(seq_of t.o)
expect_fail -m "--why, up to date: the newest dependency and its seq" \
    0 "depcheck: t.o is up to date: 3 dependencies written before it (newest d3, seq $s3 < $st)" \
    depcheck --why t.o d1 d3 d2
expect_exit -m "--why, up to date, one dependency" 0 depcheck --why t.o d2
like "$(cat "$T_ERR")" "^depcheck: t\\.o is up to date: 1 dependenc(y|ies) written before it \\(newest d2, seq $s2 < $st\\)\$" \
    "--why, up to date, one dependency: the line"

# --newer
echo 1 >d1
echo o >t.o
echo 2 >d2
echo 3 >d3
expect_exit -m "--newer: stale" 1 depcheck --newer t.o d1 d2 d3
is "$(cat "$T_OUT")" $'d2\nd3' "--newer lists the newer dependencies"
expect_exit -m "-n: stale" 1 depcheck -n t.o d3 d1 d2
is "$(cat "$T_OUT")" $'d3\nd2' "-n lists them in command-line order"
expect_exit -m "--newer with a missing target" 1 depcheck --newer nosuch d1 d2
is "$(cat "$T_OUT")" $'d1\nd2' "--newer with a missing target lists every dependency"
echo nl >$'new\nline'
expect_exit -m "--newer -0" 1 depcheck --newer -0 t.o d1 d2 $'new\nline'
printf 'd2\0new\nline\0' >"$SCRATCH/want"
ok "-0 NUL-terminates the names, as given" cmp "$T_OUT" "$SCRATCH/want"
expect_exit -m "-0 -n" 1 depcheck -0 -n t.o d3
printf 'd3\0' >"$SCRATCH/want"
ok "-0 -n: one name, NUL-terminated" cmp "$T_OUT" "$SCRATCH/want"
echo o >t.o
expect_exit -m "--newer: up to date" 0 depcheck --newer t.o d1 d2 d3
is "$(wc -c <"$T_OUT")" 0 "--newer, up to date: prints nothing"
expect_fail -m "--newer with a missing dependency: error" \
    2 "depcheck: dependency 'nosuch.h' does not exist" \
    depcheck --newer t.o d1 nosuch.h

# --no-sync: answers from what the daemon has seen (after a synced check,
# everything).
expect_exit -m "--no-sync, up to date" 0 depcheck --no-sync t.o d1 d2 d3
echo 4 >d1
expect_exit -m "synced check after writing d1: stale" 1 depcheck t.o d1
expect_exit -m "--no-sync, stale" 1 depcheck --no-sync t.o d1 d2
expect_fail -m "--no-sync with a missing dependency: error" \
    2 "depcheck: dependency 'nosuch.h' does not exist" \
    depcheck --no-sync t.o nosuch.h
expect_exit -m "--no-sync --why --newer together" 1 \
    depcheck --no-sync --why --newer t.o d1 d2
is "$(cat "$T_OUT")" "d1" "--no-sync --newer: d1"
s1=$(seq_of d1)
st=$(seq_of t.o)
expect_stderr -m "--no-sync --why: d1's line" \
    "depcheck: t.o is stale: d1 written after it (seq $s1 > $st)"

done_testing
