"""``o4 finetune``: validate, create, status, list, events, checkpoints, cancel, pause, resume."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Optional

import typer

from o4cli.cli.options import JsonOpt, PlainOpt, ProfileOpt, QuietOpt, VerboseOpt, app_context

app = typer.Typer(
    help="Fine-tuning jobs: reinforcement fine-tuning of o4-mini (supervised and DPO for other models).",
    no_args_is_help=True,
    rich_markup_mode=None,
)


class Method(str, Enum):
    reinforcement = "reinforcement"
    supervised = "supervised"
    dpo = "dpo"


class RftEffort(str, Enum):
    default = "default"
    low = "low"
    medium = "medium"
    high = "high"


JobArg = Annotated[str, typer.Argument(metavar="JOB_ID", help="A fine-tuning job id (ftjob-...).")]
OptJobArg = Annotated[Optional[str], typer.Argument(metavar="[JOB_ID]", help="Default: the newest job in the ledger.", show_default=False)]
MethodOpt = Annotated[Optional[Method], typer.Option("--method", help="Default: the model's method (reinforcement for o4-mini).", show_default=False)]
GraderOpt = Annotated[Optional[str], typer.Option("--grader", metavar="FILE", help="Grader JSON (string_check, text_similarity, score_model, python, multi).", show_default=False)]
RemoteOpt = Annotated[bool, typer.Option("--remote-check", help="Also ask the API's grader-validate endpoint about the grader.")]
IntervalOpt = Annotated[float, typer.Option("--interval", metavar="SECONDS", min=0.01, help="First wait between polls; grows to 30 s while nothing changes.")]


@app.command()
def validate(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(metavar="FILE", help="Training (or validation) data, JSONL.")],
    method: MethodOpt = None,
    grader: GraderOpt = None,
    model: Annotated[Optional[str], typer.Option("--model", "-m", metavar="MODEL", help="The model to fine-tune (picks the default method and the price).", show_default=False)] = None,
    remote_check: RemoteOpt = False,
    json: JsonOpt = False,
    quiet: QuietOpt = False,
    plain: PlainOpt = False,
    profile: ProfileOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Check every line (and the grader); print statistics; exit 2 on any problem."""
    from o4cli.cli import finetune_run

    app_ctx = app_context(ctx, profile=profile, verbose=verbose, quiet=quiet, plain=plain, json=json)
    finetune_run.validate(app_ctx, file=file, method=method.value if method else None, grader=grader, model=model, remote_check=remote_check)


