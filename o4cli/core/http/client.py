"""The httpx clients of an invocation, built from the resolved settings (``http.endpoint``):
one ``httpx.Client`` for the commands' requests that ``LiteClient`` does not take, and
``batch run``'s senders (``async_sender``); the same headers and timeouts for all.

The commands' httpx requests go through ``StdlibTransport`` (httpx's transport interface
over the standard library's ``http.client``): httpx's own transport would import httpcore,
h11 and anyio, another ~40 ms of every call that needs httpx.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx

from o4cli.core.config import Settings
from o4cli.core.http.endpoint import CONNECT_TIMEOUT, auth_headers, base_url, proxied, tls
from o4cli.core.http.lite import Connections, TransportFailure

if TYPE_CHECKING:  # batch run's senders import asyncio: not for a one-off call
    from o4cli.core.http.h1 import H1Pool, Reply

PER_CLIENT = 8  # connections an httpx.AsyncClient holds at most: its pool's scan is quadratic in them


def timeout(settings: Settings) -> httpx.Timeout:
    return httpx.Timeout(settings.timeout, connect=min(CONNECT_TIMEOUT, settings.timeout))


def build_client(
    settings: Settings, transport: httpx.BaseTransport | None = None, connections: Connections | None = None
) -> httpx.Client:
    """The ``httpx.Client`` of the commands: base URL, auth, org/project, timeouts, over
    ``connections`` (the run's pool, shared with its ``LiteClient``) unless a transport is given.

    A proxy in the environment still goes through httpx's own transport (httpx mounts it)."""
    context = connections.ssl_context if connections else tls(settings)
    return httpx.Client(
        base_url=base_url(settings),
        headers=auth_headers(settings),
        params=settings.query or None,
        timeout=timeout(settings),
        transport=transport or StdlibTransport(connections or Connections(context)),
        verify=context,
        follow_redirects=False,
    )


class StdlibTransport(httpx.BaseTransport):
    """httpx requests over ``http.client`` connections (``lite.Connections``, shared with the
    run's ``LiteClient``).

    Failures are raised as httpx's exceptions (``ConnectError``, ``ConnectTimeout``,
    ``ReadTimeout``, ``ReadError``, ``RemoteProtocolError``), as httpx's own transport raises
    them, so ``http.api`` maps them the same way."""

    def __init__(self, connections: Connections) -> None:
        self.connections = connections

    def _connection(self, url: httpx.URL, timeouts: dict[str, float | None]) -> Any:
        try:
            return self.connections.get(
                url.scheme, url.raw_host.decode("ascii"), url.port, timeouts.get("connect"), timeouts.get("read")
            )
        except TransportFailure as exc:
            raise getattr(httpx, exc.kind)(str(exc)) from None

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
            stream=_Body(self.connections, key, conn, resp),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": resp.reason.encode("latin-1", "replace")},
        )

    def close(self) -> None:
        self.connections.close()


class _Body(httpx.SyncByteStream):
    """A response body read from ``http.client``; the connection is kept for the next
    request once the body has been read to its end."""

    def __init__(self, connections: Connections, key: tuple[str, str, int], conn: Any, resp: Any) -> None:
        self.connections, self.key, self.conn, self.resp = connections, key, conn, resp

    def __iter__(self) -> Any:
        import http.client

        try:
            while chunk := self.resp.read1(65536):
                yield chunk
            if self.resp.length:  # the connection ended before the Content-Length did
                raise httpx.RemoteProtocolError(f"the answer ended {self.resp.length} bytes before its end")
            self.resp.read()  # at the end of a Content-Length body read1 leaves it open: done now
        except TimeoutError:
            raise httpx.ReadTimeout("timed out reading the answer") from None
        except http.client.HTTPException as exc:
            raise httpx.RemoteProtocolError(str(exc) or type(exc).__name__) from None
        except OSError as exc:
            raise httpx.ReadError(str(exc) or type(exc).__name__) from None

    def close(self) -> None:
        if self.resp.isclosed() and not self.resp.will_close:
            self.connections.keep(self.key, self.conn)
        else:
            self.resp.close()
            self.conn.close()


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
