"""Talking to the API: retries, and the one place httpx errors become O4Errors.

``Api.request`` sends one request and retries it on connection errors, timeouts,
408, 409, 429 and 5xx with exponential backoff and jitter, honouring
``retry-after-ms`` and ``Retry-After``. It never retries 400/401/403/404/422, nor a
429 that waiting cannot cure (``insufficient_quota``, or one request larger than
the tokens-per-minute limit). Endpoint helpers at the bottom return plain data.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from o4cli.core.config import Settings, redact, scrub
from o4cli.core.errors import (
    ApiError,
    AuthError,
    NetworkError,
    O4Error,
    RateLimitError,
    ServerError,
)

RETRY_STATUSES = frozenset({408, 409, 429})
MAX_RETRY_WAIT = 60.0  # seconds: a server asking for longer is not waited for
BACKOFF_BASE = 0.5
BACKOFF_CAP = 8.0

_TRY_AGAIN = re.compile(r"try again in (\d+(?:\.\d+)?)\s*(ms|s)\b", re.I)


# ------------------------------------------------------- pure retry rules


def parse_retry_after(headers: httpx.Headers | dict[str, str], now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or HTTP date)."""
    headers = httpx.Headers(headers)
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(float(ms) / 1000.0, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - (time.time() if now is None else now), 0.0)


def parse_try_again(message: str) -> float | None:
    """The wait hinted in a rate-limit message: '... Please try again in 1.574s.'"""
    m = _TRY_AGAIN.search(message or "")
    if not m:
        return None
    value = float(m.group(1))
    return value / 1000.0 if m.group(2).lower() == "ms" else value


def backoff(retries_done: int, rand: float) -> float:
    """Exponential backoff, 0.5 s doubling to 8 s, times a jitter in [0.75, 1]."""
    return min(BACKOFF_BASE * 2**retries_done, BACKOFF_CAP) * (1 - 0.25 * rand)


def hopeless_429(error: ApiError) -> str | None:
    """Why waiting cannot cure this 429, or None when it can."""
    if "insufficient_quota" in (error.code, error.type):
        return (
            "the account is out of credit or over its monthly budget: add credit or raise "
            "the limit at platform.openai.com/settings/organization/billing"
        )
    text = (error.message or "").lower()
    if "request too large" in text or "must be reduced" in text:
        return (
            "this one request is larger than the tokens-per-minute limit: shorten the "
            "input or lower --max-output"
        )
    return None


@dataclass(frozen=True)
class Decision:
    retry: bool
    delay: float = 0.0
    why: str = ""


def decide(
    error: O4Error,
    retries_done: int,
    max_retries: int,
    headers: httpx.Headers | None,
    rand: float,
) -> Decision:
    """Whether to retry after ``error``, and how long to wait first."""
    if headers is not None and headers.get("x-should-retry") in ("true", "false"):
        if headers["x-should-retry"] == "false":
            return Decision(False, why="server said x-should-retry: false")
    if isinstance(error, ApiError):
        status = error.status or 0
        if not (status in RETRY_STATUSES or status >= 500):
            return Decision(False, why=f"{status} is not retried")
        if status == 429:
            reason = hopeless_429(error)
            if reason:
                return Decision(False, why=reason)
    elif not isinstance(error, NetworkError):
        return Decision(False, why="not retryable")
    if retries_done >= max_retries:
        return Decision(False, why=f"gave up after {retries_done} retries")
    asked = parse_retry_after(headers) if headers is not None else None
    source = "Retry-After"
    if asked is None and isinstance(error, ApiError):
        asked, source = parse_try_again(error.message), "the error message"
    if asked is not None:
        if asked > MAX_RETRY_WAIT:
            return Decision(False, why=f"server asked to wait {asked:.0f} s (more than {MAX_RETRY_WAIT:.0f} s)")
        return Decision(True, asked, f"{source} asked for {asked:.2f} s")
    delay = backoff(retries_done, rand)
    return Decision(True, delay, "backoff")


# ------------------------------------------------------------- the client


