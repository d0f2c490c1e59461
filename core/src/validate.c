/* Validation: walks a value against an input shape of the model and reports every
 * violation (path, rule, sentence), the way the service's own validation does, before any I/O.
 *
 * Rules: required, type, min_length, max_length (strings in Unicode code points, lists in
 * items), min, max (integers), pattern (full match, Java regex semantics through PCRE2),
 * enum, unknown (members the model does not know: a typo must not pass silently) and utf8.
 * JSON null counts as "not given": fine for optional members, a "required" violation for
 * required ones. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <cjson/cJSON.h>

#include "cmfa_int.h"


/* ------------------------------------------------------------------ regexes
 *
 * One compiled PCRE2 code per distinct pattern, kept in a list guarded by a mutex.
 * Options give Java's String.matches semantics for the model's patterns:
 *  - PCRE2_UTF: the subject is UTF-8 and \p{L}, \p{M}, ... classify code points;
 *  - no PCRE2_UCP: \w, \d, \s stay ASCII as in Java;
 *  - PCRE2_ANCHORED | PCRE2_ENDANCHORED: the whole value must match;
 *  - newline convention ANY: '.' does not match line terminators (CR, LF, NEL, LS, PS, and
 *    also VT and FF, where Java's '.' would).
 * PCRE2 allocates through cmfa_malloc/cmfa_free (a general context). */

struct regex_entry {
    char *pattern;
    pcre2_code *code;
    struct regex_entry *next;
};

static pthread_mutex_t regex_lock = PTHREAD_MUTEX_INITIALIZER;
static struct regex_entry *regex_cache;
static pcre2_general_context *regex_gctx;
static pcre2_compile_context *regex_cctx;
static __thread unsigned long regex_alloc_failures;

static void *regex_malloc(PCRE2_SIZE size, void *data)
{
    void *p = cmfa_malloc(size);

    (void)data;
    if (!p)
        regex_alloc_failures++;
    return p;
}

static void regex_free(void *p, void *data)
{
    (void)data;
    cmfa_free(p);
}

/* Compiled code for pattern, compiling it on first use. Caller holds regex_lock. */
static cmfa_code regex_get_locked(const char *pattern, pcre2_code **out)
{
    struct regex_entry *e;
    unsigned long failures = regex_alloc_failures;
    int errcode;
    PCRE2_SIZE erroff;

    for (e = regex_cache; e; e = e->next) {
        if (e->pattern == pattern || strcmp(e->pattern, pattern) == 0) {
            *out = e->code;
            return CMFA_OK;
        }
    }
    if (!regex_gctx) {
        regex_gctx = pcre2_general_context_create(regex_malloc, regex_free, NULL);
        if (!regex_gctx)
            return CMFA_E_NOMEM;
    }
    if (!regex_cctx) {
        regex_cctx = pcre2_compile_context_create(regex_gctx);
        if (!regex_cctx)
            return CMFA_E_NOMEM;
        pcre2_set_newline(regex_cctx, PCRE2_NEWLINE_ANY);
    }
    e = cmfa_malloc(sizeof(*e));
    if (!e)
        return CMFA_E_NOMEM;
    e->pattern = cmfa__strdup(pattern);
    if (!e->pattern) {
        cmfa_free(e);
        return CMFA_E_NOMEM;
    }
    e->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                            PCRE2_UTF | PCRE2_ANCHORED | PCRE2_ENDANCHORED, &errcode, &erroff,
                            regex_cctx);
    if (!e->code) {
        cmfa_free(e->pattern);
        cmfa_free(e);
        return regex_alloc_failures != failures ? CMFA_E_NOMEM : CMFA_E_INTERNAL;
    }
    e->next = regex_cache;
    regex_cache = e;
    *out = e->code;
    return CMFA_OK;
}

/* 1 match, 0 no match; CMFA_E_NOMEM, CMFA_E_INTERNAL (bad pattern, match limit) and
 * CMFA_E_BAD_ARGUMENT (invalid UTF-8) go to *rc. */
