"""``o4 ask`` and ``o4 stream``: from the options to a recorded, priced answer.

``run`` checks everything before sending (prompt, model rules, context window, budget),
sends with the fallbacks the API's refusals allow (no streaming, no reasoning summary,
no flex), prices the answer at the tier the API says it used, writes the ledger row, and
returns an ``AskResult`` (or a ``DryRun``). It never prints: deltas go to the ``Display``
the command hands in, notices to the runtime.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from o4cli.core import catalog, lifecycle, telemetry
from o4cli.core.ask import conversation as convo
from o4cli.core.ask import outcome
from o4cli.core.ask import prompt as prompt_mod
from o4cli.core.ask import request as req
from o4cli.core.ask import schema as schema_mod
from o4cli.core.ask.answer import Answer
from o4cli.core.budget import reserve as reserve_budget
from o4cli.core.cost import Usage, format_usd, parse_usd, worst_case
from o4cli.core.errors import ApiError, BudgetError, Interrupted, NetworkError, O4Error, RateLimitError, UsageError
from o4cli.core.history import History, image_record
from o4cli.core.ledger import record
from o4cli.core.runtime import Runtime
from o4cli.core.tokens import count_text

if TYPE_CHECKING:
    from o4cli.core.background.submit import Submitted
    from o4cli.core.tools.chain import Observer, Step, ToolOptions


class Display(Protocol):
    """Where an answer shows while it arrives (a spinner, a live stream, nothing)."""

    def text(self, delta: str) -> None: ...
    def summary(self, delta: str) -> None: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class AskOptions:
    """Everything ``ask``/``stream`` was given (the model, effort and api are in settings)."""

    command: str = "ask"  # or "stream"
    words: tuple[str, ...] = ()
    stdin_text: str | None = None
    files: tuple[str, ...] = ()
    images: tuple[str, ...] = ()
    system: str | None = None
    detail: str = "auto"
    max_output: int | None = None
    schema: str | None = None
    flex: bool = False
    flex_fallback: bool = False
    cont: bool = False
    cid: str | None = None
    params: tuple[str, ...] = ()  # --param KEY=VALUE
    max_cost: str | None = None
    dry_run: bool = False
    background: bool = False  # --background: send it to run on the server, keep and return its id
    resumable: bool | None = None  # stream --resumable / --no-resumable; None: the profile's
    tools: ToolOptions | None = None  # --tool, --code-interpreter, --mcp, --tool-calls ... (core/tools)
    log: bool = True  # keep the prompt and answer in the history (--no-log: False)
    conversation: convo.Continuation | None = None  # given by `o4 chat` (else -c/--cid decide)

    @property
    def streaming(self) -> bool:
        return self.command in ("stream", "chat")


@dataclass(frozen=True)
class DryRun:
    body: dict[str, Any]
    url: str
    plan: req.Plan
    api: str


@dataclass
class AskResult:
    """A call that was sent, however it ended (``error`` is raised after it is shown)."""

    answer: Answer
    request: req.Options
    usage: Usage
    estimated: bool
    pricing: str
    cost_usd: Decimal | None
    seconds: float
    schema: bool
    error: O4Error | None = None
    running: str | None = None  # a background call that goes on (cut or interrupted): `o4 wait` it
    ledger_id: int | None = None  # the ledger row
    conversation: str | None = None  # the history's conversation id (None: not kept)
    turn_id: int | None = None  # the history row
    status: str = "ok"  # as the ledger row says: ok | incomplete | failed | cut | interrupted | …

    @property
    def model(self) -> str:
        return self.answer.model or self.request.model


@dataclass
class ChainResult(AskResult):
    """A tool chain: the last turn's answer, the whole chain's usage, cost and time."""

    chain_id: str = ""
    turns: int = 0
    steps: list[Step] = field(default_factory=list)
    handed_back: list[Any] | None = None  # --tool-calls: the calls the model asked for


def run(
    rt: Runtime, o: AskOptions, display: Callable[[bool], Display], observer: Observer | None = None
) -> AskResult | DryRun | Submitted:
    """Check, send (unless a dry run), price, record; ``display(streaming)`` makes the view.
    ``--background`` returns what was submitted; a resumable stream is a background call
    streamed, resumed after cuts, and settled like one. With tools, ``observer`` shows the
    chain's steps and asks before each call."""
    settings = rt.settings
    if o.tools:
        from o4cli.core.tools import chain

        chain.check(o.tools, settings.api)
    budget = parse_usd(o.max_cost) if o.max_cost is not None else None
    if o.flex_fallback and not o.flex:
        raise UsageError("--flex-fallback goes with --flex")
    resumable = _resumable(o, settings.resumable, settings.api)
    if o.tools and (o.background or resumable):
        if o.background or o.resumable:
            raise UsageError(
                "a tool chain needs o4 running while the model works: --background and --resumable do not take tools"
            )
        resumable = False  # the profile's resumable streams: a tool chain streams as usual
    # --- conversation: what -c/--cid continue, and what they inherit (core/ask/conversation.py)
    logging = o.log and settings.log
    conv = o.conversation or convo.start(rt, cont=o.cont, cid=o.cid, logging=logging, history=_history(rt, o))
    pinned = o.conversation is not None  # a chat's /model and /effort beat the flags it started with
    system = o.system if o.system is not None else conv.system
    model = conv.model if conv.model and (pinned or settings.sources.get("model") != "flag") else settings.model
    effort = conv.effort if conv.effort and (pinned or settings.sources.get("effort") != "flag") else settings.effort
    if o.tools and o.tools.results and not (o.words or (o.stdin_text or "").strip() or o.files or o.images):
        prompt = prompt_mod.Prompt(text="", system=system)  # the tool results are the input
    else:
        prompt = prompt_mod.build(
            list(o.words), o.stdin_text, list(o.files), list(o.images), system=system, detail=o.detail
        )
    extra = dict(req.parse_option(p) for p in o.params)
    previous = conv.previous_response_id
    replay = convo.replay_items(conv, settings.api) if conv.turns and not previous else ()
    entry = catalog.find(model)
    opts = req.Options(
        model=model,
        api=settings.api,
        effort=effort,
        max_output=o.max_output,
        schema=schema_mod.load(o.schema) if o.schema else None,
        flex=o.flex,
        previous_response_id=previous,
        stream=o.streaming,
        summary=o.streaming and settings.api == req.RESPONSES,
        background=o.background or resumable,
        extra=extra,
        replay=replay,
        encrypted_reasoning=extra.get("store") is False and bool(entry and entry.efforts),
    )
    model_entry = req.check_model_rules(opts, images=len(prompt.images))
    body = _deployed(settings, req.build_body(prompt, opts))
    toolset = None
    if o.tools:
        from o4cli.core.tools import chain

        toolset = chain.prepare(o.tools, opts, body, _env(rt))
    plan = req.plan(prompt, opts, model_entry, max_cost=budget, fallback=o.flex_fallback, earlier=conv.earlier_tokens)
    if o.dry_run:
        plan.input  # noqa: B018 - a dry run shows the count: make it now
    lifecycle.before_send(rt, opts.model, dry_run=o.dry_run)
    if replay and conv.images_dropped:
        rt.notice("note: images of earlier turns are not sent again (o4 keeps only their digests)")
    if budget is not None and previous and not conv.turns:
        rt.notice(
            "note: --max-cost counts this prompt only; the earlier turns of the conversation are billed again as input"
        )
    if o.dry_run:
        url = f"{settings.base_url}{req.ENDPOINTS[opts.api].removeprefix('/v1')}"
        if toolset is not None:
            from o4cli.core.tools.builtin import redact

            body = redact(body)
        return DryRun(body, url, plan, opts.api)
    if toolset is not None:
        chained = _chain(rt, o, toolset, body, opts, prompt, plan, display, observer)  # each turn holds its budget
        if logging:
            _keep(rt, o, conv, prompt, opts, chained)
        return chained
    with reserve_budget(rt, lambda: plan.worst_cost, o.command):  # budget_daily/monthly: held until recorded
        result = _send_recorded(rt, body, opts, prompt, o, display, plan, conv)
    if logging and isinstance(result, AskResult) and not result.running:
        _keep(rt, o, conv, prompt, result.request, result)
    return result


