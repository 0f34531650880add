"""rblmon as a Nagios/Icinga plugin (issue 21): a status line on every
exit (UNKNOWN included), perfdata ranges in the plugin range syntax, long
output, status --format nagios with the age of the last check, and -t
bounding a check against a DNS server that never answers."""
import fcntl
import os

import rbltest
from rbltest import Rbldnsd, SilentUDP, Workdir, custom_list

T0 = 1790000000
ZONES = {"bl.test": ("ip4set", ":127.0.0.2:spam $\n127.0.0.2\n192.0.2.1\n"
                     "192.0.2.2 :127.0.0.3:dynamic\n")}
BL = custom_list("bl", "bl.test", "ip4",
                 {"127.0.0.2": ("spam", "critical"), "127.0.0.3": ("dynamic", "warning")})
SILENT = custom_list("silent", "silent.test", "ip4", {"127.0.0.2": ("x", "critical")})


def config(servers, lists, ips, extra=""):
    return ("watchlists:\n  - name: out\n    ips: [%s]\n"
            "lists:\n  use: []\n  custom:\n%s"
            "resolver:\n  servers: [%s]\n  timeout: 500ms\n  tries: 2\n%s"
            % (ips, "".join(lists), ", ".join(servers), extra))


def first_line(out):
    return out.split("\n")[0]


