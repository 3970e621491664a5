"""Background responses of the local OpenAI emulator (``tests/emulator.py``).

Wiring, like ``emulator_batch``: ``install(emu)`` in ``Emulator.__init__`` (routes once,
state cleared on every call), ``reset_state(emu)`` in ``Emulator.reset()``; and
``Emulator.create_response`` hands a body with ``background: true`` to ``create``.

Routes: ``GET /v1/responses/{id}`` (any stored response; a background one as it is *now*;
``?stream=true&starting_after=N`` streams a background response created with
``stream: true`` from the event after sequence number N, the whole stream without N) and
``POST /v1/responses/{id}/cancel``.

What the API documents (the background guide; spec ``getResponse``/``cancelResponse``) and
the emulator follows: background needs ``store`` (``store: false`` is refused with 400);
the create answer is the response ``queued``; it is polled while ``queued`` or
``in_progress``; a stream of one carries a ``sequence_number`` on every event and resumes
with ``starting_after``; only a response created with ``stream: true`` can be streamed
again; cancelling twice returns the final response. What is **unconfirmed** and chosen
here: the stream opens ``response.created`` (status queued) then ``response.queued``; the
wording of the 400s; cancelling a response that already ended answers 200 with it
unchanged; a cancelled response's ``usage`` is null when it was cancelled while queued and
covers what was generated when cancelled while in progress; the stream of a cancelled
response ends without a terminal event (the spec has no ``response.cancelled`` event).

Timing, on ``emu.clock`` (the wall clock unless the test freezes, advances or ticks it per
GET: ``tests.emulator.Clock``), read per response at its creation from ``emu.bg_timing``
(``{"queued": 0.05, "in_progress": 0.1}`` seconds): ``queued`` for [0, q), ``in_progress``
for [q, q+p), then the Script's final status (completed, incomplete, failed); cancel at
time c, while not ended: ``cancelled`` from c on. Streams do not wait for the clock: a
stream sends its events at once (``Script.delay`` apart), whatever the status says.

Faults: ``emu.fault(cut_after=N, path="/v1/responses")`` cuts the next matching stream
(the POST, or a resuming GET) after N text deltas, with no terminating chunk;
``times=2`` cuts two connections in a row.
"""

from __future__ import annotations

import json
import math
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests import emulator_batch as eb
from tests import fake_llm
from tests.fake_llm import Script

if TYPE_CHECKING:
    from tests.emulator import Emulator, Reply, Stream

DEFAULT_TIMING = {"queued": 0.05, "in_progress": 0.1}
PENDING = ("queued", "in_progress")
TERMINAL = ("response.completed", "response.incomplete", "response.failed")


@dataclass
class Background:
    """One background response and its timeline."""

    rid: str
    body: dict[str, Any]
    script: Script
    text: str
    t0: float  # emulator clock at creation
    created_at: int  # Unix time at creation
    queued: float
    running: float
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    wire: list[bytes] = field(default_factory=list)  # the events as sent, encoded once
    cancelled_at: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def streamable(self) -> bool:
        return bool(self.body.get("stream"))

    def status(self, now: float) -> str:
        if self.cancelled_at is not None:
            return "cancelled"
        if now >= self.t0 + self.queued + self.running:
            return self.script.status
        return "queued" if now < self.t0 + self.queued else "in_progress"

    def public(self, now: float) -> dict[str, Any]:
        status = self.status(now)
        if status in PENDING:
            obj = fake_llm.response_object(self.rid, self.script, self.body, "", status=status)
            obj.update(output=[], usage=None)
        elif status == "cancelled":
            obj = fake_llm.response_object(self.rid, self.script, self.body, "", status="cancelled")
            obj.update(output=[], usage=self._usage_until(self.cancelled_at or now))
        else:
            obj = fake_llm.response_object(self.rid, self.script, self.body, self.text)
            took = math.ceil(self.queued + self.running)
            obj["completed_at"] = self.created_at + took if status == "completed" else None
        obj.update(created_at=self.created_at, background=True, store=True)
        return obj

    def _usage_until(self, when: float) -> dict[str, Any] | None:
        """What a cancel at ``when`` leaves billed: nothing while queued, the share generated since."""
        if when < self.t0 + self.queued:
            return None
        full = fake_llm.response_object(self.rid, self.script, self.body, self.text)["usage"]
        share = 1.0 if self.running <= 0 else min(1.0, (when - self.t0 - self.queued) / self.running)
        out = int(full["output_tokens"] * share)
        reasoning = min(full["output_tokens_details"]["reasoning_tokens"], out)
        return {
            **full,
            "output_tokens": out,
            "output_tokens_details": {"reasoning_tokens": reasoning},
            "total_tokens": full["input_tokens"] + out,
        }


