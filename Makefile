# The lab kit's one Makefile. `make help` lists the targets.
#
# Layout of what it builds (all under $(BUILD), default build/):
#   mockserver                 the mock provider server
#   libkit.a                   the provided library, labs/common
#   tests/test_*               the kit's own test programs (mock server, library)
#   sol/test_labNN             lab NN's graded tests linked with solutions/
#   lab/test_labNN             the same tests linked with the learner's labs/
#   sol/labNN/PROG, lab/labNN/PROG   the lab's programs (files named *_main.c)
#
# A lab's graded tests link that lab's files from one tree and the files of
# the labs it builds on from solutions/, so a broken lab 1 never makes lab 3
# ungradeable. The learner's own programs link the learner's whole stack.

CC ?= cc
SANITIZE ?= 0
PKGS := libcurl libcjson cmocka libmicrohttpd

# Each compiler and sanitizer setting gets its own tree, so switching does
# not mix objects.
VARIANT := $(if $(filter-out cc gcc,$(notdir $(CC))),-$(notdir $(CC)))$(if $(filter 1,$(SANITIZE)),-san)
BUILD ?= build$(if $(VARIANT),/variant$(VARIANT))

WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
        -Wmissing-prototypes -Wvla -Werror
OPT ?= -O2 -g
SANITIZERS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_FLAGS := $(if $(filter 1,$(SANITIZE)),$(SANITIZERS))
# Recursive (=) on purpose: pkg-config runs when a recipe needs it, after
# the deps target has had the chance to install what is missing.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS = $(shell pkg-config --libs $(PKGS))

# The learner's tree. The grader points it at a copy of a submission.
LABS_DIR ?= labs
LAB_DIRS := $(sort $(wildcard labs/lab[0-9][0-9]-*))
LAB_IDS := $(foreach d,$(LAB_DIRS),$(patsubst lab%,%,$(firstword $(subst -, ,$(notdir $(d))))))
INCLUDES := -Ilabs/common -Itests/harness $(addprefix -I,$(LAB_DIRS))
CPPFLAGS += -std=c11 -D_POSIX_C_SOURCE=200809L $(INCLUDES) -MMD -MP
CFLAGS += $(OPT) $(WARN) $(SAN_FLAGS)
LDFLAGS += $(SAN_FLAGS) -pthread

# Which earlier labs each lab builds on (their files come from solutions/ in
# graded builds).
LAB_DEPS_02 :=
LAB_DEPS_03 := 01 02
LAB_DEPS_04 := 01 02 03
LAB_DEPS_05 := 02
LAB_DEPS_06 := 01 02 03
LAB_DEPS_07 := 01
LAB_DEPS_08 := 01 02 03 05 06 07

OBJ := $(BUILD)/obj
obj_of = $(patsubst %.c,$(OBJ)/%.o,$(1))

# ---- sources ---------------------------------------------------------------

