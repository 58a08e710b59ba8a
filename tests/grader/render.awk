# Renders one grading run in every format the grader writes. POSIX awk
# (mawk and gawk). Input, in this order on the command line:
#   labs.tsv     lab <TAB> title <TAB> state <TAB> note
#                (state: graded, build_failed, error)
#   results.tsv  lab kind idx name title visibility points score status ms
#                hint outfile            (kind: test, build, error;
#                                         status: passed, failed, skipped)
# Variables: fmt = table | json | junit | tap | markdown | csvrow | progress
#            | failure | summary; who = the submission's name; secs = the
#            run's wall time in seconds.
BEGIN { FS = "\t" }
FILENAME == ARGV[1] {
    nlabs++
    lab[nlabs] = $1; labtitle[$1] = $2; labstate[$1] = $3; labnote[$1] = $4
    next
}
{
    n++
    r_lab[n] = $1; r_kind[n] = $2; r_idx[n] = $3; r_name[n] = $4
    r_title[n] = $5; r_vis[n] = $6; r_points[n] = $7 + 0; r_score[n] = $8 + 0
    r_status[n] = $9; r_ms[n] = $10 + 0; r_hint[n] = $11; r_out[n] = $12
}

# ---- helpers ---------------------------------------------------------------

function repl_all(s, from, to,    out, i) {
    out = ""
    while ((i = index(s, from)) > 0) {
        out = out substr(s, 1, i - 1) to
        s = substr(s, i + length(from))
    }
    return out s
}
function slurp(f,    line, s, first) {
    if (f == "") return ""
    s = ""; first = 1
    while ((getline line < f) > 0) { s = s (first ? "" : "\n") line; first = 0 }
    close(f)
    return s
}
function json(s) {
    s = repl_all(s, "\\", "\\\\"); s = repl_all(s, "\"", "\\\"")
    s = repl_all(s, "\n", "\\n"); s = repl_all(s, "\t", "\\t")
    s = repl_all(s, "\r", "\\r")
    return "\"" s "\""
}
function xml(s) {
    s = repl_all(s, "&", "&amp;"); s = repl_all(s, "<", "&lt;")
    s = repl_all(s, ">", "&gt;"); s = repl_all(s, "\"", "&quot;")
    return s
}
function xmlattr(s) { s = xml(s); s = repl_all(s, "\n", "&#10;"); return s }
function num(x) { return sprintf("%.10g", x) }
function secs_of(ms) { return sprintf("%.3f", ms / 1000) }
function bar(got, max, width,    k, s, i) {
    k = max > 0 ? int(got * width / max + 0.5) : 0
    if (k > width) k = width
    s = ""
    for (i = 0; i < width; i++) s = s (i < k ? "#" : ".")
    return "[" s "]"
}
function indent(s, pad) { return pad repl_all(s, "\n", "\n" pad) }
function labnum(l) { return l + 0 }
function display_name(i) {
    if (r_kind[i] == "build") return "Lab " r_lab[i] ": build"
    if (r_kind[i] == "error") return "Lab " r_lab[i] ": grader error"
    return "Lab " r_lab[i] ": " r_title[i] (r_vis[i] == "bonus" ? " (bonus)" : "") " [" r_name[i] "]"
}
# What a learner reads about result i: the verdict, the hint, what the test
# saw.
function explain(i,    s, o) {
    o = slurp(r_out[i])
    if (r_status[i] == "passed") return o == "" ? "Passed." : "Passed.\n" o
    if (r_kind[i] == "build")
        return "Lab " r_lab[i] " did not build, so none of its tests ran. The compiler said:\n\n" o
    if (r_kind[i] == "error") return o
    s = (r_status[i] == "skipped" ? "Not run: " : "Failed: ") r_title[i]
    if (r_status[i] == "failed" && r_hint[i] != "") s = s "\nHint: " r_hint[i]
    if (o != "") s = s "\n\n" o
    return s
}
function totals(    i, l) {
    for (i = 1; i <= n; i++) {
        l = r_lab[i]
        if (r_kind[i] != "test") { lab_broken[l] = 1; continue }
        if (r_vis[i] == "bonus") {
            bmax[l] += r_points[i]; bgot[l] += r_score[i]
            tbmax += r_points[i]; tbgot += r_score[i]
        } else {
            pmax[l] += r_points[i]; pgot[l] += r_score[i]
            tmax += r_points[i]; tgot += r_score[i]
            ntests[l]++
            if (r_status[i] == "passed") npass[l]++
            else if (!(l in first_fail)) first_fail[l] = i
        }
        if (r_status[i] == "failed") nfail_all++
        if (r_status[i] == "skipped") nskip_all++
        if (r_vis[i] == "bonus" && r_status[i] != "passed" && !(l in first_bonus)) first_bonus[l] = i
    }
    for (i = 1; i <= n; i++)
        if (r_kind[i] != "test" && !(r_lab[i] in first_fail_entry)) first_fail_entry[r_lab[i]] = i
}

