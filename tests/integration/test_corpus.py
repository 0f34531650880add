"""rblmon scan-logs on real-world mail logs nobody here wrote
(../shared/corpora/maillogs, provenance in its SOURCES.md), judged against
our own labels in tests/corpus/maillogs/ (contract: tests/corpus/README.md).

Figures (issue 19): recall >= 99.5% of the outgoing rejections, no
reported line that is not one, the cause right for >= 97%, the list right
for >= 95% of the replies that name one.  Skips when the corpus is absent.

RBLMON_CORPUS=DIR reads another corpus of the same shape;
RBLMON_CORPUS_VERBOSE=1 prints every miss."""
import hashlib
import json
import os
import re
import subprocess
import tempfile
import unittest

import rbltest

SRC = rbltest.SRC
CORPUS = os.environ.get("RBLMON_CORPUS",
                        os.path.join(SRC, "..", "shared", "corpora", "maillogs"))
LABELS = os.path.join(SRC, "tests", "corpus", "maillogs")
VERBOSE = os.environ.get("RBLMON_CORPUS_VERBOSE") == "1"
TARGETS = {"recall": 0.995, "cause": 0.97, "list": 0.95}
ZEN_PARTS = {"sbl.spamhaus.org", "xbl.spamhaus.org", "pbl.spamhaus.org",
             "sbl-xbl.spamhaus.org"}


def corpus_files():
    out = []
    for d in sorted(os.listdir(CORPUS)):
        full = os.path.join(CORPUS, d)
        if os.path.isdir(full):
            out += [d + "/" + f for f in sorted(os.listdir(full))]
    return out


def mta_of_sources():
    """file -> MTA, from the corpus's own SOURCES.md table."""
    mta = {}
    try:
        with open(os.path.join(CORPUS, "SOURCES.md")) as f:
            for line in f:
                cells = [c.strip() for c in line.split("|")]
                if len(cells) > 4 and cells[1].startswith("logs/"):
                    mta[cells[1][len("logs/"):]] = cells[3]
    except OSError:
        pass
    return mta


def list_right(label, hit):
    """Does rblmon's zone, list or operator match the labelled list?"""
    zone = (hit.get("zone") or "").lower()
    op = (hit.get("operator") or "").lower()
    if "zone" in label:
        want = label["zone"].lower()
        return zone == want or (want in ZEN_PARTS and zone == "zen.spamhaus.org")
    want = label["operator"].lower()
    return want in op or (want == "spamhaus" and zone.endswith("spamhaus.org"))


class Tally:
    def __init__(self):
        self.n = self.found = self.cause = self.lists = self.list_ok = 0
        self.false = 0

    def add(self, o):
        for k in vars(self):
            setattr(self, k, getattr(self, k) + getattr(o, k))

    def line(self, name):
        def pct(a, b):
            return "%5.1f%%" % (100.0 * a / b) if b else "    - "
        return "%-44s %4d  recall %s  cause %s  list %s (%d)  false %d" % (
            name, self.n, pct(self.found, self.n), pct(self.cause, self.n),
            pct(self.list_ok, self.lists), self.lists, self.false)


@unittest.skipUnless(os.path.isdir(CORPUS),
                     "the shared corpus (../shared/corpora/maillogs) is absent: "
                     "nothing to judge")
class Corpus(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="rblmon-corpus.")
        cls.cfg = os.path.join(cls.tmp, "c.yaml")
        with open(cls.cfg, "w") as f:
            f.write("lists: {}\n")

    def scan(self, path):
        env = dict(os.environ, TZ="UTC", RBLMON_CATALOG=rbltest.CATALOG)
        p = subprocess.run([rbltest.RBLMON, "-c", self.cfg, "scan-logs",
                            "--no-state", "--format", "json", path],
                           capture_output=True, text=True, env=env,
                           timeout=120)
        self.assertIn(p.returncode, (0, 1, 2), p.stderr)
        return {h["line"]: h for h in rbltest.json_doc(p.stdout, "scan-logs")["rejections"]}

    def labels(self, rel):
        try:
            with open(os.path.join(LABELS, rel + ".json")) as f:
                return json.load(f)["lines"]
        except FileNotFoundError:
            return {}

    def judge(self, rel, tally, misses):
        path = os.path.join(CORPUS, rel)
        with open(path, "rb") as f:
            raw = f.read().split(b"\n")
        labels = self.labels(rel)
        for num, lab in labels.items():
            sha = hashlib.sha1(raw[int(num) - 1]).hexdigest()[:12]
            self.assertEqual(sha, lab["sha"], "%s:%s changed since it was "
                             "labelled: label it again" % (rel, num))
        hits = self.scan(path)
        for num, hit in hits.items():
            if str(num) not in labels:
                tally.false += 1
                misses.append("%s:%d: reported, not an outgoing rejection: %s"
                              % (rel, num, hit["text"][:100]))
        for num, lab in labels.items():
            if lab["outgoing"] is not True:
                continue
            tally.n += 1
            hit = hits.get(int(num))
            if lab.get("list"):
                tally.lists += 1
            if hit is None:
                misses.append("%s:%s: not found (%s)" % (rel, num, lab["why"]))
                continue
            tally.found += 1
            if hit["cause"] in lab["cause"]:
                tally.cause += 1
            else:
                misses.append("%s:%s: cause %s, want %s (%s | %s)" % (
                    rel, num, hit["cause"], "/".join(lab["cause"]),
                    hit["rule"], hit["text"][:140]))
            if lab.get("list"):
                if list_right(lab["list"], hit):
                    tally.list_ok += 1
                else:
                    misses.append("%s:%s: list zone=%s operator=%s list=%s, "
                                  "want %s (%s)" % (
                                      rel, num, hit.get("zone"),
                                      hit.get("operator"), hit.get("list"),
                                      lab["list"], hit["text"][:140]))

    def test_corpus(self):
        mtas = mta_of_sources()
        per_file, per_mta, total, misses = {}, {}, Tally(), []
        for rel in corpus_files():
            t = Tally()
            self.judge(rel, t, misses)
            per_file[rel] = t
            per_mta.setdefault(mtas.get(rel, "?"), Tally()).add(t)
            total.add(t)
        print()
        for rel, t in per_file.items():
            if t.n or t.false:
                print(t.line(rel))
        for m, t in sorted(per_mta.items()):
            print(t.line("MTA " + m))
        print(total.line("TOTAL"))
        if VERBOSE:
            print("\n".join(misses))
        self.assertEqual(total.false, 0, "\n".join(
            m for m in misses if "not an outgoing" in m))
        self.assertGreaterEqual(total.found / total.n, TARGETS["recall"],
                                "\n".join(m for m in misses if "not found" in m))
        self.assertGreaterEqual(total.cause / total.n, TARGETS["cause"],
                                "\n".join(m for m in misses if ": cause " in m))
        self.assertGreaterEqual(total.list_ok / max(total.lists, 1),
                                TARGETS["list"],
                                "\n".join(m for m in misses if ": list " in m))


if __name__ == "__main__":
    unittest.main()
