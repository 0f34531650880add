"""Fault injection (issue 16, "nothing lost, ever"): check, scan-logs,
remind and run, each against a realistic state and a world that gives it
real work, with the Nth file operation in the state directory failed
(ENOSPC or EIO, once or from then on) or killed (SIGKILL before it is
done), through faultfs (tests/fault/faultfs.c, LD_PRELOAD).

For every case the state left behind must be whole (PRAGMA
integrity_check) and exactly the state before the run or the state after a
run without faults (for run, whose jobs commit one by one: the state after
some of its jobs); what was announced (the report's news and the command
hook's events) must be what was committed; and a run without faults
afterwards must reach the state (and make the announcements) that a run
without faults from that state makes, losing nothing of the state after a
clean run.

The clock is fixed (RBLMON_NOW), so nothing in the state is volatile: the
tables are compared row by row, ids included.

RBLMON_FAULT_FULL=1: every N, not a sample.  RBLMON_FAULT_SAMPLE: the
sample size (default 15 a command).  RBLMON_FAULT_SEED: the sample's seed.
RBLMON_FAULT_N=37,40: only these N (to reproduce a case).  Under
RBLMON_VALGRIND=1 a few cases a command run under valgrind."""
import collections
import concurrent.futures
import gzip
import json
import os
import queue
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import zlib

import rbltest
from rbltest import Rbldnsd, Workdir, custom_list

BUILD = os.environ.get("RBLMON_BUILD", os.path.join(rbltest.SRC, "build"))
FAULTFS = os.environ.get("FAULTFS") or os.path.join(BUILD, "tests", "libfaultfs.so")
FULL = os.environ.get("RBLMON_FAULT_FULL") == "1"
SAMPLE = int(os.environ.get("RBLMON_FAULT_SAMPLE", "15"))
SEED = int(os.environ.get("RBLMON_FAULT_SEED", "16"))
ONLY_N = {int(x) for x in os.environ.get("RBLMON_FAULT_N", "").split(",") if x.strip()}
BULK = 6000  # test_scan_logs_bulk: rejections in one scan
WORKERS = max(1, int(os.environ.get("RBLMON_FAULT_JOBS", "2")))  # cases side by side
VALGRIND = rbltest.VALGRIND
TIMEOUT = 900 if VALGRIND else 120

T0 = 1767607200          # 2026-01-05T10:00:00Z
H, D = 3600, 86400
T1 = T0 + 3 * D          # the world has changed: the run under test

BL = custom_list("bl", "bl.test", "ip4",
                 {"127.0.0.2": ("spam", "critical"), "127.0.0.3": ("dynamic", "warning")},
                 extra=', delist: {url: "https://bl.test/remove", procedure: self-service}')
BL2 = custom_list("bl2", "bl2.test", "ip4", {"127.0.0.2": ("trap", "warning")})
# before: .1 on both lists, .2 and .3 on bl; after: .1 off bl2, .2 off bl,
# .3 recoded, .4 and .5 new; .6 and .7 clean throughout
BEFORE_ZONES = {"bl.test": ("ip4set", ":127.0.0.2:spam $\n127.0.0.2\n192.0.2.1\n192.0.2.2\n"
                                      "192.0.2.3\n"),
                "bl2.test": ("ip4set", ":127.0.0.2:trap\n127.0.0.2\n192.0.2.1\n")}
AFTER_ZONES = {"bl.test": ("ip4set", ":127.0.0.2:spam $\n127.0.0.2\n192.0.2.1\n"
                                     "192.0.2.3 :127.0.0.3:dyn\n192.0.2.4\n"),
               "bl2.test": ("ip4set", ":127.0.0.2:trap\n127.0.0.2\n192.0.2.5\n")}

JOBS = ("dnsbl", "logs", "reminders")  # run's jobs here, in the order it runs them
NORMAL_RC = {"check": 2, "scan-logs": 2, "remind": 2, "run": 0}

SANITIZER = re.compile(r"AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|"
                       r"runtime error:|==\d+==ERROR|valgrind found errors")
CHANGE = re.compile(r"^(LISTED|RELISTED|DELISTED|CHANGED|ERROR|RECOVERED|HEALTH) +\S")
REMINDER = re.compile(r"^(URGENT: )?\S+ (is listed (AGAIN )?on|fails) |^(DELISTED|FIXED): ")
SCANNED = re.compile(r"^Scanned .*, (\d+) new\.$")
JOB_EXIT = re.compile(r"^<\d>rblmon run: (\w+): exit (\d+)$", re.M)
# what a message may say only when the state really is as before the run
INTACT = re.compile(r"nothing was lost|state is intact|as before this run|not recorded|"
                    r"not saved|was not recorded")
# what no injected fault may be taken for: the file is fine (but SQLite
# itself takes an EIO on a read for a damaged file system, and says the
# database is malformed: SQLITE_IOERR_CORRUPTFS becomes SQLITE_CORRUPT)
MISREAD = re.compile(r"not a rblmon state|not rblmon's state|is empty \(0 bytes\)|"
                     r"newer rblmon|not SQLite")
