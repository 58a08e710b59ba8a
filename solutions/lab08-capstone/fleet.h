/*
 * fleet: the 2,847 routers of the course's story, as synthetic configs.
 * Given in lab 8 (you do not write it).
 *
 * Router i of a seed is always the same router: the same vendor, hostname,
 * config text and planted violations, on every machine and every run, so a
 * batch can be rerun and compared. The vendors write their own syntax
 * (Cisco IOS, Juniper Junos, Arista EOS), and some routers break one or
 * more rules of the security baseline:
 *
 *   TELNET     telnet enabled for remote management
 *   SNMP       SNMP community "public"
 *   NOAAA      no AAA (no aaa new-model, no TACACS+/RADIUS)
 *   PLAINTEXT  a password stored in plain text
 *
 * Everything here is pure and thread-safe.
 */
#ifndef FLEET_H
#define FLEET_H

#include <stddef.h>
#include <stdint.h>

#include "kit_status.h"

/* The fleet of the story. */
#define FLEET_SIZE 2847

/* The longest config text fleet_router writes, NUL included. */
#define FLEET_MAX_CONFIG 1024

/* The baseline's rules, as bits of fleet_router.violations. */
enum {
    FLEET_TELNET = 1 << 0,
    FLEET_SNMP_PUBLIC = 1 << 1,
    FLEET_NO_AAA = 1 << 2,
    FLEET_PLAINTEXT = 1 << 3,
};

typedef enum fleet_vendor {
    FLEET_IOS = 0,
    FLEET_JUNOS,
    FLEET_EOS,
    FLEET_VENDOR_COUNT
} fleet_vendor;

/* One router. Plain data. */
typedef struct fleet_router {
    long index;
    fleet_vendor vendor;
    char hostname[32];             /* "ams-pe-0042" */
    unsigned violations;           /* FLEET_* bits planted in the config */
    char config[FLEET_MAX_CONFIG]; /* the running config, vendor syntax */
} fleet_router;

/*
 * Generates router `index` (>= 0) of the fleet of `seed` into *out.
 * KIT_ERR_INVALID_ARG for a NULL out or a negative index.
 */
kit_status fleet_generate(uint32_t seed, long index, fleet_router *out);

/* "ios", "junos", "eos"; "unknown" otherwise. Static. */
const char *fleet_vendor_name(fleet_vendor vendor);

#endif
