# pktcraft build.  `make` builds the release library and CLI; `make test`
# installs missing packages, builds release and sanitizer (ASan+UBSan)
# trees and runs every test against the sanitized build; `make demo` shows
# the main job end to end.

PREFIX ?= /usr/local
CC ?= cc
VERSION := 0.1.0

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-missing-field-initializers
BASE := -std=c11 -D_DEFAULT_SOURCE -D_FILE_OFFSET_BITS=64 -Iinclude -fPIC $(WARN)
# Link-time optimisation lets the small per-protocol functions inline into
# the decode and build loops across files (about 30% on scripts/bench).
REL_CFLAGS := $(BASE) -O2 -g -flto=auto
AR := gcc-ar
SAN_CFLAGS := $(BASE) -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
SAN_LDFLAGS := -fsanitize=address,undefined

LIB_SRC := $(sort $(wildcard lib/*/*.c))
CLI_SRC := $(sort $(wildcard cli/*.c))
TEST_SRC := $(sort $(wildcard tests/test_*.c))
HDRS := $(wildcard include/pktcraft/*.h include/pktcraft/*/*.h) $(wildcard lib/*.h lib/*/*.h) $(wildcard cli/*.h) $(wildcard tests/*.h)
# libpcap is not linked: cli/filter.c opens it with dlopen when a BPF
# filter is given (-ldl for glibc before 2.34, where dlopen lived there).
LDLIBS := -lz -ldl
TEST_LDLIBS := -lcriterion -lnet -lpcap -lz

# BUILD lets several trees coexist (a helper, a CI rehearsal): make BUILD=b2
BUILD ?= build
R := $(BUILD)/rel
S := $(BUILD)/asan

REL_LIB_OBJ := $(LIB_SRC:lib/%.c=$(R)/lib/%.o)
SAN_LIB_OBJ := $(LIB_SRC:lib/%.c=$(S)/lib/%.o)
REL_CLI_OBJ := $(CLI_SRC:cli/%.c=$(R)/cli/%.o)
SAN_CLI_OBJ := $(CLI_SRC:cli/%.c=$(S)/cli/%.o)
SAN_TEST_OBJ := $(TEST_SRC:tests/%.c=$(S)/tests/%.o)
# examples/NAME.c: one program per function of the dpkt seed, built only
# from the installed API (<pktcraft/pktcraft.h>); tests/test_examples.c
# runs the sanitized ones (PKTCRAFT_EXAMPLES) against the CLI and tshark.
EX_NAMES := $(sort $(patsubst examples/%.c,%,$(wildcard examples/*.c)))
REL_EX := $(EX_NAMES:%=$(R)/examples/%)
SAN_EX := $(EX_NAMES:%=$(S)/examples/%)

.PHONY: all examples deps demo demo-run test test-run lint install clean bench bench-deps golden-regen
# The bench programs are built with the rest so that tests/test_bench.c can
# run scripts/bench --quick; only make bench times them.
BENCH_BIN := $(R)/pc-bench $(R)/bench-walk $(R)/bench-run $(R)/bench-plain $(R)/bench-libnet $(R)/bench-decode
all: $(R)/libpktcraft.a $(R)/libpktcraft.so $(R)/pktcraft $(BENCH_BIN) $(REL_EX)
examples: $(REL_EX) $(SAN_EX)

deps:
	@scripts/deps.sh

$(R)/lib/%.o: lib/%.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(REL_CFLAGS) -c $< -o $@
$(R)/cli/%.o: cli/%.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(REL_CFLAGS) -c $< -o $@
$(S)/lib/%.o: lib/%.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -c $< -o $@
$(S)/cli/%.o: cli/%.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -c $< -o $@
$(S)/tests/%.o: tests/%.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -c $< -o $@

$(R)/libpktcraft.a: $(REL_LIB_OBJ)
	rm -f $@; $(AR) rcs $@ $^
$(R)/libpktcraft.so: $(REL_LIB_OBJ)
	$(CC) $(REL_CFLAGS) -shared -Wl,-soname,libpktcraft.so.0 -o $@ $^ -lz
$(R)/pktcraft: $(REL_CLI_OBJ) $(R)/libpktcraft.a
	$(CC) $(REL_CFLAGS) -o $@ $(REL_CLI_OBJ) $(R)/libpktcraft.a $(LDLIBS)
$(R)/pc-bench: scripts/pc-bench.c $(R)/libpktcraft.a $(HDRS)
	$(CC) $(REL_CFLAGS) -o $@ $< $(R)/libpktcraft.a -lz -ldl
$(R)/bench-decode: scripts/bench-decode.c $(R)/libpktcraft.a $(HDRS)
	$(CC) $(REL_CFLAGS) -o $@ $< $(R)/libpktcraft.a -lz

# The C baselines of scripts/bench: none links pktcraft.
$(R)/bench-walk: scripts/bench-walk.c
	@mkdir -p $(@D)
	$(CC) $(REL_CFLAGS) -o $@ $< -lpcap
$(R)/bench-run: scripts/bench-run.c
	@mkdir -p $(@D)
	$(CC) $(REL_CFLAGS) -o $@ $<
# The start-up floor (plain libc, no pktcraft): what a one-packet run and
# --version are compared against.
$(R)/bench-plain: scripts/bench-plain.c
	@mkdir -p $(@D)
	$(CC) $(REL_CFLAGS) -o $@ $<
$(R)/bench-libnet: scripts/bench-libnet.c
	@mkdir -p $(@D)
	$(CC) $(REL_CFLAGS) -o $@ $< -lnet

$(R)/examples/%: examples/%.c $(R)/libpktcraft.a $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(REL_CFLAGS) -o $@ $< $(R)/libpktcraft.a -lz
$(S)/examples/%: examples/%.c $(S)/libpktcraft.a $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -o $@ $< $(S)/libpktcraft.a -lz

$(S)/libpktcraft.a: $(SAN_LIB_OBJ)
	rm -f $@; $(AR) rcs $@ $^
$(S)/pktcraft: $(SAN_CLI_OBJ) $(S)/libpktcraft.a
	$(CC) $(SAN_LDFLAGS) -o $@ $(SAN_CLI_OBJ) $(S)/libpktcraft.a $(LDLIBS)
$(S)/pktcraft-tests: $(SAN_TEST_OBJ) $(S)/libpktcraft.a
	$(CC) $(SAN_LDFLAGS) -o $@ $(SAN_TEST_OBJ) $(S)/libpktcraft.a $(TEST_LDLIBS)

# The whole suite runs against the sanitized library and CLI; the release
# tree is built too so that -O2 warnings fail the build as well.
# deps first, then everything else (so make -j never compiles before the
# headers are installed); lint before the tests, which take minutes.
test: deps
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory test-run

# cppcheck and clang-tidy, zero findings (checks and reasons: .clang-tidy,
# scripts/lint/run); every test suite has a timeout (scripts/check-timeouts).
lint:
	@scripts/lint/run
test-run: all $(S)/pktcraft $(S)/pktcraft-tests $(SAN_EX)
	PKTCRAFT=$(CURDIR)/$(S)/pktcraft PKTCRAFT_REL=$(abspath $(R))/pktcraft PKTCRAFT_ROOT=$(CURDIR) \
	PKTCRAFT_BUILD_DIR=$(abspath $(BUILD)) PKTCRAFT_EXAMPLES=$(abspath $(S))/examples \
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:abort_on_error=1 \
	$(S)/pktcraft-tests --jobs 2 --verbose

demo: deps
	@$(MAKE) --no-print-directory demo-run
demo-run: $(R)/pktcraft
	$(R)/pktcraft syn --src 192.168.1.1 --dst 192.168.1.2 -o out.pcap
	@echo "--- pktcraft read out.pcap"
	@$(R)/pktcraft read out.pcap
	@echo "--- pktcraft read --format jsonl out.pcap"
	@$(R)/pktcraft read --format jsonl out.pcap

# scripts/bench: its own packages (tcpdump, tshark, dpkt, scapy, libnet),
# never installed by make test; libnet is optional (its row is then skipped).
# BENCH_ARGS passes options, e.g. make bench BENCH_ARGS=--quick
bench-deps:
	@scripts/deps.sh bench
bench: bench-deps
	@$(MAKE) --no-print-directory $(R)/pktcraft $(R)/pc-bench $(R)/bench-walk $(R)/bench-run $(R)/bench-plain
	@$(MAKE) --no-print-directory $(R)/bench-libnet || echo "bench: bench-libnet not built (libnet missing): its row is skipped"
	scripts/bench $(BENCH_ARGS)

golden-regen: $(R)/pktcraft
	scripts/golden-regen

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/pktcraft $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 755 $(R)/pktcraft $(DESTDIR)$(PREFIX)/bin/pktcraft
	install -m 644 $(R)/libpktcraft.a $(DESTDIR)$(PREFIX)/lib/libpktcraft.a
	install -m 755 $(R)/libpktcraft.so $(DESTDIR)$(PREFIX)/lib/libpktcraft.so.$(VERSION)
	ln -sf libpktcraft.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libpktcraft.so.0
	ln -sf libpktcraft.so.0 $(DESTDIR)$(PREFIX)/lib/libpktcraft.so
	install -m 644 include/pktcraft/*.h $(DESTDIR)$(PREFIX)/include/pktcraft/
	for d in include/pktcraft/*/; do install -d $(DESTDIR)$(PREFIX)/$$d && install -m 644 $$d*.h $(DESTDIR)$(PREFIX)/$$d; done
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' pktcraft.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/pktcraft.pc

# Fuzz targets and make fuzz (libFuzzer with clang).
-include tests/fuzz/fuzz.mk

clean:
	rm -rf $(BUILD) out.pcap
