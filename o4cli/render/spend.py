"""How spend looks: budget lines, the bar chart of ``o4 usage``, its Markdown table, and
``o4 usage reconcile``."""

from __future__ import annotations

from typing import Any

from o4cli.core.budget import PERIODS
from o4cli.render import Out
from o4cli.render.text import usd


def budgets(out: Out, standings: list[Any], profile: str) -> None:
    """One line a budget on stderr: spent (and in flight), the budget, what is left."""
    for s in standings:
        pending = f" ({usd(s.pending)} of it in flight or in open batches)" if s.pending else ""
        out.note(
            f"{s.budget.period} budget of profile '{profile}': {usd(s.spent)} of {usd(s.budget.limit)} spent "
            f"{PERIODS[s.budget.period]}{pending} · {usd(s.left)} left"
        )