DAMAGED = re.compile(r"damaged|malformed|move it aside")
STATE_FILES = {"rblmon.db", "rblmon.db-wal", "rblmon.db-shm", "rblmon.db.lock"}


def rejection(day, hh, mm, qid, ip, zone):
    return ("Jan %2d %02d:%02d:00 mx1 postfix/smtp[1]: %s: to=<u@example.com>, "
            "relay=mx.example.com[198.51.100.25]:25, dsn=5.7.1, status=bounced (host "
            "mx.example.com[198.51.100.25] said: 554 5.7.1 Service unavailable; Client "
            "host [%s] blocked using %s (in reply to RCPT TO command))\n"
            % (day, hh, mm, qid, ip, zone))


def deferral(day, hh, mm, qid):
    return ("Jan %2d %02d:%02d:00 mx1 postfix/smtp[1]: %s: to=<v@gmail.com>, "
            "relay=gmail-smtp-in.l.google.com[142.250.1.27]:25, dsn=4.7.28, status=deferred "
            "(host gmail-smtp-in.l.google.com[142.250.1.27] said: 421 4.7.28 Our system has "
            "detected an unusual rate of unsolicited mail (in reply to end of DATA command))\n"
            % (day, hh, mm, qid))


# ---- the state, read as data ---------------------------------------------------------
class Dump:
    """The logical content of a state: its schema, its pragmas and every
    table's rows (sorted), read from a copy of the database and its -wal
    and -shm files (opening the state itself could checkpoint it)."""

    def __init__(self, state_dir):
        tmp = tempfile.mkdtemp(prefix="rblmon-fault-dump.")
        try:
            for suffix in ("", "-wal", "-shm"):
                src = os.path.join(state_dir, "rblmon.db" + suffix)
                if os.path.exists(src):
                    shutil.copyfile(src, os.path.join(tmp, "rblmon.db" + suffix))
            path = os.path.join(tmp, "rblmon.db")
            if not os.path.exists(path):
                raise AssertionError("no state file in %s: %s"
                                     % (state_dir, sorted(os.listdir(state_dir))))
            db = sqlite3.connect(path)
            try:
                self.integrity = [r[0] for r in db.execute("PRAGMA integrity_check")]
                meta = (("user_version", db.execute("PRAGMA user_version").fetchone()[0]),
                        ("application_id", db.execute("PRAGMA application_id").fetchone()[0]),
                        ("schema", tuple(sorted(
                            (t, n, s) for t, n, s in db.execute(
                                "SELECT type, name, sql FROM sqlite_master "
                                "WHERE name NOT LIKE 'sqlite_%'")))))
                tables = {}
                for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                          "AND name NOT LIKE 'sqlite_%' ORDER BY name"):
                    cols = tuple(r[1] for r in db.execute('PRAGMA table_info("%s")' % name))
                    rows = db.execute('SELECT * FROM "%s"' % name).fetchall()
                    tables[name] = (cols, tuple(sorted(rows, key=repr)))
            finally:
                db.close()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        self.meta = meta
        self.tables = tables
        self.key = (meta, tuple(sorted(tables.items())))

    def __eq__(self, other):
        return isinstance(other, Dump) and self.key == other.key

    def __hash__(self):
        return hash(self.key)

    def rows(self, table):
        return self.tables.get(table, ((), ()))[1]

    def diff(self, other, limit=12):
        """What differs from other, as text (rows only here: -, only there: +)."""
        out = []
        if self.meta != other.meta:
            out.append("schema or pragmas differ")
        for name in sorted(set(self.tables) | set(other.tables)):
            mine, theirs = set(self.rows(name)), set(other.rows(name))
            for r in sorted(mine - theirs, key=repr):
                out.append("  %s - %r" % (name, r))
            for r in sorted(theirs - mine, key=repr):
                out.append("  %s + %r" % (name, r))
        if len(out) > limit:
            out = out[:limit] + ["  ... %d more" % (len(out) - limit)]
        return "\n".join(out) or "  (no difference)"

    def size_of_diff(self, other):
        n = int(self.meta != other.meta)
        for name in set(self.tables) | set(other.tables):
            n += len(set(self.rows(name)) ^ set(other.rows(name)))
        return n


# Tables that only grow or are replaced row for row: after a rerun every
# row of the clean run's state is still there ("nothing lost").  Reminders
# are compared on what a repeat reminder does not change (a run whose
# check failed but whose reminders were sent sends them again later).
REMINDER_KEEP = ("id", "episode", "state", "requested_at", "snoozed_until", "note",
                 "relisting")


def lost_rows(after, got):
    """Rows of the clean state after that got lacks."""
    lost = []
    for name, (cols, rows) in after.tables.items():
        have = set(got.rows(name))
        if name == "reminders":
            idx = [cols.index(c) for c in REMINDER_KEEP]
            have = {tuple(r[i] for i in idx) for r in have}
            rows = [tuple(r[i] for i in idx) for r in rows]
        lost += ["%s %r" % (name, r) for r in rows if r not in have]
    return lost