static int regex_match(const char *pattern, const char *s, size_t len, cmfa_code *rc)
{
    pcre2_code *code = NULL;
    pcre2_match_data *md;
    int r;

    *rc = CMFA_OK;
    if (!pattern || (!s && len)) {
        *rc = CMFA_E_BAD_ARGUMENT;
        return -1;
    }
    if (!s)
        s = "";
    pthread_mutex_lock(&regex_lock);
    *rc = regex_get_locked(pattern, &code);
    pthread_mutex_unlock(&regex_lock);
    if (*rc != CMFA_OK)
        return -1;
    /* The code stays valid until cmfa__regex_global_cleanup, which must not race with use. */
    md = pcre2_match_data_create_from_pattern(code, NULL);
    if (!md) {
        *rc = CMFA_E_NOMEM;
        return -1;
    }
    r = pcre2_match(code, (PCRE2_SPTR)s, len, 0, 0, md, NULL);
    pcre2_match_data_free(md);
    if (r >= 0)
        return 1;
    if (r == PCRE2_ERROR_NOMATCH)
        return 0;
    if (r == PCRE2_ERROR_NOMEMORY)
        *rc = CMFA_E_NOMEM;
    else if (r <= PCRE2_ERROR_UTF8_ERR1 && r >= PCRE2_ERROR_UTF8_ERR21)
        *rc = CMFA_E_BAD_ARGUMENT;
    else
        *rc = CMFA_E_INTERNAL;
    return -1;
}

int cmfa__regex_full_match(const char *pattern, const char *s, size_t len)
{
    cmfa_code rc;

    return regex_match(pattern, s, len, &rc);
}

/* Patterns are compiled on first use (regex_get_locked), not here: a process that validates
 * one operation compiles only that operation's patterns, and start-up stays cheap. */
cmfa_code cmfa__regex_global_init(void)
{
    return CMFA_OK;
}

void cmfa__regex_global_cleanup(void)
{
    struct regex_entry *e, *next;

    pthread_mutex_lock(&regex_lock);
    for (e = regex_cache; e; e = next) {
        next = e->next;
        pcre2_code_free(e->code);
        cmfa_free(e->pattern);
        cmfa_free(e);
    }
    regex_cache = NULL;
    pcre2_compile_context_free(regex_cctx);
    regex_cctx = NULL;
    pcre2_general_context_free(regex_gctx);
    regex_gctx = NULL;
    pthread_mutex_unlock(&regex_lock);
}

/* ------------------------------------------------------------------ the walk */

/* A step of the path, on the C stack: ".name" (or "name" first), or "[index]". */
struct frame {
    const struct frame *parent;
    const char *name; /* NULL for a list index */
    size_t index;
};

struct walk {
    struct cmfa_error *err;
    const char *prefix; /* path prefix given by the caller, may be "" */
    size_t count;       /* violations found */
    cmfa_code rc;       /* first hard failure (out of memory, internal) */
};

static cmfa_code render_frames(const struct frame *f, struct cmfa__buf *b)
{
    cmfa_code rc;

    if (!f)
        return CMFA_OK;
    rc = render_frames(f->parent, b);
    if (rc != CMFA_OK)
        return rc;
    if (!f->name)
        return cmfa__buf_printf(b, "[%zu]", f->index);
    if (b->len) {
        rc = cmfa__buf_addc(b, '.');
        if (rc != CMFA_OK)
            return rc;
    }
    return cmfa__buf_addstr(b, f->name);
}

/* Copies at most size-1 bytes of s, cut at a UTF-8 boundary, with "..." when cut. */
static void shorten(const char *s, size_t len, char *out, size_t size)
{
    size_t n = len;

    if (n < size) {
        memcpy(out, s, n);
        out[n] = '\0';
        return;
    }
    n = size - 4;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    memcpy(out, s, n);
    memcpy(out + n, "...", 4);
}

