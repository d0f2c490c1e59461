/* AWS JSON 1.1 error responses: error code, message, request id and status from a non-2xx
 * response (or from a 2xx "Output" envelope), turned into one readable line.
 *
 * Sources, in order of precedence:
 *   code        X-Amzn-ErrorType header, then the body's top-level "__type", then its top-level
 *               "code" (nested members are never looked at); sanitized as the Smithy awsJson1_1
 *               spec says (cut at the first ':', then keep what follows the first '#').
 *               When none gives a code (non-JSON body from a proxy, JSON without a type), the
 *               code is "HttpStatus<NNN>" (e.g. "HttpStatus502"): like botocore, which falls
 *               back to the HTTP status, but with a prefix so it reads as a code and can never
 *               be mistaken for a modelled error name.
 *   message     body "message", then "Message", then the x-amzn-errormessage header; else a
 *               description of what came back ("HTTP 502 with a non-JSON body: <snippet>").
 *   request id  x-amzn-RequestId, then x-amz-request-id, then x-amz-id-2.
 *
 * Everything copied from the response is capped to its field and cleaned: runs of control
 * characters (C0, DEL and C1) become one space, invalid UTF-8 bytes become '?', and truncation
 * never splits a UTF-8 sequence. */
#define _GNU_SOURCE /* memmem */
#include <string.h>
#include <strings.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "cmfa_int.h"

/* Longest piece of a non-JSON body quoted in the message. */
#define BODY_SNIPPET_MAX 120

enum body_kind {
    BODY_EMPTY,
    BODY_OBJECT,
    BODY_OTHER_JSON,   /* valid JSON, but not an object */
    BODY_NOT_JSON
};

/* ------------------------------------------------------------------------------------------
 * Text cleaning
 * ------------------------------------------------------------------------------------------ */

/* Like append_clean, but marks a cut with "..." (within dstsize). */
static void append_clean_ellipsis(char *dst, size_t dstsize, size_t *len, const char *src,
                                  size_t n)
{
    size_t before = *len;

    if (!cmfa__utf8_append_clean(dst, dstsize, len, src, n))
        return;
    if (dstsize < before + 4)
        return;   /* no room even for the dots: keep the cut text */
    *len = before;
    dst[before] = '\0';
    cmfa__utf8_append_clean(dst, dstsize - 3, len, src, n);
    memcpy(dst + *len, "...", 4);
    *len += 3;
}

/* ------------------------------------------------------------------------------------------
 * Codes and headers
 * ------------------------------------------------------------------------------------------ */

void cmfa__sanitize_error_code(const char *raw, size_t len, char *out, size_t outsize)
{
    const char *colon, *hash;
    size_t i, o = 0;

    if (!out || !outsize)
        return;
    out[0] = '\0';
    if (!raw)
        return;
    colon = memchr(raw, ':', len);
    if (colon)
        len = (size_t)(colon - raw);
    hash = memchr(raw, '#', len);
    if (hash) {
        len -= (size_t)(hash + 1 - raw);
        raw = hash + 1;
    }
    /* A code is an identifier: keep printable ASCII, drop spaces, controls and anything else
     * (a header value may carry stray whitespace). */
    for (i = 0; i < len && o < outsize - 1; i++) {
        unsigned char c = (unsigned char)raw[i];
        if (c > 0x20 && c < 0x7F)
            out[o++] = (char)c;
    }
    out[o] = '\0';
}

const char *cmfa__header_get(const struct cmfa_header *h, size_t n, const char *name)
{
    size_t i;

    if (!h || !name)
        return NULL;
    for (i = 0; i < n; i++)
        if (h[i].name && strcasecmp(h[i].name, name) == 0)
            return h[i].value ? h[i].value : "";
    return NULL;
}

static const char *resp_header(const struct cmfa_response *resp, const char *name)
{
    return resp ? cmfa__header_get(resp->headers, resp->nheaders, name) : NULL;
}

/* ------------------------------------------------------------------------------------------
 * Body
 * ------------------------------------------------------------------------------------------ */

static int is_json_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Parses body; *root gets the parsed tree for BODY_OBJECT and BODY_OTHER_JSON (cJSON_Delete). */
static enum body_kind parse_body(const char *body, size_t len, cJSON **root)
{
    const char *end = NULL;
    size_t i;
    cJSON *j;

