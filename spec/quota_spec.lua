-- Audits against a server that enforces Cognito's request-rate quota the way the service does
-- (tools/quota_server.py: a token bucket of 15 requests per second, burst 15, per access key and
-- region, TooManyRequestsException beyond it). In adaptive retry mode (what audits use unless
-- told otherwise) an audit at any concurrency reads every pool, at close to the quota's pace;
-- in standard mode the same audit loses pools to throttling, which shows the server enforces
-- and these specs can fail. Each audit starts from a full bucket and fresh statistics
-- (POST /__reset). The measured figures are printed.
local cognito_mfa = require "cognito_mfa"
local helpers = require "spec.helpers"
local run = require "spec.support.cli_run"

local RATE = 15          -- requests per second (Cognito's figure, see tools/quota_server.py)
local POOLS = 150        -- pools; 1 in 5 has email MFA, which the baseline needs DescribeUserPool for
local FEW = 60           -- pools for the checks that need no timing (keeps the spec under a minute)
-- Requests a complete audit needs: ListUserPools pages of 60, one GetUserPoolMfaConfig per pool,
-- one DescribeUserPool per email-MFA pool.
local REQUESTS = math.ceil(POOLS / 60) + POOLS + POOLS / 5
-- The quota's pace: the time the quota takes to admit REQUESTS. The target is at most 1.25
-- times that (measured here: 1.07-1.13 on an idle machine; the limiter's slow start after the
-- first throttled burst costs about a second, whatever the number of pools).
local PACE = REQUESTS / RATE
local BOUND = 1.25

-- Pools that fail the baseline in quota_server.py's mix (pool i: kind i % 5, tier i % 3):
-- MFA off, SMS-only OPTIONAL, and email MFA on the LITE tier.
local function failing(pools)
  local n = 0
  for i = 0, pools - 1 do
    local kind = i % 5
    if kind == 0 or kind == 2 or (kind == 4 and i % 3 == 1) then n = n + 1 end
  end
  return n
end

local function now()
  local h = assert(io.popen(helpers.CLEAN_ENV .. "date +%s.%N"))
  local t = tonumber(h:read("*l"))
  h:close()
  return t
end

local function control(peer, method, path, body)
  local cmd = helpers.CLEAN_ENV .. "curl -sS -X " .. method .. " "
    .. (body and ("--data-binary " .. helpers.shell_quote(body) .. " ") or "") .. peer.endpoint .. path
  local h = assert(io.popen(cmd))
  local out = h:read("*a")
  h:close()
  return assert(cognito_mfa.decode_json(out))
end

describe("audit under a request-rate quota of " .. RATE .. " requests/s", function()
  local peer

  setup(function()
    peer = helpers.start_peer("quota")
  end)

  teardown(function()
    if peer then peer.stop() end
  end)

  local function reset(pools)
    control(peer, "POST", "/__reset", cognito_mfa.encode_json { rate = RATE, burst = RATE, pools = pools or POOLS })
  end

  local function stats()
    local st = control(peer, "GET", "/__stats")
    local key
    for _, v in pairs(st.keys) do key = v end
    return st, key
  end

  -- One audit from a full bucket: the report, its wall time and the server's statistics.
  local function audit(client_opts, audit_opts, pools)
    reset(pools)
    local client = helpers.client(peer, client_opts)
    local t0 = now()
    local report = assert(client:audit(audit_opts))
    local seconds = now() - t0
    local st, key = stats()
    return report, seconds, st, key, client
  end

  local function errors_of(report)
    local codes = {}
    for _, p in ipairs(report.pools) do
      if p.error then codes[#codes + 1] = tostring(p.error.code) end
    end
    return codes
  end

  for _, case in ipairs {
    { concurrency = 1, client = { retry_mode = "adaptive" } },
    { concurrency = 16, client = {} },   -- retry mode not chosen: the audit's adaptive twin
    { concurrency = 64, client = { retry_mode = "adaptive" } },
  } do
    it("reads every pool at concurrency " .. case.concurrency .. " at close to the quota's pace", function()
      local report, seconds, st, key, client = audit(case.client, { concurrency = case.concurrency })
      local paced = client:adaptive()
      print(string.format("\n  quota %d/s, %d pools, concurrency %2d: %.2f s for %d requests "
        .. "(quota's pace %.2f s: %.2fx; %d throttled answers, admitted rate %.2f/s, "
        .. "client send_rate %.2f/s)", RATE, POOLS, case.concurrency, seconds, st.admitted, PACE,
        seconds / PACE, st.throttled, key.admitted_rate, paced:send_rate()))
      assert.are.equal(POOLS, #report.pools)
      assert.are.same({}, errors_of(report))
      assert.are.equal(0, report.error_count)
      -- every request the audit needs went through exactly once
      assert.are.equal(REQUESTS, st.admitted)
      assert.is_true(seconds <= BOUND * PACE,
        string.format("%.2f s is more than %.2f x the quota's pace of %.2f s", seconds, BOUND, PACE))
      -- the limiter settled near the quota: the server admitted at close to the quota's rate
      -- all along. The client's send_rate is a CUBIC sawtooth (after each throttled answer 0.7
      -- times the lower of its rate and the measured rate, then probing above the quota), so its
      -- value at the end is only checked to be engaged and not running away (measured at the
      -- end of runs: 6.5 to 17.6 per second).
      assert.are.equal("adaptive", paced:retry_mode())
      assert.is_true(key.admitted_rate >= 0.8 * RATE and key.admitted_rate <= 1.1 * RATE,
        "admitted rate " .. key.admitted_rate)
      assert.is_true(paced:send_rate() >= 0.25 * RATE and paced:send_rate() <= 2 * RATE,
        "send_rate " .. paced:send_rate())
      assert.are.equal(failing(POOLS), report.failed_count)
      client:close()
    end)
  end

  it("the server throttles as Cognito does: 400 TooManyRequestsException, Rate exceeded", function()
    control(peer, "POST", "/__reset", cognito_mfa.encode_json { rate = 1, burst = 1, pools = 3 })
    local client = helpers.client(peer, { retry_mode = "standard", max_attempts = 1 })
    assert(client:get_user_pool_mfa_config { UserPoolId = "us-east-1_q00000001" })
    local out, err = client:get_user_pool_mfa_config { UserPoolId = "us-east-1_q00000001" }
    assert.is_nil(out)
    assert.are.equal("TooManyRequestsException", err.code)
    assert.are.equal(400, err.status)
    assert.truthy(err.message:find("Rate exceeded", 1, true))
    assert.is_true(err.retryable)
    -- another access key, or another region, has a bucket of its own
    local other = helpers.client(peer, { retry_mode = "standard", max_attempts = 1, credentials = {
      access_key_id = "AKIDOTHER", secret_access_key = "x" } })
    assert(other:get_user_pool_mfa_config { UserPoolId = "us-east-1_q00000001" })
    local west = helpers.client(peer, { retry_mode = "standard", max_attempts = 1, region = "us-west-2" })
    assert(west:get_user_pool_mfa_config { UserPoolId = "us-west-2_q00000002" })
    local st = control(peer, "GET", "/__stats")
    assert.are.equal(4, st.requests)
    assert.are.equal(1, st.throttled)
    client:close(); other:close(); west:close()
  end)

  it("uses an adaptive twin only for what the user did not choose", function()
    if (os.getenv("AWS_RETRY_MODE") or "") ~= "" or (os.getenv("AWS_MAX_ATTEMPTS") or "") ~= "" then
      return   -- the environment chose for every client of this process
    end
    local paced = require("cognito_mfa.client").PACED_MAX_ATTEMPTS
    local plain = helpers.client(peer)
    assert.are.equal("standard", plain:retry_mode())
    local twin = plain:adaptive()
    assert.are_not.equal(plain, twin)
    assert.are.equal("adaptive", twin:retry_mode())
    assert.are.equal(paced, twin:max_attempts())
    assert.are.equal(twin, plain:adaptive())
    assert.are.equal(plain:endpoint(), twin:endpoint())
    plain:close()
    -- a mode chosen: kept (standard: the attempts too; adaptive: the attempts raised)
    local standard = helpers.client(peer, { retry_mode = "standard" })
    assert.are.equal(standard, standard:adaptive())
    standard:close()
    local adaptive = helpers.client(peer, { retry_mode = "adaptive" })
    assert.are.equal("adaptive", adaptive:adaptive():retry_mode())
    assert.are.equal(paced, adaptive:adaptive():max_attempts())
    adaptive:close()
    -- both chosen: this client
    local both = helpers.client(peer, { retry_mode = "adaptive", max_attempts = 2 })
    assert.are.equal(both, both:adaptive())
    both:close()
  end)

  it("loses pools to throttling in standard mode (the server enforces the quota)", function()
    local report, seconds, st = audit({ retry_mode = "standard" }, { concurrency = 16 }, 90)
    local codes = errors_of(report)
    print(string.format("\n  standard mode, concurrency 16: %.2f s, %d of %d pools in error, "
      .. "%d throttled answers", seconds, #codes, 90, st.throttled))
    assert.is_true(#codes > 0)
    for _, c in ipairs(codes) do
      assert.are.equal("TooManyRequestsException", c)
    end
    assert.is_true(st.throttled > 0)
  end)

  it("audit { adaptive = <not a boolean> } raises", function()
    local client = helpers.client(peer)
    local ok, err = pcall(client.audit, client, { adaptive = "yes" })
    assert.is_false(ok)
    assert.truthy(tostring(err):find("audit: adaptive must be a boolean, got string", 1, true))
    client:close()
  end)

  it("audit { adaptive = false } sends with the client as it is", function()
    local report = audit({}, { concurrency = 16, adaptive = false }, FEW)
    assert.is_true(report.error_count > 0)
  end)

  it("the CLI's audit --concurrency 16 has no pool in error (adaptive by default)", function()
    reset(FEW)
    local home = run.tempdir()
    local t0 = now()
    local r = run.run({ "--endpoint-url", peer.endpoint, "audit", "--concurrency", "16",
      "--output", "json" }, { home = home, env = { AWS_RETRY_MODE = false } })
    local seconds = now() - t0
    run.cleanup(home)
    local st = stats()
    print(string.format("\n  CLI audit --concurrency 16: %.2f s, %d requests admitted, %d throttled",
      seconds, st.admitted, st.throttled))
    assert.are.equal(3, r.code, r.stderr)   -- 3: some pool fails a rule, none in error
    local out = assert(cognito_mfa.decode_json(r.stdout))
    assert.are.equal(0, out.totals.errors)
    assert.are.equal(FEW, #out.pools)
    assert.are.equal(failing(FEW), out.totals.failed)
  end)

  it("the CLI picks adaptive mode and 5 attempts for audit, plan and apply unless told otherwise", function()
    reset(5)
    local home = run.tempdir()
    run.write(home .. "/desired.json", '{"*": {"MfaConfiguration": "ON"}}')
    local function client_line(args, env)
      local full = { "--endpoint-url", peer.endpoint, "--debug" }
      for _, a in ipairs(args) do full[#full + 1] = a end
      local r = run.run(full, { home = home, env = env })
      return r.stderr:match("client: [^\n]*retry mode (%w+, %d+) attempts") or r.stderr
    end
    local audit_args = { "audit", "--output", "json" }
    local plan_args = { "plan", "--desired", home .. "/desired.json" }
    local apply_args = { "apply", "--desired", home .. "/desired.json" }   -- declined: no stdin
    local list_args = { "list-user-pools", "--max-results", "5" }
    assert.are.equal("adaptive, 5", client_line(audit_args))
    assert.are.equal("adaptive, 5", client_line(plan_args))
    assert.are.equal("adaptive, 5", client_line(apply_args))
    assert.are.equal("standard, 3", client_line(list_args))
    assert.are.equal("adaptive, 3", client_line(list_args, { AWS_RETRY_MODE = "adaptive" }))
    assert.are.equal("standard, 3", client_line({ "--retry-mode", "standard", "audit" }))
    assert.are.equal("standard, 3", client_line(audit_args, { AWS_RETRY_MODE = "standard" }))
    assert.are.equal("adaptive, 2", client_line(audit_args, { AWS_MAX_ATTEMPTS = "2" }))
    run.write(home .. "/config", "[default]\nretry_mode = standard\n")
    assert.are.equal("standard, 3", client_line(audit_args, { AWS_CONFIG_FILE = home .. "/config" }))
    run.write(home .. "/config", "[default]\nmax_attempts = 4\n")
    assert.are.equal("adaptive, 4", client_line(audit_args, { AWS_CONFIG_FILE = home .. "/config" }))
    run.cleanup(home)
  end)

  it("the CLI's audit keeps to --retry-mode standard when asked", function()
    reset(FEW)
    local home = run.tempdir()
    local r = run.run({ "--endpoint-url", peer.endpoint, "--retry-mode", "standard", "audit",
      "--concurrency", "16", "--output", "json" }, { home = home })
    run.cleanup(home)
    local out = assert(cognito_mfa.decode_json(r.stdout))
    assert.is_true(out.totals.errors > 0)
  end)
end)
