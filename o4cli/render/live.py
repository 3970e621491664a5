"""Markdown shown on a terminal while it streams in, at a cost linear in its length.

What is finished goes to the scrollback once, as it will stay: whole blocks (a paragraph,
a list, a heading, a table, a code block), and the finished parts of a long block that is
still open: the complete lines of a code block, the items of a list before the one being
written, the wrapped lines of a long paragraph but its last ones. Only the rest, a few
lines, is drawn live at the bottom of the terminal and redrawn, so a render costs about
the same at the end of a long answer as at its start; the newest lines are always the ones
on screen. A long table is the exception: its columns depend on every row, so while it
streams its header and newest rows are drawn live, and the whole table is printed once
when it ends.

The screen ends up as ``Markdown(answer)`` printed at once would look (same blocks, same
blank lines between them), give or take a few constructs noted in ``_cut_paragraph``.

Renders are paced by the clock given: the next one is due ``INTERVAL`` after the end of
the last, or ``SLOW`` times as long as the last took when that is more, so a slow terminal
or a big table costs at most a fifth of the time, never one render per delta.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO

from rich.cells import cell_len, set_cell_size
from rich.console import Console, Group, RenderableType
from rich.segment import Segment
from rich.style import Style

from o4cli.render.markdown import Lines, Markdown, code_lines, parse, parse_blocks, strip_blank_tail

Line = list[Segment]

# An inline construct that text further on could still close (emphasis, code, link, strike):
# a paragraph is not cut after one, unless it is very long (see _cut_paragraph).
_OPENER = re.compile(r"`|\[|~|\*\S|(?<!\w)_\S")
_WORD = re.compile(r"\S+")
_CONTAINERS = frozenset({"bullet_list_open", "ordered_list_open", "blockquote_open", "table_open"})


def next_render(end: float, took: float, interval: float, slow: float) -> float:
    """When the next render is due: ``interval`` after the end of the last, or ``slow``
    times what it took if that is longer (a slow render backs off)."""
    return end + max(interval, slow * took)


@dataclass
class _Fence:
    """An open fenced code block: its lines arrive one by one, without markdown-it."""

    char: str
    size: int
    indent: int
    lexer: str
    held: list[str] = field(default_factory=list)  # complete lines not printed yet

    def closes(self, line: str) -> bool:
        body = line.lstrip(" ")
        if len(line) - len(body) > 3:
            return False
        body = body.rstrip(" \t")
        return len(body) >= self.size and body == self.char * len(body)

    def content(self, line: str) -> str:
        body = line.lstrip(" ")
        return line[min(self.indent, len(line) - len(body)) :]


@dataclass
class _Table:
    """An open table: its rows are kept and it is printed whole when it ends."""

    header: str
    delimiter: str
    rows: list[str] = field(default_factory=list)


@dataclass
class _Block:
    start: int  # first line
    end: int  # line after it
    lo: int  # its tokens: tokens[lo:hi]
    hi: int
    kind: str


def _blocks(tokens: list) -> list[_Block]:
    """The top-level blocks of a parsed document."""
    out, i, n = [], 0, len(tokens)
    while i < n:
        t, j = tokens[i], i
        if t.nesting == 1:
            j += 1
            while tokens[j].level:  # the matching close is the next token at level 0
                j += 1
        if t.map:
            out.append(_Block(t.map[0], t.map[1], i, j + 1, t.type))
        i = j + 1
    return out


_CELL = re.compile(r"(?<!\\)\|")
_INLINE = re.compile(r"\*\*|__|`")


def _table_preview(t: _Table, partial: list[str], room: int, width: int) -> list[Line]:
    """A table's header and last rows as aligned columns, cropped to ``width``: a cheap
    stand-in for the table, drawn live until the table ends (made as segments: laying out
    ~50 lines of text each render cost more than the rest of it)."""
    rows = [_cells(r.expandtabs(8)) for r in [t.header, *t.rows[-max(room - 2, 1) :], *partial]]
    widths = [max(cell_len(r[i]) if i < len(r) else 0 for r in rows) for i in range(len(rows[0]))]

    def line(cells: list[str], style: Style | None = None) -> Line:
        text = "  ".join(c + " " * (w - cell_len(c)) for c, w in zip(cells, widths, strict=False))
        if cell_len(text) > width:
            text = set_cell_size(text, width)
        return [Segment(text, style)]

    rule = line(["─" * w for w in widths], _DIM)
    return [line(rows[0], _BOLD), rule, *(line(r) for r in rows[1:][-max(room - 2, 1) :])]


_BOLD, _DIM = Style(bold=True), Style(dim=True)


def _cells(row: str) -> list[str]:
    return [_INLINE.sub("", c).strip() for c in _CELL.split(row.strip().strip("|"))]


def _text(line: Line) -> str:
    return "".join(s.text for s in line)


class LiveMarkdown:
    """Markdown fed in pieces (``feed``), shown live on ``stream`` and left in its scrollback."""

    INTERVAL = 0.1  # seconds from the end of one render to the next
    SLOW = 4.0  # ... or this many times what the last one took
    CUT = 8  # a paragraph this many lines long prints its first lines ...
    KEEP = 2  # ... all but these last ones

    def __init__(self, stream: IO[str], console: Console, *, clock: Callable[[], float], style: str = "none") -> None:
        self.stream = stream
        self.console = console  # the terminal's: its size and colours
        self.clock = clock
        self.style = style
        self._rc = Console(  # renders to strings, with the terminal's colours
            file=io.StringIO(),
            color_system=console.color_system,  # type: ignore[arg-type]
            force_terminal=console.is_terminal,
            no_color=console.no_color,
            highlight=False,
            soft_wrap=False,
            width=console.width,
            height=console.height,
        )
        self._chunks: list[str] = []  # fed since the last render
        self._lines: list[str] = []  # complete lines not printed yet
        self._partial = ""  # the line being written
        self._fence: _Fence | None = None
        self._table: _Table | None = None
        self._gap = False  # the next block is preceded by a blank line
        self._continuing = False  # the text not printed yet continues a block partly printed
        self._list_next: int | None = None  # ... an ordered list: its next number
        self._out: list[str] = []  # printed text for the scrollback, not written yet
        self._drawn: list[str] = []  # the live lines on screen
        self._due = 0.0
        self._live = not console.is_dumb_terminal  # TERM=dumb: no cursor moves, finished blocks only
        self.renders = 0

    # ------------------------------------------------------------------ the interface

    def feed(self, text: str) -> None:
        self._chunks.append(text)
        if self.clock() >= self._due:
            self.render()

    def render(self) -> None:
        """Print what is finished and redraw the live lines, now."""
        start = self.clock()
        self._absorb()
        self._advance(final=False)
        self._draw(self._tail() if self._live else [])
        self.renders += 1
        end = self.clock()
        self._due = next_render(end, end - start, self.INTERVAL, self.SLOW)

    def close(self) -> None:
        """Print everything left; nothing stays live."""
        self._absorb()
        if self._partial:
            self._lines.append(self._partial)
            self._partial = ""
        self._advance(final=True)
        self._draw([])

    # ------------------------------------------------------------------ structure

    def _absorb(self) -> None:
        if self._chunks:
            *lines, partial = (self._partial + "".join(self._chunks)).split("\n")
            self._lines += lines
            self._partial = partial
            self._chunks.clear()

    def _advance(self, *, final: bool) -> None:
        """Print what is finished; switch to a code block's or a table's own handling."""
        self._size()
        while True:
            if self._fence is not None:
                more = self._fence_lines(final)
            elif self._table is not None:
                more = self._table_lines(final)
            else:
                more = self._block_lines(final)
            if not more:
                return

    def _block_lines(self, final: bool) -> bool:
        lines = self._lines
        if not lines:
            return False
        tokens = parse("\n".join(lines) + "\n")
        blocks = _blocks(tokens)
        if not blocks:  # blank lines only: nothing can join them
            self._lines = []
            return False
        last = blocks[-1]
        for b in blocks if final else blocks[:-1]:
            self._print_block(tokens[b.lo : b.hi], b.kind)
        if final:
            self._lines = []
            return False
        self._lines = lines = lines[last.start :]
        if last.kind == "fence":
            t, indent = tokens[last.lo], len(lines[0]) - len(lines[0].lstrip(" "))
            self._begin("fence")
            self._fence = _Fence(t.markup[0], len(t.markup), indent, t.info.split(" ")[0])
            self._lines = lines[1:]
            return True
        if last.kind == "table_open":
            self._table = _Table(lines[0], lines[1])
            self._lines = lines[2:]
            return True
        if last.kind in ("bullet_list_open", "ordered_list_open"):
            self._print_items(tokens[last.lo : last.hi], last.start)
        return False

    def _fence_lines(self, final: bool) -> bool:
        f = self._fence
        assert f is not None
        for i, line in enumerate(self._lines):
            if f.closes(line):
                self._print_code(f, strip_blank_tail(f.held))
                self._fence, self._lines = None, self._lines[i + 1 :]
                self._gap, self._continuing = True, False
                return True
            f.held.append(f.content(line))
        self._lines = []
        self._print_code(f, strip_blank_tail(f.held))  # (blank lines wait: they may end the block)
        if final:
            self._fence = None
            self._gap, self._continuing = True, False
        return False

    def _table_lines(self, final: bool) -> bool:
        t = self._table
        assert t is not None
        lines = self._lines
        if lines:
            # Which of the new lines are rows: the table's header and these lines parsed alone
            # end where the whole text would (a row is a row whatever came before it).
            window = parse_blocks("\n".join([t.header, t.delimiter, *lines]) + "\n")
            first = window[0] if window else None
            rows = first.map[1] - 2 if first is not None and first.type == "table_open" and first.map else 0
            t.rows += lines[:rows]
            self._lines = lines = lines[rows:]
        if lines or final:
            self._table = None
            src = "\n".join([t.header, t.delimiter, *t.rows])
            self._print_block(parse(src), "table_open")
            return bool(lines)
        return False

    # ------------------------------------------------------------------ printing

    def _begin(self, kind: str) -> None:
        """The first part of a block is printed: a blank line before it, if due. (rich
        starts a list, a quote or a table with one itself, even at the top.)"""
        if not self._continuing and self._gap and kind not in _CONTAINERS:
            self._out.append("\n")
        self._continuing = True

    def _print_md(self, md: Markdown, kind: str) -> None:
        text = self._print(md)
        if self._continuing and kind in _CONTAINERS and text.startswith("\n"):
            text = text[1:]  # its blank line came with its first part
        self._begin(kind)
        self._out.append(text)

    def _print_block(self, tokens: list, kind: str) -> None:
        start = self._list_next if self._continuing else None
        self._print_md(Markdown(tokens=tokens, list_start=start, style=self.style), kind)
        self._gap, self._continuing, self._list_next = kind != "hr", False, None

    def _print_items(self, tokens: list, first_line: int) -> None:
        """Print a list's items but the last (being written); keep that one live."""
        items = [t for t in tokens if t.type == "list_item_open" and t.level == 1]
        if len(items) < 2:
            return
        cut = items[-1].map[0] - first_line
        kind = tokens[0].type
        start = None
        if kind == "ordered_list_open":
            start = self._list_next if self._continuing else int(tokens[0].attrs.get("start", 1))
        self._print_md(Markdown("\n".join(self._lines[:cut]), list_start=start, style=self.style), kind)
        self._lines = self._lines[cut:]
        self._list_next = start + len(items) - 1 if start is not None else None

    def _print_code(self, f: _Fence, lines: list[str]) -> None:
        if lines:
            self._out.append(self._print(Group(*code_lines(lines, f.lexer))))
            del f.held[: len(lines)]

    def _print(self, renderable: RenderableType) -> str:
        with self._rc.capture() as capture:
            self._rc.print(renderable, crop=False)
        return capture.get()

    # ------------------------------------------------------------------ the live lines

    def _size(self) -> None:
        self._rc.width, self._rc.height = self.console.width, self.console.height

    def _render(self, renderable: RenderableType) -> list[Line]:
        return self._rc.render_lines(renderable, self._rc.options, pad=False)

    def _tail(self) -> list[str]:
        """The live lines: what is not printed yet, its last lines if it is long."""
        room = max(self._rc.height - 1, 1)
        partial = [self._partial] if self._partial else []
        if self._fence is not None:
            code = [*self._fence.held, *(self._fence.content(p) for p in partial)]
            lines = self._render(Group(*code_lines(code, self._fence.lexer, fold=True)))
        elif self._table is not None:
            lines = _table_preview(self._table, partial, room, self._rc.width)
        else:
            src = "\n".join([*self._lines, *partial])
            if not src.strip():
                return []
            tokens = parse(src)
            start = self._list_next if self._continuing else None
            lines = self._render(Markdown(tokens=tokens, list_start=start, style=self.style))
            kind = tokens[0].type if tokens else ""
            if len(lines) >= self.CUT and len(tokens) == 3 and kind == "paragraph_open":
                lines = self._cut_paragraph(src, lines)
            if self._continuing:
                if kind in _CONTAINERS and lines and not _text(lines[0]).strip():
                    lines = lines[1:]  # its blank line came with its first part
            elif self._gap and kind not in _CONTAINERS:
                lines = [[], *lines]
        return self._strings(lines[-room:])

    def _cut_paragraph(self, src: str, lines: list[Line]) -> list[Line]:
        """Print a long paragraph's lines but its last few, if the rest of it, rendered
        alone, gives the same lines: then keep only that rest. Returns the live lines.

        Not cut: after an inline construct text further on could still close (unless the
        paragraph is very long), or inside a source line with a ``|`` (it may yet turn out
        a table's header). Not foreseen: a setext underline (``===`` under the paragraph)
        turning a paragraph already printed into a heading."""
        keep = len(lines) - self.KEEP
        done = [_text(line) for line in lines[:keep]]
        if _OPENER.search("".join(done)) and len(lines) < 4 * self._rc.height:
            return lines
        words = sum(len(d.split()) for d in done)
        match = next((m for i, m in enumerate(_WORD.finditer(src)) if i == words), None)
        if match is None:
            return lines
        at = match.start()
        line_start = src.rfind("\n", 0, at) + 1
        line_end = src.find("\n", at)
        if "|" in src[line_start : line_end if line_end >= 0 else len(src)]:
            return lines
        rest = self._render(Markdown(src[at:], style=self.style))
        if rest != lines[keep:]:
            return lines
        self._begin("paragraph_open")
        self._out.append(self._print(Lines(lines[:keep])))
        # the rest becomes the text not printed yet: complete lines, then the partial one
        partial_start = len(src) - len(self._partial)
        if self._partial and at >= partial_start:
            self._lines, self._partial = [], self._partial[at - partial_start :]
        else:
            index = src.count("\n", 0, at)
            self._lines = [src[at : line_end if line_end >= 0 else len(src)], *self._lines[index + 1 :]]
        return rest

    def _strings(self, lines: list[Line]) -> list[str]:
        if not lines:
            return []
        return self._print(Lines(lines)).split("\n")[:-1]

    def _draw(self, tail: list[str]) -> None:
        """Replace the live lines on screen by what was printed since, then ``tail``."""
        if not self._out and tail == self._drawn:
            return
        parts = []
        if self._drawn:  # back to the first live line, and clear down
            up = len(self._drawn) - 1
            parts.append("\r" + (f"\x1b[{up}A" if up else "") + "\x1b[J")
        parts += self._out
        parts.append("\n".join(tail))
        self._out.clear()
        self._drawn = tail
        self.stream.write("".join(parts))
        self.stream.flush()
