-- The safe get -> modify -> set workflow: its pure parts (normalize, merge, diff, factors,
-- preflight) and modify against the scripted fault server, whose request log shows exactly
-- what was sent: every refusal sends nothing, dry runs send nothing, conflicts are retried a
-- bounded number of times. Peers with state (moto, cognito-local, aws-rules) are in
-- workflow_peers_spec.lua and workflow_aws_rules_spec.lua.
local cognito_mfa = require "cognito_mfa"
local helpers = require "spec.helpers"
local mfa = require "spec.support.mfa"

local NULL = cognito_mfa.NULL
local unpack = table.unpack or _G.unpack -- luacheck: ignore (unpack in Lua 5.1 / LuaJIT)
local POOL = "us-east-1_Scripted1"

describe("cognito_mfa.workflow", function()
  local workflow

  before_each(function()
    package.loaded["cognito_mfa.workflow"] = nil
    workflow = require "cognito_mfa.workflow"
  end)

  describe("normalize", function()
    it("keeps the five sections and drops everything else", function()
      local got = workflow.normalize {
        MfaConfiguration = "ON", SoftwareTokenMfaConfiguration = { Enabled = true },
        ResponseMetadata = { RequestId = "x" }, UserPoolId = POOL,
      }
      assert.same({ MfaConfiguration = "ON", SoftwareTokenMfaConfiguration = { Enabled = true } }, got)
    end)

    it("drops the empty SMS section an emulator returns for a pool without SMS", function()
      assert.same({ MfaConfiguration = "OFF" }, workflow.normalize {
        MfaConfiguration = "OFF", SmsMfaConfiguration = {},
      })
      assert.same({ MfaConfiguration = "OFF" }, workflow.normalize {
        MfaConfiguration = "OFF", SmsMfaConfiguration = { SmsConfiguration = {} },
      })
      assert.same({ MfaConfiguration = "OFF", SmsMfaConfiguration = { SmsAuthenticationMessage = "c {####}" } },
        workflow.normalize {
          MfaConfiguration = "OFF",
          SmsMfaConfiguration = { SmsAuthenticationMessage = "c {####}", SmsConfiguration = {} },
        })
    end)

    it("removes NULL members and sections", function()
      local got = workflow.normalize {
        MfaConfiguration = "ON", EmailMfaConfiguration = NULL,
        SmsMfaConfiguration = {
          SmsAuthenticationMessage = NULL, SmsConfiguration = mfa.copy(mfa.SMS.SmsConfiguration),
        },
      }
      assert.same({
        MfaConfiguration = "ON", SmsMfaConfiguration = { SmsConfiguration = mfa.SMS.SmsConfiguration },
      }, got)
    end)

    it("does not share tables with its input", function()
      local input = mfa.config("ON", "totp")
      local got = workflow.normalize(input)
      got.SoftwareTokenMfaConfiguration.Enabled = false
      assert.is_true(input.SoftwareTokenMfaConfiguration.Enabled)
    end)
  end)

  describe("deep_merge", function()
    it("merges nested members and leaves the rest", function()
      local target = mfa.config("OPTIONAL", "sms", "totp")
      workflow.deep_merge(target, { SmsMfaConfiguration = { SmsConfiguration = { SnsRegion = "eu-west-1" } } })
      assert.equal("eu-west-1", target.SmsMfaConfiguration.SmsConfiguration.SnsRegion)
      assert.equal(mfa.SMS.SmsConfiguration.SnsCallerArn, target.SmsMfaConfiguration.SmsConfiguration.SnsCallerArn)
      assert.equal(mfa.SMS.SmsAuthenticationMessage, target.SmsMfaConfiguration.SmsAuthenticationMessage)
      assert.same({ Enabled = true }, target.SoftwareTokenMfaConfiguration)
    end)

    it("removes a member or a section given as NULL", function()
      local target = mfa.config("OPTIONAL", "sms", "totp")
      workflow.deep_merge(target, {
        SoftwareTokenMfaConfiguration = NULL,
        SmsMfaConfiguration = { SmsConfiguration = { ExternalId = NULL } },
      })
      assert.is_nil(target.SoftwareTokenMfaConfiguration)
      assert.is_nil(target.SmsMfaConfiguration.SmsConfiguration.ExternalId)
      assert.is_string(target.SmsMfaConfiguration.SmsConfiguration.SnsCallerArn)
    end)

    it("copies new sections instead of sharing them", function()
      local patch = { EmailMfaConfiguration = mfa.copy(mfa.EMAIL) }
      local target = workflow.deep_merge({}, patch)
      target.EmailMfaConfiguration.Subject = "changed"
      assert.equal(mfa.EMAIL.Subject, patch.EmailMfaConfiguration.Subject)
    end)
  end)

  describe("diff", function()
    it("lists changed, added and removed leaves, sorted by path", function()
      local before = mfa.config("OPTIONAL", "sms", "totp")
      local after = mfa.config("ON", "sms", "email")
      after.SmsMfaConfiguration.SmsAuthenticationMessage = "New code {####}"
      assert.same({
        "EmailMfaConfiguration.Message: nil -> " .. mfa.EMAIL.Message,
        "EmailMfaConfiguration.Subject: nil -> " .. mfa.EMAIL.Subject,
        "MfaConfiguration: OPTIONAL -> ON",
        "SmsMfaConfiguration.SmsAuthenticationMessage: Your code is {####} -> New code {####}",
        "SoftwareTokenMfaConfiguration.Enabled: true -> nil",
      }, mfa.change_list(workflow.diff(before, after)))
    end)

    it("finds no change between equal configurations whatever their key order", function()
      local a, b = {}, {}
      a.MfaConfiguration, a.EmailMfaConfiguration = "ON", { Subject = "s", Message = "m {####}" }
      b.EmailMfaConfiguration = {}
      b.EmailMfaConfiguration.Message = "m {####}"
      b.EmailMfaConfiguration.Subject = "s"
      b.MfaConfiguration = "ON"
      assert.same({}, workflow.diff(a, b))
      assert.is_true(workflow.same(a, b))
      assert.is_false(workflow.same(a, { MfaConfiguration = "ON" }))
    end)
  end)

  describe("factors", function()
    it("counts SMS only with a caller ARN (SnsCallerArn or EumsSms.CallerArn)", function()
      assert.is_true(workflow.factors(mfa.config("ON", "sms")).sms)
      assert.is_true(workflow.factors { SmsMfaConfiguration = { SmsConfiguration = {
        EumsSms = { CallerArn = "arn:aws:iam::123456789012:role/eums-sms" } } } }.sms)
      assert.is_false(workflow.factors { SmsMfaConfiguration = { SmsAuthenticationMessage = "c {####}" } }.sms)
      assert.is_false(workflow.factors { SmsMfaConfiguration = { SmsConfiguration = { ExternalId = "x" } } }.sms)
      assert.is_false(workflow.factors { SmsMfaConfiguration = { SmsConfiguration = { SnsCallerArn = "" } } }.sms)
    end)

    it("counts TOTP only when Enabled is true, and sees email and WebAuthn", function()
      assert.same({ sms = false, totp = false, email = false, webauthn = false },
        workflow.factors(mfa.config("ON", "totp-off")))
      assert.same({ sms = false, totp = true, email = true, webauthn = true },
        workflow.factors(mfa.config("ON", "totp", "email", "webauthn")))
      assert.is_false(workflow.factors { EmailMfaConfiguration = NULL }.email)
    end)
  end)

  describe("preflight", function()
    local function no_describe()
      error("DescribeUserPool must not be needed here")
    end

    local function refused(after, before, describe)
      local request, err = workflow.preflight(after, before or {}, describe or no_describe)
      assert.is_nil(request)
      assert.equal("validation", err.kind)
      assert.equal("PreflightRefused", err.code)
      assert.is_table(err.violations)
      assert.truthy(tostring(err):find("refused before sending", 1, true), tostring(err))
      local paths = {}
      for i, v in ipairs(err.violations) do paths[i] = v.path end
      return paths, err
    end

    for _, mode in ipairs { "ON", "OPTIONAL" } do
      it("refuses " .. mode .. " with TOTP disabled as the only factor", function()
        assert.same({ "MfaConfiguration" }, refused(mfa.config(mode, "totp-off")))
      end)

      it("refuses " .. mode .. " with an SMS section that has no caller ARN", function()
        local paths = refused { MfaConfiguration = mode, SmsMfaConfiguration = {
          SmsAuthenticationMessage = "Code {####}", SmsConfiguration = { ExternalId = "x" } } }
        assert.same({ "MfaConfiguration", "SmsMfaConfiguration.SmsConfiguration" }, paths)
      end)

      it("refuses " .. mode .. " with WebAuthn as the only factor", function()
        local paths, err = refused(mfa.config(mode, "webauthn"))
        assert.same({ "MfaConfiguration" }, paths)
        assert.truthy(err.message:find("WebAuthn does not count", 1, true))
      end)

      it("refuses " .. mode .. " with no section at all", function()
        assert.same({ "MfaConfiguration" }, refused { MfaConfiguration = mode })
      end)

      it("accepts " .. mode .. " with one enabled factor", function()
        for _, factor in ipairs { "sms", "totp", "email" } do
          local request, dropped = workflow.preflight(mfa.config(mode, factor), {}, function()
            return { UserPool = { UserPoolTier = "ESSENTIALS" } }
          end)
          assert.is_table(request, factor)
          assert.same({}, dropped)
          assert.equal(mode, request.MfaConfiguration)
        end
      end)
    end

    it("refuses a TOTP-enabled configuration that also carries an SMS section without a caller ARN", function()
      local after = mfa.config("ON", "totp")
      after.SmsMfaConfiguration = { SmsAuthenticationMessage = "Code {####}" }
      assert.same({ "SmsMfaConfiguration.SmsConfiguration" }, refused(after))
    end)

    it("shapes OFF so AWS accepts it: factor sections left out and named, WebAuthn kept", function()
      local after = mfa.config("OFF", "sms", "totp", "email", "webauthn")
      local request, dropped = workflow.preflight(after, after, no_describe)
      assert.same({ MfaConfiguration = "OFF", WebAuthnConfiguration = mfa.WEBAUTHN }, request)
      assert.same({ "SmsMfaConfiguration", "SoftwareTokenMfaConfiguration", "EmailMfaConfiguration" }, dropped)
    end)

    it("sends MfaConfiguration OFF when the configuration has no mode", function()
      local request = workflow.preflight({}, {}, no_describe)
      assert.same({ MfaConfiguration = "OFF" }, request)
    end)

    it("sends a TOTP section that the change cleared as Enabled = false", function()
      local before = mfa.config("ON", "sms", "totp")
      local request = workflow.preflight(mfa.config("ON", "sms"), before, no_describe)
      assert.same({ Enabled = false }, request.SoftwareTokenMfaConfiguration)
    end)

    for _, tier in ipairs { "LITE" } do
      it("refuses email MFA on a " .. tier .. " pool, reading the tier once", function()
        local calls = 0
        local function describe()
          calls = calls + 1
          return { UserPool = { UserPoolTier = tier } }
        end
        local paths, err = refused(mfa.config("OPTIONAL", "totp", "email"), mfa.config("OPTIONAL", "totp"), describe)
        assert.same({ "EmailMfaConfiguration" }, paths)
        assert.truthy(err.message:find("Essentials", 1, true))
        assert.equal(1, calls)
      end)

      it("refuses WebAuthn FactorConfiguration on a " .. tier .. " pool", function()
        local paths = refused(mfa.config("OPTIONAL", "totp", "webauthn"), mfa.config("OPTIONAL", "totp"),
          function() return { UserPool = { UserPoolTier = tier } } end)
        assert.same({ "WebAuthnConfiguration.FactorConfiguration" }, paths)
      end)
    end

    it("accepts WebAuthn without FactorConfiguration on a LITE pool without reading the tier", function()
      local after = mfa.config("OPTIONAL", "totp", "webauthn")
      after.WebAuthnConfiguration.FactorConfiguration = nil
      assert.is_table((workflow.preflight(after, mfa.config("OPTIONAL", "totp"), no_describe)))
    end)

    for _, tier in ipairs { "ESSENTIALS", "PLUS", NULL } do
      it("accepts email MFA and FactorConfiguration on a pool whose tier is " .. tostring(tier), function()
        local request = workflow.preflight(mfa.config("ON", "email", "webauthn"), {}, function()
          return { UserPool = { UserPoolTier = tier } }
        end)
        assert.is_table(request)
      end)
    end

    it("does not read the tier when email MFA is already there and unchanged", function()
      local before = mfa.config("OPTIONAL", "totp", "email", "webauthn")
      local after = mfa.copy(before)
      after.MfaConfiguration = "ON"
      assert.is_table((workflow.preflight(after, before, no_describe)))
    end)

    it("does not read the tier for email MFA that is dropped because MFA goes OFF", function()
      local _, dropped = workflow.preflight(mfa.config("OFF", "email"), {}, no_describe)
      assert.same({ "EmailMfaConfiguration" }, dropped)
    end)

    it("passes on the error of DescribeUserPool", function()
      local request, err = workflow.preflight(mfa.config("ON", "email"), {}, function()
        return nil, "describe failed"
      end)
      assert.is_nil(request)
      assert.equal("describe failed", err)
    end)
  end)

  describe("modify arguments", function()
    it("raises on a pool id that is not a string and a change that is neither table nor function", function()
      local client = {}
      assert.has_error(function() workflow.modify(client, 42, {}) end,
        "modify_user_pool_mfa_config: user_pool_id must be a string, got number")
      assert.has_error(function() workflow.modify(client, POOL, "ON") end,
        "modify_user_pool_mfa_config: change must be a table or a function, got string")
    end)
  end)
end)

