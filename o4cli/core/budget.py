"""Budgets over time: ``budget_daily`` / ``budget_monthly`` (USD) of a profile.

Before a call is sent, the profile's spend in the period (a UTC day, a UTC calendar
month) plus the call's worst case must stay within every budget; otherwise it is
refused (``BudgetError``, exit 6) and nothing is sent. The spend is what the ledger
holds for the period, counted three ways:

1. the cost of every recorded call of the profile (``requests``);
2. the worst case of its batches still open (created, results not yet in the ledger) and
   of its background calls not yet settled (the job keeps the hold's amount: ``held``);
3. the worst case of its calls in flight, held in ``budget_holds`` until their rows land.

The check and the hold are one SQLite ``BEGIN IMMEDIATE`` transaction, so parallel
processes take turns on it: none can pass the budget on a spend another has not
recorded yet. A hold is released when its call has written its own row; the hold of a
process that died (its pid gone on this host) is dropped at the next check.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from o4cli.core.cost import format_usd
from o4cli.core.errors import BudgetError, LedgerError, UsageError
from o4cli.core.files import alive

if TYPE_CHECKING:
    import sqlite3

    from o4cli.core.config import Settings
    from o4cli.core.runtime import Runtime

PERIODS = {"daily": "today (UTC)", "monthly": "this month (UTC)"}
STALE_HOLD = timedelta(days=7)  # a hold this old is ignored whatever its process
_HELD: ContextVar[Decimal | None] = ContextVar("o4_budget_held", default=None)


@dataclass(frozen=True)
class Budget:
    period: str  # "daily" | "monthly"
    limit: Decimal
    source: str  # where it was set: "profile work", "$O4_BUDGET_DAILY"


@dataclass(frozen=True)
class Standing:
    """A budget and what its period has spent so far."""

    budget: Budget
    since: str  # ISO start of the period
    spent: Decimal  # recorded + open batches + in flight
    pending: Decimal  # of which: open batches and calls in flight, at their worst case

    @property
    def left(self) -> Decimal:
        return max(Decimal(0), self.budget.limit - self.spent)


def budgets(settings: Settings) -> list[Budget]:
    """The budgets the selected profile has (none, daily, monthly or both)."""
    found = []
    for period in PERIODS:
        value = getattr(settings, f"budget_{period}", None)
        if value is not None:
            source = settings.sources.get(f"budget_{period}", "setting")
            found.append(Budget(period, Decimal(str(value)), source))
    return found


def period_start(period: str, now: datetime) -> datetime:
    """The start of the UTC day or month ``now`` is in."""
    now = now.astimezone(UTC)
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return day if period == "daily" else day.replace(day=1)


def _money(value: Any) -> Decimal:
    # SQLite sums the TEXT amounts as REAL; the ledger keeps micro-dollars, so round there.
    return Decimal(str(round(float(value or 0), 9)))


def _totals(db: sqlite3.Connection, sql: str, amount: str, sinces: list[str], profile: str | None) -> list[Decimal]:
    """One scan for every period: the TOTAL of column ``amount`` since each start."""
    columns = ", ".join(f"TOTAL(CASE WHEN created_at >= ? THEN {amount} END)" for _ in sinces)
    row = db.execute(sql.format(columns=columns), (*sinces, profile, min(sinces))).fetchone()
    return [_money(v) for v in row]


_RECORDED = "SELECT {columns} FROM requests WHERE profile IS ? AND created_at >= ?"
# Open jobs at their worst case: batches until their results are recorded, background calls
# (kind 'response', core/background) until they are settled.
_OPEN_JOBS = (
    "SELECT {columns} FROM jobs WHERE profile IS ? AND created_at >= ? AND ("
    "(kind = 'batch' AND remote_id IS NOT NULL AND status != 'failed' AND json_extract(state, '$.recorded') IS NULL)"
    " OR (kind = 'response' AND status IN ('queued', 'in_progress')))"
)
_HOLDS = "SELECT {columns} FROM budget_holds WHERE profile IS ? AND created_at >= ?"


def spent(db: sqlite3.Connection, profile: str | None, sinces: list[str]) -> list[tuple[Decimal, Decimal]]:
    """(spent, pending) of ``profile`` since each ISO time: recorded calls, plus open batches
    and calls in flight at their worst case (``pending``)."""
    recorded = _totals(db, _RECORDED, "cost_usd", sinces, profile)
    batches = _totals(db, _OPEN_JOBS, "estimated_cost_usd", sinces, profile)
    holds = _totals(db, _HOLDS, "amount_usd", sinces, profile)
    return [(r + b + h, b + h) for r, b, h in zip(recorded, batches, holds, strict=True)]


def standings(db: sqlite3.Connection, settings: Settings, now: datetime | None = None) -> list[Standing]:
    """Each budget of the profile with its period's spend."""
    now = now or datetime.now(UTC)
    found = budgets(settings)
    if not found:
        return []
    sinces = [period_start(b.period, now).isoformat(timespec="seconds") for b in found]
    return [
        Standing(b, since, total, pending)
        for b, since, (total, pending) in zip(found, sinces, spent(db, settings.profile, sinces), strict=True)
    ]


