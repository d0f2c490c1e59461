#!/usr/bin/env bash
# Audit throughput: creates POOLS user pools (default 1000) with a mix of MFA settings on a
# local moto server, then times client:audit{ concurrency = N } against the built-in baseline
# for N = 1 (serial), 8, 16 and 32, and a plain loop (get_user_pool_mfa_config one pool after
# another, then policy.evaluate). Prints seconds, pools per second and the ratio to N = 1.
# Figures only; asserts nothing.
#
# moto answers from one Python process, so it is the bottleneck and concurrency gains little
# there. A second table does the same against tools/aws_rules_server.py with an added
# latency per answer (CMFA_BENCH_LATENCY_MS, default 20: a round trip to a nearby region),
# which is where fetching concurrently pays off.
#
#   bench/audit_bench.sh [POOLS] [ROUNDS]     ROUNDS timed runs per setting (default 3; the
#                                             median is shown; 1 for the latency table)
#
# Environment: CMFA_BUILD_DIR (default ./build), CMFA_LUA (lua5.4 or luajit; default lua5.4),
# CMFA_BENCH_CONCURRENCY (default "1 8 16 32"), CMFA_BENCH_LATENCY_MS (0 skips the second
# table). Everything stays on loopback; only the servers started here are stopped (by their
# pids). moto takes about 0.13 s to create each pool (it loads an RSA key per pool), so the
# setup of 1000 pools takes about two minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

POOLS=${1:-1000}
ROUNDS=${2:-3}
LUA=${CMFA_LUA:-lua5.4}
BUILD=${CMFA_BUILD_DIR:-$ROOT/build}
CONCURRENCY=${CMFA_BENCH_CONCURRENCY:-1 8 16 32}
LATENCY_MS=${CMFA_BENCH_LATENCY_MS:-20}
case "$LUA" in *luajit*) FLAVOUR=luajit ;; *) FLAVOUR=lua5.4 ;; esac

if [ ! -f "$BUILD/$FLAVOUR/cognito_mfa/core.so" ]; then
  echo "no C module at $BUILD/$FLAVOUR/cognito_mfa/core.so: build first (cmake -S . -B build && cmake --build build)" >&2
  exit 1
fi

WORK=$(mktemp -d /tmp/cmfa-audit-bench-XXXXXX)
PEER_PID=""
RULES_PID=""
cleanup() {
  for pid in $PEER_PID $RULES_PID; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

mkdir -p "$WORK/home"
export HOME="$WORK/home" AWS_ACCESS_KEY_ID=AKIDBENCH AWS_SECRET_ACCESS_KEY=benchSecretKey
export AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE
export LUA_PATH="$ROOT/lua/?.lua;$ROOT/lua/?/init.lua;;"
export LUA_CPATH="$BUILD/$FLAVOUR/?.so;;"

python3 tools/peer.py serve moto >"$WORK/peer.json" 2>"$WORK/peer.err" &
PEER_PID=$!
for _ in $(seq 1 300); do
  [ -s "$WORK/peer.json" ] && break
  sleep 0.1
done
if [ ! -s "$WORK/peer.json" ]; then
  echo "moto did not start:" >&2
  cat "$WORK/peer.err" >&2
  exit 1
fi
ENDPOINT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["endpoint"])' "$WORK/peer.json")

cat >"$WORK/driver.lua" <<'LUA'
local cognito_mfa = require "cognito_mfa"
local policy = require "cognito_mfa.policy"
local workflow = require "cognito_mfa.workflow"

