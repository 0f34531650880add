#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets that start from hand-made
inputs (catalog, dns, spf, authrec, values) into tests/fuzz/<target>/,
named by content hash like libFuzzer's own finds.  The config, logscan and
repread corpora grew from their own seeds and fuzzing; inputs that once
crashed are kept by hand under any target.  Run: tests/fuzz/make-seeds.py"""
import glob
import hashlib
import os
import re
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(HERE, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


# ---- catalog: the shipped files, and one file a list each ----------------
for path in sorted(glob.glob(os.path.join(SRC, "lists", "*.yaml"))):
    text = open(path, "rb").read()
    put("catalog", text)
    head, _, body = text.partition(b"\nlists:\n")
    for entry in re.split(rb"\n(?=  - )", body)[:3]:
        put("catalog", head + b"\nlists:\n" + entry + b"\n")


# ---- dns: answers as a server sends them ----------------------------------
def name(n):
    out = b""
    for label in n.split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def msg(qname, qtype, answers, rcode=0, flags=0x8180, qid=0x1234):
    q = name(qname) + struct.pack(">HH", qtype, 1)
    body = b""
    for atype, rdata in answers:
        body += b"\xc0\x0c" + struct.pack(">HHIH", atype, 1, 300, len(rdata)) + rdata
    hdr = struct.pack(">HHHHHH", qid, flags | rcode, 1, len(answers), 0, 0)
    return hdr + q + body


def txt(*strings):
    return b"".join(bytes([len(s)]) + s for s in strings)


Q = "2.0.0.127.zen.spamhaus.org"
put("dns", msg(Q, 1, [(1, bytes([127, 0, 0, 2]))]))
put("dns", msg(Q, 1, [(1, bytes([127, 0, 0, 2])), (1, bytes([127, 0, 0, 10])),
                      (1, bytes([127, 255, 255, 254]))]))
put("dns", msg(Q, 1, [(1, bytes([127, 0, 0, 14]))]))
put("dns", msg(Q, 1, [(1, bytes([146, 112, 61, 108]))]))
put("dns", msg(Q, 1, [], rcode=3))
put("dns", msg(Q, 1, [(1, b"\x7f\x00\x00")]))
put("dns", msg(Q, 16, [(16, txt(b"Listed by SBL, see https://check.spamhaus.org/"))]))
put("dns", msg(Q, 16, [(16, txt(b"evil \x1b[31mred\x1b]0;t\x07", b"\x00nul\xff\xfe")),
                       (16, txt(b"second record"))]))
put("dns", msg(Q, 16, [(16, txt(*([b"x" * 255] * 8)))]))
put("dns", msg("example.com", 15, [(15, b"\x00\x0a" + name("mx1.example.com")),
                                   (15, b"\x00\x05" + b"\x03mx2\xc0\x0c")]))
put("dns", msg("example.com", 15, [(15, b"\x00\x00\x00")]))
put("dns", msg("1.2.0.192.in-addr.arpa", 12, [(12, name("mail.example.com"))]))
put("dns", msg("1.2.0.192.in-addr.arpa", 12, [(12, b"\xc0\x0c")]))
put("dns", msg("mail.example.com", 28, [(28, bytes(range(16)))]))
put("dns", msg("mail.example.com", 1, [(5, name("other.example.com")),
                                       (1, bytes([192, 0, 2, 1]))]))
put("dns", msg("example.com", 16, [(16, txt(b"v=spf1 ip4:192.0.2.0/24 -all"))]))
put("dns", b"\x12\x34\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00\xc0\x0c")  # loop
put("dns", b"\x12\x34\x83\x80")  # header only, TC set


# ---- spf: records separated by NULs (record 0: example.com's) ------------
for path in [os.path.join(SRC, "tests", "unit", "test_spf.c")]:
    for rec in re.findall(r'TXT (v=spf1[^|\\"]*)', open(path).read()):
        put("spf", rec.strip())
put("spf", "v=spf1 include:_spf.example.com redirect=_r.example.com\0"
           "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a/24//64 mx:mail.%{d} -all\0"
           "v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} ptr ~all\0"
           "v=spf1 include:example.com ?all")
put("spf", "v=spf1 a mx ptr exists:%{i}.x.example.com include:a.example.com "
           "include:b.example.com include:c.example.com include:d.example.com "
           "include:e.example.com include:f.example.com -all\0v=spf1 a -all")
put("spf", "v=spf1 redirect=%{d1r}.example.com\0v=spf1 ip4:192.0.2.1 exp=x.%{d}")

# ---- authrec: DMARC, DKIM and PTR names ------------------------------------
ut = open(os.path.join(SRC, "tests", "unit", "test_authrec.c")).read()
for s in re.findall(r'"((?:v=DMARC1|v=DKIM1|k=|p=)[^"]*)"', ut):
    put("authrec", s.encode().decode("unicode_escape"))
for s in re.findall(r'"([a-z0-9-]+(?:\.[a-z0-9-]+)+\.example)"', ut):
    put("authrec", s)
put("authrec", "v=DMARC1; p=reject; rua=mailto:d@example.com!10m,"
               "mailto:x@other.example; ruf=mailto:f@example.com; pct=50; sp=none")
put("authrec", "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")

# ---- feed: byte 0 the dataset type (+0x80: plain), then the file --------
FEED_TYPES = ["ip4set", "ip4tset", "ip4trie", "ip6trie", "ip6tset", "dnset",
              "combined"]
FEED_SEEDS = {
    "ip4set": ":127.0.0.2:Listed, see https://bl.example/$\n127.0.0.2\n"
              "10.1.2.3\n10.1.3.0-10.1.3.9 :127.0.0.4:exploit at $\n"
              "!10.1.3.7\n10.200/16\n10.1-2\n10.1.2.3 :3:\n$1 one\n"
              "$= base [$=] $\n192.0.2 text $1\n!192.0.2.5\n",
    "ip4tset": "127.0.0.2\n10.0.0.1\n:5:five $\n10.0.0.2 :9:ignored\n",
    "ip4trie": ":3:t\n10/8\n!10.1/16\n10.1.2/24 :4:\n10.1.3.128/25\n"
               "10.2.0.0/16\n!10.2.0.0/16\n0/0 :7:\n",
    "ip6trie": ":127.0.1.2: see $\n2001:21ab:c000/36\n"
               "2001:21ab:def7:4242 :127.0.1.3: funny\n2605:6001:42::/52\n"
               "::1\n!2605:6001:42::bead\n",
    "ip6tset": "2001:20fe:23:41ed\n!2001:20fe:23:41ed::2\n:4:t\n",
    "dnset": ":2:dn $\nexample.com\n*.example.net\n.example.org :3:\n"
             "!bad.example.org\nA.B.Example.\n",
    "combined": "$TTL 1h\n$DATASET ip4set:proxy sub @\n:2:p\n10.0.0.1\n"
                "$DATASET dnset other\nx.example\n",
}
for i, t in enumerate(FEED_TYPES):
    put("feed", bytes([i]) + FEED_SEEDS[t].encode())
put("feed", bytes([0x80]) + b"; DROP\n10.1.0.0/16 ; SBL1\n2001:db8::/32\n"
    b"bad line\nx.example\n")
put("feed", bytes([0]) + b"10.300.1.1\n1.2.3.4 :0:\n1.2.3.4\r\n:x:y\n")

# ---- values: what the small parsers read -----------------------------------
for v in ["0", "42", "1000000", "18446744073709551616", "30s", "1500ms", "2h",
          "7d", "3650d", "999999999999d", "192.0.2.1", "192.0.2.0/24",
          "10.0.0.0/8", "2001:db8::1", "2001:db8::/112", "2001:db8::/64",
          "::ffff:192.0.2.1", "example.com", "EXAMPLE.com.", "a..b",
          "xn--bcher-kva.example", "127.0.0.2", "127.0.2.0/24", "128.0.0.2",
          "120", "Wed, 21 Oct 2026 07:28:00 GMT", "1767607260",
          "evil \x1b[31mred", "caf\xc3\xa9 \xe2\x80\xae", "\xc2\x9b31m"]:
    put("values", v.encode("latin-1") if "\xc3" in v or "\xe2" in v or "\xc2" in v
        else v)
