"""``o4 config``: create, show and change the config file and its profiles."""

from __future__ import annotations

from typing import Annotated

import typer

from o4cli.cli.common import JsonOpt, PlainOpt, ProfileOpt, QuietOpt, VerboseOpt, app_context

app = typer.Typer(
    help="Show and change settings and profiles (config.toml).",
    no_args_is_help=True,
    rich_markup_mode=None,
)

TEMPLATE = """\
# o4 configuration. Every key is optional; `o4 config --help` explains them.
# Keys are safest in an environment variable: api_key_env names it.
default_profile = "default"

[profiles.default]
model = "o4-mini"
api = "responses"        # or "chat" (Chat Completions), for compatible servers
effort = "medium"        # reasoning effort: low | medium | high
tier = 1                 # usage tier 1-5: drives rate and batch-queue limits
# base_url = "https://api.openai.com/v1"
# api_key_env = "OPENAI_API_KEY"
# organization = "org-..."
# project = "proj_..."
# timeout = 600
# max_retries = 2
"""

KeyArg = Annotated[str, typer.Argument(metavar="KEY", help="A profile setting (model, effort, tier, ...) or default_profile.")]


def _target(app_ctx, cfg) -> str:  # noqa: ANN001 - AppContext, ConfigFile
    """The profile that set/unset change: --profile, $O4_PROFILE, default_profile."""
    from o4cli.core.config import PROFILE_ENV

    return app_ctx.profile or app_ctx.env.get(PROFILE_ENV) or cfg.default_profile


@app.command()
def init(
    ctx: typer.Context,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    profile: ProfileOpt = None,
) -> None:
    """Write a commented starter config file (mode 0600) and print its path."""
    from o4cli.core import config
    from o4cli.core.errors import O4Error

    app_ctx = app_context(ctx, profile=profile)
    path = config.config_path(app_ctx.env)
    if path.exists() and not force:
        raise O4Error(f"{path} already exists", hint="use --force to replace it, or `o4 config set` to change it")
    text = TEMPLATE
    if app_ctx.profile and app_ctx.profile != config.DEFAULT_PROFILE:
        text = text.replace('"default"', f'"{app_ctx.profile}"', 1).replace(
            "[profiles.default]", f"[profiles.{app_ctx.profile}]"
        )
    config.write_atomic(path, text.encode())
    typer.echo(str(path))


