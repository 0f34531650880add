"""HTTP reputation providers (issue 8) against a real HTTPS server on
127.0.0.1 with a test CA the suite generates: the abuseipdb and snds
presets exactly as shipped (their host names are sent to the local server
with connect_to), a custom JSON provider, CSV and regex answers, error
bodies, 404 meanings, 429 with Retry-After and the pause it starts, the
min_interval cache, the daily limit, a hanging endpoint, an answer too
large, an untrusted certificate, and keys that never leak."""
import glob
import json
import os
import sqlite3

import rbltest
from httpstest import HANG, HttpsServer, TestCA
from rbltest import Workdir, by_key

T0 = 1795766400  # 2026-11-27T08:00:00Z
KEY = "k3y-Sekrit-0123456789abcdef"
ABUSE_HOST = "api.abuseipdb.com"
SNDS_HOST = "sendersupport.olc.protection.outlook.com"


def abuse_answer(scores):
    """AbuseIPDB v2 check answers: score per ipAddress."""
    def answer(rec):
        if rec["headers"].get("key") != KEY:
            return (401, {"Content-Type": "application/json"},
                    json.dumps({"errors": [{"detail": "Authentication failed.",
                                            "status": 401}]}))
        ip = rec["query"].get("ipAddress", "")
        return (200, {"Content-Type": "application/json"}, json.dumps({"data": {
            "ipAddress": ip, "isPublic": True, "ipVersion": 4,
            "isWhitelisted": ip == "192.0.2.7",
            "abuseConfidenceScore": scores.get(ip, 0), "countryCode": "US",
            "totalReports": 3 if scores.get(ip) else 0, "numDistinctUsers": 2,
            "lastReportedAt": None}}))
    return answer


IPSTATUS = "192.0.2.0,192.0.2.3,Yes,Blocked due to user complaints or other evidence of spamming\r\n"
DATA = ("192.0.2.1,11/26/2026 0:00 AM,11/27/2026 0:00 AM,500,480,500,RED,< 0.1%,,,0,mx1,a@x,\r\n"
        "192.0.2.5,11/26/2026 0:00 AM,11/27/2026 0:00 AM,500,480,500,YELLOW,0.4%,"
        "11/26/2026 1:00 AM,11/26/2026 2:00 AM,3,mx1,a@x,\r\n"
        "192.0.2.6,11/26/2026 0:00 AM,11/27/2026 0:00 AM,500,480,500,GREEN,< 0.1%,,,0,mx1,a@x,\r\n")


