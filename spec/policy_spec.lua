-- Policies: evaluate, fix, the built-in baseline (each rule with a passing and a failing
-- configuration, and each fix making the failing one pass), and rule files loaded in a
-- restricted environment (spec/fixtures/policies/).
local cognito_mfa = require "cognito_mfa"
local mfa = require "spec.support.mfa"

local NULL = cognito_mfa.NULL
local FIXTURES = "spec/fixtures/policies/"

describe("cognito_mfa.policy", function()
  local policy

  before_each(function()
    package.loaded["cognito_mfa.policy"] = nil
    policy = require "cognito_mfa.policy"
  end)

  local function rule(id, params)
    for _, r in ipairs(policy.baseline(params)) do
      if r.id == id then
        return r
      end
    end
    error("no baseline rule " .. id)
  end

  local function passes(id, config, params, context)
    local findings = policy.evaluate(config, { rule(id, params) }, context)
    return #findings == 0, findings[1]
  end

  describe("baseline", function()
    it("has the six rules, each with a severity, a description and a fix", function()
      local ids = {}
      for i, r in ipairs(policy.baseline()) do
        ids[i] = r.id
        assert.is_string(r.description)
        assert.truthy(({ low = 1, medium = 1, high = 1, critical = 1 })[r.severity], r.id)
        assert.is_function(r.fix, r.id)
      end
      assert.same({ "mfa-on", "non-sms-factor", "totp-enabled", "sms-placeholder",
                    "webauthn-user-verification", "email-mfa-tier" }, ids)
    end)

    -- { rule, params, context, passing configurations, failing configuration, message }
    local cases = {
      { "mfa-on", nil, nil, { mfa.config("ON", "totp") }, mfa.config("OFF"), "MfaConfiguration is OFF" },
      { "mfa-on", nil, nil, { mfa.config("ON", "sms") }, mfa.config("OPTIONAL", "totp"),
        "MfaConfiguration is OPTIONAL" },
      { "mfa-on", { allow_optional = true }, nil,
        { mfa.config("OPTIONAL", "totp"), mfa.config("ON", "totp") }, mfa.config("OFF", "totp"),
        "MfaConfiguration is OFF" },
      { "mfa-on", nil, nil, { mfa.config("ON", "email") }, {}, "MfaConfiguration is OFF" },
      { "non-sms-factor", nil, nil,
        { mfa.config("ON", "sms", "totp"), mfa.config("ON", "email"), mfa.config("ON", "totp") },
        mfa.config("ON", "sms"), "SMS is the only MFA factor" },
      { "non-sms-factor", nil, nil, { mfa.config("ON", "totp", "webauthn") },
        mfa.config("ON", "totp-off", "webauthn"), "no MFA factor is enabled" },
      { "totp-enabled", nil, nil, { mfa.config("ON", "totp"), mfa.config("OFF", "totp") },
        mfa.config("ON", "sms", "totp-off"), "SoftwareTokenMfaConfiguration.Enabled is not true" },
      { "totp-enabled", nil, nil, { mfa.config("ON", "sms", "totp") }, mfa.config("ON", "sms"),
        "SoftwareTokenMfaConfiguration.Enabled is not true" },
      { "sms-placeholder", nil, nil, { mfa.config("ON", "sms"), mfa.config("ON", "totp") },
        { MfaConfiguration = "ON", SmsMfaConfiguration = {
          SmsAuthenticationMessage = "Your code is ####", SmsConfiguration = mfa.copy(mfa.SMS.SmsConfiguration) } },
        "SmsAuthenticationMessage has no {####} placeholder" },
      { "webauthn-user-verification", nil, nil,
        { mfa.config("ON", "totp"), mfa.config("ON", "totp", "webauthn") },
        { MfaConfiguration = "ON", WebAuthnConfiguration = { RelyingPartyId = "auth.example.com",
          UserVerification = "preferred" } },
        "WebAuthnConfiguration.UserVerification is preferred" },
      { "webauthn-user-verification", nil, nil, {},
        { MfaConfiguration = "OFF", WebAuthnConfiguration = { RelyingPartyId = "auth.example.com" } },
        "WebAuthnConfiguration.UserVerification is nil" },
      { "email-mfa-tier", nil, { tier = "LITE" }, { mfa.config("ON", "totp"), mfa.config("OFF") },
        mfa.config("ON", "totp", "email"), "email MFA is configured on a LITE pool" },
    }
    for _, case in ipairs(cases) do
      local id, params, context, good, bad, message = case[1], case[2], case[3], case[4], case[5], case[6]
      local label = id .. (params and " (allow_optional)" or "")
      it(label .. ": passes the good configurations, fails \"" .. message .. "\", and its fix makes it pass", function()
        for i, config in ipairs(good) do
          assert.is_true((passes(id, config, params, context)), label .. " good #" .. i)
        end
        local ok, finding = passes(id, bad, params, context)
        assert.is_false(ok)
        assert.equal(id, finding.id)
        assert.equal(message, finding.message)
        assert.is_true(finding.fixable)

        local rules = { rule(id, params) }
        local fixed, ran, broken = policy.fix(bad, rules, policy.evaluate(bad, rules, context), context)
        assert.same({ id }, ran)
        assert.same({}, broken)
        assert.is_true((passes(id, fixed, params, context)), label .. " after fix")
        -- the fix worked on a copy
        assert.is_false((passes(id, bad, params, context)))
      end)
    end

    for _, tier in ipairs { "ESSENTIALS", "PLUS" } do
      it("email-mfa-tier passes email MFA on a " .. tier .. " pool", function()
        assert.is_true((passes("email-mfa-tier", mfa.config("ON", "email"), nil, { tier = tier })))
      end)
    end

    it("email-mfa-tier passes when the tier is not known (AWS's default is ESSENTIALS)", function()
      assert.is_true((passes("email-mfa-tier", mfa.config("ON", "email"))))
    end)

    it("email-mfa-tier asks for DescribeUserPool only when email MFA is configured", function()
      assert.is_true(policy.needs_describe(policy.baseline(), mfa.config("ON", "email")))
      assert.is_false(policy.needs_describe(policy.baseline(), mfa.config("ON", "sms", "totp", "webauthn")))
      assert.is_true(policy.needs_describe({ { id = "x", check = function() end, needs_describe = true } }, {}))
    end)

    it("mfa-on's fix turns OFF into ON, or OPTIONAL with allow_optional, adding TOTP when no factor is on", function()
      local r = rule("mfa-on")
      local fixed = policy.fix(mfa.config("OFF"), { r }, { { id = "mfa-on" } })
      assert.same(mfa.config("ON", "totp"), fixed)
      fixed = policy.fix(mfa.config("OFF", "sms"), { r }, { { id = "mfa-on" } })
      assert.same(mfa.config("ON", "sms"), fixed)
      local lenient = rule("mfa-on", { allow_optional = true })
      fixed = policy.fix(mfa.config("OFF"), { lenient }, { { id = "mfa-on" } })
      assert.same(mfa.config("OPTIONAL", "totp"), fixed)
    end)

    it("sms-placeholder's fix uses the sms_message parameter", function()
      local bad = mfa.config("ON", "sms")
      bad.SmsMfaConfiguration.SmsAuthenticationMessage = "no code here"
      local fixed = policy.fix(bad, { rule("sms-placeholder", { sms_message = "Code {####} for Example" }) },
        { { id = "sms-placeholder" } })
      assert.equal("Code {####} for Example", fixed.SmsMfaConfiguration.SmsAuthenticationMessage)
    end)

    it("email-mfa-tier's fix clears the email section with NULL", function()
      local fixed = policy.fix(mfa.config("ON", "totp", "email"), { rule("email-mfa-tier") },
        { { id = "email-mfa-tier" } })
      assert.equal(NULL, fixed.EmailMfaConfiguration)
    end)

    it("a configuration that meets the whole baseline has no findings", function()
      local good = mfa.config("ON", "sms", "totp", "email", "webauthn")
      local findings, results = policy.evaluate(good, policy.baseline(), { tier = "ESSENTIALS" })
      assert.same({}, findings)
      assert.equal(6, #results)
      for _, r in ipairs(results) do
        assert.is_true(r.passed, r.id)
      end
    end)

    it("fixing every finding of a bad configuration makes the whole baseline pass", function()
      local rules = policy.baseline()
      for _, bad in ipairs {
        mfa.config("OFF"),
        mfa.config("OPTIONAL", "sms"),
        { MfaConfiguration = "OFF", WebAuthnConfiguration = { RelyingPartyId = "a.example.com" } },
        mfa.config("ON", "email", "totp-off"),
      } do
        local context = { tier = "LITE" }
        local findings = policy.evaluate(bad, rules, context)
        assert.is_true(#findings > 0)
        local fixed = policy.fix(bad, rules, findings, context)
        assert.same({}, policy.evaluate(fixed, rules, context))
      end
    end)
  end)

  describe("evaluate", function()
    it("reports every rule in results and the failed ones as findings", function()
      local rules = {
        { id = "a", severity = "low", description = "A", check = function() return true end },
        { id = "b", check = function() return false, "b failed" end, fix = function() end },
        { id = "c", description = "C", check = function() return nil end },
      }
      local findings, results = policy.evaluate({}, rules)
      assert.same({
        { id = "a", passed = true }, { id = "b", passed = false, message = "b failed" }, { id = "c", passed = false },
      }, results)
      assert.same({
        { id = "b", severity = "medium", message = "b failed", fixable = true },
        { id = "c", severity = "medium", description = "C", message = "C", fixable = false },
      }, findings)
    end)

    it("gives checks a copy of the configuration and the context", function()
      local config = mfa.config("ON", "totp")
      local seen
      policy.evaluate(config, { { id = "x", check = function(c, context)
        seen = context
        c.MfaConfiguration = "OFF"
        return true
      end } }, { id = "pool-1", tier = "PLUS" })
      assert.equal("ON", config.MfaConfiguration)
      assert.same({ id = "pool-1", tier = "PLUS" }, seen)
    end)

    it("turns a check that raises into a failed finding", function()
      local findings = policy.evaluate({}, {
        { id = "boom", check = function() error("kaput") end },
        { id = "ok", check = function() return true end },
      })
      assert.equal(1, #findings)
      assert.equal("boom", findings[1].id)
      assert.truthy(findings[1].message:find("the check raised an error", 1, true))
      assert.truthy(findings[1].message:find("kaput", 1, true))
    end)

    it("raises on malformed rules and arguments", function()
      assert.has_error(function() policy.evaluate({}, { { check = function() end } }) end)
      assert.has_error(function() policy.evaluate({}, { { id = "x" } }) end)
      assert.has_error(function() policy.evaluate({}, { { id = "x", check = function() end, fix = 1 } }) end)
      assert.has_error(function() policy.evaluate({}, { { id = "x", check = function() end, severity = "x" } }) end)
      assert.has_error(function() policy.evaluate(nil, {}) end, "policy.evaluate: config must be a table, got nil")
      assert.has_error(function() policy.evaluate({}, "rules") end,
        "policy.evaluate: rules must be a list, got string")
    end)
  end)

  describe("fix", function()
    it("runs the fixes of failed rules only, in rule order, on a copy", function()
      local order = {}
      local rules = {
        { id = "one", check = function() return false end, fix = function(c)
          order[#order + 1] = "one"
          c.MfaConfiguration = "ON"
        end },
        { id = "two", check = function() return true end, fix = function() order[#order + 1] = "two" end },
        { id = "three", check = function() return false end, fix = function(c)
          order[#order + 1] = "three"
          local replaced = mfa.copy(c)
          replaced.SoftwareTokenMfaConfiguration = { Enabled = true }
          return replaced
        end },
      }
      local config = mfa.config("OFF")
      local fixed, ran = policy.fix(config, rules, policy.evaluate(config, rules))
      assert.same({ "one", "three" }, order)
      assert.same({ "one", "three" }, ran)
      assert.same(mfa.config("ON", "totp"), fixed)
      assert.same(mfa.config("OFF"), config)
    end)

    it("reports a fix that raises and keeps the others", function()
      local rules = {
        { id = "bad-fix", check = function() return false end, fix = function(c)
          c.MfaConfiguration = "ON"
          error("fix broke")
        end },
        { id = "good-fix", check = function() return false end, fix = function(c)
          c.SoftwareTokenMfaConfiguration = { Enabled = true }
        end },
      }
      local fixed, ran, broken = policy.fix({ MfaConfiguration = "OFF" }, rules, policy.evaluate({}, rules))
      assert.same({ "good-fix" }, ran)
      assert.equal(1, #broken)
      assert.equal("bad-fix", broken[1].id)
      assert.truthy(broken[1].message:find("fix broke", 1, true))
      -- the broken fix's half-done edit is not kept
      assert.same({ MfaConfiguration = "OFF", SoftwareTokenMfaConfiguration = { Enabled = true } }, fixed)
    end)
  end)

  describe("load", function()
    local MARKERS = {
      "/tmp/cmfa-policy-escape-io", "/tmp/cmfa-policy-escape-os", "/tmp/cmfa-policy-escape-require",
      "/tmp/cmfa-policy-escape-load", "/tmp/cmfa-policy-escape-env",
    }

    local function exists(path)
      local f = io.open(path, "r")
      if f then
        f:close()
        return true
      end
      return false
    end

    local function temp_file(content)
      local path = os.tmpname()
      local f = assert(io.open(path, "wb"))
      f:write(content)
      f:close()
      return path
    end

    before_each(function()
      for _, m in ipairs(MARKERS) do os.remove(m) end
    end)

    it("loads a valid rule file that builds on the baseline", function()
      local rules = assert(policy.load(FIXTURES .. "valid.lua"))
      assert.equal(8, #rules)
      assert.equal("mfa-on", rules[1].id)
      assert.equal("sms-message-short", rules[7].id)
      local long = mfa.config("OPTIONAL", "sms", "totp")
      long.SmsMfaConfiguration.SmsAuthenticationMessage = ("x"):rep(80) .. " {####}"
      local findings = policy.evaluate(long, rules, { name = "prod-users" })
      assert.equal(1, #findings)
      assert.equal("sms-message-short", findings[1].id)
      assert.equal("SmsAuthenticationMessage is 87 characters long", findings[1].message)
      local fixed = policy.fix(long, rules, findings)
      assert.same({}, policy.evaluate(fixed, rules, { name = "prod-users" }))
      -- the rule reading the context
      local named = policy.evaluate(mfa.config("ON", "totp"), rules, { name = "test-users" })
      assert.equal("pool-name-tagged", named[1].id)
      assert.equal("pool name test-users", named[1].message)
    end)

    it("accepts a file that returns { rules = ... }, with NULL available", function()
      local rules = assert(policy.load(FIXTURES .. "valid_table_form.lua"))
      assert.equal(1, #rules)
      local bad = mfa.config("ON", "sms", "totp")
      local fixed = policy.fix(bad, rules, policy.evaluate(bad, rules))
      assert.equal(NULL, fixed.SmsMfaConfiguration)
    end)

    -- the messages differ between Lua 5.4 and LuaJIT but both name the missing value
    for _, case in ipairs {
      { "io.open", "escape_io.lua", "'io'" },
      { "os.execute", "escape_os.lua", "'os'" },
      { "require", "escape_require.lua", "'require'" },
      { "load / loadstring", "escape_load.lua", "'compile'" },
      { "dofile", "escape_dofile.lua", "'dofile'" },
      { "_G, _ENV, getfenv or the string metatable", "escape_env.lua", "no io reachable" },
    } do
      it("refuses a file that uses " .. case[1] .. ": it fails inside the sandbox", function()
        local rules, err = policy.load(FIXTURES .. case[2])
        assert.is_nil(rules)
        assert.is_string(err)
        assert.truthy(err:find(case[3], 1, true), err)
        assert.truthy(err:find(case[2], 1, true), err)
        for _, m in ipairs(MARKERS) do
          assert.is_false(exists(m), m .. " was created")
        end
        assert.is_nil(rawget(_G, "CMFA_POLICY_ESCAPED"))
      end)
    end

    it("keeps globals set by a rule file inside its own environment", function()
      local rules = assert(policy.load(FIXTURES .. "leaks_global.lua"))
      assert.is_nil(rawget(_G, "CMFA_POLICY_LEAKED"))
      assert.same({}, (policy.evaluate({}, rules)))
    end)

    it("turns a check that reaches for io at evaluation time into a failed finding", function()
      local rules = assert(policy.load(FIXTURES .. "lazy_escape.lua"))
      local findings, results = policy.evaluate({}, rules)
      assert.equal(1, #findings)
      assert.equal("reads-a-file", findings[1].id)
      assert.truthy(findings[1].message:find("the check raised an error", 1, true), findings[1].message)
      assert.is_true(results[2].passed)
    end)

    it("turns checks from a file that raise into failed findings, not a crash", function()
      local rules = assert(policy.load(FIXTURES .. "raising_check.lua"))
      local findings = policy.evaluate(mfa.config("ON", "totp"), rules)
      assert.equal(2, #findings)
      assert.equal("raises", findings[1].id)
      assert.equal("high", findings[1].severity)
      assert.truthy(findings[1].message:find("this check is broken", 1, true))
      assert.equal("raises-table", findings[2].id)
    end)

    for _, case in ipairs {
      { "a rule without an id", "malformed_no_id.lua", ": rule 1: a rule needs a string id" },
      { "a rule without a check", "malformed_no_check.lua", ": rule 1: rule no-check needs a check function" },
      { "a rule with an unknown severity", "malformed_severity.lua",
        ": rule 1: rule loud: severity must be low, medium, high or critical" },
      { "a file that returns no list", "not_a_list.lua", ": a policy file must return a list of rules" },
    } do
      it("returns nil and a message for " .. case[1], function()
        local rules, err = policy.load(FIXTURES .. case[2])
        assert.is_nil(rules)
        assert.equal(FIXTURES .. case[2] .. case[3], err)
      end)
    end

    it("returns nil and a message for a file that does not compile", function()
      local path = temp_file("return { { id = 'x', check = function() return true }")
      local rules, err = policy.load(path)
      os.remove(path)
      assert.is_nil(rules)
      assert.is_string(err)
    end)

    it("returns nil and a message for a file that does not exist", function()
      local rules, err = policy.load(FIXTURES .. "no-such-file.lua")
      assert.is_nil(rules)
      assert.truthy(err:find("cannot read policy file", 1, true), err)
    end)

    it("refuses a binary chunk (this interpreter's own bytecode) without running it", function()
      local chunk = string.dump(function()
        return { { id = "from-bytecode", check = function() return true end } }
      end)
      assert.is_table(assert(load(chunk))())  -- the chunk is valid bytecode here
      local path = temp_file(chunk)
      local rules, err = policy.load(path)
      os.remove(path)
      assert.is_nil(rules)
      assert.truthy(err:find("binary chunks are not accepted", 1, true), err)
    end)

    it("raises when the path is not a string", function()
      assert.has_error(function() policy.load(42) end, "policy.load: path must be a string, got number")
    end)
  end)
end)
