/* YAML (libyaml): values out as the AWS CLI v2 prints them (--output yaml and yaml-stream),
 * YAML text in for --cli-input-yaml, and the text of --generate-cli-skeleton yaml-input.
 *
 * Out. The AWS CLI dumps a response with ruamel.yaml in "safe" mode, whose emitter is libyaml's,
 * so the text here comes from libyaml's emitter driven with the same events ruamel sends:
 * block style (empty collections become {} and [] by themselves), mapping keys sorted, indent 2,
 * width 80, Unicode printed as is. What ruamel decides before the emitter, this file decides the
 * same way:
 *  - a string is written plain only if reading it back plain gives a string again under ruamel's
 *    YAML 1.2 rules (below); otherwise libyaml quotes it ('true', '123', '', '2024-01-01', '~');
 *    libyaml itself quotes what a plain scalar cannot hold (': ', '# ', leading '-', spaces at
 *    either end, line breaks, control characters);
 *  - numbers: whole numbers below 1e16 as integers, other numbers as Python's repr (1.5,
 *    1e+16), .nan, .inf; a member the model types as double always has a fraction or an
 *    exponent (values hold doubles, so 7 and 7.0 cannot be told apart otherwise);
 *  - null is `null`, booleans `true` / `false`;
 *  - a top-level scalar is written as JSON text, as the AWS CLI does (yaml-stream wraps the
 *    value in a one-element list first, so there it is YAML).
 * Timestamps are written as they are in the value: the caller formats them first (ISO 8601
 * strings come out quoted, as from the AWS CLI).
 *
 * In. libyaml's parser, event by event, into a value: one document whose root is a mapping; no
 * anchors, aliases or merge keys (no "billion laughs"); keys are strings; no duplicate keys;
 * depth and size bounded. Quoted scalars are strings. Plain scalars are read by the YAML 1.2
 * core rules (null, true/false, integers, floats; timestamps stay text), except where the model
 * knows the member: a string member keeps the text as written (OFF, 00123, true), so only a
 * member the model types as boolean or number turns `true` or `12` into one. Range and enum
 * checks are left to validation.
 *
 * libyaml allocates with malloc internally; every buffer of ours goes through cmfa_malloc. */
#include <math.h> /* NAN, INFINITY, isnan, isinf: macros, no libm */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "cmfa_int.h"

#define YAML_MAX_DEPTH 64
#define YAML_MAX_INPUT ((size_t)16 * 1024 * 1024)
#define YAML_MAX_OUTPUT ((size_t)256 * 1024 * 1024)

/* ------------------------------------------------------------------ plain scalar resolution
 *
 * What ruamel.yaml's resolver (the YAML 1.2 set it uses for the safe dumper and loader) makes
 * of a plain scalar. The first character selects the candidate rules, as in ruamel. */

enum resolved {
    R_STR = 0,
    R_NULL,
    R_BOOL,
    R_INT,
    R_FLOAT,
    R_TIMESTAMP,
    R_MERGE,   /* << */
    R_VALUE,   /* = */
    R_YAML     /* ! & * alone */
};

static const char *resolved_name(enum resolved r)
{
    switch (r) {
    case R_NULL: return "null";
    case R_BOOL: return "boolean";
    case R_INT: return "integer";
    case R_FLOAT: return "float";
    case R_TIMESTAMP: return "timestamp";
    case R_MERGE: return "merge key";
    case R_VALUE: return "value key";
    case R_YAML: return "indicator";
    case R_STR: break;
    }
    return "string";
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int eq(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/* Counts characters of s[i..n) in set (a predicate); returns the new index. */
static size_t span(const char *s, size_t i, size_t n, int (*in)(char))
{
    while (i < n && in(s[i]))
        i++;
    return i;
}

static int digit_(char c) { return is_digit(c) || c == '_'; }
static int bin_(char c) { return c == '0' || c == '1' || c == '_'; }
static int oct_(char c) { return (c >= '0' && c <= '7') || c == '_'; }
static int hex_(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '_';
}

/* [-+]?0b[0-1_]+ | [-+]?0o?[0-7_]+ | [-+]?[0-9_]+ | [-+]?0x[0-9a-fA-F_]+ */
static int match_int(const char *s, size_t n)
{
    size_t i = 0, j;

    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    if (i + 1 < n && s[i] == '0' && (s[i + 1] == 'b' || s[i + 1] == 'x')) {
        j = span(s, i + 2, n, s[i + 1] == 'b' ? bin_ : hex_);
        if (j == n && j > i + 2)
            return 1;
    }
    if (i + 1 < n && s[i] == '0') {
        size_t k = i + 1;

        if (s[k] == 'o')
            k++;
        j = span(s, k, n, oct_);
        if (j == n && j > k)
            return 1;
    }
    j = span(s, i, n, digit_);
    return j == n && j > i;
}

/* [eE][-+]?[0-9]+ starting at i (the sign required when sign_required); the end, or 0. */
static size_t match_exp(const char *s, size_t i, size_t n, int sign_required)
{
    size_t j;

    if (i >= n || (s[i] != 'e' && s[i] != 'E'))
        return 0;
    i++;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    else if (sign_required)
        return 0;
    j = i;
    while (j < n && is_digit(s[j]))
        j++;
    return j > i ? j : 0;
}

/*  [-+]?[0-9][0-9_]*\.[0-9_]*([eE][-+]?[0-9]+)?
 * |[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
 * |[-+]?\.[0-9_]+([eE][-+][0-9]+)?
 * |[-+]?\.(inf|Inf|INF)
 * |\.(nan|NaN|NAN)                                                     */
static int match_float(const char *s, size_t n)
{
    size_t i = 0, j;
    int signed_ = 0;

    if (i < n && (s[i] == '-' || s[i] == '+')) {
        i++;
        signed_ = 1;
    }
    if (i < n && is_digit(s[i])) {
        j = span(s, i + 1, n, digit_);
        if (j < n && s[j] == '.') {
            j = span(s, j + 1, n, digit_);
            return j == n || match_exp(s, j, n, 0) == n;
        }
        return match_exp(s, j, n, 0) == n;
    }
    if (i < n && s[i] == '.') {
        const char *r = s + i + 1;
        size_t rn = n - i - 1;

        if (eq(r, rn, "inf") || eq(r, rn, "Inf") || eq(r, rn, "INF"))
            return 1;
        if (!signed_ && (eq(r, rn, "nan") || eq(r, rn, "NaN") || eq(r, rn, "NAN")))
            return 1;
        j = span(s, i + 1, n, digit_);
        if (j == i + 1)
            return 0;
        return j == n || match_exp(s, j, n, 1) == n;
    }
    return 0;
}

/* Up to max digits (at least min) from *i. */
static int digits(const char *s, size_t *i, size_t n, int min, int max)
{
    int k = 0;

    while (k < max && *i < n && is_digit(s[*i])) {
        (*i)++;
        k++;
    }
    return k >= min;
}

/*  [0-9]{4}-[0-9]{2}-[0-9]{2}
 * |[0-9]{4}-[0-9][0-9]?-[0-9][0-9]?([Tt]|[ \t]+)[0-9][0-9]?:[0-9]{2}:[0-9]{2}(\.[0-9]*)?
 *  ([ \t]*(Z|[-+][0-9][0-9]?(:[0-9]{2})?))?                                               */
static int match_timestamp(const char *s, size_t n)
{
    size_t i = 0, j;

    if (n == 10 && digits(s, &i, n, 4, 4) && s[i] == '-' && (i++, digits(s, &i, n, 2, 2)) &&
        s[i] == '-' && (i++, digits(s, &i, n, 2, 2)) && i == n)
        return 1;
    i = 0;
    if (!digits(s, &i, n, 4, 4) || i >= n || s[i++] != '-' || !digits(s, &i, n, 1, 2) ||
        i >= n || s[i++] != '-' || !digits(s, &i, n, 1, 2) || i >= n)
        return 0;
    if (s[i] == 'T' || s[i] == 't') {
        i++;
    } else {
        j = i;
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
            i++;
        if (i == j)
            return 0;
    }
    if (!digits(s, &i, n, 1, 2) || i >= n || s[i++] != ':' || !digits(s, &i, n, 2, 2) ||
        i >= n || s[i++] != ':' || !digits(s, &i, n, 2, 2))
        return 0;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && is_digit(s[i]))
            i++;
    }
    if (i == n)
        return 1;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (i < n && s[i] == 'Z')
        return i + 1 == n;
    if (i >= n || (s[i] != '-' && s[i] != '+'))
        return 0;
    i++;
    if (!digits(s, &i, n, 1, 2))
        return 0;
    if (i == n)
        return 1;
    if (s[i++] != ':' || !digits(s, &i, n, 2, 2))
        return 0;
    return i == n;
}

