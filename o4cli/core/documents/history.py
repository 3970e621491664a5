"""The documents of ``o4 logs``."""

from __future__ import annotations

from typing import Any

from o4cli.core.documents import money


def turn(t: Any) -> dict[str, Any]:
    """``logs show --json`` (and each item of ``logs list|search --json``): one turn."""
    return {
        "id": t.id,
        "created_at": t.created_at,
        "conversation": t.conversation,
        "profile": t.profile,
        "command": t.command,
        "api": t.api,
        "model": t.model,
        "effort": t.effort,
        "system": t.system,
        "prompt": t.prompt,
        "files": t.files,
        "images": t.images,
        "options": t.options,
        "answer": t.answer,
        "reasoning_summary": t.summary,
        "response_id": t.response_id,
        "status": t.status,
        "steps": t.steps,
        "ledger_id": t.request_id,
        "usage": {
            "input_tokens": t.input_tokens,
            "output_tokens": t.output_tokens,
            "reasoning_tokens": t.reasoning_tokens,
        },
        "cost_usd": money(t.cost_usd),
    }


def conversation(c: Any) -> dict[str, Any]:
    """Each item of ``logs list --conversations --json``."""
    return {
        "conversation": c.id,
        "turns": c.turns,
        "first_at": c.first_at,
        "last_at": c.last_at,
        "model": c.model,
        "title": c.title,
        "cost_usd": money(c.cost_usd),
    }


def removed(count: int, what: str) -> dict[str, Any]:
    """``logs rm|clear --json``."""
    return {"removed": count, "what": what}
