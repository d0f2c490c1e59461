/* Fuzz target: SigV4 canonicalisation of arbitrary requests (method, path, query, headers,
 * body), the string to sign and the Authorization value; and, in a second mode, a client
 * built on an arbitrary endpoint URL preparing (validating, encoding, signing) a request.
 *
 * Input: one flags byte (bit 0: normalize the path; bit 1: the endpoint mode), then
 *   canonical mode:          endpoint mode:
 *     METHOD\n                 ENDPOINT-URL\n
 *     PATH\n                   JSON body of ListUserPools
 *     QUERY\n
 *     Name: value\n            (a line starting with a blank continues the value above,
 *     ...                       keeping the line break: an obs-fold)
 *     \n
 *     body
 *
 * Properties: no crash, leak or UB; a canonical request is either refused (bad method, header
 * name or value) or has the SigV4 layout: method, a path that starts with '/' and holds only
 * unreserved characters, '/' and %XX escapes (no "//", "." or ".." segments when normalized),
 * a sorted query of encoded pairs, lower-case sorted header names that match the signed
 * headers line, and the body's SHA-256; the Authorization value names the same signed headers
 * and carries a 64-digit signature; a prepared request's Host is the endpoint's. */
#include <strings.h>

#include "fuzz_common.h"

#define MAX_HEADERS 32

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    setenv("AWS_CONFIG_FILE", "/nonexistent/cmfa-fuzz/config", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/cmfa-fuzz/credentials", 1);
    unsetenv("AWS_PROFILE");
    return 0;
}

static int is_unreserved(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

static int is_hex_upper(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

/* Only unreserved characters, %XX (upper-case hex) and the extra characters allowed. */
static int encoded_ok(const char *s, size_t n, const char *extra)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (s[i] == '%') {
            if (i + 2 >= n)
                return 0;
            if (!is_hex_upper(s[i + 1]) || !is_hex_upper(s[i + 2]))
                return 0;
            i += 2;
        } else if (!is_unreserved(s[i]) && !strchr(extra, s[i])) {
            return 0;
        }
    }
    return 1;
}

static const char *line_end(const char *p, const char *end)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    return nl ? nl : end;
}

static void check_canonical(const char *creq, size_t len, const struct cmfa__sigv4_request *req,
                            int normalize, const char *signed_headers)
{
    const char *end = creq + len, *p = creq, *e, *hash;
    char want_hash[65];
    size_t n;

    /* method */
    e = line_end(p, end);
    FUZZ_ASSERT((size_t)(e - p) == strlen(req->method) && memcmp(p, req->method, e - p) == 0);
    /* path */
    p = e + 1;
    e = line_end(p, end);
    FUZZ_ASSERT(e > p && p[0] == '/');
    FUZZ_ASSERT(encoded_ok(p, (size_t)(e - p), "/"));
    if (normalize) {
        size_t i, plen = (size_t)(e - p);
        for (i = 0; i + 1 < plen; i++)
            FUZZ_ASSERT(!(p[i] == '/' && p[i + 1] == '/'));
        for (i = 0; i + 2 <= plen; i++) {
            /* no "/./" "/../" segment, nor one at the end */
            if (p[i] == '/' && p[i + 1] == '.') {
                FUZZ_ASSERT(!(i + 2 == plen || p[i + 2] == '/'));
                FUZZ_ASSERT(!(i + 2 < plen && p[i + 2] == '.' && (i + 3 == plen || p[i + 3] == '/')));
            }
        }
    }
    /* query */
    p = e + 1;
    e = line_end(p, end);
    FUZZ_ASSERT(encoded_ok(p, (size_t)(e - p), "=&"));
    /* headers: "name:value\n" each, then an empty line */
    p = e + 1;
    n = 0;
    while (p < end && *p != '\n') {
        const char *colon;
        e = line_end(p, end);
        colon = memchr(p, ':', (size_t)(e - p));
        FUZZ_ASSERT(colon != NULL);
        for (; p < colon; p++)
            FUZZ_ASSERT(!(*p >= 'A' && *p <= 'Z'));
        p = e + 1;
        n++;
    }
    FUZZ_ASSERT(n <= req->nheaders);
    FUZZ_ASSERT(p < end && *p == '\n');
    /* signed headers */
    p++;
    e = line_end(p, end);
    FUZZ_ASSERT((size_t)(e - p) == strlen(signed_headers) &&
                memcmp(p, signed_headers, (size_t)(e - p)) == 0);
    /* payload hash */
    hash = e + 1;
    FUZZ_ASSERT(end - hash == 64);
    cmfa__sha256_hex(req->body, req->body_len, want_hash);
    FUZZ_ASSERT(memcmp(hash, want_hash, 64) == 0);
}

