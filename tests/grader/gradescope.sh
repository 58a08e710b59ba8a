#!/bin/sh
# make gradescope: writes OUT/autograder.zip, Gradescope's autograder bundle:
# setup.sh and run_autograder (from tests/grader/gradescope/) at its root,
# beside the grader-owned tree they grade with: the Makefile, labs/ (the
# starter files and headers), solutions/ (earlier labs link them; the zip is
# seen by course staff only), tests/ (hidden tests included, mutants not)
# and mockserver/. Then it rehearses a run: it unpacks the zip, grades the
# reference solutions as a submission through run_autograder, and checks the
# results.json it writes.
#   usage: gradescope.sh OUT      (GRADESCOPE_CHECK=0 skips the rehearsal)
set -u
GRADER_DIR=$(cd "$(dirname "$0")" && pwd)
. "$GRADER_DIR/lib.sh"
[ $# = 1 ] || die "usage: gradescope.sh OUT"
BUILD=${BUILD:-build}
MAKE=${MAKE:-make}
out=$1
[ -d solutions ] || die "make gradescope runs in the instructor's tree (no solutions/ here)"
command -v zip >/dev/null 2>&1 || die "zip is missing (apt-get install zip)"
rm -rf "$out"
mkdir -p "$out/bundle"
out=$(cd "$out" && pwd)

tar -cf - --exclude=./tests/mutants Makefile labs solutions tests mockserver |
    (cd "$out/bundle" && tar -xf -) || die "could not copy the kit"
cp "$GRADER_DIR/gradescope/setup.sh" "$GRADER_DIR/gradescope/run_autograder" "$out/bundle/"
chmod 755 "$out/bundle/setup.sh" "$out/bundle/run_autograder"
(cd "$out/bundle" && zip -q -r -X ../autograder.zip .) || die "zip failed"
echo "gradescope: $out/autograder.zip ($(du -k "$out/autograder.zip" | cut -f1) kB)"

[ "${GRADESCOPE_CHECK:-1}" = 0 ] && { rm -rf "$out/bundle"; exit 0; }

# The rehearsal, with /autograder moved to $out/rehearsal.
r=$out/rehearsal
mkdir -p "$r/source" "$r/submission" "$r/results"
(cd "$r/source" && unzip -q "$out/autograder.zip") || die "the zip does not unpack"
for m in tests/test_lab[0-9][0-9].manifest; do
    n=${m#tests/test_lab}
    n=${n%.manifest}
    d=$(lab_dir solutions "$n") || continue
    manifest_parse "$m" "$n" "$out/m" || die "bad manifest $m"
    for f in $(manifest_files "$out/m"); do cp "$d/$f" "$r/submission/$f"; done
done
# Seed the build the way setup.sh would leave it, from ours.
[ -d "$BUILD/obj" ] && mkdir -p "$r/source/build" &&
    (cd "$BUILD" && tar -cf - mockserver libkit.a grader obj/mockserver obj/tests obj/solutions obj/labs/common 2>/dev/null) |
    (cd "$r/source/build" && tar -xf -)
(unset MAKEFLAGS MFLAGS BUILD; AUTOGRADER_ROOT=$r "$r/source/run_autograder") >"$out/rehearsal.log" 2>&1
if [ -x "$BUILD/grader/check_results" ]; then
    "$BUILD/grader/check_results" "$r/results/results.json" || die "the rehearsal's results.json is not right (log: $out/rehearsal.log)"
else
    grep -q '"tests"' "$r/results/results.json" || die "the rehearsal wrote no results (log: $out/rehearsal.log)"
fi
echo "gradescope: rehearsal graded the reference solutions (flat files, as a learner uploads them):"
sed -n 's/^ *"score": \(.*\),$/  score \1/p; s/^ *"max_score": \(.*\),$/  max_score \1/p' "$r/results/results.json" | head -n 2
rm -rf "$out/bundle" "$r" "$out/m"
