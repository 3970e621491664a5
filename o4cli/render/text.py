"""Pure formatters of what a person reads: money, durations, the summary line, a bar,
and fitting a line of parts into a terminal's width. No I/O."""

from __future__ import annotations

import time
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from o4cli.core.cost import format_usd, micro

SEP = " · "

# Every C0 control but newline and tab, DEL, and the C1 controls: what could move the
# cursor, retitle the window or rewrite the screen if the model or the API sent it.
_CONTROLS = {c: f"\\x{c:02x}" for c in (*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F, *range(0x80, 0xA0))}


def safe(text: str) -> str:
    """Text from the model or the API, made harmless for a terminal: control characters
    (ESC, CR, BEL, ...) shown as ``\\x1b`` and the like; newlines and tabs kept."""
    return text.translate(_CONTROLS)


def usd(amount: Decimal | None) -> str:
    """``$0.003987`` (micro-dollars, thousands separated); ``unpriced`` when o4 has no price."""
    return format_usd(amount)


def usd_plain(amount: Decimal | None) -> str:
    """``0.003987`` for pipes (no $ sign, no separators); ``-`` when unknown."""
    return "-" if amount is None else f"{micro(amount):.6f}"


def per_million(amount: Decimal | None) -> str | None:
    """A price per 1M tokens as published: ``$1.10``."""
    return None if amount is None else f"${amount}"


def duration(seconds: float | None) -> str:
    """``42 s``, ``3m 07s``, ``2h 05m``; ``-`` when unknown."""
    if seconds is None:
        return "-"
    s = max(int(seconds), 0)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    return f"{s // 3600}h {s % 3600 // 60:02d}m"


def when(ts: Any) -> str:
    """A Unix timestamp as local ``YYYY-MM-DD HH:MM:SS``; ``-`` when missing."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts)) if isinstance(ts, (int, float)) else "-"


def tokens(usage: Any, *, estimated: bool = False) -> str:
    """``in 1,204 (1,024 cached) · out 812 (640 reasoning)``; ``~`` marks estimates."""
    t = "~" if estimated else ""
    return (
        f"in {t}{usage.input_tokens:,} ({usage.cached_tokens:,} cached){SEP}"
        f"out {t}{usage.output_tokens:,} ({usage.reasoning_tokens:,} reasoning)"
    )


def priced(amount: Decimal | None, pricing: str, *, estimated: bool = False) -> str:
    """``$0.004052``, ``$0.002026 flex``, ``~$0.001 (estimated)``; ``unpriced`` when o4
    has no price for the model (never a silent $0)."""
    if amount is None:
        return "unpriced"
    text = usd(amount) + ("" if pricing == "standard" else f" {pricing}")
    return ("~" + text + " (estimated)") if estimated else text


def summary_line(
    model: str, usage: Any, cost: Decimal | None, seconds: float, *, pricing: str = "standard", estimated: bool = False
) -> str:
    """``o4-mini · in 1,204 (1,024 cached) · out 812 (640 reasoning) · $0.004052 · 6.1 s · 133 tok/s``"""
    rate = usage.output_tokens / seconds if seconds > 0 else 0.0
    return SEP.join(
        [
            model,
            tokens(usage, estimated=estimated),
            priced(cost, pricing, estimated=estimated),
            f"{seconds:.1f} s",
            f"{rate:.0f} tok/s",
        ]
    )


def bar(done: int, total: int, width: int = 30) -> str:
    """``[████░░░░] 12/30``."""
    filled = min(width, int(width * done / total)) if total else 0
    return "[" + "█" * filled + "░" * (width - filled) + f"] {done:,}/{total:,}"


def fit(parts: Sequence[str], width: int) -> str:
    """Parts joined with `` · `` in at most ``width`` characters: later parts are dropped
    first, and the first part (an id, say) is never cut."""
    kept = list(parts)
    while len(kept) > 1 and len(SEP.join(kept)) > width:
        kept.pop()
    return SEP.join(kept)
