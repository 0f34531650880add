#!/usr/bin/env python3
"""Golden CLI tests.  Each directory here is a case:
  cmd      arguments, one per line
  env      optional KEY=VALUE lines added to a minimal environment
  stdout   expected standard output   (absent: not compared)
  stderr   expected standard error    (absent: must be empty)
  rc       expected exit code
  *.yaml   copied into the fresh working directory of the case
In outputs the case's directory reads @DIR@ and the source tree @SRC@.
RBLMON_UPDATE=1 rewrites the expected files from what the binary does.
RBLMON_VALGRIND=1 runs every case under valgrind (memcheck): a memory
error or a definite leak fails the case, with valgrind's report."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

binary, cases = os.path.abspath(sys.argv[1]), sys.argv[2]
src = os.environ.get("RBLMON_SRC", os.path.join(cases, "..", ".."))
# JSON output is checked against docs/schema/ too (the integration tests'
# checker)
sys.path.insert(0, os.path.join(src, "tests", "integration"))
import rbltest  # noqa: E402
update = os.environ.get("RBLMON_UPDATE") == "1"
valgrind = os.environ.get("RBLMON_VALGRIND") == "1"
VG_ERROR = 99
failed = passed = 0

for case in sorted(os.listdir(cases)):
    cdir = os.path.join(cases, case)
    if not os.path.isdir(cdir):
        continue
    work = tempfile.mkdtemp(prefix="rblmon-cli.")
    try:
        for f in os.listdir(cdir):
            if f.endswith(".yaml"):
                shutil.copy(os.path.join(cdir, f), work)
        args = [a for a in open(os.path.join(cdir, "cmd")).read().splitlines() if a]
        env = {"PATH": "/usr/bin:/bin", "HOME": work, "LC_ALL": "C",
               "XDG_STATE_HOME": os.path.join(work, "state"),
               "RBLMON_CATALOG": os.path.join(src, "lists")}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                env[k] = os.environ[k]
        if os.path.exists(os.path.join(cdir, "env")):
            for line in open(os.path.join(cdir, "env")).read().splitlines():
                k, _, v = line.partition("=")
                env[k] = v.replace("@DIR@", work)
        wrap = []
        vglog = os.path.join(work, "..", os.path.basename(work) + ".vg")
        if valgrind:
            wrap = ["valgrind", "-q", "--error-exitcode=%d" % VG_ERROR,
                    "--leak-check=full", "--errors-for-leak-kinds=definite",
                    "--show-leak-kinds=definite", "--track-origins=yes",
                    "--log-file=" + vglog]
        p = subprocess.run(wrap + [binary] + args, cwd=work, env=env,
                           capture_output=True, timeout=600 if valgrind else 60)

        def norm(b):
            return (b.decode("utf-8", "replace").replace(work, "@DIR@")
                    .replace(os.path.realpath(src), "@SRC@"))
        got = {"stdout": norm(p.stdout), "stderr": norm(p.stderr),
               "rc": "%d\n" % p.returncode}
        if update:
            for k, v in got.items():
                if k == "stderr" and v == "":
                    if os.path.exists(os.path.join(cdir, k)):
                        os.remove(os.path.join(cdir, k))
                    continue
                open(os.path.join(cdir, k), "w").write(v)
        bad = []
        if valgrind:
            report = open(vglog).read() if os.path.exists(vglog) else ""
            if os.path.exists(vglog):
                os.remove(vglog)
            if p.returncode == VG_ERROR or report.strip():
                bad.append("valgrind:\n" + report)
        if "json" in args and got["stdout"].strip():
            try:
                rbltest.schema_check(json.loads(got["stdout"]))
            except (AssertionError, ValueError) as e:
                bad.append("stdout does not match its schema: %s" % e)
        for k in ("stdout", "stderr", "rc"):
            path = os.path.join(cdir, k)
            if not os.path.exists(path):
                if k == "stderr" and got[k] != "":
                    bad.append("stderr not empty:\n" + got[k])
                continue
            want = open(path).read()
            if want != got[k]:
                bad.append("%s differs:\n--- expected\n%s--- got\n%s" % (k, want, got[k]))
        if bad:
            failed += 1
            print("FAIL %s\n%s" % (case, "\n".join(bad)))
        else:
            passed += 1
            print("ok   %s" % case)
    finally:
        shutil.rmtree(work, ignore_errors=True)

print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed or passed == 0 else 0)
