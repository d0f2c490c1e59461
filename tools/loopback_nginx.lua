--- Starts and stops a loopback nginx for the benchmarks (bench/*.sh), through the specs' own
-- starter (spec/support/nginx.lua): its own temporary prefix, a free loopback port, stopped by
-- the pid in its pid file, never by name.
--
--   luajit tools/loopback_nginx.lua start TEMPLATE [NAME=VALUE | NAME=@FILE ...]
--       TEMPLATE is an nginx.conf with @NAME@ placeholders: @PREFIX@ (the temporary folder,
--       for pid, error_log and temp paths), @PORT@, @ROOT@ (the repository), @CPATH@ (the
--       LuaJIT build of the module), @LOAD_MODULES@ (the Lua module's load_module lines),
--       @USER@ ("user root;" when run as root), @WORKERS@ (default 1), and the NAME=VALUE
--       arguments (NAME=@FILE: the file's text, trailing white space removed). It must answer
--       GET /__ping.
--   luajit tools/loopback_nginx.lua examples [--workers N] [--log-level L] [NAME=VALUE ...]
--       the example handlers (examples/nginx/mfa_admin.lua) as the nginx specs run them; each
--       NAME=VALUE becomes an `env` directive for the workers
--   luajit tools/loopback_nginx.lua stop PREFIX PORT
--   luajit tools/loopback_nginx.lua trouble PREFIX PORT
--       prints the first error-log line showing a crashed worker or a sanitizer report and
--       exits 1; exits 0 when there is none
--
-- start and examples print one line: PORT PREFIX MASTER_PID URL.
-- Run from the repository root with LUA_PATH reaching ./lua and ./ and LUA_CPATH the LuaJIT
-- build of the module (build/luajit/?.so).

package.path = "./?.lua;./lua/?.lua;./lua/?/init.lua;" .. package.path
local nginx = require "spec.support.nginx"

local function usage(msg)
  io.stderr:write("loopback_nginx: ", msg, "\n",
    "usage: loopback_nginx.lua start TEMPLATE [NAME=VALUE ...] | examples [--workers N] ",
    "[--log-level L] [NAME=VALUE ...] | stop PREFIX PORT | trouble PREFIX PORT\n")
  os.exit(2)
end

local function read_file(path, what)
  local text = nginx.read(path)
  if not text then
    usage("cannot read " .. what .. " " .. path)
  end
  return text
end

-- NAME=VALUE arguments from index i on (NAME=@FILE reads the file)
local function assignments(args, i)
  local out = {}
  while args[i] do
    local name, value = args[i]:match("^([%w_]+)=(.*)$")
    if not name then
      usage("expected NAME=VALUE, got '" .. args[i] .. "'")
    end
    if value:sub(1, 1) == "@" then
      value = read_file(value:sub(2), "the value file for " .. name):gsub("%s+$", "")
    end
    out[name] = value
    i = i + 1
  end
  return out
end

local function print_server(s)
  io.stdout:write(("%d %s %d %s\n"):format(s.port, s.prefix, s:pid() or 0, s.url))
end

local function from_template(template, values)
  local text = read_file(template, "template")
  local modules = {}
  for _, m in ipairs(nginx.MODULES) do
    modules[#modules + 1] = "load_module " .. m .. ";"
  end
  return function(dir, port)
    local v = {
      PREFIX = dir, PORT = tostring(port), ROOT = nginx.root(), CPATH = nginx.cpath_dir(),
      LOAD_MODULES = table.concat(modules, "\n"), WORKERS = "1",
      USER = nginx.capture("id -u"):match("^0%s*$") and "user root;" or "",
    }
    for k, val in pairs(values) do v[k] = val end
    local conf = text:gsub("@([%w_]+)@", function(name)
      if v[name] == nil then
        error("template " .. template .. ": no value for @" .. name .. "@ (give " .. name .. "=VALUE)", 0)
      end
      return v[name]
    end)
    return conf
  end
end

local cmd = arg[1]
if cmd == "start" then
  local template = arg[2] or usage("start needs a template")
  local values = assignments(arg, 3)
  print_server(nginx.start { conf = from_template(template, values) })
elseif cmd == "examples" then
  local opts, i = { worker_processes = 1, log_level = "notice" }, 2
  while arg[i] and arg[i]:sub(1, 2) == "--" do
    if arg[i] == "--workers" then
      opts.worker_processes = tonumber(arg[i + 1]) or usage("--workers needs a number")
    elseif arg[i] == "--log-level" then
      opts.log_level = arg[i + 1] or usage("--log-level needs a level")
    else
      usage("unknown option " .. arg[i])
    end
    i = i + 2
  end
  opts.env = assignments(arg, i)
  print_server(nginx.start(opts))
elseif cmd == "stop" or cmd == "trouble" then
  local prefix, port = arg[2], arg[3]
  if not prefix or not prefix:match("^/tmp/cmfa%-nginx%-") then
    usage(cmd .. " needs the PREFIX (/tmp/cmfa-nginx-...) printed by start")
  end
  local server = nginx.attach(prefix, port)
  if cmd == "stop" then
    server:stop()
  else
    local line = server:trouble()
    if line then
      print(line)
      os.exit(1)
    end
  end
else
  usage("unknown command " .. tostring(cmd))
end
