--- The context a cognito-mfa command runs in: its streams, environment, settings, the client
-- made from the global options, output (`emit`) and error reporting (`report`, `usage_error`)
-- with the AWS CLI v2's exit codes.
-- @module cognito_mfa.cli.context

local cognito_mfa = require "cognito_mfa"

local concat = table.concat
local format = string.format
local io_open = io.open
local io_stderr = io.stderr
local io_stdin = io.stdin
local io_stdout = io.stdout
local ipairs = ipairs
local os_getenv = os.getenv
local pairs = pairs
local require = require
local setmetatable = setmetatable
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


local Context = {}
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
function Context:client()
  if self._client then
    return self._client
  end
  local g = self.globals
  local opts = {
    region = g.region, profile = g.profile, endpoint_url = g.endpoint_url,
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
  self:debug(format("client: region %s, endpoint %s, credentials from %s",
    tostring(client:region()), tostring(client:endpoint()),
    tostring(client:credentials_source())))
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
  local output = require "cognito_mfa.output"
  self.out(output.render(fmt, value, {
    shape = shape, title = title, model = self.model,
    timestamp_format = self:timestamp_format(), max_width = columns,
  }))
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
