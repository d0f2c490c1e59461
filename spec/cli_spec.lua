-- The cognito-mfa command line, run as a child process (`$CMFA_LUA bin/cognito-mfa ...`)
-- against a real moto server and the scripted fault server on loopback: every command and
-- global option, skeletons, --cli-input-json, shorthand, exit codes, --debug redaction,
-- output formats, the repl, and JSON output equal to the AWS CLI's for the same calls.
-- Each child gets a temporary HOME and explicit credentials, so ~/.aws is never read.
local cognito_mfa = require "cognito_mfa"
local helpers = require "spec.helpers"
local run = require "spec.support.cli_run"

local unpack = table.unpack or unpack -- luacheck: ignore

local function decode(text)
  local v, err = cognito_mfa.decode_json(text)
  assert(v ~= nil, "not JSON: " .. tostring(err and err.message) .. "\n" .. text)
  return v
end

local function lines(s)
  local t = {}
  for l in s:gmatch("[^\n]+") do
    t[#t + 1] = l
  end
  return t
end

describe("cognito-mfa", function()
  local moto, fault, home, client
  local pool, plain_pool -- pool: MFA set through the API; plain_pool: never changed
  local opts

  local function cli(args, extra)
    local o = { home = home, env = extra and extra.env, stdin = extra and extra.stdin }
    local full = { "--endpoint-url", (extra and extra.endpoint) or moto.endpoint }
    for _, a in ipairs(args) do
      full[#full + 1] = a
    end
    return run.run(full, o)
  end

  local function ok(res)
    assert(res.code == 0, "exit " .. tostring(res.code) .. "\nstdout: " .. res.stdout
      .. "\nstderr: " .. res.stderr)
    return res
  end

  local function fault_script(steps)
    helpers.script(fault, steps)
  end

  setup(function()
    moto = helpers.start_peer("moto")
    fault = helpers.start_peer("fault")
    home = run.tempdir()
    opts = { home = home }
    client = helpers.client(moto)
    pool = helpers.create_pool(client, "cli-main")
    plain_pool = helpers.create_pool(client, "cli-plain")
    for i = 1, 3 do
      helpers.create_pool(client, "cli-extra-" .. i)
    end
    assert(client:set_user_pool_mfa_config {
      UserPoolId = pool, MfaConfiguration = "OPTIONAL",
      SoftwareTokenMfaConfiguration = { Enabled = true },
      SmsMfaConfiguration = {
        SmsAuthenticationMessage = "Your code is {####}",
        SmsConfiguration = { SnsCallerArn = "arn:aws:iam::123456789012:role/sms", ExternalId = "ext-1" },
      },
    })
  end)

  teardown(function()
    if client then client:close() end
    if moto then moto.stop() end
    if fault then fault.stop() end
    run.cleanup(home)
  end)

  describe("basics", function()
    it("prints its version with --version and exits 0", function()
      local res = ok(run.run({ "--version" }, opts))
      assert.matches("^cognito%-mfa/" .. cognito_mfa.VERSION:gsub("%.", "%%.") .. " ", res.stdout)
      assert.matches("libcmfa/", res.stdout)
    end)

    it("prints help with --help, help, and per command (help / --help)", function()
      for _, args in ipairs { { "--help" }, { "help" } } do
        local res = ok(run.run(args, opts))
        for _, cmd in ipairs { "get-user-pool-mfa-config", "set-user-pool-mfa-config",
                               "list-user-pools", "describe-user-pool", "repl" } do
          assert.matches(cmd, res.stdout, 1, true)
        end
        assert.matches("--endpoint-url", res.stdout, 1, true)
        assert.matches("252", res.stdout, 1, true)
      end
      for _, args in ipairs {
        { "set-user-pool-mfa-config", "help" }, { "set-user-pool-mfa-config", "--help" },
        { "help", "set-user-pool-mfa-config" },
      } do
        local res = ok(run.run(args, opts))
        for _, opt in ipairs { "--user-pool-id", "--sms-mfa-configuration",
                               "--software-token-mfa-configuration", "--email-mfa-configuration",
                               "--mfa-configuration", "--web-authn-configuration",
                               "--cli-input-json", "--generate-cli-skeleton" } do
          assert.matches(opt, res.stdout, 1, true)
        end
        assert.matches("OFF, ON, OPTIONAL", res.stdout, 1, true)
        assert.matches("REPLACES", res.stdout, 1, true)
      end
      assert.matches("--max-results", ok(run.run({ "list-user-pools", "help" }, opts)).stdout, 1, true)
      assert.matches("--user-pool-id", ok(run.run({ "describe-user-pool", "--help" }, opts)).stdout, 1, true)
    end)

    it("derives every option from the model's input members (PascalCase -> --kebab-case)", function()
      local model = cognito_mfa.model()
      local cli_mod = require "cognito_mfa.cli"
      for name, op in pairs(model.operations) do
        local cmd = cli_mod.commands[cli_mod.kebab(name)]
        assert.is_table(cmd, name)
        for _, m in ipairs(model.shapes[op.input].members) do
          assert.is_table(cmd.by_name["--" .. cli_mod.kebab(m.name)], m.name)
        end
      end
      assert.equal("web-authn-configuration", cli_mod.kebab("WebAuthnConfiguration"))
      assert.equal("get-user-pool-mfa-config", cli_mod.kebab("GetUserPoolMfaConfig"))
    end)

    it("exits 252 with a usage line when no command is given", function()
      local res = run.run({}, opts)
      assert.equal(252, res.code)
      assert.matches("usage: cognito%-mfa", res.stderr)
    end)
  end)

  describe("get-user-pool-mfa-config", function()
    it("prints the configuration as JSON", function()
      local res = ok(cli { "get-user-pool-mfa-config", "--user-pool-id", pool })
      local v = decode(res.stdout)
      assert.equal("OPTIONAL", v.MfaConfiguration)
      assert.is_true(v.SoftwareTokenMfaConfiguration.Enabled)
      assert.equal("Your code is {####}", v.SmsMfaConfiguration.SmsAuthenticationMessage)
      assert.equal("ext-1", v.SmsMfaConfiguration.SmsConfiguration.ExternalId)
      assert.matches('^{\n    "SmsMfaConfiguration": {\n        "', res.stdout)
      assert.equal("", res.stderr)
    end)

    it("accepts --opt=value and global options after the command", function()
      local res = ok(run.run({ "get-user-pool-mfa-config", "--user-pool-id=" .. pool,
                               "--endpoint-url=" .. moto.endpoint, "--region", "us-east-1" }, opts))
      assert.equal("OPTIONAL", decode(res.stdout).MfaConfiguration)
    end)

    it("prints text output like the AWS CLI (scalars tab-separated, sections upper-cased)", function()
      local res = ok(cli { "get-user-pool-mfa-config", "--user-pool-id", pool, "--output", "text" })
      local l = lines(res.stdout)
      assert.same({
        "OPTIONAL",
        "SMSMFACONFIGURATION\tYour code is {####}",
        "SMSCONFIGURATION\text-1\tarn:aws:iam::123456789012:role/sms",
        "SOFTWARETOKENMFACONFIGURATION\tTrue",
      }, l)
    end)

    it("prints table output like the AWS CLI", function()
      local res = ok(cli { "get-user-pool-mfa-config", "--user-pool-id", pool, "--output", "table" })
      local l = lines(res.stdout)
      assert.matches("^%-+$", l[1])
      assert.matches("^|%s+GetUserPoolMfaConfig%s+|$", l[2])
      assert.matches("|  MfaConfiguration%s+|  OPTIONAL%s+|", res.stdout)
      assert.matches("||%s+SmsMfaConfiguration%s+||", res.stdout)
      assert.matches("|||%s+ExternalId%s+|%s+SnsCallerArn%s+|||", res.stdout)
      assert.matches("||  Enabled%s+|  True%s+||", res.stdout)
      local width = #l[1]
      for _, line in ipairs(l) do
        assert.equal(width, #line, line)
      end
    end)

    it("takes the output format from AWS_DEFAULT_OUTPUT and from the profile", function()
      local res = ok(cli({ "get-user-pool-mfa-config", "--user-pool-id", pool },
        { env = { AWS_DEFAULT_OUTPUT = "text" } }))
      assert.matches("^OPTIONAL\n", res.stdout)
      local cfg = home .. "/profile-config"
      run.write(cfg, "[default]\noutput = table\n[profile other]\noutput = text\n")
      res = ok(cli({ "get-user-pool-mfa-config", "--user-pool-id", pool }, { env = { AWS_CONFIG_FILE = cfg } }))
      assert.matches("GetUserPoolMfaConfig", res.stdout, 1, true)
      res = ok(cli({ "get-user-pool-mfa-config", "--user-pool-id", pool, "--output", "json" },
        { env = { AWS_CONFIG_FILE = cfg } }))
      assert.equal("OPTIONAL", decode(res.stdout).MfaConfiguration)
    end)
  end)

  describe("set-user-pool-mfa-config", function()
    local target

    before_each(function()
      target = helpers.create_pool(client, "cli-set-" .. tostring(math.random(1e9)))
    end)

    local function current()
      return assert(client:get_user_pool_mfa_config { UserPoolId = target })
    end

    it("takes shorthand with quotes, commas, braces and nested structures", function()
      local res = ok(cli {
        "set-user-pool-mfa-config", "--user-pool-id", target, "--mfa-configuration", "ON",
        "--software-token-mfa-configuration", "Enabled=true",
        "--sms-mfa-configuration",
        'SmsAuthenticationMessage="Code {####}, valid 5 min",'
          .. 'SmsConfiguration={SnsCallerArn=arn:aws:iam::123456789012:role/sms,ExternalId="a,b {c}"}',
      })
      local printed = decode(res.stdout)
      assert.equal("ON", printed.MfaConfiguration)
      local got = current()
      assert.equal("ON", got.MfaConfiguration)
      assert.is_true(got.SoftwareTokenMfaConfiguration.Enabled)
      assert.equal("Code {####}, valid 5 min", got.SmsMfaConfiguration.SmsAuthenticationMessage)
      assert.equal("arn:aws:iam::123456789012:role/sms", got.SmsMfaConfiguration.SmsConfiguration.SnsCallerArn)
      assert.equal("a,b {c}", got.SmsMfaConfiguration.SmsConfiguration.ExternalId)
    end)

    it("types booleans through the model and keeps number-like strings as strings", function()
      ok(cli {
        "set-user-pool-mfa-config", "--user-pool-id", target, "--mfa-configuration", "OPTIONAL",
        "--software-token-mfa-configuration", "Enabled=false",
        "--sms-mfa-configuration", "SmsAuthenticationMessage='{####} is it',"
          .. "SmsConfiguration={ExternalId=00123,SnsCallerArn=arn:aws:iam::123456789012:role/x}",
      })
      local got = current()
      assert.is_false(got.SoftwareTokenMfaConfiguration.Enabled)
      assert.equal("00123", got.SmsMfaConfiguration.SmsConfiguration.ExternalId)
      assert.equal("{####} is it", got.SmsMfaConfiguration.SmsAuthenticationMessage)
    end)

    it("takes JSON values and file://path values", function()
      local path = home .. "/sms.json"
      run.write(path, '{"SmsAuthenticationMessage": "File {####}", "SmsConfiguration": '
        .. '{"SnsCallerArn": "arn:aws:iam::123456789012:role/f", "ExternalId": "from-file"}}')
      ok(cli {
        "set-user-pool-mfa-config", "--user-pool-id", target, "--mfa-configuration", "ON",
        "--software-token-mfa-configuration", '{"Enabled": true}',
        "--sms-mfa-configuration", "file://" .. path,
      })
      local got = current()
      assert.is_true(got.SoftwareTokenMfaConfiguration.Enabled)
      assert.equal("from-file", got.SmsMfaConfiguration.SmsConfiguration.ExternalId)
      -- shorthand from a file works too
      run.write(path, "Enabled=true\n")
      ok(cli {
        "set-user-pool-mfa-config", "--user-pool-id", target, "--mfa-configuration", "OPTIONAL",
        "--software-token-mfa-configuration", "file://" .. path,
      })
      got = current()
      assert.equal("OPTIONAL", got.MfaConfiguration)
      assert.is_nil(got.SmsMfaConfiguration) -- AWS semantics: left out means turned off
    end)

    it("sends the email and WebAuthn sections (nothing rejected client-side)", function()
      local res = cli {
        "set-user-pool-mfa-config", "--user-pool-id", target, "--mfa-configuration", "OPTIONAL",
        "--software-token-mfa-configuration", "Enabled=true",
        "--email-mfa-configuration", 'Message="Code {####}",Subject=Sign in',
        "--web-authn-configuration", "RelyingPartyId=example.com,UserVerification=preferred",
        "--debug",
      }
      ok(res)
      assert.matches('"EmailMfaConfiguration":{', res.stderr, 1, true)
      assert.matches('"Subject":"Sign in"', res.stderr, 1, true)
      assert.matches('"RelyingPartyId":"example.com"', res.stderr, 1, true)
      assert.matches('"UserVerification":"preferred"', res.stderr, 1, true)
    end)

    it("takes --cli-input-json as text, with command-line options overriding it", function()
      local input = cognito_mfa.encode_json {
        UserPoolId = "us-east-1_doesnotexist", MfaConfiguration = "OFF",
        SoftwareTokenMfaConfiguration = { Enabled = true },
      }
      ok(cli { "set-user-pool-mfa-config", "--cli-input-json", input, "--user-pool-id", target,
               "--mfa-configuration", "ON" })
      local got = current()
      assert.equal("ON", got.MfaConfiguration)
      assert.is_true(got.SoftwareTokenMfaConfiguration.Enabled)
    end)

    it("takes --cli-input-json from file://path, with overrides", function()
      local path = home .. "/input.json"
      run.write(path, cognito_mfa.encode_json {
        UserPoolId = target, MfaConfiguration = "ON",
        SoftwareTokenMfaConfiguration = { Enabled = true },
      })
      ok(cli { "set-user-pool-mfa-config", "--cli-input-json", "file://" .. path,
               "--mfa-configuration", "OPTIONAL" })
      local got = current()
      assert.equal("OPTIONAL", got.MfaConfiguration)
      assert.is_true(got.SoftwareTokenMfaConfiguration.Enabled)
      -- the input skeleton, filled in, is valid input
      local skel = decode(ok(run.run({ "get-user-pool-mfa-config", "--generate-cli-skeleton" }, opts)).stdout)
      skel.UserPoolId = target
      run.write(path, cognito_mfa.encode_json(skel))
      local res = ok(cli { "get-user-pool-mfa-config", "--cli-input-json", "file://" .. path })
      assert.equal("OPTIONAL", decode(res.stdout).MfaConfiguration)
    end)
  end)

  describe("list-user-pools", function()
    local total

    setup(function()
      total = 0
      for p in client:user_pools() do
        assert(p)
        total = total + 1
      end
    end)

    it("follows NextToken through every page and prints the merged UserPools", function()
      local res = ok(cli { "list-user-pools", "--page-size", "2" })
      local v = decode(res.stdout)
      assert.equal(total, #v.UserPools)
      assert.is_nil(v.NextToken)
      local seen = {}
      for _, p in ipairs(v.UserPools) do
        assert.is_nil(seen[p.Id])
        seen[p.Id] = true
      end
      assert.is_true(seen[pool] and seen[plain_pool])
    end)

    it("makes one call with --no-paginate and continues from --next-token", function()
      local first = decode(ok(cli { "list-user-pools", "--max-results", "2", "--no-paginate" }).stdout)
      assert.equal(2, #first.UserPools)
      assert.is_string(first.NextToken)
      local second = decode(ok(cli { "list-user-pools", "--max-results", "2", "--no-paginate",
                                     "--next-token", first.NextToken }).stdout)
      assert.equal(2, #second.UserPools)
      assert.are_not.equal(first.UserPools[1].Id, second.UserPools[1].Id)
      -- an explicit --max-results or --next-token turns automatic pagination off (AWS CLI)
      local again = decode(ok(cli { "list-user-pools", "--max-results", "2" }).stdout)
      assert.same(first, again)
      local rest = decode(ok(cli { "list-user-pools", "--max-results", "60",
                                   "--next-token", first.NextToken }).stdout)
      assert.equal(total - 2, #rest.UserPools)
      assert.is_nil(rest.NextToken)
    end)

    it("prints text and table output for lists", function()
      local res = ok(cli { "list-user-pools", "--max-results", "60", "--output", "text" })
      local n = 0
      for l in res.stdout:gmatch("[^\n]+") do
        assert.matches("^USERPOOLS\t", l)
        n = n + 1
      end
      assert.equal(total, n)
      res = ok(cli { "list-user-pools", "--max-results", "60", "--output", "table" })
      assert.matches("ListUserPools", res.stdout, 1, true)
      assert.matches(pool, res.stdout, 1, true)
    end)

    it("uses --region: pools live in their region", function()
      local v = decode(ok(cli { "list-user-pools", "--max-results", "10", "--region", "eu-west-1" }).stdout)
      assert.equal(0, #v.UserPools)
    end)

    it("uses --profile: the region comes from that profile", function()
      local cfg = home .. "/config-profiles"
      run.write(cfg, "[default]\nregion = us-east-1\n[profile eu]\nregion = eu-central-1\n")
      local env = { AWS_CONFIG_FILE = cfg, AWS_DEFAULT_REGION = false }
      local v = decode(ok(cli({ "list-user-pools", "--max-results", "10", "--profile", "eu" }, { env = env })).stdout)
      assert.equal(0, #v.UserPools)
      v = decode(ok(cli({ "list-user-pools", "--max-results", "60" }, { env = env })).stdout)
      assert.equal(total, #v.UserPools)
    end)

    it("prints timestamps as ISO 8601 by default and as sent with cli_timestamp_format = none", function()
      local v = decode(ok(cli { "list-user-pools", "--max-results", "60" }).stdout)
      assert.matches("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d[%.%d]*[+-]%d%d:%d%d$", v.UserPools[1].CreationDate)
      local cfg = home .. "/config-ts"
      run.write(cfg, "[default]\ncli_timestamp_format = none\n")
      v = decode(ok(cli({ "list-user-pools", "--max-results", "60" }, { env = { AWS_CONFIG_FILE = cfg } })).stdout)
      assert.is_number(v.UserPools[1].CreationDate)
    end)
  end)

  describe("describe-user-pool", function()
    it("prints the pool", function()
      local v = decode(ok(cli { "describe-user-pool", "--user-pool-id", plain_pool }).stdout)
      assert.equal(plain_pool, v.UserPool.Id)
      assert.equal("cli-plain", v.UserPool.Name)
      local res = ok(cli { "describe-user-pool", "--user-pool-id", plain_pool, "--output", "text" })
      assert.matches("^USERPOOL\t", res.stdout)
    end)
  end)

  describe("--generate-cli-skeleton", function()
    local function keys(t)
      local out = {}
      for k in pairs(t) do out[#out + 1] = k end
      table.sort(out)
      return out
    end

    it("prints input and output templates for every command from the model, sending nothing", function()
      fault_script { { status = 200, body = "{}" } }
      local model = cognito_mfa.model()
      local cli_mod = require "cognito_mfa.cli"
      for name, op in pairs(model.operations) do
        for _, which in ipairs { "input", "output" } do
          local args = { "--endpoint-url", fault.endpoint, cli_mod.kebab(name), "--generate-cli-skeleton" }
          if which == "output" then args[#args + 1] = "output" end
          local v = decode(ok(run.run(args, opts)).stdout)
          local shape = model.shapes[which == "input" and op.input or op.output]
          local want = {}
          for _, m in ipairs(shape.members) do want[#want + 1] = m.name end
          table.sort(want)
          assert.same(want, keys(v))
        end
      end
      local input = decode(ok(run.run({ "set-user-pool-mfa-config", "--generate-cli-skeleton", "input" }, opts)).stdout)
      assert.equal("", input.UserPoolId)
      assert.equal("OFF", input.MfaConfiguration) -- enum hint: the first allowed value
      assert.is_true(input.SoftwareTokenMfaConfiguration.Enabled)
      assert.equal("", input.SmsMfaConfiguration.SmsConfiguration.SnsCallerArn)
      assert.equal("required", input.WebAuthnConfiguration.UserVerification)
      local list_in = decode(ok(run.run({ "list-user-pools", "--generate-cli-skeleton" }, opts)).stdout)
      assert.equal(0, list_in.MaxResults)
      local list_out = decode(ok(run.run({ "list-user-pools", "--generate-cli-skeleton", "output" }, opts)).stdout)
      assert.equal(1, #list_out.UserPools)
      assert.equal("Enabled", list_out.UserPools[1].Status)
      assert.equal(0, #helpers.requests(fault))
    end)
  end)

  describe("exit codes", function()
    it("252 for bad syntax, with nothing sent", function()
      fault_script { { status = 200, body = "{}" } }
      local f = { endpoint = fault.endpoint }
      local set = { "set-user-pool-mfa-config", "--user-pool-id", "a_b" }
      local function with(...)
        local t = { unpack(set) }
        for _, a in ipairs { ... } do t[#t + 1] = a end
        return t
      end
      local cases = {
        { "get-user-pool-mfa-config", "--user-pool-id" },                     -- missing value
        { "get-user-pool-mfa-config", "--user-pool-id", "a_b", "--bogus", "x" },  -- unknown option
        { "get-user-pool-mfa-config", "--user-pool-id", "a_b", "stray" },     -- stray word
        { "no-such-command" },
        { "get-user-pool-mfa-config", "--user-pool-id", "a_b", "--output", "yaml-ish" },
        with("--software-token-mfa-configuration", "Enabled"),
        with("--software-token-mfa-configuration", "Enabled=maybe"),
        with("--sms-mfa-configuration", "SmsConfiguration={ExternalId=x"),
        with("--sms-mfa-configuration", 'SmsAuthenticationMessage="x'),
        with("--software-token-mfa-configuration", '{"Enabled": tru'),
        with("--sms-mfa-configuration", "file:///nonexistent/x.json"),
        with("--mfa-configuration"),
        { "list-user-pools", "--max-results", "ten" },
        { "get-user-pool-mfa-config", "--cli-input-json", "[1, 2]" },
        { "get-user-pool-mfa-config", "--cli-input-json", "{not json" },
        { "get-user-pool-mfa-config", "--user-pool-id", "a_b", "--cli-read-timeout", "soon" },
      }
      for _, args in ipairs(cases) do
        local res = cli(args, f)
        assert.equal(252, res.code, table.concat(args, " ") .. "\n" .. res.stderr)
        assert.matches("cognito%-mfa: error: ", res.stderr)
        assert.equal("", res.stdout)
      end
      assert.equal(0, #helpers.requests(fault))
    end)

    it("252 when parameters fail validation, listing each violation, with nothing sent", function()
      fault_script { { status = 200, body = "{}" } }
      local res = cli({
        "set-user-pool-mfa-config", "--user-pool-id", "not a pool id", "--mfa-configuration", "on",
        "--sms-mfa-configuration", "SmsAuthenticationMessage=short",
      }, { endpoint = fault.endpoint })
      assert.equal(252, res.code)
      assert.matches("Parameter validation failed", res.stderr, 1, true)
      assert.matches("UserPoolId (--user-pool-id): must match pattern", res.stderr, 1, true)
      assert.matches("MfaConfiguration (--mfa-configuration): must be one of OFF, ON, OPTIONAL", res.stderr, 1, true)
      assert.matches("SmsMfaConfiguration.SmsAuthenticationMessage (--sms-mfa-configuration): must be at least 6",
        res.stderr, 1, true)
      for _, args in ipairs {
        { "get-user-pool-mfa-config" },                         -- required member missing
        { "list-user-pools", "--no-paginate" },                 -- one call needs MaxResults
        { "list-user-pools", "--max-results", "0" },
        { "list-user-pools", "--max-results", "61" },
        { "set-user-pool-mfa-config", "--user-pool-id", "a_b", "--sms-mfa-configuration", "Bogus=1" },
        { "set-user-pool-mfa-config", "--cli-input-json", '{"UserPoolId": "a_b", "Extra": 1}' },
      } do
        res = cli(args, { endpoint = fault.endpoint })
        assert.equal(252, res.code, table.concat(args, " ") .. "\n" .. res.stderr)
        assert.matches("Parameter validation failed", res.stderr, 1, true)
      end
      res = cli({ "list-user-pools", "--no-paginate" }, { endpoint = fault.endpoint })
      assert.matches("MaxResults (--max-results): is required", res.stderr, 1, true)
      assert.equal(0, #helpers.requests(fault))
    end)

    it("253 without credentials, with a bad region, or with a missing profile", function()
      local res = cli({ "get-user-pool-mfa-config", "--user-pool-id", pool },
        { env = { AWS_ACCESS_KEY_ID = false, AWS_SECRET_ACCESS_KEY = false, AWS_SESSION_TOKEN = false } })
      assert.equal(253, res.code)
      assert.matches("credentials", res.stderr)
      assert.equal(1, #lines(res.stderr))
      res = cli { "get-user-pool-mfa-config", "--user-pool-id", pool, "--region", "not a region!" }
      assert.equal(253, res.code)
      assert.matches("region", res.stderr)
      res = cli { "get-user-pool-mfa-config", "--user-pool-id", pool, "--profile", "nosuchprofile" }
      assert.equal(253, res.code)
    end)

    it("254 when the service returns an error, with the AWS CLI's one-line message", function()
      local res = cli { "get-user-pool-mfa-config", "--user-pool-id", "us-east-1_doesnotexist" }
      assert.equal(254, res.code)
      local l = lines(res.stderr)
      assert.equal(1, #l)
      assert.matches("^An error occurred %(ResourceNotFoundException%) when calling the GetUserPoolMfaConfig "
        .. "operation: User pool us%-east%-1_doesnotexist does not exist%. %(request id [%w]+%)$", l[1])
      assert.equal("", res.stdout)
      res = cli { "describe-user-pool", "--user-pool-id", "us-east-1_doesnotexist" }
      assert.equal(254, res.code)
      assert.matches("calling the DescribeUserPool operation", res.stderr, 1, true)
    end)

    it("255 when nothing listens on the endpoint, and on a read timeout", function()
      local closed = helpers.start_peer("fault")
      local endpoint = closed.endpoint
      closed.stop()
      local res = cli({ "get-user-pool-mfa-config", "--user-pool-id", pool, "--cli-connect-timeout", "2" },
        { endpoint = endpoint })
      assert.equal(255, res.code)
      assert.matches("GetUserPoolMfaConfig", res.stderr, 1, true)
      assert.equal(1, #lines(res.stderr))
      fault_script { { delay = 3, status = 200, body = "{}" } }
      local t0 = os.time()
      res = cli({ "get-user-pool-mfa-config", "--user-pool-id", pool, "--cli-read-timeout", "1" },
        { endpoint = fault.endpoint, env = { AWS_MAX_ATTEMPTS = "1" } })
      assert.equal(255, res.code)
      assert.matches("timeout", res.stderr)
      assert.is_true(os.time() - t0 < 3 + 2)
    end)

    it("130 when interrupted (SIGINT during a call)", function()
      fault_script { { delay = 2, status = 200, body = '{"MfaConfiguration": "OFF"}' } }
      local res = run.run_interrupted({ "--endpoint-url", fault.endpoint, "get-user-pool-mfa-config",
                                        "--user-pool-id", "us-east-1_abc" }, opts, 0.7)
      assert.equal(130, res.code)
      assert.matches("interrupted", res.stderr)
    end)
  end)

  describe("--debug", function()
    it("writes request and response to stderr with secrets redacted", function()
      local res = ok(cli { "get-user-pool-mfa-config", "--user-pool-id", pool, "--debug" })
      assert.equal("OPTIONAL", decode(res.stdout).MfaConfiguration)
      assert.matches("X-Amz-Target: AWSCognitoIdentityProviderService.GetUserPoolMfaConfig", res.stderr, 1, true)
      assert.matches("HTTP 200", res.stderr, 1, true)
      assert.matches('"MfaConfiguration": "OPTIONAL"', res.stderr, 1, true)
      assert.matches("Authorization: [redacted]", res.stderr, 1, true)
      assert.is_nil(res.stderr:find(run.SECRET_KEY, 1, true))
      assert.is_nil(res.stderr:find(run.SESSION_TOKEN, 1, true))
      assert.is_nil(res.stderr:find("Signature=", 1, true))
      assert.is_nil(res.stdout:find(run.SECRET_KEY, 1, true))
    end)

    it("redacts on errors too", function()
      local res = cli { "get-user-pool-mfa-config", "--user-pool-id", "us-east-1_nope", "--debug" }
      assert.equal(254, res.code)
      assert.matches("ResourceNotFoundException", res.stderr, 1, true)
      assert.is_nil(res.stderr:find(run.SECRET_KEY, 1, true))
      assert.is_nil(res.stderr:find(run.SESSION_TOKEN, 1, true))
      assert.is_nil(res.stderr:find("Signature=", 1, true))
    end)
  end)

  describe("transport options", function()
    it("accepts --no-verify-ssl, --ca-bundle and the timeouts", function()
      local res = ok(cli { "get-user-pool-mfa-config", "--user-pool-id", pool, "--no-verify-ssl",
                           "--cli-connect-timeout", "5", "--cli-read-timeout", "10" })
      assert.equal("OPTIONAL", decode(res.stdout).MfaConfiguration)
      -- a CA bundle that cannot be read fails the TLS setup: 255, nothing silently unverified
      res = cli({ "get-user-pool-mfa-config", "--user-pool-id", pool, "--ca-bundle", home .. "/missing.pem" },
        { endpoint = "https://127.0.0.1:" .. moto.port })
      assert.equal(255, res.code)
      assert.matches("missing.pem", res.stderr, 1, true)
    end)
  end)

  describe("repl", function()
    it("evaluates piped Lua with cognito_mfa and a client from the global options", function()
      local res = ok(cli({ "repl" }, { stdin = table.concat({
        "client:get_user_pool_mfa_config{ UserPoolId = '" .. pool .. "' }",
        "for i = 1, 2 do",
        "  print('line', i)",
        "end",
        "=cognito_mfa.VERSION",
        "error('boom')",
        "cognito_mfa.validate('GetUserPoolMfaConfig', {})",
      }, "\n") .. "\n" }))
      assert.matches('MfaConfiguration = "OPTIONAL"', res.stdout, 1, true)
      assert.matches("line\t1\nline\t2\n", res.stdout, 1, true)
      assert.matches('"' .. cognito_mfa.VERSION .. '"', res.stdout, 1, true)
      assert.matches('path = "UserPoolId"', res.stdout, 1, true)
      assert.matches("boom", res.stderr, 1, true)
    end)
  end)

  describe("compared with the AWS CLI", function()
    local have = run.have_aws()

    local function both(args)
      local ours = ok(cli(args))
      local full = { "--endpoint-url", moto.endpoint, "cognito-idp" }
      for _, a in ipairs(args) do full[#full + 1] = a end
      local theirs = run.aws(full, opts)
      assert(theirs.code == 0, "aws failed: " .. theirs.stderr)
      return ours.stdout, theirs.stdout
    end

    it("prints JSON that parses equal to `aws cognito-idp` for get, list, describe and set", function()
      if not have then
        print("skipped: " .. run.AWS .. " is not installed (Debian package awscli)")
        return
      end
      local target = helpers.create_pool(client, "cli-vs-aws")
      for _, args in ipairs {
        { "get-user-pool-mfa-config", "--user-pool-id", pool },
        { "get-user-pool-mfa-config", "--user-pool-id", plain_pool },
        { "list-user-pools", "--max-results", "60" },
        { "describe-user-pool", "--user-pool-id", pool },
        { "set-user-pool-mfa-config", "--user-pool-id", target, "--mfa-configuration", "OPTIONAL",
          "--software-token-mfa-configuration", "Enabled=true",
          "--sms-mfa-configuration", 'SmsAuthenticationMessage="Code {####}",'
            .. "SmsConfiguration={SnsCallerArn=arn:aws:iam::123456789012:role/sms,ExternalId=x}" },
      } do
        local ours, theirs = both(args)
        assert.same(decode(theirs), decode(ours))
      end
      -- the merged pages equal the AWS CLI's single page of 60
      local ours = decode(ok(cli { "list-user-pools", "--page-size", "1" }).stdout)
      local _, theirs = both { "list-user-pools", "--max-results", "60" }
      assert.same(decode(theirs), ours)
    end)

    it("prints the same JSON with cli_timestamp_format = wire", function()
      if not have then
        print("skipped: " .. run.AWS .. " is not installed (Debian package awscli)")
        return
      end
      local cfg = home .. "/config-wire"
      run.write(cfg, "[default]\ncli_timestamp_format = wire\n")
      local env = { AWS_CONFIG_FILE = cfg }
      local ours = ok(cli({ "list-user-pools", "--max-results", "60" }, { env = env }))
      local theirs = run.aws({ "--endpoint-url", moto.endpoint, "cognito-idp", "list-user-pools",
                               "--max-results", "60" }, { home = home, env = env })
      assert.equal(0, theirs.code)
      assert.same(decode(theirs.stdout), decode(ours.stdout))
    end)

    it("prints the same text and table output", function()
      if not have then
        print("skipped: " .. run.AWS .. " is not installed (Debian package awscli)")
        return
      end
      for _, fmt in ipairs { "text", "table" } do
        for _, args in ipairs {
          { "get-user-pool-mfa-config", "--user-pool-id", pool, "--output", fmt },
          { "describe-user-pool", "--user-pool-id", plain_pool, "--output", fmt },
        } do
          local ours, theirs = both(args)
          assert.equal(theirs, ours)
        end
      end
    end)

    it("exits with the same codes for the same mistakes", function()
      if not have then
        print("skipped: " .. run.AWS .. " is not installed (Debian package awscli)")
        return
      end
      for _, args in ipairs {
        { "get-user-pool-mfa-config", "--user-pool-id", "us-east-1_doesnotexist" },
        { "get-user-pool-mfa-config", "--user-pool-id", pool, "--bogus" },
        { "get-user-pool-mfa-config", "--user-pool-id", pool, "--output", "nonsense" },
      } do
        local ours = cli(args)
        local full = { "--endpoint-url", moto.endpoint, "cognito-idp" }
        for _, a in ipairs(args) do full[#full + 1] = a end
        local theirs = run.aws(full, opts)
        assert.equal(theirs.code, ours.code, table.concat(args, " "))
      end
    end)
  end)
end)
