/* AWS Signature Version 4 (header signing): canonical request, string to sign, the signing key
 * (with a one-entry cache) and the Authorization header value. SHA-256 and HMAC come from
 * OpenSSL 3 (EVP_Digest*, EVP_MAC); nothing deprecated in 3.0 is used.
 *
 * Secrets: the secret access key goes only into the HMAC key of the first derivation step and
 * into the SHA-256 the cache compares; every stack copy of key material is wiped with
 * cmfa__wipe (OPENSSL_cleanse). Nothing here writes errors or logs, so no secret can leak
 * through them. */
#ifndef OPENSSL_API_COMPAT
#define OPENSSL_API_COMPAT 30000
#endif
#ifndef OPENSSL_NO_DEPRECATED
#define OPENSSL_NO_DEPRECATED
#endif

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "cmfa_int.h"

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define SIGV4_TERMINATOR "aws4_request"
#define SHA256_LEN 32
#define HMAC_BLOCK 64          /* SHA-256 block size: longer HMAC keys are hashed first */
#define AMZ_DATE_LEN 16        /* YYYYMMDDTHHMMSSZ */
#define SCOPE_PART_MAX 63      /* region and service fit the cache fields (64 with NUL) */

/* ------------------------------------------------------------------ small helpers */

static int is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* RFC 9110 token character (header field names, methods). */
static int is_tchar(unsigned char c)
{
    return is_alnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* SigV4 unreserved set: never percent-encoded. */
static int is_unreserved(unsigned char c)
{
    return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static unsigned char to_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Drops whatever was appended to b after len (used to undo partial output on failure). */
static void buf_truncate(struct cmfa__buf *b, size_t len)
{
    if (b && b->data && len <= b->len) {
        b->len = len;
        b->data[len] = '\0';
    }
}

static int token_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    if (!s || !*s)
        return 0;
    for (; *p; p++)
        if (!is_tchar(*p))
            return 0;
    return 1;
}

/* Header values: no control characters except HTAB; CR/LF only as an obs-fold (line break
 * followed by SP or HTAB), so a value can never smuggle in another header. */
static int header_value_ok(const char *v)
{
    const unsigned char *p = (const unsigned char *)v;

    if (!v)
        return 0;
    for (; *p; p++) {
        if (*p == '\r' || *p == '\n') {
            if (p[0] == '\r' && p[1] == '\n')
                p++;
            if (p[1] != ' ' && p[1] != '\t')
                return 0;
            continue;
        }
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
            return 0;
    }
    return 1;
}

/* Region and service: 1..63 printable characters, no '/' (scope separator), ',' or space. */
static int scope_part_ok(const char *s)
{
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)s;

    if (!s)
        return 0;
    for (; *p; p++, n++)
        if (*p <= 0x20 || *p >= 0x7f || *p == '/' || *p == ',')
            return 0;
    return n >= 1 && n <= SCOPE_PART_MAX;
}

static int amz_date_ok(const char *d)
{
    static const char shape[] = "dddddddd" "T" "dddddd" "Z";
    size_t i;

    if (!d || strlen(d) != AMZ_DATE_LEN)
        return 0;
    for (i = 0; i < AMZ_DATE_LEN; i++) {
        if (shape[i] == 'd' ? !is_digit((unsigned char)d[i]) : d[i] != shape[i])
            return 0;
    }
    return 1;
}

/* Access key id: printable, no space, '/', ',' (it is placed in the Credential field). */
static int access_key_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    if (!s || !*s)
        return 0;
    for (; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f || *p == '/' || *p == ',')
            return 0;
    return 1;
}

static int scope_ok(const struct cmfa__sigv4_params *p)
{
    return p && amz_date_ok(p->amz_date) && scope_part_ok(p->region) &&
           scope_part_ok(p->service);
}

/* ------------------------------------------------------------------ OpenSSL wrappers
 *
 * SHA-256 and an HMAC context keyed with it are fetched from OpenSSL's providers once per
 * process: an implicit fetch (EVP_sha256() in a digest call, a digest name in a MAC's
 * parameters) costs a provider lookup on every call. The HMAC contexts of each signature are
 * duplicates of the template, which carries the digest already. */
