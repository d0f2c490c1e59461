/* The operation object (operation.c): every outcome of an attempt, driven by hand as a custom
 * transport would drive it, on a real client whose clock the test controls. Nothing is sent
 * over a network: the "transport" is this file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cmfa_int.h"

#define CHECK_ALLOC_TEST "test_operation"
#include "check_alloc.h"

#define POOL "us-east-1_Ab12Cd34"

static long long fake_now_ms = 1000000;

static long long fake_clock(void)
{
    return fake_now_ms;
}

static struct cmfa_client *new_client(const char *retry_mode, double max_rate, int max_attempts)
{
    struct cmfa_client_options o;
    struct cmfa_error err;
    struct cmfa_client *c;

    memset(&o, 0, sizeof(o));
    o.region = "us-east-1";
    o.endpoint_url = "http://127.0.0.1:9";
    o.access_key_id = "AKIDEXAMPLE";
    o.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    o.retry_seed = 7;
    o.retry_mode = retry_mode;
    o.max_rate = max_rate;
    o.max_attempts = max_attempts;
    cmfa_error_init(&err);
    c = cmfa_client_new(&o, &err);
    if (c) {
        c->clock_ms = fake_clock;
        cmfa__rate_init(&c->limiter, c->cfg.adaptive, max_rate, (double)fake_now_ms / 1000.0);
    }
    cmfa_error_cleanup(&err);
    return c;
}

static struct cmfa_value *pool_input(void)
{
    struct cmfa_value *in = cmfa_value_new_object();

    if (in && cmfa_value_set(in, "UserPoolId", cmfa_value_new_string(POOL, strlen(POOL))) != CMFA_OK) {
        cmfa_value_free(in);
        return NULL;
    }
    return in;
}

static struct cmfa_response answer(long status, const char *body)
{
    static struct cmfa_header h[1] = {{"x-amzn-RequestId", "req-1"}};
    struct cmfa_response r;

    memset(&r, 0, sizeof(r));
    r.status = status;
    r.headers = h;
    r.nheaders = 1;
    r.body = body;
    r.body_len = strlen(body);
    return r;
}

#define THROTTLED "{\"__type\":\"TooManyRequestsException\",\"message\":\"Too many requests\"}"
#define NOT_FOUND "{\"__type\":\"ResourceNotFoundException\",\"message\":\"no pool\"}"
#define OK_BODY "{\"MfaConfiguration\":\"OFF\"}"

static struct cmfa_op *new_op(struct cmfa_client *c)
{
    struct cmfa_value *in = pool_input();
    struct cmfa_error err;
    struct cmfa_op *op;

    cmfa_error_init(&err);
    op = cmfa_op_new(c, "GetUserPoolMfaConfig", in, &err);
    CHECK_MSG(op != NULL, "cmfa_op_new: %s", err.message);
    cmfa_error_cleanup(&err);
    cmfa_value_free(in);
    return op;
}

static void test_success(void)
{
    struct cmfa_client *c = new_client(NULL, 0, 0);
    struct cmfa_op *op = new_op(c);
    const struct cmfa_request *req = NULL;
    struct cmfa_response r = answer(200, OK_BODY);
    struct cmfa_value *out;
    long delay = -1;

    CHECK_INT(cmfa_op_next(op, &req, &delay), CMFA_OP_SEND);
    CHECK(req != NULL);
    CHECK_STR(req->method, "POST");
    CHECK(req->body_len > 0 && strstr(req->body, POOL) != NULL);
    CHECK_INT(cmfa_op_attempts(op), 0);
    CHECK_INT(cmfa_op_response(op, &r), CMFA_OK);
    CHECK_INT(cmfa_op_next(op, &req, &delay), CMFA_OP_DONE);
    CHECK(req == NULL);
    CHECK_INT(cmfa_op_attempts(op), 1);
    CHECK_INT(cmfa_op_error(op)->code, CMFA_OK);
    CHECK_INT(cmfa_op_error(op)->attempts, 1);
    out = cmfa_op_take_output(op);
    CHECK(out && strcmp(cmfa_value_string(cmfa_value_get(out, "MfaConfiguration"), NULL), "OFF") == 0);
    CHECK(cmfa_op_take_output(op) == NULL);   /* once */
    CHECK_INT(cmfa_op_next(op, NULL, NULL), CMFA_OP_DONE);
    CHECK_INT(c->quota.capacity, 500);
    cmfa_value_free(out);
    cmfa_op_free(op);
    cmfa_client_free(c);
}

