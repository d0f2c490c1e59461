-- Starts and stops a real nginx (Debian nginx + libnginx-mod-http-lua) for the nginx specs.
--
-- Each server gets its own temporary prefix directory holding a generated nginx.conf, the pid
-- file and the error log; it listens on a free loopback port (chosen with a bound-then-closed
-- socket, retried when the bind fails anyway), runs as a daemon, and is stopped with
-- `kill -QUIT <pid from its pid file>` (then waited for). Nothing is ever killed by name.
--
--   local nginx = require "spec.support.nginx"
--   local server = nginx.start { env = { COGNITO_MFA_ENDPOINT_URL = peer.endpoint } }
--   local res = server:request("GET", "/mfa/us-east-1_Abc")   -- { status, body, json, headers }
--   server:stop()
--
-- Test locations (/t/...) are served by spec/support/nginx_handlers.lua; /mfa/<id> and /audit
-- by the example handlers in examples/nginx/mfa_admin.lua.
local cognito_mfa = require "cognito_mfa"
local helpers = require "spec.helpers"

local quote = helpers.shell_quote
local CLEAN_ENV = helpers.CLEAN_ENV

local M = {}

M.MODULES = {
  "/usr/lib/nginx/modules/ndk_http_module.so",
  "/usr/lib/nginx/modules/ngx_http_lua_module.so",
}
M.NGINX = os.getenv("CMFA_NGINX") or "/usr/sbin/nginx"

-- Test credentials handed to nginx's workers through `env` directives.
M.ACCESS_KEY_ID = "AKIDNGINXTEST"
M.SECRET_ACCESS_KEY = "nginxSecretKeyForTestsOnly0123456789abcd"

local running = {}   -- servers started and not yet stopped, for failure reports

local function read(path)
  local f = io.open(path, "rb")
  if not f then
    return nil
  end
  local s = f:read("*a")
  f:close()
  return s
end
M.read = read

local function write(path, data)
  local f = assert(io.open(path, "wb"))
  f:write(data)
  f:close()
end

local function capture(cmd)
  local h = assert(io.popen(cmd, "r"))
  local out = h:read("*a")
  h:close()
  return out
end
M.capture = capture

local function sleep(seconds)
  os.execute("sleep " .. seconds)
end
M.sleep = sleep

--- Wall-clock seconds with sub-second precision (GNU date).
function M.now()
  return tonumber(capture("date +%s.%N")) or os.time()
end

--- Whether nginx and the Lua module are installed.
function M.available()
  if not io.open(M.NGINX, "rb") then
    return false, M.NGINX .. " not found (apt-get install nginx libnginx-mod-http-lua)"
  end
  for _, m in ipairs(M.MODULES) do
    local f = io.open(m, "rb")
    if not f then
      return false, m .. " not found (apt-get install libnginx-mod-http-lua)"
    end
    f:close()
  end
  return true
end

local function cwd()
  return (capture("pwd"):gsub("%s+$", ""))
end

local function absolute(path)
  if path:sub(1, 1) == "/" then
    return path
  end
  return cwd() .. "/" .. path:gsub("^%./", "")
end

--- The repository root (specs run from it).
function M.root()
  return cwd()
end

--- The folder holding cognito_mfa/core.so for LuaJIT (from the cpath busted was given).
function M.cpath_dir()
  local found
  for template in package.cpath:gmatch("[^;]+") do
    local path = template:gsub("%?", "cognito_mfa/core")
    local f = io.open(path, "rb")
    if f then
      f:close()
      found = path
      break
    end
  end
  if not found then
    error("cognito_mfa.core not found on the cpath: run busted with --cpath=BUILD/luajit/?.so")
  end
  return absolute((found:gsub("/cognito_mfa/core%.so$", "")))
end

--- A free loopback port: bound, read back, closed.
function M.free_port()
  local out = capture(CLEAN_ENV .. "python3 -c " .. quote(
    "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1]); s.close()"))
  return assert(tonumber(out), "no free port: " .. out)
end

local function tempdir()
  return (capture("mktemp -d /tmp/cmfa-nginx-XXXXXX"):gsub("%s+$", ""))
end

local function is_root()
  return capture("id -u"):match("^0%s*$") ~= nil
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t or {}) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

