/* Prepared requests: validate, encode, sign. Parsing of raw responses. Redaction. */
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
        memset(r->strings[i], 0, strlen(r->strings[i]));
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

/* Signs body (taken over by the request) for operation and builds the request record. */
static struct cmfa_request *build_signed(struct cmfa_client *client, const char *operation,
                                         char *body, size_t body_len, struct cmfa_error *err)
{
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
    cmfa__buf_init(&authz, 4096);
    cmfa__buf_init(&clen, 32);
    r = cmfa_malloc(sizeof(*r));
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
    if (authz.data)
        memset(authz.data, 0, authz.len);
    cmfa__buf_cleanup(&authz);
    cmfa__buf_cleanup(&target);
    cmfa__buf_cleanup(&clen);
    return r ? &r->pub : NULL;
}

static cmfa_code check_call(struct cmfa_client *client, const char *operation,
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

struct cmfa_request *cmfa_prepare(struct cmfa_client *client, const char *operation,
                                  const struct cmfa_value *input, struct cmfa_error *err)
{
    const struct cmfa_operation *op;
    char *body;
    size_t len = 0;

    begin_attempt(err);
    if (check_call(client, operation, err) != CMFA_OK)
        return NULL;
    if (input && cmfa_value_type(input) != CMFA_TYPE_OBJECT) {
        cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "%s input must be an object", operation);
        return NULL;
    }
    op = cmfa_model_operation(operation);
    if (op && cmfa_validate(operation, input, err) != CMFA_OK)
        return NULL;
    body = cmfa__encode_request(op, input, &len, err);
    if (!body)
        return NULL;
    return build_signed(client, operation, body, len, err);
}

struct cmfa_request *cmfa_prepare_json(struct cmfa_client *client, const char *operation,
                                       const char *json, size_t json_len,
                                       struct cmfa_error *err)
{
    struct cmfa_value *input;
    struct cmfa_request *req;

    if (check_call(client, operation, err) != CMFA_OK)
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

void cmfa__client_secrets(const struct cmfa_client *client, const char *secrets[3])
{
    const struct cmfa__credentials *c = client ? cmfa__cred_chain_peek(client->creds) : NULL;
    size_t n = 0;

    if (c && c->secret_access_key && c->secret_access_key[0])
        secrets[n++] = c->secret_access_key;
    if (c && c->session_token && c->session_token[0])
        secrets[n++] = c->session_token;
    secrets[n] = NULL;
}

void cmfa__scrub_field(const struct cmfa_client *client, char *field, size_t size)
{
    const char *secrets[3];
    struct cmfa__buf out;

    cmfa__client_secrets(client, secrets);
    if (!secrets[0] || !field[0])
        return;
    cmfa__buf_init(&out, 0);
    if (cmfa__redact(field, strlen(field), secrets, &out) == CMFA_OK && out.data)
        cmfa__copy_field(field, size, out.data, out.len);
    else
        cmfa__copy_field(field, size, "[message withheld: it could not be checked for secrets]",
                         55);
    cmfa__buf_cleanup(&out);
}

char *cmfa_client_redact(const struct cmfa_client *client, const char *text, size_t len,
                         size_t *out_len)
{
    const char *secrets[3];
    struct cmfa__buf out;
    char *result = NULL;

    if (!text)
        return NULL;
    cmfa__client_secrets(client, secrets);
    cmfa__buf_init(&out, 0);
    if (cmfa__redact(text, len, secrets, &out) == CMFA_OK)
        result = cmfa__buf_take(&out, out_len);
    cmfa__buf_cleanup(&out);
    return result;
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
    const char *rid;
    cmfa_code rc;

    if (output)
        *output = NULL;
    if (!client || !resp || !operation)
        return cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "client, operation and response are required");
    if (resp->status < 200 || resp->status > 299) {
        rc = cmfa__error_from_response(resp, err);
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
    rc = cmfa__error_from_success_envelope(v, resp, err);
    if (rc != CMFA_OK)
        scrub_error(client, err);
    if (rc != CMFA_OK || !output)
        cmfa_value_free(v);
    else
        *output = v;
    return rc;
}

/* ------------------------------------------------------------------------------ redaction */

static int line_is_secret_header(const char *line, size_t len)
{
    static const char *const names[] = {"authorization:", "x-amz-security-token:",
                                        "x-aws-ec2-metadata-token:", "x-amz-sso_bearer_token:"};
    size_t i, n;

    for (i = 0; i < CMFA__ARRAY_LEN(names); i++) {
        n = strlen(names[i]);
        if (len >= n && strncasecmp(line, names[i], n) == 0)
            return (int)n;
    }
    return 0;
}

/* Secret values inside bodies the credential providers send: form parameters (STS) and JSON
 * members (SSO OIDC, portal answers). Returns the marker length when one starts at s; the
 * value runs to *term (JSON: the closing quote; form: '&'). */
static size_t body_secret_marker(const char *s, size_t len, char *term)
{
    static const struct {
        const char *marker;
        char term;
    } markers[] = {
        {"WebIdentityToken=", '&'},      {"TokenCode=", '&'},
        {"\"accessToken\":\"", '"'},     {"\"refreshToken\":\"", '"'},
        {"\"clientSecret\":\"", '"'},    {"\"deviceCode\":\"", '"'},
        {"\"secretAccessKey\":\"", '"'}, {"\"sessionToken\":\"", '"'},
        {"\"SecretAccessKey\":\"", '"'}, {"\"SessionToken\":\"", '"'},
    };
    size_t i, n;

    for (i = 0; i < CMFA__ARRAY_LEN(markers); i++) {
        n = strlen(markers[i].marker);
        if (len >= n && memcmp(s, markers[i].marker, n) == 0) {
            *term = markers[i].term;
            return n;
        }
    }
    return 0;
}

cmfa_code cmfa__redact(const char *text, size_t len, const char *const *secrets,
                       struct cmfa__buf *out)
{
    size_t pos = 0;
    cmfa_code rc = CMFA_OK;

