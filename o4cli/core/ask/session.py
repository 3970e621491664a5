"""``o4 ask`` and ``o4 stream``: from the options to a recorded, priced answer.

``run`` checks everything before sending (prompt, model rules, context window, budget),
sends with the fallbacks the API's refusals allow (no streaming, no reasoning summary,
no flex), prices the answer at the tier the API says it used, writes the ledger row, and
returns an ``AskResult`` (or a ``DryRun``). It never prints: deltas go to the ``Display``
the command hands in, notices to the runtime.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from o4cli.core import catalog, lifecycle
from o4cli.core.ask import outcome
from o4cli.core.ask import prompt as prompt_mod
from o4cli.core.ask import request as req
from o4cli.core.ask import schema as schema_mod
from o4cli.core.ask.answer import Answer
from o4cli.core.cost import Usage, parse_usd
from o4cli.core.errors import ApiError, Interrupted, NetworkError, O4Error, RateLimitError, UsageError
from o4cli.core.ledger import record
from o4cli.core.runtime import Runtime
from o4cli.core.tokens import count_text

if TYPE_CHECKING:
    from o4cli.core.background.submit import Submitted


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

    @property
    def streaming(self) -> bool:
        return self.command == "stream"


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

    @property
    def model(self) -> str:
        return self.answer.model or self.request.model


def run(rt: Runtime, o: AskOptions, display: Callable[[bool], Display]) -> AskResult | DryRun | Submitted:
    """Check, send (unless a dry run), price, record; ``display(streaming)`` makes the view.
    ``--background`` returns what was submitted; a resumable stream is a background call
    streamed, resumed after cuts, and settled like one."""
    settings = rt.settings
    budget = parse_usd(o.max_cost) if o.max_cost is not None else None
    if o.flex_fallback and not o.flex:
        raise UsageError("--flex-fallback goes with --flex")
    if o.cont and o.cid:
        raise UsageError("give --continue or --cid, not both")
    if (o.cont or o.cid) and settings.api == req.CHAT:
        raise UsageError(
            "--continue/--cid need the Responses API: Chat Completions keeps no conversation state",
            hint="drop --api chat (or set the profile's api to responses)",
        )
    resumable = _resumable(o, settings.resumable, settings.api)
    prompt = prompt_mod.build(
        list(o.words), o.stdin_text, list(o.files), list(o.images), system=o.system, detail=o.detail
    )
    extra = dict(req.parse_option(p) for p in o.params)
    previous = o.cid
    if o.cont:
        previous = rt.ledger.last_response_id(settings.profile)
        if previous is None:
            raise UsageError(
                f"no earlier conversation to continue for profile '{settings.profile}'",
                hint="ask once without -c first",
            )
    opts = req.Options(
        model=settings.model,
        api=settings.api,
        effort=settings.effort,
        max_output=o.max_output,
        schema=schema_mod.load(o.schema) if o.schema else None,
        flex=o.flex,
        previous_response_id=previous,
        stream=o.streaming,
        summary=o.streaming and settings.api == req.RESPONSES,
        background=o.background or resumable,
        extra=extra,
    )
    model_entry = req.check_model_rules(opts, images=len(prompt.images))
    body = _deployed(settings, req.build_body(prompt, opts))
    plan = req.plan(prompt, opts, model_entry, max_cost=budget, fallback=o.flex_fallback)
    if o.dry_run:
        plan.input  # noqa: B018 - a dry run shows the count: make it now
    lifecycle.before_send(rt, opts.model, dry_run=o.dry_run)
    if budget is not None and previous:
        rt.notice(
            "note: --max-cost counts this prompt only; the earlier turns of the conversation are billed again as input"
        )
    if o.dry_run:
        url = f"{settings.base_url}{req.ENDPOINTS[opts.api].removeprefix('/v1')}"
        return DryRun(body, url, plan, opts.api)
    started = time.monotonic()
    try:
        answer = _call(rt, body, opts, prompt, o, display)
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
        return answer  # --background: what was submitted
    if opts.background and answer.response_id:
        return _finish_background(rt, answer, opts, started)
    return _finish(rt, o.command, answer, opts, plan, started, schema=opts.schema is not None)


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
        return _send(rt, _deployed(rt.settings, req.build_body(prompt, standard)), standard, o, o.streaming, display)
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
    rt: Runtime, command: str, answer: Answer, opts: req.Options, plan: req.Plan, started: float, *, schema: bool
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
    _record(
        rt, command, opts, seconds,
        model=answer.model or opts.model, usage=usage, cost_usd=amount, pricing=pricing, status=status,
        response_id=answer.response_id, estimated=estimated, extra={"error": error.message} if error else None,
        unpriced=amount is None,
    )  # fmt: skip
    return AskResult(answer, opts, usage, estimated, pricing, amount, seconds, schema, error)


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


def _record(rt: Runtime, command: str, opts: req.Options, seconds: float, **row: Any) -> None:
    """One ledger row for this call; a ledger that cannot be written warns, never fails the call."""
    row = {"model": opts.model, **row}
    record(
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
    rt: Runtime, command: str, opts: req.Options, exc: O4Error, seconds: float, status: str = "error"
) -> None:
    """A refused or failed call is a ledger row too (no tokens billed)."""
    extra = {
        "error": exc.message,
        "status": getattr(exc, "status", None),
        "request_id": getattr(exc, "request_id", None),
    }
    pricing = "flex" if opts.flex else "standard"
    _record(rt, command, opts, seconds, usage=Usage(), cost_usd=None, pricing=pricing, status=status, extra=extra)


incomplete_error = outcome.incomplete_error  # its home is core.ask.outcome
