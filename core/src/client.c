/* Client: resolved configuration, credentials chain, signing-key cache, retry quota, and the
 * libcurl call loop that ties prepare -> send -> parse -> retry together. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "cmfa_int.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define DEFAULT_READ_TIMEOUT_MS 60000L
#define DEFAULT_MAX_RESPONSE_BYTES ((size_t)16 * 1024 * 1024)

static pthread_mutex_t global_lock = PTHREAD_MUTEX_INITIALIZER;
static int global_ready;

cmfa_code cmfa_global_init(void)
{
    cmfa_code rc = CMFA_OK;

    pthread_mutex_lock(&global_lock);
    if (!global_ready) {
        cmfa__value_global_init();
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            rc = CMFA_E_INTERNAL;
        else if ((rc = cmfa__regex_global_init()) != CMFA_OK)
            curl_global_cleanup();
        else
            global_ready = 1;
    }
    pthread_mutex_unlock(&global_lock);
    return rc;
}

void cmfa_global_cleanup(void)
{
    pthread_mutex_lock(&global_lock);
    if (global_ready) {
        cmfa__regex_global_cleanup();
        curl_global_cleanup();
        global_ready = 0;
    }
    pthread_mutex_unlock(&global_lock);
}

static time_t wall_clock(void)
{
    return time(NULL);
}

static long long steady_clock_ms(void)
{
    return cmfa__monotonic_ms();
}

/* Splits the endpoint URL into the Host header value and the path to sign. */
static cmfa_code parse_endpoint(struct cmfa_client *c, struct cmfa_error *err)
{
    return cmfa__url_split(c->cfg.endpoint_url, &c->host, &c->path, err);
}

struct cmfa_client *cmfa_client_new(const struct cmfa_client_options *opts,
                                    struct cmfa_error *err)
{
    static const struct cmfa_client_options defaults;
    struct cmfa_client *c;
    struct cmfa__buf ua;
    cmfa_code rc;

    if (!opts)
        opts = &defaults;
    if (opts->connect_timeout_ms < 0 || opts->read_timeout_ms < 0) {
        cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "timeouts must not be negative");
        return NULL;
    }
    if (opts->max_attempts < 0) {
        cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "max_attempts must be at least 1");
        return NULL;
    }
    rc = cmfa_global_init();
    if (rc != CMFA_OK) {
        cmfa__fail(err, rc, "library initialisation failed");
        return NULL;
    }
    c = cmfa_malloc(sizeof(*c));
    if (!c) {
        cmfa__fail(err, CMFA_E_NOMEM, NULL);
        return NULL;
    }
    memset(c, 0, sizeof(*c));
    cmfa__buf_init(&ua, 1024);
    c->now = wall_clock;
    c->clock_ms = steady_clock_ms;
    c->connect_timeout_ms = opts->connect_timeout_ms ? opts->connect_timeout_ms
                                                     : DEFAULT_CONNECT_TIMEOUT_MS;
    c->read_timeout_ms = opts->read_timeout_ms ? opts->read_timeout_ms
                                               : DEFAULT_READ_TIMEOUT_MS;
    c->max_response_bytes = opts->max_response_bytes ? opts->max_response_bytes
                                                     : DEFAULT_MAX_RESPONSE_BYTES;
    c->insecure = opts->insecure ? 1 : 0;
    c->debug = opts->debug;
    c->debug_userdata = opts->debug_userdata;
    cmfa__retry_quota_init(&c->quota);
    cmfa__rng_seed(&c->rng, opts->retry_seed ? (uint64_t)opts->retry_seed
                                              : (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)c);

    rc = cmfa__config_resolve(opts, &c->cfg, err);
    if (rc != CMFA_OK)
        goto fail;
    rc = parse_endpoint(c, err);
    if (rc != CMFA_OK)
        goto fail;
    if (opts->max_rate < 0) {
        rc = cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "max_rate must not be negative");
        goto fail;
    }
    cmfa__rate_init(&c->limiter, c->cfg.adaptive, opts->max_rate,
                    (double)c->clock_ms() / 1000.0);
    c->signing_region = cmfa__strdup(c->cfg.region ? c->cfg.region : "us-east-1");
    /* the libcurl version only, not every library curl_version() lists: the header is sent
     * (and formatted byte by byte by libcurl) with every request */
    rc = cmfa__buf_printf(&ua, "cognito-mfa/%s libcmfa/%s libcurl/%s", CMFA_VERSION,
                          CMFA_VERSION, curl_version_info(CURLVERSION_NOW)->version);
    if (rc == CMFA_OK && opts->user_agent_suffix && opts->user_agent_suffix[0])
        rc = cmfa__buf_printf(&ua, " %s", opts->user_agent_suffix);
    if (rc == CMFA_OK)
        c->user_agent = cmfa__buf_take(&ua, NULL);
    if (rc != CMFA_OK || !c->signing_region || !c->user_agent) {
        rc = cmfa__fail(err, CMFA_E_NOMEM, NULL);
        goto fail;
    }
    c->creds = cmfa__cred_chain_new(opts, &c->cfg, err);
    if (!c->creds)
        goto fail;
    cmfa__buf_cleanup(&ua);
    return c;