-- nginx needs quotes around values with spaces or special characters.
local function conf_quote(s)
  return '"' .. tostring(s):gsub('\\', '\\\\'):gsub('"', '\\"') .. '"'
end

--- The configuration text for a server (see M.start for the options).
function M.conf(o)
  local root = o.root
  local lines = {}
  local function add(s) lines[#lines + 1] = s end
  for _, m in ipairs(M.MODULES) do
    add("load_module " .. m .. ";")
  end
  add("daemon on;")
  add("master_process on;")
  add("worker_processes " .. (o.worker_processes or 1) .. ";")
  if is_root() then
    add("user root;")   -- the workers read the checkout and the temporary prefix
  end
  add("pid " .. o.prefix .. "/nginx.pid;")
  add("error_log " .. o.prefix .. "/error.log " .. (o.log_level or "info") .. ";")
  add("worker_shutdown_timeout 5s;")
  add("")
  -- `env NAME=value;` sets a variable for the workers; `env NAME;` passes one through from
  -- nginx's own environment. nginx clears everything else.
  for _, k in ipairs(sorted_keys(o.env)) do
    add("env " .. conf_quote(k .. "=" .. o.env[k]) .. ";")
  end
  for _, k in ipairs(sorted_keys(o.inherit_env)) do
    add("env " .. k .. ";")
  end
  add("")
  add("events { worker_connections 2048; }")
  add("")
  add("http {")
  add("  access_log off;")
  for _, t in ipairs { "client_body", "proxy", "fastcgi", "uwsgi", "scgi" } do
    add("  " .. t .. "_temp_path " .. o.prefix .. "/" .. t .. ";")
  end
  add("  lua_package_path " .. conf_quote(root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;" .. root
    .. "/examples/nginx/?.lua;" .. root .. "/spec/support/?.lua;;") .. ";")
  add("  lua_package_cpath " .. conf_quote(o.cpath_dir .. "/?.so;;") .. ";")
  add("  lua_shared_dict cmfa_test 1m;")
  if o.trusted_certificate then
    add("  lua_ssl_trusted_certificate " .. o.trusted_certificate .. ";")
    add("  lua_ssl_verify_depth 5;")
  end
  add("  init_worker_by_lua_block { require('nginx_handlers').init_worker() }")
  if o.http then
    add(o.http)
  end
  add("  server {")
  add("    listen 127.0.0.1:" .. o.port .. ";")
  add("    add_header X-Worker-Pid $pid always;")
  add("    location = /__ping { return 200 'pong\\n'; }")
  -- the example handlers (examples/nginx/mfa_admin.lua), as examples/nginx/nginx.conf routes them
  add("    location ~ ^/mfa/(?<pool>[^/]+)$ {")
  add("      content_by_lua_block { require('mfa_admin').config(ngx.var.pool) }")
  add("    }")
  add("    location = /audit {")
  add("      content_by_lua_block { require('mfa_admin').audit() }")
  add("    }")
  -- test locations (spec/support/nginx_handlers.lua)
  add("    location ^~ /t/ {")
  add("      content_by_lua_block { require('nginx_handlers').dispatch() }")
  add("    }")
  if o.server then
    add(o.server)
  end
  add("  }")
  add("}")
  return table.concat(lines, "\n") .. "\n"
end

local Server = {}
Server.__index = Server

-- os.execute returns true (Lua 5.2+) or 0 (Lua 5.1, LuaJIT) on success
local function succeeds(cmd)
  local r = os.execute(cmd)
  return r == true or r == 0
end

local function alive(pid)
  return pid ~= nil and succeeds("kill -0 " .. pid .. " 2>/dev/null")
end

--- The pid of the master process, from the pid file.
function Server:pid()
  local text = read(self.prefix .. "/nginx.pid")
  return text and tonumber(text:match("%d+"))
end

--- The last `n` lines of the error log.
function Server:log_tail(n)
  local text = read(self.prefix .. "/error.log") or ""
  local lines = {}
  for line in text:gmatch("[^\n]+") do lines[#lines + 1] = line end
  local from = math.max(1, #lines - (n or 40) + 1)
  return table.concat(lines, "\n", from)
end

--- The whole error log.
function Server:log()
  return read(self.prefix .. "/error.log") or ""
end

local function curl_cmd(self, method, path, body, extra)
  local args = { "curl -s -S --max-time " .. (self.max_time or 60), "-X " .. method,
                 "-D " .. quote(self.prefix .. "/last-headers") }
  if body then
    write(self.prefix .. "/last-body", body)
    args[#args + 1] = "--data-binary @" .. quote(self.prefix .. "/last-body")
    args[#args + 1] = "-H 'Content-Type: application/json'"
  end
  args[#args + 1] = extra or ""
  args[#args + 1] = "-w '\\n@@status %{http_code}'"
  args[#args + 1] = quote(self.url .. path)
  return CLEAN_ENV .. table.concat(args, " ") .. " 2>&1"
end

--- One HTTP request to the server.
-- @return { status = number, body = text, json = decoded body or nil, headers = { lower = value } }
function Server:request(method, path, body)
  local out = capture(curl_cmd(self, method, path, body))
  local text, status = out:match("^(.*)\n@@status (%d+)$")
  local res = { status = tonumber(status) or 0, body = text or out, headers = {} }
  for line in (read(self.prefix .. "/last-headers") or ""):gmatch("[^\r\n]+") do
    local name, value = line:match("^([^:]+):%s*(.-)%s*$")
    if name then res.headers[name:lower()] = value end
  end
  if res.body ~= "" then
    res.json = cognito_mfa.decode_json(res.body)
  end
  return res
end

--- `n` concurrent requests of `path` with curl's parallel mode (one connection each).
-- @return wall seconds, and a list of { status, pid, seconds } per request
function Server:parallel(path, n)
  local urls = {}
  for i = 1, n do urls[i] = "-o /dev/null " .. quote(self.url .. path) end
  local cmd = "s=$(date +%s%N); " .. CLEAN_ENV .. "curl -s --no-progress-meter --max-time 60"
    .. " --parallel --parallel-immediate --parallel-max " .. n
    .. " -w '## %{http_code} %header{x-worker-pid} %{time_total}\\n' " .. table.concat(urls, " ")
    .. " 2>/dev/null; e=$(date +%s%N); echo \"##wall $(( (e - s) / 1000 ))\""
  local out = capture(cmd)
  local results = {}
  for status, pid, secs in out:gmatch("## (%d+) (%d*) ([%d.]+)") do
    results[#results + 1] = { status = tonumber(status), pid = tonumber(pid), seconds = tonumber(secs) }
  end
  local wall_us = tonumber(out:match("##wall (%d+)"))
  return wall_us and wall_us / 1e6, results, out
end

--- Stops the server: QUIT to the master from the pid file, then waits for it to go.
function Server:stop()
  if self.stopped then
    return
  end
  self.stopped = true
  for i, s in ipairs(running) do
    if s == self then table.remove(running, i) break end
  end
  local pid = self:pid() or self.master_pid
  if pid and alive(pid) then
    os.execute("kill -QUIT " .. pid .. " 2>/dev/null")
    for _ = 1, 200 do
      if not alive(pid) then break end
      sleep(0.05)
    end
    if alive(pid) then
      -- graceful shutdown did not finish: TERM, then KILL, by pid only
      os.execute("kill -TERM " .. pid .. " 2>/dev/null")
      for _ = 1, 100 do
        if not alive(pid) then break end
        sleep(0.05)
      end
      if alive(pid) then
        os.execute("kill -KILL " .. pid .. " 2>/dev/null")
      end
    end
  end
  if self.keep or os.getenv("CMFA_KEEP_NGINX") then
    return
  end
  if self.prefix and self.prefix:match("^/tmp/cmfa%-nginx%-") then
    os.execute("rm -rf " .. quote(self.prefix))
  end
end

local function wait_ready(self, timeout, path)
  local deadline = M.now() + (timeout or 15)
  while M.now() < deadline do
    local out = capture(CLEAN_ENV .. "curl -s -o /dev/null -w '%{http_code}' --max-time 1 "
      .. quote(self.url .. (path or "/__ping")))
    if out:match("^[1-5]%d%d$") and out ~= "000" then
      return true
    end
    sleep(0.05)
  end
  return false
end

--- Starts nginx.
-- @tab[opt] opts
--   env = { NAME = value }: `env NAME=value;` directives (what the workers see)
--   inherit_env = { NAME = value }: set in nginx's own environment, passed on with `env NAME;`
--   process_env = { NAME = value }: set in nginx's own environment only (no directive)
--   trusted_certificate = path: lua_ssl_trusted_certificate
--   http, server = extra configuration text for the http and server blocks
--   worker_processes (default 1), log_level (default info)
--   conf = function(dir, port) -> text: use this configuration instead (pid, error_log and
--     temporary paths belong in dir); nginx_prefix: nginx's -p (default dir); ready_path:
--     what to request until nginx answers (default /__ping, which the generated conf has)
-- Under a CMFA_SANITIZE build nginx gets the ASan runtime preloaded (leak checks off).
-- @return server { port, url, prefix, request, parallel, stop, log_tail }
function M.start(opts)
  opts = opts or {}
  local ok, why = M.available()
  if not ok then
    error(why)
  end
  local env = {
    AWS_EC2_METADATA_DISABLED = "true",   -- nothing beyond loopback, ever
    AWS_REGION = "us-east-1",
  }
  for k, v in pairs(opts.env or {}) do env[k] = v end
  local last_err
  for _ = 1, 5 do
    local self = setmetatable({ prefix = tempdir(), port = M.free_port() }, Server)
    self.url = "http://127.0.0.1:" .. self.port
    -- the workers read no ~/.aws of whoever runs the specs
    env.AWS_CONFIG_FILE = env.AWS_CONFIG_FILE or (self.prefix .. "/no-config")
    env.AWS_SHARED_CREDENTIALS_FILE = env.AWS_SHARED_CREDENTIALS_FILE or (self.prefix .. "/no-credentials")
    local conf
    if opts.conf then
      conf = opts.conf(self.prefix, self.port)
    else
      conf = M.conf {
        root = M.root(), cpath_dir = M.cpath_dir(), prefix = self.prefix, port = self.port,
        env = env, inherit_env = opts.inherit_env, trusted_certificate = opts.trusted_certificate,
        http = opts.http, server = opts.server, worker_processes = opts.worker_processes,
        log_level = opts.log_level,
      }
    end
    write(self.prefix .. "/nginx.conf", conf)
    local pre = {}
    for _, k in ipairs(sorted_keys(opts.inherit_env)) do
      pre[#pre + 1] = k .. "=" .. quote(opts.inherit_env[k])
    end
    for _, k in ipairs(sorted_keys(opts.process_env)) do
      pre[#pre + 1] = k .. "=" .. quote(opts.process_env[k])
    end
    -- a sanitizer build of the module needs the ASan runtime loaded first, in nginx too
    local asan = M.asan_runtime()
    if asan then
      pre[#pre + 1] = "LD_PRELOAD=" .. quote(asan) .. " ASAN_OPTIONS=detect_leaks=0"
    end
    local cmd = CLEAN_ENV .. table.concat(pre, " ") .. " " .. quote(M.NGINX)
      .. " -p " .. quote(opts.nginx_prefix or (self.prefix .. "/"))
      .. " -c " .. quote(self.prefix .. "/nginx.conf")
      .. " -e " .. quote(self.prefix .. "/error.log")
      .. " >" .. quote(self.prefix .. "/start.log") .. " 2>&1"
    local started = succeeds(cmd)
    local pid
    for _ = 1, 100 do
      pid = self:pid()
      if pid or not started then break end
      sleep(0.05)
    end
    self.master_pid = pid
    if started and pid and wait_ready(self, nil, opts.ready_path) then
      running[#running + 1] = self
      return self
    end
    local log = (read(self.prefix .. "/start.log") or "") .. self:log_tail(20)
    last_err = "nginx did not start:\n" .. log
    self:stop()
    if not log:find("Address already in use", 1, true) then
      break
    end
  end
  error(last_err)
end

--- A server started earlier, maybe by another process (tools/loopback_nginx.lua), from its
-- prefix directory and port: for stop(), log() and trouble().
function M.attach(prefix, port)
  local self = setmetatable({ prefix = prefix, port = tonumber(port) }, Server)
  self.url = self.port and ("http://127.0.0.1:" .. self.port)
  self.master_pid = self:pid()
  return self
end

local asan_checked, asan_path
--- The ASan runtime the C module is linked with (a CMFA_SANITIZE build), or nil.
function M.asan_runtime()
  if not asan_checked then
    asan_checked = true
    local so = M.cpath_dir() .. "/cognito_mfa/core.so"
    asan_path = capture(CLEAN_ENV .. "ldd " .. quote(so) .. " 2>/dev/null"):match("libasan%.so[%.%d]*%s*=>%s*(%S+)")
  end
  return asan_path
end

--- Starts core/tests/servers/metadata_server.py (container credentials and IMDS on loopback).
-- It stops when its standard input closes (peer.stop) or after 15 minutes.
-- @tab[opt] args command-line arguments, e.g. { "--expires-in", "3600" }
-- @return { port, url, count(kind), set{ name = value }, stop }
function M.start_metadata(args)
  local dir = tempdir()
  local argv = {}
  for i, a in ipairs(args or {}) do argv[i] = quote(a) end
  local script = M.root() .. "/core/tests/servers/metadata_server.py"
  local handle = assert(io.popen("exec " .. CLEAN_ENV .. "python3 " .. quote(script) .. " --lifetime 900 "
    .. table.concat(argv, " ") .. " >" .. quote(dir .. "/port") .. " 2>" .. quote(dir .. "/stderr"), "w"))
  local port
  for _ = 1, 200 do
    port = tonumber((read(dir .. "/port") or ""):match("^(%d+)\n"))
    if port then break end
    sleep(0.05)
  end
  local peer = { port = port, url = port and ("http://127.0.0.1:" .. port) }
  function peer.stop()
    if handle then
      handle:close()   -- end of file on its standard input: it exits
      handle = nil
    end
    os.execute("rm -rf " .. quote(dir))
  end
  if not port then
    local why = read(dir .. "/stderr") or ""
    peer.stop()
    error("metadata server did not start: " .. why)
  end
  function peer.count(kind)
    return tonumber(capture(CLEAN_ENV .. "curl -s " .. quote(peer.url .. "/_count?kind=" .. kind)))
  end
  function peer.set(options)
    local q = {}
    for _, k in ipairs(sorted_keys(options)) do q[#q + 1] = k .. "=" .. M.urlencode(options[k]) end
    capture(CLEAN_ENV .. "curl -s " .. quote(peer.url .. "/_set?" .. table.concat(q, "&")))
  end
  return peer
end

--- Prints the tail of every running server's error log (on test failures).
function M.report(msg)
  for _, s in ipairs(running) do
    io.stderr:write("\n--- nginx error.log (", s.prefix, ") tail", msg and (" after: " .. tostring(msg)) or "",
                    " ---\n", s:log_tail(40), "\n--- end ---\n")
  end
end

-- What must never show up in an error log: a worker that crashed or exited with an error, a
-- sanitizer report (CMFA_SANITIZE builds).
local TROUBLE = { "exited on signal", "exited with code [1-9]", "AddressSanitizer", ": runtime error: " }

--- The first line of the error log showing trouble (a crashed worker, a sanitizer report).
function Server:trouble()
  for line in self:log():gmatch("[^\n]+") do
    for _, pattern in ipairs(TROUBLE) do
      if line:find(pattern) then
        return line
      end
    end
  end
end

--- Wraps a test body: on failure, prints where it failed and the error log tails, then fails.
-- A test also fails when a running server's error log shows a crashed worker or a sanitizer
-- report.
function M.guard(fn)
  return function(...)
    local ok, err = xpcall(fn, function(e)
      io.stderr:write("\n", debug.traceback(tostring(type(e) == "table" and (e.message or e[1]) or e), 2), "\n")
      M.report()
      return e
    end, ...)
    if not ok then
      error(err, 0)
    end
    for _, s in ipairs(running) do
      local line = s:trouble()
      if line then
        M.report(line)
        error("nginx error log (" .. s.prefix .. "): " .. line, 0)
      end
    end
  end
end

--- Stops every server still running (teardown safety net).
function M.stop_all()
  while running[1] do
    running[1]:stop()
  end
end

--- Encodes a value for a query string.
function M.urlencode(s)
  return (tostring(s):gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

return M
