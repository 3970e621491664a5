from decimal import Decimal

import pytest

from o4cli.core import catalog


@pytest.mark.parametrize("name", ["o4-mini", "o4-mini-2025-04-16", "ft:o4-mini-2025-04-16:org:sfx:id1"])
def test_every_name_of_o4_mini_finds_it(name):
    assert catalog.find(name).id == "o4-mini"


def test_o4_mini_facts():
    m = catalog.find("o4-mini")
    assert (m.snapshot, m.context_window, m.max_output, m.knowledge_cutoff) == (
        "o4-mini-2025-04-16",
        200_000,
        100_000,
        "2024-06-01",
    )
    assert m.input_modalities == ("text", "image") and m.output_modalities == ("text",)
    assert m.features["streaming"] and m.features["function_calling"] and m.features["structured_outputs"]
    assert m.features["fine_tuning"]
    assert not m.features["distillation"] and not m.features["predicted_outputs"]
    assert m.prices["standard"] == catalog.Price(Decimal("1.10"), Decimal("0.275"), Decimal("4.40"))
    for mode in ("batch", "flex"):
        p = m.prices[mode]
        assert (p.input, p.output) == (Decimal("0.55"), Decimal("2.20"))
    assert m.tier(1) == catalog.TierLimit(1, 1_000, 100_000, 1_000_000)
    assert m.tier(5) == catalog.TierLimit(5, 30_000, 150_000_000, 15_000_000_000)
    for param in ("temperature", "top_p", "max_tokens", "stop", "parallel_tool_calls"):
        assert param in m.rejected_params


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError):
        catalog.price_for("o4-mini", "cheap")
