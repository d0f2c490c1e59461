-- Rule budgets inside a real nginx (one worker, OpenResty's LuaJIT): a handler that loads and
-- evaluates a rule file that loops, grows a table without end or asks for a huge string
-- answers within 2 s with the rule as a failed finding "rule exceeded its budget (...)", and
-- 10 other requests sent to the same worker meanwhile all complete within that time too.
local helpers = require "spec.helpers"
local nginx = require "spec.support.nginx"

local guard = nginx.guard
local quote = helpers.shell_quote
local LIMIT = 2   -- seconds
local OTHERS = 10

describe("rule budgets in nginx", function()
  local server

  setup(function()
    server = nginx.start { worker_processes = 1 }
  end)

  teardown(function()
    nginx.stop_all()
  end)

  -- Sends the rule request, then (`delay` seconds later, default 0.02, while the rule runs) OTHERS requests to
  -- another Lua location of the same worker. Returns the rule's answer and every timing line.
  local function overlapped(file, query, delay)
    local path = nginx.root() .. "/spec/fixtures/policies/" .. file
    local rule_url = server.url .. "/t/rule_budget?file=" .. nginx.urlencode(path) .. (query or "")
    local others = {}
    for i = 1, OTHERS do others[i] = "-o /dev/null " .. quote(server.url .. "/t/phase") end
    local body = server.prefix .. "/rule.json"
    local fmt = " %{http_code} %header{x-worker-pid} %{time_total}\\n"
    local script = helpers.CLEAN_ENV .. "curl -s --max-time 30 -o " .. quote(body)
      .. " -w 'rule" .. fmt .. "' " .. quote(rule_url) .. " & sleep " .. (delay or 0.02) .. "; "
      .. helpers.CLEAN_ENV .. "curl -s --no-progress-meter --max-time 30 --parallel"
      .. " --parallel-immediate --parallel-max " .. OTHERS .. " -w 'other" .. fmt .. "' "
      .. table.concat(others, " ") .. "; wait"
    local out = nginx.capture("sh -c " .. quote(script))
    local lines = {}
    for kind, status, pid, secs in out:gmatch("(%a+) (%d+) (%d*) ([%d.]+)") do
      lines[#lines + 1] = { kind = kind, status = tonumber(status), pid = tonumber(pid),
                            seconds = tonumber(secs) }
    end
    local cognito_mfa = require "cognito_mfa"
    return cognito_mfa.decode_json(nginx.read(body) or ""), lines, out
  end

  for _, case in ipairs {
    { "budget_loop.lua", { loops = "instructions" } },
    { "budget_grow.lua", { ["grows-table"] = "memory", ["doubles-string"] = "memory" } },
    { "budget_rep.lua", { ["rep-method"] = "memory", ["rep-function"] = "memory",
                          ["rep-separator"] = "memory" } },
  } do
    it(case[1] .. ": failed findings within 2 s, and " .. OTHERS .. " other requests to the worker complete",
      guard(function()
        local answer, lines, out = overlapped(case[1])
        assert.is_table(answer, out)
        assert.is_true(answer.ok, out)
        local findings = {}
        for _, f in ipairs(answer.findings) do findings[f.id] = f end
        local expected = 0
        for id, what in pairs(case[2]) do
          expected = expected + 1
          assert.is_table(findings[id], id)
          -- the wall-clock budget (0.5 s) is the backstop on a loaded machine
          local exhausted = findings[id].exhausted
          assert.is_true(exhausted == what or exhausted == "time", id .. ": " .. tostring(exhausted))
          assert.equal("rule exceeded its budget (" .. exhausted .. ")", findings[id].message)
        end
        assert.is_true(answer.seconds < LIMIT, answer.seconds .. " s")

        assert.equal(OTHERS + 1, #lines, out)
        local pids = {}
        for _, l in ipairs(lines) do
          assert.equal(200, l.status, out)
          assert.is_true(l.seconds < LIMIT, out)
          pids[l.pid] = true
        end
        local n = 0
        for _ in pairs(pids) do n = n + 1 end
        assert.equal(1, n, "one worker served everything: " .. out)
        -- the worker is still healthy afterwards
        assert.equal(200, server:request("GET", "/t/phase").status)
      end))
  end

  it("a rule looping until a 0.8 s time budget holds the worker that long, no longer: the "
    .. OTHERS .. " requests sent meanwhile wait for it, then complete", guard(function()
      local answer, lines, out = overlapped("budget_loop.lua", "&instructions=1e15&seconds=0.8", 0.2)
      assert.is_true(answer.ok, out)
      assert.equal("rule exceeded its budget (time)", answer.findings[1].message)
      assert.is_true(answer.seconds >= 0.7 and answer.seconds < LIMIT, answer.seconds .. " s")
      assert.equal(OTHERS + 1, #lines, out)
      for _, l in ipairs(lines) do
        assert.equal(200, l.status, out)
        assert.is_true(l.seconds < LIMIT, out)
        if l.kind == "other" then
          assert.is_true(l.seconds > 0.2, "sent while the rule ran: " .. out)
        end
      end
    end))
end)
