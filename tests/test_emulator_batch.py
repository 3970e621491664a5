"""The emulator's Files and Batch APIs (tests/emulator_batch.py), driven with httpx.

o4 has no batch commands yet, so these talk to the emulator directly. Every request
sent here is checked against OpenAI's spec by the ``emulator`` fixture.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from tests import emulator_batch, fake_llm
from tests.contract import load_contract
from tests.emulator import TEST_KEY

AUTH = {"Authorization": f"Bearer {TEST_KEY}"}
FAST = {"validating": 0.05, "in_progress": 0.1, "finalizing": 0.05}


@pytest.fixture
def emu(emulator):
    """The emulator with the batch routes (idempotent install, which also clears the
    batch state: works before and after emulator.py calls install itself).

    Its clock is the test's: frozen, and 10 ms on at each GET of a batch. A batch then
    goes through its phases with the polls, not with the wall clock, so no phase can be
    missed on a busy machine (and no poll needs to sleep)."""
    emulator_batch.install(emulator)
    emulator.clock.tick_on_read = 0.01  # (frozen from now)
    return emulator


@pytest.fixture
def api(emu):
    with httpx.Client(base_url=emu.url, headers=AUTH, timeout=30) as client:
        yield client


def jsonl(rows: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in rows)


def responses_rows(n: int, model: str = "o4-mini") -> list[dict[str, Any]]:
    return [
        {
            "custom_id": f"row-{i}",
            "method": "POST",
            "url": "/v1/responses",
            "body": {"model": model, "input": f"question {i}"},
        }
        for i in range(1, n + 1)
    ]


def upload(
    api: httpx.Client, data: bytes, filename: str = "input.jsonl", purpose: str = "batch"
) -> httpx.Response:
    return api.post(
        "/files", data={"purpose": purpose}, files={"file": (filename, data, "application/octet-stream")}
    )


def create(
    api: httpx.Client, rows: list[dict[str, Any]] | bytes, endpoint: str = "/v1/responses", **extra: Any
) -> dict[str, Any]:
    data = rows if isinstance(rows, bytes) else jsonl(rows)
    f = upload(api, data).json()
    r = api.post(
        "/batches", json={"input_file_id": f["id"], "endpoint": endpoint, "completion_window": "24h", **extra}
    )
    assert r.status_code == 200, r.text
    return r.json()


def wait(api: httpx.Client, batch_id: str, timeout: float = 10) -> tuple[dict[str, Any], list[str]]:
    """Poll until the batch is final; returns it and the statuses seen, in order."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while True:
        b = api.get(f"/batches/{batch_id}").json()
        if not seen or seen[-1] != b["status"]:
            seen.append(b["status"])
        if b["status"] in ("completed", "failed", "expired", "cancelled"):
            return b, seen
        assert time.monotonic() < deadline, f"batch still {b['status']}"


def lines(api: httpx.Client, file_id: str | None) -> list[dict[str, Any]]:
    if file_id is None:
        return []
    r = api.get(f"/files/{file_id}/content")
    assert r.status_code == 200
    return [json.loads(x) for x in r.content.splitlines() if x]


# ------------------------------------------------------------------ files


