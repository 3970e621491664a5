"""A tool chain as a person sees it: one stderr line per step, the consent prompt, and
the summary line with the chain's turns and steps."""

from __future__ import annotations

import json
from typing import IO, Any

from o4cli.render import Out
from o4cli.render.text import SEP, safe, summary_line

ARGS_SHOWN = 80  # characters of a call's arguments on its step line
ARGS_ASKED = 2000  # characters of a call's arguments in the consent prompt


def short_args(call: Any, limit: int = ARGS_SHOWN) -> str:
    """A call's arguments on one line, made harmless and cut to ``limit``."""
    if call.arguments is not None:
        text = json.dumps(call.arguments, ensure_ascii=False, separators=(",", ":"))
    else:
        text = call.arguments_text
    text = safe(" ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    return f"{n / 1024:.1f} KB" if n < 1024 * 1024 else f"{n / 2**20:.1f} MB"


def _kind(call: Any) -> str:
    return {"function": "tool", "mcp_approval": "mcp"}.get(call.kind, call.kind.replace("_", " "))


def step_line(step: Any) -> str:
    """``tool weather {"city":"Paris"} · ok · 0.04 s · 24 B``"""
    c = step.call
    kind = _kind(c)
    head = kind if c.label == c.kind else f"{kind} {safe(c.label)}"  # "code interpreter", "tool weather"
    parts = [f"{head} {short_args(c)}"]
    if step.status == "ok":
        parts += ["ok", f"{step.seconds:.2f} s", size(step.size) + (" (cut)" if step.cut else "")]
    elif step.status == "server":
        parts += ["ok (run by OpenAI)"] + ([size(len(step.output.encode()))] if step.output else [])
    elif step.status == "error":
        parts.append(f"failed: {safe(_first_line(step.error or ''))}")
        if step.seconds:
            parts.append(f"{step.seconds:.2f} s")
    else:
        parts += [safe(step.status) + (f": {safe(step.error)}" if step.error else "")]
    return SEP.join(parts)


def _first_line(text: str, limit: int = 160) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


class ToolView:
    """The chain's ``Observer``: step lines on stderr (unless -q), and y/n/a on a terminal."""

    def __init__(self, out: Out, stdin: IO[str], *, interactive: bool) -> None:
        self.out, self.stdin, self.interactive = out, stdin, interactive

    def step(self, step: Any) -> None:
        if not self.out.quiet:
            self.out.note("o4: " + step_line(step))

    def confirm(self, call: Any) -> str:
        err = self.out.stderr
        what = "MCP tool" if call.kind == "mcp_approval" else "tool"
        err.write(f"o4: the model wants to run the {what} {safe(call.label)} with {short_args(call, ARGS_ASKED)}\n")
        while True:
            err.write(f"o4: run it? [y]es, [n]o, [a]ll {safe(call.label)} calls this run: ")
            err.flush()
            line = self.stdin.readline()
            if not line:
                err.write("\n")
                return "n"
            answer = line.strip().lower()[:1]
            if answer in ("y", "n", "a"):
                return answer


def summary(out: Out, r: Any) -> None:
    """The summary line of the whole chain: its tokens, cost and time, turns and steps."""
    line = summary_line(r.request.model, r.usage, r.cost_usd, r.seconds, pricing=r.pricing, estimated=r.estimated)
    turns = f"{r.turns} turn" + ("" if r.turns == 1 else "s")
    steps = f"{len(r.steps)} tool step" + ("" if len(r.steps) == 1 else "s")
    out.note(line + SEP + turns + SEP + steps)
