"""Background calls end to end against the emulator: `ask/stream --background`, `o4 wait`,
`o4 cancel`, `o4 jobs` and `stream --resumable`. Every request they send passes the
contract check (the emulator fixture).

Real processes (SIGKILL, two racing waits, Ctrl-C on a terminal): tests/e2e/test_background.py."""

import json
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from tests.cli.helpers import SUMMARY, in_process_only, ledger_rows
from tests.runner import ctrl_c_when, live_stdout

LONG = "The quick brown fox jumps over the lazy dog. " * 8
FAST = ("--interval", "0.01")


def jobs(env) -> list[dict]:
    db = sqlite3.connect(Path(env["O4_DATA_DIR"]) / "ledger.db")
    db.row_factory = sqlite3.Row
    rows = [dict(r) for r in db.execute("SELECT * FROM jobs WHERE kind = 'response' ORDER BY id")]
    db.close()
    return [{**r, "state": json.loads(r["state"])} for r in rows]


def requests_to(emulator, prefix: str) -> list[str]:
    return [f"{r.method} {r.path}" for r in emulator.log if r.path.startswith(prefix)]


def test_submit_prints_the_id_then_wait_prints_the_answer_as_ask_would(o4, emulator, env):
    emulator.bg_timing = {"queued": 1.0, "in_progress": 2.0}
    emulator.clock.tick_on_read = 0.5  # each GET moves the call on: queued, in_progress, completed
    emulator.answer(text="forty-two", input_tokens=1204, cached_tokens=1024, output_tokens=812, reasoning_tokens=640)
    sub = o4("ask", "--background", "--flex", "think hard")
    assert sub.code == 0, sub.stderr
    rid = sub.stdout.strip()
    assert rid.startswith("resp_") and sub.stdout == rid + "\n"
    assert f"o4 wait {rid}" in sub.stderr and "flex" in sub.stderr
    (body,) = emulator.bodies("/v1/responses")
    assert body["background"] is True and body["store"] is True and body["service_tier"] == "flex"
    assert "stream" not in body
    (job,) = jobs(env)
    assert (job["remote_id"], job["status"], job["cost_usd"]) == (rid, "queued", None)  # the id first
    assert ledger_rows(env) == []  # nothing billed yet

    r = o4("wait", *FAST)  # no id: the profile's newest background call
    assert r.code == 0, r.stderr
    assert r.stdout == "forty-two\n"
    assert SUMMARY.search(r.stderr) and "$0.002026 flex" in r.stderr  # priced at the flex rate
    seen = [line.split(" · ")[1] for line in r.stderr.splitlines() if line.startswith(f"o4: {rid} · ")]
    assert seen == ["queued", "in_progress", "completed"]  # piped: one line a change
    (row,) = ledger_rows(env)
    assert (row["command"], row["status"], row["response_id"], row["pricing"]) == ("ask", "ok", rid, "flex")
    assert Decimal(row["cost_usd"]) == Decimal("0.0020262") and row["job_id"] == jobs(env)[0]["id"]
    assert jobs(env)[0]["status"] == "completed" and Decimal(jobs(env)[0]["cost_usd"]) == Decimal("0.0020262")

    again = o4("wait", rid)  # the answer again, the cost not again
    assert again.code == 0 and again.stdout == "forty-two\n"
    assert len(ledger_rows(env)) == 1
    assert all(p.startswith(("POST /v1/responses", f"GET /v1/responses/{rid}")) for p in requests_to(emulator, "/"))


def test_wait_json_is_the_ask_document(o4, emulator):
    rid = o4("ask", "--background", "hi").stdout.strip()
    doc = json.loads(o4("wait", rid, "--json", *FAST).stdout)
    assert doc["text"] == "Echo: hi" and doc["response_id"] == rid and doc["status"] == "completed"
    assert isinstance(doc["cost_usd"], float) and doc["api"] == "responses"


def test_wait_timeout_exits_124_and_leaves_the_call_running(o4, emulator, env):
    emulator.clock.freeze()  # the call stays queued until the clock moves
    rid = o4("ask", "--background", "slow").stdout.strip()
    r = o4("wait", rid, "--timeout", "0.2", *FAST)
    assert r.code == 124, r.stderr
    assert f"o4: error: {rid} is still queued after --timeout 0.2 s; it goes on running" in r.stderr
    assert f"o4 wait {rid}" in r.stderr and r.stdout == ""
    assert ledger_rows(env) == [] and jobs(env)[0]["status"] == "queued"
    assert not [p for p in requests_to(emulator, "/v1/responses") if "cancel" in p]  # left running
    doc = json.loads(o4("wait", rid, "--timeout", "0", "--json").stdout)
    assert doc["error"]["exit_code"] == 124
    emulator.clock.advance(60)
    done = o4("wait", rid, "--timeout", "5", *FAST)
    assert done.code == 0 and done.stdout == "Echo: slow\n" and len(ledger_rows(env)) == 1


