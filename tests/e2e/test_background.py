"""Background calls and real processes: a SIGKILL after the call was sent loses neither
its id nor its cost; two `o4 wait` racing record the cost once; Ctrl-C on a terminal asks
whether to cancel the call."""

import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.cli.helpers import ledger_rows
from tests.e2e.helpers import o4_env, plain, popen, spawn

LONG = "The quick brown fox jumps over the lazy dog. " * 8


def job_rows(env) -> list[dict]:
    path = Path(env["O4_DATA_DIR"]) / "ledger.db"
    if not path.exists():
        return []
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    rows = [dict(r) for r in db.execute("SELECT * FROM jobs WHERE kind = 'response' ORDER BY id")]
    db.close()
    return rows


def run(env, emulator, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "o4cli", *args], env=o4_env(env, emulator), stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_sigkill_mid_stream_then_wait_finds_and_prices_it_once(env, emulator):
    emulator.answer(text=LONG, delay=0.02)  # 90 deltas and more events: the stream lasts about 2 s
    proc = popen(env, "stream", "--resumable", "tell me", emulator=emulator, text=False)
    first = proc.stdout.read(8)  # the answer has started: the id is in the ledger by now
    proc.kill()  # SIGKILL: no handler runs, nothing is tidied up
    proc.wait(timeout=20)
    assert first and LONG.encode().startswith(first)
    (job,) = job_rows(env)
    rid = job["remote_id"]
    assert rid.startswith("resp_") and job["status"] in ("queued", "in_progress") and ledger_rows(env) == []

    r = run(env, emulator, "wait", "--interval", "0.05")  # no id: the profile's newest call
    assert r.returncode == 0, r.stderr
    assert r.stdout == LONG + "\n"
    (row,) = ledger_rows(env)
    assert (row["response_id"], row["command"], row["status"], row["estimated"]) == (rid, "stream", "ok", 0)
    assert float(row["cost_usd"]) > 0 and job_rows(env)[0]["status"] == "completed"
    again = run(env, emulator, "wait", rid)
    assert again.returncode == 0 and again.stdout == LONG + "\n" and len(ledger_rows(env)) == 1


def test_two_waits_on_one_call_record_its_cost_once(env, emulator):
    emulator.clock.freeze()  # the call stays queued until both waits are polling
    sub = run(env, emulator, "ask", "--background", "race me")
    rid = sub.stdout.strip()
    procs = [popen(env, "wait", rid, "--interval", "0.02", emulator=emulator) for _ in range(2)]
    for p in procs:  # each says so on its first poll: both are waiting now
        assert p.stderr.readline() == f"o4: {rid} · queued\n"
    emulator.clock.advance(60)  # now it ends, for both at once
    results = [(p.wait(timeout=60), p.stdout.read(), p.stderr.read()) for p in procs]
    assert [code for code, _, _ in results] == [0, 0], results
    assert all(out == "Echo: race me\n" for _, out, _ in results)  # each prints the answer
    (row,) = ledger_rows(env)  # one of them recorded the cost
    assert row["response_id"] == rid and row["status"] == "ok"
    assert job_rows(env)[0]["status"] == "completed"


def test_ctrl_c_on_a_terminal_asks_and_cancels_the_call(env, emulator):
    emulator.answer(text=LONG, delay=0.05)
    emulator.bg_timing = {"queued": 0.0, "in_progress": 60.0}  # still running when asked
    child = spawn(env, "stream", "--resumable", "tell me", emulator=emulator)
    child.expect("quick")  # the answer is streaming
    child.sendintr()
    child.expect(r"Cancel it\? \[y/N\] ")
    child.sendline("y")
    rest = child.read()
    child.close()
    assert child.exitstatus == 130, rest
    (job,) = job_rows(env)
    rid = job["remote_id"]
    assert f"{rid} cancelled" in plain(rest) and "Traceback" not in rest
    assert [r.path for r in emulator.log if r.method == "POST"][-1] == f"/v1/responses/{rid}/cancel"
    (row,) = ledger_rows(env)
    assert row["status"] == "cancelled" and row["response_id"] == rid and job_rows(env)[0]["status"] == "cancelled"