def error_from_response(resp: httpx.Response, secret: str | None = None) -> ApiError:
    """An ApiError (of the right kind) from an error response; the key is redacted."""
    request_id = resp.headers.get("x-request-id")
    message, etype, code, param = "", None, None, None
    try:
        body = resp.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        err = body["error"]
        message = str(err.get("message") or "")
        etype, code, param = err.get("type"), err.get("code"), err.get("param")
    elif isinstance(body, dict) and isinstance(body.get("error"), str):
        message = body["error"]
    else:
        text = resp.text.strip().replace("\n", " ")
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
    """Requests with retries and verbose logging over one ``httpx.Client``."""

    def __init__(
        self,
        client: httpx.Client,
        settings: Settings,
        *,
        log: Callable[[str], None] = lambda _msg: None,
        notice: Callable[[str], None] = lambda _msg: None,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.client = client
        self.settings = settings
        self.log = log
        self.notice = notice
        self.sleep = sleep
        self.rand = rand

    def _url(self, path: str) -> str:
        return str(self.client.base_url.join(path.lstrip("/")))

    def _transport_error(self, exc: httpx.TransportError) -> NetworkError:
        host = self.client.base_url.host
        if isinstance(exc, httpx.TimeoutException):
            kind = "connecting" if isinstance(exc, httpx.ConnectTimeout) else "waiting for"
            return NetworkError(
                f"timed out {kind} {host} ({type(exc).__name__})",
                hint="raise the profile's timeout (`o4 config set timeout 900`) or try again",
            )
        detail = scrub(str(exc) or type(exc).__name__, self.settings.api_key)
        return NetworkError(f"cannot reach {host}: {detail}", hint="check the network and base_url")

    def _log_response(self, method: str, path: str, resp: httpx.Response, started: float) -> None:
        rid = resp.headers.get("x-request-id")
        self.log(
            f"{method} {self._url(path)} -> {resp.status_code} in {time.monotonic() - started:.2f} s"
            + (f" (request {rid})" if rid else "")
        )

    def _after_failure(
        self, error: O4Error, retries_done: int, headers: httpx.Headers | None, retry: bool = True
    ) -> None:
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

    def request(self, method: str, path: str, *, retry: bool = True, **kwargs: Any) -> httpx.Response:
        """Send with retries; return a successful response or raise an O4Error.

        ``retry=False`` for requests that must not be sent twice blindly (creating a
        batch or uploading a file): the caller checks what arrived instead."""
        retries = 0
        while True:
            started = time.monotonic()
            headers: httpx.Headers | None = None
            try:
                resp = self.client.request(method, path.lstrip("/"), **kwargs)
            except httpx.TransportError as exc:
                error: O4Error = self._transport_error(exc)
                self.log(f"{method} {self._url(path)} -> {error.message}")
            else:
                self._log_response(method, path, resp, started)
                if resp.is_success:
                    return resp
                error, headers = error_from_response(resp, self.settings.api_key), resp.headers
            self._after_failure(error, retries, headers, retry)
            retries += 1

    def request_json(self, method: str, path: str, *, retry: bool = True, **kwargs: Any) -> Any:
        """``request`` and parse the JSON body; a garbled body is a server error
        (retried for GET, where a retry cannot do anything twice)."""
        retries = 0
        while True:
            resp = self.request(method, path, retry=retry, **kwargs)
            try:
                return resp.json()
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
        retries = 0
        while True:
            started = time.monotonic()
            headers: httpx.Headers | None = None
            request = self.client.build_request(method, path.lstrip("/"), **kwargs)
            try:
                resp = self.client.send(request, stream=True)
            except httpx.TransportError as exc:
                error: O4Error = self._transport_error(exc)
                self.log(f"{method} {self._url(path)} -> {error.message}")
            else:
                self._log_response(method, path, resp, started)
                if resp.is_success:
                    try:
                        yield resp
                    finally:
                        resp.close()
                    return
                resp.read()
                resp.close()
                error, headers = error_from_response(resp, self.settings.api_key), resp.headers
            self._after_failure(error, retries, headers)
            retries += 1


# --------------------------------------------------------------- endpoints


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