/* 503, then 503, then 200: two waits within the full-jitter bounds, quota back where it was. */
static void test_retry_then_success(void)
{
    struct cmfa_client *c = new_client(NULL, 0, 0);
    struct cmfa_op *op = new_op(c);
    struct cmfa_response fail = answer(503, "");
    struct cmfa_response ok = answer(200, OK_BODY);
    const struct cmfa_request *req;
    char first_body[256];
    long delay;
    int i;

    for (i = 0; i < 2; i++) {
        CHECK_INT(cmfa_op_next(op, &req, &delay), CMFA_OP_SEND);
        if (i == 0)
            snprintf(first_body, sizeof(first_body), "%.*s", (int)req->body_len, req->body);
        else
            CHECK_STR(req->body, first_body);   /* encoded once, signed again */
        CHECK_INT(cmfa_op_response(op, &fail), CMFA_E_SERVICE);
        CHECK_INT(cmfa_op_error(op)->attempts, i + 1);
        CHECK_INT(cmfa_op_error(op)->retryable, 1);
        CHECK_INT(cmfa_op_next(op, &req, &delay), CMFA_OP_WAIT);
        CHECK(req == NULL);
        CHECK_MSG(delay >= 0 && delay < (i == 0 ? 1000 : 2000), "backoff %ld", delay);
    }
    CHECK_INT(c->quota.capacity, 490);
    CHECK_INT(cmfa_op_next(op, &req, &delay), CMFA_OP_SEND);
    CHECK_INT(cmfa_op_response(op, &ok), CMFA_OK);
    CHECK_INT(cmfa_op_next(op, &req, &delay), CMFA_OP_DONE);
    CHECK_INT(cmfa_op_attempts(op), 3);
    CHECK_INT(cmfa_op_error(op)->attempts, 3);
    CHECK_INT(c->quota.capacity, 495);   /* the last retry's 5 refunded */
    cmfa_op_free(op);
    cmfa_client_free(c);
}

static void test_not_retryable(void)
{
    struct cmfa_client *c = new_client(NULL, 0, 0);
    struct cmfa_op *op = new_op(c);
    struct cmfa_response r = answer(400, NOT_FOUND);
    const struct cmfa_error *e;

    CHECK_INT(cmfa_op_next(op, NULL, NULL), CMFA_OP_SEND);
    CHECK_INT(cmfa_op_response(op, &r), CMFA_E_SERVICE);
    CHECK_INT(cmfa_op_next(op, NULL, NULL), CMFA_OP_FAILED);
    e = cmfa_op_error(op);
    CHECK_STR(e->service_code, "ResourceNotFoundException");
    CHECK_STR(e->request_id, "req-1");
    CHECK_INT(e->status, 400);
    CHECK_INT(e->retryable, 0);
    CHECK_INT(e->attempts, 1);
    CHECK(cmfa_op_take_output(op) == NULL);
    CHECK_INT(cmfa_op_next(op, NULL, NULL), CMFA_OP_FAILED);
    cmfa_op_free(op);
    cmfa_client_free(c);
}

