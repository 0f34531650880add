"""Shell completion (issue 21): contrib/completion/rblmon.bash, sourced in
bash --norc, completes commands, each command's options (as its --help
says), option values, list names, and the reminder IDs of a real state
(from status, read only: the reminder stays due); the zsh file parses."""
import json
import os
import shutil
import subprocess
import unittest

import rbltest
from rbltest import RBLMON, SRC, Rbldnsd, Workdir, custom_list

BASH = os.path.join(SRC, "contrib", "completion", "rblmon.bash")
ZSH = os.path.join(SRC, "contrib", "completion", "_rblmon")
ZONES = {"bl.test": ("ip4set", ":127.0.0.2:spam\n127.0.0.2\n192.0.2.1\n")}
BL = custom_list("bl", "bl.test", "ip4", {"127.0.0.2": ("spam", "critical")})


def complete(words, env=None, helper=None):
    """COMPREPLY for COMP_WORDS = words (the last one being completed), or
    the output of a helper function of the completion file."""
    script = 'source "$1"; shift\n'
    if helper:
        script += '%s "$@"\n' % helper
    else:
        script += ('COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()\n'
                   '_rblmon\nprintf "%s\\n" "${COMPREPLY[@]}"\n')
    e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C",
         "HOME": "/nonexistent"}
    e.update(env or {})
    r = subprocess.run(["bash", "--norc", "--noprofile", "-c", script, "bash", BASH]
                       + list(words), capture_output=True, text=True, env=e, timeout=60)
    if r.returncode != 0 or r.stderr:
        raise AssertionError("bash: %d %s" % (r.returncode, r.stderr))
    return [l for l in r.stdout.splitlines() if l]


@unittest.skipUnless(shutil.which("bash"), "bash is not installed")
class BashCompletion(unittest.TestCase):
    def test_commands(self):
        help_cmds = [l.split()[0] for l in subprocess.run(
            [RBLMON, "--help"], capture_output=True, text=True).stdout
            .split("Commands:\n")[1].split("\n\n")[0].splitlines()]
        self.assertEqual(complete([RBLMON, ""]), help_cmds)
        self.assertEqual(complete([RBLMON, "sn"]), ["snooze"])
        self.assertEqual(complete([RBLMON, "s"]), ["scan-logs", "status", "snooze", "spf"])
        self.assertEqual(complete([RBLMON, "-c", "x.yaml", "ch"]), ["check"])
        self.assertEqual(complete([RBLMON, "config", ""]), ["check"])

    def test_options_per_command(self):
        check = complete([RBLMON, "check", "--"])
        for o in ("--all", "--changes-only", "--no-state", "--output", "--config",
                  "--format"):
            self.assertIn(o, check)
        self.assertNotIn("--probe", check)  # lists only
        self.assertEqual(complete([RBLMON, "check", "--ch"]), ["--changes-only"])
        self.assertEqual(complete([RBLMON, "lists", "--p"]), ["--probe"])
        self.assertEqual(complete([RBLMON, "spf", "--s"]), ["--sender"])
        self.assertEqual(complete([RBLMON, "check", "--format", "p"]), ["prometheus"])
        self.assertEqual(complete([RBLMON, "--"]),
                         ["--config", "--format", "--help", "--version"])

    def test_list_names(self):
        names = complete([RBLMON], helper="_rblmon_list_names")
        catalog = [l["name"] for l in json.loads(subprocess.run(
            [RBLMON, "lists", "--all", "--format", "json"], capture_output=True,
            text=True, env={"RBLMON_CATALOG": rbltest.CATALOG, "PATH": "/usr/bin:/bin",
                            "HOME": "/nonexistent"}).stdout)["lists"]]
        self.assertIn("spamhaus-zen", catalog)
        self.assertEqual(names, catalog)

    def test_reminder_ids_read_only(self):
        with Rbldnsd(ZONES) as dns:
            w = Workdir("watchlists:\n  - name: out\n    ips: [192.0.2.1]\n"
                        "lists:\n  use: []\n  custom:\n%s"
                        "resolver:\n  servers: [127.0.0.1:%d]\n  timeout: 500ms\n"
                        % (BL, dns.port))
            self.addCleanup(w.cleanup)
            self.assertEqual(w.run(["check"]).rc, 2)
        env = w.env()
        ids = complete([RBLMON, "-c", w.config_path, "ack", ""], env)
        status = json.loads(w.run(["status", "--format", "json"]).out)
        self.assertEqual(ids, [str(status["listings"][0]["reminder"]["id"])])
        self.assertEqual(complete([RBLMON, "-c", w.config_path, "snooze", ids[0][:1]],
                                  env), ids)
        self.assertEqual(complete([RBLMON, "-c", w.config_path, "history", ""], env),
                         ["192.0.2.1"])
        # completing did not mark the reminder sent: remind still has it due
        due = json.loads(w.run(["remind", "--format", "json"]).out)["reminders"]
        self.assertEqual([str(r["id"]) for r in due], ids)


@unittest.skipUnless(shutil.which("zsh"), "zsh is not installed (apt-get install zsh)")
class ZshCompletion(unittest.TestCase):
    def test_parses(self):
        r = subprocess.run(["zsh", "-n", ZSH], capture_output=True, text=True)
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        with open(ZSH) as f:
            self.assertEqual(f.readline(), "#compdef rblmon\n")


if __name__ == "__main__":
    rbltest.main()
