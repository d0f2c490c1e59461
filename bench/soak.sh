#!/usr/bin/env bash
# Soak and load (issue 13): prints figures; fails only on correctness (a failed or wrong call, a
# worker that died, an answer that is neither correct nor a documented error), never on timings.
#
# 1. Soak: one Lua client (libcurl transport) makes SOAK_CALLS sequential GetUserPoolMfaConfig
#    calls against a loopback nginx answering a fixed configuration (bench/nginx/static.conf),
#    in lua5.4 and luajit. Prints calls/s and resident memory per SOAK_INTERVAL calls, the growth
#    after warm-up (the first interval; goal < 1 MiB) and whether calls/s decay.
# 2. Load: the example handlers (examples/nginx/mfa_admin.lua, LOAD_WORKERS workers) with the
#    endpoint on a fault-injecting nginx (bench/nginx/faults.conf: 500, 503, throttling, closed
#    connections, stalls longer than the handlers' 10 s read timeout, truncated bodies, correct
#    answers), loaded by wrk with LOAD_CONNECTIONS connections for LOAD_SECONDS. Every answer is
#    classified (bench/wrk/classify.lua); worker pids and memory are sampled at the start, every
#    LOAD_SAMPLE_EVERY seconds and at the end.
#
#   bench/soak.sh
#
# Environment: SOAK_CALLS (1000000), SOAK_INTERVAL (100000, or SOAK_CALLS/10 when smaller),
# SOAK_FLAVOURS ("lua5.4 luajit"), LOAD_SECONDS (60), LOAD_CONNECTIONS (500), LOAD_THREADS (2),
# LOAD_WORKERS (2), LOAD_SAMPLE_EVERY (10), LOAD_MAX_ATTEMPTS (the handlers' AWS_MAX_ATTEMPTS, 3:
# retried faults mostly end as correct answers; 1: every fault reaches wrk, one answer per upstream
# attempt), SOAK_PARTS ("soak load"), CMFA_BUILD_DIR (./build).
# Needs nginx + libnginx-mod-http-lua, wrk, and both flavours of the module built. Everything
# stays on loopback; only the nginx instances started here are stopped, by pid.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh

SOAK_CALLS=${SOAK_CALLS:-1000000}
SOAK_INTERVAL=${SOAK_INTERVAL:-100000}
SOAK_FLAVOURS=${SOAK_FLAVOURS:-lua5.4 luajit}
LOAD_SECONDS=${LOAD_SECONDS:-60}
LOAD_CONNECTIONS=${LOAD_CONNECTIONS:-500}
LOAD_THREADS=${LOAD_THREADS:-2}
LOAD_WORKERS=${LOAD_WORKERS:-2}
LOAD_SAMPLE_EVERY=${LOAD_SAMPLE_EVERY:-10}
LOAD_MAX_ATTEMPTS=${LOAD_MAX_ATTEMPTS:-3}
SOAK_PARTS=${SOAK_PARTS:-soak load}
# the handlers' client reads with a 10 s timeout (examples/nginx/mfa_admin.lua)
STALL_SECONDS=11
ANSWER=bench/nginx/answer.json
POOL=us-east-1_BenchPool1

if [ $((SOAK_CALLS / 10)) -lt "$SOAK_INTERVAL" ]; then
  SOAK_INTERVAL=$((SOAK_CALLS / 10))
  [ "$SOAK_INTERVAL" -ge 1 ] || SOAK_INTERVAL=1
fi
case " $SOAK_PARTS " in *" load "*)
  command -v wrk >/dev/null 2>&1 || { echo "wrk is needed for the load part: apt-get install wrk" >&2; exit 1; } ;;
esac

bench_init
failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

echo "bench/soak.sh: $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(bench_load)"
echo "nginx $(/usr/sbin/nginx -v 2>&1 | sed -n 's|.*nginx/||p'), build $BUILD${BENCH_ASAN:+ (sanitizer build)}"

