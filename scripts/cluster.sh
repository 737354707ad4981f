#!/usr/bin/env bash
# A local ringkv cluster: N processes on 127.0.0.1, every key on 3 of them
# (replicas 3, write-quorum 2, read-quorum 2; capped at N for 1 or 2 nodes).
#
# usage: scripts/cluster.sh start [N_NODES=3] [BASE_PORT=7001]
#        scripts/cluster.sh stop
#        scripts/cluster.sh status
#        scripts/cluster.sh clean      # stop, then delete the data
#
# Node K (1..N) is node-id nodeK on client port BASE_PORT+K-1 and cluster port
# BASE_PORT+K-1+10000. Everything lives in ./cluster-data (the repository root's,
# whatever the current directory): nodeK.conf (its whole configuration: a node
# is `ringkv-server cluster-data/nodeK.conf`), nodeK/ (data), nodeK.log, nodeK.pid.
# `start` is idempotent: nodes already running are left alone, stopped ones are
# started again on their old data; it returns once every node sees all N members
# alive (or fails after READY_TIMEOUT seconds). `stop` sends SIGTERM and waits.
#
# environment:
#   RINGKV_BIN             server binary (default: build/ringkv-server)
#   RINGKV_CLUSTER_SECRET  shared cluster secret (default: random, generated on
#                          the first start and kept in cluster-data/cluster-secret)
#   CLUSTER_DIR            instead of ./cluster-data
#   REPLICAS WRITE_QUORUM READ_QUORUM   instead of 3 2 2
#   READY_TIMEOUT          seconds start waits for the ring (default 30)
#   STOP_TIMEOUT           seconds stop waits before SIGKILL (default 30)
#   REDIS_CLI              redis-cli to query the nodes (default: redis-cli)

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CLUSTER_DIR=${CLUSTER_DIR:-$ROOT/cluster-data}
RINGKV_BIN=${RINGKV_BIN:-$ROOT/build/ringkv-server}
REDIS_CLI=${REDIS_CLI:-redis-cli}
READY_TIMEOUT=${READY_TIMEOUT:-30}
STOP_TIMEOUT=${STOP_TIMEOUT:-30}
LAYOUT="$CLUSTER_DIR/cluster.env"   # N_NODES and BASE_PORT of the last start

