/* Fuzz target: AWS responses as a transport hands them to the core (cmfa_parse_response):
 * error responses with JSON or XML bodies and the X-Amzn-ErrorType / x-amzn-errormessage /
 * request-id headers, 2xx bodies with the "Output" error envelope, and redaction of secrets
 * a server echoes back.
 *
 * Input, HTTP-like:
 *     STATUS [OPERATION-INDEX]\n
 *     Name: value\n          (any number of header lines)
 *     \n
 *     body...
 *
 * Properties: no crash, leak or UB; a non-2xx status is always a service error with a
 * printable code, a clean message (UTF-8, no control characters) and the status; a 2xx answer
 * either decodes or fails with a clean message; the client's secret key and session token
 * never appear in any error field or redacted text. */
#include "fuzz_common.h"

#define SECRET "fUzZsEcReTkEy0123456789abcdefghijklmnopq"
#define TOKEN "FuzzSessionToken/With+Some=Chars0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define MAX_HEADERS 64

static const char *const operations[] = {
    "GetUserPoolMfaConfig", "SetUserPoolMfaConfig", "ListUserPools", "DescribeUserPool",
    "AdminGetUser",   /* not modelled: generic decoding */
};

static struct cmfa_client *client;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void free_client(void)
{
    cmfa_client_free(client);
    client = NULL;
    cmfa_global_cleanup();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct cmfa_client_options opts;
    struct cmfa_error err;

    (void)argc;
    (void)argv;
    /* Nothing from the machine running the fuzzer: no shared files, no environment. */
    setenv("AWS_CONFIG_FILE", "/nonexistent/cmfa-fuzz/config", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/cmfa-fuzz/credentials", 1);
    unsetenv("AWS_PROFILE");
    memset(&opts, 0, sizeof(opts));
    opts.region = "eu-west-1";
    opts.endpoint_url = "http://127.0.0.1:9";
    opts.access_key_id = "AKIDFUZZ";
    opts.secret_access_key = SECRET;
    opts.session_token = TOKEN;
    opts.retry_seed = 1;
    cmfa_error_init(&err);
    client = cmfa_client_new(&opts, &err);
    if (!client) {
        fprintf(stderr, "fuzz_errors: no client: %s\n", err.message);
        abort();
    }
    atexit(free_client);
    /* Resolved, as they are after the cmfa_prepare that precedes every response. */
    if (!cmfa_client_credentials_source(client, &err)) {
        fprintf(stderr, "fuzz_errors: no credentials: %s\n", err.message);
        abort();
    }
    cmfa_error_cleanup(&err);
    return 0;
}

static void check_no_secrets(const struct cmfa_error *err)
{
    FUZZ_ASSERT(fuzz_no_secret(err->message, SECRET) && fuzz_no_secret(err->message, TOKEN));
    FUZZ_ASSERT(fuzz_no_secret(err->service_code, SECRET) &&
                fuzz_no_secret(err->service_code, TOKEN));
    FUZZ_ASSERT(fuzz_no_secret(err->request_id, SECRET) &&
                fuzz_no_secret(err->request_id, TOKEN));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = {data, size};
    struct cmfa_header headers[MAX_HEADERS];
    struct cmfa_response resp;
    struct cmfa_error err, raw;
    struct cmfa_value *out = NULL;
    const uint8_t *line;
    size_t llen, nheaders = 0, i, redacted_len = 0;
    char *first, *body, *redacted, *p;
    long status = 0;
    unsigned long opi = 0;
    const char *op;
    cmfa_code rc;

    fuzz_split(&in, "\n", &line, &llen);
    first = fuzz_strndup(line, llen);
    for (p = first; *p >= '0' && *p <= '9' && status < 1000; p++)
        status = status * 10 + (*p - '0');
    if (p == first)
        status = 400;
    while (*p == ' ')
        p++;
    opi = strtoul(p, NULL, 10);
    op = operations[opi % CMFA__ARRAY_LEN(operations)];
    free(first);

    while (in.len && nheaders < MAX_HEADERS) {
        char *h, *colon;

        fuzz_split(&in, "\n", &line, &llen);
        if (llen == 0 || (llen == 1 && line[0] == '\r'))
            break;
        h = fuzz_strndup(line, llen);
        colon = strchr(h, ':');
        headers[nheaders].name = h;
        if (colon) {
            *colon = '\0';
            for (colon++; *colon == ' ' || *colon == '\t'; colon++)
                ;
            headers[nheaders].value = colon;
        } else {
            headers[nheaders].value = "";
        }
        nheaders++;
    }
    /* The body keeps its exact bytes (embedded NULs included), with no terminator after it,
     * so a read past the end shows up under ASan. */
    body = in.len ? malloc(in.len) : NULL;
    if (in.len && !body)
        abort();
    if (in.len)
        memcpy(body, in.data, in.len);

    memset(&resp, 0, sizeof(resp));
    resp.status = status;
    resp.headers = nheaders ? headers : NULL;
    resp.nheaders = nheaders;
    resp.body = body;
    resp.body_len = in.len;

    /* The parser on its own: every field terminated and clean. */
    cmfa_error_init(&raw);
    if (status < 200 || status > 299) {
        rc = cmfa__error_from_response(&resp, &raw);
        FUZZ_ASSERT(rc == CMFA_E_SERVICE && raw.code == CMFA_E_SERVICE);
        FUZZ_ASSERT(raw.status == status);
        FUZZ_ASSERT(raw.service_code[0] != '\0');
        for (p = raw.service_code; *p; p++)
            FUZZ_ASSERT(*p > 0x20 && *p < 0x7F);
        FUZZ_ASSERT(fuzz_clean_text(raw.message));
        FUZZ_ASSERT(fuzz_clean_text(raw.request_id));
        FUZZ_ASSERT(raw.retryable == 0 || raw.retryable == 1);
        fuzz_check_error(&raw);
    }
    cmfa_error_cleanup(&raw);

    /* What a transport calls. */
    cmfa_error_init(&err);
    rc = cmfa_parse_response(client, op, &resp, &out, &err);
    fuzz_check_error(&err);
    check_no_secrets(&err);
    if (rc == CMFA_OK) {
        FUZZ_ASSERT(status >= 200 && status <= 299);
        FUZZ_ASSERT(out != NULL);
        FUZZ_ASSERT(err.code == CMFA_OK);
    } else {
        FUZZ_ASSERT(out == NULL);
        FUZZ_ASSERT(err.code == rc);
        FUZZ_ASSERT(fuzz_clean_text(err.message));
        if (status < 200 || status > 299)
            FUZZ_ASSERT(rc == CMFA_E_SERVICE && cmfa_error_kind(&err) == CMFA_KIND_SERVICE);
        else
            FUZZ_ASSERT(rc == CMFA_E_SERVICE || rc == CMFA_E_BAD_RESPONSE);
    }
    cmfa_value_free(out);
    cmfa_error_cleanup(&err);

    /* Debug output of what came back: the secrets are masked. */
    redacted = cmfa_client_redact(client, body ? body : "", in.len, &redacted_len);
    FUZZ_ASSERT(redacted != NULL);
    if (!memchr(redacted, '\0', redacted_len)) {
        FUZZ_ASSERT(fuzz_no_secret(redacted, SECRET) && fuzz_no_secret(redacted, TOKEN));
    }
    cmfa_free(redacted);

    for (i = 0; i < nheaders; i++)
        free((char *)headers[i].name);
    free(body);
    return 0;
}
