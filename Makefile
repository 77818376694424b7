# modelgate - GNU make build.  `make help` lists the targets.

CC       ?= cc
PREFIX   ?= /usr/local
DESTDIR  ?=
BUILD    ?= build
# zlib: gzip streams are inflated with it (libarchive's gzip reader does not
# check CRC-32 and length), and joblib's default compression is raw zlib.
PKGS      = libarchive libcrypto libcjson zlib
WARN      = -std=c11 -Wall -Wextra -Wformat=2 -Wshadow -Wvla \
            -Wstrict-prototypes -Wmissing-prototypes
OPT      ?= -O2 -g
CPPFLAGS += -D_GNU_SOURCE -Isrc -Icmd -Ifixtures -Itests
CFLAGS   += $(WARN) $(OPT) $(EXTRA_CFLAGS) -MMD -MP -pthread
ifeq ($(CI),true)
CFLAGS   += -Werror
endif
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libarchive and the compression libraries it calls are linked in from
# their static archives (libarchive-dev, liblzma-dev, libzstd-dev,
# liblz4-dev, libbz2-dev, nettle-dev) where all are installed: only the
# readers modelgate calls come in, and nothing more is loaded at start.
# Opening the shared libarchive instead loads libxml2, ICU and the C++
# runtime for a format modelgate never reads (xar), which costs a run of
# a few thousand small checkpoints a tenth of its time.  A libarchive
# update then reaches modelgate at its next build.
#
# `make ARCHIVE_STATIC=0` (the default where a static archive is missing)
# builds the other way: libarchive is opened by its soname on first need
# (src/arclib.h), so a security update reaches modelgate without a
# rebuild.  The soname comes from the installed development library.
# `make test` also links $(BUILD)/modelgate-dl that way, to prove that a
# library that cannot be used fails closed.
PKG_LIBS   = $(shell pkg-config --libs $(filter-out libarchive,$(PKGS)) \
	     2>/dev/null) -lunistring -ldl
ARC_SONAME := $(shell objdump -p "$$(pkg-config --variable=libdir libarchive \
	2>/dev/null)/libarchive.so" 2>/dev/null | awk '/SONAME/ { print $$2 }')
CPPFLAGS += $(if $(ARC_SONAME),-DMG_ARCHIVE_SONAME='"$(ARC_SONAME)"')
arc_static = $(filter /%,$(shell $(CC) -print-file-name=$(1) 2>/dev/null))
ARC_A    := $(call arc_static,libarchive.a)
ARC_DEPS_A := $(foreach l,liblzma.a libzstd.a liblz4.a libbz2.a libnettle.a,\
	$(call arc_static,$(l)))
ARCHIVE_STATIC ?= $(if $(and $(ARC_A),$(word 5,$(ARC_DEPS_A))),1,0)
ifneq ($(ARCHIVE_STATIC),$(filter 0 1,$(ARCHIVE_STATIC)))
$(error ARCHIVE_STATIC is 0 (open libarchive.so at run time) or 1 (link it in))
endif
ifeq ($(ARCHIVE_STATIC)$(and $(ARC_A),$(word 5,$(ARC_DEPS_A))),1)
$(error ARCHIVE_STATIC=1: install libarchive-dev liblzma-dev libzstd-dev liblz4-dev libbz2-dev nettle-dev, or build with ARCHIVE_STATIC=0)
endif
ARC_DEPS = $(ARC_DEPS_A) -lz
ARC_LINKED = $(if $(filter 1,$(ARCHIVE_STATIC)),$(BUILD)/obj/arclib-linked.o)
# Which of the two the binary was linked with, so that switching relinks.
ARC_MODE = $(if $(filter 1,$(ARCHIVE_STATIC)),static,shared)
BIN_LIBS = $(if $(filter 1,$(ARCHIVE_STATIC)),$(ARC_A) $(ARC_DEPS)) $(PKG_LIBS)
# mimalloc, where installed, replaces the C library's malloc in the binary:
# a bom of small files spends a third of its time in glibc's malloc and
# free (fastbin consolidation, per-thread heaps grown a page at a time),
# mimalloc's per-thread free lists about a tenth.  Without it the binary
# is the same, only slower.  The sanitizer builds keep the C library's
# (they replace malloc themselves); MIMALLOC= does so by hand.
MIMALLOC ?= $(shell echo 'int main(void){return 0;}' | \
	$(CC) -x c - -o /dev/null -lmimalloc 2>/dev/null && echo -lmimalloc)
LINK_ALL  = -Wl,--push-state,--no-as-needed
LINK_POP  = -Wl,--pop-state
ALLOC_LIBS = $(if $(MIMALLOC),$(LINK_ALL) $(MIMALLOC) $(LINK_POP))
CPPFLAGS += $(if $(MIMALLOC),-DMG_MIMALLOC)
CHECK_CFLAGS = $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   = $(shell pkg-config --libs check 2>/dev/null)

