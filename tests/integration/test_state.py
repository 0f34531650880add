"""State in SQLite and cron mode (issue 4), with real processes: the
listing lifecycle across runs, --changes-only, overlapping runs, kill -9 in
the middle of a cycle, migration from an older schema, files that are not
ours, a full disk, retention, Prometheus output."""
import os
import resource
import signal
import sqlite3
import stat
import subprocess

import rbltest
from rbltest import Rbldnsd, SilentUDP, Workdir, custom_list

DAY = 86400
T0 = 1790000000  # a fixed clock (RBLMON_NOW): days pass without sleeping

LISTS = custom_list("bl", "bl.test", "ip4",
                    {"127.0.0.2": ("spam", "critical"), "127.0.0.3": ("dynamic", "warning")},
                    {"127.255.255.0/24": "refused"},
                    ", delist: {url: \"https://bl.test/remove\"}")

# One zone name, four servers: which one the config points at decides
# what "the list" says about 192.0.2.1 this run.
LISTED = {"bl.test": ("ip4set", ":127.0.0.2:spam $\n127.0.0.2\n192.0.2.1\n")}
CLEAN = {"bl.test": ("ip4set", ":127.0.0.2:spam $\n127.0.0.2\n")}
RECODED = {"bl.test": ("ip4set", ":127.0.0.2:spam $\n127.0.0.2\n192.0.2.1 :127.0.0.3:dyn\n")}
ERRORING = {"bl.test": ("ip4set", ":127.0.0.2:spam $\n127.0.0.2\n192.0.2.1 :127.255.255.254:no\n")}


def config(server, extra=""):
    return ("watchlists:\n  - name: out\n    ips: [192.0.2.1, 192.0.2.2]\n"
            "lists:\n  use: []\n  custom:\n%s"
            "resolver:\n  servers: [%s]\n  timeout: 500ms\n  tries: 2\n%s"
            % (LISTS, server, extra))


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


