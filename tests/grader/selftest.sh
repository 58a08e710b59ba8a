#!/bin/sh
# The grader's self-test (make grader-selftest; part of make test). Through
# the real runner it grades the reference solutions (every test passes, full
# score) and the starter tree (zero), parses every results format (xmllint
# for JUnit, a cJSON checker for results.json, a TAP structure check), grades
# a submission that tampers with the tests, the manifest and the Makefile (it
# must count for nothing), one that does not compile (a "build" entry), and a
# manifest out of step with its tests (a grader error).
set -u
GRADER_DIR=$(cd "$(dirname "$0")" && pwd)
. "$GRADER_DIR/lib.sh"
BUILD=${BUILD:-build}
MAKE=${MAKE:-make}
export BUILD MAKE
CHECK=$BUILD/grader/check_results
GRADE="sh $GRADER_DIR/grade.sh"

if [ ! -d solutions ]; then
    echo "grader-selftest: no solutions/ here (a learner's handout): skipped"
    exit 0
fi
[ -x "$CHECK" ] || die "$CHECK is missing: run it through make grader-selftest"
if ! command -v xmllint >/dev/null 2>&1; then
    echo "grader-selftest: installing xmllint (libxml2-utils)" >&2
    { apt-get install -y -qq libxml2-utils || { apt-get update -qq && apt-get install -y -qq libxml2-utils; }; } >/dev/null 2>&1
    command -v xmllint >/dev/null 2>&1 || die "xmllint is missing: apt-get install libxml2-utils"
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/selftest.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$T"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "  ok    $*"; }
bad() { failed=$((failed + 1)); echo "  FAIL  $*"; }
check() { # DESCRIPTION COMMAND...
    d=$1
    shift
    if "$@" >"$T/check.log" 2>&1; then ok "$d"; else bad "$d"; sed 's/^/        /' "$T/check.log" | head -n 30; fi
}

# Score and max_score of a results.json, through the cJSON checker.
totals() { "$CHECK" "$1" | sed -n 's/^results.json: .* score \(.*\) \/ \(.*\)$/\1 \2/p'; }

# TAP 13 structure: version, plan, consecutive numbers, YAML blocks only
# after a failure, skips reported as ok.
tap_ok() {
    awk '
    function err(m) { print FILENAME ":" NR ": " m; bad = 1 }
    NR == 1 { if ($0 != "TAP version 13") err("first line is not TAP version 13"); next }
    NR == 2 { if ($0 !~ /^1\.\.[0-9]+$/) err("second line is not the plan"); plan = substr($0, 4) + 0; next }
    inyaml { if ($0 == "  ...") inyaml = 0; else if ($0 !~ /^  /) err("YAML block line not indented"); next }
    /^(not )?ok [0-9]+( |$)/ {
        k = $0; sub(/^not /, "", k); split(k, w, " ")
        if (w[2] + 0 != ++count) err("test " w[2] " out of order (expected " count ")")
        if ($0 ~ /^not ok/ && $0 ~ /# SKIP/) err("a skip reported as not ok")
        last_not_ok = ($0 ~ /^not ok/)
        next
    }
    $0 == "  ---" { if (!last_not_ok) err("YAML block after a passing test"); inyaml = 1; next }
    /^#/ { next }
    { err("not a TAP line: " $0) }
    END {
        if (inyaml) err("unterminated YAML block")
        if (count != plan) err("plan says " plan ", " count " tests")
        if (count == 0) err("no test")
        exit bad
    }' "$1"
}

# The results of one graded run, checked in every format.
formats_ok() { # DIR
    xmllint --noout "$1/junit.xml" && "$CHECK" "$1/results.json" >/dev/null &&
        tap_ok "$1/results.tap" && grep -q '^## Lab kit grade' "$1/report.md"
}

echo "grader-selftest:"
labs=$(tree_labs .)
[ -n "$labs" ] || die "no lab with a manifest"

# 1. The reference solutions: every test passes, full score, in seconds.
t0=$(now_ms)
$GRADE --solutions --view none --out "$T/sol" --tsv "$T/sol.tsv" >"$T/sol.log" 2>&1
rc=$?
t1=$(now_ms)
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1000 }')
check "the reference solutions pass every test (exit $rc, $secs s for labs $(echo $labs))" test $rc = 0
set -- $(totals "$T/sol/results.json")
full_score=${1:-x}
full_max=${2:-y}
check "the reference solutions score full marks ($full_score / $full_max, bonus included)" \
    awk -v s="$full_score" -v m="$full_max" 'BEGIN { exit !(s >= m && m > 0) }'
check "every results format of the solutions parses (xmllint, cJSON, TAP)" formats_ok "$T/sol"
[ $rc = 0 ] || sed 's/^/        /' "$T/sol.log" | head -n 40

# 2. The starter tree: it builds, and scores zero.
$GRADE --view none --out "$T/starter" --tsv "$T/starter.tsv" >"$T/starter.log" 2>&1
rc=$?
check "the starter tree grades (exit 1: tests fail, nothing errs)" test $rc = 1
check "the starter tree scores zero" "$CHECK" "$T/starter/results.json" 0 "$full_max"
check "every lab of the starter builds (no build entry)" \
    awk -F '\t' '$2 == "build" { print "lab " $1 " did not build"; bad = 1 } END { exit bad }' "$T/starter.tsv"
check "every results format of the starter parses (xmllint, cJSON, TAP)" formats_ok "$T/starter"
[ $rc = 1 ] || sed 's/^/        /' "$T/starter.log" | head -n 40

