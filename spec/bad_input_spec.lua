-- What bad input gets (the README's table, one `it` per row): the CLI run as a child process
-- against the scripted fault server, which counts what reaches it. For each kind of bad input:
-- the exit code, one clear message on stderr naming the field, option or file, nothing on
-- stdout, and how many requests were sent (none, for everything the CLI can check first).
local cognito_mfa = require "cognito_mfa"
local helpers = require "spec.helpers"
local run = require "spec.support.cli_run"

local POOL = "us-east-1_Abc123"
local FIXTURES = "spec/fixtures/policies/"

describe("bad input", function()
  local fault, home

  setup(function()
    fault = helpers.start_peer("fault")
    home = run.tempdir()
  end)

  teardown(function()
    if fault then fault.stop() end
    run.cleanup(home)
  end)

  local function file(name, text)
    local path = home .. "/" .. name
    run.write(path, text)
    return path
  end

  -- Runs the CLI against the fault server with a fresh script; returns the result and the
  -- requests the server received.
  local function cli(args, opts)
    opts = opts or {}
    helpers.script(fault, opts.script or { { status = 200, body = "{}" } })
    local full = { "--endpoint-url", fault.endpoint }
    for _, a in ipairs(args) do full[#full + 1] = a end
    local res = run.run(full, { home = home, env = opts.env })
    return res, helpers.requests(fault)
  end

  -- exit code, stderr mentions each of `says`, stdout empty, `sent` requests
  local function expect(res, requests, code, says, sent)
    local what = "stderr: " .. res.stderr
    assert.equal(code, res.code, what)
    for _, s in ipairs(says) do
      assert.truthy(res.stderr:find(s, 1, true), "'" .. s .. "' not in " .. what)
    end
    assert.equal("", res.stdout)
    assert.equal(sent or 0, #requests, what)
    -- and never a secret
    assert.is_nil(res.stderr:find(run.SECRET_KEY, 1, true))
    assert.is_nil(res.stderr:find(run.SESSION_TOKEN, 1, true))
  end

  it("parameters: 252, every violation with its path and option, nothing sent", function()
    local res, reqs = cli { "set-user-pool-mfa-config", "--user-pool-id", "not a pool id",
                            "--mfa-configuration", "on" }
    expect(res, reqs, 252, { "Parameter validation failed", "UserPoolId (--user-pool-id)",
                             "MfaConfiguration (--mfa-configuration): must be one of OFF, ON, OPTIONAL" })
    -- the Lua API: nil and a validation error with the violations, nothing sent either
    local sent = 0
    local client = assert(cognito_mfa.client { region = "us-east-1", endpoint_url = fault.endpoint,
      credentials = { access_key_id = "AKID", secret_access_key = "secret" },
      transport = function() sent = sent + 1; return { status = 200, headers = {}, body = "{}" } end })
    local out, err = client:set_user_pool_mfa_config { UserPoolId = POOL, MfaConfiguration = "on" }
    assert.is_nil(out)
    assert.equal("validation", err.kind)
    assert.equal("MfaConfiguration", err.violations[1].path)
    assert.equal(0, sent)
    client:close()
  end)

  it("shorthand: 252 naming the option and what is wrong, nothing sent", function()
    local res, reqs = cli { "set-user-pool-mfa-config", "--user-pool-id", POOL,
                            "--software-token-mfa-configuration", "Enabled=maybe" }
    expect(res, reqs, 252, { "--software-token-mfa-configuration" })
    res, reqs = cli { "set-user-pool-mfa-config", "--user-pool-id", POOL,
                      "--sms-mfa-configuration", "SmsConfiguration={ExternalId=x" }
    expect(res, reqs, 252, { "--sms-mfa-configuration" })
  end)

  it("files: 252 naming the file, nothing sent", function()
    local missing = home .. "/missing.json"
    local res, reqs = cli { "set-user-pool-mfa-config", "--user-pool-id", POOL,
                            "--sms-mfa-configuration", "file://" .. missing }
    expect(res, reqs, 252, { missing })
    res, reqs = cli { "get-user-pool-mfa-config", "--cli-input-json", "file://" .. file("in.json", "{not json") }
    expect(res, reqs, 252, { "--cli-input-json" })
    res, reqs = cli { "plan", "--desired", file("desired.json", "[1, 2]") }
    expect(res, reqs, 252, { "desired.json" })
    res, reqs = cli { "audit", "--policy", missing }
    expect(res, reqs, 252, { "--policy", missing })
  end)

  it("configuration: 253 naming the profile, region or file, nothing sent", function()
    local res, reqs = cli { "get-user-pool-mfa-config", "--user-pool-id", POOL, "--profile", "nosuchprofile" }
    expect(res, reqs, 253, { "nosuchprofile" })
    res, reqs = cli { "get-user-pool-mfa-config", "--user-pool-id", POOL, "--region", "not a region!" }
    expect(res, reqs, 253, { "region" })
    local config = file("config", "[default]\nregion = us-east-1\nmax_attempts = many\n")
    res, reqs = cli({ "get-user-pool-mfa-config", "--user-pool-id", POOL },
      { env = { AWS_CONFIG_FILE = config } })
    expect(res, reqs, 253, { "max_attempts" })
  end)

  it("credentials: 253 saying which provider failed, no secret shown, nothing sent", function()
    local none = { AWS_ACCESS_KEY_ID = false, AWS_SECRET_ACCESS_KEY = false, AWS_SESSION_TOKEN = false }
    local res, reqs = cli({ "get-user-pool-mfa-config", "--user-pool-id", POOL }, { env = none })
    expect(res, reqs, 253, { "credentials" })
    local env = { AWS_CONFIG_FILE = file("config-process", "[default]\nregion = us-east-1\n"
      .. "credential_process = sh -c 'exit 3'\n") }
    for k, v in pairs(none) do env[k] = v end
    res, reqs = cli({ "get-user-pool-mfa-config", "--user-pool-id", POOL }, { env = env })
    expect(res, reqs, 253, { "credential_process" })
    -- half of the explicit pair
    res, reqs = cli({ "get-user-pool-mfa-config", "--user-pool-id", POOL },
      { env = { AWS_SECRET_ACCESS_KEY = false, AWS_SESSION_TOKEN = false } })
    expect(res, reqs, 253, { "AWS_SECRET_ACCESS_KEY" })
  end)

  it("server answers: garbage, truncated or failing answers are errors (254/255) and modify sends no change", function()
    -- not JSON: a bad response; modify stops after the read
    local res, reqs = cli({ "modify", "--user-pool-id", POOL, "--software-token-mfa-configuration",
                            "Enabled=true" }, { script = { { status = 200, body = "<html>oops" } } })
    expect(res, reqs, 255, { "GetUserPoolMfaConfig" }, 1)
    -- cut short
    res, reqs = cli({ "modify", "--user-pool-id", POOL, "--software-token-mfa-configuration",
                      "Enabled=true" },
      { script = { { action = "truncate", body = '{"MfaConfiguration": "O', length = 200 } } })
    assert.is_true(res.code == 255, res.stderr)
    for _, r in ipairs(reqs) do
      assert.equal("AWSCognitoIdentityProviderService.GetUserPoolMfaConfig", r.headers["X-Amz-Target"]
        or r.headers["x-amz-target"])
    end
    -- a service error: 254 with the AWS code, no retry, nothing else sent
    res, reqs = cli({ "modify", "--user-pool-id", POOL, "--software-token-mfa-configuration",
                      "Enabled=true" },
      { script = { { status = 400, headers = { ["X-Amzn-ErrorType"] = "ResourceNotFoundException" },
                     body = '{"__type": "ResourceNotFoundException", "message": "User pool does not exist."}' } } })
    expect(res, reqs, 254, { "ResourceNotFoundException" }, 1)
    -- 500 three times: retried, then 254; still no SetUserPoolMfaConfig
    res, reqs = cli({ "modify", "--user-pool-id", POOL, "--software-token-mfa-configuration",
                      "Enabled=true" },
      { script = { { status = 500, headers = { ["X-Amzn-ErrorType"] = "InternalErrorException" },
                     body = '{"__type": "InternalErrorException", "message": "boom"}' } } })
    expect(res, reqs, 254, { "InternalErrorException" }, 3)
  end)

  it("rule files: 252 before anything is sent for a file that escapes, fails or never finishes", function()
    for _, f in ipairs { "escape_io.lua", "not_a_list.lua", "budget_top_level.lua" } do
      local res, reqs = cli { "audit", "--user-pool-id", POOL, "--policy", FIXTURES .. f }
      expect(res, reqs, 252, { f })
    end
    local res = cli { "audit", "--user-pool-id", POOL, "--policy", FIXTURES .. "budget_top_level.lua" }
    assert.truthy(res.stderr:find("rule exceeded its budget (instructions)", 1, true), res.stderr)
  end)
end)
