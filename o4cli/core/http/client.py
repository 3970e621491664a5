"""The HTTP clients of an invocation, built from the resolved settings: one
``httpx.Client`` for commands, ``httpx.AsyncClient``s for ``batch run``; the same
headers (auth, organization, project, user agent) and timeouts for both."""

from __future__ import annotations

import platform

import httpx

from o4cli import __version__
from o4cli.core.config import Settings

CONNECT_TIMEOUT = 10.0


def user_agent() -> str:
    return f"o4cli/{__version__} (python {platform.python_version()}; httpx {httpx.__version__})"


def auth_headers(settings: Settings) -> dict[str, str]:
    """Authorization (``Bearer``, or the ``api-key`` header of Azure OpenAI with ``auth =
    "api-key"``), organization, project, user agent and the profile's fixed ``headers``.

    The key is required here, not earlier, so commands that never reach the
    network (``--dry-run``, ``models show``) work without one."""
    key = settings.require_key()
    headers = {"User-Agent": user_agent(), "Accept": "application/json"}
    if settings.auth == "api-key":
        headers["api-key"] = key
    else:
        headers["Authorization"] = f"Bearer {key}"
    if settings.organization:
        headers["OpenAI-Organization"] = settings.organization
    if settings.project:
        headers["OpenAI-Project"] = settings.project
    headers.update(settings.headers)
    return headers


def timeout(settings: Settings) -> httpx.Timeout:
    return httpx.Timeout(settings.timeout, connect=min(CONNECT_TIMEOUT, settings.timeout))


def base_url(settings: Settings) -> str:
    return settings.base_url.rstrip("/") + "/"


def build_client(settings: Settings, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """The ``httpx.Client`` of the commands: base URL, auth, org/project, timeouts."""
    return httpx.Client(
        base_url=base_url(settings),
        headers=auth_headers(settings),
        params=settings.query or None,
        timeout=timeout(settings),
        transport=transport,
        follow_redirects=False,
    )


def build_async_client(
    settings: Settings, *, connections: int, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` with the same headers, for ``batch run``'s workers."""
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(
        base_url=base_url(settings),
        headers=auth_headers(settings),
        params=settings.query or None,
        timeout=timeout(settings),
        limits=limits,
        transport=transport,
        follow_redirects=False,
    )
