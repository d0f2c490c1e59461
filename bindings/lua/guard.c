/*
 * Budgets for untrusted Lua (policy rule files): core.guarded_call runs a function with
 *
 * - an instruction budget: a count hook every GUARD_STEP VM instructions subtracts from it,
 * - a time budget: the same hook compares a monotonic clock with a deadline,
 * - a memory budget: the state's allocator is wrapped for the duration of the call, and any
 *   allocation that would make the state hold more than `memory_kb` above what it held when
 *   the call started is refused *before* it happens (Lua then raises "not enough memory"). So
 *   a single huge request (string.rep(s, 1e10), ("x"):rep(1e10), s .. s .. s ...) never
 *   reaches malloc, and a table grown without end stops at the budget.
 *
 * Once a budget is exhausted the hook raises on every later step, so code that catches the
 * error cannot carry on. Hook and allocator are restored when the call returns, also when it
 * raised; calls nest (the inner allocator wraps the outer one).
 *
 * The guard of a running call is found from the state itself (lua_getallocf's user data),
 * never from a static, so independent states in other threads do not interfere.
 *
 * What a count hook cannot see: a single C call that runs long without running Lua code.
 * core.guarded_rep replaces string.rep for guarded code (Lua 5.4's string.rep loops `n` times
 * even when each piece is empty, allocating nothing). LuaJIT does not call hooks inside
 * JIT-compiled traces: the Lua side turns the JIT off for guarded functions (jit.off(f, true)).
 *
 * Lua API:
 *   core.guarded_call(limits, string_index|nil, f, ...) ->
 *       true, ...results | false, err, reason ("instructions" | "memory" | "time" | nil)
 *     limits = { instructions = N, memory_kb = N, seconds = S }; string_index, when a table,
 *     is the string metatable's __index for the duration of the call.
 *   core.guarded_rep(s, n [, sep]) -> string.rep with the guard's memory budget checked first.
 *   core.guard_exhaust(reason) raises "rule exceeded its budget (<reason>)" and, inside a
 *     guarded call, marks that budget exhausted (for checks made in Lua before a long C call).
 */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "compat.h"
#include "guard.h"

#define GUARD_STEP 100 /* VM instructions between two hook calls */

enum guard_reason { GUARD_NONE, GUARD_INSTRUCTIONS, GUARD_MEMORY, GUARD_TIME };

static const char *const reason_names[] = {NULL, "instructions", "memory", "time"};

struct guard {
    lua_Alloc alloc;       /* the allocator being wrapped, and its user data */
    void *alloc_ud;
    long long net;         /* bytes allocated minus bytes freed since the call started */
    long long limit;       /* most net growth allowed */
    lua_Number left;       /* instructions still allowed */
    double deadline;       /* monotonic seconds */
    enum guard_reason exhausted;
};

static double monotonic(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *guard_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    struct guard *g = ud;
    size_t old = ptr ? osize : 0; /* Lua 5.4 passes a type tag as osize for new blocks */
    void *p;

    if (nsize > old) {
        size_t grow = nsize - old;

        if (grow > (size_t)INT64_MAX / 2 || g->net + (long long)grow > g->limit) {
            if (g->exhausted == GUARD_NONE)
                g->exhausted = GUARD_MEMORY;
            return NULL;
        }
    }
    p = g->alloc(g->alloc_ud, ptr, osize, nsize);
    if (p != NULL || nsize == 0)
        g->net += (long long)nsize - (long long)old;
    return p;
}

/* The guard of the call running on L, or NULL. */
static struct guard *current(lua_State *L)
{
    void *ud = NULL;

    return lua_getallocf(L, &ud) == guard_alloc ? ud : NULL;
}

static void guard_hook(lua_State *L, lua_Debug *ar)
{
    struct guard *g = current(L);

    (void)ar;
    if (g == NULL)
        return;
    if (g->exhausted == GUARD_NONE) {
        g->left -= GUARD_STEP;
        if (g->left < 0)
            g->exhausted = GUARD_INSTRUCTIONS;
        else if (monotonic() > g->deadline)
            g->exhausted = GUARD_TIME;
    }
    if (g->exhausted != GUARD_NONE) {
        /* from now on every instruction raises: a caller that catches the error (pcall in a
         * loop) meets it again at its own next instruction */
        lua_sethook(L, guard_hook, LUA_MASKCOUNT, 1);
        luaL_error(L, "rule exceeded its budget (%s)", reason_names[g->exhausted]);
    }
}

static lua_Number limit_field(lua_State *L, const char *name, lua_Number max)
{
    lua_Number v;

    lua_getfield(L, 1, name);
    if (!lua_isnumber(L, -1))
        luaL_error(L, "guarded_call: limits.%s must be a number", name);
    v = lua_tonumber(L, -1);
    lua_pop(L, 1);
    if (!(v > 0) || v > max)
        luaL_error(L, "guarded_call: limits.%s must be above 0 and at most %f", name, (double)max);
    return v;
}

