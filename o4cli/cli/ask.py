"""``o4 ask`` (the whole answer) and ``o4 stream`` (the answer as it is written).

One function serves both commands; ``ctx.info_name`` tells which was called.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from o4cli.cli.common import (
    ApiKind,
    Detail,
    EffortOpt,
    JsonOpt,
    MaxOutputOpt,
    ModelOpt,
    PlainOpt,
    ProfileOpt,
    QuietOpt,
    SystemOpt,
    VerboseOpt,
    app_context,
    model_flags,
)

ASK_HELP = """Send one prompt and print the whole answer.

The prompt is the words, then stdin when it is not a terminal, then each -f file
under its name. The token and cost summary goes to stderr; stdout is the answer."""

STREAM_HELP = """Send one prompt and print the answer as it is written.

On a terminal the markdown renders live and the reasoning summary shows dimmed;
piped, the raw text is flushed as it arrives. Ctrl-C keeps what arrived (exit 130)."""


def run(
    ctx: typer.Context,
    words: Annotated[Optional[list[str]], typer.Argument(metavar="[PROMPT]...", help="The prompt's words.", show_default=False)] = None,
    file: Annotated[Optional[list[str]], typer.Option("--file", "-f", metavar="PATH", help="A text file to add under its name (repeatable).", show_default=False)] = None,
    system: SystemOpt = None,
    model: ModelOpt = None,
    effort: EffortOpt = None,
    max_output: MaxOutputOpt = None,
    image: Annotated[Optional[list[str]], typer.Option("--image", "-i", metavar="PATH|URL", help="An image: PNG, JPEG, WEBP or still GIF file, or a URL (repeatable).", show_default=False)] = None,
    detail: Annotated[Detail, typer.Option("--detail", help="Image detail.")] = Detail.auto,
    schema: Annotated[Optional[str], typer.Option("--schema", metavar="FILE|JSON|FIELDS", help="Strict structured output: a JSON Schema file, inline JSON, or fields like 'name, age int, tags list'.", show_default=False)] = None,
    api: Annotated[Optional[ApiKind], typer.Option("--api", help="Which API (default: the profile's, responses).", show_default=False)] = None,
    flex: Annotated[bool, typer.Option("--flex", help="Flex service tier: half price, slower, may lack capacity.")] = False,
    flex_fallback: Annotated[bool, typer.Option("--flex-fallback", help="With --flex: when flex has no capacity, send again at the standard tier.")] = False,
    cont: Annotated[bool, typer.Option("--continue", "-c", help="Continue the last conversation (Responses API).")] = False,
    cid: Annotated[Optional[str], typer.Option("--cid", metavar="ID", help="Continue from this response id.", show_default=False)] = None,
    option: Annotated[Optional[list[str]], typer.Option("--option", "-o", metavar="KEY=VALUE", help="Any other request-body field; VALUE is JSON where it parses (repeatable).", show_default=False)] = None,
    max_cost: Annotated[Optional[str], typer.Option("--max-cost", metavar="USD", help="Refuse to send when the worst case could cost more.", show_default=False)] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the request body and the estimate; send nothing.")] = False,
    json: JsonOpt = False,
    quiet: QuietOpt = False,
    plain: PlainOpt = False,
    profile: ProfileOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    import sys

    app_ctx = app_context(
        ctx,
        profile=profile,
        verbose=verbose,
        quiet=quiet,
        plain=plain,
        json=json,
        flags={**model_flags(model, effort), "api": api.value if api else None},
    )
    stdin_text = _read_stdin(app_ctx) if not sys.stdin.isatty() else None
    _execute(
        app_ctx,
        command=ctx.info_name or "ask",
        words=list(words or []),
        stdin_text=stdin_text,
        files=list(file or []),
        images=list(image or []),
        system=system,
        detail=detail.value,
        max_output=max_output,
        schema_spec=schema,
        flex=flex,
        flex_fallback=flex_fallback,
        cont=cont,
        cid=cid,
        options=list(option or []),
        max_cost=max_cost,
        dry_run=dry_run,
    )


def _read_stdin(app_ctx) -> str:  # noqa: ANN001
    """stdin as UTF-8; bytes that are not (a Latin-1 diff, say) are replaced, with a warning."""
    import sys

    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        app_ctx.notice(f"warning: stdin is not UTF-8 (first bad byte at {exc.start}); such bytes were replaced with �")
        return data.decode("utf-8", errors="replace")


def _execute(app_ctx, *, command: str, words, stdin_text, files, images, system, detail, max_output,  # noqa: ANN001, PLR0913
             schema_spec, flex, flex_fallback, cont, cid, options, max_cost, dry_run) -> None:
    """Prompt → checks → (dry run | call) → answer on stdout, summary on stderr, ledger row."""
    import time

    from o4cli import render
    from o4cli.core import prompt as prompt_mod
    from o4cli.core import request as req
    from o4cli.core import schema as schema_mod
    from o4cli.core.cost import parse_usd
    from o4cli.core.errors import ApiError, Interrupted, NetworkError, UsageError

    settings = app_ctx.settings
    streaming = command == "stream"
    budget = parse_usd(max_cost) if max_cost is not None else None
    if flex_fallback and not flex:
        raise UsageError("--flex-fallback goes with --flex")
    if cont and cid:
        raise UsageError("give --continue or --cid, not both")
    if (cont or cid) and settings.api == req.CHAT:
        raise UsageError(
            "--continue/--cid need the Responses API: Chat Completions keeps no conversation state",
            hint="drop --api chat (or set the profile's api to responses)",
        )
    prompt = prompt_mod.build(words, stdin_text, files, images, system=system, detail=detail)
    extra = dict(req.parse_option(o) for o in options)
    previous = cid
    if cont:
        previous = app_ctx.ledger.last_response_id(settings.profile)
        if previous is None:
            raise UsageError(f"no earlier conversation to continue for profile '{settings.profile}'", hint="ask once without -c first")
    opts = req.Options(
        model=settings.model,
        api=settings.api,
        effort=settings.effort,
        max_output=max_output,
        schema=schema_mod.load(schema_spec) if schema_spec else None,
        flex=flex,
        previous_response_id=previous,
        stream=streaming,
        summary=streaming and settings.api == req.RESPONSES,
        extra=extra,
    )
    model_entry = req.check_model_rules(opts)
    body = req.build_body(prompt, opts)
    plan = req.plan(prompt, opts, model_entry, max_cost=budget, fallback=flex_fallback)
    if budget is not None and previous and not app_ctx.quiet:
        app_ctx.notice("note: --max-cost counts this prompt only; the earlier turns of the conversation are billed again as input")
    if dry_run:
        render.print_json(body)
        if not app_ctx.quiet:
            from o4cli.core.cost import format_usd

            render.note(
                f"dry run: POST {settings.base_url}{req.ENDPOINTS[opts.api].removeprefix('/v1')} · "
                f"input {plan.input.label} · up to {plan.max_output:,} output tokens · "
                f"worst case {format_usd(plan.worst_cost)} {plan.pricing} · nothing sent"
            )
        return
    started = time.monotonic()
    try:
        answer = _call(app_ctx, body, opts, prompt, streaming=streaming, flex_fallback=flex_fallback)
    except (ApiError, NetworkError) as exc:
        _record_failure(app_ctx, command, opts, exc, time.monotonic() - started)
        raise
    except KeyboardInterrupt:
        stop = Interrupted("interrupted before the answer arrived; nothing was printed")
        _record_failure(app_ctx, command, opts, stop, time.monotonic() - started, status="interrupted")
        raise stop from None
    _finish(app_ctx, command, answer, opts, plan, started, schema=opts.schema is not None)


def _call(app_ctx, body, opts, prompt, *, streaming: bool, flex_fallback: bool):  # noqa: ANN001, ANN202
    """Send, with the fallbacks the API's refusals allow (no streaming, no flex)."""
    from o4cli.core import request as req
    from o4cli.core.errors import ApiError, RateLimitError

    try:
        return _send(app_ctx, body, opts, streaming=streaming)
    except RateLimitError as exc:
        if not opts.flex or not _flex_capacity(exc):
            raise
        if not flex_fallback:
            exc.hint = "flex has no capacity now: try again later, or add --flex-fallback to use the standard tier"
            raise
        app_ctx.notice("flex has no capacity now; sending again at the standard tier (standard price)")
        from dataclasses import replace

        opts2 = replace(opts, flex=False)
        return _send(app_ctx, req.build_body(prompt, opts2), opts2, streaming=streaming)
    except ApiError as exc:
        if streaming and exc.status == 400 and exc.param == "stream":
            app_ctx.notice(f"streaming refused ({exc.message}); asking once without streaming")
            body = {k: v for k, v in body.items() if k not in ("stream", "stream_options")}
            return _send(app_ctx, body, opts, streaming=False)
        if exc.status == 400 and (exc.param or "").startswith("reasoning.summary"):
            app_ctx.notice("reasoning summaries refused for this organization; asking without one")
            body = {**body, "reasoning": {k: v for k, v in body["reasoning"].items() if k != "summary"}}
            return _send(app_ctx, body, opts, streaming=streaming)
        raise


