#!/usr/bin/env bash
# Area 1 (check): paths are resolved like make resolves them: symlinks are
# followed, so a dependency reached through a symlink is its target file.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon

echo 1 >real.h
ln -s real.h link.h
echo o >t.o
expect_exit -m "a link to a file written before the target: up to date" \
    0 depcheck t.o link.h
echo 2 >real.h
expect_exit -m "writing the link's target makes the target stale" \
    1 depcheck t.o link.h
expect_exit -m "... as it does by its own name" 1 depcheck t.o real.h
echo o >t.o
expect_exit -m "target rewritten: up to date through the link" \
    0 depcheck t.o link.h

# A link to a directory, a chain of links.
mkdir -p inc/sys
echo 'typedef int x;' >inc/sys/types.h
ln -s inc/sys sys
ln -s link.h link2.h
echo o >t.o
expect_exit -m "through a directory link and a chain: up to date" \
    0 depcheck t.o sys/types.h link2.h
echo 'typedef long x;' >>inc/sys/types.h
expect_exit -m "a file written below a linked directory: stale" \
    1 depcheck t.o sys/types.h
echo o >t.o
echo 3 >real.h
expect_exit -m "the end of a chain of links written: stale" \
    1 depcheck t.o link2.h

# The target reached through a link.
ln -s t.o tl.o
expect_exit -m "a target reached through a link: stale" 1 depcheck tl.o link.h
echo o >t.o
expect_exit -m "the link's target rewritten: up to date" 0 depcheck tl.o link.h

# Dangling links are missing files.
ln -s nowhere.h dangling.h
expect_fail -m "a dangling link as a dependency does not exist" \
    2 "depcheck: dependency 'dangling.h' does not exist" \
    depcheck t.o dangling.h
ln -s nowhere.o dangling.o
expect_exit -m "a dangling link as a target: stale" 1 depcheck dangling.o real.h

# A link that leaves the root: the mtime rule decides.
other=$(make_tmpdir)
echo ext >"$other/ext.h"
ln -s "$other/ext.h" ext.h
touch -d @1600000000 t.o
touch -d @1600000001 "$other/ext.h"
expect_exit -m "a link out of the root to a newer file (by mtime): stale" \
    1 depcheck --json t.o ext.h
is "$(json_eval "$T_OUT" '[o["deps"][0]["rule"], o["deps"][0]["newer"]]')" \
    '["mtime", true]' "--json: the link out of the root is decided by mtime"
touch -d @1599999999 "$other/ext.h"
expect_exit -m "a link out of the root to an older file (by mtime): up to date" \
    0 depcheck t.o ext.h

done_testing
