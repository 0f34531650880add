#!/bin/sh
# Data feeds (issue 18).  rbldnsd-format files of a realistic shape
# (bench/feedgen.py, seeded): an ip4set of 5,000,000 lines, an ip6trie of
# 500,000 prefixes, a dnset of 2,000,000 names.  In one run, on the same
# files, page cache warm, in RUNS rounds (default 5) that each measure
# everything once (each rbldnsd load beside rblmon's, so a busy moment of
# a shared machine falls on both); each figure is from the fastest run:
#   wc -l                  the read limit
#   rbldnsd -n             the peer that parses the same data (Debian's, on a
#                          free port of 127.0.0.1): seconds until it prints
#                          "started" and answers a query, CPU, VmRSS and
#                          VmHWM once loaded; each file, then all three
#   rblmon check           --no-state, one target per feed: the load alone
#                          (each file, then all three); a /8 + an IPv6 /32 +
#                          10,000 domains against all three; the same with a
#                          /16 instead of the /8 (memory must not grow with
#                          the range); tiny feeds (the fixed cost)
#   IPv6 /64               a checked IPv6 /32 over a feed listing one /64
#                          inside it, stopped after 5 s if it has not ended
# and the ratios: rblmon load / rbldnsd load (target <= 1; the median of
# the rounds' ratios, each round's two runs side by side), rblmon peak RSS
# / rbldnsd's (target <= 1.5), the /8 check (target < 10 s).
# Nothing leaves 127.0.0.1.
#
# Usage: bench/feed-bench.sh [path/to/rblmon] [N4 N6 ND]   (RUNS=5)
set -eu
RBLMON=$(readlink -f "${1:-build/rblmon}")
N4=${2:-5000000} N6=${3:-500000} ND=${4:-2000000}
RUNS=${RUNS:-5}
SRC=$(cd "$(dirname "$0")/.." && pwd)
B="$SRC/bench"
W=$(mktemp -d /tmp/rblmon-feedbench.XXXXXX)
chmod 755 "$W"   # rbldnsd drops root privileges to read its zones
trap 'rm -rf "$W"' EXIT INT TERM

