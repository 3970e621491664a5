"""A background call in the ledger: the job, written as soon as its id is known, and its
cost, written once when the final state is first seen (whoever sees it: ``wait``,
``jobs``, ``cancel`` or a resumed stream; of two processes racing, one)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from o4cli.core import budget, telemetry
from o4cli.core.ask import outcome
from o4cli.core.ask import request as req
from o4cli.core.ask.answer import Answer
from o4cli.core.background import KIND, PENDING
from o4cli.core.ledger import Job, record
from o4cli.core.runtime import Runtime

if TYPE_CHECKING:
    from o4cli.core.ask.session import AskResult

ENDPOINT = req.ENDPOINTS[req.RESPONSES]


def add(
    rt: Runtime, rid: str, status: str, opts: req.Options, *, command: str, stream: bool, schema: bool
) -> int | None:
    """Record a call the API has just accepted (its id known); returns the job's id."""
    status = status if status in PENDING else "in_progress"  # final only once settled, by what sees the end
    state = {"command": command, "stream": stream, "flex": opts.flex, "max_output": opts.max_output, "schema": schema}
    return record(
        rt,
        f"background call {rid} was",
        lambda ledger: ledger.add_job(
            kind=KIND, status=status, profile=rt.settings.profile, model=opts.model, endpoint=ENDPOINT,
            remote_id=rid, label=command, state=state, estimated_cost_usd=budget.held(),
        ),  # fmt: skip
    )


def options(job: Job | None, body: dict[str, Any]) -> req.Options:
    """The request's options as far as pricing and judging its answer need them."""
    state = job.state if job else {}
    return req.Options(
        model=(job.model if job else None) or body.get("model") or "o4-mini",
        flex=bool(state.get("flex")) or body.get("service_tier") == "flex",
        max_output=state.get("max_output") or body.get("max_output_tokens"),
        background=True,
    )


def seconds(body: dict[str, Any], fallback: float) -> float:
    """How long the call took on the server (``completed_at - created_at``), else ``fallback``."""
    start, end = body.get("created_at"), body.get("completed_at")
    if isinstance(start, int | float) and isinstance(end, int | float) and end >= start:
        return float(end - start)
    return fallback


def settle(rt: Runtime, job: Job | None, answer: Answer, took: float) -> AskResult:
    """Judge and price a call that has ended, exactly as ``ask`` would, and record its cost
    once: the job's final status and its request row in one transaction, only if no one
    did it first. A call o4 did not submit here is adopted as a job first."""
    from o4cli.core.ask.session import AskResult

    rid = answer.response_id
    opts = options(job, {"model": answer.model, "service_tier": answer.service_tier})
    usage = answer.usage
    pricing, amount = outcome.price(answer, usage, opts)
    if not answer.usage_known:
        amount = None  # the API gave no usage (a call cancelled while queued): unknown, not zero
    status, error = outcome.ending(answer, usage, opts)
    job_id = job.id if job else add(rt, str(rid), "in_progress", opts, command="wait", stream=False, schema=False)
    command = (job.state.get("command") if job else None) or "wait"
    row = {
        "command": command, "profile": rt.settings.profile, "model": answer.model or opts.model,
        "endpoint": ENDPOINT, "usage": usage, "cost_usd": amount, "pricing": pricing, "status": status,
        "response_id": rid, "duration_s": round(took, 3), "extra": {"error": error.message} if error else None,
        "unpriced": amount is None and answer.usage_known,  # billed, but o4 has no price for the model
    }  # fmt: skip
    if job_id is not None:
        record(
            rt,
            "this call was",
            lambda ledger: ledger.finish_job(
                job_id, status=answer.status, pending=PENDING, cost_usd=amount, request=row
            ),
        )
    telemetry.note_ask(rt, command, opts, took, answer=answer, usage=usage, cost_usd=amount, pricing=pricing,
                       error=error)  # fmt: skip
    schema = bool(job.state.get("schema")) if job else False
    return AskResult(answer, opts, usage, False, pricing, amount, took, schema, error, status=status)


def left_running(answer: Answer, opts: req.Options, took: float, rid: str) -> AskResult:
    """A streamed call that goes on on the server (cut for good, interrupted, its reader
    gone): nothing recorded yet; ``o4 wait`` (or ``jobs``) records its cost when it ends."""
    from o4cli.core.ask.session import AskResult
    from o4cli.core.cost import Usage
    from o4cli.core.errors import Interrupted

    error = answer.error
    if answer.status == "interrupted":
        kept = " (what arrived is on stdout)" if answer.text else ""
        error = Interrupted(
            f"interrupted; {rid} goes on running on the server{kept}",
            hint=f"o4 wait {rid} gives its answer and records its cost; o4 cancel {rid} stops it",
        )
    pricing = "flex" if opts.flex else "standard"
    return AskResult(answer, opts, Usage(), True, pricing, None, took, False, error, running=rid)
