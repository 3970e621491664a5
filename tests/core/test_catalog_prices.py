"""The catalog's prices against genai-prices (pydantic/genai-prices, pinned in the test extra),
an open price database of the field: a disagreement fails unless it is documented here."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from genai_prices import data

from o4cli.core import catalog

# (model, field): why the catalog differs from genai-prices. Empty today: they agree.
DOCUMENTED: dict[tuple[str, str], str] = {}

READ = datetime(2026, 12, 2, tzinfo=UTC)  # the day the catalog's prices were checked (sources.genai-prices)
OPENAI = next(p for p in data.providers if p.id == "openai")


def _theirs(model_id: str):
    for m in OPENAI.models:
        if m.is_match(model_id):
            return m.get_prices(READ)
    return None


def _base(value):
    """A flat price, or the base of a tiered one (long-context rates are compared below)."""
    return getattr(value, "base", value)


@pytest.mark.parametrize("model", [m.id for m in catalog.build(catalog._builtin(), None, None).models])
def test_standard_prices_agree_with_genai_prices(model):
    ours = catalog.build(catalog._builtin(), None, None).find(model).prices["standard"]
    theirs = _theirs(model)
    assert theirs is not None, f"genai-prices does not know {model}: document it in DOCUMENTED"
    for field, mine, other in (
        ("input", ours.input, theirs.input_mtok),
        ("cached_input", ours.cached_input, theirs.cache_read_mtok),
        ("output", ours.output, theirs.output_mtok),
    ):
        if (model, field) in DOCUMENTED:
            continue
        assert Decimal(mine) == Decimal(_base(other)), f"{model} {field}: catalog {mine}, genai-prices {_base(other)}"
    if ours.long is not None:  # long-context rates: genai-prices' tier above the same threshold
        tier = theirs.input_mtok.tiers[0]
        assert (ours.long_above, ours.long.input) == (tier.start, tier.price)
        assert ours.long.output == theirs.output_mtok.tiers[0].price


def test_every_documented_disagreement_is_still_one():
    """A note that no longer explains anything is removed, not kept."""
    cat = catalog.build(catalog._builtin(), None, None)
    for (model, field), why in DOCUMENTED.items():
        ours = getattr(cat.find(model).prices["standard"], field)
        other = {"input": "input_mtok", "cached_input": "cache_read_mtok", "output": "output_mtok"}[field]
        assert Decimal(ours) != Decimal(_base(getattr(_theirs(model), other))), why
