#!/bin/sh
# make soak: load and faults on the mock server (issue 7). Starts the server
# on a loopback port, scripts a mix of keys (success, scripted 503/429,
# rate-limited, 50 ms late), and drives it with wrk: 256 keep-alive
# connections for SOAK_SECONDS (default 30). Meanwhile one loop polls
# /_mock/health every 200 ms and another samples the server's memory.
#
# Passes when wrk saw no socket errors (connect, read, write, timeout: the
# scripts hold no socket faults, so any is a real one), every status is one
# the mix asks for (200, 429, 503), the server's peak resident memory
# (VmHWM) stays under SOAK_MAX_RSS_MIB (default 64), no health check failed,
# and the server still answers a normal request at the end.
#
# usage: tests/tools/soak.sh BUILD_DIR
# Figures go to stdout and to BUILD_DIR/soak/results.txt. Every process is
# our child, tracked by its pid and stopped on every exit path; nothing is
# killed by name.
set -u
BUILD_DIR=${1:-build}
SERVER="$BUILD_DIR/mockserver"
SECONDS_=${SOAK_SECONDS:-30}
CONNS=${SOAK_CONNECTIONS:-256}
MAX_RSS_MIB=${SOAK_MAX_RSS_MIB:-64}
HERE=$(dirname "$0")
OUT="$BUILD_DIR/soak"
RESULTS="$OUT/results.txt"

[ -x "$SERVER" ] || { echo "soak: $SERVER is missing; run: make soak" >&2; exit 2; }
for tool in curl wrk; do
    command -v $tool >/dev/null 2>&1 && continue
    echo "soak: $tool is missing; installing it with apt-get" >&2
    if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
    $SUDO apt-get install -y -q $tool >/dev/null || {
        echo "soak: could not install $tool" >&2; exit 2; }
done
case $SECONDS_ in ''|*[!0-9]*) echo "soak: SOAK_SECONDS must be a whole number" >&2; exit 2;; esac

