"""``o4 batch retry``: a new batch of exactly the lines of a batch that have no answer
(failed, expired, cancelled or never run), built from the ledger's copy of its input."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from o4cli.core.batch import input as batch_input
from o4cli.core.batch import remote
from o4cli.core.batch.remote import FINAL
from o4cli.core.batch.results import Outcome, gather, retries_of
from o4cli.core.batch.submit import pending, prepare, record_shards, run_submission
from o4cli.core.errors import O4Error, UsageError
from o4cli.core.files import temp_file
from o4cli.core.runtime import Runtime


@dataclass
class Retried:
    retry_of: str
    requests: int = 0  # 0: every request already has an answer, nothing was sent
    batch_ids: list[str] = field(default_factory=list)
    resumed: bool = False


def retry(rt: Runtime, batch_id: str) -> Retried:
    job = rt.ledger.job_by_remote(batch_id)
    if job is None or not job.state.get("path"):
        raise UsageError(
            f"{batch_id} is not in this ledger: o4 retries only batches it submitted", hint="o4 batch list"
        )
    shard = Path(job.state["path"])
    if not shard.exists():
        raise UsageError(f"the ledger's copy of {batch_id}'s input ({shard}) is gone")
    batch = remote.get_batch(rt.api, batch_id)
    if batch.get("status") not in FINAL:
        raise O4Error(f"batch {batch_id} is still {batch.get('status')}", hint=f"o4 batch status --watch {batch_id}")
    outcome = gather(rt, [batch_id], [batch])[0] if batch.get("status") != "failed" else Outcome()
    # The lines of the original input with no answer yet: failed, expired, cancelled, never run.
    fd, tmp = temp_file(shard.parent, "retry", ".jsonl")
    count = 0
    with open(fd, "wb") as out, shard.open("rb") as src:
        for raw in src:
            if raw.strip() and json.loads(raw).get("custom_id") not in outcome.ok:
                out.write(raw)
                count += 1
    if count == 0:
        tmp.unlink()
        return Retried(batch_id)
    try:
        defaults = batch_input.Defaults(model=job.model or rt.settings.model, endpoint=None)
        limits = batch_input.Limits(queue_tokens=None)
        # The same lines retried again after a finished retry are a new retry, not a resume.
        finished = [j.remote_id or "" for j in retries_of(rt, batch_id) if j.status in FINAL]
        salt = f"retry of {batch_id} after {','.join(sorted(finished))}"
        prep, digest = prepare(rt, tmp, f"retry of {batch_id}", defaults, limits, dry_run=False, salt=salt)
    finally:
        tmp.unlink(missing_ok=True)
    jobs = pending(rt.ledger, digest)
    resumed = bool(jobs)
    if not jobs:
        jobs = record_shards(
            rt.ledger,
            prep,
            digest,
            profile=rt.settings.profile,
            label=f"retry of {batch_id}",
            extra_state={"retry_of": batch_id},
        )
    else:
        rt.notice("resuming the earlier retry of these lines")
    rt.notice(f"{count:,} requests of {batch_id} to send again")
    window = batch.get("completion_window") or "24h"
    jobs = run_submission(
        rt.api, rt.ledger, jobs, digest=digest, window=window, metadata={"o4_retry_of": batch_id}, notice=rt.notice
    )
    return Retried(batch_id, count, [j.remote_id for j in jobs if j.remote_id], resumed)
