"""Hash lists that take e-mail addresses (type email): MSBL EBL (SHA-1
hex), SURBL HashBL (MD5 hex), Spamhaus HBL (SHA-1 hex under
_email.<key>.hbl.dq.spamhaus.net) and a custom list with SHA-256 in base32.
rbldnsd on 127.0.0.1 serves the hashed names under the real zone names; a
silent server records the exact names asked.  The expected hashes are
computed here with hashlib, of the lower-cased address."""
import base64
import hashlib

import rbltest
from rbltest import SilentUDP, by_key, run

LISTED = "Bounces@Example.COM"      # watched as written; lists hash it lower-cased
GREY = "info@example.com"
CLEAN = "nobody@example.com"
KEY = "sekrit42"


def sha1(a):
    return hashlib.sha1(a.lower().encode()).hexdigest()


def md5(a):
    return hashlib.md5(a.lower().encode()).hexdigest()


def sha256_b32(a):
    return base64.b32encode(hashlib.sha256(a.lower().encode()).digest()).decode().rstrip("=")


ZONES = [
    ("ebl.msbl.org", "dnset", "%s :127.0.0.2:drop box\n%s :127.0.1.2:grey\n"
     % (sha1(LISTED), sha1(GREY))),
    ("hashbl.surbl.org", "dnset", "%s :127.0.1.5:listed address\n" % md5(LISTED)),
    ("_email.%s.hbl.dq.spamhaus.net" % KEY, "dnset", "%s :127.0.3.2:hbl\n" % sha1(LISTED)),
    ("b32.test", "dnset", "%s :127.0.0.2:custom\n" % sha256_b32(LISTED).lower()),
    ("bl.test", "ip4set", "127.0.0.2 :127.0.0.2:x\n"),
]
B32 = ("    - {name: b32, zone: b32.test, type: email,"
       " hash: {function: sha256, encoding: base32},"
       " codes: {127.0.0.2: {meaning: \"custom listing\", severity: critical}}}\n")
# an IP list with test points: the untested hash lists are believed only
# when some list passes its test points through the resolver
BL = ("    - {name: bl, zone: bl.test, type: ip4,"
      " codes: {127.0.0.2: {meaning: \"x\", severity: critical}}}\n")
USE = ["msbl-ebl", "surbl-hashbl", "spamhaus-dqs-hbl-email"]


def config(server, emails, use=USE, custom=B32 + BL, extra=""):
    return ("watchlists:\n  - name: out\n    emails: [%s]\n    ips: [192.0.2.1]\n%s"
            "lists:\n  use: [%s]\n  custom:\n%s"
            "resolver:\n  servers: [%s]\n  timeout: 300ms\n  tries: 1\n"
            % (", ".join('"%s"' % e for e in emails), extra, ", ".join(use), custom, server))


ENV = {"SPAMHAUS_DQS_KEY": KEY}


