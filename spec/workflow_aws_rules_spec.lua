-- modify_user_pool_mfa_config with email MFA and WebAuthn, which moto and cognito-local ignore,
-- against the aws-rules peer (tools/aws_rules_server.py): a loopback server that models the
-- documented service rules (replace semantics, factor rules, OFF rules, tiers) with the real
-- error messages. It is used in addition to the emulators (workflow_peers_spec.lua), not
-- instead of them. The preflight is also checked against it: what modify refuses, the server
-- rejects when sent raw.
local helpers = require "spec.helpers"
local mfa = require "spec.support.mfa"
local cognito_mfa = require "cognito_mfa"
local workflow = require "cognito_mfa.workflow"

local NULL = cognito_mfa.NULL
local MSG_NO_FACTOR = "Invalid MFA Configuration given. SMS MFA, Email MFA, or Software Token MFA must be enabled."
local MSG_OFF = "Invalid MFA configuration given, can't turn off MFA and configure an MFA together."
local MSG_SMS_ARN = "Invalid SMS MFA configuration given, external id and a valid caller arn are required"

describe("modify on the aws-rules peer", function()
  local peer, client

  setup(function()
    peer = helpers.start_peer("aws-rules")
    client = helpers.client(peer)
  end)

  teardown(function()
    if client then
      client:close()
    end
    if peer then
      peer.stop()
    end
  end)

  local function pool(tier)
    return helpers.create_pool(client, "rules-" .. tier, { UserPoolTier = tier })
  end

  -- An ESSENTIALS pool with SMS, TOTP, email and WebAuthn configured.
  local function full_pool()
    local id = pool("ESSENTIALS")
    local all = mfa.config("OPTIONAL", "sms", "totp", "email", "webauthn")
    assert(client:set_user_pool_mfa_config(mfa.params(id, all)))
    assert.same(all, mfa.read(client, id))
    return id, all
  end

  local function raw_error(params)
    local out, err = client:set_user_pool_mfa_config(params)
    assert.is_nil(out)
    assert.equal("service", err.kind)
    return err
  end

  describe("changes one setting of a pool with SMS, TOTP, email and WebAuthn, keeping the rest", function()
    local cases = {
      { "MfaConfiguration OPTIONAL -> ON", { MfaConfiguration = "ON" },
        function(c) c.MfaConfiguration = "ON" end },
      { "the SMS message", { SmsMfaConfiguration = { SmsAuthenticationMessage = "SMS code {####}" } },
        function(c) c.SmsMfaConfiguration.SmsAuthenticationMessage = "SMS code {####}" end },
      { "TOTP Enabled true -> false", { SoftwareTokenMfaConfiguration = { Enabled = false } },
        function(c) c.SoftwareTokenMfaConfiguration.Enabled = false end },
      { "the email subject", { EmailMfaConfiguration = { Subject = "Your code" } },
        function(c) c.EmailMfaConfiguration.Subject = "Your code" end },
      { "the email message", { EmailMfaConfiguration = { Message = "Email code {####}" } },
        function(c) c.EmailMfaConfiguration.Message = "Email code {####}" end },
      { "WebAuthn UserVerification", { WebAuthnConfiguration = { UserVerification = "preferred" } },
        function(c) c.WebAuthnConfiguration.UserVerification = "preferred" end },
      { "the WebAuthn relying party", { WebAuthnConfiguration = { RelyingPartyId = "login.example.com" } },
        function(c) c.WebAuthnConfiguration.RelyingPartyId = "login.example.com" end },
      { "WebAuthn FactorConfiguration cleared with NULL", { WebAuthnConfiguration = { FactorConfiguration = NULL } },
        function(c) c.WebAuthnConfiguration.FactorConfiguration = nil end },
      { "the email section cleared with NULL", { EmailMfaConfiguration = NULL },
        function(c) c.EmailMfaConfiguration = nil end },
      { "the WebAuthn section cleared with NULL", { WebAuthnConfiguration = NULL },
        function(c) c.WebAuthnConfiguration = nil end },
    }
    for _, case in ipairs(cases) do
      local name, change, edit = case[1], case[2], case[3]
      it(name, function()
        local id, start = full_pool()
        local expected = mfa.copy(start)
        edit(expected)
        local result = assert(client:modify_user_pool_mfa_config(id, change))
        assert.is_true(result.applied)
        assert.is_true(result.verified)
        assert.same(expected, result.after)
        assert.same(expected, mfa.read(client, id))
        -- the changes are exactly the difference, nothing else
        assert.same(mfa.change_list(workflow.diff(start, expected)), mfa.change_list(result.changes))
        assert.is_true(#result.changes >= 1)
      end)
    end

    it("as a function too", function()
      local id, start = full_pool()
      local result = assert(client:modify_user_pool_mfa_config(id, function(config)
        config.EmailMfaConfiguration.Subject = "Subject from a function"
      end))
      assert.same({ "EmailMfaConfiguration.Subject: Your sign-in code -> Subject from a function" },
        mfa.change_list(result.changes))
      local expected = mfa.copy(start)
      expected.EmailMfaConfiguration.Subject = "Subject from a function"
      assert.same(expected, mfa.read(client, id))
    end)
  end)

  describe("the trap modify avoids: a raw set of one setting", function()
    it("turns SMS, TOTP and WebAuthn off when only the email section is sent", function()
      local id = full_pool()
      local email = mfa.copy(mfa.EMAIL)
      email.Subject = "Your code"
      assert(client:set_user_pool_mfa_config { UserPoolId = id, MfaConfiguration = "OPTIONAL",
        EmailMfaConfiguration = email })
      assert.same({ MfaConfiguration = "OPTIONAL", EmailMfaConfiguration = email }, mfa.read(client, id))
    end)

    it("turns email, SMS and TOTP off when only the WebAuthn section is sent with OFF", function()
      local id = full_pool()
      assert(client:set_user_pool_mfa_config { UserPoolId = id, MfaConfiguration = "OFF",
        WebAuthnConfiguration = mfa.copy(mfa.WEBAUTHN) })
      assert.same({ MfaConfiguration = "OFF", WebAuthnConfiguration = mfa.WEBAUTHN }, mfa.read(client, id))
    end)

    it("is rejected when MfaConfiguration ON is sent alone", function()
      local id, start = full_pool()
      local err = raw_error { UserPoolId = id, MfaConfiguration = "ON" }
      assert.equal("InvalidParameterException", err.code)
      assert.truthy(err.message:find(MSG_NO_FACTOR, 1, true), err.message)
      assert.same(start, mfa.read(client, id))
    end)
  end)

  describe("OFF", function()
    it("is shaped so the service accepts it: factors dropped and named, WebAuthn kept", function()
      local id = full_pool()
      local result = assert(client:modify_user_pool_mfa_config(id, { MfaConfiguration = "OFF" }))
      assert.same({ "SmsMfaConfiguration", "SoftwareTokenMfaConfiguration", "EmailMfaConfiguration" }, result.dropped)
      mfa.assert_off_changes(result, "OPTIONAL")
      assert.is_true(result.verified)
      assert.same({ MfaConfiguration = "OFF", WebAuthnConfiguration = mfa.WEBAUTHN }, mfa.read(client, id))
    end)

    it("sent raw with the factor sections is rejected with the service's message", function()
      local id, start = full_pool()
      local params = mfa.params(id, start)
      params.MfaConfiguration = "OFF"
      local err = raw_error(params)
      assert.equal("InvalidParameterException", err.code)
      assert.truthy(err.message:find(MSG_OFF, 1, true), err.message)
    end)
  end)

  describe("what modify refuses, the service rejects", function()
    local cases = {
      {
        "ON with TOTP Enabled = false as the only factor", "ESSENTIALS",
        { MfaConfiguration = "ON", SoftwareTokenMfaConfiguration = { Enabled = false } },
        "InvalidParameterException", MSG_NO_FACTOR,
      },
      {
        "OPTIONAL with SMS that has no caller ARN", "ESSENTIALS",
        { MfaConfiguration = "OPTIONAL", SmsMfaConfiguration = {
          SmsAuthenticationMessage = "Code {####}", SmsConfiguration = { ExternalId = "ext" } } },
        "InvalidParameterException", MSG_SMS_ARN,
      },
      {
        "ON with WebAuthn as the only factor", "ESSENTIALS",
        { MfaConfiguration = "ON", WebAuthnConfiguration = mfa.copy(mfa.WEBAUTHN) },
        "InvalidParameterException", MSG_NO_FACTOR,
      },
      {
        "email MFA on a LITE pool", "LITE",
        { MfaConfiguration = "ON", EmailMfaConfiguration = mfa.copy(mfa.EMAIL) },
        "FeatureUnavailableInTierException", nil,
      },
      {
        "WebAuthn FactorConfiguration on a LITE pool", "LITE",
        { MfaConfiguration = "ON", SoftwareTokenMfaConfiguration = { Enabled = true },
          WebAuthnConfiguration = mfa.copy(mfa.WEBAUTHN) },
        "FeatureUnavailableInTierException", nil,
      },
    }
    for _, case in ipairs(cases) do
      local name, tier, change, code, message = case[1], case[2], case[3], case[4], case[5]
      it(name, function()
        local id = pool(tier)
        local start = mfa.read(client, id)
        mfa.rules_reset(peer)
        local result, err = client:modify_user_pool_mfa_config(id, change)
        assert.is_nil(result)
        assert.equal("PreflightRefused", err.code)
        local ops = mfa.rules_log(peer)
        assert.equal(0, mfa.count(ops, "SetUserPoolMfaConfig"))
        assert.equal(1, mfa.count(ops, "GetUserPoolMfaConfig"))

        local serr = raw_error(mfa.params(id, change))
        assert.equal(code, serr.code)
        if message then
          assert.truthy(serr.message:find(message, 1, true), serr.message)
        end
        assert.same(start, mfa.read(client, id))
      end)
    end
  end)

  describe("what modify allows, the service accepts", function()
    it("email MFA as the only factor of an ESSENTIALS pool", function()
      local id = pool("ESSENTIALS")
      local result = assert(client:modify_user_pool_mfa_config(id, {
        MfaConfiguration = "ON", EmailMfaConfiguration = mfa.copy(mfa.EMAIL),
      }))
      assert.is_true(result.verified)
      assert.same(mfa.config("ON", "email"), mfa.read(client, id))
    end)

    it("email MFA and FactorConfiguration on a PLUS pool", function()
      local id = pool("PLUS")
      assert(client:modify_user_pool_mfa_config(id, {
        MfaConfiguration = "OPTIONAL", EmailMfaConfiguration = mfa.copy(mfa.EMAIL),
        WebAuthnConfiguration = mfa.copy(mfa.WEBAUTHN),
      }))
      assert.same(mfa.config("OPTIONAL", "email", "webauthn"), mfa.read(client, id))
    end)

    it("WebAuthn without FactorConfiguration on a LITE pool, without reading the tier", function()
      local id = pool("LITE")
      mfa.rules_reset(peer)
      local result = assert(client:modify_user_pool_mfa_config(id, {
        MfaConfiguration = "ON", SoftwareTokenMfaConfiguration = { Enabled = true },
        WebAuthnConfiguration = { RelyingPartyId = "auth.example.com", UserVerification = "required" },
      }))
      assert.is_true(result.verified)
      assert.equal(0, mfa.count(mfa.rules_log(peer), "DescribeUserPool"))
    end)

    it("a dry run on the full pool sends nothing", function()
      local id, start = full_pool()
      mfa.rules_reset(peer)
      local result = assert(client:modify_user_pool_mfa_config(id, { MfaConfiguration = "ON" }, { dry_run = true }))
      assert.is_false(result.applied)
      assert.same({ "GetUserPoolMfaConfig" }, (mfa.rules_log(peer)))
      assert.same(start, mfa.read(client, id))
    end)
  end)

  describe("the peer itself", function()
    it("pages ListUserPools with NextToken", function()
      for i = 1, 7 do
        pool(i % 2 == 0 and "LITE" or "PLUS")
      end
      local seen, total = {}, 0
      for p, err in client:user_pools(3) do
        assert.is_nil(err)
        assert.is_nil(seen[p.Id])
        seen[p.Id] = true
        total = total + 1
      end
      assert.is_true(total >= 7)
      local first = assert(client:list_user_pools { MaxResults = 3 })
      assert.equal(3, #first.UserPools)
      assert.is_string(first.NextToken)
    end)

    it("describes a pool's tier, defaulting to ESSENTIALS", function()
      local id = helpers.create_pool(client, "no-tier")
      assert.equal("ESSENTIALS", assert(client:describe_user_pool { UserPoolId = id }).UserPool.UserPoolTier)
      assert.equal("LITE", assert(client:describe_user_pool { UserPoolId = pool("LITE") }).UserPool.UserPoolTier)
    end)

    it("answers ResourceNotFoundException with the service's message", function()
      local _, err = client:get_user_pool_mfa_config { UserPoolId = "us-east-1_missing0" }
      assert.equal("ResourceNotFoundException", err.code)
      assert.truthy(err.message:find("User pool us-east-1_missing0 does not exist.", 1, true))
      assert.is_string(err.request_id)
    end)
  end)
end)