usage() { sed -n '2,26p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
die() { echo "cluster.sh: $*" >&2; exit 1; }
is_uint() { [[ "$1" =~ ^[0-9]+$ ]]; }

# node_pid K: the pid of node K if it is running (and really is that node), else empty.
node_pid() {
  local pidfile="$CLUSTER_DIR/node$1.pid" pid
  [ -f "$pidfile" ] || return 0
  pid=$(<"$pidfile")
  is_uint "$pid" || return 0
  # A stale pid file may name a pid since reused by another process.
  if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "node$1.conf"; then
    echo "$pid"
  fi
}

# info_ring PORT: `INFO ring` of the node on PORT (empty if it does not answer).
info_ring() {
  timeout 5 "$REDIS_CLI" -h 127.0.0.1 -p "$1" info ring 2>/dev/null | tr -d '\r' || true
}

# field NAME: a field's value from INFO text on stdin.
field() { sed -n "s/^$1://p"; }

load_layout() {
  [ -f "$LAYOUT" ] || die "no cluster in $CLUSTER_DIR (run: $0 start)"
  # shellcheck source=/dev/null
  . "$LAYOUT"
  if ! is_uint "${N_NODES:-}" || ! is_uint "${BASE_PORT:-}"; then die "$LAYOUT is damaged"; fi
}

write_node_conf() { # K N_NODES BASE_PORT SECRET
  local k=$1 n=$2 base=$3 secret=$4 j seeds=()
  for ((j = 1; j <= n; j++)); do
    # A node's own address in its seeds only earns a warning; leave it out
    # (except alone, where a seed is what turns the cluster code on).
    if ((j != k || n == 1)); then seeds+=("127.0.0.1:$((base + j - 1 + 10000))"); fi
  done
  local replicas=${REPLICAS:-$((n < 3 ? n : 3))}
  local w=${WRITE_QUORUM:-$((replicas < 2 ? replicas : 2))}
  local r=${READ_QUORUM:-$((replicas < 2 ? replicas : 2))}
  local conf="$CLUSTER_DIR/node$k.conf"
  (
    umask 077   # the file holds the cluster secret
    cat >"$conf.tmp" <<EOF
# Written by scripts/cluster.sh (rewritten on each start): ringkv-server $conf
port $((base + k - 1))
bind 127.0.0.1
dir $CLUSTER_DIR/node$k
node-id node$k
cluster-port $((base + k - 1 + 10000))
seeds $(IFS=,; echo "${seeds[*]}")
replicas $replicas
write-quorum $w
read-quorum $r
cluster-secret $secret
EOF
  )
  mv "$conf.tmp" "$conf"
}

cmd_start() {
  local n=${1:-3} base=${2:-7001}
  if ! is_uint "$n" || ((n < 1)); then die "N_NODES must be a positive integer, not '$n'"; fi
  if ! is_uint "$base" || ((base < 1024 || base + n - 1 + 10000 > 65535)); then
    die "BASE_PORT must be >= 1024 and leave room for the cluster ports (BASE_PORT+N-1+10000 <= 65535)"
  fi
  [ -x "$RINGKV_BIN" ] || die "no server binary at $RINGKV_BIN (build it: scripts/build.sh, or set RINGKV_BIN)"
  command -v "$REDIS_CLI" >/dev/null || die "$REDIS_CLI not found (apt-get install redis-tools, or set REDIS_CLI)"
  mkdir -p "$CLUSTER_DIR"

  # Another layout still running? Refuse rather than mix two clusters.
  if [ -f "$LAYOUT" ]; then
    local old_n old_base k
    # shellcheck source=/dev/null
    old_n=$(. "$LAYOUT"; echo "${N_NODES:-}")
    # shellcheck source=/dev/null
    old_base=$(. "$LAYOUT"; echo "${BASE_PORT:-}")
    if [ "$old_n/$old_base" != "$n/$base" ] && is_uint "$old_n"; then
      for ((k = 1; k <= old_n; k++)); do
        [ -z "$(node_pid "$k")" ] ||
          die "a cluster of $old_n node(s) from port $old_base is running: $0 stop first"
      done
      # Nodes remember every member they have seen: fewer nodes on the old
      # data would wait forever for the missing ones.
      if ((n < old_n)); then
        die "$CLUSTER_DIR holds a $old_n-node cluster; to start $n node(s), delete it first: $0 clean"
      fi
    fi
  fi
  printf 'N_NODES=%d\nBASE_PORT=%d\n' "$n" "$base" >"$LAYOUT"

  local secret_file="$CLUSTER_DIR/cluster-secret" secret
  if [ -n "${RINGKV_CLUSTER_SECRET:-}" ]; then
    secret=$RINGKV_CLUSTER_SECRET
  else
    if [ ! -s "$secret_file" ]; then
      (umask 077; od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$secret_file")
    fi
    secret=$(<"$secret_file")
  fi
  [[ "$secret" =~ ^[!-~]+$ ]] || die "the cluster secret must be printable and without spaces"

  local k pid port
  for ((k = 1; k <= n; k++)); do
    port=$((base + k - 1))
    pid=$(node_pid "$k")
    if [ -n "$pid" ]; then
      echo "node$k already running (pid $pid, port $port)"
      continue
    fi
    write_node_conf "$k" "$n" "$base" "$secret"
    mkdir -p "$CLUSTER_DIR/node$k"
    echo "----- scripts/cluster.sh start, $(date '+%F %T') -----" >>"$CLUSTER_DIR/node$k.log"
    # setsid: a session of its own, so closing this terminal does not take it down.
    setsid "$RINGKV_BIN" "$CLUSTER_DIR/node$k.conf" >>"$CLUSTER_DIR/node$k.log" 2>&1 </dev/null &
    echo $! >"$CLUSTER_DIR/node$k.pid"
    echo "node$k started (pid $!, port $port, log $CLUSTER_DIR/node$k.log)"
  done

  # Ready when every node answers and sees all n members alive.
  local deadline=$((SECONDS + READY_TIMEOUT)) ready info
  while :; do
    ready=0
    for ((k = 1; k <= n; k++)); do
      if [ -z "$(node_pid "$k")" ]; then
        echo "node$k exited; last lines of its log:" >&2
        # This start's lines only (the log is appended to across starts).
        awk '/^----- scripts\/cluster.sh start/ { n = 0 } { line[++n] = $0 }
             END { for (i = (n > 20 ? n - 19 : 1); i <= n; i++) print line[i] }' \
          "$CLUSTER_DIR/node$k.log" | sed 's/^/  | /' >&2
        die "node$k did not start (the other nodes are left running: $0 stop)"
      fi
      info=$(info_ring $((base + k - 1)))
      if [ "$(field ring_members <<<"$info")" = "$n" ] && [ "$(field ring_alive <<<"$info")" = "$n" ]; then
        ready=$((ready + 1))
      fi
    done
    ((ready == n)) && break
    if ((SECONDS >= deadline)); then
      cmd_status >&2 || true
      die "the ring is not complete after ${READY_TIMEOUT}s ($ready of $n nodes see all $n alive); see the logs in $CLUSTER_DIR"
    fi
    sleep 0.2
  done

  info=$(info_ring "$base")
  echo
  echo "ready: $n node(s), N=$(field ring_replicas <<<"$info") W=$(field ring_write_quorum <<<"$info") R=$(field ring_read_quorum <<<"$info"); any node takes any command:"
  for ((k = 1; k <= n; k++)); do
    echo "  redis-cli -p $((base + k - 1))      # node$k"
  done
  echo "stop with: bash ${BASH_SOURCE[0]#"$ROOT/"} stop"
}

cmd_stop() {
  [ -f "$LAYOUT" ] || { echo "no cluster in $CLUSTER_DIR"; return 0; }
  load_layout
  local k pid pids=() names=()
  for ((k = 1; k <= N_NODES; k++)); do
    pid=$(node_pid "$k")
    if [ -n "$pid" ]; then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
      names+=("node$k")
    fi
  done
  if ((${#pids[@]} == 0)); then
    echo "no node running"
  else
    echo "sent SIGTERM to ${names[*]}; waiting (up to ${STOP_TIMEOUT}s)"
    local deadline=$((SECONDS + STOP_TIMEOUT)) i alive
    while :; do
      alive=()
      for i in "${!pids[@]}"; do
        if kill -0 "${pids[$i]}" 2>/dev/null; then alive+=("$i"); fi
      done
      ((${#alive[@]} == 0)) && break
      if ((SECONDS >= deadline)); then
        for i in "${alive[@]}"; do
          echo "${names[$i]} (pid ${pids[$i]}) still running after ${STOP_TIMEOUT}s: SIGKILL" >&2
          kill -KILL "${pids[$i]}" 2>/dev/null || true
        done
        break
      fi
      sleep 0.1
    done
    echo "stopped ${names[*]} (data kept in $CLUSTER_DIR)"
  fi
  for ((k = 1; k <= N_NODES; k++)); do rm -f "$CLUSTER_DIR/node$k.pid"; done
}

cmd_status() {
  load_layout
  local k pid port info running=0
  for ((k = 1; k <= N_NODES; k++)); do
    port=$((BASE_PORT + k - 1))
    pid=$(node_pid "$k")
    if [ -z "$pid" ]; then
      echo "node$k  port $port  not running"
      continue
    fi
    running=$((running + 1))
    info=$(info_ring "$port")
    if [ -z "$info" ]; then
      echo "node$k  port $port  pid $pid  not answering"
      continue
    fi
    echo "node$k  port $port  pid $pid"
    grep -E '^ring_' <<<"$info" | sed 's/^/  /'
  done
  ((running == N_NODES))
}

cmd_clean() {
  cmd_stop
  case "$CLUSTER_DIR" in /|"$ROOT"|"$HOME") die "refusing to delete $CLUSTER_DIR" ;; esac
  rm -rf "$CLUSTER_DIR"
  echo "deleted $CLUSTER_DIR"
}

case "${1:-}" in
  start) shift; (($# <= 2)) || die "start takes at most N_NODES and BASE_PORT"; cmd_start "$@" ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  clean) cmd_clean ;;
  -h|--help|help) usage ;;
  *) usage >&2; exit 2 ;;
esac
