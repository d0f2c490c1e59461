-- The shipped examples/nginx/nginx.conf, started as it is (nginx -p <checkout> -c
-- examples/nginx/nginx.conf) with only its port, pid file, error log, temporary paths and the
-- build folder of the C module moved for the test; the AWS settings reach the workers through
-- the example's own `env NAME;` directives. Against moto.
local helpers = require "spec.helpers"
local nginx = require "spec.support.nginx"

local guard = nginx.guard

-- Replaces `from` (plain text) in text; fails when it is not there, so the test follows the example.
local function replace(text, from, to)
  local i = text:find(from, 1, true)
  assert(i, "examples/nginx/nginx.conf no longer contains: " .. from)
  local out = text:sub(1, i - 1) .. to .. text:sub(i + #from)
  if out:find(from, i + #to, true) then
    return replace(out, from, to)
  end
  return out
end

describe("examples/nginx/nginx.conf", function()
  local moto, client, server, good, off

  setup(function()
    moto = helpers.start_peer("moto")
    client = helpers.client(moto)
    good = helpers.create_pool(client, "example-good")
    assert(client:set_user_pool_mfa_config {
      UserPoolId = good, MfaConfiguration = "ON", SoftwareTokenMfaConfiguration = { Enabled = true },
    })
    off = helpers.create_pool(client, "example-off")
    local example = assert(nginx.read("examples/nginx/nginx.conf"))
    server = nginx.start {
      nginx_prefix = nginx.root(),
      conf = function(dir, port)
        local conf = example
        conf = replace(conf, "listen 127.0.0.1:8080;", "listen 127.0.0.1:" .. port .. ";")
        conf = replace(conf, "pid build/nginx-example.pid;", "pid " .. dir .. "/nginx.pid;")
        conf = replace(conf, "error_log stderr notice;", "error_log " .. dir .. "/error.log info;")
        conf = replace(conf, "_temp_path build/nginx_", "_temp_path " .. dir .. "/nginx_")
        conf = replace(conf, "$prefix/build/luajit/?.so;;", nginx.cpath_dir() .. "/?.so;;")
        return conf
      end,
      ready_path = "/audit?pool=" .. good,
      inherit_env = {
        COGNITO_MFA_ENDPOINT_URL = moto.endpoint, COGNITO_MFA_AUDIT_EVERY = "0.5",
        AWS_REGION = "us-east-1", AWS_ACCESS_KEY_ID = nginx.ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY = nginx.SECRET_ACCESS_KEY, AWS_EC2_METADATA_DISABLED = "true",
        AWS_CONFIG_FILE = "/nonexistent/config", AWS_SHARED_CREDENTIALS_FILE = "/nonexistent/credentials",
      },
    }
  end)

  teardown(function()
    nginx.stop_all()
    if client then client:close() end
    if moto then moto.stop() end
  end)

  it("serves GET /mfa/<id> with what the Lua client reads", guard(function()
    local res = server:request("GET", "/mfa/" .. good)
    assert.equal(200, res.status, res.body)
    assert.same(assert(client:get_user_pool_mfa_config { UserPoolId = good }), res.json)
  end))

  it("serves POST /mfa/<id>?dry_run=1", guard(function()
    local res = server:request("POST", "/mfa/" .. off .. "?dry_run=1",
      '{"MfaConfiguration":"OPTIONAL","SoftwareTokenMfaConfiguration":{"Enabled":true}}')
    assert.equal(200, res.status, res.body)
    assert.is_false(res.json.applied)
    assert.equal(2, #res.json.changes)
    assert.same({ MfaConfiguration = "OFF" }, assert(client:get_user_pool_mfa_config { UserPoolId = off }))
  end))

  it("serves GET /audit", guard(function()
    local res = server:request("GET", "/audit")
    assert.equal(200, res.status, res.body)
    local passed = {}
    for _, p in ipairs(res.json.pools) do passed[p.id] = p.passed end
    assert.is_true(passed[good])
    assert.is_false(passed[off])
  end))

  it("audits from a timer (COGNITO_MFA_AUDIT_EVERY) and logs the failing pools", guard(function()
    local logged
    for _ = 1, 100 do
      logged = server:log():find("pool " .. off .. " fails the baseline", 1, true)
      if logged then break end
      nginx.sleep(0.05)
    end
    assert.is_truthy(logged)
    assert.is_nil(server:log():find("pool " .. good .. " fails", 1, true))
  end))
end)
