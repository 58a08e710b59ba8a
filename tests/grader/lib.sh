# Shared helpers of the grader's shell scripts (sourced, never run).
# POSIX sh: no arrays, no `local`; helpers write to stdout or set variables
# named in their comment.

# Prints the message on stderr and stops with status 2 (a grader error, not a
# failed test).
die() {
    echo "grader: $*" >&2
    exit 2
}

# Milliseconds since the epoch (GNU date; whole seconds elsewhere).
now_ms() {
    t=$(date +%s%3N 2>/dev/null)
    case $t in
    *N* | '') t=$(($(date +%s) * 1000)) ;;
    esac
    echo "$t"
}

# Two digits: "1" -> "01", "01" -> "01". Dies on anything but a number.
lab_id() {
    case $1 in
    '' | *[!0-9]*) die "not a lab number: '$1' (use LAB=N, N a number)" ;;
    esac
    n=$(echo "$1" | sed "s/^0*//")
    printf "%02d" "${n:-0}"
}

# The directory of lab NN under ROOT (labs/ or solutions/), or nothing.
lab_dir() { # ROOT NN
    for d in "$1"/lab"$2"-*; do
        [ -d "$d" ] && { echo "$d"; return 0; }
    done
    return 1
}

# The labs the tree grades, one NN a line: every lab with a manifest or a
# graded test source and a directory under labs/.
tree_labs() { # TREE
    for f in "$1"/tests/test_lab[0-9][0-9].manifest "$1"/tests/test_lab[0-9][0-9].c; do
        [ -e "$f" ] || continue
        n=${f##*/test_lab}
        n=${n%%.*}
        lab_dir "$1/labs" "$n" >/dev/null && echo "$n"
    done | sort -u
}

# Parses and validates a manifest. Writes the normalised form to OUT:
#   L <TAB> NN <TAB> title
#   F <TAB> file <TAB> file ...
#   T <TAB> name <TAB> points <TAB> visibility <TAB> title <TAB> hint
# and returns 1 with the reasons on stderr when the manifest is malformed.
manifest_parse() { # FILE NN OUT
    awk -F '\t' -v want="$2" -v file="$1" '
    function bad(msg) { printf "%s:%d: %s\n", file, NR, msg > "/dev/stderr"; errors++ }
    { sub(/\r$/, "") }
    /^[ \t]*#/ || /^[ \t]*$/ { next }
    $1 == "lab" {
        if (NF < 3 || $3 == "") bad("`lab NN TITLE` needs a number and a title")
        else if ($2 != want) bad("the lab record says " $2 ", the file name says " want)
        if (seen_lab++) bad("a second `lab` record")
        out[++n] = "L\t" want "\t" $3
        next
    }
    $1 == "files" {
        if (NF < 2) bad("`files` names no file")
        line = "F"
        for (i = 2; i <= NF; i++) {
            if ($i == "" || $i ~ /\// || $i ~ /^\./) bad("a learner file must be a plain file name: \"" $i "\"")
            line = line "\t" $i
        }
        if (seen_files++) bad("a second `files` record")
        out[++n] = line
        next
    }
    $1 == "test" {
        if (NF != 6) { bad("a test record has 6 tab-separated fields, this one " NF); next }
        if ($2 !~ /^test_[A-Za-z0-9_]+$/) bad("not a test name: \"" $2 "\"")
        if ($3 !~ /^[0-9]+(\.[0-9]+)?$/) bad("points must be a number: \"" $3 "\"")
        if ($4 != "visible" && $4 != "hidden" && $4 != "bonus")
            bad("visibility must be visible, hidden or bonus: \"" $4 "\"")
        if ($5 == "") bad("test " $2 " has no title")
        if ($6 == "") bad("test " $2 " has no hint")
        if ($2 in names) bad("test " $2 " appears twice")
        names[$2] = 1
        out[++n] = "T\t" $2 "\t" $3 "\t" $4 "\t" $5 "\t" $6
        tests++
        next
    }
    { bad("unknown record \"" $1 "\" (lab, files, test or a # comment)") }
    END {
        if (!seen_lab) bad("no `lab` record")
        if (!seen_files) bad("no `files` record")
        if (!tests) bad("no `test` record")
        if (errors) exit 1
        for (i = 1; i <= n; i++) print out[i]
    }' "$1" >"$3"
}

# Fields of a parsed manifest.
manifest_title() { awk -F '\t' '$1 == "L" { print $3 }' "$1"; }
manifest_files() { awk -F '\t' '$1 == "F" { for (i = 2; i <= NF; i++) print $i }' "$1"; }
manifest_tests() { awk -F '\t' '$1 == "T" { print $2 }' "$1"; }

# Cleans what a test printed into what a learner reads: CMocka's framing
# lines go, its prefixes go, and the text is made safe for every format
# (no control characters, valid UTF-8, at most 16 kB). One awk in the common
# case; iconv only when the text holds non-ASCII bytes.
clean_output() { # STDOUT_FILE STDERR_FILE RESULT_FILE
    LC_ALL=C awk -v cap=16000 '
    BEGIN {
        for (i = 1; i < 32; i++) if (i != 9 && i != 10 && i != 13) ctl = ctl sprintf("%c", i)
        ctl = "[" ctl "\177]"
        hi = "[" sprintf("%c", 128) "-" sprintf("%c", 255) "]"
    }
    FNR == 1 { file = (FILENAME == ARGV[1]) ? 1 : 2 }
    file == 1 && (/^\[  (PASSED|FAILED)  \]/ || /^\[  SKIPPED \]/ || /^\[==========\]/ ||
                  /^ [0-9]+ (FAILED|SKIPPED) TEST\(S\)$/) { next }
    file == 2 && (/^\[ RUN      \]/ || /^\[       OK \]/ || /^\[  FAILED  \]/ ||
                  /^\[  SKIPPED \]/ || /^\[==========\]/) { next }
    {
        s = $0
        if (file == 1) {
            sub(/^ERROR: /, "", s)
            if (s ~ /^(\[  ERROR   \] --- )?\[   LINE   \] --- .*: error: Failure!$/) {
                sub(/^(\[  ERROR   \] --- )?\[   LINE   \] --- /, "", s)
                sub(/: error: Failure!$/, "", s)
                s = "  (at " s ")"
            }
            sub(/^\[  ERROR   \] --- /, "", s)
        }
        sub(/\r$/, "", s)
        gsub(ctl, "", s)
        if (s ~ hi) nonascii = 1
        if (s !~ /[^ \t]/) { if (seen) gap = 1; next }
        if (gap) out = out "\n"
        gap = 0
        out = out (seen++ ? "\n" : "") s
    }
    END {
        if (length(out) > cap) out = substr(out, 1, cap) "\n[... cut: the test printed more than " cap " bytes]"
        if (out != "") print out
        exit nonascii ? 3 : 0
    }' "$2" "$1" >"$3.tmp"
    if [ $? = 3 ]; then
        iconv -c -f UTF-8 -t UTF-8 <"$3.tmp" >"$3" 2>/dev/null || mv "$3.tmp" "$3"
        rm -f "$3.tmp"
    else
        mv "$3.tmp" "$3"
    fi
}

# Makes DEST a fresh copy of the grader-owned files of the tree SRC (the
# Makefile, labs/, solutions/, tests/, mockserver/), with the objects of
# those files from SRC's build directory SRCBUILD, brought up to date there
# first, so only a learner's files compile in DEST. MAKE must be set. LABS
# names the labs whose test objects to bring up to date.
pristine_tree() { # SRC SRCBUILD DEST LABS...
    _src=$1 _sb=$2 _dest=$3
    shift 3
    mkdir -p "$_dest/build"
    _list=
    for _f in Makefile labs solutions tests mockserver; do
        [ -e "$_src/$_f" ] && _list="$_list $_f"
    done
    # shellcheck disable=SC2086
    (cd "$_src" && tar -cf - --exclude=./tests/mutants $_list) | (cd "$_dest" && tar -xf -) ||
        return 1
    _targets="$_sb/mockserver $_sb/libkit.a $_sb/grader/runner"
    for _n in "$@"; do
        if [ -d "$_src/solutions" ]; then
            _targets="$_targets $_sb/sol/test_lab$_n"
        else
            _targets="$_targets $_sb/obj/tests/test_lab$_n.o"
        fi
    done
    # shellcheck disable=SC2086
    "$MAKE" -C "$_src" -k --no-print-directory BUILD="$_sb" $_targets >/dev/null 2>&1
    case $_sb in /*) _abs=$_sb ;; *) _abs=$_src/$_sb ;; esac
    if [ -d "$_abs/obj" ]; then
        _list=
        for _f in mockserver libkit.a grader obj/mockserver obj/tests obj/solutions obj/labs/common; do
            [ -e "$_abs/$_f" ] && _list="$_list $_f"
        done
        # shellcheck disable=SC2086
        [ -n "$_list" ] && (cd "$_abs" && tar -cf - $_list) | (cd "$_dest/build" && tar -xf -)
    fi
    return 0
}
