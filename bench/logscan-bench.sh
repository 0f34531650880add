#!/bin/sh
# Mail log benchmark (issue 5).  A generated Postfix log (default 500 MB)
# with a realistic mix (replies carry receivers' session ids, so most
# reply texts are new to the classifier's cache): inbound sessions, queue manager, deliveries that
# succeed (most), deferrals and bounces with receivers' replies.  In the
# same run, on the same file, page cache warm:
#   LC_ALL=C grep -c ' 554 '  the I/O-and-scan limit
#   pflogsumm                  a peer (Perl; run on the first 100 MB)
#   rblmon scan-logs           parse, classify, summarise (--no-state), and
#                              once more storing every rejection (state)
# Reports MB/s, ratios, and peak RSS at 100 MB and at the full size.
#
# Usage: bench/logscan-bench.sh [path/to/rblmon] [size-MB]
set -eu
RBLMON=$(readlink -f "${1:-build/rblmon}")
MB=${2:-500}
SRC=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d /tmp/rblmon-logbench.XXXXXX)
trap 'rm -rf "$W"' EXIT INT TERM

python3 - "$W/block.log" <<'PY'
import random, sys
random.seed(554)
out = open(sys.argv[1], "w")
rcv = [("gmail-smtp-in.l.google.com", "142.250.1.27", "gmail.com"),
       ("example-com.mail.protection.outlook.com", "52.101.1.1", "example.com"),
       ("mta5.am0.yahoodns.net", "67.195.204.1", "yahoo.com"),
       ("mx.example.net", "198.51.100.25", "example.net")]
