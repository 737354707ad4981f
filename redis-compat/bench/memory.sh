#!/usr/bin/env bash
# Memory and disk footprint of ringkv against redis-server 7 after loading the same
# data set: exactly N distinct keys key:0 .. key:N-1 (default 5,000,000) with
# V-byte values (default 100), mass-inserted with `redis-cli --pipe`. Reports only.
#
# usage: memory.sh [--ringkv BIN] [--redis BIN] [--keys N] [--value-size V]
#                  [--pipe-timeout S] [--only redis|ringkv] [--keep]
#
#   --ringkv BIN      server under test (default: ../../build/ringkv-server); a binary
#                     named redis-server* gets --save '' --appendonly no.
#   --redis BIN       reference server (default: redis-server, --save '' --appendonly no)
#   --keys N          number of keys (default 5000000)
#   --value-size V    value length in bytes (default 100)
#   --pipe-timeout S  redis-cli --pipe: give up after S seconds without a reply (default 120)
#   --only NAME       load only one of the servers
#   --keep            keep the temp dir (data dirs, server logs)
#
# Values are random lowercase hex, generated from a fixed seed, so they do not compress
# away on disk and every run loads the same bytes. Each server is started alone on a
# free port with a fresh data dir, loaded, measured (DBSIZE, VmRSS and VmHWM from
# /proc/PID/status, INFO used_memory when present, data dir size), then stopped.

set -u -o pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/common.sh
. "$HERE/common.sh"

usage() { sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

RINGKV=""
REDIS=redis-server
KEYS=5000000
VSIZE=100
PIPE_TIMEOUT=120
ONLY=""
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --ringkv) RINGKV=${2:?}; shift ;;
    --redis) REDIS=${2:?}; shift ;;
    --keys) KEYS=${2:?}; shift ;;
    --value-size) VSIZE=${2:?}; shift ;;
    --pipe-timeout) PIPE_TIMEOUT=${2:?}; shift ;;
    --only) ONLY=${2:?}; shift ;;
    --keep) KEEP=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
