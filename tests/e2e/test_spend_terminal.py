"""`o4 usage` in a pseudo-terminal: a bar a day (or model) after the table; piped, TSV only."""

import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from o4cli.core.cost import Usage
from o4cli.core.ledger import Ledger
from tests.e2e.helpers import plain, spawn


def fill(env) -> None:
    led = Ledger.open(Path(env["O4_DATA_DIR"]))
    for day, model, amount in (("2026-11-30", "o4-mini", "2"), ("2026-12-01", "o4-mini", "1"), ("2026-12-01", "o3", "0.5")):
        rid = led.record_request(command="ask", profile="default", model=model, endpoint="/v1/responses",
                                 usage=Usage(10, 0, 10), cost_usd=Decimal(amount))  # fmt: skip
        led.db.execute("UPDATE requests SET created_at = ? WHERE id = ?", (f"{day}T12:00:00+00:00", rid))
    led.close()


def bars(out: str) -> dict[str, int]:
    """label -> the bar's length in whole cells."""
    found = {}
    for line in plain(out).splitlines():
        if "█" in line:
            found[line.split()[0]] = line.count("█")
    return found


def test_a_bar_a_day_and_a_bar_a_model_in_a_terminal(env):
    fill(env)
    child = spawn(env, "usage", "--since", "2026-11-01", dimensions=(40, 100))
    out = child.read()
    child.close()
    assert child.exitstatus == 0 and "cost by day" in plain(out)
    days = bars(out)
    assert set(days) == {"2026-11-30", "2026-12-01"}
    assert days["2026-11-30"] > 40 and abs(days["2026-11-30"] * 3 - days["2026-12-01"] * 4) <= 4  # $2 vs $1.50
    child = spawn(env, "usage", "--since", "2026-11-01", "--by", "model", dimensions=(40, 100))
    models = bars(child.read())
    child.close()
    assert set(models) == {"o4-mini", "o3"} and models["o4-mini"] > 5 * models["o3"]  # $3 vs $0.50


def test_piped_it_is_the_tsv_table_and_markdown_for_a_job_summary(env):
    fill(env)
    run = lambda *a: subprocess.run([sys.executable, "-m", "o4cli", *a], env=env, capture_output=True, text=True)  # noqa: E731
    piped = run("usage", "--since", "2026-11-01").stdout
    assert "█" not in piped and piped.splitlines()[0].startswith("day\trequests\t")
    md = run("usage", "--since", "2026-11-01", "--by", "model", "--markdown").stdout
    lines = md.splitlines()
    assert lines[0] == "### o4 usage since 2026-11-01"
    assert lines[2] == "| model | requests | input | cached | output | reasoning | cost |"
    assert "| **total** | 3 | 30 | 0 | 30 | 0 | $3.500000 |" in lines
    assert sqlite3.connect(Path(env["O4_DATA_DIR"]) / "ledger.db").execute("SELECT COUNT(*) FROM requests").fetchone()[0] == 3
