"""Text from the model or the API never drives the terminal: control characters reach a
terminal only as visible escapes; piped, an answer stays byte for byte."""

import io

import pytest

from o4cli.core.errors import ApiError
from o4cli.render import Out
from o4cli.render.answer import StreamView, print_answer
from o4cli.render.text import safe
from tests.render.screen import Screen

HOSTILE = "ok\x1b]0;pwned\x07 \x1b[2J\x1b[H\rfake prompt$ \x9b31m\x08"


class TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain text\nwith lines\tand tabs", "plain text\nwith lines\tand tabs"),
        ("\x1b[31mred", "\\x1b[31mred"),
        ("bell\x07", "bell\\x07"),
        ("over\rwrite", "over\\x0dwrite"),
        ("c1\x9bcsi", "c1\\x9bcsi"),
        ("del\x7f", "del\\x7f"),
        ("é ü 漢字 🙂", "é ü 漢字 🙂"),
    ],
)
def test_safe(text, expected):
    assert safe(text) == expected


def no_controls(text: str, allowed: str = "\n\t") -> bool:
    return not any((ord(c) < 0x20 and c not in allowed) or 0x7F <= ord(c) < 0xA0 for c in text)


def test_answers_on_a_terminal_are_made_harmless_piped_kept_byte_for_byte():
    tty = Out(TTY(), TTY(), {"NO_COLOR": "1"}, plain=True)
    tty.write(HOSTILE)
    assert no_controls(tty.stdout.getvalue()) and "pwned" in tty.stdout.getvalue()
    piped = Out(io.StringIO(), io.StringIO(), {})
    piped.write(HOSTILE)
    assert piped.stdout.getvalue() == HOSTILE


def test_rendered_markdown_on_a_terminal_carries_no_foreign_escape():
    out = Out(TTY(), TTY(), {"NO_COLOR": "1"})
    print_answer(out, "# Title\n\n" + HOSTILE)
    text = out.stdout.getvalue()
    assert "\x1b]0;" not in text and "\x07" not in text and "\x1b[2J" not in text and "\r" not in text


@pytest.mark.parametrize("plain", [True, False], ids=["plain", "markdown"])
def test_a_streamed_answer_on_a_terminal_cannot_send_escapes(plain):
    out = Out(TTY(), TTY(), {"NO_COLOR": "1"}, plain=plain)
    view = StreamView(out)
    for ch in HOSTILE:  # split anywhere: a sequence cut across deltas is caught too
        view.text(ch)
    view.close()
    text = out.stdout.getvalue()
    assert "\x1b]0;" not in text and "\x07" not in text and "\x1b[2J" not in text and "\x9b" not in text
    assert "pwned" in Screen(80, 24).feed(text).text()  # (it fails on any sequence o4 does not send itself)


def test_a_streamed_reasoning_summary_on_stderr_cannot_send_escapes():
    out = Out(TTY(), TTY(), {"NO_COLOR": "1"})
    view = StreamView(out)
    view.summary(HOSTILE)
    view.text("answer")
    view.close()
    # The terminal of tests/render/screen.py fails on any control character or escape
    # sequence but the few the live views send (redraws, colours): none came from the model.
    shown = Screen(80, 24).feed(out.stderr.getvalue()).text()
    assert "thinking: ok\\x1b]0;pwned\\x07" in shown


def test_api_error_text_and_notices_are_made_harmless_on_stderr():
    out = Out(io.StringIO(), io.StringIO(), {})
    out.error(ApiError(HOSTILE, status=400, type="invalid_request_error", code="x\x1b[1m", request_id="req\x07"))
    out.notice(HOSTILE)
    out.warn(HOSTILE)
    out.log(HOSTILE)
    assert no_controls(out.stderr.getvalue())


def test_tables_fields_and_progress_are_made_harmless():
    out = Out(TTY(), TTY(), {"NO_COLOR": "1"})
    out.table(["id", "label"], [["batch_1", HOSTILE]])
    out.fields([("label", HOSTILE)])
    assert "\x1b]0;" not in out.stdout.getvalue() and "\x07" not in out.stdout.getvalue()
    line = out.progress()
    line.update(["batch_1", HOSTILE])
    line.close(keep=True)
    panel = out.panel()
    panel.draw(["job", HOSTILE], [HOSTILE])
    err = out.stderr.getvalue()
    assert "\x1b]0;" not in err and "\x07" not in err and "\x1b[2J" not in err
