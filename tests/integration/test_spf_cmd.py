"""rblmon spf IP DOMAIN: the result, its trace, the explanation, the exit
codes, the identities (--sender, --helo, the null sender), hostile DNS
text and bad usage, against a DNS server on 127.0.0.1 (zonedns.py)."""
import unittest

import rbltest
from zonedns import ZoneDNS

ZONE = {
    "ok.test": [("TXT", "v=spf1 include:_spf.ok.test ip4:192.0.2.0/28 "
                 "-all exp=why.ok.test")],
    "_spf.ok.test": [("TXT", "v=spf1 a:mx.ok.test ~all")],
    "mx.ok.test": [("A", "198.51.100.7")],
    "why.ok.test": [("TXT", "%{i} may not send for %{d}: see "
                     "https://%{d}/mail (%{l})")],
    "soft.test": [("TXT", "v=spf1 ~all")],
    "neutral.test": [("TXT", "v=spf1 ip4:192.0.2.1")],
    "none.test": [("A", "192.0.2.1")],
    "broken.test": [("TXT", "v=spf1 ip4:192.0.2.300 -all")],
    "slow.test": ["TIMEOUT"],
    "helo.test": [("TXT", "v=spf1 ip4:203.0.113.5 -all")],
    "hostile.test": [("TXT", "v=spf1 \x1b[31mred \u202etxet -all")],
    "hmacro.test": [("TXT", "v=spf1 exists:%{h}.allow.test -all")],
    "mail.good.test.allow.test": [("A", "127.0.0.2")],
}


class SpfCommand(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dns = ZoneDNS(ZONE).__enter__()
        # one test waits for a timeout (slow.test): 1 s, twice
        cls.config = ("resolver:\n  servers: [%s]\n  timeout: 1s\n"
                      "  tries: 2\n" % cls.dns.server)

    @classmethod
    def tearDownClass(cls):
        cls.dns.__exit__(None, None, None)

    def spf(self, *args, fmt="json"):
        r = rbltest.run(["spf", "--format", fmt] + list(args),
                        config=self.config)
        return r, (r.json() if fmt == "json" and r.out else None)

    def test_results_and_exit_codes(self):
        cases = [("192.0.2.5", "ok.test", "pass", 0),
                 ("198.51.100.7", "ok.test", "pass", 0),
                 ("203.0.113.1", "ok.test", "fail", 2),
                 ("192.0.2.9", "soft.test", "softfail", 1),
                 ("192.0.2.9", "neutral.test", "neutral", 1),
                 ("192.0.2.9", "none.test", "none", 1),
                 ("192.0.2.9", "missing.test", "none", 1),
                 ("192.0.2.9", "broken.test", "permerror", 2),
                 ("192.0.2.9", "slow.test", "temperror", 3),
                 ("192.0.2.9", "[192.0.2.9]", "none", 1)]
        for ip, domain, result, rc in cases:
            r, out = self.spf(ip, domain)
            self.assertEqual((out["result"], r.rc), (result, rc),
                             "%s %s: %s" % (ip, domain, r.out + r.err))

    def test_trace_shows_why(self):
        r, out = self.spf("198.51.100.7", "ok.test", fmt="text")
        self.assertEqual(r.rc, 0, r.err)
        lines = r.out.splitlines()
        self.assertIn("  check_host(ok.test)", lines)
        # the include is one level deeper, with its DNS answers
        self.assertIn("    check_host(_spf.ok.test)", lines)
        self.assertIn("  include:_spf.ok.test: DNS lookup 1 of 10", lines)
        self.assertIn("    a:mx.ok.test: DNS lookup 2 of 10", lines)
        self.assertIn("    DNS mx.ok.test A: 198.51.100.7", lines)
        self.assertIn("    a:mx.ok.test matches: pass", lines)
        self.assertIn("  include:_spf.ok.test matches: pass", lines)
        self.assertIn("result: pass (a:mx.ok.test in _spf.ok.test): the "
                      "address may send for the domain", lines)
        self.assertIn("DNS lookups: 2 of 10; lookups that found nothing: 0 of 2",
                      lines)

    def test_fail_explains_itself(self):
        r, out = self.spf("--sender", "alice@ok.test", "203.0.113.1",
                          "ok.test")
        self.assertEqual(out["result"], "fail")
        self.assertEqual(out["why"], "-all in ok.test")
        self.assertEqual(out["explanation"], "203.0.113.1 may not send for "
                         "ok.test: see https://ok.test/mail (alice)")
        self.assertEqual(out["sender"], "alice@ok.test")
        self.assertEqual(out["lookups"], 2)
        self.assertIn({"depth": 0, "line": "-all matches: fail"}, out["trace"])
        r, out = self.spf("203.0.113.1", "helo.test")
        self.assertEqual(out["result"], "fail")
        self.assertIsNone(out["explanation"])  # no exp=: the receiver's own
        r, _ = self.spf("203.0.113.1", "helo.test", fmt="text")
        self.assertIn("explanation: none (exp=): the receiver gives its own",
                      r.out)

    def test_identities(self):
        # the null sender: the HELO identity, postmaster@ the HELO name
        r, out = self.spf("--sender", "", "--helo", "helo.test",
                          "203.0.113.5", "helo.test")
        self.assertEqual((out["result"], out["sender"]),
                         ("pass", "postmaster@helo.test"))
        # %{h} is the HELO name given
        r, out = self.spf("--helo", "mail.good.test", "192.0.2.1",
                          "hmacro.test")
        self.assertEqual(out["result"], "pass", r.out)
        r, out = self.spf("192.0.2.1", "hmacro.test")
        self.assertEqual(out["result"], "fail", r.out)

    def test_hostile_text_is_escaped(self):
        r, _ = self.spf("192.0.2.1", "hostile.test", fmt="text")
        self.assertEqual(r.rc, 2)
        self.assertNotIn("\x1b", r.out)
        self.assertNotIn("\u202e", r.out)
        self.assertIn("\\x1b[31mred", r.out)
        r, out = self.spf("192.0.2.1", "hostile.test")
        self.assertEqual(out["result"], "permerror")
        self.assertNotIn("\\u001b", r.out)
        self.assertTrue(any("\\x1b[31mred" in l["line"] for l in out["trace"]),
                        out["trace"])

    def test_bad_usage(self):
        for args, say in [(["spf", "192.0.2.300", "ok.test"],
                           "is not an IPv4 or IPv6 address"),
                          (["spf", "192.0.2.1"], "usage: rblmon spf"),
                          (["spf", "--all", "192.0.2.1", "ok.test"],
                           "spf does not take --all"),
                          (["check", "--helo", "x", "192.0.2.1"],
                           "check does not take --helo"),
                          (["spf", "--format", "nagios", "192.0.2.1", "ok.test"],
                           "format must be text or json")]:
            r = rbltest.run(args, config=self.config)
            self.assertEqual(r.rc, 3, args)
            self.assertIn(say, r.err, args)
            self.assertEqual(r.out, "", args)


if __name__ == "__main__":
    unittest.main()
