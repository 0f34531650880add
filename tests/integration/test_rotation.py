"""scan-logs through the ways logs move under it (issue 16, "nothing lost,
ever"): two and three rotations between scans, delaycompress, a gzip that
is still being written, a file rewritten in place (the same inode, other
lines), one truncated in place that keeps its first line and grows past the
old offset, a shrinking file, FIFOs and sockets as the log or a sibling,
and a NUL byte inside a reply.  Each case asserts the exact rejections read:
none lost, none read twice."""
import gzip
import os
import socket

import rbltest
from rbltest import Workdir
from test_logs import T0, bounce


def ids(r):
    return [x["queue_id"] for x in r.json()["rejections"]]


class RotationTest(rbltest.unittest.TestCase):
    def setUp(self):
        self.w = Workdir("watchlists:\n  - name: out\n    ips: [192.0.2.0/24]\n"
                         "logs:\n  files: [mail.log]\n")
        self.log = os.path.join(self.w.dir, "mail.log")
        self.minute = 0

    def tearDown(self):
        self.w.cleanup()

    def lines(self, *qids):
        out = ""
        for q in qids:
            self.minute += 1
            out += bounce(q, self.minute % 60)
        return out

    def write(self, path, *qids, mode="w"):
        with open(path, mode) as f:
            f.write(self.lines(*qids))

    def scan(self, *args):
        r = self.w.run(["scan-logs", "--format", "json"] + list(args), now=T0,
                       env={"TZ": "UTC"})
        self.assertNotIn("AddressSanitizer", r.err)
        self.assertNotIn("runtime error", r.err)
        return r

    def rotate(self, keep=4, compress_from=None):
        """logrotate: mail.log.N -> N+1 (gzip from compress_from on), then
        mail.log -> mail.log.1 and a new, empty mail.log."""
        for n in range(keep, 0, -1):
            for ext in ("", ".gz"):
                src = "%s.%d%s" % (self.log, n, ext)
                if os.path.exists(src):
                    os.rename(src, "%s.%d%s" % (self.log, n + 1, ext))
        os.rename(self.log, self.log + ".1")
        open(self.log, "w").close()
        if compress_from is not None:
            for n in range(compress_from, keep + 2):
                plain = "%s.%d" % (self.log, n)
                if os.path.exists(plain):
                    with open(plain, "rb") as f, gzip.open(plain + ".gz", "wb") as g:
                        g.write(f.read())
                    os.remove(plain)

    def test_two_rotations_between_scans(self):
        self.write(self.log, "A1")
        self.assertEqual(ids(self.scan()), ["A1"])
        self.write(self.log, "A2", mode="a")
        self.rotate()
        self.write(self.log, "B1")
        self.rotate()
        self.write(self.log, "C1")
        self.assertEqual(ids(self.scan()), ["A2", "B1", "C1"])
        self.assertEqual(ids(self.scan()), [])

    def test_three_rotations_with_delaycompress(self):
        self.write(self.log, "A1")
        self.scan()
        self.write(self.log, "A2", mode="a")
        for q in ("B1", "C1", "D1"):
            self.rotate(compress_from=2)  # mail.log.1 plain, older ones .gz
            self.write(self.log, q)
        self.assertTrue(os.path.exists(self.log + ".3.gz"))
        self.assertEqual(ids(self.scan()), ["A2", "B1", "C1", "D1"])
        self.assertEqual(ids(self.scan()), [])

    def test_gzip_still_being_written(self):
        for depth in (1, 2):  # the cursor's file is mail.log.1 or mail.log.2
            with self.subTest(depth=depth):
                self.w.cleanup()
                self.setUp()
                self.gzip_race(depth)

    def gzip_race(self, depth):
        self.write(self.log, "A1")
        self.scan()
        old = ["A%d" % i for i in range(2, 60)]
        self.write(self.log, *old, mode="a")
        new = []
        for d in range(depth):
            self.rotate()
            new.append("B%d" % d)
            self.write(self.log, new[-1])
        # logrotate compresses the cursor's file now: its .gz is half written
        victim = "%s.%d" % (self.log, depth)
        with open(victim, "rb") as f:
            whole = gzip.compress(f.read())
        with open(victim + ".gz", "wb") as f:
            f.write(whole[:len(whole) // 2])
        r = self.scan()
        self.assertEqual(ids(r), old + new)
        # the gzip is done and the plain file gone: nothing is read twice
        with open(victim + ".gz", "wb") as f:
            f.write(whole)
        os.remove(victim)
        self.write(self.log, "C1", mode="a")
        self.assertEqual(ids(self.scan()), ["C1"])

    def test_same_inode_other_lines(self):
        self.write(self.log, "A1", "A2", "A3")
        self.scan()
        ino = os.stat(self.log).st_ino
        with open(self.log, "r+") as f:  # rewritten in place, longer than before
            f.truncate(0)
            f.write(self.lines(*["N%d" % i for i in range(1, 6)]))
        self.assertEqual(os.stat(self.log).st_ino, ino)
        self.assertEqual(ids(self.scan()), ["N%d" % i for i in range(1, 6)])

    def test_rotated_file_with_the_cursors_inode_but_other_lines(self):
        # the inode a cursor names is reused by an unrelated file, which is
        # then rotated: it is read whole, not resumed at the old offset
        self.write(self.log, "A1", "A2", "A3")
        self.scan()
        with open(self.log, "r+") as f:
            f.truncate(0)
            f.write(self.lines(*["R%d" % i for i in range(1, 6)]))
        self.rotate()
        self.write(self.log, "B1")
        self.assertEqual(ids(self.scan()), ["R%d" % i for i in range(1, 6)] + ["B1"])

    def test_truncated_in_place_keeping_its_first_line(self):
        first = "Jan  5 09:00:00 mx1 postfix/master[1]: daemon started\n"
        with open(self.log, "w") as f:
            f.write(first + self.lines("A1", "A2"))
        self.scan()
        with open(self.log, "r+") as f:  # copytruncate, then the same banner
            f.truncate(0)
            f.write(first + self.lines("B1", "B2", "B3", "B4"))
        self.assertEqual(ids(self.scan()), ["B1", "B2", "B3", "B4"])
        self.assertEqual(ids(self.scan()), [])

    def test_shrinking_file(self):
        self.write(self.log, "A1", "A2", "A3")
        self.scan()
        with open(self.log, "r+") as f:
            f.truncate(0)
            f.write(self.lines("S1"))
        self.assertEqual(ids(self.scan()), ["S1"])

    def test_fifo_and_socket_siblings_are_skipped(self):
        self.write(self.log, "A1")
        self.scan()
        self.write(self.log, "A2", mode="a")
        self.rotate()
        self.write(self.log, "B1")
        os.mkfifo(self.log + ".2")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.addCleanup(sock.close)
        sock.bind(self.log + ".3")
        r = self.scan()  # a FIFO open() would block: run() has a timeout
        self.assertEqual(ids(r), ["A2", "B1"])
        self.assertIn("mail.log.2", r.err)
        self.assertIn("not a regular file", r.err)

    def test_fifo_as_the_log_does_not_hang(self):
        os.mkfifo(self.log)
        r = self.scan()
        self.assertEqual(r.rc, 3, r.err)
        self.assertIn("mail.log", r.err)
        self.assertIn("not a regular file", r.err)
        self.assertEqual(ids(r), [])

    def test_nul_inside_a_reply(self):
        text = ("554 5.7.1 Service unavailable;\x00 Client host [192.0.2.5] blocked "
                "using zen.spamhaus.org")
        with open(self.log, "w") as f:
            f.write(bounce("Z1", 1, text))
        rej = self.scan().json()["rejections"]
        self.assertEqual(len(rej), 1)
        self.assertEqual(rej[0]["list"], "spamhaus-zen", rej[0])
        self.assertEqual(rej[0]["named_ip"], "192.0.2.5")
        self.assertIn("\ufffd", rej[0]["text"])
        self.assertNotIn("\x00", rej[0]["text"])


if __name__ == "__main__":
    rbltest.main()
