#!/usr/bin/env python3
"""Talk to depcheckd over its unix socket, byte by byte, for the tests.

    rawsock.py [-t SECS] SOCK ACTION...
    rawsock.py [-t SECS] SOCK --hold N
    rawsock.py [-t SECS] SOCK --garbage SEED N

Frames are big-endian u32 type, u32 length, payload (proto/PROTOCOL.md).
Prints one line per result, so that a test compares text:

  connect-error ENAME       connect failed (then nothing else is done)
  HELLO_OK V PID            a reply, by type: ERROR CODE MESSAGE, PONG,
  ERROR CODE MESSAGE        RECORDS SEQ N STATE:SEQ..., STATUS_OK N,
  ...                       SYNC_OK SEQ, or TYPE LEN for anything else
  EOF                       the daemon closed the connection (a read got 0)
  TIMEOUT                   nothing within the read timeout (-t, default 5)
  RESET                     ECONNRESET on a read
  EOF MS / TIMEOUT MS       the eof action: time waited, in milliseconds

Actions, one argument each, run in order on one connection:

  hello[:V]         send HELLO with version V (default: proto.h's)
  send:EXPR         send the bytes of the Python expression EXPR, which may
                    use frame(type, payload=b""), u32(n), u64(n), bs(bytes)
                    (a u32 length and the bytes), query(flags, paths),
                    hello(v=VERSION, name=b"rawsock"), and the message
                    types by name (PING for PROTO_MSG_PING, ...)
  write:PATH        write PATH (created or truncated, one line), as a
                    writer would just before it asks
  read              read one frame and print it
  eof[:SECS]        read (and drop) until EOF or SECS (default: -t); print
                    how long it took
  shutwr            shut the writing side (the daemon reads EOF)
  trickle:MS:N      send a 1 MiB header, then one byte every MS ms, N
                    times, stopping early if a send fails (SENT K / CLOSED K)
  flood:TYPE:SECS   send empty TYPE frames without reading any reply until
                    a send fails, at most SECS seconds: prints
                    CLOSED ENAME (the daemon dropped us) or STILL-OPEN

--hold N: open N connections one after another, say HELLO on each and
print each one's first reply ("I: ..."), and, if every reply is there,
then EOF or TIMEOUT for each refused one ("I: EOF").  Then print READY
and keep the accepted ones alive (PING every 200 ms, PINGED printed after
the first round) until standard input reaches EOF; then close them all and
print DONE.

--garbage SEED N: N connections in a row, each sending random bytes
(seeded with SEED: the same bytes every run) and closing its writing side;
prints one summary line: "garbage N: C closed, T timeouts, E errors".
"""

import errno
import os
import random
import re
import select
import socket
import struct
import sys
import time


def _proto_h():
    """The text of proto/proto.h, the contract.  RAWSOCK_PROTO_H holds it
    instead for a script read from stdin (by a user who may not read the
    tree)."""
    if os.environ.get("RAWSOCK_PROTO_H"):
        return os.environ["RAWSOCK_PROTO_H"]
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "..", "proto", "proto.h")) as f:
        return f.read()


PROTO_H = _proto_h()
# The message types, by name (HELLO, PING, ...), from enum proto_msg.
MSG = {m.group(1): int(m.group(2)) for m in
       re.finditer(r"^\s*PROTO_MSG_(\w+)\s*=\s*(\d+)\s*,", PROTO_H, re.M)}
if not MSG:
    raise SystemExit("rawsock: no PROTO_MSG_* in proto/proto.h")
TYPES = {v: k for k, v in MSG.items()}
globals().update(MSG)


def u32(n):
    return struct.pack(">I", n & 0xFFFFFFFF)


def u64(n):
    return struct.pack(">Q", n & 0xFFFFFFFFFFFFFFFF)


def bs(b):
    if isinstance(b, str):
        b = b.encode()
    return u32(len(b)) + b


def frame(t, payload=b""):
    return u32(t) + u32(len(payload)) + payload


