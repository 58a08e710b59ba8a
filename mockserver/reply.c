/*
 * Deterministic model answers for the mock server: canned paragraphs for the
 * networking questions the labs ask, hash-picked sentences for the rest.
 */
#include "reply.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

static const struct {
    const char *keyword; /* matched case-insensitively anywhere */
    const char *answer;
} canned[] = {
    {"bgp",
     "BGP (Border Gateway Protocol) is the path-vector protocol that carries "
     "reachability between autonomous systems. Peers form a TCP session on "
     "port 179 and exchange UPDATE messages; for each prefix a router picks "
     "one best path by comparing attributes such as weight, local "
     "preference, AS-path length, origin, MED and router ID. eBGP runs "
     "between autonomous systems and iBGP inside one, with a full mesh or "
     "route reflectors."},
    {"ospf",
     "OSPF (Open Shortest Path First) is a link-state interior gateway "
     "protocol. Routers flood link-state advertisements within an area, "
     "build identical databases and run Dijkstra's shortest-path-first "
     "algorithm, with each interface's cost derived from its bandwidth. "
     "Areas attach to the backbone, area 0, which keeps databases small and "
     "contains flooding."},
    {"eigrp",
     "EIGRP (Enhanced Interior Gateway Routing Protocol) is an advanced "
     "distance-vector protocol. Its DUAL algorithm keeps a loop-free "
     "successor and, where one exists, a feasible successor for each "
     "destination, so it converges quickly when a link fails. The default "
     "metric combines bandwidth and delay, and neighbours found by hello "
     "packets exchange only partial, bounded updates."},
    {"vlan",
     "A VLAN (virtual LAN) divides one switched network into separate "
     "layer-2 broadcast domains. An access port carries one VLAN untagged; "
     "a trunk carries many, each frame tagged with an 802.1Q header that "
     "holds a 12-bit VLAN ID. Traffic between VLANs must be routed, by a "
     "router on a stick or a layer-3 switch."},
};

static const char *const sentences[] = {
    "Start by checking the interface counters for errors and drops.",
    "A change window and a rollback plan make this safer to apply.",
    "Compare the running configuration with the intended one first.",
    "Logging the result of each step makes the outcome easy to audit.",
    "Test the change on one device before rolling it out everywhere.",
    "Keep the management plane reachable while you make the change.",
    "Document what you changed so the next engineer can follow it.",
    "Confirm the neighbours and adjacencies come back after the change.",
};

#define N_CANNED    (sizeof(canned) / sizeof(canned[0]))
#define N_SENTENCES (sizeof(sentences) / sizeof(sentences[0]))

uint32_t reply_tokens(size_t bytes)
{
    return (uint32_t)((bytes + REPLY_BYTES_PER_TOKEN - 1) /
                      REPLY_BYTES_PER_TOKEN);
}

static bool contains_nocase(const char *hay, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    size_t i, j;

    for (i = 0; i + n <= len; i++) {
        for (j = 0; j < n; j++) {
            if (tolower((unsigned char)hay[i + j]) != needle[j])
                break;
        }
        if (j == n)
            return true;
    }
    return false;
}

/* FNV-1a: a stable hash, so the same prompt always picks the same text. */
static uint64_t fnv1a(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ull;
    size_t i;

    for (i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

static int compose(const char *prompt, size_t len, buf *b)
{
    uint64_t h;
    size_t i;

    for (i = 0; i < N_CANNED; i++) {
        if (contains_nocase(prompt, len, canned[i].keyword))
            return buf_adds(b, canned[i].answer);
    }
    h = fnv1a(prompt, len);
    if (buf_adds(b, "This is a deterministic answer from the mock server.") ||
        buf_addf(b, " %s", sentences[h % N_SENTENCES]) ||
        buf_addf(b, " %s", sentences[(h >> 8) % N_SENTENCES]) ||
        buf_addf(b, " (reply %08llx)", (unsigned long long)(h >> 32)))
        return -1;
    return 0;
}

int reply_make(const char *prompt, size_t len, uint32_t max_tokens,
               const char *const *stops, size_t n_stops, reply *out)
{
    buf b;
    size_t i;

    memset(out, 0, sizeof(*out));
    buf_init(&b, 0);
    if (compose(prompt ? prompt : "", prompt ? len : 0, &b) != 0) {
        buf_free(&b);
        return -1;
    }
    out->stop = REPLY_STOP_END;
    for (i = 0; i < n_stops; i++) {
        const char *hit;

        if (!stops[i] || !stops[i][0])
            continue;
        hit = strstr(b.data, stops[i]);
        if (hit && (size_t)(hit - b.data) < b.len) {
            b.len = (size_t)(hit - b.data);
            b.data[b.len] = '\0';
            out->stop = REPLY_STOP_SEQUENCE;
            out->stop_seq = stops[i];
        }
    }
    if (max_tokens > 0 && b.len > (size_t)max_tokens * REPLY_BYTES_PER_TOKEN) {
        b.len = (size_t)max_tokens * REPLY_BYTES_PER_TOKEN;
        b.data[b.len] = '\0';
        out->stop = REPLY_STOP_MAX;
        out->stop_seq = NULL;
    }
    out->text = buf_steal(&b, &out->len);
    if (!out->text)
        return -1;
    out->output_tokens = reply_tokens(out->len);
    return 0;
}

void reply_free(reply *r)
{
    if (!r)
        return;
    free(r->text);
    r->text = NULL;
    r->len = 0;
}
