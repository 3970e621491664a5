"""Requests with retries, over the run's ``LiteClient`` (plain JSON requests, no httpx) or
its ``httpx.Client`` (built on first need), and the one map from HTTP failures to
``O4Error``s (``error_from_response``, ``transport_error``), which ``batch run``'s async
runner shares. When to retry is decided in ``http.retry``.
"""

from __future__ import annotations

import random
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from o4cli.core import jsonload
from o4cli.core.config import Settings, scrub
from o4cli.core.errors import (
    ApiError,
    AuthError,
    ConfigError,
    NetworkError,
    O4Error,
    RateLimitError,
    ServerError,
    UsageError,
)
from o4cli.core.http.endpoint import base_url
from o4cli.core.http.lite import LiteClient, Reply, TransportFailure
from o4cli.core.http.retry import decide, hopeless_429

if TYPE_CHECKING:
    import httpx

    Response = httpx.Response | Reply

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,255}$")


def segment(value: str, *, what: str, prefix: str | None = None) -> str:
    """An id the user gave, as one URL path segment: checked against the shape of its kind
    and percent-encoded, so that no id can reach another endpoint (``../..``, ``?``, ``/``)."""
    if not _ID.fullmatch(value) or ".." in value or (prefix and not value.startswith(prefix)):
        shape = f" ({what}s start with {prefix})" if prefix else ""
        raise UsageError(f"{what} {value!r}: not a {what}{shape}")
    return quote(value, safe=":")


def _transport_errors() -> tuple[type[Exception], ...]:
    """What a send raises when the connection fails: the lite client's failure, and httpx's
    once httpx is loaded (evaluated only when something was raised)."""
    httpx = sys.modules.get("httpx")
    return (TransportFailure, httpx.TransportError) if httpx else (TransportFailure,)


def _invalid_url() -> tuple[type[Exception], ...]:
    httpx = sys.modules.get("httpx")
    return (httpx.InvalidURL,) if httpx else ()


def transport_error(exc: Exception, host: str, secret: str | None) -> NetworkError:
    """A connection failure or timeout (the lite client's or httpx's) as a NetworkError
    naming the host (key redacted)."""
    name = exc.kind if isinstance(exc, TransportFailure) else type(exc).__name__
    if name.endswith("Timeout"):
        kind = "connecting" if name == "ConnectTimeout" else "waiting for"
        return NetworkError(
            f"timed out {kind} {host} ({name})",
            hint="raise the profile's timeout (`o4 config set timeout 900`) or try again",
        )
    detail = scrub(str(exc) or name, secret)
    return NetworkError(f"cannot reach {host}: {detail}", hint="check the network and base_url")


def error_from_response(resp: Response, secret: str | None = None) -> ApiError:
    """An ApiError (of the right kind) from an error response; the key is redacted."""
    request_id = resp.headers.get("x-request-id")
    message, etype, code, param = "", None, None, None
    try:
        body = jsonload.loads(resp.content)
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        err = body["error"]
        message = str(err.get("message") or "")
        etype, code, param = err.get("type"), err.get("code"), err.get("param")
    elif isinstance(body, dict) and isinstance(body.get("error"), str):
        message = body["error"]
    else:
        text = scrub(resp.text.strip().replace("\n", " "), secret)  # before the cut: a cut key would slip by
        message = text[:200] + ("…" if len(text) > 200 else "") if text else resp.reason_phrase
    message = scrub(message, secret)
    status = resp.status_code
    cls: type[ApiError] = ApiError
    hint = None
    if status in (401, 403):
        cls = AuthError
        hint = "check the API key, organization and project of this profile (`o4 config show`)"
    elif status == 429:
        cls = RateLimitError
    elif status >= 500:
        cls = ServerError
    elif status == 404 and code == "model_not_found":
        hint = "see `o4 models list --remote` for the models this key can use"
    error = cls(
        message or resp.reason_phrase,
        status=status,
        type=etype,
        code=str(code) if code is not None else None,
        param=param,
        request_id=request_id,
        hint=hint,
    )
    if isinstance(error, RateLimitError):
        error.hint = hopeless_429(error) or "wait a minute, or lower the request rate"
    return error


