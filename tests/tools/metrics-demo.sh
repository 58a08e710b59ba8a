#!/bin/sh
# make metrics-demo: a short workload through the lab 3 client on the mock
# server (429s and 503s on cue), recorded by lab 6's registry and served at
# http://localhost:PORT/metrics for a real Prometheus to scrape (the lab 6
# handout has the scrape config). Runs the learner's build by default; SOL=1
# runs the reference. Stops after SECONDS (default 300) or on Ctrl-C.
#
# usage: tests/tools/metrics-demo.sh BUILD_DIR [sol] [PORT] [SECONDS]
set -u
BUILD_DIR=${1:-build}
TREE=${2:-lab}
PORT=${3:-8000}
SECONDS_=${4:-300}
DEMO="$BUILD_DIR/$TREE/lab06/metrics_demo"
[ -x "$DEMO" ] || { echo "metrics-demo: $DEMO is missing; run it with: make metrics-demo" >&2; exit 2; }

. "$(dirname "$0")/mockserver.sh"
mock_start "$BUILD_DIR/mockserver" || exit 1
echo "metrics-demo: mock server (pid $mock_pid) on http://127.0.0.1:$mock_port"
echo "metrics-demo: metrics at http://localhost:$PORT/metrics for $SECONDS_ s (Ctrl-C stops)"
ANTHROPIC_BASE_URL="http://127.0.0.1:$mock_port" \
    "$DEMO" --port "$PORT" --seconds "$SECONDS_"