static void violation(struct walk *w, const struct frame *f, const char *rule,
                      const char *fmt, ...) CMFA__PRINTF(4, 5);

static void violation(struct walk *w, const struct frame *f, const char *rule,
                      const char *fmt, ...)
{
    struct cmfa__buf path;
    char text[1024], shown[160];
    va_list ap;
    cmfa_code rc;

    if (w->rc != CMFA_OK)
        return;
    w->count++;
    cmfa__buf_init(&path, 0);
    rc = cmfa__buf_addstr(&path, w->prefix);
    if (rc == CMFA_OK)
        rc = render_frames(f, &path);
    if (rc == CMFA_OK && !path.data)
        rc = cmfa__buf_add(&path, "", 0);
    if (rc != CMFA_OK) {
        cmfa__buf_cleanup(&path);
        w->rc = CMFA_E_NOMEM;
        return;
    }
    if (path.len)
        shorten(path.data, path.len, shown, sizeof(shown));
    else
        memcpy(shown, "input", sizeof("input"));
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (w->err) {
        rc = cmfa__add_violation(w->err, path.data, rule, "%s %s", shown, text);
        if (rc == CMFA_E_NOMEM)
            w->rc = CMFA_E_NOMEM;
    }
    cmfa__buf_cleanup(&path);
}

static const char *json_type_name(const cJSON *j)
{
    switch (j->type & 0xFF) {
    case cJSON_False:
    case cJSON_True: return "boolean";
    case cJSON_NULL: return "null";
    case cJSON_Number: return "number";
    case cJSON_String: return "string";
    case cJSON_Array: return "array";
    case cJSON_Object: return "object";
    default: return "invalid value";
    }
}

static const char *expected_name(cmfa_shape_type t)
{
    switch (t) {
    case CMFA_SHAPE_STRUCTURE:
    case CMFA_SHAPE_MAP: return "an object";
    case CMFA_SHAPE_LIST: return "an array";
    case CMFA_SHAPE_STRING: return "a string";
    case CMFA_SHAPE_INTEGER:
    case CMFA_SHAPE_LONG: return "an integer";
    case CMFA_SHAPE_BOOLEAN: return "a boolean";
    case CMFA_SHAPE_TIMESTAMP: return "a number (epoch seconds)";
    case CMFA_SHAPE_DOUBLE: return "a number";
    }
    return "a value";
}

/* `"value"` when short and printable, else a description; never the whole of a long value. */
static void describe_string(const char *s, size_t len, size_t chars, char *out, size_t size)
{
    size_t i, o = 0;

    if (len <= 48) {
        int ok = 1;
        for (i = 0; i < len; i++)
            if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F)
                ok = 0;
        if (ok && size > 2 * len + 3) {
            out[o++] = '"';
            for (i = 0; i < len; i++) {
                if (s[i] == '"' || s[i] == '\\')
                    out[o++] = '\\';
                out[o++] = s[i];
            }
            out[o++] = '"';
            out[o] = '\0';
            return;
        }
    }
    snprintf(out, size, "a string of %zu characters", chars);
}

static void walk_value(struct walk *w, const struct cmfa_shape *shape, const cJSON *j,
                       const struct frame *f);

