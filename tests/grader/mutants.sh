#!/bin/sh
# make mutants: proves the graded tests catch the mistakes learners make.
# Each tests/mutants/labNN/*.patch is a plausible wrong implementation: a
# small patch against the reference solution. Every mutant is graded by the
# real runner in a pristine tree (the grader's files plus the solution's
# learner files, patched) and must be KILLED: its build succeeds, the test
# its header expects fails, and that test's hint names the mistake (contains
# the header's Hint phrase). Prints the mutation score.
#
# By default a mutant is graded on its expected test (that is what the
# verdict needs, and it keeps make test fast); MUTANTS_FULL=1 grades every
# test of the lab and shows how many catch it. A mutant that survives is
# always graded in full, to show what (if anything) catches it.
#
# A patch starts with a header that patch(1) skips:
#   # Mutant: retries a 401 (a permanent error)
#   # Expect: test_backoff_run_permanent_error_returns_at_once
#   # Hint: permanent
#   # Why: (optional) why a learner would write this
#   --- a/backoff.c
#   +++ b/backoff.c
# (paths relative to the lab's directory; applied with patch -p1).
#   usage: mutants.sh [LAB...]     Environment: MUTANTS_FULL, MUTANTS_JOBS
#   (labs graded at once, default 2).
set -u
GRADER_DIR=$(cd "$(dirname "$0")" && pwd)
. "$GRADER_DIR/lib.sh"
BUILD=${BUILD:-build}
MAKE=${MAKE:-make}
FULL=${MUTANTS_FULL:-0}
JOBS=${MUTANTS_JOBS:-2}
export BUILD MAKE

if [ ! -d solutions ] || [ ! -d tests/mutants ]; then
    echo "mutants: no solutions/ or tests/mutants/ here (a learner's handout): skipped"
    exit 0
fi
command -v patch >/dev/null 2>&1 || die "patch is missing (apt-get install patch)"

labs=
for l in "$@"; do labs="$labs $(lab_id "$l")"; done
if [ -z "$labs" ]; then
    for d in tests/mutants/lab[0-9][0-9]; do
        [ -d "$d" ] && labs="$labs ${d##*/lab}"
    done
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/mutants.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$T"' EXIT
t0=$(now_ms)

header() { # FIELD PATCH
    sed -n "s/^# $1: *//p" "$2" | head -n 1
}

