"""The HTTP clients of an invocation, built from the resolved settings: one
``httpx.Client`` for commands, and ``batch run``'s senders (``async_sender``); the same
headers (auth, organization, project, user agent) and timeouts for all.

TLS is set up only for an ``https`` base URL: loading certifi's CA bundle costs tens of
milliseconds, a third of a one-off ``o4 ask`` against a local ``http`` server. The
commands' requests go through ``StdlibTransport`` (httpx's transport interface over the
standard library's ``http.client``, which httpx imports anyway): httpx's own transport
would import httpcore, h11 and anyio, another ~40 ms of every one-off call.
"""

from __future__ import annotations

import os
import select
import ssl
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx

from o4cli import __version__
from o4cli.core.config import Settings

if TYPE_CHECKING:  # batch run's senders import asyncio: not for a one-off call
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
    """The ``httpx.Client`` of the commands: base URL, auth, org/project, timeouts.

    A proxy in the environment still goes through httpx's own transport (httpx mounts it)."""
    context = tls(settings)
    return httpx.Client(
        base_url=base_url(settings),
        headers=auth_headers(settings),
        params=settings.query or None,
        timeout=timeout(settings),
        transport=transport or StdlibTransport(context),
        verify=context,
        follow_redirects=False,
    )


class StdlibTransport(httpx.BaseTransport):
    """httpx requests over ``http.client`` connections, one kept alive per origin.

    Failures are raised as httpx's exceptions (``ConnectError``, ``ConnectTimeout``,
    ``ReadTimeout``, ``ReadError``, ``WriteError``, ``RemoteProtocolError``), as httpx's own
    transport raises them, so ``http.api`` maps them the same way."""

    def __init__(self, ssl_context: ssl.SSLContext) -> None:
        self.ssl_context = ssl_context
        self._idle: dict[tuple[str, str, int], Any] = {}

    def _connection(self, url: httpx.URL, timeouts: dict[str, float | None]) -> Any:
        import http.client

        key = (url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80))
        conn = self._idle.pop(key, None)
        if conn is not None and conn.sock is not None and not select.select([conn.sock], [], [], 0)[0]:
            return key, conn  # idle and quiet: not closed by the server meanwhile
        if conn is not None:
            conn.close()
        host = url.raw_host.decode("ascii")
        if url.scheme == "https":
            conn = http.client.HTTPSConnection(host, key[2], timeout=timeouts.get("connect"), context=self.ssl_context)
        else:
            conn = http.client.HTTPConnection(host, key[2], timeout=timeouts.get("connect"))
        try:
            conn.connect()
        except TimeoutError:
            raise httpx.ConnectTimeout("timed out connecting") from None
        except OSError as exc:  # refused, unknown host, TLS verification (ssl.SSLError is an OSError)
            raise httpx.ConnectError(str(exc) or type(exc).__name__) from None
        conn.sock.settimeout(timeouts.get("read"))
        return key, conn

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        import http.client

        timeouts = request.extensions.get("timeout", {})
        key, conn = self._connection(request.url, timeouts)
        try:
            target = request.url.raw_path.decode("ascii")
            conn.putrequest(request.method, target, skip_host=True, skip_accept_encoding=True)
            for name, value in request.headers.raw:
                conn.putheader(name, value)
            try:
                body: Any = request.content  # small and known: sent with the headers in one go
            except httpx.RequestNotRead:
                body = request.stream  # an upload: sent as it is read
            chunked = "transfer-encoding" in request.headers
            conn.endheaders(message_body=body or None, encode_chunked=chunked)
            resp = conn.getresponse()
        except BaseException as exc:
            conn.close()
            if isinstance(exc, TimeoutError):
                raise httpx.ReadTimeout("timed out waiting for the answer") from None
            if isinstance(exc, http.client.HTTPException):
                raise httpx.RemoteProtocolError(str(exc) or type(exc).__name__) from None
            if isinstance(exc, OSError):
                raise httpx.ReadError(str(exc) or type(exc).__name__) from None
            raise
        return httpx.Response(
            resp.status,
            headers=resp.getheaders(),
            stream=_Body(self, key, conn, resp),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": resp.reason.encode("latin-1", "replace")},
        )

    def close(self) -> None:
        for conn in self._idle.values():
            conn.close()
        self._idle.clear()


class _Body(httpx.SyncByteStream):
    """A response body read from ``http.client``; the connection is kept for the next
    request once the body has been read to its end."""

    def __init__(self, transport: StdlibTransport, key: tuple[str, str, int], conn: Any, resp: Any) -> None:
        self.transport, self.key, self.conn, self.resp = transport, key, conn, resp

    def __iter__(self) -> Any:
        import http.client

        try:
            while chunk := self.resp.read1(65536):
                yield chunk
            self.resp.read()  # at the end of a Content-Length body read1 leaves it open: done now
        except TimeoutError:
            raise httpx.ReadTimeout("timed out reading the answer") from None
        except http.client.HTTPException as exc:
            raise httpx.RemoteProtocolError(str(exc) or type(exc).__name__) from None
        except OSError as exc:
            raise httpx.ReadError(str(exc) or type(exc).__name__) from None

    def close(self) -> None:
        if self.resp.isclosed() and not self.resp.will_close and self.key not in self.transport._idle:
            self.transport._idle[self.key] = self.conn
        else:
            self.resp.close()
            self.conn.close()


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
    from o4cli.core.http.h1 import H1Pool

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
        from o4cli.core.http.h1 import Reply

        i = self._pick()
        self._busy[i] += 1
        try:
            resp = await self._clients[i].post(path, content=body, headers={"Content-Type": "application/json"})
        finally:
            self._busy[i] -= 1
        return Reply(
            resp.status_code, {k.lower(): v for k, v in resp.headers.items()}, resp.content, str(resp.request.url)
        )