static void walk_string(struct walk *w, const struct cmfa_shape *shape, const cJSON *j,
                        const struct frame *f)
{
    const char *s = j->valuestring ? j->valuestring : "";
    size_t len = strlen(s), chars = cmfa__utf8_length(s, len);
    char got[128];

    if (chars == (size_t)-1) {
        violation(w, f, "utf8", "is not valid UTF-8");
        return;
    }
    if (shape->has_min && (long long)chars < shape->min)
        violation(w, f, "min_length", "must be at least %lld characters long (got %zu)",
                  shape->min, chars);
    if (shape->has_max && (long long)chars > shape->max)
        violation(w, f, "max_length", "must be at most %lld characters long (got %zu)",
                  shape->max, chars);
    if (shape->pattern) {
        cmfa_code rc;
        int m = regex_match(shape->pattern, s, len, &rc);
        if (m == 0)
            violation(w, f, "pattern", "must match pattern %s", shape->pattern);
        else if (m < 0 && w->rc == CMFA_OK)
            w->rc = rc == CMFA_E_NOMEM ? CMFA_E_NOMEM : CMFA_E_INTERNAL;
    }
    if (shape->enums) {
        const char *const *e;
        char list[512];
        size_t used = 0;

        for (e = shape->enums; *e; e++)
            if (strcmp(*e, s) == 0)
                return;
        list[0] = '\0';
        for (e = shape->enums; *e && used < sizeof(list); e++) {
            int n = snprintf(list + used, sizeof(list) - used, "%s%s",
                             e == shape->enums ? "" : ", ", *e);
            if (n < 0)
                break;
            used += (size_t)n;
        }
        describe_string(s, len, chars, got, sizeof(got));
        violation(w, f, "enum", "must be one of %s (got %s)", list, got);
    }
}

static void walk_integer(struct walk *w, const struct cmfa_shape *shape, const cJSON *j,
                         const struct frame *f)
{
    double d = j->valuedouble;
    long long v;

    /* Range check first: the cast below is defined only inside it (NaN fails too). */
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) ||
        (double)(v = (long long)d) != d) {
        violation(w, f, "type", "must be an integer (got %.15g)", d);
        return;
    }
    if (shape->has_min && v < shape->min) {
        violation(w, f, "min", "must be at least %lld (got %lld)", shape->min, v);
        return;
    }
    if (shape->has_max && v > shape->max) {
        violation(w, f, "max", "must be at most %lld (got %lld)", shape->max, v);
        return;
    }
    if (shape->type == CMFA_SHAPE_INTEGER && (v < -2147483648LL || v > 2147483647LL))
        violation(w, f, "type", "must be a 32-bit integer (got %lld)", v);
}

/* Members are checked in the model's order, then unknown members in the order given, so the
 * violations come out the same whatever order the caller built the object in. */
static void walk_structure(struct walk *w, const struct cmfa_shape *shape, const cJSON *j,
                           const struct frame *f)
{
    const cJSON *c;
    size_t i;

    for (i = 0; i < shape->nmembers && w->rc == CMFA_OK; i++) {
        const struct cmfa_member *m = &shape->members[i];
        struct frame child = {f, m->name, 0};

        c = cJSON_GetObjectItemCaseSensitive(j, m->name);
        if (!c || cJSON_IsNull(c)) {
            if (m->required)
                violation(w, &child, "required", "is required");
            continue;
        }
        walk_value(w, m->shape, c, &child);
    }
    for (c = j->child; c && w->rc == CMFA_OK; c = c->next) {
        struct frame child = {f, c->string ? c->string : "", 0};
        char known[512];
        size_t used = 0;

        if (cmfa__shape_member(shape, c->string))
            continue;
        known[0] = '\0';
        for (i = 0; i < shape->nmembers && used < sizeof(known); i++) {
            int n = snprintf(known + used, sizeof(known) - used, "%s%s", i ? ", " : "",
                             shape->members[i].name);
            if (n < 0)
                break;
            used += (size_t)n;
        }
        violation(w, &child, "unknown", "is not a known member of %s (expected one of: %s)",
                  shape->name, known);
    }
}

