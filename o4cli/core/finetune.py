"""Fine-tuning jobs: endpoint helpers, a resumable create, events, metrics and watching.

A create is recorded in the ledger (kind ``finetune``) before anything is sent, and each
step (upload the training file, the validation file, create the job) is written before
and after it happens. A create interrupted anywhere is finished by the next identical
command: what the ledger says was done is skipped, and a step that was started but not
recorded is looked up remotely (files by name and size, the job by its ``o4_input``
metadata tag) before it is done again. Local checks live in ``finetune_data``.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from o4cli.core import batches
from o4cli.core.api import Api
from o4cli.core.errors import NetworkError, ServerError, UsageError
from o4cli.core.ledger import Job, Ledger

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


def create_job(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /fine_tuning/jobs``; not retried blindly (the caller looks first)."""
    return api.request_json("POST", "fine_tuning/jobs", json=body, retry=False)


def get_job(api: Api, job_id: str) -> dict[str, Any]:
    return api.request_json("GET", f"fine_tuning/jobs/{job_id}")


def list_jobs(api: Api, *, limit: int = 20, after: str | None = None, metadata: dict[str, str] | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {"limit": limit}
    if after:
        params["after"] = after
    for key, value in (metadata or {}).items():
        params[f"metadata[{key}]"] = value
    return api.request_json("GET", "fine_tuning/jobs", params=params)


def act(api: Api, job_id: str, action: str) -> dict[str, Any]:
    """``POST /fine_tuning/jobs/{id}/cancel|pause|resume``."""
    return api.request_json("POST", f"fine_tuning/jobs/{job_id}/{action}")


def list_events(api: Api, job_id: str, *, after: str | None = None, limit: int = 100) -> dict[str, Any]:
    params: dict[str, Any] = {"limit": limit}
    if after:
        params["after"] = after
    return api.request_json("GET", f"fine_tuning/jobs/{job_id}/events", params=params)


def list_checkpoints(api: Api, job_id: str) -> list[dict[str, Any]]:
    """Every checkpoint of a job, by step."""
    out: list[dict[str, Any]] = []
    after = None
    while True:
        params: dict[str, Any] = {"limit": 100, **({"after": after} if after else {})}
        page = api.request_json("GET", f"fine_tuning/jobs/{job_id}/checkpoints", params=params)
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
        sleep(wait)
        wait = interval if changed else min(wait * 2, top)


# ------------------------------------------------------------------ create


@dataclass
class Plan:
    """Everything a create sends, checked."""

    model: str
    method: str
    train: Path
    valid: Path | None = None
    grader: dict[str, Any] | None = None
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    suffix: str | None = None
    seed: int | None = None
    metadata: dict[str, str] = field(default_factory=dict)

    def key(self) -> str:
        return json.dumps(
            [self.model, self.method, self.grader, self.hyperparameters, self.suffix, self.seed, self.metadata],
            sort_keys=True,
        )


def input_hash(plan: Plan) -> str:
    """A digest of the files' bytes and of everything the job is created with."""
    h = hashlib.sha256(plan.key().encode())
    for path in (plan.train, plan.valid):
        h.update(b"\0file\0")
        if path is not None:
            with path.open("rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
    return h.hexdigest()


def request_body(plan: Plan, train_id: str, valid_id: str | None, tag: str) -> dict[str, Any]:
    """The ``POST /fine_tuning/jobs`` body."""
    method: dict[str, Any] = {}
    if plan.method == "reinforcement":
        method["grader"] = plan.grader
    if plan.hyperparameters:
        method["hyperparameters"] = plan.hyperparameters
    body: dict[str, Any] = {
        "model": plan.model,
        "training_file": train_id,
        "method": {"type": plan.method, plan.method: method},
        "metadata": {**plan.metadata, "o4_input": tag},
    }
    if valid_id:
        body["validation_file"] = valid_id
    if plan.suffix:
        body["suffix"] = plan.suffix
    if plan.seed is not None:
        body["seed"] = plan.seed
    return body


def earlier(ledger: Ledger, digest: str) -> Job | None:
    """The newest create of the same input and settings, if any."""
    jobs = ledger.jobs(KIND, input_hash=digest, limit=1)
    return jobs[0] if jobs else None


def record(ledger: Ledger, plan: Plan, digest: str, *, profile: str, label: str, stats: dict[str, Any]) -> Job:
    """The ledger's job row, written before anything is uploaded."""
    jid = ledger.add_job(
        kind=KIND,
        status="prepared",
        profile=profile,
        model=plan.model,
        endpoint=ENDPOINT,
        input_hash=digest,
        label=label,
        state={
            "method": plan.method,
            "train": str(plan.train),
            "valid": str(plan.valid) if plan.valid else None,
            "train_bytes": plan.train.stat().st_size,
            "valid_bytes": plan.valid.stat().st_size if plan.valid else None,
            "hyperparameters": plan.hyperparameters,
            "suffix": plan.suffix,
            "seed": plan.seed,
            **stats,
        },
    )
    ledger.update_job(jid, state={"tag": f"{digest[:16]}.{jid}"})
    return ledger.job(jid)  # type: ignore[return-value]


def run_create(api: Api, ledger: Ledger, job: Job, plan: Plan, notice: Callable[[str], None]) -> Job:
    """Upload what is not uploaded and create the job unless it exists; return the job row."""
    for role, path in (("train", plan.train), ("valid", plan.valid)):
        if path is not None:
            job = _ensure_uploaded(api, ledger, job, role, path, notice)
    if job.remote_id:
        return job
    tag = job.state["tag"]
    found = None
    if job.state.get("create_started"):
        found = find_job(api, tag)
        if found:
            notice(f"found the earlier job {found['id']}")
    if not found:
        body = request_body(plan, job.state["train_file_id"], job.state.get("valid_file_id"), tag)
        ledger.update_job(job.id, status="creating", state={"create_started": True})
        try:
            found = create_job(api, body)
        except (NetworkError, ServerError) as exc:
            exc.hint = "the job may or may not have been created: run the same command again to resume (nothing is created twice)"
            raise
    ledger.update_job(job.id, status=found.get("status", "validating_files"), remote_id=found["id"], state={"job_id": found["id"]})
    return ledger.job(job.id)  # type: ignore[return-value]


def _ensure_uploaded(api: Api, ledger: Ledger, job: Job, role: str, path: Path, notice: Callable[[str], None]) -> Job:
    if job.state.get(f"{role}_file_id"):
        return job
    if not path.exists() or path.stat().st_size != job.state.get(f"{role}_bytes"):
        raise UsageError(f"{path} changed or is gone since this create started; run the command again to start afresh")
    name, size = f"o4-ft-{job.state['tag']}-{role}.jsonl", path.stat().st_size
    found = None
    if job.state.get(f"{role}_upload_started"):
        found = batches.find_file(api, name, size, purpose="fine-tune")
        if found:
            notice(f"found the earlier upload {found['id']} of {path.name}")
    if not found:
        ledger.update_job(job.id, status="uploading", state={f"{role}_upload_started": True})
        notice(f"uploading {path.name} ({'training' if role == 'train' else 'validation'} file, {size:,} bytes)")
        try:
            found = batches.upload(api, path, name, purpose="fine-tune")
        except (NetworkError, ServerError) as exc:
            exc.hint = "the upload may or may not have arrived: run the same command again to resume (nothing is sent twice)"
            raise
    ledger.update_job(job.id, status="uploaded", state={f"{role}_file_id": found["id"]})
    return ledger.job(job.id)  # type: ignore[return-value]


def sync(ledger: Ledger, job: dict[str, Any]) -> None:
    """Bring the ledger's row of a job up to what the API says."""
    row = ledger.job_by_remote(str(job.get("id")))
    if row is None:
        return
    state = {k: job.get(k) for k in ("fine_tuned_model", "trained_tokens", "error") if job.get(k) is not None}
    if row.status != job.get("status") or any(row.state.get(k) != v for k, v in state.items()):
        ledger.update_job(row.id, status=job.get("status"), state=state)