def _send_recorded(
    rt: Runtime, body: dict[str, Any], opts: req.Options, prompt: Any, o: AskOptions,
    display: Callable[[bool], Display], plan: req.Plan, conv: convo.Continuation,
) -> AskResult:  # fmt: skip
    """Send, and record whatever happened (an answer, a failure, Ctrl-C) in the ledger."""
    started = time.monotonic()
    try:
        answer, opts = _call_continuing(rt, body, opts, prompt, o, display, conv)
    except (ApiError, NetworkError) as exc:
        if isinstance(exc, ApiError):
            lifecycle.explain_not_found(rt, exc, opts.model)
        _record_failure(rt, o.command, opts, exc, time.monotonic() - started)
        raise
    except KeyboardInterrupt:
        stop = Interrupted("interrupted before the answer arrived; nothing was printed")
        _record_failure(rt, o.command, opts, stop, time.monotonic() - started, status="interrupted")
        raise stop from None
    if not isinstance(answer, Answer):
        return answer  # --background: what was submitted (its answer comes with `o4 wait`)
    if opts.background and answer.response_id:
        return _finish_background(rt, answer, opts, started)
    return _finish(rt, o.command, answer, opts, plan, started, schema=opts.schema is not None)


# ------------------------------------------------------------------ conversations and history


