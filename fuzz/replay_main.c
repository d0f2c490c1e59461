/* Replays inputs through a fuzz target without libFuzzer: every file named on the command line,
 * or found in a folder named there, goes once through LLVMFuzzerTestOneInput (after
 * LLVMFuzzerInitialize, when the target has one). Built with any compiler, so the seed corpora
 * (and the inputs of every crash fixed, kept among them) run as unit tests in the ASan and
 * valgrind builds too. Exit status 0 when every input went through; a broken property aborts. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *data = NULL;
    size_t len = 0, cap = 0, n;

    if (!f) {
        perror(path);
        return 1;
    }
    for (;;) {
        if (len == cap) {
            uint8_t *more = realloc(data, cap ? cap * 2 : 4096);
            if (!more) {
                free(data);
                fclose(f);
                return 1;
            }
            data = more;
            cap = cap ? cap * 2 : 4096;
        }
        n = fread(data + len, 1, cap - len, f);
        if (n == 0)
            break;
        len += n;
    }
    fclose(f);
    {
        /* an exact-size copy: a read past the input's end shows up under ASan and valgrind */
        uint8_t *exact = malloc(len ? len : 1);
        if (!exact) {
            free(data);
            return 1;
        }
        if (len)
            memcpy(exact, data, len);
        free(data);
        LLVMFuzzerTestOneInput(exact, len);
        free(exact);
    }
    return 0;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every regular file of dir, in name order; returns failures, adds to *count. */
static int run_dir(const char *dir, unsigned long *count)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, cap = 0, i;
    int failures = 0;

    if (!d) {
        perror(dir);
        return 1;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            char **more = realloc(names, (cap ? cap * 2 : 64) * sizeof(*names));
            if (!more)
                break;
            names = more;
            cap = cap ? cap * 2 : 64;
        }
        {
            size_t size = strlen(dir) + strlen(e->d_name) + 2;
            names[n] = malloc(size);
            if (!names[n])
                break;
            snprintf(names[n], size, "%s/%s", dir, e->d_name);
            n++;
        }
    }
    closedir(d);
    qsort(names, n, sizeof(*names), name_cmp);
    for (i = 0; i < n; i++) {
        struct stat st;
        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
            failures += run_file(names[i]);
            (*count)++;
        }
        free(names[i]);
    }
    free(names);
    return failures;
}

int main(int argc, char **argv)
{
    unsigned long count = 0;
    int i, failures = 0;

    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    for (i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            failures++;
        } else if (S_ISDIR(st.st_mode)) {
            failures += run_dir(argv[i], &count);
        } else {
            failures += run_file(argv[i]);
            count++;
        }
    }
    printf("%s: %lu inputs replayed, %d unreadable\n", argv[0], count, failures);
    return failures != 0 || count == 0;
}