/* The type a plain scalar s[0..n) reads as, in ruamel's resolver order. */
static enum resolved resolve_plain(const char *s, size_t n)
{
    if (n == 0 || eq(s, n, "~") || eq(s, n, "null") || eq(s, n, "Null") || eq(s, n, "NULL"))
        return R_NULL;
    if (eq(s, n, "true") || eq(s, n, "True") || eq(s, n, "TRUE") || eq(s, n, "false") ||
        eq(s, n, "False") || eq(s, n, "FALSE"))
        return R_BOOL;
    /* ruamel tries a rule only when the first character is one its matches can start with */
    if ((is_digit(s[0]) || s[0] == '-' || s[0] == '+' || s[0] == '.') && match_float(s, n))
        return R_FLOAT;
    if ((is_digit(s[0]) || s[0] == '-' || s[0] == '+') && match_int(s, n))
        return R_INT;
    if (eq(s, n, "<<"))
        return R_MERGE;
    if (is_digit(s[0]) && match_timestamp(s, n))
        return R_TIMESTAMP;
    if (eq(s, n, "="))
        return R_VALUE;
    if (eq(s, n, "!") || eq(s, n, "&") || eq(s, n, "*"))
        return R_YAML;
    return R_STR;
}

/* ------------------------------------------------------------------ numbers as Python prints */

/* repr(float) of Python: the shortest digits that read back the same; fixed notation for
 * decimal exponents -4..15 (with ".0" when there is no fraction), else d[.ddd]e+XX. */
