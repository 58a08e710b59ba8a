#!/bin/sh
# make memcheck: runs test programs under valgrind, and the mock server each
# one starts under valgrind too (through MOCKSERVER_WRAP, which the harness
# puts in front of the server). Passes only with zero errors and zero
# definite or indirect leaks in every process, and every test passing.
#
# usage: memcheck.sh BUILD_DIR PROG...
# Logs: BUILD_DIR/memcheck/NAME.log (valgrind, the test program),
# NAME.out (its output), server-NAME-PID.log (valgrind, each server).
# With -q valgrind writes a log only when it has something to report, so a
# non-empty log is a failure. Each program gets MEMCHECK_TIMEOUT seconds
# (default 1200).
set -u
build=$1; shift
logdir=$build/memcheck
rm -rf "$logdir"; mkdir -p "$logdir"
VG="valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=1"
command -v valgrind >/dev/null 2>&1 || { echo "memcheck: valgrind is missing (apt-get install valgrind)" >&2; exit 1; }
status=0
start=$(date +%s)
# run_vg PROG TAG [TEST...]: PROG (only the named tests, if any) under
# valgrind; logs TAG.log, TAG.out; sets rc.
run_vg() {
    prog=$1; tag=$2; shift 2
    MOCKSERVER_WRAP="$VG --log-file=$logdir/server-$tag-%p.log" \
        timeout "${MEMCHECK_TIMEOUT:-1200}" \
        $VG --log-file="$logdir/$tag.log" "$prog" "$@" >"$logdir/$tag.out" 2>&1
    rc=$?
}
# servers_clean TAG: valgrind said nothing about the servers of run TAG;
# clean TAG: nor about the program itself.
servers_clean() {
    for f in "$logdir"/server-"$1"-*.log; do
        [ ! -s "$f" ] || return 1
    done
    return 0
}
clean() {
    [ ! -s "$logdir/$1.log" ] && servers_clean "$1"
}
retried=""
for prog in "$@"; do
    name=$(basename "$prog")
    t0=$(date +%s)
    run_vg "$prog" "$name"
    if [ $rc = 0 ] && clean "$name"; then
        echo "memcheck: ok   $prog ($(( $(date +%s) - t0 )) s)"
        continue
    fi
    # Valgrind slows everything 10-50 times, and a few tests hold timing
    # bounds (a 300 ms client timeout, a rate-limit bucket refilling every
    # 240 ms). When tests failed, and a failed CMocka test leaks what its
    # longjmp skipped, the verdict comes from two runs that pass: every
    # other test together, then the failed ones alone. Each retry is named.
    failed=$(sed -n 's/^\[  FAILED  \] \([A-Za-z_0-9]*\)$/\1/p' "$logdir/$name.out" | sort -u)
    if [ $rc != 0 ] && [ -n "$failed" ] && servers_clean "$name"; then
        others=$("$prog" --list | grep -vxF "$failed")
        ok=1
        if [ -n "$others" ]; then
            run_vg "$prog" "$name.others" $others
            { [ $rc = 0 ] && clean "$name.others"; } || ok=0
        fi
        run_vg "$prog" "$name.retry" $failed
        { [ $rc = 0 ] && clean "$name.retry"; } || ok=0
        if [ $ok = 1 ]; then
            echo "memcheck: ok   $prog ($(( $(date +%s) - t0 )) s; passed on a retry of:" $failed")"
            retried="$retried $name:"$(echo $failed | tr ' ' ',')
            # The first run's logs are superseded; keep them for reading.
            for f in "$logdir/$name.log" "$logdir"/server-"$name"-*.log; do
                [ -e "$f" ] && mv "$f" "$f.first-run"
            done
            continue
        fi
    fi
    echo "memcheck: FAIL $prog (exit $rc, $(( $(date +%s) - t0 )) s): see $logdir/$name*.log and .out"
    status=1
done
servers=0
for log in "$logdir"/server-*.log; do
    [ -e "$log" ] || continue
    servers=$((servers + 1))
    if [ -s "$log" ]; then
        echo "memcheck: the mock server reported errors: $log"
        head -30 "$log"
        status=1
    fi
done
[ -z "$retried" ] || echo "memcheck: timing tests retried:$retried"
echo "memcheck: $# programs and $servers server processes in $(( $(date +%s) - start )) s"
[ $status = 0 ] && echo "memcheck: no errors and no definite or indirect leaks"
exit $status
