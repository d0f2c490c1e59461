-- Secrets never show: no tostring of an error or a client, no pretty(err), no debug text (libcurl
-- path and custom-transport path) and no credential-failure message contains the secret key or
-- the session token. Failures that depend on the environment (AWS_* variables, shared files,
-- credential_process) run in a child interpreter with a clean environment.
local cognito_mfa = require "cognito_mfa"
local helpers = require "spec.helpers"
local fake = require "spec.support.fake_transport"

local SECRET = "wJalrXUtnFEMI/S3CR3TM4RK/bPxRfiCYEXAMPLEKEY"
local TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE/T0K3NM4RK+session=="
local CREDS = { access_key_id = "ASIAEXAMPLESECRETS01", secret_access_key = SECRET, session_token = TOKEN }
local POOL = "us-east-1_Ab12Cd34"

-- Fails when text contains the secret, the token, or a recognisable part of either.
local function assert_clean(text, what)
  text = tostring(text)
  for _, s in ipairs { SECRET, TOKEN, "S3CR3TM4RK", "T0K3NM4RK" } do
    assert.is_nil(text:find(s, 1, true), (what or "output") .. " contains a secret: " .. text)
  end
end

local function assert_error_clean(err, what)
  assert.is_table(err)
  assert_clean(tostring(err), what .. " (tostring)")
  assert_clean(cognito_mfa.pretty(err), what .. " (pretty)")
  for k, v in pairs(err) do
    assert_clean(v, what .. " field " .. tostring(k))
  end
  for _, v in ipairs(err.violations or {}) do
    assert_clean(v.message, what .. " violation")
    assert_clean(v.path, what .. " violation path")
  end
end

