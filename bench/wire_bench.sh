#!/usr/bin/env bash
# Speed on the wire (issue 9): the project's client next to a plain HTTP tool making the same
# POST (method, path, headers, body: the client's own GetUserPoolMfaConfig request, signed once)
# against the same loopback nginx (bench/nginx/static.conf: a fixed answer from a static
# `return`), measured side by side in one run. Prints figures and ratios; asserts nothing.
#
# 1. In-process: client:get_user_pool_mfa_config in a loop for WIRE_SECONDS on one keep-alive
#    connection (lua5.4, luajit), then `wrk -c1 -t1` for as long, WIRE_REPEAT times in turn (so
#    a change in the machine's load hits both); the median ratio. Goal: ratio >= 0.65.
# 2. One CLI call: `cognito-mfa get-user-pool-mfa-config` against `curl -K` with the same POST:
#    wall time with hyperfine (CLI_RUNS runs, warm-up 3), peak RSS with /usr/bin/time -f %M
#    (median of MEM_RUNS). Goals: time <= 1.3x curl, memory <= 1.15x curl.
# 3. A batch: client:call_many of BATCH_CALLS calls at concurrency BATCH_CONCURRENCY (median of
#    BATCH_ROUNDS) against `wrk -c BATCH_CONCURRENCY -t2` for BATCH_WRK_SECONDS, as rates.
#
#   bench/wire_bench.sh
#
# Environment: WIRE_SECONDS (5), WIRE_REPEAT (3), CLI_RUNS (50), MEM_RUNS (5), BATCH_CALLS (1000),
# BATCH_CONCURRENCY (32), BATCH_ROUNDS (5), BATCH_WRK_SECONDS (5), WIRE_FLAVOURS
# ("lua5.4 luajit"), WIRE_PARTS ("loop cli batch"), CMFA_BUILD_DIR (./build). Needs nginx, wrk,
# hyperfine, curl and /usr/bin/time (Debian: time). Only the nginx started here is stopped.
# Exits 1 when a call failed or a figure could not be measured; timings are never judged.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh

WIRE_SECONDS=${WIRE_SECONDS:-5}
WIRE_REPEAT=${WIRE_REPEAT:-3}
CLI_RUNS=${CLI_RUNS:-50}
MEM_RUNS=${MEM_RUNS:-5}
BATCH_CALLS=${BATCH_CALLS:-1000}
BATCH_CONCURRENCY=${BATCH_CONCURRENCY:-32}
BATCH_ROUNDS=${BATCH_ROUNDS:-5}
BATCH_WRK_SECONDS=${BATCH_WRK_SECONDS:-5}
WIRE_FLAVOURS=${WIRE_FLAVOURS:-lua5.4 luajit}
WIRE_PARTS=${WIRE_PARTS:-loop cli batch}
ANSWER=bench/nginx/answer.json
POOL=us-east-1_BenchPool1

for tool in wrk hyperfine curl; do
  command -v "$tool" >/dev/null 2>&1 || { echo "$tool is needed (Debian package $tool)" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed (Debian package time)" >&2; exit 1; }

bench_init
failures=0
# a measurement that did not happen or calls that failed: correctness, not speed
check() {   # what value
  case "$2" in
    ''|n/a|*[!0-9.]*) echo "FAIL: $1: no figure ('$2')"; failures=$((failures + 1)) ;;
  esac
}
[ -z "$BENCH_ASAN" ] || echo "warning: $BUILD is a sanitizer build: figures are not representative" >&2

# key=value from a driver's RESULT line
result() {
  sed -n 's/^RESULT //p' | tr ' ' '\n' | sed -n "s/^$1=//p"
}
wrk_rate() {
  sed -n 's/^Requests\/sec:[[:space:]]*//p' "$1"
}
median() {
  sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print 0 }'
}
ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'
}

echo "bench/wire_bench.sh: $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(bench_load)"
echo "nginx $(/usr/sbin/nginx -v 2>&1 | sed -n 's|.*nginx/||p'), $(wrk -v 2>&1 | head -n1 | cut -d' ' -f1-2),"\
  "$(hyperfine --version), $(curl --version | head -n1 | cut -d' ' -f1-2), build $BUILD"

nginx_start STATIC bench/nginx/static.conf ANSWER=@$ANSWER
URL=$STATIC_URL
bench_lua lua5.4 bench/lua/driver.lua wrk-script "$URL" "$WORK/post.lua"
bench_lua lua5.4 bench/lua/driver.lua curl-config "$URL" "$WORK/post.curl"
echo "endpoint $URL (nginx, 1 worker, static answer of $(wc -c <"$ANSWER") bytes)"

# ---------------------------------------------------------------------------------------------
part_loop() {
  echo
  echo "== 1. in-process calls/s on one keep-alive connection: ${WIRE_SECONDS} s, then wrk -c1 -t1 for as long, $WIRE_REPEAT times =="
  printf '%-34s %12s %12s %8s\n' "" "calls/s" "wrk -c1 -t1" ratio
  local flavour out rate wrate errors r ratios
  for flavour in $WIRE_FLAVOURS; do
    ratios=""
    for r in $(seq 1 "$WIRE_REPEAT"); do
      out=$(bench_lua "$flavour" bench/lua/driver.lua loop "$URL" "$WIRE_SECONDS")
      rate=$(result rate <<<"$out")
      errors=$(result errors <<<"$out")
      wrk -c1 -t1 -d "${WIRE_SECONDS}s" -s "$WORK/post.lua" "$URL/" >"$WORK/wrk1.txt" 2>&1
      wrate=$(wrk_rate "$WORK/wrk1.txt")
      check "$flavour loop calls/s" "$rate"
      check "wrk -c1 requests/s" "$wrate"
      [ "$errors" = 0 ] || { echo "FAIL: $flavour loop: $errors calls failed"; failures=$((failures + 1)); }
      ratios="$ratios $(ratio "$rate" "$wrate")"
      printf '%-34s %12.0f %12.0f %8s%s\n' "$flavour get_user_pool_mfa_config ($r)" "$rate" "$wrate" \
        "$(ratio "$rate" "$wrate")" "$([ "$errors" = 0 ] || echo "  ($errors failed calls)")"
    done
    printf '%-34s %12s %12s %8s\n' "$flavour median ratio" "" "" "$(tr ' ' '\n' <<<"$ratios" | grep . | median)"
  done
  echo "(goal: ratio >= 0.65)"
}