def _flex_capacity(exc) -> bool:  # noqa: ANN001
    text = f"{exc.code} {exc.type} {exc.message}".lower()
    return "rate limit reached" not in text and "quota" not in text and "too large" not in text


def _send(app_ctx, body, opts, *, streaming: bool):  # noqa: ANN001, ANN202
    import io
    import sys

    from o4cli import render
    from o4cli.core import answer as answer_mod

    if not streaming:
        waiting = render.Waiting(not app_ctx.quiet and render.fancy(sys.stderr, app_ctx.plain))
        try:
            return answer_mod.complete(app_ctx.api, body, opts.api)
        finally:
            waiting.stop()
    stream = answer_mod.Stream(app_ctx.api, body, opts.api)
    view = render.StreamView(plain=app_ctx.plain or app_ctx.json, quiet=app_ctx.quiet, out=io.StringIO() if app_ctx.json else None)
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


def _finish(app_ctx, command, answer, opts, plan, started, *, schema: bool) -> None:  # noqa: ANN001
    """Print what arrived, the summary line and any error; record the call; set the exit code."""
    import json as jsonlib
    import sys
    import time

    from o4cli import render
    from o4cli.core import catalog
    from o4cli.core.cost import Usage, cost, micro
    from o4cli.core.errors import ApiError, Interrupted, O4Error
    from o4cli.core.tokens import count_text

    seconds = time.monotonic() - started
    usage, estimated = answer.usage, not answer.usage_known
    if estimated:
        # Cut or interrupted before the final usage: estimate what was billed.
        out_tokens = count_text(answer.text + answer.summary).tokens
        usage = Usage(plan.input.tokens, 0, out_tokens, 0)
    pricing = "flex" if (answer.service_tier == "flex" or (opts.flex and answer.service_tier is None)) else "standard"
    price = catalog.price_for(opts.model, pricing) or catalog.price_for(answer.model or opts.model, pricing)
    amount = cost(usage, price) if price else None

    # The ledger first: a closed pipe or a Ctrl-C while printing must not lose the row.
    error: O4Error | None = answer.error
    status = {"completed": "ok"}.get(answer.status, answer.status)
    if answer.status == "incomplete":
        error = _incomplete_error(answer, usage, opts)
    elif answer.status == "interrupted":
        error = Interrupted("interrupted; what arrived was kept" + (" (on stdout)" if answer.text else ""))
        if answer.reader_gone:
            status = "reader closed"
    elif answer.status == "failed" and error is None:
        error = ApiError("the response failed")
    _record(
        app_ctx,
        command,
        opts,
        seconds,
        model=answer.model or opts.model,
        usage=usage,
        cost_usd=amount,
        pricing=pricing,
        status=status,
        response_id=answer.response_id,
        estimated=estimated,
        extra={"error": error.message} if error else None,
    )
    if answer.reader_gone:
        raise BrokenPipeError  # main() exits quietly; the row is written
    streamed = answer.streamed
    if app_ctx.json:
        render.print_json(
            {
                "text": answer.text,
                "reasoning_summary": answer.summary or None,
                "model": answer.model or opts.model,
                "response_id": answer.response_id,
                "api": opts.api,
                "status": answer.status,
                "incomplete_reason": answer.incomplete_reason,
                "usage": {
                    "input_tokens": usage.input_tokens,
                    "cached_tokens": usage.cached_tokens,
                    "output_tokens": usage.output_tokens,
                    "reasoning_tokens": usage.reasoning_tokens,
                    "estimated": estimated,
                },
                "pricing": pricing,
                "cost_usd": str(micro(amount)) if amount is not None else None,
                "seconds": round(seconds, 3),
                "tokens_per_second": round(usage.output_tokens / seconds, 1) if seconds > 0 else None,
            }
        )
    elif not streamed and answer.text:
        text = answer.text
        if schema and answer.status == "completed":
            try:
                text = jsonlib.dumps(jsonlib.loads(text), indent=2 if render.fancy(sys.stdout, app_ctx.plain) else None, ensure_ascii=False)
            except ValueError:
                pass
        render.print_answer(text, plain=app_ctx.plain, markdown=not schema)

    if not app_ctx.quiet:
        render.note(render.usage_line(opts.model, usage, amount, seconds, pricing=pricing, estimated=estimated))

    if error is not None:
        raise error


