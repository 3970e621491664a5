"""`o4 batch ...` end to end against the emulator's Files and Batch APIs.

The progress bar in a real terminal: tests/e2e/test_terminal.py."""

import json
import os
from pathlib import Path

import pytest

from tests.cli.helpers import ledger_rows
from tests.emulator_batch import DEFAULT_LINE_ERROR

FAST = {"validating": 0.05, "in_progress": 0.2, "finalizing": 0.05}


@pytest.fixture
def emu(emulator):
    emulator.batch_timing = dict(FAST)
    return emulator


def prompts(tmp_path: Path, n: int, name: str = "prompts.txt") -> Path:
    p = tmp_path / name
    p.write_text("".join(f"question {i}\n" for i in range(1, n + 1)))
    return p


def posts(emu, path):
    return [r for r in emu.log if r.method == "POST" and r.path.split("?")[0] == path]


def uploaded_ids(emu) -> list[list[str]]:
    out = []
    for f in emu.files.values():
        if f["purpose"] == "batch":
            out.append([json.loads(line)["custom_id"] for line in emu.file_data[f["id"]].decode().splitlines()])
    return out


def submit_and_wait(o4, path, *extra):
    r = o4("batch", "submit", str(path), *extra)
    assert r.code == 0, r.stderr
    ids = r.stdout.split()
    for bid in ids:
        w = o4("batch", "status", bid, "--watch", "--interval", "0.05", "-q")
        assert w.code in (0, 1), w.stderr
    return ids


def test_prompts_to_ordered_results(o4, emu, env, tmp_path):
    p = prompts(tmp_path, 12)
    r = o4("batch", "submit", str(p), "-e", "low", "--metadata", "team=search")
    assert r.code == 0, r.stderr
    (bid,) = r.stdout.split()
    assert bid.startswith("batch_") and "12 requests in 1 shard" in r.stderr
    (create,) = [json.loads(x.body) for x in posts(emu, "/v1/batches")]
    assert create["endpoint"] == "/v1/responses" and create["completion_window"] == "24h"
    assert create["metadata"]["team"] == "search" and create["metadata"]["o4_shard"] == "1/1"
    assert uploaded_ids(emu) == [[f"line-{i}" for i in range(1, 13)]]
    first = json.loads(emu.file_data[create["input_file_id"]].decode().splitlines()[0])
    assert first["body"] == {"model": "o4-mini", "input": "question 1", "reasoning": {"effort": "low"}}

    w = o4("batch", "status", "--watch", "--interval", "0.05")  # no id: the newest in the ledger
    assert w.code == 0, w.stderr
    assert "status: completed" in w.stdout and "requests: 12/12 done, 0 failed" in w.stdout

    res = o4("batch", "results", bid)
    assert res.code == 0, res.stderr
    got = [json.loads(line)["custom_id"] for line in res.stdout.splitlines()]
    assert got == [f"line-{i}" for i in range(1, 13)]  # submitted order, though the API shuffles
    assert "12 succeeded, 0 failed" in res.stderr and "batch" in res.stderr

    text = o4("batch", "results", bid, "--text")
    assert text.stdout.splitlines()[0] == "line-1\tEcho: question 1"

    rows = [r for r in ledger_rows(env) if r["command"] == "batch"]
    assert len(rows) == 1 and rows[0]["pricing"] == "batch" and rows[0]["response_id"] == bid
    assert rows[0]["input_tokens"] > 0 and float(rows[0]["cost_usd"]) > 0


def test_results_to_a_file_atomically(o4, emu, tmp_path):
    (bid,) = submit_and_wait(o4, prompts(tmp_path, 3))
    out = tmp_path / "out.jsonl"
    out.write_text("GOOD\n")
    o4("config", "set", "max_retries", "0")
    emu.fault(status=500, method="GET", path="/v1/files/")
    r = o4("batch", "results", bid, "-o", str(out))
    assert r.code == 5 and out.read_text() == "GOOD\n"  # a failed download never replaces a good file
    assert [p for p in os.listdir(tmp_path) if p.startswith(".out")] == []
    r = o4("batch", "results", bid, "-o", str(out), "--json")
    assert r.code == 0, r.stderr
    assert len(out.read_text().splitlines()) == 3
    summary = json.loads(r.stdout)
    assert summary["succeeded"] == 3 and summary["failed"] == 0 and summary["pricing"] == "batch"


