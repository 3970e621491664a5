"""Everything o4 shows: tables, key/value views, JSON, error lines.

The only module that uses rich, and only when the stream is a terminal and
neither ``--plain`` nor ``NO_COLOR`` asks for plain text. Piped output is plain:
tab-separated tables with a header line, ``key: value`` lines, or JSON.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from typing import IO, Any

from o4cli.core.errors import ApiError, O4Error


def fancy(stream: IO[str], plain: bool = False) -> bool:
    """Whether ``stream`` gets rich output: a terminal, and plain not asked for."""
    if plain:
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def colour(stream: IO[str]) -> bool:
    return fancy(stream) and not os.environ.get("NO_COLOR")


def console(stream: IO[str] | None = None):  # -> rich.console.Console
    from rich.console import Console

    stream = stream or sys.stdout
    # NO_COLOR: no escape codes at all (rich's own no_color would still send bold).
    styled = colour(stream)
    return Console(
        file=stream,
        color_system="auto" if styled else None,
        force_terminal=styled or None,
        highlight=False,
        soft_wrap=False,
    )


def print_json(obj: Any, stream: IO[str] | None = None) -> None:
    """One JSON document on stdout."""
    stream = stream or sys.stdout
    stream.write(json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")
    stream.flush()


def _cell(value: Any, human: bool = True) -> str:
    """A value as text: thousands separators for people, bare digits for pipes."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}" if human else str(value)
    return str(value)


def print_table(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    title: str | None = None,
    plain: bool = False,
    stream: IO[str] | None = None,
    highlight_row: int | None = None,
) -> None:
    """A table: rich on a terminal; TSV with a header line when piped."""
    stream = stream or sys.stdout
    if not fancy(stream, plain):
        if title:
            stream.write(f"# {title}\n")
        stream.write("\t".join(columns) + "\n")
        for row in rows:
            stream.write("\t".join(_cell(v, human=False).replace("\t", " ") for v in row) + "\n")
        stream.flush()
        return
    from rich import box
    from rich.table import Table

    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", title_style="bold")
    for i, name in enumerate(columns):
        table.add_column(name, justify="left" if i == 0 else "right" if _numeric(rows, i) else "left")
    for i, row in enumerate(rows):
        table.add_row(*(_cell(v) for v in row), style="bold" if i == highlight_row else None)
    console(stream).print(table)


def _numeric(rows: Sequence[Sequence[Any]], i: int) -> bool:
    values = [r[i] for r in rows if r[i] is not None]
    return bool(values) and all(
        isinstance(v, (int, float)) or (isinstance(v, str) and v.startswith("$")) for v in values
    )


def print_fields(
    pairs: Sequence[tuple[str, Any]],
    *,
    title: str | None = None,
    plain: bool = False,
    stream: IO[str] | None = None,
) -> None:
    """Key/value lines: an aligned grid on a terminal; ``key: value`` when piped."""
    stream = stream or sys.stdout
    if not fancy(stream, plain):
        if title:
            stream.write(f"# {title}\n")
        for key, value in pairs:
            stream.write(f"{key}: {_cell(value, human=False)}\n")
        stream.flush()
        return
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    for key, value in pairs:
        grid.add_row(key, _cell(value))
    con = console(stream)
    if title:
        con.print(f"[bold underline]{title}[/]")
    con.print(grid)


def error(exc: O4Error, stream: IO[str] | None = None) -> None:
    """One line for the error, one for the hint; red on a colour terminal."""
    stream = stream or sys.stderr
    text = exc.describe() if isinstance(exc, ApiError) else exc.message
    red, dim, reset = ("\x1b[31m", "\x1b[2m", "\x1b[0m") if colour(stream) else ("", "", "")
    stream.write(f"{red}o4: error:{reset} {text}\n")
    if exc.hint:
        stream.write(f"{dim}o4: hint: {exc.hint}{reset}\n")
    stream.flush()