static void python_float_repr(double d, char *out, size_t size)
{
    char tmp[48], digs[24];
    size_t nd = 0, k;
    int p, exp10, neg = 0;
    char *e;
    size_t o = 0;

    for (p = 1; p <= 17; p++) {
        snprintf(tmp, sizeof(tmp), "%.*e", p - 1, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    e = tmp;
    if (*e == '-') {
        neg = 1;
        e++;
    }
    for (; *e && *e != 'e'; e++)
        if (is_digit(*e) && nd < sizeof(digs) - 1)
            digs[nd++] = *e;
    digs[nd] = '\0';
    exp10 = *e == 'e' ? atoi(e + 1) : 0;
    while (nd > 1 && digs[nd - 1] == '0')
        digs[--nd] = '\0';
    {
#define PUT(c) do { if (o + 1 < size) out[o++] = (c); } while (0)
        if (neg)
            PUT('-');
        if (exp10 >= -4 && exp10 <= 15) {
            if (exp10 >= 0) {
                for (k = 0; k <= (size_t)exp10; k++)
                    PUT(k < nd ? digs[k] : '0');
                PUT('.');
                if (nd > (size_t)exp10 + 1)
                    for (k = (size_t)exp10 + 1; k < nd; k++)
                        PUT(digs[k]);
                else
                    PUT('0');
            } else {
                PUT('0');
                PUT('.');
                for (k = 0; k < (size_t)(-exp10 - 1); k++)
                    PUT('0');
                for (k = 0; k < nd; k++)
                    PUT(digs[k]);
            }
        } else {
            char ex[16];
            PUT(digs[0]);
            if (nd > 1) {
                PUT('.');
                for (k = 1; k < nd; k++)
                    PUT(digs[k]);
            }
            snprintf(ex, sizeof(ex), "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
            for (k = 0; ex[k]; k++)
                PUT(ex[k]);
        }
#undef PUT
        out[o] = '\0';
    }
}

static int shape_is(const struct cmfa_shape *s, cmfa_shape_type t)
{
    return s && s->type == t;
}

/* Whether a number is written as an integer: when it is whole and below 1e16 (as the JSON and
 * text output do), unless the model says double. */
static int number_is_integer(double d, const struct cmfa_shape *shape)
{
    double a = d < 0 ? -d : d;

    if (d != d || d - d != 0 || a >= 1e16) /* NaN, infinities, past exact integers */
        return 0;
    if ((double)(long long)d != d)
        return 0;
    return !shape_is(shape, CMFA_SHAPE_DOUBLE);
}

/* The number as YAML (yaml = 1) or as Python's json module writes it (yaml = 0). */
static void format_number(double d, const struct cmfa_shape *shape, int yaml, char *out,
                          size_t size)
{
    if (isnan(d)) {
        snprintf(out, size, "%s", yaml ? ".nan" : "NaN");
    } else if (isinf(d)) {
        if (yaml)
            snprintf(out, size, "%s", d < 0 ? "-.inf" : ".inf");
        else
            snprintf(out, size, "%s", d < 0 ? "-Infinity" : "Infinity");
    } else if (number_is_integer(d, shape)) {
        snprintf(out, size, "%lld", (long long)d);
    } else {
        python_float_repr(d, out, size);
    }
}

/* ------------------------------------------------------------------ paths for messages */

struct frame {
    const struct frame *parent;
    const char *name; /* NULL for a list index */
    size_t index;
};

static void render_path(const struct frame *f, char *out, size_t size, size_t *used)
{
    int n;

    if (!f || *used >= size)
        return;
    render_path(f->parent, out, size, used);
    if (*used >= size)
        return;
    if (!f->name)
        n = snprintf(out + *used, size - *used, "[%zu]", f->index);
    else
        n = snprintf(out + *used, size - *used, "%s%.200s", *used ? "." : "", f->name);
    if (n > 0)
        *used += (size_t)n;
}

static const char *path_text(const struct frame *f, char *out, size_t size)
{
    size_t used = 0;

    out[0] = '\0';
    render_path(f, out, size, &used);
    if (!out[0])
        snprintf(out, size, "the value");
    return out;
}

/* ------------------------------------------------------------------ emitter */

struct emitter {
    yaml_emitter_t y;
    struct cmfa__buf out;
    cmfa_code write_rc;
    struct cmfa_error *err;
};

static int write_out(void *data, unsigned char *buffer, size_t size)
{
    struct emitter *em = data;
    cmfa_code rc = cmfa__buf_add(&em->out, buffer, size);

    if (rc != CMFA_OK) {
        em->write_rc = rc;
        return 0;
    }
    return 1;
}

static cmfa_code emit_event(struct emitter *em, yaml_event_t *ev)
{
    if (yaml_emitter_emit(&em->y, ev))
        return CMFA_OK;
    if (em->write_rc == CMFA_E_TOO_LARGE)
        return cmfa__fail(em->err, CMFA_E_BAD_ARGUMENT,
                          "the YAML text would be larger than %zu bytes", YAML_MAX_OUTPUT);
    if (em->write_rc == CMFA_E_NOMEM || em->y.error == YAML_MEMORY_ERROR)
        return cmfa__fail(em->err, CMFA_E_NOMEM, "out of memory writing YAML");
    return cmfa__fail(em->err, CMFA_E_INTERNAL, "YAML emitter: %s",
                      em->y.problem ? em->y.problem : "failed");
}

static cmfa_code nomem(struct cmfa_error *err)
{
    return cmfa__fail(err, CMFA_E_NOMEM, "out of memory writing YAML");
}

/* A scalar. Strings are written plain only when they read back as strings (else libyaml
 * quotes them); other scalars (numbers, booleans, null) are plain. */
static cmfa_code emit_scalar(struct emitter *em, const char *text, size_t len, int is_string,
                             const struct frame *f)
{
    yaml_event_t ev;
    int plain_implicit = 1, quoted_implicit = 0;

    if (is_string) {
        char path[256];

        if (cmfa__utf8_length(text, len) == (size_t)-1)
            return cmfa__fail(em->err, CMFA_E_BAD_ARGUMENT,
                              "cannot write %s as YAML: it is not valid UTF-8",
                              path_text(f, path, sizeof(path)));
        if (len > (size_t)0x7fffffff)
            return cmfa__fail(em->err, CMFA_E_BAD_ARGUMENT,
                              "cannot write %s as YAML: string too long",
                              path_text(f, path, sizeof(path)));
        plain_implicit = resolve_plain(text, len) == R_STR;
        quoted_implicit = 1;
    }
    if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text, (int)len,
                                      plain_implicit, quoted_implicit, YAML_ANY_SCALAR_STYLE))
        return nomem(em->err);
    return emit_event(em, &ev);
}

struct entry {
    const char *key;
    const struct cmfa_value *v;
    size_t index;
};

static int entry_cmp(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    int c = strcmp(x->key, y->key); /* byte order of UTF-8 = code point order, as Python */

    if (c)
        return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

static cmfa_code emit_value(struct emitter *em, const struct cmfa_value *v,
                            const struct cmfa_shape *shape, const struct frame *f, int depth);

static cmfa_code emit_mapping(struct emitter *em, const struct cmfa_value *v,
                              const struct cmfa_shape *shape, const struct frame *f, int depth)
{
    size_t i, n = cmfa_value_count(v);
    struct entry *entries = NULL;
    yaml_event_t ev;
    cmfa_code rc = CMFA_OK;

    if (n) {
        entries = cmfa_malloc(n * sizeof(*entries));
        if (!entries)
            return nomem(em->err);
        for (i = 0; i < n; i++) {
            entries[i].v = cmfa_value_at(v, i, &entries[i].key);
            entries[i].index = i;
            if (!entries[i].key)
                entries[i].key = "";
        }
        qsort(entries, n, sizeof(*entries), entry_cmp);
    }
    if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE)) {
        rc = nomem(em->err);
        goto cleanup;
    }
    if ((rc = emit_event(em, &ev)) != CMFA_OK)
        goto cleanup;
    for (i = 0; i < n; i++) {
        struct frame child = {f, entries[i].key, 0};
        const struct cmfa_shape *ms = NULL;

        if (shape_is(shape, CMFA_SHAPE_MAP)) {
            ms = shape->element;
        } else if (shape_is(shape, CMFA_SHAPE_STRUCTURE)) {
            const struct cmfa_member *m = cmfa__shape_member(shape, entries[i].key);
            ms = m ? m->shape : NULL;
        }
        rc = emit_scalar(em, entries[i].key, strlen(entries[i].key), 1, &child);
        if (rc == CMFA_OK)
            rc = emit_value(em, entries[i].v, ms, &child, depth + 1);
        if (rc != CMFA_OK)
            goto cleanup;
    }
    if (!yaml_mapping_end_event_initialize(&ev)) {
        rc = nomem(em->err);
        goto cleanup;
    }
    rc = emit_event(em, &ev);
cleanup:
    cmfa_free(entries);
    return rc;
}

static cmfa_code emit_sequence(struct emitter *em, const struct cmfa_value *v,
                               const struct cmfa_shape *shape, const struct frame *f, int depth)
{
    const struct cmfa_shape *es = shape_is(shape, CMFA_SHAPE_LIST) ? shape->element : NULL;
    size_t i, n = cmfa_value_count(v);
    yaml_event_t ev;
    cmfa_code rc;

    if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE))
        return nomem(em->err);
    if ((rc = emit_event(em, &ev)) != CMFA_OK)
        return rc;
    for (i = 0; i < n; i++) {
        struct frame child = {f, NULL, i};

        rc = emit_value(em, cmfa_value_at(v, i, NULL), es, &child, depth + 1);
        if (rc != CMFA_OK)
            return rc;
    }
    if (!yaml_sequence_end_event_initialize(&ev))
        return nomem(em->err);
    return emit_event(em, &ev);
}