static pthread_once_t evp_once = PTHREAD_ONCE_INIT;
static EVP_MD *evp_sha256;
static EVP_MAC_CTX *hmac_template;

static void evp_fetch(void)
{
    char digest[] = "SHA256";
    OSSL_PARAM params[2];
    EVP_MAC *mac;

    evp_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (mac) {
        hmac_template = EVP_MAC_CTX_new(mac);
        params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
        params[1] = OSSL_PARAM_construct_end();
        if (hmac_template && EVP_MAC_CTX_set_params(hmac_template, params) != 1) {
            EVP_MAC_CTX_free(hmac_template);
            hmac_template = NULL;
        }
        EVP_MAC_free(mac);   /* the context holds its own reference */
    }
}

static const EVP_MD *sha256_md(void)
{
    pthread_once(&evp_once, evp_fetch);
    return evp_sha256;
}

static cmfa_code sha256(const void *data, size_t len, unsigned char out[SHA256_LEN])
{
    const EVP_MD *md = sha256_md();

    if (!md || EVP_Digest(data ? data : "", len, out, NULL, md, NULL) != 1)
        return CMFA_E_INTERNAL;
    return CMFA_OK;
}

void cmfa__sha256_hex(const void *data, size_t len, char out[65])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char md[SHA256_LEN];
    size_t i;

    if (!out)
        return;
    if (sha256(data, len, md) != CMFA_OK) {
        out[0] = '\0';
        return;
    }
    for (i = 0; i < SHA256_LEN; i++) {
        out[2 * i] = digits[md[i] >> 4];
        out[2 * i + 1] = digits[md[i] & 15];
    }
    out[64] = '\0';
}

/* HMAC-SHA256 through EVP_MAC; one context (a copy of the template) serves a whole chain. */
struct hmac {
    EVP_MAC_CTX *ctx;
};

static void hmac_close(struct hmac *h)
{
    EVP_MAC_CTX_free(h->ctx);   /* clears the key schedule */
    h->ctx = NULL;
}

static cmfa_code hmac_sha256(struct hmac *h, const unsigned char *key, size_t keylen,
                             const void *msg, size_t len, unsigned char out[SHA256_LEN])
{
    size_t outlen = 0;

    if (!h->ctx) {
        pthread_once(&evp_once, evp_fetch);
        h->ctx = hmac_template ? EVP_MAC_CTX_dup(hmac_template) : NULL;
        if (!h->ctx)
            return CMFA_E_INTERNAL;
    }
    if (EVP_MAC_init(h->ctx, key, keylen, NULL) != 1 ||
        EVP_MAC_update(h->ctx, msg, len) != 1 ||
        EVP_MAC_final(h->ctx, out, &outlen, SHA256_LEN) != 1 || outlen != SHA256_LEN)
        return CMFA_E_INTERNAL;
    return CMFA_OK;
}

/* ------------------------------------------------------------------ canonical request */

/* Appends s[0..len) percent-encoded: unreserved bytes as they are, '/' kept when keep_slash,
 * everything else as %XX (upper-case hex). Runs of plain bytes are copied in one go. */
static cmfa_code add_encoded(struct cmfa__buf *b, const unsigned char *s, size_t len,
                             int keep_slash)
{
    static const char digits[] = "0123456789ABCDEF";
    size_t i = 0, start;
    cmfa_code rc;

    while (i < len) {
        start = i;
        while (i < len && (is_unreserved(s[i]) || (keep_slash && s[i] == '/')))
            i++;
        if (i > start && (rc = cmfa__buf_add(b, s + start, i - start)) != CMFA_OK)
            return rc;
        if (i < len) {
            char esc[3] = {'%', digits[s[i] >> 4], digits[s[i] & 15]};
            if ((rc = cmfa__buf_add(b, esc, 3)) != CMFA_OK)
                return rc;
            i++;
        }
    }
    return CMFA_OK;
}

