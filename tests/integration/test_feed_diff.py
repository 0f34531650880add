"""Differential test of the data feeds: for every dataset format rbldnsd
reads (ip4set, ip4tset, ip4trie, ip6trie, ip6tset, dnset, combined by
subzone, a gzip-compressed file, a list of both families from two files,
and rblmon's plain format), a file made by a seeded random generator,
realistic and adversarial (singles, prefixes, CIDRs, ranges, nesting,
exclusions, duplicates, defaults changing mid-file, per-entry values, $n
and $= substitutions, wildcards, escapes, invalid lines), is read by rblmon
(check --format json) and served by the real rbldnsd on 127.0.0.1; every
address of a range where the entries crowd (a /16, /18, /20, IPv6 /112 and
/116), samples around the other entries and thousands of names are asked
of rbldnsd (about 220,000 questions, A and TXT in one).  rblmon must agree
on every one: listed or not, the set of A values (its codes), and its TXT
must be one of rbldnsd's.

RBLMON_DIFF_SEED=n runs another seed (the default is fixed, so CI is
reproducible); a failure prints the first disagreements with the lines of
the file that cover them."""
import collections
import gzip
import io
import ipaddress
import os
import random
import select
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import unittest

import rbltest
from rbltest import Workdir

if os.sep in rbltest.RBLMON:  # Workdir runs it from its own directory
    rbltest.RBLMON = os.path.abspath(rbltest.RBLMON)
SEED = int(os.environ.get("RBLMON_DIFF_SEED", "5782"))
HAVE_RBLDNSD = shutil.which("rbldnsd") is not None


# ---- a small DNS client: many queries in flight on one UDP socket ----------
def _qname(name):
    out = bytearray()
    for label in name.split("."):
        b = label.encode("latin-1")
        out.append(len(b))
        out += b
    out.append(0)
    return bytes(out)


def _skip_name(msg, i):
    while True:
        n = msg[i]
        if n == 0:
            return i + 1
        if n >= 0xC0:
            return i + 2
        i += 1 + n


def _parse_answer(msg):
    """(rcode, truncated, A set, TXT set) of a response."""
    qd, an = struct.unpack(">HH", msg[4:8])
    i = 12
    for _ in range(qd):
        i = _skip_name(msg, i) + 4
    a, txt = set(), set()
    for _ in range(an):
        i = _skip_name(msg, i)
        rtype, _, _, rdlen = struct.unpack(">HHIH", msg[i:i + 10])
        i += 10
        rd = msg[i:i + rdlen]
        i += rdlen
        if rtype == 1 and rdlen == 4:
            a.add("%d.%d.%d.%d" % tuple(rd))
        elif rtype == 16:
            s, j = b"", 0
            while j < len(rd):
                s += rd[j + 1:j + 1 + rd[j]]
                j += 1 + rd[j]
            txt.add(s)
    return msg[3] & 15, bool(msg[2] & 2), a, txt