def test_cancel_then_wait_exits_1_and_records_what_was_billed_once(o4, emulator, env):
    emulator.bg_timing = {"queued": 1.0, "in_progress": 4.0}
    emulator.clock.freeze()
    rid = o4("ask", "--background", "long job").stdout.strip()
    emulator.clock.advance(3.0)  # half way through: half the output generated
    r = o4("cancel", rid)
    assert r.code == 0, r.stderr
    assert r.stdout == f"{rid} cancelled\n" and "its cost, recorded in the ledger: $" in r.stderr
    assert requests_to(emulator, f"/v1/responses/{rid}/cancel") == [f"POST /v1/responses/{rid}/cancel"]
    (row,) = ledger_rows(env)
    assert row["status"] == "cancelled" and row["output_tokens"] > 0 and Decimal(row["cost_usd"]) > 0
    w = o4("wait", rid)
    assert w.code == 1 and "o4: error: the call was cancelled before it finished" in w.stderr
    twice = o4("cancel", rid, "--json")  # cancelling twice returns the final response
    assert json.loads(twice.stdout)["status"] == "cancelled"
    assert len(ledger_rows(env)) == 1  # recorded once, whoever saw the end


def test_cancel_of_a_call_that_had_ended_says_so(o4, emulator, env):
    rid = o4("ask", "--background", "quick").stdout.strip()
    emulator.clock.advance(60)
    r = o4("cancel", rid)
    assert r.code == 0 and r.stdout == f"{rid} completed\n" and "had already ended (completed)" in r.stderr
    (row,) = ledger_rows(env)
    assert row["status"] == "ok" and row["response_id"] == rid


@pytest.mark.parametrize(
    ("script", "code", "message"),
    [
        ({"status": "incomplete", "text": ""}, 1, "reasoning used the whole output budget"),
        ({"status": "failed", "text": "", "error": {"code": "invalid_prompt", "message": "Flagged."}}, 1, "Flagged."),
        ({"status": "failed", "text": "", "error": {"code": "server_error", "message": "Boom."}}, 5, "Boom."),
    ],
)
def test_wait_exits_as_ask_would_for_each_ending(o4, emulator, env, script, code, message):
    emulator.answer(**script)
    rid = o4("ask", "--background", "x", "--max-output", "500").stdout.strip()
    r = o4("wait", rid, *FAST)
    assert r.code == code, r.stderr
    assert message in r.stderr
    (row,) = ledger_rows(env)
    assert row["status"] == script["status"] and row["response_id"] == rid
    if script["status"] == "incomplete":
        assert "raise --max-output (now 500)" in r.stderr  # the limit the call was sent with


def test_jobs_lists_status_and_cost_and_records_ends_it_sees(o4, emulator, env):
    emulator.clock.freeze()
    first = o4("ask", "--background", "one").stdout.strip()
    emulator.clock.advance(60)
    second = o4("stream", "--background", "two").stdout.strip()
    r = o4("jobs")
    assert r.code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split("\t") == ["id", "status", "command", "model", "submitted (UTC)", "cost $"]
    assert [line.split("\t")[:3] for line in lines[1:]] == [[second, "queued", "stream"], [first, "completed", "ask"]]
    assert lines[2].split("\t")[5] != "-" and lines[1].split("\t")[5] == "-"
    (row,) = ledger_rows(env)  # jobs saw the first one end: its cost is recorded now
    assert row["response_id"] == first
    doc = json.loads(o4("jobs", "--json").stdout)
    assert [d["id"] for d in doc] == [second, first] and doc[1]["recorded"] is True and doc[0]["recorded"] is False
    assert o4("-p", "default", "jobs", "--json").stdout.strip() == json.dumps(doc, indent=2)
    assert len(ledger_rows(env)) == 1


def test_wait_without_any_background_call(o4, emulator):
    r = o4("wait")
    assert r.code == 2 and "no background call of profile 'default' in the ledger yet" in r.stderr
    assert emulator.log == []