mkdir -p "$OUT"
rm -f "$OUT"/*.txt "$OUT"/*.log
health_pid="" mem_pid="" wrk_pid=""

. "$(dirname "$0")/mockserver.sh"
cleanup() {
    stop_child "$wrk_pid"; wrk_pid=""
    stop_child "$health_pid"; health_pid=""
    stop_child "$mem_pid"; mem_pid=""
    mock_stop
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- the server ------------------------------------------------------------
MOCK_NO_TRAP=1 MOCK_LOG="$OUT/server.log" mock_start "$SERVER" --host 127.0.0.1 ||
    { cat "$OUT/server.log" >&2; exit 1; }
server_pid=$mock_pid
URL="http://127.0.0.1:$mock_port"

ctl() { # METHOD PATH BODY
    code=$(curl -s -o "$OUT/ctl.out" -w '%{http_code}' -m 5 -X "$1" "$URL$2" -d "$3")
    [ "$code" = 200 ] || { echo "soak: $1 $2 answered $code: $(cat "$OUT/ctl.out")" >&2; exit 1; }
}
ctl PUT /_mock/scripts/soak-fault \
    '{"steps":[{"status":503},{"status":429,"retry_after_ms":5},{"status":200}],"then":"repeat"}'
ctl PUT /_mock/scripts/soak-slow '{"steps":[{"delay_ms":50}],"then":"repeat"}'
ctl PUT /_mock/limits/soak-limited '{"rpm":60,"tpm":0}'

status_kb() { # FIELD: the server's VmRSS or VmHWM in kB, or empty
    sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$server_pid/status" 2>/dev/null
}
rss_start_kb=$(status_kb VmRSS)

# ---- the watchers ----------------------------------------------------------
# Health: a check starts every 200 ms (or as soon as the last one ends, if
# it took longer), each capped at 2 s; one line per check: ok|fail MS.
(
    while :; do
        t0=$(date +%s%N)
        if curl -s -f -m 2 -o /dev/null "$URL/_mock/health"; then r=ok; else r=fail; fi
        ms=$(( ($(date +%s%N) - t0) / 1000000 ))
        echo "$r $ms"
        [ $ms -ge 200 ] || sleep "0.$(printf %03d $((200 - ms)))"
    done
) >"$OUT/health.log" 2>/dev/null &
health_pid=$!
# Memory: VmRSS once a second (VmHWM, read at the end, is the true peak).
(
    while :; do
        echo "$(date +%s) $(status_kb VmRSS)"
        sleep 1
    done
) >"$OUT/memory.log" 2>/dev/null &
mem_pid=$!

# ---- the load --------------------------------------------------------------
echo "soak: $CONNS connections for ${SECONDS_} s against $URL"
wrk -t2 -c"$CONNS" -d"${SECONDS_}s" --timeout 5s -s "$HERE/soak.lua" \
    "$URL" >"$OUT/wrk.log" 2>&1 &
wrk_pid=$!
wait "$wrk_pid"
wrk_rc=$?
wrk_pid=""
sleep 0.5 # one more health check after the load
stop_child "$health_pid"; health_pid=""
stop_child "$mem_pid"; mem_pid=""

# ---- the verdict -----------------------------------------------------------
hwm_kb=$(status_kb VmHWM)
rss_end_kb=$(status_kb VmRSS)
alive=no
code=$(curl -s -o /dev/null -w '%{http_code}' -m 5 "$URL/v1/messages" \
    -H 'x-api-key: soak-after' -H 'anthropic-version: 2023-06-01' \
    -d '{"model":"claude-haiku-4.5","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}')
[ "$code" = 200 ] && alive=yes

field() { sed -n "s/^SOAK $1 //p" "$OUT/wrk.log"; }
requests=$(field requests)
dur_us=$(field duration_us)
sockerr=$(field socket_errors)
latency=$(field latency_ms)
statuses=$(sed -n 's/^SOAK status //p' "$OUT/wrk.log" | sort -n | awk '{printf "%s%s x %s", (NR > 1 ? ", " : ""), $1, $2}')
odd=$(sed -n 's/^SOAK status //p' "$OUT/wrk.log" | awk '$1 != 200 && $1 != 429 && $1 != 503 {s += $2} END {print s + 0}')
sock_total=$(echo "$sockerr" | tr ' ' '\n' | sed -n 's/.*=//p' | awk '{s += $1} END {print s + 0}')
checks=$(wc -l <"$OUT/health.log")
health_fail=$(grep -c '^fail' "$OUT/health.log")
health_max_ms=$(awk '{if ($2 > m) m = $2} END {print m + 0}' "$OUT/health.log")
rps=$(awk -v r="${requests:-0}" -v d="${dur_us:-1}" 'BEGIN {printf "%.0f", r / (d / 1e6)}')
# The RSS samples every 10 s, to show whether memory levels off.
trend=$(awk 'NR % 10 == 1 && $2 != "" {printf "%s%s", (n++ ? " " : ""), $2}' "$OUT/memory.log")
peak_mib=$(awk -v k="${hwm_kb:-0}" 'BEGIN {printf "%.1f", k / 1024}')

verdict=PASS
reasons=""
fail() { verdict=FAIL; reasons="$reasons; $1"; }
[ "$wrk_rc" = 0 ] && [ -n "$requests" ] || fail "wrk exited $wrk_rc (see $OUT/wrk.log)"
[ "$sock_total" = 0 ] || fail "socket errors: $sockerr"
[ "$odd" = 0 ] || fail "$odd answers with a status the mix does not ask for"
for want in 200 429 503; do
    grep -q "^SOAK status $want " "$OUT/wrk.log" || fail "no $want at all: the mix was not exercised"
done
[ -n "$hwm_kb" ] && [ "$hwm_kb" -lt $((MAX_RSS_MIB * 1024)) ] || fail "peak RSS ${hwm_kb:-?} kB is not under $MAX_RSS_MIB MiB"
[ "$checks" -ge 1 ] && [ "$health_fail" = 0 ] || fail "$health_fail of $checks health checks failed"
[ "$alive" = yes ] || fail "a normal request after the load answered $code"

{
    echo "soak: $(date -u +%Y-%m-%dT%H:%M:%SZ), ${SECONDS_} s, $CONNS connections, 2 wrk threads, loopback"
    echo "requests:        ${requests:-?} (${rps} req/s)"
    echo "statuses:        $statuses"
    echo "socket errors:   $sockerr"
    echo "latency:         $latency"
    echo "server memory:   VmRSS ${rss_start_kb:-?} kB at start, ${rss_end_kb:-?} kB at end, peak VmHWM ${hwm_kb:-?} kB = $peak_mib MiB (bound $MAX_RSS_MIB MiB)"
    echo "RSS every 10 s:  $trend (kB)"
    echo "health checks:   $checks in ${SECONDS_} s, $health_fail failed, slowest ${health_max_ms} ms"
    echo "after the load:  a normal request answered ${code}"
    echo "result:          $verdict${reasons}"
} | tee "$RESULTS"
[ $verdict = PASS ]
