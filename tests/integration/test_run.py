"""rblmon run (issue 10) as a real process against rbldnsd on 127.0.0.1:
hours of schedule simulated on an injected clock (RBLMON_RUN_SIMULATE):
jobs at their intervals, pacing under a list's daily limit, memory that
does not grow; SIGHUP with a good and a bad configuration; SIGTERM in the
middle of a cycle; the lock between run and a cron check.  Readiness is
read from the log lines run writes, never slept on."""
import ctypes
import os
import shutil
import signal
import struct
import sqlite3
import subprocess

import rbltest
from rbltest import SilentUDP, Workdir, custom_list

T0 = 1795766400
ASAN = "libasan" in subprocess.run(["ldd", rbltest.RBLMON], capture_output=True,
                                   text=True).stdout
ZONES = {"bl.test": ("ip4set", ":127.0.0.2:spam\n127.0.0.2\n192.0.2.1\n"),
         "bl2.test": ("ip4set", ":127.0.0.2:spam\n127.0.0.2\n192.0.2.1\n"),
         "lim.test": ("ip4set", ":127.0.0.2:x\n127.0.0.2\n")}
BL = custom_list("bl", "bl.test", "ip4", {"127.0.0.2": ("spam", "critical")})
LIM = custom_list("lim", "lim.test", "ip4", {"127.0.0.2": ("x", "critical")},
                  extra=", limits: {queries_per_day: 200}")


class RunTest(rbltest.ZonesTestCase):
    ZONES = ZONES

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
        ASAN, "AddressSanitizer keeps freed memory in quarantine: the normal build measures")
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

    def test_thousand_cycles_with_sighup_stay_flat(self):
        """1,000 DNSBL cycles, a SIGHUP after every 10 jobs: the files are
        read once at the start and once per reload (never per job, counted
        by inotify), and the RSS and the open descriptors, read from /proc
        while the run is stopped after each reload, stay flat."""
        self.config(schedule="  dnsbl: 1m\n  reminders: 1h\n  jitter: 0s\n")
        catalog = os.path.join(self.w.dir, "catalog")
        shutil.copytree(rbltest.CATALOG, catalog)
        libc = ctypes.CDLL(None, use_errno=True)
        ino = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        self.assertGreaterEqual(ino, 0)
        self.addCleanup(os.close, ino)
        IN_OPEN = 0x20
        watched = [self.w.config_path] + [
            os.path.join(catalog, f) for f in sorted(os.listdir(catalog))
            if f.endswith(".yaml")]
        for path in watched:
            self.assertGreaterEqual(libc.inotify_add_watch(ino, path.encode(), IN_OPEN), 0)
        err = open(os.path.join(self.w.dir, "run.log"), "w+")
        self.addCleanup(err.close)
        p = subprocess.Popen(self.w.argv(["run"]), cwd=self.w.dir, stdout=subprocess.DEVNULL,
                             stderr=err, env=self.w.env({
                                 "RBLMON_RUN_SIMULATE": str(1000 * 60 - 1),
                                 "RBLMON_RUN_SIMULATE_HUP": "10",
                                 "RBLMON_NOW": str(T0), "RBLMON_CATALOG": catalog}))
        self.addCleanup(lambda: p.poll() is None and p.kill())
        samples = []
        while True:  # the run stops itself after each reload
            _, status = os.waitpid(p.pid, os.WUNTRACED)
            if not os.WIFSTOPPED(status):
                break
            with open("/proc/%d/status" % p.pid) as f:
                rss = [int(l.split()[1]) for l in f if l.startswith("VmRSS:")][0]
            samples.append((rss, len(os.listdir("/proc/%d/fd" % p.pid))))
            os.kill(p.pid, signal.SIGCONT)
        p.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        log = err.read()
        self.assertEqual(p.returncode, 0, log[-2000:])
        self.assertEqual(log.count("dnsbl: exit"), 1000, log[-2000:])
        reloads = log.count("reloaded ")
        self.assertGreaterEqual(reloads, 100)
        self.assertEqual(len(samples), reloads)
        opens = {}
        data = b""
        while True:
            try:
                data += os.read(ino, 65536)
            except BlockingIOError:
                break
        wd_path = {i + 1: path for i, path in enumerate(watched)}
        while data:
            wd, mask, _, n = struct.unpack_from("iIII", data)
            if mask & IN_OPEN:
                opens[wd_path[wd]] = opens.get(wd_path[wd], 0) + 1
            data = data[16 + n:]
        for path in watched:  # once at the start, once per reload
            self.assertEqual(opens.get(path, 0), 1 + reloads, path)
        fds = {s[1] for s in samples}
        self.assertEqual(len(fds), 1, samples)
        if not ASAN:  # its quarantine keeps freed memory: RSS means nothing
            rss = [s[0] for s in samples]
            # after the first reloads, flat give or take allocator noise
            self.assertLess(max(rss[10:]) - rss[10], 2048, rss)

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

    def test_sigterm_during_from_spf_starts_no_engine(self):
        with SilentUDP() as silent:
            self.config(server=silent.server)
            with open(self.w.config_path) as f:
                text = f.read()
            self.w.write_config(text.replace("timeout: 500ms", "timeout: 30s").replace(
                "ips: [192.0.2.0/29]", "ips: [192.0.2.0/29]\n    from_spf: src.test"))
            p = self.start()
            # the loop reads the signal while from_spf waits on the resolver
            self.wait_for(p, "dnsbl: starting")
            p.send_signal(signal.SIGTERM)
            lines = self.wait_for(p, "stopped after 1 jobs")
            self.assertEqual(p.wait(timeout=120), 0)
            asked = silent.queries()
        log = "".join(lines)
        # the job ends there: no list was asked (not even its test points)
        self.assertEqual(asked, ["src.test"])
        self.assertIn("from_spf src.test (watchlist out): the deadline", log)
        self.assertIn("stopped before the lists were asked: this check was not "
                      "recorded", log)
        self.assertIn("dnsbl: exit 3", log)
        self.assertEqual(self.db("SELECT count(*) FROM cycles")[0][0], 0)

    def test_bad_configuration_at_start(self):
        self.w.write_config("schedule:\n  dnsbl: 10s\n")
        r = self.w.run(["run"])
        self.assertEqual(r.rc, 3)
        self.assertRegex(r.err, r"rblmon\.yaml:2:10: error: schedule.dnsbl")


if __name__ == "__main__":
    rbltest.main()
