/* Minimal test harness for the C unit tests: each test_<unit>.c is one CTest test.
 * CHECK* macros record failures and go on; check_done() prints a summary and returns the
 * exit status. */
#ifndef CMFA_CHECK_H
#define CMFA_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        check_count++;                                                               \
        if (!(cond)) {                                                               \
            check_failures++;                                                        \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                            \
    } while (0)

#define CHECK_MSG(cond, ...)                                                         \
    do {                                                                             \
        check_count++;                                                               \
        if (!(cond)) {                                                               \
            check_failures++;                                                        \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                            \
            fputc('\n', stderr);                                                     \
        }                                                                            \
    } while (0)

#define CHECK_INT(a, b)                                                              \
    do {                                                                             \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);              \
        check_count++;                                                               \
        if (check_a_ != check_b_) {                                                  \
            check_failures++;                                                        \
            fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__,      \
                    __LINE__, #a, #b, check_a_, check_b_);                           \
        }                                                                            \
    } while (0)

#define CHECK_STR(a, b)                                                              \
    do {                                                                             \
        const char *check_a_ = (a), *check_b_ = (b);                                 \
        check_count++;                                                               \
        if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_) != 0) {             \
            check_failures++;                                                        \
            fprintf(stderr, "%s:%d: %s == %s failed:\n  got:      %s\n  expected: %s\n", \
                    __FILE__, __LINE__, #a, #b, check_a_ ? check_a_ : "(null)",      \
                    check_b_ ? check_b_ : "(null)");                                 \
        }                                                                            \
    } while (0)

/* Skips are printed so a run says what it did not check. */
#define CHECK_SKIP(...)                                                              \
    do {                                                                             \
        fprintf(stdout, "SKIP: ");                                                   \
        fprintf(stdout, __VA_ARGS__);                                                \
        fputc('\n', stdout);                                                         \
    } while (0)

static inline int check_done(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
    return check_failures ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Reads a whole file into a NUL-terminated heap string (free()); NULL if missing. */
static inline char *check_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *data;
    long n;

    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    data = malloc((size_t)n + 1);
    if (data && fread(data, 1, (size_t)n, f) != (size_t)n) {
        free(data);
        data = NULL;
    }
    fclose(f);
    if (data) {
        data[n] = '\0';
        if (len)
            *len = (size_t)n;
    }
    return data;
}

#endif
