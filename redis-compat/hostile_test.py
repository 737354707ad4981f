#!/usr/bin/env python3
"""Hostile-input tests for ringkv-server (Python 3 standard library only).

    python3 hostile_test.py --ringkv build/ringkv-server [--redis redis-server]

Starts ringkv on free loopback ports (temp data dirs; a second instance with
--requirepass secret for the pre-AUTH cases), sends each hostile input, and checks
 - the exact error reply and whether the connection is closed (against redis-server's
   behaviour when --redis is given, else against Redis 7.0's known texts),
 - that afterwards the server is alive and another client's PING/SET/GET works,
 - that the server's resident memory (VmRSS) stays under a fixed cap and does not keep
   growing across repetitions of the same input.
The final line is exactly "N passed, M failed"; the exit status is 0 only if all passed.
"""

import argparse
import os
import resource
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

PASSWORD = "secret"
RSS_CAP_MB = 400          # generous fixed cap for every case but the slow reader
SLOW_READER_CAP_MB = 1024
GROWTH_CAP_MB = 64        # allowed RSS growth between the 2nd and the last repetition

ERR_MBULK = b"-ERR Protocol error: invalid multibulk length\r\n"
ERR_BULK = b"-ERR Protocol error: invalid bulk length\r\n"
ERR_INLINE = b"-ERR Protocol error: too big inline request\r\n"
ERR_UNAUTH_MBULK = b"-ERR Protocol error: unauthenticated multibulk length\r\n"
ERR_UNAUTH_BULK = b"-ERR Protocol error: unauthenticated bulk length\r\n"
CLOSED = "closed"
OPEN = "open"


# --------------------------------------------------------------------------------------
# servers
# --------------------------------------------------------------------------------------

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def resolve(path):
    if os.sep in path:
        return os.path.abspath(path)
    return shutil.which(path) or path


class Server:
    def __init__(self, label, binary, is_redis, password=None, keep=False):
        self.label = label
        self.binary = binary
        self.is_redis = is_redis
        self.password = password
        self.keep = keep
        self.proc = None
        self.port = None
        self.tmpdir = tempfile.mkdtemp(prefix="ringkv-hostile-%s-" % label)
        self.log_path = None

    def argv(self, datadir):
        a = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", datadir,
             "--maxclients", "10000"]
        if self.is_redis:
            a += ["--save", "", "--appendonly", "no", "--daemonize", "no"]
        else:
            a += ["--loglevel", "warning"]
        if self.password:
            a += ["--requirepass", self.password]
        return a

    def start(self, timeout=20.0):
        last = None
        for _ in range(3):
            self.port = free_port()
            datadir = os.path.join(self.tmpdir, "data-%d" % self.port)
            os.makedirs(datadir, exist_ok=True)
            self.log_path = os.path.join(self.tmpdir, "server-%d.log" % self.port)
            with open(self.log_path, "wb") as log:
                try:
                    self.proc = subprocess.Popen(self.argv(datadir), stdout=log,
                                                 stderr=subprocess.STDOUT,
                                                 stdin=subprocess.DEVNULL, cwd=datadir,
                                                 start_new_session=True)
                except OSError as e:
                    raise RuntimeError("%s: cannot run %s: %s" % (self.label, self.binary, e))
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    last = "exited with status %s" % self.proc.returncode
                    break
                try:
                    r = self.command([b"PING"], timeout=1.0)
                    if r == b"+PONG\r\n" or r.startswith(b"-NOAUTH"):
                        return
                    last = "PING replied %r" % r
                except OSError as e:
                    last = str(e)
                time.sleep(0.05)  # poll interval, bounded by the deadline
            else:
                last = last or "not ready in time"
            self.stop()
        raise RuntimeError("%s did not start: %s\n%s" % (self.label, last, self.log_tail()))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def rss_mb(self):
        try:
            with open("/proc/%d/status" % self.proc.pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024.0
        except (OSError, ValueError, AttributeError):
            pass
        return -1.0

    def connect(self, timeout=5.0):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s

    def command(self, args, timeout=5.0, auth=False):
        """One command on a fresh connection (AUTH first if asked). Returns raw reply."""
        s = self.connect(timeout)
        try:
            if auth and self.password:
                s.sendall(encode([b"AUTH", self.password.encode()]))
                read_reply(s, timeout)
            s.sendall(encode(args))
            return read_reply(s, timeout)
        finally:
            s.close()

    def log_tail(self, n=15):
        try:
            with open(self.log_path, "rb") as f:
                return "\n".join(f.read().decode("utf-8", "replace").splitlines()[-n:])
        except (OSError, TypeError):
            return ""

    def stop(self):
        p, self.proc = self.proc, None
        if p is None or p.poll() is not None:
            return
        try:
            p.terminate()
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=10)

    def cleanup(self):
        self.stop()
        if self.keep:
            print("kept %s temp dir: %s" % (self.label, self.tmpdir))
        else:
            shutil.rmtree(self.tmpdir, ignore_errors=True)


