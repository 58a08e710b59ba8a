# Removes hidden tests from a graded test source for the learner's handout.
#   awk -v names="test_a test_b" -f strip-hidden.awk tests/test_labNN.c
# For each name it deletes the test function (`static void NAME(` at the
# start of a line through the next `}` at the start of a line, with the
# comment right above it) and its entry in the CMocka array, one line or
# split over several. Then it deletes the static helpers only those tests
# used, so the handout still compiles under -Werror. Prints the result.
function word_in(s, w) {
    return match(s, "(^|[^A-Za-z0-9_])" w "([^A-Za-z0-9_]|$)")
}
# Deletes the function whose definition starts at line i, with its comment.
function drop_function(i,    j, k) {
    for (j = i; j <= n && line[j] != "}"; j++) gone[j] = 1
    gone[j] = 1
    if (j + 1 <= n && line[j + 1] == "") gone[j + 1] = 1
    k = i - 1
    if (k >= 1 && line[k] ~ /\*\/[ \t]*$/) {
        while (k >= 1 && line[k] !~ /^[ \t]*\/\*/) gone[k--] = 1
        if (k >= 1) gone[k] = 1
    }
}
# The name a line defines, if it starts a static function definition.
function defines(i,    s, j) {
    # "static type" alone, the name at the start of the next line.
    if (line[i] ~ /^static [A-Za-z_ *]+$/ && line[i + 1] ~ /^[A-Za-z_][A-Za-z0-9_]*\(/) {
        s = line[i + 1]
        sub(/\(.*/, "", s)
        return s
    }
    if (line[i] !~ /^static [^=;(]*[A-Za-z_][A-Za-z0-9_]*\(/) return ""
    for (j = i; j <= n && j < i + 6; j++) {
        if (index(line[j], ";") && !index(line[j], "{")) return ""
        if (index(line[j], "{") || line[j + 1] == "{") break
    }
    s = line[i]
    sub(/\(.*/, "", s)
    sub(/.*[^A-Za-z0-9_]/, "", s)
    return s
}
{ line[++n] = $0 }
END {
    split(names, hidden, " ")
    for (h in hidden) {
        name = hidden[h]
        found = 0
        for (i = 1; i <= n; i++) {
            if (gone[i]) continue
            if (line[i] ~ ("^static void " name "\\(")) { drop_function(i); found++; continue }
            # clang-format puts a long name on the line after its type.
            if (line[i] ~ ("^" name "\\(") && i > 1 && line[i - 1] ~ /^static [A-Za-z_ *]+$/) {
                drop_function(i - 1); found++; continue
            }
            if (!word_in(line[i], name)) continue
            # The array entry: this line, or the line above when the entry
            # is split after `cmocka_unit_test(`.
            start = i
            if (line[i] !~ /cmocka_unit_test/ && i > 1 && line[i - 1] ~ /cmocka_unit_test[a-z_]*\([ \t]*$/) start = i - 1
            if (line[start] !~ /cmocka_unit_test/) continue
            for (j = start; j <= n; j++) { gone[j] = 1; if (line[j] ~ /\)[ \t]*,?[ \t]*$/) break }
            found++
        }
        if (found < 2) printf "strip-hidden: %s: found %d of its 2 places\n", name, found > "/dev/stderr"
    }
    # Helpers nobody uses any more, until none is left.
    do {
        changed = 0
        for (i = 1; i <= n; i++) {
            if (gone[i]) continue
            f = defines(i)
            if (f == "" || f == "main") continue
            uses = 0
            for (j = 1; j <= n; j++) if (!gone[j] && word_in(line[j], f)) uses++
            if (uses <= 1) { drop_function(i); changed = 1 }
        }
    } while (changed)
    for (i = 1; i <= n; i++) if (!gone[i]) print line[i]
}
