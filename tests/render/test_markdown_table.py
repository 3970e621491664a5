"""Tables o4 lays out itself (render.markdown.TableElement) look exactly as rich lays them
out: the same characters in the same styles, line for line, on many tables and widths."""

import io
import random

import pytest
from rich import markdown as rich_md
from rich.console import Console
from rich.segment import Segment
from rich.style import Style

from o4cli.render import markdown as md


class RichTables(md.Markdown):
    """o4's Markdown with rich's own table element: the reference."""

    elements = {**md.Markdown.elements, "table_open": rich_md.TableElement}


def console(width: int, color: bool) -> Console:
    return Console(
        file=io.StringIO(), width=width, force_terminal=color, color_system="truecolor" if color else None,
        highlight=False, soft_wrap=False,
    )  # fmt: skip


def cells_and_styles(c: Console, renderable) -> list[list[tuple[str, object]]]:
    """Each line as (character, style) pairs: what a person sees, however the segments were
    split (no style and the null style both print no escape code)."""
    out = []
    for line in c.render_lines(renderable, c.options, pad=False):
        out.append([(ch, seg.style or Style()) for seg in Segment.simplify(line) for ch in seg.text])
    return out


WORDS = ["a", "bb", "item", "longer words here", "é", "naïve", "日本語", "🙂 ok", "x|y", "", "42", "3.14"]
INLINE = ["**{}**", "*{}*", "`{}`", "~~{}~~", "[{}](https://example.com)", "{}"]


def cell(rnd: random.Random) -> str:
    word = rnd.choice(WORDS).replace("|", "\\|")
    return rnd.choice(INLINE).format(word) if word else ""


def table(rnd: random.Random, cols: int, rows: int) -> str:
    align = [rnd.choice(["---", ":---", ":---:", "---:"]) for _ in range(cols)]
    head = "| " + " | ".join(rnd.choice(["n", "name", "Größe", "コード", "**bold head**"]) for _ in range(cols)) + " |"
    body = ["| " + " | ".join(cell(rnd) for _ in range(cols)) + " |" for _ in range(rows)]
    return "\n".join([head, "| " + " | ".join(align) + " |", *body]) + "\n"


CASES = [(seed, cols, rows, width, color) for seed in range(12) for cols, rows in ((1, 1), (3, 5), (6, 12)) for width, color in ((120, True), (40, False), (24, True))]


@pytest.mark.parametrize(("seed", "cols", "rows", "width", "color"), CASES)
def test_a_table_looks_as_rich_lays_it_out(seed, cols, rows, width, color):
    src = table(random.Random(seed), cols, rows)
    c = console(width, color)
    assert cells_and_styles(c, md.Markdown(src)) == cells_and_styles(c, RichTables(src))


def test_tables_that_fit_are_laid_out_here_and_wide_ones_by_rich():
    src = table(random.Random(3), 3, 4)
    narrow, wide = console(12, True), console(120, True)
    laid_out = []
    original = md.TableElement._fitted

    def spy(self, c, options):
        laid_out.append(original(self, c, options) is not None)
        return original(self, c, options)

    md.TableElement._fitted = spy
    try:
        cells_and_styles(wide, md.Markdown(src))
        cells_and_styles(narrow, md.Markdown(src))
    finally:
        md.TableElement._fitted = original
    assert laid_out == [True, False]


@pytest.mark.parametrize(
    ("src", "width"),
    [
        ("| name |  |\n|---|---|\n| ｗｉｄｅ |  |\n", 12),  # an empty column, at the width it just fits
        ("| name |  |\n|---|---|\n| ｗｉｄｅ |  |\n", 40),
        ("| a |\n|---|\n| x\ty |\n", 40),  # a tab: rich expands it
        ("| a | b |\n|---|---|\n| x\u00a0y | z\u200dw |\n", 40),  # spaces and joiners that are not plain
    ],
)
def test_what_rich_lays_out_differently_is_left_to_rich(src, width):
    for color in (True, False):
        c = console(width, color)
        assert cells_and_styles(c, md.Markdown(src)) == cells_and_styles(c, RichTables(src))


def test_a_table_inside_a_list_item_fits_its_margin():
    src = "- item\n\n  " + table(random.Random(5), 4, 6).replace("\n", "\n  ")
    for width in (80, 30):
        c = console(width, True)
        assert cells_and_styles(c, md.Markdown(src)) == cells_and_styles(c, RichTables(src))
