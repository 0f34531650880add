"""The shipped catalog against rbldnsd zones that answer the way each real
list does (issue 3): served on 127.0.0.1 under the real zone names, so the
real catalog entries read them.  Nothing leaves the machine.  Who can fix a
listing and how (issue 19): ZEN's components name their own fix."""
import rbltest
from rbltest import Rbldnsd, Workdir, by_key, run

V6_TEST = "::ffff:7f00:2\n"
ZONES = {
    # ZEN: SBL+XBL together, PBL, and the public-resolver error
    "zen.spamhaus.org": ("ip4set",
                         "127.0.0.2 :127.0.0.2:test\n"
                         "192.0.2.1 :127.0.0.2:https://check.spamhaus.org/sbl/query/SBL1\n"
                         "192.0.2.1 :127.0.0.4:https://check.spamhaus.org/query/ip/192.0.2.1\n"
                         "192.0.2.2 :127.0.0.10:https://check.spamhaus.org/pbl\n"
                         "192.0.2.3 :127.255.255.254:public resolver\n"
                         "192.0.2.5 :127.0.0.4:https://check.spamhaus.org/query/ip/192.0.2.5\n"),
    "sbl.spamhaus.org": ("ip4set", "127.0.0.0/24 :127.255.255.254:open resolver\n"),
    "dbl.spamhaus.org": ("dnset",
                         "dbltest.com :127.0.1.2:test\n"
                         "spam-domain.example :127.0.1.2:https://check.spamhaus.org/\n"
                         "abused.example :127.0.1.102:abused legit\n"),
    "multi.surbl.org": ("dnset",
                        "test.surbl.org :127.0.0.248:test\n"
                        "phish-mw.example :127.0.0.24:PH and MW\n"
                        "disposable.example :127.0.0.4:DM\n"
                        "blocked.example :127.0.0.1:blocked\n"
                        "nobits.example :127.0.0.0:nothing\n"),
    "multi.uribl.com": ("dnset",
                        "test.uribl.com :127.0.0.14:test\n"
                        "black.example :127.0.0.2:black\n"
                        "grey-red.example :127.0.0.12:grey and red\n"
                        "refused.example :127.0.0.1:127.0.0.1 -> Query Refused\n"),
    "rep.mailspike.net": ("ip4set",
                          "192.0.2.1 :127.0.0.10:L5\n"
                          "192.0.2.2 :127.0.0.14:L1\n"
                          "192.0.2.3 :127.0.0.19:H4\n"),
    "bl.0spam.org": ("ip4set",
                     "127.0.0.2 :127.0.0.2:RFC 5782 test\n"
                     "192.0.2.1 :127.0.0.1:general spam\n"),
    "list.dnswl.org": ("ip4set",
                       "127.0.0.2 :127.0.10.0:test\n"
                       "192.0.2.1 :127.0.5.2:medium trust ISP\n"
                       "192.0.2.9 :127.0.0.255:over limit\n"),
    # (its whitelist guard asks 192.0.2.1: not whitelisted here)
    "hostkarma.junkemailfilter.com": ("ip4set",
                                      "198.51.100.7 :127.0.0.1:white\n"
                                      "192.0.2.2 :127.0.0.2:black\n"),
    # Team Cymru lists 127.0.0.0/8 itself (a Martian prefix): the catalog
    # gives the zone its own test points (192.168.1.1 listed, 8.8.8.8 not).
    "bogons.cymru.com": ("ip4set",
                         "127.0.0.0/8 :127.0.0.2:127.0.0.0/8\n"
                         "192.168.0.0/16 :127.0.0.2:192.168.0.0/16\n"
                         "192.0.2.0/24 :127.0.0.2:192.0.2.0/24\n"),
    # DKIMwl: 127.0.<category>.<trust>, trust 0 = blacklisted.
    "lookup.dkimwl.org": ("dnset",
                          "example.com :127.0.3.3:test entry\n"
                          "white.example :127.0.2.5:high trust bulk mailer\n"
                          "black.example :127.0.4.0:blacklisted\n"),
}
# Lists of type "ip" are probed on IPv6 too: serve their IPv6 test points.
ZONES6 = {"zen.spamhaus.org": V6_TEST, "list.dnswl.org": ":127.0.10.0:test\n" + V6_TEST}

USE = ["spamhaus-zen", "spamhaus-dbl", "surbl-multi", "uribl-multi", "mailspike-rep",
       "0spam-bl", "dnswl-list", "hostkarma"]


def zones():
    return ([(n, t, d) for n, (t, d) in ZONES.items()] +
            [(n, "ip6trie", d) for n, d in ZONES6.items()])