def test_upload_list_get_content_delete_round_trip(api):
    data = jsonl(responses_rows(3))
    r = upload(api, data, "qs.jsonl")
    assert r.status_code == 200
    f = r.json()
    assert f["id"].startswith("file-") and f["object"] == "file"
    assert (f["bytes"], f["filename"], f["purpose"], f["status"], f["expires_at"]) == (
        len(data),
        "qs.jsonl",
        "batch",
        "processed",
        None,
    )
    other = upload(api, b"notes", "notes.txt", "user_data").json()

    listed = api.get("/files").json()
    assert listed["object"] == "list" and [x["id"] for x in listed["data"]] == [
        other["id"],
        f["id"],
    ]  # newest first
    assert (listed["first_id"], listed["last_id"], listed["has_more"]) == (other["id"], f["id"], False)
    only = api.get("/files", params={"purpose": "batch"}).json()
    assert [x["id"] for x in only["data"]] == [f["id"]]
    page = api.get("/files", params={"order": "asc", "limit": 1}).json()
    assert [x["id"] for x in page["data"]] == [f["id"]] and page["has_more"] is True
    rest = api.get("/files", params={"order": "asc", "after": page["last_id"]}).json()
    assert [x["id"] for x in rest["data"]] == [other["id"]] and rest["has_more"] is False

    assert api.get(f"/files/{f['id']}").json() == f
    content = api.get(f"/files/{f['id']}/content")
    assert content.content == data and content.headers["content-type"] == "application/octet-stream"

    assert api.delete(f"/files/{f['id']}").json() == {"id": f["id"], "object": "file", "deleted": True}
    for r in (
        api.get(f"/files/{f['id']}"),
        api.get(f"/files/{f['id']}/content"),
        api.delete(f"/files/{f['id']}"),
    ):
        assert r.status_code == 404
        assert r.json()["error"] == {
            "message": f"No such File object: {f['id']}",
            "type": "invalid_request_error",
            "param": "id",
            "code": None,
        }


def test_a_batch_file_must_be_jsonl(api):
    r = upload(api, b'{"a": 1}\n', "input.json")
    assert r.status_code == 400 and ".jsonl" in r.json()["error"]["message"]


def test_an_unknown_purpose_is_rejected(api, emu):
    r = upload(api, b"x", "a.jsonl", purpose="batch_output")
    assert r.status_code == 400 and r.json()["error"]["param"] == "purpose"
    # The spec rejects that request too; take it out of the log the fixture checks.
    (req,) = [x for x in emu.log if x.path == "/v1/files"]
    assert any("purpose" in p for p in load_contract().errors(req))
    emu.log.remove(req)


def test_put_file_helper_stores_without_http(api, emu):
    f = emu.put_file(b"hello\n", "h.jsonl")
    assert api.get(f"/files/{f['id']}/content").content == b"hello\n"


# ------------------------------------------------------------------ batches


def test_a_batch_runs_validating_in_progress_finalizing_completed(api, emu):
    emu.batch_timing.update(validating=0.3, in_progress=0.5, finalizing=0.3)
    rows = responses_rows(30)
    b = create(api, rows, metadata={"job": "nightly"})
    assert b["id"].startswith("batch_") and b["object"] == "batch" and b["status"] == "validating"
    assert (b["endpoint"], b["model"], b["completion_window"], b["metadata"]) == (
        "/v1/responses",
        "o4-mini",
        "24h",
        {"job": "nightly"},
    )
    assert b["expires_at"] == b["created_at"] + 86400 and b["in_progress_at"] is None and b["errors"] is None

    counts: list[int] = []
    seen: list[str] = []
    while True:
        cur = api.get(f"/batches/{b['id']}").json()
        if not seen or seen[-1] != cur["status"]:
            seen.append(cur["status"])
        if cur["status"] == "in_progress":
            counts.append(cur["request_counts"]["completed"])
        if cur["status"] == "completed":
            break
    assert seen == ["validating", "in_progress", "finalizing", "completed"]
    assert counts == sorted(counts) and any(0 < c < 30 for c in counts)  # grows with time
    assert cur["request_counts"] == {"total": 30, "completed": 30, "failed": 0}
    assert (
        cur["in_progress_at"] <= cur["finalizing_at"] <= cur["completed_at"] and cur["error_file_id"] is None
    )

    out_file = api.get(f"/files/{cur['output_file_id']}").json()
    assert (out_file["purpose"], out_file["filename"]) == ("batch_output", f"{b['id']}_output.jsonl")
    out = lines(api, cur["output_file_id"])
    assert {x["custom_id"] for x in out} == {r["custom_id"] for r in rows}
    assert [x["custom_id"] for x in out] != [r["custom_id"] for r in rows]  # shuffled (1/30! to collide)
    assert len({x["id"] for x in out}) == 30 and len({x["response"]["body"]["id"] for x in out}) == 30
    for x in out:
        assert x["id"].startswith("batch_req_") and x["error"] is None
        assert x["response"]["status_code"] == 200 and x["response"]["request_id"].startswith("req_")
        body = x["response"]["body"]
        assert (
            body["object"] == "response"
            and body["output"][-1]["content"][0]["text"] == "Echo: question " + x["custom_id"][4:]
        )

    total = {
        k: sum(x["response"]["body"]["usage"][k] for x in out)
        for k in ("input_tokens", "output_tokens", "total_tokens")
    }
    reasoning = sum(x["response"]["body"]["usage"]["output_tokens_details"]["reasoning_tokens"] for x in out)
    assert cur["usage"] == {
        "input_tokens": total["input_tokens"],
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": total["output_tokens"],
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": total["total_tokens"],
    }