/* Percent-decodes s[0..len) (a malformed escape stays literal) and re-encodes the bytes. */
static cmfa_code add_reencoded(struct cmfa__buf *b, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i;
    cmfa_code rc;

    for (i = 0; i < len; i++) {
        unsigned char c = u[i];
        int hi, lo;

        if (c == '%' && i + 2 < len && (hi = hex_value(u[i + 1])) >= 0 &&
            (lo = hex_value(u[i + 2])) >= 0) {
            c = (unsigned char)(hi * 16 + lo);
            i += 2;
        }
        if ((rc = add_encoded(b, &c, 1, 0)) != CMFA_OK)
            return rc;
    }
    return CMFA_OK;
}

/* Canonical URI. Each segment is URI-encoded (a '%' already in the path becomes %25, as every
 * service but S3 expects). With normalize, empty and "." segments are dropped and ".." removes
 * the previous segment (RFC 3986 remove_dot_segments plus collapsing of "//"); a path ending
 * in '/', "." or ".." keeps a trailing slash. */
static cmfa_code append_canonical_path(struct cmfa__buf *out, const char *path, int normalize)
{
    size_t base = out->len, plen = strlen(path), i = 0;
    int trailing = 0;
    cmfa_code rc;

    if (!normalize) {
        if (path[0] != '/' && (rc = cmfa__buf_addc(out, '/')) != CMFA_OK)
            return rc;
        return add_encoded(out, (const unsigned char *)path, plen, 1);
    }
    if ((rc = cmfa__buf_addc(out, '/')) != CMFA_OK)
        return rc;
    while (i < plen) {
        size_t start, seglen;

        while (i < plen && path[i] == '/')
            i++;
        start = i;
        while (i < plen && path[i] != '/')
            i++;
        seglen = i - start;
        trailing = i < plen || seglen == 0;   /* a '/' follows, or the path ends in '/' */
        if (seglen == 0)
            continue;
        if (seglen == 1 && path[start] == '.') {
            trailing = 1;
            continue;
        }
        if (seglen == 2 && path[start] == '.' && path[start + 1] == '.') {
            size_t cut = out->len;

            while (cut > base + 1 && out->data[cut - 1] != '/')
                cut--;
            if (cut > base + 1)
                cut--;                     /* drop the separator before the segment too */
            buf_truncate(out, cut);
            trailing = 1;
            continue;
        }
        if (out->len > base + 1 && (rc = cmfa__buf_addc(out, '/')) != CMFA_OK)
            return rc;
        if ((rc = add_encoded(out, (const unsigned char *)path + start, seglen, 0)) != CMFA_OK)
            return rc;
    }
    if (trailing && out->len > base + 1)
        return cmfa__buf_addc(out, '/');
    return CMFA_OK;
}

struct qparam {
    size_t koff, klen, voff, vlen;   /* offsets into the scratch buffer while it grows */
    const char *k, *v;               /* set once the scratch buffer is complete */
};

static int qparam_cmp(const void *a, const void *b)
{
    const struct qparam *x = a, *y = b;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(x->k, y->k, n);

    if (c || x->klen != y->klen)
        return c ? c : (x->klen < y->klen ? -1 : 1);
    n = x->vlen < y->vlen ? x->vlen : y->vlen;
    c = memcmp(x->v, y->v, n);
    if (c || x->vlen == y->vlen)
        return c;
    return x->vlen < y->vlen ? -1 : 1;
}

/* Canonical query string: pairs split on '&' (empty pieces dropped), key and value decoded
 * and re-encoded with the unreserved rules, a missing '=' meaning an empty value, sorted by
 * encoded key, then encoded value. */
