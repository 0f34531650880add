"""rblmon check against a real rbldnsd on 127.0.0.1 (issue 2): listings
with TXT, clean, several codes, error codes, good codes, wildcard, dead,
refusing and broken lists, IPv6, domains, CIDR watchlists, REFUSED, timeouts,
deadline, limits, keyed zones, escaping and exit codes."""
import json
import os
import shutil
import tempfile

import rbltest
from rbltest import Rbldnsd, SilentUDP, by_key, custom_list, run

ESC = "\x1b"

ZONES = {
    "bl.test": ("ip4set",
                ":127.0.0.2:Listed for spam, see https://bl.test/q?ip=$\n"
                "127.0.0.2\n"
                "192.0.2.1\n"
                "192.0.2.2 :127.0.0.3:Dynamic range $\n"
                "192.0.2.3 :127.0.0.2:several\n"
                "192.0.2.3 :127.0.0.4:several\n"
                "192.0.2.5 :127.255.255.252:typo\n"
                "192.0.2.6 :127.0.0.2:evil " + ESC + "[31mred" + ESC + "]0;title\x07 end\n"
                "192.0.2.7 :127.0.0.77:what is this\n"),
    "good.test": ("ip4set",
                  "127.0.0.2 :127.0.0.10:worst\n"
                  "192.0.2.1 :127.0.0.18:H2 good\n"
                  "192.0.2.2 :127.0.0.11:L4 poor\n"),
    "warn.test": ("ip4set", ":127.0.0.3:dynamic\n127.0.0.2\n192.0.2.2\n"),
    "wild.test": ("ip4set", "0.0.0.0/1 :127.0.0.2:all\n128.0.0.0/1 :127.0.0.2:all\n"),
    "dead.test": ("ip4set", "192.0.2.99 :127.0.0.2:x\n"),
    "refusing.test": ("ip4set", "127.0.0.0/24 :127.255.255.254:public resolver\n"),
    "broken.test": ("ip4set", "127.0.0.2 :146.112.61.108:parked\n"),
    "v6.test": ("ip6trie", ":127.0.0.2:v6 listed\n::ffff:7f00:2\n2001:db8::25\n"),
    "dom.test": ("dnset", ":127.0.1.2:bad domain\ntest\nspammer.example\n"),
    "sekrit42.keyed.test": ("ip4set", ":127.0.0.2:keyed listed\n127.0.0.2\n192.0.2.1\n"),
    "limited.test": ("ip4set", ":127.0.0.2:x\n127.0.0.2\n"),
    "empty.test": ("ip4set", "192.0.2.250 :127.0.0.2:x\n"),
}

CRIT = {"127.0.0.2": ("spam", "critical"), "127.0.0.3": ("dynamic range", "warning"),
        "127.0.0.4": ("other", "critical")}
ERRS = {"127.255.255.0/24": "the list refused the query"}
BL = custom_list("bl", "bl.test", "ip4", CRIT, ERRS,
                 ", delist: {url: \"https://bl.test/remove\", procedure: self-service, "
                 "fix_first: \"stop the spam\"}")
GOOD = custom_list("goodrep", "good.test", "ip4",
                   {"127.0.0.10": ("L5 worst", "critical"), "127.0.0.11": ("L4 poor", "warning"),
                    "127.0.0.16/29": ("H levels", "good")})
WILD = custom_list("wild", "wild.test", "ip4", {"127.0.0.2": ("x", "critical")})
DEAD = custom_list("dead", "dead.test", "ip4", {"127.0.0.2": ("x", "critical")})
REFUSING = custom_list("refusing", "refusing.test", "ip4", {"127.0.0.2": ("x", "critical")},
                       {"127.255.255.254": "query via a public resolver refused"})
BROKEN = custom_list("broken", "broken.test", "ip4", {"127.0.0.2": ("x", "critical")})
V6 = custom_list("v6", "v6.test", "ip6", {"127.0.0.2": ("v6 spam", "critical")})
DOM = custom_list("dom", "dom.test", "domain", {"127.0.1.2": ("bad domain", "critical")})
NOTSERVED = custom_list("notserved", "notserved.test", "ip4", {"127.0.0.2": ("x", "critical")})


def config(server, lists, targets="ips: [192.0.2.1]", resolver_extra=""):
    return ("watchlists:\n  - name: out\n    %s\n"
            "lists:\n  use: []\n  custom:\n%s"
            "resolver:\n  servers: [%s]\n  timeout: 500ms\n  tries: 2\n%s"
            % (targets, "".join(lists), server, resolver_extra))


