#!/usr/bin/env python3
"""SPF benchmark (issue 20): both openspf test suites (RFC 7208, 203 tests;
RFC 4408, 191 tests; ../shared/corpora/spf or $RBLMON_SPF_SUITES) run in
one go through three implementations, against one DNS server:

  rblmon spf --format json     one process per test
  pyspf (python3-spf)          spf.query(i, s, h).check() in this process,
                               as pyspf's own test driver runs it
  spfquery (libspf2)           one process per test

The server is the integration tests' zonedns.ZoneDNS on 127.0.0.1 port 53
of a private network and mount namespace (unshare; root), with the
namespace's own /etc/resolv.conf (bind-mounted: nameserver 127.0.0.1,
timeout:1, attempts:1) for spfquery, which can only use the system
resolver.  rblmon and pyspf are pointed at the same server directly.
Every lookup times out after 1 s (glibc's floor) in all three.  Each
scenario's zone, the command line and the verdict come from
tests/integration/test_spf_suite.py (zone_of, arguments, verdict), so a
test passes here exactly when it does in the test suite.

Reported per suite and implementation: tests passed, wall time a test
(each test run RUNS times, default 2, the fastest counts; a test that
takes over half a second, a timeout, runs once) as the median over the
suite's tests, total time, and the ratios to rblmon.  One process per
test means process start-up dominates rblmon's and spfquery's times,
while pyspf runs in the benchmark's own (already started) interpreter;
so right after each test, each implementation's start-up alone is timed
the same way (rblmon --version, spfquery -help) and subtracted: "net"
(rblmon spf reads its configuration, not the DNSBL catalog: net is the
configuration and the evaluation).  Paired like this, load that changes during the run
weighs on a test and its start-up alike (the CPU figures least).

Usage: bench/spf-suite-bench.py [path/to/rblmon]
Installs python3-spf, python3-dnspython and spfquery when missing."""
import collections
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
PACKAGES = ("python3-spf", "python3-dnspython", "spfquery")
TIMEOUT = 1.0  # seconds a lookup, the same for the three
RUNS = int(os.environ.get("RUNS", "2"))
SLOW = 0.5  # seconds: a test this slow waited for a timeout; run once
# Debian's interpreter, the one python3-spf is installed for (a python3
# earlier on PATH, e.g. pyenv's, has no spf module)
PYTHON = "/usr/bin/python3"


def install_missing():
    missing = [p for p in PACKAGES if subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", p], capture_output=True,
        text=True).stdout.find("install ok installed") < 0]
    if not missing:
        return
    print("spf-suite-bench: installing: %s" % " ".join(missing),
          file=sys.stderr)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq",
                    "--no-install-recommends"] + missing, check=True, env=env,
                   stdout=subprocess.DEVNULL)


def enter_namespace(rblmon):
    """Re-runs this script in a private network and mount namespace."""
    if os.geteuid() != 0:
        sys.exit("spf-suite-bench: run as root (unshare, port 53, apt-get)")
    install_missing()
    os.execvp("unshare", ["unshare", "--mount", "--net", "env",
                          "RBLMON_BENCH_NS=1", PYTHON,
                          os.path.abspath(__file__), rblmon])


def setup_namespace(work):
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    conf = os.path.join(work, "resolv.conf")
    with open(conf, "w") as f:
        f.write("nameserver 127.0.0.1\noptions timeout:%d attempts:1\n"
                % TIMEOUT)
    subprocess.run(["mount", "--bind", conf, "/etc/resolv.conf"], check=True)


def port53_server():
    """zonedns.ZoneDNS on 127.0.0.1 port 53 (the system resolver's port;
    ZoneDNS itself takes a free port): the same handler and loop, only
    the sockets are bound here."""
    from zonedns import ZoneDNS

    class ZoneDNS53(ZoneDNS):
        def __enter__(self):
            self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.udp.bind(("127.0.0.1", 53))
            self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.tcp.bind(("127.0.0.1", 53))
            self.tcp.listen(16)
            self.port = 53
            self.wake_r, self.wake_w = os.pipe()
            self.conns = []
            self.thread = threading.Thread(target=self._serve, daemon=True)
            self.thread.start()
            return self

    return ZoneDNS53()


class Rblmon:
    name = "rblmon spf"
    in_process = False

    def __init__(self, path, work):
        self.path = path
        self.config = os.path.join(work, "rblmon.yaml")
        with open(self.config, "w") as f:
            f.write("resolver:\n  servers: [127.0.0.1:53]\n  timeout: %dms\n"
                    "  tries: 1\n" % (TIMEOUT * 1000))
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                    "HOME": work, "XDG_STATE_HOME": os.path.join(work, "st"),
                    "RBLMON_CATALOG": os.path.join(SRC, "lists"),
                    "LC_ALL": "C"}
        # start-up alone
        self.baselines = (("net", [path, "--version"]),)

    def run(self, t, arguments):
        p = subprocess.run([self.path, "-c", self.config] + arguments(t),
                           env=self.env, capture_output=True, text=True)
        try:
            return json.loads(p.stdout)
        except ValueError:
            return "no JSON (exit %d): %s" % (p.returncode, p.stderr.strip())


