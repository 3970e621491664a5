"""The fine-tuning API of the local OpenAI emulator (``tests/emulator.py``).

Wiring (``tests/emulator.py``), like ``emulator_batch``::

    emulator_finetune.install(self)      # in Emulator.__init__, after emulator_batch.install
    emulator_finetune.reset_state(self)  # in Emulator.reset()

``install(emu)`` is idempotent (routes and helpers once; state cleared on every call)
and needs ``emulator_batch`` installed first (it reuses its Files API, query-string
plumbing and paging). Neither function takes ``emu.lock``.

Routes: ``POST/GET /v1/fine_tuning/jobs`` (list: ``after``, ``limit``, ``metadata[k]=v``),
``GET /v1/fine_tuning/jobs/{id}``, ``POST .../{id}/cancel|pause|resume`` (400 with a
clear message when the state does not allow it), ``GET .../{id}/events`` (newest
first, ``after``/``limit``), ``GET .../{id}/checkpoints`` (newest first) and
``POST /v1/fine_tuning/alpha/graders/validate``.

State and helpers on the emulator:

* ``emu.ft_jobs``: ``{job_id: FtJob}``; ``emu.ft_job(job_id)`` gives the public job
  object advanced to now.
* ``emu.ft_timing``: ``{"validating_files": 0.2, "queued": 0.2, "step": 0.1}`` seconds,
  read when a job is created (tests shrink it); ``emu.ft_jobs[id].retime(queued=0, ...)``
  changes a live job's phases (e.g. hold it in validating_files, then let it run).
* ``emu.ft_outcome(**kw) -> FtOutcome`` queues how the NEXT created job behaves (FIFO;
  default: 6 steps, then succeeded); see ``FtOutcome``.
* ``emu.grader_verdicts``: messages; each ``graders/validate`` call pops one and answers
  400 with it (empty: the grader is checked for type and required fields only).

The clock: a job's state is a function of the *running* time since its creation on
``emu.clock`` (time while paused does not count; the wall clock unless the test
freezes, advances or ticks it per GET: see ``tests.emulator.Clock``), evaluated
whenever it is read: ``validating_files`` for
[0, v), ``queued`` for [v, v+q), ``running`` for [v+q, v+q+steps*s) with one metrics
event per step and a checkpoint every ``eval_interval`` steps (and at the last), then
``succeeded`` with ``fine_tuned_model = ft:<model>:org-test:<suffix>:<id>``. Cancel ends
a job at once (``cancelled``); pause freezes a running job (``paused``, with a
checkpoint); resume continues it.
"""

from __future__ import annotations

import threading
import time
import types
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tests import emulator_batch as eb

if TYPE_CHECKING:
    from tests.emulator import Emulator, Reply

DEFAULT_TIMING = {"validating_files": 0.2, "queued": 0.2, "step": 0.1}
FINAL = ("succeeded", "failed", "cancelled")
METHODS = ("supervised", "dpo", "reinforcement")
RFT_MODELS = ("o4-mini-2025-04-16",)
GRADER_REQUIRED = {
    "string_check": ("name", "input", "reference", "operation"),
    "text_similarity": ("name", "input", "reference", "evaluation_metric"),
    "python": ("name", "source"),
    "score_model": ("name", "input", "model"),
    "multi": ("name", "graders", "calculate_output"),
    "label_model": ("name", "model", "input", "labels", "passing_labels"),
}
CAN = {
    "cancel": ("validating_files", "queued", "running", "paused"),
    "pause": ("running",),
    "resume": ("paused",),
}


@dataclass
class FtOutcome:
    """How one job behaves (queue with ``emu.ft_outcome(**kw)``).

    steps: training steps (total_steps in metrics events).
    eval_interval: steps between checkpoints (default: the job's hyperparameter, else 2).
    fail_at_step: the job fails while running, when it reaches this step.
    fail_validation: the job fails in validating_files (invalid training file).
    error_code / error_message: the job's ``error`` when it fails.
    timing: overrides ``emu.ft_timing`` (any subset of its keys) for this job.
    """

    steps: int = 6
    eval_interval: int | None = None
    fail_at_step: int | None = None
    fail_validation: bool = False
    error_code: str | None = None
    error_message: str | None = None
    timing: dict[str, float] | None = None


