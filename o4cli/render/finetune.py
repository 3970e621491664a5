"""What ``o4 finetune`` shows people: the validate report, warnings, a job's fields, the
jobs and checkpoints tables, event lines, and the watch (a panel redrawn in place on a
terminal; one ``o4: ...`` line per change when piped). Decides nothing: it shows the
results the use cases return.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from o4cli.core.finetune.jobs import METRIC_ORDER, metric_keys, metrics_of
from o4cli.render.text import SEP, duration, when

if TYPE_CHECKING:
    from o4cli.core.finetune.check import ValidateReport
    from o4cli.core.finetune.create import CreateResult
    from o4cli.core.finetune.track import Listed
    from o4cli.core.problems import Problem
    from o4cli.render import Out

MAX_WARNINGS_SHOWN = 10
RECENT_EVENTS = 5  # event lines in the watch panel


# ------------------------------------------------------------------ pieces


def warnings(out: Out, items: Sequence[Problem]) -> None:
    """``FILE:LINE: warning: reason`` lines on stderr (the first 10), unless -q."""
    if out.quiet:
        return
    for w in items[:MAX_WARNINGS_SHOWN]:
        out.note(f"{w.where()}warning: {w.reason}")
    if len(items) > MAX_WARNINGS_SHOWN:
        out.note(f"o4: ... and {len(items) - MAX_WARNINGS_SHOWN:,} more warnings")


def metric_text(m: dict[str, float] | None) -> str:
    """``step 6/6 · train_reward_mean 0.8 · valid_reward_mean 0.75`` (well-known metrics first, four at most)."""
    if not m:
        return "-"
    parts = []
    if "step" in m:
        parts.append(f"step {m['step']:g}" + (f"/{m['total_steps']:g}" if "total_steps" in m else ""))
    keys = metric_keys([m])
    known = [k for k in keys if k in METRIC_ORDER]
    parts += [f"{k} {m[k]:.4g}" for k in (known or keys)[:4]]
    return SEP.join(parts)


def event_line(ev: dict[str, Any]) -> str:
    """``2025-06-01 12:00:03  info   Step 3/6: training reward 0.61``"""
    return f"{when(ev.get('created_at'))}  {str(ev.get('level', 'info')):<5}  {ev.get('message', '')}"


def _method(job: dict[str, Any]) -> str | None:
    return (job.get("method") or {}).get("type")


# ------------------------------------------------------------------ validate, create


def _token_line(rep: Any) -> str:
    t = rep.token_stats()
    how = "o200k_base" if rep.token_method == "o200k_base" else "estimate: 4 characters a token"
    return f"min {t['min']:,} · median {t['median']:,} · max {t['max']:,} ({how})"


def validated(out: Out, r: ValidateReport) -> None:
    """The statistics of the file (stdout), then its warnings (stderr)."""
    rep = r.file
    rows: list[tuple[str, Any]] = [
        ("file", rep.path),
        ("method", r.method),
        ("examples", rep.examples),
        ("tokens per example", _token_line(rep)),
        ("tokens in all", rep.token_stats()["total"]),
    ]
    if r.grader:
        fields = ", ".join(p.text for p in r.grader.report.item_paths) or "no item fields"
        rows.append(("grader", f"{r.grader.report.summary()} · reads {fields}"))
    rows += [("training cost", r.cost.note), ("problems", len(r.problems))]
    out.fields(rows)
    warnings(out, r.warnings)


def created(out: Out, r: CreateResult) -> None:
    """Without --json: the job id; with --wait, the fine-tuned model's name (when there is one)."""
    job = r.job or {}
    if not r.waited:
        out.write(f"{job.get('id')}\n")
    elif job.get("fine_tuned_model"):
        out.write(f"{job['fine_tuned_model']}\n")


def dry_run_note(out: Out, r: CreateResult) -> None:
    if out.quiet:
        return
    names = ", ".join(f"{p.name} ({p.stat().st_size:,} bytes)" for p in (r.plan.train, r.plan.valid) if p is not None)
    out.note(f"dry run: would upload {names} and POST /v1/fine_tuning/jobs · nothing sent")


# ------------------------------------------------------------------ reading