def install(emu: Emulator) -> None:
    """Add the background routes to ``emu`` (once) and clear their state."""
    if not eb.installed(emu):
        eb.install(emu)
    if not getattr(emu, "_background_installed", False):
        emu._background_installed = True  # type: ignore[attr-defined]
        emu.route("GET", r"/v1/responses/(?P<response_id>[^/]+)", eb._handler(emu, _get))
        emu.route("POST", r"/v1/responses/(?P<response_id>[^/]+)/cancel", eb._handler(emu, _cancel))
    reset_state(emu)


def reset_state(emu: Emulator) -> None:
    """Forget every background response; restore the default timing."""
    emu.background = {}  # type: ignore[attr-defined]
    emu.bg_timing = dict(DEFAULT_TIMING)  # type: ignore[attr-defined]


def _reply(status: int, body: Any) -> Reply:
    from tests.emulator import Reply  # lazy: tests.emulator imports this module

    return Reply(status, body)


def _error(status: int, message: str, param: str | None = None) -> Reply:
    from tests.emulator import api_error

    return api_error(status, message, "invalid_request_error", param=param)


def _not_found(rid: str) -> Reply:
    return _error(404, f"Response with id '{rid}' not found.", param="response_id")


def _events(rid: str, script: Script, body: dict[str, Any], text: str) -> list[tuple[str, dict[str, Any]]]:
    """The stream of a background answer: created (queued), queued, then as a foreground
    stream; every response object marked ``background``; sequence numbers from 0."""
    events = fake_llm.response_events(rid, script, body, text)
    kind, first = events[0]
    queued = {**first["response"], "status": "queued"}
    events = [(kind, {**first, "response": queued}), ("response.queued", {"type": "response.queued", "response": queued}), *events[1:]]
    out = []
    for seq, (kind, data) in enumerate(events):
        data = {**data, "sequence_number": seq}
        if isinstance(data.get("response"), dict):
            data["response"] = {**data["response"], "background": True, "store": True}
        out.append((kind, data))
    return out


def create(emu: Emulator, body: dict[str, Any], script: Script, rid: str, text: str) -> Reply | Stream:
    """``POST /v1/responses`` with ``background: true``."""
    if body.get("store") is False:
        return _error(400, "Background mode requires store=true.", param="store")
    timing = {**DEFAULT_TIMING, **emu.bg_timing}
    bg = Background(
        rid, body, script, text, emu.clock(), int(time.time()),
        max(0.0, float(timing["queued"])), max(0.0, float(timing["in_progress"])),
    )  # fmt: skip
    bg.events = _events(rid, script, body, text)
    bg.wire = [f"event: {k}\ndata: {json.dumps(d)}\n\n".encode() for k, d in bg.events]
    with emu.lock:
        emu.background[rid] = bg
        emu.responses[rid] = fake_llm.response_object(rid, script, body, text)  # previous_response_id finds it
    if body.get("stream"):
        return _stream(bg, script, after=None)
    return _reply(200, bg.public(emu.clock()))


def _stream(bg: Background, script: Script, after: int | None, *, cancelled: bool = False) -> Stream:
    """The events after sequence number ``after`` (all without it); a cancelled response's
    stream stops short of the terminal event."""
    from tests.emulator import Stream

    start = 0 if after is None else max(0, after + 1)  # sequence numbers are the events' indexes
    end = len(bg.events) - (1 if cancelled and bg.events[-1][0] in TERMINAL else 0)
    return Stream(script, bg.wire[start:end])


def _get(emu: Emulator, response_id: str, query: dict[str, str], **_: Any) -> Reply | Stream:
    bg = emu.background.get(response_id)
    if bg is None:
        stored = emu.responses.get(response_id)
        if stored is None:
            return _not_found(response_id)
        if query.get("stream") == "true":
            return _error(400, "Only responses created with background=true can be streamed again.", param="stream")
        return _reply(200, stored)
    emu.clock.read()
    now = emu.clock()
    if query.get("stream") != "true":
        with bg.lock:
            return _reply(200, bg.public(now))
    if not bg.streamable:
        return _error(400, "This response was not created with stream=true; it cannot be streamed.", param="stream")
    after = query.get("starting_after")
    try:
        n = int(after) if after not in (None, "") else None
    except ValueError:
        return _error(400, f"Invalid 'starting_after': {after!r}.", param="starting_after")
    with bg.lock:
        cancelled = bg.status(now) == "cancelled"
    neutral = Script(delay=bg.script.delay, chunk=bg.script.chunk)  # a resume has no scripted cut
    return _stream(bg, neutral, n, cancelled=cancelled)


def _cancel(emu: Emulator, response_id: str, **_: Any) -> Reply:
    bg = emu.background.get(response_id)
    if bg is None:
        if response_id in emu.responses:
            return _error(400, "Only responses created with background=true can be cancelled.", param="response_id")
        return _not_found(response_id)
    now = emu.clock()
    with bg.lock:
        if bg.status(now) in PENDING:
            bg.cancelled_at = now
        return _reply(200, bg.public(now))
