#!/usr/bin/env python3
"""Drive redis-cli's interactive mode (the REPL a person types into) on a pseudo-terminal.

usage: interactive_cli.py [--redis-cli PATH] [--timeout SECONDS] [-a PASSWORD] PORT

redis-cli only enters its REPL when stdin is a terminal, and at start it fetches
COMMAND DOCS from the server to build `help` and its hints. This script gives it a
pty, waits for each prompt, types `help` for a few commands (whose synopses must be
Redis's exactly, nested argument blocks included), `help @string`, a SET and a GET,
then `quit`, and checks what came back. It prints the transcript and exits 0 when all
assertions hold, 1 with a "FAIL: ..." last line otherwise.

TERM is set to "dumb" so linenoise reads whole lines (no cursor-position queries,
no redraws), which keeps the transcript parseable; everything sent to the server
is the same as in a full terminal.
"""

import argparse
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import fcntl
import time


class Fail(Exception):
    pass


# redis-cli colours its help output even on a dumb terminal.
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--redis-cli", default="redis-cli")
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("-a", dest="password", default=None)
    args = ap.parse_args()

    argv = [args.redis_cli, "-h", "127.0.0.1", "-p", str(args.port)]
    if args.password is not None:
        argv += ["-a", args.password, "--no-auth-warning"]
    prompt = f"127.0.0.1:{args.port}> "

    env = dict(os.environ, TERM="dumb", LC_ALL="C")
    # Keep redis-cli from reading or writing the user's history and rc file.
    env["REDISCLI_HISTFILE"] = "/dev/null"
    env["REDISCLI_RCFILE"] = "/dev/null"
    env.pop("REDISCLI_AUTH", None)

    pid, fd = pty.fork()
    if pid == 0:  # child: stdin/stdout/stderr are the pty slave
        try:
            os.execvpe(argv[0], argv, env)
        finally:
            os._exit(127)

    # A window size, in case anything asks for the number of columns.
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))

    deadline = time.monotonic() + args.timeout
    out = bytearray()

    def read_until(pred, what):
        while not pred(out):
            left = deadline - time.monotonic()
            if left <= 0:
                raise Fail(f"timed out waiting for {what}")
            r, _, _ = select.select([fd], [], [], min(left, 0.5))
            if fd in r:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:  # EIO: the child closed the terminal
                    chunk = b""
                if not chunk:
                    if pred(out):
                        return
                    raise Fail(f"redis-cli exited while waiting for {what}")
                out.extend(chunk)

    def wait_prompt(count, what):
        read_until(lambda b: b.decode("utf-8", "replace").count(prompt) >= count, what)

    transcript = {}
    # Commands whose synopsis redis-cli builds from nested argument blocks
    # (oneof, block, multiple) in COMMAND DOCS.
    synopses = {
        "help set": "SET key value [NX|XX] [GET] [EX seconds|PX milliseconds|"
                    "EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]",
        "help getex": "GETEX key [EX seconds|PX milliseconds|EXAT unix-time-seconds|"
                      "PXAT unix-time-milliseconds|PERSIST]",
        "help hset": "HSET key field value [field value ...]",
        "help expire": "EXPIRE key seconds [NX|XX|GT|LT]",
        "help scan": "SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]",
        "help bitfield": "BITFIELD key [GET encoding offset|[OVERFLOW WRAP|SAT|FAIL] SET encoding "
                         "offset value|INCRBY encoding offset increment [GET encoding offset|"
                         "[OVERFLOW WRAP|SAT|FAIL] SET encoding offset value|INCRBY encoding "
                         "offset increment ...]]",
    }
    lines = [(cmd, cmd) for cmd in synopses] + [
        ("help @string", "help @string"),
        ("set", "SET ikey hello-tty"),
        ("get", "GET ikey"),
        ("del", "DEL ikey"),
    ]
    status = 0
    try:
        wait_prompt(1, "the first prompt")
        for i, (name, line) in enumerate(lines):
            start = len(out)
            os.write(fd, line.encode() + b"\r")
            wait_prompt(i + 2, f"the prompt after {line!r}")
            text = ANSI.sub("", out[start:].decode("utf-8", "replace")).replace("\r", "")
            # Drop the echoed line and the trailing prompt.
            text = text.rsplit(prompt, 1)[0]
            body = text.split("\n", 1)[1] if "\n" in text else ""
            transcript[name] = body
        os.write(fd, b"quit\r")
        try:
            read_until(lambda b: False, "redis-cli to exit after quit")
        except Fail as e:
            if "exited" not in str(e):  # EOF on the terminal is what we want here
                raise
        while _alive(pid):
            if time.monotonic() > deadline:
                raise Fail("redis-cli did not exit after quit")
            time.sleep(0.02)
    except Fail as e:
        status = 1
        reason = str(e)
    finally:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass

    sys.stdout.write(ANSI.sub("", out.decode("utf-8", "replace")).replace("\r", ""))
    sys.stdout.write("\n")
    if status:
        print(f"FAIL: {reason}")
        return 1

    for cmd, synopsis in synopses.items():
        got = transcript.get(cmd, "")
        if not re.search(r"^\s*" + re.escape(synopsis) + r"\s*$", got, re.M):
            print(f"FAIL: `{cmd}` did not print Redis's synopsis {synopsis!r}; got {got[:300]!r}")
            return 1
    checks = [
        ("help set", r"(?i)summary:", "`help set` printed no summary line"),
        ("help @string", r"APPEND key value", "`help @string` did not list APPEND"),
        ("help @string", r"\bGET key\b", "`help @string` did not list GET"),
        ("help @string", r"INCR key", "`help @string` did not list INCR"),
        ("set", r"^OK\s*$", "SET did not print OK"),
        ("get", r'^"hello-tty"\s*$', "GET did not print \"hello-tty\" (quoted, as on a terminal)"),
        ("del", r"^\(integer\) 1\s*$", "DEL did not print (integer) 1"),
    ]
    for name, pattern, msg in checks:
        if not re.search(pattern, transcript.get(name, ""), re.M):
            print(f"FAIL: {msg}; got {transcript.get(name, '')[:300]!r}")
            return 1
    print("OK interactive redis-cli")
    return 0


def _alive(pid):
    try:
        wpid, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return wpid == 0


if __name__ == "__main__":
    sys.exit(main())
