#!/usr/bin/env bash
# Runs spec/support/leak_driver.lua (the paths of spec/binding_leak_spec.lua) on Lua 5.4 under
# valgrind memcheck and fails when
#   - the driver fails (a path did not raise or return what it should),
#   - memcheck finds a memory error (invalid read/write, use of uninitialised memory, ...), or
#   - a "definitely lost" or "indirectly lost" record has a stack frame in the module
#     (core.so, cognito_mfa_core.c) or libcmfa (cmfa_*).
# Leaks inside the interpreter alone are reported but do not fail the run.
#
# usage: spec/support/valgrind_lua.sh BUILD_DIR [ITERATIONS] [LUA]
#   BUILD_DIR   the CMake build folder holding lua5.4/cognito_mfa/core.so
#   ITERATIONS  how often each path runs (default 10)
#   LUA         the interpreter (default lua5.4)
set -euo pipefail

build=${1:?usage: valgrind_lua.sh BUILD_DIR [ITERATIONS] [LUA]}
iterations=${2:-10}
lua=${3:-lua5.4}
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "$build" && pwd)
module="$build/lua5.4/cognito_mfa/core.so"
[ -f "$module" ] || { echo "valgrind_lua: $module not built" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "valgrind_lua: valgrind not found" >&2; exit 2; }

log=$(mktemp "${TMPDIR:-/tmp}/cmfa-valgrind.XXXXXX")
trap 'rm -f "$log"' EXIT

cd "$root"
status=0
env -u LD_PRELOAD AWS_EC2_METADATA_DISABLED=true LUA_CPATH_5_4="$build/lua5.4/?.so;;" \
  valgrind --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=none \
           --error-exitcode=99 --num-callers=50 --log-file="$log" \
           "$lua" spec/support/leak_driver.lua "$iterations" || status=$?

if [ "$status" -eq 99 ]; then
  cat "$log" >&2
  echo "valgrind_lua: FAIL: memcheck found memory errors" >&2
  exit 1
elif [ "$status" -ne 0 ]; then
  cat "$log" >&2
  echo "valgrind_lua: FAIL: the driver exited with status $status" >&2
  exit 1
fi

# Split the log into loss records and keep those of the two kinds that name the module, or
# that have frames valgrind cannot name outside the interpreter (an unloaded library: the
# module anchors itself so that this does not happen, and a leak there cannot be ruled out).
bad=$(awk '
  function judge() {
    if (rec ~ /core\.so|cognito_mfa|cmfa_/ || rec ~ /by 0x[0-9A-F]+: \?\?\?\n/) printf "%s\n", rec
    inrec = 0
  }
  /are (definitely|indirectly) lost in loss record/ { inrec = 1; rec = $0 "\n"; next }
  inrec && /^==[0-9]+== *$/ { judge(); next }
  inrec { rec = rec $0 "\n" }
  END { if (inrec) judge() }
' "$log")

grep -E "definitely lost:|indirectly lost:|ERROR SUMMARY" "$log" || true
if [ -n "$bad" ]; then
  printf '%s\n' "$bad" >&2
  echo "valgrind_lua: FAIL: memory lost from the module or libcmfa" >&2
  exit 1
fi
echo "valgrind_lua: OK: no loss record from the module or libcmfa"