# Grades the mutants of lab n. Writes its report to $T/lab$n.report and
# "total killed problems" to $T/lab$n.count.
run_lab() { # NN
    n=$1
    total=0 killed=0 problems=0
    W=$T/lab$n
    mkdir -p "$W"
    exec >"$T/lab$n.report"
    sol=$(lab_dir solutions "$n")
    if [ -z "$sol" ]; then
        echo "mutants: lab $n has mutants but no solution"
        echo "0 0 1" >"$T/lab$n.count"
        return
    fi
    if [ ! -f "tests/test_lab$n.manifest" ]; then
        echo "mutants: lab $n: no manifest yet, its mutants cannot be graded"
        echo "0 0 1" >"$T/lab$n.count"
        return
    fi
    manifest_parse "tests/test_lab$n.manifest" "$n" "$W/m" || { echo "0 0 1" >"$T/lab$n.count"; return; }
    set -- tests/mutants/lab"$n"/*.patch
    if [ ! -f "$1" ]; then
        echo "0 0 0" >"$T/lab$n.count"
        return
    fi
    echo "mutants: lab $n ($(manifest_title "$W/m")), $# mutants"
    # One pristine tree per lab: each mutant recompiles only its own file.
    tree=$W/tree
    pristine_tree "$(pwd)" "$BUILD" "$tree" "$n" || { echo "  could not copy the tree"; echo "0 0 1" >"$T/lab$n.count"; return; }
    dest=$tree/labs/$(basename "$sol")
    for p in "$@"; do
        total=$((total + 1))
        what=$(header Mutant "$p")
        expect=$(header Expect "$p")
        hint=$(header Hint "$p")
        name=$(basename "$p" .patch)
        if [ -z "$what" ] || [ -z "$expect" ] || [ -z "$hint" ]; then
            echo "  BAD       $name: the header needs Mutant:, Expect: and Hint: lines"
            problems=$((problems + 1))
            continue
        fi
        if ! grep -q "^test	$expect	" "tests/test_lab$n.manifest"; then
            echo "  BAD       $name: expects $expect, which lab $n's manifest does not list"
            problems=$((problems + 1))
            continue
        fi
        # The solution's learner files, patched, in the pristine tree.
        for f in $(manifest_files "$W/m"); do cp "$sol/$f" "$dest/$f"; done
        if ! patch -s -p1 --no-backup-if-mismatch -r - -d "$dest" <"$p" >"$W/patch.log" 2>&1; then
            echo "  BAD       $name: the patch no longer applies to the solution:"
            sed 's/^/              /' "$W/patch.log"
            problems=$((problems + 1))
            continue
        fi
        only="--only $expect"
        [ "$FULL" = 1 ] && only=
        for pass in 1 2; do
            # shellcheck disable=SC2086
            (cd "$tree" && BUILD=build sh "$GRADER_DIR/grade.sh" --view none $only --tsv "$W/$name.tsv" "$n") >"$W/$name.log" 2>&1
            rc=$?
            failing=$(awk -F '\t' '$9 == "failed" { printf "%s ", ($2 == "test" ? $4 : $2) }' "$W/$name.tsv" 2>/dev/null)
            expect_hint=$(awk -F '\t' -v t="$expect" '$4 == t { print $11 }' "$W/$name.tsv" 2>/dev/null)
            expect_failed=$(echo " $failing" | grep -c " $expect ")
            # A survivor is graded in full, to show what catches it, if anything.
            [ "$expect_failed" = 0 ] && [ -n "$only" ] && [ $rc != 2 ] && { only=; continue; }
            break
        done
        hint_names=$(printf "%s\n" "$expect_hint" | grep -ciF -- "$hint")
        if [ $rc = 2 ]; then
            echo "  ERROR     $name: the grader could not grade it:"
            sed 's/^/              /' "$W/$name.log" | head -n 20
            problems=$((problems + 1))
        elif [ -z "$failing" ]; then
            echo "  SURVIVED  $name: $what: every test passes"
        elif [ "$expect_failed" = 0 ]; then
            echo "  SURVIVED  $name: $what: caught, but not by $expect (failing: $failing)"
            [ "$failing" = "build " ] && awk -F '\t' '$2 == "build" { gsub(/\\n/, "\n              ", $12); print "              " $12 }' "$W/$name.tsv" | head -n 12
        elif [ "$hint_names" = 0 ]; then
            echo "  SURVIVED  $name: $what: $expect fails, but its hint does not say \"$hint\": $expect_hint"
        else
            killed=$((killed + 1))
            if [ -n "$only" ]; then
                echo "  killed    $name: $what (by $expect)"
            else
                k=$(echo $failing | wc -w)
                echo "  killed    $name: $what ($expect + $((k - 1)) more)"
            fi
        fi
    done
    rm -rf "$tree"
    echo "$total $killed $problems" >"$T/lab$n.count"
}

# The grader-owned objects the trees are seeded from, built once, before
# labs run side by side (two makes must not build one object at once).
targets="$BUILD/mockserver $BUILD/libkit.a $BUILD/grader/runner"
for n in $labs; do targets="$targets $BUILD/sol/test_lab$n"; done
# shellcheck disable=SC2086
"$MAKE" -k --no-print-directory BUILD="$BUILD" $targets >"$T/prebuild.log" 2>&1

# The labs run JOBS at a time, each in its own tree; reports print in order.
running=0
for n in $labs; do
    (run_lab "$n") &
    running=$((running + 1))
    if [ $running -ge "$JOBS" ]; then
        wait
        running=0
    fi
done
wait

total=0 killed=0 problems=0
for n in $labs; do
    cat "$T/lab$n.report"
    read -r t k p <"$T/lab$n.count" || { t=0 k=0 p=1; }
    total=$((total + t)) killed=$((killed + k)) problems=$((problems + p))
done
t1=$(now_ms)
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", (b - a) / 1000 }')
if [ $total = 0 ]; then
    echo "mutants: no mutant found under tests/mutants/"
    sh "$GRADER_DIR/tally.sh" "$BUILD/test-tally" mutants 0 1 2>/dev/null
    exit 1
fi
score=$(awk -v k="$killed" -v t="$total" 'BEGIN { printf "%.0f", 100 * k / t }')
survived=$((total - killed))
echo "mutants: mutation score $killed/$total killed ($score %), in $secs s$([ "$FULL" = 1 ] || echo "; MUTANTS_FULL=1 grades every test of each mutant")"
sh "$GRADER_DIR/tally.sh" "$BUILD/test-tally" mutants "$killed" "$survived"
[ $survived = 0 ] && [ $problems = 0 ]