/* Timeouts every time: three attempts (the default), then the last error is final. */
static void test_transport_failures(void)
{
    struct cmfa_client *c = new_client(NULL, 0, 0);
    struct cmfa_op *op = new_op(c);
    long delay;
    int i;

    for (i = 1; i <= 3; i++) {
        CHECK_INT(cmfa_op_next(op, NULL, &delay), CMFA_OP_SEND);
        CHECK_INT(cmfa_op_transport_failed(op, CMFA_E_TIMEOUT, "read timed out\r\n"), CMFA_E_TIMEOUT);
        if (i < 3)
            CHECK_INT(cmfa_op_next(op, NULL, &delay), CMFA_OP_WAIT);
    }
    CHECK_INT(cmfa_op_next(op, NULL, &delay), CMFA_OP_FAILED);
    CHECK_INT(cmfa_op_error(op)->code, CMFA_E_TIMEOUT);
    CHECK_STR(cmfa_op_error(op)->message, "read timed out");
    CHECK_INT(cmfa_op_error(op)->attempts, 3);
    CHECK_INT(cmfa_op_error(op)->retryable, 1);
    CHECK_INT(c->quota.capacity, 480);   /* two timeout retries at 10 each */
    cmfa_op_free(op);

    /* a code that is not a transport failure ends the operation as a usage error */
    op = new_op(c);
    CHECK_INT(cmfa_op_next(op, NULL, NULL), CMFA_OP_SEND);
    CHECK_INT(cmfa_op_transport_failed(op, CMFA_E_SERVICE, "x"), CMFA_E_BAD_ARGUMENT);
    CHECK_INT(cmfa_op_next(op, NULL, NULL), CMFA_OP_FAILED);
    cmfa_op_free(op);
    cmfa_client_free(c);
}

static void test_out_of_memory(void)
{
    struct cmfa_client *c = new_client(NULL, 0, 0);
    struct cmfa_op *op = new_op(c);

    /* the transport ran out of memory: the operation ends, the attempt counts */
    CHECK_INT(cmfa_op_next(op, NULL, NULL), CMFA_OP_SEND);
    CHECK_INT(cmfa_op_transport_failed(op, CMFA_E_NOMEM, NULL), CMFA_E_NOMEM);
    CHECK_INT(cmfa_op_next(op, NULL, NULL), CMFA_OP_FAILED);
    CHECK_INT(cmfa_op_error(op)->code, CMFA_E_NOMEM);
    CHECK_INT(cmfa_op_error(op)->attempts, 1);
    cmfa_op_free(op);

    /* signing ran out of memory: nothing was sent, no attempt counted */
    op = new_op(c);
    cmfa__alloc_fail_after(1);
    CHECK_INT(cmfa_op_next(op, NULL, NULL), CMFA_OP_FAILED);
    cmfa__alloc_reset();
    CHECK_INT(cmfa_op_error(op)->code, CMFA_E_NOMEM);
    CHECK_INT(cmfa_op_error(op)->attempts, 0);
    cmfa_op_free(op);
    cmfa_client_free(c);
}

static void test_quota_exhausted(void)
{
    struct cmfa_client *c = new_client(NULL, 0, 0);
    struct cmfa_op *op = new_op(c);
    struct cmfa_response r = answer(503, "");

    c->quota.capacity = 4;   /* less than a retry costs */
    CHECK_INT(cmfa_op_next(op, NULL, NULL), CMFA_OP_SEND);
    CHECK_INT(cmfa_op_response(op, &r), CMFA_E_SERVICE);
    CHECK_INT(cmfa_op_next(op, NULL, NULL), CMFA_OP_FAILED);
    CHECK_MSG(strstr(cmfa_op_error(op)->message, "(retry quota exhausted)") != NULL, "%s",
              cmfa_op_error(op)->message);
    CHECK_INT(cmfa_op_error(op)->retryable, 1);
    CHECK_INT(cmfa_op_error(op)->attempts, 1);
    cmfa_op_free(op);
    cmfa_client_free(c);
}

