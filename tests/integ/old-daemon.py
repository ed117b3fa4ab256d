#!/usr/bin/env python3
"""A stand-in for a depcheckd of an older protocol (for t5014): holds
ROOT/.depcheck/lock with its pid, listens on ROOT/.depcheck/sock, answers
every HELLO with a version error, and exits on SIGTERM.  It names itself
depcheckd (prctl PR_SET_NAME) as the real one's /proc/PID/comm reads.
With "exact" it reads the HELLO frame and not a byte more, so that a
request the client sent with it (pipelined) is still unread when it
closes: the kernel then resets the client's side after the ERROR (t6003).

    old-daemon.py ROOT READYFILE [exact]
"""
import ctypes, fcntl, os, signal, socket, struct, sys

root, ready = sys.argv[1], sys.argv[2]
exact = sys.argv[3:] == ["exact"]


def recv_exact(conn, n):
    data = b""
    while len(data) < n:
        more = conn.recv(n - len(data))
        if not more:
            break
        data += more
    return data


ctypes.CDLL(None).prctl(15, b"depcheckd", 0, 0, 0)  # PR_SET_NAME
state = os.path.join(root, ".depcheck")
os.makedirs(state, mode=0o700, exist_ok=True)
lock = os.open(os.path.join(state, "lock"), os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(lock, fcntl.LOCK_EX)
os.ftruncate(lock, 0)
os.write(lock, b"%d\n" % os.getpid())
path = os.path.join(state, "sock")
if os.path.exists(path):
    os.unlink(path)
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(8)
signal.signal(signal.SIGTERM, lambda *a: (os.unlink(path), sys.exit(0)))
open(ready, "w").close()
# HELLO and ERROR keep their layout in every version (PROTOCOL.md): read
# the client's version from its HELLO, answer as a version 1 daemon does.
while True:
    conn, _ = srv.accept()
    if exact:
        hello = recv_exact(conn, 8)
        if len(hello) == 8:
            hello += recv_exact(conn, struct.unpack(">I", hello[4:8])[0])
    else:
        hello = conn.recv(4096)
    client = struct.unpack(">I", hello[8:12])[0] if len(hello) >= 12 else 0
    msg = b"daemon speaks protocol 1, this client %d" % client + \
        b" (run: depcheck stop; depcheck start)"
    payload = struct.pack(">II", 2, len(msg)) + msg
    conn.sendall(struct.pack(">II", 900, len(payload)) + payload)
    conn.close()
