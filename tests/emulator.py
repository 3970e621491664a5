"""A local emulator of the OpenAI API for o4's tests, on 127.0.0.1.

It keeps state (models today; responses, files, batches, fine-tuning jobs and the
organization's usage and costs (tests/emulator_usage.py) as
later commands need them), logs every request it receives (the contract fixture
checks each against OpenAI's OpenAPI spec), and injects faults on demand::

    emu.fault(status=429, headers={"Retry-After": "1"})   # next request gets a 429
    emu.fault(garbage=True, times=2)                       # two bodies that are not JSON
    emu.fault(delay=3.0, path="/v1/models")                # a slow answer
    emu.fault(cut_after=3, path="/v1/responses", times=2)  # two streams cut mid-way

Faults are consumed in order by the requests they match (method and path prefix).
A delayed request still waiting when ``reset()`` is called (the next test) is dropped
unanswered: it never reaches another test's state. ``emu.wait_idle()`` waits until every
request received so far has been answered (instead of sleeping "long enough").
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests import emulator_background, emulator_batch, emulator_finetune, emulator_usage, fake_llm
from tests.contract import RecordedRequest
from tests.fake_llm import Script

TEST_KEY = "sk-test-o4cli-0123456789abcdefSECRET"

MODELS = [
    {"id": "o4-mini", "object": "model", "created": 1744225351, "owned_by": "system"},
    {"id": "o4-mini-2025-04-16", "object": "model", "created": 1744133301, "owned_by": "system"},
    {"id": "gpt-4.1-mini", "object": "model", "created": 1744318173, "owned_by": "system"},
    {"id": "o3", "object": "model", "created": 1744225308, "owned_by": "system", "shutdown_date": "2026-12-11"},
    {"id": "gpt-5-mini", "object": "model", "created": 1754425928, "owned_by": "system", "shutdown_date": None},
]


@dataclass
class Fault:
    """What to do to the next matching request instead of (or before) answering it."""

    status: int | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    garbage: bool = False
    delay: float = 0.0
    cut_after: int | None = None  # a stream: close the connection after N text deltas
    times: int = 1
    method: str | None = None
    path: str | None = None

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path is None or path.startswith(self.path)
        )


class Clock:
    """The time batches and fine-tuning jobs live by (``emu.clock()``, in seconds).

    The wall clock's ``time.monotonic()`` until a test takes it over: ``freeze()`` stops
    it, ``advance(s)`` moves it on (freezing it first), and ``tick_on_read = s`` freezes it
    and from then on moves it ``s`` at each GET of one batch or one fine-tuning job, before
    the answer: a client that polls then sees every phase and step in order, however slow
    the machine or the client's start-up. ``reset()`` gives every test a new wall clock.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frozen: float | None = None
        self._tick = 0.0

    @property
    def tick_on_read(self) -> float:
        return self._tick

    @tick_on_read.setter
    def tick_on_read(self, seconds: float) -> None:
        if seconds:
            self.freeze()
        self._tick = seconds

    def __call__(self) -> float:
        frozen = self._frozen
        return time.monotonic() if frozen is None else frozen

    @property
    def frozen(self) -> bool:
        return self._frozen is not None

    def freeze(self) -> None:
        with self._lock:
            if self._frozen is None:
                self._frozen = time.monotonic()

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._frozen = (time.monotonic() if self._frozen is None else self._frozen) + seconds

    def read(self) -> None:
        """A GET of one batch or job: with ``tick_on_read`` set, time moves on now."""
        if self._tick:
            self.advance(self._tick)


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def api_error(status: int, message: str, type_: str, code: str | None = None, param: str | None = None) -> Reply:
    return Reply(status, {"error": {"message": message, "type": type_, "param": param, "code": code}})


