# Shared by bench/soak.sh and bench/wire_bench.sh (source it from the repository root).
#
#   bench_init               ROOT, BUILD (CMFA_BUILD_DIR or ./build), WORK (a temporary folder
#                            removed at exit), a clean AWS environment; checks the modules
#   bench_lua FLAVOUR ARGS   runs lua5.4 or luajit with the repository's Lua path and that
#                            flavour's build of the module (under a CMFA_SANITIZE build with the
#                            ASan runtime preloaded, leak checks on)
#   nginx_start VAR TEMPLATE [NAME=VALUE ...]
#   nginx_examples VAR [--workers N] [NAME=VALUE ...]
#                            a loopback nginx through tools/loopback_nginx.lua (the specs'
#                            starter, spec/support/nginx.lua); sets VAR_PORT, VAR_PREFIX,
#                            VAR_PID (master) and VAR_URL; stopped at exit, by pid
#   nginx_workers PID        the pids of the master's worker processes, one a line
#   rss_kb PID               resident memory of a process (VmRSS, KiB)
#   nginx_trouble VAR        prints the first error-log line showing a crashed worker or a
#                            sanitizer report; fails when there is one
#   bench_load               the machine load (/proc/loadavg) and CPU count, for the figures

bench_init() {
  ROOT=$PWD
  BUILD=${CMFA_BUILD_DIR:-$ROOT/build}
  local f
  for f in lua5.4 luajit; do
    if [ ! -f "$BUILD/$f/cognito_mfa/core.so" ]; then
      echo "no C module at $BUILD/$f/cognito_mfa/core.so: build first (cmake -S . -B build && cmake --build build)" >&2
      exit 1
    fi
  done
  if [ ! -x /usr/sbin/nginx ] || [ ! -f /usr/lib/nginx/modules/ngx_http_lua_module.so ]; then
    echo "nginx with the Lua module is needed: apt-get install nginx libnginx-mod-http-lua" >&2
    exit 1
  fi
  WORK=$(mktemp -d /tmp/cmfa-bench-XXXXXX)
  BENCH_NGINX=()
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
  mkdir -p "$WORK/home"
  export HOME="$WORK/home" AWS_EC2_METADATA_DISABLED=true AWS_REGION=us-east-1
  export AWS_ACCESS_KEY_ID=AKIDBENCHEXAMPLE AWS_SECRET_ACCESS_KEY=benchSecretKeyForLoopbackOnly0123456789ab
  unset AWS_PROFILE AWS_SESSION_TOKEN AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE AWS_DEFAULT_REGION
  unset AWS_ENDPOINT_URL AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER AWS_MAX_ATTEMPTS
  # a sanitizer build of the module: interpreters need the ASan runtime loaded first
  BENCH_ASAN=$(ldd "$BUILD/lua5.4/cognito_mfa/core.so" 2>/dev/null | sed -n 's/^[[:space:]]*libasan\.so[.0-9]* => \([^ ]*\).*/\1/p' | head -n1)
}

bench_cleanup() {
  local entry
  for entry in "${BENCH_NGINX[@]}"; do
    # "PREFIX PORT" of every nginx started here
    # shellcheck disable=SC2086
    bench_lua_quiet luajit tools/loopback_nginx.lua stop $entry || true
  done
  rm -rf "$WORK"
}

# bench_lua FLAVOUR ARGS...: the interpreter with this checkout's modules
bench_lua() {
  local flavour=$1
  shift
  if [ -n "$BENCH_ASAN" ]; then
    LD_PRELOAD="$BENCH_ASAN" ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
      LSAN_OPTIONS="suppressions=$ROOT/spec/support/lsan.supp:print_suppressions=0" \
      LUA_PATH="$ROOT/lua/?.lua;$ROOT/lua/?/init.lua;$ROOT/?.lua;;" LUA_CPATH="$BUILD/$flavour/?.so;;" \
      "$flavour" "$@"
  else
    LUA_PATH="$ROOT/lua/?.lua;$ROOT/lua/?/init.lua;$ROOT/?.lua;;" LUA_CPATH="$BUILD/$flavour/?.so;;" \
      "$flavour" "$@"
  fi
}

# the same without leak checks (the nginx starter: a short-lived helper, not what is measured)
bench_lua_quiet() {
  local flavour=$1
  shift
  if [ -n "$BENCH_ASAN" ]; then
    LD_PRELOAD="$BENCH_ASAN" ASAN_OPTIONS=detect_leaks=0 \
      LUA_PATH="$ROOT/lua/?.lua;$ROOT/lua/?/init.lua;$ROOT/?.lua;;" LUA_CPATH="$BUILD/$flavour/?.so;;" \
      "$flavour" "$@"
  else
    LUA_PATH="$ROOT/lua/?.lua;$ROOT/lua/?/init.lua;$ROOT/?.lua;;" LUA_CPATH="$BUILD/$flavour/?.so;;" \
      "$flavour" "$@"
  fi
}

_nginx_record() {
  local var=$1 line=$2 port prefix pid url
  read -r port prefix pid url <<<"$line"
  if [ -z "$url" ]; then
    echo "nginx did not start" >&2
    exit 1
  fi
  BENCH_NGINX+=("$prefix $port")
  printf -v "${var}_PORT" '%s' "$port"
  printf -v "${var}_PREFIX" '%s' "$prefix"
  printf -v "${var}_PID" '%s' "$pid"
  printf -v "${var}_URL" '%s' "$url"
}

nginx_start() {
  local var=$1 line
  shift
  line=$(bench_lua_quiet luajit tools/loopback_nginx.lua start "$@")
  _nginx_record "$var" "$line"
}

nginx_examples() {
  local var=$1 line
  shift
  line=$(bench_lua_quiet luajit tools/loopback_nginx.lua examples "$@")
  _nginx_record "$var" "$line"
}

nginx_trouble() {
  local prefix port
  eval "prefix=\$${1}_PREFIX port=\$${1}_PORT"
  bench_lua_quiet luajit tools/loopback_nginx.lua trouble "$prefix" "$port"
}

nginx_workers() {
  local master=$1 d ppid
  for d in /proc/[0-9]*; do
    ppid=$(awk '{ sub(/^.*\) /, ""); print $2 }' "$d/stat" 2>/dev/null) || continue
    if [ "$ppid" = "$master" ]; then echo "${d#/proc/}"; fi
  done | sort -n
}

rss_kb() {
  awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0
}

bench_load() {
  echo "load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
}
