"""Notifications (issue 7) through real parts: Xvfb, a private D-Bus
session bus, the real notification-daemon, and dbus-monitor capturing the
org.freedesktop.Notifications.Notify calls.  Readiness is read from the
programs themselves (-displayfd, --print-address, gdbus wait); the end of a
capture is marked by a sentinel Notify call, not by sleeping."""
import os
import re
import shutil
import subprocess
import tempfile

import rbltest
from rbltest import Rbldnsd, Workdir, custom_list

T0 = 1767607200
ZONES = {"bl.test": ("ip4set", ":127.0.0.2:see <b>this</b> & \x1b[31mthat\n127.0.0.2\n"
                               "192.0.2.1\n192.0.2.2\n192.0.2.3\n192.0.2.4\n192.0.2.5\n")}
BL = custom_list("bl", "bl.test", "ip4", {"127.0.0.2": ("spam <source>", "critical")},
                 extra=', title: "Test BL", delist: {url: "https://bl.test/remove"}')


class Desktop:
    """Xvfb + dbus-daemon + notification-daemon + dbus-monitor."""

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="rblmon-dbus.")
        self.procs = []
        r, w = os.pipe()
        self.procs.append(subprocess.Popen(["Xvfb", "-displayfd", str(w), "-nolisten", "tcp"],
                                           pass_fds=(w,), stderr=subprocess.DEVNULL))
        os.close(w)
        with os.fdopen(r) as f:
            self.display = ":" + f.readline().strip()
        self.bus_path = os.path.join(self.dir, "bus")
        r, w = os.pipe()
        self.procs.append(subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", "--address=unix:path=" + self.bus_path,
             "--print-address=%d" % w], pass_fds=(w,), stderr=subprocess.DEVNULL))
        os.close(w)
        with os.fdopen(r) as f:
            self.address = f.readline().strip()
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                    "DBUS_SESSION_BUS_ADDRESS": self.address, "DISPLAY": self.display}
        self.procs.append(subprocess.Popen(["/usr/lib/notification-daemon/notification-daemon"],
                                           env=self.env, stdout=subprocess.DEVNULL,
                                           stderr=subprocess.DEVNULL))
        subprocess.run(["gdbus", "wait", "--session", "--timeout", "30",
                        "org.freedesktop.Notifications"], env=self.env, check=True)
        self.mon = subprocess.Popen(
            ["dbus-monitor", "--session",
             "interface='org.freedesktop.Notifications',member='Notify'"],
            env=self.env, stdout=subprocess.PIPE, text=True)
        self.procs.append(self.mon)
        for line in self.mon.stdout:  # its own NameAcquired: it is listening
            if "NameAcquired" in line:
                break
        return self

    def __exit__(self, *exc):
        for p in reversed(self.procs):
            p.terminate()
            p.wait()
        self.mon.stdout.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def calls(self):
        """The Notify calls since the last read: [(summary, body, urgency)]."""
        subprocess.run(["gdbus", "call", "--session", "--dest", "org.freedesktop.Notifications",
                        "--object-path", "/org/freedesktop/Notifications", "--method",
                        "org.freedesktop.Notifications.Notify", "sentinel", "0", "", "SENTINEL",
                        "", "[]", "{}", "1000"], env=self.env, check=True,
                       stdout=subprocess.DEVNULL)
        calls, cur, partial = [], None, None
        for line in self.mon.stdout:
            if partial is not None:  # a string with newlines goes on
                partial += line
                if line.rstrip("\n").endswith('"'):
                    cur["strings"].append(partial.rstrip("\n")[:-1])
                    partial = None
                continue
            if "member=Notify" in line:
                cur = {"strings": [], "urgency": None}
                calls.append(cur)
                continue
            m = re.match(r'\s+string "(.*)$', line)
            if m and cur is not None and len(cur["strings"]) < 4:
                rest = m.group(1)
                if rest.endswith('"'):
                    cur["strings"].append(rest[:-1])
                else:
                    partial = rest + "\n"
                continue
            m = re.match(r"\s+variant\s+byte (\d+)", line)
            if m and cur is not None:
                cur["urgency"] = int(m.group(1))
            # app name, icon, summary, body: the sentinel's summary ends it
            if cur is not None and len(cur["strings"]) == 4 and \
                    cur["strings"][2] == "SENTINEL":
                calls.pop()
                break
        return [(c["strings"][2], c["strings"][3], c["urgency"]) for c in calls]


