"""``o4 chat``: an interactive conversation on a terminal; one turn per stdin line otherwise."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from o4cli.cli.options import EffortOpt, ModelOpt, NoLogOpt, SystemOpt, command, context, model_flags

CHAT_HELP = """Talk with the model, a turn at a time, in one conversation.

On a terminal: line editing, each answer streamed and priced, /help for the commands
(/model, /effort, /system, /cost, /save NAME, /exit); Ctrl-C cancels the running turn,
Ctrl-D leaves. Not a terminal: each line of stdin is a turn. Every turn is in the
ledger and (unless --no-log) the history; -c or --cid picks a conversation up again."""


def chat(
    ctx: typer.Context,
    model: ModelOpt = None,
    effort: EffortOpt = None,
    system: SystemOpt = None,
    cont: Annotated[
        bool, typer.Option("--continue", "-c", help="Go on with the profile's latest conversation.")
    ] = False,
    cid: Annotated[
        Optional[str], typer.Option("--cid", metavar="ID", help="Go on with this conversation.", show_default=False)
    ] = None,
    param: Annotated[
        Optional[list[str]],
        typer.Option("--param", metavar="KEY=VALUE", help="A request-body field for every turn.", show_default=False),
    ] = None,
    no_log: NoLogOpt = False,
) -> None:
    from o4cli.core import chat as chat_mod
    from o4cli.core import templates
    from o4cli.core.ask import conversation as convo
    from o4cli.core.history import History

    app = context(ctx, flags=model_flags(model, effort))
    if app.json:
        from o4cli.core.errors import UsageError

        raise UsageError("o4 chat prints no JSON document", hint="o4 ask --json (with -c or --cid) gives one a turn")
    logging = not no_log and app.settings.log
    history = History(app.ledger) if (cont or cid) else None
    conv = convo.start(app, cont=cont, cid=cid, logging=logging, history=history)
    if model:
        conv.model = model
    if effort:
        conv.effort = effort.value
    if system is not None:
        conv.system = system

    def save(name: str, values: dict) -> str:
        path = templates.save(app.env, name, values, force=True)
        return f"saved template '{name}' ({path})"

    session = chat_mod.ChatSession(app, conv, log=logging, params=tuple(param or ()), save_template=save)
    interactive = app.stdin_is_terminal()
    if interactive:
        import readline  # noqa: F401 - line editing and this session's history for input()

        def read(prompt: str = "") -> str:
            if app.out.stdout_tty:
                return input(prompt)  # readline draws the prompt (and redraws it while editing)
            app.stderr.write(prompt)  # stdout is a file: only answers go there
            app.stderr.flush()
            return input()

        if not app.quiet:
            app.out.note(
                f"o4 chat · {session.model} ({session.effort}) · conversation {conv.conversation}"
                f"{f' ({len(conv.turns)} earlier turns)' if conv.turns else ''} · /help · Ctrl-D leaves"
            )
    else:

        def read(prompt: str = "") -> str:
            line = app.stdin.readline()
            if not line:
                raise EOFError
            return line.rstrip("\n")

    try:
        _loop(app, session, read, interactive)
    finally:
        if not app.quiet and session.turns:
            app.out.note("chat: " + session.cost_line())


def _loop(app, session, read, interactive: bool) -> None:  # noqa: ANN001
    from o4cli.core import chat as chat_mod
    from o4cli.render import answer as view
    from o4cli.render.answer import StreamView

    while True:
        try:
            text = chat_mod.read_turn(read, read("> " if interactive else ""))
        except EOFError:
            if interactive:
                app.stderr.write("\n")
            return
        except KeyboardInterrupt:
            app.stderr.write("^C\n")  # at the prompt: a new prompt, as a shell does
            continue
        try:
            reply = session.line(text, lambda streaming: StreamView(app.out))
        except KeyboardInterrupt:
            reply = chat_mod.Reply(cancelled=True)
        if reply.done:
            return
        if reply.message:
            app.notice(reply.message)
        if reply.result is not None and not app.quiet:
            view.summary(app.out, reply.result)
        if reply.cancelled:
            app.notice("cancelled; the conversation goes on (Ctrl-D leaves)")
        error = reply.error or (reply.result.error if reply.result is not None and not reply.cancelled else None)
        if error is not None:
            if not interactive:
                raise error  # a script's turn failed: stop with its exit code
            app.out.error(error)


def register(app: typer.Typer) -> None:
    command(app, "chat", help=CHAT_HELP)(chat)
