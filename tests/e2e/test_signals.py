"""Ctrl-C reaching a real o4 process: exit 130, what arrived kept, the call recorded."""

import json
import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.cli.helpers import ledger_rows, wait_for_request
from tests.e2e.helpers import popen, spawn

LONG = "The quick brown fox jumps over the lazy dog. " * 8


def test_ctrl_c_keeps_what_arrived_records_it_exits_130(env, emulator):
    """In-process twin: tests/cli/test_stream.py::test_ctrl_c_mid_stream_keeps_what_arrived."""
    emulator.answer(text=LONG, delay=0.05)  # 90 deltas: the stream lasts 4.5 s
    proc = popen(env, "stream", "x", emulator=emulator, text=False)
    first = proc.stdout.read(1)  # the answer has started: Ctrl-C now is mid-stream
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    out, err = (first + out).decode(), err.decode()
    assert proc.returncode == 130, err
    assert out.endswith("\n") and LONG.startswith(out[:-1]) and len(out) < len(LONG)  # what arrived, a newline
    assert "interrupted" in err and "Traceback" not in err
    (row,) = ledger_rows(env)
    assert row["status"] == "interrupted" and row["estimated"] == 1


def ids(path: Path) -> list[str]:
    return [json.loads(line)["custom_id"] for line in path.read_text().splitlines()]


def test_ctrl_c_keeps_what_finished_and_a_rerun_completes(env, emulator, o4_process, tmp_path):
    """In-process twin: tests/cli/test_batch_run.py::test_ctrl_c_keeps_what_finished."""
    emulator.fault(delay=0.4, path="/v1/responses", times=100)  # 30 lines, 2 at a time: 6 s
    out = tmp_path / "out.jsonl"
    p = tmp_path / "prompts.txt"
    p.write_text("".join(f"question {i}\n" for i in range(1, 31)))
    args = ("batch", "run", str(p), "-o", str(out), "--concurrency", "2")
    proc = popen(env, *args, emulator=emulator)
    deadline = time.monotonic() + 20
    while not (out.exists() and out.read_text().count("\n") >= 1) and time.monotonic() < deadline:
        time.sleep(0.02)  # until a first answer is written: Ctrl-C now is mid-run
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    first = ids(out)
    assert 0 < len(first) < 30 and len(set(first)) == len(first)
    emulator.faults.clear()
    r = o4_process(*args)
    assert r.code == 0, r.stderr
    assert Counter(ids(out)) == Counter(f"line-{i}" for i in range(1, 31))


def test_130_ctrl_c_during_a_request(env, emulator):
    """In-process twin: tests/cli/test_exit_codes.py::test_130_ctrl_c_mid_request."""
    emulator.fault(delay=10)
    child = spawn(env, "models", "list", "--remote", emulator=emulator)
    wait_for_request(emulator)
    child.sendintr()
    out = child.read()
    child.close()
    assert child.exitstatus == 130, out
    assert "Traceback" not in out


def test_130_ctrl_c_while_ask_waits_is_recorded(env, emulator):
    """In-process twin: tests/cli/test_exit_codes.py::test_130_ctrl_c_while_ask_waits_records_it."""
    emulator.fault(delay=10, path="/v1/responses")
    child = spawn(env, "ask", "x", emulator=emulator)
    wait_for_request(emulator)
    child.sendintr()
    out = child.read()
    child.close()
    assert child.exitstatus == 130, out
    assert "interrupted before the answer arrived" in out and "Traceback" not in out
    (row,) = ledger_rows(env)
    assert row["status"] == "interrupted" and row["command"] == "ask"


@pytest.mark.parametrize("seed", [7, 2026])
def test_sigkill_mid_run_loses_no_paid_call_and_its_temp_files_are_swept(env, emulator, tmp_path, seed):
    """Killed at a moment drawn from a seeded generator (after the Nth answer written), then
    resumed: every answer in -o has exactly one ledger row, nothing was sent twice, and the
    temporary files the killed process left (its stdin copy, its work folder) are swept."""
    import random
    import subprocess
    import sys

    from tests.e2e.helpers import o4_env

    moment = random.Random(seed).randint(1, 25)
    p = tmp_path / "p.txt"
    p.write_text("".join(f"q{i}\n" for i in range(30)))
    out = tmp_path / "out.jsonl"
    emulator.fault(delay=0.05, path="/v1/responses", times=30)
    e = o4_env(env, emulator)
    cmd = [sys.executable, "-m", "o4cli", "batch", "run", "-", "-o", str(out), "--concurrency", "2"]
    with p.open("rb") as stdin:
        proc = subprocess.Popen(cmd, env=e, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (not out.exists() or out.read_bytes().count(b"\n") < moment):
        time.sleep(0.01)
    proc.kill()  # SIGKILL: no handler runs, rows waiting for the next tick are gone
    proc.wait(timeout=30)
    tmp = Path(env["O4_DATA_DIR"]) / "tmp"
    assert list(tmp.glob(".o4tmp-*")), "the killed run left its temporary files"
    with p.open("rb") as stdin:
        r = subprocess.run(cmd, env=e, stdin=stdin, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert sorted(x["custom_id"] for x in lines) == sorted(f"line-{i}" for i in range(1, 31))
    rows = [x for x in ledger_rows(env) if x["command"] == "batch run" and x["status"] == "ok"]
    assert sorted(x["response_id"] for x in rows) == sorted(x["response"]["body"]["id"] for x in lines)
    assert len([r for r in emulator.log if r.path == "/v1/responses"]) <= 30 + 2  # at most the in-flight pair again
    assert list(tmp.glob(".o4tmp-*")) == []
