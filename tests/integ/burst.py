#!/usr/bin/env python3
"""Write many files fast, for the tests of since, watch and log.

    burst.py [--dirs N] [--len L] [--data TEXT] [--mark K FILE]
             [--names FILE] [--pace K] DIR COUNT

Writes COUNT files under DIR (made if missing): DIR/fI, or with --dirs N
spread over DIR/w0 .. DIR/w(N-1).  Each name is padded with 'x' to L
bytes (default: no padding), for streams of many bytes.  Each file is
opened with O_CREAT|O_TRUNC, given TEXT (default: nothing) and closed:
a file that exists is rewritten.  --mark K FILE: after the K-th file,
create FILE (a signal to the test: half of the burst is written).
--pace K: after every K files, a 5 ms pause, so that a burst lasts long
enough for a client to start in the middle of it.  --names FILE: the
paths written (DIR/...), one a line, in FILE.  Python, as a shell loop
of 20,000 redirections is several times slower.
"""

import os
import sys
import time


def main():
    args = sys.argv[1:]
    dirs, length, data, mark, names, pace = 0, 0, b"", None, None, 0
    while args and args[0].startswith("--"):
        opt = args.pop(0)
        if opt == "--dirs":
            dirs = int(args.pop(0))
        elif opt == "--len":
            length = int(args.pop(0))
        elif opt == "--data":
            data = args.pop(0).encode()
        elif opt == "--mark":
            mark = (int(args.pop(0)), args.pop(0))
        elif opt == "--names":
            names = args.pop(0)
        elif opt == "--pace":
            pace = int(args.pop(0))
        else:
            sys.exit("burst.py: unknown option %s" % opt)
    top, count = args[0], int(args[1])
    paths = []
    for i in range(count):
        name = "f%06d" % i
        name += "x" * max(0, length - len(name))
        d = top if dirs == 0 else "%s/w%d" % (top, i % dirs)
        paths.append("%s/%s" % (d, name))
    for d in {p.rsplit("/", 1)[0] for p in paths} | {top}:
        os.makedirs(d, exist_ok=True)
    if names:
        with open(names, "w") as f:
            f.writelines(p + "\n" for p in paths)
    for i, p in enumerate(paths, 1):
        fd = os.open(p, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o644)
        if data:
            os.write(fd, data)
        os.close(fd)
        if mark and i == mark[0]:
            open(mark[1], "w").close()
        if pace and i % pace == 0:
            time.sleep(0.005)


if __name__ == "__main__":
    main()