static cmfa_code append_canonical_query(struct cmfa__buf *out, const char *query)
{
    struct cmfa__buf scratch;
    struct qparam *params = NULL;
    size_t nmax = 1, n = 0, i;
    const char *p, *end;
    cmfa_code rc = CMFA_OK;

    if (!query || !*query)
        return CMFA_OK;
    cmfa__buf_init_secret(&scratch, out->max);   /* header values: the session token */
    for (p = query; *p; p++)
        if (*p == '&')
            nmax++;
    if (nmax > (size_t)-1 / sizeof(*params)) {
        rc = CMFA_E_TOO_LARGE;
        goto cleanup;
    }
    params = cmfa_malloc(nmax * sizeof(*params));
    if (!params) {
        rc = CMFA_E_NOMEM;
        goto cleanup;
    }
    for (p = query; *p; p = *end ? end + 1 : end) {
        const char *eq;
        struct qparam *q;

        end = strchr(p, '&');
        if (!end)
            end = p + strlen(p);
        if (end == p)
            continue;
        eq = memchr(p, '=', (size_t)(end - p));
        q = &params[n++];
        q->koff = scratch.len;
        if ((rc = add_reencoded(&scratch, p, (size_t)((eq ? eq : end) - p))) != CMFA_OK)
            goto cleanup;
        q->klen = scratch.len - q->koff;
        q->voff = scratch.len;
        if (eq && (rc = add_reencoded(&scratch, eq + 1, (size_t)(end - eq - 1))) != CMFA_OK)
            goto cleanup;
        q->vlen = scratch.len - q->voff;
    }
    if (n == 0)
        goto cleanup;
    for (i = 0; i < n; i++) {
        /* all pairs empty ("=&="): nothing was added and scratch.data is still NULL */
        const char *base = scratch.data ? scratch.data : "";
        params[i].k = base + params[i].koff;
        params[i].v = base + params[i].voff;
    }
    qsort(params, n, sizeof(*params), qparam_cmp);
    for (i = 0; i < n; i++) {
        if ((i && (rc = cmfa__buf_addc(out, '&')) != CMFA_OK) ||
            (rc = cmfa__buf_add(out, params[i].k, params[i].klen)) != CMFA_OK ||
            (rc = cmfa__buf_addc(out, '=')) != CMFA_OK ||
            (rc = cmfa__buf_add(out, params[i].v, params[i].vlen)) != CMFA_OK)
            goto cleanup;
    }

cleanup:
    cmfa_free(params);
    cmfa__buf_cleanup(&scratch);
    return rc;
}

struct hentry {
    const char *name;
    const char *value;
    size_t index;         /* position in the request: keeps duplicates in the order given */
};

static int name_cmp(const char *a, const char *b)
{
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;

    while (*x && to_lower(*x) == to_lower(*y)) {
        x++;
        y++;
    }
    return (int)to_lower(*x) - (int)to_lower(*y);
}

static int hentry_cmp(const void *a, const void *b)
{
    const struct hentry *x = a, *y = b;
    int c = name_cmp(x->name, y->name);

    if (c)
        return c;
    return x->index < y->index ? -1 : (x->index > y->index ? 1 : 0);
}

static cmfa_code add_lower(struct cmfa__buf *b, const char *s)
{
    char chunk[64];
    size_t n = 0;
    cmfa_code rc;

    for (; *s; s++) {
        chunk[n++] = (char)to_lower((unsigned char)*s);
        if (n == sizeof(chunk)) {
            if ((rc = cmfa__buf_add(b, chunk, n)) != CMFA_OK)
                return rc;
            n = 0;
        }
    }
    return cmfa__buf_add(b, chunk, n);
}

/* Value trimmed, every inner run of whitespace (including obs-fold line breaks) one space. */
static cmfa_code add_header_value(struct cmfa__buf *b, const char *v)
{
    const char *p = v, *q;
    cmfa_code rc;

    while (is_space((unsigned char)*p))
        p++;
    while (*p) {
        q = p;
        while (*q && !is_space((unsigned char)*q))
            q++;
        if ((rc = cmfa__buf_add(b, p, (size_t)(q - p))) != CMFA_OK)
            return rc;
        p = q;
        while (is_space((unsigned char)*p))
            p++;
        if (*p && (rc = cmfa__buf_addc(b, ' ')) != CMFA_OK)
            return rc;
    }
    return CMFA_OK;
}

