--- Safe get -> modify -> set of a user pool's MFA configuration.
--
-- SetUserPoolMfaConfig replaces the whole configuration: a section left out is turned off.
-- `modify` reads the current configuration, applies a change to a copy, checks the service's
-- rules before anything is sent (preflight), sends the complete resulting configuration,
-- reads it back and compares. Concurrent modifications are retried a bounded number of times.
-- @module cognito_mfa.workflow

local core = require "cognito_mfa.core"
local mfa = require "cognito_mfa.mfa"

local concat = table.concat
local error = error
local getmetatable = getmetatable
local ipairs = ipairs
local next = next
local pairs = pairs
local setmetatable = setmetatable
local sort = table.sort
local tostring = tostring
local type = type

local NULL = core.null

local _M = {}

--- The sections of an MFA configuration, in the order they are shown (cognito_mfa.mfa.SECTIONS).
_M.SECTIONS = mfa.SECTIONS
local FACTOR_SECTIONS = mfa.FACTOR_SECTIONS

local function deep_copy(v)
  if type(v) ~= "table" then
    return v
  end
  local t = {}
  for k, x in pairs(v) do
    t[k] = deep_copy(x)
  end
  return setmetatable(t, getmetatable(v) == core.array_mt and core.array_mt or nil)
end
_M.deep_copy = deep_copy

-- A list: marked with array_mt, or a non-empty sequence 1..n with no other keys (what a Lua
-- desired file writes as { "a", "b" }).
local function is_list(v)
  if getmetatable(v) == core.array_mt then
    return true
  end
  local n, count = #v, 0
  if n == 0 then
    return false
  end
  for _ in pairs(v) do
    count = count + 1
  end
  return count == n
end

local function is_object(v)
  return type(v) == "table" and not is_list(v)
end

-- Merges patch into target (in place). NULL removes a member; tables merge recursively,
-- except arrays, which replace.
local function deep_merge(target, patch)
  for k, v in pairs(patch) do
    if v == NULL then
      target[k] = nil
    elseif is_object(v) and is_object(target[k]) then
      deep_merge(target[k], v)
    elseif is_object(v) then
      local fresh = {}
      deep_merge(fresh, v)
      target[k] = fresh
    else
      target[k] = deep_copy(v)
    end
  end
  return target
end
_M.deep_merge = deep_merge

-- Removes NULL markers and empty sections so a configuration compares and sends cleanly.
local function strip_nulls(t)
  for k, v in pairs(t) do
    if v == NULL then
      t[k] = nil
    elseif is_object(v) then
      strip_nulls(v)
    end
  end
  return t
end

--- The MFA configuration part of a GetUserPoolMfaConfig response (or any table): the five
-- sections only, with empty SMS sections (no message, no SmsConfiguration) removed, because
-- an empty section means "not configured" and emulators return one for pools without SMS.
function _M.normalize(config)
  local out = {}
  for _, s in ipairs(_M.SECTIONS) do
    if config[s] ~= nil and config[s] ~= NULL then
      out[s] = deep_copy(config[s])
    end
  end
  strip_nulls(out)
  if is_object(out.SmsMfaConfiguration) and next(out.SmsMfaConfiguration) == nil then
    out.SmsMfaConfiguration = nil
  end
  if is_object(out.SmsMfaConfiguration) and is_object(out.SmsMfaConfiguration.SmsConfiguration)
     and next(out.SmsMfaConfiguration.SmsConfiguration) == nil then
    out.SmsMfaConfiguration.SmsConfiguration = nil
    if next(out.SmsMfaConfiguration) == nil then
      out.SmsMfaConfiguration = nil
    end
  end
  return out
end

--- Which factors a configuration enables (cognito_mfa.mfa.factors).
-- @return table { sms = bool, totp = bool, email = bool, webauthn = bool }
_M.factors = mfa.factors

local function flatten(v, prefix, out)
  if is_object(v) and next(v) ~= nil then
    for k, x in pairs(v) do
      flatten(x, prefix == "" and k or (prefix .. "." .. k), out)
    end
  elseif prefix ~= "" then
    out[prefix] = v
  end
  return out
end

-- Deep equality that does not depend on key order (core.encode keeps insertion order).
local function same(a, b)
  if a == b then
    return true
  end
  if type(a) ~= "table" or type(b) ~= "table" or is_object(a) ~= is_object(b) then
    return false
  end
  for k, v in pairs(a) do
    if not same(v, b[k]) then
      return false
    end
  end
  for k in pairs(b) do
    if a[k] == nil then
      return false
    end
  end
  return true
end
_M.same = same