static cmfa_code emit_value(struct emitter *em, const struct cmfa_value *v,
                            const struct cmfa_shape *shape, const struct frame *f, int depth)
{
    char num[64], path[256];
    const char *s;
    size_t len;

    if (depth > YAML_MAX_DEPTH)
        return cmfa__fail(em->err, CMFA_E_BAD_ARGUMENT,
                          "cannot write %s as YAML: nested deeper than %d levels",
                          path_text(f, path, sizeof(path)), YAML_MAX_DEPTH);
    switch (cmfa_value_type(v)) {
    case CMFA_TYPE_NULL:
        return emit_scalar(em, "null", 4, 0, f);
    case CMFA_TYPE_BOOL:
        return cmfa_value_bool(v) ? emit_scalar(em, "true", 4, 0, f)
                                  : emit_scalar(em, "false", 5, 0, f);
    case CMFA_TYPE_NUMBER:
        format_number(cmfa_value_number(v), shape, 1, num, sizeof(num));
        return emit_scalar(em, num, strlen(num), 0, f);
    case CMFA_TYPE_STRING:
        s = cmfa_value_string(v, &len);
        return emit_scalar(em, s ? s : "", len, 1, f);
    case CMFA_TYPE_OBJECT:
        return emit_mapping(em, v, shape, f, depth);
    case CMFA_TYPE_ARRAY:
        return emit_sequence(em, v, shape, f, depth);
    default:
        break;
    }
    return cmfa__fail(em->err, CMFA_E_BAD_ARGUMENT, "cannot write %s as YAML: invalid value",
                      path_text(f, path, sizeof(path)));
}

/* A top-level scalar as Python's json.dump(ensure_ascii=False) writes it, plus "\n". */
static cmfa_code json_scalar(const struct cmfa_value *v, const struct cmfa_shape *shape,
                             struct cmfa__buf *b, struct cmfa_error *err)
{
    char num[64];
    const char *s;
    size_t i, len;
    cmfa_code rc = CMFA_OK;

    switch (cmfa_value_type(v)) {
    case CMFA_TYPE_NULL:
        rc = cmfa__buf_addstr(b, "null");
        break;
    case CMFA_TYPE_BOOL:
        rc = cmfa__buf_addstr(b, cmfa_value_bool(v) ? "true" : "false");
        break;
    case CMFA_TYPE_NUMBER:
        format_number(cmfa_value_number(v), shape, 0, num, sizeof(num));
        rc = cmfa__buf_addstr(b, num);
        break;
    case CMFA_TYPE_STRING:
        s = cmfa_value_string(v, &len);
        if (cmfa__utf8_length(s, len) == (size_t)-1)
            return cmfa__fail(err, CMFA_E_BAD_ARGUMENT,
                              "cannot write the value as YAML: it is not valid UTF-8");
        rc = cmfa__buf_addc(b, '"');
        for (i = 0; rc == CMFA_OK && i < len; i++) {
            unsigned char c = (unsigned char)s[i];

            switch (c) {
            case '"': rc = cmfa__buf_add(b, "\\\"", 2); break;
            case '\\': rc = cmfa__buf_add(b, "\\\\", 2); break;
            case '\n': rc = cmfa__buf_add(b, "\\n", 2); break;
            case '\r': rc = cmfa__buf_add(b, "\\r", 2); break;
            case '\t': rc = cmfa__buf_add(b, "\\t", 2); break;
            case '\b': rc = cmfa__buf_add(b, "\\b", 2); break;
            case '\f': rc = cmfa__buf_add(b, "\\f", 2); break;
            default:
                if (c < 0x20)
                    rc = cmfa__buf_printf(b, "\\u%04x", c);
                else
                    rc = cmfa__buf_addc(b, (char)c);
            }
        }
        if (rc == CMFA_OK)
            rc = cmfa__buf_addc(b, '"');
        break;
    default:
        return cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "cannot write the value as YAML");
    }
    if (rc == CMFA_OK)
        rc = cmfa__buf_addc(b, '\n');
    if (rc == CMFA_E_NOMEM)
        return nomem(err);
    if (rc != CMFA_OK)
        return cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "the value is too large for YAML");
    return CMFA_OK;
}

char *cmfa_value_to_yaml(const struct cmfa_value *v, const struct cmfa_shape *shape, int stream,
                         size_t *len, struct cmfa_error *err)
{
    struct emitter em;
    yaml_event_t ev;
    cmfa_type t = cmfa_value_type(v);
    cmfa_code rc = CMFA_OK;
    int have_emitter = 0;
    char *text = NULL;

    if (len)
        *len = 0;
    if (t == CMFA_TYPE_INVALID) {
        cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "no value to write as YAML");
        return NULL;
    }
    memset(&em, 0, sizeof(em));
    cmfa__buf_init(&em.out, YAML_MAX_OUTPUT);
    em.err = err;
    if (!stream && t != CMFA_TYPE_OBJECT && t != CMFA_TYPE_ARRAY) {
        rc = json_scalar(v, shape, &em.out, err);
        goto cleanup;
    }
    if (!yaml_emitter_initialize(&em.y)) {
        rc = nomem(err);
        goto cleanup;
    }
    have_emitter = 1;
    yaml_emitter_set_output(&em.y, write_out, &em);
    yaml_emitter_set_unicode(&em.y, 1);
    yaml_emitter_set_indent(&em.y, 2);
    yaml_emitter_set_width(&em.y, 80);
#define EMIT(init)                                    \
    do {                                              \
        if (!(init)) {                                \
            rc = nomem(err);                          \
            goto cleanup;                             \
        }                                             \
        if ((rc = emit_event(&em, &ev)) != CMFA_OK)   \
            goto cleanup;                             \
    } while (0)
    EMIT(yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
    EMIT(yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1));
    if (stream)
        EMIT(yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE));
    if ((rc = emit_value(&em, v, shape, NULL, stream ? 2 : 1)) != CMFA_OK)
        goto cleanup;
    if (stream)
        EMIT(yaml_sequence_end_event_initialize(&ev));
    EMIT(yaml_document_end_event_initialize(&ev, 1));
    EMIT(yaml_stream_end_event_initialize(&ev));
#undef EMIT
cleanup:
    if (have_emitter)
        yaml_emitter_delete(&em.y);
    if (rc == CMFA_OK) {
        size_t n = 0;

        text = cmfa__buf_take(&em.out, &n);
        if (!text)
            nomem(err);
        else if (len)
            *len = n;
    }
    cmfa__buf_cleanup(&em.out);
    return text;
}

