/*
 * cognito_mfa.core: the Lua C module over libcmfa. Arguments in, core call, results out.
 *
 * Memory discipline: every C resource a function holds while it calls into Lua (which may
 * raise) lives in a "scratch" userdata created first, whose __gc releases it. So a Lua error
 * raised half-way (bad argument deep in a table, out of memory) leaks nothing.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr */
#endif
#include <dlfcn.h>
#include <math.h>
#include <string.h>
#include <time.h>
#include <errno.h>

#include <cmfa/cmfa.h>

#include "compat.h"
#include "guard.h"

#define CLIENT_MT "cognito_mfa.client"
#define OPERATION_MT "cognito_mfa.operation"
#define SCRATCH_MT "cognito_mfa.scratch"
#define ERROR_MT "cognito_mfa.error"
#define ARRAY_MT_KEY "cognito_mfa.array_mt"
#define MAX_DEPTH 64
#define PATH_SIZE 512

/* ------------------------------------------------------------------------------ scratch */

struct scratch {
    struct cmfa_value *in;
    struct cmfa_value *out;
    struct cmfa_error err;
    char *text;                  /* JSON or debug text owned by the call */
    char *debug;                 /* debug output collected during the call */
    size_t debug_len;
};

static int scratch_gc(lua_State *L)
{
    struct scratch *s = luaL_checkudata(L, 1, SCRATCH_MT);

    cmfa_value_free(s->in);
    cmfa_value_free(s->out);
    cmfa_error_cleanup(&s->err);
    cmfa_free(s->text);
    cmfa_free(s->debug);
    s->in = s->out = NULL;
    s->text = s->debug = NULL;
    s->debug_len = 0;
    return 0;
}

/* Pushes a new scratch; index returned. Released by scratch_release or by the GC. */
static struct scratch *scratch_new(lua_State *L)
{
    struct scratch *s = cmfa_lua_newuserdata(L, sizeof(*s));

    memset(s, 0, sizeof(*s));
    cmfa_error_init(&s->err);
    luaL_getmetatable(L, SCRATCH_MT);
    lua_setmetatable(L, -2);
    return s;
}

static void scratch_release(lua_State *L, int idx)
{
    if (idx < 0 && idx > LUA_REGISTRYINDEX)
        idx = lua_gettop(L) + idx + 1;     /* absolute: the pushes below move the top */
    lua_pushcfunction(L, scratch_gc);
    lua_pushvalue(L, idx);
    lua_call(L, 1, 0);
}

/* ------------------------------------------------------------------ Lua -> value (model) */

static const struct cmfa_shape *member_shape(const struct cmfa_shape *shape, const char *name)
{
    size_t i;

    if (!shape || shape->type != CMFA_SHAPE_STRUCTURE)
        return NULL;
    for (i = 0; i < shape->nmembers; i++)
        if (strcmp(shape->members[i].name, name) == 0)
            return shape->members[i].shape;
    return NULL;
}

static void path_push_key(char *path, size_t *len, const char *key)
{
    snprintf(path + *len, PATH_SIZE - *len, "%s%s", *len ? "." : "", key);
    *len = strlen(path);
}

static void path_push_index(char *path, size_t *len, size_t index)
{
    snprintf(path + *len, PATH_SIZE - *len, "[%zu]", index);
    *len = strlen(path);
}

/* A table is an array when its metatable is the array marker, or when it is a non-empty
 * sequence 1..n; an empty plain table is an object unless the model says list. */
static int table_is_array(lua_State *L, int idx, const struct cmfa_shape *shape, size_t *n)
{
    size_t count = 0;
    int only_seq = 1;

    *n = cmfa_lua_rawlen(L, idx);
    if (lua_getmetatable(L, idx)) {
        lua_getfield(L, LUA_REGISTRYINDEX, ARRAY_MT_KEY);
        int marked = lua_rawequal(L, -1, -2);
        lua_pop(L, 2);
        if (marked)
            return 1;
    }
    if (shape && shape->type == CMFA_SHAPE_LIST)
        return 1;
    /* Where the model wants an object, only a non-empty sequence is taken as an array: then
     * validation reports the wrong type, instead of the conversion failing on its keys. */
    if (shape && (shape->type == CMFA_SHAPE_STRUCTURE || shape->type == CMFA_SHAPE_MAP) &&
        *n == 0)
        return 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        count++;
        if (lua_type(L, -2) != LUA_TNUMBER)
            only_seq = 0;
        lua_pop(L, 1);
    }
    return count > 0 && only_seq && count == *n;
}

static void fill(lua_State *L, int idx, const struct cmfa_shape *shape, struct cmfa_value *dst,
                 char *path, size_t plen, int depth);

/* Converts the Lua value at idx and attaches it to parent (as key, or appended when key is
 * NULL). Containers are attached before they are filled, so everything built so far is always
 * reachable from the scratch root and freed if a Lua error is raised. */
static void convert_into(lua_State *L, int idx, const struct cmfa_shape *shape,
                         struct cmfa_value *parent, const char *key, char *path, size_t plen,
                         int depth)
{
    struct cmfa_value *v = NULL;
    int is_array = 0;
    size_t n = 0;
    cmfa_code rc;

    switch (lua_type(L, idx)) {
    case LUA_TBOOLEAN:
        v = cmfa_value_new_bool(lua_toboolean(L, idx));
        break;
    case LUA_TNUMBER:
        v = cmfa_value_new_number(lua_tonumber(L, idx));
        break;
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        if (memchr(s, '\0', len)) {
            luaL_error(L, "%s: a string with a NUL byte cannot be sent",
                       path[0] ? path : "value");
            return;
        }
        v = cmfa_value_new_string(s, len);
        break;
    }
    case LUA_TLIGHTUSERDATA:
        if (lua_touserdata(L, idx) == NULL) {
            v = cmfa_value_new_null();
            break;
        }
        /* fall through */
    case LUA_TTABLE:
        if (lua_type(L, idx) == LUA_TTABLE) {
            is_array = table_is_array(L, idx, shape, &n);
            v = is_array ? cmfa_value_new_array() : cmfa_value_new_object();
            break;
        }
        /* fall through */
    default:
        luaL_error(L, "%s: a %s cannot be sent (use tables, strings, numbers, booleans or "
                      "cognito_mfa.NULL)", path[0] ? path : "value", luaL_typename(L, idx));
        return;
    }
    if (!v) {
        luaL_error(L, "not enough memory");
        return;
    }
    rc = key ? cmfa_value_set(parent, key, v) : cmfa_value_append(parent, v);
    if (rc != CMFA_OK) {
        luaL_error(L, "not enough memory");
        return;
    }
    if (lua_type(L, idx) == LUA_TTABLE) {
        if (depth >= MAX_DEPTH)
            luaL_error(L, "%s: tables nested deeper than %d levels", path, MAX_DEPTH);
        fill(L, idx, shape, v, path, plen, depth + 1);
    }
}

static void fill(lua_State *L, int idx, const struct cmfa_shape *shape, struct cmfa_value *dst,
                 char *path, size_t plen, int depth)
{
    size_t i, n;

    luaL_checkstack(L, 4, "tables nested too deeply");
    if (cmfa_value_type(dst) == CMFA_TYPE_ARRAY) {
        const struct cmfa_shape *elem = shape && shape->type == CMFA_SHAPE_LIST ? shape->element
                                                                                : NULL;
        n = cmfa_lua_rawlen(L, idx);
        for (i = 1; i <= n; i++) {
            size_t l2 = plen;
            lua_rawgeti(L, idx, (int)i);
            path_push_index(path, &l2, i - 1);
            convert_into(L, lua_gettop(L), elem, dst, NULL, path, l2, depth);
            path[plen] = '\0';
            lua_pop(L, 1);
        }
        return;
    }
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        size_t l2 = plen;
        const char *k;
        const struct cmfa_shape *ms;

        if (lua_type(L, -2) != LUA_TSTRING)
            luaL_error(L, "%s: keys must be strings (found a %s key)",
                       path[0] ? path : "parameters", luaL_typename(L, -2));
        k = lua_tostring(L, -2);
        ms = shape && shape->type == CMFA_SHAPE_MAP ? shape->element : member_shape(shape, k);
        path_push_key(path, &l2, k);
        convert_into(L, lua_gettop(L), ms, dst, k, path, l2, depth);
        path[plen] = '\0';
        lua_pop(L, 1);
    }
}

