-- Property tests for the Lua-level parsers: random and mutated input thrown at the shorthand
-- parser, desired-state files (plan/apply) and the CLI's argument parsing. Whatever comes in,
-- the answer is a result or a clear error (a message, an exit code): never an error raised out
-- of the module, never the CLI's "internal error", never a crash.
--
-- Deterministic: a seeded generator (printed; CMFA_PROPERTY_SEED=N picks another seed,
-- CMFA_PROPERTY_CASES=N the number of cases per group, CMFA_PROPERTY_SECONDS=S the time
-- budget per group). A failure prints the seed, the case number and the input, so it can be
-- replayed. Nothing leaves the process: the CLI talks to a fake transport that answers with
-- realistic, broken and hostile responses.
local cognito_mfa = require "cognito_mfa"
local shorthand = require "cognito_mfa.shorthand"
local cli = require "cognito_mfa.cli"
local fake = require "spec.support.fake_transport"

local SEED = tonumber(os.getenv("CMFA_PROPERTY_SEED") or "") or 20261202
local CASES = tonumber(os.getenv("CMFA_PROPERTY_CASES") or "") or 3000
local SECONDS = tonumber(os.getenv("CMFA_PROPERTY_SECONDS") or "") or 20

-- ------------------------------------------------------------------------------ generator

