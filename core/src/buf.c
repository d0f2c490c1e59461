/* Growable, capped byte buffer. */
#include <stdio.h>
#include <string.h>

#include "cmfa_int.h"

#define BUF_DEFAULT_MAX ((size_t)64 * 1024 * 1024)

void cmfa__buf_init(struct cmfa__buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max ? max : BUF_DEFAULT_MAX;
    b->secret = 0;
}

void cmfa__buf_init_secret(struct cmfa__buf *b, size_t max)
{
    cmfa__buf_init(b, max);
    b->secret = 1;
}

/* Empty again, keeping the cap and whether it is a secret buffer. */
static void buf_clear(struct cmfa__buf *b)
{
    int secret = b->secret;

    cmfa__buf_init(b, b->max);
    b->secret = secret;
}

void cmfa__buf_cleanup(struct cmfa__buf *b)
{
    if (b->secret)
        cmfa__wipe(b->data, b->cap);
    cmfa_free(b->data);
    buf_clear(b);
}

void cmfa__buf_cleanup_secret(struct cmfa__buf *b)
{
    if (b->data)
        cmfa__wipe(b->data, b->cap);
    cmfa__buf_cleanup(b);
}

void cmfa__buf_reset(struct cmfa__buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static cmfa_code buf_reserve(struct cmfa__buf *b, size_t extra)
{
    size_t need, ncap;
    char *p;

    if (extra > b->max || b->len > b->max - extra)
        return CMFA_E_TOO_LARGE;
    need = b->len + extra + 1;
    if (need <= b->cap)
        return CMFA_OK;
    ncap = b->cap ? b->cap : 64;
    while (ncap < need)
        ncap *= 2;
    if (ncap > b->max + 1)
        ncap = b->max + 1;
    if (b->secret) {
        /* never realloc a secret: it could leave a copy behind in the block it frees */
        p = cmfa_malloc(ncap);
        if (!p)
            return CMFA_E_NOMEM;
        if (b->data) {
            memcpy(p, b->data, b->len);
            cmfa__wipe(b->data, b->cap);
            cmfa_free(b->data);
        }
        p[b->len] = '\0';
    } else {
        p = cmfa_realloc(b->data, ncap);
        if (!p)
            return CMFA_E_NOMEM;
    }
    b->data = p;
    b->cap = ncap;
    return CMFA_OK;
}

cmfa_code cmfa__buf_add(struct cmfa__buf *b, const void *data, size_t len)
{
    cmfa_code rc = buf_reserve(b, len);

    if (rc != CMFA_OK)
        return rc;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return CMFA_OK;
}

cmfa_code cmfa__buf_addstr(struct cmfa__buf *b, const char *s)
{
    return cmfa__buf_add(b, s, strlen(s));
}

cmfa_code cmfa__buf_addc(struct cmfa__buf *b, char c)
{
    return cmfa__buf_add(b, &c, 1);
}

cmfa_code cmfa__buf_printf(struct cmfa__buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    cmfa_code rc;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return CMFA_E_INTERNAL;
    rc = buf_reserve(b, (size_t)n);
    if (rc != CMFA_OK)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return CMFA_OK;
}

cmfa_code cmfa__buf_addhex(struct cmfa__buf *b, const unsigned char *bytes, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    cmfa_code rc = buf_reserve(b, n * 2);
    size_t i;

    if (rc != CMFA_OK)
        return rc;
    for (i = 0; i < n; i++) {
        b->data[b->len++] = digits[bytes[i] >> 4];
        b->data[b->len++] = digits[bytes[i] & 15];
    }
    b->data[b->len] = '\0';
    return CMFA_OK;
}

char *cmfa__buf_take(struct cmfa__buf *b, size_t *len)
{
    char *data;

    if (!b->data && buf_reserve(b, 0) != CMFA_OK)
        return NULL;
    data = b->data;
    data[b->len] = '\0';
    if (len)
        *len = b->len;
    buf_clear(b);
    return data;
}