class FtJob:
    """One fine-tuning job and the events and checkpoints it has produced so far."""

    def __init__(self, emu: Emulator, jid: str, body: dict[str, Any], outcome: FtOutcome, examples: int) -> None:
        self.lock = threading.Lock()
        self.emu = emu
        self.id = jid
        self.body = body
        self.outcome = outcome
        method = body.get("method") or {"type": "supervised"}
        self.method_type = method.get("type", "supervised")
        self.method = {"type": self.method_type, self.method_type: dict(method.get(self.method_type) or {})}
        self.hp = dict(self.method[self.method_type].get("hyperparameters") or {})
        timing = {**DEFAULT_TIMING, **emu.ft_timing, **(outcome.timing or {})}
        self.v, self.q, self.s = (max(0.0, float(timing[k])) for k in ("validating_files", "queued", "step"))
        interval = outcome.eval_interval or (self.hp.get("eval_interval") if isinstance(self.hp.get("eval_interval"), int) else None)
        self.eval_interval = interval or 2
        self.steps = max(1, outcome.steps)
        self.examples = examples
        self.created = time.time()
        self.run_base = 0.0  # running time accumulated before the last (re)start
        self.run_from: float | None = emu.clock()  # None while paused or ended
        self.paused_total = 0.0
        self.paused_at: float | None = None
        self.status = "validating_files"
        self.phase = 0  # 0 validating, 1 queued, 2 running, 3 ended
        self.step = 0
        self.events: list[dict[str, Any]] = []  # oldest first
        self.checkpoints: list[dict[str, Any]] = []
        self.error: dict[str, Any] | None = None
        self.finished_at: int | None = None
        self.fine_tuned_model: str | None = None
        self.trained_tokens: int | None = None
        self.short = jid.split("-", 1)[-1]
        self.event(f"Created fine-tuning job: {jid}", at=0.0)
        self.event(f"Validating training file: {body['training_file']}" + (f" and validation file: {body['validation_file']}" if body.get("validation_file") else ""), at=0.0)

    # -------------------------------------------------------------- clock

    def retime(self, **timing: float) -> None:
        """Change this job's phase lengths (keys of ``ft_timing``) from now on."""
        with self.lock:
            for key, attr in (("validating_files", "v"), ("queued", "q"), ("step", "s")):
                if key in timing:
                    setattr(self, attr, max(0.0, float(timing[key])))

    def elapsed(self, now: float) -> float:
        return self.run_base + (now - self.run_from if self.run_from is not None else 0.0)

    def stamp(self, at: float) -> int:
        return int(self.created + at + self.paused_total)

    def event(self, message: str, *, at: float, level: str = "info", kind: str = "message", data: dict[str, Any] | None = None) -> None:
        ev = {
            "object": "fine_tuning.job.event",
            "id": self.emu.next_id("ftevent-"),
            "created_at": self.stamp(at),
            "level": level,
            "message": message,
            "type": kind,
            "data": data or {},
        }
        self.events.append(ev)

    def advance(self, now: float | None = None) -> None:
        """Bring the job to where it is at ``now`` (caller holds ``self.lock``)."""
        if self.status in FINAL:
            return
        e = self.elapsed(self.emu.clock() if now is None else now)
        if self.phase == 0 and e >= self.v:
            if self.outcome.fail_validation:
                msg = self.outcome.error_message or "The job failed due to an invalid training file. Invalid file format: line 1 is not valid."
                return self.fail(self.outcome.error_code or "invalid_training_file", msg, "training_file", self.v)
            self.phase, self.status = 1, "queued"
            self.event("Files validated, moving job to queued state", at=self.v)
        if self.phase == 1 and e >= self.v + self.q:
            self.phase, self.status = 2, "running"
            self.event("Fine-tuning job started", at=self.v + self.q)
        if self.phase != 2:
            return
        reached = min(self.steps, int((e - self.v - self.q) / self.s) if self.s > 0 else self.steps)
        while self.step < reached:
            self.step += 1
            at = self.v + self.q + self.step * self.s
            if self.outcome.fail_at_step == self.step:
                msg = self.outcome.error_message or f"The grader failed on too many samples at step {self.step}."
                return self.fail(self.outcome.error_code or "grader_error", msg, None, at)
            self.metrics(self.step, at)
        if self.step >= self.steps:
            self.succeed(self.v + self.q + self.steps * self.s)

    def metrics(self, k: int, at: float) -> None:
        n, rft = self.steps, self.method_type == "reinforcement"
        evaluated = k % self.eval_interval == 0 or k == n
        train = round(0.2 + 0.6 * k / n, 4)
        if rft:
            name = (self.method["reinforcement"].get("grader") or {}).get("name", "grader")
            scores: dict[str, Any] = {"train_reward_mean": train, "graders": {name: {"train_reward_mean": train}}}
            data: dict[str, Any] = {"step": k, "total_steps": n, "scores": scores, "reasoning_tokens_mean": 512.0,
                                    "usage": {"samples": {"train_reasoning_tokens_mean": 512.0}},
                                    "timing": {"step": {"sampling": 1.5, "training": 0.5, "full_iteration": 2.1}}}  # fmt: skip
            text = f"Step {k}/{n}: train_reward_mean={train:.4f}"
            if evaluated:
                valid = round(train - 0.05, 4)
                scores["valid_reward_mean"] = valid
                data["full_valid_mean_reward"] = valid
                text += f", valid_reward_mean={valid:.4f}"
            metrics = {"step": k, "train_reward_mean": train, **({"valid_reward_mean": scores["valid_reward_mean"], "full_valid_mean_reward": data["full_valid_mean_reward"]} if evaluated else {})}
        else:
            loss = round(1.5 - train, 4)
            data = {"step": k, "total_steps": n, "train_loss": loss, "train_mean_token_accuracy": train}
            text = f"Step {k}/{n}: training loss={loss:.4f}"
            if evaluated:
                data.update(valid_loss=round(loss + 0.05, 4), valid_mean_token_accuracy=round(train - 0.05, 4))
                text += f", validation loss={loss + 0.05:.4f}"
            metrics = dict(data)
            metrics.pop("total_steps")
        self.event(text, at=at, kind="metrics", data=data)
        if evaluated:
            self.checkpoint(k, at, metrics)

    def checkpoint(self, k: int, at: float, metrics: dict[str, Any]) -> None:
        if any(c["step_number"] == k for c in self.checkpoints):
            return
        self.checkpoints.append({
            "object": "fine_tuning.job.checkpoint",
            "id": self.emu.next_id("ftckpt_"),
            "created_at": self.stamp(at),
            "fine_tuned_model_checkpoint": f"ft:{self.body['model']}:org-test:{self.body.get('suffix') or ''}:{self.short}:ckpt-step-{k}",
            "step_number": k,
            "metrics": metrics,
            "fine_tuning_job_id": self.id,
        })  # fmt: skip
        self.event(f"Checkpoint created at step {k}", at=at)

    def succeed(self, at: float) -> None:
        if self.method_type == "reinforcement":  # RFT keeps the 3 best checkpoints by valid reward
            best = sorted(self.checkpoints, key=lambda c: c["metrics"].get("valid_reward_mean", 0), reverse=True)[:3]
            self.checkpoints = [c for c in self.checkpoints if c in best]
        self.fine_tuned_model = f"ft:{self.body['model']}:org-test:{self.body.get('suffix') or ''}:{self.short}"
        self.trained_tokens = self.examples * 100 * self.steps
        self.event(f"New fine-tuned model created: {self.fine_tuned_model}", at=at)
        self.event("The job has successfully completed", at=at)
        self.end("succeeded", at)

    def fail(self, code: str, message: str, param: str | None, at: float) -> None:
        self.error = {"code": code, "message": message, "param": param}
        self.event(message, at=at, level="error")
        self.end("failed", at)

    def end(self, status: str, at: float) -> None:
        self.status, self.phase = status, 3
        self.finished_at = self.stamp(at)
        self.run_base, self.run_from = at, None

    # -------------------------------------------------------------- actions

    def act(self, action: str) -> str | None:
        """Do ``action`` now; a message when the state does not allow it."""
        now = self.emu.clock()
        self.advance(now)
        if self.status not in CAN[action]:
            allowed = " or ".join(CAN[action])
            return f"Cannot {action} fine-tuning job {self.id}: its status is '{self.status}'; only a job that is {allowed} can be {'cancelled' if action == 'cancel' else action + 'd'}."
        e = self.elapsed(now)
        if action == "cancel":
            if self.paused_at is not None:
                self.paused_total += now - self.paused_at
            self.event("Fine-tuning job cancelled", at=e)
            self.end("cancelled", e)
        elif action == "pause":
            self.run_base, self.run_from, self.paused_at = e, None, now
            self.status = "paused"
            if self.step:
                self.checkpoint(self.step, e, {"step": self.step})
            self.event(f"Fine-tuning job paused at step {self.step}", at=e)
        else:
            self.paused_total += now - (self.paused_at or now)
            self.run_from, self.paused_at, self.status = now, None, "running"
            self.event(f"Fine-tuning job resumed at step {self.step}", at=e)
        return None

    def public(self) -> dict[str, Any]:
        b = self.body
        method = {"type": self.method_type, self.method_type: {**self.method[self.method_type], "hyperparameters": {**_hp_defaults(self.method_type), **self.hp}}}
        return {
            "object": "fine_tuning.job",
            "id": self.id,
            "model": b["model"],
            "created_at": int(self.created),
            "finished_at": self.finished_at,
            "fine_tuned_model": self.fine_tuned_model,
            "organization_id": "org-test",
            "result_files": [],
            "status": self.status,
            "validation_file": b.get("validation_file"),
            "training_file": b["training_file"],
            "hyperparameters": {k: v for k, v in method[self.method_type]["hyperparameters"].items() if k in ("n_epochs", "batch_size", "learning_rate_multiplier")},
            "trained_tokens": self.trained_tokens,
            "error": self.error,
            "user_provided_suffix": b.get("suffix"),
            "seed": b.get("seed") if b.get("seed") is not None else 42,
            "estimated_finish": None if self.status in FINAL else self.stamp(self.v + self.q + self.steps * self.s),
            "integrations": b.get("integrations") or [],
            "metadata": b.get("metadata"),
            "method": method,
        }


