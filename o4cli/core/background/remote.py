"""The background endpoints of the Responses API (spec: ``getResponse``, ``cancelResponse``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from o4cli.core.errors import ServerError
from o4cli.core.http.api import Api, segment


def path(response_id: str) -> str:
    """``responses/ID``, the id checked and encoded (it must look like ``resp_...``)."""
    return f"responses/{segment(response_id, what='response id', prefix='resp_')}"


def _object(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ServerError(f"{what} answered with something not a response object")
    return data


def retrieve(api: Api, response_id: str) -> dict[str, Any]:
    """The response as it is now."""
    return _object(api.request_json("GET", path(response_id)), f"GET /v1/responses/{response_id}")


def cancel(api: Api, response_id: str) -> dict[str, Any]:
    """Cancel it (the API's answer: the response, cancelled or already final; cancelling
    twice returns the final response, so a retry is safe)."""
    return _object(api.request_json("POST", path(response_id) + "/cancel"), f"POST /v1/responses/{response_id}/cancel")


@contextmanager
def stream(api: Api, response_id: str, after: int | None, timeout: float | None = None) -> Iterator[httpx.Response]:
    """Its events again, from the one after sequence number ``after`` (all of them
    without it); only a response created with ``stream: true`` can be streamed again."""
    params = {"stream": "true"}
    if after is not None:
        params["starting_after"] = str(after)
    extra: dict[str, Any] = {} if timeout is None else {"timeout": httpx.Timeout(timeout, connect=min(timeout, 10.0))}
    with api.stream("GET", path(response_id), params=params, **extra) as resp:
        yield resp
