"""Hostile input (the hardening issue): rblmon reads what strangers write,
and must never crash, hang, pass hostile text on raw, or call "clean"
what it could not read.

- DNS: a hostile server (hostiledns.py, UDP and TCP on 127.0.0.1) answers
  each watched address with another kind of bad answer: random bytes, a
  wrong ID, a header alone, TC then a TCP answer of garbage or a closed
  connection, an answer about another name (in the question, in the
  answer), A records of 5 and 3 bytes or running past the end, a
  compression-pointer loop, an ANCOUNT that lies, a hijacked answer, 100
  A records; bad answers to a list's test points; TXT with terminal
  escapes, NUL, C1 controls, bidi overrides and invalid UTF-8, over UDP
  and (over 4 KB) over TCP after TC.
- notifications: that TXT through the command hook (its JSON and its
  environment) and the desktop (a private bus, as in test_notify.py).
- HTTP reputation bodies: raw escapes and invalid UTF-8 in JSON, NUL
  bytes, 20 MB, not JSON at all; control characters in a detail.
- mail logs: a 5 MB line, 100,000 NUL bytes, invalid UTF-8 and escapes
  before ordinary rejections, from a file and from standard input.

Everywhere: an ordinary exit code (0..3, never a signal, within the
subprocess timeout, no sanitizer report), JSON that is strict UTF-8 and
whose strings hold no control characters, text output with no ESC, BEL,
NUL, C1 control or bidi override, the hostile text shown escaped, and
nothing that could not be read reported as clean or OK."""
import glob
import json
import os
import shutil
import struct
import subprocess
import zlib

import rbltest
from hostiledns import (AA, NXDOMAIN, PTR_QNAME, QR, RA, RD, REFUSED, T_A, T_TXT, Close,
                        HostileDNS, a_rdata, frame, garbage, header, listed, name,
                        nxdomain, reply, rr, txt_rdata)
from rbltest import Workdir

ZONE = "hostile.test"
BADPROBE = "badprobe.test"   # its listed test point gets a 3-byte A record
MUTE = "mute.test"           # its unlisted test point gets a header alone
T0 = 1767607200

# The TXT of a listing: escapes (CSI, OSC with BEL), invalid UTF-8, C1 CSI
# and a bidi override in valid UTF-8, a newline that would forge a line of
# the report, and a NUL with text after it.
HOSTILE_TXT = [b"evil \x1b[31mred\x1b]0;title\x07 end",
               b" bad \xff\xfe \xc3\x28 utf8",
               b" c1 \xc2\x9b32m bidi \xe2\x80\xaeevil",
               b" nl\nOK: 0 listed",
               b" nul\x00hidden"]
FORGED = "\nOK: 0 listed"


def huge_txt():
    """20 strings of 255 bytes (5 KB): only TCP carries it."""
    out = []
    for i in range(20):
        s = b"%02d \x1b[31m\xff\xfe\xc3\x28\xc2\x9b\x07" % i
        if i == 10:
            s += b"\x00"
        out.append(s + b"y" * (255 - len(s)))
    return out


def udp_tcp(udp_answer, tcp_answer):
    def b(q):
        return udp_answer(q) if q.transport == "udp" else tcp_answer(q)
    return b


def a_then(txt_answer):
    """A 127.0.0.2 (listed), and txt_answer for the TXT query."""
    def b(q):
        return [listed(q)] if q.qtype == T_A else txt_answer(q)
    return b


TXT_TCP_TRIES = {}  # name -> TXT queries over TCP so far


def closed_once(q):
    """TC on UDP; on TCP the first connection is closed, then answered."""
    if q.transport == "udp":
        return tc(q)
    n = TXT_TCP_TRIES[q.name] = TXT_TCP_TRIES.get(q.name, 0) + 1
    if n == 1:
        return Close(b"")
    return frame(reply(q, answers=[rr(PTR_QNAME, T_TXT, txt_rdata(b"second try"))]))


def ptr_loop(q):
    off = 12 + len(q.question)  # the answer's owner: a pointer to itself
    return [reply(q, answers=[rr(struct.pack("!H", 0xc000 | off), T_A,
                                 a_rdata("127.0.0.2"))])]


def tc(q):
    return [reply(q, tc=True)]


