/* Fault tests against tools/fault_server.py (started by tools/peer.py): 500/503, throttling,
 * garbage and truncated bodies, a connection reset, a stalled response, oversize bodies. Each
 * ends within its timeout with the right error kind and number of attempts. Also checks the
 * request shape, keep-alive and that debug output carries no secret. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <curl/curl.h>

#include "cmfa_int.h"
#include "../check.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define TOKEN "FQoGZXIvYXdzEXAMPLESESSIONTOKENVALUE1234567890"

static const char *endpoint;

static size_t collect(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct cmfa__buf *b = userdata;
    return cmfa__buf_add(b, data, size * nmemb) == CMFA_OK ? size * nmemb : 0;
}

/* Plain libcurl calls to the control paths of the fault server. */
static char *control(const char *path, const char *post_body)
{
    CURL *h = curl_easy_init();
    struct cmfa__buf b;
    char url[256];

    cmfa__buf_init(&b, 0);
    snprintf(url, sizeof(url), "%s%s", endpoint, path);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    if (post_body)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, post_body);
    CHECK(curl_easy_perform(h) == CURLE_OK);
    curl_easy_cleanup(h);
    return cmfa__buf_take(&b, NULL);
}

static void script(const char *steps)
{
    cmfa_free(control("/__script", steps));
}

static struct cmfa_value *requests(void)
{
    char *text = control("/__requests", NULL);
    struct cmfa_value *v = cmfa_value_parse(text, strlen(text), NULL);
    cmfa_free(text);
    return v;
}

static struct cmfa__buf debug_text;

static void on_debug(void *ud, const char *text, size_t len)
{
    (void)ud;
    cmfa__buf_add(&debug_text, text, len);
}

