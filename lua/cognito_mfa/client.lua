--- A cognito-idp client for the MFA configuration API.
-- Parameters and results are tables shaped exactly as the AWS API (PascalCase keys).
-- Failures return `nil, err`; misuse (wrong argument types, unknown options) raises.
-- @module cognito_mfa.client

-- luacheck: globals ngx

local core = require "cognito_mfa.core"
local resty = require "cognito_mfa.resty"

local error = error
local floor = math.floor
local getenv = os.getenv
local ipairs = ipairs
local pairs = pairs
local pcall = pcall
local require = require
local setmetatable = setmetatable
local tostring = tostring
local type = type

local _M = {}
local mt = { __index = _M }

-- The options each client was made with, kept out of the client table (they may hold the
-- secret key and session token, and pretty(client) or a debugger shows the table): for the
-- adaptive twin (see _M:adaptive). Weak keys: a collected client takes its entry with it.
local made_with = setmetatable({}, { __mode = "k" })

local OPTIONS = {
  region = "string", profile = "string", endpoint_url = "string", credentials = "table",
  connect_timeout = "number", read_timeout = "number", max_attempts = "number",
  verify_tls = "boolean", ca_file = "string", transport = "function", debug = "function",
  sleep = "function", max_response_bytes = "number", user_agent_suffix = "string",
  retry_seed = "number", retry_mode = "string", max_rate = "number",
}

local RETRY_MODES = { standard = true, adaptive = true, legacy = true }

local CREDENTIALS = { access_key_id = true, secret_access_key = true, session_token = true }

local function check_options(opts)
  for k, v in pairs(opts) do
    local want = OPTIONS[k]
    if not want then
      error("cognito_mfa.client: unknown option '" .. tostring(k) .. "'", 3)
    end
    if type(v) ~= want then
      error("cognito_mfa.client: option '" .. k .. "' must be a " .. want .. ", got " .. type(v), 3)
    end
  end
  if opts.credentials then
    for k, v in pairs(opts.credentials) do
      if not CREDENTIALS[k] then
        error("cognito_mfa.client: unknown credentials field '" .. tostring(k) .. "'", 3)
      end
      if type(v) ~= "string" then
        error("cognito_mfa.client: credentials." .. k .. " must be a string", 3)
      end
    end
  end
  for _, k in pairs { "connect_timeout", "read_timeout" } do
    if opts[k] and opts[k] <= 0 then
      error("cognito_mfa.client: option '" .. k .. "' must be a positive number of seconds", 3)
    end
  end
  if opts.max_attempts and (opts.max_attempts < 1 or opts.max_attempts ~= floor(opts.max_attempts)) then
    error("cognito_mfa.client: option 'max_attempts' must be a whole number >= 1", 3)
  end
  if opts.retry_mode and not RETRY_MODES[opts.retry_mode] then
    error("cognito_mfa.client: option 'retry_mode' must be \"standard\" or \"adaptive\"", 3)
  end
  if opts.max_rate and (opts.max_rate ~= opts.max_rate or opts.max_rate <= 0) then
    error("cognito_mfa.client: option 'max_rate' must be a positive number (requests per second)", 3)
  end
end

