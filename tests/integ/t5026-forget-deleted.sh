#!/usr/bin/env bash
# Area 5 (resources): records of deleted paths are bounded.  A tree of
# FILES files is written and deleted again (a build directory, a test's
# scratch files): the daemon keeps the records of the last 2048 or so
# deletions (daemon/prune.h) and forgets the rest, in memory and in the
# database: the record count comes back near where it was and stays there
# after a restart, and the daemon's heap (RssAnon) gives back what the
# tree took and does not grow when the tree comes and goes again.  What a forgotten
# path answers: missing (a target stale, a dependency an error), seq 0;
# created again, it gets a seq above everything before.
#	DEPCHECK_TEST_FORGET_FILES	files written and deleted (20000)
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

FILES=${DEPCHECK_TEST_FORGET_FILES:-20000}
KEEP=2048		# daemon/prune.h, PRUNE_KEEP

# The daemon's anonymous memory (heap), in kB.
rss_anon()
{
	awk '/^RssAnon:/ { print $2 }' "/proc/$(status_field pid)/status"
}

# write_tree: FILES files in directories of 100, and each file once
# rewritten, as a build's outputs are.
write_tree()
{
	python3 - "$FILES" <<'EOF_PY'
import os, sys

files = int(sys.argv[1])
for i in range(files):
    d = "gen/d%d" % (i // 100)
    if i % 100 == 0:
        os.makedirs(d)
    with open("%s/f%d.o" % (d, i), "w") as f:
        f.write("x\n")
EOF_PY
}

echo src >src.c
echo out >out.o
start_daemon
ok "a first sync" test -n "$(seq_of src.c)"
R0=$(status_field records)
A0=$(rss_anon)

write_tree
ok "the tree written is seen" test "$(seq_of gen/d0/f0.o)" -gt 0
R1=$(status_field records)
A1=$(rss_anon)
ok "every file has a record ($R0 before, $R1 after $FILES files)" \
    test "$R1" -ge $((R0 + FILES))

before=$(status_field seq)
rm -rf gen
expect_exit -m "a dependency deleted long ago is an error" 2 \
    depcheck out.o gen/d0/f0.o
R2=$(status_field records)
A2=$(rss_anon)
diag "records: $R0, $R1 with the tree, $R2 once it is deleted;" \
    "RssAnon $A0 kB, $A1 kB, $A2 kB"
ok "the records of all but the last deletions are forgotten ($R2 <= $R0 + 2 * $KEEP)" \
    test "$R2" -le $((R0 + 2 * KEEP))

# The same tree written and deleted once more: what the daemon keeps
# does not grow with every build directory that comes and goes.  (The
# heap does not come all the way back: the last deletions' records, the
# index's table sized for the tree, sqlite's page cache, and malloc's
# fragments stay; none of them grows with a second round.)
write_tree
rm -rf gen
expect_exit -m "a dependency deleted long ago is an error, again" 2 \
    depcheck out.o gen/d0/f0.o
R5=$(status_field records)
A5=$(rss_anon)
diag "a second round: $R5 records, RssAnon $A5 kB"
ok "a second round keeps no more records ($R5 <= $R0 + 2 * $KEEP)" \
    test "$R5" -le $((R0 + 2 * KEEP))
# ASan keeps freed memory in a quarantine and gives none back.
if grep -qa __asan_init "$DEPCHECK_BINDIR/depcheckd"; then
	skip "an ASan build gives no memory back"
else
	ok "the heap gives back what the tree took ($A2 kB; $A0, $A1 kB with the tree)" \
	    test "$A2" -lt "$A1"
	ok "a second round grows the heap by less than a quarter of a tree's ($A5 kB; $A2 kB after the first)" \
	    test $((A5 - A2)) -le $(((A1 - A0) / 4))
fi

# What the forgotten and the remembered answer.
run_cmd depcheck seq gen/d0/f0.o
like "$(cat "$T_OUT")" "^0 missing - gen/d0/f0.o\$" \
    "a path deleted long ago is missing, seq 0, as one never seen"
last=$((FILES - 1))
run_cmd depcheck seq "gen/d$((last / 100))/f$last.o"
like "$(cat "$T_OUT")" "^[0-9]+ missing [0-9TZ:.-]+ gen/" \
    "a path deleted last is missing, with the seq of its deletion"
ok "... which is above what came before" \
    test "$(cut -d ' ' -f 1 "$T_OUT")" -gt "$before"
expect_exit -m "a target deleted long ago is stale" 1 \
    depcheck gen/d0/f0.o src.c
mkdir -p gen/d0 && echo again >gen/d0/f0.o
ok "created again, it gets a seq above every earlier one" \
    test "$(seq_of gen/d0/f0.o)" -gt "$(seq_of "gen/d$((last / 100))/f$last.o")"
expect_exit -m "and counts as newer than src.c" 0 depcheck gen/d0/f0.o src.c

# The database forgot them too: a restart loads no more than before.
R3=$(status_field records)
run_cmd depcheck stop
is "$T_RC" 0 "depcheck stop"
start_daemon
R4=$(status_field records)
ok "after a restart as few records ($R4; $R3 before it)" \
    test "$R4" -le "$R3"
ok "the recreated file keeps its place" \
    test "$(seq_of gen/d0/f0.o)" -gt "$before"

done_testing
