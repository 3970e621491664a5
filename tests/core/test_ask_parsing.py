"""``ask.answer``: reading a Responses / Chat answer, and a stream of SSE deltas from
either API (fed by an ``Api`` over a MockTransport)."""

from __future__ import annotations

import json

import httpx
import pytest

from o4cli.core import config
from o4cli.core.ask.answer import Stream, read_chat, read_response
from o4cli.core.ask.request import CHAT, RESPONSES
from o4cli.core.cost import Usage
from o4cli.core.errors import ApiError, NetworkError, ServerError
from o4cli.core.http.api import Api

USAGE_RESPONSES = {
    "input_tokens": 1204,
    "input_tokens_details": {"cached_tokens": 1024},
    "output_tokens": 812,
    "output_tokens_details": {"reasoning_tokens": 640},
    "total_tokens": 2016,
}
USAGE_CHAT = {
    "prompt_tokens": 1204,
    "prompt_tokens_details": {"cached_tokens": 1024},
    "completion_tokens": 812,
    "completion_tokens_details": {"reasoning_tokens": 640},
    "total_tokens": 2016,
}
EXAMPLE_USAGE = Usage(1204, 1024, 812, 640)


def message(*parts: dict) -> dict:
    return {"type": "message", "role": "assistant", "content": list(parts)}


def text(t: str) -> dict:
    return {"type": "output_text", "text": t, "annotations": []}


def reasoning(*summaries: str) -> dict:
    return {"type": "reasoning", "summary": [{"type": "summary_text", "text": s} for s in summaries]}


# ----------------------------------------------------------- read_response


def test_read_response_joins_output_text_parts():
    body = {
        "id": "resp_1",
        "model": "o4-mini-2025-04-16",
        "service_tier": "flex",
        "status": "completed",
        "output": [reasoning(), message(text("Hello, "), text("world."))],
        "usage": USAGE_RESPONSES,
    }
    a = read_response(body)
    assert (a.text, a.response_id, a.model, a.service_tier, a.status) == (
        "Hello, world.",
        "resp_1",
        "o4-mini-2025-04-16",
        "flex",
        "completed",
    )
    assert a.refusal is False
    assert a.error is None


def test_read_response_refusal():
    a = read_response({"output": [message({"type": "refusal", "refusal": "I can't help with that."})]})
    assert (a.text, a.refusal) == ("I can't help with that.", True)


def test_read_response_reasoning_summaries_are_joined_by_blank_lines():
    body = {"output": [reasoning("First I read.", "", "Then I answer."), message(text("42"))]}
    a = read_response(body)
    assert a.summary == "First I read.\n\nThen I answer."
    assert a.text == "42"


def test_read_response_usage_with_cached_and_reasoning():
    a = read_response({"output": [], "usage": USAGE_RESPONSES})
    assert a.usage == EXAMPLE_USAGE
    assert a.usage_known is True


def test_read_response_without_usage():
    a = read_response({"output": [message(text("hi"))]})
    assert (a.usage, a.usage_known) == (Usage(), False)


@pytest.mark.parametrize("reason", ["max_output_tokens", "content_filter"])
def test_read_response_incomplete_with_reason(reason):
    a = read_response({"status": "incomplete", "incomplete_details": {"reason": reason}, "output": []})
    assert (a.status, a.incomplete_reason) == ("incomplete", reason)


@pytest.mark.parametrize(
    ("error", "cls", "message"),
    [
        ({"code": "server_error", "message": "The server had an error"}, ServerError, "The server had an error"),
        ({"code": "invalid_prompt", "message": "Invalid prompt"}, ApiError, "Invalid prompt"),
        (None, ApiError, "the response failed"),
    ],
)
def test_read_response_failed_with_error(error, cls, message):
    a = read_response({"status": "failed", "error": error, "output": []})
    assert a.status == "failed"
    assert type(a.error) is cls
    assert (a.error.message, a.error.code) == (message, (error or {}).get("code"))


def test_read_response_unknown_status_is_not_taken_for_done():
    assert read_response({"status": "queued", "output": []}).status == "in_progress"


