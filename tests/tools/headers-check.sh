#!/bin/sh
# Keeps labs/ and solutions/ from drifting apart:
# - every header of a lab is byte-identical in both trees (the graded
#   contract is frozen);
# - solutions/ holds only headers and the files the lab's manifest says the
#   learner writes (everything a lab gives lives once, in labs/);
# - every learner-owned file exists in both trees.
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
for dir in solutions/lab[0-9][0-9]-*; do
    [ -d "$dir" ] || continue
    lab=$(basename "$dir")
    id=${lab#lab}; id=${id%%-*}
    manifest=tests/test_lab$id.manifest
    [ -f "$manifest" ] || continue
    owned=$(sed -n 's/^files\t//p' "$manifest" | tr '\t' ' ')
    for f in "$dir"/*; do
        name=$(basename "$f")
        case " $owned " in *" $name "*) continue ;; esac
        case $name in *.h) continue ;; esac
        echo "headers-check: $f is not a header nor a file the learner writes ($manifest: files $owned); a given file lives only in labs/$lab/" >&2
        status=1
    done
    for name in $owned; do
        for tree in labs solutions; do
            [ -f "$tree/$lab/$name" ] || { echo "headers-check: $tree/$lab/$name is missing (the manifest says the learner writes it)" >&2; status=1; }
        done
    done
done
[ $status = 0 ] && echo "headers-check: $count lab headers identical in labs/ and solutions/; solutions/ holds only headers and learner-owned files"
exit $status
