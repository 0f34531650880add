"""Correlation and delisting reminders (issue 6): scenarios on a real state
database across simulated days (RBLMON_NOW, no sleeps), with real rbldnsd
servers and a mail log: new, repeat, ack, snooze, expiry, clear, relist,
evidence, urgency, blocks no listing explains, French texts."""
import os

import rbltest
from rbltest import Rbldnsd, Workdir, custom_list

T0 = 1767607200  # 2026-01-05T10:00:00Z
H, D = 3600, 86400

LISTED = {"bl.test": ("ip4set", ":127.0.0.2:spam from $\n127.0.0.2\n192.0.2.1\n"),
          "exp.test": ("ip4set", ":127.0.0.2:trap hit\n127.0.0.2\n192.0.2.1\n"),
          "zenlike.test": ("ip4set", "127.0.0.2 :127.0.0.2:test\n"
                           "192.0.2.1 :127.0.0.10:policy range\n"
                           "192.0.2.2 :127.0.0.4:exploited\n")}
CLEAN = {"bl.test": ("ip4set", ":127.0.0.2:x\n127.0.0.2\n"),
         "exp.test": ("ip4set", ":127.0.0.2:x\n127.0.0.2\n")}
BL = custom_list("bl", "bl.test", "ip4", {"127.0.0.2": ("spam source", "critical")},
                 extra=', title: "Test BL", delist: {url: "https://bl.test/remove", '
                       'procedure: self-service, fix_first: "stop the spam"}')
EXP = custom_list("exp", "exp.test", "ip4", {"127.0.0.2": ("trap hit", "warning")},
                  extra=', delist: {url: "https://exp.test/", procedure: auto-expire, '
                        'expires: 2d}')
# A ZEN-like custom list: each code says who can fix it and how (issue 19).
ZENLIKE = ('    - {name: zenlike, zone: zenlike.test, type: ip4, scope: address, codes: {'
           '"127.0.0.4": {meaning: "XBL: exploited host", severity: critical, '
           'fix: "XBL: clean the infected host"}, '
           '"127.0.0.10": {meaning: "PBL: end-user range", severity: warning, scope: policy, '
           'fix: "PBL: send through your provider\'s smarthost or ask the range owner"}}, '
           'delist: {url: "https://zenlike.test/", fix_first: "one text for the whole list"}}\n')

LOG = (
    "Jan  5 09:00:00 mx1 postfix/smtp[1]: A1: to=<u@example.com>, relay=mx.example.com"
    "[198.51.100.25]:25, dsn=5.7.1, status=bounced (host mx.example.com[198.51.100.25] "
    "said: 554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using bl.test "
    "(in reply to RCPT TO command))\n"
    "Jan  5 10:30:00 mx1 postfix/smtp[1]: A2: to=<v@gmail.com>, relay=gmail-smtp-in.l."
    "google.com[142.250.1.27]:25, dsn=5.7.1, status=bounced (host gmail-smtp-in.l.google."
    "com[142.250.1.27] said: 554 5.7.1 Client host [192.0.2.1] blocked using bl.test "
    "(in reply to RCPT TO command))\n"
    "Jan  5 10:40:00 mx1 postfix/smtp[1]: A3: to=<w@example.org>, relay=mx.example.org"
    "[198.51.100.26]:25, dsn=5.7.1, status=bounced (host mx.example.org[198.51.100.26] "
    "said: 554 5.7.1 Client host [192.0.2.1] blocked using zen.spamhaus.org (in reply "
    "to RCPT TO command))\n"
    "Jan  5 10:50:00 mx1 postfix/smtp[1]: A4: to=<x@hotmail.com>, relay=hotmail-com.olc."
    "protection.outlook.com[52.101.1.1]:25, dsn=5.7.1, status=bounced (host hotmail-com."
    "olc.protection.outlook.com[52.101.1.1] said: 550 5.7.1 Unfortunately, messages from "
    "[192.0.2.1] weren't sent. Please contact your Internet service provider since part "
    "of their network is on our block list (S3150). (in reply to MAIL FROM command))\n")