python3 "$B/feedgen.py" "$W" "$N4" "$N6" "$ND" > "$W/gen.txt"
printf ':127.0.0.2:Listed $\n127.0.0.2\n192.0.2.1\n' > "$W/tiny4.zone"
printf '::ffff:7f00:2\n2001:db8::1\n' > "$W/tiny6.zone"
printf 'test\nexample.net\n' > "$W/tinyd.zone"
printf '::ffff:7f00:2\n2a0b:4000:0:1::/64\n' > "$W/hang6.zone"
chmod 644 "$W"/*.zone

# cfg NAME IPS DOMAINS-FILE|- LISTS...   (a list: zen4, v6, dbl or tiny*)
cfg() {
  name=$1 ips=$2 doms=$3; shift 3
  {
    printf 'watchlists:\n  - name: bench\n'
    [ -z "$ips" ] || printf '    ips: [%s]\n' "$ips"
    if [ "$doms" != - ]; then
      printf '    domains:\n'
      sed 's/^/      - /' "$doms"
    fi
    printf 'lists:\n  use: []\n  custom:\n'
    for l in "$@"; do
      case $l in
        zen4|tiny4) t=ip4 f=ip4set ;;
        v6|tiny6|hang6) t=ip6 f=ip6trie ;;
        dbl|tinyd) t=domain f=dnset ;;
      esac
      file=$W/$l.zone
      case $l in zen4) file=$W/ip4set.zone ;; v6) file=$W/ip6trie.zone ;;
                 dbl) file=$W/dnset.zone ;; esac
      printf '    - name: %s\n      type: %s\n' "$l" "$t"
      printf '      feed: {path: %s, type: %s, max_age: none}\n' "$file" "$f"
      printf '      codes: {127.0.0.0/8: {meaning: listed, severity: critical}}\n'
      printf '      test: false\n'
    done
  } > "$W/$name.yaml"
}
echo example.com > "$W/one.domain"
cfg r8 "185.0.0.0/8, 2a0b:4000::/32" "$W/domains" zen4 v6 dbl
cfg r16 "185.100.0.0/16, 2a0b:4000::/32" "$W/domains" zen4 v6 dbl
cfg load "185.100.3.4, 2a0b:4000::1" "$W/one.domain" zen4 v6 dbl
cfg load4 "185.100.3.4" - zen4
cfg load6 "2a0b:4000::1" - v6
cfg loadd "" "$W/one.domain" dbl
cfg tiny "185.100.3.4, 2a0b:4000::1" "$W/one.domain" tiny4 tiny6 tinyd
cfg hang "2a0b:4000::/32" - hang6

export XDG_STATE_HOME="$W/state" RBLMON_CATALOG="$SRC/lists"
cd "$W"
cat ip4set.zone ip6trie.zone dnset.zone > /dev/null   # page cache warm

T="python3 $B/feedtime.py"
Q4=2.0.0.127.zen.test
Q6=2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.zen6.test
# One round measures everything once, each rbldnsd load next to rblmon's;
# RUNS rounds, so that a busy moment of a shared machine falls on both.
rb() { # NAME CONFIG
  $T run 1 "$W/$2.out" -- "$RBLMON" -c "$W/$2.yaml" check --no-state \
    --format json -o "$W/$2.json" >> "$1.jsonl"
}
for _ in $(seq "$RUNS"); do
  $T run 1 "$W/wc.out" -- wc -l ip4set.zone >> wc4.jsonl
  $T rbldnsd 1 "$W" $Q4 zen.test:ip4set:ip4set.zone >> rbl4.jsonl
  rb rb-load4 load4
  $T run 1 "$W/wc.out" -- wc -l ip6trie.zone >> wc6.jsonl
  $T rbldnsd 1 "$W" $Q6 zen6.test:ip6trie:ip6trie.zone >> rbl6.jsonl
  rb rb-load6 load6
  $T run 1 "$W/wc.out" -- wc -l dnset.zone >> wcd.jsonl
  $T rbldnsd 1 "$W" test.dbl.test dbl.test:dnset:dnset.zone >> rbld.jsonl
  rb rb-loadd loadd
  $T run 1 "$W/wc.out" -- wc -l ip4set.zone ip6trie.zone dnset.zone >> wcall.jsonl
  $T rbldnsd 1 "$W" $Q4 zen.test:ip4set:ip4set.zone \
    zen6.test:ip6trie:ip6trie.zone dbl.test:dnset:dnset.zone >> rblall.jsonl
  rb rb-load load
  rb rb-tiny tiny
  rb rb-r16 r16
  rb rb-r8 r8
done
rc=0
timeout 5 "$RBLMON" -c "$W/hang.yaml" check --no-state --format json \
  -o "$W/hang.json" >/dev/null 2>&1 || rc=$?
case $rc in
  0|1|2) HANG="ended (exit $rc)" ;;
  124) HANG="did not end in 5 s (stopped)" ;;
  *) HANG="failed (exit $rc)" ;;
esac

python3 - "$W" "$RUNS" "$(nproc)" "$HANG" <<'PY'
import json, os, sys
w, runs, cores, hang = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
def j(n):                         # the fastest run of a measurement
    runs = [json.loads(x) for x in open(os.path.join(w, n + "l"))]
    return min(runs, key=lambda r: r["wall"])
def summary(c):                   # rblmon's own report of its last run
    d = json.load(open(os.path.join(w, c + ".json")))
    return d["summary"], {l["name"]: l for l in d["lists"]}
print("Data feed benchmark, %s cores, page cache warm, best of %s runs"
      % (cores, runs))
print(open(os.path.join(w, "gen.txt")).read().strip())
print("%-34s %8s %8s %12s %12s" % ("load", "wall s", "CPU s", "peak KiB",
                                   "RSS KiB"))
rows = [("ip4set", "wc4", "rbl4", "load4"), ("ip6trie", "wc6", "rbl6", "load6"),
        ("dnset", "wcd", "rbld", "loadd"), ("all three", "wcall", "rblall", "load")]
tiny = j("rb-tiny.json")
ratios = {}
for name, wc, rb, rm in rows:
    a, b, c = j(wc + ".json"), j(rb + ".json"), j("rb-%s.json" % rm)
    print("%-34s %8.2f %8.2f" % ("wc -l " + name, a["wall"], a["user"] + a["sys"]))
    print("%-34s %8.2f %8.2f %12d %12d   (answers a query at %.2f s)"
          % ("rbldnsd " + name, b["wall"], b["cpu"], b["hwm"], b["rss"],
             b["answer"]))
    s, lists = summary(rm)
    health = ",".join(sorted(set(l["health"] for l in lists.values())))
    print("%-34s %8.2f %8.2f %12d %12s   (rc %d, feeds %s)"
          % ("rblmon check, one target each" if name == "all three"
             else "rblmon check " + name + ", one target",
             c["wall"], c["user"] + c["sys"], c["maxrss"], "-", c["rc"], health))
    ratios[name] = (c["wall"] / b["wall"], c["maxrss"] / b["hwm"],
                    (c["user"] + c["sys"]) / max(b["cpu"], 0.01))
    print("%-34s %8.2f %8.2f %12.2f   (rblmon / rbldnsd)"
          % ("  ratio", ratios[name][0], ratios[name][2], ratios[name][1]))
print("%-34s %8.2f %8.2f %12d   (tiny feeds: the fixed cost)"
      % ("rblmon check, tiny feeds", tiny["wall"], tiny["user"] + tiny["sys"],
         tiny["maxrss"]))
print("%-34s %8s %8s %12s %10s %8s" % ("check, all three feeds", "wall s",
                                       "CPU s", "peak KiB", "results", "listed"))
for c, label in (("r8", "rblmon /8 + /32 + 10,000 domains"),
                 ("r16", "rblmon /16 + /32 + 10,000 domains")):
    r = j("rb-%s.json" % c)
    s, lists = summary(c)
    print("%-34s %8.2f %8.2f %12d %10d %8d   (rc %d; listed by list: %s)"
          % (label, r["wall"], r["user"] + r["sys"], r["maxrss"], s["checks"],
             s["listed"], r["rc"],
             ", ".join("%s %d" % (n, l["listed"]) for n, l in lists.items())))
r8, r16, rall = j("rb-r8.json"), j("rb-r16.json"), j("rblall.json")
load = j("rb-load.json")
def verdict(ok):
    return "met" if ok else "MISSED"
lt, lr, lc = ratios["all three"]
def rounds(n):
    return [json.loads(x) for x in open(os.path.join(w, n + ".jsonl"))]
pairs = sorted(a["wall"] / b["wall"]
               for a, b in zip(rounds("rb-load"), rounds("rblall")))
med = pairs[len(pairs) // 2]
print("targets:")
print("  load, rblmon / rbldnsd (all three)     %5.2f  <= 1    %s   (round by "
      "round: %s; best runs %.2f, CPU %.2f)"
      % (med, verdict(med <= 1), " ".join("%.2f" % x for x in pairs), lt, lc))
rr = r8["maxrss"] / rall["hwm"]
print("  peak RSS, rblmon /8 check / rbldnsd    %5.2f  <= 1.5  %s"
      % (rr, verdict(rr <= 1.5)))
print("  /8 check wall time                     %5.2f s < 10 s  %s"
      % (r8["wall"], verdict(r8["wall"] < 10)))
print("  peak RSS /16 vs /8: %d vs %d KiB (%+.1f %%); load alone %d KiB"
      % (r16["maxrss"], r8["maxrss"],
         100.0 * (r8["maxrss"] - r16["maxrss"]) / r16["maxrss"], load["maxrss"]))
print("IPv6 /32 checked over a feed that lists one /64 inside it: %s" % hang)
PY
