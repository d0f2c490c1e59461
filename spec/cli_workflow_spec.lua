-- The workflow commands of the CLI (audit, modify, plan, apply), run as child processes
-- against a real moto server: outputs, the safe merge, dry runs, confirmations, exit codes.
local cognito_mfa = require "cognito_mfa"
local helpers = require "spec.helpers"
local run = require "spec.support.cli_run"

-- A literal for Lua patterns (pool ids contain '-').
local function esc(s)
  return (s:gsub("%p", "%%%0"))
end

local SMS = {
  SmsAuthenticationMessage = "Your code is {####}",
  SmsConfiguration = { SnsCallerArn = "arn:aws:iam::123456789012:role/sms", ExternalId = "ext" },
}

describe("cognito-mfa workflow commands", function()
  local peer, client, home

  local function cli(args, opts)
    opts = opts or {}
    local full = { "--endpoint-url", opts.endpoint or peer.endpoint }
    for _, a in ipairs(args) do full[#full + 1] = a end
    return run.run(full, { home = home, env = opts.env, stdin = opts.stdin })
  end

  local function config(id)
    return assert(client:get_user_pool_mfa_config { UserPoolId = id })
  end

  local function pool(name, settings)
    local id = helpers.create_pool(client, name)
    if settings then
      settings.UserPoolId = id
      assert(client:set_user_pool_mfa_config(settings))
    end
    return id
  end

  local function file(name, text)
    local path = home .. "/" .. name
    run.write(path, text)
    return path
  end

  setup(function()
    peer = helpers.start_peer("moto")
    client = helpers.client(peer)
    home = run.tempdir()
  end)

  teardown(function()
    if client then client:close() end
    if peer then peer.stop() end
    run.cleanup(home)
  end)

  describe("audit", function()
    local off, sms_only, good

    setup(function()
      off = pool("audit-off")
      sms_only = pool("audit-sms", { MfaConfiguration = "OPTIONAL", SmsMfaConfiguration = SMS })
      good = pool("audit-good", { MfaConfiguration = "ON",
                                  SoftwareTokenMfaConfiguration = { Enabled = true } })
    end)

    it("prints a table of pools and findings and exits 3 when a rule fails", function()
      local r = cli { "audit", "--user-pool-id", off, sms_only, good }
      assert.are.equal(3, r.code, r.stderr)
      assert.matches("USER POOL", r.stdout, 1, true)
      assert.matches(esc(off) .. "%s+audit%-off%s+FAIL%s+mfa%-on", r.stdout)
      assert.matches(esc(sms_only) .. "%s+audit%-sms%s+FAIL%s+mfa%-on, non%-sms%-factor", r.stdout)
      assert.matches(esc(good) .. "%s+audit%-good%s+PASS", r.stdout)
      assert.matches("3 pools: 1 passed, 2 failed, 0 could not be read", r.stdout, 1, true)
    end)

    it("exits 0 when every rule passes", function()
      local r = cli { "audit", "--user-pool-id", good }
      assert.are.equal(0, r.code, r.stderr)
    end)

    it("audits every pool in the region when no pool is named", function()
      local r = cli { "audit", "--output", "json" }
      local report = assert(cognito_mfa.decode_json(r.stdout))
      local seen = {}
      assert.are.equal("cognito-mfa/audit-report", report.schema)
      for _, p in ipairs(report.pools) do seen[p.pool_id] = p end
      assert.is_truthy(seen[off] and seen[sms_only] and seen[good])
      assert.is_true(seen[good].passed)
      assert.is_false(report.passed)
    end)

    it("accepts OPTIONAL with --allow-optional", function()
      local id = pool("audit-optional", { MfaConfiguration = "OPTIONAL",
                                          SoftwareTokenMfaConfiguration = { Enabled = true } })
      assert.are.equal(3, cli({ "audit", "--user-pool-id", id }).code)
      assert.are.equal(0, cli({ "audit", "--user-pool-id", id, "--allow-optional" }).code)
    end)

    it("writes JUnit XML that parses", function()
      local r = cli { "audit", "--user-pool-id", off, good, "--output", "junit" }
      assert.are.equal(3, r.code)
      local path = file("junit.xml", r.stdout)
      local h = io.popen("python3 -c " .. helpers.shell_quote(
        "import sys, xml.dom.minidom as m; d = m.parse(sys.argv[1]); s = d.documentElement; "
        .. "print(s.tagName, s.getAttribute('tests'), s.getAttribute('failures'), "
        .. "len(d.getElementsByTagName('failure')))") .. " " .. helpers.shell_quote(path))
      local line = h:read("*l")
      h:close()
      -- 6 baseline rules for each of 2 pools; the OFF pool fails 3 of them
      assert.are.equal("testsuites 12 3 3", line)
    end)

    it("shows progress on a terminal", function()
      local r = cli({ "audit", "--user-pool-id", off, good }, { env = { COGNITO_MFA_PROGRESS = "1" } })
      assert.matches("audited 2 of 2 pools", r.stderr, 1, true)
      r = cli({ "audit", "--user-pool-id", off, good }, { env = { COGNITO_MFA_PROGRESS = "0" } })
      assert.is_nil(r.stderr:find("audited", 1, true))
    end)

    it("evaluates a custom policy file", function()
      local path = file("policy.lua", [[
        return {
          { id = "sms-configured", severity = "low", description = "SMS is set up",
            check = function(config)
              return config.SmsMfaConfiguration ~= nil, "no SMS configuration"
            end },
        }
      ]])
      assert.are.equal(0, cli({ "audit", "--user-pool-id", sms_only, "--policy", path }).code)
      local r = cli { "audit", "--user-pool-id", good, "--policy", path }
      assert.are.equal(3, r.code)
      assert.matches("sms-configured", r.stdout, 1, true)
    end)

    it("refuses a policy file that reaches outside its sandbox (exit 252)", function()
      local path = file("evil.lua", [[
        local f = io.open("/etc/passwd")
        return {}
      ]])
      local r = cli { "audit", "--user-pool-id", good, "--policy", path }
      assert.are.equal(252, r.code)
      assert.matches("--policy", r.stderr, 1, true)
    end)

    it("fixes failing pools with --fix, and only shows the fixes with --dry-run", function()
      local id = pool("audit-fix")
      local before = config(id)
      local r = cli { "audit", "--user-pool-id", id, "--fix", "--dry-run" }
      assert.are.equal(3, r.code)
      assert.matches("would fix " .. id, r.stderr, 1, true)
      assert.are.same(before, config(id))
      r = cli { "audit", "--user-pool-id", id, "--fix" }
      assert.are.equal(0, r.code, r.stdout .. r.stderr)
      local after = config(id)
      assert.are.equal("ON", after.MfaConfiguration)
      assert.is_true(after.SoftwareTokenMfaConfiguration.Enabled)
    end)

    it("reports a pool that cannot be read in its row", function()
      local r = cli { "audit", "--user-pool-id", good, "us-east-1_DoesNotExist0" }
      assert.are.equal(3, r.code)
      assert.matches("us%-east%-1_DoesNotExist0%s+%-%s+ERROR%s+ResourceNotFoundException", r.stdout)
    end)
  end)

  describe("modify", function()
    it("merges one setting into the configuration, keeps the others, prints the diff", function()
      local id = pool("modify-merge", { MfaConfiguration = "OPTIONAL", SmsMfaConfiguration = SMS })
      local r = cli { "modify", "--user-pool-id", id, "--software-token-mfa-configuration", "Enabled=true" }
      assert.are.equal(0, r.code, r.stderr)
      assert.matches("+ SoftwareTokenMfaConfiguration.Enabled: true", r.stdout, 1, true)
      assert.matches("applied and verified", r.stdout, 1, true)
      local c = config(id)
      assert.are.equal("OPTIONAL", c.MfaConfiguration)
      assert.are.same(SMS, c.SmsMfaConfiguration)
      assert.is_true(c.SoftwareTokenMfaConfiguration.Enabled)
    end)

    it("says so when a setting cannot take effect because MFA stays OFF, and sends nothing", function()
      local id = pool("modify-off")
      local r = cli { "modify", "--user-pool-id", id, "--software-token-mfa-configuration", "Enabled=true" }
      assert.are.equal(0, r.code, r.stderr)
      assert.matches("no changes", r.stdout, 1, true)
      assert.matches("not sent", r.stdout, 1, true)
      assert.matches("already as wanted: nothing was sent", r.stdout, 1, true)
      assert.is_nil(config(id).SoftwareTokenMfaConfiguration)
    end)

    it("sends nothing with --dry-run", function()
      local id = pool("modify-dry", { MfaConfiguration = "OPTIONAL", SmsMfaConfiguration = SMS })
      local before = config(id)
      local r = cli { "modify", "--user-pool-id", id, "--mfa-configuration", "OFF", "--dry-run" }
      assert.are.equal(0, r.code, r.stderr)
      assert.matches('~ MfaConfiguration: "OPTIONAL" -> "OFF"', r.stdout, 1, true)
      assert.matches("not sent", r.stdout, 1, true)
      assert.matches("dry run: nothing was sent", r.stdout, 1, true)
      assert.are.same(before, config(id))
    end)

    it("clears a section on purpose with --clear", function()
      local id = pool("modify-clear", { MfaConfiguration = "ON", SmsMfaConfiguration = SMS,
                                        SoftwareTokenMfaConfiguration = { Enabled = true } })
      local r = cli { "modify", "--user-pool-id", id, "--clear", "sms-mfa-configuration" }
      assert.are.equal(0, r.code, r.stderr)
      local c = config(id)
      assert.is_nil(c.SmsMfaConfiguration)
      assert.are.equal("ON", c.MfaConfiguration)
      assert.is_true(c.SoftwareTokenMfaConfiguration.Enabled)
    end)

    it("prints JSON with --output json", function()
      local id = pool("modify-json")
      local r = cli { "--output", "json", "modify", "--user-pool-id", id, "--mfa-configuration", "ON",
                      "--software-token-mfa-configuration", '{"Enabled": true}', "--dry-run" }
      assert.are.equal(0, r.code, r.stderr)
      local out = assert(cognito_mfa.decode_json(r.stdout))
      assert.are.equal(id, out.UserPoolId)
      assert.is_false(out.Applied)
      assert.are.equal("MfaConfiguration", out.Changes[1].Path)
      assert.are.equal("SoftwareTokenMfaConfiguration.Enabled", out.Changes[2].Path)
    end)

    it("refuses a change that would fail, with nothing sent (exit 252)", function()
      local id = pool("modify-refuse")
      local before = config(id)
      local r = cli { "modify", "--user-pool-id", id, "--mfa-configuration", "ON" }
      assert.are.equal(252, r.code)
      assert.matches("needs an enabled factor", r.stderr, 1, true)
      assert.are.same(before, config(id))
    end)

    it("exits 252 for bad syntax and 254 for an unknown pool", function()
      assert.are.equal(252, cli({ "modify", "--mfa-configuration", "ON" }).code)
      assert.are.equal(252, cli({ "modify", "--user-pool-id", "us-east-1_x", "--clear", "nope" }).code)
      assert.are.equal(252, cli({ "modify", "--user-pool-id", "us-east-1_x",
                                  "--software-token-mfa-configuration", "Enabled=" }).code)
      local r = cli { "modify", "--user-pool-id", "us-east-1_Missing00",
                      "--software-token-mfa-configuration", "Enabled=true" }
      assert.are.equal(254, r.code)
      assert.matches("ResourceNotFoundException", r.stderr, 1, true)
    end)

    it("exits 253 without credentials and 255 when the endpoint cannot be reached", function()
      local r = cli({ "modify", "--user-pool-id", "us-east-1_x", "--mfa-configuration", "OFF" },
        { env = { AWS_ACCESS_KEY_ID = false, AWS_SECRET_ACCESS_KEY = false, AWS_SESSION_TOKEN = false } })
      assert.are.equal(253, r.code)
      r = cli({ "modify", "--user-pool-id", "us-east-1_x", "--mfa-configuration", "OFF",
                "--cli-connect-timeout", "2" }, { endpoint = "http://127.0.0.1:1" })
      assert.are.equal(255, r.code)
    end)
  end)

  describe("plan and apply", function()
    local a, b

    setup(function()
      a = pool("plan-a", { MfaConfiguration = "OPTIONAL", SmsMfaConfiguration = SMS })
      b = pool("plan-b")
    end)

    it("plan exits 2 when there are changes and prints them, sending nothing", function()
      local desired = file("desired.json", cognito_mfa.encode_json {
        [a] = { SoftwareTokenMfaConfiguration = { Enabled = true } },
        [b] = { MfaConfiguration = "ON", SoftwareTokenMfaConfiguration = { Enabled = true } },
      })
      local before_a, before_b = config(a), config(b)
      local r = cli { "plan", "--desired", desired }
      assert.are.equal(2, r.code, r.stderr)
      assert.matches(a .. ":\n  + SoftwareTokenMfaConfiguration.Enabled: true", r.stdout, 1, true)
      assert.matches('~ MfaConfiguration: "OFF" -> "ON"', r.stdout, 1, true)
      assert.matches("Plan: 2 of 2 pools to change.", r.stdout, 1, true)
      assert.are.same(before_a, config(a))
      assert.are.same(before_b, config(b))
    end)

    it("apply asks for confirmation and changes nothing unless the answer is yes", function()
      local desired = file("desired2.json", cognito_mfa.encode_json {
        [b] = { MfaConfiguration = "ON", SoftwareTokenMfaConfiguration = { Enabled = true } },
      })
      local before = config(b)
      local r = cli({ "apply", "--desired", desired }, { stdin = "no\n" })
      assert.are.equal(1, r.code)
      assert.matches("Apply cancelled.", r.stdout, 1, true)
      assert.are.same(before, config(b))
      r = cli({ "apply", "--desired", desired }, { stdin = "yes\n" })
      assert.are.equal(0, r.code, r.stderr)
      assert.are.equal("ON", config(b).MfaConfiguration)
      assert.are.equal(0, cli({ "plan", "--desired", desired }).code)
    end)

    it("applies a Lua desired file for every pool with \"*\", keeping each pool's other settings", function()
      local desired = file("desired.lua", [[
        return {
          ["*"] = { MfaConfiguration = "ON", SoftwareTokenMfaConfiguration = { Enabled = true } },
        }
      ]])
      local r = cli { "apply", "--desired", desired, "--auto-approve" }
      assert.are.equal(0, r.code, r.stderr)
      assert.are.same(SMS, config(a).SmsMfaConfiguration)
      assert.is_true(config(a).SoftwareTokenMfaConfiguration.Enabled)
      assert.are.equal("ON", config(a).MfaConfiguration)
      assert.are.equal(0, cli({ "plan", "--desired", desired }).code)
    end)

    it("exits 252 for a missing or malformed desired file", function()
      assert.are.equal(252, cli({ "plan" }).code)
      assert.are.equal(252, cli({ "plan", "--desired", home .. "/missing.json" }).code)
      assert.are.equal(252, cli({ "plan", "--desired", file("bad.json", "[1, 2]") }).code)
      assert.are.equal(252, cli({ "plan", "--desired", file("bad.lua", "os.exit(1)") }).code)
    end)

    it("stops with exit 252 when a desired configuration would be refused", function()
      local desired = file("refused.json", cognito_mfa.encode_json {
        [b] = { MfaConfiguration = "ON", SoftwareTokenMfaConfiguration = { Enabled = false } },
      })
      local r = cli { "plan", "--desired", desired }
      assert.are.equal(252, r.code)
      assert.matches("needs an enabled factor", r.stderr, 1, true)
    end)
  end)
end)
