#!/bin/sh
# The kit's demo: the course's night, replayed. Starts the mock server on a
# free port at the Anthropic tier-1 limits (50 RPM, 40,000 TPM) with a
# scaled clock, runs the lab 8 reference capstone on it (2,847 router
# configs through the limited batch, the NOC chatbot on the same key, a
# progress bar and a report, an SVG chart), stops the server and exits with
# the program's status: 0 when the run behaved as designed.
#
# usage: tests/tools/demo.sh BUILD_DIR [outage]
#   outage   the same batch with the limiter off: the chatbot's calls fail,
#            as they did that night. That is the expected outcome, and the
#            exit status is 0 when it shows.
# The server is tracked by its pid and always stopped, on every exit path;
# nothing is ever killed by name.
set -u
BUILD_DIR=${1:-build}
MODE=${2:-}
SERVER="$BUILD_DIR/mockserver"
CAPSTONE="$BUILD_DIR/sol/lab08/capstone"
# A provider minute lasts 180 ms: 2,847 calls at 40 RPM take about 13 s.
TIER=anthropic-tier1
SCALE=0.003

case "$MODE" in
"" | outage) ;;
*)
    echo "usage: tests/tools/demo.sh BUILD_DIR [outage]" >&2
    exit 2
    ;;
esac
for exe in "$SERVER" "$CAPSTONE"; do
    if [ ! -x "$exe" ]; then
        echo "demo: $exe is missing; run it with: make demo" >&2
        exit 2
    fi
done

. "$(dirname "$0")/mockserver.sh"
mock_start "$SERVER" --tier "$TIER" --time-scale "$SCALE" || exit 1
server_pid=$mock_pid
port=$mock_port

echo "demo: mock server (pid $server_pid) on http://127.0.0.1:$port," \
    "--tier $TIER --time-scale $SCALE"
if [ "$MODE" = outage ]; then
    echo "demo: the limiter is OFF in this run: expect the chatbot's calls" \
        "to fail. That is the outage this course is about."
    set -- --outage --chart "$BUILD_DIR/lab08-outage.svg" \
        --log "$BUILD_DIR/lab08-outage-usage.jsonl"
else
    set -- --chart "$BUILD_DIR/lab08-batch.svg" \
        --log "$BUILD_DIR/lab08-batch-usage.jsonl"
fi
echo
start=$(date +%s)
ANTHROPIC_BASE_URL="http://127.0.0.1:$port" \
ANTHROPIC_API_KEY="mock-key-demo-capstone" \
    "$CAPSTONE" --tier "$TIER" --time-scale "$SCALE" "$@"
status=$?
end=$(date +%s)
echo
if [ $status = 0 ] && [ "$MODE" = outage ]; then
    echo "demo: the outage showed, as expected ($((end - start)) s). Now" \
        "run make demo without OUTAGE and compare the two charts."
elif [ $status = 0 ]; then
    echo "demo: the batch kept to its share and the chatbot never failed" \
        "($((end - start)) s). make demo OUTAGE=1 shows the night without" \
        "the limiter."
else
    echo "demo: the capstone exited with status $status" >&2
fi
exit $status
