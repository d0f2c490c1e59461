--- The context a cognito-mfa command runs in: its streams, environment, settings, the client
-- made from the global options, output (`emit`) and error reporting (`report`, `usage_error`)
-- with the AWS CLI v2's exit codes.
-- @module cognito_mfa.cli.context

local cognito_mfa = require "cognito_mfa"

local concat = table.concat
local format = string.format
local getmetatable = getmetatable
local io_open = io.open
local io_popen = io.popen
local io_stderr = io.stderr
local io_stdin = io.stdin
local io_stdout = io.stdout
local next = next
local ipairs = ipairs
local os_execute = os.execute
local os_getenv = os.getenv
local pairs = pairs
local require = require
local setmetatable = setmetatable
local sort = table.sort
local tonumber = tonumber
local tostring = tostring
local type = type

local _M = {}

local PROG = "cognito-mfa"
_M.PROG = PROG

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


local Context = { PROG = PROG, EXIT_OTHER = 255 }
Context.__index = Context
_M.Context = Context

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

--- A context for one run of the tool.
-- @tparam table env as cognito_mfa.cli.main's env
function _M.new(env)
  local getenv = env.getenv or os_getenv
  return setmetatable({
    out = writer(env.stdout or io_stdout),
    err = writer(env.stderr or io_stderr),
    stdin = env.stdin or io_stdin,
    getenv = getenv,
    read_file = env.read_file or default_read_file,
    client_options = env.client_options,
    interactive = env.interactive,
    settings_source = env.settings,
    real_stdout = env.stdout == nil,
    stdout_tty = env.stdout_is_tty,
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

--- The settings as the AWS CLI reads them (the core resolves them: environment variables,
-- then the active profile of the shared config and credentials files). A file that does not
-- parse leaves them empty; the client reports it when one is made.
-- @treturn table { profile, profile_found, profiles, settings = { output, cli_pager, ... } }
function Context:settings()
  if not self._settings then
    local source = self.settings_source or cognito_mfa.settings
    local s = source(self.globals.profile)
    self._settings = s or { settings = {}, profiles = {}, profile_found = false }
  end
  return self._settings
end

--- One resolved setting (nil when unset).
function Context:setting(key)
  return self:settings().settings[key]
end

--- The output formats the tool prints (yaml and yaml-stream need the core's YAML support).
_M.OUTPUT_FORMATS = { "json", "text", "table", "yaml", "yaml-stream", "off" }
local OUTPUT_FORMAT_SET = {}
for _, f in ipairs(_M.OUTPUT_FORMATS) do
  OUTPUT_FORMAT_SET[f] = true
end

--- The output format: --output, else AWS_DEFAULT_OUTPUT, else the profile's output, else json.
function Context:output_format()
  local fmt = self.globals.output or self:setting("output")
  if fmt == nil or fmt == "" then
    return "json"
  end
  if not OUTPUT_FORMAT_SET[fmt] then
    return nil, "Unsupported output format '" .. fmt .. "' (from the environment or the profile): "
      .. "use " .. concat(_M.OUTPUT_FORMATS, ", ")
  end
  return fmt
end

function Context:timestamp_format()
  local fmt = self:setting("cli_timestamp_format")
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
--   or the profile's max_attempts says otherwise (the core resolves both settings)
function Context:client(want)
  if self._client then
    return self._client
  end
  local g = self.globals
  local mode, attempts = g.retry_mode, nil
  if want and want.paced then
    -- the mode as the core resolves it, passed on so the library's audit keeps to it
    mode = mode or self:setting("retry_mode") or "adaptive"
    if mode == "adaptive" and not self:setting("max_attempts") then
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

-- Is the stream the context prints to a terminal? A file that can seek is not; otherwise
-- (a pipe or a terminal) `test -t 1` asks (one fork, only when it matters).
function Context:stdout_is_tty()
  if self._tty == nil then
    if self.stdout_tty ~= nil then
      self._tty = self.stdout_tty
    elseif self.real_stdout then
      local ok = io_stdout:seek("cur")
      if ok then
        self._tty = false
      else
        local status = os_execute("test -t 1 2>/dev/null")
        self._tty = status == true or status == 0
      end
    else
      self._tty = false
    end
  end
  return self._tty
end

--- The pager command for output, or nil: none with --no-cli-pager or when stdout is not a
-- terminal; else AWS_PAGER, the profile's cli_pager, PAGER, or "less" (as the AWS CLI v2;
-- "" turns it off).
function Context:pager()
  if self.globals.no_cli_pager or not self:stdout_is_tty() then
    return nil
  end
  local p = self:setting("cli_pager")
  if p == nil then
    p = "less"
  end
  if p:match("^%s*$") then
    return nil
  end
  return p
end

--- Writes the output of a command: through the pager on a terminal (LESS=FRX unless LESS is
-- set, as the AWS CLI), else to stdout.
function Context:write_output(text)
  local pager = text ~= "" and self:pager()
  if pager then
    local prefix = self.getenv("LESS") == nil and "LESS=FRX; export LESS; " or ""
    local p = io_popen(prefix .. "exec " .. pager, "w")
    if p then
      p:write(text)
      p:close()
      return
    end
  end
  self.out(text)
end

--- Whether table output is coloured: --color on, or auto on a terminal.
function Context:color()
  local c = self.globals.color or "auto"
  if c == "auto" then
    return self:stdout_is_tty()
  end
  return c == "on"
end

--- Applies --query to a value (the compiled expression is cached); nil, message on failure.
function Context:query(value)
  local q = require "cognito_mfa.cli.query"
  return q.apply(self, value)
end

-- Structure shapes by member name, for infer_shape (built on first use).
local structures

--- The shape a --query result most likely has, so that its members print in the model's
-- order (the AWS CLI prints them in the order the service sent them, which is the model's):
-- the structure with the fewest members among those that have every key of the object (or,
-- for a list, of its first element), or nil.
-- @tparam table model
-- @param value the query result
-- @treturn ?string a shape name
function _M.infer_shape(model, value)
  if type(value) ~= "table" then
    return nil
  end
  local list = getmetatable(value) == cognito_mfa.array_mt
  local object = list and value[1] or value
  if type(object) ~= "table" or getmetatable(object) == cognito_mfa.array_mt or next(object) == nil then
    return nil
  end
  if not structures then
    structures = {}
    for name, sh in pairs(model.shapes) do
      if sh.type == "structure" then
        local set, n = {}, 0
        for _, m in ipairs(sh.members or {}) do
          set[m.name] = true
          n = n + 1
        end
        structures[#structures + 1] = { name = name, set = set, n = n }
      end
    end
    sort(structures, function(a, b)
      if a.n ~= b.n then return a.n < b.n end
      return a.name < b.name
    end)
  end
  local found
  for _, st in ipairs(structures) do
    local all = true
    for k in pairs(object) do
      if not st.set[k] then
        all = false
        break
      end
    end
    if all then
      found = st.name
      break
    end
  end
  if not found or not list then
    return found
  end
  for name, sh in pairs(model.shapes) do
    if sh.type == "list" and sh.element == found then
      return name
    end
  end
  return nil
end

--- Prints a result in the chosen output format: timestamps converted, --query applied, then
-- rendered, and written through the pager on a terminal.
-- @param value the result
-- @string[opt] shape the result's shape name (member order, timestamps)
-- @string[opt] title the operation name (table title)
-- @tparam[opt] table extra { resume_token = the paginator's NextToken (text output prints it
--   on its own line, as the AWS CLI does for paginated results) }
-- @return exit code (0; 253 when the configured output format is unknown; 252 for a bad
--   --query; 255 when the query fails on the value)
function Context:emit(value, shape, title, extra)
  local fmt, err = self:output_format()
  if not fmt then
    self.err(err .. "\n")
    return _M.EXIT.credentials
  end
  local output = require "cognito_mfa.output"
  value = output.timestamps(value, shape, self:timestamp_format(), self.model)
  local resume = extra and extra.resume_token
  if self.globals.query ~= nil then
    local v, qerr, code = self:query(value)
    if qerr then
      self.err(qerr .. "\n")
      return code or _M.EXIT.other
    end
    value, shape, resume = v, _M.infer_shape(self.model, v), nil
  end
  if fmt == "off" then
    return 0
  end
  local text
  if fmt == "yaml" or fmt == "yaml-stream" then
    local yaml, yerr = require("cognito_mfa.cli.yaml").render(self, fmt, value, shape)
    if not yaml then
      self.err(yerr .. "\n")
      return _M.EXIT.other
    end
    text = yaml
  else
    local opts = {
      shape = shape, title = title, model = self.model, timestamp_format = "none",
      max_width = tonumber(self.getenv("COLUMNS") or ""), color = fmt == "table" and self:color(),
    }
    if fmt == "text" and resume and type(value) == "table" then
      local copy = {}
      for k, v in pairs(value) do
        copy[k] = v
      end
      copy.NextToken = nil
      text = output.render(fmt, copy, opts) .. output.render(fmt, { NextToken = { NextToken = resume } })
    else
      text = output.render(fmt, value, opts)
    end
  end
  self:write_output(text)
  return 0
end

-- The option an input member is set with.
local function option_for(path, operation, model)
  local kebab = require("cognito_mfa.cli.operations").kebab
  local op = model.operations[operation or ""]
  local top = path:match("^[^%.%[]+")
  if op and top then
    for _, m in ipairs(model.shapes[op.input].members or {}) do
      if m.name == top then
        return "--" .. kebab(m.name)
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

return _M
