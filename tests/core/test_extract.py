"""Fenced code blocks (-x/--extract), as CommonMark fences them."""

import pytest

from o4cli.core.ask.extract import code_blocks, extract


@pytest.mark.parametrize(
    ("text", "blocks"),
    [
        ("no code", []),
        ("```\na\n```", ["a\n"]),
        ("```py\na\n\nb\n```\ntext\n```\nc\n```", ["a\n\nb\n", "c\n"]),
        ("````md\n```\ninner\n```\n````", ["```\ninner\n```\n"]),  # a longer fence holds a shorter one
        ("~~~\n```\n~~~", ["```\n"]),  # a tilde fence is closed by tildes only
        ("   ```\nindented\n   ```", ["indented\n"]),
        ("    ```\nfour spaces is code, not a fence\n", []),
        ("```\ncut mid-stream", ["cut mid-stream\n"]),  # an unclosed block runs to the end
        ("```\n```", [""]),
    ],
)
def test_code_blocks(text, blocks):
    assert code_blocks(text) == blocks


def test_extract_first_or_every():
    text = "```\none\n```\n```\ntwo\n```"
    assert extract(text) == "one\n" and extract(text, every=True) == "one\ntwo\n" and extract("none") is None