def test_output_bodies_are_what_the_online_endpoints_return(api, emu):
    emu.batch_timing.update(validating=0, in_progress=0, finalizing=0)
    resp_rows = responses_rows(2)
    resp_rows[1]["body"].update(reasoning={"effort": "high"}, max_output_tokens=500, store=False)
    for endpoint, rows, build in (
        (
            "/v1/responses",
            resp_rows,
            lambda rid, body, text: fake_llm.response_object(rid, fake_llm.Script(), body, text),
        ),
        (
            "/v1/chat/completions",
            [
                {
                    "custom_id": "c1",
                    "method": "POST",
                    "url": "/v1/chat/completions",
                    "body": {
                        "model": "o4-mini",
                        "messages": [{"role": "user", "content": "hi"}],
                        "service_tier": "flex",
                    },
                }
            ],
            lambda cid, body, text: fake_llm.chat_object(cid, fake_llm.Script(), body, text),
        ),
    ):
        b, _ = wait(api, create(api, rows, endpoint=endpoint)["id"])
        by_id = {x["custom_id"]: x["response"]["body"] for x in lines(api, b["output_file_id"])}
        for row in rows:
            got = by_id[row["custom_id"]]
            chat = endpoint == "/v1/chat/completions"
            want = build(got["id"], row["body"], fake_llm.answer_text(fake_llm.Script(), row["body"], chat))
            for stamp in ("created_at", "created"):
                if stamp in want:
                    want[stamp] = got[stamp]
            assert got == want


def test_fail_custom_ids_go_to_the_error_file(api, emu):
    emu.batch_timing.update(FAST)
    emu.batch_outcome(fail_custom_ids={"row-2", "row-5"})
    b, _ = wait(api, create(api, responses_rows(6))["id"])
    assert b["status"] == "completed"
    assert b["request_counts"] == {"total": 6, "completed": 4, "failed": 2}
    assert {x["custom_id"] for x in lines(api, b["output_file_id"])} == {"row-1", "row-3", "row-4", "row-6"}
    errs = lines(api, b["error_file_id"])
    assert api.get(f"/files/{b['error_file_id']}").json()["filename"] == f"{b['id']}_error.jsonl"
    assert {x["custom_id"] for x in errs} == {"row-2", "row-5"}
    for x in errs:
        assert x["error"] is None and x["id"].startswith("batch_req_")
        assert x["response"]["status_code"] == 400 and x["response"]["request_id"].startswith("req_")
        assert set(x["response"]["body"]["error"]) == {"message", "type", "param", "code"}
    out_tokens = sum(x["response"]["body"]["usage"]["total_tokens"] for x in lines(api, b["output_file_id"]))
    assert b["usage"]["total_tokens"] == out_tokens


def test_expire_after_completes_the_first_lines_and_expires_the_rest(api, emu):
    emu.batch_timing.update(FAST)
    emu.batch_outcome(expire_after=3)
    b, seen = wait(api, create(api, responses_rows(5))["id"])
    assert b["status"] == "expired" and b["expired_at"] is not None and b["completed_at"] is None
    assert b["request_counts"] == {"total": 5, "completed": 3, "failed": 2}
    assert {x["custom_id"] for x in lines(api, b["output_file_id"])} == {"row-1", "row-2", "row-3"}
    errs = lines(api, b["error_file_id"])
    assert {x["custom_id"] for x in errs} == {"row-4", "row-5"}
    for x in errs:
        assert x["response"] is None
        assert x["error"] == {
            "code": "batch_expired",
            "message": "This request could not be executed before the completion window expired.",
        }


