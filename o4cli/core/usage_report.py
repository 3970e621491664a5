"""``o4 usage``: requests, tokens and cost from the ledger, grouped (pure, but ``report``)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from o4cli.core.errors import UsageError
from o4cli.core.ledger import USAGE_GROUPS

GROUPS = tuple(USAGE_GROUPS)  # what --by takes: what the ledger can group by
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

    def add(self, other: Totals) -> None:
        self.requests += other.requests
        self.input_tokens += other.input_tokens
        self.cached_tokens += other.cached_tokens
        self.output_tokens += other.output_tokens
        self.reasoning_tokens += other.reasoning_tokens
        self.cost_usd += other.cost_usd
        self.unpriced += other.unpriced
        self.unpriced_models |= other.unpriced_models


@dataclass
class Report:
    by: str
    groups: dict[str, Totals] = field(default_factory=dict)
    total: Totals = field(default_factory=Totals)


def _key(key: str, by: str) -> str:
    if by == "model" and key != "-":
        from o4cli.core.catalog import canonical

        return canonical(key)  # a snapshot and its alias are one model
    return key


def summarise(groups: Iterable[Mapping[str, Any]], by: str) -> Report:
    """The report of the ledger's sums per group (``Ledger.usage``): groups in key order
    (by model, a model's snapshots and aliases under its id), and their total. A batch's
    results row counts as one request per batch; a call billed that o4 could not price
    adds to ``unpriced``, and its model to ``unpriced_models``."""
    report = Report(by)
    for g in groups:
        totals = Totals(
            g["requests"], g["input_tokens"], g["cached_tokens"], g["output_tokens"], g["reasoning_tokens"],
            g["cost_usd"], g["unpriced"], set(g["unpriced_models"]),
        )  # fmt: skip
        report.groups.setdefault(_key(g["key"], by), Totals()).add(totals)
        report.total.add(totals)
    report.groups = dict(sorted(report.groups.items()))
    return report


def report(rt: Any, *, since: str | None, by: str, profile: str | None) -> tuple[Report, str | None]:
    """``o4 usage``: the ledger's calls since ``since``, of ``profile`` when one is given
    (``-p NAME``; without it, every profile's), grouped ``by``; and the cutoff used.
    SQLite does the adding up (one row a group comes back), so memory stays flat."""
    cutoff = since_to_iso(since)
    if by not in GROUPS:
        raise UsageError(f"--by {by!r}: expected one of {', '.join(GROUPS)}")
    return summarise(rt.ledger.usage(by, since=cutoff, profile=profile), by), cutoff
