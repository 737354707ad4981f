#!/usr/bin/env python3
"""Differential RESP test runner: ringkv-server against a real redis-server 7.

Runs every script in redis-compat/scripts/*.txt against both servers and compares
the raw reply bytes command by command.  The script format is documented in
redis-compat/README.md.  Python 3 standard library only.

    python3 run_diff.py --ringkv build/ringkv-server --redis /usr/bin/redis-server
    python3 run_diff.py --target 127.0.0.1:7000 --redis redis-server   # running server
    python3 run_diff.py --redis redis-server --dump --only strings_incr  # show redis replies
    python3 run_diff.py --ringkv build/ringkv-server --cluster 3   # node 1 of a 3-node cluster

The final line is exactly "N passed, M failed" (N/M count scripts) and the exit
status is 0 only if every script passed.
"""

import argparse
import codecs
import fnmatch
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS_DIR = os.path.join(HERE, "scripts")

# Scripts that set requirepass must use this password; the per-script reset uses it
# to get back in and clear requirepass if a script stopped half way.
TEST_PASSWORD = b"compat-secret"

# Fields of a HELLO reply whose values legitimately differ between servers.
HELLO_MASKED_FIELDS = (b"id", b"version")

FLAG_DIRECTIVES = ("@sort", "@sort-pairs", "@ignore-reply", "@match-type", "@capture")


# --------------------------------------------------------------------------------------
# Intended differences per mode (data, not looser comparisons)
# --------------------------------------------------------------------------------------

class Allowed:
    """One intended difference: in scripts matching `script` (glob on the name without
    .txt), optionally only at script line `line`, a command whose text as shown in
    reports matches `command` (case-insensitive glob, e.g. "COPY * * DB *") may differ
    from redis, provided ringkv's raw reply is exactly `reply` (bytes, or a tuple of
    alternatives such as the RESP2 and RESP3 forms of nil; None: any reply). Every use
    is counted and reported; nothing else is loosened."""

    def __init__(self, script, command, reply, reason, line=None):
        self.script = script
        self.command = command
        self.reply = (reply,) if isinstance(reply, bytes) else reply
        self.reason = reason
        self.line = line

    def matches(self, stem, ref_obs, tgt_obs):
        if ref_obs is None or tgt_obs is None:
            return False  # a missing or extra observation is never intended
        if not fnmatch.fnmatchcase(stem, self.script):
            return False
        if self.line is not None and ref_obs.line != self.line:
            return False
        if not fnmatch.fnmatchcase(ref_obs.what.upper(), self.command.upper()):
            return False
        if self.reply is None:
            return True
        v = tgt_obs.value
        return v in self.reply

    def __str__(self):
        return "%s%s: %s%s" % (
            self.script, "" if self.line is None else ":%d" % self.line, self.command,
            "" if self.reply is None else " -> " + " | ".join(repr(r) for r in self.reply))


_NIL = (b"$-1\r\n", b"_\r\n")  # RESP2 and RESP3 nil
_NIL3 = b"_\r\n"  # after @resp3 in the script, whatever the pass


def _not_in_cluster(name):
    return b"-ERR %s is not supported in cluster mode (see the README's cluster section)\r\n" % name


# The cluster answers these with an error by design (README, cluster section): they
# need one node to own every key of a database (WATCH, whole-db moves). MULTI/EXEC
# runs, not atomically, and is compared like any command.
_CLUSTER_REFUSED = "refused in cluster mode by design (README cluster section)"

ALLOWED_DIFFERENCES = {
    "single": [],
    "cluster": [
        Allowed("*", "WATCH *", _not_in_cluster(b"WATCH"), _CLUSTER_REFUSED),
        Allowed("*", "MOVE * *", _not_in_cluster(b"MOVE"), _CLUSTER_REFUSED),
        Allowed("*", "SWAPDB * *", _not_in_cluster(b"SWAPDB"), _CLUSTER_REFUSED),
        Allowed("*", "COPY * * DB *",
                b"-ERR COPY with DB is not supported in cluster mode (see the README's "
                b"cluster section)\r\n", _CLUSTER_REFUSED),
        # Knock-on effects of those refusals, pinned to the script line and to the
        # exact reply ringkv gives when the refused command changed nothing.
        Allowed("resp3_replies", "EXEC", b"*1\r\n$7\r\nchanged\r\n",
                "the transaction runs: WATCH s (line 51) is refused", line=58),
        Allowed("resp3_replies", "EXEC", b"*1\r\n$5\r\nagain\r\n",
                "the transaction runs: WATCH s (line 77) is refused", line=83),
        Allowed("hash_order", "HKEYS cart3", b"*0\r\n",
                "cart3 stayed in db 0: MOVE cart3 1 (line 21) is refused", line=23),
        Allowed("keys_rename_copy_move", "GET other", _NIL,
                "nothing in db 1: COPY src other DB 1 (line 69) is refused", line=71),
        Allowed("keys_rename_copy_move", "EXISTS x", b":0\r\n",
                "nothing in db 2: COPY src x DB 1 DB 2 (line 85) is refused", line=87),
        Allowed("keys_rename_copy_move", "EXISTS m", b":1\r\n",
                "m stayed in db 0: MOVE m 1 (line 97) is refused", line=98),
        Allowed("keys_rename_copy_move", "GET m", _NIL,
                "m stayed in db 0: MOVE m 1 (line 97) is refused", line=100),
        Allowed("keys_rename_copy_move", "TTL mt", b":-2\r\n",
                "mt stayed in db 0: MOVE mt 3 (line 119) is refused", line=121),
        Allowed("keys_rename_copy_move", "HGET mh f", _NIL,
                "mh stayed in db 3: MOVE mh 0 (line 123) is refused", line=125),
        Allowed("server_select_swapdb_flush", "GET k", b"$3\r\ndb0\r\n",
                "db 0 and 1 not swapped: SWAPDB 0 1 (line 10) is refused", line=11),
        Allowed("server_select_swapdb_flush", "DBSIZE", b":1\r\n",
                "db 0 and 1 not swapped: SWAPDB 0 1 (line 10) is refused", line=12),
        Allowed("server_select_swapdb_flush", "HGET h f", _NIL,
                "db 0 and 1 not swapped: SWAPDB 0 1 (line 10) is refused", line=13),
        Allowed("server_select_swapdb_flush", "GET k", b"$3\r\ndb1\r\n",
                "db 0 and 1 not swapped: SWAPDB 0 1 (line 10) is refused", line=15),
        Allowed("server_select_swapdb_flush", "GET k", b"$3\r\ndb0\r\n",
                "db 0 and 15 not swapped: SWAPDB 0 15 (line 21) is refused", line=22),
        Allowed("server_select_swapdb_flush", "TTL t", b":100\r\n",
                "db 0 and 2 not swapped: SWAPDB 0 2 (line 37) is refused", line=38),
        Allowed("server_select_swapdb_flush", "TTL t", b":-2\r\n",
                "db 0 and 2 not swapped: SWAPDB 0 2 (line 37) is refused", line=40),
    ],
}

