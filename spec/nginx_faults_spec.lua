-- cognito_mfa inside a real nginx against the scripted fault server (tools/fault_server.py):
-- requests overlap in one worker (cosockets do not block it), and retries, timeouts and
-- broken responses end exactly as they do through libcurl, scenario by scenario (the same
-- scenarios as core/tests/integration/it_faults.c): same error kind, name, code, status,
-- attempts and retryable, and the same number of requests reaching the server.
local cognito_mfa = require "cognito_mfa"
local helpers = require "spec.helpers"
local nginx = require "spec.support.nginx"

local guard = nginx.guard
local OK_BODY = '{"MfaConfiguration":"OFF"}'
local POOL = "us-west-2_Fault1"

local function json(value)
  return cognito_mfa.encode_json(value)
end

local function throttle_body()
  return '{"__type":"TooManyRequestsException","message":"Rate exceeded"}'
end

-- name, script steps, client options, what both paths must end with
local SCENARIOS = {
  { "500 then 502 then 200 succeeds after 3 attempts",
    { { status = 500, body = '{"__type":"InternalErrorException","message":"boom"}' },
      { status = 502, body = "<html>bad gateway</html>", headers = { ["Content-Type"] = "text/html" } },
      { status = 200, body = OK_BODY } },
    {}, { ok = true, attempts = 3 } },
  { "503 always is a retryable service error after 3 attempts",
    { { status = 503, body = "" } },
    {}, { ok = false, kind = "service", name = "CMFA_E_SERVICE", status = 503, attempts = 3, retryable = true } },
  { "throttling (X-Amzn-ErrorType) is retried",
    { { status = 400, headers = { ["X-Amzn-ErrorType"] = "TooManyRequestsException:" },
        body = '{"message":"Rate exceeded"}' },
      { status = 200, body = "{}" } },
    {}, { ok = true, attempts = 2 } },
  { "throttling always ends with TooManyRequestsException after 3 attempts",
    { { status = 400, body = throttle_body() } },
    {}, { ok = false, kind = "service", code = "TooManyRequestsException", attempts = 3, retryable = true } },
  { "ResourceNotFoundException is not retried",
    { { status = 400,
        body = '{"__type":"ResourceNotFoundException","message":"User pool us-west-2_Fault1 does not exist."}' } },
    {}, { ok = false, kind = "service", code = "ResourceNotFoundException", status = 400, attempts = 1,
          retryable = false } },
  { "ConcurrentModificationException is not retried by the transport",
    { { status = 400, body = '{"__type":"ConcurrentModificationException","message":"busy"}' } },
    {}, { ok = false, kind = "service", code = "ConcurrentModificationException", attempts = 1 } },
  { "Coral's error envelope on a 200 is a service error",
    { { status = 200,
        body = '{"Output":{"__type":"com.amazon.coral.service#UnknownOperationException"},"Version":"1.0"}' } },
    {}, { ok = false, kind = "service", code = "UnknownOperationException" } },
  { "a garbage 200 body is a bad response (kind transport), not retried",
    { { status = 200, body = "<html>not json</html>" } },
    {}, { ok = false, kind = "transport", name = "CMFA_E_BAD_RESPONSE", attempts = 1, retryable = false } },
  { "a 200 body of the wrong shape is a bad response",
    { { status = 200, body = '{"MfaConfiguration":5}' } },
    {}, { ok = false, kind = "transport", name = "CMFA_E_BAD_RESPONSE", attempts = 1 } },
  { "a truncated body is a transport error, retried",
    { { action = "truncate", body = '{"MfaConfig', length = 200 } },
    {}, { ok = false, kind = "transport", name = "CMFA_E_TRANSPORT", attempts = 3, retryable = true } },
  { "connection resets then 200 succeeds after 3 attempts",
    { { action = "reset" }, { action = "reset" }, { status = 200, body = "{}" } },
    {}, { ok = true, attempts = 3 } },
  { "a connection reset every time is a retryable transport error after 3 attempts",
    { { action = "reset" } },
    {}, { ok = false, kind = "transport", name = "CMFA_E_TRANSPORT", attempts = 3, retryable = true } },
  { "a body above max_response_bytes is refused, not retried",
    { { status = 200, body = '{"MfaConfiguration":"OFF","Pad":"' .. string.rep("x", 100) .. '"}' } },
    { max_response_bytes = 64 }, { ok = false, kind = "transport", name = "CMFA_E_TOO_LARGE", attempts = 1 } },
  { "a stalled response ends with a timeout (kind transport) after read_timeout, per attempt",
    { { action = "stall", seconds = 3 } },
    { read_timeout = 0.5, max_attempts = 2 },
    { ok = false, kind = "transport", name = "CMFA_E_TIMEOUT", attempts = 2, retryable = true } },
  { "max_attempts = 5 allows four retries",
    { { status = 500, body = "{}" }, { status = 500, body = "{}" }, { status = 500, body = "{}" },
      { status = 500, body = "{}" }, { status = 200, body = "{}" } },
    { max_attempts = 5 }, { ok = true, attempts = 5 } },
}

