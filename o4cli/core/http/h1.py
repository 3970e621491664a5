"""A small HTTP/1.1 connection pool on asyncio streams: ``batch run``'s POSTs, and nothing else.

Why not httpx here: at hundreds of requests in flight, httpx's async stack costs about ten
times the CPU of a plain keep-alive connection per request (README "Benchmarks"), which is
what keeps ``batch run`` from the rate limit when answers take seconds. The requests are
always the same shape (a JSON POST to the base URL with fixed headers), so the client is
small: one connection per request in flight, kept alive and reused, never shared by two
requests at once; the request written in one go; Content-Length, chunked and read-to-close
bodies; gzip. Connections go through a proxy only with httpx: ``http.client.async_sender``
picks httpx when the environment names one.

Failures are raised as httpx's own exceptions (``ConnectError``, ``ConnectTimeout``,
``ReadTimeout``, ``ReadError``, ``WriteError``, ``RemoteProtocolError``), so the one map from
transport failures to ``NetworkError`` (``http.api.transport_error``) serves both clients.
"""

from __future__ import annotations

import asyncio
import ssl
import time
import zlib
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from o4cli.core import jsonload

KEEPALIVE = 5.0  # seconds an idle connection is kept (httpx's default keepalive_expiry)
MAX_HEAD = 64 * 1024  # bytes of status line and headers at most


@dataclass
class Reply:
    """An answer: status, headers (names in lower case), body (decoded from gzip)."""

    status: int
    headers: dict[str, str]
    content: bytes
    url: str

    def json(self) -> Any:
        return jsonload.loads(self.content)

    def response(self) -> httpx.Response:
        """The same answer as an ``httpx.Response`` (for the error map in ``http.api``)."""
        request = httpx.Request("POST", self.url)
        return httpx.Response(self.status, headers=list(self.headers.items()), content=self.content, request=request)


class _Conn:
    __slots__ = ("reader", "writer", "idle_since")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.idle_since = 0.0

    def usable(self, now: float) -> bool:
        # the server may have closed it while it was idle: the loop has seen the EOF by now
        return now - self.idle_since < KEEPALIVE and not self.reader.at_eof() and not self.writer.is_closing()

    def close(self) -> None:
        self.writer.close()


