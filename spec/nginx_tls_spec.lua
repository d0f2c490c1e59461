-- TLS inside nginx: the cosocket transport verifies the server's certificate against
-- lua_ssl_trusted_certificate and by name, unless verify_tls = false. The peer is the fault
-- server over HTTPS with a self-signed certificate for 127.0.0.1 (and DNS name localhost)
-- made for the run. libcurl's behaviour on the same endpoint is checked alongside.
local helpers = require "spec.helpers"
local nginx = require "spec.support.nginx"

local guard = nginx.guard
local OK_BODY = '{"MfaConfiguration":"OFF"}'
local POOL = "us-east-1_Tls1"

describe("nginx with cognito_mfa over TLS", function()
  local peer, trusted, untrusted

  local function requests()
    return helpers.requests(peer)
  end

  setup(function()
    peer = helpers.start_peer("fault-tls")
    local env = {
      COGNITO_MFA_ENDPOINT_URL = peer.endpoint,
      AWS_ACCESS_KEY_ID = nginx.ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY = nginx.SECRET_ACCESS_KEY,
    }
    trusted = nginx.start { env = env, trusted_certificate = peer.ca }
    untrusted = nginx.start { env = env }
  end)

  teardown(function()
    nginx.stop_all()
    if peer then peer.stop() end
  end)

  before_each(function()
    helpers.script(peer, { { status = 200, body = OK_BODY } })
  end)

  local function get(server, query)
    local res = server:request("GET", "/t/get?pool=" .. POOL .. (query or ""))
    assert.equal(200, res.status, res.body)
    assert.equal("resty", res.json.transport)
    return res.json
  end

  -- The reason of a TLS failure is in the error message, or, when lua-resty-core raised
  -- instead of returning it (openresty/lua-resty-core#499, a handshake that completed at once
  -- on loopback), in nginx's error log, where nginx itself writes it.
  local function assert_reason(server, r, in_message, in_log)
    if r.err.message:find(in_message) then
      return
    end
    assert.matches("lua%-resty%-core#499", r.err.message)
    assert.is_truthy(server:log():find(in_log), "nginx's error log has no " .. in_log)
  end

  local function libcurl(opts)
    local c = helpers.client(peer, opts)
    local out, err = c:get_user_pool_mfa_config { UserPoolId = POOL }
    c:close()
    return out, err
  end

  it("works with lua_ssl_trusted_certificate naming the CA", guard(function()
    local r = get(trusted, "&server_name=localhost")
    assert.is_true(r.ok, r.err and r.err.message)
    assert.same({ MfaConfiguration = "OFF" }, r.out)
    assert.same({ MfaConfiguration = "OFF" }, assert(libcurl { ca_file = peer.ca }))
    assert.equal(2, #requests())
  end))

  it("checks the name: a certificate for another name is a tls error, not retried", guard(function()
    local r = get(trusted, "&server_name=cognito-idp.us-east-1.amazonaws.com")
    assert.is_false(r.ok)
    assert.equal("transport", r.err.kind)
    assert.equal("CMFA_E_TLS", r.err.name, r.err.message)
    assert.equal(1, r.err.attempts, r.err.message)
    assert.is_false(r.err.retryable)
    assert_reason(trusted, r, "host mismatch", 'does not match host "cognito%-idp%.us%-east%-1%.amazonaws%.com"')
    assert.same({}, requests())
  end))

  it("cannot match an IP address endpoint (nginx checks names only) and says what to do", guard(function()
    local r = get(trusted)
    assert.is_false(r.ok)
    assert.equal("CMFA_E_TLS", r.err.name, r.err.message)
    assert.matches("host names only", r.err.message)
    assert.matches("server_name", r.err.message)
    assert.same({}, requests())
  end))

  it("refuses the self-signed certificate without trust (verify_tls default), as libcurl does", guard(function()
    local r = get(untrusted)
    assert.is_false(r.ok)
    assert.equal("transport", r.err.kind)
    assert.equal("CMFA_E_TLS", r.err.name, r.err.message)
    assert.equal(1, r.err.attempts, r.err.message)
    assert.is_false(r.err.retryable)
    assert_reason(untrusted, r, "self%-signed certificate", "self%-signed certificate")
    local _, err = libcurl()
    assert.equal(err.kind, r.err.kind)
    assert.equal(err.name, r.err.name)
    assert.equal(err.attempts, r.err.attempts)
    assert.equal(err.retryable, r.err.retryable)
    assert.same({}, requests())
  end))

  it("also refuses it by name when a server_name is given but nothing is trusted", guard(function()
    local r = get(untrusted, "&server_name=localhost")
    assert.is_false(r.ok)
    assert.equal("CMFA_E_TLS", r.err.name, r.err.message)
  end))

  it("works with verify_tls = false, as libcurl does", guard(function()
    local r = get(untrusted, "&verify_tls=0")
    assert.is_true(r.ok, r.err and r.err.message)
    assert.same({ MfaConfiguration = "OFF" }, r.out)
    assert.same({ MfaConfiguration = "OFF" }, assert(libcurl { verify_tls = false }))
  end))

  it("never reuses an unverified connection for a verified request", guard(function()
    assert.is_true(get(untrusted, "&verify_tls=0").ok)   -- leaves a connection in the pool
    local r = get(untrusted)
    assert.is_false(r.ok)
    assert.equal("CMFA_E_TLS", r.err.name, r.err.message)
    assert.equal(1, #requests())
  end))

  it("reuses a verified connection (keep-alive)", guard(function()
    assert.is_true(get(trusted, "&server_name=localhost").ok)
    assert.is_true(get(trusted, "&server_name=localhost").ok)
    local sent = requests()
    assert.equal(2, #sent)
    assert.equal(sent[1].client_port, sent[2].client_port)
  end))
end)
