/* The operation object: one call of one operation, driven attempt by attempt by any transport.
 *
 * Created once (check the name, validate, encode the body), then:
 *
 *   cmfa_op_next  -> SEND  a freshly signed request for the next attempt
 *                 -> WAIT  not yet: a retry's backoff or the client's rate limiter says when
 *                 -> DONE  the answer is in (cmfa_op_take_output)
 *                 -> FAILED the error is final (cmfa_op_error)
 *   after SEND, exactly one of cmfa_op_response / cmfa_op_transport_failed.
 *
 * Everything that makes an attempt an attempt lives here and nowhere else: the attempt count,
 * the retry decision and its backoff, the client's retry quota (taken for a retry, refunded on
 * success), the client's rate limiter (a token before each send, told of every answer), the
 * end of the operation on out-of-memory, and the debug text of each attempt. The libcurl call
 * (client.c), the batch slots (multi.c), the Lua binding, Lua custom transports and the
 * OpenResty transport only move bytes. */
#include <stdio.h>
#include <string.h>

#include "cmfa_int.h"

enum op_state { OP_READY, OP_SENT, OP_DONE, OP_FAILED };

struct cmfa_op {
    struct cmfa_client *client;
    char *operation;
    char *body;                  /* encoded once */
    size_t body_len;
    struct cmfa_request *req;    /* the current attempt's */
    struct cmfa_retry retry;
    struct cmfa_error err;
    enum op_state state;
    long backoff_ms;             /* a retry's backoff, not yet handed to the driver */
    int keep_raw;
    struct cmfa_value *output;
    char *raw;                   /* the 2xx body, when keep_raw */
    size_t raw_len;
};

static double seconds(long long ms)
{
    return (double)ms / 1000.0;
}

static struct cmfa_op *op_alloc(struct cmfa_client *client, const char *operation,
                                struct cmfa_error *err)
{
    struct cmfa_op *op = cmfa_malloc(sizeof(*op));

    if (!op) {
        cmfa__fail(err, CMFA_E_NOMEM, NULL);
        return NULL;
    }
    memset(op, 0, sizeof(*op));
    cmfa_error_init(&op->err);
    op->client = client;
    op->operation = cmfa__strdup(operation);
    if (!op->operation) {
        cmfa_free(op);
        cmfa__fail(err, CMFA_E_NOMEM, NULL);
        return NULL;
    }
    op->retry.max_attempts = client->cfg.max_attempts;   /* resolved, at least 1 */
    op->state = OP_READY;
    return op;
}

struct cmfa_op *cmfa_op_new(struct cmfa_client *client, const char *operation,
                            const struct cmfa_value *input, struct cmfa_error *err)
{
    struct cmfa_op *op;
    char *body;
    size_t len = 0;

    if (err)
        cmfa_error_cleanup(err);
    body = cmfa__request_body(client, operation, input, &len, err);
    if (!body)
        return NULL;
    op = op_alloc(client, operation, err);
    if (!op) {
        cmfa_free(body);
        return NULL;
    }
    op->body = body;
    op->body_len = len;
    return op;
}

struct cmfa_op *cmfa_op_new_json(struct cmfa_client *client, const char *operation,
                                 const char *json, size_t json_len, struct cmfa_error *err)
{
    struct cmfa_value *input;
    struct cmfa_op *op;

    if (err)
        cmfa_error_cleanup(err);
    if (cmfa__check_operation(client, operation, err) != CMFA_OK)
        return NULL;
    if (!json || !json_len) {
        json = "{}";
        json_len = 2;
    }
    input = cmfa_value_parse(json, json_len, err);
    if (!input)
        return NULL;
    op = cmfa_op_new(client, operation, input, err);
    cmfa_value_free(input);
    return op;
}

void cmfa_op_free(struct cmfa_op *op)
{
    if (!op)
        return;
    cmfa_request_free(op->req);
    cmfa_value_free(op->output);
    cmfa_error_cleanup(&op->err);
    cmfa_free(op->raw);
    cmfa_free(op->body);
    cmfa_free(op->operation);
    cmfa_free(op);
}