/* max_rate 2/s: one request goes at once, the next waits 500 ms on the client's clock. */
static void test_rate_limited(void)
{
    struct cmfa_client *c = new_client(NULL, 2.0, 0);
    struct cmfa_response ok = answer(200, OK_BODY);
    struct cmfa_op *a = new_op(c), *b = new_op(c);
    long delay = 0;

    CHECK_INT(cmfa_op_next(a, NULL, &delay), CMFA_OP_SEND);
    CHECK_INT(cmfa_op_response(a, &ok), CMFA_OK);
    CHECK_INT(cmfa_op_next(b, NULL, &delay), CMFA_OP_WAIT);
    CHECK_INT(delay, 500);
    CHECK_INT(cmfa_op_attempts(b), 0);
    fake_now_ms += 250;
    CHECK_INT(cmfa_op_next(b, NULL, &delay), CMFA_OP_WAIT);
    CHECK_INT(delay, 250);
    fake_now_ms += 250;
    CHECK_INT(cmfa_op_next(b, NULL, &delay), CMFA_OP_SEND);
    CHECK_INT(cmfa_op_response(b, &ok), CMFA_OK);
    CHECK_INT(cmfa_op_next(b, NULL, NULL), CMFA_OP_DONE);
    CHECK_INT(cmfa_op_attempts(b), 1);
    CHECK(cmfa_client_send_rate(c) == 2.0);
    CHECK_STR(cmfa_client_retry_mode(c), "standard");
    cmfa_op_free(a);
    cmfa_op_free(b);
    cmfa_client_free(c);
}

/* Adaptive mode: no limit until a throttle; then requests are paced and the rate drops. */
static void test_adaptive(void)
{
    struct cmfa_client *c = new_client("adaptive", 0, 10);
    struct cmfa_response ok = answer(200, OK_BODY), slow = answer(400, THROTTLED);
    struct cmfa_op *op;
    long delay;
    int i, waited = 0;

    CHECK_STR(cmfa_client_retry_mode(c), "adaptive");
    /* 20 requests per second for 3 s go through unhindered */
    for (i = 0; i < 60; i++) {
        op = new_op(c);
        CHECK_INT(cmfa_op_next(op, NULL, &delay), CMFA_OP_SEND);
        CHECK_INT(cmfa_op_response(op, &ok), CMFA_OK);
        cmfa_op_free(op);
        fake_now_ms += 50;
    }
    CHECK(cmfa_client_send_rate(c) == 0);
    /* a throttle: the retry waits out its backoff, then the bucket paces it */
    op = new_op(c);
    CHECK_INT(cmfa_op_next(op, NULL, &delay), CMFA_OP_SEND);
    CHECK_INT(cmfa_op_response(op, &slow), CMFA_E_SERVICE);
    CHECK_MSG(cmfa_client_send_rate(c) > 0 && cmfa_client_send_rate(c) < 20.0 * 0.8,
              "rate after a throttle: %g", cmfa_client_send_rate(c));
    CHECK_INT(cmfa_op_next(op, NULL, &delay), CMFA_OP_WAIT);   /* backoff */
    CHECK_INT(cmfa_op_next(op, NULL, &delay), CMFA_OP_SEND);   /* the bucket has tokens */
    CHECK_INT(cmfa_op_response(op, &ok), CMFA_OK);
    CHECK_INT(cmfa_op_next(op, NULL, NULL), CMFA_OP_DONE);
    CHECK_INT(cmfa_op_attempts(op), 2);
    cmfa_op_free(op);
    /* a burst at one instant empties the bucket; then each request waits about 1/rate */
    for (i = 0; i < 40; i++) {
        op = new_op(c);
        cmfa_op_step st = cmfa_op_next(op, NULL, &delay);
        if (st == CMFA_OP_WAIT) {
            double rate = cmfa_client_send_rate(c);
            waited++;
            CHECK_MSG(delay >= 1 && delay <= (long)(1000.0 / rate) + 1, "wait %ld at rate %g",
                      delay, rate);
            fake_now_ms += delay;
            st = cmfa_op_next(op, NULL, &delay);
        }
        CHECK_INT(st, CMFA_OP_SEND);
        CHECK_INT(cmfa_op_response(op, &ok), CMFA_OK);
        cmfa_op_free(op);
    }
    CHECK_MSG(waited > 0 && waited < 40, "requests paced after the throttle: %d of 40 waited",
              waited);
    cmfa_client_free(c);
}