class H1Pool:
    """POSTs to ``base_url`` + path over kept-alive connections, one request per connection."""

    def __init__(
        self,
        base_url: str,
        headers: Mapping[str, str],
        *,
        timeout: float,
        connect_timeout: float,
        ssl_context: ssl.SSLContext | None = None,
        query: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        url = httpx.URL(base_url)
        if url.scheme not in ("http", "https"):
            raise ValueError(f"unsupported scheme {url.scheme!r}")
        self.base_url = str(url)
        self.host = url.host
        raw = url.raw_host.decode("ascii")
        self._connect_host = raw
        self._port = url.port or (443 if url.scheme == "https" else 80)
        self._ssl = (ssl_context or httpx.create_ssl_context()) if url.scheme == "https" else None
        authority = f"[{raw}]" if ":" in raw else raw
        if url.port is not None:
            authority += f":{url.port}"
        self._prefix = url.raw_path.decode("ascii").split("?", 1)[0].rstrip("/") + "/"
        # the profile's fixed query parameters (Azure's api-version), as httpx would encode them
        self._query = ("?" + str(httpx.QueryParams(query))) if query else ""
        fixed = {"Host": authority, **headers, "Accept-Encoding": "gzip", "Content-Type": "application/json"}
        for name, value in fixed.items():
            if any(c in f"{name}{value}" for c in "\r\n\0"):
                raise ValueError(f"header {name}: a line break or NUL in its value")
        self._head = "".join(f"{k}: {v}\r\n" for k, v in fixed.items()).encode("latin-1")
        self.timeout, self.connect_timeout = timeout, connect_timeout
        self.clock = clock
        self._idle: deque[_Conn] = deque()
        self._open: set[_Conn] = set()

    async def __aenter__(self) -> H1Pool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        for conn in list(self._open):
            conn.close()
        self._open.clear()
        self._idle.clear()

    def url(self, path: str) -> str:
        return f"{self.base_url.rstrip('/')}/{path}{self._query}"

    # ------------------------------------------------------------ connections

    def _take(self) -> _Conn | None:
        now = self.clock()
        while self._idle:
            conn = self._idle.pop()  # the most recently used: the least likely to have expired
            if conn.usable(now):
                return conn
            self._drop(conn)
        return None

    def _drop(self, conn: _Conn) -> None:
        conn.close()
        self._open.discard(conn)

    async def _connect(self) -> _Conn:
        try:
            async with asyncio.timeout(self.connect_timeout):
                reader, writer = await asyncio.open_connection(
                    self._connect_host,
                    self._port,
                    ssl=self._ssl,
                    server_hostname=self._connect_host if self._ssl else None,  # IDNA, as sent
                    limit=MAX_HEAD,
                )
        except TimeoutError:
            raise httpx.ConnectTimeout("timed out connecting") from None
        except (OSError, ssl.SSLError) as exc:
            raise httpx.ConnectError(str(exc) or type(exc).__name__) from None
        conn = _Conn(reader, writer)
        self._open.add(conn)
        return conn

    # ---------------------------------------------------------------- requests

    async def post(self, path: str, body: bytes) -> Reply:
        """POST ``body`` (JSON) to ``path`` under the base URL; the answer, whatever its status."""
        conn = self._take() or await self._connect()
        target = self._prefix + path + self._query
        head = b"POST %s HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n" % (target.encode(), self._head, len(body))
        keep = False
        try:
            conn.writer.write(head + body)
            try:
                async with asyncio.timeout(self.timeout):
                    await conn.writer.drain()
                    status, headers, content, keep = await _read_response(conn.reader)
            except TimeoutError:
                raise httpx.ReadTimeout("timed out waiting for the answer") from None
            except asyncio.IncompleteReadError:
                raise httpx.RemoteProtocolError("the server closed the connection mid-answer") from None
            except asyncio.LimitOverrunError:
                raise httpx.RemoteProtocolError("the answer's headers are too long") from None
            except (ConnectionError, OSError) as exc:
                raise httpx.ReadError(str(exc) or type(exc).__name__) from None
        finally:
            if keep:
                conn.idle_since = self.clock()
                self._idle.append(conn)
            else:
                self._drop(conn)
        return Reply(status, headers, content, self.url(path))


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes, bool]:
    """Status, headers, body and whether the connection may be used again."""
    while True:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            if not exc.partial:
                raise httpx.RemoteProtocolError("the server closed the connection without answering") from None
            raise
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise httpx.RemoteProtocolError(f"not an HTTP/1.1 answer: {lines[0][:80]!r}")
        status = int(parts[1])
        if not (100 <= status < 200):
            break  # an interim answer (100 Continue) is skipped
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise httpx.RemoteProtocolError(f"a malformed header line: {line[:80]!r}")
        name, value = name.strip().lower(), value.strip()
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    connection = headers.get("connection", "").lower()
    keep = "close" not in connection if parts[0] != "HTTP/1.0" else "keep-alive" in connection
    if status in (204, 304):
        content = b""
    elif "chunked" in headers.get("transfer-encoding", "").lower():
        content = await _read_chunked(reader)
    elif "content-length" in headers:
        try:
            length = int(headers["content-length"])
        except ValueError:
            raise httpx.RemoteProtocolError("a malformed Content-Length") from None
        content = await reader.readexactly(length)
    else:
        content, keep = await reader.read(), False  # until the server closes
    encoding = headers.get("content-encoding", "").lower()
    if encoding in ("gzip", "deflate", "x-gzip"):
        try:
            content = zlib.decompress(content, 47)  # 32 + 15: a gzip or zlib header, detected
        except zlib.error:
            raise httpx.RemoteProtocolError(f"the answer is not valid {encoding}") from None
    return status, headers, content, keep


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts = []
    while True:
        line = await reader.readuntil(b"\r\n")
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise httpx.RemoteProtocolError("a malformed chunk size") from None
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":
                pass  # trailers
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)
