/* The only place that looks at LUA_VERSION_NUM: small shims so cognito_mfa_core.c is written
 * against the Lua 5.1 API and builds for Lua 5.1/LuaJIT and 5.2-5.4. */
#ifndef COGNITO_MFA_COMPAT_H
#define COGNITO_MFA_COMPAT_H

#include <lauxlib.h>
#include <lua.h>

#if LUA_VERSION_NUM >= 504
#define cmfa_lua_newuserdata(L, size) lua_newuserdatauv((L), (size), 1)
#else
#define cmfa_lua_newuserdata(L, size) lua_newuserdata((L), (size))
#endif

#if LUA_VERSION_NUM >= 502
#define cmfa_lua_rawlen(L, i) lua_rawlen((L), (i))
#define cmfa_lua_setfuncs(L, l) luaL_setfuncs((L), (l), 0)
#define cmfa_lua_setuservalue(L, i) lua_setuservalue((L), (i))
#define cmfa_lua_getuservalue(L, i) lua_getuservalue((L), (i))
#else
#define cmfa_lua_rawlen(L, i) lua_objlen((L), (i))
static inline void cmfa_lua_setfuncs(lua_State *L, const luaL_Reg *l)
{
    for (; l->name; l++) {
        lua_pushcfunction(L, l->func);
        lua_setfield(L, -2, l->name);
    }
}
/* Lua 5.1 keeps one environment table per userdata: used as its uservalue. */
#define cmfa_lua_setuservalue(L, i) lua_setfenv((L), (i))
#define cmfa_lua_getuservalue(L, i) lua_getfenv((L), (i))
#endif

/* Integers: exact only up to 2^53 in a double; Lua 5.3+ has a separate integer subtype. */
#if LUA_VERSION_NUM >= 503
#define cmfa_lua_isinteger(L, i) lua_isinteger((L), (i))
#else
#define cmfa_lua_isinteger(L, i) 0
#endif

#endif
