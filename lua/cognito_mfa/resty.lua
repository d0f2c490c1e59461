--- Non-blocking transport for nginx/OpenResty: HTTP/1.1 over ngx.socket.tcp cosockets.
--
-- The core still validates, signs, parses and decides on retries; this module only moves
-- bytes. TLS certificates are verified against `lua_ssl_trusted_certificate` (with
-- `lua_ssl_verify_depth`) and the server name unless verify_tls is false; connections are
-- kept in a per-worker pool with setkeepalive; connect, send and read timeouts apply; retries
-- back off with ngx.sleep; concurrent work runs in light threads.
--
-- nginx checks a certificate against a host *name* only (X509_check_host): an endpoint given
-- as an IP address (https://10.0.0.5) cannot be verified by its address. Give the transport
-- `server_name` (the name the certificate carries), use a host name endpoint (nginx then needs
-- a `resolver` directive), or turn verification off explicitly.
-- @module cognito_mfa.resty

-- luacheck: globals ngx

local concat = table.concat
local error = error
local ipairs = ipairs
local lower = string.lower
local min = math.min
local pairs = pairs
local pcall = pcall
local setmetatable = setmetatable
local tonumber = tonumber
local tostring = tostring
local type = type

local _M = {}

-- Phases in which cosockets work (lua-nginx-module); init, init_worker, set, header_filter,
-- body_filter, log, balancer and exit_worker have none.
local COSOCKET_PHASES = {
  rewrite = true, server_rewrite = true, access = true, content = true, timer = true,
  ssl_cert = true, ssl_session_fetch = true, ssl_client_hello = true, preread = true,
}

local DEFAULTS = {
  connect_timeout = 10000, send_timeout = 60000, read_timeout = 60000,
  keepalive_timeout = 60000, pool_size = 32, max_response_bytes = 16 * 1024 * 1024,
}

local OPTIONS = {
  connect_timeout = "number", send_timeout = "number", read_timeout = "number",
  keepalive_timeout = "number", pool_size = "number", max_response_bytes = "number",
  verify_tls = "boolean", server_name = "string",
}

-- transports made here, so the client knows a caller-given transport is a cosocket one
local made = setmetatable({}, { __mode = "k" })

--- Whether this code runs inside nginx's Lua module at all.
function _M.in_nginx()
  return type(ngx) == "table" and type(ngx.get_phase) == "function"
    and type(ngx.socket) == "table"
end

--- Whether cosockets can be used in the current phase.
-- @return true, or false and the phase name ("not nginx" outside nginx)
function _M.available()
  if not _M.in_nginx() then
    return false, "not nginx"
  end
  local phase = ngx.get_phase()
  return COSOCKET_PHASES[phase] == true, phase
end

--- Whether fn is a transport made by cognito_mfa.resty.transport.
function _M.is_transport(fn)
  return made[fn] == true
end

local function parse_url(url)
  local scheme, rest = url:match("^(https?)://(.*)$")
  if not scheme then
    return nil, "unsupported URL " .. url
  end
  local authority, path = rest:match("^([^/]*)(.*)$")
  if path == "" then path = "/" end
  local host, port = authority:match("^%[(.+)%]:?(%d*)$")
  if not host then
    host, port = authority:match("^([^:]+):?(%d*)$")
  end
  if not host then
    return nil, "no host in URL " .. url
  end
  port = tonumber(port) or (scheme == "https" and 443 or 80)
  return { scheme = scheme, host = host, port = port, path = path }
end

local function is_ip(host)
  return host:match("^%d+%.%d+%.%d+%.%d+$") ~= nil or host:find(":", 1, true) ~= nil
end

local function classify(err)
  err = tostring(err)
  if err == "timeout" or err:find("timed out", 1, true) then
    return "timeout"
  end
  if err:find("certificate", 1, true) or err:find("handshake", 1, true)
     or err:find("ssl", 1, true) then
    return "tls"
  end
  return "transport"
end

-- cosocket errors ("closed", "timeout") in words
local READABLE = {
  closed = "the server closed the connection",
  timeout = "timed out",
}

local function failure(sock, what, err, kind)
  if sock then sock:close() end
  return nil, { kind = kind or classify(err), message = what .. ": " .. (READABLE[err] or tostring(err)) }
end

local function read_chunked(sock, limit)
  local parts, total = {}, 0
  while true do
    local line, err = sock:receive("*l")
    if not line then return nil, err end
    local size = tonumber(line:match("^%s*(%x+)"), 16)
    if not size then return nil, "bad chunk size line" end
    if size == 0 then
      -- trailers, up to the empty line
      repeat
        line, err = sock:receive("*l")
        if not line then return nil, err end
      until line == ""
      return concat(parts)
    end
    total = total + size
    if total > limit then return nil, "response body exceeds max_response_bytes", "too_large" end
    local data, derr = sock:receive(size)
    if not data then return nil, derr end
    parts[#parts + 1] = data
    local crlf, cerr = sock:receive(2)
    if not crlf then return nil, cerr end
  end
end

local function check_options(opts)
  for k, v in pairs(opts) do
    local want = OPTIONS[k]
    if not want then
      error("cognito_mfa.resty.transport: unknown option '" .. tostring(k) .. "'", 3)
    end
    if type(v) ~= want then
      error("cognito_mfa.resty.transport: option '" .. k .. "' must be a " .. want .. ", got " .. type(v), 3)
    end
  end
end

--- Creates a transport (cognito_mfa.client uses one by default inside nginx; pass your own
-- as the client's `transport` option to set the options below).
-- @tab[opt] opts connect_timeout, send_timeout, read_timeout, keepalive_timeout (ms),
--   pool_size (idle connections kept per worker and endpoint), verify_tls (default true),
--   server_name (the name the certificate must carry and the SNI sent; default the URL's
--   host), max_response_bytes
-- @return function(request) -> { status, headers, body } | nil, { kind, message }
-- @raise on unknown options or wrong option types
-- @usage cognito_mfa.client { transport = require("cognito_mfa.resty").transport { read_timeout = 5000 } }
function _M.transport(opts)
  if opts ~= nil and type(opts) ~= "table" then
    error("cognito_mfa.resty.transport: options must be a table, got " .. type(opts), 2)
  end
  opts = opts or {}
  check_options(opts)
  local o = {}
  for k, v in pairs(DEFAULTS) do o[k] = opts[k] or v end
  local verify = opts.verify_tls ~= false
  local server_name = opts.server_name

  local function transport(req)
    local u, uerr = parse_url(req.url)
    if not u then
      return nil, { kind = "transport", message = uerr }
    end
    local sock, serr0 = ngx.socket.tcp()
    if not sock then
      return nil, { kind = "transport", message = "no cosocket: " .. tostring(serr0) }
    end
    sock:settimeouts(o.connect_timeout, o.send_timeout, o.read_timeout)
    local name = server_name or u.host
    -- one pool per endpoint and TLS setting: verified and unverified connections never mix
    local pool = u.scheme .. ":" .. u.host .. ":" .. u.port
      .. (u.scheme == "https" and (verify and (":" .. name) or ":noverify") or "")
    local where = u.host .. ":" .. u.port
    local ok, err = sock:connect(u.host, u.port, { pool = pool, pool_size = o.pool_size })
    if not ok then
      return failure(nil, "connect to " .. where .. " (connect_timeout " .. o.connect_timeout .. " ms)", err)
    end
    if u.scheme == "https" and (sock:getreusedtimes() or 0) == 0 then
      -- reused_session stays nil, never false: with false, lua-resty-core 0.1.25 may return
      -- true without reading the verification result when the handshake completes at once
      local called
      called, ok, err = pcall(sock.sslhandshake, sock, nil, name, verify)
      if not called then
        -- lua-resty-core before the fix of openresty/lua-resty-core#499 (Debian 12 has
        -- 0.1.25) raises "assertion failed!" instead of returning the error when a handshake
        -- that completed at once fails verification; nginx logs the reason
        ok, err = nil, "certificate verification or handshake failed (reason in nginx's error log; "
          .. "lua-resty-core raised: " .. tostring(ok) .. ", openresty/lua-resty-core#499)"
      end
      if not ok then
        if verify and is_ip(name) and (not called or tostring(err):find("host mismatch", 1, true)) then
          err = tostring(err) .. " (nginx matches certificates against host names only: give "
            .. "cognito_mfa.resty.transport a server_name, or use a host name endpoint)"
        end
        return failure(sock, "TLS handshake with " .. name, err, "tls")
      end
    end

    local lines = { "POST " .. u.path .. " HTTP/1.1" }
    for hname, value in pairs(req.headers) do
      lines[#lines + 1] = hname .. ": " .. value
    end
    lines[#lines + 1] = "Connection: keep-alive"
    lines[#lines + 1] = ""
    lines[#lines + 1] = req.body or ""
    local sent, serr = sock:send(concat(lines, "\r\n"))
    if not sent then
      return failure(sock, "send to " .. where, serr)
    end

    local status_line, rerr = sock:receive("*l")
    if not status_line then
      return failure(sock, "read from " .. where, rerr)
    end
    local version, status = status_line:match("^HTTP/(%d%.%d) (%d%d%d)")
    if not status then
      -- as libcurl: a reply that is not HTTP is a (retryable) transport failure
      return failure(sock, "read from " .. where, "not an HTTP response")
    end
    local headers, lc = {}, {}
    while true do
      local line, herr = sock:receive("*l")
      if not line then
        return failure(sock, "read headers from " .. where, herr)
      end
      if line == "" then break end
      local hname, value = line:match("^([^:]+):%s*(.-)%s*$")
      if hname then
        headers[hname] = value
        lc[lower(hname)] = value
      end
    end

    local body, berr, bkind
    local length = tonumber(lc["content-length"])
    local keep = version == "1.1" and lower(lc["connection"] or "") ~= "close"
    if length then
      if length > o.max_response_bytes then
        return failure(sock, "read body from " .. where, "response body exceeds max_response_bytes ("
          .. length .. " > " .. o.max_response_bytes .. " bytes)", "too_large")
      end
      if length > 0 then
        body, berr = sock:receive(length)
      else
        body = ""
      end
    elseif lower(lc["transfer-encoding"] or ""):find("chunked", 1, true) then
      body, berr, bkind = read_chunked(sock, o.max_response_bytes)
    else
      body, berr = sock:receive("*a")
      keep = false
      if body and #body > o.max_response_bytes then
        body, berr, bkind = nil, "response body exceeds max_response_bytes", "too_large"
      end
    end
    if not body then
      return failure(sock, "read body from " .. where, berr, bkind)
    end
    if keep then
      sock:setkeepalive(o.keepalive_timeout, o.pool_size)
    else
      sock:close()
    end
    return { status = tonumber(status), headers = headers, body = body }
  end
  made[transport] = true
  return transport
end

--- Sleeps without blocking the worker.
function _M.sleep(seconds)
  ngx.sleep(seconds)
end

--- Runs fn(i) for i = 1..n in at most `concurrency` light threads at once.
-- @return nothing, or the first error raised by fn (the other items still run)
function _M.run_concurrently(n, concurrency, fn)
  local next_index = 0
  local first_err
  local function worker()
    while true do
      next_index = next_index + 1
      local i = next_index
      if i > n then return end
      local ok, err = pcall(fn, i)
      if not ok and not first_err then
        first_err = err
      end
    end
  end
  local threads = {}
  for t = 1, min(concurrency, n) do
    local th, err = ngx.thread.spawn(worker)
    if not th then
      error("cognito_mfa.resty: cannot spawn a light thread: " .. tostring(err))
    end
    threads[t] = th
  end
  for _, th in ipairs(threads) do
    ngx.thread.wait(th)
  end
  return first_err
end

return _M
