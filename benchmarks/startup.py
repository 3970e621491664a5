"""Startup-time benchmark for ``o4``: how long the CLI takes before doing any work.

Times, as wall clock over N runs (after 2 warm-up runs each), with output discarded:

1. ``python -c pass``             the interpreter's own floor (same python that runs o4)
2. ``o4 --version``               answered before typer is imported
3. ``o4 --help``                  the whole typer/click command tree
4. ``o4 models show --plain``     a real command that needs no network
5. ``llm --help``                 a peer CLI, for comparison (only if found)

Targets: ``o4 --version`` within 60 ms of ``python -c pass``; ``o4 --help`` under
33% of ``llm --help``. Each o4 run gets O4_CONFIG/O4_DATA_DIR in a fresh temporary
folder and no OPENAI_* variables, so the user's config and keys never leak in.

Reproduce (``llm`` lives in a scratch venv, never in o4's dependencies)::

    python3 -m venv /tmp/llm-venv && /tmp/llm-venv/bin/pip install llm
    python benchmarks/startup.py --llm /tmp/llm-venv/bin/llm
    python benchmarks/startup.py --python /tmp/other-venv/bin/python --runs 41 --json

Exits 0 whatever the verdicts; 1 only if a command fails to run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WARMUPS = 2
VERSION_TARGET_MS = 60.0
HELP_TARGET_RATIO = 0.33


class CommandFailed(Exception):
    """A benchmarked command could not be run or exited non-zero."""


def clean_env(tmp: Path) -> dict[str, str]:
    """The caller's environment minus OPENAI_*, with o4's config and data in ``tmp``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env["O4_CONFIG"] = str(tmp / "config.toml")
    env["O4_DATA_DIR"] = str(tmp / "data")
    return env


def time_once(argv: list[str], env: dict[str, str]) -> float:
    """Run ``argv`` once; return its wall time in milliseconds."""
    start = time.perf_counter()
    try:
        rc = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    except OSError as exc:
        raise CommandFailed(f"{' '.join(argv)}: {exc}") from exc
    elapsed = (time.perf_counter() - start) * 1000.0
    if rc != 0:
        raise CommandFailed(f"{' '.join(argv)}: exit status {rc}")
    return elapsed


def measure(argv: list[str], env: dict[str, str], runs: int) -> dict[str, float]:
    """Median, min, stdev and IQR (ms) of ``runs`` timed runs after the warm-ups."""
    for _ in range(WARMUPS):
        time_once(argv, env)
    samples = [time_once(argv, env) for _ in range(runs)]
    q1, _, q3 = statistics.quantiles(samples, n=4) if runs >= 2 else (samples[0],) * 3
    return {
        "median_ms": statistics.median(samples),
        "min_ms": min(samples),
        "stdev_ms": statistics.stdev(samples) if runs >= 2 else 0.0,
        "iqr_ms": q3 - q1,
    }


def verdicts(results: dict[str, dict[str, float]]) -> list[str]:
    """The two target lines, PASS/FAIL, from the measured medians."""
    floor = results["python -c pass"]["median_ms"]
    delta = results["o4 --version"]["median_ms"] - floor
    ok = "PASS" if delta <= VERSION_TARGET_MS else "FAIL"
    lines = [f"o4 --version: +{delta:.1f} ms over python -c pass (target: within 60 ms) {ok}"]
    help_ms = results["o4 --help"]["median_ms"]
    if "llm --help" in results:
        ratio = help_ms / results["llm --help"]["median_ms"]
        ok = "PASS" if ratio < HELP_TARGET_RATIO else "FAIL"
        lines.append(f"o4 --help: {help_ms:.1f} ms = {ratio:.0%} of llm --help (target: under 33%) {ok}")
    else:
        lines.append(f"o4 --help: {help_ms:.1f} ms; llm not measured (target: under 33% of llm --help)")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="timed runs per command (default 21)")
    parser.add_argument("--python", default=sys.executable, help="interpreter that runs o4 (default: this one)")
    parser.add_argument("--o4", help="time this o4 console script instead of `python -m o4cli`")
    parser.add_argument("--llm", help="llm executable to compare against (default: `llm` on PATH)")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    o4 = [args.o4] if args.o4 else [args.python, "-m", "o4cli"]
    llm = args.llm or shutil.which("llm")
    commands: dict[str, list[str]] = {
        "python -c pass": [args.python, "-c", "pass"],
        "o4 --version": [*o4, "--version"],
        "o4 --help": [*o4, "--help"],
        "o4 models show --plain": [*o4, "models", "show", "--plain"],
    }
    if llm:
        commands["llm --help"] = [llm, "--help"]

    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="o4-bench-") as tmp:
        env = clean_env(Path(tmp))
        try:
            for label, argv in commands.items():
                results[label] = measure(argv, env, args.runs)
        except CommandFailed as exc:
            print(f"startup.py: command failed: {exc}", file=sys.stderr)
            return 1

    if args.json:
        print(
            json.dumps(
                {
                    "runs": args.runs,
                    "python": args.python,
                    "llm": llm,
                    "results": results,
                    "verdicts": verdicts(results),
                },
                indent=2,
            )
        )
        return 0
    print(f"{args.runs} runs each after {WARMUPS} warm-ups; python: {args.python}")
    print(f"{'command':<24} {'median ms':>10} {'min ms':>8} {'IQR ms':>8} {'stdev ms':>9}")
    for label, r in results.items():
        print(f"{label:<24} {r['median_ms']:>10.1f} {r['min_ms']:>8.1f} {r['iqr_ms']:>8.1f} {r['stdev_ms']:>9.1f}")
    if not llm:
        print("llm --help               skipped: no llm on PATH (pass --llm PATH)")
    print()
    print("\n".join(verdicts(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