static void canonical_mode(struct fuzz_input *in, int normalize)
{
    struct cmfa__sig_header headers[MAX_HEADERS];
    char *values[MAX_HEADERS];
    struct cmfa__sigv4_request req;
    struct cmfa__sigv4_params params;
    struct cmfa__buf creq, sh, sts, auth;
    const uint8_t *line;
    size_t llen, nheaders = 0, i;
    char *method, *path, *query, *body;
    cmfa_code rc, arc;

    fuzz_split(in, "\n", &line, &llen);
    method = fuzz_strndup(line, llen);
    fuzz_split(in, "\n", &line, &llen);
    path = fuzz_strndup(line, llen);
    fuzz_split(in, "\n", &line, &llen);
    query = fuzz_strndup(line, llen);
    while (in->len) {
        char *h, *colon;

        fuzz_split(in, "\n", &line, &llen);
        if (llen == 0)
            break;
        if ((line[0] == ' ' || line[0] == '\t') && nheaders) {
            /* obs-fold: the value goes on after a line break */
            char *v = values[nheaders - 1];
            size_t vlen = strlen(v);
            char *nv = realloc(v, vlen + 1 + llen + 1);
            if (!nv)
                abort();
            nv[vlen] = '\n';
            memcpy(nv + vlen + 1, line, llen);
            nv[vlen + 1 + llen] = '\0';
            values[nheaders - 1] = nv;
            continue;
        }
        if (nheaders == MAX_HEADERS)
            continue;
        h = fuzz_strndup(line, llen);
        colon = strchr(h, ':');
        if (colon)
            *colon++ = '\0';
        headers[nheaders].name = h;
        values[nheaders] = strdup(colon ? colon : "");
        if (!values[nheaders])
            abort();
        nheaders++;
    }
    for (i = 0; i < nheaders; i++)
        headers[i].value = values[i];
    body = malloc(in->len ? in->len : 1);
    if (!body)
        abort();
    if (in->len)
        memcpy(body, in->data, in->len);

    memset(&req, 0, sizeof(req));
    req.method = method;
    req.path = path;
    req.query = query[0] ? query : NULL;
    req.headers = nheaders ? headers : NULL;
    req.nheaders = nheaders;
    req.body = body;
    req.body_len = in->len;

    cmfa__buf_init(&creq, 0);
    cmfa__buf_init(&sh, 0);
    rc = cmfa__sigv4_canonical_request(&req, normalize, &creq, &sh);
    FUZZ_ASSERT(rc == CMFA_OK || rc == CMFA_E_BAD_ARGUMENT || rc == CMFA_E_NOMEM ||
                rc == CMFA_E_TOO_LARGE);
    if (rc == CMFA_OK)
        check_canonical(creq.data, creq.len, &req, normalize, sh.data ? sh.data : "");
    else
        FUZZ_ASSERT(creq.len == 0 && sh.len == 0);

    memset(&params, 0, sizeof(params));
    params.access_key_id = "AKIDEXAMPLE";
    params.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    params.region = "us-east-1";
    params.service = "cognito-idp";
    params.amz_date = "20150830T123600Z";
    params.normalize_path = normalize;
    cmfa__buf_init(&sts, 0);
    cmfa__buf_init(&auth, 0);
    if (rc == CMFA_OK) {
        FUZZ_ASSERT(cmfa__sigv4_string_to_sign(&params, creq.data, creq.len, &sts) == CMFA_OK);
        FUZZ_ASSERT(sts.len == strlen("AWS4-HMAC-SHA256\n20150830T123600Z\n"
                                      "20150830/us-east-1/cognito-idp/aws4_request\n") + 64);
    }
    arc = cmfa__sigv4_authorization(NULL, &params, &req, &auth);
    FUZZ_ASSERT((arc == CMFA_OK) == (rc == CMFA_OK));
    if (arc == CMFA_OK) {
        const char *sig = strstr(auth.data, "Signature=");
        const char *shp = strstr(auth.data, "SignedHeaders=");
        static const char prefix[] = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/"
                                     "us-east-1/cognito-idp/aws4_request, ";
        FUZZ_ASSERT(strncmp(auth.data, prefix, sizeof(prefix) - 1) == 0);
        FUZZ_ASSERT(sig && strlen(sig) == 10 + 64);
        FUZZ_ASSERT(shp && strncmp(shp + 14, sh.data ? sh.data : "", sh.len) == 0);
    }

    cmfa__buf_cleanup(&creq);
    cmfa__buf_cleanup(&sh);
    cmfa__buf_cleanup(&sts);
    cmfa__buf_cleanup(&auth);
    for (i = 0; i < nheaders; i++) {
        free((char *)headers[i].name);
        free(values[i]);
    }
    free(method);
    free(path);
    free(query);
    free(body);
}

