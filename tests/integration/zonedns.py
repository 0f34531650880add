"""A small recursive-resolver stand-in for the integration tests: serves a
zone given as Python data (names to records) on a free port of 127.0.0.1,
UDP and TCP, through hostiledns.HostileDNS.  It answers as a recursive
resolver would: a CNAME is followed (the chain is in the answer), a name
not in the zone is NXDOMAIN, a name with no record of the type asked is
NODATA.  Records are (type, value) pairs; a type's value may be the string
"TIMEOUT" (that type is never answered), and the entry "TIMEOUT" alone
stops the list: types not answered before it are never answered (the
openspf test suites' zonedata conventions).  Names starting "error." that
are not in the zone get SERVFAIL.  The zone can be swapped between tests
(the server keeps running)."""
import socket
import struct

from hostiledns import (NXDOMAIN, PTR_QNAME, SERVFAIL, HostileDNS, name,
                        reply, rr)

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "PTR": 12, "MX": 15, "TXT": 16,
         "AAAA": 28, "SPF": 99}
T_CNAME = TYPES["CNAME"]


def _txt(value):
    """TXT/SPF rdata: value is a string or a list of strings; each string
    is UTF-8 and cut into character-strings of at most 255 octets."""
    out = b""
    for s in [value] if isinstance(value, str) else value:
        b = s.encode("utf-8")
        chunks = [b[i:i + 255] for i in range(0, len(b), 255)] or [b""]
        for c in chunks:
            out += bytes([len(c)]) + c
    return out


def rdata(rtype, value):
    if rtype == "A":
        return socket.inet_aton(value)
    if rtype == "AAAA":
        return socket.inet_pton(socket.AF_INET6, value)
    if rtype == "MX":
        return struct.pack("!H", int(value[0])) + name(value[1])
    if rtype in ("PTR", "CNAME", "NS"):
        return name(value)
    if rtype in ("TXT", "SPF"):
        return _txt(value)
    raise ValueError("zonedns: no rdata for type %s" % rtype)


class ZoneDNS(HostileDNS):
    """zone: {name: [(TYPE, value) or "TIMEOUT", ...]}, names in any case,
    with or without the root dot."""

    def __init__(self, zone=None):
        super().__init__(self._handle)
        self.set_zone(zone or {})

    def set_zone(self, zone):
        self.zone = {k.lower().rstrip("."): v for k, v in zone.items()}

    def _records(self, qname, qtype):
        """The records of qname for qtype as (type, value) pairs, or
        "TIMEOUT" when that type is never answered."""
        got, answered = [], False
        for entry in self.zone[qname]:
            if entry == "TIMEOUT":
                return got if answered else "TIMEOUT"
            rtype, value = entry
            if rtype == qtype or rtype == "CNAME":
                answered = True
                if value == "TIMEOUT":
                    return "TIMEOUT"
                got.append((rtype, value))
        return got

    def _handle(self, q):
        qtype = next((k for k, v in TYPES.items() if v == q.qtype), None)
        qname, answers, seen = q.name.rstrip("."), [], set()
        owner = PTR_QNAME
        while True:
            if qname not in self.zone:
                rcode = (SERVFAIL if qname.startswith("error.") and not answers
                         else NXDOMAIN)
                return [reply(q, rcode, answers)]
            recs = self._records(qname, qtype)
            if recs == "TIMEOUT":
                return []
            cname = [v for t, v in recs if t == "CNAME"]
            if cname and qtype != "CNAME":
                answers.append(rr(owner, T_CNAME, rdata("CNAME", cname[0])))
                seen.add(qname)
                qname = cname[0].lower().rstrip(".")
                owner = name(qname)
                if qname in seen or len(seen) > 8:
                    return [reply(q, SERVFAIL)]
                continue
            answers += [rr(owner, TYPES[t], rdata(t, v)) for t, v in recs
                        if t == qtype]
            return [reply(q, answers=answers)]
