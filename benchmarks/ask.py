"""CPU of a one-off call: ``o4 ask "hi"`` side by side with a bare stdlib urllib script
doing the same request, and with ``llm`` (a peer, in a scratch venv).

What runs
---------
The test emulator (tests/emulator.py) serves in this process on 127.0.0.1 (plain http, so
TLS costs nothing for anyone). Each command is a child process; its CPU (user + sys) comes from
``os.wait4``, its wall time from this process. Commands run round-robin
(``--runs`` rounds after 2 warm-up rounds), so load on the machine hits all of them alike;
figures are medians.

* ``python -c pass``: the interpreter's floor.
* urllib: ``python -c SCRIPT``: ``urllib.request`` POSTs the body ``o4 ask hi`` sends
  (model, input, reasoning effort) to ``/v1/responses``, parses the JSON and prints the
  answer's text. The floor for "one request from Python".
* ``o4 ask hi``: the ``o4`` console script next to ``--python`` (what a user runs), with fresh
  config and data folders (it writes its ledger and history rows, as every call does); and
  ``python -m o4cli ask hi`` the same way.
* ``--o4-src NAME=DIR`` (repeatable): the same with ``PYTHONPATH=DIR``, i.e. another
  checkout's ``o4cli`` (how the README's step-by-step savings were measured).
* ``llm -m o4-mini hi`` with ``LLM_USER_PATH`` in a temporary folder and
  ``OPENAI_BASE_URL`` pointing at the emulator (llm logs each prompt to SQLite, as o4 does).

Target (issue 12): o4's CPU at most 2x the urllib script's.

Measure o4 as a user has it: a regular (not editable) install, whose bytecode pip wrote. An
editable install (``pip install -e``) adds its import hook to every interpreter start,
``python -c pass`` included (pathlib and importlib.util loaded before anything runs), which
hides part of o4's own start-up.

Reproduce::

    python3 -m venv /tmp/venv-reg && /tmp/venv-reg/bin/pip install .     # o4 as users install it
    python3 -m venv /tmp/venv-llm && /tmp/venv-llm/bin/pip install llm   # never an o4 dependency
    python benchmarks/ask.py --python /tmp/venv-reg/bin/python --llm /tmp/venv-llm/bin/llm \
        [--runs 21] [--o4-src before=/tmp/o4-before] [--json]

Exits 0 whatever the verdict; 1 if a command fails.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.emulator import TEST_KEY, Emulator  # noqa: E402

WARMUPS = 2
TARGET = 2.0
URLLIB = """\
import json, os, urllib.request
body = {"model": "o4-mini", "input": "hi", "reasoning": {"effort": "medium"}}
req = urllib.request.Request(
    os.environ["OPENAI_BASE_URL"].rstrip("/") + "/responses",
    data=json.dumps(body).encode(),
    headers={"Authorization": "Bearer " + os.environ["OPENAI_API_KEY"], "Content-Type": "application/json"},
)
with urllib.request.urlopen(req) as resp:
    answer = json.load(resp)
