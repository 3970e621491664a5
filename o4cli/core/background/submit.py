"""``o4 ask --background`` and ``o4 stream --background``: send the call to run on the
server, write its id to the ledger before anything else can fail, and hand the id back.

``stream --background`` creates the call with ``stream: true`` too (only such a call can be
streamed again by ``o4 wait --stream``): it reads the stream just until the id arrives and
then lets the connection go; the call goes on. (Reported, unconfirmed: a stream dropped at
the very first event has been seen to leave a call queued for good; ``o4 wait --timeout``
bounds such a wait.)"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from o4cli.core import jsonload
from o4cli.core.ask import request as req
from o4cli.core.ask.answer import Answer, read_response
from o4cli.core.background import record
from o4cli.core.background.hold import HeldInterrupt
from o4cli.core.errors import NetworkError, ServerError
from o4cli.core.runtime import Runtime


@dataclass
class Submitted:
    """A background call the API has accepted."""

    response_id: str
    status: str  # as the API said: queued, in_progress (or already final)
    model: str
    pricing: str  # standard or flex (what the API says, else what was asked)
    stream: bool  # created with stream: true (o4 wait --stream can attach)
    interrupted: bool = False  # Ctrl-C came while it was being sent: the id was kept first


def create(
    rt: Runtime, body: dict[str, Any], opts: req.Options, *, command: str, streaming: bool, schema: bool
) -> Submitted:
    """POST the call (background, store, and stream when ``streaming``); the ledger gets
    its id at once. A Ctrl-C meanwhile is held until then (``interrupted``). Raises what
    the POST raised, so the caller's fallbacks (flex capacity, ...) apply."""
    interrupted = False
    with HeldInterrupt(rt.notice) as hold:
        if streaming:
            answer, status = _first_event(rt, body)
        else:
            data = rt.api.request_json("POST", "responses", json=body)
            if not isinstance(data, dict) or not data.get("id"):
                raise ServerError("POST /v1/responses answered with something not a response object")
            answer, status = read_response(data), str(data.get("status") or "queued")
        record.add(rt, str(answer.response_id), status, opts, command=command, stream=streaming, schema=schema)
        try:
            hold.release()
        except KeyboardInterrupt:
            interrupted = True
    tier = answer.service_tier or ("flex" if opts.flex else None)
    return Submitted(
        response_id=str(answer.response_id),
        status=status,
        model=answer.model or opts.model,
        pricing="flex" if tier == "flex" else "standard",
        stream=streaming,
        interrupted=interrupted,
    )


def _first_event(rt: Runtime, body: dict[str, Any]) -> tuple[Answer, str]:
    """Open the stream, read until the id arrives, let the connection go."""
    import httpx
    from httpx_sse import EventSource

    with rt.api.stream("POST", "responses", json=body) as resp:
        try:
            for sse in EventSource(resp).iter_sse():
                try:
                    data = jsonload.loads(sse.data)
                except ValueError:
                    continue
                response = data.get("response") if isinstance(data, dict) else None
                if isinstance(response, dict) and response.get("id"):
                    answer = Answer(response_id=response["id"], model=response.get("model"))
                    answer.service_tier = response.get("service_tier")
                    return answer, str(response.get("status") or "queued")
        except httpx.TransportError as exc:
            reason = f"{type(exc).__name__}: {exc}"
        else:
            reason = "the stream ended"
    raise NetworkError(
        f"the call was sent but its id never arrived ({reason})",
        hint="it may be running without o4 knowing its id; try again",
    )