# The last octet of a watched address (192.0.2.X) -> (what, answer).
BEHAVIOUR = {
    1: ("control: NXDOMAIN", lambda q: [nxdomain(q)]),
    2: ("control: listed, plain TXT", a_then(lambda q: [reply(q, answers=[
        rr(PTR_QNAME, T_TXT, txt_rdata(b"plain reason"))])])),
    10: ("random bytes", lambda q: [garbage(q.name),
                                    struct.pack("!H", q.id) + garbage(q.name + "/id")]),
    11: ("NXDOMAIN with a wrong ID", lambda q: [reply(q, NXDOMAIN, qid=q.id ^ 0x5a5a)]),
    12: ("header alone (NXDOMAIN)", lambda q: [header(q.id, QR | AA | NXDOMAIN, 1, 1)]),
    13: ("TC, then garbage on TCP", udp_tcp(tc, lambda q: Close(
        frame(struct.pack("!H", q.id) + garbage(q.name, 60))))),
    14: ("TC, then TCP closed early", udp_tcp(tc, lambda q: Close(b"\x00"))),
    15: ("listed, for another question", lambda q: [reply(
        q, question=name("other.example") + q.question[-4:],
        answers=[rr(PTR_QNAME, T_A, a_rdata("127.0.0.2"))])]),
    16: ("listed, A record of another name", lambda q: [reply(q, answers=[
        rr(name("1.0.0.127." + ZONE), T_A, a_rdata("127.0.0.2"))])]),
    17: ("A record of 5 bytes", lambda q: [reply(q, answers=[
        rr(PTR_QNAME, T_A, a_rdata("127.0.0.2") + b"\x02")])]),
    18: ("A record of 3 bytes", lambda q: [reply(q, answers=[
        rr(PTR_QNAME, T_A, b"\x7f\x00\x00")])]),
    19: ("compression-pointer loop", ptr_loop),
    23: ("ANCOUNT 40 for 1 record", lambda q: [reply(q, answers=[
        rr(PTR_QNAME, T_A, a_rdata("127.0.0.2"))], an=40)]),
    25: ("127.0.0.2 with a hijacked address", lambda q: [reply(q, answers=[
        rr(PTR_QNAME, T_A, a_rdata("127.0.0.2")),
        rr(PTR_QNAME, T_A, a_rdata("192.0.2.66"))])]),
    26: ("RDLENGTH past the end", lambda q: [reply(q, answers=[
        rr(PTR_QNAME, T_A, a_rdata("127.0.0.2"), rdlength=9)])]),
    27: ("listed, but QR=0 (a query, not an answer)", lambda q: [reply(q, answers=[
        rr(PTR_QNAME, T_A, a_rdata("127.0.0.2"))], flags=AA | RD | RA)]),
    28: ("listed, opcode STATUS", lambda q: [reply(q, answers=[
        rr(PTR_QNAME, T_A, a_rdata("127.0.0.2"))], flags=QR | AA | RD | RA | (2 << 11))]),
    29: ("NXDOMAIN that carries 127.0.0.2", lambda q: [reply(q, NXDOMAIN, answers=[
        rr(PTR_QNAME, T_A, a_rdata("127.0.0.2"))])]),
    # listed, with hostile or broken TXT
    30: ("listed, the TXT's TCP connection closed once", a_then(closed_once)),
    20: ("listed, hostile TXT", a_then(lambda q: [reply(q, answers=[
        rr(PTR_QNAME, T_TXT, txt_rdata(*HOSTILE_TXT))])])),
    21: ("listed, 5 KB hostile TXT over TCP", a_then(udp_tcp(tc, lambda q: frame(reply(
        q, answers=[rr(PTR_QNAME, T_TXT, txt_rdata(*huge_txt()))]))))),
    22: ("listed, TXT answer is garbage", a_then(
        lambda q: [struct.pack("!H", q.id) + garbage(q.name)])),
    24: ("100 A records", lambda q: [reply(q, answers=[
        rr(PTR_QNAME, T_A, a_rdata("127.0.%d.%d" % (i // 200, 2 + i % 200)))
        for i in range(100)])] if q.qtype == T_A else [nxdomain(q)]),
}
UNUSABLE_UDP = [10, 11, 12, 15, 16, 17, 18, 19, 23, 25, 26, 27, 28, 29]
UNUSABLE_TCP = [13, 14]
LISTED = [2, 20, 21, 22, 24]


def handler(q):
    labels = q.labels
    zone = ".".join(labels[4:])
    probe = labels[:4] in (["2", "0", "0", "127"], ["1", "0", "0", "127"])
    if zone == ZONE:
        if probe:
            return [listed(q) if labels[0] == "2" else nxdomain(q)]
        return BEHAVIOUR[int(labels[0])][1](q)
    if zone == BADPROBE:  # every target would read clean if it were trusted
        if probe and labels[0] == "2":
            return [reply(q, answers=[rr(PTR_QNAME, T_A, b"\x7f\x00\x00")])]
        return [nxdomain(q)]
    if zone == MUTE:
        if probe and labels[0] == "1":
            return [header(q.id, QR | AA | NXDOMAIN, 1, 1)]
        return [listed(q)] if probe else [nxdomain(q)]
    return [reply(q, REFUSED)]  # not ours


def custom(name_, zone):
    return ("    - {name: %s, zone: %s, type: ip4, title: \"%s list\", "
            "codes: {127.0.0.2: {meaning: spam, severity: critical}}}\n"
            % (name_, zone, name_))


def dns_config(server, octets, lists=(("hl", ZONE),), extra=""):
    return ("watchlists:\n  - name: out\n    ips: [%s]\n"
            "lists:\n  use: []\n  custom:\n%s"
            "resolver:\n  servers: [%s]\n  timeout: 500ms\n  tries: 1\n%s"
            % (", ".join("192.0.2.%d" % o for o in octets),
               "".join(custom(n, z) for n, z in lists), server, extra))


# -- what every output must be -------------------------------------------------
BIDI = (set(range(0x202a, 0x202f)) | set(range(0x2066, 0x206a))
        | {0x200e, 0x200f, 0x061c, 0x2028, 0x2029})


def bad_chars(s, allow="\n\t"):
    """The characters of s that a terminal would act on."""
    return [c for c in s if (ord(c) < 0x20 and c not in allow) or 0x7f <= ord(c) <= 0x9f
            or ord(c) in BIDI]


def strings_of(v):
    if isinstance(v, str):
        yield v
    elif isinstance(v, dict):
        for k, x in v.items():
            yield k
            yield from strings_of(x)
    elif isinstance(v, list):
        for x in v:
            yield from strings_of(x)


class Proc:
    def __init__(self, p):
        self.rc, self.out, self.err = p.returncode, p.stdout, p.stderr


class HostileCase(rbltest.unittest.TestCase):
    maxDiff = 4000

    def rblmon(self, w, args, env=None, now=None, stdin=None):
        extra = dict(env or {})
        if now is not None:
            extra["RBLMON_NOW"] = str(now)
        try:
            p = subprocess.run(w.argv(args), cwd=w.dir, env=w.env(extra), input=stdin,
                               capture_output=True, timeout=90)
        except subprocess.TimeoutExpired as e:
            self.fail("rblmon %s hung: no exit within %ss" % (" ".join(args), e.timeout))
        p = Proc(p)
        self.assert_sane(p, args)
        return p

    def assert_sane(self, p, args):
        err = p.err.decode("utf-8", "replace")
        self.assertGreaterEqual(p.rc, 0, "rblmon %s killed by signal %d\n%s"
                                % (" ".join(args), -p.rc, err))
        self.assertLessEqual(p.rc, 3, "rblmon %s: exit %d\n%s" % (" ".join(args), p.rc, err))
        for word in ("AddressSanitizer", "LeakSanitizer", "runtime error"):
            self.assertNotIn(word, err)
        self.assert_text_bytes(p.err, "stderr of rblmon %s" % " ".join(args))

    def assert_text_bytes(self, data, what):
        """Raw output: strict UTF-8, nothing a terminal would act on."""
        for b in (b"\x1b", b"\x00", b"\x07"):
            self.assertNotIn(b, data, "%s holds a raw %r" % (what, b))
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            self.fail("%s is not UTF-8: %s: %r" % (what, e, data[max(0, e.start - 40):e.end + 40]))
        bad = bad_chars(text)
        if bad:
            i = text.index(bad[0])
            self.fail("%s holds control characters %r, first in %r"
                      % (what, bad[:5], text[max(0, i - 60):i + 20]))
        return text

    def assert_json(self, data, what):
        """JSON that parses from strict UTF-8, and whose strings, decoded,
        carry nothing a terminal would act on (no \\u001b either)."""
        text = self.assert_text_bytes(data, what)
        try:
            doc = json.loads(text)
        except ValueError as e:
            self.fail("%s is not JSON: %s" % (what, e))
        rbltest.schema_check(doc)
        for s in strings_of(doc):
            self.assertEqual(bad_chars(s), [], "%s: a string holds control characters: %r"
                             % (what, s[:200]))
        return doc


# -- DNS -------------------------------------------------------------------------
class HostileDnsTest(HostileCase):
    @classmethod
    def setUpClass(cls):
        cls.dns = HostileDNS(handler).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.dns.__exit__(None, None, None)

    def setUp(self):
        self.w = Workdir()
        self.dns.forget()

    def tearDown(self):
        self.w.cleanup()
        self.assertEqual(self.dns.errors, [], "the hostile server's handler failed")

    def check(self, octets, fmt="json", lists=(("hl", ZONE),)):
        self.w.write_config(dns_config(self.dns.server, octets, lists))
        p = self.rblmon(self.w, ["check", "--no-state", "--format", fmt])
        if fmt == "json":
            p.doc = self.assert_json(p.out, "check --format json")
        else:
            p.text = self.assert_text_bytes(p.out, "check --format " + fmt)
        return p

    def results(self, doc):
        return {(r["target"], r["source"]): r for r in doc["results"]}

    def asked(self, octet, transport=None, qtype=T_A):
        return self.dns.seen(lambda q: q.labels[0] == str(octet) and q.name.endswith(ZONE)
                             and q.qtype == qtype
                             and (transport is None or q.transport == transport))

    def assert_not_checked(self, doc, octets, source="hl"):
        res = self.results(doc)
        for o in octets:
            r = res[("192.0.2.%d" % o, source)]
            with self.subTest(target=o, behaviour=BEHAVIOUR.get(o, ("",))[0]):
                self.assertEqual(r["status"], "error", r)
                self.assertTrue(r["error"], r)

    def test_unusable_answers_are_never_clean(self):
        p = self.check(UNUSABLE_UDP)
        for o in UNUSABLE_UDP:  # each was asked, and answered its way
            self.assertTrue(self.asked(o, "udp"), BEHAVIOUR[o][0])
        self.assert_not_checked(p.doc, UNUSABLE_UDP)
        self.assertEqual(len(p.doc["results"]), len(UNUSABLE_UDP))
        self.assertEqual({l["name"]: l["health"] for l in p.doc["lists"]}, {"hl": "ok"})
        self.assertEqual(p.doc["summary"]["clean"], 0)
        # nothing could be checked: UNKNOWN
        self.assertEqual((p.rc, p.doc["status"], p.doc["exit"]), (3, "UNKNOWN", 3))
        t = self.check(UNUSABLE_UDP, fmt="text")
        self.assertEqual(t.rc, 3)
        self.assertIn("Not checked", t.text)
        self.assertIn("UNKNOWN", t.text)
        self.assertNotRegex(t.text, r"\b0 not checked\b")
        n = self.check(UNUSABLE_UDP, fmt="nagios")
        self.assertEqual(n.rc, 3)
        self.assertTrue(n.text.startswith("RBLMON UNKNOWN"), n.text)
        # one clean target among them: incomplete, WARNING, never OK
        p = self.check([1, 16, 17])
        res = self.results(p.doc)
        self.assertEqual(res[("192.0.2.1", "hl")]["status"], "clean")
        self.assert_not_checked(p.doc, [16, 17])
        self.assertEqual(p.rc, 1)

    def test_truncated_answers_and_the_tcp_fallback(self):
        for o in UNUSABLE_TCP:  # one at a time: a closed TCP connection
            p = self.check([o])   # fails whatever else is in flight
            self.assertTrue(self.asked(o, "tcp"), "no TCP retry after TC: " + BEHAVIOUR[o][0])
            self.assert_not_checked(p.doc, [o])
            self.assertEqual(p.rc, 3)
        t = self.check(UNUSABLE_TCP, fmt="text")
        self.assertEqual(t.rc, 3)
        self.assertIn("192.0.2.13", t.text)

    def test_a_closed_txt_connection_is_retried(self):
        TXT_TCP_TRIES.clear()
        p = self.check([2, 30])
        res = self.results(p.doc)
        self.assertEqual(res[("192.0.2.30", "hl")]["status"], "listed")
        self.assertEqual(res[("192.0.2.30", "hl")]["txt"], "second try")
        self.assertEqual(res[("192.0.2.2", "hl")]["txt"], "plain reason")
        self.assertEqual(len(self.asked(30, "tcp", T_TXT)), 2)
        self.assertEqual(p.rc, 2)

    def test_hostile_txt_is_escaped(self):
        octets = [1] + LISTED
        p = self.check(octets)
        res = self.results(p.doc)
        self.assertEqual(res[("192.0.2.1", "hl")]["status"], "clean")
        for o in LISTED:
            self.assertEqual(res[("192.0.2.%d" % o, "hl")]["status"], "listed", o)
        self.assertEqual(res[("192.0.2.2", "hl")]["txt"], "plain reason")
        evil = res[("192.0.2.20", "hl")]["txt"]
        self.assertTrue(evil.startswith("evil \\x1b[31mred\\x1b]0;title\\x07 end bad "
                                        "\\xff\\xfe \\xc3( utf8 c1 \\xc2\\x9b32m bidi "
                                        "\\xe2\\x80\\xaeevil nl\\nOK: 0 listed nul"), evil)
        self.assertNotIn("\x00", evil)
        # over 4 KB, after TC, over TCP: cut, and escaped
        self.assertTrue(self.asked(21, "tcp", T_TXT), "the TXT was not asked over TCP")
        big = res[("192.0.2.21", "hl")]["txt"]
        self.assertTrue(big.startswith("00 \\x1b[31m\\xff\\xfe\\xc3(\\xc2\\x9b\\x07yyy"), big)
        # a listing stays a listing when its TXT answer is garbage
        self.assertIn(res[("192.0.2.22", "hl")]["txt"], (None, ""))
        many = res[("192.0.2.24", "hl")]
        self.assertIn("127.0.0.2", many["codes"])
        self.assertLessEqual(len(many["codes"]), 100)
        self.assertEqual(p.rc, 2)
        for fmt in ("text", "nagios"):
            t = self.check(octets, fmt=fmt)
            self.assertEqual(t.rc, 2)
            if fmt == "text":
                self.assertIn("evil \\x1b[31mred\\x1b]0;title\\x07 end", t.text)
                self.assertIn("\\xc2\\x9b32m bidi \\xe2\\x80\\xae", t.text)
                self.assertNotIn(FORGED, t.text)
                self.assertIn("00 \\x1b[31m\\xff\\xfe", t.text)

    def test_bad_test_points_make_the_list_untrusted(self):
        lists = (("badprobe", BADPROBE), ("mute", MUTE))
        p = self.check([1, 3], lists=lists)
        health = {l["name"]: l for l in p.doc["lists"]}
        self.assertEqual(health["badprobe"]["health"], "unreachable", health)
        self.assertEqual(health["mute"]["health"], "unreachable", health)
        self.assertIn("malformed", health["badprobe"]["detail"])
        self.assertIn("timeout", health["mute"]["detail"])
        for r in p.doc["results"]:  # NXDOMAIN from untrusted lists: not clean
            self.assertEqual(r["status"], "error", r)
        self.assertEqual(len(p.doc["results"]), 4)
        self.assertEqual(p.rc, 3)

    def test_everything_at_once(self):
        octets = sorted(BEHAVIOUR)
        lists = (("hl", ZONE), ("badprobe", BADPROBE))
        p = self.check(octets, lists=lists)
        res = self.results(p.doc)
        self.assertEqual(len(res), 2 * len(octets))
        self.assertEqual(res[("192.0.2.1", "hl")]["status"], "clean")
        self.assertEqual(res[("192.0.2.2", "hl")]["status"], "listed")
        for o in octets:
            r = res[("192.0.2.%d" % o, "hl")]
            if o in UNUSABLE_UDP + UNUSABLE_TCP:
                self.assertEqual(r["status"], "error", (BEHAVIOUR[o][0], r))
            elif o in LISTED:  # its answer may be lost with a TCP failure
                self.assertIn(r["status"], ("listed", "error"), (BEHAVIOUR[o][0], r))
            self.assertEqual(res[("192.0.2.%d" % o, "badprobe")]["status"], "error")
        self.assertEqual(p.doc["summary"]["clean"], 1)
        self.assertEqual(p.rc, 2)
        t = self.check(octets, fmt="text", lists=lists)
        self.assertEqual(t.rc, 2)
        self.assertIn("Not checked", t.text)


# -- notifications ---------------------------------------------------------------
class HostileNotifyTest(HostileCase):
    @classmethod
    def setUpClass(cls):
        cls.dns = HostileDNS(handler).__enter__()
        # the real notification server test_notify uses (scripts/install-deps
        # installs it): never silently left out
        from test_notify import Desktop
        cls.desk = Desktop().__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.desk.__exit__(None, None, None)
        cls.dns.__exit__(None, None, None)

    def setUp(self):
        self.w = Workdir()
        self.hook = os.path.join(self.w.dir, "hook.sh")
        with open(self.hook, "w") as f:  # every call kept: stdin and env -0
            f.write('#!/bin/sh\nf=$(mktemp "%s/call.XXXXXX")\ncat > "$f.stdin"\n'
                    'env -0 > "$f.env"\n' % self.w.dir)
        os.chmod(self.hook, 0o755)

    def tearDown(self):
        self.w.cleanup()
        self.assertEqual(self.dns.errors, [], "the hostile server's handler failed")

    def hook_calls(self):
        calls = []
        for f in sorted(glob.glob(os.path.join(self.w.dir, "call.*.stdin"))):
            with open(f, "rb") as fh:
                stdin = fh.read()
            with open(f[:-len(".stdin")] + ".env", "rb") as fh:
                env = fh.read()
            os.remove(f)
            calls.append((stdin, env))
        return calls

    def assert_hook_call(self, stdin, env):
        doc = self.assert_json(stdin, "the hook's standard input")
        for var in env.split(b"\0"):
            if var:
                self.assert_text_bytes(var, "the hook's environment")
                self.assertNotIn(b"\n", var)
                self.assertNotIn(b"\t", var)
        return doc["events"]

    def test_hostile_txt_through_hook_and_desktop(self):
        self.w.write_config(dns_config(
            self.dns.server, [20, 21],
            extra="notify:\n  desktop: {}\n  command: {argv: [%s]}\n" % self.hook))
        env = {"DBUS_SESSION_BUS_ADDRESS": self.desk.address}
        r = self.rblmon(self.w, ["check", "--format", "json"], env=env, now=T0)
        self.assertEqual(r.rc, 2, r.err)
        self.assert_json(r.out, "check --format json")
        calls = self.hook_calls()
        self.assertEqual(len(calls), 1)
        ev = self.assert_hook_call(*calls[0])
        self.assertEqual(sorted((e["event"], e["target"]) for e in ev),
                         [("listed", "192.0.2.20"), ("listed", "192.0.2.21")])
        listed_ = self.desk.calls()
        self.assertEqual(len(listed_), 2, listed_)
        for summary, body, _ in listed_:
            self.assertEqual(bad_chars(summary + body), [], (summary, body))
        # the reminders carry the TXT
        r = self.rblmon(self.w, ["remind"], env=env, now=T0 + 60)
        self.assertEqual(r.rc, 1, r.err)
        text = self.assert_text_bytes(r.out, "remind")
        self.assertIn("evil \\x1b[31mred\\x1b]0;title\\x07 end", text)
        self.assertNotIn(FORGED, text)
        calls = self.hook_calls()
        self.assertEqual(len(calls), 1)
        ev = {e["target"]: e for e in self.assert_hook_call(*calls[0])}
        self.assertEqual(ev["192.0.2.20"]["event"], "reminder")
        self.assertIn("evil \\x1b[31mred\\x1b]0;title\\x07 end bad \\xff\\xfe",
                      ev["192.0.2.20"]["txt"])
        self.assertIn("00 \\x1b[31m\\xff\\xfe", ev["192.0.2.21"]["txt"])
        # the body a person reads: escaped once, its lines kept
        body = ev["192.0.2.20"]["body"]
        self.assertIn("\n  The list says: evil \\x1b[31mred", body)
        self.assertNotIn("\\\\x1b", body)
        bodies = [b for _, b, _ in self.desk.calls()]
        self.assertEqual(len(bodies), 2, bodies)
        for b in bodies:
            self.assertEqual(bad_chars(b), [], b)
            self.assertNotIn("\\\\x1b", b)
        self.assertTrue(any("\n  The list says: evil \\x1b[31mred" in b for b in bodies),
                        bodies)


# -- HTTP reputation bodies ---------------------------------------------------------
JSON_CT = {"Content-Type": "application/json"}


def gzip_bomb():
    """30 MB of JSON in 30 KB of gzip: max_size counts what it inflates to."""
    co = zlib.compressobj(6, zlib.DEFLATED, 31)
    parts = [co.compress(b'{"score": 1, "pad": "')]
    parts += [co.compress(b"0" * (1 << 20)) for _ in range(30)]
    return b"".join(parts + [co.compress(b'"}'), co.flush()])


BAD_BODIES = {  # path: (status, headers, body)
    "/raw": (200, JSON_CT, b'{"score": 99, "n": "a\x1b[31m\x07\xff\xfe \xc3\x28 b"}'),
    "/nul": (200, JSON_CT, b'{"score": 1}\x00{"score": 99, "n": "x"}'),
    "/unul": (200, JSON_CT, b'{"score": 99, "n": "a\\u0000b"}'),
    "/big": (200, JSON_CT, b'{"score": 1, "pad": "' + b"x" * (20 << 20) + b'"}'),
    "/bomb": (200, dict(JSON_CT, **{"Content-Encoding": "gzip"}), gzip_bomb()),
    "/notjson": (200, JSON_CT, b"\x1b[2J\x1b]0;pwned\x07\xff\xfe <<not json>> \x00\n"),
    "/html": (200, {"Content-Type": "text/html; \x1b[31m"},
              b"<html><body>\x1b]0;pwned\x07 \xc2\x9b31m \xff\xfe</body></html>"),
    "/e500": (500, {"Content-Type": "text/plain"}, b"oops \x1b[31m\x07\xff\xfe\xc3\x28"),
    "/e429": (429, {"Retry-After": "\x1b[31m99999999999999999999999\x07"},
              b"slow down \x1b]0;pwned\x07\xff"),
}
GOOD_BODIES = {  # valid JSON: the control characters are JSON escapes
    "/ctl": (200, JSON_CT, b'{"score": 99, "n": "a\\u001b[31m\\u0007 \\u009b31m '
             b'\\u202eevil \xc3\xa9 b"}'),
    "/long": (200, JSON_CT, b'{"score": 99, "n": "' + b"\\u001b[31m" * 20000 + b'"}'),
}


class HostileReputationTest(HostileCase):
    @classmethod
    def setUpClass(cls):
        from httpstest import TestCA
        cls.ca = TestCA()

    @classmethod
    def tearDownClass(cls):
        cls.ca.close()

    def setUp(self):
        self.w = Workdir()

    def tearDown(self):
        self.w.cleanup()

    def providers(self, srv, paths):
        return "".join(
            "  - name: p%s\n    url: %s?ip={ip}\n    ca_file: %s\n    format: json\n"
            "    pointer: /score\n    detail: /n\n"
            "    rules: [{critical: '>= 50', reason: 'score high'}]\n"
            % (p[1:], srv.url(p), self.ca.ca_file) for p in paths)

    def run_check(self, bodies):
        from httpstest import HttpsServer
        with HttpsServer(self.ca, bodies) as s:
            self.w.write_config("watchlists:\n  - name: main\n    ips: [192.0.2.1]\n"
                                "lists:\n  use: []\nreputation:\n"
                                + self.providers(s, bodies))
            j = self.rblmon(self.w, ["check", "--no-state", "--format", "json"])
            t = self.rblmon(self.w, ["check", "--no-state", "--format", "text"])
            for p in bodies:
                self.assertEqual(len(s.hits(p)), 2, p)  # each asked, each time
        doc = self.assert_json(j.out, "check --format json")
        text = self.assert_text_bytes(t.out, "check --format text")
        self.assertEqual(j.rc, t.rc)
        return j.rc, doc, text

    def test_bad_bodies_are_errors(self):
        rc, doc, text = self.run_check(BAD_BODIES)
        res = {r["source"]: r for r in doc["results"]}
        self.assertEqual(set(res), {"p" + p[1:] for p in BAD_BODIES})
        for src, r in res.items():
            with self.subTest(provider=src):
                self.assertEqual(r["status"], "error", r)
                self.assertTrue(r["error"])
        self.assertIn("larger than", res["pbig"]["error"])
        self.assertIn("larger than", res["pbomb"]["error"])
        self.assertIn("NUL", res["pnul"]["error"])
        self.assertEqual(doc["summary"]["clean"], 0)
        self.assertEqual((rc, doc["status"]), (3, "UNKNOWN"))
        self.assertIn("Not checked", text)
        self.assertIn("UNKNOWN", text)

    def test_control_characters_in_a_detail_are_escaped(self):
        rc, doc, text = self.run_check(GOOD_BODIES)
        res = {r["source"]: r for r in doc["results"]}
        ctl = res["pctl"]
        self.assertEqual((ctl["status"], ctl["severity"]), ("listed", "critical"), ctl)
        self.assertIn("a\\x1b[31m\\x07 \\xc2\\x9b31m \\xe2\\x80\\xaeevil \u00e9 b", ctl["txt"])
        self.assertIn("a\\x1b[31m\\x07 \\xc2\\x9b31m \\xe2\\x80\\xaeevil \u00e9 b", text)
        self.assertEqual(res["plong"]["status"], "listed", res["plong"])
        self.assertIn("\\x1b[31m\\x1b[31m", res["plong"]["txt"] or "")
        self.assertEqual(rc, 2)


# -- mail logs -----------------------------------------------------------------------
def bounce(qid, minute, text=b"554 5.7.1 Message rejected due to spam content"):
    return (b"Jan  5 10:%02d:00 mx1 postfix/smtp[1]: %s: to=<u@example.com>, "
            b"relay=mx.example.com[198.51.100.25]:25, dsn=5.7.1, status=bounced (host "
            b"mx.example.com[198.51.100.25] said: %s (in reply to end of DATA command))\n"
            % (minute, qid.encode(), text))


class HostileLogsTest(HostileCase):
    def setUp(self):
        self.w = Workdir("watchlists:\n  - name: out\n    ips: [192.0.2.0/24]\n")
        self.log = os.path.join(self.w.dir, "mail.log")
        self.data = b"".join([
            bounce("A1", 1),                                                 # line 1
            b"Jan  5 10:02:00 mx1 postfix/smtp[1]: " + b"\x1b[31m\xff" * ((5 << 20) // 6)
            + bounce("HUGE", 2),                                             # 2: 5 MB
            b"\x00" * 100000 + b"\n",                                        # 3
            b"Jan  5 10:03:00 mx1 postfix/smtp[1]: \xff\xfe \xc3\x28 \x1b]0;t\x07\n",  # 4
            bounce("B1", 4, b"554 5.7.1 Service unavailable; Client host [192.0.2.7] "
                   b"blocked using zen.spamhaus.org; \x1b[31mred\x1b]0;t\x07 \xff\xfe "
                   b"\xc3\x28 \xc2\x9b https://www.spamhaus.org/query/ip/192.0.2.7"),  # 5
            bounce("B2", 5, b"554 5.7.1 \xe2\x80\xaeevil \xc2\x9b31m in valid UTF-8"),  # 6
            bounce("B3", 6, b"554 5.7.1 nul \x00 inside"),                  # 7
            bounce("B4", 7),                                                 # 8
        ])
        with open(self.log, "wb") as f:
            f.write(self.data)

    def tearDown(self):
        self.w.cleanup()

    def scan(self, fmt, path, stdin=None):
        return self.rblmon(self.w, ["scan-logs", "--no-state", "--format", fmt, path],
                           env={"TZ": "UTC"}, now=T0 + 30 * 86400, stdin=stdin)

    def test_rejections_after_monster_lines_are_found(self):
        for path, stdin in ((self.log, None), ("-", self.data)):
            with self.subTest(input=path):
                j = self.scan("json", path, stdin)
                doc = self.assert_json(j.out, "scan-logs --format json")
                got = {x["queue_id"]: x for x in doc["rejections"]}
                for qid, line in (("A1", 1), ("B1", 5), ("B2", 6), ("B4", 8)):
                    self.assertIn(qid, got, [x["queue_id"] for x in doc["rejections"]])
                    self.assertEqual(got[qid]["line"], line, qid)
                self.assertNotIn("HUGE", got)  # inside the skipped 5 MB line
                b1 = got["B1"]
                self.assertEqual((b1["cause"], b1["list"], b1["named_ip"]),
                                 ("blocklist", "spamhaus-zen", "192.0.2.7"))
                self.assertIn("\\x1b[31mred\\x1b]0;t\\x07", b1["text"])
                self.assertGreaterEqual(doc["summary"]["long_lines_skipped"], 1)
                self.assertEqual(j.rc, 2)
                t = self.scan("text", path, stdin)
                text = self.assert_text_bytes(t.out, "scan-logs --format text")
                self.assertIn("\\x1b[31mred\\x1b]0;t\\x07", text)
                self.assertIn("longer than 64 KiB were skipped", text)
                self.assertEqual(t.rc, 2)

    def test_gzip_bomb_of_one_line(self):
        """256 MB of NUL bytes without a newline in 256 KB of gzip."""
        gz = os.path.join(self.w.dir, "old.log.gz")
        co = zlib.compressobj(9, zlib.DEFLATED, 31)
        with open(gz, "wb") as f:
            for _ in range(256):
                f.write(co.compress(b"\x00" * (1 << 20)))
            f.write(co.compress(b"\n" + bounce("Z1", 9)) + co.flush())
        j = self.scan("json", gz)
        doc = self.assert_json(j.out, "scan-logs --format json")
        self.assertEqual([(x["queue_id"], x["line"]) for x in doc["rejections"]], [("Z1", 2)])
        self.assertEqual(doc["summary"]["long_lines_skipped"], 1)

    def journal(self, data):
        j = self.rblmon(self.w, ["scan-logs", "--no-state", "--format", "json", "-"],
                        env={"TZ": "UTC"}, stdin=data)
        doc = self.assert_json(j.out, "scan-logs --format json -")
        return [x["queue_id"] for x in doc["rejections"]], doc

    def test_journal_json_hostile_messages(self):
        """journalctl -o json writes a MESSAGE that is not printable UTF-8
        (an escape, a Latin-1 byte) as an array of byte values."""
        def entry(message, **kw):
            e = {"__REALTIME_TIMESTAMP": "1767607200000000",
                 "SYSLOG_IDENTIFIER": "postfix/smtp", "MESSAGE": message}
            e.update(kw)
            return json.dumps(e).encode() + b"\n"

        def msg(qid, text):
            return bounce(qid, 0, text).split(b": ", 1)[1].rstrip(b"\n")
        hostile = b"554 5.7.1 evil \x1b[31mred\x1b]0;t\x07 \xc2\x9b31m \xe2\x80\xae end"
        data = b"".join([
            entry(msg("J1", hostile).decode()),                   # escapes in a string
            entry(list(msg("J2", hostile + b" caf\xe9"))),       # bytes: not UTF-8
            b'{"MESSAGE": "said", "x": ' + b"[" * 30000 + b"]" * 30000 + b"}\n",
            entry(msg("J3", b"554 x").decode(), SYSLOG_IDENTIFIER=["postfix/smtp"]),
            entry(12345), entry(None), entry([-1, 300, "x", None, 1e308]),
            b'{"MESSAGE": "' + b"said " * 20000 + b'"\n',        # over 64 KiB, unclosed
            entry(msg("J4", b"554 5.7.1 Message rejected due to spam content").decode()),
        ])
        ids, doc = self.journal(data)
        self.assertIn("J1", ids)
        self.assertIn("J4", ids)
        got = {x["queue_id"]: x for x in doc["rejections"]}
        self.assertIn("evil \\x1b[31mred\\x1b]0;t\\x07 \\xc2\\x9b31m \\xe2\\x80\\xae end",
                      got["J1"]["text"])
        # the same rejection, as journalctl writes it when it is not UTF-8
        self.assertIn("J2", ids, "a MESSAGE given as an array of bytes is never read")
        self.assertIn("\\x1b[31mred", got["J2"]["text"])

    def test_journal_export_binary_field_is_opaque(self):
        """journalctl -o export writes a binary field as its name, a
        newline, a 64-bit length and the bytes: what the bytes hold (here a
        blank line and a fake entry) is data, never entries."""
        def msg(qid, text=b"554 5.7.1 Message rejected due to spam content"):
            return bounce(qid, 0, text).split(b": ", 1)[1].rstrip(b"\n")

        def entry(qid, field):
            return (b"__CURSOR=s=1;i=%s\n__REALTIME_TIMESTAMP=1767607200000000\n"
                    b"SYSLOG_IDENTIFIER=postfix/smtp\n%s\n" % (qid.encode(), field))
        fake = msg("FAKE")
        inner = msg("E2", b"554 5.7.1 evil \x1b[31m\xff\n\nSYSLOG_IDENTIFIER=postfix/smtp\n"
                    b"MESSAGE=" + fake + b"\n\n")
        data = (entry("E1", b"MESSAGE=" + msg("E1") + b"\n")
                + entry("E2", b"MESSAGE\n" + struct.pack("<Q", len(inner)) + inner + b"\n")
                + entry("E3", b"MESSAGE=" + msg("E3") + b"\n"))
        ids, _ = self.journal(data)
        self.assertIn("E1", ids)
        self.assertIn("E3", ids)
        self.assertNotIn("FAKE", ids, "the data of a binary field was read as an entry")


if __name__ == "__main__":
    rbltest.main()