replies = [
 ("554 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.10", "RCPT TO", "5.7.1", "bounced"),
 ("550-5.7.1 [192.0.2.10] Our system has detected that this message is 550-5.7.1 likely unsolicited mail. 550 5.7.1 https://support.google.com/mail/?p=UnsolicitedMessageError %(sid)s - gsmtp", "end of DATA", "5.7.1", "bounced"),
 ("550-5.1.1 The email account that you tried to reach does not exist. Please try 550-5.1.1 double-checking the recipient's email address for typos or 550-5.1.1 unnecessary spaces. https://support.google.com/mail/?p=NoSuchUser %(sid)s - gsmtp", "RCPT TO", "5.1.1", "bounced"),
 ("421-4.7.27 Your email has been rate limited because SPF authentication didn't pass for this message. %(sid)s - gsmtp", "end of DATA", "4.7.27", "deferred"),
 ("452 4.2.2 <u@example.net>: Mailbox full, try again later [%(sid)s]", "RCPT TO", "4.2.2", "deferred"),
 ("550 5.7.1 Unfortunately, messages from [192.0.2.10] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150).", "MAIL FROM", "5.7.1", "bounced"),
 ("421 4.7.0 [TSS04] Messages from 192.0.2.10 temporarily deferred due to unexpected volume or user complaints", "MAIL FROM", "4.7.0", "deferred"),
 ("450 4.2.0 <u@example.net>: Recipient address rejected: Greylisted", "RCPT TO", "4.2.0", "deferred"),
]
t = 0
n = 0
while out.tell() < 8 * 1024 * 1024:
    t += 1
    ts = "Jan %2d %02d:%02d:%02d" % (5 + (t // 86400) % 20, (t // 3600) % 24, (t // 60) % 60, t % 60)
    qid = "%X" % random.getrandbits(40)
    pid = random.randrange(1000, 30000)
    out.write("%s mx1 postfix/smtpd[%d]: connect from unknown[203.0.113.%d]\n" % (ts, pid, t % 250))
    out.write("%s mx1 postfix/smtpd[%d]: %s: client=unknown[203.0.113.%d]\n" % (ts, pid, qid, t % 250))
    out.write("%s mx1 postfix/cleanup[%d]: %s: message-id=<%d@ours.example>\n" % (ts, pid + 1, qid, t))
    out.write("%s mx1 postfix/qmgr[%d]: %s: from=<user%d@ours.example>, size=%d, nrcpt=1 (queue active)\n" % (ts, 900, qid, t % 500, random.randrange(1000, 90000)))
    h, ip, dom = random.choice(rcv)
    if random.random() < 0.04:
        text, stage, dsn, status = random.choice(replies)
        # receivers put a session id in their replies: most texts differ
        text = text % {"sid": "a%dsi%d.%d" % (t % 97, t, t % 300)} if "%(sid)s" in text else text
        out.write("%s mx1 postfix/smtp[%d]: %s: to=<rcpt%d@%s>, relay=%s[%s]:25, delay=1.2, delays=0.1/0/0.5/0.6, dsn=%s, status=%s (host %s[%s] said: %s (in reply to %s command))\n" % (ts, pid + 2, qid, t % 900, dom, h, ip, dsn, status, h, ip, text, stage))
    else:
        out.write("%s mx1 postfix/smtp[%d]: %s: to=<rcpt%d@%s>, relay=%s[%s]:25, delay=0.9, delays=0.1/0/0.3/0.5, dsn=2.0.0, status=sent (250 2.0.0 OK  1700000000 x%d - gsmtp)\n" % (ts, pid + 2, qid, t % 900, dom, h, ip, t))
    out.write("%s mx1 postfix/qmgr[%d]: %s: removed\n" % (ts, 900, qid))
    out.write("%s mx1 postfix/smtpd[%d]: disconnect from unknown[203.0.113.%d] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5\n" % (ts, pid, t % 250))
PY
# Repeat the 8 MiB block up to the size (BSD times carry no year).
blocks=$(( MB / 8 ))
i=0
while [ $i -lt $blocks ]; do cat "$W/block.log"; i=$((i + 1)); done > "$W/mail.log"
head -c $((100 * 1024 * 1024)) "$W/mail.log" > "$W/mail100.log"
SIZE=$(stat -c %s "$W/mail.log")
cat "$W/mail.log" "$W/mail100.log" > /dev/null   # warm the page cache
printf 'logs:\n  files: [mail.log]\nwatchlists:\n  - name: out\n    ips: [192.0.2.0/24]\n' > "$W/rblmon.yaml"

now() { date +%s.%N; }
rate() { echo "$1 $2 $3" | awk '{printf "%.0f", $1 / 1048576 / ($3 - $2)}'; }
rss() { awk '/Maximum resident/ {print $NF}' "$1"; }

t0=$(now); G=$(LC_ALL=C grep -c ' 554 ' "$W/mail.log" || true); t1=$(now)
GREP=$(rate "$SIZE" "$t0" "$t1")
S100=$(stat -c %s "$W/mail100.log")
t0=$(now); pflogsumm "$W/mail100.log" > "$W/pflogsumm.out" 2>&1 || true; t1=$(now)
PFL=$(rate "$S100" "$t0" "$t1")
export TZ=UTC XDG_STATE_HOME="$W/state"
t0=$(now)
/usr/bin/time -v -o "$W/rb.time" "$RBLMON" -c "$W/rblmon.yaml" scan-logs --no-state "$W/mail.log" > "$W/rb.out" || true
t1=$(now)
RB=$(rate "$SIZE" "$t0" "$t1")
/usr/bin/time -v -o "$W/rb100.time" "$RBLMON" -c "$W/rblmon.yaml" scan-logs --no-state "$W/mail100.log" > /dev/null || true
t0=$(now)
"$RBLMON" -c "$W/rblmon.yaml" scan-logs "$W/mail.log" > "$W/rbstate.out" || true
t1=$(now)
RBS=$(rate "$SIZE" "$t0" "$t1")

echo "Mail log benchmark: $(echo "$SIZE" | awk '{printf "%.0f", $1/1048576}') MiB Postfix log, $(nproc) cores, page cache warm"
printf "%-26s %8s %10s\n" tool "MiB/s" "ratio"
printf "%-26s %8s %10s   (%s lines with ' 554 ')\n" "grep -c ' 554 '" "$GREP" 1.00 "$G"
printf "%-26s %8s %10.2f\n" "rblmon scan-logs" "$RB" "$(echo "$RB $GREP" | awk '{print $1/$2}')"
printf "%-26s %8s %10.2f\n" "rblmon scan-logs (state)" "$RBS" "$(echo "$RBS $GREP" | awk '{print $1/$2}')"
printf "%-26s %8s %10.2f   (first 100 MiB)\n" "pflogsumm" "$PFL" "$(echo "$PFL $GREP" | awk '{print $1/$2}')"
echo "rblmon vs pflogsumm: $(echo "$RB $PFL" | awk '{printf "%.0f", $1/$2}')x"
echo "rblmon peak RSS: 100 MiB file $(rss "$W/rb100.time") KiB, full file $(rss "$W/rb.time") KiB"
head -1 "$W/rb.out"
