"""What spend tracking costs a call.

1. The budget check (one ``BEGIN IMMEDIATE`` transaction: the period's spend summed, the
   worst case held; then released) on a ledger holding a month of calls, beside the floor
   of writing one ledger row.
2. ``o4 ask`` as a real process against the emulator, interleaved: without OpenTelemetry,
   exporting to a live OTLP/HTTP receiver, and to a collector that refuses connections.

    python benchmarks/spend.py [--rows 20000] [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from o4cli.core import budget  # noqa: E402
from o4cli.core.config import Settings  # noqa: E402
from o4cli.core.cost import Usage  # noqa: E402
from o4cli.core.ledger import Ledger  # noqa: E402


def median_ms(fn, n: int) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def budget_check(rows: int) -> None:
    with tempfile.TemporaryDirectory() as d:
        led = Ledger.open(Path(d))
        start = datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0)
        led.db.execute("BEGIN")
        for i in range(rows):
            at = (start + timedelta(seconds=i * 60)).isoformat(timespec="seconds")
            led.db.execute(
                "INSERT INTO requests (created_at, command, profile, model, pricing, input_tokens, output_tokens,"
                " cost_usd) VALUES (?, 'ask', 'default', 'o4-mini', 'standard', 1000, 100, '0.00154')",
                (at,),
            )
        led.db.execute("COMMIT")
        s = Settings(profile="default", config_path=Path(d) / "c.toml", data_dir=Path(d),
                     budget_daily=1e6, budget_monthly=1e6)  # fmt: skip

        def check() -> None:
            budget.release(led.db, budget.hold(led.db, s, Decimal("0.44"), "ask", what="this call"))

        def write() -> None:
            led.record_request(command="ask", profile="other", model="o4-mini", endpoint="/v1/responses",
                               usage=Usage(1, 0, 1), cost_usd=Decimal("0.000001"))  # fmt: skip

        for _ in range(20):
            check()
            write()
        a = [median_ms(check, 50) for _ in range(3)]
        b = [median_ms(write, 50) for _ in range(3)]
        print(f"budget check (daily + monthly, {rows:,} rows this month): {statistics.median(a):.2f} ms")
        print(f"floor, one ledger row written:                          {statistics.median(b):.2f} ms")
        led.close()


def otel_cost(runs: int) -> None:
    from tests.emulator import TEST_KEY, Emulator
    from tests.otlp_receiver import Receiver

    emu = Emulator().start()
    rx = Receiver().start()
    with tempfile.TemporaryDirectory() as d:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "O4_", "OPENAI_"))}
        base.update(OPENAI_API_KEY=TEST_KEY, OPENAI_BASE_URL=emu.url, O4_DATA_DIR=d, O4_CONFIG=f"{d}/c.toml")
        cases = {
            "o4 ask, no OpenTelemetry": base,
            "o4 ask, exporting to a live receiver": {**base, "OTEL_EXPORTER_OTLP_ENDPOINT": rx.url},
            "o4 ask, collector refusing connections": {**base, "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9"},
        }
        times: dict[str, list[float]] = {k: [] for k in cases}
        for i in range(runs + 1):
            for name, env in cases.items():
                t = time.perf_counter()
                subprocess.run([sys.executable, "-m", "o4cli", "ask", "hi", "-q"], env=env, capture_output=True, check=True)
                if i:  # the first round warms the disk cache
                    times[name].append(time.perf_counter() - t)
        for name, ts in times.items():
            print(f"{name + ':':42} {statistics.median(ts) * 1000:7.0f} ms (median of {runs})")
    rx.stop()
    emu.stop()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=20_000)
    p.add_argument("--runs", type=int, default=7)
    a = p.parse_args()
    budget_check(a.rows)
    otel_cost(a.runs)


if __name__ == "__main__":
    main()
