"""Options shared by the commands, and ``command()``, which gives every command the
global options.

The global options ``--json``, ``--plain``, ``-q/--quiet``, ``-p/--profile`` and
``-v/--verbose`` work before the command (``o4 -p work models show``) and after it
(``o4 models show -p work``), on every command, listed last and in that order.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any, Optional, get_type_hints

import typer

from o4cli.cli.choices import ApiKind, Detail, Effort, model_flags  # noqa: F401 - the commands import them from here
from o4cli.cli.context import CURRENT, AppContext, apply_globals, invoke


def _plain_metavars() -> None:
    """Help shows ``KEY`` and ``low|medium|high``, not typer's ``{KEY}`` and ``<low|medium|high>``."""
    from typer._types import TyperChoice
    from typer.core import TyperArgument

    if getattr(TyperArgument, "_o4_plain", False):
        return
    arg_metavar, choice_metavar = TyperArgument.make_metavar, TyperChoice.get_metavar

    def argument(self: Any, ctx: Any, *, usage: bool = False) -> str:
        var = arg_metavar(self, ctx, usage=usage)
        return var[1:-1] if var.startswith("{") and var.endswith("}") else var

    def choice(self: Any, param: Any, ctx: Any) -> str | None:
        var = choice_metavar(self, param, ctx)
        return var[1:-1] if var and var.startswith("<") and var.endswith(">") else var

    TyperArgument.make_metavar, TyperChoice.get_metavar = argument, choice  # type: ignore[method-assign]
    TyperArgument._o4_plain = True  # type: ignore[attr-defined]


_plain_metavars()


def in_range(flag: str, lo: int | float, hi: int | float | None = None) -> Callable[[Any], Any]:
    """A callback checking a number's range (typer's min/max would print ``1<=x<=100`` in help)."""

    def check(value: Any) -> Any:
        if value is not None and (value < lo or (hi is not None and value > hi)):
            raise typer.BadParameter(
                f"must be {lo} or more" if hi is None else f"must be from {lo} to {hi}", param_hint=flag
            )
        return value

    return check


def complete_profile(incomplete: str) -> list[str]:
    """Profile names from the config file, for shell completion (never fails)."""
    import os

    from o4cli.core import config

    try:
        cfg = config.load_file(config.config_path(os.environ))
    except Exception:  # noqa: BLE001 - a broken config must not break the shell
        return []
    return [name for name in cfg.profiles if name.startswith(incomplete)]


JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print one JSON document on stdout (a stream of items: JSON Lines).")
]
PlainOpt = Annotated[bool, typer.Option("--plain", help="Plain text even on a terminal.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No summary or notices on stderr; errors still show.")]
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

GLOBALS: tuple[tuple[str, Any, Any], ...] = (
    ("json", JsonOpt, False),
    ("plain", PlainOpt, False),
    ("quiet", QuietOpt, False),
    ("profile", ProfileOpt, None),
    ("verbose", VerboseOpt, False),
)


def root_context(ctx: typer.Context) -> AppContext:
    """The invocation's AppContext (made by the root callback; made here when a test
    invokes a sub-app directly)."""
    root = ctx.find_root()
    if not isinstance(root.obj, AppContext):
        root.obj = AppContext()
        CURRENT.set(root.obj)
    return root.obj


def command(
    group: typer.Typer, name: str | None = None, *, callback: bool = False, **kwargs: Any
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``fn`` on ``group`` with the global options appended to its own (as the
    group's own callback with ``callback``: ``o4 usage`` is a command and a group).

    The command receives ``ctx`` and its own options; it reads the global ones from
    ``context(ctx)``."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        hints = get_type_hints(fn, include_extras=True)
        sig = inspect.signature(fn)
        own = [p.replace(annotation=hints.get(p.name, p.annotation)) for p in sig.parameters.values()]
        extra = [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, annotation=a, default=d) for n, a, d in GLOBALS]

        @functools.wraps(fn)
        def wrapper(*args: Any, **kw: Any) -> Any:
            given = {n: kw.pop(n) for n, _, _ in GLOBALS if n in kw}
            ctx = kw.get("ctx") or next(a for a in args if isinstance(a, typer.Context))
            apply_globals(root_context(ctx), given)
            return invoke(fn, *args, **kw)

        del wrapper.__wrapped__  # typer must see the new signature, not fn's
        wrapper.__signature__ = sig.replace(parameters=own + extra)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in own + extra}
        (group.callback(**kwargs) if callback else group.command(name, **kwargs))(wrapper)
        return fn

    return register


def context(ctx: typer.Context, *, flags: dict[str, Any] | None = None) -> AppContext:
    """The invocation's AppContext, with this command's settings overrides (``-m``, ``-e``)."""
    return root_context(ctx).override(flags)


# ------------------------------------------------------------ shared options


ModelOpt = Annotated[
    Optional[str],
    typer.Option("--model", "-m", metavar="MODEL", help="Model (default: the profile's, o4-mini).", show_default=False),
]
EffortOpt = Annotated[
    Optional[Effort],
    typer.Option(
        "--effort",
        "-e",
        help="Reasoning effort; the model's catalog entry says which it takes (default: the profile's, medium).",
        show_default=False,
    ),
]
SystemOpt = Annotated[
    Optional[str],
    typer.Option("--system", "-s", metavar="INSTRUCTIONS", help="Developer instructions.", show_default=False),
]
MaxOutputOpt = Annotated[
    Optional[int],
    typer.Option(
        "--max-output", metavar="N", help="Cap on output tokens, reasoning included (16 or more).", show_default=False
    ),
]
EndpointOpt = Annotated[
    Optional[ApiKind],
    typer.Option("--endpoint", help="API for prompt lines (default: the profile's api).", show_default=False),
]
MaxCostOpt = Annotated[
    Optional[str],
    typer.Option(
        "--max-cost", metavar="USD", help="Refuse to send when the worst case could cost more.", show_default=False
    ),
]
NoLogOpt = Annotated[
    bool, typer.Option("--no-log", help="Keep no prompt or answer of this call in the history (the cost still is).")
]
TemplateOpt = Annotated[
    Optional[str],
    typer.Option(
        "--template", "-t", metavar="NAME", help="Apply a saved template (`o4 templates list`).", show_default=False
    ),
]
VarOpt = Annotated[
    Optional[list[str]],
    typer.Option(
        "--var", metavar="KEY=VALUE", help="A template variable: $KEY becomes VALUE (repeatable).", show_default=False
    ),
]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="Check everything and show what would be sent; send nothing.")
]
OutputOpt = Annotated[
    Optional[str],
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="Write the results here (atomically) instead of stdout.",
        show_default=False,
    ),
]
ErrorsOpt = Annotated[
    Optional[str],
    typer.Option("--errors", metavar="FILE", help="Write the failed requests' lines here.", show_default=False),
]
MetadataOpt = Annotated[
    Optional[list[str]],
    typer.Option("--metadata", metavar="KEY=VALUE", help="Metadata to tag it with (repeatable).", show_default=False),
]
ForceOpt = Annotated[bool, typer.Option("--force", help="Submit again even if this input was submitted before.")]
