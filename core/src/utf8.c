/* UTF-8: the one place that knows what a valid sequence is, how long a string is in
 * characters, and how text from outside becomes one clean line for a message field. */
#include <string.h>

#include "cmfa_int.h"

size_t cmfa__utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len, i;
    unsigned char lo = 0x80, hi = 0xBF;

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4;
    else
        return 0;
    if (n < len)
        return 0;
    if (c == 0xE0)
        lo = 0xA0;          /* overlong */
    else if (c == 0xED)
        hi = 0x9F;          /* surrogates */
    else if (c == 0xF0)
        lo = 0x90;          /* overlong */
    else if (c == 0xF4)
        hi = 0x8F;          /* above U+10FFFF */
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return len;
}

int cmfa__utf8_append_clean(char *dst, size_t dstsize, size_t *len, const char *src, size_t n)
{
    const unsigned char *s = (const unsigned char *)src;
    size_t i = 0, start = *len, pos = *len;
    int pending_space = 0, truncated = 0;

    if (!dstsize)
        return n != 0;
    while (i < n) {
        size_t seq = cmfa__utf8_seq_len(s + i, n - i);
        int control = s[i] < 0x20 || s[i] == 0x7F ||
                      (seq == 2 && s[i] == 0xC2 && s[i + 1] < 0xA0);
        const char *out;
        size_t outlen;

        if (control) {
            pending_space = pos > start;
            i += seq ? seq : 1;
            continue;
        }
        if (seq) {
            out = src + i;
            outlen = seq;
        } else {
            out = "?";
            outlen = 1;
            seq = 1;
        }
        if (pos + (size_t)pending_space + outlen > dstsize - 1) {
            truncated = 1;
            break;
        }
        if (pending_space)
            dst[pos++] = ' ';
        pending_space = 0;
        memcpy(dst + pos, out, outlen);
        pos += outlen;
        i += seq;
    }
    dst[pos] = '\0';
    *len = pos;
    return truncated;
}

size_t cmfa__utf8_length(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, n = 0, seq;

    if (!s)
        return len ? (size_t)-1 : 0;
    while (i < len) {
        seq = cmfa__utf8_seq_len(p + i, len - i);
        if (!seq)
            return (size_t)-1;
        i += seq;
        n++;
    }
    return n;
}

void cmfa__utf8_copy_line(char *dst, size_t dstsize, const char *text)
{
    size_t len = 0;

    if (!dstsize)
        return;
    dst[0] = '\0';
    cmfa__utf8_append_clean(dst, dstsize, &len, text, strlen(text));
}
