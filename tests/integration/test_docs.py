"""The command table, --help, the man page and the README agree."""
import os
import re
import rbltest
from rbltest import SRC, run


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

    def test_readme_quick_start_is_two_commands(self):
        readme = open(os.path.join(SRC, "README.md")).read()
        quick = readme.split("Quick start")[1].split("```")[1]
        cmds = [l.strip() for l in quick.splitlines()[1:] if l.strip()]
        self.assertEqual(cmds, ["make run", "make test"])


if __name__ == "__main__":
    rbltest.main()