-- Park-Miller "minimal standard" generator: exact in doubles, so Lua 5.4 and LuaJIT draw the
-- same sequence from the same seed.
local function generator(seed)
  local state = seed % 2147483646 + 1
  local g = {}
  function g.next()
    state = state * 16807 % 2147483647
    return state
  end
  -- integer in [lo, hi]
  function g.int(lo, hi)
    return lo + g.next() % (hi - lo + 1)
  end
  function g.chance(p)
    return g.next() / 2147483647 < p
  end
  function g.pick(list)
    return list[g.int(1, #list)]
  end
  return g
end

-- Text for a failure message: cut when long; show() also quotes it.
local function cut(s)
  s = tostring(s)
  if #s > 300 then
    s = s:sub(1, 300) .. "...(" .. #s .. " bytes)"
  end
  return s
end

local function show(s)
  return string.format("%q", cut(s))
end

local function clock()
  return os.clock()
end

-- Runs `check(g, i)` for up to CASES cases or SECONDS seconds; check returns nil when the
-- property holds, else a description. Returns the number of cases run and the failures.
local function property(name, seed_offset, check)
  local g = generator(SEED + seed_offset)
  local failures, n, started = {}, 0, clock()
  for i = 1, CASES do
    if clock() - started > SECONDS then
      break
    end
    local problem = check(g, i)
    n = i
    if problem then
      failures[#failures + 1] = string.format("case %d: %s", i, problem)
      if #failures >= 5 then
        break
      end
    end
  end
  print(string.format("property %s: %d cases in %.1f s (seed %d)", name, n, clock() - started,
    SEED))
  return n, failures
end

local function assert_no_failures(n, failures)
  assert.is_true(n > 0)
  if #failures > 0 then
    error("seed " .. SEED .. ": " .. #failures .. " failing case(s):\n  "
      .. table.concat(failures, "\n  "), 2)
  end
end

-- Pieces the mutations insert: the syntax of the inputs and what the model calls things.
local TOKENS = {
  "{", "}", "[", "]", ",", "=", '"', "'", "\\", " ", "\t", "\n", "\r", ":", "#", "/", ".",
  "{####}", "true", "false", "null", "0", "-1", "1e999", "0x10", "nan", "inf", "''", '""',
  "Enabled", "SmsAuthenticationMessage", "SmsConfiguration", "SnsCallerArn", "ExternalId",
  "SnsRegion", "Message", "Subject", "RelyingPartyId", "UserVerification", "MfaConfiguration",
  "SoftwareTokenMfaConfiguration", "SmsMfaConfiguration", "EmailMfaConfiguration",
  "WebAuthnConfiguration", "FactorConfiguration", "EumsSms", "UserPoolId", "*",
  "ON", "OFF", "OPTIONAL", "required", "preferred", "file://", "fileb://",
  "arn:aws:iam::123456789012:role/sns", "us-east-1_Ab12Cd34", "\0", "\255", "\xc3\xa9",
  "\xe2\x80\xa8", "%", "%s", "%d", "(", ")", "--", "-", "$", "^",
}

local function random_byte_string(g, max)
  local out = {}
  for i = 1, g.int(0, max) do
    out[i] = string.char(g.int(0, 255))
  end
  return table.concat(out)
end

local function random_token_string(g, max)
  local out = {}
  for i = 1, g.int(0, max) do
    out[i] = g.chance(0.8) and g.pick(TOKENS) or string.char(g.int(32, 126))
  end
  return table.concat(out)
end

-- One to four edits of s: insert, delete, replace, duplicate, truncate, wrap, repeat.
local function mutate(g, s)
  for _ = 1, g.int(1, 4) do
    local len = #s
    local a = g.int(1, len + 1)
    local b = g.int(a, math.min(len + 1, a + 16))
    local op = g.int(1, 8)
    if op == 1 then
      s = s:sub(1, a - 1) .. g.pick(TOKENS) .. s:sub(a)
    elseif op == 2 then
      s = s:sub(1, a - 1) .. s:sub(b)
    elseif op == 3 then
      s = s:sub(1, a - 1) .. string.char(g.int(0, 255)) .. s:sub(a + 1)
    elseif op == 4 then
      s = s:sub(1, b - 1) .. s:sub(a, b - 1) .. s:sub(b)
    elseif op == 5 then
      s = s:sub(1, a)
    elseif op == 6 then
      local open = g.pick { "{", "[", '"', "'" }
      local close = ({ ["{"] = "}", ["["] = "]", ['"'] = '"', ["'"] = "'" })[open]
      s = s:sub(1, a - 1) .. open .. s:sub(a, b - 1) .. close .. s:sub(b)
    elseif op == 7 then
      s = s:sub(1, a - 1) .. string.rep(s:sub(a, b), g.int(2, 50)) .. s:sub(b + 1)
    else
      s = s:sub(1, a - 1) .. random_token_string(g, 4) .. s:sub(a)
    end
  end
  return s
end

-- Deeply nested text: what a recursive-descent parser must refuse instead of overflowing.
local function deep(g)
  local depth = g.pick { 100, 1000, 10000, 100000 }
  local kind = g.int(1, 3)
  if kind == 1 then
    return string.rep("A={", depth) .. "B=c" .. string.rep("}", depth)
  elseif kind == 2 then
    return "A=" .. string.rep("[", depth) .. "x" .. string.rep("]", depth)
  end
  return string.rep("[", depth)
end

-- A random Lua value made of what JSON and Lua desired files can hold, with the model's names
-- as keys most of the time.
local KEYS = {
  "MfaConfiguration", "SoftwareTokenMfaConfiguration", "SmsMfaConfiguration",
  "EmailMfaConfiguration", "WebAuthnConfiguration", "Enabled", "SmsAuthenticationMessage",
  "SmsConfiguration", "SnsCallerArn", "ExternalId", "SnsRegion", "Message", "Subject",
  "RelyingPartyId", "UserVerification", "FactorConfiguration", "EumsSms", "CallerArn",
  "UserPoolId", "Other", "",
}
local STRINGS = {
  "ON", "OFF", "OPTIONAL", "required", "preferred", "MULTI_FACTOR_WITH_USER_VERIFICATION",
  "Code {####}", "no placeholder", "arn:aws:iam::123456789012:role/sns", "eu-west-1", "",
  string.rep("x", 300), "\0\1\2", "\xff\xfe", "true",
}

local function random_value(g, depth)
  local kind = g.int(1, depth > 3 and 6 or 9)
  if kind == 1 then
    return g.pick(STRINGS)
  elseif kind == 2 then
    return g.chance(0.5)
  elseif kind == 3 then
    return g.pick { 0, 1, -1, 0.5, 1e300, -1e300, 2 ^ 53, 140, 6 }
  elseif kind == 4 then
    return cognito_mfa.NULL
  elseif kind == 5 then
    return random_token_string(g, 6)
  elseif kind == 6 then
    return g.pick(STRINGS)
  elseif kind == 7 then
    local t = setmetatable({}, cognito_mfa.array_mt)
    for i = 1, g.int(0, 3) do
      t[i] = random_value(g, depth + 1)
    end
    return t
  end
  local t = {}
  for _ = 1, g.int(0, 4) do
    t[g.chance(0.9) and g.pick(KEYS) or random_token_string(g, 3)] = random_value(g, depth + 1)
  end
  return t
end

-- JSON text for v. The binding refuses strings holding a NUL byte (JSON text cannot carry
-- one either: \u0000 is refused on the way in), so those become \1 here.
local function without_nul(v)
  if type(v) == "string" then
    return (v:gsub("%z", "\1"))
  elseif type(v) ~= "table" or v == cognito_mfa.NULL then
    return v
  end
  local t = setmetatable({}, getmetatable(v))
  for k, x in pairs(v) do
    t[without_nul(k)] = without_nul(x)
  end
  return t
end

local function to_json(v)
  return cognito_mfa.encode_json(without_nul(v)) or "{}"
end

-- A Lua literal for v (the Lua desired-file form).
local function lua_literal(v)
  local t = type(v)
  if v == cognito_mfa.NULL then
    return "NULL"
  elseif t == "string" then
    return string.format("%q", v)
  elseif t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then
      return "0"
    end
    return string.format("%.17g", v)
  elseif t == "boolean" then
    return tostring(v)
  end
  local parts = {}
  if getmetatable(v) == cognito_mfa.array_mt then
    for i = 1, #v do
      parts[i] = lua_literal(v[i])
    end
  else
    for k, x in pairs(v) do
      parts[#parts + 1] = "[" .. string.format("%q", k) .. "]=" .. lua_literal(x)
    end
    table.sort(parts)
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

-- ------------------------------------------------------------------------------ shorthand

local SHORTHAND_SEEDS = {
  "Enabled=true",
  "Enabled=false",
  'SmsAuthenticationMessage="Your code is {####}",'
    .. "SmsConfiguration={SnsCallerArn=arn:aws:iam::123456789012:role/sns,ExternalId=x,SnsRegion=eu-west-1}",
  "SmsAuthenticationMessage='Code, {####}',SmsConfiguration={EumsSms={CallerArn=a}}",
  "Message=Code {####},Subject=Your code",
  "RelyingPartyId=example.com,UserVerification=required,FactorConfiguration=SINGLE_FACTOR",
  "A=[x,y,{B=c}],D=[],E={}",
  "A=a\\,b,C=\"q\\\"uote\\\\\"",
  "A=1,2,3",
  '{"Enabled": true}',
  "[1, 2]",
  "file://settings.json",
  "ON",
}

local MEMBER_SHAPES = {
  "SmsMfaConfigType", "SoftwareTokenMfaConfigType", "EmailMfaConfigType",
  "WebAuthnConfigurationType", "UserPoolMfaType", "UserPoolIdType", "UserPoolTagsType",
  "AllowedFirstAuthFactorsListType", "NoSuchShape",
}
local MEMBER_OF = {
  SmsMfaConfigType = "SmsMfaConfiguration",
  SoftwareTokenMfaConfigType = "SoftwareTokenMfaConfiguration",
  EmailMfaConfigType = "EmailMfaConfiguration",
  WebAuthnConfigurationType = "WebAuthnConfiguration",
  UserPoolMfaType = "MfaConfiguration",
}

local function shorthand_input(g)
  local r = g.int(1, 20)
  if r == 1 then
    return deep(g)
  elseif r <= 3 then
    return random_byte_string(g, 40)
  elseif r <= 6 then
    return random_token_string(g, 12)
  end
  return mutate(g, g.pick(SHORTHAND_SEEDS))
end

local function check_shorthand(g)
  local text = shorthand_input(g)
  local ok, v, err = pcall(shorthand.parse, text)
  if not ok then
    return "shorthand.parse raised " .. cut(v) .. " for " .. show(text)
  end
  if v == nil then
    if type(err) ~= "string" or not err:find("at character %d+") then
      return "shorthand.parse gave no clear message (" .. tostring(err) .. ") for "
        .. show(text)
    end
  elseif type(v) ~= "table" then
    return "shorthand.parse returned a " .. type(v) .. " for " .. show(text)
  end

  local shape = g.pick(MEMBER_SHAPES)
  local opts = {
    read_file = function(path)
      if g.chance(0.5) then
        return nil, path .. ": No such file or directory"
      end
      return mutate(g, g.pick(SHORTHAND_SEEDS))
    end,
  }
  local ok2, value, verr = pcall(shorthand.value, text, shape, opts)
  if not ok2 then
    return "shorthand.value(" .. shape .. ") raised " .. cut(value) .. " for "
      .. show(text)
  end
  if value == nil then
    if type(verr) ~= "string" or verr == "" then
      return "shorthand.value(" .. shape .. ") gave no message for " .. show(text)
    end
    return nil
  end
  -- The typed value goes on to validation through the binding: a result, never a raise.
  local member = MEMBER_OF[shape]
  if member then
    local params = { UserPoolId = "us-east-1_Ab12Cd34", [member] = value }
    local ok3, valid, vres = pcall(cognito_mfa.validate, "SetUserPoolMfaConfig", params)
    if not ok3 then
      return "validate raised " .. cut(valid) .. " for " .. member .. " = "
        .. show(text)
    end
    if not valid and (type(vres) ~= "table" or type(vres.message) ~= "string") then
      return "validate gave no error object for " .. show(text)
    end
  end
  return nil
end

-- ------------------------------------------------------------------------------ the CLI

local POOLS = { "us-east-1_Ab12Cd34", "us-east-1_Zz99Yy88", "eu-west-1_Q" }

local CONFIGS = {
  { MfaConfiguration = "OFF" },
  { MfaConfiguration = "ON", SoftwareTokenMfaConfiguration = { Enabled = true } },
  {
    MfaConfiguration = "OPTIONAL",
    SmsMfaConfiguration = { SmsAuthenticationMessage = "Code {####}",
      SmsConfiguration = { SnsCallerArn = "arn:aws:iam::123456789012:role/sns", ExternalId = "x" } },
    SoftwareTokenMfaConfiguration = { Enabled = false },
    EmailMfaConfiguration = { Message = "Code {####}", Subject = "Code" },
    WebAuthnConfiguration = { RelyingPartyId = "example.com", UserVerification = "preferred" },
  },
}

-- Answers by operation, now and then with an error, garbage or a type the model does not
-- allow. Never anything but loopback: there is no network here at all.
local function fake_transport(g)
  return function(request)
    local target = fake.header(request, "X-Amz-Target") or ""
    local op = target:match("%.(%w+)$") or ""
    local r = g.int(1, 20)
    if r == 1 then
      return nil, "connection refused (fake)"
    elseif r == 2 then
      return fake.aws_error(400, g.pick { "ResourceNotFoundException", "InvalidParameterException",
        "ConcurrentModificationException", "NotAuthorizedException" })
    elseif r == 3 then
      return fake.response(g.pick { 200, 500, 502, 403 }, random_byte_string(g, 30))
    elseif r == 4 then
      return fake.response(200, to_json(random_value(g, 0)))
    end
    if op == "GetUserPoolMfaConfig" or op == "SetUserPoolMfaConfig" then
      return fake.response(200, g.pick(CONFIGS))
    elseif op == "ListUserPools" then
      local pools = setmetatable({}, cognito_mfa.array_mt)
      for i = 1, g.int(0, 3) do
        pools[i] = { Id = POOLS[i], Name = "pool" .. i, Status = "Enabled" }
      end
      return fake.response(200, { UserPools = pools })
    elseif op == "DescribeUserPool" then
      return fake.response(200, { UserPool = { Id = POOLS[1],
        UserPoolTier = g.pick { "LITE", "ESSENTIALS", "PLUS" }, MfaConfiguration = "ON" } })
    end
    return fake.response(200, "{}")
  end
end

local EXIT_CODES = { [0] = true, [1] = true, [2] = true, [3] = true, [130] = true,
  [252] = true, [253] = true, [254] = true, [255] = true }

-- Runs the CLI's main in this process: streams captured, a fake transport, files from
-- `files` (path -> content), no environment variables.
local function run_cli(g, argv, files, stdin_line)
  local out, err = {}, {}
  local env = {
    stdout = function(s) out[#out + 1] = s end,
    stderr = function(s) err[#err + 1] = s end,
    stdin = { read = function() return stdin_line end },
    interactive = false,
    getenv = function() return nil end,
    read_file = function(path)
      local content = files[path]
      if content == nil then
        return nil, path .. ": No such file or directory"
      end
      return content
    end,
    client_options = {
      credentials = fake.CREDENTIALS,
      transport = fake_transport(g),
      sleep = function() end,
      max_attempts = 2,
    },
  }
  local ok, code = pcall(cli.main, argv, env)
  return ok, code, table.concat(out), table.concat(err)
end

local function show_argv(argv)
  local parts = {}
  for i, a in ipairs(argv) do
    parts[i] = show(a)
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

local function check_cli_result(argv, ok, code, stderr)
  if not ok then
    return "main raised " .. cut(code) .. " for argv " .. show_argv(argv)
  end
  if type(code) ~= "number" or not EXIT_CODES[code] then
    return "main returned " .. tostring(code) .. " for argv " .. show_argv(argv)
  end
  if stderr:find("internal error", 1, true) then
    return "main reported an internal error (" .. cut(stderr:gsub("\n", " ")) .. ") for argv "
      .. show_argv(argv)
  end
  return nil
end

-- Desired-state files: JSON (or Lua) built from random values, or mutated from real ones.
local DESIRED_SEEDS = {
  '{"*": {"MfaConfiguration": "ON", "SoftwareTokenMfaConfiguration": {"Enabled": true}}}',
  '{"us-east-1_Ab12Cd34": {"SmsMfaConfiguration": {"SmsAuthenticationMessage": "Code {####}"}},'
    .. ' "*": {"MfaConfiguration": "OPTIONAL"}}',
  '{"us-east-1_Zz99Yy88": {"EmailMfaConfiguration": null, "MfaConfiguration": "OFF"}}',
  '{"*": {"WebAuthnConfiguration": {"RelyingPartyId": "example.com", "UserVerification": "required"}}}',
}
local DESIRED_LUA_SEEDS = {
  'return { ["*"] = { MfaConfiguration = "ON", SoftwareTokenMfaConfiguration = { Enabled = true } } }',
  'return { ["us-east-1_Ab12Cd34"] = { EmailMfaConfiguration = NULL, MfaConfiguration = "OFF" } }',
  'local on = "ON" return { ["*"] = { MfaConfiguration = on } }',
}

local function desired_file(g)
  local lua = g.chance(0.3)
  local r = g.int(1, 10)
  local content
  if r <= 4 then
    local t = {}
    for _ = 1, g.int(0, 3) do
      local key = g.chance(0.8) and g.pick { "*", POOLS[1], POOLS[2], POOLS[3] }
        or random_token_string(g, 3)
      t[key] = g.chance(0.9) and random_value(g, 1) or random_value(g, 3)
    end
    if g.chance(0.1) then
      t = random_value(g, 0)
    end
    content = lua and ("return " .. lua_literal(t)) or to_json(t)
  elseif r <= 9 then
    content = mutate(g, g.pick(lua and DESIRED_LUA_SEEDS or DESIRED_SEEDS))
  else
    content = random_byte_string(g, 60)
  end
  return lua and "desired.lua" or "desired.json", content
end

local function check_desired(g)
  local path, content = desired_file(g)
  local argv = { "--region", "us-east-1" }
  if g.chance(0.3) then
    argv[#argv + 1] = "--output"
    argv[#argv + 1] = g.pick { "json", "text", "table" }
  end
  local apply = g.chance(0.4)
  argv[#argv + 1] = apply and "apply" or "plan"
  argv[#argv + 1] = "--desired"
  argv[#argv + 1] = path
  if apply and g.chance(0.5) then
    argv[#argv + 1] = "--auto-approve"
  end
  -- A chunk that never ends is stopped by an instruction budget (LuaJIT: interpreted, so the
  -- hook sees it); it comes back as the file's error, not as a hang.
  debug.sethook(function() error("instruction budget exceeded", 0) end, "", 50000000)
  local ok, code, _, stderr = run_cli(g, argv, { [path] = content }, g.pick { "yes", "no", false } or nil)
  debug.sethook()
  local problem = check_cli_result(argv, ok, code, stderr)
  if problem then
    return problem .. " with " .. path .. " = " .. show(content)
  end
  if code >= 252 and stderr == "" then
    return "exit " .. code .. " without a message for " .. path .. " = " .. show(content)
  end
  return nil
end

-- Random command lines: the global options, every command and its options, values that are
-- valid, JSON, shorthand, file:// references, numbers and garbage.
local GLOBALS = {
  { "--region", { "us-east-1", "eu-west-1", "", "us east 1", "x/y", "\xff" } },
  { "--profile", { "default", "nonexistent-profile", "" } },
  { "--endpoint-url", { "http://127.0.0.1:1", "https://[::1]:1/p", "ftp://x", "", "http://",
    "http://a b" } },
  { "--output", { "json", "text", "table", "yaml", "" } },
  { "--debug" }, { "--no-verify-ssl" }, { "--no-paginate" }, { "--version" }, { "--help" },
  { "-h" },
  { "--ca-bundle", { "/nonexistent/ca.pem", "" } },
  { "--cli-connect-timeout", { "0", "1", "2.5", "-1", "abc", "1e999", "100000", "1e-9" } },
  { "--cli-read-timeout", { "0", "30", "-0", "1e308", "0x10", "nan" } },
}

local function option_value(g)
  local r = g.int(1, 12)
  if r == 1 then
    return random_byte_string(g, 20)
  elseif r == 2 then
    return random_token_string(g, 10)
  elseif r == 3 then
    return "file://" .. g.pick { "in.json", "missing.json", "" }
  elseif r <= 5 then
    return to_json(random_value(g, 1))
  elseif r <= 7 then
    return mutate(g, g.pick(SHORTHAND_SEEDS))
  elseif r == 8 then
    return g.pick { "0", "-1", "60", "61", "1e999", "2.5", "" }
  end
  return g.pick { POOLS[1], "ON", "OFF", "Enabled=true", "SmsConfiguration", "input", "output",
    "text", "json", "junit", "yes", "" }
end

local function command_names()
  local names = { "help", "nonsense", "" }
  for name in pairs(cli.commands) do
    names[#names + 1] = name
  end
  table.sort(names)
  return names
end

local function command_options(name)
  local cmd = cli.commands[name]
  local list = {}
  for opt in pairs(cmd and cmd.by_name or {}) do
    list[#list + 1] = opt
  end
  table.sort(list)
  return list
end

local function random_argv(g, names)
  local argv = {}
  local function add(...)
    for _, a in ipairs { ... } do
      argv[#argv + 1] = a
    end
  end
  if g.chance(0.8) then
    add("--region", "us-east-1")
  end
  for _ = 1, g.int(0, 2) do
    local spec = g.pick(GLOBALS)
    if spec[2] then
      if g.chance(0.2) then
        add(spec[1] .. "=" .. g.pick(spec[2]))
      else
        add(spec[1], g.pick(spec[2]))
      end
    else
      add(spec[1])
    end
  end
  local name = g.pick(names)
  if name ~= "" then
    add(name)
  end
  local options = command_options(name)
  for _ = 1, g.int(0, 5) do
    local r = g.int(1, 10)
    if r <= 6 and #options > 0 then
      local opt = g.pick(options)
      if g.chance(0.85) then
        add(opt, option_value(g))
      else
        add(opt)
      end
    elseif r == 7 then
      local spec = g.pick(GLOBALS)
      add(spec[1])
    elseif r == 8 then
      add("--" .. random_token_string(g, 2))
    elseif r == 9 then
      add(option_value(g))
    else
      add(g.pick { "help", "--generate-cli-skeleton", "--cli-input-json", "--dry-run",
        "--user-pool-id", "--max-results", "--clear" })
    end
  end
  return argv
end

local function check_argv(g, names)
  local argv = random_argv(g, names)
  local files = { ["in.json"] = g.chance(0.5) and to_json(random_value(g, 1))
    or mutate(g, g.pick(SHORTHAND_SEEDS)) }
  local ok, code, _, stderr = run_cli(g, argv, files, nil)
  return check_cli_result(argv, ok, code, stderr)
end

-- ------------------------------------------------------------------------------ specs

describe("property: random and mutated input", function()
  setup(function()
    print(string.format("property seed %d (CMFA_PROPERTY_SEED), up to %d cases and %d s per "
      .. "group (CMFA_PROPERTY_CASES, CMFA_PROPERTY_SECONDS)", SEED, CASES, SECONDS))
  end)

  it("the generator draws the same sequence on every Lua (replayable seeds)", function()
    local g = generator(1)
    assert.are.same({ 33614, 564950498, 1097816499 }, { g.next(), g.next(), g.next() })
  end)

  it("shorthand: parse and value give a result or a message, never raise", function()
    assert_no_failures(property("shorthand", 0, check_shorthand))
  end)

  it("shorthand: nesting far deeper than any real value is refused with a message", function()
    for _, depth in ipairs { 32, 33, 1000, 200000 } do
      local v, err = shorthand.parse(string.rep("A={", depth) .. "B=c" .. string.rep("}", depth))
      if depth <= 32 then
        assert.is_table(v, err)
      else
        assert.is_nil(v)
        assert.matches("nested deeper than 32 levels", err)
      end
      v, err = shorthand.parse("A=" .. string.rep("[", depth))
      assert.is_nil(v)
      assert.is_string(err)
    end
  end)

  it("desired-state files: plan and apply answer with an exit code and a message", function()
    local jit = rawget(_G, "jit")
    if jit then
      jit.off()   -- the instruction budget needs interpreted code
    end
    local n, failures = property("desired-state files", 1, check_desired)
    if jit then
      jit.on()
    end
    assert_no_failures(n, failures)
  end)

  it("command lines: every argv gets an exit code, never an internal error", function()
    local names = command_names()
    assert_no_failures(property("command lines", 2, function(g) return check_argv(g, names) end))
  end)
end)

-- Each failure the properties found, replayed on its own.
describe("property: regressions found by the property tests", function()
  local function cli_run(argv, files)
    local g = generator(1)
    local ok, code, _, stderr = run_cli(g, argv, files or {}, nil)
    assert.is_true(ok, tostring(code))
    return code, stderr
  end

  it("shorthand.value refuses a NUL byte with a message", function()
    local v, err = shorthand.value("Enabled=tr\0ue", "SoftwareTokenMfaConfigType")
    assert.is_nil(v)
    assert.matches("NUL byte", err)
    v, err = shorthand.value("file://x", "UserPoolIdType", { read_file = function() return "a\0b" end })
    assert.is_nil(v)
    assert.matches("NUL byte", err)
  end)

  it("a string with a NUL byte is named as such, not as 'not enough memory'", function()
    local ok, err = pcall(cognito_mfa.validate, "SetUserPoolMfaConfig", { UserPoolId = "a\0b" })
    assert.is_false(ok)
    assert.matches("UserPoolId: a string with a NUL byte cannot be sent", err)
  end)

  it("a list where the model wants an object is a validation error, not a raise", function()
    local ok, err = cognito_mfa.validate("SetUserPoolMfaConfig",
      { UserPoolId = "us-east-1_Ab12Cd34", SoftwareTokenMfaConfiguration = { -1 } })
    assert.is_nil(ok)
    assert.equal("validation", err.kind)
    assert.matches("SoftwareTokenMfaConfiguration must be an object %(got array%)", err.message)
  end)

  it("modify with a list for a section refuses it instead of merging it into the section", function()
    local t = fake.new { fake.response(200, { MfaConfiguration = "ON",
      SoftwareTokenMfaConfiguration = { Enabled = true } }) }
    local client = fake.client(t)
    local result, err = client:modify_user_pool_mfa_config("us-east-1_Ab12Cd34",
      { SoftwareTokenMfaConfiguration = { -1 } }, { dry_run = true })
    assert.is_nil(result)
    assert.equal("validation", err.kind)
    assert.matches("must be an object", err.message)
  end)

  it("timeouts beyond a day are a usage error (252), not an internal error", function()
    for _, argv in ipairs {
      { "--region", "us-east-1", "--cli-read-timeout", "1e308", "audit" },
      { "--region", "us-east-1", "--cli-connect-timeout=100000", "get-user-pool-mfa-config",
        "--user-pool-id", "us-east-1_Ab12Cd34" },
    } do
      local code, stderr = cli_run(argv)
      assert.equal(252, code)
      assert.matches("expected a number from 0 to 86400", stderr)
    end
  end)

  it("audit --concurrency must be a whole number", function()
    local code, stderr = cli_run { "--region", "us-east-1", "audit", "--concurrency", "2.5" }
    assert.equal(252, code)
    assert.matches("%-%-concurrency must be a whole number between 1 and 64", stderr)
  end)

  it("desired files with values that cannot be sent are refused, naming the file and place", function()
    for content, want in pairs {
      ['return { ["*"] = { MfaConfiguration = "O\\0N" } }'] = "d.lua.%*.MfaConfiguration: a string with a NUL byte",
      ['return { ["us-east-1_A\\0b"] = {} }'] = "d.lua: a key with a NUL byte",
      ['return { ["*"] = { MfaConfiguration = function() end } }'] =
        "d.lua.%*.MfaConfiguration: a function is not a setting",
      ['return { ["*"] = { SoftwareTokenMfaConfiguration = { 1, Enabled = true } } }'] =
        "d.lua.%*.SoftwareTokenMfaConfiguration: a table is either settings",
    } do
      local code, stderr = cli_run({ "--region", "us-east-1", "plan", "--desired", "d.lua" },
        { ["d.lua"] = content })
      assert.equal(252, code)
      assert.matches("%-%-desired: " .. want, stderr)
    end
  end)

  it("main refuses an argument holding a NUL byte", function()
    local code, stderr = cli_run { "--region", "us-east-1", "audit", "--user-pool-id", "a\0b" }
    assert.equal(252, code)
    assert.matches("argument 5 contains a NUL byte", stderr)
  end)
end)