static void endpoint_mode(struct fuzz_input *in)
{
    struct cmfa_client_options opts;
    struct cmfa_client *client;
    struct cmfa_request *req;
    struct cmfa_error err;
    const uint8_t *line;
    size_t llen, i;
    char *endpoint, *json;
    const char *host = NULL, *auth = NULL;

    fuzz_split(in, "\n", &line, &llen);
    endpoint = fuzz_strndup(line, llen);
    json = fuzz_strndup(in->data, in->len);
    memset(&opts, 0, sizeof(opts));
    opts.region = "eu-west-1";
    opts.endpoint_url = endpoint[0] ? endpoint : "http://127.0.0.1:9";
    opts.access_key_id = "AKIDEXAMPLE";
    opts.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    opts.retry_seed = 1;
    cmfa_error_init(&err);
    client = cmfa_client_new(&opts, &err);
    fuzz_check_error(&err);
    if (!client) {
        FUZZ_ASSERT(err.code == CMFA_E_CONFIG || err.code == CMFA_E_NOMEM ||
                    err.code == CMFA_E_BAD_ARGUMENT);
    } else {
        req = cmfa_prepare_json(client, "ListUserPools", json, strlen(json), &err);
        fuzz_check_error(&err);
        if (req) {
            FUZZ_ASSERT(req->url && req->host && req->method);
            for (i = 0; i < req->nheaders; i++) {
                if (strcasecmp(req->headers[i].name, "Host") == 0)
                    host = req->headers[i].value;
                if (strcasecmp(req->headers[i].name, "Authorization") == 0)
                    auth = req->headers[i].value;
            }
            FUZZ_ASSERT(host && strcmp(host, req->host) == 0);
            FUZZ_ASSERT(auth && strncmp(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/", 40) == 0);
            cmfa_request_free(req);
        } else {
            FUZZ_ASSERT(err.code != CMFA_OK);
        }
        cmfa_client_free(client);
    }
    cmfa_error_cleanup(&err);
    free(endpoint);
    free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = {data, size};
    uint8_t flags = fuzz_byte(&in);

    if (flags & 2)
        endpoint_mode(&in);
    else
        canonical_mode(&in, flags & 1);
    return 0;
}