describe("modify against the scripted fault server", function()
  local fault, client

  setup(function()
    fault = helpers.start_peer("fault")
    client = helpers.client(fault, { max_attempts = 1 })
  end)

  teardown(function()
    if client then
      client:close()
    end
    if fault then
      fault.stop()
    end
  end)

  local function run(steps, change, opts)
    helpers.script(fault, steps)
    local result, err = client:modify_user_pool_mfa_config(POOL, change, opts)
    local log = helpers.requests(fault)
    return result, err, mfa.operations(log), log
  end

  describe("refuses what the service would reject, sending nothing", function()
    local cases = {
      {
        "ON with TOTP Enabled = false as the only factor",
        { mfa.ok(mfa.config("OFF")) },
        { MfaConfiguration = "ON", SoftwareTokenMfaConfiguration = { Enabled = false } },
        { "GetUserPoolMfaConfig" }, "PreflightRefused", { "MfaConfiguration" },
      },
      {
        "OPTIONAL with SMS that has no caller ARN",
        { mfa.ok(mfa.config("OFF")) },
        { MfaConfiguration = "OPTIONAL", SmsMfaConfiguration = {
          SmsAuthenticationMessage = "Code {####}",
          SmsConfiguration = { ExternalId = "ext", SnsRegion = "us-east-1" },
        } },
        { "GetUserPoolMfaConfig" }, "PreflightRefused",
        { "MfaConfiguration", "SmsMfaConfiguration.SmsConfiguration" },
      },
      {
        "ON with WebAuthn as the only factor",
        { mfa.ok(mfa.config("OFF")) },
        { MfaConfiguration = "ON", WebAuthnConfiguration = mfa.copy(mfa.WEBAUTHN) },
        { "GetUserPoolMfaConfig" }, "PreflightRefused", { "MfaConfiguration" },
      },
      {
        "clearing the only factor of an ON pool",
        { mfa.ok(mfa.config("ON", "totp")) },
        { SoftwareTokenMfaConfiguration = NULL },
        { "GetUserPoolMfaConfig" }, "PreflightRefused", { "MfaConfiguration" },
      },
      {
        "email MFA on a LITE pool (DescribeUserPool says so)",
        { mfa.ok(mfa.config("OPTIONAL", "totp")), mfa.described(POOL, "LITE") },
        { EmailMfaConfiguration = mfa.copy(mfa.EMAIL) },
        { "GetUserPoolMfaConfig", "DescribeUserPool" }, "PreflightRefused", { "EmailMfaConfiguration" },
      },
      {
        "WebAuthn FactorConfiguration on a LITE pool",
        { mfa.ok(mfa.config("OPTIONAL", "totp")), mfa.described(POOL, "LITE") },
        { WebAuthnConfiguration = mfa.copy(mfa.WEBAUTHN) },
        { "GetUserPoolMfaConfig", "DescribeUserPool" }, "PreflightRefused",
        { "WebAuthnConfiguration.FactorConfiguration" },
      },
      {
        "a model violation: an SMS message without the {####} placeholder",
        { mfa.ok(mfa.config("OPTIONAL", "sms", "totp")) },
        { SmsMfaConfiguration = { SmsAuthenticationMessage = "Your code is here" } },
        { "GetUserPoolMfaConfig" }, "CMFA_E_VALIDATION", { "SmsMfaConfiguration.SmsAuthenticationMessage" },
      },
      {
        "a model violation: an unknown UserVerification value and an unknown member",
        { mfa.ok(mfa.config("OPTIONAL", "totp")) },
        { WebAuthnConfiguration = { RelyingPartyId = "auth.example.com", UserVerification = "always", Color = "red" } },
        { "GetUserPoolMfaConfig" }, "CMFA_E_VALIDATION",
        { "WebAuthnConfiguration.Color", "WebAuthnConfiguration.UserVerification" },
      },
    }
    for _, case in ipairs(cases) do
      local name, steps, change, expected_ops, code, paths = unpack(case)
      it(name, function()
        for _, dry_run in ipairs { false, true } do
          local result, err, ops = run(steps, change, { dry_run = dry_run })
          assert.is_nil(result)
          assert.equal("validation", err.kind)
          assert.equal(code, err.code)
          local got = {}
          for i, v in ipairs(err.violations) do got[i] = v.path end
          table.sort(got)
          assert.same(paths, got)
          assert.same(expected_ops, ops)
          assert.equal(0, mfa.count(ops, "SetUserPoolMfaConfig"))
        end
      end)
    end

    it("passes on DescribeUserPool's error and sends nothing", function()
      local result, err, ops = run({ mfa.ok(mfa.config("OPTIONAL", "totp")),
        mfa.service_error("ResourceNotFoundException", "User pool " .. POOL .. " does not exist.") },
        { EmailMfaConfiguration = mfa.copy(mfa.EMAIL) })
      assert.is_nil(result)
      assert.equal("ResourceNotFoundException", err.code)
      assert.same({ "GetUserPoolMfaConfig", "DescribeUserPool" }, ops)
    end)

    it("passes on GetUserPoolMfaConfig's error and sends nothing", function()
      local result, err, ops = run({ mfa.service_error("NotAuthorizedException", "no") }, { MfaConfiguration = "ON" })
      assert.is_nil(result)
      assert.equal("NotAuthorizedException", err.code)
      assert.same({ "GetUserPoolMfaConfig" }, ops)
    end)
  end)

  describe("sends", function()
    it("the whole configuration with the change, reads it back and verifies", function()
      local current = mfa.config("OPTIONAL", "sms", "totp", "email", "webauthn")
      local wanted = mfa.copy(current)
      wanted.MfaConfiguration = "ON"
      local result, err, ops, log = run({ mfa.ok(current), mfa.ok(wanted), mfa.ok(wanted) },
        { MfaConfiguration = "ON" })
      assert.is_nil(err)
      assert.same({ "GetUserPoolMfaConfig", "SetUserPoolMfaConfig", "GetUserPoolMfaConfig" }, ops)
      assert.same(mfa.params(POOL, wanted), mfa.bodies(log, "SetUserPoolMfaConfig")[1])
      assert.same({ "MfaConfiguration: OPTIONAL -> ON" }, mfa.change_list(result.changes))
      assert.is_true(result.applied)
      assert.is_true(result.verified)
      assert.same({}, result.mismatches)
      assert.equal(0, result.conflicts)
      assert.same(current, result.before)
      assert.same(wanted, result.after)
    end)

    it("reads the tier once when the change adds email MFA to an ESSENTIALS pool", function()
      local current = mfa.config("OPTIONAL", "totp")
      local wanted = mfa.config("OPTIONAL", "totp", "email")
      local result, err, ops = run(
        { mfa.ok(current), mfa.described(POOL, "ESSENTIALS"), mfa.ok(wanted), mfa.ok(wanted) },
        { EmailMfaConfiguration = mfa.copy(mfa.EMAIL) })
      assert.is_nil(err)
      assert.is_true(result.verified)
      assert.same({ "GetUserPoolMfaConfig", "DescribeUserPool", "SetUserPoolMfaConfig", "GetUserPoolMfaConfig" }, ops)
    end)

    it("OFF without the factor sections, naming them in dropped", function()
      local current = mfa.config("ON", "sms", "totp", "email", "webauthn")
      local sent = { MfaConfiguration = "OFF", WebAuthnConfiguration = mfa.copy(mfa.WEBAUTHN) }
      local result, err, ops, log = run({ mfa.ok(current), mfa.ok(sent), mfa.ok(sent) }, { MfaConfiguration = "OFF" })
      assert.is_nil(err)
      assert.same({ "GetUserPoolMfaConfig", "SetUserPoolMfaConfig", "GetUserPoolMfaConfig" }, ops)
      assert.same(mfa.params(POOL, sent), mfa.bodies(log, "SetUserPoolMfaConfig")[1])
      assert.same({ "SmsMfaConfiguration", "SoftwareTokenMfaConfiguration", "EmailMfaConfiguration" }, result.dropped)
      -- changes show what is in effect afterwards: the mode, and the factor settings gone
      mfa.assert_off_changes(result, "ON")
      assert.is_true(result.verified)
    end)

    it("a cleared TOTP section as Enabled = false", function()
      local current = mfa.config("ON", "sms", "totp")
      local sent = mfa.config("ON", "sms", "totp-off")
      local result, _, _, log = run({ mfa.ok(current), mfa.ok(sent), mfa.ok(mfa.config("ON", "sms")) },
        { SoftwareTokenMfaConfiguration = NULL })
      assert.same(mfa.params(POOL, sent), mfa.bodies(log, "SetUserPoolMfaConfig")[1])
      assert.same({ "SoftwareTokenMfaConfiguration.Enabled: true -> false" }, mfa.change_list(result.changes))
      -- a server that returns no TOTP section for Enabled = false still verifies
      assert.is_true(result.verified)
    end)

    it("a change function's edit, or the table it returns", function()
      local current = mfa.config("OPTIONAL", "sms", "totp")
      local wanted = mfa.copy(current)
      wanted.SmsMfaConfiguration.SmsAuthenticationMessage = "Code: {####}"
      local result, err, _, log = run({ mfa.ok(current), mfa.ok(wanted), mfa.ok(wanted) }, function(config)
        assert.same(current, config)
        config.SmsMfaConfiguration.SmsAuthenticationMessage = "Code: {####}"
      end)
      assert.is_nil(err)
      assert.same(mfa.params(POOL, wanted), mfa.bodies(log, "SetUserPoolMfaConfig")[1])
      assert.is_true(result.verified)

      result = run({ mfa.ok(current), mfa.ok(wanted), mfa.ok(wanted) }, function()
        return wanted
      end)
      assert.same({ "SmsMfaConfiguration.SmsAuthenticationMessage: Your code is {####} -> Code: {####}" },
        mfa.change_list(result.changes))
    end)
  end)

  describe("dry runs", function()
    it("send nothing and say what would be sent", function()
      local current = mfa.config("OPTIONAL", "sms", "totp")
      local result, err, ops = run({ mfa.ok(current) }, { MfaConfiguration = "ON" }, { dry_run = true })
      assert.is_nil(err)
      assert.same({ "GetUserPoolMfaConfig" }, ops)
      assert.is_false(result.applied)
      assert.is_nil(result.verified)
      assert.same({ "MfaConfiguration: OPTIONAL -> ON" }, mfa.change_list(result.changes))
      local expected = mfa.copy(current)
      expected.MfaConfiguration = "ON"
      assert.same(mfa.params(POOL, expected), result.request)
    end)

    it("send nothing when MFA goes OFF either, and still name the dropped sections", function()
      local result, _, ops = run({ mfa.ok(mfa.config("ON", "sms", "totp")) }, { MfaConfiguration = "OFF" },
        { dry_run = true })
      assert.same({ "GetUserPoolMfaConfig" }, ops)
      assert.same({ "SmsMfaConfiguration", "SoftwareTokenMfaConfiguration" }, result.dropped)
      assert.same({ MfaConfiguration = "OFF", UserPoolId = POOL }, result.request)
    end)
  end)

  describe("verification", function()
    it("reports mismatches when the read-back differs from what was sent", function()
      local current = mfa.config("OPTIONAL", "totp")
      local result, err = run({ mfa.ok(current), mfa.ok(current), mfa.ok(current) }, { MfaConfiguration = "ON" })
      assert.is_nil(err)
      assert.is_true(result.applied)
      assert.is_false(result.verified)
      assert.same({ "MfaConfiguration: ON -> OPTIONAL" }, mfa.change_list(result.mismatches))
    end)

    it("is skipped with verify = false", function()
      local current = mfa.config("OPTIONAL", "totp")
      local result, _, ops = run({ mfa.ok(current), mfa.ok(current) }, { MfaConfiguration = "ON" }, { verify = false })
      assert.is_true(result.applied)
      assert.is_nil(result.verified)
      assert.same({ "GetUserPoolMfaConfig", "SetUserPoolMfaConfig" }, ops)
    end)

    it("says verified = false with the error when the read-back fails", function()
      local current = mfa.config("OPTIONAL", "totp")
      local result = run({ mfa.ok(current), mfa.ok(current), mfa.service_error("NotAuthorizedException") },
        { MfaConfiguration = "ON" })
      assert.is_true(result.applied)
      assert.is_false(result.verified)
      assert.equal("NotAuthorizedException", result.verify_error.code)
    end)

    it("passes on a failed set without retrying it", function()
      local result, err, ops = run({ mfa.ok(mfa.config("OPTIONAL", "sms")),
        mfa.service_error("InvalidSmsRoleTrustRelationshipException",
          "Role does not have a trust relationship allowing Cognito to assume the role") },
        { MfaConfiguration = "ON" })
      assert.is_nil(result)
      assert.equal("InvalidSmsRoleTrustRelationshipException", err.code)
      assert.same({ "GetUserPoolMfaConfig", "SetUserPoolMfaConfig" }, ops)
    end)
  end)

  describe("ConcurrentModificationException", function()
    local CME = "ConcurrentModificationException"

    it("reads again, re-applies the change to what is there now and sends that", function()
      local first = mfa.config("OPTIONAL", "sms", "totp")
      -- meanwhile another writer changed the SMS message
      local second = mfa.copy(first)
      second.SmsMfaConfiguration.SmsAuthenticationMessage = "Other writer {####}"
      local wanted = mfa.copy(second)
      wanted.MfaConfiguration = "ON"
      local result, err, ops, log = run({
        mfa.ok(first), mfa.service_error(CME, "The user pool was modified concurrently."),
        mfa.ok(second), mfa.ok(wanted), mfa.ok(wanted),
      }, { MfaConfiguration = "ON" })
      assert.is_nil(err)
      assert.same({ "GetUserPoolMfaConfig", "SetUserPoolMfaConfig", "GetUserPoolMfaConfig",
                    "SetUserPoolMfaConfig", "GetUserPoolMfaConfig" }, ops)
      local sets = mfa.bodies(log, "SetUserPoolMfaConfig")
      assert.equal("Your code is {####}", sets[1].SmsMfaConfiguration.SmsAuthenticationMessage)
      assert.same(mfa.params(POOL, wanted), sets[2])
      assert.equal(1, result.conflicts)
      assert.is_true(result.applied)
      assert.is_true(result.verified)
      assert.same(second, result.before)
      assert.same({ "MfaConfiguration: OPTIONAL -> ON" }, mfa.change_list(result.changes))
    end)

    it("calls a change function again on the fresh configuration", function()
      local seen = {}
      local first, second = mfa.config("OPTIONAL", "totp"), mfa.config("OPTIONAL", "totp", "sms")
      local wanted = mfa.config("ON", "totp", "sms")
      local result = run({ mfa.ok(first), mfa.service_error(CME), mfa.ok(second), mfa.ok(wanted), mfa.ok(wanted) },
        function(config)
          seen[#seen + 1] = mfa.copy(config)
          config.MfaConfiguration = "ON"
        end)
      assert.same({ first, second }, seen)
      assert.equal(1, result.conflicts)
    end)

    for _, max in ipairs { 0, 2 } do
      it(("gives up with the service error after max_conflict_retries = %d"):format(max), function()
        local steps = {}
        for _ = 0, max do
          steps[#steps + 1] = mfa.ok(mfa.config("OPTIONAL", "totp"))
          steps[#steps + 1] = mfa.service_error(CME, "The user pool was modified concurrently.")
        end
        local result, err, ops = run(steps, { MfaConfiguration = "ON" }, { max_conflict_retries = max })
        assert.is_nil(result)
        assert.equal("service", err.kind)
        assert.equal(CME, err.code)
        assert.truthy(err.message:find("modified concurrently", 1, true))
        assert.equal(max + 1, mfa.count(ops, "SetUserPoolMfaConfig"))
        assert.equal(max + 1, mfa.count(ops, "GetUserPoolMfaConfig"))
      end)
    end

    it("gives up after 3 retries by default, against a server that always conflicts", function()
      local steps = {}
      for _ = 1, 10 do
        steps[#steps + 1] = mfa.ok(mfa.config("OPTIONAL", "totp"))
        steps[#steps + 1] = mfa.service_error(CME)
      end
      local result, err, ops = run(steps, { MfaConfiguration = "ON" })
      assert.is_nil(result)
      assert.equal(CME, err.code)
      assert.equal(4, mfa.count(ops, "SetUserPoolMfaConfig"))
    end)
  end)
end)