void cmfa__op_keep_raw(struct cmfa_op *op)
{
    if (op)
        op->keep_raw = 1;
}

/* The operation ends with err as it stands. */
static cmfa_op_step finish_failed(struct cmfa_op *op)
{
    cmfa_request_free(op->req);
    op->req = NULL;
    op->state = OP_FAILED;
    return CMFA_OP_FAILED;
}

cmfa_op_step cmfa_op_next(struct cmfa_op *op, const struct cmfa_request **req, long *delay_ms)
{
    struct cmfa_client *c;
    long long now;
    long wait;

    if (req)
        *req = NULL;
    if (delay_ms)
        *delay_ms = 0;
    if (!op)
        return CMFA_OP_FAILED;
    switch (op->state) {
    case OP_DONE:
        return CMFA_OP_DONE;
    case OP_FAILED:
        return CMFA_OP_FAILED;
    case OP_SENT:
        cmfa__fail(&op->err, CMFA_E_BAD_ARGUMENT,
                   "cmfa_op_next: the last request's outcome was not reported "
                   "(cmfa_op_response or cmfa_op_transport_failed)");
        return finish_failed(op);
    case OP_READY:
        break;
    }
    c = op->client;
    if (op->backoff_ms > 0) {
        /* the driver waits it out (or has its own clock, as tests do): the next call goes on */
        if (delay_ms)
            *delay_ms = op->backoff_ms;
        op->backoff_ms = 0;
        return CMFA_OP_WAIT;
    }
    now = c->clock_ms();
    wait = cmfa__rate_acquire(&c->limiter, seconds(now));
    if (wait > 0) {
        if (delay_ms)
            *delay_ms = wait;
        return CMFA_OP_WAIT;
    }
    /* A new attempt: the previous one's error goes, the count stays. */
    {
        int attempts = op->err.attempts;
        cmfa_error_cleanup(&op->err);
        op->err.attempts = attempts;
    }
    cmfa_request_free(op->req);
    op->req = cmfa__request_sign(c, op->operation, op->body, op->body_len, &op->err);
    if (!op->req) {
        /* nothing was sent: the attempt does not count */
        op->err.attempts = op->retry.attempt;
        return finish_failed(op);
    }
    cmfa__debug_request(c, op->req, op->retry.attempt + 1);
    op->state = OP_SENT;
    if (req)
        *req = op->req;
    return CMFA_OP_SEND;
}

/* After a failed attempt: retry after a backoff, or end. */
static cmfa_code attempt_failed(struct cmfa_op *op, cmfa_code rc)
{
    struct cmfa_client *c = op->client;
    long delay = 0;

    cmfa_request_free(op->req);
    op->req = NULL;
    cmfa__rate_update(&c->limiter, cmfa__retry_is_throttling(&op->err),
                      seconds(c->clock_ms()));
    if (rc == CMFA_E_NOMEM) {
        op->err.attempts = op->retry.attempt + 1;
        op->state = OP_FAILED;
        return rc;
    }
    if (!cmfa__retry_decide(&c->quota, &c->rng, &op->retry, &op->err, &delay)) {
        op->state = OP_FAILED;
        return rc;
    }
    if (c->debug) {
        char line[CMFA_ERROR_SIZE + 64];
        snprintf(line, sizeof(line), "retrying in %ld ms after: %s\n", delay, op->err.message);
        c->debug(c->debug_userdata, line, strlen(line));
    }
    op->backoff_ms = delay;
    op->state = OP_READY;
    return rc;
}

static cmfa_code check_sent(struct cmfa_op *op, const char *fn)
{
    if (!op)
        return CMFA_E_BAD_ARGUMENT;
    if (op->state != OP_SENT) {
        /* a driver bug: say so in the operation's error and end it */
        cmfa__fail(&op->err, CMFA_E_BAD_ARGUMENT, "%s: no request of this operation is in flight",
                   fn);
        finish_failed(op);
        return CMFA_E_BAD_ARGUMENT;
    }
    return CMFA_OK;
}