def _record(app_ctx, command, opts, seconds: float, **row) -> None:  # noqa: ANN001, ANN003
    """One ledger row for this call; a ledger that cannot be written warns, never fails the call."""
    from o4cli import render
    from o4cli.core import request as req
    from o4cli.core.errors import LedgerError

    try:
        app_ctx.ledger.record_request(
            command=command,
            profile=app_ctx.settings.profile,
            endpoint=req.ENDPOINTS[opts.api],
            duration_s=round(seconds, 3),
            **{"model": opts.model, **row},
        )
    except LedgerError as exc:
        render.note(f"o4: warning: this call was not recorded: {exc.message}")


def _record_failure(app_ctx, command, opts, exc, seconds: float, status: str = "error") -> None:  # noqa: ANN001
    """A refused or failed call is a ledger row too (no tokens billed)."""
    from o4cli.core.cost import Usage

    _record(
        app_ctx,
        command,
        opts,
        seconds,
        usage=Usage(),
        cost_usd=None,
        pricing="flex" if opts.flex else "standard",
        status=status,
        extra={"error": exc.message, "status": getattr(exc, "status", None), "request_id": getattr(exc, "request_id", None)},
    )


def _incomplete_error(answer, usage, opts):  # noqa: ANN001, ANN202
    from o4cli.core.errors import ApiError
    from o4cli.core.request import RESERVE_HINT

    if answer.incomplete_reason == "content_filter":
        return ApiError("the answer was stopped by the content filter", code="content_filter")
    budget = opts.max_output or usage.output_tokens
    if not answer.text.strip():
        return ApiError(
            f"reasoning used the whole output budget ({usage.reasoning_tokens:,} of {usage.output_tokens:,} "
            f"output tokens were reasoning) and no answer was written; the tokens are still billed",
            code="max_output_tokens",
            hint=f"raise --max-output (now {budget:,}); OpenAI advises reserving about {RESERVE_HINT:,} tokens",
        )
    return ApiError(
        f"the answer was cut at the output limit ({usage.output_tokens:,} tokens); what arrived is above",
        code="max_output_tokens",
        hint=f"raise --max-output (now {budget:,}) for the whole answer",
    )
