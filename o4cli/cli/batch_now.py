"""``o4 batch run``: glue between options, batch_exec's runner, the ledger and stderr."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from o4cli import render
from o4cli.cli.batch_run import check_output, input_defaults, open_input, report_problems
from o4cli.core import batch_exec, batch_input, catalog
from o4cli.core.http.client import user_agent
from o4cli.cli.context import AppContext
from o4cli.core.cost import Usage, cost, format_usd, micro
from o4cli.core.errors import Interrupted, NetworkError, O4Error, RateLimitError, UsageError

PROGRESS_TTY = 0.5
PROGRESS_PIPED = 5.0


def _items(shard: Path, done: set[str], flex: bool) -> Iterator[batch_exec.Item]:
    with shard.open("rb") as fh:
        for raw in fh:
            line = json.loads(raw)
            if line["custom_id"] in done:
                continue
            body = line["body"]
            if flex:
                body["service_tier"] = "flex"
            yield batch_exec.Item(line["custom_id"], line["url"], body, batch_exec.estimate_tokens(body))


def run(
    app: AppContext,
    *,
    file: str,
    output: str | None,
    errors: str | None,
    concurrency: int,
    rpm: int | None,
    tpm: int | None,
    flex: bool,
    endpoint: str | None,
    system: str | None,
    max_output: int | None,
) -> None:
    settings = app.settings
    if app.json and not output:
        raise UsageError("--json prints a summary: give -o FILE for the results themselves")
    model_entry = catalog.find(settings.model)
    tier = model_entry.tier(settings.tier) if model_entry else None
    rpm = rpm or (tier.rpm if tier else 500)
    tpm = tpm or (tier.tpm if tier else 200_000)
    defaults = input_defaults(app, endpoint=endpoint, system=system, max_output=max_output)
    no_limits = batch_input.Limits(requests=10**12, bytes=10**15, queue_tokens=None)
    path, source, spooled = open_input(app, file)
    work = Path(tempfile.mkdtemp(prefix="o4-run-"))
    try:
        prep = batch_input.prepare(path, defaults, no_limits, folder=work, source=source)
        if prep.problems:
            report_problems(prep, source)
        shard = work / "shard-1.jsonl"
        out_path = check_output(output, "-o") if output else None
        if errors:
            check_output(errors, "--errors")
        if out_path:
            _claim(out_path, batch_input.input_hash(path, defaults, no_limits))
        done = batch_exec.read_done(out_path) if out_path else set()
        todo = [c for c in prep.custom_ids if c not in done]
        pricing = "flex" if flex else "standard"
        price = catalog.price_for(prep.model or settings.model, pricing)
        headers = {"Authorization": f"Bearer {settings.require_key()}", "User-Agent": user_agent()}
        if settings.organization:
            headers["OpenAI-Organization"] = settings.organization
        if settings.project:
            headers["OpenAI-Project"] = settings.project
        out_fh: IO[bytes] = out_path.open("ab") if out_path else sys.stdout.buffer
        err_fh: IO[bytes] | None = Path(errors).open("wb") if errors else None
        rows: list[dict[str, Any]] = []
        profile_name = settings.profile

        def on_result(item: batch_exec.Item, status: int, body: dict[str, Any] | None, seconds: float) -> None:
            usage = Usage.from_api((body or {}).get("usage"))
            tier_used = (body or {}).get("service_tier")
            mode = "flex" if (tier_used == "flex" or (flex and tier_used is None)) else "standard"
            p = catalog.price_for(prep.model or settings.model, mode)
            rows.append(
                {
                    "command": "batch run",
                    "profile": profile_name,
                    "model": (body or {}).get("model") or prep.model,
                    "endpoint": item.url,
                    "usage": usage,
                    "cost_usd": cost(usage, p) if p and body else None,
                    "pricing": mode,
                    "status": "ok" if status == 200 else "error",
                    "response_id": (body or {}).get("id"),
                    "duration_s": round(seconds, 3),
                    "extra": {"custom_id": item.custom_id} if status == 200 else {"custom_id": item.custom_id, "status": status},
                }
            )

        def flush_rows() -> None:
            if rows:
                batch, rows[:] = list(rows), []
                try:
                    app.ledger.record_requests(batch)
                except O4Error as exc:
                    render.note(f"o4: warning: {len(batch)} requests not recorded in the ledger: {exc.message}")

        tty = render.fancy(sys.stderr, app.plain)
        total = len(todo)

        def tick(t: batch_exec.Tally) -> None:
            flush_rows()
            if not app.quiet:
                line = _progress(t, total, price, tty)
                if tty:
                    sys.stderr.write("\r\x1b[2K" + line)
                else:
                    sys.stderr.write(f"o4: {line}\n")
                sys.stderr.flush()

        if done and not app.quiet:
            app.notice(f"{len(done):,} requests already in {output}: skipped")
        runner = batch_exec.Runner(
            base_url=settings.base_url,
            headers=headers,
            timeout=settings.timeout,
            max_retries=settings.max_retries,
            concurrency=concurrency,
            pacer=batch_exec.Pacer(rpm, tpm),
            out=out_fh,
            errors=err_fh,
            on_result=on_result,
            log=app.log,
            secret=settings.api_key,
        )
        runner.tally.total = total
        try:
            tally = asyncio.run(runner.run(_items(shard, done, flex), tick=tick, every=PROGRESS_TTY if tty else PROGRESS_PIPED))
        except KeyboardInterrupt:
            tally = runner.tally
            tally.interrupted = True
        finally:
            runner.sync()
            if out_path:
                out_fh.close()
            if err_fh:
                err_fh.close()
            flush_rows()
            if tty and not app.quiet:
                sys.stderr.write("\r\x1b[2K")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if spooled:
            spooled.unlink(missing_ok=True)
    amount = cost(tally.usage, price) if price else None
    u = tally.usage
    left = total - tally.done - tally.failed
    summary = {
        "requests": total + len(done),
        "done": tally.done,
        "failed": tally.failed,
        "skipped": len(done),
        "not_done": left,
        "rate_limited": tally.rate_limited,
        "retried": tally.retried,
        "usage": {"input_tokens": u.input_tokens, "cached_tokens": u.cached_tokens, "output_tokens": u.output_tokens, "reasoning_tokens": u.reasoning_tokens},
        "pricing": pricing,
        "cost_usd": str(micro(amount)) if amount is not None else None,
        "seconds": round(tally.elapsed, 3),
        "requests_per_minute": round(tally.done / tally.elapsed * 60, 1) if tally.elapsed > 0 else None,
        "output": output,
        "errors": errors,
    }
    if app.json:
        render.print_json(summary)
    if not app.quiet:
        render.note(
            f"{tally.done:,} done, {tally.failed:,} failed, {len(done):,} skipped"
            + (f", {left:,} not done" if left else "")
            + f" · {summary['requests_per_minute'] or 0:,.0f} req/min · 429s: {tally.rate_limited}"
            + f" · in {u.input_tokens:,} ({u.cached_tokens:,} cached) · out {u.output_tokens:,} ({u.reasoning_tokens:,} reasoning)"
            + f" · {format_usd(amount)}{'' if pricing == 'standard' else ' flex'} · {tally.elapsed:.1f} s"
        )
    if runner.fatal is not None:
        runner.fatal.message = f"{runner.fatal.message} (stopped: {left:,} requests not sent; a re-run continues)"
        raise runner.fatal
    if tally.interrupted:
        raise Interrupted(
            f"interrupted: {tally.done:,} done and kept; {left:,} not done",
            hint="run the same command again to do the rest" + ("" if output else " (with -o FILE, finished ones are skipped)"),
        )
    if tally.failed:
        statuses = set(tally.failed_status)
        kind: type[O4Error] = O4Error
        if statuses <= {429}:
            kind = RateLimitError
        elif all(s == 0 or s >= 500 for s in statuses):
            kind = NetworkError  # network or server errors only: exit 5
        raise kind(
            f"{tally.failed:,} requests failed after their retries" + (f" (see {errors})" if errors else ""),
            hint="run the same command again to retry them" + ("" if errors else "; --errors FILE keeps their reasons"),
        )


def _claim(out: Path, digest: str) -> None:
    """Tie an output file to the input it holds results of (a small file beside it), so
    that resuming with another input cannot skip lines whose generated ids match."""
    mark = out.with_name(f".{out.name}.o4-input")
    if mark.exists() and out.exists() and out.stat().st_size:
        if mark.read_text().strip() != digest:
            raise UsageError(
                f"-o {out}: it holds the results of another input (or other -m/-e/-s options)",
                hint="give another -o FILE, or delete it to start over",
            )
        return
    mark.write_text(digest + "\n")


def _progress(t: batch_exec.Tally, total: int, price: Any, tty: bool) -> str:
    finished = t.done + t.failed
    el = max(t.elapsed, 1e-6)
    rpm = finished / el * 60
    tpm = (t.usage.input_tokens + t.usage.output_tokens) / el * 60
    eta = (total - finished) / (finished / el) if finished else None
    money = format_usd(cost(t.usage, price)) if price else "$?"
    head = render.bar(finished, total, 24) if tty else f"{finished:,}/{total:,}"
    return (
        f"{head} · {rpm:,.0f} req/min · {tpm:,.0f} tok/min"
        + (f" · ETA {eta:.0f} s" if eta is not None else "")
        + f" · {money}"
        + (f" · {t.failed} failed" if t.failed else "")
    )
