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
    markdown: Annotated[
        bool, typer.Option("--markdown", help="A Markdown table (for a CI job summary: >> $GITHUB_STEP_SUMMARY).")
    ] = False,
) -> None:
    """Requests, input (cached), output (reasoning) tokens and cost from the ledger, with totals.

    Every call o4 makes is in the ledger at the price it was made at: batch and flex at half.
    With -p NAME, only that profile's calls; without it, every profile's. On a terminal a
    bar chart of cost follows (by day or model); budget_daily/budget_monthly show what is
    spent and left. `o4 usage reconcile` compares the ledger with OpenAI's own books."""
    if ctx.invoked_subcommand is not None:
        return  # `o4 usage reconcile`: the subcommand does the work
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
    if markdown:
        spend_view.markdown(out, report, standings, since, app.settings.profile)
        return
    view.report(out, report, since, app.ledger.path)
    if out.fancy and report.groups and by in (By.day, By.model):
        spend_view.chart(out, report)
    spend_view.budgets(out, standings, app.settings.profile)


def reconcile(
    ctx: typer.Context,
    since: Annotated[
        Optional[str],
        typer.Option(
            "--since", metavar="7d|YYYY-MM-DD", help="From that UTC day through today (default 7d).", show_default=False
        ),
    ] = "7d",
    tolerance: Annotated[
        str, typer.Option("--tolerance", metavar="FRACTION|N%", help="Accepted difference, of the larger side.")
    ] = "1%",
    project: Annotated[
        Optional[str],
        typer.Option(
            "--project", metavar="PROJECT_ID", help="Only this project's usage and costs.", show_default=False
        ),
    ] = None,
    api_key_id: Annotated[
        Optional[str],
        typer.Option(
            "--api-key-id",
            metavar="KEY_ID",
            help="Only this key's (key_...): then differences count both ways.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """The ledger beside OpenAI's own books: tokens per UTC day and model, dollars per day.

    Reads the organization's Usage and Costs APIs with an admin key ($OPENAI_ADMIN_KEY or
    the profile's admin_key_env; never the API key). Exit 1 when a difference beyond
    --tolerance is this ledger's own: o4 counting more than OpenAI, or, with --api-key-id,
    either way (other keys and machines spend in the organization too)."""
    from o4cli.core import reconcile as reconcile_mod
    from o4cli.core.documents import spend as spend_docs
    from o4cli.render import spend as spend_view

    app = context(ctx)
    rec = reconcile_mod.reconcile(
        app, since=since, tolerance=tolerance, project=project, api_key_id=api_key_id, profile=app.profile
    )
    if app.json:
        app.out.json(spend_docs.reconciliation(rec))
    else:
        spend_view.reconciliation(app.out, rec)
    if rec.error:
        raise rec.error


def _budgets(app):  # noqa: ANN001, ANN202
    """The selected profile's budgets with their period's spend (empty without one)."""
    from o4cli.core import budget

    return budget.standings(app.ledger.db, app.settings)


def register(app: typer.Typer) -> None:
    group = typer.Typer(invoke_without_command=True, rich_markup_mode=None, subcommand_metavar="[reconcile ...]")
    command(group, callback=True)(usage)
    command(group, "reconcile")(reconcile)
    app.add_typer(group, name="usage")
