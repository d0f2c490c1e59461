-- Validation against the model, before any I/O. The cases are derived from cognito_mfa.model():
-- for every member of the inputs of GetUserPoolMfaConfig, SetUserPoolMfaConfig, ListUserPools
-- and DescribeUserPool (nested sections included) one bad input per constraint (required, type,
-- min/max length, pattern, enum, unknown member, integer min/max) and a matching valid input.
-- Each bad input must fail with kind "validation" and a violation naming its path and rule,
-- and must send nothing: the client talks to the scripted fault server, whose request log
-- has to stay empty. Each valid input must reach that server with exactly the body given.
local cognito_mfa = require "cognito_mfa"
local helpers = require "spec.helpers"

local model = cognito_mfa.model()
local shapes = model.shapes

local OPERATIONS = {
  { "GetUserPoolMfaConfig", "get_user_pool_mfa_config" },
  { "SetUserPoolMfaConfig", "set_user_pool_mfa_config" },
  { "ListUserPools", "list_user_pools" },
  { "DescribeUserPool", "describe_user_pool" },
}

-- Valid values for string shapes that have a pattern (or need a realistic value), and values of
-- an allowed length that break the pattern. A pattern shape missing here fails the spec, so a
-- constraint added to the model cannot go untested.
local SAMPLES = {
  UserPoolIdType = "us-east-1_Ab12Cd34",
  SmsVerificationMessageType = "Your code is {####}",
  OptionalArnType = "arn:aws:iam::123456789012:role/service-role/sms",
  ArnType = "arn:aws:iam::123456789012:role/eums-sms",
  EmailMfaMessageType = "Your sign-in code is {####}",
  EmailMfaSubjectType = "Your sign-in code",
  PaginationKeyType = "eyJuZXh0IjogMX0=",
  RegionCodeType = "us-east-1",
  RelyingPartyIdType = "auth.example.com",
}
local BREAKS_PATTERN = {
  UserPoolIdType = { "us-east-1-Ab12Cd34", " us-east-1_Ab12" },
  SmsVerificationMessageType = { "Your code is 1234" },
  OptionalArnType = { "role/service-role/sms" },
  ArnType = { "this is not an ARN at all" },
  EmailMfaMessageType = { "Your sign-in code has no placeholder" },
  EmailMfaSubjectType = { "Sign-in\1code" },
  PaginationKeyType = { "two words" },
}

local REMOVE = {} -- marks a member to leave out

local function copy(v)
  if type(v) ~= "table" then
    return v
  end
  local t = {}
  for k, x in pairs(v) do
    t[k] = copy(x)
  end
  return setmetatable(t, getmetatable(v))
end

local function sample(shape)
  if SAMPLES[shape.name] then
    return SAMPLES[shape.name]
  end
  if shape.enum then
    return shape.enum[1]
  end
  assert(not shape.pattern, "validation_spec: add a sample for pattern shape " .. shape.name)
  return ("a"):rep(math.max(shape.min or 1, 1))
end

-- The sample stretched to n characters; "a" keeps every pattern above satisfied.
local function padded(shape, n)
  local s = sample(shape)
  if n < #s then
    return ("a"):rep(n)
  end
  return s .. ("a"):rep(n - #s)
end

local valid_value
local function minimal(shape)
  local t = {}
  for _, m in ipairs(shape.members) do
    if m.required then
      t[m.name] = valid_value(shapes[m.shape])
    end
  end
  return t
end

function valid_value(shape)
  if shape.type == "structure" then
    return minimal(shape)
  elseif shape.type == "string" then
    return sample(shape)
  elseif shape.type == "integer" or shape.type == "long" then
    return shape.min or 1
  elseif shape.type == "boolean" then
    return true
  end
  error("validation_spec: no valid value for " .. shape.name .. " (" .. shape.type .. ")")
end

-- The operation's minimal valid input with value placed at trail (a list of member names;
-- parents are created minimal and valid).
local function place(operation, trail, value)
  local shape = shapes[model.operations[operation].input]
  local root = minimal(shape)
  local cur = root
  for i, name in ipairs(trail) do
    local mshape
    for _, m in ipairs(shape.members or {}) do
      if m.name == name then
        mshape = shapes[m.shape]
      end
    end
    if i == #trail then
      if value == REMOVE then
        cur[name] = nil
      else
        cur[name] = copy(value)
      end
    else
      if cur[name] == nil then
        cur[name] = minimal(mshape)
      end
      cur, shape = cur[name], mshape
    end
  end
  return root