# --------------------------------------------------------------------------------------
# small RESP client helpers
# --------------------------------------------------------------------------------------

def encode(args):
    return b"".join([b"*%d\r\n" % len(args)] + [b"$%d\r\n%s\r\n" % (len(a), a) for a in args])


def reply_end(buf, pos=0):
    """End offset of one complete RESP2/3 reply starting at pos, or None."""
    eol = buf.find(b"\r\n", pos)
    if eol < 0:
        return None
    t = buf[pos:pos + 1]
    head = buf[pos + 1:eol]
    pos = eol + 2
    if t in (b"+", b"-", b":", b",", b"#", b"_", b"("):
        return pos
    if t in (b"$", b"!", b"="):
        n = int(head)
        if n < 0:
            return pos
        return pos + n + 2 if len(buf) >= pos + n + 2 else None
    if t in (b"*", b"~", b">", b"%", b"|"):
        n = int(head)
        if t in (b"%", b"|"):
            n *= 2
        for _ in range(max(n, 0)):
            pos = reply_end(buf, pos)
            if pos is None:
                return None
        return pos
    raise ValueError("not RESP: %r" % bytes(buf[:50]))


def read_reply(sock, timeout):
    buf = bytearray()
    deadline = time.monotonic() + timeout
    while True:
        end = reply_end(buf) if buf else None
        if end is not None:
            return bytes(buf[:end])
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout("no complete reply")
        sock.settimeout(left)
        data = sock.recv(65536)
        if not data:
            raise ConnectionError("closed before a complete reply")
        buf += data


def observe(sock, timeout, stop_after=None):
    """Reads replies until the peer closes or `timeout` passes (or stop_after replies).
    Returns a tuple: the replies, then CLOSED or OPEN."""
    buf = bytearray()
    replies = []
    deadline = time.monotonic() + timeout
    state = OPEN
    while True:
        while buf:
            end = reply_end(buf)
            if end is None:
                break
            replies.append(bytes(buf[:end]))
            del buf[:end]
        if stop_after is not None and len(replies) >= stop_after:
            break
        left = deadline - time.monotonic()
        if left <= 0:
            break
        sock.settimeout(left)
        try:
            data = sock.recv(65536)
        except socket.timeout:
            break
        except OSError:
            data = b""
        if not data:
            state = CLOSED
            break
        buf += data
    if buf:
        replies.append(b"<partial: %r>" % bytes(buf[:80]))
    return tuple(replies) + (state,)


def send_stoppable(sock, data, chunk=16384):
    """Sends data in chunks, stopping early once the server has something to say
    (an error reply) or the connection fails, so the reply is not lost to a reset."""
    sel = selectors.DefaultSelector()
    sel.register(sock, selectors.EVENT_READ)
    sent = 0
    try:
        while sent < len(data):
            if sel.select(timeout=0):
                break
            sock.settimeout(5.0)
            try:
                sock.sendall(data[sent:sent + chunk])
            except OSError:
                break
            sent += chunk
    finally:
        sel.unregister(sock)
        sel.close()
    return sent


