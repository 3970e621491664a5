"""The chat session's rules: multi-line input and slash commands (no network)."""

from types import SimpleNamespace

import pytest

from o4cli.core.ask.conversation import Continuation
from o4cli.core.chat import ChatSession, read_turn


def lines(*items):
    it = iter(items)

    def read(prompt=""):
        try:
            return next(it)
        except StopIteration:
            raise EOFError from None

    return read


@pytest.mark.parametrize(
    ("first", "more", "text"),
    [
        ("plain", [], "plain"),
        ("one \\", ["two \\", "three"], "one \ntwo \nthree"),
        ('"""', ["a", "", "b", '"""'], "a\n\nb"),
    ],
)
def test_read_turn(first, more, text):
    assert read_turn(lines(*more), first) == text


def test_slash_commands_change_the_next_turns():
    rt = SimpleNamespace(settings=SimpleNamespace(model="o4-mini", effort="medium"))
    saved = {}
    s = ChatSession(rt, Continuation("c_x"), save_template=lambda name, values: saved.setdefault(name, values) and "saved")
    assert s.line("/model o4-mini-2025-04-16", None).message == "model: o4-mini-2025-04-16"
    assert "not in o4's catalog" in s.line("/model my-ft-model", None).message and s.model == "my-ft-model"
    assert s.line("/effort high", None).message == "effort: high" and s.effort == "high"
    assert s.line("/effort extreme", None).error is not None and s.effort == "high"
    assert s.line("/system Be brief.", None).message == "instructions: Be brief."
    assert s.conversation.system == "Be brief."
    assert s.line("/cost", None).message == "0 turns · $0.000000 · conversation c_x"
    s.line("/save brief", None)
    assert saved["brief"] == {"system": "Be brief.", "model": "my-ft-model", "effort": "high"}
    assert s.line("/system", None).message == "instructions: none" and s.conversation.system is None
    assert s.line("/nope", None).error is not None
    assert s.line("/exit", None).done and s.line("   ", None).message is None