def _hp_defaults(method: str) -> dict[str, Any]:
    base = {"n_epochs": "auto", "batch_size": "auto", "learning_rate_multiplier": "auto"}
    if method == "reinforcement":
        base.update(compute_multiplier="auto", eval_interval="auto", eval_samples="auto", reasoning_effort="default")
    elif method == "dpo":
        base["beta"] = "auto"
    return base


# ------------------------------------------------------------------ install


def install(emu: Emulator) -> None:
    """Add the fine-tuning routes and helpers to ``emu`` (once) and clear their state."""
    if not eb.installed(emu):
        eb.install(emu)
    if not getattr(emu, "_finetune_installed", False):
        emu._finetune_installed = True  # type: ignore[attr-defined]
        base = r"/v1/fine_tuning/jobs"
        emu.route("POST", base, eb._handler(emu, _create))
        emu.route("GET", base, eb._handler(emu, _list))
        emu.route("GET", base + r"/(?P<job_id>[^/]+)", eb._handler(emu, _get))
        for action in CAN:
            emu.route("POST", base + rf"/(?P<job_id>[^/]+)/{action}", eb._handler(emu, _action(action)))
        emu.route("GET", base + r"/(?P<job_id>[^/]+)/events", eb._handler(emu, _events))
        emu.route("GET", base + r"/(?P<job_id>[^/]+)/checkpoints", eb._handler(emu, _checkpoints))
        emu.route("POST", r"/v1/fine_tuning/alpha/graders/validate", eb._handler(emu, _validate_grader))
        emu.ft_outcome = types.MethodType(ft_outcome, emu)  # type: ignore[attr-defined]
        emu.ft_job = types.MethodType(ft_job, emu)  # type: ignore[attr-defined]
    reset_state(emu)


