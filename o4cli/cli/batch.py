"""``o4 batch``: submit, status, list, results, retry, cancel — the Batch API at half price."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from o4cli.cli.options import (
    EffortOpt,
    EndpointOpt,
    JsonOpt,
    MaxOutputOpt,
    ModelOpt,
    PlainOpt,
    ProfileOpt,
    QuietOpt,
    SystemOpt,
    VerboseOpt,
    app_context,
    model_flags,
)

app = typer.Typer(
    help="The Batch API: many prompts at half price, answered within 24 h.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

IdArg = Annotated[str, typer.Argument(metavar="BATCH_ID", help="A batch id (batch_...).")]
IntervalOpt = Annotated[float, typer.Option("--interval", metavar="SECONDS", min=0.05, help="First wait between polls; doubles up to 60 s.")]
OutputOpt = Annotated[Optional[str], typer.Option("--output", "-o", metavar="FILE", help="Write the results here (atomically) instead of stdout.", show_default=False)]
ErrorsOpt = Annotated[Optional[str], typer.Option("--errors", metavar="FILE", help="Write the failed requests' lines here.", show_default=False)]


@app.command()
def submit(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(metavar="FILE|-", help="Batch-format JSONL, prompt JSONL, or one prompt a line; - reads stdin.")],
    endpoint: EndpointOpt = None,
    model: ModelOpt = None,
    effort: EffortOpt = None,
    system: SystemOpt = None,
    max_output: MaxOutputOpt = None,
    window: Annotated[str, typer.Option("--window", help="Completion window (the API offers 24h).")] = "24h",
    metadata: Annotated[Optional[list[str]], typer.Option("--metadata", metavar="KEY=VALUE", help="Batch metadata (repeatable).", show_default=False)] = None,
    label: Annotated[Optional[str], typer.Option("--label", metavar="TEXT", help="A name for this submission (default: the file name).", show_default=False)] = None,
    max_cost: Annotated[Optional[str], typer.Option("--max-cost", metavar="USD", help="Refuse when the worst case at the batch price is above this.", show_default=False)] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check every line, print the plan, upload nothing.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Submit again even if this input was submitted before.")] = False,
    wait: Annotated[bool, typer.Option("--wait", help="Watch until done, then write the results.")] = False,
    output: OutputOpt = None,
    errors: ErrorsOpt = None,
    interval: IntervalOpt = 2.0,
    max_requests: Annotated[Optional[int], typer.Option("--max-requests", hidden=True)] = None,
    max_bytes: Annotated[Optional[int], typer.Option("--max-bytes", hidden=True)] = None,
    json: JsonOpt = False,
    quiet: QuietOpt = False,
    plain: PlainOpt = False,
    profile: ProfileOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Check every line, plan (tokens, worst-case cost, shards), upload, create; print the batch ids.

    An interrupted submit resumes when the same command is run again: nothing is
    uploaded or created twice."""
    from o4cli.cli import batch_run

    app_ctx = app_context(
        ctx, profile=profile, verbose=verbose, quiet=quiet, plain=plain, json=json,
        flags=model_flags(model, effort),
    )
    batch_run.submit(
        app_ctx,
        file=file,
        endpoint=endpoint.value if endpoint else None,
        system=system,
        max_output=max_output,
        window=window,
        metadata=list(metadata or []),
        label=label,
        max_cost=max_cost,
        dry_run=dry_run,
        force=force,
        wait=wait,
        output=output,
        errors=errors,
        interval=interval,
        max_requests=max_requests,
        max_bytes=max_bytes,
    )


