"""``o4 batch run``: a batch input executed now, in parallel within the rate limits, as
Batch-format output lines; resumable (a re-run skips the custom_ids already in ``-o``).

This module turns the options into a ``runner.Runner``, records every answer in the
ledger, and decides the exit code the run amounts to (``RunReport.error``).
"""

from __future__ import annotations

import asyncio
import functools
import json
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from o4cli.core import catalog, lifecycle, telemetry
from o4cli.core.ask.answer import unanswered
from o4cli.core.batch import input as batch_input
from o4cli.core.batch import runner
from o4cli.core.batch.submit import Plan, check_budget, check_lines, input_defaults, open_input
from o4cli.core.budget import reserve as reserve_budget
from o4cli.core.cost import Usage, call_cost, cost, parse_usd
from o4cli.core.errors import Interrupted, NetworkError, O4Error, RateLimitError, UsageError
from o4cli.core.files import distinct, output_file, temp_dir
from o4cli.core.ledger import record
from o4cli.core.locks import exclusive
from o4cli.core.runtime import Runtime
from o4cli.core.tokens import count_body

PROGRESS_LIVE = 0.5  # seconds between progress ticks on a terminal
PROGRESS_PIPED = 5.0
ROWS_PER_WRITE = 200  # ledger rows held at most between writes (memory stays flat at any rate)
DEFAULT_RPM, DEFAULT_TPM = 500, 200_000  # a model the catalog does not know


@dataclass(frozen=True)
class RunOptions:
    file: str
    output: str | None = None
    errors: str | None = None
    concurrency: int | None = None  # requests in flight at most; None: up to runner.MAX_IN_FLIGHT
    rpm: int | None = None
    tpm: int | None = None
    flex: bool = False
    endpoint: str | None = None
    system: str | None = None
    max_output: int | None = None
    max_cost: str | None = None
    dry_run: bool = False


@dataclass
class RunReport:
    tally: runner.Tally
    total: int  # requests this run set out to do
    skipped: int  # already in -o
    pricing: str
    cost_usd: Decimal | None
    output: str | None
    errors: str | None
    error: O4Error | None = None

    @property
    def left(self) -> int:
        return self.total - self.tally.done - self.tally.failed


@dataclass
class Progress:
    """What a progress tick shows."""

    tally: runner.Tally
    total: int
    price: Any = None


def _items(shard: Path, done: set[str], flex: bool) -> Iterator[runner.Item]:
    with shard.open("rb") as fh:
        for raw in fh:
            line = json.loads(raw)
            if line["custom_id"] in done:
                continue
            body = line["body"]
            if flex:
                body["service_tier"] = "flex"
            yield runner.Item(line["custom_id"], line["url"], body, runner.estimate_tokens(body))


def claim(out: Path, digest: str) -> None:
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


def run(
    rt: Runtime,
    o: RunOptions,
    *,
    stdin: Any,
    stdout: IO[bytes],
    live: bool,
    on_progress: Callable[[Progress], None],
    json_summary: bool = False,
) -> RunReport | Plan:
    """Check the input, skip what ``-o`` has, run the rest; lines go to ``-o`` or ``stdout``.
    A dry run (``--dry-run``) returns the plan of what is left: nothing is sent or written."""
    settings = rt.settings
    if json_summary and not o.output:
        raise UsageError("--json prints a summary: give -o FILE for the results themselves")
    model_entry = catalog.find(settings.model)
    tier = model_entry.tier(settings.tier) if model_entry else None
    lifecycle.before_send(rt, settings.model, dry_run=o.dry_run)
    rpm = o.rpm or (tier.rpm if tier else DEFAULT_RPM)
    tpm = o.tpm or (tier.tpm if tier else DEFAULT_TPM)
    distinct({"the input": o.file, "-o": o.output, "--errors": o.errors})
    defaults = input_defaults(rt, endpoint=o.endpoint, system=o.system, max_output=o.max_output)
    no_limits = batch_input.Limits(requests=10**12, bytes=10**15, queue_tokens=None)
    path, source, spooled = open_input(rt, o.file, stdin)
    stack = ExitStack()
    work = temp_dir(settings.data_dir / "tmp", "run")
    try:
        prep = batch_input.prepare(path, defaults, no_limits, folder=work, source=source, count_tokens=False)
        check_lines(prep, source, "nothing was sent")
        out_path = output_file(o.output, "-o") if o.output else None
        if o.errors:
            output_file(o.errors, "--errors")
        if out_path and not o.dry_run:
            # One run at a time on an output file: a second refuses at once (the kernel drops
            # the lock when the first ends, however it ends); a re-run then does what is left.
            lock = exclusive(
                out_path.with_name(f".{out_path.name}.o4-lock"),
                wait=False,
                busy=f"-o {out_path}: another o4 batch run is writing it now; nothing was sent",
            )
            stack.enter_context(lock)
            claim(out_path, batch_input.input_hash(path, defaults, no_limits))
        done = runner.read_done(out_path) if out_path else set()
        if done and not o.dry_run:
            _recover_rows(rt, out_path, prep.model or settings.model)
        if done:
            rt.notice(f"{len(done):,} requests already in {o.output}: skipped")
        total = len([c for c in prep.custom_ids if c not in done])
        pricing = "flex" if o.flex else "standard"
        model = prep.model or settings.model
        price = catalog.price_for(model, pricing)
        plan = make_plan(work / "shard-1.jsonl", done, prep, pricing, total)
        check_budget(plan, parse_usd(o.max_cost) if o.max_cost is not None else None, "nothing was sent")
        if o.dry_run:
            return plan
        with reserve_budget(rt, lambda: plan.worst_cost, "batch run", what="this run"):  # held until its rows are in
            tally = _execute(
                rt, o, work / "shard-1.jsonl", done, model, out_path, stdout, rpm, tpm, total, price, live, on_progress
            )
    finally:
        stack.close()
        shutil.rmtree(work, ignore_errors=True)
        if spooled:
            spooled.unlink(missing_ok=True)
    report = RunReport(
        tally, total, len(done), pricing, cost(tally.usage, price) if price else None, o.output, o.errors
    )
    report.error = _verdict(report, o)
    return report


