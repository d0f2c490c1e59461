--- cognito-mfa: the command-line tool, compatible with `aws cognito-idp` for the MFA
-- configuration operations.
--
--     cognito-mfa [global options] <command> [options]
--
-- The operation commands (get-user-pool-mfa-config, set-user-pool-mfa-config,
-- list-user-pools, describe-user-pool) are derived from the model: each input member becomes
-- an option (`SmsMfaConfiguration` -> `--sms-mfa-configuration`), so a member added to the C
-- model is a new option here with no change. Other commands (repl, and later workflow
-- commands) live in the same command table; see `register`.
--
-- Exit codes are the AWS CLI v2's: 0 success; 252 bad syntax or a parameter that fails
-- validation (nothing is sent); 253 missing or invalid credentials or configuration; 254 the
-- service returned an error; 255 anything else (transport, internal); 130 interrupted. Lua
-- cannot trap SIGINT portably: the standalone interpreters turn Ctrl-C into an
-- "interrupted!" error at the next Lua instruction, which `main` catches and maps to 130 (as
-- it does for any error whose message says "interrupted").
--
-- `main` never calls os.exit: it returns the exit code, and writes only through the streams
-- The tool is a package, one concern a file: cli.args (options and their parser),
-- cli.context (streams, settings, client, output and error reporting), cli.help,
-- cli.operations (the model-derived commands), cli.repl, cli.workflow (audit, modify, plan,
-- apply). Only what a command needs is loaded: the workflow and repl modules load when their
-- command runs (or when help lists every command).
-- @module cognito_mfa.cli

local cognito_mfa = require "cognito_mfa"
local args = require "cognito_mfa.cli.args"
local context = require "cognito_mfa.cli.context"

local _G = _G
local _VERSION = _VERSION
local concat = table.concat
local error = error
local format = string.format
local ipairs = ipairs
local pairs = pairs
local pcall = pcall
local rawget = rawget
local require = require
local setmetatable = setmetatable
local sort = table.sort
local tostring = tostring
local type = type

local _M = {}

local PROG = context.PROG

--- Exit codes (as the AWS CLI v2).
_M.EXIT = context.EXIT

--- The exit code for an error object (or message): by kind, 130 when interrupted.
-- @param err an error object from cognito_mfa, or a message
-- @treturn number
_M.exit_code = context.exit_code

-- Commands whose module loads on first use: command -> module (with register(cli)).
local LAZY = {
  repl = "cognito_mfa.cli.repl",
  completion = "cognito_mfa.cli.completion",
  audit = "cognito_mfa.cli.workflow", modify = "cognito_mfa.cli.workflow",
  plan = "cognito_mfa.cli.workflow", apply = "cognito_mfa.cli.workflow",
}
local loaded_modules = {}

local ORDER = {}
local COMMANDS = {}

local loading -- the module registering its commands now

local function load_module(mod)
  if not loaded_modules[mod] then
    loaded_modules[mod] = true
    loading = mod
    local ok, err = pcall(require(mod).register, _M)
    loading = nil
    if not ok then
      error(err, 0)
    end
  end
end

--- The command table (name -> definition); commands of lazily loaded modules appear on
-- first lookup.
_M.commands = setmetatable({}, {
  __index = function(_, name)
    local def = COMMANDS[name]
    if def == nil and LAZY[name] then
      load_module(LAZY[name])
      def = COMMANDS[name]
    end
    return def
  end,
  __newindex = function()
    error("cognito_mfa.cli.commands is read-only: use cognito_mfa.cli.register", 2)
  end,
})

