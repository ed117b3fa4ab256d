# depcheck: one Makefile for the daemon, the client, the tests and the
# benchmarks.  `make` builds build/bin/{depcheck,depcheckd}; `make check`
# runs every test twice: normal build, then built with ASan and UBSan.

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
LIBDIR	?= $(PREFIX)/lib
# depcheck.mk goes here: GNU make's include searches /usr/local/include
# and /usr/include for a name without a path.
INCLUDEDIR ?= $(PREFIX)/include
MANDIR	?= $(PREFIX)/share/man
# Bash completion and the systemd user unit: where bash-completion and
# systemd say, asked for this PREFIX (their .pc files name /usr), else
# the same paths by hand.  Both are searched there for PREFIX=/usr/local.
BASHCOMPDIR ?= $(or $(shell pkg-config --define-variable=prefix=$(PREFIX) \
	--define-variable=datadir=$(PREFIX)/share \
	--variable=completionsdir bash-completion 2>/dev/null),$\
	$(PREFIX)/share/bash-completion/completions)
SYSTEMDUSERUNITDIR ?= $(or $(shell pkg-config \
	--define-variable=prefix=$(PREFIX) --variable=systemduserunitdir \
	systemd 2>/dev/null),$(PREFIX)/lib/systemd/user)
# The git fsmonitor hook (contrib/git): share/, not a git hooks directory;
# git runs it where core.fsmonitor says.
GITHOOKDIR ?= $(PREFIX)/share/depcheck/git
# The Neovim plugin (contrib/nvim): a runtimepath directory of its own.
NVIMDIR	?= $(PREFIX)/share/depcheck/nvim
DESTDIR	?=

CC	?= cc
O	?= build
SAN	?=

# make check and make demo first make sure the Debian packages they need
# are there (.ci/packages): as root with apt-get they install what is
# missing, otherwise they stop with the apt-get line to run.  This runs
# while make reads this file, before pkg-config is asked below; not for
# make -n or -q, nor with NEED_PACKAGES=no (another distribution).
NEED_GOALS := $(filter check demo,$(MAKECMDGOALS))
NEED_SKIP  := $(filter no,$(NEED_PACKAGES)) \
	      $(findstring n,$(firstword -$(MAKEFLAGS))) \
	      $(findstring q,$(firstword -$(MAKEFLAGS)))
ifneq ($(NEED_GOALS),)
ifeq ($(strip $(NEED_SKIP)),)
NEED_STOP := $(shell .ci/need-packages -m $(NEED_GOALS))
ifneq ($(NEED_STOP),)
$(error $(NEED_STOP))
endif
endif
endif

# pkg-config for libuv and sqlite3, asked once, when a recipe first needs
# the flags (compiling the daemon or the unit tests, linking them,
# check-static): so make clean, check-man and the client alone do not need
# them, and make check has installed them first (above).  A missing
# pkg-config or .pc file stops the build naming the package to install.
PKGS	 = libuv sqlite3
PKG_DEB_libuv	= libuv1-dev
PKG_DEB_sqlite3	= libsqlite3-dev
pkg_need = $(if $(shell command -v pkg-config),,$(error pkg-config is not \
	installed (apt-get install pkg-config), needed for $(PKGS)))$(foreach \
	p,$(PKGS),$(if $(shell pkg-config --exists $(p) && echo y),,$(error \
	pkg-config finds no $(p) (apt-get install $(PKG_DEB_$(p))))))
PKG_CFLAGS = $(eval PKG_CFLAGS := $(pkg_need)$(shell \
	pkg-config --cflags $(PKGS)))$(PKG_CFLAGS)
PKG_LIBS   = $(eval PKG_LIBS := $(pkg_need)$(shell \
	pkg-config --libs $(PKGS)))$(PKG_LIBS)

CFLAGS	?= -O2 -g
WFLAGS	 = -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow \
	   -Wmissing-prototypes -Wstrict-prototypes -Wpointer-arith
ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE $(WFLAGS) $(CFLAGS) -MMD -MP -Iproto
ifneq ($(SAN),)
ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
	      -fno-sanitize-recover=undefined
SAN_LDFLAGS = -fsanitize=address,undefined
endif

ifeq ($(V),1)
Q =
else
Q = @
endif

