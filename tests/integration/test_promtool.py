"""Prometheus and Grafana (issue 21): the alerting rules in
contrib/prometheus pass `promtool check rules` and their unit tests
(`promtool test rules`); what rblmon check and rblmon status really write,
against rbldnsd on 127.0.0.1, passes `promtool check metrics` (the text
format and its lint: HELP, TYPE, names), and the rules fire on it as they
should; and every metric the rules and the Grafana dashboard
(contrib/grafana) query is one rblmon writes.
Without promtool (Debian: prometheus) its tests are skipped, said."""
import json
import os
import re
import shutil
import subprocess

import rbltest
from rbltest import Rbldnsd, Workdir, custom_list, run

SRC = os.environ.get("RBLMON_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
PROM_DIR = os.path.join(SRC, "contrib", "prometheus")
RULES = os.path.join(PROM_DIR, "rblmon.rules.yml")
RULES_TEST = os.path.join(PROM_DIR, "rblmon.rules.test.yml")
DASHBOARD = os.path.join(SRC, "contrib", "grafana", "rblmon-dashboard.json")
PROMTOOL = shutil.which("promtool")
T0 = 1764000000

ZONES = {
    "bl.test": ("ip4set",
                ":127.0.0.2:Listed, see https://bl.test/$\n"
                "127.0.0.2\n"
                "192.0.2.1\n"
                "192.0.2.2 :127.0.0.3:dynamic\n"
                "192.0.2.5 :127.255.255.254:refused\n"),
    "dead.test": ("ip4set", "192.0.2.99 :127.0.0.2:x\n"),
}
LISTS = (custom_list("bl", "bl.test", "ip4",
                     {"127.0.0.2": ("spam", "critical"),
                      "127.0.0.3": ("dynamic", "warning")},
                     {"127.255.255.0/24": "refused"})
         + custom_list("dead", "dead.test", "ip4", {"127.0.0.2": ("x", "critical")}))


def config(server):
    return ("watchlists:\n  - name: out\n    ips: [192.0.2.0/29]\n"
            "  - name: \"web \\\"front\\\"\"\n    ips: [192.0.2.9]\n"
            "lists:\n  use: []\n  custom:\n%s"
            "resolver:\n  servers: [%s]\n  timeout: 500ms\n  tries: 2\n"
            % (LISTS, server))


class Outputs:
    """What check and status write, made once for every test here."""
    texts = None

    @classmethod
    def get(cls):
        if cls.texts is None:
            with Rbldnsd(ZONES) as dns:
                w = Workdir(config(dns.server))
                try:
                    chk = w.run(["check", "--format", "prometheus"], now=T0)
                    st = w.run(["status", "--format", "prometheus"], now=T0 + 60)
                    cli = run(["check", "--format", "prometheus", "--no-state",
                               "192.0.2.1"], config(dns.server))
                finally:
                    w.cleanup()
            for r in (chk, st, cli):
                assert "AddressSanitizer" not in r.err, r.err
            assert chk.rc == 2 and st.rc == 2 and cli.rc == 2, (chk.err, st.err, cli.err)
            cls.texts = {"check": chk.out, "status": st.out, "check-cli": cli.out}
        return cls.texts


def emitted(text):
    """The metric names of the samples in a text-format exposition."""
    return {re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", l).group(0)
            for l in text.splitlines() if l and not l.startswith("#")}


PROMQL_WORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool",
    "and", "or", "unless", "offset", "inf", "nan", "sum", "min", "max", "avg",
    "count", "stddev", "stdvar", "topk", "bottomk", "quantile", "count_values",
    "group"}