/* Converts the table at idx into s->in, guided by shape (may be NULL). */
static void table_to_value(lua_State *L, int idx, const struct cmfa_shape *shape,
                           struct scratch *s)
{
    char path[PATH_SIZE];

    path[0] = '\0';
    s->in = cmfa_value_new_object();
    if (!s->in)
        luaL_error(L, "not enough memory");
    fill(L, idx, shape, s->in, path, 0, 1);
}

/* ------------------------------------------------------------------------- value -> Lua */

static void push_value(lua_State *L, const struct cmfa_value *v, int depth)
{
    size_t i, n, len;
    const char *key;
    double d;

    luaL_checkstack(L, 4, "result nested too deeply");
    if (depth > MAX_DEPTH)
        luaL_error(L, "result nested deeper than %d levels", MAX_DEPTH);
    switch (cmfa_value_type(v)) {
    case CMFA_TYPE_BOOL:
        lua_pushboolean(L, cmfa_value_bool(v));
        break;
    case CMFA_TYPE_NUMBER:
        d = cmfa_value_number(v);
        if (d == floor(d) && fabs(d) <= 9007199254740992.0)
            lua_pushinteger(L, (lua_Integer)d);
        else
            lua_pushnumber(L, d);
        break;
    case CMFA_TYPE_STRING: {
        const char *s = cmfa_value_string(v, &len);
        lua_pushlstring(L, s, len);
        break;
    }
    case CMFA_TYPE_OBJECT:
        n = cmfa_value_count(v);
        lua_createtable(L, 0, (int)n);
        for (i = 0; i < n; i++) {
            const struct cmfa_value *m = cmfa_value_at(v, i, &key);
            push_value(L, m, depth + 1);
            lua_setfield(L, -2, key);
        }
        break;
    case CMFA_TYPE_ARRAY:
        n = cmfa_value_count(v);
        lua_createtable(L, (int)n, 0);
        for (i = 0; i < n; i++) {
            push_value(L, cmfa_value_at(v, i, NULL), depth + 1);
            lua_rawseti(L, -2, (int)i + 1);
        }
        lua_getfield(L, LUA_REGISTRYINDEX, ARRAY_MT_KEY);
        lua_setmetatable(L, -2);
        break;
    case CMFA_TYPE_NULL:
    default:
        lua_pushlightuserdata(L, NULL);
        break;
    }
}

/* ------------------------------------------------------------------------------- errors */

/* The one error constructor: completes the table at idx as an error object (defaults for
 * name, code, retryable and attempts; the metatable with __tostring). Raises when kind is not
 * one of the error kinds or message is not a string. */
static const char *const kind_names[] = {"usage", "validation", "credentials", "transport",
                                         "service", "internal", NULL};
static const cmfa_code kind_codes[] = {CMFA_E_BAD_ARGUMENT, CMFA_E_VALIDATION,
                                       CMFA_E_CREDENTIALS, CMFA_E_TRANSPORT, CMFA_E_SERVICE,
                                       CMFA_E_INTERNAL};

static void finish_error(lua_State *L, int idx)
{
    int k;

    lua_getfield(L, idx, "kind");
    k = luaL_checkoption(L, -1, NULL, kind_names);
    lua_pop(L, 1);
    lua_getfield(L, idx, "message");
    if (lua_type(L, -1) != LUA_TSTRING)
        luaL_error(L, "error object: message must be a string, got %s", luaL_typename(L, -1));
    lua_pop(L, 1);
    lua_getfield(L, idx, "name");
    if (lua_isnil(L, -1)) {
        lua_pushstring(L, cmfa_code_name(kind_codes[k]));
        lua_setfield(L, idx, "name");
    }
    lua_pop(L, 1);
    lua_getfield(L, idx, "code");
    if (lua_isnil(L, -1)) {
        lua_getfield(L, idx, "name");
        lua_setfield(L, idx, "code");
    }
    lua_pop(L, 1);
    lua_getfield(L, idx, "retryable");
    if (lua_isnil(L, -1)) {
        lua_pushboolean(L, 0);
        lua_setfield(L, idx, "retryable");
    }
    lua_pop(L, 1);
    lua_getfield(L, idx, "attempts");
    if (lua_isnil(L, -1)) {
        lua_pushinteger(L, 0);
        lua_setfield(L, idx, "attempts");
    }
    lua_pop(L, 1);
    luaL_getmetatable(L, ERROR_MT);
    lua_setmetatable(L, idx);
}

/* core.error{ kind = ..., message = ..., code?, name?, status?, request_id?, retryable?,
 * attempts?, violations?, ... } -> the same table, as an error object */
static int l_error(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    finish_error(L, 1);
    return 1;
}

static void push_error(lua_State *L, const struct cmfa_error *err)
{
    size_t i;

    lua_createtable(L, 0, 10);
    lua_pushstring(L, cmfa_kind_name(cmfa_error_kind(err)));
    lua_setfield(L, -2, "kind");
    lua_pushstring(L, err->service_code[0] ? err->service_code : cmfa_code_name(err->code));
    lua_setfield(L, -2, "code");
    lua_pushstring(L, cmfa_code_name(err->code));
    lua_setfield(L, -2, "name");
    lua_pushstring(L, err->message[0] ? err->message : cmfa_strerror(err->code));
    lua_setfield(L, -2, "message");
    if (err->status) {
        lua_pushinteger(L, err->status);
        lua_setfield(L, -2, "status");
    }
    if (err->request_id[0]) {
        lua_pushstring(L, err->request_id);
        lua_setfield(L, -2, "request_id");
    }
    lua_pushboolean(L, err->retryable);
    lua_setfield(L, -2, "retryable");
    lua_pushinteger(L, err->attempts);
    lua_setfield(L, -2, "attempts");
    if (err->code == CMFA_E_VALIDATION) {
        lua_createtable(L, (int)err->nviolations, 0);
        for (i = 0; i < err->nviolations; i++) {
            lua_createtable(L, 0, 3);
            lua_pushstring(L, err->violations[i].path);
            lua_setfield(L, -2, "path");
            lua_pushstring(L, err->violations[i].rule);
            lua_setfield(L, -2, "rule");
            lua_pushstring(L, err->violations[i].message);
            lua_setfield(L, -2, "message");
            lua_rawseti(L, -2, (int)i + 1);
        }
        lua_setfield(L, -2, "violations");
    }
    finish_error(L, lua_gettop(L));
}

/* nil, err: the Lua convention for runtime failures. */
static int fail_with(lua_State *L, const struct cmfa_error *err)
{
    lua_pushnil(L);
    push_error(L, err);
    return 2;
}

static const char *field_string(lua_State *L, int idx)
{
    return lua_type(L, idx) == LUA_TSTRING ? lua_tostring(L, idx) : NULL;
}

/* One readable line: "cognito_mfa <kind> error: <message>", plus the code, request id and
 * attempts when the message does not already say them. */