def test_no_output_file_when_every_line_fails(api, emu):
    emu.batch_timing.update(FAST)
    emu.batch_outcome(no_output_file=True)
    b, _ = wait(api, create(api, responses_rows(4))["id"])
    assert b["status"] == "completed" and b["output_file_id"] is None and b["error_file_id"]
    assert b["request_counts"] == {"total": 4, "completed": 0, "failed": 4}
    assert len(lines(api, b["error_file_id"])) == 4
    assert b["usage"]["total_tokens"] == 0


def test_token_limit_fails_the_batch_after_validating(api, emu):
    emu.batch_timing.update(FAST)
    emu.batch_outcome(token_limit=True)
    b, seen = wait(api, create(api, responses_rows(3))["id"])
    assert seen == ["validating", "failed"] and b["failed_at"] is not None
    assert b["errors"] == {
        "object": "list",
        "data": [
            {
                "code": "token_limit_exceeded",
                "message": "Enqueued token limit reached for o4-mini in organization org-test. "
                "Limit: 1,000,000 enqueued tokens. "
                "Please try again once some in_progress batches have been completed.",
                "param": None,
                "line": None,
            }
        ],
    }
    assert b["output_file_id"] is None and b["error_file_id"] is None and b["in_progress_at"] is None


def test_outcomes_are_consumed_in_order(api, emu):
    emu.batch_timing.update(validating=0, in_progress=0, finalizing=0)
    emu.batch_outcome(token_limit=True)
    first, second = create(api, responses_rows(1)), create(api, responses_rows(1))
    assert wait(api, first["id"])[0]["status"] == "failed"
    assert wait(api, second["id"])[0]["status"] == "completed"


def test_a_duplicate_custom_id_fails_validation_naming_the_line(api, emu):
    emu.batch_timing.update(FAST)
    rows = responses_rows(4)
    rows[2]["custom_id"] = "row-1"
    b, seen = wait(api, create(api, rows)["id"])
    assert seen == ["validating", "failed"] and b["request_counts"]["total"] == 0
    (err,) = b["errors"]["data"]
    assert (err["code"], err["line"], err["param"]) == ("duplicate_custom_id", 3, None) and "row-1" in err[
        "message"
    ]


@pytest.mark.parametrize(
    "mutate, code, line",
    [
        (lambda rows: rows.__setitem__(1, {**rows[1], "url": "/v1/chat/completions"}), "url_mismatch", 2),
        (lambda rows: rows[2]["body"].__setitem__("model", "o3"), "model_mismatch", 3),
        (lambda rows: rows[0].__setitem__("method", "GET"), "invalid_json_line", 1),
        (lambda rows: rows[1].pop("custom_id"), "invalid_json_line", 2),
    ],
)
def test_validation_errors(api, emu, mutate, code, line):
    emu.batch_timing.update(validating=0, in_progress=0, finalizing=0)
    rows = responses_rows(3)
    mutate(rows)
    b, _ = wait(api, create(api, rows)["id"])
    assert b["status"] == "failed"
    assert [(e["code"], e["line"]) for e in b["errors"]["data"]] == [(code, line)]


def test_a_line_that_is_not_json_and_an_empty_file(api, emu):
    emu.batch_timing.update(validating=0, in_progress=0, finalizing=0)
    data = jsonl(responses_rows(2)) + b"{not json\n"
    b, _ = wait(api, create(api, data)["id"])
    assert [(e["code"], e["line"]) for e in b["errors"]["data"]] == [("invalid_json_line", 3)]
    b, _ = wait(api, create(api, b"")["id"])
    assert [(e["code"], e["line"]) for e in b["errors"]["data"]] == [("empty_file", None)]


