"""Batch benchmark for ``o4 batch``: planning a 100 MB input and ordering 50,000 results.

1. dry-run: a 50,000-line plain-text prompt file of ~100 MB (~2,000 bytes a line of varied
   prose, some non-ASCII) is checked and planned by ``o4 batch submit FILE --dry-run``
   (no key, nothing uploaded); the plan must count 50,000 requests.
2. results: the test suite's emulator (tests/emulator.py) runs in this process with every
   batch phase ~0 s. ``o4 batch submit`` uploads a 50,000-line prompt file (60-1,200
   characters a line, so the echoed output lines are ~0.9-2.2 KB), ``o4 batch status ID
   --watch --interval 0.1`` waits, then ``o4 batch results ID -o OUT`` downloads the (shuffled) output
   and writes it in input order; OUT must hold line-1..line-50000, each echoing its prompt.

Each command is a child process with O4_CONFIG/O4_DATA_DIR in a temporary folder (tier 5
for step 2, so the input stays one shard). A tiny launcher (``python -I -S``) starts it and
reports its wall time and its own max RSS (``os.wait4``, KiB on Linux): a child forked
straight from this big process would inherit this process's RSS high-water mark as its
ru_maxrss (Linux carries it across fork and exec), so the floor is the launcher's ~10 MB.
Targets: dry-run and results each under 10 s and under 300 MB peak.

Reproduce::

    /work/venv/bin/python benchmarks/batch.py [--json] [--keep]

Exits 0 whatever the verdicts; 1 if a step fails to run or writes the wrong thing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from launch import StepFailed, env_for, run  # noqa: E402 - benchmarks/launch.py

from tests.emulator import TEST_KEY, Emulator  # noqa: E402

LINES = 50_000
TARGET_S, TARGET_MB = 10.0, 300.0
O4 = [sys.executable, "-m", "o4cli"]
WORDS = (
    "the customer said that our order arrived late and the package was damaged but support "
    "replied quickly with a refund please summarize this review in two sentences explain why "
    "the function returns None when the list is empty translate into French German Spanish "
    "classify sentiment as positive negative or neutral a database migration failed during "
    "deployment because of a missing index on the users table what are the trade-offs between "
    "caching and recomputing write a short product description for a waterproof hiking boot "
    "with vibram soles meeting notes from Tuesday budget review quarterly revenue grew eight "
    "percent while costs stayed flat café naïve Zürich São Paulo résumé 東京 データ 😀 "
    "invoice #4821 due 2025-07-01 total $1,249.99 contact support@example.com for details"
).split()
TASKS = (
    "Summarize:",
    "Translate to French:",
    "Classify the sentiment:",
    "Answer briefly:",
    "Extract the dates and amounts:",
    "Rewrite politely:",
)




def prompts(n: int, lo: int, hi: int, seed: int) -> Iterator[str]:
    """``n`` varied prose prompts of ``lo``..``hi`` characters, no blank ones, no newlines
    (a generator: the same seed gives the same prompts, and this process stays small)."""
    rng = random.Random(seed)
    pool = []
    for _ in range(4000):
        s = " ".join(rng.choices(WORDS, k=rng.randint(6, 22)))
        pool.append(s[0].upper() + s[1:] + rng.choice(".?!;"))
    for i in range(n):
        target, parts, size = rng.randint(lo, hi), [rng.choice(TASKS)], 0
        while size < target:
            s = rng.choice(pool)
            parts.append(s)
            size += len(s) + 1
        yield " ".join(parts)[:target].rstrip() + f" (ref {i + 1})"


def write_lines(path: Path, lines: Iterable[str]) -> int:
    with path.open("w", encoding="utf-8") as fh:
        fh.writelines(f"{s}\n" for s in lines)
    return path.stat().st_size






def dry_run(tmp: Path) -> dict:
    folder = tmp / "dry"
    folder.mkdir()
    path = folder / "prompts.txt"
    size = write_lines(path, prompts(LINES, 1500, 2500, seed=1))
    res = run([*O4, "batch", "submit", str(path), "--dry-run", "--plain"], env_for(folder), folder, "dry-run")
    m = re.search(r"^requests:\s*([\d,]+)", res["stdout"], re.M)
    if not m or int(m.group(1).replace(",", "")) != LINES:
        raise StepFailed(f"dry-run: no plan with {LINES:,} requests:\n{res['stdout'][:2000]}")
    shards = len(re.findall(r"^\d+\t\d+-\d+\t", res["stdout"], re.M))
    return {"input_mb": round(size / 1e6, 1), "shards": shards, **{k: res[k] for k in ("wall_s", "peak_mb", "cpu_s")}}


def check_output(out: Path, texts: Iterator[str]) -> None:
    """OUT is line-1..line-50000 in order, each line echoing its own prompt."""
    n = 0
    with out.open("rb") as fh:
        for n, (text, line) in enumerate(zip(texts, fh, strict=False), 1):  # texts first: no line of OUT lost
            m = re.search(rb'"custom_id":\s*"([^"]*)"', line)
            if not m or m.group(1) != f"line-{n}".encode():
                raise StepFailed(f"results: line {n} is {m.group(1) if m else line[:80]!r}, not line-{n}")
            if json.dumps("Echo: " + text).encode() not in line:
                raise StepFailed(f"results: line {n} does not echo prompt {n}")
        extra = fh.read(1)
    if n != LINES or extra:
        raise StepFailed(f"results: {n:,} lines{' and more' if extra else ''}, not {LINES:,}")


def results(tmp: Path) -> dict:
    folder = tmp / "res"
    folder.mkdir()
    path = folder / "prompts.txt"
    size = write_lines(path, prompts(LINES, 60, 1200, seed=2))
    emu = Emulator().start()
    emu.batch_timing.update(validating=0.0, in_progress=0.0, finalizing=0.0)
    try:
        env = env_for(folder, OPENAI_API_KEY=TEST_KEY, OPENAI_BASE_URL=emu.url)
        run([*O4, "config", "set", "tier", "5"], env, folder, "config")
        sub = run([*O4, "batch", "submit", str(path), "-q"], env, folder, "submit")
        ids = sub["stdout"].split()
        if len(ids) != 1:
            raise StepFailed(f"submit: expected one batch id, got {ids!r}")
        wait = run([*O4, "batch", "status", ids[0], "--watch", "--interval", "0.1", "-q"], env, folder, "status")
        out = folder / "out.jsonl"
        res = run([*O4, "batch", "results", ids[0], "-o", str(out)], env, folder, "results")
        check_output(out, prompts(LINES, 60, 1200, seed=2))
        out_size = out.stat().st_size
    finally:
        emu.stop()
    return {
        "input_mb": round(size / 1e6, 1),
        "output_mb": round(out_size / 1e6, 1),
        "output_avg_line_bytes": out_size // LINES,
        "submit": {k: sub[k] for k in ("wall_s", "peak_mb", "cpu_s")},
        "status_watch": {k: wait[k] for k in ("wall_s", "peak_mb", "cpu_s")},
        **{k: res[k] for k in ("wall_s", "peak_mb", "cpu_s")},
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", action="store_true", help="print one JSON document")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (path on stderr)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="o4-batch-bench-"))
    report: dict = {"python": sys.version.split()[0], "cpus": os.cpu_count(), "load_before": os.getloadavg()[0]}
    try:
        report["dry_run"] = dry_run(tmp)
        report["results"] = results(tmp)
    except StepFailed as exc:
        print(f"step failed: {exc}", file=sys.stderr)
        return 1
    finally:
        report["load_after"] = os.getloadavg()[0]
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    verdicts = report["verdicts"] = {}
    for step in ("dry_run", "results"):
        verdicts[f"{step} wall < {TARGET_S:.0f} s"] = report[step]["wall_s"] < TARGET_S
        verdicts[f"{step} peak < {TARGET_MB:.0f} MB"] = report[step]["peak_mb"] < TARGET_MB
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    d, r = report["dry_run"], report["results"]
    rows = [
        ("dry-run (plan)", f"{d['input_mb']} MB in, {d['shards']} shards", d),
        ("submit (upload)", f"{r['input_mb']} MB prompts in", r["submit"]),
        ("status --watch", "polls 0.1 s, doubling", r["status_watch"]),
        ("results -o (order)", f"{r['output_mb']} MB out, ~{r['output_avg_line_bytes']} B/line", r),
    ]
    print(f"{'step':<20} {'data':<34} {'wall s':>8} {'cpu s':>8} {'peak MB':>8}")
    for name, data, m in rows:
        print(f"{name:<20} {data:<34} {m['wall_s']:>8.2f} {m['cpu_s']:>8.2f} {m['peak_mb']:>8.1f}")
    print(
        f"python {report['python']}, {report['cpus']} CPUs, load {report['load_before']:.2f} -> {report['load_after']:.2f}"
    )
    for name, ok in verdicts.items():
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
