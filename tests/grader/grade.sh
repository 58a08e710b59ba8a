#!/bin/sh
# The kit's grader. It builds each lab's graded test program, checks it
# against the lab's points manifest (tests/test_labNN.manifest), runs every
# test in its own process under a timeout, and reports the results: a table,
# the first failure of each lab with its hint, and on request Gradescope's
# results.json, JUnit XML, TAP and a Markdown report. See README.md here.
#
# usage: grade.sh [options] [LAB...]        (no LAB: every lab of the tree)
#   --solutions         grade solutions/ instead of the learner's labs/
#   --labs-dir DIR      the learner's tree (default labs)
#   --submission DIR    pristine-tree grading: copy only the manifest's files
#                       of each lab from DIR into a fresh copy of the
#                       grader-owned tree, build and grade there
#   --first-failure     stop at the first failing test (make check)
#   --view V            table (default), check, progress or none
#   --out DIR           write results.json, junit.xml, results.tap, report.md
#   --json F --junit F --tap F --markdown F   one format each
#   --tsv F             the raw results (for batch and mutants)
#   --csv-row F         one CSV row (batch mode)
#   --name NAME         the submission's name in the reports
#   --timeout S         seconds per test (default $GRADE_TIMEOUT or 30)
#   --only NAME         run only that test (repeatable)
#   --jobs N            tests run at once (default $GRADE_JOBS, or twice the CPUs:
#                       the tests mostly wait on the mock server;
#                       make check always runs them one by one)
# Environment: MAKE, BUILD (default build), GRADE_TIMEOUT, GRADE_JOBS,
# GRADE_SHARED_MOCK (1: one mock server per lab, shared by its tests; 0: one
# per test).
# Exit status: 0 every graded test passed, 1 some failed or did not build,
# 2 the grader could not grade (a manifest out of step with its tests, no
# test ran, the mock server missing).
set -u
GRADER_DIR=$(cd "$(dirname "$0")" && pwd)
. "$GRADER_DIR/lib.sh"

TREE=$(pwd)
BUILD=${BUILD:-build}
MAKE=${MAKE:-make}
LABS_DIR=labs
BINS=lab
SUBMISSION=
FIRST_FAILURE=0
VIEW=table
OUT_DIR= JSON= JUNIT= TAP= MARKDOWN= TSV= CSVROW=
NAME=
TIMEOUT=${GRADE_TIMEOUT:-30}
JOBS=${GRADE_JOBS:-$((2 * $(nproc 2>/dev/null || echo 2)))}
ONLY=
LABS=

while [ $# -gt 0 ]; do
    case $1 in
    --solutions) BINS=sol ;;
    --labs-dir) LABS_DIR=$2; shift ;;
    --submission) SUBMISSION=$2; shift ;;
    --first-failure) FIRST_FAILURE=1 ;;
    --view) VIEW=$2; shift ;;
    --out) OUT_DIR=$2; shift ;;
    --json) JSON=$2; shift ;;
    --junit) JUNIT=$2; shift ;;
    --tap) TAP=$2; shift ;;
    --markdown) MARKDOWN=$2; shift ;;
    --tsv) TSV=$2; shift ;;
    --csv-row) CSVROW=$2; shift ;;
    --name) NAME=$2; shift ;;
    --timeout) TIMEOUT=$2; shift ;;
    --only) ONLY="$ONLY $2"; shift ;;
    --jobs) JOBS=$2; shift ;;
    -h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1 (try --help)" ;;
    *) LABS="$LABS $(lab_id "$1")" ;;
    esac
    shift
done
case $VIEW in table | check | progress | none) ;; *) die "unknown view $VIEW" ;; esac
case $TIMEOUT in '' | *[!0-9]*) die "--timeout takes whole seconds" ;; esac
case $JOBS in '' | *[!0-9]*) die "--jobs takes a number" ;; esac
command -v timeout >/dev/null 2>&1 || die "the timeout command (coreutils) is missing"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/grade.XXXXXX") || die "mktemp failed"
SHARED_PID=
trap 'shared_mock_stop; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
RUN_START=$(now_ms)
: >"$WORK/labs.tsv"
: >"$WORK/results.tsv"
STATUS=0 # raised to 1 on a failed test, 2 on a grader error

# Absolute paths for everything we hand to other processes.
abspath() { (cd "$(dirname "$1")" && echo "$(pwd)/$(basename "$1")"); }
for v in OUT_DIR JSON JUNIT TAP MARKDOWN TSV CSVROW; do
    eval "p=\$$v"
    [ -n "$p" ] || continue
    [ "$v" = OUT_DIR ] && mkdir -p "$p"
    mkdir -p "$(dirname "$p")"
    eval "$v=\$(abspath \"\$p\")"