def short(obs, limit=160):
    r = repr(obs)
    return r if len(r) <= limit else r[:limit] + "..."


# --------------------------------------------------------------------------------------
# cases: each returns (observation, [problems]); observation is compared to expected
# --------------------------------------------------------------------------------------

def case_neg_multibulk(srv):
    s = srv.connect()
    try:
        s.sendall(b"*-1\r\n")
        first = observe(s, 0.3)  # nothing may come back, and the connection stays open
        s.sendall(b"*1\r\n$4\r\nPING\r\n")
        second = observe(s, 5.0, stop_after=1)
        return first + second, []
    finally:
        s.close()


def _one_shot(payload, wait=5.0):
    def run(srv):
        s = srv.connect()
        try:
            s.sendall(payload)
            return observe(s, wait), []
        finally:
            s.close()
    return run


def case_bulk_1gib_then_close(srv):
    s = srv.connect()
    try:
        s.sendall(b"*1\r\n$1073741824\r\n")
        obs = observe(s, 3.0)
    finally:
        s.close()  # the client goes away without sending the body
    return obs, []


def case_max_bulk_announced(srv):
    """8 clients each announce a 512 MB (= proto-max-bulk-len) argument, send 64 KB of
    it and stall: the server must not commit memory for what was merely announced."""
    socks, problems = [], []
    try:
        for _ in range(8):
            s = srv.connect()
            s.sendall(b"*2\r\n$3\r\nSET\r\n$536870912\r\n" + b"x" * 65536)
            socks.append(s)
        obs = tuple(observe(s, 0.3) for s in socks[:1])[0]
        rss = srv.rss_mb()
        if rss > RSS_CAP_MB:
            problems.append("RSS %.0f MB with 8 stalled 512 MB bulks (cap %d MB)" % (rss, RSS_CAP_MB))
        return obs, problems
    finally:
        for s in socks:
            s.close()


def case_unauth_flood(srv, n=1000):
    """n concurrent connections each send *1000000 before AUTH (requirepass set)."""
    sel = selectors.DefaultSelector()
    states = {}
    outcome = {"error+closed": 0, "closed": 0, "reset": 0}
    problems = []
    payload = b"*1000000\r\n"
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", srv.port))
        sel.register(s, selectors.EVENT_WRITE)
        states[s] = bytearray()
    deadline = time.monotonic() + 60.0
    pending = set(states)
    peak = 0.0
    try:
        while pending and time.monotonic() < deadline:
            for key, ev in sel.select(timeout=0.5):
                s = key.fileobj
                if ev & selectors.EVENT_WRITE:
                    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        problems.append("connect failed: %s" % os.strerror(err))
                        sel.unregister(s)
                        pending.discard(s)
                        continue
                    try:
                        s.send(payload)
                    except OSError:
                        pass
                    sel.modify(s, selectors.EVENT_READ)
                    continue
                try:
                    data = s.recv(4096)
                except (ConnectionResetError, BrokenPipeError):
                    outcome["reset"] += 1
                    sel.unregister(s)
                    pending.discard(s)
                    continue
                except BlockingIOError:
                    continue
                if data:
                    states[s] += data
                    continue
                got = bytes(states[s])
                if got == ERR_UNAUTH_MBULK:
                    outcome["error+closed"] += 1
                elif got == b"":
                    outcome["closed"] += 1
                else:
                    outcome.setdefault("other: %r" % got[:80], 0)
                    outcome["other: %r" % got[:80]] += 1
                sel.unregister(s)
                pending.discard(s)
            peak = max(peak, srv.rss_mb())
        if pending:
            problems.append("%d of %d connections neither answered nor closed within 60 s"
                            % (len(pending), n))
        others = {k: v for k, v in outcome.items() if k.startswith("other")}
        if others:
            problems.append("unexpected replies: %s" % others)
        if peak > RSS_CAP_MB:
            problems.append("RSS peaked at %.0f MB (cap %d MB)" % (peak, RSS_CAP_MB))
    finally:
        for s in states:
            try:
                s.close()
            except OSError:
                pass
        sel.close()
    print("     %s: %d connections: %s, RSS peak %.0f MB" % (srv.label, n, outcome, peak))
    # the observation is "every connection got the error and/or was closed"
    return ("all rejected" if not pending and not problems else "not all rejected",), problems


