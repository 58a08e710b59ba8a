/*
 * slept_wrap: benchmark 4 of tests/bench (issue 8). Linked into copies of
 * the graded test programs with -Wl,--wrap=fake_clock_destroy, it appends
 * each fake clock's total sleep (slept_ms, the backoff and rate-limit waits
 * the test asked for) to the file $BENCH_SLEPT_FILE before the clock goes
 * away, so run.sh can add up what the tests would wait at real time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fakes.h"

void __real_fake_clock_destroy(fake_clock *fc);
void __wrap_fake_clock_destroy(fake_clock *fc);

void __wrap_fake_clock_destroy(fake_clock *fc)
{
    const char *path = getenv("BENCH_SLEPT_FILE");
    FILE *f;

    /* One line per clock: pid, address, sleeps, total. A clock destroyed
     * twice prints the same line twice, which run.sh counts once. */
    if (fc && path && (f = fopen(path, "a"))) {
        fprintf(f, "%ld %p %zu %llu\n", (long)getpid(), (void *)fc,
                fc->n_sleeps, (unsigned long long)fc->slept_ms);
        fclose(f);
    }
    __real_fake_clock_destroy(fc);
}