def _history(rt: Runtime, o: AskOptions):  # noqa: ANN202 - a History, or None
    """The history, when this call continues a conversation (reading it is fine with
    logging off: that only stops new turns being kept)."""
    if not (o.cont or o.cid):
        return None
    return record(rt, "the conversation was", lambda ledger: History(ledger))


def _step(s: Any) -> dict[str, Any]:
    """What the history keeps of a tool step: the call and what became of it (output capped)."""
    c = s.call
    output = s.output if s.output is None or len(s.output) <= STEP_OUTPUT_KEPT else s.output[:STEP_OUTPUT_KEPT] + "…"
    return {
        "turn": s.turn, "type": c.kind, "name": c.name, "server": c.server,
        "arguments": c.arguments if c.arguments is not None else c.arguments_text,
        "status": s.status, "output": output, "error": s.error,
    }  # fmt: skip


STEP_OUTPUT_KEPT = 4096  # characters of a tool's output the history keeps


def _call_continuing(
    rt: Runtime,
    body: dict[str, Any],
    opts: req.Options,
    prompt: Any,
    o: AskOptions,
    display: Callable[[bool], Display],
    conv: convo.Continuation,
) -> tuple[Answer, req.Options]:
    """``_call``; when the server no longer has the previous response, the conversation is
    sent again from o4's history (said once), or the error says why it cannot be."""
    try:
        return _call(rt, body, opts, prompt, o, display), opts
    except ApiError as exc:
        if not (opts.previous_response_id and convo.forgotten(exc)):
            raise
        if not conv.turns:
            exc.hint = (
                "the server no longer keeps that response (sent with store=false, deleted, or older than 30 days) "
                "and o4's history has no copy: start a new conversation"
            )
            raise
        rt.notice(
            f"the server no longer has {opts.previous_response_id}; sending the conversation again from o4's history"
        )
        opts = replace(opts, previous_response_id=None, replay=convo.replay_items(conv, opts.api))
        return _call(rt, _deployed(rt.settings, req.build_body(prompt, opts)), opts, prompt, o, display), opts


def _keep(rt: Runtime, o: AskOptions, conv: convo.Continuation, prompt: Any, opts: req.Options, r: AskResult) -> None:
    """The turn in the history (a history that cannot be written warns, never fails the call)."""
    a = r.answer
    stored = opts.api == req.RESPONSES and opts.extra.get("store") is not False
    options = {
        "max_output": opts.max_output,
        "schema": opts.schema[0] if opts.schema else None,
        "flex": opts.flex or None,
        "params": opts.extra or None,
    }
    turn = dict(
        conversation=conv.conversation, request_id=r.ledger_id, profile=rt.settings.profile, command=o.command,
        api=opts.api, model=opts.model, effort=opts.effort, system=prompt.system, prompt=prompt.text,
        files=list(o.files), images=[image_record(i) for i in prompt.images],
        options={k: v for k, v in options.items() if v is not None}, answer=a.text, summary=a.summary or None,
        response_id=a.response_id, status=r.status, stored=stored,
        items=convo.kept_items(a.items) if opts.api == req.RESPONSES and not stored else None,
        steps=[_step(s) for s in getattr(r, "steps", ())],
    )  # fmt: skip
    turn_id = record(rt, "this turn was", lambda ledger: History(ledger).add(**turn))
    if turn_id:
        r.conversation, r.turn_id = conv.conversation, turn_id


