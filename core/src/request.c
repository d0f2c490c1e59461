/* Prepared requests: validate, encode, sign. Parsing of raw responses. */
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cmfa_int.h"

#define TARGET_PREFIX "AWSCognitoIdentityProviderService."
#define CONTENT_TYPE "application/x-amz-json-1.1"
#define SERVICE "cognito-idp"
#define MAX_HEADERS 12

/* The public record plus the storage it points into. */
struct request_impl {
    struct cmfa_request pub;
    struct cmfa_header headers[MAX_HEADERS];
    char *strings[2 * MAX_HEADERS + 4];
    size_t nstrings;
};

static const char *keep(struct request_impl *r, char *s)
{
    if (!s)
        return NULL;
    r->strings[r->nstrings++] = s;
    return s;
}

void cmfa_request_free(struct cmfa_request *req)
{
    struct request_impl *r = (struct request_impl *)req;
    size_t i;

    if (!r)
        return;
    for (i = 0; i < r->nstrings; i++) {
        /* Authorization and the session token are wiped before they are freed. */
        cmfa__wipe(r->strings[i], strlen(r->strings[i]));
        cmfa_free(r->strings[i]);
    }
    cmfa_free(r);
}

static int operation_name_ok(const char *op)
{
    size_t i;

    if (!op || !op[0] || strlen(op) > 128)
        return 0;
    for (i = 0; op[i]; i++)
        if (!isalnum((unsigned char)op[i]))
            return 0;
    return isupper((unsigned char)op[0]);
}

static cmfa_code add_header(struct request_impl *r, const char *name, const char *value)
{
    const char *n, *v;

    if (r->pub.nheaders >= MAX_HEADERS)
        return CMFA_E_INTERNAL;
    n = keep(r, cmfa__strdup(name));
    if (!n)
        return CMFA_E_NOMEM;
    v = keep(r, cmfa__strdup(value));
    if (!v)
        return CMFA_E_NOMEM;
    r->headers[r->pub.nheaders].name = n;
    r->headers[r->pub.nheaders].value = v;
    r->pub.nheaders++;
    return CMFA_OK;
}

/* ------------------------------------------------------------------------------ builders
 * Requests of the credential providers (STS, SSO, container) use the same record, so
 * cmfa_request_free releases them and every transport sends them. */

struct cmfa_request *cmfa__request_new(const char *method, const char *url, const char *host)
{
    struct request_impl *r = cmfa_malloc(sizeof(*r));

    if (!r)
        return NULL;
    memset(r, 0, sizeof(*r));
    r->pub.headers = r->headers;
    r->pub.method = keep(r, cmfa__strdup(method));
    r->pub.url = keep(r, cmfa__strdup(url));
    r->pub.host = keep(r, cmfa__strdup(host));
    r->pub.body = keep(r, cmfa__strdup(""));
    if (!r->pub.method || !r->pub.url || !r->pub.host || !r->pub.body) {
        cmfa_request_free(&r->pub);
        return NULL;
    }
    return &r->pub;
}

cmfa_code cmfa__request_add_header(struct cmfa_request *req, const char *name, const char *value)
{
    return add_header((struct request_impl *)req, name, value);
}

cmfa_code cmfa__request_set_body(struct cmfa_request *req, const char *body, size_t len)
{
    struct request_impl *r = (struct request_impl *)req;
    char *copy;
    size_t i;

    if (r->nstrings >= CMFA__ARRAY_LEN(r->strings))
        return CMFA_E_INTERNAL;
    copy = cmfa__strndup(body ? body : "", len);
    if (!copy)
        return CMFA_E_NOMEM;
    for (i = 0; i < r->nstrings; i++) {
        if (r->strings[i] == r->pub.body) {
            memset(r->strings[i], 0, strlen(r->strings[i]));
            cmfa_free(r->strings[i]);
            r->strings[i] = copy;
            r->pub.body = copy;
            r->pub.body_len = len;
            return CMFA_OK;
        }
    }
    r->pub.body = keep(r, copy);
    r->pub.body_len = len;
    return CMFA_OK;
}

