/* Client-side rate limiting: the AWS SDKs' "adaptive" retry mode and an explicit cap.
 *
 * Adaptive mode (as botocore's retries/adaptive.py, throttling.py and bucket.py describe it):
 *
 *   - a token bucket gates every request once the first throttling error has been seen (before
 *     that, requests go out unhindered); it refills at fill_rate tokens per second up to
 *     max(1, rate) tokens, never slower than 0.5 per second;
 *   - the sending rate is measured in half-second buckets and smoothed (0.8 new, 0.2 old);
 *   - on a throttling answer the rate becomes 0.7 times the rate in use (the measured rate, or
 *     the bucket's rate when lower) and that rate is remembered as w_max;
 *   - on any other answer the rate follows the CUBIC curve 0.4 * (t - K)^3 + w_max, with t the
 *     time since the last throttle and K = cbrt(w_max * (1 - 0.7) / 0.4), so it climbs back
 *     quickly, levels off near w_max, then probes above it;
 *   - the rate never exceeds twice the measured sending rate.
 *
 * The explicit cap (max_rate requests per second) is a second bucket of capacity one, always on.
 * A request needs a token from each bucket in use; when one lacks it, nothing is taken and the
 * caller is told how long to wait. Time is in seconds on a monotonic clock. */
#include <math.h>
#include <string.h>

#include "cmfa_int.h"

#define MIN_FILL_RATE 0.5
#define SMOOTH 0.8
#define BUCKET_SECONDS 0.5
#define BETA 0.7
#define SCALE 0.4
#define MAX_ADJUST 2.0

void cmfa__rate_init(struct cmfa__rate_limiter *l, int adaptive, double max_rate, double now)
{
    memset(l, 0, sizeof(*l));
    l->adaptive = adaptive ? 1 : 0;
    l->fill_rate = 1.0;
    l->max_capacity = 1.0;
    l->last_fail = now;
    l->last_bucket = floor(now / BUCKET_SECONDS) * BUCKET_SECONDS;
    if (max_rate > 0) {
        l->cap_rate = max_rate;
        l->cap_tokens = 1.0;
        l->cap_last = now;
    }
}

static void refill(struct cmfa__rate_limiter *l, double now)
{
    if (!l->has_last) {
        l->has_last = 1;
        l->last_refill = now;
        return;
    }
    if (now > l->last_refill) {
        l->tokens += (now - l->last_refill) * l->fill_rate;
        if (l->tokens > l->max_capacity)
            l->tokens = l->max_capacity;
        l->last_refill = now;
    }
}

static void cap_refill(struct cmfa__rate_limiter *l, double now)
{
    if (now > l->cap_last) {
        l->cap_tokens += (now - l->cap_last) * l->cap_rate;
        if (l->cap_tokens > 1.0)
            l->cap_tokens = 1.0;
        l->cap_last = now;
    }
}

/* Milliseconds until `missing` tokens have come in at `rate`, at least 1. */
static long wait_ms(double missing, double rate)
{
    double ms = ceil(missing / rate * 1000.0);
    return ms < 1.0 ? 1L : ms > 3600000.0 ? 3600000L : (long)ms;
}

long cmfa__rate_acquire(struct cmfa__rate_limiter *l, double now)
{
    long wait = 0, w;

    if (!l)
        return 0;
    if (l->enabled) {
        refill(l, now);
        if (l->tokens < 1.0)
            wait = wait_ms(1.0 - l->tokens, l->fill_rate);
    }
    if (l->cap_rate > 0) {
        cap_refill(l, now);
        if (l->cap_tokens < 1.0) {
            w = wait_ms(1.0 - l->cap_tokens, l->cap_rate);
            if (w > wait)
                wait = w;
        }
    }
    if (wait)
        return wait;
    if (l->enabled)
        l->tokens -= 1.0;
    if (l->cap_rate > 0)
        l->cap_tokens -= 1.0;
    return 0;
}

/* The smoothed sending rate, updated with one more answer. */
static double clock_record(struct cmfa__rate_limiter *l, double now)
{
    double bucket = floor(now / BUCKET_SECONDS) * BUCKET_SECONDS;

    l->count += 1.0;
    if (bucket > l->last_bucket) {
        double current = l->count / (bucket - l->last_bucket);
        l->measured_rate = current * SMOOTH + l->measured_rate * (1.0 - SMOOTH);
        l->count = 0;
        l->last_bucket = bucket;
    }
    return l->measured_rate;
}

static void set_rate(struct cmfa__rate_limiter *l, double rate, double now)
{
    refill(l, now);
    l->fill_rate = rate > MIN_FILL_RATE ? rate : MIN_FILL_RATE;
    l->max_capacity = rate >= 1.0 ? rate : 1.0;
    if (l->tokens > l->max_capacity)
        l->tokens = l->max_capacity;
}

void cmfa__rate_update(struct cmfa__rate_limiter *l, int throttled, double now)
{
    double measured, rate;

    if (!l || !l->adaptive)
        return;
    measured = clock_record(l, now);
    if (throttled) {
        double in_use = l->enabled && l->fill_rate < measured ? l->fill_rate : measured;
        l->w_max = in_use;
        l->k = cbrt(l->w_max * (1.0 - BETA) / SCALE);
        l->last_fail = now;
        l->enabled = 1;
        l->throttles++;
        rate = in_use * BETA;
    } else {
        double t = now - l->last_fail - l->k;
        rate = SCALE * t * t * t + l->w_max;
    }
    if (rate > MAX_ADJUST * measured)
        rate = MAX_ADJUST * measured;
    set_rate(l, rate, now);
}

double cmfa__rate_current(const struct cmfa__rate_limiter *l)
{
    double rate = 0;

    if (!l)
        return 0;
    if (l->enabled)
        rate = l->fill_rate;
    if (l->cap_rate > 0 && (rate == 0 || l->cap_rate < rate))
        rate = l->cap_rate;
    return rate;
}