local FIELDS = { "kind", "code", "name", "status", "attempts", "retryable" }

local function summary(ok, out, err)
  local s = { ok = ok, out = out }
  for _, f in ipairs(FIELDS) do
    s[f] = err and err[f]
  end
  return s
end

describe("nginx with cognito_mfa against the fault server", function()
  local fault, server

  setup(function()
    fault = helpers.start_peer("fault")
    server = nginx.start { env = {
      COGNITO_MFA_ENDPOINT_URL = fault.endpoint, AWS_REGION = "us-west-2",
      AWS_ACCESS_KEY_ID = nginx.ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY = nginx.SECRET_ACCESS_KEY,
    } }
  end)

  teardown(function()
    nginx.stop_all()
    if fault then fault.stop() end
  end)

  -- one scenario through nginx (cosockets, ngx.sleep) and then through libcurl
  local function through_nginx(steps, opts)
    helpers.script(fault, steps)
    local query = { "pool=" .. POOL }
    for k, v in pairs(opts) do query[#query + 1] = k .. "=" .. nginx.urlencode(v) end
    local res = server:request("GET", "/t/get?" .. table.concat(query, "&"))
    assert.equal(200, res.status, res.body)
    assert.equal("resty", res.json.transport)
    local err = res.json.err
    return summary(res.json.ok, res.json.out, err), #helpers.requests(fault), err and err.message
  end

  local function through_libcurl(steps, opts)
    helpers.script(fault, steps)
    local o = { region = "us-west-2", credentials = {
      access_key_id = nginx.ACCESS_KEY_ID, secret_access_key = nginx.SECRET_ACCESS_KEY,
    } }
    for k, v in pairs(opts) do o[k] = v end
    local c = helpers.client(fault, o)
    local out, err = c:get_user_pool_mfa_config { UserPoolId = POOL }
    c:close()
    return summary(out ~= nil, out, err), #helpers.requests(fault), err and err.message
  end

  describe("retries and timeouts end as with libcurl:", function()
    for _, sc in ipairs(SCENARIOS) do
      local name, steps, opts, want = sc[1], sc[2], sc[3], sc[4]
      it(name, guard(function()
        local ngx_result, ngx_sent, ngx_msg = through_nginx(steps, opts)
        local curl_result, curl_sent, curl_msg = through_libcurl(steps, opts)
        print(("\n  %-70s nginx: %s\n  %-70s curl:  %s"):format(name, tostring(ngx_msg), "", tostring(curl_msg)))
        for k, v in pairs(want) do
          if not (k == "attempts" and want.ok) then   -- a success has no error to count them
            assert.same(v, ngx_result[k], "nginx: " .. k .. " in " .. json(ngx_result))
          end
        end
        assert.same(curl_result, ngx_result)
        -- every attempt reached the server, as many through nginx as through libcurl
        assert.equal(curl_sent, ngx_sent)
        if want.attempts then
          assert.equal(want.attempts, ngx_sent)
        end
      end))
    end

    it("a refused connection is a transport error after 3 attempts", guard(function()
      local port = nginx.free_port()   -- bound, then closed: nothing listens there
      local res = server:request("GET", "/t/get?pool=" .. POOL .. "&endpoint="
        .. nginx.urlencode("http://127.0.0.1:" .. port))
      local c = helpers.client({ endpoint = "http://127.0.0.1:" .. port })
      local _, err = c:get_user_pool_mfa_config { UserPoolId = POOL }
      c:close()
      assert.is_false(res.json.ok)
      assert.same(summary(false, nil, err), summary(false, nil, res.json.err))
      assert.equal("CMFA_E_TRANSPORT", res.json.err.name)
      assert.equal(3, res.json.err.attempts)
      assert.matches("127.0.0.1", res.json.err.message)
    end))
  end)

  describe("nothing is sent", function()
    it("for an invalid pool id (the example handler answers 400)", guard(function()
      helpers.script(fault, { { status = 200, body = OK_BODY } })
      local res = server:request("GET", "/mfa/us-west-2%20Bad")
      assert.equal(400, res.status)
      assert.equal("validation", res.json.error.kind)
      assert.equal("UserPoolId", res.json.error.violations[1].path)
      assert.same({}, helpers.requests(fault))
    end))

    it("but the read when a preflight refuses a change", guard(function()
      helpers.script(fault, { { status = 200, body = OK_BODY } })
      local res = server:request("POST", "/mfa/" .. POOL, json { MfaConfiguration = "ON" })
      assert.equal(400, res.status, res.body)
      assert.equal("PreflightRefused", res.json.error.code)
      local sent = helpers.requests(fault)
      assert.equal(1, #sent)
      assert.equal("AWSCognitoIdentityProviderService.GetUserPoolMfaConfig", sent[1].headers["X-Amz-Target"])
    end))

    it("by a dry run beyond the read", guard(function()
      helpers.script(fault, { { status = 200, body = OK_BODY } })
      local res = server:request("POST", "/mfa/" .. POOL .. "?dry_run=1",
        json { MfaConfiguration = "OPTIONAL", SoftwareTokenMfaConfiguration = { Enabled = true } })
      assert.equal(200, res.status, res.body)
      assert.is_false(res.json.applied)
      local sent = helpers.requests(fault)
      assert.equal(1, #sent)
      assert.equal("AWSCognitoIdentityProviderService.GetUserPoolMfaConfig", sent[1].headers["X-Amz-Target"])
    end))
  end)

  describe("requests sent over cosockets", function()
    it("are signed and shaped as libcurl's, and reuse the connection", guard(function()
      helpers.script(fault, { { status = 200, body = OK_BODY } })
      assert.equal(200, server:request("GET", "/mfa/" .. POOL).status)
      assert.equal(200, server:request("GET", "/mfa/" .. POOL).status)
      local sent = helpers.requests(fault)
      assert.equal(2, #sent)
      local r = sent[1]
      assert.equal("POST", r.method)
      assert.equal("/", r.path)
      assert.equal("application/x-amz-json-1.1", r.headers["Content-Type"])
      assert.equal("AWSCognitoIdentityProviderService.GetUserPoolMfaConfig", r.headers["X-Amz-Target"])
      assert.equal('{"UserPoolId":"' .. POOL .. '"}', r.body)
      assert.matches("^AWS4%-HMAC%-SHA256 Credential=" .. nginx.ACCESS_KEY_ID
        .. "/%d+/us%-west%-2/cognito%-idp/aws4_request", r.headers.Authorization)
      assert.matches("^cognito%-mfa/", r.headers["User-Agent"])
      -- keep-alive: both requests came over the same connection (one worker, one client)
      assert.equal(sent[1].client_port, sent[2].client_port)
    end))
  end)

  describe("non-blocking", function()
    it("100 concurrent requests to one worker, each waiting 200 ms for the endpoint, overlap", guard(function()
      helpers.script(fault, { { status = 200, delay = 0.2, body = OK_BODY } })
      local n = 100
      local wall, results = server:parallel("/mfa/us-east-1_Fault1", n)
      print(("\n  100 concurrent GET /mfa/<id> through 1 nginx worker, 200 ms endpoint: %.2f s"
        .. " (serial: %.1f s, %.0fx faster)"):format(wall, n * 0.2, n * 0.2 / wall))
      assert.equal(n, #results)
      local pids = {}
      for _, r in ipairs(results) do
        assert.equal(200, r.status)
        pids[r.pid] = true
      end
      local workers = 0
      for _ in pairs(pids) do workers = workers + 1 end
      assert.equal(1, workers)
      assert.equal(n, #helpers.requests(fault))
      assert.is_true(wall < 5, ("100 requests took %.2f s"):format(wall))
    end))
  end)

  describe("call_many in light threads", function()
    local fresh

    before_each(function()
      -- a new worker: its connection pool holds only what this test opens
      fresh = nginx.start { env = {
        COGNITO_MFA_ENDPOINT_URL = fault.endpoint, AWS_REGION = "us-west-2",
        AWS_ACCESS_KEY_ID = nginx.ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY = nginx.SECRET_ACCESS_KEY,
      } }
    end)

    after_each(function()
      if fresh then fresh:stop() end
    end)

    it("runs `concurrency` requests at once, on as many connections", guard(function()
      helpers.script(fault, { { status = 200, delay = 0.2, body = '{"MfaConfiguration":"ON"}' } })
      local list = {}
      for i = 1, 10 do
        list[i] = { UserPoolId = (i == 3 or i == 7) and "not a pool id" or ("us-west-2_Many" .. i) }
      end
      local res = fresh:request("POST", "/t/call_many", json {
        operation = "GetUserPoolMfaConfig", list = list, concurrency = 4,
      })
      assert.is_true(res.json.ok, res.body)
      for i, item in ipairs(res.json.items) do
        if i == 3 or i == 7 then
          assert.equal("validation", item.err.kind)
          assert.equal(0, item.err.attempts)
        else
          assert.same({ MfaConfiguration = "ON" }, item.out)
        end
      end
      local sent = helpers.requests(fault)
      assert.equal(8, #sent)   -- the two invalid items were never sent
      local ports, distinct = {}, 0
      for _, r in ipairs(sent) do
        if not ports[r.client_port] then
          ports[r.client_port] = true
          distinct = distinct + 1
        end
      end
      assert.equal(4, distinct)
    end))

    it("retries inside the batch", guard(function()
      helpers.script(fault, { { status = 503, body = "" }, { status = 503, body = "" }, { status = 200, body = "{}" } })
      local res = fresh:request("POST", "/t/call_many", json {
        operation = "GetUserPoolMfaConfig", list = { { UserPoolId = "us-west-2_A1" }, { UserPoolId = "us-west-2_A2" },
                                                      { UserPoolId = "us-west-2_A3" } }, concurrency = 3,
      })
      assert.is_true(res.json.ok, res.body)
      for _, item in ipairs(res.json.items) do
        assert.is_true(item.ok, json(item))
      end
      assert.equal(5, #helpers.requests(fault))
    end))
  end)
end)
