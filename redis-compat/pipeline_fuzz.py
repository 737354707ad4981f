#!/usr/bin/env python3
"""Pipelined differential fuzz: random batches of commands, each batch sent in one
write, against a real redis-server 7 and ringkv; every reply must match.

Batches put many commands into one ringkv event-loop iteration and so one group
commit, which the one-command-at-a-time corpus does not exercise: staged writes
read back in the same batch, WATCH/MULTI across FLUSHDB and SWAPDB, renames and
copies between databases. Seeds are fixed, so a failure replays exactly:

    python3 redis-compat/pipeline_fuzz.py --ringkv build/ringkv-server --seeds 7 --batches 300

Prints one line per seed and ends with "N passed, M failed" (seeds).
"""
import argparse
import os
import random
import signal
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_diff import Server, resolve_binary  # noqa: E402

KEYS = [b"k%d" % i for i in range(6)]
FIELDS = [b"f%d" % i for i in range(5)]
# Replies whose element order Redis leaves unspecified.
UNORDERED = {b"KEYS", b"HKEYS", b"HVALS"}


class Typed(list):
    """An aggregate whose RESP type (array, map, set, push) is part of equality."""

    def __init__(self, kind, items):
        super().__init__(items)
        self.kind = kind

    def __eq__(self, other):
        return isinstance(other, Typed) and self.kind == other.kind and list.__eq__(self, other)

    def __ne__(self, other):
        return not self.__eq__(other)

    def __repr__(self):
        return "%s%s" % (self.kind.decode(), list.__repr__(self))


RESP3_NULL = "(resp3 null)"


def encode(args):
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


def read_reply(f):
    line = f.readline()
    if not line:
        raise EOFError("connection closed")
    kind = line[:1]
    if kind in b"+-:":
        return line.strip()
    if kind == b"$":
        n = int(line[1:])
        return None if n < 0 else f.read(n + 2)[:-2]
    if kind in b"*~>":
        n = int(line[1:])
        return None if n < 0 else Typed(kind, [read_reply(f) for _ in range(n)])
    if kind == b"%":  # RESP3 map: key, value, key, value
        n = int(line[1:])
        return Typed(kind, [read_reply(f) for _ in range(2 * n)])
    if kind == b"_":
        return RESP3_NULL
    if kind in b",#(":
        return line.strip()
    raise ValueError("unexpected reply %r" % line)


def generator(rnd):
    def k():
        return rnd.choice(KEYS)

    def v():
        return rnd.choice([b"1", b"2", b"-5", b"abc", b"", b"10", b"x" * rnd.randint(0, 40)])

    def f():
        return rnd.choice(FIELDS)

    choices = [
        lambda: [b"SET", k(), v()],
        lambda: [b"SET", k(), v(), rnd.choice([b"NX", b"XX", b"KEEPTTL", b"GET"])],
        lambda: [b"GET", k()], lambda: [b"DEL", k(), k()], lambda: [b"INCR", k()],
        lambda: [b"INCRBY", k(), b"7"], lambda: [b"APPEND", k(), v()], lambda: [b"STRLEN", k()],
        lambda: [b"GETDEL", k()], lambda: [b"SETRANGE", k(), b"%d" % rnd.randint(0, 10), v()],
        lambda: [b"GETRANGE", k(), b"0", b"-1"], lambda: [b"HSET", k(), f(), v()],
        lambda: [b"HSET", k(), f(), v(), f(), v()], lambda: [b"HDEL", k(), f()],
        lambda: [b"HGET", k(), f()], lambda: [b"HLEN", k()], lambda: [b"HINCRBY", k(), f(), b"3"],
        lambda: [b"HSETNX", k(), f(), v()], lambda: [b"HGETALL", k()], lambda: [b"HKEYS", k()],
        lambda: [b"EXISTS", k(), k()], lambda: [b"TYPE", k()], lambda: [b"RENAME", k(), k()],
        lambda: [b"RENAMENX", k(), k()], lambda: [b"COPY", k(), k()],
        lambda: [b"COPY", k(), k(), b"DB", b"1", b"REPLACE"], lambda: [b"MOVE", k(), b"1"],
        lambda: [b"EXPIRE", k(), b"1000"], lambda: [b"PERSIST", k()],
        lambda: [b"PEXPIREAT", k(), b"1"], lambda: [b"MSET", k(), v(), k(), v()],
        lambda: [b"MGET", k(), k(), k()], lambda: [b"MSETNX", k(), v(), k(), v()],
        lambda: [b"DBSIZE"], lambda: [b"KEYS", b"*"], lambda: [b"SELECT", rnd.choice([b"0", b"1"])],
        lambda: [b"SWAPDB", b"0", b"1"],
        lambda: [b"FLUSHDB"] if rnd.random() < 0.2 else [b"DBSIZE"],
        lambda: [b"MULTI"], lambda: [b"EXEC"], lambda: [b"DISCARD"], lambda: [b"WATCH", k()],
        lambda: [b"UNWATCH"],
    ]
    return lambda: rnd.choice(choices)()


