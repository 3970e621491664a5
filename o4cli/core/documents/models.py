"""The documents of ``o4 models``."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any

from o4cli.core import catalog
from o4cli.core.documents import price

# The facts ``models show`` gives a source for, in the order it shows them.
FACTS = (
    "snapshot", "description", "tokenizer", "context_window", "max_output", "knowledge_cutoff", "input_modalities",
    "output_modalities", "endpoints", "efforts", "verbosity", "rejected", "fine_tuning_methods", "image_tokens",
    "prices", "fine_tuned_prices", "tiers", "lifecycle.released", "lifecycle.deprecated", "lifecycle.shutdown",
    "lifecycle.substitute",
)  # fmt: skip


def _remote(m: dict[str, Any]) -> dict[str, Any]:
    out = dict(m)
    created = m.get("created")
    if isinstance(created, (int, float)):
        out["created_date"] = datetime.fromtimestamp(created, UTC).date().isoformat()
    return out


def _day(value: Any) -> date | None:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def lifecycle(model: catalog.Model | None, remote: dict[str, Any] | None, today: date) -> dict[str, Any]:
    """A model's life: the catalog's dates, ``GET /models``'s ``shutdown_date`` over them
    (the API is the live word), the status today, and which facts are unconfirmed."""
    life = model.lifecycle if model else catalog.Lifecycle()
    shutdown, source = life.shutdown, "catalog" if model else None
    remote_day = _day((remote or {}).get("shutdown_date"))
    if remote_day is not None:
        shutdown, source = remote_day, "GET /models"
    merged = catalog.Lifecycle(life.released, life.deprecated, shutdown, life.substitute)
    unconfirmed = (
        [k for k in ("released", "deprecated", "shutdown", "substitute") if model.is_unconfirmed(f"lifecycle.{k}")]
        if model
        else []
    )
    if source == "GET /models":
        unconfirmed = [k for k in unconfirmed if k != "shutdown"]
    return {
        "status": merged.status(today),
        "released": life.released.isoformat() if life.released else None,
        "deprecated": life.deprecated.isoformat() if life.deprecated else None,
        "shutdown": shutdown.isoformat() if shutdown else None,
        "shutdown_source": source if shutdown else None,
        "substitute": life.substitute,
        "unconfirmed": unconfirmed,
    }


def listing(cat: catalog.Catalog, remote: list[dict[str, Any]] | None, today: date) -> list[dict[str, Any]]:
    """``models list``: one row per catalog model, then (with ``remote``) one per model the
    API offers that the catalog lacks. ``available`` is None without ``remote``; else
    whether the API lists the model (or one of its snapshots)."""
    by_model: dict[str, dict[str, Any]] = {}
    extra: list[dict[str, Any]] = []
    for m in remote or []:
        mid = m.get("id")
        if not isinstance(mid, str):
            continue
        entry = cat.find(mid)
        if entry is None:
            extra.append(m)
        elif mid == entry.id or entry.id not in by_model:
            by_model[entry.id] = m
    rows: list[dict[str, Any]] = []
    for model in cat.models:
        r = by_model.get(model.id)
        std = model.prices.get("standard")
        rows.append(
            {
                "id": model.id,
                "snapshot": model.snapshot,
                "in_catalog": True,
                "lifecycle": lifecycle(model, r, today),
                "context_window": model.context_window,
                "max_output": model.max_output,
                "price": price(std) if std else None,
                "price_unconfirmed": model.is_unconfirmed("prices.standard"),
                "user_fields": sorted(model.user_fields),
                "available": (r is not None) if remote is not None else None,
                "owned_by": r.get("owned_by") if r else None,
            }
        )
    for m in extra:
        rows.append(
            {
                "id": m["id"],
                "snapshot": None,
                "in_catalog": False,
                "lifecycle": lifecycle(None, m, today),
                "context_window": None,
                "max_output": None,
                "price": None,
                "price_unconfirmed": False,
                "user_fields": [],
                "available": True,
                "owned_by": m.get("owned_by"),
            }
        )
    return rows


def _source(cat: catalog.Catalog, sid: str | None) -> dict[str, Any] | None:
    src = cat.sources.get(sid or "")
    return {"id": src.id, "title": src.title, "url": src.url, "read": src.read} if src else None


def show(
    model_id: str,
    entry: catalog.Model | None,
    remote: dict[str, Any] | None,
    *,
    tier: int,
    today: date,
    cat: catalog.Catalog,
) -> dict[str, Any]:
    """``models show``: everything known about one model, each fact's source, what is
    unconfirmed and what the user's models.toml set."""
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
                "tokenizer": entry.tokenizer,
                "context_window": entry.context_window,
                "max_output": entry.max_output,
                "knowledge_cutoff": entry.knowledge_cutoff,
                "input_modalities": list(entry.input_modalities),
                "output_modalities": list(entry.output_modalities),
                "endpoints": list(entry.endpoints),
                "features": dict(entry.features),
                "reasoning_efforts": list(entry.efforts),
                "default_effort": entry.default_effort,
                "verbosity": list(entry.verbosity),
                "fine_tuning_methods": list(entry.fine_tuning_methods),
                "image_tokens": entry.image_tokens,
                "prices": {mode: price(p) for mode, p in prices.items()},
                "rate_limits": [asdict(t) for t in entry.tiers],
                "rejected_parameters": dict(entry.rejected_params),
                "notes": list(entry.notes),
                "lifecycle": lifecycle(entry, remote, today),
                "unconfirmed": sorted(entry.unconfirmed),
                "user_fields": sorted(entry.user_fields),
                "sources": {fact: _source(cat, entry.source_of(fact)) for fact in FACTS},
            }
        )
    elif remote is not None:
        view["lifecycle"] = lifecycle(None, remote, today)
    if remote is not None:
        view["remote"] = _remote(remote)
    return view
