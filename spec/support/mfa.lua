-- Shared pieces of the workflow, policy and audit specs: MFA configurations, fault-server steps
-- shaped like Cognito's answers, and ways to see what a peer was sent.
local cognito_mfa = require "cognito_mfa"
local helpers = require "spec.helpers"
local sections = require "spec.support.sections"

local copy = sections.copy

local mfa = {}

mfa.copy = copy
mfa.SMS = sections.SMS
mfa.EMAIL = sections.EMAIL
mfa.WEBAUTHN = sections.WEBAUTHN
mfa.TARGET_PREFIX = "AWSCognitoIdentityProviderService."

--- An MFA configuration: mode plus the named factors ("sms", "totp", "email", "webauthn").
function mfa.config(mode, ...)
  local c = { MfaConfiguration = mode }
  for _, f in ipairs { ... } do
    if f == "sms" then
      c.SmsMfaConfiguration = copy(sections.SMS)
    elseif f == "totp" then
      c.SoftwareTokenMfaConfiguration = { Enabled = true }
    elseif f == "totp-off" then
      c.SoftwareTokenMfaConfiguration = { Enabled = false }
    elseif f == "email" then
      c.EmailMfaConfiguration = copy(sections.EMAIL)
    elseif f == "webauthn" then
      c.WebAuthnConfiguration = copy(sections.WEBAUTHN)
    else
      error("unknown factor " .. f)
    end
  end
  return c
end

--- SetUserPoolMfaConfig parameters for a pool and a configuration.
function mfa.params(pool_id, config)
  local p = copy(config)
  p.UserPoolId = pool_id
  return p
end

--- Fault-server steps.
function mfa.ok(value)
  return { status = 200, headers = { ["x-amzn-RequestId"] = "rid-ok" }, body = cognito_mfa.encode_json(value) }
end

function mfa.service_error(code, message)
  return {
    status = 400,
    headers = { ["x-amzn-RequestId"] = "rid-" .. code, ["X-Amzn-ErrorType"] = code .. ":" },
    body = cognito_mfa.encode_json { __type = code, message = message or code },
  }
end

function mfa.described(pool_id, tier)
  return mfa.ok { UserPool = { Id = pool_id, Name = "scripted", UserPoolTier = tier } }
end

--- The operations (without the target prefix) in a fault-server log, in order.
function mfa.operations(log)
  local ops = {}
  for i, r in ipairs(log) do
    local target = r.headers["X-Amz-Target"] or r.headers["x-amz-target"] or ""
    ops[i] = target:sub(#mfa.TARGET_PREFIX + 1)
  end
  return ops
end

--- The decoded bodies of the requests for one operation in a fault-server log.
function mfa.bodies(log, operation)
  local out = {}
  for i, op in ipairs(mfa.operations(log)) do
    if op == operation then
      out[#out + 1] = assert(cognito_mfa.decode_json(log[i].body))
    end
  end
  return out
end

--- The aws-rules server's request log: a list of operations (and their decoded bodies).
function mfa.rules_log(peer)
  local h = assert(io.popen(helpers.CLEAN_ENV .. "curl -s " .. peer.endpoint .. "/__requests"))
  local text = h:read("*a")
  h:close()
  local ops, bodies = {}, {}
  for i, r in ipairs(assert(cognito_mfa.decode_json(text))) do
    ops[i] = r.target:sub(#mfa.TARGET_PREFIX + 1)
    bodies[i] = r.body
  end
  return ops, bodies
end

function mfa.rules_reset(peer)
  local h = assert(io.popen(helpers.CLEAN_ENV .. "curl -s -X POST " .. peer.endpoint .. "/__reset"))
  h:read("*a")
  h:close()
end

--- How many times an operation occurs in a list of operations.
function mfa.count(ops, operation)
  local n = 0
  for _, op in ipairs(ops) do
    if op == operation then n = n + 1 end
  end
  return n
end

--- A pool's configuration as the peer returns it now, normalized (empty sections removed).
function mfa.read(client, pool_id)
  local out = assert(client:get_user_pool_mfa_config { UserPoolId = pool_id })
  return require("cognito_mfa.workflow").normalize(out)
end

--- The changes of a modify result as "path: old -> new" strings, for readable assertions.
function mfa.change_list(changes)
  local out = {}
  for i, c in ipairs(changes) do
    out[i] = ("%s: %s -> %s"):format(c.path, tostring(c.old), tostring(c.new))
  end
  return out
end

--- Checks the changes of a switch to OFF: the mode, and the removal of every setting in the
-- dropped factor sections (what is in effect after a replace: nothing of them is sent).
function mfa.assert_off_changes(result, old_mode)
  local mode_seen = false
  for _, c in ipairs(result.changes) do
    if c.path == "MfaConfiguration" then
      assert(c.old == old_mode and c.new == "OFF", "mode change " .. tostring(c.old) .. " -> " .. tostring(c.new))
      mode_seen = true
    else
      local section = c.path:match("^[^.]+")
      local listed = false
      for _, d in ipairs(result.dropped) do listed = listed or d == section end
      assert(listed and c.new == nil, "unexpected change " .. c.path)
    end
  end
  assert(mode_seen, "no MfaConfiguration change")
end

return mfa
