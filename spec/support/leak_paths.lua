-- Paths on which a Lua error is raised while the binding is in the middle of a call, shared by
-- spec/binding_leak_spec.lua (busted, also run under ASan) and spec/support/leak_driver.lua
-- (plain Lua under valgrind). Each path runs its body `n` times and checks, with plain asserts,
-- that the error it provokes is the expected one; whether C memory leaked is for ASan/valgrind
-- to say. Nothing here leaves the machine: the libcurl path targets a closed loopback port.
local cognito_mfa = require "cognito_mfa"
local core = require "cognito_mfa.core"

local paths = {}

local POOL = "us-east-1_Ab12Cd34"
local CREDS = { access_key_id = "AKIDLEAKEXAMPLE", secret_access_key = "leak/secret/EXAMPLE" }
local BIG = ("x"):rep(64 * 1024)
-- A loopback port nothing listens on (the discard port): connections are refused at once.
paths.CLOSED_ENDPOINT = "http://127.0.0.1:9"

local function expect_raise(pattern, f, ...)
  local ok, msg = pcall(f, ...)
  assert(not ok, "expected an error matching " .. pattern)
  msg = tostring(msg)
  assert(msg:find(pattern, 1, true), "unexpected error: " .. msg .. " (expected " .. pattern .. ")")
end

local function ok200()
  return { status = 200, headers = {}, body = '{"MfaConfiguration":"OFF"}' }
end

local function transport_client(transport, opts)
  local o = { region = "us-east-1", credentials = CREDS, transport = transport or ok200,
              sleep = function() end }
  for k, v in pairs(opts or {}) do
    o[k] = v
  end
  return assert(cognito_mfa.client(o))
end

local function deep_function()
  return { UserPoolId = POOL, SmsMfaConfiguration = { SmsAuthenticationMessage = "code {####}",
    SmsConfiguration = { SnsRegion = "us-east-1", EumsSms = { CallerArn = BIG, Region = print } } } }
end

local function deep_bad_key()
  return { UserPoolId = POOL, WebAuthnConfiguration = { RelyingPartyId = BIG, [true] = "x" },
           EmailMfaConfiguration = { Message = BIG, [2] = "y" } }
end

local function too_deep(levels)
  local root = { Big = BIG }
  local cur = root
  for _ = 1, levels do
    cur.Next = { Big = BIG }
    cur = cur.Next
  end
  return root
end

-- Arrays convert in order, so the big strings are in C memory when the function is reached.
local function big_then_function()
  return { Values = setmetatable({ BIG, BIG, BIG, { Deep = { BIG, coroutine.create(print) } } }, cognito_mfa.array_mt) }
end

