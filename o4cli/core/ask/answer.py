"""Getting an answer: one call, or a stream of deltas, from either API, as an ``Answer``."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from o4cli.core import jsonload
from o4cli.core.ask.request import CHAT, ENDPOINTS
from o4cli.core.cost import Usage
from o4cli.core.errors import ApiError, NetworkError, O4Error, ServerError
from o4cli.core.http.api import Api

if TYPE_CHECKING:
    import httpx


@dataclass
class Answer:
    """What came back, however the call ended."""

    text: str = ""
    summary: str = ""
    model: str | None = None
    response_id: str | None = None
    usage: Usage = field(default_factory=Usage)
    usage_known: bool = False
    status: str = "in_progress"  # completed | incomplete | failed | cancelled | cut | interrupted
    incomplete_reason: str | None = None
    service_tier: str | None = None
    refusal: bool = False
    streamed: bool = False  # the text was already shown as it arrived
    reader_gone: bool = False  # stdout's reader closed the pipe mid-answer
    error: O4Error | None = None
    items: list[dict[str, Any]] = field(default_factory=list)  # Responses: the output items, as sent
    tool_calls: list[dict[str, Any]] = field(default_factory=list)  # Chat: the message's tool_calls


def _api_error(err: dict[str, Any] | None, default: str) -> ApiError:
    """An error the API reported inside a 200 answer; server_error counts as a 5xx."""
    err = err or {}
    code = err.get("code")
    cls = ServerError if code == "server_error" else ApiError
    return cls(str(err.get("message") or default), type=err.get("type"), code=code, param=err.get("param"))


# ---------------------------------------------------------------- parsing


def read_response(body: dict[str, Any], answer: Answer | None = None) -> Answer:
    """Fill an Answer from a Responses ``response`` object."""
    a = answer or Answer()
    a.response_id = body.get("id") or a.response_id
    a.model = body.get("model") or a.model
    a.service_tier = body.get("service_tier") or a.service_tier
    texts, summaries = [], []
    if body.get("output"):
        a.items = [item for item in body["output"] if isinstance(item, dict)]
    for item in body.get("output") or []:
        if item.get("type") == "message":
            for part in item.get("content") or []:
                if part.get("type") == "output_text":
                    texts.append(part.get("text") or "")
                elif part.get("type") == "refusal":
                    texts.append(part.get("refusal") or "")
                    a.refusal = True
        elif item.get("type") == "reasoning":
            summaries.extend(s.get("text") or "" for s in item.get("summary") or [])
    if not a.text:
        a.text = "".join(texts)
    if not a.summary:
        a.summary = "\n\n".join(s for s in summaries if s)
    if body.get("usage"):
        a.usage, a.usage_known = Usage.from_api(body["usage"]), True
    status = body.get("status") or "completed"
    a.status = status if status in ("completed", "incomplete", "failed", "cancelled") else a.status
    if status == "incomplete":
        a.incomplete_reason = (body.get("incomplete_details") or {}).get("reason")
    if status == "failed":
        a.error = _api_error(body.get("error"), "the response failed")
    return a


def read_chat(body: dict[str, Any]) -> Answer:
    """An Answer from a ``chat.completion`` object."""
    a = Answer(response_id=body.get("id"), model=body.get("model"), service_tier=body.get("service_tier"))
    choice = (body.get("choices") or [{}])[0]
    msg = choice.get("message") or {}
    a.text = msg.get("content") or ""
    a.tool_calls = [c for c in msg.get("tool_calls") or [] if isinstance(c, dict)]
    if not a.text and msg.get("refusal"):
        a.text, a.refusal = msg["refusal"], True
    a.usage, a.usage_known = Usage.from_api(body.get("usage")), bool(body.get("usage"))
    finish = choice.get("finish_reason")
    a.status = "incomplete" if finish == "length" else "completed"
    if finish == "length":
        a.incomplete_reason = "max_output_tokens"
    elif finish == "content_filter":
        a.status, a.incomplete_reason = "incomplete", "content_filter"
    return a


def unanswered(body: dict[str, Any]) -> str | None:
    """Why a 200 body (Responses or Chat) holds no answer, or None when it holds one.

    An ``incomplete`` response with no text is paid for but is not an answer: the reasoning
    used the whole output budget (the empty-answer trap), or a filter stopped it."""
    a = read_chat(body) if "choices" in body else read_response(body)
    if a.status == "failed":
        return f"failed: {a.error.message if a.error else 'no reason given'}"
    if a.status == "incomplete" and not a.text.strip():
        return f"incomplete ({a.incomplete_reason or 'no reason given'}) with no answer text"
    return None


# ------------------------------------------------------------------ calls


def complete(api: Api, body: dict[str, Any], kind: str) -> Answer:
    """One non-streamed call."""
    data = api.request_json("POST", ENDPOINTS[kind].removeprefix("/v1/"), json=body)
    if not isinstance(data, dict):
        raise ServerError(f"POST {ENDPOINTS[kind]} answered with something not an object")
    return read_chat(data) if kind == CHAT else read_response(data)


class Stream:
    """A streamed call: iterate ``deltas()`` for ("summary" | "text", delta) pairs;
    ``answer`` holds the result, also after a cut, an error event or Ctrl-C."""

    def __init__(self, api: Api, body: dict[str, Any], kind: str) -> None:
        self.api, self.body, self.kind = api, body, kind
        self._answer = Answer()
        self._parts: list[str] = []  # text deltas; joined on demand (+= would be quadratic)
        self._summary: list[str] = []  # the reasoning summary's deltas, likewise

    @property
    def answer(self) -> Answer:
        self._sync()
        return self._answer

    def _sync(self) -> None:
        """The answer's text and summary from the deltas so far."""
        if self._parts:
            self._answer.text = "".join(self._parts)
        if self._summary:
            self._answer.summary = "".join(self._summary)

    def deltas(self) -> Iterator[tuple[str, str]]:
        path = ENDPOINTS[self.kind].removeprefix("/v1/")
        with self.api.stream("POST", path, json=self.body) as resp:
            cut = yield from self.read(resp)
        if cut:
            self._cut(f"the stream was cut: {cut}")
        elif self._answer.status == "in_progress":
            self._cut("the stream ended before the answer was complete")

    def read(self, resp: httpx.Response) -> Generator[tuple[str, str], None, str | None]:
        """The deltas of one connection, until the answer's end or the stream's; returns
        why the connection broke (a transport error), or None."""
        import httpx
        from httpx_sse import EventSource

        handle = self._chat if self.kind == CHAT else self._responses
        try:
            for sse in EventSource(resp).iter_sse():
                if sse.data == "[DONE]":
                    if self._answer.status == "in_progress":
                        self._answer.status = "completed"
                    break
                try:
                    data = jsonload.loads(sse.data)
                except ValueError:
                    continue  # keep-alive comments and the like
                if not self.accept(data):
                    continue
                yield from handle(sse.event, data)
                if self._answer.status != "in_progress" and self.kind != CHAT:
                    break
        except httpx.TransportError as exc:
            return f"{type(exc).__name__}: {exc}"
        return None

    def accept(self, data: dict[str, Any]) -> bool:
        """Whether to take this event (a resumed stream skips those it has seen)."""
        return True

    def _cut(self, message: str) -> None:
        self._answer.status = "cut"
        self._answer.error = NetworkError(message, hint="what arrived was kept; run the prompt again for the rest")

    def _responses(self, event: str, data: dict[str, Any]) -> Iterator[tuple[str, str]]:
        kind = data.get("type") or event
        a = self._answer
        if kind == "response.output_text.delta" or kind == "response.refusal.delta":
            delta = data.get("delta") or ""
            self._parts.append(delta)
            a.refusal = a.refusal or kind == "response.refusal.delta"
            yield "text", delta
        elif kind == "response.reasoning_summary_text.delta":
            delta = data.get("delta") or ""
            self._summary.append(delta)
            yield "summary", delta
        elif kind == "response.reasoning_summary_part.done":
            self._summary.append("\n\n")
            yield "summary", "\n\n"
        elif kind in ("response.created", "response.queued", "response.in_progress"):
            resp = data.get("response") or {}
            a.response_id = resp.get("id") or a.response_id
            a.model = resp.get("model") or a.model
        elif kind in ("response.completed", "response.incomplete", "response.failed"):
            self._sync()
            a.summary = a.summary.strip()
            self._summary = [a.summary] if a.summary else []
            read_response(data.get("response") or {}, a)
            if kind == "response.incomplete":
                a.status = "incomplete"
            elif kind == "response.failed":
                a.status = "failed"
                a.error = a.error or _api_error((data.get("response") or {}).get("error"), "the response failed")
        elif kind == "error":
            a.status = "failed"
            a.error = _api_error(
                data.get("error") if isinstance(data.get("error"), dict) else data, "the stream reported an error"
            )

    def _chat(self, event: str, data: dict[str, Any]) -> Iterator[tuple[str, str]]:
        a = self._answer
        if isinstance(data.get("error"), dict):
            a.status = "failed"
            a.error = _api_error(data["error"], "the stream reported an error")
            return
        a.response_id = data.get("id") or a.response_id
        a.model = data.get("model") or a.model
        a.service_tier = data.get("service_tier") or a.service_tier
        if data.get("usage"):
            a.usage, a.usage_known = Usage.from_api(data["usage"]), True
        for choice in data.get("choices") or []:
            delta = choice.get("delta") or {}
            for part in delta.get("tool_calls") or []:
                self._tool_call_delta(part)
            text = delta.get("content") or delta.get("refusal") or ""
            if text:
                self._parts.append(text)
                yield "text", text
            finish = choice.get("finish_reason")
            if finish:
                a.status = "incomplete" if finish in ("length", "content_filter") else "in_progress"
                if finish in ("length", "content_filter"):
                    a.incomplete_reason = "max_output_tokens" if finish == "length" else finish

    def _tool_call_delta(self, part: dict[str, Any]) -> None:
        """Chat streams a call in pieces: id, type and name first, then argument fragments,
        all under the call's ``index``."""
        calls = self._answer.tool_calls
        index = part.get("index", len(calls))
        while len(calls) <= index:
            calls.append({"id": "", "type": "function", "function": {"name": "", "arguments": ""}})
        call, fn = calls[index], part.get("function") or {}
        call["id"] = part.get("id") or call["id"]
        call["function"]["name"] += fn.get("name") or ""
        call["function"]["arguments"] += fn.get("arguments") or ""
