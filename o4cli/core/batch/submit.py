"""``o4 batch submit``: check every line, plan, shard, upload, create; resumable.

Every step of a submit is written to the ledger before and after it happens, keyed by
the input's hash, and every file and batch o4 creates is tagged (file name, batch
metadata ``o4_input``/``o4_shard``). A submit interrupted anywhere is finished by the
next identical submit: what the ledger says was done is skipped, and a step that was
started but not recorded is looked up remotely (``core.resumable``) before it is done again.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from o4cli.core import catalog, lifecycle, resumable
from o4cli.core.ask.request import parse_metadata
from o4cli.core.batch import input as batch_input
from o4cli.core.batch import remote
from o4cli.core.batch.remote import KIND
from o4cli.core.budget import reserve as reserve_budget
from o4cli.core.cost import Usage, cost, format_usd, parse_usd
from o4cli.core.errors import BudgetError, UsageError
from o4cli.core.files import distinct, existing_file, output_file, spool, temp_dir
from o4cli.core.http import files
from o4cli.core.http.api import Api
from o4cli.core.ledger import Job, Ledger
from o4cli.core.locks import exclusive, work_lock
from o4cli.core.problems import InputProblems
from o4cli.core.runtime import Runtime

RESERVED_META = 3  # o4_input, o4_shard, o4_label
# o4's own bound on one input (a file or stdin), far past what a day of batches takes: about
# 50 full 200 MB shards. It stops an endless stream (`yes | o4 batch submit -`) filling the disk.
MAX_INPUT_BYTES = 10 * 2**30
TOO_BIG = "too large for one o4 input (split it)"


# ------------------------------------------------------------ shared with run and retry


def input_defaults(
    rt: Runtime, *, endpoint: str | None, system: str | None, max_output: int | None
) -> batch_input.Defaults:
    """What prompt lines become requests with: the profile, then the command's flags."""
    if max_output is not None and max_output < 16:
        raise UsageError("--max-output must be at least 16")
    if system is not None and not _is_unicode(system):
        raise UsageError("-s/--system: not valid UTF-8 text (a byte the terminal could not decode)")
    s = rt.settings
    return batch_input.Defaults(
        model=s.model, endpoint=endpoint, effort=s.effort, system=system, max_output=max_output, api_default=s.api
    )


