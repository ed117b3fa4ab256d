#!/usr/bin/env bash
# Area 5 (faults): a remote file system inside the root, where inotify
# cannot see other hosts' writes.  DEPCHECKD_TEST_REMOTE_FSTYPE (a testing
# aid of the daemon) makes a tmpfs count as remote (0x01021994 is the
# tmpfs magic).  The start warns, status counts it, and every answer
# about a path in there is decided by mtime (equal counts as stale);
# paths outside it are still decided by seq.  Needs root (mount).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

TMPFS_MAGIC=0x01021994

[ "$(id -u)" -eq 0 ] || skip_all "needs root to mount a tmpfs (uid $(id -u))"
[ "$((0x$(stat -f -c %t "$ROOT")))" -ne "$((TMPFS_MAGIC))" ] ||
    skip_all "the root is on a tmpfs itself (TMPDIR): all of it would be remote"
mkdir nfs
mount -t tmpfs -o size=1m depcheck-remote "$ROOT/nfs" 2>"$T_ERR" ||
    skip_all "cannot mount a tmpfs: $(head -n 1 "$T_ERR")"

# Stop the daemon (it has the mount point open) before unmounting.
unmount_nfs()
{
	depcheck_nowrap stop "$ROOT" >/dev/null 2>&1
	umount "$ROOT/nfs" 2>/dev/null || umount -l "$ROOT/nfs"
}
at_exit unmount_nfs

mkdir nfs/sub loc
echo a >nfs/a
echo b >nfs/sub/b
echo d >loc/d
echo c >c

DEPCHECKD_TEST_REMOTE_FSTYPE=$TMPFS_MAGIC start_daemon
cp "$T_ERR" "$SCRATCH/start.err"
ok "start warns: '$ROOT/nfs' is on a remote file system" \
    grep -q "^depcheckd: '$ROOT/nfs' is on a remote .*file system" \
    "$SCRATCH/start.err" ||
    diag_file "stderr of depcheck start" "$SCRATCH/start.err"
is "$(nlines "$SCRATCH/start.err")" 1 "one line on the stderr of start" ||
    diag_file "stderr of depcheck start" "$SCRATCH/start.err"
ok "the log has the warning" \
    grep -q "'$ROOT/nfs' is on a remote .*file system" \
    "$ROOT/.depcheck/depcheckd.log"
r=$(status_field remote)
ok "status remote ($r) >= 1" test "${r:-0}" -ge 1

# json_rules: the rule of the target and of each dependency, of the
# last --json run.
json_rules()
{
	json_eval "$T_OUT" \
	    'o["rule"] + ": " + " ".join(d["rule"] for d in o["deps"])'
}

# In there: mtime.
touch -d @1700000000.5 c
touch -r c nfs/a
expect_fail -m "remote dependency, equal mtime: stale by mtime" 1 \
    "depcheck: c is stale: nfs/a not older by mtime (1700000000.500000000 >= 1700000000.500000000)" \
    depcheck --why c nfs/a
expect_exit -m "remote dependency, equal mtime, --json" \
    1 depcheck --json c nfs/a
is "$(json_eval "$T_OUT" 'o["deps"][0]["rule"]')" mtime \
    "remote dependency: --json rule mtime"
touch -d @1600000000 nfs/sub/b
expect_exit -m "remote dependency (a subdirectory), older mtime: up to date" \
    0 depcheck --json c nfs/sub/b
is "$(json_eval "$T_OUT" 'o["deps"][0]["rule"]')" mtime \
    "remote dependency (a subdirectory): --json rule mtime"
# Written after the start, in a new directory there.
mkdir nfs/new
echo x >nfs/new/x
touch -r c nfs/new/x
expect_exit -m "remote dependency in a new directory, equal mtime: stale" \
    1 depcheck --json c nfs/new/x
is "$(json_eval "$T_OUT" 'o["deps"][0]["rule"]')" mtime \
    "remote dependency in a new directory: --json rule mtime"
# A remote target, a local dependency written before it with the same
# mtime: nobody can vouch for the order, so stale by mtime.
echo t >nfs/t
touch -r nfs/t loc/d
expect_exit -m "remote target, local dependency, equal mtime: stale" \
    1 depcheck --json nfs/t loc/d
is "$(json_eval "$T_OUT" 'o["rule"]')" mtime "remote target: --json rule mtime"
touch -d @1600000000 loc/d
expect_exit -m "remote target, local dependency, older mtime: up to date" \
    0 depcheck nfs/t loc/d

# Outside it: seq.
echo d >loc/d
echo c >c
touch -r c loc/d
expect_exit -m "local, equal mtime, dependency written after: stale by seq" \
    1 depcheck --json c loc/d
is "$(json_rules)" "seq: seq" "local: --json rules seq"
echo c >c
touch -r c loc/d
touch -r loc/d c
expect_exit -m "local, equal mtime, target written after: up to date by seq" \
    0 depcheck --json c loc/d
is "$(json_rules)" "seq: seq" "local: --json rules seq"
echo d >loc/d
touch -d @1600000000 loc/d
expect_exit -m "local, dependency dated back after the target: stale by seq" \
    1 depcheck c loc/d
# Mixed: one local, one remote dependency.
echo c >c
expect_exit -m "mixed dependencies, both older: up to date" \
    0 depcheck --json c loc/d nfs/sub/b
is "$(json_rules)" "seq: seq mtime" "mixed: --json rules seq and mtime"

done_testing