struct cmfa_request *cmfa__request_sign(struct cmfa_client *client, const char *operation,
                                       const char *body_in, size_t body_len,
                                       struct cmfa_error *err)
{
    char *body = cmfa__strndup(body_in, body_len);
    const struct cmfa__credentials *creds = NULL;
    struct request_impl *r;
    struct cmfa__sig_header sh[5];
    struct cmfa__sigv4_request sreq;
    struct cmfa__sigv4_params params;
    struct cmfa__buf target, authz, clen;
    char amz_date[17];
    size_t nsh = 0;
    cmfa_code rc;

    cmfa__buf_init(&target, 256);
    cmfa__buf_init_secret(&authz, 4096);
    cmfa__buf_init(&clen, 32);
    r = body ? cmfa_malloc(sizeof(*r)) : NULL;
    if (!r) {
        cmfa_free(body);
        cmfa__fail(err, CMFA_E_NOMEM, NULL);
        goto cleanup;
    }
    memset(r, 0, sizeof(*r));
    r->pub.headers = r->headers;
    r->pub.body = keep(r, body);
    r->pub.body_len = body_len;
    r->pub.method = "POST";

    rc = cmfa__cred_chain_get(client->creds, client->now(), &creds, err);
    if (rc != CMFA_OK)
        goto fail;

    cmfa__amz_date(client->now(), amz_date);
    rc = cmfa__buf_printf(&target, "%s%s", TARGET_PREFIX, operation);
    if (rc == CMFA_OK)
        rc = cmfa__buf_printf(&clen, "%zu", body_len);
    if (rc != CMFA_OK) {
        cmfa__fail(err, rc, NULL);
        goto fail;
    }

    sh[nsh].name = "Content-Type", sh[nsh++].value = CONTENT_TYPE;
    sh[nsh].name = "Host", sh[nsh++].value = client->host;
    sh[nsh].name = "X-Amz-Date", sh[nsh++].value = amz_date;
    sh[nsh].name = "X-Amz-Target", sh[nsh++].value = target.data;
    if (creds->session_token && creds->session_token[0])
        sh[nsh].name = "X-Amz-Security-Token", sh[nsh++].value = creds->session_token;

    memset(&sreq, 0, sizeof(sreq));
    sreq.method = "POST";
    sreq.path = client->path;
    sreq.headers = sh;
    sreq.nheaders = nsh;
    sreq.body = body;
    sreq.body_len = body_len;
    memset(&params, 0, sizeof(params));
    params.access_key_id = creds->access_key_id;
    params.secret_access_key = creds->secret_access_key;
    params.region = client->signing_region;
    params.service = SERVICE;
    params.amz_date = amz_date;
    params.normalize_path = 1;
    rc = cmfa__sigv4_authorization(&client->sigcache, &params, &sreq, &authz);
    if (rc != CMFA_OK) {
        cmfa__fail(err, rc, "signing the request failed: %s", cmfa_strerror(rc));
        goto fail;
    }

    r->pub.url = keep(r, cmfa__strdup(client->cfg.endpoint_url));
    r->pub.host = keep(r, cmfa__strdup(client->host));
    if (!r->pub.url || !r->pub.host) {
        cmfa__fail(err, CMFA_E_NOMEM, NULL);
        goto fail;
    }
    for (size_t i = 0; i < nsh; i++) {
        rc = add_header(r, sh[i].name, sh[i].value);
        if (rc != CMFA_OK)
            break;
    }
    if (rc == CMFA_OK)
        rc = add_header(r, "Authorization", authz.data);
    if (rc == CMFA_OK)
        rc = add_header(r, "User-Agent", client->user_agent);
    if (rc == CMFA_OK)
        rc = add_header(r, "Content-Length", clen.data);
    if (rc != CMFA_OK) {
        cmfa__fail(err, rc, NULL);
        goto fail;
    }
    goto cleanup;

fail:
    cmfa_request_free(&r->pub);
    r = NULL;
cleanup:
    cmfa__buf_cleanup(&authz);   /* a secret buffer: wiped */
    cmfa__buf_cleanup(&target);
    cmfa__buf_cleanup(&clen);
    return r ? &r->pub : NULL;
}

cmfa_code cmfa__check_operation(struct cmfa_client *client, const char *operation,
                                struct cmfa_error *err)
{
    if (!client)
        return cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "client is NULL");
    if (!operation_name_ok(operation))
        return cmfa__fail(err, CMFA_E_UNKNOWN_OPERATION,
                          "operation name '%.64s' is not a cognito-idp operation name "
                          "(PascalCase letters and digits)", operation ? operation : "(null)");
    return CMFA_OK;
}

