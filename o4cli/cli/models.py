"""``o4 models``: what a model is, can do, and costs (catalog; ``--remote`` asks the API)."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from o4cli.cli.common import JsonOpt, PlainOpt, ProfileOpt, QuietOpt, VerboseOpt, app_context

app = typer.Typer(
    help="Model facts, prices and rate limits (o4-mini).",
    no_args_is_help=True,
    rich_markup_mode=None,
)

RemoteOpt = Annotated[bool, typer.Option("--remote", help="Also ask the API (GET /models).")]


@app.command("list")
def list_(
    ctx: typer.Context,
    remote: RemoteOpt = False,
    profile: ProfileOpt = None,
    json: JsonOpt = False,
    plain: PlainOpt = False,
    verbose: VerboseOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """List the catalog's models; with --remote, every model the API offers this key."""
    from o4cli import render
    from o4cli.core import catalog, models_view

    app_ctx = app_context(ctx, profile=profile, json=json, plain=plain, verbose=verbose, quiet=quiet)
    remote_models: list[dict[str, Any]] | None = None
    if remote:
        from o4cli.core import api

        remote_models = api.list_models(app_ctx.api)
    rows = models_view.list_rows(catalog.MODELS, remote_models)
    if app_ctx.json:
        render.print_json(rows)
        return
    render.print_table(
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
        plain=app_ctx.plain,
    )


def _usd(price: dict[str, str] | None, key: str) -> str | None:
    return f"${price[key]}" if price else None


@app.command()
def show(
    ctx: typer.Context,
    model: Annotated[Optional[str], typer.Argument(metavar="[MODEL]", help="Model id, alias, snapshot or ft: name (default: the profile's model).")] = None,
    remote: RemoteOpt = False,
    profile: ProfileOpt = None,
    json: JsonOpt = False,
    plain: PlainOpt = False,
    verbose: VerboseOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Show a model's facts: context, output, cutoff, modalities, endpoints, features, prices, tier limits."""
    from o4cli import render
    from o4cli.core import catalog, models_view
    from o4cli.core.errors import UsageError

    app_ctx = app_context(ctx, profile=profile, json=json, plain=plain, verbose=verbose, quiet=quiet)
    settings = app_ctx.settings
    model_id = model or settings.model
    entry = catalog.find(model_id)
    remote_model = None
    if remote:
        from o4cli.core import api

        remote_model = api.get_model(app_ctx.api, model_id)
    if entry is None and remote_model is None:
        raise UsageError(
            f"'{model_id}' is not in o4's catalog (known: {', '.join(catalog.known_ids())})",
            hint="add --remote to ask the API about it",
        )
    view = models_view.show(model_id, entry, remote_model, tier=settings.tier)
    if app_ctx.json:
        render.print_json(view)
        return
    _print_show(view, plain=app_ctx.plain, tier=settings.tier)


def _print_show(view: dict[str, Any], *, plain: bool, tier: int) -> None:
    from o4cli import render

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
    render.print_fields(facts, title=view["id"], plain=plain)
    if view.get("features"):
        render.print_table(
            ["feature", "supported"],
            [(k.replace("_", " "), v) for k, v in view["features"].items()],
            title="Features",
            plain=plain,
        )
    if view.get("prices"):
        render.print_table(
            ["pricing", "input $/1M", "cached $/1M", "output $/1M"],
            [(mode, f"${p['input']}", f"${p['cached_input']}", f"${p['output']}") for mode, p in view["prices"].items()],
            title="Prices (USD per 1M tokens; reasoning tokens bill as output)",
            plain=plain,
        )
    if view.get("rate_limits"):
        rows = [(f"tier {t['tier']}", t["rpm"], t["tpm"], t["batch_queue_tokens"]) for t in view["rate_limits"]]
        render.print_table(
            ["usage tier", "RPM", "TPM", "batch queue tokens"],
            rows,
            title=f"Rate limits (this profile: tier {tier})",
            plain=plain,
            highlight_row=tier - 1,
        )
    if view.get("rejected_parameters"):
        render.print_table(
            ["parameter", "instead"],
            list(view["rejected_parameters"].items()),
            title="Request parameters o4 refuses for this model",
            plain=plain,
        )