# Scripts that cannot say anything in a mode, with the reason.
SKIPPED_SCRIPTS = {
    "single": {},
    "cluster": {
        "multi_exec_watch": "built on WATCH and on EXEC's atomicity, which cluster mode does not give",
    },
}


class ScriptError(Exception):
    """A script cannot be parsed."""


class BadReply(Exception):
    """The server sent bytes that are not RESP."""


# --------------------------------------------------------------------------------------
# redis-cli quoting (sdssplitargs)
# --------------------------------------------------------------------------------------

_ESCAPES = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b", ord("a"): b"\a"}
_HEX = b"0123456789abcdefABCDEF"


def split_args(line):
    """Splits a bytes line like redis-cli/sdssplitargs does. Raises ScriptError."""
    args = []
    p = 0
    n = len(line)
    while True:
        while p < n and line[p:p + 1].isspace():
            p += 1
        if p >= n:
            return args
        inq = insq = done = False
        cur = bytearray()
        while not done:
            c = line[p] if p < n else None
            if inq:
                if (c == ord("\\") and p + 3 < n and line[p + 1] == ord("x")
                        and line[p + 2] in _HEX and line[p + 3] in _HEX):
                    cur.append(int(line[p + 2:p + 4], 16))
                    p += 3
                elif c == ord("\\") and p + 1 < n:
                    p += 1
                    cur += _ESCAPES.get(line[p], bytes([line[p]]))
                elif c == ord('"'):
                    if p + 1 < n and not line[p + 1:p + 2].isspace():
                        raise ScriptError("closing quote must be followed by a space")
                    done = True
                elif c is None:
                    raise ScriptError("unbalanced double quotes")
                else:
                    cur.append(c)
            elif insq:
                if c == ord("\\") and p + 1 < n and line[p + 1] == ord("'"):
                    p += 1
                    cur.append(ord("'"))
                elif c == ord("'"):
                    if p + 1 < n and not line[p + 1:p + 2].isspace():
                        raise ScriptError("closing quote must be followed by a space")
                    done = True
                elif c is None:
                    raise ScriptError("unbalanced single quotes")
                else:
                    cur.append(c)
            else:
                if c is None or c in b" \n\r\t\0":
                    done = True
                elif c == ord('"'):
                    inq = True
                elif c == ord("'"):
                    insq = True
                else:
                    cur.append(c)
            if p < n:
                p += 1
        args.append(bytes(cur))


