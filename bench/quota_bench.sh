#!/usr/bin/env bash
# Fleet audit against a request-rate quota: POOLS pools (default 1000) spread over ACCOUNTS access
# keys (default 10) x 2 regions on tools/quota_server.py, which enforces RATE requests per second
# (default 15, Cognito's figure; burst = RATE) per access key and region, as the service does per
# account and region.
#
# What it measures: the multi-account fleet audit is not built yet, so each of the 20
# account-regions is audited by its own Lua process (one client, client:audit{ concurrency = C },
# default retry mode: the audit's adaptive twin), all 20 processes at once. The ideal is the
# quota's pace: the busiest account-region's admitted requests / RATE (the account-regions run
# side by side, each under its own quota). It prints each process's pools, pools in error and
# seconds, then the wall time of the whole fleet against that ideal (goal: ideal / wall >= 0.8),
# and, when boto3 is importable, a serial boto3 loop over the same fleet (one client per
# account-region, retry mode adaptive, max_attempts 5: ListUserPools pages, GetUserPoolMfaConfig
# per pool, DescribeUserPool where email MFA is on, one request after another) side by side.
# Figures only; asserts nothing.
#
#   bench/quota_bench.sh [POOLS [ACCOUNTS]]
#
# Environment: CMFA_BUILD_DIR (default ./build), CMFA_LUA (lua5.4 or luajit; default lua5.4),
# CMFA_BENCH_RATE (default 15), CMFA_BENCH_CONCURRENCY (default 16), CMFA_BENCH_MAX_RATE (the
# clients' max_rate, default none: adaptive mode finds the rate alone), CMFA_BENCH_BOTO3 (0 skips
# the boto3 loop, which takes about as long as the fleet's requests at RATE one account-region
# after another: some 80 s with the defaults). Loopback only; the server started here is stopped
# by its pid.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

POOLS=${1:-1000}
ACCOUNTS=${2:-10}
REGIONS="us-east-1 eu-west-1"
LUA=${CMFA_LUA:-lua5.4}
BUILD=${CMFA_BUILD_DIR:-$ROOT/build}
RATE=${CMFA_BENCH_RATE:-15}
CONCURRENCY=${CMFA_BENCH_CONCURRENCY:-16}
MAX_RATE=${CMFA_BENCH_MAX_RATE:-}
case "$LUA" in *luajit*) FLAVOUR=luajit ;; *) FLAVOUR=lua5.4 ;; esac
NKEYS=$((ACCOUNTS * 2))
PER=$(((POOLS + NKEYS - 1) / NKEYS))   # pools per account-region

if [ ! -f "$BUILD/$FLAVOUR/cognito_mfa/core.so" ]; then
  echo "no C module at $BUILD/$FLAVOUR/cognito_mfa/core.so: build first (cmake -S . -B build && cmake --build build)" >&2
  exit 1
fi

WORK=$(mktemp -d /tmp/cmfa-quota-bench-XXXXXX)
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

mkdir -p "$WORK/home"
export HOME="$WORK/home" AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE AWS_RETRY_MODE AWS_MAX_ATTEMPTS
export LUA_PATH="$ROOT/lua/?.lua;$ROOT/lua/?/init.lua;;"
export LUA_CPATH="$BUILD/$FLAVOUR/?.so;;"

python3 tools/quota_server.py --port 0 --rate "$RATE" --pools "$PER" >"$WORK/port" &
SERVER_PID=$!
for _ in $(seq 1 100); do
  [ -s "$WORK/port" ] && break
  sleep 0.1
done
PORT=$(head -1 "$WORK/port")
[ -n "$PORT" ] || { echo "quota server did not start" >&2; exit 1; }
ENDPOINT="http://127.0.0.1:$PORT"

now() { date +%s.%N; }
reset() { curl -sS -X POST "$ENDPOINT/__reset" >/dev/null; }

cat >"$WORK/audit.lua" <<'EOF'
local cognito_mfa = require "cognito_mfa"
local endpoint, key, region, concurrency, max_rate = arg[1], arg[2], arg[3], tonumber(arg[4]), tonumber(arg[5])
local function now()
  local h = io.popen("date +%s.%N"); local t = tonumber(h:read("*l")); h:close(); return t
end
local client = assert(cognito_mfa.client {
  endpoint_url = endpoint, region = region, max_rate = max_rate,
  credentials = { access_key_id = key, secret_access_key = "benchSecretKey" },
})
local t0 = now()
local report, err = client:audit { concurrency = concurrency }
local seconds = now() - t0
if not report then
  print(string.format("%s/%s failed: %s", key, region, tostring(err)))
  os.exit(1)
end
print(string.format("%-14s %-10s %5d %6d %8.2f %9.2f", key, region, #report.pools,
  report.error_count, seconds, client:adaptive():send_rate()))