static int error_tostring(lua_State *L)
{
    const char *kind, *code, *msg, *rid;
    int n = 1;

    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    lua_getfield(L, 1, "kind");         /* 2 */
    lua_getfield(L, 1, "code");         /* 3 */
    lua_getfield(L, 1, "message");      /* 4 */
    lua_getfield(L, 1, "request_id");   /* 5 */
    lua_getfield(L, 1, "attempts");     /* 6 */
    kind = field_string(L, 2);
    code = field_string(L, 3);
    msg = field_string(L, 4);
    rid = field_string(L, 5);
    lua_pushfstring(L, "cognito_mfa %s error: %s", kind ? kind : "unknown",
                    msg ? msg : "no message");
    if (code && (!msg || !strstr(msg, code))) {
        lua_pushfstring(L, " [%s]", code);
        n++;
    }
    if (rid && (!msg || !strstr(msg, rid))) {
        lua_pushfstring(L, " (request id %s)", rid);
        n++;
    }
    if (lua_type(L, 6) == LUA_TNUMBER && lua_tonumber(L, 6) > 1) {
        lua_pushfstring(L, ", after %d attempts", (int)lua_tonumber(L, 6));
        n++;
    }
    lua_concat(L, n);
    /* a message from a custom transport may span lines: keep the result on one */
    luaL_gsub(L, lua_tostring(L, -1), "\r\n", " ");
    luaL_gsub(L, lua_tostring(L, -1), "\n", " ");
    luaL_gsub(L, lua_tostring(L, -1), "\r", " ");
    return 1;
}

/* ------------------------------------------------------------------------------- client */

struct lclient {
    struct cmfa_client *c;
    struct scratch *active;      /* the call in progress, for the debug hook */
    int has_debug;
};

static struct lclient *check_client(lua_State *L, int idx)
{
    struct lclient *lc = luaL_checkudata(L, idx, CLIENT_MT);

    if (!lc->c)
        luaL_error(L, "attempt to use a closed cognito_mfa client");
    return lc;
}

static void on_debug(void *userdata, const char *text, size_t len)
{
    struct lclient *lc = userdata;
    struct scratch *s = lc->active;
    char *grown;

    if (!s)
        return;
    grown = cmfa_realloc(s->debug, s->debug_len + len + 1);
    if (!grown)
        return;
    memcpy(grown + s->debug_len, text, len);
    s->debug_len += len;
    grown[s->debug_len] = '\0';
    s->debug = grown;
}

/* Hands collected debug text to the client's debug function (after the C work is done). */
static void flush_debug(lua_State *L, int client_idx, struct scratch *s)
{
    if (!s->debug_len)
        return;
    cmfa_lua_getuservalue(L, client_idx);
    lua_getfield(L, -1, "debug");
    if (lua_isfunction(L, -1)) {
        lua_pushlstring(L, s->debug, s->debug_len);
        lua_call(L, 1, 0);
        lua_pop(L, 1);
    } else {
        lua_pop(L, 2);
    }
}

static const char *opt_string(lua_State *L, int t, const char *name)
{
    const char *s;

    lua_getfield(L, t, name);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return NULL;
    }
    if (lua_type(L, -1) != LUA_TSTRING)
        luaL_error(L, "option '%s' must be a string, got %s", name, luaL_typename(L, -1));
    s = lua_tostring(L, -1);
    lua_pop(L, 1);   /* still referenced by the options table */
    return s;
}

static double opt_number(lua_State *L, int t, const char *name, double min, double max)
{
    double d;

    lua_getfield(L, t, name);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return 0;
    }
    if (lua_type(L, -1) != LUA_TNUMBER)
        luaL_error(L, "option '%s' must be a number, got %s", name, luaL_typename(L, -1));
    d = lua_tonumber(L, -1);
    lua_pop(L, 1);
    if (!(d >= min && d <= max))
        luaL_error(L, "option '%s' must be between %f and %f", name, min, max);
    return d;
}

static int opt_bool(lua_State *L, int t, const char *name)
{
    int b;

    lua_getfield(L, t, name);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return 0;
    }
    if (lua_type(L, -1) != LUA_TBOOLEAN)
        luaL_error(L, "option '%s' must be a boolean, got %s", name, luaL_typename(L, -1));
    b = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return b;
}

static const char *const client_options[] = {
    "region", "profile", "endpoint_url", "access_key_id", "secret_access_key", "session_token",
    "connect_timeout_ms", "read_timeout_ms", "max_attempts", "insecure", "ca_file",
    "max_response_bytes", "user_agent_suffix", "retry_seed", "debug", "retry_mode", "max_rate",
    NULL};

/* core.client_new{...} -> client | nil, err. Unknown option names raise. */
static int l_client_new(lua_State *L)
{
    struct cmfa_client_options o;
    struct lclient *lc;
    struct scratch *s;
    int i;

    if (lua_isnoneornil(L, 1))
        lua_newtable(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        int known = 0;
        if (lua_type(L, -2) != LUA_TSTRING)
            return luaL_error(L, "client options must have string keys");
        for (i = 0; client_options[i]; i++)
            if (strcmp(lua_tostring(L, -2), client_options[i]) == 0)
                known = 1;
        if (!known)
            return luaL_error(L, "unknown client option '%s'", lua_tostring(L, -2));
        lua_pop(L, 1);
    }
    memset(&o, 0, sizeof(o));
    o.region = opt_string(L, 1, "region");
    o.profile = opt_string(L, 1, "profile");
    o.endpoint_url = opt_string(L, 1, "endpoint_url");
    o.access_key_id = opt_string(L, 1, "access_key_id");
    o.secret_access_key = opt_string(L, 1, "secret_access_key");
    o.session_token = opt_string(L, 1, "session_token");
    o.ca_file = opt_string(L, 1, "ca_file");
    o.user_agent_suffix = opt_string(L, 1, "user_agent_suffix");
    o.connect_timeout_ms = (long)opt_number(L, 1, "connect_timeout_ms", 0, 86400000.0);
    o.read_timeout_ms = (long)opt_number(L, 1, "read_timeout_ms", 0, 86400000.0);
    o.max_attempts = (int)opt_number(L, 1, "max_attempts", 0, 100);
    o.max_response_bytes = (size_t)opt_number(L, 1, "max_response_bytes", 0, 1073741824.0);
    o.retry_seed = (unsigned long)opt_number(L, 1, "retry_seed", 0, 4294967295.0);
    o.insecure = opt_bool(L, 1, "insecure");
    o.retry_mode = opt_string(L, 1, "retry_mode");
    o.max_rate = opt_number(L, 1, "max_rate", 0, 1e9);
    lua_getfield(L, 1, "debug");
    if (!lua_isnil(L, -1) && !lua_isfunction(L, -1))
        return luaL_error(L, "option 'debug' must be a function");
    lua_pop(L, 1);

    s = scratch_new(L);                                  /* 2 */
    lc = cmfa_lua_newuserdata(L, sizeof(*lc));           /* 3 */
    memset(lc, 0, sizeof(*lc));
    luaL_getmetatable(L, CLIENT_MT);
    lua_setmetatable(L, -2);
    lua_createtable(L, 0, 1);                            /* uservalue: debug function */
    lua_getfield(L, 1, "debug");
    lc->has_debug = lua_isfunction(L, -1);
    lua_setfield(L, -2, "debug");
    cmfa_lua_setuservalue(L, 3);
    if (lc->has_debug) {
        o.debug = on_debug;
        o.debug_userdata = lc;
    }
    lc->c = cmfa_client_new(&o, &s->err);
    if (!lc->c) {
        int n = fail_with(L, &s->err);
        scratch_release(L, 2);
        return n;
    }
    scratch_release(L, 2);
    lua_pushvalue(L, 3);
    return 1;
}

static int l_client_close(lua_State *L)
{
    struct lclient *lc = luaL_checkudata(L, 1, CLIENT_MT);

    if (lc->c) {
        cmfa_client_free(lc->c);
        lc->c = NULL;
    }
    return 0;
}

static int l_client_tostring(lua_State *L)
{
    struct lclient *lc = luaL_checkudata(L, 1, CLIENT_MT);

    if (!lc->c)
        lua_pushliteral(L, "cognito_mfa.client (closed)");
    else
        lua_pushfstring(L, "cognito_mfa.client (region %s, endpoint %s, %d attempts)",
                        cmfa_client_region(lc->c) ? cmfa_client_region(lc->c) : "unset",
                        cmfa_client_endpoint(lc->c), cmfa_client_max_attempts(lc->c));
    return 1;
}

