"""``o4 usage``: what the calls recorded in the ledger have cost."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Optional

import typer

from o4cli.cli.options import command, context


class By(StrEnum):
    day = "day"
    model = "model"
    command = "command"
    profile = "profile"
    pricing = "pricing"


def usage(
    ctx: typer.Context,
    since: Annotated[
        Optional[str],
        typer.Option("--since", metavar="7d|24h|YYYY-MM-DD", help="Only calls since then.", show_default=False),
    ] = None,
    by: Annotated[By, typer.Option("--by", help="Group by.")] = By.day,
) -> None:
    """Requests, input (cached), output (reasoning) tokens and cost from the ledger, with totals.

    Every call o4 makes is in the ledger at the price it was made at: batch and flex at half.
    With -p NAME, only that profile's calls; without it, every profile's."""
    from o4cli.core import usage_report
    from o4cli.core.documents import spend as spend_docs
    from o4cli.core.documents import usage_report as documents
    from o4cli.render import spend as spend_view
    from o4cli.render import usage as view

    app = context(ctx)
    report, cutoff = usage_report.report(app, since=since, by=by.value, profile=app.profile)
    out = app.out
    standings = _budgets(app)
    if app.json:
        doc = documents.report(report, cutoff, app.ledger.path)
        out.json({**doc, "budgets": spend_docs.budgets(standings)})
        return
    view.report(out, report, since, app.ledger.path)
    spend_view.budgets(out, standings, app.settings.profile)


def _budgets(app):  # noqa: ANN001, ANN202
    """The selected profile's budgets with their period's spend (empty without one)."""
    from o4cli.core import budget

    return budget.standings(app.ledger.db, app.settings)


def register(app: typer.Typer) -> None:
    command(app, "usage")(usage)
