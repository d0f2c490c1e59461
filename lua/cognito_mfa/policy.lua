--- Policies over MFA configurations: rules written in Lua, a built-in baseline, and a loader
-- that runs rule files in a restricted environment.
--
-- A rule is { id, severity, description, check = function(config, context) -> ok, message,
-- fix = optional function(config, context) }. `config` is a pool's MFA configuration as
-- GetUserPoolMfaConfig returns it; `context` carries what else is known about the pool (id, name,
-- tier, the DescribeUserPool response as `pool`) and the caller's parameters.
-- @module cognito_mfa.policy

local workflow = require "cognito_mfa.workflow"

local error = error
local ipairs = ipairs
local load = load
local loadstring = loadstring   -- luacheck: ignore (Lua 5.1 / LuaJIT)
local open = io.open
local pcall = pcall
local setfenv = setfenv         -- luacheck: ignore (Lua 5.1 / LuaJIT)
local tostring = tostring
local type = type

local _M = {}

local SEVERITIES = { low = true, medium = true, high = true, critical = true }

-- What is wrong with a rule, or nil.
local function rule_problem(rule, where)
  if type(rule) ~= "table" then
    return where .. ": a rule must be a table, got " .. type(rule)
  end
  if type(rule.id) ~= "string" or rule.id == "" then
    return where .. ": a rule needs a string id"
  end
  if type(rule.check) ~= "function" then
    return where .. ": rule " .. rule.id .. " needs a check function"
  end
  if rule.fix ~= nil and type(rule.fix) ~= "function" then
    return where .. ": rule " .. rule.id .. ": fix must be a function"
  end
  if rule.severity ~= nil and not SEVERITIES[rule.severity] then
    return where .. ": rule " .. rule.id .. ": severity must be low, medium, high or critical"
  end
  return nil
end

