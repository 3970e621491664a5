"""The documents of background calls: ``ask/stream --background``, ``jobs``, ``cancel``
(``o4 wait --json`` prints the ``ask`` document)."""

from __future__ import annotations

from typing import Any

from o4cli.core.documents import money


def submitted(s: Any) -> dict[str, Any]:
    """``ask --background --json``: the call that now runs on the server."""
    return {
        "id": s.response_id,
        "status": s.status,
        "model": s.model,
        "pricing": s.pricing,
        "stream": s.stream,
        "wait": f"o4 wait {s.response_id}",
    }


def job(row: Any) -> dict[str, Any]:
    """One background call: a ``jobs --json`` item, and ``cancel --json``."""
    return {
        "id": row.response_id,
        "status": row.status,
        "command": row.command,
        "model": row.model,
        "pricing": row.pricing,
        "created_at": row.created_at,
        "cost_usd": money(row.cost_usd),
        "recorded": row.recorded,
        "problem": row.problem,
    }


def jobs(rows: list[Any]) -> list[dict[str, Any]]:
    return [job(r) for r in rows]