class RemindTest(rbltest.unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.listed = Rbldnsd(LISTED).__enter__()
        cls.clean = Rbldnsd(CLEAN).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.listed.__exit__(None, None, None)
        cls.clean.__exit__(None, None, None)

    def setUp(self):
        self.w = Workdir()
        log = os.path.join(self.w.dir, "mail.log")
        with open(log, "w") as f:
            f.write(LOG)
        os.utime(log, (T0 + H, T0 + H))  # BSD times take the file's year

    def tearDown(self):
        self.w.cleanup()

    def config(self, server, lists=(BL,)):
        self.w.write_config(
            "watchlists:\n  - name: out\n    ips: [192.0.2.1]\n"
            "lists:\n  use: []\n  custom:\n%s"
            "resolver:\n  servers: [%s]\n  timeout: 500ms\n"
            "logs:\n  files: [mail.log]\n"
            "remind: {every: 24h, after_request: 72h, window: 24h}\n"
            % ("".join(lists), server.server))

    def run_(self, args, now, **kw):
        r = self.w.run(args, now=now, env={"TZ": "UTC", **kw.pop("env", {})}, **kw)
        self.assertNotIn("AddressSanitizer", r.err)
        return r

    def remind(self, now, **kw):
        return self.run_(["remind", "--format", "json"], now, **kw)

    def test_lifecycle(self):
        self.config(self.listed)
        self.assertEqual(self.run_(["check", "--changes-only"], T0).rc, 2)
        self.run_(["scan-logs"], T0 + H)
        r = self.remind(T0 + H)
        self.assertEqual(r.rc, 2)  # critical, with rejections in 24 h: urgent
        rem = r.json()["reminders"]
        self.assertEqual(len(rem), 1)
        one = rem[0]
        self.assertEqual((one["target"], one["source"], one["state"], one["urgent"],
                          one["relisting"], one["message"]),
                         ("192.0.2.1", "bl", "open", True, False, "listed"))
        self.assertEqual(one["evidence"], {"rejections_24h": 2, "rejections_7d": 2,
                                           "rejections": 2, "receivers": ["gmail.com"],
                                           "servers": [{"host": "mx1", "rejections": 2}]})
        # the same types as in check, status and history
        self.assertEqual(one["delist"], {"url": "https://bl.test/remove",
                                         "procedure": "self-service",
                                         "expires_seconds": None,
                                         "fix_first": "stop the spam"})
        self.assertEqual((one["codes"], one["watchlist"]), (["127.0.0.2"], "out"))
        self.assertEqual(one["fix_first"], "stop the spam")
        rid = one["id"]
        t = self.run_(["remind"], T0 + H + 60)
        self.assertEqual((t.out, t.rc), ("", 0))  # sent: not due again yet
        # a day later: again, no longer urgent (no rejection in 24 h)
        r = self.remind(T0 + 2 * H + D)
        self.assertEqual(r.rc, 1)
        self.assertFalse(r.json()["reminders"][0]["urgent"])
        # removal requested: quiet for 72 h, then says so
        a = self.run_(["ack", str(rid), "--note", "ticket 42"], T0 + 3 * H + D)
        self.assertEqual(a.rc, 0)
        self.assertIn("next reminder 2026-01-09T13:00:00Z", a.out)
        self.assertEqual(self.run_(["remind"], T0 + 4 * H + D).out, "")
        t = self.run_(["remind"], T0 + 3 * H + 4 * D)
        self.assertIn("Removal was requested 3d 0h ago: ticket 42 and the listing is "
                      "still there.", t.out)
        # snooze
        s = self.run_(["snooze", str(rid), "2d"], T0 + 3 * H + 4 * D + 60)
        self.assertIn("snoozed until 2026-01-11T13:01:00Z", s.out)
        self.assertEqual(self.run_(["remind"], T0 + 5 * D).out, "")
        # status shows the evidence and the reminder
        st = self.run_(["status", "--format", "json"], T0 + 5 * D).json()
        listing = st["listings"][0]
        self.assertEqual(listing["reminder"]["id"], rid)
        self.assertEqual(listing["reminder"]["state"], "requested")
        self.assertEqual(listing["evidence"]["rejections"], 2)
        self.assertEqual(sorted(listing["evidence"]["receivers"]), ["gmail.com"])
        # cleared: one closing message, then nothing
        self.config(self.clean)
        c = self.run_(["check", "--changes-only"], T0 + 6 * D)
        self.assertIn("DELISTED", c.out)
        t = self.run_(["remind"], T0 + 6 * D + 60)
        self.assertIn("DELISTED: 192.0.2.1 is no longer listed on bl, after 6 days", t.out)
        self.assertIn("2 rejections were seen", t.out)
        self.assertEqual(self.run_(["remind"], T0 + 6 * D + 120).out, "")
        self.assertEqual(self.run_(["ack", str(rid)], T0 + 6 * D + 130).rc, 3)
        # relisted: a new reminder that says so
        self.config(self.listed)
        self.run_(["check"], T0 + 7 * D)
        r = self.remind(T0 + 7 * D + 60).json()["reminders"]
        self.assertEqual((len(r), r[0]["relisting"], r[0]["message"]), (1, True, "relisted"))
        self.assertNotEqual(r[0]["id"], rid)
        t = self.run_(["remind"], T0 + 8 * D + H)
        self.assertIn("is listed AGAIN on bl", t.out)

    def test_auto_expiring_list_reminds_only_after_expiry(self):
        self.config(self.listed, (EXP,))
        self.run_(["check"], T0)
        t = self.run_(["remind"], T0 + 60)
        self.assertIn("expected off the list by 2026-01-07T10:00:00Z", t.out)
        self.assertEqual(self.run_(["remind"], T0 + D).out, "")
        t = self.run_(["remind"], T0 + 2 * D + 60)
        self.assertIn("192.0.2.1 is listed on exp", t.out)
        self.assertIn("rblmon ack ID", t.out)

    def test_unexplained_blocks(self):
        self.config(self.listed)
        self.run_(["check"], T0)
        self.run_(["scan-logs"], T0 + H)
        st = self.run_(["status", "--format", "json"], T0 + 2 * H).json()
        found = {(u["kind"], u["what"]): u for u in st["unexplained"]}
        self.assertIn(("unmonitored-list", "spamhaus-zen"), found)
        self.assertIn("add spamhaus-zen to lists.use", found[("unmonitored-list", "spamhaus-zen")]["advice"])
        block = [u for u in st["unexplained"] if u["kind"] == "receiver-block"]
        self.assertEqual(len(block), 1)
        self.assertIn("S3150", block[0]["what"])
        self.assertIn("SNDS", block[0]["advice"])
        self.assertNotIn("bl", [u["what"] for u in st["unexplained"]])  # explained
        t = self.run_(["status"], T0 + 2 * H)
        self.assertIn("Blocks no listing explains", t.out)
        self.assertIn("reminder 1: open", t.out)

    def test_reminder_names_the_fix_for_the_code(self):
        self.config(self.listed, (ZENLIKE,))
        self.w.write_config(open(self.w.config_path).read().replace(
            "ips: [192.0.2.1]", "ips: [192.0.2.1, 192.0.2.2]"))
        self.assertEqual(self.run_(["check", "--changes-only"], T0).rc, 2)
        t = self.run_(["remind"], T0 + 60).out
        pbl = t.split("192.0.2.1 is listed")[1].split("[reminder")[0]
        xbl = t.split("192.0.2.2 is listed")[1].split("[reminder")[0]
        self.assertIn("  Who can fix: the range owner (a policy listing", pbl)
        self.assertIn("[policy]", pbl)
        self.assertIn("  Fix first: PBL: send through your provider's smarthost or ask "
                      "the range owner\n", pbl)
        self.assertIn("  Who can fix: whoever runs this address", xbl)
        self.assertIn("  Fix first: XBL: clean the infected host\n", xbl)
        self.assertNotIn("one text for the whole list", t)
        rem = {r["target"]: r for r in
               self.remind(T0 + D + 120).json()["reminders"]}
        self.assertEqual((rem["192.0.2.1"]["scope"], rem["192.0.2.1"]["fix"]),
                         ("policy", "PBL: send through your provider's smarthost or ask "
                                    "the range owner"))
        self.assertEqual(rem["192.0.2.1"]["fixes"],
                         [{"code": "127.0.0.10", "scope": "policy",
                           "fix": rem["192.0.2.1"]["fix"]}])
        self.assertEqual((rem["192.0.2.2"]["scope"], rem["192.0.2.2"]["fix"]),
                         ("address", "XBL: clean the infected host"))
        c = self.run_(["check", "--format", "json"], T0 + D + 180).json()
        self.assertEqual({r["target"]: r["scope"] for r in c["results"]},
                         {"192.0.2.1": "policy", "192.0.2.2": "address"})

    def test_french(self):
        self.config(self.listed)
        self.run_(["check"], T0)
        t = self.run_(["remind"], T0 + 60, env={"LANGUAGE": "fr", "LC_ALL": "C.UTF-8"})
        self.assertIn("192.0.2.1 est listé sur bl (Test BL) depuis le 2026-01-05T10:00:00Z",
                      t.out)
        self.assertIn("Puis demandez le retrait : https://bl.test/remove", t.out)
        j = self.run_(["remind", "--format", "json"], T0 + D + 60,
                      env={"LANGUAGE": "fr", "LC_ALL": "C.UTF-8"})
        self.assertEqual(j.json()["reminders"][0]["message"], "listed")  # machines: English


if __name__ == "__main__":
    rbltest.main()
