"""What the API says about models: ``GET /models`` and ``GET /models/{id}``."""

from __future__ import annotations

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
    body = api.request_json("GET", f"models/{model_id}")
    if not isinstance(body, dict):
        raise ServerError(f"GET /models/{model_id} answered with something not an object")
    return body
