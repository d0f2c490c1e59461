/* libcurl transport: one reused easy handle per client (keep-alive), connect and read
 * timeouts, TLS verification on unless the caller turns it off, a cap on the response size. */
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "cmfa_int.h"

/* cmfa__xfer.errbuf is handed to CURLOPT_ERRORBUFFER */
typedef char cmfa__errbuf_is_large_enough[sizeof(((struct cmfa__xfer *)0)->errbuf) >= CURL_ERROR_SIZE ? 1 : -1];


long long cmfa__monotonic_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void cmfa__http_response_init(struct cmfa__http_response *r, size_t max_body)
{
    memset(r, 0, sizeof(*r));
    cmfa__buf_init(&r->body, max_body);
    cmfa__buf_init(&r->header_store, 256 * 1024);
}

void cmfa__http_response_cleanup(struct cmfa__http_response *r)
{
    cmfa__buf_cleanup(&r->body);
    cmfa__buf_cleanup(&r->header_store);
    cmfa_free(r->headers);
    r->headers = NULL;
    r->nheaders = r->cap_headers = 0;
    memset(&r->resp, 0, sizeof(r->resp));
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct cmfa__xfer *x = userdata;
    size_t n = size * nmemb;
    cmfa_code rc = cmfa__buf_add(&x->out->body, data, n);

    if (rc == CMFA_E_TOO_LARGE)
        x->too_large = 1;
    return rc == CMFA_OK ? n : 0;
}

/* Header lines are stored as "name\0value\0" pairs in header_store; offsets are turned into
 * pointers once the transfer is over (the store may move while it grows). */
static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct cmfa__xfer *x = userdata;
    struct cmfa__http_response *r = x->out;
    size_t n = size * nmemb, nlen, vstart, vend;
    const char *colon;

    if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        /* a new response (after a redirect or 100-continue): forget earlier headers */
        r->nheaders = 0;
        cmfa__buf_reset(&r->header_store);
        return n;
    }
    colon = memchr(data, ':', n);
    if (!colon)
        return n;
    nlen = (size_t)(colon - data);
    vstart = nlen + 1;
    while (vstart < n && (data[vstart] == ' ' || data[vstart] == '\t'))
        vstart++;
    vend = n;
    while (vend > vstart && (data[vend - 1] == '\r' || data[vend - 1] == '\n' ||
                             data[vend - 1] == ' ' || data[vend - 1] == '\t'))
        vend--;
    if (r->nheaders == r->cap_headers) {
        size_t ncap = r->cap_headers ? r->cap_headers * 2 : 16;
        struct cmfa_header *nh;
        if (ncap > 512) {
            x->header_rc = CMFA_E_TOO_LARGE;
            return 0;
        }
        nh = cmfa_realloc(r->headers, ncap * sizeof(*nh));
        if (!nh) {
            x->header_rc = CMFA_E_NOMEM;
            return 0;
        }
        r->headers = nh;
        r->cap_headers = ncap;
    }
    /* remember offsets in the pointer fields for now */
    r->headers[r->nheaders].name = (const char *)(uintptr_t)r->header_store.len;
    x->header_rc = cmfa__buf_add(&r->header_store, data, nlen);
    if (x->header_rc == CMFA_OK)
        x->header_rc = cmfa__buf_addc(&r->header_store, '\0');
    r->headers[r->nheaders].value = (const char *)(uintptr_t)r->header_store.len;
    if (x->header_rc == CMFA_OK)
        x->header_rc = cmfa__buf_add(&r->header_store, data + vstart, vend - vstart);
    if (x->header_rc == CMFA_OK)
        x->header_rc = cmfa__buf_addc(&r->header_store, '\0');
    if (x->header_rc != CMFA_OK)
        return 0;
    r->nheaders++;
    return n;
}

/* Read timeout: no byte moved in either direction for read_timeout_ms. */
static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    struct cmfa__xfer *x = userdata;
    long long now = cmfa__monotonic_ms();

    (void)dltotal;
    (void)ultotal;
    if ((long long)dlnow != x->last_dl || (long long)ulnow != x->last_ul) {
        x->last_dl = (long long)dlnow;
        x->last_ul = (long long)ulnow;
        x->last_activity_ms = now;
        return 0;
    }
    if (x->read_timeout_ms > 0 && now - x->last_activity_ms > x->read_timeout_ms) {
        x->read_timed_out = 1;
        return 1;
    }
    return 0;
}

/* Classifies a libcurl failure into a transport code. */
static cmfa_code map_curl_error(CURLcode cc, const struct cmfa__xfer *x)
{
    if (x->header_rc == CMFA_E_NOMEM)
        return CMFA_E_NOMEM;
    if (x->too_large || x->header_rc != CMFA_OK)
        return CMFA_E_TOO_LARGE;
    switch (cc) {
    case CURLE_OPERATION_TIMEDOUT:
        return CMFA_E_TIMEOUT;
    case CURLE_ABORTED_BY_CALLBACK:
        return x->read_timed_out ? CMFA_E_TIMEOUT : CMFA_E_TRANSPORT;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
        return CMFA_E_TLS;
    default:
        return CMFA_E_TRANSPORT;
    }
}

/* Options that stay the same for every transfer on a handle: set once, when the handle is new
 * (curl keeps them; only what changes per request is set per request). */
cmfa_code cmfa__xfer_handle_init(struct cmfa_client *client, void *handle)
{
    CURL *curl = handle;

    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, client->connect_timeout_ms);
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, client->insecure ? 0L : 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, client->insecure ? 0L : 2L);
    if (client->cfg.ca_file)
        curl_easy_setopt(curl, CURLOPT_CAINFO, client->cfg.ca_file);
    return CMFA_OK;
}