def _resumable(o: AskOptions, default: bool, api: str) -> bool:
    """Whether this is a resumable stream: ``--resumable``, else the profile's ``resumable``
    (which a Chat Completions profile cannot use: it streams as usual)."""
    if o.resumable and not o.streaming:
        raise UsageError(
            "--resumable goes with o4 stream",
            hint="o4 ask --background, then o4 wait, survives a dropped connection too",
        )
    if o.background and o.resumable:
        raise UsageError(
            "give --background or --resumable, not both", hint="o4 wait --stream resumes a background call"
        )
    wanted = o.streaming and not o.background and (default if o.resumable is None else o.resumable)
    if (o.background or o.resumable) and api == req.CHAT:
        flag = "--background" if o.background else "--resumable"
        raise UsageError(
            f"{flag} needs the Responses API: Chat Completions has no background mode",
            hint="drop --api chat (or set the profile's api to responses)",
        )
    return bool(wanted) and api != req.CHAT


def _env(rt: Runtime) -> Mapping[str, str]:
    """The invocation's environment (the context's, in tests), for tool commands and MCP tokens."""
    import os

    return getattr(rt, "env", None) or os.environ


def _chain(
    rt: Runtime,
    o: AskOptions,
    toolset: Any,
    body: dict[str, Any],
    opts: req.Options,
    prompt: Any,
    plan: req.Plan,
    display: Callable[[bool], Display],
    observer: Observer | None,
) -> ChainResult:
    """The tool chain (core/tools/chain.py), each model turn sent, priced and recorded here."""
    from o4cli.core.tools import chain

    started = time.monotonic()
    budget = parse_usd(o.max_cost) if o.max_cost is not None else None
    paid: list[AskResult] = []

    def send(turn_body: dict[str, Any], extra: dict[str, Any]) -> AskResult:
        if budget is not None and paid:
            _chain_budget(budget, paid, turn_body, plan)
        # budget_daily/monthly: each turn holds its own worst case until it is recorded
        worst = (lambda: _turn_worst(paid, turn_body, plan)) if paid else (lambda: plan.worst_cost)
        n = len(paid)
        before = f"the chain's {n} turn{'s' if n != 1 else ''} before it {'are' if n != 1 else 'is'} recorded"
        stopped = f"it was not sent ({before})"
        with reserve_budget(rt, worst, o.command, what="this turn", stopped=stopped):
            return sent(turn_body, extra)

    def sent(turn_body: dict[str, Any], extra: dict[str, Any]) -> AskResult:
        turn_started = time.monotonic()
        try:
            answer = _call(rt, turn_body, opts, prompt, o, display)
        except (ApiError, NetworkError) as exc:
            if isinstance(exc, ApiError):
                lifecycle.explain_not_found(rt, exc, opts.model)
            _record_failure(rt, o.command, opts, exc, time.monotonic() - turn_started, extra=extra)
            raise
        except KeyboardInterrupt:
            stop = Interrupted("interrupted before the answer arrived; the turns so far are recorded")
            _record_failure(rt, o.command, opts, stop, time.monotonic() - turn_started, "interrupted", extra=extra)
            raise stop from None
        if not isinstance(answer, Answer):  # never: a chain is not sent in the background (refused above)
            raise O4Error("internal error: a tool chain's turn came back as a background call")
        result = _finish(rt, o.command, answer, opts, plan, turn_started, schema=opts.schema is not None, extra=extra)
        paid.append(result)
        return result

    with telemetry.group("tool chain", **{"o4.command": o.command, "gen_ai.request.model": opts.model}):
        done = chain.run(toolset, body, opts, send, observer or _Refuse())  # a span a turn, under one parent
    last, results = done.last, done.results
    usage = sum((r.usage for r in results), Usage())
    costs = [r.cost_usd for r in results]
    total = None if any(c is None for c in costs) else sum(costs, Decimal(0))
    return ChainResult(
        last.answer, opts, usage, any(r.estimated for r in results), last.pricing, total,
        time.monotonic() - started, last.schema, last.error,
        chain_id=done.chain_id, turns=done.turns, steps=done.steps, handed_back=done.handed_back,
        ledger_id=last.ledger_id, status=last.status,
    )  # fmt: skip


def _chain_budget(budget: Decimal, done: list[AskResult], body: dict[str, Any], plan: req.Plan) -> None:
    """--max-cost for a whole chain: before each later turn, what was spent plus that turn's
    worst case (the last turn's input and output billed again as input, plus this request's
    new items, and the whole output budget) must stay within the budget."""
    spent = sum((r.cost_usd or Decimal(0) for r in done), Decimal(0))
    worst = _turn_worst(done, body, plan)
    if worst is None:
        return
    if spent + worst > budget:
        raise BudgetError(
            f"--max-cost {format_usd(budget)}: the chain has cost {format_usd(spent)} in {len(done)} turns and its "
            f"next turn could cost up to {format_usd(worst)}; stopped before sending it",
            hint="raise --max-cost, lower --max-output, or lower --chain-limit",
        )


