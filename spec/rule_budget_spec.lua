-- Rules run under a budget (instructions, memory, wall-clock time): a rule that loops, grows a
-- table or asks for a huge string becomes a failed finding "rule exceeded its budget (...)"
-- within 2 s, on Lua 5.4 and LuaJIT (where JIT-compiled loops must be stopped too), through
-- policy.evaluate/fix/load and through `cognito-mfa audit --policy`. Rule files reach neither
-- string.dump, metatables, collectgarbage nor the host's globals, also through string methods.
-- (The same inside nginx: spec/nginx_rule_budget_spec.lua.)
local cognito_mfa = require "cognito_mfa"
local helpers = require "spec.helpers"
local mfa = require "spec.support.mfa"
local run = require "spec.support.cli_run"

local FIXTURES = "spec/fixtures/policies/"
local LIMIT = 2   -- seconds

local function now()
  local h = assert(io.popen(helpers.CLEAN_ENV .. "date +%s.%N"))
  local t = tonumber(h:read("*l"))
  h:close()
  return t
end

-- fn's results and the wall-clock seconds it took
local function timed(fn, ...)
  local t0 = now()
  local r = { fn(...) }
  r.seconds = now() - t0
  return r
end

-- With the default budget the wall-clock limit (0.5 s) is the backstop: on a loaded machine it
-- may end a rule before the budget the rule was written to exhaust. Either is a stop in time.
local function exceeded(what, message, label)
  local ok = message == "rule exceeded its budget (" .. what .. ")"
    or message == "rule exceeded its budget (time)"
  assert(ok, (label and label .. ": " or "") .. "expected budget " .. what .. " (or time), got "
    .. tostring(message))
end

local function by_id(list)
  local t = {}
  for _, x in ipairs(list) do t[x.id] = x end
  return t
end

