"""``o4 config``: create, show and change the config file and its profiles."""

from __future__ import annotations

from typing import Annotated

import typer

from o4cli.cli.options import command, context

app = typer.Typer(
    help="Show and change settings and profiles (config.toml).",
    no_args_is_help=True,
    rich_markup_mode=None,
)

KeyArg = Annotated[
    str, typer.Argument(metavar="KEY", help="A profile setting (model, effort, tier, ...) or default_profile.")
]


@command(app)
def init(
    ctx: typer.Context, force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False
) -> None:
    """Write a commented starter config file (mode 0600) and print its path."""
    from o4cli.core import config

    app_ctx = context(ctx)
    path = config.init_file(app_ctx.env, app_ctx.profile, force=force)
    if app_ctx.json:
        from o4cli.core.documents import config as documents

        app_ctx.out.json(documents.created(path))
    else:
        app_ctx.out.lines([str(path)])


@command(app)
def show(ctx: typer.Context) -> None:
    """Show the resolved settings of a profile and where each comes from (keys redacted)."""
    from o4cli.core import config
    from o4cli.core.documents import config as documents

    app_ctx = context(ctx)
    s = app_ctx.settings
    if app_ctx.json:
        app_ctx.out.json(documents.show(s))
        return
    data = s.public()
    rows = [(key, data[key]) for key in ("profile", "config_path", "data_dir")]
    for key in config.PROFILE_KEYS:
        value = data[key]
        if key == "api_key" and not value:
            value = f"not set (export {s.api_key_env}=...)"
        source = s.sources.get(key)
        shown = _text(value) if value is not None else "-"
        rows.append((key, shown + (f"  ({source})" if source and (value or value is False) else "")))
    app_ctx.out.fields(rows)


@command(app)
def get(ctx: typer.Context, key: KeyArg) -> None:
    """Print one resolved setting (exit 1 when it is not set; keys are redacted)."""
    from o4cli.core import config
    from o4cli.core.errors import O4Error

    app_ctx = context(ctx)
    if key == "default_profile":
        value = config.load_file(config.config_path(app_ctx.env)).default_profile
        profile = None
    else:
        if key not in config.PROFILE_KEYS:
            config.check_value(key, None)  # raises naming the key, with suggestions
        value, profile = app_ctx.settings.public().get(key), app_ctx.settings.profile
        if value is None or value == "":
            raise O4Error(f"'{key}' is not set in profile '{profile}'")
    if app_ctx.json:
        from o4cli.core.documents import config as documents

        app_ctx.out.json(documents.value(key, value, profile))
    else:
        app_ctx.out.lines([_text(value)])


def _text(value: object) -> str:
    """A setting as the config file spells it (``true``, not ``True``)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


@command(app, "set")
def set_(
    ctx: typer.Context, key: KeyArg, value: Annotated[str, typer.Argument(metavar="VALUE", help="The new value.")]
) -> None:
    """Set a profile setting (or default_profile); the file keeps its comments and is written atomically, mode 0600."""
    from o4cli.core import config

    app_ctx = context(ctx)
    profile, stored, notes = config.set_key(app_ctx.env, app_ctx.profile, key, value)
    for note in notes:
        app_ctx.notice(note)
    if app_ctx.json:
        from o4cli.core.documents import config as documents

        app_ctx.out.json(documents.value(key, stored, profile))


@command(app)
def unset(ctx: typer.Context, key: KeyArg) -> None:
    """Remove a setting from a profile (or default_profile), falling back to the default."""
    from o4cli.core import config

    app_ctx = context(ctx)
    profile, notes = config.unset_key(app_ctx.env, app_ctx.profile, key)
    for note in notes:
        app_ctx.notice(note)
    if app_ctx.json:
        from o4cli.core.documents import config as documents

        app_ctx.out.json(documents.value(key, None, profile))


@command(app)
def profiles(ctx: typer.Context) -> None:
    """List the profiles in the config file; the default one is marked."""
    from o4cli.core import config

    app_ctx = context(ctx)
    rows = config.profile_rows(app_ctx.env)
    if app_ctx.json:
        app_ctx.out.json(rows)
        return
    app_ctx.out.table(
        ["profile", "default", "model", "tier", "base_url"],
        [
            (
                r["name"] + ("" if r["in_file"] else " (built-in)"),
                "*" if r["default"] else "",
                r["model"],
                r["tier"],
                r["base_url"],
            )
            for r in rows
        ],
    )


@command(app)
def path(
    ctx: typer.Context,
    data: Annotated[bool, typer.Option("--data", help="Print the data folder (ledger) instead.")] = False,
) -> None:
    """Print the config file's path ($O4_CONFIG overrides it)."""
    from o4cli.core import config

    app_ctx = context(ctx)
    env = app_ctx.env
    if app_ctx.json:
        from o4cli.core.documents import config as documents

        app_ctx.out.json(documents.paths(config.config_path(env), config.data_dir(env)))
    else:
        app_ctx.out.lines([str(config.data_dir(env) if data else config.config_path(env))])
