-- What --query adds to one cognito-mfa call, on a ListUserPools answer of 60 pools:
--  1. the query step alone, as one CLI process does it once: check the expression (compile),
--     evaluate it on the merged result, find the result's shape; compiled afresh each time
--     (the expression is varied so the core's cache of compiled expressions never hits);
--  2. whole calls: cognito_mfa.cli.main in-process (a transport function answers, so no
--     network time blurs the difference), N times each, with and without --query; the query
--     usually makes the output smaller, so the whole call can get cheaper.
-- Goal: the query step under 1 ms. Prints figures only; asserts nothing.
--
--   lua5.4 bench/cli_query_bench.lua [N]     (LUA_PATH/LUA_CPATH as for the specs; N default 2000)
local cognito_mfa = require "cognito_mfa"
local cli = require "cognito_mfa.cli"

local N = tonumber(arg and arg[1]) or 2000

local pools = setmetatable({}, cognito_mfa.array_mt)
for i = 1, 60 do
  pools[i] = {
    Id = string.format("us-east-1_%032x", i), Name = "pool-" .. i, LambdaConfig = {},
    Status = i % 2 == 0 and "Enabled" or "Disabled",
    LastModifiedDate = 1764650000 + i, CreationDate = 1764640000 + i,
  }
end
local body = cognito_mfa.encode_json { UserPools = pools }
local response = { status = 200, headers = { ["Content-Type"] = "application/x-amz-json-1.1" }, body = body }

local env = {
  stdout = function() end,
  stderr = function(s) io.stderr:write(s) end,
  getenv = function() return nil end,
  settings = function() return { settings = {}, profiles = {}, profile_found = true } end,
  client_options = {
    transport = function() return response end,
    credentials = { access_key_id = "AKIDBENCH", secret_access_key = "benchSecret" },
    region = "us-east-1", max_attempts = 1,
  },
}

local clock = os.clock

local function time(args)
  assert(cli.main(args, env) == 0, "the command failed: " .. table.concat(args, " "))
  local t0 = clock()
  for _ = 1, N do
    cli.main(args, env)
  end
  return (clock() - t0) / N * 1000
end

local base = { "list-user-pools", "--max-results", "60" }
local function with(extra)
  local t = {}
  for _, a in ipairs(base) do t[#t + 1] = a end
  for _, a in ipairs(extra) do t[#t + 1] = a end
  return t
end

local QUERIES = {
  "UserPools[].Id",
  "UserPools[?Status=='Enabled'].{Id: Id, Name: Name}",
  "length(UserPools)",
  "sort_by(UserPools, &Name)[-1].Name",
}

print(string.format("cognito-mfa --query cost (%s), %d runs each",
  rawget(_G, "jit") and rawget(_G, "jit").version or _VERSION, N))
print("1. the query step alone (compile + evaluate + result shape), cold compile every time")
local query = require "cognito_mfa.cli.query"
local context = require "cognito_mfa.cli.context"
local output = require "cognito_mfa.output"
local model = cognito_mfa.model()
local merged = output.timestamps(assert(cognito_mfa.decode_json(body)), "ListUserPoolsResponse", "iso8601", model)
for _, q in ipairs(QUERIES) do
  local t0 = clock()
  for i = 1, N do
    local expr = "(" .. q .. ") || `" .. i .. "`"
    assert(query.check(expr) == nil)
    local v = cognito_mfa.query(merged, expr)
    context.infer_shape(model, v)
  end
  print(string.format("   %-52s %8.3f ms", q, (clock() - t0) / N * 1000))
end
print("2. whole calls in-process, with and without --query")
time(with { "--output", "json" }) -- warm-up
print(string.format("   %-52s %-6s %8s %9s", "expression", "output", "ms/call", "vs none"))
for _, fmt in ipairs { "json", "text" } do
  local plain = time(with { "--output", fmt })
  print(string.format("   %-52s %-6s %8.3f %9s", "(none)", fmt, plain, "-"))
  for _, q in ipairs(QUERIES) do
    local t = time(with { "--output", fmt, "--query", q })
    print(string.format("   %-52s %-6s %8.3f %+9.3f", q, fmt, t, t - plain))
  end
end
