"""``batch.results``: indexing output and error files, giving lines back in submitted
order across retries, and reading answers and errors out of lines; ``batch.status``:
progress and watching a batch to its end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from o4cli.core.batch import status
from o4cli.core.batch.results import Outcome, answer_text, error_entry, one_line, ordered, scan
from o4cli.core.batch.status import progress, watch
from o4cli.core.cost import Usage


def usage(inp: int, out: int, cached: int = 0, reasoning: int = 0) -> dict:
    return {
        "input_tokens": inp,
        "input_tokens_details": {"cached_tokens": cached},
        "output_tokens": out,
        "output_tokens_details": {"reasoning_tokens": reasoning},
    }


def ok_line(cid: str, answer: str = "", u: dict | None = None, *, rid: str = "req") -> bytes:
    body = {
        "object": "response",
        "status": "completed",
        "output": [{"type": "message", "content": [{"type": "output_text", "text": answer or f"answer {cid}"}]}],
        "usage": u or usage(10, 5),
    }
    line = {
        "id": f"batch_req_{cid}",
        "custom_id": cid,
        "response": {"status_code": 200, "request_id": rid, "body": body},
        "error": None,
    }
    return (json.dumps(line) + "\n").encode()


def http_error_line(
    cid: str,
    status_code: int = 400,
    code: str | None = "invalid_value",
    message: str = "bad value",
    etype: str = "invalid_request_error",
) -> bytes:
    body = {"error": {"message": message, "type": etype, "param": None, "code": code}}
    line = {
        "id": f"batch_req_{cid}",
        "custom_id": cid,
        "response": {"status_code": status_code, "request_id": "r", "body": body},
        "error": None,
    }
    return (json.dumps(line) + "\n").encode()


def expired_line(cid: str) -> bytes:
    line = {
        "id": f"batch_req_{cid}",
        "custom_id": cid,
        "response": None,
        "error": {
            "code": "batch_expired",
            "message": "This request could not be executed before the completion window expired.",
        },
    }
    return (json.dumps(line) + "\n").encode()


def write(path: Path, *lines: bytes) -> Path:
    path.write_bytes(b"".join(lines))
    return path


def cids(lines) -> list[str]:
    return [json.loads(line)["custom_id"] for line in lines]


# ---------------------------------------------------------- scan + ordered


def test_results_come_back_in_submitted_order(tmp_path):
    a, b, c = ok_line("a"), ok_line("b"), ok_line("c")
    out = write(tmp_path / "out.jsonl", c, a, b)
    o = Outcome()
    scan(out, o, errors=False)
    assert list(ordered(["a", "b", "c"], o.ok)) == [a, b, c]
    assert list(ordered(["b", "c", "a"], o.ok)) == [b, c, a]


def test_unknown_order_is_the_order_found(tmp_path):
    out = write(tmp_path / "out.jsonl", ok_line("z"), ok_line("m"), ok_line("a"))
    o = Outcome()
    scan(out, o, errors=False)
    assert cids(ordered(None, o.ok)) == ["z", "m", "a"]


def test_ids_without_a_result_are_skipped(tmp_path):
    out = write(tmp_path / "out.jsonl", ok_line("a"), ok_line("c"))
    o = Outcome()
    scan(out, o, errors=False)
    assert cids(ordered(["a", "b", "c"], o.ok)) == ["a", "c"]


def test_successes_and_failures_are_told_apart(tmp_path):
    out = write(tmp_path / "out.jsonl", ok_line("a"), http_error_line("b", 500, "server_error"))
    err = write(tmp_path / "err.jsonl", http_error_line("c"), expired_line("d"), ok_line("e"))
    o = Outcome()
    scan(out, o, errors=False)
    scan(err, o, errors=True)
    assert sorted(o.ok) == ["a"]
    # a line of the error file is a failure even when its status looks fine
    assert sorted(o.failed) == ["b", "c", "d", "e"]
    assert o.usage == Usage(10, 0, 5, 0)


def test_lines_across_several_files_in_order(tmp_path):
    out = write(tmp_path / "out.jsonl", ok_line("b"), ok_line("d"))
    err = write(tmp_path / "err.jsonl", http_error_line("c"), http_error_line("a"))
    o = Outcome()
    scan(out, o, errors=False)
    scan(err, o, errors=True)
    order = ["a", "b", "c", "d"]
    assert cids(ordered(order, o.ok)) == ["b", "d"]
    assert cids(ordered(order, o.failed)) == ["a", "c"]


@pytest.mark.parametrize("retry_first", [False, True], ids=["retry-after", "retry-first"])
def test_an_answer_in_a_retry_replaces_its_failure(tmp_path, retry_first):
    first_out = write(tmp_path / "out1.jsonl", ok_line("a"))
    first_err = write(tmp_path / "err1.jsonl", http_error_line("b", 500, "server_error"))
    retry_line = ok_line("b", "second try")
    retry_out = write(tmp_path / "out2.jsonl", retry_line)
    o = Outcome()
    files = [(first_out, False), (first_err, True), (retry_out, False)]
    if retry_first:
        files = files[2:] + files[:2]
    for path, errors in files:
        scan(path, o, errors=errors)
    assert sorted(o.ok) == ["a", "b"]
    assert o.failed == {}
    assert list(ordered(["a", "b"], o.ok))[1] == retry_line
    assert answer_text(retry_line) == "second try"


def test_a_duplicate_success_is_counted_once(tmp_path):
    first = ok_line("a", "first", usage(100, 50, 20, 30))
    again = ok_line("a", "again", usage(100, 50, 20, 30))
    out = write(tmp_path / "out.jsonl", first, ok_line("b", u=usage(1, 1)), again)
    o = Outcome()
    scan(out, o, errors=False)
    assert o.usage == Usage(101, 20, 51, 30)
    assert list(ordered(["a"], o.ok)) == [first]  # the first answer is kept


def test_usage_adds_up_over_scans(tmp_path):
    o = Outcome()
    scan(write(tmp_path / "1.jsonl", ok_line("a", u=usage(1204, 812, 1024, 640))), o, errors=False)
    scan(write(tmp_path / "2.jsonl", ok_line("b", u=usage(6, 4))), o, errors=False)
    assert o.usage == Usage(1210, 1024, 816, 640)


def test_last_line_without_newline_still_ends_with_one(tmp_path):
    last = ok_line("b").rstrip(b"\n")
    out = write(tmp_path / "out.jsonl", ok_line("a"), last)
    o = Outcome()
    scan(out, o, errors=False)
    lines = list(ordered(["b", "a"], o.ok))
    assert lines[0] == last + b"\n"
    assert all(line.endswith(b"\n") and line.count(b"\n") == 1 for line in lines)


def test_blank_and_garbled_lines_are_skipped(tmp_path):
    a, b = ok_line("a"), ok_line("b")
    out = write(tmp_path / "out.jsonl", b"\n", a, b"{not json\n", b"   \n", b)
    o = Outcome()
    scan(out, o, errors=False)
    assert list(ordered(["a", "b"], o.ok)) == [a, b]


def test_crlf_lines_keep_their_bytes(tmp_path):
    a = ok_line("a").replace(b"\n", b"\r\n")
    out = write(tmp_path / "out.jsonl", a, ok_line("b"))
    o = Outcome()
    scan(out, o, errors=False)
    assert list(ordered(["a"], o.ok)) == [a]


# ---------------------------------------------------------------- answer_text


def chat_line(content) -> bytes:
    body = {
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
    }
    return json.dumps({"custom_id": "c", "response": {"status_code": 200, "body": body}, "error": None}).encode()


@pytest.mark.parametrize(
    ("line", "text"),
    [
        (ok_line("a", "Hello"), "Hello"),
        (
            json.dumps(
                {
                    "custom_id": "a",
                    "response": {
                        "status_code": 200,
                        "body": {
                            "output": [
                                {"type": "reasoning", "summary": []},
                                {
                                    "type": "message",
                                    "content": [
                                        {"type": "output_text", "text": "one "},
                                        {"type": "output_text", "text": "two"},
                                    ],
                                },
                            ]
                        },
                    },
                    "error": None,
                }
            ).encode(),
            "one two",
        ),
        (chat_line("Hi there"), "Hi there"),
        (chat_line(None), ""),
        (
            expired_line("x"),
            "ERROR batch_expired: This request could not be executed before the completion window expired.",
        ),
        (http_error_line("x", 400, "invalid_value", "bad value"), "ERROR 400 invalid_value: bad value"),
        (http_error_line("x", 429, None, "Rate limit", etype="requests"), "ERROR 429 requests: Rate limit"),
    ],
    ids=["responses", "responses-parts", "chat", "chat-empty", "error", "body-error", "body-error-type"],
)
def test_answer_text(line, text):
    assert answer_text(line) == text


# ---------------------------------------------------------------- error_entry


@pytest.mark.parametrize(
    ("line", "entry"),
    [
        (
            expired_line("x"),
            ("x", "batch_expired", "This request could not be executed before the completion window expired."),
        ),
        # `error` is null: the real error sits in response.body
        (http_error_line("y", 400, "invalid_value", "bad value"), ("y", "invalid_value", "bad value")),
        (http_error_line("y", 429, None, "Rate limit", etype="requests"), ("y", "requests", "Rate limit")),
        (
            json.dumps({"custom_id": "z", "response": {"status_code": 500, "body": {}}, "error": None}).encode(),
            ("z", "http_500", ""),
        ),
        (json.dumps({"response": None, "error": {"code": "x", "message": "m"}}).encode(), ("?", "x", "m")),
    ],
    ids=["error", "body-code", "body-type", "bare-status", "no-custom-id"],
)
def test_error_entry(line, entry):
    assert error_entry(line) == entry


# ------------------------------------------------------------------- one_line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("two\nlines", "two\\nlines"),
        ("a\tb", "a\\tb"),
        ("back\\slash", "back\\\\slash"),
        # an escaped-looking sequence stays distinguishable from a real newline
        ("literal \\n and real \n", "literal \\\\n and real \\n"),
        ("", ""),
    ],
)
def test_one_line(text, expected):
    got = one_line(text)
    assert got == expected
    assert "\n" not in got and "\t" not in got


def test_one_line_escapes_carriage_returns():
    got = one_line("line one\r\nline two")
    assert "\r" not in got
    assert len(got.splitlines()) == 1


# ------------------------------------------------------------------- progress


T0 = 1_700_000_000


@pytest.mark.parametrize(
    ("batch", "now", "expected"),
    [
        # 40 of 100 done in the 300 s since it started: 60 more take 450 s
        (
            {
                "status": "in_progress",
                "created_at": T0,
                "in_progress_at": T0 + 100,
                "request_counts": {"total": 100, "completed": 30, "failed": 10},
            },
            T0 + 400,
            ("in_progress", 100, 30, 10, 400, 450.0),
        ),
        # nothing done yet: no estimate
        (
            {
                "status": "in_progress",
                "created_at": T0,
                "in_progress_at": T0 + 100,
                "request_counts": {"total": 100, "completed": 0, "failed": 0},
            },
            T0 + 400,
            ("in_progress", 100, 0, 0, 400, None),
        ),
        (
            {"status": "validating", "created_at": T0, "request_counts": {"total": 0}},
            T0 + 12,
            ("validating", 0, 0, 0, 12, None),
        ),
        (
            {
                "status": "finalizing",
                "created_at": T0,
                "in_progress_at": T0 + 1,
                "request_counts": {"total": 10, "completed": 9, "failed": 1},
            },
            T0 + 50,
            ("finalizing", 10, 9, 1, 50, None),
        ),
        # ended: elapsed stops at the end, whatever the time now
        (
            {
                "status": "completed",
                "created_at": T0,
                "in_progress_at": T0 + 10,
                "completed_at": T0 + 3600,
                "request_counts": {"total": 10, "completed": 10, "failed": 0},
            },
            T0 + 99_999,
            ("completed", 10, 10, 0, 3600, None),
        ),
        ({"status": "failed", "created_at": T0, "failed_at": T0 + 5}, T0 + 99, ("failed", 0, 0, 0, 5, None)),
        (
            {"status": "expired", "created_at": T0, "expired_at": T0 + 86_400},
            T0 + 90_000,
            ("expired", 0, 0, 0, 86_400, None),
        ),
        ({"status": "cancelled", "created_at": T0, "cancelled_at": T0 + 60}, T0 + 70, ("cancelled", 0, 0, 0, 60, None)),
        ({}, T0, ("?", 0, 0, 0, None, None)),
    ],
    ids=[
        "in-progress",
        "none-done",
        "validating",
        "finalizing",
        "completed",
        "failed",
        "expired",
        "cancelled",
        "empty",
    ],
)
def test_progress(batch, now, expected):
    p = progress(batch, now=now)
    assert (p.status, p.total, p.completed, p.failed, p.elapsed) == expected[:5]
    assert p.remaining == (None if expected[5] is None else pytest.approx(expected[5]))
    assert p.done == p.completed + p.failed


# ---------------------------------------------------------------------- watch


class FakeApi:
    """Answers ``GET batches/ID`` from a script of statuses; records every call."""

    def __init__(self, *statuses: str) -> None:
        self.statuses = list(statuses)
        self.calls: list[tuple[str, str]] = []

    def request_json(self, method: str, path: str, **_kwargs):
        self.calls.append((method, path))
        return {"id": "batch_1", "status": self.statuses.pop(0), "poll": len(self.calls)}


def test_watch_backs_off_to_the_cap_and_stops_when_done():
    api = FakeApi(*["in_progress"] * 7, "completed", "never-asked")
    waits: list[float] = []
    seen: list[dict] = []
    final = watch(api, "batch_1", interval=5, on_update=seen.append, sleep=waits.append)
    assert waits == [5, 10, 20, 40, 60, 60, 60]
    assert final["status"] == "completed"
    assert final["poll"] == 8
    assert [b["poll"] for b in seen] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert api.calls == [("GET", "batches/batch_1")] * 8


@pytest.mark.parametrize("final_state", ["completed", "failed", "expired", "cancelled"])
def test_watch_stops_at_every_final_state(final_state):
    api = FakeApi("validating", "cancelling", "finalizing", final_state)
    waits: list[float] = []
    seen: list[str] = []
    final = watch(api, "batch_1", interval=2, on_update=lambda b: seen.append(b["status"]), sleep=waits.append)
    assert final["status"] == final_state
    assert seen == ["validating", "cancelling", "finalizing", final_state]
    assert waits == [2, 4, 8]


def test_watch_a_finished_batch_never_sleeps():
    waits: list[float] = []
    assert watch(FakeApi("completed"), "batch_1", interval=2, on_update=lambda b: None, sleep=waits.append)["poll"] == 1
    assert waits == []


def test_watch_with_a_custom_cap(monkeypatch):
    # watch() asks remote.get_batch; patching it is the other way to script the polls
    script = iter(["in_progress"] * 4 + ["completed"])
    monkeypatch.setattr(status.remote, "get_batch", lambda api, bid: {"id": bid, "status": next(script)})
    waits: list[float] = []
    watch(object(), "batch_9", interval=1, on_update=lambda b: None, max_interval=3, sleep=waits.append)
    assert waits == [1, 2, 3, 3]
