-- Integration specs against moto's server (AWS's replace semantics, AWS-style errors) started on
-- a free loopback port, plus the scripted fault server for what moto cannot produce: the
-- sections moto ignores, and every error code the model lists for the four operations.
local cognito_mfa = require "cognito_mfa"
local helpers = require "spec.helpers"
local sections = require "spec.support.sections"

local copy = sections.copy
local MISSING_POOL = "us-east-1_00000000000000000000000000000000"

describe("moto", function()
  local moto, fault, client

  setup(function()
    moto = helpers.start_peer("moto")
    fault = helpers.start_peer("fault")
    client = helpers.client(moto)
  end)

  teardown(function()
    if client then
      client:close()
    end
    for _, peer in ipairs { moto, fault } do
      if peer then
        peer.stop()
      end
    end
  end)

  local function new_pool(name)
    return helpers.create_pool(client, name or "mfa-spec")
  end

  describe("set then get", function()
    it("starts a new pool with MFA OFF", function()
      local id = new_pool()
      assert.same({ MfaConfiguration = "OFF" }, assert(client:get_user_pool_mfa_config { UserPoolId = id }))
    end)

    it("round-trips SMS MFA with every SmsConfiguration field", function()
      local id = new_pool()
      local params = { UserPoolId = id, MfaConfiguration = "ON", SmsMfaConfiguration = copy(sections.SMS) }
      local set_out = assert(client:set_user_pool_mfa_config(params))
      local got = assert(client:get_user_pool_mfa_config { UserPoolId = id })
      assert.same(sections.SMS, got.SmsMfaConfiguration)
      assert.equal("ON", got.MfaConfiguration)
      assert.same(got, set_out)
    end)

    it("round-trips TOTP enabled, and Enabled = false stays false", function()
      local id = new_pool()
      assert(client:set_user_pool_mfa_config {
        UserPoolId = id, MfaConfiguration = "ON", SoftwareTokenMfaConfiguration = { Enabled = true },
      })
      local got = assert(client:get_user_pool_mfa_config { UserPoolId = id })
      assert.same({ MfaConfiguration = "ON", SoftwareTokenMfaConfiguration = { Enabled = true } }, got)

      assert(client:set_user_pool_mfa_config {
        UserPoolId = id, MfaConfiguration = "OPTIONAL", SoftwareTokenMfaConfiguration = { Enabled = false },
      })
      got = assert(client:get_user_pool_mfa_config { UserPoolId = id })
      assert.is_false(got.SoftwareTokenMfaConfiguration.Enabled)
      assert.equal("OPTIONAL", got.MfaConfiguration)
    end)

    for _, mode in ipairs { "OFF", "ON", "OPTIONAL" } do
      it("round-trips MfaConfiguration " .. mode, function()
        local id = new_pool()
        local params = { UserPoolId = id, MfaConfiguration = mode }
        if mode ~= "OFF" then
          params.SoftwareTokenMfaConfiguration = { Enabled = true }
          params.SmsMfaConfiguration = copy(sections.SMS)
        end
        assert(client:set_user_pool_mfa_config(params))
        local got = assert(client:get_user_pool_mfa_config { UserPoolId = id })
        assert.equal(mode, got.MfaConfiguration)
        if mode ~= "OFF" then
          assert.same(sections.SMS, got.SmsMfaConfiguration)
          assert.same({ Enabled = true }, got.SoftwareTokenMfaConfiguration)
        end
      end)
    end

    it("replaces the whole configuration, as AWS does: sections left out are gone", function()
      local id = new_pool()
      assert(client:set_user_pool_mfa_config {
        UserPoolId = id, MfaConfiguration = "ON", SmsMfaConfiguration = copy(sections.SMS),
        SoftwareTokenMfaConfiguration = { Enabled = true },
      })
      assert(client:set_user_pool_mfa_config {
        UserPoolId = id, MfaConfiguration = "OPTIONAL", SoftwareTokenMfaConfiguration = { Enabled = true },
      })
      local got = assert(client:get_user_pool_mfa_config { UserPoolId = id })
      assert.is_nil(got.SmsMfaConfiguration)
      assert.equal("OPTIONAL", got.MfaConfiguration)
    end)

    it("accepts the sections it ignores (Email, WebAuthn, EumsSms) without storing them", function()
      local id = new_pool()
      assert(client:set_user_pool_mfa_config(sections.everything(id)))
      local got = assert(client:get_user_pool_mfa_config { UserPoolId = id })
      assert.equal("OPTIONAL", got.MfaConfiguration)
      assert.same(sections.SMS.SmsConfiguration.SnsCallerArn, got.SmsMfaConfiguration.SmsConfiguration.SnsCallerArn)
      -- whatever moto does keep of them must be what was sent
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

  describe("user_pools()", function()
    it("iterates more than 130 pools across ListUserPools pages", function()
      local created = {}
      for i = 1, 135 do
        created[new_pool(("paging-%03d"):format(i))] = true
      end
      local pages = 0
      local counting = helpers.client(moto, {
        debug = function(text)
          local _, n = text:gsub("X%-Amz%-Target: AWSCognitoIdentityProviderService%.ListUserPools", "")
          pages = pages + n
        end,
      })
      local seen, total = {}, 0
      for pool, err in counting:user_pools() do
        assert.is_nil(err)
        assert.is_nil(seen[pool.Id], "pool listed twice: " .. pool.Id)
        seen[pool.Id] = true
        total = total + 1
      end
      for id in pairs(created) do
        assert.is_true(seen[id] or false, "pool not listed: " .. id)
      end
      assert.is_true(total >= 135)
      assert.is_true(pages >= 3, "only " .. pages .. " pages")

      pages = 0
      local small = 0
      for pool in counting:user_pools(25) do
        small = small + (pool and 1 or 0)
      end
      assert.equal(total, small)
      assert.is_true(pages >= 6, "only " .. pages .. " pages of 25")
      counting:close()
    end)

    it("pages by hand with list_user_pools and NextToken", function()
      local first = assert(client:list_user_pools { MaxResults = 2 })
      assert.equal(2, #first.UserPools)
      assert.is_string(first.NextToken)
      local second = assert(client:list_user_pools { MaxResults = 2, NextToken = first.NextToken })
      assert.equal(2, #second.UserPools)
      assert.not_equal(first.UserPools[1].Id, second.UserPools[1].Id)
    end)
  end)

  describe("describe_user_pool", function()
    it("describes a pool", function()
      local id = helpers.create_pool(client, "described")
      local out = assert(client:describe_user_pool { UserPoolId = id })
      assert.equal(id, out.UserPool.Id)
      assert.equal("described", out.UserPool.Name)
      assert.is_string(out.UserPool.Arn)
      assert.is_number(out.UserPool.CreationDate)
    end)

    it("fails with ResourceNotFoundException for a missing pool", function()
      local out, err = client:describe_user_pool { UserPoolId = MISSING_POOL }
      assert.is_nil(out)
      assert.equal("ResourceNotFoundException", err.code)
    end)
  end)

  describe("call()", function()
    it("runs operations outside the model: user pool clients, users, deletion", function()
      local id = new_pool()
      local created = assert(client:call("CreateUserPoolClient", { UserPoolId = id, ClientName = "app" }))
      local client_id = created.UserPoolClient.ClientId
      assert.is_string(client_id)
      assert.equal("app", created.UserPoolClient.ClientName)

      local listed = assert(client:call("ListUserPoolClients", { UserPoolId = id, MaxResults = 10 }))
      assert.equal(1, #listed.UserPoolClients)
      assert.equal(client_id, listed.UserPoolClients[1].ClientId)

      local described = assert(client:call("DescribeUserPoolClient", { UserPoolId = id, ClientId = client_id }))
      assert.equal(id, described.UserPoolClient.UserPoolId)

      assert(client:call("AdminCreateUser", { UserPoolId = id, Username = "alice",
        UserAttributes = { { Name = "email", Value = "alice@example.com" } } }))
      local user = assert(client:call("AdminGetUser", { UserPoolId = id, Username = "alice" }))
      assert.equal("alice", user.Username)

      assert.same({}, assert(client:call("DeleteUserPool", { UserPoolId = id })))
      local out, err = client:get_user_pool_mfa_config { UserPoolId = id }
      assert.is_nil(out)
      assert.equal("ResourceNotFoundException", err.code)
    end)

    it("runs the modelled operations by name too", function()
      local id = new_pool()
      assert(client:call("SetUserPoolMfaConfig", {
        UserPoolId = id, MfaConfiguration = "ON", SoftwareTokenMfaConfiguration = { Enabled = true },
      }))
      local got = assert(client:call("GetUserPoolMfaConfig", { UserPoolId = id }))
      assert.equal("ON", got.MfaConfiguration)
    end)
  end)

  describe("service errors from moto", function()
    for _, case in ipairs {
      { "get_user_pool_mfa_config", { UserPoolId = MISSING_POOL } },
      { "describe_user_pool", { UserPoolId = MISSING_POOL } },
      { "set_user_pool_mfa_config", { UserPoolId = MISSING_POOL, MfaConfiguration = "OFF" } },
    } do
      it("surfaces ResourceNotFoundException from " .. case[1], function()
        local out, err = client[case[1]](client, case[2])
        assert.is_nil(out)
        assert.equal("service", err.kind)
        assert.equal("ResourceNotFoundException", err.code)
        assert.equal(400, err.status)
        assert.is_string(err.request_id)
        assert.is_false(err.retryable)
        assert.equal(1, err.attempts)
        assert.truthy(err.message:find(MISSING_POOL, 1, true), err.message)
      end)
    end

    it("surfaces moto's InvalidParameterException (ON without a factor)", function()
      local id = new_pool()
      local out, err = client:set_user_pool_mfa_config { UserPoolId = id, MfaConfiguration = "ON" }
      assert.is_nil(out)
      assert.equal("service", err.kind)
      assert.equal("InvalidParameterException", err.code)
      assert.equal(400, err.status)
      assert.is_string(err.request_id)
      assert.is_false(err.retryable)
      assert.equal(1, err.attempts)
      assert.is_nil(tostring(err):find("\n", 1, true))
    end)

    it("surfaces moto's InvalidParameterException (MfaConfiguration left out)", function()
      local id = new_pool()
      local _, err = client:set_user_pool_mfa_config {
        UserPoolId = id, SoftwareTokenMfaConfiguration = { Enabled = true },
      }
      assert.equal("InvalidParameterException", err.code)
    end)
  end)

  describe("every modelled error code (fault server)", function()
    local RETRYABLE = { TooManyRequestsException = true, InternalErrorException = true }
    local METHOD = {
      GetUserPoolMfaConfig = { "get_user_pool_mfa_config", { UserPoolId = "us-east-1_Err0r" } },
      SetUserPoolMfaConfig = {
        "set_user_pool_mfa_config", { UserPoolId = "us-east-1_Err0r", MfaConfiguration = "OFF" },
      },
      ListUserPools = { "list_user_pools", { MaxResults = 10 } },
      DescribeUserPool = { "describe_user_pool", { UserPoolId = "us-east-1_Err0r" } },
    }
    local operations = cognito_mfa.model().operations
    local names = {}
    for name in pairs(operations) do
      names[#names + 1] = name
    end
    table.sort(names)

    it("covers the four operations", function()
      for name in pairs(METHOD) do
        assert.is_table(operations[name], name)
        assert.is_true(#operations[name].errors > 0, name)
      end
    end)

    for _, opname in ipairs(names) do
      for _, code in ipairs(operations[opname].errors) do
        local status = code == "InternalErrorException" and 500 or 400
        for _, style in ipairs { "header", "namespaced body" } do
          it(("surfaces %s from %s by name (%s)"):format(code, opname, style), function()
            local request_id = "rid-" .. code
            local step
            if style == "header" then
              step = {
                status = status,
                headers = { ["x-amzn-RequestId"] = request_id, ["X-Amzn-ErrorType"] = code .. ":" },
                body = cognito_mfa.encode_json { __type = code, message = "scripted " .. code },
              }
            else
              step = {
                status = status,
                headers = { ["x-amzn-RequestId"] = request_id, ["Content-Type"] = "application/json" },
                body = cognito_mfa.encode_json {
                  __type = "com.amazonaws.cognito.identity.idp.model#" .. code, Message = "scripted " .. code,
                },
              }
            end
            helpers.script(fault, { step })
            local c = helpers.client(fault, { max_attempts = 2 })
            local method, params = METHOD[opname][1], METHOD[opname][2]
            local out, err = c[method](c, params)
            c:close()
            assert.is_nil(out)
            assert.equal("service", err.kind)
            assert.equal(code, err.code)
            assert.equal(status, err.status)
            assert.equal(request_id, err.request_id)
            assert.truthy(err.message:find("scripted " .. code, 1, true), err.message)
            assert.equal(RETRYABLE[code] or false, err.retryable)
            local expected_attempts = RETRYABLE[code] and 2 or 1
            assert.equal(expected_attempts, err.attempts)
            assert.equal(expected_attempts, #helpers.requests(fault))
            assert.is_nil(tostring(err):find("\n", 1, true))
          end)
        end
      end
    end

    -- The Smithy model gives some of these other statuses; the code decides, not the status.
    for _, case in ipairs {
      { "TooManyRequestsException", 429, true },
      { "NotAuthorizedException", 403, false },
      { "ResourceNotFoundException", 404, false },
      { "FeatureUnavailableInTierException", 403, false },
    } do
      it(("surfaces %s sent with HTTP %d by name"):format(case[1], case[2]), function()
        helpers.script(fault, { {
          status = case[2], headers = { ["x-amzn-RequestId"] = "rid" },
          body = cognito_mfa.encode_json { __type = case[1], message = "m" },
        } })
        local c = helpers.client(fault, { max_attempts = 2 })
        local _, err = c:set_user_pool_mfa_config { UserPoolId = "us-east-1_Err0r", MfaConfiguration = "OFF" }
        c:close()
        assert.equal(case[1], err.code)
        assert.equal(case[2], err.status)
        assert.equal(case[3], err.retryable)
        assert.equal(case[3] and 2 or 1, #helpers.requests(fault))
      end)
    end
  end)
end)

describe("moto checking signatures", function()
  local peer

  setup(function()
    peer = helpers.start_peer("moto-auth")
  end)

  teardown(function()
    if peer then
      peer.stop()
    end
  end)

  it("accepts our signatures", function()
    assert.is_string(peer.access_key_id)
    local client = helpers.client(peer)
    local id = helpers.create_pool(client, "signed")
    assert(client:set_user_pool_mfa_config {
      UserPoolId = id, MfaConfiguration = "ON", SoftwareTokenMfaConfiguration = { Enabled = true },
    })
    local got = assert(client:get_user_pool_mfa_config { UserPoolId = id })
    assert.equal("ON", got.MfaConfiguration)
    assert(client:describe_user_pool { UserPoolId = id })
    assert(client:list_user_pools { MaxResults = 10 })
    client:close()
  end)

  it("rejects a wrong secret key with SignatureDoesNotMatch", function()
    local client = helpers.client(peer, { credentials = {
      access_key_id = peer.access_key_id, secret_access_key = "not-the-secret-key",
    } })
    local out, err = client:list_user_pools { MaxResults = 10 }
    client:close()
    assert.is_nil(out)
    assert.equal("service", err.kind)
    assert.equal("SignatureDoesNotMatch", err.code)
    assert.equal(403, err.status)
    assert.is_false(err.retryable)
    assert.equal(1, err.attempts)
    assert.is_nil(tostring(err):find("not-the-secret-key", 1, true))
  end)

  it("rejects an unknown access key with InvalidClientTokenId", function()
    local client = helpers.client(peer, { credentials = {
      access_key_id = "AKIAUNKNOWNEXAMPLE00", secret_access_key = "whatever",
    } })
    local _, err = client:get_user_pool_mfa_config { UserPoolId = MISSING_POOL }
    client:close()
    assert.equal("InvalidClientTokenId", err.code)
    assert.equal("service", err.kind)
  end)
end)
