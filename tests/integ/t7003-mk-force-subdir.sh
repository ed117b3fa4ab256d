#!/usr/bin/env bash
# Area 7 (make): two depcheck.mk cases from kbuild-style trees.  A phony
# prerequisite (FORCE) does not exist when the recipe runs: the recipe
# runs, as with make, instead of failing with "does not exist".  And a
# make started in a subdirectory of a watched tree uses that tree's
# daemon instead of starting a second one below it.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v make >/dev/null || skip_all "make is not installed"
cp "$TEST_DIR/../../contrib/make/depcheck.mk" .
mkdir sub
cat >sub/Makefile <<'EOT'
include ../depcheck.mk
all: y.o z.o
y.o: x.c FORCE $(DEPCHECK_FORCE)
	$(DEPCHECK_RUN) cp x.c $@
z.o: x.c $(DEPCHECK_FORCE)
	$(DEPCHECK_RUN) cp x.c $@
.PHONY: FORCE
FORCE:
EOT
echo x >sub/x.c

start_daemon
pid=$(status_field pid)
mk -s --no-print-directory -C sub
is "$T_RC" 0 "make in a subdirectory, a rule with FORCE: succeeds"
ok "y.o (FORCE) was built" test -e sub/y.o
ok "no second state directory below the root" test ! -e sub/.depcheck
is "$(status_field pid)" "$pid" "the root's daemon served it"
is "$(daemon_pids "$ROOT/sub")" "" "no daemon for the subdirectory"
mk -s --no-print-directory -C sub
is "$T_RC" 0 "again: succeeds"
is "$(cat "$T_OUT")" "cp x.c y.o" "again: only the FORCE rule ran, as with make"

done_testing
