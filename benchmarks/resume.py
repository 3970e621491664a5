"""What a resumable stream costs: ``o4 stream --resumable`` against plain ``o4 stream``, on a
~20,000-token answer, uncut and cut ten times.

The test suite's emulator (tests/emulator.py) runs in this process and streams 80,000
characters in 4-character deltas (~1 token each) as fast as the client reads. Cases, run
interleaved (one warm-up round, then ``--runs`` rounds; medians), all piped to a pipe this
script drains and checks byte for byte:

a. ``o4 stream``                          (the floor: a foreground stream)
b. ``o4 stream --resumable``              (background mode: the same stream, plus the ledger job)
c. ``o4 stream --resumable``, cut 10 times (``emu.fault(cut_after=1800, times=10)``: each
   connection drops after ~1,800 deltas and is resumed with ``starting_after``)

CPU is user + sys of the command alone (a tiny launcher reads RUSAGE_CHILDREN). Targets:
(b) within 15% of (a) in CPU; each resume in (c) adds under 50 ms of wall time over (b).
Reproduce::

    python benchmarks/resume.py [--runs 5] [--json]

Exits 0 whatever the verdicts; 1 if a case fails or writes the wrong text.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.emulator import TEST_KEY, Emulator  # noqa: E402

LAUNCHER = (
    "import json,resource,subprocess,sys,time\n"
    "t=time.perf_counter(); rc=subprocess.call(sys.argv[2:]); w=time.perf_counter()-t\n"
    "r=resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "open(sys.argv[1],'w').write(json.dumps({'rc':rc,'cpu':r.ru_utime+r.ru_stime,'wall':w}))"
)
CUTS = 10
CUT_AFTER = 1800  # deltas a connection carries before it drops


def make_text(size: int = 80_000, seed: int = 7) -> str:
    rnd = random.Random(seed)
    words = "the stream resumes after a cut from the last event it took and nothing is shown twice".split()
    out, n = [], 0
    while n < size:
        para = " ".join(rnd.choice(words) for _ in range(rnd.randint(40, 90))).capitalize() + ".\n\n"
        out.append(para)
        n += len(para)
    return "".join(out)


def run_case(emu: Emulator, env: dict[str, str], text: str, args: list[str], cuts: int, tmp: Path) -> dict:
    emu.answer(text=text, chunk=4)
    if cuts:
        emu.fault(cut_after=CUT_AFTER, times=cuts, path="/v1/responses")
    before = len(emu.log)
    stats = tmp / "stats.json"
    cmd = [sys.executable, "-c", LAUNCHER, str(stats), sys.executable, "-m", "o4cli", *args]
    proc = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=300)
    emu.faults.clear()
    if proc.returncode != 0 or proc.stdout.decode() != text:
        raise SystemExit(f"case {args} failed (exit {proc.returncode}): {proc.stderr.decode()[-500:]}")
    st = json.loads(stats.read_text())
    return {"cpu": st["cpu"], "wall": st["wall"], "requests": len(emu.log) - before}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    emu = Emulator().start()
    text = make_text()
    cases = {
        "a. o4 stream": (["stream", "-q", "x"], 0),
        "b. o4 stream --resumable": (["stream", "-q", "--resumable", "x"], 0),
        f"c. --resumable, cut {CUTS} times": (["stream", "-q", "--resumable", "x"], CUTS),
    }
    results: dict[str, list[dict]] = {name: [] for name in cases}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "O4_")) and k != "PYTHONUNBUFFERED"
        }
        env.update(
            OPENAI_API_KEY=TEST_KEY, OPENAI_BASE_URL=emu.url, O4_DATA_DIR=str(tmp / "data"),
            O4_CONFIG=str(tmp / "config.toml"), PYTHONPATH=str(ROOT), PYTHONPYCACHEPREFIX=str(tmp / "pyc"),
        )  # fmt: skip
        for round_ in range(a.runs + 1):
            for name, (args, cuts) in cases.items():
                r = run_case(emu, env, text, args, cuts, tmp)
                if round_:  # the first round warms caches
                    results[name].append(r)
    emu.stop()
    med = {n: {k: statistics.median(r[k] for r in rs) for k in ("cpu", "wall")} | {"requests": rs[0]["requests"]}
           for n, rs in results.items()}  # fmt: skip
    names = list(cases)
    a_, b_, c_ = (med[n] for n in names)
    verdict = {
        "resumable CPU / plain CPU": round(b_["cpu"] / a_["cpu"], 3),
        "wall added per resume (ms)": round((c_["wall"] - b_["wall"]) / CUTS * 1000, 1),
    }
    if a.json:
        print(json.dumps({"medians": med, "verdict": verdict, "runs": a.runs, "tokens": len(text) // 4}, indent=2))
        return 0
    print(f"{len(text):,} characters ({len(text) // 4:,} deltas), {a.runs} runs, medians")
    print(f"{'case':36} {'CPU s':>7} {'wall s':>7} {'requests':>9}")
    for n in names:
        m = med[n]
        print(f"{n:36} {m['cpu']:7.2f} {m['wall']:7.2f} {m['requests']:9d}")
    for k, v in verdict.items():
        print(f"{k}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
