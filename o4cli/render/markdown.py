"""Markdown as o4 shows it on a terminal: rich's renderer with two changes that make a
streamed answer and a printed one look the same, and code copy cleanly.

- Code blocks are their lines as they are, highlighted with the terminal's own colours:
  no padding, no background, not wrapped by rich (a long line wraps in the terminal, so
  copying it gives one line). A code block inside a list or quote folds at its margin.
- An ordered list's numbers take the room their own digits need, so an item looks the
  same whether the list has ended or is still streaming.

And one that changes nothing on screen: a table that fits the width is laid out here,
not by rich's ``Table`` (about 0.3 ms a row there; a 1,000-row table took most of a
streamed answer's rendering), to the same characters in the same styles
(tests/render/test_markdown_table.py holds it to rich's own output); one that does not fit
still goes to rich, which wraps its cells.

``parse`` shares one markdown-it parser (rich builds a new one per document).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token
from rich import markdown as rich_md
from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.syntax import Syntax
from rich.text import Text

CODE_THEME = "ansi_dark"  # the terminal's 16 colours: readable on dark and light backgrounds


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt().enable("strikethrough").enable("table")  # rich's settings


def parse(text: str) -> list[Token]:
    return _parser().parse(text)


@lru_cache(maxsize=1)
def _block_parser() -> MarkdownIt:
    return MarkdownIt().enable("strikethrough").enable("table").disable("inline")


def parse_blocks(text: str) -> list[Token]:
    """The block structure alone (where blocks begin and end), without parsing the text
    inside them: for decisions about structure, not for rendering."""
    return _block_parser().parse(text)


@lru_cache(maxsize=32)
def _syntax(lexer: str) -> Syntax:
    """A highlighter for ``lexer``, its pygments lexer looked up once (given a name, rich
    looks it up again on every highlight: a seventh of a streamed code block's rendering)."""
    named = Syntax("", lexer or "text", theme=CODE_THEME)
    found = named.lexer
    return named if found is None else Syntax("", found, theme=CODE_THEME)


def code_lines(code: Sequence[str], lexer: str, *, fold: bool = False) -> list[Text]:
    """Lines of code, highlighted, each a Text that rich neither pads nor (unless
    ``fold``) wraps."""
    text = _syntax(lexer).highlight("\n".join(code)) if code else Text()
    lines = text.split("\n", allow_blank=True)[: len(code)]
    for line in lines:
        line.justify, line.end = "default", "\n"
        line.no_wrap, line.overflow = (False, "fold") if fold else (True, "ignore")
    return lines


def strip_blank_tail(lines: list[str]) -> list[str]:
    """A code block's lines without the blank lines at its end (as rich shows it)."""
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    return lines[:end]


class CodeBlock(rich_md.CodeBlock):
    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lines = strip_blank_tail(str(self.text).split("\n"))
        yield from code_lines(lines, self.lexer_name, fold=options.max_width < console.width)


class ListElement(rich_md.ListElement):
    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.list_type == "bullet_list_open":
            yield from super().__rich_console__(console, options)
            return
        first = 1 if self.list_start is None else self.list_start
        for number, item in enumerate(self.items, first):
            yield from item.render_number(console, options, number, number)


class TableElement(rich_md.TableElement):
    """rich's markdown table; its body rows laid out here when the table fits."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lines = self._fitted(console, options)
        if lines is None:
            yield from super().__rich_console__(console, options)
        else:
            yield Lines(lines)

    def _fitted(self, console: Console, options: ConsoleOptions) -> list[list[Segment]] | None:
        """The table's lines, or None when rich must lay it out (it does not fit the width,
        a cell holds a tab or a line break, a column is empty, a row's cells do not match
        the header's)."""
        from rich import box
        from rich.table import Table

        if self.header is None or self.header.row is None or self.body is None or not self.body.rows:
            return None
        heads = [c.content for c in self.header.row.cells]
        rows = [[c.content for c in r.cells] for r in self.body.rows]
        n = len(heads)
        if not n or any(len(r) != n for r in rows):
            return None
        widths = [0] * n
        for row in [heads, *rows]:
            for i, cell in enumerate(row):
                if not cell.plain.isprintable():  # a tab, a line break: rich expands or breaks them
                    return None
                widths[i] = max(widths[i], cell.cell_len)
        total = 2 + sum(widths) + 2 * (n - 1)  # the edges, the cells, a padding and a divider between
        if 0 in widths or total > options.max_width:
            return None  # an empty column rich gives a cell anyway, or one that must wrap
        # the edges, the header and its rule by rich (a table of no rows, at these widths)
        table = Table(
            box=box.SIMPLE, pad_edge=False, style="markdown.table.border", show_edge=True, collapse_padding=True
        )  # as rich's TableElement makes it
        for head, width in zip(heads, widths, strict=True):
            heading = head.copy()
            heading.stylize("markdown.table.header")
            table.add_column(heading, width=width)
        top = console.render_lines(table, options, pad=False)
        if len(top) < 4 or Segment.get_line_length(top[0]) != total:
            return None
        border = top[0][0].style
        edge, gap = Segment(" ", border), Segment(" ")
        body = []
        for row in rows:
            line = [edge]
            for i, (cell, width) in enumerate(zip(row, widths, strict=True)):
                if i:
                    line += (gap, edge)
                line += _justified(cell, width, console)
            line.append(edge)
            body.append(line)
        return [*top[:-1], *body, top[-1]]


def _justified(cell: Text, width: int, console: Console) -> list[Segment]:
    """A cell's segments at ``width``, justified as rich justifies a table cell."""
    text = cell.copy()
    if text.justify in ("center", "right"):
        text.rstrip()
        room = width - text.cell_len
        text.pad_left(room // 2 if text.justify == "center" else room)
    text.pad_right(width - text.cell_len)
    return list(text.render(console))


class Markdown(rich_md.Markdown):
    """rich's Markdown with o4's code blocks and list numbers.

    ``tokens``: already parsed (a slice of a larger document); ``list_start``: the number
    of the first item when the text continues an ordered list printed before it.
    """

    elements = {**rich_md.Markdown.elements, "fence": CodeBlock, "code_block": CodeBlock}
    elements.update(bullet_list_open=ListElement, ordered_list_open=ListElement, table_open=TableElement)

    def __init__(
        self,
        markup: str = "",
        *,
        tokens: list[Token] | None = None,
        list_start: int | None = None,
        style: str = "none",
    ) -> None:
        self.markup = markup
        self.parsed = parse(markup) if tokens is None else tokens
        self.code_theme = CODE_THEME
        self.justify = None
        self.style = style
        self.hyperlinks = True
        self.inline_code_lexer = None
        self.inline_code_theme = CODE_THEME
        if list_start is not None:
            for token in self.parsed:
                if token.type == "ordered_list_open" and token.level == 0:
                    token.attrs["start"] = list_start
                    break


class Lines:
    """Lines already rendered (lists of segments), as a renderable."""

    def __init__(self, lines: Sequence[Sequence[Segment]]) -> None:
        self.lines = lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        new_line = Segment.line()
        for line in self.lines:
            yield from line
            yield new_line
