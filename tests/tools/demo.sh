#!/bin/sh
# The kit's demo: starts the mock server on a free port, runs the lab 3
# reference client through a scripted storm on it (build/sol/lab03/storm),
# stops the server and exits with the program's status.
#
# usage: tests/tools/demo.sh BUILD_DIR
# The server is tracked by its pid and always stopped, on every exit path;
# nothing is ever killed by name.
set -u
BUILD_DIR=${1:-build}
SERVER="$BUILD_DIR/mockserver"
STORM="$BUILD_DIR/sol/lab03/storm"

for exe in "$SERVER" "$STORM"; do
    if [ ! -x "$exe" ]; then
        echo "demo: $exe is missing; run it with: make demo" >&2
        exit 2
    fi
done

port_file=$(mktemp "${TMPDIR:-/tmp}/demo-port.XXXXXX") || exit 2
server_pid=""

stop_server() {
    if [ -n "$server_pid" ]; then
        kill -TERM "$server_pid" 2>/dev/null
        # A bounded wait (3 s), then the hard way: it is our child.
        i=0
        while kill -0 "$server_pid" 2>/dev/null && [ $i -lt 30 ]; do
            sleep 0.1
            i=$((i + 1))
        done
        kill -KILL "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
        server_pid=""
    fi
    rm -f "$port_file"
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The port file is written once the server listens; wait for it (10 s).
: >"$port_file"
"$SERVER" --port 0 --quiet --port-file "$port_file" >/dev/null &
server_pid=$!
port=""
i=0
while [ $i -lt 100 ]; do
    # Complete once it holds a whole line: the port and a newline.
    if [ "$(wc -l <"$port_file")" -ge 1 ]; then
        port=$(cat "$port_file")
        break
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "demo: the mock server exited at start" >&2
        server_pid=""
        exit 1
    fi
    sleep 0.1
    i=$((i + 1))
done
if [ -z "$port" ]; then
    echo "demo: the mock server did not start within 10 s" >&2
    exit 1
fi

echo "demo: mock server (pid $server_pid) listening on http://127.0.0.1:$port"
echo
ANTHROPIC_BASE_URL="http://127.0.0.1:$port" \
ANTHROPIC_API_KEY="mock-key-demo-storm" \
    "$STORM"
status=$?
echo
if [ $status = 0 ]; then
    echo "demo: every call ended as scripted"
else
    echo "demo: the storm program exited with status $status" >&2
fi
exit $status
