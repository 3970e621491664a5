"""``o4 batch``: submit, status, list, results, retry, cancel, run — the Batch API at half price."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from o4cli.cli.options import (
    DryRunOpt,
    EffortOpt,
    EndpointOpt,
    ErrorsOpt,
    ForceOpt,
    MaxCostOpt,
    MaxOutputOpt,
    MetadataOpt,
    ModelOpt,
    OutputOpt,
    SystemOpt,
    command,
    context,
    in_range,
    model_flags,
)

app = typer.Typer(
    help="The Batch API: many prompts at half price, answered within 24 h.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

IdArg = Annotated[str, typer.Argument(metavar="BATCH_ID", help="A batch id (batch_...).")]
OptIdArg = Annotated[
    Optional[str],
    typer.Argument(
        metavar="[BATCH_ID]", help="Default: this profile's newest batch in the ledger.", show_default=False
    ),
]
IntervalOpt = Annotated[
    float,
    typer.Option(
        "--interval",
        metavar="SECONDS",
        callback=in_range("--interval", 0.05),
        help="First wait between polls; doubles up to 60 s.",
    ),
]
InputArg = Annotated[
    str, typer.Argument(metavar="FILE|-", help="Batch-format JSONL, prompt JSONL, or one prompt a line; - reads stdin.")
]


def _watch(app, batch_id: str, interval: float):  # noqa: ANN001, ANN202
    """Watch a batch to its end with one progress line on stderr; return its BatchStatus."""
    from o4cli.core.batch import status
    from o4cli.render import batch as view

    line = app.out.progress()

    def update(batch: dict) -> None:
        line.update(view.watch_parts(batch, status.progress(batch)))

    try:
        return status.status(app, batch_id, watch_it=True, interval=interval, on_update=update)
    finally:
        line.close(keep=True)


@command(app)
def submit(
    ctx: typer.Context,
    file: InputArg,
    endpoint: EndpointOpt = None,
    model: ModelOpt = None,
    effort: EffortOpt = None,
    system: SystemOpt = None,
    max_output: MaxOutputOpt = None,
    window: Annotated[
        str, typer.Option("--window", metavar="24h", help="Completion window (the API offers 24h).")
    ] = "24h",
    metadata: MetadataOpt = None,
    label: Annotated[
        Optional[str],
        typer.Option(
            "--label", metavar="NAME", help="A name for this submission (default: the file name).", show_default=False
        ),
    ] = None,
    max_cost: MaxCostOpt = None,
    dry_run: DryRunOpt = False,
    force: ForceOpt = False,
    wait: Annotated[
        bool, typer.Option("--wait", help="Watch until done, then write the results (-o, --errors).")
    ] = False,
    output: OutputOpt = None,
    errors: ErrorsOpt = None,
    interval: IntervalOpt = 2.0,
    max_requests: Annotated[Optional[int], typer.Option("--max-requests", hidden=True)] = None,
    max_bytes: Annotated[Optional[int], typer.Option("--max-bytes", hidden=True)] = None,
) -> None:
    """Check every line, plan (tokens, worst-case cost, shards), upload, create; print the batch ids.

    An interrupted submit resumes when the same command is run again: nothing is
    uploaded or created twice."""
    from o4cli.core.batch import results as results_mod
    from o4cli.core.batch import submit as submit_mod
    from o4cli.core.documents import batch as documents
    from o4cli.render import batch as view

    app = context(ctx, flags=model_flags(model, effort))
    opts = submit_mod.SubmitOptions(
        file=file, endpoint=endpoint.value if endpoint else None, system=system, max_output=max_output, window=window,
        metadata=tuple(metadata or ()), label=label, max_cost=max_cost, dry_run=dry_run, force=force, wait=wait,
        output=output, errors=errors, max_requests=max_requests, max_bytes=max_bytes,
    )  # fmt: skip
    if wait:
        results_mod.check_json(results_mod.ResultsOptions((), output=output), app.json)
    done = submit_mod.submit(app, opts, app.stdin)
    if done.dry_run:
        app.out.json(documents.submit(done)) if app.json else view.plan(app.out, done.plan)
        return
    if not wait:
        app.out.json(documents.submit(done)) if app.json else app.out.lines(done.batch_ids)
        return
    finals = [_watch(app, i, interval).batch for i in done.batch_ids]
    report = results_mod.results(app, results_mod.ResultsOptions(tuple(done.batch_ids), output, errors), seen=finals)
    _show_results(app, report, lambda r: documents.submit(done, documents.results(r)))


@command(app)
def status(
    ctx: typer.Context,
    batch_id: OptIdArg = None,
    watch: Annotated[
        bool, typer.Option("--watch", help="Poll until the batch ends; exit 0 if completed, 1 otherwise.")
    ] = False,
    interval: IntervalOpt = 2.0,
) -> None:
    """Status, request counts, elapsed time and an estimate of the rest."""
    from o4cli.core.batch import status as status_mod
    from o4cli.core.documents import batch as documents
    from o4cli.render import batch as view

    app = context(ctx)
    st = _watch(app, status_mod.resolve(app, batch_id), interval) if watch else status_mod.status(app, batch_id)
    app.out.json(documents.status(st)) if app.json else view.status(app.out, st)
    view.errors(app.out, st.batch)
    if st.error:
        raise st.error


@command(app, "list")
def list_(
    ctx: typer.Context,
    limit: Annotated[
        int,
        typer.Option("--limit", metavar="N", callback=in_range("--limit", 1, 100), help="How many batches (1-100)."),
    ] = 20,
) -> None:
    """Recent batches, joined with what the ledger knows (label, shard, costs)."""
    from o4cli.core.batch import status as status_mod
    from o4cli.core.documents import batch as documents
    from o4cli.render import batch as view

    app = context(ctx)
    rows = documents.listing(status_mod.list_batches(app, limit))
    app.out.json(rows) if app.json else view.listing(app.out, rows)


@command(app)
def cancel(ctx: typer.Context, batch_id: IdArg) -> None:
    """Cancel a batch (it goes through cancelling; finished requests are kept)."""
    from o4cli.core.batch import status as status_mod

    app = context(ctx)
    batch = status_mod.cancel(app, batch_id)
    app.out.json(batch) if app.json else app.out.lines([f"{batch.get('id')} {batch.get('status')}"])


@command(app)
def results(
    ctx: typer.Context,
    batch_id: IdArg,
    output: OutputOpt = None,
    errors: ErrorsOpt = None,
    text: Annotated[
        bool, typer.Option("--text", help="Write custom_id<TAB>answer lines (newlines in answers as \\n).")
    ] = False,
) -> None:
    """Download a finished batch's results, in the order of the submitted lines, merged with its retries.

    With --json the summary goes to stdout and the results to -o FILE."""
    from o4cli.core.batch import results as results_mod
    from o4cli.core.documents import batch as documents

    app = context(ctx)
    opts = results_mod.ResultsOptions((batch_id,), output=output, errors=errors, text=text)
    results_mod.check_json(opts, app.json)
    _show_results(app, results_mod.results(app, opts), documents.results)


def _show_results(app, report, document) -> None:  # noqa: ANN001
    from o4cli.render import batch as view

    if report.failed_batch is not None:
        view.errors(app.out, report.failed_batch)
        raise report.error
    if report.stdout_lines is not None:
        app.out.write_bytes(report.stdout_lines)
    if app.json:
        app.out.json(document(report))
    if not app.quiet:
        view.results_summary(app.out, report)
    if report.error:
        raise report.error


@command(app)
def retry(ctx: typer.Context, batch_id: IdArg) -> None:
    """Submit a new batch of exactly the lines that failed or never ran."""
    from o4cli.core.batch import retry as retry_mod
    from o4cli.core.documents import batch as documents

    app = context(ctx)
    r = retry_mod.retry(app, batch_id)
    if r.requests == 0:
        app.notice(f"nothing to retry: every request of {batch_id} has an answer")
    app.out.json(documents.retried(r)) if app.json else app.out.lines(r.batch_ids)


@command(app)
def run(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(metavar="FILE|-", help="The same inputs as submit; - reads stdin.")],
    output: OutputOpt = None,
    errors: ErrorsOpt = None,
    concurrency: Annotated[
        Optional[int],
        typer.Option(
            "--concurrency",
            metavar="N",
            callback=in_range("--concurrency", 1, 512),
            help="Requests in flight at most, 1-512 (default: what the rate limits and the answers' latency need).",
            show_default=False,
        ),
    ] = None,
    rpm: Annotated[
        Optional[int],
        typer.Option(
            "--rpm",
            metavar="N",
            callback=in_range("--rpm", 1),
            help="Requests a minute (default: the profile tier's limit).",
            show_default=False,
        ),
    ] = None,
    tpm: Annotated[
        Optional[int],
        typer.Option(
            "--tpm",
            metavar="N",
            callback=in_range("--tpm", 1),
            help="Tokens a minute (default: the profile tier's limit).",
            show_default=False,
        ),
    ] = None,
    flex: Annotated[bool, typer.Option("--flex", help="Flex service tier: half price, slower.")] = False,
    endpoint: EndpointOpt = None,
    model: ModelOpt = None,
    effort: EffortOpt = None,
    system: SystemOpt = None,
    max_output: MaxOutputOpt = None,
    max_cost: MaxCostOpt = None,
    dry_run: DryRunOpt = False,
) -> None:
    """Run a batch input now, in parallel within the rate limits, as Batch-format output lines.

    Re-running the same command skips every custom_id already in the output file.
    With --json the summary goes to stdout and the results to -o FILE. It spends at the
    full price: --max-cost refuses a run whose worst case is above it, --dry-run shows the
    plan (requests, tokens, worst case) without sending."""
    from o4cli.core.batch import run as run_mod
    from o4cli.core.documents import batch as documents
    from o4cli.render import batch as view

    app = context(ctx, flags=model_flags(model, effort))
    opts = run_mod.RunOptions(
        file=file, output=output, errors=errors, concurrency=concurrency, rpm=rpm, tpm=tpm, flex=flex,
        endpoint=endpoint.value if endpoint else None, system=system, max_output=max_output,
        max_cost=max_cost, dry_run=dry_run,
    )  # fmt: skip
    if dry_run:
        plan = run_mod.run(app, opts, stdin=app.stdin, stdout=None, live=False, on_progress=lambda p: None)
        app.out.json(documents.run_plan(plan)) if app.json else view.run_plan(app.out, plan)
        return
    line = app.out.progress()
    try:
        report = run_mod.run(
            app, opts, stdin=app.stdin, stdout=run_mod.stdout_bytes(app.stdout), live=line.live,
            on_progress=lambda p: line.update(view.run_progress(p, live=line.live)), json_summary=app.json,
        )  # fmt: skip
    finally:
        line.close()
    if report.tally.reader_gone:
        raise BrokenPipeError  # main() ends quietly: the reader chose to stop; rows are written
    if app.json:
        app.out.json(documents.run(report))
    if not app.quiet:
        view.run_summary(app.out, report)
    if report.error:
        raise report.error
