"""core.finetune.create and check, in process: the request body, the input hash, the
checks before anything is sent, the create document (one shape, money as numbers),
and the resumable run over a mock transport (a lost job answer is found, not repeated)."""

from __future__ import annotations

import io
import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from o4cli.cli.context import AppContext
from o4cli.core import documents
from o4cli.core.documents import finetune as ftdoc
from o4cli.core.errors import ServerError, UsageError
from o4cli.core.finetune import check, create
from o4cli.core.problems import InputProblems, Problem

GRADER = {"type": "string_check", "name": "exact", "input": "{{sample.output_text}}", "reference": "{{item.answer}}", "operation": "eq"}


def line(i: int, **extra: Any) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": f"What is {i} + {i}?"}], "answer": str(2 * i), **extra}


def jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[Path, Path, Path]:
    train = jsonl(tmp_path / "train.jsonl", [line(i) for i in range(5)])
    valid = jsonl(tmp_path / "valid.jsonl", [line(100 + i) for i in range(2)])
    grader = tmp_path / "grader.json"
    grader.write_text(json.dumps(GRADER))
    return train, valid, grader


class Quiet:
    """A runtime for what happens before anything is sent."""

    def __init__(self) -> None:
        self.notices: list[str] = []

    def notice(self, m: str) -> None:
        self.notices.append(m)

    def warn(self, m: str) -> None:
        self.notices.append(f"warning: {m}")

    def log(self, m: str) -> None:
        pass


# ------------------------------------------------------------------ pure