def news(out, events):
    """What a run announced: check's change lines, scan-logs' count of
    new rejections, each reminder, and each event the command hook got.
    Reports (tables, summaries) are not news: a check that cannot use the
    state reports everything, unrecorded."""
    items = []
    block = None
    for line in out.split("\n"):
        if block is not None and line.startswith("  "):
            block.append(line)
            continue
        if block is not None:
            items.append("\n".join(block))
            block = None
        if CHANGE.match(line):
            items.append(line)
        elif REMINDER.match(line):
            block = [line]
        else:
            m = SCANNED.match(line)
            if m:
                items.append("scan-logs: %s new" % m.group(1))
    if block is not None:
        items.append("\n".join(block))
    for line in events.splitlines():
        for e in json.loads(line)["events"]:
            items.append("event: " + json.dumps(e, sort_keys=True))
    return sorted(items)


# ---- one world ----------------------------------------------------------------------
class Ran:
    def __init__(self, rc, out, err, events, count, failed, seconds):
        self.rc, self.out, self.err, self.events = rc, out, err, events
        self.count, self.failed, self.seconds = count, failed, seconds
        self.news = news(out, events)

    def job_exits(self):
        return [(j, int(rc)) for j, rc in JOB_EXIT.findall(self.err)]

    def job_err(self, job):
        """What run wrote to stderr while job ran."""
        m = re.search(r"^<\d>rblmon run: %s: starting\n(.*?)(^<\d>rblmon run: %s: exit|\Z)"
                      % (job, job), self.err, re.M | re.S)
        return m.group(1) if m else ""


class Slot:
    """Where one run at a time happens: a configuration file, the state
    directory it names and the file the command hook appends to.  All
    slots of a world share its mail logs, so their states are alike."""

    def __init__(self, world, i):
        self.i = i
        if i == 0:  # the default place: $XDG_STATE_HOME/rblmon
            self.config = world.w.config_path
            self.state = os.path.join(world.w.state_home, "rblmon")
        else:
            self.config = os.path.join(world.w.dir, "rblmon-%d.yaml" % i)
            self.state = os.path.join(world.w.dir, "slot%d" % i, "rblmon")
        self.events = os.path.join(world.w.dir, "events-%d.jsonl" % i)


