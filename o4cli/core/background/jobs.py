"""``o4 jobs`` (the profile's background calls, their status asked of the API while they
run) and ``o4 cancel ID``. A call seen ended here for the first time has its cost recorded
here, once, as ``wait`` would."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from o4cli.core.ask.answer import read_response
from o4cli.core.background import KIND, PENDING, record, remote
from o4cli.core.background.wait import job_of
from o4cli.core.errors import O4Error
from o4cli.core.ledger import Job
from o4cli.core.ledger import record as record_ledger
from o4cli.core.runtime import Runtime


@dataclass
class Listed:
    """One background call as ``jobs`` and ``cancel`` show it."""

    response_id: str
    status: str
    command: str
    model: str | None
    pricing: str
    created_at: str  # when o4 submitted it (ledger time, UTC)
    cost_usd: Decimal | None  # recorded once it ended
    recorded: bool  # its cost is in the ledger
    problem: str | None = None  # why its status could not be asked now


def _listed(job: Job, status: str, cost: Decimal | None, *, recorded: bool, problem: str | None = None) -> Listed:
    return Listed(
        response_id=str(job.remote_id),
        status=status,
        command=str(job.state.get("command") or job.label or "ask"),
        model=job.model,
        pricing="flex" if job.state.get("flex") else "standard",
        created_at=job.created_at,
        cost_usd=cost,
        recorded=recorded,
        problem=problem,
    )


def _refresh(rt: Runtime, job: Job, body: dict[str, Any]) -> Listed:
    """Bring one job up to what the API says: a call that ended is settled (once)."""
    status = str(body.get("status") or job.status)
    if status in PENDING:
        if status != job.status:
            record_ledger(rt, "the call's status was", lambda ledger: ledger.update_job(job.id, status=status))
        return _listed(job, status, None, recorded=False)
    settled = record.settle(rt, job, read_response(body), record.seconds(body, 0.0))
    fresh = job_of(rt, str(job.remote_id)) or job
    if fresh.status in PENDING:  # the ledger could not be written (warned): what was priced now
        return _listed(fresh, status, settled.cost_usd, recorded=False)
    return _listed(fresh, fresh.status, fresh.cost_usd, recorded=True)


def list_jobs(rt: Runtime, limit: int) -> list[Listed]:
    """The profile's newest background calls; those still running are asked about."""
    jobs = [j for j in rt.ledger.jobs(KIND) if j.profile == rt.settings.profile and j.remote_id][:limit]
    rows = []
    for job in jobs:
        if job.status not in PENDING:
            rows.append(_listed(job, job.status, job.cost_usd, recorded=True))
            continue
        try:
            body = remote.retrieve(rt.api, str(job.remote_id))
        except O4Error as exc:
            rows.append(_listed(job, job.status, None, recorded=False, problem=exc.message))
            continue
        rows.append(_refresh(rt, job, body))
    return rows


def cancel(rt: Runtime, response_id: str) -> Listed:
    """Cancel a call; the answer (cancelled, or already ended) is settled like any end."""
    remote.path(response_id)
    body = remote.cancel(rt.api, response_id)
    job = job_of(rt, response_id)
    if job is None and body.get("status") not in PENDING:
        record.settle(rt, None, read_response(body), record.seconds(body, 0.0))  # adopted: a job now
        job = job_of(rt, response_id)
    if job is None:
        tier = "flex" if body.get("service_tier") == "flex" else "standard"
        return Listed(response_id, str(body.get("status")), "-", body.get("model"), tier, "-", None, False)
    return _refresh(rt, job, body)
