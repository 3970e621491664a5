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
    from o4cli.core.documents import meta as documents

    app_ctx = context(ctx)
    remote_models: list[dict[str, Any]] | None = models.list_models(app_ctx.api) if remote else None
    rows = documents.models_list(catalog.MODELS, remote_models)
    if app_ctx.json:
        app_ctx.out.json(rows)
        return
    app_ctx.out.table(
        ["model", "context", "max output", "input $/1M", "cached $/1M", "output $/1M", "available"],
        [
            (
                r["id"],
                r["context_window"],
                r["max_output"],
                _usd(r["price"], "input"),
                _usd(r["price"], "cached_input"),
                _usd(r["price"], "output"),
                {True: "yes", False: "no", None: "-"}[r["available"]],
            )
            for r in rows
        ],
    )


def _usd(price: dict[str, Any] | None, key: str) -> str | None:
    return f"${price[key]}" if price else None


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
    from o4cli.core import catalog, models
    from o4cli.core.documents import meta as documents
    from o4cli.core.errors import UsageError

    app_ctx = context(ctx)
    settings = app_ctx.settings
    model_id = model or settings.model
    entry = catalog.find(model_id)
    remote_model = models.get_model(app_ctx.api, model_id) if remote else None
    if entry is None and remote_model is None:
        raise UsageError(
            f"'{model_id}' is not in o4's catalog (known: {', '.join(catalog.known_ids())})",
            hint="add --remote to ask the API about it",
        )
    view = documents.model_show(model_id, entry, remote_model, tier=settings.tier)
    if app_ctx.json:
        app_ctx.out.json(view)
        return
    _print_show(app_ctx.out, view, tier=settings.tier)


def _print_show(out: Any, view: dict[str, Any], *, tier: int) -> None:
    facts = [("model", view["id"])]
    for key, label in (
        ("snapshot", "snapshot"),
        ("aliases", "aliases"),
        ("description", "description"),
        ("context_window", "context window"),
        ("max_output", "max output"),
        ("knowledge_cutoff", "knowledge cutoff"),
        ("input_modalities", "input"),
        ("output_modalities", "output"),
        ("endpoints", "endpoints"),
        ("reasoning_efforts", "reasoning effort"),
        ("fine_tuning_methods", "fine-tuning"),
    ):
        if key in view and view[key] not in (None, []):
            value = view[key]
            facts.append((label, ", ".join(value) if isinstance(value, list) else value))
    if view.get("remote"):
        r = view["remote"]
        facts.append(("remote", f"owned by {r.get('owned_by', '-')}, created {r.get('created_date', '-')}"))
    out.fields(facts, title=view["id"])
    if view.get("features"):
        out.table(
            ["feature", "supported"],
            [(k.replace("_", " "), v) for k, v in view["features"].items()],
            title="Features",
        )
    if view.get("prices"):
        out.table(
            ["pricing", "input $/1M", "cached $/1M", "output $/1M"],
            [
                (mode, f"${p['input']}", f"${p['cached_input']}", f"${p['output']}")
                for mode, p in view["prices"].items()
            ],
            title="Prices (USD per 1M tokens; reasoning tokens bill as output)",
        )
    if view.get("rate_limits"):
        rows = [(f"tier {t['tier']}", t["rpm"], t["tpm"], t["batch_queue_tokens"]) for t in view["rate_limits"]]
        out.table(
            ["usage tier", "RPM", "TPM", "batch queue tokens"],
            rows,
            title=f"Rate limits (this profile: tier {tier})",
            highlight_row=tier - 1,
        )
    if view.get("rejected_parameters"):
        out.table(
            ["parameter", "instead"],
            list(view["rejected_parameters"].items()),
            title="Request parameters o4 refuses for this model",
        )