paths.list = {}
local function path(name, f)
  paths.list[#paths.list + 1] = { name = name, run = f }
end

path("parameter conversion raises (function, bad key, too deep, thread) in every entry point", function(n)
  local client = transport_client()
  for _ = 1, n do
    expect_raise("a function cannot be sent", client.set_user_pool_mfa_config, client, deep_function())
    expect_raise("keys must be strings", client.set_user_pool_mfa_config, client, deep_bad_key())
    expect_raise("nested deeper", client.call, client, "CreateUserPool", too_deep(80))
    expect_raise("a thread cannot be sent", client.call, client, "AdminUpdateUserAttributes", big_then_function())
    expect_raise("a function cannot be sent", cognito_mfa.validate, "SetUserPoolMfaConfig", deep_function())
    expect_raise("keys must be strings", cognito_mfa.validate, "SetUserPoolMfaConfig", deep_bad_key())
    expect_raise("nested deeper", cognito_mfa.encode_json, too_deep(80))
    expect_raise("a thread cannot be sent", cognito_mfa.encode_json, big_then_function())
    expect_raise("a function cannot be sent", client.core.operation, client.core, "SetUserPoolMfaConfig",
                 deep_function())
    expect_raise("nested deeper", client.core.operation, client.core, "NotModelled", too_deep(80))
  end
  client:close()
end)

path("parameter conversion raises over the libcurl path", function(n)
  local client = assert(cognito_mfa.client { region = "us-east-1", credentials = CREDS,
                                             endpoint_url = paths.CLOSED_ENDPOINT, max_attempts = 1 })
  for _ = 1, n do
    expect_raise("a function cannot be sent", client.set_user_pool_mfa_config, client, deep_function())
    expect_raise("keys must be strings", client.call, client, "SetUserPoolMfaConfig", deep_bad_key())
    expect_raise("nested deeper", client.call, client, "CreateUserPool", too_deep(80))
    expect_raise("a thread cannot be sent", client.call, client, "X", big_then_function())
  end
  client:close()
end)

path("a debug callback raises (custom transport)", function(n)
  local client = transport_client(nil, { debug = function() error("debug hook failed") end })
  for _ = 1, n do
    expect_raise("debug hook failed", client.set_user_pool_mfa_config, client,
                 { UserPoolId = POOL, MfaConfiguration = "OFF", EmailMfaConfiguration = { Subject = BIG } })
  end
  -- raising on the response side only
  local calls = 0
  client = transport_client(nil, { debug = function()
    calls = calls + 1
    if calls % 2 == 0 then
      error("debug hook failed on the response")
    end
  end })
  for _ = 1, n do
    expect_raise("debug hook failed on the response", client.get_user_pool_mfa_config, client, { UserPoolId = POOL })
  end
end)

path("a debug callback raises (libcurl path, connection refused)", function(n)
  local client = assert(cognito_mfa.client {
    region = "us-east-1", credentials = CREDS, endpoint_url = paths.CLOSED_ENDPOINT, max_attempts = 1,
    debug = function() error("debug hook failed") end,
  })
  for _ = 1, n do
    expect_raise("debug hook failed", client.set_user_pool_mfa_config, client,
                 { UserPoolId = POOL, MfaConfiguration = "OFF", EmailMfaConfiguration = { Subject = BIG } })
    expect_raise("debug hook failed", client.call, client, "CreateUserPool", { PoolName = BIG })
  end
  client:close()
end)

path("a custom transport raises, fails, returns garbage or closes the client", function(n)
  local raising = transport_client(function() error("transport exploded") end, { max_attempts = 2 })
  local failing = transport_client(function() return nil, { kind = "no such kind", message = BIG } end)
  local garbage = transport_client(function() return { status = 200, headers = { 1, 2, x = {} }, body = BIG } end)
  local bad_status = transport_client(function() return { status = "200" } end)
  local closer
  closer = transport_client(function() closer:close(); return ok200() end)
  for _ = 1, n do
    local out, err = raising:get_user_pool_mfa_config { UserPoolId = POOL }
    assert(out == nil and err.kind == "transport" and err.message:find("transport exploded", 1, true))
    out, err = failing:get_user_pool_mfa_config { UserPoolId = POOL }
    assert(out == nil and err.kind == "transport")
    out, err = garbage:get_user_pool_mfa_config { UserPoolId = POOL }
    assert(out == nil and err.kind == "transport", tostring(err))
    out, err = bad_status:get_user_pool_mfa_config { UserPoolId = POOL }
    assert(out == nil and err.code == "CMFA_E_BAD_RESPONSE")
  end
  expect_raise("client was closed", closer.get_user_pool_mfa_config, closer, { UserPoolId = POOL })
end)

path("the sleep between retries raises", function(n)
  for _ = 1, n do
    -- a new client each time: retries draw on a per-client quota
    local client = transport_client(function() return { status = 503, headers = {}, body = BIG } end,
                                    { sleep = function() error("no sleeping here") end })
    expect_raise("no sleeping here", client.set_user_pool_mfa_config, client,
                 { UserPoolId = POOL, MfaConfiguration = "OFF", EmailMfaConfiguration = { Subject = BIG } })
  end
end)

path("a coroutine is abandoned while its transport waits", function(n)
  local client = transport_client(function()
    coroutine.yield("waiting")
    return ok200()
  end)
  for _ = 1, n do
    local co = coroutine.create(function()
      return client:set_user_pool_mfa_config { UserPoolId = POOL, MfaConfiguration = "OFF",
                                              EmailMfaConfiguration = { Subject = BIG } }
    end)
    local ok, what = coroutine.resume(co)
    assert(ok and what == "waiting", tostring(what))
  end
  -- and one that is resumed completes normally
  local co = coroutine.wrap(function() return client:get_user_pool_mfa_config { UserPoolId = POOL } end)
  assert(co() == "waiting")
  assert(co().MfaConfiguration == "OFF")
end)

path("client:operation misuse raises", function(n)
  local client = transport_client()
  local c = client.core
  for _ = 1, n do
    expect_raise("bad argument", c.operation, c, {})
    expect_raise("bad argument", c.operation, c, "GetUserPoolMfaConfig", "x")
    expect_raise("bad argument", c.operation)
    local op = assert(c:operation("GetUserPoolMfaConfig", { UserPoolId = POOL }))
    expect_raise("without a request in flight", op.response, op, 200, {}, "{}")
    expect_raise("without a request in flight", op.transport_error, op, "timeout", "x")
    assert(op:next() == "send")
    expect_raise("bad argument", op.response, op, "two hundred", {}, "{}")
    expect_raise("bad argument", op.response, op, 200, "headers", "{}")
    expect_raise("bad argument", op.response, op, 200, {}, {})
    expect_raise("bad argument", op.transport_error, op, "no such kind", "x")
    local out = op:response(200, { ["x-amzn-RequestId"] = "r", [1] = "ignored", X = 5 }, BIG:sub(1, 10))
    assert(out == nil)
    local step, err = op:next()
    assert(step == "failed" and err.kind == "transport", tostring(err))
    op:close()
    expect_raise("finished", op.next, op)
    op:close()
    op = assert(c:operation("GetUserPoolMfaConfig", { UserPoolId = POOL }))
    assert(op:next() == "send")
    assert(op:response(200, {}, '{"MfaConfiguration":"OFF"}'))
    local result
    step, result = op:next()
    assert(step == "done" and result.MfaConfiguration == "OFF")
    -- an operation left unfinished is collected with its request
    op = assert(c:operation("SetUserPoolMfaConfig", { UserPoolId = POOL, MfaConfiguration = "OFF",
                                                      EmailMfaConfiguration = { Subject = BIG } }))
    assert(op:next() == "send")
  end
  -- a validation failure returns nil, err and keeps nothing
  local op, err = c:operation("SetUserPoolMfaConfig", { UserPoolId = "bad id" })
  assert(op == nil and err.kind == "validation")
  client:close()
  expect_raise("closed", c.operation, c, "GetUserPoolMfaConfig", { UserPoolId = POOL })
end)

path("client creation raises on bad options", function(n)
  for _ = 1, n do
    expect_raise("unknown client option", core.client_new, { region = "us-east-1", bogus = 1 })
    expect_raise("must be a string", core.client_new, { region = "us-east-1", profile = {} })
    expect_raise("must be a number", core.client_new, { max_attempts = "3" })
    expect_raise("must be between", core.client_new, { max_attempts = 1000 })
    expect_raise("must be a function", core.client_new, { debug = 5 })
    expect_raise("string keys", core.client_new, { [1] = "x" })
    expect_raise("unknown option", cognito_mfa.client, { regoin = "x" })
    local c, err = cognito_mfa.client { region = "us-east-1", credentials = { secret_access_key = BIG } }
    assert(c == nil and err.kind == "credentials")
    c, err = cognito_mfa.client { region = "not a region!", credentials = CREDS }
    assert(c == nil and err.kind == "credentials")
  end
end)

path("results and errors are built while Lua may raise", function(n)
  local big_result = '{"A":"' .. BIG .. '","L":[' .. ("1,"):rep(1000) .. '1],"O":{"N":null}}'
  local client = transport_client(function() return { status = 200, headers = {}, body = big_result } end)
  local failing = transport_client(function()
    return { status = 400, headers = { ["x-amzn-RequestId"] = "r" },
             body = '{"__type":"InvalidParameterException","message":"' .. BIG:sub(1, 2000) .. '"}' }
  end)
  for _ = 1, n do
    assert(#client:call("Anything", {}).L == 1001)
    local _, err = failing:get_user_pool_mfa_config { UserPoolId = POOL }
    assert(err.code == "InvalidParameterException")
    assert(tostring(err))
    local _, verr = cognito_mfa.validate("SetUserPoolMfaConfig", { UserPoolId = BIG, MfaConfiguration = "x" })
    assert(#verr.violations >= 2)
    assert(cognito_mfa.decode_json(big_result).A == BIG)
    assert(cognito_mfa.decode_json("{" .. BIG) == nil)
    assert(cognito_mfa.model().operations.ListUserPools)
    assert(core.model().shapes.UserPoolIdType)
  end
end)

path("query: raises and failures with C memory held (conversion, compile, eval, deep result)", function(n)
  local deep_literal = "`" .. ("["):rep(70) .. ("]"):rep(70) .. "`"
  for i = 1, n do
    expect_raise("cannot be sent", cognito_mfa.query, big_then_function(), "Values")
    expect_raise("nested deeper than", cognito_mfa.query, {}, deep_literal)
    local res, err = cognito_mfa.query({ a = BIG }, "a[?")
    assert(res == nil and err.name == "CMFA_E_QUERY_SYNTAX")
    res, err = cognito_mfa.query({ a = { BIG, BIG } }, "sum(a)")
    assert(res == nil and err.name == "CMFA_E_QUERY_INVALID_TYPE")
    -- more distinct expressions than the cache holds: evicted queries are freed by __gc
    assert(cognito_mfa.query({ [BIG:sub(1, 3)] = i }, "xxx || `" .. i .. "`") == i)
    assert(#cognito_mfa.query({ a = { BIG, BIG } }, "a[1]") == #BIG)
  end
end)

path("YAML: to_yaml, from_yaml and yaml_skeleton raise or fail without leaking", function(n)
  local big_yaml = "UserPoolId: " .. BIG .. "\nList: [" .. ("1, "):rep(1000) .. "'x']\nMap: {a: {b: ~}}\n"
  for _ = 1, n do
    expect_raise("a function cannot be sent", core.to_yaml, deep_function(), "SetUserPoolMfaConfigRequest")
    expect_raise("nested deeper", core.to_yaml, too_deep(80))
    expect_raise("a thread cannot be sent", core.to_yaml, big_then_function(), nil, true)
    expect_raise("unknown shape", core.to_yaml, {}, "NoSuchShape")
    local _, err = core.to_yaml({ A = BIG, B = "\255" })
    assert(err.code == "CMFA_E_BAD_ARGUMENT")
    assert(#core.to_yaml({ A = BIG, L = setmetatable({ 1, 2.5, "x" }, cognito_mfa.array_mt) }, nil, true) > #BIG)
    assert(core.from_yaml(big_yaml, "SetUserPoolMfaConfig").UserPoolId == BIG)
    _, err = core.from_yaml(big_yaml .. "UserPoolId: again\n")
    assert(err.message:find("duplicate key", 1, true))
    _, err = core.from_yaml("a: [" .. ("[1, "):rep(100))
    assert(err.message:find("nested deeper", 1, true))
    expect_raise("string expected", core.from_yaml, {})
    assert(core.yaml_skeleton("SetUserPoolMfaConfig", { ["SetUserPoolMfaConfigRequest.UserPoolId"] = BIG }))
    expect_raise("docs must map", core.yaml_skeleton, "ListUserPools", { x = 1 })
    assert(select(2, core.yaml_skeleton("NoSuchOperation")).code == "CMFA_E_UNKNOWN_OPERATION")
  end
end)

path("settings: a raise while the table is filled, with the loaded files held", function(n)
  for _ = 1, n do
    local s = assert(core.settings(nil, "output"))
    assert(type(s.settings) == "table" and type(s.profiles) == "table")
    expect_raise("bad argument #3", core.settings, nil, "output", {})
  end
end)

--- Runs every path n times.
function paths.run_all(n, report)
  for _, p in ipairs(paths.list) do
    p.run(n)
    collectgarbage("collect")
    if report then
      report(p.name)
    end
  end
end

return paths
