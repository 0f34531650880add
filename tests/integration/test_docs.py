"""The command table, --help, the man page and the README agree; the two
man pages agree with the code on what a check of command-line targets
records; every relative link of the Markdown docs and every file the man
pages' SEE ALSO names exists in the tree (and in an installed prefix for
the installed docs)."""
import os
import re
import shutil
import subprocess
import tempfile

import rbltest
from rbltest import SRC, Rbldnsd, Workdir, custom_list, run

BUILD = os.environ.get("RBLMON_BUILD")
MARKDOWN = ["README.md", "SECURITY.md"] + sorted(
    "docs/" + f for f in os.listdir(os.path.join(SRC, "docs")) if f.endswith(".md"))
INSTALLED_DOCS = ["SECURITY.md", "catalog-format.md", "logscan.md"]  # share/doc/rblmon


def man(name):
    return open(os.path.join(SRC, "docs", name)).read()


class DocsTest(rbltest.unittest.TestCase):
    def commands(self):
        r = run(["--help"])
        self.assertEqual(r.rc, 0)
        block = r.out.split("Commands:\n")[1].split("\n\n")[0]
        return [line.split()[0] for line in block.splitlines()]

    def long_options(self):
        src = open(os.path.join(SRC, "monitor", "cli", "main.c")).read()
        table = src.split("long_options[] = {")[1].split("};")[0]
        return re.findall(r'\{"([a-z-]+)"', table)

    def test_every_command_is_documented(self):
        page = man("rblmon.1").replace("\\-", "-")
        cmds = self.commands()
        self.assertIn("check", cmds)
        for c in cmds:
            self.assertTrue(re.search(r"\.B[I]? %s\b|\\fB%s\\fR" % (c, c), page),
                            "command %s missing from rblmon.1" % c)
            h = run([c, "--help"])
            self.assertEqual(h.rc, 0, c)
            self.assertTrue(h.out.startswith("Usage: rblmon %s" % c), h.out)

    def test_every_option_is_documented(self):
        page = man("rblmon.1").replace("\\-", "-")
        opts = self.long_options()
        self.assertIn("config", opts)
        help_text = run(["--help"]).out + "".join(
            run([c, "--help"]).out for c in self.commands())
        for o in opts:
            self.assertIn("--" + o, page, "option --%s missing from rblmon.1" % o)
            self.assertIn("--" + o, help_text, "option --%s missing from --help" % o)

    def test_every_config_key_is_documented(self):
        page = man("rblmon.yaml.5").replace("\\-", "-").replace("\\_", "_")
        src = "".join(open(os.path.join(SRC, "monitor", "config", f)).read()
                      for f in ("config.c", "provider.c"))
        keys = set(re.findall(r'\{"([a-z_]+)", [a-z_]+|NULL', src))
        keys |= set(re.findall(r'\{"([a-z_]+)", (?:[a-z_]+|NULL), (?:true|false)\}', src))
        self.assertIn("watchlists", keys)
        for k in sorted(keys):
            self.assertIn(k, page, "config key %s missing from rblmon.yaml.5" % k)

    def test_synopsis_lists_every_command(self):
        page = man("rblmon.1").replace("\\-", "-")
        synopsis = page.split(".SH SYNOPSIS\n")[1].split(".SH ")[0]
        cmds = self.commands()
        self.assertGreaterEqual(len(cmds), 12)
        for c in cmds:
            self.assertRegex(synopsis, r"(?m)^\.B %s\b" % re.escape(c),
                             "command %s missing from the SYNOPSIS of rblmon.1" % c)

    def test_command_line_targets_one_off_in_both_pages(self):
        # monitor/core/cycle.c: stateful = !no_state && nargs == 0
        for name, phrase in (("rblmon.1", "neither read nor written"),
                             ("rblmon.yaml.5", "neither read nor written")):
            text = re.sub(r"\s+", " ", man(name).replace("\\-", "-"))
            m = re.search(r"named on the command line (?:make|is) a one-off check: "
                          r"the state is ([a-z ]+)", text)
            self.assertIsNotNone(m, name)
            self.assertTrue(m.group(1).startswith(phrase), name)
            self.assertNotIn("command line is recorded", text, name)
        # and the code does as they say: no state file appears
        with Rbldnsd({"bl.test": ("ip4set", ":127.0.0.2:x\n127.0.0.2\n")}) as dns:
            w = Workdir("watchlists:\n  - name: out\n    ips: [192.0.2.1]\n"
                        "lists:\n  use: []\n  custom:\n%s"
                        "resolver:\n  servers: [127.0.0.1:%d]\n  timeout: 500ms\n"
                        % (custom_list("bl", "bl.test", "ip4",
                                       {"127.0.0.2": ("x", "critical")}), dns.port))
            try:
                r = w.run(["check", "192.0.2.99"])
                self.assertEqual(r.rc, 0, r.err)
                self.assertFalse(os.path.exists(w.db), "a one-off check wrote the state")
                r = w.run(["check"])
                self.assertEqual(r.rc, 0, r.err)
                self.assertTrue(os.path.exists(w.db), "the watchlist check wrote nothing")
            finally:
                w.cleanup()

    def check_links(self, root, rel):
        with open(os.path.join(root, rel)) as f:
            text = f.read()
        base = os.path.dirname(os.path.join(root, rel))
        links = re.findall(r"\]\(([^)\s]+)\)", text)
        for link in links:
            if re.match(r"[a-z]+:", link) or link.startswith("#"):
                continue
            target = os.path.realpath(os.path.join(base, link.split("#")[0]))
            self.assertTrue(target.startswith(os.path.realpath(root) + os.sep),
                            "%s: %s leaves the tree" % (rel, link))
            self.assertTrue(os.path.exists(target), "%s: %s does not exist" % (rel, link))
        # a path in backquotes that climbs out of the tree is a link too,
        # except the optional test corpora the tests skip without
        for path in re.findall(r"`(\.\./[^`\s]+)`", text):
            self.assertTrue(path.startswith("../shared/corpora/"),
                            "%s names %s, outside the tree" % (rel, path))
        return len(links)

    def test_markdown_links_resolve(self):
        self.assertIn("docs/logscan.md", MARKDOWN)
        n = sum(self.check_links(SRC, f) for f in MARKDOWN)
        self.assertGreater(n, 3)

    def see_also_files(self, page):
        section = man(page).split(".SH SEE ALSO\n")[1].split(".SH ")[0]
        files = re.findall(r"^\.I (\S+)", section.replace("\\-", "-"), re.M)
        self.assertTrue(files, page)
        return files

    def test_see_also_files_exist(self):
        for page in ("rblmon.1", "rblmon.yaml.5"):
            for f in self.see_also_files(page):
                # installed docs are named under the prefix; in the tree, docs/
                f = re.sub(r"^share/doc/rblmon/", "docs/", f)
                self.assertTrue(os.path.exists(os.path.join(SRC, f)), "%s: %s" % (page, f))

    @rbltest.unittest.skipUnless(BUILD, "RBLMON_BUILD names the build directory")
    def test_installed_docs_stand_alone(self):
        prefix = tempfile.mkdtemp(prefix="rblmon-prefix.")
        self.addCleanup(shutil.rmtree, prefix, True)
        subprocess.run(["cmake", "--install", BUILD, "--prefix", prefix],
                       check=True, capture_output=True)
        for f in INSTALLED_DOCS:
            self.check_links(prefix, os.path.join("share/doc/rblmon", f))
        named = [f for p in ("rblmon.1", "rblmon.yaml.5") for f in self.see_also_files(p)
                 if f.startswith("share/")]
        self.assertTrue(named)
        for f in named:
            self.assertTrue(os.path.exists(os.path.join(prefix, f)), f)

    def test_readme_quick_start_is_two_commands(self):
        readme = open(os.path.join(SRC, "README.md")).read()
        quick = readme.split("Quick start")[1].split("```")[1]
        cmds = [l.strip() for l in quick.splitlines()[1:] if l.strip()]
        self.assertEqual(cmds, ["make run", "make test"])


if __name__ == "__main__":
    rbltest.main()
