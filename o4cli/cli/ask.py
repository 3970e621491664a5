"""``o4 ask`` (the whole answer) and ``o4 stream`` (the answer as it is written).

One function serves both commands; ``ctx.info_name`` tells which was called.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from o4cli.cli.options import (
    ApiKind,
    Detail,
    DryRunOpt,
    EffortOpt,
    MaxCostOpt,
    MaxOutputOpt,
    ModelOpt,
    SystemOpt,
    command,
    context,
    model_flags,
)

ASK_HELP = """Send one prompt and print the whole answer.

The prompt is the words, then stdin when it is not a terminal, then each -f file
under its name. The token and cost summary goes to stderr; stdout is the answer."""

STREAM_HELP = """Send one prompt and print the answer as it is written.

On a terminal the markdown renders live and the reasoning summary shows dimmed;
piped, the raw text is flushed as it arrives. Ctrl-C keeps what arrived (exit 130).
With --resumable (or the profile's resumable = true) the call runs in background
mode and a dropped connection is resumed where it stopped."""

ListOpt = Optional[list[str]]


def run(
    ctx: typer.Context,
    words: Annotated[
        ListOpt, typer.Argument(metavar="[PROMPT]...", help="The prompt's words.", show_default=False)
    ] = None,
    file: Annotated[
        ListOpt,
        typer.Option(
            "--file", "-f", metavar="FILE", help="A text file to add under its name (repeatable).", show_default=False
        ),
    ] = None,
    image: Annotated[
        ListOpt,
        typer.Option(
            "--image",
            "-i",
            metavar="FILE|URL",
            help="An image: PNG, JPEG, WEBP or still GIF file, or a URL (repeatable).",
            show_default=False,
        ),
    ] = None,
    detail: Annotated[Detail, typer.Option("--detail", help="Image detail.")] = Detail.auto,
    system: SystemOpt = None,
    model: ModelOpt = None,
    effort: EffortOpt = None,
    max_output: MaxOutputOpt = None,
    schema: Annotated[
        Optional[str],
        typer.Option(
            "--schema",
            metavar="FILE|JSON|FIELDS",
            help="Strict structured output: a JSON Schema file, inline JSON, or fields ('name, age int, tags list').",
            show_default=False,
        ),
    ] = None,
    api: Annotated[
        Optional[ApiKind],
        typer.Option("--api", help="Which API (default: the profile's, responses).", show_default=False),
    ] = None,
    flex: Annotated[
        bool, typer.Option("--flex", help="Flex service tier: half price, slower, may lack capacity.")
    ] = False,
    flex_fallback: Annotated[
        bool,
        typer.Option(
            "--flex-fallback", help="With --flex: when flex has no capacity, send again at the standard tier."
        ),
    ] = False,
    cont: Annotated[
        bool, typer.Option("--continue", "-c", help="Continue the last conversation (Responses API).")
    ] = False,
    cid: Annotated[
        Optional[str], typer.Option("--cid", metavar="ID", help="Continue from this response id.", show_default=False)
    ] = None,
    param: Annotated[
        ListOpt,
        typer.Option(
            "--param",
            metavar="KEY=VALUE",
            help="Any other request-body field; VALUE is JSON where it parses; dotted keys nest (repeatable).",
            show_default=False,
        ),
    ] = None,
    option: Annotated[
        ListOpt, typer.Option("--option", "-o", metavar="KEY=VALUE", hidden=True, help="The old spelling of --param.")
    ] = None,
    max_cost: MaxCostOpt = None,
    dry_run: DryRunOpt = False,
    background: Annotated[
        bool,
        typer.Option(
            "--background",
            help="Run it on the server: print its id and exit; `o4 wait ID` gives the answer (Responses API).",
        ),
    ] = False,
    resumable: Annotated[
        Optional[bool],
        typer.Option(
            "--resumable/--no-resumable",
            help="stream: background mode, resumed after a dropped connection (default: the profile's resumable).",
            show_default=False,
        ),
    ] = None,
) -> None:
    from o4cli.core.ask import session

    app = context(ctx, flags={**model_flags(model, effort), "api": api.value if api else None})
    opts = session.AskOptions(
        command=ctx.info_name or "ask",
        words=tuple(words or ()),
        stdin_text=None if app.stdin_is_terminal() else _read_stdin(app),
        files=tuple(file or ()),
        images=tuple(image or ()),
        system=system,
        detail=detail.value,
        max_output=max_output,
        schema=schema,
        flex=flex,
        flex_fallback=flex_fallback,
        cont=cont,
        cid=cid,
        params=(*(param or ()), *(option or ())),
        max_cost=max_cost,
        dry_run=dry_run,
        background=background,
        resumable=resumable,
    )
    result = session.run(app, opts, lambda streaming: display(app, streaming))
    if isinstance(result, session.DryRun):
        _show_dry_run(app, result)
    elif isinstance(result, session.AskResult):
        show(app, result)
    else:
        from o4cli.cli.background import show_submitted

        show_submitted(app, result)


def display(app, streaming: bool):  # noqa: ANN001, ANN202
    """The view of an answer while it arrives: a live stream, or a spinner."""
    from o4cli.render.answer import StreamView, Waiting

    if streaming:
        return StreamView(app.out, silent=app.json)
    return Waiting(app.out, not app.quiet and app.out.fancy_err)


def _read_stdin(app) -> str:  # noqa: ANN001
    """stdin as prompt text (capped, binary refused, non-UTF-8 bytes replaced with a warning)."""
    import io

    from o4cli.core.ask.prompt import read_stdin

    stream = app.stdin
    raw = stream.buffer if hasattr(stream, "buffer") else io.BytesIO(stream.read().encode())
    text, warning = read_stdin(raw)
    if warning:
        app.notice(warning)
    return text


def _show_dry_run(app, dry) -> None:  # noqa: ANN001
    from o4cli.core.documents import ask as documents
    from o4cli.render import answer as view

    app.out.json(documents.dry_run(dry)) if app.json else view.dry_run(app.out, dry)


def show(app, r) -> None:  # noqa: ANN001
    """The answer (unless it streamed), the summary line, then the error it ended with
    (``o4 wait`` shows its answers with this too). A background call that goes on gets a
    line saying how to get its answer, and after Ctrl-C the choice to cancel it."""
    from o4cli.core.documents import ask as documents
    from o4cli.render import answer as view

    if r.answer.reader_gone:
        raise BrokenPipeError  # main() exits quietly; the row is written
    app.out.json(documents.answer(r)) if app.json else view.result(app.out, r)
    if r.running:
        from o4cli.cli.background import after_running

        after_running(app, r)
    elif not app.quiet:
        view.summary(app.out, r)
    if r.error is not None:
        raise r.error


def register(app: typer.Typer) -> None:
    command(app, "ask", help=ASK_HELP)(run)
    command(app, "stream", help=STREAM_HELP)(run)