# --------------------------------------------------------------- read_chat


def chat_body(msg: dict, finish: str | None = "stop", usage=USAGE_CHAT) -> dict:
    return {
        "id": "chatcmpl-1",
        "model": "o4-mini-2025-04-16",
        "choices": [{"index": 0, "message": {"role": "assistant", **msg}, "finish_reason": finish}],
        "usage": usage,
    }


def test_read_chat_content_and_usage():
    a = read_chat(chat_body({"content": "Hello."}))
    assert (a.text, a.status, a.incomplete_reason, a.refusal) == ("Hello.", "completed", None, False)
    assert (a.response_id, a.model) == ("chatcmpl-1", "o4-mini-2025-04-16")
    assert (a.usage, a.usage_known) == (EXAMPLE_USAGE, True)


def test_read_chat_refusal():
    a = read_chat(chat_body({"content": None, "refusal": "I can't help with that."}))
    assert (a.text, a.refusal) == ("I can't help with that.", True)


@pytest.mark.parametrize(
    ("finish", "status", "reason"),
    [
        ("stop", "completed", None),
        ("length", "incomplete", "max_output_tokens"),
        ("content_filter", "incomplete", "content_filter"),
    ],
)
def test_read_chat_finish_reason(finish, status, reason):
    a = read_chat(chat_body({"content": "x"}, finish=finish))
    assert (a.status, a.incomplete_reason) == (status, reason)


def test_read_chat_without_usage():
    a = read_chat(chat_body({"content": "x"}, usage=None))
    assert (a.usage, a.usage_known) == (Usage(), False)


# ------------------------------------------------------------------ Stream


def sse(*events: tuple[str | None, object]) -> bytes:
    """SSE text: (event name or None, data object or raw string) pairs."""
    out = []
    for name, data in events:
        if name:
            out.append(f"event: {name}\n")
        out.append(f"data: {data if isinstance(data, str) else json.dumps(data)}\n\n")
    return "".join(out).encode()


def ev(kind: str, **data) -> tuple[str, dict]:
    return kind, {"type": kind, **data}


