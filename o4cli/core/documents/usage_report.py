"""The document of ``o4 usage``."""

from __future__ import annotations

from typing import Any

from o4cli.core.documents import money


def usage_totals(t: Any) -> dict[str, Any]:
    return {
        "requests": t.requests,
        "input_tokens": t.input_tokens,
        "cached_tokens": t.cached_tokens,
        "output_tokens": t.output_tokens,
        "reasoning_tokens": t.reasoning_tokens,
        "cost_usd": money(t.cost_usd),
        "unpriced_requests": t.unpriced,
        "unpriced_models": sorted(t.unpriced_models),
    }


def report(report: Any, since: str | None, ledger_path: Any) -> dict[str, Any]:
    """``o4 usage``: one row per group, and the total."""
    return {
        "by": report.by,
        "since": since,
        "rows": [{report.by: k, **usage_totals(t)} for k, t in report.groups.items()],
        "total": usage_totals(report.total),
        "ledger": str(ledger_path),
    }
