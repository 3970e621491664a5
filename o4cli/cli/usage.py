"""``o4 usage``: what the calls recorded in the ledger have cost."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Optional

import typer

from o4cli.cli.common import JsonOpt, PlainOpt, ProfileOpt, VerboseOpt, app_context


class By(str, Enum):
    day = "day"
    model = "model"
    command = "command"
    profile = "profile"
    pricing = "pricing"


def usage(
    ctx: typer.Context,
    since: Annotated[Optional[str], typer.Option("--since", metavar="7d|24h|YYYY-MM-DD", help="Only calls since then.", show_default=False)] = None,
    by: Annotated[By, typer.Option("--by", help="Group by.")] = By.day,
    json: JsonOpt = False,
    plain: PlainOpt = False,
    profile: ProfileOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Requests, input (cached), output (reasoning) tokens and cost from the ledger, with totals.

    Every call o4 makes is in the ledger at the price it was made at: batch and flex at half.
    With -p NAME, only that profile's calls."""
    import sys

    from o4cli import render
    from o4cli.core import usage as core

    app = app_context(ctx, profile=profile, verbose=verbose, plain=plain, json=json)
    cutoff = core.since_to_iso(since)
    rows = app.ledger.requests(cutoff)
    if app.profile:  # -p NAME: that profile's calls only
        rows = (r for r in rows if r["profile"] == app.profile)
    report = core.summarise(rows, by.value)
    if app.json:
        render.print_json(
            {
                "by": report.by,
                "since": cutoff,
                "rows": [{report.by: k, **t.as_dict()} for k, t in report.groups.items()],
                "total": report.total.as_dict(),
                "ledger": str(app.ledger.path),
            }
        )
        return
    if not report.groups:
        render.note(f"o4: no calls recorded{' since ' + since if since else ''} (ledger: {app.ledger.path})", sys.stderr)
        return
    fancy = render.fancy(sys.stdout, app.plain)
    rows = [
        (k, t.requests, t.input_tokens, t.cached_tokens, t.output_tokens, t.reasoning_tokens, _money(t.cost_usd, fancy))
        for k, t in report.groups.items()
    ]
    tot = report.total
    rows.append(("total", tot.requests, tot.input_tokens, tot.cached_tokens, tot.output_tokens, tot.reasoning_tokens, _money(tot.cost_usd, fancy)))
    render.print_table(
        [report.by, "requests", "input", "cached", "output", "reasoning", "cost"],
        rows,
        plain=app.plain,
        highlight_row=len(rows) - 1,
    )


def _money(value, fancy: bool) -> str:  # noqa: ANN001 - Decimal
    from o4cli.core.cost import micro

    return f"${micro(value):,.6f}" if fancy else f"{micro(value):.6f}"
