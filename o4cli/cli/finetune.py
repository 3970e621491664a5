"""``o4 finetune``: validate, create, status, list, events, checkpoints, cancel, pause, resume.

Each command parses its flags into one options object, calls one use case in
``core.finetune`` (``check``, ``create``, ``track``) and shows the result with
``render.finetune`` or, with ``--json``, a document of ``core.documents.finetune``.
Options come in one order: the data (FILE, --train, --valid), --grader, --method,
-m/--model, -e/--effort, the job's settings, the checks, --force, --dry-run, the
watching (--wait/--watch/--follow, --interval), then the global options.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Optional

import typer

from o4cli.cli.options import DryRunOpt, ForceOpt, MetadataOpt, command, context, in_range

app = typer.Typer(
    help="Fine-tuning jobs: reinforcement fine-tuning of o4-mini (supervised and DPO for other models).",
    no_args_is_help=True,
    rich_markup_mode=None,
)


class Method(StrEnum):
    reinforcement = "reinforcement"
    supervised = "supervised"
    dpo = "dpo"


class RftEffort(StrEnum):
    default = "default"
    low = "low"
    medium = "medium"
    high = "high"


JobArg = Annotated[str, typer.Argument(metavar="JOB_ID", help="A fine-tuning job id (ftjob-...).", show_default=False)]
OptJobArg = Annotated[
    Optional[str],
    typer.Argument(metavar="[JOB_ID]", help="Default: the profile's newest job in the ledger.", show_default=False),
]
GraderOpt = Annotated[
    Optional[str],
    typer.Option(
        "--grader",
        metavar="FILE",
        help="Grader JSON (string_check, text_similarity, score_model, python, multi).",
        show_default=False,
    ),
]
MethodOpt = Annotated[
    Optional[Method],
    typer.Option("--method", help="Default: the model's method (reinforcement for o4-mini).", show_default=False),
]
BaseModelOpt = Annotated[
    Optional[str],
    typer.Option(
        "--model",
        "-m",
        metavar="MODEL",
        help="The model to fine-tune (default: o4-mini-2025-04-16; not the profile's model).",
        show_default=False,
    ),
]
RemoteOpt = Annotated[
    bool, typer.Option("--remote-check", help="Also ask the API's grader-validate endpoint about the grader.")
]
IntervalOpt = Annotated[
    float,
    typer.Option(
        "--interval",
        metavar="SECONDS",
        callback=in_range("--interval", 0.01),
        help="First wait between polls; grows to 30 s while nothing changes.",
    ),
]


@command(app)
def validate(
    ctx: typer.Context,
    file: Annotated[
        str, typer.Argument(metavar="FILE", help="Training (or validation) data, JSONL.", show_default=False)
    ],
    grader: GraderOpt = None,
    method: MethodOpt = None,
    model: BaseModelOpt = None,
    remote_check: RemoteOpt = False,
) -> None:
    """Check every line (and the grader); print statistics; exit 2 on any problem."""
    from o4cli.core.documents import finetune as documents
    from o4cli.core.finetune import check
    from o4cli.render import finetune as view

    app_ctx = context(ctx)
    opts = check.ValidateOptions(
        file=file, grader=grader, method=method.value if method else None, model=model, remote_check=remote_check
    )
    report = check.validate(app_ctx, opts)
    if app_ctx.json:
        app_ctx.out.json(documents.validate(report))
        view.warnings(app_ctx.out, report.warnings)
    else:
        view.validated(app_ctx.out, report)
    if report.error is not None:
        raise report.error


@command(app)
def create(
    ctx: typer.Context,
    train: Annotated[str, typer.Option("--train", metavar="FILE", help="Training data, JSONL.", show_default=False)],
    valid: Annotated[
        Optional[str], typer.Option("--valid", metavar="FILE", help="Validation data, JSONL.", show_default=False)
    ] = None,
    grader: GraderOpt = None,
    method: MethodOpt = None,
    model: BaseModelOpt = None,
    effort: Annotated[
        Optional[RftEffort],
        typer.Option(
            "--effort", "-e", help="reasoning_effort while sampling during reinforcement training.", show_default=False
        ),
    ] = None,
    suffix: Annotated[
        Optional[str],
        typer.Option(
            "--suffix",
            metavar="NAME",
            help="Part of the fine-tuned model's name (1 to 64 characters).",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[
        Optional[int],
        typer.Option(
            "--seed",
            metavar="N",
            callback=in_range("--seed", 0, 2147483647),
            help="Seed for a reproducible job.",
            show_default=False,
        ),
    ] = None,
    hp: Annotated[
        Optional[list[str]],
        typer.Option(
            "--hp",
            metavar="KEY=VALUE",
            help=(
                "Hyperparameter (repeatable): n_epochs, batch_size, learning_rate_multiplier; compute_multiplier, "
                "eval_interval, eval_samples (reinforcement); beta (dpo). Each takes 'auto'."
            ),
            show_default=False,
        ),
    ] = None,
    metadata: MetadataOpt = None,
    remote_check: RemoteOpt = False,
    force: ForceOpt = False,
    dry_run: DryRunOpt = False,
    wait: Annotated[bool, typer.Option("--wait", help="Watch to the end; print the fine-tuned model's name.")] = False,
    interval: IntervalOpt = 5.0,
) -> None:
    """Check, upload the files, create the job; print its id.

    An interrupted create resumes when the same command is run again: nothing is
    uploaded or created twice."""
    from o4cli.core.documents import finetune as documents
    from o4cli.core.finetune import create as create_mod
    from o4cli.render import finetune as view

    app_ctx = context(ctx)
    opts = create_mod.CreateOptions(
        train=train,
        valid=valid,
        grader=grader,
        method=method.value if method else None,
        model=model,
        effort=effort.value if effort else None,
        suffix=suffix,
        seed=seed,
        hyperparameters=tuple(hp or ()),
        metadata=tuple(metadata or ()),
        remote_check=remote_check,
        force=force,
        dry_run=dry_run,
        wait=wait,
        interval=interval,
    )
    out = app_ctx.out
    result = create_mod.create(app_ctx, opts, view.Watcher(out).update, on_checked=lambda w: view.warnings(out, w))
    if app_ctx.json or result.dry_run:
        out.json(documents.create(result))
        if result.dry_run:
            view.dry_run_note(out, result)
    else:
        view.created(out, result)
    if result.error is not None:
        raise result.error


@command(app)
def status(
    ctx: typer.Context,
    job_id: OptJobArg = None,
    watch: Annotated[
        bool, typer.Option("--watch", help="Follow until the job ends; exit 0 if it succeeded, 1 otherwise.")
    ] = False,
    interval: IntervalOpt = 5.0,
) -> None:
    """State, model, trained tokens, the fine-tuned model, the latest metrics, errors."""
    from o4cli.core.documents import finetune as documents
    from o4cli.core.finetune import track
    from o4cli.render import finetune as view

    app_ctx = context(ctx)
    opts = track.StatusOptions(job_id=job_id, watch=watch, interval=interval)
    result = track.status(app_ctx, opts, view.Watcher(app_ctx.out).update)
    if app_ctx.json:
        app_ctx.out.json(documents.status(result.job, result.latest_metrics))
    else:
        view.status(app_ctx.out, result.job, result.latest_metrics)
    if result.error is not None:
        raise result.error


@command(app, "list")
def list_(
    ctx: typer.Context,
    limit: Annotated[
        int, typer.Option("--limit", metavar="N", callback=in_range("--limit", 1, 100), help="How many jobs (1-100).")
    ] = 20,
) -> None:
    """Recent fine-tuning jobs, newest first, joined with what the ledger knows."""
    from o4cli.core.documents import finetune as documents
    from o4cli.core.finetune import track
    from o4cli.render import finetune as view

    app_ctx = context(ctx)
    rows = track.list_jobs(app_ctx, limit)
    if app_ctx.json:
        app_ctx.out.json(documents.jobs_list(rows))
    else:
        view.jobs_table(app_ctx.out, rows)


@command(app)
def events(
    ctx: typer.Context,
    job_id: OptJobArg = None,
    follow: Annotated[
        bool,
        typer.Option(
            "--follow", "-f", help="Stream new events until the job ends; exit 0 if it succeeded, 1 otherwise."
        ),
    ] = False,
    interval: IntervalOpt = 5.0,
) -> None:
    """A job's events, oldest first (with --json: one JSON object a line)."""
    from o4cli.core.documents import finetune as documents
    from o4cli.core.finetune import track
    from o4cli.render import finetune as view

    app_ctx = context(ctx)
    out = app_ctx.out

    def show(evs: list[dict]) -> None:
        if app_ctx.json:
            for ev in evs:
                out.json(documents.event(ev), lines=True)
        else:
            view.events(out, evs)

    result = track.events(app_ctx, track.EventsOptions(job_id=job_id, follow=follow, interval=interval), show)
    if result.error is not None:
        raise result.error


