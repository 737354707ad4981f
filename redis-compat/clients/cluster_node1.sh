#!/usr/bin/env bash
# Stands in for ringkv-server in run_clients.sh so that every client check runs
# through a ring: starts a 3-node cluster (N=3, W=2, R=2) on loopback and serves
# the given --port with node 1. Takes ringkv-server's arguments (node 2 and 3 get
# the same ones, with their own ports and data dirs); RINGKV_BIN names the binary.
#
#   RINGKV_BIN=build/ringkv-server bash redis-compat/clients/run_clients.sh \
#       redis-compat/clients/cluster_node1.sh
#
# SIGTERM or SIGINT stops all three nodes; so does node 1 exiting.
set -u

BIN=${RINGKV_BIN:?set RINGKV_BIN to the ringkv-server binary}
args=("$@")
dir=""
for ((i = 0; i + 1 < ${#args[@]}; i++)); do
  if [ "${args[i]}" = --dir ]; then dir=${args[i + 1]}; fi
done
if [ -z "$dir" ]; then
  echo "cluster_node1.sh: --dir is required" >&2
  exit 2
fi

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
cport1=$(free_port)
cport2=$(free_port)
cport3=$(free_port)
port2=$(free_port)
port3=$(free_port)
ring=(--replicas 3 --write-quorum 2 --read-quorum 2
  --seeds "127.0.0.1:$cport1,127.0.0.1:$cport2,127.0.0.1:$cport3")

mkdir -p "$dir-node2" "$dir-node3"
# Later directives override earlier ones, as with redis-server.
"$BIN" "${args[@]}" --port "$port2" --dir "$dir-node2" --cluster-port "$cport2" \
  --node-id node2 "${ring[@]}" >"$dir-node2.log" 2>&1 &
node2=$!
"$BIN" "${args[@]}" --port "$port3" --dir "$dir-node3" --cluster-port "$cport3" \
  --node-id node3 "${ring[@]}" >"$dir-node3.log" 2>&1 &
node3=$!
"$BIN" "${args[@]}" --cluster-port "$cport1" --node-id node1 "${ring[@]}" &
node1=$!

stop_all() {
  kill -TERM "$node1" "$node2" "$node3" 2>/dev/null
  wait
  exit 0
}
trap stop_all TERM INT
wait "$node1"
status=$?
kill -TERM "$node2" "$node3" 2>/dev/null
wait
exit "$status"
