"""The Batch API end to end: submit (resumable), status, results (ordered, merged), retry.

Every step of a submit is written to the ledger before and after it happens, keyed by
the input's hash, and every file and batch o4 creates is tagged (file name, batch
metadata ``o4_input``/``o4_shard``). A submit interrupted anywhere is finished by the
next identical submit: what the ledger says was done is skipped, and a step that was
started but not recorded is looked up remotely before it is done again.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from o4cli.core import catalog
from o4cli.core.api import Api
from o4cli.core.batch_input import Prepared, Shard
from o4cli.core.cost import Usage, cost
from o4cli.core.errors import NetworkError, O4Error, ServerError, UsageError
from o4cli.core.ledger import Job, Ledger

KIND = "batch"
FINAL = frozenset({"completed", "failed", "expired", "cancelled"})
LOOKUP_PAGES = 5  # pages of 100 searched when adopting a batch created but not recorded


def batch_dir(data_dir: Path, digest: str) -> Path:
    return data_dir / "batches" / digest[:16]


def results_dir(data_dir: Path, batch_id: str) -> Path:
    return data_dir / "results" / batch_id


# ------------------------------------------------------------- endpoints


def upload(api: Api, path: Path, filename: str, purpose: str = "batch") -> dict[str, Any]:
    """``POST /files`` (multipart), streamed from disk; not retried blindly."""
    with path.open("rb") as fh:
        return api.request_json(
            "POST", "files", retry=False, files={"file": (filename, fh, "application/jsonl")}, data={"purpose": purpose}
        )


def find_file(api: Api, filename: str, nbytes: int, purpose: str = "batch") -> dict[str, Any] | None:
    body = api.request_json("GET", "files", params={"purpose": purpose, "order": "desc", "limit": 10000})
    for f in body.get("data") or []:
        if f.get("filename") == filename and f.get("bytes") == nbytes:
            return f
    return None


def create_batch(api: Api, file_id: str, endpoint: str, window: str, metadata: dict[str, str]) -> dict[str, Any]:
    body = {"input_file_id": file_id, "endpoint": endpoint, "completion_window": window, "metadata": metadata}
    return api.request_json("POST", "batches", json=body, retry=False)


def get_batch(api: Api, batch_id: str) -> dict[str, Any]:
    return api.request_json("GET", f"batches/{batch_id}")


def list_batches(api: Api, limit: int = 20, after: str | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {"limit": limit}
    if after:
        params["after"] = after
    return api.request_json("GET", "batches", params=params)


def cancel_batch(api: Api, batch_id: str) -> dict[str, Any]:
    return api.request_json("POST", f"batches/{batch_id}/cancel")


def find_batch(api: Api, tag: str, shard: str) -> dict[str, Any] | None:
    """A batch o4 created for (input, shard), found by its metadata."""
    after = None
    for _ in range(LOOKUP_PAGES):
        page = list_batches(api, limit=100, after=after)
        for b in page.get("data") or []:
            meta = b.get("metadata") or {}
            if meta.get("o4_input") == tag and meta.get("o4_shard") == shard:
                return b
        if not page.get("has_more") or not page.get("data"):
            return None
        after = page["data"][-1]["id"]
    return None


def download(api: Api, file_id: str, dest: Path) -> Path:
    """Stream a file's content to ``dest`` atomically (a temp file, then a rename)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as fh, api.stream("GET", f"files/{file_id}/content") as resp:
            try:
                for chunk in resp.iter_bytes(1 << 16):
                    fh.write(chunk)
            except httpx.TransportError as exc:
                raise NetworkError(
                    f"the download of {file_id} was cut: {type(exc).__name__}",
                    hint="run the same command again; nothing partial was kept",
                ) from None
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return dest


# ------------------------------------------------------------------ submit


def estimated_cost(shard: Shard, model: str) -> Decimal | None:
    price = catalog.price_for(model, "batch")
    if price is None:
        return None
    return cost(Usage(input_tokens=shard.tokens, output_tokens=shard.worst_output), price)


