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
-- it is given, so specs can run it in-process.
-- @module cognito_mfa.cli

local cognito_mfa = require "cognito_mfa"
local output = require "cognito_mfa.output"
local shorthand = require "cognito_mfa.shorthand"

local _G = _G
local _VERSION = _VERSION
local concat = table.concat
local error = error
local format = string.format
local getmetatable = getmetatable
local io_open = io.open
local io_stderr = io.stderr
local io_stdin = io.stdin
local io_stdout = io.stdout
local ipairs = ipairs
local os_execute = os.execute
local os_getenv = os.getenv
local pairs = pairs
local pcall = pcall
local rawget = rawget
local rep = string.rep
local select = select
local setmetatable = setmetatable
local sort = table.sort
local tonumber = tonumber
local tostring = tostring
local type = type

local _M = {}

local PROG = "cognito-mfa"

--- Exit codes (as the AWS CLI v2).
_M.EXIT = {
  ok = 0, usage = 252, credentials = 253, service = 254, other = 255, interrupted = 130,
}

local KIND_EXIT = {
  usage = 252, validation = 252, credentials = 253, service = 254, transport = 255, internal = 255,
}

--- The exit code for an error object (or message): by kind, 130 when interrupted.
-- @param err an error object from cognito_mfa, or a message
-- @treturn number
function _M.exit_code(err)
  local msg = type(err) == "table" and err.message or err
  if tostring(msg):find("interrupted", 1, true) then
    return 130
  end
  return type(err) == "table" and KIND_EXIT[err.kind] or 255
end

-- What each modelled operation does (the model carries no documentation). An operation
-- without an entry still gets a command, with a generic description.
local SHORT = {
  GetUserPoolMfaConfig = "Show a user pool's MFA configuration.",
  SetUserPoolMfaConfig = "Set (replace) a user pool's MFA configuration.",
  ListUserPools = "List the user pools, following every page.",
  DescribeUserPool = "Show a user pool's configuration.",
}

local SUMMARIES = {
  GetUserPoolMfaConfig = "Shows the MFA configuration of a user pool: SMS, authenticator app "
    .. "(software token), email and passkey (WebAuthn) settings, and whether MFA is OFF, ON "
    .. "or OPTIONAL.",
  SetUserPoolMfaConfig = "Sets the MFA configuration of a user pool. This REPLACES the whole "
    .. "configuration: sections left out are turned off (AWS semantics). Read it first with "
    .. "get-user-pool-mfa-config and send everything you want to keep.",
  ListUserPools = "Lists the user pools of the account in the region. Follows NextToken "
    .. "through every page (page size --max-results) and prints the merged UserPools, unless "
    .. "--no-paginate is given.",
  DescribeUserPool = "Shows the configuration of a user pool.",
}

