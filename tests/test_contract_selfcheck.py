"""Self-check of tests/contract.py: the spec checker must accept valid requests and reject
invalid ones with messages that name the offending field."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

try:  # the same module object conftest uses, so the spec is loaded once per session
    from tests.contract import Contract, RecordedRequest, load_contract
except ImportError:  # pytest started from another directory: tests/ is on sys.path
    from contract import Contract, RecordedRequest, load_contract

AUTH = {"Authorization": "Bearer sk-test-123"}


@pytest.fixture(scope="session")
def contract() -> Contract:
    return load_contract()


def post_json(path: str, body: Any) -> RecordedRequest:
    headers = {"authorization": "Bearer sk-test-123", "content-type": "application/json"}
    return RecordedRequest("POST", path, headers, json.dumps(body).encode())


def multipart_upload(purpose: str, content: bytes = b'{"a":1}\n') -> RecordedRequest:
    request = httpx.Request(
        "POST",
        "http://127.0.0.1/v1/files",
        files={"file": ("in.jsonl", content, "application/jsonl")},
        data={"purpose": purpose},
        headers=AUTH,
    )
    request.read()
    return RecordedRequest("POST", request.url.raw_path.decode(), dict(request.headers), request.content)


def rejected(contract: Contract, req: RecordedRequest) -> str:
    """The joined error messages; fails if the request was accepted."""
    errors = contract.errors(req)
    assert errors, f"expected {req.method} {req.path} to be rejected"
    with pytest.raises(AssertionError):
        contract.check(req)
    return "\n".join(errors)


FINE_TUNE_RL = {
    "model": "o4-mini-2025-04-16",
    "training_file": "file-abc",
    "suffix": None,  # nullable in the spec
    "method": {
        "type": "reinforcement",
        "reinforcement": {
            "grader": {
                "type": "string_check",
                "name": "exact",
                "input": "{{sample.output_text}}",
                "reference": "{{item.answer}}",
                "operation": "eq",
            },
            # declared with 3.0-style `minimum: 0, exclusiveMinimum: true`
            "hyperparameters": {"learning_rate_multiplier": 0.5, "n_epochs": 1},
        },
    },
}

VALID = {
    "models-list": RecordedRequest("GET", "/v1/models", AUTH, b""),
    "files-list-query": RecordedRequest("GET", "/v1/files?limit=20&purpose=batch&order=desc", AUTH, b""),
    "responses-basic": post_json(
        "/v1/responses", {"model": "o4-mini", "input": "hi", "reasoning": {"effort": "low"}}
    ),
    "responses-image": post_json(
        "/v1/responses",
        {
            "model": "o4-mini",
            "input": [
                {
                    "role": "user",
                    "content": [
                        {"type": "input_text", "text": "what is this?"},
                        {"type": "input_image", "image_url": "data:image/png;base64,iVBO", "detail": "auto"},
                    ],
                }
            ],
        },
    ),
    "chat-completions": post_json(
        "/v1/chat/completions",
        {
            "model": "o4-mini",
            "messages": [
                {"role": "developer", "content": "Answer briefly."},
                {"role": "user", "content": "hi"},
            ],
            "reasoning_effort": "high",
            "max_completion_tokens": 256,
            "temperature": None,
            "seed": None,  # `nullable: true` in the spec: needs the anyOf rewrite
            "store": None,
        },
    ),
    "files-upload-batch": multipart_upload("batch"),
    "batches-create": post_json(
        "/v1/batches",
        {
            "input_file_id": "file-abc",
            "endpoint": "/v1/responses",
            "completion_window": "24h",
            "metadata": {"k": "v"},
        },
    ),
    "fine-tuning-reinforcement": post_json("/v1/fine_tuning/jobs", FINE_TUNE_RL),
    "path-without-v1-prefix": RecordedRequest("GET", "/models", AUTH, b""),
}


@pytest.mark.parametrize("name", sorted(VALID))
def test_accepts_valid_request(contract: Contract, name: str) -> None:
    req = VALID[name]
    assert contract.errors(req) == []
    contract.check(req)


def test_responses_reasoning_effort_enum(contract: Contract) -> None:
    req = post_json("/v1/responses", {"model": "o4-mini", "input": "hi", "reasoning": {"effort": "extreme"}})
    msg = rejected(contract, req)
    assert "POST /v1/responses: body.reasoning.effort: 'extreme' is not one of" in msg
    assert "'low'" in msg


def test_responses_input_wrong_type(contract: Contract) -> None:
    msg = rejected(contract, post_json("/v1/responses", {"model": "o4-mini", "input": 42}))
    assert "body.input: 42 is not of type 'string' or 'array'" in msg


def test_responses_model_wrong_type(contract: Contract) -> None:
    # The spec does not require `model` for Responses (a stored prompt may supply it),
    # but when present it must be a string.
    assert contract.errors(post_json("/v1/responses", {"input": "hi"})) == []
    msg = rejected(contract, post_json("/v1/responses", {"model": 4, "input": "hi"}))
    assert "body.model: 4 is not of type 'string'" in msg


def test_responses_input_image_requires_detail(contract: Contract) -> None:
    part = {"type": "input_image", "image_url": "https://example.com/cat.png"}
    body = {"model": "o4-mini", "input": [{"role": "user", "content": [part]}]}
    msg = rejected(contract, post_json("/v1/responses", body))
    assert "body.input[0].content[0]: 'detail' is a required property" in msg


def test_responses_unknown_content_part_type(contract: Contract) -> None:
    body = {"model": "o4-mini", "input": [{"role": "user", "content": [{"type": "input_txt", "text": "x"}]}]}
    msg = rejected(contract, post_json("/v1/responses", body))
    assert "body.input[0].content[0].type: 'input_txt' is not one of" in msg
    assert "'input_text'" in msg


def test_chat_messages_not_a_list(contract: Contract) -> None:
    body = {"model": "o4-mini", "messages": {"role": "user", "content": "hi"}}
    msg = rejected(contract, post_json("/v1/chat/completions", body))
    assert "body.messages:" in msg
    assert "is not of type 'array'" in msg


def test_chat_requires_model(contract: Contract) -> None:
    body = {"messages": [{"role": "user", "content": "hi"}]}
    msg = rejected(contract, post_json("/v1/chat/completions", body))
    assert "body: 'model' is a required property" in msg


def test_chat_unknown_role(contract: Contract) -> None:
    body = {"model": "o4-mini", "messages": [{"role": "wizard", "content": "hi"}]}
    msg = rejected(contract, post_json("/v1/chat/completions", body))
    assert "body.messages[0].role: 'wizard' is not one of" in msg
    assert "'developer'" in msg


def test_batches_completion_window(contract: Contract) -> None:
    body = {"input_file_id": "file-abc", "endpoint": "/v1/responses", "completion_window": "48h"}
    msg = rejected(contract, post_json("/v1/batches", body))
    assert "body.completion_window: '48h' is not one of ['24h']" in msg


def test_fine_tuning_exclusive_minimum(contract: Contract) -> None:
    body = json.loads(json.dumps(FINE_TUNE_RL))
    body["method"]["reinforcement"]["hyperparameters"]["learning_rate_multiplier"] = 0
    msg = rejected(contract, post_json("/v1/fine_tuning/jobs", body))
    assert "hyperparameters.learning_rate_multiplier: 0 is less than or equal to the minimum of 0" in msg


def test_files_upload_bad_purpose(contract: Contract) -> None:
    msg = rejected(contract, multipart_upload("training"))
    assert "body.purpose: 'training' is not one of" in msg


def test_query_parameter_enum(contract: Contract) -> None:
    msg = rejected(contract, RecordedRequest("GET", "/v1/files?order=sideways", AUTH, b""))
    assert "query.order: 'sideways' is not one of ['asc', 'desc']" in msg


def test_missing_authorization(contract: Contract) -> None:
    msg = rejected(contract, RecordedRequest("GET", "/v1/models", {}, b""))
    assert "header.Authorization" in msg


def test_missing_content_type(contract: Contract) -> None:
    req = RecordedRequest("POST", "/v1/responses", AUTH, b'{"model": "o4-mini", "input": "hi"}')
    assert "header.Content-Type" in rejected(contract, req)


def test_unknown_path(contract: Contract) -> None:
    assert "/v1/nope" in rejected(contract, RecordedRequest("GET", "/v1/nope", AUTH, b""))


def test_check_joins_all_messages(contract: Contract) -> None:
    body = {"model": "o4-mini", "messages": [{"role": "user", "content": "hi"}], "n": "two", "seed": "x"}
    with pytest.raises(AssertionError) as info:
        contract.check(post_json("/v1/chat/completions", body))
    assert "body.n" in str(info.value) and "body.seed" in str(info.value)


def test_load_contract_is_cached() -> None:
    assert load_contract() is load_contract()
