--- In-process measurements for bench/soak.sh and bench/wire_bench.sh: the project's Lua client
-- (libcurl transport) against a loopback endpoint. Runs on Lua 5.4 and LuaJIT.
--
--   driver.lua soak ENDPOINT CALLS INTERVAL ANSWER_FILE
--       CALLS sequential get_user_pool_mfa_config calls on one client; per INTERVAL calls:
--       calls/s and resident memory; every answer is checked against ANSWER_FILE
--   driver.lua loop ENDPOINT SECONDS
--       as many sequential calls as fit in SECONDS (one keep-alive connection): calls/s
--   driver.lua batch ENDPOINT CALLS CONCURRENCY ROUNDS
--       client:call_many of CALLS calls at CONCURRENCY, ROUNDS times: calls/s of each round
--   driver.lua wrk-script ENDPOINT OUT
--       a wrk script making exactly the POST the client makes (same method, path, headers
--       and body, signed once)
--   driver.lua curl-config ENDPOINT OUT
--       the same POST as a curl config file (curl -K OUT)
--
-- Lines starting with "RESULT " carry the figures for the calling script, as key=value pairs.
-- Credentials are fixed test values; the endpoint must be loopback.

local cognito_mfa = require "cognito_mfa"

local POOL = "us-east-1_BenchPool1"
local ACCESS_KEY_ID = "AKIDBENCHEXAMPLE"
local SECRET_ACCESS_KEY = "benchSecretKeyForLoopbackOnly0123456789ab"

local function die(msg)
  io.stderr:write("driver.lua: ", msg, "\n")
  os.exit(1)
end

-- Wall clock in seconds: clock_gettime through the FFI on LuaJIT, else GNU date (a fork, so
-- the loops below read it rarely).
local now
do
  local ok, ffi = pcall(require, "ffi")
  if ok then
    ffi.cdef [[
      struct cmfa_bench_timespec { long tv_sec; long tv_nsec; };
      int clock_gettime(int clk_id, struct cmfa_bench_timespec *tp);
    ]]
    local ts = ffi.new("struct cmfa_bench_timespec")
    now = function()
      ffi.C.clock_gettime(1, ts)   -- CLOCK_MONOTONIC
      return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
    end
  else
    now = function()
      local h = io.popen("date +%s.%N")
      local t = tonumber(h:read("*a"))
      h:close()
      return t
    end
  end
end

local PAGE_KB
local function rss_kb()
  local f = io.open("/proc/self/statm", "r")
  local text = f and f:read("*a") or ""
  if f then f:close() end
  local resident = tonumber(text:match("^%d+%s+(%d+)"))
  if not PAGE_KB then
    local h = io.popen("getconf PAGESIZE")
    PAGE_KB = (tonumber(h:read("*a")) or 4096) / 1024
    h:close()
  end
  return resident and resident * PAGE_KB or 0
end

local function client_for(endpoint)
  if not endpoint or not endpoint:match("^http://127%.0%.0%.1:%d+$") then
    die("the endpoint must be http://127.0.0.1:PORT, got " .. tostring(endpoint))
  end
  local client, err = cognito_mfa.client {
    endpoint_url = endpoint, region = "us-east-1",
    credentials = { access_key_id = ACCESS_KEY_ID, secret_access_key = SECRET_ACCESS_KEY },
  }
  if not client then die(tostring(err)) end
  return client
end

local function read_file(path)
  local f = io.open(path, "rb") or die("cannot read " .. path)
  local s = f:read("*a")
  f:close()
  return s
end

local function same(a, b)
  if type(a) ~= type(b) then return false end
  if type(a) ~= "table" then return a == b end
  for k, v in pairs(a) do
    if not same(v, b[k]) then return false end
  end
  for k in pairs(b) do
    if a[k] == nil then return false end
  end
  return true
end

local function lua_name()
  local jit = rawget(_G, "jit")
  return (jit and jit.version) or _VERSION
end

local commands = {}

