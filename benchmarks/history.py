"""History benchmark: what keeping a turn costs a call, and how fast ``o4 logs search`` is.

1. overhead: ``o4 ask -q hi`` against the test suite's emulator (in this process), with the
   history on and with ``--no-log``, interleaved, N runs each; medians and the difference.
2. search: a ledger with TURNS turns of varied prose (~1 KB each) is searched for a rare and a
   common word through ``History.find`` with the FTS5 index, then with the index dropped
   (the LIKE scan o4 falls back to without FTS5: the floor an index has to beat); medians of
   REPEAT searches. Inserting the turns is timed too (a turn a transaction, as o4 writes them).

Reproduce::

    /work/venv/bin/python benchmarks/history.py [--runs 15] [--turns 20000]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.emulator import TEST_KEY, Emulator  # noqa: E402

WORDS = (
    "the customer said our order arrived late and the package was damaged but support replied quickly "
    "explain why the function returns None when the list is empty translate into French German Spanish "
    "a database migration failed during deployment because of a missing index on the users table "
    "what are the trade-offs between threads and processes for this workload summarize the review"
).split()


def overhead(runs: int) -> tuple[float, float]:
    emu = Emulator().start()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "OPENAI_API_KEY": TEST_KEY, "OPENAI_BASE_URL": emu.url,
               "O4_CONFIG": f"{tmp}/c.toml", "O4_DATA_DIR": f"{tmp}/data", "PYTHONPATH": str(ROOT)}  # fmt: skip
        times: dict[str, list[float]] = {"on": [], "off": []}
        cmd = [sys.executable, "-m", "o4cli", "ask", "-q", "hi"]
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True)  # the ledger exists
        for _ in range(runs):
            for kind, extra in (("on", []), ("off", ["--no-log"])):
                t = time.perf_counter()
                subprocess.run([*cmd, *extra], env=env, stdout=subprocess.DEVNULL, check=True)
                times[kind].append(time.perf_counter() - t)
    emu.stop()
    return statistics.median(times["on"]) * 1000, statistics.median(times["off"]) * 1000


def search(turns: int, repeat: int = 9) -> dict[str, float]:
    from o4cli.core.history import History
    from o4cli.core.ledger import Ledger

    rng = random.Random(7)
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger.open(Path(tmp))
        hist = History(ledger)
        t = time.perf_counter()
        for i in range(turns):
            prompt = " ".join(rng.choices(WORDS, k=90)) + (" tardigrade" if i % 1000 == 0 else "")
            answer = " ".join(rng.choices(WORDS, k=90))
            hist.add(conversation=f"c_{i // 5}", profile="default", command="ask", api="responses",
                     model="o4-mini", prompt=prompt, answer=answer, status="ok")  # fmt: skip
        out["insert_ms_per_turn"] = (time.perf_counter() - t) * 1000 / turns

        def timed(word: str) -> float:
            samples = []
            for _ in range(repeat):
                t = time.perf_counter()
                hist.find(text=word, limit=20)
                samples.append(time.perf_counter() - t)
            return statistics.median(samples) * 1000

        for label in ("fts5", "like"):
            if label == "like":
                for name in ("history_ai", "history_ad"):
                    ledger.db.execute(f"DROP TRIGGER {name}")
                ledger.db.execute("DROP TABLE history_fts")
            out[f"{label}_rare_ms"] = timed("tardigrade")
            out[f"{label}_common_ms"] = timed("migration")
        ledger.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--turns", type=int, default=20_000)
    args = ap.parse_args()
    on, off = overhead(args.runs)
    print(f"o4 ask -q hi (median of {args.runs}, interleaved): history on {on:.1f} ms · --no-log {off:.1f} ms · "
          f"difference {on - off:+.1f} ms")  # fmt: skip
    s = search(args.turns)
    print(f"{args.turns:,} turns: insert {s['insert_ms_per_turn']:.3f} ms a turn")
    print(f"search, 20 newest matches (median of 9): rare word  FTS5 {s['fts5_rare_ms']:.2f} ms · LIKE {s['like_rare_ms']:.2f} ms")
    print(f"                                         common word FTS5 {s['fts5_common_ms']:.2f} ms · LIKE {s['like_common_ms']:.2f} ms")


if __name__ == "__main__":
    main()