# ---------------------------------------------------------------------------------------------
soak() {
  echo
  echo "== 1. soak: $SOAK_CALLS sequential calls per interpreter, one client, loopback nginx =="
  nginx_start STATIC bench/nginx/static.conf ANSWER=@$ANSWER
  local flavour line
  for flavour in $SOAK_FLAVOURS; do
    echo
    bench_lua "$flavour" bench/lua/driver.lua soak "$STATIC_URL" "$SOAK_CALLS" "$SOAK_INTERVAL" "$ANSWER" \
      | tee "$WORK/soak-$flavour.txt"
    line=$(grep '^RESULT ' "$WORK/soak-$flavour.txt" || true)
    if [ -z "$line" ]; then
      fail "soak ($flavour): the driver printed no result"
      continue
    fi
    case "$line" in
      *" errors=0 wrong=0 "*) ;;
      *) fail "soak ($flavour): failed or wrong calls: $line" ;;
    esac
  done
  if ! nginx_trouble STATIC; then fail "soak: the upstream nginx reports trouble"; fi
}

# ---------------------------------------------------------------------------------------------
worker_table() {   # label master
  local label=$1 master=$2 pid out=""
  for pid in $(nginx_workers "$master"); do
    out="$out $pid:$(rss_kb "$pid")"
  done
  printf '%-8s %s\n' "$label" "$out"
}

