/* Codec: request bodies out, response bodies in (AWS JSON 1.1).
 *
 * Encoding keeps JSON types as they are (booleans stay booleans, {} stays an object) and
 * drops object members whose value is JSON null: null means "not given".
 * Decoding accepts an empty body as {}, and checks the JSON type of every member the model
 * knows (recursively); enums and patterns are not enforced on responses, so values added to
 * the service later still decode, and members the model does not know are kept untouched. */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cmfa_int.h"

/* ------------------------------------------------------------------ encode */

static int has_null_member(const cJSON *j)
{
    const cJSON *c;

    for (c = j->child; c; c = c->next) {
        if (cJSON_IsObject(j) && cJSON_IsNull(c))
            return 1;
        if ((cJSON_IsObject(c) || cJSON_IsArray(c)) && has_null_member(c))
            return 1;
    }
    return 0;
}

static void drop_null_members(cJSON *j)
{
    cJSON *c, *next;

    for (c = j->child; c; c = next) {
        next = c->next;
        if (cJSON_IsObject(j) && cJSON_IsNull(c))
            cJSON_Delete(cJSON_DetachItemViaPointer(j, c));
        else if (cJSON_IsObject(c) || cJSON_IsArray(c))
            drop_null_members(c);
    }
}

char *cmfa__encode_request(const struct cmfa_operation *op, const struct cmfa_value *input,
                           size_t *len, struct cmfa_error *err)
{
    cJSON *j = CMFA__JSON(input), *copy = NULL;
    char *text;

    (void)op; /* values already carry their JSON types; nothing to coerce */
    if (len)
        *len = 0;
    cmfa__value_global_init();
    if (!j) {
        text = cmfa__strndup("{}", 2);
        if (!text) {
            cmfa__fail(err, CMFA_E_NOMEM, "out of memory encoding the request");
            return NULL;
        }
        if (len)
            *len = 2;
        return text;
    }
    if (!cJSON_IsObject(j)) {
        cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "request input must be an object");
        return NULL;
    }
    if (has_null_member(j)) {
        copy = cJSON_Duplicate(j, 1);
        if (!copy) {
            cmfa__fail(err, CMFA_E_NOMEM, "out of memory encoding the request");
            return NULL;
        }
        drop_null_members(copy);
        j = copy;
    }
    text = cJSON_PrintUnformatted(j);
    cJSON_Delete(copy);
    if (!text) {
        cmfa__fail(err, CMFA_E_NOMEM, "out of memory encoding the request");
        return NULL;
    }
    if (len)
        *len = strlen(text);
    return text;
}

/* ------------------------------------------------------------------ decode */

struct frame {
    const struct frame *parent;
    const char *name; /* NULL for a list index */
    size_t index;
};

/* Appends the path to out[*used..size), truncating silently. */
static void render_path(const struct frame *f, char *out, size_t size, size_t *used)
{
    int n;

    if (!f || *used >= size)
        return;
    render_path(f->parent, out, size, used);
    if (*used >= size)
        return;
    if (!f->name) {
        n = snprintf(out + *used, size - *used, "[%zu]", f->index);
    } else {
        /* A map key is the server's text: printable ASCII only in the message. */
        char shown[204];
        n = snprintf(out + *used, size - *used, "%s%s", *used ? "." : "",
                     cmfa__printable(f->name, shown, sizeof(shown)));
    }
    if (n > 0)
        *used += (size_t)n;
}

static const char *expected(cmfa_shape_type t)
{
    switch (t) {
    case CMFA_SHAPE_STRUCTURE:
    case CMFA_SHAPE_MAP: return "an object";
    case CMFA_SHAPE_LIST: return "an array";
    case CMFA_SHAPE_STRING: return "a string";
    case CMFA_SHAPE_BOOLEAN: return "a boolean";
    case CMFA_SHAPE_INTEGER:
    case CMFA_SHAPE_LONG:
    case CMFA_SHAPE_DOUBLE: return "a number";
    case CMFA_SHAPE_TIMESTAMP: return "a number (epoch seconds)";
    }
    return "a value";
}

static const char *got(const cJSON *j)
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

