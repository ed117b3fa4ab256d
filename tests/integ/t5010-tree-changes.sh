#!/usr/bin/env bash
# Area 5 (faults): the tree changes shape under the daemon.  A watched
# directory removed (IN_IGNORED) and made again with new files; a
# directory replaced by a file of the same name, and back; a directory
# moved out of the root and back in, changed while away; a symlink to a
# directory inside the root, recorded but not followed by the crawl,
# while a check through it gets the real file.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# sync: let the daemon see (and crawl) what was just made, before a
# target is written: a crawl in the same clock tick as the target's
# write could not tell their order and would rightly say "stale".
sync()
{
	depcheck_nowrap seq tgt >/dev/null 2>&1
}

start_daemon

# 1. rmdir of a watched directory, made again with new files.
mkdir d
echo 1 >d/x
sync
echo t >tgt
expect_exit -m "rmdir: before, up to date" 0 depcheck tgt d/x
rm d/x
rmdir d
expect_fail -m "rmdir: the file is gone" \
    2 "depcheck: dependency 'd/x' does not exist" depcheck tgt d/x
mkdir d
echo 2 >d/x
echo 2 >d/y
expect_exit -m "rmdir: made again, its files are newer than the target" \
    1 depcheck tgt d/x d/y
echo t >tgt
expect_exit -m "rmdir: target rewritten: up to date" 0 depcheck tgt d/x d/y
echo 3 >>d/y
expect_exit -m "rmdir: the new directory is watched (a write there seen)" \
    1 depcheck tgt d/y
# Again and again, with no check in between: the IN_IGNORED of the old
# watch may come after the new directory is there.
wrong=0
for i in $(seq 1 20); do
	echo t >tgt
	run_cmd depcheck tgt d/x d/y
	[ "$T_RC" -eq 0 ] || { wrong=$((wrong + 1)); diag_last; }
	rm -r d
	mkdir d
	echo "$i" >d/x
	echo "$i" >d/y
	run_cmd depcheck tgt d/x d/y
	[ "$T_RC" -eq 1 ] || { wrong=$((wrong + 1)); diag_last; }
	echo t >tgt
	echo "$i" >>d/y
	run_cmd depcheck tgt d/y
	[ "$T_RC" -eq 1 ] || { wrong=$((wrong + 1)); diag_last; }
done
is "$wrong" 0 "rmdir: 20 rounds of rm -r and mkdir: $wrong wrong answers"
unw=$(status_field unwatched)
is "$unw" 0 "rmdir: status unwatched 0"
ok "rmdir: no lost watch in the log" \
    not grep -q 'lost the watch' "$ROOT/.depcheck/depcheckd.log"
# The same while the daemon is stopped (SIGSTOP): when it reads the old
# watch's IN_IGNORED, the new directory is there already and its
# IN_CREATE is still queued behind: no watch was lost, and no event
# either, so there is nothing to rescan.
PID=$(status_field pid)
resume()
{
	[ -n "$PID" ] && kill -CONT "$PID" 2>/dev/null
	return 0
}
at_exit resume
echo t >tgt
expect_exit -m "rmdir while stopped: before, up to date" 0 depcheck tgt d/x
rescans=$(status_field rescans)
kill -STOP "$PID"
rm -r d
mkdir d
echo new >d/x
kill -CONT "$PID"
expect_exit -m "rmdir while stopped: made again, newer" 1 depcheck tgt d/x
is "$(status_field rescans)" "$rescans" \
    "rmdir while stopped: no rescan (status rescans)"
ok "rmdir while stopped: no lost watch in the log" \
    not grep -q 'lost the watch' "$ROOT/.depcheck/depcheckd.log"
echo t >tgt
echo new >>d/x
expect_exit -m "rmdir while stopped: the new directory is watched" \
    1 depcheck tgt d/x