def make_plan(shard: Path, done: set[str], prep: batch_input.Prepared, pricing: str, total: int) -> Plan:
    """The plan of the lines still to run (a re-run skips those in ``-o``), at ``pricing``:
    their input estimate and their worst case (every output budget used), as submit's."""
    if done:
        tokens = worst_output = 0
        with shard.open("rb") as fh:
            for raw in fh:
                line = json.loads(raw)
                if line["custom_id"] not in done:
                    body = line["body"]
                    entry = catalog.find(str(body.get("model") or prep.model or ""))
                    est = count_body(body, entry.tokenizer if entry else None, entry.image_tokens if entry else None)
                    tokens += max(1, est.tokens)  # as `prepare` counts a line
                    worst_output += batch_input.worst_output(body, entry)
        prep = replace(prep, requests=total, tokens=tokens, worst_output=worst_output)
    price = catalog.price_for(prep.model or "", pricing)
    input_cost = cost(Usage(input_tokens=prep.tokens), price) if price else None
    worst = cost(Usage(input_tokens=prep.tokens, output_tokens=prep.worst_output), price) if price else None
    return Plan(prep, "", batch_input.Limits(requests=0, bytes=0, queue_tokens=None), input_cost, worst, pricing)


def _row(
    profile: str,
    model: str,
    url: str,
    custom_id: str,
    status: int,
    body: dict[str, Any] | None,
    seconds: float,
    flex: bool,
    price_for: Callable[[str, str], Any] = catalog.price_for,
) -> dict[str, Any]:
    """The ledger row of one request of a run (priced at the tier the API says it used;
    ``price_for``: the catalog's lookup, memoised by a run that asks it once a request)."""
    usage = Usage.from_api((body or {}).get("usage"))
    tier_used = (body or {}).get("service_tier")
    mode = "flex" if (tier_used == "flex" or (flex and tier_used is None)) else "standard"
    p = price_for(model, mode)
    amount = call_cost(usage, p) if p and body else None
    return {
        "command": "batch run",
        "profile": profile,
        "model": (body or {}).get("model") or model,
        "endpoint": url,
        "usage": usage,
        "cost_usd": amount,
        "unpriced": bool(body) and status == 200 and amount is None,
        "pricing": mode,
        "status": ("incomplete" if body and unanswered(body) else "ok") if status == 200 else "error",
        "response_id": (body or {}).get("id"),
        "duration_s": round(seconds, 3),
        "extra": {"custom_id": custom_id, **({} if status == 200 else {"status": status})},
    }


def _recover_rows(rt: Runtime, out: Path, model: str) -> None:
    """Answers in ``-o`` without their ledger row (a run killed between two ledger writes)
    are recorded now, from the answer itself: no paid call goes unrecorded."""
    known = rt.ledger.response_ids("batch run")
    missing = []
    with out.open("rb") as fh:
        for raw in fh:
            line = json.loads(raw)
            resp = line.get("response") or {}
            body = resp.get("body") if isinstance(resp.get("body"), dict) else None
            if resp.get("status_code") == 200 and body and body.get("id") and body["id"] not in known:
                url = "/v1/chat/completions" if "choices" in body else "/v1/responses"
                missing.append(_row(rt.settings.profile, model, url, line["custom_id"], 200, body, 0.0, False))
    if missing:
        record(rt, f"{len(missing)} earlier answers were", lambda ledger: ledger.record_requests(missing))
        rt.notice(f"{len(missing):,} answers in {out} had no ledger row (an interrupted run): recorded now")


