/*
 * fleet: deterministic synthetic router configs for lab 8's batch. A
 * splitmix64 generator seeded from (seed, index) picks each router's
 * vendor, site, role and violations, so router i never depends on the
 * routers before it.
 */
#include "fleet.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char *const sites[] = {"ams", "fra", "lon", "par", "nyc",
                                    "sjc", "sin", "syd", "tyo", "gru"};
static const char *const roles[] = {"pe", "p", "ce", "agg", "core", "edge"};

/* splitmix64: tiny, fast, and the same on every platform. */
static uint64_t next(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static unsigned pick(uint64_t *state, unsigned n)
{
    return (unsigned)(next(state) % n);
}

/* Appends to the config, keeping it NUL-terminated; a full buffer just
 * stops growing (the sizes below never get there). */
struct text {
    char *buf;
    size_t len, cap;
};

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
add(struct text *t, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (t->len + 1 >= t->cap)
        return;
    va_start(ap, fmt);
    n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        t->len += (size_t)n < t->cap - t->len ? (size_t)n : t->cap - t->len - 1;
}

static void ios(struct text *t, const fleet_router *r, unsigned octet)
{
    unsigned v = r->violations;

    add(t, "hostname %s\n", r->hostname);
    if (v & FLEET_PLAINTEXT)
        add(t, "enable password 0 Cisco%03u\n", octet);
    else
        add(t, "enable secret 9 $9$kT%02u$Qm1vYk3pXw\n", octet % 100);
    if (!(v & FLEET_NO_AAA))
        add(t, "aaa new-model\naaa authentication login default group "
               "tacacs+ local\ntacacs server TAC1\n address ipv4 10.0.0.10\n");
    add(t, "interface Loopback0\n ip address 10.255.%u.1 255.255.255.255\n",
        octet);
    add(t, "router ospf 1\n network 10.0.0.0 0.255.255.255 area 0\n");
    add(t, "snmp-server community %s RO\n",
        v & FLEET_SNMP_PUBLIC ? "public" : "n0c-r3ad");
    add(t, "line vty 0 4\n transport input %s\n",
        v & FLEET_TELNET ? "telnet ssh" : "ssh");
}

static void junos(struct text *t, const fleet_router *r, unsigned octet)
{
    unsigned v = r->violations;

    add(t, "system {\n    host-name %s;\n", r->hostname);
    if (v & FLEET_PLAINTEXT)
        add(t,
            "    root-authentication {\n        plain-text-password "
            "\"Juniper%03u\";\n    }\n",
            octet);
    else
        add(t,
            "    root-authentication {\n        encrypted-password "
            "\"$6$zQ%02u$b5Hx\";\n    }\n",
            octet % 100);
    if (!(v & FLEET_NO_AAA))
        add(t, "    authentication-order [ tacplus password ];\n"
               "    tacplus-server 10.0.0.10;\n");
    add(t, "    services {\n        ssh;\n%s    }\n}\n",
        v & FLEET_TELNET ? "        telnet;\n" : "");
    add(t,
        "interfaces {\n    lo0 {\n        unit 0 { family inet "
        "{ address 10.255.%u.1/32; } }\n    }\n}\n",
        octet);
    add(t,
        "snmp {\n    community %s {\n        authorization read-only;\n"
        "    }\n}\n",
        v & FLEET_SNMP_PUBLIC ? "public" : "n0c-r3ad");
}

static void eos(struct text *t, const fleet_router *r, unsigned octet)
{
    unsigned v = r->violations;

    add(t, "hostname %s\n", r->hostname);
    if (v & FLEET_PLAINTEXT)
        add(t, "username admin privilege 15 secret 0 Arista%03u\n", octet);
    else
        add(t, "username admin privilege 15 secret sha512 $6$aR%02u$Zt\n",
            octet % 100);
    if (!(v & FLEET_NO_AAA))
        add(t, "tacacs-server host 10.0.0.10\naaa authentication login "
               "default group tacacs+ local\n");
    add(t, "interface Loopback0\n   ip address 10.255.%u.1/32\n", octet);
    add(t, "snmp-server community %s ro\n",
        v & FLEET_SNMP_PUBLIC ? "public" : "n0c-r3ad");
    add(t, "management ssh\n   no shutdown\n");
    if (v & FLEET_TELNET)
        add(t, "management telnet\n   no shutdown\n");
}

kit_status fleet_generate(uint32_t seed, long index, fleet_router *out)
{
    uint64_t state;
    struct text t;
    unsigned octet;

    if (!out || index < 0)
        return KIT_ERR_INVALID_ARG;
    memset(out, 0, sizeof(*out));
    state = ((uint64_t)seed << 32) ^ (uint64_t)index;
    next(&state); /* mix once: neighbouring indexes start far apart */

    out->index = index;
    out->vendor = (fleet_vendor)pick(&state, FLEET_VENDOR_COUNT);
    snprintf(out->hostname, sizeof(out->hostname), "%s-%s-%04ld",
             sites[pick(&state, sizeof(sites) / sizeof(sites[0]))],
             roles[pick(&state, sizeof(roles) / sizeof(roles[0]))],
             index % 10000);
    /* About one rule in five broken, independently. */
    for (unsigned bit = 0; bit < 4; bit++)
        if (pick(&state, 5) == 0)
            out->violations |= 1u << bit;
    octet = pick(&state, 250) + 1;

    t.buf = out->config;
    t.len = 0;
    t.cap = sizeof(out->config);
    t.buf[0] = '\0';
    switch (out->vendor) {
    case FLEET_IOS:
        ios(&t, out, octet);
        break;
    case FLEET_JUNOS:
        junos(&t, out, octet);
        break;
    case FLEET_EOS:
    case FLEET_VENDOR_COUNT:
        eos(&t, out, octet);
        break;
    }
    return KIT_OK;
}

const char *fleet_vendor_name(fleet_vendor vendor)
{
    switch (vendor) {
    case FLEET_IOS:
        return "ios";
    case FLEET_JUNOS:
        return "junos";
    case FLEET_EOS:
        return "eos";
    case FLEET_VENDOR_COUNT:
        break;
    }
    return "unknown";
}
