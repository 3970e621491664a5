"""``render.text``: money, durations, the summary line, a bar, fitting a line."""

from __future__ import annotations

from decimal import Decimal

import pytest

from o4cli.core import catalog
from o4cli.core.cost import Usage, cost
from o4cli.render.text import bar, duration, fit, summary_line, usd, usd_plain

EXAMPLE = Usage(input_tokens=1204, cached_tokens=1024, output_tokens=812, reasoning_tokens=640)


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (Decimal("0.0040524"), "$0.004052"),
        (Decimal("0.0039688"), "$0.003969"),
        (Decimal("0.0000005"), "$0.000001"),  # half up
        (Decimal("0"), "$0.000000"),
        (Decimal("1.33375"), "$1.333750"),
        (Decimal("1234.5"), "$1,234.500000"),
        (None, "unpriced"),
    ],
)
def test_usd(amount, text):
    assert usd(amount) == text


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (Decimal("0.0040524"), "0.004052"),
        (Decimal("1234.5"), "1234.500000"),  # no separators, no $, for pipes
        (Decimal("0.0000005"), "0.000001"),
        (Decimal("0"), "0.000000"),
        (None, "-"),
    ],
)
def test_usd_plain(amount, text):
    assert usd_plain(amount) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (59, "59 s"),
        (59.9, "59 s"),
        (60, "1m 00s"),
        (187, "3m 07s"),
        (3599, "59m 59s"),
        (3600, "1h 00m"),
        (7260, "2h 01m"),
        (90_000, "25h 00m"),
        (-5, "0 s"),
        (None, "-"),
    ],
)
def test_duration(seconds, text):
    assert duration(seconds) == text


STANDARD = catalog.price_for("o4-mini", "standard")
FLEX = catalog.price_for("o4-mini", "flex")


@pytest.mark.parametrize(
    ("kwargs", "price", "line"),
    [
        # the README's example line
        ({}, STANDARD, "o4-mini · in 1,204 (1,024 cached) · out 812 (640 reasoning) · $0.004052 · 6.1 s · 133 tok/s"),
        (
            {"pricing": "flex"},
            FLEX,
            "o4-mini · in 1,204 (1,024 cached) · out 812 (640 reasoning) · $0.002026 flex · 6.1 s · 133 tok/s",
        ),
        (
            {"estimated": True},
            STANDARD,
            "o4-mini · in ~1,204 (1,024 cached) · out ~812 (640 reasoning) · ~$0.004052 (estimated)"
            " · 6.1 s · 133 tok/s",
        ),
        (
            {"pricing": "flex", "estimated": True},
            FLEX,
            "o4-mini · in ~1,204 (1,024 cached) · out ~812 (640 reasoning) · ~$0.002026 flex (estimated)"
            " · 6.1 s · 133 tok/s",
        ),
    ],
    ids=["standard", "flex", "estimated", "flex-estimated"],
)
def test_summary_line(kwargs, price, line):
    assert summary_line("o4-mini", EXAMPLE, cost(EXAMPLE, price), 6.1, **kwargs) == line


def test_summary_line_unknown_price_and_zero_time():
    assert summary_line("gpt-9", Usage(10, 0, 5, 0), None, 0.0) == (
        "gpt-9 · in 10 (0 cached) · out 5 (0 reasoning) · unpriced · 0.0 s · 0 tok/s"
    )


@pytest.mark.parametrize(
    ("done", "total", "width", "text"),
    [
        (12, 30, 30, "[" + "█" * 12 + "░" * 18 + "] 12/30"),
        (0, 30, 10, "[" + "░" * 10 + "] 0/30"),
        (30, 30, 10, "[" + "█" * 10 + "] 30/30"),
        (1500, 3000, 10, "[█████░░░░░] 1,500/3,000"),
        (1, 3, 10, "[███░░░░░░░] 1/3"),  # rounds down: never shows more than is done
        (45, 30, 10, "[" + "█" * 10 + "] 45/30"),  # over the total: full, not wider
        (0, 0, 10, "[" + "░" * 10 + "] 0/0"),
    ],
)
def test_bar(done, total, width, text):
    assert bar(done, total, width) == text


def test_bar_default_width_is_30():
    assert bar(0, 5).count("░") == 30


PARTS = ["batch_6823c0ffee0123456789abcd", "in_progress", "1,204/5,000", "$0.402600"]
FULL = " · ".join(PARTS)


@pytest.mark.parametrize(
    ("width", "text"),
    [
        (len(FULL), FULL),
        (200, FULL),
        (len(FULL) - 1, " · ".join(PARTS[:3])),
        (len(" · ".join(PARTS[:2])), " · ".join(PARTS[:2])),
        (len(" · ".join(PARTS[:2])) - 1, PARTS[0]),
        # narrower than the id: the id is kept whole, never cut
        (10, PARTS[0]),
        (0, PARTS[0]),
    ],
)
def test_fit_drops_trailing_parts_first(width, text):
    assert fit(PARTS, width) == text


def test_fit_does_not_skip_a_long_middle_part_to_keep_a_later_one():
    parts = ["id", "x" * 50, "ok"]
    assert fit(parts, 20) == "id"


def test_fit_nothing():
    assert fit([], 10) == ""
