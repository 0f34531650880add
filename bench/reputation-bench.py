#!/usr/bin/env python3
"""Reputation benchmark (issue 8).  A local HTTPS server (the test suite's,
with a CA it generates) answers AbuseIPDB-shaped JSON for every IP of a
/22 (1,024 requests).  In the same run, against the same server:

  curl, one process per IP     what a shell script around curl does
                               (a new TLS connection per request; run on
                               the first 200 IPs)
  curl --parallel              libcurl's own tool at rblmon's concurrency
                               (4 in flight, connections reused): the
                               server's limit as a client sees it
  rblmon check --no-state      the whole cycle: templates, requests,
                               JSON pointer and rules, results, report

and an SNDS-shaped provider (one CSV answer for all targets) over a /16,
for memory: 65,536 results from one answer.  Reports requests/s, ratios,
and rblmon's peak RSS.

Usage: bench/reputation-bench.py [path/to/rblmon]"""
import ipaddress
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
from httpstest import HttpsServer, TestCA  # noqa: E402

RBLMON = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/rblmon")
KEY = "bench-key"


def answer(rec):
    ip = rec["query"].get("ipAddress", "")
    score = 80 if ip.endswith(".7") else 0
    return (200, {"Content-Type": "application/json"}, json.dumps(
        {"data": {"ipAddress": ip, "abuseConfidenceScore": score, "totalReports": 1}}))


def timed(argv, env=None):
    """Wall seconds and peak RSS (KiB) of a child."""
    t = time.monotonic()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    p = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wall = time.monotonic() - t
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, (rss if rss > before else None), p


def rss_of(argv, env):
    p = subprocess.run(["/usr/bin/time", "-f", "%M"] + argv, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return int(p.stderr.strip().splitlines()[-1])


def main():
    ca = TestCA()
    work = tempfile.mkdtemp(prefix="rblmon-repbench.")
    net = ipaddress.ip_network("198.18.0.0/22")
    ips = [str(a) for a in net]
    big = ipaddress.ip_network("198.18.0.0/16")
    csv = "".join("%s,%s,Yes,blocked\r\n" % (a, a) for a in list(big)[7::256])
    routes = {"/api/v2/check": answer, "/snds/ipStatus.aspx": (200, {}, csv)}
    env = dict(os.environ, BENCH_KEY=KEY, XDG_STATE_HOME=work, LC_ALL="C")
    try:
        with HttpsServer(ca, routes) as s:
            base = s.url("/api/v2/check")
            # curl, one process per IP (the first 200)
            n1 = 200
            t = time.monotonic()
            for ip in ips[:n1]:
                subprocess.run(["curl", "-s", "-o", "/dev/null", "--cacert", ca.ca_file,
                                "-H", "Key: " + KEY, "-H", "Accept: application/json",
                                "%s?ipAddress=%s&maxAgeInDays=90" % (base, ip)], check=True)
            curl_loop = n1 / (time.monotonic() - t)
            # curl --parallel, 4 at once, reused connections
            cfg = os.path.join(work, "curl.cfg")
            with open(cfg, "w") as f:
                for ip in ips:
                    f.write('url = "%s?ipAddress=%s&maxAgeInDays=90"\noutput = "/dev/null"\n'
                            % (base, ip))
            t = time.monotonic()
            subprocess.run(["curl", "-s", "--no-progress-meter", "--parallel",
                            "--parallel-max", "4",
                            "--cacert", ca.ca_file, "-H", "Key: " + KEY,
                            "-H", "Accept: application/json", "--config", cfg], check=True)
            curl_par = len(ips) / (time.monotonic() - t)
            # rblmon
            conf = os.path.join(work, "rblmon.yaml")
            with open(conf, "w") as f:
                f.write("watchlists:\n  - name: bench\n    ips: [%s]\nlists:\n  use: []\n"
                        "reputation:\n  - name: abuseipdb\n    preset: abuseipdb\n"
                        "    key: ${BENCH_KEY}\n    ca_file: %s\n    connect_to: %s\n"
                        "    daily_limit: 100000\n"
                        % (net, ca.ca_file, s.connect_to("api.abuseipdb.com")))
            argv = [RBLMON, "-c", conf, "check", "--no-state"]
            t = time.monotonic()
            p = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
            rbl = len(ips) / (time.monotonic() - t)
            summary = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else p.stderr
            rss_small = rss_of(argv, env)
            # one shared answer for a /16
            conf2 = os.path.join(work, "snds.yaml")
            with open(conf2, "w") as f:
                f.write("watchlists:\n  - name: bench\n    ips: [%s]\nlists:\n  use: []\n"
                        "reputation:\n  - name: snds\n    url: %s?key={key}\n"
                        "    key: ${BENCH_KEY}\n    ca_file: %s\n    format: csv\n"
                        "    match: {first: 1, last: 2}\n    column: 3\n    not_found: clean\n"
                        "    rules: [{critical: 'Yes'}]\n"
                        % (big, s.url("/snds/ipStatus.aspx"), ca.ca_file))
            argv2 = [RBLMON, "-c", conf2, "check", "--no-state", "--format", "nagios"]
            t = time.monotonic()
            p2 = subprocess.run(argv2, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
            big_wall = time.monotonic() - t
            rss_big = rss_of(argv2, env)
    finally:
        ca.close()
        subprocess.run(["rm", "-rf", work])
    print("Reputation benchmark: %d requests (a /22), local HTTPS server (Python, "
          "TLS), %d cores" % (len(ips), os.cpu_count()))
    print("%-30s %10s %10s" % ("tool", "requests/s", "ratio"))
    print("(ratio: to curl --parallel)")
    print("%-30s %10.0f %10.2f" % ("curl --parallel (4)", curl_par, 1.0))
    print("%-30s %10.0f %10.2f   (first %d IPs)" % ("curl, a process per IP", curl_loop,
                                                     curl_loop / curl_par, n1))
    print("%-30s %10.0f %10.2f   peak RSS %d KiB" % ("rblmon check", rbl, rbl / curl_par,
                                                      rss_small))
    print("rblmon: " + summary)
    print("shared answer (SNDS-like CSV) for a /16: 65536 results in %.1fs, peak RSS %d KiB"
          % (big_wall, rss_big))
    print("rblmon: " + p2.stdout.strip())


if __name__ == "__main__":
    main()