done

kmake() {
    # MAKEFLAGS from an outer make carry its LAB=, SUBMISSION=...: harmless
    # for the targets we build.
    "$MAKE" -C "$TREE" --no-print-directory BUILD="$BUILD" LABS_DIR="$LABS_DIR" "$@"
}

# ---- the tree we grade in ---------------------------------------------------

# A fresh copy of the grader-owned files (and the build of those files, so
# only the learner's files compile), with the learner's files copied in.
prepare_submission() {
    [ -d "$SUBMISSION" ] || die "no submission directory $SUBMISSION"
    SUBMISSION=$(cd "$SUBMISSION" && pwd)
    [ -n "$NAME" ] || NAME=$(basename "$SUBMISSION")
    new=$WORK/tree
    pristine_tree "$TREE" "$BUILD" "$new" $LABS || die "could not copy the grader's tree"
    : >"$WORK/copied"
    for n in $LABS; do
        m=$TREE/tests/test_lab$n.manifest
        dest=$(lab_dir "$new/labs" "$n") || continue
        manifest_parse "$m" "$n" "$WORK/copy.m" 2>/dev/null || continue
        base=$(basename "$dest")
        for f in $(manifest_files "$WORK/copy.m"); do
            src=
            for cand in "$SUBMISSION/labs/$base/$f" "$SUBMISSION/$base/$f" "$SUBMISSION"/labs/lab"$n"-*/"$f" "$SUBMISSION"/lab"$n"-*/"$f" "$SUBMISSION/$f"; do
                if [ -f "$cand" ] && [ ! -L "$cand" ]; then src=$cand; break; fi
            done
            if [ -n "$src" ]; then
                cat "$src" >"$dest/$f" # content only: no mode, no link
                echo "$n	$f	copied" >>"$WORK/copied"
            else
                echo "$n	$f	missing" >>"$WORK/copied"
            fi
        done
    done
    TREE=$new
    BUILD=build
    LABS_DIR=labs
}

for n in $LABS; do
    lab_dir "$TREE/labs" "$n" >/dev/null ||
        die "there is no lab $n here (labs:$(tree_labs "$TREE" | tr '\n' ' ' | sed 's/ $//; s/^/ /'))"
done
[ -n "$LABS" ] || LABS=$(tree_labs "$TREE")
[ -n "$LABS" ] || die "no lab to grade in $TREE (no tests/test_labNN.manifest)"
[ -n "$SUBMISSION" ] && prepare_submission
[ "$BINS" = sol ] && [ ! -d "$TREE/solutions" ] && die "--solutions: this tree has no solutions/"

