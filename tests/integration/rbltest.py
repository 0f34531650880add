"""Shared pieces of the integration tests: real servers on 127.0.0.1
started and stopped by the tests, and a runner for the real binary.

No mocks at the protocol boundary and no sleeps for synchronisation:
rbldnsd is ready when it prints "started"; a timeout is a real UDP socket
that never answers."""
import atexit
import collections
import glob
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


# ---- the JSON documents' schemas (docs/schema/) ---------------------------
# Every document a test parses through Result.json() or json_doc() is
# validated against the schema of its kind: an output that drifts from the
# published schema fails the test that produced it.
SCHEMA_DIR = os.path.join(SRC, "docs", "schema")
SCHEMA_BASE = "https://rblmon.invalid/schema/"
# The top-level key that tells a document's kind, in the order tried.
SCHEMA_KINDS = (("results", "check"), ("episodes", "history"), ("listings", "status"),
                ("reminders", "remind"), ("rejections", "scan-logs"),
                ("events", "hook-event"), ("trace", "spf"), ("providers", "lists"),
                ("changes", "check-changes"))
# The kinds each command prints.
COMMAND_KINDS = {"check": {"check", "check-changes"}, "status": {"status"},
                 "history": {"history"}, "remind": {"remind"}, "lists": {"lists"},
                 "scan-logs": {"scan-logs"}, "spf": {"spf"}}
VALIDATED = collections.Counter()
_validators = {}


def _schema_inline(x, files, here):
    """x with every $ref replaced by what it points to (the schemas are
    not recursive): Python's validators spend most of their time resolving
    references.  files: {file name: schema}; here: the file x is in."""
    if isinstance(x, list):
        return [_schema_inline(v, files, here) for v in x]
    if not isinstance(x, dict):
        return x
    if "$ref" in x:
        name, _, pointer = x["$ref"].partition("#")
        name = name or here
        target = files[name]
        for part in pointer.strip("/").split("/"):
            target = target[part]
        rest = {k: v for k, v in x.items() if k != "$ref"}
        if rest:  # a $ref beside other keywords: both apply
            return {"allOf": [_schema_inline(target, files, name),
                              _schema_inline(rest, files, here)]}
        return _schema_inline(target, files, name)
    return {k: _schema_inline(v, files, here) for k, v in x.items()}


def _schema_validator(kind):
    """The Draft 2020-12 validator of docs/schema/KIND.json, its $refs
    into defs.json resolved (python3-jsonschema, 4.10 in Debian 12)."""
    if kind in _validators:
        return _validators[kind]
    import jsonschema
    files = {}
    for path in glob.glob(os.path.join(SCHEMA_DIR, "*.json")):
        with open(path) as f:
            doc = json.load(f)
        jsonschema.Draft202012Validator.check_schema(doc)
        if doc["$id"] != SCHEMA_BASE + os.path.basename(path):
            raise AssertionError("%s: $id %s" % (path, doc["$id"]))
        files[os.path.basename(path)] = doc
    name = kind + ".json"
    schema = _schema_inline(files[name], files, name)
    schema.pop("$id", None)
    v = jsonschema.Draft202012Validator(schema)
    _validators[kind] = v
    return v


def schema_kind(doc):
    """The kind of an rblmon JSON document, from its top-level keys."""
    if isinstance(doc, dict):
        for key, kind in SCHEMA_KINDS:
            if key in doc:
                return kind
    raise AssertionError("not an rblmon JSON document: %.300r" % (doc,))


# Arrays longer than this are checked one item per distinct shape.
SCHEMA_MANY = 200


def _distinct_items(doc):
    """doc with every top-level array of more than SCHEMA_MANY objects cut
    to one object per distinct value apart from "target" and the type of
    "target" (a /16 checked is 65,536 results alike but for the address;
    the Python validator takes a millisecond each).  The same verdict: the
    schemas constrain a target by its type only and tie no field to
    another."""
    out = dict(doc)
    for key, items in doc.items():
        if not isinstance(items, list) or len(items) <= SCHEMA_MANY:
            continue
        seen, kept = set(), []
        for x in items:
            if not isinstance(x, dict):
                kept.append(x)
                continue
            rest = {k: v for k, v in x.items() if k != "target"}
            sig = (type(x.get("target")).__name__, "target" in x,
                   json.dumps(rest, sort_keys=True))
            if sig not in seen:
                seen.add(sig)
                kept.append(x)
        out[key] = kept
    return out


def schema_check(doc, kind=None):
    """doc, after checking it against docs/schema/KIND.json (kind: from
    its keys when None); AssertionError with every mismatch otherwise."""
    kind = kind or schema_kind(doc)
    v = _schema_validator(kind)
    some = _distinct_items(doc) if isinstance(doc, dict) else doc
    errors = [] if v.is_valid(some) else sorted(
        v.iter_errors(some), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        raise AssertionError("the %s JSON does not match docs/schema/%s.json:\n%s" % (
            kind, kind, "\n".join("  at /%s: %s" % ("/".join(map(str, e.absolute_path)),
                                                    e.message[:300])
                                  for e in errors[:10])))
    VALIDATED[kind] += 1
    return doc


def json_doc(text, command=None):
    """An rblmon JSON document parsed and checked against its schema;
    command (check, status...): the one that printed it."""
    doc = json.loads(text)
    kind = schema_kind(doc)
    if command in COMMAND_KINDS and kind not in COMMAND_KINDS[command]:
        raise AssertionError("rblmon %s printed a %s document" % (command, kind))
    return schema_check(doc, kind)


@atexit.register
def _schema_summary():
    if VALIDATED:
        import sys
        sys.stderr.write("rbltest: %d JSON documents matched their schema (%s)\n" % (
            sum(VALIDATED.values()),
            ", ".join("%s %d" % kv for kv in sorted(VALIDATED.items()))))


def command_of(args):
    """The rblmon command in an argument list (the first word it knows)."""
    return next((a for a in args if a in COMMAND_KINDS), None)


class Result:
    def __init__(self, rc, out, err, args=()):
        self.rc, self.out, self.err = rc, out, err
        self.command = command_of(args)

    def json(self):
        """The standard output as JSON, checked against its schema."""
        return json_doc(self.out, self.command)


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
                      p.stderr.decode("utf-8", "replace"), args)
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


class ZonesTestCase(unittest.TestCase):
    """A test class whose tests share one rbldnsd serving the class's ZONES
    (as for Rbldnsd) on 127.0.0.1, as cls.dns."""
    ZONES = {}

    @classmethod
    def setUpClass(cls):
        cls.dns = Rbldnsd(cls.ZONES).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.dns.__exit__(None, None, None)


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
                      p.stderr.decode("utf-8", "replace"), args)

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
