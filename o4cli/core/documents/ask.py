"""The documents of ``ask`` and ``stream``."""

from __future__ import annotations

from typing import Any

from o4cli.core.documents import money, usage

# ------------------------------------------------------------------ ask


def answer(r: Any) -> dict[str, Any]:
    """``ask``/``stream --json``: the answer, its tokens, price and time."""
    a, u = r.answer, r.usage
    return {
        "text": a.text,
        "reasoning_summary": a.summary or None,
        "model": r.model,
        "response_id": a.response_id,
        "api": r.request.api,
        "status": a.status,
        "incomplete_reason": a.incomplete_reason,
        "usage": usage(u, estimated=r.estimated),
        "pricing": r.pricing,
        "cost_usd": money(r.cost_usd),
        "seconds": round(r.seconds, 3),
        "tokens_per_second": round(u.output_tokens / r.seconds, 1) if r.seconds > 0 else None,
    }


def dry_run(d: Any) -> dict[str, Any]:
    """``ask --dry-run --json``: the exact request and what o4 knows before sending."""
    p = d.plan
    return {
        "dry_run": True,
        "api": d.api,
        "url": d.url,
        "request": d.body,
        "estimate": {
            "input_tokens": p.input.tokens,
            "input_counting": p.input.method,
            "input_exact": p.input.exact,
            "max_output_tokens": p.max_output,
            "pricing": p.pricing,
            "worst_case_cost_usd": money(p.worst_cost),
        },
    }
