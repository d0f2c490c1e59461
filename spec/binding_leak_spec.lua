-- Lua errors raised while the binding is in the middle of a call leak nothing. The paths (in
-- spec/support/leak_paths.lua, shared with the valgrind driver) raise from parameter conversion
-- (a function or thread deep inside params, a non-string key, tables nested too deep), from a
-- debug callback (custom transport and libcurl), from a custom transport and the retry sleep,
-- from an abandoned coroutine, and through client:operation misuse, many times each. Under the
-- ASan build (LD_PRELOAD of libasan, see spec/CMakeLists.txt) LeakSanitizer checks the process
-- at exit; spec/support/valgrind_lua.sh runs the same paths under valgrind. Without either, the
-- resident set size must not grow with the number of iterations.
local cognito_mfa = require "cognito_mfa"
local paths = require "spec.support.leak_paths"

local ITERATIONS = 200

local function under_sanitizer()
  return (os.getenv("LD_PRELOAD") or ""):find("asan", 1, true) ~= nil
end

local function resident_bytes()
  local f = io.open("/proc/self/statm")
  if not f then
    return nil
  end
  local _, resident = f:read("*l"):match("^(%d+)%s+(%d+)")
  f:close()
  return tonumber(resident) * 4096
end

describe("binding under Lua errors", function()
  for _, p in ipairs(paths.list) do
    it(p.name .. ", " .. ITERATIONS .. " times", function()
      p.run(ITERATIONS)
      collectgarbage("collect")
      collectgarbage("collect")
    end)
  end

  it("collects clients, operations and results once unreachable", function()
    local weak = setmetatable({}, { __mode = "k" })
    do
      local client = assert(cognito_mfa.client {
        region = "us-east-1", credentials = { access_key_id = "AKID", secret_access_key = "s" },
        transport = function() return { status = 200, headers = {}, body = "{}" } end,
      })
      weak[client] = true
      weak[client.core] = true
      local op = assert(client.core:operation("GetUserPoolMfaConfig", { UserPoolId = "us-east-1_Ab12" }))
      assert(op:next() == "send")
      weak[op] = true
      weak[assert(client:get_user_pool_mfa_config { UserPoolId = "us-east-1_Ab12" })] = true
    end
    collectgarbage("collect")
    collectgarbage("collect")
    assert.is_nil(next(weak))
  end)

  it("does not grow the resident set when errors are raised over and over", function()
    if under_sanitizer() or not resident_bytes() then
      return -- ASan's quarantine holds freed memory on purpose; LeakSanitizer judges there
    end
    local conversion = paths.list[1]
    conversion.run(20)
    collectgarbage("collect")
    local before = resident_bytes()
    conversion.run(300)
    collectgarbage("collect")
    collectgarbage("collect")
    local grown = resident_bytes() - before
    -- a leak of the converted parameters would be about 230 MB here
    assert.is_true(grown < 64 * 1024 * 1024, ("resident set grew by %d bytes"):format(grown))
  end)
end)