def _is_unicode(text: str) -> bool:
    """No lone surrogate (how Python keeps undecodable bytes of the command line)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def open_input(rt: Runtime, file: str, stdin: Any) -> tuple[Path, str, Path | None]:
    """(path to read, name for messages, spooled copy of stdin to delete afterwards)."""
    if file == "-":
        stream = stdin.buffer if hasattr(stdin, "buffer") else stdin
        spooled = spool(stream, rt.settings.data_dir / "tmp", MAX_INPUT_BYTES, TOO_BIG)
        return spooled, "<stdin>", spooled
    return existing_file(file, "", limit=MAX_INPUT_BYTES, too_big=TOO_BIG), file, None


def check_lines(prep: batch_input.Prepared, source: str, what: str = "nothing was uploaded") -> None:
    """Raise every bad line of the input (``FILE:LINE: reason``), exit 2."""
    if prep.problems:
        for p in prep.problems:
            p.file = source
        noun = "bad line" if any(p.line for p in prep.problems) else "problem"  # an empty input is no bad line
        raise InputProblems(prep.problems, what, noun=noun, hint="fix the lines above and submit again")


def prepare(
    rt: Runtime,
    path: Path,
    source: str,
    defaults: batch_input.Defaults,
    limits: batch_input.Limits,
    *,
    dry_run: bool,
    salt: str = "",
) -> tuple[batch_input.Prepared, str]:
    """Check and shard; outside a dry run the shards land in the data folder."""
    digest = batch_input.input_hash(path, defaults, limits, salt=salt)
    if dry_run:
        prep = batch_input.prepare(path, defaults, limits, source=source)
        check_lines(prep, source)
        return prep, digest
    final = remote.batch_dir(rt.settings.data_dir, digest)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_dir(final.parent, "prep")
    try:
        prep = batch_input.prepare(path, defaults, limits, folder=tmp, source=source)
        check_lines(prep, source)
        write_ids(prep)
        if final.exists():
            shutil.rmtree(tmp)  # the same input and settings: the same shards are already there
        else:
            tmp.rename(final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for shard in prep.shards:  # the shards now live in the final folder
        if shard.path is not None:
            shard.path = final / shard.path.name
    return prep, digest


# ------------------------------------------------------------------ the plan


@dataclass(frozen=True)
class Plan:
    """What a submit will send and what it can cost, at the batch price."""

    prep: batch_input.Prepared
    digest: str
    limits: batch_input.Limits
    input_cost: Decimal | None
    worst_cost: Decimal | None
    pricing: str = "batch"  # `batch run` plans at the standard or flex price


def _queue(model: catalog.Model | None, tier: int) -> int | None:
    limit = model.tier(tier) if model else None
    return limit.batch_queue_tokens if limit else None


def make_plan(prep: batch_input.Prepared, digest: str, limits: batch_input.Limits) -> Plan:
    price = catalog.price_for(prep.model or "", "batch")
    input_cost = cost(Usage(input_tokens=prep.tokens), price) if price else None
    worst = cost(Usage(input_tokens=prep.tokens, output_tokens=prep.worst_output), price) if price else None
    return Plan(prep, digest, limits, input_cost, worst)


def check_budget(plan: Plan, budget: Decimal | None, what: str = "nothing was uploaded") -> None:
    if budget is None:
        return
    prep = plan.prep
    if plan.worst_cost is None:
        raise UsageError(
            f"--max-cost: o4 has no batch price for '{prep.model}', so it cannot promise a ceiling; "
            "nothing was uploaded",
            hint=f'give its prices in models.toml ([models."{catalog.canonical(prep.model or "")}".prices.batch];'
            " README 'Models'), or drop --max-cost",
        )
    if plan.worst_cost > budget:
        raise BudgetError(
            f"--max-cost {format_usd(budget)}: the worst case is {format_usd(plan.worst_cost)} at the {plan.pricing} "
            f"price ({prep.tokens:,} input tokens ({'exact' if prep.exact else 'estimated'}) + {prep.worst_output:,} "
            f"output tokens if every output budget is used); {what}",
            hint="set --max-output (it bounds each line's output), or raise --max-cost",
        )


# ------------------------------------------------------------------ submit


@dataclass(frozen=True)
class SubmitOptions:
    file: str
    endpoint: str | None = None
    system: str | None = None
    max_output: int | None = None
    window: str = "24h"
    metadata: tuple[str, ...] = ()
    label: str | None = None
    max_cost: str | None = None
    dry_run: bool = False
    force: bool = False
    wait: bool = False
    output: str | None = None
    errors: str | None = None
    max_requests: int | None = None  # hidden: tests shard small inputs
    max_bytes: int | None = None


@dataclass
class Submitted:
    """A submit's outcome: the plan, and (unless a dry run) the batches it made or found."""

    plan: Plan
    dry_run: bool
    batch_ids: list[str] = field(default_factory=list)
    submitted_before: bool = False