def test_an_id_of_another_kind_is_refused_before_sending(o4, emulator):
    for args in (("wait", "batch_123"), ("cancel", "../files"), ("wait", "resp_1?stream=true")):
        r = o4(*args)
        assert r.code == 2 and "not a response id" in r.stderr, r.stderr
    assert emulator.log == []


def test_wait_on_a_call_o4_did_not_submit_here_adopts_and_prices_it(o4, emulator, env, tmp_path):
    rid = o4("ask", "--background", "elsewhere", extra_env={"O4_DATA_DIR": str(tmp_path / "other")}).stdout.strip()
    r = o4("wait", rid, *FAST)
    assert r.code == 0 and r.stdout == "Echo: elsewhere\n"
    (row,) = ledger_rows(env)
    assert row["command"] == "wait" and row["response_id"] == rid
    assert jobs(env)[0]["remote_id"] == rid and jobs(env)[0]["status"] == "completed"


def test_refused_before_sending(o4, emulator):
    cases = [
        (("ask", "--background", "--api", "chat", "x"), "--background needs the Responses API"),
        (("stream", "--resumable", "--api", "chat", "x"), "--resumable needs the Responses API"),
        (("ask", "--resumable", "x"), "--resumable goes with o4 stream"),
        (("ask", "--background", "--param", "store=false", "x"), "a background call needs store=true"),
        (("ask", "--param", "background=true", "x"), "use --background (or `o4 stream --resumable`) instead"),
        (("stream", "--background", "--resumable", "x"), "give --background or --resumable, not both"),
    ]
    for args, message in cases:
        r = o4(*args)
        assert r.code == 2 and message in r.stderr, (args, r.stderr)
    assert emulator.log == []


def test_background_dry_run_shows_the_body(o4, emulator):
    doc = json.loads(o4("stream", "--background", "x", "--dry-run", "--json").stdout)
    assert doc["request"]["background"] is True and doc["request"]["store"] is True
    assert doc["request"]["stream"] is True and emulator.log == []


def test_background_json_document(o4, emulator, env):
    doc = json.loads(o4("stream", "--background", "x", "--json").stdout)
    assert doc["stream"] is True and doc["status"] == "queued" and doc["wait"] == f"o4 wait {doc['id']}"
    assert jobs(env)[0]["state"]["stream"] is True and ledger_rows(env) == []


# ---------------------------------------------------------------- resumable streams


def test_a_resumable_stream_cut_twice_prints_the_whole_answer_exactly_once(o4, emulator, env):
    emulator.answer(text=LONG, chunk=4)
    emulator.fault(cut_after=7, times=2, path="/v1/responses")  # the POST's stream, then the first resume
    r = o4("stream", "--resumable", "tell me")
    assert r.code == 0, r.stderr
    assert r.stdout == LONG + "\n"  # every delta once, in order, then a final newline
    assert r.stderr.count("the stream was cut (RemoteProtocolError); resuming after event") == 2
    posts = requests_to(emulator, "/v1/responses")
    assert posts[0] == "POST /v1/responses" and len(posts) == 3
    assert all("?stream=true&starting_after=" in p for p in posts[1:])
    afters = [int(p.rsplit("=", 1)[1]) for p in posts[1:]]
    assert afters[0] < afters[1]  # each resume starts after the last event it had
    (body,) = emulator.bodies("/v1/responses")
    assert (body["background"], body["store"], body["stream"]) == (True, True, True)
    (row,) = ledger_rows(env)
    assert row["status"] == "ok" and row["estimated"] == 0 and row["command"] == "stream"  # the API's own usage
    assert jobs(env)[0]["status"] == "completed"
    assert o4("wait").stdout == LONG + "\n" and len(ledger_rows(env)) == 1  # settled by the stream, once


def test_the_profile_can_make_every_stream_resumable(o4, emulator, env):
    assert o4("config", "set", "resumable", "true").code == 0
    assert o4("config", "get", "resumable").stdout == "true\n"  # as the file spells it
    emulator.answer(text=LONG, cut_after=3)
    r = o4("stream", "x")
    assert r.code == 0 and r.stdout == LONG + "\n"
    assert emulator.bodies("/v1/responses")[0]["background"] is True
    plain = o4("stream", "--no-resumable", "y")
    assert plain.code == 0 and "background" not in emulator.bodies("/v1/responses")[1]
    assert o4("stream", "--api", "chat", "z").code == 0  # Chat Completions streams as usual
    bad = o4("config", "set", "resumable", "maybe")
    assert bad.code == 2 and "must be true or false" in bad.stderr