def test_bad_lines_are_all_reported_and_nothing_is_uploaded(o4, emu, tmp_path):
    p = tmp_path / "in.jsonl"
    good = {"custom_id": "a", "method": "POST", "url": "/v1/responses", "body": {"model": "o4-mini", "input": "x"}}
    p.write_text("\n".join([json.dumps(good), "{oops", json.dumps({**good, "custom_id": "b", "body": {**good["body"], "temperature": 0}})]) + "\n")
    r = o4("batch", "submit", str(p))
    assert r.code == 2
    assert f"{p}:2: not JSON" in r.stderr and f"{p}:3: body.temperature" in r.stderr
    assert "2 bad lines" in r.stderr and "nothing was uploaded" in r.stderr
    assert emu.log == []


def test_dry_run_prints_the_plan_and_sends_nothing(o4, emu, tmp_path):
    p = prompts(tmp_path, 5)
    r = o4("batch", "submit", str(p), "--dry-run", "--max-output", "1000", "--json", extra_env={"OPENAI_API_KEY": None})
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["dry_run"] is True and doc["batches"] == [] and doc["results"] is None
    plan = doc["plan"]
    assert plan["requests"] == 5 and plan["worst_case_output_tokens"] == 5000 and plan["pricing"] == "batch"
    assert [s["requests"] for s in plan["shards"]] == [5]
    assert emu.log == []
    r = o4("batch", "submit", str(p), "--dry-run")
    assert "worst case (every output budget used)" in r.stdout and emu.log == []


def test_max_cost_refuses_exit_6(o4, emu, tmp_path):
    r = o4("batch", "submit", str(prompts(tmp_path, 5)), "--max-cost", "0.01")
    assert r.code == 6 and "worst case is $" in r.stderr and emu.log == []
    r = o4("batch", "submit", str(prompts(tmp_path, 5)), "--max-output", "100", "--max-cost", "0.01")
    assert r.code == 0, r.stderr


def test_stdin_input(o4, emu):
    r = o4("batch", "submit", "-", input="one\ntwo\n")
    assert r.code == 0, r.stderr
    assert uploaded_ids(emu) == [["line-1", "line-2"]]


def test_sharding_at_the_limits(o4, emu, env, tmp_path):
    r = o4("batch", "submit", str(prompts(tmp_path, 5)), "--max-requests", "2")
    assert r.code == 0, r.stderr
    ids = r.stdout.split()
    assert len(ids) == 3
    assert uploaded_ids(emu) == [["line-1", "line-2"], ["line-3", "line-4"], ["line-5"]]
    shards = sorted(json.loads(x.body)["metadata"]["o4_shard"] for x in posts(emu, "/v1/batches"))
    assert shards == ["1/3", "2/3", "3/3"]
    listing = json.loads(o4("batch", "list", "--json").stdout)
    assert {row["shard"] for row in listing} == {"1/3", "2/3", "3/3"}
    assert all(row["label"] == "prompts.txt" and row["estimated_cost_usd"] for row in listing)


def test_resubmitting_the_same_input_does_not_submit_twice(o4, emu, tmp_path):
    p = prompts(tmp_path, 3)
    first = o4("batch", "submit", str(p)).stdout
    again = o4("batch", "submit", str(p))
    assert again.code == 0 and again.stdout == first and "submitted before" in again.stderr
    assert len(posts(emu, "/v1/files")) == 1 and len(posts(emu, "/v1/batches")) == 1
    forced = o4("batch", "submit", str(p), "--force")
    assert forced.code == 0 and forced.stdout != first and len(posts(emu, "/v1/batches")) == 2


def test_interrupted_after_upload_resumes_without_a_second_upload(o4, emu, tmp_path):
    p = prompts(tmp_path, 3)
    emu.fault(status=503, method="POST", path="/v1/batches")
    r = o4("batch", "submit", str(p))
    assert r.code == 5 and "run the same command again to resume" in r.stderr
    assert len(posts(emu, "/v1/files")) == 1 and len(emu.batches) == 0
    r = o4("batch", "submit", str(p))
    assert r.code == 0, r.stderr
    assert len(posts(emu, "/v1/files")) == 1 and len(emu.batches) == 1