cmfa_code cmfa__xfer_setup(struct cmfa_client *client, void *handle,
                           const struct cmfa_request *req, struct cmfa__xfer *x,
                           struct cmfa__http_response *out)
{
    CURL *curl = handle;
    struct curl_slist *headers = NULL, *tmp;
    struct cmfa__buf line;
    cmfa_code rc = CMFA_OK;
    size_t i;

    memset(x, 0, sizeof(*x));
    cmfa__buf_init_secret(&line, 64 * 1024);   /* holds the Authorization header */
    for (i = 0; i < req->nheaders; i++) {
        /* curl computes Content-Length itself from the body */
        if (strcasecmp(req->headers[i].name, "Content-Length") == 0)
            continue;
        cmfa__buf_reset(&line);
        rc = cmfa__buf_addstr(&line, req->headers[i].name);
        if (rc == CMFA_OK)
            rc = cmfa__buf_add(&line, ": ", 2);
        if (rc == CMFA_OK)
            rc = cmfa__buf_addstr(&line, req->headers[i].value);
        if (rc != CMFA_OK)
            break;
        tmp = curl_slist_append(headers, line.data);
        if (!tmp) {
            rc = CMFA_E_NOMEM;
            break;
        }
        headers = tmp;
    }
    if (rc == CMFA_OK) {
        tmp = curl_slist_append(headers, "Expect:");
        if (tmp)
            headers = tmp;
        else
            rc = CMFA_E_NOMEM;
    }
    cmfa__buf_cleanup(&line);
    if (rc != CMFA_OK) {
        cmfa__slist_free_secret(headers);
        return rc;
    }

    x->out = out;
    x->headers = headers;
    x->read_timeout_ms = client->read_timeout_ms;
    x->last_activity_ms = cmfa__monotonic_ms();

    curl_easy_setopt(curl, CURLOPT_URL, req->url);
    if (req->method && strcmp(req->method, "GET") == 0) {
        /* credential providers' requests (SSO portal, container endpoint) */
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(curl, CURLOPT_POST, 1L);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req->body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, x);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, x->errbuf);
    return CMFA_OK;
}

cmfa_code cmfa__xfer_finish(struct cmfa_client *client, void *handle, int curl_code,
                            struct cmfa__xfer *x, char *msgbuf, size_t msgsize)
{
    CURL *curl = handle;
    struct cmfa__http_response *out = x->out;
    CURLcode cc = (CURLcode)curl_code;
    cmfa_code rc = CMFA_OK;
    long status = 0;
    size_t i;

    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    /* the handle keeps the connection, but no pointer into this transfer */
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, NULL);
    cmfa__slist_free_secret(x->headers);
    x->headers = NULL;

    for (i = 0; i < out->nheaders; i++) {
        out->headers[i].name = out->header_store.data + (uintptr_t)out->headers[i].name;
        out->headers[i].value = out->header_store.data + (uintptr_t)out->headers[i].value;
    }
    out->resp.status = status;
    out->resp.headers = out->headers;
    out->resp.nheaders = out->nheaders;
    out->resp.body = out->body.data ? out->body.data : "";
    out->resp.body_len = out->body.len;

    if (cc != CURLE_OK) {
        cmfa_code tc = map_curl_error(cc, x);
        const char *detail = x->errbuf[0] ? x->errbuf : curl_easy_strerror(cc);

        if (tc == CMFA_E_NOMEM)
            snprintf(msgbuf, msgsize, "%s", cmfa_strerror(CMFA_E_NOMEM));
        else if (tc == CMFA_E_TOO_LARGE)
            snprintf(msgbuf, msgsize, "%s", x->too_large ? "response body exceeds max_response_bytes"
                                                         : "response headers too large");
        else if (tc == CMFA_E_TIMEOUT && x->read_timed_out)
            snprintf(msgbuf, msgsize, "read timeout: no data from %s for %ld ms", client->host,
                     client->read_timeout_ms);
        else
            snprintf(msgbuf, msgsize, "%s %s: %s",
                     tc == CMFA_E_TIMEOUT ? "timeout talking to"
                     : tc == CMFA_E_TLS   ? "TLS failure with"
                                          : "cannot talk to",
                     client->host, detail);
        return tc;
    }
    return rc;
}

cmfa_code cmfa__transport_send(struct cmfa_client *client, const struct cmfa_request *req,
                               struct cmfa__http_response *out, char *msg, size_t msgsize)
{
    struct cmfa__xfer x;
    CURLcode cc;
    cmfa_code rc;

    if (!client->curl) {
        client->curl = curl_easy_init();
        if (!client->curl) {
            snprintf(msg, msgsize, "could not create a libcurl handle");
            return CMFA_E_NOMEM;
        }
        cmfa__xfer_handle_init(client, client->curl);
    }
    rc = cmfa__xfer_setup(client, client->curl, req, &x, out);
    if (rc != CMFA_OK) {
        snprintf(msg, msgsize, "%s", cmfa_strerror(rc));
        return rc;
    }
    cc = curl_easy_perform(client->curl);
    return cmfa__xfer_finish(client, client->curl, (int)cc, &x, msg, msgsize);
}

void cmfa__transport_cleanup(struct cmfa_client *client)
{
    if (client->curl) {
        curl_easy_cleanup(client->curl);
        client->curl = NULL;
    }
}
