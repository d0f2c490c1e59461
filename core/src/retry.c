/* AWS "standard" retry mode (classic, as botocore's retries/standard.py and aws-sdk-go-v2's
 * aws/retry describe it), as a small state machine that any transport loop can drive:
 *
 *   - at most max_attempts attempts (3 by default: the first call and two retries);
 *   - retryable: connection failures and timeouts, HTTP 500/502/503/504, the throttling and
 *     transient error codes of the known-error table (error.c);
 *   - backoff before the retry after failed attempt i: uniform[0,1) * min(2^(i-1), 20) seconds
 *     ("full jitter", capped at 20 s);
 *   - a per-client retry quota of 500 tokens: a retry costs 5 (10 after a timeout) and is not
 *     made when the quota lacks the cost; success refunds the last retry's cost, or adds 1 when
 *     no retry was needed, never above the maximum.
 *
 * Pure decisions on plain records: the operation object (operation.c) applies them to a
 * client's quota. */
#include <limits.h>
#include <string.h>

#include "cmfa_int.h"

#define QUOTA_INITIAL 500u
#define RETRY_COST 5u
#define TIMEOUT_RETRY_COST 10u
#define NO_RETRY_INCREMENT 1u
#define MAX_BACKOFF_MS 20000L

static const char quota_exhausted[] = " (retry quota exhausted)";

/* Error codes that are never retried whatever the status says: they describe the request or
 * the pool, so sending the same request again cannot succeed. */
static const char *const never_retried[] = {
    "InvalidParameterException",
    "NotAuthorizedException",
    "ResourceNotFoundException",
    "ConcurrentModificationException",
    "FeatureUnavailableInTierException",
};

/* ------------------------------------------------------------------------------------------
 * Quota and random numbers
 * ------------------------------------------------------------------------------------------ */

void cmfa__retry_quota_init(struct cmfa__retry_quota *q)
{
    if (!q)
        return;
    q->capacity = QUOTA_INITIAL;
    q->max_capacity = QUOTA_INITIAL;
}

void cmfa__rng_seed(struct cmfa__rng *rng, uint64_t seed)
{
    uint64_t z;

    if (!rng)
        return;
    /* One splitmix64 step spreads nearby seeds apart; xorshift needs a non-zero state. */
    z = seed + UINT64_C(0x9E3779B97F4A7C15);
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    z ^= z >> 31;
    rng->state = z ? z : UINT64_C(0x2545F4914F6CDD1D);
}

static uint64_t rng_next(struct cmfa__rng *rng)
{
    uint64_t x = rng->state;

    if (!x)   /* zeroed, never seeded */
        x = UINT64_C(0x2545F4914F6CDD1D);
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng->state = x;
    return x * UINT64_C(0x2545F4914F6CDD1D);
}

double cmfa__rng_uniform(struct cmfa__rng *rng)
{
    if (!rng)
        return 0.0;
    /* The top 53 bits as a fraction: exactly representable, strictly below 1. */
    return (double)(rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
}

/* ------------------------------------------------------------------------------------------
 * Classification
 * ------------------------------------------------------------------------------------------ */

static int is_never_retried(const char *code)
{
    size_t i;

    for (i = 0; i < CMFA__ARRAY_LEN(never_retried); i++)
        if (strcmp(code, never_retried[i]) == 0)
            return 1;
    return 0;
}

static int is_transient_status(long status)
{
    return status == 500 || status == 502 || status == 503 || status == 504;
}

int cmfa__retry_is_throttling(const struct cmfa_error *err)
{
    const struct cmfa__service_error *se;

    if (!err || err->code != CMFA_E_SERVICE)
        return 0;
    se = cmfa__service_error_find(err->service_code);
    return se && se->throttling;
}

int cmfa__retry_is_retryable(const struct cmfa_error *err)
{
    const struct cmfa__service_error *se;

    if (!err)
        return 0;
    switch (err->code) {
    case CMFA_E_TRANSPORT:   /* refused, reset, DNS: no (complete) response */
    case CMFA_E_TIMEOUT:
        return 1;
    case CMFA_E_SERVICE:
        if (is_never_retried(err->service_code))
            return 0;
        se = cmfa__service_error_find(err->service_code);
        if (se && (se->throttling || se->transient))
            return 1;
        /* InternalErrorException is retried through its status (500), as standard mode does;
         * with any other status it is not. */
        return is_transient_status(err->status);
    default:
        /* CMFA_E_TLS (certificate or handshake), CMFA_E_TOO_LARGE, CMFA_E_BAD_RESPONSE and
         * every usage, validation, credentials or internal error: the same request would
         * fail the same way. */
        return 0;
    }
}

/* ------------------------------------------------------------------------------------------
 * Decisions
 * ------------------------------------------------------------------------------------------ */

static long backoff_cap_ms(int attempt)
{
    /* min(2^(attempt-1), 20) seconds; 2^5 s already exceeds the cap. */
    if (attempt < 1)
        return 1000L;
    if (attempt - 1 >= 5)
        return MAX_BACKOFF_MS;
    return 1000L << (attempt - 1);   /* 1, 2, 4, 8, 16 s */
}

static void note_quota_exhausted(struct cmfa_error *err)
{
    size_t len = strnlen(err->message, sizeof(err->message));
    size_t add = sizeof(quota_exhausted) - 1;

    if (len >= add && memcmp(err->message + len - add, quota_exhausted, add) == 0)
        return;   /* already said */
    if (len + add < sizeof(err->message))
        memcpy(err->message + len, quota_exhausted, add + 1);
}

int cmfa__retry_decide(struct cmfa__retry_quota *q, struct cmfa__rng *rng,
                       struct cmfa_retry *r, struct cmfa_error *err, long *delay_ms)
{
    unsigned int cost;
    long cap, delay;

    if (delay_ms)
        *delay_ms = 0;
    if (!r)
        return 0;
    if (r->attempt < INT_MAX)
        r->attempt++;
    if (!err)
        return 0;
    err->attempts = r->attempt;
    err->retryable = cmfa__retry_is_retryable(err);
    if (!err->retryable || r->attempt >= r->max_attempts || !q || !rng)
        return 0;
    cost = err->code == CMFA_E_TIMEOUT ? TIMEOUT_RETRY_COST : RETRY_COST;
    if (q->capacity < cost) {
        /* Still a retryable sort of failure, but this client has retried too much lately. */
        note_quota_exhausted(err);
        return 0;
    }
    q->capacity -= cost;
    r->last_cost = cost;
    cap = backoff_cap_ms(r->attempt);
    delay = (long)(cmfa__rng_uniform(rng) * (double)cap);
    if (delay >= cap)   /* uniform < 1, but be safe against rounding */
        delay = cap - 1;
    if (delay < 0)
        delay = 0;
    if (delay_ms)
        *delay_ms = delay;
    return 1;
}

void cmfa__retry_succeeded(struct cmfa__retry_quota *q, struct cmfa_retry *r)
{
    unsigned int add;

    if (!q || !r)
        return;
    add = r->last_cost ? r->last_cost : NO_RETRY_INCREMENT;
    if (q->capacity >= q->max_capacity || add > q->max_capacity - q->capacity)
        q->capacity = q->max_capacity;
    else
        q->capacity += add;
    r->last_cost = 0;   /* refunded once */
}