def test_a_resumable_stream_that_cannot_resume_leaves_the_call_running(o4, emulator, env):
    emulator.answer(text=LONG)
    emulator.fault(cut_after=2, path="/v1/responses")  # the POST's stream
    emulator.fault(status=503, path="/v1/responses/", times=100)  # and every reconnection fails
    o4("config", "set", "max_retries", "0")
    r = o4("stream", "--resumable", "x")  # max_retries 0: one fruitless reconnection, then give up
    assert r.code == 5, r.stderr
    assert LONG.startswith(r.stdout.removesuffix("\n")) and r.stdout
    rid = jobs(env)[0]["remote_id"]
    assert f"`o4 wait {rid}` gives its answer" in r.stderr and f"{rid} goes on running on the server" in r.stderr
    assert ledger_rows(env) == []  # not billed as cut: it goes on, o4 wait records it
    emulator.faults.clear()
    assert o4("wait", rid, *FAST).stdout == LONG + "\n" and len(ledger_rows(env)) == 1


def test_wait_stream_attaches_and_resumes(o4, emulator, env):
    emulator.answer(text=LONG, summary="Pondering.")
    emulator.clock.freeze()
    rid = o4("stream", "--background", "x").stdout.strip()
    emulator.fault(cut_after=5, path=f"/v1/responses/{rid}", times=2)  # the status GET, then the stream's
    r = o4("wait", rid, "--stream")
    assert r.code == 0, r.stderr
    assert r.stdout == LONG + "\n" and "resuming after event" in r.stderr and SUMMARY.search(r.stderr)
    gets = requests_to(emulator, f"/v1/responses/{rid}")
    assert gets[0] == f"GET /v1/responses/{rid}" and gets[1] == f"GET /v1/responses/{rid}?stream=true"
    (row,) = ledger_rows(env)
    assert row["command"] == "stream" and row["status"] == "ok"


def test_wait_stream_with_a_timeout_stops_mid_answer_and_leaves_the_call_running(o4, emulator, env):
    emulator.answer(text=LONG, delay=0.05)  # over 5 s of stream: it cannot end within the timeout
    emulator.clock.freeze()
    rid = o4("stream", "--background", "x").stdout.strip()
    r = o4("wait", rid, "--stream", "--timeout", "0.3")
    assert r.code == 124, r.stderr
    assert LONG.startswith(r.stdout) and len(r.stdout) < len(LONG)  # what arrived in time, if any
    assert f"{rid} has not finished within the timeout; it goes on running" in r.stderr
    assert ledger_rows(env) == [] and jobs(env)[0]["status"] == "queued"


def test_wait_stream_on_a_call_submitted_without_streaming_polls(o4, emulator):
    emulator.bg_timing = {"queued": 2.0, "in_progress": 2.0}
    emulator.clock.tick_on_read = 1.0
    rid = o4("ask", "--background", "x").stdout.strip()
    r = o4("wait", rid, "--stream", *FAST)
    assert r.code == 0 and r.stdout == "Echo: x\n"
    assert "submitted without streaming; waiting for the whole answer" in r.stderr
    assert not [p for p in requests_to(emulator, "/v1/responses/") if "stream=true" in p]


@in_process_only
def test_ctrl_c_mid_resumable_stream_leaves_it_running_when_not_interactive(o4, emulator, env):
    emulator.answer(text=LONG, delay=0.05)
    interrupt = ctrl_c_when(lambda: len(live_stdout()) > 20)
    r = o4("stream", "--resumable", "x")
    interrupt.join()
    assert r.code == 130, r.stderr
    assert r.stdout and LONG.startswith(r.stdout.removesuffix("\n"))
    rid = jobs(env)[0]["remote_id"]
    assert f"interrupted; {rid} goes on running on the server" in r.stderr and f"o4 wait {rid}" in r.stderr
    assert "Cancel it?" not in r.stderr and ledger_rows(env) == []  # asked only on a terminal
    assert not [p for p in requests_to(emulator, "/") if "cancel" in p]


@in_process_only
def test_ctrl_c_while_submitting_keeps_the_id(o4, emulator, env):
    emulator.fault(delay=1.5, path="/v1/responses")  # the create's answer is slow
    interrupt = ctrl_c_when(lambda: emulator.log)  # Ctrl-C once the request is out
    r = o4("ask", "--background", "x")
    interrupt.join()
    assert r.code == 130, r.stderr
    rid = r.stdout.strip()
    assert rid.startswith("resp_") and jobs(env)[0]["remote_id"] == rid  # o4 waited for the id, kept it
    assert "waiting for the call's id" in r.stderr and f"o4 wait {rid}" in r.stderr
