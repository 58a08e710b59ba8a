# Sourced by the kit's scripts: start the mock server on a free port and
# always stop it. The server is tracked by its pid (never killed by name).
#
#     . tests/tools/mockserver.sh
#     mock_start build/mockserver --tier anthropic-tier1   # sets mock_pid, mock_port
#     ... use http://127.0.0.1:$mock_port ...
#     (mock_stop runs on every exit path: mock_start installs the trap)
# MOCK_LOG names a file for the server's output (default: none).

mock_pid=""
mock_port=""
mock_port_file=""

# stop_child PID: stops one of our own children: TERM, a bounded wait
# (3 s), then the hard way. An empty PID is a no-op.
stop_child() {
    [ -n "$1" ] || return 0
    kill -TERM "$1" 2>/dev/null
    _i=0
    while kill -0 "$1" 2>/dev/null && [ $_i -lt 30 ]; do
        sleep 0.1
        _i=$((_i + 1))
    done
    kill -KILL "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    return 0
}

mock_stop() {
    stop_child "$mock_pid"
    mock_pid=""
    [ -n "$mock_port_file" ] && rm -f "$mock_port_file"
    mock_port_file=""
}

# mock_start SERVER [FLAGS...]: returns non-zero, with a message, when the
# server does not come up within 10 s.
mock_start() {
    _server=$1
    shift
    if [ ! -x "$_server" ]; then
        echo "$0: $_server is missing (build it with make)" >&2
        return 2
    fi
    mock_port_file=$(mktemp "${TMPDIR:-/tmp}/mock-port.XXXXXX") || return 2
    # A script with more children of its own sets MOCK_NO_TRAP=1 and calls
    # mock_stop from its own cleanup.
    if [ -z "${MOCK_NO_TRAP:-}" ]; then
        trap mock_stop EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
    fi
    "$_server" --port 0 --quiet --port-file "$mock_port_file" "$@" \
        >"${MOCK_LOG:-/dev/null}" 2>&1 &
    mock_pid=$!
    _i=0
    while [ $_i -lt 100 ]; do
        # Complete once it holds a whole line: the port and a newline.
        if [ "$(wc -l <"$mock_port_file")" -ge 1 ]; then
            mock_port=$(cat "$mock_port_file")
            return 0
        fi
        if ! kill -0 "$mock_pid" 2>/dev/null; then
            echo "$0: the mock server exited at start" >&2
            mock_pid=""
            return 1
        fi
        sleep 0.1
        _i=$((_i + 1))
    done
    echo "$0: the mock server did not start within 10 s" >&2
    return 1
}
