--- `cognito-mfa repl`: interactive Lua with cognito_mfa loaded and a ready `client`.
-- @module cognito_mfa.cli.repl

local cognito_mfa = require "cognito_mfa"

local _G = _G
local _VERSION = _VERSION
local concat = table.concat
local error = error
local format = string.format
local os_execute = os.execute
local pairs = pairs
local pcall = pcall
local rawget = rawget
local select = select
local setmetatable = setmetatable
local tostring = tostring

local _M = {}

local PROG = "cognito-mfa"

local setfenv = rawget(_G, "setfenv")
local loadstring = rawget(_G, "loadstring")
local load = load

local function compile(src, env)
  if setfenv and loadstring then
    local f, err = loadstring(src, "=repl")
    if f then
      setfenv(f, env)
    end
    return f, err
  end
  return load(src, "=repl", "t", env)
end

local function is_incomplete(err)
  return err and err:find("<eof>'?$") ~= nil
end

local function stdin_is_tty()
  local status = os_execute("test -t 0 2>/dev/null")
  return status == true or status == 0 -- Lua 5.2+ / Lua 5.1 and LuaJIT
end

local function run_repl(ctx, _, positionals)
  if #positionals > 0 then
    return ctx:usage_error("Unknown options: " .. concat(positionals, ", "), "repl")
  end
  local client, cerr = ctx:client()
  local interactive = ctx.interactive
  if interactive == nil then
    interactive = stdin_is_tty()
  end
  local env = setmetatable({
    cognito_mfa = cognito_mfa,
    client = client,
    pretty = cognito_mfa.pretty,
    print = function(...)
      local parts = {}
      for i = 1, select("#", ...) do
        parts[i] = tostring((select(i, ...)))
      end
      ctx.out(concat(parts, "\t") .. "\n")
    end,
  }, { __index = _G })
  if interactive then
    ctx.out(format("%s %s REPL (%s). `cognito_mfa` is loaded; `client` is a client made from "
      .. "the global options. Results print with cognito_mfa.pretty; Ctrl-D ends.\n",
      PROG, cognito_mfa.VERSION, rawget(_G, "jit") and _G.jit.version or _VERSION))
  end
  if not client then
    ctx.err("warning: no client (" .. tostring(cerr and cerr.message or cerr) .. "); `client` is nil\n")
  end
  local buffer
  while true do
    if interactive then
      ctx.out(buffer and ">> " or "> ")
    end
    local line = ctx.stdin:read("*l")
    if line == nil then
      if buffer then
        ctx.err("incomplete input at the end\n")
      end
      break
    end
    line = line:gsub("^=", "return ")
    buffer = buffer and (buffer .. "\n" .. line) or line
    local f, err = compile("return " .. buffer, env)
    if not f then
      f, err = compile(buffer, env)
    end
    if f then
      buffer = nil
      local results = { pcall(f) }
      local n = 0
      for k in pairs(results) do
        if k > n then
          n = k
        end
      end
      if results[1] then
        local parts = {}
        for i = 2, n do
          parts[#parts + 1] = cognito_mfa.pretty(results[i])
        end
        if #parts > 0 then
          ctx.out(concat(parts, "\n") .. "\n")
        end
      else
        local msg = tostring(results[2])
        if msg:find("interrupted", 1, true) then
          error(results[2], 0)
        end
        ctx.err("error: " .. msg .. "\n")
      end
    elseif not is_incomplete(err) then
      buffer = nil
      ctx.err("syntax error: " .. tostring(err) .. "\n")
    end
  end
  if interactive then
    ctx.out("\n")
  end
  return 0
end


--- Registers the repl command.
-- @tparam table cli the cognito_mfa.cli module
function _M.register(cli)
  cli.register("repl", {
    summary = "Interactive Lua with cognito_mfa loaded and a ready `client`.",
    description = "Reads Lua from stdin, one line at a time (continued while incomplete), and "
      .. "prints the results with cognito_mfa.pretty. `cognito_mfa` is the module and `client` "
      .. "a client made from the global options (--region, --profile, --endpoint-url, ...). A "
      .. "line starting with '=' is an expression. Works with piped input.",
    usage = PROG .. " [global options] repl",
    examples = {
      PROG .. " --endpoint-url http://127.0.0.1:5000 repl",
      "> client:list_user_pools{ MaxResults = 10 }",
      "> cognito_mfa.validate('SetUserPoolMfaConfig', { UserPoolId = 'x' })",
    },
    run = run_repl,
  })
end

return _M
