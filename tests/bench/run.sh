#!/bin/sh
# The kit's benchmark suite (issue 8; see README.md here). Run it with
# `make bench`. It builds what it needs with optimisation (-O2), installs
# wrk and nginx from Debian when they are missing, binds loopback only,
# measures the mock server, the lab 3 client and the grader against
# references in the same run, and writes $BUILD/bench/results.md (also
# printed).
#
# Environment: MAKE, BUILD (default build), LAB_TESTS (the labs with graded
# tests, from the Makefile), BENCH_DURATION (seconds per wrk run, default
# 8), BENCH_CALLS (benchmark 3's calls per loop, default 2000),
# BENCH_SKIP_GRADE=1 (skip benchmark 4, the slowest).
# Exit status: 0 the suite ran (targets met or not: see the table), 1 it
# could not run (a tool missing, the mock server not building).
set -u

MAKE=${MAKE:-make}
BUILD=${BUILD:-build}
LAB_TESTS=${LAB_TESTS:-}
DURATION=${BENCH_DURATION:-8}
CALLS=${BENCH_CALLS:-2000}
HOST=127.0.0.1
TREE=$(pwd)
OUT=$TREE/$BUILD/bench
case $BUILD in /*) OUT=$BUILD/bench ;; esac
RESULTS=$OUT/results.md
KEY_FAST=test-bench-fast
KEY_SLOW=test-bench-slow
BODY='{"model":"claude-haiku-4.5","max_tokens":64,"messages":[{"role":"user","content":"What is BGP?"}]}'

die() { echo "bench: $*" >&2; exit 1; }
log() { echo "bench: $*" >&2; }

# ---- processes: every one we start is tracked by pid and stopped ---------

PIDS=''
track() { PIDS="$PIDS $1"; }
stop_pid() { # PID: TERM, then KILL after 5 s; reaps it
    kill -0 "$1" 2>/dev/null || return 0
    kill -TERM "$1" 2>/dev/null
    i=0
    while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    kill -0 "$1" 2>/dev/null && kill -KILL "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    return 0
}
cleanup() {
    for p in $PIDS; do stop_pid "$p"; done
    PIDS=''
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- tools ----------------------------------------------------------------

NGINX=$(command -v nginx || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; })
need=
command -v wrk >/dev/null 2>&1 || need="$need wrk"
[ -n "$NGINX" ] || need="$need nginx-light"
command -v curl >/dev/null 2>&1 || need="$need curl"
if [ -n "$need" ]; then
    log "installing$need from Debian"
    SUDO=''
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq >/dev/null 2>&1
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $need >/dev/null ||
        die "could not install$need"
    NGINX=$(command -v nginx || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; })
fi
command -v wrk >/dev/null 2>&1 || die "wrk is missing"

# ---- build ------------------------------------------------------------------

mkdir -p "$OUT" || die "cannot create $OUT"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)
log "building (-O2) into $BUILD"
kmake() { "$MAKE" -C "$TREE" --no-print-directory BUILD="$BUILD" "$@"; }
kmake -j2 "$BUILD/mockserver" >"$OUT/build.log" 2>&1 || {
    cat "$OUT/build.log" >&2
    die "the mock server did not build"
}
MOCK=$TREE/$BUILD/mockserver
case $BUILD in /*) MOCK=$BUILD/mockserver ;; esac
CLIENT_BENCH=''
kmake -j2 "$BUILD/bench/client_bench" >>"$OUT/build.log" 2>&1 &&
    CLIENT_BENCH=$OUT/client_bench
SLEPT_BINS=''
SLEPT_MISSING=''
for n in $LAB_TESTS; do
    if kmake -j2 "$BUILD/bench/slept/test_lab$n" >>"$OUT/build.log" 2>&1; then
        SLEPT_BINS="$SLEPT_BINS $OUT/slept/test_lab$n"
    else
        SLEPT_MISSING="$SLEPT_MISSING $n"
        log "lab $n's graded tests did not build (see $OUT/build.log)"
    fi
done

# ---- helpers ------------------------------------------------------------------

# A port nothing listens on (ss when present; nginx's bind is the last word).
free_port() {
    p=$(( ($$ * 7 + $(date +%s)) % 20000 + 30000 ))
    i=0
    while [ $i -lt 50 ]; do
        if ! command -v ss >/dev/null 2>&1 || [ -z "$(ss -Htln "sport = :$p" 2>/dev/null)" ]; then
            echo "$p"
            return 0
        fi
        p=$((p + 1))
        i=$((i + 1))
    done
    echo "$p"
}

# Numbers: fmt, division that survives a zero.
num() { awk -v x="$1" -v f="$2" 'BEGIN { printf f, x }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }
cmp() { awk -v a="$1" -v b="$2" -v op="$3" 'BEGIN {
    if (a == "" || a == "n/a" || b == "") { print "n/a"; exit }
    ok = (op == "<") ? (a + 0 < b + 0) : (op == "<=") ? (a + 0 <= b + 0) : (a + 0 >= b + 0)
    print ok ? "pass" : "miss" }'; }

ROWS=$OUT/rows.md
: >"$ROWS"
row() { # NO BENCHMARK FIGURE REFERENCE RATIO TARGET RESULT
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$@" >>"$ROWS"
}
NOTES=$OUT/notes.md
: >"$NOTES"
note() { printf '%s\n' "$*" >>"$NOTES"; }

# wrk's Lua: POST the Anthropic request with KEY; done() prints one machine
# line: requests, seconds, req/s, p50 and p99 in ms, errors (socket + >= 400).
write_lua() { # FILE KEY
    cat >"$1" <<EOF
wrk.method = "POST"
wrk.body = '$BODY'
wrk.headers["content-type"] = "application/json"
wrk.headers["x-api-key"] = "$2"
wrk.headers["anthropic-version"] = "2023-06-01"
done = function(summary, latency, requests)
    local e = summary.errors
    local s = summary.duration / 1e6
    io.write(string.format("WRK %d %.3f %.1f %.3f %.3f %d\n",
        summary.requests, s, summary.requests / s,
        latency:percentile(50) / 1000, latency:percentile(99) / 1000,
        e.connect + e.read + e.write + e.timeout + e.status))
end
EOF
}
# No response() callback: it would make wrk parse every body. wrk counts
# answers of 400 and up in summary.errors.status.

# run_wrk NAME URL CONNS SECONDS LUA -> $OUT/wrk-NAME.txt; sets W_RPS W_P50
# W_P99 W_ERR W_REQ
run_wrk() {
    wrk -t1 -c"$3" -d"$4"s --timeout 5s -s "$5" "$2" >"$OUT/wrk-$1.txt" 2>&1
    # shellcheck disable=SC2046 # the WRK line's words are the fields
    set -- $(grep '^WRK ' "$OUT/wrk-$1.txt")
    W_REQ=${2:-0} W_RPS=${4:-0} W_P50=${5:-} W_P99=${6:-} W_ERR=${7:-?}
}

start_mock() { # sets MOCK_PID MOCK_PORT
    rm -f "$OUT/mock.port"
    "$MOCK" --host "$HOST" --port 0 --port-file "$OUT/mock.port" --quiet \
        >"$OUT/mock.out" 2>"$OUT/mock.err" &
    MOCK_PID=$!
    track "$MOCK_PID"
    i=0
    while [ ! -s "$OUT/mock.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    [ -s "$OUT/mock.port" ] || die "the mock server did not start: $(cat "$OUT/mock.err")"
    MOCK_PORT=$(tr -d '\n' <"$OUT/mock.port")
}

start_nginx() { # sets NGINX_PID NGINX_PORT; needs the mock server's body
    NG=$OUT/nginx
    mkdir -p "$NG/tmp"
    # The mock server's own answer to the benchmark's request, made safe for
    # an nginx single-quoted string ($ would start a variable).
    answer=$(curl -s -H "x-api-key: $KEY_FAST" -H 'anthropic-version: 2023-06-01' \
        -H 'content-type: application/json' -d "$BODY" \
        "http://$HOST:$MOCK_PORT/v1/messages" | tr "\$'\\\\" '___')
    [ -n "$answer" ] || die "the mock server gave no answer to copy for nginx"
    printf '%s' "$answer" >"$OUT/body.json"
    tries=0
    while [ $tries -lt 5 ]; do
        NGINX_PORT=$(free_port)
        cat >"$NG/nginx.conf" <<EOF
# Written by tests/bench/run.sh: the reference server of benchmark 1.
worker_processes 2;
daemon off;
pid $NG/nginx.pid;
error_log $NG/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $NG/tmp/body;
    proxy_temp_path $NG/tmp/proxy;
    fastcgi_temp_path $NG/tmp/fastcgi;
    uwsgi_temp_path $NG/tmp/uwsgi;
    scgi_temp_path $NG/tmp/scgi;
    keepalive_requests 100000000;
    keepalive_timeout 60s;
    server {
        listen $HOST:$NGINX_PORT;
        location / {
            default_type application/json;
            return 200 '$answer';
        }
    }
}
EOF
        "$NGINX" -p "$NG" -e "$NG/error.log" -c "$NG/nginx.conf" >"$NG/out.log" 2>&1 &
        NGINX_PID=$!
        track "$NGINX_PID"
        i=0
        while [ $i -lt 40 ]; do
            kill -0 "$NGINX_PID" 2>/dev/null || break
            curl -s -o /dev/null "http://$HOST:$NGINX_PORT/" && return 0
            sleep 0.05
            i=$((i + 1))
        done
        stop_pid "$NGINX_PID"
        tries=$((tries + 1))
    done
    return 1
}

# ---- benchmarks 1, 2 and 6: the mock server under wrk -------------------------

LUA_FAST=$OUT/post-fast.lua
LUA_SLOW=$OUT/post-slow.lua
write_lua "$LUA_FAST" "$KEY_FAST"
write_lua "$LUA_SLOW" "$KEY_SLOW"

start_mock
log "mock server pid $MOCK_PID on $HOST:$MOCK_PORT"
MURL=http://$HOST:$MOCK_PORT/v1/messages
curl -s -X PUT "http://$HOST:$MOCK_PORT/_mock/scripts/$KEY_SLOW" \
    -d '{"steps":[{"status":200,"delay_ms":50}],"then":"repeat"}' >/dev/null ||
    die "could not script the delayed key"

HAVE_NGINX=0
if [ -n "$NGINX" ] && start_nginx; then
    HAVE_NGINX=1
    log "nginx pid $NGINX_PID on $HOST:$NGINX_PORT"
else
    log "nginx could not start (see $OUT/nginx/error.log): no reference for benchmark 1"
fi
NURL=http://$HOST:$NGINX_PORT/

for c in 32 256; do
    log "benchmark 1: $c connections, ${DURATION} s each"
    # A short warm-up so both servers have their connections and pages.
    wrk -t1 -c"$c" -d1s -s "$LUA_FAST" "$MURL" >/dev/null 2>&1
    run_wrk "mock-$c" "$MURL" "$c" "$DURATION" "$LUA_FAST"
    eval "M_RPS_$c=\$W_RPS M_P50_$c=\$W_P50 M_P99_$c=\$W_P99 M_ERR_$c=\$W_ERR"
    if [ $HAVE_NGINX = 1 ]; then
        wrk -t1 -c"$c" -d1s -s "$LUA_FAST" "$NURL" >/dev/null 2>&1
        run_wrk "nginx-$c" "$NURL" "$c" "$DURATION" "$LUA_FAST"
    else
        W_RPS='' W_P50='' W_P99='' W_ERR=''
    fi
    eval "N_RPS_$c=\$W_RPS N_P50_$c=\$W_P50 N_P99_$c=\$W_P99 N_ERR_$c=\$W_ERR"
done
[ $HAVE_NGINX = 1 ] && stop_pid "$NGINX_PID"

# Benchmark 2. wrk cannot split its latencies by request kind, so the 20 %
# runs as a second, concurrent wrk: one loads the delayed key (each answer
# 50 ms late, the connection suspended meanwhile) while the other measures
# the undelayed key at 32 connections, as in benchmark 1. The delayed wrk's
# connection count sets its share: about 256 / 0.05 s = 5,000 req/s.
SLOW_CONNS=${BENCH_SLOW_CONNS:-256}
log "benchmark 2: $SLOW_CONNS connections on the delayed key, 32 on the fast one"
wrk -t1 -c"$SLOW_CONNS" -d"$((DURATION + 2))"s --timeout 5s -s "$LUA_SLOW" "$MURL" \
    >"$OUT/wrk-slow.txt" 2>&1 &
SLOW_PID=$!
track "$SLOW_PID"
sleep 1
run_wrk "fast-under-faults" "$MURL" 32 "$DURATION" "$LUA_FAST"
F_RPS=$W_RPS F_P50=$W_P50 F_P99=$W_P99 F_ERR=$W_ERR F_REQ=$W_REQ
wait "$SLOW_PID"
# shellcheck disable=SC2046 # the WRK line's words are the fields
set -- $(grep '^WRK ' "$OUT/wrk-slow.txt")
S_REQ=${2:-0} S_SECS=${3:-1} S_RPS=${4:-0} S_P50=${5:-} S_P99=${6:-} S_ERR=${7:-?}
# The delayed share over the fast wrk's window: rates, not counts, since the
# delayed wrk runs 2 s longer.
SHARE=$(awk -v s="$S_RPS" -v f="$F_RPS" 'BEGIN { if (s + f > 0) printf "%.0f", 100 * s / (s + f); else print 0 }')

# Benchmark 6: the peak resident set since the server started, after 256
# connections of benchmark 1 and the 288 of benchmark 2.
HWM_KB=$(awk '/^VmHWM:/ { print $2 }' "/proc/$MOCK_PID/status" 2>/dev/null)
HWM_MIB=$(awk -v k="${HWM_KB:-0}" 'BEGIN { printf "%.1f", k / 1024 }')

# ---- benchmark 3: the lab 3 client against a plain libcurl loop ---------------

C_RATIO='' C_CONNS='' C_ENTRIES=''
if [ -n "$CLIENT_BENCH" ]; then
    log "benchmark 3: $CALLS sequential calls each, client and plain libcurl"
    curl -s -X POST "http://$HOST:$MOCK_PORT/_mock/reset" >/dev/null
    "$CLIENT_BENCH" "http://$HOST:$MOCK_PORT" "$CALLS" test-bench-client test-bench-curl \
        >"$OUT/client.txt" 2>&1 || log "client_bench reported failures (see $OUT/client.txt)"
    C_MS=$(awk '$1 == "client_ms" { print $2 }' "$OUT/client.txt")
    L_MS=$(awk '$1 == "curl_ms" { print $2 }' "$OUT/client.txt")
    C_CALLS=$(awk '$1 == "calls" { print $2 }' "$OUT/client.txt")
    R_MS=$(awk '$1 == "curl_reset_ms" { print $2 }' "$OUT/client.txt")
    C_FAIL=$(awk '$1 == "failures" { print $2 }' "$OUT/client.txt")
    C_RATIO_SUM=$(ratio "$C_MS" "$L_MS")
    C_RATIO=$(awk '$1 == "median_ratio" { printf "%.2f", $2 }' "$OUT/client.txt")
    curl -s "http://$HOST:$MOCK_PORT/_mock/journal?key=test-bench-client" >"$OUT/journal-client.json"
    C_CONNS=$(grep -o '"conn":[0-9]*' "$OUT/journal-client.json" | sort -u | wc -l | tr -d ' ')
    C_ENTRIES=$(grep -o '"conn":[0-9]*' "$OUT/journal-client.json" | wc -l | tr -d ' ')
    L_CONNS=$(curl -s "http://$HOST:$MOCK_PORT/_mock/journal?key=test-bench-curl" |
        grep -o '"conn":[0-9]*' | sort -u | wc -l | tr -d ' ')
fi
stop_pid "$MOCK_PID"

# ---- benchmark 4: grading speed ------------------------------------------------

G_MAKE= G_SOL= G_TESTS= SLEPT_S= SLEPT_CLOCKS=0 SLEPT_SLEEPS=0
if [ "${BENCH_SKIP_GRADE:-0}" != 1 ]; then
    log "benchmark 4: make grade SUBMISSION=solutions (timed)"
    t0=$(date +%s%N)
    (cd "$TREE" && MAKEFLAGS= "$MAKE" --no-print-directory BUILD="$BUILD" grade SUBMISSION=solutions) \
        >"$OUT/grade-make.txt" 2>&1
    G_MAKE_RC=$?
    t1=$(date +%s%N)
    G_MAKE=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
    log "benchmark 4: grade.sh --solutions on the prebuilt tests (timed)"
    t0=$(date +%s%N)
    (cd "$TREE" && MAKE="$MAKE" BUILD="$BUILD" sh tests/grader/grade.sh --solutions --tsv "$OUT/grade-sol.tsv") \
        >"$OUT/grade-sol.txt" 2>&1
    G_SOL_RC=$?
    t1=$(date +%s%N)
    G_SOL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
    # Each test runs in its own process (and most start a mock server): the
    # per-test times show where the wall time goes.
    G_TESTS=$(awk -F'\t' '{ n++; s += $10 } END { printf "%d tests, %.1f s of test time, mean %.0f ms a test", n, s / 1000, n ? s / n : 0 }' "$OUT/grade-sol.tsv" 2>/dev/null)

    # What the tests' waits would cost at real time: every fake clock logs its
    # slept_ms when destroyed (slept_wrap.c); a clock logged twice counts once.
    log "benchmark 4: the fake clocks' sleeps (instrumented tests)"
    SLEPT=$OUT/slept.txt
    : >"$SLEPT"
    for b in $SLEPT_BINS; do
        BENCH_SLEPT_FILE=$SLEPT MOCKSERVER=$MOCK "$b" >"$OUT/slept-$(basename "$b").log" 2>&1 ||
            log "$(basename "$b") failed run as a whole (see its log); its sleeps still count"
    done
    # shellcheck disable=SC2046 # three numbers
    set -- $(uniq "$SLEPT" | awk '{ n++; k += $3; s += $4 } END { printf "%d %d %.1f", n, k, s / 1000 }')
    SLEPT_CLOCKS=${1:-0} SLEPT_SLEEPS=${2:-0} SLEPT_S=${3:-0}
fi

# ---- benchmarks 5 and 6b: the capstone at a scaled tier -------------------------

# The whole 2,847-config batch at anthropic-tier1 with the provider's clock
# sped up (as make demo runs it): elapsed against the minimum its 80 % share
# allows, the 429s it met, the chatbot's failures, and its peak RSS.
CAP=$TREE/$BUILD/sol/lab08/capstone
case $BUILD in /*) CAP=$BUILD/sol/lab08/capstone ;; esac
CAP_PCT='' CAP_429='' CAP_BOT_FAIL='' CAP_RSS=''
if kmake -j2 "$BUILD/sol/lab08/capstone" >>"$OUT/build.log" 2>&1; then
    log "benchmark 5: the capstone batch at anthropic-tier1, time scale 0.003"
    rm -f "$OUT/mock.port"
    "$MOCK" --host "$HOST" --port 0 --port-file "$OUT/mock.port" --quiet \
        --tier anthropic-tier1 --time-scale 0.003 >/dev/null 2>&1 &
    CAP_MOCK=$!
    track "$CAP_MOCK"
    i=0
    while [ ! -s "$OUT/mock.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    CAP_PORT=$(tr -d '\n' <"$OUT/mock.port")
    ANTHROPIC_BASE_URL="http://$HOST:$CAP_PORT" ANTHROPIC_API_KEY=mock-key-bench-capstone \
        /usr/bin/time -f 'maxrss_kb %M' "$CAP" --tier anthropic-tier1 --time-scale 0.003 \
        --chart "$OUT/capstone.svg" --log "$OUT/capstone-usage.jsonl" \
        >"$OUT/capstone.txt" 2>&1 || log "the capstone reported a failure (see $OUT/capstone.txt)"
    stop_pid "$CAP_MOCK"
    CAP_PCT=$(sed -n 's/.*took \([0-9.]*\) % of the minimum.*/\1/p' "$OUT/capstone.txt" | tail -n 1)
    CAP_429=$(sed -n 's/.*attempts *[0-9]*: [0-9]* retries, \([0-9]*\) answered 429.*/\1/p' "$OUT/capstone.txt" | head -n 1)
    CAP_BOT_FAIL=$(sed -n 's/.*chatbot *[0-9]* calls: [0-9]* answered, \([0-9]*\) failed.*/\1/p' "$OUT/capstone.txt" | head -n 1)
    CAP_RSS=$(awk '$1 == "maxrss_kb" { printf "%.1f", $2 / 1024 }' "$OUT/capstone.txt")
