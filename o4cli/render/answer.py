"""Answers: the finished answer, the 'thinking…' spinner, and the live view of a stream."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from time import monotonic as _monotonic
from typing import IO, TYPE_CHECKING, Any

from o4cli.render import Out
from o4cli.render.text import safe, summary_line, usd

if TYPE_CHECKING:
    from o4cli.render.live import LiveMarkdown


def print_answer(out: Out, text: str, *, markdown: bool = True) -> None:
    """The finished answer: rendered markdown on a terminal, the raw text when piped."""
    if markdown and out.fancy:
        from o4cli.render.markdown import Markdown

        out.console().print(Markdown(safe(text)), crop=False)  # (long code lines wrap in the terminal)
        return
    # The answer goes out byte for byte, plus a final newline when it has none: answers
    # appended to one file (`>> out`) or printed by `xargs` one after another stay apart.
    out.write(text + ("\n" if text and not text.endswith("\n") else ""))


def result(out: Out, r: Any) -> None:
    """A finished call's answer on stdout (a streamed one is already there); a schema
    answer as JSON, indented on a terminal."""
    if r.answer.streamed or not r.answer.text:
        return
    text = r.answer.text
    if r.schema and r.answer.status == "completed":
        try:
            text = json.dumps(json.loads(text), indent=2 if out.fancy else None, ensure_ascii=False)
        except ValueError:
            pass
    print_answer(out, text, markdown=not r.schema)


def summary(out: Out, r: Any) -> None:
    """The summary line on stderr."""
    out.note(summary_line(r.request.model, r.usage, r.cost_usd, r.seconds, pricing=r.pricing, estimated=r.estimated))


def dry_run(out: Out, dry: Any) -> None:
    """The request body on stdout, what o4 knows before sending on stderr."""
    out.json(dry.body)
    if not out.quiet:
        p = dry.plan
        out.note(
            f"dry run: POST {dry.url} · input {p.input.label} · "
            + (f"up to {p.max_output:,} output tokens · " if p.max_output is not None else "output budget unknown · ")
            + (f"worst case {usd(p.worst_cost)} {p.pricing}" if p.worst_cost is not None else "worst case unknown")
            + " · nothing sent"
        )


class Waiting:
    """A 'thinking…' spinner on a terminal's stderr while the model reasons."""

    def __init__(self, out: Out, enabled: bool) -> None:
        self.status = None
        if enabled:
            from rich.status import Status

            self.status = Status("thinking…", console=out.console(out.stderr), spinner="dots")
            self.status.start()

    def stop(self) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None

    # the Display of a call that is not streamed: nothing to show until it ends
    def text(self, delta: str) -> None:
        pass

    def summary(self, delta: str) -> None:
        pass

    close = stop


class StreamView:
    """Shows a streamed answer as it is written.

    Piped (or ``--plain``): each text delta is written and flushed as it arrives, byte for
    byte. On a terminal: markdown rendered live (``render.live.LiveMarkdown``): what is
    finished goes to the scrollback once, only the last few lines are redrawn, so the cost
    stays linear in the answer's length whatever its shape. A reasoning summary, when one
    streams in before the answer, is rendered the same way, dimmed, on stderr.

    ``clock``: the time renders are paced by (tests pass their own).
    """

    def __init__(self, out: Out, *, silent: bool = False, clock: Callable[[], float] = _monotonic) -> None:
        """``silent``: show nothing as it arrives (``--json`` prints the document at the end)."""
        self.o = out
        self.silent = silent
        self.clock = clock
        self.out = out.stdout
        self.fancy = out.fancy and not silent
        self.show_summary = not out.quiet and out.fancy_err and not silent
        self.waiting = Waiting(out, self.show_summary or self.fancy)
        self.answer: LiveMarkdown | None = None
        self.thinking: LiveMarkdown | None = None
        self.wrote_text = False
        self.ends_with_newline = True
        self._fd: int | None = None
        if not self.fancy and not silent:
            try:
                self.out.flush()
                self._fd = self.out.fileno()
            except (AttributeError, OSError, ValueError):
                self._fd = None

    def _live(self, stream: IO[str], **kw: Any) -> LiveMarkdown:
        from o4cli.render.live import LiveMarkdown

        return LiveMarkdown(stream, self.o.console(stream), clock=self.clock, **kw)

    def summary(self, delta: str) -> None:
        if not self.show_summary or self.wrote_text:
            return
        if self.thinking is None:
            self.waiting.stop()
            self.thinking = self._live(self.o.stderr, style="dim")
            self.thinking.feed("thinking: ")
        self.thinking.feed(safe(delta))

    def _end_summary(self, gap: str) -> None:
        if self.thinking is not None:
            self.thinking.close()
            self.thinking = None
            self.o.stderr.write(gap)
            self.o.stderr.flush()

    def text(self, delta: str) -> None:
        if not self.wrote_text:
            self.waiting.stop()
            self._end_summary("\n")
            self.wrote_text = True
        if self.silent:
            return
        if self.o.stdout_tty:
            delta = safe(delta)  # --plain on a terminal, or the markdown view: never escape codes
        if not self.fancy:
            if delta:  # before writing: a Ctrl-C mid-write must still get its final newline
                self.ends_with_newline = delta.endswith("\n")
            if self._fd is not None:
                data = delta.encode()
                while data:  # straight to the file descriptor: one syscall, already flushed
                    data = data[os.write(self._fd, data) :]
            else:
                self.out.write(delta)
                self.out.flush()
            return
        if self.answer is None:
            self.answer = self._live(self.out)
        self.answer.feed(delta)

    def close(self) -> None:
        """Print what is still open and leave the terminal tidy."""
        self.waiting.stop()
        self._end_summary("")
        if self.answer is not None:
            self.answer.close()
            self.answer = None
        elif self.wrote_text and not self.ends_with_newline and not self.silent:
            self.out.write("\n")  # piped too: the next answer in `>> file` starts on its own line
            self.out.flush()
