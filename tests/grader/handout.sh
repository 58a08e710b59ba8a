#!/bin/sh
# make handout: writes the learner's distribution into OUT (and OUT.tar.gz):
# the whole kit but solutions/, the mutants (their patches quote the
# solutions) and the hidden tests (taken out of each manifest and each test
# source). The labs a lab builds on ship as prebuilt, debug-stripped
# reference archives in labs/common/ref/liblabNN.a, which the Makefile links
# when solutions/ is absent. Then it proves the handout stands alone: it
# builds there from scratch and grades to zero.
#   usage: handout.sh OUT      (HANDOUT_CHECK=0 skips the proof)
set -u
GRADER_DIR=$(cd "$(dirname "$0")" && pwd)
. "$GRADER_DIR/lib.sh"
[ $# = 1 ] || die "usage: handout.sh OUT"
BUILD=${BUILD:-build}
MAKE=${MAKE:-make}
out=$1
[ -d solutions ] || die "make handout runs in the instructor's tree (it has no solutions/ here)"
rm -rf "$out" "$out.tar.gz"
mkdir -p "$out"
out=$(cd "$out" && pwd)

# 1. Every file of the kit but the instructor's. Untracked work counts too
# (the lead commits later), but never build output or a .env.
tar -cf - --exclude=./.git --exclude="./$BUILD" --exclude=./build \
    --exclude=./solutions --exclude=./tests/mutants --exclude=.env \
    --exclude='*.o' --exclude='*.d' --exclude='*.a' . | (cd "$out" && tar -xf -) ||
    die "could not copy the kit"

# 2. Hidden tests out of the manifests and the test sources.
hidden_total=0
for m in tests/test_lab[0-9][0-9].manifest; do
    [ -f "$m" ] || continue
    names=$(awk -F '\t' '$1 == "test" && $4 == "hidden" { printf "%s ", $2 }' "$m")
    [ -n "$names" ] || continue
    src=${m%.manifest}.c
    awk -F '\t' '!($1 == "test" && $4 == "hidden")' "$m" >"$out/$m"
    awk -v names="$names" -f "$GRADER_DIR/strip-hidden.awk" "$src" >"$out/$src" ||
        die "could not strip the hidden tests of $src"
    k=$(echo $names | wc -w)
    hidden_total=$((hidden_total + k))
    echo "handout: $src: $k hidden test(s) taken out"
done

# 3. Reference archives of the labs other labs build on.
deps=$(sed -n 's/^LAB_DEPS_[0-9][0-9][ \t]*:=[ \t]*//p' Makefile | tr ' ' '\n' | grep . | sort -u)
mkdir -p "$out/labs/common/ref"
for d in $deps; do
    dir=$(lab_dir solutions "$d") || die "LAB_DEPS names lab $d, which has no solutions/ directory"
    objs=
    for c in "$dir"/*.c; do
        case $c in *_main.c) continue ;; esac
        objs="$objs $BUILD/obj/${c%.c}.o"
    done
    [ -n "$objs" ] || die "lab $d has no library source in $dir"
    "$MAKE" --no-print-directory BUILD="$BUILD" $objs >/dev/null || die "the reference objects of lab $d did not build"
    ar rcs "$out/labs/common/ref/liblab$d.a" $objs
    strip --strip-debug "$out/labs/common/ref/liblab$d.a" 2>/dev/null || true
    echo "handout: labs/common/ref/liblab$d.a (the reference lab $d, object code only)"
done
cat >"$out/labs/common/ref/README.md" <<'EOF'
# Reference archives

`liblabNN.a` holds the reference implementation of lab NN as object code.
The graded tests of a later lab link it instead of your lab NN, so a lab you
have not finished never stops you from working on the next one. Your own
programs (`make run`) link your code. Do not edit these files.
EOF

# 4. No trace of the solutions may remain.
[ -d "$out/solutions" ] && die "solutions/ leaked into the handout"

(cd "$(dirname "$out")" && tar -czf "$out.tar.gz" "$(basename "$out")")
echo "handout: $out ($hidden_total hidden tests out), $out.tar.gz"

# 5. The proof: it builds from scratch and grades to zero, with no build
# failure and no grader error.
[ "${HANDOUT_CHECK:-1}" = 0 ] && exit 0
echo "handout: checking that it builds and grades to zero on its own..."
(cd "$out" && unset MAKEFLAGS MFLAGS && "$MAKE" --no-print-directory -s all BUILD=build >"$out.build.log" 2>&1) ||
    { tail -n 30 "$out.build.log"; die "the handout does not build (log: $out.build.log)"; }
(cd "$out" && unset MAKEFLAGS MFLAGS && BUILD=build sh tests/grader/grade.sh --view none --tsv "$out.grade.tsv" >"$out.grade.log" 2>&1)
rc=$?
[ $rc = 1 ] || { cat "$out.grade.log"; die "grading the handout ended with status $rc (expected 1: every test fails)"; }
awk -F '\t' '
    $2 != "test" { print "handout: lab " $1 ": " $2 " entry"; bad = 1 }
    $8 + 0 != 0 { print "handout: lab " $1 ": " $4 " scores on the starter"; bad = 1 }
    END { exit bad }' "$out.grade.tsv" || die "the handout does not grade to zero"
tests=$(awk 'END { print NR }' "$out.grade.tsv")
echo "handout: it builds on its own and grades to zero ($tests tests, all failing on the starter)"
rm -rf "$out.grade.tsv" "$out.grade.log" "$out.build.log" "$out/build"
