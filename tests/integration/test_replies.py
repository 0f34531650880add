"""How rblmon reads the text of a receiver's reply: one line of our own for
every class of reply the real-world corpus showed (test_corpus.py judges
the corpus itself).  Each row is a Postfix bounce line carrying a reply
(tests/logs/replies.log, written from ROWS);
the cause, the list it names (zone or operator), the receiver's own code
(block) and the receiver requirement are checked.  Replies in other
languages are read under the C locale and a UTF-8 one alike."""
import os
import re
import shutil
import tempfile
import unittest

import rbltest

G = "gmail-smtp-in.l.google.com"
M = "example-com.mail.protection.outlook.com"
Y = "mta7.am0.yahoodns.net"
O = "smtp-in.orange.fr"
X = "mx.example.net"

# host, reply (code and enhanced code first), cause, detail or None,
# (zone or operator) or None, block or None, requirement id or None
ROWS = [
    # the stated reason wins over the receiver's generic rule and words
    (G, "550-5.7.25 The IP address sending this message does not have a PTR record setup, or the corresponding forward DNS entry does not point to the sending IP. - gsmtp",
     "configuration", "ptr", None, None, "gmail-ptr"),
    (G, "421-4.7.32 Your email has been rate limited because the From: header (RFC5322) in this message isn't aligned with either the authenticated SPF or DKIM organizational domain. - gsmtp",
     "authentication", "dmarc", None, None, "gmail-dmarc-alignment"),
    (G, "421-4.7.27 Your email has been rate limited because SPF authentication didn't pass for this message. - gsmtp",
     "authentication", "spf", None, None, "gmail-spf"),
    (G, "550-5.7.26 This mail has been blocked because the sender is unauthenticated. - gsmtp",
     "authentication", "dmarc", None, None, "gmail-unauthenticated"),
    (G, "452-4.2.2 The recipient's inbox is out of storage space. Please direct the recipient to clear space. Try again later. - gsmtp",
     "recipient", "mailbox-full", None, None, None),
    # recipient-side causes
    (X, "550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown in virtual mailbox table",
     "recipient", "unknown-user", None, None, None),
    (X, "552 5.2.2 Mailbox quota exceeded, please try again later", "recipient", "mailbox-full", None, None, None),
    (X, "550 5.2.1 This account has been disabled for inactivity", "recipient", "disabled", None, None, None),
    (X, "550 Sorry, this mailbox doesn\u2019t exist", "recipient", None, None, None, None),
    (X, "550 Requested action not taken: mailbox unavailable", "recipient", None, None, None, None),
    (X, "550 5.1.2 Host unknown: no such domain", "recipient", None, None, None, None),
    # "blocked" about the recipient or the content is not our reputation
    (X, "550 5.7.1 Recipient address rejected: blocked account", "recipient", None, None, None, None),
    (X, "554 5.7.1 Message blocked: content presents a potential security issue", "content", None, None, None, None),
    (X, "451 4.7.1 Greylisted, please try again in 300 seconds (spam protection)", "policy", "greylist", None, None, None),
    (X, "451 4.3.0 Temporary server error. Please try again later", "unknown", None, None, None, None),
    # words of the recipient's side in a reply about our sending
    (X, "554 5.7.1 Your IP address has been suspended for spamming, listed in zen.spamhaus.org",
     "blocklist", None, "zen.spamhaus.org", None, None),
    (X, "550 5.7.1 Connection refused: IP 192.0.2.25 listed by bl.spamcop.net; this message has moved",
     "blocklist", None, "bl.spamcop.net", None, None),
    (X, "535 5.7.139 Authentication unsuccessful, the user account is disabled",
     "configuration", "smtp-auth", None, None, None),
    (X, "550 5.7.1 Sender domain does not exist", "policy", "sender", None, None, None),
    (X, "550 5.7.25 The PTR record for your IP does not exist", "configuration", "ptr", None, None, None),
    # broad words do not beat what the reply states
    (X, "421 4.7.0 Too many concurrent connections from your IP, please retry later",
     "rate-limit", None, None, None, None),
    (X, "554 5.7.1 Email rejected per DMARC policy for example.com (From header domain)",
     "authentication", "dmarc", None, None, None),
    (X, "550 5.7.1 DKIM signature header invalid", "authentication", "dkim", None, None, None),
    (X, "554 5.7.1 Your host is blacklisted at bl.spamcop.net", "blocklist", None, "bl.spamcop.net",
     None, None),
    (G, "421-4.7.0 Try again later, closing connection. (EHLO) x1si2 - gsmtp",
     "unknown", None, None, None, None),
    # phrase families
    (X, "535 5.7.8 Authentication credentials invalid", "configuration", "smtp-auth", None, None, None),
    (X, "530 5.7.0 Authentication required", "configuration", "smtp-auth", None, None, None),
    (X, "554 5.7.1 <carol@example.org>: Relay access denied", "configuration", "relay", None, None, None),
    (X, "550 5.7.1 This system is not configured to relay mail for you", "configuration", "relay", None, None, None),
    (X, "552 5.3.4 Message size exceeds fixed maximum message size", "policy", "size", None, None, None),
    (X, "550 5.6.0 Line too long in the message headers", "content", "format", None, None, None),
    (X, "554 5.6.0 Message is not RFC 5322 compliant: duplicate From header", "content", "format", None, None, None),
    (X, "421 4.7.0 Too many messages per hour from your IP, slow down", "rate-limit", None, None, None, None),
    (X, "450 4.7.1 Ip frequency limited", "rate-limit", None, None, None, None),
    (X, "550 5.7.26 Multiple authentication checks failed", "authentication", "dmarc", None, None, None),
    (X, "550 5.7.1 Sender address rejected: Domain not found", "policy", "sender", None, None, None),
    # lists named in words or by URL, the receiver's code kept beside them
    (X, "554 5.7.1 Service unavailable; Client host [192.0.2.25] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.25",
     "blocklist", None, "zen.spamhaus.org", None, None),
    ("smtp.secureserver.net", "554 Connection refused. This IP address is listed on the Exploits Block List (XBL). IB105",
     "blocklist", None, "xbl.spamhaus.org", "IB105", None),
    (Y, "553 5.7.1 [BL21] Connections will not be accepted from 192.0.2.25, because the ip is in Spamhaus's list; see http://postmaster.yahoo.com/errors/550-bl21.html",
     "blocklist", None, "Spamhaus", "BL21", None),
    (O, "550 5.7.1 Service refuse. Veuillez essayer plus tard. Client host blocked for spamming issues. OFR006_102 Ref http://csi.cloudmark.com/reset-request/?ip=192.0.2.25",
     "blocklist", None, "Cloudmark", "OFR006_102", None),
    (X, "554 Blocked - see https://ipcheck.proofpoint.com/?ip=192.0.2.25", "blocklist", None, "Proofpoint", None, None),
    (X, "550 5.7.1 Rejected: see https://talosintelligence.com/reputation_center/lookup?search=192.0.2.25",
     "blocklist", None, "Cisco Talos", None, None),
    (X, "554 5.7.1 Your IP 192.0.2.25 is listed in the Spamhaus Block List (SBL)", "blocklist", None, "sbl.spamhaus.org", None, None),
    # the receiver's own query failed: not about us
    (X, "554 5.7.1 Service unavailable; Client host [192.0.2.25] blocked using zen.spamhaus.org; Error: open resolver; https://www.spamhaus.org/returnc/pub/203.0.113.5",
     "receiver-error", None, "zen.spamhaus.org", None, None),
    (X, "554 5.7.1 Rejected: 192.0.2.25 listed at bl.example.org (127.255.255.254)", "receiver-error", None,
     "bl.example.org", None, None),
    # receiver requirements
    (M, "550 5.7.1 Unfortunately, messages from [192.0.2.25] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150).",
     "reputation", None, None, "S3150", "microsoft-ip-block"),
    (M, "550 5.7.515 Access denied, sending domain example.com doesn't meet the required authentication level.",
     "authentication", None, None, None, "microsoft-high-volume-auth"),
    (M, "550 5.7.606 Access denied, banned sending IP [192.0.2.25].", "reputation", None, None, None, "microsoft-banned-ip"),
    (Y, "421 4.7.0 [TSS04] Messages from 192.0.2.25 temporarily deferred due to unexpected volume or user complaints",
     "reputation", None, None, "TSS04", "yahoo-tss04"),
    # other languages
    (X, "550 5.1.1 Benutzer unbekannt", "recipient", None, None, None, None),
    (X, "550 Ihre Nachricht wurde als Spam erkannt", "content", None, None, None, None),
    (X, "550 5.1.1 Destinataire inconnu", "recipient", None, None, None, None),
    (X, "421 Trop de connexions, essayez plus tard", "rate-limit", None, None, None, None),
    (X, "550 Usuario desconocido", "recipient", None, None, None, None),
    (X, "554 Mensaje detectado como spam", "content", None, None, None, None),
    (X, "550 Utente sconosciuto", "recipient", None, None, None, None),
    (X, "452 Troppe connessioni dal tuo indirizzo", "rate-limit", None, None, None, None),
    (X, "550 Usuario desconhecido", "recipient", None, None, None, None),
    (X, "554 Mensagem marcada como spam", "content", None, None, None, None),
    (X, "550 Пользователь не найден", "recipient", None, None, None, None),
    (X, "554 Сообщение отклонено как спам", "content", None, None, None, None),
    (X, "550 用户不存在", "recipient", None, None, None, None),
    (X, "554 发送频率过快，请稍后再试", "rate-limit", None, None, None, None),
    (X, "554 邮件被识别为垃圾邮件", "content", None, None, None, None),
]


