"""Usage benchmark for ``o4 usage``: a 1,000,000-row ledger against a plain sqlite3 GROUP BY.

1. fill: a ledger is created with the FIRST schema o4 ever shipped (migration m001 only, as
   an old o4 would have left it) and filled with 1,000,000 request rows in one transaction
   (``executemany``): 365 days, 4 models, 6 commands, 3 profiles, standard/flex/batch pricing,
   ~2% failed calls without a cost, costs computed exactly from the catalog's prices (up to 10
   decimal places). The exact totals are summed here with ``Decimal`` while filling.
2. migrate: the first ``o4 usage`` opens that old ledger and applies the later migrations
   (timed once, reported apart).
3. the race: ``o4 usage --json`` (by day), ``--by model`` and ``--since 30d`` each against
   the same GROUP BY in the ``sqlite3`` command-line shell (or, without it, a ``python -c``
   script using the sqlite3 module), interleaved, median of ``--runs`` rounds. Every o4 run
   must report 1,000,000 requests (``--since``: the rows of the last 30 days) and the exact
   total cost; the peer sums the TEXT cost column as floats, as anyone typing the query would.

Each command is a child process started by a tiny launcher (``python -I -S``) that reports
its wall time, CPU and own peak RSS (``os.wait4``), so this big process's memory is not
inherited; ``o4 usage`` on an empty ledger shows o4's fixed cost (start-up). Target: ``o4
usage`` over the whole ledger (by day, by model) at most 2x the sqlite3 GROUP BY, memory
flat; the ``--since`` case (a twelfth of the rows) is shown, not judged: start-up is most of it.

With ``--before PYTHON`` (an interpreter with another o4 installed, e.g. the previous
release in a scratch venv) that o4 is timed in the same rounds, for before/after.

Reproduce::

    /work/venv/bin/python benchmarks/usage.py [--rows 1000000] [--runs 5] [--before PYTHON] [--json]

Exits 0 whatever the verdicts; 1 if a command fails or reports the wrong totals.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from launch import StepFailed, env_for, run  # noqa: E402 - benchmarks/launch.py

from o4cli.core.catalog import price_for  # noqa: E402
from o4cli.core.cost import Usage, cost, micro  # noqa: E402
from o4cli.core.ledger import MIGRATIONS  # noqa: E402

O4 = [sys.executable, "-m", "o4cli"]
TARGET_RATIO = 2.0
DAYS, SINCE_DAYS = 365, 30
MODELS = ("o4-mini", "o4-mini-2025-04-16", "ft:o4-mini-2025-04-16:acme::abc123", "gpt-unknown")
COMMANDS = ("ask", "stream", "batch", "batch run", "finetune", "ask")
PROFILES = ("default", "work", "ci")
PRICING = ("standard", "standard", "standard", "flex", "batch")
COLUMNS = (
    "created_at, command, profile, model, endpoint, pricing, input_tokens, cached_tokens, output_tokens,"
    " reasoning_tokens, cost_usd, status, response_id, duration_s"
)
SQL_TOTALS = (
    "count(*), sum(input_tokens), sum(cached_tokens), sum(output_tokens), sum(reasoning_tokens),"
    " sum(cost_usd), sum(cost_usd IS NULL)"
)
PEER_PY = (
    "import sqlite3,sys\n"
    "db=sqlite3.connect(sys.argv[1])\n"
    "for r in db.execute(sys.argv[2]): print(*r, sep='|')"
)




def old_ledger(path: Path) -> sqlite3.Connection:
    """A ledger as the first o4 release created it: migration m001 and nothing later."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    name, m001 = MIGRATIONS[0]
    assert name == "m001_initial"
    db.execute("BEGIN")
    m001(db)
    db.execute("INSERT INTO _migrations VALUES (?, ?)", (name, "2025-12-01T00:00:00+00:00"))
    db.execute("PRAGMA user_version = 1")
    db.execute("COMMIT")
    return db


