"""``o4 batch status`` and ``list``: progress of a batch (counts, elapsed, an estimate of
the rest), watching it to the end, and the ledger kept in step with what the API says."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from o4cli.core.batch import remote
from o4cli.core.batch.remote import FINAL, KIND
from o4cli.core.errors import O4Error
from o4cli.core.http.api import Api
from o4cli.core.ledger import Job, resolve_id
from o4cli.core.runtime import Runtime


@dataclass
class Progress:
    status: str
    total: int
    completed: int
    failed: int
    elapsed: float | None
    remaining: float | None

    @property
    def done(self) -> int:
        return self.completed + self.failed


def progress(batch: dict[str, Any], now: float | None = None) -> Progress:
    """Counts, elapsed time and a naive estimate of the rest (pure)."""
    now = time.time() if now is None else now
    counts = batch.get("request_counts") or {}
    total, completed, failed = (int(counts.get(k) or 0) for k in ("total", "completed", "failed"))
    created = batch.get("created_at")
    ended = next(
        (batch.get(k) for k in ("completed_at", "failed_at", "expired_at", "cancelled_at") if batch.get(k)), None
    )
    elapsed = ((ended or now) - created) if created else None
    remaining = None
    started = batch.get("in_progress_at")
    if batch.get("status") == "in_progress" and started and completed + failed and total:
        rate = (completed + failed) / max(now - started, 1e-6)
        remaining = (total - completed - failed) / rate if rate > 0 else None
    return Progress(batch.get("status", "?"), total, completed, failed, elapsed, remaining)


def watch(
    api: Api,
    batch_id: str,
    *,
    interval: float,
    on_update: Callable[[dict[str, Any]], None],
    max_interval: float = 60.0,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Poll with backoff (interval doubling to max_interval) until a final state."""
    wait = interval
    while True:
        batch = remote.get_batch(api, batch_id)
        on_update(batch)
        if batch.get("status") in FINAL:
            return batch
        sleep(wait)
        wait = min(wait * 2, max_interval)


def sync_ledger(rt: Runtime, batch: dict[str, Any]) -> None:
    """Bring the ledger's row of a batch up to what the API says (bookkeeping: never fails)."""
    try:
        job = rt.ledger.job_by_remote(batch["id"])
        if job and job.status != batch.get("status"):
            rt.ledger.update_job(job.id, status=batch.get("status"))
    except O4Error:
        pass


def resolve(rt: Runtime, batch_id: str | None) -> str:
    return resolve_id(rt, KIND, batch_id, noun="batch", hint="o4 batch list")


@dataclass
class BatchStatus:
    batch: dict[str, Any]
    progress: Progress
    error: O4Error | None = None  # a watched batch that did not complete


def status(
    rt: Runtime,
    batch_id: str | None,
    *,
    watch_it: bool = False,
    interval: float = 2.0,
    on_update: Callable[[dict[str, Any]], None] = lambda _b: None,
    sleep: Callable[[float], None] = time.sleep,
) -> BatchStatus:
    """A batch now, or (``watch_it``) when it has ended; ``on_update`` sees every poll."""
    bid = resolve(rt, batch_id)

    def update(batch: dict[str, Any]) -> None:
        sync_ledger(rt, batch)
        on_update(batch)

    batch = (
        watch(rt.api, bid, interval=interval, on_update=update, sleep=sleep)
        if watch_it
        else remote.get_batch(rt.api, bid)
    )
    sync_ledger(rt, batch)
    error = None
    if watch_it and batch.get("status") != "completed":
        error = O4Error(
            f"batch {bid} ended {batch.get('status')}", hint=f"o4 batch results {bid} gives the part that finished"
        )
    return BatchStatus(batch, progress(batch), error)


@dataclass
class Listed:
    batch: dict[str, Any]
    progress: Progress
    job: Job | None


def list_batches(rt: Runtime, limit: int) -> list[Listed]:
    """Recent batches, each with the ledger's row when o4 submitted it."""
    page = remote.list_batches(rt.api, limit=limit)
    return [Listed(b, progress(b), rt.ledger.job_by_remote(b.get("id", ""))) for b in page.get("data") or []]


def cancel(rt: Runtime, batch_id: str) -> dict[str, Any]:
    batch = remote.cancel_batch(rt.api, batch_id)
    sync_ledger(rt, batch)
    return batch
