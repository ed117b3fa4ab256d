#!/usr/bin/env bash
# `make demo`: the kernel's autoksyms race, fixed.  Installs what the build
# needs when it can, builds depcheck, then runs contrib/examples/autoksyms
# 20 times with plain make, 20 times with depcheck.mk and 20 times with
# the Makefile unmodified under `depcheck exec -- make`, on a real 1-second
# file system (ext4 with 128-byte inodes on a loop device) where root and
# a loop device allow it, otherwise with the equal mtimes forced (it says
# which).  Ends with a one-line verdict; leaves nothing running or mounted
# (trap on EXIT).
#
#	contrib/demo.sh [TRIALS]
#
# Exit status: 0 when every depcheck build (depcheck.mk or exec) linked,
# 1 when one did not, 2 when the demo could not run.

set -eu

REPO=$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TRIALS=${1:-20}

say()
{
	printf '%s\n' "$*"
}

die()
{
	printf 'demo: %s\n' "$*" >&2
	exit 2
}

# The demo's makes run as a user would type them: nothing inherited from
# the outer make (make demo) or a depcheck set-up of the caller's.
for _v in $(compgen -v DEPCHECK) MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES \
    DEPCHECKD KSYMS_SAME_MTIME_AS; do
	unset "$_v"
done
unset _v

# 1. What the build needs (.ci/packages): installed as root with apt-get,
# else one line with the command to run.  Under make demo the Makefile
# has done this already, and this finds nothing missing.
"$REPO/.ci/need-packages" demo || exit 2
make -s -C "$REPO" all || die "the build failed"
PATH=$REPO/build/bin:$PATH
export PATH

WORK=$(mktemp -d "${TMPDIR:-/tmp}/depcheck-demo.XXXXXX")
MNT=
cleanup()
{
	set +e
	cd /
	[ -d "$WORK/tree/.depcheck" ] && depcheck stop "$WORK/tree" \
	    >/dev/null 2>&1
	[ -n "$MNT" ] && umount "$MNT" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 2' INT TERM HUP

# 2. A file system with 1-second timestamps, if this machine lets us.
mode=
if [ "$(id -u)" = 0 ] && command -v mkfs.ext4 >/dev/null &&
    truncate -s 64M "$WORK/ext4.img" 2>/dev/null &&
    mkfs.ext4 -q -F -I 128 "$WORK/ext4.img" >/dev/null 2>&1 &&
    mkdir "$WORK/mnt" && mount -o loop "$WORK/ext4.img" "$WORK/mnt" \
    2>/dev/null; then
	MNT=$WORK/mnt
	mkdir "$MNT/tree"
	ln -s "$MNT/tree" "$WORK/tree"
	# Other work between the object and adjust_ksyms.sh, as in the
	# kernel: whether they share a second is then up to chance.
	export KSYMS_OTHER_WORK_MS=1000
	mode="a loop-mounted ext4 with 128-byte inodes (1-second timestamps),
with 0-1 s of other work between lib.o and the header, as in the kernel"
else
	mkdir "$WORK/tree"
	export KSYMS_SAME_MTIME_AS=lib.o
	mode="this machine's file system, with the same-second race forced:
adjust_ksyms.sh gives its header lib.o's mtime (touch -r), as a 1-second
file system would (no loop mount here: needs root and a loop device)"
fi
TREE=$(cd -P "$WORK/tree" && pwd)
cp "$REPO"/contrib/examples/autoksyms/* "$TREE"/
cp "$REPO/contrib/make/depcheck.mk" "$TREE"/
cd "$TREE"

cat <<EOT
The kernel's autoksyms race (2018), in miniature: make builds lib.o, then
adjust_ksyms.sh rewrites ksym/put_user_2.h -- which lib.o depends on --
in the same second, then make runs again to rebuild what changed, then
links.  When lib.o and the header carry the same mtime, make keeps the
stale lib.o and the link fails: "undefined reference to put_user_2".

Running on $mode.
$TRIALS builds with plain make, then $TRIALS with depcheck.mk (the same
Makefile, with USE_DEPCHECK=1: two words per rule), then $TRIALS with the
Makefile unmodified, under \`depcheck exec -- make\` (make's own stat()
sees write order).

EOT

# 3. The trials.  A build "linked a stale object" when its link failed or
# its program did not run.
#	trial MAKE [ARG...]: one build from clean, MAKE being make or
#	depcheck exec -- make
trial()
{
	make -s clean >/dev/null 2>&1
	if "$@" --no-print-directory -s >"$WORK/out" 2>&1 && ./prog; then
		return 0
	fi
	return 1
}

plain=0
dep=0
exe=0
start=$(date +%s)
# progress NAME DONE BAD: one line, redrawn in place on a terminal.
progress()
{
	if [ -t 1 ]; then
		printf '\r  %-15s %2d/%d builds done, %2d linked a stale object' \
		    "$1" "$2" "$TRIALS" "$3"
		[ "$2" -lt "$TRIALS" ] || printf '\n'
	elif [ "$2" -eq "$TRIALS" ]; then
		printf '  %-15s %2d/%d builds done, %2d linked a stale object\n' \
		    "$1" "$2" "$TRIALS" "$3"
	fi
}

for ((i = 1; i <= TRIALS; i++)); do
	trial make || plain=$((plain + 1))
	progress "plain make:" "$i" "$plain"
done
for ((i = 1; i <= TRIALS; i++)); do
	if ! trial make USE_DEPCHECK=1 DEPCHECK_MK=depcheck.mk; then
		dep=$((dep + 1))
		cp "$WORK/out" "$WORK/failed-depcheck-build"
	fi
	progress "depcheck.mk:" "$i" "$dep"
done
# The same Makefile as plain make's, under exec: no depcheck.mk.
for ((i = 1; i <= TRIALS; i++)); do
	if ! trial depcheck exec -- make; then
		exe=$((exe + 1))
		cp "$WORK/out" "$WORK/failed-exec-build"
	fi
	progress "depcheck exec:" "$i" "$exe"
done
printf '\n'
end=$(date +%s)

say "Verdict: plain make: $plain/$TRIALS stale links; depcheck.mk:" \
    "$dep/$TRIALS; unmodified make under depcheck exec: $exe/$TRIALS." \
    "($((end - start)) s)"
if [ "$dep" -ne 0 ]; then
	say "A depcheck.mk build failed; its output:"
	cat "$WORK/failed-depcheck-build"
fi
if [ "$exe" -ne 0 ]; then
	say "A build under depcheck exec failed; its output:"
	cat "$WORK/failed-exec-build"
fi
[ "$dep" -eq 0 ] && [ "$exe" -eq 0 ] || exit 1
say "depcheck decided by the order the writes happened in, not by their"
say "timestamps: the header was written after lib.o, so lib.o was rebuilt --"
say "under depcheck exec with the Makefile unchanged: make's own stat() saw"
say "the header as newer."
