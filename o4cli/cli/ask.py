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
    Effort,
    EffortOpt,
    MaxCostOpt,
    MaxOutputOpt,
    ModelOpt,
    NoLogOpt,
    SystemOpt,
    TemplateOpt,
    VarOpt,
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
        bool,
        typer.Option(
            "--continue", "-c", help="Continue the profile's latest conversation (its instructions, model, effort)."
        ),
    ] = False,
    cid: Annotated[
        Optional[str],
        typer.Option(
            "--cid",
            metavar="ID",
            help="Continue this conversation (an id from `o4 logs`, or a response id); a new name starts one.",
            show_default=False,
        ),
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
    tool: Annotated[
        ListOpt,
        typer.Option(
            "--tool",
            metavar="FILE",
            help="Tool definitions (TOML or JSON) the model may call (repeatable).",
            show_default=False,
            rich_help_panel="Tools",
        ),
    ] = None,
    chain_limit: Annotated[
        int, typer.Option("--chain-limit", metavar="N", help="At most N rounds of tool calls.", rich_help_panel="Tools")
    ] = 5,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Run every tool call without asking.", rich_help_panel="Tools")
    ] = False,
    tool_calls: Annotated[
        bool,
        typer.Option(
            "--tool-calls",
            help="Print the model's tool calls as JSON and exit 7; run nothing.",
            rich_help_panel="Tools",
        ),
    ] = False,
    tool_result: Annotated[
        ListOpt,
        typer.Option(
            "--tool-result",
            metavar="CALL_ID=FILE|-",
            help="A call's output, to continue the conversation after --tool-calls (repeatable).",
            show_default=False,
            rich_help_panel="Tools",
        ),
    ] = None,
    code_interpreter: Annotated[
        bool,
        typer.Option("--code-interpreter", help="OpenAI's code interpreter (Responses API).", rich_help_panel="Tools"),
    ] = False,
    file_search: Annotated[
        ListOpt,
        typer.Option(
            "--file-search",
            metavar="VECTOR_STORE_ID",
            help="Search this vector store (repeatable).",
            show_default=False,
            rich_help_panel="Tools",
        ),
    ] = None,
    mcp: Annotated[
        ListOpt,
        typer.Option(
            "--mcp",
            metavar="LABEL=URL",
            help="A remote MCP server; its token comes from O4_MCP_<LABEL>_TOKEN (repeatable).",
            show_default=False,
            rich_help_panel="Tools",
        ),
    ] = None,
    mcp_allow: Annotated[
        ListOpt,
        typer.Option(
            "--mcp-allow",
            metavar="TOOL",
            help="Only these MCP tools (repeatable).",
            show_default=False,
            rich_help_panel="Tools",
        ),
    ] = None,
    # --- history, templates and pipelines (issue 15)
    template: TemplateOpt = None,
    var: VarOpt = None,
    no_log: NoLogOpt = False,
    no_stdin: Annotated[
        bool, typer.Option("--no-stdin", help="Never read stdin (for `while read ...; do o4 ask ...; done` loops).")
    ] = False,
    extract: Annotated[
        bool, typer.Option("--extract", "-x", help="Print only the answer's first fenced code block.")
    ] = False,
    extract_all: Annotated[
        bool, typer.Option("--extract-all", help="Print only the answer's fenced code blocks, all of them.")
    ] = False,
) -> Optional[int]:
    from o4cli.core.ask import session

    tpl = _template(context(ctx).env, template, var)
    if tpl is not None:  # the template lies under the flags: a flag given wins
        model = model or tpl.model
        effort = effort or (Effort(tpl.effort) if tpl.effort else None)
        system = system if system is not None else tpl.system
        schema = schema or tpl.schema
        param = [*tpl.params, *(param or ())]
    app = context(ctx, flags={**model_flags(model, effort), "api": api.value if api else None})
    tools = _tool_options(
        app, tool, chain_limit, yes, tool_calls, tool_result, code_interpreter, file_search, mcp, mcp_allow
    )
    pick = "all" if extract_all else ("first" if extract else None)
    stdin_text = None
    if not (no_stdin or app.stdin_is_terminal()) and not (tools and tools.results_stdin is not None):
        stdin_text = _read_stdin(app)
    opts = session.AskOptions(
        command=ctx.info_name or "ask",
        words=tuple(tpl.prompt_words(words or ()) if tpl else (words or ())),
        stdin_text=stdin_text,
        files=tuple(file or ()),
        images=tuple(image or ()),
        system=system,
        detail=detail.value,
        max_output=max_output,
        schema=schema,
        flex=flex,
        flex_fallback=flex_fallback,
        cont=cont or bool(tool_result and not cid),  # a tool result continues the last conversation
        cid=cid,
        params=(*(param or ()), *(option or ())),
        max_cost=max_cost,
        dry_run=dry_run,
        background=background,
        resumable=resumable,
        tools=tools,
        log=not no_log,
    )
    observer = _tool_view(app) if tools else None
    silent = bool(tools and tools.hand_back)  # --tool-calls: stdout is the calls document alone
    # -x: a stream shows nothing as it arrives; the code blocks are printed at the end
    result = session.run(app, opts, lambda streaming: display(app, streaming, silent=silent or bool(pick)), observer)
    if isinstance(result, session.DryRun):
        _show_dry_run(app, result)
    elif isinstance(result, session.ChainResult):
        return _show_chain(app, result, pick)
    elif isinstance(result, session.AskResult):
        show(app, result, pick)
    else:
        from o4cli.cli.background import show_submitted

        show_submitted(app, result)
    return None


