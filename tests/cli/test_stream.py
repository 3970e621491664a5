"""`o4 stream`: piped deltas, cuts, error events, fallbacks and Ctrl-C.

In a real terminal (live markdown) and Ctrl-C to a real process: tests/e2e/."""

import json

import pytest

from tests.cli.helpers import SUMMARY, in_process_only, ledger_rows
from tests.runner import ctrl_c_when, live_stdout

LONG = "The quick brown fox jumps over the lazy dog. " * 8


@pytest.mark.parametrize("api", ["responses", "chat"])
def test_piped_stdout_is_the_answer_byte_for_byte(o4, emulator, env, api):
    emulator.answer(text=LONG, summary="Thinking about foxes.")
    r = o4("stream", "--api", api, "tell me")
    assert r.code == 0, r.stderr
    assert r.stdout == LONG + "\n"  # the text as it came, then a final newline
    assert "\x1b[" not in r.stdout and "Thinking about" not in r.stdout
    assert SUMMARY.search(r.stderr)
    (body,) = emulator.bodies()
    assert body["stream"] is True
    if api == "chat":
        assert body["stream_options"] == {"include_usage": True}
    else:
        assert body["reasoning"] == {"effort": "medium", "summary": "auto"}
    (row,) = ledger_rows(env)
    assert row["command"] == "stream" and row["status"] == "ok" and row["estimated"] == 0


def test_stream_usage_and_cost_come_from_the_final_event(o4, emulator):
    emulator.answer(text="hi", input_tokens=1204, cached_tokens=1024, output_tokens=812, reasoning_tokens=640)
    r = o4("stream", "x")
    assert "in 1,204 (1,024 cached) · out 812 (640 reasoning) · $0.004052" in r.stderr


def test_stream_json_carries_text_and_summary(o4, emulator):
    emulator.answer(text="answer", summary="I thought.")
    r = o4("stream", "x", "--json")
    doc = json.loads(r.stdout)
    assert doc["text"] == "answer" and doc["reasoning_summary"] == "I thought."


@pytest.mark.parametrize("api", ["responses", "chat"])
def test_a_stream_cut_midway_keeps_what_arrived_and_exits_5(o4, emulator, env, api):
    emulator.answer(text=LONG, cut_after=5, chunk=4)
    r = o4("stream", "--api", api, "x")
    assert r.code == 5, r.stderr
    assert r.stdout and LONG.startswith(r.stdout.removesuffix("\n")) and len(r.stdout) < len(LONG)
    assert "o4: error: the stream was cut: RemoteProtocolError: " in r.stderr  # the connection dropped
    assert "(estimated)" in r.stderr
    (row,) = ledger_rows(env)
    assert row["status"] == "cut" and row["estimated"] == 1 and row["output_tokens"] > 0


@pytest.mark.parametrize("api", ["responses", "chat"])
def test_a_stream_that_ends_unfinished_keeps_what_arrived_and_exits_5(o4, emulator, env, api):
    emulator.answer(text=LONG, end_after=5, chunk=4)  # a clean end of the HTTP body, no final event
    r = o4("stream", "--api", api, "x")
    assert r.code == 5, r.stderr
    assert r.stdout and LONG.startswith(r.stdout.removesuffix("\n")) and len(r.stdout) <= 20
    assert "o4: error: the stream ended before the answer was complete" in r.stderr
    assert "the stream was cut" not in r.stderr and "(estimated)" in r.stderr
    (row,) = ledger_rows(env)
    assert row["status"] == "cut" and row["estimated"] == 1


def test_an_error_event_midway(o4, emulator, env):
    emulator.answer(text=LONG, error_event_after=3)
    r = o4("stream", "x")
    assert r.code == 5 and LONG.startswith(r.stdout.removesuffix("\n")) and r.stdout
    assert "server_error" in r.stderr and "error while streaming" in r.stderr
    assert ledger_rows(env)[0]["status"] == "failed"


def test_response_failed(o4, emulator):
    emulator.answer(status="failed", text="", error={"code": "invalid_prompt", "message": "Your prompt was flagged."})
    r = o4("stream", "x")
    assert r.code == 1 and "Your prompt was flagged." in r.stderr


def test_response_incomplete_keeps_the_text(o4, emulator, env):
    emulator.answer(status="incomplete", text="half of it")
    r = o4("stream", "x", "--max-output", "100")
    assert r.code == 1 and r.stdout == "half of it\n" and "cut at the output limit" in r.stderr
    assert ledger_rows(env)[0]["status"] == "incomplete"


def test_empty_answer_trap_while_streaming(o4, emulator):
    emulator.answer(status="incomplete", text="", reasoning_tokens=256, output_tokens=256)
    r = o4("stream", "x", "--max-output", "256")
    assert r.code == 1 and r.stdout == "" and "reasoning used the whole output budget" in r.stderr


def test_unverified_organization_falls_back_to_one_call(o4, emulator, env):
    emulator.fault(
        status=400,
        body={"error": {"message": "Your organization must be verified to stream this model.", "type": "invalid_request_error", "param": "stream", "code": "unsupported_value"}},
    )
    r = o4("stream", "x")
    assert r.code == 0, r.stderr
    assert r.stdout == "Echo: x\n" and "asking once without streaming" in r.stderr
    first, second = emulator.bodies()
    assert first["stream"] is True and "stream" not in second
    assert len(ledger_rows(env)) == 1


def test_rate_limit_then_success_before_the_stream_starts(o4, emulator):
    emulator.fault(status=429, headers={"retry-after-ms": "200"})
    r = o4("stream", "x")
    assert r.code == 0 and r.stdout == "Echo: x\n" and len(emulator.log) == 2


@in_process_only
def test_ctrl_c_mid_stream_keeps_what_arrived(o4, emulator, env):
    """Ctrl-C once the answer has started (to a real process: tests/e2e/test_signals.py)."""
    emulator.answer(text=LONG, delay=0.05)  # 90 deltas: the stream lasts 4.5 s
    interrupt = ctrl_c_when(lambda: live_stdout())
    r = o4("stream", "x")
    interrupt.join()
    assert r.code == 130, r.stderr
    assert r.stdout and LONG.startswith(r.stdout.removesuffix("\n")) and len(r.stdout) < len(LONG)
    assert "interrupted" in r.stderr and "Traceback" not in r.stderr
    (row,) = ledger_rows(env)
    assert row["status"] == "interrupted" and row["estimated"] == 1


MARKDOWN = "# Plan\n\nFirst **bold** step.\n\n- one\n- two\n\n```python\nprint('hi')\n```\n\nDone."


@pytest.mark.parametrize("command", ["stream", "ask"])
@pytest.mark.parametrize("plain", [[], ["--plain"]])
def test_markdown_piped_is_the_raw_text(o4, emulator, command, plain):
    """Piped (with or without --plain) the markdown is not rendered: the answer byte for
    byte, no escapes (rendered in a terminal: tests/e2e/test_terminal.py)."""
    emulator.answer(text=MARKDOWN, summary="Considering the plan.", chunk=3)
    r = o4(command, *plain, "plan it")
    assert r.code == 0, r.stderr
    assert r.stdout == MARKDOWN + "\n" and "\x1b[" not in r.output
    assert "Considering the plan." not in r.output  # a summary shows in a terminal only
