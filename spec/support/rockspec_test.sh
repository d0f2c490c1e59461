#!/usr/bin/env bash
# Builds the rock from a clean copy of the checkout into a temporary tree with
#   luarocks --lua-version 5.4 make --tree TREE rockspec/cognito-mfa-scm-1.rockspec
# and requires the installed module from that tree. No network: the rock depends on Lua only,
# and any download attempt would go to a closed loopback port and fail at once.
#
# usage: spec/support/rockspec_test.sh [LUA_VERSION [LUA]]   (defaults: 5.4 lua5.4)
set -euo pipefail

lua_version=${1:-5.4}
lua=${2:-lua$lua_version}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/cmfa-rock.XXXXXX")
trap 'rm -rf "$work"' EXIT

command -v luarocks >/dev/null || { echo "rockspec_test: luarocks not found" >&2; exit 2; }

# A clean checkout: the files git knows (committed or not yet, minus ignored ones), so no build
# folder or installed dependency of this working copy leaks into the build.
mkdir -p "$work/src" "$work/home"
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  (cd "$root" && git ls-files -z --cached --others --exclude-standard) |
    (cd "$root" && xargs -0 cp --parents -t "$work/src" 2>/dev/null || true)
else
  (cd "$root" && tar --exclude='./build*' --exclude='./.deps' -cf - .) | (cd "$work/src" && tar -xf -)
fi
[ -f "$work/src/rockspec/cognito-mfa-scm-1.rockspec" ] || { echo "rockspec_test: copy failed" >&2; exit 1; }

tree="$work/tree"
(
  cd "$work/src"
  env -u LD_PRELOAD HOME="$work/home" http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 \
    luarocks --lua-version "$lua_version" make --tree "$tree" rockspec/cognito-mfa-scm-1.rockspec
)

lmod="$tree/share/lua/$lua_version"
cmod="$tree/lib/lua/$lua_version"
[ -f "$cmod/cognito_mfa/core.so" ] || { echo "rockspec_test: $cmod/cognito_mfa/core.so missing" >&2; exit 1; }
[ -f "$lmod/cognito_mfa/init.lua" ] || { echo "rockspec_test: $lmod/cognito_mfa/init.lua missing" >&2; exit 1; }
# only the module belongs in the C module folder (no libcmfa.so, no pkgconfig)
extra=$(cd "$cmod" && find . -type f ! -path ./cognito_mfa/core.so)
[ -z "$extra" ] || { echo "rockspec_test: unexpected files in $cmod: $extra" >&2; exit 1; }
[ -x "$tree/bin/cognito-mfa" ] || { echo "rockspec_test: $tree/bin/cognito-mfa missing" >&2; exit 1; }

# From a neutral folder, so nothing of the checkout can be picked up by accident.
cd "$work/home"
env -u LD_PRELOAD -u LUA_PATH -u LUA_CPATH -u LUA_PATH_5_4 -u LUA_CPATH_5_4 "$lua" -e "
  package.path = '$lmod/?.lua;$lmod/?/init.lua'
  package.cpath = '$cmod/?.so'
  local m = require 'cognito_mfa'
  assert(m.VERSION and m.VERSION:match('^%d+%.%d+%.%d+\$'), 'no VERSION')
  assert(package.searchpath('cognito_mfa.core', package.cpath):find('$cmod', 1, true))
  local ok, err = m.validate('GetUserPoolMfaConfig', { UserPoolId = 'us-east-1_Ab12' })
  assert(ok, tostring(err))
  local client = assert(m.client { region = 'us-east-1',
    credentials = { access_key_id = 'AKID', secret_access_key = 'secret' } })
  print('rockspec_test: OK: cognito_mfa ' .. m.VERSION .. ' from ' .. package.searchpath('cognito_mfa', package.path))
  client:close()
"
