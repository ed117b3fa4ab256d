#!/usr/bin/env python3
"""Check the output of depcheck watch, since and log, for t9001-t9003.

    histcheck.py stream WATCH LOG SINCE NAMES TSEQ SSEQ
    histcheck.py overrun RECEIVED REPLAY NAMES
    histcheck.py rescan WATCH NAMES CAUSE
    histcheck.py json KIND FILE

Each prints one result a line, "ok<TAB>DESC" or "not ok<TAB>DESC<TAB>WHY",
for py_results in hist.sh.  WATCH and REPLAY are the text output of
depcheck watch, LOG of depcheck log, SINCE of depcheck since; RECEIVED
is the --json output of a watch; NAMES holds paths, one a line.

stream: a `watch --since T` (T's seq TSEQ) that ran while a burst was
written, stopped after the write of seq SSEQ: every path of NAMES, no
line twice, in seq order, part in the replay and part live, the same
writes as the log's after TSEQ, and since T agreeing.

overrun: a watch that stopped reading and was sent the overrun line,
then a `watch --since` from the overrun's token: every path of NAMES
was either received before the overrun or replayed after it, and the
two do not overlap.

rescan: the stream has a `SEQ rescan CAUSE` marker, every path of NAMES
on a write line, some of them after it.

json KIND: every line of FILE is one JSON object of the shape KIND
(watch, log, since) has.
"""

import base64
import json
import re
import sys

WRITES = (b"created", b"written", b"deleted", b"found", b"restamped")
RESULTS = []


def result(good, desc, why=""):
    RESULTS.append("ok\t%s" % desc if good else
                   "not ok\t%s\t%s" % (desc, str(why).replace("\n", " ")[:600]))


def lines_of(path):
    data = open(path, "rb").read()
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def names_of(path):
    return {l for l in lines_of(path)}


def parse_watch(path):
    """The lines of a text watch: ("token", T) / ("write", seq, what,
    path) / ("marker", seq, text) / ("overrun", T) / ("other", line)."""
    out = []
    for l in lines_of(path):
        m = re.fullmatch(rb"([0-9]+) (%s) (.+)" % b"|".join(WRITES), l, re.S)
        if m:
            out.append(("write", int(m.group(1)), m.group(2), m.group(3)))
            continue
        m = re.fullmatch(rb"([0-9]+) (start|rescan [a-z-]+)", l)
        if m:
            out.append(("marker", int(m.group(1)), m.group(2)))
            continue
        m = re.fullmatch(rb"(token|overrun) ([0-9a-f]{16}:[0-9]+)", l)
        if m:
            out.append((m.group(1).decode(), m.group(2).decode()))
            continue
        out.append(("other", l))
    return out


def parse_log(path):
    """The write entries of a text log: (seq, what, path)."""
    out = []
    for l in lines_of(path)[1:]:
        m = re.fullmatch(rb"([0-9]+) [0-9T:.Z-]+ (%s) (.+)" % b"|".join(WRITES),
                         l, re.S)
        if m:
            out.append((int(m.group(1)), m.group(2), m.group(3)))
    return out