def case_unauth_limits(srv):
    """Boundaries of the pre-AUTH limits: multibulk count 10 ok / 11 error,
    bulk length 16384 ok / 16385 error (the accepted ones get NOAUTH)."""
    out = []
    for payload in (b"*10\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n" + b"$2\r\nNX\r\n" * 7,
                    b"*11\r\n",
                    b"*2\r\n$4\r\nECHO\r\n$16384\r\n" + b"y" * 16384 + b"\r\n",
                    b"*2\r\n$4\r\nECHO\r\n$16385\r\n"):
        s = srv.connect()
        try:
            s.sendall(payload)
            out.append(observe(s, 0.5 if payload.startswith(b"*10") or b"16384" in payload else 5.0,
                               stop_after=None))
        finally:
            s.close()
    return tuple(out), []


GLOB_KEYS = [b"a" * 40, b"a" * 40 + b"c", b"ab" * 20, b"key:1", b"hello"]


def _glob_pattern():
    return (b"a*" * 51200)[:102399] + b"b"  # 100 KiB, exponential for a naive matcher


def _setup_glob_keys(srv):
    for k in GLOB_KEYS:
        srv.command([b"SET", k, b"v"], auth=True)


def case_glob_keys(srv):
    _setup_glob_keys(srv)
    s = srv.connect(timeout=30)
    try:
        t0 = time.monotonic()
        s.sendall(encode([b"KEYS", _glob_pattern()]))
        obs = observe(s, 20.0, stop_after=1)
        took = time.monotonic() - t0
    finally:
        s.close()
    problems = [] if took < 10 else ["KEYS with a 100 KB pattern took %.1f s" % took]
    return obs, problems


def case_glob_scan(srv):
    _setup_glob_keys(srv)
    s = srv.connect(timeout=30)
    try:
        t0 = time.monotonic()
        s.sendall(encode([b"SCAN", b"0", b"MATCH", _glob_pattern(), b"COUNT", b"1000"]))
        obs = observe(s, 20.0, stop_after=1)
        took = time.monotonic() - t0
    finally:
        s.close()
    problems = [] if took < 10 else ["SCAN MATCH with a 100 KB pattern took %.1f s" % took]
    return obs, problems


def case_endless_inline(srv):
    s = srv.connect()
    try:
        send_stoppable(s, b"a" * (1 << 20))
        return observe(s, 5.0), []
    finally:
        s.close()