def status(out: Out, job: dict[str, Any], latest: dict[str, float] | None) -> None:
    err = job.get("error") or {}
    rows: list[tuple[str, Any]] = [
        ("job", job.get("id")),
        ("status", job.get("status")),
        ("model", job.get("model")),
        ("method", _method(job)),
        ("created", when(job.get("created_at"))),
        ("finished", when(job.get("finished_at"))),
        ("training file", job.get("training_file")),
        ("validation file", job.get("validation_file")),
        ("trained tokens", job.get("trained_tokens")),
        ("fine-tuned model", job.get("fine_tuned_model")),
        ("latest metrics", metric_text(latest)),
    ]
    if err.get("message"):
        rows.append(("error", f"{err.get('code')}: {err.get('message')}"))
    out.fields(rows)


def jobs_table(out: Out, rows: Sequence[Listed]) -> None:
    out.table(
        ["job", "status", "model", "method", "created", "trained tokens", "fine-tuned model", "error", "label"],
        [
            (
                j.get("id"),
                j.get("status"),
                j.get("model"),
                _method(j),
                when(j.get("created_at")),
                j.get("trained_tokens"),
                j.get("fine_tuned_model"),
                (j.get("error") or {}).get("code"),
                r.label,
            )
            for r in rows
            for j in (r.job,)
        ],  # fmt: skip
    )


def events(out: Out, evs: Sequence[dict[str, Any]]) -> None:
    out.lines([event_line(ev) for ev in evs])


def checkpoints_table(out: Out, job_id: str, points: Sequence[dict[str, Any]]) -> None:
    keys = metric_keys([c.get("metrics") or {} for c in points])
    out.table(
        ["step", "checkpoint", "created", *keys],
        [
            (
                c.get("step_number"),
                c.get("fine_tuned_model_checkpoint"),
                when(c.get("created_at")),
                *(_num((c.get("metrics") or {}).get(k)) for k in keys),
            )
            for c in points
        ],  # fmt: skip
    )
    if not points:
        out.notice(f"{job_id} has no checkpoints yet (they come at evaluation steps)")


def _num(v: Any) -> Any:
    return f"{v:.4f}" if isinstance(v, float) else v


def acted(out: Out, job: dict[str, Any]) -> None:
    out.write(f"{job.get('id')} {job.get('status')}\n")


# ------------------------------------------------------------------ watching


class Watcher:
    """A watched job's progress on stderr: on a terminal, a panel redrawn in place (the
    job, its status and age; the latest metrics; the recent events); piped, one
    ``o4: ID: status · metrics`` line per change, and each warning or error event as a
    line of its own. Nothing under -q."""

    def __init__(self, out: Out, *, clock: Callable[[], float] = time.time) -> None:
        self.out = out
        self.job_id = "?"
        self.clock = clock
        self.live = out.fancy_err and not out.quiet
        self.panel = out.panel() if self.live else None
        self.status: str | None = None
        self.metrics: dict[str, float] | None = None
        self.recent: deque[dict[str, Any]] = deque(maxlen=RECENT_EVENTS)
        self.last: str | None = None

    def update(self, job: dict[str, Any], evs: list[dict[str, Any]]) -> None:
        self.job_id = str(job.get("id", self.job_id))
        self.status = job.get("status")
        for ev in evs:
            self.recent.append(ev)
            m = metrics_of(ev)
            if m is not None:
                self.metrics = m
            elif ev.get("level") in ("warn", "error") and not self.live:
                self.out.notice(f"{self.job_id}: {ev.get('level')}: {ev.get('message')}")
        if self.panel is not None:
            self.panel.draw(self.head(job), [metric_text(self.metrics), *(event_line(ev) for ev in self.recent)])
            return
        line = f"{self.job_id}: {self.status}" + (f" · {metric_text(self.metrics)}" if self.metrics else "")
        if line != self.last:
            self.out.notice(line)
            self.last = line

    def head(self, job: dict[str, Any]) -> list[str]:
        parts = [self.job_id, str(self.status), str(job.get("model"))]
        created_at = job.get("created_at")
        if isinstance(created_at, (int, float)):
            parts.append(duration((job.get("finished_at") or self.clock()) - created_at))
        return parts
