#!/usr/bin/env bash
# Wall time and peak memory of `cognito-mfa get-user-pool-mfa-config` against a local moto
# server, repeated N times, next to the AWS CLI's (/usr/bin/aws) on the same pool, with the
# ratio. Prints figures only; asserts nothing.
#
#   bench/cli_bench.sh [N]          N calls per tool (default 20)
#
# Environment: CMFA_BUILD_DIR (default ./build), CMFA_LUA (lua5.4 or luajit; default lua5.4),
# CMFA_AWS_CLI (default /usr/bin/aws). Uses hyperfine when installed, else a shell loop;
# peak memory from /usr/bin/time -v when installed, else from getrusage through python3.
# Everything stays on loopback; only the moto server started here is stopped (by its pid).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

N=${1:-20}
LUA=${CMFA_LUA:-lua5.4}
BUILD=${CMFA_BUILD_DIR:-$ROOT/build}
case "$LUA" in *luajit*) FLAVOUR=luajit ;; *) FLAVOUR=lua5.4 ;; esac
AWS=${CMFA_AWS_CLI:-/usr/bin/aws}

if [ ! -f "$BUILD/$FLAVOUR/cognito_mfa/core.so" ]; then
  echo "no C module at $BUILD/$FLAVOUR/cognito_mfa/core.so: build first (cmake -S . -B build && cmake --build build)" >&2
  exit 1
fi

WORK=$(mktemp -d /tmp/cmfa-bench-XXXXXX)
PEER_PID=""
cleanup() {
  if [ -n "$PEER_PID" ]; then
    kill "$PEER_PID" 2>/dev/null || true
    wait "$PEER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# A clean environment for both tools: temp HOME, fixed credentials, no instance metadata.
mkdir -p "$WORK/home"
export HOME="$WORK/home" AWS_ACCESS_KEY_ID=AKIDBENCH AWS_SECRET_ACCESS_KEY=benchSecretKey
export AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true AWS_PAGER=""
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE
export LUA_PATH="$ROOT/lua/?.lua;$ROOT/lua/?/init.lua;;"
export LUA_CPATH="$BUILD/$FLAVOUR/?.so;;"

python3 tools/peer.py serve moto >"$WORK/peer.json" 2>"$WORK/peer.err" &
PEER_PID=$!
for _ in $(seq 1 300); do
  [ -s "$WORK/peer.json" ] && break
  sleep 0.1
done
ENDPOINT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["endpoint"])' "$WORK/peer.json")

POOL=$(CMFA_BENCH_ENDPOINT="$ENDPOINT" "$LUA" -e '
  local c = require "cognito_mfa"
  local client = assert(c.client { endpoint_url = assert(os.getenv("CMFA_BENCH_ENDPOINT")) })
  local out = assert(client:call("CreateUserPool", { PoolName = "bench" }))
  local id = out.UserPool.Id
  assert(client:set_user_pool_mfa_config { UserPoolId = id, MfaConfiguration = "OPTIONAL",
    SoftwareTokenMfaConfiguration = { Enabled = true } })
  print(id)')

CMFA=("$LUA" "$ROOT/bin/cognito-mfa" --endpoint-url "$ENDPOINT" get-user-pool-mfa-config --user-pool-id "$POOL")
AWSCMD=("$AWS" --endpoint-url "$ENDPOINT" cognito-idp get-user-pool-mfa-config --user-pool-id "$POOL")

have_aws=0
[ -x "$AWS" ] && have_aws=1

# Mean wall seconds per call over N calls (after one warm-up call).
wall() {
  "$@" >/dev/null
  if command -v hyperfine >/dev/null 2>&1; then
    local q
    q=$(printf '%q ' "$@")
    hyperfine -N --runs "$N" --warmup 1 --export-json "$WORK/hf.json" "$q" >/dev/null 2>&1 || true
    if [ -s "$WORK/hf.json" ]; then
      python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%.4f %.4f" % (r["mean"], r["stddev"] or 0))' "$WORK/hf.json"
      rm -f "$WORK/hf.json"
      return
    fi
  fi
  local start end
  start=$(date +%s.%N)
  for _ in $(seq 1 "$N"); do "$@" >/dev/null; done
  end=$(date +%s.%N)
  python3 -c 'import sys; print("%.4f -" % ((float(sys.argv[2]) - float(sys.argv[1])) / int(sys.argv[3])))' "$start" "$end" "$N"
}

# Peak resident memory (KiB) of one call.
peak() {
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -v "$@" 2>"$WORK/time.txt" >/dev/null
    sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$WORK/time.txt"
  else
    python3 -c '
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=False)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$@"
  fi
}

echo "cognito-mfa CLI benchmark: get-user-pool-mfa-config against moto at $ENDPOINT, $N calls per tool"
echo "  cognito-mfa: $("$LUA" "$ROOT/bin/cognito-mfa" --version) ($LUA, $BUILD/$FLAVOUR)"
if [ $have_aws = 1 ]; then
  echo "  aws:         $("$AWS" --version 2>&1)"
else
  echo "  aws:         not installed ($AWS); Debian package awscli"
fi
if command -v hyperfine >/dev/null 2>&1; then echo "  timing:      hyperfine"; else echo "  timing:      shell loop (hyperfine not installed)"; fi
echo

read -r c_mean c_sd <<<"$(wall "${CMFA[@]}")"
c_mem=$(peak "${CMFA[@]}")
printf '%-14s %14s %10s %16s\n' tool "mean wall (s)" "stddev" "peak RSS (KiB)"
printf '%-14s %14s %10s %16s\n' cognito-mfa "$c_mean" "$c_sd" "$c_mem"
if [ $have_aws = 1 ]; then
  read -r a_mean a_sd <<<"$(wall "${AWSCMD[@]}")"
  a_mem=$(peak "${AWSCMD[@]}")
  printf '%-14s %14s %10s %16s\n' aws "$a_mean" "$a_sd" "$a_mem"
  echo
  python3 -c 'import sys; a,c,am,cm = map(float, sys.argv[1:5]); print("ratio aws / cognito-mfa: wall %.1fx, peak memory %.1fx" % (a / c, am / cm))' \
    "$a_mean" "$c_mean" "$a_mem" "$c_mem"
fi