/* ------------------------------------------------------------------ parser */

#define YAML_MAX_NODES 100000
#define YAML_MAX_MEMBERS 10000

struct reader {
    yaml_parser_t y;
    yaml_event_t ev;
    int have;          /* ev holds an event */
    size_t nodes;
    struct cmfa_error *err;
};

/* Fails with "line L, column C: <message>" at mark. */
static cmfa_code fail_at(struct reader *r, yaml_mark_t mark, const char *fmt, ...)
    CMFA__PRINTF(3, 4);

static cmfa_code fail_at(struct reader *r, yaml_mark_t mark, const char *fmt, ...)
{
    char msg[CMFA_ERROR_SIZE];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return cmfa__fail(r->err, CMFA_E_BAD_ARGUMENT, "line %zu, column %zu: %s", mark.line + 1,
                      mark.column + 1, msg);
}

static cmfa_code next_event(struct reader *r)
{
    if (r->have) {
        yaml_event_delete(&r->ev);
        r->have = 0;
    }
    if (yaml_parser_parse(&r->y, &r->ev)) {
        r->have = 1;
        return CMFA_OK;
    }
    switch (r->y.error) {
    case YAML_MEMORY_ERROR:
        return cmfa__fail(r->err, CMFA_E_NOMEM, "out of memory reading YAML");
    case YAML_READER_ERROR:
        return cmfa__fail(r->err, CMFA_E_BAD_ARGUMENT, "byte offset %zu: %s",
                          r->y.problem_offset, r->y.problem ? r->y.problem : "unreadable text");
    default:
        if (r->y.context)
            return fail_at(r, r->y.problem_mark, "%s (%s at line %zu, column %zu)",
                           r->y.problem ? r->y.problem : "syntax error", r->y.context,
                           r->y.context_mark.line + 1, r->y.context_mark.column + 1);
        return fail_at(r, r->y.problem_mark, "%s",
                       r->y.problem ? r->y.problem : "syntax error");
    }
}

static const char *event_kind(const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_SEQUENCE_START_EVENT: return "a sequence";
    case YAML_MAPPING_START_EVENT: return "a mapping";
    case YAML_ALIAS_EVENT: return "an alias";
    case YAML_SCALAR_EVENT:
        if (ev->data.scalar.plain_implicit &&
            resolve_plain((const char *)ev->data.scalar.value, ev->data.scalar.length) == R_NULL)
            return ev->data.scalar.length ? "null" : "nothing";
        return "a scalar";
    default: return "something else";
    }
}

/* Tag handling: standard tags of the YAML core schema are accepted; others are refused. */
#define TAG(x) "tag:yaml.org,2002:" x

static cmfa_code check_collection_tag(struct reader *r, const yaml_char_t *tag, const char *want)
{
    if (!tag || strcmp((const char *)tag, want) == 0 || strcmp((const char *)tag, "!") == 0)
        return CMFA_OK;
    return fail_at(r, r->ev.start_mark, "the tag %.100s is not supported", (const char *)tag);
}

static int tag_is(const yaml_char_t *tag, const char *name)
{
    return tag && strcmp((const char *)tag, name) == 0;
}

static char *strip_underscores(const char *s, size_t n)
{
    char *out = cmfa_malloc(n + 1);
    size_t i, o = 0;

    if (!out)
        return NULL;
    for (i = 0; i < n; i++)
        if (s[i] != '_')
            out[o++] = s[i];
    out[o] = '\0';
    return out;
}

/* Number of a text matching match_int or match_float; NOMEM only. */
static cmfa_code parse_number(const char *s, size_t n, int is_int, double *out)
{
    char *t = strip_underscores(s, n), *p;
    int neg = 0;

    if (!t)
        return CMFA_E_NOMEM;
    p = t;
    if (*p == '-' || *p == '+') {
        neg = *p == '-';
        p++;
    }
    if (!is_int) {
        if (p[0] == '.' && (p[1] == 'i' || p[1] == 'I'))
            *out = neg ? -INFINITY : INFINITY;
        else if (p[0] == '.' && (p[1] == 'n' || p[1] == 'N'))
            *out = NAN;
        else
            *out = strtod(t, NULL);
    } else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'x' || p[1] == 'o')) {
        int base = p[1] == 'b' ? 2 : p[1] == 'x' ? 16 : 8;
        double d = 0;

        for (p += 2; *p; p++) {
            int digit = is_digit(*p) ? *p - '0' : (*p | 0x20) - 'a' + 10;
            d = d * base + digit;
        }
        *out = neg ? -d : d;
    } else {
        *out = strtod(t, NULL); /* decimal, leading zeros allowed (YAML 1.2) */
    }
    cmfa_free(t);
    return CMFA_OK;
}

static cmfa_code scalar_value(struct reader *r, const struct cmfa_shape *shape,
                              struct cmfa_value **out)
{
    const yaml_event_t *ev = &r->ev;
    const char *s = (const char *)ev->data.scalar.value;
    const yaml_char_t *tag = ev->data.scalar.tag;
    size_t n = ev->data.scalar.length;
    enum resolved kind = R_STR;
    double d = 0;

    if (memchr(s, '\0', n))
        return fail_at(r, ev->start_mark, "a NUL character cannot be read into a string");
    if (tag && !tag_is(tag, TAG("str")) && !tag_is(tag, "!")) {
        kind = resolve_plain(s, n);
        if (tag_is(tag, TAG("null")) && kind == R_NULL) {
        } else if (tag_is(tag, TAG("bool")) && kind == R_BOOL) {
        } else if (tag_is(tag, TAG("int")) && kind == R_INT) {
        } else if (tag_is(tag, TAG("float")) && (kind == R_FLOAT || kind == R_INT)) {
            kind = R_FLOAT;
        } else if (tag_is(tag, TAG("null")) || tag_is(tag, TAG("bool")) ||
                   tag_is(tag, TAG("int")) || tag_is(tag, TAG("float"))) {
            return fail_at(r, ev->start_mark, "\"%.60s\" is not a valid %.40s", s,
                           (const char *)tag + strlen(TAG("")));
        } else {
            return fail_at(r, ev->start_mark, "the tag %.100s is not supported",
                           (const char *)tag);
        }
    } else if (!tag && ev->data.scalar.plain_implicit) {
        kind = resolve_plain(s, n);
        if (kind != R_NULL && (shape_is(shape, CMFA_SHAPE_STRING) ||
                               shape_is(shape, CMFA_SHAPE_TIMESTAMP)))
            kind = R_STR; /* the model says string: the text as written */
    }
    switch (kind) {
    case R_NULL:
        *out = cmfa_value_new_null();
        break;
    case R_BOOL:
        *out = cmfa_value_new_bool(s[0] == 't' || s[0] == 'T');
        break;
    case R_INT:
    case R_FLOAT:
        if (parse_number(s, n, kind == R_INT, &d) != CMFA_OK)
            return cmfa__fail(r->err, CMFA_E_NOMEM, "out of memory reading YAML");
        *out = cmfa_value_new_number(d);
        break;
    default:
        *out = cmfa_value_new_string(s, n);
        break;
    }
    if (!*out)
        return cmfa__fail(r->err, CMFA_E_NOMEM, "out of memory reading YAML");
    return CMFA_OK;
}