def case_slow_reader(srv):
    """A client pipelines 1500 GETs of a 1 MB value (1.5 GB of replies) and never reads.
    The server must keep RSS under 1 GB, keep serving others, and close or cap it."""
    problems = []
    srv.command([b"SET", b"hostile:big", b"z" * (1 << 20)], auth=True, timeout=10)
    bad = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    bad.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    bad.connect(("127.0.0.1", srv.port))
    bad.setblocking(False)
    req = b""
    if srv.password:
        req += encode([b"AUTH", srv.password.encode()])
    req += encode([b"GET", b"hostile:big"]) * 1500
    sent = 0
    peak = 0.0
    closed = False
    slowest = 0.0
    deadline = time.monotonic() + 20.0
    try:
        while time.monotonic() < deadline:
            if sent < len(req):
                try:
                    sent += bad.send(req[sent:sent + 65536])
                except BlockingIOError:
                    pass
                except OSError:
                    closed = True
            if not closed:
                # never read the replies; only notice a close (recv of 0 bytes / reset)
                try:
                    peek = bad.recv(1, socket.MSG_PEEK)
                    if peek == b"":
                        closed = True
                except BlockingIOError:
                    pass
                except OSError:
                    closed = True
            peak = max(peak, srv.rss_mb())
            t0 = time.monotonic()
            try:
                r = srv.command([b"PING"], timeout=5.0, auth=True)
                if r != b"+PONG\r\n":
                    problems.append("other client's PING got %r" % r[:80])
                    break
            except OSError as e:
                problems.append("other client's PING failed while the slow reader sat there: %s" % e)
                break
            slowest = max(slowest, time.monotonic() - t0)
            if closed and sent >= len(req):
                break
            time.sleep(0.1)  # sampling interval, bounded by the deadline
    finally:
        bad.close()
    if peak > SLOW_READER_CAP_MB:
        problems.append("RSS peaked at %.0f MB (cap %d MB): the output buffer is not capped"
                        % (peak, SLOW_READER_CAP_MB))
    if slowest > 2.0:
        problems.append("other clients waited up to %.1f s" % slowest)
    srv.command([b"DEL", b"hostile:big"], auth=True, timeout=10)
    status = "closed by server" if closed else "left open (capped)"
    print("     %s: slow reader %s, RSS peak %.0f MB, slowest PING %.3f s" % (srv.label, status, peak, slowest))
    return None, problems


# name: (server kind, repetitions, function, expected observation or None)
CASES = [
    ("neg_multibulk", "plain", 20, case_neg_multibulk, (OPEN, b"+PONG\r\n", OPEN)),
    ("multibulk_2147483648", "plain", 20, _one_shot(b"*2147483648\r\n"), (ERR_MBULK, CLOSED)),
    ("bulk_negative_in_multibulk", "plain", 20, _one_shot(b"*2\r\n$3\r\nGET\r\n$-5\r\n"),
     (ERR_BULK, CLOSED)),
    ("bulk_blabla", "plain", 20, _one_shot(b"*1\r\n$blabla\r\n"), (ERR_BULK, CLOSED)),
    ("bulk_1gib_then_close", "plain", 20, case_bulk_1gib_then_close, (ERR_BULK, CLOSED)),
    ("max_bulk_announced_stalled", "plain", 3, case_max_bulk_announced, (OPEN,)),
    ("unauth_multibulk_flood_1000", "auth", 2, case_unauth_flood, ("all rejected",)),
    ("unauth_limits", "auth", 5, case_unauth_limits,
     ((b"-NOAUTH Authentication required.\r\n", OPEN), (ERR_UNAUTH_MBULK, CLOSED),
      (b"-NOAUTH Authentication required.\r\n", OPEN), (ERR_UNAUTH_BULK, CLOSED))),
    ("glob_100kb_keys", "plain", 3, case_glob_keys, (b"*0\r\n", OPEN)),
    ("glob_100kb_scan_match", "plain", 3, case_glob_scan, (b"*2\r\n$1\r\n0\r\n*0\r\n", OPEN)),
    ("endless_inline_1mb", "plain", 5, case_endless_inline, (ERR_INLINE, CLOSED)),
    ("slow_reader_1gb", "plain", 1, case_slow_reader, None),
]


def liveness(srv):
    """Another client's PING/SET/GET must work."""
    token = b"%d-%f" % (os.getpid(), time.time())
    try:
        if srv.command([b"PING"], auth=True) != b"+PONG\r\n":
            return "PING failed"
        if srv.command([b"SET", b"hostile:probe", token], auth=True) != b"+OK\r\n":
            return "SET failed"
        got = srv.command([b"GET", b"hostile:probe"], auth=True)
        if got != b"$%d\r\n%s\r\n" % (len(token), token):
            return "GET returned %r" % got[:80]
    except (OSError, ValueError) as e:
        return "liveness check failed: %s" % e
    return None


