"""``o4 models``: what a model is, can do, and costs (catalog; ``--remote`` asks the API)."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from o4cli.cli.options import command, context

app = typer.Typer(
    help="Model facts, prices and rate limits (o4-mini).",
    no_args_is_help=True,
    rich_markup_mode=None,
)

RemoteOpt = Annotated[bool, typer.Option("--remote", help="Also ask the API (GET /models).")]


@command(app, "list")
def list_(ctx: typer.Context, remote: RemoteOpt = False) -> None:
    """List the catalog's models; with --remote, every model the API offers this key."""
    from o4cli.core import catalog, models
    from o4cli.core.documents import models as documents

    app_ctx = context(ctx)
    remote_models: list[dict[str, Any]] | None = models.list_models(app_ctx.api) if remote else None
    rows = documents.listing(catalog.MODELS, remote_models)
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
    """Show a model's facts: context, output, cutoff, modalities, endpoints, features, prices, tier limits."""
    from o4cli.core import models
    from o4cli.core.documents import models as documents
    from o4cli.render import models as view

    app_ctx = context(ctx)
    facts = models.show(app_ctx, model, remote=remote)
    doc = documents.show(facts.model_id, facts.entry, facts.remote, tier=facts.tier)
    app_ctx.out.json(doc) if app_ctx.json else view.show(app_ctx.out, doc, tier=facts.tier)