static int l_guarded_call(lua_State *L)
{
    struct guard g;
    lua_Hook old_hook;
    int old_mask, old_count, status, base, have_index = 0;

    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checktype(L, 3, LUA_TFUNCTION);
    memset(&g, 0, sizeof(g));
    g.left = limit_field(L, "instructions", 1e15);
    g.limit = (long long)(limit_field(L, "memory_kb", 1e12) * 1024.0);
    g.deadline = monotonic() + limit_field(L, "seconds", 1e6);

    if (lua_istable(L, 2)) {
        lua_pushliteral(L, "");
        if (lua_getmetatable(L, -1)) {
            lua_remove(L, -2);                /* mt */
            lua_getfield(L, -1, "__index");   /* mt, old __index */
            lua_pushvalue(L, 2);
            lua_setfield(L, -3, "__index");
            lua_insert(L, 3);                 /* old __index below f */
            lua_insert(L, 3);                 /* mt below it: limits, index, mt, old, f, ... */
            have_index = 1;
        } else {
            lua_pop(L, 1);
        }
    }
    base = have_index ? 5 : 3; /* where f is */

    old_hook = lua_gethook(L);
    old_mask = lua_gethookmask(L);
    old_count = lua_gethookcount(L);
    g.alloc = lua_getallocf(L, &g.alloc_ud);
    lua_setallocf(L, guard_alloc, &g);
    lua_sethook(L, guard_hook, LUA_MASKCOUNT, GUARD_STEP);

    status = lua_pcall(L, lua_gettop(L) - base, LUA_MULTRET, 0);

    lua_sethook(L, old_hook, old_mask, old_count);
    lua_setallocf(L, g.alloc, g.alloc_ud);
    if (have_index) {
        lua_pushvalue(L, 4);
        lua_setfield(L, 3, "__index");
    }

    if (g.exhausted != GUARD_NONE) {
        lua_settop(L, base - 1);
        lua_pushboolean(L, 0);
        lua_pushfstring(L, "rule exceeded its budget (%s)", reason_names[g.exhausted]);
        lua_pushstring(L, reason_names[g.exhausted]);
        return 3;
    }
    if (status != 0) {
        lua_pushboolean(L, 0);
        lua_insert(L, -2);
        return 2;
    }
    lua_pushboolean(L, 1);
    lua_insert(L, base);
    return lua_gettop(L) - base + 1;
}

static int l_guarded_rep(lua_State *L)
{
    size_t len, sep_len = 0, total;
    const char *s = luaL_checklstring(L, 1, &len);
    lua_Integer n = luaL_checkinteger(L, 2);
    const char *sep = luaL_optlstring(L, 3, "", &sep_len);
    struct guard *g = current(L);
    luaL_Buffer b;
    size_t i, count;

    if (n < 1 || len + sep_len == 0) {
        lua_pushliteral(L, "");
        return 1;
    }
    /* the size first, in floating point: no overflow, then checked against what is left */
    if ((double)n * ((double)len + (double)sep_len) > 1e15)
        return luaL_error(L, "string.rep: resulting string too large");
    count = (size_t)n;
    total = count * len + (count - 1) * sep_len;
    if (g != NULL && g->net + (long long)total > g->limit) {
        if (g->exhausted == GUARD_NONE)
            g->exhausted = GUARD_MEMORY;
        return luaL_error(L, "rule exceeded its budget (memory)");
    }
    luaL_buffinit(L, &b);
    for (i = 0; i < count; i++) {
        if (i > 0 && sep_len > 0)
            luaL_addlstring(&b, sep, sep_len);
        luaL_addlstring(&b, s, len);
    }
    luaL_pushresult(&b);
    return 1;
}

static int l_guard_exhaust(lua_State *L)
{
    static const char *const names[] = {"instructions", "memory", "time", NULL};
    int which = luaL_checkoption(L, 1, NULL, names);
    struct guard *g = current(L);

    if (g != NULL && g->exhausted == GUARD_NONE)
        g->exhausted = (enum guard_reason)(which + 1);
    return luaL_error(L, "rule exceeded its budget (%s)", names[which]);
}

void cmfa_lua_guard_register(lua_State *L)
{
    lua_pushcfunction(L, l_guard_exhaust);
    lua_setfield(L, -2, "guard_exhaust");
    lua_pushcfunction(L, l_guarded_call);
    lua_setfield(L, -2, "guarded_call");
    lua_pushcfunction(L, l_guarded_rep);
    lua_setfield(L, -2, "guarded_rep");
}