def _tool_options(app, files, limit, yes, hand_back, results, code_interpreter, stores, mcp, allow):  # noqa: ANN001, ANN202, PLR0913
    """The tool flags, or None when none was given (the chain is then not involved)."""
    from o4cli.core.tools.builtin import Builtins
    from o4cli.core.tools.chain import ToolOptions

    builtins = Builtins(code_interpreter, tuple(stores or ()), tuple(mcp or ()), tuple(allow or ()))
    results = tuple(results or ())
    piped = any(r.partition("=")[2] == "-" for r in results) and not app.stdin_is_terminal()
    t = ToolOptions(
        files=tuple(files or ()), builtins=builtins, chain_limit=limit, yes=yes, hand_back=hand_back,
        results=results, results_stdin=_read_stdin(app) if piped else None,
    )  # fmt: skip
    if not t and (builtins.mcp_allow or limit != 5):
        from o4cli.core.errors import UsageError

        raise UsageError("--chain-limit and --mcp-allow go with --tool, --mcp or the other tool flags")
    return t or None


def _tool_view(app):  # noqa: ANN001, ANN202
    """The chain's view; it can ask when stderr is a terminal and a person can answer: on
    stdin when it is the terminal, else on the controlling terminal (``git diff | o4 ...``)."""
    from o4cli.render import isatty
    from o4cli.render.tools import ToolView

    answers = None
    if isatty(app.stderr):
        if app.stdin_is_terminal():
            answers = app.stdin
        else:
            try:
                answers = open("/dev/tty", encoding="utf-8", errors="replace")  # noqa: SIM115 - lives as long as the run
            except OSError:
                answers = None  # no controlling terminal: no one to ask
    return ToolView(app.out, answers or app.stdin, interactive=answers is not None)


def _show_chain(app, r, pick: str | None = None) -> int | None:  # noqa: ANN001
    """A tool chain: the calls handed back (exit 7), or the answer, then the summary."""
    from o4cli.core.documents import ask as documents
    from o4cli.core.errors import ExitCode
    from o4cli.render import tools as view

    if r.answer.reader_gone:
        raise BrokenPipeError
    if r.handed_back is not None:
        app.out.json(documents.tool_calls(r))
        if not app.quiet:
            view.summary(app.out, r)
        return int(ExitCode.TOOL_CALLS)
    if app.json:
        app.out.json(documents.chain(r))
    elif pick:
        _show_extract(app, r, every=pick == "all")
    else:
        from o4cli.render import answer as answer_view

        answer_view.result(app.out, r)
    if not app.quiet:
        view.summary(app.out, r)
    if r.error is not None:
        raise r.error
    return None


def display(app, streaming: bool, *, silent: bool = False):  # noqa: ANN001, ANN202
    """The view of an answer while it arrives: a live stream, or a spinner; ``silent``
    shows nothing as it arrives (``--json``, ``--tool-calls``: stdout is a document)."""
    from o4cli.render.answer import StreamView, Waiting

    if streaming:
        return StreamView(app.out, silent=app.json or silent)
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


def show(app, r, pick: str | None = None) -> None:  # noqa: ANN001
    """The answer (unless it streamed; ``pick``: only its code blocks, -x), the summary line,
    then the error it ended with (``o4 wait`` shows its answers with this too). A background
    call that goes on gets a line saying how to get its answer, and after Ctrl-C the choice
    to cancel it."""
    from o4cli.core.documents import ask as documents
    from o4cli.render import answer as view

    if r.answer.reader_gone:
        raise BrokenPipeError  # main() exits quietly; the row is written
    if app.json:
        app.out.json(documents.answer(r))
    elif pick:
        _show_extract(app, r, every=pick == "all")
    else:
        view.result(app.out, r)
    if r.running:
        from o4cli.cli.background import after_running

        after_running(app, r)
    elif not app.quiet:
        view.summary(app.out, r)
    if r.error is not None:
        raise r.error


def _show_extract(app, r, *, every: bool) -> None:  # noqa: ANN001
    """-x/--extract-all: the code blocks alone; an answer without one is printed whole (said so)."""
    from o4cli.core.ask.extract import extract
    from o4cli.render import answer as view

    block = extract(r.answer.text, every=every)
    if block is None:
        if r.answer.text:
            app.notice("note: the answer has no fenced code block; printing it whole")
        view.print_answer(app.out, r.answer.text, markdown=False)
        return
    view.print_answer(app.out, block, markdown=False)


def _template(env, name: str | None, var: list[str] | None):  # noqa: ANN001, ANN202 - an Applied template, or None
    """-t NAME with its --var KEY=VALUE substitutions (--var alone is refused)."""
    if name is None:
        if var:
            from o4cli.core.errors import UsageError

            raise UsageError("--var goes with -t/--template")
        return None
    from o4cli.core import templates

    return templates.load(env, name).apply(var or ())


def register(app: typer.Typer) -> None:
    command(app, "ask", help=ASK_HELP)(run)
    command(app, "stream", help=STREAM_HELP)(run)