class Pyspf:
    name = "pyspf (in process)"
    in_process = True
    env = None

    def __init__(self):
        import dns.resolver
        import spf
        self.spf = spf
        r = dns.resolver.Resolver(configure=False)
        r.nameservers = ["127.0.0.1"]
        r.port = 53
        r.timeout = r.lifetime = TIMEOUT
        # spf.DNSLookup (DNSLookup_dnspython) asks dns.resolver.query(),
        # that is the default resolver, with lifetime = the query's timeout
        dns.resolver.default_resolver = r
        assert spf.DNSLookup is spf.DNSLookup_dnspython
        self.baselines = ()

    def run(self, t, arguments):
        # as pyspf's test driver (test/testspf.py): the default explanation
        # is a marker, so a fail without exp= is told apart
        q = self.spf.query(i=t["host"], s=t["mailfrom"], h=t["helo"],
                           timeout=TIMEOUT)
        q.set_default_explanation("DEFAULT")
        res, _code, exp = q.check()
        res = {"unknown": "permerror", "error": "temperror"}.get(res, res)
        return {"result": res, "explanation": None if exp == "DEFAULT"
                else exp}


class Spfquery:
    name = "spfquery (libspf2)"
    in_process = False

    def __init__(self):
        self.env = None
        self.baselines = (("net", ["spfquery", "-help"]),)

    def run(self, t, arguments):
        # -sender "" is the HELO identity (libspf2 makes it postmaster@HELO);
        # without -sender, spfquery aborts ("from is NULL")
        argv = ["spfquery", "-trusted", "0", "-default-explanation",
                "DEFAULT", "-ip", t["host"], "-helo", t["helo"],
                "-sender", t["mailfrom"]]
        p = subprocess.run(argv, capture_output=True, text=True,
                           errors="replace")
        out = p.stdout
        # when libspf2 returns an error code, spfquery prints it in a
        # StartError ... EndError block, then the response as usual:
        # result, SMTP comment ("EXPLANATION : Reason: ..." for a fail),
        # header comment, Received-SPF
        error = None
        if out.startswith("StartError\n") and "\nEndError\n" in out:
            block, out = out.split("\nEndError\n", 1)
            error = next((ln[7:] for ln in block.split("\n")
                          if ln.startswith("Error: ")), None)
        lines = out.split("\n")
        if not lines[0]:
            return "no result (exit %d): %s" % (p.returncode,
                                                p.stderr.strip()[:120])
        exp = lines[1] if len(lines) > 1 else ""
        if " : Reason: " in exp:
            exp = exp.rsplit(" : Reason: ", 1)[0]
        return {"result": lines[0].strip(), "error": error,
                "explanation": None if exp == "DEFAULT" else exp}


def cpu_clock(in_process):
    """CPU seconds (user + system) so far: of this thread for an
    implementation that runs in process (not the zone server's thread),
    of the waited-for children otherwise."""
    if in_process:
        return time.thread_time()
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def best_of(fn, in_process=False):
    """(fastest wall time of RUNS calls, least CPU time, the first call's
    value)."""
    wall, cpu, first = None, None, None
    for _ in range(RUNS):
        t0, c0 = time.perf_counter(), cpu_clock(in_process)
        value = fn()
        d = time.perf_counter() - t0
        c = cpu_clock(in_process) - c0
        first = value if first is None else first
        wall = d if wall is None or d < wall else wall
        cpu = c if cpu is None or c < cpu else cpu
        if d > SLOW:
            break
    return wall, cpu, first


