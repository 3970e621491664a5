"""Budget rules: periods, the edge, holds of calls in flight and of dead processes."""

import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from o4cli.core import budget
from o4cli.core.config import Settings
from o4cli.core.cost import Usage
from o4cli.core.errors import BudgetError
from o4cli.core.ledger import Ledger

NOW = datetime(2026, 11, 17, 15, 30, tzinfo=UTC)


def settings(tmp_path: Path, **kw) -> Settings:
    return Settings(profile="default", config_path=tmp_path / "c.toml", data_dir=tmp_path, **kw)


@pytest.mark.parametrize(
    ("period", "start"),
    [("daily", "2026-11-17T00:00:00+00:00"), ("monthly", "2026-11-01T00:00:00+00:00")],
)
def test_periods_are_utc_days_and_months(period, start):
    assert budget.period_start(period, NOW).isoformat() == start


def spend(led: Ledger, amount: str, profile: str = "default") -> None:
    led.record_request(command="ask", profile=profile, model="o4-mini", endpoint="/v1/responses",
                       usage=Usage(1, 0, 1), cost_usd=Decimal(amount))  # fmt: skip


def test_the_edge_is_allowed_one_cent_past_it_is_refused(tmp_path):
    led = Ledger.open(tmp_path)
    s = settings(tmp_path, budget_daily=1.0)
    spend(led, "0.60")
    spend(led, "5", profile="other")  # another profile's spend is its own
    hold = budget.hold(led.db, s, Decimal("0.40"), "ask", what="this call")  # exactly at the budget
    budget.release(led.db, hold)
    with pytest.raises(BudgetError) as exc:
        budget.hold(led.db, s, Decimal("0.41"), "ask", what="this call")
    msg = exc.value.message
    assert "daily budget $1.000000 of profile 'default'" in msg
    assert "$0.600000 spent today" in msg and "worst case $0.410000" in msg and "nothing was sent" in msg
    assert exc.value.exit_code == 6
    assert led.db.execute("SELECT COUNT(*) FROM budget_holds").fetchone()[0] == 0  # a refusal holds nothing


def test_a_call_in_flight_counts_until_released(tmp_path):
    led = Ledger.open(tmp_path)
    s = settings(tmp_path, budget_monthly=1.0)
    first = budget.hold(led.db, s, Decimal("0.70"), "ask", what="this call")
    with pytest.raises(BudgetError, match=r"of which \$0.700000 in flight"):
        budget.hold(led.db, s, Decimal("0.50"), "ask", what="this call")
    budget.release(led.db, first)
    budget.hold(led.db, s, Decimal("0.50"), "ask", what="this call")
    [standing] = budget.standings(led.db, s)
    assert standing.spent == Decimal("0.5") and standing.left == Decimal("0.5")


def test_the_hold_of_a_dead_process_is_dropped(tmp_path):
    led = Ledger.open(tmp_path)
    s = settings(tmp_path, budget_daily=1.0)
    budget.hold(led.db, s, Decimal("0.90"), "ask", what="this call")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    led.db.execute("UPDATE budget_holds SET pid = ?", (int(dead.stdout),))  # that process has ended
    budget.hold(led.db, s, Decimal("0.90"), "ask", what="this call")
    assert [r[0] for r in led.db.execute("SELECT pid FROM budget_holds")] == [os.getpid()]


def test_open_batches_count_at_their_worst_case_until_their_results_are_in(tmp_path):
    led = Ledger.open(tmp_path)
    s = settings(tmp_path, budget_daily=1.0)
    job = led.add_job(kind="batch", status="validating", profile="default", remote_id="batch_1",
                      estimated_cost_usd=Decimal("0.80"))  # fmt: skip
    assert budget.standings(led.db, s)[0].pending == Decimal("0.8")
    led.update_job(job, state={"recorded": True})
    spend(led, "0.10")
    [standing] = budget.standings(led.db, s)
    assert (standing.spent, standing.pending) == (Decimal("0.1"), Decimal("0"))


def test_without_a_budget_nothing_is_checked(tmp_path):
    assert budget.budgets(settings(tmp_path)) == []
    both = budget.budgets(replace(settings(tmp_path, budget_daily=2, budget_monthly=20)))
    assert [(b.period, b.limit) for b in both] == [("daily", Decimal("2")), ("monthly", Decimal("20"))]
