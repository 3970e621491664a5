"""The Batch API's endpoints and what a batch object says: its final states, its
errors, and the failure a batch that ended without results amounts to."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from o4cli.core.errors import O4Error
from o4cli.core.http.api import Api, segment

KIND = "batch"  # the ledger's job kind
FINAL = frozenset({"completed", "failed", "expired", "cancelled"})
LOOKUP_PAGES = 5  # pages of 100 searched when adopting a batch created but not recorded


def batch_dir(data_dir: Path, digest: str) -> Path:
    """Where a submission's checked shards are kept (the ledger points at them)."""
    return data_dir / "batches" / digest[:16]


def results_dir(data_dir: Path, batch_id: str) -> Path:
    """Where a batch's downloaded output and error files are kept."""
    return data_dir / "results" / batch_id


def create_batch(api: Api, file_id: str, endpoint: str, window: str, metadata: dict[str, str]) -> dict[str, Any]:
    body = {"input_file_id": file_id, "endpoint": endpoint, "completion_window": window, "metadata": metadata}
    return api.request_json("POST", "batches", json=body, retry=False)


def get_batch(api: Api, batch_id: str) -> dict[str, Any]:
    return api.request_json("GET", f"batches/{segment(batch_id, what='batch id', prefix='batch_')}")


def list_batches(api: Api, limit: int = 20, after: str | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {"limit": limit}
    if after:
        params["after"] = after
    return api.request_json("GET", "batches", params=params)


def cancel_batch(api: Api, batch_id: str) -> dict[str, Any]:
    return api.request_json("POST", f"batches/{segment(batch_id, what='batch id', prefix='batch_')}/cancel")


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


def batch_errors(batch: dict[str, Any]) -> list[dict[str, Any]]:
    errors = batch.get("errors") or {}
    return [e for e in (errors.get("data") or []) if isinstance(e, dict)]


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