def _proto_version():
    """PROTO_VERSION from proto/proto.h: the version this tree speaks.
    RAWSOCK_PROTO_VERSION overrides it (to speak another one)."""
    if os.environ.get("RAWSOCK_PROTO_VERSION"):
        return int(os.environ["RAWSOCK_PROTO_VERSION"])
    for line in PROTO_H.splitlines():
        w = line.split()
        if len(w) == 3 and w[:2] == ["#define", "PROTO_VERSION"]:
            return int(w[2])
    raise SystemExit("rawsock: no PROTO_VERSION in proto/proto.h")


VERSION = _proto_version()


def hello(v=VERSION, name=b"rawsock"):
    return frame(HELLO, u32(v) + bs(name))


def query(flags, paths):
    return frame(QUERY, u32(flags) + u32(len(paths)) +
                 b"".join(bs(p) for p in paths))


def ename(e):
    return errno.errorcode.get(e.errno, str(e.errno)) if e.errno else str(e)


def recv_exact(s, n):
    """n bytes, or None at EOF before them."""
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def read_frame(s):
    """One reply, described on one line."""
    try:
        hdr = recv_exact(s, 8)
        if hdr is None:
            return "EOF"
        t, n = struct.unpack(">II", hdr)
        p = recv_exact(s, n)
        if p is None:
            return "EOF"
    except socket.timeout:
        return "TIMEOUT"
    except ConnectionResetError:
        return "RESET"
    name = TYPES.get(t)
    if t == ERROR:
        code, mlen = struct.unpack(">II", p[:8])
        return "ERROR %d %s" % (code, p[8:8 + mlen].decode(errors="replace"))
    if t == HELLO_OK:
        v, pid = struct.unpack(">IQ", p[:12])
        return "HELLO_OK %d %d" % (v, pid)
    if t == PONG:
        return "PONG" if n == 0 else "PONG %d" % n
    if t == SYNC_OK:
        return "SYNC_OK %d" % struct.unpack(">Q", p)[0]
    if t == RECORDS:
        seq, k = struct.unpack(">QI", p[:12])
        recs = []
        for i in range(k):
            st, rseq = struct.unpack(">IQ", p[12 + 28 * i:12 + 28 * i + 12])
            recs.append("%d:%d" % (st, rseq))
        if len(recs) > 4:
            recs = recs[:2] + ["..."] + recs[-1:]
        return " ".join(["RECORDS %d %d" % (seq, k)] + recs)
    if t == STATUS_OK:
        return "STATUS_OK %d" % struct.unpack(">I", p[:4])[0]
    return "%s %d" % (name or "TYPE-%d" % t, n)


def wait_eof(s, secs):
    """Read and drop until EOF: 'EOF MS', 'TIMEOUT MS' or 'RESET MS'."""
    t0 = time.monotonic()
    deadline = t0 + secs
    what = "TIMEOUT"
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            if not s.recv(65536):
                what = "EOF"
                break
        except socket.timeout:
            break
        except ConnectionResetError:
            what = "RESET"
            break
    return "%s %d" % (what, (time.monotonic() - t0) * 1000)


def connect(path, timeout):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


def flood(s, typ, secs):
    batch = frame(typ) * 1024
    deadline = time.monotonic() + secs
    s.settimeout(max(secs, 1))
    while time.monotonic() < deadline:
        try:
            s.sendall(batch)
        except socket.timeout:
            return "STILL-OPEN (a send blocked for %d s)" % secs
        except OSError as e:
            return "CLOSED %s" % ename(e)
    return "STILL-OPEN"


def trickle(s, ms, n):
    sent = 0
    try:
        s.sendall(frame(999)[:4] + u32(1024 * 1024))   # 999: no type
        for _ in range(n):
            time.sleep(ms / 1000)
            s.sendall(b"x")
            sent += 1
    except OSError:
        return "CLOSED %d" % sent
    return "SENT %d" % sent


