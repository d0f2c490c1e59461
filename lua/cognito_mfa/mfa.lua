--- What the MFA configuration API is made of, in one place: the sections of a configuration,
-- the MFA modes, the pool tiers, which sections are factors and which settings need which tier.
--
-- Everything the service model can say is read from it (cognito_mfa.core's model, the C core's
-- core/src/model.c): the sections are the optional members of SetUserPoolMfaConfigRequest, the
-- modes the enum of its MfaConfiguration member, the tiers the enum of
-- DescribeUserPool's UserPool.UserPoolTier. The few facts the model cannot say are written
-- here once, each with its source, and checked against the model when this module loads (a
-- name the model does not know raises), so workflow, policy, audit and the CLI ask this
-- module instead of keeping copies.
-- @module cognito_mfa.mfa

local core = require "cognito_mfa.core"

local error = error
local getmetatable = getmetatable
local ipairs = ipairs
local tostring = tostring
local type = type

local NULL = core.null

local _M = {}

local model = core.model()

--- The service model, as cognito_mfa.model() returns it (read-only by convention).
function _M.model()
  return model
end

local function shape(name)
  local s = model.shapes[name]
  if not s then
    error("cognito_mfa.mfa: the model has no shape " .. name, 2)
  end
  return s
end

local function member(shape_name, name)
  for _, m in ipairs(shape(shape_name).members or {}) do
    if m.name == name then
      return m
    end
  end
  error("cognito_mfa.mfa: the model's " .. shape_name .. " has no member " .. name, 2)
end

local function enum_of(shape_name)
  local s = shape(shape_name)
  local list, set = {}, {}
  for i, v in ipairs(s.enum or {}) do
    list[i], set[v] = v, true
  end
  return list, set
end

-- ------------------------------------------------------------- from the model

--- The operation whose input is an MFA configuration.
_M.SET_OPERATION = "SetUserPoolMfaConfig"
local set_input = model.operations[_M.SET_OPERATION].input

