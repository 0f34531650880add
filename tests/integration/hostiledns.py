"""A hostile DNS server for the integration tests: UDP and TCP on the same
free port of 127.0.0.1, in a thread of the test process, answering each
query with whatever bytes the test's handler returns, well-formed or not.

The handler gets a Query (id, lower-case name, type, transport and the
question exactly as sent) and returns the messages to send as a list of
bytes (empty: no answer; on TCP each is framed and the connection stays
open), or, on TCP, raw bytes to write on the stream (framing is then the
handler's business, see frame()), closed after them when wrapped in
Close(), or closed at once when the handler returns None.  Every query is
recorded, so a test can prove that a path (the TCP fallback after TC, a
probe) was taken.  Nothing here sleeps: the serving
thread blocks in select() on the sockets and a wake-up pipe."""
import os
import random
import select
import socket
import struct
import threading

QR, AA, TC, RD, RA = 0x8000, 0x0400, 0x0200, 0x0100, 0x0080
NOERROR, SERVFAIL, NXDOMAIN, REFUSED = 0, 2, 3, 5
T_A, T_TXT = 1, 16


class Query:
    def __init__(self, data, transport):
        self.raw = data
        self.transport = transport
        self.id, self.flags, self.qdcount = struct.unpack("!HHH", data[:6])
        labels, off = [], 12
        while data[off] != 0:
            n = data[off]
            labels.append(data[off + 1:off + 1 + n])
            off += 1 + n
        off += 1
        self.qtype, self.qclass = struct.unpack("!HH", data[off:off + 4])
        self.question = data[12:off + 4]  # name, type, class as sent
        self.name = b".".join(labels).decode("latin-1").lower()
        self.labels = self.name.split(".")

    def __repr__(self):
        return "Query(%s %s %s)" % (self.transport, self.name, self.qtype)


# -- building answers ------------------------------------------------------
def name(text):
    """A domain name in wire format, uncompressed."""
    out = b""
    for label in text.strip(".").split("."):
        if label:
            b = label.encode("latin-1")
            out += bytes([len(b)]) + b
    return out + b"\0"


def header(qid, flags, qd=1, an=0, ns=0, ar=0):
    return struct.pack("!HHHHHH", qid & 0xffff, flags, qd, an, ns, ar)


def rr(owner, rtype, rdata, rclass=1, ttl=60, rdlength=None):
    """One resource record; rdlength may lie about rdata's size."""
    n = len(rdata) if rdlength is None else rdlength
    return owner + struct.pack("!HHIH", rtype, rclass, ttl, n) + rdata


PTR_QNAME = b"\xc0\x0c"  # compression pointer to the question's name


def reply(q, rcode=NOERROR, answers=(), tc=False, qid=None, question=None,
          an=None, flags=None):
    """An answer to q: answers are rr() byte strings; an overrides ANCOUNT,
    question replaces the echoed question, qid the ID."""
    f = QR | AA | RD | RA | rcode if flags is None else flags
    if tc:
        f |= TC
    qsec = q.question if question is None else question
    return (header(q.id if qid is None else qid, f, 1, len(answers) if an is None else an)
            + qsec + b"".join(answers))


def a_rdata(ip):
    return socket.inet_aton(ip)


def txt_rdata(*strings):
    out = b""
    for s in strings:
        if isinstance(s, str):
            s = s.encode("latin-1")
        assert len(s) <= 255
        out += bytes([len(s)]) + s
    return out


def listed(q, ip="127.0.0.2"):
    return reply(q, answers=[rr(PTR_QNAME, T_A, a_rdata(ip))])


def nxdomain(q):
    return reply(q, NXDOMAIN)


def garbage(seed, n=200):
    return random.Random(seed).randbytes(n)


def frame(msg):
    """A DNS message on a TCP stream: two bytes of length, then it."""
    return struct.pack("!H", len(msg)) + msg


class Close(bytes):
    """TCP: write these bytes (maybe none), then close the connection."""


class HostileDNS:
    """handler(query) -> list of messages; on TCP also raw bytes (kept
    open for the next query), Close(bytes) (closed after) or None."""

    def __init__(self, handler):
        self.handler = handler
        self.queries = []
        self.lock = threading.Lock()
        self.errors = []  # exceptions in the handler: a broken test, shown

    def __enter__(self):
        for _ in range(20):  # the TCP port may be taken
            self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.udp.bind(("127.0.0.1", 0))
            self.port = self.udp.getsockname()[1]
            self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                self.tcp.bind(("127.0.0.1", self.port))
                break
            except OSError:
                self.udp.close()
                self.tcp.close()
        else:
            raise RuntimeError("no free port for UDP and TCP")
        self.tcp.listen(16)
        self.wake_r, self.wake_w = os.pipe()
        self.conns = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        os.write(self.wake_w, b"x")
        self.thread.join()
        for c in self.conns:
            c.close()
        self.udp.close()
        self.tcp.close()
        os.close(self.wake_r)
        os.close(self.wake_w)

    @property
    def server(self):
        return "127.0.0.1:%d" % self.port

    def forget(self):
        """Clears the record of queries (between tests)."""
        with self.lock:
            self.queries = []

    def seen(self, pred=None):
        with self.lock:
            return [q for q in self.queries if pred is None or pred(q)]

    def _answer(self, data, transport):
        try:
            q = Query(data, transport)
        except (IndexError, struct.error):
            return None
        with self.lock:
            self.queries.append(q)
        try:
            return self.handler(q)
        except Exception as e:  # noqa: the test reports it
            with self.lock:
                self.errors.append(repr(e))
            return None

    def _serve(self):
        try:
            self._loop()
        except Exception as e:  # noqa: a dead server must not pass unseen
            with self.lock:
                self.errors.append("server: %r" % e)

    def _loop(self):
        bufs = {}
        while True:
            socks = [self.udp, self.tcp, self.wake_r] + self.conns
            ready, _, _ = select.select(socks, [], [])
            if self.wake_r in ready:
                return
            if self.udp in ready:
                data, addr = self.udp.recvfrom(65535)
                for pkt in self._answer(data, "udp") or []:
                    self.udp.sendto(pkt, addr)
            if self.tcp in ready:
                c, _ = self.tcp.accept()
                self.conns.append(c)
                bufs[c] = b""
            for c in [c for c in self.conns if c in ready]:
                try:
                    chunk = c.recv(65535)
                except OSError:
                    chunk = b""
                if not chunk:
                    self._drop(c, bufs)
                    continue
                bufs[c] += chunk
                while len(bufs[c]) >= 2:
                    n = struct.unpack("!H", bufs[c][:2])[0]
                    if len(bufs[c]) < 2 + n:
                        break
                    msg, bufs[c] = bufs[c][2:2 + n], bufs[c][2 + n:]
                    out = self._answer(msg, "tcp")
                    if isinstance(out, list):  # messages: framed, kept open
                        out = b"".join(frame(m) for m in out)
                    try:
                        if out:
                            c.sendall(out)
                    except OSError:
                        out = Close()
                    if out is None or isinstance(out, Close):
                        self._drop(c, bufs)
                        break

    def _drop(self, c, bufs):
        self.conns.remove(c)
        bufs.pop(c, None)
        c.close()
