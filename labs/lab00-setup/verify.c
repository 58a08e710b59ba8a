/*
 * Lab 0, part A: the checks behind the verification program. Each check
 * says what it found in one line and, when it fails, what to do next, so
 * the first run of the kit tells a learner exactly what is missing.
 */
#include "verify.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "kit_chat.h"
#include "kit_env.h"
#include "kit_log.h"

enum { KEY_MAX = 256 };

kit_status verify_key(const char *var, const char *value, FILE *out)
{
    /* TODO(lab 0): check the key's value and say what you found.
     * See README.md step 2. */
    (void)var;
    (void)value;
    (void)out;
    return KIT_ERR_NOT_IMPLEMENTED;
}

kit_status verify_run(const verify_config *cfg, FILE *out)
{
    /* TODO(lab 0): key, client, one call, and a fix-it for each failure.
     * See README.md steps 3 to 5. */
    (void)cfg;
    (void)out;
    return KIT_ERR_NOT_IMPLEMENTED;
}
