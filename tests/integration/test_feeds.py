"""Lists read from data feeds (issue 18), through the real binary: a /8
checked from a file with the listed addresses and the clean rest of the
range in every output and in the state; a listing that leaves the file is
delisted; broken and stale feeds never read as clean; wider ranges than DNS
takes need a feed; no DNS query for a list with a feed; rblmon lists shows
the feeds; rblmon run checks the feeds again when a file changes or goes
stale.  (The feed's answers themselves are compared with rbldnsd's in
test_feed_diff.py.)"""
import gzip
import json
import os

import rbltest
from rbltest import SilentUDP, Workdir

T0 = 1795766400
ZEN = """$SOA 0 ns.example. admin.example. 0 1h 1h 1w 1h
:127.0.0.2:Listed, see https://bl.example/$
127.0.0.2
10.1.2.3
10.1.3.0-10.1.3.9 :127.0.0.4:exploit at $
!10.1.3.7
10.200.0.0/30
192.0.2.66
"""
LISTED = (["10.1.2.3"] + ["10.1.3.%d" % i for i in range(10) if i != 7]
          + ["10.200.0.%d" % i for i in range(4)])
CODES = ("      codes:\n"
         "        127.0.0.2: {meaning: spam source, severity: critical}\n"
         "        127.0.0.4: {meaning: exploit, severity: critical}\n")


def config(feed="{path: zen.txt}", ips="[10.0.0.0/8, 192.0.2.1, 192.0.2.66]",
           use="[]", extra="", server=None):
    resolver = "resolver: {servers: [%s], timeout: 200ms, tries: 1}\n" % server \
        if server else ""
    return ("watchlists:\n  - name: net\n    ips: %s\n"
            "lists:\n  use: %s\n  custom:\n    - name: myzen\n      type: ip4\n"
            "      feed: %s\n%s%s%s" % (ips, use, feed, CODES, extra, resolver))


