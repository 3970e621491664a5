"""A stream that survives a dropped connection: a background call streamed, and after a
cut streamed again from where it stopped (``GET /v1/responses/{id}?stream=true&
starting_after=N``, N the last sequence number seen). Every event is taken once, by its
sequence number, so nothing is shown twice and nothing is skipped."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from o4cli.core.ask.answer import Answer, Stream, read_response
from o4cli.core.ask.request import RESPONSES
from o4cli.core.background import PENDING, remote
from o4cli.core.background.hold import HeldInterrupt
from o4cli.core.errors import NetworkError, O4Error, WaitTimeout
from o4cli.core.http.api import Api

MAX_IDLE = 3  # reconnections in a row that bring nothing new, then give up (the call goes on)


def resume_delay(idle: int) -> float:
    """Seconds before reconnecting after ``idle`` connections in a row brought nothing new:
    at once after a cut that followed progress, then 0.5 s doubling to 8 s."""
    return 0.0 if idle <= 0 else min(0.5 * 2 ** (idle - 1), 8.0)


class Resumable(Stream):
    """``deltas()`` over as many connections as it takes; ``answer`` as for ``Stream``.

    A new call (``body``) is POSTed with Ctrl-C held until its id is known and
    ``on_id(answer, status)`` has recorded it; an existing one (``response_id``) is attached to.
    Ends when the answer does (completed, incomplete, failed, cancelled), or after
    ``max_idle`` fruitless reconnections with status ``cut`` (the call still running on the
    server), or past ``deadline`` (on ``clock``) with ``WaitTimeout``."""

    def __init__(
        self,
        api: Api,
        body: dict[str, Any] | None = None,
        *,
        response_id: str | None = None,
        on_id: Callable[[Answer, str], None] = lambda _a, _s: None,
        notice: Callable[[str], None] = lambda _m: None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        deadline: float | None = None,
        max_idle: int = MAX_IDLE,
    ) -> None:
        super().__init__(api, body or {}, RESPONSES)
        self.max_idle = max(1, max_idle)
        self.response_id = response_id
        self.on_id, self.notice, self.sleep, self.clock, self.deadline = on_id, notice, sleep, clock, deadline
        self.last: int | None = None  # the newest sequence number taken
        self.final: dict[str, Any] | None = None  # the response object of the terminal event
        self.connections = 0
        self._hold: HeldInterrupt | None = None
        self._stream_error: str | None = None
        if response_id:
            self._answer.response_id = response_id

    # ------------------------------------------------------------ per event

    def accept(self, data: dict[str, Any]) -> bool:
        if self.deadline is not None and self.clock() > self.deadline:
            raise self._timeout()
        seq = data.get("sequence_number")
        if isinstance(seq, int):
            if self.last is not None and seq <= self.last:
                return False  # seen on an earlier connection
            self.last = seq
        response = data.get("response")
        if isinstance(response, dict) and response.get("status") not in (*PENDING, None):
            self.final = response
        if self.response_id is None and isinstance(response, dict) and response.get("id"):
            self.response_id = self._answer.response_id = response["id"]
            self._answer.model = response.get("model") or self._answer.model
            self.on_id(self._answer, str(response.get("status") or "queued"))  # the ledger first
            if self._hold is not None:
                self._hold.release()  # a Ctrl-C that came while the id was on its way: now
        if data.get("type") == "error":
            # An error event ends this connection; the call itself may go on: ask it.
            self._stream_error = str(data.get("message") or (data.get("error") or {}).get("message") or "error event")
            return False
        return True

    def read(self, resp: Any) -> Any:
        self.connections += 1
        self._stream_error = None
        reason = yield from super().read(resp)
        return reason or self._stream_error

    # ------------------------------------------------------------ connections

    def deltas(self) -> Iterator[tuple[str, str]]:
        if self.response_id is None:
            with HeldInterrupt(self.notice) as self._hold:
                with self.api.stream("POST", "responses", json=self.body) as resp:
                    reason = yield from self.read(resp)
                self._hold.release()
            self._hold = None
        else:
            with remote.stream(self.api, self.response_id, None, self._read_timeout()) as resp:
                reason = yield from self.read(resp)
        yield from self._resume(reason)

    def _resume(self, reason: str | None) -> Iterator[tuple[str, str]]:
        idle = 0
        while self._answer.status == "in_progress":
            rid = self.response_id
            if rid is None:
                self._answer.status = "cut"
                self._answer.error = NetworkError(
                    f"the stream ended before the call's id arrived ({reason or 'no events'})",
                    hint="nothing to resume: run the prompt again",
                )
                return
            # A connection that ended on its own (or on an error event) rather than being
            # cut: has the call ended without a terminal event (cancelled, say)?
            if reason is None or self._stream_error or idle >= self.max_idle:
                yield from self._ended(rid)
                if self._answer.status != "in_progress":
                    return
            if self.deadline is not None and self.clock() > self.deadline:
                raise self._timeout()
            if idle >= self.max_idle:
                self._answer.status = "cut"
                self._answer.error = NetworkError(
                    f"the stream of {rid} could not be resumed ({reason or 'it kept ending early'})",
                    hint=f"the call goes on on the server: `o4 wait {rid}` gives its answer",
                )
                return
            why = (reason or "it ended early").split(":")[0]
            self.notice(f"the stream was cut ({why}); resuming after event {self.last}")
            self.sleep(resume_delay(idle))
            before = self.last
            try:
                with remote.stream(self.api, rid, self.last, self._read_timeout()) as resp:
                    reason = yield from self.read(resp)
            except O4Error as exc:  # the reconnection itself failed (after its retries)
                reason, self._stream_error = exc.message, None
            idle = 0 if self.last != before else idle + 1

    def _ended(self, rid: str) -> Iterator[tuple[str, str]]:
        """Ask the call itself; when it has ended, take its end from the response: the
        text not yet shown (as one last delta), the usage, the status."""
        try:
            body = remote.retrieve(self.api, rid)
        except O4Error:
            return
        if body.get("status") in PENDING:
            return
        self.final = body
        shown, final = "".join(self._parts), read_response(body)
        if final.text.startswith(shown) and len(final.text) > len(shown):
            rest = final.text[len(shown) :]
            self._parts.append(rest)
            yield "text", rest
        self._sync()
        read_response(body, self._answer)
        if self._answer.status == "in_progress":  # a final status o4 does not know
            self._answer.status = str(body.get("status"))

    def _read_timeout(self) -> float | None:
        return None if self.deadline is None else max(self.deadline - self.clock(), 0.1)

    def _timeout(self) -> WaitTimeout:
        rid = self.response_id or "the call"
        return WaitTimeout(
            f"{rid} has not finished within the timeout; it goes on running",
            hint=f"o4 wait {rid} later (or o4 cancel {rid})",
        )