static cmfa_code read_node(struct reader *r, const struct cmfa_shape *shape, int depth,
                           struct cmfa_value **out);

static cmfa_code read_mapping(struct reader *r, const struct cmfa_shape *shape, int depth,
                              struct cmfa_value *obj)
{
    size_t count = 0;
    cmfa_code rc;

    for (;;) {
        const struct cmfa_shape *ms = NULL;
        struct cmfa_value *child = NULL;
        const char *k;
        size_t kn;
        char *key;

        if ((rc = next_event(r)) != CMFA_OK)
            return rc;
        if (r->ev.type == YAML_MAPPING_END_EVENT)
            return CMFA_OK;
        if (r->ev.type == YAML_ALIAS_EVENT)
            return fail_at(r, r->ev.start_mark, "aliases are not allowed");
        if (r->ev.type != YAML_SCALAR_EVENT)
            return fail_at(r, r->ev.start_mark, "keys must be strings, found %s",
                           event_kind(&r->ev));
        if (r->ev.data.scalar.anchor)
            return fail_at(r, r->ev.start_mark, "anchors are not allowed");
        k = (const char *)r->ev.data.scalar.value;
        kn = r->ev.data.scalar.length;
        if (r->ev.data.scalar.tag && !tag_is(r->ev.data.scalar.tag, TAG("str")) &&
            !tag_is(r->ev.data.scalar.tag, "!"))
            return fail_at(r, r->ev.start_mark, "keys must be strings (tag %.100s)",
                           (const char *)r->ev.data.scalar.tag);
        if (!r->ev.data.scalar.tag && r->ev.data.scalar.plain_implicit) {
            enum resolved kind = resolve_plain(k, kn);

            if (kind == R_MERGE)
                return fail_at(r, r->ev.start_mark, "merge keys (<<) are not allowed");
            if (kind != R_STR)
                return fail_at(r, r->ev.start_mark,
                               "keys must be strings, \"%.60s\" reads as a %s (quote it)", k,
                               resolved_name(kind));
        }
        if (memchr(k, '\0', kn))
            return fail_at(r, r->ev.start_mark, "a NUL character cannot be read into a key");
        if (cmfa_value_get(obj, k))
            return fail_at(r, r->ev.start_mark, "duplicate key \"%.100s\"", k);
        if (++count > YAML_MAX_MEMBERS)
            return fail_at(r, r->ev.start_mark, "more than %d keys in one mapping",
                           YAML_MAX_MEMBERS);
        if (shape_is(shape, CMFA_SHAPE_MAP)) {
            ms = shape->element;
        } else if (shape_is(shape, CMFA_SHAPE_STRUCTURE)) {
            const struct cmfa_member *m = cmfa__shape_member(shape, k);
            ms = m ? m->shape : NULL;
        }
        key = cmfa__strndup(k, kn);
        if (!key)
            return cmfa__fail(r->err, CMFA_E_NOMEM, "out of memory reading YAML");
        rc = next_event(r);
        if (rc == CMFA_OK)
            rc = read_node(r, ms, depth + 1, &child);
        if (rc == CMFA_OK) {
            rc = cmfa_value_set(obj, key, child); /* takes child, also on failure */
            if (rc != CMFA_OK)
                rc = cmfa__fail(r->err, CMFA_E_NOMEM, "out of memory reading YAML");
        }
        cmfa_free(key);
        if (rc != CMFA_OK)
            return rc;
    }
}

static cmfa_code read_sequence(struct reader *r, const struct cmfa_shape *shape, int depth,
                               struct cmfa_value *arr)
{
    const struct cmfa_shape *es = shape_is(shape, CMFA_SHAPE_LIST) ? shape->element : NULL;
    cmfa_code rc;

    for (;;) {
        struct cmfa_value *child = NULL;

        if ((rc = next_event(r)) != CMFA_OK)
            return rc;
        if (r->ev.type == YAML_SEQUENCE_END_EVENT)
            return CMFA_OK;
        if ((rc = read_node(r, es, depth + 1, &child)) != CMFA_OK)
            return rc;
        if (cmfa_value_append(arr, child) != CMFA_OK)
            return cmfa__fail(r->err, CMFA_E_NOMEM, "out of memory reading YAML");
    }
}

/* Reads the node that starts with the current event into *out (NULL on failure). */
static cmfa_code read_node(struct reader *r, const struct cmfa_shape *shape, int depth,
                           struct cmfa_value **out)
{
    const yaml_char_t *anchor = NULL, *tag = NULL;
    cmfa_code rc;

    *out = NULL;
    if (++r->nodes > YAML_MAX_NODES)
        return fail_at(r, r->ev.start_mark, "more than %d values", YAML_MAX_NODES);
    if (depth > YAML_MAX_DEPTH)
        return fail_at(r, r->ev.start_mark, "nested deeper than %d levels", YAML_MAX_DEPTH);
    switch (r->ev.type) {
    case YAML_ALIAS_EVENT:
        return fail_at(r, r->ev.start_mark, "aliases are not allowed");
    case YAML_SCALAR_EVENT:
        if (r->ev.data.scalar.anchor)
            return fail_at(r, r->ev.start_mark, "anchors are not allowed");
        return scalar_value(r, shape, out);
    case YAML_SEQUENCE_START_EVENT:
        anchor = r->ev.data.sequence_start.anchor;
        tag = r->ev.data.sequence_start.tag;
        break;
    case YAML_MAPPING_START_EVENT:
        anchor = r->ev.data.mapping_start.anchor;
        tag = r->ev.data.mapping_start.tag;
        break;
    default:
        return fail_at(r, r->ev.start_mark, "unexpected YAML event");
    }
    if (anchor)
        return fail_at(r, r->ev.start_mark, "anchors are not allowed");
    if (r->ev.type == YAML_SEQUENCE_START_EVENT) {
        if ((rc = check_collection_tag(r, tag, TAG("seq"))) != CMFA_OK)
            return rc;
        *out = cmfa_value_new_array();
    } else {
        if ((rc = check_collection_tag(r, tag, TAG("map"))) != CMFA_OK)
            return rc;
        *out = cmfa_value_new_object();
    }
    if (!*out)
        return cmfa__fail(r->err, CMFA_E_NOMEM, "out of memory reading YAML");
    rc = r->ev.type == YAML_SEQUENCE_START_EVENT ? read_sequence(r, shape, depth, *out)
                                                 : read_mapping(r, shape, depth, *out);
    if (rc != CMFA_OK) {
        cmfa_value_free(*out);
        *out = NULL;
    }
    return rc;
}