--- Differences between two configurations: a list of { path, old, new }, sorted by path.
function _M.diff(before, after)
  local a, b = flatten(before, "", {}), flatten(after, "", {})
  local changes = {}
  for path, old in pairs(a) do
    if not same(old, b[path]) then
      changes[#changes + 1] = { path = path, old = old, new = b[path] }
    end
  end
  for path, new in pairs(b) do
    if a[path] == nil then
      changes[#changes + 1] = { path = path, old = nil, new = new }
    end
  end
  sort(changes, function(x, y) return x.path < y.path end)
  return changes
end

--- The error object of a preflight refusal (kind "validation", code "PreflightRefused").
-- @tab violations a list of { path, rule, message }
function _M.refusal(violations)
  local parts = {}
  for i, v in ipairs(violations) do parts[i] = v.message end
  return core.error {
    kind = "validation", code = "PreflightRefused",
    message = "refused before sending: " .. concat(parts, "; "), violations = violations,
  }
end

local function touches(before, after, section, member)
  local a, b = before[section], after[section]
  if member then
    a = is_object(a) and a[member] or nil
    b = is_object(b) and b[member] or nil
  end
  return b ~= nil and not same(a, b)
end

-- The request that carries `after` (without UserPoolId): MfaConfiguration always given;
-- with OFF the factor sections are left out (AWS: "can't turn off MFA and configure an MFA
-- together"; WebAuthn may stay); a TOTP section that `before` had and `after` clears is sent
-- as { Enabled = false }, so that a server that merges instead of replacing turns it off too.
local function shape_request(after, before)
  local mode = after[mfa.MODE] or mfa.MODE_OFF
  local request = deep_copy(after)
  request[mfa.MODE] = mode
  local dropped = {}
  if mode == mfa.MODE_OFF then
    for _, s in ipairs(FACTOR_SECTIONS) do
      if request[s] ~= nil then
        dropped[#dropped + 1] = s
        request[s] = nil
      end
    end
  elseif request.SoftwareTokenMfaConfiguration == nil and before
      and is_object(before.SoftwareTokenMfaConfiguration) then
    request.SoftwareTokenMfaConfiguration = { Enabled = false }
  end
  return request, dropped
end

--- The preflight: the service's rules applied before anything is sent.
-- @tab after the configuration to send (normalized)
-- @tab before the current configuration
-- @tparam function describe called (at most once) when the tier matters; returns the
--   DescribeUserPool response or nil, err
-- @return request (the SetUserPoolMfaConfig parameters but UserPoolId), dropped (factor
--   settings left out because MFA is OFF); or nil, err
function _M.preflight(after, before, describe)
  before = before or {}
  local violations = {}
  local mode = after[mfa.MODE] or mfa.MODE_OFF
  local f = _M.factors(after)
  if mfa.MODES_NEEDING_FACTOR[mode] and not mfa.has_factor(after) then
    violations[#violations + 1] = {
      path = "MfaConfiguration", rule = "preflight",
      message = "MfaConfiguration " .. mode .. " needs an enabled factor: SMS with a caller ARN "
        .. "(SnsCallerArn or EumsSms), TOTP (SoftwareTokenMfaConfiguration.Enabled = true) or "
        .. "email (EmailMfaConfiguration); WebAuthn does not count",
    }
  end
  -- AWS validates an SMS section before the mode: without a caller ARN it is refused
  -- ("Invalid SMS MFA configuration given, external id and a valid caller arn are required").
  -- With OFF the section is not sent, so it does not matter there.
  if mode ~= mfa.MODE_OFF and is_object(after.SmsMfaConfiguration) and not f.sms then
    violations[#violations + 1] = {
      path = "SmsMfaConfiguration.SmsConfiguration", rule = "preflight",
      message = "SmsMfaConfiguration needs SmsConfiguration with SnsCallerArn or EumsSms.CallerArn "
        .. "(or clear the section with cognito_mfa.NULL)",
    }
  end
  if #violations > 0 then
    return nil, _M.refusal(violations)
  end
  -- Tier: email MFA (unless it is dropped because MFA goes OFF) and WebAuthn's
  -- FactorConfiguration need Essentials or higher; checked only when the change touches them.
  local needs_tier = {}
  for _, feature in ipairs(mfa.TIER_FEATURES) do
    -- a factor section is not sent when MFA goes OFF, so its tier does not matter then
    if not (mode == mfa.MODE_OFF and mfa.is_factor(feature.section))
        and touches(before, after, feature.section, feature.member) then
      needs_tier[#needs_tier + 1] = feature.path
    end
  end
  if #needs_tier > 0 then
    if not describe then
      error("preflight: a describe function is needed when the change touches the tier", 2)
    end
    local pool, err = describe()
    if not pool then
      return nil, err
    end
    local tier = pool.UserPool and pool.UserPool.UserPoolTier
    -- AWS: "Defaults to ESSENTIALS"; an emulator that stores no tier is taken at that word.
    for _, path in ipairs(needs_tier) do
      if not mfa.tier_allows(tier, path) then
        violations[#violations + 1] = {
          path = path, rule = "preflight",
          message = path .. " needs the Essentials tier or higher; this pool is " .. tostring(tier),
        }
      end
    end
  end
  if #violations > 0 then
    return nil, _M.refusal(violations)
  end
  return shape_request(after, before)
end

local function apply_change(config, change)
  local work = deep_copy(config)
  if type(change) == "function" then
    local replaced = change(work)
    if replaced ~= nil then
      if type(replaced) ~= "table" then
        error("modify: the change function must edit its argument or return a table", 3)
      end
      work = replaced
    end
  else
    deep_merge(work, change)
  end
  return _M.normalize(work)
end

-- What a read-back is compared on: TOTP { Enabled = false } is the same as no TOTP section
-- (servers differ in which they return), and the sections dropped because MFA went OFF are
-- not compared (a replacing server forgets them, a merging one keeps them; both are OFF).
local function comparable(config, dropped)
  local out = deep_copy(config)
  out.UserPoolId = nil
  local totp = out.SoftwareTokenMfaConfiguration
  if is_object(totp) and totp.Enabled ~= true and next(totp, next(totp)) == nil then
    out.SoftwareTokenMfaConfiguration = nil
  end
  for _, s in ipairs(dropped) do
    out[s] = nil
  end
  return out
end

local function is_conflict(err)
  return type(err) == "table" and err.code == "ConcurrentModificationException"
end

--- Changes a pool's MFA configuration safely.
-- @param client a cognito_mfa client
-- @string user_pool_id the pool
-- @param change a function(config) that edits a copy of the current configuration (or returns
--   a new one), or a partial table deep-merged into it; cognito_mfa.NULL clears a member or
--   section on purpose
-- @tab[opt] opts dry_run (send nothing), max_conflict_retries (default 3), verify (default true)
-- @return { user_pool_id, before, after (the configuration that will be in effect: what is
--   sent), requested (what the change asked for), changes (before versus after: a list of
--   { path, old, new }), applied, unchanged (true when nothing needed sending, so nothing was
--   sent), verified, dropped (factor sections not sent because MFA goes OFF), request (what was or
--   would be sent), readback, mismatches (request versus read-back, without the dropped
--   sections), conflicts (ConcurrentModificationExceptions retried) }, or nil and an error
--   object: a refusal (kind "validation", code "PreflightRefused", violations) or a model
--   violation with nothing sent, or the service's error
-- @raise when change is neither a table nor a function
-- @usage local result = assert(client:modify_user_pool_mfa_config(id, { MfaConfiguration = "ON" }))
function _M.modify(client, user_pool_id, change, opts)
  if type(user_pool_id) ~= "string" then
    error("modify_user_pool_mfa_config: user_pool_id must be a string, got " .. type(user_pool_id), 2)
  end
  if type(change) ~= "table" and type(change) ~= "function" then
    error("modify_user_pool_mfa_config: change must be a table or a function, got " .. type(change), 2)
  end
  opts = opts or {}
  local max_conflicts = opts.max_conflict_retries or 3
  local conflicts = 0
  local described
  -- errors name the call that failed (err.operation), for messages such as the CLI's
  local function failed(err, operation)
    if type(err) == "table" and err.operation == nil then
      err.operation = operation
    end
    return nil, err
  end
  local function describe()
    if described == nil then
      local out, err = client:describe_user_pool { UserPoolId = user_pool_id }
      if not out then return failed(err, "DescribeUserPool") end
      described = out
    end
    return described
  end

  while true do
    local current, err = client:get_user_pool_mfa_config { UserPoolId = user_pool_id }
    if not current then
      return failed(err, "GetUserPoolMfaConfig")
    end
    local before = _M.normalize(current)
    local after = apply_change(before, change)
    -- the model first (no I/O), then the service's rules (which may read the tier)
    local shaped = shape_request(after, before)
    shaped.UserPoolId = user_pool_id
    local ok, verr = core.validate("SetUserPoolMfaConfig", shaped)
    if not ok then
      return nil, verr
    end
    local request, dropped = _M.preflight(after, before, describe)
    if not request then
      return nil, dropped
    end
    request.UserPoolId = user_pool_id
    -- `after` and `changes` describe what will be in effect: what is sent, not what was asked
    -- for (settings dropped because MFA is OFF are listed in `dropped`, and are in `requested`)
    local effective = _M.normalize(request)
    local result = {
      user_pool_id = user_pool_id, before = before, after = effective, requested = after,
      changes = _M.diff(before, effective), dropped = dropped, request = request,
      applied = false, conflicts = conflicts,
    }
    if opts.dry_run then
      return result
    end
    if #result.changes == 0 then
      result.unchanged = true      -- already as wanted: nothing is sent
      return result
    end
    local sent, serr = client:set_user_pool_mfa_config(request)
    if not sent then
      if is_conflict(serr) and conflicts < max_conflicts then
        conflicts = conflicts + 1
      else
        return failed(serr, "SetUserPoolMfaConfig")
      end
    else
      result.applied = true
      result.conflicts = conflicts
      if opts.verify == false then
        return result
      end
      local back, berr = client:get_user_pool_mfa_config { UserPoolId = user_pool_id }
      if not back then
        result.verified = false
        result.verify_error = berr
        return result
      end
      result.readback = _M.normalize(back)
      result.mismatches = _M.diff(comparable(request, dropped), comparable(result.readback, dropped))
      result.verified = #result.mismatches == 0
      return result
    end
  end
end

return _M
