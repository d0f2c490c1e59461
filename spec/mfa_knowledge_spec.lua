-- cognito_mfa.mfa, the one home of MFA knowledge: what it reads from the core's model agrees
-- with the model, the facts written there name only what the model knows, and the places that
-- used to keep their own copies (workflow, policy, the CLI) ask it and behave as before. Also
-- cognito_mfa.regions, the list of regions where cognito-idp is offered.
local cognito_mfa = require "cognito_mfa"
local mfa = require "cognito_mfa.mfa"
local policy = require "cognito_mfa.policy"
local regions = require "cognito_mfa.regions"
local workflow = require "cognito_mfa.workflow"

local NULL = cognito_mfa.NULL

local function members(shape)
  local out = {}
  for _, m in ipairs(cognito_mfa.model().shapes[shape].members) do out[#out + 1] = m end
  return out
end

local function set_of(list)
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
  return s
end

describe("cognito_mfa.mfa", function()
  it("shares one model with cognito_mfa.model()", function()
    assert.equal(cognito_mfa.model(), mfa.model())
  end)

  it("takes the modes and tiers from the model's enums", function()
    local shapes = cognito_mfa.model().shapes
    assert.same(shapes.UserPoolMfaType.enum, mfa.MODES)
    assert.same({ "OFF", "ON", "OPTIONAL" }, mfa.MODES)
    assert.same(shapes.UserPoolTierType.enum, mfa.TIERS)
    assert.same({ "LITE", "ESSENTIALS", "PLUS" }, mfa.TIERS)
    assert.is_true(mfa.MODE_SET.OPTIONAL)
    assert.is_nil(mfa.TIER_SET.GOLD)
  end)

  it("takes the sections from SetUserPoolMfaConfig's input, mode first, then model order", function()
    local expect = { "MfaConfiguration" }
    local settings = {}
    for _, m in ipairs(members("SetUserPoolMfaConfigRequest")) do
      if not m.required and m.name ~= "MfaConfiguration" then
        expect[#expect + 1] = m.name
        settings[#settings + 1] = { member = m.name, shape = m.shape }
      end
    end
    assert.same(expect, mfa.SECTIONS)
    assert.same(settings, mfa.SETTINGS)
    assert.equal("MfaConfiguration", mfa.MODE)
    -- what workflow used to type by hand
    assert.same({ "MfaConfiguration", "SmsMfaConfiguration", "SoftwareTokenMfaConfiguration",
                  "EmailMfaConfiguration", "WebAuthnConfiguration" }, mfa.SECTIONS)
    assert.equal(mfa.SECTIONS, workflow.SECTIONS)
  end)

  it("names factors and tier features only by sections, members and tiers the model has", function()
    local sections = set_of(mfa.SECTIONS)
    for _, f in ipairs(mfa.FACTORS) do
      assert.is_true(sections[f.section], f.section)
    end
    assert.same({ "SmsMfaConfiguration", "SoftwareTokenMfaConfiguration", "EmailMfaConfiguration" },
      mfa.FACTOR_SECTIONS)
    assert.is_false(mfa.is_factor("WebAuthnConfiguration"))
    assert.is_true(mfa.is_factor("EmailMfaConfiguration"))
    local tiers = set_of(mfa.TIERS)
    for _, f in ipairs(mfa.TIER_FEATURES) do
      assert.is_true(sections[f.section], f.section)
      for t in pairs(f.tiers) do assert.is_true(tiers[t], t) end
      if f.member then
        local shape
        for _, m in ipairs(members("SetUserPoolMfaConfigRequest")) do
          if m.name == f.section then shape = m.shape end
        end
        assert.is_truthy(set_of((function()
          local names = {}
          for i, m in ipairs(members(shape)) do names[i] = m.name end
          return names
        end)())[f.member], f.member)
      end
    end
    assert.is_true(tiers[mfa.DEFAULT_TIER])
  end)

  it("says which tiers allow email MFA and WebAuthn's FactorConfiguration", function()
    for _, path in ipairs { "EmailMfaConfiguration", "WebAuthnConfiguration.FactorConfiguration" } do
      assert.is_false(mfa.tier_allows("LITE", path))
      assert.is_true(mfa.tier_allows("ESSENTIALS", path))
      assert.is_true(mfa.tier_allows("PLUS", path))
      assert.is_true(mfa.tier_allows(nil, path))       -- "Defaults to ESSENTIALS"
      assert.is_true(mfa.tier_allows(NULL, path))
      assert.is_false(mfa.tier_allows("UNKNOWN", path))
      assert.same({ "ESSENTIALS", "PLUS" }, mfa.tiers_allowing(path))
    end
    assert.has_error(function() mfa.tier_allows("PLUS", "SmsMfaConfiguration") end)
  end)

  it("counts factors as the service does", function()
    assert.is_false(mfa.has_factor { MfaConfiguration = "ON" })
    assert.is_false(mfa.has_factor { WebAuthnConfiguration = { RelyingPartyId = "x" } })
    assert.is_false(mfa.has_factor { SoftwareTokenMfaConfiguration = { Enabled = false } })
    assert.is_true(mfa.has_factor { SoftwareTokenMfaConfiguration = { Enabled = true } })
    assert.is_true(mfa.has_factor { EmailMfaConfiguration = {} })
    assert.is_false(mfa.has_factor { SmsMfaConfiguration = { SmsAuthenticationMessage = "c {####}" } })
    assert.is_true(mfa.has_factor { SmsMfaConfiguration = { SmsConfiguration = {
      EumsSms = { CallerArn = "arn:aws:iam::123456789012:role/x" } } } })
    assert.equal(mfa.factors, workflow.factors)
  end)
end)

describe("the former copies behave as before", function()
  local function tier_pool(tier)
    return function() return { UserPool = { UserPoolTier = tier } } end
  end

  it("workflow.preflight refuses ON without a factor, WebAuthn not counting", function()
    local req, err = workflow.preflight({ MfaConfiguration = "ON",
      WebAuthnConfiguration = { RelyingPartyId = "a.example.com" } }, {})
    assert.is_nil(req)
    assert.equal("PreflightRefused", err.code)
    assert.matches("needs an enabled factor", err.message)
  end)

  it("workflow.preflight drops factor sections with OFF and keeps WebAuthn", function()
    local req, dropped = workflow.preflight({ MfaConfiguration = "OFF",
      SoftwareTokenMfaConfiguration = { Enabled = true }, EmailMfaConfiguration = { Subject = "s" },
      WebAuthnConfiguration = { RelyingPartyId = "a.example.com" } }, {})
    assert.same({ "SoftwareTokenMfaConfiguration", "EmailMfaConfiguration" }, (function()
      table.sort(dropped, function(a, b) return a > b end)
      return dropped
    end)())
    assert.is_table(req.WebAuthnConfiguration)
    assert.is_nil(req.EmailMfaConfiguration)
  end)

  it("workflow.preflight checks the tier for email MFA and FactorConfiguration, not with OFF", function()
    local after = { MfaConfiguration = "ON", SoftwareTokenMfaConfiguration = { Enabled = true },
                    EmailMfaConfiguration = { Subject = "s" },
                    WebAuthnConfiguration = { FactorConfiguration = "MULTI_FACTOR_WITH_USER_VERIFICATION" } }
    local req, err = workflow.preflight(after, {}, tier_pool("LITE"))
    assert.is_nil(req)
    local paths = {}
    for _, v in ipairs(err.violations) do paths[#paths + 1] = v.path end
    assert.same({ "EmailMfaConfiguration", "WebAuthnConfiguration.FactorConfiguration" }, paths)
    assert.is_table(workflow.preflight(after, {}, tier_pool("PLUS")))
    assert.is_table(workflow.preflight(after, {}, tier_pool(nil)))
    -- email dropped because MFA goes OFF: its tier does not matter, FactorConfiguration's does
    local off = { MfaConfiguration = "OFF", EmailMfaConfiguration = { Subject = "s" } }
    local described = false
    assert.is_table(workflow.preflight(off, {}, function() described = true end))
    assert.is_false(described)
  end)

  it("the baseline's email-mfa-tier rule and mfa-on fix use the same facts", function()
    local rules = policy.baseline()
    local config = { MfaConfiguration = "ON", EmailMfaConfiguration = { Subject = "s" } }
    local function failed(tier)
      local ids = {}
      for _, f in ipairs(policy.evaluate(config, rules, { tier = tier })) do ids[f.id] = f end
      return ids
    end
    assert.is_table(failed("LITE")["email-mfa-tier"])
    assert.is_nil(failed("ESSENTIALS")["email-mfa-tier"])
    assert.is_nil(failed(nil)["email-mfa-tier"])
    local off = { MfaConfiguration = "OFF" }
    local fixed = policy.fix(off, rules, policy.evaluate(off, rules))
    assert.equal("ON", fixed.MfaConfiguration)
    assert.same({ Enabled = true }, fixed.SoftwareTokenMfaConfiguration)
    -- a pool with email MFA needs no TOTP turned on to satisfy mfa-on's fix
    local mfa_on = rules[1]
    local c = { MfaConfiguration = "OFF", EmailMfaConfiguration = { Subject = "s" } }
    mfa_on.fix(c)
    assert.is_nil(c.SoftwareTokenMfaConfiguration)
  end)

  it("the CLI's modify options come from the model's sections and modes", function()
    local cli = require "cognito_mfa.cli"
    local cmd = cli.commands.modify
    for _, s in ipairs(mfa.SETTINGS) do
      assert.is_table(cmd.by_name["--" .. cli.kebab(s.member)], s.member)
    end
    assert.is_table(cmd.by_name["--web-authn-configuration"])
    assert.same({ "OFF", "ON", "OPTIONAL" }, cmd.by_name["--mfa-configuration"].choices)
  end)
end)

describe("cognito_mfa.regions", function()
  it("lists the regions where cognito-idp is offered, with their partition and source", function()
    local all = regions.list()
    assert.is_true(#all >= 30)
    local by_name = {}
    for _, r in ipairs(all) do
      assert.matches("^[a-z]+%-[a-z%-]+%-%d+$", r.region)
      assert.is_string(r.name)
      by_name[r.region] = r
    end
    assert.equal("aws", by_name["eu-west-1"].partition)
    assert.is_true(by_name["us-east-1"].fips)
    assert.is_false(by_name["eu-west-1"].fips)
    assert.equal("aws-us-gov", by_name["us-gov-west-1"].partition)
    assert.is_nil(by_name["cn-north-1"])              -- not offered in the China partition
    assert.is_true(regions.offered("ap-southeast-2"))
    assert.is_false(regions.offered("mars-north-1"))
    assert.same({ "us-gov-east-1", "us-gov-west-1" }, regions.names("aws-us-gov"))
    assert.matches("endpoints.json", regions.SOURCE, 1, true)
    assert.matches("^%d%d%d%d%-%d%d%-%d%d$", regions.CHECKED)
    assert.has_error(function() regions.list(1) end)
  end)

  it("hands out fresh tables", function()
    regions.list()[1].region = "changed"
    assert.is_not.equal("changed", regions.list()[1].region)
  end)
end)