/* Starts an attempt: the previous attempt's error is cleared, its attempt count kept. */
static void begin_attempt(struct cmfa_error *err)
{
    int attempts;

    if (!err)
        return;
    attempts = err->attempts;
    cmfa_error_cleanup(err);
    err->attempts = attempts;
}

char *cmfa__request_body(struct cmfa_client *client, const char *operation,
                         const struct cmfa_value *input, size_t *len, struct cmfa_error *err)
{
    const struct cmfa_operation *op;

    if (cmfa__check_operation(client, operation, err) != CMFA_OK)
        return NULL;
    if (input && cmfa_value_type(input) != CMFA_TYPE_OBJECT) {
        cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "%s input must be an object", operation);
        return NULL;
    }
    op = cmfa_model_operation(operation);
    if (op && cmfa_validate(operation, input, err) != CMFA_OK)
        return NULL;
    return cmfa__encode_request(op, input, len, err);
}

struct cmfa_request *cmfa_prepare(struct cmfa_client *client, const char *operation,
                                  const struct cmfa_value *input, struct cmfa_error *err)
{
    struct cmfa_request *req;
    char *body;
    size_t len = 0;

    begin_attempt(err);
    body = cmfa__request_body(client, operation, input, &len, err);
    if (!body)
        return NULL;
    req = cmfa__request_sign(client, operation, body, len, err);
    cmfa_free(body);
    return req;
}

struct cmfa_request *cmfa_prepare_json(struct cmfa_client *client, const char *operation,
                                       const char *json, size_t json_len,
                                       struct cmfa_error *err)
{
    struct cmfa_value *input;
    struct cmfa_request *req;

    if (cmfa__check_operation(client, operation, err) != CMFA_OK)
        return NULL;
    if (!json || !json_len) {
        json = "{}";
        json_len = 2;
    }
    input = cmfa_value_parse(json, json_len, err);
    if (!input)
        return NULL;
    req = cmfa_prepare(client, operation, input, err);
    cmfa_value_free(input);
    return req;
}

/* A server may echo what it was sent: nothing secret leaves through an error record. */
static void scrub_error(const struct cmfa_client *client, struct cmfa_error *err)
{
    if (!err)
        return;
    cmfa__scrub_field(client, err->message, sizeof(err->message));
    cmfa__scrub_field(client, err->service_code, sizeof(err->service_code));
    cmfa__scrub_field(client, err->request_id, sizeof(err->request_id));
}

cmfa_code cmfa_parse_response(struct cmfa_client *client, const char *operation,
                              const struct cmfa_response *resp, struct cmfa_value **output,
                              struct cmfa_error *err)
{
    const struct cmfa_operation *op;
    struct cmfa_value *v;
    const char *rid, *secrets[3];
    cmfa_code rc;

    if (output)
        *output = NULL;
    if (!client || !resp || !operation)
        return cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "client, operation and response are required");
    cmfa__client_secrets(client, secrets);
    if (resp->status < 200 || resp->status > 299) {
        rc = cmfa__error_from_response_masked(resp, secrets, err);
        if (err)
            err->retryable = cmfa__retry_is_retryable(err);
        scrub_error(client, err);
        return rc;
    }
    op = cmfa_model_operation(operation);
    v = cmfa__decode_response(op, resp->body, resp->body_len, err);
    if (!v) {
        if (err) {
            err->status = resp->status;
            rid = cmfa__header_get(resp->headers, resp->nheaders, "x-amzn-RequestId");
            if (rid)
                cmfa__copy_field(err->request_id, sizeof(err->request_id), rid, strlen(rid));
        }
        scrub_error(client, err);
        return err ? err->code : CMFA_E_BAD_RESPONSE;
    }
    rc = cmfa__error_from_success_envelope_masked(v, resp, secrets, err);
    if (rc != CMFA_OK && err) {
        err->retryable = cmfa__retry_is_retryable(err);
        scrub_error(client, err);
    }
    if (rc != CMFA_OK || !output)
        cmfa_value_free(v);
    else
        *output = v;
    return rc;
}