print("".join(c.get("text", "") for o in answer["output"] if o["type"] == "message" for c in o["content"]))
"""


class CommandFailed(Exception):
    pass


def once(argv: list[str], env: dict[str, str], folder: Path) -> dict[str, float]:
    """Run ``argv`` once: wall time and the child's own CPU (user + sys)."""
    with (folder / "out").open("w+b") as out, (folder / "err").open("w+b") as err:
        start = time.perf_counter()
        # cwd: a neutral folder, so `-m o4cli` finds the o4cli of PYTHONPATH (or the installed one),
        # not one in the current directory
        proc = subprocess.Popen(argv, env=env, cwd=folder, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        text, problems = out.read(), err.read()
    if proc.returncode != 0 or (argv[1:] != ["-c", "pass"] and b"hi" not in text):
        raise CommandFailed(f"{' '.join(argv[:3])}: exit {proc.returncode}: {problems.decode(errors='replace')[-400:]}")
    return {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--llm", metavar="PATH", help="the llm command (in its own venv)")
    ap.add_argument("--o4-src", action="append", default=[], metavar="NAME=DIR", help="another o4cli checkout")
    ap.add_argument("--python", default=sys.executable, help="the Python that runs o4 and the urllib script")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    emu = Emulator().start()
    tmp = Path(tempfile.mkdtemp(prefix="o4-ask-bench-"))
    # PYTHONDONTWRITEBYTECODE dropped: the warm-up rounds write the bytecode of the o4cli
    # measured, as pip writes it when a user installs o4 (without it every run compiles o4cli)
    drop = ("OPENAI_", "O4_", "LLM_", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE")
    base = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    base.update(OPENAI_API_KEY=TEST_KEY, OPENAI_BASE_URL=emu.url)
    py = args.python
    cases: list[tuple[str, list[str], dict[str, str]]] = [
        ("python -c pass", [py, "-c", "pass"], base),
        ("urllib script", [py, "-c", URLLIB], base),
    ]

    def o4_env(name: str, src: str | None) -> dict[str, str]:
        env = {**base, "O4_CONFIG": str(tmp / name / "config.toml"), "O4_DATA_DIR": str(tmp / name / "data")}
        if src:
            env["PYTHONPATH"] = src
        return env

    script = Path(py).parent / "o4"  # the command a user runs (pip's console script), when installed
    o4_argv = [str(script)] if script.exists() else [py, "-m", "o4cli"]
    cases.append(("o4 ask hi", [*o4_argv, "ask", "hi"], o4_env("o4", None)))
    cases.append(("python -m o4cli ask hi", [py, "-m", "o4cli", "ask", "hi"], o4_env("o4m", None)))
    for spec in args.o4_src:
        name, _, src = spec.partition("=")
        cases.append((f"o4 ask hi [{name}]", [py, "-m", "o4cli", "ask", "hi"], o4_env(name, src)))
    llm_note = None
    if args.llm and Path(args.llm).exists():
        cases.append(("llm -m o4-mini hi", [args.llm, "-m", "o4-mini", "hi"], {**base, "LLM_USER_PATH": str(tmp / "llm")}))
    else:
        llm_note = f"llm skipped: {args.llm or 'no --llm given'}"
    samples: dict[str, list[dict[str, float]]] = {name: [] for name, _, _ in cases}
    try:
        for round_ in range(WARMUPS + args.runs):
            for name, argv, env in cases:
                m = once(argv, env, tmp)
                if round_ >= WARMUPS:
                    samples[name].append(m)
    except CommandFailed as exc:
        print(f"failed: {exc}", file=sys.stderr)
        return 1
    finally:
        emu.stop()
    rows: dict[str, dict[str, Any]] = {}
    for name, ms in samples.items():
        rows[name] = {
            "cpu_ms": round(statistics.median(m["cpu"] for m in ms) * 1000, 1),
            "cpu_ms_min": round(min(m["cpu"] for m in ms) * 1000, 1),
            "wall_ms": round(statistics.median(m["wall"] for m in ms) * 1000, 1),
        }
    floor = rows["urllib script"]["cpu_ms"]
    for r in rows.values():
        r["x_urllib"] = round(r["cpu_ms"] / floor, 2)
    ratio = rows["o4 ask hi"]["x_urllib"]
    verdict = f"{'PASS' if ratio <= TARGET else 'FAIL'}  o4 ask CPU <= {TARGET:g}x the urllib script ({ratio:.2f}x)"
    report = {
        "python": sys.version.split()[0], "cpus": os.cpu_count(), "load": round(os.getloadavg()[0], 2),
        "runs": args.runs, "rows": rows, "llm_note": llm_note, "verdict": verdict,
    }  # fmt: skip
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{'command':<28} {'CPU ms':>8} {'x urllib':>9} {'min CPU ms':>10} {'wall ms':>8}")
    for name, r in rows.items():
        print(f"{name:<28} {r['cpu_ms']:>8.1f} {r['x_urllib']:>9.2f} {r['cpu_ms_min']:>10.1f} {r['wall_ms']:>8.1f}")
    if llm_note:
        print(llm_note)
    print(f"medians of {args.runs} interleaved runs; python {report['python']}, {report['cpus']} CPUs, load {report['load']}")
    print(verdict)
    return 0


if __name__ == "__main__":
    sys.exit(main())
