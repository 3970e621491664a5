"""The documents of ``o4 finetune``: one builder per command (the README's tables list
their keys). Money follows the package's convention: a JSON number, exact.

- ``validate``: the file's statistics, the grader, the cost, every problem and warning.
- ``create``: the compact job (``job_view``) plus what was sent; the same shape in a
  dry run (the job's keys from the API are null then) and with ``--wait`` (the job as
  it ended).
- ``status``: the API's job object plus ``latest_metrics``.
- ``jobs_list``: compact jobs with what the ledger knows of them.
- ``event``: one API event a line (JSON Lines), ``--follow`` included.
- ``checkpoints``: the API's checkpoint objects, by step.
- ``action``: the API's job object after cancel, pause or resume.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from o4cli.core.finetune.check import ValidateReport
    from o4cli.core.finetune.create import CreateResult
    from o4cli.core.finetune.data import FileReport, TrainingCost
    from o4cli.core.finetune.track import Listed
    from o4cli.core.problems import Problem

# The keys of an event, in this order; any key the API adds follows them.
EVENT_KEYS = ("object", "id", "created_at", "level", "message", "type", "data")


# ------------------------------------------------------------------ pieces


def file_report(rep: FileReport) -> dict[str, Any]:
    return {
        "file": rep.path,
        "role": rep.role,
        "examples": rep.examples,
        "bytes": rep.bytes,
        "tokens": {**rep.token_stats(), "counting": rep.token_method},
    }


def cost(c: TrainingCost) -> dict[str, Any]:
    return {
        "billing": c.billing,
        "usd": c.usd,
        "hourly_usd": c.hourly_usd,
        "trained_tokens_per_epoch": c.trained_tokens_per_epoch,
        "trained_tokens": c.trained_tokens,
        "epochs": c.epochs,
        "note": c.note,
    }


def problems(items: list[Problem]) -> list[dict[str, Any]]:
    """Problems or warnings as ``documents.error`` lists them: file, line (null: the whole file), reason."""
    return [{"file": p.file, "line": p.line or None, "reason": p.reason} for p in items]


def job_view(job: dict[str, Any]) -> dict[str, Any]:
    """The compact job of ``create`` and ``list``."""
    return {
        "id": job.get("id"),
        "status": job.get("status"),
        "model": job.get("model"),
        "method": (job.get("method") or {}).get("type"),
        "created_at": job.get("created_at"),
        "finished_at": job.get("finished_at"),
        "training_file": job.get("training_file"),
        "validation_file": job.get("validation_file"),
        "trained_tokens": job.get("trained_tokens"),
        "fine_tuned_model": job.get("fine_tuned_model"),
        "suffix": job.get("user_provided_suffix"),
        "error": job.get("error") or None,
    }


# ------------------------------------------------------------------ the commands


def validate(r: ValidateReport) -> dict[str, Any]:
    """``finetune validate --json`` (printed before the exit 2 of a file with problems)."""
    g = r.grader
    return {
        **file_report(r.file),
        "method": r.method,
        "model": r.model,
        "ok": r.ok,
        "cost": cost(r.cost),
        "grader": {
            "file": g.file,
            "name": g.grader.get("name"),
            "type": g.grader.get("type"),
            "item_fields": [p.text for p in g.report.item_paths],
            "remote_check": r.remote_check,
        }
        if g
        else None,
        "problems": problems(r.problems),
        "warnings": problems(r.warnings),
    }


def create(r: CreateResult) -> dict[str, Any]:
    """``finetune create --json``; ``--dry-run`` prints it with or without ``--json``."""
    if r.job is not None:
        view = job_view(r.job)
    else:  # a dry run: what the plan says, the rest unknown
        view = {**job_view({}), "model": r.plan.model, "method": r.plan.method, "suffix": r.plan.suffix}
    return {
        **view,
        "submitted_before": r.submitted_before,
        "dry_run": r.dry_run,
        "request": r.request,
        "files": [file_report(rep) for rep in r.reports],
        "cost": cost(r.cost),
    }


def status(job: dict[str, Any], latest_metrics: dict[str, float] | None) -> dict[str, Any]:
    """``finetune status --json`` (``--watch``: the job as it ended)."""
    return {**job, "latest_metrics": latest_metrics}


def jobs_list(rows: list[Listed]) -> list[dict[str, Any]]:
    """``finetune list --json``, newest first."""
    return [{**job_view(r.job), "label": r.label, "in_ledger": r.in_ledger} for r in rows]


def event(ev: dict[str, Any]) -> dict[str, Any]:
    """One line of ``finetune events --json``."""
    return {**{k: ev.get(k) for k in EVENT_KEYS}, **{k: v for k, v in ev.items() if k not in EVENT_KEYS}}


def checkpoints(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``finetune checkpoints --json``, by step."""
    return list(points)


def action(job: dict[str, Any]) -> dict[str, Any]:
    """``finetune cancel|pause|resume --json``."""
    return dict(job)