static void test_misuse(void)
{
    struct cmfa_client *c = new_client(NULL, 0, 0);
    struct cmfa_response ok = answer(200, OK_BODY);
    struct cmfa_value *bad = cmfa_value_new_object();
    struct cmfa_error err;
    struct cmfa_op *op;

    cmfa_error_init(&err);
    /* validation: every violation, nothing to drive */
    CHECK(cmfa_value_set(bad, "UserPoolId", cmfa_value_new_string("no", 2)) == CMFA_OK);
    CHECK(cmfa_value_set(bad, "Bogus", cmfa_value_new_bool(1)) == CMFA_OK);
    CHECK(cmfa_op_new(c, "GetUserPoolMfaConfig", bad, &err) == NULL);
    CHECK_INT(err.code, CMFA_E_VALIDATION);
    CHECK_INT(err.nviolations, 2);
    CHECK_INT(err.attempts, 0);
    CHECK(cmfa_op_new(c, "get-user-pool", NULL, &err) == NULL);
    CHECK_INT(err.code, CMFA_E_UNKNOWN_OPERATION);
    CHECK(cmfa_op_new(NULL, "GetUserPoolMfaConfig", NULL, &err) == NULL);
    CHECK_INT(err.code, CMFA_E_BAD_ARGUMENT);
    CHECK(cmfa_op_new_json(c, "GetUserPoolMfaConfig", "[1]", 3, &err) == NULL);
    CHECK_INT(err.code, CMFA_E_BAD_ARGUMENT);
    CHECK(cmfa_op_new_json(c, "GetUserPoolMfaConfig", "{", 1, &err) == NULL);
    CHECK(err.code != CMFA_OK);

    /* an answer with no request out, and a second next() before the answer */
    op = new_op(c);
    CHECK_INT(cmfa_op_response(op, &ok), CMFA_E_BAD_ARGUMENT);
    CHECK_INT(cmfa_op_next(op, NULL, NULL), CMFA_OP_FAILED);
    cmfa_op_free(op);
    op = new_op(c);
    CHECK_INT(cmfa_op_next(op, NULL, NULL), CMFA_OP_SEND);
    CHECK_INT(cmfa_op_next(op, NULL, NULL), CMFA_OP_FAILED);
    CHECK_INT(cmfa_op_error(op)->code, CMFA_E_BAD_ARGUMENT);
    cmfa_op_free(op);
    CHECK_INT(cmfa_op_next(NULL, NULL, NULL), CMFA_OP_FAILED);
    CHECK(cmfa_op_error(NULL) == NULL);
    cmfa_op_free(NULL);
    cmfa_value_free(bad);
    cmfa_error_cleanup(&err);
    cmfa_client_free(c);
}

/* Under allocation failure every path ends in success or CMFA_E_NOMEM, and leaks nothing. */
static struct cmfa_client *alloc_client;

static cmfa_code one_call(void)
{
    struct cmfa_response fail = answer(503, ""), ok = answer(200, OK_BODY);
    struct cmfa_value *in = pool_input(), *out = NULL;
    struct cmfa_error err;
    struct cmfa_op *op;
    cmfa_code rc;
    int sent = 0;

    cmfa_error_init(&err);
    if (!in)
        return CMFA_E_NOMEM;
    op = cmfa_op_new(alloc_client, "GetUserPoolMfaConfig", in, &err);
    cmfa_value_free(in);
    if (!op) {
        rc = err.code;
        cmfa_error_cleanup(&err);
        return rc;
    }
    for (;;) {
        cmfa_op_step st = cmfa_op_next(op, NULL, NULL);
        if (st == CMFA_OP_SEND)
            cmfa_op_response(op, sent++ ? &ok : &fail);
        else if (st != CMFA_OP_WAIT)
            break;
    }
    rc = cmfa_op_error(op)->code;
    out = cmfa_op_take_output(op);
    cmfa_value_free(out);
    cmfa_op_free(op);
    alloc_client->quota.capacity = 500;
    return rc;
}

int main(void)
{
    if (cmfa_global_init() != CMFA_OK)
        return 1;
    test_success();
    test_retry_then_success();
    test_not_retryable();
    test_transport_failures();
    test_out_of_memory();
    test_quota_exhausted();
    test_rate_limited();
    test_adaptive();
    test_misuse();
    alloc_client = new_client(NULL, 0, 0);
    alloc_loop("operation", one_call);
    cmfa_client_free(alloc_client);
    cmfa_global_cleanup();
    return check_done("test_operation");
}