@app.command()
def show(
    ctx: typer.Context,
    profile: ProfileOpt = None,
    json: JsonOpt = False,
    plain: PlainOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Show the resolved settings of a profile and where each comes from (keys redacted)."""
    from o4cli import render
    from o4cli.core import config

    app_ctx = app_context(ctx, profile=profile, json=json, plain=plain, verbose=verbose)
    s = app_ctx.settings
    data = s.public()
    if app_ctx.json:
        render.print_json({**data, "sources": s.sources})
        return
    rows = []
    for key in ("profile", "config_path", "data_dir"):
        rows.append((key, data[key]))
    for key in config.PROFILE_KEYS:
        value = data[key]
        if key == "api_key" and not value:
            value = f"not set (export {s.api_key_env}=...)"
        source = s.sources.get(key)
        rows.append((key, f"{value if value is not None else '-'}" + (f"  ({source})" if source and value else "")))
    render.print_fields(rows, plain=app_ctx.plain)


@app.command()
def get(ctx: typer.Context, key: KeyArg, profile: ProfileOpt = None) -> None:
    """Print one resolved setting (exit 1 when it is not set; keys are redacted)."""
    from o4cli.core import config
    from o4cli.core.errors import O4Error

    app_ctx = app_context(ctx, profile=profile)
    if key == "default_profile":
        typer.echo(config.load_file(config.config_path(app_ctx.env)).default_profile)
        return
    if key not in config.PROFILE_KEYS:
        config.check_value(key, None)  # raises naming the key, with suggestions
    value = app_ctx.settings.public().get(key)
    if value is None or value == "":
        raise O4Error(f"'{key}' is not set in profile '{app_ctx.settings.profile}'")
    typer.echo(str(value))


@app.command("set")
def set_(
    ctx: typer.Context,
    key: KeyArg,
    value: Annotated[str, typer.Argument(metavar="VALUE", help="The new value.")],
    profile: ProfileOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Set a profile setting (or default_profile); the file is rewritten atomically, mode 0600."""
    from o4cli.core import config

    app_ctx = app_context(ctx, profile=profile, quiet=quiet)
    path = config.config_path(app_ctx.env)
    cfg = config.load_file(path)
    data = cfg.data
    if key == "default_profile":
        if not value.strip():
            raise config.UsageError("default_profile must be a profile name")
        data["default_profile"] = value
        if value not in cfg.profiles and value != config.DEFAULT_PROFILE:
            app_ctx.notice(f"note: profile '{value}' does not exist yet; `o4 config set -p {value} KEY VALUE` creates it")
    else:
        checked = config.check_value(key, value)
        name = _target(app_ctx, cfg)
        data.setdefault("profiles", {}).setdefault(name, {})[key] = checked
        if key == "api_key":
            app_ctx.notice(f"api_key stored in {path} (mode 0600); an environment variable (api_key_env) is safer")
    config.save_file(path, data)


@app.command()
def unset(ctx: typer.Context, key: KeyArg, profile: ProfileOpt = None) -> None:
    """Remove a setting from a profile (or default_profile), falling back to the default."""
    from o4cli.core import config
    from o4cli.core.errors import O4Error

    app_ctx = app_context(ctx, profile=profile)
    path = config.config_path(app_ctx.env)
    cfg = config.load_file(path)
    if key == "default_profile":
        if cfg.data.pop("default_profile", None) is None:
            raise O4Error("default_profile is not set")
    else:
        if key not in config.PROFILE_KEYS:
            config.check_value(key, None)
        name = _target(app_ctx, cfg)
        if key not in cfg.profiles.get(name, {}):
            raise O4Error(f"'{key}' is not set in profile '{name}' of {path}")
        del cfg.data["profiles"][name][key]
    config.save_file(path, cfg.data)


@app.command()
def profiles(ctx: typer.Context, json: JsonOpt = False, plain: PlainOpt = False) -> None:
    """List the profiles in the config file; the default one is marked."""
    from o4cli import render
    from o4cli.core import config

    app_ctx = app_context(ctx, json=json, plain=plain)
    cfg = config.load_file(config.config_path(app_ctx.env))
    default = app_ctx.env.get(config.PROFILE_ENV) or cfg.default_profile
    names = list(cfg.profiles) or [config.DEFAULT_PROFILE]
    if config.DEFAULT_PROFILE == default and default not in names:
        names.insert(0, default)
    rows = []
    for name in names:
        p = cfg.profiles.get(name, {})
        rows.append(
            {
                "name": name,
                "default": name == default,
                "model": p.get("model", config.DEFAULTS["model"]),
                "base_url": p.get("base_url", config.DEFAULTS["base_url"]),
                "tier": p.get("tier", config.DEFAULTS["tier"]),
                "in_file": name in cfg.profiles,
            }
        )
    if app_ctx.json:
        render.print_json(rows)
        return
    render.print_table(
        ["profile", "default", "model", "tier", "base_url"],
        [
            (r["name"] + ("" if r["in_file"] else " (built-in)"), "*" if r["default"] else "", r["model"], r["tier"], r["base_url"])
            for r in rows
        ],
        plain=app_ctx.plain,
    )


@app.command()
def path(
    ctx: typer.Context,
    data: Annotated[bool, typer.Option("--data", help="Print the data folder (ledger) instead.")] = False,
) -> None:
    """Print the config file's path ($O4_CONFIG overrides it)."""
    from o4cli.core import config

    env = app_context(ctx).env
    typer.echo(str(config.data_dir(env) if data else config.config_path(env)))