struct cmfa_value *cmfa_value_parse_yaml(const char *text, size_t len,
                                         const struct cmfa_shape *shape, struct cmfa_error *err)
{
    struct reader r;
    struct cmfa_value *root = NULL;
    cmfa_code rc;

    if (!text && len) {
        cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "YAML text is NULL");
        return NULL;
    }
    if (len > YAML_MAX_INPUT) {
        cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "YAML text is larger than %zu bytes",
                   YAML_MAX_INPUT);
        return NULL;
    }
    memset(&r, 0, sizeof(r));
    r.err = err;
    if (!yaml_parser_initialize(&r.y)) {
        cmfa__fail(err, CMFA_E_NOMEM, "out of memory reading YAML");
        return NULL;
    }
    yaml_parser_set_input_string(&r.y, (const unsigned char *)(text ? text : ""), len);
    if ((rc = next_event(&r)) != CMFA_OK) /* stream start */
        goto cleanup;
    if ((rc = next_event(&r)) != CMFA_OK)
        goto cleanup;
    if (r.ev.type == YAML_STREAM_END_EVENT) {
        rc = fail_at(&r, r.ev.start_mark, "expected a mapping, found an empty document");
        goto cleanup;
    }
    if ((rc = next_event(&r)) != CMFA_OK) /* the root node */
        goto cleanup;
    if (r.ev.type != YAML_MAPPING_START_EVENT) {
        rc = fail_at(&r, r.ev.start_mark, "expected a mapping, found %s", event_kind(&r.ev));
        goto cleanup;
    }
    if ((rc = read_node(&r, shape, 1, &root)) != CMFA_OK)
        goto cleanup;
    if ((rc = next_event(&r)) != CMFA_OK) /* document end */
        goto cleanup;
    if ((rc = next_event(&r)) != CMFA_OK)
        goto cleanup;
    if (r.ev.type != YAML_STREAM_END_EVENT)
        rc = fail_at(&r, r.ev.start_mark, "expected one document, found a second one");
cleanup:
    if (r.have)
        yaml_event_delete(&r.ev);
    yaml_parser_delete(&r.y);
    if (rc != CMFA_OK) {
        cmfa_value_free(root);
        return NULL;
    }
    return root;
}

/* ------------------------------------------------------------------ skeleton
 *
 * The text of `aws ... --generate-cli-skeleton yaml-input`: the input shape's members in model
 * order, each with a placeholder ('' for strings, the first value of an enum, 0 for integers,
 * 0.0 for doubles, true for booleans, 1970-01-01 00:00:00 for timestamps, one element for a
 * list, KeyName for a map) and an end-of-line comment: "[REQUIRED]", the member's documentation
 * when given, "Valid values are: A, B." for enums, joined by spaces. ruamel.yaml writes a
 * comment two spaces after the value when no earlier member of the same mapping (in insertion
 * order, up to the first one whose name sorts at or after this one) has a comment, one space
 * otherwise; this is reproduced. */

struct skel {
    struct cmfa__buf b;
    const struct cmfa_yaml_skeleton_options *opts;
};

static const char *skel_doc(const struct skel *k, const struct cmfa_shape *s,
                            const struct cmfa_member *m, int *found)
{
    size_t i, sl = strlen(s->name), ml = strlen(m->name);

    *found = 0;
    if (!k->opts || !k->opts->docs)
        return NULL;
    for (i = 0; i < k->opts->ndocs; i++) {
        const char *key = k->opts->docs[i].key;

        if (key && strlen(key) == sl + 1 + ml && memcmp(key, s->name, sl) == 0 &&
            key[sl] == '.' && memcmp(key + sl + 1, m->name, ml) == 0) {
            *found = 1;
            return k->opts->docs[i].text ? k->opts->docs[i].text : "";
        }
    }
    return "";
}

static int skel_included(const struct skel *k, const struct cmfa_shape *s,
                         const struct cmfa_member *m)
{
    int found;

    if (!k->opts || !k->opts->documented_only)
        return 1;
    skel_doc(k, s, m, &found);
    return found;
}

static size_t skel_count(const struct skel *k, const struct cmfa_shape *s)
{
    size_t i, n = 0;

    for (i = 0; i < s->nmembers; i++)
        n += skel_included(k, s, &s->members[i]);
    return n;
}

/* The comment for a member ("" when none): caller frees with cmfa_free; NULL on NOMEM. */
static char *skel_comment(const struct skel *k, const struct cmfa_shape *s,
                          const struct cmfa_member *m)
{
    struct cmfa__buf c;
    const char *doc;
    int found, parts = 0;
    size_t i;
    cmfa_code rc = CMFA_OK;

    cmfa__buf_init(&c, 0);
    doc = skel_doc(k, s, m, &found);
    if (m->required) {
        rc = cmfa__buf_addstr(&c, "[REQUIRED]");
        parts++;
    }
    if (rc == CMFA_OK && doc) { /* with documentation given, always a part (as the CLI) */
        if (parts++)
            rc = cmfa__buf_addc(&c, ' ');
        if (rc == CMFA_OK)
            rc = cmfa__buf_addstr(&c, doc);
    }
    if (rc == CMFA_OK && m->shape->enums) {
        if (parts++)
            rc = cmfa__buf_addc(&c, ' ');
        if (rc == CMFA_OK)
            rc = cmfa__buf_addstr(&c, "Valid values are: ");
        for (i = 0; rc == CMFA_OK && m->shape->enums[i]; i++) {
            if (i)
                rc = cmfa__buf_addstr(&c, ", ");
            if (rc == CMFA_OK)
                rc = cmfa__buf_addstr(&c, m->shape->enums[i]);
        }
        if (rc == CMFA_OK)
            rc = cmfa__buf_addc(&c, '.');
    }
    if (rc != CMFA_OK) {
        cmfa__buf_cleanup(&c);
        return NULL;
    }
    for (i = 0; i < c.len; i++) /* only white space: no comment */
        if (c.data[i] != ' ' && c.data[i] != '\t' && c.data[i] != '\n' && c.data[i] != '\r')
            break;
    if (i == c.len)
        cmfa__buf_reset(&c);
    return cmfa__buf_take(&c, NULL);
}

