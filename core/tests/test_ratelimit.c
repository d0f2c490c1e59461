/* ratelimit.c: the adaptive token bucket with CUBIC rate adjustment, and the max_rate cap,
 * on a clock the test moves. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "cmfa_int.h"

#define NEAR(a, b) (fabs((a) - (b)) < 1e-6)

static void test_standard_mode_never_limits(void)
{
    struct cmfa__rate_limiter l;
    int i;

    cmfa__rate_init(&l, 0, 0, 100.0);
    for (i = 0; i < 1000; i++)
        CHECK_INT(cmfa__rate_acquire(&l, 100.0), 0);
    cmfa__rate_update(&l, 1, 100.0);   /* throttles change nothing outside adaptive mode */
    CHECK_INT(cmfa__rate_acquire(&l, 100.0), 0);
    CHECK(cmfa__rate_current(&l) == 0);
    CHECK_INT(cmfa__rate_acquire(NULL, 1.0), 0);
}

static void test_cap(void)
{
    struct cmfa__rate_limiter l;
    double t = 10.0;
    int sent = 0;

    cmfa__rate_init(&l, 0, 4.0, t);
    CHECK_INT(cmfa__rate_acquire(&l, t), 0);
    CHECK_INT(cmfa__rate_acquire(&l, t), 250);      /* one token per 250 ms */
    {
        long w = cmfa__rate_acquire(&l, t + 0.1);
        CHECK_MSG(w == 150 || w == 151, "wait %ld", w);   /* 150 ms, rounded up */
    }
    /* over 10 s of asking every millisecond: 40 requests, give or take the first */
    for (t = 10.0; t < 20.0; t += 0.001)
        if (cmfa__rate_acquire(&l, t) == 0)
            sent++;
    CHECK_MSG(sent >= 39 && sent <= 41, "%d requests in 10 s at 4/s", sent);
    CHECK(cmfa__rate_current(&l) == 4.0);
}

/* The CUBIC curve after one throttle, by the formulas the SDKs document:
 *   rate after the throttle = 0.7 * rate in use; K = cbrt(w_max * 0.3 / 0.4);
 *   later successes: 0.4 * (t - K)^3 + w_max, capped at twice the measured rate. */
static void test_cubic(void)
{
    struct cmfa__rate_limiter l;
    double t = 0, k;
    int i;

    cmfa__rate_init(&l, 1, 0, 0.0);
    CHECK_INT(l.enabled, 0);
    /* 10 answers per second for 5 s: measured rate settles at 10 */
    for (i = 0; i < 50; i++) {
        t = i * 0.1;
        cmfa__rate_update(&l, 0, t);
    }
    CHECK_MSG(fabs(l.measured_rate - 10.0) < 0.5, "measured %g", l.measured_rate);
    CHECK_INT(l.enabled, 0);
    t = 5.0;
    cmfa__rate_update(&l, 1, t);
    CHECK_INT(l.enabled, 1);
    CHECK_INT(l.throttles, 1);
    CHECK_MSG(fabs(l.w_max - l.measured_rate) < 1e-9, "w_max %g", l.w_max);
    CHECK_MSG(NEAR(l.fill_rate, 0.7 * l.w_max), "fill %g, w_max %g", l.fill_rate, l.w_max);
    k = cbrt(l.w_max * 0.3 / 0.4);
    CHECK(NEAR(l.k, k));
    /* answers keep coming at 10/s; K seconds after the throttle the rate is back at w_max */
    for (t = 5.1; t < 5.0 + k; t += 0.1)
        cmfa__rate_update(&l, 0, t);
    cmfa__rate_update(&l, 0, 5.0 + k);
    CHECK_MSG(fabs(l.fill_rate - l.w_max) < 0.01, "fill %g, w_max %g", l.fill_rate, l.w_max);
    /* and climbs above it later: 1 s after K by 0.4 */
    cmfa__rate_update(&l, 0, 6.0 + k);
    CHECK_MSG(fabs(l.fill_rate - (l.w_max + 0.4)) < 0.01, "fill %g, w_max %g", l.fill_rate,
              l.w_max);
    /* the bucket now paces: empty it, then the next token is 1/rate away */
    while (cmfa__rate_acquire(&l, 6.0 + k) == 0)
        ;
    CHECK_INT(cmfa__rate_acquire(&l, 6.0 + k), (long)ceil((1.0 - l.tokens) / l.fill_rate * 1000.0));
    /* a throttle with the bucket slower than the measured rate uses the bucket's rate */
    l.measured_rate = 50.0;
    cmfa__rate_update(&l, 1, 7.0 + k);
    CHECK_MSG(l.fill_rate < 0.7 * 50.0, "fill %g", l.fill_rate);
}

static void test_never_below_minimum(void)
{
    struct cmfa__rate_limiter l;
    int i;

    cmfa__rate_init(&l, 1, 0, 0.0);
    for (i = 0; i < 20; i++)
        cmfa__rate_update(&l, 1, (double)i);
    CHECK_MSG(l.fill_rate >= 0.5, "fill %g", l.fill_rate);
    CHECK(l.max_capacity >= 1.0);
    CHECK(cmfa__rate_acquire(&l, 100.0) == 0);
    CHECK(cmfa__rate_acquire(&l, 100.0) <= 2000);
}

int main(void)
{
    test_standard_mode_never_limits();
    test_cap();
    test_cubic();
    test_never_below_minimum();
    return check_done("test_ratelimit");
}
