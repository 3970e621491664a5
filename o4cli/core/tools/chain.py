"""The tool chain: model turn -> calls -> outputs -> model turn, until an answer.

``prepare`` loads and checks everything before anything is sent (definitions, built-in
tools, ``--tool-result`` files) and adds the tools to the first request body. ``run``
sends turn after turn through the ask use case's own sending, pricing and recording
(each turn is one ledger row, grouped under the chain's id), runs the calls the model
asks for in the order given, after consent, and stops at an answer, at
``--chain-limit`` rounds of calls, or with ``--tool-calls`` at the first calls (handed
to the caller, nothing run). It never prints: the ``Observer`` shows steps and asks.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from o4cli.core import catalog
from o4cli.core.ask import request as req
from o4cli.core.cost import Usage
from o4cli.core.errors import Interrupted, O4Error, UsageError
from o4cli.core.files import read_capped
from o4cli.core.tools import builtin, calls, runner
from o4cli.core.tools.calls import Call
from o4cli.core.tools.definitions import Tool, load_files

DEFAULT_CHAIN_LIMIT = 5
MAX_RESULT_FILE = 10 * 1024 * 1024  # the API's cap on one function_call_output

REFUSED = "The user refused this tool call; it was not run."


@dataclass(frozen=True)
class ToolOptions:
    """The tool flags of ``ask``/``stream``."""

    files: tuple[str, ...] = ()  # --tool FILE
    builtins: builtin.Builtins = field(default_factory=builtin.Builtins)
    chain_limit: int = DEFAULT_CHAIN_LIMIT
    yes: bool = False
    hand_back: bool = False  # --tool-calls
    results: tuple[str, ...] = ()  # --tool-result CALL_ID=FILE|-
    results_stdin: str | None = None  # what '-' reads (stdin, read once by the command)

    def __bool__(self) -> bool:
        return bool(self.files or self.builtins or self.hand_back or self.results)


@dataclass
class Step:
    """One call and what became of it, with the model turn that asked for it."""

    turn: int
    call: Call
    status: str  # ok | error | refused | approved | denied | handed back | server
    output: str | None = None
    error: str | None = None
    seconds: float = 0.0
    size: int = 0
    cut: bool = False
    turn_usage: Usage = field(default_factory=Usage)
    turn_cost: Decimal | None = None


class Observer(Protocol):
    """Where the chain shows itself (the command's renderer)."""

    interactive: bool  # a person at a terminal can answer

    def confirm(self, call: Call) -> str:
        """Ask before a call: 'y' (yes), 'n' (no) or 'a' (all of this tool, this run)."""

    def step(self, step: Step) -> None:
        """A step as it happens (stderr)."""


@dataclass
class Toolset:
    """What ``prepare`` checked: local tools by name, the request's tool entries, and
    the input items that carry ``--tool-result`` outputs."""

    options: ToolOptions
    local: dict[str, Tool]
    entries: list[dict[str, Any]]
    result_items: list[dict[str, Any]]
    env: dict[str, str]


class ChainLimitReached(O4Error):
    """The model still asked for calls after --chain-limit rounds (exit 1)."""


def check(t: ToolOptions, api: str) -> None:
    """Refuse, before anything else, the tool flags that cannot work together."""
    if t.chain_limit < 1:
        raise UsageError("--chain-limit must be at least 1")
    if api == req.CHAT:
        if t.builtins:
            raise UsageError(
                "--code-interpreter, --file-search and --mcp are Responses API tools",
                hint="drop --api chat (or set the profile's api to responses)",
            )
        if t.results:
            raise UsageError(
                "--tool-result needs the Responses API: Chat Completions keeps no conversation to continue",
                hint="drop --api chat (or set the profile's api to responses)",
            )
    if t.hand_back and t.yes:
        raise UsageError("--tool-calls runs nothing; --yes has nothing to allow")


def prepare(t: ToolOptions, opts: req.Options, body: dict[str, Any], env: Mapping[str, str]) -> Toolset:
    """Load and check the tools, read the results; the first body gets its tools."""
    if "tools" in opts.extra:
        raise UsageError("--param tools: o4 sets 'tools' itself from --tool, --code-interpreter, --file-search, --mcp")
    if "parallel_tool_calls" in opts.extra:
        raise UsageError("--param parallel_tool_calls: o4-mini rejects it, even when false; o4 never sends it")
    local = {tool.name: tool for tool in load_files(list(t.files))}
    model = catalog.find(opts.model)
    if local and model is not None and model.features.get("function_calling") is False:
        raise UsageError(f"--tool: {model.id} does not support function calling")
    if opts.api == req.CHAT:
        entries = [tool.chat_tool() for tool in local.values()]
    else:
        entries = [tool.responses_tool() for tool in local.values()] + builtin.tools(t.builtins, env)
    if opts.api == req.RESPONSES and body.get("store") is False:
        raise UsageError(
            "tool chains continue through previous_response_id, which needs the response stored",
            hint="drop --param store=false",
        )
    secrets = builtin.secret_variables(t.builtins)
    ts = Toolset(t, local, entries, _read_results(t), runner.child_env(env, secrets))
    if entries:
        body["tools"] = entries
    if ts.result_items:
        text = body.get("input")
        items: list[Any] = list(ts.result_items)
        if isinstance(text, str) and text:
            items.append({"role": "user", "content": text})
        elif isinstance(text, list):
            items.extend(text)
        body["input"] = items
    return ts


def _read_results(t: ToolOptions) -> list[dict[str, Any]]:
    if sum(1 for i in t.results if i.partition("=")[2] == "-") > 1:
        raise UsageError("--tool-result: only one result can come from stdin (-)")
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    for item in t.results:
        call_id, sep, source = item.partition("=")
        call_id = call_id.strip()
        if not sep or not call_id or not source:
            raise UsageError(f"--tool-result {item!r}: expected CALL_ID=FILE or CALL_ID=-")
        if call_id in seen:
            raise UsageError(f"--tool-result {call_id}: given twice")
        seen.add(call_id)
        if source == "-":
            if t.results_stdin is None:
                raise UsageError(f"--tool-result {call_id}=-: stdin is a terminal, not a result")
            text = t.results_stdin
        else:
            data = read_capped(f"--tool-result {call_id}={source}", Path(source), MAX_RESULT_FILE, "over 10 MB")
            text = data.decode("utf-8-sig", errors="replace")
        items.append({"type": "function_call_output", "call_id": call_id, "output": runner.cap(text)[0]})
    return items


# ------------------------------------------------------------------ the loop


@dataclass
class Chain:
    """What a chain did: every turn's result (an ``AskResult``), every step, and the calls
    handed back (``--tool-calls``) or None."""

    chain_id: str
    results: list[Any] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    handed_back: list[Call] | None = None

    @property
    def last(self) -> Any:
        return self.results[-1]

    @property
    def turns(self) -> int:
        return len(self.results)


def run(
    ts: Toolset,
    first_body: dict[str, Any],
    opts: req.Options,
    send: Callable[[dict[str, Any], dict[str, Any]], Any],
    observer: Observer,
) -> Chain:
    """Turn after turn until an answer; ``send(body, ledger_extra)`` is one priced,
    recorded model turn (an ``AskResult``)."""
    t = ts.options
    chain = Chain("chain_" + uuid.uuid4().hex[:16])
    allowed: set[str] = set()  # labels the person said 'a' (all) to
    body = first_body
    rounds = 0
    while True:
        turn = chain.turns + 1
        result = send(body, {"chain_id": chain.chain_id, "turn": turn})
        chain.results.append(result)
        if result.error is not None:
            return chain
        turn_calls = calls.from_answer(result.answer, opts.api)
        for c in turn_calls:
            if not c.local:  # already run on OpenAI's side
                _add(chain, observer, result, Step(turn, c, "error" if c.error else "server", c.output, c.error))
        pending = [c for c in turn_calls if c.local]
        if not pending:
            return chain
        if t.hand_back and any(c.kind == "function" for c in pending):
            for c in pending:
                _add(chain, None, result, Step(turn, c, "handed back"))
            chain.handed_back = pending
            return chain
        if rounds >= t.chain_limit:
            names = ", ".join(dict.fromkeys(c.label for c in pending))
            result.error = ChainLimitReached(
                f"the chain stopped at --chain-limit {t.chain_limit}: after {rounds} rounds of tool calls the "
                f"model asked for {len(pending)} more ({names}); they were not run",
                hint="raise --chain-limit, or ask for less",
            )
            return chain
        rounds += 1
        outputs = []
        for c in pending:
            step = _add(chain, observer, result, _execute(ts, c, turn, observer, allowed))
            outputs.append(_output_item(opts.api, c, step))
        body = _next_body(opts, first_body, body, result, outputs)


def _add(chain: Chain, observer: Observer | None, result: Any, step: Step) -> Step:
    """Record a step with the tokens and cost of the turn that asked for it, and show it."""
    step.turn_usage, step.turn_cost = result.usage, result.cost_usd
    chain.steps.append(step)
    if observer is not None:
        observer.step(step)
    return step


def _execute(ts: Toolset, c: Call, turn: int, observer: Observer, allowed: set[str]) -> Step:
    """Consent, then run (or refuse) one call."""
    t = ts.options
    if c.kind == "mcp_approval":
        ok = _consent(c, observer, allowed, yes=t.yes, safe=False)
        return Step(turn, c, "approved" if ok else "denied", error=None if ok else _why_refused(observer))
    tool = ts.local.get(c.name)
    if tool is None:
        known = ", ".join(ts.local) or "none"
        return Step(turn, c, "error", error=f"there is no tool named {c.name!r} (tools: {known})")
    if c.arguments_error:
        return Step(turn, c, "error", error=c.arguments_error)
    if not _consent(c, observer, allowed, yes=t.yes, safe=tool.safe):
        return Step(turn, c, "refused", error=_why_refused(observer))
    try:
        out = runner.run(tool, c.arguments or {}, ts.env)
    except KeyboardInterrupt:
        raise Interrupted(f"interrupted while the tool {c.name!r} ran; the turns so far are recorded") from None
    return Step(turn, c, "error" if out.error else "ok", out.output, out.error, out.seconds, out.size, out.cut)


def _why_refused(observer: Observer) -> str:
    if observer.interactive:
        return "refused at the prompt"
    return "refused: no terminal to ask (pass --yes, or mark the tool safe = true)"


def _consent(c: Call, observer: Observer, allowed: set[str], *, yes: bool, safe: bool) -> bool:
    if yes or safe or c.label in allowed:
        return True
    if not observer.interactive:
        return False
    try:
        answer = observer.confirm(c)
    except (KeyboardInterrupt, EOFError):
        raise Interrupted("interrupted at the tool prompt; the turns so far are recorded") from None
    if answer == "a":
        allowed.add(c.label)
    return answer in ("y", "a")


def _output_item(api: str, c: Call, step: Step) -> dict[str, Any]:
    if c.kind == "mcp_approval":
        return calls.approval(c, step.status == "approved")
    if step.status == "refused":
        text = REFUSED
    elif step.error:
        text = f"Error: {step.error}" + (f"\nOutput:\n{step.output}" if step.output else "")
    else:
        text = step.output or ""
    return calls.chat_output(c, text) if api == req.CHAT else calls.responses_output(c, text)


def _next_body(
    opts: req.Options, first: dict[str, Any], body: dict[str, Any], result: Any, outputs: list[dict[str, Any]]
) -> dict[str, Any]:
    if opts.api == req.CHAT:
        messages = [*body["messages"], calls.chat_assistant(result.answer), *outputs]
        return {**body, "messages": messages}
    # previous_response_id carries the conversation (reasoning items included) but not the
    # instructions, nor the tools: both go again.
    nxt = {k: v for k, v in first.items() if k != "input"}
    nxt["previous_response_id"] = result.answer.response_id
    nxt["input"] = outputs
    return nxt
