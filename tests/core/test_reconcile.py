"""The rules of reconcile, in-process: tolerance, whose difference it is, model spellings."""

from decimal import Decimal

import pytest

from o4cli.core import reconcile
from o4cli.core.errors import UsageError

DAY = 1796169600  # 2026-12-02 00:00 UTC


@pytest.mark.parametrize(("text", "value"), [("1%", Decimal("0.01")), ("0.05", Decimal("0.05")), ("0", Decimal(0))])
def test_tolerance(text, value):
    assert reconcile.parse_tolerance(text) == value


@pytest.mark.parametrize("text", ["lots", "100%", "-1%", "1.5", "nan"])
def test_bad_tolerance(text):
    with pytest.raises(UsageError):
        reconcile.parse_tolerance(text)


def local(model="o4-mini-2025-04-16", inp=1000, out=100, cost="0.00154", pricing="standard"):
    return {"created_at": "2026-12-02T10:00:00+00:00", "model": model, "pricing": pricing, "input_tokens": inp,
            "cached_tokens": 0, "output_tokens": out, "cost_usd": cost}  # fmt: skip


def bucket(*results):
    return {"object": "bucket", "start_time": DAY, "end_time": DAY + 86400, "results": list(results)}


def usage(model="o4-mini-2025-04-16", inp=1000, out=100, batch=False, tier="default"):
    return {"object": "organization.usage.completions.result", "input_tokens": inp, "output_tokens": out,
            "input_cached_tokens": 0, "num_model_requests": 1, "model": model, "batch": batch, "service_tier": tier}  # fmt: skip


def costs(value):
    return bucket({"object": "organization.costs.result", "amount": {"value": value, "currency": "usd"},
                   "line_item": "o4-mini-2025-04-16, input"})  # fmt: skip


def run(locals_, remote, billed, **kw):
    return reconcile.compare(locals_, [bucket(*remote)], [costs(billed)], since="2026-12-01", until="2026-12-02",
                             tolerance=Decimal("0.01"), **kw)  # fmt: skip


def test_snapshot_and_alias_are_one_model_and_batch_and_flex_are_their_own_rows():
    rec = run([local(model="o4-mini"), local(pricing="batch", cost="0.00077")],
              [usage(), usage(batch=True), usage(tier="flex", inp=5)], 0.0000055 + 0.00154 + 0.00077)  # fmt: skip
    assert [(r.model, r.pricing, r.differs) for r in rec.rows] == [
        ("o4-mini", "batch", False), ("o4-mini", "flex", True), ("o4-mini", "standard", False)
    ]
    assert rec.rows[1].attributable is False  # OpenAI saw more: maybe another key's
    assert rec.days[0].differs is False and rec.error is None


def test_o4_counting_more_is_attributable_openai_more_only_for_a_named_key():
    assert run([local(inp=2000)], [usage()], 0.00154).rows[0].attributable is True
    assert run([local()], [usage(inp=2000)], 0.00154).rows[0].attributable is False
    rec = run([local()], [usage(inp=2000)], 0.00154, api_key_id="key_x")
    assert rec.rows[0].attributable is True and "1 difference beyond the tolerance of 1%" in rec.error.message


def test_within_tolerance_is_agreement():
    assert not run([local(inp=1000)], [usage(inp=1009)], 0.00154).rows[0].differs
    assert run([local(inp=1000)], [usage(inp=1011)], 0.00154).rows[0].differs