def stream(watch, log, since, names, tseq, sseq):
    tseq, sseq = int(tseq), int(sseq)
    ls = parse_watch(watch)
    names = names_of(names)
    other = [l for l in ls if l[0] not in ("write", "marker", "token")]
    result(not other, "every line of the watch is a write, a marker or "
           "the token", other[:3])
    toks = [i for i, l in enumerate(ls) if l[0] == "token"]
    result(len(toks) == 1, "one token line (replay, then live)", toks)
    cut = toks[0] if toks else len(ls)
    seqs = [l[1] for l in ls if l[0] in ("write", "marker")]
    result(all(s > tseq for s in seqs),
           "every line after T (seq > %d)" % tseq, seqs[:3])
    down = [(a, b) for a, b in zip(seqs, seqs[1:]) if b < a]
    result(not down, "seqs never go down across replay and live", down[:3])
    writes = [l[1:] for l in ls if l[0] == "write"]
    dup = len(writes) - len(set(writes))
    result(dup == 0, "no line twice", "%d duplicates" % dup)
    seen = {l[3] for l in ls if l[0] == "write"}
    missing = names - seen
    result(not missing, "every one of the %d files of the burst is in the "
           "stream" % len(names), "%d missing, e.g. %r" %
           (len(missing), sorted(missing)[:3]))
    replay = {l[3] for l in ls[:cut] if l[0] == "write"} & names
    live = {l[3] for l in ls[cut:] if l[0] == "write"} & names
    result(replay and live, "the burst went partly through the replay "
           "(%d files), partly live (%d)" % (len(replay), len(live)),
           "one of them is empty")
    # A file made by one open and close is created once; its close may
    # come as a second write of its own ("written"), never a second
    # create.
    per = {}
    for w in writes:
        if w[2] in names and w[1] in (b"created", b"found"):
            per[w[2]] = per.get(w[2], 0) + 1
    hist = {}
    for n in per.values():
        hist[n] = hist.get(n, 0) + 1
    result(set(hist) <= {1}, "each file of the burst created exactly once "
           "in the stream", "files by lines: %r" % hist)
    logw = sorted(w for w in parse_log(log) if tseq < w[0] <= sseq)
    got = sorted(w for w in writes if w[0] <= sseq)
    result(got == logw, "the stream's writes are the log's writes after T, "
           "one for one (%d)" % len(logw),
           "%d in the stream, %d in the log; first differences: %r" %
           (len(got), len(logw),
            sorted(set(got) ^ set(logw))[:4]))
    last = {}
    for s, what, p in writes:
        if p != b".":		# the root: in watch, never in since
            last[p] = (s, b"deleted" if what == b"deleted" else b"exists")
    sl = lines_of(since)
    got = {}
    for l in sl[:-1]:
        m = re.fullmatch(rb"([0-9]+) (exists|deleted) (.+)", l, re.S)
        if m:
            got[m.group(3)] = (int(m.group(1)), m.group(2))
    diff = sorted(p for p in set(got) | set(last) if got.get(p) != last.get(p))
    result(not diff, "since T lists every path of the stream once, with its "
           "last write's seq and state",
           "%d differ, e.g. %r" % (len(diff), [(p, got.get(p), last.get(p))
                                           for p in diff[:3]]))


def overrun(received, replay, names):
    names = names_of(names)
    objs = []
    bad = []
    for l in lines_of(received):
        try:
            objs.append(json.loads(l.decode("utf-8")))
        except ValueError as e:
            bad.append((l[:80], str(e)))
    result(not bad, "every line received before the overrun is JSON", bad[:2])
    ends = objs[-1] if objs else {}
    result(ends.get("overrun") is True and
           re.fullmatch(r"[0-9a-f]{16}:[0-9]+", str(ends.get("token"))),
           "the last line is {\"overrun\":true,\"token\":...}", ends)
    if not (objs and "token" in ends):
        return
    tseq = int(ends["token"].split(":")[1])
    got = [o for o in objs[:-1] if "path" in o]
    # Lines of one seq come together: beyond the token there may be the
    # first part of one seq's lines, which the replay gives again.
    late = sorted({o["seq"] for o in got if o["seq"] > tseq})
    result(len(late) <= 1, "received beyond the overrun's token (%d): at "
           "most a part of one seq" % tseq, late[:3])
    rp = parse_watch(replay)
    rw = [l for l in rp if l[0] == "write"]
    early = [l[1] for l in rw if l[1] <= tseq]
    result(not early, "the replay from the token starts after it", early[:3])
    have = {o["path"].encode() for o in got} | {l[3] for l in rw}
    missing = names - have
    result(not missing, "each of the %d files rewritten is received before "
           "the overrun or replayed from its token" % len(names),
           "%d missing, e.g. %r" % (len(missing), sorted(missing)[:2]))