local endpoint, pools, rounds = arg[1], tonumber(arg[2]), tonumber(arg[3])
local levels = {}
for n in arg[4]:gmatch("%d+") do levels[#levels + 1] = tonumber(n) end
local label, warm_up = arg[5], arg[6] == "1"

-- wall clock with sub-second resolution (plain Lua has none)
local function now()
  local h = assert(io.popen("date +%s.%N"))
  local t = h:read("*n")
  h:close()
  return t
end

local client = assert(cognito_mfa.client { endpoint_url = endpoint, region = "us-east-1" })

-- The pools: OFF, ON+TOTP, OPTIONAL+SMS, ON+SMS+TOTP, OPTIONAL+TOTP in turn.
local SMS = {
  SmsAuthenticationMessage = "Your code is {####}",
  SmsConfiguration = { SnsCallerArn = "arn:aws:iam::123456789012:role/sms", ExternalId = "bench" },
}
local MIX = {
  false,
  { MfaConfiguration = "ON", SoftwareTokenMfaConfiguration = { Enabled = true } },
  { MfaConfiguration = "OPTIONAL", SmsMfaConfiguration = SMS },
  { MfaConfiguration = "ON", SmsMfaConfiguration = SMS, SoftwareTokenMfaConfiguration = { Enabled = true } },
  { MfaConfiguration = "OPTIONAL", SoftwareTokenMfaConfiguration = { Enabled = true } },
}
io.stderr:write(("creating %d pools on %s ...\n"):format(pools, endpoint))
local t0 = now()
local creates = {}
for i = 1, pools do creates[i] = { PoolName = ("bench-%04d"):format(i) } end
local outs, errs = assert(client:call_many("CreateUserPool", creates, 8))
local sets = {}
for i = 1, pools do
  assert(outs[i], errs[i])
  local config = MIX[i % #MIX + 1]
  if config then
    local p = workflow.deep_copy(config)
    p.UserPoolId = outs[i].UserPool.Id
    sets[#sets + 1] = p
  end
end
local souts, serrs = client:call_many("SetUserPoolMfaConfig", sets, 8)
for i = 1, #sets do assert(souts[i], serrs[i]) end
io.stderr:write(("created in %.1f s\n\n"):format(now() - t0))

local function median(list)
  table.sort(list)
  return list[math.floor((#list + 1) / 2)]
end

local function timed(fn)
  if warm_up then
    fn() -- warm-up (connection, server caches)
  end
  local times = {}
  for r = 1, rounds do
    local start = now()
    fn()
    times[r] = now() - start
  end
  return median(times)
end

local rules = policy.baseline()
local rows = {}
for _, n in ipairs(levels) do
  local failed
  local secs = timed(function()
    local report = assert(client:audit { concurrency = n, rules = rules })
    assert(#report.pools >= pools, "audit saw " .. #report.pools .. " pools")
    failed = report.failed_count
  end)
  rows[#rows + 1] = { label = ("audit, concurrency %d"):format(n), n = n, secs = secs, failed = failed }
end
local loop_secs = timed(function()
  for p in client:user_pools() do
    local config = workflow.normalize(assert(client:get_user_pool_mfa_config { UserPoolId = assert(p).Id }))
    policy.evaluate(config, rules, { id = p.Id, name = p.Name })
  end
end)
rows[#rows + 1] = { label = "plain loop (get, evaluate)", secs = loop_secs }

local serial
for _, r in ipairs(rows) do
  if r.n == 1 then serial = r.secs end
end
serial = serial or rows[1].secs
print(("audit of %d pools against %s, %s, median of %d run(s)"):format(pools, label, _VERSION
  .. (jit and (" / " .. jit.version) or ""), rounds))
print(("%-30s %10s %12s %16s"):format("", "seconds", "pools/s", "ratio to serial"))
for _, r in ipairs(rows) do
  print(("%-30s %10.3f %12.0f %15.2fx"):format(r.label, r.secs, pools / r.secs, serial / r.secs))
end
if rows[1].failed then
  print(("(%d of %d pools fail the baseline)"):format(rows[1].failed, pools))
end
client:close()
LUA

"$LUA" "$WORK/driver.lua" "$ENDPOINT" "$POOLS" "$ROUNDS" "$CONCURRENCY" "moto $(python3 -c "import moto; print(moto.__version__)") (one Python process)" 1

if [ "$LATENCY_MS" != "0" ]; then
  echo
  python3 tools/aws_rules_server.py --port 0 --latency-ms "$LATENCY_MS" >"$WORK/rules.port" 2>"$WORK/rules.err" &
  RULES_PID=$!
  for _ in $(seq 1 100); do
    [ -s "$WORK/rules.port" ] && break
    sleep 0.1
  done
  RULES_ENDPOINT="http://127.0.0.1:$(head -n1 "$WORK/rules.port")"
  "$LUA" "$WORK/driver.lua" "$RULES_ENDPOINT" "$POOLS" 1 "$CONCURRENCY" \
    "tools/aws_rules_server.py with ${LATENCY_MS} ms latency per answer" 0
fi