# ---- formats -----------------------------------------------------------------

function out_table(    k, l, st, i, any) {
    printf "%-4s %-34s %7s %11s  %s\n", "Lab", "Title", "Tests", "Points", "Progress"
    for (k = 1; k <= nlabs; k++) {
        l = lab[k]
        if (labstate[l] == "build_failed") st = "build failed (see below)"
        else if (labstate[l] == "error") st = "grader error (see below)"
        else if (ntests[l] && npass[l] == ntests[l]) st = "done"
        else st = ""
        printf "%-4s %-34s %3d/%-3d %5s/%-5s  %s %s\n", l, substr(labtitle[l], 1, 34),
            npass[l], ntests[l], num(pgot[l]), num(pmax[l]),
            bar(pgot[l], pmax[l], 20), st
        if (bmax[l] > 0) printf "%-4s %-34s %7s %5s/%-5s\n", "", "  bonus", "", num(bgot[l]), num(bmax[l])
    }
    printf "%-4s %-34s %7s %5s/%-5s  %s\n", "", "Total", "", num(tgot), num(tmax),
        bar(tgot, tmax, 20) (tbmax > 0 ? " +" num(tbgot) " bonus" : "")
    for (k = 1; k <= nlabs; k++) {
        l = lab[k]
        i = (l in first_fail_entry) ? first_fail_entry[l] : ((l in first_fail) ? first_fail[l] : 0)
        if (!i) continue
        if (!any++) print ""
        out_failure(i)
    }
}
function out_failure(i,    o) {
    if (r_kind[i] == "build") {
        printf "Lab %s did not build. The compiler said:\n%s\n\n", r_lab[i], indent(slurp(r_out[i]), "    ")
        return
    }
    if (r_kind[i] == "error") {
        printf "Lab %s could not be graded:\n%s\n\n", r_lab[i], indent(slurp(r_out[i]), "    ")
        return
    }
    printf "Lab %s, first failure: %s\n  %s (%s point%s)\n", r_lab[i], r_name[i], r_title[i],
        num(r_points[i]), r_points[i] == 1 ? "" : "s"
    if (r_status[i] == "skipped") { printf "  Not run.\n\n"; return }
    printf "  Hint: %s\n", r_hint[i]
    o = slurp(r_out[i])
    if (o != "") printf "  What the test saw:\n%s\n", indent(o, "    ")
    printf "  Run it alone: make check LAB=%d\n\n", labnum(r_lab[i])
}

function out_json(    i, first) {
    printf "{\n  \"score\": %s,\n  \"max_score\": %s,\n  \"execution_time\": %s,\n", num(tgot + tbgot), num(tmax), secs
    printf "  \"visibility\": \"visible\",\n  \"stdout_visibility\": \"hidden\",\n"
    printf "  \"output\": %s,\n", json(summary_text())
    printf "  \"tests\": ["
    for (i = 1; i <= n; i++) {
        printf "%s\n    {\n", (i > 1 ? "," : "")
        printf "      \"name\": %s,\n", json(display_name(i))
        printf "      \"number\": %s,\n", json(labnum(r_lab[i]) "." r_idx[i])
        printf "      \"score\": %s,\n", num(r_score[i])
        printf "      \"max_score\": %s,\n", num(r_vis[i] == "bonus" ? 0 : r_points[i])
        printf "      \"status\": %s,\n", json(r_status[i] == "passed" ? "passed" : "failed")
        printf "      \"visibility\": %s,\n", json(r_vis[i] == "hidden" ? "after_due_date" : "visible")
        printf "      \"tags\": [%s, %s],\n", json("lab" r_lab[i]), json(r_kind[i] == "test" ? r_vis[i] : r_kind[i])
        printf "      \"output\": %s,\n", json(explain(i))
        printf "      \"extra_data\": {\"lab\": %s, \"test\": %s, \"outcome\": %s, \"seconds\": %s}\n",
            json(r_lab[i]), json(r_name[i]), json(r_status[i]), secs_of(r_ms[i])
        printf "    }"
    }
    printf "\n  ]\n}\n"
}

