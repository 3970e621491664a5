"""``render.answer.StreamView``: a streamed answer shown as it arrives, piped (verbatim),
silent (``--json``) or on a terminal (markdown, finished blocks printed once)."""

from __future__ import annotations

import io
import re

import pytest

from o4cli.render import Out, answer
from o4cli.render.answer import StreamView

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


class TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def terminal_size(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("TERM", "xterm-256color")


@pytest.fixture
def frozen(monkeypatch):
    """Freeze StreamView's clock: the open block is never re-rendered live, so what
    reaches the terminal is exactly the finished blocks (and the rest at close)."""
    monkeypatch.setattr(answer, "_monotonic", lambda: 0.0)


def plain_text(s: str) -> str:
    return ANSI.sub("", s).replace("\r", "")


DELTAS = ["Hel", "lo", ", **wor", "ld**\n\n", "- one\n", "- two", "\n", "", "tail without newline"]


def test_piped_deltas_appear_verbatim_in_order():
    o, e = io.StringIO(), io.StringIO()
    view = StreamView(Out(o, e, {}))
    seen = []
    for d in DELTAS:
        view.text(d)
        seen.append(o.getvalue())
    view.close()
    assert seen[0] == "Hel"
    assert seen[3] == "Hello, **world**\n\n"  # markdown is not rendered: the bytes as sent
    assert o.getvalue() == "".join(DELTAS) + "\n"  # then one final newline, as the answer had none
    assert e.getvalue() == ""


def test_plain_on_a_terminal_is_verbatim_with_a_final_newline():
    o = TTY()
    view = StreamView(Out(o, io.StringIO(), {}, plain=True))
    for d in DELTAS:
        view.text(d)
    view.close()
    assert o.getvalue() == "".join(DELTAS) + "\n"


def test_plain_answer_ending_in_newline_gets_no_second_one():
    o = TTY()
    view = StreamView(Out(o, io.StringIO(), {}, plain=True))
    view.text("done\n")
    view.close()
    assert o.getvalue() == "done\n"


@pytest.mark.parametrize("stdout_tty", [False, True], ids=["piped", "tty"])
def test_silent_writes_nothing(stdout_tty):
    o, e = (TTY() if stdout_tty else io.StringIO()), TTY()
    view = StreamView(Out(o, e, {}), silent=True)
    view.summary("thinking about it")
    for d in DELTAS:
        view.text(d)
    view.close()
    assert (o.getvalue(), e.getvalue()) == ("", "")


@pytest.mark.parametrize("env", [{}, {"NO_COLOR": "1"}], ids=["colour", "no-colour"])
def test_terminal_prints_finished_blocks_once(frozen, env):
    o = TTY()
    view = StreamView(Out(o, io.StringIO(), env))
    view.text("Alpha bravo ")
    view.text("charlie.\n")
    assert "Alpha" not in plain_text(o.getvalue())  # the block is still open
    view.text("\nDelta echo")  # the blank line ends the first block
    shown = plain_text(o.getvalue())
    assert shown.count("Alpha bravo charlie.") == 1
    assert "Delta" not in shown  # the open block waits
    view.text(" foxtrot.\n\n- golf\n- hotel")
    view.close()
    final = plain_text(o.getvalue())
    for word in ["Alpha", "bravo", "charlie", "Delta", "echo", "foxtrot", "golf", "hotel"]:
        assert final.count(word) == 1, word
    assert final.index("charlie") < final.index("Delta") < final.index("golf") < final.index("hotel")
    assert final.endswith("\n")


def test_terminal_blank_lines_inside_a_code_fence_do_not_end_the_block(frozen):
    o = TTY()
    view = StreamView(Out(o, io.StringIO(), {"NO_COLOR": "1"}))
    view.text("```\nfirst_line = 1\n\nsecond_line = 2\n")
    assert "first_line" not in plain_text(o.getvalue())  # inside the fence: still open
    view.text("```\n\nAfter the fence")
    shown = plain_text(o.getvalue())
    assert shown.count("first_line = 1") == 1
    assert shown.count("second_line = 2") == 1
    assert "After" not in shown
    view.close()
    final = plain_text(o.getvalue())
    assert final.count("After the fence") == 1
    assert final.endswith("\n")


def test_terminal_with_live_refreshes_still_ends_with_every_word(monkeypatch):
    # a clock that moves a second a call: the open block is re-rendered on every delta
    t = iter(range(10_000))
    monkeypatch.setattr(answer, "_monotonic", lambda: float(next(t)))
    o = TTY()
    view = StreamView(Out(o, io.StringIO(), {"NO_COLOR": "1"}))
    words = "one two three four five six seven eight nine ten".split()
    for w in words:
        view.text(w + " ")
    view.close()
    final = plain_text(o.getvalue())
    assert all(w in final for w in words)
    assert final.endswith("\n")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "\x1b[2mthinking: Reading the question.\x1b[0m\n\n"),
        ({"NO_COLOR": "1"}, "thinking: Reading the question.\n\n"),
    ],
    ids=["colour", "no-colour"],
)
def test_reasoning_summary_is_shown_on_stderr_before_the_answer(env, expected):
    o, e = io.StringIO(), TTY()
    view = StreamView(Out(o, e, env))
    view.summary("Reading")
    view.summary(" the question.")
    view.text("Answer.")
    view.summary("late summary")  # after the answer started: not shown
    view.close()
    # (the 'thinking…' spinner came and went before it; it is rich's, not checked here)
    assert e.getvalue().endswith(expected)
    assert e.getvalue().count("Reading the question.") == 1
    assert "late summary" not in e.getvalue()
    assert o.getvalue() == "Answer.\n"


def test_reasoning_summary_is_not_shown_under_quiet():
    o, e = io.StringIO(), TTY()
    view = StreamView(Out(o, e, {}, quiet=True))
    view.summary("Reading")
    view.text("Answer.")
    view.close()
    assert (e.getvalue(), o.getvalue()) == ("", "Answer.\n")
