# konseki — one non-recursive GNU Makefile.
#   make                 build/konseki (+ build/konseki-gen, the traffic generator)
#   make SAN=address,undefined   sanitizer build in build/asan/
#   make check           unit + golden + conformance + fuzz-corpus replay, plain and ASan/UBSan
#   make demo            generate traffic, ingest it, query it, extract packets
#   make bench           ingest throughput vs cp and tshark (>= 1 GB generated mix),
#                        live capture's zero-drop rate vs tcpdump (bench-capture: that alone),
#                        IOC retro-matching vs tshark/tcpdump rescans (bench-ioc: that alone),
#                        every hunt and the report over 1M sessions (bench-hunt: that alone)
#   make fuzz            libFuzzer harnesses under clang (FUZZ_SECONDS per harness)

PKGS     := libpcap sqlite3 libzstd libcrypto zlib libpcre2-8 libpsl
CC       ?= cc
ifeq ($(origin CC),default)
CC       := gcc
endif

WARN     := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes -Wvla
ifdef CI
WARN     += -Werror
endif
ifdef WERROR
WARN     += -Werror
endif

ifdef SAN
BUILD    ?= build/asan
OPT      := -O1 -g -fno-omit-frame-pointer -fsanitize=$(SAN) -fno-sanitize-recover=all
LDSAN    := -fsanitize=$(SAN)
else
BUILD    ?= build
OPT      := -O2 -g -D_FORTIFY_SOURCE=2
LDSAN    :=
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CPPFLAGS := -Isrc -D_DEFAULT_SOURCE -D_FILE_OFFSET_BITS=64 $(PKG_CFLAGS)
CFLAGS   := -std=c11 $(WARN) $(OPT) -MMD -MP
LDLIBS   := $(PKG_LIBS) -lm -lpthread

LIB_SRC  := $(filter-out src/cli/%,$(wildcard src/*/*.c))
CLI_SRC  := $(wildcard src/cli/*.c)
GEN_SRC  := $(wildcard tools/gen/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c) tests/unit/t.c tests/unit/t_pcap.c
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/hunt_builtin.o
HUNT_FILES := $(sort $(wildcard hunts/*.hunt))
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
GEN_OBJ  := $(GEN_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_OBJ := $(UNIT_SRC:%.c=$(BUILD)/obj/%.o)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)

LIB      := $(BUILD)/libkonseki.a
BIN      := $(BUILD)/konseki
GEN      := $(BUILD)/konseki-gen
UNIT     := $(BUILD)/unit-tests

.PHONY: all deps demo check check-plain check-asan unit golden conformance fuzz-replay \
        bench bench-capture bench-ioc bench-hunt fuzz fmt lint clean golden-update

all: $(BIN) $(GEN) $(UNIT) $(FUZZ_BIN)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# The built-in hunt files, embedded into the library (scripts/embed-hunts).
$(BUILD)/gen/hunt_builtin.c: $(HUNT_FILES) scripts/embed-hunts
	@mkdir -p $(@D)
	scripts/embed-hunts $(HUNT_FILES) > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/gen/hunt_builtin.o: $(BUILD)/gen/hunt_builtin.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BIN): $(CLI_OBJ) $(LIB)
	$(CC) $(LDSAN) -o $@ $(CLI_OBJ) $(LIB) $(LDLIBS)

$(GEN): $(GEN_OBJ) $(LIB)
	$(CC) $(LDSAN) -o $@ $(GEN_OBJ) $(LIB) $(LDLIBS)

$(UNIT): $(UNIT_OBJ) $(LIB)
	$(CC) $(LDSAN) -o $@ $(UNIT_OBJ) $(LIB) $(LDLIBS)

# Fuzz harnesses: under gcc they link the standalone driver that replays a corpus.
$(BUILD)/fuzz/%: $(BUILD)/obj/tests/fuzz/%.o $(BUILD)/obj/tests/fuzz/driver.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDSAN) -o $@ $< $(BUILD)/obj/tests/fuzz/driver.o $(LIB) $(LDLIBS)

deps:
	@scripts/install-deps

# ---------------------------------------------------------------- tests
check: deps
	@tests/run-all.sh

# The pieces run-all.sh calls (each prints its own "N passed, N failed").
unit: $(UNIT)
	@$(UNIT)

golden: $(BIN) $(GEN)
	@tests/golden/run.sh $(BUILD)

golden-update: $(BIN) $(GEN)
	@UPDATE=1 tests/golden/run.sh $(BUILD)

conformance: $(BIN)
	@tests/conformance/run.py $(BUILD)/konseki

fuzz-replay: $(FUZZ_BIN)
	@tests/fuzz/replay.sh $(BUILD)

# ---------------------------------------------------------------- demo, bench, fuzz
demo: deps $(BIN) $(GEN)
	@scripts/demo.sh $(BUILD)

bench: $(BIN) $(GEN)
	@scripts/install-deps --bench
	@bench/ingest.py $(BUILD)
	@bench/capture.py $(BUILD)
	@bench/ioc.py $(BUILD)
	@bench/hunt.py $(BUILD)

# Every hunt and the store report over BENCH_HUNT_SESSIONS sessions (default 1,000,000).
bench-hunt: $(BIN) $(GEN)
	@scripts/install-deps --bench
	@bench/hunt.py $(BUILD)

# IOC retro-matching alone: 10,000 and 100,000 indicators over BENCH_IOC_SESSIONS sessions.
bench-ioc: $(BIN) $(GEN)
	@scripts/install-deps --bench
	@bench/ioc.py $(BUILD)

# Live capture alone: highest zero-drop replay rate, konseki capture next to tcpdump -w (root).
bench-capture: $(BIN) $(GEN)
	@scripts/install-deps --bench
	@bench/capture.py $(BUILD)

FUZZ_SECONDS ?= 60
fuzz:
	@tests/fuzz/run-libfuzzer.sh $(FUZZ_SECONDS)

fmt:
	clang-format -i $$(find src tests tools -name '*.[ch]')

lint:
	clang-format --dry-run --Werror $$(find src tests tools -name '*.[ch]')

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(GEN_OBJ:.o=.d) $(UNIT_OBJ:.o=.d) \
         $(FUZZ_SRC:%.c=$(BUILD)/obj/%.d) $(BUILD)/obj/tests/fuzz/driver.d