def test_lost_answer_to_create_is_found_not_repeated(o4, emu, tmp_path):
    """The batch was created, but the answer never arrived (timeout): no second batch."""
    p = prompts(tmp_path, 3)
    o4("config", "set", "timeout", "0.5")
    emu.fault(delay=1.2, method="POST", path="/v1/batches")
    r = o4("batch", "submit", str(p))
    assert r.code == 5, r.stderr
    emu.wait_idle()  # the emulator finishes creating it after the client gave up
    assert len(emu.batches) == 1
    r = o4("batch", "submit", str(p))
    assert r.code == 0, r.stderr
    assert "found the earlier batch" in r.stderr
    assert len(emu.batches) == 1 and r.stdout.strip() == next(iter(emu.batches))


def test_lost_answer_to_upload_is_found_not_repeated(o4, emu, tmp_path):
    p = prompts(tmp_path, 3)
    o4("config", "set", "timeout", "0.5")
    emu.fault(delay=1.2, method="POST", path="/v1/files")
    r = o4("batch", "submit", str(p))
    assert r.code == 5
    emu.wait_idle()  # the upload is stored after the client gave up
    assert len([f for f in emu.files.values() if f["purpose"] == "batch"]) == 1
    r = o4("batch", "submit", str(p))
    assert r.code == 0, r.stderr
    assert "found the earlier upload" in r.stderr
    assert len([f for f in emu.files.values() if f["purpose"] == "batch"]) == 1 and len(emu.batches) == 1


def test_failed_lines_carry_the_real_error_and_retry_fixes_them(o4, emu, tmp_path):
    emu.batch_outcome(fail_custom_ids={"line-2", "line-4"})
    (bid,) = submit_and_wait(o4, prompts(tmp_path, 5))
    errs = tmp_path / "errors.jsonl"
    r = o4("batch", "results", bid, "--errors", str(errs))
    assert r.code == 1
    assert [json.loads(line)["custom_id"] for line in r.stdout.splitlines()] == ["line-1", "line-3", "line-5"]
    assert [json.loads(line)["custom_id"] for line in errs.read_text().splitlines()] == ["line-2", "line-4"]
    for cid in ("line-2", "line-4"):  # each failed line with the API's own error
        assert f"o4: {cid}: {DEFAULT_LINE_ERROR['code']}: {DEFAULT_LINE_ERROR['message']}\n" in r.stderr
    assert "2 of 5 requests have no answer" in r.stderr and f"o4 batch retry {bid}" in r.stderr

    rr = o4("batch", "retry", bid)
    assert rr.code == 0, rr.stderr
    (retry_id,) = rr.stdout.split()
    assert uploaded_ids(emu)[-1] == ["line-2", "line-4"]
    o4("batch", "status", retry_id, "--watch", "--interval", "0.05")
    merged = o4("batch", "results", bid)
    assert merged.code == 0, merged.stderr
    assert [json.loads(line)["custom_id"] for line in merged.stdout.splitlines()] == [f"line-{i}" for i in range(1, 6)]


def test_expired_batch_gives_the_part_that_finished_and_retry_sends_the_rest(o4, emu, tmp_path):
    emu.batch_outcome(expire_after=2)
    p = prompts(tmp_path, 4)
    (bid,) = o4("batch", "submit", str(p)).stdout.split()
    w = o4("batch", "status", bid, "--watch", "--interval", "0.05")
    assert w.code == 1 and "ended expired" in w.stderr
    r = o4("batch", "results", bid)
    assert r.code == 1 and len(r.stdout.splitlines()) == 2 and "batch_expired" in r.stderr
    rr = o4("batch", "retry", bid)
    assert rr.code == 0
    assert uploaded_ids(emu)[-1] == ["line-3", "line-4"]


def test_completed_without_output_file_is_a_failure(o4, emu, tmp_path):
    emu.batch_outcome(no_output_file=True)
    (bid,) = submit_and_wait(o4, prompts(tmp_path, 2))
    errs = tmp_path / "e.jsonl"
    r = o4("batch", "results", bid, "--errors", str(errs))
    assert r.code == 1 and "every request failed (no output file)" in r.stderr
    assert len(errs.read_text().splitlines()) == 2


def test_token_limit_exceeded_is_reported_with_what_to_do(o4, emu, tmp_path):
    emu.batch_outcome(token_limit=True)
    (bid,) = o4("batch", "submit", str(prompts(tmp_path, 2))).stdout.split()
    w = o4("batch", "status", bid, "--watch", "--interval", "0.05")
    assert w.code == 1 and "token_limit_exceeded" in w.stderr
    r = o4("batch", "results", bid)
    assert r.code == 1 and "token_limit_exceeded" in r.stderr and "retry" in r.stderr