class World:
    """A work directory whose state was built by real runs over simulated
    days (listings, rejections, reminders sent and acknowledged), and whose
    world then changed: the lists now answer otherwise, the log has new
    lines and was rotated twice (the older rotation gzipped)."""

    def __init__(self, before, after, slots=1, bulk=0):
        self.before_dns, self.after_dns = before, after
        self.bulk = bulk  # rejections more in the live log
        self.w = Workdir()
        self.slots = [Slot(self, i) for i in range(slots)]
        self.state = self.slots[0].state
        self.log = os.path.join(self.w.dir, "mail.log")
        self.snapshots = tempfile.mkdtemp(prefix="rblmon-fault-snap.")

    def cleanup(self):
        self.w.cleanup()
        shutil.rmtree(self.snapshots, ignore_errors=True)

    def config(self, dns, jobs=JOBS):
        sched = "".join("  %s: %s\n" % (j, "1h" if j in jobs else "off") for j in JOBS)
        for slot in self.slots:
            text = ("watchlists:\n  - name: out\n    ips: [192.0.2.0/29]\n"
                    "lists:\n  use: []\n  custom:\n%s%s"
                    "resolver:\n  servers: [%s]\n  timeout: 500ms\n"
                    "logs:\n  files: [mail.log]\n"
                    "notify:\n  spike: 2\n  command: {argv: [/bin/sh, -c, 'cat >> %s']}\n"
                    "remind: {every: 24h, after_request: 72h, window: 24h}\n"
                    "schedule:\n%s  jitter: 0s\n"
                    % (BL, BL2, dns.server, slot.events, sched))
            if slot.i > 0:
                text += "state:\n  path: %s\n" % os.path.join(slot.state, "rblmon.db")
            with open(slot.config, "w") as f:
                f.write(text)

    def invoke(self, args, now, faults=None, wrap=False, env=None, slot=None):
        """rblmon args at now, with faultfs when faults (a dict of FAULTFS_*
        settings) is given; its output, exit code and hook events."""
        slot = slot or self.slots[0]
        extra = {"TZ": "UTC", "RBLMON_NOW": str(now)}
        extra.update(env or {})
        count_file = None
        if faults is not None:
            fd, count_file = tempfile.mkstemp(prefix="rblmon-fault-count.")
            os.close(fd)
            os.remove(count_file)
            extra.update({"LD_PRELOAD": FAULTFS, "FAULTFS_MATCH": slot.state,
                          "FAULTFS_COUNT": count_file})
            extra.update({k: str(v) for k, v in faults.items()})
            asan = os.environ.get("ASAN_OPTIONS", "")
            extra["ASAN_OPTIONS"] = (asan + ":" if asan else "") + "verify_asan_link_order=0"
        vg, vglog = rbltest.valgrind_wrap() if wrap else ([], None)
        if os.path.exists(slot.events):
            os.remove(slot.events)
        start = time.monotonic()
        try:
            p = subprocess.run(vg + [rbltest.RBLMON, "-c", slot.config] + list(args),
                               cwd=self.w.dir, env=self.w.env(extra), capture_output=True,
                               timeout=TIMEOUT)
        finally:
            seconds = time.monotonic() - start
        vgerr = ""
        if vglog is not None:
            if p.returncode == -signal.SIGKILL:
                os.remove(vglog)  # killed on purpose: valgrind had no say
            else:
                try:
                    rbltest.valgrind_check(p.returncode, vglog)
                except AssertionError as e:
                    vgerr = "\n" + str(e)
        count, failed = None, set()
        if count_file is not None and os.path.exists(count_file):
            with open(count_file) as f:
                lines = f.read().splitlines()
            os.remove(count_file)
            count = int(lines[0])
            for line in lines[1:]:
                if line.startswith("failed "):
                    failed = set(line.split()[1].split(","))
        events = ""
        if os.path.exists(slot.events):
            with open(slot.events) as f:
                events = f.read()
            os.remove(slot.events)
        return Ran(p.returncode, p.stdout.decode("utf-8", "replace"),
                   p.stderr.decode("utf-8", "replace") + vgerr, events, count, failed,
                   seconds)

    def must(self, args, now, rc):
        r = self.invoke(args, now)
        if r.rc != rc or SANITIZER.search(r.err):
            raise AssertionError("%s at %d: exit %d, not %d\n%s\n%s"
                                 % (args, now - T0, r.rc, rc, r.out, r.err))
        return r

    def snapshot(self, name):
        dst = os.path.join(self.snapshots, name)
        shutil.rmtree(dst, ignore_errors=True)
        shutil.copytree(self.state, dst)
        return dst

    def restore(self, snap, slot=None):
        state = (slot or self.slots[0]).state
        shutil.rmtree(state, ignore_errors=True)
        shutil.copytree(snap, state)

    def build(self):
        """The state before the world changed, and the changed world."""
        with open(self.log, "w") as f:
            f.write(rejection(5, 9, 0, "A1", "192.0.2.1", "bl.test"))
            f.write(rejection(5, 9, 30, "A2", "192.0.2.2", "bl.test"))
            f.write(deferral(5, 9, 40, "A3"))
        os.utime(self.log, (T0 + H, T0 + H))  # BSD times take the file's year
        self.config(self.before_dns)
        self.must(["check", "--changes-only"], T0, 2)     # 4 listings, 4 reminders
        self.must(["scan-logs"], T0 + H, 2)               # 3 rejections
        self.must(["remind"], T0 + H, 2)                  # all 4 sent
        self.must(["check", "--changes-only"], T0 + D, 2)
        self.must(["remind"], T0 + D + 2 * H, 1)          # sent again
        self.must(["ack", "4", "--note", "form sent"], T0 + D + 3 * H, 0)
        with open(self.log, "a") as f:                    # read at the next scan
            f.write(rejection(5, 11, 0, "A4", "192.0.2.1", "bl2.test"))
        self.must(["scan-logs"], T0 + D + 4 * H, 2)
        # the world changes: lines not read yet, two rotations, new lines
        with open(self.log, "a") as f:
            f.write(rejection(6, 9, 0, "B1", "192.0.2.3", "bl.test"))
            f.write(rejection(6, 9, 5, "B2", "192.0.2.2", "bl.test"))
        os.rename(self.log, self.log + ".1")
        with open(self.log, "w") as f:
            f.write(rejection(7, 9, 0, "C1", "192.0.2.1", "bl.test"))
            f.write(deferral(7, 9, 10, "C2"))
        with open(self.log + ".1", "rb") as f, gzip.open(self.log + ".2.gz", "wb") as g:
            g.write(f.read())
        os.remove(self.log + ".1")
        os.rename(self.log, self.log + ".1")
        with open(self.log, "w") as f:
            f.write(rejection(8, 9, 0, "D1", "192.0.2.4", "bl.test"))
            f.write(rejection(8, 9, 5, "D2", "192.0.2.5", "bl2.test"))
            f.write(rejection(8, 9, 6, "D3", "192.0.2.1", "bl.test"))
            for i in range(self.bulk):  # a transaction that outgrows the page cache
                f.write(rejection(8, 9, 7 + i * 50 // self.bulk, "E%d" % i,
                                  "192.0.2.%d" % (1 + i % 7), "bl.test"))
        for p in (self.log, self.log + ".1", self.log + ".2.gz"):
            os.utime(p, (T1, T1))
        self.config(self.after_dns)


# ---- the commands under test -----------------------------------------------------------
class Command:
    """A command under test: its arguments, its clock, the state it starts
    from, and the outcomes a faulted run may legitimately leave."""

    def __init__(self, name, args, now, before, env=None):
        self.name, self.args, self.now, self.before = name, args, now, before
        self.env = env or {}

    def invoke(self, world, faults=None, wrap=False, slot=None):
        return world.invoke(self.args, self.now, faults=faults, wrap=wrap, env=self.env,
                            slot=slot)

    def outcomes(self, world, clean):
        """{Dump: Outcome} of the legitimate states after a faulted run."""
        raise NotImplementedError