class CheckTest(rbltest.ZonesTestCase):
    ZONES = ZONES

    def check(self, lists, targets, fmt="json", extra_args=(), **kw):
        r = run(["check", "--format", fmt] + list(extra_args),
                config(self.dns.server, lists, targets, **kw))
        self.assertNotIn("AddressSanitizer", r.err)
        return r

    def test_listed_clean_several_codes_txt(self):
        r = self.check([BL], "ips: [192.0.2.0/29]")
        self.assertEqual(r.rc, 2, r.err)
        res = by_key(r.json()["results"])
        one = res[("192.0.2.1", "bl")]
        self.assertEqual(one["status"], "listed")
        self.assertEqual(one["codes"], ["127.0.0.2"])
        self.assertEqual(one["reasons"], ["spam"])
        self.assertEqual(one["severity"], "critical")
        self.assertEqual(one["txt"], "Listed for spam, see https://bl.test/q?ip=192.0.2.1")
        self.assertEqual(one["delist"]["url"], "https://bl.test/remove")
        self.assertEqual(one["delist"]["fix_first"], "stop the spam")
        self.assertEqual(one["watchlist"], "out")
        two = res[("192.0.2.2", "bl")]
        self.assertEqual((two["status"], two["severity"]), ("listed", "warning"))
        self.assertEqual(two["txt"], "Dynamic range 192.0.2.2")
        three = res[("192.0.2.3", "bl")]
        self.assertEqual(sorted(three["codes"]), ["127.0.0.2", "127.0.0.4"])
        self.assertEqual(sorted(three["reasons"]), ["other", "spam"])
        clean = res[("192.0.2.4", "bl")]
        self.assertEqual(clean["status"], "clean")
        self.assertIsNone(clean["severity"])
        self.assertEqual(clean["codes"], [])
        self.assertEqual(len(res), 8)  # the /29, each address once

    def test_error_code_for_a_target_is_not_a_listing(self):
        r = self.check([BL], "ips: [192.0.2.5, 192.0.2.4]")
        res = by_key(r.json()["results"])
        e = res[("192.0.2.5", "bl")]
        self.assertEqual(e["status"], "error")
        self.assertIn("127.255.255.252", e["error"])
        self.assertIn("the list refused the query", e["error"])
        # one clean, one error: incomplete, so WARNING, never OK
        self.assertEqual(r.rc, 1)

    def test_unknown_code_is_a_warning_listing(self):
        r = self.check([BL], "ips: [192.0.2.7]")
        one = r.json()["results"][0]
        self.assertEqual((one["status"], one["severity"]), ("listed", "warning"))
        self.assertIn("unknown code", one["reasons"][0])
        self.assertEqual(r.rc, 1)

    def test_good_codes_are_good_standing_not_listings(self):
        r = self.check([GOOD], "ips: [192.0.2.1, 192.0.2.2, 192.0.2.9]")
        res = by_key(r.json()["results"])
        g = res[("192.0.2.1", "goodrep")]
        self.assertEqual((g["status"], g["severity"]), ("clean", "good"))
        self.assertEqual(g["codes"], ["127.0.0.18"])
        p = res[("192.0.2.2", "goodrep")]
        self.assertEqual((p["status"], p["severity"]), ("listed", "warning"))
        self.assertEqual(r.json()["summary"]["good"], 1)
        self.assertEqual(r.rc, 1)

    def health(self, report):
        return {l["name"]: l["health"] for l in report["lists"]}

    def test_unhealthy_lists_give_errors_never_clean(self):
        r = self.check([WILD, DEAD, REFUSING, BROKEN, NOTSERVED, BL],
                       "ips: [192.0.2.4, 198.51.100.1]")
        rep = r.json()
        self.assertEqual(self.health(rep), {
            "wild": "wildcard", "dead": "dead", "refusing": "refusing",
            "broken": "broken", "notserved": "unreachable", "bl": "ok"})
        for res in rep["results"]:
            if res["source"] == "bl":
                self.assertEqual(res["status"], "clean")
            else:
                self.assertEqual(res["status"], "error", res)
                self.assertTrue(res["error"])
        details = {l["name"]: l["detail"] for l in rep["lists"]}
        self.assertIn("127.0.0.1", details["wild"])
        self.assertIn("127.0.0.2", details["dead"])
        self.assertIn("public resolver", details["refusing"])
        self.assertIn("outside 127.0.0.0/8", details["broken"])
        self.assertIn("REFUSED", details["notserved"])
        # 2 clean of 12: incomplete -> WARNING
        self.assertEqual(r.rc, 1)

    def test_ipv6_and_domains_go_only_to_fitting_lists(self):
        r = self.check([BL, V6, DOM], "ips: [192.0.2.1, \"2001:db8::25\", \"2001:db8::26\"]\n"
                       "    domains: [spammer.example, good.example]")
        res = by_key(r.json()["results"])
        self.assertEqual(res[("2001:db8::25", "v6")]["status"], "listed")
        self.assertEqual(res[("2001:db8::25", "v6")]["txt"], "v6 listed")
        self.assertEqual(res[("2001:db8::26", "v6")]["status"], "clean")
        self.assertEqual(res[("spammer.example", "dom")]["status"], "listed")
        self.assertEqual(res[("spammer.example", "dom")]["codes"], ["127.0.1.2"])
        self.assertEqual(res[("good.example", "dom")]["status"], "clean")
        self.assertEqual(set(res), {
            ("192.0.2.1", "bl"), ("2001:db8::25", "v6"), ("2001:db8::26", "v6"),
            ("spammer.example", "dom"), ("good.example", "dom")})
        self.assertEqual(self.health(r.json())["v6"], "ok")
        self.assertEqual(self.health(r.json())["dom"], "ok")

    def test_timeout_is_an_error_and_exit_unknown(self):
        with SilentUDP() as silent:
            r = run(["check", "--format", "json"],
                    config(silent.server, [BL], "ips: [192.0.2.1]",
                           "  deadline: 30s\n"))
        self.assertEqual(r.rc, 3, r.err)
        rep = r.json()
        self.assertEqual(rep["status"], "UNKNOWN")
        self.assertEqual(rep["lists"][0]["health"], "unreachable")
        self.assertIn("timeout", rep["lists"][0]["detail"])
        for res in rep["results"]:
            self.assertEqual(res["status"], "error")

    def test_deadline_cancels_and_reports_not_checked(self):
        with SilentUDP() as silent:
            r = run(["check", "--format", "json"],
                    config(silent.server, [BL], "ips: [192.0.2.0/30]").replace(
                        "timeout: 500ms\n  tries: 2", "timeout: 20s\n  tries: 1")
                    + "  deadline: 1s\n")
        self.assertEqual(r.rc, 3, r.err)
        rep = r.json()
        # the deadline came while the list's test points were asked: the
        # list could not be asked, one result for the range
        self.assertEqual([(x["target"], x["status"]) for x in rep["results"]],
                         [("192.0.2.0/30", "error")])
        self.assertIn("cancelled", rep["lists"][0]["detail"] + rep["results"][0]["error"])

    def test_deadline_in_a_range_with_a_dead_list_is_recorded(self):
        # one list dead, one answering, the deadline in the middle of the
        # range: every pair of the plan has its result once, and the cycle
        # is recorded
        zones = {"ok.test": ("ip4set", ":127.0.0.2:listed\n127.0.0.2\n"),
                 "dead.test": ("ip4set", ":127.0.0.2:listed\n10.9.9.9\n")}
        crit = {"127.0.0.2": ("spam", "critical")}
        with Rbldnsd(zones) as d:
            w = rbltest.Workdir(config(d.server, [custom_list("dead", "dead.test", "ip4", crit),
                                                  custom_list("ok", "ok.test", "ip4", crit)],
                                       "ips: [10.1.0.0/16]")
                                + "  deadline: 1s\n  max_inflight: 1\n")
            try:
                r = w.run(["check", "--format", "json"])
                self.assertEqual(r.rc, 1, r.err)  # some clean, the rest not checked
                self.assertNotIn("not recorded", r.err)
                rep = r.json()
                dead = [x["target"] for x in rep["results"] if x["source"] == "dead"]
                self.assertEqual(dead, ["10.1.0.0/16"])
                ok = [x for x in rep["results"] if x["source"] == "ok"]
                self.assertEqual(len(ok), 65536)
                self.assertTrue(any("cancelled" in x["error"] for x in ok
                                    if x["status"] == "error"))
                s = w.run(["status", "--format", "json"])
                self.assertNotIn("no state yet", s.err)
            finally:
                w.cleanup()

    def test_daily_limit_refuses_the_list(self):
        limited = custom_list("limited", "limited.test", "ip4", {"127.0.0.2": ("x", "critical")},
                              extra=", limits: {queries_per_day: 10}")
        r = self.check([limited, BL], "ips: [192.0.2.0/28]")
        rep = r.json()
        lim = [x for x in rep["results"] if x["source"] == "limited"]
        # one result for the range as written, not 16 of them
        self.assertEqual([(x["target"], x["status"]) for x in lim],
                         [("192.0.2.0/28", "skipped")])
        self.assertIn("10 a day", lim[0]["error"])
        self.assertEqual(self.health(rep)["limited"], "skipped")
        self.assertEqual([l["queries"] for l in rep["lists"] if l["name"] == "limited"], [0])

    def test_keyed_zone_uses_key_and_never_shows_it(self):
        keyed = custom_list("keyed", "\"{key}.keyed.test\"", "ip4", {"127.0.0.2": ("x", "critical")},
                            extra=", key: {name: kt, env: KEYED_TEST_KEY}")
        cfg = config(self.dns.server, [keyed], "ips: [192.0.2.1]")
        r = run(["check", "--format", "json"], cfg, env={"KEYED_TEST_KEY": "sekrit42"})
        self.assertEqual(r.rc, 2, r.err)
        self.assertEqual(r.json()["results"][0]["status"], "listed")
        self.assertNotIn("sekrit42", r.out + r.err)
        for fmt in ("text", "nagios"):
            t = run(["check", "--format", fmt], cfg, env={"KEYED_TEST_KEY": "sekrit42"})
            self.assertNotIn("sekrit42", t.out + t.err)
        # without the key: skipped with what to do, never clean
        r = run(["check", "--format", "json"], cfg)
        res = r.json()["results"][0]
        self.assertEqual(res["status"], "skipped")
        self.assertIn("KEYED_TEST_KEY", res["error"])
        self.assertEqual(r.rc, 3)

    def test_untrusted_txt_is_escaped_everywhere(self):
        for fmt in ("json", "text", "nagios"):
            r = self.check([BL], "ips: [192.0.2.6]", fmt=fmt)
            self.assertNotIn(ESC, r.out)
            self.assertNotIn("\x07", r.out)
            if fmt != "nagios":
                self.assertIn("\\x1b[31mred", r.out if fmt == "text"
                              else r.json()["results"][0]["txt"])

    def test_exit_codes(self):
        warn = custom_list("warn", "warn.test", "ip4", {"127.0.0.3": ("dynamic", "warning")})
        self.assertEqual(self.check([BL], "ips: [192.0.2.1]").rc, 2)
        self.assertEqual(self.check([warn], "ips: [192.0.2.2]").rc, 1)
        self.assertEqual(self.check([BL], "ips: [192.0.2.200]").rc, 0)
        self.assertEqual(self.check([NOTSERVED], "ips: [192.0.2.1]").rc, 3)

    def test_window_of_one_still_checks_everything(self):
        r = self.check([BL, GOOD], "ips: [192.0.2.0/28]", resolver_extra="  max_inflight: 1\n")
        rep = r.json()
        self.assertEqual(len(rep["results"]), 32)
        self.assertEqual(rep["summary"]["errors"], 1)  # 192.0.2.5's error code
        self.assertEqual(r.rc, 2)

    def test_text_and_nagios_reports(self):
        r = self.check([BL, DEAD], "ips: [192.0.2.1, 192.0.2.4]", fmt="text")
        self.assertEqual(r.rc, 2)
        self.assertRegex(r.out, r"192\.0\.2\.1 +bl +critical +127\.0\.0\.2 +spam")
        self.assertIn("TXT: Listed for spam", r.out)
        self.assertIn("Not checked", r.out)
        self.assertIn("https://bl.test/remove (self-service)", r.out)
        self.assertIn("fix first: stop the spam", r.out)
        self.assertIn("CRITICAL: 4 checks on 2 lists: 1 listed (1 critical), 1 clean, 2 not checked", r.out)
        self.assertIn("dead=dead", r.out)
        self.assertNotIn("192.0.2.4 ", r.out.split("Not checked")[0])  # clean rows hidden
        a = self.check([BL], "ips: [192.0.2.1, 192.0.2.4]", fmt="text", extra_args=["--all"])
        self.assertRegex(a.out, r"192\.0\.2\.4 +bl +clean")
        n = self.check([BL], "ips: [192.0.2.1, 192.0.2.4]", fmt="nagios")
        self.assertEqual(n.out.count("\n"), 2)  # the status line, one line per listing
        self.assertTrue(n.out.startswith("RBLMON CRITICAL - 1 listed: 192.0.2.1 on bl |"), n.out)
        self.assertIn("listed=1;;;0 critical=1;;0;0", n.out)
        self.assertTrue(n.out.endswith("\n192.0.2.1 on bl: critical, 127.0.0.2 (spam)\n"), n.out)

    def test_untested_list_is_not_trusted_when_no_list_passes_its_probes(self):
        # dead.test fails its test point; an untested list on the same
        # resolver answers NXDOMAIN for everything: that is not "clean".
        untested = custom_list("untested", "empty.test", "ip4", {"127.0.0.2": ("x", "critical")},
                               extra=", test: false")
        r = self.check([untested], "ips: [192.0.2.4]")
        rep = r.json()
        self.assertEqual(rep["lists"][0]["health"], "unknown")  # alone: nothing to compare
        r = self.check([untested, DEAD], "ips: [192.0.2.4]")
        rep = r.json()
        health = {l["name"]: l["health"] for l in rep["lists"]}
        self.assertEqual(health, {"untested": "unreachable", "dead": "dead"})
        self.assertTrue(all(x["status"] == "error" for x in rep["results"]))
        self.assertEqual(r.rc, 3)
        # one healthy list vouches for the resolver: the untested list is read
        r = self.check([untested, BL], "ips: [192.0.2.4]")
        health = {l["name"]: l["health"] for l in r.json()["lists"]}
        self.assertEqual(health, {"untested": "unknown", "bl": "ok"})
        self.assertEqual(r.rc, 0)

    def test_query_name_too_long_is_an_error_never_clean(self):
        long_domain = ".".join(["a" * 61] * 4)  # 247: with ".dom.test", 256
        r = self.check([DOM], "domains: [spammer.example, %s]" % long_domain)
        res = by_key(r.json()["results"])
        self.assertEqual(res[("spammer.example", "dom")]["status"], "listed")
        bad = res[(long_domain, "dom")]
        self.assertEqual(bad["status"], "error")
        self.assertIn("longer than DNS allows", bad["error"])

    def test_txt_lookups_count_as_queries(self):
        r = self.check([BL], "ips: [192.0.2.1, 192.0.2.4]")
        # 2 probes + 2 targets + 1 TXT for the listing
        self.assertEqual(r.json()["lists"][0]["queries"], 5)

    def test_command_line_targets_override_watchlists(self):
        r = run(["check", "--format", "json", "192.0.2.1", "192.0.2.4"],
                config(self.dns.server, [BL], "ips: [192.0.2.2]"))
        res = by_key(r.json()["results"])
        self.assertEqual(set(res), {("192.0.2.1", "bl"), ("192.0.2.4", "bl")})
        self.assertIsNone(res[("192.0.2.1", "bl")]["watchlist"])

    def test_output_file_is_replaced_whole_and_never_through_a_symlink(self):
        d = tempfile.mkdtemp(prefix="rblmon-out.")
        self.addCleanup(shutil.rmtree, d, True)
        out = os.path.join(d, "report.json")
        victim = os.path.join(d, "victim")
        with open(victim, "w") as f:
            f.write("precious\n")
        # the names an older rblmon wrote through: FILE.tmp.PID, for the
        # next few hundred PIDs
        with open("/proc/loadavg") as f:
            last = int(f.read().split()[-1])  # the last PID given out
        for pid in range(last + 1, last + 400):
            os.symlink(victim, "%s.tmp.%d" % (out, pid))
        r = run(["check", "--format", "json", "-o", out],
                config(self.dns.server, [BL], "ips: [192.0.2.1]"))
        self.assertEqual(r.rc, 2, r.err)
        with open(victim) as f:
            self.assertEqual(f.read(), "precious\n")
        self.assertFalse(os.path.islink(out))
        with open(out) as f:
            self.assertEqual(rbltest.json_doc(f.read(), "check")["results"][0]["status"],
                             "listed")
        left = [n for n in os.listdir(d) if not n.startswith("report.json.tmp.")]
        self.assertEqual(sorted(left), ["report.json", "victim"])  # no temporary left


if __name__ == "__main__":
    rbltest.main()