class Api:
    """Requests with retries and verbose logging: plain JSON ones over ``lite`` when there is
    one (a direct connection), the rest over an ``httpx.Client`` (``client``: one, or what
    builds it on first need)."""

    def __init__(
        self,
        client: httpx.Client | Callable[[], httpx.Client],
        settings: Settings,
        *,
        lite: LiteClient | None = None,
        log: Callable[[str], None] = lambda _msg: None,
        notice: Callable[[str], None] = lambda _msg: None,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._client = client
        self.settings = settings
        self.lite = lite
        self.log = log
        self.notice = notice
        self.sleep = sleep
        self.rand = rand
        self._base = base_url(settings)

    @property
    def client(self) -> httpx.Client:
        if callable(self._client):
            self._client = self._client()
        return self._client

    def close(self) -> None:
        if not callable(self._client):
            self._client.close()
        if self.lite is not None:
            self.lite.connections.close()

    def _url(self, path: str) -> str:
        return self._base + path.lstrip("/")

    def _transport_error(self, exc: Exception) -> NetworkError:
        return transport_error(exc, urlsplit(self._base).hostname or self._base, self.settings.api_key)

    def _log_response(self, method: str, path: str, resp: Response, started: float) -> None:
        rid = resp.headers.get("x-request-id")
        self.log(
            f"{method} {self._url(path)} -> {resp.status_code} in {time.monotonic() - started:.2f} s"
            + (f" (request {rid})" if rid else "")
        )

    def _after_failure(self, error: O4Error, retries_done: int, headers: Any, retry: bool = True) -> None:
        """Raise ``error`` or sleep before the next try."""
        d = decide(error, retries_done, self.settings.max_retries if retry else 0, headers, self.rand())
        if not d.retry:
            self.log(f"not retrying: {d.why}")
            raise error
        what = f"{error.status}" if isinstance(error, ApiError) else "network error"
        text = f"{what}; retry {retries_done + 1} of {self.settings.max_retries} in {d.delay:.2f} s ({d.why})"
        self.log(f"retrying: {text}")
        if d.delay >= 1.0:
            self.notice(f"{what}, retrying in {d.delay:.1f} s")
        self.sleep(d.delay)

    def _sent(self, method: str, path: str, send: Callable[[], Response], retry: bool) -> Response:
        """``send()`` until a successful response, retrying what the rules allow."""
        retries = 0
        while True:
            started = time.monotonic()
            headers = None
            try:
                resp = send()
            except _invalid_url() as exc:
                raise ConfigError(
                    f"base_url {self.settings.base_url!r} cannot be used: {exc}",
                    hint="fix it: `o4 config set base_url https://api.openai.com/v1` (or $OPENAI_BASE_URL)",
                ) from None
            except _transport_errors() as exc:
                error: O4Error = self._transport_error(exc)
                self.log(f"{method} {self._url(path)} -> {error.message}")
            else:
                self._log_response(method, path, resp, started)
                if resp.is_success:
                    return resp
                resp.read()  # a streamed error body, to read what it says
                resp.close()
                error, headers = error_from_response(resp, self.settings.api_key), resp.headers
            self._after_failure(error, retries, headers, retry)
            retries += 1

    def request(self, method: str, path: str, *, retry: bool = True, **kwargs: Any) -> httpx.Response:
        """Send with retries; return a successful response or raise an O4Error.

        ``retry=False`` for requests that must not be sent twice blindly (creating a
        batch or uploading a file): the caller checks what arrived instead."""
        return self._sent(method, path, lambda: self.client.request(method, path.lstrip("/"), **kwargs), retry)

    def request_json(self, method: str, path: str, *, retry: bool = True, **kwargs: Any) -> Any:
        """``request`` and parse the JSON body; a garbled body is a server error
        (retried for GET, where a retry cannot do anything twice)."""
        retries = 0
        lite = self.lite if self.lite is not None and set(kwargs) <= {"json"} else None
        body = kwargs.get("json")
        while True:
            if lite is not None:
                resp = self._sent(method, path, lambda: lite.send(method, path, body), retry)
            else:
                resp = self.request(method, path, retry=retry, **kwargs)
            try:
                return jsonload.loads(resp.content)
            except ValueError:
                error = ServerError(
                    f"{method} {path} answered {resp.status_code} with a body that is not JSON",
                    status=resp.status_code,
                    request_id=resp.headers.get("x-request-id"),
                )
            if method.upper() != "GET":
                raise error
            self._after_failure(NetworkError(error.message), retries, None, retry)
            retries += 1

    @contextmanager
    def stream(self, method: str, path: str, **kwargs: Any) -> Iterator[httpx.Response]:
        """A streamed response; retried only before the response starts."""
        request = self.client.build_request(method, path.lstrip("/"), **kwargs)
        resp = self._sent(method, path, lambda: self.client.send(request, stream=True), True)
        try:
            yield resp
        finally:
            resp.close()
