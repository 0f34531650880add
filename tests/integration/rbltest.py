"""Shared pieces of the integration tests: real servers on 127.0.0.1
started and stopped by the tests, and a runner for the real binary.

No mocks at the protocol boundary and no sleeps for synchronisation:
rbldnsd is ready when it prints "started"; a timeout is a real UDP socket
that never answers."""
import json  # noqa
import os
import shutil
import socket
import subprocess
import tempfile
import unittest

RBLMON = os.environ.get("RBLMON", "rblmon")
# RBLMON_VALGRIND=1: every run of the binary under valgrind (memcheck); a
# memory error or a definite leak fails the test with valgrind's report.
VALGRIND = os.environ.get("RBLMON_VALGRIND") == "1"
VG_ERROR = 99
SRC = os.environ.get("RBLMON_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
CATALOG = os.path.join(SRC, "lists")


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Rbldnsd:
    """rbldnsd serving zones on a free port of 127.0.0.1, for the life of
    the context.  zones: {name: (dataset type, file text)}, or a list of
    (name, dataset type, file text); a name given twice is one zone with
    two datasets (rbldnsd's rule), e.g. ip4set + ip6trie."""

    def __init__(self, zones):
        if isinstance(zones, dict):
            zones = [(n, t, d) for n, (t, d) in zones.items()]
        self.zones = zones
        self.dir = tempfile.mkdtemp(prefix="rblmon-zones.")
        os.chmod(self.dir, 0o755)  # rbldnsd drops root to read the files
        self.proc = None
        self.port = None

    def __enter__(self):
        args = []
        for i, (name, dtype, text) in enumerate(self.zones):
            fn = "z%d.zone" % i
            with open(os.path.join(self.dir, fn), "wb") as f:
                f.write(text.encode("latin-1") if isinstance(text, str) else text)
            os.chmod(os.path.join(self.dir, fn), 0o644)
            args.append("%s:%s:%s" % (name, dtype, fn))
        for _ in range(5):  # the port may be taken between probe and bind
            self.port = free_udp_port()
            self.proc = subprocess.Popen(
                ["rbldnsd", "-n", "-b", "127.0.0.1/%d" % self.port, "-w", self.dir] + args,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            log = []
            for line in self.proc.stdout:
                log.append(line)
                if "started" in line:
                    break
            if self.proc.poll() is None:
                text = "".join(log)
                if "not be serviced" in text or "invalid" in text:
                    self.__exit__(None, None, None)
                    raise RuntimeError("rbldnsd rejected a test zone:\n" + text)
                return self
            self.proc.wait()
        raise RuntimeError("rbldnsd did not start:\n" + "".join(log))

    def __exit__(self, *exc):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()
        if self.proc is not None and self.proc.stdout:
            self.proc.stdout.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def server(self):
        return "127.0.0.1:%d" % self.port


class SilentUDP:
    """A bound UDP socket that never answers: queries to it time out."""

    def __enter__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        return self

    def __exit__(self, *exc):
        self.sock.close()

    @property
    def server(self):
        return "127.0.0.1:%d" % self.port

    def queries(self):
        """The DNS names asked of it so far (read without waiting)."""
        names = []
        while True:
            try:
                msg = self.sock.recv(4096, socket.MSG_DONTWAIT)
            except BlockingIOError:
                return names
            labels, i = [], 12
            while i < len(msg) and msg[i]:
                labels.append(msg[i + 1:i + 1 + msg[i]].decode("ascii", "replace"))
                i += 1 + msg[i]
            names.append(".".join(labels))


class Result:
    def __init__(self, rc, out, err):
        self.rc, self.out, self.err = rc, out, err

    def json(self):
        return json.loads(self.out)


def valgrind_wrap():
    """The valgrind command line to put before rblmon's, and its log."""
    if not VALGRIND:
        return [], None
    fd, log = tempfile.mkstemp(prefix="rblmon-vg.")
    os.close(fd)
    return ["valgrind", "-q", "--error-exitcode=%d" % VG_ERROR,
            "--leak-check=full", "--errors-for-leak-kinds=definite",
            "--show-leak-kinds=definite", "--log-file=" + log], log


def valgrind_check(rc, log):
    if log is None:
        return
    report = open(log).read()
    os.remove(log)
    if rc == VG_ERROR or report.strip():
        raise AssertionError("valgrind found errors:\n" + report)


def timeout():
    return 900 if VALGRIND else 120


def run(args, config=None, env=None, stdin=None):
    """Runs rblmon with args (and a config file made from the text config),
    in a fresh directory, with the source catalog."""
    d = tempfile.mkdtemp(prefix="rblmon-run.")
    try:
        full = [RBLMON]
        if config is not None:
            path = os.path.join(d, "rblmon.yaml")
            with open(path, "w") as f:
                f.write(config)
            full += ["-c", path]
        e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": d,
             "XDG_STATE_HOME": os.path.join(d, "state"),
             "RBLMON_CATALOG": CATALOG, "LC_ALL": "C"}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                e[k] = os.environ[k]
        e.update(env or {})
        wrap, vglog = valgrind_wrap()
        p = subprocess.run(wrap + full + list(args), cwd=d, env=e, input=stdin,
                           capture_output=True, timeout=timeout())
        valgrind_check(p.returncode, vglog)
        return Result(p.returncode, p.stdout.decode("utf-8", "replace"),
                      p.stderr.decode("utf-8", "replace"))
    finally:
        shutil.rmtree(d, ignore_errors=True)


def custom_list(name, zone, ltype, codes, errors=None, extra=""):
    """YAML for one lists.custom entry."""
    c = ", ".join("%s: {meaning: \"%s\", severity: %s}" % (k, m, s)
                  for k, (m, s) in codes.items())
    e = ""
    if errors:
        e = ", errors: {%s}" % ", ".join('%s: "%s"' % kv for kv in errors.items())
    return ("    - {name: %s, zone: %s, type: %s, codes: {%s}%s%s}\n"
            % (name, zone, ltype, c, e, extra))


def by_key(results):
    """{(target, source): result} from a JSON report."""
    return {(r["target"], r["source"]): r for r in results}


main = unittest.main


class Workdir:
    """A directory with a config file and a state that persists across the
    runs made through it (cron runs, one after another)."""

    def __init__(self, config=None):
        self.dir = tempfile.mkdtemp(prefix="rblmon-work.")
        os.chmod(self.dir, 0o755)
        self.config_path = os.path.join(self.dir, "rblmon.yaml")
        self.state_home = os.path.join(self.dir, "state")
        self.db = os.path.join(self.state_home, "rblmon", "rblmon.db")
        if config is not None:
            self.write_config(config)

    def write_config(self, text):
        with open(self.config_path, "w") as f:
            f.write(text)
        os.chmod(self.config_path, 0o644)

    def env(self, extra=None):
        e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.dir,
             "XDG_STATE_HOME": self.state_home, "RBLMON_CATALOG": CATALOG,
             "LC_ALL": "C"}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                e[k] = os.environ[k]
        e.update(extra or {})
        return e

    def argv(self, args):
        return [RBLMON, "-c", self.config_path] + list(args)

    def run(self, args, env=None, now=None, **kw):
        extra = dict(env or {})
        if now is not None:
            extra["RBLMON_NOW"] = str(now)
        wrap, vglog = valgrind_wrap()
        p = subprocess.run(wrap + self.argv(args), cwd=self.dir,
                           env=self.env(extra), capture_output=True,
                           timeout=timeout(), **kw)
        valgrind_check(p.returncode, vglog)
        return Result(p.returncode, p.stdout.decode("utf-8", "replace"),
                      p.stderr.decode("utf-8", "replace"))

    def popen(self, args, env=None):
        return subprocess.Popen(self.argv(args), cwd=self.dir, env=self.env(env),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class Nsd:
    """NSD, an authoritative DNS server, serving zones on a free port of
    127.0.0.1 for the life of the context; ready when it logs "nsd started".
    zones: {origin: zone file text}."""

    def __init__(self, zones):
        self.zones = zones
        self.dir = tempfile.mkdtemp(prefix="rblmon-nsd.")
        self.proc = None
        self.port = None

    def __enter__(self):
        conf = os.path.join(self.dir, "nsd.conf")
        for _ in range(5):  # the port may be taken between probe and bind
            self.port = free_udp_port()
            with open(conf, "w") as f:
                f.write("server:\n  ip-address: 127.0.0.1@%d\n  port: %d\n"
                        "  username: \"\"\n  chroot: \"\"\n  zonesdir: \"%s\"\n"
                        "  database: \"\"\n  pidfile: \"%s/nsd.pid\"\n"
                        "  xfrdfile: \"%s/xfrd.state\"\n  zonelistfile: \"%s/zone.list\"\n"
                        "  server-count: 1\n  reuseport: no\n"
                        "remote-control:\n  control-enable: no\n"
                        % (self.port, self.port, self.dir, self.dir, self.dir, self.dir))
                for i, (origin, text) in enumerate(self.zones.items()):
                    fn = "z%d.zone" % i
                    with open(os.path.join(self.dir, fn), "w") as z:
                        z.write(text)
                    f.write("zone:\n  name: %s\n  zonefile: %s\n" % (origin, fn))
            self.proc = subprocess.Popen(["nsd", "-d", "-c", conf],
                                         stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, text=True)
            log = []
            for line in self.proc.stdout:
                log.append(line)
                if "nsd started" in line:
                    return self
                if "error" in line and "zone" in line:
                    break
            self._stop()
            text = "".join(log)
            if "address already in use" not in text.lower():
                raise RuntimeError("nsd did not start:\n" + text)
        raise RuntimeError("nsd did not start:\n" + "".join(log))

    def _stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()
        if self.proc is not None and self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None

    def __exit__(self, *exc):
        self._stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def server(self):
        return "127.0.0.1:%d" % self.port
