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


def _side(s: Any) -> dict[str, Any]:
    return {
        "requests": s.requests,
        "input_tokens": s.input_tokens,
        "cached_tokens": s.cached_tokens,
        "output_tokens": s.output_tokens,
        "cost_usd": money(s.cost_usd),
    }


def reconciliation(rec: Any) -> dict[str, Any]:
    """``o4 usage reconcile --json``."""
    return {
        "since": rec.since,
        "until": rec.until,
        "tolerance": float(rec.tolerance),
        "project": rec.project,
        "api_key_id": rec.api_key_id,
        "agree": rec.attributable == 0,
        "attributable_differences": rec.attributable,
        "rows": [
            {"day": r.day, "model": r.model, "pricing": r.pricing, "o4": _side(r.local), "openai": _side(r.remote),
             "differs": r.differs, "attributable": r.attributable}
            for r in rec.rows
        ],
        "days": [
            {"day": d.day, "o4_usd": money(d.local_usd), "billed_usd": money(d.billed_usd), "differs": d.differs,
             "attributable": d.attributable}
            for d in rec.days
        ],
        "line_items": [{**li, "amount_usd": money(li["amount_usd"])} for li in rec.line_items],
        "notes": list(rec.notes),
    }  # fmt: skip
