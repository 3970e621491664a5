"""What the API says about models: ``GET /models`` and ``GET /models/{id}``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from o4cli.core.errors import ServerError

if TYPE_CHECKING:
    from o4cli.core.http.api import Api


def list_models(api: Api) -> list[dict[str, Any]]:
    """``GET /models``: the models this key can use."""
    body = api.request_json("GET", "models")
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        raise ServerError("GET /models answered without a 'data' list")
    return [m for m in data if isinstance(m, dict)]


def get_model(api: Api, model_id: str) -> dict[str, Any]:
    """``GET /models/{id}``."""
    from o4cli.core.http.api import segment

    body = api.request_json("GET", f"models/{segment(model_id, what='model')}")
    if not isinstance(body, dict):
        raise ServerError(f"GET /models/{model_id} answered with something not an object")
    return body


@dataclass(frozen=True)
class ModelFacts:
    """What o4 knows of one model: its catalog entry and (with ``--remote``) the API's word."""

    model_id: str
    entry: Any  # catalog.Model | None
    remote: dict[str, Any] | None
    tier: int
    catalog: Any  # catalog.Catalog
    today: Any  # datetime.date


def show(rt: Any, model_id: str | None, *, remote: bool) -> ModelFacts:
    """``o4 models show``: the profile's model when none is given; refused when neither the
    catalog nor (with ``remote``) the API knows it."""
    from o4cli.core import catalog
    from o4cli.core.errors import UsageError

    model_id = model_id or rt.settings.model
    cat = catalog.active()
    entry = cat.find(model_id)
    remote_model = get_model(rt.api, model_id) if remote else None
    if entry is None and remote_model is None:
        raise UsageError(
            f"'{model_id}' is not in o4's catalog (known: {', '.join(m.id for m in cat.models)})",
            hint="add --remote to ask the API about it, or add it to models.toml (README 'Models')",
        )
    return ModelFacts(model_id, entry, remote_model, rt.settings.tier, cat, catalog.today())


def listing(rt: Any, *, remote: bool) -> list[dict[str, Any]]:
    """``o4 models list``: the catalog's models with their status; with ``remote``, merged
    with what ``GET /models`` says (its ``shutdown_date`` too)."""
    from o4cli.core import catalog
    from o4cli.core.documents import models as documents

    remote_models = list_models(rt.api) if remote else None
    return documents.listing(catalog.active(), remote_models, catalog.today())
