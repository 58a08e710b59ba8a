# Builds the libFuzzer harnesses of tests/fuzz/ into $(FUZZ_BUILD) (default
# build/fuzz). tests/fuzz/run.sh drives it; run from the repository root:
#     make -f tests/fuzz/fuzz.mk
# The code under test is compiled once with -fsanitize=fuzzer-no-link (so
# libFuzzer sees its branches) and linked into every harness.

FUZZ_CC ?= clang
FUZZ_BUILD ?= build/fuzz
PKGS := libcurl libcjson libmicrohttpd

FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
            -fno-omit-frame-pointer
WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
        -Wmissing-prototypes -Wvla -Werror
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS := $(shell pkg-config --libs $(PKGS))
CPPFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -Imockserver -Ilabs/common \
            -Isolutions/lab05-budget -Isolutions/lab02-metrics -Itests/fuzz $(PKG_CFLAGS) -MMD -MP
CFLAGS := -g -O1 $(WARN) $(FUZZ_SAN)

# What the harnesses test: the mock server's modules (not main.c, nor the
# libmicrohttpd glue in server.c: no harness goes through the network), the
# provided library, and lab 5's reference budget (its usage-log reader).
SUT_SRCS := $(filter-out mockserver/main.c mockserver/server.c,$(wildcard mockserver/*.c)) \
            $(wildcard labs/common/*.c) solutions/lab05-budget/budget.c \
            $(filter-out %_main.c,$(wildcard solutions/lab02-metrics/*.c))
SUT_OBJS := $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(SUT_SRCS))
HARNESSES := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
BINS := $(addprefix $(FUZZ_BUILD)/,$(HARNESSES))

.PHONY: all
all: $(BINS)

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_BUILD)/libsut.a: $(SUT_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/obj/tests/fuzz/fuzz_%.o $(FUZZ_BUILD)/libsut.a
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer $^ $(PKG_LIBS) -lm -pthread -o $@

-include $(shell find $(FUZZ_BUILD)/obj -name '*.d' 2>/dev/null)
.SECONDARY:
