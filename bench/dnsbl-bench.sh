#!/bin/sh
# DNSBL engine benchmark (issue 2).  A /16 (65,536 IPs) against 10 zones on
# a local rbldnsd; in the same run, on the same query names:
#   dnsperf  - the server's limit (a load generator, no interpretation)
#   adnshost - a C peer (GNU adns, asynchronous mode)
#   rblmon   - probes, interpretation, TXT for listings, report
# Reports queries/s, the ratio to dnsperf, and peak RSS for a /16 and a /18
# (memory must not grow with the range).  Everything stays on 127.0.0.0/8.
#
# Usage: bench/dnsbl-bench.sh [path/to/rblmon]   (root: rbldnsd binds :53,
# adnshost cannot use another port)
set -eu
RBLMON=$(readlink -f "${1:-build/rblmon}")
ADDR=127.0.0.77
ZONES=10
W=$(mktemp -d /tmp/rblmon-bench.XXXXXX)
chmod 755 "$W"   # rbldnsd drops root privileges to read its zones
cleanup() {
  [ -f "$W/pid" ] && kill "$(cat "$W/pid")" 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT INT TERM

python3 - "$W" "$ZONES" <<'PY'
import random, sys
w, zones = sys.argv[1], int(sys.argv[2])
random.seed(5782)
names = open(f"{w}/names", "w")
for z in range(zones):
    with open(f"{w}/z{z}.zone", "w") as f:
        f.write(":127.0.0.2:listed in bench zone %d: $\n127.0.0.2\n" % z)
        # ~0.5 % of the range listed, different per zone
        for _ in range(330):
            f.write("198.18.%d.%d\n" % (random.randrange(256), random.randrange(256)))
for c in range(256):
    for d in range(256):
        for z in range(zones):
            names.write("%d.%d.18.198.z%d.bench A\n" % (d, c, z))
names.close()
with open(f"{w}/rblmon.yaml", "w") as f:
    f.write("watchlists:\n  - name: bench16\n    ips: [198.18.0.0/16]\n")
    f.write("lists:\n  use: []\n  custom:\n")
    for z in range(zones):
        f.write("    - {name: z%d, zone: z%d.bench, type: ip4, codes: "
                "{127.0.0.2: {meaning: listed, severity: critical}}}\n" % (z, z))
    f.write("resolver:\n  servers: [127.0.0.77:53]\n  timeout: 2s\n"
            "  tries: 3\n  max_inflight: 100\n  deadline: 1h\n")
PY
sed 's|198.18.0.0/16|198.18.0.0/18|; s|bench16|bench18|' "$W/rblmon.yaml" > "$W/rblmon18.yaml"

zspec=""
for z in $(seq 0 $((ZONES - 1))); do zspec="$zspec z$z.bench:ip4set:z$z.zone"; done
# shellcheck disable=SC2086
rbldnsd -n -q -b $ADDR/53 -w "$W" -p "$W/pid" $zspec >"$W/rbldnsd.log" 2>&1 &
i=0
until grep -q 'started' "$W/rbldnsd.log"; do
  i=$((i + 1)); [ $i -lt 100 ] || { echo "rbldnsd did not start"; cat "$W/rbldnsd.log"; exit 1; }
  sleep 0.1
done
if grep -q 'not be serviced' "$W/rbldnsd.log"; then cat "$W/rbldnsd.log"; exit 1; fi
NQ=$(wc -l < "$W/names")

now() { date +%s.%N; }
rss() { awk '/Maximum resident/ {print $NF}' "$1"; }

# dnsperf: one pass over the names with rblmon's window (100 outstanding),
# and with 500 outstanding (more than one host's UDP receive buffer holds:
# it loses answers and never asks again).  The better figure is the limit.
dnsperf -s $ADDR -p 53 -d "$W/names" -n 1 -q 100 -t 5 > "$W/dnsperf.out" 2>&1
dnsperf -s $ADDR -p 53 -d "$W/names" -n 1 -q 500 -t 5 > "$W/dnsperf500.out" 2>&1
DP_QPS=$(awk '/Queries per second/ {print $4}' "$W/dnsperf.out")
DP_LOST=$(awk '/Queries lost/ {print $3}' "$W/dnsperf.out")
DP5_QPS=$(awk '/Queries per second/ {print $4}' "$W/dnsperf500.out")
DP5_LOST=$(awk '/Queries lost/ {print $3}' "$W/dnsperf500.out")
DP_BEST=$(echo "$DP_QPS $DP5_QPS" | awk '{print ($1 > $2) ? $1 : $2}')

# adnshost: asynchronous mode, names on stdin.
cut -d' ' -f1 "$W/names" > "$W/names.adns"
t0=$(now)
/usr/bin/time -v -o "$W/adns.time" adnshost -a -f -Vq --config "nameserver $ADDR" \
  < "$W/names.adns" > "$W/adns.out" 2>/dev/null || true
t1=$(now)
AD_QPS=$(echo "$NQ $t0 $t1" | awk '{printf "%.0f", $1 / ($3 - $2)}')

# rblmon: the full check (probes, interpretation, TXT, report).
run_rblmon() {
  t0=$(now)
  XDG_STATE_HOME="$W/state" /usr/bin/time -v -o "$W/$2.time" "$RBLMON" -c "$W/$1" check $3 > "$W/$2.out" 2>&1 || true
  t1=$(now)
  echo "$t0 $t1"
}
# The engine alone (--no-state), then the same check recording every result
# in the state database (one transaction; a first run: every listing new).
set -- $(run_rblmon rblmon.yaml rb16 --no-state)
RB_QPS=$(echo "$NQ $1 $2" | awk '{printf "%.0f", $1 / ($3 - $2)}')
RB_RSS16=$(rss "$W/rb16.time")
run_rblmon rblmon18.yaml rb18 --no-state >/dev/null
RB_RSS18=$(rss "$W/rb18.time")
set -- $(run_rblmon rblmon.yaml rbstate "")
RB_STATE_S=$(echo "$1 $2" | awk '{printf "%.1f", $2 - $1}')
RB_STATE_RSS=$(rss "$W/rbstate.time")
set -- $(run_rblmon rblmon.yaml rbstate2 "")
RB_STATE2_S=$(echo "$1 $2" | awk '{printf "%.1f", $2 - $1}')
RB_SUMMARY=$(grep -E '^(OK|WARNING|CRITICAL|UNKNOWN):' "$W/rb16.out" || tail -1 "$W/rb16.out")

echo "DNSBL benchmark: $NQ A queries (/16 x $ZONES zones), rbldnsd on $ADDR, $(nproc) cores"
printf "%-12s %12s %10s %14s\n" tool "queries/s" "ratio" "peak RSS KiB"
echo "(ratio: to the better dnsperf figure)"
printf "%-12s %12.0f %10.2f %14s   (lost: %s)\n" "dnsperf -q100" "$DP_QPS" "$(echo "$DP_QPS $DP_BEST" | awk '{print $1/$2}')" - "$DP_LOST"
printf "%-12s %12.0f %10.2f %14s   (lost: %s)\n" "dnsperf -q500" "$DP5_QPS" "$(echo "$DP5_QPS $DP_BEST" | awk '{print $1/$2}')" - "$DP5_LOST"
printf "%-12s %12s %10.2f %14s\n" adnshost "$AD_QPS" "$(echo "$AD_QPS $DP_BEST" | awk '{print $1/$2}')" "$(rss "$W/adns.time")"
printf "%-12s %12s %10.2f %14s   (window 100, answers re-asked after loss)\n" rblmon "$RB_QPS" "$(echo "$RB_QPS $DP_BEST" | awk '{print $1/$2}')" "$RB_RSS16"
echo "rblmon peak RSS: /18 ${RB_RSS18} KiB, /16 ${RB_RSS16} KiB (must not grow with the range)"
echo "rblmon: $RB_SUMMARY"
echo "rblmon with state: first run ${RB_STATE_S}s (peak RSS ${RB_STATE_RSS} KiB), second run ${RB_STATE2_S}s"
