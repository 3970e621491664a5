"""How batches look: the plan, a status, the list, the watch line, run progress, summaries."""

from __future__ import annotations

from typing import Any

from o4cli.core.cost import cost
from o4cli.render import Out
from o4cli.render.text import SEP, bar, duration, tokens, usd


def _known(amount: Any) -> str:
    return usd(amount) if amount is not None else "unpriced"


def plan(out: Out, p: Any) -> None:
    prep, limits = p.prep, p.limits
    out.fields(
        [
            ("input", prep.source),
            ("format", prep.format),
            ("endpoint", prep.endpoint),
            ("model", prep.model),
            ("requests", prep.requests),
            ("input tokens", f"{prep.tokens:,} (exact)" if prep.exact else f"~{prep.tokens:,} (estimated)"),
            ("worst-case output tokens", prep.worst_output),
            (f"cost of the input ({p.pricing} price)", _known(p.input_cost)),
            ("worst case (every output budget used)", _known(p.worst_cost)),
            (
                "limits a shard",
                f"{limits.requests:,} requests, {limits.bytes / 1e6:.0f} MB"
                + (f", {limits.queue_tokens:,} queued tokens (tier)" if limits.queue_tokens else ""),
            ),
        ],
        title="Batch plan",
    )
    out.table(
        ["shard", "lines", "requests", "MB", "input tokens", "worst output tokens"],
        [
            (s.index, f"{s.first_line}-{s.last_line}", s.requests, f"{s.bytes / 1e6:.1f}", s.tokens, s.worst_output)
            for s in prep.shards
        ],
    )


def run_plan(out: Out, p: Any) -> None:
    """``batch run --dry-run``: what is left to run and what it can cost."""
    prep = p.prep
    out.fields(
        [
            ("input", prep.source),
            ("format", prep.format),
            ("endpoint", prep.endpoint),
            ("model", prep.model),
            ("requests to run", prep.requests),
            ("estimated input tokens", prep.tokens),
            ("worst-case output tokens", prep.worst_output),
            (
                f"cost of the input ({p.pricing} price)",
                _known(p.input_cost),
            ),
            (
                "worst case (every output budget used)",
                _known(p.worst_cost),
            ),
        ],
        title="Run plan (nothing sent)",
    )


def watch_parts(batch: dict[str, Any], p: Any) -> list[str]:
    """``batch_… · in_progress · 3/10 done · 1 failed · elapsed 42 s · about 1m 10s left``."""
    parts = [batch.get("id", "?"), p.status, f"{p.done:,}/{p.total:,} done"]
    if p.failed:
        parts.append(f"{p.failed:,} failed")
    parts.append(f"elapsed {duration(p.elapsed)}")
    if p.remaining is not None:
        parts.append(f"about {duration(p.remaining)} left")
    return parts


def status(out: Out, st: Any) -> None:
    batch, p = st.batch, st.progress
    rows = [
        ("batch", batch.get("id")),
        ("status", p.status),
        ("requests", f"{p.done}/{p.total} done, {p.failed} failed"),
        ("elapsed", duration(p.elapsed)),
        ("remaining", duration(p.remaining)),
        ("endpoint", batch.get("endpoint")),
        ("model", batch.get("model")),
        ("output file", batch.get("output_file_id")),
        ("error file", batch.get("error_file_id")),
    ]
    if out.fancy:
        rows.insert(2, ("progress", bar(p.done, p.total)))
    out.fields(rows)


def errors(out: Out, batch: dict[str, Any]) -> None:
    """A batch's validation errors, one ``o4: ID: line N: code: message`` line each."""
    from o4cli.core.batch.remote import batch_errors

    for e in batch_errors(batch):
        where = f"line {e.get('line')}: " if e.get("line") else ""
        out.log(f"{batch.get('id')}: {where}{e.get('code')}: {e.get('message')}")


def listing(out: Out, rows: list[dict[str, Any]]) -> None:
    out.table(
        ["batch", "status", "done", "failed", "label", "shard", "est. worst $", "cost $"],
        [
            (
                r["id"],
                r["status"],
                f"{r['done']}/{r['total']}",
                r["failed"],
                r["label"],
                r["shard"],
                _plain_money(r["estimated_cost_usd"]),
                _plain_money(r["cost_usd"]),
            )
            for r in rows
        ],  # fmt: skip
    )


def _plain_money(value: Any) -> str | None:
    return None if value is None else f"{value:f}"


def results_summary(out: Out, r: Any) -> None:
    """The failed requests (the first ten) and one summary line, on stderr."""
    for cid, code, message in r.failed_preview:
        out.note(f"o4: {cid}: {code}: {message}")
    if r.failed > len(r.failed_preview):
        out.note(
            f"o4: ... and {r.failed - len(r.failed_preview)} more failed requests"
            + ("" if r.errors else " (--errors FILE keeps them all)")
        )
    out.note(
        f"{', '.join(b.get('id', '?') for b in r.finals)}: {r.succeeded:,} succeeded, {r.failed:,} failed"
        + (f" ({r.unanswered:,} incomplete with no answer text)" if r.unanswered else "")
        + (f", {r.never_ran:,} never ran" if r.never_ran > 0 else "")
        + f"{SEP}{tokens(r.usage)}{SEP}{usd(r.cost_usd)} batch"
    )


def run_progress(pr: Any, *, live: bool) -> list[str]:
    """``[███░░] 40/100 · 1,200 req/min · 90,000 tok/min · ETA 30 s · $0.0123 · 2 failed``."""
    t, total = pr.tally, pr.total
    finished = t.done + t.failed
    el = max(t.elapsed, 1e-6)
    eta = (total - finished) / (finished / el) if finished else None
    parts = [
        bar(finished, total, 24) if live else f"{finished:,}/{total:,}",
        f"{finished / el * 60:,.0f} req/min",
        f"{(t.usage.input_tokens + t.usage.output_tokens) / el * 60:,.0f} tok/min",
    ]
    if eta is not None:
        parts.append(f"ETA {eta:.0f} s")
    parts.append(usd(cost(t.usage, pr.price)) if pr.price else "unpriced")
    if t.failed:
        parts.append(f"{t.failed} failed")
    return parts


def run_summary(out: Out, r: Any) -> None:
    t = r.tally
    rpm = t.done / t.elapsed * 60 if t.elapsed > 0 else 0
    out.note(
        f"{t.done:,} done, {t.failed:,} failed"
        + (f" ({t.unanswered:,} incomplete with no answer text)" if t.unanswered else "")
        + f", {r.skipped:,} skipped"
        + (f", {r.left:,} not done" if r.left else "")
        + f"{SEP}{rpm:,.0f} req/min{SEP}429s: {t.rate_limited}{SEP}{tokens(t.usage)}"
        + f"{SEP}{usd(r.cost_usd)}{'' if r.pricing == 'standard' else ' flex'}{SEP}{t.elapsed:.1f} s"
    )
