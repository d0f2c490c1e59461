#!/usr/bin/env bash
# Installs libcmfa into a temporary prefix, builds the README's C example against it with
# pkg-config, and runs it against moto (this script runs under tools/peer.py run moto).
set -euo pipefail
build=$1 src=$2
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
libdir=$(find "$prefix" -name cmfa.pc -printf '%h\n' | head -n1)
export PKG_CONFIG_PATH=$libdir
test -f "$prefix/include/cmfa/cmfa.h"
cc -Wall -Wextra -Werror "$src/examples/c/read_mfa.c" $(pkg-config --cflags --libs cmfa) \
   -Wl,-rpath,"$(pkg-config --variable=libdir cmfa)" -o "$prefix/read_mfa"
# only cmfa_* symbols are exported from the shared library
if nm -D --defined-only "$(pkg-config --variable=libdir cmfa)/libcmfa.so" | awk '{print $3}' | grep -v '^cmfa_' | grep -q .; then
  echo "libcmfa.so exports symbols without the cmfa_ prefix" >&2; exit 1
fi
pool=$(curl -s -X POST "$CMFA_TEST_ENDPOINT/" \
  -H 'Content-Type: application/x-amz-json-1.1' \
  -H 'X-Amz-Target: AWSCognitoIdentityProviderService.CreateUserPool' \
  -d '{"PoolName":"example"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["UserPool"]["Id"])')
out=$(AWS_ENDPOINT_URL="$CMFA_TEST_ENDPOINT" AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=AKIDEXAMPLE \
      AWS_SECRET_ACCESS_KEY=example AWS_EC2_METADATA_DISABLED=true "$prefix/read_mfa" "$pool")
echo "$out"
grep -q '^MFA is OFF$' <<<"$out"
grep -q '"MfaConfiguration":[[:space:]]*"OFF"' <<<"$out"
# a bad pool id is refused with a validation error naming the field
if AWS_ENDPOINT_URL="$CMFA_TEST_ENDPOINT" AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=AKIDEXAMPLE \
   AWS_SECRET_ACCESS_KEY=example "$prefix/read_mfa" "bad id" 2>"$prefix/err"; then
  echo "bad id accepted" >&2; exit 1
fi
grep -q 'validation error: .*UserPoolId' "$prefix/err"
echo "install example: ok"