[[ "$KEYS" =~ ^[1-9][0-9]*$ ]] || die "--keys must be a positive integer"
[[ "$VSIZE" =~ ^[1-9][0-9]*$ ]] || die "--value-size must be a positive integer"
case "$ONLY" in ""|redis|ringkv) ;; *) die "--only takes redis or ringkv" ;; esac
REDIS=$(resolve_bin "$REDIS")
if [ "$ONLY" != redis ]; then
  [ -n "$RINGKV" ] || RINGKV=$(default_ringkv)
  [ -x "$RINGKV" ] || [[ "$RINGKV" != */* ]] ||
    die "ringkv binary not found: $RINGKV (build it, or pass --ringkv BIN)"
  RINGKV=$(resolve_bin "$RINGKV")
fi
for tool in "$REDIS_CLI" python3 timeout du; do
  command -v "$tool" >/dev/null || die "missing tool: $tool"
done

make_workdir ringkv-memory
SUMMARY="$WORK/summary.tsv"
: >"$SUMMARY"

# generate N V: the RESP stream of SET key:i <V random hex bytes> for i in 0..N-1.
generate() {
  python3 - "$1" "$2" <<'PY'
import random, sys
n, vsize = int(sys.argv[1]), int(sys.argv[2])
rng = random.Random(20240601)
out = sys.stdout.buffer
batch = 20000
vhead = b"$%d\r\n" % vsize
for start in range(0, n, batch):
    end = min(n, start + batch)
    count = end - start
    blob = rng.randbytes((count * vsize + 1) // 2).hex().encode()
    parts = []
    for j in range(count):
        key = b"key:%d" % (start + j)
        parts.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n%s%s\r\n"
                     % (len(key), key, vhead, blob[j * vsize:(j + 1) * vsize]))
    out.write(b"".join(parts))
out.flush()
PY
}

proc_kb() { # PID FIELD: a "VmRSS:   1234 kB" field of /proc/PID/status, in kB
  awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null
}

info_field() { # FIELD: from INFO, empty when missing
  timeout 30 "$REDIS_CLI" -h 127.0.0.1 -p "$PORT" INFO 2>/dev/null | tr -d '\r' |
    awk -F: -v f="$1" '$1 == f { print $2 }'
}

measure() { # LABEL BIN
  local label=$1 bin=$2
  echo "== $label: $bin"
  start_server "$bin" "$label"
  local rss0 t0 t1 out rc=0
  rss0=$(proc_kb "$SERVER_PID" VmRSS)
  echo "   started on port $PORT, VmRSS $((rss0 / 1024)) MiB; loading $KEYS keys ..."
  t0=$(date +%s.%N)
  out=$(generate "$KEYS" "$VSIZE" |
    timeout 7200 "$REDIS_CLI" -h 127.0.0.1 -p "$PORT" --pipe --pipe-timeout "$PIPE_TIMEOUT" 2>&1) || rc=$?
  t1=$(date +%s.%N)
  echo "$out" | sed 's/^/   | /'
  local summary
  summary=$(grep -E '^errors: [0-9]+, replies: [0-9]+' <<<"$out" | tail -n 1)
  [ $rc -eq 0 ] || echo "   warning: redis-cli --pipe exited with status $rc"
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "   warning: $label exited during the load; log tail:"
    tail -n 20 "$SERVER_LOG" | sed 's/^/    | /'
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "${summary:-none}" "n/a" "n/a" "n/a" "n/a" "n/a" \
      "$(python3 -c "print(f'{$t1 - $t0:.1f}')")" "n/a" >>"$SUMMARY"
    stop_server
    return 0
  fi
  local dbsize rss hwm used disk
  dbsize=$(timeout 60 "$REDIS_CLI" -h 127.0.0.1 -p "$PORT" DBSIZE 2>&1 | head -n 1)
  rss=$(proc_kb "$SERVER_PID" VmRSS)
  hwm=$(proc_kb "$SERVER_PID" VmHWM)
  used=$(info_field used_memory)
  disk=$(du -sk "$SERVER_DIR" | awk '{ print $1 }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "${summary:-none}" "$dbsize" "$rss0" "$rss" "$hwm" \
    "${used:-}" "$(python3 -c "print(f'{$t1 - $t0:.1f}')")" "$disk" >>"$SUMMARY"
  stop_server
}

echo "keys: $KEYS (key:0 .. key:$((KEYS - 1))), values: $VSIZE random hex bytes" \
  "(~$(( (KEYS * (VSIZE + 40)) / 1048576 )) MiB of protocol)"
[ "$ONLY" = ringkv ] || measure redis "$REDIS"
[ "$ONLY" = redis ] || measure ringkv "$RINGKV"

echo
python3 - "$SUMMARY" "$KEYS" "$VSIZE" <<'PY'
import sys
path, keys, vsize = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

def mib(kb):
    try:
        return f"{int(kb) / 1024:,.0f}"
    except ValueError:
        return "n/a"

hdr = ["server", "--pipe result", "DBSIZE", "VmRSS MiB", "VmHWM MiB", "B/key (RSS)",
       "used_memory MiB", "data dir MiB", "load s", "keys/s"]
rows = []
with open(path) as f:
    for line in f:
        label, summary, dbsize, rss0, rss, hwm, used, secs, disk = line.rstrip("\n").split("\t")
        try:
            per_key = f"{(int(rss) - int(rss0)) * 1024 / keys:,.0f}"
        except ValueError:
            per_key = "n/a"
        try:
            used_mib = f"{int(used) / 1048576:,.0f}"
        except ValueError:
            used_mib = "n/a"
        try:
            rate = f"{keys / float(secs):,.0f}"
        except (ValueError, ZeroDivisionError):
            rate = "n/a"
        if not dbsize.isdigit():
            dbsize = dbsize[:32] + ("..." if len(dbsize) > 32 else "")
        rows.append([label, summary, dbsize, mib(rss), mib(hwm), per_key, used_mib, mib(disk), secs, rate])

widths = [max(len(r[i]) for r in rows + [hdr]) for i in range(len(hdr))]
fmt = lambda r: "  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                          for i, (c, w) in enumerate(zip(r, widths))).rstrip()
print(f"after loading {keys:,} keys with {vsize}-byte values (raw data {keys * vsize / 1048576:,.0f} MiB of values)")
print(fmt(hdr))
print(fmt(["-" * w for w in widths]))
for r in rows:
    print(fmt(r))
print("B/key (RSS) = (VmRSS after load - VmRSS at start) / keys; DBSIZE should equal the key count")
PY
