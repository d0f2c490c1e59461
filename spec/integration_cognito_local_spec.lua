-- Integration specs against cognito-local 5.3.0 (which merges instead of replacing, and stores
-- only SMS, TOTP and MfaConfiguration) on a free loopback port, plus the scripted fault server
-- for the sections cognito-local ignores.
local helpers = require "spec.helpers"
local sections = require "spec.support.sections"

local copy = sections.copy

describe("cognito-local", function()
  local peer, fault, client

  setup(function()
    peer = helpers.start_peer("cognito-local")
    fault = helpers.start_peer("fault")
    client = helpers.client(peer)
  end)

  teardown(function()
    if client then
      client:close()
    end
    for _, p in ipairs { peer, fault } do
      if p then
        p.stop()
      end
    end
  end)

  local function new_pool(name)
    return helpers.create_pool(client, name or "mfa-spec")
  end

  describe("set then get", function()
    it("starts a new pool with MFA OFF and TOTP disabled", function()
      local got = assert(client:get_user_pool_mfa_config { UserPoolId = new_pool() })
      assert.equal("OFF", got.MfaConfiguration)
      assert.is_false(got.SoftwareTokenMfaConfiguration.Enabled)
    end)

    it("round-trips SMS MFA with every SmsConfiguration field", function()
      local id = new_pool()
      local set_out = assert(client:set_user_pool_mfa_config {
        UserPoolId = id, MfaConfiguration = "ON", SmsMfaConfiguration = copy(sections.SMS),
      })
      local got = assert(client:get_user_pool_mfa_config { UserPoolId = id })
      assert.same(sections.SMS, got.SmsMfaConfiguration)
      assert.equal("ON", got.MfaConfiguration)
      assert.same(got, set_out)
    end)

    it("round-trips TOTP enabled true and false", function()
      local id = new_pool()
      assert(client:set_user_pool_mfa_config {
        UserPoolId = id, MfaConfiguration = "ON", SoftwareTokenMfaConfiguration = { Enabled = true },
      })
      local got = assert(client:get_user_pool_mfa_config { UserPoolId = id })
      assert.is_true(got.SoftwareTokenMfaConfiguration.Enabled)
      assert(client:set_user_pool_mfa_config {
        UserPoolId = id, MfaConfiguration = "OFF", SoftwareTokenMfaConfiguration = { Enabled = false },
      })
      got = assert(client:get_user_pool_mfa_config { UserPoolId = id })
      assert.is_false(got.SoftwareTokenMfaConfiguration.Enabled)
      assert.equal("OFF", got.MfaConfiguration)
    end)

    for _, mode in ipairs { "OFF", "ON", "OPTIONAL" } do
      it("round-trips MfaConfiguration " .. mode, function()
        local id = new_pool()
        local params = { UserPoolId = id, MfaConfiguration = mode }
        if mode ~= "OFF" then
          params.SoftwareTokenMfaConfiguration = { Enabled = true }
        end
        assert(client:set_user_pool_mfa_config(params))
        local got = assert(client:get_user_pool_mfa_config { UserPoolId = id })
        assert.equal(mode, got.MfaConfiguration)
        local described = assert(client:describe_user_pool { UserPoolId = id })
        assert.equal(mode, described.UserPool.MfaConfiguration)
      end)
    end

    it("merges sections left out instead of replacing them (unlike AWS)", function()
      local id = new_pool()
      assert(client:set_user_pool_mfa_config {
        UserPoolId = id, MfaConfiguration = "ON", SmsMfaConfiguration = copy(sections.SMS),
      })
      assert(client:set_user_pool_mfa_config {
        UserPoolId = id, MfaConfiguration = "OPTIONAL", SoftwareTokenMfaConfiguration = { Enabled = true },
      })
      local got = assert(client:get_user_pool_mfa_config { UserPoolId = id })
      assert.same(sections.SMS, got.SmsMfaConfiguration)
      assert.is_true(got.SoftwareTokenMfaConfiguration.Enabled)
      assert.equal("OPTIONAL", got.MfaConfiguration)
    end)

    it("accepts the sections it ignores (Email, WebAuthn, EumsSms)", function()
      local id = new_pool()
      assert(client:set_user_pool_mfa_config(sections.everything(id)))
      local got = assert(client:get_user_pool_mfa_config { UserPoolId = id })
      assert.equal("OPTIONAL", got.MfaConfiguration)
      assert.is_false(got.SoftwareTokenMfaConfiguration.Enabled)
      if got.EmailMfaConfiguration ~= nil then
        assert.same(sections.EMAIL, got.EmailMfaConfiguration)
      end
      if got.WebAuthnConfiguration ~= nil then
        assert.same(sections.WEBAUTHN, got.WebAuthnConfiguration)
      end
    end)

    it("sends the ignored sections exactly and decodes their echo back equal (fault server)", function()
      sections.prove_sent_and_echoed(fault)
    end)
  end)

  describe("listing and describing", function()
    it("iterates every pool with user_pools() (cognito-local has a single page)", function()
      local created = {}
      for i = 1, 5 do
        created[new_pool("listed-" .. i)] = true
      end
      local seen = {}
      for pool, err in client:user_pools() do
        assert.is_nil(err)
        seen[pool.Id] = true
      end
      for id in pairs(created) do
        assert.is_true(seen[id] or false, id)
      end
    end)

    it("describes a pool", function()
      local id = new_pool("described")
      local out = assert(client:describe_user_pool { UserPoolId = id })
      assert.equal(id, out.UserPool.Id)
      assert.equal("described", out.UserPool.Name)
    end)
  end)

  describe("call()", function()
    it("runs operations outside the model", function()
      local id = new_pool()
      local created = assert(client:call("CreateUserPoolClient", { UserPoolId = id, ClientName = "app" }))
      local client_id = created.UserPoolClient.ClientId
      assert.is_string(client_id)
      local described = assert(client:call("DescribeUserPoolClient", { UserPoolId = id, ClientId = client_id }))
      assert.equal("app", described.UserPoolClient.ClientName)
      assert(client:call("AdminCreateUser", {
        UserPoolId = id, Username = "alice@example.com", MessageAction = "SUPPRESS",
        UserAttributes = { { Name = "email", Value = "alice@example.com" } },
      }))
      local user = assert(client:call("AdminGetUser", { UserPoolId = id, Username = "alice@example.com" }))
      assert.is_string(user.Username) -- cognito-local answers with the user's sub
      local email
      for _, a in ipairs(user.UserAttributes) do
        if a.Name == "email" then
          email = a.Value
        end
      end
      assert.equal("alice@example.com", email)
      assert(client:call("DeleteUserPool", { UserPoolId = id }))
      local _, err = client:get_user_pool_mfa_config { UserPoolId = id }
      assert.equal("ResourceNotFoundException", err.code)
    end)

    it("surfaces an operation cognito-local does not support as a service error", function()
      local c = helpers.client(peer, { max_attempts = 1 })
      local out, err = c:call("NoSuchOperation", {})
      c:close()
      assert.is_nil(out)
      assert.equal("service", err.kind)
      assert.equal("Unsupported", err.code)
      assert.equal(500, err.status)
    end)
  end)

  describe("service errors", function()
    for _, case in ipairs {
      { "get_user_pool_mfa_config", { UserPoolId = "local_nope1234" } },
      { "set_user_pool_mfa_config", { UserPoolId = "local_nope1234", MfaConfiguration = "OFF" } },
      { "describe_user_pool", { UserPoolId = "local_nope1234" } },
    } do
      it("surfaces ResourceNotFoundException from " .. case[1], function()
        local out, err = client[case[1]](client, case[2])
        assert.is_nil(out)
        assert.equal("service", err.kind)
        assert.equal("ResourceNotFoundException", err.code)
        assert.equal(400, err.status)
        assert.is_nil(err.request_id) -- cognito-local sends none
        assert.is_false(err.retryable)
        assert.equal(1, err.attempts)
      end)
    end
  end)
end)