@app.command()
def create(
    ctx: typer.Context,
    train: Annotated[str, typer.Option("--train", metavar="FILE", help="Training data, JSONL.")],
    valid: Annotated[Optional[str], typer.Option("--valid", metavar="FILE", help="Validation data, JSONL.", show_default=False)] = None,
    grader: GraderOpt = None,
    method: MethodOpt = None,
    model: Annotated[Optional[str], typer.Option("--model", "-m", metavar="MODEL", help="Base model [default: o4-mini-2025-04-16].", show_default=False)] = None,
    effort: Annotated[Optional[RftEffort], typer.Option("--effort", "-e", help="reasoning_effort while sampling during reinforcement training.", show_default=False)] = None,
    suffix: Annotated[Optional[str], typer.Option("--suffix", metavar="TEXT", help="Part of the fine-tuned model's name (up to 64 characters).", show_default=False)] = None,
    seed: Annotated[Optional[int], typer.Option("--seed", min=0, max=2147483647, help="Seed for a reproducible job.", show_default=False)] = None,
    hp: Annotated[Optional[list[str]], typer.Option("--hp", metavar="KEY=VALUE", help="Hyperparameter (repeatable): n_epochs, batch_size, learning_rate_multiplier; compute_multiplier, eval_interval, eval_samples (reinforcement); beta (dpo). Each takes 'auto'.", show_default=False)] = None,
    metadata: Annotated[Optional[list[str]], typer.Option("--metadata", metavar="KEY=VALUE", help="Job metadata (repeatable).", show_default=False)] = None,
    remote_check: RemoteOpt = False,
    force: Annotated[bool, typer.Option("--force", help="Create another job even if this input was submitted before.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check everything and print the job request; upload nothing.")] = False,
    wait: Annotated[bool, typer.Option("--wait", help="Watch to the end; print the fine-tuned model's name.")] = False,
    interval: IntervalOpt = 5.0,
    json: JsonOpt = False,
    quiet: QuietOpt = False,
    plain: PlainOpt = False,
    profile: ProfileOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Check, upload the files, create the job; print its id.

    An interrupted create resumes when the same command is run again: nothing is
    uploaded or created twice."""
    from o4cli.cli import finetune_run

    app_ctx = app_context(ctx, profile=profile, verbose=verbose, quiet=quiet, plain=plain, json=json)
    finetune_run.create(
        app_ctx,
        train=train,
        valid=valid,
        grader=grader,
        method=method.value if method else None,
        model=model,
        effort=effort.value if effort else None,
        suffix=suffix,
        seed=seed,
        hp=list(hp or []),
        metadata=list(metadata or []),
        remote_check=remote_check,
        force=force,
        dry_run=dry_run,
        wait=wait,
        interval=interval,
    )


@app.command()
def status(
    ctx: typer.Context,
    job_id: OptJobArg = None,
    watch: Annotated[bool, typer.Option("--watch", help="Follow until the job ends; exit 0 if it succeeded, 1 otherwise.")] = False,
    interval: IntervalOpt = 5.0,
    json: JsonOpt = False,
    quiet: QuietOpt = False,
    plain: PlainOpt = False,
    profile: ProfileOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """State, model, trained tokens, the fine-tuned model, the latest metrics, errors."""
    from o4cli.cli import finetune_run

    app_ctx = app_context(ctx, profile=profile, verbose=verbose, quiet=quiet, plain=plain, json=json)
    finetune_run.status(app_ctx, job_id, watch=watch, interval=interval)


@app.command("list")
def list_(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100, help="How many jobs.")] = 20,
    json: JsonOpt = False,
    plain: PlainOpt = False,
    profile: ProfileOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Recent fine-tuning jobs, newest first, joined with what the ledger knows."""
    from o4cli.cli import finetune_run

    finetune_run.list_(app_context(ctx, profile=profile, verbose=verbose, plain=plain, json=json), limit)


@app.command()
def events(
    ctx: typer.Context,
    job_id: OptJobArg = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Stream new events until the job ends; exit 0 if it succeeded, 1 otherwise.")] = False,
    interval: IntervalOpt = 5.0,
    json: Annotated[bool, typer.Option("--json", help="One JSON event object a line (JSON Lines).")] = False,
    quiet: QuietOpt = False,
    plain: PlainOpt = False,
    profile: ProfileOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """A job's events, oldest first."""
    from o4cli.cli import finetune_run

    app_ctx = app_context(ctx, profile=profile, verbose=verbose, quiet=quiet, plain=plain, json=json)
    finetune_run.events(app_ctx, job_id, follow=follow, interval=interval)


@app.command()
def checkpoints(
    ctx: typer.Context,
    job_id: OptJobArg = None,
    json: JsonOpt = False,
    plain: PlainOpt = False,
    profile: ProfileOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """A job's checkpoints with their metrics, by step."""
    from o4cli.cli import finetune_run

    finetune_run.checkpoints(app_context(ctx, profile=profile, verbose=verbose, plain=plain, json=json), job_id)


def _action(name: str, doc: str):  # noqa: ANN202 - a command factory
    def command(ctx: typer.Context, job_id: JobArg, json: JsonOpt = False, profile: ProfileOpt = None, verbose: VerboseOpt = False) -> None:
        from o4cli.cli import finetune_run

        finetune_run.action(app_context(ctx, profile=profile, verbose=verbose, json=json), job_id, name)

    command.__doc__ = doc
    command.__name__ = name
    return command


app.command("cancel")(_action("cancel", "Cancel a job (validating, queued, running or paused)."))
app.command("pause")(_action("pause", "Pause a running job; it keeps a checkpoint and can be resumed."))
app.command("resume")(_action("resume", "Resume a paused job from where it stopped."))