    while (pos < len && rc == CMFA_OK) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t llen = nl ? (size_t)(nl - line) : len - pos;
        int hn = line_is_secret_header(line, llen);

        if (hn) {
            rc = cmfa__buf_add(out, line, (size_t)hn);
            if (rc == CMFA_OK)
                rc = cmfa__buf_addstr(out, " [redacted]");
        } else {
            /* copy the line, masking any occurrence of a known secret */
            size_t i = 0;
            while (i < llen && rc == CMFA_OK) {
                size_t matched = 0, s;
                for (s = 0; secrets && secrets[s]; s++) {
                    size_t sl = strlen(secrets[s]);
                    if (sl >= 4 && sl <= llen - i && memcmp(line + i, secrets[s], sl) == 0) {
                        matched = sl;
                        break;
                    }
                }
                char term = 0;
                size_t mk = matched ? 0 : body_secret_marker(line + i, llen - i, &term);
                if (matched) {
                    rc = cmfa__buf_addstr(out, "[redacted]");
                    i += matched;
                } else if (mk) {
                    rc = cmfa__buf_add(out, line + i, mk);
                    if (rc == CMFA_OK)
                        rc = cmfa__buf_addstr(out, "[redacted]");
                    i += mk;
                    while (i < llen && line[i] != term)
                        i += line[i] == '\\' && term == '"' && i + 1 < llen ? 2 : 1;
                } else {
                    rc = cmfa__buf_addc(out, line[i]);
                    i++;
                }
            }
        }
        if (rc == CMFA_OK && nl)
            rc = cmfa__buf_addc(out, '\n');
        pos += llen + (nl ? 1 : 0);
    }
    return rc;
}

char *cmfa_request_debug_text(const struct cmfa_request *req, size_t *len)
{
    struct cmfa__buf raw, out;
    char *text = NULL;
    size_t i;
    cmfa_code rc;

    if (!req)
        return NULL;
    cmfa__buf_init(&raw, 0);
    cmfa__buf_init(&out, 0);
    rc = cmfa__buf_printf(&raw, "%s %s\n", req->method, req->url);
    for (i = 0; rc == CMFA_OK && i < req->nheaders; i++)
        rc = cmfa__buf_printf(&raw, "%s: %s\n", req->headers[i].name, req->headers[i].value);
    if (rc == CMFA_OK)
        rc = cmfa__buf_addc(&raw, '\n');
    if (rc == CMFA_OK)
        rc = cmfa__buf_add(&raw, req->body, req->body_len);
    if (rc == CMFA_OK)
        rc = cmfa__redact(raw.data, raw.len, NULL, &out);
    if (rc == CMFA_OK)
        text = cmfa__buf_take(&out, len);
    if (raw.data)
        memset(raw.data, 0, raw.len);
    cmfa__buf_cleanup(&raw);
    cmfa__buf_cleanup(&out);
    return text;
}
