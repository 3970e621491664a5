"""``-x/--extract``: the fenced code blocks of an answer (pure functions)."""

from __future__ import annotations

import re

# An opening fence: up to three spaces, then ``` or ~~~ (three or more), then an optional info string.
_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})[^`\n]*$")


def code_blocks(text: str) -> list[str]:
    """Every fenced code block's content, in order, without its fences.

    A closing fence is the same character, at least as long, alone on its line (CommonMark);
    a block left open at the end of the answer (a cut stream) runs to the end."""
    blocks: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = _OPEN.match(lines[i])
        if not m:
            i += 1
            continue
        fence = m.group(1)
        close = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        body: list[str] = []
        i += 1
        while i < len(lines) and not close.match(lines[i]):
            body.append(lines[i])
            i += 1
        blocks.append("\n".join(body) + ("\n" if body else ""))
        i += 1
    return blocks


def extract(text: str, *, every: bool = False) -> str | None:
    """The first block (or, with ``every``, all of them one after another); None when the
    answer has no fenced block."""
    blocks = code_blocks(text)
    if not blocks:
        return None
    return "".join(blocks) if every else blocks[0]
