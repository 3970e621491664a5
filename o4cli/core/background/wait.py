"""``o4 wait [ID]``: the answer of a background call, exactly as ``ask`` would give it.

It polls with backoff until the call ends (``--timeout`` bounds the wait: exit 124, the
call goes on), or with ``--stream`` attaches to its stream and resumes after a cut. The
cost is recorded once, by whichever o4 sees the end first."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from o4cli.core.ask.answer import read_response
from o4cli.core.background import FINAL, KIND, PENDING, poll, record, remote
from o4cli.core.background.resume import Resumable
from o4cli.core.errors import ApiError, Interrupted, LedgerError
from o4cli.core.ledger import Job, resolve_id
from o4cli.core.runtime import Runtime

if TYPE_CHECKING:
    from o4cli.core.ask.session import AskResult, Display


@dataclass(frozen=True)
class WaitOptions:
    response_id: str | None = None  # None: the profile's newest background call
    stream: bool = False
    timeout: float | None = None
    interval: float = 1.0  # the first pause between polls; grows by half each time to 15 s


def resolve(rt: Runtime, given: str | None) -> str:
    rid = resolve_id(rt, KIND, given, noun="background call", hint="o4 jobs lists them; o4 ask --background starts one")
    remote.path(rid)  # the id's shape, checked before anything is sent
    return rid


def job_of(rt: Runtime, rid: str) -> Job | None:
    """The ledger's job for a call (None when o4 did not submit it here)."""
    try:
        return rt.ledger.job_by_remote(rid)
    except LedgerError:
        return None


def wait(
    rt: Runtime,
    o: WaitOptions,
    display: Callable[[bool], Display],
    on_update: Callable[[dict[str, Any]], None] = lambda _r: None,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> AskResult:
    rid = resolve(rt, o.response_id)
    job = job_of(rt, rid)
    started = clock()
    deadline = None if o.timeout is None else started + o.timeout
    try:
        body = remote.retrieve(rt.api, rid)
        on_update(body)
        if body.get("status") in PENDING and o.stream:
            if job is not None and not job.state.get("stream"):
                rt.notice(f"{rid} was submitted without streaming; waiting for the whole answer")
            else:
                streamed = _stream(rt, rid, job, display, deadline, clock, sleep, started)
                if streamed is not None:
                    return streamed
        if body.get("status") in PENDING:
            body = poll.until_final(
                lambda: remote.retrieve(rt.api, rid), interval=o.interval, deadline=deadline, timeout=o.timeout,
                on_update=on_update, clock=clock, sleep=sleep,
            )  # fmt: skip
    except KeyboardInterrupt:
        raise Interrupted(
            f"interrupted; {rid} goes on running on the server", hint=f"o4 wait {rid} later (or o4 cancel {rid})"
        ) from None
    return record.settle(rt, job, read_response(body), record.seconds(body, clock() - started))


def _stream(
    rt: Runtime,
    rid: str,
    job: Job | None,
    display: Callable[[bool], Display],
    deadline: float | None,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    started: float,
) -> AskResult | None:
    """Attach to the call's stream (resuming after cuts); None when it cannot be streamed."""
    stream = Resumable(
        rt.api, response_id=rid, notice=rt.notice, sleep=sleep, clock=clock, deadline=deadline,
        max_idle=rt.settings.max_retries + 1,
    )  # fmt: skip
    view = display(True)
    answer = stream.answer
    try:
        for kind, delta in stream.deltas():
            view.text(delta) if kind == "text" else view.summary(delta)
    except ApiError as exc:
        if stream.connections or exc.status != 400:
            raise
        view.close()
        rt.notice(f"{rid} cannot be streamed ({exc.message}); waiting for the whole answer")
        return None
    except KeyboardInterrupt:
        answer.status = "interrupted"
    except BrokenPipeError:
        answer.status, answer.reader_gone = "interrupted", True
    finally:
        if not answer.reader_gone:
            view.close()
    answer = stream.answer
    answer.streamed = True
    took = clock() - started
    if answer.status in FINAL:
        return record.settle(rt, job, answer, record.seconds(stream.final or {}, took))
    return record.left_running(answer, record.options(job, {}), took, rid)