/* Canonical headers block (each "name:value\n") into out and "a;b;c" into sh. */
static cmfa_code append_canonical_headers(struct cmfa__buf *out, struct cmfa__buf *sh,
                                          const struct cmfa__sig_header *headers, size_t n)
{
    struct hentry *list = NULL;
    size_t i;
    cmfa_code rc = CMFA_OK;

    if (n == 0)
        return CMFA_OK;
    if (n > (size_t)-1 / sizeof(*list))
        return CMFA_E_TOO_LARGE;
    list = cmfa_malloc(n * sizeof(*list));
    if (!list)
        return CMFA_E_NOMEM;
    for (i = 0; i < n; i++) {
        list[i].name = headers[i].name;
        list[i].value = headers[i].value;
        list[i].index = i;
    }
    qsort(list, n, sizeof(*list), hentry_cmp);
    for (i = 0; i < n; i++) {
        int same = i > 0 && name_cmp(list[i - 1].name, list[i].name) == 0;

        if (same) {
            rc = cmfa__buf_addc(out, ',');
        } else {
            if ((i > 0 && (rc = cmfa__buf_addc(out, '\n')) != CMFA_OK) ||
                (i > 0 && (rc = cmfa__buf_addc(sh, ';')) != CMFA_OK) ||
                (rc = add_lower(out, list[i].name)) != CMFA_OK ||
                (rc = add_lower(sh, list[i].name)) != CMFA_OK)
                goto cleanup;
            rc = cmfa__buf_addc(out, ':');
        }
        if (rc != CMFA_OK || (rc = add_header_value(out, list[i].value)) != CMFA_OK)
            goto cleanup;
    }
    rc = cmfa__buf_addc(out, '\n');

cleanup:
    cmfa_free(list);
    return rc;
}

static int request_ok(const struct cmfa__sigv4_request *req)
{
    size_t i;

    if (!req || !token_ok(req->method) || !req->path)
        return 0;
    if (req->nheaders && !req->headers)
        return 0;
    if (req->body_len && !req->body)
        return 0;
    for (i = 0; i < req->nheaders; i++)
        if (!token_ok(req->headers[i].name) || !header_value_ok(req->headers[i].value))
            return 0;
    return 1;
}

cmfa_code cmfa__sigv4_canonical_request(const struct cmfa__sigv4_request *req,
                                        int normalize_path, struct cmfa__buf *creq,
                                        struct cmfa__buf *signed_headers)
{
    struct cmfa__buf sh;
    size_t creq_len0, sh_len0 = 0;
    char payload_hash[65];
    cmfa_code rc;

    if (!creq || !request_ok(req))
        return CMFA_E_BAD_ARGUMENT;
    cmfa__sha256_hex(req->body, req->body_len, payload_hash);
    if (!payload_hash[0])
        return CMFA_E_INTERNAL;
    creq_len0 = creq->len;
    if (signed_headers)
        sh_len0 = signed_headers->len;
    cmfa__buf_init_secret(&sh, creq->max);

    if ((rc = cmfa__buf_addstr(creq, req->method)) != CMFA_OK ||
        (rc = cmfa__buf_addc(creq, '\n')) != CMFA_OK ||
        (rc = append_canonical_path(creq, req->path, normalize_path)) != CMFA_OK ||
        (rc = cmfa__buf_addc(creq, '\n')) != CMFA_OK ||
        (rc = append_canonical_query(creq, req->query)) != CMFA_OK ||
        (rc = cmfa__buf_addc(creq, '\n')) != CMFA_OK ||
        (rc = append_canonical_headers(creq, &sh, req->headers, req->nheaders)) != CMFA_OK ||
        (rc = cmfa__buf_addc(creq, '\n')) != CMFA_OK ||
        (rc = cmfa__buf_add(creq, sh.data, sh.len)) != CMFA_OK ||
        (rc = cmfa__buf_addc(creq, '\n')) != CMFA_OK ||
        (rc = cmfa__buf_add(creq, payload_hash, 64)) != CMFA_OK)
        goto cleanup;
    if (signed_headers)
        rc = cmfa__buf_add(signed_headers, sh.data, sh.len);

cleanup:
    if (rc != CMFA_OK) {
        buf_truncate(creq, creq_len0);
        buf_truncate(signed_headers, sh_len0);
    }
    cmfa__buf_cleanup(&sh);
    return rc;
}