class StateTest(rbltest.unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.servers = {}
        for name, zones in (("listed", LISTED), ("clean", CLEAN),
                            ("recoded", RECODED), ("erroring", ERRORING)):
            cls.servers[name] = Rbldnsd(zones).__enter__()

    @classmethod
    def tearDownClass(cls):
        for s in cls.servers.values():
            s.__exit__(None, None, None)

    def setUp(self):
        self.w = Workdir()

    def tearDown(self):
        self.w.cleanup()

    def cron(self, server, now, *args, extra=""):
        self.w.write_config(config(self.servers[server].server, extra))
        r = self.w.run(["check", "--changes-only"] + list(args), now=now)
        self.assertNotIn("AddressSanitizer", r.err)
        return r

    def test_lifecycle_and_changes_only(self):
        r = self.cron("listed", T0)
        self.assertEqual(r.rc, 2, r.err)
        self.assertEqual(r.out.splitlines(), [
            "LISTED     192.0.2.1 on bl: 127.0.0.2 (spam); delist: https://bl.test/remove"])
        # cron again: nothing changed, nothing printed, still CRITICAL
        r = self.cron("listed", T0 + 3600)
        self.assertEqual((r.out, r.err, r.rc), ("", "", 2))
        r = self.cron("recoded", T0 + 7200)
        self.assertEqual(r.out, "CHANGED    192.0.2.1 on bl: 127.0.0.2 -> 127.0.0.3 (dynamic)\n")
        self.assertEqual(r.rc, 1)
        r = self.cron("clean", T0 + 3 * DAY)
        self.assertEqual(r.out, "DELISTED   192.0.2.1 from bl after 3d 0h\n")
        self.assertEqual(r.rc, 0)
        self.assertEqual(self.cron("clean", T0 + 3 * DAY + 60).out, "")
        r = self.cron("listed", T0 + 5 * DAY)
        self.assertTrue(r.out.startswith("RELISTED   192.0.2.1 on bl again: 127.0.0.2"), r.out)
        r = self.cron("erroring", T0 + 6 * DAY)
        self.assertTrue(r.out.startswith("ERROR      192.0.2.1 on bl: not checked:"), r.out)
        self.assertIn("127.255.255.254", r.out)
        self.assertEqual(r.rc, 1)  # the other target is clean: incomplete
        self.assertEqual(self.cron("erroring", T0 + 6 * DAY + 60).out, "")
        r = self.cron("listed", T0 + 7 * DAY)
        self.assertEqual(r.out, "RECOVERED  192.0.2.1 on bl: checked again\n")  # episode still open
        # history: two episodes, the first closed after 3 days
        h = self.w.run(["history", "--format", "json", "192.0.2.1"], now=T0 + 7 * DAY)
        eps = h.json()["episodes"]
        self.assertEqual(len(eps), 2)
        self.assertIsNone(eps[0]["cleared"])
        self.assertEqual(eps[1]["seconds"], 3 * DAY)
        s = self.w.run(["status", "--format", "json"], now=T0 + 7 * DAY)
        self.assertEqual(s.rc, 2)
        self.assertEqual([(x["target"], x["source"], x["severity"]) for x in s.json()["listings"]],
                         [("192.0.2.1", "bl", "critical")])
        self.assertEqual(s.json()["listings"][0]["delist"],  # the object of check
                         {"url": "https://bl.test/remove", "procedure": None,
                          "expires_seconds": None, "fix_first": None})

    def test_range_on_a_list_that_cannot_be_asked_keeps_its_listings(self):
        # over its daily limit, a list gets one "not checked" result for
        # the range; its listings in the range stay open, while another
        # list is checked as usual (a full cycle) and a listing of an
        # address no longer watched closes
        lim = custom_list("lim", "bl.test", "ip4", {"127.0.0.2": ("spam", "critical")},
                          extra=", limits: {queries_per_day: 13}")
        other = custom_list("other", "ok.test", "ip4", {"127.0.0.2": ("x", "critical")})
        zones = {"bl.test": ("ip4set", ":127.0.0.2:spam\n127.0.0.2\n192.0.2.1\n"
                             "198.51.100.7\n"),
                 "ok.test": ("ip4set", ":127.0.0.2:x\n127.0.0.2\n")}
        clean = {"bl.test": ("ip4set", ":127.0.0.2:spam\n127.0.0.2\n"),
                 "ok.test": ("ip4set", ":127.0.0.2:x\n127.0.0.2\n")}

        def cfg(server, ips):
            return ("watchlists:\n  - name: out\n    ips: [%s]\n"
                    "lists:\n  use: []\n  custom:\n%s%s"
                    "resolver:\n  servers: [%s]\n  timeout: 500ms\n"
                    % (ips, lim, other, server))
        with Rbldnsd(zones) as d:
            self.w.write_config(cfg(d.server, "192.0.2.0/30, 198.51.100.7"))
            r = self.w.run(["check"], now=T0)  # 5 + 4 probes + 2 TXT = 11
            self.assertEqual(r.rc, 2, r.err)
            self.w.write_config(cfg(d.server, "192.0.2.0/30"))
            r = self.w.run(["check", "--format", "json"], now=T0 + 60)
        self.assertEqual(r.rc, 1, r.err)
        self.assertEqual([(x["target"], x["status"]) for x in r.json()["results"]
                          if x["source"] == "lim"], [("192.0.2.0/30", "skipped")])
        self.assertEqual(len([x for x in r.json()["results"] if x["source"] == "other"]), 4)
        s = self.w.run(["status", "--format", "json"], now=T0 + 120)
        self.assertEqual([(x["target"], x["source"]) for x in s.json()["listings"]],
                         [("192.0.2.1", "lim")])
        with Rbldnsd(clean) as d:
            self.w.write_config(cfg(d.server, "192.0.2.0/30"))
            r = self.w.run(["check", "--changes-only"], now=T0 + DAY + 60)
        self.assertIn("DELISTED   192.0.2.1 from lim after 1d 0h\n", r.out)

    def test_health_change_is_reported_once(self):
        self.cron("listed", T0)
        with SilentUDP() as silent:
            self.w.write_config(config(silent.server))
            r = self.w.run(["check", "--changes-only"], now=T0 + 60)
        self.assertEqual(r.rc, 3)
        self.assertEqual(r.out.count("\n"), 1, r.out)
        self.assertTrue(r.out.startswith("HEALTH     bl: ok -> unreachable"), r.out)
        # the listing is not closed by an unanswered query
        s = self.w.run(["status", "--format", "json"], now=T0 + 120)
        self.assertEqual(len(s.json()["listings"]), 1)
        r = self.cron("listed", T0 + 180)
        self.assertTrue(r.out.startswith("HEALTH     bl: unreachable -> ok"), r.out)

    def test_lists_shows_last_known_health(self):
        self.cron("listed", T0)
        r = self.w.run(["lists", "--format", "json"], now=T0 + 60)
        bl = [l for l in r.json()["lists"] if l["name"] == "bl"][0]
        self.assertEqual((bl["health"], bl["health_checked"]), ("ok", "2026-09-21T14:13:20Z"))
        t = self.w.run(["lists"], now=T0 + 60)
        self.assertRegex(t.out, r"bl +bl\.test +ip4 +ok ")

    def test_state_file_is_private_wal_and_versioned(self):
        self.cron("listed", T0)
        st = os.stat(self.w.db)
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
        db = sqlite3.connect(self.w.db)
        self.assertEqual(db.execute("PRAGMA journal_mode").fetchone()[0], "wal")
        self.assertEqual(db.execute("PRAGMA user_version").fetchone()[0], 9)
        self.assertEqual(db.execute("PRAGMA application_id").fetchone()[0], 0x52424C4D)
        db.close()

    def test_no_state_reads_and_writes_nothing(self):
        self.w.write_config(config(self.servers["listed"].server))
        r = self.w.run(["check", "--no-state", "--format", "json"])
        self.assertEqual(r.rc, 2)
        self.assertNotIn("changes", r.json())
        self.assertFalse(os.path.exists(self.w.state_home))
        r = self.w.run(["check", "--no-state", "--changes-only"])
        self.assertEqual(r.rc, 3)

    def test_overlapping_runs_and_kill_9_mid_cycle(self):
        self.cron("listed", T0)
        with SilentUDP() as silent:
            self.w.write_config(config(silent.server, "  deadline: 60s\nstate:\n  lock_wait: 0s\n")
                                .replace("timeout: 500ms", "timeout: 30s"))
            first = self.w.popen(["check"])
            # The first run holds the lock and its transaction once it queries.
            silent.sock.settimeout(30)
            silent.sock.recvfrom(512)
            second = self.w.run(["check"])
            self.assertEqual(second.rc, 3)
            self.assertIn("another rblmon is using", second.err)
            first.send_signal(signal.SIGKILL)
            first.wait()
            first.stdout.close()
            first.stderr.close()
        # nothing committed was lost, and the next run works
        s = self.w.run(["status", "--format", "json"])
        self.assertEqual(len(s.json()["listings"]), 1)
        r = self.cron("clean", T0 + DAY)
        self.assertEqual(r.out, "DELISTED   192.0.2.1 from bl after 1d 0h\n")
        db = sqlite3.connect(self.w.db)
        self.assertEqual(db.execute("PRAGMA integrity_check").fetchone()[0], "ok")
        db.close()

    def test_migration_from_schema_1(self):
        os.makedirs(os.path.dirname(self.w.db))
        db = sqlite3.connect(self.w.db)
        db.executescript(SCHEMA_1 + """
            INSERT INTO episodes(target, source, first_seen, last_seen, codes, reasons, severity)
              VALUES ('192.0.2.1', 'bl', %d, %d, '127.0.0.2', 'spam', 'critical');
            PRAGMA application_id = 1380076621; PRAGMA user_version = 1;""" % (T0, T0))
        db.close()
        self.w.write_config(config(self.servers["listed"].server))
        s = self.w.run(["status"])
        self.assertEqual(s.rc, 3)
        self.assertIn("older schema (1)", s.err)
        r = self.cron("listed", T0 + DAY)
        self.assertEqual((r.out, r.rc), ("", 2), r.err)  # the old episode goes on
        db = sqlite3.connect(self.w.db)
        self.assertEqual(db.execute("PRAGMA user_version").fetchone()[0], 9)
        self.assertEqual(db.execute("SELECT first_seen FROM episodes").fetchall(), [(T0,)])
        db.close()

    def test_migration_keeps_rejections_correlated(self):
        # a state of schema 4 (rejections stored, no index by list, no
        # reminders) migrates, and what it holds still correlates: the
        # listing's evidence, and the blocks no listing explains
        os.makedirs(os.path.dirname(self.w.db))
        db = sqlite3.connect(self.w.db)
        db.executescript(SCHEMA_1 + SCHEMA_2_TO_4 + """
            INSERT INTO episodes(target, source, first_seen, last_seen, codes, reasons, severity)
              VALUES ('192.0.2.1', 'bl', %d, %d, '127.0.0.2', 'spam', 'critical');
            PRAGMA application_id = 1380076621; PRAGMA user_version = 4;""" % (T0, T0))
        rows = [  # hash, time, list, named_ip, receiver
            ("r1", T0 + 3600, "bl", "192.0.2.1", "gmail.com"),
            ("r2", T0 + 7200, "bl", None, "outlook.com"),
            ("r3", T0 + 7300, "bl", "192.0.2.9", "yahoo.com"),
            ("r4", T0 + 7400, "spamhaus-zen", "192.0.2.1", "gmail.com"),
        ]
        for h, t, lst, ip, recv in rows:
            db.execute("INSERT INTO rejections(hash, time, cause, list, named_ip, receiver, code,"
                       " permanent, text) VALUES (?, ?, 'blocklist', ?, ?, ?, 554, 1, 'blocked')",
                       (h, t, lst, ip, recv))
        db.commit()
        db.close()
        r = self.cron("listed", T0 + DAY)
        self.assertEqual((r.out, r.rc), ("", 2), r.err)  # the old episode goes on
        db = sqlite3.connect(self.w.db)
        self.assertEqual(db.execute("SELECT count(*) FROM rejections").fetchone()[0], 4)
        self.assertEqual(db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'index'"
                                    " AND name = 'rejections_by_list'").fetchone()[0], 1)
        db.close()
        st = self.w.run(["status", "--format", "json"], now=T0 + DAY + 60).json()
        ev = st["listings"][0]["evidence"]
        self.assertEqual((ev["rejections"], sorted(ev["receivers"])),
                         (2, ["gmail.com", "outlook.com"]))
        found = sorted((u["kind"], u["what"], u["count"]) for u in st["unexplained"])
        self.assertEqual(found, [("not-seen-listed", "bl", 1),
                                 ("unmonitored-list", "spamhaus-zen", 1)])

    def bad_state(self, content, message):
        os.makedirs(os.path.dirname(self.w.db))
        if isinstance(content, bytes):
            with open(self.w.db, "wb") as f:
                f.write(content)
        else:
            content(self.w.db)
        before = read_bytes(self.w.db)
        r = self.cron("listed", T0)
        self.assertEqual(r.rc, 3)
        self.assertIn(message, r.err)
        self.assertIn("this check was not recorded", r.err)
        # the check still ran and reports all of it (not only changes)
        self.assertRegex(r.out, r"192\.0\.2\.1 +bl +critical 127\.0\.0\.2")
        self.assertEqual(read_bytes(self.w.db), before, "the file was touched")

    def test_not_sqlite(self):
        self.bad_state(b"my notes, not a database\n", "is not a rblmon state database")

    def test_someone_elses_sqlite(self):
        def make(path):
            db = sqlite3.connect(path)
            db.execute("CREATE TABLE t(x)")
            db.commit()
            db.close()
        self.bad_state(make, "not rblmon's state")

    def test_newer_schema(self):
        def make(path):
            db = sqlite3.connect(path)
            db.executescript(SCHEMA_1 + "PRAGMA application_id = 1380076621;"
                             "PRAGMA user_version = 99;")
            db.close()
        self.bad_state(make, "written by a newer rblmon")

    def test_corrupt_file(self):
        def make(path):
            db = sqlite3.connect(path)
            db.executescript(SCHEMA_1 + "PRAGMA application_id = 1380076621;"
                             "PRAGMA user_version = 2;")
            for i in range(200):
                db.execute("INSERT INTO episodes(target, source, first_seen, last_seen, codes,"
                           " reasons, severity) VALUES (?, 'bl', 1, 1, 'x', 'y', 'z')",
                           ("10.0.%d.%d" % (i // 256, i % 256),))
            db.commit()
            db.close()
            with open(path, "r+b") as f:  # smash the middle of page 3
                f.seek(4096 * 2 + 100)
                f.write(b"\xff" * 2000)
        self.bad_state(make, "damaged")

    def test_empty_file(self):
        # an empty file is not a new state: a new history would announce
        # every listing again
        self.bad_state(b"", "is empty (0 bytes)")

    def test_damaged_message_is_one_whole_line(self):
        # integrity_check's report has many lines: the message stays one
        # escaped line, cut at a line of the report, and says what to do
        os.makedirs(os.path.dirname(self.w.db))
        db = sqlite3.connect(self.w.db)
        db.executescript(SCHEMA_1 + "PRAGMA application_id = 1380076621;"
                         "PRAGMA user_version = 2;")
        for i in range(200):
            db.execute("INSERT INTO episodes(target, source, first_seen, last_seen, codes,"
                       " reasons, severity) VALUES (?, 'bl', 1, 1, 'x', 'y', 'z')",
                       ("10.0.%d.%d" % (i // 256, i % 256),))
        db.commit()
        db.close()
        with open(self.w.db, "r+b") as f:
            f.seek(4096 * 2 + 100)
            f.write(b"\xff" * 2000)
        r = self.cron("listed", T0)
        self.assertEqual(r.rc, 3)
        msg = [l for l in r.err.splitlines() if "damaged" in l]
        self.assertEqual(len(msg), 1, r.err)
        self.assertNotIn("On tree page", r.err.replace(msg[0], ""), "a raw newline")
        self.assertRegex(msg[0], r"(\.\.\.|\w)\); move it aside", msg[0])
        self.assertNotRegex(msg[0], r"On tree page \d+\)", "cut mid-line")

    def read_only(self, args):
        """args run with the state's directory mounted read-only (a mount
        namespace of our own: unshare -rm works without root)."""
        d = os.path.dirname(self.w.db)
        script = ('mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" "$0" '
                  '&& exec "$@"')
        wrap, vglog = rbltest.valgrind_wrap()
        argv = ["unshare", "-rm", "sh", "-c", script, d] + wrap + self.w.argv(args)
        p = subprocess.run(argv, cwd=self.w.dir, env=self.w.env({"RBLMON_NOW": str(T0 + DAY)}),
                           capture_output=True, timeout=rbltest.timeout())
        if p.returncode != 0 and b"unshare" in p.stderr[:200]:
            self.skipTest("no mount namespace here: " + p.stderr.decode()[:200])
        rbltest.valgrind_check(p.returncode, vglog)
        return rbltest.Result(p.returncode, p.stdout.decode("utf-8", "replace"),
                              p.stderr.decode("utf-8", "replace"), args)

    def test_read_only_state(self):
        self.cron("listed", T0)
        db = sqlite3.connect(self.w.db)  # a WAL state with its -wal and -shm
        db.execute("PRAGMA journal_mode=WAL")
        before = db.execute("SELECT count(*) FROM episodes").fetchone()[0]
        s = self.read_only(["status", "--format", "json"])
        db.close()
        self.assertEqual(s.rc, 2, s.err)  # listed, read as it is
        self.assertEqual(len(s.json()["listings"]), before)
        # check: the whole report, then why it was not recorded, exit 3
        r = self.read_only(["check", "--changes-only"])
        self.assertEqual(r.rc, 3, r.err)
        self.assertRegex(r.out, r"192\.0\.2\.1 +bl +critical 127\.0\.0\.2")
        self.assertIn("not recorded", r.err)

    def test_disk_full_keeps_the_old_state(self):
        self.cron("listed", T0)
        size = os.path.getsize(self.w.db)
        wal = self.w.db + "-wal"
        limit = size + (os.path.getsize(wal) if os.path.exists(wal) else 0)

        def small_disk():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        # Many new listings: more to write than the "disk" holds.
        self.w.write_config(config(self.servers["clean"].server).replace(
            "ips: [192.0.2.1, 192.0.2.2]", "ips: [192.0.2.1, 10.0.0.0/18]"))
        r = self.w.run(["check", "--changes-only"], now=T0 + DAY, preexec_fn=small_disk)
        self.assertEqual(r.rc, 3, r.err)
        self.assertIn("this check's results were not recorded", r.err)
        self.assertIn("nothing was lost", r.err)
        self.assertEqual(r.out, "")  # changes not committed are not news
        s = self.w.run(["status", "--format", "json"])
        self.assertEqual(len(s.json()["listings"]), 1)  # the delisting was not recorded
        # nor was the reader's position: the next recorded check tells it, once
        self.assertEqual(self.cron("clean", T0 + DAY + 60).out,
                         "DELISTED   192.0.2.1 from bl after 1d 0h\n")
        self.assertEqual(self.cron("clean", T0 + DAY + 120).out, "")

    def test_retention_prunes_closed_episodes(self):
        self.cron("listed", T0)
        self.cron("clean", T0 + DAY)
        self.cron("clean", T0 + 10 * DAY, extra="state:\n  retention: 5d\n")
        h = self.w.run(["history", "--format", "json"])
        self.assertEqual(h.json()["episodes"], [])

    def test_daily_limit_counts_earlier_runs(self):
        limited = LISTS.replace("delist:", "limits: {queries_per_day: 30}, delist:")
        cfg = config(self.servers["listed"].server).replace(LISTS, limited).replace(
            "ips: [192.0.2.1, 192.0.2.2]", "ips: [192.0.2.0/29]")
        self.w.write_config(cfg)
        first = self.w.run(["check", "--format", "json"], now=T0)
        self.assertEqual(first.json()["lists"][0]["health"], "ok")  # 8 + 4 probes of 30
        second = self.w.run(["check", "--format", "json"], now=T0 + 3600)
        self.assertEqual(second.json()["lists"][0]["health"], "ok")  # 24 of 30
        third = self.w.run(["check", "--format", "json"], now=T0 + 7200)
        rep = third.json()
        self.assertEqual(rep["lists"][0]["health"], "skipped")
        self.assertIn("in the last 24 hours", rep["lists"][0]["detail"])
        self.assertTrue(all(x["status"] == "skipped" for x in rep["results"]))
        self.assertEqual(third.rc, 3)
        # the listing found earlier is not closed by a skipped check
        s = self.w.run(["status", "--format", "json"], now=T0 + 7200)
        self.assertEqual(len(s.json()["listings"]), 1)
        later = self.w.run(["check", "--format", "json"], now=T0 + DAY + 10)
        self.assertEqual(later.json()["lists"][0]["health"], "ok")

    def test_removed_target_stops_being_listed(self):
        self.cron("listed", T0)
        self.w.write_config(config(self.servers["listed"].server).replace(
            "ips: [192.0.2.1, 192.0.2.2]", "ips: [192.0.2.2]"))
        r = self.w.run(["check", "--changes-only"], now=T0 + 60)
        self.assertEqual((r.out, r.rc), ("", 0))
        s = self.w.run(["status", "--format", "json"], now=T0 + 60)
        self.assertEqual((s.json()["listings"], s.rc), ([], 0))

    def test_one_off_check_leaves_the_state_alone(self):
        self.cron("clean", T0)
        self.w.write_config(config(self.servers["listed"].server))
        r = self.w.run(["check", "192.0.2.1"], now=T0 + 60)
        self.assertEqual(r.rc, 2)
        s = self.w.run(["status", "--format", "json"], now=T0 + 60)
        self.assertEqual(s.json()["listings"], [])
        r = self.w.run(["check", "--changes-only", "192.0.2.1"])
        self.assertEqual(r.rc, 3)

    def test_json_changes_present_even_when_empty(self):
        self.w.write_config(config(self.servers["clean"].server))
        r = self.w.run(["check", "--format", "json"], now=T0)
        self.assertEqual(r.json()["changes"], [])
        # nothing changed: still one document, its changes empty (issue 21)
        r = self.w.run(["check", "--format", "json", "--changes-only"], now=T0 + 60)
        self.assertEqual((r.json(), r.rc),
                         ({"schema_version": 1, "changes": [], "status": "OK", "exit": 0}, 0))

    def test_prometheus_output_file(self):
        self.w.write_config(config(self.servers["listed"].server))
        out = os.path.join(self.w.dir, "rblmon.prom")
        r = self.w.run(["check", "--format", "prometheus", "--output", out], now=T0)
        self.assertEqual((r.rc, r.out), (2, ""))
        text = read_bytes(out).decode()
        self.assertIn('rblmon_listed{target="192.0.2.1",list="bl",watchlist="out"} 1\n', text)
        self.assertIn('rblmon_listed_severity{target="192.0.2.1",list="bl",watchlist="out",'
                      'severity="critical"} 1\n', text)
        self.assertIn('rblmon_listed_since_timestamp_seconds{target="192.0.2.1",list="bl",'
                      'watchlist="out"} %d\n' % T0, text)
        self.assertIn('rblmon_list_health{list="bl",health="ok"} 1\n', text)
        self.assertIn('rblmon_list_health{list="bl",health="dead"} 0\n', text)
        self.assertIn("rblmon_status 2\n", text)
        self.assertEqual([f for f in os.listdir(self.w.dir) if ".tmp." in f], [])
        s = self.w.run(["status", "--format", "prometheus"])
        self.assertIn('rblmon_listed_since_timestamp_seconds{target="192.0.2.1",list="bl",'
                      'watchlist="out"} %d\n' % T0, s.out)
        # one family at a time, each with HELP and TYPE (the text format's rule)
        families = [l.split("{")[0].split(" ")[0] for l in s.out.splitlines()
                    if not l.startswith("#")]
        seen = []
        for fam in families:
            if not seen or seen[-1] != fam:
                self.assertNotIn(fam, seen, "family %s split" % fam)
                seen.append(fam)
        for fam in seen:
            self.assertIn("# TYPE %s gauge" % fam, s.out)

    def test_prometheus_pairs(self):
        """Every pair has a series: 0 clean, 1 listed; a check that fails
        keeps the open listing's 1 and says so in rblmon_check_error."""
        self.w.write_config(config(self.servers["listed"].server))
        r = self.w.run(["check", "--format", "prometheus"], now=T0)
        self.assertEqual(r.rc, 2, r.err)
        self.assertIn('rblmon_listed{target="192.0.2.2",list="bl",watchlist="out"} 0\n', r.out)
        self.assertNotIn("rblmon_check_error{", r.out)
        self.w.write_config(config(self.servers["erroring"].server))
        r = self.w.run(["check", "--format", "prometheus"], now=T0 + 60)
        self.assertIn('rblmon_listed{target="192.0.2.1",list="bl",watchlist="out"} 1\n', r.out)
        self.assertIn('rblmon_check_error{target="192.0.2.1",list="bl",watchlist="out"} 1\n', r.out)
        self.assertIn('rblmon_listed_since_timestamp_seconds{target="192.0.2.1",list="bl",'
                      'watchlist="out"} %d\n' % T0, r.out)
        self.assertIn('rblmon_listed{target="192.0.2.2",list="bl",watchlist="out"} 0\n', r.out)
        # without the state nothing is known of a failed pair
        r = self.w.run(["check", "--format", "prometheus", "--no-state"], now=T0 + 120)
        self.assertNotIn('rblmon_listed{target="192.0.2.1"', r.out)
        self.assertIn('rblmon_check_error{target="192.0.2.1",list="bl",watchlist="out"} 1\n', r.out)


SCHEMA_1 = """
CREATE TABLE episodes(id INTEGER PRIMARY KEY, target TEXT NOT NULL, source TEXT NOT NULL,
  first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, cleared_at INTEGER,
  codes TEXT NOT NULL, reasons TEXT NOT NULL, severity TEXT NOT NULL, txt TEXT);
CREATE UNIQUE INDEX episodes_open ON episodes(target, source) WHERE cleared_at IS NULL;
CREATE INDEX episodes_by_target ON episodes(target, first_seen);
CREATE TABLE last_check(target TEXT NOT NULL, source TEXT NOT NULL, checked_at INTEGER NOT NULL,
  status TEXT NOT NULL, codes TEXT, error TEXT, PRIMARY KEY(target, source)) WITHOUT ROWID;
CREATE TABLE list_health(source TEXT PRIMARY KEY, health TEXT NOT NULL, detail TEXT,
  since INTEGER NOT NULL, checked_at INTEGER NOT NULL);
"""

# Steps 2 to 4 as they shipped (store.c's migrations): a state of schema 4
# holds rejections from the logs.
SCHEMA_2_TO_4 = """
ALTER TABLE episodes ADD COLUMN watchlist TEXT;
CREATE TABLE health_history(id INTEGER PRIMARY KEY, source TEXT NOT NULL, health TEXT NOT NULL,
  detail TEXT, at INTEGER NOT NULL);
CREATE TABLE cycles(id INTEGER PRIMARY KEY, started INTEGER NOT NULL, finished INTEGER NOT NULL,
  checks INTEGER NOT NULL, listed INTEGER NOT NULL, errors INTEGER NOT NULL,
  exit_code INTEGER NOT NULL);
CREATE TABLE list_queries(source TEXT NOT NULL, at INTEGER NOT NULL, queries INTEGER NOT NULL);
CREATE INDEX list_queries_by_source ON list_queries(source, at);
CREATE TABLE rejections(id INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE, time INTEGER NOT NULL,
  mta TEXT, queue_id TEXT, recipient TEXT, domain TEXT, host TEXT, ip TEXT, code INTEGER,
  enhanced TEXT, stage TEXT, permanent INTEGER, text TEXT, named_ip TEXT, ours INTEGER,
  cause TEXT, detail TEXT, list TEXT, block TEXT, receiver TEXT, rule TEXT, file TEXT,
  line INTEGER);
CREATE INDEX rejections_by_time ON rejections(time);
CREATE TABLE log_cursors(path TEXT PRIMARY KEY, inode INTEGER NOT NULL, offset INTEGER NOT NULL,
  head INTEGER NOT NULL, lines INTEGER NOT NULL, updated INTEGER NOT NULL);
"""

if __name__ == "__main__":
    rbltest.main()