def line(i, host, reply):
    code = reply[:3]
    enh = reply[4:9] if reply[4:5] in "45" and reply[5:6] == "." else "5.0.0"
    status = "bounced" if code[0] == "5" else "deferred"
    return ("Dec  1 10:%02d:00 mx postfix/smtp[%d]: 4A%06X: to=<user%d@%s>, "
            "relay=%s[198.51.100.%d]:25, delay=1, delays=0/0/0/1, dsn=%s, "
            "status=%s (host %s[198.51.100.%d] said: %s (in reply to RCPT TO "
            "command))\n" % (i % 60, 1000 + i, i, i, host, host, i % 250 + 1,
                             enh, status, host, i % 250 + 1, reply))


class Replies(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="rblmon-replies.")
        # the lines live in the project's log corpus (tests/logs/, with the
        # field-by-field expectations test_logs checks); line i+1 is ROWS[i]
        cls.log = os.path.join(rbltest.SRC, "tests", "logs", "replies.log")
        cls.cfg = os.path.join(cls.dir, "c.yaml")
        with open(cls.cfg, "w") as f:
            f.write("lists: {}\n")

    def scan(self, locale):
        env = {"TZ": "UTC", "LC_ALL": locale, "RBLMON_CATALOG": rbltest.CATALOG}
        r = rbltest.run(["-c", self.cfg, "scan-logs", "--no-state", "--format",
                         "json", self.log], env=env)
        return {h["line"]: h for h in r.json()["rejections"]}

    def test_corpus_file_holds_the_rows(self):
        with open(self.log, encoding="utf-8") as f:
            lines = f.read().splitlines()
        self.assertEqual(lines, [line(i, r[0], r[1]).rstrip("\n")
                                 for i, r in enumerate(ROWS)],
                         "tests/logs/replies.log and ROWS differ: write the file "
                         "again from ROWS")

    def check(self, locale):
        hits = self.scan(locale)
        for i, (host, reply, cause, detail, named, block, req) in enumerate(ROWS):
            with self.subTest(locale=locale, reply=reply[:60]):
                h = hits.get(i + 1)
                self.assertIsNotNone(h, "not read")
                self.assertEqual(h["cause"], cause, h["rule"])
                if detail:
                    self.assertEqual(h["detail"], detail, h["rule"])
                if named and "." in named:
                    self.assertEqual(h["zone"], named)
                elif named:
                    self.assertIn(named.lower(), (h["operator"] or "").lower())
                # the receiver's own code, else what the text names
                self.assertEqual(h["block"], block or named)
                self.assertEqual((h["requirement"] or {}).get("id"), req)

    def test_c_locale(self):
        self.check("C")

    def test_utf8_locale(self):
        self.check("C.UTF-8")

    def test_recipient_side_is_not_ours(self):
        """A recipient-side bounce says nothing about our standing: the
        by_cause summary keeps it apart."""
        env = {"TZ": "UTC", "RBLMON_CATALOG": rbltest.CATALOG}
        r = rbltest.run(["-c", self.cfg, "scan-logs", "--no-state", "--format",
                         "json", self.log], env=env)
        by = r.json()["summary"]["by_cause"]
        self.assertEqual(by["recipient"], sum(1 for x in ROWS if x[2] == "recipient"))
        self.assertEqual(by["receiver-error"], 2)


    def test_scope_and_fix_of_the_list_named(self):
        """Who can fix it follows the list named, and the answer the reply
        quotes: PBL is a policy listing (send through the provider's
        smarthost), UCEPROTECT level 2 a range, an XBL answer an address."""
        log = os.path.join(self.dir, "scope.log")
        replies = [
            "554 5.7.1 Client host [192.0.2.25] blocked using pbl.spamhaus.org",
            "554 5.7.1 Client host [192.0.2.25] blocked using dnsbl-2.uceprotect.net",
            "554 5.7.1 Client host [192.0.2.25] blocked using zen.spamhaus.org (127.0.0.4)",
            "554 5.7.1 Client host [192.0.2.25] blocked using zen.spamhaus.org (127.0.0.10)"]
        with open(log, "w") as f:
            for i, t in enumerate(replies):
                f.write(line(i, X, t))
        r = rbltest.run(["-c", self.cfg, "scan-logs", "--no-state", "--format", "json",
                         log], env={"TZ": "UTC"})
        got = [(h["list"], h["scope"]) for h in r.json()["rejections"]]
        self.assertEqual(got, [("spamhaus-pbl", "policy"), ("uceprotect-2", "range"),
                               ("spamhaus-zen", "address"), ("spamhaus-zen", "policy")])
        fixes = [h["fix"] for h in r.json()["rejections"]]
        self.assertNotEqual(fixes[2], fixes[3])  # XBL and PBL are different fixes
        self.assertIn("smarthost", fixes[3])

    def test_named_ip_is_never_the_lists_answer(self):
        """A reply quoting the list's answer (127.0.0.2) before the address
        names the address, so correlation can join it to the listing."""
        log = os.path.join(self.dir, "answer.log")
        with open(log, "w") as f:
            f.write(line(1, X, "554 5.7.1 Blocked: 127.0.0.2 returned by bl.example.org for "
                               "192.0.2.25"))
        r = rbltest.run(["-c", self.cfg, "scan-logs", "--no-state", "--format", "json",
                         log], env={"TZ": "UTC"})
        [h] = r.json()["rejections"]
        self.assertEqual(h["named_ip"], "192.0.2.25")

    def bad_rules(self, tail):
        """scan-logs with the shipped rules plus tail appended: the error."""
        cat = os.path.join(self.dir, "cat")
        shutil.rmtree(cat, ignore_errors=True)
        shutil.copytree(rbltest.CATALOG, cat)
        path = os.path.join(cat, "rules", "rejections.yaml")
        with open(path, "a") as f:
            f.write(tail)
        r = rbltest.run(["-c", self.cfg, "scan-logs", "--no-state", self.log],
                        env={"RBLMON_CATALOG": cat})
        self.assertEqual(r.rc, 3, r.err)
        return r.err

    def test_rules_out_of_tier_order(self):
        err = self.bad_rules("  - {id: late-reason, tier: reason, match: 'x', cause: policy}\n")
        self.assertRegex(err, r"rejections\.yaml:\d+:\d+: error: rule 'late-reason' "
                         r"\(tier reason\) comes after a rule of tier generic")

    def test_rules_bad_values(self):
        for tail, want in (
                ("  - {id: t1, tier: later, match: 'x', cause: policy}\n", "tier"),
                ("  - {id: t2, tier: generic, cause: policy}\n", "needs a match or a code"),
                ("  - {id: t3, tier: generic, enhanced: '5\\.(', cause: policy}\n",
                 "enhanced status code"),
                ("  - {id: t4, tier: generic, match: 'x', cause: spam}\n", "cause"),
                ("  - {id: generic-unknown, tier: generic, match: 'x', cause: policy}\n",
                 "duplicate id")):
            with self.subTest(want=want):
                err = self.bad_rules(tail)
                self.assertRegex(err, r"rejections\.yaml:\d+:\d+: error: .*" + re.escape(want))


if __name__ == "__main__":
    unittest.main()