def rows(n: int, end: datetime, seed: int, totals: dict) -> Iterator[tuple]:
    """``n`` request rows, oldest first, spread over DAYS days up to ``end``; adds up
    ``totals`` (requests, exact cost, requests since the --since cutoff) as it goes."""
    rng = random.Random(seed)
    start = end - timedelta(days=DAYS)
    step = (end - start).total_seconds() / n
    cutoff = (end - timedelta(days=SINCE_DAYS)).isoformat(timespec="seconds")
    pool = []  # 4,096 distinct calls, drawn at random: Decimal cost math once each
    for _ in range(4096):
        model, pricing = rng.choice(MODELS), rng.choice(PRICING)
        inp = rng.randint(20, 60_000)
        usage = Usage(inp, rng.choice((0, 0, inp // 2)), (out := rng.randint(10, 20_000)), out * 3 // 4)
        price = price_for(model, pricing)
        failed = rng.random() < 0.02
        amount = None if failed or price is None else cost(usage, price)
        pool.append((model, pricing, usage if not failed else Usage(), amount, "error" if failed else "ok"))
    for i in range(n):
        model, pricing, u, amount, status = pool[rng.randrange(4096)]
        stamp = (start + timedelta(seconds=i * step)).isoformat(timespec="seconds")
        totals["requests"] += 1
        if amount is not None:
            totals["cost"] += amount
        if stamp >= cutoff:
            totals["since_requests"] += 1
        yield (
            stamp, COMMANDS[i % 6], PROFILES[i % 3], model, "/v1/responses", pricing,
            u.input_tokens, u.cached_tokens, u.output_tokens, u.reasoning_tokens,
            None if amount is None else str(amount), status, f"resp_{i}", 1.5,
        )  # fmt: skip


def fill(db: sqlite3.Connection, n: int, totals: dict) -> None:
    db.execute("BEGIN")
    db.executemany(f"INSERT INTO requests ({COLUMNS}) VALUES ({','.join('?' * 14)})", rows(n, datetime.now(UTC), 1, totals))
    db.execute("COMMIT")






def peer(db_path: Path, sql: str) -> list[str]:
    cli = shutil.which("sqlite3")
    if cli:
        return [cli, "-readonly", str(db_path), sql]
    return [sys.executable, "-c", PEER_PY, str(db_path), sql]


def check(doc: dict, requests: int, exact: Decimal | None) -> None:
    total = doc["total"]
    if total["requests"] != requests or sum(r["requests"] for r in doc["rows"]) != requests:
        raise StepFailed(f"o4 usage counted {total['requests']:,} requests, not {requests:,}")
    if exact is not None and Decimal(str(total["cost_usd"])) != micro(exact):
        raise StepFailed(f"o4 usage total cost {total['cost_usd']} is not the exact {micro(exact)}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=5, help="interleaved rounds (medians)")
    ap.add_argument("--before", metavar="PYTHON", help="also time the o4 installed for this interpreter")
    ap.add_argument("--json", action="store_true", help="print one JSON document")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (path on stderr)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="o4-usage-bench-"))
    (tmp / "data").mkdir()
    db_path = tmp / "data" / "ledger.db"
    env = env_for(tmp)
    report: dict = {"python": sys.version.split()[0], "sqlite": sqlite3.sqlite_version, "cpus": os.cpu_count(),
                    "rows": args.rows, "load_before": os.getloadavg()[0]}  # fmt: skip
    totals = {"requests": 0, "cost": Decimal(0), "since_requests": 0}
    try:
        db = old_ledger(db_path)
        fill(db, args.rows, totals)
        db.close()
        report["ledger_mb"] = round(db_path.stat().st_size / 1e6, 1)
        migrate = run([*O4, "usage", "--json"], env, tmp, "migrate")
        check(json.loads(migrate["stdout"], parse_float=Decimal), totals["requests"], totals["cost"])
        report["migrate_s"] = round(migrate["wall_s"], 2)
        # since --since 30d is relative to the moment o4 runs, the peer uses the same cutoff,
        # computed when each round starts (rows are seconds apart: a second's drift is a row or two)
        cases = {
            "usage (by day)": (["usage", "--json"], "substr(created_at, 1, 10)", ""),
            "usage --by model": (["usage", "--by", "model", "--json"], "coalesce(model, '-')", ""),
            f"usage --since {SINCE_DAYS}d": (["usage", "--since", f"{SINCE_DAYS}d", "--json"], "substr(created_at, 1, 10)", "since"),
        }  # fmt: skip
        times: dict[str, dict[str, list]] = {name: {"o4": [], "peer": [], "o4_mb": [], "before": []} for name in cases}
        empty_env = env_for(tmp / "empty")
        fixed: list[float] = []
        for _ in range(args.runs):
            fixed.append(run([*O4, "usage", "--json"], empty_env, tmp, "o4-empty")["wall_s"])
            for name, (o4_args, key, where) in cases.items():
                cutoff = (datetime.now(UTC) - timedelta(days=SINCE_DAYS)).isoformat(timespec="seconds")
                cond = f" WHERE created_at >= '{cutoff}'" if where else ""
                sql = f"SELECT {key} AS k, {SQL_TOTALS} FROM requests{cond} GROUP BY k ORDER BY k"
                mine = run([*O4, *o4_args], env, tmp, "o4")
                doc = json.loads(mine["stdout"], parse_float=Decimal)
                if where:
                    # rows are ~31.5 s apart: the cutoff moves by a row or two between runs
                    if abs(doc["total"]["requests"] - totals["since_requests"]) > 10:
                        raise StepFailed(f"--since counted {doc['total']['requests']:,}, not ~{totals['since_requests']:,}")
                else:
                    check(doc, totals["requests"], totals["cost"])
                other = run(peer(db_path, sql), env, tmp, "peer")
                # (by model, o4 adds a snapshot up under its model's id: one group fewer)
                if "--by" not in o4_args and len(other["stdout"].splitlines()) != len(doc["rows"]):
                    raise StepFailed(f"{name}: the peer has {len(other['stdout'].splitlines())} groups, o4 {len(doc['rows'])}")
                if args.before:
                    old = run([args.before, "-m", "o4cli", *o4_args], env, tmp, "before")
                    if json.loads(old["stdout"], parse_float=Decimal)["total"] != doc["total"] and not where:
                        raise StepFailed(f"{name}: the o4 of --before reports other totals")
                    times[name]["before"].append(old["wall_s"])
                times[name]["o4"].append(mine["wall_s"])
                times[name]["o4_mb"].append(mine["peak_mb"])
                times[name]["peer"].append(other["wall_s"])
    except StepFailed as exc:
        print(f"step failed: {exc}", file=sys.stderr)
        return 1
    finally:
        report["load_after"] = os.getloadavg()[0]
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    report["peer"] = "sqlite3 shell" if shutil.which("sqlite3") else "python sqlite3 module"
    results = report["cases"] = {}
    for name, t in times.items():
        o4, other = statistics.median(t["o4"]), statistics.median(t["peer"])
        results[name] = {"o4_s": round(o4, 3), "peer_s": round(other, 3), "ratio": round(o4 / other, 2),
                         "o4_peak_mb": round(max(t["o4_mb"]), 1)}  # fmt: skip
        if t["before"]:
            results[name]["before_s"] = round(statistics.median(t["before"]), 3)
    report["o4_empty_ledger_s"] = round(statistics.median(fixed), 3)
    verdicts = report["verdicts"] = {  # the whole ledger; --since reads a twelfth of it, o4's start-up dominates
        f"{name} of {args.rows:,} rows: at most {TARGET_RATIO:g}x the sqlite3 GROUP BY": r["ratio"] <= TARGET_RATIO
        for name, r in results.items()
        if "--since" not in name
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"ledger: {args.rows:,} rows, {report['ledger_mb']} MB; first open (migrations) {report['migrate_s']:.2f} s")
    print(f"{'case':<22} {'o4 s':>8} {'peer s':>8} {'ratio':>7} {'o4 peak MB':>11}" + ("  before s" if args.before else ""))
    for name, r in results.items():
        before = f" {r['before_s']:>9.3f}" if args.before else ""
        print(f"{name:<22} {r['o4_s']:>8.3f} {r['peer_s']:>8.3f} {r['ratio']:>6.2f}x {r['o4_peak_mb']:>11.1f}{before}")
    print(f"o4 usage on an empty ledger (its fixed cost): {report['o4_empty_ledger_s']:.3f} s")
    print(
        f"peer: {report['peer']}; python {report['python']}, sqlite {report['sqlite']}, {report['cpus']} CPUs, "
        f"load {report['load_before']:.2f} -> {report['load_after']:.2f}; medians of {args.runs} interleaved rounds"
    )
    for name, ok in verdicts.items():
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
