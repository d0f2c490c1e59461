/* Redaction: nothing secret leaves the library through debug text, error records or what a
 * caller asks to have cleaned. Secret headers (Authorization, X-Amz-Security-Token, the IMDS
 * token) lose their values; the client's secret key and session token are masked wherever
 * they appear, also when a server echoes them back. The debug text of each attempt (request
 * and response) is written here for every transport. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cmfa_int.h"

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



static int line_is_secret_header(const char *line, size_t len)
{
    static const char *const names[] = {"authorization:", "x-amz-security-token:",
                                        "x-aws-ec2-metadata-token:"};
    size_t i, n;

    for (i = 0; i < CMFA__ARRAY_LEN(names); i++) {
        n = strlen(names[i]);
        if (len >= n && strncasecmp(line, names[i], n) == 0)
            return (int)n;
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
                if (matched) {
                    rc = cmfa__buf_addstr(out, "[redacted]");
                    i += matched;
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

void cmfa__debug_request(struct cmfa_client *c, const struct cmfa_request *req, int attempt)
{
    char head[64];
    size_t len = 0;
    char *text;

    if (!c->debug)
        return;
    snprintf(head, sizeof(head), "attempt %d\n", attempt);
    c->debug(c->debug_userdata, head, strlen(head));
    text = cmfa_request_debug_text(req, &len);
    if (text) {
        c->debug(c->debug_userdata, text, len);
        c->debug(c->debug_userdata, "\n", 1);
        cmfa_free(text);
    }
}

void cmfa__debug_response(struct cmfa_client *client, const struct cmfa_response *resp)
{
    struct cmfa__buf raw, out;
    size_t i;
    cmfa_code rc;

    if (!client->debug)
        return;
    cmfa__buf_init(&raw, 0);
    cmfa__buf_init(&out, 0);
    rc = cmfa__buf_printf(&raw, "HTTP %ld\n", resp->status);
    for (i = 0; rc == CMFA_OK && i < resp->nheaders; i++)
        rc = cmfa__buf_printf(&raw, "%s: %s\n", resp->headers[i].name, resp->headers[i].value);
    if (rc == CMFA_OK)
        rc = cmfa__buf_addc(&raw, '\n');
    if (rc == CMFA_OK)
        rc = cmfa__buf_add(&raw, resp->body ? resp->body : "", resp->body_len);
    if (rc == CMFA_OK)
        rc = cmfa__buf_addc(&raw, '\n');
    if (rc == CMFA_OK) {
        const char *secrets[3];
        cmfa__client_secrets(client, secrets);
        rc = cmfa__redact(raw.data, raw.len, secrets, &out);
    }
    if (rc == CMFA_OK)
        client->debug(client->debug_userdata, out.data, out.len);
    cmfa__buf_cleanup(&raw);
    cmfa__buf_cleanup(&out);
}