MOCK_SRCS := $(wildcard mockserver/*.c)
MOCK_LIB_OBJS := $(call obj_of,$(filter-out mockserver/main.c,$(MOCK_SRCS)))
KIT_SRCS := $(wildcard labs/common/*.c)
HARNESS_SRCS := $(wildcard tests/harness/*.c)
HARNESS_OBJS := $(call obj_of,$(HARNESS_SRCS))
KIT_TESTS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/test_mock_*.c tests/test_unit_*.c tests/test_common*.c))

lab_dir = $(firstword $(wildcard $(2)/lab$(1)-*))
# solutions/ holds what the learner writes (and the frozen headers); the
# files a lab gives the learner live once, in labs/, and both builds use them.
tree_srcs = $(wildcard $(call lab_dir,$(1),$(2))/*.c)
given_srcs = $(filter-out $(addprefix %/,$(notdir $(call tree_srcs,$(1),solutions))),$(call tree_srcs,$(1),labs))
lab_srcs = $(if $(filter solutions,$(2)),$(call tree_srcs,$(1),solutions) $(call given_srcs,$(1)),$(call tree_srcs,$(1),$(2)))
lab_lib_srcs = $(filter-out %_main.c,$(call lab_srcs,$(1),$(2)))
lab_main = $(filter %/$(3)_main.c,$(call lab_srcs,$(1),$(2)))
lab_progs = $(patsubst %_main.c,%,$(notdir $(wildcard $(call lab_dir,$(1),labs)/*_main.c)))
# The learner's handout (make handout) has no solutions/: there the earlier
# labs come from the prebuilt reference archives in $(REF_DIR).
REF_DIR := labs/common/ref
HAVE_SOLUTIONS := $(wildcard solutions/lab[0-9][0-9]-*)
# Archives link in reverse order (lab 3's uses lab 1's, so it comes first).
reverse = $(if $(1),$(call reverse,$(wordlist 2,$(words $(1)),$(1))) $(firstword $(1)))
lab_dep_objs = $(if $(HAVE_SOLUTIONS),$(foreach d,$(LAB_DEPS_$(1)),$(call obj_of,$(call lab_lib_srcs,$(d),solutions))),$(foreach d,$(call reverse,$(LAB_DEPS_$(1))),$(REF_DIR)/liblab$(d).a))
lab_own_dep_objs = $(foreach d,$(LAB_DEPS_$(1)),$(call obj_of,$(call lab_lib_srcs,$(d),$(2))))
LAB_TESTS := $(foreach n,$(LAB_IDS),$(if $(wildcard tests/test_lab$(n).c),$(n)))

SOL_TEST_BINS := $(if $(HAVE_SOLUTIONS),$(foreach n,$(LAB_TESTS),$(BUILD)/sol/test_lab$(n)))
LAB_TEST_BINS := $(foreach n,$(LAB_TESTS),$(BUILD)/lab/test_lab$(n))
PROG_BINS := $(foreach n,$(LAB_IDS),$(foreach p,$(call lab_progs,$(n)),$(if $(HAVE_SOLUTIONS),$(BUILD)/sol/lab$(n)/$(p)) $(BUILD)/lab/lab$(n)/$(p)))

# ---- top-level targets -------------------------------------------------------

# Keep the objects that pattern rules chain through (tests/%.o).
.SECONDARY:

.PHONY: all deps test check grade demo mock format format-check clean help \
        headers-check starter-check run watch progress handout gradescope \
        grader-selftest mutants metrics-demo

all: $(BUILD)/mockserver $(BUILD)/libkit.a $(KIT_TESTS) $(SOL_TEST_BINS) \
     $(LAB_TEST_BINS) $(PROG_BINS)

help:
	@echo "The lab kit. Targets:"
	@echo "  make demo [OUTAGE=1]  the capstone: 2,847 router configs through the full client"
	@echo "                     on the mock server, leaving headroom for a chatbot"
	@echo "                     (OUTAGE=1: the same batch without the limiter)"
	@echo "  make test          the kit's whole suite: mock server, library, every lab's"
	@echo "                     reference solution, the starter check, the grader, mutants"
	@echo "For learners:"
	@echo "  make check LAB=N   grade your lab N (labs/) and stop at the first failure"
	@echo "  make watch LAB=N   rerun lab N's tests whenever you save"
	@echo "  make grade [LAB=N] grade every lab (or one) of labs/: a score table"
	@echo "  make progress      which labs are done"
	@echo "  make run LAB=N PROG=NAME [ARGS=...]   run a lab program built from your code"
	@echo "  make mock          run the mock server in the foreground (port 8080)"
	@echo "  make metrics-demo [SOL=1]   lab 6: a workload's metrics at localhost:8000/metrics"
	@echo "For instructors (see tests/grader/README.md):"
	@echo "  make grade SUBMISSION=DIR | SUBMISSIONS=DIR   grade one learner or a class"
	@echo "  make handout       the learner's distribution (no solutions, no hidden tests)"
	@echo "  make gradescope    a Gradescope autograder zip"
	@echo "  make mutants       prove the tests catch plausible wrong solutions"
	@echo "Quality:"
	@echo "  make bench         benchmarks against nginx and plain libcurl"
	@echo "  make fuzz          libFuzzer on every parser (FUZZ_SECONDS each)"
	@echo "  make memcheck      tests under valgrind, mock server included"
	@echo "  make soak          256 connections on the mock server (SOAK_SECONDS)"
	@echo "  make crash-test    SIGKILL a usage-log writer 200 times; 8 threads on a budget"
	@echo "  make format / format-check   clang-format the sources / check them"
	@echo "  make clean         remove build/"
	@echo "Variables: CC=clang, SANITIZE=1 (ASan+UBSan)."

deps:
	@sh tests/tools/deps.sh

# ---- compiling ---------------------------------------------------------------

$(OBJ)/%.o: %.c | deps
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/mockserver: $(call obj_of,$(MOCK_SRCS))
	$(CC) $(LDFLAGS) $^ $(PKG_LIBS) -lm -o $@

$(BUILD)/libkit.a: $(call obj_of,$(KIT_SRCS))
	@rm -f $@
	ar rcs $@ $^

# The kit's own tests link the harness, the library and the mock server's
# modules (for white-box unit tests of those modules).
$(BUILD)/tests/%: $(OBJ)/tests/%.o $(HARNESS_OBJS) $(MOCK_LIB_OBJS) $(BUILD)/libkit.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $< $(HARNESS_OBJS) $(MOCK_LIB_OBJS) $(BUILD)/libkit.a $(PKG_LIBS) -lm -o $@

# Graded test programs, one rule pair per lab.
define lab_rules
$(BUILD)/sol/test_lab$(1): $(OBJ)/tests/test_lab$(1).o $(call obj_of,$(call lab_lib_srcs,$(1),solutions)) $(call lab_dep_objs,$(1)) $(HARNESS_OBJS) $(BUILD)/libkit.a
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) $$^ $$(PKG_LIBS) -lm -o $$@

$(BUILD)/lab/test_lab$(1): $(OBJ)/tests/test_lab$(1).o $(call obj_of,$(call lab_lib_srcs,$(1),$(LABS_DIR))) $(call lab_dep_objs,$(1)) $(HARNESS_OBJS) $(BUILD)/libkit.a
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) $$^ $$(PKG_LIBS) -lm -o $$@

$(foreach p,$(call lab_progs,$(1)),
$(BUILD)/sol/lab$(1)/$(p): $(call obj_of,$(call lab_main,$(1),solutions,$(p))) $(call obj_of,$(call lab_lib_srcs,$(1),solutions)) $(call lab_own_dep_objs,$(1),solutions) $(BUILD)/libkit.a
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) $$^ $$(PKG_LIBS) -lm -o $$@

$(BUILD)/lab/lab$(1)/$(p): $(call obj_of,$(call lab_main,$(1),$(LABS_DIR),$(p))) $(call obj_of,$(call lab_lib_srcs,$(1),$(LABS_DIR))) $(call lab_own_dep_objs,$(1),$(LABS_DIR)) $(BUILD)/libkit.a
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) $$^ $$(PKG_LIBS) -lm -o $$@
)
endef
$(foreach n,$(LAB_IDS),$(eval $(call lab_rules,$(n))))

# ---- running -----------------------------------------------------------------

RUN_ENV := MOCKSERVER=$(BUILD)/mockserver

test: all headers-check format-check
	@sh tests/tools/secrets-check.sh
	@$(RUN_ENV) sh tests/tools/run-tests.sh $(KIT_TESTS) $(SOL_TEST_BINS)
	@$(RUN_ENV) sh tests/tools/starter-check.sh $(LAB_TEST_BINS)
	@$(CRASH_TEST) >$(BUILD)/crash/last.txt 2>&1; rc=$$?; cat $(BUILD)/crash/last.txt; \
	    counts=$$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$$/\1 \2/p' $(BUILD)/crash/last.txt); \
	    sh tests/grader/tally.sh $(BUILD)/test-tally crash-test $${counts:-0 1}; exit $$rc
	@$(MAKE) --no-print-directory grader-selftest
	@$(MAKE) --no-print-directory mutants
	@sh tests/grader/tally.sh $(BUILD)/test-tally

headers-check:
	@sh tests/tools/headers-check.sh

LAB ?=
# The grader (tests/grader/README.md) builds each lab on its own, so a lab
# that does not compile fails as a "build" entry and never blocks the others.
# Results on request: RESULTS=DIR (all four formats) or JSON=, JUNIT=, TAP=,
# MARKDOWN= (one file each).
GRADER = MAKE="$(MAKE)" BUILD="$(BUILD)" sh tests/grader/grade.sh
GRADER_OUT = $(if $(RESULTS),--out $(RESULTS)) $(if $(JSON),--json $(JSON)) \
             $(if $(JUNIT),--junit $(JUNIT)) $(if $(TAP),--tap $(TAP)) \
             $(if $(MARKDOWN),--markdown $(MARKDOWN))
check:
	@test -n "$(LAB)" || { echo "usage: make check LAB=N (N: one of $(LAB_IDS))"; exit 2; }
	@$(GRADER) --view check --first-failure $(GRADER_OUT) $(LAB)

# make grade [LAB=N] [SUBMISSION=DIR | SUBMISSIONS=DIR] [RESULTS=DIR]
grade:
	@$(if $(SUBMISSIONS),MAKE="$(MAKE)" BUILD="$(BUILD)" sh tests/grader/batch.sh $(SUBMISSIONS) $(or $(RESULTS),$(BUILD)/batch) $(LAB),$(GRADER) $(if $(SUBMISSION),--submission $(SUBMISSION)) $(GRADER_OUT) $(LAB))

watch:
	@test -n "$(LAB)" || { echo "usage: make watch LAB=N"; exit 2; }
	@MAKE="$(MAKE)" BUILD="$(BUILD)" sh tests/grader/watch.sh $(LAB)

progress:
	@$(GRADER) --view progress; test $$? -ne 2

handout:
	@MAKE="$(MAKE)" BUILD="$(BUILD)" sh tests/grader/handout.sh $(BUILD)/handout

gradescope:
	@MAKE="$(MAKE)" BUILD="$(BUILD)" sh tests/grader/gradescope.sh $(BUILD)/gradescope

$(BUILD)/grader/runner: tests/grader/runner.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_POSIX_C_SOURCE=200809L $(WARN) $(OPT) $< -o $@

$(BUILD)/grader/check_results: tests/grader/check_results.c | deps
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_POSIX_C_SOURCE=200809L $(WARN) $(OPT) $(PKG_CFLAGS) $< $(PKG_LIBS) -o $@

grader-selftest: $(BUILD)/grader/check_results
	@MAKE="$(MAKE)" BUILD="$(BUILD)" sh tests/grader/selftest.sh

mutants:
	@MAKE="$(MAKE)" BUILD="$(BUILD)" sh tests/grader/mutants.sh $(LAB)

PROG ?=
run: all
	@test -n "$(LAB)" -a -n "$(PROG)" || { echo "usage: make run LAB=N PROG=NAME"; exit 2; }
	@$(BUILD)/lab/lab$(shell printf %02d $(LAB))/$(PROG) $(ARGS)

demo: all
	@$(RUN_ENV) sh tests/tools/demo.sh $(BUILD) $(if $(filter 1,$(OUTAGE)),outage)

# The lab 6 workload served at /metrics (your lab 6; SOL=1: the reference).
METRICS_PORT ?= 8000
METRICS_SECONDS ?= 300
metrics-demo: all
	@sh tests/tools/metrics-demo.sh $(BUILD) $(if $(filter 1,$(SOL)),sol,lab) $(METRICS_PORT) $(METRICS_SECONDS)

mock: $(BUILD)/mockserver
	$(BUILD)/mockserver --port 8080

FORMAT_SRCS = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	clang-format -i $(FORMAT_SRCS)

format-check:
	@clang-format --dry-run --Werror $(FORMAT_SRCS) && echo "format-check: every C file matches .clang-format"

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# ---- benchmarks (issue 8; tests/bench/README.md) ------------------------------
# make bench: builds what the suite needs, then tests/bench/run.sh runs the
# benchmarks and writes $(BUILD)/bench/results.md. The driver builds the
# programs below itself (one make call each), so one that does not build is
# reported in the table instead of stopping the run.
BENCH_DIR := $(BUILD)/bench
BENCH_WRAP_OBJ := $(OBJ)/tests/bench/slept_wrap.o

.PHONY: bench
bench:
	@MAKE="$(MAKE)" BUILD="$(BUILD)" LAB_TESTS="$(LAB_TESTS)" sh tests/bench/run.sh

# Benchmark 3: the lab 3 reference client against a plain libcurl loop.
$(BENCH_DIR)/client_bench: $(OBJ)/tests/bench/client_bench.o $(call obj_of,$(call lab_lib_srcs,03,solutions)) $(call lab_dep_objs,03) $(BUILD)/libkit.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $^ $(PKG_LIBS) -lm -o $@

# Benchmark 4: the graded tests linked with the solutions, as for
# $(BUILD)/sol/test_labNN, plus a wrapper that logs each fake clock's sleeps.
define bench_slept_rule
$(BENCH_DIR)/slept/test_lab$(1): $(OBJ)/tests/test_lab$(1).o $(call obj_of,$(call lab_lib_srcs,$(1),solutions)) $(call lab_dep_objs,$(1)) $(HARNESS_OBJS) $(BUILD)/libkit.a $(BENCH_WRAP_OBJ)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -Wl,--wrap=fake_clock_destroy $$^ $$(PKG_LIBS) -lm -o $$@
endef
$(foreach n,$(LAB_TESTS),$(eval $(call bench_slept_rule,$(n))))
# ---- end of benchmarks ------------------------------------------------------------

# ---- fuzzing (tests/fuzz/, issue 7) -------------------------------------------
# libFuzzer harnesses for every parser that reads outside input, built with
# clang into build/fuzz/ (tests/fuzz/fuzz.mk). `make fuzz` runs each for
# FUZZ_SECONDS; `make fuzz-smoke` runs each over its committed seeds plus a
# short burst (about 15 s in all, plus a first build), and `make test`
# includes it.
FUZZ_SECONDS ?= 60
.PHONY: fuzz fuzz-smoke
fuzz:
	@FUZZ_SECONDS=$(FUZZ_SECONDS) MAKE="$(MAKE)" sh tests/fuzz/run.sh
fuzz-smoke:
	@MAKE="$(MAKE)" sh tests/fuzz/run.sh smoke
test: fuzz-smoke
# ---- end of fuzzing -------------------------------------------------------------

# ---- reliability (issue 7): crash test, soak, memcheck --------------------------
# crash-test (in make test): SIGKILLs a usage-log writer 200 times and checks
# the log and the budget rebuilt from it; 8 threads x 1,000 budget calls.
# soak: wrk, 256 connections, SOAK_SECONDS (default 30) against the mock
# server; figures in $(BUILD)/soak/results.txt. memcheck: the reference
# solutions' tests and the mock server's tests under valgrind, servers
# included. soak and memcheck take minutes, so they are named targets only.
CRASH_TEST := $(BUILD)/crash/crash_test
CRASH_SRCS := tests/crash/crash_test.c solutions/lab07-ratelimit/usage_log.c \
              solutions/lab05-budget/budget.c solutions/lab02-metrics/pricing.c
SOAK_SECONDS ?= 30
MEMCHECK_BINS = $(SOL_TEST_BINS) $(filter $(BUILD)/tests/test_mock_%,$(KIT_TESTS))

.PHONY: crash-test soak memcheck
$(CRASH_TEST): $(call obj_of,$(CRASH_SRCS)) $(BUILD)/libkit.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $^ $(PKG_LIBS) -lm -o $@

crash-test: $(CRASH_TEST)
	@$(CRASH_TEST)

soak: $(BUILD)/mockserver
	@SOAK_SECONDS=$(SOAK_SECONDS) sh tests/tools/soak.sh $(BUILD)

memcheck: $(BUILD)/mockserver $(MEMCHECK_BINS)
	@test "$(SANITIZE)" != 1 || { echo "memcheck: valgrind cannot run sanitizer builds; drop SANITIZE=1"; exit 2; }
	@MOCKSERVER=$(BUILD)/mockserver sh tests/tools/memcheck.sh $(BUILD) $(MEMCHECK_BINS)

test: $(CRASH_TEST)
# ---- end of reliability -----------------------------------------------------------
