"""``o4 models``: what a model is, can do, and costs (catalog; ``--remote`` asks the API)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from o4cli.cli.options import command, context

app = typer.Typer(
    help="Model facts, prices, rate limits and lifecycle (o4-mini and its family).",
    no_args_is_help=True,
    rich_markup_mode=None,
)

RemoteOpt = Annotated[bool, typer.Option("--remote", help="Also ask the API (GET /models).")]


@command(app, "list")
def list_(ctx: typer.Context, remote: RemoteOpt = False) -> None:
    """List the catalog's models with their status (active, deprecated: shuts down DATE, shut
    down) and prices; with --remote, merged with every model the API offers this key."""
    from o4cli.core import models

    app_ctx = context(ctx)
    rows = models.listing(app_ctx, remote=remote)
    if app_ctx.json:
        app_ctx.out.json(rows)
        return
    from o4cli.render import models as view

    view.listing(app_ctx.out, rows)


@command(app)
def show(
    ctx: typer.Context,
    model: Annotated[
        Optional[str],
        typer.Argument(metavar="[MODEL]", help="Model id, alias, snapshot or ft: name (default: the profile's model)."),
    ] = None,
    remote: RemoteOpt = False,
) -> None:
    """Show a model's facts: context, output, cutoff, modalities, endpoints, features, prices,
    tier limits, lifecycle (status, shutdown, substitute) and where each fact comes from.

    Facts o4 could not confirm are marked ~; values from your models.toml are marked so."""
    from o4cli.core import models
    from o4cli.core.documents import models as documents
    from o4cli.render import models as view

    app_ctx = context(ctx)
    facts = models.show(app_ctx, model, remote=remote)
    doc = documents.show(
        facts.model_id, facts.entry, facts.remote, tier=facts.tier, today=facts.today, cat=facts.catalog
    )
    app_ctx.out.json(doc) if app_ctx.json else view.show(app_ctx.out, doc, tier=facts.tier)
