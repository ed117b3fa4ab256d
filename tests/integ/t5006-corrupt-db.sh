#!/usr/bin/env bash
# Area 5 (faults): a damaged database.  With the daemon stopped, state.db
# gets garbage over its middle, is cut to half its size, has the root
# page of the history's index overwritten (a page the start never reads:
# only sqlite's integrity check finds it, in a thread beside the load and
# the first crawl, so the start learns it after that crawl and begins
# again), or is emptied to 0 bytes.  `depcheck start` must still succeed,
# say on stderr (one line) what happened, move a damaged file aside
# (state.db.corrupt-*), report it in status (database_recovered),
# rebuild by a crawl so that checks answer right, and keep seqs rising
# (ROOT/.depcheck/seq).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

DB=$ROOT/.depcheck/state.db

# corrupt HOW: damage the (stopped) daemon's database.
corrupt()
{
	local size page psize

	size=$(stat -c %s "$DB")
	case $1 in
	garbage)
		# 0xff over the middle half, whole pages (4 KiB): every b-tree
		# page there gets an invalid page type.
		head -c "$((size / 2))" /dev/zero | tr '\0' '\377' |
		    dd of="$DB" bs=4096 seek="$((size / 4 / 4096))" \
		    conv=notrunc status=none
		;;
	half)
		truncate -s "$((size / 2))" "$DB"
		;;
	index)
		# Read only: the stopped daemon left no WAL to replay.
		page=$(python3 -c 'import sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
print(c.execute("PRAGMA page_size").fetchone()[0],
    c.execute("SELECT rootpage FROM sqlite_master WHERE name = ?",
    ("history_seq",)).fetchone()[0])' "$DB") ||
		    give_up "cannot find the history index's page in '$DB'"
		read -r psize page <<<"$page"
		head -c "$psize" /dev/zero | tr '\0' '\377' |
		    dd of="$DB" bs="$psize" seek="$((page - 1))" \
		    conv=notrunc status=none
		;;
	empty)
		: >"$DB"
		;;
	esac
	diag "$1: state.db of $size bytes now $(stat -c %s "$DB") bytes"
}

# The number of state.db.corrupt-* files.
asides()
{
	local n=0 f

	for f in "$DB".corrupt-*; do
		case $f in
		*-wal|*-shm)	;;
		*)	[ -e "$f" ] && n=$((n + 1)) ;;
		esac
	done
	printf '%d' "$n"
}

start_daemon
mkdir -p src/sub
for i in $(seq 1 300); do
	echo "$i" >"src/f$i.c"
	echo "$i" >"src/sub/g$i.h"
done
echo t >tgt
expect_exit -m "first check" 0 depcheck tgt src/f1.c src/sub/g300.h

for how in garbage half index empty; do
	echo "t $how" >tgt
	echo "d $how" >dep			# dep newer than tgt
	expect_exit -m "$how: dependency newer (before the stop)" \
	    1 depcheck tgt dep
	before=$(status_field seq)
	expect_exit -m "$how: depcheck stop" 0 depcheck stop
	n0=$(asides)
	corrupt "$how"

	run_cmd depcheck start
	if [ "$T_RC" -ne 0 ]; then
		fail "$how: depcheck start exits 0 (got $T_RC)"
		diag_last
		give_up "no daemon after the damage ($how)"
	fi
	pass "$how: depcheck start exits 0"
	cp "$T_ERR" "$SCRATCH/start.err"
	ok "$how: start says on stderr what happened to the database" \
	    grep -q "^depcheckd: .*database '$DB'" "$SCRATCH/start.err" ||
	    diag_file "stderr of depcheck start" "$SCRATCH/start.err"
	is "$(nlines "$SCRATCH/start.err")" 1 \
	    "$how: one line on the stderr of depcheck start" ||
	    diag_file "stderr of depcheck start" "$SCRATCH/start.err"
	if [ "$how" != empty ]; then
		n1=$(asides)
		is "$n1" "$((n0 + 1))" \
		    "$how: the damaged file moved aside (state.db.corrupt-*)"
		ok "$how: start's stderr names the file it moved aside" \
		    grep -q "moved to '$DB\.corrupt-[0-9]\{8\}T[0-9]\{6\}Z" \
		    "$SCRATCH/start.err"
	fi

	run_cmd depcheck status
	cp "$T_OUT" "$SCRATCH/status"
	rec=$(sed -n 's/^database_recovered: //p' "$SCRATCH/status")
	case $how in
	empty)	like "$rec" "'$DB' was missing or empty" \
		    "$how: status database_recovered says so" ;;
	*)	like "$rec" "'$DB.*moved to '$DB\\.corrupt-" \
		    "$how: status database_recovered says so" ;;
	esac
	ok "$how: every line of status is 'key: value'" \
	    not grep -qv '^[a-z_]*: ' "$SCRATCH/status" ||
	    diag_file "status" "$SCRATCH/status"
	is "$(status_field database_ok)" yes "$how: status database_ok yes"

	expect_exit -m "$how: after the rebuild, dependency newer: stale" \
	    1 depcheck tgt dep
	run_cmd depcheck seq src/f1.c src/sub/g300.h
	like "$(cut -d ' ' -f 2,4 "$T_OUT" | tr '\n' ' ')" \
	    '^first-sight src/f1.c first-sight src/sub/g300.h $' \
	    "$how: after the rebuild, files of the crawl are recorded" ||
	    diag_last
	# The rebuild's crawl left nothing out: every entry recorded, every
	# directory watched (and the daemon's cookie directory).
	is "$(status_field records)" \
	    "$(find . -path ./.depcheck -prune -o -print | wc -l)" \
	    "$how: after the rebuild, every entry of the tree is recorded"
	is "$(status_field watches)" \
	    "$(($(find . -path ./.depcheck -prune -o -type d -print | wc -l) + 1))" \
	    "$how: after the rebuild, every directory is watched"
	echo "t $how again" >tgt
	expect_exit -m "$how: after the rebuild, target rewritten: up to date" \
	    0 depcheck tgt dep src/f1.c src/sub/g300.h
	after=$(status_field seq)
	s=$(seq_of tgt)
	ok "$how: seqs keep rising (status seq $before before, $after after)" \
	    test "${after:-0}" -gt "${before:-0}"
	ok "$how: target's seq ($s) above the last before the damage ($before)" \
	    test "${s:-0}" -gt "${before:-0}"
done

done_testing
