"""How spend looks: budget lines, the bar chart of ``o4 usage``, its Markdown table, and
``o4 usage reconcile``."""

from __future__ import annotations

from typing import Any

from o4cli.core.budget import PERIODS
from o4cli.render import Out
from o4cli.render.text import safe, usd


def budgets(out: Out, standings: list[Any], profile: str) -> None:
    """One line a budget on stderr: spent (and in flight), the budget, what is left."""
    for s in standings:
        pending = f" ({usd(s.pending)} of it in flight or in open batches)" if s.pending else ""
        out.note(
            f"{s.budget.period} budget of profile '{profile}': {usd(s.spent)} of {usd(s.budget.limit)} spent "
            f"{PERIODS[s.budget.period]}{pending} · {usd(s.left)} left"
        )


def chart(out: Out, report: Any) -> None:
    """A bar a group (day or model), as long as its share of the largest cost (terminal only)."""
    from rich.table import Table
    from rich.text import Text

    con = out.console()
    groups = list(report.groups.items())
    top = max((t.cost_usd for _, t in groups), default=0) or 1
    labels = [safe(k) for k, _ in groups]
    money = [usd(t.cost_usd) for _, t in groups]
    room = max(10, con.width - max(map(len, labels)) - max(map(len, money)) - 6)
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    for label, amount, (_, t) in zip(labels, money, groups, strict=True):
        cells = round(room * float(t.cost_usd / top) * 8)  # eighths of a cell: smooth bar ends
        bar = "█" * (cells // 8) + ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")[cells % 8]
        table.add_row(label, Text(bar or "·", style="cyan"), amount)
    con.print(f"[bold]cost by {report.by}[/]")
    con.print(table)


def _md(value: Any) -> str:
    return safe(str(value)).replace("|", "\\|")


def markdown(out: Out, report: Any, standings: list[Any], since: str | None, profile: str) -> None:
    """The report as a Markdown table (a CI job summary), budgets as a list under it."""
    lines = [f"### o4 usage{' since ' + _md(since) if since else ''}", ""]
    if not report.groups:
        lines.append("No calls recorded.")
    else:
        lines.append(f"| {_md(report.by)} | requests | input | cached | output | reasoning | cost |")
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for key, t in (*report.groups.items(), ("**total**", report.total)):
            cells = (t.requests, t.input_tokens, t.cached_tokens, t.output_tokens, t.reasoning_tokens)
            lines.append(f"| {key if key == '**total**' else _md(key)} | " + " | ".join(f"{n:,}" for n in cells)
                         + f" | {usd(t.cost_usd)} |")  # fmt: skip
    if standings:
        lines.append("")
        for s in standings:
            lines.append(
                f"- {s.budget.period} budget of profile `{_md(profile)}`: {usd(s.spent)} of {usd(s.budget.limit)} "
                f"spent {PERIODS[s.budget.period]}, {usd(s.left)} left"
            )
    out.write("\n".join(lines) + "\n")


def _delta(a: int, b: int) -> str:
    return f"{a - b:+,}" if a != b else "0"


def reconciliation(out: Out, rec: Any) -> None:
    """Per day and model, o4's tokens beside OpenAI's; per day, o4's dollars beside the bill;
    then, on stderr, what can and cannot be compared."""
    flag = lambda differs, mine: ("!" if mine else "~") if differs else ""  # noqa: E731
    out.table(
        ["day", "model", "pricing", "o4 in", "openai in", "Δ in", "o4 out", "openai out", "Δ out", "o4 $",
         "openai $*", ""],
        [
            (r.day, r.model, r.pricing, r.local.input_tokens, r.remote.input_tokens,
             _delta(r.local.input_tokens, r.remote.input_tokens), r.local.output_tokens, r.remote.output_tokens,
             _delta(r.local.output_tokens, r.remote.output_tokens), usd(r.local.cost_usd), usd(r.remote.cost_usd),
             flag(r.differs, r.attributable))
            for r in rec.rows
        ],
        title=f"Tokens, {rec.since} to {rec.until} (UTC)",
    )  # fmt: skip
    if not out.fancy:
        out.stdout.write("\n")
    out.table(
        ["day", "o4 $", "billed $", "Δ $", ""],
        [
            (d.day, usd(d.local_usd), usd(d.billed_usd), f"{d.local_usd - d.billed_usd:+.6f}",
             flag(d.differs, d.attributable))
            for d in rec.days
        ],
        title="Dollars a day (the Costs API)",
    )  # fmt: skip
    differs = any(r.differs for r in rec.rows) or any(d.differs for d in rec.days)
    if rec.attributable:
        verdict = f"o4 and OpenAI differ beyond {rec.percent}: rows marked ! are this ledger's own difference"
    elif differs:
        verdict = f"o4 and OpenAI differ beyond {rec.percent} only where other keys or machines may spend (~)"
    else:
        verdict = f"o4 and OpenAI agree within {rec.percent}"
    out.note(verdict)
    for note in rec.notes:
        out.note(f"note: {note}")