fail:
    cmfa__buf_cleanup(&ua);
    cmfa_client_free(c);
    return NULL;
}

void cmfa_client_free(struct cmfa_client *c)
{
    if (!c)
        return;
    cmfa__transport_cleanup(c);
    cmfa__cred_chain_free(c->creds);
    cmfa__config_cleanup(&c->cfg);
    cmfa_free(c->user_agent);
    cmfa_free(c->host);
    cmfa_free(c->path);
    cmfa_free(c->signing_region);
    cmfa__wipe(&c->sigcache, sizeof(c->sigcache));   /* the cached signing key */
    cmfa_free(c);
}

const char *cmfa_client_region(const struct cmfa_client *c)
{
    return c ? c->cfg.region : NULL;
}

const char *cmfa_client_endpoint(const struct cmfa_client *c)
{
    return c ? c->cfg.endpoint_url : NULL;
}

int cmfa_client_max_attempts(const struct cmfa_client *c)
{
    return c ? c->cfg.max_attempts : 3;   /* resolved by config: at least 1 */
}

const char *cmfa_client_retry_mode(const struct cmfa_client *c)
{
    return c && c->cfg.adaptive ? "adaptive" : "standard";
}

double cmfa_client_send_rate(const struct cmfa_client *c)
{
    return c ? cmfa__rate_current(&c->limiter) : 0;
}

const char *cmfa_client_credentials_source(struct cmfa_client *c, struct cmfa_error *err)
{
    const struct cmfa__credentials *creds = NULL;

    if (!c) {
        cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "client is NULL");
        return NULL;
    }
    if (cmfa__cred_chain_get(c->creds, c->now(), &creds, err) != CMFA_OK)
        return NULL;
    return creds->source;
}

/* ------------------------------------------------------------------------------------------
 * The standard-mode retry state machine on a client's quota (for transports driven by hand;
 * the operation object uses the same decisions)
 * ------------------------------------------------------------------------------------------ */

void cmfa_retry_init(struct cmfa_client *client, struct cmfa_retry *r)
{
    if (!r)
        return;
    r->attempt = 0;
    r->max_attempts = client ? cmfa_client_max_attempts(client) : 3;
    if (r->max_attempts < 1)
        r->max_attempts = 1;
    r->last_cost = 0;
}

int cmfa_retry_next(struct cmfa_client *client, struct cmfa_retry *r, struct cmfa_error *err,
                    long *delay_ms)
{
    if (!client) {
        /* No quota to take from: record the attempt, never retry. */
        return cmfa__retry_decide(NULL, NULL, r, err, delay_ms);
    }
    return cmfa__retry_decide(&client->quota, &client->rng, r, err, delay_ms);
}

void cmfa_retry_success(struct cmfa_client *client, struct cmfa_retry *r)
{
    if (!client)
        return;
    cmfa__retry_succeeded(&client->quota, r);
}

