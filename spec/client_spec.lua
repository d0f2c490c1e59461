-- Unit specs for the client with a fake transport (spec/support/fake_transport.lua): the
-- request the core prepares, the body it encodes, retries, error objects, results, paging,
-- misuse, validate(), pretty() and tostring. Nothing here opens a socket.
local cognito_mfa = require "cognito_mfa"
local fake = require "spec.support.fake_transport"
local helpers = require "spec.helpers"

local POOL = "us-east-1_Ab12Cd34"

local function decode(text)
  return assert(cognito_mfa.decode_json(text))
end

local function count(t)
  local n = 0
  for _ in pairs(t) do
    n = n + 1
  end
  return n
end

-- Runs spec/support/sigv4_verify.py over a request: the signature recomputed outside libcmfa.
local function expected_signature(request, secret)
  local path = os.tmpname()
  local f = assert(io.open(path, "w"))
  f:write(cognito_mfa.encode_json {
    method = request.method, url = request.url, headers = request.headers,
    body = request.body, secret = secret,
  })
  f:close()
  local p = assert(io.popen(helpers.CLEAN_ENV .. "python3 spec/support/sigv4_verify.py " .. path))
  local sig = p:read("*l")
  p:close()
  os.remove(path)
  return sig
end

describe("cognito_mfa client", function()
  it("has a version x.y.z", function()
    assert.is_string(cognito_mfa.VERSION)
    assert.truthy(cognito_mfa.VERSION:match("^%d+%.%d+%.%d+$"))
  end)

  describe("request handed to the transport", function()
    local ops = {
      { "get_user_pool_mfa_config", "GetUserPoolMfaConfig", { UserPoolId = POOL } },
      { "set_user_pool_mfa_config", "SetUserPoolMfaConfig", { UserPoolId = POOL, MfaConfiguration = "OFF" } },
      { "list_user_pools", "ListUserPools", { MaxResults = 10 } },
      { "describe_user_pool", "DescribeUserPool", { UserPoolId = POOL } },
    }
    for _, case in ipairs(ops) do
      local method, operation, params = case[1], case[2], case[3]
      it("is a signed JSON 1.1 POST for " .. operation, function()
        local t = fake.new()
        local client = fake.client(t)
        assert(client[method](client, params))
        assert.equal(1, #t.requests)
        local req = t.requests[1]
        assert.equal("POST", req.method)
        assert.equal("https://cognito-idp.us-east-1.amazonaws.com", req.url:gsub("/$", ""))
        assert.equal("application/x-amz-json-1.1", fake.header(req, "Content-Type"))
        assert.equal("AWSCognitoIdentityProviderService." .. operation, fake.header(req, "X-Amz-Target"))
        local date = fake.header(req, "X-Amz-Date")
        assert.truthy(date:match("^%d%d%d%d%d%d%d%dT%d%d%d%d%d%dZ$"), date)
        local auth = fake.header(req, "Authorization")
        local akid, day, region, sig = auth:match(
          "^AWS4%-HMAC%-SHA256 Credential=([^/]+)/(%d+)/([^/]+)/cognito%-idp/aws4_request, " ..
          "SignedHeaders=content%-type;host;x%-amz%-date;x%-amz%-target, Signature=(%x+)$")
        assert.is_not_nil(akid, auth)
        assert.equal(fake.CREDENTIALS.access_key_id, akid)
        assert.equal(date:sub(1, 8), day)
        assert.equal("us-east-1", region)
        assert.equal(64, #sig)
        assert.is_nil(fake.header(req, "X-Amz-Security-Token"))
        assert.same(params, decode(req.body))
      end)
    end

    it("carries a signature that an independent SigV4 implementation agrees with", function()
      local t = fake.new()
      local client = fake.client(t)
      assert(client:set_user_pool_mfa_config {
        UserPoolId = POOL, MfaConfiguration = "ON", SoftwareTokenMfaConfiguration = { Enabled = true },
      })
      local req = t.requests[1]
      local sig = fake.header(req, "Authorization"):match("Signature=(%x+)$")
      assert.equal(expected_signature(req, fake.CREDENTIALS.secret_access_key), sig)
    end)

    it("sends and signs X-Amz-Security-Token when a session token is given", function()
      local t = fake.new()
      local creds = {
        access_key_id = "ASIAFAKEEXAMPLE", secret_access_key = "tempSecret/EXAMPLE+KEY",
        session_token = "FwoGZXIvYXdzEXAMPLEsessionTOKEN//=",
      }
      local client = fake.client(t, { credentials = creds })
      assert(client:get_user_pool_mfa_config { UserPoolId = POOL })
      local req = t.requests[1]
      assert.equal(creds.session_token, fake.header(req, "X-Amz-Security-Token"))
      local auth = fake.header(req, "Authorization")
      assert.truthy(auth:find(
        "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target,", 1, true), auth)
      assert.truthy(auth:find("Credential=ASIAFAKEEXAMPLE/", 1, true))
      assert.equal(expected_signature(req, creds.secret_access_key), auth:match("Signature=(%x+)$"))
    end)

    it("puts the client's region in the URL and the credential scope", function()
      local t = fake.new()
      local client = fake.client(t, { region = "eu-west-1" })
      assert(client:get_user_pool_mfa_config { UserPoolId = "eu-west-1_Ab12" })
      local req = t.requests[1]
      assert.truthy(req.url:find("https://cognito-idp.eu-west-1.amazonaws.com", 1, true))
      assert.truthy(fake.header(req, "Authorization"):find("/eu-west-1/cognito-idp/aws4_request", 1, true))
    end)

    it("uses endpoint_url verbatim and signs its host", function()
      local t = fake.new()
      local client = fake.client(t, { endpoint_url = "http://127.0.0.1:9" })
      assert(client:get_user_pool_mfa_config { UserPoolId = POOL })
      local req = t.requests[1]
      assert.equal("http://127.0.0.1:9", req.url:gsub("/$", ""))
      assert.equal("127.0.0.1:9", fake.header(req, "Host"))
      assert.equal(expected_signature(req, fake.CREDENTIALS.secret_access_key),
                   fake.header(req, "Authorization"):match("Signature=(%x+)$"))
    end)
  end)

  describe("request body", function()
    local function sent(params, method)
      local t = fake.new()
      local client = fake.client(t)
      assert(client[method or "set_user_pool_mfa_config"](client, params))
      return t.requests[1].body
    end

    it("keeps Enabled = false a JSON false", function()
      local body = sent {
        UserPoolId = POOL, MfaConfiguration = "OFF", SoftwareTokenMfaConfiguration = { Enabled = false },
      }
      assert.truthy(body:find('"SoftwareTokenMfaConfiguration":{"Enabled":false}', 1, true), body)
      assert.equal(false, decode(body).SoftwareTokenMfaConfiguration.Enabled)
    end)

    it("keeps Enabled = true a JSON true", function()
      local body = sent {
        UserPoolId = POOL, MfaConfiguration = "ON", SoftwareTokenMfaConfiguration = { Enabled = true },
      }
      assert.truthy(body:find('"Enabled":true', 1, true), body)
    end)

    it("keeps empty sections JSON objects", function()
      local body = sent {
        UserPoolId = POOL, MfaConfiguration = "OPTIONAL", EmailMfaConfiguration = {},
        WebAuthnConfiguration = {}, SmsMfaConfiguration = { SmsConfiguration = {} },
      }
      assert.truthy(body:find('"EmailMfaConfiguration":{}', 1, true), body)
      assert.truthy(body:find('"WebAuthnConfiguration":{}', 1, true), body)
      assert.truthy(body:find('"SmsMfaConfiguration":{"SmsConfiguration":{}}', 1, true), body)
      assert.is_nil(body:find("[]", 1, true))
    end)

    it("sends every section exactly as given", function()
      local params = {
        UserPoolId = POOL,
        MfaConfiguration = "OPTIONAL",
        SmsMfaConfiguration = {
          SmsAuthenticationMessage = "Your code is {####}",
          SmsConfiguration = {
            SnsCallerArn = "arn:aws:iam::123456789012:role/service-role/sms",
            ExternalId = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",
            SnsRegion = "us-east-1",
            EumsSms = {
              CallerArn = "arn:aws:iam::123456789012:role/eums", ExternalId = "ext",
              OriginationIdentity = "+12065550100", ConfigurationSetName = "cs",
              InEntityId = "entity", InTemplateId = "template", Region = "ap-south-1",
            },
          },
        },
        SoftwareTokenMfaConfiguration = { Enabled = true },
        EmailMfaConfiguration = { Message = "Your sign-in code is {####}", Subject = "Sign-in code" },
        WebAuthnConfiguration = {
          RelyingPartyId = "auth.example.com", UserVerification = "preferred",
          FactorConfiguration = "MULTI_FACTOR_WITH_USER_VERIFICATION",
        },
      }
      assert.same(params, decode(sent(params)))
    end)

    it("sends integers as JSON integers", function()
      local body = sent({ MaxResults = 60 }, "list_user_pools")
      assert.truthy(body:find('"MaxResults":60', 1, true), body)
      assert.is_nil(body:find("60.0", 1, true))
    end)

    it("sends {} when call() is given no parameters", function()
      local t = fake.new()
      local client = fake.client(t)
      assert(client:call("ListUserPoolClients"))
      assert.equal("{}", t.requests[1].body)
      assert.equal("AWSCognitoIdentityProviderService.ListUserPoolClients",
                   fake.header(t.requests[1], "X-Amz-Target"))
    end)

    it("leaves members set to cognito_mfa.NULL out and keeps null inside arrays", function()
      local t = fake.new()
      local client = fake.client(t)
      assert(client:set_user_pool_mfa_config {
        UserPoolId = POOL, MfaConfiguration = "OFF", EmailMfaConfiguration = cognito_mfa.NULL,
      })
      assert.same({ UserPoolId = POOL, MfaConfiguration = "OFF" }, decode(t.requests[1].body))
      assert(client:call("AdminUpdateUserAttributes", {
        Values = setmetatable({ 1, cognito_mfa.NULL, "x" }, cognito_mfa.array_mt), Gone = cognito_mfa.NULL,
      }))
      local body = t.requests[2].body
      assert.truthy(body:find('"Values":[1,null,"x"]', 1, true), body)
      assert.is_nil(body:find("Gone", 1, true))
    end)

    it("sends an empty table marked with cognito_mfa.array_mt as []", function()
      local t = fake.new()
      local client = fake.client(t)
      assert(client:call("TagResource", { Tags = setmetatable({}, cognito_mfa.array_mt), Other = {} }))
      local body = t.requests[1].body
      assert.truthy(body:find('"Tags":[]', 1, true), body)
      assert.truthy(body:find('"Other":{}', 1, true), body)
    end)
  end)

  describe("retries", function()
    local ok200 = fake.response(200, { MfaConfiguration = "OFF" })

    it("paces requests at max_rate, whatever the transport", function()
      local t = fake.new { ok200 }
      local real_sleep = require("cognito_mfa.core").sleep
      local waited = 0
      local client = assert(cognito_mfa.client {
        region = "us-east-1", credentials = { access_key_id = "AKID", secret_access_key = "s" },
        transport = t.transport, max_rate = 20,
        sleep = function(seconds) waited = waited + seconds; real_sleep(seconds) end,
      })
      assert.equal(20, client:send_rate())
      for _ = 1, 11 do
        assert(client:get_user_pool_mfa_config { UserPoolId = POOL })
      end
      assert.equal(11, #t.requests)
      -- ten gaps of 50 ms: the core asked the transport loop to wait about half a second
      assert.is_true(waited >= 0.4 and waited <= 0.6, "waited " .. waited)
    end)

    it("takes retry_mode from the option, and refuses an unknown one", function()
      local base = { region = "us-east-1", credentials = { access_key_id = "AKID", secret_access_key = "s" } }
      local c = assert(cognito_mfa.client(base))
      assert.equal("standard", c:retry_mode())
      base.retry_mode = "adaptive"
      c = assert(cognito_mfa.client(base))
      assert.equal("adaptive", c:retry_mode())
      assert.equal(0, c:send_rate())   -- nothing limits before the first throttle
      base.retry_mode = "fast"
      assert.has_error(function() cognito_mfa.client(base) end)
      base.retry_mode, base.max_rate = nil, -1
      assert.has_error(function() cognito_mfa.client(base) end)
    end)

    local function within_full_jitter(delays)
      for i, d in ipairs(delays) do
        assert.is_number(d)
        assert.is_true(d >= 0, "delay " .. i .. " is negative: " .. d)
        local cap = math.min(2 ^ (i - 1), 20)
        assert.is_true(d <= cap, ("delay %d is %g, above the full-jitter bound %g"):format(i, d, cap))
      end
    end

    it("retries 503 twice and then succeeds on the third attempt", function()
      local t = fake.new { fake.response(503, ""), fake.response(503, ""), ok200 }
      local client = fake.client(t)
      local out, err = client:get_user_pool_mfa_config { UserPoolId = POOL }
      assert.is_nil(err)
      assert.same({ MfaConfiguration = "OFF" }, out)
      assert.equal(3, #t.requests)
      assert.equal(2, #t.delays)
      within_full_jitter(t.delays)
    end)

    it("signs every attempt again with the same body", function()
      local t = fake.new { fake.response(503, ""), ok200 }
      local client = fake.client(t)
      assert(client:get_user_pool_mfa_config { UserPoolId = POOL })
      assert.equal(2, #t.requests)
      assert.equal(t.requests[1].body, t.requests[2].body)
      for _, req in ipairs(t.requests) do
        assert.truthy(fake.header(req, "Authorization"):match("Signature=%x+$"))
      end
    end)

    it("gives up after max_attempts (default 3) with the last error", function()
      local t = fake.new { fake.response(503, "") }
      local client = fake.client(t)
      local out, err = client:get_user_pool_mfa_config { UserPoolId = POOL }
      assert.is_nil(out)
      assert.equal(3, #t.requests)
      assert.equal(3, err.attempts)
      assert.equal(503, err.status)
      assert.is_true(err.retryable)
      assert.equal("service", err.kind)
    end)

    for _, code in ipairs { "TooManyRequestsException", "ThrottlingException" } do
      it("retries the throttling error " .. code, function()
        local t = fake.new { fake.aws_error(400, code), fake.aws_error(400, code), ok200 }
        local client = fake.client(t)
        assert(client:get_user_pool_mfa_config { UserPoolId = POOL })
        assert.equal(3, #t.requests)
        within_full_jitter(t.delays)
      end)
    end

    it("retries InternalErrorException (HTTP 500)", function()
      local t = fake.new { fake.aws_error(500, "InternalErrorException") }
      local client = fake.client(t)
      local _, err = client:get_user_pool_mfa_config { UserPoolId = POOL }
      assert.equal("InternalErrorException", err.code)
      assert.equal(3, #t.requests)
      assert.equal(3, err.attempts)
      assert.is_true(err.retryable)
    end)

    for _, code in ipairs { "ResourceNotFoundException", "InvalidParameterException", "NotAuthorizedException",
                            "ConcurrentModificationException" } do
      it("never retries " .. code, function()
        local t = fake.new { fake.aws_error(400, code), ok200 }
        local client = fake.client(t)
        local out, err = client:get_user_pool_mfa_config { UserPoolId = POOL }
        assert.is_nil(out)
        assert.equal(code, err.code)
        assert.equal(1, #t.requests)
        assert.equal(0, #t.delays)
        assert.equal(1, err.attempts)
        assert.is_false(err.retryable)
      end)
    end

    it("treats nil, \"timeout\" from the transport as a retryable transport failure", function()
      local t = fake.new { { fail = "timeout" } }
      local client = fake.client(t)
      local out, err = client:get_user_pool_mfa_config { UserPoolId = POOL }
      assert.is_nil(out)
      assert.equal("transport", err.kind)
      assert.equal("CMFA_E_TIMEOUT", err.code)
      assert.is_true(err.retryable)
      assert.equal(3, err.attempts)
      assert.equal(3, #t.requests)
      assert.is_nil(err.status)
    end)

    it("recovers when a transport failure is followed by a response", function()
      local t = fake.new { { fail = "connection reset by peer" }, { fail = "timeout" }, ok200 }
      local client = fake.client(t)
      assert.same({ MfaConfiguration = "OFF" }, client:get_user_pool_mfa_config { UserPoolId = POOL })
      assert.equal(3, #t.requests)
    end)

    it("honours max_attempts = 1 (no retry) and max_attempts = 5", function()
      local t = fake.new { fake.response(503, "") }
      local client = fake.client(t, { max_attempts = 1 })
      assert.equal(1, client:max_attempts())
      local _, err = client:get_user_pool_mfa_config { UserPoolId = POOL }
      assert.equal(1, #t.requests)
      assert.equal(1, err.attempts)
      assert.equal(0, #t.delays)

      t = fake.new { { fail = "timeout" } }
      client = fake.client(t, { max_attempts = 5 })
      assert.equal(5, client:max_attempts())
      _, err = client:get_user_pool_mfa_config { UserPoolId = POOL }
      assert.equal(5, #t.requests)
      assert.equal(5, err.attempts)
      assert.equal(4, #t.delays)
      within_full_jitter(t.delays)
    end)

    it("keeps every backoff within the full-jitter bounds, capped at 20 s", function()
      local t = fake.new { fake.response(503, "") }
      local client = fake.client(t, { max_attempts = 8 })
      client:get_user_pool_mfa_config { UserPoolId = POOL }
      assert.equal(8, #t.requests)
      assert.equal(7, #t.delays)
      within_full_jitter(t.delays)
    end)
  end)

  describe("error objects", function()
    local FIELDS = { "kind", "code", "message", "status", "request_id", "retryable", "attempts" }

    it("come from one constructor, cognito_mfa.error, with defaults and tostring", function()
      local err = cognito_mfa.error { kind = "usage", message = "bad page size" }
      assert.equal("CMFA_E_BAD_ARGUMENT", err.name)
      assert.equal("CMFA_E_BAD_ARGUMENT", err.code)
      assert.is_false(err.retryable)
      assert.equal(0, err.attempts)
      assert.equal("cognito_mfa usage error: bad page size [CMFA_E_BAD_ARGUMENT]", tostring(err))
      local same = cognito_mfa.error { kind = "validation", code = "PreflightRefused", message = "no",
                                       violations = { { path = "P", rule = "r", message = "m" } } }
      assert.equal("PreflightRefused", same.code)
      assert.equal("CMFA_E_VALIDATION", same.name)
      assert.equal(getmetatable(err), getmetatable(same))
      -- the core's own errors carry the same metatable
      local _, verr = cognito_mfa.validate("GetUserPoolMfaConfig", {})
      assert.equal(getmetatable(err), getmetatable(verr))
      assert.has_error(function() cognito_mfa.error { kind = "oops", message = "x" } end)
      assert.has_error(function() cognito_mfa.error { kind = "usage" } end)
    end)

    it("describe a service error completely", function()
      local t = fake.new { fake.aws_error(400, "ResourceNotFoundException", "User pool x does not exist.", "rid-1") }
      local client = fake.client(t)
      local out, err = client:describe_user_pool { UserPoolId = POOL }
      assert.is_nil(out)
      for _, f in ipairs(FIELDS) do
        assert.is_not_nil(err[f], f)
      end
      assert.equal("service", err.kind)
      assert.equal("ResourceNotFoundException", err.code)
      assert.equal(400, err.status)
      assert.equal("rid-1", err.request_id)
      assert.is_false(err.retryable)
      assert.equal(1, err.attempts)
      assert.truthy(err.message:find("User pool x does not exist.", 1, true))
      local line = tostring(err)
      assert.is_nil(line:find("\n", 1, true))
      assert.truthy(line:find("ResourceNotFoundException", 1, true))
      assert.truthy(line:find("rid-1", 1, true))
      assert.truthy(line:find("service", 1, true))
    end)

    it("take the code from the body when there is no X-Amzn-ErrorType header", function()
      local t = fake.new { fake.response(400, { __type = "aws.cognito#NotAuthorizedException", message = "no" }) }
      local _, err = fake.client(t):get_user_pool_mfa_config { UserPoolId = POOL }
      assert.equal("NotAuthorizedException", err.code)
      assert.is_nil(err.request_id)
    end)

    it("describe a validation error with its violations", function()
      local t = fake.new()
      local client = fake.client(t)
      local out, err = client:set_user_pool_mfa_config {
        UserPoolId = POOL, SmsMfaConfiguration = { SmsAuthenticationMessage = "no code here" },
      }
      assert.is_nil(out)
      assert.equal(0, #t.requests)
      assert.equal("validation", err.kind)
      assert.equal(0, err.attempts)
      assert.is_false(err.retryable)
      assert.equal(1, #err.violations)
      assert.same("SmsMfaConfiguration.SmsAuthenticationMessage", err.violations[1].path)
      assert.same("pattern", err.violations[1].rule)
      assert.is_string(err.violations[1].message)
      assert.is_nil(tostring(err):find("\n", 1, true))
    end)

    it("describe a transport error on one line, even when the transport's message has several", function()
      local t = fake.new { { fail = "line one\nline two" } }
      local _, err = fake.client(t, { max_attempts = 1 }):get_user_pool_mfa_config { UserPoolId = POOL }
      assert.equal("transport", err.kind)
      assert.truthy(err.message:find("line one", 1, true))
      assert.is_nil(tostring(err):find("\n", 1, true))
      assert.truthy(tostring(err):find("line one line two", 1, true))
    end)

    it("report a transport function that raises as a transport error", function()
      local t = fake.new { function() error("cosocket exploded") end }
      local _, err = fake.client(t, { max_attempts = 1 }):get_user_pool_mfa_config { UserPoolId = POOL }
      assert.equal("transport", err.kind)
      assert.truthy(err.message:find("cosocket exploded", 1, true))
    end)

    it("report a malformed transport result as a bad response", function()
      for _, bad in ipairs {
        function() return "text" end,
        function() return { status = "200", body = "{}" } end,
        function() return { status = 200, headers = "x", body = "{}" } end,
        function() return { status = 200, headers = {}, body = {} } end,
        function() return { status = 200.5, headers = {}, body = "{}" } end,
      } do
        local t = fake.new { bad }
        local _, err = fake.client(t):get_user_pool_mfa_config { UserPoolId = POOL }
        assert.equal("transport", err.kind)
        assert.equal("CMFA_E_BAD_RESPONSE", err.code)
      end
    end)

    it("report a 200 whose body is not JSON as a bad response", function()
      local t = fake.new { fake.response(200, "<html>") }
      local _, err = fake.client(t):get_user_pool_mfa_config { UserPoolId = POOL }
      assert.equal("transport", err.kind)
      assert.equal(1, #t.requests)
    end)

    it("describe configuration failures as credentials errors", function()
      local c, err = cognito_mfa.client { region = "us-east-1", credentials = { access_key_id = "AKIDONLY" } }
      assert.is_nil(c)
      assert.equal("credentials", err.kind)
      c, err = cognito_mfa.client { region = "not a region!", credentials = fake.CREDENTIALS }
      assert.is_nil(c)
      assert.equal("credentials", err.kind)
      assert.is_nil(tostring(err):find("\n", 1, true))
    end)

    it("are printable with pretty()", function()
      local t = fake.new { fake.aws_error(400, "InvalidParameterException", "bad", "rid-2") }
      local _, err = fake.client(t):get_user_pool_mfa_config { UserPoolId = POOL }
      local text = cognito_mfa.pretty(err)
      assert.truthy(text:find('code = "InvalidParameterException"', 1, true), text)
      assert.truthy(text:find('request_id = "rid-2"', 1, true), text)
    end)
  end)

  describe("results", function()
    it("keep members the model does not know", function()
      local t = fake.new { fake.response(200, [[{"MfaConfiguration":"ON",
        "SoftwareTokenMfaConfiguration":{"Enabled":true,"FutureFlag":"x"},
        "BrandNewSection":{"Nested":{"Deep":[1,2,3]},"Flag":false}}]]) }
      local out = assert(fake.client(t):get_user_pool_mfa_config { UserPoolId = POOL })
      assert.equal("ON", out.MfaConfiguration)
      assert.equal("x", out.SoftwareTokenMfaConfiguration.FutureFlag)
      assert.is_true(out.SoftwareTokenMfaConfiguration.Enabled)
      assert.is_false(out.BrandNewSection.Flag)
      assert.same({ 1, 2, 3 }, out.BrandNewSection.Nested.Deep)
    end)

    it("decode null as cognito_mfa.NULL and arrays with cognito_mfa.array_mt", function()
      local t = fake.new { fake.response(200, '{"NextToken":null,"UserPools":[],"L":[null,1]}') }
      local out = assert(fake.client(t):list_user_pools { MaxResults = 5 })
      assert.equal(cognito_mfa.NULL, out.NextToken)
      assert.equal(cognito_mfa.array_mt, getmetatable(out.UserPools))
      assert.equal(0, #out.UserPools)
      assert.equal(cognito_mfa.NULL, out.L[1])
      assert.equal(1, out.L[2])
    end)

    it("decode an empty object as an empty table", function()
      local t = fake.new { fake.response(200, "{}") }
      assert.same({}, fake.client(t):set_user_pool_mfa_config { UserPoolId = POOL, MfaConfiguration = "OFF" })
    end)

    it("round-trip: a decoded result can be sent again unchanged", function()
      local config = {
        MfaConfiguration = "ON", SoftwareTokenMfaConfiguration = { Enabled = false },
        EmailMfaConfiguration = {},
      }
      local t = fake.new { fake.response(200, config) }
      local client = fake.client(t)
      local out = assert(client:get_user_pool_mfa_config { UserPoolId = POOL })
      out.UserPoolId = POOL
      assert(client:set_user_pool_mfa_config(out))
      local body = t.requests[2].body
      assert.truthy(body:find('"Enabled":false', 1, true))
      assert.truthy(body:find('"EmailMfaConfiguration":{}', 1, true))
    end)

    it("give call() access to operations outside the model, with their results", function()
      local t = fake.new { fake.response(200, { UserPoolClient = { ClientId = "abc", ClientName = "app" } }) }
      local client = fake.client(t)
      local out = assert(client:call("CreateUserPoolClient", { UserPoolId = POOL, ClientName = "app" }))
      assert.equal("abc", out.UserPoolClient.ClientId)
      assert.equal("AWSCognitoIdentityProviderService.CreateUserPoolClient", fake.header(t.requests[1], "X-Amz-Target"))
      assert.same({ UserPoolId = POOL, ClientName = "app" }, decode(t.requests[1].body))
    end)
  end)

  describe("user_pools()", function()
    -- A fake ListUserPools: total pools, pages of the requested size, opaque tokens.
    local function paging_transport(total, fail_on_page)
      local pages = 0
      return function(req)
        local params = decode(req.body)
        local start = tonumber(params.NextToken and params.NextToken:match("^tok(%d+)$") or 0)
        pages = pages + 1
        if pages == fail_on_page then
          return fake.aws_error(400, "NotAuthorizedException", "nope")
        end
        local pools = setmetatable({}, cognito_mfa.array_mt)
        for i = start + 1, math.min(start + params.MaxResults, total) do
          pools[#pools + 1] = { Id = ("us-east-1_p%03d"):format(i), Name = "pool" .. i }
        end
        local out = { UserPools = pools }
        if start + params.MaxResults < total then
          out.NextToken = "tok" .. (start + params.MaxResults)
        end
        return fake.response(200, out)
      end
    end

    it("iterates every pool across pages, following NextToken", function()
      local t = fake.new { paging_transport(135) }
      local client = fake.client(t)
      local ids = {}
      for pool, err in client:user_pools() do
        assert.is_nil(err)
        ids[#ids + 1] = pool.Id
      end
      assert.equal(135, #ids)
      assert.equal("us-east-1_p001", ids[1])
      assert.equal("us-east-1_p135", ids[135])
      assert.equal(3, #t.requests)
      assert.same({ MaxResults = 60 }, decode(t.requests[1].body))
      assert.same({ MaxResults = 60, NextToken = "tok60" }, decode(t.requests[2].body))
      assert.same({ MaxResults = 60, NextToken = "tok120" }, decode(t.requests[3].body))
    end)

    it("accepts a page size", function()
      local t = fake.new { paging_transport(25) }
      local n = 0
      for pool in fake.client(t):user_pools(10) do
        n = n + (pool and 1 or 0)
      end
      assert.equal(25, n)
      assert.equal(3, #t.requests)
    end)

    it("ends at once when there are no pools", function()
      local t = fake.new { fake.response(200, { UserPools = setmetatable({}, cognito_mfa.array_mt) }) }
      for _ in fake.client(t):user_pools() do
        error("no pool expected")
      end
      assert.equal(1, #t.requests)
    end)

    it("yields false, err once when a page fails, then ends", function()
      local t = fake.new { paging_transport(135, 2) }
      local got, errs = 0, {}
      for pool, err in fake.client(t):user_pools() do
        if pool then
          got = got + 1
        else
          assert.is_false(pool)
          errs[#errs + 1] = err
        end
      end
      assert.equal(60, got)
      assert.equal(1, #errs)
      assert.equal("NotAuthorizedException", errs[1].code)
      assert.equal(2, #t.requests)
    end)
  end)

  describe("misuse", function()
    local client
    before_each(function()
      client = fake.client(fake.new())
    end)

    it("raises for options that are not a table", function()
      assert.has_error(function() cognito_mfa.client(5) end)
      assert.has_error(function() cognito_mfa.client("us-east-1") end)
    end)

    it("raises for an unknown option name, naming it", function()
      local ok, msg = pcall(cognito_mfa.client, { regoin = "us-east-1" })
      assert.is_false(ok)
      assert.truthy(tostring(msg):find("regoin", 1, true))
      assert.has_error(function()
        cognito_mfa.client { region = "us-east-1", credentials = { access_key = "x" } }
      end)
    end)

    it("raises for options of the wrong type, naming them", function()
      for name, bad in pairs {
        region = 5, profile = {}, endpoint_url = 1, credentials = "x", connect_timeout = "5",
        read_timeout = true, max_attempts = "3", verify_tls = "no", ca_file = 1, transport = "x",
        debug = 1, sleep = {},
      } do
        local ok, msg = pcall(cognito_mfa.client, { [name] = bad })
        assert.is_false(ok, name)
        assert.truthy(tostring(msg):find(name, 1, true), msg)
      end
      assert.has_error(function()
        cognito_mfa.client { credentials = { access_key_id = 5, secret_access_key = "x" } }
      end)
    end)

    it("raises for option values out of range", function()
      assert.has_error(function() cognito_mfa.client { max_attempts = 0 } end)
      assert.has_error(function() cognito_mfa.client { max_attempts = 2.5 } end)
      assert.has_error(function() cognito_mfa.client { connect_timeout = -1 } end)
      assert.has_error(function() cognito_mfa.client { read_timeout = 0 } end)
    end)

    it("raises when an operation gets a number, a string or nothing instead of a table", function()
      assert.has_error(function() client:get_user_pool_mfa_config(5) end)
      assert.has_error(function() client:set_user_pool_mfa_config("x") end)
      assert.has_error(function() client:list_user_pools() end)
      assert.has_error(function() client:describe_user_pool(true) end)
      assert.has_error(function() client:call(5) end)
      assert.has_error(function() client:call("ListUserPools", 5) end)
    end)

    it("raises for values that cannot be sent, naming the path", function()
      local ok, msg = pcall(client.set_user_pool_mfa_config, client, {
        UserPoolId = POOL, SoftwareTokenMfaConfiguration = { Enabled = function() end },
      })
      assert.is_false(ok)
      assert.truthy(tostring(msg):find("SoftwareTokenMfaConfiguration.Enabled", 1, true), msg)
      assert.has_error(function() client:get_user_pool_mfa_config { UserPoolId = POOL, [1] = "x" } end)
      assert.has_error(function() client:get_user_pool_mfa_config { UserPoolId = coroutine.create(print) } end)
    end)

    it("raises when a closed client is used, and prints it as closed", function()
      client:close()
      assert.has_error(function() client:get_user_pool_mfa_config { UserPoolId = POOL } end)
      assert.truthy(tostring(client):find("closed", 1, true))
      client:close() -- closing twice is fine
    end)

    it("raises when the transport closes the client in the middle of a call", function()
      local c
      c = fake.client(fake.new { function() c:close(); return fake.response(200, "{}") end })
      assert.has_error(function() c:get_user_pool_mfa_config { UserPoolId = POOL } end)
    end)

    it("raises for validate() misuse", function()
      assert.has_error(function() cognito_mfa.validate(5, {}) end)
      assert.has_error(function() cognito_mfa.validate("ListUserPools", 5) end)
      assert.has_error(function() cognito_mfa.validate("NoSuchOperation", {}) end)
    end)
  end)

  describe("validate()", function()
    it("accepts valid parameters without any I/O", function()
      assert.is_true(cognito_mfa.validate("GetUserPoolMfaConfig", { UserPoolId = POOL }))
      assert.is_true(cognito_mfa.validate("ListUserPools", { MaxResults = 60 }))
      assert.is_true(cognito_mfa.validate("SetUserPoolMfaConfig", {
        UserPoolId = POOL, MfaConfiguration = "ON", SoftwareTokenMfaConfiguration = { Enabled = true },
      }))
    end)

    it("reports every violation at once, each with a dotted path and a rule", function()
      local ok, err = cognito_mfa.validate("SetUserPoolMfaConfig", {
        MfaConfiguration = "on",
        SmsMfaConfiguration = { SmsAuthenticationMessage = "short" },
        WebAuthnConfiguration = { UserVerification = "REQUIRED" },
        Bogus = 1,
      })
      assert.is_nil(ok)
      assert.equal("validation", err.kind)
      local rules = {}
      for _, v in ipairs(err.violations) do
        rules[v.path .. " " .. v.rule] = true
      end
      assert.is_true(rules["UserPoolId required"])
      assert.is_true(rules["MfaConfiguration enum"])
      assert.is_true(rules["SmsMfaConfiguration.SmsAuthenticationMessage min_length"])
      assert.is_true(rules["SmsMfaConfiguration.SmsAuthenticationMessage pattern"])
      assert.is_true(rules["WebAuthnConfiguration.UserVerification enum"])
      assert.is_true(rules["Bogus unknown"])
      assert.equal(6, count(rules))
    end)

    it("treats nil parameters as {}", function()
      local ok, err = cognito_mfa.validate("DescribeUserPool")
      assert.is_nil(ok)
      assert.equal("UserPoolId", err.violations[1].path)
      assert.equal("required", err.violations[1].rule)
    end)
  end)

  describe("pretty()", function()
    it("renders nested values indented with sorted keys", function()
      local text = cognito_mfa.pretty {
        b = 1, a = { z = true, y = "s" }, c = setmetatable({ 3, { k = false } }, cognito_mfa.array_mt),
        d = {}, e = setmetatable({}, cognito_mfa.array_mt), n = cognito_mfa.NULL,
      }
      assert.equal(table.concat({
        "{",
        "  a = {",
        '    y = "s",',
        "    z = true",
        "  },",
        "  b = 1,",
        "  c = [",
        "    3,",
        "    {",
        "      k = false",
        "    }",
        "  ],",
        "  d = {},",
        "  e = [],",
        "  n = null",
        "}",
      }, "\n"), text)
    end)

    it("renders scalars and cycles", function()
      assert.equal('"x"', cognito_mfa.pretty("x"))
      assert.equal("true", cognito_mfa.pretty(true))
      assert.equal("null", cognito_mfa.pretty(cognito_mfa.NULL))
      local t = {}
      t.self = t
      assert.equal("{\n  self = <cycle>\n}", cognito_mfa.pretty(t))
    end)

    it("renders a real result the same whatever the key order of the response", function()
      local t = fake.new {
        fake.response(200, '{"SoftwareTokenMfaConfiguration":{"Enabled":true},"MfaConfiguration":"ON"}'),
        fake.response(200, '{"MfaConfiguration":"ON","SoftwareTokenMfaConfiguration":{"Enabled":true}}'),
      }
      local client = fake.client(t)
      local a = cognito_mfa.pretty(assert(client:get_user_pool_mfa_config { UserPoolId = POOL }))
      local b = cognito_mfa.pretty(assert(client:get_user_pool_mfa_config { UserPoolId = POOL }))
      assert.equal(a, b)
      assert.equal('{\n  MfaConfiguration = "ON",\n  SoftwareTokenMfaConfiguration = {\n    Enabled = true\n  }\n}', a)
    end)
  end)

  describe("tostring(client)", function()
    it("names the region, the endpoint and the attempts", function()
      local client = assert(cognito_mfa.client {
        region = "eu-central-1", credentials = fake.CREDENTIALS, max_attempts = 4,
      })
      local text = tostring(client)
      assert.truthy(text:find("cognito_mfa.client", 1, true), text)
      assert.truthy(text:find("eu-central-1", 1, true), text)
      assert.truthy(text:find("https://cognito-idp.eu-central-1.amazonaws.com", 1, true), text)
      assert.truthy(text:find("4", 1, true), text)
      assert.is_nil(text:find("\n", 1, true))
      client:close()
    end)

    it("says when a custom transport is used", function()
      local text = tostring(fake.client(fake.new()))
      assert.truthy(text:find("custom transport", 1, true), text)
    end)

    it("reports the resolved settings through accessors", function()
      local client = fake.client(fake.new(), { region = "ap-southeast-2", endpoint_url = "http://127.0.0.1:1" })
      assert.equal("ap-southeast-2", client:region())
      assert.equal("http://127.0.0.1:1", client:endpoint())
      assert.equal(3, client:max_attempts())
      assert.equal("explicit", client:credentials_source())
    end)
  end)

  describe("JSON helpers", function()
    it("encode and decode keep booleans, empty objects and arrays", function()
      local v = decode(cognito_mfa.encode_json {
        f = false, o = {}, a = setmetatable({}, cognito_mfa.array_mt), n = 1.5, s = "é",
      })
      assert.is_false(v.f)
      assert.same({}, v.o)
      assert.equal(cognito_mfa.array_mt, getmetatable(v.a))
      assert.equal(1.5, v.n)
      assert.equal("é", v.s)
    end)

    it("decode_json returns nil, err for bad JSON and raises for a non-string", function()
      local v, err = cognito_mfa.decode_json("{")
      assert.is_nil(v)
      assert.is_table(err)
      assert.has_error(function() cognito_mfa.decode_json(5) end)
    end)
  end)
end)