# The submissions below are graded on the first two labs: enough to show
# the point, and make test stays quick.
sub_labs=$(echo $labs | awk '{ print $1, $2 }')
sub_max=$(awk -F '\t' -v l=" $sub_labs " '$2 == "test" && $6 != "bonus" && index(l, " " $1 " ") { m += $7 } END { print m + 0 }' "$T/sol.tsv")

# 3. A submission that tampers with grader-owned files: the starter's code,
# a test file that passes everything, a manifest worth 1000 points, a
# header and a Makefile of its own. None of it may count.
sub=$T/tampered
mkdir -p "$sub/tests"
cp -R labs "$sub/labs"
for n in $labs; do
    printf '#include <stdio.h>\nint main(void) { puts("[  PASSED  ] 99 test(s)."); return 0; }\n' >"$sub/tests/test_lab$n.c"
    sed 's/\t[0-9][0-9]*\t\(visible\|hidden\|bonus\)\t/\t1000\t\1\t/' "tests/test_lab$n.manifest" >"$sub/tests/test_lab$n.manifest"
done
for h in "$sub"/labs/lab*/*.h; do echo '#define TAMPERED 1' >>"$h"; done
printf 'all:\n\t@true\ntest check grade:\n\t@echo "100 passed, 0 failed"\n' >"$sub/Makefile"
$GRADE --submission "$sub" --view none --out "$T/tampered.out" $sub_labs >"$T/tampered.log" 2>&1
check "a submission's own tests, manifest, headers and Makefile count for nothing (score 0 / $sub_max)" \
    "$CHECK" "$T/tampered.out/results.json" 0 "$sub_max"

# 4. A submission whose first lab does not compile: a visible failed "build"
# entry with the compiler's message; the other labs grade normally.
sub=$T/broken
first=$(echo $labs | awk '{ print $1 }')
for n in $sub_labs; do
    d=$(lab_dir solutions "$n")
    mkdir -p "$sub/labs/$(basename "$d")"
    manifest_parse "tests/test_lab$n.manifest" "$n" "$T/m" || die "bad manifest for lab $n"
    for f in $(manifest_files "$T/m"); do cp "$d/$f" "$sub/labs/$(basename "$d")/$f"; done
done
f=$(ls "$sub"/labs/lab"$first"-*/*.c | head -n 1)
printf '\nint this_is_not_c(void) { return 1 +; }\n' >>"$f"
$GRADE --submission "$sub" --view none --out "$T/broken.out" --tsv "$T/broken.tsv" $sub_labs >"$T/broken.log" 2>&1
rc=$?
check "a submission that does not compile grades (exit 1, not a grader error)" test $rc = 1
check "lab $first shows a failed \"build\" entry with the compiler's error" \
    awk -F '\t' -v l="$first" '$1 == l && $2 == "build" && $9 == "failed" && $12 ~ /error/ { found = 1 } END { exit !found }' "$T/broken.tsv"
check "the build entry is in results.json, JUnit and TAP" sh -c \
    "grep -q '\"Lab $first: build\"' '$T/broken.out/results.json' && grep -q 'name=\"build\"' '$T/broken.out/junit.xml' && grep -q '^not ok .* lab$first build' '$T/broken.out/results.tap'"
check "lab $first's tests are reported as not run (TAP: ok # SKIP), the others pass" \
    awk -F '\t' -v l="$first" '$2 == "test" && $1 == l && $9 != "skipped" { bad = 1 }
        $2 == "test" && $1 != l && $9 != "passed" && $6 != "bonus" { bad = 1 } END { exit bad }' "$T/broken.tsv"
check "every results format of the broken submission parses" formats_ok "$T/broken.out"

# 5. A manifest out of step with its tests is a grader error (exit 2).
tree=$T/tree
mkdir -p "$tree"
tar -cf - Makefile labs solutions tests mockserver 2>/dev/null | (cd "$tree" && tar -xf -)
[ -d "$BUILD/obj" ] && mkdir -p "$tree/build" && (cd "$BUILD" && tar -cf - mockserver libkit.a obj 2>/dev/null) | (cd "$tree/build" && tar -xf -)
m=$tree/tests/test_lab$first.manifest
awk -F '\t' '$1 == "test" && !done { done = 1; next } { print }' "tests/test_lab$first.manifest" >"$m"
(cd "$tree" && BUILD=build sh "$GRADER_DIR/grade.sh" --solutions --view none "$first") >"$T/mismatch.log" 2>&1
rc=$?
check "a test without a manifest record is a grader error (exit $rc)" \
    sh -c "test $rc = 2 && grep -q 'a test without a manifest record' '$T/mismatch.log'"
printf 'test\ttest_no_such_test\t1\tvisible\tA ghost\tNone.\n' >>"$m"
(cd "$tree" && BUILD=build sh "$GRADER_DIR/grade.sh" --solutions --view none "$first") >"$T/mismatch.log" 2>&1
rc=$?
check "a manifest record without a test is a grader error (exit $rc)" \
    sh -c "test $rc = 2 && grep -q 'a manifest record without a test' '$T/mismatch.log'"

# 6. The GitHub Classroom workflow is generated from the manifests: say so
# when it is out of date (not a failure: manifests change while labs grow).
if [ -f .github/workflows/classroom.yml ] &&
    ! sh "$GRADER_DIR/classroom.sh" 2>/dev/null | cmp -s - .github/workflows/classroom.yml; then
    echo "  note  .github/workflows/classroom.yml is out of date with the manifests:"
    echo "        sh tests/grader/classroom.sh > .github/workflows/classroom.yml"
fi

echo "grader-selftest: $passed passed, $failed failed; reference solutions graded in $secs s"
sh "$GRADER_DIR/tally.sh" "$BUILD/test-tally" grader-selftest "$passed" "$failed"
[ $failed = 0 ]