static const struct cmfa_shape *input_shape(const char *op)
{
    const struct cmfa_operation *o = cmfa_model_operation(op);
    return o ? o->input : NULL;
}

/* client:call(operation, params) -> result | nil, err */
static int l_client_call(lua_State *L)
{
    struct lclient *lc = check_client(L, 1);
    const char *op = luaL_checkstring(L, 2);
    struct scratch *s;
    cmfa_code rc;

    if (!lua_isnoneornil(L, 3))
        luaL_checktype(L, 3, LUA_TTABLE);
    lua_settop(L, 3);
    s = scratch_new(L);                                  /* 4 */
    if (lua_istable(L, 3))
        table_to_value(L, 3, input_shape(op), s);
    lc->active = s;
    rc = cmfa_call(lc->c, op, s->in, &s->out, &s->err);
    lc->active = NULL;
    flush_debug(L, 1, s);
    if (rc != CMFA_OK) {
        fail_with(L, &s->err);
        scratch_release(L, 4);
        return 2;
    }
    push_value(L, s->out, 0);
    scratch_release(L, 4);
    return 1;
}

/* client:call_json(operation, json) -> json | nil, err */
static int l_client_call_json(lua_State *L)
{
    struct lclient *lc = check_client(L, 1);
    const char *op = luaL_checkstring(L, 2);
    size_t len = 0, out_len = 0;
    const char *json = luaL_optlstring(L, 3, "{}", &len);
    struct scratch *s;
    cmfa_code rc;

    lua_settop(L, 3);
    s = scratch_new(L);
    lc->active = s;
    rc = cmfa_call_json(lc->c, op, json, len, &s->text, &out_len, &s->err);
    lc->active = NULL;
    flush_debug(L, 1, s);
    if (rc != CMFA_OK) {
        fail_with(L, &s->err);
        scratch_release(L, 4);
        return 2;
    }
    lua_pushlstring(L, s->text, out_len);
    scratch_release(L, 4);
    return 1;
}

static int l_client_max_attempts(lua_State *L)
{
    lua_pushinteger(L, cmfa_client_max_attempts(check_client(L, 1)->c));
    return 1;
}

static int l_client_retry_mode(lua_State *L)
{
    lua_pushstring(L, cmfa_client_retry_mode(check_client(L, 1)->c));
    return 1;
}

static int l_client_send_rate(lua_State *L)
{
    lua_pushnumber(L, cmfa_client_send_rate(check_client(L, 1)->c));
    return 1;
}

static int l_client_region(lua_State *L)
{
    const char *r = cmfa_client_region(check_client(L, 1)->c);
    if (r)
        lua_pushstring(L, r);
    else
        lua_pushnil(L);
    return 1;
}

static int l_client_endpoint(lua_State *L)
{
    lua_pushstring(L, cmfa_client_endpoint(check_client(L, 1)->c));
    return 1;
}

static int l_client_credentials_source(lua_State *L)
{
    struct lclient *lc = check_client(L, 1);
    struct scratch *s;
    const char *src;

    lua_settop(L, 1);
    s = scratch_new(L);
    src = cmfa_client_credentials_source(lc->c, &s->err);
    if (!src) {
        fail_with(L, &s->err);
        scratch_release(L, 2);
        return 2;
    }
    lua_pushstring(L, src);
    scratch_release(L, 2);
    return 1;
}

/* ------------------------------------------------------------------------------- batch
 * client:call_many(operation, { params, ... }, concurrency) -> outs, errs: outs[i] is the
 * result or false, errs[i] the error object or false. Inputs and results live in a batch
 * userdata until the call is over, so a raised Lua error frees them. */

#define BATCH_MT "cognito_mfa.batch"

struct batch {
    size_t n;
    struct cmfa_value **inputs;
    struct cmfa_batch_item *items;
};

static int batch_gc(lua_State *L)
{
    struct batch *b = luaL_checkudata(L, 1, BATCH_MT);
    size_t i;

    for (i = 0; b->inputs && i < b->n; i++)
        cmfa_value_free(b->inputs[i]);
    for (i = 0; b->items && i < b->n; i++) {
        cmfa_value_free(b->items[i].output);
        cmfa_error_cleanup(&b->items[i].err);
    }
    cmfa_free(b->inputs);
    cmfa_free(b->items);
    b->inputs = NULL;
    b->items = NULL;
    b->n = 0;
    return 0;
}

static int l_client_call_many(lua_State *L)
{
    struct lclient *lc = check_client(L, 1);
    const char *op = luaL_checkstring(L, 2);
    int concurrency = (int)luaL_optinteger(L, 4, 8);
    const struct cmfa_shape *shape = input_shape(op);
    struct batch *b;
    struct scratch *s;
    size_t n, i;
    cmfa_code rc;

    luaL_checktype(L, 3, LUA_TTABLE);
    if (concurrency < 1 || concurrency > CMFA_MAX_CONCURRENCY)
        return luaL_argerror(L, 4, "concurrency out of range (see core.MAX_CONCURRENCY)");
    lua_settop(L, 4);
    n = cmfa_lua_rawlen(L, 3);
    b = cmfa_lua_newuserdata(L, sizeof(*b));                     /* 5 */
    memset(b, 0, sizeof(*b));
    luaL_getmetatable(L, BATCH_MT);
    lua_setmetatable(L, 5);
    s = scratch_new(L);                                          /* 6 */
    b->inputs = cmfa_malloc((n ? n : 1) * sizeof(*b->inputs));
    b->items = cmfa_malloc((n ? n : 1) * sizeof(*b->items));
    if (!b->inputs || !b->items)
        return luaL_error(L, "not enough memory");
    memset(b->inputs, 0, (n ? n : 1) * sizeof(*b->inputs));
    memset(b->items, 0, (n ? n : 1) * sizeof(*b->items));
    b->n = n;
    for (i = 0; i < n; i++) {
        lua_rawgeti(L, 3, (int)i + 1);
        if (!lua_istable(L, -1))
            return luaL_error(L, "call_many: params[%d] must be a table, got %s", (int)i + 1,
                              luaL_typename(L, -1));
        table_to_value(L, lua_gettop(L), shape, s);
        b->inputs[i] = s->in;
        s->in = NULL;
        b->items[i].input = b->inputs[i];
        lua_pop(L, 1);
    }
    lc->active = s;
    rc = cmfa_call_many(lc->c, op, b->items, n, concurrency, &s->err);
    lc->active = NULL;
    flush_debug(L, 1, s);
    if (rc != CMFA_OK) {
        fail_with(L, &s->err);
        scratch_release(L, 6);
        return 2;
    }
    lua_createtable(L, (int)n, 0);                               /* 7: outs */
    lua_createtable(L, (int)n, 0);                               /* 8: errs */
    for (i = 0; i < n; i++) {
        if (b->items[i].err.code == CMFA_OK) {
            push_value(L, b->items[i].output, 0);
            lua_rawseti(L, 7, (int)i + 1);
            lua_pushboolean(L, 0);
        } else {
            lua_pushboolean(L, 0);
            lua_rawseti(L, 7, (int)i + 1);
            push_error(L, &b->items[i].err);
        }
        lua_rawseti(L, 8, (int)i + 1);
    }
    lua_pushcfunction(L, batch_gc);
    lua_pushvalue(L, 5);
    lua_call(L, 1, 0);
    scratch_release(L, 6);
    return 2;
}

/* client:redact(text) -> text with the client's secrets and auth header values hidden */
static int l_client_redact(lua_State *L)
{
    struct lclient *lc = check_client(L, 1);
    size_t len, out_len = 0;
    const char *text = luaL_checklstring(L, 2, &len);
    struct scratch *s;

    lua_settop(L, 2);
    s = scratch_new(L);
    s->text = cmfa_client_redact(lc->c, text, len, &out_len);
    if (!s->text)
        return luaL_error(L, "not enough memory");
    lua_pushlstring(L, s->text, out_len);
    scratch_release(L, 3);
    return 1;
}

