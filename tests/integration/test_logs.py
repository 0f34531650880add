"""scan-logs (issue 5): the corpus per MTA classified field by field;
incremental reading through rotation, copytruncate and gzip with cursors in
the state; --since; idempotent rescans; standard input; hostile input."""
import glob
import gzip
import json
import os
import resource
import signal
import struct

import rbltest
from rbltest import SRC, Workdir

LOGS = os.path.join(SRC, "tests", "logs")
FIELDS = ["line", "time", "mta", "queue_id", "recipient", "domain", "host", "ip", "code",
          "enhanced", "stage", "permanent", "text", "named_ip", "cause", "detail", "list",
          "zone", "operator", "block", "receiver", "loghost"]
T0 = 1767607200 + 30 * 86400  # RBLMON_NOW: a month after the corpus


def bounce(qid, minute, text="554 5.7.1 Message rejected due to spam content"):
    return ("Jan  5 10:%02d:00 mx1 postfix/smtp[1]: %s: to=<u@example.com>, "
            "relay=mx.example.com[198.51.100.25]:25, dsn=5.7.1, status=bounced (host "
            "mx.example.com[198.51.100.25] said: %s (in reply to end of DATA command))\n"
            % (minute, qid, text))


class LogsTest(rbltest.unittest.TestCase):
    def setUp(self):
        self.w = Workdir("watchlists:\n  - name: out\n    ips: [192.0.2.0/24]\n"
                         "logs:\n  files: [mail.log]\n")
        self.log = os.path.join(self.w.dir, "mail.log")

    def tearDown(self):
        self.w.cleanup()

    def scan(self, *args, now=T0):
        r = self.w.run(["scan-logs", "--format", "json"] + list(args), now=now,
                       env={"TZ": "UTC"})
        self.assertNotIn("AddressSanitizer", r.err)
        self.assertNotIn("runtime error", r.err)
        return r

    def test_corpus_field_by_field(self):
        expected_files = sorted(glob.glob(os.path.join(LOGS, "*.expected.json")))
        self.assertGreaterEqual(len(expected_files), 5)
        total = 0
        causes = set()
        for exp in expected_files:
            log = exp[:-len(".expected.json")]
            with open(exp) as f:
                want = json.load(f)
            r = self.scan("--no-state", log)
            got = r.json()["rejections"]
            name = os.path.basename(log)
            with self.subTest(file=name):
                self.assertEqual([g["line"] for g in got], [w["line"] for w in want],
                                 "%s: rejections found on these lines" % name)
                for g, w in zip(got, want):
                    for k in FIELDS:
                        if k in w:
                            self.assertEqual(g[k], w[k], "%s line %d: %s" % (name, w["line"], k))
            total += len(want)
            causes |= {(w["cause"], w.get("detail")) for w in want}
        self.assertGreaterEqual(total, 60)
        for c in ("blocklist", "reputation", "content", "authentication", "policy",
                  "rate-limit", "configuration"):
            self.assertIn(c, {x for x, _ in causes})
        for d in ("spf", "dkim", "dmarc", "ptr", "helo", "tls"):
            self.assertIn(d, {y for _, y in causes})

    def test_generic_texts(self):
        lines = "".join(bounce("Q%d" % i, i, t) for i, t in enumerate([
            "554 5.7.1 Message rejected due to spam content",
            "554 5.7.1 IP address reputation too low",
            "554 5.7.1 SPF authentication failed",
            "554 5.7.1 IP address is blacklisted"]))
        with open(self.log, "w") as f:
            f.write(lines)
        got = self.scan("--no-state", self.log).json()["rejections"]
        self.assertEqual([(g["cause"], g["detail"]) for g in got], [
            # blacklisted, but no public list named: the receiver's own block
            ("content", None), ("reputation", None), ("authentication", "spf"),
            ("reputation", None)])

    def test_incremental_rotation_copytruncate_gzip(self):
        with open(self.log, "w") as f:
            f.write(bounce("A1", 1) + bounce("A2", 2))
        r = self.scan()
        self.assertEqual((r.json()["summary"]["rejections"], r.json()["summary"]["new"]), (2, 2))
        self.assertEqual(self.scan().json()["summary"]["rejections"], 0)  # nothing new
        with open(self.log, "a") as f:
            f.write(bounce("A3", 3))
            f.write("Jan  5 10:04:00 mx1 postfix/smtp[1]: half a line without its newline")
        r = self.scan().json()
        self.assertEqual([x["queue_id"] for x in r["rejections"]], ["A3"])
        self.assertEqual(r["rejections"][0]["line"], 3)
        # rename rotation: the rest of the old file is read, then the new one
        with open(self.log, "a") as f:
            f.write(" ... now complete\n" + bounce("A4", 5))
        os.rename(self.log, self.log + ".1")
        with open(self.log, "w") as f:
            f.write(bounce("B1", 6))
        r = self.scan().json()
        self.assertEqual([x["queue_id"] for x in r["rejections"]], ["A4", "B1"])
        # copytruncate: the copy has the old lines, the file starts again
        with open(self.log, "a") as f:
            f.write(bounce("B2", 7))
        with open(self.log) as f:
            copy = f.read()
        os.rename(self.log + ".1", self.log + ".2")
        with gzip.open(self.log + ".2.gz", "wt") as f:  # an older rotation, compressed
            with open(self.log + ".2") as g:
                f.write(g.read())
        os.remove(self.log + ".2")
        with open(self.log + ".1", "w") as f:
            f.write(copy)
        with open(self.log, "w") as f:  # truncated in place
            f.write(bounce("C1", 8))
        r = self.scan().json()
        self.assertEqual([x["queue_id"] for x in r["rejections"]], ["B2", "C1"])
        # --since reads the whole rotated set (gzip too); storing is idempotent
        r = self.scan("--since", "3650d").json()
        self.assertEqual(sorted(x["queue_id"] for x in r["rejections"]),
                         ["A1", "A2", "A3", "A4", "B1", "B2", "C1"])
        self.assertEqual(r["summary"]["new"], 0)

    def test_full_disk_loses_no_rejection(self):
        # the transaction SQLite rolled back on its own (SQLITE_FULL) takes
        # the log cursor with it: the next scan reads the same lines again
        with open(self.log, "w") as f:
            f.write("".join(bounce("A%d" % i, i % 60) for i in range(2000)))
        self.assertEqual(self.scan().json()["summary"]["new"], 2000)
        db = self.w.db
        limit = os.path.getsize(db) + (os.path.getsize(db + "-wal")
                                       if os.path.exists(db + "-wal") else 0) + 8192
        # more than the whole state holds: its transaction cannot fit
        # whatever the size of the schema
        with open(self.log, "a") as f:
            f.write("".join(bounce("B%d" % i, i % 60) for i in range(3000)))

        def small_disk():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        r = self.w.run(["scan-logs", "--format", "json"], now=T0, env={"TZ": "UTC"},
                       preexec_fn=small_disk)
        self.assertEqual(r.rc, 3, r.err)
        self.assertIn("nothing was lost", r.err)
        self.assertIn("run it again", r.err)
        self.assertNotIn("not an error", r.err)
        self.assertEqual(r.err.count("\n"), 1, r.err)
        r = self.scan()
        self.assertNotEqual(r.rc, 3, r.err)
        self.assertEqual(r.json()["summary"]["new"], 3000)
        h = self.scan("--since", "3650d").json()["summary"]
        self.assertEqual((h["rejections"], h["new"]), (5000, 0))

    def test_since_filters_old_lines(self):
        with open(self.log, "w") as f:
            f.write(bounce("OLD", 1))
        r = self.scan("--no-state", "--since", "1d", self.log, now=T0)
        self.assertEqual(r.json()["rejections"], [])
        r = self.scan("--no-state", "--since", "60d", self.log, now=T0)
        self.assertEqual(len(r.json()["rejections"]), 1)

    def test_rejections_naming_our_addresses(self):
        # single addresses (found by search among many) and ranges are ours
        ips = ", ".join("10.0.%d.%d" % (i >> 8, i & 255) for i in range(3000))
        self.w.write_config("watchlists:\n  - name: out\n    ips: [192.0.2.0/24, %s, "
                            "\"2001:db8::25\"]\nlogs:\n  files: [mail.log]\n" % ips)
        named = ["192.0.2.77", "10.0.11.183", "10.0.12.1", "2001:db8::25", "2001:db8::26"]
        with open(self.log, "w") as f:
            for i, ip in enumerate(named):
                f.write(bounce("N%d" % i, i, "554 5.7.1 Service unavailable; Client host "
                               "[%s] blocked using zen.spamhaus.org" % ip))
        r = self.scan("--no-state", self.log)
        got = {x["queue_id"]: (x["named_ip"], x["ours"]) for x in r.json()["rejections"]}
        self.assertEqual(got, {"N0": ("192.0.2.77", True), "N1": ("10.0.11.183", True),
                               "N2": ("10.0.12.1", False), "N3": ("2001:db8::25", True),
                               "N4": ("2001:db8::26", False)})

    def test_rescan_of_named_files_is_idempotent(self):
        with open(self.log, "w") as f:
            f.write(bounce("X1", 1) + bounce("X2", 2))
        self.assertEqual(self.scan(self.log).json()["summary"]["new"], 2)
        r = self.scan(self.log).json()
        self.assertEqual((r["summary"]["rejections"], r["summary"]["new"]), (2, 0))

    def test_standard_input_journal_json(self):
        entry = {"__REALTIME_TIMESTAMP": "1767607200000000", "SYSLOG_IDENTIFIER": "postfix/smtp",
                 "MESSAGE": bounce("J1", 0).split(": ", 1)[1].strip()}
        data = (json.dumps(entry) + "\n" + json.dumps({"MESSAGE": "x"}) + "\n").encode()
        r = self.w.run(["scan-logs", "--no-state", "--format", "json", "-"], input=data,
                       env={"TZ": "UTC"})
        got = r.json()["rejections"]
        self.assertEqual([(g["queue_id"], g["time"]) for g in got],
                         [("J1", "2026-01-05T10:00:00Z")])

    def test_journal_export_binary_fields_with_long_lines(self):
        # journalctl -o export: a binary field is its name, a 64-bit length
        # and the bytes; lines over 64 KiB inside it are skipped by the
        # reader, which still counts them, so what follows stays in step
        def msg(qid):
            return bounce(qid, 0).split(": ", 1)[1].rstrip("\n").encode()

        def entry(qid, field):
            return (b"__CURSOR=s=1;i=%s\n__REALTIME_TIMESTAMP=1767607200000000\n"
                    b"SYSLOG_IDENTIFIER=postfix/smtp\n%s\n" % (qid.encode(), field))

        def binary(name, data):
            return name + b"\n" + struct.pack("<Q", len(data)) + data
        fake = b"\n\nSYSLOG_IDENTIFIER=postfix/smtp\nMESSAGE=" + msg("FAKE") + b"\n\n"
        blob = b"x\n" + b"y" * 70000 + fake + b"z" * 70000 + b"\n" + fake
        lost = b"w" * 70000 + fake  # the length is inside a skipped line
        data = (entry("E1", b"MESSAGE=" + msg("E1") + b"\n")
                + entry("E2", binary(b"COREDUMP", blob) + b"\nMESSAGE=" + msg("E2") + b"\n")
                + entry("E3", binary(b"MESSAGE", lost) + b"\n")
                + entry("E4", b"MESSAGE=" + msg("E4") + b"\n"))
        r = self.w.run(["scan-logs", "--no-state", "--format", "json", "-"], input=data,
                       env={"TZ": "UTC"})
        self.assertEqual([g["queue_id"] for g in r.json()["rejections"]], ["E1", "E2", "E4"])
        self.assertEqual(r.json()["summary"]["long_lines_skipped"], 3)

    def test_hostile_input(self):
        junk = bytes(b for b in range(256) if b != 10) * 40  # no newline inside
        with open(self.log, "wb") as f:
            f.write(b"\x00\x00binary\x00junk\n" + junk + b"\n")
            f.write(b"x" * 100000 + b" said: 554 huge\n")             # over 64 KiB
            f.write(bounce("K1", 1, "554 5.7.1 evil \x1b[31mred\x1b]0;t\x07 text").encode())
            f.write(b"Jan  5 10:00:00 mx1 postfix/smtp[1]: Q: host h[1.2.3.4] said: \x00\x00\n")
        r = self.scan("--no-state", self.log)
        rep = r.json()
        self.assertEqual([x["queue_id"] for x in rep["rejections"]], ["K1"])
        self.assertEqual(rep["rejections"][0]["line"], 4)
        self.assertNotIn("\x1b", r.out)
        self.assertIn("\\x1b[31mred", rep["rejections"][0]["text"])
        self.assertEqual(rep["summary"]["long_lines_skipped"], 1)
        t = self.w.run(["scan-logs", "--no-state", self.log], env={"TZ": "UTC"})
        self.assertNotIn("\x1b", t.out)
        self.assertIn("longer than 64 KiB were skipped", t.out)

    def test_truncated_gzip_and_unreadable_files(self):
        gz = os.path.join(self.w.dir, "old.log.gz")
        body = gzip.compress((bounce("G1", 1) + bounce("G2", 2)).encode() * 50)
        with open(gz, "wb") as f:
            f.write(body[:len(body) - 20])
        r = self.scan("--no-state", gz)
        self.assertIn("old.log.gz", r.err)
        self.assertIn("truncated", r.err)
        self.assertGreater(r.json()["summary"]["rejections"], 0)  # what was read counts
        r = self.scan("--no-state", os.path.join(self.w.dir, "missing.log"))
        self.assertEqual(r.rc, 3)
        self.assertIn("missing.log: cannot open", r.err)
        r = self.scan("--no-state", self.w.dir)
        self.assertIn("not a regular file", r.err)

    def test_missing_configured_file_keeps_its_cursor(self):
        with open(self.log, "w") as f:
            f.write(bounce("M1", 1))
        self.scan()
        os.rename(self.log, self.log + ".away")
        r = self.scan()
        self.assertIn("its cursor is kept", r.err)
        os.rename(self.log + ".away", self.log)
        with open(self.log, "a") as f:
            f.write(bounce("M2", 2))
        r = self.scan().json()
        self.assertEqual([x["queue_id"] for x in r["rejections"]], ["M2"])


if __name__ == "__main__":
    rbltest.main()
