"""``http.retry``: which failures are sent again, and how long o4 waits first."""

from __future__ import annotations

import types
from email.utils import formatdate

import pytest

from o4cli.core.errors import ApiError, NetworkError, O4Error, RateLimitError, ServerError
from o4cli.core.http import retry
from o4cli.core.http.retry import (
    BACKOFF_CAP,
    MAX_RETRY_WAIT,
    backoff,
    decide,
    parse_retry_after,
    parse_try_again,
    rate_limit_wait,
)

NOW = 1_750_000_000.0  # a fixed "now" for HTTP dates


def api_error(status: int, message: str = "boom", *, code: str | None = None, type: str | None = None) -> ApiError:
    cls = RateLimitError if status == 429 else ServerError if status >= 500 else ApiError
    return cls(message, status=status, code=code, type=type)


# ------------------------------------------------------------------ decide()


@pytest.mark.parametrize(
    ("status", "retried"),
    [
        (400, False),
        (401, False),
        (403, False),
        (404, False),
        (408, True),
        (409, True),
        (422, False),
        (429, True),
        (500, True),
        (503, True),
    ],
)
def test_decide_by_status(status, retried):
    d = decide(api_error(status), retries_done=0, max_retries=2, headers={}, rand=0.0)
    assert d.retry is retried
    if retried:
        assert d.delay == 0.5  # the first backoff step, no jitter at rand 0
    else:
        assert d.delay == 0.0
        assert d.why == f"{status} is not retried"


def test_network_error_is_retried_with_backoff():
    d = decide(NetworkError("cannot reach api.openai.com"), 1, 2, None, rand=0.0)
    assert (d.retry, d.delay, d.why) == (True, 1.0, "backoff")


def test_other_errors_are_not_retried():
    d = decide(O4Error("something local"), 0, 2, None, rand=0.0)
    assert (d.retry, d.why) == (False, "not retryable")


@pytest.mark.parametrize(
    ("error", "why_has"),
    [
        (api_error(429, "You exceeded your current quota", code="insufficient_quota"), "out of credit"),
        (api_error(429, "You exceeded your current quota", type="insufficient_quota"), "out of credit"),
        (
            api_error(
                429,
                "Request too large for o4-mini on tokens per min (TPM): Limit 100000, Requested 250000. "
                "The input or output tokens must be reduced in order to run successfully.",
                code="rate_limit_exceeded",
            ),
            "larger than the tokens-per-minute limit",
        ),
    ],
    ids=["quota-code", "quota-type", "request-too-large"],
)
def test_hopeless_429_is_not_retried(error, why_has):
    # even with a Retry-After header: waiting cannot cure these
    d = decide(error, 0, 2, {"retry-after": "1"}, rand=0.0)
    assert d.retry is False
    assert why_has in d.why


def test_plain_429_is_retried():
    d = decide(api_error(429, "Rate limit reached for requests"), 0, 2, {}, rand=0.0)
    assert (d.retry, d.delay) == (True, 0.5)


@pytest.mark.parametrize(
    ("headers", "status", "retried"),
    [
        ({"x-should-retry": "false"}, 503, False),
        ({"x-should-retry": "false"}, 429, False),
        ({"x-should-retry": "true"}, 503, True),
        # README "Retries": a 400 is never retried, whatever the header says
        ({"x-should-retry": "true"}, 400, True),  # the server's word beats o4's rules, as in OpenAI's SDKs
    ],
)
def test_x_should_retry(headers, status, retried):
    d = decide(api_error(status), 0, 2, headers, rand=0.0)
    assert d.retry is retried
    if headers["x-should-retry"] == "false":
        assert d.why == "server said x-should-retry: false"


def test_x_should_retry_false_stops_a_network_error_too():
    assert decide(NetworkError("reset"), 0, 2, {"x-should-retry": "false"}, rand=0.0).retry is False


@pytest.mark.parametrize(
    ("retries_done", "max_retries", "retried"),
    [(0, 2, True), (1, 2, True), (2, 2, False), (3, 2, False), (0, 0, False)],
)
def test_retries_exhausted(retries_done, max_retries, retried):
    d = decide(api_error(503), retries_done, max_retries, {"retry-after": "1"}, rand=0.0)
    assert d.retry is retried
    if not retried:
        assert d.why == f"gave up after {retries_done} retries"


@pytest.mark.parametrize(
    ("headers", "delay"),
    [
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "0.25"}, 0.25),
        ({"retry-after": "0"}, 0.0),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "20"}, 0.02),
        # retry-after-ms is the more precise of the two and wins
        ({"retry-after-ms": "750", "retry-after": "5"}, 0.75),
        # a garbled retry-after-ms falls back to Retry-After
        ({"retry-after-ms": "soon", "retry-after": "4"}, 4.0),
        ({"retry-after": str(int(MAX_RETRY_WAIT))}, MAX_RETRY_WAIT),
    ],
)
def test_retry_after_is_waited_exactly(headers, delay):
    d = decide(api_error(503), 0, 2, headers, rand=1.0)
    assert d.retry is True
    assert d.delay == pytest.approx(delay)
    assert d.why.startswith("Retry-After asked for")


def test_garbled_retry_after_falls_back_to_backoff():
    d = decide(api_error(503), 2, 5, {"retry-after": "soon"}, rand=0.0)
    assert (d.retry, d.delay, d.why) == (True, 2.0, "backoff")


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({"retry-after": "120"}, "server asked to wait 120 s (more than 60 s)"),
        ({"retry-after-ms": "61000"}, "server asked to wait 61 s (more than 60 s)"),
    ],
)
def test_retry_after_above_the_cap_is_not_waited_for(headers, why):
    d = decide(api_error(429, "slow down"), 0, 2, headers, rand=0.0)
    assert (d.retry, d.why) == (False, why)


