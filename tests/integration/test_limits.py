"""Scale and the list operators' limits (issue 11): a configuration with
100,000 targets loads and is checked in full against rbldnsd on 127.0.0.1;
a /16 fits the fair-use ceiling of a public list that publishes no limit
and is queried; two /16s do not, and more than its published limit does
not fit a list that publishes one: those lists are not asked at all (one
"skipped" result a range); a /8, or more than 2^20 addresses in all, is
refused before anything is asked."""
import os
import socket
import unittest

import rbltest
from rbltest import Rbldnsd, Workdir, custom_list, run

CRIT = {"127.0.0.2": ("spam", "critical")}


def watchlist_config(targets_yaml, lists_yaml, server):
    return ("watchlists:\n  - name: big\n    ips:\n%s"
            "lists:\n%s"
            "resolver:\n  servers: [%s]\n  timeout: 500ms\n  tries: 2\n"
            % (targets_yaml, lists_yaml, server))


class RecordingUDP:
    """A UDP socket on 127.0.0.1 that answers nothing and keeps what it
    receives: after a run, how many queries were sent to it."""

    def __enter__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        return self

    def __exit__(self, *exc):
        self.sock.close()

    @property
    def server(self):
        return "127.0.0.1:%d" % self.sock.getsockname()[1]

    def received(self):
        n = 0
        while True:
            try:
                self.sock.recv(4096)
            except BlockingIOError:
                return n
            n += 1


