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

/* Length of the cut-off secret at text (NUL-terminated): the first 4 or more, but not all,
 * bytes of a secret, followed by the end of the text or by the "..." that marks a cut. A
 * field cut at its size (or with "...") can end in such a piece, which the whole-secret match
 * cannot see: a session token is longer than an error message. 0 when there is none. */
static size_t cut_secret_len(const char *text, const char *const *secrets)
{
    size_t s, n;

    for (s = 0; secrets[s]; s++) {
        for (n = 0; text[n] && secrets[s][n] && text[n] == secrets[s][n]; n++)
            ;
        if (n >= 4 && secrets[s][n] && (!text[n] || strncmp(text + n, "...", 3) == 0))
            return n;
    }
    return 0;
}

void cmfa__scrub_field(const struct cmfa_client *client, char *field, size_t size)
{
    const char *secrets[3];
    struct cmfa__buf out, cut;
    size_t i;
    cmfa_code rc;

    cmfa__client_secrets(client, secrets);
    if (!secrets[0] || !field[0])
        return;
    cmfa__buf_init(&out, 0);
    cmfa__buf_init(&cut, 0);
    rc = cmfa__redact(field, strlen(field), secrets, &out);
    for (i = 0; rc == CMFA_OK && out.data && i < out.len;) {
        size_t n = cut_secret_len(out.data + i, secrets);
        if (n) {
            rc = cmfa__buf_addstr(&cut, "[redacted]");
            i += n;
        } else {
            rc = cmfa__buf_addc(&cut, out.data[i++]);
        }
    }
    if (rc == CMFA_OK && cut.data)
        cmfa__copy_field(field, size, cut.data, cut.len);
    else
        cmfa__copy_field(field, size, "[message withheld: it could not be checked for secrets]",
                         55);
    cmfa__buf_cleanup(&out);
    cmfa__buf_cleanup(&cut);
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
    cmfa__buf_init_secret(&raw, 0);   /* Authorization, session token */
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
    cmfa__buf_cleanup(&raw);   /* a secret buffer: wiped */
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
