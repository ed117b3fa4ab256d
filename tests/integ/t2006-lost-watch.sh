#!/usr/bin/env bash
# Area 2 (watch): a watch the kernel drops while its directory stays (a
# file system unmounted inside the root leaves its mount point, which
# nobody watches) is a lost watch: the daemon rescans, and writes in that
# directory afterwards are seen.  Counted as a rescan, not an overflow.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip_all "mounting a tmpfs needs root"
mkdir m
mount -t tmpfs -o size=1m tmpfs m 2>/dev/null ||
    skip_all "mount -t tmpfs refused here"
at_exit eval "mountpoint -q '$ROOT/m' && umount '$ROOT/m'"

start_daemon
echo inside >m/f
echo t >tgt
expect_exit -m "before: a file in the mounted file system, older" \
    0 depcheck tgt m/f
umount m
echo x >m/new
expect_exit -m "after the unmount, a file in the mount point is seen" \
    1 depcheck tgt m/new
is "$(status_field overflows)" 0 "no overflow counted"
ok "one rescan" test "$(status_field rescans)" -ge 1
like "$(cat .depcheck/depcheckd.log)" "lost the watch on 'm'" \
    "the log names the lost watch"
echo t2 >tgt
expect_exit -m "target rewritten: up to date" 0 depcheck tgt m/new
echo y >>m/new
expect_exit -m "the mount point is watched again" 1 depcheck tgt m/new

done_testing
