# depcheck.mk -- let depcheck decide when a rule's target is stale.
#
# Include this file, then change each rule that should be decided by write
# order instead of by mtime: add $(DEPCHECK_FORCE) to its prerequisites
# and put $(DEPCHECK_RUN) in front of its recipe:
#
#	include depcheck.mk
#
#	foo.o: foo.c foo.h $(DEPCHECK_FORCE)
#		$(DEPCHECK_RUN) $(CC) -c -o $@ foo.c
#
#	%.o: %.c $(DEPCHECK_FORCE)
#		$(DEPCHECK_RUN) $(CC) -c -o $@ $<
#
# `make install` puts this file in $(PREFIX)/include (/usr/local/include),
# where GNU make's include finds it with no path; from depcheck's source
# tree, run make -I /path/to/depcheck/contrib/make instead.
#
# make then always hands the recipe to "depcheck run TARGET DEPS -- CMD",
# which runs CMD only when TARGET is older than one of its prerequisites
# ($^: every prerequisite of the target, from every rule, but the force
# target and order-only ones) by the order the daemon saw them written,
# and records the build, so that a prerequisite rewritten while CMD ran is
# caught next time.  A recipe of several lines needs the prefix on each
# line that writes the target.
#
# The first make that includes this file starts the daemon for the root
# (DEPCHECK_ROOT; see below) when none is running; sub-makes inherit
# DEPCHECK_ROOT and find it running.  It works
# with make -jN (depcheck run is one process per recipe, and the daemon
# serves them concurrently), pattern rules and recursive make.
#
# make does not echo the "depcheck run" line; depcheck run --echo prints
# the command itself, only when it runs it, so a build shows what it
# really does and a no-op build prints nothing.
#
# A prerequisite that does not exist when the recipe runs is phony (as
# kbuild's FORCE): depcheck run then runs the recipe, as make would.
# make -q cannot answer for such rules (the force target is never up to
# date): ask depcheck instead.
#
# Knobs: DEPCHECK (the client, default "depcheck": make stops at once,
# saying so, when it cannot be run); DEPCHECK_RUN_FLAGS
# (default --echo; add --why to see each decision on stderr, or drop
# --echo for silence); DEPCHECK_IDLE_EXIT (default 2h: a daemon this file
# started exits after that long with no request, and the next make starts
# it again, which catches up on what was written meanwhile; 0: never).

DEPCHECK ?= depcheck
DEPCHECK_RUN_FLAGS ?= --echo
DEPCHECK_IDLE_EXIT ?= 2h

# No client: stop now with one line naming the knob, rather than let each
# recipe fail with "depcheck: not found" (Error 127).  PATH is passed by
# hand: $(shell) does not see exported variables before make 4.4.
_depcheck_cmd := $(firstword $(DEPCHECK))
_depcheck_found := $(shell PATH='$(PATH)'; \
    p=$$(command -v '$(_depcheck_cmd)') && [ -f "$$p" ] && [ -x "$$p" ] && \
    echo y)
ifeq ($(_depcheck_found),)
_depcheck_why := $(strip $(if $(findstring /,$(_depcheck_cmd)), \
    no such executable,not found on PATH))
$(error depcheck: cannot run '$(_depcheck_cmd)': $(_depcheck_why) \
    (install depcheck, or set DEPCHECK=/path/to/depcheck))
endif

DEPCHECK_FORCE := .depcheck-force
DEPCHECK_DEPS = $(filter-out $(DEPCHECK_FORCE),$^)
DEPCHECK_RUN = @$(DEPCHECK) run $(DEPCHECK_RUN_FLAGS) $@ $(DEPCHECK_DEPS) --

.PHONY: $(DEPCHECK_FORCE)
$(DEPCHECK_FORCE): ;

# Start the daemon once per build, before any recipe runs.  Its errors
# reach the terminal; a build without a daemon still works (depcheck run
# then compares mtimes, saying so once per recipe).
# The root: DEPCHECK_ROOT if set, else the nearest directory at or above
# this make's that has a .depcheck/ (a make started in a subdirectory of a
# watched tree uses that tree's daemon), else this make's directory.
ifndef DEPCHECK_ROOT
DEPCHECK_ROOT := $(shell d='$(CURDIR)'; while [ "$$d" != / ] && \
    [ ! -d "$$d/.depcheck" ]; do d=$$(dirname "$$d"); done; \
    [ -d "$$d/.depcheck" ] && echo "$$d" || echo '$(CURDIR)')
endif
export DEPCHECK_ROOT
ifneq ($(DEPCHECK_STARTED),$(DEPCHECK_ROOT))
DEPCHECK_STARTED := $(DEPCHECK_ROOT)
export DEPCHECK_STARTED
# ($(shell) does not see exported variables before make 4.4.)
_depcheck_start := $(shell DEPCHECK_ROOT='$(DEPCHECK_ROOT)' \
    $(DEPCHECK) status >/dev/null 2>&1 || \
    $(DEPCHECK) start --idle-exit '$(or $(DEPCHECK_IDLE_EXIT),2h)' \
    '$(DEPCHECK_ROOT)' >/dev/null)
endif
