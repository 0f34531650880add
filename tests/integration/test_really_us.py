"""Is it really us (issue 19): a rejection citing a list that a healthy
check found us clean on, or one whose receiver says its own query of the
list failed (open resolver, Spamhaus returnc/pub), is the receiver's
problem: a finding with its postmaster under status's receiver_problems,
never a listing's evidence, never a reminder, never the exit status.  Real
rbldnsd on 127.0.0.1, a real mail log, simulated days (RBLMON_NOW)."""
import os
import sqlite3

import rbltest
from rbltest import CATALOG, Rbldnsd, Workdir, custom_list

T0 = 1767607200  # 2026-01-05T10:00:00Z
H, D = 3600, 86400

# 127.0.0.2 is the RFC 5782 test point: listed, so the list's health is ok
CLEAN = {"bl.test": ("ip4set", ":127.0.0.2:spam\n127.0.0.2\n")}
LISTED = {"bl.test": ("ip4set", ":127.0.0.2:spam\n127.0.0.2\n192.0.2.1\n")}
DEAD = {"bl.test": ("ip4set", ":127.0.0.2:spam\n192.0.2.77\n")}  # no test point
BL = custom_list("bl", "bl.test", "ip4", {"127.0.0.2": ("spam source", "critical")})
BL_UNPROBED = custom_list("bl", "bl.test", "ip4",
                          {"127.0.0.2": ("spam source", "critical")}, extra=", test: false")

PAGE = "https://postmaster.example.net/"
# The shipped rules, with a receiver that has a postmaster page.
RECEIVER = '  - {suffix: example.net, name: example-receiver, postmaster: "%s"}\n' % PAGE


def rules_file(path):
    with open(os.path.join(CATALOG, "rules", "rejections.yaml")) as f:
        text = f.read()
    text = text.replace("\nreceivers:\n", "\nreceivers:\n" + RECEIVER, 1)
    with open(path, "w") as f:
        f.write(text)


def bounce(when, qid, rcpt, host, reply):
    """A Postfix bounce line (BSD time: the year is the file's)."""
    return ("%s mx1 postfix/smtp[1]: %s: to=<%s>, relay=%s[198.51.100.25]:25, "
            "dsn=5.7.1, status=bounced (host %s[198.51.100.25] said: %s (in reply "
            "to RCPT TO command))\n" % (when, qid, rcpt, host, host, reply))


CITES_BL = "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using bl.test"
OPEN_RESOLVER = ("554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using "
                 "%s; Error: open resolver; https://www.spamhaus.org/returnc/pub/"
                 "198.51.100.53")


