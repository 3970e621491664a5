"""``o4 chat``: one conversation, a turn at a time, with slash commands between turns.

The session holds the conversation in memory (so it works with the history off too), sends
each turn through the same use case as ``o4 stream`` (checked, streamed, priced, in the
ledger and the history), and adds up what it cost. It never reads or prints: the command
feeds it lines and shows what it returns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from o4cli.core.ask import conversation as convo
from o4cli.core.errors import Interrupted, O4Error, UsageError
from o4cli.core.runtime import Runtime
from o4cli.core.templates import EFFORTS  # what /save may write into a template

HELP = (
    "/model NAME · /effort low|medium|high · /system TEXT (/system alone: none) · /cost · "
    "/save NAME (as a template) · /exit (or Ctrl-D) · a line ending in \\ continues on the next; "
    '""" starts and ends a block of lines'
)


@dataclass
class Reply:
    """What a line led to: a turn's result, a message to show, or the end of the session."""

    result: Any = None  # an AskResult
    message: str | None = None
    error: O4Error | None = None
    cancelled: bool = False
    done: bool = False


@dataclass
class ChatSession:
    rt: Runtime
    conversation: convo.Continuation
    log: bool = True
    total: Decimal = Decimal(0)
    unpriced: int = 0
    turns: int = 0
    params: tuple[str, ...] = ()
    save_template: Callable[[str, dict[str, Any]], str] | None = None

    @property
    def model(self) -> str:
        return self.conversation.model or self.rt.settings.model

    @property
    def effort(self) -> str:
        return self.conversation.effort or self.rt.settings.effort

    def line(self, text: str, display: Callable[[bool], Any]) -> Reply:
        """One line from the user: a slash command, or a turn."""
        stripped = text.strip()
        if not stripped:
            return Reply()
        if stripped.startswith("/"):
            return self.command(stripped)
        return self.turn(text, display)

    def command(self, text: str) -> Reply:
        name, _, arg = text.partition(" ")
        arg = arg.strip()
        c = self.conversation
        if name in ("/exit", "/quit"):
            return Reply(done=True)
        if name == "/help":
            return Reply(message=HELP)
        if name == "/model":
            if not arg:
                return Reply(message=f"model: {self.model}")
            from o4cli.core import catalog

            c.model = arg
            if catalog.find(arg) is None:
                return Reply(message=f"model: {arg} (not in o4's catalog: no price and no checks for it)")
            return Reply(message=f"model: {arg}")
        if name == "/effort":
            if arg not in EFFORTS:
                return Reply(error=UsageError(f"/effort takes {', '.join(EFFORTS)} (now {self.effort})"))
            c.effort = arg
            return Reply(message=f"effort: {arg}")
        if name == "/system":
            c.system = arg or None
            return Reply(message=f"instructions: {arg}" if arg else "instructions: none")
        if name == "/cost":
            return Reply(message=self.cost_line())
        if name == "/save":
            if not arg or self.save_template is None:
                return Reply(error=UsageError("/save NAME: the template's name"))
            values = {"system": c.system, "model": self.model, "effort": self.effort}
            try:
                return Reply(message=self.save_template(arg, values))
            except O4Error as exc:
                return Reply(error=exc)
        return Reply(error=UsageError(f"unknown command {name}; {HELP}"))

    def turn(self, text: str, display: Callable[[bool], Any]) -> Reply:
        from o4cli.core.ask import session

        c = self.conversation
        if c.model is None:
            c.model = self.rt.settings.model
        if c.effort is None:
            c.effort = self.rt.settings.effort
        opts = session.AskOptions(command="chat", words=(text,), params=self.params, log=self.log, conversation=c)
        try:
            r = session.run(self.rt, opts, display)
        except Interrupted:
            return Reply(cancelled=True)  # before anything arrived: nothing billed that o4 knows of
        except O4Error as exc:
            return Reply(error=exc)
        self.turns += 1
        if r.cost_usd is None:
            self.unpriced += 1
        else:
            self.total += r.cost_usd
        convo.advance(c, r, prompt=text, system=c.system)
        return Reply(result=r, cancelled=r.status == "interrupted")

    def cost_line(self) -> str:
        from o4cli.core.cost import format_usd

        extra = f" (+{self.unpriced} without a price)" if self.unpriced else ""
        turns = f"{self.turns} turn{'s' if self.turns != 1 else ''}"
        return f"{turns} · {format_usd(self.total)}{extra} · conversation {self.conversation.conversation}"


def read_turn(read: Callable[[str], str], first: str) -> str:
    """A turn's text from ``first`` and, when it asks for more, further lines from ``read``:
    a trailing backslash continues on the next line; a line of three quotes starts a block
    that ends at the next such line."""
    if first.strip() == '"""':
        lines: list[str] = []
        while True:
            nxt = read("... ")
            if nxt.strip() == '"""':
                return "\n".join(lines)
            lines.append(nxt)
    text = first
    while text.endswith("\\"):
        text = text[:-1] + "\n" + read("... ")
    return text