@app.command()
def status(
    ctx: typer.Context,
    batch_id: Annotated[Optional[str], typer.Argument(metavar="[BATCH_ID]", help="Default: the newest batch in the ledger.", show_default=False)] = None,
    watch: Annotated[bool, typer.Option("--watch", help="Poll until the batch ends; exit 0 if completed, 1 otherwise.")] = False,
    interval: IntervalOpt = 2.0,
    json: JsonOpt = False,
    quiet: QuietOpt = False,
    plain: PlainOpt = False,
    profile: ProfileOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Status, request counts, elapsed time and an estimate of the rest."""
    from o4cli.cli import batch_run

    app_ctx = app_context(ctx, profile=profile, verbose=verbose, quiet=quiet, plain=plain, json=json)
    batch_run.status(app_ctx, batch_id, watch=watch, interval=interval)


@app.command("list")
def list_(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100, help="How many batches.")] = 20,
    json: JsonOpt = False,
    plain: PlainOpt = False,
    profile: ProfileOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Recent batches, joined with what the ledger knows (label, shard, costs)."""
    from o4cli.cli import batch_run

    app_ctx = app_context(ctx, profile=profile, verbose=verbose, plain=plain, json=json)
    batch_run.list_(app_ctx, limit)


@app.command()
def cancel(ctx: typer.Context, batch_id: IdArg, profile: ProfileOpt = None, verbose: VerboseOpt = False, json: JsonOpt = False) -> None:
    """Cancel a batch (it goes through cancelling; finished requests are kept)."""
    from o4cli.cli import batch_run

    batch_run.cancel(app_context(ctx, profile=profile, verbose=verbose, json=json), batch_id)


@app.command()
def results(
    ctx: typer.Context,
    batch_id: IdArg,
    output: OutputOpt = None,
    errors: ErrorsOpt = None,
    text: Annotated[bool, typer.Option("--text", help="Print custom_id<TAB>answer lines (newlines in answers as \\n).")] = False,
    json: Annotated[bool, typer.Option("--json", help="Print a JSON summary on stdout (results go to -o).")] = False,
    quiet: QuietOpt = False,
    plain: PlainOpt = False,
    profile: ProfileOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Download a finished batch's results, in the order of the submitted lines, merged with its retries."""
    from o4cli.cli import batch_run

    app_ctx = app_context(ctx, profile=profile, verbose=verbose, quiet=quiet, plain=plain, json=json)
    batch_run.results(app_ctx, [batch_id], output=output, errors=errors, text=text)


@app.command()
def retry(
    ctx: typer.Context,
    batch_id: IdArg,
    json: JsonOpt = False,
    quiet: QuietOpt = False,
    profile: ProfileOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Submit a new batch of exactly the lines that failed or never ran."""
    from o4cli.cli import batch_run

    app_ctx = app_context(ctx, profile=profile, verbose=verbose, quiet=quiet, json=json)
    batch_run.retry(app_ctx, batch_id)


@app.command()
def run(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(metavar="FILE|-", help="The same inputs as submit; - reads stdin.")],
    output: OutputOpt = None,
    errors: ErrorsOpt = None,
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, max=512, help="Requests in flight at most.")] = 16,
    rpm: Annotated[Optional[int], typer.Option("--rpm", min=1, help="Requests a minute (default: the profile tier's limit).", show_default=False)] = None,
    tpm: Annotated[Optional[int], typer.Option("--tpm", min=1, help="Tokens a minute (default: the profile tier's limit).", show_default=False)] = None,
    flex: Annotated[bool, typer.Option("--flex", help="Flex service tier: half price, slower.")] = False,
    endpoint: EndpointOpt = None,
    model: ModelOpt = None,
    effort: EffortOpt = None,
    system: SystemOpt = None,
    max_output: MaxOutputOpt = None,
    json: Annotated[bool, typer.Option("--json", help="Print a JSON summary on stdout (needs -o).")] = False,
    quiet: QuietOpt = False,
    plain: PlainOpt = False,
    profile: ProfileOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Run a batch input now, in parallel within the rate limits, as Batch-format output lines.

    Re-running the same command skips every custom_id already in the output file."""
    from o4cli.cli import batch_now

    app_ctx = app_context(
        ctx, profile=profile, verbose=verbose, quiet=quiet, plain=plain, json=json,
        flags=model_flags(model, effort),
    )
    batch_now.run(
        app_ctx,
        file=file,
        output=output,
        errors=errors,
        concurrency=concurrency,
        rpm=rpm,
        tpm=tpm,
        flex=flex,
        endpoint=endpoint.value if endpoint else None,
        system=system,
        max_output=max_output,
    )
