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

/* s[0..*len) with every whole secret replaced by "[redacted]", before anything is cut to a
 * field's size (a cut inside a secret would leave a piece no later check can recognise). The
 * result is s itself when there is nothing to mask, else b's data, or a placeholder when out of
 * memory. */
static const char *masked(const char *s, size_t *len, const char *const *secrets,
                          struct cmfa__buf *b)
{
    static const char withheld[] = "[withheld: could not be checked for secrets]";
    size_t i;

    if (!s || !secrets || !secrets[0])
        return s;
    for (i = 0; secrets[i]; i++)
        if (strlen(secrets[i]) >= 4 && memmem(s, *len, secrets[i], strlen(secrets[i])))
            break;
    if (!secrets[i])
        return s;
    cmfa__buf_reset(b);
    if (cmfa__redact(s, *len, secrets, b) != CMFA_OK || !b->data) {
        *len = sizeof(withheld) - 1;
        return withheld;
    }
    *len = b->len;
    return b->data;
}

static void copy_request_id(const struct cmfa_response *resp, const char *const *secrets,
                            struct cmfa_error *err)
{
    static const char *const names[] = {"x-amzn-RequestId", "x-amz-request-id", "x-amz-id-2"};
    struct cmfa__buf b;
    size_t i, len = 0;

    cmfa__buf_init(&b, 0);
    err->request_id[0] = '\0';
    for (i = 0; i < CMFA__ARRAY_LEN(names); i++) {
        const char *v = resp_header(resp, names[i]);
        if (v && v[0]) {
            size_t vlen = strlen(v);
            v = masked(v, &vlen, secrets, &b);
            cmfa__utf8_append_clean(err->request_id, sizeof(err->request_id), &len, v, vlen);
            if (len)
                break;
        }
    }
    cmfa__buf_cleanup(&b);
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

/* Text of the first <name> element of an XML error body (the query-protocol ErrorResponse
 * that AWS front ends such as STS, and moto's signature check, answer with); NULL when absent
 * or empty. */
static const char *xml_text(const struct cmfa__xml *xml, const char *name, size_t *n)
{
    const char *v = cmfa__xml_find(xml, name, n);

    return v && *n ? v : NULL;
}

/* secrets: NULL-terminated list of texts masked before anything is copied, or NULL. */
static void fill(struct cmfa_error *err, const struct cmfa_response *resp, const char *code,
                 size_t code_len, long status, const cJSON *msg_obj, enum body_kind kind,
                 const struct cmfa__xml *xml, const char *body, size_t body_len,
                 const char *const *secrets)
{
    char described[256];
    const char *msg;
    size_t msg_len = 0;
    struct cmfa__buf cb, mb, bb;

    cmfa__buf_init(&cb, 0);
    cmfa__buf_init(&mb, 0);
    cmfa__buf_init(&bb, 0);
    err->code = CMFA_E_SERVICE;
    err->status = status;
    code = masked(code, &code_len, secrets, &cb);
    cmfa__sanitize_error_code(code, code_len, err->service_code, sizeof(err->service_code));
    if (!err->service_code[0])
        snprintf(err->service_code, sizeof(err->service_code), "HttpStatus%ld", status);
    copy_request_id(resp, secrets, err);
    if (!err->request_id[0]) {
        size_t rid_len = 0, len = 0;
        const char *rid = xml_text(xml, "RequestId", &rid_len);
        if (rid)
            cmfa__utf8_append_clean(err->request_id, sizeof(err->request_id), &len, rid, rid_len);
    }

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
        msg = xml_text(xml, "Message", &msg_len);
    if (!msg) {
        body = masked(body, &body_len, secrets, &bb);
        describe_body(described, sizeof(described), status, kind, body, body_len);
        msg = described;
        msg_len = strlen(msg);
    }
    msg = masked(msg, &msg_len, secrets, &mb);
    compose_message(err, msg, msg_len);
    cmfa__buf_cleanup(&cb);
    cmfa__buf_cleanup(&mb);
    cmfa__buf_cleanup(&bb);
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
    return cmfa__error_from_response_masked(resp, NULL, err);
}

cmfa_code cmfa__error_from_response_masked(const struct cmfa_response *resp,
                                           const char *const *secrets, struct cmfa_error *err)
{
    enum body_kind kind;
    cJSON *root = NULL;
    struct cmfa__xml *xml = NULL;
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
    if (kind == BODY_NOT_JSON) {
        /* Not JSON: perhaps a query-protocol XML error. Out of memory or malformed XML only
         * means there is no code or message to take from it. */
        xml = cmfa__xml_parse(resp->body, resp->body_len, "error body", NULL);
    }
    if (!code && kind != BODY_OBJECT)
        code = xml_text(xml, "Code", &code_len);
    fill(err, resp, code, code_len, resp->status,
         kind == BODY_OBJECT ? root : NULL, kind, xml, resp->body, resp->body_len, secrets);
    cmfa__xml_free(xml);
    cJSON_Delete(root);
    return CMFA_E_SERVICE;
}

cmfa_code cmfa__error_from_success_envelope(const struct cmfa_value *body,
                                            const struct cmfa_response *resp,
                                            struct cmfa_error *err)
{
    return cmfa__error_from_success_envelope_masked(body, resp, NULL, err);
}

cmfa_code cmfa__error_from_success_envelope_masked(const struct cmfa_value *body,
                                                   const struct cmfa_response *resp,
                                                   const char *const *secrets,
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
    fill(err, resp, type, strlen(type), resp ? resp->status : 0, output, BODY_OBJECT, NULL, NULL,
         0, secrets);
    if (!member_string(output, "message") && !member_string(output, "Message") &&
        !resp_header(resp, "x-amzn-errormessage")) {
        static const char envelope[] = "the service answered with an error envelope "
                                       "(\"Output\" with \"__type\") instead of a response";
        compose_message(err, envelope, sizeof(envelope) - 1);
    }
    return CMFA_E_SERVICE;
}