function summary_text(    k, l, s) {
    s = "Lab kit grade" (who != "" ? " of " who : "") ": " num(tgot) "/" num(tmax) " points"
    if (tbmax > 0) s = s " (+" num(tbgot) " bonus)"
    for (k = 1; k <= nlabs; k++) {
        l = lab[k]
        s = s "\nLab " l " " labtitle[l] ": "
        if (labstate[l] == "build_failed") s = s "did not build"
        else if (labstate[l] == "error") s = s "grader error"
        else s = s (npass[l] + 0) "/" (ntests[l] + 0) " tests, " num(pgot[l]) "/" num(pmax[l]) " points"
    }
    return s
}

function out_junit(    k, l, i, nt, nf, ne, ns, ms, tname) {
    nt = 0; nf = 0; ne = 0; ns = 0; ms = 0
    for (i = 1; i <= n; i++) {
        nt++; ms += r_ms[i]
        if (r_status[i] == "skipped") ns++
        else if (r_kind[i] == "error") ne++
        else if (r_status[i] == "failed") nf++
    }
    printf "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    printf "<testsuites name=\"%s\" tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"%d\" time=\"%s\">\n",
        xmlattr("labkit" (who != "" ? " " who : "")), nt, nf, ne, ns, secs_of(ms)
    for (k = 1; k <= nlabs; k++) {
        l = lab[k]
        nt = 0; nf = 0; ne = 0; ns = 0; ms = 0
        for (i = 1; i <= n; i++) {
            if (r_lab[i] != l) continue
            nt++; ms += r_ms[i]
            if (r_status[i] == "skipped") ns++
            else if (r_kind[i] == "error") ne++
            else if (r_status[i] == "failed") nf++
        }
        printf "  <testsuite name=\"%s\" tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"%d\" time=\"%s\">\n",
            xmlattr("lab" l ": " labtitle[l]), nt, nf, ne, ns, secs_of(ms)
        printf "    <properties>\n"
        printf "      <property name=\"points\" value=\"%s\"/>\n", num(pgot[l])
        printf "      <property name=\"max_points\" value=\"%s\"/>\n", num(pmax[l])
        printf "      <property name=\"bonus_points\" value=\"%s\"/>\n", num(bgot[l])
        printf "    </properties>\n"
        for (i = 1; i <= n; i++) {
            if (r_lab[i] != l) continue
            tname = r_kind[i] == "test" ? r_name[i] : r_kind[i]
            printf "    <testcase classname=\"%s\" name=\"%s\" time=\"%s\"", xmlattr("lab" l), xmlattr(tname), secs_of(r_ms[i])
            if (r_status[i] == "passed") { printf "/>\n"; continue }
            printf ">\n"
            if (r_status[i] == "skipped")
                printf "      <skipped message=\"%s\"/>\n", xmlattr(slurp(r_out[i]))
            else
                printf "      <%s message=\"%s\" type=\"%s\">%s</%s>\n",
                    r_kind[i] == "error" ? "error" : "failure",
                    xmlattr(r_kind[i] == "test" ? r_title[i] ": " r_hint[i] : display_name(i)),
                    r_kind[i], xml(explain(i)), r_kind[i] == "error" ? "error" : "failure"
            printf "    </testcase>\n"
        }
        printf "  </testsuite>\n"
    }
    printf "</testsuites>\n"
}

function tap_desc(i,    s) {
    if (r_kind[i] == "test")
        s = "lab" r_lab[i] " " r_name[i] " - " r_title[i] " [" num(r_score[i]) "/" num(r_points[i]) (r_vis[i] == "bonus" ? " bonus" : "") "]"
    else
        s = "lab" r_lab[i] " " r_kind[i]
    s = repl_all(s, "\\", "\\\\")
    return repl_all(s, "#", "\\#")
}
function yaml(s) { s = repl_all(s, "\\", "\\\\"); return "\"" repl_all(s, "\"", "\\\"") "\"" }
function out_tap(    i, o, reason) {
    printf "TAP version 13\n1..%d\n", n
    for (i = 1; i <= n; i++) {
        if (r_status[i] == "passed") { printf "ok %d - %s\n", i, tap_desc(i); continue }
        if (r_status[i] == "skipped") {
            reason = slurp(r_out[i]); sub(/\n.*/, "", reason)
            printf "ok %d - %s # SKIP %s\n", i, tap_desc(i), repl_all(reason, "#", "\\#")
            continue
        }
        printf "not ok %d - %s\n", i, tap_desc(i)
        printf "  ---\n"
        if (r_kind[i] == "test") printf "  message: %s\n  hint: %s\n", yaml(r_title[i]), yaml(r_hint[i])
        else printf "  message: %s\n", yaml(display_name(i))
        printf "  severity: fail\n"
        o = slurp(r_out[i])
        if (o != "") printf "  output: |\n%s\n", indent(o, "    ")
        printf "  ...\n"
    }
}

