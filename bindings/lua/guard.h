/* Budgets for untrusted Lua (guard.c): adds guarded_call and guarded_rep to the module table
 * on top of the stack. */
#ifndef COGNITO_MFA_GUARD_H
#define COGNITO_MFA_GUARD_H

#include <lua.h>

void cmfa_lua_guard_register(lua_State *L);

#endif