load() {
  echo
  echo "== 2. load: example handlers, $LOAD_WORKERS workers, $LOAD_CONNECTIONS connections for $LOAD_SECONDS s, faults injected upstream =="
  nginx_start FAULTS bench/nginx/faults.conf WORKERS=1 STALL_SECONDS=$STALL_SECONDS
  nginx_examples EX --workers "$LOAD_WORKERS" \
    COGNITO_MFA_ENDPOINT_URL="$FAULTS_URL" AWS_MAX_ATTEMPTS="$LOAD_MAX_ATTEMPTS" \
    AWS_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID" AWS_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY"
  echo "upstream (faults) $FAULTS_URL, handlers $EX_URL/mfa/$POOL, AWS_MAX_ATTEMPTS=$LOAD_MAX_ATTEMPTS"
  echo "rotation of 20 upstream answers: 13 correct, 1 each of 500, 503 (not JSON), ThrottlingException,"
  echo "TooManyRequestsException, closed without answer, truncated body, ${STALL_SECONDS} s stall (read timeout 10 s)"
  # one request per worker's client before the first sample: modules loaded, clients made
  curl -s -o /dev/null --max-time 60 "$EX_URL/mfa/$POOL" || true
  local workers_before
  workers_before=$(nginx_workers "$EX_PID" | tr '\n' ' ')
  echo
  echo "handler workers (pid:VmRSS KiB):"
  worker_table start "$EX_PID" | tee "$WORK/rss.txt"

  CMFA_ANSWER_FILE=$ROOT/$ANSWER CMFA_CLASSIFY_OUT=$WORK/classes.txt \
    wrk -t "$LOAD_THREADS" -c "$LOAD_CONNECTIONS" -d "${LOAD_SECONDS}s" --timeout 60s \
      -s bench/wrk/classify.lua "$EX_URL/mfa/$POOL" >"$WORK/wrk.txt" 2>&1 &
  local wrk_pid=$! t=0
  while kill -0 "$wrk_pid" 2>/dev/null; do
    sleep 1
    t=$((t + 1))
    if [ $((t % LOAD_SAMPLE_EVERY)) -eq 0 ] && kill -0 "$wrk_pid" 2>/dev/null; then
      worker_table "${t}s" "$EX_PID" | tee -a "$WORK/rss.txt"
    fi
  done
  local wrk_rc=0
  wait "$wrk_pid" || wrk_rc=$?
  worker_table end "$EX_PID" | tee -a "$WORK/rss.txt"
  local workers_after
  workers_after=$(nginx_workers "$EX_PID" | tr '\n' ' ')

  echo
  sed -n '/Thread Stats/,$p' "$WORK/wrk.txt" | grep -v '^  *[0-9]*%' || true
  [ "$wrk_rc" -eq 0 ] || fail "load: wrk exited with $wrk_rc: $(cat "$WORK/wrk.txt")"
  echo
  curl -s --max-time 5 "$FAULTS_URL/__counts" | tr -d '{}" \n' | tr ',' '\n' | tr ':' ' ' >"$WORK/injected.txt" || true
  if [ ! -s "$WORK/classes.txt" ]; then
    fail "load: the wrk script wrote no classification"
  else
    local requests classified unclassified
    requests=$(awk '$1 == "requests" { print $2 }' "$WORK/classes.txt")
    classified=$(awk '$1 == "class" && $2 != "unclassified" { n += $3 } END { print n + 0 }' "$WORK/classes.txt")
    unclassified=$(awk '$1 == "class" && $2 == "unclassified" { n += $3 } END { print n + 0 }' "$WORK/classes.txt")
    echo "upstream answers injected (one per attempt) and handler answers by class (documented: 200 and"
    echo "the configuration, or 502 and {\"error\": {kind, code, ...}}):"
    printf '  %-18s %9s   %-33s %9s\n' injected attempts "answer class" answers
    awk '
      FNR == NR { injected[$1] = $2; next }
      $1 == "class" { answers[$2] = $3 }
      END {
        split("ok server_error unavailable throttling too_many_requests reset stall truncated", kinds, " ")
        split("ok service:InternalErrorException service:HttpStatus503 service:ThrottlingException service:TooManyRequestsException transport:reset transport:timeout transport:truncated", classes, " ")
        for (i = 1; i <= 8; i++) {
          printf "  %-18s %9d   %-33s %9d\n", kinds[i], injected[kinds[i]], classes[i], answers[classes[i]]
          seen[classes[i]] = 1
        }
        for (c in answers) if (!(c in seen)) printf "  %-18s %9s   %-33s %9d\n", "", "", c, answers[c]
      }' "$WORK/injected.txt" "$WORK/classes.txt"
    echo "  total answers $requests, classified $classified, unclassified $unclassified"
    awk '$1 ~ /^error_/ { sub(/^error_/, "", $1); printf "  wrk socket errors %-8s %d\n", $1, $2 }' "$WORK/classes.txt"
    grep '^sample ' "$WORK/classes.txt" | sed 's/^sample /  unclassified: /' || true
    [ "$unclassified" -eq 0 ] || fail "load: $unclassified answers were neither correct nor a documented error"
    [ "$classified" -eq "$requests" ] || fail "load: $classified of $requests answers classified"
    [ "$requests" -gt 0 ] || fail "load: no answers at all"
    local e
    for e in connect read write timeout; do
      local n
      n=$(awk -v k="error_$e" '$1 == k { print $2 }' "$WORK/classes.txt")
      [ "${n:-0}" -eq 0 ] || fail "load: wrk saw $n $e errors (requests without an HTTP answer)"
    done
  fi

  echo
  if [ "$workers_before" = "$workers_after" ]; then
    echo "workers: the same pids before and after ($workers_before)"
  else
    fail "load: workers changed: before ($workers_before), after ($workers_after)"
  fi
  local line
  if ! line=$(nginx_trouble EX); then fail "load: handler nginx: $line"; fi
  if ! line=$(nginx_trouble FAULTS); then fail "load: upstream nginx: $line"; fi
  # memory per worker: start, after the first sample (warm), end
  awk '
    { for (i = 2; i <= NF; i++) { split($i, a, ":"); rss[a[1], NR] = a[2]; if (!(a[1] in first)) { first[a[1]] = NR; order[++n] = a[1] } } last = NR }
    END {
      for (k = 1; k <= n; k++) {
        p = order[k]; s = rss[p, first[p]]; f = first[p] + 1; w = s; if ((p, f) in rss) w = rss[p, f]; e = rss[p, last]
        printf "worker %s VmRSS: start %d KiB, first sample %d KiB, end %d KiB (growth after the first sample %+d KiB)\n", p, s, w, e, e - w
      }
    }' "$WORK/rss.txt"
}

for part in $SOAK_PARTS; do
  case "$part" in
    soak) soak ;;
    load) load ;;
    *) echo "unknown part $part (soak, load)" >&2; exit 2 ;;
  esac
done

echo
echo "$(bench_load) at the end"
if [ "$failures" -gt 0 ]; then
  echo "bench/soak.sh: $failures correctness failure(s)"
  exit 1
fi
echo "bench/soak.sh: every call and answer correct or a documented error, no worker died"
