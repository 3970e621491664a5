"""Options shared by every command, and the AppContext they build.

``--profile/-p``, ``-v/--verbose`` and ``-q/--quiet`` work before the command
(``o4 -p work models show``) and after it (``o4 models show -p work``).
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, Optional

import typer

from o4cli.core.context import AppContext

def complete_profile(incomplete: str) -> list[str]:
    """Profile names from the config file, for shell completion (never fails)."""
    import os

    from o4cli.core import config

    try:
        cfg = config.load_file(config.config_path(os.environ))
    except Exception:  # noqa: BLE001 - a broken config must not break the shell
        return []
    return [name for name in cfg.profiles if name.startswith(incomplete)]


ProfileOpt = Annotated[
    Optional[str],
    typer.Option(
        "--profile",
        "-p",
        metavar="NAME",
        help="Profile from the config file (default: $O4_PROFILE or default_profile).",
        show_default=False,
        autocompletion=complete_profile,
    ),
]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Log each HTTP request and retry to stderr.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No summary or notices on stderr; errors still show.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
PlainOpt = Annotated[bool, typer.Option("--plain", help="Plain text even on a terminal.")]


def app_context(
    ctx: typer.Context,
    *,
    profile: str | None = None,
    verbose: bool = False,
    quiet: bool = False,
    plain: bool = False,
    json: bool = False,
    flags: dict[str, Any] | None = None,
) -> AppContext:
    """The invocation's AppContext, with this command's options laid over the global ones."""
    root = ctx.find_root().obj
    app = root if isinstance(root, AppContext) else AppContext()
    if profile:
        app.profile = profile
    app.verbose = app.verbose or verbose
    app.quiet = app.quiet or quiet
    app.plain = app.plain or plain
    app.json = app.json or json
    if flags:
        app.flags.update({k: v for k, v in flags.items() if v is not None})
    return app


class Effort(str, Enum):
    low = "low"
    medium = "medium"
    high = "high"


class ApiKind(str, Enum):
    responses = "responses"
    chat = "chat"


class Detail(str, Enum):
    low = "low"
    high = "high"
    auto = "auto"


ModelOpt = Annotated[Optional[str], typer.Option("--model", "-m", metavar="MODEL", help="Model (default: the profile's, o4-mini).", show_default=False)]
EffortOpt = Annotated[Optional[Effort], typer.Option("--effort", "-e", help="Reasoning effort (default: the profile's, medium).", show_default=False)]
SystemOpt = Annotated[Optional[str], typer.Option("--system", "-s", metavar="TEXT", help="Developer instructions.", show_default=False)]
MaxOutputOpt = Annotated[Optional[int], typer.Option("--max-output", metavar="N", help="Cap on output tokens, reasoning included (16 or more).", show_default=False)]
EndpointOpt = Annotated[Optional[ApiKind], typer.Option("--endpoint", help="API for prompt lines (default: the profile's api).", show_default=False)]


def model_flags(model: str | None, effort: Effort | None) -> dict[str, Any]:
    """-m/-e as settings overrides (highest in the resolution order)."""
    return {"model": model, "effort": effort.value if effort else None}