def rescan(watch, names, cause):
    ls = parse_watch(watch)
    names = names_of(names)
    at = [i for i, l in enumerate(ls)
          if l[0] == "marker" and l[2] == b"rescan " + cause.encode()]
    result(at, "a line 'SEQ rescan %s'" % cause, "none")
    # What the daemon read of the queue before the overflow event comes
    # before the marker; the rest, found by the rescan, after it.
    seen = {l[3] for l in ls if l[0] == "write"}
    missing = names - seen
    result(not missing, "each of the %d files written while the daemon "
           "was stopped is in the stream" % len(names),
           "%d missing, e.g. %r" % (len(missing), sorted(missing)[:2]))
    if at:
        after = {l[3] for l in ls[at[0]:] if l[0] == "write"} & names
        result(after, "the rescan's writes follow its marker (%d files)" %
               len(after), "none after it")


def shape(kind, n, o, last):
    """Why the object o (line n, last: the last line) is not of the
    shape of kind, or None."""
    writes = {w.decode() for w in WRITES}
    if not isinstance(o, dict):
        return "not an object"
    seq = o.get("seq")
    if "path" in o:
        if not isinstance(o["path"], str) or not isinstance(seq, int) or \
                not isinstance(o.get("exists"), bool):
            return "path, seq or exists"
        if "path_b64" in o:
            base64.b64decode(o["path_b64"], validate=True)
            if "\ufffd" not in o["path"]:
                return "path_b64 but no U+FFFD in path"
        what = o.get("what")
        if kind == "since":
            if what not in writes | {"fresh"} or \
                    not isinstance(o.get("fresh"), bool) or \
                    (what == "fresh") != o["fresh"]:
                return "what or fresh"
        elif kind == "watch":
            if what not in writes or not re.fullmatch(
                    r"[0-9a-f]{16}:%d" % seq, str(o.get("token"))):
                return "what or token"
        elif what not in writes | {"build-start", "build-end",
                                   "build-failed"} or \
                not isinstance(o.get("time_ns"), int):
            return "what or time_ns"
        return None
    if kind == "log":
        if n == 1:
            return None if set(o) == {"history_from"} and \
                isinstance(o["history_from"], int) else "first object"
        if not isinstance(seq, int) or not isinstance(o.get("time_ns"), int):
            return "seq or time_ns"
        if o.get("what") == "rescan":
            return None if isinstance(o.get("cause"), str) else "cause"
        return None if o.get("what") in ("start", "build-start", "build-end",
                                         "build-failed") else "what"
    if kind == "since":
        return None if last and set(o) == {"token", "fresh", "count"} \
            else "not a path, not the last object"
    if set(o) == {"token", "live"} and o["live"] is True:
        return None
    if set(o) == {"overrun", "token"} and o["overrun"] is True and last:
        return None
    if isinstance(seq, int) and o.get("event") in ("rescan", "start") and \
            re.fullmatch(r"[0-9a-f]{16}:%d" % seq, str(o.get("token"))):
        return None if o["event"] == "start" or \
            isinstance(o.get("cause"), str) else "cause"
    return "not a write, marker, token or overrun"


def check_json(kind, path):
    bad = []
    objs = []
    lines = lines_of(path)
    for n, l in enumerate(lines, 1):
        try:
            objs.append((n, json.loads(l.decode("utf-8"))))
        except ValueError as e:
            bad.append("line %d: %s: %r" % (n, e, l[:80]))
    result(not bad and objs, "%s --json: every line parses (%d)" %
           (kind, len(objs)), bad[:2])
    bad = []
    for n, o in objs:
        why = shape(kind, n, o, n == len(lines))
        if why:
            bad.append("line %d: %s: %r" % (n, why, o))
    result(not bad, "%s --json: every object has the fields of its kind" %
           kind, bad[:2])


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    try:
        {"stream": stream, "overrun": overrun, "rescan": rescan,
         "json": check_json}[cmd](*args)
    except Exception as e:		# a crash is a failed check, not silence
        result(False, "histcheck.py %s ran" % cmd, repr(e))
    print("\n".join(RESULTS))


if __name__ == "__main__":
    main()