class NotifyTest(rbltest.unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dns = Rbldnsd(ZONES).__enter__()
        cls.desk = Desktop().__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.desk.__exit__(None, None, None)
        cls.dns.__exit__(None, None, None)

    def setUp(self):
        self.w = Workdir()
        self.hook = os.path.join(self.w.dir, "hook.sh")
        with open(self.hook, "w") as f:
            f.write('#!/bin/sh\ncat > "%s/hook.stdin"\nprintf "%%s\\n" "$@" > "%s/hook.argv"\n'
                    'env > "%s/hook.env"\nexit "${EXIT:-0}"\n' % ((self.w.dir,) * 3))
        os.chmod(self.hook, 0o755)

    def tearDown(self):
        self.w.cleanup()

    def config(self, ips, notify):
        self.w.write_config("watchlists:\n  - name: out\n    ips: [%s]\nlists:\n  use: []\n"
                            "  custom:\n%sresolver:\n  servers: [%s]\n  timeout: 500ms\n"
                            "notify:\n%s" % (ips, BL, self.dns.server, notify))

    def run_(self, args, env, now=T0):
        r = self.w.run(args, env=env, now=now)
        self.assertNotIn("AddressSanitizer", r.err)
        return r

    def session_env(self):
        return {"DBUS_SESSION_BUS_ADDRESS": self.desk.address}

    def test_listing_pops_up_and_reaches_the_hook(self):
        self.config("192.0.2.1", "  desktop: {}\n  command: {argv: [%s, one, \"two words\"]}\n"
                    % self.hook)
        r = self.run_(["check", "--changes-only"], self.session_env())
        self.assertEqual(r.rc, 2)
        self.assertEqual(r.err, "")
        calls = self.desk.calls()
        self.assertEqual(len(calls), 1)
        summary, body, urgency = calls[0]
        self.assertEqual(summary, "192.0.2.1 listed on Test BL")
        self.assertEqual(urgency, 2)  # critical
        self.assertIn("spam &lt;source&gt;", body)  # markup escaped
        self.assertIn("https://bl.test/remove", body)
        with open(os.path.join(self.w.dir, "hook.argv")) as f:
            self.assertEqual(f.read(), "one\ntwo words\n")
        with open(os.path.join(self.w.dir, "hook.stdin")) as f:
            ev = rbltest.json_doc(f.read())["events"]
        self.assertEqual((ev[0]["event"], ev[0]["change"], ev[0]["target"], ev[0]["source"]),
                         ("listed", "listed", "192.0.2.1", "bl"))
        with open(os.path.join(self.w.dir, "hook.env")) as f:
            env = dict(l.split("=", 1) for l in f.read().splitlines() if "=" in l)
        self.assertEqual((env["RBLMON_EVENT"], env["RBLMON_SEVERITY"], env["RBLMON_EVENTS"]),
                         ("listed", "critical", "1"))
        self.assertNotIn("DBUS_SESSION_BUS_ADDRESS", env)  # a clean environment
        self.assertNotIn("HOME", env)
        # nothing changed: nothing is sent
        self.run_(["check", "--changes-only"], self.session_env(), now=T0 + 60)
        self.assertEqual(self.desk.calls(), [])

    def test_reminder_text_is_escaped_for_markup(self):
        self.config("192.0.2.1", "  desktop: {events: [reminder]}\n")
        self.run_(["check"], self.session_env())
        self.assertEqual(self.desk.calls(), [])  # listing events not wanted
        self.run_(["remind"], self.session_env(), now=T0 + 60)
        calls = self.desk.calls()
        self.assertEqual(len(calls), 1)
        body = calls[0][1]
        # escaped once (not \\x1b), markup escaped, its lines kept
        self.assertIn("\n  The list says: see &lt;b&gt;this&lt;/b&gt; &amp; \\x1b[31mthat\n",
                      body)
        self.assertNotIn("\x1b", body)

    def test_many_events_make_one_notification(self):
        self.config("192.0.2.1, 192.0.2.2, 192.0.2.3, 192.0.2.4, 192.0.2.5",
                    "  desktop: {}\n")
        self.run_(["check"], self.session_env())
        calls = self.desk.calls()
        self.assertEqual(len(calls), 1)
        self.assertEqual(calls[0][0], "rblmon: 5 changes")
        self.assertEqual(calls[0][1].count("listed on Test BL"), 5)

    def test_cron_finds_the_bus_in_the_runtime_dir(self):
        self.config("192.0.2.1", "  desktop: {}\n")
        r = self.run_(["check"], {"XDG_RUNTIME_DIR": self.desk.dir})
        self.assertEqual(r.err, "")
        self.assertEqual(len(self.desk.calls()), 1)

    def test_no_bus_is_one_line_and_not_fatal(self):
        self.config("192.0.2.1", "  desktop: {}\n  command: {argv: [%s]}\n" % self.hook)
        empty = tempfile.mkdtemp(prefix="rblmon-nobus.")
        try:
            r = self.run_(["check", "--changes-only"], {"XDG_RUNTIME_DIR": empty})
        finally:
            shutil.rmtree(empty)
        self.assertEqual(r.rc, 2)
        self.assertEqual(len(r.err.splitlines()), 1, r.err)
        self.assertIn("no session bus", r.err)
        self.assertTrue(os.path.exists(os.path.join(self.w.dir, "hook.stdin")))

    def test_hook_that_hangs_or_fails(self):
        sleeper = os.path.join(self.w.dir, "sleep.sh")
        with open(sleeper, "w") as f:
            f.write("#!/bin/sh\nexec sleep 30\n")
        os.chmod(sleeper, 0o755)
        self.config("192.0.2.1", "  command: {argv: [%s], timeout: 300ms}\n" % sleeper)
        r = self.run_(["check", "--changes-only"], {})
        self.assertEqual(r.rc, 2)
        self.assertIn("did not finish within 300ms and was killed", r.err)
        self.config("192.0.2.2", "  command: {argv: [/bin/false]}\n")
        r = self.run_(["check", "--changes-only"], {}, now=T0 + 60)
        self.assertIn("/bin/false exited with status 1", r.err)
        self.assertEqual(r.rc, 2)

    def test_notify_test_reports_each_channel(self):
        self.config("192.0.2.1", "  desktop: {}\n  command: {argv: [/bin/false]}\n")
        r = self.run_(["notify", "--test"], self.session_env())
        self.assertEqual(r.rc, 1)
        self.assertIn("desktop: sent 1 event", r.out)
        self.assertIn("notify command: /bin/false exited with status 1", r.err)
        self.assertEqual([c[0] for c in self.desk.calls()], ["rblmon test notification"])


if __name__ == "__main__":
    rbltest.main()