describe("rule budgets", function()
  local policy

  before_each(function()
    package.loaded["cognito_mfa.policy"] = nil
    policy = require "cognito_mfa.policy"
  end)

  -- the host is intact after a guarded call: its string metatable, no hook left behind
  local function assert_host_restored()
    assert.equal(string, getmetatable("").__index)
    assert.is_nil(debug.gethook())
    assert.equal(3, #("x"):rep(3))
    assert.is_function(("").dump)
  end

  describe("policy.evaluate", function()
    it("turns a check that loops forever into a failed finding within 2 s, and goes on", function()
      local rules = assert(policy.load(FIXTURES .. "budget_loop.lua"))
      local r = timed(policy.evaluate, mfa.config("ON", "totp"), rules)
      local findings, results = r[1], r[2]
      assert.is_true(r.seconds < LIMIT, r.seconds .. " s")
      assert.equal(1, #findings)
      assert.equal("loops", findings[1].id)
      assert.equal("high", findings[1].severity)
      exceeded("instructions", findings[1].message)
      assert.equal(findings[1].message, "rule exceeded its budget (" .. findings[1].exhausted .. ")")
      assert.is_true(results[2].passed)
      assert_host_restored()
    end)

    it("turns checks that allocate without end into failed findings (memory) within 2 s", function()
      local rules = assert(policy.load(FIXTURES .. "budget_grow.lua"))
      local before = collectgarbage("count")
      local r = timed(policy.evaluate, {}, rules)
      assert.is_true(r.seconds < LIMIT, r.seconds .. " s")
      local f = by_id(r[1])
      exceeded("memory", f["grows-table"].message)
      exceeded("memory", f["doubles-string"].message)
      assert.equal("fix me", f["grows-in-fix"].message)
      assert.is_nil(f.after)
      -- the state never held much more than the budget
      assert.is_true(collectgarbage("count") - before < 3 * policy.BUDGET.memory_kb)
      assert_host_restored()
    end)

    it("refuses huge strings from string.rep, also as a string method, before allocating them", function()
      local rules = assert(policy.load(FIXTURES .. "budget_rep.lua"))
      local r = timed(policy.evaluate, {}, rules)
      assert.is_true(r.seconds < LIMIT, r.seconds .. " s")
      local f = by_id(r[1])
      for _, id in ipairs { "rep-method", "rep-function", "rep-separator" } do
        assert.is_table(f[id], id)
        exceeded("memory", f[id].message, id)
      end
      -- 1e15 empty pieces is the empty string, at once; small repetitions still work
      assert.is_nil(f["rep-empty"])
      assert.is_nil(f["rep-small"])
      assert_host_restored()
    end)

    it("refuses patterns that would backtrack for ages in one call (time), keeps ordinary ones", function()
      local rules = assert(policy.load(FIXTURES .. "budget_pattern.lua"))
      local r = timed(policy.evaluate, {}, rules)
      assert.is_true(r.seconds < LIMIT, r.seconds .. " s")
      local f = by_id(r[1])
      for _, id in ipairs { "find-backtracks", "gsub-backtracks", "match-backtracks" } do
        assert.is_table(f[id], id)
        assert.equal("rule exceeded its budget (time)", f[id].message, id)
      end
      assert.is_nil(f.ordinary, f.ordinary and f.ordinary.message)
      assert_host_restored()
    end)

    it("stops a loop that LuaJIT has already compiled (and any loop on Lua 5.4)", function()
      -- a rule written in the host program, run hot outside any budget first, so that LuaJIT
      -- compiles its loop into a trace (which would not call the budget's hook)
      local rule = { id = "hot-loop", check = function(_, context)
        local n, i = context.n, 0
        while i < n do i = i + 1 end
        return true
      end }
      for _ = 1, 300 do rule.check({}, { n = 1000 }) end
      local r = timed(policy.evaluate, {}, { rule }, { n = math.huge })
      assert.is_true(r.seconds < LIMIT, r.seconds .. " s")
      assert.equal(1, #r[1])
      exceeded("instructions", r[1][1].message)
      -- and the same function still works afterwards
      assert.same({}, (policy.evaluate({}, { rule }, { n = 10 })))
    end)

    it("stops a check that catches the budget's error and carries on", function()
      local rule = { id = "catches", check = function()
        local inner = function() while true do end end
        while true do pcall(inner) end
      end }
      local r = timed(policy.evaluate, {}, { rule })
      assert.is_true(r.seconds < LIMIT, r.seconds .. " s")
      exceeded("instructions", r[1][1].message)
    end)

    it("stops a check by its time budget when each instruction is slow", function()
      local big = ("x"):rep(4 * 1024 * 1024)
      local rule = { id = "slow", check = function()
        while true do big:find("y", 1, true) end
      end }
      local r = timed(policy.evaluate, {}, { rule }, nil, { seconds = 0.2 })
      assert.is_true(r.seconds < 1, r.seconds .. " s")
      assert.equal("rule exceeded its budget (time)", r[1][1].message)
      assert.equal("time", r[1][1].exhausted)
    end)

    it("takes the budget as an option: a small instruction budget stops an honest rule", function()
      local rule = { id = "counts", check = function()
        local n = 0
        for i = 1, 100000 do n = n + i end
        return n > 0
      end }
      assert.same({}, (policy.evaluate({}, { rule })))
      local findings = policy.evaluate({}, { rule }, nil, { instructions = 1000 })
      assert.equal("rule exceeded its budget (instructions)", findings[1].message)
      findings = policy.evaluate({}, { { id = "allocates", check = function()
        return #("x"):rep(2 * 1024 * 1024) > 0
      end } }, nil, { memory_kb = 1024 })
      assert.equal("rule exceeded its budget (memory)", findings[1].message)
    end)

    it("raises on a malformed budget", function()
      assert.has_error(function() policy.evaluate({}, {}, nil, { instructions = -1 }) end,
        "policy.evaluate: budget.instructions must be a positive number")
      assert.has_error(function() policy.evaluate({}, {}, nil, { steps = 1 }) end,
        "policy.evaluate: unknown budget field steps (instructions, memory_kb, seconds)")
      assert.has_error(function() policy.evaluate({}, {}, nil, 5) end,
        "policy.evaluate: budget must be a table, got number")
    end)
  end)

  describe("given time enough (seconds = 60)", function()
    local SLOW = { seconds = 60 }

    it("names the budget each rule ran out of", function()
      local f = by_id(policy.evaluate({}, assert(policy.load(FIXTURES .. "budget_loop.lua")), nil, SLOW))
      assert.equal("rule exceeded its budget (instructions)", f.loops.message)
      assert.equal("instructions", f.loops.exhausted)
      f = by_id(policy.evaluate({}, assert(policy.load(FIXTURES .. "budget_grow.lua")), nil, SLOW))
      assert.equal("rule exceeded its budget (memory)", f["grows-table"].message)
      assert.equal("rule exceeded its budget (memory)", f["doubles-string"].message)
      assert.equal("memory", f["grows-table"].exhausted)
      f = by_id(policy.evaluate({}, assert(policy.load(FIXTURES .. "budget_rep.lua")), nil, SLOW))
      assert.equal("rule exceeded its budget (memory)", f["rep-method"].message)
      local rules = assert(policy.load(FIXTURES .. "budget_grow.lua"))
      local _, _, broken = policy.fix({}, rules, { { id = "grows-in-fix" } }, nil, SLOW)
      assert.same({ { id = "grows-in-fix", exhausted = "memory",
                      message = "rule exceeded its budget (memory)" } }, broken)
      local none, err = policy.load(FIXTURES .. "budget_top_level.lua", SLOW)
      assert.is_nil(none)
      assert.equal(FIXTURES .. "budget_top_level.lua: rule exceeded its budget (instructions)", err)
    end)
  end)

  describe("policy.fix", function()
    it("reports a fix that allocates without end and keeps the configuration", function()
      local rules = assert(policy.load(FIXTURES .. "budget_grow.lua"))
      local config = mfa.config("ON", "totp")
      local r = timed(policy.fix, config, rules, { { id = "grows-in-fix" } })
      assert.is_true(r.seconds < LIMIT, r.seconds .. " s")
      local fixed, ran, broken = r[1], r[2], r[3]
      assert.same(config, fixed)
      assert.same({}, ran)
      assert.equal(1, #broken)
      assert.equal("grows-in-fix", broken[1].id)
      exceeded("memory", broken[1].message)
      assert_host_restored()
    end)
  end)

  describe("policy.load", function()
    it("stops a rule file whose top level never finishes", function()
      local r = timed(policy.load, FIXTURES .. "budget_top_level.lua")
      assert.is_true(r.seconds < LIMIT, r.seconds .. " s")
      assert.is_nil(r[1])
      assert.equal(FIXTURES .. "budget_top_level.lua: ", r[2]:sub(1, #FIXTURES + 22))
      exceeded("instructions", r[2]:sub(#FIXTURES + 23))
    end)

    it("keeps string.dump, metatables, collectgarbage and the host's globals out of reach", function()
      local rules = assert(policy.load(FIXTURES .. "budget_reach.lua"))
      local findings, results = policy.evaluate({}, rules)
      assert.same({}, findings)
      assert.equal(5, #results)
      assert_host_restored()
    end)
  end)

  describe("the CLI (cognito-mfa audit --policy)", function()
    local peer, client, home, pool

    setup(function()
      peer = helpers.start_peer("moto")
      client = helpers.client(peer)
      home = run.tempdir()
      pool = helpers.create_pool(client, "budget")
      assert(client:set_user_pool_mfa_config { UserPoolId = pool, MfaConfiguration = "ON",
                                               SoftwareTokenMfaConfiguration = { Enabled = true } })
    end)

    teardown(function()
      if client then client:close() end
      if peer then peer.stop() end
      run.cleanup(home)
    end)

    local function audit(file, extra)
      local args = { "--endpoint-url", peer.endpoint, "audit", "--user-pool-id", pool,
                     "--policy", FIXTURES .. file, "--output", "json" }
      for _, a in ipairs(extra or {}) do args[#args + 1] = a end
      return timed(run.run, args, { home = home })
    end

    for _, case in ipairs {
      { "budget_loop.lua", { loops = "instructions" } },
      { "budget_grow.lua", { ["grows-table"] = "memory", ["doubles-string"] = "memory" } },
      { "budget_rep.lua", { ["rep-method"] = "memory", ["rep-function"] = "memory",
                            ["rep-separator"] = "memory" } },
    } do
      it("reports the rules of " .. case[1] .. " as failed findings (exit 3) within 2 s each", function()
        local r = audit(case[1])
        local res = r[1]
        assert.equal(3, res.code, res.stderr)
        local report = assert(cognito_mfa.decode_json(res.stdout), res.stdout)
        local findings = {}
        for _, f in ipairs(report.pools[1].findings) do findings[f.rule] = f end
        local n = 0
        for id, what in pairs(case[2]) do
          n = n + 1
          assert.is_table(findings[id], id .. " in " .. res.stdout)
          exceeded(what, findings[id].message, id)
        end
        -- the CLI's whole run (start, reads from moto, every rule) per bad rule
        assert.is_true(r.seconds < LIMIT * n, r.seconds .. " s")
      end)
    end

    it("takes the budget as options (--rule-instructions, --rule-memory-kb, --rule-seconds)", function()
      -- the table grower meets a small instruction budget before the memory budget
      local res = audit("budget_grow.lua", { "--rule-instructions", "1000" })[1]
      assert.equal(3, res.code, res.stderr)
      assert.truthy(res.stdout:find("rule exceeded its budget (instructions)", 1, true)
        or res.stdout:find("rule exceeded its budget (time)", 1, true), res.stdout)
      res = audit("valid.lua", { "--rule-memory-kb", "0" })[1]
      assert.equal(252, res.code)
      assert.truthy(res.stderr:find("--rule-memory-kb", 1, true), res.stderr)
      res = audit("budget_loop.lua", { "--rule-seconds", "0.05", "--rule-instructions", "1e12" })[1]
      assert.equal(3, res.code, res.stderr)
      assert.truthy(res.stdout:find("rule exceeded its budget (time)", 1, true), res.stdout)
    end)

    it("reports a rule file whose top level never finishes as a usage error (252), nothing sent", function()
      local res = audit("budget_top_level.lua")[1]
      assert.equal(252, res.code)
      assert.truthy(res.stderr:find("rule exceeded its budget (instructions)", 1, true)
        or res.stderr:find("rule exceeded its budget (time)", 1, true), res.stderr)
    end)
  end)
end)
