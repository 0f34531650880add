"""The whitelist guard: an over-limit or blocked resolver gets the same
"trusted" answer for every address, so a list with good codes is believed
only while its negative test point stays clean - also a list with
test: false (dnswl-dwl, hostkarma, mailspike-wl), which then has only its
negative point asked: a documentation address (192.0.2.1, 2001:db8::1)
or "invalid", never 127.0.0.1, which such lists often answer themselves,
and only a good answer there gives the list away.  Real rbldnsd on 127.0.0.1, custom lists and the
shipped catalog entries under their real zone names."""
import rbltest
from rbltest import by_key, custom_list, run

EVERYTHING = "0.0.0.0/1 :%s:all\n128.0.0.0/1 :%s:all\n"
ZONES = [
    # answers every address, the guard's 192.0.2.1 too
    ("wlall.test", "ip4set", EVERYTHING % ("127.0.0.18", "127.0.0.18")),
    # a whitelist that behaves: its negative point is not listed
    ("wlok.test", "ip4set", "198.51.100.7 :127.0.0.18:H3\n"),
    # answers 127.0.0.1 itself, and blocklists the documentation range:
    # neither is a whitelisting of everything
    ("wlmix.test", "ip4set", "127.0.0.1 :127.0.0.18:self\n"
                             "192.0.2.0/24 :127.0.0.10:L5\n"
                             "198.51.100.7 :127.0.0.18:H3\n"),
    ("wldom.test", "dnset", "invalid :127.0.0.18:all\ngood.example :127.0.0.18:H3\n"),
    # the shipped entries (test: false) served the way a blocked resolver
    # or a working list answers them
    ("wl.mailspike.net", "ip4set", EVERYTHING % ("127.0.0.20", "127.0.0.20")),
    ("hostkarma.junkemailfilter.com", "ip4set", EVERYTHING % ("127.0.0.1", "127.0.0.1")),
    ("dwl.dnswl.org", "dnset", "invalid :127.0.10.3:blocked\ngood.example :127.0.10.3:x\n"),
    ("nobl.junkemailfilter.com", "ip4set", "198.51.100.7 :127.0.0.5:nobl\n"),
]
H = {"127.0.0.16/29": ("H levels", "good"), "127.0.0.10": ("L5", "critical")}
WLALL = custom_list("wlall", "wlall.test", "ip4", H, extra=", test: false")
WLOK = custom_list("wlok", "wlok.test", "ip4", H, extra=", test: false")
WLMIX = custom_list("wlmix", "wlmix.test", "ip4", H, extra=", test: false")
WLDOM = custom_list("wldom", "wldom.test", "domain", H, extra=", test: false")
# an explicit unlisted point still wins: 192.0.2.77 is not listed
WLOVR = custom_list("wlovr", "wlall.test", "ip4", H,
                    extra=", test: {listed: 192.0.2.1, unlisted: 192.0.2.77}")


def config(server, custom, use, targets):
    return ("watchlists:\n  - name: out\n    %s\n"
            "lists:\n  use: [%s]\n  custom:\n%s"
            "resolver:\n  servers: [%s]\n  timeout: 500ms\n  tries: 2\n"
            % (targets, ", ".join(use), "".join(custom) or "    []\n", server))


class WhitelistGuardTest(rbltest.ZonesTestCase):
    ZONES = ZONES

    def check(self, custom, use=(), targets="ips: [192.0.2.1, 198.51.100.7]", fmt="json"):
        r = run(["check", "--format", fmt], config(self.dns.server, custom, use, targets))
        self.assertNotIn("AddressSanitizer", r.err)
        self.assertNotIn("error:", r.err)
        return r

    def lists(self, rep):
        return {l["name"]: l for l in rep["lists"]}

    def assert_guarded(self, rep, name, point, says="vouches for everything"):
        l = self.lists(rep)[name]
        self.assertEqual(l["health"], "wildcard", l)
        self.assertIn(says, l["detail"])
        self.assertIn(point, l["detail"])
        for res in rep["results"]:
            if res["source"] == name:
                self.assertEqual(res["status"], "error", res)
                self.assertNotEqual(res.get("severity"), "good", res)
                self.assertIn(says, res["error"])

    def test_answering_negative_point_means_no_good_answer(self):
        r = self.check([WLALL])
        rep = r.json()
        self.assert_guarded(rep, "wlall", "192.0.2.1")
        self.assertEqual(rep["summary"]["good"], 0)
        t = self.check([WLALL], fmt="text")
        self.assertNotIn("H levels", t.out)
        self.assertIn("vouches for everything", t.out)

    def test_clean_negative_point_lets_good_answer_through(self):
        rep = self.check([WLOK]).json()
        res = by_key(rep["results"])
        g = res[("198.51.100.7", "wlok")]
        self.assertEqual((g["status"], g["severity"]), ("clean", "good"))
        self.assertEqual(g["codes"], ["127.0.0.18"])
        self.assertEqual(res[("192.0.2.1", "wlok")]["status"], "clean")
        self.assertEqual(rep["summary"]["good"], 1)
        # only the negative point was asked: the list is not proven alive
        self.assertEqual(self.lists(rep)["wlok"]["health"], "unknown")

    def test_only_a_good_answer_gives_the_list_away(self):
        # the guard asks 192.0.2.1 (listed L5 here), not 127.0.0.1 (which
        # this zone answers with a good code): the list is believed
        rep = self.check([WLMIX]).json()
        self.assertEqual(self.lists(rep)["wlmix"]["health"], "unknown")
        res = by_key(rep["results"])
        g = res[("198.51.100.7", "wlmix")]
        self.assertEqual((g["status"], g["severity"]), ("clean", "good"))
        bad = res[("192.0.2.1", "wlmix")]
        self.assertEqual((bad["status"], bad["severity"]), ("listed", "critical"))

    def test_domain_whitelist_guarded_by_invalid(self):
        rep = self.check([WLDOM], targets="domains: [good.example]").json()
        self.assert_guarded(rep, "wldom", "invalid")

    def test_explicit_unlisted_point_wins(self):
        rep = self.check([WLOVR]).json()
        # 192.0.2.77 is inside the zone's 0/1 too: the override was asked
        self.assert_guarded(rep, "wlovr", "192.0.2.77", says="lists everything")

    def test_shipped_whitelists_without_test_points(self):
        rep = self.check([], ["mailspike-wl", "hostkarma", "dnswl-dwl", "hostkarma-nobl"],
                         targets="ips: [198.51.100.7]\n    domains: [good.example]").json()
        self.assert_guarded(rep, "mailspike-wl", "192.0.2.1")
        self.assert_guarded(rep, "hostkarma", "192.0.2.1")
        self.assert_guarded(rep, "dnswl-dwl", "invalid")
        nobl = by_key(rep["results"])[("198.51.100.7", "hostkarma-nobl")]
        self.assertEqual((nobl["status"], nobl["severity"]), ("clean", "good"))
        self.assertEqual(rep["summary"]["good"], 1)


if __name__ == "__main__":
    rbltest.main()
