#!/bin/sh
# Builds the libFuzzer harnesses of tests/fuzz/ into build/fuzz/ and runs
# them, one after the other, from the repository root:
#
#   sh tests/fuzz/run.sh [smoke] [HARNESS...]
#
# Without "smoke" each harness fuzzes for $FUZZ_SECONDS (default 60),
# starting from its committed seeds in tests/fuzz/corpus/NAME/; what it
# learns goes to build/fuzz/work/NAME/, never into the committed seeds.
# "smoke" runs each harness over its seeds plus a short burst of
# $FUZZ_SMOKE_RUNS executions (default 3000): a regression check for CI.
# A crash leaves its input in build/fuzz/artifacts/ and fails the script.
# Needs clang with libFuzzer; on Debian/Ubuntu it installs them if missing.
set -u

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_SMOKE_RUNS=${FUZZ_SMOKE_RUNS:-3000}
FUZZ_CC=${FUZZ_CC:-clang}
FUZZ_BUILD=${FUZZ_BUILD:-build/fuzz}
MAKE=${MAKE:-make}
mode=full
if [ "${1:-}" = smoke ]; then
    mode=smoke
    shift
fi

# libFuzzer ships with clang's runtime; check it by linking a tiny harness.
have_libfuzzer() {
    command -v "$FUZZ_CC" >/dev/null 2>&1 || return 1
    dir=$(mktemp -d) || return 1
    printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
        'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
        'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)' \
        '{ (void)d; (void)n; return 0; }' >"$dir/t.c"
    "$FUZZ_CC" -fsanitize=fuzzer,address,undefined "$dir/t.c" \
        -o "$dir/t" >/dev/null 2>&1
    rc=$?
    rm -rf "$dir"
    return $rc
}

if ! have_libfuzzer; then
    if command -v apt-get >/dev/null 2>&1 && [ -r /etc/debian_version ]; then
        echo "fuzz: installing clang and libFuzzer's runtime with apt-get"
        sudo_cmd=
        [ "$(id -u)" -ne 0 ] && sudo_cmd=sudo
        $sudo_cmd apt-get install -y clang >/dev/null ||
            echo "fuzz: apt-get install clang failed"
        have_libfuzzer ||
            $sudo_cmd apt-get install -y libclang-rt-14-dev >/dev/null ||
            echo "fuzz: apt-get install libclang-rt-14-dev failed"
    fi
    if ! have_libfuzzer; then
        echo "fuzz: $FUZZ_CC cannot link -fsanitize=fuzzer: install clang" \
             "and its libFuzzer runtime (Debian: clang, libclang-rt-14-dev)" >&2
        exit 1
    fi
fi

jobs=$(nproc 2>/dev/null || echo 1)
[ "$jobs" -gt 2 ] && jobs=2
"$MAKE" --no-print-directory -s -j"$jobs" -f tests/fuzz/fuzz.mk \
    FUZZ_CC="$FUZZ_CC" FUZZ_BUILD="$FUZZ_BUILD" || exit 1

if [ $# -eq 0 ]; then
    set -- $(cd tests/fuzz && ls fuzz_*.c | sed 's/\.c$//')
fi

mkdir -p "$FUZZ_BUILD/artifacts" "$FUZZ_BUILD/logs"
failed=0
start=$(date +%s)
for name in "$@"; do
    work="$FUZZ_BUILD/work/$name"
    seeds="tests/fuzz/corpus/$name"
    log="$FUZZ_BUILD/logs/$name.log"
    mkdir -p "$work" "$seeds"
    if [ "$mode" = smoke ]; then
        limit="-runs=$FUZZ_SMOKE_RUNS"
    else
        limit="-max_total_time=$FUZZ_SECONDS"
    fi
    # -detect_leaks stays on; -max_len lets deep nesting and long bodies in.
    "$FUZZ_BUILD/$name" $limit -max_len=16384 -timeout=10 \
        -rss_limit_mb=1024 -print_final_stats=1 \
        -artifact_prefix="$FUZZ_BUILD/artifacts/$name-" \
        "$work" "$seeds" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
        tail -n 1)
    cov=$(grep -ao 'cov: [0-9]*' "$log" | tail -n 1)
    if [ $rc -eq 0 ]; then
        printf 'fuzz: %-20s ok    %8s execs  %s\n' "$name" "${execs:-?}" \
            "$cov"
    else
        printf 'fuzz: %-20s FAIL  (exit %d) see %s\n' "$name" $rc "$log"
        grep -aE '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" |
            head -n 5
        failed=1
    fi
done
echo "fuzz: $mode run took $(($(date +%s) - start)) s"
exit $failed
