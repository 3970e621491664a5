"""``render.answer.StreamView``: a streamed answer shown as it arrives, piped (verbatim),
silent (``--json``) or on a terminal (markdown: finished lines printed once, the newest
ones live, at a cost linear in the answer's length). What a person sees is read off
``tests/render/screen.Screen``, a small terminal fed the bytes written."""

from __future__ import annotations

import io
import random
import re

import pytest

from o4cli.render import Out, live, markdown
from o4cli.render.answer import StreamView, print_answer
from o4cli.render.live import LiveMarkdown, next_render
from tests.render.screen import Screen

WIDTH, HEIGHT = 80, 24
UP = re.compile(r"\x1b\[(\d+)A")


class TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    """The view's clock: moves only when the test moves it."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def terminal_size(monkeypatch):
    monkeypatch.setenv("COLUMNS", str(WIDTH))
    monkeypatch.setenv("LINES", str(HEIGHT))
    monkeypatch.setenv("TERM", "xterm-256color")


def terminal(env=None, **kw) -> tuple[StreamView, TTY, TTY, Clock]:
    o, e, clock = TTY(), TTY(), Clock()
    return StreamView(Out(o, e, {"NO_COLOR": "1"} if env is None else env, **kw), clock=clock), o, e, clock


def stream(text: str, sizes=(4,), step: float = 0.2, seed: int = 0, env=None, every: int = 0):
    """Stream ``text`` in deltas of ``sizes`` (at random), the clock moving ``step`` a
    delta; returns the bytes written and (``every`` N deltas) the screen then, with how
    much of the text had been sent."""
    rnd = random.Random(seed)
    view, o, _, clock = terminal(env)
    screen, screens, i, done = Screen(WIDTH, HEIGHT), [], 0, 0
    while i < len(text):
        n = rnd.choice(sizes)
        view.text(text[i : i + n])
        i += n
        clock.now += step
        if every and len(screens) * every < i // n:
            data = o.getvalue()
            screen.feed(data[done:])
            done = len(data)
            screens.append((i, screen.visible()))
    view.close()
    return o.getvalue(), screens


def rendered(text: str, env=None) -> str:
    """The answer printed at once, as ``o4 ask`` prints it on a terminal."""
    o = TTY()
    print_answer(Out(o, TTY(), {"NO_COLOR": "1"} if env is None else env), text)
    return o.getvalue()


def seen(data: str) -> list[str]:
    return Screen(WIDTH, HEIGHT).feed(data).lines()


WORDS = "the client reads each delta as it arrives and the terminal shows finished blocks once".split()


def words(n: int, seed: int = 1) -> str:
    rnd = random.Random(seed)
    return " ".join(rnd.choice(WORDS) for _ in range(n))


DOCS = {
    "mixed": (
        "# Plan\n\nFirst **bold** step, then *this*.\n\n- one\n- two\n\n1. x\n\n2. y\n\n"
        "```python\nprint('hi')\n\n\n```\n\n---\n> quoted\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nDone."
    ),
    "one paragraph": words(700).capitalize() + ".",
    "paragraphs": "\n\n".join(words(50, seed=i) for i in range(8)),
    "list": "\n".join(f"- item {i}: {words(9, seed=i)}" for i in range(40)) + "\n\nAfter the list.",
    "ordered list": "\n".join(f"1. step {words(6, seed=i)}" for i in range(40)),
    "nested list": "1. Step\n   - a\n   - b\n2. Two\n\n   ```sh\n   ls\n   ```\n3. Three\n",
    "code block": "Intro.\n\n```python\n"
    + "\n".join(f"x{i} = {i}  # {words(4, i)}" for i in range(60))
    + "\n```\nOutro.",
    "open code block": "```\n" + "\n".join(f"line {i}" for i in range(60)),
    "table": "| n | text |\n|---|---|\n" + "\n".join(f"| {i} | {words(4, i)} |" for i in range(30)) + "\n\nAfter.",
    "emphasis across lines": f"Start **{words(150)}** then `code {words(3)}` {words(150)}.",
}


@pytest.mark.parametrize("name", list(DOCS))
def test_the_final_screen_is_the_answer_rendered_at_once(name):
    text = DOCS[name]
    want = seen(rendered(text))
    for sizes, step, seed in (((1, 3, 7, 13), 0.1, 0), ((40, 400), 1.0, 1)):
        data, _ = stream(text, sizes, step, seed)
        assert seen(data) == want, (name, sizes)  # every line once, in order: none lost, none twice


def test_the_final_screen_is_the_answer_rendered_at_once_in_colour():
    for name in ("mixed", "list", "one paragraph"):
        data, _ = stream(DOCS[name], (3, 11), 0.2, env={})
        assert "\x1b[1m" in data or name == "one paragraph"  # bold
        assert seen(data) == seen(rendered(DOCS[name], env={})), name


@pytest.mark.parametrize("name", ["one paragraph", "list", "code block", "open code block", "table"])
def test_the_newest_lines_are_on_screen_while_a_long_block_is_open(name):
    text = DOCS[name]
    data, screens = stream(text, (6,), 0.2, every=5)
    assert len(screens) > 10
    for sent, screen in screens[len(screens) // 3 :]:
        # the last complete line sent (its last three words, for the paragraph) is on screen
        done = text[:sent].rsplit("\n", 1)[0] if name != "one paragraph" else text[:sent].rsplit(" ", 1)[0]
        last = done.rsplit("\n", 1)[-1]
        probe = " ".join(last.split()[-3:]) if name == "one paragraph" else last.split("|")[1 if "|" in last else 0]
        probe = " ".join(probe.strip().removeprefix("- ").removeprefix("```").split())
        shown = " ".join(" ".join(screen).split())
        assert probe in shown, (name, probe, screen[-3:])
    # the live part stays a few lines, however long the block grows: only it is redrawn
    assert max([int(n) for n in UP.findall(data)] or [0]) < HEIGHT - 1, name


def test_work_and_output_grow_linearly_and_the_live_part_stays_a_few_lines(monkeypatch):
    """The markdown parsed and the lines rendered, over the whole stream, grow with the
    text (the view re-renders only its live tail, not the open block); and the bytes
    written too (finished lines are written once)."""
    work = {"chars": 0, "lines": 0}
    real_parse, real_render = markdown.parse, LiveMarkdown._render

    def parse(text):
        work["chars"] += len(text)
        return real_parse(text)

    def render(self, renderable):
        lines = real_render(self, renderable)
        work["lines"] += len(lines)
        return lines

    monkeypatch.setattr(markdown, "parse", parse)
    monkeypatch.setattr(live, "parse", parse)
    monkeypatch.setattr(LiveMarkdown, "_render", render)
    for name, make in {
        "paragraph": lambda n: words(n * 20, seed=3),
        "list": lambda n: "\n".join(f"- {words(8, seed=i)}" for i in range(n)),
        "code": lambda n: "```\n" + "\n".join(f"line {i} {words(5, seed=i)}" for i in range(n)),
        "table": lambda n: "| a | b |\n|---|---|\n" + "\n".join(f"| {i} | {words(3, seed=i)} |" for i in range(n)),
    }.items():
        cost = {}
        for n in (60, 120):
            work.update(chars=0, lines=0)
            data, _ = stream(make(n), (4,), 0.02)
            assert max((int(x) for x in UP.findall(data)), default=0) <= 8 or name == "table", name
            cost[n] = (work["chars"], work["lines"], len(data))
        assert all(b <= 2.3 * a for a, b in zip(cost[60], cost[120], strict=True)), (name, cost)


def test_code_copies_cleanly_no_padding_and_one_line_per_source_line():
    long = "result = compute(" + ", ".join(f"arg{i}" for i in range(30)) + ")"  # wider than the terminal
    text = f"Run:\n\n```python\nimport os\n    indented = 1\n{long}\n```\n\nDone."
    for data in (stream(text, (5,), 0.2)[0], rendered(text)):
        assert long in data  # not wrapped by o4: the terminal wraps it, copying gives one line
        rows = Screen(WIDTH, HEIGHT).feed(data).rows
        texts = ["".join(r) for r in rows]
        assert "import os" in texts and "    indented = 1" in texts  # no left padding, nor trailing spaces
        assert not any(t.startswith(" import") for t in texts)


def test_ordered_lists_keep_their_numbers_when_printed_in_parts():
    text = "\n".join(f"1. item {i}" for i in range(1, 13)) + "\n\nEnd."
    data, _ = stream(text, (2,), 1.0)
    lines = [line.split() for line in seen(data) if line]
    assert lines[0] == ["1", "item", "1"] and lines[9] == ["10", "item", "10"] and lines[11] == ["12", "item", "12"]
    assert seen(data) == seen(rendered(text))


def test_a_dumb_terminal_gets_finished_blocks_only_and_no_cursor_moves(monkeypatch):
    monkeypatch.setenv("TERM", "dumb")
    data, _ = stream(DOCS["mixed"], (5,), 0.2)
    assert "\x1b[" not in data and "\r" not in data
    assert seen(data) == seen(rendered(DOCS["mixed"]))


def test_renders_are_due_from_the_end_of_the_last_and_back_off_when_slow():
    assert next_render(10.0, 0.001, 0.1, 4.0) == pytest.approx(10.1)
    assert next_render(10.0, 0.2, 0.1, 4.0) == pytest.approx(10.8)

    def renders(cost: float) -> int:
        clock = Clock()

        class SlowTerminal(LiveMarkdown):
            def _draw(self, tail):  # a render that takes `cost` of the clock
                clock.now += cost
                super()._draw(tail)

        o = TTY()
        live = SlowTerminal(o, Out(o, TTY(), {"NO_COLOR": "1"}).console(o), clock=clock)
        for i in range(1000):  # a delta every millisecond for a second
            live.feed(f"word{i} ")
            clock.now += 0.001
        live.close()
        return live.renders

    assert 9 <= renders(0.0) <= 11  # every 0.1 s
    assert renders(0.05) <= 6  # 0.05 s renders: 0.2 s apart (plus their own time), not one per delta
    assert renders(0.5) == 1  # a very slow one: the next is due after the stream ended


def test_frozen_clock_prints_finished_blocks_only_and_the_rest_at_close():
    view, o, _, _ = terminal()  # the clock never moves: one render, at the first delta
    view.text("Alpha bravo ")
    view.text("charlie.\n\nDelta echo")
    assert "charlie" not in "\n".join(seen(o.getvalue()))
    view.close()
    assert seen(o.getvalue()) == ["Alpha bravo charlie.", "", "Delta echo"]


def test_reasoning_summary_is_rendered_markdown_on_stderr_before_the_answer():
    o, e, clock = io.StringIO(), TTY(), Clock()
    view = StreamView(Out(o, e, {}), clock=clock)
    for piece in ("**Reading", " the question**\n\n", "Then *answer* it."):
        view.summary(piece)
        clock.now += 1
    view.text("Answer.")
    view.summary("late summary")  # after the answer started: not shown
    view.close()
    err = e.getvalue()
    shown = seen(err)
    assert "thinking: Reading the question" in shown and "Then answer it." in shown
    assert "**" not in "\n".join(shown) and "*answer*" not in "\n".join(shown)  # rendered, not raw
    assert re.search(r"\x1b\[[0-9;]*1[0-9;]*mReading", err) or re.search(r"\x1b\[[0-9;]*1[;0-9]*m[^\x1b]*Reading", err)
    assert "\x1b[2" in err or ";2m" in err  # dimmed
    assert "late summary" not in err and shown.count("Then answer it.") == 1
    assert o.getvalue() == "Answer.\n"  # the answer, piped, untouched (and its final newline)


def test_reasoning_summary_without_colour_and_not_under_quiet():
    o, e = io.StringIO(), TTY()
    view = StreamView(Out(o, e, {"NO_COLOR": "1"}), clock=Clock())
    view.summary("**Plan**: read it.")
    view.text("Answer.")
    view.close()
    assert "\x1b[2m" not in e.getvalue() and "thinking: Plan: read it." in seen(e.getvalue())
    o, e = io.StringIO(), TTY()
    view = StreamView(Out(o, e, {}, quiet=True))
    view.summary("Reading")
    view.text("Answer.")
    view.close()
    assert (e.getvalue(), o.getvalue()) == ("", "Answer.\n")


# ------------------------------------------------------------------ piped, plain, silent

DELTAS = ["Hel", "lo", ", **wor", "ld**\n\n", "- one\n", "- two", "\n", "", "tail without newline"]


def test_piped_deltas_appear_verbatim_in_order():
    o, e = io.StringIO(), io.StringIO()
    view = StreamView(Out(o, e, {}))
    got = []
    for d in DELTAS:
        view.text(d)
        got.append(o.getvalue())
    view.close()
    assert got[0] == "Hel"
    assert got[3] == "Hello, **world**\n\n"  # markdown is not rendered: the bytes as sent
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
