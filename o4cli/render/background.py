"""How background calls look: the id of one submitted, the wait line, the list, a cancel,
and the line of a call that goes on."""

from __future__ import annotations

from typing import Any

from o4cli.render import Out
from o4cli.render.text import SEP, duration, usd, usd_plain


def submitted(out: Out, s: Any) -> None:
    """The id on stdout (for ``id=$(o4 ask --background ...)``); how to get the answer on stderr."""
    out.write(f"{s.response_id}\n")
    tier = "" if s.pricing == "standard" else f", {s.pricing}"
    out.notice(f"running in the background ({s.status}{tier}); its answer: o4 wait {s.response_id}")


def wait_parts(response: dict[str, Any], elapsed: float, *, live: bool) -> list[str]:
    """``resp_… · in_progress · 12 s`` on a terminal; piped, without the time (one line a change)."""
    parts = [str(response.get("id", "?")), str(response.get("status", "?"))]
    return [*parts, duration(elapsed)] if live else parts


def running(out: Out, r: Any) -> None:
    """In place of the summary line: the call goes on, and how to get its answer and cost."""
    parts = [r.model, f"{r.running} goes on running on the server", f"its answer and cost: o4 wait {r.running}"]
    out.note(SEP.join(parts))


def ask_cancel(out: Out, rid: str) -> None:
    """The question after Ctrl-C on a terminal (the answer is read by the command)."""
    out.stderr.write(f"\no4: {rid} goes on running on the server. Cancel it? [y/N] ")
    out.stderr.flush()


def listing(out: Out, rows: list[Any]) -> None:
    out.table(
        ["id", "status", "command", "model", "submitted (UTC)", "cost $"],
        [
            (r.response_id, r.status + (" ?" if r.problem else ""), r.command, r.model, r.created_at, _money(r))
            for r in rows
        ],
    )
    for r in rows:
        if r.problem:
            out.warn(f"{r.response_id}: status not known now: {r.problem}")


def _money(r: Any) -> str | None:
    return None if r.cost_usd is None else usd_plain(r.cost_usd)


def cancelled(out: Out, row: Any) -> None:
    """``resp_… cancelled`` on stdout (as ``batch cancel``); the recorded cost on stderr."""
    out.lines([f"{row.response_id} {row.status}"])
    if row.status != "cancelled":
        out.notice(f"{row.response_id} had already ended ({row.status}): nothing to cancel")
    if row.recorded:
        out.notice(_cost_note(row))


def cancelled_note(out: Out, row: Any) -> None:
    """A cancel chosen after Ctrl-C: on stderr (stdout holds the answer so far)."""
    out.notice(f"{row.response_id} {row.status}" + (f"; {_cost_note(row)}" if row.recorded else ""))


def _cost_note(row: Any) -> str:
    if row.cost_usd is None:
        return "the API reported no usage for it, so no cost is recorded"
    return f"its cost, recorded in the ledger: {usd(row.cost_usd)}"
