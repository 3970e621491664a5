"""JSON requests over the standard library's ``http.client``, without httpx.

A one-off ``o4 ask`` sends one JSON POST and reads one JSON answer; importing httpx for that
costs about 17 ms of CPU, a fifth of the whole call (README "Benchmarks"). ``Api`` sends its
plain JSON requests (a body or none, no query of their own, not streamed) through
``LiteClient`` when the connection is direct, and everything else (streams, uploads, queries,
a proxy, a test's mock transport) through httpx, built only then.

``Connections`` is the one keep-alive pool of a run: ``LiteClient`` and httpx's
``StdlibTransport`` (``http.client``) share it, so a run that uses both opens one connection.
Failures are ``TransportFailure``s; ``http.api.transport_error`` maps them as it maps httpx's.
"""

from __future__ import annotations

import json
import select
import ssl
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

if TYPE_CHECKING:
    from o4cli.core.config import Settings


# Headers whose handling is httpx's: a compressed answer (lite reads only identity), framing.
_HTTPX_ONLY = frozenset({"accept-encoding", "content-length", "transfer-encoding", "connection"})


class TransportFailure(Exception):
    """The connection failed or timed out; ``kind`` names it as httpx's exception would be
    named (``ConnectError``, ``ConnectTimeout``, ``ReadTimeout``, ``ReadError``,
    ``RemoteProtocolError``), so both read the same to a person."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind

    @property
    def timeout(self) -> bool:
        return self.kind.endswith("Timeout")


class Connections:
    """``http.client`` connections, one kept alive per origin."""

    def __init__(self, ssl_context: ssl.SSLContext) -> None:
        self.ssl_context = ssl_context
        self._idle: dict[tuple[str, str, int], Any] = {}

    def get(self, scheme: str, host: str, port: int | None, connect: float | None, read: float | None) -> Any:
        """(key, an open connection): an idle one still quiet, or a new one."""
        import http.client

        key = (scheme, host, port or (443 if scheme == "https" else 80))
        conn = self._idle.pop(key, None)
        if conn is not None and conn.sock is not None and not select.select([conn.sock], [], [], 0)[0]:
            conn.sock.settimeout(read)
            return key, conn  # idle and quiet: not closed by the server meanwhile
        if conn is not None:
            conn.close()
        if scheme == "https":
            conn = http.client.HTTPSConnection(host, key[2], timeout=connect, context=self.ssl_context)
        else:
            conn = http.client.HTTPConnection(host, key[2], timeout=connect)
        try:
            conn.connect()
        except TimeoutError:
            raise TransportFailure("timed out connecting", "ConnectTimeout") from None
        except OSError as exc:  # refused, unknown host, TLS verification (ssl.SSLError is an OSError)
            raise TransportFailure(str(exc) or type(exc).__name__, "ConnectError") from None
        conn.sock.settimeout(read)
        return key, conn

    def keep(self, key: tuple[str, str, int], conn: Any) -> None:
        """Keep ``conn`` (its answer read to the end) for the next request to its origin."""
        if key in self._idle:
            conn.close()
        else:
            self._idle[key] = conn

    def close(self) -> None:
        for conn in self._idle.values():
            conn.close()
        self._idle.clear()


class Headers(dict):
    """An answer's headers, names in lower case (repeated ones joined with ", ")."""

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(name.lower(), default)


class Reply:
    """A whole answer: what ``Api`` and ``error_from_response`` read of an ``httpx.Response``."""

    def __init__(self, status: int, reason: str, headers: Headers, content: bytes) -> None:
        self.status_code, self.reason_phrase, self.headers, self.content = status, reason, headers, content

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def read(self) -> bytes:
        return self.content

    def close(self) -> None:
        pass


class LiteClient:
    """JSON requests to ``base_url`` + path with fixed headers and query (``settings.query``)."""

    def __init__(
        self,
        base_url: str,
        headers: Mapping[str, str],
        connections: Connections,
        *,
        timeout: float,
        connect_timeout: float,
        query: Mapping[str, str] | None = None,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        if not base_url.isascii():
            # a host name to encode (httpx uses IDNA 2008, Python's codec 2003: ß would be
            # another host) or a path to percent-encode: httpx's to do
            raise ValueError(f"not an ASCII URL: {base_url!r}")
        self.scheme, self.host, self.port = parts.scheme, parts.hostname, parts.port
        self.prefix = parts.path.rstrip("/") + "/"
        self.suffix = "?" + urlencode(dict(query)) if query else ""
        merged: dict[str, tuple[str, str]] = {}  # by name in lower case: the last one given wins, as in httpx
        for name, value in headers.items():
            merged[name.lower()] = (name, value)
        if merged.keys() & _HTTPX_ONLY:
            raise ValueError(f"headers for httpx to send: {sorted(merged.keys() & _HTTPX_ONLY)}")
        self.headers = dict(merged.values())
        self.skip_host = "host" in merged  # the profile names the Host header itself
        self.connections = connections
        self.timeout, self.connect_timeout = timeout, connect_timeout

    def send(self, method: str, path: str, body: Any = None) -> Reply:
        """Send ``body`` (JSON, or nothing when None) and read the whole answer."""
        import http.client

        headers = self.headers
        content = None
        if body is not None:
            # as httpx 0.28 encodes json=: compact, UTF-8, no NaN
            content = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
            headers = {
                **{k: v for k, v in headers.items() if k.lower() != "content-type"},
                "Content-Type": "application/json",
                "Content-Length": str(len(content)),
            }
        elif method in ("POST", "PUT", "PATCH"):
            headers = {**headers, "Content-Length": "0"}
        key, conn = self.connections.get(self.scheme, self.host, self.port, self.connect_timeout, self.timeout)
        try:
            target = self.prefix + path.lstrip("/") + self.suffix
            conn.putrequest(method, target, skip_host=self.skip_host, skip_accept_encoding=True)
            for name, value in headers.items():
                conn.putheader(name, value)
            conn.endheaders(message_body=content)
            resp = conn.getresponse()
            data = resp.read()
        except BaseException as exc:
            conn.close()
            if isinstance(exc, TimeoutError):
                raise TransportFailure("timed out waiting for the answer", "ReadTimeout") from None
            if isinstance(exc, http.client.HTTPException):
                raise TransportFailure(str(exc) or type(exc).__name__, "RemoteProtocolError") from None
            if isinstance(exc, OSError):
                raise TransportFailure(str(exc) or type(exc).__name__, "ReadError") from None
            raise
        found = Headers()
        for name, value in resp.getheaders():
            name = name.lower()
            found[name] = f"{found[name]}, {value}" if name in found else value
        if resp.will_close:
            conn.close()
        else:
            self.connections.keep(key, conn)
        return Reply(resp.status, resp.reason, found, data)


def lite_client(settings: Settings, env: Mapping[str, str]) -> LiteClient | None:
    """The run's lite client, or None when httpx must take every request: a proxy in the
    environment (httpx reads it from there), a base URL that is not plain ASCII http(s)
    (httpx encodes it, or says why it cannot), or a profile header about encoding or framing."""
    from o4cli.core.http.endpoint import CONNECT_TIMEOUT, auth_headers, base_url, proxied, tls

    if proxied(env):
        return None
    try:
        url = base_url(settings)
        headers = auth_headers(settings)
        return LiteClient(
            url, headers, Connections(tls(settings)),
            timeout=settings.timeout, connect_timeout=min(CONNECT_TIMEOUT, settings.timeout), query=settings.query,
        )  # fmt: skip
    except ValueError:
        return None