def stream_of(tmp_path, body, kind: str) -> tuple[Stream, list[tuple[str, str]], list[httpx.Request]]:
    """A Stream over an Api whose transport answers with ``body`` (bytes or a byte stream)."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        headers = {"content-type": "text/event-stream"}
        if isinstance(body, bytes):
            return httpx.Response(200, headers=headers, content=body)
        return httpx.Response(200, headers=headers, stream=body)

    settings = config.resolve(
        config.ConfigFile(tmp_path / "config.toml", {}, False),
        env={"OPENAI_API_KEY": "sk-test-0123456789abcdef", "OPENAI_BASE_URL": "https://api.test/v1"},
        flags={"max_retries": 0},
        data=tmp_path / "data",
    )
    client = httpx.Client(transport=httpx.MockTransport(handler), base_url="https://api.test/v1/")
    api = Api(client, settings, sleep=lambda s: pytest.fail(f"slept {s}"), rand=lambda: 0.0)
    s = Stream(api, {"model": "o4-mini", "stream": True}, kind)
    deltas = list(s.deltas())
    return s, deltas, seen


RESPONSES_OK = sse(
    ev("response.created", response={"id": "resp_9", "model": "o4-mini-2025-04-16", "status": "in_progress"}),
    ev("response.in_progress", response={"id": "resp_9", "status": "in_progress"}),
    ev("response.reasoning_summary_text.delta", delta="Reading"),
    ev("response.reasoning_summary_text.delta", delta=" the question."),
    ev("response.reasoning_summary_part.done"),
    ev("response.output_text.delta", delta="Hel"),
    ev("response.output_text.delta", delta="lo, "),
    ev("response.output_text.delta", delta="world."),
    ev(
        "response.completed",
        response={
            "id": "resp_9",
            "model": "o4-mini-2025-04-16",
            "status": "completed",
            "service_tier": "default",
            "output": [message(text("Hello, world."))],
            "usage": USAGE_RESPONSES,
        },
    ),
)


def test_responses_stream_deltas_in_order(tmp_path):
    s, deltas, seen = stream_of(tmp_path, RESPONSES_OK, RESPONSES)
    assert deltas == [
        ("summary", "Reading"),
        ("summary", " the question."),
        ("summary", "\n\n"),
        ("text", "Hel"),
        ("text", "lo, "),
        ("text", "world."),
    ]
    a = s.answer
    assert (a.text, a.summary, a.status, a.response_id) == (
        "Hello, world.",
        "Reading the question.",
        "completed",
        "resp_9",
    )
    assert (a.usage, a.usage_known, a.error) == (EXAMPLE_USAGE, True, None)
    assert seen[0].method == "POST"
    assert str(seen[0].url) == "https://api.test/v1/responses"


def test_a_cut_stream_keeps_the_summary_and_text_that_arrived(tmp_path):
    """Deltas gather in lists (joined when the answer is read); what arrived before a cut is the answer."""
    body = sse(
        ev("response.reasoning_summary_text.delta", delta="Weighing"),
        ev("response.reasoning_summary_text.delta", delta=" it."),
        ev("response.reasoning_summary_part.done"),
        ev("response.reasoning_summary_text.delta", delta="Then more."),
        ev("response.output_text.delta", delta="Half an"),
    )
    s, deltas, _ = stream_of(tmp_path, body, RESPONSES)
    assert [d for k, d in deltas if k == "summary"] == ["Weighing", " it.", "\n\n", "Then more."]
    assert (s.answer.summary, s.answer.text, s.answer.status) == ("Weighing it.\n\nThen more.", "Half an", "cut")


def test_responses_stream_incomplete(tmp_path):
    body = sse(
        ev("response.output_text.delta", delta="partial"),
        ev(
            "response.incomplete",
            response={"status": "incomplete", "incomplete_details": {"reason": "max_output_tokens"}},
        ),
    )
    s, deltas, _ = stream_of(tmp_path, body, RESPONSES)
    assert deltas == [("text", "partial")]
    assert (s.answer.status, s.answer.incomplete_reason, s.answer.text) == (
        "incomplete",
        "max_output_tokens",
        "partial",
    )


def test_responses_stream_refusal_deltas(tmp_path):
    body = sse(
        ev("response.refusal.delta", delta="I can't "),
        ev("response.refusal.delta", delta="help."),
        ev("response.completed", response={"status": "completed", "output": []}),
    )
    s, deltas, _ = stream_of(tmp_path, body, RESPONSES)
    assert deltas == [("text", "I can't "), ("text", "help.")]
    assert (s.answer.text, s.answer.refusal) == ("I can't help.", True)


def test_responses_stream_cut_keeps_what_arrived(tmp_path):
    body = sse(ev("response.output_text.delta", delta="Hello"), ev("response.output_text.delta", delta=" wor"))
    s, deltas, _ = stream_of(tmp_path, body, RESPONSES)
    assert deltas == [("text", "Hello"), ("text", " wor")]
    a = s.answer
    assert (a.status, a.text) == ("cut", "Hello wor")
    assert isinstance(a.error, NetworkError)
    assert a.error.exit_code == 5
    assert a.error.message == "the stream ended before the answer was complete"


class Broken(httpx.SyncByteStream):
    """A body that sends some events, then the connection resets."""

    def __init__(self, head: bytes) -> None:
        self.head = head

    def __iter__(self):
        yield self.head
        raise httpx.ReadError("connection reset by peer")


def test_responses_stream_transport_error_mid_stream(tmp_path):
    s, deltas, _ = stream_of(tmp_path, Broken(sse(ev("response.output_text.delta", delta="Hi"))), RESPONSES)
    assert deltas == [("text", "Hi")]
    assert (s.answer.status, s.answer.text) == ("cut", "Hi")
    assert isinstance(s.answer.error, NetworkError)
    assert s.answer.error.message == "the stream was cut: ReadError: connection reset by peer"


@pytest.mark.parametrize(
    ("error_event", "cls", "message"),
    [
        (
            {"type": "error", "code": "server_error", "message": "The server had an error", "param": None},
            ServerError,
            "The server had an error",
        ),
        ({"type": "error", "code": "rate_limit_exceeded", "message": "Too many", "param": None}, ApiError, "Too many"),
        ({"type": "error", "error": {"code": "server_error", "message": "nested"}}, ServerError, "nested"),
    ],
    ids=["server_error", "other-code", "nested-error"],
)
def test_responses_stream_error_event(tmp_path, error_event, cls, message):
    body = sse(ev("response.output_text.delta", delta="So"), ("error", error_event))
    s, deltas, _ = stream_of(tmp_path, body, RESPONSES)
    assert deltas == [("text", "So")]
    a = s.answer
    assert a.status == "failed"
    assert type(a.error) is cls
    assert a.error.message == message
    assert a.text == "So"


def test_responses_stream_failed_event(tmp_path):
    body = sse(
        ev("response.failed", response={"status": "failed", "error": {"code": "server_error", "message": "boom"}}),
    )
    s, _, _ = stream_of(tmp_path, body, RESPONSES)
    assert s.answer.status == "failed"
    assert isinstance(s.answer.error, ServerError)
    assert s.answer.error.message == "boom"


def chunk(delta: dict | None = None, finish: str | None = None, **extra) -> tuple[None, dict]:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    return None, {
        "id": "chatcmpl-7",
        "object": "chat.completion.chunk",
        "model": "o4-mini-2025-04-16",
        "choices": choices,
        **extra,
    }


def test_chat_stream_deltas_in_order(tmp_path):
    body = sse(
        chunk({"role": "assistant", "content": ""}),
        chunk({"content": "Hel"}),
        chunk({"content": "lo."}),
        chunk({}, finish="stop"),
        chunk(None, usage=USAGE_CHAT),
        (None, "[DONE]"),
    )
    s, deltas, seen = stream_of(tmp_path, body, CHAT)
    assert deltas == [("text", "Hel"), ("text", "lo.")]
    a = s.answer
    assert (a.text, a.status, a.response_id, a.error) == ("Hello.", "completed", "chatcmpl-7", None)
    assert (a.usage, a.usage_known) == (EXAMPLE_USAGE, True)
    assert str(seen[0].url) == "https://api.test/v1/chat/completions"


@pytest.mark.parametrize(("finish", "reason"), [("length", "max_output_tokens"), ("content_filter", "content_filter")])
def test_chat_stream_incomplete(tmp_path, finish, reason):
    body = sse(chunk({"content": "abc"}), chunk({}, finish=finish), (None, "[DONE]"))
    s, _, _ = stream_of(tmp_path, body, CHAT)
    assert (s.answer.status, s.answer.incomplete_reason) == ("incomplete", reason)


def test_chat_stream_cut_before_done(tmp_path):
    body = sse(chunk({"content": "Hel"}), chunk({}, finish="stop"))
    s, deltas, _ = stream_of(tmp_path, body, CHAT)
    assert deltas == [("text", "Hel")]
    assert (s.answer.status, s.answer.text) == ("cut", "Hel")
    assert isinstance(s.answer.error, NetworkError)


@pytest.mark.parametrize(
    ("error", "cls"),
    [
        ({"message": "The server had an error", "type": "server_error", "code": "server_error"}, ServerError),
        ({"message": "The server had an error", "type": "invalid_request_error", "code": None}, ApiError),
    ],
)
def test_chat_stream_error_chunk(tmp_path, error, cls):
    body = sse(chunk({"content": "Hel"}), (None, {"error": error}))
    s, deltas, _ = stream_of(tmp_path, body, CHAT)
    assert deltas == [("text", "Hel")]
    assert s.answer.status == "failed"
    assert type(s.answer.error) is cls
    assert s.answer.error.message == "The server had an error"


def test_keep_alive_comments_are_skipped(tmp_path):
    body = b": keep-alive\n\n" + sse(chunk({"content": "x"}), (None, "not json"), chunk({}, "stop"), (None, "[DONE]"))
    s, deltas, _ = stream_of(tmp_path, body, CHAT)
    assert deltas == [("text", "x")]
    assert s.answer.status == "completed"