def test_request_body_per_method(tmp_path):
    train = jsonl(tmp_path / "t.jsonl", [line(1)])
    rft = create.Plan("o4-mini-2025-04-16", "reinforcement", train, None, GRADER, {"reasoning_effort": "low"}, "math", 0, {"team": "x"})
    assert create.request_body(rft, "file-1", "file-2", "tag") == {
        "model": "o4-mini-2025-04-16", "training_file": "file-1", "validation_file": "file-2", "suffix": "math", "seed": 0,
        "method": {"type": "reinforcement", "reinforcement": {"grader": GRADER, "hyperparameters": {"reasoning_effort": "low"}}},
        "metadata": {"team": "x", "o4_input": "tag"},
    }  # fmt: skip
    dpo = create.Plan("gpt-4.1-mini-2025-04-14", "dpo", train, hyperparameters={"beta": 0.2})
    assert create.request_body(dpo, "f", None, "t") == {
        "model": "gpt-4.1-mini-2025-04-14", "training_file": "f", "method": {"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.2}}},
        "metadata": {"o4_input": "t"},
    }  # fmt: skip
    placeholders = create.dry_run_body(create.Plan("o4-mini-2025-04-16", "reinforcement", train, train, GRADER))
    assert placeholders["training_file"] == placeholders["validation_file"] == "<upload of t.jsonl>"
    assert placeholders["metadata"] == {"o4_input": "<o4 tag>"}


def test_input_hash_is_stable_and_sees_bytes_and_settings(tmp_path):
    a = jsonl(tmp_path / "a.jsonl", [line(1), line(2)])
    b = tmp_path / "elsewhere" / "b.jsonl"
    b.parent.mkdir()
    b.write_bytes(a.read_bytes())
    plan = create.Plan("o4-mini-2025-04-16", "reinforcement", a, None, GRADER, {"n_epochs": 2}, None, None, {"x": "1", "y": "2"})
    h = create.input_hash(plan)
    assert len(h) == 64 and h == create.input_hash(plan)
    same = create.Plan("o4-mini-2025-04-16", "reinforcement", b, None, dict(reversed(GRADER.items())), {"n_epochs": 2}, None, None, {"y": "2", "x": "1"})
    assert create.input_hash(same) == h  # another path to the same bytes, keys in another order
    assert create.input_hash(create.Plan("o4-mini-2025-04-16", "reinforcement", a, a, GRADER, {"n_epochs": 2}, None, None, {"x": "1", "y": "2"})) != h
    for changed in ({"seed": 1}, {"suffix": "s"}, {"hyperparameters": {"n_epochs": 3}}, {"metadata": {}}, {"model": "other"}):
        other = create.Plan(**{**plan.__dict__, **changed})
        assert create.input_hash(other) != h, changed
    # a train file and a valid file are told apart (the same bytes in the other slot)
    swapped = create.Plan("o4-mini-2025-04-16", "reinforcement", a, None, GRADER)
    assert create.input_hash(swapped) != create.input_hash(create.Plan("o4-mini-2025-04-16", "reinforcement", a, a, GRADER))


# ------------------------------------------------------------------ checks


def test_dry_run_checks_everything_and_gives_one_document(inputs):
    train, _, grader = inputs
    rt = Quiet()
    shown: list[list[Problem]] = []
    opts = create.CreateOptions(train=str(train), grader=str(grader), suffix="math", hyperparameters=("n_epochs=3",), dry_run=True)
    r = create.create(rt, opts, lambda j, e: None, on_checked=shown.append)  # type: ignore[arg-type]
    assert [[(w.file, w.reason) for w in ws] for ws in shown] == [[(None, check.NO_VALID)]]
    assert r.dry_run and r.job is None and r.request["training_file"] == "<upload of train.jsonl>"
    doc = json.loads(documents.dumps(ftdoc.create(r)), parse_float=Decimal)
    assert list(doc) == [
        "id", "status", "model", "method", "created_at", "finished_at", "training_file", "validation_file", "trained_tokens",
        "fine_tuned_model", "suffix", "error", "submitted_before", "dry_run", "request", "files", "cost",
    ]  # fmt: skip
    assert doc["id"] is None and doc["model"] == "o4-mini-2025-04-16" and doc["method"] == "reinforcement" and doc["suffix"] == "math"
    assert doc["dry_run"] is True and doc["submitted_before"] is False
    assert doc["cost"]["hourly_usd"] == 100 and doc["cost"]["epochs"] == 3 and doc["cost"]["usd"] is None
    assert [f["examples"] for f in doc["files"]] == [5]


def test_problems_come_after_the_warnings_and_name_their_files(inputs, tmp_path):
    train, _, grader = inputs
    bad = jsonl(tmp_path / "bad.jsonl", [line(1), {"messages": [{"role": "user", "content": "x"}]}])
    (tmp_path / "blank.jsonl").write_text(json.dumps(line(1)) + "\n\n" + json.dumps(line(2)) + "\n")
    order: list[str] = []
    opts = create.CreateOptions(train=str(tmp_path / "blank.jsonl"), valid=str(bad), grader=str(grader))
    with pytest.raises(InputProblems) as info:
        create.create(Quiet(), opts, lambda j, e: None, on_checked=lambda ws: order.append(f"warnings {[str(w) for w in ws]}"))  # type: ignore[arg-type]
    assert order == [f"warnings ['{tmp_path / 'blank.jsonl'}:2: blank line: remove it (the API may reject the file)']"]
    assert [str(p) for p in info.value.problems] == [f"{bad}:2: no field 'answer': the grader reads {{{{item.answer}}}}"]
    assert info.value.message == "1 problem found; nothing was uploaded"


@pytest.mark.parametrize(
    "opts, message",
    [
        ({"train": "train.jsonl", "grader": "nope.json"}, "--grader nope.json: no such file"),
        ({"train": "nope.jsonl", "grader": "grader.json"}, "--train nope.jsonl: no such file"),
        ({"train": "train.jsonl", "valid": "nope.jsonl", "grader": "grader.json"}, "--valid nope.jsonl: no such file"),
        ({"train": "train.jsonl", "method": "supervised", "model": "gpt-4.1-mini-2025-04-14", "grader": "grader.json"}, "--grader goes with --method reinforcement, not supervised"),
        ({"train": "train.jsonl"}, "reinforcement fine-tuning needs --grader FILE"),
        ({"train": "train.jsonl", "grader": "grader.json", "suffix": ""}, "--suffix takes 1 to 64 characters"),
    ],
)
def test_create_refusals(opts, message, inputs, monkeypatch):
    monkeypatch.chdir(inputs[0].parent)
    with pytest.raises(UsageError) as info:
        create.create(Quiet(), create.CreateOptions(**opts), lambda j, e: None)  # type: ignore[arg-type]
    assert info.value.message.startswith(message)


def test_validate_names_a_missing_file_without_a_metavar(tmp_path):
    with pytest.raises(UsageError) as info:
        check.validate(Quiet(), check.ValidateOptions(file=str(tmp_path / "nope.jsonl"), method="supervised"))  # type: ignore[arg-type]
    assert info.value.message == f"{tmp_path / 'nope.jsonl'}: no such file"


def test_validate_report_and_its_document(inputs):
    train, _, grader = inputs
    r = check.validate(Quiet(), check.ValidateOptions(file=str(train), grader=str(grader)))  # type: ignore[arg-type]
    assert r.ok and r.error is None and r.remote_check is None
    doc = ftdoc.validate(r)
    assert doc["grader"] == {"file": str(grader), "name": "exact", "type": "string_check", "item_fields": ["item.answer"], "remote_check": None}
    assert doc["problems"] == [] and doc["warnings"] == [] and doc["cost"]["hourly_usd"] == Decimal("100")
    assert '"hourly_usd": 100,' in documents.dumps(doc)


# ------------------------------------------------------------------ the resumable run


class FakeOpenAI:
    """Files and fine-tuning jobs over a mock transport; ``lose_next_job`` creates the job
    but answers 503 (the answer was lost)."""

    def __init__(self) -> None:
        self.files: list[dict[str, Any]] = []
        self.jobs: list[dict[str, Any]] = []
        self.posts: list[str] = []
        self.lose_next_job = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/v1/")
        if request.method == "POST":
            self.posts.append(path)
        if request.method == "POST" and path == "files":
            body = request.read()
            name = body.split(b'filename="', 1)[1].split(b'"', 1)[0].decode()
            f = {"id": f"file-{len(self.files) + 1}", "object": "file", "filename": name, "bytes": _content_size(body), "purpose": "fine-tune"}
            self.files.append(f)
            return httpx.Response(200, json=f)
        if request.method == "GET" and path == "files":
            return httpx.Response(200, json={"object": "list", "data": list(reversed(self.files)), "has_more": False})
        if request.method == "POST" and path == "fine_tuning/jobs":
            body = json.loads(request.read())
            job = {"id": f"ftjob-{len(self.jobs) + 1}", "object": "fine_tuning.job", "status": "validating_files", "model": body["model"],
                   "metadata": body.get("metadata"), "method": body["method"], "training_file": body["training_file"]}  # fmt: skip
            self.jobs.append(job)
            if self.lose_next_job:
                self.lose_next_job = False
                return httpx.Response(503, json={"error": {"message": "upstream timeout", "type": "server_error"}})
            return httpx.Response(200, json=job)
        if request.method == "GET" and path == "fine_tuning/jobs":
            tag = request.url.params.get("metadata[o4_input]")
            data = [j for j in reversed(self.jobs) if (j.get("metadata") or {}).get("o4_input") == tag]
            return httpx.Response(200, json={"object": "list", "data": data, "has_more": False})
        if request.method == "GET" and path.startswith("fine_tuning/jobs/"):
            return httpx.Response(200, json=next(j for j in self.jobs if j["id"] == path.rsplit("/", 1)[1]))
        return httpx.Response(404, json={"error": {"message": f"no route {request.method} {path}"}})


def _content_size(multipart: bytes) -> int:
    """The size of the file part of a multipart body."""
    part = multipart.split(b'filename="', 1)[1]
    content = part.split(b"\r\n\r\n", 1)[1]
    return len(content.split(b"\r\n--", 1)[0])


def runtime(fake: FakeOpenAI) -> AppContext:
    env = {**os.environ, "OPENAI_API_KEY": "sk-test-0123456789abcdef", "OPENAI_BASE_URL": "http://o4.test/v1"}
    return AppContext(env=env, stdout=io.StringIO(), stderr=io.StringIO(), transport=httpx.MockTransport(fake), quiet=True)


def test_a_lost_job_answer_is_found_on_the_next_run_and_nothing_is_sent_twice(inputs):
    train, valid, grader = inputs
    fake = FakeOpenAI()
    fake.lose_next_job = True
    opts = create.CreateOptions(train=str(train), valid=str(valid), grader=str(grader))
    with pytest.raises(ServerError) as info:
        create.create(runtime(fake), opts, lambda j, e: None)
    assert "run the same command again to resume" in (info.value.hint or "")
    assert fake.posts == ["files", "files", "fine_tuning/jobs"] and len(fake.jobs) == 1

    notices: list[str] = []
    rt = runtime(fake)
    rt.notice = notices.append  # type: ignore[method-assign]
    r = create.create(rt, opts, lambda j, e: None)
    assert fake.posts == ["files", "files", "fine_tuning/jobs"]  # found, not sent again
    assert r.job is not None and r.job["id"] == "ftjob-1" and not r.submitted_before
    assert "resuming the earlier create of this input (nothing is sent twice)" in notices and "found the earlier job ftjob-1" in notices
    assert r.request["training_file"] == "file-1" and r.request["validation_file"] == "file-2"
    assert r.request["metadata"]["o4_input"] == fake.jobs[0]["metadata"]["o4_input"]

    again = create.create(runtime(fake), opts, lambda j, e: None)
    assert again.submitted_before and again.job is not None and again.job["id"] == "ftjob-1"
    assert again.request == r.request and len(fake.posts) == 3
