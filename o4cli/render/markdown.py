"""Markdown as o4 shows it on a terminal: rich's renderer with two changes that make a
streamed answer and a printed one look the same, and code copy cleanly.

- Code blocks are their lines as they are, highlighted with the terminal's own colours:
  no padding, no background, not wrapped by rich (a long line wraps in the terminal, so
  copying it gives one line). A code block inside a list or quote folds at its margin.
- An ordered list's numbers take the room their own digits need, so an item looks the
  same whether the list has ended or is still streaming.

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


@lru_cache(maxsize=32)
def _syntax(lexer: str) -> Syntax:
    return Syntax("", lexer or "text", theme=CODE_THEME)


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


class Markdown(rich_md.Markdown):
    """rich's Markdown with o4's code blocks and list numbers.

    ``tokens``: already parsed (a slice of a larger document); ``list_start``: the number
    of the first item when the text continues an ordered list printed before it.
    """

    elements = {**rich_md.Markdown.elements, "fence": CodeBlock, "code_block": CodeBlock}
    elements.update(bullet_list_open=ListElement, ordered_list_open=ListElement)

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
