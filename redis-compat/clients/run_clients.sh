#!/usr/bin/env bash
# Real-client checks: redis-cli (one-shot, --raw, stdin, --pipe, interactive on a pty),
# redis-benchmark, and shopping-cart sessions through ioredis 5/6 and node-redis 4/6
# (RESP2 and RESP3), without and with a password.
#
# usage: run_clients.sh [--redis-mode] [--only REGEX] [--keep] SERVER_BIN
#
#   SERVER_BIN    ringkv-server, or redis-server to validate the checks themselves.
#   --redis-mode  pass redis-server's extra flags (--save '' --appendonly no); implied
#                 when SERVER_BIN's name starts with "redis-server".
#   --only REGEX  run only the checks whose name matches REGEX (bash =~).
#   --keep        keep the temp dir (server logs, check logs) and print its path.
#
# The server is started twice on free loopback ports, each with a fresh temp data
# dir: once without and once with --requirepass. Prints "PASS name" or
# "FAIL name: reason" per check, then "N passed, M failed"; exits 0 only if none failed.
# Node dependencies are installed with `npm ci` into this folder when missing.

set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REDIS_CLI=${REDIS_CLI:-redis-cli}
REDIS_BENCHMARK=${REDIS_BENCHMARK:-redis-benchmark}
PASSWORD=secret

usage() { sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

SERVER_BIN=""
REDIS_MODE=auto
ONLY=""
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --redis-mode) REDIS_MODE=1 ;;
    --only) ONLY=${2:?--only needs a regex}; shift ;;
    --keep) KEEP=1 ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
    *) [ -z "$SERVER_BIN" ] || { echo "one SERVER_BIN only" >&2; exit 2; }; SERVER_BIN=$1 ;;
  esac
  shift
