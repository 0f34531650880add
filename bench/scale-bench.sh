#!/bin/sh
# Scale (issue 11): a configuration of 100,000 separate addresses.  In one
# run, on this machine:
#   rblmon config check      reading and validating the file
#   rblmon check --no-state  100,000 queries against rbldnsd on 127.0.0.1
#   rblmon check             the same, recording every result in the state
#   rblmon scan-logs         20,000 rejections, each naming an address that
#                            is looked up among the 100,000 (--no-state)
#   100,000 keys             config check of a file whose one mapping (a
#                            list's codes) holds 100,000 keys: the duplicate-
#                            key check (issue 16, item 9); the file is
#                            then refused (over 256 codes), as it should be
# and, when given a second binary (an older rblmon), its config check and
# scan on the same files, for the ratios.  Reports seconds and peak RSS.
#
# Usage: bench/scale-bench.sh [path/to/rblmon] [path/to/older-rblmon]
set -eu
RBLMON=$(readlink -f "${1:-build/rblmon}")
OLD=${2:-}
SRC=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d /tmp/rblmon-scalebench.XXXXXX)
chmod 755 "$W"
trap 'kill $RBLDNSD_PID 2>/dev/null || true; rm -rf "$W"' EXIT INT TERM
RBLDNSD_PID=

port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 - "$W" "$port" <<'PY'
import os, sys
w, port = sys.argv[1], sys.argv[2]
ips = ["10.%d.%d.%d" % (i >> 16, (i >> 8) & 255, i & 255) for i in range(100000)]
with open(os.path.join(w, "bl.zone"), "w") as f:
    f.write(":127.0.0.2:listed\n127.0.0.2\n" + "".join(ips[i] + "\n" for i in range(0, 100000, 1000)))
os.chmod(os.path.join(w, "bl.zone"), 0o644)
with open(os.path.join(w, "rblmon.yaml"), "w") as f:
    f.write("watchlists:\n  - name: big\n    ips:\n")
    f.write("".join("      - %s\n" % ip for ip in ips))
    f.write("logs:\n  files: [mail.log]\n")
    f.write("lists:\n  use: []\n  custom:\n    - {name: bl, zone: bl.test, type: ip4, "
            "codes: {127.0.0.2: {meaning: spam, severity: critical}}}\n"
            "resolver:\n  servers: ['127.0.0.1:%s']\n  timeout: 2s\n" % port)
with open(os.path.join(w, "keys.yaml"), "w") as f:
    f.write("lists:\n  use: []\n  custom:\n    - name: bl\n      zone: bl.test\n"
            "      type: ip4\n      codes:\n")
    f.write("".join("        127.%d.%d.%d: {meaning: spam, severity: critical}\n"
                    % (1 + (i >> 16), (i >> 8) & 255, i & 255) for i in range(100000)))
with open(os.path.join(w, "mail.log"), "w") as f:
    for i in range(20000):
        ip = ips[(i * 7919) % 100000] if i % 2 else "198.51.100.%d" % (i % 250)
        f.write("Jan  5 10:%02d:%02d mx1 postfix/smtp[1]: Q%d: to=<u@example.com>, "
                "relay=mx.example.com[198.51.100.25]:25, dsn=5.7.1, status=bounced "
                "(host mx.example.com[198.51.100.25] said: 554 5.7.1 Service "
                "unavailable; Client host [%s] blocked using zen.spamhaus.org "
                "(in reply to RCPT TO command))\n" % (i // 60 % 60, i % 60, i, ip))
PY
rbldnsd -n -b "127.0.0.1/$port" -w "$W" bl.test:ip4set:bl.zone >"$W/rbldnsd.log" 2>&1 &
RBLDNSD_PID=$!
while ! grep -q started "$W/rbldnsd.log"; do
  kill -0 $RBLDNSD_PID || { cat "$W/rbldnsd.log"; exit 1; }
  sleep 0.1 # waiting for a server we started; not a test
done

measure() { # label command...
  label=$1; shift
  /usr/bin/time -f "%e %M" -o "$W/t" "$@" >/dev/null 2>"$W/err" || true
  read -r secs kb <<EOT
$(tail -n 1 "$W/t")
EOT
  printf '%-34s %8s s %8d KiB\n' "$label" "$secs" "$kb"
  echo "$secs" > "$W/last"
}
# rblmon, then the older binary on the same arguments, and their ratio
compare() { # label older-label ratio-note args...
  label=$1 oldlabel=$2 note=$3; shift 3
  measure "$label" "$RBLMON" "$@"
  new=$(cat "$W/last")
  [ -n "$OLD" ] || return 0
  measure "$oldlabel" "$OLD" "$@"
  old=$(cat "$W/last")
  python3 -c "print('ratio: %.0fx faster%s' % ($old / max($new, 0.001), '$note'))"
}
export XDG_STATE_HOME="$W/state" RBLMON_CATALOG="$SRC/lists"
echo "100,000 targets ($(nproc) cores):"
compare "rblmon config check" "older rblmon config check" "" \
  -c "$W/rblmon.yaml" config check
compare "rblmon scan-logs" "older rblmon scan-logs" " (the older one reads the file too)" \
  -c "$W/rblmon.yaml" scan-logs --no-state "$W/mail.log"
compare "rblmon config check, 100,000 keys" "older rblmon, 100,000 keys" "" \
  -c "$W/keys.yaml" config check
measure "rblmon check --no-state" "$RBLMON" -c "$W/rblmon.yaml" check --no-state
measure "rblmon check (state)" "$RBLMON" -c "$W/rblmon.yaml" check