@command(app)
def checkpoints(ctx: typer.Context, job_id: OptJobArg = None) -> None:
    """A job's checkpoints with their metrics, by step."""
    from o4cli.core.documents import finetune as documents
    from o4cli.core.finetune import track
    from o4cli.render import finetune as view

    app_ctx = context(ctx)
    found = track.checkpoints(app_ctx, job_id)
    if app_ctx.json:
        app_ctx.out.json(documents.checkpoints(found.points))
    else:
        view.checkpoints_table(app_ctx.out, found.job_id, found.points)


def _act(ctx: typer.Context, job_id: str, action: str) -> None:
    from o4cli.core.documents import finetune as documents
    from o4cli.core.finetune import track
    from o4cli.render import finetune as view

    app_ctx = context(ctx)
    job = track.act(app_ctx, job_id, action)
    if app_ctx.json:
        app_ctx.out.json(documents.action(job))
    else:
        view.acted(app_ctx.out, job)


@command(app)
def cancel(ctx: typer.Context, job_id: JobArg) -> None:
    """Cancel a job (validating, queued, running or paused)."""
    _act(ctx, job_id, "cancel")


@command(app)
def pause(ctx: typer.Context, job_id: JobArg) -> None:
    """Pause a running job; it keeps a checkpoint and can be resumed."""
    _act(ctx, job_id, "pause")


@command(app)
def resume(ctx: typer.Context, job_id: JobArg) -> None:
    """Resume a paused job from where it stopped."""
    _act(ctx, job_id, "resume")
