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
        "conversation": r.conversation,
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


# ------------------------------------------------------------------ tools


def chain(r: Any) -> dict[str, Any]:
    """``ask --tool ... --json``: the answer document (usage and cost of the whole chain),
    plus the chain's id, its model turns and every step."""
    return {**answer(r), "chain_id": r.chain_id, "turns": r.turns, "steps": [step(s) for s in r.steps]}


def step(s: Any) -> dict[str, Any]:
    c = s.call
    return {
        "turn": s.turn,
        "type": c.kind,
        "call_id": c.call_id,
        "name": c.name,
        "server": c.server,
        "arguments": c.arguments if c.arguments is not None else c.arguments_text,
        "status": s.status,
        "output": s.output,
        "error": s.error,
        "seconds": round(s.seconds, 3),
        "output_bytes": s.size,
        "turn_usage": usage(s.turn_usage),
        "turn_cost_usd": money(s.turn_cost),
    }


def tool_calls(r: Any) -> dict[str, Any]:
    """``ask --tool-calls``: the calls the model asked for, to run and answer with
    ``--tool-result CALL_ID=FILE``."""
    return {
        "response_id": r.answer.response_id,
        "api": r.request.api,
        "model": r.model,
        "calls": [
            {
                "id": s.call.call_id,
                "type": s.call.kind,
                "name": s.call.name,
                "server": s.call.server,
                "arguments": s.call.arguments,
                "arguments_error": s.call.arguments_error,
                "arguments_text": s.call.arguments_text,
            }
            for s in r.steps
            if s.status == "handed back"
        ],
        "text": r.answer.text,
        "usage": usage(r.usage, estimated=r.estimated),
        "cost_usd": money(r.cost_usd),
    }
