#!/usr/bin/env bash
# Throughput of ringkv against redis-server 7 with redis-benchmark. Reports only: no
# assertions, not a CTest test (timings on a shared 2-core machine are too noisy).
#
# usage: bench.sh [--rounds K] [--ringkv BIN] [--redis BIN] [--requests N] [--clients C]
#                 [--keyspace R] [--tests LIST] [--cluster NODES] [--pin] [--keep]
#
#   --rounds K     rounds (default 3); each round starts each server afresh (new port,
#                  new data dir), alternating which one goes first, and runs
#                  redis-benchmark non-pipelined (P1) and with -P 16 (P16) against it.
#   --ringkv BIN   server under test (default: ../../build/ringkv-server). Pointing it
#                  at redis-server validates this script; a binary named redis-server*
#                  gets --save '' --appendonly no like the reference.
#   --redis BIN    reference server (default: redis-server), always run with
#                  --save '' --appendonly no.
#   --requests N   requests per test (default 100000)
#   --clients C    parallel connections (default 50)
#   --keyspace R   random key space, redis-benchmark -r (default 100000)
#   --tests LIST   redis-benchmark -t list (default set,get,incr,hset,mset)
#   --cluster NODES  ringkv runs as a cluster of NODES processes on this machine
#                  (replicas 3, write-quorum 2, read-quorum 2 for NODES >= 3; free
#                  ports, fresh dirs each round) and all the load goes to node 1;
#                  redis is still one redis-server. Also BENCH_CLUSTER=NODES.
#   --pin          run the server (every node) on CPU 0 and redis-benchmark on CPU 1
#   --keep         keep the temp dir (raw CSV, server logs)
#
# Prints, per test and mode, the median requests/s of each server over the rounds,
# the ratio ringkv/redis and whether it meets the target: single node >= 0.9 for
# P1 and >= 0.6 for P16, every test; cluster SET >= 0.4 and GET >= 0.5 for P1,
# both >= 0.25 for P16, other tests reported without a target. Exit status is 0
# whenever the benchmark ran, met or not.

set -u -o pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/common.sh
. "$HERE/common.sh"

usage() { sed -n '2,31p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

ROUNDS=3
RINGKV=""
REDIS=redis-server
REQUESTS=100000
CLIENTS=50
KEYSPACE=100000
TESTS=set,get,incr,hset,mset
CLUSTER=${BENCH_CLUSTER:-0}
PIN=0
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=${2:?}; shift ;;
    --ringkv) RINGKV=${2:?}; shift ;;
    --redis) REDIS=${2:?}; shift ;;
    --requests|-n) REQUESTS=${2:?}; shift ;;
    --clients|-c) CLIENTS=${2:?}; shift ;;
    --keyspace|-r) KEYSPACE=${2:?}; shift ;;
    --tests|-t) TESTS=${2:?}; shift ;;
    --cluster) CLUSTER=${2:?}; shift ;;
    --pin) PIN=1 ;;
    --keep) KEEP=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "--rounds must be a positive integer"
