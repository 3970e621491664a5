"""Every byte a person sees goes through ``Out``: results on stdout, notes, warnings,
progress and errors on stderr.

rich is used only when the stream is a terminal and neither ``--plain`` nor ``NO_COLOR``
asks for plain text. Piped output is plain: tab-separated tables with a header line,
``key: value`` lines, or JSON. The streams and the environment come from the invocation's
context, so a test hands in ``StringIO``s.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any

from o4cli.core.errors import ApiError, O4Error
from o4cli.render.text import safe

# Columns whose values are copied (ids, model names, money): never cut or wrapped; nor are
# columns of numbers, dates and other one-word values (_TOKEN).
_TOKEN = re.compile(r"^\S{0,24}$")
_KEEP_HEADERS = re.compile(r"^(batch|job|model|checkpoint|fine-tuned model|profile|file|id)$|\$|cost|price", re.I)


def isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Out:
    """The output of one invocation."""

    def __init__(
        self,
        stdout: IO[str],
        stderr: IO[str],
        env: Mapping[str, str],
        *,
        plain: bool = False,
        quiet: bool = False,
    ) -> None:
        self.stdout, self.stderr = stdout, stderr
        self.plain, self.quiet = plain, quiet
        self.no_color = bool(env.get("NO_COLOR"))
        self.fancy = not plain and isatty(stdout)  # rich tables and markdown on stdout
        self.fancy_err = not plain and isatty(stderr)  # live progress on stderr
        self.colour_err = isatty(stderr) and not self.no_color
        self.stdout_tty = isatty(stdout)
        self.printed_json = False  # a command's document is out: an error adds no second one

    # ------------------------------------------------------------ building blocks

    def console(self, stream: IO[str] | None = None):  # -> rich.console.Console
        from rich.console import Console

        stream = stream or self.stdout
        # NO_COLOR: no escape codes at all (rich's own no_color would still send bold).
        styled = isatty(stream) and not self.no_color
        return Console(
            file=stream,
            color_system="auto" if styled else None,
            force_terminal=styled or None,
            highlight=False,
            soft_wrap=False,
        )

    def _dim(self, text: str) -> str:
        return f"\x1b[2m{text}\x1b[0m" if self.colour_err else text

    # ------------------------------------------------------------------ stdout

    def write(self, text: str) -> None:
        """Text on stdout (ids, answers, lines): as it is when piped, made harmless
        (``text.safe``) when stdout is a terminal."""
        self.stdout.write(safe(text) if self.stdout_tty else text)
        self.stdout.flush()

    def write_bytes(self, chunks: Iterable[bytes]) -> None:
        """Bytes on stdout as they are (result lines), through the text stream's buffer."""
        buffer = getattr(self.stdout, "buffer", None)
        self.stdout.flush()
        for chunk in chunks:
            if buffer is not None:
                buffer.write(chunk)
            else:
                self.stdout.write(chunk.decode("utf-8"))
        if buffer is not None:
            buffer.flush()
        self.stdout.flush()

    def lines(self, items: Sequence[str]) -> None:
        self.write("".join(f"{i}\n" for i in items))

    def json(self, doc: Any, *, lines: bool = False) -> None:
        """One JSON document on stdout (``lines``: compact, one a line, for JSON Lines)."""
        from o4cli.core.documents import dumps

        self.write(dumps(doc, indent=None if lines else 2) + "\n")
        self.printed_json = True

    def table(
        self,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        *,
        title: str | None = None,
        highlight_row: int | None = None,
    ) -> None:
        """A table: rich on a terminal (ids, models and money never cut: other columns
        wrap); TSV with a header line when piped."""
        stream = self.stdout
        if not self.fancy:
            if title:
                stream.write(f"# {title}\n")
            stream.write("\t".join(columns) + "\n")
            clean = safe if self.stdout_tty else str
            for row in rows:
                stream.write("\t".join(clean(_cell(v, human=False).replace("\t", " ")) for v in row) + "\n")
            stream.flush()
            return
        from rich import box
        from rich.table import Table

        cells = [[safe(_cell(v)) for v in row] for row in rows]
        keep = [
            i == 0 or bool(_KEEP_HEADERS.search(name)) or all(_TOKEN.match(r[i]) for r in cells)
            for i, name in enumerate(columns)
        ]
        least = [
            max([len(name), *(len(r[i]) for r in cells)]) if keep[i] else min(len(name), 6)
            for i, name in enumerate(columns)
        ]
        con = self.console()
        if sum(least) + 3 * len(columns) + 1 > con.width:
            # Whole ids, names, numbers and money do not fit side by side: one block a row
            # (every value whole) rather than a table with cut or missing columns.
            self._records(con, columns, cells, title)
            return
        table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", title_style="bold")
        for i, name in enumerate(columns):
            table.add_column(
                name,
                justify="left" if i == 0 else "right" if _numeric(rows, i) else "left",
                no_wrap=keep[i],
                min_width=least[i],
                overflow="fold",
            )
        for i, row in enumerate(cells):
            table.add_row(*row, style="bold" if i == highlight_row else None)
        con.print(table)

    def _records(self, con: Any, columns: Sequence[str], cells: list[list[str]], title: str | None) -> None:
        from rich.table import Table

        if title:
            con.print(f"[bold underline]{title}[/]")
        for n, row in enumerate(cells):
            grid = Table.grid(padding=(0, 2))
            grid.add_column(style="bold", no_wrap=True)
            grid.add_column(overflow="fold")
            for name, value in zip(columns, row, strict=True):
                grid.add_row(name, value)
            if n:
                con.print()
            con.print(grid)

    def fields(self, pairs: Sequence[tuple[str, Any]], *, title: str | None = None) -> None:
        """Key/value lines: an aligned grid on a terminal; ``key: value`` when piped."""
        stream = self.stdout
        if not self.fancy:
            if title:
                stream.write(f"# {title}\n")
            clean = safe if self.stdout_tty else str
            for key, value in pairs:
                stream.write(f"{key}: {clean(_cell(value, human=False))}\n")
            stream.flush()
            return
        from rich.table import Table

        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(overflow="fold")
        for key, value in pairs:
            grid.add_row(key, safe(_cell(value)))
        con = self.console()
        if title:
            con.print(f"[bold underline]{title}[/]")
        con.print(grid)

    # ------------------------------------------------------------------ stderr

    def note(self, text: str) -> None:
        """A dimmed line on stderr (the summary line); callers skip it under -q."""
        self.stderr.write(self._dim(safe(text)) + "\n")
        self.stderr.flush()

    def notice(self, message: str) -> None:
        """``o4: message`` on stderr, unless -q/--quiet."""
        if not self.quiet:
            self.stderr.write(f"o4: {safe(message)}\n")
            self.stderr.flush()

    def warn(self, message: str) -> None:
        """``o4: warning: message`` on stderr, always."""
        self.stderr.write(self._dim(f"o4: warning: {safe(message)}") + "\n")
        self.stderr.flush()

    def log(self, message: str) -> None:
        """A -v line on stderr (the caller decides whether -v is on)."""
        self.stderr.write(f"o4: {safe(message)}\n")
        self.stderr.flush()

    def error(self, exc: O4Error) -> None:
        """The problems it carries (one a line), then the error line and its hint."""
        from o4cli.core.problems import MAX_SHOWN

        problems = getattr(exc, "problems", None) or []
        for p in problems[:MAX_SHOWN]:
            self.stderr.write(f"{safe(str(p))}\n")
        if len(problems) > MAX_SHOWN:
            self.stderr.write(f"o4: ... and {len(problems) - MAX_SHOWN:,} more\n")
        text = safe(exc.describe() if isinstance(exc, ApiError) else exc.message)
        red, dim, reset = ("\x1b[31m", "\x1b[2m", "\x1b[0m") if self.colour_err else ("", "", "")
        self.stderr.write(f"{red}o4: error:{reset} {text}\n")
        if exc.hint:
            self.stderr.write(f"{dim}o4: hint: {safe(exc.hint)}{reset}\n")
        self.stderr.flush()

    def progress(self, *, enabled: bool = True):  # -> ProgressLine
        from o4cli.render.progress import ProgressLine

        return ProgressLine(self.stderr, live=self.fancy_err, enabled=enabled and not self.quiet)

    def panel(self):  # -> JobPanel
        from o4cli.render.progress import JobPanel

        return JobPanel(self.stderr, colour=self.colour_err)


def _cell(value: Any, human: bool = True) -> str:
    """A value as text: thousands separators for people, bare digits for pipes."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}" if human else str(value)
    return str(value)


def _numeric(rows: Sequence[Sequence[Any]], i: int) -> bool:
    values = [r[i] for r in rows if r[i] is not None]
    return bool(values) and all(
        isinstance(v, (int, float)) or (isinstance(v, str) and v.startswith("$")) for v in values
    )
