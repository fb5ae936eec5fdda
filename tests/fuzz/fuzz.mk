# In-tree fuzzing with libFuzzer (clang), included by the top Makefile.
#
#   make fuzz                       build every target, seed, run each for
#                                   FUZZ_SECONDS, report executions and coverage
#   make fuzz FUZZ_SECONDS=300      longer runs (default 30 s a target: about
#                                   3 minutes for the five, plus the build)
#   make fuzz FUZZ_TARGETS=dns      only some targets
#   make fuzz-build                 only build $(BUILD)/fuzz/fuzz_* and the seed tool
#
# Targets are tests/fuzz/fuzz_<name>.c; everything they link (the library,
# and for cliparse the parser files of cli/) is compiled again with clang,
# -fsanitize=fuzzer-no-link,address,undefined, into $(BUILD)/fuzz/obj.  The
# working corpus $(BUILD)/fuzz/corpus/<name> keeps growing from run to run;
# each run adds the seeds again (tests/fuzz/run.sh says from where).  A
# crash, leak, timeout or out-of-memory input is copied to
# tests/fuzz/regressions/<name>/ and make fuzz fails listing it; `make
# test` replays that directory (tests/test_fuzz.c).

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 30
FUZZ_TARGETS ?= decode reader dns rebuild cliparse defrag http tls dnstxn stream analyzer x509 dhcp ntp conv script vary
# Per input: seconds before a timeout, MB before an out-of-memory.
FUZZ_TIMEOUT ?= 10
FUZZ_RSS_MB ?= 2048
# Seeds from the shared capture corpus (see tests/fuzz/run.sh).
FUZZ_CORPUS ?= ../shared/corpus
FUZZ_CORPUS_FILES ?= 200
FUZZ_CORPUS_PKTS ?= 8

FZ := $(BUILD)/fuzz
FUZZ_CFLAGS := $(BASE) -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_LIB_OBJ := $(LIB_SRC:lib/%.c=$(FZ)/obj/lib/%.o)
# The CLI value parsers and what they call (not cli/main.c: no commands).
FUZZ_CLI_OBJ := $(FZ)/obj/cli/parse.o $(FZ)/obj/cli/fields.o $(FZ)/obj/cli/util.o
FUZZ_HDRS := $(HDRS) $(wildcard tests/fuzz/*.h)
FUZZ_BINS := $(FUZZ_TARGETS:%=$(FZ)/fuzz_%)

.PHONY: fuzz fuzz-build

$(FZ)/obj/%.o: %.c $(HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FZ)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB_OBJ) $(FUZZ_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(filter %.o,$^) -lz
$(FZ)/fuzz_cliparse: $(FUZZ_CLI_OBJ)
$(FZ)/fuzz_script: $(FZ)/obj/cli/script.o
$(FZ)/fuzz_vary: $(FUZZ_CLI_OBJ) $(FZ)/obj/cli/vary.o

# The seed splitter runs on the same objects; it has its own main().
$(FZ)/fuzz-seeds: tests/fuzz/seeds.c $(FUZZ_LIB_OBJ) $(FUZZ_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -o $@ $< $(filter %.o,$^) -lz

fuzz-build: $(FUZZ_BINS) $(FZ)/fuzz-seeds

fuzz: fuzz-build
	@FZ='$(FZ)' FUZZ_SECONDS='$(FUZZ_SECONDS)' FUZZ_TIMEOUT='$(FUZZ_TIMEOUT)' FUZZ_RSS_MB='$(FUZZ_RSS_MB)' \
	FUZZ_CORPUS='$(FUZZ_CORPUS)' FUZZ_CORPUS_FILES='$(FUZZ_CORPUS_FILES)' FUZZ_CORPUS_PKTS='$(FUZZ_CORPUS_PKTS)' \
	tests/fuzz/run.sh $(FUZZ_TARGETS)
