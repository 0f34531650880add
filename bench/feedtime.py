#!/usr/bin/env python3
"""Timing helper for bench/feed-bench.sh (issue 18).  Prints one JSON object.

  feedtime.py run N OUT -- CMD...
      runs CMD N times under GNU time (stdout to OUT, stderr to OUT.err):
      wall seconds (each run, measured here), user and system CPU seconds
      and maximum RSS (KiB) as GNU time reports them (a child forked from
      this Python process would count Python's RSS in its maximum); the
      fastest run is the one reported.
  feedtime.py rbldnsd N DIR QNAME ZONESPEC...
      starts rbldnsd -n in DIR on a free port of 127.0.0.1 N times and
      measures, for each: seconds until it prints "started" (its zones are
      loaded before it does), seconds until it answers QNAME (A; asked as
      soon as it listens: the answer waits for the load), the answer's
      record count, its CPU seconds (/proc/PID/stat), VmRSS and VmHWM
      (/proc/PID/status) once started; the fastest run is reported.

Nothing leaves 127.0.0.1."""
import json
import os
import socket
import struct
import subprocess
import sys
import time


def best_run(runs):
    """The fastest run: the machine is shared, a slower one waited."""
    return min(runs, key=lambda r: r["wall"])


def cmd_run(n, out, argv):
    runs = []
    tf = out + ".time"
    for _ in range(n):
        with open(out, "wb") as o, open(out + ".err", "wb") as e:
            t0 = time.perf_counter()
            rc = subprocess.call(["/usr/bin/time", "-f", "%U %S %M %x", "-o",
                                  tf, "--"] + argv, stdout=o, stderr=e)
            t1 = time.perf_counter()
        with open(tf) as f:
            user, sys_, rss, code = f.read().split("\n")[-2].split()
        runs.append({"wall": t1 - t0, "user": float(user), "sys": float(sys_),
                     "maxrss": int(rss),
                     "rc": int(code) if code.lstrip("-").isdigit() else rc})
    r = best_run(runs)
    r["walls"] = [x["wall"] for x in runs]
    return r


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def query(qname, qid):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for lab in qname.rstrip(".").split("."):
        q += bytes([len(lab)]) + lab.encode()
    return q + b"\0" + struct.pack(">HH", 1, 1)


def proc_status(pid):
    st = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                st[k] = int(v.split()[0])
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tck = os.sysconf("SC_CLK_TCK")
    st["cpu"] = (int(fields[11]) + int(fields[12])) / tck   # utime + stime
    return st


def rbldnsd_once(wdir, qname, specs):
    for _ in range(5):            # the port may be taken between probe and bind
        port = free_udp_port()
        t0 = time.perf_counter()
        p = subprocess.Popen(["rbldnsd", "-n", "-b", "127.0.0.1/%d" % port,
                              "-w", wdir] + specs, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
        log, t_started, t_answer, answers = [], None, None, None
        sock = None
        try:
            for line in p.stdout:
                log.append(line)
                if "listening on" in line and sock is None:
                    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    sock.connect(("127.0.0.1", port))
                    sock.send(query(qname, 0x1805))
                if "started" in line:
                    t_started = time.perf_counter() - t0
                    break
            if t_started is None:
                p.wait()
                continue
            sock.settimeout(30)
            reply = sock.recv(4096)
            t_answer = time.perf_counter() - t0
            qid, flags, _, answers = struct.unpack(">HHHH", reply[:8])
            if qid != 0x1805 or flags & 0xf:
                answers = -(flags & 0xf)
            st = proc_status(p.pid)
            text = "".join(log)
            if "invalid" in text or "not be serviced" in text:
                sys.exit("rbldnsd complained:\n" + text)
            return {"wall": t_started, "answer": t_answer, "answers": answers,
                    "cpu": st["cpu"], "rss": st["VmRSS"], "hwm": st["VmHWM"],
                    "log": [x.strip() for x in log if "reloaded" in x]}
        finally:
            if sock is not None:
                sock.close()
            if p.poll() is None:
                p.terminate()
                p.wait()
            p.stdout.close()
    sys.exit("rbldnsd did not start:\n" + "".join(log))


def main():
    mode, n = sys.argv[1], int(sys.argv[2])
    if mode == "run":
        out, rest = sys.argv[3], sys.argv[4:]
        if rest[:1] == ["--"]:
            rest = rest[1:]
        r = cmd_run(n, out, rest)
    elif mode == "rbldnsd":
        wdir, qname, specs = sys.argv[3], sys.argv[4], sys.argv[5:]
        runs = [rbldnsd_once(wdir, qname, specs) for _ in range(n)]
        r = best_run(runs)
        r["walls"] = [x["wall"] for x in runs]
    else:
        sys.exit(__doc__)
    print(json.dumps(r))


if __name__ == "__main__":
    main()