# 2. A directory replaced by a file of the same name, and back.
mkdir e
echo 1 >e/x
sync
echo t >tgt
expect_exit -m "dir to file: before, up to date" 0 depcheck tgt e/x
rm -r e
echo file >e
expect_exit -m "dir to file: the file is newer than the target" \
    1 depcheck tgt e
expect_fail -m "dir to file: the old file below it is gone" \
    2 "depcheck: dependency 'e/x' does not exist" depcheck tgt e/x
echo t >tgt
expect_exit -m "dir to file: target rewritten: up to date" 0 depcheck tgt e
rm e
mkdir e
echo 2 >e/x
expect_exit -m "file to dir: the file below is newer than the target" \
    1 depcheck tgt e/x
expect_exit -m "file to dir: as a dependency, the directory is newer too" \
    1 depcheck tgt e
echo t >tgt
expect_exit -m "file to dir: target rewritten: up to date" 0 depcheck tgt e/x
echo 3 >e/y
expect_exit -m "file to dir: the directory is watched (a new file seen)" \
    1 depcheck tgt e/y

# 3. A directory moved out of the root (changed while away), and back.
out=$(make_tmpdir)
mkdir -p m/sub
echo 1 >m/x
echo 1 >m/sub/y
echo 1 >m/sub/z
sync
echo t >tgt
expect_exit -m "move out: before, up to date" 0 depcheck tgt m/x m/sub/y m/sub/z
mv m "$out/m"
expect_fail -m "move out: its files are gone" \
    2 "depcheck: dependency 'm/sub/y' does not exist" depcheck tgt m/sub/y
echo t >tgt
echo 2 >"$out/m/sub/y"
touch -d 2001-01-01 "$out/m/sub/y"		# changed while away, dated back
touch -d 2001-01-01 "$out/m/x" "$out/m/sub/z"	# only dated back
mv "$out/m" m
expect_exit -m "move back in: a file changed while away is newer" \
    1 depcheck tgt m/sub/y
expect_exit -m "move back in: an unchanged, older file is newer too" \
    1 depcheck tgt m/x
expect_exit -m "move back in: and one below" 1 depcheck tgt m/sub/z
echo t >tgt
expect_exit -m "move back in: target rewritten: up to date" \
    0 depcheck tgt m/x m/sub/y m/sub/z
echo new >m/sub/new
expect_exit -m "move back in: the subdirectory is watched (a new file seen)" \
    1 depcheck tgt m/sub/new

# 4. A symlink to a directory inside the root: recorded, not followed.
rb=$(status_field records)
depcheck_nowrap stop >/dev/null
mkdir real
for i in $(seq 1 100); do
	echo "$i" >"real/f$i"
done
ln -s real link
ln -s ../real real/loop			# a loop, for a crawl that follows
start_daemon
r0=$(status_field records)
diag "records: $rb before, $r0 after the crawl of 100 files and 2 links"
is "$r0" "$((rb + 103))" \
    "symlink: the crawl recorded the links and did not follow them"
ln -s real link2
sync
r1=$(status_field records)
is "$r1" "$((r0 + 1))" "symlink: a new link adds one record, not a tree"
echo t >tgt
expect_exit -m "symlink: through the link, up to date" \
    0 depcheck tgt link/f1 link2/f2 link/loop/f3
echo 2 >real/f1
expect_exit -m "symlink: the real file written: stale through the link" \
    1 depcheck tgt link/f1
expect_exit -m "symlink: through the link, --json" 1 depcheck --json tgt link/f1
is "$(json_eval "$T_OUT" 'o["deps"][0]["seq"]')" "$(seq_of real/f1)" \
    "symlink: the dependency's seq is the real file's"
echo t >tgt
expect_exit -m "symlink: target rewritten: up to date through the link" \
    0 depcheck tgt link/f1 link/loop/loop/f1
echo t >link/f5
expect_exit -m "symlink: a target through the link, written last: up to date" \
    0 depcheck link/f5 tgt real/f1
is "$(seq_of link/f5)" "$(seq_of real/f5)" \
    "symlink: seq through the link is the real file's"

done_testing
