# shellcheck shell=bash
# Shared by bench.sh and memory.sh (source it; not a script of its own).
# Starts one server at a time on a free loopback port with a fresh data dir under
# $WORK, waits for PING with a deadline, and stops it on exit. start_cluster does
# the same for a ringkv cluster of several processes on this machine.

REDIS_CLI=${REDIS_CLI:-redis-cli}
REDIS_BENCHMARK=${REDIS_BENCHMARK:-redis-benchmark}

SERVER_PID=""       # the server, or node 1 of a cluster (the one that gets the load)
CLUSTER_PIDS=()     # the other nodes of a cluster
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

# start_cluster BIN NAME NODES [EXTRA_ARGS...]: a ringkv cluster of NODES processes on
# 127.0.0.1 (replicas min(3, NODES), write and read quorum min(2, replicas)), each on
# a free client port and a free cluster port with a fresh data dir under
# $WORK/NAME-cluster.XXXX/nodeK (log nodeK.log next to it). Waits until every node
# answers and reports ring_members = ring_alive = NODES. Sets SERVER_PID, PORT,
# SERVER_LOG to node 1's (the node to send load to), CLUSTER_PIDS to the others'
# and SERVER_DIR to the cluster's directory.
start_cluster() {
  local bin=$1 name=$2 nodes=$3; shift 3
  local replicas=$((nodes < 3 ? nodes : 3))
  local quorum=$((replicas < 2 ? replicas : 2))
  local secret attempt k j ready info
  secret=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
  for attempt in 1 2 3; do
    SERVER_DIR=$(mktemp -d "$WORK/$name-cluster.XXXX")
    local ports=() cports=()
    for ((k = 1; k <= nodes; k++)); do
      ports+=("$(free_port)")
      cports+=("$(free_port)")
    done
    CLUSTER_PIDS=()
    for ((k = 1; k <= nodes; k++)); do
      local seeds=""
      for ((j = 1; j <= nodes; j++)); do
        # Its own address as a seed would only earn a warning (a lone node keeps it).
        if ((j != k || nodes == 1)); then seeds+="${seeds:+,}127.0.0.1:${cports[j - 1]}"; fi
      done
      mkdir -p "$SERVER_DIR/node$k"
      "${SERVER_TASKSET[@]}" "$bin" --port "${ports[k - 1]}" --bind 127.0.0.1 \
        --dir "$SERVER_DIR/node$k" --loglevel warning --node-id "node$k" \
        --cluster-port "${cports[k - 1]}" --seeds "$seeds" --replicas "$replicas" \
        --write-quorum "$quorum" --read-quorum "$quorum" --cluster-secret "$secret" "$@" \
        >"$SERVER_DIR/node$k.log" 2>&1 &
      if ((k == 1)); then SERVER_PID=$!; else CLUSTER_PIDS+=($!); fi
    done
    PORT=${ports[0]}
    SERVER_LOG="$SERVER_DIR/node1.log"
    local deadline=$((SECONDS + 30))
    while [ $SECONDS -lt $deadline ] && servers_alive; do
      ready=0
      for ((k = 1; k <= nodes; k++)); do
        info=$(timeout 5 "$REDIS_CLI" -h 127.0.0.1 -p "${ports[k - 1]}" info ring 2>/dev/null | tr -d '\r')
        if grep -qx "ring_members:$nodes" <<<"$info" && grep -qx "ring_alive:$nodes" <<<"$info"; then
          ready=$((ready + 1))
        fi
      done
      ((ready == nodes)) && return 0
      sleep 0.1
    done
    echo "warning: $name cluster of $nodes ($bin) not ready (attempt $attempt); log tails:" >&2
    for ((k = 1; k <= nodes; k++)); do
      echo "  node$k:" >&2
      tail -n 10 "$SERVER_DIR/node$k.log" | sed 's/^/    | /' >&2
    done
    stop_server
  done
  die "could not start a $nodes-node cluster of $name: $bin"
}

# servers_alive: whether the server (every node of a cluster) is still running.
servers_alive() {
  local pid
  for pid in "$SERVER_PID" "${CLUSTER_PIDS[@]}"; do
    kill -0 "$pid" 2>/dev/null || return 1
  done
}

# stop_server: SIGTERM to the server (all nodes of a cluster at once), SIGKILL
# after 20 s, and its data dir removed (unless KEEP=1).
stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  local pids=("$SERVER_PID" "${CLUSTER_PIDS[@]}") pid
  kill -TERM "${pids[@]}" 2>/dev/null
  local deadline=$((SECONDS + 20))
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  SERVER_PID=""
  CLUSTER_PIDS=()
  if [ -n "$SERVER_DIR" ] && [ "${KEEP:-0}" != 1 ]; then rm -rf "$SERVER_DIR"; fi
  SERVER_DIR=""
}

# default_ringkv: the build tree's binary, relative to this folder.
default_ringkv() {
  local here
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  echo "$here/../../build/ringkv-server"
}