def resolve(port, names, window=128):
    """{name: (rcode, A set, TXT set)}: an ANY query (A and TXT in one
    answer; EDNS0 so that long TXTs fit) for every name."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 21)
    sock.connect(("127.0.0.1", port))
    sock.setblocking(False)
    qtype = struct.pack(">HH", 255, 1)
    edns0 = b"\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x00"
    ids = collections.deque(range(65536))
    pending = {}  # id: [index, packet, when sent]
    tries, out, nxt = collections.Counter(), {}, 0
    try:
        while nxt < len(names) or pending:
            while nxt < len(names) and len(pending) < window:
                qid = ids.popleft()
                pkt = (struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 1)
                       + _qname(names[nxt]) + qtype + edns0)
                sock.send(pkt)
                pending[qid] = [nxt, pkt, time.monotonic()]
                nxt += 1
            if not select.select([sock], [], [], 0.25)[0]:
                # a lost datagram (a full socket buffer): ask again
                now = time.monotonic()
                for p in pending.values():
                    if now - p[2] > 0.25:
                        tries[p[0]] += 1
                        if tries[p[0]] > 40:
                            raise RuntimeError("rbldnsd does not answer " + names[p[0]])
                        sock.send(p[1])
                        p[2] = now
                continue
            while True:
                try:
                    msg = sock.recv(65535)
                except BlockingIOError:
                    break
                qid = struct.unpack(">H", msg[:2])[0]
                p = pending.get(qid)
                # the same question (not a late answer to one asked again)
                if p is None or msg[12:len(p[1]) - len(edns0)] != p[1][12:-len(edns0)]:
                    continue
                del pending[qid]
                ids.append(qid)
                rcode, tc, a, txt = _parse_answer(msg)
                if tc:
                    raise RuntimeError("truncated answer for " + names[p[0]])
                out[names[p[0]]] = (rcode, a, txt)
    finally:
        sock.close()
    return out


# the TXT of an address rblmon reported inside a listed block
BLOCK = object()

class Rbldnsd:
    """rbldnsd on a free port of 127.0.0.1 serving files of a directory
    (rbltest.Rbldnsd refuses zones with invalid lines; these have some on
    purpose).  Ready when it says "started"."""

    def __init__(self, directory, zonespecs):
        self.dir, self.specs, self.proc, self.port = directory, zonespecs, None, None

    def __enter__(self):
        log = []
        for _ in range(5):  # the port may be taken between probe and bind
            self.port = rbltest.free_udp_port()
            self.proc = subprocess.Popen(
                ["rbldnsd", "-n", "-a", "-b", "127.0.0.1/%d" % self.port,
                 "-w", self.dir] + self.specs,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            log = []
            for line in self.proc.stdout:
                log.append(line)
                if "started" in line:
                    return self
            self.proc.wait()
        raise RuntimeError("rbldnsd did not start:\n" + "".join(log))

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()
        self.proc.stdout.close()


# ---- addresses ------------------------------------------------------------
def ip4s(x):
    return "%d.%d.%d.%d" % (x >> 24, (x >> 16) & 255, (x >> 8) & 255, x & 255)


def qname4(x, zone):
    return "%d.%d.%d.%d.%s" % (x & 255, (x >> 8) & 255, (x >> 16) & 255, x >> 24, zone)


def qname6(x, zone):
    return ".".join(reversed("%032x" % x)) + "." + zone


def ip6s(x):
    return str(ipaddress.IPv6Address(x))


# ---- the generator ----------------------------------------------------------
# A values (all in 127/8; at most 8 distinct, rblmon's codes per answer),
# each in the spellings rbldnsd reads.
A_FORMS = [["2", "127.0.0.2", "127.2"], ["3", "127.0.0.3", "127.0.3"],
           ["4", "127.4", "127.0.0.004"], ["5", "127.0.0.5", "0127.0.0.05", "00005"],
           ["6", "127.6"],
           ["7", "127.0.0.7"], ["10", "127.0.0.10"], ["127.0.1.9", "127.000.1.9"]]
TXTS = ["listed", "listed: $", "see https://bl.test/q?ip=$ now", "$1 / $2",
        "$$5 fee", "$9 unset", "=raw $ (no base)", "a:b:c", "#hash inside",
        "semi; colon", "tab\tinside", "$x glued", "ends with $", "$= in an entry",
        "$0$1$2$3$4$5$6$7$8$9", "  spaced", "", "L" * 300, "$" * 3 + "L" * 250]
BAD_VALUES = [" :0:zero", " :256", " :5 junk", " ::empty", " : 5", " :-1",
              " :1.2.3.4.5:x", " :5x", " :127.0.0.256:x"]
SPECIALS = ["$1 one($)", "$2 two", "#$3 three $", ";$4 four", "$5 [$$]",
            "$1 a later one, ignored", "$TTL 300", "$ttl 1h", "$BOGUS 1",
            "$ 1 x", "# $6 not special", "$7", "$9 nine", ":$8 eight",
            "$0 zero", "#$ 2 x", "  $2 indented", "$tTl 5m", "$3 three\tand tab",
            "!", "! ", "$MAXRANGE4 x"]


class Gen:
    """Lines of one file, with what each entry covers (for the report)."""

    def __init__(self, rng, base_template=False, specials=True):
        self.rng = rng
        self.lines = []
        self.spans = []  # (family, lo, hi, line number)
        self.base_template = base_template
        self.specials = specials

    def add(self, text, fam=None, lo=None, hi=None):
        self.lines.append(text)
        if fam is not None:
            self.spans.append((fam, lo, hi, len(self.lines)))

    def a(self):
        return self.rng.choice(self.rng.choice(A_FORMS))

    def value(self):
        r = self.rng
        x = r.random()
        if x < 0.4:
            return r.choice(["", "", "", " # comment", " ;c", "\t", "  "])
        if x < 0.44:
            return r.choice(BAD_VALUES)
        a, t = self.a(), r.choice(TXTS)
        return r.choice([" :%s:%s" % (a, t), " :%s:" % a, " :%s" % a,
                         " " + t, ":%s:%s" % (a, t), "\t:%s:  %s" % (a, t),
                         " :%s :%s" % (a, t), " :%s:%s  " % (a, t)])

    def interlude(self):
        """Now and then: a default line, a special, a comment, a blank."""
        r = self.rng
        x = r.random()
        if x < 0.02:
            a, t = self.a(), r.choice(TXTS)
            self.add(r.choice([":%s:%s" % (a, t), ":%s" % a, ":%s:" % a,
                               "  :%s:%s" % (a, t), r.choice([":0:x", ":5 junk"])]))
        elif x < 0.03 and self.specials:
            self.add(r.choice(SPECIALS))
        elif x < 0.04:
            self.add(r.choice(["", "# comment 10.0.0.0/8", "; 1.2.3.4",
                               "   ", "\t# indented"]))

    def excl(self, p):
        x = self.rng.random()
        return "" if x >= p else ("!" if x < p * 0.7 else self.rng.choice(["! ", "!\t"]))

    def start(self):
        if self.specials:
            self.add("# generated, seed %d" % SEED)
            self.add("$SOA 3600 ns.test. hostmaster.test. 1 3600 600 86400 60")
            self.add("$NS 3600 ns.test.")
        if self.base_template:
            self.add("$= [$=] base for $")


def _octet(r, v):
    return (r.choice(["%03d", "%04d", "%05d"]) % v) if r.random() < 0.03 else str(v)


def ip4_entry(g, base, span_bits, ranges=True):
    """An IPv4 key inside base/(32-span_bits), in one of the shapes
    rbldnsd reads: (text, lo, hi), lo None for shapes to skip."""
    r = g.rng
    a, b = base >> 24, (base >> 16) & 255
    size = 1 << span_bits
    off = r.randrange(size)
    x = base + off
    c, d = (x >> 8) & 255, x & 255
    k = r.random()
    if k < 0.30:
        return "%s.%s.%s.%s" % (a, _octet(r, b), _octet(r, c), _octet(r, d)), x, x
    if k < 0.45:  # a small CIDR
        plen = r.randint(25, 32)
        lo = x & ~((1 << (32 - plen)) - 1)
        return "%s/%d" % (ip4s(lo), plen), lo, lo | ((1 << (32 - plen)) - 1)
    if k < 0.50:  # a large one, perhaps written short
        plen = r.randint(32 - span_bits, 24)
        lo = x & ~((1 << (32 - plen)) - 1)
        hi = lo | ((1 << (32 - plen)) - 1)
        if lo & 255 == 0 and r.random() < 0.5:
            return "%d.%d.%d/%d" % (a, b, (lo >> 8) & 255, plen), lo, hi
        return "%s/%d" % (ip4s(lo), plen), lo, hi
    if k < 0.55:
        return "%d.%d.%d" % (a, b, c), x & ~255, x | 255
    if k < 0.58:  # a host bits CIDR: invalid
        return "%s/%d" % (ip4s(x | 1), r.randint(24, 31)), None, None
    if not ranges and k < 0.9:
        return "%s.%s.%s.%s" % (a, b, c, d), x, x
    if k < 0.72 and ranges:
        e = min(255, d + r.choice([0, 1, 2, 5, 17, 100, 255]))
        return "%d.%d.%d.%d-%d" % (a, b, c, d, e), x, x + e - d
    if k < 0.76 and ranges:
        e = min(255, c + r.choice([0, 1, 2]))
        return "%d.%d.%d-%d" % (a, b, c, e), x & ~255, (x & ~0xffff) | e << 8 | 255
    if k < 0.83 and ranges:
        y = min(base + size - 1, x + r.choice([1, 3, 200, 256, 700, 3000]))
        if r.random() < 0.3:
            return "%d.%d.%d-%d.%d.%d" % (a, b, c, a, b, (y >> 8) & 255), \
                x & ~255, y | 255
        return "%s-%s" % (ip4s(x), ip4s(y)), x, y
    if k < 0.86 and ranges:  # wide, covering the whole region
        w = r.choice(["%d/8" % a, "%d.0.0.0/8" % a, "%d.%d/16" % (a, b),
                      "%d.%d/12" % (a, b & 0xF0), "%d.%d-%d" % (a, max(0, b - 1), b + 1)])
        return w, base & 0xff000000, base | 0xffffff
    if k < 0.88 and ranges:  # "a - b" is an entry a with TXT "- b"
        return "%s - %s" % (ip4s(x), ip4s(x + 3)), x, x
    bad = r.choice(["%d.%d.%d.%d.%d" % (a, b, c, d, 1), "%d" % a,
                    "%s/33" % ip4s(x), "%d.%d.%d.0-%d.%d.%d" % (a, b, c, a, b, c + 1),
                    "%s-%d" % (ip4s(x | 7), (x & 255) & ~7), "300.%d.%d.%d" % (b, c, d),
                    "%s.0.0.0/0" % a, "%sx" % ip4s(x), "%d..%d.%d" % (a, c, d),
                    "%d.%d.%d.%d-%d" % (a, b, c, d, d),
                    "%d.%d.%d.%d." % (a, b, c, d), "%d.%d.%d-%d.%d.%d.%d" % (a, b, c, a, b, c, d)])
    return bad, None, None


def gen_ip4(rng, base, span_bits, n, kind, base_template=False):
    """ip4set, ip4trie or ip4tset text: n entries crowded in
    base/(32-span_bits) and n/8 spread over 10/8; the samples to ask."""
    g = Gen(rng, base_template)
    g.start()
    outside = []
    for i in range(n + n // 8):
        g.interlude()
        if kind != "ip4tset" and i in (n * 3 // 4, n * 7 // 8):
            # rbldnsd skips the entries wider than this; it cannot grow
            g.add("$MAXRANGE4 %s" % ("/13" if i == n * 3 // 4 else "/9"))
        if i < n:
            blk, bits = base, span_bits
        else:  # elsewhere in 10/8: a /20 of its own
            blk = (10 << 24) | rng.randrange(1 << 12) << 12
            bits = 12
            if blk >> span_bits == base >> span_bits:
                continue
        if kind == "ip4tset":
            x = blk + rng.randrange(1 << bits)
            k = rng.random()
            if k < 0.8:
                text, lo, hi = ip4s(x), x, x
            else:
                text, lo, hi = ip4_entry(g, blk, bits)
                lo = None
        else:
            text, lo, hi = ip4_entry(g, blk, bits, ranges=kind == "ip4set")
        if kind == "ip4trie" and rng.random() < 0.01:
            text, lo, hi = rng.choice(["0/0", "0.0.0.0/0"]), 0, 0xffffffff
        if kind == "ip4set" and rng.random() < 0.015:  # anywhere, across /16s and /8s
            lo = (9 << 24) + rng.randrange(3 << 24)
            hi = min(lo + rng.randrange(1 << rng.choice([8, 16, 20, 25])), (12 << 24) - 1)
            text = "%s-%s" % (ip4s(lo), ip4s(hi))
            outside.append((lo, hi))
        ex = g.excl(0.05 if kind == "ip4tset" else 0.2)
        val = g.value() if not ex or rng.random() < 0.2 else ""
        g.add(ex + text + val, 4 if lo is not None else None, lo, hi)
        if blk != base and lo is not None:
            outside.append((lo, hi))
        if rng.random() < 0.06:  # the same key again, another value
            g.add(g.excl(0.3) + text + g.value(), 4 if lo is not None else None, lo, hi)
    return g, samples4(rng, base, span_bits, outside)


def samples4(rng, base, span_bits, spans, extra=600):
    out = set()
    for lo, hi in spans:
        for x in (lo - 1, lo, hi, hi + 1, rng.randint(lo, hi)):
            out.add(x & 0xffffffff)
    for _ in range(extra):
        out.add((10 << 24) | rng.randrange(1 << 24))
    out.add(0x7f000002)
    return sorted(x for x in out if x >> span_bits != base >> span_bits)


def fmt6(rng, x, compress_ok=True):
    """An IPv6 address as a full 8-group text, in some spelling."""
    groups = [(x >> (112 - 16 * i)) & 0xffff for i in range(8)]
    k = rng.random()
    if k < 0.3 and compress_ok:
        return str(ipaddress.IPv6Address(x))
    if k < 0.4:
        return ":".join("%04x" % v for v in groups)
    if k < 0.5:
        return ":".join("%X" % v for v in groups)
    return ":".join("%x" % v for v in groups)


def ip6_entry(g, base):
    """An ip6trie key inside the /112 base (or covering it)."""
    r = g.rng
    off = r.randrange(1 << 16)
    x = base | off
    k = r.random()
    if k < 0.35:
        return fmt6(r, x), x, x
    if k < 0.60:
        plen = r.randint(113, 127)
        lo = x & ~((1 << (128 - plen)) - 1)
        return "%s/%d" % (fmt6(r, lo), plen), lo, lo | ((1 << (128 - plen)) - 1)
    if k < 0.68:
        plen = r.choice([16, 32, 48, 56, 64, 80, 96, 100, 104, 108, 112])
        lo = base & ~((1 << (128 - plen)) - 1)
        hi = lo | ((1 << (128 - plen)) - 1)
        if plen % 16 == 0 and r.random() < 0.6 and plen > 16:  # groups, no "::"
            return ":".join("%x" % ((lo >> (112 - 16 * i)) & 0xffff)
                            for i in range(plen // 16)), lo, hi
        return "%s/%d" % (ip6s(lo), plen), lo, hi
    if k < 0.72:  # "a:b::" is one address
        lo = base & ~((1 << 64) - 1)
        return ip6s(lo), lo, lo
    if k < 0.73:  # lines starting with "::": addresses, not default lines
        return r.choice([("::/1", 0, (1 << 127) - 1), ("::/2", 0, (1 << 126) - 1),
                         ("::1", 1, 1), (":::1", 0, 0)])
    if k < 0.76:  # nine groups: an address and the value :7
        return fmt6(r, x, False) + ":7", x, x
    bad = r.choice(["2001", "%s/129" % fmt6(r, x), "%s/120" % fmt6(r, x | 1),
                    "2001:db8::1::2", "12345::", "::ffff:1.2.3.4",
                    "2001:db8:g::", "%s:1:2" % fmt6(r, x, False), ":::1",
                    "%s/64" % fmt6(r, x | 1)])
    return bad, None, None


def gen_ip6trie(rng, base, n, base_template=False):
    g = Gen(rng, base_template)
    g.start()
    outside = []
    # inet_ntop prints these with a dotted tail, rbldnsd's $ never does
    for net, text in ((0xffff << 32, "::ffff:0:0/96 :3:mapped $"), (0, "::/96 :4:compat $")):
        g.add(text, 6, net, net | 0xffffffff)
        outside.append((net, net | 0xffffffff))
    for i in range(n + n // 6):
        g.interlude()
        blk = base if i < n else (base & ~((1 << 80) - 1)) | rng.randrange(1 << 16) << 16
        text, lo, hi = ip6_entry(g, blk)
        ex = g.excl(0.2)
        g.add(ex + text + (g.value() if not ex else ""), 6 if lo is not None else None, lo, hi)
        if blk != base and lo is not None:
            outside.append((lo, hi))
        if rng.random() < 0.06:
            g.add(g.excl(0.3) + text + g.value(), 6 if lo is not None else None, lo, hi)
    return g, samples6(rng, base, outside)


def samples6(rng, base, spans, extra=300):
    out = set()
    for lo, hi in spans:
        for x in (lo - 1, lo, hi, hi + 1, rng.randint(lo, hi)):
            out.add(x % (1 << 128))
    for _ in range(extra):
        out.add((base & ~((1 << 64) - 1)) | rng.randrange(1 << 64))
    return sorted(x for x in out if x >> 16 != base >> 16)


def gen_ip6tset(rng, prefix48, nets, region_net):
    """ip6tset: /64s written as four groups, /128 exclusions; a value from
    the first ':' line, wherever it is.  The region is a /116 of one
    listed /64 with exclusions in it."""
    g = Gen(rng)
    g.start()
    outside = []
    for i, net in enumerate(nets):
        g.interlude()
        n64 = prefix48 | net << 64
        if i == len(nets) // 2:
            g.add(":%s:first value line $" % g.a())
        text = ":".join("%x" % ((n64 >> (112 - 16 * k)) & 0xffff) for k in range(4))
        if rng.random() < 0.2:
            text = text.upper()
        g.add(text + g.value(), 6, n64, n64 | ((1 << 64) - 1))
        outside.append((n64, n64 | ((1 << 64) - 1)))
        for _ in range(rng.randrange(4)):
            x = n64 | rng.randrange(1 << 64)
            g.add(rng.choice(["!", "! "]) + fmt6(rng, x), 6, x, x)
            outside.append((x, x))
    region = prefix48 | region_net << 64
    g.add(":".join("%x" % ((region >> (112 - 16 * k)) & 0xffff) for k in range(4)),
          6, region, region | ((1 << 64) - 1))
    for _ in range(250):
        x = region | rng.randrange(1 << 12)
        g.add("!" + fmt6(rng, x), 6, x, x)
    g.add(":%s:second value line, ignored" % g.a())
    for bad in ["%s::" % ip6s(prefix48 | 7 << 64)[:-2], "%s/64" % ip6s(prefix48 | 8 << 64),
                "!2001:db8:1:2", "2001:db8:1", "2001:db8:1:2:3", "2001:db8::1-2"]:
        g.add(bad)
    return g, samples6(rng, region, outside)


WORDS = ["mail", "spam", "bad", "x", "a", "b", "mx1", "web", "cdn", "_dmarc",
         "foo-bar", "host7", "ns", "www", "smtp", "z9"]
TLDS = ["example", "test", "co.test", "net"]


def dn_escape(rng, name):
    """name with one letter as a \\DDD escape, sometimes."""
    i = rng.randrange(len(name))
    if name[i].isalnum():
        return name[:i] + "\\%03d" % ord(name[i]) + name[i + 1:]
    return name


def gen_dnset(rng, nbases, base_template=False):
    g = Gen(rng, base_template)
    g.start()
    bases = sorted({"%s%d.%s" % (rng.choice(WORDS), rng.randrange(40), rng.choice(TLDS))
                    for _ in range(nbases)})
    names = set()
    for bname in bases:
        names.add(bname)
        for _ in range(rng.randrange(4)):
            g.interlude()
            name = bname if rng.random() < 0.5 else rng.choice(WORDS) + "." + bname
            names.add(name)
            for _ in range(3):
                sub = ".".join(rng.choice(WORDS) for _ in range(rng.randint(1, 2)))
                names.add(sub + "." + name)
            k = rng.random()
            form = name if k < 0.45 else ("." + name if k < 0.65 else "*." + name)
            x = rng.random()
            if x < 0.1:
                form = form.upper()
            elif x < 0.15:
                form = form + "."
            elif x < 0.2:
                form = form.replace(".", "..", 1) if not form.startswith(".") else form
            elif x < 0.25:
                form = dn_escape(rng, form)
            ex = g.excl(0.2)
            g.add(ex + form + (g.value() if not ex else ""), "dn", name, form)
            if rng.random() < 0.06:
                g.add(g.excl(0.3) + form + g.value(), "dn", name, form)
    for bad in [".", "*.", "!.", "a" * 64 + ".example", "*", "..", "!*."]:
        g.add(bad)
    for _ in range(300):
        names.add("%s.%s%d.%s" % (rng.choice(WORDS), rng.choice(WORDS), rng.randrange(40),
                                  rng.choice(TLDS)))
    names.update(TLDS)
    return g, sorted(n for n in names if "." in n)


def gen_plain(rng, base4, bits4, base6):
    """A plain list: IPv4 and IPv6 addresses and CIDRs, ; and # comments."""
    g = Gen(rng, specials=False)
    g.add("; plain list, seed %d" % SEED)
    out4, out6 = [], []
    for i in range(900):
        k = rng.random()
        if k < 0.05:
            g.add(rng.choice(["", "# comment", "; comment", "   ", "#10.0.0.0/8"]))
            continue
        ex = "!" if rng.random() < 0.04 else ""
        tail = rng.choice(["", "", " ; why", " # why", ";x", "#x", "  ", "\t; tab"])
        if k < 0.6:
            blk = base4 if i % 5 else (10 << 24) | rng.randrange(1 << 12) << 12
            text, lo, hi = ip4_entry(g, blk, bits4 if blk == base4 else 12, ranges=False)
            if lo is not None and hi - lo > 4096 and rng.random() < 0.8:
                continue  # a few wide ones: most of the region would be listed
            if blk != base4 and lo is not None:
                out4.append((lo, hi))
            g.add(ex + text + tail, 4 if lo is not None else None, lo, hi)
        else:
            blk = base6 if i % 5 else (base6 & ~((1 << 80) - 1)) | rng.randrange(1 << 16) << 16
            text, lo, hi = ip6_entry(g, blk)
            if lo is not None and hi - lo > 1 << 20 and rng.random() < 0.8:
                continue
            if (text.count(":") > 7 and "::" not in text or text.startswith(":::")
                    or text.count("::") > 1):
                continue  # an address and a value (":7"); none in a plain list
            if blk != base6 and lo is not None:
                out6.append((lo, hi))
            g.add(ex + text + tail, 6 if lo is not None else None, lo, hi)
    return g, samples4(rng, base4, bits4, out4, 300), samples6(rng, base6, out6, 200)


