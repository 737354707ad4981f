# shellcheck shell=bash
# Shared by bench.sh and memory.sh (source it; not a script of its own).
# Starts one server at a time on a free loopback port with a fresh data dir under
# $WORK, waits for PING with a deadline, and stops it on exit.

REDIS_CLI=${REDIS_CLI:-redis-cli}
REDIS_BENCHMARK=${REDIS_BENCHMARK:-redis-benchmark}

SERVER_PID=""
PORT=""
SERVER_DIR=""
SERVER_LOG=""
SERVER_TASKSET=()   # e.g. (taskset -c 0) to pin the server to a core

die() { echo "error: $*" >&2; exit 1; }

# resolve_bin NAME_OR_PATH: an absolute path to an executable, or die.
resolve_bin() {
  local b=$1
  if [[ "$b" != */* ]]; then b=$(command -v "$b" || true); fi
  if [ -z "$b" ] || [ ! -x "$b" ]; then die "not an executable: $1"; fi
  (cd "$(dirname "$b")" && echo "$(pwd)/$(basename "$b")")
}

# is_redis BIN: redis-server takes --save '' --appendonly no so it does no disk I/O.
is_redis() { case "$(basename "$1")" in redis-server*) return 0 ;; *) return 1 ;; esac; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

make_workdir() { # PREFIX
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
  trap cleanup EXIT
  trap 'exit 130' INT TERM
}

cleanup() {
  stop_server
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}

# start_server BIN NAME [EXTRA_ARGS...]: sets SERVER_PID, PORT, SERVER_DIR, SERVER_LOG.
start_server() {
  local bin=$1 name=$2; shift 2
  local attempt
  for attempt in 1 2 3; do
    PORT=$(free_port)
    SERVER_DIR=$(mktemp -d "$WORK/$name-data.XXXX")
    SERVER_LOG="$SERVER_DIR.log"
    local args=(--port "$PORT" --bind 127.0.0.1 --dir "$SERVER_DIR" --loglevel warning "$@")
    if is_redis "$bin"; then args+=(--save '' --appendonly no); fi
    "${SERVER_TASKSET[@]}" "$bin" "${args[@]}" >"$SERVER_LOG" 2>&1 &
    SERVER_PID=$!
    local deadline=$((SECONDS + 30))
    while [ $SECONDS -lt $deadline ] && kill -0 "$SERVER_PID" 2>/dev/null; do
      if [ "$(timeout 5 "$REDIS_CLI" -h 127.0.0.1 -p "$PORT" ping 2>/dev/null)" = PONG ]; then
        return 0
      fi
      sleep 0.05
    done
    echo "warning: $name ($bin) not ready on port $PORT (attempt $attempt); log tail:" >&2
    tail -n 20 "$SERVER_LOG" | sed 's/^/    | /' >&2
    stop_server
  done
  die "could not start $name: $bin"
}

stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null
    local deadline=$((SECONDS + 20))
    while kill -0 "$SERVER_PID" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
    kill -KILL "$SERVER_PID" 2>/dev/null
  fi
  wait "$SERVER_PID" 2>/dev/null
  SERVER_PID=""
  if [ -n "$SERVER_DIR" ] && [ "${KEEP:-0}" != 1 ]; then rm -rf "$SERVER_DIR"; fi
  SERVER_DIR=""
}

# default_ringkv: the build tree's binary, relative to this folder.
default_ringkv() {
  local here
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  echo "$here/../../build/ringkv-server"
}
