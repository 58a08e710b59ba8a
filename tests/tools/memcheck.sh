#!/bin/sh
# Runs test programs under valgrind, and the mock server each one starts
# under valgrind too. Passes only with zero errors and zero definite or
# indirect leaks in every process. Usage: memcheck.sh BUILD_DIR PROG...
set -u
build=$1; shift
logdir=$build/memcheck
rm -rf "$logdir"; mkdir -p "$logdir"
VG="valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99"
command -v valgrind >/dev/null 2>&1 || { echo "memcheck: valgrind is missing (apt-get install valgrind)" >&2; exit 1; }
status=0
for prog in "$@"; do
    name=$(basename "$prog")
    # The server's log goes to its own file, one per process.
    MOCKSERVER_WRAP="$VG --log-file=$logdir/server-$name-%p.log" \
        $VG --log-file="$logdir/$name.log" "$prog" >"$logdir/$name.out" 2>&1
    rc=$?
    if [ $rc != 0 ]; then
        echo "memcheck: FAIL $prog (exit $rc; see $logdir/$name.log and .out)"
        status=1
    else
        echo "memcheck: ok   $prog"
    fi
done
for log in "$logdir"/server-*.log; do
    [ -e "$log" ] || continue
    if [ -s "$log" ]; then
        echo "memcheck: FAIL the mock server reported errors: $log"
        head -30 "$log"
        status=1
    fi
done
[ $status = 0 ] && echo "memcheck: no errors and no definite or indirect leaks"
exit $status
