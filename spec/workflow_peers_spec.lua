-- modify_user_pool_mfa_config against real emulators on free loopback ports: moto (AWS's
-- replace semantics) and cognito-local (merges instead of replacing). On a pool with SMS and
-- TOTP configured, changing one setting leaves every other setting as it was on both, while the
-- same change sent raw with set_user_pool_mfa_config turns settings off on moto: the trap that
-- modify exists for. Email MFA and WebAuthn, which both emulators ignore, are covered against
-- the aws-rules peer in workflow_aws_rules_spec.lua.
local cognito_mfa = require "cognito_mfa"
local helpers = require "spec.helpers"
local mfa = require "spec.support.mfa"

local NULL = cognito_mfa.NULL

for _, kind in ipairs { "moto", "cognito-local" } do
  local replaces = kind == "moto"

  describe("modify on " .. kind, function()
    local peer, client

    setup(function()
      peer = helpers.start_peer(kind)
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

    -- A pool with SMS (message and SmsConfiguration) and TOTP configured.
    local function sms_totp_pool(mode)
      local id = helpers.create_pool(client, "wf-" .. kind)
      assert(client:set_user_pool_mfa_config(mfa.params(id, mfa.config(mode or "OPTIONAL", "sms", "totp"))))
      local start = mfa.read(client, id)
      assert.same(mfa.config(mode or "OPTIONAL", "sms", "totp"), start)
      return id, start
    end

    local function expect_one_change(result, path, old, new)
      assert.same({ ("%s: %s -> %s"):format(path, tostring(old), tostring(new)) }, mfa.change_list(result.changes))
      assert.is_true(result.applied)
      assert.is_true(result.verified)
      assert.same({}, result.mismatches)
    end

    describe("changes one setting and keeps every other", function()
      it("MfaConfiguration OPTIONAL -> ON, given as a partial table", function()
        local id, start = sms_totp_pool("OPTIONAL")
        local result = assert(client:modify_user_pool_mfa_config(id, { MfaConfiguration = "ON" }))
        expect_one_change(result, "MfaConfiguration", "OPTIONAL", "ON")
        local expected = mfa.copy(start)
        expected.MfaConfiguration = "ON"
        assert.same(expected, mfa.read(client, id))
        assert.same(expected, result.after)
        assert.same(start, result.before)
      end)

      it("the SMS message, given as a function", function()
        local id, start = sms_totp_pool("ON")
        local result = assert(client:modify_user_pool_mfa_config(id, function(config)
          config.SmsMfaConfiguration.SmsAuthenticationMessage = "Sign-in code: {####}"
        end))
        expect_one_change(result, "SmsMfaConfiguration.SmsAuthenticationMessage",
          "Your code is {####}", "Sign-in code: {####}")
        local expected = mfa.copy(start)
        expected.SmsMfaConfiguration.SmsAuthenticationMessage = "Sign-in code: {####}"
        assert.same(expected, mfa.read(client, id))
      end)

      it("one member deep inside SmsConfiguration", function()
        local id, start = sms_totp_pool("OPTIONAL")
        local result = assert(client:modify_user_pool_mfa_config(id, {
          SmsMfaConfiguration = { SmsConfiguration = { SnsRegion = "eu-west-1" } },
        }))
        expect_one_change(result, "SmsMfaConfiguration.SmsConfiguration.SnsRegion", "us-east-1", "eu-west-1")
        local expected = mfa.copy(start)
        expected.SmsMfaConfiguration.SmsConfiguration.SnsRegion = "eu-west-1"
        assert.same(expected, mfa.read(client, id))
      end)

      it("turning TOTP on for an SMS-only pool", function()
        local id = helpers.create_pool(client, "wf-sms-only")
        assert(client:set_user_pool_mfa_config(mfa.params(id, mfa.config("ON", "sms"))))
        local start = mfa.read(client, id)
        local result = assert(client:modify_user_pool_mfa_config(id, {
          SoftwareTokenMfaConfiguration = { Enabled = true },
        }))
        assert.is_true(result.verified)
        local expected = mfa.copy(start)
        expected.SoftwareTokenMfaConfiguration = { Enabled = true }
        assert.same(expected, mfa.read(client, id))
      end)
    end)

    describe("NULL", function()
      it("clears one member on purpose and keeps the rest", function()
        local id, start = sms_totp_pool("OPTIONAL")
        local result = assert(client:modify_user_pool_mfa_config(id, {
          SmsMfaConfiguration = { SmsConfiguration = { ExternalId = NULL } },
        }))
        expect_one_change(result, "SmsMfaConfiguration.SmsConfiguration.ExternalId",
          mfa.SMS.SmsConfiguration.ExternalId, nil)
        local expected = mfa.copy(start)
        expected.SmsMfaConfiguration.SmsConfiguration.ExternalId = nil
        assert.same(expected, mfa.read(client, id))
      end)

      it("clears the TOTP section on purpose and keeps SMS", function()
        local id, start = sms_totp_pool("ON")
        local result = assert(client:modify_user_pool_mfa_config(id, { SoftwareTokenMfaConfiguration = NULL }))
        -- sent as Enabled = false, so merging servers turn it off too
        expect_one_change(result, "SoftwareTokenMfaConfiguration.Enabled", true, false)
        local now = mfa.read(client, id)
        assert.is_not_true(now.SoftwareTokenMfaConfiguration and now.SoftwareTokenMfaConfiguration.Enabled)
        assert.same(start.SmsMfaConfiguration, now.SmsMfaConfiguration)
        assert.equal("ON", now.MfaConfiguration)
      end)

      if replaces then
        it("clears the SMS section on purpose (moto forgets what is not sent)", function()
          local id, start = sms_totp_pool("ON")
          local result = assert(client:modify_user_pool_mfa_config(id, { SmsMfaConfiguration = NULL }))
          assert.is_true(result.verified)
          local expected = mfa.copy(start)
          expected.SmsMfaConfiguration = nil
          assert.same(expected, mfa.read(client, id))
        end)
      else
        it("reports verified = false when cognito-local keeps a cleared SMS section (it merges)", function()
          local id, start = sms_totp_pool("ON")
          local result = assert(client:modify_user_pool_mfa_config(id, { SmsMfaConfiguration = NULL }))
          assert.is_true(result.applied)
          assert.is_nil(result.request.SmsMfaConfiguration)
          assert.is_false(result.verified)
          local paths = {}
          for _, m in ipairs(result.mismatches) do paths[#paths + 1] = m.path:match("^[^.]+") end
          assert.same({ "SmsMfaConfiguration" }, { paths[1] })
          assert.same(start.SmsMfaConfiguration, mfa.read(client, id).SmsMfaConfiguration)
        end)
      end
    end)

    describe("OFF", function()
      it("sends OFF without the factor sections, names them in dropped, and shows them going", function()
        local id, start = sms_totp_pool("ON")
        local result = assert(client:modify_user_pool_mfa_config(id, { MfaConfiguration = "OFF" }))
        assert.same({ MfaConfiguration = "OFF", UserPoolId = id }, result.request)
        assert.same({ "SmsMfaConfiguration", "SoftwareTokenMfaConfiguration" }, result.dropped)
        mfa.assert_off_changes(result, "ON")
        assert.is_true(result.applied)
        assert.is_true(result.verified)
        local now = mfa.read(client, id)
        assert.equal("OFF", now.MfaConfiguration)
        if replaces then
          assert.same({ MfaConfiguration = "OFF" }, now)
        else
          -- a merging server keeps the factor settings; with MFA OFF they are not used
          assert.same(start.SmsMfaConfiguration, now.SmsMfaConfiguration)
        end
      end)

      it("comes back ON with a factor given in the same change", function()
        local id = helpers.create_pool(client, "wf-off-on")
        local result = assert(client:modify_user_pool_mfa_config(id, {
          MfaConfiguration = "ON", SoftwareTokenMfaConfiguration = { Enabled = true },
        }))
        assert.is_true(result.verified)
        assert.same(mfa.config("ON", "totp"), mfa.read(client, id))
      end)
    end)

    describe("dry runs and refusals", function()
      it("a dry run changes nothing on the server", function()
        local id, start = sms_totp_pool("OPTIONAL")
        local result = assert(client:modify_user_pool_mfa_config(id, {
          MfaConfiguration = "ON", SmsMfaConfiguration = { SmsAuthenticationMessage = "Dry {####}" },
        }, { dry_run = true }))
        assert.is_false(result.applied)
        assert.equal(2, #result.changes)
        assert.equal("ON", result.request.MfaConfiguration)
        assert.same(start, mfa.read(client, id))
      end)

      it("a refusal changes nothing on the server", function()
        local id, start = sms_totp_pool("ON")
        local result, err = client:modify_user_pool_mfa_config(id, {
          SmsMfaConfiguration = NULL, SoftwareTokenMfaConfiguration = { Enabled = false },
        })
        assert.is_nil(result)
        assert.equal("PreflightRefused", err.code)
        assert.same(start, mfa.read(client, id))
      end)

      it("passes on ResourceNotFoundException for a pool that does not exist", function()
        local missing = replaces and "us-east-1_00000000000000000000000000000000" or "local_missing0"
        local result, err = client:modify_user_pool_mfa_config(missing, { MfaConfiguration = "ON" })
        assert.is_nil(result)
        assert.equal("ResourceNotFoundException", err.code)
      end)
    end)

    describe("the trap modify avoids: a raw set of one setting", function()
      if replaces then
        it("turns TOTP off when only the SMS section is sent (moto replaces)", function()
          local id, start = sms_totp_pool("OPTIONAL")
          local sms = mfa.copy(start.SmsMfaConfiguration)
          sms.SmsAuthenticationMessage = "Sign-in code: {####}"
          assert(client:set_user_pool_mfa_config {
            UserPoolId = id, MfaConfiguration = "OPTIONAL", SmsMfaConfiguration = sms,
          })
          local now = mfa.read(client, id)
          assert.is_nil(now.SoftwareTokenMfaConfiguration)
          assert.equal("Sign-in code: {####}", now.SmsMfaConfiguration.SmsAuthenticationMessage)
        end)

        it("turns SMS off when only the TOTP section is sent", function()
          local id = sms_totp_pool("OPTIONAL")
          assert(client:set_user_pool_mfa_config {
            UserPoolId = id, MfaConfiguration = "ON", SoftwareTokenMfaConfiguration = { Enabled = true },
          })
          assert.same(mfa.config("ON", "totp"), mfa.read(client, id))
        end)

        it("cannot even send MfaConfiguration alone: moto rejects it", function()
          local id, start = sms_totp_pool("OPTIONAL")
          local out, err = client:set_user_pool_mfa_config { UserPoolId = id, MfaConfiguration = "ON" }
          assert.is_nil(out)
          assert.equal("InvalidParameterException", err.code)
          assert.same(start, mfa.read(client, id))
        end)
      else
        it("keeps the other settings on cognito-local, which merges (unlike AWS)", function()
          local id, start = sms_totp_pool("OPTIONAL")
          assert(client:set_user_pool_mfa_config { UserPoolId = id, MfaConfiguration = "ON" })
          local expected = mfa.copy(start)
          expected.MfaConfiguration = "ON"
          assert.same(expected, mfa.read(client, id))
        end)
      end
    end)
  end)
end