--- The member holding the MFA mode ("MfaConfiguration"): the optional member of the set
-- request whose shape is an enumeration.
_M.MODE = nil
--- The settings sections ({ member, shape }), in the model's order: the optional members of the
-- set request that are structures (SmsMfaConfiguration, SoftwareTokenMfaConfiguration,
-- EmailMfaConfiguration, WebAuthnConfiguration).
_M.SETTINGS = {}
for _, m in ipairs(shape(set_input).members) do
  local s = shape(m.shape)
  if not m.required then
    if s.type == "string" and s.enum then
      _M.MODE = m.name
      _M.MODE_SHAPE = m.shape
    elseif s.type == "structure" then
      _M.SETTINGS[#_M.SETTINGS + 1] = { member = m.name, shape = m.shape }
    end
  end
end
if not _M.MODE then
  error("cognito_mfa.mfa: the model's " .. set_input .. " has no enumerated mode member")
end

--- Every section of an MFA configuration, in the order they are shown: the mode first, then
-- the settings sections in the model's order.
_M.SECTIONS = { _M.MODE }
for _, s in ipairs(_M.SETTINGS) do
  _M.SECTIONS[#_M.SECTIONS + 1] = s.member
end

--- The MFA modes (the model's enum: OFF, ON, OPTIONAL) and a set of them.
local modes, mode_set = enum_of(_M.MODE_SHAPE)
_M.MODES, _M.MODE_SET = modes, mode_set

--- The pool tiers (the model's enum of UserPoolType.UserPoolTier: LITE, ESSENTIALS, PLUS) and
-- a set of them.
local tier_shape = member("UserPoolType", "UserPoolTier").shape
local tiers, tier_set = enum_of(tier_shape)
_M.TIERS, _M.TIER_SET = tiers, tier_set

-- ------------------------------------------------------------ written here once

-- Checked against the model as they are written: a section or value it does not know raises.
local function known_section(name)
  for _, s in ipairs(_M.SETTINGS) do
    if s.member == name then
      return name
    end
  end
  error("cognito_mfa.mfa: " .. name .. " is not a settings section of " .. set_input)
end
local function known_tier(name)
  if not tier_set[name] then
    error("cognito_mfa.mfa: " .. name .. " is not a tier of the model")
  end
  return name
end
local function known_mode(name)
  if not mode_set[name] then
    error("cognito_mfa.mfa: " .. name .. " is not an MFA mode of the model")
  end
  return name
end

--- The MFA factors: the sections that count as an enabled factor for ON and OPTIONAL, with
-- the key workflow.factors uses and a label. Source: the service's answer to ON/OPTIONAL with
-- only WebAuthn, "Invalid MFA Configuration given. SMS MFA, Email MFA, or Software Token MFA
-- must be enabled." (../shared/data/aws-contract.md 3.1): WebAuthn is not one.
_M.FACTORS = {
  { key = "sms", section = known_section("SmsMfaConfiguration"), label = "SMS" },
  { key = "totp", section = known_section("SoftwareTokenMfaConfiguration"),
    label = "TOTP (authenticator app)" },
  { key = "email", section = known_section("EmailMfaConfiguration"), label = "email" },
}
--- The factor sections' names, in order.
_M.FACTOR_SECTIONS = {}
local factor_by_section = {}
for i, f in ipairs(_M.FACTORS) do
  _M.FACTOR_SECTIONS[i] = f.section
  factor_by_section[f.section] = f
end

--- The mode in which factor sections cannot be sent ("can't turn off MFA and configure an MFA
-- together", aws-contract.md 3.2), and the modes that need an enabled factor (3.1).
_M.MODE_OFF = known_mode("OFF")
_M.MODES_NEEDING_FACTOR = { [known_mode("ON")] = true, [known_mode("OPTIONAL")] = true }

--- Settings that need a tier: email MFA ("your user pool must be in the Essentials tier or
-- higher", API reference EmailMfaConfigType, aws-contract.md 3.4) and WebAuthn's
-- FactorConfiguration (API reference WebAuthnConfigurationType, aws-contract.md 3.5). `path`
-- is the dotted path; `tiers` the tiers that allow it.
local ESSENTIALS_OR_HIGHER = { [known_tier("ESSENTIALS")] = true, [known_tier("PLUS")] = true }
_M.TIER_FEATURES = {
  { path = "EmailMfaConfiguration", section = known_section("EmailMfaConfiguration"),
    tiers = ESSENTIALS_OR_HIGHER, label = "email MFA" },
  { path = "WebAuthnConfiguration.FactorConfiguration",
    section = known_section("WebAuthnConfiguration"),
    member = member("WebAuthnConfigurationType", "FactorConfiguration").name,
    tiers = ESSENTIALS_OR_HIGHER, label = "WebAuthn FactorConfiguration" },
}
local feature_by_path = {}
for _, f in ipairs(_M.TIER_FEATURES) do
  feature_by_path[f.path] = f
end

--- The tier of a pool whose DescribeUserPool answer names none: "Defaults to ESSENTIALS"
-- (API reference, UserPoolTier); emulators that store no tier are taken at that word.
_M.DEFAULT_TIER = known_tier("ESSENTIALS")

-- ------------------------------------------------------------------ functions

local function is_object(v)
  return type(v) == "table" and getmetatable(v) ~= core.array_mt
end

--- Whether a section name is an MFA factor (SMS, TOTP, email; not WebAuthn).
function _M.is_factor(section)
  return factor_by_section[section] ~= nil
end

--- Which factors a configuration enables (the service's notion, aws-contract.md 3): SMS needs
-- a caller ARN (SnsCallerArn or EumsSms.CallerArn), TOTP Enabled = true, email a section.
-- @tab config an MFA configuration
-- @return { sms = bool, totp = bool, email = bool, webauthn = bool }
function _M.factors(config)
  local sms = config.SmsMfaConfiguration
  local smscfg = is_object(sms) and sms.SmsConfiguration or nil
  local caller = is_object(smscfg) and (
    (type(smscfg.SnsCallerArn) == "string" and smscfg.SnsCallerArn ~= "")
    or (is_object(smscfg.EumsSms) and type(smscfg.EumsSms.CallerArn) == "string"
        and smscfg.EumsSms.CallerArn ~= ""))
  local totp = config.SoftwareTokenMfaConfiguration
  return {
    sms = caller and true or false,
    totp = is_object(totp) and totp.Enabled == true,
    email = is_object(config.EmailMfaConfiguration),
    webauthn = is_object(config.WebAuthnConfiguration),
  }
end

--- Whether any MFA factor is enabled (what ON and OPTIONAL need).
function _M.has_factor(config)
  local f = _M.factors(config)
  for _, x in ipairs(_M.FACTORS) do
    if f[x.key] then
      return true
    end
  end
  return false
end

--- Whether a pool of this tier may have a setting that needs a tier.
-- @param tier a tier name; nil or cognito_mfa.NULL (not stated) counts as DEFAULT_TIER
-- @string path a TIER_FEATURES path ("EmailMfaConfiguration",
--   "WebAuthnConfiguration.FactorConfiguration")
-- @raise when path is not a TIER_FEATURES path
function _M.tier_allows(tier, path)
  local f = feature_by_path[path]
  if not f then
    error("mfa.tier_allows: " .. tostring(path) .. " is not a setting that needs a tier", 2)
  end
  if tier == nil or tier == NULL then
    tier = _M.DEFAULT_TIER
  end
  return f.tiers[tier] == true
end

--- The names of the tiers that allow a setting, in the model's order (for messages).
function _M.tiers_allowing(path)
  local out = {}
  for _, t in ipairs(tiers) do
    if _M.tier_allows(t, path) then out[#out + 1] = t end
  end
  return out
end

return _M