def installed(emu: Emulator) -> bool:
    return bool(getattr(emu, "_finetune_installed", False))


def reset_state(emu: Emulator) -> None:
    """Forget every job, queued outcome and grader verdict; restore the default timing."""
    emu.ft_jobs = {}  # type: ignore[attr-defined]
    emu.ft_outcomes = []  # type: ignore[attr-defined]
    emu.ft_timing = dict(DEFAULT_TIMING)  # type: ignore[attr-defined]
    emu.grader_verdicts = []  # type: ignore[attr-defined]


def ft_outcome(emu: Emulator, **kw: Any) -> FtOutcome:
    """Queue how the next created job behaves (see ``FtOutcome``)."""
    outcome = FtOutcome(**kw)
    with emu.lock:
        emu.ft_outcomes.append(outcome)
    return outcome


def ft_job(emu: Emulator, job_id: str) -> dict[str, Any]:
    job = emu.ft_jobs[job_id]
    with job.lock:
        job.advance()
        return job.public()


# ------------------------------------------------------------------ handlers


def _no_job(job_id: str) -> Reply:
    return eb._error(404, f"No fine-tuning job found with id '{job_id}'.", param="fine_tuning_job_id")


def _file_problem(emu: Emulator, body: dict[str, Any], key: str) -> Reply | None:
    fid = body.get(key)
    if fid is None and key == "validation_file":
        return None
    with emu.lock:
        fobj = emu.files.get(fid)
    if fobj is None:
        return eb._error(400, f"invalid {key}: no such file '{fid}'.", param=key, code="invalid_request_error")
    if fobj["purpose"] != "fine-tune":
        return eb._error(400, f"File '{fid}' has purpose '{fobj['purpose']}'; fine-tuning files must have purpose 'fine-tune'.", param=key)
    return None


