"""`o4 stream`: piped deltas, cuts, error events, fallbacks, Ctrl-C, and a real terminal."""

import json
import os
import signal
import subprocess
import sys
import time

import pexpect
import pytest

from tests.cli.helpers import SUMMARY, ledger_rows, wait_for_request
from tests.emulator import TEST_KEY

LONG = "The quick brown fox jumps over the lazy dog. " * 8


@pytest.mark.parametrize("api", ["responses", "chat"])
def test_piped_stdout_is_the_answer_byte_for_byte(o4, emulator, env, api):
    emulator.answer(text=LONG, summary="Thinking about foxes.")
    r = o4("stream", "--api", api, "tell me")
    assert r.code == 0, r.stderr
    assert r.stdout == LONG
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
    assert r.stdout and LONG.startswith(r.stdout) and len(r.stdout) < len(LONG)
    assert "the stream was cut" in r.stderr or "ended before the answer was complete" in r.stderr
    assert "(estimated)" in r.stderr
    (row,) = ledger_rows(env)
    assert row["status"] == "cut" and row["estimated"] == 1 and row["output_tokens"] > 0


def test_an_error_event_midway(o4, emulator, env):
    emulator.answer(text=LONG, error_event_after=3)
    r = o4("stream", "x")
    assert r.code == 5 and LONG.startswith(r.stdout) and r.stdout
    assert "server_error" in r.stderr and "error while streaming" in r.stderr
    assert ledger_rows(env)[0]["status"] == "failed"


def test_response_failed(o4, emulator):
    emulator.answer(status="failed", text="", error={"code": "invalid_prompt", "message": "Your prompt was flagged."})
    r = o4("stream", "x")
    assert r.code == 1 and "Your prompt was flagged." in r.stderr


def test_response_incomplete_keeps_the_text(o4, emulator, env):
    emulator.answer(status="incomplete", text="half of it")
    r = o4("stream", "x", "--max-output", "100")
    assert r.code == 1 and r.stdout == "half of it" and "cut at the output limit" in r.stderr
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
    assert r.stdout == "Echo: x" and "asking once without streaming" in r.stderr
    first, second = emulator.bodies()
    assert first["stream"] is True and "stream" not in second
    assert len(ledger_rows(env)) == 1


def test_rate_limit_then_success_before_the_stream_starts(o4, emulator):
    emulator.fault(status=429, headers={"retry-after-ms": "200"})
    r = o4("stream", "x")
    assert r.code == 0 and r.stdout == "Echo: x" and len(emulator.log) == 2


def test_ctrl_c_keeps_what_arrived_records_it_exits_130(env, emulator):
    emulator.answer(text=LONG, delay=0.03)
    proc = subprocess.Popen(
        [sys.executable, "-m", "o4cli", "stream", "x"],
        env={**env, "OPENAI_API_KEY": TEST_KEY, "OPENAI_BASE_URL": emulator.url},
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    wait_for_request(emulator)
    time.sleep(0.5)  # some deltas have arrived
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert out and LONG.startswith(out) and len(out) < len(LONG)
    assert "interrupted" in err and "Traceback" not in err
    (row,) = ledger_rows(env)
    assert row["status"] == "interrupted" and row["estimated"] == 1


def spawn(env, emulator, *args):
    return pexpect.spawn(
        sys.executable, ["-m", "o4cli", *args],
        env={**env, "OPENAI_API_KEY": TEST_KEY, "OPENAI_BASE_URL": emulator.url},
        encoding="utf-8", dimensions=(40, 100), timeout=20,
    )


MARKDOWN = "# Plan\n\nFirst **bold** step.\n\n- one\n- two\n\n```python\nprint('hi')\n```\n\nDone."


def test_terminal_renders_markdown_summary_and_summary_line(env, emulator):
    emulator.answer(text=MARKDOWN, summary="Considering the plan.", chunk=3)
    child = spawn(env, emulator, "stream", "plan it")
    out = child.read()
    child.close()
    assert child.exitstatus == 0, out
    assert "**bold**" not in out and "\x1b[1m" in out  # bold rendered, not raw markdown
    assert "# Plan" not in out and "Plan" in out
    assert "•" in out and "one" in out  # list bullets
    assert "print('hi')" in out or "print" in out
    assert "thinking: " in out and "Considering the plan." in out
    assert "\x1b[2m" in out  # the summary is dimmed
    assert "o4-mini · in " in out and " tok/s" in out


def test_terminal_ask_renders_markdown(env, emulator):
    emulator.answer(text=MARKDOWN)
    child = spawn(env, emulator, "ask", "plan it")
    out = child.read()
    child.close()
    assert child.exitstatus == 0 and "**bold**" not in out and "\x1b[1m" in out


def test_terminal_plain_stream_is_raw(env, emulator):
    emulator.answer(text=MARKDOWN)
    child = spawn(env, emulator, "stream", "--plain", "plan it")
    out = child.read()
    child.close()
    assert "**bold**" in out and "```python" in out