/* ---------------------------------------------------------------------------- operation
 * One call driven by a Lua transport loop over the core's operation object:
 * op:next() -> "send", request | "wait", seconds | "done", result | "failed", err;
 * after "send", op:response(status, headers, body) or op:transport_error(kind, message). */

struct loperation {
    struct lclient *lc;          /* the client userdata, kept alive by the uservalue; its
                                    cmfa_client may be closed under us (checked on each use) */
    struct cmfa_op *op;
    int sent;                    /* a request is out and its outcome not yet reported */
};

static int l_operation_gc(lua_State *L)
{
    struct loperation *op = luaL_checkudata(L, 1, OPERATION_MT);

    cmfa_op_free(op->op);
    op->op = NULL;
    op->lc = NULL;
    return 0;
}

static struct loperation *check_operation(lua_State *L, int idx)
{
    struct loperation *op = luaL_checkudata(L, idx, OPERATION_MT);

    if (!op->lc || !op->op)
        luaL_error(L, "attempt to use a finished cognito_mfa operation");
    if (!op->lc->c)
        luaL_error(L, "attempt to use a cognito_mfa operation whose client was closed");
    return op;
}

/* Runs debug text the core wrote during fn's C work through the client's debug function. */
static void op_debug_begin(struct loperation *op, struct scratch *s)
{
    op->lc->active = s;
}

static void op_debug_end(lua_State *L, struct loperation *op, int op_idx, struct scratch *s)
{
    op->lc->active = NULL;
    if (!s->debug_len)
        return;
    cmfa_lua_getuservalue(L, op_idx);
    lua_getfield(L, -1, "client");
    flush_debug(L, lua_gettop(L), s);
    lua_pop(L, 2);
}

/* client:operation(name, params) -> operation | nil, err (validated and encoded here, once) */
static int l_client_operation(lua_State *L)
{
    struct lclient *lc = check_client(L, 1);
    const char *name = luaL_checkstring(L, 2);
    struct loperation *op;
    struct scratch *s;

    if (!lua_isnoneornil(L, 3))
        luaL_checktype(L, 3, LUA_TTABLE);
    lua_settop(L, 3);
    op = cmfa_lua_newuserdata(L, sizeof(*op));           /* 4 */
    memset(op, 0, sizeof(*op));
    luaL_getmetatable(L, OPERATION_MT);
    lua_setmetatable(L, 4);
    lua_createtable(L, 0, 1);
    lua_pushvalue(L, 1);
    lua_setfield(L, -2, "client");
    cmfa_lua_setuservalue(L, 4);
    s = scratch_new(L);                                  /* 5 */
    if (lua_istable(L, 3))
        table_to_value(L, 3, input_shape(name), s);
    op->op = cmfa_op_new(lc->c, name, s->in, &s->err);
    if (!op->op) {
        fail_with(L, &s->err);
        scratch_release(L, 5);
        return 2;
    }
    op->lc = lc;
    scratch_release(L, 5);
    lua_pushvalue(L, 4);
    return 1;
}

static void push_request(lua_State *L, const struct cmfa_request *req)
{
    size_t i;

    lua_createtable(L, 0, 5);
    lua_pushstring(L, req->method);
    lua_setfield(L, -2, "method");
    lua_pushstring(L, req->url);
    lua_setfield(L, -2, "url");
    lua_pushstring(L, req->host);
    lua_setfield(L, -2, "host");
    lua_createtable(L, 0, (int)req->nheaders);
    for (i = 0; i < req->nheaders; i++) {
        lua_pushstring(L, req->headers[i].value);
        lua_setfield(L, -2, req->headers[i].name);
    }
    lua_setfield(L, -2, "headers");
    lua_pushlstring(L, req->body, req->body_len);
    lua_setfield(L, -2, "body");
}

/* operation:next() -> "send", request | "wait", seconds | "done", result | "failed", err */
static int l_operation_next(lua_State *L)
{
    struct loperation *op = check_operation(L, 1);
    const struct cmfa_request *req;
    long delay_ms = 0;
    struct scratch *s;
    cmfa_op_step step;

    lua_settop(L, 1);
    s = scratch_new(L);                                  /* 2 */
    op_debug_begin(op, s);
    step = cmfa_op_next(op->op, &req, &delay_ms);
    if (step == CMFA_OP_DONE)
        s->out = cmfa_op_take_output(op->op);
    op_debug_end(L, op, 1, s);
    switch (step) {
    case CMFA_OP_SEND:
        op->sent = 1;
        lua_pushliteral(L, "send");
        push_request(L, req);
        break;
    case CMFA_OP_WAIT:
        lua_pushliteral(L, "wait");
        lua_pushnumber(L, (double)delay_ms / 1000.0);
        break;
    case CMFA_OP_DONE:
        lua_pushliteral(L, "done");
        if (s->out)
            push_value(L, s->out, 0);
        else
            lua_pushboolean(L, 1);   /* the result was taken by an earlier next() */
        break;
    default:
        lua_pushliteral(L, "failed");
        push_error(L, cmfa_op_error(op->op));
        break;
    }
    scratch_release(L, 2);
    return 2;
}

/* operation:response(status, headers, body) -> true | nil, err (this attempt's outcome) */
static int l_operation_response(lua_State *L)
{
    struct loperation *op = check_operation(L, 1);
    long status = (long)luaL_checkinteger(L, 2);
    size_t body_len = 0, n = 0, i = 0;
    const char *body;
    struct cmfa_header *headers;
    struct cmfa_response resp;
    struct scratch *s;
    cmfa_code rc;

    if (!lua_isnoneornil(L, 3))
        luaL_checktype(L, 3, LUA_TTABLE);
    body = luaL_optlstring(L, 4, "", &body_len);
    lua_settop(L, 4);
    if (!op->sent)
        return luaL_error(L, "operation:response() called without a request in flight "
                             "(call operation:next() first)");
    if (lua_istable(L, 3)) {
        lua_pushnil(L);
        while (lua_next(L, 3)) {
            if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING)
                n++;
            lua_pop(L, 1);
        }
    }
    /* header array in a userdata: no C heap held while Lua runs */
    headers = cmfa_lua_newuserdata(L, (n ? n : 1) * sizeof(*headers));   /* 5 */
    if (lua_istable(L, 3)) {
        lua_pushnil(L);
        while (lua_next(L, 3)) {
            if (i < n && lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING) {
                headers[i].name = lua_tostring(L, -2);
                headers[i].value = lua_tostring(L, -1);
                i++;
            }
            lua_pop(L, 1);
        }
    }
    s = scratch_new(L);                                                   /* 6 */
    memset(&resp, 0, sizeof(resp));
    resp.status = status;
    resp.headers = headers;
    resp.nheaders = i;
    resp.body = body;
    resp.body_len = body_len;
    op->sent = 0;
    op_debug_begin(op, s);
    rc = cmfa_op_response(op->op, &resp);
    op_debug_end(L, op, 1, s);
    scratch_release(L, 6);
    if (rc == CMFA_OK) {
        lua_pushboolean(L, 1);
        return 1;
    }
    lua_pushnil(L);
    push_error(L, cmfa_op_error(op->op));
    return 2;
}

static const char *const transport_kinds[] = {"transport", "timeout", "tls", "too_large",
                                              "bad_response", NULL};
static const cmfa_code transport_codes[] = {CMFA_E_TRANSPORT, CMFA_E_TIMEOUT, CMFA_E_TLS,
                                            CMFA_E_TOO_LARGE, CMFA_E_BAD_RESPONSE};

