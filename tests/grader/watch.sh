#!/bin/sh
# The learner's loop: grade lab N now, then again whenever one of its files
# changes, showing the first failure with its hint. Uses inotifywait when it
# is installed (Debian: inotify-tools), polls once a second otherwise.
#   usage: watch.sh N        (make watch LAB=N); Ctrl-C stops it.
#   WATCH_POLL=1 polls even where inotifywait exists.
set -u
GRADER_DIR=$(cd "$(dirname "$0")" && pwd)
. "$GRADER_DIR/lib.sh"
[ $# -ge 1 ] || die "usage: watch.sh N"
n=$(lab_id "$1")
dir=$(lab_dir labs "$n") || die "there is no lab $n under labs/"
trap 'echo; echo "watch: stopped."; exit 0' INT TERM

# What to watch: the lab's own files (and the provided library, which a lab
# may read). The grader's files do not change under a learner.
stamp() {
    find "$dir" labs/common -type f \( -name '*.c' -o -name '*.h' \) \
        -exec ls -l --time-style=+%s.%N {} + 2>/dev/null | cksum
}

wait_for_change() {
    if [ "${WATCH_POLL:-0}" != 1 ] && command -v inotifywait >/dev/null 2>&1; then
        inotifywait -q -q -r -e close_write -e moved_to -e create -e delete \
            "$dir" labs/common >/dev/null 2>&1
        rc=$?
        # 1 = an error (too many watches, ...): fall back to polling.
        [ $rc = 0 ] && { sleep 0.2; return; }
    fi
    before=$(stamp)
    while [ "$(stamp)" = "$before" ]; do sleep 1; done
}

while :; do
    [ -t 1 ] && printf '\033[H\033[2J'
    echo "Watching $dir (Ctrl-C to stop). $(date +%H:%M:%S)"
    echo
    sh "$GRADER_DIR/grade.sh" --view check --first-failure "$n"
    case $? in
    0) echo; echo "Lab $n is done. Keep editing to try the bonus tests, or go on: make watch LAB=$((${n#0} + 1))" ;;
    2) echo; echo "(the grader could not grade this lab: see above)" ;;
    esac
    echo
    echo "Waiting for a change to a file in $dir ..."
    wait_for_change
done