else
    log "the capstone did not build (see $OUT/build.log)"
fi

# ---- the table -----------------------------------------------------------------

NA="not available"
if [ $HAVE_NGINX = 1 ]; then
    R32=$(ratio "$M_RPS_32" "$N_RPS_32")
    R256=$(ratio "$M_RPS_256" "$N_RPS_256")
else
    R32=n/a R256=n/a
fi
row "1a" "mock server req/s, 32 conns" "$(num "$M_RPS_32" %.0f)" "nginx $(num "${N_RPS_32:-0}" %.0f)" "$R32" "≥ 0.60" "$(cmp "$R32" 0.6 '>=')"
row "1b" "mock server p50 / p99 ms, 32 conns" "$M_P50_32 / $M_P99_32" "nginx ${N_P50_32:-?} / ${N_P99_32:-?}" "$(ratio "$M_P99_32" "${N_P99_32:-0}") (p99)" "p99 < 2 ms" "$(cmp "$M_P99_32" 2 '<')"
row "1c" "mock server req/s, 256 conns" "$(num "$M_RPS_256" %.0f)" "nginx $(num "${N_RPS_256:-0}" %.0f)" "$R256" "(none)" "-"
row "1d" "mock server p50 / p99 ms, 256 conns" "$M_P50_256 / $M_P99_256" "nginx ${N_P50_256:-?} / ${N_P99_256:-?}" "$(ratio "$M_P99_256" "${N_P99_256:-0}") (p99)" "(none)" "-"
R2=$(ratio "$F_P99" "$M_P99_32")
row "2" "undelayed p99 ms with ${SHARE} % of requests delayed 50 ms" "$F_P99 (p50 $F_P50, $(num "$F_RPS" %.0f) req/s)" "benchmark 1a p99 $M_P99_32" "$R2" "≤ 2.0" "$(cmp "$R2" 2 '<=')"
if [ -n "$CLIENT_BENCH" ]; then
    C_OK=$(cmp "$C_RATIO" 1.10 '<=')
    [ "$C_CONNS" = 1 ] || C_OK=miss
    [ "${C_FAIL:-1}" = 0 ] || C_OK=miss
    row "3" "lab 3 client, $C_CALLS sequential calls (ms)" "$C_MS; $C_CONNS conn for $C_ENTRIES requests" "plain libcurl $L_MS; $L_CONNS conn" "$C_RATIO (totals $C_RATIO_SUM)" "≤ 1.10 and 1 conn" "$C_OK"
