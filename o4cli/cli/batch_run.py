"""What the ``o4 batch`` commands do: glue between parsed options, the core and render.

Imported only when a batch command runs (never at start-up).
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from o4cli import render
from o4cli.core import batch_input, batches, catalog
from o4cli.cli.context import AppContext
from o4cli.core.cost import Usage, cost, format_usd, micro, parse_usd
from o4cli.core.errors import BudgetError, O4Error, UsageError
from o4cli.core.ledger import Job
from o4cli.core.ask.request import parse_metadata

RESERVED_META = 3  # o4_input, o4_shard, o4_label


def input_defaults(app: AppContext, *, endpoint: str | None, system: str | None, max_output: int | None) -> batch_input.Defaults:
    """What prompt lines become requests with: the profile, then the command's flags."""
    if max_output is not None and max_output < 16:
        raise UsageError("--max-output must be at least 16")
    s = app.settings
    return batch_input.Defaults(
        model=s.model, endpoint=endpoint, effort=s.effort, system=system, max_output=max_output, api_default=s.api
    )


def open_input(app: AppContext, file: str) -> tuple[Path, str, Path | None]:
    """(path to read, name for messages, spooled copy of stdin to delete afterwards)."""
    if file == "-":
        spooled = _spool_stdin(app)
        return spooled, "<stdin>", spooled
    path = Path(file)
    if not path.is_file():
        raise UsageError(f"{file}: no such file")
    return path, file, None


def _spool_stdin(app: AppContext) -> Path:
    folder = app.settings.data_dir / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="stdin-", suffix=".txt", dir=folder)
    with open(fd, "wb") as fh:
        shutil.copyfileobj(sys.stdin.buffer, fh)
    return Path(name)


def _plan_dict(prep: batch_input.Prepared, digest: str) -> dict[str, Any]:
    price = catalog.price_for(prep.model or "", "batch")
    input_cost = cost(Usage(input_tokens=prep.tokens), price) if price else None
    worst = cost(Usage(input_tokens=prep.tokens, output_tokens=prep.worst_output), price) if price else None
    return {
        "input": prep.source,
        "format": prep.format,
        "input_hash": digest[:16],
        "endpoint": prep.endpoint,
        "model": prep.model,
        "requests": prep.requests,
        "bytes": prep.bytes,
        "estimated_input_tokens": prep.tokens,
        "worst_case_output_tokens": prep.worst_output,
        "input_cost_usd": str(micro(input_cost)) if input_cost is not None else None,
        "worst_case_cost_usd": str(micro(worst)) if worst is not None else None,
        "pricing": "batch",
        "shards": [
            {
                "shard": s.index,
                "lines": [s.first_line, s.last_line],
                "requests": s.requests,
                "bytes": s.bytes,
                "estimated_input_tokens": s.tokens,
                "worst_case_output_tokens": s.worst_output,
            }
            for s in prep.shards
        ],
    }


def _print_plan(app: AppContext, plan: dict[str, Any], limits: batch_input.Limits, *, stream: Any) -> None:
    if app.json:
        render.print_json(plan, stream)
        return
    worst = plan["worst_case_cost_usd"]
    render.print_fields(
        [
            ("input", plan["input"]),
            ("format", plan["format"]),
            ("endpoint", plan["endpoint"]),
            ("model", plan["model"]),
            ("requests", plan["requests"]),
            ("estimated input tokens", plan["estimated_input_tokens"]),
            ("worst-case output tokens", plan["worst_case_output_tokens"]),
            ("cost of the input (batch price)", f"${plan['input_cost_usd']}" if plan["input_cost_usd"] else "unknown model"),
            ("worst case (every output budget used)", f"${worst}" if worst else "unknown model"),
            (
                "limits a shard",
                f"{limits.requests:,} requests, {limits.bytes / 1e6:.0f} MB"
                + (f", {limits.queue_tokens:,} queued tokens (tier)" if limits.queue_tokens else ""),
            ),
        ],
        title="Batch plan",
        plain=app.plain,
        stream=stream,
    )
    render.print_table(
        ["shard", "lines", "requests", "MB", "input tokens", "worst output tokens"],
        [
            (s["shard"], f"{s['lines'][0]}-{s['lines'][1]}", s["requests"], f"{s['bytes'] / 1e6:.1f}", s["estimated_input_tokens"], s["worst_case_output_tokens"])
            for s in plan["shards"]
        ],
        plain=app.plain,
        stream=stream,
    )


