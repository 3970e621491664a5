"""``o4 logs``: turns as a table, one turn in full, conversations."""

from __future__ import annotations

import json
from typing import Any

from o4cli.render import Out
from o4cli.render.text import usd


def when(iso: str | None) -> str:
    """An ISO timestamp (UTC) as local ``YYYY-MM-DD HH:MM``."""
    from datetime import datetime

    try:
        return datetime.fromisoformat(iso or "").astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso or "-"


def _short(text: str | None, width: int = 48) -> str:
    line = " ".join((text or "").split())
    return line if len(line) <= width else line[: width - 1] + "…"


def turns(out: Out, items: list[Any]) -> None:
    """Newest first: number, time, conversation, model, cost, the prompt's and answer's start."""
    rows = [
        [t.id, when(t.created_at), t.conversation, t.model or "-", usd(t.cost_usd), _short(t.prompt), _short(t.answer)]
        for t in items
    ]
    out.table(["id", "when", "conversation", "model", "cost", "prompt", "answer"], rows)


def conversations(out: Out, items: list[Any]) -> None:
    rows = [[c.id, c.turns, when(c.last_at), c.model or "-", usd(c.cost_usd), c.title] for c in items]
    out.table(["conversation", "turns", "last", "model", "cost", "first prompt"], rows)


def turn(out: Out, t: Any) -> None:
    """One turn in full: a heading line, then the instructions, prompt, reasoning summary and
    answer, each under its own heading (text from the model made safe on a terminal)."""
    model = (t.model or "-") + (f" ({t.effort})" if t.effort else "")
    head = [f"turn {t.id}", t.created_at, f"conversation {t.conversation}", model, usd(t.cost_usd)]
    if t.status and t.status != "ok":
        head.append(t.status)
    parts = ["# " + " · ".join(head)]
    if t.files:
        parts.append("files: " + ", ".join(t.files))
    if t.images:
        images = [i.get("source", "?") + (f" (sha256 {i['sha256'][:12]}…)" if "sha256" in i else "") for i in t.images]
        parts.append("images: " + ", ".join(images))
    steps = "\n".join(
        f"- {s.get('name')} {json.dumps(s.get('arguments'), ensure_ascii=False)} → {s.get('status')}" for s in t.steps
    )
    sections = [
        ("instructions", t.system), ("prompt", t.prompt), ("reasoning summary", t.summary),
        ("tool steps", steps), ("answer", t.answer),
    ]  # fmt: skip
    for title, text in sections:
        if text:
            parts.append(f"## {title}\n\n{text.rstrip()}")
    out.write("\n\n".join(parts) + "\n")  # Out.write makes it harmless on a terminal
