/* Values: the public JSON-like tree. A struct cmfa_value is a cJSON node; the casts live in
 * cmfa_int.h (CMFA__JSON / CMFA__VALUE). cJSON allocates through cmfa_malloc/cmfa_free once
 * cmfa__value_global_init has run; every entry point here makes sure it has.
 *
 * Strings are NUL-terminated inside cJSON, so a string value cannot hold a NUL byte:
 * cmfa_value_new_string refuses one (NULL) and cmfa_value_parse rejects "\u0000". */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cmfa_int.h"

/* Allocation failures seen by cJSON on this thread, so a failed parse can be told apart
 * from a syntax error. */
static __thread unsigned long json_alloc_failures;
static int hooks_installed;

static void *json_malloc(size_t size)
{
    void *p = cmfa_malloc(size);

    if (!p)
        json_alloc_failures++;
    return p;
}

static void json_free(void *p)
{
    cmfa_free(p);
}

void cmfa__value_global_init(void)
{
    cJSON_Hooks hooks;

    if (hooks_installed)
        return;
    hooks.malloc_fn = json_malloc;
    hooks.free_fn = json_free;
    cJSON_InitHooks(&hooks);
    hooks_installed = 1;
}

/* ------------------------------------------------------------------ constructors */

struct cmfa_value *cmfa_value_new_object(void)
{
    cmfa__value_global_init();
    return CMFA__VALUE(cJSON_CreateObject());
}

struct cmfa_value *cmfa_value_new_array(void)
{
    cmfa__value_global_init();
    return CMFA__VALUE(cJSON_CreateArray());
}

struct cmfa_value *cmfa_value_new_string(const char *s, size_t len)
{
    cJSON *node;
    char *copy;

    cmfa__value_global_init();
    if (!s && len)
        return NULL;
    if (len && memchr(s, '\0', len))
        return NULL; /* not representable */
    copy = cJSON_malloc(len + 1);
    if (!copy)
        return NULL;
    if (len)
        memcpy(copy, s, len);
    copy[len] = '\0';
    node = cJSON_CreateNull();
    if (!node) {
        cJSON_free(copy);
        return NULL;
    }
    node->type = cJSON_String;
    node->valuestring = copy;
    return CMFA__VALUE(node);
}

struct cmfa_value *cmfa_value_new_number(double n)
{
    cmfa__value_global_init();
    return CMFA__VALUE(cJSON_CreateNumber(n));
}

struct cmfa_value *cmfa_value_new_bool(int b)
{
    cmfa__value_global_init();
    return CMFA__VALUE(cJSON_CreateBool(b != 0));
}

struct cmfa_value *cmfa_value_new_null(void)
{
    cmfa__value_global_init();
    return CMFA__VALUE(cJSON_CreateNull());
}

void cmfa_value_free(struct cmfa_value *v)
{
    if (v)
        cJSON_Delete(CMFA__JSON(v));
}

/* Drops the member name a node may carry (a copy of an object member, or a node moved in). */
static void drop_name(cJSON *j)
{
    if (j->string && !(j->type & cJSON_StringIsConst))
        cJSON_free(j->string);
    j->string = NULL;
    j->type &= ~cJSON_StringIsConst;
}

struct cmfa_value *cmfa_value_copy(const struct cmfa_value *v)
{
    cJSON *copy;

    if (!v)
        return NULL;
    cmfa__value_global_init();
    copy = cJSON_Duplicate(CMFA__JSON(v), 1);
    if (copy)
        drop_name(copy);
    return CMFA__VALUE(copy);
}

/* ------------------------------------------------------------------ building
 *
 * A NULL member is taken to be the result of a constructor that failed, so that
 * cmfa_value_set(obj, "Key", cmfa_value_new_string(s, n)) reports CMFA_E_NOMEM. */

