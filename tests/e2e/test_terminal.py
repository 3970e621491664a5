"""o4 in a real pseudo-terminal (pexpect): rich tables, live markdown, progress, colour.

Each view's piped twin (plain text, TSV, JSON) is tested in-process in tests/cli/."""

import io
import re

import pexpect

from o4cli.render import Out
from o4cli.render.answer import print_answer
from tests.cli.test_batch import FAST as BATCH_FAST
from tests.cli.test_batch import prompts, submit_and_wait
from tests.cli.test_finetune import create
from tests.e2e.helpers import plain, spawn
from tests.render.screen import Screen

MARKDOWN = "# Plan\n\nFirst **bold** step.\n\n- one\n- two\n\n```python\nprint('hi')\n```\n\nDone."


def test_terminal_renders_markdown_summary_and_summary_line(env, emulator):
    emulator.answer(text=MARKDOWN, summary="Considering the plan.", chunk=3)
    child = spawn(env, "stream", "plan it", emulator=emulator)
    out = child.read()
    child.close()
    assert child.exitstatus == 0, out
    text = plain(out)
    assert "**bold**" not in out and "\x1b[1m" in out  # bold rendered, not raw markdown
    assert "# Plan" not in text and "Plan" in text
    assert "• one" in text and "• two" in text  # list bullets
    assert "print('hi')" in text and "```" not in text  # the code block, without its fence
    assert "thinking: Considering the plan." in text
    assert "\x1b[2mthinking: " in out  # the summary is dimmed
    assert "o4-mini · in " in text and " tok/s" in text


LONG = (
    "Intro.\n\n```python\n"
    + "\n".join(f"value_{i} = compute({i})  # line {i}" for i in range(150))
    + "\n```\n\n"
    + "\n".join(f"- item {i} of the list" for i in range(60))
    + "\n\nDone."
)


class _TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_terminal_long_blocks_end_as_rendered_and_only_their_tail_is_redrawn(env, emulator, monkeypatch):
    emulator.answer(text=LONG, chunk=8, delay=0.0005)  # ~0.5 s: the live view renders a few times
    child = spawn({**env, "NO_COLOR": "1", "TERM": "xterm"}, "stream", "go", emulator=emulator, dimensions=(30, 100))
    out = child.read()
    child.close()
    assert child.exitstatus == 0, out
    seen = Screen(100, 30).feed(out).lines()  # (it fails on any escape o4 should not send)
    monkeypatch.setenv("COLUMNS", "100")
    at_once = _TTY()
    print_answer(Out(at_once, _TTY(), {"NO_COLOR": "1"}), LONG)
    want = Screen(100, 30).feed(at_once.getvalue()).lines()
    assert seen[: len(want)] == want  # every line once, in order, as `o4 ask` prints it at once
    assert "o4-mini · in " in seen[-1]  # then the summary line
    assert "value_0 = compute(0)  # line 0" in seen  # code at the margin: copies as it is
    # the live part (redrawn in place) stayed a few rows: finished lines went to the scrollback
    assert max((int(n) for n in re.findall(r"\x1b\[(\d+)A", out)), default=0) <= 8


def test_terminal_ask_renders_markdown(env, emulator):
    emulator.answer(text=MARKDOWN)
    child = spawn(env, "ask", "plan it", emulator=emulator)
    out = child.read()
    child.close()
    assert child.exitstatus == 0 and "**bold**" not in out and "\x1b[1m" in out


def test_terminal_plain_stream_is_raw(env, emulator):
    emulator.answer(text=MARKDOWN)
    child = spawn(env, "stream", "--plain", "plan it", emulator=emulator)
    out = child.read()
    child.close()
    assert "**bold**" in out and "```python" in out


def test_status_in_a_terminal_shows_a_progress_bar(o4, emulator, env, tmp_path):
    emulator.batch_timing = dict(BATCH_FAST)
    (bid,) = submit_and_wait(o4, prompts(tmp_path, 3))
    child = spawn(env, "batch", "status", bid, emulator=emulator, dimensions=(30, 120))
    out = child.read()
    child.close()
    assert child.exitstatus == 0 and "█" in out and "3/3" in out
    piped = o4("batch", "status", bid)
    assert "█" not in piped.stdout and "status: completed" in piped.stdout


def test_status_watch_on_a_terminal_shows_a_live_view(o4, emulator, env, tmp_path):
    emulator.ft_timing = {"validating_files": 0.1, "queued": 0.1, "step": 0.1}
    job_id = create(o4, tmp_path)
    child = spawn(env, "finetune", "status", job_id, "--watch", "--interval", "0.05", emulator=emulator, dimensions=(40, 120))
    child.expect(pexpect.EOF)
    child.close()
    out = child.before
    assert child.exitstatus == 0, out
    assert "\x1b[" in out and "train_reward_mean" in out and f"{job_id} · succeeded" in out
    assert "Checkpoint created at step" in out


def test_show_in_a_terminal_is_a_rich_table(env):
    child = spawn(env, "models", "show", dimensions=(50, 120))
    out = child.read()
    child.close()
    assert child.exitstatus == 0
    assert "\x1b[" in out  # styled
    assert "\t" not in out
    assert "200,000" in out  # thousands separators for people
    assert "━" in out or "─" in out  # table rules


def test_plain_flag_and_no_color_in_a_terminal(env):
    child = spawn(env, "models", "show", "--plain", dimensions=(50, 120))
    out = child.read()
    child.close()
    assert "\x1b[" not in out and "snapshot: o4-mini-2025-04-16" in out
    child = spawn({**env, "NO_COLOR": "1"}, "models", "list", dimensions=(50, 120))
    out = child.read()
    child.close()
    assert "\x1b[" not in out and "o4-mini" in out and "\t" not in out


def test_error_in_a_terminal_is_red_and_piped_is_not(env, o4):
    child = spawn(env, "models", "show", "gpt-9", dimensions=(50, 120))
    out = child.read()
    child.close()
    assert child.exitstatus == 2 and "\x1b[31mo4: error:" in out
    assert o4("models", "show", "gpt-9").stderr.startswith("o4: error: ")


def test_usage_table_in_a_terminal(o4, emulator, env):
    assert o4("ask", "x").code == 0
    child = spawn(env, "usage", dimensions=(30, 120))
    out = child.read()
    child.close()
    assert child.exitstatus == 0 and "\t" not in out and "total" in out and "$" in out


HOSTILE = "Done.\x1b]0;pwned\x07\x1b[2J\x1b[H\rroot# "


def test_text_from_the_model_never_drives_the_terminal(env, emulator):
    for args in (("stream", "x"), ("stream", "x", "--plain"), ("ask", "x"), ("ask", "x", "--plain")):
        emulator.answer(text=HOSTILE, summary="thinking \x1b[31mred", chunk=3)
        child = spawn(env, *args, emulator=emulator)
        out = child.read()
        child.close()
        assert child.exitstatus == 0, out
        assert "\x1b]0;" not in out and "\x07" not in out and "\x1b[2J" not in out and "\x1b[31m" not in out, args
        assert "pwned" in out  # shown, harmless


def test_piped_answers_stay_byte_for_byte(o4_process, emulator):
    text = HOSTILE.replace("\r", "")  # (the runner reads stdout as text: \r would read as \n)
    emulator.answer(text=text)
    r = o4_process("ask", "x", "-q")
    assert r.code == 0 and r.stdout == text + "\n"  # byte for byte, then a final newline