/* ------------------------------------------------------------------ string to sign, key */

cmfa_code cmfa__sigv4_string_to_sign(const struct cmfa__sigv4_params *p, const char *creq,
                                     size_t creq_len, struct cmfa__buf *sts)
{
    unsigned char md[SHA256_LEN];
    size_t len0;
    cmfa_code rc;

    if (!scope_ok(p) || !creq || !sts)
        return CMFA_E_BAD_ARGUMENT;
    if ((rc = sha256(creq, creq_len, md)) != CMFA_OK)
        return rc;
    len0 = sts->len;
    rc = cmfa__buf_printf(sts, SIGV4_ALGORITHM "\n%s\n%.8s/%s/%s/" SIGV4_TERMINATOR "\n",
                          p->amz_date, p->amz_date, p->region, p->service);
    if (rc == CMFA_OK)
        rc = cmfa__buf_addhex(sts, md, sizeof(md));
    if (rc != CMFA_OK)
        buf_truncate(sts, len0);
    return rc;
}

/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
 * "AWS4" + secret is formed on the stack when it fits one HMAC block; a longer key is
 * hashed first, exactly as HMAC itself does, so no size limit and no heap copy. */
static cmfa_code derive_key(struct hmac *h, const struct cmfa__sigv4_params *p,
                            unsigned char out[SHA256_LEN])
{
    unsigned char k0[HMAC_BLOCK];
    unsigned char k[SHA256_LEN];
    size_t slen = strlen(p->secret_access_key), k0len;
    EVP_MD_CTX *md = NULL;
    cmfa_code rc = CMFA_E_INTERNAL;

    if (slen <= sizeof(k0) - 4) {
        memcpy(k0, "AWS4", 4);
        memcpy(k0 + 4, p->secret_access_key, slen);
        k0len = slen + 4;
    } else {
        md = EVP_MD_CTX_new();
        if (!md || EVP_DigestInit_ex(md, sha256_md(), NULL) != 1 ||
            EVP_DigestUpdate(md, "AWS4", 4) != 1 ||
            EVP_DigestUpdate(md, p->secret_access_key, slen) != 1 ||
            EVP_DigestFinal_ex(md, k0, NULL) != 1)
            goto cleanup;
        k0len = SHA256_LEN;
    }
    if ((rc = hmac_sha256(h, k0, k0len, p->amz_date, 8, k)) != CMFA_OK ||
        (rc = hmac_sha256(h, k, sizeof(k), p->region, strlen(p->region), k)) != CMFA_OK ||
        (rc = hmac_sha256(h, k, sizeof(k), p->service, strlen(p->service), k)) != CMFA_OK ||
        (rc = hmac_sha256(h, k, sizeof(k), SIGV4_TERMINATOR, strlen(SIGV4_TERMINATOR),
                          out)) != CMFA_OK)
        goto cleanup;

cleanup:
    EVP_MD_CTX_free(md);
    cmfa__wipe(k0, sizeof(k0));
    cmfa__wipe(k, sizeof(k));
    return rc;
}

