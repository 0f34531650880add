"""rblmon run (issue 10) as a real process against rbldnsd on 127.0.0.1:
hours of schedule simulated on an injected clock (RBLMON_RUN_SIMULATE):
jobs at their intervals, pacing under a list's daily limit, memory that
does not grow; SIGHUP with a good and a bad configuration; SIGTERM in the
middle of a cycle; the lock between run and a cron check.  Readiness is
read from the log lines run writes, never slept on."""
import os
import signal
import sqlite3
import subprocess

import rbltest
from rbltest import Rbldnsd, SilentUDP, Workdir, custom_list

T0 = 1795766400
ZONES = {"bl.test": ("ip4set", ":127.0.0.2:spam\n127.0.0.2\n192.0.2.1\n"),
         "bl2.test": ("ip4set", ":127.0.0.2:spam\n127.0.0.2\n192.0.2.1\n"),
         "lim.test": ("ip4set", ":127.0.0.2:x\n127.0.0.2\n")}
BL = custom_list("bl", "bl.test", "ip4", {"127.0.0.2": ("spam", "critical")})
LIM = custom_list("lim", "lim.test", "ip4", {"127.0.0.2": ("x", "critical")},
                  extra=", limits: {queries_per_day: 200}")


class RunTest(rbltest.unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dns = Rbldnsd(ZONES).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.dns.__exit__(None, None, None)

    def setUp(self):
        self.w = Workdir()

    def tearDown(self):
        self.w.cleanup()

    def config(self, server=None, schedule="  dnsbl: 10m\n  reminders: 1h\n  jitter: 0s\n",
               extra=""):
        self.w.write_config(
            "watchlists:\n  - name: out\n    ips: [192.0.2.0/29]\nlists:\n  use: []\n"
            "  custom:\n%s%sresolver:\n  servers: [%s]\n  timeout: 500ms\n"
            "schedule:\n%s%s" % (BL, LIM, server or self.dns.server, schedule, extra))

    def simulate(self, seconds):
        return self.w.run(["run"], env={"RBLMON_RUN_SIMULATE": str(seconds)}, now=T0)

    def db(self, sql):
        c = sqlite3.connect(self.w.db)
        try:
            return c.execute(sql).fetchall()
        finally:
            c.close()

    def test_jobs_at_their_intervals_and_pacing(self):
        self.config()
        r = self.simulate(24 * 3600)
        self.assertEqual(r.rc, 0, r.err)
        # every 10 minutes for a day: 144 DNSBL jobs, 24 reminder jobs
        self.assertEqual(r.err.count("<6>rblmon run: dnsbl: exit"), 144, r.err[-2000:])
        self.assertEqual(r.err.count("<6>rblmon run: reminders: exit"), 24)
        self.assertEqual(self.db("SELECT count(*) FROM cycles")[0][0], 144)
        # lim allows 200 queries a day; a check of 8 addresses takes 12
        self.assertIn("list lim: 12 queries a check every 10m would pass the 200 a day",
                      r.err)
        rows = self.db("SELECT at, queries FROM list_queries WHERE source = 'lim' ORDER BY at")
        for i, (at, _) in enumerate(rows):
            in_day = sum(q for t, q in rows if at <= t < at + 86400)
            self.assertLessEqual(in_day, 200, (i, rows))
        self.assertGreater(len(rows), 10)
        # bl is asked every time, and its listing is one episode
        self.assertEqual(self.db("SELECT count(*) FROM episodes WHERE source = 'bl'")[0][0], 1)
        # the log lines are for journald: a <N> priority, no colour
        for line in r.err.splitlines():
            if line.startswith("<"):
                self.assertRegex(line, r"^<[0-7]>rblmon run: ")
            self.assertNotIn("\x1b", line)

    def test_pacing_survives_a_restart(self):
        # lim (200 queries a day, 12 a check) is paced to every 90 minutes;
        # a run restarted 20 minutes later reads what the first one asked
        self.config()
        self.assertEqual(self.simulate(600).rc, 0)
        first = self.db("SELECT sum(queries) FROM list_queries WHERE source = 'lim'")[0][0]
        self.assertGreater(first, 0)
        r = self.w.run(["run"], env={"RBLMON_RUN_SIMULATE": "600"}, now=T0 + 1200)
        self.assertEqual(r.rc, 0, r.err)
        self.assertEqual(self.db("SELECT sum(queries) FROM list_queries "
                                 "WHERE source = 'lim'")[0][0], first, r.err[-2000:])
        self.assertGreater(self.db("SELECT sum(queries) FROM list_queries "
                                   "WHERE source = 'bl'")[0][0], 12)  # bl is not paced

    def test_removed_list_is_closed_by_partial_cycles(self):
        bl2 = custom_list("bl2", "bl2.test", "ip4", {"127.0.0.2": ("spam", "critical")})
        self.config(schedule="  dnsbl: 10m\n  reminders: off\n  jitter: 0s\n",
                    extra="auth: {checks: [mx]}\n")
        text = open(self.w.config_path).read()
        self.w.write_config(text.replace("  custom:\n", "  custom:\n" + bl2))
        self.assertEqual(self.simulate(1800).rc, 0)
        self.assertEqual(self.db("SELECT count(*) FROM episodes WHERE source = 'bl2' "
                                 "AND cleared_at IS NULL")[0][0], 1)
        self.w.write_config(text)  # bl2 is gone from the configuration
        r = self.w.run(["run"], env={"RBLMON_RUN_SIMULATE": "1800"}, now=T0 + 3600)
        self.assertEqual(r.rc, 0, r.err)
        self.assertEqual(self.db("SELECT count(*) FROM episodes WHERE source = 'bl2' "
                                 "AND cleared_at IS NULL")[0][0], 0)
        # bl, asked by the same cycles, keeps its one open listing
        self.assertEqual(self.db("SELECT count(*) FROM episodes WHERE source = 'bl' "
                                 "AND cleared_at IS NULL")[0][0], 1)

    @rbltest.unittest.skipIf(
        "libasan" in subprocess.run(["ldd", rbltest.RBLMON], capture_output=True,
                                    text=True).stdout,
        "AddressSanitizer keeps freed memory in quarantine: the normal build measures")
    def test_memory_does_not_grow(self):
        self.config(schedule="  dnsbl: 5m\n  reminders: 1h\n  jitter: 0s\n")
        peaks = []
        for hours in (2, 24):
            p = subprocess.run(["/usr/bin/time", "-f", "%M"] + self.w.argv(["run"]),
                               env=self.w.env({"RBLMON_RUN_SIMULATE": str(hours * 3600),
                                               "RBLMON_NOW": str(T0)}),
                               capture_output=True, text=True, timeout=600)
            self.assertEqual(p.returncode, 0, p.stderr[-2000:])
            peaks.append(int(p.stderr.strip().splitlines()[-1]))
        # 24 vs 288 cycles: the peak is the same give or take allocator noise
        self.assertLess(peaks[1], peaks[0] + 2048, peaks)

    def start(self, env=None):
        p = self.w.popen(["run"], env=env)
        self.addCleanup(lambda: (p.poll() is None and p.kill(), p.wait(),
                                 p.stdout.close(), p.stderr.close()))
        return p

    def wait_for(self, p, text):
        """Reads run's log until a line holds text; returns the lines."""
        lines = []
        for raw in p.stderr:
            line = raw.decode("utf-8", "replace")
            lines.append(line)
            if text in line:
                return lines
        self.fail("run ended before '%s':\n%s" % (text, "".join(lines)))

    def test_sighup_reloads_or_keeps(self):
        self.config(schedule="  dnsbl: 1h\n  reminders: 1h\n  jitter: 0s\n")
        p = self.start()
        self.wait_for(p, "dnsbl: exit")
        good = open(self.w.config_path).read()
        self.w.write_config(good + "bogus: 1\n")
        p.send_signal(signal.SIGHUP)
        lines = self.wait_for(p, "reload failed")
        self.assertIn("unknown key 'bogus'", "".join(lines))
        for line in lines:  # every line is for journald, errors at <3>
            self.assertRegex(line, r"^<[0-7]>rblmon run: ", line)
            if "bogus" in line or "reload failed" in line:
                self.assertTrue(line.startswith("<3>"), line)
        self.w.write_config(good.replace("dnsbl: 1h", "dnsbl: 2h"))
        p.send_signal(signal.SIGHUP)
        self.wait_for(p, "reloaded")
        p.send_signal(signal.SIGTERM)
        self.wait_for(p, "stopped after")
        self.assertEqual(p.wait(), 0)

    def test_sigterm_mid_cycle_commits_and_exits_0(self):
        with SilentUDP() as silent:
            self.config(server=silent.server, extra="state:\n  lock_wait: 1s\n")
            self.w.write_config(open(self.w.config_path).read().replace(
                "timeout: 500ms", "timeout: 20s"))
            p = self.start()
            self.wait_for(p, "cycle started")
            # the cycle hangs on a silent resolver: a cron check meanwhile
            # waits for the lock, then says why it cannot run
            c = self.w.run(["check"], now=T0)
            self.assertEqual(c.rc, 3)
            self.assertIn("another rblmon is using", c.err)
            p.send_signal(signal.SIGTERM)
            self.wait_for(p, "stopped after 1 jobs")
            self.assertEqual(p.wait(timeout=60), 0)
        # the cycle was committed: the lists were stopped while their test
        # points were asked, so each has one "not checked" for the range
        self.assertEqual(self.db("SELECT count(*) FROM cycles")[0][0], 1)
        rows = self.db("SELECT target, source, status FROM last_check ORDER BY source")
        self.assertEqual(rows, [("192.0.2.0/29", "bl", "error"),
                                ("192.0.2.0/29", "lim", "error")])

    def test_bad_configuration_at_start(self):
        self.w.write_config("schedule:\n  dnsbl: 10s\n")
        r = self.w.run(["run"])
        self.assertEqual(r.rc, 3)
        self.assertRegex(r.err, r"rblmon\.yaml:2:10: error: schedule.dnsbl")


if __name__ == "__main__":
    rbltest.main()