class FeedTest(rbltest.unittest.TestCase):
    def setUp(self):
        self.w = Workdir()

    def tearDown(self):
        self.w.cleanup()

    def write(self, name, text, mtime=None):
        path = os.path.join(self.w.dir, name)
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        if mtime is not None:
            os.utime(tmp, (mtime, mtime))
        os.rename(tmp, path)  # as rsync puts a new file in place
        return path

    def check(self, *args, now=T0):
        return self.w.run(["check", "--format", "json"] + list(args), now=now)

    def test_a_slash8_from_a_feed_in_every_output(self):
        self.write("zen.txt", ZEN, T0 - 60)
        self.w.write_config(config())
        r = self.check()
        self.assertEqual(r.rc, 2, r.err)
        rep = r.json()
        got = {x["target"]: x for x in rep["results"]}
        listed = sorted(t for t, x in got.items() if x["status"] == "listed")
        self.assertEqual(listed, sorted(LISTED + ["192.0.2.66"]))
        self.assertEqual(got["10.1.3.4"]["codes"], ["127.0.0.4"])
        self.assertEqual(got["10.1.3.4"]["txt"], "exploit at 10.1.3.4")
        self.assertEqual(got["10.1.2.3"]["txt"], "Listed, see https://bl.example/10.1.2.3")
        # the rest of the /8: one result, not 16 million
        rest = got["10.0.0.0/8"]
        self.assertEqual((rest["status"], rest["range"]["except"]), ("clean", len(LISTED)))
        self.assertEqual(got["192.0.2.1"]["status"], "clean")
        self.assertEqual(len(rep["results"]), len(LISTED) + 3)
        # text, Nagios and Prometheus say the same
        t = self.w.run(["check", "--all"], now=T0)
        self.assertEqual(t.rc, 2, t.err)
        self.assertIn("10.0.0.0/8 (all but %d)" % len(LISTED), t.out)
        self.assertIn("10.1.3.4", t.out)
        n = self.w.run(["check", "--format", "nagios"], now=T0)
        self.assertEqual(n.rc, 2)
        self.assertTrue(n.out.startswith("RBLMON CRITICAL"), n.out)
        p = self.w.run(["check", "--format", "prometheus"], now=T0)
        self.assertIn('rblmon_listed{target="10.1.3.4",list="myzen"', p.out)

    def test_a_listing_that_leaves_the_file_is_delisted(self):
        self.write("zen.txt", ZEN, T0 - 60)
        self.w.write_config(config())
        self.assertEqual(self.check().rc, 2)
        self.write("zen.txt", ZEN.replace("10.1.2.3\n", ""), T0)
        r = self.check(now=T0 + 3600)
        self.assertEqual(r.rc, 2, r.err)
        changes = {(c["change"], c["target"]) for c in r.json()["changes"]}
        self.assertIn(("delisted", "10.1.2.3"), changes)
        self.assertEqual([c for c in changes if c[0] == "listed"], [])
        s = self.w.run(["status", "--format", "json"], now=T0 + 3600)
        open_now = {e["target"] for e in s.json()["listings"]}
        self.assertNotIn("10.1.2.3", open_now)
        self.assertIn("10.1.3.4", open_now)

    def test_a_listed_block_in_a_range_is_one_result(self):
        # a listed /16 in an owned /8, a listed IPv6 /64 in an owned /32:
        # one result each (2^64 results would never end), and delisted
        # as one when the file drops it
        self.write("zen.txt", ZEN + "10.7.0.0/16\n10.8.0.0-10.8.3.9\n", T0)
        self.write("zen6.txt", ":127.0.0.2:v6\n::ffff:7f00:2\n2001:db8:1:2::/64\n"
                   "2001:db8:5::7\n", T0)
        self.w.write_config(config(feed="{path: zen.txt, path6: zen6.txt}",
                                   ips="[10.0.0.0/8, '2001:db8::/32']").replace(
                                       "type: ip4", "type: ip"))
        r = self.check()
        self.assertEqual(r.rc, 2, r.err)
        got = {x["target"]: x for x in r.json()["results"]}
        listed = {t for t, x in got.items() if x["status"] == "listed"}
        self.assertIn("10.7.0.0/16", listed)
        self.assertIn("2001:db8:1:2::/64", listed)
        self.assertIn("2001:db8:5::7", listed)
        # ip4set holds 10.8.0.0-10.8.3.9 as three /24s and ten addresses:
        # blocks of 256 or fewer get a result an address
        self.assertIn("10.8.2.255", listed)
        self.assertFalse([t for t in listed if t.startswith("10.8.") and "/" in t])
        self.assertEqual(got["10.0.0.0/8"]["range"]["except"], len(LISTED) + 65536 + 778)
        # 2^64 + 1 addresses: the count stops at 2^63 - 1
        self.assertEqual(got["2001:db8::/32"]["range"]["except"], 2 ** 63 - 1)
        # a neighbour listed later changes nothing of what was listed
        self.write("zen.txt", ZEN + "10.7.0.0/16\n10.8.0.0-10.8.3.9\n10.6.0.0/16\n"
                   "10.8.4.0/24\n", T0)
        r = self.check(now=T0 + 60)
        changes = {(c["change"], c["target"]) for c in r.json()["changes"]}
        self.assertEqual({c for c in changes if c[0] != "listed"}, set(), changes)
        self.assertIn(("listed", "10.6.0.0/16"), changes)
        self.write("zen.txt", ZEN + "10.8.0.0-10.8.3.9\n", T0)
        r = self.check(now=T0 + 120)
        changes = {(c["change"], c["target"]) for c in r.json()["changes"]}
        self.assertIn(("delisted", "10.7.0.0/16"), changes)
        self.assertIn(("delisted", "10.6.0.0/16"), changes)
        self.assertEqual({c for c in changes if c[0] != "delisted"}, set())

    def test_a_range_listed_whole_is_one_listed_result(self):
        # the owned range inside a listed block: its one result is the
        # listing, and it is delisted when the block goes
        self.write("zen.txt", ZEN + "10.98.0.0/15\n", T0)
        self.w.write_config(config(ips="[10.99.0.0/16]"))
        r = self.check()
        self.assertEqual(r.rc, 2, r.err)
        res = r.json()["results"]
        self.assertEqual([(x["target"], x["status"]) for x in res],
                         [("10.99.0.0/16", "listed")])
        self.write("zen.txt", ZEN, T0)
        r = self.check(now=T0 + 60)
        changes = {(c["change"], c["target"]) for c in r.json()["changes"]}
        self.assertIn(("delisted", "10.99.0.0/16"), changes)
        s = self.w.run(["status", "--format", "json"], now=T0 + 60)
        self.assertNotIn("10.99.0.0/16", {e["target"] for e in s.json()["listings"]})

    def test_an_ip_list_without_an_ipv6_file_says_so(self):
        self.write("zen.txt", ZEN, T0)
        self.w.write_config(config(ips="[10.1.2.3, '2001:db8::1']").replace(
            "type: ip4", "type: ip"))
        r = self.check()
        self.assertIn("the feed of 'myzen' has no IPv6 data", r.err)
        got = {x["target"]: x for x in r.json()["results"]}
        self.assertEqual(got["2001:db8::1"]["status"], "error")
        self.assertIn("no IPv6 file", got["2001:db8::1"]["error"])
        self.assertEqual(got["10.1.2.3"]["status"], "listed")

    def test_broken_and_stale_feeds_never_read_as_clean(self):
        self.w.write_config(config(feed="{path: zen.txt, max_age: 1h}"))
        cases = [
            ("missing", None, "cannot open"),
            ("stale", (ZEN, T0 - 7200), "older than max_age 1h"),
            ("no test point", (ZEN.replace("127.0.0.2\n", ""), T0), "test point 127.0.0.2"),
            ("truncated", (ZEN + "10.9.9", T0), "truncated"),
            ("empty", ("# nothing yet\n", T0), "no entries"),
        ]
        for what, content, why in cases:
            with self.subTest(what):
                path = os.path.join(self.w.dir, "zen.txt")
                if os.path.exists(path):
                    os.remove(path)
                if content is not None:
                    self.write("zen.txt", *content)
                r = self.check(now=T0)
                self.assertEqual(r.rc, 3, r.err)  # nothing could be checked
                rep = r.json()
                self.assertEqual({x["status"] for x in rep["results"]}, {"error"})
                self.assertEqual(len(rep["results"]), 3)  # one per target, the /8 too
                self.assertIn(why, rep["results"][0]["error"])
                health = {h["name"]: h for h in rep["lists"]}["myzen"]
                self.assertEqual(health["health"], "stale" if what == "stale" else "broken")
                lst = self.w.run(["lists"], now=T0)
                self.assertIn(why, lst.out)

    def test_bad_lines_are_counted_with_their_place(self):
        self.write("zen.txt", ZEN + "10.300.1.1\n10.2.2.2 :x:\n", T0)
        self.w.write_config(config())
        r = self.w.run(["lists", "--format", "json"], now=T0)
        self.assertEqual(r.rc, 0, r.err)
        feed = {x["name"]: x for x in r.json()["lists"]}["myzen"]["feed"]
        self.assertEqual(feed["bad_lines"], 2)
        self.assertEqual(feed["health"], "ok")
        self.assertTrue(feed["bad_examples"][0].endswith("zen.txt:9: invalid address or range"),
                        feed["bad_examples"])
        self.assertIn("zen.txt:10:", feed["bad_examples"][1])
        t = self.w.run(["lists"], now=T0)
        self.assertIn("zen.txt:9: invalid address or range", t.out)
        # more than max_bad: broken
        self.w.write_config(config(feed="{path: zen.txt, max_bad: 1}"))
        r = self.check()
        self.assertEqual(r.rc, 3)
        self.assertIn("2 bad lines, more than max_bad 1", r.json()["results"][0]["error"])

    def test_gzip_and_plain_files(self):
        path = os.path.join(self.w.dir, "zen.txt.gz")
        with gzip.open(path, "wt") as f:
            f.write(ZEN)
        self.w.write_config(config(feed="{path: zen.txt.gz}", ips="[10.1.2.0/24]"))
        r = self.check()
        self.assertEqual(r.rc, 2, r.err)
        self.assertEqual({x["target"] for x in r.json()["results"]
                          if x["status"] == "listed"}, {"10.1.2.3"})
        self.write("drop.txt", "; Spamhaus DROP List\n10.1.0.0/16 ; SBL1\n127.0.0.2/32\n", T0)
        self.w.write_config(config(feed="{path: drop.txt, format: plain}",
                                   ips="[10.1.255.254, 10.2.0.1]"))
        r = self.check()
        got = {x["target"]: x["status"] for x in r.json()["results"]}
        self.assertEqual(got, {"10.1.255.254": "listed", "10.2.0.1": "clean"})

    def test_a_catalog_list_from_its_feed_is_never_asked_over_dns(self):
        self.write("zen.txt", ZEN, T0)
        with SilentUDP() as u:
            self.w.write_config(
                "watchlists:\n  - name: net\n    ips: [10.1.2.0/24, 192.0.2.1]\n"
                "lists:\n  use: [spamcop]\n  feeds:\n"
                "    spamhaus-zen: {path: zen.txt, type: ip4set}\n"
                "resolver: {servers: [%s], timeout: 200ms, tries: 1, deadline: 5s}\n"
                % u.server)
            r = self.check("--no-state")
            asked = u.queries()
        self.assertFalse([q for q in asked if "spamhaus" in q], asked)
        self.assertTrue([q for q in asked if "spamcop" in q])
        got = {(x["target"], x["source"]): x for x in r.json()["results"]}
        self.assertEqual(got[("10.1.2.3", "spamhaus-zen")]["status"], "listed")
        self.assertEqual(got[("10.1.2.3", "spamhaus-zen")]["severity"], "critical")
        self.assertIn("https://check.spamhaus.org",
                      json.dumps(got[("10.1.2.3", "spamhaus-zen")]["delist"]))

    def test_wide_ranges_need_a_feed(self):
        self.w.write_config("watchlists:\n  - name: net\n    ips: [10.0.0.0/8]\n"
                            "lists:\n  use: [spamcop]\n")
        r = self.w.run(["config", "check"])
        self.assertEqual(r.rc, 3)
        self.assertIn("rblmon.yaml:3:11: error: '10.0.0.0/8': ranges larger than /16", r.err)
        self.assertIn("lists.feeds", r.err)
        # on the command line: the DNS lists are not asked for it
        self.write("zen.txt", ZEN, T0)
        with SilentUDP() as u:
            self.w.write_config(config(use="[spamcop]", server=u.server))
            r = self.w.run(["check", "--format", "json", "10.0.0.0/8"], now=T0)
            # spamcop's RFC 5782 test points, and nothing in 10/8
            self.assertEqual(sorted(u.queries()), ["1.0.0.127.bl.spamcop.net",
                                                   "2.0.0.127.bl.spamcop.net"])
        self.assertEqual(r.rc, 2, r.err)
        self.assertIn("'10.0.0.0/8' is checked against myzen (read from data feeds) only",
                      r.err)
        self.assertEqual({x["source"] for x in r.json()["results"]}, {"myzen"})

    def test_output_to_a_fifo_is_written_not_replaced(self):
        # -o renames a new file into place; a FIFO or a device (-o
        # /dev/null) must be written as it is, never replaced
        import threading
        self.write("zen.txt", ZEN, T0)
        self.w.write_config(config(ips="[10.1.2.3]"))
        fifo = os.path.join(self.w.dir, "out.fifo")
        os.mkfifo(fifo)
        got = []

        def read():
            with open(fifo) as f:
                got.append(f.read())
        t = threading.Thread(target=read)
        t.start()
        r = self.w.run(["check", "--no-state", "--format", "json", "-o", fifo], now=T0)
        t.join(timeout=60)
        self.assertEqual(r.rc, 2, r.err)
        self.assertTrue(os.path.exists(fifo) and not os.path.isfile(fifo))
        self.assertEqual(rbltest.json_doc(got[0], "check")["results"][0]["target"], "10.1.2.3")
        # no reader: an error that says so, not a wait
        r = self.w.run(["check", "--no-state", "-o", fifo], now=T0)
        self.assertEqual(r.rc, 3)
        self.assertIn("a FIFO that no process reads", r.err)

    def test_unknown_feed_list_is_an_error_at_its_place(self):
        self.w.write_config("lists:\n  feeds:\n    nosuch: {path: x.txt}\n")
        r = self.w.run(["config", "check"])
        self.assertEqual(r.rc, 3)
        self.assertIn("rblmon.yaml:3:5: error: lists.feeds: no DNSBL named 'nosuch'", r.err)
        self.w.write_config("lists:\n  feeds:\n    spamhaus-zen: {path: x.txt, fromat: plain}\n")
        r = self.w.run(["config", "check"])
        self.assertIn("unknown key 'fromat'", r.err)

    def test_run_checks_the_feeds_when_a_file_changes_or_goes_stale(self):
        self.write("zen.txt", ZEN, T0 - 1800)
        self.w.write_config(config(feed="{path: zen.txt, max_age: 1h}",
                                   ips="[10.1.2.0/24]")
                            + "schedule: {dnsbl: off, jitter: 0s}\n")
        r = self.w.run(["run"], env={"RBLMON_RUN_SIMULATE": "7200"}, now=T0)
        self.assertEqual(r.rc, 0, r.err)
        # checked at the start, and again when the file went stale at
        # T0 + 30m; not in the other minutes
        self.assertEqual(r.err.count("cycle started"), 2, r.err[-3000:])
        self.assertGreater(r.err.count("feeds: no file changed"), 100)
        import sqlite3
        c = sqlite3.connect(self.w.db)
        hist = c.execute("SELECT health FROM health_history WHERE source = 'myzen' "
                         "ORDER BY at").fetchall()
        c.close()
        self.assertEqual(hist, [("stale",)])


if __name__ == "__main__":
    rbltest.main()
