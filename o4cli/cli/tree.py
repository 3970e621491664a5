"""The typer app: the root ``o4`` command, its global options, and one sub-app per command group.

Modules here import only typer and the standard library at the top; everything
heavy (httpx, rich, the API) is imported inside the command that needs it.

``app_for(args)`` builds only what a run needs: for ``o4 ask ...`` the root and the
``ask`` module's commands, not the whole tree (typer turns every registered command into
a click command on each run). ``o4 --help``, an unknown name and shell completion get
the whole tree, which is also what ``app`` is (built on first use).
"""

from __future__ import annotations

import importlib
from typing import Annotated, Any, Optional

import typer

from o4cli.cli.context import CURRENT, AppContext
from o4cli.cli.options import JsonOpt, PlainOpt, ProfileOpt, QuietOpt, VerboseOpt

# Each top-level name and the module of o4cli.cli that registers it, in help order. A module
# with ``register(root)`` adds its commands to the root; otherwise its ``app`` is a group.
COMMANDS = {
    "ask": "ask",
    "stream": "ask",
    "wait": "background",
    "cancel": "background",
    "jobs": "background",
    "chat": "chat",
    "batch": "batch",
    "config": "config",
    "finetune": "finetune",
    "logs": "logs",
    "models": "models",
    "templates": "templates",
    "usage": "usage",
}
VALUE_OPTIONS = {"-p", "--profile"}  # the root's options that take a value


def _version(value: bool) -> None:
    if value:
        from o4cli import __version__

        typer.echo(f"o4 {__version__}")
        raise typer.Exit()


def root(
    ctx: typer.Context,
    json: JsonOpt = False,
    plain: PlainOpt = False,
    quiet: QuietOpt = False,
    profile: ProfileOpt = None,
    verbose: VerboseOpt = False,
    version: Annotated[
        Optional[bool],
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = None,
) -> None:
    """Store the global options; no file, network or rich work here."""
    ctx.obj = AppContext(profile=profile, verbose=verbose, quiet=quiet, plain=plain, json=json)
    CURRENT.set(ctx.obj)


def build(only: str | None = None) -> typer.Typer:
    """The root app with every command, or with only the module that registers ``only``."""
    app = typer.Typer(
        name="o4",
        help="o4: OpenAI's o4-mini from the terminal: prompts, streams, batches, fine-tuning, costs.",
        no_args_is_help=True,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(root)
    wanted = [COMMANDS[only]] if only else list(dict.fromkeys(COMMANDS.values()))
    for name in wanted:
        module = importlib.import_module(f"o4cli.cli.{name}")
        if hasattr(module, "register"):
            module.register(app)
        else:
            app.add_typer(module.app, name=name)
    return app


def command_name(args: list[str]) -> str | None:
    """The command a run names (``o4 -p work ask hi``: ``ask``), when only its module is
    needed; None for help, completion, no command or an unknown one (the whole tree)."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in ("-h", "--help", "--"):
            return None
        elif arg in VALUE_OPTIONS:
            skip = True
        elif arg.startswith("-"):
            # bundled short flags: -qvp NAME takes the next word as the profile
            skip = not arg.startswith("--") and arg.endswith("p")
        else:
            return arg if arg in COMMANDS else None
    return None


def app_for(args: list[str], env: Any) -> typer.Typer:
    """The app to run ``args`` with (``env``: shell completion needs the whole tree)."""
    if "_O4_COMPLETE" in env:
        return build()
    return build(command_name(args))


def __getattr__(name: str) -> Any:
    if name == "app":  # the whole tree, for the docs generator and the tests
        globals()["app"] = value = build()
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
