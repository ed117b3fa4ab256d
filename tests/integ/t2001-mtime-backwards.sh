#!/usr/bin/env bash
# Area 2 (watch): a write is anything after which content or mtime may
# differ, whatever mtime it leaves: touch, touch -d into the past, mv of an
# older file over a dependency (from inside or outside the root), cp -p,
# tar x, rsync -t.  Changing only the atime or the mode is not a write.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon
out=$(make_tmpdir)

# fresh WHAT: dep.h written, then t.o: up to date.
fresh()
{
	echo "$RANDOM" >dep.h
	echo o >t.o
	expect_exit -m "before $1: up to date" 0 depcheck t.o dep.h
}

fresh "touch"
touch dep.h
expect_exit -m "touch of an existing dependency: stale" 1 depcheck t.o dep.h

fresh "touch -d (the past)"
touch -d 2001-01-01 dep.h
expect_exit -m "touch -d 2001-01-01 of the dependency: stale" \
    1 depcheck t.o dep.h

fresh "touch -r (the target's mtime)"
touch -r t.o dep.h
expect_exit -m "touch -r t.o dep.h: stale" 1 depcheck t.o dep.h

# mv within the root: old.h is written (and dated 2001) before t.o.
echo old >old.h
touch -d 2001-01-01 old.h
fresh "mv within the root"
mv old.h dep.h
is "$(stat -c %Y dep.h)" "$(date -d 2001-01-01 +%s)" "setup: dep.h is dated 2001 after mv"
expect_exit -m "mv of an older-dated file over the dependency: stale" \
    1 depcheck t.o dep.h

# mv from outside the root (the same file system: a rename).
echo old >"$out/old.h"
touch -d 2001-01-01 "$out/old.h"
fresh "mv from outside"
mv "$out/old.h" dep.h
expect_exit -m "mv of an older-dated file from outside the root: stale" \
    1 depcheck t.o dep.h

# cp -p of an older-dated file.
echo old >"$out/cp.h"
touch -d 2001-01-01 "$out/cp.h"
fresh "cp -p"
cp -p "$out/cp.h" dep.h
is "$(stat -c %Y dep.h)" "$(date -d 2001-01-01 +%s)" "setup: cp -p kept the 2001 mtime"
expect_exit -m "cp -p of an older-dated file over the dependency: stale" \
    1 depcheck t.o dep.h

# tar x of an older-dated file.
(cd "$out" && echo tarred >dep.h && touch -d 2001-01-01 dep.h &&
    tar cf dep.tar dep.h) || exit 1
fresh "tar x"
tar xf "$out/dep.tar"
is "$(stat -c %Y dep.h)" "$(date -d 2001-01-01 +%s)" "setup: tar x kept the 2001 mtime"
if command -v make >/dev/null; then
	printf 't.o: dep.h\n\t@echo rebuild\n' >"$out/Makefile"
	expect_exit -m "setup: make -q thinks t.o is up to date after tar x" \
	    0 make -q -f "$out/Makefile" t.o
else
	skip "make is not installed"
fi
expect_exit -m "tar x of an older-dated file over the dependency: stale" \
    1 depcheck t.o dep.h

# rsync -t of an older-dated file.
if command -v rsync >/dev/null; then
	echo synced >"$out/rs.h"
	touch -d 2001-01-01 "$out/rs.h"
	fresh "rsync -t"
	rsync -t "$out/rs.h" dep.h
	expect_exit -m "rsync -t of an older-dated file over the dependency: stale" \
	    1 depcheck t.o dep.h
else
	skip "rsync is not installed" 2
fi

# Not writes: the atime, the mode (IN_ATTRIB with the mtime unchanged).
# (touch -a opens the file for writing: IN_CLOSE_WRITE, a write.)
fresh "utime of the atime alone"
python3 -c 'import os, sys; st = os.stat(sys.argv[1]); os.utime(sys.argv[1], ns=(1893456000 * 10**9, st.st_mtime_ns))' dep.h
expect_exit -m "utime setting only the atime is not a write: still up to date" \
    0 depcheck t.o dep.h
fresh "chmod"
chmod 600 dep.h
expect_exit -m "chmod is not a write: still up to date" \
    0 depcheck t.o dep.h

# Rewriting the target with an old mtime still makes it the last written.
echo "$RANDOM" >dep.h
echo o >t.o
touch -d 2001-01-01 t.o
expect_exit -m "a target written last but dated 2001: up to date" \
    0 depcheck t.o dep.h

done_testing