function md(s) { s = repl_all(s, "|", "\\|"); return s }
function fence(s) { return repl_all(s, "```", "'''") }
function out_markdown(    k, l, i, st, o) {
    printf "## Lab kit grade%s: %s / %s points%s\n\n", who != "" ? " of " md(who) : "",
        num(tgot), num(tmax), (tbmax > 0 ? " (+" num(tbgot) " bonus)" : "")
    printf "| Lab | Title | Tests | Points | Progress |\n|---|---|---:|---:|---|\n"
    for (k = 1; k <= nlabs; k++) {
        l = lab[k]
        if (labstate[l] == "build_failed") st = "**build failed**"
        else if (labstate[l] == "error") st = "**grader error**"
        else st = "`" bar(pgot[l], pmax[l], 10) "`" (ntests[l] && npass[l] == ntests[l] ? " done" : "")
        printf "| %s | %s | %d/%d | %s/%s%s | %s |\n", l, md(labtitle[l]), npass[l], ntests[l],
            num(pgot[l]), num(pmax[l]), (bmax[l] > 0 ? " (+" num(bgot[l]) ")" : ""), st
    }
    for (k = 1; k <= nlabs; k++) {
        l = lab[k]
        i = (l in first_fail_entry) ? first_fail_entry[l] : ((l in first_fail) ? first_fail[l] : 0)
        if (!i) continue
        o = slurp(r_out[i])
        if (r_kind[i] == "build") printf "\n### Lab %s did not build\n\n", l
        else if (r_kind[i] == "error") printf "\n### Lab %s could not be graded\n\n", l
        else {
            printf "\n### Lab %s, first failure: `%s`\n\n**%s** (%s points)\n\n", l, r_name[i], md(r_title[i]), num(r_points[i])
            if (r_status[i] == "failed") printf "> **Hint:** %s\n\n", r_hint[i]
        }
        if (o != "") printf "<details><summary>What the %s saw</summary>\n\n```text\n%s\n```\n\n</details>\n",
            r_kind[i] == "build" ? "compiler" : "test", fence(o)
    }
}

function out_csvrow(    k, l, s) {
    s = csv(who) "," num(tgot) "," num(tmax) "," num(tbgot)
    for (k = 1; k <= nlabs; k++) {
        l = lab[k]
        s = s "," (labstate[l] == "graded" ? num(pgot[l] + bgot[l]) : labstate[l])
    }
    print s
}
function csv(s) { if (s ~ /[",\n]/) s = "\"" repl_all(s, "\"", "\"\"") "\""; return s }

function out_progress(    k, l, mark, st, i, done) {
    print "Your progress through the labs:"
    for (k = 1; k <= nlabs; k++) {
        l = lab[k]
        i = (l in first_fail) ? first_fail[l] : 0
        if (labstate[l] == "build_failed") { mark = "[!]"; st = "does not build: make check LAB=" labnum(l) }
        else if (labstate[l] == "error") { mark = "[?]"; st = "grader error" }
        else if (ntests[l] && npass[l] == ntests[l]) { mark = "[x]"; st = "done"; done++ }
        else if (!npass[l]) { mark = "[ ]"; st = "not started; first: " r_title[i] }
        else { mark = "[~]"; st = npass[l] "/" ntests[l] " tests; next: " r_title[i] }
        printf "  %s Lab %s  %-28s %5s/%-5s %s\n", mark, l, substr(labtitle[l], 1, 28), num(pgot[l]), num(pmax[l]), st
    }
    printf "%d of %d labs done; %s/%s points%s.\n", done, nlabs, num(tgot), num(tmax),
        (tbmax > 0 ? " (+" num(tbgot) " bonus)" : "")
    for (k = 1; k <= nlabs; k++) {
        l = lab[k]
        if (!(ntests[l] && npass[l] == ntests[l])) {
            printf "Next: make watch LAB=%d (or make check LAB=%d)\n", labnum(l), labnum(l)
            break
        }
    }
}

END {
    totals()
    if (fmt == "table") out_table()
    else if (fmt == "json") out_json()
    else if (fmt == "junit") out_junit()
    else if (fmt == "tap") out_tap()
    else if (fmt == "markdown") out_markdown()
    else if (fmt == "csvrow") out_csvrow()
    else if (fmt == "progress") out_progress()
    else if (fmt == "failure") {
        for (k = 1; k <= nlabs; k++) {
            l = lab[k]
            i = (l in first_fail_entry) ? first_fail_entry[l] : ((l in first_fail) ? first_fail[l] : 0)
            if (i) out_failure(i)
        }
    } else if (fmt == "summary") print summary_text()
    else { print "render.awk: unknown fmt " fmt > "/dev/stderr"; exit 2 }
}