EOF

echo "quota: $RATE requests/s per access key and region (burst $RATE); $NKEYS account-regions x $PER pools; $LUA, concurrency $CONCURRENCY"
echo
echo "cognito-mfa: $NKEYS Lua processes at once, one client:audit each${MAX_RATE:+, max_rate $MAX_RATE}"
printf '%-14s %-10s %5s %6s %8s %9s\n' "access key" region pools errors seconds send_rate
reset
T0=$(now)
pids=()
i=0
for a in $(seq -w 1 "$ACCOUNTS"); do
  for r in $REGIONS; do
    "$LUA" "$WORK/audit.lua" "$ENDPOINT" "AKIDBENCH$a" "$r" "$CONCURRENCY" "$MAX_RATE" >"$WORK/out.$i" 2>&1 &
    pids+=($!)
    i=$((i + 1))
  done
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
T1=$(now)
cat "$WORK"/out.*
curl -sS "$ENDPOINT/__stats" >"$WORK/stats.json"
cat "$WORK"/out.* >"$WORK/outs"
python3 - "$WORK/stats.json" "$T0" "$T1" "$RATE" "$WORK/outs" <<'EOF'
import json, sys
st = json.load(open(sys.argv[1]))
wall = float(sys.argv[3]) - float(sys.argv[2])
rate = float(sys.argv[4])
busiest = max(k["admitted"] for k in st["keys"].values())
ideal = busiest / rate
pools = sum(1 for _ in st["keys"])
print()
print("fleet: %.2f s wall; %d requests admitted, %d throttled answers; ideal (quota's pace of the "
      "busiest account-region, %d requests at %g/s) %.2f s; ideal / wall = %.2f (goal >= 0.8)"
      % (wall, st["admitted"], st["throttled"], busiest, rate, ideal, ideal / wall))
slowest = max(float(line.split()[4]) for line in open(sys.argv[5]) if len(line.split()) == 6)
print("slowest single audit (without process start-up): %.2f s; ideal / slowest = %.2f"
      % (slowest, ideal / slowest))
open(sys.argv[1] + ".wall", "w").write("%.2f %.2f\n" % (wall, ideal))
EOF
[ "$status" = 0 ] || echo "(some audit process failed: see above)"

if [ "${CMFA_BENCH_BOTO3:-1}" != 0 ] && python3 -c "import boto3" 2>/dev/null; then
  echo
  echo "boto3: one request after another over the same fleet (retry mode adaptive, max_attempts 5)"
  reset
  python3 - "$ENDPOINT" "$ACCOUNTS" "$REGIONS" "$RATE" "$WORK/boto3.wall" <<'EOF'
import sys, time
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
endpoint, accounts, regions, rate = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(), float(sys.argv[4])
t0 = time.monotonic()
pools = errors = requests = 0
for a in range(1, accounts + 1):
    for region in regions:
        c = boto3.client("cognito-idp", endpoint_url=endpoint, region_name=region,
                         aws_access_key_id="AKIDBOTO%02d" % a, aws_secret_access_key="benchSecretKey",
                         config=Config(retries={"mode": "adaptive", "max_attempts": 5}))
        ids = []
        for page in c.get_paginator("list_user_pools").paginate(MaxResults=60):
            requests += 1
            ids += [p["Id"] for p in page["UserPools"]]
        for pid in ids:
            pools += 1
            try:
                cfg = c.get_user_pool_mfa_config(UserPoolId=pid)
                requests += 1
                if "EmailMfaConfiguration" in cfg:
                    c.describe_user_pool(UserPoolId=pid)
                    requests += 1
            except ClientError:
                errors += 1
wall = time.monotonic() - t0
open(sys.argv[5], "w").write("%.2f\n" % wall)
print("boto3 serial: %.2f s wall for %d pools (%d in error), %d requests; the same requests at "
      "%g/s one account-region after another: %.2f s" % (wall, pools, errors, requests, rate, requests / rate))
EOF
  read -r WALL IDEAL <"$WORK/stats.json.wall" || true
  read -r BOTO <"$WORK/boto3.wall" || true
  echo
  printf '%-40s %10s %14s\n' "" "wall (s)" "ideal / wall"
  printf '%-40s %10s %14s\n' "cognito-mfa, 20 account-regions at once" "$WALL" \
    "$(python3 -c "print('%.2f' % ($IDEAL / $WALL))")"
  printf '%-40s %10s %14s\n' "boto3, serial" "$BOTO" "$(python3 -c "print('%.2f' % ($IDEAL / $BOTO))")"
  echo "cognito-mfa is $(python3 -c "print('%.1f' % ($BOTO / $WALL))") times faster than the serial boto3 loop"
fi