def record_shards(
    ledger: Ledger,
    prep: Prepared,
    digest: str,
    *,
    profile: str,
    label: str,
    extra_state: dict[str, Any] | None = None,
) -> list[Job]:
    """One ledger job per shard, before anything is uploaded."""
    jobs = []
    for shard in prep.shards:
        jid = ledger.add_job(
            kind=KIND,
            status="prepared",
            profile=profile,
            model=prep.model,
            endpoint=prep.endpoint,
            input_hash=digest,
            label=label,
            shard=shard.index,
            estimated_cost_usd=estimated_cost(shard, prep.model or ""),
            state={
                "shards": len(prep.shards),
                "path": str(shard.path),
                "ids": str(shard.path.with_suffix(".ids")) if shard.path else None,
                "requests": shard.requests,
                "bytes": shard.bytes,
                "tokens": shard.tokens,
                "first_line": shard.first_line,
                "last_line": shard.last_line,
                "source": prep.source,
                **(extra_state or {}),
            },
        )
        jobs.append(ledger.job(jid))
    return jobs


def write_ids(prep: Prepared) -> None:
    """Each shard's custom_ids, in order, beside it (for ordering results later)."""
    pos = 0
    for shard in prep.shards:
        ids = prep.custom_ids[pos : pos + shard.requests]
        pos += shard.requests
        assert shard.path is not None
        # one JSON string a line: a custom_id may hold spaces (or anything else)
        shard.path.with_suffix(".ids").write_text("".join(json.dumps(i) + "\n" for i in ids), encoding="utf-8")


def pending(ledger: Ledger, digest: str) -> list[Job]:
    """The jobs of an earlier submit of the same input, by shard (newest submit wins)."""
    jobs = [j for j in ledger.jobs(KIND, input_hash=digest)]
    if not jobs:
        return []
    newest: dict[int, Job] = {}
    for job in jobs:  # newest first
        newest.setdefault(job.shard or 1, job)
    return [newest[k] for k in sorted(newest)]


def run_submission(
    api: Api,
    ledger: Ledger,
    jobs: list[Job],
    *,
    digest: str,
    window: str,
    metadata: dict[str, str],
    notice: Callable[[str], None],
) -> list[Job]:
    """Upload and create every shard that is not yet; return the jobs, refreshed."""
    out = []
    for job in jobs:
        job = _ensure_uploaded(api, ledger, job, digest, notice)
        job = _ensure_created(api, ledger, job, digest, window, metadata, notice)
        out.append(job)
    return out


def _filename(digest: str, job: Job) -> str:
    return f"o4-{digest[:16]}-{job.shard}of{job.state.get('shards', 1)}.jsonl"


def _ensure_uploaded(api: Api, ledger: Ledger, job: Job, digest: str, notice: Callable[[str], None]) -> Job:
    if job.state.get("file_id"):
        return job
    path = Path(job.state["path"])
    if not path.exists():
        raise UsageError(f"the prepared input {path} is gone; submit with --force to start again")
    name, size = _filename(digest, job), path.stat().st_size
    found = None
    if job.state.get("upload_started"):
        found = find_file(api, name, size)
        if found:
            notice(f"shard {job.shard}: found the earlier upload {found['id']}")
    if not found:
        ledger.update_job(job.id, status="uploading", state={"upload_started": True})
        try:
            found = upload(api, path, name)
        except (NetworkError, ServerError) as exc:
            exc.hint = "the upload may or may not have arrived: run the same command again to resume (nothing is sent twice)"
            raise
    ledger.update_job(job.id, status="uploaded", state={"file_id": found["id"]})
    return ledger.job(job.id)  # type: ignore[return-value]


