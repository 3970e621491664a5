from decimal import Decimal

import pytest

from o4cli.core import catalog
from o4cli.core.cost import Usage, cost, format_usd, worst_case

STANDARD = catalog.price_for("o4-mini", "standard")
BATCH = catalog.price_for("o4-mini", "batch")
FLEX = catalog.price_for("o4-mini", "flex")


@pytest.mark.parametrize(
    ("usage", "price", "expected"),
    [
        # 750,000 x 1.10 + 250,000 x 0.275 + 100,000 x 4.40, per million
        (Usage(1_000_000, 250_000, 100_000, 60_000), STANDARD, Decimal("1.33375")),
        # the usage of the design's example line: 180 x 1.10 + 1,024 x 0.275 + 812 x 4.40
        (Usage(1_204, 1_024, 812, 640), STANDARD, Decimal("0.0040524")),
        (Usage(1_000_000, 0, 0), STANDARD, Decimal("1.10")),
        (Usage(0, 0, 1_000_000), STANDARD, Decimal("4.40")),
        (Usage(1_000_000, 1_000_000, 0), STANDARD, Decimal("0.275")),
        # batch and flex are half of standard
        (Usage(1_000_000, 250_000, 100_000), BATCH, Decimal("0.666875")),
        (Usage(1_000_000, 250_000, 100_000), FLEX, Decimal("0.666875")),
        (Usage(1, 0, 1), STANDARD, Decimal("0.0000055")),
        (Usage(), STANDARD, Decimal("0")),
    ],
)
def test_cost_is_exact(usage, price, expected):
    assert cost(usage, price) == expected


def test_reasoning_tokens_are_not_billed_twice():
    # output_tokens already includes reasoning: 640 more reasoning tokens change nothing
    assert cost(Usage(100, 0, 812, 0), STANDARD) == cost(Usage(100, 0, 812, 640), STANDARD)


def test_fine_tuned_model_uses_fine_tuned_price():
    price = catalog.price_for("ft:o4-mini-2025-04-16:acme:triage:abc123")
    assert cost(Usage(1_000_000, 0, 1_000_000), price) == Decimal("20.00")


def test_unknown_model_has_no_price():
    assert catalog.price_for("gpt-9") is None
    assert format_usd(None) == "unpriced"


def test_format_usd_rounds_to_the_micro_dollar():
    assert format_usd(Decimal("0.0039688")) == "$0.003969"
    assert format_usd(Decimal("1.33375")) == "$1.333750"
    assert format_usd(Decimal("1234.5")) == "$1,234.500000"


def test_worst_case_counts_all_input_uncached_and_the_whole_output_budget():
    assert worst_case(10_000, 25_000, STANDARD) == Decimal("0.121")


def test_usage_from_both_apis():
    responses = {
        "input_tokens": 1204,
        "input_tokens_details": {"cached_tokens": 1024},
        "output_tokens": 812,
        "output_tokens_details": {"reasoning_tokens": 640},
    }
    chat = {
        "prompt_tokens": 1204,
        "prompt_tokens_details": {"cached_tokens": 1024},
        "completion_tokens": 812,
        "completion_tokens_details": {"reasoning_tokens": 640},
    }
    assert Usage.from_api(responses) == Usage.from_api(chat) == Usage(1204, 1024, 812, 640)
    assert Usage.from_api(None) == Usage()
