"""How ``o4 usage`` looks: one row a group and the total."""

from __future__ import annotations

from typing import Any

from o4cli.render import Out
from o4cli.render.text import usd, usd_plain


def report(out: Out, report: Any, since: str | None, ledger: Any) -> None:
    if not report.groups:
        out.note(f"o4: no calls recorded{' since ' + since if since else ''} (ledger: {ledger})")
        return
    money = usd if out.fancy else usd_plain
    rows = [
        (k, t.requests, t.input_tokens, t.cached_tokens, t.output_tokens, t.reasoning_tokens, money(t.cost_usd))
        for k, t in (*report.groups.items(), ("total", report.total))
    ]
    out.table(
        [report.by, "requests", "input", "cached", "output", "reasoning", "cost"], rows, highlight_row=len(rows) - 1
    )
    t = report.total
    if t.unpriced:
        models = ", ".join(sorted(t.unpriced_models))
        out.warn(
            f"{t.unpriced:,} call{'s' if t.unpriced > 1 else ''} to models o4 cannot price ({models}) "
            "are not in the cost: add their prices to models.toml (README 'Models')"
        )