--- Creates a client. Every option is optional; missing ones are resolved the AWS way.
-- @tparam[opt] table opts region, profile, endpoint_url, credentials = { access_key_id,
--   secret_access_key, session_token }, connect_timeout, read_timeout (seconds), max_attempts,
--   verify_tls (default true), ca_file, transport (function(request) -> response | nil, err),
--   debug (function(text), secrets redacted), sleep (function(seconds), used between retries
--   of a custom transport), retry_mode ("standard", or "adaptive": client-side rate limiting
--   that backs off on throttling; default AWS_RETRY_MODE, the profile's retry_mode, else
--   standard), max_rate (at most this many requests per second). Inside nginx the default
--   transport is cognito_mfa.resty (cosockets, ngx.sleep, light threads for call_many; TLS verified against
--   lua_ssl_trusted_certificate, so ca_file is not used there; pass
--   cognito_mfa.resty.transport{...} as `transport` for its own options); elsewhere libcurl
--   in the C core. Calls made where nginx has no cosockets (init, init_worker, set, log, ...)
--   return a "usage" error with code CosocketUnavailable.
-- @return client, or nil and an error object (credentials/configuration problems)
-- @raise on unknown options or wrong option types
function _M.new(opts)
  if opts ~= nil and type(opts) ~= "table" then
    error("cognito_mfa.client: options must be a table, got " .. type(opts), 2)
  end
  opts = opts or {}
  check_options(opts)
  local creds = opts.credentials or {}
  local c, err = core.client_new {
    region = opts.region, profile = opts.profile, endpoint_url = opts.endpoint_url,
    access_key_id = creds.access_key_id, secret_access_key = creds.secret_access_key,
    session_token = creds.session_token,
    connect_timeout_ms = opts.connect_timeout and floor(opts.connect_timeout * 1000),
    read_timeout_ms = opts.read_timeout and floor(opts.read_timeout * 1000),
    max_attempts = opts.max_attempts,
    insecure = opts.verify_tls == false or nil,
    ca_file = opts.ca_file, max_response_bytes = opts.max_response_bytes,
    user_agent_suffix = opts.user_agent_suffix, retry_seed = opts.retry_seed,
    retry_mode = opts.retry_mode, max_rate = opts.max_rate,
    debug = opts.debug,
  }
  if not c then
    return nil, err
  end
  local options = {}
  for k, v in pairs(opts) do options[k] = v end
  local self = {
    core = c,
    transport = opts.transport,
    debug = opts.debug,
    sleep = opts.sleep or core.sleep,
    -- did the user choose the retry mode, the attempts? (see _M:adaptive)
    mode_chosen = opts.retry_mode ~= nil or (getenv("AWS_RETRY_MODE") or "") ~= "",
    attempts_chosen = opts.max_attempts ~= nil or (getenv("AWS_MAX_ATTEMPTS") or "") ~= ""
      or c:max_attempts() ~= 3,   -- not the core's default: the profile set it
  }
  if resty.in_nginx() and (not self.transport or resty.is_transport(self.transport)) then
    -- libcurl would block the nginx worker: do the I/O on cosockets instead, back off with
    -- ngx.sleep and run batches in light threads
    if not self.transport then
      self.transport = resty.transport {
        connect_timeout = opts.connect_timeout and floor(opts.connect_timeout * 1000),
        read_timeout = opts.read_timeout and floor(opts.read_timeout * 1000),
        send_timeout = opts.read_timeout and floor(opts.read_timeout * 1000),
        verify_tls = opts.verify_tls, max_response_bytes = opts.max_response_bytes,
      }
      if opts.ca_file and opts.verify_tls ~= false then
        ngx.log(ngx.WARN, "cognito_mfa: ca_file is not used inside nginx: cosockets verify TLS ",
                "certificates against lua_ssl_trusted_certificate")
      end
    end
    self.sleep = opts.sleep or resty.sleep
    self.resty = true
  end
  made_with[self] = options
  return setmetatable(self, mt)
end

local function internal_error(message)
  return core.error { kind = "internal", message = message }
end

-- Inside nginx, cosockets exist only in some phases (not init, init_worker, set, log, ...).
local function phase_error(self)
  if not self.resty then
    return nil
  end
  local ok, phase = resty.available()
  if ok then
    return nil
  end
  return core.error {
    kind = "usage", code = "CosocketUnavailable",
    message = "cognito_mfa cannot do I/O in nginx's " .. tostring(phase) .. " phase (no "
      .. "cosockets there): call it from a request handler or a timer (ngx.timer.at)",
  }
end

-- The failure kinds operation:transport_error() knows.
local TRANSPORT_KINDS = { transport = true, timeout = true, tls = true, too_large = true, bad_response = true }

local function transport_failure(terr)
  if type(terr) == "table" then
    local kind = TRANSPORT_KINDS[terr.kind] and terr.kind or "transport"
    return kind, tostring(terr.message or terr.kind or "transport failure")
  end
  local msg = tostring(terr or "transport failure")
  if msg == "timeout" or msg:find("timed out", 1, true) then
    return "timeout", msg
  end
  return "transport", msg
end

-- One call over a caller-supplied transport: the core's operation object validates, signs,
-- parses, decides on retries and paces requests; the transport only moves bytes.
local function call_with_transport(self, operation, params)
  local op, err = self.core:operation(operation, params)
  if not op then
    return nil, err
  end
  while true do
    local step, value = op:next()
    if step == "send" then
      local ok, res, terr = pcall(self.transport, value)
      if not ok then
        op:transport_error("transport", "transport function raised: " .. tostring(res))
      elseif res == nil then
        op:transport_error(transport_failure(terr))
      elseif type(res) ~= "table" or type(res.status) ~= "number" or res.status % 1 ~= 0
          or (res.headers ~= nil and type(res.headers) ~= "table")
          or (res.body ~= nil and type(res.body) ~= "string") then
        op:transport_error("bad_response",
          "transport must return { status = number, headers = table, body = string }")
      else
        op:response(res.status, res.headers or {}, res.body or "")
      end
    elseif step == "wait" then
      self.sleep(value)
    else
      op:close()
      if step == "done" then
        return value
      end
      return nil, value
    end
  end