def run_case(name, srv, reps, fn):
    """Runs fn reps times. Returns (observation of the first run, problems)."""
    problems = []
    first = None
    rss = []
    for i in range(reps):
        try:
            obs, probs = fn(srv)
        except (OSError, ValueError) as e:
            obs, probs = ("exception: %s" % e,), []
        if i == 0:
            first = obs
        elif obs != first and obs is not None:
            probs = probs + ["repetition %d observed %s, first %s" % (i + 1, short(obs), short(first))]
        problems += probs
        if not srv.alive():
            problems.append("server died (status %s); log tail:\n%s"
                            % (srv.proc.returncode if srv.proc else "?", srv.log_tail()))
            return first, problems
        err = liveness(srv)
        if err:
            problems.append("after repetition %d: %s" % (i + 1, err))
            return first, problems
        rss.append(srv.rss_mb())
        if problems:
            break
    cap = SLOW_READER_CAP_MB if name.startswith("slow_reader") else RSS_CAP_MB
    if rss and max(rss) > cap:
        problems.append("RSS %.0f MB above the cap of %d MB" % (max(rss), cap))
    if len(rss) >= 3 and rss[-1] - rss[1] > GROWTH_CAP_MB:
        problems.append("RSS kept growing across repetitions: %s MB" % ["%.0f" % r for r in rss])
    return first, problems


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ringkv", required=True, help="path to ringkv-server")
    ap.add_argument("--redis", help="path to redis-server 7: compare replies with it")
    ap.add_argument("--only", action="append", default=[], help="run only these cases")
    ap.add_argument("--keep", action="store_true", help="keep temp dirs and logs")
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()
    cases = [c for c in CASES if not args.only or any(c[0].startswith(o) for o in args.only)]
    if args.list:
        for c in cases:
            print(c[0])
        return 0

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 16384 if hard == resource.RLIM_INFINITY else min(hard, 16384)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))

    def on_term(signum, frame):
        raise KeyboardInterrupt()
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started ignoring it

    ringkv = resolve(args.ringkv)
    redis = resolve(args.redis) if args.redis else None
    servers = {}
    passed = failed = 0
    interrupted = False
    try:
        for name, kind, reps, fn, expected in cases:
            labels = [("ringkv", ringkv, False)] + ([("redis", redis, True)] if redis else [])
            obs = {}
            problems = []
            for label, binary, is_redis in labels:
                key = (label, kind)
                srv = servers.get(key)
                if srv is None or not srv.alive():
                    if srv is not None:
                        srv.cleanup()
                    srv = Server("%s-%s" % (label, kind), binary, is_redis,
                                 password=PASSWORD if kind == "auth" else None, keep=args.keep)
                    servers[key] = srv
                    srv.start()
                o, probs = run_case(name, srv, reps, fn)
                obs[label] = o
                if label == "ringkv":
                    problems += probs
                elif probs:
                    print("     (reference redis-server: %s)" % "; ".join(probs))
            ref = expected
            if redis and expected is not None:
                if obs.get("redis") != expected:
                    print("     note: redis-server observed %s, Redis 7.0 text expected %s"
                          % (short(obs.get("redis")), short(expected)))
                ref = obs.get("redis")
            if ref is not None and obs["ringkv"] != ref:
                problems.append("observed %s, expected %s" % (short(obs["ringkv"], 300), short(ref, 300)))
            if problems:
                failed += 1
                print("FAIL %s" % name)
                for p in problems:
                    print("     %s" % p)
            else:
                passed += 1
                print("ok   %s" % name)
    except KeyboardInterrupt:
        interrupted = True
        print("interrupted")
    except RuntimeError as e:
        failed += 1
        print("error: %s" % e)
    finally:
        for srv in servers.values():
            srv.cleanup()
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 and not interrupted else 1


if __name__ == "__main__":
    sys.exit(main())
