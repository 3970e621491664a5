"""What an answer that has ended amounts to: its price, its ledger status and the error it
exits with. Shared by ``ask``/``stream`` and by ``o4 wait`` (a background call's answer is
judged exactly as a foreground one's)."""

from __future__ import annotations

from decimal import Decimal

from o4cli.core import catalog
from o4cli.core.ask import request as req
from o4cli.core.ask.answer import Answer
from o4cli.core.cost import Usage, call_cost
from o4cli.core.errors import ApiError, Interrupted, O4Error


def price(answer: Answer, usage: Usage, opts: req.Options) -> tuple[str, Decimal | None]:
    """The pricing (the tier the API says it used) and the cost of ``usage`` (None: no price)."""
    pricing = tier(answer.service_tier, opts.flex)
    entry = catalog.price_for(opts.model, pricing) or catalog.price_for(answer.model or opts.model, pricing)
    return pricing, (call_cost(usage, entry) if entry else None)


def tier(service_tier: str | None, flex: bool) -> str:
    """The tier a call is priced at: what the API says it used (flex, priority), else
    what was asked for."""
    if service_tier in ("flex", "priority"):
        return service_tier
    if service_tier is None and flex:
        return "flex"
    return "standard"


def ending(answer: Answer, usage: Usage, opts: req.Options) -> tuple[str, O4Error | None]:
    """The ledger status of an answer and the error it ends with (None: success)."""
    error: O4Error | None = answer.error
    status = {"completed": "ok"}.get(answer.status, answer.status)
    if answer.status == "incomplete":
        error = incomplete_error(answer, usage, opts)
    elif answer.status == "interrupted":
        error = Interrupted("interrupted; what arrived was kept" + (" (on stdout)" if answer.text else ""))
        if answer.reader_gone:
            status = "reader closed"
    elif answer.status == "cancelled":
        error = O4Error("the call was cancelled before it finished")
    elif answer.status == "failed" and error is None:
        error = ApiError("the response failed")
    return status, error


def incomplete_error(answer: Answer, usage: Usage, opts: req.Options) -> ApiError:
    """What an incomplete answer means: the content filter, the empty-answer trap, or a cut."""
    if answer.incomplete_reason == "content_filter":
        return ApiError("the answer was stopped by the content filter", code="content_filter")
    budget = opts.max_output or usage.output_tokens
    if not answer.text.strip():
        return ApiError(
            f"reasoning used the whole output budget ({usage.reasoning_tokens:,} of {usage.output_tokens:,} "
            f"output tokens were reasoning) and no answer was written; the tokens are still billed",
            code="max_output_tokens",
            hint=f"raise --max-output (now {budget:,}); OpenAI advises reserving about {req.RESERVE_HINT:,} tokens",
        )
    return ApiError(
        f"the answer was cut at the output limit ({usage.output_tokens:,} tokens); what arrived is above",
        code="max_output_tokens",
        hint=f"raise --max-output (now {budget:,}) for the whole answer",
    )