    *root = NULL;
    if (!body)
        return BODY_EMPTY;
    for (i = 0; i < len && is_json_space(body[i]); i++)
        ;
    if (i == len)
        return BODY_EMPTY;
    j = cJSON_ParseWithLengthOpts(body, len, &end, 0);
    if (!j)
        return BODY_NOT_JSON;
    /* Trailing garbage after a valid value: not the protocol's JSON. */
    for (; end && end < body + len; end++) {
        if (!is_json_space(*end)) {
            cJSON_Delete(j);
            return BODY_NOT_JSON;
        }
    }
    *root = j;
    return cJSON_IsObject(j) ? BODY_OBJECT : BODY_OTHER_JSON;
}

/* A top-level string member, non-empty; NULL otherwise. */
static const char *member_string(const cJSON *obj, const char *name)
{
    const cJSON *m;

    if (!cJSON_IsObject(obj))
        return NULL;
    m = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!cJSON_IsString(m) || !m->valuestring || !m->valuestring[0])
        return NULL;
    return m->valuestring;
}

/* ------------------------------------------------------------------------------------------
 * Filling the record
 * ------------------------------------------------------------------------------------------ */

/* A retry loop reuses one record: forget the previous attempt, keep the attempt count. */
static void reset_for_attempt(struct cmfa_error *err)
{
    int attempts = err->attempts;

    cmfa_error_cleanup(err);
    err->attempts = attempts;
}

static void copy_request_id(const struct cmfa_response *resp, struct cmfa_error *err)
{
    static const char *const names[] = {"x-amzn-RequestId", "x-amz-request-id", "x-amz-id-2"};
    size_t i, len = 0;

    err->request_id[0] = '\0';
    for (i = 0; i < CMFA__ARRAY_LEN(names); i++) {
        const char *v = resp_header(resp, names[i]);
        if (v && v[0]) {
            cmfa__utf8_append_clean(err->request_id, sizeof(err->request_id), &len, v, strlen(v));
            if (len)
                return;
        }
    }
}

/* err->message = "<Code>: <detail> (HTTP <status>[, request id <id>])". The suffix always
 * fits; the detail is cut (with "...") to make room for it. detail is raw service text. */
static void compose_message(struct cmfa_error *err, const char *detail, size_t detail_len)
{
    char suffix[sizeof(err->request_id) + 48];
    size_t len = 0, slen;
    int n;

    if (err->request_id[0])
        n = snprintf(suffix, sizeof(suffix), " (HTTP %ld, request id %s)", err->status,
                     err->request_id);
    else
        n = snprintf(suffix, sizeof(suffix), " (HTTP %ld)", err->status);
    if (n < 0)
        suffix[0] = '\0';
    slen = strlen(suffix);
    err->message[0] = '\0';
    cmfa__utf8_append_clean(err->message, sizeof(err->message) - slen, &len, err->service_code,
                 strlen(err->service_code));
    cmfa__utf8_append_clean(err->message, sizeof(err->message) - slen, &len, ": ", 2);
    append_clean_ellipsis(err->message, sizeof(err->message) - slen, &len, detail, detail_len);
    /* len + slen < sizeof(err->message) by construction. */
    memcpy(err->message + len, suffix, slen + 1);
}

/* Writes a description of a response that carried no message into buf. */
static void describe_body(char *buf, size_t size, long status, enum body_kind kind,
                          const char *body, size_t body_len)
{
    size_t len, before;
    int n;

    switch (kind) {
    case BODY_EMPTY:
        snprintf(buf, size, "HTTP %ld with an empty body", status);
        return;
    case BODY_OBJECT:
        snprintf(buf, size, "the service sent no error message");
        return;
    case BODY_OTHER_JSON:
        snprintf(buf, size, "HTTP %ld with a JSON body that is not an object", status);
        return;
    case BODY_NOT_JSON:
        break;
    }
    n = snprintf(buf, size, "HTTP %ld with a non-JSON body: ", status);
    if (n < 0)
        buf[0] = '\0';
    len = strlen(buf);
    before = len;
    /* Quote at most BODY_SNIPPET_MAX bytes (plus "..."), cut at a character boundary. */
    if (len + BODY_SNIPPET_MAX + 4 < size)
        size = len + BODY_SNIPPET_MAX + 4;
    append_clean_ellipsis(buf, size, &len, body, body_len);
    if (len == before && before >= 2) {
        /* Nothing printable in the body: drop the ": ". */
        buf[before - 2] = '\0';
    }
}

/* Text of the first <name>...</name> element of an XML error body (the query-protocol
 * ErrorResponse that AWS front ends such as STS, and moto's signature check, answer with). */
static const char *xml_element(const char *body, size_t len, const char *name, size_t *n)
{
    char open[32], close[32];
    const char *start, *end;

    snprintf(open, sizeof(open), "<%s>", name);
    snprintf(close, sizeof(close), "</%s>", name);
    if (!body || !len)
        return NULL;
    start = memmem(body, len, open, strlen(open));
    if (!start)
        return NULL;
    start += strlen(open);
    end = memmem(start, len - (size_t)(start - body), close, strlen(close));
    if (!end || end == start)
        return NULL;
    *n = (size_t)(end - start);
    return start;
}

