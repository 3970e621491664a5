"""The documents of ``o4 models``."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from o4cli.core import catalog
from o4cli.core.documents import price


def _remote(m: dict[str, Any]) -> dict[str, Any]:
    out = dict(m)
    created = m.get("created")
    if isinstance(created, (int, float)):
        out["created_date"] = datetime.fromtimestamp(created, UTC).date().isoformat()
    return out


def listing(models: tuple[catalog.Model, ...], remote: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """``models list``: one row per catalog model (and per remote model when ``remote`` is given).

    ``available`` is None without ``remote``; else whether the API lists the model.
    """
    remote_ids = {m.get("id") for m in remote or []}
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for model in models:
        for mid in (model.id, model.snapshot):
            if mid in seen:
                continue
            seen.add(mid)
            rows.append(
                {
                    "id": mid,
                    "in_catalog": True,
                    "context_window": model.context_window,
                    "max_output": model.max_output,
                    "price": price(model.prices["standard"]),
                    "available": (mid in remote_ids) if remote is not None else None,
                }
            )
    for m in remote or []:
        mid = m.get("id")
        if not isinstance(mid, str) or mid in seen:
            continue
        seen.add(mid)
        entry = catalog.find(mid)
        known = catalog.price_for(mid) if entry else None
        rows.append(
            {
                "id": mid,
                "in_catalog": entry is not None,
                "context_window": entry.context_window if entry else None,
                "max_output": entry.max_output if entry else None,
                "price": price(known) if known else None,
                "available": True,
                "owned_by": m.get("owned_by"),
            }
        )
    return rows


def show(
    model_id: str,
    entry: catalog.Model | None,
    remote: dict[str, Any] | None,
    *,
    tier: int,
) -> dict[str, Any]:
    """``models show``: everything known about one model."""
    view: dict[str, Any] = {"id": model_id, "in_catalog": entry is not None, "profile_tier": tier}
    if entry is not None:
        fine_tuned = catalog.is_fine_tuned(model_id)
        prices = entry.fine_tuned_prices if fine_tuned else entry.prices
        view.update(
            {
                "base_model": entry.id,
                "snapshot": entry.snapshot,
                "aliases": list(entry.aliases),
                "fine_tuned": fine_tuned,
                "description": entry.description,
                "context_window": entry.context_window,
                "max_output": entry.max_output,
                "knowledge_cutoff": entry.knowledge_cutoff,
                "input_modalities": list(entry.input_modalities),
                "output_modalities": list(entry.output_modalities),
                "endpoints": list(entry.endpoints),
                "features": dict(entry.features),
                "reasoning_efforts": list(entry.efforts),
                "default_effort": entry.default_effort,
                "fine_tuning_methods": list(entry.fine_tuning_methods),
                "prices": {mode: price(p) for mode, p in prices.items()},
                "rate_limits": [asdict(t) for t in entry.tiers],
                "rejected_parameters": dict(entry.rejected_params),
                "notes": list(entry.notes),
            }
        )
    if remote is not None:
        view["remote"] = _remote(remote)
    return view
