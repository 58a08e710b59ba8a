#!/bin/sh
# The graded header of every lab must be byte-identical in labs/ and
# solutions/: the contract the tests are written against is frozen.
status=0
count=0
for h in labs/lab*/*.h; do
    [ -e "$h" ] || continue
    twin="solutions/${h#labs/}"
    count=$((count + 1))
    if ! cmp -s "$h" "$twin"; then
        echo "headers-check: $h and $twin differ (the graded header must be identical)" >&2
        status=1
    fi
done
[ $status = 0 ] && echo "headers-check: $count lab headers identical in labs/ and solutions/"
exit $status
