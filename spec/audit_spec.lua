-- Audits: several hundred pools on moto with a mix of settings, fetched concurrently and
-- compared pool by pool with a serial computation (get each configuration one by one, then
-- policy.evaluate); pool selection, per-pool errors, fixes with and without a dry run. The tier
-- rule (email MFA, which moto ignores) runs against the aws-rules peer and the fault server.
local cognito_mfa = require "cognito_mfa"
local helpers = require "spec.helpers"
local mfa = require "spec.support.mfa"
local policy = require "cognito_mfa.policy"
local workflow = require "cognito_mfa.workflow"

local POOLS = 300
local MISSING = "us-east-1_00000000000000000000000000000000"

-- The mix: pool i gets KINDS[i % #KINDS + 1].
local KINDS = {
  { name = "off", config = nil },                                      -- as created: OFF
  { name = "on-totp", config = mfa.config("ON", "totp") },              -- passes the baseline
  { name = "optional-sms", config = mfa.config("OPTIONAL", "sms") },    -- SMS only, OPTIONAL
  { name = "on-sms-totp", config = mfa.config("ON", "sms", "totp") },   -- passes the baseline
  { name = "optional-totp", config = mfa.config("OPTIONAL", "totp") },  -- passes with allow_optional
}

-- What an audit report says about one pool, for comparisons.
local function entry_view(e)
  return { id = e.id, name = e.name, passed = e.passed, findings = e.findings, config = e.config, tier = e.tier }
end

-- The serial reference: list the pools, then get each configuration one by one and evaluate.
local function serial_audit(client, params, ids)
  local rules = policy.baseline(params)
  local out = {}
  local list = {}
  if ids then
    for i, id in ipairs(ids) do list[i] = { Id = id } end
  else
    for p in client:user_pools() do list[#list + 1] = assert(p) end
  end
  for _, p in ipairs(list) do
    local config = workflow.normalize(assert(client:get_user_pool_mfa_config { UserPoolId = p.Id }))
    local context = { id = p.Id, name = p.Name, params = params }
    if policy.needs_describe(rules, config) then
      context.pool = assert(client:describe_user_pool { UserPoolId = p.Id })
      context.tier = context.pool.UserPool.UserPoolTier
    end
    local findings = policy.evaluate(config, rules, context)
    out[#out + 1] = {
      id = p.Id, name = p.Name, passed = #findings == 0, findings = findings, config = config, tier = context.tier,
    }
  end
  return out
end

describe("audit on moto", function()
  local peer, client
  local ids, kind_of = {}, {}

  setup(function()
    peer = helpers.start_peer("moto")
    client = helpers.client(peer)
    local creates = {}
    for i = 1, POOLS do
      creates[i] = { PoolName = ("audit-%03d"):format(i) }
    end
    local outs, errs = client:call_many("CreateUserPool", creates, 8)
    local sets = {}
    for i = 1, POOLS do
      assert(outs[i], errs[i])
      ids[i] = outs[i].UserPool.Id
      local kind = KINDS[i % #KINDS + 1]
      kind_of[ids[i]] = kind.name
      if kind.config then
        sets[#sets + 1] = mfa.params(ids[i], kind.config)
      end
    end
    local souts, serrs = client:call_many("SetUserPoolMfaConfig", sets, 8)
    for i = 1, #sets do
      assert(souts[i], serrs[i])
    end
  end)

  teardown(function()
    if client then
      client:close()
    end
    if peer then
      peer.stop()
    end
  end)

  local function ids_of(kind)
    local out = {}
    for _, id in ipairs(ids) do
      if kind_of[id] == kind then out[#out + 1] = id end
    end
    return out
  end

  it("reports every pool, equal pool by pool to a serial computation", function()
    local report = assert(client:audit { concurrency = 8 })
    local serial = serial_audit(client)
    assert.equal(POOLS, #serial)
    assert.equal(#serial, #report.pools)
    local failed = 0
    for i, expected in ipairs(serial) do
      assert.same(expected, entry_view(report.pools[i]))
      if not expected.passed then failed = failed + 1 end
    end
    assert.is_false(report.passed)
    assert.equal(failed, report.failed_count)
    assert.equal(0, report.error_count)
    -- the mix: OFF, SMS-only and OPTIONAL pools fail the default baseline
    assert.equal(POOLS * 3 / #KINDS, failed)
  end)

  it("finds what each kind of pool is missing", function()
    local report = assert(client:audit { concurrency = 16 })
    local expected = {
      off = { "mfa-on", "non-sms-factor", "totp-enabled" },
      ["on-totp"] = {},
      ["optional-sms"] = { "mfa-on", "non-sms-factor", "totp-enabled" },
      ["on-sms-totp"] = {},
      ["optional-totp"] = { "mfa-on" },
    }
    for _, e in ipairs(report.pools) do
      local got = {}
      for i, f in ipairs(e.findings) do got[i] = f.id end
      assert.same(expected[kind_of[e.id]], got, e.id)
      assert.equal(#got == 0, e.passed)
    end
  end)

  it("gives the same report at every concurrency", function()
    local reference = assert(client:audit { concurrency = 1 })
    for _, n in ipairs { 4, 32, 64 } do
      local report = assert(client:audit { concurrency = n })
      assert.equal(#reference.pools, #report.pools)
      for i, e in ipairs(reference.pools) do
        assert.same(entry_view(e), entry_view(report.pools[i]))
      end
    end
  end)

  it("passes OPTIONAL pools with allow_optional, still equal to the serial computation", function()
    local params = { allow_optional = true }
    local report = assert(client:audit { params = params, pools = ids_of("optional-totp") })
    assert.is_true(report.passed)
    assert.equal(POOLS / #KINDS, #report.pools)
    local serial = serial_audit(client, params, ids_of("optional-totp"))
    for i, expected in ipairs(serial) do
      assert.same(expected, entry_view(report.pools[i]))
    end
  end)

  it("with pools = { ids } touches only those pools", function()
    local chosen = { ids[7], ids[42], ids[250], ids[3] }
    local seen, targets = {}, {}
    local watching = helpers.client(peer, { debug = function(text)
      for target in text:gmatch("X%-Amz%-Target: AWSCognitoIdentityProviderService%.(%a+)") do
        targets[target] = (targets[target] or 0) + 1
      end
      for id in text:gmatch('"UserPoolId":"([^"]+)"') do seen[id] = true end
    end })
    local report = assert(watching:audit { pools = chosen, concurrency = 8 })
    watching:close()
    local got = {}
    for i, e in ipairs(report.pools) do got[i] = e.id end
    assert.same(chosen, got)
    local expected_seen = {}
    for _, id in ipairs(chosen) do expected_seen[id] = true end
    assert.same(expected_seen, seen)
    assert.same({ GetUserPoolMfaConfig = #chosen }, targets)
  end)

  it("reports an error for a pool that does not exist in its own entry, and audits the others", function()
    local good = ids_of("on-totp")
    local report = assert(client:audit { pools = { good[1], MISSING, good[2] } })
    assert.equal(3, #report.pools)
    assert.is_true(report.pools[1].passed)
    assert.is_true(report.pools[3].passed)
    local bad = report.pools[2]
    assert.equal(MISSING, bad.id)
    assert.is_false(bad.passed)
    assert.same({}, bad.findings)
    assert.equal("ResourceNotFoundException", bad.error.code)
    assert.equal(1, report.error_count)
    assert.equal(0, report.failed_count)
    assert.is_false(report.passed)
  end)

  it("passes overall when every selected pool passes", function()
    local report = assert(client:audit { pools = ids_of("on-sms-totp") })
    assert.is_true(report.passed)
    assert.equal(0, report.failed_count)
  end)

  it("accepts pools given as ListUserPools entries, and rules loaded from a file", function()
    local rules = assert(policy.load("spec/fixtures/policies/valid.lua"))
    local report = assert(client:audit { pools = { { Id = ids[2], Name = "prod-x" }, { id = ids[4], name = "y" } },
      rules = rules })
    assert.equal("prod-x", report.pools[1].name)
    local failed = {}
    for _, f in ipairs(report.pools[2].findings) do failed[f.id] = true end
    assert.is_true(failed["pool-name-tagged"])
  end)

  describe("fix", function()
    local function failing_subset()
      local out = {}
      for _, kind in ipairs { "off", "optional-sms", "optional-totp" } do
        local list = ids_of(kind)
        for i = 1, 8 do out[#out + 1] = list[i] end
      end
      return out
    end

    it("with dry_run changes nothing and says what it would do", function()
      local chosen = failing_subset()
      local before = {}
      for _, id in ipairs(chosen) do before[id] = mfa.read(client, id) end
      local report = assert(client:audit { pools = chosen })
      assert.is_false(report.passed)
      local outcomes = require("cognito_mfa.audit").fix(client, report, { dry_run = true })
      assert.equal(#chosen, #outcomes)
      for _, o in ipairs(outcomes) do
        assert.is_nil(o.error)
        assert.is_false(o.result.applied)
        assert.is_true(#o.result.changes > 0)
        assert.is_true(#o.result.fixed > 0)
      end
      for _, id in ipairs(chosen) do
        assert.same(before[id], mfa.read(client, id))
      end
      assert.is_false(assert(client:audit { pools = chosen }).passed)
    end)

    it("without dry_run makes a re-audit pass, keeping the settings no rule asked to change", function()
      local chosen = failing_subset()
      local before = {}
      for _, id in ipairs(chosen) do before[id] = mfa.read(client, id) end
      local report = assert(client:audit { pools = chosen })
      local outcomes = require("cognito_mfa.audit").fix(client, report)
      assert.equal(#chosen, #outcomes)
      for _, o in ipairs(outcomes) do
        assert.is_nil(o.error)
        assert.is_true(o.result.applied)
        assert.is_true(o.result.verified)
      end
      local again = assert(client:audit { pools = chosen })
      assert.is_true(again.passed)
      for _, id in ipairs(chosen) do
        local now = mfa.read(client, id)
        if before[id].SmsMfaConfiguration then
          assert.same(before[id].SmsMfaConfiguration, now.SmsMfaConfiguration)
        end
        assert.equal("ON", now.MfaConfiguration)
        assert.is_true(now.SoftwareTokenMfaConfiguration.Enabled)
      end
    end)

    it("skips pools that passed or could not be read", function()
      local report = assert(client:audit { pools = { ids_of("on-totp")[1], MISSING } })
      assert.same({}, require("cognito_mfa.audit").fix(client, report))
    end)
  end)

  it("raises on a concurrency outside 1..64 and on pools that are not a list of ids", function()
    for _, n in ipairs { 0, 65, 1.5, "8" } do
      assert.has_error(function() client:audit { concurrency = n } end,
        "audit: concurrency must be a whole number from 1 to 64")
    end
    assert.has_error(function() client:audit { pools = "us-east-1_x" } end)
    assert.has_error(function() client:audit { pools = { 42 } } end, "audit: pools[1] must be a pool id")
    assert.has_error(function() require("cognito_mfa.audit").fix(client, {}) end,
      "audit.fix: report must be what audit.run returned")
  end)
end)

describe("audit of email MFA and tiers", function()
  local rules_peer, fault, client

  setup(function()
    rules_peer = helpers.start_peer("aws-rules")
    fault = helpers.start_peer("fault")
    client = helpers.client(rules_peer)
  end)

  teardown(function()
    if client then
      client:close()
    end
    for _, p in ipairs { rules_peer, fault } do
      if p then p.stop() end
    end
  end)

  it("reads the tier only for pools with email MFA, and passes them on ESSENTIALS and PLUS", function()
    local chosen, with_email = {}, {}
    for i, tier in ipairs { "ESSENTIALS", "PLUS", "LITE", "ESSENTIALS" } do
      local id = helpers.create_pool(client, "tier-" .. i, { UserPoolTier = tier })
      local config = tier == "LITE" and mfa.config("ON", "totp") or mfa.config("ON", "totp", "email")
      assert(client:set_user_pool_mfa_config(mfa.params(id, config)))
      chosen[#chosen + 1] = id
      if tier ~= "LITE" then with_email[id] = tier end
    end
    mfa.rules_reset(rules_peer)
    local report = assert(client:audit { pools = chosen })
    assert.is_true(report.passed)
    local ops, bodies = mfa.rules_log(rules_peer)
    assert.equal(3, mfa.count(ops, "DescribeUserPool"))
    for i, op in ipairs(ops) do
      if op == "DescribeUserPool" then
        assert.is_string(with_email[cognito_mfa.decode_json(bodies[i]).UserPoolId])
      end
    end
    for _, e in ipairs(report.pools) do
      assert.equal(with_email[e.id], e.tier)
    end
  end)

  it("fails email MFA on a LITE pool (scripted: the service would not let it get there)", function()
    local pool = "us-east-1_Lite1"
    helpers.script(fault, { mfa.ok(mfa.config("ON", "totp", "email")), mfa.described(pool, "LITE") })
    local c = helpers.client(fault, { max_attempts = 1 })
    local report = assert(c:audit { pools = { pool } })
    c:close()
    assert.is_false(report.passed)
    assert.equal("LITE", report.pools[1].tier)
    assert.equal(1, #report.pools[1].findings)
    assert.equal("email-mfa-tier", report.pools[1].findings[1].id)
    assert.same({ "GetUserPoolMfaConfig", "DescribeUserPool" }, mfa.operations(helpers.requests(fault)))
  end)

  it("returns nil and the error when the pools cannot be listed", function()
    helpers.script(fault, { mfa.service_error("NotAuthorizedException", "not allowed") })
    local c = helpers.client(fault, { max_attempts = 1 })
    local report, err = c:audit()
    c:close()
    assert.is_nil(report)
    assert.equal("NotAuthorizedException", err.code)
  end)
end)