def _ensure_created(
    api: Api, ledger: Ledger, job: Job, digest: str, window: str, metadata: dict[str, str], notice: Callable[[str], None]
) -> Job:
    if job.remote_id:
        return job
    shard_tag = f"{job.shard}/{job.state.get('shards', 1)}"
    tag = f"{digest[:16]}.{job.id}"  # this submission's own: a --force resubmit has another
    found = None
    if job.state.get("create_started"):
        found = find_batch(api, tag, shard_tag)
        if found:
            notice(f"shard {job.shard}: found the earlier batch {found['id']}")
    if not found:
        meta = {**metadata, "o4_input": tag, "o4_shard": shard_tag}
        if job.label:
            meta.setdefault("o4_label", job.label[:512])
        ledger.update_job(job.id, status="creating", state={"create_started": True})
        try:
            found = create_batch(api, job.state["file_id"], job.endpoint or "/v1/responses", window, meta)
        except (NetworkError, ServerError) as exc:
            exc.hint = "the batch may or may not have been created: run the same command again to resume (nothing is created twice)"
            raise
    ledger.update_job(job.id, status=found.get("status", "validating"), remote_id=found["id"], state={"batch_id": found["id"]})
    return ledger.job(job.id)  # type: ignore[return-value]


# ------------------------------------------------------------------ status


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
    ended = next((batch.get(k) for k in ("completed_at", "failed_at", "expired_at", "cancelled_at") if batch.get(k)), None)
    elapsed = ((ended or now) - created) if created else None
    remaining = None
    started = batch.get("in_progress_at")
    if batch.get("status") == "in_progress" and started and completed + failed and total:
        rate = (completed + failed) / max(now - started, 1e-6)
        remaining = (total - completed - failed) / rate if rate > 0 else None
    return Progress(batch.get("status", "?"), total, completed, failed, elapsed, remaining)


def batch_errors(batch: dict[str, Any]) -> list[dict[str, Any]]:
    errors = batch.get("errors") or {}
    return [e for e in (errors.get("data") or []) if isinstance(e, dict)]


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
        batch = get_batch(api, batch_id)
        on_update(batch)
        if batch.get("status") in FINAL:
            return batch
        sleep(wait)
        wait = min(wait * 2, max_interval)


# ----------------------------------------------------------------- results


@dataclass
class Outcome:
    """Where each custom_id's result is, across a batch and its retries."""

    ok: dict[str, tuple[Path, int, int]] = field(default_factory=dict)  # custom_id -> (file, offset, length)
    failed: dict[str, tuple[Path, int, int]] = field(default_factory=dict)
    usage: Usage = field(default_factory=Usage)


def scan(path: Path, outcome: Outcome, *, errors: bool) -> None:
    """Index a downloaded output or error file by custom_id; sum usage of successes."""
    total = outcome.usage
    with path.open("rb") as fh:
        offset = 0
        for raw in fh:
            length = len(raw)
            if raw.strip():
                try:
                    obj = json.loads(raw)
                except ValueError:
                    offset += length
                    continue
                cid = obj.get("custom_id")
                resp = obj.get("response") or {}
                good = not errors and not obj.get("error") and 200 <= int(resp.get("status_code") or 0) < 300
                if isinstance(cid, str):
                    if good and cid in outcome.ok:
                        pass  # already answered (an earlier attempt): keep the first, count it once
                    elif good:
                        outcome.ok[cid] = (path, offset, length)
                        outcome.failed.pop(cid, None)
                        total = total + Usage.from_api((resp.get("body") or {}).get("usage"))
                    elif cid not in outcome.ok:
                        outcome.failed[cid] = (path, offset, length)
            offset += length
    outcome.usage = total


def fetch(api: Api, batch: dict[str, Any], folder: Path, outcome: Outcome) -> None:
    """Download a batch's output and error files (once) and index them."""
    for key, errors in (("output_file_id", False), ("error_file_id", True)):
        file_id = batch.get(key)
        if not file_id:
            continue
        dest = folder / f"{file_id}.jsonl"
        if not dest.exists():
            download(api, file_id, dest)
        scan(dest, outcome, errors=errors)