def over(standing: list[Standing], worst: Decimal) -> Standing | None:
    """The first budget that ``worst`` more would pass, if any (pure)."""
    return next((s for s in standing if s.spent + worst > s.budget.limit), None)


def refusal(s: Standing, worst: Decimal, profile: str, what: str, stopped: str = "nothing was sent") -> BudgetError:
    """The one line that says which budget, what was spent, and the worst case."""
    b = s.budget
    pending = f" (of which {format_usd(s.pending)} in flight or in open batches)" if s.pending else ""
    return BudgetError(
        f"{b.period} budget {format_usd(b.limit)} of profile '{profile}' ({b.source}): "
        f"{format_usd(s.spent)} spent {PERIODS[b.period]}{pending} + {what}'s worst case {format_usd(worst)} "
        f"would pass it; {stopped}",
        hint="lower --max-output (it bounds the worst case), wait for the next period, "
        f"or raise it: o4 config set budget_{b.period} USD",
    )


def held() -> Decimal | None:
    """The worst case held for the call in progress, if a budget holds one: a background
    call's job keeps it (``estimated_cost_usd``) until the call is settled."""
    return _HELD.get()


def _drop_dead_holds(db: sqlite3.Connection, now: datetime) -> None:
    host = socket.gethostname()
    for row in db.execute("SELECT id, pid, host, created_at FROM budget_holds").fetchall():
        old = row[3] < (now - STALE_HOLD).isoformat(timespec="seconds")
        if old or (row[2] == host and row[1] != os.getpid() and not alive(row[1])):
            db.execute("DELETE FROM budget_holds WHERE id = ?", (row[0],))


def hold(
    db: sqlite3.Connection,
    settings: Settings,
    worst: Decimal,
    command: str,
    *,
    what: str,
    stopped: str = "nothing was sent",
    now: datetime | None = None,
) -> int:
    """Check every budget and hold ``worst`` against them, in one write transaction;
    return the hold's id, or raise ``BudgetError`` (nothing held)."""
    from o4cli.core.ledger import now as stamp

    now = now or datetime.now(UTC)
    db.execute("BEGIN IMMEDIATE")  # one checker at a time, across processes
    try:
        _drop_dead_holds(db, now)
        current = standings(db, settings, now)
        passed = over(current, worst)
        if passed is not None:
            db.execute("ROLLBACK")
            raise refusal(passed, worst, settings.profile, what, stopped)
        cur = db.execute(
            "INSERT INTO budget_holds (created_at, profile, command, amount_usd, pid, host) VALUES (?,?,?,?,?,?)",
            (stamp(), settings.profile, command, str(worst), os.getpid(), socket.gethostname()),
        )
        db.execute("COMMIT")
        return int(cur.lastrowid or 0)
    except BudgetError:
        raise
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


def release(db: sqlite3.Connection, hold_id: int) -> None:
    db.execute("DELETE FROM budget_holds WHERE id = ?", (hold_id,))


@contextmanager
def reserve(
    rt: Runtime,
    worst_case: Callable[[], Decimal | None],
    command: str,
    *,
    what: str = "this call",
    stopped: str = "nothing was sent",
) -> Iterator[None]:
    """Around a paid call: refuse it when its worst case would pass a budget of the
    profile, else hold that worst case until the call (and its ledger row) is done.
    ``worst_case`` is asked only when the profile has a budget (an exact count takes a moment)."""
    import sqlite3

    if not budgets(rt.settings):
        yield
        return
    worst = worst_case()
    if worst is None:
        raise UsageError(
            f"the profile has a budget, but o4 has no price for '{rt.settings.model}', "
            "so it cannot tell what the call may cost; nothing was sent",
            hint="give its prices in models.toml (README 'Models'), or set O4_BUDGET_DAILY=off "
            "and O4_BUDGET_MONTHLY=off for this call",
        )
    ledger = rt.ledger
    try:
        hold_id = hold(ledger.db, rt.settings, worst, command, what=what, stopped=stopped)
    except sqlite3.Error as exc:
        raise LedgerError(f"the budget cannot be checked: the ledger {ledger.path}: {exc}; nothing was sent") from None
    token = _HELD.set(worst)
    try:
        yield
    finally:
        _HELD.reset(token)
        try:
            release(ledger.db, hold_id)
        except sqlite3.Error as exc:  # the hold dies with this process at the next check
            rt.warn(f"the budget hold of this call was not released from the ledger {ledger.path}: {exc}")
