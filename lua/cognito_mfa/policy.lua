--- Policies over MFA configurations: rules written in Lua, a built-in baseline, and a loader
-- that runs rule files in a restricted environment.
--
-- A rule is { id, severity, description, check = function(config, context) -> ok, message,
-- fix = optional function(config, context) }. `config` is a pool's MFA configuration as
-- GetUserPoolMfaConfig returns it; `context` carries what else is known about the pool (id, name,
-- tier, the DescribeUserPool response as `pool`) and the caller's parameters.
--
-- Every call into a rule (`check`, `fix`, a `needs_describe` function, and the top level of a
-- rule file) runs under a budget: instructions, memory and wall-clock time (see BUDGET). A rule
-- that exhausts one becomes a failed finding "rule exceeded its budget (instructions|memory|
-- time)". The budget is enforced by core.guarded_call (bindings/lua/guard.c): a count hook for
-- instructions and time, and a wrapped allocator that refuses any allocation beyond the memory
-- budget before it happens. On LuaJIT, whose compiled traces do not call hooks, the JIT is
-- turned off for the functions that run guarded (jit.off(f, true), which also covers the
-- functions defined inside f: all of a rule file).
--
-- During a guarded call the shared string metatable's __index is SAFE_STRING, so methods on
-- strings ("x"):rep(n) reach the same bounded functions as the sandbox's `string` table, and
-- never string.dump.
-- @module cognito_mfa.policy

local core = require "cognito_mfa.core"
local mfa = require "cognito_mfa.mfa"
local workflow = require "cognito_mfa.workflow"

local error = error
local ipairs = ipairs
local load = load
local loadstring = loadstring   -- luacheck: ignore (Lua 5.1 / LuaJIT)
local huge = math.huge
local next = next
local open = io.open
local pairs = pairs
local pcall = pcall
local setfenv = setfenv         -- luacheck: ignore (Lua 5.1 / LuaJIT)
local setmetatable = setmetatable
local tostring = tostring
local type = type
local guarded_call = core.guarded_call

local has_jit, jit = pcall(require, "jit")
local jit_off = has_jit and type(jit) == "table" and jit.off or nil

local _M = {}