def promql_metrics(expr):
    """The metric names an expression selects: string literals, label
    matchers, grouping label lists, range and subquery brackets, function
    names and keywords taken away, what is left of the identifiers."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', expr)
    e = re.sub(r"\{[^}]*\}", " ", e)
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    e = re.sub(r"\[[^\]]*\]", " ", e)
    e = re.sub(r"\$\{?\w+\}?", " ", e)  # Grafana variables ($__range)
    names = set()
    for m in re.finditer(r"(?<![\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\()?", e):
        if m.group(2) or m.group(1).lower() in PROMQL_WORDS:
            continue
        if re.fullmatch(r"\d+[smhdwy]", m.group(1)):
            continue
        names.add(m.group(1))
    return names


def rule_exprs():
    """The expr of every rule in the rules file (plain YAML)."""
    import yaml
    with open(RULES) as f:
        doc = yaml.safe_load(f)
    return [r["expr"] for g in doc["groups"] for r in g["rules"]]


def dashboard_exprs():
    """Every PromQL expression of the dashboard: its panels' targets (rows
    and their nested panels too) and its query variables."""
    with open(DASHBOARD) as f:
        d = json.load(f)
    exprs = []

    def panels(ps):
        for p in ps:
            for t in p.get("targets", []):
                exprs.append(t["expr"])
            panels(p.get("panels", []))
    panels(d["panels"])
    for v in d.get("templating", {}).get("list", []):
        if v.get("type") == "query":
            q = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
            m = re.fullmatch(r"\s*label_values\((.*),\s*\w+\)\s*", q)
            exprs.append(m.group(1) if m else q)
    return d, exprs


class MetricNamesTest(rbltest.unittest.TestCase):
    def test_extractor(self):
        self.assertEqual(promql_metrics(
            'sum by (list) (rblmon_listed{watchlist=~"$watchlist"} == 1) '
            '* on (target) group_left (severity) rate(foo_total[5m]) or vector(0) '
            'and time() - rblmon_last_check_timestamp_seconds > 2 * 3600'),
            {"rblmon_listed", "foo_total", "rblmon_last_check_timestamp_seconds"})

    def test_every_family_has_help_and_type(self):
        for name, text in Outputs.get().items():
            for fam in emitted(text):
                self.assertIn("# HELP %s " % fam, text, name)
                self.assertIn("# TYPE %s gauge\n" % fam, text, name)
            # a Unix time is *_timestamp_seconds
            self.assertNotRegex(text, r"_since_seconds\b")

    def test_what_the_outputs_hold(self):
        t = Outputs.get()
        chk, st, cli = t["check"], t["status"], t["check-cli"]
        self.assertIn('rblmon_listed{target="192.0.2.1",list="bl",watchlist="out"} 1\n', chk)
        self.assertIn('rblmon_listed{target="192.0.2.3",list="bl",watchlist="out"} 0\n', chk)
        self.assertIn('rblmon_listed_severity{target="192.0.2.2",list="bl",watchlist="out",'
                      'severity="warning"} 1\n', chk)
        self.assertIn('rblmon_check_error{target="192.0.2.5",list="bl",watchlist="out"} 1\n', chk)
        # a dead list: the range's one result, an error
        self.assertIn('rblmon_check_error{target="192.0.2.0/29",list="dead",watchlist="out"} 1\n',
                      chk)
        # the operator's watchlist name, escaped
        self.assertIn('rblmon_listed{target="192.0.2.9",list="bl",watchlist="web \\"front\\""} 0\n',
                      chk)
        self.assertIn('rblmon_list_health{list="dead",health="dead"} 1\n', chk)
        # one state of each list is 1, the others 0
        for lst in ("bl", "dead"):
            vals = re.findall(r'rblmon_list_health\{list="%s",health="\w+"\} (\d)' % lst, chk)
            self.assertEqual((len(vals), vals.count("1")), (9, 1), lst)
        self.assertIn('rblmon_listed{target="192.0.2.1",list="bl",watchlist="out"} 1\n', st)
        self.assertIn('rblmon_listed_rejections_24h{target="192.0.2.1",list="bl",'
                      'watchlist="out"} 0\n', st)
        self.assertIn('rblmon_rejections_unexplained{kind="not-listed"} 0\n', st)
        self.assertIn("rblmon_last_check_timestamp_seconds %d\n" % T0, st)
        # a command-line target has no watchlist
        self.assertIn('rblmon_listed{target="192.0.2.1",list="bl",watchlist=""} 1\n', cli)

    def test_the_man_page_documents_every_metric(self):
        with open(os.path.join(SRC, "docs", "rblmon.1")) as f:
            page = f.read().replace("\\-", "-")
        section = page.split(".SS prometheus\n")[1].split("\n.SH ")[0]
        ours = set().union(*(emitted(t) for t in Outputs.get().values()))
        documented = set(re.findall(r"\brblmon_[a-z0-9_]+", section.replace("\\(en", "")))
        self.assertEqual(ours - documented, set(), "metrics missing from rblmon.1")
        self.assertEqual(documented - ours, set(), "rblmon.1 names metrics never written")

    def test_rules_query_only_emitted_metrics(self):
        ours = set().union(*(emitted(t) for t in Outputs.get().values()))
        used = set().union(*(promql_metrics(e) for e in rule_exprs()))
        self.assertIn("rblmon_listed", used)
        self.assertEqual(used - ours, set())

    def test_dashboard_queries_only_emitted_metrics(self):
        ours = set().union(*(emitted(t) for t in Outputs.get().values()))
        d, exprs = dashboard_exprs()
        self.assertGreaterEqual(len(exprs), 10)
        used = set().union(*(promql_metrics(e) for e in exprs))
        self.assertEqual(used - ours, set(), "the dashboard queries metrics rblmon never writes")
        # and it shows the main ones
        for m in ("rblmon_listed", "rblmon_list_health", "rblmon_last_check_timestamp_seconds",
                  "rblmon_listed_rejections_24h", "rblmon_check_error"):
            self.assertIn(m, used)
        self.assertEqual(d["uid"], "rblmon")
        ids = [p["id"] for p in d["panels"]]
        self.assertEqual(len(ids), len(set(ids)), "panel ids repeat")


@rbltest.unittest.skipIf(PROMTOOL is None,
                         "promtool not found (Debian: apt-get install prometheus)")
class PromtoolTest(rbltest.unittest.TestCase):
    def promtool(self, *args, stdin=None, cwd=None):
        p = subprocess.run([PROMTOOL] + list(args), input=stdin, cwd=cwd,
                           capture_output=True, text=True, timeout=120)
        return p.returncode, p.stdout + p.stderr

    def test_check_rules(self):
        rc, out = self.promtool("check", "rules", RULES)
        self.assertEqual(rc, 0, out)
        self.assertIn("SUCCESS: 6 rules found", out)

    def test_rules_unit_tests(self):
        rc, out = self.promtool("test", "rules", os.path.basename(RULES_TEST), cwd=PROM_DIR)
        self.assertEqual(rc, 0, out)
        self.assertIn("SUCCESS", out)

    def test_rule_tests_can_fail(self):
        """A rule that never fires fails its unit test: the tests test."""
        with open(RULES) as f:
            broken = f.read().replace("rblmon_listed_rejections_24h > 0",
                                      "rblmon_listed_rejections_24h > 1e9")
        w = Workdir()
        try:
            with open(os.path.join(w.dir, "rblmon.rules.yml"), "w") as f:
                f.write(broken)
            shutil.copy(RULES_TEST, w.dir)
            rc, out = self.promtool("test", "rules", "rblmon.rules.test.yml", cwd=w.dir)
        finally:
            w.cleanup()
        self.assertNotEqual(rc, 0, out)
        self.assertIn("RblmonRejectionsCiteListing", out)

    def rules_on(self, text, alerts):
        """promtool test rules with text's samples as input series (held
        for two hours, as a textfile collector serves them) and the
        alerts expected: {(alertname, eval_time): [labels]}.  The rules
        are a copy without annotations (their wording is tested above)."""
        import yaml
        with open(RULES) as f:
            rules = yaml.safe_load(f)
        for g in rules["groups"]:
            for r in g["rules"]:
                r.pop("annotations", None)
        series = [{"series": l.rsplit(" ", 1)[0], "values": "%sx120" % l.rsplit(" ", 1)[1]}
                  for l in text.splitlines() if l and not l.startswith("#")]
        test = {"rule_files": ["rules.yml"], "evaluation_interval": "1m",
                "tests": [{"interval": "1m", "input_series": series,
                           "alert_rule_test": [
                               {"eval_time": t, "alertname": name,
                                "exp_alerts": [{"exp_labels": l} for l in exp]}
                               for (name, t), exp in alerts.items()]}]}
        w = Workdir()
        try:
            with open(os.path.join(w.dir, "rules.yml"), "w") as f:
                yaml.safe_dump(rules, f)
            with open(os.path.join(w.dir, "test.yml"), "w") as f:
                yaml.safe_dump(test, f)
            rc, out = self.promtool("test", "rules", "test.yml", cwd=w.dir)
        finally:
            w.cleanup()
        self.assertEqual(rc, 0, out)

    def test_rules_on_real_output(self):
        """The rules fire on what rblmon really writes: its listings with
        their severity, its dead list; and nothing else."""
        listed = [{"target": "192.0.2.1", "list": "bl", "watchlist": "out",
                   "severity": "critical"},
                  {"target": "192.0.2.2", "list": "bl", "watchlist": "out",
                   "severity": "warning"}]
        quiet = {(a, "90m"): [] for a in ("RblmonCheckUnknown", "RblmonSeriesDropped",
                                          "RblmonRejectionsCiteListing")}
        t = Outputs.get()
        dead = [{"list": "dead", "health": "dead", "severity": "warning"}]
        self.rules_on(t["check"], {**quiet, ("RblmonListed", "5m"): listed,
                                   ("RblmonListUnhealthy", "30m"): [],
                                   ("RblmonListUnhealthy", "90m"): dead})
        self.rules_on(t["status"], {**quiet, ("RblmonListed", "5m"): listed,
                                    ("RblmonListUnhealthy", "90m"): dead})

    def test_check_metrics_on_real_output(self):
        for name, text in Outputs.get().items():
            rc, out = self.promtool("check", "metrics", stdin=text)
            self.assertEqual((rc, out.strip()), (0, ""), name + ":\n" + text)


if __name__ == "__main__":
    rbltest.main()
