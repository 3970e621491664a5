"""What o4 knows about models without asking the API: facts, prices, limits.

Sources: OpenAI's model page and pricing page for o4-mini (captured 2025-12), the
rate-limits guide, and the reasoning guide (see shared/reference). Prices are USD per
1M tokens, as ``Decimal`` so that cost math is exact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

MODES = ("standard", "batch", "flex")


@dataclass(frozen=True)
class Price:
    """USD per 1M tokens."""

    input: Decimal
    cached_input: Decimal
    output: Decimal


@dataclass(frozen=True)
class TierLimit:
    tier: int
    rpm: int
    tpm: int
    batch_queue_tokens: int


@dataclass(frozen=True)
class Model:
    id: str
    snapshot: str
    aliases: tuple[str, ...]
    description: str
    context_window: int
    max_output: int
    knowledge_cutoff: str
    input_modalities: tuple[str, ...]
    output_modalities: tuple[str, ...]
    endpoints: tuple[str, ...]
    features: dict[str, bool]
    prices: dict[str, Price]
    fine_tuned_prices: dict[str, Price]
    tiers: tuple[TierLimit, ...]
    efforts: tuple[str, ...]
    default_effort: str
    rejected_params: dict[str, str] = field(default_factory=dict)
    fine_tuning_methods: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def tier(self, n: int) -> TierLimit:
        """The limits of usage tier ``n`` (1-5)."""
        for t in self.tiers:
            if t.tier == n:
                return t
        raise KeyError(n)


def _p(i: str, c: str, o: str) -> Price:
    return Price(Decimal(i), Decimal(c), Decimal(o))


# Parameters a reasoning model refuses, with what to do instead.
REASONING_REJECTED = {
    "temperature": "reasoning models accept only the default; leave it out",
    "top_p": "reasoning models accept only the default; leave it out",
    "presence_penalty": "not supported by reasoning models; leave it out",
    "frequency_penalty": "not supported by reasoning models; leave it out",
    "logprobs": "not supported by reasoning models; leave it out",
    "top_logprobs": "not supported by reasoning models; leave it out",
    "logit_bias": "not supported by reasoning models; leave it out",
    "max_tokens": "use --max-output (max_completion_tokens / max_output_tokens)",
    "stop": "not supported by o3 and o4-mini; trim the answer afterwards",
    "parallel_tool_calls": "rejected even when false; leave it out",
}

O4_MINI = Model(
    id="o4-mini",
    snapshot="o4-mini-2025-04-16",
    aliases=("o4-mini",),
    description="Fast, cost-efficient reasoning model (succeeded by GPT-5 mini)",
    context_window=200_000,
    max_output=100_000,
    knowledge_cutoff="2024-06-01",
    input_modalities=("text", "image"),
    output_modalities=("text",),
    endpoints=(
        "/v1/responses",
        "/v1/chat/completions",
        "/v1/batches",
        "/v1/fine_tuning/jobs",
    ),
    features={
        "streaming": True,
        "function_calling": True,
        "structured_outputs": True,
        "fine_tuning": True,
        "image_input": True,
        "prompt_caching": True,
        "reasoning_summaries": True,
        "distillation": False,
        "predicted_outputs": False,
    },
    prices={
        "standard": _p("1.10", "0.275", "4.40"),
        # The pricing page lists no cached batch rate for o4-mini (unconfirmed): half
        # of standard, like every other batch price.
        "batch": _p("0.55", "0.1375", "2.20"),
        "flex": _p("0.55", "0.1375", "2.20"),
    },
    fine_tuned_prices={
        "standard": _p("4.00", "1.00", "16.00"),
        "batch": _p("2.00", "0.50", "8.00"),
        "flex": _p("2.00", "0.50", "8.00"),
    },
    tiers=(
        TierLimit(1, 1_000, 100_000, 1_000_000),
        TierLimit(2, 2_000, 2_000_000, 2_000_000),
        TierLimit(3, 5_000, 4_000_000, 40_000_000),
        TierLimit(4, 10_000, 10_000_000, 1_000_000_000),
        TierLimit(5, 30_000, 150_000_000, 15_000_000_000),
    ),
    efforts=("low", "medium", "high"),
    default_effort="medium",
    rejected_params=REASONING_REJECTED,
    fine_tuning_methods=("reinforcement",),
    notes=(
        "Reasoning tokens are billed as output and count against max output.",
        "Reserve about 25,000 output tokens, or reasoning may use the whole budget and leave an empty answer.",
        "Reinforcement fine-tuning is billed at $100 per training hour plus grader tokens.",
    ),
)

MODELS: tuple[Model, ...] = (O4_MINI,)

_FINE_TUNED = re.compile(r"^ft:(?P<base>[^:]+)(:|$)")


def find(model_id: str) -> Model | None:
    """The catalog entry for an id, alias, snapshot or fine-tuned model name."""
    base = model_id
    m = _FINE_TUNED.match(model_id)
    if m:
        base = m.group("base")
    for model in MODELS:
        if base == model.id or base == model.snapshot or base in model.aliases:
            return model
    return None


def is_fine_tuned(model_id: str) -> bool:
    return bool(_FINE_TUNED.match(model_id))


def price_for(model_id: str, mode: str = "standard") -> Price | None:
    """Per-1M-token prices for a model in a pricing mode; None when unknown."""
    if mode not in MODES:
        raise ValueError(f"unknown pricing mode {mode!r}")
    model = find(model_id)
    if model is None:
        return None
    table = model.fine_tuned_prices if is_fine_tuned(model_id) else model.prices
    return table.get(mode)


def known_ids() -> list[str]:
    """Every id the catalog answers to."""
    ids: list[str] = []
    for model in MODELS:
        for name in (model.id, model.snapshot, *model.aliases):
            if name not in ids:
                ids.append(name)
    return ids
