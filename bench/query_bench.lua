-- query_bench.lua: cognito_mfa.query per call from Lua, as the CLI's --query uses it (the Lua
-- table is converted to a core value, the compiled expression comes from the cache, the result
-- is converted back). Run from the repository root:
--   LUA_PATH="./lua/?.lua;./lua/?/init.lua;;" LUA_CPATH="./build/lua5.4/?.so;;" \
--     lua5.4 bench/query_bench.lua [calls]
local cognito_mfa = require "cognito_mfa"

local calls = tonumber(arg and arg[1]) or 2000

local pools = {}
for i = 1, 60 do
  pools[i] = {
    Id = string.format("eu-west-1_Pool%04d", i),
    Name = "pool-" .. i,
    LambdaConfig = { PreSignUp = "arn:aws:lambda:eu-west-1:123456789012:function:signup" },
    Status = i % 3 == 0 and "Disabled" or "Enabled",
    LastModifiedDate = 1.7e9 + i,
    CreationDate = 1.6e9 + i,
  }
end
local list = { UserPools = pools, NextToken = "abc" }
local mfa = {
  SoftwareTokenMfaConfiguration = { Enabled = true },
  SmsMfaConfiguration = { SmsAuthenticationMessage = "Your code is {####}" },
  MfaConfiguration = "ON",
}

local cases = {
  { "UserPools[].Id", list },
  { "UserPools[?Status=='Enabled'].{id:Id,name:Name}", list },
  { "length(UserPools)", list },
  { "SoftwareTokenMfaConfiguration.Enabled", mfa },
}

print(string.format("%s, %d calls per expression", _VERSION, calls))
print(string.format("%-52s %14s", "expression", "us per call"))
for _, c in ipairs(cases) do
  assert(cognito_mfa.query(c[2], c[1]))
  local best = math.huge
  for _ = 1, 3 do
    local t = os.clock()
    for _ = 1, calls do
      cognito_mfa.query(c[2], c[1])
    end
    best = math.min(best, (os.clock() - t) / calls * 1e6)
  end
  print(string.format("%-52s %14.1f", c[1], best))
end
