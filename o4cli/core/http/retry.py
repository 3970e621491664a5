"""When to retry a failed request, and how long to wait first. Pure rules, shared by the
synchronous client (``http.api.Api``) and ``batch run``'s async runner.

Retried: connection errors, timeouts, 408, 409, 429 and 5xx, with exponential backoff and
jitter, honouring ``retry-after-ms``, ``Retry-After`` (seconds or an HTTP date), the "try
again in Xs" text of a 429 and ``x-should-retry``. Never retried: 400/401/403/404/422, nor a
429 that waiting cannot cure (``insufficient_quota``, or one request larger than the
tokens-per-minute limit).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass

from o4cli.core.errors import ApiError, NetworkError, O4Error

RETRY_STATUSES = frozenset({408, 409, 429})
MAX_RETRY_WAIT = 60.0  # seconds: a server asking for longer is not waited for
BACKOFF_BASE = 0.5
BACKOFF_CAP = 8.0

_TRY_AGAIN = re.compile(r"try again in (\d+(?:\.\d+)?)\s*(ms|s)\b", re.I)


def _get(headers: Mapping[str, str], name: str) -> str | None:
    """A header by name, case-insensitively (httpx.Headers or a plain dict)."""
    value = headers.get(name)
    if value is None:
        for key, val in headers.items():
            if key.lower() == name:
                return val
    return value


def retryable_status(status: int) -> bool:
    """Statuses worth sending again (the 429 rules come on top)."""
    return status in RETRY_STATUSES or status >= 500


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or HTTP date)."""
    ms = _get(headers, "retry-after-ms")
    if ms:
        try:
            return max(float(ms) / 1000.0, 0.0)
        except ValueError:
            pass
    value = _get(headers, "retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime  # an HTTP date: rare, and email.utils costs 2 ms to import

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
        return "this one request is larger than the tokens-per-minute limit: shorten the input or lower --max-output"
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
    headers: Mapping[str, str] | None,
    rand: float,
) -> Decision:
    """Whether to retry after ``error``, and how long to wait first."""
    said = _get(headers, "x-should-retry") if headers is not None else None
    if said == "false":
        return Decision(False, why="server said x-should-retry: false")
    if said == "true":
        pass  # the server knows best (as in OpenAI's SDKs): retried whatever the status
    elif isinstance(error, ApiError):
        status = error.status or 0
        if not retryable_status(status):
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


def rate_limit_wait(headers: Mapping[str, str], message: str, waits_done: int, rand: float) -> float:
    """How long a 429 asks every request to pause: what the server says, else backoff."""
    asked = parse_retry_after(headers)
    if asked is None:
        asked = parse_try_again(message)
    return asked if asked is not None else backoff(min(waits_done, 4), rand)
