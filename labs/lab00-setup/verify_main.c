/*
 * verify: lab 0's first program. Run it before anything else; it checks the
 * key, the client and one call, and says what to fix when something is
 * wrong.
 *
 *     make run LAB=0 PROG=verify
 *     ANTHROPIC_API_KEY=mock-401 make run LAB=0 PROG=verify   (see a failure)
 */
#include <stdbool.h>
#include <stdio.h>

#include "kit_env.h"
#include "verify.h"

int main(int argc, char **argv)
{
    verify_config cfg = VERIFY_CONFIG_DEFAULT;
    bool readable = false;
    char err[256];
    kit_status status;

    if (argc > 1)
        cfg.prompt = argv[1];

    /* A .env file is optional; a broken one is not. */
    status = kit_env_load_dotenv(".env", false, &readable, err, sizeof(err));
    if (status == KIT_OK) {
        printf("ok: loaded .env\n");
        if (readable)
            printf("warning: .env is readable by other users: chmod 600 "
                   ".env\n");
    } else if (status != KIT_ERR_IO) {
        printf("error: .env: %s\n", err);
        return 1;
    }

    status = verify_run(&cfg, stdout);
    if (status != KIT_OK) {
        printf("Verification failed: %s\n", kit_strerror(status));
        return 1;
    }
    printf("All checks passed: you are ready for lab 1.\n");
    return 0;
}