class EmailListsTest(rbltest.ZonesTestCase):
    ZONES = ZONES

    def check(self, emails, fmt="json", use=USE + ["b32", "bl"]):
        r = run(["check", "--format", fmt], config(self.dns.server, emails, use), env=ENV)
        self.assertNotIn("error:", r.err)
        self.assertNotIn("AddressSanitizer", r.err)
        return r

    def test_addresses_listed_by_their_hash(self):
        r = self.check([LISTED, GREY, CLEAN])
        res = by_key(r.json()["results"])
        t = LISTED.lower()
        ebl = res[(t, "msbl-ebl")]
        self.assertEqual((ebl["status"], ebl["severity"], ebl["codes"]),
                         ("listed", "critical", ["127.0.0.2"]))
        self.assertEqual(ebl["txt"], "drop box")
        grey = res[(GREY, "msbl-ebl")]
        self.assertEqual((grey["status"], grey["severity"]), ("listed", "warning"))
        self.assertEqual(res[(CLEAN, "msbl-ebl")]["status"], "clean")
        s = res[(t, "surbl-hashbl")]
        self.assertEqual((s["status"], s["codes"]), ("listed", ["127.0.1.5"]))
        h = res[(t, "spamhaus-dqs-hbl-email")]
        self.assertEqual((h["status"], h["codes"]), ("listed", ["127.0.3.2"]))
        self.assertEqual(res[(t, "b32")]["status"], "listed")
        for a in (GREY, CLEAN):
            self.assertEqual(res[(a, "surbl-hashbl")]["status"], "clean")
            self.assertEqual(res[(a, "spamhaus-dqs-hbl-email")]["status"], "clean")
        # addresses go to email lists only, IPs never to them
        self.assertNotIn((t, "bl"), res)
        self.assertNotIn(("192.0.2.1", "msbl-ebl"), res)
        self.assertEqual(res[("192.0.2.1", "bl")]["status"], "clean")
        self.assertEqual(r.rc, 2)
        text = self.check([LISTED], fmt="text").out
        self.assertIn(t, text)
        self.assertIn("msbl-ebl", text)

    def test_exact_query_names(self):
        with SilentUDP() as silent:
            run(["check", "--format", "json"],
                config(silent.server, [LISTED], USE + ["b32"], B32), env=ENV)
            asked = set(n.lower() for n in silent.queries())
        self.assertIn(sha1(LISTED) + ".ebl.msbl.org", asked)
        self.assertIn(md5(LISTED) + ".hashbl.surbl.org", asked)
        self.assertIn("%s._email.%s.hbl.dq.spamhaus.net" % (sha1(LISTED), KEY), asked)
        self.assertIn(sha256_b32(LISTED).lower() + ".b32.test", asked)
        self.assertIn("1ce37b336e179d4c0ebdd454e8a10b08229c0224.ebl.msbl.org", asked)
        # nothing asked in clear
        self.assertFalse([n for n in asked if "example" in n], asked)

    def test_config_errors(self):
        r = run(["config", "check"],
                "watchlists:\n  - name: out\n    emails: [\"not-an-address\", \"a..b@example.com\"]\n")
        self.assertEqual(r.rc, 3, r.err)
        self.assertIn(":3:14: error: 'not-an-address' is a domain; put it under domains:, not emails:", r.err)
        self.assertIn(":3:32: error: 'a..b@example.com' is not an e-mail address", r.err)
        bad = ("watchlists:\n  - name: out\n    emails: [a@example.com]\n"
               "lists:\n  use: []\n  custom:\n"
               "    - {name: h, zone: h.test, type: email,"
               " hash: {function: sha256, encoding: hex},"
               " codes: {127.0.0.2: {meaning: x, severity: critical}}}\n"
               "    - {name: n, zone: n.test, type: email,"
               " codes: {127.0.0.2: {meaning: x, severity: critical}}}\n")
        r = run(["config", "check"], bad)
        self.assertIn("sha256 in hex is 64 characters, longer than a DNS label (63): "
                      "use encoding: base32", r.err)
        self.assertIn("list 'n': type email needs hash:", r.err)


class NegativePointAloneTest(rbltest.unittest.TestCase):
    """A hash list with only its negative test point is not proven alive by
    it: behind a resolver that answers NXDOMAIN to everything, its clean
    answers are not believed, and no other list is believed because of
    it."""

    def test_unlisted_point_alone_proves_nothing(self):
        from zonedns import ZoneDNS
        codes = '{127.0.0.2: {meaning: "x", severity: critical}}'
        with ZoneDNS({}) as dns:
            cfg = ("watchlists:\n  - name: out\n    emails: [bounces@example.com]\n"
                   "    ips: [192.0.2.1]\n"
                   "lists:\n  use: [e1, ip1]\n  custom:\n"
                   "    - {name: e1, zone: e1.test, type: email, hash: {function: sha1},"
                   " test: {unlisted: nobody@example.com}, codes: %s}\n"
                   "    - {name: ip1, zone: ip1.test, type: ip4, codes: %s}\n"
                   "resolver:\n  servers: [%s]\n  timeout: 1s\n  tries: 2\n"
                   % (codes, codes, dns.server))
            r = run(["check", "--format", "json", "--no-state"], cfg)
        rep = r.json()
        health = {l["name"]: l["health"] for l in rep["lists"]}
        self.assertEqual(health, {"e1": "unreachable", "ip1": "dead"})
        self.assertEqual(sorted(x["status"] for x in rep["results"]),
                         ["error", "error"])
        self.assertEqual(r.rc, 3)


if __name__ == "__main__":
    rbltest.main()