class Outcome:
    """A legitimate state after a faulted run: what was committed, what
    had to be announced, and what a clean run from there does (rerun: its
    Ran, rerun_dump: the state it leaves)."""

    def __init__(self, name, dump, committed, ran, rerun, rerun_dump):
        self.name, self.dump, self.committed = name, dump, committed
        self.news = ran.news if ran else []
        self.exits = dict(ran.job_exits()) if ran else {}
        self.rerun, self.rerun_dump = rerun, rerun_dump


def clean_from(world, cmd, snap, rc=None):
    """A run without faults from snap: (Ran, Dump).  rc: the exit code it
    must have (default: any but 3)."""
    world.restore(snap)
    r = cmd.invoke(world)
    if (r.rc == 3 if rc is None else r.rc != rc) or SANITIZER.search(r.err):
        raise AssertionError("%s without faults: exit %d\n%s\n%s"
                             % (cmd.name, r.rc, r.out, r.err))
    return r, Dump(world.state)


class Single(Command):
    """One transaction: before or after, nothing between."""

    def outcomes(self, world, clean):
        r0, after = clean
        r1, again = clean_from(world, self, self.before, rc=NORMAL_RC[self.name])
        if again != after or r1.news != r0.news:
            raise AssertionError("two clean runs of %s differ:\n%s"
                                 % (self.name, again.diff(after)))
        snap = world.snapshot("after-" + self.name)
        r2, after2 = clean_from(world, self, snap)
        before = Dump(self.before)
        return {before: Outcome("before", before, frozenset(), None, r0, after),
                after: Outcome("after", after, frozenset([self.name]), r0, r2, after2)}


class RunCmd(Command):
    """rblmon run, one simulated second: each job (dnsbl, logs, reminders)
    commits on its own, so any set of them may have committed; the state
    after each set is made by a clean run with the others off."""

    def outcomes(self, world, clean):
        r_all, after = clean
        out = {}
        subsets = [frozenset(j for k, j in enumerate(JOBS) if m >> k & 1)
                   for m in range(1 << len(JOBS))]
        for s in subsets:
            name = "jobs " + (",".join(j for j in JOBS if j in s) or "none")
            if not s:
                r, d, snap = None, Dump(self.before), self.before
            else:
                world.config(world.after_dns, jobs=s)
                try:
                    r, d = clean_from(world, self, self.before, rc=0)
                finally:
                    world.config(world.after_dns)
                snap = world.snapshot("run-" + "-".join(sorted(s)))
                ran = [j for j, _ in r.job_exits()]
                if ran != [j for j in JOBS if j in s]:
                    raise AssertionError("%s ran %s" % (name, ran))
            if s == frozenset(JOBS) and (d != after or r.news != r_all.news):
                raise AssertionError("two clean runs differ:\n%s" % d.diff(after))
            rr, rd = clean_from(world, self, snap, rc=0)
            if d in out:
                raise AssertionError("%s and %s leave the same state: the world is too "
                                     "small to tell them apart" % (name, out[d].name))
            out[d] = Outcome(name, d, s, r, rr, rd)
        return out


# ---- the sweep ----------------------------------------------------------------------
def sample(count, name, big=False):
    """The N to try: all of them, or a spread sample (1 and count always,
    one random N in each stretch between).  big: a sequence too long to
    try whole; RBLMON_FAULT_FULL tries 8 times the sample."""
    if ONLY_N:
        return sorted(n for n in ONLY_N if 1 <= n <= count)
    size = SAMPLE * 8 if big and FULL else SAMPLE
    if (FULL and not big) or count <= size:
        return list(range(1, count + 1))
    rng = random.Random(SEED * 1000003 + zlib.crc32(name.encode()))
    k = size - 2
    picks = {1, count}
    for i in range(k):
        lo = 2 + (count - 2) * i // k
        hi = 1 + (count - 2) * (i + 1) // k
        if lo <= hi:
            picks.add(rng.randint(lo, hi))
    return sorted(picks)


WRITES = "write,sync,trunc"


