"""How models look: the catalog list and one model's facts, prices and limits."""

from __future__ import annotations

from typing import Any

from o4cli.render import Out


def listing(out: Out, rows: list[dict[str, Any]]) -> None:
    out.table(
        ["model", "context", "max output", "input $/1M", "cached $/1M", "output $/1M", "available"],
        [
            (
                r["id"],
                r["context_window"],
                r["max_output"],
                _usd(r["price"], "input"),
                _usd(r["price"], "cached_input"),
                _usd(r["price"], "output"),
                {True: "yes", False: "no", None: "-"}[r["available"]],
            )
            for r in rows
        ],
    )


def _usd(price: dict[str, Any] | None, key: str) -> str | None:
    return f"${price[key]}" if price else None


def show(out: Out, view: dict[str, Any], *, tier: int) -> None:
    facts = [("model", view["id"])]
    for key, label in (
        ("snapshot", "snapshot"),
        ("aliases", "aliases"),
        ("description", "description"),
        ("context_window", "context window"),
        ("max_output", "max output"),
        ("knowledge_cutoff", "knowledge cutoff"),
        ("input_modalities", "input"),
        ("output_modalities", "output"),
        ("endpoints", "endpoints"),
        ("reasoning_efforts", "reasoning effort"),
        ("fine_tuning_methods", "fine-tuning"),
    ):
        if key in view and view[key] not in (None, []):
            value = view[key]
            facts.append((label, ", ".join(value) if isinstance(value, list) else value))
    if view.get("remote"):
        r = view["remote"]
        facts.append(("remote", f"owned by {r.get('owned_by', '-')}, created {r.get('created_date', '-')}"))
    out.fields(facts, title=view["id"])
    if view.get("features"):
        out.table(
            ["feature", "supported"],
            [(k.replace("_", " "), v) for k, v in view["features"].items()],
            title="Features",
        )
    if view.get("prices"):
        out.table(
            ["pricing", "input $/1M", "cached $/1M", "output $/1M"],
            [
                (mode, f"${p['input']}", f"${p['cached_input']}", f"${p['output']}")
                for mode, p in view["prices"].items()
            ],
            title="Prices (USD per 1M tokens; reasoning tokens bill as output)",
        )
    if view.get("rate_limits"):
        rows = [(f"tier {t['tier']}", t["rpm"], t["tpm"], t["batch_queue_tokens"]) for t in view["rate_limits"]]
        out.table(
            ["usage tier", "RPM", "TPM", "batch queue tokens"],
            rows,
            title=f"Rate limits (this profile: tier {tier})",
            highlight_row=tier - 1,
        )
    if view.get("rejected_parameters"):
        out.table(
            ["parameter", "instead"],
            list(view["rejected_parameters"].items()),
            title="Request parameters o4 refuses for this model",
        )
