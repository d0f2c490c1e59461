--- cognito_mfa: Amazon Cognito user-pool MFA configuration from Lua.
-- @module cognito_mfa
-- @usage
-- local cognito_mfa = require "cognito_mfa"
-- local client = assert(cognito_mfa.client { region = "eu-west-1" })
-- local config = assert(client:get_user_pool_mfa_config { UserPoolId = "eu-west-1_Ab12" })
-- print(cognito_mfa.pretty(config))

local core = require "cognito_mfa.core"
local client = require "cognito_mfa.client"

local concat = table.concat
local ipairs = ipairs
local error = error
local format = string.format
local getmetatable = getmetatable
local pairs = pairs
local rawset = rawset
local rep = string.rep
local require = require
local setmetatable = setmetatable
local sort = table.sort
local tostring = tostring
local type = type

local _M = {}

--- Version of the module and of libcmfa ("x.y.z").
_M.VERSION = core._VERSION
--- JSON null: what null in a response decodes to. In parameters it means "not given": a
-- member set to it is left out of the request (inside arrays it stays null).
_M.NULL = core.null
--- Metatable marking tables that are JSON arrays (set on arrays in results).
_M.array_mt = core.array_mt

--- The error constructor every layer uses: completes `fields` (kind and message required;
-- code, name, retryable, attempts defaulted) as an error object with `tostring`.
-- @tab fields { kind = "usage"|"validation"|"credentials"|"transport"|"service"|"internal",
--   message = "...", code = "...", ... }
-- @return the error object (the same table)
-- @raise when kind or message is missing or wrong
_M.error = core.error
--- The most requests in flight at once that call_many, audits and the CLI accept.
_M.MAX_CONCURRENCY = core.MAX_CONCURRENCY

--- Creates a client (see cognito_mfa.client.new for the options).
-- @return client, or nil and an error object
-- @raise on unknown options or wrong option types
function _M.client(opts)
  return client.new(opts)
end

--- Validates parameters against the model, with no I/O.
-- @string operation e.g. "SetUserPoolMfaConfig"
-- @tab params the request
-- @return true, or nil and an error object listing every violation (err.violations)
function _M.validate(operation, params)
  if type(operation) ~= "string" then
    error("validate: operation must be a string, got " .. type(operation), 2)
  end
  if params ~= nil and type(params) ~= "table" then
    error("validate: params must be a table, got " .. type(params), 2)
  end
  if operation ~= "" and not _M.model().operations[operation] then
    error("validate: '" .. operation .. "' is not a modelled operation", 2)
  end
  return core.validate(operation, params)
end

