"""Fine-tuning jobs once they exist: the endpoints, events (new ones, oldest first),
metrics, watching to the end, and the ledger row kept in step with the API."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from o4cli.core.http.api import Api, segment
from o4cli.core.ledger import Ledger

KIND = "finetune"
ENDPOINT = "/v1/fine_tuning/jobs"
FINAL = frozenset({"succeeded", "failed", "cancelled"})
# Which states allow an action (OpenAI's docs; pause: Azure's docs say "running jobs").
ALLOWED = {
    "cancel": ("validating_files", "queued", "running", "paused"),
    "pause": ("running",),
    "resume": ("paused",),
}
LOOKUP_PAGES = 5  # pages of 100 searched when adopting a job created but not recorded
METRIC_ORDER = (
    "train_reward_mean", "valid_reward_mean", "full_valid_mean_reward", "train_loss", "valid_loss",
    "full_valid_loss", "train_mean_token_accuracy", "valid_mean_token_accuracy", "full_valid_mean_token_accuracy",
)  # fmt: skip


# ------------------------------------------------------------------ endpoints


def _job(job_id: str) -> str:
    return segment(job_id, what="fine-tuning job id", prefix="ftjob-")


def create_job(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /fine_tuning/jobs``; not retried blindly (the caller looks first)."""
    return api.request_json("POST", "fine_tuning/jobs", json=body, retry=False)


def get_job(api: Api, job_id: str) -> dict[str, Any]:
    return api.request_json("GET", f"fine_tuning/jobs/{_job(job_id)}")


def list_jobs(
    api: Api, *, limit: int = 20, after: str | None = None, metadata: dict[str, str] | None = None
) -> dict[str, Any]:
    params: dict[str, Any] = {"limit": limit}
    if after:
        params["after"] = after
    for key, value in (metadata or {}).items():
        params[f"metadata[{key}]"] = value
    return api.request_json("GET", "fine_tuning/jobs", params=params)


def act(api: Api, job_id: str, action: str) -> dict[str, Any]:
    """``POST /fine_tuning/jobs/{id}/cancel|pause|resume``."""
    return api.request_json("POST", f"fine_tuning/jobs/{_job(job_id)}/{action}")


def list_events(api: Api, job_id: str, *, after: str | None = None, limit: int = 100) -> dict[str, Any]:
    params: dict[str, Any] = {"limit": limit}
    if after:
        params["after"] = after
    return api.request_json("GET", f"fine_tuning/jobs/{_job(job_id)}/events", params=params)


def list_checkpoints(api: Api, job_id: str) -> list[dict[str, Any]]:
    """Every checkpoint of a job, by step."""
    out: list[dict[str, Any]] = []
    after = None
    while True:
        params: dict[str, Any] = {"limit": 100, **({"after": after} if after else {})}
        page = api.request_json("GET", f"fine_tuning/jobs/{_job(job_id)}/checkpoints", params=params)
        data = [c for c in page.get("data") or [] if isinstance(c, dict)]
        out.extend(data)
        if not page.get("has_more") or not data:
            break
        after = data[-1].get("id")
    return sorted(out, key=lambda c: (c.get("step_number") or 0, c.get("created_at") or 0))


def validate_grader(api: Api, grader: dict[str, Any]) -> dict[str, Any]:
    """``POST /fine_tuning/alpha/graders/validate``: the API's opinion of a grader."""
    return api.request_json("POST", "fine_tuning/alpha/graders/validate", json={"grader": grader})


def find_job(api: Api, tag: str) -> dict[str, Any] | None:
    """A job o4 created for this input, found by its ``o4_input`` metadata."""
    after = None
    for _ in range(LOOKUP_PAGES):
        page = list_jobs(api, limit=100, after=after, metadata={"o4_input": tag})
        data = page.get("data") or []
        for job in data:
            if (job.get("metadata") or {}).get("o4_input") == tag:
                return job
        if not page.get("has_more") or not data:
            return None
        after = data[-1]["id"]
    return None


# ------------------------------------------------------------------ events


def new_events(api: Api, job_id: str, seen: set[str]) -> list[dict[str, Any]]:
    """The events not in ``seen`` (which they join), oldest first.

    The API lists events newest first (``after`` pages to older ones), so paging stops
    at the first page holding an event already seen."""
    fresh: list[dict[str, Any]] = []
    got: set[str] = set()
    after = None
    while True:
        page = list_events(api, job_id, after=after)
        data = [e for e in page.get("data") or [] if isinstance(e, dict)]
        known = False
        for ev in data:
            eid = str(ev.get("id"))
            if eid in seen:
                known = True
            elif eid not in got:
                got.add(eid)
                fresh.append(ev)
        if known or not page.get("has_more") or not data:
            break
        after = data[-1].get("id")
    seen.update(got)
    fresh.reverse()
    fresh.sort(key=lambda e: e.get("created_at") or 0)  # stable: ties keep the API's order
    return fresh


def metrics_of(event: dict[str, Any]) -> dict[str, float] | None:
    """The numbers of a ``metrics`` event (its ``data`` and ``data.scores``), flat."""
    if event.get("type") != "metrics" or not isinstance(event.get("data"), dict):
        return None
    data = event["data"]
    out: dict[str, float] = {}
    for src in (data, data.get("scores") if isinstance(data.get("scores"), dict) else {}):
        for key, value in src.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                out.setdefault(key, value)
    return out


def latest_metrics(api: Api, job_id: str) -> dict[str, float] | None:
    """The numbers of the job's newest ``metrics`` event (among its newest 100 events)."""
    page = list_events(api, job_id, limit=100)
    for event in page.get("data") or []:
        metrics = metrics_of(event) if isinstance(event, dict) else None
        if metrics is not None:
            return metrics
    return None


def metric_keys(rows: list[dict[str, Any]]) -> list[str]:
    """The metric names of ``rows``, well-known ones first."""
    seen = {k for r in rows for k in r if k not in ("step", "total_steps")}
    return [k for k in METRIC_ORDER if k in seen] + sorted(seen - set(METRIC_ORDER))


def watch(
    api: Api,
    job_id: str,
    *,
    interval: float,
    on_update: Callable[[dict[str, Any], list[dict[str, Any]]], None],
    seen: set[str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Poll the job and its new events until a final state; the wait grows while
    nothing changes (to 30 s, or ``interval`` if longer) and drops back when it does."""
    seen = set() if seen is None else seen
    wait, top = interval, max(interval, 30.0)
    last = None
    while True:
        job = get_job(api, job_id)
        events = new_events(api, job_id, seen)
        on_update(job, events)
        if job.get("status") in FINAL:
            return job
        changed = events or job.get("status") != last
        last = job.get("status")
        wait = interval if changed else min(wait * 2, top)  # a change: look again soon
        sleep(wait)


def sync(ledger: Ledger, job: dict[str, Any]) -> None:
    """Bring the ledger's row of a job up to what the API says."""
    row = ledger.job_by_remote(str(job.get("id")))
    if row is None:
        return
    state = {k: job.get(k) for k in ("fine_tuned_model", "trained_tokens", "error") if job.get(k) is not None}
    if row.status != job.get("status") or any(row.state.get(k) != v for k, v in state.items()):
        ledger.update_job(row.id, status=job.get("status"), state=state)