@pytest.mark.parametrize(
    ("offset", "retried", "delay"),
    [(30, True, 30.0), (-30, True, 0.0), (3600, False, 0.0)],
    ids=["in-30s", "in-the-past", "in-an-hour"],
)
def test_retry_after_http_date(monkeypatch, offset, retried, delay):
    # decide() takes no `now`: it reads the clock through the module's `time`
    monkeypatch.setattr(retry, "time", types.SimpleNamespace(time=lambda: NOW))
    headers = {"retry-after": formatdate(NOW + offset, usegmt=True)}
    d = decide(api_error(503), 0, 2, headers, rand=0.0)
    assert d.retry is retried
    assert d.delay == pytest.approx(delay)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": formatdate(NOW + 42, usegmt=True)}, 42.0),
        ({"retry-after": formatdate(NOW - 5, usegmt=True)}, 0.0),
        ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),
        ({"retry-after": "not a date"}, None),
        ({"retry-after": "-5"}, 0.0),
        ({}, None),
    ],
)
def test_parse_retry_after_with_now(headers, expected):
    got = parse_retry_after(headers, now=NOW)
    assert got == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize(
    ("message", "delay"),
    [
        ("Rate limit reached for o4-mini in organization org-x on tokens per min. Please try again in 1.574s.", 1.574),
        ("Rate limit reached. Please try again in 20ms.", 0.02),
        ("Please TRY AGAIN IN 3s", 3.0),
    ],
)
def test_429_message_says_how_long(message, delay):
    d = decide(api_error(429, message), 0, 2, {}, rand=0.0)
    assert d.retry is True
    assert d.delay == pytest.approx(delay)
    assert d.why.startswith("the error message asked for")


def test_header_beats_the_message():
    d = decide(api_error(429, "Please try again in 9s."), 0, 2, {"retry-after": "2"}, rand=0.0)
    assert d.delay == 2.0


def test_message_asking_too_long_is_not_waited_for():
    d = decide(api_error(429, "Please try again in 90s."), 0, 2, {}, rand=0.0)
    assert d.retry is False


@pytest.mark.parametrize(
    ("message", "expected"),
    [("try again in 1.5s", 1.5), ("try again in 250ms", 0.25), ("try again later", None), ("", None)],
)
def test_parse_try_again(message, expected):
    got = parse_try_again(message)
    assert got == (None if expected is None else pytest.approx(expected))


# ------------------------------------------------------------------ backoff()


@pytest.mark.parametrize(
    ("retries_done", "rand", "expected"),
    [
        (0, 0.0, 0.5),
        (1, 0.0, 1.0),
        (2, 0.0, 2.0),
        (3, 0.0, 4.0),
        (4, 0.0, 8.0),
        (5, 0.0, 8.0),
        (10, 0.0, 8.0),
        (0, 1.0, 0.375),
        (1, 1.0, 0.75),
        (4, 1.0, 6.0),
        (9, 1.0, 6.0),
    ],
)
def test_backoff_doubles_to_the_cap(retries_done, rand, expected):
    assert backoff(retries_done, rand) == pytest.approx(expected)


@pytest.mark.parametrize("retries_done", range(8))
@pytest.mark.parametrize("rand", [0.0, 0.3, 0.5, 0.99, 1.0])
def test_backoff_jitter_is_at_most_a_quarter(retries_done, rand):
    full = min(0.5 * 2**retries_done, BACKOFF_CAP)
    got = backoff(retries_done, rand)
    assert 0.75 * full - 1e-12 <= got <= full


# ------------------------------------------------------------ rate_limit_wait()


@pytest.mark.parametrize(
    ("headers", "message", "waits_done", "rand", "expected"),
    [
        ({"retry-after": "7"}, "Please try again in 1s", 0, 0.0, 7.0),
        ({"retry-after-ms": "300"}, "", 3, 0.0, 0.3),
        ({}, "Please try again in 1.574s.", 0, 0.0, 1.574),
        ({}, "Please try again in 20ms.", 0, 0.0, 0.02),
        ({}, "slow down", 0, 0.0, 0.5),
        ({}, "slow down", 2, 1.0, 1.5),
        # backoff stops growing after four waits: 8 s at most
        ({}, "slow down", 4, 0.0, 8.0),
        ({}, "slow down", 50, 0.0, 8.0),
        # a pause is not refused for being long: the runner caps it itself
        ({"retry-after": "90"}, "", 0, 0.0, 90.0),
    ],
)
def test_rate_limit_wait(headers, message, waits_done, rand, expected):
    assert rate_limit_wait(headers, message, waits_done, rand) == pytest.approx(expected)


# --------------------------------------------------- header names, any case


@pytest.mark.parametrize(
    ("headers", "delay"),
    [
        ({"Retry-After": "2"}, 2.0),
        ({"RETRY-AFTER": "2"}, 2.0),
        ({"Retry-After-Ms": "250"}, 0.25),
        ({"RETRY-AFTER-MS": "250", "Retry-After": "9"}, 0.25),
    ],
)
def test_plain_dict_headers_any_case(headers, delay):
    assert parse_retry_after(headers) == pytest.approx(delay)
    assert decide(api_error(503), 0, 2, headers, rand=0.0).delay == pytest.approx(delay)


@pytest.mark.parametrize("name", ["X-Should-Retry", "X-SHOULD-RETRY", "x-should-retry"])
def test_x_should_retry_any_case(name):
    assert decide(api_error(503), 0, 2, {name: "false"}, rand=0.0).retry is False