[[ "$REQUESTS" =~ ^[1-9][0-9]*$ ]] || die "--requests must be a positive integer"
[[ "$CLUSTER" =~ ^[0-9]+$ ]] || die "--cluster must be a number of nodes"
[ -n "$RINGKV" ] || RINGKV=$(default_ringkv)
[ -x "$RINGKV" ] || [[ "$RINGKV" != */* ]] ||
  die "ringkv binary not found: $RINGKV (build it, or pass --ringkv BIN)"
RINGKV=$(resolve_bin "$RINGKV")
REDIS=$(resolve_bin "$REDIS")
if [ "$CLUSTER" -gt 0 ] && is_redis "$RINGKV"; then die "--cluster needs a ringkv binary"; fi
for tool in "$REDIS_CLI" "$REDIS_BENCHMARK" python3 timeout; do
  command -v "$tool" >/dev/null || die "missing tool: $tool"
done
BENCH_TASKSET=()
if [ "$PIN" = 1 ]; then
  command -v taskset >/dev/null || die "--pin needs taskset"
  SERVER_TASKSET=(taskset -c 0)
  BENCH_TASKSET=(taskset -c 1)
fi
IFS=, read -r -a TEST_LIST <<<"$TESTS"

make_workdir ringkv-bench
RESULTS="$WORK/results.tsv"   # server round mode test rps p50_ms
ERRORS="$WORK/errors.tsv"     # server mode test message
: >"$RESULTS"
: >"$ERRORS"

echo "redis : $REDIS ($("$REDIS" --version | head -n 1))"
if [ "$CLUSTER" -gt 0 ]; then
  CL_N=$((CLUSTER < 3 ? CLUSTER : 3))
  CL_Q=$((CL_N < 2 ? CL_N : 2))
  echo "ringkv: $RINGKV as a $CLUSTER-node cluster on this machine (N=$CL_N W=$CL_Q R=$CL_Q)," \
    "load on node 1 only"
else
  echo "ringkv: $RINGKV"
fi
echo "redis-benchmark -c $CLIENTS -r $KEYSPACE -n $REQUESTS --csv, tests $TESTS, P1 and -P 16;" \
  "$ROUNDS round(s); $(nproc) CPU(s)$([ "$PIN" = 1 ] && echo ', server on CPU 0, benchmark on CPU 1');" \
  "load average $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews the ratios)"

# bench_test LABEL ROUND MODE PIPELINE TEST: one redis-benchmark run for one test.
# One run per test because redis-benchmark exits at the first error reply, and an
# unsupported command must not take the other tests' numbers with it.
bench_test() {
  local label=$1 round=$2 mode=$3 pipeline=$4 t=$5 rc=0
  local csv="$WORK/$label-r$round-$mode-$t.csv"
  timeout 1800 "${BENCH_TASKSET[@]}" "$REDIS_BENCHMARK" -h 127.0.0.1 -p "$PORT" \
    -c "$CLIENTS" -r "$KEYSPACE" -n "$REQUESTS" -t "$t" -P "$pipeline" --csv \
    >"$csv" 2>"$csv.err" || rc=$?
  if [ $rc -ne 0 ] || grep -vE '^WARNING: Could not fetch server CONFIG' "$csv.err" | grep -qE 'ERR|[Ee]rror'; then
    printf '%s\t%s\t%s\t%s\n' "$label" "$mode" "$t" \
      "status $rc: $(grep -vE '^WARNING: Could not fetch server CONFIG' "$csv.err" | tail -n 2 | tr '\n' ' ')" \
      >>"$ERRORS"
  fi
  python3 - "$csv" "$label" "$round" "$mode" >>"$RESULTS" <<'PY'
import csv, sys
path, label, rnd, mode = sys.argv[1:]
with open(path, newline="") as f:
    for row in csv.DictReader(f):
        try:
            print(f"{label}\t{rnd}\t{mode}\t{row['test']}\t{float(row['rps'])}\t{float(row['p50_latency_ms'])}")
        except (KeyError, ValueError, TypeError):
            pass
PY
}

# run_one LABEL BIN ROUND: a fresh server, every test P1 then P16, stop.
run_one() {
  local label=$1 bin=$2 round=$3 mode pipeline t
  if [ "$label" = ringkv ] && [ "$CLUSTER" -gt 0 ]; then
    start_cluster "$bin" "$label" "$CLUSTER"
  else
    start_server "$bin" "$label"
  fi
  for mode in P1 P16; do
    pipeline=1
    [ "$mode" = P16 ] && pipeline=16
    for t in "${TEST_LIST[@]}"; do
      bench_test "$label" "$round" "$mode" "$pipeline" "$t"
    done
    printf '  round %d  %-6s %-3s %s\n' "$round" "$label" "$mode" \
      "$(awk -F'\t' -v l="$label" -v r="$round" -v m="$mode" \
          '$1==l && $2==r && $3==m { printf "%s=%.0f  ", $4, $5 }' "$RESULTS")"
  done
  if ! servers_alive; then
    echo "  warning: $label exited during round $round; log tail:"
    if [ ${#CLUSTER_PIDS[@]} -gt 0 ]; then
      tail -n 10 "$SERVER_DIR"/node*.log | sed 's/^/    | /'
    else
      tail -n 20 "$SERVER_LOG" | sed 's/^/    | /'
    fi
    printf '%s\t%s\t%s\t%s\n' "$label" "-" "-" "server exited during round $round" >>"$ERRORS"
  fi
  stop_server
}

for ((round = 1; round <= ROUNDS; round++)); do
  if ((round % 2 == 1)); then
    run_one redis "$REDIS" "$round"
    run_one ringkv "$RINGKV" "$round"
  else
    run_one ringkv "$RINGKV" "$round"
    run_one redis "$REDIS" "$round"
  fi
done

echo
python3 - "$RESULTS" "$ERRORS" "$CLUSTER" <<'PY'
import re, statistics, sys
from collections import defaultdict

results_path, errors_path, cluster = sys.argv[1], sys.argv[2], int(sys.argv[3])
rps = defaultdict(list)
p50 = defaultdict(list)
tests = []
with open(results_path) as f:
    for line in f:
        label, rnd, mode, test, r, lat = line.rstrip("\n").split("\t")
        rps[(label, mode, test)].append(float(r))
        p50[(label, mode, test)].append(float(lat))
        if test not in tests:
            tests.append(test)

# Targets as ratios ringkv/redis, by (mode, test); None = reported, no target.
if cluster:
    CLUSTER_TARGET = {("P1", "SET"): 0.4, ("P1", "GET"): 0.5,
                      ("P16", "SET"): 0.25, ("P16", "GET"): 0.25}
    target_of = lambda mode, test: CLUSTER_TARGET.get((mode, test))
    target_text = "SET >= 0.4 and GET >= 0.5 x redis for P1, both >= 0.25 for P16"
else:
    target_of = lambda mode, test: {"P1": 0.9, "P16": 0.6}[mode]
    target_text = "P1 >= 0.9 x redis, P16 >= 0.6 x redis"

def med(d, k):
    return statistics.median(d[k]) if d.get(k) else None

def num(v, spec):
    return format(v, spec) if v is not None else "n/a"

hdr = ["test", "mode", "redis rps", "ringkv rps", "ratio", "target", "met",
       "redis p50 ms", "ringkv p50 ms", "rounds"]
rows = []
met = total = 0
for mode in ("P1", "P16"):
    for test in tests:
        a, b = med(rps, ("redis", mode, test)), med(rps, ("ringkv", mode, test))
        ratio = b / a if a and b is not None else None
        target = target_of(mode, test)
        ok = target is not None and ratio is not None and ratio >= target
        if target is not None:
            total += 1
            met += ok
        n = min(len(rps.get(("redis", mode, test), [])), len(rps.get(("ringkv", mode, test), [])))
        rows.append([test, mode, num(a, ",.0f"), num(b, ",.0f"), num(ratio, ".2f"),
                     f">= {target}" if target is not None else "-",
                     ("yes" if ok else "NO") if target is not None else "-",
                     num(med(p50, ("redis", mode, test)), ".3f"),
                     num(med(p50, ("ringkv", mode, test)), ".3f"), str(n)])

widths = [max(len(r[i]) for r in rows + [hdr]) for i in range(len(hdr))]
def fmt(r):
    return "  ".join(c.rjust(w) if i >= 2 else c.ljust(w)
                     for i, (c, w) in enumerate(zip(r, widths))).rstrip()
if cluster:
    print(f"median requests/s over the rounds (ratio = ringkv {cluster}-node cluster, "
          "load on node 1 / one redis-server)")
else:
    print("median requests/s over the rounds (ratio = ringkv / redis)")
print(fmt(hdr))
print(fmt(["-" * w for w in widths]))
for r in rows:
    print(fmt(r))
print()
print(f"targets met: {met} of {total} ({target_text})")

# Runs that failed (their numbers are missing above): one line per distinct message.
seen = {}
with open(errors_path) as f:
    for line in f:
        label, mode, test, msg = line.rstrip("\n").split("\t", 3)
        msg = re.sub(r"\d{6,}", "N", msg.strip())[:200]  # random keys would make every line distinct
        seen.setdefault((label, test, msg), set()).add(mode)
if seen:
    print()
    print("failed runs (redis-benchmark stops at the first error reply):")
    for (label, test, msg), modes in sorted(seen.items()):
        print(f"  {label} {test} [{'/'.join(sorted(modes))}]: {msg}")
PY