/* operation:transport_error(kind, message) -> nil, err (this attempt's outcome) */
static int l_operation_transport_error(lua_State *L)
{
    struct loperation *op = check_operation(L, 1);
    int k = luaL_checkoption(L, 2, "transport", transport_kinds);
    const char *msg = luaL_optstring(L, 3, "transport failure");
    struct scratch *s;

    lua_settop(L, 3);
    if (!op->sent)
        return luaL_error(L, "operation:transport_error() called without a request in flight "
                             "(call operation:next() first)");
    s = scratch_new(L);                                  /* 4 */
    op->sent = 0;
    op_debug_begin(op, s);
    cmfa_op_transport_failed(op->op, transport_codes[k], msg);
    op_debug_end(L, op, 1, s);
    scratch_release(L, 4);
    lua_pushnil(L);
    push_error(L, cmfa_op_error(op->op));
    return 2;
}

static int l_operation_attempts(lua_State *L)
{
    lua_pushinteger(L, cmfa_op_attempts(check_operation(L, 1)->op));
    return 1;
}

static int l_operation_tostring(lua_State *L)
{
    struct loperation *op = luaL_checkudata(L, 1, OPERATION_MT);

    if (op->op)
        lua_pushfstring(L, "cognito_mfa.operation (%d attempts made)", cmfa_op_attempts(op->op));
    else
        lua_pushliteral(L, "cognito_mfa.operation (finished)");
    return 1;
}

/* ------------------------------------------------------------------ module functions */

/* core.validate(operation, params) -> true | nil, err */
static int l_validate(lua_State *L)
{
    const char *op = luaL_checkstring(L, 1);
    struct scratch *s;

    if (!lua_isnoneornil(L, 2))
        luaL_checktype(L, 2, LUA_TTABLE);
    lua_settop(L, 2);
    s = scratch_new(L);
    if (lua_istable(L, 2))
        table_to_value(L, 2, input_shape(op), s);
    if (cmfa_validate(op, s->in, &s->err) != CMFA_OK) {
        fail_with(L, &s->err);
        scratch_release(L, 3);
        return 2;
    }
    scratch_release(L, 3);
    lua_pushboolean(L, 1);
    return 1;
}

/* core.encode(value [, pretty]) -> JSON text. Tables follow the same rules as parameters. */
static int l_encode(lua_State *L)
{
    int pretty = lua_toboolean(L, 2);
    struct scratch *s;
    struct cmfa_value *root;
    char path[PATH_SIZE];
    size_t len = 0;

    lua_settop(L, 1);
    s = scratch_new(L);                                   /* 2 */
    path[0] = '\0';
    /* wrap in an array so scalars and tables go through the same conversion */
    s->in = cmfa_value_new_array();
    if (!s->in)
        return luaL_error(L, "not enough memory");
    convert_into(L, 1, NULL, s->in, NULL, path, 0, 1);
    root = (struct cmfa_value *)cmfa_value_at(s->in, 0, NULL);
    s->text = cmfa_value_to_json(root, pretty, &len);
    if (!s->text)
        return luaL_error(L, "not enough memory");
    lua_pushlstring(L, s->text, len);
    scratch_release(L, 2);
    return 1;
}

/* core.decode(json) -> value | nil, err */
static int l_decode(lua_State *L)
{
    size_t len;
    const char *json = luaL_checklstring(L, 1, &len);
    struct scratch *s;

    lua_settop(L, 1);
    s = scratch_new(L);
    s->out = cmfa_value_parse(json, len, &s->err);
    if (!s->out) {
        fail_with(L, &s->err);
        scratch_release(L, 2);
        return 2;
    }
    push_value(L, s->out, 0);
    scratch_release(L, 2);
    return 1;
}

/* ----------------------------------------------------------------- queries (JMESPath) */

#define QUERY_MT "cognito_mfa.query"
#define QUERY_CACHE_SIZE 64

struct lquery {
    struct cmfa_query *q;
};

static int query_gc(lua_State *L)
{
    struct lquery *lq = luaL_checkudata(L, 1, QUERY_MT);

    cmfa_query_free(lq->q);
    lq->q = NULL;
    return 0;
}

/* Caches the compiled query at ud_idx under the expression at key_idx. Upvalue 1 maps
 * expressions to compiled queries; upvalue 2 is a ring of the last QUERY_CACHE_SIZE
 * expressions (field n: the next slot), whose oldest entry leaves the map when replaced. */
static void query_cache_insert(lua_State *L, int key_idx, int ud_idx)
{
    int map = lua_upvalueindex(1), ring = lua_upvalueindex(2);
    int slot;

    lua_getfield(L, ring, "n");
    slot = lua_type(L, -1) == LUA_TNUMBER ? (int)lua_tointeger(L, -1) : 1;
    lua_pop(L, 1);
    lua_rawgeti(L, ring, slot);
    if (!lua_isnil(L, -1)) {
        lua_pushnil(L);
        lua_rawset(L, map);
    } else {
        lua_pop(L, 1);
    }
    lua_pushvalue(L, key_idx);
    lua_rawseti(L, ring, slot);
    lua_pushvalue(L, key_idx);
    lua_pushvalue(L, ud_idx);
    lua_rawset(L, map);
    lua_pushinteger(L, slot % QUERY_CACHE_SIZE + 1);
    lua_setfield(L, ring, "n");
}

/* core.query(value, expression) -> result | nil, err. value follows the rules of parameters
 * (cognito_mfa.NULL is null, array_mt marks arrays, nil is null); a null result is
 * cognito_mfa.NULL. Expressions compile once while they stay in the cache. */
static int l_query(lua_State *L)
{
    size_t len;
    const char *expr = luaL_checklstring(L, 2, &len);
    const struct cmfa_value *root = NULL;
    struct lquery *lq;
    struct scratch *s;
    char path[PATH_SIZE];

    lua_settop(L, 2);
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(1));                  /* 3: compiled query or nil */
    if (lua_isnil(L, 3)) {
        lua_pop(L, 1);
        lq = cmfa_lua_newuserdata(L, sizeof(*lq));       /* 3 */
        lq->q = NULL;
        luaL_getmetatable(L, QUERY_MT);
        lua_setmetatable(L, -2);
        s = scratch_new(L);                              /* 4 */
        lq->q = cmfa_query_compile(expr, len, &s->err);
        if (!lq->q) {
            fail_with(L, &s->err);
            scratch_release(L, 4);
            return 2;
        }
        scratch_release(L, 4);
        lua_settop(L, 3);
        query_cache_insert(L, 2, 3);
    }
    lq = lua_touserdata(L, 3);
    s = scratch_new(L);                                  /* 4 */
    if (!lua_isnil(L, 1)) {
        path[0] = '\0';
        /* wrapped in an array so scalars and tables go through the same conversion */
        s->in = cmfa_value_new_array();
        if (!s->in)
            return luaL_error(L, "not enough memory");
        convert_into(L, 1, NULL, s->in, NULL, path, 0, 1);
        root = cmfa_value_at(s->in, 0, NULL);
    }
    s->out = cmfa_query_eval(lq->q, root, &s->err);
    if (!s->out) {
        fail_with(L, &s->err);
        scratch_release(L, 4);
        return 2;
    }
    push_value(L, s->out, 0);
    scratch_release(L, 4);
    return 1;
}

/* core.query_cache_count() -> number of compiled expressions held (for tests). */
static int l_query_cache_count(lua_State *L)
{
    int n = 0;

    lua_pushnil(L);
    while (lua_next(L, lua_upvalueindex(1))) {
        n++;
        lua_pop(L, 1);
    }
    lua_pushinteger(L, n);
    return 1;
}

static void push_shape_ref(lua_State *L, const struct cmfa_shape *shape)
{
    if (shape)
        lua_pushstring(L, shape->name);
    else
        lua_pushnil(L);
}

