"""``o4 logs``: the history of prompts and answers (list, show, search, rm, clear)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from o4cli.cli.options import command, context

app = typer.Typer(
    help="The history of prompts and answers, kept locally (turn it off: --no-log, log = false, O4_NO_LOG=1).",
    no_args_is_help=True,
    rich_markup_mode=None,
)

LimitOpt = Annotated[int, typer.Option("--limit", "-n", metavar="N", help="At most N, newest first (0: all).")]
SinceOpt = Annotated[
    Optional[str],
    typer.Option("--since", metavar="7d|24h|YYYY-MM-DD", help="Only turns since then.", show_default=False),
]
ModelFilterOpt = Annotated[
    Optional[str], typer.Option("--model", "-m", metavar="MODEL", help="Only this model's turns.", show_default=False)
]
CidFilterOpt = Annotated[
    Optional[str], typer.Option("--cid", metavar="ID", help="Only this conversation's turns.", show_default=False)
]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask (needed when stdin is not a terminal).")]


def _history(app):  # noqa: ANN001, ANN202
    from o4cli.core.history import History

    return History(app.ledger)


def _filters(app, since: str | None):  # noqa: ANN001, ANN202
    from o4cli.core.usage_report import since_to_iso

    return {"since": since_to_iso(since), "profile": app.profile}


@command(app, "list")
def list_(
    ctx: typer.Context,
    limit: LimitOpt = 20,
    since: SinceOpt = None,
    model: ModelFilterOpt = None,
    cid: CidFilterOpt = None,
    conversations: Annotated[
        bool, typer.Option("--conversations", help="One line per conversation, with its turns and cost.")
    ] = False,
) -> None:
    """The turns, newest first (with -p NAME, that profile's only)."""
    from o4cli.core.documents import history as documents
    from o4cli.render import history as view

    app = context(ctx)
    hist = _history(app)
    if conversations:
        convs = hist.conversations(limit=limit or None, **_filters(app, since))
        if app.json:
            app.out.json([documents.conversation(c) for c in convs])
        elif convs:
            view.conversations(app.out, convs)
        else:
            app.notice("no conversations in the history")
        return
    turns = hist.find(limit=limit or None, model=model, conversation=cid, **_filters(app, since))
    _print_turns(app, turns, "no turns in the history" + (" that match" if (since or model or cid) else ""))


def _print_turns(app, turns, empty: str) -> None:  # noqa: ANN001
    from o4cli.core.documents import history as documents
    from o4cli.render import history as view

    if app.json:
        app.out.json([documents.turn(t) for t in turns])
    elif turns:
        view.turns(app.out, turns)
    else:
        app.notice(empty)


@command(app)
def show(
    ctx: typer.Context,
    turn_id: Annotated[
        Optional[int], typer.Argument(metavar="[ID]", help="A turn's number (default: the newest).", show_default=False)
    ] = None,
    last: Annotated[bool, typer.Option("--last", help="The newest turn (the default).")] = False,
) -> None:
    """One turn in full: instructions, prompt, reasoning summary, answer, model and cost."""
    from o4cli.core.documents import history as documents
    from o4cli.core.errors import UsageError
    from o4cli.render import history as view

    app = context(ctx)
    if turn_id is not None and last:
        raise UsageError("give an ID or --last, not both")
    hist = _history(app)
    turn = hist.get(turn_id) if turn_id is not None else hist.last(app.profile)
    if turn is None:
        raise UsageError(
            f"no turn {turn_id} in the history" if turn_id is not None else "the history is empty",
            hint="`o4 logs list` shows the turns kept",
        )
    app.out.json(documents.turn(turn)) if app.json else view.turn(app.out, turn)


@command(app)
def search(
    ctx: typer.Context,
    words: Annotated[list[str], typer.Argument(metavar="WORDS...", help="Words every turn shown contains.")],
    limit: LimitOpt = 20,
    since: SinceOpt = None,
    model: ModelFilterOpt = None,
) -> None:
    """Turns whose prompt, instructions or answer hold every word (SQLite FTS5), newest first."""
    app = context(ctx)
    hist = _history(app)
    text = " ".join(words)
    if not hist.full_text:
        app.notice("note: this Python's SQLite has no FTS5: searching for the text as one phrase, more slowly")
    turns = hist.find(limit=limit or None, model=model, text=text, **_filters(app, since))
    _print_turns(app, turns, f"no turn holds {text!r}")


@command(app)
def rm(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(metavar="ID|CONVERSATION", help="A turn's number, or a conversation id.")],
) -> None:
    """Erase one turn, or every turn of a conversation (the ledger keeps their tokens and cost)."""
    from o4cli.core.documents import history as documents
    from o4cli.core.errors import UsageError

    app = context(ctx)
    count = _history(app).remove(key)
    if not count:
        raise UsageError(f"no turn or conversation {key!r} in the history", hint="`o4 logs list` shows them")
    what = f"turn {key}" if key.isdigit() else f"conversation {key}"
    if app.json:
        app.out.json(documents.removed(count, what))
    else:
        app.notice(f"erased {what} ({count} turn{'s' if count != 1 else ''})")


@command(app)
def clear(ctx: typer.Context, yes: YesOpt = False) -> None:
    """Erase the whole history (every profile's). Asks first on a terminal; --yes otherwise."""
    from o4cli.core.documents import history as documents
    from o4cli.core.errors import UsageError

    app = context(ctx)
    hist = _history(app)
    count = len(hist.find())
    if not yes:
        if not app.stdin_is_terminal():
            raise UsageError("o4 logs clear erases the whole history: add --yes to confirm")
        app.stderr.write(f"erase all {count} turns of the history in {app.ledger.path}? [y/N] ")
        app.stderr.flush()
        if app.stdin.readline().strip().lower() not in ("y", "yes"):
            app.notice("nothing erased")
            return
    count = hist.clear()
    if app.json:
        app.out.json(documents.removed(count, "history"))
    else:
        app.notice(f"erased the history ({count} turn{'s' if count != 1 else ''}); the ledger keeps tokens and costs")