--- Evaluates a JMESPath expression (version 1.0.1, the AWS CLI's --query language) on a
-- value: a result table, or any value built the same way (cognito_mfa.NULL for null, tables
-- marked with cognito_mfa.array_mt for arrays; an empty unmarked table is an object).
-- Compiled expressions are cached (the last 64), so repeating an expression is cheap.
-- @param value the data (nil is null)
-- @string expression e.g. "UserPools[?Status=='Enabled'].Id"
-- @return the result (arrays marked with cognito_mfa.array_mt, JSON null as
-- cognito_mfa.NULL), or nil and an error object (kind "usage"; err.name is
-- CMFA_E_QUERY_SYNTAX, _INVALID_TYPE, _INVALID_ARITY, _UNKNOWN_FUNCTION, _INVALID_VALUE or
-- _LIMIT; the message names the column)
-- @raise when expression is not a string, or value holds functions or other non-data values
-- @usage local ids = assert(cognito_mfa.query(pools, "UserPools[?Status=='Enabled'].Id"))
function _M.query(value, expression)
  if type(expression) ~= "string" then
    error("query: expression must be a string, got " .. type(expression), 2)
  end
  return core.query(value, expression)
end

--- The service model: { operations = {...}, shapes = {...} } (read-only by convention). One
-- copy, shared with cognito_mfa.mfa (what the MFA API is made of, derived from it).
function _M.model()
  return require("cognito_mfa.mfa").model()
end

--- The shared config and credentials files as the AWS CLI reads them, resolved by the core.
-- @string[opt] profile the profile (default: AWS_PROFILE, else "default")
-- @return { profile = name, profile_found = boolean, profiles = { names in the files },
--   settings = { region, output, cli_pager, cli_timestamp_format, ... as resolved, each
--   environment variable before the profile } }, or nil and an error object (a file that
--   does not parse)
-- @usage local s = cognito_mfa.settings(); print(s.settings.output or "json")
function _M.settings(profile, ...)
  if profile ~= nil and type(profile) ~= "string" then
    error("settings: profile must be a string, got " .. type(profile), 2)
  end
  return core.settings(profile, ...)
end

--- Encodes a value as JSON text (pretty when asked). Booleans stay booleans; empty tables
-- are objects unless marked with cognito_mfa.array_mt.
function _M.encode_json(value, pretty)
  return core.encode(value, pretty)
end

--- Decodes JSON text. @return value, or nil and an error object
function _M.decode_json(text)
  if type(text) ~= "string" then
    error("decode_json: text must be a string, got " .. type(text), 2)
  end
  return core.decode(text)
end

--- Whether a table is a JSON array: marked with cognito_mfa.array_mt, or a non-empty
-- sequence 1..n with no other keys (an empty unmarked table is an object).
local function is_array(t)
  if getmetatable(t) == core.array_mt then
    return true
  end
  local n = #t
  if n == 0 then
    return false
  end
  local count = 0
  for _ in pairs(t) do
    count = count + 1
  end
  return count == n
end

_M.is_array = is_array

local function render(v, indent, out, seen)
  local tv = type(v)
  if v == core.null then
    out[#out + 1] = "null"
  elseif tv == "string" then
    out[#out + 1] = format("%q", v)
  elseif tv == "number" or tv == "boolean" or tv == "nil" then
    out[#out + 1] = tostring(v)
  elseif tv == "table" then
    if seen[v] then
      out[#out + 1] = "<cycle>"
      return
    end
    seen[v] = true
    local pad = rep("  ", indent + 1)
    if is_array(v) then
      if #v == 0 then
        out[#out + 1] = "[]"
      else
        out[#out + 1] = "[\n"
        for i = 1, #v do
          out[#out + 1] = pad
          render(v[i], indent + 1, out, seen)
          out[#out + 1] = i < #v and ",\n" or "\n"
        end
        out[#out + 1] = rep("  ", indent) .. "]"
      end
    else
      local keys = {}
      for k in pairs(v) do
        keys[#keys + 1] = k
      end
      sort(keys, function(a, b) return tostring(a) < tostring(b) end)
      if #keys == 0 then
        out[#out + 1] = "{}"
      else
        out[#out + 1] = "{\n"
        for i, k in ipairs(keys) do
          out[#out + 1] = pad .. tostring(k) .. " = "
          render(v[k], indent + 1, out, seen)
          out[#out + 1] = i < #keys and ",\n" or "\n"
        end
        out[#out + 1] = rep("  ", indent) .. "}"
      end
    end
    seen[v] = nil
  else
    out[#out + 1] = tostring(v)
  end
end

--- Renders any value (a result, an error object) as indented, key-sorted text.
function _M.pretty(value)
  local out = {}
  render(value, 0, out, {})
  return concat(out)
end

-- Submodules by name (cognito_mfa.policy, .audit, .workflow, .resty, .mfa, .report,
-- .regions), loaded on first use.
local SUBMODULES = { policy = true, audit = true, workflow = true, resty = true, mfa = true,
                     report = true, regions = true }
setmetatable(_M, {
  __index = function(t, k)
    if SUBMODULES[k] then
      local m = require("cognito_mfa." .. k)
      rawset(t, k, m)
      return m
    end
  end,
})

return _M