def config(server, use, ips, domains=""):
    return ("watchlists:\n  - name: out\n    ips: [%s]\n%s"
            "lists:\n  use: [%s]\n"
            "resolver:\n  servers: [%s]\n  timeout: 500ms\n  tries: 2\n"
            % (ips, "    domains: [%s]\n" % domains if domains else "", ", ".join(use), server))


class CatalogListsTest(rbltest.unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dns = Rbldnsd(zones()).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.dns.__exit__(None, None, None)

    def check(self, use, ips="192.0.2.1", domains=""):
        r = run(["check", "--format", "json"],
                config(self.dns.server, use, ips, domains))
        self.assertNotIn("error:", r.err)
        return r, r.json()

    def test_spamhaus_codes_and_error_range(self):
        r, rep = self.check(["spamhaus-zen"], "192.0.2.1, 192.0.2.2, 192.0.2.3, 192.0.2.4")
        res = by_key(rep["results"])
        sbl = res[("192.0.2.1", "spamhaus-zen")]
        self.assertEqual(sbl["status"], "listed")
        self.assertEqual(sorted(sbl["codes"]), ["127.0.0.2", "127.0.0.4"])
        self.assertTrue(any(x.startswith("SBL") for x in sbl["reasons"]))
        self.assertTrue(any(x.startswith("XBL") for x in sbl["reasons"]))
        self.assertEqual(sbl["severity"], "critical")
        self.assertEqual(sbl["delist"]["url"], "https://check.spamhaus.org/")
        pbl = res[("192.0.2.2", "spamhaus-zen")]
        self.assertEqual((pbl["status"], pbl["severity"]), ("listed", "warning"))
        err = res[("192.0.2.3", "spamhaus-zen")]
        self.assertEqual(err["status"], "error")
        self.assertIn("public/open resolver", err["error"])
        self.assertEqual(res[("192.0.2.4", "spamhaus-zen")]["status"], "clean")
        self.assertEqual(rep["lists"][0]["health"], "ok")

    def test_spamhaus_refusing_public_resolver_is_list_health(self):
        r, rep = self.check(["spamhaus-sbl"])
        self.assertEqual(rep["lists"][0]["health"], "refusing")
        self.assertIn("public/open resolver", rep["lists"][0]["detail"])
        self.assertEqual(rep["results"][0]["status"], "error")
        self.assertEqual(r.rc, 3)

    def test_dbl_gets_only_domains(self):
        r, rep = self.check(["spamhaus-dbl", "spamhaus-zen"], "192.0.2.4",
                            "spam-domain.example, abused.example, fine.example")
        res = by_key(rep["results"])
        self.assertEqual({k for k in res if k[1] == "spamhaus-dbl"},
                         {("spam-domain.example", "spamhaus-dbl"),
                          ("abused.example", "spamhaus-dbl"), ("fine.example", "spamhaus-dbl")})
        self.assertEqual({k for k in res if k[1] == "spamhaus-zen"},
                         {("192.0.2.4", "spamhaus-zen")})
        self.assertEqual(res[("spam-domain.example", "spamhaus-dbl")]["severity"], "critical")
        self.assertEqual(res[("abused.example", "spamhaus-dbl")]["severity"], "critical")
        self.assertEqual(res[("fine.example", "spamhaus-dbl")]["status"], "clean")
        health = {l["name"]: l["health"] for l in rep["lists"]}
        self.assertEqual(health["spamhaus-dbl"], "ok")  # probed with dbltest.com

    def test_surbl_bitmask_and_refusal(self):
        r, rep = self.check(["surbl-multi"], "192.0.2.1",
                            "phish-mw.example, disposable.example, blocked.example, "
                            "nobits.example")
        res = by_key(rep["results"])
        pm = res[("phish-mw.example", "surbl-multi")]
        self.assertEqual(pm["codes"], ["127.0.0.24"])
        self.assertEqual(len(pm["reasons"]), 2)
        self.assertTrue(pm["reasons"][0].startswith("PH"))
        self.assertTrue(pm["reasons"][1].startswith("MW"))
        self.assertEqual(pm["severity"], "critical")
        dm = res[("disposable.example", "surbl-multi")]
        self.assertEqual((dm["status"], dm["severity"]), ("listed", "notice"))
        nb = res[("nobits.example", "surbl-multi")]  # no bit: not "good"
        self.assertEqual((nb["status"], nb["severity"]), ("listed", "warning"))
        self.assertIn("unknown code", nb["reasons"][0])
        bl = res[("blocked.example", "surbl-multi")]
        self.assertEqual(bl["status"], "error")
        self.assertIn("refused", bl["error"])

    def test_uribl_bitmask_and_query_refused(self):
        r, rep = self.check(["uribl-multi"], "192.0.2.1",
                            "black.example, grey-red.example, refused.example")
        res = by_key(rep["results"])
        self.assertEqual(res[("black.example", "uribl-multi")]["severity"], "critical")
        gr = res[("grey-red.example", "uribl-multi")]
        self.assertEqual(len(gr["reasons"]), 2)
        self.assertEqual(gr["severity"], "warning")
        self.assertEqual(res[("refused.example", "uribl-multi")]["status"], "error")
        self.assertEqual(rep["lists"][0]["health"], "ok")

    def test_mailspike_rep_levels(self):
        r, rep = self.check(["mailspike-rep"], "192.0.2.1, 192.0.2.2, 192.0.2.3, 192.0.2.4")
        res = by_key(rep["results"])
        self.assertEqual(res[("192.0.2.1", "mailspike-rep")]["severity"], "critical")
        l1 = res[("192.0.2.2", "mailspike-rep")]
        self.assertEqual((l1["status"], l1["severity"]), ("listed", "notice"))
        h4 = res[("192.0.2.3", "mailspike-rep")]
        self.assertEqual((h4["status"], h4["severity"]), ("clean", "good"))
        self.assertEqual(res[("192.0.2.4", "mailspike-rep")]["status"], "clean")
        self.assertEqual(rep["lists"][0]["health"], "unknown")  # no test point

    def test_0spam_127_0_0_1_is_a_listing(self):
        r, rep = self.check(["0spam-bl"])
        res = rep["results"][0]
        self.assertEqual((res["status"], res["codes"]), ("listed", ["127.0.0.1"]))
        self.assertIn("general spam", res["reasons"][0])
        self.assertEqual(rep["lists"][0]["health"], "ok")

    def test_dnswl_trust_levels_are_good_standing(self):
        r, rep = self.check(["dnswl-list"], "192.0.2.1, 192.0.2.9")
        res = by_key(rep["results"])
        w = res[("192.0.2.1", "dnswl-list")]
        self.assertEqual((w["status"], w["severity"]), ("clean", "good"))
        self.assertIn("trust level", w["reasons"][0])
        self.assertEqual(res[("192.0.2.9", "dnswl-list")]["status"], "error")
        self.assertEqual(rep["lists"][0]["health"], "ok")

    def test_hostkarma_white_is_good(self):
        r, rep = self.check(["hostkarma"], "198.51.100.7, 192.0.2.2")
        res = by_key(rep["results"])
        self.assertEqual(res[("198.51.100.7", "hostkarma")]["severity"], "good")
        self.assertEqual(res[("198.51.100.7", "hostkarma")]["status"], "clean")
        self.assertEqual(res[("192.0.2.2", "hostkarma")]["status"], "listed")

    def test_bogons_own_test_points(self):
        r, rep = self.check(["cymru-bogons"], "192.0.2.1, 198.51.100.7")
        res = by_key(rep["results"])
        b = res[("192.0.2.1", "cymru-bogons")]
        self.assertEqual((b["status"], b["severity"]), ("listed", "warning"))
        self.assertEqual(res[("198.51.100.7", "cymru-bogons")]["status"], "clean")
        # 127.0.0.1 answers here, but it is not this zone's unlisted test point
        self.assertEqual(rep["lists"][0]["health"], "ok")

    def test_dkimwl_trust_is_good_trust_0_is_listed(self):
        r, rep = self.check(["dkimwl"], "192.0.2.1", "white.example, black.example")
        res = by_key(rep["results"])
        w = res[("white.example", "dkimwl")]
        self.assertEqual((w["status"], w["severity"]), ("clean", "good"))
        b = res[("black.example", "dkimwl")]
        self.assertEqual((b["status"], b["severity"]), ("listed", "critical"))
        self.assertEqual(rep["lists"][0]["health"], "ok")  # example.com / invalid

    def test_lists_probe(self):
        r = run(["lists", "--probe", "--format", "json"],
                config(self.dns.server, USE + ["spamhaus-sbl", "spamcop"], "192.0.2.1"))
        health = {l["name"]: l["health"] for l in r.json()["lists"]}
        self.assertEqual(health, {
            "spamhaus-zen": "ok", "spamhaus-sbl": "refusing", "spamhaus-dbl": "ok",
            "surbl-multi": "ok", "uribl-multi": "ok", "mailspike-rep": "unknown",
            "0spam-bl": "ok", "dnswl-list": "ok", "hostkarma": "unknown",
            "spamcop": "unreachable"})
        self.assertEqual(r.rc, 1)
        self.assertEqual(r.json()["status"], "WARNING")
        t = run(["lists", "--probe"], config(self.dns.server, ["spamhaus-zen"], "192.0.2.1"))
        self.assertEqual(t.rc, 0)
        self.assertRegex(t.out, r"spamhaus-zen +zen\.spamhaus\.org +ip +ok +300000 +by-code ")

    # ---- who can fix it, and how (issue 19) ------------------------------
    def test_zen_scope_and_fix_per_code(self):
        r, rep = self.check(["spamhaus-zen"], "192.0.2.1, 192.0.2.2, 192.0.2.5")
        res = by_key(rep["results"])
        pbl = res[("192.0.2.2", "spamhaus-zen")]  # 127.0.0.10: ISP-maintained PBL
        self.assertEqual(pbl["scope"], "policy")
        self.assertTrue(pbl["fix"].startswith("PBL (set by the ISP/network owner)"), pbl["fix"])
        self.assertIn("smarthost", pbl["fix"])
        self.assertIn("range owner", pbl["fix"])
        self.assertEqual(pbl["fixes"], [{"code": "127.0.0.10", "scope": "policy",
                                         "fix": pbl["fix"]}])
        xbl = res[("192.0.2.5", "spamhaus-zen")]  # 127.0.0.4: XBL
        self.assertEqual(xbl["scope"], "address")
        self.assertTrue(xbl["fix"].startswith("XBL: find and clean the infected host"))
        both = res[("192.0.2.1", "spamhaus-zen")]  # SBL and XBL: a fix for each
        self.assertEqual({(f["code"], f["scope"]) for f in both["fixes"]},
                         {("127.0.0.2", "provider"), ("127.0.0.4", "address")})
        for one in (pbl, xbl, both):  # never ZEN's one text for every component
            self.assertNotIn("depends on the component", one["fix"])
        t = run(["check"], config(self.dns.server, ["spamhaus-zen"], "192.0.2.2, 192.0.2.5"))
        self.assertRegex(t.out, r"who can fix: the range owner \(a policy listing[^\n]*\[policy\]")
        self.assertIn("fix: PBL (set by the ISP/network owner)", t.out)
        self.assertIn("fix: XBL: find and clean", t.out)
        self.assertIn("fix first (127.0.0.4): XBL:", t.out)
        self.assertIn("fix first (127.0.0.10): PBL", t.out)

    def test_zen_reminder_and_status_name_the_code_fix(self):
        w = Workdir(config(self.dns.server, ["spamhaus-zen"], "192.0.2.2, 192.0.2.5"))
        try:
            self.assertEqual(w.run(["check", "--changes-only"]).rc, 2)
            t = w.run(["remind"]).out
            pbl, xbl = (t.split("192.0.2.2 is listed")[1].split("[reminder")[0],
                        t.split("192.0.2.5 is listed")[1].split("[reminder")[0])
            self.assertIn("Who can fix: the range owner (a policy listing", pbl)
            self.assertIn("Fix first: PBL (set by the ISP/network owner)", pbl)
            self.assertIn("send through your provider's smarthost", pbl)
            self.assertNotIn("XBL", pbl)
            self.assertIn("Who can fix: whoever runs this address", xbl)
            self.assertIn("Fix first: XBL: find and clean the infected host", xbl)
            self.assertNotIn("depends on the component", t)
            st = w.run(["status", "--format", "json"]).json()
            got = {l["target"]: (l["scope"], l["fix"].split(":")[0]) for l in st["listings"]}
            self.assertEqual(got, {"192.0.2.2": ("policy", "PBL (set by the ISP/network owner)"),
                                   "192.0.2.5": ("address", "XBL")})
            s = w.run(["status"]).out
            self.assertIn("    who can fix: the range owner", s)
            self.assertIn("    fix: XBL: find and clean", s)
        finally:
            w.cleanup()

    def test_lists_show_scope(self):
        use = ["spamhaus-pbl", "spamhaus-zen", "uceprotect-2", "uceprotect-3", "spamhaus-dbl"]
        r = run(["lists", "--format", "json"], config(self.dns.server, use, "192.0.2.1"))
        got = {l["name"]: (l["scope"], l["scopes"]) for l in r.json()["lists"]}
        self.assertEqual(got["spamhaus-pbl"], ("policy", ["policy"]))
        self.assertEqual(got["uceprotect-2"], ("range", ["range"]))  # the allocation
        self.assertEqual(got["uceprotect-3"], ("asn", ["asn"]))
        self.assertEqual(got["spamhaus-dbl"], ("domain", ["domain"]))
        self.assertEqual(got["spamhaus-zen"][0], None)  # by code: SBL, XBL, DROP, PBL...
        self.assertEqual(set(got["spamhaus-zen"][1]), {"address", "provider", "range", "policy"})
        t = run(["lists"], config(self.dns.server, use, "192.0.2.1")).out
        self.assertRegex(t, r"uceprotect-3 +dnsbl-3\.uceprotect\.net +ip4 +100000\* +asn ")
        self.assertRegex(t, r"spamhaus-zen +zen\.spamhaus\.org +ip +300000 +by-code ")


if __name__ == "__main__":
    rbltest.main()