-- Pagination (botocore's paginators-1.json for cognito-idp): the model has no paginators.
local PAGINATORS = {
  ListUserPools = {
    input_token = "NextToken", output_token = "NextToken", limit_key = "MaxResults",
    result_key = "UserPools",
  },
}

local GLOBAL_OPTIONS = {
  { name = "--region", key = "region", arg = "REGION",
    help = "The AWS region (else AWS_REGION, AWS_DEFAULT_REGION, the profile's region)." },
  { name = "--profile", key = "profile", arg = "NAME",
    help = "A profile from the shared config and credentials files." },
  { name = "--endpoint-url", key = "endpoint_url", arg = "URL",
    help = "Send requests to this URL instead of the region's Cognito endpoint." },
  { name = "--output", key = "output", arg = "FORMAT", choices = { "json", "text", "table" },
    help = "json (default), text or table (else AWS_DEFAULT_OUTPUT, the profile's output)." },
  { name = "--debug", key = "debug", flag = true,
    help = "Write each request and response to stderr (credentials and signatures redacted)." },
  { name = "--no-verify-ssl", key = "no_verify_ssl", flag = true,
    help = "Do not verify TLS certificates (verification is on by default)." },
  { name = "--ca-bundle", key = "ca_bundle", arg = "PATH",
    help = "CA certificates to verify TLS with (else AWS_CA_BUNDLE, the profile's ca_bundle)." },
  { name = "--cli-connect-timeout", key = "connect_timeout", arg = "SECONDS", number = true,
    max = 86400,   -- a day: the longest timeout the core takes
    help = "Connection timeout in seconds (0: the default)." },
  { name = "--cli-read-timeout", key = "read_timeout", arg = "SECONDS", number = true,
    max = 86400,
    help = "Read timeout in seconds (0: the default)." },
  { name = "--retry-mode", key = "retry_mode", arg = "MODE", choices = { "standard", "adaptive", "legacy" },
    help = "standard or adaptive (client-side rate limiting that backs off on throttling) (else "
      .. "AWS_RETRY_MODE, the profile's retry_mode; audit, plan and apply: adaptive, others: standard)." },
  { name = "--max-rate", key = "max_rate", arg = "N", number = true,
    help = "Send at most N requests per second (a client-side cap, in every retry mode)." },
  { name = "--no-paginate", key = "no_paginate", flag = true,
    help = "Make one call only, even when the result has more pages." },
  { name = "--version", key = "version", flag = true, help = "Print the version and exit." },
  { name = "--help", key = "help", flag = true, help = "Print help and exit." },
}

local GLOBAL_BY_NAME = {}
for _, g in ipairs(GLOBAL_OPTIONS) do
  GLOBAL_BY_NAME[g.name] = g
end
GLOBAL_BY_NAME["-h"] = GLOBAL_BY_NAME["--help"]

-- ----------------------------------------------------------------------------- helpers

--- The option name for a member: PascalCase to --kebab-case (as the AWS CLI's xform_name).
-- @string name e.g. "SmsMfaConfiguration"
-- @treturn string e.g. "sms-mfa-configuration"
function _M.kebab(name)
  local s = name:gsub("(%u)(%u%l)", "%1-%2"):gsub("([%l%d])(%u)", "%1-%2")
  return s:lower()
end

local function copy(t)
  local out = setmetatable({}, getmetatable(t))
  for k, v in pairs(t) do
    out[k] = v
  end
  return out
end

local function trim(s)
  return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end

local function wrap(text, indent, width)
  local lines, line = {}, indent
  for word in text:gmatch("%S+") do
    if #line > #indent and #line + 1 + #word > width then
      lines[#lines + 1] = line
      line = indent .. word
    else
      line = (#line > #indent) and (line .. " " .. word) or (line .. word)
    end
  end
  if #line > #indent then
    lines[#lines + 1] = line
  end
  return concat(lines, "\n")
end

-- --------------------------------------------------------------------------- commands

local COMMANDS = {}
local ORDER = {}

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
  if COMMANDS[name] then
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

--- The command table (name -> definition).
_M.commands = COMMANDS

-- ---------------------------------------------------------------------------- context

local Context = {}
Context.__index = Context

local function writer(stream)
  if type(stream) == "function" then
    return stream
  end
  return function(s) stream:write(s) end
end

local function default_read_file(path)
  local f, err = io_open(path, "rb")
  if not f then
    return nil, err
  end
  local data = f:read("*a")
  f:close()
  return data
end

local function new_context(env)
  local getenv = env.getenv or os_getenv
  return setmetatable({
    out = writer(env.stdout or io_stdout),
    err = writer(env.stderr or io_stderr),
    stdin = env.stdin or io_stdin,
    getenv = getenv,
    read_file = env.read_file or default_read_file,
    client_options = env.client_options,
    interactive = env.interactive,
    globals = {},
    model = cognito_mfa.model(),
  }, Context)
end

--- Prints "cognito-mfa: error: MSG" and a hint to stderr; returns 252.
function Context:usage_error(msg, command)
  self.err(PROG .. ": error: " .. msg .. "\n")
  self.err("To see help text, run: " .. PROG .. (command and (" " .. command) or "") .. " help\n")
  return _M.EXIT.usage
end

-- Secrets the environment holds: scrubbed from debug output as a second line of defence
-- (the core already redacts what it prints).
function Context:secrets()
  if not self._secrets then
    local list = {}
    for _, k in ipairs { "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN" } do
      local v = self.getenv(k)
      if v and #v >= 4 then
        list[#list + 1] = v
      end
    end
    self._secrets = list
  end
  return self._secrets
end

--- Writes debug text to stderr (only with --debug), with known secrets scrubbed.
function Context:debug(text)
  if not self.globals.debug then
    return
  end
  text = tostring(text)
  for _, secret in ipairs(self:secrets()) do
    local plain = secret:gsub("[%^%$%(%)%%%.%[%]%*%+%-%?]", "%%%0")
    text = text:gsub(plain, "[redacted]")
  end
  if text:sub(-1) ~= "\n" then
    text = text .. "\n"
  end
  self.err(text)
end

-- The shared config file's settings for the active profile (only what the CLI itself uses:
-- output and cli_timestamp_format; the core resolves everything else).
function Context:profile_setting(key)
  if not self._profile_settings then
    local settings = {}
    local path = self.getenv("AWS_CONFIG_FILE")
    local home = self.getenv("HOME")
    if not path and home then
      path = home .. "/.aws/config"
    end
    local profile = self.globals.profile or self.getenv("AWS_PROFILE")
      or self.getenv("AWS_DEFAULT_PROFILE") or "default"
    local data = path and self.read_file(path)
    if data then
      local current
      for line in (data .. "\n"):gmatch("([^\n]*)\n") do
        local section = line:match("^%s*%[%s*(.-)%s*%]")
        if section then
          section = section:gsub("^profile%s+", "")
          current = section == profile
        elseif current and not line:match("^%s") then
          local k, v = line:match("^([%w_%-]+)%s*=%s*(.-)%s*$")
          if k then
            settings[k] = v:gsub("%s+[#;].*$", "")
          end
        end
      end
    end
    self._profile_settings = settings
  end
  return self._profile_settings[key]
end

function Context:output_format()
  local fmt = self.globals.output or self.getenv("AWS_DEFAULT_OUTPUT") or self:profile_setting("output")
  if fmt == nil or fmt == "" then
    return "json"
  end
  if fmt ~= "json" and fmt ~= "text" and fmt ~= "table" then
    return nil, "Unsupported output format '" .. fmt .. "' (from the environment or the profile): "
      .. "use json, text or table"
  end
  return fmt
end

function Context:timestamp_format()
  local fmt = self:profile_setting("cli_timestamp_format")
  if fmt == "none" or fmt == "wire" then
    return "none"
  end
  return "iso8601"
end

--- The client for the global options (created once). Credentials and configuration
-- problems come back as nil, err (kind "credentials").
-- @tab[opt] want { paced = true }: commands that send many requests (audit, plan, apply) use
--   retry mode adaptive unless --retry-mode, AWS_RETRY_MODE or the profile's retry_mode says
--   otherwise, and then cognito_mfa.client.PACED_MAX_ATTEMPTS attempts unless AWS_MAX_ATTEMPTS
--   or the profile's max_attempts says otherwise
function Context:client(want)
  if self._client then
    return self._client
  end
  local g = self.globals
  local mode, attempts = g.retry_mode, nil
  if want and want.paced then
    if not mode then
      -- the mode as the core would resolve it, passed on so the library's audit keeps to it
      mode = self.getenv("AWS_RETRY_MODE")
      mode = mode ~= "" and mode or self:profile_setting("retry_mode")
      mode = mode ~= "" and mode or "adaptive"
    end
    if mode == "adaptive" and (self.getenv("AWS_MAX_ATTEMPTS") or "") == ""
        and (self:profile_setting("max_attempts") or "") == "" then
      attempts = require("cognito_mfa.client").PACED_MAX_ATTEMPTS
    end
  end
  local opts = {
    region = g.region, profile = g.profile, endpoint_url = g.endpoint_url,
    retry_mode = mode, max_attempts = attempts, max_rate = g.max_rate,
    ca_file = g.ca_bundle,
    verify_tls = g.no_verify_ssl and false or nil,
    connect_timeout = (g.connect_timeout or 0) > 0 and g.connect_timeout or nil,
    read_timeout = (g.read_timeout or 0) > 0 and g.read_timeout or nil,
  }
  if g.debug then
    opts.debug = function(text) self:debug(text) end
  end
  for k, v in pairs(self.client_options or {}) do
    opts[k] = v
  end
  local client, err = cognito_mfa.client(opts)
  if not client then
    return nil, err
  end
  self:debug(format("client: region %s, endpoint %s, credentials from %s, retry mode %s, %d attempts",
    tostring(client:region()), tostring(client:endpoint()),
    tostring(client:credentials_source()), client:retry_mode(), client:max_attempts()))
  self._client = client
  return client
end

--- Prints a result in the chosen output format.
-- @param value the result
-- @string[opt] shape the result's shape name (member order, timestamps)
-- @string[opt] title the operation name (table title)
-- @return exit code (0, or 253 when the configured output format is unknown)
function Context:emit(value, shape, title)
  local fmt, err = self:output_format()
  if not fmt then
    self.err(err .. "\n")
    return _M.EXIT.credentials
  end
  local columns = tonumber(self.getenv("COLUMNS") or "")
  self.out(output.render(fmt, value, {
    shape = shape, title = title, model = self.model,
    timestamp_format = self:timestamp_format(), max_width = columns,
  }))
  return 0
end

-- The option an input member is set with.
local function option_for(path, operation, model)
  local op = model.operations[operation or ""]
  local top = path:match("^[^%.%[]+")
  if op and top then
    for _, m in ipairs(model.shapes[op.input].members or {}) do
      if m.name == top then
        return "--" .. _M.kebab(m.name)
      end
    end
  end
  return nil
end

-- The service's own message: the core prefixes "Code: " and appends "(HTTP n, request id x)".
local function service_message(err)
  local msg = tostring(err.message or "")
  if err.code and msg:sub(1, #err.code + 2) == err.code .. ": " then
    msg = msg:sub(#err.code + 3)
  end
  msg = msg:gsub("%s*%(HTTP %d+[^()]*%)$", "")
  return msg
end

--- Prints an error the way the AWS CLI does and returns its exit code.
-- @param err an error object (or a message)
-- @string[opt] operation the operation that failed, e.g. "GetUserPoolMfaConfig"
-- @treturn number exit code
function Context:report(err, operation)
  local code = _M.exit_code(err)
  if type(err) ~= "table" then
    self.err(PROG .. ": " .. tostring(err) .. "\n")
    return code
  end
  if code == 130 then
    self.err("\n" .. PROG .. ": interrupted\n")
  elseif err.kind == "validation" then
    local lines = { "Parameter validation failed (nothing was sent):" }
    for _, v in ipairs(err.violations or {}) do
      local path = tostring(v.path or "")
      local msg = tostring(v.message or v.rule or "invalid")
      if path ~= "" and msg:sub(1, #path + 1) == path .. " " then
        msg = msg:sub(#path + 2)
      end
      local opt = option_for(path, operation, self.model)
      lines[#lines + 1] = "  " .. (path ~= "" and path or "(parameters)")
        .. (opt and (" (" .. opt .. ")") or "") .. ": " .. msg
    end
    if #lines == 1 then
      lines[2] = "  " .. tostring(err.message)
    end
    self.err(concat(lines, "\n") .. "\n")
  elseif err.kind == "service" then
    self.err(format("An error occurred (%s) when calling the %s operation: %s%s\n",
      tostring(err.code or "Unknown"), operation or "service", service_message(err),
      err.request_id and (" (request id " .. err.request_id .. ")") or ""))
  elseif err.kind == "transport" then
    local endpoint = self._client and self._client:endpoint()
    self.err(format("Could not complete the %s call%s: %s\n", operation or "service",
      endpoint and (" to " .. endpoint) or "", tostring(err.message)))
  else
    self.err(tostring(err.message or err) .. "\n")
  end
  return code
end

-- ------------------------------------------------------------------- argument parsing

local function split_eq(a)
  local name, value = a:match("^(%-%-[^=]+)=(.*)$")
  if name then
    return name, value
  end
  return a, nil
end

-- Consumes one option at argv[i]; returns the next index, or nil and a message.
local function take(spec, argv, i, inline, store, key)
  key = key or spec.key
  if spec.flag then
    if inline then
      return nil, "argument " .. spec.name .. ": ignored explicit argument '" .. inline .. "'"
    end
    store[key] = spec.value == nil and true or spec.value
    return i + 1
  end
  if spec.optional then
    local nxt = argv[i + 1]
    if inline then
      if spec.choices_set and not spec.choices_set[inline] then
        return nil, "argument " .. spec.name .. ": Invalid choice '" .. inline .. "'"
      end
      store[key] = inline
      return i + 1
    elseif nxt and spec.choices_set and spec.choices_set[nxt] then
      store[key] = nxt
      return i + 2
    end
    store[key] = spec.default
    return i + 1
  end
  if spec.many then
    local values = {}
    local j = i + 1
    if inline then
      values[1] = inline
    else
      while argv[j] and argv[j]:sub(1, 2) ~= "--" do
        values[#values + 1] = argv[j]
        j = j + 1
      end
    end
    if #values == 0 then
      return nil, "argument " .. spec.name .. ": expected at least one argument"
    end
    store[key] = values
    return j
  end
  local value = inline
  local nxt = i + 1
  if value == nil then
    value = argv[i + 1]
    nxt = i + 2
    if value == nil or value:sub(1, 2) == "--" then
      return nil, "argument " .. spec.name .. ": expected one argument"
    end
  end
  if spec.choices then
    local ok = false
    for _, c in ipairs(spec.choices) do
      ok = ok or c == value
    end
    if not ok then
      return nil, "argument " .. spec.name .. ": Invalid choice '" .. value
        .. "', valid choices are: " .. concat(spec.choices, " | ")
    end
  end
  if spec.number then
    local n = tonumber(value)
    if not n or n < 0 or (spec.max and n > spec.max) then
      return nil, "argument " .. spec.name .. ": expected a number from 0"
        .. (spec.max and " to " .. spec.max or "") .. ", got '" .. value .. "'"
    end
    value = n
  end
  store[key] = value
  return nxt
end

-- Parses a command's arguments (global options are accepted anywhere).
local function parse_command_args(ctx, cmd, argv)
  local opts, positionals, unknown = {}, {}, {}
  local i = 1
  while i <= #argv do
    local a = argv[i]
    if a:sub(1, 2) == "--" or a == "-h" then
      local name, inline = split_eq(a)
      local spec = cmd.by_name[name]
      local store = opts
      if not spec then
        spec, store = GLOBAL_BY_NAME[name], ctx.globals
      end
      if spec then
        local nxt, err = take(spec, argv, i, inline, store)
        if not nxt then
          return nil, err
        end
        i = nxt
      else
        unknown[#unknown + 1] = name
        i = i + 1
      end
    else
      positionals[#positionals + 1] = a
      i = i + 1
    end
  end
  if #unknown > 0 then
    return nil, "Unknown options: " .. concat(unknown, ", ")
  end
  return opts, positionals
end

-- -------------------------------------------------------------------------- skeletons

local PLACEHOLDER = {
  string = "", integer = 0, long = 0, float = 0, double = 0, boolean = true,
  timestamp = "1970-01-01T00:00:00", blob = "",
}

--- A JSON template for a shape, as --generate-cli-skeleton prints it: every member, with ""
-- for strings (the first allowed value for enums), 0 for numbers, true for booleans.
-- @string shape_name
-- @tparam[opt] table model
function _M.skeleton(shape_name, model, active)
  model = model or cognito_mfa.model()
  active = active or {}
  local shape = model.shapes[shape_name]
  if not shape then
    return ""
  end
  if shape.type == "structure" then
    local t = {}
    if active[shape_name] then
      return t
    end
    active[shape_name] = true
    for _, m in ipairs(shape.members or {}) do
      t[m.name] = _M.skeleton(m.shape, model, active)
    end
    active[shape_name] = nil
    return t
  elseif shape.type == "list" then
    return setmetatable({ _M.skeleton(shape.element, model, active) }, cognito_mfa.array_mt)
  elseif shape.type == "map" then
    return { KeyName = _M.skeleton(shape.element, model, active) }
  elseif shape.enum and shape.enum[1] then
    return shape.enum[1]
  end
  local v = PLACEHOLDER[shape.type]
  if v == nil then
    return ""
  end
  return v
end

-- ------------------------------------------------------------------------------- help

local function shape_summary(model, shape_name, depth)
  local shape = model.shapes[shape_name]
  if not shape then
    return "value"
  end
  if shape.type == "structure" then
    if depth > 2 then
      return "{...}"
    end
    local parts = {}
    for _, m in ipairs(shape.members or {}) do
      parts[#parts + 1] = m.name .. "=" .. shape_summary(model, m.shape, depth + 1)
    end
    local s = concat(parts, ",")
    return depth == 0 and s or "{" .. s .. "}"
  elseif shape.type == "list" then
    return "[" .. shape_summary(model, shape.element, depth + 1) .. ",...]"
  elseif shape.type == "map" then
    return "{KeyName=" .. shape_summary(model, shape.element, depth + 1) .. "}"
  elseif shape.enum then
    return concat(shape.enum, "|")
  end
  return shape.type
end

local function constraints(shape)
  local parts = {}
  if shape.enum then
    parts[#parts + 1] = "one of " .. concat(shape.enum, ", ")
  end
  if shape.min or shape.max then
    local what = shape.type == "string" and "length" or "range"
    parts[#parts + 1] = what .. " " .. tostring(shape.min or "") .. ".." .. tostring(shape.max or "")
  end
  if shape.pattern then
    parts[#parts + 1] = "pattern " .. shape.pattern
  end
  return concat(parts, "; ")
end

local function global_help_lines()
  local lines = {}
  for _, g in ipairs(GLOBAL_OPTIONS) do
    lines[#lines + 1] = "  " .. g.name .. (g.arg and (" " .. g.arg) or "")
    lines[#lines + 1] = wrap(g.help, "      ", 78)
  end
  return concat(lines, "\n")
end

local EXIT_HELP = [[
  0    success
  252  bad command syntax, or a parameter that fails validation (nothing was sent)
  253  missing or invalid credentials or configuration
  254  the service returned an error
  255  any other error (connection, timeout, internal)
  130  interrupted (Ctrl-C)]]

local function top_help(ctx)
  local lines = {
    PROG .. " - Amazon Cognito user-pool MFA configuration, compatible with `aws cognito-idp`",
    "",
    "usage: " .. PROG .. " [global options] <command> [options]",
    "       " .. PROG .. " <command> help",
    "",
    "COMMANDS",
  }
  local names = {}
  for _, n in ipairs(ORDER) do
    names[#names + 1] = n
  end
  sort(names)
  for _, n in ipairs(names) do
    local c = COMMANDS[n]
    lines[#lines + 1] = "  " .. n .. rep(" ", 28 - #n > 1 and 28 - #n or 1) .. (c.summary or "")
  end
  lines[#lines + 1] = "  help" .. rep(" ", 24) .. "This text; `" .. PROG .. " <command> help` for a command."
  lines[#lines + 1] = ""
  lines[#lines + 1] = "GLOBAL OPTIONS (before or after the command)"
  lines[#lines + 1] = global_help_lines()
  lines[#lines + 1] = ""
  lines[#lines + 1] = "STRUCTURE VALUES"
  lines[#lines + 1] = wrap("Options taking a structure accept JSON ('{\"Enabled\": true}'), the "
    .. "AWS CLI shorthand syntax (Enabled=true, Key=\"quoted, with commas\", Nested={A=b,C=[x,y]}) "
    .. "or file://path. Every operation command accepts --cli-input-json (JSON text or "
    .. "file://path; options on the command line override its values) and "
    .. "--generate-cli-skeleton [input|output].", "  ", 78)
  lines[#lines + 1] = ""
  lines[#lines + 1] = "OUTPUT"
  lines[#lines + 1] = wrap("json prints what `aws cognito-idp` prints (4-space indent, members in "
    .. "API order); text and table follow the AWS CLI's text and table formats. Timestamps are "
    .. "ISO 8601 in the local time zone, as AWS CLI v2 prints them; set cli_timestamp_format = "
    .. "wire (or none) in the profile of the shared config file to get them as the service sent "
    .. "them (epoch seconds). Errors go to stderr.", "  ", 78)
  lines[#lines + 1] = ""
  lines[#lines + 1] = "EXIT CODES"
  lines[#lines + 1] = EXIT_HELP
  lines[#lines + 1] = ""
  lines[#lines + 1] = "EXAMPLES"
  lines[#lines + 1] = "  " .. PROG .. " get-user-pool-mfa-config --user-pool-id us-east-1_Ab12"
  lines[#lines + 1] = "  " .. PROG .. " set-user-pool-mfa-config --user-pool-id us-east-1_Ab12 \\"
  lines[#lines + 1] = "      --mfa-configuration OPTIONAL --software-token-mfa-configuration Enabled=true"
  lines[#lines + 1] = "  " .. PROG .. " list-user-pools --max-results 60 --output table"
  lines[#lines + 1] = "  echo 'client:list_user_pools{MaxResults = 10}' | " .. PROG .. " repl"
  ctx.out(concat(lines, "\n") .. "\n")
  return 0
end

local function command_help(ctx, cmd)
  local lines = { "NAME", "  " .. cmd.name .. " - " .. (cmd.summary or ""), "" }
  if cmd.description then
    lines[#lines + 1] = "DESCRIPTION"
    lines[#lines + 1] = wrap(cmd.description, "  ", 78)
    lines[#lines + 1] = ""
  end
  lines[#lines + 1] = "SYNOPSIS"
  if cmd.usage then
    lines[#lines + 1] = "  " .. cmd.usage
  else
    lines[#lines + 1] = "  " .. PROG .. " " .. cmd.name
    for _, o in ipairs(cmd.options) do
      if not o.hidden then
        local s = o.name .. (o.arg and (" " .. o.arg) or "")
        lines[#lines + 1] = "    " .. (o.required and s or "[" .. s .. "]")
      end
    end
  end
  lines[#lines + 1] = ""
  if #cmd.options > 0 then
    lines[#lines + 1] = "OPTIONS"
    for _, o in ipairs(cmd.options) do
      if not o.hidden then
        local kind = o.type and (" (" .. o.type .. (o.required and ", required" or "") .. ")") or ""
        lines[#lines + 1] = "  " .. o.name .. kind
        if o.help then
          lines[#lines + 1] = wrap(o.help, "      ", 78)
        end
        if o.syntax then
          lines[#lines + 1] = "      Shorthand syntax:"
          lines[#lines + 1] = "        " .. o.syntax
        end
        if o.json then
          lines[#lines + 1] = "      JSON syntax:"
          lines[#lines + 1] = "        " .. o.json:gsub("\n$", ""):gsub("\n", "\n        ")
        end
        lines[#lines + 1] = ""
      end
    end
  end
  lines[#lines + 1] = "GLOBAL OPTIONS"
  lines[#lines + 1] = global_help_lines()
  lines[#lines + 1] = ""
  lines[#lines + 1] = "EXIT CODES"
  lines[#lines + 1] = EXIT_HELP
  if cmd.examples then
    lines[#lines + 1] = ""
    lines[#lines + 1] = "EXAMPLES"
    for _, e in ipairs(cmd.examples) do
      lines[#lines + 1] = "  " .. e
    end
  end
  ctx.out(concat(lines, "\n") .. "\n")
  return 0
end

-- ------------------------------------------------------------------ operation commands

-- Turns the option texts given on the command line into parameter values.
local function option_value(ctx, o, raw)
  local model = ctx.model
  local fopts = { model = model, read_file = ctx.read_file }
  if o.flag then
    return raw
  end
  if o.many then
    local list_shape = model.shapes[o.shape]
    if #raw == 1 then
      local first = trim(raw[1]):sub(1, 1)
      if first == "[" or raw[1]:match("^fileb?://") then
        return shorthand.value(raw[1], o.shape, fopts)
      end
    end
    local out = setmetatable({}, cognito_mfa.array_mt)
    for i, text in ipairs(raw) do
      local v, err = shorthand.value(text, list_shape.element, fopts)
      if v == nil then
        return nil, err
      end
      out[i] = v
    end
    return out
  end
  return shorthand.value(raw, o.shape, fopts)
end

local function read_input_json(ctx, text)
  local data, err = shorthand.resolve_file(text, ctx.read_file)
  if not data then
    return nil, err
  end
  local v, jerr = cognito_mfa.decode_json(data)
  if v == nil then
    return nil, "Invalid JSON received: " .. tostring(jerr and jerr.message or jerr)
  end
  if type(v) ~= "table" or getmetatable(v) == cognito_mfa.array_mt then
    return nil, "Invalid JSON received: the input must be a JSON object"
  end
  return v
end

local function is_token(v)
  return v ~= nil and v ~= cognito_mfa.NULL and v ~= ""
end

local function paginate(client, operation, params, pag)
  local merged
  local token = params[pag.input_token]
  local seen = {}
  while true do
    local p = copy(params)
    p[pag.input_token] = token
    local out, err = client:call(operation, p)
    if not out then
      return nil, err
    end
    if not merged then
      merged = copy(out)
      merged[pag.result_key] = setmetatable({}, cognito_mfa.array_mt)
    else
      for k, v in pairs(out) do
        if k ~= pag.result_key then
          merged[k] = v
        end
      end
    end
    local items = merged[pag.result_key]
    for _, item in ipairs(out[pag.result_key] or {}) do
      items[#items + 1] = item
    end
    token = out[pag.output_token]
    if not is_token(token) then
      break
    end
    if seen[token] then
      return nil, { kind = "internal", code = "PaginationError",
        message = "The same next token was received twice: " .. tostring(token) }
    end
    seen[token] = true
  end
  merged[pag.output_token] = nil
  return merged
end

local function run_operation(ctx, cmd, opts)
  local model, operation = ctx.model, cmd.operation
  local op = model.operations[operation]
  if opts.generate_cli_skeleton then
    local which = opts.generate_cli_skeleton == "output" and op.output or op.input
    ctx.out(output.json(_M.skeleton(which, model), which, model))
    return 0
  end
  local params = {}
  if opts.cli_input_json then
    local v, err = read_input_json(ctx, opts.cli_input_json)
    if not v then
      return ctx:usage_error("argument --cli-input-json: " .. err, cmd.name)
    end
    params = v
  end
  for _, o in ipairs(cmd.options) do
    if o.member and opts[o.key] ~= nil then
      local v, err = option_value(ctx, o, opts[o.key])
      if v == nil then
        return ctx:usage_error("Error parsing parameter '" .. o.name .. "': " .. tostring(err), cmd.name)
      end
      params[o.member] = v
    end
  end
  ctx:debug("command " .. cmd.name .. ", operation " .. operation .. ", parameters "
    .. cognito_mfa.encode_json(params))
  local ok, verr = cognito_mfa.validate(operation, params)
  if not ok then
    return ctx:report(verr, operation)
  end
  local client, cerr = ctx:client()
  if not client then
    return ctx:report(cerr, operation)
  end
  local pag = PAGINATORS[operation]
  local out, err
  if pag and not ctx.globals.no_paginate then
    out, err = paginate(client, operation, params, pag)
  else
    out, err = client:call(operation, params)
  end
  if not out then
    return ctx:report(err, operation)
  end
  return ctx:emit(out, op.output, operation)
end

local function register_operation(operation, model)
  local op = model.operations[operation]
  local input = model.shapes[op.input]
  local options = {}
  for _, m in ipairs(input.members or {}) do
    local shape = model.shapes[m.shape] or { type = "string" }
    local name = "--" .. _M.kebab(m.name)
    local key = m.name
    local o = {
      name = name, key = key, member = m.name, shape = m.shape, required = m.required,
      type = shape.type, arg = "<value>",
    }
    local help = { m.name .. "." }
    local c = constraints(shape)
    if c ~= "" then
      help[#help + 1] = c:sub(1, 1):upper() .. c:sub(2) .. "."
    end
    if shape.type == "boolean" then
      o.flag, o.value, o.arg = true, true, nil
      options[#options + 1] = o
      options[#options + 1] = {
        name = "--no-" .. _M.kebab(m.name), key = key, member = m.name, shape = m.shape,
        flag = true, value = false, hidden = true,
      }
      help[#help + 1] = "--no-" .. _M.kebab(m.name) .. " sends false."
    else
      if shape.type == "list" then
        o.many, o.arg = true, "<value> [<value> ...]"
      end
      if shape.type == "structure" or shape.type == "list" or shape.type == "map" then
        o.syntax = shape_summary(model, m.shape, 0)
        o.json = output.json(_M.skeleton(m.shape, model), m.shape, model)
        help[#help + 1] = "Give JSON, shorthand or file://path."
      end
      options[#options + 1] = o
    end
    o.help = concat(help, " ")
  end
  options[#options + 1] = {
    name = "--cli-input-json", key = "cli_input_json", arg = "<value>", type = "string",
    help = "All parameters as a JSON object (PascalCase names as in the API), or file://path. "
      .. "Options given on the command line override its values.",
  }
  options[#options + 1] = {
    name = "--generate-cli-skeleton", key = "generate_cli_skeleton", arg = "[input|output]",
    optional = true, default = "input", choices_set = { input = true, output = true },
    type = "string",
    help = "Print a JSON template of the input (default) or output for the current model, "
      .. "and send nothing. The input template can be filled in and given to --cli-input-json.",
  }
  local name = _M.kebab(operation)
  local examples = {}
  local req = {}
  for _, o in ipairs(options) do
    if o.required then
      req[#req + 1] = o.name .. " " .. (o.type == "integer" and "60" or "VALUE")
    end
  end
  examples[1] = PROG .. " " .. name .. (#req > 0 and (" " .. concat(req, " ")) or "")
  if operation == "SetUserPoolMfaConfig" then
    examples[2] = PROG .. " " .. name .. " --user-pool-id us-east-1_Ab12 --mfa-configuration ON \\"
    examples[3] = "    --software-token-mfa-configuration Enabled=true \\"
    examples[4] = "    --sms-mfa-configuration 'SmsAuthenticationMessage=\"Code {####}\","
      .. "SmsConfiguration={SnsCallerArn=arn:aws:iam::123456789012:role/sms,ExternalId=x}'"
  end
  examples[#examples + 1] = PROG .. " " .. name .. " --generate-cli-skeleton > input.json"
  _M.register(name, {
    operation = operation,
    summary = SHORT[operation] or ("Call " .. operation .. "."),
    description = SUMMARIES[operation] or ("Calls the cognito-idp " .. operation .. " operation."),
    options = options,
    examples = examples,
    run = function(ctx, opts, positionals)
      if #positionals > 0 then
        return ctx:usage_error("Unknown options: " .. concat(positionals, ", "), name)
      end
      return run_operation(ctx, COMMANDS[name], opts)
    end,
  })
end

-- -------------------------------------------------------------------------------- repl

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

-- ------------------------------------------------------------------------------- main

local function version_string()
  local jit = rawget(_G, "jit")
  local interp = jit and jit.version or _VERSION
  return format("%s/%s %s libcmfa/%s", PROG, cognito_mfa.VERSION, (interp:gsub(" ", "/")),
    cognito_mfa.VERSION)
end

--- The tool's version line, e.g. "cognito-mfa/0.1.0 Lua/5.4 libcmfa/0.1.0".
_M.version = version_string

local function run(ctx, argv)
  -- global options before the command
  local i = 1
  local command
  while i <= #argv do
    local a = argv[i]
    if a:sub(1, 2) == "--" or a == "-h" then
      local name, inline = split_eq(a)
      local spec = GLOBAL_BY_NAME[name]
      if not spec then
        return ctx:usage_error("Unknown options: " .. name .. " (command options go after the command)")
      end
      local nxt, err = take(spec, argv, i, inline, ctx.globals)
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
    local target = rest[1] and COMMANDS[rest[1]]
    if rest[1] and not target then
      return ctx:usage_error("no command named '" .. rest[1] .. "'")
    end
    return target and command_help(ctx, target) or top_help(ctx)
  end
  local cmd = COMMANDS[command]
  if not cmd then
    local names = {}
    for _, n in ipairs(ORDER) do
      names[#names + 1] = n
    end
    sort(names)
    return ctx:usage_error("argument command: Invalid choice '" .. command
      .. "', valid choices are: " .. concat(names, " | "))
  end
  if rest[1] == "help" then
    return command_help(ctx, cmd)
  end
  local opts, positionals = parse_command_args(ctx, cmd, rest)
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
  local args = {}
  for i = 1, #(argv or {}) do
    args[i] = tostring(argv[i])
  end
  local ctx = new_context(env or {})
  for i = 1, #args do
    if args[i]:find("%z") then   -- cannot come from a command line, but main takes any table
      return ctx:usage_error("argument " .. i .. " contains a NUL byte")
    end
  end
  local ok, code = pcall(run, ctx, args)
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

-- The operation commands, from the model (sorted for a stable help listing).
do
  local model = cognito_mfa.model()
  local ops = {}
  for name in pairs(model.operations) do
    ops[#ops + 1] = name
  end
  sort(ops)
  for _, name in ipairs(ops) do
    register_operation(name, model)
  end
end

_M.register("repl", {
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

-- Workflow commands: audit, modify, plan, apply.
require("cognito_mfa.cli_workflow").register(_M)

return _M
