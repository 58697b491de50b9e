# qrpay — PostgreSQL extension for payment QR codes (PGXS build)

EXTENSION  = qrpay
MODULE_big = qrpay

CORE_SRCS  = $(wildcard src/core/*.c)
GLUE_SRCS  = $(wildcard src/*.c)
OBJS       = $(CORE_SRCS:.c=.o) $(GLUE_SRCS:.c=.o)

# sql/ holds both the install scripts and the regression inputs
DATA       = $(wildcard sql/qrpay--*.sql)
REGRESS    = qrpay_type qrpay_vectors qrpay_access qrpay_formats qrpay_providers qrpay_routing qrpay_gin qrpay_build qrpay_reconcile qrpay_money qrpay_match qrpay_cluster qrpay_statements qrpay_backoffice qrpay_index qrpay_errors hostile_triggers catalog_integrity hostile_data null_sweep privileges qrpay_soft_errors catalog_memo
REGRESS_OPTS = --load-extension=qrpay
# isolation specs and their expected output live under test/isolation
ISOLATION  = qrpay_catalog qrpay_cache_race qrpay_city_race qrpay_recon_race
ISOLATION_OPTS = --load-extension=qrpay --inputdir=test/isolation

PG_CPPFLAGS = -I$(srcdir)/src/core
# libqrencode draws the QR symbols, libpng writes them as PNG
SHLIB_LINK  = -lqrencode -lpng
PG_CFLAGS   = -std=gnu99 -fno-semantic-interposition -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers

EXTRA_CLEAN = test/build output_iso

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies: every object depends on every header
$(OBJS): $(wildcard src/core/*.h src/*.h)

# ---------------------------------------------------------------------
# Server-less tests of src/core: unit tests and fuzzers (see test/run)
# ---------------------------------------------------------------------
TESTBUILD   = test/build
CORE_HDRS   = $(wildcard src/core/*.h)
UNIT_SRCS   = test/unit/test_core.c test/unit/test_formats.c test/unit/test_route.c test/unit/test_pair.c \
	test/unit/test_bill.c test/unit/test_money.c \
	test/unit/test_build.c test/unit/test_stream.c test/unit/test_utf8.c test/unit/vectors.c test/fuzz/common.c \
	test/fuzz/fuzz_stream.c
UNIT_SRCS  += test/unit/test_parsed.c
SAN_FLAGS   = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

$(TESTBUILD):
	mkdir -p $@

# unit tests, built once plainly and once under ASan/UBSan
$(TESTBUILD)/test_core: $(UNIT_SRCS) $(CORE_SRCS) $(CORE_HDRS) test/unit/check.h test/fuzz/common.h | $(TESTBUILD)
	$(CC) -std=c99 -O2 -g -Wall -Wextra -Werror -Isrc/core -Itest/unit -Itest/fuzz -o $@ $(UNIT_SRCS) $(CORE_SRCS)

$(TESTBUILD)/test_core_san: $(UNIT_SRCS) $(CORE_SRCS) $(CORE_HDRS) | $(TESTBUILD)
	clang -std=c99 -O1 -g $(SAN_FLAGS) -Isrc/core -Itest/unit -Itest/fuzz -o $@ $(UNIT_SRCS) $(CORE_SRCS)

# libFuzzer harnesses (test/fuzz/fuzz_*.c), and the same harnesses under a
# plain main() replaying files (replay_*); src/core is compiled once for
# each.  test/fuzz/run runs them all.
FUZZ_TARGETS = $(patsubst test/fuzz/fuzz_%.c,%,$(wildcard test/fuzz/fuzz_*.c))
FUZZ_FLAGS   = -std=c99 -O1 -g -fno-sanitize-recover=all -Isrc/core -Itest/fuzz
FUZZ_CORE    = $(patsubst src/core/%.c,$(TESTBUILD)/fuzzcore/%.o,$(CORE_SRCS)) $(TESTBUILD)/fuzzcore/common.o
REPLAY_CORE  = $(patsubst src/core/%.c,$(TESTBUILD)/replaycore/%.o,$(CORE_SRCS)) $(TESTBUILD)/replaycore/common.o

$(TESTBUILD)/fuzzcore/%.o: src/core/%.c $(CORE_HDRS) | $(TESTBUILD)
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link,address,undefined -c -o $@ $<

$(TESTBUILD)/replaycore/%.o: src/core/%.c $(CORE_HDRS) | $(TESTBUILD)
	@mkdir -p $(dir $@)
	$(CC) $(FUZZ_FLAGS) -Wall -Wextra -Werror -c -o $@ $<

$(TESTBUILD)/fuzzcore/common.o: test/fuzz/common.c test/fuzz/common.h $(CORE_HDRS) | $(TESTBUILD)
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link,address,undefined -c -o $@ $<

$(TESTBUILD)/replaycore/common.o: test/fuzz/common.c test/fuzz/common.h $(CORE_HDRS) | $(TESTBUILD)
	@mkdir -p $(dir $@)
	$(CC) $(FUZZ_FLAGS) -Wall -Wextra -Werror -c -o $@ $<

$(TESTBUILD)/fuzz_%: test/fuzz/fuzz_%.c $(FUZZ_CORE) test/fuzz/common.h
	clang $(FUZZ_FLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< $(FUZZ_CORE)

$(TESTBUILD)/replay_%: test/fuzz/fuzz_%.c test/fuzz/replay.c $(REPLAY_CORE) test/fuzz/common.h
	$(CC) $(FUZZ_FLAGS) -Wall -Wextra -Werror -o $@ $< test/fuzz/replay.c $(REPLAY_CORE)

# the round-trip property, shared by fuzz_roundtrip and the unit tests
$(TESTBUILD)/fuzz_roundtrip $(TESTBUILD)/replay_roundtrip $(TESTBUILD)/test_core $(TESTBUILD)/test_core_san: test/fuzz/roundtrip.h

.PHONY: fuzz-build
fuzz-build: $(addprefix $(TESTBUILD)/fuzz_,$(FUZZ_TARGETS)) $(addprefix $(TESTBUILD)/replay_,$(FUZZ_TARGETS))

.PHONY: check-core
check-core: $(TESTBUILD)/test_core $(TESTBUILD)/test_core_san
	$(TESTBUILD)/test_core test/data/vectors.tsv
	$(TESTBUILD)/test_core_san test/data/vectors.tsv

# ---------------------------------------------------------------------
# The C layout: PostgreSQL's (pgindent's) written down for astyle in
# .astylerc.  `make format` rewrites every tracked C file in place;
# `make format-check` lists the files it would change and fails.
# ---------------------------------------------------------------------
C_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
ASTYLE ?= astyle

.PHONY: format format-check
format:
	$(ASTYLE) --options=.astylerc --quiet $(C_FILES)

format-check:
	@out=$$($(ASTYLE) --options=.astylerc --dry-run $(C_FILES) | sed -n 's/^Formatted  */  /p'); \
	if [ -n "$$out" ]; then echo "not in the project's layout (run make format):"; echo "$$out"; exit 1; fi

# ---------------------------------------------------------------------
# The PGXN release: qrpay-X.Y.Z.zip, X.Y.Z being qrpay.control's
# default_version, a zip with one top directory qrpay-X.Y.Z/ and META.json
# at its top (PGXN Meta Spec 1.0.0, "Serialization"; PGXN Manager's How To,
# "Release It!").  git archive takes the committed tree (HEAD): no build
# output, nothing untracked.  DISTDIR: where it goes.  test/meta.sh checks
# it.  (QRPAY_VERSION, because PGXS's VERSION is the server's.)
# ---------------------------------------------------------------------
QRPAY_VERSION := $(shell sed -n "s/^default_version *= *'\([^']*\)'.*/\1/p" qrpay.control)
DISTDIR ?= .
EXTRA_CLEAN += qrpay-$(QRPAY_VERSION).zip

.PHONY: dist
dist:
	@git diff --quiet HEAD || echo "note: uncommitted changes are not in the archive (it is HEAD's tree)"
	git archive --format=zip --prefix=qrpay-$(QRPAY_VERSION)/ -o $(DISTDIR)/qrpay-$(QRPAY_VERSION).zip HEAD
