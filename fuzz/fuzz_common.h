/* Helpers shared by the libFuzzer targets (fuzz_<name>.c): splitting one input into parts,
 * NUL-terminated copies, and the properties every error record must keep whatever came in. */
#ifndef CMFA_FUZZ_COMMON_H
#define CMFA_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmfa_int.h"

/* A property broke: say which, then abort so libFuzzer keeps the input as a crash. */
#define FUZZ_ASSERT(cond)                                                                  \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "%s:%d: fuzz property failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

/* Reads the input piece by piece. */
struct fuzz_input {
    const uint8_t *data;
    size_t len;
};

/* Next piece up to (not including) the first occurrence of sep; the rest when sep is absent. */
static inline void fuzz_split(struct fuzz_input *in, const char *sep, const uint8_t **piece,
                              size_t *piece_len)
{
    size_t seplen = strlen(sep), i;

    *piece = in->data;
    for (i = 0; seplen && i + seplen <= in->len; i++) {
        if (memcmp(in->data + i, sep, seplen) == 0) {
            *piece_len = i;
            in->data += i + seplen;
            in->len -= i + seplen;
            return;
        }
    }
    *piece_len = in->len;
    in->data += in->len;
    in->len = 0;
}

/* One byte, 0 when the input is used up. */
static inline uint8_t fuzz_byte(struct fuzz_input *in)
{
    uint8_t b = 0;

    if (in->len) {
        b = in->data[0];
        in->data++;
        in->len--;
    }
    return b;
}

/* NUL-terminated heap copy (plain malloc: the harness's own memory). */
static inline char *fuzz_strndup(const uint8_t *s, size_t len)
{
    char *p = malloc(len + 1);

    if (!p)
        abort();
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

/* Valid UTF-8 without C0 controls or DEL: what every message field must be. */
static inline int fuzz_clean_text(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    while (*p) {
        size_t len, i;
        unsigned char lo = 0x80, hi = 0xBF;

        if (*p < 0x20 || *p == 0x7F)
            return 0;
        if (*p < 0x80) {
            p++;
            continue;
        }
        if (*p >= 0xC2 && *p <= 0xDF)
            len = 2;
        else if (*p >= 0xE0 && *p <= 0xEF)
            len = 3;
        else if (*p >= 0xF0 && *p <= 0xF4)
            len = 4;
        else
            return 0;
        if (*p == 0xE0)
            lo = 0xA0;
        else if (*p == 0xED)
            hi = 0x9F;
        else if (*p == 0xF0)
            lo = 0x90;
        else if (*p == 0xF4)
            hi = 0x8F;
        if (p[1] < lo || p[1] > hi)
            return 0;
        for (i = 2; i < len; i++)
            if (p[i] < 0x80 || p[i] > 0xBF)
                return 0;
        p += len;
    }
    return 1;
}

/* Whether a fixed field is NUL-terminated inside its size. */
static inline int fuzz_terminated(const char *field, size_t size)
{
    return memchr(field, '\0', size) != NULL;
}

/* The record's text fields are terminated, and message is clean (C0-free UTF-8). */
static inline void fuzz_check_error(const struct cmfa_error *err)
{
    size_t i;

    FUZZ_ASSERT(fuzz_terminated(err->message, sizeof(err->message)));
    FUZZ_ASSERT(fuzz_terminated(err->service_code, sizeof(err->service_code)));
    FUZZ_ASSERT(fuzz_terminated(err->request_id, sizeof(err->request_id)));
    FUZZ_ASSERT(err->code == CMFA_OK || err->message[0] != '\0');
    FUZZ_ASSERT(err->nviolations == 0 || err->violations != NULL);
    for (i = 0; i < err->nviolations; i++) {
        FUZZ_ASSERT(err->violations[i].path && err->violations[i].message);
        FUZZ_ASSERT(err->violations[i].rule);
    }
}

/* The whole secret does not appear in text. (A piece of it may: the server may send any
 * text, including a piece that happens to match.) */
static inline int fuzz_no_secret(const char *text, const char *secret)
{
    return strstr(text, secret) == NULL;
}

#endif /* CMFA_FUZZ_COMMON_H */
