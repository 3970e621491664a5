"""Build the one ``httpx.Client`` of an invocation from the resolved settings."""

from __future__ import annotations

import platform

import httpx

from o4cli import __version__
from o4cli.core.config import Settings

CONNECT_TIMEOUT = 10.0


def user_agent() -> str:
    return f"o4cli/{__version__} (python {platform.python_version()}; httpx {httpx.__version__})"


def build_client(settings: Settings, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """An ``httpx.Client`` with base URL, auth, org/project headers and timeouts.

    The key is required here, not earlier, so commands that never reach the
    network (``--dry-run``, ``models show``) work without one.
    """
    headers = {
        "Authorization": f"Bearer {settings.require_key()}",
        "User-Agent": user_agent(),
        "Accept": "application/json",
    }
    if settings.organization:
        headers["OpenAI-Organization"] = settings.organization
    if settings.project:
        headers["OpenAI-Project"] = settings.project
    return httpx.Client(
        base_url=settings.base_url.rstrip("/") + "/",
        headers=headers,
        timeout=httpx.Timeout(settings.timeout, connect=min(CONNECT_TIMEOUT, settings.timeout)),
        transport=transport,
        follow_redirects=False,
    )
