"""The Debian package (issue 21): installed with dpkg, it makes the rblmon
system user (in adm) and /var/lib/rblmon 0700, puts /usr/bin/rblmon, the
catalog, the conffile /etc/rblmon/rblmon.yaml (which passes config check,
as the rblmon user too), the units (the service neither enabled nor
started), a cron file with every job commented out, the man pages and the
completion in place; then it purges cleanly (the conffiles go too).

The package is RBLMON_DEB (a .deb that "make deb" built), or, with
RBLMON_DEB_TEST=1, built here from a copy of the tree (about a minute
and a half on two cores: not in every "make test"; .ci/run runs it after).
Needs root and dpkg; skips otherwise."""
import glob
import os
import shutil
import subprocess
import tempfile
import unittest

import rbltest
from rbltest import SRC

ROOT = os.geteuid() == 0
DPKG = shutil.which("apt-get") and shutil.which("dpkg-buildpackage")


def sh(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def apt(args):
    """apt-get, waiting for the dpkg lock another apt may hold."""
    return sh(["apt-get", "-y", "-q", "-o", "DPkg::Lock::Timeout=300"]
              + args, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))


def installed(pkg):
    r = sh(["dpkg-query", "-W", "-f=${Status}", pkg])
    return r.returncode == 0 and "installed" in r.stdout.split()


def build_deb(out):
    """dpkg-buildpackage -b from a copy of the tree: the .deb in out."""
    src = os.path.join(out, "src")
    os.makedirs(src)
    tar = subprocess.Popen(["tar", "-c", "--exclude-vcs", "--exclude=./build",
                            "--exclude=./build-*", "-f", "-", "."], cwd=SRC,
                           stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", src], stdin=tar.stdout, check=True)
    tar.stdout.close()
    if tar.wait() != 0:
        raise AssertionError("tar of the tree failed")
    r = sh(["dpkg-buildpackage", "-b", "-us", "-uc", "-j%d" % (os.cpu_count() or 1)],
           cwd=src)
    if r.returncode != 0:
        raise AssertionError("dpkg-buildpackage failed:\n" + r.stdout[-4000:] + r.stderr[-4000:])
    debs = glob.glob(os.path.join(out, "rblmon_*.deb"))
    if len(debs) != 1:
        raise AssertionError("dpkg-buildpackage made %r" % debs)
    return debs[0]


@unittest.skipUnless(ROOT, "not root: installing a package needs root")
@unittest.skipUnless(DPKG, "apt-get or dpkg-buildpackage is missing (apt-get install dpkg-dev)")
class DebTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.deb = os.environ.get("RBLMON_DEB")
        if not cls.deb:
            if os.environ.get("RBLMON_DEB_TEST") != "1":
                raise unittest.SkipTest("no package: set RBLMON_DEB=FILE.deb (make deb "
                                        "builds one) or RBLMON_DEB_TEST=1 to build it here")
            cls.tmp = tempfile.mkdtemp(prefix="rblmon-deb.")
            cls.deb = build_deb(cls.tmp)
        if installed("rblmon"):
            raise unittest.SkipTest("an rblmon package is installed already: "
                                    "not replacing it")
        r = apt(["install", "--no-install-recommends", os.path.abspath(cls.deb)])
        if r.returncode != 0:
            apt(["purge", "rblmon"])
            raise AssertionError("installing the package failed:\n" + r.stdout + r.stderr)

    @classmethod
    def tearDownClass(cls):
        if installed("rblmon"):
            r = apt(["purge", "rblmon"])
            if r.returncode != 0 or installed("rblmon"):
                raise AssertionError("purging rblmon failed:\n" + r.stdout + r.stderr)
            for path in ("/etc/rblmon", "/etc/cron.d/rblmon", "/usr/bin/rblmon"):
                if os.path.exists(path):
                    raise AssertionError("left after purge: " + path)
        if getattr(cls, "tmp", None):
            shutil.rmtree(cls.tmp, True)

    def rblmon(self, args, user=None):
        env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "HOME": "/nonexistent"}
        cmd = ["/usr/bin/rblmon"] + args
        if user:
            cmd = ["setpriv", "--reuid=" + user, "--regid=" + user, "--init-groups"] + cmd
        return sh(cmd, env=env, cwd="/")

    def test_binary_and_config(self):
        r = self.rblmon(["--version"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "rblmon 0.1.0")
        # the default configuration is the conffile
        for args, user in ((["config", "check"], None),
                           (["-c", "/etc/rblmon/rblmon.yaml", "config", "check"], "rblmon")):
            r = self.rblmon(args, user)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("configuration OK", r.stdout)
        conffiles = sh(["dpkg-query", "-W", "-f=${Conffiles}", "rblmon"]).stdout
        self.assertIn("/etc/rblmon/rblmon.yaml", conffiles)
        self.assertIn("/etc/cron.d/rblmon", conffiles)
        r = self.rblmon(["lists"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("(/usr/share/rblmon/lists)", r.stdout)

    def test_files_in_place(self):
        for f in ("/usr/share/rblmon/lists/spamhaus.yaml",
                  "/usr/share/rblmon/lists/rules/rejections.yaml",
                  "/lib/systemd/system/rblmon.service",
                  "/usr/lib/systemd/user/rblmon.service",
                  "/usr/lib/systemd/user/rblmon-check.timer",
                  "/usr/lib/sysusers.d/rblmon.conf", "/usr/lib/tmpfiles.d/rblmon.conf",
                  "/usr/share/man/man1/rblmon.1.gz", "/usr/share/man/man5/rblmon.yaml.5.gz",
                  "/usr/share/doc/rblmon/copyright",
                  "/usr/share/locale/fr/LC_MESSAGES/rblmon.mo",
                  "/usr/share/bash-completion/completions/rblmon",
                  "/usr/share/zsh/vendor-completions/_rblmon"):
            self.assertTrue(os.path.isfile(f), f)
        for doc in ("README.md", "logscan.md", "catalog-format.md"):  # dh_compress
            f = "/usr/share/doc/rblmon/" + doc
            self.assertTrue(os.path.isfile(f) or os.path.isfile(f + ".gz"), f)
        self.assertTrue(os.path.isdir("/usr/share/rblmon/lists"))
        with open("/lib/systemd/system/rblmon.service") as f:
            self.assertIn("ExecStart=/usr/bin/rblmon -c /etc/rblmon/rblmon.yaml run\n",
                          f.read())
        # not enabled until configured
        self.assertFalse(os.path.exists(
            "/etc/systemd/system/multi-user.target.wants/rblmon.service"))
        with open("/etc/cron.d/rblmon") as f:
            cron = f.read()
        jobs = [l for l in cron.splitlines() if "/usr/bin/rblmon" in l]
        self.assertEqual(len(jobs), 3, cron)
        for l in jobs:
            self.assertTrue(l.startswith("#"), "cron job not commented out: " + l)

    def test_user_and_state_directory(self):
        import grp
        import pwd
        u = pwd.getpwnam("rblmon")
        self.assertNotEqual(u.pw_uid, 0)
        self.assertEqual(u.pw_dir, "/var/lib/rblmon")
        self.assertIn("rblmon", grp.getgrnam("adm").gr_mem)
        st = os.stat("/var/lib/rblmon")
        self.assertEqual((st.st_uid, st.st_mode & 0o7777), (u.pw_uid, 0o700))


if __name__ == "__main__":
    rbltest.main()