end

local function extend(trail, name)
  local t = {}
  for i, n in ipairs(trail) do
    t[i] = n
  end
  t[#t + 1] = name
  return t
end

local bad_cases, good_cases = {}, {}

local function bad(operation, trail, value, rule, what)
  bad_cases[#bad_cases + 1] = {
    operation = operation, params = place(operation, trail, value), path = table.concat(trail, "."),
    rule = rule, what = what,
  }
end

local function good(operation, trail, value, what)
  good_cases[#good_cases + 1] = {
    operation = operation, params = place(operation, trail, value), what = what,
  }
end

local function walk(operation, shape, trail)
  bad(operation, extend(trail, "Bogus"), 1, "unknown", "an unknown member")
  if #trail == 0 then
    -- a member name in the wrong case is a typo, not the member
    bad(operation, { "userPoolId" }, "x", "unknown", "a member name in the wrong case")
  end
  for _, m in ipairs(shape.members) do
    local ms = shapes[m.shape]
    local mt = extend(trail, m.name)
    local name = table.concat(mt, ".")
    if m.required then
      bad(operation, mt, REMOVE, "required", name .. " left out")
      bad(operation, mt, cognito_mfa.NULL, "required", name .. " set to cognito_mfa.NULL")
    end
    good(operation, mt, valid_value(ms), name .. " with a valid value")
    if ms.type == "structure" then
      bad(operation, mt, "text", "type", name .. " given a string")
      bad(operation, mt, 7, "type", name .. " given a number")
      if next(minimal(ms)) == nil then
        good(operation, mt, {}, name .. " empty (stays a JSON object)")
      end
      walk(operation, ms, mt)
    elseif ms.type == "string" then
      bad(operation, mt, 42, "type", name .. " given a number")
      bad(operation, mt, true, "type", name .. " given a boolean")
      bad(operation, mt, { "list" }, "type", name .. " given a list")
      if ms.enum then
        bad(operation, mt, "NOT_A_VALUE", "enum", name .. " outside the enum")
        local first = ms.enum[1]
        local other_case = first:lower() == first and first:upper() or first:lower()
        bad(operation, mt, other_case, "enum", name .. " in the wrong case")
        for _, e in ipairs(ms.enum) do
          good(operation, mt, e, name .. " = " .. e)
        end
      end
      if ms.min and ms.min > 0 then
        bad(operation, mt, ("a"):rep(ms.min - 1), "min_length", name .. " one character too short")
        good(operation, mt, padded(ms, math.max(ms.min, #sample(ms))), name .. " at its shortest")
      end
      if ms.max then
        bad(operation, mt, padded(ms, ms.max + 1), "max_length", name .. " one character too long")
        good(operation, mt, padded(ms, ms.max), name .. " at its longest")
      end
      if ms.pattern then
        local breaks = BREAKS_PATTERN[ms.name]
        assert(breaks, "validation_spec: add a pattern-breaking value for " .. ms.name)
        for _, v in ipairs(breaks) do
          bad(operation, mt, v, "pattern", name .. (" = %q breaks the pattern"):format(v))
        end
      end
    elseif ms.type == "integer" or ms.type == "long" then
      bad(operation, mt, "10", "type", name .. " given a string")
      bad(operation, mt, 1.5, "type", name .. " given a fraction")
      if ms.min then
        bad(operation, mt, ms.min - 1, "min", name .. " below its minimum")
        good(operation, mt, ms.min, name .. " at its minimum")
      end
      if ms.max then
        bad(operation, mt, ms.max + 1, "max", name .. " above its maximum")
        good(operation, mt, ms.max, name .. " at its maximum")
      end
    elseif ms.type == "boolean" then
      bad(operation, mt, "true", "type", name .. " given a string")
      bad(operation, mt, 1, "type", name .. " given a number")
      good(operation, mt, false, name .. " = false")
    else
      error("validation_spec: no cases for " .. ms.type .. " member " .. name)
    end
  end
end

for _, op in ipairs(OPERATIONS) do
  walk(op[1], shapes[model.operations[op[1]].input], {})
end

-- Lengths count Unicode code points, not bytes; invalid UTF-8 is refused.
local E = "\195\169" -- é, two bytes
good("SetUserPoolMfaConfig", { "SmsMfaConfiguration", "SmsAuthenticationMessage" },
     "{####}" .. E:rep(134), "SmsAuthenticationMessage of 140 characters in 274 bytes")
bad("SetUserPoolMfaConfig", { "SmsMfaConfiguration", "SmsAuthenticationMessage" },
    "{####}" .. E:rep(135), "max_length", "SmsAuthenticationMessage of 141 two-byte characters")
bad("SetUserPoolMfaConfig", { "EmailMfaConfiguration", "Subject" }, "code \255\254", "utf8",
    "Subject that is not UTF-8")

local METHOD = {}
for _, op in ipairs(OPERATIONS) do
  METHOD[op[1]] = op[2]
end

describe("validation", function()
  local peer, client

  setup(function()
    peer = helpers.start_peer("fault")
    client = helpers.client(peer, { max_attempts = 1 })
  end)

  teardown(function()
    if client then
      client:close()
    end
    if peer then
      peer.stop()
    end
  end)

  it("derives at least 40 distinct bad inputs from the model", function()
    local seen, distinct = {}, 0
    for _, c in ipairs(bad_cases) do
      local key = c.operation .. " " .. cognito_mfa.encode_json(c.params)
      if not seen[key] then
        seen[key] = true
        distinct = distinct + 1
      end
    end
    assert.is_true(distinct >= 40, "only " .. distinct .. " distinct bad inputs")
    local rules = {}
    for _, c in ipairs(bad_cases) do
      rules[c.rule] = true
    end
    for _, r in ipairs { "required", "type", "min_length", "max_length", "pattern", "enum", "unknown",
                         "min", "max", "utf8" } do
      assert.is_true(rules[r] or false, "no case for rule " .. r)
    end
  end)

  for i, c in ipairs(bad_cases) do
    it(("rejects %s (%s) before sending anything [%d]"):format(c.what, c.operation, i), function()
      helpers.script(peer, { { status = 200, body = "{}" } })
      -- cognito_mfa.validate: no I/O at all
      local ok, verr = cognito_mfa.validate(c.operation, c.params)
      assert.is_nil(ok)
      -- the client: the same verdict, and nothing reaches the recording endpoint
      local out, err = client[METHOD[c.operation]](client, c.params)
      assert.is_nil(out)
      for _, e in ipairs { verr, err } do
        assert.equal("validation", e.kind)
        assert.equal(0, e.attempts)
        assert.is_false(e.retryable)
        local found = false
        for _, v in ipairs(e.violations) do
          assert.equal(c.path, v.path, "a violation outside the changed member: " .. v.message)
          assert.is_string(v.message)
          assert.truthy(v.message:find(c.path, 1, true), v.message)
          if v.rule == c.rule then
            found = true
          end
        end
        assert.is_true(found, ("no %s violation at %s in: %s"):format(c.rule, c.path, tostring(e)))
      end
      assert.same({}, helpers.requests(peer))
    end)
  end

  for i, c in ipairs(good_cases) do
    it(("sends %s (%s) exactly as given [%d]"):format(c.what, c.operation, i), function()
      helpers.script(peer, { { status = 200, body = "{}" } })
      assert.is_true(cognito_mfa.validate(c.operation, c.params))
      local out, err = client[METHOD[c.operation]](client, c.params)
      assert.is_nil(err)
      assert.same({}, out)
      local log = helpers.requests(peer)
      assert.equal(1, #log)
      assert.equal("AWSCognitoIdentityProviderService." .. c.operation, log[1].headers["X-Amz-Target"])
      assert.same(c.params, assert(cognito_mfa.decode_json(log[1].body)))
    end)
  end
end)
