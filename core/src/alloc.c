/* Heap wrappers: every allocation of the library goes through here, so tests can count
 * allocations and make the Nth one fail (torture mode). */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cmfa_int.h"

static void (*release_hook)(void *ptr);   /* tests only */
static long fail_after;   /* 0: never; n: the nth next allocation fails */
static long alloc_count;

void cmfa__alloc_fail_after(long n)
{
    fail_after = n > 0 ? n : 0;
    alloc_count = 0;
}

long cmfa__alloc_count(void)
{
    return alloc_count;
}

void cmfa__alloc_reset(void)
{
    fail_after = 0;
    alloc_count = 0;
}

static int should_fail(void)
{
    alloc_count++;
    return fail_after > 0 && alloc_count == fail_after;
}

void *cmfa_malloc(size_t size)
{
    if (should_fail())
        return NULL;
    return malloc(size ? size : 1);
}

void *cmfa_realloc(void *ptr, size_t size)
{
    if (should_fail())
        return NULL;
    if (ptr && release_hook)
        release_hook(ptr);
    return realloc(ptr, size ? size : 1);
}

void cmfa_free(void *ptr)
{
    if (ptr && release_hook)
        release_hook(ptr);
    free(ptr);
}

void cmfa__alloc_set_release_hook(void (*hook)(void *ptr))
{
    release_hook = hook;
}

void cmfa__wipe(void *p, size_t n)
{
    if (p && n)
        OPENSSL_cleanse(p, n);
}

void cmfa__free_secret(char *s)
{
    if (s) {
        cmfa__wipe(s, strlen(s));
        cmfa_free(s);
    }
}

char *cmfa__strndup(const char *s, size_t len)
{
    char *copy;

    if (!s)
        return NULL;
    copy = cmfa_malloc(len + 1);
    if (!copy)
        return NULL;
    memcpy(copy, s, len);
    copy[len] = '\0';
    return copy;
}

char *cmfa__strdup(const char *s)
{
    return s ? cmfa__strndup(s, strlen(s)) : NULL;
}
