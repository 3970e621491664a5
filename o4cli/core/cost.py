"""Token usage and what it costs. Pure functions; money is ``Decimal``."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from o4cli.core.catalog import Price
from o4cli.core.errors import UsageError

MILLION = Decimal(1_000_000)
MICRO = Decimal("0.000001")


@dataclass(frozen=True)
class Usage:
    """Tokens of one call. ``output_tokens`` already includes ``reasoning_tokens``,
    and ``input_tokens`` already includes ``cached_tokens``."""

    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.cached_tokens + other.cached_tokens,
            self.output_tokens + other.output_tokens,
            self.reasoning_tokens + other.reasoning_tokens,
        )

    @classmethod
    def from_api(cls, usage: dict[str, Any] | None) -> Usage:
        """Read a Responses (``input_tokens``) or Chat (``prompt_tokens``) usage object."""
        if not usage:
            return cls()
        if "input_tokens" in usage:
            inp = usage.get("input_tokens") or 0
            out = usage.get("output_tokens") or 0
            cached = (usage.get("input_tokens_details") or {}).get("cached_tokens") or 0
            reasoning = (usage.get("output_tokens_details") or {}).get("reasoning_tokens") or 0
        else:
            inp = usage.get("prompt_tokens") or 0
            out = usage.get("completion_tokens") or 0
            cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0
            reasoning = (usage.get("completion_tokens_details") or {}).get("reasoning_tokens") or 0
        return cls(int(inp), int(cached), int(out), int(reasoning))


def cost(usage: Usage, price: Price) -> Decimal:
    """Exact USD cost: uncached input, cached input and output (reasoning included), at
    the flat rates (a sum of many calls; one call: ``call_cost``)."""
    uncached = max(usage.input_tokens - usage.cached_tokens, 0)
    total = uncached * price.input + usage.cached_tokens * price.cached_input + usage.output_tokens * price.output
    return total / MILLION


def call_cost(usage: Usage, price: Price) -> Decimal:
    """What one call costs: as ``cost``, at the long-context rates when its input is
    above the model's threshold (``Price.long_above``)."""
    return cost(usage, price.for_input(usage.input_tokens))


def worst_case(input_tokens: int, max_output: int, price: Price) -> Decimal:
    """The most a call can cost: all input uncached, the whole output budget used."""
    return call_cost(Usage(input_tokens=input_tokens, output_tokens=max_output), price)


def micro(amount: Decimal) -> Decimal:
    """Round to the micro-dollar, half up."""
    return amount.quantize(MICRO, rounding=ROUND_HALF_UP)


def format_usd(amount: Decimal | None) -> str:
    """``$0.003987``; ``unpriced`` when o4 has no price (never a silent $0)."""
    if amount is None:
        return "unpriced"
    return f"${micro(amount):,.6f}"


def parse_usd(text: str, flag: str = "--max-cost") -> Decimal:
    """A non-negative dollar amount from the command line ('0.05', '$5')."""
    from decimal import InvalidOperation

    try:
        value = Decimal(text.strip().lstrip("$"))
    except InvalidOperation:
        raise UsageError(f"{flag} {text!r}: expected an amount in USD, like 0.05 or 5") from None
    if not value.is_finite() or value < 0:
        raise UsageError(f"{flag} must be a non-negative amount")
    return value