def test_results_before_the_end(o4, emu, tmp_path):
    emu.clock.freeze()  # the batch stays where it starts, however long the commands take
    (bid,) = o4("batch", "submit", str(prompts(tmp_path, 2))).stdout.split()
    r = o4("batch", "results", bid)
    assert r.code == 1 and "results come when it ends" in r.stderr
    s = o4("batch", "status", bid, "--json")
    assert json.loads(s.stdout)["status"] == "validating"


def test_cancel(o4, emu, tmp_path):
    emu.clock.freeze()  # still validating when the cancel comes, however slow the machine
    (bid,) = o4("batch", "submit", str(prompts(tmp_path, 4))).stdout.split()
    r = o4("batch", "cancel", bid)
    assert r.code == 0 and r.stdout.strip() == f"{bid} cancelling"
    emu.clock.tick_on_read = 1.0  # then each poll moves time on: cancelled after one
    w = o4("batch", "status", bid, "--watch", "--interval", "0.05")
    assert w.code == 1 and "cancelled" in w.stderr


def test_submit_wait_writes_results(o4, emu, tmp_path):
    out = tmp_path / "o.jsonl"
    r = o4("batch", "submit", str(prompts(tmp_path, 4)), "--wait", "--interval", "0.05", "-o", str(out), "--max-requests", "3")
    assert r.code == 0, r.stderr
    assert [json.loads(line)["custom_id"] for line in out.read_text().splitlines()] == ["line-1", "line-2", "line-3", "line-4"]


def test_bad_options(o4, emu, tmp_path):
    p = prompts(tmp_path, 1)
    assert o4("batch", "submit", str(p), "--window", "48h").code == 2
    assert o4("batch", "submit", str(p), "--metadata", "nokey").code == 2
    assert o4("batch", "submit", "missing.txt").code == 2
    assert o4("batch", "retry", "batch_unknown").code == 2
    assert o4("batch", "status").code == 2  # empty ledger, no id
    r = o4("batch", "submit", str(p), "--dry-run", "-s", "caf\udce9")  # a Latin-1 byte in a UTF-8 terminal
    assert r.code == 2 and "-s/--system: not valid UTF-8 text" in r.stderr
    assert emu.log == []


def test_status_piped_has_no_progress_bar(o4, emu, tmp_path):
    """Piped, `batch status` is key: value lines (the bar, in a terminal: tests/e2e)."""
    (bid,) = submit_and_wait(o4, prompts(tmp_path, 3))
    piped = o4("batch", "status", bid)
    assert piped.code == 0, piped.stderr
    assert "█" not in piped.output and "\x1b[" not in piped.output
    assert "status: completed" in piped.stdout and "requests: 3/3 done, 0 failed" in piped.stdout


def test_incomplete_lines_without_text_are_failed_flagged_billed_and_retried(o4, emu, tmp_path):
    """The empty-answer trap: a 200 `incomplete` line with no text is paid for but is not an answer."""
    emu.batch_outcome(incomplete_custom_ids={"line-2", "line-3"})
    (bid,) = submit_and_wait(o4, prompts(tmp_path, 4))
    r = o4("batch", "results", bid, "--text")
    assert r.code == 1
    assert r.stdout.splitlines()[0] == "line-1\tEcho: question 1"
    assert r.stdout.splitlines()[1] == "line-2\t[no answer: incomplete (max_output_tokens) with no answer text]"
    assert len(r.stdout.splitlines()) == 4
    assert "2 succeeded, 2 failed (2 incomplete with no answer text)" in r.stderr
    assert "2 of 4 requests have no answer" in r.stderr
    j = o4("batch", "results", bid, "-o", str(tmp_path / "out.jsonl"), "--json")
    doc = json.loads(j.stdout)
    assert (doc["succeeded"], doc["failed"], doc["unanswered"]) == (2, 2, 2)
    assert doc["usage"]["reasoning_tokens"] == 4 * 64  # the unanswered lines' reasoning was billed too
    assert [json.loads(x)["custom_id"] for x in (tmp_path / "out.jsonl").read_text().splitlines()] == ["line-1", "line-4"]
    rr = o4("batch", "retry", bid)
    assert rr.code == 0, rr.stderr
    assert uploaded_ids(emu)[-1] == ["line-2", "line-3"]