def _execute(
    rt: Runtime, o: RunOptions, shard: Path, done: set[str], model: str, out_path: Path | None, stdout: IO[bytes],
    rpm: int, tpm: int, total: int, price: Any, live: bool, on_progress: Callable[[Progress], None],
) -> runner.Tally:  # fmt: skip
    from o4cli.core.http.client import async_sender

    settings = rt.settings
    rt.warn_key_in_clear()
    rows: list[dict[str, Any]] = []

    price_for = functools.lru_cache(maxsize=None)(catalog.price_for)  # one catalog lookup a tier, not a request

    def on_result(item: runner.Item, status: int, body: dict[str, Any] | None, seconds: float) -> None:
        rows.append(_row(settings.profile, model, item.url, item.custom_id, status, body, seconds, o.flex, price_for))
        telemetry.note_row(rows[-1], model, seconds, settings.base_url, body)  # a child of the run's span
        if rows[-1]["status"] == "incomplete" or len(rows) >= ROWS_PER_WRITE:
            flush_rows()  # incomplete: paid, and in no -o line to recover it from: recorded at once

    def flush_rows() -> None:
        if rows:
            batch, rows[:] = list(rows), []
            record(rt, f"{len(batch)} requests were", lambda ledger: ledger.record_requests(batch))

    def tick(t: runner.Tally) -> None:
        flush_rows()
        on_progress(Progress(t, total, price))

    out_fh: IO[bytes] = out_path.open("ab") if out_path else stdout
    err_fh: IO[bytes] | None = Path(o.errors).open("wb") if o.errors else None
    work = runner.Runner(
        client=lambda n: async_sender(settings, connections=n, transport=rt.async_transport),
        max_retries=settings.max_retries,
        concurrency=o.concurrency or runner.MAX_IN_FLIGHT,
        pacer=runner.Pacer(rpm, tpm),
        out=out_fh,
        errors=err_fh,
        on_result=on_result,
        log=rt.log,
        secret=settings.api_key,
    )
    work.tally.total = total
    try:
        with telemetry.group("batch run", **{"o4.command": "batch run", "gen_ai.request.model": model}) as span:
            tally = asyncio.run(
                work.run(_items(shard, done, o.flex), tick=tick, every=PROGRESS_LIVE if live else PROGRESS_PIPED)
            )
            span.update({"o4.requests.done": tally.done, "o4.requests.failed": tally.failed})
    except KeyboardInterrupt:
        tally = work.tally
        tally.interrupted = True
    finally:
        work.sync()
        if out_path:
            out_fh.close()
        if err_fh:
            err_fh.close()
        flush_rows()
    return tally


def _verdict(r: RunReport, o: RunOptions) -> O4Error | None:
    """The exit code of a run: a wall (401, quota) first, then Ctrl-C, then failed requests
    (4 when all were 429s, 5 when all were network or server errors, else 1)."""
    t = r.tally
    if t.fatal is not None:
        t.fatal.message = f"{t.fatal.message} (stopped: {r.left:,} requests not sent; a re-run continues)"
        return t.fatal
    if t.interrupted:
        return Interrupted(
            f"interrupted: {t.done:,} done and kept; {r.left:,} not done",
            hint="run the same command again to do the rest"
            + ("" if o.output else " (with -o FILE, finished ones are skipped)"),
        )
    if t.failed:
        statuses = set(t.failed_status)
        kind: type[O4Error] = O4Error
        if statuses <= {429}:
            kind = RateLimitError
        elif all(s == 0 or s >= 500 for s in statuses):
            kind = NetworkError  # network or server errors only: exit 5
        empty = (
            f"; {t.unanswered:,} of them paid but incomplete with no answer text (raise --max-output)"
            if t.unanswered
            else ""
        )
        return kind(
            f"{t.failed:,} requests failed after their retries{empty}" + (f" (see {o.errors})" if o.errors else ""),
            hint="run the same command again to retry them"
            + ("" if o.errors else "; --errors FILE keeps their reasons"),
        )
    return None


def stdout_bytes(stream: Any) -> Any:
    """The byte stream under a text stdout (the lines are written as they finish)."""
    return stream.buffer if hasattr(stream, "buffer") else _TextSink(stream)


class _TextSink:
    """Bytes written to a text stream (a test's StringIO)."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, data: bytes) -> int:
        self.stream.write(data.decode("utf-8"))
        return len(data)

    def flush(self) -> None:
        self.stream.flush()
