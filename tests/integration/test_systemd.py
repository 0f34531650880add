"""systemd (issue 21): the installed system unit is sandboxed (systemd-analyze
security scores it 2.0 or below, offline) and still valid (systemd-analyze
verify), keeps what rblmon needs (the adm group for the mail logs, its state
directory, the network, a subprocess for the hook); the user units are
hardened as far as a user manager can; the sysusers.d and tmpfiles.d files
make the rblmon user (in adm) and its 0700 state directory in a scratch
root.  What rblmon does under the unit's filters is traced (strace) through
a check (DNS and HTTPS on loopback, the state, the notification hook), a
log scan, status and remind: every system call is one SystemCallFilter=
allows, every socket one RestrictAddressFamilies= allows, no mapping is
writable and executable (MemoryDenyWriteExecute=).  Where systemd runs
(PID 1), the installed binary runs in a transient unit with the system
unit's sandbox."""
import json
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time
import unittest

import rbltest
from httpstest import HttpsServer, TestCA
from rbltest import RBLMON, Rbldnsd, Workdir, custom_list

BUILD = os.environ.get("RBLMON_BUILD")
ANALYZE = shutil.which("systemd-analyze")
MAX_EXPOSURE = 2.0


def exposure(unit):
    r = subprocess.run([ANALYZE, "security", "--offline=yes", "--no-pager", unit],
                       capture_output=True, text=True)
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", r.stdout)
    if m is None:
        raise AssertionError("no score from systemd-analyze:\n" + r.stdout + r.stderr)
    return float(m.group(1)), r.stdout


def syscall_groups():
    """{"@group": {names and @groups}} from systemd-analyze syscall-filter."""
    out = subprocess.run([ANALYZE, "syscall-filter", "--no-pager"],
                         capture_output=True, text=True, check=True).stdout
    groups, cur = {}, None
    for line in out.splitlines():
        word = line.strip().split(" ")[0]
        if not word or word.startswith("#"):
            continue
        if not line.startswith(" ") and word.startswith("@"):
            cur = groups.setdefault(word, set())
        elif cur is not None and line.startswith(" "):
            cur.add(word)
    return groups


def allowed_syscalls(filters):
    """The system calls a list of SystemCallFilter= values allows."""
    groups = syscall_groups()

    def expand(names):
        out = set()
        for n in names:
            out |= expand(groups[n]) if n.startswith("@") else {n}
        return out
    allowed = None
    for f in filters:
        deny = f.startswith("~")
        names = expand(f.lstrip("~").split())
        if deny:
            allowed = (allowed if allowed is not None else set()) - names
        else:
            allowed = (allowed or set()) | names
    return allowed


def sanitized():
    """Whether the build under test is RBLMON_SANITIZE=ON."""
    try:
        with open(os.path.join(BUILD, "CMakeCache.txt")) as f:
            return re.search(r"^RBLMON_SANITIZE:BOOL=ON$", f.read(), re.M) is not None
    except OSError:
        return False


def read(path):
    with open(path) as f:
        return f.read()


def service_settings(unit):
    """The [Service] section as (key, value) pairs, comments left out."""
    out, section = [], None
    for line in read(unit).splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and line and not line.startswith("#"):
            k, _, v = line.partition("=")
            out.append((k, v))
    return out


