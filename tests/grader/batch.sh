#!/bin/sh
# Batch grading: every submission in a folder, each in its own pristine tree.
# Writes OUT/grades.csv (one row per submission) and OUT/NAME/ with that
# submission's results.json, junit.xml, results.tap and report.md.
#   usage: batch.sh SUBMISSIONS_DIR OUT_DIR [LAB...]
# A submission is a directory, or a .zip / .tar.gz / .tgz archive that is
# unpacked first. Grading errors are rows too, never a silent zero.
set -u
GRADER_DIR=$(cd "$(dirname "$0")" && pwd)
. "$GRADER_DIR/lib.sh"
[ $# -ge 2 ] || die "usage: batch.sh SUBMISSIONS_DIR OUT_DIR [LAB...]"
subs=$1
out=$2
shift 2
[ -d "$subs" ] || die "no directory $subs"
mkdir -p "$out"
out=$(cd "$out" && pwd)
unpack=$(mktemp -d "${TMPDIR:-/tmp}/batch.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$unpack"' EXIT

labs=
for l in "$@"; do labs="$labs $(lab_id "$l")"; done
[ -n "$labs" ] || labs=$(tree_labs .)
header="submission,score,max_score,bonus"
for l in $labs; do header="$header,lab$l"; done
echo "$header,status" >"$out/grades.csv"

count=0
for s in "$subs"/*; do
    name=$(basename "$s")
    case $name in
    *.zip) name=${name%.zip}; mkdir -p "$unpack/$name" && unzip -q -o "$s" -d "$unpack/$name" || continue; s=$unpack/$name ;;
    *.tar.gz | *.tgz) name=${name%.t*gz}; mkdir -p "$unpack/$name" && tar -xzf "$s" -C "$unpack/$name" || continue; s=$unpack/$name ;;
    *) [ -d "$s" ] || continue ;;
    esac
    # A single top-level folder inside an archive is the submission itself.
    set -- "$s"/*
    [ $# = 1 ] && [ -d "$1" ] && [ ! -d "$s/labs" ] && s=$1
    count=$((count + 1))
    mkdir -p "$out/$name"
    sh "$GRADER_DIR/grade.sh" --submission "$s" --name "$name" --view none \
        --out "$out/$name" --csv-row "$out/$name/row.csv" $labs >"$out/$name/grader.log" 2>&1
    rc=$?
    case $rc in 0) st=full ;; 1) st=partial ;; *) st=error ;; esac
    if [ -s "$out/$name/row.csv" ]; then
        printf '%s,%s\n' "$(cat "$out/$name/row.csv")" "$st" >>"$out/grades.csv"
    else
        printf '%s%s,error\n' "$name" "$(echo x x x $labs | awk '{ for (i = 1; i <= NF; i++) printf "," }')" >>"$out/grades.csv"
    fi
    rm -f "$out/$name/row.csv"
    echo "graded $name: $(tail -n 1 "$out/grades.csv")"
done
[ $count -gt 0 ] || die "no submission in $subs"
echo "batch: $count submissions; $out/grades.csv"
