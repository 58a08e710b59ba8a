/*
 * Fuzzes lab 5's usage-log reader (solutions/lab05-budget): the input is
 * written as the usage log and a budget is created from it, which rebuilds
 * today's spend line by line. The clock is fixed on the day the seed lines
 * are dated, so their amounts are really added up.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t fixed_now_ms(void *ctx)
{
    (void)ctx;
    return 1000;
}

static int64_t fixed_wall_s(void *ctx)
{
    (void)ctx;
    return 1796007845; /* 2026-11-30 */
}

static void no_sleep(void *ctx, uint64_t ms)
{
    (void)ctx;
    (void)ms;
}

static uint32_t no_random(void *ctx)
{
    (void)ctx;
    return 4;
}

static const kit_clock_ops fixed_ops = {fixed_now_ms, fixed_wall_s, no_sleep,
                                        no_random};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kit_clock clock = {&fixed_ops, NULL};
    budget_config cfg;
    budget_projection proj;
    budget *b = NULL;
    char path[256];

    if (fuzz_write_temp(data, size, path, sizeof(path)) != 0)
        return 0;
    memset(&cfg, 0, sizeof(cfg));
    cfg.daily_limit_usd[BUDGET_DEV] = 10.0;
    cfg.daily_limit_usd[BUDGET_STAGING] = 1.0;
    cfg.daily_limit_usd[BUDGET_PROD] = 100.0;
    cfg.clock = &clock;
    cfg.usage_log = path;
    if (budget_create(&cfg, &b) == KIT_OK)
        budget_project(b, BUDGET_DEV, &proj);
    budget_destroy(b);
    unlink(path);
    return 0;
}