def faults_at(seq, i, n):
    """The faults tried at the ith N of a sequence: writes (only writes,
    syncs and truncates are counted: a full disk fails those, never a
    read) or all (reads too: a disk that fails, a kill at any moment)."""
    if seq == "writes":
        out = [{"FAULTFS_OPS": WRITES, "FAULTFS_ERRNO": "ENOSPC", "FAULTFS_STICKY": 0},
               {"FAULTFS_OPS": WRITES, "FAULTFS_ERRNO": "ENOSPC", "FAULTFS_STICKY": 1}]
        if i % 3 == 0:
            out.append({"FAULTFS_OPS": WRITES, "FAULTFS_ERRNO": "EIO",
                        "FAULTFS_STICKY": i // 3 % 2})
    else:
        out = [{"FAULTFS_ACTION": "kill"}]
        if i % 3 == 1:
            out.append({"FAULTFS_ERRNO": "EIO", "FAULTFS_STICKY": i // 3 % 2})
    for f in out:
        f.setdefault("FAULTFS_ACTION", "fail")
        f["FAULTFS_N"] = n
    return out


def describe(name, f):
    ops = "writes" if f.get("FAULTFS_OPS") == WRITES else "any op"
    if f["FAULTFS_ACTION"] == "kill":
        return "%s: kill at op %d (%s)" % (name, f["FAULTFS_N"], ops)
    return "%s: %s at op %d (%s)%s" % (name, f["FAULTFS_ERRNO"], f["FAULTFS_N"], ops,
                                       ", and every op after" if f["FAULTFS_STICKY"] else "")


def reproduce(name, f):
    return "RBLMON_FAULT_N=%d tests/fault/test_faults.py -v -k %s  (faultfs: %s)" % (
        f["FAULTFS_N"], name.replace("-", "_"),
        " ".join("%s=%s" % kv for kv in sorted(f.items())))


FIGURES = collections.OrderedDict()


class FaultSweep(rbltest.unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(FAULTFS):
            raise AssertionError("faultfs not built: %s (cmake --build, target faultfs)"
                                 % FAULTFS)
        cls.before_dns = Rbldnsd(BEFORE_ZONES).__enter__()
        cls.after_dns = Rbldnsd(AFTER_ZONES).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.before_dns.__exit__(None, None, None)
        cls.after_dns.__exit__(None, None, None)
        if FIGURES:
            tot = collections.Counter()
            print("\nfault sweep (%s, seed %d%s):" % (
                "every N" if FULL else "a sample of N", SEED,
                ", under valgrind" if VALGRIND else ""))
            head = ("command", "ops", "writes", "injected", "survived", "lost", "failed",
                    "seconds")
            row = "  %-14s %5s %6s %9s %9s %5s %6s %8s"
            print(row % head)
            for name, f in list(FIGURES.items()) + [("total", None)]:
                if f is None:
                    f = tot
                else:
                    tot.update(f)
                print(row % (name, f["ops"], f["writes"], f["injected"], f["survived"],
                             f["lost"], f["failed"], "%.1f" % f["seconds"]))
            sys.stdout.flush()

    def setUp(self):
        bulk = BULK if self._testMethodName == "test_scan_logs_bulk" else 0
        self.world = World(self.before_dns, self.after_dns, slots=WORKERS, bulk=bulk)
        self.addCleanup(self.world.cleanup)
        self.world.build()

    # -- the commands --------------------------------------------------------------
    def test_check(self):
        w = self.world
        cmd = Single("check", ["check", "--changes-only"], T1, w.snapshot("before"))
        self.sweep(cmd, expect_news=10)  # 5 changes, 5 hook events

    def test_scan_logs(self):
        w = self.world
        cmd = Single("scan-logs", ["scan-logs"], T1, w.snapshot("before"))
        self.sweep(cmd, expect_news=2)   # "7 new", the spike event

    def test_scan_logs_bulk(self):
        """So many new rejections that SQLite spills pages to the WAL before
        the commit: a full disk then fails a statement in the middle of the
        transaction, which SQLite rolls back by itself."""
        w = self.world
        cmd = Single("scan-logs", ["scan-logs"], T1, w.snapshot("before"))
        self.sweep(cmd, expect_news=2, name="scan-logs-bulk", writes_only=True)

    def test_remind(self):
        w = self.world
        w.must(["check", "--changes-only"], T1, 2)
        w.must(["scan-logs"], T1, 2)
        cmd = Single("remind", ["remind"], T1 + 60, w.snapshot("before"))
        self.sweep(cmd, expect_news=10)  # 5 reminders (one is acked), 5 hook events

    def test_run(self):
        w = self.world
        cmd = RunCmd("run", ["run"], T1, w.snapshot("before"),
                     env={"RBLMON_RUN_SIMULATE": "1"})
        self.sweep(cmd, expect_news=20)

    # -- the sweep of one command ------------------------------------------------------
    def sweep(self, cmd, expect_news, name=None, writes_only=False):
        w = self.world
        name = name or cmd.name
        start = time.monotonic()
        # the clean run, twice: once plain, once under faultfs counting only;
        # both must agree (the shim changes nothing, the run is repeatable)
        r0, after = clean_from(w, cmd, cmd.before, rc=NORMAL_RC[cmd.name])
        w.restore(cmd.before)
        rc = cmd.invoke(w, faults={})
        self.assertEqual((rc.rc, rc.news), (r0.rc, r0.news), rc.err)
        self.assertEqual(Dump(w.state), after, "a run under faultfs (counting) differs:\n"
                         + Dump(w.state).diff(after))
        before = Dump(cmd.before)
        self.assertNotEqual(before, after, "the command had nothing to do")
        self.assertGreaterEqual(len(r0.news), expect_news, r0.news)
        counts = {"all": rc.count}
        w.restore(cmd.before)
        counts["writes"] = cmd.invoke(w, faults={"FAULTFS_OPS": WRITES}).count
        for seq, count in counts.items():
            self.assertIsNotNone(count, "faultfs wrote no count")
            self.assertGreater(count, 10, "faultfs saw only %d operations (%s)" % (count, seq))
        self.assertLess(counts["writes"], counts["all"])
        outcomes = cmd.outcomes(w, (r0, after))
        fig = collections.Counter(ops=counts["all"], writes=counts["writes"])
        failures = []
        tried = []
        ends = collections.Counter()
        cases = []
        for seq in ("writes",) if writes_only else ("writes", "all"):
            ns = sample(counts[seq], name + seq, big=writes_only)
            if VALGRIND and not ONLY_N:  # the error paths, a few of them
                ns = ns[len(ns) // 3::len(ns) // 3][:2] or ns[:2]
            tried.append("%s %s" % (seq, " ".join(map(str, ns))))
            for i, n in enumerate(ns):
                for f in faults_at(seq, i, n):
                    if not (VALGRIND and f["FAULTFS_ACTION"] == "kill"):
                        cases.append(f)  # (killed, valgrind has nothing to say)
        # the cases run side by side, each in a slot of its own
        free = queue.Queue()
        for slot in w.slots:
            free.put(slot)

        def case(f):
            slot = free.get()
            try:
                return self.one_case(cmd, f, outcomes, after, slot)
            finally:
                free.put(slot)
        with concurrent.futures.ThreadPoolExecutor(len(w.slots)) as pool:
            results = list(pool.map(case, cases))
        for f, (problems, lost, how) in zip(cases, results):
            fig["injected"] += 1
            ends.update([how])
            if problems:
                fig["failed"] += 1
                fig["lost"] += int(lost)
                failures.append("%s:\n  %s\n  reproduce: %s"
                                % (describe(name, f), "\n  ".join(problems),
                                   reproduce(name, f)))
            else:
                fig["survived"] += 1
        fig["seconds"] = time.monotonic() - start
        FIGURES[name] = fig
        print("\n%s: %d operations in the state directory, %d of them writes, syncs or "
              "truncates; N tried: %s" % (name, counts["all"], counts["writes"],
                                          "; ".join(tried)))
        print("  how the faulted runs ended: %s" % ", ".join(
            "%s %d" % kv for kv in sorted(ends.items())))
        sys.stdout.flush()
        if failures:
            self.fail("%d of %d fault cases of %s went wrong:\n%s%s" % (
                len(failures), fig["injected"], name, "\n".join(failures[:15]),
                "\n... %d more" % (len(failures) - 15) if len(failures) > 15 else ""))

    def one_case(self, cmd, faults, outcomes, after, slot):
        """One faulted run and the clean run after it, in slot: the problems
        found, whether one of them is a loss, and how it ended."""
        w = self.world
        action, n = faults["FAULTFS_ACTION"], faults["FAULTFS_N"]
        sticky = faults.get("FAULTFS_STICKY") == 1
        problems = []
        lost = False
        w.restore(cmd.before, slot)
        f = cmd.invoke(w, faults=faults, wrap=VALGRIND, slot=slot)
        normal = NORMAL_RC[cmd.name]
        # how it ended
        if SANITIZER.search(f.err):
            problems.append("sanitizer report:\n" + f.err[-3000:])
        if action == "kill":
            if f.rc != -signal.SIGKILL:
                problems.append("not killed at op %d: exit %d (the run did %s ops)"
                                % (n, f.rc, f.count))
        else:
            if f.rc not in (normal, 3):
                problems.append("exit %d (%s), not %d or 3:\n%s" % (
                    f.rc, "signal %d" % -f.rc if f.rc < 0 else "code", normal, f.err[-2000:]))
            if f.count is None or f.count < n:
                problems.append("the fault at op %d was never injected (%s ops)" % (n, f.count))
        # the state it left
        extra = set(os.listdir(slot.state)) - STATE_FILES
        if extra:
            problems.append("left in the state directory: %s" % sorted(extra))
        x = Dump(slot.state)
        if x.integrity != ["ok"]:
            problems.append("integrity_check: %s" % x.integrity[:5])
        o = outcomes.get(x)
        if o is None:
            nearest = min(outcomes.values(), key=lambda c: x.size_of_diff(c.dump))
            problems.append("half-done state: neither before nor after; nearest is %s:\n%s"
                            % (nearest.name, x.diff(nearest.dump)))
            lost = True
        else:
            problems += self.judge(cmd, action, sticky, f, o,
                                   os.path.join(slot.state, "rblmon.db"))
            lost = lost or any(p.startswith("LOST") for p in problems)
        # a clean run afterwards
        r = cmd.invoke(w, wrap=VALGRIND, slot=slot)
        y = Dump(slot.state)
        if SANITIZER.search(r.err):
            problems.append("the run after: sanitizer report:\n" + r.err[-3000:])
        if o is not None and (r.rc, r.job_exits()) != (o.rerun.rc, o.rerun.job_exits()):
            problems.append("the run after: exit %d %s, not %d %s as from %s\n%s" % (
                r.rc, r.job_exits(), o.rerun.rc, o.rerun.job_exits(), o.name, r.err[-2000:]))
        gone = lost_rows(after, y)
        if gone:
            lost = True
            problems.append("LOST after the run after: %d rows of the clean state are "
                            "missing:\n    %s" % (len(gone), "\n    ".join(gone[:10])))
        if o is not None:
            if y != o.rerun_dump:
                lost = True
                problems.append("LOST? the run after (from %s) did not reach the state a "
                                "clean run from there reaches:\n%s"
                                % (o.name, y.diff(o.rerun_dump)))
            if r.news != o.rerun.news:
                missing = collections.Counter(o.rerun.news) - collections.Counter(r.news)
                if missing:
                    lost = True
                problems.append("%sthe run after announced otherwise than a clean run from "
                                "%s:\n%s" % ("LOST: " if missing else "", o.name,
                                             news_diff(r.news, o.rerun.news)))
        how = "%s, %s" % ("killed" if f.rc == -signal.SIGKILL else "exit %d" % f.rc,
                          o.name if o is not None else "half-done")
        return problems, lost, how

    def judge(self, cmd, action, sticky, f, o, db):
        """The faulted run against the outcome its state is (db: the path
        of the state it ran on)."""
        problems = []
        normal = NORMAL_RC[cmd.name]
        everything = frozenset(JOBS) if cmd.name == "run" else frozenset([cmd.name])
        if cmd.name == "run":
            order = [j for j in JOBS]
            exits = f.job_exits()
            ran = [j for j, _ in exits]
            if ran != order[:len(ran)]:
                problems.append("jobs ran as %s" % ran)
            for j, c in exits:
                if j in o.committed and c not in (o.exits[j], 3):
                    problems.append("job %s: exit %d, not %d (as after a clean run to %s) "
                                    "or 3" % (j, c, o.exits[j], o.name))
                if j not in o.committed and c != 3:
                    problems.append("LOST: job %s exited %d (success) but its work is not "
                                    "in the state (%s)" % (j, c, o.name))
                if c == 3:
                    problems += self.message(f.job_err(j), j in o.committed, "job " + j,
                                             f.failed, db)
            if action == "kill" or sticky:
                prefix = [frozenset(order[:k]) for k in range(len(order) + 1)]
                if o.committed not in prefix:
                    problems.append("committed %s: a kill or a full disk leaves the jobs "
                                    "before it done and none after" % sorted(o.committed))
            elif len(everything - o.committed) > 1:
                problems.append("one failed op undid %s" % sorted(everything - o.committed))
        else:
            if action != "kill" and f.rc == normal and o.committed != everything:
                problems.append("LOST: exit %d (success) but the state is as before" % f.rc)
            if action != "kill" and f.rc == 3:
                problems += self.message(f.err, bool(o.committed), cmd.name, f.failed, db)
        if action != "kill" and f.rc == 3 and re.search(r"(?im)^(OK|clean)\b", f.out):
            problems.append("exit 3 but the report claims clean:\n" + f.out[-1000:])
        # what it announced is what it committed
        if f.news != o.news:
            missing = collections.Counter(o.news) - collections.Counter(f.news)
            extra = collections.Counter(f.news) - collections.Counter(o.news)
            problems.append("%s%s announced %s than it committed (%s):\n%s" % (
                "LOST: " if missing else "", "the faulted run" if action != "kill"
                else "the killed run", "less" if missing and not extra else "otherwise",
                o.name, news_diff(f.news, o.news)))
        return problems

    def message(self, err, committed, who, failed, db):
        """A failure must be explained, truthfully.  failed: the classes of
        the ops that faultfs failed; db: the state's path."""
        problems = []
        lines = [l for l in err.splitlines()
                 if l.startswith("rblmon: ") and (db in l or re.search(r"\bstate\b", l))]
        if not lines:
            problems.append("%s: exit 3 without a message about the state:\n%s"
                            % (who, err[-1500:]))
        if committed and INTACT.search(err):
            problems.append("%s: says nothing was recorded, but it was committed:\n%s"
                            % (who, err[-1500:]))
        if MISREAD.search(err) or (DAMAGED.search(err) and "read" not in failed):
            problems.append("%s: an I/O error taken for a bad file (ops failed: %s):\n%s"
                            % (who, ",".join(sorted(failed)), err[-1500:]))
        if re.search(r"(?i)\bclean\b", err):
            problems.append("%s: exit 3 but says clean:\n%s" % (who, err[-1500:]))
        return problems


def news_diff(got, want):
    g, w = collections.Counter(got), collections.Counter(want)
    out = ["    - " + x.replace("\n", "\n      ") for x in sorted((w - g).elements())]
    out += ["    + " + x.replace("\n", "\n      ") for x in sorted((g - w).elements())]
    return "\n".join(out[:12]) + ("\n    ..." if len(out) > 12 else "")


if __name__ == "__main__":
    rbltest.main()