cmfa_code cmfa_value_set(struct cmfa_value *obj, const char *key, struct cmfa_value *member)
{
    cJSON *o = CMFA__JSON(obj), *m = CMFA__JSON(member), *old, *next;
    size_t klen;
    char *name;

    cmfa__value_global_init();
    if (!m)
        return CMFA_E_NOMEM;
    if (!o || !cJSON_IsObject(o) || !key || m == o) {
        if (m != o)
            cJSON_Delete(m);
        return CMFA_E_BAD_ARGUMENT;
    }
    klen = strlen(key);
    name = cJSON_malloc(klen + 1);
    if (!name) {
        cJSON_Delete(m);
        return CMFA_E_NOMEM;
    }
    memcpy(name, key, klen + 1);
    drop_name(m);
    m->string = name;

    old = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!old) {
        cJSON_AddItemToArray(o, m); /* links a child; objects are child lists too */
        return CMFA_OK;
    }
    /* Remove later duplicates (possible in parsed text), then replace the first one. */
    for (next = old->next; next;) {
        cJSON *cur = next;
        next = next->next;
        if (cur->string && strcmp(cur->string, key) == 0)
            cJSON_Delete(cJSON_DetachItemViaPointer(o, cur));
    }
    cJSON_ReplaceItemViaPointer(o, old, m);
    return CMFA_OK;
}

cmfa_code cmfa_value_append(struct cmfa_value *arr, struct cmfa_value *member)
{
    cJSON *a = CMFA__JSON(arr), *m = CMFA__JSON(member);

    cmfa__value_global_init();
    if (!m)
        return CMFA_E_NOMEM;
    if (!a || !cJSON_IsArray(a) || m == a) {
        if (m != a)
            cJSON_Delete(m);
        return CMFA_E_BAD_ARGUMENT;
    }
    drop_name(m);
    cJSON_AddItemToArray(a, m);
    return CMFA_OK;
}

/* ------------------------------------------------------------------ reading */

cmfa_type cmfa_value_type(const struct cmfa_value *v)
{
    const cJSON *j = CMFA__JSON(v);

    if (!j)
        return CMFA_TYPE_INVALID;
    switch (j->type & 0xFF) {
    case cJSON_False:
    case cJSON_True:
        return CMFA_TYPE_BOOL;
    case cJSON_NULL:
        return CMFA_TYPE_NULL;
    case cJSON_Number:
        return CMFA_TYPE_NUMBER;
    case cJSON_String:
        return CMFA_TYPE_STRING;
    case cJSON_Array:
        return CMFA_TYPE_ARRAY;
    case cJSON_Object:
        return CMFA_TYPE_OBJECT;
    default:
        return CMFA_TYPE_INVALID;
    }
}

