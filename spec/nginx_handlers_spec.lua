-- cognito_mfa inside a real nginx (Debian nginx + libnginx-mod-http-lua), against moto's
-- server on a free loopback port: the example handlers (examples/nginx/mfa_admin.lua) for
-- GET, POST (modify, dry run) and audit, test locations (spec/support/nginx_handlers.lua) for
-- set, call, call_many and the init_worker/timer phases, and every error path over HTTP. What
-- nginx answers is compared with what the Lua client reads outside nginx (libcurl).
local cognito_mfa = require "cognito_mfa"
local helpers = require "spec.helpers"
local nginx = require "spec.support.nginx"
local sections = require "spec.support.sections"

local guard = nginx.guard
local copy = sections.copy
local MISSING_POOL = "us-east-1_00000000000000000000000000000000"

local function json(value)
  return cognito_mfa.encode_json(value)
end

describe("nginx with cognito_mfa against moto", function()
  local moto, client, server, init_pool

  setup(function()
    moto = helpers.start_peer("moto")
    client = helpers.client(moto)
    init_pool = helpers.create_pool(client, "nginx-init-worker")
    assert(client:set_user_pool_mfa_config {
      UserPoolId = init_pool, MfaConfiguration = "OPTIONAL", SoftwareTokenMfaConfiguration = { Enabled = true },
    })
    server = nginx.start { env = {
      COGNITO_MFA_ENDPOINT_URL = moto.endpoint,
      AWS_ACCESS_KEY_ID = nginx.ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY = nginx.SECRET_ACCESS_KEY,
      CMFA_TEST_POOL = init_pool,
    } }
  end)

  teardown(function()
    nginx.stop_all()
    if client then client:close() end
    if moto then moto.stop() end
  end)

  local function get(id)
    return assert(client:get_user_pool_mfa_config { UserPoolId = id })
  end

  -- a pool with SMS and TOTP on (MFA ON)
  local function full_pool(name)
    local id = helpers.create_pool(client, name or "nginx-full")
    assert(client:set_user_pool_mfa_config {
      UserPoolId = id, MfaConfiguration = "ON", SmsMfaConfiguration = copy(sections.SMS),
      SoftwareTokenMfaConfiguration = { Enabled = true },
    })
    return id
  end

  describe("the example handlers", function()
    it("GET /mfa/<id> answers the configuration the Lua client reads outside nginx", guard(function()
      local id = full_pool()
      local res = server:request("GET", "/mfa/" .. id)
      assert.equal(200, res.status)
      assert.equal("application/json", res.headers["content-type"])
      assert.same(get(id), res.json)
      assert.equal("ON", res.json.MfaConfiguration)
      assert.same(sections.SMS, res.json.SmsMfaConfiguration)
    end))

    it("GET /mfa/<id> of a new pool answers MFA OFF", guard(function()
      local id = helpers.create_pool(client, "nginx-new")
      local res = server:request("GET", "/mfa/" .. id)
      assert.equal(200, res.status)
      assert.same({ MfaConfiguration = "OFF" }, res.json)
    end))

    it("POST /mfa/<id> changes one setting and keeps every other", guard(function()
      local id = full_pool()
      local before = get(id)
      local res = server:request("POST", "/mfa/" .. id,
        json { SmsMfaConfiguration = { SmsAuthenticationMessage = "Sign-in code {####}" } })
      assert.equal(200, res.status, res.body)
      assert.is_true(res.json.applied)
      assert.is_true(res.json.verified)
      assert.equal(1, #res.json.changes)
      assert.equal("SmsMfaConfiguration.SmsAuthenticationMessage", res.json.changes[1].path)
      assert.equal("Your code is {####}", res.json.changes[1].old)
      assert.equal("Sign-in code {####}", res.json.changes[1].new)

      local expected = copy(before)
      expected.SmsMfaConfiguration.SmsAuthenticationMessage = "Sign-in code {####}"
      assert.same(expected, get(id))
      assert.same(expected, res.json.after)
    end))

    it("POST /mfa/<id> turns TOTP off and keeps SMS (SetUserPoolMfaConfig alone would not)", guard(function()
      local id = full_pool()
      local res = server:request("POST", "/mfa/" .. id, json { SoftwareTokenMfaConfiguration = { Enabled = false } })
      assert.equal(200, res.status, res.body)
      local now = get(id)
      assert.equal("ON", now.MfaConfiguration)
      assert.same(sections.SMS, now.SmsMfaConfiguration)
      assert.is_false(now.SoftwareTokenMfaConfiguration.Enabled)
    end))

    it("POST /mfa/<id>?dry_run=1 answers the changes and changes nothing", guard(function()
      local id = full_pool()
      local before = get(id)
      local res = server:request("POST", "/mfa/" .. id .. "?dry_run=1", json { MfaConfiguration = "OPTIONAL" })
      assert.equal(200, res.status, res.body)
      assert.is_false(res.json.applied)
      assert.equal(1, #res.json.changes)
      assert.same({ path = "MfaConfiguration", old = "ON", new = "OPTIONAL" }, res.json.changes[1])
      assert.equal("OPTIONAL", res.json.after.MfaConfiguration)
      assert.same(before, get(id))
    end))

    it("GET /audit reports each pool against the baseline", guard(function()
      local good = full_pool("nginx-audit-good")
      local off = helpers.create_pool(client, "nginx-audit-off")
      local sms_only = helpers.create_pool(client, "nginx-audit-sms")
      assert(client:set_user_pool_mfa_config {
        UserPoolId = sms_only, MfaConfiguration = "ON", SmsMfaConfiguration = copy(sections.SMS),
      })

      local res = server:request("GET", "/audit?pool=" .. good .. "&pool=" .. off .. "&pool=" .. sms_only)
      assert.equal(200, res.status, res.body)
      assert.is_false(res.json.passed)
      local by_id = {}
      for _, p in ipairs(res.json.pools) do
        local ids = {}
        for _, f in ipairs(p.findings) do ids[f.id] = f.severity end
        by_id[p.id] = { passed = p.passed, findings = ids }
      end
      assert.is_true(by_id[good].passed)
      assert.same({}, by_id[good].findings)
      assert.is_false(by_id[off].passed)
      assert.equal("high", by_id[off].findings["mfa-on"])
      assert.is_truthy(by_id[off].findings["totp-enabled"])
      assert.is_false(by_id[sms_only].passed)
      assert.is_truthy(by_id[sms_only].findings["non-sms-factor"])
      assert.is_nil(by_id[sms_only].findings["mfa-on"])
    end))

    it("GET /audit without pools audits every pool in the region", guard(function()
      local a = full_pool("nginx-audit-all-a")
      local b = helpers.create_pool(client, "nginx-audit-all-b")
      local res = server:request("GET", "/audit")
      assert.equal(200, res.status, res.body)
      local seen, count = {}, 0
      for _, p in ipairs(res.json.pools) do
        seen[p.id] = p.passed
        count = count + 1
      end
      assert.is_true(seen[a])
      assert.is_false(seen[b])
      local listed = 0
      for pool in client:user_pools() do
        assert.is_not_nil(seen[pool.Id], pool.Id)
        listed = listed + 1
      end
      assert.equal(listed, count)
    end))
  end)

  describe("error paths", function()
    it("an unknown pool is a 404 with code ResourceNotFoundException", guard(function()
      local res = server:request("GET", "/mfa/" .. MISSING_POOL)
      assert.equal(404, res.status)
      assert.equal("service", res.json.error.kind)
      assert.equal("ResourceNotFoundException", res.json.error.code)
      local _, err = client:get_user_pool_mfa_config { UserPoolId = MISSING_POOL }
      assert.equal(err.code, res.json.error.code)
      local function no_id(m) return (m:gsub("request id [%w-]+", "request id ?")) end
      assert.equal(no_id(err.message), no_id(res.json.error.message))
      assert.is_string(res.json.error.request_id)
    end))

    it("an invalid pool id is a 400 validation error naming the member", guard(function()
      local res = server:request("GET", "/mfa/not-a-pool-id")
      assert.equal(400, res.status)
      assert.equal("validation", res.json.error.kind)
      assert.equal(1, #res.json.error.violations)
      assert.equal("UserPoolId", res.json.error.violations[1].path)
      assert.equal("pattern", res.json.error.violations[1].rule)
      local _, err = client:get_user_pool_mfa_config { UserPoolId = "not-a-pool-id" }
      assert.same(err.violations, res.json.error.violations)
    end))

    it("POST of an invalid value is a 400 listing every violation", guard(function()
      local id = full_pool()
      local before = get(id)
      local res = server:request("POST", "/mfa/" .. id, json {
        MfaConfiguration = "SOMETIMES", SmsMfaConfiguration = { SmsAuthenticationMessage = "no placeholder" },
      })
      assert.equal(400, res.status, res.body)
      assert.equal("validation", res.json.error.kind)
      local paths = {}
      for _, v in ipairs(res.json.error.violations) do paths[v.path] = true end
      assert.is_true(paths.MfaConfiguration)
      assert.is_true(paths["SmsMfaConfiguration.SmsAuthenticationMessage"])
      assert.same(before, get(id))
    end))

    it("a refused preflight (ON without a factor) is a 400 and changes nothing", guard(function()
      local id = helpers.create_pool(client, "nginx-preflight")
      local res = server:request("POST", "/mfa/" .. id, json { MfaConfiguration = "ON" })
      assert.equal(400, res.status, res.body)
      assert.equal("validation", res.json.error.kind)
      assert.equal("PreflightRefused", res.json.error.code)
      assert.equal("MfaConfiguration", res.json.error.violations[1].path)
      assert.same({ MfaConfiguration = "OFF" }, get(id))
    end))

    it("a body that is not JSON is a 400", guard(function()
      local id = full_pool()
      local before = get(id)
      local res = server:request("POST", "/mfa/" .. id, "{ not json")
      assert.equal(400, res.status)
      assert.equal("usage", res.json.error.kind)
      assert.matches("JSON object", res.json.error.message)
      res = server:request("POST", "/mfa/" .. id, "[1, 2]")
      assert.equal(400, res.status)
      res = server:request("POST", "/mfa/" .. id, '"text"')
      assert.equal(400, res.status)
      assert.same(before, get(id))
    end))

    it("another method is a 405", guard(function()
      local res = server:request("DELETE", "/mfa/" .. MISSING_POOL)
      assert.equal(405, res.status)
      assert.equal("GET, POST", res.headers.allow)
    end))
  end)

  describe("operations from test locations", function()
    it("set_user_pool_mfa_config replaces the configuration, as outside nginx", guard(function()
      local id = full_pool()
      local res = server:request("POST", "/t/set", json {
        UserPoolId = id, MfaConfiguration = "OPTIONAL", SoftwareTokenMfaConfiguration = { Enabled = true },
      })
      assert.equal(200, res.status)
      assert.is_true(res.json.ok, res.body)
      assert.equal("resty", res.json.transport)
      -- AWS semantics: the SMS section left out is gone
      local now = get(id)
      assert.same({ MfaConfiguration = "OPTIONAL", SoftwareTokenMfaConfiguration = { Enabled = true } }, now)
      assert.same(now, res.json.out)
    end))

    it("set_user_pool_mfa_config with invalid parameters returns the validation error", guard(function()
      local res = server:request("POST", "/t/set", json { UserPoolId = "bad id", MfaConfiguration = "MAYBE" })
      assert.is_false(res.json.ok)
      local _, err = client:set_user_pool_mfa_config { UserPoolId = "bad id", MfaConfiguration = "MAYBE" }
      assert.equal("validation", res.json.err.kind)
      assert.equal(0, res.json.err.attempts)
      assert.same(err.violations, res.json.err.violations)
    end))

    it("call() reaches any operation", guard(function()
      local id = full_pool("nginx-call")
      local res = server:request("POST", "/t/call/DescribeUserPool", json { UserPoolId = id })
      assert.is_true(res.json.ok, res.body)
      assert.equal(id, res.json.out.UserPool.Id)
      assert.equal("nginx-call", res.json.out.UserPool.Name)

      res = server:request("POST", "/t/call/DescribeUserPool", json { UserPoolId = MISSING_POOL })
      assert.is_false(res.json.ok)
      assert.equal("ResourceNotFoundException", res.json.err.code)
      assert.equal(1, res.json.err.attempts)
    end))

    it("call_many fetches several pools in light threads, each result in its place", guard(function()
      local ids = { full_pool(), helpers.create_pool(client, "nginx-many"), full_pool() }
      local list = { { UserPoolId = ids[1] }, { UserPoolId = ids[2] }, { UserPoolId = "bad id" },
                     { UserPoolId = MISSING_POOL }, { UserPoolId = ids[3] } }
      local res = server:request("POST", "/t/call_many", json {
        operation = "GetUserPoolMfaConfig", list = list, concurrency = 3,
      })
      assert.is_true(res.json.ok, res.body)
      local items = res.json.items
      assert.equal(5, #items)
      assert.same(get(ids[1]), items[1].out)
      assert.same(get(ids[2]), items[2].out)
      assert.same(get(ids[3]), items[5].out)
      assert.equal("validation", items[3].err.kind)
      assert.equal(0, items[3].err.attempts)
      assert.equal("ResourceNotFoundException", items[4].err.code)
    end))

    it("a request handler runs in a phase with cosockets", guard(function()
      local res = server:request("GET", "/t/phase")
      assert.same({ phase = "content", available = true, reported = "content" }, res.json)
    end))
  end)

  describe("phases", function()
    local function recorded()
      local res
      for _ = 1, 100 do
        res = server:request("GET", "/t/init_worker")
        if res.json and res.json.timer then break end
        nginx.sleep(0.05)
      end
      return res.json
    end

    it("a call from init_worker_by_lua returns the CosocketUnavailable usage error", guard(function()
      local r = recorded()
      assert.equal("init_worker", r.init_worker.phase)
      assert.is_false(r.init_worker.ok)
      assert.equal("resty", r.init_worker.transport)
      local err = r.init_worker.err
      assert.equal("usage", err.kind)
      assert.equal("CosocketUnavailable", err.code)
      assert.equal(0, err.attempts)
      assert.is_false(err.retryable)
      assert.matches("init_worker", err.message)
      assert.matches("ngx.timer.at", err.message)
    end))

    it("an audit from init_worker_by_lua returns the same error", guard(function()
      local r = recorded()
      assert.is_nil(r.init_worker_audit.raised, r.init_worker_audit.message)
      assert.is_false(r.init_worker_audit.ok)
      assert.equal("CosocketUnavailable", r.init_worker_audit.err.code)
    end))

    it("the same call from ngx.timer.at works", guard(function()
      local r = recorded()
      assert.equal("timer", r.timer.phase)
      assert.is_true(r.timer.ok, json(r.timer))
      assert.same(get(init_pool), r.timer.out)
      assert.same({ MfaConfiguration = "OPTIONAL", SoftwareTokenMfaConfiguration = { Enabled = true } }, r.timer.out)
    end))
  end)
end)
