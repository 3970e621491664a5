"""The body of ``o4 ask`` and ``o4 stream``: flags to ``AskOptions``, the call, what is shown.

Plain Python, no typer: ``cli.ask`` declares the flags for typer and calls ``perform``; the
quick lane (``cli.quick``) parses a plain ``o4 ask ...`` itself and calls it too.
"""

from __future__ import annotations

from o4cli.cli.choices import ApiKind, Detail, Effort, model_flags
from o4cli.cli.context import AppContext


def perform(  # noqa: PLR0913 - one keyword a flag of `o4 ask`
    app: AppContext,
    command: str,
    *,
    words: list[str] | None,
    file: list[str] | None,
    image: list[str] | None,
    detail: Detail,
    system: str | None,
    model: str | None,
    effort: Effort | None,
    max_output: int | None,
    schema: str | None,
    api: ApiKind | None,
    flex: bool,
    flex_fallback: bool,
    cont: bool,
    cid: str | None,
    param: list[str] | None,
    option: list[str] | None,
    max_cost: str | None,
    dry_run: bool,
    background: bool,
    resumable: bool | None,
    tool: list[str] | None,
    chain_limit: int,
    yes: bool,
    tool_calls: bool,
    tool_result: list[str] | None,
    code_interpreter: bool,
    file_search: list[str] | None,
    mcp: list[str] | None,
    mcp_allow: list[str] | None,
    template: str | None,
    var: list[str] | None,
    no_log: bool,
    no_stdin: bool,
    extract: bool,
    extract_all: bool,
) -> int | None:
    """``o4 ask`` and ``o4 stream`` (``command``) with every flag, by the names of ``cli.ask``'s
    parameters and as typer converts them (lists or None, enum members); the defaults are
    ``cli.ask``'s alone."""
    from o4cli.core.ask import session

    tpl = _template(app.env, template, var)
    if tpl is not None:  # the template lies under the flags: a flag given wins
        model = model or tpl.model
        effort = effort or (Effort(tpl.effort) if tpl.effort else None)
        system = system if system is not None else tpl.system
        schema = schema or tpl.schema
        param = [*tpl.params, *(param or ())]
    app.override({**model_flags(model, effort), "api": api.value if api else None})
    tools = _tool_options(
        app, tool, chain_limit, yes, tool_calls, tool_result, code_interpreter, file_search, mcp, mcp_allow
    )
    pick = "all" if extract_all else ("first" if extract else None)
    stdin_text = None
    if not (no_stdin or app.stdin_is_terminal()) and not (tools and tools.results_stdin is not None):
        stdin_text = _read_stdin(app)
    opts = session.AskOptions(
        command=command,
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
        show_submitted(app, result)
    return None


def _tool_options(app, files, limit, yes, hand_back, results, code_interpreter, stores, mcp, allow):  # noqa: ANN001, ANN202, PLR0913
    """The tool flags, or None when none was given (the chain is then not involved, nor imported)."""
    if not (files or code_interpreter or stores or mcp or hand_back or results):
        if allow or limit != 5:
            from o4cli.core.errors import UsageError

            raise UsageError("--chain-limit and --mcp-allow go with --tool, --mcp or the other tool flags")
        return None
    from o4cli.core.tools.builtin import Builtins
    from o4cli.core.tools.chain import ToolOptions

    builtins = Builtins(code_interpreter, tuple(stores or ()), tuple(mcp or ()), tuple(allow or ()))
    results = tuple(results or ())
    piped = any(r.partition("=")[2] == "-" for r in results) and not app.stdin_is_terminal()
    return ToolOptions(
        files=tuple(files or ()), builtins=builtins, chain_limit=limit, yes=yes, hand_back=hand_back,
        results=results, results_stdin=_read_stdin(app) if piped else None,
    )  # fmt: skip


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
    _show_answer(app, r, pick, documents.chain)
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
    _show_answer(app, r, pick, documents.answer)
    if r.running:
        after_running(app, r)
    elif not app.quiet:
        view.summary(app.out, r)
    if r.error is not None:
        raise r.error


def _show_answer(app, r, pick: str | None, document) -> None:  # noqa: ANN001
    """The answer as asked: its ``--json`` document, ``-x``'s code blocks, or the answer."""
    from o4cli.render import answer as view

    if app.json:
        app.out.json(document(r))
    elif pick:
        _show_extract(app, r, every=pick == "all")
    else:
        view.result(app.out, r)


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


def show_submitted(app, s) -> None:  # noqa: ANN001
    """``--background``: the id (or its document); a Ctrl-C that came meanwhile exits 130 after."""
    from o4cli.core.documents import background as documents
    from o4cli.core.errors import Interrupted
    from o4cli.render import background as view

    app.out.json(documents.submitted(s)) if app.json else view.submitted(app.out, s)
    if s.interrupted:
        rid = s.response_id
        raise Interrupted(f"interrupted; {rid} was submitted and goes on running", hint=f"o4 wait {rid}")


def after_running(app, r) -> None:  # noqa: ANN001
    """A background call that goes on: after Ctrl-C on a terminal, ask whether to cancel it;
    otherwise (or when declined) say how to get its answer."""
    from o4cli.core.errors import Interrupted
    from o4cli.render import background as view

    interactive = app.stdin_is_terminal() and app.out.fancy_err
    if r.answer.status == "interrupted" and interactive and _confirm(app, r.running):
        from o4cli.core.background import jobs

        row = jobs.cancel(app, r.running)
        view.cancelled_note(app.out, row)
        r.error = Interrupted(f"interrupted; {r.running} was cancelled")
        return
    if not app.quiet:
        view.running(app.out, r)


def _confirm(app, rid: str) -> bool:  # noqa: ANN001
    """Ask on the terminal whether to cancel; anything but yes (or a second Ctrl-C) leaves it."""
    from o4cli.render import background as view

    try:
        view.ask_cancel(app.out, rid)
        reply = app.stdin.readline()
    except (KeyboardInterrupt, EOFError, OSError, ValueError):
        return False
    return reply.strip().lower() in ("y", "yes")