static void walk_value(struct walk *w, const struct cmfa_shape *shape, const cJSON *j,
                       const struct frame *f)
{
    const cJSON *c;
    size_t i, n;
    int ok;

    if (w->rc != CMFA_OK)
        return;
    switch (shape->type) {
    case CMFA_SHAPE_STRUCTURE:
    case CMFA_SHAPE_MAP: ok = cJSON_IsObject(j); break;
    case CMFA_SHAPE_LIST: ok = cJSON_IsArray(j); break;
    case CMFA_SHAPE_STRING: ok = cJSON_IsString(j); break;
    case CMFA_SHAPE_BOOLEAN: ok = cJSON_IsBool(j); break;
    case CMFA_SHAPE_INTEGER:
    case CMFA_SHAPE_LONG:
    case CMFA_SHAPE_TIMESTAMP:
    case CMFA_SHAPE_DOUBLE: ok = cJSON_IsNumber(j); break;
    default: ok = 0; break;
    }
    if (!ok) {
        violation(w, f, "type", "must be %s (got %s)", expected_name(shape->type),
                  json_type_name(j));
        return;
    }
    switch (shape->type) {
    case CMFA_SHAPE_STRUCTURE:
        walk_structure(w, shape, j, f);
        break;
    case CMFA_SHAPE_MAP:
        for (c = j->child; c && w->rc == CMFA_OK; c = c->next) {
            struct frame child = {f, c->string ? c->string : "", 0};
            walk_value(w, shape->element, c, &child);
        }
        break;
    case CMFA_SHAPE_LIST:
        n = 0;
        for (c = j->child; c; c = c->next)
            n++;
        if (shape->has_min && (long long)n < shape->min)
            violation(w, f, "min_length", "must have at least %lld items (got %zu)", shape->min,
                      n);
        if (shape->has_max && (long long)n > shape->max)
            violation(w, f, "max_length", "must have at most %lld items (got %zu)", shape->max,
                      n);
        for (c = j->child, i = 0; c && w->rc == CMFA_OK; c = c->next, i++) {
            struct frame child = {f, NULL, i};
            walk_value(w, shape->element, c, &child);
        }
        break;
    case CMFA_SHAPE_STRING:
        walk_string(w, shape, j, f);
        break;
    case CMFA_SHAPE_INTEGER:
    case CMFA_SHAPE_LONG:
        walk_integer(w, shape, j, f);
        break;
    case CMFA_SHAPE_TIMESTAMP:
    case CMFA_SHAPE_DOUBLE:
        if (!(j->valuedouble == j->valuedouble && j->valuedouble - j->valuedouble == 0))
            violation(w, f, "type", "must be a finite number");
        break;
    case CMFA_SHAPE_BOOLEAN:
        break;
    }
}

/* ------------------------------------------------------------------ entry points */

cmfa_code cmfa__validate_shape(const struct cmfa_shape *shape, const struct cmfa_value *v,
                               const char *path, struct cmfa_error *err)
{
    struct walk w;
    const cJSON *j = CMFA__JSON(v);
    cJSON empty;

    if (!shape)
        return cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "no shape to validate against");
    w.err = err;
    w.prefix = path ? path : "";
    w.count = 0;
    w.rc = CMFA_OK;
    if (!j) {
        /* No input at all: validate an empty object (what gets sent). */
        memset(&empty, 0, sizeof(empty));
        empty.type = cJSON_Object;
        j = &empty;
    }
    walk_value(&w, shape, j, NULL);
    if (w.rc != CMFA_OK) {
        if (err && err->code == CMFA_E_VALIDATION)
            err->code = CMFA_OK; /* the violations are incomplete: report the failure */
        return cmfa__fail(err, w.rc,
                          w.rc == CMFA_E_NOMEM ? "out of memory during validation"
                                               : "internal error during validation");
    }
    if (!w.count)
        return CMFA_OK;
    cmfa__finish_violations(err);
    return CMFA_E_VALIDATION;
}

cmfa_code cmfa_validate(const char *operation, const struct cmfa_value *input,
                        struct cmfa_error *err)
{
    const struct cmfa_operation *op;

    if (!operation)
        return cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "operation name is NULL");
    op = cmfa_model_operation(operation);
    if (!op)
        return cmfa__fail(err, CMFA_E_UNKNOWN_OPERATION, "unknown operation %.100s", operation);
    return cmfa__validate_shape(op->input, input, "", err);
}