PROTO_SRCS  = proto/proto.c proto/msg.c proto/xmalloc.c proto/image.c proto/registry.c
DAEMON_SRCS = daemon/main.c daemon/daemon.c daemon/log.c daemon/index.c daemon/db.c \
	      daemon/watch.c daemon/scan.c daemon/stamp.c daemon/sync.c daemon/server.c \
	      daemon/conn.c daemon/util.c daemon/publish.c daemon/life.c \
	      daemon/notify.c
# A subcommand is a client/cmd-*.c file (and its line in depcheck.c).
CLIENT_SRCS = client/depcheck.c client/client.c client/resolve.c \
	      client/compare.c client/json.c client/fallback.c client/depfile.c \
	      $(sort $(wildcard client/cmd-*.c))
PRELOAD_SRCS = client/preload.c client/client.c proto/proto.c proto/msg.c \
	      proto/xmalloc.c proto/image.c
UNIT_SRCS   = $(wildcard tests/unit/*.c)
# Issue 10: the daemon's core split into modules that take what they use.
DAEMON_SRCS += daemon/ignore.c daemon/wdmap.c daemon/apply.c daemon/rescan.c \
	       daemon/batch.c daemon/prune.c daemon/hist.c daemon/news.c \
	       daemon/slab.c daemon/lister.c

obj = $(patsubst %.c,$(O)/obj/%.o,$(1))
PROTO_OBJS  = $(call obj,$(PROTO_SRCS))
DAEMON_OBJS = $(call obj,$(DAEMON_SRCS))
CLIENT_OBJS = $(call obj,$(CLIENT_SRCS))
UNIT_OBJS   = $(call obj,$(UNIT_SRCS))

# The preload library is built position-independent, exporting only the
# functions it wraps, and never with sanitizers: it is loaded into build
# tools that are not (an ASan runtime must come first in a process).
PRELOAD_OBJS = $(patsubst %.c,$(O)/pic/%.o,$(PRELOAD_SRCS))
PRELOAD   = $(O)/lib/depcheck/depcheck-preload.so
PIC_CFLAGS = -std=gnu11 -D_GNU_SOURCE $(WFLAGS) $(CFLAGS) -MMD -MP -Iproto \
	     -Iclient -fPIC -fvisibility=hidden

DEPCHECK  = $(O)/bin/depcheck
DEPCHECKD = $(O)/bin/depcheckd
UNIT      = $(O)/bin/unit

all: $(DEPCHECK) $(DEPCHECKD) $(PRELOAD)

$(O)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) $(if $(filter daemon/% tests/%,$<),$(PKG_CFLAGS) -Idaemon -Iclient) -c -o $@ $<

$(O)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  CC(pic) $<"
	$(Q)$(CC) $(PIC_CFLAGS) -c -o $@ $<

$(PRELOAD): $(PRELOAD_OBJS)
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  LD      $@"
	$(Q)$(CC) -shared -Wl,-z,defs -Wl,-z,now $(LDFLAGS) -o $@ $^

$(DEPCHECKD): $(DAEMON_OBJS) $(PROTO_OBJS)
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  LD      $@"
	$(Q)$(CC) $(SAN_LDFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# The client links libc only: it runs once per make recipe.
$(DEPCHECK): $(CLIENT_OBJS) $(PROTO_OBJS)
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  LD      $@"
	$(Q)$(CC) $(SAN_LDFLAGS) $(LDFLAGS) -o $@ $^

# Bash completion, generated from the client's own usage lines
# (`depcheck --help`: cmd_table), laid out under $(O) as it is installed
# (share/ beside bin/; tests/integ/t8001-completion.sh finds it there).
COMPLETION = $(O)/share/bash-completion/completions/depcheck
$(COMPLETION): $(DEPCHECK) contrib/completion/mkcompletion.sh \
	    contrib/completion/depcheck.bash.in
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  GEN     $@"
	$(Q)sh contrib/completion/mkcompletion.sh $(DEPCHECK) \
	    contrib/completion/depcheck.bash.in >$@.tmp && mv $@.tmp $@
all: $(COMPLETION)

UNIT_LINK = $(filter-out $(O)/obj/daemon/main.o,$(DAEMON_OBJS)) \
	    $(call obj,client/compare.c client/json.c client/depfile.c) \
	    $(PROTO_OBJS)
$(UNIT): $(UNIT_OBJS) $(UNIT_LINK)
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  LD      $@"
	$(Q)$(CC) $(SAN_LDFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# check: unit and integration tests on the normal build, the client under
# valgrind, then everything again built with ASan+UBSan.  Sanitizer
# reports go to files (the daemon's stderr is /dev/null once it runs in the
# background): any report fails the check.
SAN_REPORTS = $(CURDIR)/build-san/reports
VALGRIND_TESTS = t1001 t1003 t1004 t1007 t3002 t7004 t9003 t9005 t9010

MANPAGES = client/depcheck.1 daemon/depcheckd.8

check: all $(UNIT) check-man check-static
	$(UNIT)
	$(MAKE) -j2 check-fuzz
	DEPCHECK_BINDIR=$(CURDIR)/$(O)/bin PROVE_FLAGS="$(INTEG_PROVE)" \
	    tests/integ/run
	$(MAKE) check-valgrind
	$(MAKE) check-san

# The integration tests run two at a time (each has its own root and
# daemon, and waits on syncs, not on the clock): on 2 cores the suite
# takes 3.5 minutes instead of 6, 4.5 under the sanitizers instead of
# 7.5, and the valgrind stage 1.2 instead of 2.2.  Three at a time is
# slower again on 2 cores (the suite is CPU-bound at two: 234 s against
# 217 s).  INTEG_JOBS=1 runs them one by one.
INTEG_JOBS ?= 2
INTEG_PROVE = -j$(INTEG_JOBS) $(PROVE_FLAGS)

VALGRIND = valgrind -q --leak-check=full \
	   --errors-for-leak-kinds=definite,indirect --error-exitcode=99

# Static analysis, zero findings, and no include cycle among the modules
# of daemon/, client/ or proto/ (tests/static/module-cycles.sh).
# cppcheck: warning, style, performance, portability, but for
# variableScope (KNF declares at the top of a function) and
# unusedStructMember where sys/queue.h's TAILQ_HEAD expands.
# clang-tidy: bugprone, clang-analyzer, cert, misc, performance and
# portability, but for easily-swappable-parameters (same-typed parameters
# are normal in C signatures), misc-unused-parameters (libuv callbacks take
# what libuv passes), cert-err33-c (output errors are checked once, at
# fflush, not per printf), the analyzer's DeprecatedOrUnsafeBufferHandling
# (it asks for C11 Annex K functions, which glibc lacks) and
# valist.Uninitialized (clang 14 reports every va_start/vfprintf pair).
STATIC_SRCS = $(PROTO_SRCS) $(DAEMON_SRCS) $(CLIENT_SRCS) client/preload.c
CPPCHECK_FLAGS = --quiet --error-exitcode=1 --inline-suppr --std=c11 \
	--enable=warning,style,performance,portability -D_GNU_SOURCE \
	-Iproto -Iclient -Idaemon --suppress=missingIncludeSystem \
	--suppress=variableScope \
	--include=/usr/include/x86_64-linux-gnu/sys/queue.h \
	--suppress=unusedStructMember:daemon/sync.c \
	--suppress=unusedStructMember:daemon/server.c
TIDY_CHECKS = -*,bugprone-*,clang-analyzer-*,cert-*,misc-*,performance-*,$\
	portability-*,-bugprone-easily-swappable-parameters,$\
	-misc-unused-parameters,-cert-err33-c,$\
	-clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling,$\
	-clang-analyzer-valist.Uninitialized

#
# "No findings" only from a tool that ran and exited 0: a missing tool, or
# one that fails (a compile error it reports, a bad option), fails the
# check with what it said.  clang-tidy exits nonzero on any finding
# (--warnings-as-errors) and on any error; xargs then exits nonzero too.
TIDY_LOG = $(O)/clang-tidy.log
check-static:
	@for t in cppcheck clang-tidy; do command -v $$t >/dev/null || \
	    { echo "not ok - check-static: $$t is not installed (apt-get" \
	    "install $$t)" >&2; exit 1; }; done
	cppcheck $(CPPCHECK_FLAGS) $(STATIC_SRCS) tests/unit tests/fuzz || \
	    { echo "not ok - cppcheck: findings or errors above (exit $$?)" >&2; \
	    exit 1; }
	@echo "ok - cppcheck: no findings"
	@mkdir -p $(O)
	@printf '%s\n' $(STATIC_SRCS) | xargs -P2 -I{} clang-tidy --quiet \
	    --warnings-as-errors='*' -checks='$(TIDY_CHECKS)' {} -- \
	    -std=gnu11 -D_GNU_SOURCE -Iproto -Iclient -Idaemon $(PKG_CFLAGS) \
	    >$(TIDY_LOG) 2>&1 || { rc=$$?; \
	    grep -v -E '^[0-9]+ (warning|error)s? (generated|treated)' \
	    $(TIDY_LOG) >&2; echo "not ok - clang-tidy: findings or errors" \
	    "above (xargs exit $$rc; all of it in $(TIDY_LOG))" >&2; exit 1; }
	@echo "ok - clang-tidy: no findings"
	tests/static/module-cycles.sh daemon client proto

# Each page renders with no warning at all.
check-man:
	@for m in $(MANPAGES); do \
	    out=$$(groff -man -Tutf8 -ww $$m 2>&1 >/dev/null); \
	    if [ -n "$$out" ]; then echo "$$m: $$out" >&2; exit 1; fi; \
	    echo "ok - $$m renders without warnings"; \
	done

check-valgrind: all
	DEPCHECK_BINDIR=$(CURDIR)/$(O)/bin DEPCHECK_TEST_WRAP='$(VALGRIND)' \
	    PROVE_FLAGS="$(INTEG_PROVE)" tests/integ/run $(VALGRIND_TESTS)

check-san:
	$(MAKE) O=build-san SAN=1 CC=clang all build-san/bin/unit
	rm -rf $(SAN_REPORTS) && mkdir -p $(SAN_REPORTS)
	build-san/bin/unit
	ASAN_OPTIONS=detect_leaks=1:log_path=$(SAN_REPORTS)/asan \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$(SAN_REPORTS)/ubsan \
	DEPCHECK_BINDIR=$(CURDIR)/build-san/bin PROVE_FLAGS="$(INTEG_PROVE)" \
	    tests/integ/run
	@if [ -n "$$(ls -A $(SAN_REPORTS))" ]; then cat $(SAN_REPORTS)/*; \
	    echo "check-san: sanitizer reports above" >&2; exit 1; fi

.SECONDEXPANSION:

# Fuzzing (libFuzzer, clang): the protocol decoder and path resolution.
# `make fuzz FUZZ_SECONDS=N` runs each target for N seconds on a copy of
# its seed corpus (tests/fuzz/corpus/TARGET) and keeps what it finds in
# build/fuzz/; make check replays the corpus and the regression inputs
# (tests/fuzz/regress/TARGET), given as files so that nothing is written
# back, and runs each target briefly on a copy.
FUZZ_TARGETS = proto resolve image depfile
FUZZ_SECONDS ?= 60
FUZZ_CHECK_SECONDS ?= 15
FUZZ_CFLAGS = -std=gnu11 -D_GNU_SOURCE -g -O1 -Iproto -Iclient \
	      -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_proto = tests/fuzz/fuzz-proto.c proto/proto.c proto/msg.c proto/xmalloc.c
FUZZ_resolve = tests/fuzz/fuzz-resolve.c client/resolve.c proto/proto.c proto/msg.c \
	       proto/xmalloc.c
FUZZ_image = tests/fuzz/fuzz-image.c proto/image.c
FUZZ_depfile = tests/fuzz/fuzz-depfile.c client/depfile.c proto/xmalloc.c

# One clang run compiles and links a target's sources; its .d file, made
# beside it by -MM (with several inputs -MMD keeps only one's), lists the
# headers they include, so that a changed header rebuilds the target.
build/fuzz/fuzz-%: $$(FUZZ_%)
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  FUZZ    $@"
	$(Q)clang $(FUZZ_CFLAGS) -MM -MP -MT $@ $(FUZZ_$*) >$@.d.tmp && \
	    mv $@.d.tmp $@.d
	$(Q)clang $(FUZZ_CFLAGS) -o $@ $(FUZZ_$*)

fuzz: $(addprefix build/fuzz/fuzz-,$(FUZZ_TARGETS))
	@for t in $(FUZZ_TARGETS); do \
	    mkdir -p $(CURDIR)/build/fuzz/corpus-$$t && \
	    cp -n $(CURDIR)/tests/fuzz/corpus/$$t/* $(CURDIR)/build/fuzz/corpus-$$t/ && \
	    $(CURDIR)/build/fuzz/fuzz-$$t -max_total_time=$(FUZZ_SECONDS) \
		-print_final_stats=1 -artifact_prefix=$(CURDIR)/build/fuzz/$$t- \
		$(CURDIR)/build/fuzz/corpus-$$t || exit 1; \
	done

# One target per fuzzer, so that make -j runs them side by side (each is
# one process): `make -j2 check-fuzz`, as check does.
check-fuzz: $(addprefix check-fuzz-,$(FUZZ_TARGETS))

check-fuzz-%: build/fuzz/fuzz-%
	@$(CURDIR)/build/fuzz/fuzz-$* $(CURDIR)/tests/fuzz/corpus/$*/* \
	    $$(ls -d $(CURDIR)/tests/fuzz/regress/$*/* 2>/dev/null) \
	    >/dev/null 2>&1 \
	    || { echo "not ok - fuzz-$* replays its corpus"; exit 1; }
	@echo "ok - fuzz-$* replays its corpus"
	@rm -rf $(CURDIR)/build/fuzz/check-$* && \
	    mkdir -p $(CURDIR)/build/fuzz/check-$* && \
	    cp $(CURDIR)/tests/fuzz/corpus/$*/* $(CURDIR)/build/fuzz/check-$*/
	@$(CURDIR)/build/fuzz/fuzz-$* -max_total_time=$(FUZZ_CHECK_SECONDS) \
	    -print_final_stats=1 -artifact_prefix=$(CURDIR)/build/fuzz/$*- \
	    $(CURDIR)/build/fuzz/check-$* 2>$(CURDIR)/build/fuzz/check-$*.log \
	    || { tail -40 $(CURDIR)/build/fuzz/check-$*.log; \
	    echo "not ok - fuzz-$* for $(FUZZ_CHECK_SECONDS) s"; exit 1; }
	@echo "ok - fuzz-$* for $(FUZZ_CHECK_SECONDS) s:" \
	    "$$(grep -o 'number_of_executed_units: [0-9]*' \
	    $(CURDIR)/build/fuzz/check-$*.log)"

bench: all
	DEPCHECK_BINDIR=$(CURDIR)/$(O)/bin tests/bench/run
	DEPCHECK_BINDIR=$(CURDIR)/$(O)/bin tests/bench/news
	DEPCHECK_BINDIR=$(CURDIR)/$(O)/bin tests/bench/firstsight
	DEPCHECK_BINDIR=$(CURDIR)/$(O)/bin tests/bench/git

# demo installs what the build needs first (when it can), so no "all" here.
demo:
	contrib/demo.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man8
	install -d $(DESTDIR)$(LIBDIR)/depcheck $(DESTDIR)$(INCLUDEDIR)
	install -m 755 $(DEPCHECK) $(DEPCHECKD) $(DESTDIR)$(BINDIR)/
	install -m 644 $(PRELOAD) $(DESTDIR)$(LIBDIR)/depcheck/
	install -m 644 contrib/make/depcheck.mk $(DESTDIR)$(INCLUDEDIR)/
	install -m 644 client/depcheck.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 daemon/depcheckd.8 $(DESTDIR)$(MANDIR)/man8/
	install -d $(DESTDIR)$(NVIMDIR)/lua/depcheck $(DESTDIR)$(NVIMDIR)/plugin
	install -m 644 contrib/nvim/README $(DESTDIR)$(NVIMDIR)/
	install -m 644 contrib/nvim/lua/depcheck/*.lua \
	    $(DESTDIR)$(NVIMDIR)/lua/depcheck/
	install -m 644 contrib/nvim/plugin/depcheck.lua $(DESTDIR)$(NVIMDIR)/plugin/
	install -d $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(SYSTEMDUSERUNITDIR)
	install -m 644 $(COMPLETION) $(DESTDIR)$(BASHCOMPDIR)/depcheck
	sed 's|@BINDIR@|$(BINDIR)|g' contrib/systemd/depcheckd@.service.in \
	    >$(DESTDIR)$(SYSTEMDUSERUNITDIR)/depcheckd@.service
	chmod 644 $(DESTDIR)$(SYSTEMDUSERUNITDIR)/depcheckd@.service
	install -d $(DESTDIR)$(GITHOOKDIR)
	sed 's|@BINDIR@|$(BINDIR)|g' contrib/git/fsmonitor-depcheck \
	    >$(DESTDIR)$(GITHOOKDIR)/fsmonitor-depcheck
	chmod 755 $(DESTDIR)$(GITHOOKDIR)/fsmonitor-depcheck

clean:
	rm -rf build build-san

.PHONY: all fuzz check-fuzz check check-man check-static check-valgrind check-san bench demo install clean

-include $(shell find $(O)/obj $(O)/pic -name '*.d' 2>/dev/null) \
	$(wildcard build/fuzz/fuzz-*.d)