static cmfa_code signing_key(struct hmac *h, struct cmfa__sigv4_cache *cache,
                             const struct cmfa__sigv4_params *p, unsigned char key[SHA256_LEN])
{
    unsigned char digest[SHA256_LEN];
    cmfa_code rc;

    if (!cache)
        return derive_key(h, p, key);
    rc = sha256(p->secret_access_key, strlen(p->secret_access_key), digest);
    if (rc != CMFA_OK)
        return rc;
    if (cache->valid && memcmp(cache->date, p->amz_date, 8) == 0 &&
        strcmp(cache->region, p->region) == 0 && strcmp(cache->service, p->service) == 0 &&
        CRYPTO_memcmp(cache->secret_digest, digest, sizeof(digest)) == 0) {
        memcpy(key, cache->key, SHA256_LEN);
        cache->hits++;
        cmfa__wipe(digest, sizeof(digest));
        return CMFA_OK;
    }
    cache->misses++;
    rc = derive_key(h, p, key);
    if (rc == CMFA_OK) {
        memcpy(cache->date, p->amz_date, 8);
        cache->date[8] = '\0';
        cmfa__copy_field(cache->region, sizeof(cache->region), p->region, strlen(p->region));
        cmfa__copy_field(cache->service, sizeof(cache->service), p->service,
                         strlen(p->service));
        memcpy(cache->secret_digest, digest, sizeof(digest));
        memcpy(cache->key, key, SHA256_LEN);
        cache->valid = 1;
    }
    cmfa__wipe(digest, sizeof(digest));
    return rc;
}

cmfa_code cmfa__sigv4_signing_key(struct cmfa__sigv4_cache *cache,
                                  const struct cmfa__sigv4_params *p, unsigned char key[32])
{
    struct hmac h = {NULL};
    cmfa_code rc;

    if (!scope_ok(p) || !key || !p->secret_access_key || !*p->secret_access_key)
        return CMFA_E_BAD_ARGUMENT;
    rc = signing_key(&h, cache, p, key);
    hmac_close(&h);
    if (rc != CMFA_OK)
        cmfa__wipe(key, SHA256_LEN);
    return rc;
}

/* ------------------------------------------------------------------ Authorization */

cmfa_code cmfa__sigv4_authorization(struct cmfa__sigv4_cache *cache,
                                    const struct cmfa__sigv4_params *p,
                                    const struct cmfa__sigv4_request *req,
                                    struct cmfa__buf *out)
{
    struct cmfa__buf creq, sh, sts;
    struct hmac h = {NULL};
    unsigned char key[SHA256_LEN], sig[SHA256_LEN];
    size_t out_len0;
    cmfa_code rc;

    if (!out || !scope_ok(p) || !access_key_ok(p->access_key_id) ||
        !p->secret_access_key || !*p->secret_access_key || !request_ok(req))
        return CMFA_E_BAD_ARGUMENT;
    out_len0 = out->len;
    cmfa__buf_init_secret(&creq, 0);   /* holds the session token */
    cmfa__buf_init_secret(&sh, 0);
    cmfa__buf_init_secret(&sts, 0);

    if ((rc = cmfa__sigv4_canonical_request(req, p->normalize_path, &creq, &sh)) != CMFA_OK ||
        (rc = cmfa__sigv4_string_to_sign(p, creq.data, creq.len, &sts)) != CMFA_OK ||
        (rc = signing_key(&h, cache, p, key)) != CMFA_OK ||
        (rc = hmac_sha256(&h, key, sizeof(key), sts.data, sts.len, sig)) != CMFA_OK)
        goto cleanup;
    rc = cmfa__buf_printf(out,
                          SIGV4_ALGORITHM " Credential=%s/%.8s/%s/%s/" SIGV4_TERMINATOR
                          ", SignedHeaders=%s, Signature=",
                          p->access_key_id, p->amz_date, p->region, p->service,
                          sh.data ? sh.data : "");
    if (rc == CMFA_OK)
        rc = cmfa__buf_addhex(out, sig, sizeof(sig));

cleanup:
    if (rc != CMFA_OK)
        buf_truncate(out, out_len0);
    cmfa__wipe(key, sizeof(key));
    hmac_close(&h);
    cmfa__buf_cleanup(&creq);
    cmfa__buf_cleanup(&sh);
    cmfa__buf_cleanup(&sts);
    return rc;
}

/* ------------------------------------------------------------------ time */

void cmfa__amz_date(time_t t, char out[17])
{
    struct tm tm;

    if (!out)
        return;
    if (!gmtime_r(&t, &tm) || strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm) != AMZ_DATE_LEN)
        out[0] = '\0';
}