def _create(emu: Emulator, payload: dict[str, Any] | None, **_: Any) -> Reply:
    body = payload if isinstance(payload, dict) else {}
    for name in ("model", "training_file"):
        if not isinstance(body.get(name), str):
            return eb._error(400, f"Missing required parameter: '{name}'.", param=name, code="missing_required_parameter")
    for key in ("training_file", "validation_file"):
        problem = _file_problem(emu, body, key)
        if problem:
            return problem
    method = body.get("method") or {"type": "supervised"}
    kind = method.get("type")
    if kind not in METHODS:
        return eb._error(400, f"Invalid value for 'method.type': {kind!r}.", param="method.type", code="invalid_value")
    model = body["model"]
    if model in ("o4-mini",):
        return eb._error(400, f"Model {model} is not available for fine-tuning: use a dated snapshot such as o4-mini-2025-04-16.", param="model", code="model_not_available")
    if (kind == "reinforcement") != (model in RFT_MODELS):
        return eb._error(400, f"Model {model} does not support {kind} fine-tuning.", param="model", code="invalid_value")
    if kind == "reinforcement":
        grader = (method.get("reinforcement") or {}).get("grader")
        problem = _grader_problem(grader)
        if problem:
            return eb._error(400, f"Invalid grader: {problem}", param="method.reinforcement.grader")
    if len(body.get("metadata") or {}) > 16:
        return eb._error(400, "metadata: at most 16 keys.", param="metadata")
    with emu.lock:
        data = emu.file_data.get(body["training_file"], b"")
        outcome = emu.ft_outcomes.pop(0) if emu.ft_outcomes else FtOutcome()
    jid = emu.next_id("ftjob-")
    job = FtJob(emu, jid, body, outcome, sum(1 for line in data.splitlines() if line.strip()))
    with emu.lock:
        emu.ft_jobs[jid] = job
    with job.lock:
        return eb._reply(200, job.public())


