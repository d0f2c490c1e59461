#!/usr/bin/env bash
# N concurrent requests through ONE nginx worker, each doing a GetUserPoolMfaConfig against an
# endpoint that takes DELAY seconds to answer: the measured wall time next to the serial time
# (N x DELAY) and the ratio. Prints figures only; asserts nothing.
#
#   bench/nginx_bench.sh [N [DELAY [RUNS]]]      defaults: 100 requests, 0.2 s, 3 runs
#
# Needs nginx and libnginx-mod-http-lua (Debian), curl (its --parallel mode makes the N
# requests at once, one connection each), python3, and the LuaJIT flavour of the module built:
# cmake -S . -B build && cmake --build build. Environment: CMFA_BUILD_DIR (default ./build).
# The endpoint is tools/fault_server.py (tools/peer.py serve fault) on a free loopback port;
# nginx gets its own temporary prefix and port (spec/support/nginx.lua). Both are stopped by
# pid when the script ends.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${1:-100}
DELAY=${2:-0.2}
RUNS=${3:-3}
BUILD=${CMFA_BUILD_DIR:-$PWD/build}

if [ ! -f "$BUILD/luajit/cognito_mfa/core.so" ]; then
  echo "no LuaJIT module at $BUILD/luajit/cognito_mfa/core.so: build first (cmake -S . -B build && cmake --build build)" >&2
  exit 1
fi
if [ ! -x /usr/sbin/nginx ] || [ ! -f /usr/lib/nginx/modules/ngx_http_lua_module.so ]; then
  echo "nginx with the Lua module is needed: apt-get install nginx libnginx-mod-http-lua" >&2
  exit 1
fi

export AWS_EC2_METADATA_DISABLED=true
exec luajit - "$BUILD/luajit" "$N" "$DELAY" "$RUNS" <<'LUA'
local cpath, n, delay, runs = arg[1], tonumber(arg[2]), tonumber(arg[3]), tonumber(arg[4])
package.path = "./lua/?.lua;./lua/?/init.lua;./?.lua;" .. package.path
package.cpath = cpath .. "/?.so;" .. package.cpath

local helpers = require "spec.helpers"
local nginx = require "spec.support.nginx"

local fault, server
local ok, err = pcall(function()
  fault = helpers.start_peer("fault")
  server = nginx.start { worker_processes = 1, env = {
    COGNITO_MFA_ENDPOINT_URL = fault.endpoint,
    AWS_ACCESS_KEY_ID = nginx.ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY = nginx.SECRET_ACCESS_KEY,
  } }
  helpers.script(fault, { { status = 200, delay = delay, body = '{"MfaConfiguration":"OFF"}' } })

  local serial = n * delay
  print(("nginx %s, 1 worker, %d concurrent GET /mfa/<id> (GetUserPoolMfaConfig over cosockets),")
    :format(nginx.capture("/usr/sbin/nginx -v 2>&1"):match("nginx/([%d.]+)") or "?", n))
  print(("endpoint answering after %.3f s each; serial would take %d x %.3f s = %.2f s"):format(delay, n, delay, serial))
  print()
  print(("%-6s %10s %10s %8s %8s"):format("run", "wall (s)", "serial (s)", "ratio", "ok"))
  local walls = {}
  for r = 1, runs do
    local wall, results = server:parallel("/mfa/us-east-1_Bench1", n)
    local good = 0
    for _, x in ipairs(results) do
      if x.status == 200 then good = good + 1 end
    end
    walls[#walls + 1] = wall
    print(("%-6d %10.3f %10.2f %7.1fx %4d/%d"):format(r, wall, serial, serial / wall, good, n))
  end
  table.sort(walls)
  local median = walls[math.floor((#walls + 1) / 2)]
  print()
  print(("median wall %.3f s for %d requests (serial %.2f s): %.1fx, all %d in flight at once in one worker")
    :format(median, n, serial, serial / median, n))
end)
if server then server:stop() end
if fault then fault.stop() end
if not ok then
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end
LUA
