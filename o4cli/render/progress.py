"""Progress on stderr: one line that updates in place, and one multi-line job panel.

On a terminal both redraw in place and are cut to the terminal's width (a line drops
its last parts first, so the id at its head is never cut); piped, each change is one
plain ``o4: ...`` line, and nothing is printed twice in a row.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from typing import IO

from o4cli.render.text import SEP, fit, safe

CLEAR_LINE = "\r\x1b[2K"


def width(stream: IO[str]) -> int:
    """The terminal's columns (80 when it cannot tell)."""
    try:
        import os

        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return shutil.get_terminal_size((80, 24)).columns


class ProgressLine:
    """One line of progress (``batch status --watch``, ``batch run``)."""

    def __init__(self, stream: IO[str], *, live: bool, enabled: bool = True) -> None:
        self.stream = stream
        self.live = live and enabled
        self.enabled = enabled
        self.last: str | None = None
        self.drawn = False

    def update(self, parts: Sequence[str]) -> None:
        if not self.enabled:
            return
        parts = [safe(p) for p in parts]
        if self.live:
            text = fit(parts, max(width(self.stream) - 1, 10))
            if text != self.last:
                self.stream.write(CLEAR_LINE + text)
                self.stream.flush()
                self.drawn = True
        else:
            text = SEP.join(parts)
            if text != self.last:
                self.stream.write(f"o4: {text}\n")
                self.stream.flush()
        self.last = text

    def close(self, *, keep: bool = False) -> None:
        """End the line: keep it on screen (``keep``) or clear it."""
        if self.live and self.drawn:
            self.stream.write("\n" if keep else CLEAR_LINE)
            self.stream.flush()
        self.drawn = False


class JobPanel:
    """A few lines about a job (head, metrics, recent events) redrawn in place."""

    def __init__(self, stream: IO[str], *, colour: bool) -> None:
        self.stream = stream
        self.colour = colour
        self.drawn = 0

    def draw(self, head: Sequence[str], lines: Sequence[str]) -> None:
        cols = max(width(self.stream) - 1, 20)
        head, lines = [safe(h) for h in head], [safe(line) for line in lines]
        bold, dim, reset = ("\x1b[1m", "\x1b[2m", "\x1b[0m") if self.colour else ("", "", "")
        out = f"\x1b[{self.drawn}F\x1b[J" if self.drawn else ""
        out += f"{bold}{fit(head, cols)}{reset}\n"
        for i, line in enumerate(lines):
            text = ("  " + line)[:cols]
            out += f"{dim}{text}{reset}\n" if i else f"{text}\n"
        self.stream.write(out)
        self.stream.flush()
        self.drawn = 1 + len(lines)