@unittest.skipUnless(BUILD, "RBLMON_BUILD names the build directory")
@unittest.skipUnless(ANALYZE, "systemd-analyze is not installed (apt-get install systemd)")
class SystemdTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.prefix = tempfile.mkdtemp(prefix="rblmon-prefix.")
        subprocess.run(["cmake", "--install", BUILD, "--prefix", cls.prefix],
                       check=True, capture_output=True)
        cls.unit = os.path.join(cls.prefix, "lib/systemd/system/rblmon.service")
        cls.settings = service_settings(cls.unit)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.prefix, True)

    def test_system_unit_exposure(self):
        score, text = exposure(self.unit)
        self.assertLessEqual(score, MAX_EXPOSURE, text)

    def test_system_unit_keeps_what_rblmon_needs(self):
        s = dict(self.settings)
        self.assertEqual(s["User"], "rblmon")
        self.assertEqual(s["SupplementaryGroups"], "adm")  # /var/log/mail.log
        self.assertEqual((s["StateDirectory"], s["StateDirectoryMode"]),
                         ("rblmon", "0700"))
        self.assertEqual(s["Environment"], "XDG_STATE_HOME=/var/lib")
        self.assertEqual(s["UMask"], "0077")
        self.assertEqual(s["RestrictAddressFamilies"].split(),
                         ["AF_UNIX", "AF_INET", "AF_INET6"])
        # the adm group would be nogroup in a user namespace; the network is
        # any DNS server and HTTPS provider; the hook is a subprocess
        self.assertNotIn("PrivateUsers", s)
        self.assertNotIn("PrivateNetwork", s)
        self.assertNotIn("IPAddressDeny", s)
        filters = [v for k, v in self.settings if k == "SystemCallFilter"]
        self.assertIn("@system-service", filters)
        self.assertFalse(any("@process" in f for f in filters), filters)

    @unittest.skipUnless(shutil.which("strace"), "strace is not installed")
    def test_what_rblmon_does_passes_the_filters(self):
        if sanitized():
            self.skipTest("a sanitizer build: ASan's own system calls (LeakSanitizer's "
                          "ptrace) are not rblmon's")
        s = self.settings
        allowed = allowed_syscalls([v for k, v in s if k == "SystemCallFilter"])
        self.assertIn("read", allowed)
        self.assertNotIn("setuid", allowed)
        families = set(dict(s)["RestrictAddressFamilies"].split())
        w = Workdir()
        self.addCleanup(w.cleanup)
        ca = TestCA()
        self.addCleanup(ca.close)
        log = os.path.join(w.dir, "mail.log")
        with open(log, "w") as f:
            f.write(time.strftime("%b %e %H:%M:%S", time.localtime(time.time() - 60))
                    + " mx1 postfix/smtp[1]: A1: to=<u@example.com>, relay=mx.example.com"
                    "[198.51.100.25]:25, dsn=5.7.1, status=bounced (host mx.example.com"
                    "[198.51.100.25] said: 554 5.7.1 Client host [192.0.2.1] blocked "
                    "using bl.test (in reply to RCPT TO command))\n")
        answer = (200, {"Content-Type": "application/json"}, json.dumps({"score": 80}))
        zones = {"bl.test": ("ip4set", ":127.0.0.2:spam\n127.0.0.2\n192.0.2.1\n")}
        with Rbldnsd(zones) as dns, HttpsServer(ca, {"/v1/ip": answer}) as web:
            w.write_config(
                "watchlists:\n  - name: out\n    ips: [192.0.2.1]\n"
                "lists:\n  use: []\n  custom:\n%s"
                "resolver:\n  servers: [127.0.0.1:%d]\n  timeout: 500ms\n"
                "reputation:\n  - name: myrep\n    url: %s?ip={ip}\n    ca_file: %s\n"
                "    pointer: /score\n    rules:\n      - {critical: '> 50'}\n"
                "logs:\n  files: [mail.log]\n"
                "notify:\n  command: {argv: [/bin/cat]}\n"
                % (custom_list("bl", "bl.test", "ip4", {"127.0.0.2": ("spam", "critical")}),
                   dns.port, web.url("/v1/ip"), ca.ca_file))
            trace = os.path.join(w.dir, "trace")
            # as the unit does, not as root (SQLite, as root, gives its
            # journals the database's owner with fchown)
            as_user, binary, env = [], RBLMON, w.env()
            if os.geteuid() == 0:
                # copies nobody may read, whatever the mode of the tree's
                # directories (as test_privilege does)
                as_user = ["-u", "nobody"]
                binary = os.path.join(w.dir, "rblmon")
                shutil.copy(RBLMON, binary)
                env["RBLMON_CATALOG"] = os.path.join(w.dir, "lists")
                shutil.copytree(rbltest.CATALOG, env["RBLMON_CATALOG"])
                os.chmod(ca.dir, 0o755)
                os.chmod(ca.ca_file, 0o644)
                nobody = pwd.getpwnam("nobody")
                for d, _, files in os.walk(w.dir):
                    os.chmod(d, 0o755)
                    for n in [d] + [os.path.join(d, f) for f in files]:
                        os.chown(n, nobody.pw_uid, nobody.pw_gid)
            for args, rc in ((["check"], 2), (["scan-logs"], 2), (["status"], 2),
                             (["remind"], 2)):
                r = subprocess.run(["strace", "-f", "-qq", "-o", trace] + as_user
                                   + [binary, "-c", w.config_path] + args, env=env,
                                   cwd=w.dir, capture_output=True, text=True)
                self.assertEqual(r.returncode, rc, (args, r.stdout, r.stderr))
                with open(trace) as f:
                    lines = f.read().splitlines()
                calls = {m.group(1) for m in (re.match(
                    r"^\d+\s+(?:<\.\.\. )?([a-z0-9_]+)[( ]", l) for l in lines) if m}
                self.assertIn("openat", calls)
                if args == ["check"]:  # the hook ran, under the same filter
                    self.assertTrue(any('execve("/bin/cat"' in l for l in lines))
                self.assertEqual(calls - allowed, set(), args)
                for l in lines:
                    m = re.search(r"\bsocket\((AF_[A-Z0-9]+)", l)
                    if m:
                        self.assertIn(m.group(1), families, l)
                    if re.search(r"\b(mmap|mprotect)\(", l):
                        self.assertFalse("PROT_WRITE|PROT_EXEC" in l, l)
                    # ProcSubset=pid: only the process directories of /proc
                    # (libselinux, which GLib links, looks for selinuxfs in
                    # /proc/filesystems at load and does without it)
                    m = re.search(r'"(/proc/[^"]*)"', l)
                    if m and m.group(1) != "/proc/filesystems":
                        self.assertRegex(m.group(1), r"^/proc/(self|thread-self|\d+)(/|$)", l)
                    # PrivateDevices=: only the API devices
                    m = re.search(r'"(/dev/[^"]*)"', l)
                    if m:
                        self.assertIn(m.group(1), ("/dev/null", "/dev/zero", "/dev/full",
                                                   "/dev/random", "/dev/urandom"), l)
            self.assertEqual(len(web.hits("/v1/ip")), 1)

    def test_units_verify(self):
        for unit in (self.unit,
                     os.path.join(self.prefix, "lib/systemd/user/rblmon-check.timer")):
            r = subprocess.run([ANALYZE, "verify", "--man=no", unit],
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertEqual(r.stderr, "")

    def test_user_units_hardened(self):
        for name in ("rblmon.service", "rblmon-check.service"):
            unit = os.path.join(self.prefix, "lib/systemd/user", name)
            s = dict(service_settings(unit))
            for k in ("NoNewPrivileges", "MemoryDenyWriteExecute", "RestrictSUIDSGID",
                      "LockPersonality", "RestrictNamespaces"):
                self.assertEqual(s.get(k), "yes", "%s: %s" % (name, k))
            self.assertEqual(s.get("UMask"), "0077", name)
            # mount namespaces would need user namespaces in a user manager
            self.assertNotIn("ProtectSystem", s, name)
            score, text = exposure(unit)  # as a system unit would be read
            self.assertLess(score, 7.0, text)

    def test_sysusers_and_tmpfiles(self):
        for tool in ("systemd-sysusers", "systemd-tmpfiles"):
            if shutil.which(tool) is None:
                self.skipTest("%s is not installed" % tool)
        root = tempfile.mkdtemp(prefix="rblmon-root.")
        self.addCleanup(shutil.rmtree, root, True)
        os.makedirs(os.path.join(root, "etc"))
        with open(os.path.join(root, "etc/passwd"), "w") as f:
            f.write("root:x:0:0:root:/root:/bin/sh\n")
        with open(os.path.join(root, "etc/group"), "w") as f:
            f.write("root:x:0:\nadm:x:4:\n")
        r = subprocess.run(["systemd-sysusers", "--root=" + root,
                            os.path.join(self.prefix, "lib/sysusers.d/rblmon.conf")],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        users = {l.split(":")[0]: l.split(":") for l in
                 read(os.path.join(root, "etc/passwd")).splitlines()}
        groups = {l.split(":")[0]: l.split(":") for l in
                  read(os.path.join(root, "etc/group")).splitlines()}
        self.assertEqual(users["rblmon"][5:], ["/var/lib/rblmon", "/usr/sbin/nologin"])
        self.assertNotEqual(users["rblmon"][2], "0")
        self.assertIn("rblmon", groups["adm"][3].split(","))
        r = subprocess.run(["systemd-tmpfiles", "--create", "--root=" + root,
                            os.path.join(self.prefix, "lib/tmpfiles.d/rblmon.conf")],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        st = os.stat(os.path.join(root, "var/lib/rblmon"))
        self.assertEqual(st.st_mode & 0o7777, 0o700)
        self.assertEqual(str(st.st_uid), users["rblmon"][2])

    @unittest.skipUnless(os.path.isdir("/run/systemd/system") and os.geteuid() == 0,
                         "systemd is not PID 1 here, or not root: no transient unit "
                         "(the unit is checked with systemd-analyze only)")
    def test_runs_in_the_sandbox(self):
        # The sandbox of the unit, as the rblmon user would run it: root
        # stands in (no rblmon user on a test machine), DynamicUser= gives
        # an unprivileged one.
        skip = {"ExecStart", "ExecReload", "User", "Group", "Restart", "RestartSec",
                "Type", "SupplementaryGroups"}
        props = ["--property=%s=%s" % (k, v) for k, v in self.settings if k not in skip]
        # PrivateTmp= and ProtectHome= hide /tmp and /home: a prefix in the
        # build tree, that the dynamic user may read
        prefix = tempfile.mkdtemp(prefix="systemd-run.", dir=BUILD)
        self.addCleanup(shutil.rmtree, prefix, True)
        os.chmod(prefix, 0o755)
        subprocess.run(["cmake", "--install", BUILD, "--prefix", prefix],
                       check=True, capture_output=True)
        example = os.path.join(prefix, "share/rblmon/rblmon.example.yaml")
        binary = os.path.join(prefix, "bin/rblmon")
        base = ["systemd-run", "--wait", "--pipe", "--quiet", "--collect",
                "--property=DynamicUser=yes"] + props
        r = subprocess.run(base + [binary, "--version"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.startswith("rblmon "), r.stdout)
        r = subprocess.run(base + [binary, "-c", example, "config", "check"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("configuration OK", r.stdout)


if __name__ == "__main__":
    rbltest.main()
