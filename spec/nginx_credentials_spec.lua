-- Credentials inside nginx: nginx clears its workers' environment, so the AWS settings reach
-- cognito_mfa only through `env` directives; temporary credentials from the container
-- endpoint (core/tests/servers/metadata_server.py on loopback) are fetched once per worker
-- (the example handlers keep one client per worker) and fetched again when they expire within
-- 5 minutes. The scripted fault server stands in for Cognito and records which credentials
-- signed each request.
local helpers = require "spec.helpers"
local nginx = require "spec.support.nginx"

local guard = nginx.guard
local OK_BODY = '{"MfaConfiguration":"OFF"}'
local POOL = "us-east-1_Cred1"

describe("credentials inside nginx", function()
  local fault, meta, server

  setup(function()
    fault = helpers.start_peer("fault")
    meta = nginx.start_metadata { "--expires-in", "3600" }
  end)

  teardown(function()
    nginx.stop_all()
    if meta then meta.stop() end
    if fault then fault.stop() end
  end)

  after_each(function()
    if server then
      server:stop()
      server = nil
    end
  end)

  local function full_uri()
    return meta.url .. "/container/credentials"
  end

  -- the access key id and session token that signed each request the fault server received
  local function signers()
    local list = {}
    for i, r in ipairs(helpers.requests(fault)) do
      list[i] = {
        key = r.headers.Authorization:match("Credential=([^/]+)/"),
        token = r.headers["X-Amz-Security-Token"],
      }
    end
    return list
  end

  local function get_n(n)
    local pids = {}
    for _ = 1, n do
      local res = server:request("GET", "/mfa/" .. POOL)
      assert.equal(200, res.status, res.body)
      assert.same({ MfaConfiguration = "OFF" }, res.json)
      pids[res.headers["x-worker-pid"]] = true
    end
    local workers = 0
    for _ in pairs(pids) do workers = workers + 1 end
    return workers
  end

  it("come from the container endpoint passed on with `env NAME;`, fetched once and cached", guard(function()
    meta.set { expires_in = 3600 }
    local before = meta.count("container")
    server = nginx.start {
      inherit_env = { AWS_CONTAINER_CREDENTIALS_FULL_URI = full_uri() },
      env = { COGNITO_MFA_ENDPOINT_URL = fault.endpoint },
    }
    helpers.script(fault, { { status = 200, body = OK_BODY } })
    get_n(10)
    assert.equal(1, meta.count("container") - before)
    local s = signers()
    assert.equal(10, #s)
    local n = s[1].key:match("^ASIACONTAINER(%d+)$")
    assert.is_not_nil(n, s[1].key)
    for _, x in ipairs(s) do
      assert.same({ key = "ASIACONTAINER" .. n, token = "container-session-token-" .. n }, x)
    end
  end))

  it("are cached per worker: one fetch for each worker that served", guard(function()
    meta.set { expires_in = 3600 }
    local before = meta.count("container")
    server = nginx.start {
      worker_processes = 2,
      env = { COGNITO_MFA_ENDPOINT_URL = fault.endpoint, AWS_CONTAINER_CREDENTIALS_FULL_URI = full_uri() },
    }
    helpers.script(fault, { { status = 200, body = OK_BODY } })
    local workers = get_n(12)
    assert.equal(workers, meta.count("container") - before)
  end))

  it("are fetched again for each request when they expire within 5 minutes", guard(function()
    meta.set { expires_in = 120 }
    local before = meta.count("container")
    server = nginx.start {   -- the `env NAME=value;` form
      env = { COGNITO_MFA_ENDPOINT_URL = fault.endpoint, AWS_CONTAINER_CREDENTIALS_FULL_URI = full_uri() },
    }
    helpers.script(fault, { { status = 200, body = OK_BODY } })
    get_n(5)
    assert.equal(5, meta.count("container") - before)
    local s, seen = signers(), {}
    for _, x in ipairs(s) do
      assert.is_nil(seen[x.key])   -- each request signed with fresh credentials
      seen[x.key] = true
      assert.equal(x.key:gsub("^ASIACONTAINER", "container-session-token-"), x.token)
    end
  end))

  it("are not seen by the workers without an env directive (a 500 with kind credentials)", guard(function()
    local before = meta.count("container")
    server = nginx.start {
      process_env = { AWS_CONTAINER_CREDENTIALS_FULL_URI = full_uri() },   -- no `env` directive
      env = { COGNITO_MFA_ENDPOINT_URL = fault.endpoint },
    }
    helpers.script(fault, { { status = 200, body = OK_BODY } })
    local res = server:request("GET", "/mfa/" .. POOL)
    assert.equal(500, res.status)
    assert.equal("credentials", res.json.error.kind)
    assert.matches("[Nn]o credentials", res.json.error.message)
    assert.equal(0, meta.count("container") - before)
    assert.same({}, helpers.requests(fault))
  end))

  it("static keys from env directives sign the requests, and no secret reaches the answer", guard(function()
    server = nginx.start { env = {
      COGNITO_MFA_ENDPOINT_URL = fault.endpoint,
      AWS_ACCESS_KEY_ID = nginx.ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY = nginx.SECRET_ACCESS_KEY,
      AWS_SESSION_TOKEN = "nginx-session-token-secret",
    } }
    helpers.script(fault, { { status = 400,
      body = '{"__type":"NotAuthorizedException","message":"bad token nginx-session-token-secret"}' } })
    local res = server:request("GET", "/mfa/" .. POOL)
    assert.equal(502, res.status)
    assert.equal("NotAuthorizedException", res.json.error.code)
    assert.is_nil(res.body:find("nginx-session-token-secret", 1, true))
    assert.is_nil(res.body:find(nginx.SECRET_ACCESS_KEY, 1, true))
    assert.is_nil(server:log():find(nginx.SECRET_ACCESS_KEY, 1, true))
    assert.same({ { key = nginx.ACCESS_KEY_ID, token = "nginx-session-token-secret" } }, signers())
  end))
end)