static int type_matches(const struct cmfa_shape *s, const cJSON *j)
{
    switch (s->type) {
    case CMFA_SHAPE_STRUCTURE:
    case CMFA_SHAPE_MAP: return cJSON_IsObject(j);
    case CMFA_SHAPE_LIST: return cJSON_IsArray(j);
    case CMFA_SHAPE_STRING: return cJSON_IsString(j);
    case CMFA_SHAPE_BOOLEAN: return cJSON_IsBool(j);
    case CMFA_SHAPE_INTEGER:
    case CMFA_SHAPE_LONG:
    case CMFA_SHAPE_DOUBLE:
    case CMFA_SHAPE_TIMESTAMP: return cJSON_IsNumber(j);
    }
    return 0;
}

/* CMFA_OK, or CMFA_E_BAD_RESPONSE (err filled) at the first member of the wrong type.
 * null is accepted anywhere: it says "no value". Recursion follows the model, so its depth is
 * bounded by the model's. */
static cmfa_code check_types(const struct cmfa_shape *s, const cJSON *j, const struct frame *f,
                             struct cmfa_error *err)
{
    const cJSON *c;
    cmfa_code rc;
    size_t i;

    if (cJSON_IsNull(j))
        return CMFA_OK;
    if (!type_matches(s, j)) {
        char path[256];
        size_t used = 0;

        path[0] = '\0';
        render_path(f, path, sizeof(path), &used);
        return cmfa__fail(err, CMFA_E_BAD_RESPONSE,
                          "malformed response: member %s should be %s but is a %s", path,
                          expected(s->type), got(j));
    }
    switch (s->type) {
    case CMFA_SHAPE_STRUCTURE:
        for (c = j->child; c; c = c->next) {
            const struct cmfa_member *m = cmfa__shape_member(s, c->string);
            struct frame child = {f, c->string, 0};

            if (!m)
                continue; /* unknown members pass through */
            rc = check_types(m->shape, c, &child, err);
            if (rc != CMFA_OK)
                return rc;
        }
        break;
    case CMFA_SHAPE_MAP:
        for (c = j->child; c; c = c->next) {
            struct frame child = {f, c->string ? c->string : "", 0};

            rc = check_types(s->element, c, &child, err);
            if (rc != CMFA_OK)
                return rc;
        }
        break;
    case CMFA_SHAPE_LIST:
        for (c = j->child, i = 0; c; c = c->next, i++) {
            struct frame child = {f, NULL, i};

            rc = check_types(s->element, c, &child, err);
            if (rc != CMFA_OK)
                return rc;
        }
        break;
    default:
        break;
    }
    return CMFA_OK;
}

struct cmfa_value *cmfa__decode_response(const struct cmfa_operation *op, const char *body,
                                         size_t len, struct cmfa_error *err)
{
    struct cmfa_error perr;
    struct cmfa_value *v;
    size_t i;

    cmfa__value_global_init();
    for (i = 0; body && i < len; i++)
        if (body[i] != ' ' && body[i] != '\t' && body[i] != '\n' && body[i] != '\r')
            break;
    if (!body || i == len) {
        v = cmfa_value_new_object();
        if (!v)
            cmfa__fail(err, CMFA_E_NOMEM, "out of memory decoding the response");
        return v;
    }
    cmfa_error_init(&perr);
    v = cmfa_value_parse(body, len, &perr);
    if (!v) {
        if (perr.code == CMFA_E_NOMEM)
            cmfa__fail(err, CMFA_E_NOMEM, "out of memory decoding the response");
        else
            cmfa__fail(err, CMFA_E_BAD_RESPONSE, "malformed response: body is not JSON (%s)",
                       perr.message);
        cmfa_error_cleanup(&perr);
        return NULL;
    }
    cmfa_error_cleanup(&perr);
    if (!op)
        return v; /* generic call: well-formed JSON is all that is known */
    if (!cJSON_IsObject(CMFA__JSON(v))) {
        cmfa__fail(err, CMFA_E_BAD_RESPONSE,
                   "malformed response: body should be a JSON object but is a %s",
                   got(CMFA__JSON(v)));
        cmfa_value_free(v);
        return NULL;
    }
    if (op->output && check_types(op->output, CMFA__JSON(v), NULL, err) != CMFA_OK) {
        cmfa_value_free(v);
        return NULL;
    }
    return v;
}
