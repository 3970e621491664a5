"""A small terminal for tests: what a person would see after the bytes o4 wrote.

It keeps every row written (the scrollback and the screen, as one list; the screen is the
last ``height`` rows), and understands what o4's live views send: text, ``\\n`` (as a tty
with ONLCR shows it), ``\\r``, cursor up ``ESC[nA``, erase below ``ESC[J``, erase line
``ESC[2K`` / ``ESC[K``; colours (SGR), hyperlinks (OSC 8) and cursor show/hide are
ignored. A line longer than the width wraps, as a terminal wraps it. Any other escape
sequence is an error: o4 must not send what this terminal does not know.
"""

from __future__ import annotations

import re

from rich.cells import cell_len

_ESCAPE = re.compile(r"\x1b(?:\[([0-9;?]*)([A-Za-z])|\]8;[^\x1b\x07]*(?:\x1b\\|\x07))")


class Screen:
    def __init__(self, width: int = 80, height: int = 25) -> None:
        self.width, self.height = width, height
        self.rows: list[list[str]] = [[]]
        self.row = self.col = 0
        self.pending_wrap = False  # a character in the last column: the next one wraps

    def feed(self, data: str) -> Screen:
        pos = 0
        for m in _ESCAPE.finditer(data):
            self._text(data[pos : m.start()])
            self._escape(m)
            pos = m.end()
        self._text(data[pos:])
        return self

    def _escape(self, m: re.Match) -> None:
        if m.group(2) is None:  # OSC 8 (a hyperlink): no effect on the text
            return
        args, code = m.group(1), m.group(2)
        if code == "m" or args in ("?25", "?25l", "?25h") or code in "hl" and args.startswith("?"):
            return
        n = int(args or "1") if args.isdigit() or not args else None
        if code == "A" and n is not None:
            self.row = max(self.row - n, 0)
            self.pending_wrap = False
        elif code == "J" and args in ("", "0"):
            del self.rows[self.row + 1 :]
            del self.rows[self.row][self.col :]
        elif code == "K" and args in ("2", "", "0"):
            if args == "2":
                self.rows[self.row] = []
            else:
                del self.rows[self.row][self.col :]
        else:
            raise AssertionError(f"unexpected escape sequence {m.group(0)!r}")

    def _text(self, text: str) -> None:
        for ch in text:
            if ch == "\n":
                self._line_feed()
                self.col, self.pending_wrap = 0, False
            elif ch == "\r":
                self.col, self.pending_wrap = 0, False
            elif ch == "\x1b" or (ord(ch) < 0x20 and ch != "\t") or 0x7F <= ord(ch) < 0xA0:
                raise AssertionError(f"control character {ch!r} reached the terminal")
            else:
                self._put(ch)

    def _line_feed(self) -> None:
        self.row += 1
        if self.row == len(self.rows):
            self.rows.append([])

    def _put(self, ch: str) -> None:
        w = cell_len(ch) if ch != "\t" else 1
        if self.pending_wrap or self.col + w > self.width:
            self._line_feed()
            self.col, self.pending_wrap = 0, False
        row = self.rows[self.row]
        while len(row) < self.col:
            row.append(" ")
        if self.col < len(row):
            row[self.col] = ch
        else:
            row.append(ch)
        self.col += w
        if self.col >= self.width:
            self.col, self.pending_wrap = self.width - 1, True

    # ------------------------------------------------------------------ what is seen

    def lines(self) -> list[str]:
        """Every row, scrollback included, without trailing spaces or empty rows at the end."""
        out = ["".join(r).rstrip() for r in self.rows]
        while out and not out[-1]:
            out.pop()
        return out

    def text(self) -> str:
        return "\n".join(self.lines())

    def visible(self) -> list[str]:
        """The rows on screen now: the last ``height`` rows up to the cursor's."""
        rows = ["".join(r).rstrip() for r in self.rows[: max(self.row + 1, 1)]]
        return rows[-self.height :]