# ---------------------------------------------------------------------------------------------
peak_kb() {   # median peak RSS (KiB) of MEM_RUNS runs
  local i
  for i in $(seq 1 "$MEM_RUNS"); do
    /usr/bin/time -f %M -o "$WORK/time.txt" "$@" >/dev/null 2>&1 || true
    tail -n1 "$WORK/time.txt"
  done | median
}

part_cli() {
  echo
  echo "== 2. one CLI call against curl making the same POST (hyperfine, $CLI_RUNS runs; peak RSS median of $MEM_RUNS) =="
  printf '%-24s %12s %10s %14s\n' "" "mean (ms)" "stddev" "peak RSS (KiB)"
  local flavour cli_time curl_time cli_sd curl_sd cli_mem curl_mem out
  curl_mem=$(peak_kb curl -K "$WORK/post.curl")
  for flavour in $WIRE_FLAVOURS; do
    local cli=("$flavour" "$ROOT/bin/cognito-mfa" --endpoint-url "$URL" get-user-pool-mfa-config --user-pool-id "$POOL")
    export LUA_PATH="$ROOT/lua/?.lua;$ROOT/lua/?/init.lua;;" LUA_CPATH="$BUILD/$flavour/?.so;;"
    out=$("${cli[@]}")
    if ! grep -q '"MfaConfiguration": *"ON"' <<<"$out"; then
      echo "the CLI did not print the configuration: $out" >&2
      exit 1
    fi
    hyperfine -N --warmup 3 --runs "$CLI_RUNS" --export-json "$WORK/hf.json" \
      "$(printf '%q ' "${cli[@]}")" "curl -K $WORK/post.curl" >/dev/null 2>"$WORK/hf.err" || {
      cat "$WORK/hf.err" >&2
      exit 1
    }
    read -r cli_time cli_sd curl_time curl_sd < <(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"]
print(" ".join("%.2f %.2f" % (x["mean"] * 1000, (x["stddev"] or 0) * 1000) for x in r))' "$WORK/hf.json")
    cli_mem=$(peak_kb "${cli[@]}")
    check "cognito-mfa ($flavour) time" "$cli_time"
    check "curl time" "$curl_time"
    check "cognito-mfa ($flavour) peak RSS" "$cli_mem"
    check "curl peak RSS" "$curl_mem"
    unset LUA_PATH LUA_CPATH
    printf '%-24s %12s %10s %14s\n' "cognito-mfa ($flavour)" "$cli_time" "$cli_sd" "$cli_mem"
    printf '%-24s %12s %10s %14s\n' "curl" "$curl_time" "$curl_sd" "$curl_mem"
    printf '%-24s %12s %10s %14s\n' "ratio cognito-mfa/curl" "$(ratio "$cli_time" "$curl_time")" "" "$(ratio "$cli_mem" "$curl_mem")"
  done
  echo "(goals: time <= 1.3x curl, memory <= 1.15x curl)"
}

# ---------------------------------------------------------------------------------------------
part_batch() {
  echo
  echo "== 3. batch: call_many of $BATCH_CALLS calls at concurrency $BATCH_CONCURRENCY (median of $BATCH_ROUNDS) against wrk -c$BATCH_CONCURRENCY -t2 (${BATCH_WRK_SECONDS} s) =="
  printf '%-28s %12s %12s %8s\n' "" "calls/s" "wrk req/s" ratio
  local flavour out rate wrate errors
  for flavour in $WIRE_FLAVOURS; do
    out=$(bench_lua "$flavour" bench/lua/driver.lua batch "$URL" "$BATCH_CALLS" "$BATCH_CONCURRENCY" "$BATCH_ROUNDS")
    rate=$(result rate <<<"$out")
    errors=$(result errors <<<"$out")
    wrk -c "$BATCH_CONCURRENCY" -t2 -d "${BATCH_WRK_SECONDS}s" -s "$WORK/post.lua" "$URL/" >"$WORK/wrk32.txt" 2>&1
    wrate=$(wrk_rate "$WORK/wrk32.txt")
    check "$flavour call_many calls/s" "$rate"
    check "wrk -c$BATCH_CONCURRENCY requests/s" "$wrate"
    [ "$errors" = 0 ] || { echo "FAIL: $flavour call_many: $errors calls failed"; failures=$((failures + 1)); }
    printf '%-28s %12.0f %12.0f %8s%s\n' "$flavour call_many" "$rate" "$wrate" "$(ratio "$rate" "$wrate")" \
      "$([ "$errors" = 0 ] || echo "  ($errors failed calls)")"
  done
}

for part in $WIRE_PARTS; do
  case "$part" in
    loop) part_loop ;;
    cli) part_cli ;;
    batch) part_batch ;;
    *) echo "unknown part $part (loop, cli, batch)" >&2; exit 2 ;;
  esac
done
echo
echo "$(bench_load) at the end"
if [ "$failures" -gt 0 ]; then
  echo "bench/wire_bench.sh: $failures measurement(s) failed"
  exit 1
fi