class RateLimiter:
    """Two token buckets (requests and tokens a minute) refilled continuously, as the
    API's limits behave; counts the 429s it gives."""

    def __init__(self, rpm: int, tpm: int, burst: float | None = None) -> None:
        self.rpm, self.tpm = rpm, tpm
        # bucket sizes: a minute's worth, like the API, unless a test asks for less
        self.cap_requests = max(1.0, rpm * burst) if burst else float(rpm)
        self.cap_tokens = max(1.0, tpm * burst) if burst else float(tpm)
        self.requests, self.tokens = self.cap_requests, self.cap_tokens
        self.stamp = time.monotonic()
        self.lock = threading.Lock()
        self.refused = 0
        self.served = 0

    def _refill(self) -> None:
        now = time.monotonic()
        dt, self.stamp = now - self.stamp, now
        self.requests = min(self.cap_requests, self.requests + dt * self.rpm / 60)
        self.tokens = min(self.cap_tokens, self.tokens + dt * self.tpm / 60)

    def take(self, cost: int) -> Reply | None:
        with self.lock:
            self._refill()
            if self.requests >= 1 and self.tokens >= cost:
                self.requests -= 1
                self.tokens -= cost
                self.served += 1
                return None
            self.refused += 1
            if self.requests < 1:
                wait, kind, limit, used = (1 - self.requests) * 60 / self.rpm, "requests per min (RPM)", self.rpm, self.rpm - int(self.requests)
            else:
                wait, kind, limit, used = (cost - self.tokens) * 60 / self.tpm, "tokens per min (TPM)", self.tpm, self.tpm - int(self.tokens)
            message = (
                f"Rate limit reached for o4-mini in organization org-test on {kind}: Limit {limit}, "
                f"Used {used}, Requested {cost if 'TPM' in kind else 1}. Please try again in {wait:.3f}s."
            )
            reply = api_error(429, message, "tokens" if "TPM" in kind else "requests", "rate_limit_exceeded")
            reply.headers = {"retry-after-ms": str(int(wait * 1000) + 1), "Retry-After": str(max(1, round(wait))), **self.headers_locked()}
            return reply

    def headers_locked(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit-requests": str(self.rpm),
            "x-ratelimit-remaining-requests": str(int(self.requests)),
            "x-ratelimit-reset-requests": f"{max(0.0, (self.cap_requests - self.requests) * 60 / self.rpm):.3f}s",
            "x-ratelimit-limit-tokens": str(self.tpm),
            "x-ratelimit-remaining-tokens": str(int(self.tokens)),
            "x-ratelimit-reset-tokens": f"{max(0.0, (self.cap_tokens - self.tokens) * 60 / self.tpm):.3f}s",
        }

    def headers(self) -> dict[str, str]:
        with self.lock:
            return self.headers_locked()


@dataclass
class Stream:
    script: Script
    events: list[bytes]


Route = tuple[str, re.Pattern[str], Callable[..., Reply]]


