/* Environment and temporary-file helpers for the configuration and credentials tests.
 * The including file defines `static char tmpdir[]` (a mkdtemp template) before including. */
#ifndef CMFA_CHECK_ENV_H
#define CMFA_CHECK_ENV_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

/* Removes every AWS_* variable, so the developer's settings never leak into a test. */
static inline void clear_aws_env(void)
{
    for (;;) {
        char name[256];
        size_t i;
        int found = 0;

        for (i = 0; environ[i]; i++) {
            const char *eq = strchr(environ[i], '=');
            size_t n = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
            if (strncmp(environ[i], "AWS_", 4) == 0 && n < sizeof(name)) {
                memcpy(name, environ[i], n);
                name[n] = '\0';
                found = 1;
                break;
            }
        }
        if (!found)
            break;
        unsetenv(name);
    }
}

/* tmpdir/name; up to four results stay valid at once. */
static inline const char *path_of(const char *name)
{
    static char paths[4][512];
    static int next;
    char *p = paths[next++ % 4];

    snprintf(p, sizeof(paths[0]), "%s/%s", tmpdir, name);
    return p;
}

static inline void write_file(const char *name, const char *text)
{
    FILE *f = fopen(path_of(name), "wb");

    if (!f) {
        perror(name);
        exit(2);
    }
    fputs(text, f);
    fclose(f);
}

#endif
