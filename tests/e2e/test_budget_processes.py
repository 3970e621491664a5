"""Eight real o4 processes against one daily budget at once: the check and the hold are one
SQLite write transaction, so no two can spend the same dollars (total spend never passes
the budget), and every refused one exits 6 having sent nothing."""

import json
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from tests.e2e.helpers import o4_env


def test_eight_processes_never_spend_past_the_daily_budget(o4, env, emulator):
    e = o4_env(env, emulator)
    args = ["ask", "x", "--max-output", "1000"]
    worst = json.loads(o4(*args, "--dry-run", "--json").stdout, parse_float=Decimal)["estimate"]["worst_case_cost_usd"]
    budget = worst * Decimal("3.5")  # three calls fit, a fourth never
    e["O4_BUDGET_DAILY"] = str(budget)
    for _ in range(8):
        emulator.answer(input_tokens=1, output_tokens=1000, reasoning_tokens=0)
    emulator.fault(delay=0.4, path="/v1/responses", times=8)  # all of them in flight at once
    procs = [
        subprocess.Popen([sys.executable, "-m", "o4cli", *args], env=e, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(8)
    ]  # fmt: skip
    results = [(p.wait(timeout=60), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 0, 0, 6, 6, 6, 6, 6], results
    assert all("daily budget" in err and "nothing was sent" in err for code, err in results if code == 6)
    db = sqlite3.connect(Path(env["O4_DATA_DIR"]) / "ledger.db")
    spent = sum(Decimal(c) for (c,) in db.execute("SELECT cost_usd FROM requests WHERE cost_usd IS NOT NULL"))
    assert Decimal(0) < spent <= budget
    assert db.execute("SELECT COUNT(*) FROM budget_holds").fetchone()[0] == 0  # every hold settled
    assert len([r for r in emulator.log if r.path == "/v1/responses"]) == 3
