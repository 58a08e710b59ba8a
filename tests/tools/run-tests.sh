#!/bin/sh
# Runs test programs and totals their tests. With --first-failure it stops at
# the first failing program. Prints "N passed, N failed" last.
#
# It also starts the tally of `make test`: the counts go to
# $KIT_TALLY (default: test-tally beside $MOCKSERVER, i.e. in the build
# directory), which the later steps of `make test` (the grader's self-test,
# the mutants) add to, and tests/grader/tally.sh prints as the last line.
set -u
first_failure=0
if [ "${1:-}" = "--first-failure" ]; then first_failure=1; shift; fi
tally=${KIT_TALLY:-$(dirname "${MOCKSERVER:-build/mockserver}")/test-tally}
passed=0
failed=0
bad_progs=""
for prog in "$@"; do
    log=$(mktemp)
    timeout 300 "$prog" >"$log" 2>&1
    rc=$?
    p=$(sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test.*/\1/p' "$log" | tail -n 1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9][0-9]*\) test.*/\1/p' "$log" | tail -n 1)
    p=${p:-0}; f=${f:-0}
    if [ $rc != 0 ] && [ "$f" = 0 ]; then f=1; fi   # crashed or timed out
    if [ "$p" = 0 ] && [ "$f" = 0 ]; then f=1; echo "$prog: no tests ran" >> "$log"; fi
    passed=$((passed + p)); failed=$((failed + f))
    if [ $rc = 0 ] && [ "$f" = 0 ]; then
        echo "PASS $prog ($p tests)"
    else
        echo "FAIL $prog ($p passed, $f failed, exit $rc)"
        cat "$log"
        bad_progs="$bad_progs $prog"
        if [ $first_failure = 1 ]; then rm -f "$log"; break; fi
    fi
    rm -f "$log"
done
{ mkdir -p "$(dirname "$tally")" && echo "run-tests $passed $failed" >"$tally"; } 2>/dev/null
echo "$passed passed, $failed failed"
[ -z "$bad_progs" ]