static void fill(struct cmfa_error *err, const struct cmfa_response *resp, const char *code,
                 size_t code_len, long status, const cJSON *msg_obj, enum body_kind kind,
                 const char *body, size_t body_len)
{
    char described[256];
    const char *msg;
    size_t msg_len = 0;

    err->code = CMFA_E_SERVICE;
    err->status = status;
    cmfa__sanitize_error_code(code, code_len, err->service_code, sizeof(err->service_code));
    if (!err->service_code[0])
        snprintf(err->service_code, sizeof(err->service_code), "HttpStatus%ld", status);
    copy_request_id(resp, err);

    msg = member_string(msg_obj, "message");
    if (!msg)
        msg = member_string(msg_obj, "Message");
    if (!msg) {
        msg = resp_header(resp, "x-amzn-errormessage");
        if (msg && !msg[0])
            msg = NULL;
    }
    if (msg)
        msg_len = strlen(msg);
    else if (kind != BODY_OBJECT)
        msg = xml_element(body, body_len, "Message", &msg_len);
    if (!msg) {
        describe_body(described, sizeof(described), status, kind, body, body_len);
        msg = described;
        msg_len = strlen(msg);
    }
    compose_message(err, msg, msg_len);
}

/* The first non-empty code among the header and the top-level members. */
static const char *pick_code(const struct cmfa_response *resp, const cJSON *root)
{
    static const char *const members[] = {"__type", "code"};
    char tmp[8];
    const char *v;
    size_t i;

    v = resp_header(resp, "X-Amzn-ErrorType");
    if (v) {
        /* Only count it when something is left after sanitizing ("" or ":x" are not codes). */
        cmfa__sanitize_error_code(v, strlen(v), tmp, sizeof(tmp));
        if (tmp[0])
            return v;
    }
    for (i = 0; i < CMFA__ARRAY_LEN(members); i++) {
        v = member_string(root, members[i]);
        if (v) {
            cmfa__sanitize_error_code(v, strlen(v), tmp, sizeof(tmp));
            if (tmp[0])
                return v;
        }
    }
    return NULL;
}

cmfa_code cmfa__error_from_response(const struct cmfa_response *resp, struct cmfa_error *err)
{
    enum body_kind kind;
    cJSON *root = NULL;
    const char *code;
    size_t code_len;

    if (!err)
        return resp ? CMFA_E_SERVICE : CMFA_E_BAD_ARGUMENT;
    reset_for_attempt(err);
    if (!resp)
        return cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "no response to parse");
    kind = parse_body(resp->body, resp->body_len, &root);
    code = pick_code(resp, kind == BODY_OBJECT ? root : NULL);
    code_len = code ? strlen(code) : 0;
    if (!code && kind != BODY_OBJECT)
        code = xml_element(resp->body, resp->body_len, "Code", &code_len);
    fill(err, resp, code, code_len, resp->status,
         kind == BODY_OBJECT ? root : NULL, kind, resp->body, resp->body_len);
    cJSON_Delete(root);
    return CMFA_E_SERVICE;
}

cmfa_code cmfa__error_from_success_envelope(const struct cmfa_value *body,
                                            const struct cmfa_response *resp,
                                            struct cmfa_error *err)
{
    const cJSON *root = CMFA__JSON(body), *output;
    const char *type;
    char tmp[8];

    if (!cJSON_IsObject(root))
        return CMFA_OK;
    output = cJSON_GetObjectItemCaseSensitive(root, "Output");
    if (!cJSON_IsObject(output))
        return CMFA_OK;
    type = member_string(output, "__type");
    if (!type)
        return CMFA_OK;
    cmfa__sanitize_error_code(type, strlen(type), tmp, sizeof(tmp));
    if (!tmp[0])
        return CMFA_OK;
    if (!err)
        return CMFA_E_SERVICE;
    reset_for_attempt(err);
    /* Message, if any, is inside the envelope; describe it otherwise. */
    fill(err, resp, type, strlen(type), resp ? resp->status : 0, output, BODY_OBJECT, NULL, 0);
    if (!member_string(output, "message") && !member_string(output, "Message") &&
        !resp_header(resp, "x-amzn-errormessage")) {
        static const char envelope[] = "the service answered with an error envelope "
                                       "(\"Output\" with \"__type\") instead of a response";
        compose_message(err, envelope, sizeof(envelope) - 1);
    }
    return CMFA_E_SERVICE;
}
