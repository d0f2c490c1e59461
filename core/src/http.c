/* Simple one-shot HTTP requests for the credential providers (container endpoint, EC2 instance
 * metadata service): a fresh libcurl easy handle per call, no signals, short timeouts, no
 * redirects, only http and https, never through a proxy for link-local and loopback hosts.
 * Header values (tokens) never appear in error messages. */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "cmfa_int.h"

/* Hosts that are never reached through a proxy: the metadata and container endpoints and
 * loopback. Appended to the user's NO_PROXY, which CURLOPT_NOPROXY would otherwise replace. */
#define HTTP_NOPROXY_HOSTS                                                                     \
    "169.254.169.254,169.254.170.2,169.254.170.23,fd00:ec2::254,fd00:ec2::23,localhost,"      \
    "127.0.0.1,::1"

struct sink {
    struct cmfa__buf *body;
    cmfa_code rc;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct sink *s = userdata;
    size_t n = size * nmemb;

    s->rc = cmfa__buf_add(s->body, data, n);
    return s->rc == CMFA_OK ? n : 0;   /* 0 aborts the transfer */
}

/* The URL without its query string, for messages. */
static void url_for_message(const char *url, char *out, size_t outsize)
{
    size_t n = strcspn(url, "?#");
    size_t i;

    if (n >= outsize)
        n = outsize - 1;
    for (i = 0; i < n; i++)
        out[i] = (url[i] > 0x20 && url[i] < 0x7f) ? url[i] : '?';
    out[n] = '\0';
}

static cmfa_code map_curl_code(CURLcode cc)
{
    switch (cc) {
    case CURLE_OPERATION_TIMEDOUT:
        return CMFA_E_TIMEOUT;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
        return CMFA_E_TLS;
    default:
        return CMFA_E_TRANSPORT;
    }
}

cmfa_code cmfa__http_simple(const char *method, const char *url, const char *const *headers,
                            long timeout_ms, const char *ca_file, long *status,
                            struct cmfa__buf *body, struct cmfa_error *err)
{
    CURL *curl = NULL;
    struct curl_slist *list = NULL, *tmp;
    struct sink sink;
    struct cmfa__buf noproxy;
    char errbuf[CURL_ERROR_SIZE];
    char shown[256];
    const char *user_noproxy;
    CURLcode cc;
    cmfa_code rc = CMFA_OK;
    size_t i;

    if (status)
        *status = 0;
    if (!method || !url || !body)
        return cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "http request without method, URL or body");
    if (strcmp(method, "GET") != 0 && strcmp(method, "PUT") != 0)
        return cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "unsupported HTTP method");
    url_for_message(url, shown, sizeof(shown));
    cmfa__buf_reset(body);
    cmfa__buf_init(&noproxy, 4096);
    sink.body = body;
    sink.rc = CMFA_OK;
    errbuf[0] = '\0';

    curl = curl_easy_init();
    if (!curl) {
        rc = cmfa__fail(err, CMFA_E_INTERNAL, "curl_easy_init failed");
        goto cleanup;
    }
    for (i = 0; headers && headers[i]; i++) {
        tmp = curl_slist_append(list, headers[i]);
        if (!tmp) {
            rc = cmfa__fail(err, CMFA_E_NOMEM, NULL);
            goto cleanup;
        }
        list = tmp;
    }
    if (strcmp(method, "PUT") == 0) {
        /* An empty PUT body; drop the form content type curl would add. */
        tmp = curl_slist_append(list, "Content-Type:");
        if (!tmp) {
            rc = cmfa__fail(err, CMFA_E_NOMEM, NULL);
            goto cleanup;
        }
        list = tmp;
    }
    user_noproxy = getenv("NO_PROXY");
    if (!user_noproxy || !*user_noproxy)
        user_noproxy = getenv("no_proxy");
    if (user_noproxy && *user_noproxy) {
        if (strcmp(user_noproxy, "*") == 0)
            rc = cmfa__buf_addstr(&noproxy, "*");
        else
            rc = cmfa__buf_printf(&noproxy, "%s,%s", user_noproxy, HTTP_NOPROXY_HOSTS);
    } else {
        rc = cmfa__buf_addstr(&noproxy, HTTP_NOPROXY_HOSTS);
    }
    if (rc != CMFA_OK) {
        /* A NO_PROXY too long to extend: go without a proxy at all. */
        cmfa__buf_reset(&noproxy);
        rc = cmfa__buf_addstr(&noproxy, "*");
        if (rc != CMFA_OK) {
            rc = cmfa__fail(err, rc, NULL);
            goto cleanup;
        }
    }

    cc = curl_easy_setopt(curl, CURLOPT_URL, url);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
