/* Allocation-failure loop for the C unit tests (include after check.h and cmfa_int.h).
 * Define CHECK_ALLOC_TEST (the test's name) before including. */
#ifndef CMFA_CHECK_ALLOC_H
#define CMFA_CHECK_ALLOC_H

#ifndef CHECK_ALLOC_TEST
#error "define CHECK_ALLOC_TEST before including check_alloc.h"
#endif

/* Runs fn with the nth allocation failing, for n = 1, 2, ... until it succeeds without an
 * injected failure. Each run must either succeed or report CMFA_E_NOMEM. */
static inline void alloc_loop(const char *name, cmfa_code (*fn)(void))
{
    long n;

    for (n = 1; n < 100000; n++) {
        cmfa_code rc;
        long used;

        cmfa__alloc_fail_after(n);
        rc = fn();
        used = cmfa__alloc_count();
        cmfa__alloc_reset();
        CHECK_MSG(rc == CMFA_OK || rc == CMFA_E_NOMEM, "%s: failing allocation %ld gave %s",
                  name, n, cmfa_code_name(rc));
        if (rc == CMFA_OK && used < n) {
            printf("%s: %s survived %ld injected allocation failures\n", CHECK_ALLOC_TEST, name,
                   n - 1);
            return;
        }
    }
    CHECK_MSG(0, "%s: never succeeded", name);
}

#endif
