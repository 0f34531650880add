"""Installation (issue 10): cmake --install into a temporary prefix puts
every file in place, and the installed binary finds its catalog and rules
beside itself, with no environment and no source tree."""
import os
import shutil
import subprocess
import tempfile

import rbltest

BUILD = os.environ.get("RBLMON_BUILD")

FILES = ["bin/rblmon", "share/rblmon/lists/spamhaus.yaml",
         "share/rblmon/lists/rules/rejections.yaml",
         "share/rblmon/rblmon.example.yaml", "share/rblmon/rblmon.cron",
         "share/man/man1/rblmon.1", "share/man/man5/rblmon.yaml.5",
         "share/doc/rblmon/SECURITY.md", "share/doc/rblmon/README.md",
         "share/doc/rblmon/schema/check.json", "share/doc/rblmon/schema/defs.json",
         "share/locale/fr/LC_MESSAGES/rblmon.mo",
         "lib/systemd/system/rblmon.service", "lib/systemd/user/rblmon.service",
         "lib/systemd/user/rblmon-check.service",
         "lib/systemd/user/rblmon-check.timer"]


@rbltest.unittest.skipUnless(BUILD, "RBLMON_BUILD names the build directory")
class InstallTest(rbltest.unittest.TestCase):
    def setUp(self):
        self.prefix = tempfile.mkdtemp(prefix="rblmon-prefix.")
        self.addCleanup(shutil.rmtree, self.prefix, True)
        subprocess.run(["cmake", "--install", BUILD, "--prefix", self.prefix],
                       check=True, capture_output=True)

    def run_installed(self, args):
        env = {"PATH": "/usr/bin:/bin", "HOME": self.prefix, "LC_ALL": "C",
               "XDG_STATE_HOME": os.path.join(self.prefix, "state")}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                env[k] = os.environ[k]
        return subprocess.run([os.path.join(self.prefix, "bin/rblmon")] + args,
                              env=env, capture_output=True, text=True, cwd=self.prefix)

    def test_every_file(self):
        for f in FILES:
            self.assertTrue(os.path.isfile(os.path.join(self.prefix, f)), f)
        unit = open(os.path.join(self.prefix, "lib/systemd/system/rblmon.service")).read()
        self.assertIn("ExecStart=%s/bin/rblmon -c /etc/rblmon/rblmon.yaml run"
                      % self.prefix, unit)
        cron = open(os.path.join(self.prefix, "share/rblmon/rblmon.cron")).read()
        self.assertIn("rblmon  %s/bin/rblmon check --changes-only" % self.prefix, cron)
        jobs = [l.split() for l in cron.splitlines() if l[:1].isdigit() or l[:1] == "*"]
        self.assertEqual([j[5] for j in jobs], ["rblmon"] * 3)  # least privilege
        self.assertIn("ExecReload=/bin/kill -HUP $MAINPID", unit)
        self.assertNotIn("@", unit)

    def test_installed_binary_finds_its_catalog(self):
        r = self.run_installed(["lists"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("in the catalog (%s/share/rblmon/lists)"
                      % os.path.realpath(self.prefix), r.stdout)
        example = os.path.join(self.prefix, "share/rblmon/rblmon.example.yaml")
        r = self.run_installed(["-c", example, "config", "check"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("configuration OK", r.stdout)


if __name__ == "__main__":
    rbltest.main()
