"""The JSON schemas (docs/schema/, issue 21): one real output of every
kind validates against its schema (check, check --changes-only with and
without changes, status, history, remind, lists, scan-logs, spf and the
command hook's events), the fields that once drifted have one type
everywhere, and an output that drifts from its schema fails the check.
Real rbldnsd and DNS servers on 127.0.0.1; time set by RBLMON_NOW."""
import copy
import os
import unittest

import rbltest
from rbltest import Rbldnsd, Workdir, custom_list
from zonedns import ZoneDNS

T0 = 1767607200  # 2026-01-05T10:00:00Z
H = 3600

LISTED = {"bl.test": ("ip4set", ":127.0.0.2:spam from $\n127.0.0.2\n192.0.2.1\n"
                      "192.0.2.2\n192.0.2.128/25\n")}
CLEAN = {"bl.test": ("ip4set", ":127.0.0.2:x\n127.0.0.2\n")}
BL = custom_list("bl", "bl.test", "ip4", {"127.0.0.2": ("spam source", "critical")},
                 extra=', title: "Test BL", delist: {url: "https://bl.test/remove", '
                       'procedure: self-service, fix_first: "stop the spam"}')
LOG = ("Jan  5 10:30:00 mx1 postfix/smtp[1]: A2: to=<v@gmail.com>, relay=gmail-smtp-in.l."
       "google.com[142.250.1.27]:25, dsn=5.7.1, status=bounced (host gmail-smtp-in.l.google."
       "com[142.250.1.27] said: 554 5.7.1 Client host [192.0.2.1] blocked using bl.test "
       "(in reply to RCPT TO command))\n")
SPF_ZONE = {"ok.test": [("TXT", "v=spf1 ip4:192.0.2.0/28 -all exp=why.ok.test")],
            "why.ok.test": [("TXT", "%{i} may not send for %{d}")]}
DELIST = {"url": "https://bl.test/remove", "procedure": "self-service",
          "expires_seconds": None, "fix_first": "stop the spam"}
KINDS = {"check", "check-changes", "status", "history", "remind", "lists", "scan-logs",
         "spf", "hook-event"}


class SchemaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.listed = Rbldnsd(LISTED).__enter__()
        cls.clean = Rbldnsd(CLEAN).__enter__()
        cls.spfdns = ZoneDNS(SPF_ZONE).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.spfdns.__exit__(None, None, None)
        cls.clean.__exit__(None, None, None)
        cls.listed.__exit__(None, None, None)

    def setUp(self):
        self.w = Workdir()
        self.log = os.path.join(self.w.dir, "mail.log")
        with open(self.log, "w") as f:
            f.write(LOG)
        os.utime(self.log, (T0 + H, T0 + H))
        self.hook = os.path.join(self.w.dir, "hook.sh")
        with open(self.hook, "w") as f:
            f.write('#!/bin/sh\ncat > "$0.stdin"\nenv > "$0.env"\n')
        os.chmod(self.hook, 0o755)

    def tearDown(self):
        self.w.cleanup()

    def config(self, server, ips="192.0.2.1, 192.0.2.2, 192.0.2.3"):
        self.w.write_config(
            "watchlists:\n  - name: out\n    ips: [%s]\n"
            "lists:\n  use: []\n  custom:\n%sresolver:\n  servers: [%s]\n"
            "  timeout: 500ms\nlogs:\n  files: [%s]\nnotify:\n  spike: 1\n"
            "  command: {argv: [%s]}\n"
            % (ips, BL, server, self.log, self.hook))

    def run_(self, args, now):
        r = self.w.run(args, now=now)
        self.assertNotIn("AddressSanitizer", r.err)
        return r

    def hook_input(self):
        """What the hook last read, validated, and its environment."""
        with open(self.hook + ".stdin") as f:
            doc = rbltest.json_doc(f.read())
        with open(self.hook + ".env") as f:
            env = dict(l.split("=", 1) for l in f.read().splitlines() if "=" in l)
        os.remove(self.hook + ".stdin")
        return doc, env

    def test_one_output_of_each_kind_validates(self):
        before = sum(rbltest.VALIDATED.values())
        seen = set()

        def kind(doc):
            seen.add(rbltest.schema_kind(doc))
            self.assertEqual(doc["schema_version"], 1)
            return doc

        self.config(self.listed.server)
        r = self.run_(["check", "--format", "json"], T0)
        self.assertEqual(r.rc, 2, r.err)
        check = kind(r.json())
        res = rbltest.by_key(check["results"])
        one = res[("192.0.2.1", "bl")]
        self.assertEqual((one["watchlist"], one["codes"], one["delist"]),
                         ("out", ["127.0.0.2"], DELIST))
        self.assertEqual(res[("192.0.2.3", "bl")]["delist"], None)
        self.assertEqual(sorted((c["change"], c["target"], c["watchlist"])
                                for c in check["changes"]),
                         [("listed", "192.0.2.1", "out"), ("listed", "192.0.2.2", "out")])
        # the hook: every event named in RBLMON_SUMMARY, not only the first
        hook, env = self.hook_input()
        kind(hook)
        self.assertEqual([(e["event"], e["watchlist"]) for e in hook["events"]],
                         [("listed", "out")] * 2)
        self.assertEqual(env["RBLMON_EVENTS"], "2")
        self.assertTrue(env["RBLMON_SUMMARY"].startswith("2 events: 2 listed: "),
                        env["RBLMON_SUMMARY"])
        for t in ("192.0.2.1", "192.0.2.2"):
            self.assertIn("%s listed on Test BL" % t, env["RBLMON_SUMMARY"])

        # cron's reader has not seen those changes yet: they come once
        r = self.run_(["check", "--changes-only", "--format", "json"], T0 + 30)
        self.assertEqual(len(kind(r.json())["changes"]), 2, r.out)
        # nothing changed since: still one document, with no changes
        r = self.run_(["check", "--changes-only", "--format", "json"], T0 + 60)
        self.assertEqual(r.rc, 2, r.err)
        self.assertTrue(r.out.strip(), "check --changes-only --format json printed nothing")
        empty = kind(r.json())
        self.assertEqual((empty["changes"], empty["status"], empty["exit"]),
                         ([], "CRITICAL", 2))

        # the views of the state: delist, codes and reasons as in check
        s = kind(self.run_(["scan-logs", "--format", "json"], T0 + H).json())
        self.assertEqual(s["summary"]["rejections"], 1)
        hook, env = self.hook_input()  # a spike (notify.spike: 1)
        self.assertEqual([(e["event"], e["target"], e["watchlist"], e["severity"])
                          for e in kind(hook)["events"]],
                         [("spike", None, None, "warning")])
        st = kind(self.run_(["status", "--format", "json"], T0 + H).json())
        lst = {x["target"]: x for x in st["listings"]}["192.0.2.1"]
        self.assertEqual((lst["delist"], lst["codes"], lst["reasons"], lst["watchlist"]),
                         (DELIST, ["127.0.0.2"], ["spam source"], "out"))
        hi = kind(self.run_(["history", "--format", "json"], T0 + H).json())
        self.assertEqual({e["delist"]["url"] for e in hi["episodes"]}, {DELIST["url"]})
        rm = kind(self.run_(["remind", "--format", "json"], T0 + H).json())
        self.assertEqual({(x["target"], x["watchlist"]) for x in rm["reminders"]},
                         {("192.0.2.1", "out"), ("192.0.2.2", "out")})
        for x in rm["reminders"]:
            self.assertEqual((x["delist"], x["codes"], x["reasons"]),
                             (DELIST, ["127.0.0.2"], ["spam source"]))
        hook, env = self.hook_input()
        kind(hook)
        self.assertEqual({e["event"] for e in hook["events"]}, {"reminder"})
        self.assertTrue(env["RBLMON_SUMMARY"].startswith("2 events: 2 reminder: "),
                        env["RBLMON_SUMMARY"])
        li = kind(self.run_(["lists", "--probe", "--format", "json"], T0 + H).json())
        self.assertEqual(li["lists"][0]["delist"], DELIST)
        self.assertEqual((li["status"], li["exit"]), ("OK", 0))

        # delisted: the changes and the hook's events
        self.config(self.clean.server)
        r = self.run_(["check", "--changes-only", "--format", "json"], T0 + 2 * H)
        ch = kind(r.json())
        self.assertEqual(sorted((c["change"], c["target"], c["watchlist"], c["severity"])
                                for c in ch["changes"]),
                         [("delisted", "192.0.2.1", "out", None),
                          ("delisted", "192.0.2.2", "out", None)])
        hook, env = self.hook_input()
        kind(hook)
        self.assertEqual([e["event"] for e in hook["events"]], ["delisted"] * 2)

        # a command-line target has no watchlist
        r = self.run_(["check", "--no-state", "--format", "json", "192.0.2.9"], T0 + 2 * H)
        self.assertEqual({x["watchlist"] for x in kind(r.json())["results"]}, {None})

        # rblmon notify --test
        self.assertEqual(self.run_(["notify", "--test"], T0 + 2 * H).rc, 0)
        hook, env = self.hook_input()
        self.assertEqual([e["event"] for e in kind(hook)["events"]], ["test"])

        # spf
        r = rbltest.run(["spf", "--format", "json", "198.51.100.1", "ok.test"],
                        config="resolver:\n  servers: [%s]\n  timeout: 200ms\n"
                               % self.spfdns.server)
        sp = kind(r.json())
        self.assertEqual((sp["result"], sp["explanation"]),
                         ("fail", "198.51.100.1 may not send for ok.test"))

        self.assertEqual(seen, KINDS)
        self.assertGreaterEqual(sum(rbltest.VALIDATED.values()) - before, len(KINDS))

    def test_hook_summary_of_many_events_is_cut_at_an_event(self):
        self.config(self.listed.server, "192.0.2.128/25")
        r = self.run_(["check", "--changes-only", "--format", "json"], T0)
        self.assertEqual(r.rc, 2, r.err)
        self.assertEqual(len(r.json()["changes"]), 128)
        hook, env = self.hook_input()
        self.assertEqual((len(hook["events"]), env["RBLMON_EVENTS"]), (128, "128"))
        summary = env["RBLMON_SUMMARY"]
        self.assertTrue(summary.startswith("128 events: 128 listed: 192.0.2.1"), summary[:80])
        self.assertTrue(summary.endswith(" on Test BL; ..."), summary[-80:])
        self.assertLessEqual(len(summary.encode()), 2048)
        self.assertGreater(len(summary.encode()), 1900)  # cut near the limit, not early

    def test_drift_fails(self):
        """Each kind of drift the schemas are there to catch."""
        self.config(self.listed.server)
        r = self.run_(["check", "--format", "json"], T0)
        good = r.json()
        drifts = [
            lambda d: d["results"][0].update(delist="https://bl.test/remove"),
            lambda d: d["results"][0].update(codes="127.0.0.2"),
            lambda d: d["results"][0].update(watchlist=7),
            lambda d: d["results"][0].update(surprise=True),
            lambda d: d["changes"][0].update(at=T0),
            lambda d: d["changes"][0].pop("severity"),
            lambda d: d.pop("schema_version"),
            lambda d: d.update(schema_version=2),
            lambda d: d["summary"].update(checks="3"),
        ]
        for i, drift in enumerate(drifts):
            bad = copy.deepcopy(good)
            drift(bad)
            with self.assertRaises(AssertionError, msg="drift %d passed" % i):
                rbltest.schema_check(bad, "check")
        with self.assertRaises(AssertionError):
            rbltest.json_doc('{"schema_version": 1}')  # no kind at all
        with self.assertRaises(AssertionError):
            rbltest.json_doc(r.out, "status")  # check's document from status


if __name__ == "__main__":
    rbltest.main()