else
    row "3" "lab 3 client vs plain libcurl" "$NA (client_bench did not build)" "-" "-" "≤ 1.10 and 1 conn" "n/a"
fi
if [ -n "$G_MAKE" ]; then
    G_RATIO=$(ratio "$SLEPT_S" "$G_MAKE")
    G_OK=$(cmp "$G_MAKE" 10 '<')
    [ "$(cmp "$G_RATIO" 50 '>=')" = pass ] || G_OK=miss
    row "4a" "make grade SUBMISSION=solutions, wall s" "$G_MAKE (exit $G_MAKE_RC)" "real-time waits $SLEPT_S s" "$G_RATIO x" "< 10 s and ≥ 50x" "$G_OK"
    G2_RATIO=$(ratio "$SLEPT_S" "$G_SOL")
    G2_OK=$(cmp "$G_SOL" 10 '<')
    [ "$(cmp "$G2_RATIO" 50 '>=')" = pass ] || G2_OK=miss
    row "4b" "grade.sh --solutions (prebuilt), wall s" "$G_SOL (exit $G_SOL_RC)" "real-time waits $SLEPT_S s" "$G2_RATIO x" "< 10 s and ≥ 50x" "$G2_OK"
else
    row "4" "grading speed" "skipped (BENCH_SKIP_GRADE=1)" "-" "-" "< 10 s and ≥ 50x" "n/a"