class NagiosTest(rbltest.unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dns = Rbldnsd(ZONES).__enter__()
        # the same list once 192.0.2.1 is delisted
        cls.clean = Rbldnsd({"bl.test": ("ip4set", ":127.0.0.2:spam $\n127.0.0.2\n")}).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.dns.__exit__(None, None, None)
        cls.clean.__exit__(None, None, None)

    def setUp(self):
        self.w = Workdir()

    def tearDown(self):
        self.w.cleanup()

    def run_(self, args, now=T0):
        r = self.w.run(args, now=now)
        self.assertNotIn("AddressSanitizer", r.err)
        return r

    def test_perfdata_ranges_and_long_output(self):
        self.w.write_config(config([self.dns.server], [BL], "192.0.2.1, 192.0.2.2, 192.0.2.3"))
        r = self.run_(["--format", "nagios", "check"])
        self.assertEqual(r.rc, 2, r.err)
        lines = r.out.split("\n")
        self.assertEqual(lines[0].split(" | ")[0],
                         "RBLMON CRITICAL - 2 listed: 192.0.2.1 on bl, 192.0.2.2 on bl")
        perf = lines[0].split(" | ")[1].split(" ")
        # one critical listing is critical: the range "0" alerts above 0
        self.assertEqual(perf[:6], ["listed=2;;;0", "critical=1;;0;0", "warning=1;0;;0",
                                    "clean=1;;;0", "errors=0;0;;0", "checks=3;;;0"])
        self.assertRegex(perf[6], r"^time=\d+\.\d{3}s;;;0$")
        self.assertEqual(lines[1:], ["192.0.2.1 on bl: critical, 127.0.0.2 (spam)",
                                     "192.0.2.2 on bl: warning, 127.0.0.3 (dynamic)", ""])
        self.assertNotIn("|", "".join(lines[1:]))  # perfdata only on line one

    def test_unknown_line_for_a_bad_configuration(self):
        self.w.write_config("watchlists:\n  - name: out\n    ips: [192.0.2.300]\n")
        r = self.run_(["--format", "nagios", "check"])
        self.assertEqual(r.rc, 3)
        self.assertEqual(r.out, "RBLMON UNKNOWN - %s:3:11: error: '192.0.2.300' is not a "
                                "valid IPv4 address\n" % self.w.config_path)
        self.assertIn("is not a valid IPv4 address", r.err)  # details stay on stderr

    def test_unknown_line_for_an_unknown_option(self):
        self.w.write_config(config([self.dns.server], [BL], "192.0.2.1"))
        for args in (["--format", "nagios", "check", "--frobnicate"],
                     ["--frobnicate", "--format=nagios", "check"],
                     ["--format", "nagios", "status", "--all"]):
            r = self.run_(args)
            self.assertEqual(r.rc, 3, args)
            self.assertEqual(r.out.count("\n"), 1, args)
            self.assertTrue(r.out.startswith("RBLMON UNKNOWN - "), r.out)
        r = self.run_(["--format", "nagios", "check", "--frobnicate"])
        self.assertEqual(r.out, "RBLMON UNKNOWN - unknown option '--frobnicate'; "
                                "see rblmon --help\n")

    def test_unknown_line_for_a_locked_state(self):
        self.w.write_config(config([self.dns.server], [BL], "192.0.2.1",
                                   "state:\n  lock_wait: 0s\n"))
        self.assertEqual(self.run_(["check"]).rc, 2)
        with open(self.w.db + ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            r = self.run_(["--format", "nagios", "check"])
        self.assertEqual(r.rc, 3)
        self.assertEqual(r.out.count("\n"), 1, r.out)
        self.assertTrue(r.out.startswith("RBLMON UNKNOWN - another rblmon is using %s"
                                         % self.w.db), r.out)
        self.assertIn("another rblmon is using", r.err)

    def test_status(self):
        self.w.write_config(config([self.dns.server], [BL], "192.0.2.1"))
        r = self.run_(["--format", "nagios", "status"])
        self.assertEqual(r.rc, 3)
        self.assertTrue(r.out.startswith("RBLMON UNKNOWN - no state yet at"), r.out)
        self.assertEqual(self.run_(["check"]).rc, 2)
        r = self.run_(["--format", "nagios", "status"], now=T0 + 300)
        self.assertEqual(r.rc, 2)
        self.assertEqual(r.out,
                         "RBLMON CRITICAL - 1 listed: 192.0.2.1 on bl; last check 5m ago | "
                         "listed=1;;;0 critical=1;;0;0 warning=0;0;;0 age=300s;7200;;0\n"
                         "192.0.2.1 on bl: critical, 127.0.0.2 (spam), since "
                         "2026-09-21T14:13:20Z\n")
        # stale: older than twice schedule.dnsbl (1h by default), WARNING at least
        r = self.run_(["--format", "nagios", "status"], now=T0 + 7201)
        self.assertEqual(r.rc, 2)  # still critical: the listing is the worse news
        self.assertIn("; last check 2h 0m ago (stale: older than 2h 0m) | ", r.out)
        self.w.write_config(config([self.dns.server], [BL], "192.0.2.3",
                                   "schedule:\n  dnsbl: 6h\n"))
        self.assertEqual(self.run_(["check"], now=T0 + 3600).rc, 0)
        r = self.run_(["--format", "nagios", "status"], now=T0 + 3600 + 12 * 3600)
        self.assertEqual((r.rc, first_line(r.out)),
                         (0, "RBLMON OK - not listed; last check 12h 0m ago | listed=0;;;0 "
                             "critical=0;;0;0 warning=0;0;;0 age=43200s;43200;;0"))
        r = self.run_(["--format", "nagios", "status"], now=T0 + 3600 + 12 * 3600 + 1)
        self.assertEqual(r.rc, 1)
        self.assertTrue(r.out.startswith("RBLMON WARNING - not listed; last check 12h 0m ago "
                                         "(stale: older than 12h 0m) | "), r.out)

    def test_timeout_finishes_with_what_it_has(self):
        with SilentUDP() as silent:
            # without -t the silent server holds each query 60 s (30 s, twice)
            cfg = config([silent.server], [SILENT], "192.0.2.1, 192.0.2.2")
            self.w.write_config(cfg.replace("timeout: 500ms", "timeout: 30s"))
            r = self.run_(["--format", "nagios", "check", "-t", "3"])
            self.assertEqual(r.rc, 3, r.err)
            self.assertTrue(r.out.startswith("RBLMON UNKNOWN - nothing could be checked "
                                             "(2 not checked) | "), r.out)
            self.assertIn(" errors=2;0;;0 checks=2;;;0 ", r.out)
            self.assertTrue(silent.queries(), "nothing was asked")
            # recorded: the state says the check ran and checked nothing
            s = self.run_(["--format", "nagios", "status"])
            self.assertEqual(s.rc, 3)
            self.assertIn("; last check 0m ago, it could check nothing | ", s.out)


    def test_changes_are_news_once_per_consumer(self):
        def cron(now, *args):
            r = self.run_(["check", "--changes-only"] + list(args), now=now)
            self.assertIn(r.rc, (0, 2), r.err)
            return r.out
        self.w.write_config(config([self.dns.server], [BL], "192.0.2.3"))
        self.assertEqual(cron(T0), "")  # the first check: nothing is listed
        self.assertEqual(cron(T0, "--consumer", "ops"), "")
        # 192.0.2.1 joins the watchlist: the Nagios check is the first to see it listed
        self.w.write_config(config([self.dns.server], [BL], "192.0.2.3, 192.0.2.1"))
        n = self.run_(["--format", "nagios", "check"], now=T0 + 60)
        self.assertEqual(n.rc, 2)
        self.assertTrue(n.out.startswith("RBLMON CRITICAL - 1 listed: 192.0.2.1 on bl |"))
        # cron still gets the news, once; so does every other consumer
        listed = "LISTED     192.0.2.1 on bl: 127.0.0.2 (spam)\n"
        self.assertEqual(cron(T0 + 120), listed)
        self.assertEqual(cron(T0 + 180), "")
        self.assertEqual(cron(T0 + 240, "--consumer", "ops"), listed)
        self.assertEqual(cron(T0 + 300, "--consumer", "ops"), "")
        # a consumer never seen before starts now: what is already known is not news
        self.assertEqual(cron(T0 + 360, "--consumer", "late"), "")
        # a delisting found by a Nagios check, read by JSON
        self.w.write_config(config([self.clean.server], [BL], "192.0.2.3, 192.0.2.1"))
        self.assertEqual(self.run_(["--format", "nagios", "check"], now=T0 + 420).rc, 0)
        j = self.run_(["check", "--changes-only", "--format", "json"], now=T0 + 480)
        self.assertEqual([(c["change"], c["target"]) for c in j.json()["changes"]],
                         [("delisted", "192.0.2.1")])
        self.assertEqual(cron(T0 + 540), "")

    def test_consumer_needs_changes_only_and_a_plain_name(self):
        self.w.write_config(config([self.dns.server], [BL], "192.0.2.3"))
        r = self.run_(["check", "--consumer", "ops"])
        self.assertEqual((r.rc, r.out), (3, ""))
        self.assertIn("--consumer names who reads the changes", r.err)
        r = self.run_(["check", "--changes-only", "--consumer", "a b"])
        self.assertEqual((r.rc, r.out), (3, ""))
        self.assertIn("--consumer 'a b': a name of 1 to 64", r.err)


if __name__ == "__main__":
    rbltest.main()