static cmfa_code skel_indent(struct skel *k, int indent)
{
    cmfa_code rc = CMFA_OK;

    while (rc == CMFA_OK && indent-- > 0)
        rc = cmfa__buf_addc(&k->b, ' ');
    return rc;
}

/* The placeholder of a scalar shape. */
static cmfa_code skel_scalar(struct skel *k, const struct cmfa_shape *s)
{
    switch (s->type) {
    case CMFA_SHAPE_STRING:
        if (s->enums && s->enums[0]) {
            const char *e = s->enums[0];
            if (resolve_plain(e, strlen(e)) != R_STR)
                return cmfa__buf_printf(&k->b, "'%s'", e);
            return cmfa__buf_addstr(&k->b, e);
        }
        return cmfa__buf_addstr(&k->b, "''");
    case CMFA_SHAPE_INTEGER:
    case CMFA_SHAPE_LONG: return cmfa__buf_addstr(&k->b, "0");
    case CMFA_SHAPE_DOUBLE: return cmfa__buf_addstr(&k->b, "0.0");
    case CMFA_SHAPE_BOOLEAN: return cmfa__buf_addstr(&k->b, "true");
    case CMFA_SHAPE_TIMESTAMP: return cmfa__buf_addstr(&k->b, "1970-01-01 00:00:00");
    default: return cmfa__buf_addstr(&k->b, "{}");
    }
}

static cmfa_code skel_struct(struct skel *k, const struct cmfa_shape *s, int indent,
                             int inline_first, int depth);

/* The value part of "Key:" (after the colon), then the comment, then the nested lines. */
static cmfa_code skel_value(struct skel *k, const struct cmfa_shape *s, const char *comment,
                            int two_spaces, int indent, int depth)
{
    cmfa_code rc = CMFA_OK;
    int nested = 0;

    if (depth > YAML_MAX_DEPTH)
        return CMFA_OK; /* the model is shallow; a guard, not a limit that is reached */
    if (s->type == CMFA_SHAPE_STRUCTURE && skel_count(k, s)) {
        nested = 1;
    } else if (s->type == CMFA_SHAPE_LIST || s->type == CMFA_SHAPE_MAP) {
        nested = 2;
    } else {
        rc = cmfa__buf_addc(&k->b, ' ');
        if (rc == CMFA_OK)
            rc = s->type == CMFA_SHAPE_STRUCTURE ? cmfa__buf_addstr(&k->b, "{}")
                                                 : skel_scalar(k, s);
    }
    if (rc == CMFA_OK && comment[0])
        rc = cmfa__buf_printf(&k->b, "%s# %s", two_spaces ? "  " : " ", comment);
    if (rc == CMFA_OK)
        rc = cmfa__buf_addc(&k->b, '\n');
    if (rc != CMFA_OK || !nested)
        return rc;
    if (s->type == CMFA_SHAPE_STRUCTURE)
        return skel_struct(k, s, indent + 2, 0, depth + 1);
    if (s->type == CMFA_SHAPE_MAP) {
        rc = skel_indent(k, indent + 2);
        if (rc == CMFA_OK)
            rc = cmfa__buf_addstr(&k->b, "KeyName:");
        return rc == CMFA_OK ? skel_value(k, s->element, "", 0, indent + 2, depth + 1) : rc;
    }
    /* list: one element, the dash at the key's indentation (ruamel's default) */
    rc = skel_indent(k, indent);
    if (rc == CMFA_OK)
        rc = cmfa__buf_addstr(&k->b, "-");
    if (rc != CMFA_OK)
        return rc;
    if (s->element->type == CMFA_SHAPE_STRUCTURE && skel_count(k, s->element)) {
        rc = cmfa__buf_addc(&k->b, ' ');
        return rc == CMFA_OK ? skel_struct(k, s->element, indent + 2, 1, depth + 1) : rc;
    }
    return skel_value(k, s->element, "", 0, indent + 2, depth + 1);
}

static cmfa_code skel_struct(struct skel *k, const struct cmfa_shape *s, int indent,
                             int inline_first, int depth)
{
    const struct cmfa_member *done[256];
    int commented[256];
    size_t i, j, ndone = 0;
    cmfa_code rc = CMFA_OK;

    for (i = 0; rc == CMFA_OK && i < s->nmembers && ndone < CMFA__ARRAY_LEN(done); i++) {
        const struct cmfa_member *m = &s->members[i];
        int two_spaces = 1;
        char *comment;

        if (!skel_included(k, s, m))
            continue;
        comment = skel_comment(k, s, m);
        if (!comment)
            return CMFA_E_NOMEM;
        /* ruamel's column choice: the previous key's comment, else an earlier one */
        if (ndone && commented[ndone - 1]) {
            two_spaces = 0;
        } else {
            for (j = 0; j < ndone && strcmp(done[j]->name, m->name) < 0; j++)
                if (commented[j])
                    two_spaces = 0;
        }
        if (ndone || !inline_first)
            rc = skel_indent(k, indent);
        if (rc == CMFA_OK)
            rc = cmfa__buf_printf(&k->b, "%s:", m->name);
        if (rc == CMFA_OK)
            rc = skel_value(k, m->shape, comment, two_spaces, indent, depth);
        done[ndone] = m;
        commented[ndone++] = comment[0] != '\0';
        cmfa_free(comment);
    }
    return rc;
}

char *cmfa_yaml_skeleton(const char *operation, const struct cmfa_yaml_skeleton_options *opts,
                         size_t *len, struct cmfa_error *err)
{
    const struct cmfa_operation *op = cmfa_model_operation(operation);
    struct skel k;
    cmfa_code rc = CMFA_OK;
    char *text;

    if (len)
        *len = 0;
    if (!op) {
        cmfa__fail(err, CMFA_E_UNKNOWN_OPERATION, "unknown operation \"%.100s\"",
                   operation ? operation : "(null)");
        return NULL;
    }
    cmfa__buf_init(&k.b, 0);
    k.opts = opts;
    if (!op->input || !skel_count(&k, op->input))
        rc = cmfa__buf_addstr(&k.b, "{}\n");
    else
        rc = skel_struct(&k, op->input, 0, 0, 1);
    if (rc != CMFA_OK) {
        cmfa__buf_cleanup(&k.b);
        cmfa__fail(err, CMFA_E_NOMEM, "out of memory writing the YAML skeleton");
        return NULL;
    }
    text = cmfa__buf_take(&k.b, len);
    if (!text)
        cmfa__fail(err, CMFA_E_NOMEM, "out of memory writing the YAML skeleton");
    return text;
}