def report_problems(prep: batch_input.Prepared, source: str) -> None:
    shown = prep.problems[: batch_input.MAX_PROBLEMS_SHOWN]
    for p in shown:
        sys.stderr.write(f"{source}:{p.line}: {p.reason}\n" if p.line else f"{source}: {p.reason}\n")
    more = len(prep.problems) - len(shown)
    if more:
        sys.stderr.write(f"{source}: ... and {more} more bad lines\n")
    n = len(prep.problems)
    raise UsageError(
        f"{n} bad line{'s' if n != 1 else ''} in {source}; nothing was uploaded",
        hint="fix the lines above and submit again",
    )


def prepare(
    app: AppContext,
    path: Path,
    source: str,
    defaults: batch_input.Defaults,
    limits: batch_input.Limits,
    *,
    dry_run: bool,
    salt: str = "",
) -> tuple[batch_input.Prepared, str, Path | None]:
    """Check and shard; outside a dry run the shards land in the data folder."""
    digest = batch_input.input_hash(path, defaults, limits, salt=salt)
    if dry_run:
        prep = batch_input.prepare(path, defaults, limits, source=source)
        if prep.problems:
            report_problems(prep, source)
        return prep, digest, None
    final = batches.batch_dir(app.settings.data_dir, digest)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".prep-", dir=final.parent))
    try:
        prep = batch_input.prepare(path, defaults, limits, folder=tmp, source=source)
        if prep.problems:
            report_problems(prep, source)
        batches.write_ids(prep)
        if final.exists():
            shutil.rmtree(tmp)  # the same input and settings: the same shards are already there
        else:
            tmp.rename(final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for shard in prep.shards:
        shard.path = final / f"shard-{shard.index}.jsonl"
    return prep, digest, final


def submit(
    app: AppContext,
    *,
    file: str,
    endpoint: str | None,
    system: str | None,
    max_output: int | None,
    window: str,
    metadata: list[str],
    label: str | None,
    max_cost: str | None,
    dry_run: bool,
    force: bool,
    wait: bool,
    output: str | None,
    errors: str | None,
    interval: float,
    max_requests: int | None,
    max_bytes: int | None,
) -> None:
    settings = app.settings
    if window != "24h":
        raise UsageError(f"--window {window}: the Batch API offers only 24h")
    meta = parse_metadata(metadata, reserved=RESERVED_META)
    budget = parse_usd(max_cost) if max_cost is not None else None
    if wait and app.json and not output:
        raise UsageError("--wait --json prints a summary: give -o FILE for the results themselves")
    if (output or errors) and not wait:
        raise UsageError("-o/--errors on submit go with --wait (or use `o4 batch results ID -o FILE`)")
    model_entry = catalog.find(settings.model)
    limits = batch_input.Limits(
        requests=max_requests or batch_input.MAX_REQUESTS,
        bytes=max_bytes or batch_input.MAX_BYTES,
        queue_tokens=model_entry.tier(settings.tier).batch_queue_tokens if model_entry else None,
    )
    defaults = input_defaults(app, endpoint=endpoint, system=system, max_output=max_output)
    path, source, spooled = open_input(app, file)
    try:
        prep, digest, _folder = prepare(app, path, source, defaults, limits, dry_run=dry_run)
    finally:
        if spooled:
            spooled.unlink(missing_ok=True)
    plan = _plan_dict(prep, digest)
    if budget is not None:
        worst = plan["worst_case_cost_usd"]
        if worst is None:
            raise BudgetError(f"--max-cost: o4 has no price for '{prep.model}', so it cannot promise a ceiling")
        if Decimal(worst) > budget:
            raise BudgetError(
                f"--max-cost {format_usd(budget)}: the worst case is ${worst} at the batch price "
                f"({prep.tokens:,} input tokens + {prep.worst_output:,} output tokens if every output budget is used); nothing was uploaded",
                hint="set --max-output (it bounds each line's output), or raise --max-cost",
            )
    if dry_run:
        _print_plan(app, plan, limits, stream=sys.stdout)
        return
    if not app.quiet:
        app.notice(
            f"{prep.requests:,} requests in {len(prep.shards)} shard{'s' if len(prep.shards) > 1 else ''} · "
            f"~{prep.tokens:,} input tokens · worst case ${plan['worst_case_cost_usd']} at the batch price"
        )
    if limits.queue_tokens and prep.tokens > limits.queue_tokens and not app.quiet:
        app.notice(
            f"note: ~{prep.tokens:,} input tokens exceed tier {settings.tier}'s batch queue of {limits.queue_tokens:,}; "
            "shards beyond what the queue holds may fail with token_limit_exceeded: `o4 batch retry ID` sends them again"
        )
    ledger = app.ledger
    jobs = [] if force else batches.pending(ledger, digest)
    if jobs:
        if all(j.remote_id for j in jobs):
            app.notice("this input was submitted before (use --force to submit it again):")
        else:
            app.notice("resuming the earlier submit of this input")
    else:
        jobs = batches.record_shards(ledger, prep, digest, profile=settings.profile, label=label or Path(source).name)
    jobs = batches.run_submission(app.api, ledger, jobs, digest=digest, window=window, metadata=meta, notice=app.notice)
    ids = [j.remote_id for j in jobs if j.remote_id]
    if app.json and not wait:
        render.print_json({"batches": ids, "input_hash": digest[:16], "plan": plan})
    elif not wait:
        sys.stdout.write("".join(f"{i}\n" for i in ids))
        sys.stdout.flush()
    if wait:
        finals = [_watch(app, i, interval) for i in ids]
        results(app, ids, output=output, errors=errors, text=False, batches_seen=finals)


# ------------------------------------------------------------------ status


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"


def _status_line(batch: dict[str, Any]) -> str:
    p = batches.progress(batch)
    parts = [batch.get("id", "?"), p.status, f"{p.done:,}/{p.total:,} done"]
    if p.failed:
        parts.append(f"{p.failed:,} failed")
    parts.append(f"elapsed {_duration(p.elapsed)}")
    if p.remaining is not None:
        parts.append(f"about {_duration(p.remaining)} left")
    return " · ".join(parts)


def _resolve_id(app: AppContext, batch_id: str | None) -> str:
    if batch_id:
        return batch_id
    newest = app.ledger.newest_remote_id(batches.KIND)
    if newest is None:
        raise UsageError("no batch in the ledger yet: give a BATCH_ID", hint="o4 batch list")
    return newest


def _sync_ledger(app: AppContext, batch: dict[str, Any]) -> None:
    try:
        job = app.ledger.job_by_remote(batch["id"])
        if job and job.status != batch.get("status"):
            app.ledger.update_job(job.id, status=batch.get("status"))
    except O4Error:
        pass  # the ledger is bookkeeping: never block a status read


def _print_errors(batch: dict[str, Any]) -> None:
    for e in batches.batch_errors(batch):
        where = f"line {e.get('line')}: " if e.get("line") else ""
        sys.stderr.write(f"o4: {batch.get('id')}: {where}{e.get('code')}: {e.get('message')}\n")


def _watch(app: AppContext, batch_id: str, interval: float) -> dict[str, Any]:
    last: list[str] = [""]
    live_bar = render.fancy(sys.stderr, app.plain) and not app.quiet

    def update(batch: dict[str, Any]) -> None:
        _sync_ledger(app, batch)
        line = _status_line(batch)
        if app.quiet or line == last[0]:
            return
        last[0] = line
        if live_bar:
            progress = batches.progress(batch)
            sys.stderr.write("\r\x1b[2K" + render.bar(progress.done, progress.total) + " " + line)
            sys.stderr.flush()
        else:
            sys.stderr.write(f"o4: {line}\n")
            sys.stderr.flush()

    batch = batches.watch(app.api, batch_id, interval=interval, on_update=update)
    if live_bar:
        sys.stderr.write("\n")
    return batch


def status(app: AppContext, batch_id: str | None, *, watch: bool, interval: float) -> None:
    bid = _resolve_id(app, batch_id)
    batch = _watch(app, bid, interval) if watch else batches.get_batch(app.api, bid)
    _sync_ledger(app, batch)
    p = batches.progress(batch)
    if app.json:
        render.print_json({**batch, "progress": {"done": p.done, "elapsed_s": p.elapsed, "remaining_s": p.remaining}})
    else:
        rows = [
            ("batch", batch.get("id")),
            ("status", p.status),
            ("requests", f"{p.done}/{p.total} done, {p.failed} failed"),
            ("elapsed", _duration(p.elapsed)),
            ("remaining", _duration(p.remaining) if p.remaining is not None else "-"),
            ("endpoint", batch.get("endpoint")),
            ("model", batch.get("model")),
            ("output file", batch.get("output_file_id")),
            ("error file", batch.get("error_file_id")),
        ]
        if render.fancy(sys.stdout, app.plain):
            rows.insert(2, ("progress", render.bar(p.done, p.total)))
        render.print_fields(rows, plain=app.plain)
    _print_errors(batch)
    if watch and batch.get("status") != "completed":
        raise O4Error(f"batch {bid} ended {batch.get('status')}", hint=f"o4 batch results {bid} gives the part that finished")


def list_(app: AppContext, limit: int) -> None:
    page = batches.list_batches(app.api, limit=limit)
    rows = []
    for b in page.get("data") or []:
        job = app.ledger.job_by_remote(b.get("id", ""))
        p = batches.progress(b)
        rows.append(
            {
                "id": b.get("id"),
                "status": b.get("status"),
                "created_at": b.get("created_at"),
                "done": p.done,
                "total": p.total,
                "failed": p.failed,
                "endpoint": b.get("endpoint"),
                "label": job.label if job else (b.get("metadata") or {}).get("o4_label"),
                "shard": f"{job.shard}/{job.state.get('shards', 1)}" if job else (b.get("metadata") or {}).get("o4_shard"),
                "estimated_cost_usd": str(micro(job.estimated_cost_usd)) if job and job.estimated_cost_usd is not None else None,
                "cost_usd": str(micro(job.cost_usd)) if job and job.cost_usd is not None else None,
                "in_ledger": job is not None,
            }
        )
    if app.json:
        render.print_json(rows)
        return
    render.print_table(
        ["batch", "status", "done", "failed", "label", "shard", "est. worst $", "cost $"],
        [(r["id"], r["status"], f"{r['done']}/{r['total']}", r["failed"], r["label"], r["shard"], r["estimated_cost_usd"], r["cost_usd"]) for r in rows],
        plain=app.plain,
    )


def cancel(app: AppContext, batch_id: str) -> None:
    batch = batches.cancel_batch(app.api, batch_id)
    _sync_ledger(app, batch)
    if app.json:
        render.print_json(batch)
    else:
        sys.stdout.write(f"{batch.get('id')} {batch.get('status')}\n")


# ----------------------------------------------------------------- results


def _one_line(text: str) -> str:
    """An answer on one TSV line: backslash, newline and tab escaped."""
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")


def check_output(name: str, flag: str) -> Path:
    """An output file o4 may write: not a folder, in a folder that exists."""
    path = Path(name)
    if path.is_dir():
        raise UsageError(f"{flag} {name}: is a folder; give a file name")
    if not path.parent.exists():
        raise UsageError(f"{flag} {name}: the folder {path.parent} does not exist")
    return path


def _retries_of(app: AppContext, batch_id: str) -> list[Job]:
    """Every retry of a batch, oldest first, retries of retries included."""
    jobs = [j for j in reversed(app.ledger.jobs(batches.KIND)) if j.remote_id]
    chain, wanted = [], {batch_id}
    for job in jobs:  # oldest first: a retry always comes after what it retries
        if job.state.get("retry_of") in wanted:
            chain.append(job)
            wanted.add(job.remote_id)  # type: ignore[arg-type]
    return chain


def _gather(app: AppContext, batch_ids: list[str], seen: list[dict[str, Any]] | None) -> tuple[batches.Outcome, list[str] | None, list[dict[str, Any]]]:
    """Download and merge the results of batches (and their retries), recording each once."""
    merged = batches.Outcome()
    ids: list[str] | None = []
    finals: list[dict[str, Any]] = []
    known = {b["id"]: b for b in seen or []}
    for bid in batch_ids:
        batch = known.get(bid) or batches.get_batch(app.api, bid)
        if batch.get("status") not in batches.FINAL:
            p = batches.progress(batch)
            raise O4Error(
                f"batch {bid} is {batch.get('status')} ({p.done}/{p.total} done): results come when it ends",
                hint=f"o4 batch status --watch {bid}",
            )
        job = app.ledger.job_by_remote(bid)
        shard_ids = batches.read_ids(job)
        if ids is not None and shard_ids is not None:
            ids.extend(shard_ids)
        else:
            ids = None
        chain = [batch] + [batches.get_batch(app.api, j.remote_id) for j in _retries_of(app, bid)]  # type: ignore[arg-type]
        for b in chain:
            finals.append(b)
            if b.get("status") not in batches.FINAL:
                continue
            own = batches.Outcome()
            batches.fetch(app.api, b, batches.results_dir(app.settings.data_dir, b["id"]), own)
            _record(app, b, own)
            for cid, where in own.ok.items():
                if cid not in merged.ok:
                    merged.ok[cid] = where
                    merged.failed.pop(cid, None)
            for cid, where in own.failed.items():
                if cid not in merged.ok:
                    merged.failed[cid] = where
            merged.usage = merged.usage + own.usage
    return merged, ids, finals


def _record(app: AppContext, batch: dict[str, Any], outcome: batches.Outcome) -> None:
    """One ledger row per batch's results, written once."""
    job = app.ledger.job_by_remote(batch["id"])
    if (job is not None and job.state.get("recorded")) or app.ledger.has_request("batch", batch["id"]):
        return
    model = batch.get("model") or (job.model if job else None) or "o4-mini"
    price = catalog.price_for(model, "batch")
    amount = cost(outcome.usage, price) if price else None
    try:
        app.ledger.record_request(
            command="batch",
            profile=app.settings.profile,
            model=model,
            endpoint=batch.get("endpoint"),
            usage=outcome.usage,
            cost_usd=amount,
            pricing="batch",
            status=batch.get("status", "completed"),
            response_id=batch["id"],
            job_id=job.id if job else None,
            extra={"succeeded": len(outcome.ok), "failed": len(outcome.failed)},
        )
        if job is not None:
            app.ledger.update_job(job.id, status=batch.get("status"), cost_usd=amount, state={"recorded": True})
    except O4Error as exc:
        render.note(f"o4: warning: results not recorded in the ledger: {exc.message}")


def results(
    app: AppContext,
    batch_ids: list[str],
    *,
    output: str | None,
    errors: str | None,
    text: bool,
    batches_seen: list[dict[str, Any]] | None = None,
) -> None:
    if app.json and not output and not text and not batches_seen:
        raise UsageError("--json prints a summary: give -o FILE for the results themselves")
    first = batches_seen[0] if batches_seen else batches.get_batch(app.api, batch_ids[0])
    failure = batches.final_failure(first) if len(batch_ids) == 1 else None
    if failure is not None and first.get("status") == "failed":
        _print_errors(first)
        raise failure
    outcome, ids, finals = _gather(app, batch_ids, batches_seen)
    ok_lines = batches.ordered(ids, outcome.ok)
    if output:
        check_output(output, "-o")
    if errors:
        check_output(errors, "--errors")
    if text:
        text_lines = (f"{json.loads(line)['custom_id']}\t{_one_line(batches.answer_text(line))}\n".encode() for line in ok_lines)
        if output:
            batches.write_atomic_lines(Path(output), text_lines)
        else:
            sys.stdout.buffer.writelines(text_lines)
            sys.stdout.flush()
    elif output:
        batches.write_atomic_lines(Path(output), ok_lines)
    else:
        out = sys.stdout.buffer
        for line in ok_lines:
            out.write(line)
        out.flush()
    if errors:
        batches.write_atomic_lines(Path(errors), batches.ordered(ids, outcome.failed))
    never = (len(ids) - len(outcome.ok) - len(outcome.failed)) if ids is not None else 0
    model = first.get("model") or "o4-mini"
    price = catalog.price_for(model, "batch")
    amount = cost(outcome.usage, price) if price else None
    u = outcome.usage
    summary = {
        "batches": [b.get("id") for b in finals],
        "status": [b.get("status") for b in finals],
        "succeeded": len(outcome.ok),
        "failed": len(outcome.failed),
        "never_ran": max(never, 0),
        "usage": {"input_tokens": u.input_tokens, "cached_tokens": u.cached_tokens, "output_tokens": u.output_tokens, "reasoning_tokens": u.reasoning_tokens},
        "pricing": "batch",
        "cost_usd": str(micro(amount)) if amount is not None else None,
        "output": output,
        "errors": errors,
    }
    if app.json and not text and output:
        render.print_json(summary)
    if not app.quiet:
        for cid, where in list(outcome.failed.items())[:10]:
            _, code, message = batches.error_entry(next(batches.ordered([cid], {cid: where})))
            render.note(f"o4: {cid}: {code}: {message}")
        if len(outcome.failed) > 10:
            render.note(f"o4: ... and {len(outcome.failed) - 10} more failed requests" + ("" if errors else " (--errors FILE keeps them all)"))
        render.note(
            f"{', '.join(b.get('id', '?') for b in finals)}: {len(outcome.ok):,} succeeded, {len(outcome.failed):,} failed"
            + (f", {never:,} never ran" if never > 0 else "")
            + f" · in {u.input_tokens:,} ({u.cached_tokens:,} cached) · out {u.output_tokens:,} ({u.reasoning_tokens:,} reasoning) · {format_usd(amount)} batch"
        )
    if failure is not None and not outcome.ok:
        raise failure
    if outcome.failed or never > 0:
        raise O4Error(
            f"{len(outcome.failed) + max(never, 0):,} of {len(outcome.ok) + len(outcome.failed) + max(never, 0):,} requests have no answer",
            hint="`o4 batch retry " + batch_ids[0] + "` sends exactly those again",
        )


# ------------------------------------------------------------------- retry


def retry(app: AppContext, batch_id: str) -> None:
    job = app.ledger.job_by_remote(batch_id)
    if job is None or not job.state.get("path"):
        raise UsageError(f"{batch_id} is not in this ledger: o4 retries only batches it submitted", hint="o4 batch list")
    shard = Path(job.state["path"])
    if not shard.exists():
        raise UsageError(f"the ledger's copy of {batch_id}'s input ({shard}) is gone")
    batch = batches.get_batch(app.api, batch_id)
    if batch.get("status") not in batches.FINAL:
        raise O4Error(f"batch {batch_id} is still {batch.get('status')}", hint=f"o4 batch status --watch {batch_id}")
    outcome, _ids, _ = _gather(app, [batch_id], [batch]) if batch.get("status") != "failed" else (batches.Outcome(), None, [])
    # The lines of the original input with no answer yet: failed, expired, cancelled, never run.
    folder = shard.parent
    fd, tmp_name = tempfile.mkstemp(prefix=".retry-", suffix=".jsonl", dir=folder)
    count = 0
    with open(fd, "wb") as out, shard.open("rb") as src:
        for raw in src:
            if not raw.strip():
                continue
            cid = json.loads(raw).get("custom_id")
            if cid not in outcome.ok:
                out.write(raw)
                count += 1
    tmp = Path(tmp_name)
    if count == 0:
        tmp.unlink()
        app.notice(f"nothing to retry: every request of {batch_id} has an answer")
        return
    try:
        defaults = batch_input.Defaults(model=job.model or app.settings.model, endpoint=None)
        limits = batch_input.Limits(queue_tokens=None)
        # The same lines retried again after a finished retry are a new retry, not a resume.
        finished = [j.remote_id for j in _retries_of(app, batch_id) if j.status in batches.FINAL]
        salt = f"retry of {batch_id} after {','.join(sorted(finished))}"  # type: ignore[arg-type]
        prep, digest, _folder = prepare(app, tmp, f"retry of {batch_id}", defaults, limits, dry_run=False, salt=salt)
    finally:
        tmp.unlink(missing_ok=True)
    jobs = batches.pending(app.ledger, digest)
    if not jobs:
        jobs = batches.record_shards(
            app.ledger, prep, digest, profile=app.settings.profile, label=f"retry of {batch_id}", extra_state={"retry_of": batch_id}
        )
    else:
        app.notice("resuming the earlier retry of these lines")
    app.notice(f"{count:,} requests of {batch_id} to send again")
    meta = {"o4_retry_of": batch_id}
    jobs = batches.run_submission(app.api, app.ledger, jobs, digest=digest, window=batch.get("completion_window") or "24h", metadata=meta, notice=app.notice)
    ids = [j.remote_id for j in jobs if j.remote_id]
    if app.json:
        render.print_json({"batches": ids, "retry_of": batch_id, "requests": count})
    else:
        sys.stdout.write("".join(f"{i}\n" for i in ids))