--- Every command name, sorted (loads every command module).
-- @treturn table
function _M.command_names()
  for _, mod in pairs(LAZY) do
    load_module(mod)
  end
  local names = {}
  for _, n in ipairs(ORDER) do
    names[#names + 1] = n
  end
  sort(names)
  return names
end

--- Adds a command to the tool (used for the operation commands and repl; workflow commands
-- such as audit, modify, plan and apply register the same way).
-- @string name the command word, e.g. "audit"
-- @tparam table def { summary = "one line", description = "paragraph" (optional),
--   options = { { name = "--policy", key = "policy" (default: the name with _ for -),
--   arg = "VALUE" | flag = true | many = true (one or more values), number = true,
--   choices = {...}, help = "..." }, ... }, usage = "synopsis" (optional),
--   run = function(ctx, opts, positionals) -> exit code }. `opts` is keyed by each option's
--   key; `ctx` gives stdout/stderr writers, the global options, `ctx:client()`,
--   `ctx:emit(value, shape, title)`, `ctx:report(err, operation)` and `ctx:usage_error(msg)`.
-- @raise when the definition is malformed or the name is taken
function _M.register(name, def)
  if type(name) ~= "string" or not name:match("^[%l%d][%l%d%-]*$") then
    error("register: command name must be lower-case words joined by '-'", 2)
  end
  if type(def) ~= "table" or type(def.run) ~= "function" then
    error("register: definition must be a table with a run function", 2)
  end
  if COMMANDS[name] or (LAZY[name] and LAZY[name] ~= loading) then
    error("register: command '" .. name .. "' already exists", 2)
  end
  def.name = name
  def.options = def.options or {}
  def.by_name = {}
  for _, o in ipairs(def.options) do
    if type(o.name) ~= "string" or not o.name:match("^%-%-%l[%l%d%-]*$") then
      error("register: option names look like --some-name", 2)
    end
    o.key = o.key or o.name:sub(3):gsub("%-", "_")
    def.by_name[o.name] = o
  end
  COMMANDS[name] = def
  ORDER[#ORDER + 1] = name
end



--- The option name for a member: PascalCase to --kebab-case (as the AWS CLI's xform_name).
-- @string name e.g. "SmsMfaConfiguration"
-- @treturn string e.g. "sms-mfa-configuration"
function _M.kebab(name)
  return require("cognito_mfa.cli.operations").kebab(name)
end

--- A JSON template for a shape, as --generate-cli-skeleton prints it.
-- @string shape_name
-- @tparam[opt] table model
function _M.skeleton(shape_name, model)
  return require("cognito_mfa.cli.operations").skeleton(shape_name, model)
end

-- ------------------------------------------------------------------------------- main

local function version_string()
  local jit = rawget(_G, "jit")
  local interp = jit and jit.version or _VERSION
  return format("%s/%s %s libcmfa/%s", PROG, cognito_mfa.VERSION, (interp:gsub(" ", "/")),
    cognito_mfa.VERSION)
end

--- The tool's version line, e.g. "cognito-mfa/0.1.0 Lua/5.4 libcmfa/0.1.0".
_M.version = version_string

local function top_help(ctx)
  return require("cognito_mfa.cli.help").top(ctx, _M)
end

local function command_help(ctx, cmd)
  return require("cognito_mfa.cli.help").command(ctx, cmd)
end

local function run(ctx, argv)
  -- global options before the command
  local i = 1
  local command
  while i <= #argv do
    local a = argv[i]
    if a:sub(1, 2) == "--" or a == "-h" then
      local name, inline = args.split_eq(a)
      local spec = args.GLOBAL_BY_NAME[name]
      if not spec then
        return ctx:usage_error("Unknown options: " .. name .. " (command options go after the command)")
      end
      local nxt, err = args.take(spec, argv, i, inline, ctx.globals)
      if not nxt then
        return ctx:usage_error(err)
      end
      i = nxt
    else
      command = a
      i = i + 1
      break
    end
  end
  if ctx.globals.max_rate and not (ctx.globals.max_rate > 0 and ctx.globals.max_rate < 1e9) then
    return ctx:usage_error("--max-rate must be a positive number of requests per second")
  end
  local rest = {}
  for j = i, #argv do
    rest[#rest + 1] = argv[j]
  end
  if ctx.globals.version then
    ctx.out(version_string() .. "\n")
    return 0
  end
  if command == nil then
    if ctx.globals.help then
      return top_help(ctx)
    end
    ctx.err("usage: " .. PROG .. " [global options] <command> [options]\n")
    return ctx:usage_error("the following arguments are required: command")
  end
  if command == "help" then
    local target = rest[1] and _M.commands[rest[1]]
    if rest[1] and not target then
      return ctx:usage_error("no command named '" .. rest[1] .. "'")
    end
    return target and command_help(ctx, target) or top_help(ctx)
  end
  local cmd = _M.commands[command]
  if not cmd then
    local names = _M.command_names()
    return ctx:usage_error("argument command: Invalid choice '" .. command
      .. "', valid choices are: " .. concat(names, " | "))
  end
  if rest[1] == "help" then
    return command_help(ctx, cmd)
  end
  local opts, positionals = args.parse_command_args(ctx.globals, cmd, rest)
  if not opts then
    return ctx:usage_error(positionals, command)
  end
  if ctx.globals.version then
    ctx.out(version_string() .. "\n")
    return 0
  end
  if ctx.globals.help then
    return command_help(ctx, cmd)
  end
  if ctx.globals.query ~= nil then
    local qerr = require("cognito_mfa.cli.query").check(ctx.globals.query)
    if qerr then
      return ctx:usage_error(qerr, command)
    end
  end
  if ctx.globals.output == nil then
    local _, ferr = ctx:output_format()
    if ferr then
      ctx.err(ferr .. "\n")
      return _M.EXIT.credentials
    end
  end
  return cmd.run(ctx, opts, positionals)
end

--- Runs the tool.
-- @tparam table argv the arguments (argv[1] is the first one, as the standalone
--   interpreter's `arg`; other keys are ignored)
-- @tparam[opt] table env { stdout = file or function(s), stderr = file or function(s),
--   stdin = file (for repl), getenv = function(name), read_file = function(path) -> data | nil,
--   err, client_options = extra cognito_mfa.client options (e.g. a transport), interactive =
--   boolean (repl prompts; default: stdin is a terminal) }
-- @treturn number the exit code (never calls os.exit)
-- @usage os.exit(require("cognito_mfa.cli").main(arg))

function _M.main(argv, env)
  if argv ~= nil and type(argv) ~= "table" then
    error("main: argv must be a table, got " .. type(argv), 2)
  end
  if env ~= nil and type(env) ~= "table" then
    error("main: env must be a table, got " .. type(env), 2)
  end
  local words = {}
  for i = 1, #(argv or {}) do
    words[i] = tostring(argv[i])
  end
  local ctx = context.new(env or {})
  ctx.cli = _M
  for i = 1, #words do
    if words[i]:find("%z") then   -- cannot come from a command line, but main takes any table
      return ctx:usage_error("argument " .. i .. " contains a NUL byte")
    end
  end
  local ok, code = pcall(run, ctx, words)
  if ok then
    return code
  end
  local msg = tostring(code)
  if msg:find("interrupted", 1, true) then
    ctx.err("\n" .. PROG .. ": interrupted\n")
    return _M.EXIT.interrupted
  end
  ctx.err(PROG .. ": internal error: " .. msg .. "\n")
  return _M.EXIT.other
end

-- The operation commands, from the model.
require("cognito_mfa.cli.operations").register(_M)

return _M