describe("secrets", function()
  describe("with a custom transport", function()
    it("stay out of tostring(client) and pretty(client)", function()
      local client = fake.client(fake.new(), { credentials = CREDS })
      assert_clean(tostring(client), "tostring(client)")
      assert_clean(cognito_mfa.pretty(client), "pretty(client)")
      assert_clean(client:credentials_source(), "credentials_source")
    end)

    it("stay out of the debug text, although the transport itself gets the token", function()
      local texts = {}
      local t = fake.new { fake.response(503, ""), fake.response(200, { MfaConfiguration = "OFF" }) }
      local client = fake.client(t, { credentials = CREDS, debug = function(s) texts[#texts + 1] = s end })
      assert(client:set_user_pool_mfa_config {
        UserPoolId = POOL, MfaConfiguration = "ON", SoftwareTokenMfaConfiguration = { Enabled = true },
      })
      assert.equal(TOKEN, fake.header(t.requests[1], "X-Amz-Security-Token"))
      assert.is_true(#texts >= 4)
      local all = table.concat(texts, "\n")
      assert.truthy(all:find("SetUserPoolMfaConfig", 1, true))
      assert_clean(all, "debug text")
      assert.is_nil(all:find("Signature=", 1, true), "the Authorization header is in the debug text")
    end)

    it("stay out of every kind of error", function()
      local cases = {
        service = fake.new { fake.aws_error(400, "NotAuthorizedException", "Access denied", "rid") },
        throttled = fake.new { fake.aws_error(400, "TooManyRequestsException", "slow down") },
        timeout = fake.new { { fail = "timeout" } },
        raised = fake.new { function() error("socket closed") end },
        bad_response = fake.new { fake.response(200, "not json") },
        bad_result = fake.new { function() return "nonsense" end },
      }
      for name, t in pairs(cases) do
        local client = fake.client(t, { credentials = CREDS })
        local out, err = client:get_user_pool_mfa_config { UserPoolId = POOL }
        assert.is_nil(out, name)
        assert_error_clean(err, name)
      end
      local client = fake.client(fake.new(), { credentials = CREDS })
      local _, err = client:set_user_pool_mfa_config { UserPoolId = "bad id", MfaConfiguration = "on" }
      assert.equal("validation", err.kind)
      assert_error_clean(err, "validation")
    end)

    it("stay out of errors about incomplete explicit credentials", function()
      for _, creds in ipairs {
        { secret_access_key = SECRET },
        { secret_access_key = SECRET, session_token = TOKEN },
        { access_key_id = "ASIAEXAMPLE", session_token = TOKEN },
        { session_token = TOKEN },
      } do
        local client, err = cognito_mfa.client {
          region = "us-east-1", credentials = creds, transport = fake.new().transport,
        }
        if client then
          -- accepted lazily: the failure comes with the first call
          client, err = client:get_user_pool_mfa_config { UserPoolId = POOL }
        end
        assert.is_nil(client)
        assert.equal("credentials", err.kind)
        assert_error_clean(err, "incomplete credentials")
      end
    end)
  end)

  describe("over libcurl", function()
    local fault

    setup(function()
      fault = helpers.start_peer("fault")
    end)

    teardown(function()
      if fault then
        fault.stop()
      end
    end)

    it("stay out of the debug text and the errors", function()
      helpers.script(fault, {
        { status = 500, headers = { ["x-amzn-RequestId"] = "r1" },
          body = '{"__type":"InternalErrorException","message":"try again"}' },
        { status = 400, headers = { ["x-amzn-RequestId"] = "r2" },
          body = '{"__type":"NotAuthorizedException","message":"Access denied"}' },
      })
      local texts = {}
      local client = helpers.client(fault, { credentials = CREDS, debug = function(s) texts[#texts + 1] = s end })
      assert_clean(tostring(client), "tostring(client)")
      local out, err = client:get_user_pool_mfa_config { UserPoolId = POOL }
      assert.is_nil(out)
      assert.equal("NotAuthorizedException", err.code)
      assert_error_clean(err, "service error over libcurl")
      local log = helpers.requests(fault)
      assert.equal(2, #log)
      assert.equal(TOKEN, log[1].headers["X-Amz-Security-Token"])
      local all = table.concat(texts, "\n")
      assert.truthy(all:find("GetUserPoolMfaConfig", 1, true))
      assert.truthy(all:find("NotAuthorizedException", 1, true))
      assert_clean(all, "debug text over libcurl")
      assert.is_nil(all:find("Signature=", 1, true), "the Authorization header is in the debug text")
      client:close()
    end)

    it("stay out of transport errors over libcurl", function()
      helpers.script(fault, { { action = "reset" } })
      local texts = {}
      local client = helpers.client(fault, {
        credentials = CREDS, max_attempts = 1, debug = function(s) texts[#texts + 1] = s end,
      })
      local _, err = client:describe_user_pool { UserPoolId = POOL }
      assert.equal("transport", err.kind)
      assert_error_clean(err, "transport error")
      assert_clean(table.concat(texts, "\n"), "debug text of a failed connection")
      client:close()
    end)
  end)

  describe("from the environment and shared files", function()
    local dir

    local function interpreter()
      return os.getenv("CMFA_LUA") or (rawget(_G, "jit") and "luajit" or "lua5.4")
    end

    local function write(name, text)
      local f = assert(io.open(dir .. "/" .. name, "w"))
      f:write(text)
      f:close()
      return dir .. "/" .. name
    end

    -- Runs the child driver with only the given variables (and the sanitizer runtime when
    -- the specs run under ASan); returns everything it wrote.
    local function run_child(vars)
      local env = {
        "PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" .. dir, "AWS_EC2_METADATA_DISABLED=true",
        "AWS_CONFIG_FILE=" .. dir .. "/absent", "AWS_SHARED_CREDENTIALS_FILE=" .. dir .. "/absent",
      }
      for _, name in ipairs { "LD_PRELOAD", "ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS" } do
        if os.getenv(name) then
          env[#env + 1] = name .. "=" .. os.getenv(name)
        end
      end
      for k, v in pairs(vars) do
        env[#env + 1] = k .. "=" .. v
      end
      for i, e in ipairs(env) do
        env[i] = helpers.shell_quote(e)
      end
      local setup_code = ("package.path = %q .. package.path; package.cpath = %q .. package.cpath")
        :format(package.path .. ";", package.cpath .. ";")
      local cmd = ("env -i %s %s -e %s %s 2>&1"):format(table.concat(env, " "), interpreter(),
        helpers.shell_quote(setup_code), helpers.shell_quote(dir .. "/child.lua"))
      local p = assert(io.popen(cmd))
      local out = p:read("*a")
      p:close()
      return out
    end

    setup(function()
      dir = os.tmpname()
      os.remove(dir)
      assert(os.execute("mkdir -p " .. helpers.shell_quote(dir)))
      -- The child creates a client from the environment, makes one call over a fake transport
      -- and prints everything a user could see.
      write("child.lua", [[
local cognito_mfa = require "cognito_mfa"
local function show(err)
  print("ERROR KIND " .. tostring(err.kind))
  print(tostring(err))
  print(cognito_mfa.pretty(err))
end
local client, err = cognito_mfa.client {
  region = "us-east-1",
  transport = function() return { status = 200, headers = {}, body = "{}" } end,
  debug = function(text) print("DEBUG " .. text) end,
}
if not client then
  show(err)
  return
end
print(tostring(client))
local out, cerr = client:get_user_pool_mfa_config { UserPoolId = "us-east-1_Ab12" }
if out then
  print("CALL OK " .. tostring(client:credentials_source()))
else
  show(cerr)
end
]])
    end)

    teardown(function()
      if dir then
        os.execute("rm -rf " .. helpers.shell_quote(dir))
      end
    end)

    local function process(json_or_text, exit_code)
      return ("env -u LD_PRELOAD printf '%%s' %s; exit %d"):format(
        helpers.shell_quote(json_or_text), exit_code or 0)
    end

    local failures = {
      { "only AWS_SECRET_ACCESS_KEY in the environment", function()
        return { AWS_SECRET_ACCESS_KEY = SECRET, AWS_SESSION_TOKEN = TOKEN }
      end },
      { "a credentials file with a secret but no key id", function()
        return { AWS_SHARED_CREDENTIALS_FILE = write("creds-nokey",
          "[default]\naws_secret_access_key = " .. SECRET .. "\naws_session_token = " .. TOKEN .. "\n") }
      end },
      { "a credentials file whose secret line is malformed", function()
        return { AWS_SHARED_CREDENTIALS_FILE = write("creds-malformed",
          "[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key " .. SECRET .. "\n") }
      end },
      { "a config file with credentials in an unterminated section", function()
        return { AWS_CONFIG_FILE = write("config-broken",
          "[profile default\naws_secret_access_key = " .. SECRET .. "\n") }
      end },
      { "credential_process output with an unsupported Version", function()
        return { AWS_CONFIG_FILE = write("config-v2", "[default]\ncredential_process = " .. process(
          ('{"Version":2,"AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"%s","SessionToken":"%s"}')
            :format(SECRET, TOKEN)) .. "\n") }
      end },
      { "credential_process output that has expired", function()
        return { AWS_CONFIG_FILE = write("config-expired", "[default]\ncredential_process = " .. process(
          ('{"Version":1,"AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"%s","SessionToken":"%s",' ..
           '"Expiration":"2001-01-01T00:00:00Z"}'):format(SECRET, TOKEN)) .. "\n") }
      end },
      { "credential_process output with a session token that is not a string", function()
        return { AWS_CONFIG_FILE = write("config-badtoken", "[default]\ncredential_process = " .. process(
          ('{"Version":1,"AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"%s","SessionToken":7}')
            :format(SECRET)) .. "\n") }
      end },
      { "credential_process output that is not JSON", function()
        return { AWS_CONFIG_FILE = write("config-text", "[default]\ncredential_process = " ..
          process(SECRET .. " " .. TOKEN) .. "\n") }
      end },
      { "credential_process that prints the keys and fails", function()
        return { AWS_CONFIG_FILE = write("config-exit", "[default]\ncredential_process = " .. process(
          ('{"Version":1,"AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"%s","SessionToken":"%s"}')
            :format(SECRET, TOKEN), 3) .. "\n") }
      end },
    }

    for _, case in ipairs(failures) do
      it("stay out of the error for " .. case[1], function()
        local out = run_child(case[2]())
        assert.truthy(out:find("ERROR KIND credentials", 1, true), out)
        assert_clean(out, case[1])
      end)
    end

    it("stay out of the debug text when they come from the environment", function()
      local out = run_child { AWS_ACCESS_KEY_ID = "ASIAEXAMPLEENV", AWS_SECRET_ACCESS_KEY = SECRET,
                              AWS_SESSION_TOKEN = TOKEN }
      assert.truthy(out:find("CALL OK environment", 1, true), out)
      assert.truthy(out:find("X-Amz-Security-Token", 1, true), out)
      assert_clean(out, "debug text with environment credentials")
    end)

    it("stay out of the debug text when they come from credential_process", function()
      local out = run_child { AWS_CONFIG_FILE = write("config-ok", "[default]\ncredential_process = " .. process(
        ('{"Version":1,"AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"%s","SessionToken":"%s"}')
          :format(SECRET, TOKEN)) .. "\n") }
      assert.truthy(out:find("CALL OK process", 1, true), out)
      assert_clean(out, "debug text with credential_process credentials")
    end)
  end)
end)
