"""``render.Out`` (tables, fields, JSON, errors and notices on StringIO streams) and
``render.progress`` (the progress line and the job panel)."""

from __future__ import annotations

import io
import json
import re
from decimal import Decimal

import pytest

from o4cli.core.errors import ApiError, O4Error
from o4cli.core.problems import MAX_SHOWN, InputProblems, Problem
from o4cli.render import Out
from o4cli.render.progress import CLEAR_LINE, JobPanel, ProgressLine

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class TTY(io.StringIO):
    """A StringIO that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def columns(monkeypatch):
    """Set the terminal width the honest way: rich and shutil both read $COLUMNS."""

    def set_width(n: int) -> None:
        monkeypatch.setenv("COLUMNS", str(n))
        monkeypatch.setenv("TERM", "xterm-256color")  # rich sizes a "dumb" terminal at 80

    set_width(80)
    return set_width


def piped(**kw) -> tuple[Out, io.StringIO, io.StringIO]:
    o, e = io.StringIO(), io.StringIO()
    return Out(o, e, {}, **kw), o, e


def terminal(env=None, **kw) -> tuple[Out, TTY, TTY]:
    o, e = TTY(), TTY()
    return Out(o, e, env or {}, **kw), o, e


# -------------------------------------------------------------------- tables


def test_piped_table_is_tsv_with_a_header():
    out, o, e = piped()
    out.table(
        ["batch", "status", "requests", "cost", "done", "note"],
        [["batch_1", "completed", 12345, "$0.004052", True, None], ["batch_2", "failed", 0, "$?", False, "a\tb"]],
    )
    assert o.getvalue() == (
        "batch\tstatus\trequests\tcost\tdone\tnote\n"
        "batch_1\tcompleted\t12345\t$0.004052\tyes\t-\n"  # bare digits for pipes; None is '-'
        "batch_2\tfailed\t0\t$?\tno\ta b\n"  # a tab inside a cell cannot split the column
    )
    assert e.getvalue() == ""


def test_piped_table_title_is_a_comment_line():
    out, o, _ = piped()
    out.table(["id"], [["x"]], title="Recent batches")
    assert o.getvalue() == "# Recent batches\nid\nx\n"


def test_plain_on_a_terminal_is_tsv_too():
    out, o, _ = terminal(plain=True)
    out.table(["id", "n"], [["x", 1000]])
    assert o.getvalue() == "id\tn\nx\t1000\n"


def test_piped_fields_are_key_value_lines():
    out, o, _ = piped()
    out.fields([("id", "batch_1"), ("requests", 12345), ("done", True), ("error", None)], title="batch")
    assert o.getvalue() == "# batch\nid: batch_1\nrequests: 12345\ndone: yes\nerror: -\n"


IDS = [f"batch_6823c0ffee0123456789abcdef0123{i:02d}" for i in range(3)]  # 38 characters


@pytest.mark.parametrize("env", [{}, {"NO_COLOR": "1"}], ids=["colour", "no-colour"])
@pytest.mark.parametrize("width", [60, 100])
def test_terminal_table_keeps_long_ids_whole(columns, env, width):
    columns(width)
    out, o, _ = terminal(env)
    out.table(
        ["batch", "status", "endpoint", "created", "cost"],
        [[i, "in_progress", "/v1/chat/completions", "2025-06-01 12:00:00", "$0.402600"] for i in IDS],
    )
    text = ANSI.sub("", o.getvalue())
    lines = text.splitlines()
    for batch_id in IDS:
        assert any(batch_id in line for line in lines), f"{batch_id} was cut"
    assert sum("$0.402600" in line for line in lines) == 3  # money is never cut either
    for start in ("stat", "in_p", "/v1/", "2025"):  # the other columns wrap; none is dropped
        assert any(start in line for line in lines), start
    # It fits when ids, money and four characters of every other column can; else it is as
    # wide as that needs (the terminal wraps it) rather than dropping a column.
    assert max(len(line) for line in lines) <= max(width, 38 + 9 + 3 * 4 + 5 * 2 + 4)
    assert "\t" not in text


def test_terminal_table_is_styled_unless_no_color(columns):
    out, o, _ = terminal()
    out.table(["id", "n"], [["x", 1]], highlight_row=0)
    assert ANSI.search(o.getvalue())
    out, o, _ = terminal({"NO_COLOR": "1"})
    out.table(["id", "n"], [["x", 1]], highlight_row=0)
    assert not ANSI.search(o.getvalue())
    assert "id" in o.getvalue()


def test_terminal_numbers_have_separators(columns):
    out, o, _ = terminal({"NO_COLOR": "1"})
    out.fields([("requests", 12345)])
    assert "12,345" in o.getvalue()


# ---------------------------------------------------------------------- json


def test_json_writes_exact_decimal_money_as_numbers():
    out, o, _ = piped()
    out.json(
        {
            "cost_usd": Decimal("0.004052"),
            "price": Decimal("1.10"),
            "tiny": Decimal("0.000001"),
            "list": [Decimal("2.20")],
            "none": None,
            "n": 3,
        }
    )
    text = o.getvalue()
    assert '"price": 1.10' in text  # not 1.1: as published
    assert '"tiny": 0.000001' in text  # not 1e-06
    doc = json.loads(text, parse_float=Decimal)
    assert doc == {
        "cost_usd": Decimal("0.004052"),
        "price": Decimal("1.10"),
        "tiny": Decimal("0.000001"),
        "list": [Decimal("2.20")],
        "none": None,
        "n": 3,
    }
    assert text.endswith("}\n")
    assert out.printed_json is True


def test_json_lines_are_compact():
    out, o, _ = piped()
    out.json({"a": Decimal("0.50"), "b": [1, 2]}, lines=True)
    out.json({"a": Decimal("1")}, lines=True)
    assert o.getvalue() == '{"a": 0.50, "b": [1, 2]}\n{"a": 1}\n'


def test_json_strings_that_look_like_marks_stay_strings():
    out, o, _ = piped()
    out.json({"text": "0.5", "money": Decimal("0.5")})
    assert json.loads(o.getvalue()) == {"text": "0.5", "money": 0.5}


# -------------------------------------------------------------------- errors


def test_error_line_and_hint_piped():
    out, o, e = piped()
    out.error(O4Error("no such batch: batch_x", hint="o4 batch list"))
    assert e.getvalue() == "o4: error: no such batch: batch_x\no4: hint: o4 batch list\n"
    assert o.getvalue() == ""


def test_api_error_is_described():
    out, _, e = piped()
    err = ApiError(
        "Unsupported parameter: 'temperature'.",
        status=400,
        type="invalid_request_error",
        code="unsupported_parameter",
        param="temperature",
        request_id="req_123",
    )
    out.error(err)
    assert e.getvalue() == (
        "o4: error: 400 invalid_request_error (unsupported_parameter, param temperature): "
        "Unsupported parameter: 'temperature'. [request req_123]\n"
    )


def test_problems_come_first_as_file_line_reason():
    out, _, e = piped()
    problems = [Problem(3, "missing custom_id", "in.jsonl"), Problem(0, "is empty", "b.jsonl"), Problem(7, "no file")]
    out.error(InputProblems(problems, "nothing was sent"))
    assert e.getvalue().splitlines() == [
        "in.jsonl:3: missing custom_id",
        "b.jsonl: is empty",
        "o4: no file",
        "o4: error: 3 problems found; nothing was sent",
        "o4: hint: fix the lines above and run the command again",
    ]


def test_only_the_first_problems_are_listed():
    out, _, e = piped()
    problems = [Problem(n, "bad line", "in.jsonl") for n in range(1, MAX_SHOWN + 8)]
    out.error(InputProblems(problems, "nothing was sent"))
    lines = e.getvalue().splitlines()
    assert lines[:MAX_SHOWN] == [f"in.jsonl:{n}: bad line" for n in range(1, MAX_SHOWN + 1)]
    assert lines[MAX_SHOWN] == "o4: ... and 7 more"
    assert lines[MAX_SHOWN + 1] == f"o4: error: {MAX_SHOWN + 7} problems found; nothing was sent"


@pytest.mark.parametrize(
    ("stderr_tty", "env", "coloured"),
    [(False, {}, False), (False, {"NO_COLOR": "1"}, False), (True, {"NO_COLOR": "1"}, False), (True, {}, True)],
    ids=["piped", "piped-no-color", "tty-no-color", "tty"],
)
def test_error_escapes_only_on_a_colour_terminal(stderr_tty, env, coloured):
    e = TTY() if stderr_tty else io.StringIO()
    out = Out(io.StringIO(), e, env)
    out.error(O4Error("broke", hint="fix it"))
    out.warn("careful")
    text = e.getvalue()
    assert bool(ANSI.search(text)) is coloured
    assert ANSI.sub("", text) == "o4: error: broke\no4: hint: fix it\no4: warning: careful\n"


# ------------------------------------------------------------ notice / warn


def test_notice_is_silent_under_quiet_warn_is_not():
    out, o, e = piped(quiet=True)
    out.notice("retrying in 3.0 s")
    assert e.getvalue() == ""
    out.warn("the price of gpt-9 is unknown")
    assert e.getvalue() == "o4: warning: the price of gpt-9 is unknown\n"
    assert o.getvalue() == ""


def test_notice_without_quiet():
    out, _, e = piped()
    out.notice("retrying in 3.0 s")
    assert e.getvalue() == "o4: retrying in 3.0 s\n"


def test_progress_is_off_under_quiet():
    out, _, e = piped(quiet=True)
    line = out.progress()
    line.update(["batch_1", "3/10"])
    line.close(keep=True)
    assert e.getvalue() == ""


# --------------------------------------------------------------- ProgressLine


def test_piped_progress_one_line_per_change():
    e = io.StringIO()
    line = ProgressLine(e, live=False)
    line.update(["batch_1", "in_progress", "3/10"])
    line.update(["batch_1", "in_progress", "3/10"])  # a repeat: nothing
    line.update(["batch_1", "in_progress", "7/10"])
    line.update(["batch_1", "completed", "10/10"])
    line.update(["batch_1", "completed", "10/10"])
    line.close(keep=True)
    assert e.getvalue() == (
        "o4: batch_1 · in_progress · 3/10\no4: batch_1 · in_progress · 7/10\no4: batch_1 · completed · 10/10\n"
    )


def test_out_progress_is_piped_when_stderr_is():
    out, _, e = piped()
    p = out.progress()
    p.update(["a", "b"])
    assert e.getvalue() == "o4: a · b\n"


def test_live_progress_redraws_in_place_fitted_to_the_width(columns):
    columns(40)
    e = TTY()
    out = Out(io.StringIO(), e, {})
    line = out.progress()
    head = "batch_6823c0ffee0123456789ab"  # 28 characters
    line.update([head, "in_progress", "3/10"])
    line.update([head, "in_progress", "3/10"])  # unchanged: not redrawn
    line.update([head, "x"])
    assert e.getvalue() == CLEAR_LINE + head + CLEAR_LINE + head + " · x"
    line.close(keep=True)
    assert e.getvalue().endswith(" · x\n")


def test_live_progress_close_clears_unless_kept(columns):
    e = TTY()
    line = ProgressLine(e, live=True)
    line.update(["a"])
    line.close()
    assert e.getvalue() == CLEAR_LINE + "a" + CLEAR_LINE
    line.close(keep=True)  # closed already: nothing more
    assert e.getvalue() == CLEAR_LINE + "a" + CLEAR_LINE


def test_live_progress_never_drawn_writes_nothing_on_close(columns):
    e = TTY()
    ProgressLine(e, live=True).close(keep=True)
    assert e.getvalue() == ""


# ------------------------------------------------------------------ JobPanel


def test_job_panel_redraws_in_place_and_cuts_to_the_width(columns):
    columns(40)
    e = TTY()
    panel = JobPanel(e, colour=False)
    long_line = "step 10/200 · train loss 0.123 · valid loss 0.456 · lr 1e-5"
    panel.draw(["ftjob-abc123", "running"], ["metrics: ok", long_line])
    first = e.getvalue()
    assert first == "ftjob-abc123 · running\n  metrics: ok\n" + ("  " + long_line)[:39] + "\n"
    assert "\x1b[" not in first  # nothing to move over on the first draw
    panel.draw(["ftjob-abc123", "succeeded"], ["done"])
    second = e.getvalue()[len(first) :]
    assert second == "\x1b[3F\x1b[J" + "ftjob-abc123 · succeeded\n  done\n"  # up 3 lines, clear, redraw
    panel.draw(["ftjob-abc123"], [])
    assert e.getvalue()[len(first) + len(second) :] == "\x1b[2F\x1b[J" + "ftjob-abc123\n"


def test_job_panel_head_drops_trailing_parts_first(columns):
    columns(30)
    e = TTY()
    JobPanel(e, colour=False).draw(["ftjob-abcdefghijklmnop", "running", "step 10/200"], [])
    assert e.getvalue() == "ftjob-abcdefghijklmnop\n"


def test_job_panel_colour(columns):
    e = TTY()
    JobPanel(e, colour=True).draw(["job"], ["first", "second"])
    assert e.getvalue() == "\x1b[1mjob\x1b[0m\n  first\n\x1b[2m  second\x1b[0m\n"