class Emulator:
    """The emulated API: routes, state, faults and a request log."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.busy = threading.Condition()  # guards in_flight
        self.in_flight = 0
        self.dropped = threading.Event()  # set by reset(): delayed requests give up
        self.keys = {TEST_KEY}
        self.routes: list[Route] = []
        self._ids = itertools.count(1)
        self.reset()
        self.route("GET", r"/v1/models", self.list_models)
        self.route("GET", r"/v1/models/(?P<model>[^/]+)", self.get_model)
        self.route("POST", r"/v1/responses", self.create_response)
        self.route("POST", r"/v1/chat/completions", self.create_chat)
        emulator_batch.install(self)  # files and batches
        emulator_finetune.install(self)  # fine-tuning jobs, events, checkpoints, graders
        emulator_background.install(self)  # background responses: GET, cancel, resumed streams
        emulator_usage.install(self)  # the organization's Usage and Costs APIs
        self.server: ThreadingHTTPServer | None = None

    # ---------------------------------------------------------------- control

    def reset(self) -> None:
        self.dropped.set()  # delayed requests of an earlier test end unanswered
        self.dropped = threading.Event()
        with self.lock:
            self.faults: list[Fault] = []
            self.log: list[RecordedRequest] = []
            self.received_at: list[float] = []
            self.models = [dict(m) for m in MODELS]
            self.scripts: list[Script] = []
            self.responses: dict[str, dict[str, Any]] = {}
            self.conversations: dict[str, dict[str, Any]] = {}  # response id -> its prompt and tool rounds
            self.issued: set[str] = set()  # encrypted reasoning contents handed out
            self.limiter: RateLimiter | None = None
            self.clock = Clock()
            # models the API no longer serves: responses/chat answer 404 model_not_found
            self.retired: set[str] = set()
            # an Azure-style server: the key in this header (not Authorization: Bearer),
            # and these query parameters on every request
            self.auth_header = "Authorization"
            self.required_query: dict[str, str] = {}
        if hasattr(self, "files"):
            emulator_batch.reset_state(self)
        if hasattr(self, "ft_jobs") or hasattr(self, "ft_timing"):
            emulator_finetune.reset_state(self)
        if hasattr(self, "background"):
            emulator_background.reset_state(self)
        if hasattr(self, "usage_records"):
            emulator_usage.reset_state(self)

    def fault(self, **kwargs: Any) -> Fault:
        f = Fault(**kwargs)
        with self.lock:
            self.faults.append(f)
        return f

    def answer(self, **kwargs: Any) -> Script:
        """Queue how the model answers the next responses/chat request."""
        script = Script(**kwargs)
        with self.lock:
            self.scripts.append(script)
        return script

    def bodies(self, path: str = "") -> list[dict[str, Any]]:
        """The JSON bodies of the logged requests to ``path`` (prefix)."""
        return [json.loads(r.body) for r in self.log if r.path.startswith(path) and r.body[:1] == b"{"]

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Block until every request received so far has been answered (or dropped)."""
        with self.busy:
            if not self.busy.wait_for(lambda: self.in_flight == 0, timeout):
                busy = self.in_flight
                raise AssertionError(f"the emulator is still answering {busy} request(s) after {timeout} s")

    def route(self, method: str, pattern: str, handler: Callable[..., Reply]) -> None:
        self.routes.append((method, re.compile(pattern + r"$"), handler))

    def next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):06d}"

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> Emulator:
        emu = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out at once (no 40 ms ACK wait)

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _handle(self) -> None:
                emu.handle(self)

            do_GET = do_POST = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    # ---------------------------------------------------------------- serving

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for f in self.faults:
                if f.matches(method, path):
                    f.times -= 1
                    if f.times <= 0:
                        self.faults.remove(f)
                    return f
        return None

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        with self.busy:
            self.in_flight += 1
        try:
            self._handle(h)
        finally:
            with self.busy:
                self.in_flight -= 1
                self.busy.notify_all()

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        if len(body) < length:
            # The client went away mid-send (a killed process): no request arrived, as a real
            # server would see it; nothing to log, answer or check against the contract.
            h.close_connection = True
            return
        path = h.path
        with self.lock:
            self.log.append(RecordedRequest(h.command, path, dict(h.headers.items()), body))
            self.received_at.append(time.monotonic())
            dropped = self.dropped
        request_id = self.next_id("req_")
        bare = path.split("?", 1)[0]
        fault = self._take_fault(h.command, bare)
        if fault and fault.delay and dropped.wait(fault.delay):
            h.close_connection = True  # reset() came first: this test is over
            return
        if fault and fault.garbage:
            return self._send(h, 200, b"<html>502 Bad Gateway</html>garbage{", request_id, {"Content-Type": "text/html"})
        if fault and fault.status:
            reply = Reply(fault.status, fault.body if fault.body is not None else _default_error(fault.status), fault.headers)
        else:
            reply = self._dispatch(h, bare, body)
        if isinstance(reply, Stream):
            return self._send_stream(h, reply, request_id, cut_after=fault.cut_after if fault else None)
        data = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
        self._send(h, reply.status, data, request_id, {"Content-Type": "application/json", **reply.headers})

    def _dispatch(self, h: BaseHTTPRequestHandler, path: str, body: bytes) -> Reply:
        if self.auth_header == "Authorization":
            key = h.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        else:
            key = (h.headers.get(self.auth_header) or "").strip()
            if h.headers.get("Authorization"):
                return api_error(401, "Send the key in the api-key header, not Authorization.", "invalid_request_error", "invalid_api_key")
        if self.required_query:
            from urllib.parse import parse_qs, urlsplit

            query = {k: v[-1] for k, v in parse_qs(urlsplit(h.path).query).items()}
            for name, value in self.required_query.items():
                if query.get(name) != value:
                    return api_error(400, f"Missing or wrong query parameter {name} (expected {value}).", "invalid_request_error", param=name)
        if key not in self.keys:
            # Like the real API, the message names the key (the real one masks most
            # of it; this one does not, so tests can prove o4 redacts it).
            return api_error(401, f"Incorrect API key provided: {key}.", "invalid_request_error", "invalid_api_key")
        for method, pattern, handler in self.routes:
            m = pattern.match(path)
            if m and method == h.command:
                payload = None
                if body and "json" in (h.headers.get("Content-Type") or ""):
                    try:
                        payload = json.loads(body)
                    except ValueError:
                        return api_error(400, "We could not parse the JSON body of your request.", "invalid_request_error")
                return handler(payload=payload, raw=body, headers=h.headers, **m.groupdict())
        return api_error(404, f"Invalid URL ({h.command} {path})", "invalid_request_error")

    def _send(self, h: BaseHTTPRequestHandler, status: int, data: bytes, request_id: str, headers: dict[str, str]) -> None:
        try:
            h.send_response(status)
            h.send_header("Content-Length", str(len(data)))
            h.send_header("x-request-id", request_id)
            if "x-ratelimit-limit-requests" not in headers:
                h.send_header("x-ratelimit-limit-requests", "1000")
                h.send_header("x-ratelimit-remaining-requests", "999")
            for k, v in headers.items():
                h.send_header(k, v)
            h.end_headers()
            h.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _send_stream(self, h: BaseHTTPRequestHandler, stream: Stream, request_id: str, cut_after: int | None = None) -> None:
        """Server-Sent Events, chunked; after ``cut_after`` text deltas (the fault's, else the
        script's) the connection drops (no terminating chunk), after ``end_after`` the stream
        ends cleanly but unfinished."""
        script = stream.script
        cut = cut_after if cut_after is not None else script.cut_after
        try:
            h.send_response(200)
            h.send_header("Content-Type", "text/event-stream")
            h.send_header("Transfer-Encoding", "chunked")
            h.send_header("x-request-id", request_id)
            h.end_headers()
            deltas = 0
            for event in stream.events:
                if cut is not None and deltas >= cut:
                    h.wfile.flush()
                    h.close_connection = True
                    h.connection.shutdown(2)  # mid-stream: no terminating chunk
                    return
                if script.end_after is not None and deltas >= script.end_after:
                    break  # a complete HTTP answer whose stream never says it is done
                if script.error_event_after is not None and deltas >= script.error_event_after:
                    event = b'event: error\ndata: {"type":"error","code":"server_error","message":"The server had an error while streaming.","param":null,"sequence_number":99}\n\n'
                    script.error_event_after = None
                    h.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
                    break
                h.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
                if b"output_text.delta" in event[:40] or b'"content"' in event:
                    deltas += 1
                if script.delay:
                    h.wfile.flush()
                    time.sleep(script.delay)
            h.wfile.write(b"0\r\n\r\n")
            h.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass

    # ---------------------------------------------------------------- routes

    def _script(self) -> Script:
        with self.lock:
            return self.scripts.pop(0) if self.scripts else Script()

    def rate_limit(self, rpm: int, tpm: int, burst: float | None = None) -> RateLimiter:
        """Enforce RPM and TPM on responses/chat like the API: 429s with Retry-After.
        ``burst`` (a fraction of a minute) shrinks the buckets, so tests meet 429s fast."""
        self.limiter = RateLimiter(rpm, tpm, burst)
        return self.limiter

    def _limited(self, body: dict[str, Any], chat: bool) -> Reply | None:
        """A 429 when over the limits; else None, with the headers kept for the reply."""
        if self.limiter is None:
            return None
        cap = body.get("max_completion_tokens" if chat else "max_output_tokens") or 0
        cost = len(json.dumps(body.get("messages" if chat else "input"))) // 4 + int(cap)
        return self.limiter.take(cost)

    def _rl_headers(self) -> dict[str, str]:
        return self.limiter.headers() if self.limiter else {}

    def _retired(self, body: dict[str, Any]) -> Reply | None:
        model = body.get("model")
        if model in self.retired:
            return api_error(404, f"The model `{model}` does not exist or you do not have access to it.", "invalid_request_error", "model_not_found")
        return None

    def create_response(self, payload: dict[str, Any] | None, headers: Any = None, **_: Any) -> Reply | Stream:
        body = payload or {}
        refused = self._retired(body) or self._limited(body, chat=False)
        if refused:
            return refused
        prev = body.get("previous_response_id")
        if prev and prev not in self.responses:
            # what the API answers for a response sent with store=false, deleted, or past its 30 days
            return api_error(400, f"Previous response with id '{prev}' not found.", "invalid_request_error", "previous_response_not_found", "previous_response_id")
        bad = self._bad_reasoning_input(body)
        if bad:
            return bad
        script = self._script()
        rid = self.next_id("resp_")
        if body.get("background"):  # the background emulation makes no tool calls
            return emulator_background.create(self, body, script, rid, fake_llm.answer_text(script, body, chat=False))
        text, items, conversation = self._turn(body, script, prev)
        obj = fake_llm.response_object(rid, script, body, text, items=items)
        with self.lock:
            self.issued.add(fake_llm.encrypted(rid))
            if body.get("store", True) is not False:  # store=false: nothing kept to chain from
                self.responses[rid] = obj
        self.conversations[rid] = conversation
        emulator_usage.note(self, headers, obj["model"], obj["usage"], service_tier=obj.get("service_tier"))
        if body.get("stream"):
            events = [
                f"event: {kind}\ndata: {json.dumps(data)}\n\n".encode()
                for kind, data in fake_llm.response_events(rid, script, body, text, items)
            ]
            return Stream(script, events)
        return Reply(200, obj, self._rl_headers())

    def _bad_reasoning_input(self, body: dict[str, Any]) -> Reply | None:
        """Reasoning items sent back as input must carry encrypted content this server issued
        (with store=false there is nothing to look them up by id)."""
        items = body.get("input") if isinstance(body.get("input"), list) else []
        for item in items:
            if isinstance(item, dict) and item.get("type") == "reasoning":
                content = item.get("encrypted_content")
                if content not in self.issued and item.get("id", "").replace("rs_", "resp_") not in self.responses:
                    return api_error(400, "The encrypted content for item could not be verified.", "invalid_request_error", "invalid_encrypted_content", "input")
        return None

    def forget(self) -> None:
        """Drop every stored response, as the API does after 30 days (chains from them then fail)."""
        with self.lock:
            self.responses.clear()

    def create_chat(self, payload: dict[str, Any] | None, headers: Any = None, **_: Any) -> Reply | Stream:
        body = payload or {}
        refused = self._retired(body) or self._limited(body, chat=True)
        if refused:
            return refused
        script = self._script()
        cid = self.next_id("chatcmpl-")
        text = fake_llm.answer_text(script, body, chat=True)
        calls = None
        messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
        if script.text is None:
            rounds = sum(1 for m in messages if m.get("role") == "assistant" and m.get("tool_calls"))
            turns = fake_llm.call_lines(fake_llm.prompt_text(body, chat=True)) if body.get("tools") else []
            if rounds < len(turns):
                calls, text = fake_llm.chat_tool_calls(turns[rounds], self.next_id), ""
            elif rounds:
                last = max(i for i, m in enumerate(messages) if m.get("role") == "assistant")
                text = "Tool said: " + "; ".join(fake_llm.tool_outputs(messages[last + 1 :]))
        billed = fake_llm.chat_object(cid, script, body, text, calls)
        emulator_usage.note(self, headers, billed["model"], billed["usage"], service_tier=billed.get("service_tier"))
        if body.get("stream"):
            chunks = fake_llm.chat_chunks(cid, script, body, text, calls)
            events = [f"data: {json.dumps(c)}\n\n".encode() for c in chunks]
            events.append(b"data: [DONE]\n\n")
            return Stream(script, events)
        return Reply(200, fake_llm.chat_object(cid, script, body, text, calls), self._rl_headers())

    def _turn(self, body: dict[str, Any], script: Script, prev: str | None) -> tuple[str, list[dict[str, Any]], dict[str, Any]]:
        """One Responses turn: the answer's text and the tool-call items it makes (fake_llm's
        CALL markers), from the conversation so far (previous_response_id links it). Calls
        that run on OpenAI's side (code interpreter, an MCP call needing no approval) are
        answered within the same response, as the API does."""
        previous = self.responses.get(prev) if prev else None
        root = self.conversations.get(prev) if prev else None
        prompt = root["prompt"] if root else fake_llm.prompt_text(body, chat=False)
        inputs = body.get("input") if isinstance(body.get("input"), list) else []
        outputs = fake_llm.tool_outputs(inputs)
        rounds = (root["rounds"] if root else 0) + (1 if outputs else 0)
        text, items = fake_llm.answer_text(script, body, chat=False), []
        if script.text is None:
            items = fake_llm.approved_mcp_items(body, previous, self.next_id)
            if items:
                outputs = [i["output"] for i in items]
            turns = fake_llm.call_lines(prompt) if body.get("tools") else []
            waiting = False
            while rounds < len(turns) and not waiting:
                made = fake_llm.call_items(turns[rounds], body, self.next_id)
                items += made
                waiting = any(i["type"] in ("function_call", "mcp_approval_request") for i in made)
                if not waiting:  # run on OpenAI's side: their outputs are this turn's
                    rounds += 1
                    outputs = [i.get("output") or "\n".join(o.get("logs", "") for o in i.get("outputs") or []) for i in made]
            if waiting:
                text = ""
            elif outputs:
                text = "Tool said: " + "; ".join(outputs)
        return text, items, {"prompt": prompt, "rounds": rounds}

    def list_models(self, **_: Any) -> Reply:
        return Reply(200, {"object": "list", "data": self.models})

    def get_model(self, model: str, **_: Any) -> Reply:
        for m in self.models:
            if m["id"] == model:
                return Reply(200, m)
        return api_error(
            404,
            f"The model '{model}' does not exist or you do not have access to it.",
            "invalid_request_error",
            "model_not_found",
        )


def _default_error(status: int) -> dict[str, Any]:
    if status == 429:
        return {
            "error": {
                "message": "Rate limit reached for o4-mini in organization org-test on requests per min (RPM): "
                "Limit 3, Used 3, Requested 1.",
                "type": "requests",
                "param": None,
                "code": "rate_limit_exceeded",
            }
        }
    if status >= 500:
        return {"error": {"message": "The server had an error while processing your request.", "type": "server_error", "param": None, "code": None}}
    return {"error": {"message": f"Error {status}", "type": "invalid_request_error", "param": None, "code": None}}