#if LIBCURL_VERSION_NUM >= 0x075500
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(curl, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    if (cc == CURLE_OK && timeout_ms > 0)
        cc = curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    if (cc == CURLE_OK && timeout_ms > 0)
        cc = curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    if (cc == CURLE_OK && ca_file && *ca_file)
        cc = curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(curl, CURLOPT_NOPROXY, noproxy.data);
    if (cc == CURLE_OK && list)
        cc = curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
    if (cc == CURLE_OK && strcmp(method, "PUT") == 0) {
        cc = curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "PUT");
        if (cc == CURLE_OK)
            cc = curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, 0L);
        if (cc == CURLE_OK)
            cc = curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
    } else if (cc == CURLE_OK) {
        cc = curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    }
    if (cc != CURLE_OK) {
        rc = cmfa__fail(err, cc == CURLE_OUT_OF_MEMORY ? CMFA_E_NOMEM : CMFA_E_INTERNAL,
                        "%s %s: cannot set up the request: %s", method, shown,
                        curl_easy_strerror(cc));
        goto cleanup;
    }

    cc = curl_easy_perform(curl);
    if (cc == CURLE_WRITE_ERROR && sink.rc != CMFA_OK) {
        if (sink.rc == CMFA_E_TOO_LARGE)
            rc = cmfa__fail(err, CMFA_E_TOO_LARGE, "%s %s: response larger than %zu bytes",
                            method, shown, body->max);
        else
            rc = cmfa__fail(err, sink.rc, NULL);
        goto cleanup;
    }
    if (cc != CURLE_OK) {
        rc = cmfa__fail(err, map_curl_code(cc), "%s %s: %s", method, shown,
                        errbuf[0] ? errbuf : curl_easy_strerror(cc));
        goto cleanup;
    }
    if (status) {
        long code = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
        *status = code;
    }

cleanup:
    if (curl)
        curl_easy_cleanup(curl);
    cmfa__slist_free_secret(list);
    cmfa__buf_cleanup(&noproxy);
    return rc;
}

void cmfa__slist_free_secret(struct curl_slist *list)
{
    struct curl_slist *l;

    for (l = list; l; l = l->next)
        if (l->data)
            cmfa__wipe(l->data, strlen(l->data));
    curl_slist_free_all(list);
}

cmfa_code cmfa__url_split(const char *url, char **host, char **path, struct cmfa_error *err)
{
    CURLU *u = curl_url();
    char *h = NULL, *port = NULL, *p = NULL;
    char shown[200];
    struct cmfa__buf hb;
    cmfa_code rc = CMFA_OK;

    *host = NULL;
    *path = NULL;
    cmfa__buf_init(&hb, 1024);
    if (!u)
        return cmfa__fail(err, CMFA_E_NOMEM, NULL);
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK) {
        rc = cmfa__fail(err, CMFA_E_CONFIG, "endpoint_url '%s' is not a valid URL",
                        cmfa__printable(url, shown, sizeof(shown)));
        goto cleanup;
    }
    curl_url_get(u, CURLUPART_PORT, &port, 0);   /* only when written in the URL */
    curl_url_get(u, CURLUPART_PATH, &p, 0);
    rc = cmfa__buf_addstr(&hb, h);
    if (rc == CMFA_OK && port)
        rc = cmfa__buf_printf(&hb, ":%s", port);
    if (rc == CMFA_OK) {
        *host = cmfa__buf_take(&hb, NULL);
        *path = cmfa__strdup(p && p[0] ? p : "/");
        if (!*host || !*path) {
            cmfa_free(*host);
            cmfa_free(*path);
            *host = *path = NULL;
            rc = CMFA_E_NOMEM;
        }
    }
    if (rc != CMFA_OK)
        cmfa__fail(err, rc, NULL);
cleanup:
    curl_free(h);
    curl_free(port);
    curl_free(p);
    curl_url_cleanup(u);
    cmfa__buf_cleanup(&hb);
    return rc;
}