def _turn_worst(done: list[AskResult], body: dict[str, Any], plan: req.Plan) -> Decimal | None:
    """A later turn's worst case: the last turn's input and output billed again as input,
    plus this request's new items, and the whole output budget."""
    last = done[-1].usage
    if "messages" in body:  # Chat: what this turn adds is the assistant's calls and the tool messages
        messages = body["messages"]
        since = max((i for i, m in enumerate(messages) if m.get("role") == "assistant"), default=0)
        added: Any = messages[since:]
    else:  # Responses: previous_response_id bills the rest; the new items are the input
        added = body.get("input")
    new = len(json.dumps(added)) // 3  # a generous bound (a token is about 4 characters)
    if plan.price is None or plan.max_output is None:
        return None
    return worst_case(last.input_tokens + last.output_tokens + new, plan.max_output, plan.price)


class _Refuse:
    """No one to ask: every call that needs a yes is refused."""

    interactive = False

    def confirm(self, call: Any) -> str:
        return "n"

    def step(self, step: Any) -> None:
        pass


# ------------------------------------------------------------------ sending


def _call(
    rt: Runtime, body: dict[str, Any], opts: req.Options, prompt: Any, o: AskOptions, display: Callable[[bool], Display]
) -> Answer | Submitted:
    """Send, with the fallbacks the API's refusals allow (no streaming, no flex)."""
    try:
        return _send(rt, body, opts, o, o.streaming, display)
    except RateLimitError as exc:
        if not opts.flex or not flex_capacity(exc):
            raise
        if not o.flex_fallback:
            exc.hint = "flex has no capacity now: try again later, or add --flex-fallback to use the standard tier"
            raise
        rt.notice("flex has no capacity now; sending again at the standard tier (standard price)")
        standard = replace(opts, flex=False)
        # The same body without the tier (a tool chain's later turns carry more than the prompt).
        body = {k: v for k, v in body.items() if k != "service_tier"}
        return _send(rt, body, standard, o, o.streaming, display)
    except ApiError as exc:
        if o.streaming and exc.status == 400 and exc.param == "stream":
            if opts.background and not o.background:
                exc.hint = "a resumable stream needs streaming: o4 ask --background, then o4 wait, survives cuts too"
                raise
            rt.notice(f"streaming refused ({exc.message}); asking once without streaming")
            body = {k: v for k, v in body.items() if k not in ("stream", "stream_options")}
            return _send(rt, body, opts, o, False, display)
        if exc.status == 400 and (exc.param or "").startswith("reasoning.summary"):
            rt.notice("reasoning summaries refused for this organization; asking without one")
            body = {**body, "reasoning": {k: v for k, v in body["reasoning"].items() if k != "summary"}}
            return _send(rt, body, opts, o, o.streaming, display)
        raise


def _deployed(settings: Any, body: dict[str, Any]) -> dict[str, Any]:
    """The body with the model named as the server knows it (a profile's ``deployments``:
    Azure OpenAI serves a model under the name of its deployment)."""
    name = settings.deployment(body["model"])
    return body if name == body["model"] else {**body, "model": name}


def flex_capacity(exc: ApiError) -> bool:
    """Whether a 429 on a flex request means 'no flex capacity' (not a rate limit or quota)."""
    text = f"{exc.code} {exc.type} {exc.message}".lower()
    return "rate limit reached" not in text and "quota" not in text and "too large" not in text


def _send(
    rt: Runtime, body: dict[str, Any], opts: req.Options, o: AskOptions, streaming: bool,
    display: Callable[[bool], Display],
) -> Answer | Submitted:  # fmt: skip
    from o4cli.core.ask import answer as answer_mod

    if o.background:
        from o4cli.core.background import submit

        schema = opts.schema is not None
        return submit.create(rt, body, opts, command=o.command, streaming=streaming, schema=schema)
    view = display(streaming)
    if not streaming:
        try:
            return answer_mod.complete(rt.api, body, opts.api)
        finally:
            view.close()
    stream = _resumable_stream(rt, body, opts, o) if opts.background else answer_mod.Stream(rt.api, body, opts.api)
    try:
        for kind, delta in stream.deltas():
            if kind == "text":
                view.text(delta)
            else:
                view.summary(delta)
    except KeyboardInterrupt:
        stream.answer.status = "interrupted"
    except BrokenPipeError:
        stream.answer.status = "interrupted"  # the reader went away (`| head`): still a ledger row
        stream.answer.reader_gone = True
    finally:
        if not stream.answer.reader_gone:
            view.close()
    stream.answer.streamed = True
    return stream.answer


