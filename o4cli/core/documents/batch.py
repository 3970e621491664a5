"""The documents of ``o4 batch``."""

from __future__ import annotations

from typing import Any

from o4cli.core.documents import money, usage


def plan(p: Any) -> dict[str, Any]:
    """What a submit sends and can cost (the ``plan`` of ``submit --json``)."""
    prep = p.prep
    return {
        "input": prep.source,
        "format": prep.format,
        "input_hash": p.digest[:16],
        "endpoint": prep.endpoint,
        "model": prep.model,
        "requests": prep.requests,
        "bytes": prep.bytes,
        "estimated_input_tokens": prep.tokens,
        "input_counting": "exact" if prep.exact else "estimated",
        "worst_case_output_tokens": prep.worst_output,
        "input_cost_usd": money(p.input_cost),
        "worst_case_cost_usd": money(p.worst_cost),
        "pricing": p.pricing,
        "shards": [
            {
                "shard": s.index,
                "lines": [s.first_line, s.last_line],
                "requests": s.requests,
                "bytes": s.bytes,
                "estimated_input_tokens": s.tokens,
                "worst_case_output_tokens": s.worst_output,
            }
            for s in prep.shards
        ],
    }


def run_plan(p: Any) -> dict[str, Any]:
    """``batch run --dry-run --json``: the lines still to run and what they can cost."""
    prep = p.prep
    return {
        "dry_run": True,
        "input": prep.source,
        "format": prep.format,
        "endpoint": prep.endpoint,
        "model": prep.model,
        "requests": prep.requests,
        "estimated_input_tokens": prep.tokens,
        "worst_case_output_tokens": prep.worst_output,
        "input_cost_usd": money(p.input_cost),
        "worst_case_cost_usd": money(p.worst_cost),
        "pricing": p.pricing,
    }


def submit(s: Any, results_doc: dict[str, Any] | None = None) -> dict[str, Any]:
    """``submit --json`` (also ``--dry-run``: no batches; ``--wait``: with ``results``)."""
    return {
        "batches": list(s.batch_ids),
        "input_hash": s.plan.digest[:16],
        "dry_run": s.dry_run,
        "submitted_before": s.submitted_before,
        "plan": plan(s.plan),
        "results": results_doc,
    }


def progress(p: Any) -> dict[str, Any]:
    return {
        "total": p.total,
        "completed": p.completed,
        "failed": p.failed,
        "done": p.done,
        "elapsed_s": p.elapsed,
        "remaining_s": p.remaining,
    }


def status(st: Any) -> dict[str, Any]:
    """``status --json``: the Batch object as the API returns it, plus o4's ``progress``."""
    return {**st.batch, "progress": progress(st.progress)}


def listing(rows: list[Any]) -> list[dict[str, Any]]:
    """``list --json``: one object a batch, newest first."""
    out = []
    for r in rows:
        b, p, job = r.batch, r.progress, r.job
        meta = b.get("metadata") or {}
        out.append(
            {
                "id": b.get("id"),
                "status": b.get("status"),
                "created_at": b.get("created_at"),
                "done": p.done,
                "total": p.total,
                "failed": p.failed,
                "endpoint": b.get("endpoint"),
                "label": job.label if job else meta.get("o4_label"),
                "shard": f"{job.shard}/{job.state.get('shards', 1)}" if job else meta.get("o4_shard"),
                "estimated_cost_usd": money(job.estimated_cost_usd) if job else None,
                "cost_usd": money(job.cost_usd) if job else None,
                "in_ledger": job is not None,
            }
        )
    return out


def results(r: Any) -> dict[str, Any]:
    """``results --json`` (and ``submit --wait --json``'s ``results``)."""
    return {
        "batches": [b.get("id") for b in r.finals],
        "status": [b.get("status") for b in r.finals],
        "succeeded": r.succeeded,
        "failed": r.failed,
        "unanswered": r.unanswered,
        "never_ran": r.never_ran,
        "usage": usage(r.usage),
        "pricing": "batch",
        "cost_usd": money(r.cost_usd),
        "output": r.output,
        "errors": r.errors,
    }


def retried(r: Any) -> dict[str, Any]:
    """``retry --json``: the new batches (none when every request had an answer)."""
    return {"batches": list(r.batch_ids), "retry_of": r.retry_of, "requests": r.requests}


def run(r: Any) -> dict[str, Any]:
    """``run --json``: what was done, skipped and left, tokens, cost and pace."""
    t = r.tally
    return {
        "requests": r.total + r.skipped,
        "done": t.done,
        "failed": t.failed,
        "unanswered": t.unanswered,
        "skipped": r.skipped,
        "not_done": r.left,
        "rate_limited": t.rate_limited,
        "retried": t.retried,
        "usage": usage(t.usage),
        "pricing": r.pricing,
        "cost_usd": money(r.cost_usd),
        "seconds": round(t.elapsed, 3),
        "requests_per_minute": round(t.done / t.elapsed * 60, 1) if t.elapsed > 0 else None,
        "output": r.output,
        "errors": r.errors,
    }