def submit(rt: Runtime, o: SubmitOptions, stdin: Any) -> Submitted:
    """Check, plan, and (unless ``dry_run``) record, upload and create every shard."""
    settings = rt.settings
    if o.window != "24h":
        raise UsageError(f"--window {o.window}: the Batch API offers only 24h")
    meta = parse_metadata(list(o.metadata), reserved=RESERVED_META)
    budget = parse_usd(o.max_cost) if o.max_cost is not None else None
    if (o.output or o.errors) and not o.wait:
        raise UsageError("-o/--errors on submit go with --wait (or use `o4 batch results ID -o FILE`)")
    distinct({"the input": o.file, "-o": o.output, "--errors": o.errors})
    for name, flag in ((o.output, "-o"), (o.errors, "--errors")):
        if name:
            output_file(name, flag)
    model_entry = catalog.find(settings.model)
    if model_entry is not None and model_entry.endpoints and "/v1/batches" not in model_entry.endpoints:
        raise UsageError(
            f"{model_entry.id} is not offered through the Batch API (o4's catalog: {', '.join(model_entry.endpoints)})",
            hint="`o4 batch run FILE` sends the same lines now through the synchronous API",
        )
    limits = batch_input.Limits(
        requests=o.max_requests or batch_input.MAX_REQUESTS,
        bytes=o.max_bytes or batch_input.MAX_BYTES,
        queue_tokens=_queue(model_entry, settings.tier),
    )
    defaults = input_defaults(rt, endpoint=o.endpoint, system=o.system, max_output=o.max_output)
    path, source, spooled = open_input(rt, o.file, stdin)
    try:
        prep, digest = prepare(rt, path, source, defaults, limits, dry_run=o.dry_run)
    finally:
        if spooled:
            spooled.unlink(missing_ok=True)
    plan = make_plan(prep, digest, limits)
    check_budget(plan, budget)
    lifecycle.before_send(rt, prep.model or settings.model, dry_run=o.dry_run)
    if o.dry_run:
        return Submitted(plan, dry_run=True)
    rt.notice(
        f"{prep.requests:,} requests in {len(prep.shards)} shard{'s' if len(prep.shards) > 1 else ''} · "
        f"{'' if prep.exact else '~'}{prep.tokens:,} input tokens ({'exact' if prep.exact else 'estimated'}) · "
        f"worst case {format_usd(plan.worst_cost)} at the batch price"
    )
    if limits.queue_tokens and prep.tokens > limits.queue_tokens:
        rt.notice(
            f"note: ~{prep.tokens:,} input tokens exceed tier {settings.tier}'s batch queue of "
            f"{limits.queue_tokens:,}; shards beyond what the queue holds may fail with token_limit_exceeded: "
            "`o4 batch retry ID` sends them again"
        )
    # Identical submits take turns: a second one waits, then finds the first's batches.
    waiting = lambda: rt.notice("another o4 is submitting this same input; waiting for it to finish")  # noqa: E731
    with exclusive(work_lock(settings.data_dir, "batch-submit", digest), on_wait=waiting):
        jobs = [] if o.force else pending(rt.ledger, digest)
        before = bool(jobs) and all(j.remote_id for j in jobs)
        if jobs:
            rt.notice(
                "this input was submitted before (use --force to submit it again):"
                if before
                else "resuming the earlier submit of this input"
            )
        worst = plan.worst_cost
        # budget_daily/monthly: the batch's worst case is held while its shards are recorded and created
        # (from then on the ledger counts an open batch at its worst case until its results are in).
        guard = nullcontext() if before else reserve_budget(rt, lambda: worst, "batch submit", what="this batch")
        with guard:
            if not jobs:
                label = o.label or Path(source).name
                jobs = record_shards(rt.ledger, prep, digest, profile=settings.profile, label=label)
            jobs = run_submission(
                rt.api, rt.ledger, jobs, digest=digest, window=o.window, metadata=meta, notice=rt.notice
            )
    return Submitted(plan, dry_run=False, batch_ids=[j.remote_id for j in jobs if j.remote_id], submitted_before=before)


# ------------------------------------------------------------ ledger and remote steps


def estimated_cost(shard: batch_input.Shard, model: str) -> Decimal | None:
    price = catalog.price_for(model, "batch")
    if price is None:
        return None
    return cost(Usage(input_tokens=shard.tokens, output_tokens=shard.worst_output), price)


def record_shards(
    ledger: Ledger,
    prep: batch_input.Prepared,
    digest: str,
    *,
    profile: str,
    label: str,
    extra_state: dict[str, Any] | None = None,
) -> list[Job]:
    """One ledger job per shard, before anything is uploaded."""
    jobs = []
    for shard in prep.shards:
        jid = ledger.add_job(
            kind=KIND,
            status="prepared",
            profile=profile,
            model=prep.model,
            endpoint=prep.endpoint,
            input_hash=digest,
            label=label,
            shard=shard.index,
            estimated_cost_usd=estimated_cost(shard, prep.model or ""),
            state={
                "shards": len(prep.shards),
                "path": str(shard.path),
                "ids": str(shard.path.with_suffix(".ids")) if shard.path else None,
                "requests": shard.requests,
                "bytes": shard.bytes,
                "tokens": shard.tokens,
                "first_line": shard.first_line,
                "last_line": shard.last_line,
                "source": prep.source,
                **(extra_state or {}),
            },
        )
        jobs.append(ledger.job(jid))
    return jobs