--- The default budget of one call into a rule: `instructions` (Lua VM instructions),
-- `memory_kb` (growth of the Lua state's memory, in KiB) and `seconds` (wall clock). A rule
-- that loops without end is stopped by the instruction or the time budget (about 0.03-0.1 s
-- for 10 million instructions), one that allocates without end by the memory budget.
_M.BUDGET = { instructions = 10000000, memory_kb = 16384, seconds = 0.5 }

-- Lua patterns backtrack: with k unbounded repetitions (*, + or - after a single-character
-- class) matching can take about (n + 1)^k steps per start position on an n-byte subject, all
-- inside one C call where no hook runs (".-.-.-.-b" on 3000 bytes would not finish). Pattern
-- functions called by rules refuse, as a time budget, a pattern whose bound passes this.
local PATTERN_STEPS = 1e8
local str_byte, str_find, str_gmatch, str_gsub, str_match =
  string.byte, string.find, string.gmatch, string.gsub, string.match
local guard_exhaust = core.guard_exhaust
local PCT, OPEN, CLOSE, BRACKET, CARET, CLOSE_BRACKET = 37, 40, 41, 91, 94, 93
local REPEATS = { [42] = true, [43] = true, [45] = true }   -- * + -

-- The number of unbounded repetitions in a pattern.
local function repetitions(p)
  local k, i, n, item = 0, 1, #p, false
  while i <= n do
    local c = str_byte(p, i)
    if item and REPEATS[c] then
      k, item, i = k + 1, false, i + 1
    elseif c == PCT then
      -- %b takes two characters, %f a set; others are one class
      local d = str_byte(p, i + 1)
      if d == 98 then i, item = i + 4, false
      elseif d == 102 then i, item = i + 2, false
      else i, item = i + 2, true end
    elseif c == BRACKET then
      i = i + 1
      if str_byte(p, i) == CARET then i = i + 1 end
      if str_byte(p, i) == CLOSE_BRACKET then i = i + 1 end
      while i <= n and str_byte(p, i) ~= CLOSE_BRACKET do
        i = i + (str_byte(p, i) == PCT and 2 or 1)
      end
      i, item = i + 1, true
    elseif c == OPEN or c == CLOSE or (c == CARET and i == 1) then
      i, item = i + 1, false
    else
      i, item = i + 1, true
    end
  end
  return k
end

-- (gmatch has no anchor: a leading ^ is not one there)
local function check_pattern(s, p, plain, unanchored)
  if plain or type(s) ~= "string" or type(p) ~= "string" then
    return
  end
  local k = repetitions(p)
  if k > 0 then
    local starts = (str_byte(p, 1) == CARET and not unanchored) and 1 or #s + 1
    if starts * (#s + 1) ^ k > PATTERN_STEPS then
      guard_exhaust("time")
    end
  end
end

-- What string methods reach while a rule runs (the string metatable's __index), and what the
-- sandbox's `string` table is a copy of: pure functions, string.rep bounded by the memory
-- budget, pattern functions bounded as above.
local SAFE_STRING = {
  byte = string.byte, char = string.char, format = string.format, len = string.len,
  lower = string.lower, rep = core.guarded_rep, reverse = string.reverse, sub = string.sub,
  upper = string.upper,
  find = function(s, p, init, plain)
    check_pattern(s, p, plain)
    return str_find(s, p, init, plain)
  end,
  match = function(s, p, init)
    check_pattern(s, p)
    return str_match(s, p, init)
  end,
  gmatch = function(s, p, init)
    check_pattern(s, p, false, true)
    return str_gmatch(s, p, init)
  end,
  gsub = function(s, p, repl, n)
    check_pattern(s, p)
    return str_gsub(s, p, repl, n)
  end,
}

-- A budget table with every field, checked; `who` names the caller in messages.
local function budget_of(budget, who)
  if budget == nil then
    return _M.BUDGET
  end
  if type(budget) ~= "table" then
    error(who .. ": budget must be a table, got " .. type(budget), 3)
  end
  local b = {}
  for k, v in pairs(budget) do
    if _M.BUDGET[k] == nil then
      error(who .. ": unknown budget field " .. tostring(k)
        .. " (instructions, memory_kb, seconds)", 3)
    end
    if type(v) ~= "number" or v ~= v or v <= 0 or v == huge then
      error(who .. ": budget." .. k .. " must be a positive number", 3)
    end
    b[k] = v
  end
  for k, v in pairs(_M.BUDGET) do
    if b[k] == nil then b[k] = v end
  end
  return b
end

-- Functions already excluded from JIT compilation (LuaJIT).
local jit_excluded = setmetatable({}, { __mode = "k" })

--- Calls fn(...) under a budget, like pcall.
-- @tab[opt] budget { instructions, memory_kb, seconds } (defaults: BUDGET)
-- @func fn the function
-- @return true and fn's results; or false, the error, and the exhausted budget's name
--   ("instructions", "memory" or "time") when that is why it stopped
function _M.call(budget, fn, ...)
  budget = budget_of(budget, "policy.call")
  if jit_off and not jit_excluded[fn] then
    jit_off(fn, true)
    jit_excluded[fn] = true
  end
  return guarded_call(budget, SAFE_STRING, fn, ...)
end
local call = _M.call

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
  if rule.fix_description ~= nil and type(rule.fix_description) ~= "string" then
    return where .. ": rule " .. rule.id .. ": fix_description must be a string"
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
-- @tab[opt] budget of each check: { instructions, memory_kb, seconds } (defaults: BUDGET)
-- @return findings (the rules that failed: { id, severity, description, message, fixable,
--   fix_description (the rule's, when it has one),
--   exhausted = "instructions" | "memory" | "time" when the check ran out of budget }),
--   and results (every rule: { id, passed, message })
-- @raise when a rule is malformed
function _M.evaluate(config, rules, context, budget)
  if type(config) ~= "table" then
    error("policy.evaluate: config must be a table, got " .. type(config), 2)
  end
  if type(rules) ~= "table" then
    error("policy.evaluate: rules must be a list, got " .. type(rules), 2)
  end
  context = context or {}
  budget = budget_of(budget, "policy.evaluate")
  local findings, results = {}, {}
  for i, rule in ipairs(rules) do
    local problem = rule_problem(rule, "policy.evaluate: rule " .. i)
    if problem then
      error(problem, 2)
    end
    local ok, passed, message = call(budget, rule.check, workflow.deep_copy(config), context)
    local exhausted
    if not ok then
      exhausted = message
      passed, message = false, exhausted and tostring(passed)
        or "the check raised an error: " .. tostring(passed)
    end
    passed = passed and true or false
    results[#results + 1] = { id = rule.id, passed = passed, message = message }
    if not passed then
      findings[#findings + 1] = {
        id = rule.id, severity = rule.severity or "medium", description = rule.description,
        message = message or rule.description, fixable = rule.fix ~= nil, exhausted = exhausted,
        fix_description = rule.fix_description,
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
-- @tab[opt] budget of each fix, as for evaluate
-- @return the fixed configuration, the ids of the rules whose fix ran, and a list of
--   { id, message } for fixes that raised or ran out of budget
function _M.fix(config, rules, findings, context, budget)
  if type(config) ~= "table" or type(rules) ~= "table" or type(findings) ~= "table" then
    error("policy.fix: config, rules and findings must be tables", 2)
  end
  budget = budget_of(budget, "policy.fix")
  local failed = {}
  for _, f in ipairs(findings) do failed[f.id] = true end
  local fixed, ran, broken = workflow.deep_copy(config), {}, {}
  for _, rule in ipairs(rules) do
    if failed[rule.id] and rule.fix then
      local attempt = workflow.deep_copy(fixed)
      local ok, replaced, exhausted = call(budget, rule.fix, attempt, context or {})
      if ok then
        fixed = type(replaced) == "table" and replaced or attempt
        ran[#ran + 1] = rule.id
      else
        broken[#broken + 1] = { id = rule.id, exhausted = exhausted, message = exhausted
          and tostring(replaced) or "the fix raised an error: " .. tostring(replaced) }
      end
    end
  end
  return fixed, ran, broken
end

-- What a policy file may use: pure functions only, no I/O, no loading of code.
local function sandbox()
  local strings = {}
  for k, v in next, SAFE_STRING do strings[k] = v end
  local env = {
    assert = assert, error = error, ipairs = ipairs, next = next, pairs = pairs,
    select = select, tonumber = tonumber, tostring = tostring, type = type,
    unpack = table.unpack or unpack,   -- luacheck: ignore (unpack in Lua 5.1)
    string = strings,
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
  local chunk, err
  if setfenv then
    chunk, err = loadstring(text, "@" .. name)
    if chunk then
      setfenv(chunk, env)
    end
  else
    chunk, err = load(text, "@" .. name, "t", env)
  end
  if chunk and jit_off then
    -- LuaJIT: compiled traces do not call the budget's hook; this covers every function the
    -- file defines (its rules' check and fix)
    jit_off(chunk, true)
    jit_excluded[chunk] = true
  end
  return chunk, err
end

--- Loads rules from a Lua file run in a restricted environment (no io, os, require, load),
-- under a budget like a rule's.
-- The file returns a list of rules, or a table with a `rules` list.
-- @string path the file
-- @tab[opt] budget for running the file's top level, as for evaluate
-- @return rules, or nil and a message
function _M.load(path, budget)
  if type(path) ~= "string" then
    error("policy.load: path must be a string, got " .. type(path), 2)
  end
  budget = budget_of(budget, "policy.load")
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
  local ok, rules, exhausted = call(budget, chunk)
  if not ok then
    return nil, exhausted and (path .. ": " .. tostring(rules)) or tostring(rules)
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
      fix_description = params.allow_optional
        and "set MfaConfiguration to OPTIONAL, enabling TOTP when no factor is enabled"
        or "set MfaConfiguration to ON, enabling TOTP when no factor is enabled",
      fix = function(config)
        -- with allow_optional, OFF becomes OPTIONAL: users without a factor are not locked out
        config.MfaConfiguration = params.allow_optional and "OPTIONAL" or "ON"
        if not mfa.has_factor(config) then
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
      fix_description = "enable TOTP (SoftwareTokenMfaConfiguration.Enabled = true)",
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
      fix_description = "enable TOTP (SoftwareTokenMfaConfiguration.Enabled = true)",
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
      fix_description = "set SmsAuthenticationMessage to a message with {####}",
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
      fix_description = "set WebAuthnConfiguration.UserVerification to required",
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
        if mfa.tier_allows(tier, "EmailMfaConfiguration") then
          return true
        end
        return false, "email MFA is configured on a " .. tostring(tier) .. " pool"
      end,
      fix_description = "clear EmailMfaConfiguration (or move the pool to Essentials or Plus)",
      fix = function(config)
        config.EmailMfaConfiguration = require("cognito_mfa.core").null
      end,
    },
  }
end

--- Whether any rule needs the DescribeUserPool response for this configuration. A
-- needs_describe function runs under the budget; one that raises or runs out counts as false.
-- @tab[opt] budget as for evaluate
function _M.needs_describe(rules, config, budget)
  budget = budget_of(budget, "policy.needs_describe")
  for _, rule in ipairs(rules) do
    local n = rule.needs_describe
    if n == true then
      return true
    end
    if type(n) == "function" then
      local ok, yes = call(budget, n, workflow.deep_copy(config))
      if ok and yes then
        return true
      end
    end
  end
  return false
end

return _M
