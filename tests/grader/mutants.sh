#!/bin/sh
# make mutants: proves the graded tests catch the mistakes learners make.
# Each tests/mutants/labNN/*.patch is a plausible wrong implementation: a
# small patch against the reference solution. Every mutant is graded like a
# submission (the solution's files, patched, in a pristine tree) and must be
# KILLED: at least one graded test fails, the test its header expects is
# among the failures, and that test's hint names the mistake (contains the
# header's Hint phrase). Prints the mutation score.
#
# A patch starts with a header that patch(1) skips:
#   # Mutant: retries a 401 (a permanent error)
#   # Expect: test_backoff_run_permanent_error_returns_at_once
#   # Hint: permanent
#   --- a/backoff.c
#   +++ b/backoff.c
# (paths relative to the lab's directory; applied with patch -p1).
#   usage: mutants.sh [LAB...]
set -u
GRADER_DIR=$(cd "$(dirname "$0")" && pwd)
. "$GRADER_DIR/lib.sh"
BUILD=${BUILD:-build}
MAKE=${MAKE:-make}
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
total=0
killed=0
problems=0
t0=$(now_ms)

header() { # FIELD PATCH
    sed -n "s/^# $1: *//p" "$2" | head -n 1
}

for n in $labs; do
    sol=$(lab_dir solutions "$n") || { echo "mutants: lab $n has mutants but no solution"; problems=$((problems + 1)); continue; }
    if [ ! -f "tests/test_lab$n.manifest" ]; then
        echo "mutants: lab $n: no manifest yet, its mutants cannot be graded"
        problems=$((problems + 1))
        continue
    fi
    manifest_parse "tests/test_lab$n.manifest" "$n" "$T/m" || die "bad manifest for lab $n"
    set -- tests/mutants/lab"$n"/*.patch
    [ -f "$1" ] || continue
    echo "mutants: lab $n ($(manifest_title "$T/m")), $# mutants"
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
        # The submission: the solution's learner files, patched.
        sub=$T/$name
        dest=$sub/labs/$(basename "$sol")
        mkdir -p "$dest"
        for f in $(manifest_files "$T/m"); do cp "$sol/$f" "$dest/$f"; done
        if ! patch -s -p1 -d "$dest" <"$p" >"$T/patch.log" 2>&1; then
            echo "  BAD       $name: the patch no longer applies to the solution:"
            sed 's/^/              /' "$T/patch.log"
            problems=$((problems + 1))
            continue
        fi
        sh "$GRADER_DIR/grade.sh" --submission "$sub" --view none --tsv "$T/$name.tsv" "$n" >"$T/$name.log" 2>&1
        rc=$?
        failing=$(awk -F '\t' '$9 == "failed" && $6 != "bonus" { printf "%s ", ($2 == "test" ? $4 : $2) }' "$T/$name.tsv" 2>/dev/null)
        bonus_failing=$(awk -F '\t' '$9 == "failed" && $6 == "bonus" { printf "%s ", $4 }' "$T/$name.tsv" 2>/dev/null)
        expect_hint=$(awk -F '\t' -v t="$expect" '$4 == t { print $11 }' "$T/$name.tsv" 2>/dev/null)
        expect_failed=$(echo " $failing $bonus_failing" | grep -c " $expect ")
        hint_names=$(printf '%s\n' "$expect_hint" | grep -ci -- "$hint")
        if [ $rc = 2 ]; then
            echo "  ERROR     $name: the grader could not grade it:"
            sed 's/^/              /' "$T/$name.log" | head -n 20
            problems=$((problems + 1))
        elif [ -z "$failing$bonus_failing" ]; then
            echo "  SURVIVED  $name: $what: every test passes"
        elif [ "$expect_failed" = 0 ]; then
            echo "  SURVIVED  $name: $what: caught, but not by $expect (failing: $failing$bonus_failing)"
        elif [ "$hint_names" = 0 ]; then
            echo "  SURVIVED  $name: $what: $expect fails, but its hint does not say \"$hint\": $expect_hint"
        else
            killed=$((killed + 1))
            k=$(echo $failing $bonus_failing | wc -w)
            echo "  killed    $name: $what ($expect + $((k - 1)) more)"
        fi
    done
done
t1=$(now_ms)
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", (b - a) / 1000 }')
if [ $total = 0 ]; then
    echo "mutants: no mutant found under tests/mutants/"
    sh "$GRADER_DIR/tally.sh" "$BUILD/test-tally" mutants 0 1 2>/dev/null
    exit 1
fi
score=$(awk -v k="$killed" -v t="$total" 'BEGIN { printf "%.0f", 100 * k / t }')
echo "mutants: mutation score $killed/$total killed ($score %), in $secs s"
survived=$((total - killed))
sh "$GRADER_DIR/tally.sh" "$BUILD/test-tally" mutants "$killed" "$survived"
[ $survived = 0 ] && [ $problems = 0 ]
