"""Least privilege (issue 11): rblmon runs as an unprivileged user (as root
the suite drops to nobody with setpriv, running copies of the binary and
catalog that nobody may read wherever the tree is), its state and lock
files are 0600 in a 0700 directory whatever the umask; a configuration
every user may write is refused, as root so is one another user owns or
its group may write, and a key written into a file every user may read;
the hook runs without a shell, with its arguments as written, in a clean
environment."""
import os
import pwd
import stat
import subprocess
import tempfile
import shutil
import unittest

import rbltest
from rbltest import custom_list

ZONES = {"bl.test": ("ip4set", ":127.0.0.2:spam\n127.0.0.2\n192.0.2.1\n")}
BL = custom_list("bl", "bl.test", "ip4", {"127.0.0.2": ("spam", "critical")})
ROOT = os.geteuid() == 0


def config(server, extra=""):
    return ("watchlists:\n  - name: out\n    ips: [192.0.2.1, 192.0.2.2]\n"
            "lists:\n  use: []\n  custom:\n%s"
            "resolver:\n  servers: [%s]\n  timeout: 500ms\n%s" % (BL, server, extra))


class Privilege(rbltest.ZonesTestCase):
    ZONES = ZONES

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="rblmon-priv.")
        os.chmod(self.dir, 0o755)
        self.user = pwd.getpwnam("nobody") if ROOT else pwd.getpwuid(os.geteuid())
        self.home = os.path.join(self.dir, "home")
        os.mkdir(self.home)
        os.chown(self.home, self.user.pw_uid, self.user.pw_gid)
        self.cfg = os.path.join(self.dir, "rblmon.yaml")
        # copies nobody may read, whatever the mode of the tree's directories
        self.binary = os.path.join(self.dir, "rblmon")
        shutil.copy(rbltest.RBLMON, self.binary)
        self.catalog = os.path.join(self.dir, "lists")
        shutil.copytree(rbltest.CATALOG, self.catalog)
        for root, dirs, files in os.walk(self.catalog):
            for n in dirs:
                os.chmod(os.path.join(root, n), 0o755)
            for n in files:
                os.chmod(os.path.join(root, n), 0o644)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def write(self, text, mode=0o644):
        with open(self.cfg, "w") as f:
            f.write(text)
        os.chmod(self.cfg, mode)

    def rblmon(self, args, as_user=True, umask=0o022, env=None):
        """rblmon as the unprivileged user (nobody when the suite is root)."""
        e = {"PATH": "/usr/bin:/bin", "HOME": self.home, "LC_ALL": "C",
             "XDG_STATE_HOME": os.path.join(self.home, "state"),
             "RBLMON_CATALOG": self.catalog}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                e[k] = os.environ[k]
        e.update(env or {})
        drop = []
        if ROOT and as_user:
            drop = ["setpriv", "--reuid", str(self.user.pw_uid), "--regid",
                    str(self.user.pw_gid), "--clear-groups", "--"]
        p = subprocess.run(drop + [self.binary, "-c", self.cfg] + list(args),
                           cwd=self.home, env=e, capture_output=True, timeout=120,
                           preexec_fn=lambda: os.umask(umask))
        return rbltest.Result(p.returncode, p.stdout.decode("utf-8", "replace"),
                              p.stderr.decode("utf-8", "replace"), args)

    def test_runs_unprivileged_with_private_state_whatever_the_umask(self):
        self.write(config(self.dns.server))
        r = self.rblmon(["check"], umask=0)
        self.assertEqual(r.rc, 2, r.err)
        self.assertIn("192.0.2.1", r.out)
        d = os.path.join(self.home, "state", "rblmon")
        names = sorted(os.listdir(d))
        self.assertIn("rblmon.db", names)
        self.assertIn("rblmon.db.lock", names)
        self.assertEqual(stat.S_IMODE(os.stat(d).st_mode), 0o700)
        for n in names:  # the database, its lock, WAL and shared memory
            st = os.stat(os.path.join(d, n))
            self.assertEqual((n, stat.S_IMODE(st.st_mode)), (n, 0o600))
            self.assertEqual(st.st_uid, self.user.pw_uid)
        r = self.rblmon(["status"], umask=0)
        self.assertEqual(r.rc, 2, r.err)

    def test_a_configuration_every_user_may_write_is_refused(self):
        self.write(config(self.dns.server), 0o666)
        r = self.rblmon(["check"])
        self.assertEqual(r.rc, 3)
        self.assertIn("%s: error: writable by every user (mode 0666)" % self.cfg, r.err)
        self.assertIn("run chmod o-w %s" % self.cfg, r.err)
        self.assertFalse(os.path.exists(os.path.join(self.home, "state")))

    @unittest.skipUnless(ROOT, "needs root: rblmon as root, the file another user's")
    def test_root_reads_only_a_file_root_owns_and_only_root_may_write(self):
        self.write(config(self.dns.server, "notify:\n  command: {argv: [/bin/true]}\n"))
        os.chown(self.cfg, self.user.pw_uid, self.user.pw_gid)
        r = self.rblmon(["check", "--no-state"], as_user=False)
        self.assertEqual(r.rc, 3)
        self.assertIn("%s: error: owned by uid %d, but rblmon runs as root"
                      % (self.cfg, self.user.pw_uid), r.err)
        # without a hook too: key_file, state.path or logs.files would do
        self.write(config(self.dns.server))
        os.chown(self.cfg, self.user.pw_uid, self.user.pw_gid)
        r = self.rblmon(["check", "--no-state"], as_user=False)
        self.assertEqual(r.rc, 3)
        self.assertIn("owned by uid %d" % self.user.pw_uid, r.err)
        # root's file, but its group may write it
        os.chown(self.cfg, 0, 0)
        os.chmod(self.cfg, 0o664)
        r = self.rblmon(["check", "--no-state"], as_user=False)
        self.assertEqual(r.rc, 3)
        self.assertIn("writable by its group (mode 0664), but rblmon runs as root", r.err)
        os.chmod(self.cfg, 0o644)
        r = self.rblmon(["check", "--no-state"], as_user=False)
        self.assertEqual(r.rc, 2, r.err)

    def test_a_key_written_into_a_file_every_user_may_read_is_refused(self):
        keyed = config(self.dns.server).replace(
            "lists:\n  use: []\n", "lists:\n  use: []\n  keys: {dqs: s3cretkey}\n")
        self.write(keyed, 0o644)
        r = self.rblmon(["config", "check"])
        self.assertEqual(r.rc, 3)
        self.assertIn("rblmon.yaml:6:15: error: lists.keys.dqs is written here, and every "
                      "user may read this file (mode 0644)", r.err)
        self.assertNotIn("s3cretkey", r.err)
        self.write(keyed, 0o640 if not ROOT else 0o600)
        os.chown(self.cfg, self.user.pw_uid if not ROOT else 0, self.user.pw_gid)
        r = self.rblmon(["config", "check"], as_user=not ROOT)
        self.assertEqual(r.rc, 0, r.err)
        self.assertNotIn("is written here", r.err)
        # from the environment, the file may be readable
        self.write(keyed.replace("s3cretkey", '"${DQS_KEY}"'), 0o644)
        r = self.rblmon(["config", "check"])
        self.assertEqual(r.rc, 0, r.err)  # a warning: no list uses the key
        self.assertNotIn("is written here", r.err)

    def test_hook_without_shell_in_a_clean_environment(self):
        out = os.path.join(self.home, "hook.out")
        hook = os.path.join(self.dir, "hook.sh")
        with open(hook, "w") as f:
            f.write("#!/bin/sh\n{ for a in \"$@\"; do printf '%%s\\n' \"$a\"; done; "
                    "echo --; env | sort; } > %s\n" % out)
        os.chmod(hook, 0o755)
        args = ["$(touch pwned)", "; id", "`id`", "a b", "*"]
        self.write(config(self.dns.server, "notify:\n  command: {argv: [%s, %s]}\n"
                          % (hook, ", ".join("'%s'" % a for a in args))))
        r = self.rblmon(["check"], env={"SECRET_API_KEY": "s3cret",
                                                     "LD_PRELOAD": "", "IFS": "x"})
        self.assertEqual(r.rc, 2, r.err)
        with open(out) as f:
            argv, _, env = f.read().partition("--\n")
        self.assertEqual(argv.splitlines(), args)  # as written: no shell read them
        self.assertFalse(os.path.exists(os.path.join(self.home, "pwned")))
        keys = sorted(line.split("=", 1)[0] for line in env.splitlines())
        # what sh itself adds (PWD, SHLVL, _) aside, only rblmon's few
        self.assertEqual([k for k in keys if k not in ("PWD", "SHLVL", "_", "OLDPWD")],
                         ["LC_ALL", "PATH", "RBLMON_EVENT", "RBLMON_EVENTS",
                          "RBLMON_SEVERITY", "RBLMON_SUMMARY"])


if __name__ == "__main__":
    rbltest.main()
