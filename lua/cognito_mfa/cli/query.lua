--- --query of the cognito-mfa tool: a JMESPath expression (evaluated by the core) applied to
-- the result after every page is merged, before it is printed in any output format.
--
-- Expressions are checked before anything is sent: errors the core finds when it compiles
-- (syntax, unknown function, wrong number of arguments, a slice step of 0) exit 252 naming
-- --query. (The AWS CLI refuses syntax errors the same way; unknown functions and wrong
-- argument counts it only finds after the call, exiting 255.) Type errors depend on the data
-- and can only appear after the call: they exit 255, as in the AWS CLI.
-- @module cognito_mfa.cli.query

local cognito_mfa = require "cognito_mfa"

local tostring = tostring

local _M = {}

-- Errors of the expression itself, found before evaluation.
local COMPILE_ERRORS = {
  CMFA_E_QUERY_SYNTAX = true,
  CMFA_E_QUERY_UNKNOWN_FUNCTION = true,
  CMFA_E_QUERY_INVALID_ARITY = true,
  CMFA_E_QUERY_INVALID_VALUE = true,
}

local function message(expr, err)
  return "argument --query: Bad value for --query " .. expr .. ": Invalid jmespath expression: "
    .. tostring(err and err.message or err)
end

--- Checks an expression before anything is sent.
-- @string expr the expression
-- @return nil when it compiles, else the message (for exit 252)
function _M.check(expr)
  local _, err = cognito_mfa.query(nil, expr)
  if err and COMPILE_ERRORS[err.name] then
    return message(expr, err)
  end
  return nil
end

--- Applies the context's --query to a value.
-- @return the result; or nil, message, exit code
function _M.apply(ctx, value)
  local expr = ctx.globals.query
  local v, err = cognito_mfa.query(value, expr)
  if err then
    if COMPILE_ERRORS[err.name] then
      return nil, ctx.PROG .. ": error: " .. message(expr, err), 252
    end
    return nil, "argument --query: " .. tostring(err.message), 255
  end
  return v
end

return _M
