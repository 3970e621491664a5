"""The documents of spend: budgets (in ``o4 usage --json``) and ``o4 usage reconcile --json``."""

from __future__ import annotations

from typing import Any

from o4cli.core.documents import money


def budgets(standings: list[Any]) -> list[dict[str, Any]]:
    """The profile's budgets, each with its period's spend and what is left."""
    return [
        {
            "period": s.budget.period,
            "budget_usd": money(s.budget.limit),
            "spent_usd": money(s.spent),
            "pending_usd": money(s.pending),
            "left_usd": money(s.left),
            "since": s.since,
            "source": s.budget.source,
        }
        for s in standings
    ]