class ReputationTest(rbltest.unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ca = TestCA()

    @classmethod
    def tearDownClass(cls):
        cls.ca.close()

    def setUp(self):
        self.w = Workdir()

    def tearDown(self):
        self.w.cleanup()

    # -- helpers ---------------------------------------------------------
    def config(self, providers, ips=("192.0.2.1", "192.0.2.5", "192.0.2.9"),
               domains=(), extra=""):
        wl = "watchlists:\n  - name: main\n    ips: [%s]\n" % ", ".join(ips)
        if domains:
            wl += "    domains: [%s]\n" % ", ".join(domains)
        self.w.write_config(wl + "lists:\n  use: []\nreputation:\n" + providers + extra)

    def check(self, args=(), now=T0, env=None):
        e = {"ABUSE_KEY": KEY}
        e.update(env or {})
        r = self.w.run(["check", "--format", "json"] + list(args), env=e, now=now)
        self.assert_not_in_text(r.out + r.err)
        return r

    def assert_not_in_text(self, text):
        """Neither the key nor a piece of it long enough to matter."""
        for i in range(len(KEY) - 9):
            self.assertNotIn(KEY[i:i + 10], text)

    def state_bytes(self):
        data = b""
        for f in glob.glob(self.w.db + "*"):
            with open(f, "rb") as fh:
                data += fh.read()
        return data

    def assert_no_leak(self):
        data = self.state_bytes()
        for i in range(len(KEY) - 9):
            self.assertNotIn(KEY[i:i + 10].encode(), data)

    def custom(self, srv, path, extra="", name="api", fmt="json"):
        return ("  - name: %s\n    url: %s?ip={ip}&apikey={key}\n    key: ${ABUSE_KEY}\n"
                "    ca_file: %s\n    format: %s\n%s"
                % (name, srv.url(path), self.ca.ca_file, fmt, extra))

    # -- presets -----------------------------------------------------------
    def test_abuseipdb_preset(self):
        routes = {"/api/v2/check": abuse_answer({"192.0.2.1": 90, "192.0.2.5": 30})}
        with HttpsServer(self.ca, routes) as s:
            self.config("  - name: abuseipdb\n    preset: abuseipdb\n"
                        "    key: ${ABUSE_KEY}\n    ca_file: %s\n    connect_to: %s\n"
                        % (self.ca.ca_file, s.connect_to(ABUSE_HOST)),
                        ips=("192.0.2.1", "192.0.2.5", "192.0.2.7", "192.0.2.9"))
            r = self.check()
            self.assertEqual(r.rc, 2, r.err)
            res = by_key(r.json()["results"])
            a = res[("192.0.2.1", "abuseipdb")]
            self.assertEqual((a["status"], a["severity"]), ("listed", "critical"))
            self.assertEqual(a["reasons"], ["AbuseIPDB confidence of abuse 75% or more"])
            self.assertIn("abuseConfidenceScore=90", a["txt"])
            self.assertIn("totalReports=3", a["txt"])
            self.assertEqual(a["delist"]["url"] if isinstance(a["delist"], dict)
                             else a["delist"], "https://www.abuseipdb.com/")
            b = res[("192.0.2.5", "abuseipdb")]
            self.assertEqual((b["status"], b["severity"]), ("listed", "warning"))
            w = res[("192.0.2.7", "abuseipdb")]
            self.assertEqual((w["status"], w["severity"]), ("clean", "good"))
            self.assertEqual(res[("192.0.2.9", "abuseipdb")]["status"], "clean")
            # the v2 request, as documented: query and headers
            hits = s.hits("/api/v2/check")
            self.assertEqual(len(hits), 4)
            self.assertEqual(hits[0]["query"]["maxAgeInDays"], "90")
            self.assertEqual(hits[0]["headers"]["accept"], "application/json")
            self.assertEqual(hits[0]["headers"]["host"], ABUSE_HOST)
            self.assertTrue(hits[0]["headers"]["user-agent"].startswith("rblmon/"))
            lists = {l["name"]: l for l in r.json()["lists"]}
            self.assertEqual(lists["abuseipdb"]["health"], "ok")
            self.assertEqual(lists["abuseipdb"]["queries"], 4)
            self.assert_no_leak()
            # "rblmon lists" shows the provider and its health, asking nothing
            ls = self.w.run(["lists", "--format", "json"], env={"ABUSE_KEY": KEY})
            p = ls.json()["providers"]
            self.assertEqual([(x["name"], x["preset"], x["health"], x["daily_limit"])
                              for x in p], [("abuseipdb", "abuseipdb", "ok", 1000)])
            self.assertEqual(len(s.hits("/api/v2/check")), 4)
            # config check says when the key variable is missing here
            cc = self.w.run(["config", "check"])
            self.assertEqual(cc.rc, 0)
            self.assertIn("1 reputation provider", cc.out)
            self.assertIn("warning: provider abuseipdb needs a key: set $ABUSE_KEY", cc.err)

    def test_snds_preset(self):
        routes = {"/snds/ipStatus.aspx": (200, {"Content-Type": "text/plain"}, IPSTATUS),
                  "/snds/data.aspx": (200, {"Content-Type": "text/csv"}, DATA)}
        with HttpsServer(self.ca, routes) as s:
            self.config("  - name: snds\n    preset: snds\n    key: ${ABUSE_KEY}\n"
                        "    ca_file: %s\n    connect_to: %s\n"
                        % (self.ca.ca_file, s.connect_to(SNDS_HOST)),
                        ips=("192.0.2.0/29",))
            r = self.check()
            self.assertEqual(r.rc, 2, r.err)
            res = by_key(r.json()["results"])
            # ipStatus: one request for all eight addresses, ranges matched
            self.assertEqual(len(s.hits("/snds/ipStatus.aspx")), 1)
            self.assertEqual(s.hits("/snds/ipStatus.aspx")[0]["query"]["key"], KEY)
            for ip in ("192.0.2.0", "192.0.2.1", "192.0.2.3"):
                x = res[(ip, "snds")]
                self.assertEqual((x["status"], x["severity"]), ("listed", "critical"), ip)
                self.assertIn("Blocked due to user complaints", x["txt"])
            for ip in ("192.0.2.4", "192.0.2.7"):
                self.assertEqual(res[(ip, "snds")]["status"], "clean")
            # data.aspx: filter result, trap hits, complaint rate
            self.assertEqual(len(s.hits("/snds/data.aspx")), 1)
            red = res[("192.0.2.1", "snds-data")]
            self.assertEqual((red["status"], red["severity"]), ("listed", "critical"))
            self.assertIn("RED", red["reasons"][0])
            yellow = res[("192.0.2.5", "snds-data")]
            self.assertEqual((yellow["status"], yellow["severity"]), ("listed", "warning"))
            self.assertEqual(len(yellow["reasons"]), 3, yellow)  # YELLOW, traps, complaints
            green = res[("192.0.2.6", "snds-data")]
            self.assertEqual((green["status"], green["severity"]), ("clean", "good"))
            self.assertEqual(res[("192.0.2.2", "snds-data")]["status"], "clean")
            self.assert_no_leak()

    def test_preset_rejects_changes_it_does_not_take(self):
        self.config("  - name: x\n    preset: abuseipdb\n    key: ${ABUSE_KEY}\n"
                    "    url: https://example.net/\n")
        r = self.w.run(["config", "check"])
        self.assertEqual(r.rc, 3)
        self.assertRegex(r.err, r"rblmon\.yaml:\d+:\d+: error: 'url' cannot be changed "
                                r"on preset abuseipdb")

    # -- a custom JSON provider ------------------------------------------------
    def test_custom_json_provider(self):
        def answer(rec):
            ip = rec["query"]["ip"]
            if ip == "192.0.2.9":
                return (404, {}, "not seen")
            return (200, {"Content-Type": "application/json"}, json.dumps({
                "result": {"ip": ip, "verdict": {"192.0.2.1": "bad"}.get(ip, "neutral"),
                           "score": {"192.0.2.1": 97.5}.get(ip, 1)},
                "meta": {"day": rec["query"]["day"]}}))
        with HttpsServer(self.ca, {"/v1/ip": answer}) as s:
            self.config(
                "  - name: myrep\n    url: %s?ip={ip}&day={date:%%Y%%m%%d}\n"
                "    headers: {Authorization: 'Bearer ${ABUSE_KEY}', X-Req: '{ip}'}\n"
                "    ca_file: %s\n    pointer: /result/score\n"
                "    detail: /result/verdict\n    not_found: clean\n"
                "    rules:\n      - {critical: [bad, evil], pointer: /result/verdict, "
                "reason: 'my API says bad'}\n"
                "      - {warning: '> 50'}\n"
                % (s.url("/v1/ip"), self.ca.ca_file))
            r = self.check()
            self.assertEqual(r.rc, 2, r.err)
            res = by_key(r.json()["results"])
            bad = res[("192.0.2.1", "myrep")]
            self.assertEqual((bad["status"], bad["severity"]), ("listed", "critical"))
            # the warning threshold on the score is its own reason
            self.assertEqual(sorted(bad["reasons"]),
                             sorted(["my API says bad", "/result/score > 50"]))
            self.assertEqual(res[("192.0.2.5", "myrep")]["status"], "clean")
            self.assertEqual(res[("192.0.2.9", "myrep")]["status"], "clean")  # 404
            hit = s.hits("/v1/ip")[0]
            self.assertEqual(hit["headers"]["authorization"], "Bearer " + KEY)
            self.assertEqual(hit["query"]["day"], "20261127")
            self.assertIn(hit["headers"]["x-req"], ("192.0.2.1", "192.0.2.5", "192.0.2.9"))

    def test_error_if_in_a_200_body(self):
        body = json.dumps({"success": False, "message": "Invalid key \x1b[31mred"})
        with HttpsServer(self.ca, {"/q": (200, {"Content-Type": "application/json"}, body)}) as s:
            self.config(self.custom(s, "/q", "    pointer: /score\n    error_if: "
                                    "{pointer: /success, is: 'false', message: /message}\n"
                                    "    rules: [{critical: '>= 1'}]\n"),
                        ips=("192.0.2.1",))
            r = self.check()
            self.assertEqual(r.rc, 3, r.err)
            x = r.json()["results"][0]
            self.assertEqual(x["status"], "error")
            self.assertIn("the provider reports an error: Invalid key ?[31mred", x["error"])
            self.assertNotIn("\x1b", r.out)

    def test_regex_and_csv_formats(self):
        routes = {"/txt": lambda rec: (200, {}, "ip %s score=%s\n" % (
                      rec["query"]["ip"], "88" if rec["query"]["ip"] == "192.0.2.1" else "3")),
                  "/csv": (200, {}, 'ip,state\r\n"192.0.2.5","listed, ""badly"""\r\n')}
        with HttpsServer(self.ca, routes) as s:
            self.config(
                self.custom(s, "/txt", "    regex: 'score=([0-9]+)'\n"
                            "    rules: [{critical: '>= 80'}]\n", name="rx", fmt="regex") +
                "  - name: table\n    url: %s\n    ca_file: %s\n    format: csv\n"
                "    match: {column: 1}\n    column: 2\n    not_found: clean\n"
                "    rules: [{warning: 'listed, \"badly\"'}]\n" % (s.url("/csv"), self.ca.ca_file))
            r = self.check()
            res = by_key(r.json()["results"])
            self.assertEqual(res[("192.0.2.1", "rx")]["severity"], "critical")
            self.assertEqual(res[("192.0.2.5", "rx")]["status"], "clean")
            self.assertEqual(res[("192.0.2.5", "table")]["severity"], "warning")
            self.assertEqual(res[("192.0.2.1", "table")]["status"], "clean")
            self.assertEqual(r.rc, 2)

    # -- bad answers -------------------------------------------------------------
    def bad(self, answer, extra="", expect=None, ips=("192.0.2.1",)):
        with HttpsServer(self.ca, {"/q": answer}) as s:
            self.config(self.custom(s, "/q", "    pointer: /score\n" + extra +
                                    "    rules: [{critical: '>= 50'}]\n"), ips=ips)
            r = self.check()
            self.assertEqual(r.rc, 3, r.out + r.err)  # not clean: nothing checked
            for x in r.json()["results"]:
                self.assertEqual(x["status"], "error")
                self.assertEqual(x["source"], "api")
                if expect:
                    self.assertRegex(x["error"], expect)
            self.assert_no_leak()
            return r, s

    def test_malformed_json(self):
        self.bad((200, {"Content-Type": "application/json"}, '{"score": 12,'),
                 expect=r"malformed JSON at line 1")

    def test_missing_pointer(self):
        self.bad((200, {}, '{"data": {}}'), expect=r"the answer has no /score")

    def test_not_a_number(self):
        self.bad((200, {}, '{"score": "high"}'), expect=r'score is "high", not a number')

    def test_html_error_page(self):
        self.bad((200, {"Content-Type": "text/html"},
                  "<html><body><h1>Maintenance</h1></body></html>"),
                 expect=r"HTML page, not json: .*Maintenance")

    def test_server_error_echoing_the_key(self):
        r, _ = self.bad(lambda rec: (500, {}, "internal error for key %s" % KEY),
                        expect=r"HTTP 500: internal error for key \*\*\*\*")

    def test_answer_too_large(self):
        self.bad((200, {}, '{"score": 1, "pad": "%s"}' % ("x" * 5000)),
                 extra="    max_size: 1024\n", expect=r"larger than 1024 bytes")

    def test_hanging_endpoint(self):
        r, s = self.bad(HANG, extra="    timeout: 500ms\n",
                        ips=("192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4",
                             "192.0.2.5", "192.0.2.6"),
                        expect=r"no complete answer within 500 ms|requests in a row failed")
        # after three timeouts in a row the provider is not asked further
        self.assertLessEqual(len(s.hits("/q")), 3 + 3)
        lists = {l["name"]: l for l in r.json()["lists"]}
        self.assertEqual(lists["api"]["health"], "unreachable")

    def test_untrusted_certificate(self):
        with HttpsServer(self.ca, {"/q": (200, {}, '{"score": 1}')}, rogue=True) as s:
            self.config(self.custom(s, "/q", "    pointer: /score\n"
                                    "    rules: [{critical: '>= 50'}]\n"), ips=("192.0.2.1",))
            r = self.check()
            self.assertEqual(r.rc, 3)
            x = r.json()["results"][0]
            self.assertEqual(x["status"], "error")
            self.assertIn("certificate is not trusted", x["error"])
            self.assertEqual(s.hits("/q"), [])  # nothing was sent to it

    def test_key_refused(self):
        r, s = self.bad(lambda rec: (403, {}, "Forbidden: " + "x" * 90 + KEY),
                        expect=r"HTTP 403: .*check the key|refused the request",
                        ips=("192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4",
                             "192.0.2.5", "192.0.2.6"))
        # a refused key is not tried again and again (quota, lockouts)
        self.assertLessEqual(len(s.hits("/q")), 4)
        lists = {l["name"]: l for l in r.json()["lists"]}
        self.assertEqual(lists["api"]["health"], "refusing")

    def test_deadline_covers_providers(self):
        with HttpsServer(self.ca, {"/q": HANG}) as s:
            self.config(self.custom(s, "/q", "    pointer: /score\n    timeout: 60s\n"
                                    "    rules: [{critical: '>= 50'}]\n"),
                        ips=("192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4",
                             "192.0.2.5", "192.0.2.6"),
                        extra="resolver:\n  deadline: 1s\n")
            r = self.check()
            self.assertEqual(r.rc, 3)
            res = r.json()["results"]
            self.assertEqual(len(res), 6)  # every pair has its result
            self.assertTrue(all("deadline (resolver.deadline) was reached" in x["error"]
                                for x in res), res)
            self.assertLess(r.json()["summary"]["seconds"], 30)

    def test_csv_error_page_is_not_clean(self):
        routes = {"/snds/ipStatus.aspx": (200, {"Content-Type": "text/plain"},
                                          '{"error": "invalid key"}'),
                  "/snds/data.aspx": (200, {}, "Invalid key\r\n")}
        with HttpsServer(self.ca, routes) as s:
            self.config("  - name: snds\n    preset: snds\n    key: ${ABUSE_KEY}\n"
                        "    ca_file: %s\n    connect_to: %s\n"
                        % (self.ca.ca_file, s.connect_to(SNDS_HOST)), ips=("192.0.2.1",))
            r = self.check()
            self.assertEqual(r.rc, 3)
            for x in r.json()["results"]:
                self.assertEqual(x["status"], "error", x)
                self.assertIn("not the expected CSV", x["error"])

    # -- quotas, cache, limits -----------------------------------------------------
    def test_429_pauses_the_provider(self):
        limited = {"on": True}

        def answer(rec):
            if limited["on"]:
                return (429, {"Retry-After": "Fri, 27 Nov 2026 08:10:00 GMT",
                              "Content-Type": "application/json"},
                        json.dumps({"errors": [{"detail": "Daily rate limit of 1000 "
                                                "requests exceeded for key " + KEY,
                                                "status": 429}]}))
            return (200, {}, '{"score": 1}')
        with HttpsServer(self.ca, {"/q": answer}) as s:
            self.config(self.custom(s, "/q", "    pointer: /score\n"
                                    "    rules: [{critical: '>= 50'}]\n"
                                    "    min_interval: 0s\n"),
                        ips=("192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4",
                             "192.0.2.5", "192.0.2.6", "192.0.2.7", "192.0.2.8"))
            r = self.check()
            self.assertEqual(r.rc, 3)  # nothing could be checked
            res = r.json()["results"]
            self.assertTrue(all(x["status"] == "error" for x in res))
            self.assertTrue(any("rate limited (HTTP 429)" in x["error"] for x in res))
            self.assertTrue(any("not asked again before 2026-11-27 08:10 UTC" in x["error"]
                                for x in res), res)
            first = len(s.hits("/q"))
            self.assertLessEqual(first, 4)  # the window in flight, no more
            lists = {l["name"]: l for l in r.json()["lists"]}
            self.assertEqual(lists["api"]["health"], "refusing")
            # five minutes later: still paused, nothing is sent
            limited["on"] = False
            r = self.check(now=T0 + 300)
            self.assertEqual(len(s.hits("/q")), first)
            self.assertTrue(all("paused until 2026-11-27 08:10 UTC" in x["error"]
                                for x in r.json()["results"]))
            # after Retry-After: asked again
            r = self.check(now=T0 + 601)
            self.assertEqual(r.rc, 0, r.out)
            self.assertEqual(len(s.hits("/q")), first + 8)
            self.assert_no_leak()  # the pause's reason quoted the body

    def test_min_interval_cache(self):
        with HttpsServer(self.ca, {"/q": lambda rec: (200, {}, '{"score": %d}' % (
                90 if rec["query"]["ip"] == "192.0.2.1" else 0))}) as s:
            self.config(self.custom(s, "/q", "    pointer: /score\n"
                                    "    rules: [{critical: '>= 50'}, {warning: '>= 5'}]\n"
                                    "    min_interval: 2h\n"), ips=("192.0.2.1", "192.0.2.2"))
            r1 = self.check()
            self.assertEqual(r1.rc, 2)
            self.assertEqual(len(s.hits("/q")), 2)
            r2 = self.check(now=T0 + 3600)
            self.assertEqual(r2.rc, 2)
            self.assertEqual(len(s.hits("/q")), 2)  # from the state
            x = by_key(r2.json()["results"])[("192.0.2.1", "api")]
            self.assertEqual((x["status"], x["severity"]), ("listed", "critical"))
            self.assertIn("(answer of 2026-11-27 08:00 UTC)", x["txt"])
            self.assertEqual(x["reasons"], ["/score >= 50"])
            # the listing stays one episode, with no change reported
            st = self.w.run(["status", "--format", "json"], now=T0 + 3600)
            self.assertIn("192.0.2.1", st.out)
            r3 = self.check(now=T0 + 2 * 3600 + 1)
            self.assertEqual(len(s.hits("/q")), 4)
            self.assertEqual(r3.rc, 2)

    def test_daily_limit(self):
        with HttpsServer(self.ca, {"/q": (200, {}, '{"score": 0}')}) as s:
            self.config(self.custom(s, "/q", "    pointer: /score\n"
                                    "    rules: [{critical: '>= 50'}]\n"
                                    "    min_interval: 0s\n    daily_limit: 5\n"))
            r = self.check()
            self.assertEqual(r.rc, 0)
            r = self.check(now=T0 + 60)
            self.assertEqual(r.rc, 1)
            self.assertEqual(len(s.hits("/q")), 5)
            res = r.json()["results"]
            self.assertEqual(sorted(x["status"] for x in res), ["clean", "clean", "skipped"])
            self.assertTrue(any("daily_limit of 5" in (x["error"] or "") for x in res))

    # -- state, changes, reminders -----------------------------------------------------
    def test_listing_has_state_changes_and_reminder(self):
        scores = {"192.0.2.1": 90}
        routes = {"/api/v2/check": abuse_answer(scores)}
        with HttpsServer(self.ca, routes) as s:
            self.config("  - name: abuseipdb\n    preset: abuseipdb\n"
                        "    key: ${ABUSE_KEY}\n    ca_file: %s\n    connect_to: %s\n"
                        "    min_interval: 0s\n"
                        % (self.ca.ca_file, s.connect_to(ABUSE_HOST)),
                        ips=("192.0.2.1",))
            r = self.w.run(["check"], env={"ABUSE_KEY": KEY}, now=T0)
            self.assertEqual(r.rc, 2, r.err)
            self.assertIn("LISTED", r.out)
            self.assertIn("abuseipdb", r.out)
            rem = self.w.run(["remind"], now=T0 + 60)
            self.assertIn("https://www.abuseipdb.com/", rem.out)
            st = self.w.run(["status"], now=T0 + 60)
            self.assertIn("abuseipdb", st.out)
            scores["192.0.2.1"] = 40
            r = self.w.run(["check", "--changes-only"], env={"ABUSE_KEY": KEY}, now=T0 + 3600)
            self.assertEqual(r.rc, 1)
            self.assertIn("critical -> warning", r.out)
            scores["192.0.2.1"] = 0
            r = self.w.run(["check", "--changes-only"], env={"ABUSE_KEY": KEY},
                           now=T0 + 7200)
            self.assertEqual(r.rc, 0)
            self.assertIn("DELISTED", r.out)
            db = sqlite3.connect(self.w.db)
            n = db.execute("SELECT count(*) FROM episodes WHERE source = 'abuseipdb'").fetchone()
            self.assertEqual(n[0], 1)
            db.close()
            self.assert_no_leak()

    def test_listing_reaches_the_notification_hook(self):
        hook = os.path.join(self.w.dir, "hook")
        with open(hook, "w") as f:
            f.write('#!/bin/sh\ncat > "%s/hook.stdin"\nenv > "%s/hook.env"\n'
                    % (self.w.dir, self.w.dir))
        os.chmod(hook, 0o755)
        body = json.dumps({"score": 99, "why": "abuse from %s \x1b[31m" % KEY})
        with HttpsServer(self.ca, {"/q": (200, {}, body)}) as s:
            self.config(self.custom(s, "/q", "    pointer: /score\n    detail: /why\n"
                                    "    rules: [{critical: '>= 50', reason: 'score high'}]\n"
                                    "    delist: {url: 'https://rep.example/remove'}\n"),
                        ips=("192.0.2.1",),
                        extra="notify:\n  command: {argv: [%s]}\n" % hook)
            r = self.check(["--changes-only"])
            self.assertEqual(r.rc, 2, r.err)
        with open(os.path.join(self.w.dir, "hook.stdin")) as f:
            text = f.read()
        ev = rbltest.json_doc(text)["events"][0]
        self.assertEqual((ev["event"], ev["target"], ev["source"]),
                         ("listed", "192.0.2.1", "api"))
        self.assertIn("https://rep.example/remove", text)
        with open(os.path.join(self.w.dir, "hook.env")) as f:
            env = f.read()
        # the key that the answer echoed reaches neither the hook nor its
        # environment, and the terminal escape is not passed on raw
        self.assertNotIn(KEY, text + env + r.out)
        self.assertNotIn("\x1b", text + env + r.out)
        self.assert_no_leak()

    # -- configuration ---------------------------------------------------------------
    def test_secrets_in_configuration(self):
        cases = [
            ("    key: abcdef\n", r"key must name an environment variable"),
            ("    key_file: key.txt\n", r"key_file .*key\.txt can be read by group or others "
                                        r"\(mode 0644\); run chmod 600"),
        ]
        with open(os.path.join(self.w.dir, "key.txt"), "w") as f:
            f.write(KEY + "\n")
        os.chmod(os.path.join(self.w.dir, "key.txt"), 0o644)
        for extra, msg in cases:
            self.config("  - name: p\n    url: https://127.0.0.1/{ip}?k={key}\n" + extra +
                        "    pointer: /x\n    rules: [{critical: '>= 1'}]\n")
            r = self.w.run(["config", "check"])
            self.assertEqual(r.rc, 3, extra)
            self.assertRegex(r.err, r"rblmon\.yaml:\d+:\d+: error: " + msg)
        self.config("  - name: p\n    url: http://127.0.0.1/{ip}?k={key}\n"
                    "    key: ${ABUSE_KEY}\n    pointer: /x\n    rules: [{critical: '>= 1'}]\n")
        r = self.w.run(["config", "check"])
        self.assertEqual(r.rc, 3)
        self.assertIn("sends a secret: its url must use https://", r.err)

    def test_key_file_and_missing_key(self):
        kf = os.path.join(self.w.dir, "key.txt")
        with open(kf, "w") as f:
            f.write(KEY + "\n")
        os.chmod(kf, 0o600)
        with HttpsServer(self.ca, {"/q": (200, {}, '{"score": 0}')}) as s:
            self.config("  - name: api\n    url: %s?ip={ip}&apikey={key}\n    key_file: key.txt\n"
                        "    ca_file: %s\n    pointer: /score\n    rules: [{critical: '>= 1'}]\n"
                        "  - name: other\n    url: %s?ip={ip}&k={key}\n    key: ${NOT_SET_KEY}\n"
                        "    ca_file: %s\n    pointer: /score\n    rules: [{critical: '>= 1'}]\n"
                        % (s.url("/q"), self.ca.ca_file, s.url("/q"), self.ca.ca_file),
                        ips=("192.0.2.1",))
            r = self.check()
            res = by_key(r.json()["results"])
            self.assertEqual(res[("192.0.2.1", "api")]["status"], "clean")
            self.assertEqual(s.hits("/q")[0]["query"]["apikey"], KEY)
            o = res[("192.0.2.1", "other")]
            self.assertEqual(o["status"], "skipped")
            self.assertIn("needs a key: set $NOT_SET_KEY", o["error"])
            self.assertEqual(r.rc, 1)
            self.assertEqual(len(s.hits("/q")), 1)

    def test_bad_provider_definitions(self):
        cases = [
            ("  - name: p\n    url: https://x.test/{ip}\n", r"needs rules"),
            ("  - name: p\n    url: https://x.test/{ip}\n    rules: [{critical: high}]\n",
             r"rule 1 has no pointer"),
            ("  - name: p\n    url: https://x.test/{ip}\n    pointer: /a\n"
             "    rules: [{critical: '>= lots'}]\n", r"a comparison needs a number"),
            ("  - name: p\n    url: https://x.test/{ip}\n    pointer: /a\n"
             "    rules: [{critical: '>= 1', warning: '>= 0'}]\n", r"exactly one of ok"),
            ("  - name: p\n    preset: spamhaus\n", r"preset 'spamhaus' is unknown"),
            ("  - name: p\n    url: https://x.test/all.json\n    pointer: /score\n"
             "    rules: [{critical: '>= 1'}]\n", r"a pointer must name the target"),
            ("  - name: p\n    url: https://x.test/{ip}?k=${1BAD\n    pointer: /a\n"
             "    rules: [{critical: '>= 1'}]\n", r"write a variable as"),
            ("  - name: p\n    url: https://x.test/all.csv\n    format: csv\n    column: 2\n"
             "    rules: [{critical: 'Yes'}]\n", r"needs match"),
            ("  - name: p\n    url: https://x.test/{domain}\n    pointer: /a\n"
             "    targets: ip4\n    rules: [{critical: '>= 1'}]\n",
             r"\{domain\} needs targets: domain"),
            ("  - name: p\n    url: ftp://x.test/{ip}\n    pointer: /a\n"
             "    rules: [{critical: '>= 1'}]\n", r"must start with https://"),
            ("  - name: p\n    url: https://x.test/{ip}\n    pointer: a/b\n"
             "    rules: [{critical: '>= 1'}]\n", r"must be a JSON pointer"),
            ("  - name: p\n    url: https://x.test/{ip}\n    pointer: /a\n"
             "    headers: {'Bad Name': x}\n    rules: [{critical: '>= 1'}]\n",
             r"not a valid HTTP field name"),
        ]
        for text, msg in cases:
            self.config(text)
            r = self.w.run(["config", "check"])
            self.assertEqual(r.rc, 3, text)
            self.assertRegex(r.err, r"rblmon\.yaml:\d+:\d+: error: .*" + msg, text)

    def test_domain_provider(self):
        with HttpsServer(self.ca, {"/d": lambda rec: (200, {}, json.dumps(
                {"domains": {rec["query"]["d"]: {"listed": rec["query"]["d"] == "bad.example"}}}))}) as s:
            self.config("  - name: dom\n    url: %s?d={domain}\n    ca_file: %s\n"
                        "    pointer: /domains/{domain}/listed\n    rules: [{critical: 'true'}]\n"
                        % (s.url("/d"), self.ca.ca_file),
                        ips=("192.0.2.1",), domains=("bad.example", "good.example"))
            r = self.check()
            res = by_key(r.json()["results"])
            self.assertEqual(res[("bad.example", "dom")]["severity"], "critical")
            self.assertEqual(res[("good.example", "dom")]["status"], "clean")
            self.assertNotIn(("192.0.2.1", "dom"), res)  # IPs do not go to it
            self.assertEqual(len(s.hits("/d")), 2)


if __name__ == "__main__":
    rbltest.main()
