#!/usr/bin/env python3
"""A stand-in for depcheckd that speaks this tree's protocol (message
numbers and version from proto/proto.h, through rawsock.py) and answers
STATUS with the items given: for tests of how the client prints what a
daemon sends (t1008).

    fake-daemon.py ROOT READYFILE KEY=KIND:VALUE...

KIND is t (text), u (unsigned number) or i (signed number).  It listens
on ROOT/.depcheck/sock, answers HELLO with HELLO_OK and STATUS with those
items, one connection after another, and exits on SIGTERM.
"""
import os
import signal
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rawsock  # noqa: E402
from rawsock import MSG, bs, frame, u32, u64  # noqa: E402

KINDS = {"t": 1, "u": 2, "i": 3}	# enum proto_status_kind


def status_ok(items):
    out = u32(len(items))
    for key, kind, value in items:
        out += bs(key) + u32(KINDS[kind])
        out += bs(value) if kind == "t" else u64(int(value))
    return frame(MSG["STATUS_OK"], out)


def recv_frame(conn):
    hdr = rawsock.recv_exact(conn, 8)
    if hdr is None:
        return None, None
    t, n = struct.unpack(">II", hdr)
    return t, rawsock.recv_exact(conn, n)


def main():
    root, ready = sys.argv[1], sys.argv[2]
    items = []
    for arg in sys.argv[3:]:
        key, _, rest = arg.partition("=")
        kind, _, value = rest.partition(":")
        items.append((key, kind, value))
    state = os.path.join(root, ".depcheck")
    os.makedirs(state, mode=0o700, exist_ok=True)
    path = os.path.join(state, "sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(8)
    signal.signal(signal.SIGTERM, lambda *a: (os.unlink(path), sys.exit(0)))
    open(ready, "w").close()
    while True:
        conn, _ = srv.accept()
        while True:
            t, _ = recv_frame(conn)
            if t == MSG["HELLO"]:
                conn.sendall(frame(MSG["HELLO_OK"], u32(rawsock.VERSION) +
                                   u64(os.getpid()) + bs(root)))
            elif t == MSG["STATUS"]:
                conn.sendall(status_ok(items))
            else:
                break
        conn.close()


if __name__ == "__main__":
    main()
