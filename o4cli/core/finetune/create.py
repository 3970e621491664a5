"""``o4 finetune create``: check, record, upload, create the job; resumable; ``--wait``.

A job costs hours and money, so nothing is sent before every check passed, and nothing
is sent twice. The ledger row is written before anything is uploaded, keyed by the
input hash (the files' bytes and every setting); each upload and the job creation is
one ``resumable.step``: marked before it is sent, and when found marked but without its
result (a lost answer, Ctrl-C), looked up remotely — the upload by its file name and
size, the job by its ``o4_input`` metadata tag — before it is sent again. The same
command run again therefore finishes an interrupted create; an input created before is
not created again unless ``--force``.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from o4cli.core import resumable
from o4cli.core.ask.request import parse_metadata
from o4cli.core.errors import Interrupted, O4Error, UsageError
from o4cli.core.files import existing_file
from o4cli.core.finetune import check, data, jobs, track
from o4cli.core.finetune.data import FileReport, TrainingCost
from o4cli.core.finetune.jobs import KIND
from o4cli.core.http import files
from o4cli.core.ledger import Job, Ledger, record
from o4cli.core.locks import exclusive, work_lock
from o4cli.core.problems import InputProblems, Problem
from o4cli.core.runtime import Runtime

RESERVED_META = 1  # o4_input: how o4 finds its job again
ROLES = {"train": "training", "valid": "validation"}


# ------------------------------------------------------------------ the plan


@dataclass
class Plan:
    """Everything a create sends, checked."""

    model: str
    method: str
    train: Path
    valid: Path | None = None
    grader: dict[str, Any] | None = None
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    suffix: str | None = None
    seed: int | None = None
    metadata: dict[str, str] = field(default_factory=dict)

    def key(self) -> str:
        """The settings, as canonical JSON (file paths left out: their bytes count)."""
        return json.dumps(
            [self.model, self.method, self.grader, self.hyperparameters, self.suffix, self.seed, self.metadata],
            sort_keys=True,
        )


def input_hash(plan: Plan) -> str:
    """A digest of the files' bytes and of everything the job is created with."""
    h = hashlib.sha256(plan.key().encode())
    for path in (plan.train, plan.valid):
        h.update(b"\0file\0")
        if path is not None:
            with path.open("rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
    return h.hexdigest()


def request_body(plan: Plan, train_id: str, valid_id: str | None, tag: str) -> dict[str, Any]:
    """The ``POST /fine_tuning/jobs`` body."""
    method: dict[str, Any] = {}
    if plan.method == "reinforcement":
        method["grader"] = plan.grader
    if plan.hyperparameters:
        method["hyperparameters"] = plan.hyperparameters
    body: dict[str, Any] = {
        "model": plan.model,
        "training_file": train_id,
        "method": {"type": plan.method, plan.method: method},
        "metadata": {**plan.metadata, "o4_input": tag},
    }
    if valid_id:
        body["validation_file"] = valid_id
    if plan.suffix:
        body["suffix"] = plan.suffix
    if plan.seed is not None:
        body["seed"] = plan.seed
    return body


def dry_run_body(plan: Plan) -> dict[str, Any]:
    """The body with placeholders where the uploads' ids and o4's tag will be."""
    valid = f"<upload of {plan.valid.name}>" if plan.valid else None
    return request_body(plan, f"<upload of {plan.train.name}>", valid, "<o4 tag>")


# ------------------------------------------------------------------ the ledger


def earlier(ledger: Ledger, digest: str) -> Job | None:
    """The newest create of the same input and settings, if any."""
    found = ledger.jobs(KIND, input_hash=digest, limit=1)
    return found[0] if found else None


def record_job(ledger: Ledger, plan: Plan, digest: str, *, profile: str, label: str, stats: dict[str, Any]) -> Job:
    """The ledger's job row, written before anything is uploaded (without it nothing
    could be resumed, so a ledger that cannot be written stops the create here)."""
    jid = ledger.add_job(
        kind=KIND,
        status="prepared",
        profile=profile,
        model=plan.model,
        endpoint=jobs.ENDPOINT,
        input_hash=digest,
        label=label,
        state={
            "method": plan.method,
            "train": str(plan.train),
            "valid": str(plan.valid) if plan.valid else None,
            "train_bytes": plan.train.stat().st_size,
            "valid_bytes": plan.valid.stat().st_size if plan.valid else None,
            "hyperparameters": plan.hyperparameters,
            "suffix": plan.suffix,
            "seed": plan.seed,
            **stats,
        },
    )
    ledger.update_job(jid, state={"tag": f"{digest[:16]}.{jid}"})
    return ledger.job(jid)  # type: ignore[return-value]


# ------------------------------------------------------------------ the remote steps


def upload(rt: Runtime, job: Job, role: str, path: Path) -> str:
    """The file id of this job's ``role`` file: recorded, found, or uploaded now."""
    known = job.state.get(f"{role}_file_id")
    if known:
        return str(known)
    if not path.exists() or path.stat().st_size != job.state.get(f"{role}_bytes"):
        raise UsageError(f"{path} changed or is gone since this create started; run the command again to start afresh")
    name, size = f"o4-ft-{job.state['tag']}-{role}.jsonl", path.stat().st_size

    def send() -> dict[str, Any]:
        rt.notice(f"uploading {path.name} ({ROLES[role]} file, {size:,} bytes)")
        return files.upload(rt.api, path, name, purpose="fine-tune")

    found = resumable.step(
        rt.ledger, job.id, marker=f"{role}_upload_started", status="uploading",
        find=lambda: files.find_file(rt.api, name, size, purpose="fine-tune"), do=send,
        what="upload", notice=rt.notice, prefix=f"{path.name}: ",
    )  # fmt: skip
    file_id = str(found["id"])
    state = {f"{role}_file_id": file_id}
    record(rt, f"the upload {file_id}", lambda ledger: ledger.update_job(job.id, status="uploaded", state=state))
    return file_id


def run(rt: Runtime, job: Job, plan: Plan) -> tuple[dict[str, Any], dict[str, Any]]:
    """Upload what is not uploaded and create the job unless it exists: (the request
    body, the API's job)."""
    train_id = upload(rt, job, "train", plan.train)
    valid_id = upload(rt, job, "valid", plan.valid) if plan.valid else None
    tag = str(job.state["tag"])
    body = request_body(plan, train_id, valid_id, tag)
    created = resumable.step(
        rt.ledger, job.id, marker="create_started", status="creating",
        find=lambda: jobs.find_job(rt.api, tag), do=lambda: jobs.create_job(rt.api, body),
        what="job", notice=rt.notice,
    )  # fmt: skip
    remote_id = str(created["id"])
    record(
        rt, f"the job {remote_id}",
        lambda ledger: ledger.update_job(
            job.id, status=created.get("status", "validating_files"), remote_id=remote_id, state={"job_id": remote_id}
        ),
    )  # fmt: skip
    return body, created


def submit(
    rt: Runtime, plan: Plan, checked: check.Checked, *, force: bool
) -> tuple[dict[str, Any], dict[str, Any], bool]:
    """(the request body, the API's job, whether it was created before): the earlier
    job of this input when there is one (unless ``force``), else the resumed or new
    create carried to its end."""
    digest = input_hash(plan)
    # Identical creates take turns: a second one waits, then finds the first's job.
    waiting = lambda: rt.notice("another o4 is creating a job from these same files; waiting for it to finish")  # noqa: E731
    with exclusive(work_lock(rt.settings.data_dir, "finetune-create", digest), on_wait=waiting):
        return _submit(rt, plan, checked, digest, force=force)


def _submit(
    rt: Runtime, plan: Plan, checked: check.Checked, digest: str, *, force: bool
) -> tuple[dict[str, Any], dict[str, Any], bool]:
    prior = None if force else earlier(rt.ledger, digest)
    if prior is not None and prior.remote_id:
        rt.notice(f"this input was submitted before as {prior.remote_id}; --force creates another job")
        st = prior.state
        body = request_body(plan, st.get("train_file_id", "?"), st.get("valid_file_id"), st.get("tag", "?"))
        return body, jobs.get_job(rt.api, prior.remote_id), True
    if prior is not None:
        rt.notice("resuming the earlier create of this input (nothing is sent twice)")
        job = prior
    else:
        train = checked.reports[0]
        stats = {"examples": train.examples, "tokens": train.token_stats()["total"]}
        if len(checked.reports) > 1:
            stats["valid_examples"] = checked.reports[1].examples
        label = plan.suffix or plan.train.name
        job = record_job(rt.ledger, plan, digest, profile=rt.settings.profile, label=label, stats=stats)
    try:
        body, created = run(rt, job, plan)
    except KeyboardInterrupt:
        raise Interrupted("interrupted; run the same command again to resume (nothing is sent twice)") from None
    return body, created, False


# ------------------------------------------------------------------ create


@dataclass(frozen=True)
class CreateOptions:
    train: str
    valid: str | None = None
    grader: str | None = None
    method: str | None = None
    model: str | None = None  # default: o4-mini's snapshot (the profile's model is for asking)
    effort: str | None = None  # reinforcement: reasoning_effort while sampling
    suffix: str | None = None
    seed: int | None = None
    hyperparameters: tuple[str, ...] = ()  # --hp KEY=VALUE
    metadata: tuple[str, ...] = ()  # --metadata KEY=VALUE
    remote_check: bool = False
    force: bool = False
    dry_run: bool = False
    wait: bool = False
    interval: float = 5.0


@dataclass
class CreateResult:
    """A create's outcome; ``error`` (``--wait``: the job did not succeed) is raised
    after the result is shown."""

    plan: Plan
    reports: list[FileReport]  # training first
    cost: TrainingCost
    request: dict[str, Any]  # the body sent (or, in a dry run, that would be: placeholders for ids)
    dry_run: bool = False
    job: dict[str, Any] | None = None  # the API's job: as created or found; with --wait, as it ended
    submitted_before: bool = False  # this input was created before (no --force): that job, untouched
    waited: bool = False  # --wait: ``job`` is the job as it ended
    error: O4Error | None = None


def plan_of(rt: Runtime, o: CreateOptions) -> tuple[Plan, check.Checked]:
    """Every flag and file checked (exit 2 on the first bad flag; every bad line at once)."""
    chosen = data.resolve_model(o.model)
    if o.model and chosen != o.model:
        rt.notice(f"fine-tuning {chosen} (the snapshot {o.model} points at)")
    method = o.method or data.default_method(chosen)
    data.check_method(chosen, method)
    if method == "reinforcement" and not o.grader:
        raise UsageError("reinforcement fine-tuning needs --grader FILE: the grader scores the model's answers")
    check.no_grader_for(method, {"--grader": o.grader, "--effort": o.effort})
    if o.suffix is not None and not 1 <= len(o.suffix) <= 64:
        raise UsageError("--suffix takes 1 to 64 characters")
    meta = parse_metadata(list(o.metadata), reserved=RESERVED_META)
    hps = data.parse_hyperparameters(list(o.hyperparameters), method)
    if o.effort:
        hps["reasoning_effort"] = o.effort
    train = existing_file(o.train, "--train", limit=data.MAX_FILE_BYTES, too_big=data.TOO_BIG)
    valid = existing_file(o.valid, "--valid", limit=data.MAX_FILE_BYTES, too_big=data.TOO_BIG) if o.valid else None
    grader = check.load_grader(o.grader)
    notes = [check.NO_VALID] if method == "reinforcement" and valid is None else []
    inputs = [(train, "training"), *([(valid, "validation")] if valid else [])]
    checked = check.check_files(inputs, method, grader, notes)
    plan = Plan(chosen, method, train, valid, grader.grader if grader else None, hps, o.suffix, o.seed, meta)
    return plan, checked


def create(
    rt: Runtime,
    o: CreateOptions,
    on_update: track.OnUpdate,
    *,
    on_checked: Callable[[list[Problem]], None] = lambda _warnings: None,
    sleep: track.Sleep = time.sleep,
) -> CreateResult:
    """Check everything; then (unless a dry run) record, upload, create — or find what an
    earlier run of the same input did — and with ``wait`` watch the job to its end.

    ``on_checked`` gets the warnings once the local checks are done, before anything
    is sent (and before the problems are raised); ``on_update`` each poll of ``wait``."""
    plan, checked = plan_of(rt, o)
    on_checked(checked.warnings)
    if checked.problems:
        raise InputProblems(checked.problems, "nothing was uploaded")
    train_report = checked.reports[0]
    cost = data.training_cost(plan.method, plan.model, train_report, plan.hyperparameters)
    result = CreateResult(plan, checked.reports, cost, dry_run_body(plan), dry_run=o.dry_run)
    if o.dry_run:
        return result
    if o.remote_check and checked.grader:
        check.check_remotely(rt, checked.grader)
    for rep in checked.reports:
        rt.notice(
            f"{Path(rep.path).name}: {rep.examples:,} examples, ~{rep.token_stats()['total']:,} tokens ({rep.role})"
        )
    rt.notice(f"training cost: {cost.note}")

    result.request, result.job, result.submitted_before = submit(rt, plan, checked, force=o.force)
    if o.wait:
        job_id = str(result.job.get("id"))
        rt.notice(f"{'watching' if result.submitted_before else 'created'} {job_id}")
        result.job = track.follow(rt, job_id, interval=o.interval, on_update=on_update, sleep=sleep)
        result.waited = True
        result.error = track.outcome_error(result.job)
    return result
