"""Everything o4 shows: tables, key/value views, JSON, error lines.

The only module that uses rich, and only when the stream is a terminal and
neither ``--plain`` nor ``NO_COLOR`` asks for plain text. Piped output is plain:
tab-separated tables with a header line, ``key: value`` lines, or JSON.
"""

from __future__ import annotations

import json
import os
import sys
from time import monotonic as _monotonic
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


# ------------------------------------------------------------- answers


def usage_line(
    model: str,
    usage: Any,
    cost: Any,
    seconds: float,
    *,
    pricing: str = "standard",
    estimated: bool = False,
) -> str:
    """``o4-mini · in 1,204 (1,024 cached) · out 812 (640 reasoning) · $0.004052 · 6.1 s · 133 tok/s``"""
    from o4cli.core.cost import format_usd

    rate = usage.output_tokens / seconds if seconds > 0 else 0.0
    tilde = "~" if estimated else ""
    money = format_usd(cost) + ("" if pricing == "standard" else f" {pricing}")
    return " · ".join(
        [
            model,
            f"in {tilde}{usage.input_tokens:,} ({usage.cached_tokens:,} cached)",
            f"out {tilde}{usage.output_tokens:,} ({usage.reasoning_tokens:,} reasoning)",
            tilde + money + (" (estimated)" if estimated else ""),
            f"{seconds:.1f} s",
            f"{rate:.0f} tok/s",
        ]
    )


def bar(done: int, total: int, width: int = 30) -> str:
    """``[████░░░░] 12/30``: a text progress bar for a terminal line."""
    filled = min(width, int(width * done / total)) if total else 0
    return "[" + "█" * filled + "░" * (width - filled) + f"] {done:,}/{total:,}"


def note(text: str, stream: IO[str] | None = None) -> None:
    """A dimmed line on stderr (the summary line, notices)."""
    stream = stream or sys.stderr
    dim, reset = ("\x1b[2m", "\x1b[0m") if colour(stream) else ("", "")
    stream.write(f"{dim}{text}{reset}\n")
    stream.flush()


def print_answer(text: str, *, plain: bool = False, markdown: bool = True, stream: IO[str] | None = None) -> None:
    """The finished answer: rendered markdown on a terminal, the raw text when piped."""
    stream = stream or sys.stdout
    if markdown and fancy(stream, plain):
        from rich.markdown import Markdown

        console(stream).print(Markdown(text))
        return
    # Piped, the answer goes out byte for byte; a terminal gets a final newline.
    tidy = fancy(stream) and text and not text.endswith("\n")
    stream.write(text + ("\n" if tidy else ""))
    stream.flush()


class Waiting:
    """A 'thinking…' spinner on a terminal's stderr while the model reasons."""

    def __init__(self, enabled: bool) -> None:
        self.status = None
        if enabled:
            from rich.status import Status

            self.status = Status("thinking…", console=console(sys.stderr), spinner="dots")
            self.status.start()

    def stop(self) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None


class StreamView:
    """Shows a streamed answer as it is written.

    Piped (or ``--plain``): each text delta is written and flushed as it arrives.
    On a terminal: markdown rendered live. Finished blocks (up to a blank line outside a
    code fence) are printed once, above the live region, and only the open block is
    re-rendered, so the cost stays linear in the answer's length. A reasoning summary,
    when one streams in before the answer, is shown dimmed on stderr.
    """

    REFRESH = 0.1  # seconds between re-renders of the open block

    def __init__(self, *, plain: bool = False, quiet: bool = False, out: IO[str] | None = None) -> None:
        self.out = out or sys.stdout
        self.fancy = fancy(self.out, plain)
        self.show_summary = not quiet and fancy(sys.stderr, plain)
        self.waiting = Waiting(self.show_summary or self.fancy)
        self.summarising = False
        self.live = None
        self.open = ""
        self._pos = 0
        self._in_fence = False
        self._has_content = False  # does the open block hold more than blank lines?
        self._last = 0.0
        self.wrote_text = False
        self.ends_with_newline = True
        self._fd: int | None = None
        if not self.fancy and self.out in (sys.stdout, sys.__stdout__):
            try:
                self.out.flush()
                self._fd = self.out.fileno()
            except (AttributeError, OSError, ValueError):
                self._fd = None

    def summary(self, delta: str) -> None:
        if not self.show_summary or self.wrote_text:
            return
        self.waiting.stop()
        if not self.summarising:
            # dim from here until the answer starts (see _end_summary)
            sys.stderr.write(("\x1b[2m" if colour(sys.stderr) else "") + "thinking: ")
            self.summarising = True
        sys.stderr.write(delta)
        sys.stderr.flush()

    def _end_summary(self, gap: str) -> None:
        if self.summarising:
            sys.stderr.write(("\x1b[0m" if colour(sys.stderr) else "") + gap)
            sys.stderr.flush()
            self.summarising = False

    def text(self, delta: str) -> None:
        if not self.wrote_text:
            self.waiting.stop()
            self._end_summary("\n\n")
            self.wrote_text = True
        if not self.fancy:
            if self._fd is not None:
                data = delta.encode()
                while data:  # straight to the file descriptor: one syscall, already flushed
                    data = data[os.write(self._fd, data) :]
            else:
                self.out.write(delta)
                self.out.flush()
            if delta:
                self.ends_with_newline = delta.endswith("\n")
            return
        self._feed(delta)

    def _feed(self, delta: str) -> None:
        if self.live is None:
            from rich.live import Live
            from rich.markdown import Markdown

            self._markdown = Markdown
            self.live = Live(console=console(self.out), auto_refresh=False, transient=True, vertical_overflow="crop")
            self.live.start()
        Markdown = self._markdown  # noqa: N806 - imported once, on the first delta
        self.open += delta
        boundary = 0
        while True:
            nl = self.open.find("\n", self._pos)
            if nl < 0:
                break
            line = self.open[self._pos : nl].strip()
            if line.startswith(("```", "~~~")):
                self._in_fence = not self._in_fence
            elif not line and not self._in_fence and self._has_content:
                boundary = nl + 1
            self._has_content = self._has_content or bool(line)
            self._pos = nl + 1
        if boundary:
            finished, self.open = self.open[:boundary], self.open[boundary:]
            self._pos -= boundary
            self._has_content = bool(self.open[: self._pos].strip())
            self.live.update("", refresh=True)
            self.live.console.print(Markdown(finished))
        now = _monotonic()
        if now - self._last >= self.REFRESH:
            self._last = now
            self.live.update(Markdown(self.open), refresh=True)

    def close(self) -> None:
        """Print what is still open and leave the terminal tidy."""
        self.waiting.stop()
        self._end_summary("\n")
        if self.live is not None:
            from rich.markdown import Markdown

            self.live.update("", refresh=True)
            self.live.stop()
            if self.open.strip():
                console(self.out).print(Markdown(self.open))
            self.live = None
        elif self.wrote_text and not self.ends_with_newline and fancy(self.out):
            self.out.write("\n")
            self.out.flush()
