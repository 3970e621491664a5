"""``o4 wait``, ``o4 cancel`` and ``o4 jobs``: background calls (``ask``/``stream
--background``, ``stream --resumable``) fetched, stopped and listed."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from o4cli.cli.options import command, context, in_range

OptIdArg = Annotated[
    Optional[str],
    typer.Argument(
        metavar="[RESPONSE_ID]",
        help="A background call (resp_...); default: this profile's newest.",
        show_default=False,
    ),
]

WAIT_HELP = """Wait for a background call to end and print its answer, as ask would.

The summary line, the ledger row and the exit code are those of ask: 1 for an answer
that is incomplete, failed or cancelled. Polls with backoff; --stream attaches to the
call's stream instead (for calls created by o4 stream) and resumes it after a cut.
With --timeout, exits 124 when time is up; the call goes on running."""


def wait(
    ctx: typer.Context,
    response_id: OptIdArg = None,
    stream: Annotated[
        bool, typer.Option("--stream", help="Print the answer as it is written (resumed after a cut).")
    ] = False,
    timeout: Annotated[
        Optional[float],
        typer.Option(
            "--timeout",
            metavar="SECONDS",
            callback=in_range("--timeout", 0),
            help="Give up after this long: exit 124, the call goes on.",
            show_default=False,
        ),
    ] = None,
    interval: Annotated[
        float,
        typer.Option(
            "--interval",
            metavar="SECONDS",
            callback=in_range("--interval", 0.01),
            help="First wait between polls; grows by half each time, to 15 s.",
        ),
    ] = 1.0,
) -> None:
    import time

    from o4cli.cli.ask_run import display, show
    from o4cli.core.background import wait as wait_mod
    from o4cli.render import background as view

    app = context(ctx)
    line = app.out.progress()
    started = time.monotonic()

    def update(response: dict) -> None:
        line.update(view.wait_parts(response, time.monotonic() - started, live=line.live))

    def shown(streaming: bool):  # noqa: ANN202 - the answer's view, once the wait line is gone
        line.close()
        return display(app, streaming)

    try:
        result = wait_mod.wait(app, wait_mod.WaitOptions(response_id, stream, timeout, interval), shown, update)
    finally:
        line.close()
    show(app, result)


def cancel(
    ctx: typer.Context,
    response_id: Annotated[str, typer.Argument(metavar="RESPONSE_ID", help="A background call (resp_...).")],
) -> None:
    """Cancel a background call; prints its id and status (cancelled, or how it had already ended)."""
    from o4cli.core.background import jobs
    from o4cli.core.documents import background as documents
    from o4cli.render import background as view

    app = context(ctx)
    row = jobs.cancel(app, response_id)
    app.out.json(documents.job(row)) if app.json else view.cancelled(app.out, row)


def jobs(
    ctx: typer.Context,
    limit: Annotated[
        int, typer.Option("--limit", metavar="N", callback=in_range("--limit", 1, 1000), help="How many calls.")
    ] = 20,
) -> None:
    """This profile's background calls, newest first, with status and cost.

    Calls still running are asked about; one seen ended for the first time has its
    cost recorded in the ledger now (once, as o4 wait would)."""
    from o4cli.core.background import jobs as jobs_mod
    from o4cli.core.documents import background as documents
    from o4cli.render import background as view

    app = context(ctx)
    rows = jobs_mod.list_jobs(app, limit)
    app.out.json(documents.jobs(rows)) if app.json else view.listing(app.out, rows)


def register(app: typer.Typer) -> None:
    command(app, "wait", help=WAIT_HELP)(wait)
    command(app, "cancel")(cancel)
    command(app, "jobs")(jobs)
