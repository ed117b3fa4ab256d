#!/usr/bin/env python3
"""Play the service manager's side of sd_notify(3) for the tests.

    notify-listen.py [-t SECS] ADDR

Binds a unix datagram socket at ADDR (a path, or @NAME for the abstract
namespace), with SO_PASSCRED so that the kernel tells the sender's pid, as
systemd checks it for NotifyAccess=main.  Prints, flushing each line:

  listening                 once bound: start the daemon now
  PID: KEY=VALUE | ...      one line per datagram: the sender's pid and its
                            assignments, in order, joined by " | "
  TIMEOUT                   nothing for SECS (-t, default 30); then exits 1

and exits 0 after a datagram that holds STOPPING=1.
"""
import os
import socket
import struct
import sys


def main():
    args = sys.argv[1:]
    secs = 30.0
    if len(args) >= 2 and args[0] == "-t":
        secs = float(args[1])
        args = args[2:]
    if len(args) != 1:
        sys.exit("usage: notify-listen.py [-t SECS] ADDR")
    addr = args[0]
    if addr.startswith("@"):
        addr = "\0" + addr[1:]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    s.bind(addr)
    s.settimeout(secs)
    print("listening", flush=True)
    ucred = struct.calcsize("iII")
    while True:
        try:
            data, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(ucred))
        except socket.timeout:
            print("TIMEOUT", flush=True)
            return 1
        pid = "?"
        for level, kind, cdata in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = str(struct.unpack("iII", cdata[:ucred])[0])
        lines = data.decode("utf-8", "backslashreplace").split("\n")
        lines = [x for x in lines if x != ""]
        print("%s: %s" % (pid, " | ".join(lines)), flush=True)
        if "STOPPING=1" in lines:
            return 0


if __name__ == "__main__":
    sys.exit(main())
