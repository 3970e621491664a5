"""``o4 usage``: requests, tokens and cost from the ledger, grouped (pure, but ``report``)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from o4cli.core.errors import UsageError

GROUPS = ("day", "model", "command", "profile", "pricing")
_RELATIVE = re.compile(r"^(\d+)([hdw])$")


def since_to_iso(since: str | None, now: datetime | None = None) -> str | None:
    """'7d', '24h', '2w' or 'YYYY-MM-DD' -> an ISO timestamp (UTC) to compare with."""
    if not since:
        return None
    now = now or datetime.now(UTC)
    m = _RELATIVE.match(since.strip())
    if m:
        n, unit = int(m.group(1)), m.group(2)
        try:
            delta = {"h": timedelta(hours=n), "d": timedelta(days=n), "w": timedelta(weeks=n)}[unit]
            return (now - delta).isoformat(timespec="seconds")
        except OverflowError:
            raise UsageError(f"--since {since!r}: too far back") from None
    try:
        day = datetime.strptime(since.strip(), "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise UsageError(f"--since {since!r}: expected 7d, 24h, 2w or a date like 2026-11-01") from None
    return day.isoformat(timespec="seconds")


@dataclass
class Totals:
    requests: int = 0
    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: Decimal = Decimal(0)
    unpriced: int = 0  # calls billed that o4 could not price: their cost is not in cost_usd
    unpriced_models: set[str] = field(default_factory=set)

    def add(self, row: Mapping[str, Any]) -> None:
        self.requests += 1
        self.input_tokens += row["input_tokens"] or 0
        self.cached_tokens += row["cached_tokens"] or 0
        self.output_tokens += row["output_tokens"] or 0
        self.reasoning_tokens += row["reasoning_tokens"] or 0
        if row["cost_usd"] is not None:
            self.cost_usd += Decimal(row["cost_usd"])
        elif is_unpriced(row):
            self.unpriced += 1
            self.unpriced_models.add(str(row["model"] or "-"))


def is_unpriced(row: Mapping[str, Any]) -> bool:
    """A call that was billed (tokens) but has no cost: the ledger's ``unpriced`` flag, or,
    for rows written before it existed, tokens without a cost."""
    keys = row.keys() if hasattr(row, "keys") else row
    if "unpriced" in keys and row["unpriced"]:
        return True
    return row["cost_usd"] is None and bool((row["input_tokens"] or 0) + (row["output_tokens"] or 0))


@dataclass
class Report:
    by: str
    groups: dict[str, Totals] = field(default_factory=dict)
    total: Totals = field(default_factory=Totals)


def _key(row: Mapping[str, Any], by: str) -> str:
    if by == "day":
        return str(row["created_at"])[:10]
    if by == "model" and row["model"]:
        from o4cli.core.catalog import canonical

        return canonical(str(row["model"]))  # a snapshot and its alias are one model
    return str(row[by] or "-")


def summarise(rows: Iterable[Mapping[str, Any]], by: str) -> Report:
    """Group ledger rows; a batch's results row counts as one request per batch."""
    if by not in GROUPS:
        raise UsageError(f"--by {by!r}: expected one of {', '.join(GROUPS)}")
    report = Report(by)
    for row in rows:
        report.groups.setdefault(_key(row, by), Totals()).add(row)
        report.total.add(row)
    report.groups = dict(sorted(report.groups.items()))
    return report


def report(rt: Any, *, since: str | None, by: str, profile: str | None) -> tuple[Report, str | None]:
    """``o4 usage``: the ledger's calls since ``since``, of ``profile`` when one is given
    (``-p NAME``; without it, every profile's), grouped ``by``; and the cutoff used."""
    cutoff = since_to_iso(since)
    rows = rt.ledger.requests(cutoff)
    if profile:
        rows = (r for r in rows if r["profile"] == profile)
    return summarise(rows, by), cutoff