def normalize(cmd, reply):
    if not isinstance(reply, list):
        return reply
    name = cmd[0].upper()
    kind = reply.kind if isinstance(reply, Typed) else b"*"
    if name == b"HGETALL":
        return Typed(kind, sorted(zip(reply[0::2], reply[1::2])))
    if name in UNORDERED:
        return Typed(kind, sorted(reply))
    if name == b"EXEC":  # the queued commands are not tracked: sort nested lists
        return Typed(kind, [Typed(x.kind, sorted(x, key=repr)) if isinstance(x, Typed) else x
                            for x in reply])
    return reply


def run_seed(seed, batches, ref_port, tgt_port, resp3):
    rnd = random.Random(seed)
    gen = generator(rnd)
    conns = []
    for port in (ref_port, tgt_port):
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        conns.append((s, s.makefile("rb")))
    try:
        for s, f in conns:
            if resp3:
                s.sendall(encode([b"HELLO", b"3"]))
                read_reply(f)
            s.sendall(encode([b"FLUSHALL"]))
            read_reply(f)
        history, total = [], 0
        for batch in range(batches):
            cmds = [gen() for _ in range(rnd.randint(1, 40))]
            history.extend(cmds)
            payload = b"".join(encode(c) for c in cmds)
            for s, _ in conns:
                s.sendall(payload)
            for c in cmds:
                a = normalize(c, read_reply(conns[0][1]))
                b = normalize(c, read_reply(conns[1][1]))
                total += 1
                if a != b:
                    print("MISMATCH seed %d (RESP%d) batch %d: %s\n  redis : %r\n  ringkv: %r"
                          % (seed, 3 if resp3 else 2, batch, b" ".join(c).decode("latin1"), a, b))
                    print("  last commands:")
                    for h in history[-60:]:
                        print("    " + b" ".join(h).decode("latin1"))
                    return False
        print("ok   seed %d (RESP%d): %d commands" % (seed, 3 if resp3 else 2, total))
        return True
    finally:
        for s, _ in conns:
            s.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ringkv", required=True)
    ap.add_argument("--redis", default="redis-server")
    ap.add_argument("--seeds", type=int, default=5, help="run seeds 1..N")
    ap.add_argument("--batches", type=int, default=300)
    args = ap.parse_args()
    redis_bin, ringkv_bin = resolve_binary(args.redis), resolve_binary(args.ringkv)

    def on_term(signum, frame):
        raise KeyboardInterrupt()
    signal.signal(signal.SIGTERM, on_term)

    ref = Server("redis", lambda port, d: [redis_bin, "--port", str(port), "--bind", "127.0.0.1",
                                           "--save", "", "--appendonly", "no",
                                           "--daemonize", "no", "--dir", d])
    tgt = Server("ringkv", lambda port, d: [ringkv_bin, "--port", str(port), "--bind",
                                            "127.0.0.1", "--dir", d, "--loglevel", "warning"])
    passed = failed = 0
    try:
        ref.start()
        tgt.start()
        for seed in range(1, args.seeds + 1):
            # Even seeds speak RESP3 (maps, nulls and sets on the wire).
            if run_seed(seed, args.batches, ref.port, tgt.port, resp3=seed % 2 == 0):
                passed += 1
            else:
                failed += 1
    finally:
        ref.cleanup()
        tgt.cleanup()
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
