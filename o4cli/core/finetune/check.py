"""``o4 finetune validate``, and the checks ``create`` shares with it: the model and
method chosen, the grader file, every training and validation line, and what is
wrong (problems: nothing is sent) or merely odd (warnings), each a ``Problem`` that
names its file (and line).

Nothing here prints: the report goes back to the command, which shows it and then
raises ``report.error`` (exit 2) when there were problems.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from o4cli.core.errors import ApiError, UsageError
from o4cli.core.files import existing_file
from o4cli.core.finetune import data, jobs
from o4cli.core.finetune.data import FileReport, TrainingCost
from o4cli.core.finetune.graders import GraderReport
from o4cli.core.problems import InputProblems, Problem
from o4cli.core.runtime import Runtime

NO_GRADER = "no --grader: the fields a grader reads ({{item.X}}) were not checked"
NO_VALID = "no --valid: reinforcement jobs are expected to have a validation file (valid_reward_mean comes from it)"


# ------------------------------------------------------------------ shared with create


@dataclass(frozen=True)
class GraderCheck:
    """A grader file, loaded and checked locally."""

    file: str
    report: GraderReport

    @property
    def grader(self) -> dict[str, Any]:
        return self.report.grader


@dataclass
class Checked:
    """Every input file checked: their reports (training first), the grader, and the
    problems and warnings of them all, grader first, each naming its file."""

    reports: list[FileReport]
    grader: GraderCheck | None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def load_grader(name: str | None) -> GraderCheck | None:
    """``--grader FILE``: read and checked (a file that is not a grader is a UsageError)."""
    if name is None:
        return None
    return GraderCheck(name, data.check_grader(data.load_grader(existing_file(name, "--grader"))))


def check_files(
    files: list[tuple[Path, str]], method: str, grader: GraderCheck | None, notes: Sequence[str] = ()
) -> Checked:
    """Check each ``(path, role)`` line by line (against the grader's item fields too);
    ``notes`` are warnings of no file (a missing ``--grader``, say)."""
    reports = [
        data.check_file(path, method, role=role, grader=grader.report if grader else None) for path, role in files
    ]
    checked = Checked(reports, grader)
    checked.warnings += [Problem(0, note) for note in notes]
    if grader:
        checked.problems += [Problem(0, reason, grader.file) for reason in grader.report.problems]
        checked.warnings += [Problem(0, reason, grader.file) for reason in grader.report.warnings]
    for rep in reports:
        checked.problems += [Problem(p.line, p.reason, rep.path) for p in rep.problems]
        checked.warnings += [Problem(p.line, p.reason, rep.path) for p in rep.warnings]
    return checked


def check_remotely(rt: Runtime, grader: GraderCheck) -> str:
    """``--remote-check``: the API's grader-validate endpoint; ``"passed"`` or an error."""
    try:
        jobs.validate_grader(rt.api, grader.grader)
    except ApiError as exc:
        if exc.status == 400:
            exc.message = f"{grader.file}: the API rejected the grader: {exc.message}"
            exc.hint = "the local checks passed; the API's message says what it wants"
        raise
    rt.notice(f"{grader.file}: the API accepts the grader")
    return "passed"


def no_grader_for(method: str, given: dict[str, object]) -> None:
    """Refuse reinforcement-only flags (``--grader``, ``--effort``) with another method."""
    if method == "reinforcement":
        return
    for flag, value in given.items():
        if value:
            raise UsageError(f"{flag} goes with --method reinforcement, not {method}")


# ------------------------------------------------------------------ validate


@dataclass(frozen=True)
class ValidateOptions:
    file: str
    grader: str | None = None
    method: str | None = None
    model: str | None = None
    remote_check: bool = False


@dataclass
class ValidateReport:
    """What ``validate`` found; ``error`` is raised after the report is shown."""

    file: FileReport
    method: str
    model: str | None  # the model given (resolved to its snapshot), if any
    grader: GraderCheck | None
    cost: TrainingCost
    problems: list[Problem]
    warnings: list[Problem]
    remote_check: str | None = None  # "passed"; None when not asked (or not sent: local problems)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def error(self) -> InputProblems | None:
        return InputProblems(self.problems, "fix them before creating a job") if self.problems else None


def validate(rt: Runtime, o: ValidateOptions) -> ValidateReport:
    """Check one data file (and the grader) as ``create`` would; send nothing unless
    ``remote_check`` (and only a grader that passed the local checks)."""
    chosen = data.resolve_model(o.model) if o.model else None
    method = o.method or data.default_method(chosen or data.DEFAULT_MODEL)
    if chosen:
        data.check_method(chosen, method)
    no_grader_for(method, {"--grader": o.grader})
    path = existing_file(o.file, "")
    grader = load_grader(o.grader)
    notes = [NO_GRADER] if method == "reinforcement" and grader is None else []
    checked = check_files([(path, "training")], method, grader, notes)
    (report,) = checked.reports
    remote = check_remotely(rt, grader) if o.remote_check and grader and not checked.problems else None
    price_model = chosen or (data.DEFAULT_MODEL if method == "reinforcement" else "this model")
    return ValidateReport(
        file=report,
        method=method,
        model=chosen,
        grader=grader,
        cost=data.training_cost(method, price_model, report, {}),
        problems=checked.problems,
        warnings=checked.warnings,
        remote_check=remote,
    )