cmfa_code cmfa_op_response(struct cmfa_op *op, const struct cmfa_response *resp)
{
    struct cmfa_client *c;
    cmfa_code rc;

    if ((rc = check_sent(op, "cmfa_op_response")) != CMFA_OK)
        return rc;
    c = op->client;
    if (!resp) {
        cmfa__fail(&op->err, CMFA_E_BAD_ARGUMENT, "cmfa_op_response: response is NULL");
        return attempt_failed(op, CMFA_E_BAD_ARGUMENT);
    }
    cmfa__debug_response(c, resp);
    rc = cmfa_parse_response(c, op->operation, resp, &op->output, &op->err);
    if (rc == CMFA_OK && op->keep_raw) {
        op->raw = resp->body_len ? cmfa__strndup(resp->body, resp->body_len) : cmfa__strdup("{}");
        op->raw_len = resp->body_len ? resp->body_len : 2;
        if (!op->raw)
            rc = cmfa__fail(&op->err, CMFA_E_NOMEM, NULL);
    }
    if (rc != CMFA_OK)
        return attempt_failed(op, rc);
    cmfa_request_free(op->req);
    op->req = NULL;
    cmfa__rate_update(&c->limiter, 0, seconds(c->clock_ms()));
    cmfa__retry_succeeded(&c->quota, &op->retry);
    op->err.attempts = ++op->retry.attempt;
    op->state = OP_DONE;
    return CMFA_OK;
}

cmfa_code cmfa_op_transport_failed(struct cmfa_op *op, cmfa_code code, const char *message)
{
    cmfa_code rc;

    if ((rc = check_sent(op, "cmfa_op_transport_failed")) != CMFA_OK)
        return rc;
    if (code == CMFA_E_NOMEM) {
        cmfa__fail(&op->err, CMFA_E_NOMEM, NULL);
        return attempt_failed(op, CMFA_E_NOMEM);
    }
    rc = cmfa_transport_failed(&op->err, code, message);
    return attempt_failed(op, rc);
}

const struct cmfa_error *cmfa_op_error(const struct cmfa_op *op)
{
    return op ? &op->err : NULL;
}

int cmfa_op_attempts(const struct cmfa_op *op)
{
    return op ? op->retry.attempt : 0;
}

struct cmfa_value *cmfa_op_take_output(struct cmfa_op *op)
{
    struct cmfa_value *v;

    if (!op || op->state != OP_DONE)
        return NULL;
    v = op->output;
    op->output = NULL;
    return v;
}

char *cmfa__op_take_raw(struct cmfa_op *op, size_t *len)
{
    char *raw;

    if (!op || op->state != OP_DONE)
        return NULL;
    raw = op->raw;
    if (len)
        *len = op->raw_len;
    op->raw = NULL;
    return raw;
}

void cmfa__op_take_error(struct cmfa_op *op, struct cmfa_error *dst)
{
    if (!dst)
        return;
    cmfa_error_cleanup(dst);
    if (!op)
        return;
    *dst = op->err;
    cmfa_error_init(&op->err);
}

/* ------------------------------------------------------------------------------------------
 * Failures of a transport
 * ------------------------------------------------------------------------------------------ */

cmfa_code cmfa_transport_failed(struct cmfa_error *err, cmfa_code code, const char *message)
{
    int attempts;

    if (!err)
        return code;
    /* This attempt's error replaces the previous attempt's; only the count carries over. */
    attempts = err->attempts;
    cmfa_error_cleanup(err);
    err->attempts = attempts;
    switch (code) {
    case CMFA_E_TRANSPORT:
    case CMFA_E_TIMEOUT:
    case CMFA_E_TLS:
    case CMFA_E_TOO_LARGE:
    case CMFA_E_BAD_RESPONSE:
        break;
    default:
        return cmfa__fail(err, CMFA_E_BAD_ARGUMENT,
                          "cmfa_transport_failed: %s is not a transport failure code",
                          cmfa_code_name(code));
    }
    err->code = code;
    cmfa__utf8_copy_line(err->message, sizeof(err->message),
                         message && message[0] ? message : cmfa_strerror(code));
    err->retryable = cmfa__retry_is_retryable(err);
    return code;
}
