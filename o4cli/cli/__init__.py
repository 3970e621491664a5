"""The root ``o4`` command: global options, and one sub-app per command group.

Modules here import only typer and the standard library at the top; everything
heavy (httpx, rich, the API) is imported inside the command that needs it.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from o4cli.cli import ask as ask_cmd
from o4cli.cli import background as background_cmd
from o4cli.cli import batch as batch_cmd
from o4cli.cli import chat as chat_cmd
from o4cli.cli import config as config_cmd
from o4cli.cli import finetune as finetune_cmd
from o4cli.cli import logs as logs_cmd
from o4cli.cli import models as models_cmd
from o4cli.cli import templates as templates_cmd
from o4cli.cli import usage as usage_cmd
from o4cli.cli.context import CURRENT, AppContext
from o4cli.cli.options import JsonOpt, PlainOpt, ProfileOpt, QuietOpt, VerboseOpt

app = typer.Typer(
    name="o4",
    help="o4: OpenAI's o4-mini from the terminal: prompts, streams, batches, fine-tuning, costs.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from o4cli import __version__

        typer.echo(f"o4 {__version__}")
        raise typer.Exit()


@app.callback()
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


ask_cmd.register(app)
background_cmd.register(app)
chat_cmd.register(app)
app.add_typer(batch_cmd.app, name="batch")
app.add_typer(config_cmd.app, name="config")
app.add_typer(finetune_cmd.app, name="finetune")
app.add_typer(logs_cmd.app, name="logs")
app.add_typer(models_cmd.app, name="models")
app.add_typer(templates_cmd.app, name="templates")
usage_cmd.register(app)