class Limits(unittest.TestCase):
    def test_100000_targets_are_loaded_and_checked(self):
        # 100,000 separate addresses in one watchlist, a few of them listed
        ips = ["10.%d.%d.%d" % (i >> 16, (i >> 8) & 255, i & 255) for i in range(100000)]
        listed = ips[0:100000:20000]
        zone = ":127.0.0.2:listed\n127.0.0.2\n" + "".join(ip + "\n" for ip in listed)
        with Rbldnsd({"bl.test": ("ip4set", zone)}) as d:
            w = Workdir(watchlist_config(
                "".join("      - %s\n" % ip for ip in ips),
                "  use: []\n  custom:\n" + custom_list("bl", "bl.test", "ip4", CRIT),
                d.server))
            try:
                r = w.run(["config", "check"])
                self.assertEqual(r.rc, 0, r.err)
                self.assertIn("100000 targets", r.out)
                r = w.run(["check", "--format", "json"])
                self.assertEqual(r.rc, 2, r.err)
                res = r.json()["results"]
                self.assertEqual(len(res), 100000)
                self.assertEqual(sorted(x["target"] for x in res if x["status"] == "listed"),
                                 sorted(listed))
                self.assertEqual(sum(1 for x in res if x["status"] == "clean"), 100000 - 5)
                # the state holds them: status reads the five listings back
                s = w.run(["status", "--format", "json"])
                self.assertEqual(s.rc, 2, s.err)
                self.assertEqual(sorted(x["target"] for x in s.json()["listings"]),
                                 sorted(listed))
            finally:
                w.cleanup()

    def test_slash16_fits_a_public_list_without_a_published_limit(self):
        # spamcop publishes no limit: 65,536 addresses + 4 probes fit in
        # rblmon's fair-use 100,000 a day, so the range is queried in full
        zone = ":127.0.0.2:listed\n127.0.0.2\n10.1.200.7\n"
        with Rbldnsd({"bl.spamcop.net": ("ip4set", zone)}) as d:
            r = run(["check", "--no-state", "--format", "json", "--all"],
                    watchlist_config("      - 10.1.0.0/16\n", "  use: [spamcop]\n",
                                     d.server))
            self.assertEqual(r.rc, 2, r.err)
            res = r.json()["results"]
            self.assertEqual(len(res), 65536)
            self.assertEqual([x["target"] for x in res if x["status"] == "listed"],
                             ["10.1.200.7"])

    def check_not_asked(self, ranges, lists):
        with RecordingUDP() as u:
            r = run(["check", "--no-state", "--format", "json"],
                    watchlist_config("".join("      - %s\n" % x for x in ranges),
                                     "  use: [%s]\n" % ", ".join(lists), u.server))
            self.assertEqual(u.received(), 0)  # not one query, not even a probe
        self.assertEqual(r.rc, 3, r.err)  # nothing could be checked: UNKNOWN
        rep = r.json()
        # one result a range and list, not one an address
        self.assertEqual(sorted((x["target"], x["source"], x["status"]) for x in rep["results"]),
                         sorted((x, l, "skipped") for x in ranges for l in lists))
        return {h["name"]: h for h in rep["lists"]}

    def test_over_the_fair_use_ceiling_a_public_list_is_not_asked(self):
        h = self.check_not_asked(["10.1.0.0/16", "10.2.0.0/16"], ["spamcop"])
        self.assertEqual(h["spamcop"]["health"], "skipped")
        self.assertIn("131076 queries now and 0 in the last 24 hours would exceed the "
                      "100000 a day that rblmon allows a list that publishes no limit",
                      h["spamcop"]["detail"])

    def test_over_its_published_limit_a_list_is_not_asked(self):
        h = self.check_not_asked(["10.%d.0.0/16" % i for i in range(5)], ["spamhaus-zen"])
        self.assertIn("327684 queries now and 0 in the last 24 hours would exceed the "
                      "300000 a day that its terms allow", h["spamhaus-zen"]["detail"])

    def test_slash8_and_too_many_addresses_are_refused(self):
        with RecordingUDP() as u:
            r = run(["check", "--no-state"],
                    watchlist_config("      - 10.0.0.0/8\n", "  use: [spamcop]\n", u.server))
            self.assertEqual(u.received(), 0)
        self.assertEqual(r.rc, 3)
        self.assertIn("rblmon.yaml:4:9: error: '10.0.0.0/8': ranges larger than /16 "
                      "(65,536 addresses) are not checked address by address", r.err)
        r = run(["check", "--no-state", "10.0.0.0/8"])
        self.assertEqual(r.rc, 3)
        self.assertIn("argument 1: '10.0.0.0/8': ranges larger than /16", r.err)
        # 16 /16s are the most one configuration holds
        sixteen = "".join("      - 10.%d.0.0/16\n" % i for i in range(16))
        r = run(["config", "check"], watchlist_config(sixteen, "  use: [spamcop]\n", "127.0.0.1:53"))
        self.assertEqual(r.rc, 0, r.err)
        r = run(["config", "check"], watchlist_config(sixteen + "      - 192.0.2.1\n",
                                             "  use: [spamcop]\n", "127.0.0.1:53"))
        self.assertEqual(r.rc, 3)
        self.assertIn("rblmon.yaml:20:9: error: with '192.0.2.1' the watchlists hold more "
                      "than 1048576 addresses", r.err)

    def test_a_limit_is_reported_once(self):
        sixteen = "".join("      - 10.%d.0.0/16\n" % i for i in range(16))
        more = "".join("      - 192.0.2.%d\n" % i for i in range(1, 80))
        r = run(["config", "check"], watchlist_config(sixteen + more, "  use: [spamcop]\n",
                                                      "127.0.0.1:53"))
        self.assertEqual(r.rc, 3)
        self.assertEqual(r.err.count("the watchlists hold more than"), 1, r.err[:3000])
        self.assertIn("this target and those after it are not read", r.err)

    def test_state_path_too_long(self):
        long_path = "/tmp/" + "d" * 250 + "/" + "x" * 5000 + ".db"
        r = run(["config", "check"], "state:\n  path: %s\n" % long_path)
        self.assertEqual(r.rc, 3, r.err)
        self.assertRegex(r.err, r"rblmon\.yaml:2:9: error: state\.path")
        self.assertFalse(os.path.exists("/tmp/" + "d" * 250))

    def test_lists_shows_the_fair_use_ceiling(self):
        r = run(["lists"], "lists:\n  use: [spamcop, spamhaus-zen]\n")
        self.assertEqual(r.rc, 0, r.err)
        self.assertRegex(r.out, r"\nspamcop +bl\.spamcop\.net +ip4 +100000\* ")
        self.assertRegex(r.out, r"\nspamhaus-zen +zen\.spamhaus\.org +ip +300000 ")
        self.assertIn("* no published limit: rblmon keeps to 100000 queries a day", r.out)


if __name__ == "__main__":
    rbltest.main()