def encode_command(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def show_args(args):
    """Human readable command, redis-cli style quoting where needed."""
    parts = []
    for a in args:
        if a and all(33 <= b < 127 and b not in b"\"'\\" for b in a):
            parts.append(a.decode())
        else:
            s = "".join(chr(b) if 32 <= b < 127 and b not in b'"\\' else
                        {10: "\\n", 13: "\\r", 9: "\\t", 34: '\\"', 92: "\\\\"}.get(b, "\\x%02x" % b)
                        for b in a)
            parts.append('"%s"' % s)
    line = " ".join(parts)
    return line if len(line) <= 200 else line[:200] + "..."


# --------------------------------------------------------------------------------------
# RESP2/RESP3 reply parsing
# --------------------------------------------------------------------------------------

_LINE_TYPES = b"+-:,#_("
_BULK_TYPES = b"$!="
_AGG_TYPES = b"*~>"
_PAIR_TYPES = b"%|"


class Node:
    __slots__ = ("type", "raw", "head", "children")

    def __init__(self, type_, raw, head, children):
        self.type = type_          # one char str, e.g. '*'
        self.raw = raw             # the exact bytes of this element
        self.head = head           # payload of the first line (or bulk data)
        self.children = children   # None for scalars; list for aggregates (maps flattened)

    @property
    def is_null(self):
        return self.type == "_" or (self.type in "$*" and self.head == b"-1")


def _parse_at(buf, pos, build, depth=0):
    """Parses one element at pos. Returns (end, Node|None) or None if incomplete."""
    if depth > 64:
        raise BadReply("nesting too deep")
    if pos >= len(buf):
        return None
    t = buf[pos]
    eol = buf.find(b"\r\n", pos)
    if eol < 0:
        if len(buf) - pos > 1 << 20:
            raise BadReply("line without CRLF")
        return None
    head = bytes(buf[pos + 1:eol])
    start = pos
    pos = eol + 2
    if t in _LINE_TYPES:
        return pos, (Node(chr(t), bytes(buf[start:pos]), head, None) if build else None)
    if t in _BULK_TYPES:
        try:
            n = int(head)
        except ValueError:
            raise BadReply("bad bulk length %r" % head)
        if n < 0:
            return pos, (Node(chr(t), bytes(buf[start:pos]), b"-1", None) if build else None)
        if len(buf) < pos + n + 2:
            return None
        if buf[pos + n:pos + n + 2] != b"\r\n":
            raise BadReply("bulk not terminated by CRLF")
        end = pos + n + 2
        return end, (Node(chr(t), bytes(buf[start:end]), bytes(buf[pos:pos + n]), None)
                     if build else None)
    if t in _AGG_TYPES or t in _PAIR_TYPES:
        try:
            n = int(head)
        except ValueError:
            raise BadReply("bad aggregate length %r" % head)
        if n < 0:
            return pos, (Node(chr(t), bytes(buf[start:pos]), b"-1", None) if build else None)
        count = n * 2 if t in _PAIR_TYPES else n
        children = [] if build else None
        for _ in range(count):
            r = _parse_at(buf, pos, build, depth + 1)
            if r is None:
                return None
            pos, child = r
            if build:
                children.append(child)
        node = Node(chr(t), bytes(buf[start:pos]), head, children) if build else None
        if t == ord("|"):
            # An attribute is followed by the actual reply; keep both as one unit.
            r = _parse_at(buf, pos, build, depth + 1)
            if r is None:
                return None
            pos, real = r
            if build:
                real.raw = bytes(buf[start:pos])
                node = real
        return pos, node
    raise BadReply("unknown reply type byte %r" % bytes([t]))


def reply_end(buf):
    """End offset of the first complete reply in buf, or None."""
    r = _parse_at(buf, 0, False)
    return None if r is None else r[0]


def parse_reply(raw):
    r = _parse_at(raw, 0, True)
    if r is None or r[0] != len(raw):
        raise BadReply("incomplete or trailing data")
    return r[1]


# --------------------------------------------------------------------------------------
# Connections
# --------------------------------------------------------------------------------------

CLOSED = "<connection closed>"
TIMEOUT = "<timeout: no complete reply>"


class Closed(Exception):
    pass


class Timeout(Exception):
    pass


class Conn:
    def __init__(self, host, port, timeout=5.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.eof = False
        self.dead = False  # unusable: closed, timed out, or sent garbage

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
        self.dead = True

    def send(self, data):
        try:
            self.sock.sendall(data)
        except OSError:
            self.eof = True

    def _recv(self, timeout):
        """Reads once. Returns False on timeout."""
        if self.eof:
            return True
        self.sock.settimeout(max(timeout, 0.001))
        try:
            data = self.sock.recv(1 << 16)
        except socket.timeout:
            return False
        except OSError:
            data = b""
        if not data:
            self.eof = True
        else:
            self.buf += data
        return True

    def read_reply(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            end = reply_end(self.buf)
            if end is not None:
                out = bytes(self.buf[:end])
                del self.buf[:end]
                return out
            if self.eof:
                raise Closed()
            left = deadline - time.monotonic()
            if left <= 0 or not self._recv(left):
                raise Timeout()

    def wait_eof(self, timeout):
        deadline = time.monotonic() + timeout
        while not self.eof:
            left = deadline - time.monotonic()
            if left <= 0 or not self._recv(left):
                return False
        return True

    def drain_quiet(self, quiet):
        """Reads replies until the peer closes or sends nothing for `quiet` seconds."""
        out = []
        while True:
            end = reply_end(self.buf)
            if end is not None:
                out.append(bytes(self.buf[:end]))
                del self.buf[:end]
                continue
            if self.eof:
                return out
            if not self._recv(quiet):
                return out

    def command(self, args, timeout=5.0):
        self.send(encode_command(args))
        return self.read_reply(timeout)


def wait_ready(host, port, deadline, proc=None):
    """Polls PING until +PONG (or -NOAUTH/-LOADING means: listening). Returns error text."""
    last = "not tried"
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return "server exited with status %s" % proc.returncode
        try:
            c = Conn(host, port, timeout=1.0)
            try:
                r = c.command([b"PING"], timeout=2.0)
            finally:
                c.close()
            if r == b"+PONG\r\n" or r.startswith(b"-NOAUTH"):
                return None
            last = "PING replied %r" % r
        except (OSError, Closed, Timeout, BadReply) as e:
            last = "%s: %s" % (type(e).__name__, e)
        time.sleep(0.05)  # poll interval, bounded by the deadline above
    return "not ready before deadline (%s)" % last


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# --------------------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------------------

class Server:
    """A server process we start (or an external address if argv is None)."""

    def __init__(self, label, argv_fn=None, host="127.0.0.1", port=None, keep=False,
                 die_with_parent=False):
        self.label = label
        self.argv_fn = argv_fn
        self.die_with_parent = die_with_parent
        self.host = host
        self.port = port
        self.keep = keep
        self.proc = None
        self.tmpdir = None
        self.log_path = None
        self.warned_reset = False
        self.crashes = []  # (script line, exit status, log tail) of deaths mid-script

    @property
    def managed(self):
        return self.argv_fn is not None

    def start(self, ready_timeout=20.0):
        if not self.managed:
            err = wait_ready(self.host, self.port, time.monotonic() + ready_timeout)
            if err:
                raise RuntimeError("%s at %s:%s: %s" % (self.label, self.host, self.port, err))
            return
        if self.tmpdir is None:
            self.tmpdir = tempfile.mkdtemp(prefix="ringkv-compat-%s-" % self.label)
        err = None
        for _attempt in range(3):
            self.port = free_port()
            datadir = os.path.join(self.tmpdir, "data-%d" % self.port)
            os.makedirs(datadir, exist_ok=True)
            self.log_path = os.path.join(self.tmpdir, "server-%d.log" % self.port)
            log = open(self.log_path, "wb")
            argv = self.argv_fn(self.port, datadir)
            try:
                self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL, cwd=datadir,
                                             start_new_session=True,
                                             preexec_fn=_die_with_parent
                                             if self.die_with_parent else None)
            except OSError as e:
                raise RuntimeError("%s: cannot run %s: %s" % (self.label, argv[0], e))
            finally:
                log.close()
            err = wait_ready(self.host, self.port, time.monotonic() + ready_timeout, self.proc)
            if err is None:
                return
            self.stop()
        raise RuntimeError("%s did not start: %s\n--- log tail ---\n%s"
                           % (self.label, err, self.log_tail()))

    def alive(self):
        return not self.managed or (self.proc is not None and self.proc.poll() is None)

    def log_tail(self, n=20):
        if not self.log_path or not os.path.exists(self.log_path):
            return ""
        with open(self.log_path, "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
        return "\n".join(lines[-n:])

    def stop(self):
        p = self.proc
        self.proc = None
        if p is None or p.poll() is not None:
            return
        try:
            p.terminate()
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=5)
        except OSError:
            pass

    def cleanup(self):
        self.stop()
        if self.tmpdir and not self.keep:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
        elif self.tmpdir:
            print("kept %s temp dir: %s" % (self.label, self.tmpdir))

    def endpoints(self):
        """(label, host, port) of every process the per-script reset must empty."""
        return [(self.label, self.host, self.port)]

    def exit_status(self):
        return self.proc.returncode if self.proc else None


def _die_with_parent():
    """preexec_fn: the child gets SIGKILL when the runner dies, even by SIGKILL (Linux)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def info_fields(reply):
    """INFO reply bytes (RESP2 bulk or RESP3 verbatim) -> {field: value} (str)."""
    node = parse_reply(reply)
    text = node.head.decode("utf-8", "replace")
    if node.type == "=" and text[3:4] == ":":
        text = text[4:]
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#") and ":" in line:
            k, _, v = line.partition(":")
            out[k] = v
    return out


class ClusterServer:
    """A ringkv cluster of `size` nodes started by the runner. Commands go to node 1
    (host/port below); the per-script reset empties every node. Same interface as a
    managed Server: start() starts every node on fresh ports and data dirs and waits
    until every node's INFO ring shows ring_members and ring_alive equal to `size`;
    a node that dies gets the whole cluster restarted, empty."""

    managed = True

    def __init__(self, label, binary, size, replicas, write_quorum, read_quorum, keep=False,
                 ready_timeout=30.0):
        self.label = label
        self.binary = binary
        self.size = size
        self.replicas = replicas
        self.write_quorum = write_quorum
        self.read_quorum = read_quorum
        self.keep = keep
        self.ready_timeout = ready_timeout
        self.host = "127.0.0.1"
        self.port = None
        self.nodes = []  # dicts: name, port, cport, dir, log, proc
        self.tmpdir = None
        self.warned_reset = False
        self.crashes = []
        self.generation = 0  # bumped by every (re)start: fresh data dirs each time
        self.start_seconds = []  # how long each start took until the ring was ready

    def _argv(self, node, seeds):
        return [self.binary, "--port", str(node["port"]), "--bind", "127.0.0.1",
                "--cluster-port", str(node["cport"]), "--dir", node["dir"],
                "--node-id", node["name"], "--seeds", seeds,
                "--replicas", str(self.replicas), "--write-quorum", str(self.write_quorum),
                "--read-quorum", str(self.read_quorum), "--enable-debug-command", "local",
                "--loglevel", "notice"]

    def start(self, ready_timeout=None):
        ready_timeout = ready_timeout or self.ready_timeout
        if self.tmpdir is None:
            self.tmpdir = tempfile.mkdtemp(prefix="ringkv-compat-%s-" % self.label)
        t0 = time.monotonic()
        err = None
        for _attempt in range(3):
            self.generation += 1
            err = self._start_once(ready_timeout)
            if err is None:
                self.start_seconds.append(time.monotonic() - t0)
                return
            self.stop()
        raise RuntimeError("%s did not start: %s\n--- log tails ---\n%s"
                           % (self.label, err, self.log_tail()))

    def _start_once(self, ready_timeout):
        ports = set()
        while len(ports) < 2 * self.size:  # distinct free ports, client and cluster
            ports.add(free_port())
        ports = sorted(ports)
        self.nodes = []
        for i in range(self.size):
            name = "node%d" % (i + 1)
            base = os.path.join(self.tmpdir, "g%d-%s" % (self.generation, name))
            os.makedirs(base + "-data", exist_ok=True)
            self.nodes.append({"name": name, "port": ports[2 * i], "cport": ports[2 * i + 1],
                               "dir": base + "-data", "log": base + ".log", "proc": None})
        self.port = self.nodes[0]["port"]
        seeds = ",".join("127.0.0.1:%d" % n["cport"] for n in self.nodes)
        for node in self.nodes:
            argv = self._argv(node, seeds)
            log = open(node["log"], "wb")
            try:
                node["proc"] = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                                stdin=subprocess.DEVNULL, cwd=node["dir"],
                                                start_new_session=True,
                                                preexec_fn=_die_with_parent)
            except OSError as e:
                raise RuntimeError("%s: cannot run %s: %s" % (self.label, argv[0], e))
            finally:
                log.close()
        deadline = time.monotonic() + ready_timeout
        for node in self.nodes:
            err = wait_ready(self.host, node["port"], deadline, node["proc"])
            if err:
                return "%s: %s" % (node["name"], err)
        # Ready when every node sees every node as a live ring member.
        want = str(self.size)
        last = {}
        while time.monotonic() < deadline:
            pending = []
            for node in self.nodes:
                if node["proc"].poll() is not None:
                    return "%s exited with status %s" % (node["name"], node["proc"].returncode)
                try:
                    c = Conn(self.host, node["port"], timeout=2.0)
                    try:
                        f = info_fields(c.command([b"INFO", b"ring"], timeout=2.0))
                    finally:
                        c.close()
                    last[node["name"]] = "ring_members:%s ring_alive:%s" % (
                        f.get("ring_members"), f.get("ring_alive"))
                    if f.get("ring_members") != want or f.get("ring_alive") != want:
                        pending.append(node["name"])
                except (OSError, Closed, Timeout, BadReply) as e:
                    last[node["name"]] = "%s: %s" % (type(e).__name__, e)
                    pending.append(node["name"])
            if not pending:
                return None
            time.sleep(0.05)  # poll interval, bounded by the deadline above
        return "ring not formed before deadline (%s)" % ", ".join(
            "%s %s" % kv for kv in sorted(last.items()))

    def alive(self):
        return bool(self.nodes) and all(n["proc"] is not None and n["proc"].poll() is None
                                        for n in self.nodes)

    def exit_status(self):
        return ", ".join("%s %s" % (n["name"], n["proc"].returncode) for n in self.nodes
                         if n["proc"] is not None and n["proc"].poll() is not None) or None

    def log_tail(self, n=20):
        out = []
        for node in self.nodes:
            if not os.path.exists(node["log"]):
                continue
            with open(node["log"], "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
            out.append("[%s port %d]" % (node["name"], node["port"]))
            out += lines[-n:]
        return "\n".join(out)

    def stop(self):
        procs = [n["proc"] for n in self.nodes if n["proc"] is not None]
        for n in self.nodes:
            n["proc"] = None
        for p in procs:
            if p.poll() is None:
                try:
                    p.terminate()
                except OSError:
                    pass
        for p in procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)

    def cleanup(self):
        self.stop()
        if self.tmpdir and not self.keep:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
        elif self.tmpdir:
            print("kept %s temp dir: %s" % (self.label, self.tmpdir))

    def endpoints(self):
        return [("%s %s" % (self.label, n["name"]), self.host, n["port"]) for n in self.nodes]


# --------------------------------------------------------------------------------------
# Script parsing
# --------------------------------------------------------------------------------------

class Item:
    def __init__(self, kind, line, **kw):
        self.kind = kind  # cmd raw hello scan pipeline conn
        self.line = line
        self.args = kw.get("args")
        self.data = kw.get("data")
        self.proto = kw.get("proto")
        self.name = kw.get("name")
        self.items = kw.get("items")
        self.flags = kw.get("flags") or {}


def parse_script(path):
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    items = []
    flags = {}
    flags_line = None
    pipeline_left = 0
    pipeline_item = None

    def take_flags():
        nonlocal flags, flags_line
        f = flags
        flags = {}
        flags_line = None
        return f

    for lineno, raw_line in enumerate(lines, 1):
        line = raw_line.rstrip(b"\r")
        stripped = line.strip()
        if not stripped or stripped.startswith(b"#"):
            continue
        where = "%s:%d" % (os.path.basename(path), lineno)
        if stripped.startswith(b"@"):
            word, _, rest = stripped.partition(b" ")
            word = word.decode("ascii", "replace").lower()
            rest = rest.strip()
            if word in FLAG_DIRECTIVES:
                flags_line = flags_line or lineno
                if word == "@sort":
                    flags["sort"] = True
                elif word == "@sort-pairs":
                    flags["sort_pairs"] = True
                elif word == "@ignore-reply":
                    flags["ignore"] = True
                elif word == "@match-type":
                    try:
                        flags["match_type"] = int(rest) if rest else 1000
                    except ValueError:
                        raise ScriptError("%s: @match-type takes an optional depth" % where)
                elif word == "@capture":
                    if not rest:
                        raise ScriptError("%s: @capture needs a variable name" % where)
                    flags["capture"] = rest.decode()
                continue
            if word in ("@raw", "@scan-all"):
                if not rest:
                    raise ScriptError("%s: %s needs an argument" % (where, word))
                if word == "@raw":
                    try:
                        data = codecs.escape_decode(rest)[0]
                    except Exception as e:
                        raise ScriptError("%s: bad @raw escape: %s" % (where, e))
                    item = Item("raw", lineno, data=data, flags=take_flags())
                else:
                    try:
                        args = split_args(rest)
                    except ScriptError as e:
                        raise ScriptError("%s: %s" % (where, e))
                    if args[0].upper() not in (b"SCAN", b"HSCAN") or \
                            (args[0].upper() == b"HSCAN" and len(args) < 2):
                        raise ScriptError("%s: @scan-all takes SCAN [args] or HSCAN key [args]" % where)
                    item = Item("scan", lineno, args=args, flags=take_flags())
                if pipeline_left:
                    raise ScriptError("%s: only commands may appear inside @pipeline" % where)
                items.append(item)
                continue
            if flags:
                raise ScriptError("%s: flag directives must be followed by a command" % where)
            if pipeline_left:
                raise ScriptError("%s: only commands may appear inside @pipeline" % where)
            if word in ("@resp2", "@resp3"):
                items.append(Item("hello", lineno, proto=int(word[-1])))
            elif word == "@conn":
                if not rest or b" " in rest:
                    raise ScriptError("%s: @conn NAME" % where)
                items.append(Item("conn", lineno, name=rest.decode()))
            elif word == "@pipeline":
                try:
                    n = int(rest)
                except ValueError:
                    n = 0
                if n < 1:
                    raise ScriptError("%s: @pipeline N with N >= 1" % where)
                pipeline_left = n
                pipeline_item = Item("pipeline", lineno, items=[])
                items.append(pipeline_item)
            else:
                raise ScriptError("%s: unknown directive %s" % (where, word))
            continue
        try:
            args = split_args(line)
        except ScriptError as e:
            raise ScriptError("%s: %s" % (where, e))
        if not args:
            continue
        item = Item("cmd", lineno, args=args, flags=take_flags())
        if pipeline_left:
            pipeline_item.items.append(item)
            pipeline_left -= 1
        else:
            items.append(item)
    if flags:
        raise ScriptError("%s:%s: flag directives at end of script" % (os.path.basename(path), flags_line))
    if pipeline_left:
        raise ScriptError("%s: @pipeline is missing %d commands" % (os.path.basename(path), pipeline_left))
    return items


# --------------------------------------------------------------------------------------
# Executing scripts on one server
# --------------------------------------------------------------------------------------

class Obs:
    """One observed result: value is bytes (a reply), a marker str, or a tuple of them."""

    def __init__(self, line, what, value, flags, kind="cmd"):
        self.line = line
        self.what = what
        self.value = value
        self.flags = flags
        self.kind = kind


class Session:
    def __init__(self, server, proto, timeout, quiet):
        self.server = server
        self.proto = proto  # protocol every new connection starts with (2 or 3)
        self.timeout = timeout
        self.quiet = quiet
        self.conns = {}
        self.current = "default"
        self.vars = {}
        self.obs = []

    # connections -------------------------------------------------------------------
    def close_all(self):
        for c in self.conns.values():
            c.close()
        self.conns = {}

    def conn(self, line):
        c = self.conns.get(self.current)
        if c is not None and not c.dead and not c.eof:
            return c
        if c is not None:
            c.close()
        srv = self.server
        if srv.managed and not srv.alive():
            # The server died in the middle of the script: report it once, restart it
            # (empty) and go on, so the rest of the script still says something.
            srv.crashes.append((line, srv.exit_status(), srv.log_tail()))
            for cc in self.conns.values():
                cc.close()
            self.conns = {}
            try:
                srv.stop()
                srv.start()
            except RuntimeError:
                raise Closed()
        try:
            c = Conn(srv.host, srv.port, self.timeout)
        except OSError as e:
            c = None
            self.obs.append(Obs(line, "(connect %s)" % self.current, "<connect failed: %s>" % e, {}))
            raise Closed()
        self.conns[self.current] = c
        if self.proto == 3:
            self._hello(c, line, 3, "(auto on new connection %r) HELLO 3" % self.current)
        return c

    def _hello(self, c, line, proto, what):
        c.send(encode_command([b"HELLO", str(proto).encode()]))
        self.obs.append(Obs(line, what, self._read(c), {"hello": True}))

    def _read(self, c):
        try:
            return c.read_reply(self.timeout)
        except Closed:
            c.dead = True
            return CLOSED
        except Timeout:
            c.close()
            return TIMEOUT
        except BadReply as e:
            c.close()
            return "<bad reply: %s; buffered %r>" % (e, bytes(c.buf[:200]))

    def substitute(self, args):
        if not self.vars or not any(b"${" in a for a in args):
            return args
        out = []
        for a in args:
            for k, v in self.vars.items():
                a = a.replace(b"${%s}" % k.encode(), v)
            out.append(a)
        return out

    def capture(self, name, value):
        if isinstance(value, bytes):
            try:
                node = parse_reply(value)
                if node.children is None:
                    self.vars[name] = node.head
                    return
            except BadReply:
                pass
        self.vars[name] = b"<uncapturable>"

    # items ---------------------------------------------------------------------------
    def run(self, item, hint=None):
        """Executes one item, appending Obs to self.obs. hint: reference Obs for @raw."""
        try:
            self._run(item, hint)
        except Closed:
            pass  # recorded already

    def _run(self, item, hint):
        if item.kind == "conn":
            self.current = item.name
            return
        if item.kind == "hello":
            c = self.conn(item.line)
            self._hello(c, item.line, item.proto, "HELLO %d" % item.proto)
            return
        if item.kind == "cmd":
            c = self.conn(item.line)
            args = self.substitute(item.args)
            c.send(encode_command(args))
            self._finish_cmd(c, item, args)
            return
        if item.kind == "pipeline":
            c = self.conn(item.line)
            all_args = [self.substitute(sub.args) for sub in item.items]
            c.send(b"".join(encode_command(a) for a in all_args))
            for sub, args in zip(item.items, all_args):
                self._finish_cmd(c, sub, args)
            return
        if item.kind == "raw":
            self._run_raw(item, hint)
            return
        if item.kind == "scan":
            self._run_scan(item)
            return
        raise AssertionError(item.kind)

    def _finish_cmd(self, c, item, args):
        value = self._read(c)
        name = args[0].upper()
        if name == b"QUIT" and isinstance(value, bytes):
            # QUIT must reply and then close the connection: observe both.
            value = (value, CLOSED if c.wait_eof(self.timeout) else "<connection left open>")
            c.dead = True
        flags = dict(item.flags)
        if name == b"HELLO":
            flags["hello"] = True
        if "capture" in item.flags:
            self.capture(item.flags["capture"], value)
        self.obs.append(Obs(item.line, show_args(args), value, flags))

    def _run_raw(self, item, hint):
        c = self.conn(item.line)
        c.send(item.data)
        try:
            if hint is None or not isinstance(hint.value, tuple):
                replies = c.drain_quiet(self.quiet)
                closed = c.eof
            else:
                # Target side: wait for as many replies as the reference gave, then
                # for the close if the reference closed, else a short quiet period.
                ref = hint.value
                want = len([v for v in ref if isinstance(v, bytes)])
                replies = []
                for _ in range(want):
                    try:
                        replies.append(c.read_reply(self.timeout))
                    except (Closed, Timeout):
                        break
                if CLOSED in ref:
                    if len(replies) == want:
                        c.wait_eof(self.timeout)
                        replies += c.drain_quiet(0.001)
                else:
                    replies += c.drain_quiet(self.quiet)
                closed = c.eof
        except BadReply as e:
            c.close()
            replies, closed = ["<bad reply: %s>" % e], True
        value = tuple(replies) + ((CLOSED,) if closed else ())
        if closed:
            c.dead = True
        self.obs.append(Obs(item.line, "@raw %r" % item.data[:200], value, item.flags, kind="raw"))

    def _run_scan(self, item):
        c = self.conn(item.line)
        args = self.substitute(item.args)
        is_h = args[0].upper() == b"HSCAN"
        fixed, rest = (args[:2], args[2:]) if is_h else (args[:1], args[1:])
        cursor = b"0"
        seen = set()
        value = None
        for _ in range(100000):
            c.send(encode_command(fixed + [cursor] + rest))
            r = self._read(c)
            if not isinstance(r, bytes):
                value = r
                break
            try:
                node = parse_reply(r)
            except BadReply as e:
                value = "<bad reply: %s>" % e
                break
            if node.type == "-":
                value = r
                break
            if (node.type != "*" or node.children is None or len(node.children) != 2
                    or node.children[0].type != "$" or node.children[1].type != "*"
                    or node.children[1].children is None):
                value = "<malformed scan reply %r>" % r[:300]
                break
            elems = node.children[1].children
            if is_h:
                if len(elems) % 2:
                    value = "<odd number of HSCAN elements %r>" % r[:300]
                    break
                for i in range(0, len(elems), 2):
                    seen.add(b"*2\r\n" + elems[i].raw + elems[i + 1].raw)
            else:
                for e in elems:
                    seen.add(e.raw)
            cursor = node.children[0].head
            if cursor == b"0":
                break
        else:
            value = "<scan did not terminate>"
        if value is None:
            s = sorted(seen)
            value = b"*%d\r\n" % len(s) + b"".join(s)
        self.obs.append(Obs(item.line, "@scan-all " + show_args(args), value, item.flags))


# --------------------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------------------

def _structure(node, depth):
    if node.is_null:
        return "null"
    if node.children is None or depth <= 0:
        return node.type
    if depth <= 1:
        return "%s%d" % (node.type, len(node.children) // (2 if node.type in "%|" else 1))
    return "%s[%s]" % (node.type, ",".join(_structure(c, depth - 1) for c in node.children))


def _pairs(children):
    return [children[i].raw + children[i + 1].raw for i in range(0, len(children) - 1, 2)]


def normalize(value, flags):
    """Maps an observed value to the thing that is compared."""
    if isinstance(value, tuple):
        return tuple(normalize(v, flags) for v in value)
    if not isinstance(value, bytes):
        return value
    if flags.get("ignore"):
        return "<ignored>"
    try:
        node = parse_reply(value)
    except BadReply as e:
        return "<bad reply %s: %r>" % (e, value)
    if "match_type" in flags:
        return "structure " + _structure(node, flags["match_type"])
    if flags.get("hello") and node.children is not None and node.type in "*%":
        ch = node.children
        out = [node.raw.split(b"\r\n", 1)[0] + b"\r\n"]
        for i in range(0, len(ch) - 1, 2):
            out.append(ch[i].raw)
            out.append(b"<masked>" if ch[i].head in HELLO_MASKED_FIELDS else ch[i + 1].raw)
        return b"".join(out)
    if (flags.get("sort") or flags.get("sort_pairs")) and node.children is not None:
        header = node.raw.split(b"\r\n", 1)[0] + b"\r\n"
        ch = node.children
        if node.type in "%|":
            elems = _pairs(ch)
        elif flags.get("sort_pairs") and not all(c.children is not None for c in ch):
            if len(ch) % 2:
                return "<odd element count for @sort-pairs> %r" % value
            elems = _pairs(ch)
        else:
            elems = [c.raw for c in ch]
        return header + b"".join(sorted(elems))
    return value


def show_value(v, limit=400):
    if isinstance(v, tuple):
        return "(" + ", ".join(show_value(x, limit) for x in v) + ")"
    r = repr(v) if isinstance(v, bytes) else v
    return r if len(r) <= limit else r[:limit] + "...(%d chars)" % len(r)


# --------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------

def reset_server(server, timeout):
    """Empties every process of the server (one, or each node of a cluster) and, for
    a cluster, checks that no node holds keys any more (FLUSHALL may be node-local)."""
    endpoints = server.endpoints()
    for label, host, port in endpoints:
        err = reset_endpoint(server, label, host, port, timeout)
        if err:
            return err if len(endpoints) == 1 else "%s: %s" % (label, err)
        if server.endpoints() != endpoints:
            return None  # restarted on fresh data dirs: every node is empty
    if len(endpoints) == 1:
        return None
    deadline = time.monotonic() + 5.0
    while True:
        dirty = []
        for label, host, port in endpoints:
            try:
                c = Conn(host, port, timeout)
                try:
                    f = info_fields(c.command([b"INFO", b"keyspace"], timeout))
                    if any(k.startswith("db") for k in f):
                        dirty.append("%s %s" % (label, " ".join("%s:%s" % kv for kv in sorted(f.items()))))
                        c.command([b"FLUSHALL"], timeout)
                finally:
                    c.close()
            except (OSError, Closed, Timeout, BadReply) as e:
                return "%s: keyspace check failed: %s" % (label, type(e).__name__)
        if not dirty:
            return None
        if time.monotonic() > deadline:
            return "keys left after FLUSHALL on every node: %s" % "; ".join(dirty)
        time.sleep(0.05)  # let in-flight replication land, bounded by the deadline above


def reset_endpoint(server, label, host, port, timeout):
    """Fresh admin connection: clear requirepass if a script left it set, FLUSHALL.
    A started server that cannot FLUSHALL (yet) is restarted on a fresh data dir."""
    try:
        c = Conn(host, port, timeout)
    except OSError as e:
        return "connect failed: %s" % e
    try:
        r = c.command([b"FLUSHALL"], timeout)
        if r.startswith(b"-NOAUTH"):
            c.command([b"AUTH", TEST_PASSWORD], timeout)
            c.command([b"CONFIG", b"SET", b"requirepass", b""], timeout)
            r = c.command([b"FLUSHALL"], timeout)
        if r == b"+OK\r\n":
            return None
        if not server.warned_reset:
            print("note: %s: FLUSHALL replied %r; %s" % (
                label, r, "restarting it on a fresh data dir before each script"
                if server.managed else "emptying databases with FLUSHDB or KEYS+DEL"))
            server.warned_reset = True
        if server.managed:
            c.close()
            server.stop()
            server.start()
            return None
        # Fallback for a running server without FLUSHALL: FLUSHDB, or KEYS * + DEL.
        for db in range(16):
            if c.command([b"SELECT", b"%d" % db], timeout) != b"+OK\r\n":
                break
            if c.command([b"FLUSHDB"], timeout) == b"+OK\r\n":
                continue
            node = parse_reply(c.command([b"KEYS", b"*"], timeout))
            for k in node.children or []:
                c.command([b"DEL", k.head], timeout)
        return None
    except (Closed, Timeout, BadReply) as e:
        return "reset failed: %s" % type(e).__name__
    except RuntimeError as e:
        return str(e)
    finally:
        c.close()


def run_script_once(items, ref, tgt, proto, args):
    """Runs the items on both servers. Returns list of (Obs_ref, Obs_tgt) mismatches."""
    s_ref = Session(ref, proto, args.timeout, args.quiet_ms / 1000.0)
    s_tgt = Session(tgt, proto, args.timeout, args.quiet_ms / 1000.0) if tgt else None
    mismatches = []
    try:
        for item in items:
            n0 = len(s_ref.obs)
            s_ref.run(item)
            new_ref = s_ref.obs[n0:]
            if s_tgt is None:
                for o in new_ref:
                    print("  %4d %-60s -> %s" % (o.line, o.what, show_value(o.value)))
                continue
            m0 = len(s_tgt.obs)
            hint = new_ref[-1] if item.kind == "raw" and new_ref else None
            s_tgt.run(item, hint)
            new_tgt = s_tgt.obs[m0:]
            for i in range(max(len(new_ref), len(new_tgt))):
                a = new_ref[i] if i < len(new_ref) else None
                b = new_tgt[i] if i < len(new_tgt) else None
                if a is None or b is None:
                    mismatches.append((a, b))
                    continue
                if normalize(a.value, a.flags) != normalize(b.value, b.flags):
                    mismatches.append((a, b))
    finally:
        s_ref.close_all()
        if s_tgt:
            s_tgt.close_all()
    return mismatches


def select_scripts(only):
    paths = sorted(os.path.join(SCRIPTS_DIR, f) for f in os.listdir(SCRIPTS_DIR) if f.endswith(".txt"))
    if not only:
        return paths
    out = []
    for p in paths:
        stem = os.path.basename(p)[:-4]
        for pat in only:
            for part in pat.split(","):
                part = part[:-4] if part.endswith(".txt") else part
                if part and (stem == part or fnmatch.fnmatch(stem, part)):
                    out.append(p)
                    break
            else:
                continue
            break
    return out


SUBCOMMAND_GROUPS = (b"CLIENT", b"CONFIG", b"COMMAND", b"OBJECT")


def command_key(o):
    """Command name used to group a mismatch: NAME or NAME SUBCOMMAND or a directive."""
    if o.kind == "raw":
        return "@raw"
    what = o.what
    if what.startswith("@scan-all "):
        return "@scan-all " + what.split()[1].upper()
    if what.startswith("(auto"):
        return "HELLO (auto)"
    try:
        args = split_args(what.encode("utf-8", "surrogateescape"))
    except ScriptError:
        args = what.split()
    if not args:
        return "?"
    name = args[0].upper() if isinstance(args[0], bytes) else args[0].upper().encode()
    if name in SUBCOMMAND_GROUPS and len(args) > 1:
        sub = args[1] if isinstance(args[1], bytes) else args[1].encode()
        name += b" " + sub.upper()
    return name.decode("utf-8", "replace")


def print_summary(mismatches, label):
    """Groups mismatches by command; separates commands the target does not know."""
    groups = {}
    for script, tag, a, b in mismatches:
        o = a or b
        key = command_key(o)
        g = groups.setdefault(key, {"n": 0, "unknown": 0, "where": set()})
        g["n"] += 1
        g["where"].add("%s:%d" % (script, o.line))
        bv = b.value if b else None
        if isinstance(bv, bytes) and bv.startswith(b"-ERR unknown command") and not (
                isinstance(a.value, bytes) and a.value.startswith(b"-ERR unknown command")):
            g["unknown"] += 1
    unknown = sorted(k for k, g in groups.items() if g["unknown"] == g["n"])
    print("== summary: %d mismatches in %d command groups" % (len(mismatches), len(groups)))
    if unknown:
        print("not implemented by %s (every mismatch is 'unknown command'): %s"
              % (label, " ".join(unknown)))
    for key in sorted(groups, key=lambda k: (-groups[k]["n"], k)):
        if key in unknown:
            continue
        g = groups[key]
        where = sorted(g["where"])
        print("  %-22s %4d mismatches  %s%s" % (key, g["n"], " ".join(where[:6]),
                                               " ..." if len(where) > 6 else ""))


def resolve_binary(path):
    """Absolute path (servers run with cwd set to their temp dir)."""
    if os.sep in path:
        return os.path.abspath(path)
    return shutil.which(path) or path


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ringkv", help="path to ringkv-server (started on a free port)")
    ap.add_argument("--target", help="host:port of an already running server to test instead "
                    "(its data is FLUSHALLed!)")
    ap.add_argument("--redis", default=shutil.which("redis-server") or "redis-server",
                    help="path to redis-server 7 (reference)")
    ap.add_argument("--only", action="append", default=[],
                    help="run only scripts whose name (without .txt) matches; glob and commas ok")
    ap.add_argument("--keep", action="store_true", help="keep temp dirs and server logs")
    ap.add_argument("--protocols", default="2,3",
                    help="comma list of protocols each script is run with (default 2,3: "
                    "every script once on RESP2 connections, once on RESP3 connections)")
    ap.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for one reply")
    ap.add_argument("--quiet-ms", type=float, default=100.0,
                    help="@raw: a reply stream is complete after this long without data")
    ap.add_argument("--max-report", type=int, default=15, help="mismatches shown per script run")
    ap.add_argument("--dump", action="store_true",
                    help="run scripts against redis only and print every reply")
    ap.add_argument("--list", action="store_true", help="list scripts and exit")
    ap.add_argument("--summary", action="store_true",
                    help="at the end, group all mismatches by command")
    ap.add_argument("--cluster", type=int, default=0, metavar="N",
                    help="start an N-node ringkv cluster (N >= 2) and run every script "
                    "against node 1; the cluster-mode list of intended differences applies")
    ap.add_argument("--replicas", type=int, default=3, help="--cluster: replicas (N)")
    ap.add_argument("--write-quorum", type=int, default=2, help="--cluster: write quorum (W)")
    ap.add_argument("--read-quorum", type=int, default=2, help="--cluster: read quorum (R)")
    ap.add_argument("--show-allowed", action="store_true",
                    help="print every intended difference that was allowed, with both replies")
    args = ap.parse_args()

    scripts = select_scripts(args.only)
    if args.list:
        for p in scripts:
            print(os.path.basename(p))
        return 0
    if not scripts:
        print("no scripts selected")
        print("0 passed, 0 failed")
        return 1
    if not args.dump and not args.ringkv and not args.target:
        ap.error("one of --ringkv, --target or --dump is required")
    if args.cluster and (args.cluster < 2 or not args.ringkv or args.target or args.dump):
        ap.error("--cluster N needs N >= 2 and --ringkv (not --target or --dump)")
    mode = "cluster" if args.cluster else "single"
    allowed_list = ALLOWED_DIFFERENCES[mode]
    allowed_used = {}  # Allowed -> count
    skipped = []
    ran = []  # names (without .txt) of the scripts actually run
    t_start = time.monotonic()
    protocols = [int(p) for p in args.protocols.split(",") if p.strip()]
    args.redis = resolve_binary(args.redis)
    if args.ringkv:
        args.ringkv = resolve_binary(args.ringkv)

    # Turn SIGTERM into KeyboardInterrupt so the finally block cleans up.
    def on_term(signum, frame):
        raise KeyboardInterrupt()
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started ignoring it

    ref = Server("redis", lambda port, d: [args.redis, "--port", str(port), "--bind", "127.0.0.1",
                                           "--save", "", "--appendonly", "no",
                                           "--enable-debug-command", "local",
                                           "--daemonize", "no", "--dir", d], keep=args.keep,
                 die_with_parent=bool(args.cluster))
    tgt = None
    if not args.dump:
        if args.target:
            host, _, port = args.target.rpartition(":")
            tgt = Server("target", None, host=host or "127.0.0.1", port=int(port))
        elif args.cluster:
            tgt = ClusterServer("ringkv", args.ringkv, args.cluster, args.replicas,
                                args.write_quorum, args.read_quorum, keep=args.keep)
        else:
            tgt = Server("ringkv", lambda port, d: [args.ringkv, "--port", str(port),
                                                    "--bind", "127.0.0.1", "--dir", d,
                                                    "--enable-debug-command", "local",
                                                    "--loglevel", "warning"], keep=args.keep)
    passed = failed = 0
    interrupted = False
    all_mismatches = []
    try:
        ref.start()
        if tgt:
            tgt.start()
        if args.cluster:
            print("cluster: %d nodes, N=%d W=%d R=%d, node 1 on port %d (ring ready in %.1f s)"
                  % (args.cluster, args.replicas, args.write_quorum, args.read_quorum,
                     tgt.port, tgt.start_seconds[-1]))
        for path in scripts:
            name = os.path.basename(path)
            skip_reason = SKIPPED_SCRIPTS[mode].get(name[:-4])
            if skip_reason:
                skipped.append(name)
                print("skip %s (%s mode): %s" % (name, mode, skip_reason))
                continue
            n_allowed = 0
            ran.append(name[:-4])
            try:
                items = parse_script(path)
            except (ScriptError, OSError) as e:
                print("FAIL %s: script error: %s" % (name, e))
                failed += 1
                continue
            ok = True
            for proto in protocols:
                tag = "resp%d" % proto
                for srv in (ref, tgt):
                    if srv and not srv.alive():
                        print("!! %s exited with status %s (during or before %s); log tail:\n%s"
                              % (srv.label, "?" if srv.exit_status() is None else srv.exit_status(), name,
                                 srv.log_tail()))
                        ok = False
                        srv.start()
                errs = [e for e in ((s.label, reset_server(s, args.timeout)) for s in (ref, tgt) if s)
                        if e[1]]
                if errs:
                    for label, err in errs:
                        print("FAIL %s [%s]: could not reset %s: %s" % (name, tag, label, err))
                    ok = False
                    continue
                if args.dump:
                    print("== %s [%s]" % (name, tag))
                mism = run_script_once(items, ref, tgt, proto, args)
                real = []
                for a, b in mism:
                    rule = next((r for r in allowed_list if r.matches(name[:-4], a, b)), None)
                    if rule is None:
                        real.append((a, b))
                        continue
                    allowed_used[rule] = allowed_used.get(rule, 0) + 1
                    n_allowed += 1
                    if args.show_allowed:
                        print("allowed %s:%d [%s] %s  (%s)" % (name, a.line, tag, a.what, rule.reason))
                        print("    redis : %s" % show_value(a.value))
                        print("    %-6s: %s" % (tgt.label, show_value(b.value)))
                mism = real
                for srv in (ref, tgt):
                    for line, status, tail in (srv.crashes if srv else []):
                        print("!! %s died (status %s) at or before %s:%d [%s]; restarted. Log tail:\n%s"
                              % (srv.label, status, name, line, tag, tail))
                        ok = False
                    if srv:
                        srv.crashes = []
                all_mismatches += [(name, tag, a, b) for a, b in mism]
                if mism:
                    ok = False
                    for a, b in mism[:args.max_report]:
                        o = a or b
                        print("MISMATCH %s:%d [%s] %s" % (name, o.line, tag, o.what))
                        print("    redis : %s" % (show_value(a.value) if a else "<nothing>"))
                        print("    %-6s: %s" % (tgt.label, show_value(b.value) if b else "<nothing>"))
                    if len(mism) > args.max_report:
                        print("    ... and %d more mismatches in %s [%s]"
                              % (len(mism) - args.max_report, name, tag))
            for srv in (ref, tgt):
                if srv and not srv.alive():
                    ok = False
            if ok:
                passed += 1
                if not args.dump:
                    print("ok   %s%s" % (name, " (%d intended %s-mode differences)" % (n_allowed, mode)
                                         if n_allowed else ""))
            else:
                failed += 1
                print("FAIL %s" % name)
    except KeyboardInterrupt:
        interrupted = True
        print("interrupted")
    except RuntimeError as e:
        print("error: %s" % e)
        failed += 1
    finally:
        ref.cleanup()
        if tgt:
            tgt.cleanup()
    if args.summary and all_mismatches:
        print_summary(all_mismatches, tgt.label if tgt else "target")
    if allowed_list and not args.dump:
        print("== intended %s-mode differences (%d allowed replies):" % (mode, sum(allowed_used.values())))
        for rule in allowed_list:
            if any(fnmatch.fnmatchcase(stem, rule.script) for stem in ran):
                print("  %4d  %s  [%s]" % (allowed_used.get(rule, 0), rule, rule.reason))
    if skipped:
        print("%d skipped in %s mode: %s" % (len(skipped), mode, " ".join(skipped)))
    if args.cluster:
        print("cluster run took %.1f s (%d cluster start(s), %.1f s)"
              % (time.monotonic() - t_start, len(tgt.start_seconds), sum(tgt.start_seconds)))
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 and not interrupted else 1


if __name__ == "__main__":
    sys.exit(main())