fi
if [ -n "$CAP_PCT" ]; then
    CAP_RATIO=$(awk -v p="$CAP_PCT" 'BEGIN { printf "%.3f", p / 100 }')
    CAP_OK=$(awk -v r="$CAP_RATIO" -v f="${CAP_BOT_FAIL:-1}" 'BEGIN { print (r <= 1.05 && f == 0) ? "pass" : "miss" }')
    row "5" "capstone: 2,847 configs at anthropic-tier1 (80 % share), scaled" "$CAP_PCT % of the minimum; ${CAP_429:-?} 429s; chatbot failures ${CAP_BOT_FAIL:-?}" "the minimum its share allows" "$CAP_RATIO" "≤ 1.05 of minimum, 0 chatbot failures" "$CAP_OK"
else
    row "5" "capstone rate-limit efficiency" "$NA (see $OUT/capstone.txt)" "-" "-" "≤ 1.05 of minimum, 0 failures" "n/a"
fi
row "6a" "mock server peak RSS (VmHWM) after 256 conns" "$HWM_MIB MiB" "-" "-" "< 64 MiB" "$(cmp "$HWM_MIB" 64 '<')"
row "6b" "capstone peak RSS (max RSS of the whole run)" "${CAP_RSS:-$NA} MiB" "-" "-" "(none)" "-"