def read_ids(job: Job | None) -> list[str] | None:
    if job is None or not job.state.get("ids"):
        return None
    path = Path(job.state["ids"])
    if not path.exists():
        return None
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def ordered(ids: Iterable[str] | None, index: dict[str, tuple[Path, int, int]]) -> Iterator[bytes]:
    """The indexed lines in the submitted order (unknown order: as found)."""
    handles: dict[Path, Any] = {}
    try:
        keys = list(ids) if ids is not None else list(index)
        for cid in keys:
            where = index.get(cid)
            if where is None:
                continue
            path, offset, length = where
            fh = handles.get(path) or handles.setdefault(path, path.open("rb"))
            fh.seek(offset)
            line = fh.read(length)
            yield line if line.endswith(b"\n") else line + b"\n"
    finally:
        for fh in handles.values():
            fh.close()


def answer_text(line: bytes) -> str:
    """The answer in one output line (Responses or Chat body), or the error message."""
    obj = json.loads(line)
    resp = obj.get("response") or {}
    body = resp.get("body") or {}
    if obj.get("error"):
        return f"ERROR {obj['error'].get('code')}: {obj['error'].get('message')}"
    if isinstance(body.get("error"), dict):
        e = body["error"]
        return f"ERROR {resp.get('status_code')} {e.get('code') or e.get('type')}: {e.get('message')}"
    if "choices" in body:
        return ((body.get("choices") or [{}])[0].get("message") or {}).get("content") or ""
    parts = []
    for item in body.get("output") or []:
        if item.get("type") == "message":
            parts.extend(p.get("text", "") for p in item.get("content") or [] if p.get("type") == "output_text")
    return "".join(parts)


def error_entry(line: bytes) -> tuple[str, str, str]:
    """(custom_id, code, message) of an error line; the real error may sit in response.body."""
    obj = json.loads(line)
    err = obj.get("error")
    if isinstance(err, dict):
        return obj.get("custom_id", "?"), str(err.get("code")), str(err.get("message"))
    resp = obj.get("response") or {}
    body_err = (resp.get("body") or {}).get("error") or {}
    code = body_err.get("code") or body_err.get("type") or f"http_{resp.get('status_code')}"
    return obj.get("custom_id", "?"), str(code), str(body_err.get("message") or "")


def write_atomic_lines(path: Path, lines: Iterable[bytes]) -> int:
    """Write lines to ``path`` through a temp file and a rename; return the count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    n = 0
    try:
        with os.fdopen(fd, "wb") as fh:
            for line in lines:
                fh.write(line)
                n += 1
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return n


def final_failure(batch: dict[str, Any]) -> O4Error | None:
    """A batch that ended without results worth the name, as the error it is."""
    status = batch.get("status")
    errors = batch_errors(batch)
    if status == "failed":
        codes = {e.get("code") for e in errors}
        first = errors[0] if errors else {}
        if "token_limit_exceeded" in codes:
            return O4Error(
                f"batch {batch.get('id')} failed: token_limit_exceeded: {first.get('message')}",
                hint="too many input tokens were enqueued at once for this tier: wait for running batches to "
                "finish, then `o4 batch retry` this one; or set the profile's tier (`o4 config set tier N`) "
                "so o4 shards to fit",
            )
        where = f" (line {first.get('line')})" if first.get("line") else ""
        return O4Error(
            f"batch {batch.get('id')} failed validation: {first.get('code')}: {first.get('message')}{where}"
            + (f" and {len(errors) - 1} more" if len(errors) > 1 else ""),
            hint="fix the input and submit again; `o4 batch status ID` lists every error",
        )
    if status == "completed" and not batch.get("output_file_id"):
        return O4Error(
            f"batch {batch.get('id')} completed but every request failed (no output file)",
            hint="see the reasons with --errors FILE, fix them, then `o4 batch retry " + str(batch.get("id")) + "`",
        )
    return None