static void add_shape(lua_State *L, int shapes, const struct cmfa_shape *shape)
{
    size_t i;

    if (!shape)
        return;
    lua_getfield(L, shapes, shape->name);
    if (!lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return;
    }
    lua_pop(L, 1);
    lua_createtable(L, 0, 8);
    lua_pushstring(L, shape->name);
    lua_setfield(L, -2, "name");
    lua_pushstring(L, cmfa_shape_type_name(shape->type));
    lua_setfield(L, -2, "type");
    if (shape->has_min) {
        lua_pushinteger(L, (lua_Integer)shape->min);
        lua_setfield(L, -2, "min");
    }
    if (shape->has_max) {
        lua_pushinteger(L, (lua_Integer)shape->max);
        lua_setfield(L, -2, "max");
    }
    if (shape->pattern) {
        lua_pushstring(L, shape->pattern);
        lua_setfield(L, -2, "pattern");
    }
    if (shape->sensitive) {
        lua_pushboolean(L, 1);
        lua_setfield(L, -2, "sensitive");
    }
    if (shape->enums) {
        lua_newtable(L);
        for (i = 0; shape->enums[i]; i++) {
            lua_pushstring(L, shape->enums[i]);
            lua_rawseti(L, -2, (int)i + 1);
        }
        lua_setfield(L, -2, "enum");
    }
    if (shape->element) {
        push_shape_ref(L, shape->element);
        lua_setfield(L, -2, "element");
    }
    if (shape->type == CMFA_SHAPE_STRUCTURE) {
        lua_createtable(L, (int)shape->nmembers, 0);
        for (i = 0; i < shape->nmembers; i++) {
            lua_createtable(L, 0, 3);
            lua_pushstring(L, shape->members[i].name);
            lua_setfield(L, -2, "name");
            push_shape_ref(L, shape->members[i].shape);
            lua_setfield(L, -2, "shape");
            lua_pushboolean(L, shape->members[i].required);
            lua_setfield(L, -2, "required");
            lua_rawseti(L, -2, (int)i + 1);
        }
        lua_setfield(L, -2, "members");
    }
    lua_setfield(L, shapes, shape->name);
    for (i = 0; i < shape->nmembers; i++)
        add_shape(L, shapes, shape->members[i].shape);
    add_shape(L, shapes, shape->element);
}

/* core.model() -> { operations = { Name = {input, output, errors} }, shapes = { Name = {...} } } */
static int l_model(lua_State *L)
{
    const struct cmfa_operation *op;
    size_t i, j;
    int ops, shapes;

    lua_createtable(L, 0, 2);
    lua_newtable(L);
    ops = lua_gettop(L);
    lua_newtable(L);
    shapes = lua_gettop(L);
    for (i = 0; (op = cmfa_model_operation_at(i)) != NULL; i++) {
        lua_createtable(L, 0, 4);
        lua_pushstring(L, op->name);
        lua_setfield(L, -2, "name");
        push_shape_ref(L, op->input);
        lua_setfield(L, -2, "input");
        push_shape_ref(L, op->output);
        lua_setfield(L, -2, "output");
        lua_newtable(L);
        for (j = 0; op->errors && op->errors[j]; j++) {
            lua_pushstring(L, op->errors[j]);
            lua_rawseti(L, -2, (int)j + 1);
        }
        lua_setfield(L, -2, "errors");
        lua_setfield(L, ops, op->name);
        add_shape(L, shapes, op->input);
        add_shape(L, shapes, op->output);
    }
    lua_setfield(L, -3, "shapes");
    lua_setfield(L, -2, "operations");
    return 1;
}

/* core.sleep(seconds): blocking sleep for scripts (OpenResty uses ngx.sleep instead). */
static int l_sleep(lua_State *L)
{
    double secs = luaL_checknumber(L, 1);
    struct timespec ts;

    if (secs < 0)
        secs = 0;
    ts.tv_sec = (time_t)secs;
    ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
    return 0;
}

static int l_service_error_known(lua_State *L)
{
    lua_pushboolean(L, cmfa_service_error_known(luaL_checkstring(L, 1)));
    return 1;
}

/* ------------------------------------------------------------------------------- YAML */

/* A shape by its model name, or an operation's input (input = 1) or output shape; raises on an
 * unknown name. */
static const struct cmfa_shape *check_shape(lua_State *L, int idx, int input)
{
    const char *name;
    const struct cmfa_shape *shape;
    const struct cmfa_operation *op;

    if (lua_isnoneornil(L, idx))
        return NULL;
    name = luaL_checkstring(L, idx);
    if ((shape = cmfa_model_shape(name)) != NULL)
        return shape;
    if ((op = cmfa_model_operation(name)) != NULL)
        return input ? op->input : op->output;
    luaL_argerror(L, idx, lua_pushfstring(L, "unknown shape or operation '%s'", name));
    return NULL;
}

/* core.to_yaml(value [, shape_name [, stream]]) -> text | nil, err
 * As `aws --output yaml` (stream false) or one response of `--output yaml-stream` prints it.
 * shape_name: a model shape ("DescribeUserPoolResponse") or an operation (its output shape). */
static int l_to_yaml(lua_State *L)
{
    const struct cmfa_shape *shape = check_shape(L, 2, 0);
    int stream = lua_toboolean(L, 3);
    struct scratch *s;
    struct cmfa_value *root;
    char path[PATH_SIZE];
    size_t len = 0;

    luaL_checkany(L, 1);
    lua_settop(L, 3);
    s = scratch_new(L);                                   /* 4 */
    path[0] = '\0';
    s->in = cmfa_value_new_array(); /* a wrapper, so scalars convert like tables */
    if (!s->in)
        return luaL_error(L, "not enough memory");
    convert_into(L, 1, shape, s->in, NULL, path, 0, 1);
    root = (struct cmfa_value *)cmfa_value_at(s->in, 0, NULL);
    s->text = cmfa_value_to_yaml(root, shape, stream, &len, &s->err);
    if (!s->text) {
        fail_with(L, &s->err);
        scratch_release(L, 4);
        return 2;
    }
    lua_pushlstring(L, s->text, len);
    scratch_release(L, 4);
    return 1;
}

/* core.from_yaml(text [, shape_name]) -> value | nil, err
 * shape_name: a model shape or an operation (its input shape), e.g. for --cli-input-yaml. */
static int l_from_yaml(lua_State *L)
{
    size_t len;
    const char *text = luaL_checklstring(L, 1, &len);
    const struct cmfa_shape *shape = check_shape(L, 2, 1);
    struct scratch *s;

    lua_settop(L, 2);
    s = scratch_new(L);                                   /* 3 */
    s->out = cmfa_value_parse_yaml(text, len, shape, &s->err);
    if (!s->out) {
        fail_with(L, &s->err);
        scratch_release(L, 3);
        return 2;
    }
    push_value(L, s->out, 0);
    scratch_release(L, 3);
    return 1;
}

/* core.yaml_skeleton(operation [, docs [, documented_only]]) -> text | nil, err
 * docs: { ["ShapeName.MemberName"] = "first sentence", ... } for the comments. */
static int l_yaml_skeleton(lua_State *L)
{
    const char *op = luaL_checkstring(L, 1);
    struct cmfa_yaml_skeleton_options opts;
    struct cmfa_yaml_doc *docs = NULL;
    struct scratch *s;
    size_t n = 0, len = 0;

    memset(&opts, 0, sizeof(opts));
    if (!lua_isnoneornil(L, 2))
        luaL_checktype(L, 2, LUA_TTABLE);
    opts.documented_only = lua_toboolean(L, 3);
    lua_settop(L, 3);
    if (lua_istable(L, 2)) {
        lua_pushnil(L);
        while (lua_next(L, 2)) {
            if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
                luaL_argerror(L, 2, "docs must map \"Shape.Member\" strings to strings");
            n++;
            lua_pop(L, 1);
        }
        /* a Lua-owned array: nothing to free if a later step raises; the strings are the
         * table's own, and the table stays on the stack */
        docs = cmfa_lua_newuserdata(L, (n ? n : 1) * sizeof(*docs));  /* 4 */
        n = 0;
        lua_pushnil(L);
        while (lua_next(L, 2)) {
            docs[n].key = lua_tostring(L, -2);
            docs[n].text = lua_tostring(L, -1);
            n++;
            lua_pop(L, 1);
        }
        opts.docs = docs;
        opts.ndocs = n;
    } else {
        lua_pushnil(L);                                    /* 4 */
    }
    s = scratch_new(L);                                   /* 5 */
    s->text = cmfa_yaml_skeleton(op, &opts, &len, &s->err);
    if (!s->text) {
        fail_with(L, &s->err);
        scratch_release(L, 5);
        return 2;
    }
    lua_pushlstring(L, s->text, len);
    scratch_release(L, 5);
    return 1;
}