--- Evaluates rules against one configuration.
-- @tab config the MFA configuration
-- @tab rules a list of rules
-- @tab[opt] context { id, name, tier, pool, params }
-- @return findings (the rules that failed: { id, severity, description, message, fixable }),
--   and results (every rule: { id, passed, message })
-- @raise when a rule is malformed
function _M.evaluate(config, rules, context)
  if type(config) ~= "table" then
    error("policy.evaluate: config must be a table, got " .. type(config), 2)
  end
  if type(rules) ~= "table" then
    error("policy.evaluate: rules must be a list, got " .. type(rules), 2)
  end
  context = context or {}
  local findings, results = {}, {}
  for i, rule in ipairs(rules) do
    local problem = rule_problem(rule, "policy.evaluate: rule " .. i)
    if problem then
      error(problem, 2)
    end
    local ok, passed, message = pcall(rule.check, workflow.deep_copy(config), context)
    if not ok then
      passed, message = false, "the check raised an error: " .. tostring(passed)
    end
    passed = passed and true or false
    results[#results + 1] = { id = rule.id, passed = passed, message = message }
    if not passed then
      findings[#findings + 1] = {
        id = rule.id, severity = rule.severity or "medium", description = rule.description,
        message = message or rule.description, fixable = rule.fix ~= nil,
      }
    end
  end
  return findings, results
end

--- Applies the fixes of the failed rules to a copy of config, in rule order. A fix edits the
-- configuration it is given (or returns a new one); a fix that raises is skipped and reported.
-- @tab config the MFA configuration
-- @tab rules the rules that were evaluated
-- @tab findings what evaluate returned
-- @tab[opt] context as for evaluate
-- @return the fixed configuration, the ids of the rules whose fix ran, and a list of
--   { id, message } for fixes that raised
function _M.fix(config, rules, findings, context)
  if type(config) ~= "table" or type(rules) ~= "table" or type(findings) ~= "table" then
    error("policy.fix: config, rules and findings must be tables", 2)
  end
  local failed = {}
  for _, f in ipairs(findings) do failed[f.id] = true end
  local fixed, ran, broken = workflow.deep_copy(config), {}, {}
  for _, rule in ipairs(rules) do
    if failed[rule.id] and rule.fix then
      local attempt = workflow.deep_copy(fixed)
      local ok, replaced = pcall(rule.fix, attempt, context or {})
      if ok then
        fixed = type(replaced) == "table" and replaced or attempt
        ran[#ran + 1] = rule.id
      else
        broken[#broken + 1] = { id = rule.id, message = "the fix raised an error: " .. tostring(replaced) }
      end
    end
  end
  return fixed, ran, broken
end

-- What a policy file may use: pure functions only, no I/O, no loading of code.
local function sandbox()
  local env = {
    assert = assert, error = error, ipairs = ipairs, next = next, pairs = pairs,
    select = select, tonumber = tonumber, tostring = tostring, type = type,
    unpack = table.unpack or unpack,   -- luacheck: ignore (unpack in Lua 5.1)
    string = { byte = string.byte, char = string.char, find = string.find,
               format = string.format, gmatch = string.gmatch, gsub = string.gsub,
               len = string.len, lower = string.lower, match = string.match,
               rep = string.rep, reverse = string.reverse, sub = string.sub,
               upper = string.upper },
    table = { concat = table.concat, insert = table.insert, remove = table.remove,
              sort = table.sort },
    math = { abs = math.abs, ceil = math.ceil, floor = math.floor, max = math.max,
             min = math.min, huge = math.huge },
    NULL = require("cognito_mfa.core").null,
  }
  env.baseline = function(params) return _M.baseline(params) end
  return env
end

--- Compiles Lua source text to run in env only (text, never binary chunks), on Lua 5.1/LuaJIT
-- and 5.2+ alike. Shared by policy files and the CLI's desired-state files.
-- @string text the source
-- @string name the file name, for messages
-- @tab env the only globals the chunk sees
-- @return the function, or nil and a message
function _M.compile(text, name, env)
  if text:sub(1, 1) == "\27" then
    return nil, name .. ": binary chunks are not accepted"
  end
  if setfenv then
    local chunk, err = loadstring(text, "@" .. name)
    if chunk then
      setfenv(chunk, env)
    end
    return chunk, err
  end
  return load(text, "@" .. name, "t", env)
end

--- Loads rules from a Lua file run in a restricted environment (no io, os, require, load).
-- The file returns a list of rules, or a table with a `rules` list.
-- @return rules, or nil and a message
function _M.load(path)
  if type(path) ~= "string" then
    error("policy.load: path must be a string, got " .. type(path), 2)
  end
  local f, ferr = open(path, "rb")
  if not f then
    return nil, "cannot read policy file: " .. tostring(ferr)
  end
  local text = f:read("*a")
  f:close()
  local chunk, cerr = _M.compile(text, path, sandbox())
  if not chunk then
    return nil, cerr
  end
  local ok, rules = pcall(chunk)
  if not ok then
    return nil, tostring(rules)
  end
  if type(rules) == "table" and rules.rules then
    rules = rules.rules
  end
  if type(rules) ~= "table" then
    return nil, path .. ": a policy file must return a list of rules"
  end
  for i, rule in ipairs(rules) do
    local problem = rule_problem(rule, path .. ": rule " .. i)
    if problem then
      return nil, problem
    end
  end
  return rules
end

local function section(config, name)
  local s = config[name]
  return type(s) == "table" and s or nil
end

--- The built-in baseline. Reasons for each rule are in the README.
-- @tab[opt] params { allow_optional = true (OPTIONAL passes the mfa-on rule),
--   sms_message = "..." (used by the sms-placeholder fix) }
-- @return a list of rules
function _M.baseline(params)
  params = params or {}
  return {
    {
      id = "mfa-on", severity = "high",
      description = params.allow_optional and "MFA is ON or OPTIONAL" or "MFA is ON",
      check = function(config)
        local mode = config.MfaConfiguration or "OFF"
        if mode == "ON" or (params.allow_optional and mode == "OPTIONAL") then
          return true
        end
        return false, "MfaConfiguration is " .. tostring(mode)
      end,
      fix = function(config)
        -- with allow_optional, OFF becomes OPTIONAL: users without a factor are not locked out
        config.MfaConfiguration = params.allow_optional and "OPTIONAL" or "ON"
        local f = workflow.factors(config)
        if not (f.sms or f.totp or f.email) then
          config.SoftwareTokenMfaConfiguration = { Enabled = true }
        end
      end,
    },
    {
      id = "non-sms-factor", severity = "high",
      description = "at least one factor other than SMS is enabled (SMS alone is open to SIM "
        .. "swapping; NIST SP 800-63B treats SMS as restricted)",
      check = function(config)
        local f = workflow.factors(config)
        if f.totp or f.email then
          return true
        end
        if f.sms then
          return false, "SMS is the only MFA factor"
        end
        return false, "no MFA factor is enabled"
      end,
      fix = function(config)
        config.SoftwareTokenMfaConfiguration = { Enabled = true }
      end,
    },
    {
      id = "totp-enabled", severity = "medium",
      description = "TOTP (authenticator app) MFA is enabled",
      check = function(config)
        local t = section(config, "SoftwareTokenMfaConfiguration")
        if t and t.Enabled == true then
          return true
        end
        return false, "SoftwareTokenMfaConfiguration.Enabled is not true"
      end,
      fix = function(config)
        config.SoftwareTokenMfaConfiguration = { Enabled = true }
      end,
    },
    {
      id = "sms-placeholder", severity = "medium",
      description = "SMS messages contain the {####} code placeholder",
      check = function(config)
        local sms = section(config, "SmsMfaConfiguration")
        local msg = sms and sms.SmsAuthenticationMessage
        if type(msg) ~= "string" or msg:find("{####}", 1, true) then
          return true
        end
        return false, "SmsAuthenticationMessage has no {####} placeholder"
      end,
      fix = function(config)
        config.SmsMfaConfiguration.SmsAuthenticationMessage =
          params.sms_message or "Your verification code is {####}"
      end,
    },
    {
      id = "webauthn-user-verification", severity = "medium",
      description = "WebAuthn (passkeys) requires user verification when it is configured",
      check = function(config)
        local w = section(config, "WebAuthnConfiguration")
        if not w or w.UserVerification == "required" then
          return true
        end
        return false, "WebAuthnConfiguration.UserVerification is " .. tostring(w.UserVerification)
      end,
      fix = function(config)
        config.WebAuthnConfiguration.UserVerification = "required"
      end,
    },
    {
      id = "email-mfa-tier", severity = "high",
      description = "email MFA only on Essentials or Plus pools",
      needs_describe = function(config) return section(config, "EmailMfaConfiguration") ~= nil end,
      check = function(config, context)
        if not section(config, "EmailMfaConfiguration") then
          return true
        end
        local tier = context.tier
        if tier == nil or tier == "ESSENTIALS" or tier == "PLUS" then
          return true
        end
        return false, "email MFA is configured on a " .. tostring(tier) .. " pool"
      end,
      fix = function(config)
        config.EmailMfaConfiguration = require("cognito_mfa.core").null
      end,
    },
  }
end

--- Whether any rule needs the DescribeUserPool response for this configuration.
function _M.needs_describe(rules, config)
  for _, rule in ipairs(rules) do
    local n = rule.needs_describe
    if n == true or (type(n) == "function" and n(config)) then
      return true
    end
  end
  return false
end

return _M
