#!/usr/bin/env bash
# Area 7 (make): the shared image for `depcheck exec` is made when exec
# first asks for it (an IMAGE request), not at every start, so a daemon
# that never serves exec does not carry it (issue 11, memory):
#  (a) after a start there is no image: no file, status "image: no";
#  (b) files written before the first exec are presented in write order:
#      a dependency written after its target with its mtime put back to
#      2001 is stale under exec (make -q exits 1), up to date for plain
#      make; then the image is there and status counts its entries;
#  (c) a recipe that restarts the daemon (stop, start): the new daemon
#      has no image until the preload library, syncing after it reaped
#      that recipe, asks for one; the same make then decides the next
#      rule by write order, with no fallback warning;
#  (d) an image a killed daemon left is removed by the next start;
#  (e) the image cannot be made (image.new is a directory): exec says so
#      in one line and runs CMD with real mtimes, --strict exits 2, and
#      status says "image: failed"; once the cause is gone, exec gets it;
#  (f) a directory replaced, while the daemon is stopped, by one moved in
#      (so a crawl, not an event, finds its files on new inodes): the
#      image keeps no entry for the old inodes.  Such an entry would
#      match a file that reuses the inode number, in the tree or outside
#      it, and present that file as newer than everything (seen in CI:
#      t7004's outside header, made stale).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v make >/dev/null 2>&1 || skip_all "no make"

# dx ARGS: depcheck exec ARGS, as run_cmd.
dx()
{
	run_cmd depcheck exec "$@"
}

# ---------------------------------------------------------- (a)
start_daemon
ok "(a) no image after a start" test ! -e .depcheck/image
is "$(status_field image)" "no" "(a) status: image: no"
is "$(status_field image_entries)" "0" "(a) status: image_entries: 0"

# ---------------------------------------------------------- (b)
cat >Makefile <<'EOF'
out: in
	cp in out
EOF
echo 1 >in
echo 1 >out
echo 2 >in
touch -d 2001-01-01 in
mk -q
is "$T_RC" 0 "(b) plain make -q exits 0 (in is dated 2001)"
dx -- make -q
is "$T_RC" 1 "(b) exec make -q exits 1: in was written after out"
ok "(b) the image is there now" test -f .depcheck/image
is "$(status_field image)" "yes" "(b) status: image: yes"
n=$(status_field image_entries)
ok "(b) image_entries counts the tree ($n >= 3)" test "${n:-0}" -ge 3
dx -- make
ok "(b) exec make rebuilt out" has_line "$T_OUT" "cp in out"
dx -- make -q
is "$T_RC" 0 "(b) then up to date"

# ---------------------------------------------------------- (c)
cat >Makefile <<'EOF'
all: restart out
restart:
	depcheck stop >/dev/null && depcheck start >/dev/null
out: in
	cp in out
.PHONY: all restart
EOF
echo 3 >in
touch -d 2001-01-01 in
old=$(status_field pid)
dx -- make
is "$T_RC" 0 "(c) exec make with a restarting recipe exits 0"
ok "(c) out was rebuilt after the restart" has_line "$T_OUT" "cp in out"
ok "(c) no fallback to real mtimes" not grep -q 'real mtimes' "$T_ERR"
new=$(status_field pid)
ok "(c) a new daemon serves the root ($old -> $new)" \
    test -n "$new" -a "$new" != "$old"
is "$(status_field image)" "yes" "(c) the new daemon made its image"
ok "(c) out has in's contents" cmp -s in out

# ---------------------------------------------------------- (d)
pid=$(status_field pid)
kill -9 "$pid"
wait_gone "$pid"
ok "(d) the killed daemon's image stays behind" test -f .depcheck/image
start_daemon
ok "(d) the next start removed it" test ! -e .depcheck/image
is "$(status_field image)" "no" "(d) status: image: no"

# ---------------------------------------------------------- (e)
mkdir .depcheck/image.new
echo 4 >in
touch -d 2001-01-01 in
dx -- make -q out
is "$T_RC" 0 "(e) make -q runs with real mtimes: exit 0"
is "$(grep -c . "$T_ERR")" 1 "(e) one line on stderr"
like "$(cat "$T_ERR")" "^depcheck: .*image\\.new.*Is a directory.*real mtimes" \
    "(e) it names the path and the cause"
dx --strict -- make -q out
is "$T_RC" 2 "(e) --strict: exit 2"
is "$(status_field image)" "failed" "(e) status: image: failed"
rmdir .depcheck/image.new
dx -- make -q out
is "$T_RC" 1 "(e) with image.new gone, exec decides by write order again"
is "$(grep -c . "$T_ERR")" 0 "(e) and says nothing"
is "$(status_field image)" "yes" "(e) status: image: yes"

# ---------------------------------------------------------- (f)
mkdir -p mv/sub
echo 1 >mv/sub/f
echo 1 >mv/g
dx -- true
is "$T_RC" 0 "(f) exec true"
before=$(status_field image_entries)
pid=$(status_field pid)
kill -STOP "$pid"
mkdir new new/sub
echo 2 >new/sub/f
echo 2 >new/g
rm -r mv
mv new mv
kill -CONT "$pid"
dx -- true
is "$T_RC" 0 "(f) exec true after the move"
is "$(status_field image_entries)" "$before" \
    "(f) image entries: as many as before (the old inodes' are gone)"

done_testing