/* ----------------------------------------------------------------------------- settings */

#define SETTINGS_MT "cognito_mfa.settings_holder"

/* Holder userdata for a struct cmfa_settings: created before the settings are loaded, so a
 * Lua error while the table is filled leaves them to __gc. */
static int settings_gc(lua_State *L)
{
    struct cmfa_settings **h = luaL_checkudata(L, 1, SETTINGS_MT);

    cmfa_settings_free(*h);
    *h = NULL;
    return 0;
}

/* core.settings([profile]) -> { profile = name, profile_found = bool, profiles = { names },
 * settings = { key = value, ... } } | nil, err. Values as cmfa_settings_get resolves them, for
 * each setting cmfa_settings_key lists plus the extra keys given as further arguments. */
static int l_settings(lua_State *L)
{
    const char *profile = luaL_optstring(L, 1, NULL);
    struct cmfa_settings **h;
    struct cmfa_error err;
    const char *name;
    size_t i;
    int top = lua_gettop(L), arg;

    h = cmfa_lua_newuserdata(L, sizeof(*h));
    *h = NULL;
    luaL_getmetatable(L, SETTINGS_MT);
    lua_setmetatable(L, -2);
    cmfa_error_init(&err);
    *h = cmfa_settings_load(profile, &err);
    if (!*h) {
        fail_with(L, &err);
        cmfa_error_cleanup(&err);
        return 2;
    }
    cmfa_error_cleanup(&err);
    lua_newtable(L);
    lua_pushstring(L, cmfa_settings_profile(*h));
    lua_setfield(L, -2, "profile");
    lua_pushboolean(L, cmfa_settings_profile_found(*h));
    lua_setfield(L, -2, "profile_found");
    lua_newtable(L);
    for (i = 0; (name = cmfa_settings_profile_name(*h, i)) != NULL; i++) {
        lua_pushstring(L, name);
        lua_rawseti(L, -2, (int)i + 1);
    }
    lua_setfield(L, -2, "profiles");
    lua_newtable(L);
    for (i = 0; (name = cmfa_settings_key(i)) != NULL; i++) {
        const char *v = cmfa_settings_get(*h, name);
        if (v) {
            lua_pushstring(L, v);
            lua_setfield(L, -2, name);
        }
    }
    for (arg = 2; arg <= top; arg++) {
        const char *v;
        name = luaL_checkstring(L, arg);
        v = cmfa_settings_get(*h, name);
        if (v) {
            lua_pushstring(L, v);
            lua_setfield(L, -2, name);
        }
    }
    lua_setfield(L, -2, "settings");
    lua_pushcfunction(L, settings_gc);
    lua_pushvalue(L, top + 1);
    lua_call(L, 1, 0);
    return 1;
}

static const luaL_Reg client_methods[] = {
    {"call", l_client_call},
    {"call_json", l_client_call_json},
    {"call_many", l_client_call_many},
    {"redact", l_client_redact},
    {"operation", l_client_operation},
    {"max_attempts", l_client_max_attempts},
    {"retry_mode", l_client_retry_mode},
    {"send_rate", l_client_send_rate},
    {"region", l_client_region},
    {"endpoint", l_client_endpoint},
    {"credentials_source", l_client_credentials_source},
    {"close", l_client_close},
    {NULL, NULL}};

static const luaL_Reg operation_methods[] = {
    {"next", l_operation_next},
    {"response", l_operation_response},
    {"transport_error", l_operation_transport_error},
    {"attempts", l_operation_attempts},
    {"close", l_operation_gc},
    {NULL, NULL}};

static const luaL_Reg functions[] = {
    {"client_new", l_client_new},
    {"error", l_error},
    {"validate", l_validate},
    {"encode", l_encode},
    {"decode", l_decode},
    {"model", l_model},
    {"sleep", l_sleep},
    {"service_error_known", l_service_error_known},
    {"settings", l_settings},
    {"to_yaml", l_to_yaml},
    {"from_yaml", l_from_yaml},
    {"yaml_skeleton", l_yaml_skeleton},
    {NULL, NULL}};

static void new_class(lua_State *L, const char *name, const luaL_Reg *methods,
                      lua_CFunction gc, lua_CFunction tostring)
{
    luaL_newmetatable(L, name);
    lua_newtable(L);
    cmfa_lua_setfuncs(L, methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, gc);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, gc);
    lua_setfield(L, -2, "__close");
    lua_pushcfunction(L, tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);
}

/* Keeps this module loaded for the life of the process, as luaossl does (dl_anchor): libcmfa
 * initialises libcurl, OpenSSL and PCRE2 once per process and keeps that state in statics, so
 * unloading the module when a lua_State closes would orphan it (and OpenSSL's exit handlers). */
static void anchor_module(void)
{
    Dl_info info;

    if (dladdr((void *)&anchor_module, &info) && info.dli_fname)
        (void)dlopen(info.dli_fname, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
}

int luaopen_cognito_mfa_core(lua_State *L)
{
    anchor_module();
    if (cmfa_global_init() != CMFA_OK)
        return luaL_error(L, "cognito_mfa: library initialisation failed");
    new_class(L, CLIENT_MT, client_methods, l_client_close, l_client_tostring);
    new_class(L, OPERATION_MT, operation_methods, l_operation_gc, l_operation_tostring);
    luaL_newmetatable(L, BATCH_MT);
    lua_pushcfunction(L, batch_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    luaL_newmetatable(L, SETTINGS_MT);
    lua_pushcfunction(L, settings_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    luaL_newmetatable(L, SCRATCH_MT);
    lua_pushcfunction(L, scratch_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    luaL_newmetatable(L, ERROR_MT);
    lua_pushcfunction(L, error_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);
    /* arrays decoded from JSON carry this metatable, so they stay arrays when sent again */
    lua_newtable(L);
    lua_pushliteral(L, "array");
    lua_setfield(L, -2, "__name");
    lua_setfield(L, LUA_REGISTRYINDEX, ARRAY_MT_KEY);

    luaL_newmetatable(L, QUERY_MT);
    lua_pushcfunction(L, query_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);

    lua_newtable(L);
    cmfa_lua_setfuncs(L, functions);
    /* core.query and its cache (expression -> compiled query, and the eviction ring) */
    lua_newtable(L);
    lua_newtable(L);
    lua_pushvalue(L, -2);
    lua_pushvalue(L, -2);
    lua_pushcclosure(L, l_query, 2);
    lua_setfield(L, -4, "query");
    lua_pushvalue(L, -2);
    lua_pushcclosure(L, l_query_cache_count, 1);
    lua_setfield(L, -4, "query_cache_count");
    lua_pop(L, 2);
    lua_pushliteral(L, CMFA_VERSION);
    lua_setfield(L, -2, "_VERSION");
    lua_pushlightuserdata(L, NULL);
    lua_setfield(L, -2, "null");
    lua_getfield(L, LUA_REGISTRYINDEX, ARRAY_MT_KEY);
    lua_setfield(L, -2, "array_mt");
    luaL_getmetatable(L, ERROR_MT);
    lua_setfield(L, -2, "error_mt");
    lua_pushinteger(L, CMFA_MAX_CONCURRENCY);
    lua_setfield(L, -2, "MAX_CONCURRENCY");
    cmfa_lua_guard_register(L); /* guarded_call, guarded_rep (guard.c) */
    return 1;
}
