--- Non-blocking transport for nginx/OpenResty: HTTP/1.1 over ngx.socket.tcp cosockets.
--
-- The core still validates, signs, parses and decides on retries; this module only moves
-- bytes. TLS certificates are verified against `lua_ssl_trusted_certificate` (with
-- `lua_ssl_verify_depth`) unless verify_tls is false; connections are kept in a pool with
-- setkeepalive; connect, send and read timeouts apply; retries back off with ngx.sleep.
-- @module cognito_mfa.resty

-- luacheck: globals ngx

local concat = table.concat
local error = error
local ipairs = ipairs
local lower = string.lower
local min = math.min
local pairs = pairs
local tonumber = tonumber
local tostring = tostring
local type = type

local _M = {}

-- Phases in which cosockets work (lua-nginx-module); init, init_worker, set, header_filter,
-- body_filter, log and balancer have none.
local COSOCKET_PHASES = {
  rewrite = true, server_rewrite = true, access = true, content = true, timer = true,
  ssl_cert = true, ssl_session_fetch = true, ssl_client_hello = true, preread = true,
}

local DEFAULTS = {
  connect_timeout = 10000, send_timeout = 60000, read_timeout = 60000,
  keepalive_timeout = 60000, pool_size = 32, max_response_bytes = 16 * 1024 * 1024,
}

--- Whether this code runs inside nginx's Lua module at all.
function _M.in_nginx()
  return type(ngx) == "table" and type(ngx.get_phase) == "function"
    and type(ngx.socket) == "table"
end

--- Whether cosockets can be used in the current phase.
-- @return true, or false and the phase name
function _M.available()
  if not _M.in_nginx() then
    return false, "not nginx"
  end
  local phase = ngx.get_phase()
  return COSOCKET_PHASES[phase] == true, phase
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

local function failure(sock, what, err)
  if sock then sock:close() end
  return nil, { kind = classify(err), message = what .. ": " .. tostring(err) }
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
    if total > limit then return nil, "response body exceeds max_response_bytes" end
    local data, derr = sock:receive(size)
    if not data then return nil, derr end
    parts[#parts + 1] = data
    local crlf, cerr = sock:receive(2)
    if not crlf then return nil, cerr end
  end
end

--- Creates a transport.
-- @tab[opt] opts connect_timeout, send_timeout, read_timeout, keepalive_timeout (ms),
--   pool_size, verify_tls (default true), max_response_bytes
-- @return function(request) -> { status, headers, body } | nil, { kind, message }
function _M.transport(opts)
  opts = opts or {}
  local o = {}
  for k, v in pairs(DEFAULTS) do o[k] = opts[k] or v end
  local verify = opts.verify_tls ~= false

  return function(req)
    local u, uerr = parse_url(req.url)
    if not u then
      return nil, { kind = "transport", message = uerr }
    end
    local sock = ngx.socket.tcp()
    sock:settimeouts(o.connect_timeout, o.send_timeout, o.read_timeout)
    local pool = u.scheme .. ":" .. u.host .. ":" .. u.port .. (verify and "" or ":noverify")
    local ok, err = sock:connect(u.host, u.port, { pool = pool })
    if not ok then
      return failure(nil, "connect to " .. u.host .. ":" .. u.port, err)
    end
    if u.scheme == "https" and (sock:getreusedtimes() or 0) == 0 then
      ok, err = sock:sslhandshake(nil, u.host, verify)
      if not ok then
        return failure(sock, "TLS handshake with " .. u.host, err)
      end
    end

    local lines = { "POST " .. u.path .. " HTTP/1.1" }
    for name, value in pairs(req.headers) do
      lines[#lines + 1] = name .. ": " .. value
    end
    lines[#lines + 1] = "Connection: keep-alive"
    lines[#lines + 1] = ""
    lines[#lines + 1] = req.body or ""
    local sent, serr = sock:send(concat(lines, "\r\n"))
    if not sent then
      return failure(sock, "send to " .. u.host, serr)
    end

    local status_line, rerr = sock:receive("*l")
    if not status_line then
      return failure(sock, "read from " .. u.host, rerr)
    end
    local version, status = status_line:match("^HTTP/(%d%.%d) (%d%d%d)")
    if not status then
      return failure(sock, "read from " .. u.host, "not an HTTP response")
    end
    local headers, lc = {}, {}
    while true do
      local line, herr = sock:receive("*l")
      if not line then
        return failure(sock, "read headers from " .. u.host, herr)
      end
      if line == "" then break end
      local name, value = line:match("^([^:]+):%s*(.-)%s*$")
      if name then
        headers[name] = value
        lc[lower(name)] = value
      end
    end

    local body, berr
    local length = tonumber(lc["content-length"])
    local keep = version == "1.1" and lower(lc["connection"] or "") ~= "close"
    if length then
      if length > o.max_response_bytes then
        return nil, { kind = "too_large", message = "response body exceeds max_response_bytes" }
      end
      body, berr = length > 0 and sock:receive(length) or "", nil
    elseif lower(lc["transfer-encoding"] or ""):find("chunked", 1, true) then
      body, berr = read_chunked(sock, o.max_response_bytes)
    else
      body, berr = sock:receive("*a")
      keep = false
    end
    if not body then
      return failure(sock, "read body from " .. u.host, berr)
    end
    if keep then
      sock:setkeepalive(o.keepalive_timeout, o.pool_size)
    else
      sock:close()
    end
    return { status = tonumber(status), headers = headers, body = body }
  end
end

--- Sleeps without blocking the worker.
function _M.sleep(seconds)
  ngx.sleep(seconds)
end

--- Runs fn(i) for i = 1..n with at most `concurrency` light threads at once.
-- @return nothing; fn stores its own results
function _M.run_concurrently(n, concurrency, fn)
  local next_index = 0
  local function worker()
    while true do
      next_index = next_index + 1
      local i = next_index
      if i > n then return end
      fn(i)
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
end

return _M
