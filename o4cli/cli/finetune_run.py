"""What the ``o4 finetune`` commands do: glue between parsed options, the core and render.

Imported only when a finetune command runs (never at start-up).
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any

from o4cli import render
from o4cli.core import finetune as ft
from o4cli.core import finetune_data as fd
from o4cli.core.batch.input import MAX_PROBLEMS_SHOWN
from o4cli.cli.context import AppContext
from o4cli.core.errors import ApiError, Interrupted, O4Error, UsageError
from o4cli.core.ask.request import parse_metadata

MAX_WARNINGS_SHOWN = 10


# ------------------------------------------------------------------ checking


def _path(value: str, flag: str) -> Path:
    path = Path(value)
    if not path.is_file():
        raise UsageError(f"{flag} {value}: no such file")
    return path


def _grader(grader: str | None) -> tuple[str, fd.GraderReport] | None:
    if grader is None:
        return None
    return grader, fd.check_grader(fd.load_grader(_path(grader, "--grader")))


def _problems(reports: list[fd.FileReport], graded: tuple[str, fd.GraderReport] | None) -> list[dict[str, Any]]:
    out = []
    if graded:
        out += [{"file": graded[0], "line": None, "reason": p} for p in graded[1].problems]
    for rep in reports:
        out += [{"file": rep.path, "line": p.line or None, "reason": p.reason} for p in rep.problems]
    return out


def _warnings(reports: list[fd.FileReport], graded: tuple[str, fd.GraderReport] | None, extra: list[str]) -> list[dict[str, Any]]:
    out = [{"file": None, "line": None, "reason": w} for w in extra]
    if graded:
        out += [{"file": graded[0], "line": None, "reason": w} for w in graded[1].warnings]
    for rep in reports:
        out += [{"file": rep.path, "line": p.line or None, "reason": p.reason} for p in rep.warnings]
    return out


def _where(p: dict[str, Any]) -> str:
    return f"{p['file']}:{p['line']}: " if p["line"] else f"{p['file']}: " if p["file"] else "o4: "


def _show_warnings(app: AppContext, warnings: list[dict[str, Any]]) -> None:
    if app.quiet:
        return
    for w in warnings[:MAX_WARNINGS_SHOWN]:
        render.note(f"{_where(w)}warning: {w['reason']}")
    if len(warnings) > MAX_WARNINGS_SHOWN:
        render.note(f"o4: ... and {len(warnings) - MAX_WARNINGS_SHOWN} more warnings")


def _fail(problems: list[dict[str, Any]], what: str) -> None:
    for p in problems[:MAX_PROBLEMS_SHOWN]:
        sys.stderr.write(f"{_where(p)}{p['reason']}\n")
    if len(problems) > MAX_PROBLEMS_SHOWN:
        sys.stderr.write(f"o4: ... and {len(problems) - MAX_PROBLEMS_SHOWN} more problems\n")
    n = len(problems)
    raise UsageError(f"{n} problem{'s' if n != 1 else ''} found; {what}", hint="fix the lines above and run the command again")


def _file_doc(rep: fd.FileReport) -> dict[str, Any]:
    return {
        "file": rep.path,
        "role": rep.role,
        "examples": rep.examples,
        "bytes": rep.bytes,
        "tokens": {**rep.token_stats(), "counting": rep.token_method},
    }


def _remote(app: AppContext, graded: tuple[str, fd.GraderReport]) -> str:
    try:
        ft.validate_grader(app.api, graded[1].grader)
    except ApiError as exc:
        if exc.status == 400:
            exc.message = f"{graded[0]}: the API rejected the grader: {exc.message}"
            exc.hint = "the local checks passed; the API's message says what it wants"
        raise
    app.notice(f"{graded[0]}: the API accepts the grader")
    return "passed"


def _token_line(rep: fd.FileReport) -> str:
    t = rep.token_stats()
    how = "o200k_base" if rep.token_method == "o200k_base" else "estimate: 4 characters a token"
    return f"min {t['min']:,} · median {t['median']:,} · max {t['max']:,} ({how})"


# ------------------------------------------------------------------ validate


def validate(app: AppContext, *, file: str, method: str | None, grader: str | None, model: str | None, remote_check: bool) -> None:
    chosen = fd.resolve_model(model) if model else None
    method = method or fd.default_method(chosen or fd.DEFAULT_MODEL)
    if chosen:
        fd.check_method(chosen, method)
    if grader and method != "reinforcement":
        raise UsageError(f"--grader goes with --method reinforcement, not {method}")
    path = _path(file, "FILE")
    graded = _grader(grader)
    rep = fd.check_file(path, method, grader=graded[1] if graded else None)
    problems = _problems([rep], graded)
    extra = []
    if method == "reinforcement" and not graded:
        extra.append("no --grader: the fields a grader reads ({{item.X}}) were not checked")
    warnings = _warnings([rep], graded, extra)
    remote = None
    if remote_check and graded and not problems:
        remote = _remote(app, graded)
    price_model = chosen or (fd.DEFAULT_MODEL if method == "reinforcement" else "this model")
    cost = fd.training_cost(method, price_model, rep, {})
    doc = {
        **_file_doc(rep),
        "method": method,
        "model": chosen,
        "ok": not problems,
        "cost": cost,
        "grader": {
            "file": graded[0],
            "name": graded[1].grader.get("name"),
            "type": graded[1].grader.get("type"),
            "item_fields": [p.text for p in graded[1].item_paths],
            "remote_check": remote,
        } if graded else None,
        "problems": problems,
        "warnings": warnings,
    }  # fmt: skip
    if app.json:
        render.print_json(doc)
    else:
        rows = [
            ("file", rep.path),
            ("method", method),
            ("examples", rep.examples),
            ("tokens per example", _token_line(rep)),
            ("tokens in all", rep.token_stats()["total"]),
        ]
        if graded:
            fields = ", ".join(p.text for p in graded[1].item_paths) or "no item fields"
            rows.append(("grader", f"{graded[1].summary()} · reads {fields}"))
        rows += [("training cost", cost["note"]), ("problems", len(problems))]
        render.print_fields(rows, plain=app.plain)
    _show_warnings(app, warnings)
    if problems:
        _fail(problems, "fix them before creating a job")


# ------------------------------------------------------------------ create


def create(
    app: AppContext,
    *,
    train: str,
    valid: str | None,
    grader: str | None,
    method: str | None,
    model: str | None,
    effort: str | None,
    suffix: str | None,
    seed: int | None,
    hp: list[str],
    metadata: list[str],
    remote_check: bool,
    force: bool,
    dry_run: bool,
    wait: bool,
    interval: float,
) -> None:
    chosen = fd.resolve_model(model)
    if model and chosen != model:
        app.notice(f"fine-tuning {chosen} (the snapshot {model} points at)")
    method = method or fd.default_method(chosen)
    fd.check_method(chosen, method)
    if method == "reinforcement" and not grader:
        raise UsageError("reinforcement fine-tuning needs --grader FILE: the grader scores the model's answers")
    if method != "reinforcement":
        for flag, value in (("--grader", grader), ("--effort", effort)):
            if value:
                raise UsageError(f"{flag} goes with --method reinforcement, not {method}")
    if suffix is not None and not 1 <= len(suffix) <= 64:
        raise UsageError("--suffix takes 1 to 64 characters")
    meta = parse_metadata(metadata, reserved=1)  # o4_input: how o4 finds its job again
    hps = fd.parse_hyperparameters(hp, method)
    if effort:
        hps["reasoning_effort"] = effort
    train_path = _path(train, "--train")
    valid_path = _path(valid, "--valid") if valid else None
    graded = _grader(grader)
    reports = [fd.check_file(train_path, method, grader=graded[1] if graded else None)]
    if valid_path:
        reports.append(fd.check_file(valid_path, method, role="validation", grader=graded[1] if graded else None))
    extra = []
    if method == "reinforcement" and not valid_path:
        extra.append("no --valid: reinforcement jobs are expected to have a validation file (valid_reward_mean comes from it)")
    problems = _problems(reports, graded)
    _show_warnings(app, _warnings(reports, graded, extra))
    if problems:
        _fail(problems, "nothing was uploaded")
    plan = ft.Plan(chosen, method, train_path, valid_path, graded[1].grader if graded else None, hps, suffix, seed, meta)
    cost = fd.training_cost(method, chosen, reports[0], hps)
    if dry_run:
        body = ft.request_body(plan, f"<upload of {train_path.name}>", f"<upload of {valid_path.name}>" if valid_path else None, "<o4 tag>")
        render.print_json({"request": body, "files": [_file_doc(r) for r in reports], "cost": cost})
        return
    if remote_check and graded:
        _remote(app, graded)
    for rep in reports:
        t = rep.token_stats()
        app.notice(f"{Path(rep.path).name}: {rep.examples:,} examples, ~{t['total']:,} tokens ({rep.role})")
    app.notice(f"training cost: {cost['note']}")
    job, before = _ledger_job(app, plan, reports, force)
    try:
        job = ft.run_create(app.api, app.ledger, job, plan, app.notice)
    except KeyboardInterrupt:
        raise Interrupted("interrupted; run the same command again to resume (nothing is sent twice)") from None
    job_id = str(job.remote_id)
    remote = ft.get_job(app.api, job_id) if app.json and not wait else None
    if not wait:
        if app.json:
            render.print_json({**_view(remote or {"id": job_id, "status": job.status, "model": chosen, "method": {"type": method}}), "submitted_before": before})
        else:
            sys.stdout.write(job_id + "\n")
        return
    app.notice(f"{'watching' if before else 'created'} {job_id}")
    final = _follow(app, job_id, interval)
    if app.json:
        render.print_json({**_view(final), "submitted_before": before})
    elif final.get("fine_tuned_model"):
        sys.stdout.write(f"{final['fine_tuned_model']}\n")
    _raise_if_unsuccessful(final)


def _ledger_job(app: AppContext, plan: ft.Plan, reports: list[fd.FileReport], force: bool) -> tuple[Any, bool]:
    digest = ft.input_hash(plan)
    prior = None if force else ft.earlier(app.ledger, digest)
    if prior is not None and prior.remote_id:
        app.notice(f"this input was submitted before as {prior.remote_id}; --force creates another job")
        return prior, True
    if prior is not None:
        app.notice("resuming the earlier create of this input (nothing is sent twice)")
        return prior, False
    stats = {"examples": reports[0].examples, "tokens": reports[0].token_stats()["total"]}
    if len(reports) > 1:
        stats["valid_examples"] = reports[1].examples
    label = plan.suffix or plan.train.name
    return ft.record(app.ledger, plan, digest, profile=app.settings.profile, label=label, stats=stats), False


def _raise_if_unsuccessful(job: dict[str, Any]) -> None:
    status = job.get("status")
    if status == "succeeded":
        return
    err = job.get("error") or {}
    detail = f": {err.get('code')}: {err.get('message')}" if err.get("message") else ""
    raise O4Error(f"fine-tuning job {job.get('id')} {status}{detail}", hint=f"o4 finetune events {job.get('id')} tells the story")


# ------------------------------------------------------------------ reading


def _when(ts: Any) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts)) if isinstance(ts, (int, float)) else "-"


def _method(job: dict[str, Any]) -> str | None:
    return (job.get("method") or {}).get("type")


def _view(job: dict[str, Any]) -> dict[str, Any]:
    """The compact job shape of ``create --json`` and ``list --json``."""
    return {
        "id": job.get("id"),
        "status": job.get("status"),
        "model": job.get("model"),
        "method": _method(job),
        "created_at": job.get("created_at"),
        "finished_at": job.get("finished_at"),
        "training_file": job.get("training_file"),
        "validation_file": job.get("validation_file"),
        "trained_tokens": job.get("trained_tokens"),
        "fine_tuned_model": job.get("fine_tuned_model"),
        "suffix": job.get("user_provided_suffix"),
        "error": job.get("error") or None,
    }


def _sync(app: AppContext, job: dict[str, Any]) -> None:
    try:
        ft.sync(app.ledger, job)
    except O4Error:
        pass  # the ledger is bookkeeping: never block a read


def _resolve_id(app: AppContext, job_id: str | None) -> str:
    if job_id:
        return job_id
    newest = app.ledger.newest_remote_id(ft.KIND)
    if newest is None:
        raise UsageError("no fine-tuning job in the ledger yet: give a JOB_ID", hint="o4 finetune list")
    return newest


def _metric_text(m: dict[str, float] | None) -> str:
    if not m:
        return "-"
    step = f"step {m['step']:g}" + (f"/{m['total_steps']:g}" if "total_steps" in m else "") if "step" in m else ""
    parts = [step] if step else []
    keys = ft.metric_keys([m])
    known = [k for k in keys if k in ft.METRIC_ORDER]
    parts += [f"{k} {m[k]:.4g}" for k in (known or keys)[:4]]
    return " · ".join(parts)


def _latest_metrics(app: AppContext, job_id: str) -> dict[str, float] | None:
    page = ft.list_events(app.api, job_id, limit=100)
    for ev in page.get("data") or []:
        m = ft.metrics_of(ev)
        if m is not None:
            return m
    return None


def status(app: AppContext, job_id: str | None, *, watch: bool, interval: float) -> None:
    jid = _resolve_id(app, job_id)
    if watch:
        job = _follow(app, jid, interval)
    else:
        job = ft.get_job(app.api, jid)
    _sync(app, job)
    latest = _latest_metrics(app, jid)
    if app.json:
        render.print_json({**job, "latest_metrics": latest})
    else:
        err = job.get("error") or {}
        rows = [
            ("job", job.get("id")),
            ("status", job.get("status")),
            ("model", job.get("model")),
            ("method", _method(job)),
            ("created", _when(job.get("created_at"))),
            ("finished", _when(job.get("finished_at"))),
            ("training file", job.get("training_file")),
            ("validation file", job.get("validation_file")),
            ("trained tokens", job.get("trained_tokens")),
            ("fine-tuned model", job.get("fine_tuned_model")),
            ("latest metrics", _metric_text(latest)),
        ]
        if err.get("message"):
            rows.append(("error", f"{err.get('code')}: {err.get('message')}"))
        render.print_fields(rows, plain=app.plain)
    if watch:
        _raise_if_unsuccessful(job)


def list_(app: AppContext, limit: int) -> None:
    page = ft.list_jobs(app.api, limit=limit)
    rows = []
    for job in page.get("data") or []:
        row = app.ledger.job_by_remote(str(job.get("id")))
        rows.append({**_view(job), "label": row.label if row else None, "in_ledger": row is not None})
    if app.json:
        render.print_json(rows)
        return
    render.print_table(
        ["job", "status", "model", "method", "created", "trained tokens", "fine-tuned model", "error", "label"],
        [
            (r["id"], r["status"], r["model"], r["method"], _when(r["created_at"]), r["trained_tokens"], r["fine_tuned_model"],
             (r["error"] or {}).get("code"), r["label"])
            for r in rows
        ],  # fmt: skip
        plain=app.plain,
    )


def _event_line(ev: dict[str, Any]) -> str:
    return f"{_when(ev.get('created_at'))}  {str(ev.get('level', 'info')):<5}  {ev.get('message', '')}\n"


def events(app: AppContext, job_id: str | None, *, follow: bool, interval: float) -> None:
    jid = _resolve_id(app, job_id)

    def emit(_job: dict[str, Any] | None, evs: list[dict[str, Any]]) -> None:
        for ev in evs:
            sys.stdout.write(json.dumps(ev, ensure_ascii=False) + "\n" if app.json else _event_line(ev))
        sys.stdout.flush()

    if not follow:
        emit(None, ft.new_events(app.api, jid, set()))
        return
    try:
        job = ft.watch(app.api, jid, interval=interval, on_update=emit)
    except KeyboardInterrupt:
        raise Interrupted(f"stopped following; {jid} goes on", hint=f"o4 finetune events {jid} --follow") from None
    _sync(app, job)
    _raise_if_unsuccessful(job)


def checkpoints(app: AppContext, job_id: str | None) -> None:
    jid = _resolve_id(app, job_id)
    points = ft.list_checkpoints(app.api, jid)
    if app.json:
        render.print_json(points)
        return
    keys = ft.metric_keys([c.get("metrics") or {} for c in points])
    render.print_table(
        ["step", "checkpoint", "created", *keys],
        [
            (c.get("step_number"), c.get("fine_tuned_model_checkpoint"), _when(c.get("created_at")),
             *(_num((c.get("metrics") or {}).get(k)) for k in keys))
            for c in points
        ],  # fmt: skip
        plain=app.plain,
    )
    if not points:
        app.notice(f"{jid} has no checkpoints yet (they come at evaluation steps)")


def _num(v: Any) -> Any:
    return f"{v:.4f}" if isinstance(v, float) else v


def action(app: AppContext, job_id: str, name: str) -> None:
    job = ft.get_job(app.api, job_id)
    state = job.get("status")
    if state not in ft.ALLOWED[name]:
        raise O4Error(_refusal(name, job_id, str(state)), hint=_refusal_hint(name, job_id, str(state)))
    try:
        job = ft.act(app.api, job_id, name)
    except ApiError as exc:
        if exc.status in (400, 409):
            exc.hint = f"{job_id} was {state} a moment ago; see `o4 finetune status {job_id}`"
        raise
    _sync(app, job)
    if app.json:
        render.print_json(job)
    else:
        sys.stdout.write(f"{job.get('id')} {job.get('status')}\n")


def _refusal(name: str, job_id: str, state: str) -> str:
    if state in ft.FINAL:
        return f"{job_id} has already {state}: there is nothing to {name}"
    if name == "cancel":
        return f"cannot cancel {job_id}: it is {state}"
    need = {"pause": "running", "resume": "paused"}[name]
    return f"cannot {name} {job_id}: it is {state}, and only a {need} job can be {name}d"


def _refusal_hint(name: str, job_id: str, state: str) -> str | None:
    if state == "paused" and name == "pause":
        return f"it is paused already: `o4 finetune resume {job_id}` continues it"
    if state == "running" and name == "resume":
        return "it is running already"
    if state in ("validating_files", "queued") and name == "pause":
        return f"wait until it runs (`o4 finetune status {job_id} --watch`), or cancel it"
    return None


# ------------------------------------------------------------------ watching


class _Watcher:
    """Progress of a job on stderr: a live view on a terminal, one line per change piped."""

    def __init__(self, app: AppContext, job_id: str) -> None:
        self.app = app
        self.job_id = job_id
        self.live = render.fancy(sys.stderr, app.plain) and not app.quiet
        self.drawn = 0
        self.status: str | None = None
        self.metrics: dict[str, float] | None = None
        self.recent: deque[dict[str, Any]] = deque(maxlen=5)

    def update(self, job: dict[str, Any], evs: list[dict[str, Any]]) -> None:
        _sync(self.app, job)
        changed = job.get("status") != self.status
        self.status = job.get("status")
        for ev in evs:
            self.recent.append(ev)
            m = ft.metrics_of(ev)
            if m is not None:
                changed = changed or m.get("step") != (self.metrics or {}).get("step")
                self.metrics = m
            elif ev.get("level") in ("warn", "error") and not self.live and not self.app.quiet:
                render.note(f"o4: {self.job_id}: {ev.get('level')}: {ev.get('message')}")
        if self.app.quiet:
            return
        if self.live:
            self._draw(job)
        elif changed:
            metrics = f" · {_metric_text(self.metrics)}" if self.metrics else ""
            render.note(f"o4: {self.job_id}: {self.status}{metrics}")

    def _draw(self, job: dict[str, Any]) -> None:
        width = max(20, shutil.get_terminal_size((100, 20)).columns - 1)
        head = f"{self.job_id} · {self.status} · {job.get('model')}"
        if isinstance(job.get("created_at"), (int, float)):
            head += f" · {_duration((job.get('finished_at') or time.time()) - job['created_at'])}"
        lines = [head, f"  {_metric_text(self.metrics)}"]
        lines += [f"  {_event_line(ev).rstrip()}" for ev in self.recent]
        dim, bold, reset = ("\x1b[2m", "\x1b[1m", "\x1b[0m") if render.colour(sys.stderr) else ("", "", "")
        out = f"\x1b[{self.drawn}F\x1b[J" if self.drawn else ""
        out += "".join(f"{bold if i == 0 else dim if i > 1 else ''}{line[:width]}{reset if i != 1 else ''}\n" for i, line in enumerate(lines))
        sys.stderr.write(out)
        sys.stderr.flush()
        self.drawn = len(lines)


def _duration(seconds: float) -> str:
    s = max(int(seconds), 0)
    return f"{s // 3600}h {s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m {s % 60:02d}s"


def _follow(app: AppContext, job_id: str, interval: float) -> dict[str, Any]:
    watcher = _Watcher(app, job_id)
    try:
        return ft.watch(app.api, job_id, interval=interval, on_update=watcher.update)
    except KeyboardInterrupt:
        raise Interrupted(f"stopped watching; {job_id} goes on", hint=f"o4 finetune status {job_id} --watch") from None