class ReallyUsTest(rbltest.unittest.TestCase):
    def setUp(self):
        self.w = Workdir()
        rules_file(os.path.join(self.w.dir, "rules.yaml"))

    def tearDown(self):
        self.w.cleanup()

    def config(self, server, extra="", lst=BL):
        self.w.write_config(
            "watchlists:\n  - name: out\n    ips: [192.0.2.1]\n"
            "lists:\n  use: []\n  custom:\n%s"
            "resolver:\n  servers: [%s]\n  timeout: 500ms\n"
            "logs:\n  files: [mail.log]\n  rules: rules.yaml\n"
            "remind: {every: 24h, after_request: 72h, window: 24h}\n%s"
            % (lst, server.server, extra))

    def log(self, *lines, mtime=T0 + H):
        path = os.path.join(self.w.dir, "mail.log")
        with open(path, "w") as f:
            f.write("".join(lines))
        os.utime(path, (mtime, mtime))

    def run_(self, args, now, **kw):
        r = self.w.run(args, now=now, env={"TZ": "UTC"}, **kw)
        self.assertNotIn("AddressSanitizer", r.err)
        return r

    def status(self, now):
        r = self.run_(["status", "--format", "json"], now)
        return r.rc, r.json()

    def reminders(self):
        db = sqlite3.connect(self.w.db)
        try:
            return db.execute("SELECT count(*) FROM reminders").fetchone()[0]
        finally:
            db.close()

    def test_clean_list_cited_is_the_receivers_problem(self):
        self.log(
            bounce("Jan  5 10:30:00", "A1", "u@example.net", "mx.example.net", CITES_BL),
            # names no address: every target checked on bl was clean
            bounce("Jan  5 10:40:00", "A2", "v@example.net", "mx.example.net",
                   "550 5.7.1 Rejected: listed at bl.test"),
            # names an address that is not ours: no check of it to cite
            bounce("Jan  5 10:50:00", "A3", "w@example.org", "mx.example.org",
                   "554 5.7.1 Client host [192.0.2.99] blocked using bl.test"))
        with Rbldnsd(CLEAN) as dns:
            self.config(dns)
            self.assertEqual(self.run_(["check"], T0).rc, 0)
        self.run_(["scan-logs"], T0 + H)
        rc, st = self.status(T0 + 2 * H)
        self.assertEqual(rc, 0)  # the receiver's problem: not ours to alarm on
        self.assertEqual(st["listings"], [])
        self.assertEqual([(u["kind"], u["what"], u["count"]) for u in st["unexplained"]],
                         [("not-seen-listed", "bl", 1)])
        [p] = st["receiver_problems"]
        self.assertEqual(
            {k: p[k] for k in ("kind", "what", "receiver", "contact", "checked", "count",
                               "first", "last")},
            {"kind": "not-listed", "what": "bl", "receiver": "example-receiver",
             "contact": PAGE, "checked": "2026-01-05T10:00:00Z", "count": 2,
             "first": "2026-01-05T10:30:00Z", "last": "2026-01-05T10:40:00Z"})
        self.assertIn("rejected citing bl, but bl does not list us", p["advice"])
        self.assertIn("(%s)" % PAGE, p["advice"])
        r = self.run_(["remind", "--format", "json"], T0 + 2 * H)
        self.assertEqual((r.rc, r.json()["reminders"]), (0, []))
        self.assertEqual(self.reminders(), 0)
        t = self.run_(["status"], T0 + 2 * H)
        self.assertIn("The receivers' problems, not ours", t.out)
        self.assertIn("  not-listed         bl", t.out)
        self.assertIn("    receiver: example-receiver; clean on bl at "
                      "2026-01-05T10:00:00Z (list healthy)\n", t.out)

    def test_check_outside_the_window_is_no_evidence(self):
        # the only check is 3 days after the rejection (window 24h)
        self.log(bounce("Jan  5 10:30:00", "A1", "u@example.net", "mx.example.net",
                        CITES_BL))
        with Rbldnsd(CLEAN) as dns:
            self.config(dns)
            self.assertEqual(self.run_(["check"], T0 + 3 * D).rc, 0)
        self.run_(["scan-logs"], T0 + 3 * D + H)
        rc, st = self.status(T0 + 3 * D + 2 * H)
        self.assertEqual([(u["kind"], u["what"]) for u in st["unexplained"]],
                         [("not-seen-listed", "bl")])
        self.assertEqual(st["receiver_problems"], [])

    def test_unhealthy_list_is_no_evidence(self):
        # a list that does not list its test point (dead: its results are
        # errors), and one without test points (clean answers, health
        # unknown): neither says it does not list us
        for zones, lst, health, result in (
                (DEAD, BL, "dead", "error"),
                (CLEAN, BL_UNPROBED, "unknown", "clean")):
            with self.subTest(health=health):
                self.w.cleanup()
                self.setUp()
                self.log(bounce("Jan  5 10:30:00", "A1", "u@example.net",
                                "mx.example.net", CITES_BL))
                with Rbldnsd(zones) as dns:
                    self.config(dns, lst=lst)
                    self.run_(["check"], T0)
                self.run_(["scan-logs"], T0 + H)
                rc, st = self.status(T0 + 2 * H)
                db = sqlite3.connect(self.w.db)
                self.assertEqual(db.execute("SELECT status FROM last_check").fetchall(),
                                 [(result,)])
                db.close()
                self.assertEqual([(l["name"], l["health"]) for l in st["lists"]],
                                 [("bl", health)])
                self.assertEqual([(u["kind"], u["what"]) for u in st["unexplained"]],
                                 [("not-seen-listed", "bl")])
                self.assertEqual(st["receiver_problems"], [])

    def test_run_cycles_then_status(self):
        # rblmon run: partial cycles, the log scan and the reminders on
        # schedule; the rejection came 30 minutes before the first check
        self.log(bounce("Jan  5 09:30:00", "A1", "u@example.net", "mx.example.net",
                        CITES_BL), mtime=T0)
        with Rbldnsd(CLEAN) as dns:
            self.config(dns, "schedule:\n  dnsbl: 10m\n  logs: 5m\n  reminders: 10m\n"
                             "  jitter: 0s\n")
            r = self.w.run(["run"], env={"RBLMON_RUN_SIMULATE": "1800", "TZ": "UTC"},
                           now=T0)
            self.assertEqual(r.rc, 0, r.err)
        rc, st = self.status(T0 + 1800)
        self.assertEqual(rc, 0)
        [p] = st["receiver_problems"]
        self.assertEqual((p["kind"], p["what"], p["count"]), ("not-listed", "bl", 1))
        self.assertIsNotNone(p["checked"])
        self.assertEqual(st["unexplained"], [])
        self.assertEqual(self.reminders(), 0)

    def test_open_resolver_is_the_receivers_problem(self):
        self.log(
            bounce("Jan  5 10:30:00", "A1", "u@example.net", "mx.example.net",
                   OPEN_RESOLVER % "bl.test"),
            # an MX the rules do not know: the recipient's domain's postmaster
            bounce("Jan  5 10:40:00", "A2", "v@other.example", "mx.other.example",
                   OPEN_RESOLVER % "zen.spamhaus.org"),
            # the recipient's side, naming a list: nothing anywhere
            bounce("Jan  5 10:50:00", "A3", "w@example.net", "mx.example.net",
                   "550 5.1.1 User unknown; Client host [192.0.2.1] blocked using "
                   "bl.test"))
        with Rbldnsd(CLEAN) as dns:
            self.config(dns)
            self.run_(["check"], T0)
        s = self.run_(["scan-logs", "--format", "json"], T0 + H).json()
        self.assertEqual([x["cause"] for x in s["rejections"]],
                         ["receiver-error", "receiver-error", "recipient"])
        rc, st = self.status(T0 + 2 * H)
        self.assertEqual(rc, 0)
        self.assertEqual(st["unexplained"], [])  # not even spamhaus-zen unmonitored
        got = [(p["kind"], p["what"], p["receiver"], p["contact"], p["checked"],
                p["count"]) for p in st["receiver_problems"]]
        self.assertEqual(got, [
            ("receiver-error", "bl.test", "example-receiver", PAGE, None, 1),
            ("receiver-error", "zen.spamhaus.org", "other.example",
             "postmaster@other.example", None, 1)])
        self.assertEqual(
            st["receiver_problems"][0]["advice"],
            "example-receiver rejects every sender citing bl.test: its resolver's "
            "queries are refused by the list (open resolver / query error): report "
            "it to the receiver's postmaster (%s)" % PAGE)
        r = self.run_(["remind", "--format", "json"], T0 + 2 * H)
        self.assertEqual((r.rc, r.json()["reminders"]), (0, []))
        self.assertEqual(self.reminders(), 0)

    def test_not_ours_is_never_a_listings_evidence(self):
        # listed on bl, and rejections citing bl that say nothing of us: an
        # open resolver's and a recipient's; the listing's evidence is none
        self.log(
            bounce("Jan  5 10:30:00", "A1", "u@example.net", "mx.example.net",
                   OPEN_RESOLVER % "bl.test"),
            bounce("Jan  5 10:50:00", "A3", "w@example.net", "mx.example.net",
                   "550 5.1.1 User unknown; Client host [192.0.2.1] blocked using "
                   "bl.test"))
        with Rbldnsd(LISTED) as dns:
            self.config(dns)
            self.assertEqual(self.run_(["check"], T0).rc, 2)
        self.run_(["scan-logs"], T0 + H)
        rc, st = self.status(T0 + 2 * H)
        self.assertEqual(rc, 2)  # the listing's, as before
        [l] = st["listings"]
        self.assertEqual(l["evidence"], {"rejections_24h": 0, "rejections_7d": 0,
                                         "rejections": 0, "receivers": [],
                                         "servers": []})
        self.assertFalse(l["urgent"])
        self.assertEqual([p["kind"] for p in st["receiver_problems"]], ["receiver-error"])
        r = self.run_(["remind", "--format", "json"], T0 + 2 * H).json()["reminders"]
        self.assertEqual([(x["source"], x["urgent"], x["evidence"]["rejections"])
                          for x in r], [("bl", False, 0)])

    def test_receiver_requirement_is_a_finding(self):
        """A reply naming a receiver's sender requirement (Gmail 4.7.27:
        SPF did not pass) becomes a finding with the requirement's title
        and page: ours to fix, with no listing behind it."""
        self.log(bounce("Jan  5 10:30:00", "B1", "u@gmail.com", "gmail-smtp-in.l.google.com",
                        "421-4.7.27 Your email has been rate limited because SPF "
                        "authentication didn't pass for this message. x1si2 - gsmtp"))
        with Rbldnsd(CLEAN) as dns:
            self.config(dns)
            self.run_(["scan-logs"], T0 + H)
            rc, st = self.status(T0 + 2 * H)
        req = [u for u in st["unexplained"] if u["kind"] == "requirement"]
        self.assertEqual([(u["what"], u["count"]) for u in req], [("gmail-spf", 1)])
        self.assertIn("Gmail: the message must pass SPF", req[0]["advice"])
        self.assertIn("https://support.google.com/", req[0]["advice"])
        self.assertEqual(self.reminders(), 0)

    def test_evidence_grouped_by_mail_server(self):
        """Several MTAs logging to one host: a listing's evidence counts
        the rejections by the syslog host that logged them."""
        self.log(
            bounce("Jan  5 10:30:00", "C1", "u@example.net", "mx.example.net", CITES_BL),
            bounce("Jan  5 10:31:00", "C2", "v@example.net", "mx.example.net",
                   CITES_BL).replace(" mx1 ", " mx2 "),
            bounce("Jan  5 10:32:00", "C3", "w@example.net", "mx.example.net",
                   CITES_BL).replace(" mx1 ", " mx2 "))
        with Rbldnsd(LISTED) as dns:
            self.config(dns)
            self.run_(["check"], T0)
            self.run_(["scan-logs"], T0 + H)
            rc, st = self.status(T0 + 2 * H)
        [l] = st["listings"]
        self.assertEqual(l["evidence"]["servers"],
                         [{"host": "mx1", "rejections": 1}, {"host": "mx2", "rejections": 2}])
        t = self.run_(["status"], T0 + 2 * H)
        self.assertIn("from mx1 1, mx2 2", t.out)

    def test_many_receivers_problems_do_not_hide_ours(self):
        """Open-resolver bounces from 40 receivers cannot crowd out our own
        findings: each side has its room, and what does not fit is counted
        in a last finding "more"."""
        lines = [bounce("Jan  5 10:%02d:00" % (i % 60), "R%d" % i, "u@d%d.example" % i,
                        "mx.d%d.example" % i, OPEN_RESOLVER % "bl.test")
                 for i in range(40)]
        lines.append(bounce("Jan  5 11:00:00", "G1", "u@gmail.com",
                            "gmail-smtp-in.l.google.com",
                            "421-4.7.27 Your email has been rate limited because SPF "
                            "authentication didn't pass for this message. x1si2 - gsmtp"))
        self.log(*lines)
        with Rbldnsd(CLEAN) as dns:
            self.config(dns)
            self.run_(["scan-logs"], T0 + H)
            rc, st = self.status(T0 + 2 * H)
        self.assertEqual(len(st["receiver_problems"]), 24)
        kinds = [u["kind"] for u in st["unexplained"]]
        self.assertIn("requirement", kinds)
        [more] = [u for u in st["unexplained"] if u["kind"] == "more"]
        self.assertEqual(more["count"], 16)
        self.assertIn("16 more rejections", more["advice"])

if __name__ == "__main__":
    rbltest.main()