def write_ids(prep: batch_input.Prepared) -> None:
    """Each shard's custom_ids, in order, beside it (for ordering results later)."""
    pos = 0
    for shard in prep.shards:
        ids = prep.custom_ids[pos : pos + shard.requests]
        pos += shard.requests
        assert shard.path is not None
        # one JSON string a line: a custom_id may hold spaces (or anything else)
        shard.path.with_suffix(".ids").write_text("".join(json.dumps(i) + "\n" for i in ids), encoding="utf-8")


def pending(ledger: Ledger, digest: str) -> list[Job]:
    """The jobs of an earlier submit of the same input, by shard (newest submit wins)."""
    jobs = [j for j in ledger.jobs(KIND, input_hash=digest)]
    if not jobs:
        return []
    newest: dict[int, Job] = {}
    for job in jobs:  # newest first
        newest.setdefault(job.shard or 1, job)
    return [newest[k] for k in sorted(newest)]


def run_submission(
    api: Api,
    ledger: Ledger,
    jobs: list[Job],
    *,
    digest: str,
    window: str,
    metadata: dict[str, str],
    notice: Callable[[str], None],
) -> list[Job]:
    """Upload and create every shard that is not yet; return the jobs, refreshed."""
    out = []
    for job in jobs:
        job = _ensure_uploaded(api, ledger, job, digest, notice)
        job = _ensure_created(api, ledger, job, digest, window, metadata, notice)
        out.append(job)
    return out


def _filename(digest: str, job: Job) -> str:
    return f"o4-{digest[:16]}-{job.shard}of{job.state.get('shards', 1)}.jsonl"


def _ensure_uploaded(api: Api, ledger: Ledger, job: Job, digest: str, notice: Callable[[str], None]) -> Job:
    if job.state.get("file_id"):
        return job
    path = Path(job.state["path"])
    if not path.exists():
        raise UsageError(f"the prepared input {path} is gone; submit with --force to start again")
    name, size = _filename(digest, job), path.stat().st_size
    found = resumable.step(
        ledger, job.id, marker="upload_started", status="uploading",
        find=lambda: files.find_file(api, name, size), do=lambda: files.upload(api, path, name),
        what="upload", notice=notice, prefix=f"shard {job.shard}: ",
    )  # fmt: skip
    ledger.update_job(job.id, status="uploaded", state={"file_id": found["id"]})
    return ledger.job(job.id)  # type: ignore[return-value]


def _ensure_created(
    api: Api,
    ledger: Ledger,
    job: Job,
    digest: str,
    window: str,
    metadata: dict[str, str],
    notice: Callable[[str], None],
) -> Job:
    if job.remote_id:
        return job
    shard_tag = f"{job.shard}/{job.state.get('shards', 1)}"
    tag = f"{digest[:16]}.{job.id}"  # this submission's own: a --force resubmit has another
    meta = {**metadata, "o4_input": tag, "o4_shard": shard_tag}
    if job.label:
        meta.setdefault("o4_label", job.label[:512])
    found = resumable.step(
        ledger, job.id, marker="create_started", status="creating",
        find=lambda: remote.find_batch(api, tag, shard_tag),
        do=lambda: remote.create_batch(api, job.state["file_id"], job.endpoint or "/v1/responses", window, meta),
        what="batch", notice=notice, prefix=f"shard {job.shard}: ",
    )  # fmt: skip
    ledger.update_job(
        job.id, status=found.get("status", "validating"), remote_id=found["id"], state={"batch_id": found["id"]}
    )
    return ledger.job(job.id)  # type: ignore[return-value]
