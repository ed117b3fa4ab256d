#!/usr/bin/env bash
# Area 5 (faults): too few inotify watches.  DEPCHECKD_MAX_WATCHES (a
# testing aid of the daemon) makes inotify_add_watch fail with ENOSPC
# after N directories.  The start says so once, loudly, naming the
# sysctl; status counts the unwatched directories; files there are
# decided by mtime (equal counts as stale).  When deleted directories
# free their watches the daemon watches the rest (after a short retry
# delay and a rescan), and files there are decided by seq again.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

DIRS="d1 d2 d3 d4 d5 d6"
CAP=5		# watches for the root and 4 of the 6 directories

for d in $DIRS; do
	mkdir "$d"
	echo "$d" >"$d/f"
done
echo t >tgt

DEPCHECKD_MAX_WATCHES=$CAP start_daemon
cp "$T_ERR" "$SCRATCH/start.err"
loud="^depcheckd: cannot watch '[^']*': No space left on device"
loud+=" (raise fs\\.inotify\\.max_user_watches); mtime rules apply"
ok "depcheck start says it cannot watch, naming the sysctl" \
    grep -q "$loud" "$SCRATCH/start.err" ||
    diag_file "stderr of depcheck start" "$SCRATCH/start.err"
is "$(grep -c "cannot watch" "$SCRATCH/start.err")" 1 \
    "once, for several directories"
ok "the log says it too" \
    grep -q "cannot watch '[^']*': No space left on device (raise fs\\.inotify\\.max_user_watches)" \
    "$ROOT/.depcheck/depcheckd.log"

unw=$(status_field unwatched)
diag "status: watches $(status_field watches), unwatched $unw"
ok "status unwatched ($unw) > 0" test "${unw:-0}" -gt 0

# Which directories are watched: seq says "unwatched" for their files.
run_cmd depcheck seq d1/f d2/f d3/f d4/f d5/f d6/f
cp "$T_OUT" "$SCRATCH/seq"
diag_file "depcheck seq" "$SCRATCH/seq"
unwatched=$(awk '$2 == "unwatched" { sub("/f$", "", $4); print $4 }' \
    "$SCRATCH/seq")
watched=$(awk '$2 == "exists" || $2 == "first-sight" { sub("/f$", "", $4); print $4 }' \
    "$SCRATCH/seq")
is "$(printf '%s\n' "$unwatched" | grep -c .)" "$unw" \
    "as many files in unwatched directories as status counts"
u=$(printf '%s\n' "$unwatched" | head -n 1)
w=$(printf '%s\n' "$watched" | head -n 1)
if [ -z "$u" ] || [ -z "$w" ]; then
	give_up "need a watched and an unwatched directory (got '$w', '$u')"
fi
diag "watched:" "$watched" "unwatched:" "$unwatched"

# In the unwatched directory: mtime rules.
echo new >"$u/dep"
touch -d @1700000000.123456789 tgt
touch -r tgt "$u/dep"
expect_fail -m "unwatched, equal mtime: stale by mtime" 1 \
    "depcheck: tgt is stale: $u/dep not older by mtime (1700000000.123456789 >= 1700000000.123456789)" \
    depcheck --why tgt "$u/dep"
expect_exit -m "unwatched, equal mtime, --json" 1 depcheck --json tgt "$u/dep"
is "$(json_eval "$T_OUT" 'o["deps"][0]["rule"]')" mtime \
    "unwatched: --json rule of the dependency is mtime"
echo old >"$u/old"
touch -d '2001-01-01' "$u/old"
expect_fail -m "unwatched, older mtime: up to date by mtime" 0 \
    "depcheck: tgt is up to date: 1 dependency older by mtime (newest $u/old)" \
    depcheck --why tgt "$u/old"
# For contrast, a watched directory: equal mtime, written before: seq.
echo new >"$w/dep"
echo t >tgt
touch -r "$w/dep" tgt
expect_exit -m "watched, equal mtime, written before the target: up to date" \
    0 depcheck --json tgt "$w/dep"
is "$(json_eval "$T_OUT" 'o["deps"][0]["rule"]')" seq \
    "watched: --json rule of the dependency is seq"
touch -r tgt "$u/dep"

# Free watches: delete as many watched directories as there are
# unwatched ones (not the one used above).  The daemon retries after a
# delay of its own (~200 ms), asynchronously, with a rescan: nothing a
# check can sync on, so poll status (at most 200 times, 20 ms apart).
n=0
for d in $watched; do
	[ "$n" -ge "$unw" ] && break
	[ "$d" = "$w" ] && continue
	rm -rf "$d"
	n=$((n + 1))
done
if [ "$n" -lt "$unw" ]; then
	rm -rf "$w"
	n=$((n + 1))
fi
diag "deleted $n watched directories"
t0=${EPOCHREALTIME/./}
for ((i = 1; i <= 200; i++)); do
	v=$(status_field unwatched)
	[ "$v" = 0 ] && break
	sleep 0.02
done
t1=${EPOCHREALTIME/./}
diag "unwatched $v after $i status calls, $(((t1 - t0) / 1000)) ms"
is "$v" 0 "status unwatched drops to 0 once watches are free" ||
    diag_log
is "$(depcheck_nowrap seq "$u/dep" | cut -d ' ' -f 2)" exists \
    "seq: the file in '$u' is watched now"

expect_exit -m "now watched, equal mtime, unobserved write: stale by seq" \
    1 depcheck --json tgt "$u/dep"
is "$(json_eval "$T_OUT" 'o["deps"][0]["rule"]')" seq \
    "now watched: --json rule of the dependency is seq"
echo t >tgt
touch -r "$u/dep" tgt
expect_exit -m "now watched, target rewritten (equal mtime): up to date" \
    0 depcheck --json tgt "$u/dep" "$u/old"
is "$(json_eval "$T_OUT" '" ".join(d["rule"] for d in o["deps"])')" "seq seq" \
    "now watched: --json rules seq"
echo new >"$u/dep"
touch -d '2001-01-01' "$u/dep"
expect_exit -m "now watched, dependency rewritten, dated back: stale" \
    1 depcheck --json tgt "$u/dep"
is "$(json_eval "$T_OUT" 'o["deps"][0]["rule"]')" seq \
    "now watched: --json rule seq"

done_testing
