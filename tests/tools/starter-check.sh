#!/bin/sh
# Proves the graded tests have teeth: every graded test of every lab must
# FAIL against the untouched starter code in labs/. A starter that passes a
# test is a bug in the test or in the starter.
set -u
status=0
total=0
for prog in "$@"; do
    names=$("$prog" --list) || { echo "starter-check: $prog --list failed" >&2; status=1; continue; }
    n=0
    for t in $names; do
        n=$((n + 1))
        if timeout 60 "$prog" "$t" >/dev/null 2>&1; then
            echo "starter-check: $prog $t PASSES on the starter code (it must fail)" >&2
            status=1
        fi
    done
    [ $n = 0 ] && { echo "starter-check: $prog lists no tests" >&2; status=1; }
    total=$((total + n))
done
if [ $status = 0 ]; then
    echo "starter-check: all $total graded tests fail on the starter code, as they must"
fi
exit $status
