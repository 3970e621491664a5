"""The HTTP clients of an invocation, built from the resolved settings: one
``httpx.Client`` for commands, and ``batch run``'s senders (``async_sender``); the same
headers (auth, organization, project, user agent) and timeouts for all.

TLS is set up only for an ``https`` base URL: loading certifi's CA bundle costs tens of
milliseconds, a third of a one-off ``o4 ask`` against a local ``http`` server.
"""

from __future__ import annotations

import os
import ssl
import sys
from collections.abc import Mapping
from typing import Any

import httpx

from o4cli import __version__
from o4cli.core.config import Settings
from o4cli.core.http.h1 import H1Pool, Reply

CONNECT_TIMEOUT = 10.0
PER_CLIENT = 8  # connections an httpx.AsyncClient holds at most: its pool's scan is quadratic in them
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy")


def user_agent() -> str:
    python = ".".join(map(str, sys.version_info[:3]))  # platform.python_version(), without importing platform
    return f"o4cli/{__version__} (python {python}; httpx {httpx.__version__})"


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


def tls(settings: Settings) -> ssl.SSLContext:
    """The TLS context: httpx's default (certifi, or SSL_CERT_FILE / SSL_CERT_DIR) for an
    ``https`` base URL; for ``http`` one that trusts no certificate, so nothing is loaded
    and a request that somehow went to an https URL would fail rather than go unverified."""
    if settings.base_url.lower().startswith("https:"):
        return httpx.create_ssl_context()
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def build_client(settings: Settings, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """The ``httpx.Client`` of the commands: base URL, auth, org/project, timeouts."""
    return httpx.Client(
        base_url=base_url(settings),
        headers=auth_headers(settings),
        params=settings.query or None,
        timeout=timeout(settings),
        transport=transport,
        verify=tls(settings),
        follow_redirects=False,
    )


def proxied(env: Mapping[str, str]) -> bool:
    """Whether the environment names a proxy (httpx would use it; the H1 pool cannot)."""
    return any(env.get(name) or env.get(name.upper()) for name in PROXY_VARIABLES)


def async_sender(
    settings: Settings,
    *,
    connections: int,
    transport: httpx.AsyncBaseTransport | None = None,
    env: Mapping[str, str] = os.environ,
) -> H1Pool | HttpxSender:
    """What ``batch run`` sends with: the H1 pool (``http.h1``) for a direct connection;
    httpx when a proxy is in the environment (read where httpx reads it: ``os.environ``)
    or a transport is given (tests)."""
    if transport is None and not proxied(env):
        return H1Pool(
            base_url(settings),
            auth_headers(settings),
            timeout=settings.timeout,
            connect_timeout=min(CONNECT_TIMEOUT, settings.timeout),
            ssl_context=tls(settings),
            query=settings.query,
        )
    return HttpxSender(settings, connections=connections, transport=transport)


class HttpxSender:
    """``batch run``'s requests over httpx: several ``AsyncClient``s of at most PER_CLIENT
    connections each (one client's pool costs CPU quadratic in its connections), each
    request on the client with the fewest in flight, one TLS context for all."""

    def __init__(
        self, settings: Settings, *, connections: int, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.settings, self.transport = settings, transport
        self.connections = connections
        self.base_url = base_url(settings)
        self.host = httpx.URL(self.base_url).host
        self._tls = tls(settings) if transport is None else None
        self._clients: list[httpx.AsyncClient] = []
        self._busy: list[int] = []

    async def __aenter__(self) -> HttpxSender:
        return self

    async def __aexit__(self, *exc: object) -> None:
        for client in self._clients:
            await client.aclose()

    def url(self, path: str) -> str:
        return self.base_url + path

    def _pick(self) -> int:
        if self._clients:
            i = min(range(len(self._clients)), key=self._busy.__getitem__)
            if self._busy[i] < PER_CLIENT:
                return i
        limits = httpx.Limits(max_connections=PER_CLIENT, max_keepalive_connections=PER_CLIENT)
        extra: dict[str, Any] = {"transport": self.transport} if self.transport else {"verify": self._tls}
        self._clients.append(
            httpx.AsyncClient(
                base_url=self.base_url,
                headers=auth_headers(self.settings),
                params=self.settings.query or None,
                timeout=timeout(self.settings),
                limits=limits,
                follow_redirects=False,
                **extra,
            )
        )
        self._busy.append(0)
        return len(self._clients) - 1

    async def post(self, path: str, body: bytes) -> Reply:
        i = self._pick()
        self._busy[i] += 1
        try:
            resp = await self._clients[i].post(path, content=body, headers={"Content-Type": "application/json"})
        finally:
            self._busy[i] -= 1
        return Reply(
            resp.status_code, {k.lower(): v for k, v in resp.headers.items()}, resp.content, str(resp.request.url)
        )