# ---- comparing ---------------------------------------------------------------
def util_escape(b):
    """rblmon's escaping of an untrusted TXT (util.c) for ASCII text."""
    out = []
    for c in b:
        if c == 0x5C:
            out.append("\\\\")
        elif c == 9:
            out.append("\\t")
        elif c == 10:
            out.append("\\n")
        elif c < 0x20 or c >= 0x7F:
            out.append("\\x%02x" % c)
        else:
            out.append(chr(c))
    return "".join(out)


class Case:
    """One feed: its rblmon list, its rbldnsd zone, what to ask."""

    def __init__(self, name, gen, feed_yaml, ltype, zone):
        self.name, self.gen, self.feed_yaml, self.ltype, self.zone = \
            name, gen, feed_yaml, ltype, zone
        self.ranges4, self.ranges6, self.singles4, self.singles6 = [], [], [], []
        self.names = []


@unittest.skipUnless(HAVE_RBLDNSD, "rbldnsd is not installed")
class FeedDiff(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="rblmon-diff.")
        os.chmod(cls.dir, 0o755)  # rbldnsd drops root to read the files
        rng = random.Random(SEED)
        cls.cases = {}
        specs = []
        files = {}

        def case(name, fname, gen, feed, ltype, zone, dtypes):
            path = os.path.join(cls.dir, fname)
            c = Case(name, gen, feed.replace("PATH", path), ltype, zone)
            cls.cases[name] = c
            files.setdefault(fname, gen)
            for t in dtypes:
                specs.append("%s:%s:%s" % (zone, t, fname))
            return c

        def r4(c, base, bits, samples):
            c.ranges4.append((base, 32 - bits))
            c.singles4 = samples

        # ip4set: a /16
        base = (10 << 24) | rng.randrange(1, 255) << 16
        g, s = gen_ip4(random.Random(rng.random()), base, 16, 1800, "ip4set")
        r4(case("ip4set", "ip4set.zone", g, "{path: PATH, type: ip4set}", "ip4",
                "s.test", ["ip4set"]), base, 16, s)
        # the same format compressed (and without .gz: rbldnsd looks at the bytes)
        base = (10 << 24) | rng.randrange(1, 255) << 16
        g, s = gen_ip4(random.Random(rng.random()), base, 12, 500, "ip4set", True)
        r4(case("gzip", "gz.zone", g, "{path: PATH}", "ip4", "gz.test", ["ip4set"]),
           base, 12, s)
        base = (10 << 24) | rng.randrange(1, 255) << 16
        g, s = gen_ip4(random.Random(rng.random()), base, 14, 900, "ip4trie", True)
        r4(case("ip4trie", "ip4trie.zone", g, "{path: PATH, type: ip4trie}", "ip4",
                "tr.test", ["ip4trie"]), base, 14, s)
        base = (10 << 24) | rng.randrange(1, 255) << 16
        g, s = gen_ip4(random.Random(rng.random()), base, 12, 900, "ip4tset")
        r4(case("ip4tset", "ip4tset.zone", g, "{path: PATH, type: ip4tset}", "ip4",
                "ts.test", ["ip4tset"]), base, 12, s)
        base6 = (0x20010db8 << 96 | rng.randrange(1 << 16) << 80 | 5 << 32
                 | rng.randrange(1 << 16) << 16)
        g, s = gen_ip6trie(random.Random(rng.random()), base6, 1200)
        c = case("ip6trie", "ip6trie.zone", g, "{path: PATH, type: ip6trie}", "ip6",
                 "v6.test", ["ip6trie"])
        c.ranges6.append((base6, 112))
        c.singles6 = s
        p48 = 0x20010db8 << 96 | rng.randrange(1 << 16) << 80
        nets = sorted(rng.sample(range(1, 1 << 16), 60))
        g, s = gen_ip6tset(random.Random(rng.random()), p48, nets[1:], nets[0])
        c = case("ip6tset", "ip6tset.zone", g, "{path: PATH, type: ip6tset}", "ip6",
                 "t6.test", ["ip6tset"])
        c.ranges6.append((p48 | nets[0] << 64, 116))
        c.singles6 = s + [p48 | n << 64 | rng.randrange(1 << 64) for n in
                          rng.sample(range(1 << 16), 200)]
        g, names = gen_dnset(random.Random(rng.random()), 700, True)
        c = case("dnset", "dnset.zone", g, "{path: PATH, type: dnset}", "domain",
                 "dn.test", ["dnset"])
        c.names = names
        base4 = (10 << 24) | rng.randrange(1, 255) << 16
        base6 = 0x20010db8 << 96 | rng.randrange(1 << 16) << 80 | rng.randrange(1 << 16) << 16
        g, s4, s6 = gen_plain(random.Random(rng.random()), base4, 14, base6)
        c = case("plain", "plain.txt", g, "{path: PATH, format: plain}", "ip",
                 "pl.test", ["ip4trie", "ip6trie"])
        c.ranges4.append((base4, 18))
        c.ranges6.append((base6, 116))
        c.singles4, c.singles6 = s4, s6
        cls.combined(rng, case, r4)
        cls.two_files(rng, case, files, specs)
        try:
            cls.serve(files, specs)
        except BaseException:
            shutil.rmtree(cls.dir, ignore_errors=True)
            raise

    @classmethod
    def serve(cls, files, specs):
        for fname, g in files.items():
            data = ("\n".join(g.lines) + "\n").encode("latin-1")
            if fname == "gz.zone":
                buf = io.BytesIO()
                with gzip.GzipFile(filename="feed.zone", mode="wb", fileobj=buf, mtime=0) as z:
                    z.write(data)
                data = buf.getvalue()
            with open(os.path.join(cls.dir, fname), "wb") as f:
                f.write(data)
            os.chmod(os.path.join(cls.dir, fname), 0o644)
        cls.server = Rbldnsd(cls.dir, specs).__enter__()

    @classmethod
    def combined(cls, rng, case, r4):
        """A combined file: a common section ($n, $MAXRANGE4), then
        sections of every type, each on its own subzone; one list per
        subzone read."""
        g = Gen(random.Random(rng.random()))
        g.add("# a combined file, seed %d" % SEED)
        g.add("$SOA 3600 ns.test. hostmaster.test. 1 3600 600 86400 60")
        g.add("$1 common-one")
        g.add("$TTL 600")
        g.add("$MAXRANGE4 /10")
        def section(head):
            g.add("")
            g.add(head)

        def splice(h):
            start = len(g.lines)
            g.lines.extend(l for l in h.lines if not l.startswith("$SOA") and
                           not l.startswith("$NS"))
            # spans: line numbers shift by what was dropped and where it lands
            kept = [i for i, l in enumerate(h.lines, 1) if not l.startswith("$SOA") and
                    not l.startswith("$NS")]
            pos = {old: start + new + 1 for new, old in enumerate(kept)}
            g.spans.extend((f, lo, hi, pos[ln]) for f, lo, hi, ln in h.spans if ln in pos)

        section("$DATASET ip4set other-1 noise  # a section nobody reads, not s4")
        g.add("10.0.0.0/8 :5:noise")
        g.add("$2 noise-two")  # a section's $n and $= are its own
        g.add("$= NOISE[$=]")
        base = (10 << 24) | rng.randrange(1, 255) << 16
        h, s = gen_ip4(random.Random(rng.random()), base, 12, 600, "ip4set")
        section("$DATASET ip4set:first S4.\t# the ip4set (a subzone is a DNS name)")
        g.add("$2 section-two")
        splice(h)
        c = case("combined-ip4set", "combined.zone", g,
                 "{path: PATH, type: combined, dataset: s4}", "ip4", "s4.cb.test", [])
        r4(c, base, 12, s)
        # sections that end s4's: their lines, in s4's region, are not s4's
        section("$dataset ip4set:lower-case-keyword lc")
        g.add("%s/22 :9:noise" % ip4s(base))
        section("$DATASET ip4set s4#not-a-comment")
        g.add("%s/22 :9:noise" % ip4s(base + 1024))
        base = (10 << 24) | rng.randrange(1, 255) << 16
        h, s = gen_ip4(random.Random(rng.random()), base, 12, 500, "ip4trie")
        section("$DATASET ip4trie:trie t4 alias4")
        g.add("$1 section-one, ignored: the common one was copied")
        splice(h)
        c = case("combined-ip4trie", "combined.zone", g,
                 "{path: PATH, type: combined, dataset: alias4}", "ip4", "t4.cb.test", [])
        r4(c, base, 12, s)
        base = (10 << 24) | rng.randrange(1, 255) << 16
        h, s = gen_ip4(random.Random(rng.random()), base, 12, 300, "ip4tset")
        section("$DATASET ip4tset ts4")
        splice(h)
        c = case("combined-ip4tset", "combined.zone", g,
                 "{path: PATH, type: combined, dataset: ts4}", "ip4", "ts4.cb.test", [])
        r4(c, base, 12, s)
        h, names = gen_dnset(random.Random(rng.random()), 300)
        section("$DATASET dnset dn")
        splice(h)
        c = case("combined-dnset", "combined.zone", g,
                 "{path: PATH, type: combined, dataset: dn}", "domain", "dn.cb.test", [])
        c.names = names
        base6 = 0x20010db8 << 96 | rng.randrange(1 << 16) << 80 | rng.randrange(1 << 16) << 16
        h, s = gen_ip6trie(random.Random(rng.random()), base6, 500)
        section("$DATASET ip6trie v6")
        splice(h)
        c = case("combined-ip6trie", "combined.zone", g,
                 "{path: PATH, type: combined, dataset: v6}", "ip6", "v6.cb.test", [])
        c.ranges6.append((base6, 116))
        c.singles6 = s
        section("$DATASET dnset more-noise")
        g.add(".example :9:noise")
        section("$DATASET ip4set:no-subzone-data-ignored")
        g.add("10.0.0.0/8 :9:noise")
        case("combined-spec", "combined.zone", g, "", "", "cb.test", ["combined"])
        del cls.cases["combined-spec"]

    @classmethod
    def two_files(cls, rng, case, files, specs):
        """A list of both families from two files (path and path6): two
        datasets in rbldnsd, each with its own $n and $= (the IPv6 one
        has a base template, the IPv4 one none)."""
        base4 = (10 << 24) | rng.randrange(1, 255) << 16
        g4, s4 = gen_ip4(random.Random(rng.random()), base4, 12, 400, "ip4set")
        base6 = 0x20010db8 << 96 | rng.randrange(1 << 16) << 80 | rng.randrange(1 << 16) << 16
        g6, s6 = gen_ip6trie(random.Random(rng.random()), base6, 300, True)
        g6.lines.insert(3, "$1 the IPv6 file's one")
        g6.spans = [(f, lo, hi, ln + 1 + (ln > 3)) for f, lo, hi, ln in g6.spans]
        both = Gen(rng)  # the report's view: one file after the other
        both.lines = g4.lines + ["(path6:)"] + g6.lines
        both.spans = g4.spans + [(f, lo, hi, ln + len(g4.lines)) for f, lo, hi, ln in g6.spans]
        c = case("path6", "p4.zone", both, "{path: PATH, type: ip4set, path6: V6FILE}",
                 "ip", "p6.test", ["ip4set"])
        c.feed_yaml = c.feed_yaml.replace("V6FILE", os.path.join(cls.dir, "p6.zone"))
        files["p4.zone"] = g4
        files["p6.zone"] = g6
        specs.append("p6.test:ip6trie:p6.zone")
        c.ranges4.append((base4, 20))
        c.ranges6.append((base6, 116))
        # a zone with IPv4 data answers ::ffff:a.b.c.d from it, and 2002::/16
        # from both (rblmon does not: it keeps a family's data to itself)
        c.singles4 = s4
        c.singles6 = [x for x in s6 if x >> 32 != 0xffff and x >> 112 != 0x2002]

    @classmethod
    def tearDownClass(cls):
        cls.server.__exit__(None, None, None)
        if os.environ.get("RBLMON_DIFF_KEEP"):  # to look at the files
            shutil.copytree(cls.dir, os.environ["RBLMON_DIFF_KEEP"], dirs_exist_ok=True)
        shutil.rmtree(cls.dir, ignore_errors=True)

    # ---- the two sides ------------------------------------------------------
    def rblmon(self, c):
        """{key: (codes, txt)} of the listed keys, and the set of the keys
        rblmon answered clean; a key is (4|6, int) or a name."""
        ips = ["%s/%d" % (ip4s(b), p) for b, p in c.ranges4]
        ips += ["%s/%d" % (ip6s(b), p) for b, p in c.ranges6]
        ips += [ip4s(x) for x in c.singles4] + [ip6s(x) for x in c.singles6]
        conf = ("watchlists:\n  - name: w\n")
        if ips:
            conf += "    ips:\n" + "".join('      - "%s"\n' % i for i in ips)
        if c.names:
            conf += "    domains:\n" + "".join("      - %s\n" % n for n in c.names)
        conf += ("lists:\n  use: []\n  custom:\n    - name: feedlist\n"
                 "      type: %s\n      feed: %s\n"
                 "      codes: {127.0.0.0/8: {meaning: listed, severity: critical}}\n"
                 "      test: false\nstate: {path: state.db}\n"
                 % (c.ltype, c.feed_yaml[:-1] + ", max_bad: 100000, max_age: none}"))
        w = Workdir(conf)
        try:
            res = w.run(["check", "--no-state", "--format", "json"])
        finally:
            w.cleanup()
        self.assertIn(res.rc, (0, 2), res.err + res.out[:2000])
        doc = res.json()
        self.assertEqual(doc["lists"][0]["health"], "ok", doc["lists"][0])
        listed, clean = {}, set()
        for r in doc["results"]:
            self.assertIn(r["status"], ("listed", "clean"), r)
            t = r["target"]
            if "range" in r:  # the clean rest of a range
                continue
            if "/" in t:  # a listed run of more than 256 addresses: a block
                self.assertEqual(r["status"], "listed", r)
                net = ipaddress.ip_network(t)
                for x in range(int(net.network_address), int(net.broadcast_address) + 1):
                    # its TXT names the block, rbldnsd's each address
                    listed[(net.version, x)] = (set(r["codes"]), BLOCK)
                continue
            if c.names:
                key = t
            else:
                ip = ipaddress.ip_address(t)
                key = (ip.version, int(ip))
            if r["status"] == "listed":
                listed[key] = (set(r["codes"]), r["txt"])
            else:
                clean.add(key)
        return listed, clean

    def check(self, name):
        c = self.cases[name]
        listed, _ = self.rblmon(c)
        keys, qnames = [], []
        for fam, ranges, singles in ((4, c.ranges4, c.singles4), (6, c.ranges6, c.singles6)):
            width = 32 if fam == 4 else 128
            for b, p in ranges:
                keys += [(fam, b + i) for i in range(1 << (width - p))]
            keys += [(fam, x) for x in singles]
        keys += c.names
        for k in keys:
            if isinstance(k, str):
                qnames.append(k + "." + c.zone)
            else:
                qnames.append((qname4 if k[0] == 4 else qname6)(k[1], c.zone))
        answers = resolve(self.server.port, qnames)
        bad = []
        nlisted = 0
        for k, q in zip(keys, qnames):
            rcode, a, txts = answers[q]
            self.assertIn(rcode, (0, 3), "rbldnsd: rcode %d for %s" % (rcode, q))
            want = (a, {util_escape(t) for t in txts}) if a else None
            nlisted += want is not None
            got = listed.get(k)
            if want is None and got is None:
                continue
            if want is not None and got is not None and want[0] == got[0] and (
                    got[1] is BLOCK or
                    ((got[1] in want[1]) if want[1] else got[1] is None)):
                continue
            bad.append((k, want, got))
        msg = ""
        if bad:
            msg = "%s: %d of %d disagree (seed %d); the first:\n" % (
                name, len(bad), len(keys), SEED)
            for k, want, got in bad[:8]:
                msg += "  %s\n    rbldnsd: %s\n    rblmon:  %s\n" % (
                    k if isinstance(k, str) else (ip4s(k[1]) if k[0] == 4 else ip6s(k[1])),
                    want, got)
                for ln in self.involved(c, k)[:12]:
                    msg += "      line %d: %r\n" % (ln, c.gen.lines[ln - 1][:120])
        if bad:
            self.fail(msg)
        # the test means something: both verdicts are well represented
        self.assertGreater(nlisted, 20, name)
        self.assertGreater(len(keys) - nlisted, 20, name)
        print("%s: %d keys, %d listed, all agree" % (name, len(keys), nlisted))

    @staticmethod
    def involved(c, k):
        """The lines of the file that may decide key k: those that cover
        it, then the others that name its /24 (shapes the generator does
        not place)."""
        out = []
        for fam, lo, hi, ln in c.gen.spans:
            if isinstance(k, str):
                if fam == "dn" and (k == lo or k.endswith("." + lo)):
                    out.append(ln)
            elif fam == k[0] and lo <= k[1] <= hi:
                out.append(ln)
        out.sort()
        if not isinstance(k, str) and k[0] == 4:
            pre = "%d.%d.%d" % (k[1] >> 24, (k[1] >> 16) & 255, (k[1] >> 8) & 255)
            out += [i for i, l in enumerate(c.gen.lines, 1) if pre in l and i not in out]
        return out

    def test_ip4set(self):
        self.check("ip4set")

    def test_ip4set_gzip(self):
        self.check("gzip")

    def test_ip4trie(self):
        self.check("ip4trie")

    def test_ip4tset(self):
        self.check("ip4tset")

    def test_ip6trie(self):
        self.check("ip6trie")

    def test_ip6tset(self):
        self.check("ip6tset")

    def test_dnset(self):
        self.check("dnset")

    def test_plain(self):
        self.check("plain")

    def test_combined_ip4set(self):
        self.check("combined-ip4set")

    def test_combined_ip4trie(self):
        self.check("combined-ip4trie")

    def test_combined_ip4tset(self):
        self.check("combined-ip4tset")

    def test_combined_dnset(self):
        self.check("combined-dnset")

    def test_combined_ip6trie(self):
        self.check("combined-ip6trie")

    def test_path_and_path6(self):
        self.check("path6")


if __name__ == "__main__":
    unittest.main()
