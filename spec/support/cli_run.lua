-- Runs bin/cognito-mfa (and /usr/bin/aws) as a child process with a controlled environment:
-- a temporary HOME (so ~/.aws is never read), explicit test credentials, no instance metadata,
-- LUA_PATH at ./lua and LUA_CPATH at the build's module for the interpreter under test
-- (CMFA_LUA: lua5.4 or luajit; CMFA_BUILD_DIR: the build folder).
local helpers = require "spec.helpers"

local quote = helpers.shell_quote

local M = {}

M.SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYSECRETKEY"
M.SESSION_TOKEN = "FwoGZXIvYXdzEXAMPLESESSIONTOKENvalue0123456789"
M.ACCESS_KEY = "AKIDCLITEST"

--- The interpreter the CLI runs on, and the build flavour its C module comes from.
function M.lua()
  return os.getenv("CMFA_LUA") or "lua5.4"
end

function M.flavour()
  return M.lua():find("luajit", 1, true) and "luajit" or "lua5.4"
end

function M.build_dir()
  return os.getenv("CMFA_BUILD_DIR") or "build"
end

local function read(path)
  local f = io.open(path, "rb")
  if not f then
    return ""
  end
  local s = f:read("*a")
  f:close()
  return s
end

local function write(path, data)
  local f = assert(io.open(path, "wb"))
  f:write(data)
  f:close()
end
M.read, M.write = read, write

--- A fresh temporary directory (removed by M.cleanup).
function M.tempdir()
  local h = assert(io.popen("mktemp -d /tmp/cmfa-cli-XXXXXX"))
  local dir = h:read("*l")
  h:close()
  return dir
end

function M.cleanup(dir)
  if dir and dir:match("^/tmp/cmfa%-cli%-") then
    os.execute("rm -rf " .. quote(dir))
  end
end

-- Variables passed through from the parent (sanitizer runtimes, the time zone).
local PASS = { "PATH", "LD_PRELOAD", "ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS", "TZ" }

--- The environment for a child: base settings, then `extra` (a value of false removes one).
function M.environment(home, extra)
  local env = {
    HOME = home,
    AWS_EC2_METADATA_DISABLED = "true",
    AWS_ACCESS_KEY_ID = M.ACCESS_KEY,
    AWS_SECRET_ACCESS_KEY = M.SECRET_KEY,
    AWS_SESSION_TOKEN = M.SESSION_TOKEN,
    AWS_DEFAULT_REGION = "us-east-1",
    AWS_PAGER = "",
    LUA_PATH = "./lua/?.lua;./lua/?/init.lua;;",
    LUA_CPATH = M.build_dir() .. "/" .. M.flavour() .. "/?.so;;",
  }
  for _, k in ipairs(PASS) do
    env[k] = os.getenv(k)
  end
  if env.LD_PRELOAD and env.ASAN_OPTIONS and M.flavour() == "luajit" then
    -- LeakSanitizer's tracer dies ("Tracer caught signal 11", then "LeakSanitizer has
    -- encountered a fatal error") at the exit of some LuaJIT CLI runs (--query with YAML
    -- output, for one): a failure of the tool, not a leak. The CLI's LuaJIT children keep
    -- AddressSanitizer and UBSan; the same commands keep leak checks on Lua 5.4, and the
    -- module's leaks are checked in-process (binding_leak_spec) and under valgrind.
    env.ASAN_OPTIONS = env.ASAN_OPTIONS .. ":detect_leaks=0"
  end
  for k, v in pairs(extra or {}) do
    env[k] = v or nil
  end
  local parts = {}
  for k, v in pairs(env) do
    parts[#parts + 1] = k .. "=" .. quote(v)
  end
  table.sort(parts)
  return "env -i " .. table.concat(parts, " ")
end

local function argv_text(args)
  local parts = {}
  for i, a in ipairs(args) do
    parts[i] = quote(a)
  end
  return table.concat(parts, " ")
end

-- Runs a shell command line with files for stdin/stdout/stderr; returns code, out, err.
local function exec(dir, cmdline, stdin)
  local inp, out, err, code = dir .. "/stdin", dir .. "/stdout", dir .. "/stderr", dir .. "/code"
  write(inp, stdin or "")
  os.execute(cmdline .. " <" .. quote(inp) .. " >" .. quote(out) .. " 2>" .. quote(err)
    .. "; echo $? >" .. quote(code))
  return tonumber(read(code):match("%d+")), read(out), read(err)
end

--- Runs the CLI: returns { code = n, stdout = s, stderr = s }.
-- opts: home (required), env (extra variables), stdin (text).
function M.run(args, opts)
  local cmd = M.environment(opts.home, opts.env) .. " " .. M.lua() .. " bin/cognito-mfa "
    .. argv_text(args)
  local code, out, err = exec(opts.home, cmd, opts.stdin)
  return { code = code, stdout = out, stderr = err }
end

--- Runs the CLI in the background, sends it SIGINT after `after` seconds, and returns its
-- result like M.run.
function M.run_interrupted(args, opts, after)
  local inner = M.environment(opts.home, opts.env) .. " " .. M.lua() .. " bin/cognito-mfa "
    .. argv_text(args) .. " & pid=$!; sleep " .. after .. "; kill -INT $pid; wait $pid"
  local code, out, err = exec(opts.home, "sh -c " .. quote(inner), "")
  return { code = code, stdout = out, stderr = err }
end

--- Runs the CLI with a terminal as stdin/stdout/stderr (util-linux `script` gives it a pty;
-- `script` itself runs without the sanitizer runtime, which only the CLI's interpreter gets),
-- for behaviour that depends on a terminal (the pager, --color auto). Returns { code, stdout }
-- (stdout: what reached the terminal, CRLF turned into LF).
function M.run_tty(args, opts)
  local inner = M.environment(opts.home, opts.env) .. " " .. M.lua() .. " bin/cognito-mfa "
    .. argv_text(args)
  local code, out = exec(opts.home, helpers.CLEAN_ENV .. "script -qec " .. quote(inner) .. " /dev/null", "")
  return { code = code, stdout = (out:gsub("\r\n", "\n")) }
end

M.AWS = os.getenv("CMFA_AWS_CLI") or "/usr/bin/aws"

--- Is the AWS CLI there?
function M.have_aws()
  local f = io.open(M.AWS, "rb")
  if f then
    f:close()
    return true
  end
  return false
end

--- Runs `aws <args>` with the same environment as the CLI (less the sanitizer runtime, which
-- is for the C module, not for Python).
function M.aws(args, opts)
  local env = { LD_PRELOAD = false, ASAN_OPTIONS = false, LSAN_OPTIONS = false, UBSAN_OPTIONS = false }
  for k, v in pairs(opts.env or {}) do
    env[k] = v
  end
  local cmd = M.environment(opts.home, env) .. " " .. quote(M.AWS) .. " " .. argv_text(args)
  if opts.tty then
    local code, out = exec(opts.home, helpers.CLEAN_ENV .. "script -qec " .. quote(cmd) .. " /dev/null", "")
    return { code = code, stdout = (out:gsub("\r\n", "\n")) }
  end
  local code, out, err = exec(opts.home, cmd, opts.stdin or "")
  return { code = code, stdout = out, stderr = err }
end

return M