case $BUILD in /*) ABS_BUILD=$BUILD ;; *) ABS_BUILD=$TREE/$BUILD ;; esac
MOCKSERVER=$ABS_BUILD/mockserver
export MOCKSERVER

RUNNER=$ABS_BUILD/grader/runner
if ! kmake "$BUILD/mockserver" "$BUILD/grader/runner" >"$WORK/mock.log" 2>&1; then
    cat "$WORK/mock.log" >&2
    die "the mock server or the grader's runner did not build (a kit problem, not yours)"
fi

# One mock server per lab, shared by its tests (each test uses keys of its
# own; a test that needs special server flags still starts its own): the
# harness attaches through $MOCKSERVER_SHARED_URL, and falls back to a
# server of its own if this one is not healthy. Saves a server start per
# test. Stopped by its pid.
shared_mock_start() {
    pf=$WORK/shared.port
    rm -f "$pf"
    # Threads enough for every test running at once to hold a slow reply.
    "$MOCKSERVER" --port 0 --quiet --threads $((4 * JOBS)) --port-file "$pf" >/dev/null 2>"$WORK/shared.err" </dev/null &
    SHARED_PID=$!
    tries=0
    while [ $tries -lt 100 ]; do
        if [ -s "$pf" ] && port=$(sed -n '1s/^\([0-9][0-9]*\)$/\1/p' "$pf") && [ -n "$port" ]; then
            MOCKSERVER_SHARED_URL=http://127.0.0.1:$port
            export MOCKSERVER_SHARED_URL
            return 0
        fi
        kill -0 "$SHARED_PID" 2>/dev/null || break
        sleep 0.05
        tries=$((tries + 1))
    done
    shared_mock_stop # every test starts its own, as without it
    return 0
}
shared_mock_stop() {
    unset MOCKSERVER_SHARED_URL
    if [ -n "$SHARED_PID" ]; then
        kill "$SHARED_PID" 2>/dev/null
        wait "$SHARED_PID" 2>/dev/null
        SHARED_PID=
    fi
    return 0
}

# ---- recording ---------------------------------------------------------------

# record LAB KIND IDX NAME TITLE VIS POINTS SCORE STATUS MS HINT OUTFILE
record() {
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$WORK/results.tsv"
}

# A note as an output file.
note_file() { # NAME TEXT
    printf '%s\n' "$2" >"$WORK/$1"
    echo "$WORK/$1"
}

# The compiler's message, without make's command lines.
build_message() {
    grep -v -e '^cc ' -e '^gcc ' -e '^clang' -e '^ar ' -e "^$MAKE" -e '^make' "$1" |
        grep -v -e '^mkdir ' -e '^deps:' | head -n 80 | head -c 12000 |
        tr -d '\000-\010\013\014\016-\037' | { iconv -c -f UTF-8 -t UTF-8 2>/dev/null || cat; }
}

say() { [ "$VIEW" = check ] && printf '%s\n' "$*"; return 0; }

# ---- one lab -------------------------------------------------------------------

grade_lab() { # NN
    n=$1
    m=$WORK/lab$n.m
    title="Lab $n"
    if [ ! -f "$TREE/tests/test_lab$n.manifest" ]; then
        printf '%s\t%s\t%s\t%s\n' "$n" "$title" error "no manifest" >>"$WORK/labs.tsv"
        record "$n" error 0 manifest "grader error" visible 0 0 failed 0 "" \
            "$(note_file "lab$n.err" "tests/test_lab$n.manifest is missing: the grader does not know this lab's points, titles and hints.")"
        STATUS=2
        return
    fi
    if ! manifest_parse "$TREE/tests/test_lab$n.manifest" "$n" "$m" 2>"$WORK/lab$n.merr"; then
        printf '%s\t%s\t%s\t%s\n' "$n" "$title" error "bad manifest" >>"$WORK/labs.tsv"
        record "$n" error 0 manifest "grader error" visible 0 0 failed 0 "" "$WORK/lab$n.merr"
        cat "$WORK/lab$n.merr" >&2
        STATUS=2
        return
    fi
    title=$(manifest_title "$m")
    bin=$ABS_BUILD/$BINS/test_lab$n

    # The grader-owned parts first: if the tests, the harness or the
    # provided library do not build, that is the kit's fault, not the
    # learner's.
    set -- "$BUILD/libkit.a" "$BUILD/obj/tests/test_lab$n.o"
    for h in "$TREE"/tests/harness/*.c; do
        h=${h#"$TREE"/}
        set -- "$@" "$BUILD/obj/${h%.c}.o"
    done
    if ! kmake "$@" >"$WORK/lab$n.kit" 2>&1; then
        { echo "The grader's own files for lab $n did not build (a kit problem, not yours):"; build_message "$WORK/lab$n.kit"; } >"$WORK/lab$n.err"
        printf '%s\t%s\t%s\t%s\n' "$n" "$title" error "kit build" >>"$WORK/labs.tsv"
        record "$n" error 0 kit "grader error" visible 0 0 failed 0 "" "$WORK/lab$n.err"
        cat "$WORK/lab$n.err" >&2
        STATUS=2
        return
    fi

    # Build. A failure is the learner's (their file does not compile), so it
    # is a failed entry, and every test of the lab is reported as not run.
    say "Building lab $n ($title)..."
    if ! kmake "$BUILD/$BINS/test_lab$n" >"$WORK/lab$n.build" 2>&1 || [ ! -x "$bin" ]; then
        build_message "$WORK/lab$n.build" >"$WORK/lab$n.bmsg"
        printf '%s\t%s\t%s\t%s\n' "$n" "$title" build_failed "" >>"$WORK/labs.tsv"
        record "$n" build 0 build build visible 0 0 failed 0 "" "$WORK/lab$n.bmsg"
        skipnote=$(note_file "lab$n.skip" "not run: lab $n did not build")
        awk -F '\t' '$1 == "T"' "$m" | {
            i=0
            while IFS='	' read -r _ tname tpoints tvis ttitle thint; do
                i=$((i + 1))
                record "$n" test "$i" "$tname" "$ttitle" "$tvis" "$tpoints" 0 skipped 0 "$thint" "$skipnote"
            done
        }
        [ "$VIEW" = check ] && sed 's/^/    /' "$WORK/lab$n.bmsg"
        [ $STATUS -lt 1 ] && STATUS=1
        return
    fi

    # The manifest and the program must list the same tests, in order.
    if ! (cd "$TREE" && timeout 20 "$bin" --list) >"$WORK/lab$n.list" 2>"$WORK/lab$n.listerr"; then
        { echo "$bin --list failed:"; cat "$WORK/lab$n.listerr"; } >"$WORK/lab$n.err"
        printf '%s\t%s\t%s\t%s\n' "$n" "$title" error "--list failed" >>"$WORK/labs.tsv"
        record "$n" error 0 list "grader error" visible 0 0 failed 0 "" "$WORK/lab$n.err"
        cat "$WORK/lab$n.err" >&2
        STATUS=2
        return
    fi
    manifest_tests "$m" >"$WORK/lab$n.mnames"
    if ! cmp -s "$WORK/lab$n.list" "$WORK/lab$n.mnames"; then
        {
            echo "tests/test_lab$n.manifest and the test program disagree:"
            awk 'NR == FNR { inlist[$0] = 1; next } { inman[$0] = 1 }
                 END {
                     for (t in inlist) if (!(t in inman)) print "  " t ": a test without a manifest record"
                     for (t in inman) if (!(t in inlist)) print "  " t ": a manifest record without a test"
                 }' "$WORK/lab$n.list" "$WORK/lab$n.mnames" | sort
            sort "$WORK/lab$n.list" >"$WORK/a"
            sort "$WORK/lab$n.mnames" >"$WORK/b"
            cmp -s "$WORK/a" "$WORK/b" && echo "  the same tests, in another order: list them in program order"
        } >"$WORK/lab$n.err"
        printf '%s\t%s\t%s\t%s\n' "$n" "$title" error "manifest mismatch" >>"$WORK/labs.tsv"
        record "$n" error 0 manifest "grader error" visible 0 0 failed 0 "" "$WORK/lab$n.err"
        cat "$WORK/lab$n.err" >&2
        STATUS=2
        return
    fi
    printf '%s\t%s\t%s\t%s\n' "$n" "$title" graded "" >>"$WORK/labs.tsv"

    ran=0
    i=0
    awk -F '\t' '$1 == "T"' "$m" >"$WORK/lab$n.tests"
    [ "${GRADE_SHARED_MOCK:-1}" = 1 ] && shared_mock_start
    # Tests are independent (each starts its own mock server on port 0), so
    # a full grading runs them in parallel; make check runs them in order.
    if [ "$FIRST_FAILURE" = 0 ]; then
        set -- $(awk -F "\t" -v only=" $ONLY " 'only == "  " || index(only, " " $2 " ") { print NR ":" $2 }' "$WORK/lab$n.tests")
        if [ $# -gt 0 ]; then
            "$RUNNER" -j "$JOBS" -t "$TIMEOUT" -C "$TREE" -o "$WORK/lab$n" "$bin" "$@" || die "the test runner failed"
        fi
    fi
    while IFS='	' read -r _ tname tpoints tvis ttitle thint; do
        i=$((i + 1))
        if [ -n "$ONLY" ] && ! echo " $ONLY " | grep -q " $tname "; then
            continue
        fi
        if [ "$STOPPED" = 1 ]; then
            record "$n" test "$i" "$tname" "$ttitle" "$tvis" "$tpoints" 0 skipped 0 "$thint" \
                "$(note_file "lab$n.stop" "not run: make check stops at the first failure")"
            continue
        fi
        base=$WORK/lab$n.$i
        [ -f "$base.rc" ] || "$RUNNER" -t "$TIMEOUT" -C "$TREE" -o "$WORK/lab$n" "$bin" "$i:$tname" || die "the test runner failed"
        { read -r rc; read -r ms; read -r seen; } <"$base.rc"
        ran=$((ran + 1))
        status=failed
        why=
        : >"$base.txt"
        if [ $rc = 124 ] || { [ $rc = 137 ] && [ $ms -ge $((TIMEOUT * 1000)) ]; }; then
            why="The test did not finish within $TIMEOUT s: something hangs (a retry loop that never ends, a real sleep that is far too long, a lock never released)."
        elif case $seen in *skipped*) true ;; *) false ;; esac; then
            status=skipped
        elif [ $rc = 0 ] && case $seen in *" ok"*) true ;; *) false ;; esac; then
            status=passed
        elif [ $rc -gt 128 ]; then
            sig=$(kill -l $((rc - 128)) 2>/dev/null || echo "$((rc - 128))")
            why="The test program crashed (signal SIG$sig) while running this test: look for a NULL pointer, a freed pointer or a buffer overrun in your code."
        elif case $seen in *crash*) true ;; *) false ;; esac; then
            why="The test program crashed while running this test (CMocka caught the signal): look for a NULL pointer, a freed pointer or a buffer overrun in your code."
        elif case $seen in *run*) false ;; *) true ;; esac; then
            why="The test program did not run this test (exit status $rc)."
        fi
        [ $status = passed ] || clean_output "$base.out" "$base.err" "$base.txt"
        if [ -n "$why" ]; then
            { echo "$why"; [ -s "$base.txt" ] && { echo; cat "$base.txt"; }; } >"$base.txt2"
            mv "$base.txt2" "$base.txt"
        fi
        score=0
        [ $status = passed ] && score=$tpoints
        record "$n" test "$i" "$tname" "$ttitle" "$tvis" "$tpoints" "$score" "$status" "$ms" "$thint" "$base.txt"
        case $status in
        passed) say "  ok    $tname  ($ttitle)" ;;
        skipped) say "  skip  $tname  ($ttitle)" ;;
        *)
            if [ "$tvis" = bonus ]; then
                say "  --    $tname  (bonus, not yet: $ttitle)"
            else
                say "  FAIL  $tname  ($ttitle)"
                [ $STATUS -lt 1 ] && STATUS=1
                [ "$FIRST_FAILURE" = 1 ] && STOPPED=1
            fi
            ;;
        esac
    done <"$WORK/lab$n.tests"
    shared_mock_stop
    if [ $ran = 0 ] && [ "$STOPPED" = 0 ]; then
        record "$n" error 0 none "grader error" visible 0 0 failed 0 "" \
            "$(note_file "lab$n.none" "No test ran for lab $n: that is an error, never a pass.")"
        STATUS=2
    fi
}

STOPPED=0
for n in $LABS; do
    grade_lab "$n"
done
RUN_END=$(now_ms)
SECS=$(awk -v a="$RUN_START" -v b="$RUN_END" 'BEGIN { printf "%.3f", (b - a) / 1000 }')

# Files a submission lacked: the starter was graded in their place.
if [ -s "$WORK/copied" 2>/dev/null ] && grep -q '	missing$' "$WORK/copied"; then
    awk -F '\t' '$3 == "missing" { printf "grader: lab %s: %s is not in the submission; the starter file was graded\n", $1, $2 }' \
        "$WORK/copied" >&2
fi

[ -s "$WORK/results.tsv" ] || die "no test ran"

render() { # FMT
    awk -v fmt="$1" -v who="$NAME" -v secs="$SECS" -f "$GRADER_DIR/render.awk" \
        "$WORK/labs.tsv" "$WORK/results.tsv"
}

if [ -n "$OUT_DIR" ]; then
    render json >"$OUT_DIR/results.json"
    render junit >"$OUT_DIR/junit.xml"
    render tap >"$OUT_DIR/results.tap"
    render markdown >"$OUT_DIR/report.md"
fi
[ -n "$JSON" ] && render json >"$JSON"
[ -n "$JUNIT" ] && render junit >"$JUNIT"
[ -n "$TAP" ] && render tap >"$TAP"
[ -n "$MARKDOWN" ] && render markdown >"$MARKDOWN"
[ -n "$CSVROW" ] && render csvrow >"$CSVROW"
if [ -n "$TSV" ]; then
    # Inline each output so the file outlives this run's work directory.
    awk -F '\t' 'BEGIN { OFS = "\t" }
        { o = ""; f = $12
          if (f != "") { while ((getline l < f) > 0) o = o (o == "" ? "" : "\\n") l; close(f) }
          gsub(/\t/, " ", o); $12 = o; print }' "$WORK/results.tsv" >"$TSV"
fi

case $VIEW in
table) render table ;;
progress) render progress ;;
check)
    echo
    if [ $STATUS = 0 ]; then
        awk -F '\t' '$2 == "test" && $9 == "passed" { p++ } $2 == "test" { n++ }
            END { printf "All graded tests pass (%d of %d, bonus included).\n", p, n }' "$WORK/results.tsv"
    else
        render failure
        awk -F '\t' '$2 == "test" && $9 == "passed" { p++ } $2 == "test" && $9 == "skipped" { s++ } $2 == "test" { n++ }
            END { printf "%d of %d tests pass so far; %d not run yet (make check stops at the first failure).\n", p, n, s }' "$WORK/results.tsv"
    fi
    ;;
esac
exit $STATUS
