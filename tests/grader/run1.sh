#!/bin/sh
# Runs one graded test in its own process under a timeout and leaves what
# happened beside GRADE_BASE: .out and .err (what it printed), .rc (its exit
# status) and .ms (how long it took). grade.sh runs it, in parallel when it
# may. usage: run1.sh INDEX TEST_NAME
# Environment: GRADE_BIN, GRADE_TREE, GRADE_BASE, GRADE_TIMEOUT.
set -u
. "$(dirname "$0")/lib.sh"
base=$GRADE_BASE.$1
t0=$(now_ms)
(cd "$GRADE_TREE" && exec timeout -k 2 "$GRADE_TIMEOUT" "$GRADE_BIN" "$2") >"$base.out" 2>"$base.err" </dev/null
rc=$?
t1=$(now_ms)
echo $((t1 - t0)) >"$base.ms"
echo $rc >"$base.rc"
exit 0