end

--- Calls any cognito-idp operation. Modelled operations are validated before anything is sent.
-- @string operation e.g. "AdminGetUser"
-- @tparam[opt] table params the request, shaped as the AWS API
-- @return the response table, or nil and an error object
function _M:call(operation, params)
  if type(operation) ~= "string" then
    error("call: operation must be a string, got " .. type(operation), 2)
  end
  if params ~= nil and type(params) ~= "table" then
    error("call: params must be a table, got " .. type(params), 2)
  end
  if self.transport then
    local perr = phase_error(self)
    if perr then
      return nil, perr
    end
    return call_with_transport(self, operation, params)
  end
  return self.core:call(operation, params)
end

--- Calls one operation for each params table, several at once: libcurl's multi interface in
-- the C core, light threads inside nginx, one after another with another custom transport.
-- @string operation e.g. "GetUserPoolMfaConfig"
-- @tab list a list of params tables
-- @int[opt=8] concurrency requests in flight at once (1..core.MAX_CONCURRENCY)
-- @return outs, errs: outs[i] is the result or false, errs[i] the error object or false; or
--   nil and an error object when the batch itself could not run
function _M:call_many(operation, list, concurrency)
  if type(operation) ~= "string" then
    error("call_many: operation must be a string, got " .. type(operation), 2)
  end
  if type(list) ~= "table" then
    error("call_many: list must be a table of params, got " .. type(list), 2)
  end
  concurrency = concurrency or 8
  if type(concurrency) ~= "number" or concurrency < 1 or concurrency > core.MAX_CONCURRENCY
      or concurrency % 1 ~= 0 then
    error("call_many: concurrency must be a whole number from 1 to " .. core.MAX_CONCURRENCY, 2)
  end
  for i, params in ipairs(list) do
    if type(params) ~= "table" then
      error("call_many: list[" .. i .. "] must be a table, got " .. type(params), 2)
    end
  end
  if not self.transport then
    return self.core:call_many(operation, list, concurrency)
  end
  local perr = phase_error(self)
  if perr then
    return nil, perr
  end
  local outs, errs = {}, {}
  local function one(i)
    local out, err = call_with_transport(self, operation, list[i])
    outs[i], errs[i] = out or false, err or false
  end
  if self.resty then
    -- light threads: each waits on its own cosocket while the others run
    local raised = resty.run_concurrently(#list, concurrency, one)
    for i = 1, #list do
      if outs[i] == nil then
        outs[i], errs[i] = false, internal_error("call_many: item " .. i .. " raised: " .. tostring(raised))
      end
    end
  else
    for i = 1, #list do one(i) end
  end
  return outs, errs
end

--- Changes a pool's MFA configuration safely: reads it, applies `change` to a copy, checks
-- the service's rules, sends the complete result, reads it back (see cognito_mfa.workflow).
-- @string user_pool_id the pool
-- @param change a function(config) editing a copy, or a partial table deep-merged into it
--   (cognito_mfa.NULL clears a member or section)
-- @tab[opt] opts dry_run, max_conflict_retries, verify
-- @return { before, after, changes, applied, verified, dropped, ... } or nil, err
function _M:modify_user_pool_mfa_config(user_pool_id, change, opts)
  local perr = phase_error(self)
  if perr then
    return nil, perr
  end
  return require("cognito_mfa.workflow").modify(self, user_pool_id, change, opts)
end

--- Attempts per call of the client that audits send with, unless chosen (see _M:adaptive).
-- botocore's adaptive mode keeps standard mode's 3; at high concurrency the first burst of
-- throttled answers arrives before the limiter has learnt the rate, and 3 attempts measurably
-- left pools in error (spec/quota_spec.lua), so audits allow 5 (botocore's legacy default).
_M.PACED_MAX_ATTEMPTS = 5

--- The client that audits (and their fixes) send with: a client in retry mode adaptive (rate
-- limiting that keeps to the service's request-rate quota instead of failing on throttling)
-- with at least PACED_MAX_ATTEMPTS attempts, unless the user chose otherwise. This client when
-- it already is one, or when its mode and attempts were chosen (the options, AWS_RETRY_MODE,
-- AWS_MAX_ATTEMPTS, or a max_attempts other than the default 3); else a twin made once with
-- the same options and what was not chosen set. A retry_mode of standard set only in the
-- shared config file's profile is not told apart from the default here: pass it as the option
-- (the CLI does) to have it honoured.
-- @return a client (this one or its twin; the twin is closed with this one)
function _M:adaptive()
  if self.twin then
    return self.twin
  end
  local adaptive = self:retry_mode() == "adaptive"
  local mode = not adaptive and not self.mode_chosen and "adaptive" or nil
  local attempts = (adaptive or mode) and not self.attempts_chosen
    and self:max_attempts() < _M.PACED_MAX_ATTEMPTS and _M.PACED_MAX_ATTEMPTS or nil
  if not mode and not attempts then
    return self
  end
  local opts = {}
  for k, v in pairs(made_with[self] or {}) do opts[k] = v end
  opts.retry_mode = mode or opts.retry_mode
  opts.max_attempts = attempts or opts.max_attempts
  local twin = _M.new(opts)
  if not twin then
    return self   -- the same options made this client: not expected, but it still works
  end
  twin.mode_chosen, twin.attempts_chosen = true, true
  self.twin = twin
  return twin
end

--- Audits pools against a policy (see cognito_mfa.audit). Sends with self:adaptive() unless
-- opts.adaptive is false.
-- @tab[opt] opts pools, rules, params, concurrency, adaptive
-- @return report { pools = { { id, name, passed, findings } }, passed } or nil, err
function _M:audit(opts)
  local perr = phase_error(self)
  if perr then
    return nil, perr
  end
  return require("cognito_mfa.audit").run(self, opts)
end

local function op_method(operation)
  return function(self, params)
    if type(params) ~= "table" then
      error(operation .. ": params must be a table, got " .. type(params), 2)
    end
    return _M.call(self, operation, params)
  end
end

--- GetUserPoolMfaConfig. @tparam table params { UserPoolId = ... }
_M.get_user_pool_mfa_config = op_method("GetUserPoolMfaConfig")
--- SetUserPoolMfaConfig: replaces the pool's whole MFA configuration (AWS semantics).
_M.set_user_pool_mfa_config = op_method("SetUserPoolMfaConfig")
--- ListUserPools. @tparam table params { MaxResults = 1..60, NextToken = ... }
_M.list_user_pools = op_method("ListUserPools")
--- DescribeUserPool. @tparam table params { UserPoolId = ... }
_M.describe_user_pool = op_method("DescribeUserPool")

--- Iterates over every user pool, following NextToken across ListUserPools pages.
-- On failure the iterator yields `false, err` once and then ends.
-- @usage for pool, err in client:user_pools() do print(pool and pool.Id or err) end
function _M:user_pools(page_size)
  page_size = page_size or 60
  local page, i, token, finished = nil, 0, nil, false
  return function()
    while true do
      if page and i < #page then
        i = i + 1
        return page[i]
      end
      if finished then
        return nil
      end
      local out, err = self:list_user_pools { MaxResults = page_size, NextToken = token }
      if not out then
        finished = true
        return false, err
      end
      page, i = out.UserPools or {}, 0
      token = out.NextToken
      if token == nil or token == core.null then
        finished = true
      end
    end
  end
end

--- The resolved region (or nil), endpoint URL and maximum attempts.
function _M:region() return self.core:region() end
function _M:endpoint() return self.core:endpoint() end
function _M:max_attempts() return self.core:max_attempts() end
--- "standard" or "adaptive", and the rate (requests per second) the client's limiter lets
-- requests out at now (0 while nothing limits it).
function _M:retry_mode() return self.core:retry_mode() end
function _M:send_rate() return self.core:send_rate() end
--- Where the credentials come from ("environment", "shared-credentials-file", ...).
function _M:credentials_source() return self.core:credentials_source() end

--- Releases the connection and resources now (also done by the garbage collector).
function _M:close()
  if self.twin then
    self.twin:close()
  end
  self.core:close()
end

mt.__close = _M.close
mt.__tostring = function(self)
  return tostring(self.core) .. (self.resty and " with the nginx cosocket transport"
    or self.transport and " with a custom transport" or "")
end

return _M