function commands.soak(endpoint, calls, interval, answer_file)
  calls, interval = tonumber(calls), tonumber(interval)
  if not calls or not interval or interval < 1 then die("soak ENDPOINT CALLS INTERVAL ANSWER_FILE") end
  local expected = cognito_mfa.decode_json(read_file(answer_file))
  local expected_mfa = expected.MfaConfiguration
  local expected_arn = expected.SmsMfaConfiguration.SmsConfiguration.SnsCallerArn
  local client = client_for(endpoint)
  local params = { UserPoolId = POOL }
  local errors, wrong, first_problem = 0, 0, nil
  local rates, rss, cpu = {}, {}, {}
  print(("%s: %d sequential get_user_pool_mfa_config calls on one client (libcurl, keep-alive)")
    :format(lua_name(), calls))
  print(("%10s %12s %14s %12s %12s"):format("calls", "calls/s", "CPU us/call", "RSS (KiB)", "Lua (KiB)"))
  local t0, c0 = now(), os.clock()
  local done = 0
  while done < calls do
    local n = math.min(interval, calls - done)
    for i = 1, n do
      local out, err = client:get_user_pool_mfa_config(params)
      if not out then
        errors = errors + 1
        first_problem = first_problem or tostring(err)
      elseif out.MfaConfiguration ~= expected_mfa
          or out.SmsMfaConfiguration.SmsConfiguration.SnsCallerArn ~= expected_arn
          or ((done + i) % 1000 == 0 and not same(out, expected)) then
        wrong = wrong + 1
        first_problem = first_problem or ("wrong answer at call " .. (done + i) .. ": "
          .. cognito_mfa.encode_json(out))
      end
    end
    done = done + n
    local t1, c1 = now(), os.clock()
    rates[#rates + 1] = n / (t1 - t0)
    cpu[#cpu + 1] = (c1 - c0) / n * 1e6   -- this process's CPU time (user + system) per call
    t0, c0 = t1, c1
    -- resident memory as it is, after a full collection (so garbage waiting for the
    -- collector is not taken for a leak)
    collectgarbage("collect")
    rss[#rss + 1] = rss_kb()
    print(("%10d %12.0f %14.1f %12d %12.0f"):format(done, rates[#rates], cpu[#cpu], rss[#rss],
      collectgarbage("count")))
    io.stdout:flush()
  end
  client:close()
  -- warm-up: the first interval (connection, allocator pools, Lua tables at their size)
  local warm, last = rss[1], rss[#rss]
  local first_rate, last_rate = rates[math.min(2, #rates)], rates[#rates]
  local first_cpu, last_cpu = cpu[math.min(2, #cpu)], cpu[#cpu]
  local min_rate, max_rate = math.huge, 0
  for i = math.min(2, #rates), #rates do
    min_rate = math.min(min_rate, rates[i])
    max_rate = math.max(max_rate, rates[i])
  end
  print(("%s: RSS after warm-up (%d calls) %d KiB, at the end %d KiB: growth %+d KiB (goal < 1024)")
    :format(lua_name(), math.min(interval, calls), warm, last, last - warm))
  print(("%s: calls/s after warm-up %.0f, last interval %.0f (%.2f of the first; min %.0f, max %.0f)")
    :format(lua_name(), first_rate, last_rate, last_rate / first_rate, min_rate, max_rate))
  print(("%s: CPU time per call after warm-up %.1f us, last interval %.1f us (%.2f of the first; wall-clock "
    .. "rates move with the machine's load, CPU time per call less)"):format(lua_name(), first_cpu, last_cpu,
    last_cpu / first_cpu))
  if first_problem then
    print(lua_name() .. ": first problem: " .. first_problem)
  end
  print(("RESULT lua=%s calls=%d errors=%d wrong=%d rss_warm_kb=%d rss_end_kb=%d growth_kb=%d "
    .. "rate_first=%.0f rate_last=%.0f cpu_us_first=%.1f cpu_us_last=%.1f"):format(lua_name():gsub("%s", "_"),
    calls, errors, wrong, warm, last, last - warm, first_rate, last_rate, first_cpu, last_cpu))
end

function commands.loop(endpoint, seconds)
  seconds = tonumber(seconds) or die("loop ENDPOINT SECONDS")
  local client = client_for(endpoint)
  local params = { UserPoolId = POOL }
  local get = client.get_user_pool_mfa_config
  local errors = 0
  -- warm-up and calibration: chunks of about 0.5 s between clock readings
  local chunk, t0 = 200, now()
  for _ = 1, chunk do
    if not get(client, params) then errors = errors + 1 end
  end
  chunk = math.max(50, math.floor(chunk / math.max(now() - t0, 1e-3) * 0.5))
  local calls, start = 0, now()
  local deadline = start + seconds
  local t = start
  while t < deadline do
    for _ = 1, chunk do
      if not get(client, params) then errors = errors + 1 end
    end
    calls = calls + chunk
    t = now()
  end
  client:close()
  local rate = calls / (t - start)
  print(("RESULT lua=%s calls=%d seconds=%.3f errors=%d rate=%.1f"):format(lua_name():gsub("%s", "_"),
    calls, t - start, errors, rate))
end

function commands.batch(endpoint, calls, concurrency, rounds)
  calls, concurrency, rounds = tonumber(calls), tonumber(concurrency), tonumber(rounds or 5)
  if not calls or not concurrency then die("batch ENDPOINT CALLS CONCURRENCY ROUNDS") end
  local client = client_for(endpoint)
  local list = {}
  for i = 1, calls do list[i] = { UserPoolId = POOL } end
  local rates, errors = {}, 0
  client:call_many("GetUserPoolMfaConfig", list, concurrency)   -- warm-up: connections
  for r = 1, rounds do
    local t0 = now()
    local outs, errs = client:call_many("GetUserPoolMfaConfig", list, concurrency)
    local t1 = now()
    if not outs then die(tostring(errs)) end
    for i = 1, calls do
      if not outs[i] then errors = errors + 1 end
    end
    rates[r] = calls / (t1 - t0)
  end
  client:close()
  table.sort(rates)
  local median = rates[math.floor((#rates + 1) / 2)]
  print(("RESULT lua=%s calls=%d concurrency=%d rounds=%d errors=%d rate=%.1f rate_min=%.1f rate_max=%.1f")
    :format(lua_name():gsub("%s", "_"), calls, concurrency, rounds, errors, median, rates[1], rates[#rates]))
end

-- The request the client sends, signed once: taken through the documented custom-transport
-- option (the core validates, signs and hands the prepared request to it), plus the header
-- libcurl adds (Accept: */*). Host and Content-Length are left to wrk and curl, which send the
-- same values.
local function prepared(endpoint)
  local req
  local client, err = cognito_mfa.client {
    endpoint_url = endpoint, region = "us-east-1", max_attempts = 1,
    credentials = { access_key_id = ACCESS_KEY_ID, secret_access_key = SECRET_ACCESS_KEY },
    transport = function(r)
      req = r
      return { status = 200, headers = { ["Content-Type"] = "application/x-amz-json-1.1" }, body = "{}" }
    end,
  }
  if not client then die(tostring(err)) end
  local _, cerr = client:get_user_pool_mfa_config { UserPoolId = POOL }
  if not req then die("no request prepared: " .. tostring(cerr)) end
  local headers = { Accept = "*/*" }
  for name, value in pairs(req.headers) do
    local lname = name:lower()
    if lname ~= "host" and lname ~= "content-length" then headers[name] = value end
  end
  client:close()
  local names = {}
  for name in pairs(headers) do names[#names + 1] = name end
  table.sort(names)
  return req, headers, names
end

commands["wrk-script"] = function(endpoint, out)
  local req, headers, names = prepared(endpoint)
  local lines = { "-- made by bench/lua/driver.lua: the client's GetUserPoolMfaConfig POST, signed once",
                  ("wrk.method = %q"):format(req.method), ("wrk.body = %q"):format(req.body),
                  "wrk.headers = {}" }
  for _, name in ipairs(names) do
    lines[#lines + 1] = ("wrk.headers[%q] = %q"):format(name, headers[name])
  end
  local f = io.open(out, "wb") or die("cannot write " .. out)
  f:write(table.concat(lines, "\n"), "\n")
  f:close()
end

commands["curl-config"] = function(endpoint, out)
  local req, headers, names = prepared(endpoint)
  local function q(s) return '"' .. s:gsub('\\', '\\\\'):gsub('"', '\\"') .. '"' end
  local lines = { "# made by bench/lua/driver.lua: the client's GetUserPoolMfaConfig POST, signed once",
                  "request = " .. q(req.method), "data-binary = " .. q(req.body),
                  "url = " .. q(endpoint .. "/"), "silent", "show-error", "fail",
                  "output = \"/dev/null\"" }
  for _, name in ipairs(names) do
    lines[#lines + 1] = "header = " .. q(name .. ": " .. headers[name])
  end
  local f = io.open(out, "wb") or die("cannot write " .. out)
  f:write(table.concat(lines, "\n"), "\n")
  f:close()
end

local cmd = arg[1]
local fn = commands[cmd] or die("unknown command " .. tostring(cmd)
  .. " (soak, loop, batch, wrk-script, curl-config)")
fn(select(2, ...))
