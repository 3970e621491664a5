"""Answers: the finished answer, the 'thinking…' spinner, and the live view of a stream."""

from __future__ import annotations

import json
import os
from time import monotonic as _monotonic
from typing import Any

from o4cli.render import Out
from o4cli.render.text import safe, summary_line, usd


def print_answer(out: Out, text: str, *, markdown: bool = True) -> None:
    """The finished answer: rendered markdown on a terminal, the raw text when piped."""
    if markdown and out.fancy:
        from rich.markdown import Markdown

        out.console().print(Markdown(safe(text)))
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

    Piped (or ``--plain``): each text delta is written and flushed as it arrives.
    On a terminal: markdown rendered live. Finished blocks (up to a blank line outside a
    code fence) are printed once, above the live region, and only the open block is
    re-rendered, so the cost stays linear in the answer's length. A reasoning summary,
    when one streams in before the answer, is shown dimmed on stderr.
    """

    REFRESH = 0.1  # seconds between re-renders of the open block

    def __init__(self, out: Out, *, silent: bool = False) -> None:
        """``silent``: show nothing as it arrives (``--json`` prints the document at the end)."""
        self.o = out
        self.silent = silent
        self.out = out.stdout
        self.fancy = out.fancy and not silent
        self.show_summary = not out.quiet and out.fancy_err and not silent
        self.waiting = Waiting(out, self.show_summary or self.fancy)
        self.summarising = False
        self.live = None
        self.open = ""
        self._pos = 0
        self._in_fence = False
        self._has_content = False  # does the open block hold more than blank lines?
        self._last = 0.0
        self.wrote_text = False
        self.ends_with_newline = True
        self._fd: int | None = None
        if not self.fancy and not silent:
            try:
                self.out.flush()
                self._fd = self.out.fileno()
            except (AttributeError, OSError, ValueError):
                self._fd = None

    def summary(self, delta: str) -> None:
        if not self.show_summary or self.wrote_text:
            return
        self.waiting.stop()
        if not self.summarising:
            # dim from here until the answer starts (see _end_summary)
            self.o.stderr.write(("\x1b[2m" if self.o.colour_err else "") + "thinking: ")
            self.summarising = True
        self.o.stderr.write(safe(delta))
        self.o.stderr.flush()

    def _end_summary(self, gap: str) -> None:
        if self.summarising:
            self.o.stderr.write(("\x1b[0m" if self.o.colour_err else "") + gap)
            self.o.stderr.flush()
            self.summarising = False

    def text(self, delta: str) -> None:
        if not self.wrote_text:
            self.waiting.stop()
            self._end_summary("\n\n")
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
        self._feed(delta)

    def _feed(self, delta: str) -> None:
        if self.live is None:
            from rich.live import Live
            from rich.markdown import Markdown

            self._markdown = Markdown
            self.live = Live(
                console=self.o.console(self.out), auto_refresh=False, transient=True, vertical_overflow="crop"
            )
            self.live.start()
        Markdown = self._markdown  # noqa: N806 - imported once, on the first delta
        self.open += delta
        boundary = 0
        while True:
            nl = self.open.find("\n", self._pos)
            if nl < 0:
                break
            line = self.open[self._pos : nl].strip()
            if line.startswith(("```", "~~~")):
                self._in_fence = not self._in_fence
            elif not line and not self._in_fence and self._has_content:
                boundary = nl + 1
            self._has_content = self._has_content or bool(line)
            self._pos = nl + 1
        if boundary:
            finished, self.open = self.open[:boundary], self.open[boundary:]
            self._pos -= boundary
            self._has_content = bool(self.open[: self._pos].strip())
            self.live.update("", refresh=True)
            self.live.console.print(Markdown(finished))
        now = _monotonic()
        if now - self._last >= self.REFRESH:
            self._last = now
            self.live.update(Markdown(self.open), refresh=True)

    def close(self) -> None:
        """Print what is still open and leave the terminal tidy."""
        self.waiting.stop()
        self._end_summary("\n")
        if self.live is not None:
            from rich.markdown import Markdown

            self.live.update("", refresh=True)
            self.live.stop()
            if self.open.strip():
                self.o.console(self.out).print(Markdown(self.open))
            self.live = None
        elif self.wrote_text and not self.ends_with_newline and not self.silent:
            self.out.write("\n")  # piped too: the next answer in `>> file` starts on its own line
            self.out.flush()
