"""The openspf SPF test suites (RFC 7208, release 2014.04, and RFC 4408,
release 2009.10), every test of both run through `rblmon spf` against a
DNS server on 127.0.0.1 that serves each scenario's zone data
(zonedns.py, with the suites' conventions: an SPF record is also a TXT
record where the name has none, "TIMEOUT" is never answered).

The suites are not part of the project: they are read from
../shared/corpora/spf (or $RBLMON_SPF_SUITES) and the test skips with a
message when they are absent.  A test passes when rblmon's result is one
the suite accepts, and, where the suite names an explanation, when the
explanation is that text ("DEFAULT": none of the domain's own, the
receiver's default).  No test is excepted.  RBLMON_SPF_VERBOSE=1 prints
every failure's trace."""
import os
import sys
import unittest

import yaml

import rbltest
from zonedns import ZoneDNS

SUITES = os.environ.get("RBLMON_SPF_SUITES",
                        os.path.join(rbltest.SRC, "..", "shared", "corpora",
                                     "spf"))
FILES = ("rfc7208-tests.yml", "rfc4408-tests.yml")
VERBOSE = os.environ.get("RBLMON_SPF_VERBOSE") == "1"


def zone_of(zonedata):
    """The scenario's zonedata as zonedns records, after the reference
    driver (pyspf test/testspf.py): a name's SPF records are also its TXT
    records unless it has a TXT entry (TXT: NONE turns that off), added
    after everything else; a value NONE is no record."""
    zone = {}
    for dname, entries in (zonedata or {}).items():
        recs, gen, has_txt = [], [], False
        for e in entries:
            if e == "TIMEOUT":
                recs.append("TIMEOUT")
                continue
            for rtype, value in e.items():
                if rtype == "TXT":
                    has_txt = True
                elif rtype == "SPF":
                    gen.append(("TXT", value))
                if value != "NONE":
                    recs.append((rtype, value))
        zone[dname] = recs + ([] if has_txt else [g for g in gen
                                                   if g[1] != "NONE"])
    return zone


def arguments(t):
    """rblmon spf's arguments for a test: the MAIL FROM identity, or the
    HELO identity when MAIL FROM is empty (RFC 7208 section 2.4)."""
    mailfrom, helo = t["mailfrom"], t["helo"]
    args = ["spf", "--format", "json", "--helo", helo, "--sender", mailfrom]
    if mailfrom:
        domain = mailfrom.split("@", 1)[1] if "@" in mailfrom else mailfrom
    else:
        domain = helo
    return args + [t["host"], domain]


def verdict(t, out):
    """None when rblmon's output is what the suite accepts, else why not."""
    want = t["result"] if isinstance(t["result"], list) else [t["result"]]
    if out["result"] not in want:
        return "result %s, the suite accepts %s" % (out["result"], want)
    exp = t.get("explanation")
    if exp is None or out["result"] != "fail":
        return None
    got = out["explanation"]
    if exp == "DEFAULT":
        return None if got is None else "explanation %r, expected none" % got
    return None if got == exp else "explanation %r, expected %r" % (got, exp)


class SpfSuites(unittest.TestCase):
    def setUp(self):
        if not os.path.isdir(SUITES):
            self.skipTest("the openspf suites are not here (%s): they live "
                          "in ../shared/corpora/spf" % SUITES)

    def run_suite(self, fname):
        path = os.path.join(SUITES, fname)
        if not os.path.exists(path):
            self.skipTest("%s is missing" % path)
        total, failed = 0, []
        with ZoneDNS() as dns:
            # a scenario with TIMEOUT waits for it: 1 s, twice; the others
            # get time enough for a loaded machine (no test waits on them)
            config = {t: "resolver:\n  servers: [%s]\n  timeout: %s\n"
                         "  tries: 2\n" % (dns.server, t) for t in ("1s", "5s")}
            with open(path) as f:
                scenarios = list(yaml.safe_load_all(f))
            for scenario in scenarios:
                dns.set_zone(zone_of(scenario.get("zonedata")))
                timeouts = "TIMEOUT" in str(scenario.get("zonedata"))
                for name, t in sorted(scenario["tests"].items()):
                    total += 1
                    r = rbltest.run(arguments(t),
                                    config=config["1s" if timeouts else "5s"])
                    try:
                        out = r.json()
                    except ValueError:
                        failed.append((name, "no JSON (exit %d): %s"
                                       % (r.rc, r.err.strip()), None))
                        continue
                    why = verdict(t, out)
                    if why is not None:
                        failed.append((name, why, out))
        print("%s: %d of %d tests pass" % (fname, total - len(failed), total),
              file=sys.stderr)
        for name, why, out in failed:
            print("  %s: %s" % (name, why), file=sys.stderr)
            if VERBOSE and out is not None:
                for line in out["trace"]:
                    print("      %s%s" % ("  " * line["depth"], line["line"]),
                          file=sys.stderr)
        self.assertEqual([f[:2] for f in failed], [])

    def test_rfc7208(self):
        self.run_suite(FILES[0])

    def test_rfc4408(self):
        self.run_suite(FILES[1])


if __name__ == "__main__":
    unittest.main()