def _resumable_stream(rt: Runtime, body: dict[str, Any], opts: req.Options, o: AskOptions) -> Any:
    """A background stream that resumes after cuts; its id goes to the ledger first."""
    from o4cli.core.background import record, resume

    def keep(answer: Answer, status: str) -> None:
        schema = opts.schema is not None
        record.add(rt, str(answer.response_id), status, opts, command=o.command, stream=True, schema=schema)

    # A cut is resumed as long as it brings something new; fruitless reconnections are
    # tried as often as any failed request (max_retries), plus the first.
    return resume.Resumable(rt.api, body, on_id=keep, notice=rt.notice, max_idle=rt.settings.max_retries + 1)


# ------------------------------------------------------------------ after


def _finish(
    rt: Runtime,
    command: str,
    answer: Answer,
    opts: req.Options,
    plan: req.Plan,
    started: float,
    *,
    schema: bool,
    extra: dict[str, Any] | None = None,
) -> AskResult:
    """Price what arrived, decide the error it amounts to, record the ledger row."""
    seconds = time.monotonic() - started
    usage, estimated = answer.usage, not answer.usage_known
    if estimated:
        # Cut or interrupted before the final usage: estimate what was billed.
        entry = catalog.find(opts.model)
        out = count_text(answer.text + answer.summary, entry.tokenizer if entry else None)
        usage = Usage(plan.input.tokens, 0, out.tokens, 0)
    pricing, amount = outcome.price(answer, usage, opts)
    status, error = outcome.ending(answer, usage, opts)
    # The ledger first: a closed pipe or a Ctrl-C while printing must not lose the row.
    row_id = _record(
        rt, command, opts, seconds,
        model=answer.model or opts.model, usage=usage, cost_usd=amount, pricing=pricing, status=status,
        response_id=answer.response_id, estimated=estimated,
        extra={**(extra or {}), **({"error": error.message} if error else {})} or None,
        unpriced=amount is None,
    )  # fmt: skip
    telemetry.note_ask(rt, command, opts, seconds, answer=answer, usage=usage, cost_usd=amount, pricing=pricing,
                       error=error)  # fmt: skip
    return AskResult(
        answer, opts, usage, estimated, pricing, amount, seconds, schema, error, ledger_id=row_id, status=status
    )


def _finish_background(rt: Runtime, answer: Answer, opts: req.Options, started: float) -> AskResult:
    """A resumable stream's end: settled like any background call when the answer ended;
    otherwise (cut for good, Ctrl-C, reader gone) the call goes on and ``o4 wait`` gets it."""
    from o4cli.core.background import FINAL, record
    from o4cli.core.background.wait import job_of

    rid = str(answer.response_id)
    seconds = time.monotonic() - started
    if answer.status in FINAL:
        return record.settle(rt, job_of(rt, rid), answer, seconds)
    return record.left_running(answer, opts, seconds, rid)


def _record(rt: Runtime, command: str, opts: req.Options, seconds: float, **row: Any) -> int | None:
    """One ledger row for this call (its id); a ledger that cannot be written warns, never fails the call."""
    row = {"model": opts.model, **row}
    return record(
        rt,
        "this call was",
        lambda ledger: ledger.record_request(
            command=command,
            profile=rt.settings.profile,
            endpoint=req.ENDPOINTS[opts.api],
            duration_s=round(seconds, 3),
            **row,
        ),
    )


def _record_failure(
    rt: Runtime,
    command: str,
    opts: req.Options,
    exc: O4Error,
    seconds: float,
    status: str = "error",
    extra: dict[str, Any] | None = None,
) -> None:
    """A refused or failed call is a ledger row too (no tokens billed)."""
    extra = {
        **(extra or {}),
        "error": exc.message,
        "status": getattr(exc, "status", None),
        "request_id": getattr(exc, "request_id", None),
    }
    pricing = "flex" if opts.flex else "standard"
    _record(rt, command, opts, seconds, usage=Usage(), cost_usd=None, pricing=pricing, status=status, extra=extra)
    telemetry.note_ask(rt, command, opts, seconds, pricing=pricing, error=exc)


incomplete_error = outcome.incomplete_error  # its home is core.ask.outcome