const struct cmfa_value *cmfa_value_get(const struct cmfa_value *obj, const char *key)
{
    const cJSON *o = CMFA__JSON(obj);

    if (!o || !cJSON_IsObject(o) || !key)
        return NULL;
    return CMFA__VALUE(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* Member whose name is exactly key[0..klen). */
static const cJSON *member_n(const cJSON *o, const char *key, size_t klen)
{
    const cJSON *c;

    for (c = o->child; c; c = c->next)
        if (c->string && strlen(c->string) == klen && memcmp(c->string, key, klen) == 0)
            return c;
    return NULL;
}

/* Decimal index without sign; 0 if the text is not one. */
static int parse_index(const char *s, size_t n, size_t *out)
{
    size_t i, v = 0;

    if (!n)
        return 0;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        if (v > ((size_t)-1 - 9) / 10)
            return 0;
        v = v * 10 + (size_t)(s[i] - '0');
    }
    *out = v;
    return 1;
}

const struct cmfa_value *cmfa_value_path(const struct cmfa_value *v, const char *path)
{
    const cJSON *cur = CMFA__JSON(v);
    const char *p, *dot;

    if (!cur || !path)
        return NULL;
    if (!*path)
        return v;
    for (p = path;; p = dot + 1) {
        size_t n, idx;

        dot = strchr(p, '.');
        n = dot ? (size_t)(dot - p) : strlen(p);
        if (!n)
            return NULL;
        if (cJSON_IsArray(cur)) {
            if (!parse_index(p, n, &idx))
                return NULL;
            for (cur = cur->child; cur && idx; idx--)
                cur = cur->next;
        } else if (cJSON_IsObject(cur)) {
            cur = member_n(cur, p, n);
        } else {
            return NULL;
        }
        if (!cur)
            return NULL;
        if (!dot)
            return CMFA__VALUE(cur);
    }
}

size_t cmfa_value_count(const struct cmfa_value *v)
{
    const cJSON *j = CMFA__JSON(v), *c;
    size_t n = 0;

    if (!j || !(cJSON_IsArray(j) || cJSON_IsObject(j)))
        return 0;
    for (c = j->child; c; c = c->next)
        n++;
    return n;
}

const struct cmfa_value *cmfa_value_at(const struct cmfa_value *v, size_t i, const char **key)
{
    const cJSON *j = CMFA__JSON(v), *c;

    if (key)
        *key = NULL;
    if (!j || !(cJSON_IsArray(j) || cJSON_IsObject(j)))
        return NULL;
    for (c = j->child; c && i; i--)
        c = c->next;
    if (c && key && cJSON_IsObject(j))
        *key = c->string;
    return CMFA__VALUE(c);
}

const char *cmfa_value_string(const struct cmfa_value *v, size_t *len)
{
    const cJSON *j = CMFA__JSON(v);

    if (!j || !cJSON_IsString(j) || !j->valuestring) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = strlen(j->valuestring);
    return j->valuestring;
}

double cmfa_value_number(const struct cmfa_value *v)
{
    const cJSON *j = CMFA__JSON(v);

    return j && cJSON_IsNumber(j) ? j->valuedouble : 0.0;
}

int cmfa_value_bool(const struct cmfa_value *v)
{
    const cJSON *j = CMFA__JSON(v);

    return j && cJSON_IsTrue(j) ? 1 : 0;
}

/* ------------------------------------------------------------------ JSON text */

/* Offset of the first "\u0000" escape inside a string, or len if there is none. */
static size_t find_nul_escape(const char *s, size_t len)
{
    size_t i;
    int in_string = 0;

    for (i = 0; i < len; i++) {
        if (!in_string) {
            if (s[i] == '"')
                in_string = 1;
            continue;
        }
        if (s[i] == '"') {
            in_string = 0;
        } else if (s[i] == '\\' && i + 1 < len) {
            if (s[i + 1] == 'u' && i + 5 < len && memcmp(s + i + 2, "0000", 4) == 0)
                return i;
            i++; /* skip the escaped character */
        }
    }
    return len;
}

static int is_json_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

struct cmfa_value *cmfa_value_parse(const char *json, size_t len, struct cmfa_error *err)
{
    const char *end = NULL;
    unsigned long failures_before;
    cJSON *root;
    size_t off;

    if (!json) {
        cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "JSON text is NULL");
        return NULL;
    }
    cmfa__value_global_init();
    off = 0;
    while (off < len && is_json_space(json[off]))
        off++;
    if (off == len) {
        cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "JSON text is empty");
        return NULL;
    }
    failures_before = json_alloc_failures;
    root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    if (!root) {
        if (json_alloc_failures != failures_before) {
            cmfa__fail(err, CMFA_E_NOMEM, "out of memory while parsing JSON");
            return NULL;
        }
        off = end && end >= json && end <= json + len ? (size_t)(end - json) : 0;
        cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "invalid JSON at byte offset %zu", off);
        return NULL;
    }
    off = end ? (size_t)(end - json) : len;
    while (off < len && is_json_space(json[off]))
        off++;
    if (off < len) {
        cJSON_Delete(root);
        cmfa__fail(err, CMFA_E_BAD_ARGUMENT,
                   "invalid JSON: unexpected data after the value at byte offset %zu", off);
        return NULL;
    }
    off = find_nul_escape(json, len);
    if (off < len) {
        cJSON_Delete(root);
        cmfa__fail(err, CMFA_E_BAD_ARGUMENT,
                   "invalid JSON: \\u0000 in a string at byte offset %zu is not supported", off);
        return NULL;
    }
    return CMFA__VALUE(root);
}

char *cmfa_value_to_json(const struct cmfa_value *v, int pretty, size_t *len)
{
    char *text;

    if (len)
        *len = 0;
    if (!v)
        return NULL;
    cmfa__value_global_init();
    text = pretty ? cJSON_Print(CMFA__JSON(v)) : cJSON_PrintUnformatted(CMFA__JSON(v));
    if (text && len)
        *len = strlen(text);
    return text;
}