LIB_SRC  = $(wildcard src/*.c)
CMD_SRC  = $(wildcard cmd/*.c)
FIX_MAIN = fixtures/mkfixtures.c fixtures/mkbench.c fixtures/servebench.c \
           fixtures/runstat.c
FIX_SRC  = $(filter-out $(FIX_MAIN),$(wildcard fixtures/*.c))
TEST_SRC = $(wildcard tests/*.c)

LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CMD_OBJ  = $(CMD_SRC:%.c=$(BUILD)/obj/%.o)
FIX_OBJ  = $(FIX_SRC:%.c=$(BUILD)/obj/%.o)
TEST_OBJ = $(TEST_SRC:%.c=$(BUILD)/obj/%.o)

BIN      = $(BUILD)/modelgate
LIB      = $(BUILD)/libmodelgate.a
RUNNER   = $(BUILD)/test_runner
MKFIX    = $(BUILD)/mkfixtures
MKBENCH  = $(BUILD)/mkbench
SERVEBENCH = $(BUILD)/servebench
RUNSTAT  = $(BUILD)/runstat
FIXDIR   = $(BUILD)/fixtures

.PHONY: all build test check check-tsan fuzz bench lint fixtures demo docs \
        install clean help deps FORCE _test _demo _check _check-tsan _bench \
        npm-fixtures mcp-client

all: $(BIN)

build: $(BIN)

ifeq ($(V),1)
Q =
else
Q = @
endif

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(PKG_CFLAGS) $(CHECK_CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	@$(if $(Q),echo "  AR      $@")
	$(Q)$(AR) rcs $@ $^

$(BUILD)/archive-link: FORCE
	@mkdir -p $(@D)
	@echo $(ARC_MODE) | cmp -s - $@ || echo $(ARC_MODE) > $@

FORCE:

$(BIN): $(CMD_OBJ) $(ARC_LINKED) $(LIB) $(BUILD)/archive-link
		@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CMD_OBJ) $(ARC_LINKED) $(LIB) \
	    $(ALLOC_LIBS) $(BIN_LIBS) -lm

# The same program with libarchive opened at run time, whatever
# ARCHIVE_STATIC says: the tests prove that mode fails closed.
BIN_DL = $(BUILD)/modelgate-dl
$(BIN_DL): $(CMD_OBJ) $(LIB)
		@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CMD_OBJ) $(LIB) \
	    $(ALLOC_LIBS) $(PKG_LIBS) -lm

# The table of arclib.h filled from a libarchive linked in.
$(BUILD)/obj/arclib-linked.o: src/arclib.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) -DMG_ARCHIVE_LINKED $(CFLAGS) $(PKG_CFLAGS) \
	    -c $< -o $@

$(RUNNER): $(TEST_OBJ) $(FIX_OBJ) $(LIB)
		@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(TEST_OBJ) $(FIX_OBJ) $(LIB) \
	    $(CHECK_LIBS) $(PKG_LIBS) -lm

$(MKFIX): $(BUILD)/obj/fixtures/mkfixtures.o $(FIX_OBJ) $(LIB)
		@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(MKBENCH): $(BUILD)/obj/fixtures/mkbench.o $(FIX_OBJ) $(LIB)
		@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(SERVEBENCH): $(BUILD)/obj/fixtures/servebench.o
		@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^

$(RUNSTAT): $(BUILD)/obj/fixtures/runstat.o
		@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^

# --- entry points that set up a fresh machine first ----------------------
deps:
	@sh ci/install-deps.sh

test: deps
	@$(MAKE) --no-print-directory _test

demo: deps
	@$(MAKE) --no-print-directory _demo

check: deps
	@$(MAKE) --no-print-directory _check

check-tsan: deps
	@$(MAKE) --no-print-directory _check-tsan

bench: deps
	@$(MAKE) --no-print-directory _bench

fixtures: $(MKFIX)
	@rm -rf $(FIXDIR)
	$(MKFIX) $(FIXDIR)

# GGUF files written by @huggingface/gguf (pinned in tests/npm) at test time.
NPMFIX = $(BUILD)/writers/hf-gguf
npm-fixtures:
	@sh tests/npm/make-fixtures.sh $(BUILD)/npm $(NPMFIX)

# The official MCP TypeScript SDK client (pinned in tests/mcp) that drives
# `modelgate serve` in tests/test_serve.c; skipped when it cannot be had.
MCPCLIENT = build/mcp-client
mcp-client:
	@sh tests/mcp/install-client.sh $(MCPCLIENT)

_test: $(BIN) $(BIN_DL) $(RUNNER) fixtures npm-fixtures mcp-client
	MG_BIN=$(abspath $(BIN)) MG_BIN_DL=$(abspath $(BIN_DL)) \
	    MG_FIXTURES=$(abspath $(FIXDIR)) \
	    MG_NPM_FIXTURES=$(abspath $(NPMFIX)) MG_SRCDIR=$(abspath .) \
	    MG_MCP_CLIENT=$(abspath $(MCPCLIENT)) \
	    MG_GOLDEN=$(abspath tests/golden) MG_README=$(abspath README.md) \
	    MG_ARCHIVE_WRITER=$(abspath fixtures/writers/archive_fixtures.sh) \
	    $(RUNNER)

_demo: $(BIN) $(MKFIX)
	@rm -rf $(BUILD)/demo
	$(MKFIX) --demo $(BUILD)/demo
	@echo "== modelgate scan (embedded default policy) =="
	cd $(BUILD)/demo && $(abspath $(BIN)) scan models --json report.json \
	    --sarif report.sarif --junit report.xml --markdown report.md
	@echo "== reports: $(BUILD)/demo/report.{json,sarif,xml,md} =="
	@echo "== modelgate bom --format table =="
	./$(BIN) bom --format table $(BUILD)/demo/models
	@echo "== modelgate scan: a tampered and a hostile model (this one fails) =="
	@cd $(BUILD)/demo/bad && { $(abspath $(BIN)) scan --policy policy.json \
	    --lock modelgate.lock models --json report.json --sarif report.sarif \
	    --junit report.xml --markdown report.md; code=$$?; \
	    echo "== exit status $$code (1: violations; make demo itself succeeds) =="; }
	@echo "== reports: $(BUILD)/demo/bad/report.{json,sarif,xml,md} =="

SAN = -fsanitize=address,undefined -fno-omit-frame-pointer \
      -fno-sanitize-recover=all
_check:
	@$(MAKE) --no-print-directory BUILD=build/asan OPT="-O1 -g" MIMALLOC= \
	    EXTRA_CFLAGS="$(SAN)" LDFLAGS="$(SAN)" _test

_check-tsan:
	@$(MAKE) --no-print-directory BUILD=build/tsan OPT="-O1 -g" MIMALLOC= \
	    EXTRA_CFLAGS="-fsanitize=thread" LDFLAGS="-fsanitize=thread" \
	    _test

_bench: $(BIN) $(MKBENCH) $(SERVEBENCH) $(RUNSTAT)
	MG_RUNSTAT=$(abspath $(RUNSTAT)) \
	    sh ci/bench.sh $(abspath $(BIN)) $(abspath $(MKBENCH))
	sh ci/bench-serve.sh $(abspath $(BIN)) $(abspath $(SERVEBENCH)) \
	    $${MG_BENCH_DIR:-build/bench}

FUZZ_CC ?= clang
FUZZ_TARGETS = $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
fuzz: deps
	@command -v $(FUZZ_CC) >/dev/null || apt-get install -y -qq clang >/dev/null
	@mkdir -p $(BUILD)/fuzz
	@for t in $(wildcard tests/fuzz/fuzz_*.c); do \
	    n=$$(basename $$t .c); \
	    $(FUZZ_CC) $(CPPFLAGS) -std=c11 -g -O1 \
	        -fsanitize=fuzzer,address,undefined $$(pkg-config --cflags $(PKGS)) \
	        $$t $(LIB_SRC) -o $(BUILD)/fuzz/$$n $(PKG_LIBS) -lm \
	        || exit 1; \
	    echo "built $(BUILD)/fuzz/$$n"; \
	done
	@echo "run: $(BUILD)/fuzz/fuzz_<fmt> -max_total_time=60 $(FIXDIR)/<fmt>"

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
	    --inline-suppr -D_GNU_SOURCE -Isrc -Icmd src cmd
	@echo "lint: clean"

install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/modelgate
	install -m 0644 cmd/modelgate.1 $(DESTDIR)$(PREFIX)/share/man/man1/modelgate.1

clean:
	rm -rf build

help:
	@echo "make              build $(BIN)"
	@echo "make test         install missing deps, build, run the Check suite"
	@echo "make check        the suite under AddressSanitizer + UBSan"
	@echo "make check-tsan   the suite under ThreadSanitizer"
	@echo "make demo         install missing deps, build, scan a passing and a failing sample"
	@echo "make bench        generate a corpus and print throughput figures"
	@echo "make fuzz         build libFuzzer targets (clang)"
	@echo "make lint         cppcheck over src/ and cmd/"
	@echo "make fixtures     regenerate $(FIXDIR)"
	@echo "make install      install to \$$(DESTDIR)\$$(PREFIX) (default /usr/local)"
	@echo "make clean        remove build/"

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# The README's rule table is generated from src/rules.def.
docs: $(BIN)
	@MG_RULES_TABLE="$$(./$(BIN) rules --format markdown)" awk \
	    '/<!-- rules:begin -->/ { print; print ENVIRON["MG_RULES_TABLE"]; \
	     skip = 1; next } /<!-- rules:end -->/ { skip = 0 } !skip' \
	    README.md > README.md.tmp
	@mv README.md.tmp README.md
	@echo "docs: README rule table regenerated"