def test_cancel_keeps_the_lines_done_by_then(api, emu):
    emu.batch_timing.update(validating=0.05, in_progress=1.0, finalizing=0.1)
    emu.batch_outcome(fail_custom_ids={"row-1"})
    rows = responses_rows(40)
    b = create(api, rows)
    while api.get(f"/batches/{b['id']}").json()["request_counts"]["completed"] < 5:
        pass  # each GET moves the clock on 10 ms
    c = api.post(f"/batches/{b['id']}/cancel")
    assert c.status_code == 200
    c = c.json()
    assert c["status"] == "cancelling" and c["cancelling_at"] is not None
    done = c["request_counts"]["completed"]
    assert 5 <= done < 39 and c["request_counts"]["failed"] == 1
    assert api.post(f"/batches/{b['id']}/cancel").json()["status"] == "cancelling"  # again: no change
    final, seen = wait(api, b["id"])
    assert seen == ["cancelling", "cancelled"] and final["cancelled_at"] is not None
    assert final["request_counts"] == {"total": 40, "completed": done, "failed": 1}
    out = lines(api, final["output_file_id"])
    assert {x["custom_id"] for x in out} == {f"row-{i}" for i in range(2, done + 2)}  # input order
    assert [x["custom_id"] for x in lines(api, final["error_file_id"])] == ["row-1"]  # nothing for the rest
    r = api.post(f"/batches/{b['id']}/cancel")
    assert r.status_code == 400 and "cancelled" in r.json()["error"]["message"]


def test_cancel_while_validating_leaves_no_files(api, emu):
    emu.batch_timing.update(validating=5, finalizing=0)
    b = create(api, responses_rows(3))
    assert api.post(f"/batches/{b['id']}/cancel").json()["status"] == "cancelling"
    final, _ = wait(api, b["id"])
    assert (
        final["status"] == "cancelled" and final["output_file_id"] is None and final["error_file_id"] is None
    )


def test_list_batches_newest_first_with_cursor(api, emu):
    ids = [create(api, responses_rows(1))["id"] for _ in range(5)]
    first = api.get("/batches", params={"limit": 2}).json()
    assert first["object"] == "list" and [x["id"] for x in first["data"]] == ids[:2:-1][:2] == [
        ids[4],
        ids[3],
    ]
    assert (first["first_id"], first["last_id"], first["has_more"]) == (ids[4], ids[3], True)
    second = api.get("/batches", params={"limit": 2, "after": first["last_id"]}).json()
    assert [x["id"] for x in second["data"]] == [ids[2], ids[1]] and second["has_more"] is True
    third = api.get("/batches", params={"limit": 2, "after": second["last_id"]}).json()
    assert [x["id"] for x in third["data"]] == [ids[0]] and third["has_more"] is False
    assert [x["id"] for x in api.get("/batches").json()["data"]] == ids[::-1]  # default limit 20
    assert api.get("/batches", params={"limit": 101}).status_code == 400


def test_unknown_ids_are_404(api):
    r = api.get("/batches/batch_nope")
    assert r.status_code == 404 and r.json()["error"]["type"] == "invalid_request_error"
    assert api.post("/batches/batch_nope/cancel").status_code == 404
    r = api.post(
        "/batches",
        json={"input_file_id": "file-nope", "endpoint": "/v1/responses", "completion_window": "24h"},
    )
    assert r.status_code == 404 and r.json()["error"]["param"] == "input_file_id"


def test_shuffle_false_keeps_input_order_and_the_seed_repeats(api, emu):
    emu.batch_timing.update(validating=0, in_progress=0, finalizing=0)
    emu.batch_outcome(shuffle=False)
    emu.batch_outcome(seed=7)
    emu.batch_outcome(seed=7)
    rows = responses_rows(20)
    orders = []
    for _ in range(3):
        b, _ = wait(api, create(api, rows)["id"])
        orders.append([x["custom_id"] for x in lines(api, b["output_file_id"])])
    assert orders[0] == [r["custom_id"] for r in rows]
    assert orders[1] == orders[2] != orders[0]


def test_install_is_idempotent(emu):
    n = len(emu.routes)
    emu.batch_outcome(token_limit=True)
    emulator_batch.install(emu)
    assert (
        len(emu.routes) == n
        and emu.batch_outcomes == []
        and emu.batch_timing == emulator_batch.DEFAULT_TIMING
    )