note "- Machine: $(nproc) cores, $(uname -sr), load average at the start $LOAD_START, at the end $(cut -d' ' -f1-3 /proc/loadavg) (other work shares the machine: p99 figures move with it); wrk 1 thread, ${DURATION} s a run after a 1 s warm-up, keep-alive, POST of the Anthropic request ($(printf '%s' "$BODY" | wc -c | tr -d ' ') bytes); the mock server with its default 4 worker threads, nginx $("$NGINX" -v 2>&1 | sed 's|.*nginx/||') with 2 workers returning the mock server's own answer ($(wc -c <"$OUT/body.json" | tr -d ' ') bytes) from \`return 200\`."
note "- Errors (socket errors + non-2xx) seen by wrk: mock 32: ${M_ERR_32:-?}, mock 256: ${M_ERR_256:-?}, nginx 32: ${N_ERR_32:-?}, nginx 256: ${N_ERR_256:-?}, benchmark 2 fast: ${F_ERR:-?}, delayed: ${S_ERR:-?}."
note "- Benchmark 2: wrk cannot split latencies by request kind, so a second wrk ($SLOW_CONNS connections, $(num "$S_RPS" %.0f) req/s, p50 $S_P50 ms) loaded a key scripted \`delay_ms: 50\` while the measured wrk ran the undelayed key at 32 connections: $SHARE % of the requests in that window were delayed."
[ -n "$CLIENT_BENCH" ] && note "- Benchmark 3: the loops alternate in 20 rounds after 20 warm-up calls each; the ratio is the median over rounds of client time / plain time (the ratio of the totals follows it in brackets); the client key's journal (after a reset) holds $C_ENTRIES requests (warm-up included) on $C_CONNS connection(s); failures: $C_FAIL. For diagnosis, a third libcurl loop that resets the handle and sets its options before each request, as kit_curl.c does, took $R_MS ms (ratio $(ratio "$R_MS" "$L_MS") to the plain loop)."
[ -n "$G_MAKE" ] && note "- Benchmark 4: the real-time figure is the sum of slept_ms of every fake clock the graded tests destroy ($SLEPT_CLOCKS clocks, $SLEPT_SLEEPS sleeps), counted by linking the tests with a wrapper of fake_clock_destroy (tests/bench/slept_wrap.c); 4a includes copying the tree and compiling the submission's files, 4b grades the prebuilt binaries ($G_TESTS, $(nproc) at a time).${SLEPT_MISSING:+ Labs whose instrumented tests did not build (their sleeps are not counted):$SLEPT_MISSING.}"

{
    echo "# Benchmark results"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), \`make bench\` (tests/bench/run.sh)."
    echo
    echo "| # | benchmark | figure | reference | ratio | target | result |"
    echo "|---|---|---|---|---|---|---|"
    cat "$ROWS"
    echo
    cat "$NOTES"
} >"$RESULTS"
cat "$RESULTS"
log "wrote $RESULTS"
exit 0
