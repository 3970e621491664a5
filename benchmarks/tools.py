"""Tool-chain benchmark: what o4 adds to each tool step and each model turn.

The test suite's emulator (tests/emulator.py) runs in this process; its model calls a tool
when the prompt says ``CALL name {args}`` (several on one line: one turn, several calls;
several lines: several turns). The tool is ``cat`` (its output is its arguments). Cases,
run interleaved (``--runs`` rounds after a warm-up; medians of wall time of the whole
``python -m o4cli ask`` process):

a. 1 call in 1 turn           b. 21 calls in 1 turn      (per step: (b - a) / 20)
c. 1 call a turn, 6 turns     (per turn: (c - a) / 5, --chain-limit 6)
d. floor: ``subprocess.run(["cat"], input=<the JSON arguments>)`` 20 times in this process
   (per step), i.e. the cost of starting the tool itself

Reproduce::

    /work/venv/bin/python benchmarks/tools.py [--runs 5]
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.emulator import TEST_KEY, Emulator  # noqa: E402

ARGS = '{"q": "benchmark"}'


def prompt(calls: int, turns: int) -> str:
    line = " ".join(f"CALL lookup {ARGS}" for _ in range(calls))
    return "\n".join([line] * turns)


def o4(env: dict[str, str], tool: str, text: str, limit: int) -> float:
    started = time.perf_counter()
    r = subprocess.run(
        [sys.executable, "-m", "o4cli", "ask", "-q", "--tool", tool, "--chain-limit", str(limit), text],
        env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    wall = time.perf_counter() - started
    if r.returncode != 0 or not r.stdout.startswith("Tool said: "):
        raise SystemExit(f"o4 failed ({r.returncode}): {r.stderr.strip()}")
    return wall


def floor(n: int = 20) -> float:
    started = time.perf_counter()
    for _ in range(n):
        subprocess.run(["cat"], input=ARGS.encode(), capture_output=True, check=True)
    return (time.perf_counter() - started) / n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    emu = Emulator().start()
    with tempfile.TemporaryDirectory() as tmp:
        tool = Path(tmp) / "lookup.toml"
        tool.write_text('name = "lookup"\ncommand = ["cat"]\nsafe = true\n')
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": tmp, "OPENAI_API_KEY": TEST_KEY,
            "OPENAI_BASE_URL": emu.url, "O4_CONFIG": f"{tmp}/config.toml", "O4_DATA_DIR": f"{tmp}/data",
            "PYTHONPATH": str(ROOT), "PYTHONPYCACHEPREFIX": f"{tmp}/pycache",
        }  # fmt: skip
        cases = {"a": (prompt(1, 1), 6), "b": (prompt(21, 1), 6), "c": (prompt(1, 6), 6)}
        times: dict[str, list[float]] = {k: [] for k in (*cases, "d")}
        for run in range(a.runs + 1):
            for key, (text, limit) in cases.items():
                t = o4(env, str(tool), text, limit)
                if run:
                    times[key].append(t)
            emu.reset()
            if run:
                times["d"].append(floor())
    emu.stop()
    med = {k: statistics.median(v) for k, v in times.items()}
    step = (med["b"] - med["a"]) / 20
    turn = (med["c"] - med["a"]) / 5
    result = {
        "one_call_s": round(med["a"], 3), "21_calls_s": round(med["b"], 3), "6_turns_s": round(med["c"], 3),
        "per_step_s": round(step, 4), "per_turn_s": round(turn, 4), "floor_per_spawn_s": round(med["d"], 4),
        "step_over_floor": round(step / med["d"], 2) if med["d"] else None,
    }  # fmt: skip
    if a.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k:>18}  {v}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