done
if [ -z "$SERVER_BIN" ]; then usage >&2; exit 2; fi
if [[ "$SERVER_BIN" != */* ]]; then SERVER_BIN=$(command -v "$SERVER_BIN" || echo "$SERVER_BIN"); fi
if [ ! -x "$SERVER_BIN" ]; then
  echo "FAIL server-binary: not found or not executable: $SERVER_BIN"
  echo "0 passed, 1 failed"
  exit 1
fi
if [ "$REDIS_MODE" = auto ]; then
  case "$(basename "$SERVER_BIN")" in redis-server*) REDIS_MODE=1 ;; *) REDIS_MODE=0 ;; esac
fi
for tool in "$REDIS_CLI" "$REDIS_BENCHMARK" python3 node npm timeout; do
  command -v "$tool" >/dev/null || { echo "FAIL tools: $tool is not installed"; echo "0 passed, 1 failed"; exit 1; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ringkv-clients.XXXXXX")
SERVER_PID=""
PORT=""

stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null
    local deadline=$((SECONDS + 10))
    while kill -0 "$SERVER_PID" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
    kill -KILL "$SERVER_PID" 2>/dev/null
  fi
  wait "$SERVER_PID" 2>/dev/null
  SERVER_PID=""
}

cleanup() {
  stop_server
  if [ "$KEEP" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# cli ARGS...: redis-cli against the current server (authenticated if AUTH_ARGS set).
AUTH_ARGS=()
cli() { timeout 30 "$REDIS_CLI" -h 127.0.0.1 -p "$PORT" "${AUTH_ARGS[@]}" "$@"; }

# start_server NAME [EXTRA_ARGS...]: fresh data dir, free port, wait until PING answers.
start_server() {
  local name=$1; shift
  local attempt
  for attempt in 1 2 3; do
    PORT=$(free_port)
    local dir="$WORK/$name-data"
    rm -rf "$dir"; mkdir -p "$dir"
    local args=(--port "$PORT" --bind 127.0.0.1 --dir "$dir" --loglevel warning "$@")
    if [ "$REDIS_MODE" = 1 ]; then args+=(--save '' --appendonly no); fi
    SERVER_LOG="$WORK/$name-server.log"
    "$SERVER_BIN" "${args[@]}" >"$SERVER_LOG" 2>&1 &
    SERVER_PID=$!
    local deadline=$((SECONDS + 30)) reply
    while [ $SECONDS -lt $deadline ]; do
      if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
      reply=$(timeout 5 "$REDIS_CLI" -h 127.0.0.1 -p "$PORT" "${AUTH_ARGS[@]}" ping 2>/dev/null)
      if [ "$reply" = PONG ]; then return 0; fi
      sleep 0.05
    done
    echo "server ($name) did not become ready on port $PORT (attempt $attempt); log tail:"
    tail -n 20 "$SERVER_LOG" | sed 's/^/    | /'
    stop_server
  done
  return 1
}

PASSED=0
FAILED=0

# check NAME FUNCTION: runs FUNCTION in a subshell with its output in a log; a failing
# FUNCTION's last output line is the reason.
check() {
  local name=$1 fn=$2
  if [ -n "$ONLY" ] && ! [[ "$name" =~ $ONLY ]]; then return 0; fi
  local log="$WORK/check-$name.log"
  if ( "$fn" ) >"$log" 2>&1; then
    echo "PASS $name"
    PASSED=$((PASSED + 1))
    return 0
  else
    local reason
    reason=$(grep -v '^[[:space:]]*$' "$log" | tail -n 1)
    echo "FAIL $name: ${reason:-exit status non-zero, no output}"
    # The output that led up to the reason, for whoever reads the CTest log.
    grep -v '^[[:space:]]*$' "$log" | sed '$d' | tail -n 15 | sed 's/^/    | /'
    FAILED=$((FAILED + 1))
    return 1
  fi
}

# fail_with MSG: print the reason line for check() and end the check (checks run in
# a subshell, where `set -e` would be ignored because check() tests their status).
fail_with() { echo "$*"; exit 1; }

# show STRING: quoted for a one-line message ($'...' only when it has control chars).
show() {
  if [[ "$1" == *[[:cntrl:]]* ]]; then printf '%q' "$1"; else printf "'%s'" "$1"; fi
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
  if [ "$2" != "$3" ]; then
    fail_with "$1: expected $(show "$2"), got $(show "$3")"
  fi
}

skip_group() { # NAME...: record checks that could not run (server did not start)
  local n
  for n in "$@"; do
    if [ -n "$ONLY" ] && ! [[ "$n" =~ $ONLY ]]; then continue; fi
    echo "FAIL $n: $SKIP_REASON"
    FAILED=$((FAILED + 1))
  done
}

# ---------------------------------------------------------------- redis-cli

check_cli_set_get() {
  expect_eq "SET k v" OK "$(cli SET k v)"
  expect_eq "GET k" v "$(cli GET k)"
  expect_eq "GET missing (piped output prints an empty line)" "" "$(cli GET no-such-key)"
  expect_eq "DEL k" 1 "$(cli DEL k)"
  expect_eq "EXISTS k" 0 "$(cli EXISTS k)"
}

check_cli_raw() {
  cli SET rawk 'hello world' >/dev/null
  expect_eq "--no-raw GET" '"hello world"' "$(cli --no-raw GET rawk)"
  expect_eq "--raw GET" 'hello world' "$(cli --raw GET rawk)"
  expect_eq "--no-raw INCR" '(integer) 1' "$(cli --no-raw INCR rawc)"
  expect_eq "--raw INCR" '2' "$(cli --raw INCR rawc)"
  cli DEL rawh >/dev/null
  expect_eq "--raw HSET" '2' "$(cli --raw HSET rawh f1 a f2 b)"
  cli HSET rawh1 f1 a >/dev/null
  # A small hash lists its fields in insertion order, as in Redis.
  expect_eq "--raw HGETALL" $'f1\na\nf2\nb' "$(cli --raw HGETALL rawh)"
  expect_eq "--no-raw HGETALL" $'1) "f1"\n2) "a"\n3) "f2"\n4) "b"' "$(cli --no-raw HGETALL rawh)"
  expect_eq "--raw HMGET" $'a\nb' "$(cli --raw HMGET rawh f1 f2)"
  expect_eq "--no-raw HMGET" $'1) "a"\n2) "b"' "$(cli --no-raw HMGET rawh f1 f2)"
  expect_eq "--raw HGETALL" $'f1\na' "$(cli --raw HGETALL rawh1)"
  expect_eq "--no-raw HGETALL" $'1) "f1"\n2) "a"' "$(cli --no-raw HGETALL rawh1)"
  expect_eq "--no-raw GET missing" '(nil)' "$(cli --no-raw GET no-such-key)"
  expect_eq "--raw error" 'ERR hash value is not an integer' "$(cli --raw HINCRBY rawh f1 1 2>&1)"
  expect_eq "--no-raw error" '(error) ERR hash value is not an integer' \
    "$(cli --no-raw HINCRBY rawh f1 1 2>&1)"
  # A value with a newline and a tab survives --raw untouched.
  cli SET rawnl "$(printf 'a\tb\nc')" >/dev/null
  expect_eq "--raw GET of a multi-line value" "$(printf 'a\tb\nc')" "$(cli --raw GET rawnl)"
  expect_eq "--no-raw GET of a multi-line value" '"a\tb\nc"' "$(cli --no-raw GET rawnl)"
  expect_eq "DEL" 5 "$(cli DEL rawk rawc rawh rawh1 rawnl)"
}

check_cli_stdin() {
  local f="$WORK/stdin-commands.txt"
  cat >"$f" <<'EOF'
SET s1 a
APPEND s1 bc
GET s1
SET "spaced key" "a value with spaces"
GET "spaced key"
HSET h1 f1 1 f2 2
HINCRBY h1 f1 41
HGETALL h1
MGET s1 nosuchkey "spaced key"
DEL s1 h1 "spaced key"
EXISTS s1
PING
EOF
  local expected got
  expected=$'OK\n3\nabc\nOK\na value with spaces\n2\n42\nf1\n42\nf2\n2\nabc\n\na value with spaces\n3\n0\nPONG'
  got=$(timeout 30 "$REDIS_CLI" -h 127.0.0.1 -p "$PORT" "${AUTH_ARGS[@]}" <"$f")
  if [ "$got" != "$expected" ]; then
    diff -u --label expected --label got <(echo "$expected") <(echo "$got")
    local -a e g
    mapfile -t e <<<"$expected"
    mapfile -t g <<<"$got"
    local i
    for ((i = 0; i < ${#e[@]} || i < ${#g[@]}; i++)); do
      if [ "${e[i]-<none>}" != "${g[i]-<none>}" ]; then
        fail_with "output of redis-cli < file, line $((i + 1)): expected $(show "${e[i]-<none>}"), got $(show "${g[i]-<none>}")"
      fi
    done
  fi
}

check_cli_pipe() {
  local f="$WORK/mass-insert.resp"
  python3 - "$f" <<'EOF'
import sys
with open(sys.argv[1], "wb") as out:
    for i in range(10000):
        k = b"pipe:key:%d" % i
        v = b"value-%d" % i
        out.write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(v), v))
EOF
  local got
  # redis-cli --pipe sends its own "ECHO <20 random bytes>" after the data and waits
  # (up to --pipe-timeout) for that reply, so ECHO must work too.
  got=$(timeout 60 "$REDIS_CLI" -h 127.0.0.1 -p "$PORT" "${AUTH_ARGS[@]}" --pipe --pipe-timeout 20 \
    <"$f" 2>&1) ||
    fail_with "redis-cli --pipe exited non-zero: $(echo "$got" | tail -n 1) (expected 'errors: 0, replies: 10000'; the extra reply is its closing ECHO)"
  echo "$got"
  grep -qx 'errors: 0, replies: 10000' <<<"$got" ||
    fail_with "expected 'errors: 0, replies: 10000', got: $(echo "$got" | tail -n 1)"
  expect_eq "GET pipe:key:0" value-0 "$(cli GET pipe:key:0)"
  expect_eq "GET pipe:key:9999" value-9999 "$(cli GET pipe:key:9999)"
  expect_eq "MGET of three mass-inserted keys" $'value-17\nvalue-4242\nvalue-9998' \
    "$(cli MGET pipe:key:17 pipe:key:4242 pipe:key:9998)"
}

check_cli_interactive() {
  local pw=()
  if [ ${#AUTH_ARGS[@]} -gt 0 ]; then pw=(-a "$PASSWORD"); fi
  python3 "$HERE/interactive_cli.py" --redis-cli "$(command -v "$REDIS_CLI")" --timeout 20 "${pw[@]}" "$PORT"
}

# ---------------------------------------------------------------- redis-benchmark

run_benchmark() { # EXTRA_ARGS...
  local out="$WORK/bench.out" err="$WORK/bench.err" rc=0
  timeout 300 "$REDIS_BENCHMARK" -h 127.0.0.1 -p "$PORT" "${AUTH_ARGS[@]}" \
    -t ping,set,get,incr,mset,hset -n 20000 -c 20 -q "$@" >"$out" 2>"$err" || rc=$?
  local lines
  lines=$(tr '\r' '\n' <"$out" | grep 'requests per second' || true)
  echo "$lines"
  cat "$err"
  [ $rc -eq 0 ] || fail_with "redis-benchmark exited with status $rc: $(tail -n 1 "$err")"
  local errs
  errs=$(tr '\r' '\n' <"$out" | cat - "$err" | grep -E 'ERR|[Ee]rror' || true)
  [ -z "$errs" ] || fail_with "redis-benchmark reported errors: $(echo "$errs" | head -n 1)"
  local t rps
  for t in PING_INLINE PING_MBULK SET GET INCR HSET 'MSET (10 keys)'; do
    rps=$(grep -F "$t: " <<<"$lines" | head -n 1 |
      sed -nE 's/^.*: ([0-9.]+) requests per second.*$/\1/p')
    [ -n "$rps" ] || fail_with "no 'requests per second' line for $t"
    awk -v r="$rps" 'BEGIN { exit !(r + 0 > 0) }' || fail_with "$t: rate is not positive: $rps"
  done
}

check_benchmark() { run_benchmark; }
check_benchmark_p16() { run_benchmark -P 16; }

# ---------------------------------------------------------------- node clients

NODE_READY=0
install_node_deps() {
  local stamp="$HERE/node_modules/.package-lock.json" need=0 p
  for p in ioredis5 ioredis6 redis4 redis6; do
    [ -f "$HERE/node_modules/$p/package.json" ] || need=1
  done
  [ -f "$stamp" ] || need=1
  if [ $need = 0 ] && [ "$HERE/package-lock.json" -nt "$stamp" ]; then need=1; fi
  if [ $need = 1 ]; then
    echo "installing node dependencies (npm ci) in $HERE"
    (cd "$HERE" && timeout 300 npm ci --no-audit --no-fund --loglevel=error)
  fi
}

check_node_deps() {
  # npm ci empties node_modules first, so two runs at once (two CTest jobs on a
  # fresh clone) must not both decide to install: deciding and installing
  # happen under one lock, and the second run then finds the modules there.
  (flock 9 && install_node_deps) 9>"$HERE/.npm-install.lock" ||
    fail_with "npm ci failed in $HERE"
  local p
  for p in ioredis5 ioredis6 redis4 redis6; do
    node -e "const v=require('$HERE/node_modules/$p/package.json').version; console.log('$p', v)" ||
      fail_with "package $p is not installed"
  done
}

node_client() { # SCRIPT ALIAS URL [ARGS...]
  local script=$1 alias=$2 url=$3; shift 3
  [ "$NODE_READY" = 1 ] || fail_with "node dependencies are not installed (see node-deps)"
  (cd "$HERE" && timeout 60 node "$script" "$alias" "$url" --timeout-ms 45000 "$@")
}

URL() { echo "redis://127.0.0.1:$PORT"; }
AUTH_URL() { echo "redis://:$PASSWORD@127.0.0.1:$PORT"; }

check_cart_ioredis5() { node_client cart_ioredis.js ioredis5 "$(URL)" --resp 2; }
check_cart_ioredis6() { node_client cart_ioredis.js ioredis6 "$(URL)" --resp 3; }
check_cart_redis4() { node_client cart_node_redis.js redis4 "$(URL)" --resp 2; }
check_cart_redis6() { node_client cart_node_redis.js redis6 "$(URL)" --resp 3; }
check_cart_ioredis6_resp2() { node_client cart_ioredis.js ioredis6 "$(URL)" --resp 2; }
check_cart_redis6_resp2() { node_client cart_node_redis.js redis6 "$(URL)" --resp 2; }

check_auth_cli() {
  local got
  got=$(timeout 30 "$REDIS_CLI" -h 127.0.0.1 -p "$PORT" GET k 2>&1)
  [[ "$got" == *NOAUTH* ]] || fail_with "GET without a password: expected a NOAUTH error, got $(show "$got")"
  got=$(timeout 30 "$REDIS_CLI" -h 127.0.0.1 -p "$PORT" -a wrong --no-auth-warning PING 2>&1)
  [[ "$got" == *WRONGPASS* || "$got" == *"invalid password"* ]] ||
    fail_with "PING with a wrong password: expected WRONGPASS, got $(show "$got")"
  expect_eq "PING with -a" PONG "$(cli PING)"
  expect_eq "SET with -a" OK "$(cli SET authk v)"
  expect_eq "GET with -a" v "$(cli GET authk)"
  expect_eq "AUTH inside a piped session" $'OK\nv' \
    "$(printf 'AUTH %s\nGET authk\n' "$PASSWORD" | timeout 30 "$REDIS_CLI" -h 127.0.0.1 -p "$PORT")"
  expect_eq "DEL with -a" 1 "$(cli DEL authk)"
}

check_auth_ioredis5() { node_client cart_ioredis.js ioredis5 "$(AUTH_URL)" --resp 2 --mode auth; }
check_auth_ioredis6() { node_client cart_ioredis.js ioredis6 "$(AUTH_URL)" --resp 3 --mode auth; }
check_auth_redis4() { node_client cart_node_redis.js redis4 "$(AUTH_URL)" --resp 2 --mode auth; }
check_auth_redis6() { node_client cart_node_redis.js redis6 "$(AUTH_URL)" --resp 3 --mode auth; }

check_alive() {
  kill -0 "$SERVER_PID" 2>/dev/null || fail_with "the server process exited during the checks"
  expect_eq "PING at the end" PONG "$(cli PING)"
}

# ---------------------------------------------------------------- main

echo "server: $SERVER_BIN$([ "$REDIS_MODE" = 1 ] && echo ' (redis mode)')"

# (When --only filters node-deps out, check returns 0 and the installed modules are used.)
if check node-deps check_node_deps; then NODE_READY=1; fi

OPEN_CHECKS=(redis-cli-set-get redis-cli-raw redis-cli-stdin redis-cli-pipe redis-cli-interactive
  redis-benchmark redis-benchmark-P16 cart-ioredis5 cart-ioredis6 cart-redis4 cart-redis6
  cart-ioredis6-resp2 cart-redis6-resp2 server-survived)
AUTH_CHECKS=(auth-redis-cli auth-redis-cli-interactive auth-ioredis5 auth-ioredis6 auth-redis4
  auth-redis6 auth-server-survived)

AUTH_ARGS=()
if start_server open; then
  echo "server (no password) on port $PORT"
  check redis-cli-set-get check_cli_set_get
  check redis-cli-raw check_cli_raw
  check redis-cli-stdin check_cli_stdin
  check redis-cli-pipe check_cli_pipe
  check redis-cli-interactive check_cli_interactive
  check redis-benchmark check_benchmark
  check redis-benchmark-P16 check_benchmark_p16
  check cart-ioredis5 check_cart_ioredis5
  check cart-ioredis6 check_cart_ioredis6
  check cart-redis4 check_cart_redis4
  check cart-redis6 check_cart_redis6
  check cart-ioredis6-resp2 check_cart_ioredis6_resp2
  check cart-redis6-resp2 check_cart_redis6_resp2
  check server-survived check_alive
  stop_server
else
  SKIP_REASON="server did not start (see log above)"
  skip_group "${OPEN_CHECKS[@]}"
fi

AUTH_ARGS=(-a "$PASSWORD" --no-auth-warning)
if start_server auth --requirepass "$PASSWORD"; then
  echo "server (--requirepass) on port $PORT"
  check auth-redis-cli check_auth_cli
  check auth-redis-cli-interactive check_cli_interactive
  check auth-ioredis5 check_auth_ioredis5
  check auth-ioredis6 check_auth_ioredis6
  check auth-redis4 check_auth_redis4
  check auth-redis6 check_auth_redis6
  check auth-server-survived check_alive
  stop_server
else
  SKIP_REASON="server with --requirepass did not start (see log above)"
  skip_group "${AUTH_CHECKS[@]}"
fi

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