static void sleep_ms(long ms)
{
    struct timespec ts;

    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Drives an operation to its end over the client's libcurl handle, sleeping through waits. */
static void drive(struct cmfa_client *c, struct cmfa_op *op)
{
    const struct cmfa_request *req;
    long delay_ms;

    for (;;) {
        switch (cmfa_op_next(op, &req, &delay_ms)) {
        case CMFA_OP_SEND: {
            struct cmfa__http_response hr;
            char msg[CMFA_ERROR_SIZE];
            cmfa_code rc;

            cmfa__http_response_init(&hr, c->max_response_bytes);
            rc = cmfa__transport_send(c, req, &hr, msg, sizeof(msg));
            if (rc == CMFA_OK)
                cmfa_op_response(op, &hr.resp);
            else
                cmfa_op_transport_failed(op, rc, msg);
            cmfa__http_response_cleanup(&hr);
            break;
        }
        case CMFA_OP_WAIT:
            sleep_ms(delay_ms);
            break;
        default:
            return;
        }
    }
}

/* One operation with the libcurl transport: exactly one of output / raw_out. */
static cmfa_code run(struct cmfa_client *c, struct cmfa_op *op, struct cmfa_value **output,
                     char **raw_out, size_t *raw_len, struct cmfa_error *err)
{
    cmfa_code rc;

    if (raw_out)
        cmfa__op_keep_raw(op);
    drive(c, op);
    rc = cmfa_op_error(op)->code;
    if (rc == CMFA_OK) {
        if (output)
            *output = cmfa_op_take_output(op);
        if (raw_out)
            *raw_out = cmfa__op_take_raw(op, raw_len);
    }
    cmfa__op_take_error(op, err);
    cmfa_op_free(op);
    return rc;
}

cmfa_code cmfa_call(struct cmfa_client *c, const char *operation,
                    const struct cmfa_value *input, struct cmfa_value **output,
                    struct cmfa_error *err)
{
    struct cmfa_op *op;

    if (!output)
        return cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "output pointer is NULL");
    *output = NULL;
    op = cmfa_op_new(c, operation, input, err);
    if (!op)
        return err && err->code ? err->code : CMFA_E_INTERNAL;
    return run(c, op, output, NULL, NULL, err);
}

cmfa_code cmfa_call_json(struct cmfa_client *c, const char *operation, const char *json,
                         size_t json_len, char **out_json, size_t *out_len,
                         struct cmfa_error *err)
{
    struct cmfa_op *op;

    if (!out_json)
        return cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "out_json pointer is NULL");
    *out_json = NULL;
    op = cmfa_op_new_json(c, operation, json, json_len, err);
    if (!op)
        return err && err->code ? err->code : CMFA_E_INTERNAL;
    return run(c, op, NULL, out_json, out_len, err);
}

/* Builds {"UserPoolId": id} for the two single-argument operations. */
static cmfa_code call_with_pool_id(struct cmfa_client *c, const char *operation,
                                   const char *user_pool_id, struct cmfa_value **output,
                                   struct cmfa_error *err)
{
    struct cmfa_value *in;
    cmfa_code rc;

    if (output)
        *output = NULL;
    if (!user_pool_id)
        return cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "user_pool_id is NULL");
    in = cmfa_value_new_object();
    if (!in)
        return cmfa__fail(err, CMFA_E_NOMEM, NULL);
    rc = cmfa_value_set(in, "UserPoolId",
                        cmfa_value_new_string(user_pool_id, strlen(user_pool_id)));
    if (rc != CMFA_OK) {
        cmfa_value_free(in);
        return cmfa__fail(err, rc, NULL);
    }
    rc = cmfa_call(c, operation, in, output, err);
    cmfa_value_free(in);
    return rc;
}

cmfa_code cmfa_get_user_pool_mfa_config(struct cmfa_client *c, const char *user_pool_id,
                                        struct cmfa_value **output, struct cmfa_error *err)
{
    return call_with_pool_id(c, "GetUserPoolMfaConfig", user_pool_id, output, err);
}

cmfa_code cmfa_describe_user_pool(struct cmfa_client *c, const char *user_pool_id,
                                  struct cmfa_value **output, struct cmfa_error *err)
{
    return call_with_pool_id(c, "DescribeUserPool", user_pool_id, output, err);
}

cmfa_code cmfa_set_user_pool_mfa_config(struct cmfa_client *c, const struct cmfa_value *input,
                                        struct cmfa_value **output, struct cmfa_error *err)
{
    return cmfa_call(c, "SetUserPoolMfaConfig", input, output, err);
}

cmfa_code cmfa_list_user_pools(struct cmfa_client *c, int max_results, const char *next_token,
                               struct cmfa_value **output, struct cmfa_error *err)
{
    struct cmfa_value *in;
    cmfa_code rc;

    if (output)
        *output = NULL;
    in = cmfa_value_new_object();
    if (!in)
        return cmfa__fail(err, CMFA_E_NOMEM, NULL);
    rc = cmfa_value_set(in, "MaxResults", cmfa_value_new_number(max_results));
    if (rc == CMFA_OK && next_token)
        rc = cmfa_value_set(in, "NextToken", cmfa_value_new_string(next_token,
                                                                   strlen(next_token)));
    if (rc != CMFA_OK) {
        cmfa_value_free(in);
        return cmfa__fail(err, rc, NULL);
    }
    rc = cmfa_call(c, "ListUserPools", in, output, err);
    cmfa_value_free(in);
    return rc;
}