static struct cmfa_client *client_with(long read_timeout_ms, int max_attempts, size_t max_body,
                                       int with_debug)
{
    struct cmfa_client_options o;
    struct cmfa_client *c;
    struct cmfa_error err;

    memset(&o, 0, sizeof(o));
    o.endpoint_url = endpoint;
    o.region = "us-west-2";
    o.access_key_id = "AKIDEXAMPLE";
    o.secret_access_key = SECRET;
    o.session_token = TOKEN;
    o.read_timeout_ms = read_timeout_ms;
    o.connect_timeout_ms = 2000;
    o.max_attempts = max_attempts;
    o.max_response_bytes = max_body;
    o.retry_seed = 7;
    if (with_debug) {
        o.debug = on_debug;
        o.debug_userdata = NULL;
    }
    cmfa_error_init(&err);
    c = cmfa_client_new(&o, &err);
    CHECK_MSG(c != NULL, "%s", err.message);
    cmfa_error_cleanup(&err);
    return c;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct outcome {
    cmfa_code rc;
    cmfa_kind kind;
    int attempts;
    int retryable;
    long status;
    char code[128];
    double seconds;
};

/* ------------------------------------------------------------------------------------------
 * A custom transport written as cmfa.h documents it: plain sockets, HTTP/1.1, one connection
 * per attempt, driving the operation object. The fault scenarios run through it and through
 * the built-in libcurl transport and must end the same way (codes, kinds, attempts).
 * ------------------------------------------------------------------------------------------ */
static int use_custom_transport;

/* Sends req to the endpoint and reads the whole answer; fills status/headers/body or returns
 * a transport code with a message. */
static cmfa_code socket_send(const struct cmfa_request *req, long timeout_ms, long *status,
                             struct cmfa_header *hdrs, size_t *nhdrs, struct cmfa__buf *raw,
                             size_t *body_off, size_t *body_len, char *msg, size_t msgsize)
{
    struct sockaddr_in sa;
    const char *hostport = strstr(endpoint, "://") + 3;
    const char *path = strchr(hostport, '/');
    struct cmfa__buf out;
    char line[64];
    int fd, port = atoi(strchr(hostport, ':') + 1);
    size_t i, maxh = *nhdrs, sent = 0;
    char *p, *end, *hend;
    long clen = -1;

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        snprintf(msg, msgsize, "connect: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return CMFA_E_TRANSPORT;
    }
    cmfa__buf_init(&out, 0);
    cmfa__buf_printf(&out, "%s %s HTTP/1.1\r\n", req->method, path ? path : "/");
    for (i = 0; i < req->nheaders; i++)
        cmfa__buf_printf(&out, "%s: %s\r\n", req->headers[i].name, req->headers[i].value);
    cmfa__buf_addstr(&out, "Connection: close\r\n\r\n");
    cmfa__buf_add(&out, req->body, req->body_len);
    while (sent < out.len) {
        ssize_t n = send(fd, out.data + sent, out.len - sent, MSG_NOSIGNAL);
        if (n <= 0)
            break;
        sent += (size_t)n;
    }
    cmfa__buf_cleanup(&out);
    for (;;) {
        struct pollfd pfd = {fd, POLLIN, 0};
        char chunk[4096];
        ssize_t n;
        int pr = poll(&pfd, 1, (int)timeout_ms);
        if (pr == 0) {
            close(fd);
            snprintf(msg, msgsize, "read timeout after %ld ms", timeout_ms);
            return CMFA_E_TIMEOUT;
        }
        n = recv(fd, chunk, sizeof(chunk), 0);
        if (n < 0) {
            close(fd);
            snprintf(msg, msgsize, "recv: %s", strerror(errno));
            return CMFA_E_TRANSPORT;
        }
        if (n == 0)
            break;
        cmfa__buf_add(raw, chunk, (size_t)n);
    }
    close(fd);
    if (!raw->data || !(hend = strstr(raw->data, "\r\n\r\n")) ||
        sscanf(raw->data, "HTTP/1.%*c %ld", status) != 1) {
        snprintf(msg, msgsize, "no HTTP response");
        return CMFA_E_TRANSPORT;
    }
    *hend = '\0';
    *nhdrs = 0;
    for (p = strstr(raw->data, "\r\n"); p && *nhdrs < maxh; p = end) {
        char *colon;
        *p = '\0';
        p += 2;
        end = strstr(p, "\r\n");
        if (end)
            *end = '\0';
        colon = strchr(p, ':');
        if (colon) {
            *colon = '\0';
            hdrs[*nhdrs].name = p;
            hdrs[*nhdrs].value = colon + 1 + strspn(colon + 1, " ");
            if (strcasecmp(p, "Content-Length") == 0)
                clen = atol(hdrs[*nhdrs].value);
            (*nhdrs)++;
        }
        if (end)
            *end = '\r';
    }
    *body_off = (size_t)(hend + 4 - raw->data);
    *body_len = raw->len - *body_off;
    if (clen >= 0 && (size_t)clen > *body_len) {
        snprintf(line, sizeof(line), "truncated: %zu of %ld bytes", *body_len, clen);
        snprintf(msg, msgsize, "%s", line);
        return CMFA_E_TRANSPORT;
    }
    return CMFA_OK;
}

static cmfa_code custom_call(struct cmfa_client *c, const char *operation,
                             const struct cmfa_value *input, struct cmfa_value **out,
                             struct cmfa_error *err)
{
    struct cmfa_op *op = cmfa_op_new(c, operation, input, err);
    const struct cmfa_request *req;
    cmfa_op_step step;
    long delay_ms;
    cmfa_code rc;

    if (!op)
        return err->code;
    while ((step = cmfa_op_next(op, &req, &delay_ms)) == CMFA_OP_SEND || step == CMFA_OP_WAIT) {
        struct cmfa_header hdrs[32];
        struct cmfa_response resp;
        struct cmfa__buf raw;
        size_t nh = 32, off = 0, blen = 0;
        char msg[256];
        long status = 0;

        if (step == CMFA_OP_WAIT) {
            struct timespec ts = {delay_ms / 1000, (delay_ms % 1000) * 1000000L};
            nanosleep(&ts, NULL);
            continue;
        }
        cmfa__buf_init(&raw, 0);
        rc = socket_send(req, c->read_timeout_ms, &status, hdrs, &nh, &raw, &off, &blen, msg,
                         sizeof(msg));
        if (rc == CMFA_OK && blen > c->max_response_bytes) {   /* the caller's cap */
            rc = CMFA_E_TOO_LARGE;
            snprintf(msg, sizeof(msg), "response body exceeds max_response_bytes");
        }
        if (rc == CMFA_OK) {
            memset(&resp, 0, sizeof(resp));
            resp.status = status;
            resp.headers = hdrs;
            resp.nheaders = nh;
            resp.body = raw.data + off;
            resp.body_len = blen;
            cmfa_op_response(op, &resp);
        } else {
            cmfa_op_transport_failed(op, rc, msg);
        }
        cmfa__buf_cleanup(&raw);
    }
    rc = cmfa_op_error(op)->code;
    *out = cmfa_op_take_output(op);
    *err = *cmfa_op_error(op);            /* no violations can be in it after sending */
    err->violations = NULL;
    err->nviolations = 0;
    cmfa_op_free(op);
    return rc;
}

static struct outcome get(struct cmfa_client *c)
{
    struct outcome o;
    struct cmfa_error err;
    struct cmfa_value *out = NULL;
    double t0 = now_s();

    cmfa_error_init(&err);
    if (use_custom_transport) {
        struct cmfa_value *in = cmfa_value_new_object();
        cmfa_value_set(in, "UserPoolId", cmfa_value_new_string("us-west-2_Fault1", 16));
        o.rc = custom_call(c, "GetUserPoolMfaConfig", in, &out, &err);
        cmfa_value_free(in);
    } else {
        o.rc = cmfa_get_user_pool_mfa_config(c, "us-west-2_Fault1", &out, &err);
    }
    o.seconds = now_s() - t0;
    o.kind = cmfa_error_kind(&err);
    o.attempts = err.attempts;
    o.retryable = err.retryable;
    o.status = err.status;
    snprintf(o.code, sizeof(o.code), "%s", err.service_code);
    cmfa_value_free(out);
    cmfa_error_cleanup(&err);
    return o;
}

#define OK_BODY "{\"MfaConfiguration\":\"OFF\"}"

static void test_server_errors(void)
{
    struct cmfa_client *c = client_with(2000, 3, 0, 0);
    struct outcome o;

    script("[{\"status\":500,\"body\":\"{\\\"__type\\\":\\\"InternalErrorException\\\","
           "\\\"message\\\":\\\"boom\\\"}\"},{\"status\":502,\"body\":\"<html>bad gateway</html>\","
           "\"headers\":{\"Content-Type\":\"text/html\"}},{\"status\":200,\"body\":\"" "{\\\"MfaConfiguration\\\":\\\"OFF\\\"}" "\"}]");
    o = get(c);
    CHECK_INT(o.rc, CMFA_OK);
    CHECK_INT(o.attempts, 3);

    script("[{\"status\":503,\"body\":\"\"}]");
    o = get(c);
    CHECK_INT(o.rc, CMFA_E_SERVICE);
    CHECK_INT(o.kind, CMFA_KIND_SERVICE);
    CHECK_INT(o.attempts, 3);
    CHECK_INT(o.retryable, 1);
    CHECK_INT(o.status, 503);
    CHECK_MSG(o.seconds < 10, "took %.1f s", o.seconds);

    script("[{\"status\":400,\"headers\":{\"X-Amzn-ErrorType\":\"TooManyRequestsException:\"},"
           "\"body\":\"{\\\"message\\\":\\\"Rate exceeded\\\"}\"},{\"status\":200,\"body\":\"{}\"}]");
    o = get(c);
    CHECK_INT(o.rc, CMFA_OK);
    CHECK_INT(o.attempts, 2);

    script("[{\"status\":400,\"body\":\"{\\\"__type\\\":\\\"TooManyRequestsException\\\","
           "\\\"message\\\":\\\"Rate exceeded\\\"}\"}]");
    o = get(c);
    CHECK_INT(o.rc, CMFA_E_SERVICE);
    CHECK_STR(o.code, "TooManyRequestsException");
    CHECK_INT(o.attempts, 3);

    script("[{\"status\":400,\"body\":\"{\\\"__type\\\":\\\"ResourceNotFoundException\\\","
           "\\\"message\\\":\\\"User pool us-west-2_Fault1 does not exist.\\\"}\"}]");
    o = get(c);
    CHECK_INT(o.rc, CMFA_E_SERVICE);
    CHECK_STR(o.code, "ResourceNotFoundException");
    CHECK_INT(o.attempts, 1);
    CHECK_INT(o.retryable, 0);

    script("[{\"status\":400,\"body\":\"{\\\"__type\\\":\\\"ConcurrentModificationException\\\","
           "\\\"message\\\":\\\"busy\\\"}\"}]");
    o = get(c);
    CHECK_STR(o.code, "ConcurrentModificationException");
    CHECK_INT(o.attempts, 1);

    /* Coral's envelope on a 200 is an error too */
    script("[{\"status\":200,\"body\":\"{\\\"Output\\\":{\\\"__type\\\":"
           "\\\"com.amazon.coral.service#UnknownOperationException\\\"},\\\"Version\\\":\\\"1.0\\\"}\"}]");
    o = get(c);
    CHECK_INT(o.rc, CMFA_E_SERVICE);
    CHECK_STR(o.code, "UnknownOperationException");
    cmfa_client_free(c);
}

static void test_broken_bodies(void)
{
    struct cmfa_client *c = client_with(2000, 3, 0, 0);
    struct outcome o;

    script("[{\"status\":200,\"body\":\"<html>not json</html>\"}]");
    o = get(c);
    CHECK_INT(o.rc, CMFA_E_BAD_RESPONSE);
    CHECK_INT(o.kind, CMFA_KIND_TRANSPORT);
    CHECK_INT(o.attempts, 1);

    script("[{\"status\":200,\"body\":\"{\\\"MfaConfiguration\\\":5}\"}]");
    o = get(c);
    CHECK_INT(o.rc, CMFA_E_BAD_RESPONSE);

    script("[{\"action\":\"truncate\",\"body\":\"{\\\"MfaConfig\",\"length\":200}]");
    o = get(c);
    CHECK_INT(o.kind, CMFA_KIND_TRANSPORT);
    CHECK_INT(o.attempts, 3);
    CHECK_MSG(o.seconds < 10, "took %.1f s", o.seconds);

    script("[{\"action\":\"reset\"},{\"action\":\"reset\"},{\"status\":200,\"body\":\"{}\"}]");
    o = get(c);
    CHECK_INT(o.rc, CMFA_OK);
    CHECK_INT(o.attempts, 3);

    script("[{\"action\":\"reset\"}]");
    o = get(c);
    CHECK_INT(o.rc, CMFA_E_TRANSPORT);
    CHECK_INT(o.attempts, 3);
    CHECK_INT(o.retryable, 1);
    cmfa_client_free(c);

    /* a body above the cap is refused and not retried */
    c = client_with(2000, 3, 64, 0);
    script("[{\"status\":200,\"body\":\"{\\\"MfaConfiguration\\\":\\\"OFF\\\",\\\"Pad\\\":"
           "\\\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\\\"}\"}]");
    o = get(c);
    CHECK_INT(o.rc, CMFA_E_TOO_LARGE);
    CHECK_INT(o.attempts, 1);
    cmfa_client_free(c);
}

static void test_stall(void)
{
    struct cmfa_client *c = client_with(500, 2, 0, 0);
    struct outcome o;

    script("[{\"action\":\"stall\",\"seconds\":20}]");
    o = get(c);
    CHECK_INT(o.rc, CMFA_E_TIMEOUT);
    CHECK_INT(o.kind, CMFA_KIND_TRANSPORT);
    CHECK_INT(o.attempts, 2);
    /* two 0.5 s read timeouts and at most one 1 s backoff */
    CHECK_MSG(o.seconds < 4.0, "stall took %.2f s", o.seconds);
    cmfa_client_free(c);
}

static void test_connection_refused(void)
{
    struct cmfa_client_options o;
    struct cmfa_client *c;
    struct cmfa_error err;
    struct cmfa_value *out = NULL;
    cmfa_code rc;

    memset(&o, 0, sizeof(o));
    o.endpoint_url = "http://127.0.0.1:1";   /* nothing listens on port 1 */
    o.region = "us-east-1";
    o.access_key_id = "AKIDEXAMPLE";
    o.secret_access_key = SECRET;
    o.retry_seed = 3;
    cmfa_error_init(&err);
    c = cmfa_client_new(&o, &err);
    CHECK(c != NULL);
    rc = cmfa_get_user_pool_mfa_config(c, "us-east-1_Abc", &out, &err);
    CHECK_INT(rc, CMFA_E_TRANSPORT);
    CHECK_INT(err.attempts, 3);
    CHECK(strstr(err.message, "127.0.0.1") != NULL);
    cmfa_error_cleanup(&err);
    cmfa_client_free(c);
}

static void test_request_shape_and_keepalive(void)
{
    struct cmfa_client *c = client_with(2000, 3, 0, 1);
    struct cmfa_value *log;
    const struct cmfa_value *r0, *r1;
    const char *authz, *ua;
    struct outcome o;

    script("[{\"status\":200,\"body\":\"" "{\\\"MfaConfiguration\\\":\\\"OFF\\\"}" "\"}]");
    o = get(c);
    CHECK_INT(o.rc, CMFA_OK);
    o = get(c);
    CHECK_INT(o.rc, CMFA_OK);
    log = requests();
    CHECK(log && cmfa_value_count(log) == 2);
    r0 = cmfa_value_at(log, 0, NULL);
    r1 = cmfa_value_at(log, 1, NULL);
    CHECK_STR(cmfa_value_string(cmfa_value_get(r0, "method"), NULL), "POST");
    CHECK_STR(cmfa_value_string(cmfa_value_get(r0, "path"), NULL), "/");
    CHECK_STR(cmfa_value_string(cmfa_value_path(r0, "headers.Content-Type"), NULL),
              "application/x-amz-json-1.1");
    CHECK_STR(cmfa_value_string(cmfa_value_path(r0, "headers.X-Amz-Target"), NULL),
              "AWSCognitoIdentityProviderService.GetUserPoolMfaConfig");
    CHECK_STR(cmfa_value_string(cmfa_value_path(r0, "headers.X-Amz-Security-Token"), NULL),
              TOKEN);
    CHECK_STR(cmfa_value_string(cmfa_value_get(r0, "body"), NULL),
              "{\"UserPoolId\":\"us-west-2_Fault1\"}");
    authz = cmfa_value_string(cmfa_value_path(r0, "headers.Authorization"), NULL);
    CHECK(authz && strncmp(authz, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/", 40) == 0);
    CHECK(authz && strstr(authz, "/us-west-2/cognito-idp/aws4_request") != NULL);
    CHECK(authz && strstr(authz, "SignedHeaders=content-type;host;x-amz-date;"
                                 "x-amz-security-token;x-amz-target") != NULL);
    ua = cmfa_value_string(cmfa_value_path(r0, "headers.User-Agent"), NULL);
    CHECK(ua && strncmp(ua, "cognito-mfa/" CMFA_VERSION, 12 + strlen(CMFA_VERSION)) == 0);
    /* keep-alive: both requests came over the same connection */
    CHECK(cmfa_value_number(cmfa_value_get(r0, "client_port")) ==
          cmfa_value_number(cmfa_value_get(r1, "client_port")));
    cmfa_value_free(log);

    /* debug text shows the exchange but no secret */
    CHECK(debug_text.len > 0 && strstr(debug_text.data, "GetUserPoolMfaConfig") != NULL);
    CHECK(debug_text.data && strstr(debug_text.data, SECRET) == NULL);
    CHECK(debug_text.data && strstr(debug_text.data, TOKEN) == NULL);
    CHECK(debug_text.data && strstr(debug_text.data, "Signature=") == NULL);
    cmfa_client_free(c);
    cmfa__buf_cleanup(&debug_text);
}

/* A server that echoes secrets back (in a message, a code, a request id) does not get them
 * into errors or debug output. */
static void test_echoed_secrets(void)
{
    struct cmfa_client *c = client_with(2000, 1, 0, 1);
    struct cmfa_error err;
    struct cmfa_value *out = NULL;
    cmfa_code rc;

    script("[{\"status\":400,\"headers\":{\"x-amzn-RequestId\":\"" TOKEN "\"},"
           "\"body\":\"{\\\"__type\\\":\\\"NotAuthorizedException\\\","
           "\\\"message\\\":\\\"bad token " TOKEN " for secret " SECRET "\\\"}\"}]");
    cmfa__buf_reset(&debug_text);
    cmfa_error_init(&err);
    rc = cmfa_get_user_pool_mfa_config(c, "us-west-2_Fault1", &out, &err);
    CHECK_INT(rc, CMFA_E_SERVICE);
    CHECK_STR(err.service_code, "NotAuthorizedException");
    CHECK_MSG(strstr(err.message, TOKEN) == NULL && strstr(err.message, SECRET) == NULL, "%s",
              err.message);
    CHECK(strstr(err.message, "[redacted]") != NULL);
    CHECK(strstr(err.request_id, TOKEN) == NULL);
    CHECK(debug_text.data && strstr(debug_text.data, TOKEN) == NULL);
    CHECK(debug_text.data && strstr(debug_text.data, SECRET) == NULL);
    /* request and response debug text are separate lines */
    CHECK(debug_text.data && strstr(debug_text.data, "}HTTP") == NULL);
    cmfa_error_cleanup(&err);
    cmfa_client_free(c);
    cmfa__buf_cleanup(&debug_text);
}

static void test_max_attempts_env(void)
{
    struct cmfa_client *c;
    struct outcome o;

    setenv("AWS_MAX_ATTEMPTS", "5", 1);
    c = client_with(2000, 0, 0, 0);
    unsetenv("AWS_MAX_ATTEMPTS");
    CHECK_INT(cmfa_client_max_attempts(c), 5);
    script("[{\"status\":500,\"body\":\"{}\"},{\"status\":500,\"body\":\"{}\"},"
           "{\"status\":500,\"body\":\"{}\"},{\"status\":500,\"body\":\"{}\"},"
           "{\"status\":200,\"body\":\"{}\"}]");
    o = get(c);
    CHECK_INT(o.rc, CMFA_OK);
    CHECK_INT(o.attempts, 5);
    cmfa_client_free(c);
}

static struct cmfa_value *pool_input(const char *id)
{
    struct cmfa_value *v = cmfa_value_new_object();
    cmfa_value_set(v, "UserPoolId", cmfa_value_new_string(id, strlen(id)));
    return v;
}

static void test_call_many(void)
{
    struct cmfa_client *c = client_with(5000, 3, 0, 0);
    struct cmfa_batch_item items[12];
    struct cmfa_value *inputs[12], *log;
    struct cmfa_error err;
    size_t i, j, distinct = 0, sent = 0;
    double ports[12];
    int attempts = 0;
    cmfa_code rc;

    cmfa_error_init(&err);
    for (i = 0; i < 12; i++) {
        char id[32];
        snprintf(id, sizeof(id), "us-west-2_Many%zu", i);
        inputs[i] = pool_input(i == 3 || i == 7 ? "not a pool id" : id);
        items[i].input = inputs[i];
    }

    /* every response takes 0.2 s: with concurrency 4 the requests overlap on 4 connections */
    script("[{\"status\":200,\"delay\":0.2,\"body\":\"{\\\"MfaConfiguration\\\":\\\"ON\\\"}\"}]");
    rc = cmfa_call_many(c, "GetUserPoolMfaConfig", items, 12, 4, &err);
    CHECK_INT(rc, CMFA_OK);
    for (i = 0; i < 12; i++) {
        if (i == 3 || i == 7) {
            CHECK_INT(items[i].err.code, CMFA_E_VALIDATION);
            CHECK_INT(items[i].err.attempts, 0);
            CHECK(items[i].output == NULL);
        } else {
            CHECK_MSG(items[i].err.code == CMFA_OK, "item %zu: %s", i, items[i].err.message);
            CHECK_INT(items[i].err.attempts, 1);
            CHECK_STR(cmfa_value_string(cmfa_value_get(items[i].output, "MfaConfiguration"), NULL),
                      "ON");
        }
        cmfa_value_free(items[i].output);
        cmfa_error_cleanup(&items[i].err);
    }
    log = requests();
    sent = cmfa_value_count(log);
    CHECK_INT(sent, 10);   /* the two invalid items were never sent */
    for (i = 0; i < sent && i < 12; i++) {
        double port = cmfa_value_number(cmfa_value_get(cmfa_value_at(log, i, NULL), "client_port"));
        for (j = 0; j < distinct && ports[j] != port; j++)
            ;
        if (j == distinct)
            ports[distinct++] = port;
    }
    CHECK_MSG(distinct == 4, "requests came over %zu connections, expected 4", distinct);
    cmfa_value_free(log);

    /* retries happen inside the batch: two 503s, then success for everyone */
    script("[{\"status\":503,\"body\":\"\"},{\"status\":503,\"body\":\"\"},"
           "{\"status\":200,\"body\":\"{}\"}]");
    for (i = 0; i < 3; i++)
        items[i].input = inputs[i == 0 ? 0 : i == 1 ? 1 : 2];
    rc = cmfa_call_many(c, "GetUserPoolMfaConfig", items, 3, 3, &err);
    CHECK_INT(rc, CMFA_OK);
    for (i = 0; i < 3; i++) {
        CHECK_MSG(items[i].err.code == CMFA_OK, "retry item %zu: %s", i, items[i].err.message);
        attempts += items[i].err.attempts;
        cmfa_value_free(items[i].output);
        cmfa_error_cleanup(&items[i].err);
    }
    CHECK_INT(attempts, 5);

    /* arguments */
    CHECK_INT(cmfa_call_many(c, "GetUserPoolMfaConfig", items, 3, 0, &err), CMFA_E_BAD_ARGUMENT);
    cmfa_error_cleanup(&err);
    CHECK_INT(cmfa_call_many(c, "GetUserPoolMfaConfig", NULL, 0, 2, &err), CMFA_OK);
    for (i = 0; i < 12; i++)
        cmfa_value_free(inputs[i]);
    cmfa_client_free(c);
}

int main(void)
{
    endpoint = getenv("CMFA_TEST_ENDPOINT");
    if (!endpoint) {
        fprintf(stderr, "run me through tools/peer.py run fault\n");
        return 2;
    }
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    cmfa_global_init();
    cmfa__buf_init(&debug_text, 0);
    test_server_errors();
    test_broken_bodies();
    /* the same scenarios through a custom transport driving the operation object */
    use_custom_transport = 1;
    test_server_errors();
    test_broken_bodies();
    use_custom_transport = 0;
    test_stall();
    test_connection_refused();
    test_request_shape_and_keepalive();
    test_max_attempts_env();
    test_echoed_secrets();
    test_call_many();
    cmfa_global_cleanup();
    return check_done("it_faults");
}
