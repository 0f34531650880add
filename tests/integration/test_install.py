"""Installation (issues 10, 21): cmake --install into a temporary prefix puts
every file in place (man pages gzip -9n as Debian ships them, the docs the
man pages name, the sysusers.d and tmpfiles.d files), and the installed
binary finds its catalog, rules and translations beside itself, with no
environment and no source tree, even from a copy of the tree moved
elsewhere."""
import gzip
import os
import shutil
import subprocess
import tempfile
import time

import rbltest

BUILD = os.environ.get("RBLMON_BUILD")

FILES = ["bin/rblmon", "share/rblmon/lists/spamhaus.yaml",
         "share/rblmon/lists/rules/rejections.yaml",
         "share/rblmon/rblmon.example.yaml", "share/rblmon/rblmon.cron",
         "share/man/man1/rblmon.1.gz", "share/man/man5/rblmon.yaml.5.gz",
         "share/doc/rblmon/SECURITY.md", "share/doc/rblmon/README.md",
         "share/doc/rblmon/catalog-format.md", "share/doc/rblmon/logscan.md",
         "lib/sysusers.d/rblmon.conf", "lib/tmpfiles.d/rblmon.conf",
         "share/bash-completion/completions/rblmon",
         "share/zsh/vendor-completions/_rblmon",
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

    def run_installed(self, args, prefix=None, env=None):
        prefix = prefix or self.prefix
        e = {"PATH": "/usr/bin:/bin", "HOME": prefix, "LC_ALL": "C",
             "XDG_STATE_HOME": os.path.join(prefix, "state")}
        e.update(env or {})
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                e[k] = os.environ[k]
        return subprocess.run([os.path.join(prefix, "bin/rblmon")] + args,
                              env=e, capture_output=True, text=True, cwd=prefix)

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
        self.assertNotIn("@RBLMON", unit)
        # the comments name the installed files, not the source tree's
        self.assertIn("systemd-sysusers %s/lib/sysusers.d/rblmon.conf" % self.prefix, cron)
        self.assertIn("systemd-sysusers %s/lib/sysusers.d/rblmon.conf" % self.prefix, unit)
        self.assertIn("%s/lib/systemd/system/rblmon.service" % self.prefix, cron)
        for f in ("lib/sysusers.d/rblmon.conf", "lib/tmpfiles.d/rblmon.conf",
                  "lib/systemd/user/rblmon.service"):
            with open(os.path.join(self.prefix, f)) as fh:
                self.assertNotIn("@RBLMON", fh.read(), f)

    def test_man_pages_compressed_as_debian_does(self):
        for page, src in (("share/man/man1/rblmon.1.gz", "rblmon.1"),
                          ("share/man/man5/rblmon.yaml.5.gz", "rblmon.yaml.5")):
            with open(os.path.join(self.prefix, page), "rb") as f:
                raw = f.read()
            # gzip -n: no name (FLG.FNAME clear), no time; -9: XFL 2
            self.assertEqual(raw[:3], b"\x1f\x8b\x08", page)
            self.assertEqual(raw[3] & 0x08, 0, page + ": file name stored")
            self.assertEqual(raw[4:8], b"\0\0\0\0", page + ": time stored")
            self.assertEqual(raw[8], 2, page + ": not -9")
            with open(os.path.join(rbltest.SRC, "docs", src), "rb") as f:
                self.assertEqual(gzip.decompress(raw), f.read(), page)

    def test_translations_from_a_moved_copy(self):
        # A copy of the installed tree elsewhere: no build path, no prefix
        # path compiled in can serve; only ../share/locale beside the binary.
        moved = tempfile.mkdtemp(prefix="rblmon-moved.")
        self.addCleanup(shutil.rmtree, moved, True)
        tree = os.path.join(moved, "tree")
        shutil.copytree(self.prefix, tree, symlinks=True)
        when = time.strftime("%b %e %H:%M:%S", time.localtime(time.time() - 3600))
        with open(os.path.join(tree, "mail.log"), "w") as f:
            f.write(when + " mx1 postfix/smtp[1]: A4: to=<x@hotmail.com>, relay=hotmail-com."
                    "olc.protection.outlook.com[52.101.1.1]:25, dsn=5.7.1, status=bounced "
                    "(host hotmail-com.olc.protection.outlook.com[52.101.1.1] said: 550 "
                    "5.7.1 Unfortunately, messages from [192.0.2.1] weren't sent. Please "
                    "contact your Internet service provider since part of their network "
                    "is on our block list (S3150). (in reply to MAIL FROM command))\n")
        with open(os.path.join(tree, "c.yaml"), "w") as f:
            f.write("watchlists:\n  - name: out\n    ips: [192.0.2.1]\n"
                    "lists:\n  use: []\nlogs:\n  files: [mail.log]\n")
        fr = {"LANGUAGE": "fr", "LC_ALL": "C.UTF-8"}
        r = self.run_installed(["-c", "c.yaml", "scan-logs"], tree, fr)
        self.assertIn("1 new", r.stdout, r.stderr)
        r = self.run_installed(["-c", "c.yaml", "status"], tree, fr)
        self.assertIn("Liste de blocage propre à Microsoft", r.stdout)
        r = self.run_installed(["-c", "c.yaml", "status"], tree)  # LC_ALL=C
        self.assertIn("Microsoft's own block list", r.stdout)
        os.unlink(os.path.join(tree, "share/locale/fr/LC_MESSAGES/rblmon.mo"))
        if not any(os.path.exists(d + "/share/locale/fr/LC_MESSAGES/rblmon.mo")
                   for d in ("/usr/local", "/usr")):  # an installed copy would serve
            r = self.run_installed(["-c", "c.yaml", "status"], tree, fr)
            self.assertIn("Microsoft's own block list", r.stdout)  # found nowhere else

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
