#!/usr/bin/env bash
# CTest: the demo's seed and harden steps against an emulator started by tools/peer.py
# (run under `peer.py run <kind>`): exits 0, every pool passes afterwards, and the pools the
# baseline flagged were changed with a printed diff.
set -euo pipefail
build=$1
export LUA_PATH="./lua/?.lua;./lua/?/init.lua;;" LUA_CPATH="$build/lua5.4/?.so;;"
export AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=AKIDLOCALDEMO AWS_SECRET_ACCESS_KEY=local-demo-secret
export AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL="$CMFA_TEST_ENDPOINT"
lua5.4 examples/demo_seed.lua
out=$(lua5.4 examples/harden.lua --endpoint-url "$CMFA_TEST_ENDPOINT")
echo "$out"
after=$(sed -n '/^== After/,$p' <<<"$out")
test "$(grep -c ' PASS ' <<<"$after")" -eq 4
! grep -q ' FAIL ' <<<"$after"
grep -q '~ MfaConfiguration: "OFF" -> "ON"' <<<"$out"
grep -q 'applied, read back and verified' <<<"$out"
# a dry run changes nothing and says so
dry=$(lua5.4 examples/harden.lua --endpoint-url "$CMFA_TEST_ENDPOINT" --dry-run)
grep -q 'nothing to change' <<<"$dry"
echo "demo: ok"