def _list(emu: Emulator, query: dict[str, str], **_: Any) -> Reply:
    limit = eb._int_param(query, "limit", 20, 1, 100)
    if not isinstance(limit, int):
        return limit
    wanted = {k[9:-1]: v for k, v in query.items() if k.startswith("metadata[") and k.endswith("]")}
    with emu.lock:
        jobs = list(emu.ft_jobs.values())[::-1]
    items = []
    for job in jobs:
        with job.lock:
            job.advance()
            obj = job.public()
        if all((obj.get("metadata") or {}).get(k) == v for k, v in wanted.items()):
            items.append(obj)
    page = eb._page(items, query.get("after"), limit)
    return eb._reply(200, page) if page is not None else _no_job(query["after"])


def _get(emu: Emulator, job_id: str, **_: Any) -> Reply:
    job = emu.ft_jobs.get(job_id)
    if job is None:
        return _no_job(job_id)
    emu.clock.read()
    with job.lock:
        job.advance()
        return eb._reply(200, job.public())


def _action(action: str) -> Any:
    def handle(emu: Emulator, job_id: str, **_: Any) -> Reply:
        job = emu.ft_jobs.get(job_id)
        if job is None:
            return _no_job(job_id)
        with job.lock:
            problem = job.act(action)
            if problem:
                return eb._error(400, problem, param="fine_tuning_job_id", code="invalid_state")
            return eb._reply(200, job.public())

    return handle


def _listing(emu: Emulator, job_id: str, query: dict[str, str], attr: str, default: int, key: Any) -> Reply:
    job = emu.ft_jobs.get(job_id)
    if job is None:
        return _no_job(job_id)
    limit = eb._int_param(query, "limit", default, 1, 100)
    if not isinstance(limit, int):
        return limit
    with job.lock:
        job.advance()
        items = sorted(getattr(job, attr), key=key, reverse=True)
    page = eb._page(items, query.get("after"), limit)
    if page is None:
        return eb._error(400, f"Invalid 'after': no such item '{query['after']}'.", param="after")
    return eb._reply(200, page)


def _events(emu: Emulator, job_id: str, query: dict[str, str], **_: Any) -> Reply:
    return _listing(emu, job_id, query, "events", 20, lambda ev: (ev["created_at"], ev["id"]))


def _checkpoints(emu: Emulator, job_id: str, query: dict[str, str], **_: Any) -> Reply:
    return _listing(emu, job_id, query, "checkpoints", 10, lambda c: c["step_number"])


def _grader_problem(grader: Any, nested: bool = False) -> str | None:
    if not isinstance(grader, dict):
        return "the grader must be an object."
    kind = grader.get("type")
    if kind not in GRADER_REQUIRED or (kind == "label_model" and not nested) or (kind == "multi" and nested):
        return f"unsupported grader type {kind!r}."
    missing = [k for k in GRADER_REQUIRED[kind] if k not in grader]
    if missing:
        return f"{kind} grader is missing {', '.join(missing)}."
    if kind == "multi":
        subs = grader["graders"]
        for sub in (subs.values() if isinstance(subs, dict) and "type" not in subs else [subs]):
            problem = _grader_problem(sub, nested=True)
            if problem:
                return problem
    return None


def _validate_grader(emu: Emulator, payload: dict[str, Any] | None, **_: Any) -> Reply:
    grader = (payload or {}).get("grader")
    with emu.lock:
        verdict = emu.grader_verdicts.pop(0) if emu.grader_verdicts else None
    problem = verdict or _grader_problem(grader)
    if problem:
        return eb._error(400, f"Invalid grader: {problem}", param="grader")
    return eb._reply(200, {"grader": grader})
