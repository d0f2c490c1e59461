/* retry.c: AWS standard retry mode (max attempts, full-jitter backoff capped at 20 s, retry
 * quota with refunds, what is retryable) and cmfa_transport_failed.
 *
 * cmfa_retry_init needs cmfa_client_max_attempts (client.c) and is left to the client's
 * integration tests; cmfa_retry_next and cmfa_retry_success are tested on a zeroed client. */
#include <string.h>

#include "check.h"
#include "cmfa_int.h"

static void service_error(struct cmfa_error *err, const char *code, long status)
{
    cmfa_error_init(err);
    err->code = CMFA_E_SERVICE;
    snprintf(err->service_code, sizeof(err->service_code), "%s", code);
    snprintf(err->message, sizeof(err->message), "%s: text (HTTP %ld)", code, status);
    err->status = status;
}

static void fresh(struct cmfa_retry *r, int max_attempts)
{
    r->attempt = 0;
    r->max_attempts = max_attempts;
    r->last_cost = 0;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static void test_quota_init(void)
{
    struct cmfa__retry_quota q;

    memset(&q, 0xff, sizeof(q));
    cmfa__retry_quota_init(&q);
    CHECK_INT(q.capacity, 500);
    CHECK_INT(q.max_capacity, 500);
    cmfa__retry_quota_init(NULL);   /* no crash */
}

static void test_rng(void)
{
    struct cmfa__rng a, b, z;
    double sum = 0, lo = 1, hi = 0;
    int i, same = 1, differ = 0, out_of_range = 0;

    cmfa__rng_seed(&z, 0);
    CHECK(z.state != 0);
    cmfa__rng_seed(&a, 12345);
    cmfa__rng_seed(&b, 12345);
    for (i = 0; i < 1000; i++)
        if (cmfa__rng_uniform(&a) != cmfa__rng_uniform(&b))
            same = 0;
    CHECK(same);
    cmfa__rng_seed(&a, 1);
    cmfa__rng_seed(&b, 2);
    for (i = 0; i < 10; i++)
        if (cmfa__rng_uniform(&a) != cmfa__rng_uniform(&b))
            differ = 1;
    CHECK(differ);

    cmfa__rng_seed(&a, 0);
    for (i = 0; i < 200000; i++) {
        double u = cmfa__rng_uniform(&a);
        if (!(u >= 0.0 && u < 1.0))
            out_of_range++;
        if (u < lo)
            lo = u;
        if (u > hi)
            hi = u;
        sum += u;
    }
    CHECK_INT(out_of_range, 0);
    CHECK(a.state != 0);
    CHECK_MSG(sum / 200000 > 0.49 && sum / 200000 < 0.51, "mean %f", sum / 200000);
    CHECK(lo < 0.001);
    CHECK(hi > 0.999);

    /* A zeroed (never seeded) generator still produces numbers. */
    memset(&z, 0, sizeof(z));
    CHECK(cmfa__rng_uniform(&z) >= 0.0);
    CHECK(z.state != 0);
    CHECK(cmfa__rng_uniform(NULL) == 0.0);
    cmfa__rng_seed(NULL, 1);   /* no crash */
}

static void test_max_attempts(void)
{
    static const int maxes[] = {1, 2, 3, 5, 10};
    struct cmfa__retry_quota q;
    struct cmfa__rng rng;
    struct cmfa_retry r;
    struct cmfa_error err;
    long delay;
    size_t k;
    int i;

    cmfa_error_init(&err);
    cmfa__rng_seed(&rng, 7);
    /* Default 3: two retries, then final. */
    cmfa__retry_quota_init(&q);
    fresh(&r, 3);
    cmfa_transport_failed(&err, CMFA_E_TRANSPORT, "connection refused");
    CHECK_INT(cmfa__retry_decide(&q, &rng, &r, &err, &delay), 1);
    CHECK_INT(err.attempts, 1);
    CHECK_INT(r.attempt, 1);
    CHECK_INT(cmfa__retry_decide(&q, &rng, &r, &err, &delay), 1);
    CHECK_INT(err.attempts, 2);
    delay = 123;
    CHECK_INT(cmfa__retry_decide(&q, &rng, &r, &err, &delay), 0);
    CHECK_INT(err.attempts, 3);
    CHECK_INT(err.retryable, 1);   /* retryable sort, attempts used up */
    CHECK_INT(delay, 0);
    CHECK_INT(q.capacity, 490);
    CHECK_STR(err.message, "connection refused");   /* no quota note */

    for (k = 0; k < CMFA__ARRAY_LEN(maxes); k++) {
        int retries = 0;
        cmfa__retry_quota_init(&q);
        fresh(&r, maxes[k]);
        cmfa_error_init(&err);
        for (i = 0; i < 100; i++) {
            service_error(&err, "ThrottlingException", 400);
            err.attempts = r.attempt;
            if (!cmfa__retry_decide(&q, &rng, &r, &err, &delay))
                break;
            retries++;
        }
        CHECK_MSG(retries == maxes[k] - 1, "max %d: %d retries", maxes[k], retries);
        CHECK_INT(err.attempts, maxes[k]);
        CHECK_INT(q.capacity, 500 - 5 * (maxes[k] - 1));
    }

    /* Nonsense maxima: no retry. */
    fresh(&r, 0);
    cmfa_transport_failed(&err, CMFA_E_TRANSPORT, "reset");
    CHECK_INT(cmfa__retry_decide(&q, &rng, &r, &err, &delay), 0);
    fresh(&r, -4);
    CHECK_INT(cmfa__retry_decide(&q, &rng, &r, &err, &delay), 0);
    CHECK_INT(err.attempts, 1);
}

static void test_backoff_bounds(void)
{
    static const long caps[] = {1000, 2000, 4000, 8000, 16000, 20000, 20000, 20000, 20000, 20000};
    struct cmfa__retry_quota q;
    struct cmfa__rng rng;
    struct cmfa_retry r;
    struct cmfa_error err;
    int i, s;

    cmfa_error_init(&err);
    cmfa__rng_seed(&rng, 2024);
    for (i = 1; i <= 10; i++) {
        long cap = caps[i - 1], lo = cap, hi = -1;
        double sum = 0;
        const int samples = 20000;
        int bad = 0;

        for (s = 0; s < samples; s++) {
            long delay = -1;
            cmfa__retry_quota_init(&q);
            r.attempt = i - 1;   /* attempt i is the one that fails now */
            r.max_attempts = 100;
            r.last_cost = 0;
            cmfa_transport_failed(&err, CMFA_E_TRANSPORT, "reset");
            if (cmfa__retry_decide(&q, &rng, &r, &err, &delay) != 1 || r.attempt != i)
                bad++;
            if (delay < 0 || delay >= cap || delay > 20000)
                bad++;
            if (delay < lo)
                lo = delay;
            if (delay > hi)
                hi = delay;
            sum += (double)delay;
        }
        CHECK_MSG(bad == 0, "attempt %d: %d bad decisions or delays", i, bad);
        /* Full jitter: spread over the whole range, mean about half the cap. */
        CHECK_MSG(lo < cap / 50, "attempt %d: min %ld", i, lo);
        CHECK_MSG(hi > cap - cap / 50, "attempt %d: max %ld", i, hi);
        CHECK_MSG(sum / samples > 0.47 * (double)cap && sum / samples < 0.53 * (double)cap,
                  "attempt %d: mean %f, cap %ld", i, sum / samples, cap);
    }

    /* Very large attempt numbers: still capped, no overflow. */
    {
        long delay = -1;
        cmfa__retry_quota_init(&q);
        r.attempt = 1000000;
        r.max_attempts = 2000000;
        cmfa_transport_failed(&err, CMFA_E_TRANSPORT, "reset");
        CHECK_INT(cmfa__retry_decide(&q, &rng, &r, &err, &delay), 1);
        CHECK(delay >= 0 && delay < 20000);
    }
}

static void test_deterministic(void)
{
    struct cmfa__retry_quota q1, q2;
    struct cmfa__rng a, b, c;
    struct cmfa_retry r1, r2, r3;
    struct cmfa_error e1, e2, e3;
    long d1[3], d2[3], d3[3];
    int i, differ = 0;

    cmfa__retry_quota_init(&q1);
    cmfa__retry_quota_init(&q2);
    cmfa__rng_seed(&a, 99);
    cmfa__rng_seed(&b, 99);
    cmfa__rng_seed(&c, 100);
    fresh(&r1, 4);
    fresh(&r2, 4);
    fresh(&r3, 4);
    for (i = 0; i < 3; i++) {
        service_error(&e1, "InternalErrorException", 500);
        service_error(&e2, "InternalErrorException", 500);
        service_error(&e3, "InternalErrorException", 500);
        CHECK_INT(cmfa__retry_decide(&q1, &a, &r1, &e1, &d1[i]), 1);
        CHECK_INT(cmfa__retry_decide(&q2, &b, &r2, &e2, &d2[i]), 1);
        CHECK_INT(cmfa__retry_decide(&q2, &c, &r3, &e3, &d3[i]), 1);
        CHECK_INT(d1[i], d2[i]);
        if (d1[i] != d3[i])
            differ = 1;
    }
    CHECK(differ);
}

static void test_quota_drain(void)
{
    struct cmfa__retry_quota q;
    struct cmfa__rng rng;
    struct cmfa_retry r;
    struct cmfa_error err;
    long delay;
    int retries = 0, i;

    cmfa_error_init(&err);
    cmfa__rng_seed(&rng, 5);
    cmfa__retry_quota_init(&q);
    /* Each operation fails once with a retryable error: 100 retries of 5 empty the bucket. */
    for (i = 0; i < 200; i++) {
        fresh(&r, 3);
        cmfa_transport_failed(&err, CMFA_E_TRANSPORT, "connection reset");
        if (!cmfa__retry_decide(&q, &rng, &r, &err, &delay))
            break;
        CHECK_INT(r.last_cost, 5);
        retries++;
    }
    CHECK_INT(retries, 100);
    CHECK_INT(q.capacity, 0);
    CHECK_INT(err.retryable, 1);
    CHECK_INT(err.attempts, 1);
    CHECK_INT(delay, 0);
    CHECK_STR(err.message, "connection reset (retry quota exhausted)");
    /* Said once, even if asked again. */
    r.attempt = 0;
    CHECK_INT(cmfa__retry_decide(&q, &rng, &r, &err, &delay), 0);
    CHECK_STR(err.message, "connection reset (retry quota exhausted)");

    /* Timeouts cost 10: 50 retries. */
    cmfa__retry_quota_init(&q);
    retries = 0;
    for (i = 0; i < 200; i++) {
        fresh(&r, 3);
        cmfa_transport_failed(&err, CMFA_E_TIMEOUT, "read timed out");
        if (!cmfa__retry_decide(&q, &rng, &r, &err, &delay))
            break;
        CHECK_INT(r.last_cost, 10);
        retries++;
    }
    CHECK_INT(retries, 50);
    CHECK_INT(q.capacity, 0);

    /* 7 tokens left: a timeout (10) is refused, a throttling retry (5) is not. */
    q.capacity = 7;
    fresh(&r, 3);
    cmfa_transport_failed(&err, CMFA_E_TIMEOUT, "timeout");
    CHECK_INT(cmfa__retry_decide(&q, &rng, &r, &err, &delay), 0);
    CHECK_INT(q.capacity, 7);
    CHECK(ends_with(err.message, " (retry quota exhausted)"));
    fresh(&r, 3);
    service_error(&err, "TooManyRequestsException", 400);
    CHECK_INT(cmfa__retry_decide(&q, &rng, &r, &err, &delay), 1);
    CHECK_INT(q.capacity, 2);

    /* A full message is left alone. */
    q.capacity = 0;
    fresh(&r, 3);
    service_error(&err, "ThrottlingException", 400);
    memset(err.message, 'm', sizeof(err.message) - 1);
    err.message[sizeof(err.message) - 1] = '\0';
    CHECK_INT(cmfa__retry_decide(&q, &rng, &r, &err, &delay), 0);
    CHECK_INT(strlen(err.message), sizeof(err.message) - 1);
    CHECK(err.message[0] == 'm' && err.message[sizeof(err.message) - 2] == 'm');
}

static void test_refunds(void)
{
    struct cmfa__retry_quota q;
    struct cmfa__rng rng;
    struct cmfa_retry r;
    struct cmfa_error err;
    long delay;

    cmfa_error_init(&err);
    cmfa__rng_seed(&rng, 11);
    cmfa__retry_quota_init(&q);

    /* Success without a retry: +1, capped at 500. */
    fresh(&r, 3);
    cmfa__retry_succeeded(&q, &r);
    CHECK_INT(q.capacity, 500);
    q.capacity = 400;
    cmfa__retry_succeeded(&q, &r);
    CHECK_INT(q.capacity, 401);

    /* One retry (5), then success: refunded. */
    q.capacity = 400;
    fresh(&r, 3);
    service_error(&err, "ThrottlingException", 400);
    CHECK_INT(cmfa__retry_decide(&q, &rng, &r, &err, &delay), 1);
    CHECK_INT(q.capacity, 395);
    cmfa__retry_succeeded(&q, &r);
    CHECK_INT(q.capacity, 400);
    CHECK_INT(r.last_cost, 0);

    /* Two retries: only the last cost is refunded. */
    fresh(&r, 3);
    cmfa_transport_failed(&err, CMFA_E_TIMEOUT, "timeout");
    CHECK_INT(cmfa__retry_decide(&q, &rng, &r, &err, &delay), 1);
    cmfa_transport_failed(&err, CMFA_E_TRANSPORT, "reset");
    CHECK_INT(cmfa__retry_decide(&q, &rng, &r, &err, &delay), 1);
    CHECK_INT(q.capacity, 385);
    cmfa__retry_succeeded(&q, &r);
    CHECK_INT(q.capacity, 390);

    /* After a timeout retry: +10. */
    fresh(&r, 3);
    cmfa_transport_failed(&err, CMFA_E_TIMEOUT, "timeout");
    CHECK_INT(cmfa__retry_decide(&q, &rng, &r, &err, &delay), 1);
    CHECK_INT(q.capacity, 380);
    cmfa__retry_succeeded(&q, &r);
    CHECK_INT(q.capacity, 390);

    /* Never above the maximum. */
    q.capacity = 498;
    r.last_cost = 10;
    cmfa__retry_succeeded(&q, &r);
    CHECK_INT(q.capacity, 500);
    q.capacity = 500;
    r.last_cost = 5;
    cmfa__retry_succeeded(&q, &r);
    CHECK_INT(q.capacity, 500);

    cmfa__retry_succeeded(NULL, &r);   /* no crash */
    cmfa__retry_succeeded(&q, NULL);
}

static void test_classification(void)
{
    static const char *const never[] = {
        "InvalidParameterException", "NotAuthorizedException", "ResourceNotFoundException",
        "ConcurrentModificationException", "FeatureUnavailableInTierException",
        "InvalidSmsRoleAccessPolicyException", "InvalidSmsRoleTrustRelationshipException",
        "OperationNotEnabledException", "UserPoolTaggingException", "UnrecognizedClientException",
        "InvalidSignatureException", "AccessDeniedException", "SerializationException",
        "UnknownOperationException", "ExpiredTokenException"};
    static const char *const throttling[] = {
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException",
        "TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
        "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
        "EC2ThrottledException"};
    static const char *const transient[] = {"RequestTimeout", "RequestTimeoutException"};
    static const long retried_status[] = {500, 502, 503, 504};
    static const long final_status[] = {501, 400, 403, 404, 429, 0, 200, 505};
    static const cmfa_code final_codes[] = {
        CMFA_E_TLS, CMFA_E_TOO_LARGE, CMFA_E_BAD_RESPONSE, CMFA_E_VALIDATION,
        CMFA_E_BAD_ARGUMENT, CMFA_E_NOMEM, CMFA_E_INTERNAL, CMFA_E_CANCELLED, CMFA_E_CONFIG,
        CMFA_E_NO_CREDENTIALS, CMFA_E_CREDENTIALS, CMFA_E_UNKNOWN_OPERATION, CMFA_OK};
    struct cmfa__retry_quota q;
    struct cmfa__rng rng;
    struct cmfa_retry r;
    struct cmfa_error err;
    long delay;
    size_t i;

    cmfa__rng_seed(&rng, 3);
    cmfa__retry_quota_init(&q);

    for (i = 0; i < CMFA__ARRAY_LEN(never); i++) {
        service_error(&err, never[i], 400);
        fresh(&r, 3);
        CHECK_MSG(cmfa__retry_decide(&q, &rng, &r, &err, &delay) == 0, "%s", never[i]);
        CHECK_MSG(err.retryable == 0, "%s", never[i]);
        CHECK_INT(err.attempts, 1);
        CHECK(!cmfa__retry_is_throttling(&err));
    }
    /* The five that describe the request are final even with a transient status. */
    for (i = 0; i < 5; i++) {
        service_error(&err, never[i], 503);
        fresh(&r, 3);
        CHECK_MSG(cmfa__retry_decide(&q, &rng, &r, &err, &delay) == 0, "%s 503", never[i]);
    }
    CHECK_INT(q.capacity, 500);   /* nothing taken */

    for (i = 0; i < CMFA__ARRAY_LEN(throttling); i++) {
        service_error(&err, throttling[i], 400);
        fresh(&r, 3);
        cmfa__retry_quota_init(&q);
        CHECK_MSG(cmfa__retry_decide(&q, &rng, &r, &err, &delay) == 1, "%s", throttling[i]);
        CHECK_MSG(err.retryable == 1, "%s", throttling[i]);
        CHECK_MSG(cmfa__retry_is_throttling(&err), "%s", throttling[i]);
        CHECK_MSG(cmfa__retry_is_retryable(&err), "%s", throttling[i]);
    }
    for (i = 0; i < CMFA__ARRAY_LEN(transient); i++) {
        service_error(&err, transient[i], 400);
        fresh(&r, 3);
        CHECK_MSG(cmfa__retry_decide(&q, &rng, &r, &err, &delay) == 1, "%s", transient[i]);
        CHECK_MSG(!cmfa__retry_is_throttling(&err), "%s", transient[i]);
    }
    for (i = 0; i < CMFA__ARRAY_LEN(retried_status); i++) {
        service_error(&err, "HttpStatus", retried_status[i]);
        fresh(&r, 3);
        CHECK_MSG(cmfa__retry_decide(&q, &rng, &r, &err, &delay) == 1, "%ld",
                  retried_status[i]);
        CHECK(!cmfa__retry_is_throttling(&err));
        service_error(&err, "InternalErrorException", retried_status[i]);
        CHECK(cmfa__retry_is_retryable(&err));
    }
    for (i = 0; i < CMFA__ARRAY_LEN(final_status); i++) {
        service_error(&err, "SomethingElse", final_status[i]);
        fresh(&r, 3);
        CHECK_MSG(cmfa__retry_decide(&q, &rng, &r, &err, &delay) == 0, "%ld", final_status[i]);
        CHECK_INT(err.retryable, 0);
    }
    /* InternalErrorException follows the status rule (standard mode has no name rule for it). */
    service_error(&err, "InternalErrorException", 400);
    CHECK(!cmfa__retry_is_retryable(&err));

    /* Transport failures. */
    cmfa_transport_failed(&err, CMFA_E_TRANSPORT, "Connection refused");
    CHECK(cmfa__retry_is_retryable(&err));
    CHECK(!cmfa__retry_is_throttling(&err));
    cmfa_transport_failed(&err, CMFA_E_TIMEOUT, "Operation timed out");
    CHECK(cmfa__retry_is_retryable(&err));
    for (i = 0; i < CMFA__ARRAY_LEN(final_codes); i++) {
        cmfa_error_init(&err);
        err.code = final_codes[i];
        err.status = 503;   /* status only counts for service errors */
        fresh(&r, 3);
        CHECK_MSG(cmfa__retry_decide(&q, &rng, &r, &err, &delay) == 0, "%s",
                  cmfa_code_name(final_codes[i]));
        CHECK_INT(err.retryable, 0);
    }
    cmfa_transport_failed(&err, CMFA_E_TLS, "SSL certificate problem: unable to get local "
                                            "issuer certificate");
    CHECK(!cmfa__retry_is_retryable(&err));
    CHECK(!cmfa__retry_is_retryable(NULL));
    CHECK(!cmfa__retry_is_throttling(NULL));
}

static void test_transport_failed(void)
{
    struct cmfa_error err;
    char longmsg[2000];
    size_t i;

    /* Fields of a previous service error do not leak; attempts is kept. */
    service_error(&err, "ThrottlingException", 400);
    snprintf(err.request_id, sizeof(err.request_id), "old-request");
    err.retryable = 1;
    err.attempts = 2;
    CHECK_INT(cmfa_transport_failed(&err, CMFA_E_TIMEOUT, "read timeout after 60000 ms"),
              CMFA_E_TIMEOUT);
    CHECK_INT(err.code, CMFA_E_TIMEOUT);
    CHECK_STR(err.message, "read timeout after 60000 ms");
    CHECK_STR(err.service_code, "");
    CHECK_STR(err.request_id, "");
    CHECK_INT(err.status, 0);
    CHECK_INT(err.attempts, 2);
    CHECK_INT(err.retryable, 1);
    CHECK_INT(cmfa_error_kind(&err), CMFA_KIND_TRANSPORT);

    /* Overwrites a previous transport error too (not "first error wins"). */
    CHECK_INT(cmfa_transport_failed(&err, CMFA_E_TLS, "certificate verify failed"), CMFA_E_TLS);
    CHECK_INT(err.code, CMFA_E_TLS);
    CHECK_STR(err.message, "certificate verify failed");
    CHECK_INT(err.retryable, 0);

    /* Violations of an earlier error are freed. */
    cmfa_error_cleanup(&err);
    CHECK_INT(cmfa__add_violation(&err, "UserPoolId", "required", "UserPoolId is required"),
              CMFA_OK);
    cmfa_transport_failed(&err, CMFA_E_TRANSPORT, "reset");
    CHECK_INT(err.nviolations, 0);
    CHECK(err.violations == NULL);

    /* Runs of control characters become one space (none at the end), as in every message. */
    cmfa_transport_failed(&err, CMFA_E_TRANSPORT, "line1\r\nline2\tx\x1b\x7f");
    CHECK_STR(err.message, "line1 line2 x");
    /* NULL or empty message: the code's text. */
    cmfa_transport_failed(&err, CMFA_E_TOO_LARGE, NULL);
    CHECK_STR(err.message, "response too large");
    CHECK_INT(err.retryable, 0);
    cmfa_transport_failed(&err, CMFA_E_BAD_RESPONSE, "");
    CHECK_STR(err.message, "malformed response");
    CHECK_INT(err.retryable, 0);

    /* Long messages: capped, never splitting a UTF-8 sequence. */
    for (i = 0; i + 2 < sizeof(longmsg); i += 2)
        memcpy(longmsg + i, "\xc3\xa9", 2);
    longmsg[i] = '\0';
    cmfa_transport_failed(&err, CMFA_E_TRANSPORT, longmsg);
    /* 511 bytes would end inside a character: 255 whole characters are kept. */
    CHECK_INT(strlen(err.message), 510);
    CHECK((unsigned char)err.message[509] == 0xa9);

    /* Codes that are not transport failures. */
    err.attempts = 3;
    CHECK_INT(cmfa_transport_failed(&err, CMFA_E_SERVICE, "x"), CMFA_E_BAD_ARGUMENT);
    CHECK_INT(err.code, CMFA_E_BAD_ARGUMENT);
    CHECK(strstr(err.message, "CMFA_E_SERVICE") != NULL);
    CHECK_INT(err.attempts, 3);
    CHECK_INT(cmfa_transport_failed(&err, CMFA_OK, "x"), CMFA_E_BAD_ARGUMENT);
    CHECK_INT(cmfa_transport_failed(&err, (cmfa_code)999, "x"), CMFA_E_BAD_ARGUMENT);
    CHECK_INT(cmfa_transport_failed(NULL, CMFA_E_TRANSPORT, "x"), CMFA_E_TRANSPORT);
    cmfa_error_cleanup(&err);
}

/* The loop of cmfa.h: two 503s then success. */
static void test_loop_and_wrappers(void)
{
    struct cmfa_client client;
    struct cmfa_retry r;
    struct cmfa_error err;
    long delay, total = 0;
    int attempt, rc;

    memset(&client, 0, sizeof(client));
    cmfa__retry_quota_init(&client.quota);
    cmfa__rng_seed(&client.rng, 42);
    fresh(&r, 3);
    cmfa_error_init(&err);
    for (attempt = 1;; attempt++) {
        if (attempt < 3) {
            service_error(&err, "HttpStatus503", 503);
            err.attempts = r.attempt;
            rc = cmfa_retry_next(&client, &r, &err, &delay);
            CHECK_INT(rc, 1);
            CHECK(delay >= 0 && delay < (attempt == 1 ? 1000 : 2000));
            total += delay;
            continue;
        }
        cmfa_retry_success(&client, &r);
        break;
    }
    CHECK_INT(attempt, 3);
    CHECK_INT(r.attempt, 2);
    CHECK_INT(err.attempts, 2);
    CHECK_INT(client.quota.capacity, 495);   /* 500 - 5 - 5 + 5 */
    CHECK(total >= 0);

    /* Final failure through the wrapper. */
    fresh(&r, 1);
    cmfa_transport_failed(&err, CMFA_E_TRANSPORT, "refused");
    CHECK_INT(cmfa_retry_next(&client, &r, &err, &delay), 0);
    CHECK_INT(err.attempts, 1);

    /* NULL handling. */
    fresh(&r, 3);
    CHECK_INT(cmfa_retry_next(NULL, &r, &err, &delay), 0);
    CHECK_INT(err.attempts, 1);
    CHECK_INT(cmfa_retry_next(&client, NULL, &err, &delay), 0);
    fresh(&r, 3);
    CHECK_INT(cmfa_retry_next(&client, &r, NULL, &delay), 0);
    CHECK_INT(r.attempt, 1);
    fresh(&r, 3);
    cmfa_transport_failed(&err, CMFA_E_TRANSPORT, "refused");
    CHECK_INT(cmfa__retry_decide(&client.quota, &client.rng, &r, &err, NULL), 1);
    cmfa_retry_success(NULL, &r);
    cmfa_retry_success(&client, NULL);
}

int main(void)
{
    (void)check_read_file;   /* part of check.h, unused here */
    test_quota_init();
    test_rng();
    test_max_attempts();
    test_backoff_bounds();
    test_deterministic();
    test_quota_drain();
    test_refunds();
    test_classification();
    test_transport_failed();
    test_loop_and_wrappers();
    return check_done("test_retry");
}
