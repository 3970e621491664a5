"""The quick lane: a plain ``o4 ask ...`` or ``o4 stream ...`` parsed without typer.

Importing typer and turning ``cli.ask``'s declarations into a click command costs about
30 ms of CPU, most of a one-off call's own work (README "Benchmarks"). This lane parses the
common command lines itself, from ``quick_spec`` (generated from the typer app by
``scripts/gen_docs.py``, and kept current by tests/test_generated.py), and calls the same
``cli.ask_run.perform`` with the same values typer would pass (tests/cli/test_quick.py checks
that on a corpus of command lines).

It takes only what it parses exactly as click does. Anything else (help, ``--``, bundled
short flags, ``-fVALUE``, a value that starts with ``-``, an unknown option, a value that is
not a choice or a number, shell completion) returns None: typer then parses it and gives its
usual help or error. So this lane can never accept a command line typer refuses, nor read
one differently.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from o4cli.cli import quick_spec as spec

Parsed = tuple[str, dict[str, Any], dict[str, Any]]  # command, root options, command options


def parse(args: list[str]) -> Parsed | None:
    """(command, root options, its options as typer converts them), or None for typer."""
    root: dict[str, Any] = {}
    i = 0
    while i < len(args) and args[i].startswith("-"):
        i = _option(spec.ROOT, args, i, root)
        if i < 0:
            return None
    if i == len(args) or args[i] not in spec.COMMANDS:
        return None
    name, given, words = args[i], {}, []
    i += 1
    while i < len(args):
        arg = args[i]
        if arg.startswith("-") and arg != "-":  # click: a lone "-" is a word
            i = _option(spec.OPTIONS, args, i, given)
            if i < 0:
                return None
        else:
            words.append(arg)
            i += 1
    given["words"] = words
    return name, root, _converted(given)


def _option(table: Mapping[str, tuple[str, Any]], args: list[str], i: int, into: dict[str, Any]) -> int:
    """Take the option at ``args[i]`` into ``into``; the next index, or -1 (typer's case)."""
    arg = args[i]
    opt, eq, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
    entry = table.get(opt)
    if entry is None:  # unknown, --help, --, bundled short flags, -fVALUE
        return -1
    param, takes = entry
    if isinstance(takes, bool):
        if eq:  # click refuses a value for a flag
            return -1
        into[param] = takes
        return i + 1
    if not eq:
        if i + 1 == len(args) or args[i + 1].startswith("-"):
            return -1  # missing, or a value that click would take but a person may not have meant
        value = args[i + 1]
        i += 1
    if takes == "int":
        try:
            value = int(value)  # as click's INT converts
        except ValueError:
            return -1
    elif takes == "choice" and value not in spec.CHOICES[param][1]:
        return -1
    if param in spec.MULTIPLE:
        into.setdefault(param, []).append(value)
    else:
        into[param] = value  # click: the last one given wins
    return i + 1


def _converted(given: dict[str, Any]) -> dict[str, Any]:
    """Every parameter, given or default, as typer hands it over: a list or None for the
    repeatable ones, an enum member for a choice."""
    from o4cli.cli import choices

    values = {**spec.DEFAULTS, **given}
    for param in (*spec.MULTIPLE, "words"):
        if not values[param]:
            values[param] = None
    for param, (enum, _) in spec.CHOICES.items():
        if values[param] is not None:
            values[param] = getattr(choices, enum)(values[param])
    return values


def plan(args: list[str], env: Mapping[str, str]) -> Callable[[], Any] | None:
    """The run of ``args`` by the quick lane, or None when typer must take it."""
    if "_O4_COMPLETE" in env:
        return None
    parsed = parse(args)
    if parsed is None:
        return None
    name, root, options = parsed

    def run() -> Any:
        from o4cli.cli.ask_run import perform
        from o4cli.cli.context import CURRENT, AppContext, apply_globals, invoke

        app = AppContext(**root)
        CURRENT.set(app)
        apply_globals(app, {g: options.pop(g) for g in spec.GLOBALS})
        return invoke(perform, app, name, **options)

    return run