def run_suites(impls, dns, yaml, names):
    """{suite file: {implementation: {"wall", "cpu": [seconds a test],
    "wall net", "cpu net", ...: [seconds less a baseline], "failed":
    [(test, why)], "invalid": [test]}}}: invalid lists the failures whose
    result is libspf2's "(invalid)" (an error code, no SPF result) that
    permerror would have passed."""
    FILES, SUITES, arguments, verdict, zone_of = names
    results = {}
    for fname in FILES:
        with open(os.path.join(SUITES, fname)) as f:
            scenarios = list(yaml.safe_load_all(f))
        res = {i.name: collections.defaultdict(list) for i in impls}
        for scenario in scenarios:
            dns.set_zone(zone_of(scenario.get("zonedata")))
            for name, t in sorted(scenario["tests"].items()):
                for impl in impls:
                    r = res[impl.name]
                    wall, cpu, out = best_of(lambda: impl.run(t, arguments),
                                             impl.in_process)
                    r["wall"].append(wall)
                    r["cpu"].append(cpu)
                    for label, argv in impl.baselines:
                        bw, bc, _ = best_of(lambda: subprocess.run(
                            argv, env=impl.env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL))
                        r["wall " + label].append(wall - bw)
                        r["cpu " + label].append(cpu - bc)
                    why = out if isinstance(out, str) else verdict(t, out)
                    if why is None:
                        continue
                    if not isinstance(out, str) and out.get("error"):
                        why += " [libspf2: %s]" % out["error"]
                    r["failed"].append((name, why))
                    if (not isinstance(out, str)
                            and out["result"] == "(invalid)"
                            and verdict(t, dict(out, result="permerror"))
                            is None):
                        r["invalid"].append(name)
        results[fname] = res
    return results


def main():
    rblmon = os.path.abspath(sys.argv[1] if len(sys.argv) > 1
                             else "build/rblmon")
    if os.environ.get("RBLMON_BENCH_NS") != "1":
        enter_namespace(rblmon)
    import yaml
    from test_spf_suite import FILES, SUITES, arguments, verdict, zone_of

    if not all(os.path.exists(os.path.join(SUITES, f)) for f in FILES):
        sys.exit("spf-suite-bench: the suites are not in %s" % SUITES)
    work = tempfile.mkdtemp(prefix="rblmon-spfbench.")
    try:
        setup_namespace(work)
        impls = [Rblmon(rblmon, work), Pyspf(), Spfquery()]
        t0 = time.monotonic()
        with port53_server() as dns:
            results = run_suites(impls, dns, yaml, (FILES, SUITES, arguments,
                                                    verdict, zone_of))
            if dns.errors:
                print("zone server errors: %s" % dns.errors[:3])
        report(impls, results, time.monotonic() - t0)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def ratio(a, b):
    return "%.2f" % (a / b) if b > 0 and a > 0 else "-"


def report(impls, results, wall):
    rbl, py, sq = impls
    print("SPF test suites through rblmon and its peers: one run, ZoneDNS on "
          "127.0.0.1:53 (private namespace), %d cores, %.0f s in all"
          % (os.cpu_count(), wall))
    print("Time a test: the fastest of %d runs (wall; CPU: user + system),"
          " the median over the suite.\nrblmon and spfquery start a process "
          "a test; pyspf runs in the benchmark's interpreter.\nProcess "
          "start-up dominates: 'net' subtracts it (rblmon --version, spfquery "
          "-help, timed the\nsame way right after each test; pyspf pays "
          "none).\nRatios are peer / rblmon: 'pass x' < 1 and "
          "'speed x', 'net x' > 1 favour rblmon." % RUNS)
    for fname, res in results.items():
        n = len(res[rbl.name]["wall"])
        fig = {}
        for impl in impls:
            r = res[impl.name]
            f = fig[impl.name] = {}
            for clock in ("wall", "cpu"):
                f[clock] = statistics.median(r[clock])
                for label in ("net",):
                    key = clock + " " + label
                    f[key] = (statistics.median(r[key]) if r.get(key)
                              else f[clock] if impl is not rbl else None)
            f["pass"] = n - len(r["failed"])
        rf = fig[rbl.name]
        print()
        print("%-19s %4s %4s %6s | %7s %6s %7s %6s | %6s %6s %6s | %7s"
              % (fname, "pass", "of", "pass x", "wall ms", "net",
                 "speed x", "net x", "CPU ms", "net", "net x", "total s"))
        for impl in impls:
            f = fig[impl.name]
            print("%-19s %4d %4d %6s | %7.2f %6.2f %7s %6s | %6.2f %6.2f "
                  "%6s | %7.1f" % (
                      impl.name, f["pass"], n, ratio(f["pass"], rf["pass"]),
                      f["wall"] * 1000, f["wall net"] * 1000,
                      ratio(f["wall"], rf["wall"]),
                      ratio(f["wall net"], rf["wall net"]),
                      f["cpu"] * 1000, f["cpu net"] * 1000,
                      ratio(f["cpu net"], rf["cpu net"]),
                      sum(res[impl.name]["wall"])))
        inv = res[sq.name]["invalid"]
        if inv:
            print("  spfquery '(invalid)' (an error code, no result) read as "
                  "permerror: %d of %d pass (%d more)"
                  % (fig[sq.name]["pass"] + len(inv), n, len(inv)))
        for impl in impls:
            for name, why in res[impl.name]["failed"]:
                print("  %s fails %s: %s" % (impl.name.split()[0], name,
                                             why[:200]))


if __name__ == "__main__":
    main()
