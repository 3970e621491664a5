"""Jobs that exist: ``o4 finetune status`` (and ``--watch``), ``list``, ``events`` (and
``--follow``), ``checkpoints``, ``cancel``/``pause``/``resume``; and the watch that
``create --wait`` shares.

Each use case resolves the job id (none given: the selected profile's newest job in the
ledger), asks the API, keeps the ledger's row in step, and returns what it found; a
job that did not succeed while watched is an ``error`` the command raises after
showing the job (exit 1).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from o4cli.core.errors import ApiError, Interrupted, O4Error
from o4cli.core.finetune import jobs
from o4cli.core.ledger import record, resolve_id
from o4cli.core.runtime import Runtime

# A watch shows each poll: the job as it is now, and the events new since the last poll.
OnUpdate = Callable[[dict[str, Any], list[dict[str, Any]]], None]
Sleep = Callable[[float], None]


def resolve(rt: Runtime, given: str | None) -> str:
    """The job a command acts on: the id given, else the profile's newest in the ledger."""
    return resolve_id(rt, jobs.KIND, given, noun="fine-tuning job", hint="`o4 finetune list` shows the recent jobs")


def sync(rt: Runtime, job: dict[str, Any]) -> None:
    """Bring the ledger's row up to the API's job (a write that fails is a warning)."""
    record(rt, f"the status of {job.get('id')}", lambda ledger: jobs.sync(ledger, job))


def outcome_error(job: dict[str, Any]) -> O4Error | None:
    """``None`` for a job that succeeded; else the error that says how it ended (exit 1)."""
    status = job.get("status")
    if status == "succeeded":
        return None
    err = job.get("error") or {}
    detail = f": {err.get('code')}: {err.get('message')}" if err.get("message") else ""
    jid = job.get("id")
    return O4Error(f"fine-tuning job {jid} {status}{detail}", hint=f"o4 finetune events {jid} tells the story")


def follow(
    rt: Runtime,
    job_id: str,
    *,
    interval: float,
    on_update: OnUpdate,
    sleep: Sleep = time.sleep,
    what: str = "watching",
    resume_with: str | None = None,
) -> dict[str, Any]:
    """Poll the job until it ends (``jobs.watch``), syncing the ledger at each poll;
    Ctrl-C stops the watching, not the job."""

    def update(job: dict[str, Any], events: list[dict[str, Any]]) -> None:
        sync(rt, job)
        on_update(job, events)

    try:
        return jobs.watch(rt.api, job_id, interval=interval, on_update=update, sleep=sleep)
    except KeyboardInterrupt:
        again = resume_with or f"o4 finetune status {job_id} --watch"
        raise Interrupted(f"stopped {what}; {job_id} goes on", hint=again) from None


# ------------------------------------------------------------------ status


@dataclass(frozen=True)
class StatusOptions:
    job_id: str | None = None
    watch: bool = False
    interval: float = 5.0


@dataclass
class StatusResult:
    job: dict[str, Any]
    latest_metrics: dict[str, float] | None
    error: O4Error | None = None  # --watch: the job ended without succeeding


def status(
    rt: Runtime, o: StatusOptions, on_update: OnUpdate = lambda _j, _e: None, sleep: Sleep = time.sleep
) -> StatusResult:
    """The job now (or, with ``watch``, once it has ended) and its latest metrics."""
    jid = resolve(rt, o.job_id)
    if o.watch:
        job = follow(rt, jid, interval=o.interval, on_update=on_update, sleep=sleep)
    else:
        job = jobs.get_job(rt.api, jid)
        sync(rt, job)
    return StatusResult(job, jobs.latest_metrics(rt.api, jid), outcome_error(job) if o.watch else None)


# ------------------------------------------------------------------ list


@dataclass(frozen=True)
class Listed:
    """A job of the API's list, with what the ledger knows of it."""

    job: dict[str, Any]
    label: str | None
    in_ledger: bool


def list_jobs(rt: Runtime, limit: int) -> list[Listed]:
    """The newest ``limit`` jobs of the organization, newest first."""
    page = jobs.list_jobs(rt.api, limit=limit)
    out = []
    for job in page.get("data") or []:
        row = rt.ledger.job_by_remote(str(job.get("id")))
        out.append(Listed(job, row.label if row else None, row is not None))
    return out


# ------------------------------------------------------------------ events


@dataclass(frozen=True)
class EventsOptions:
    job_id: str | None = None
    follow: bool = False
    interval: float = 5.0


@dataclass
class EventsResult:
    job_id: str
    job: dict[str, Any] | None = None  # --follow: the job as it ended
    error: O4Error | None = None  # --follow: it ended without succeeding


def events(
    rt: Runtime, o: EventsOptions, on_events: Callable[[list[dict[str, Any]]], None], sleep: Sleep = time.sleep
) -> EventsResult:
    """Every event so far, oldest first, to ``on_events``; with ``follow``, then each
    new one as it comes, until the job ends."""
    jid = resolve(rt, o.job_id)
    if not o.follow:
        on_events(jobs.new_events(rt.api, jid, set()))
        return EventsResult(jid)
    job = follow(
        rt, jid, interval=o.interval, on_update=lambda _job, evs: on_events(evs), sleep=sleep,
        what="following", resume_with=f"o4 finetune events {jid} --follow",
    )  # fmt: skip
    return EventsResult(jid, job, outcome_error(job))


# ------------------------------------------------------------------ checkpoints


@dataclass(frozen=True)
class Checkpoints:
    job_id: str
    points: list[dict[str, Any]]  # by step


def checkpoints(rt: Runtime, job_id: str | None) -> Checkpoints:
    jid = resolve(rt, job_id)
    return Checkpoints(jid, jobs.list_checkpoints(rt.api, jid))


# ------------------------------------------------------------------ cancel, pause, resume


def act(rt: Runtime, job_id: str, action: str) -> dict[str, Any]:
    """Cancel, pause or resume a job, after checking that its state allows it (a
    refusal sends nothing); returns the job as the API answered."""
    job = jobs.get_job(rt.api, job_id)
    state = str(job.get("status"))
    if state not in jobs.ALLOWED[action]:
        raise O4Error(refusal(action, job_id, state), hint=refusal_hint(action, job_id, state))
    try:
        job = jobs.act(rt.api, job_id, action)
    except ApiError as exc:
        if exc.status in (400, 409):
            exc.hint = f"{job_id} was {state} a moment ago; see `o4 finetune status {job_id}`"
        raise
    sync(rt, job)
    return job


def refusal(action: str, job_id: str, state: str) -> str:
    if state in jobs.FINAL:
        return f"{job_id} has already {state}: there is nothing to {action}"
    if action == "cancel":
        return f"cannot cancel {job_id}: it is {state}"
    need = {"pause": "running", "resume": "paused"}[action]
    return f"cannot {action} {job_id}: it is {state}, and only a {need} job can be {action}d"


def refusal_hint(action: str, job_id: str, state: str) -> str | None:
    if state == "paused" and action == "pause":
        return f"it is paused already: `o4 finetune resume {job_id}` continues it"
    if state == "running" and action == "resume":
        return "it is running already"
    if state in ("validating_files", "queued") and action == "pause":
        return f"wait until it runs (`o4 finetune status {job_id} --watch`), or cancel it"
    return None