def run_actions(s, actions, timeout):
    env = {"frame": frame, "u32": u32, "u64": u64, "bs": bs,
           "query": query, "hello": hello}
    env.update(MSG)
    for a in actions:
        word, _, arg = a.partition(":")
        try:
            if word == "hello":
                s.sendall(hello(int(arg) if arg else VERSION))
            elif word == "send":
                s.sendall(eval(arg, env))
            elif word == "write":
                fd = os.open(arg, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                             0o644)
                os.write(fd, b"w\n")
                os.close(fd)
            elif word == "read":
                s.settimeout(timeout)
                print(read_frame(s), flush=True)
            elif word == "eof":
                print(wait_eof(s, float(arg) if arg else timeout),
                      flush=True)
            elif word == "shutwr":
                s.shutdown(socket.SHUT_WR)
            elif word == "trickle":
                ms, n = arg.split(":")
                print(trickle(s, int(ms), int(n)), flush=True)
            elif word == "flood":
                typ, secs = arg.split(":")
                print(flood(s, int(typ), float(secs)), flush=True)
            else:
                sys.exit("rawsock.py: unknown action %r" % a)
        except OSError as e:
            print("%s-error %s" % (word, ename(e)), flush=True)


def hold(path, n, timeout):
    conns = []
    for i in range(n):
        conns.append(connect(path, timeout))
    ok = []
    for i, s in enumerate(conns):
        try:
            s.sendall(hello())
        except OSError:
            pass
        r = read_frame(s)
        print("%d: %s" % (i, r), flush=True)
        if r.startswith("HELLO_OK"):
            ok.append(s)
        elif r.startswith("ERROR"):
            print("%d: %s" % (i, wait_eof(s, timeout).split()[0]),
                  flush=True)
    print("READY", flush=True)
    pinged = False
    while True:
        r, _, _ = select.select([sys.stdin], [], [], 0.2)
        if r and not os.read(sys.stdin.fileno(), 4096):
            break
        for s in list(ok):
            s.sendall(frame(PING))
            if read_frame(s) != "PONG":
                print("a held connection was lost", flush=True)
                ok.remove(s)
        if not pinged:
            print("PINGED", flush=True)
            pinged = True
    for s in conns:
        s.close()
    print("DONE", flush=True)


def garbage(path, seed, n, timeout):
    rnd = random.Random(seed)
    closed = timeouts = errors = 0
    # Request types that change nothing (no STOP; RUN_DONE and QUERY are
    # fine: what they carry is checked).
    types = [HELLO, QUERY, SYNC, PING, RUN_DONE, STATUS, ERROR, 0, 0xFFFFFFFF]
    for _ in range(n):
        kind = rnd.randrange(4)
        junk = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 80)))
        if kind == 0:
            data = junk
        elif kind == 1:
            data = hello() + junk
        elif kind == 2:
            t = rnd.choice(types)
            data = hello() + u32(t) + u32(len(junk) + rnd.randrange(-3, 4)) \
                + junk
        else:
            data = u32(rnd.choice(types)) + u32(rnd.randrange(1 << 32)) \
                + junk
        try:
            s = connect(path, timeout)
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            r = wait_eof(s, timeout)
            s.close()
        except OSError:
            errors += 1
            continue
        if r.startswith("TIMEOUT"):
            timeouts += 1
        else:
            closed += 1
    print("garbage %d: %d closed, %d timeouts, %d errors" %
          (n, closed, timeouts, errors))


def main():
    args = sys.argv[1:]
    timeout = 5.0
    if args[:1] == ["-t"]:
        timeout = float(args[1])
        args = args[2:]
    path, args = args[0], args[1:]
    if args[:1] == ["--garbage"]:
        garbage(path, int(args[1]), int(args[2]), timeout)
        return
    if args[:1] == ["--hold"]:
        hold(path, int(args[1]), timeout)
        return
    try:
        s = connect(path, timeout)
    except OSError as e:
        print("connect-error %s" % ename(e))
        return
    run_actions(s, args, timeout)
    s.close()


if __name__ == "__main__":
    main()
