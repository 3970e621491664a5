"""``http.api``: HTTP failures as O4Errors (class, exit code, hint, key redacted), and
``Api.request``'s retries over a MockTransport with a recorded, fake sleep."""

from __future__ import annotations

import httpx
import pytest

from o4cli.core import config
from o4cli.core.errors import (
    ApiError,
    AuthError,
    ExitCode,
    NetworkError,
    RateLimitError,
    ServerError,
)
from o4cli.core.http.api import Api, error_from_response

KEY = "sk-proj-" + "Q7x" * 20 + "WXYZ"  # long enough to be redacted as sk-...WXYZ
REDACTED = "sk-...WXYZ"
BASE = "https://api.test/v1"


def response(status: int, *, json=None, text: str | None = None, headers=None) -> httpx.Response:
    request = httpx.Request("GET", "https://x/v1/models")
    if json is not None:
        return httpx.Response(status, json=json, headers=headers, request=request)
    return httpx.Response(status, text=text or "", headers=headers, request=request)


def err(message: str, type: str | None = None, code: str | None = None, param: str | None = None) -> dict:
    return {"error": {"message": message, "type": type, "code": code, "param": param}}


# ------------------------------------------------------- error_from_response


@pytest.mark.parametrize(
    ("status", "cls", "exit_code"),
    [
        (400, ApiError, ExitCode.FAILURE),
        (401, AuthError, ExitCode.CONFIG),
        (403, AuthError, ExitCode.CONFIG),
        (404, ApiError, ExitCode.FAILURE),
        (409, ApiError, ExitCode.FAILURE),
        (422, ApiError, ExitCode.FAILURE),
        (429, RateLimitError, ExitCode.RATE_LIMIT),
        (500, ServerError, ExitCode.NETWORK),
        (502, ServerError, ExitCode.NETWORK),
        (503, ServerError, ExitCode.NETWORK),
    ],
)
def test_status_maps_to_error_class_and_exit_code(status, cls, exit_code):
    e = error_from_response(response(status, json=err("nope", "some_type")))
    assert type(e) is cls
    assert e.exit_code == exit_code
    assert e.status == status
    assert e.message == "nope"


@pytest.mark.parametrize("status", [401, 403])
def test_auth_errors_say_to_check_the_key(status):
    e = error_from_response(response(status, json=err("Incorrect API key provided", "invalid_request_error")))
    assert e.hint == "check the API key, organization and project of this profile (`o4 config show`)"


@pytest.mark.parametrize(
    ("body", "hint_has"),
    [
        (err("Rate limit reached for requests", "requests", "rate_limit_exceeded"), "wait a minute"),
        (
            err("You exceeded your current quota", "insufficient_quota", "insufficient_quota"),
            "platform.openai.com/settings/organization/billing",
        ),
        (
            err("Request too large for o4-mini: the input or output tokens must be reduced", "tokens"),
            "lower --max-output",
        ),
    ],
    ids=["rate", "quota", "too-large"],
)
def test_429_hints(body, hint_has):
    e = error_from_response(response(429, json=body))
    assert isinstance(e, RateLimitError)
    assert e.exit_code == 4
    assert hint_has in e.hint


def test_400_carries_what_the_api_said():
    body = err("Unsupported parameter: 'temperature'.", "invalid_request_error", "unsupported_parameter", "temperature")
    e = error_from_response(response(400, json=body, headers={"x-request-id": "req_123"}))
    assert (e.type, e.code, e.param, e.request_id) == (
        "invalid_request_error",
        "unsupported_parameter",
        "temperature",
        "req_123",
    )
    assert e.hint is None
    # the README's example line
    assert e.describe() == (
        "400 invalid_request_error (unsupported_parameter, param temperature): "
        "Unsupported parameter: 'temperature'. [request req_123]"
    )


def test_404_model_not_found_points_at_the_model_list():
    e = error_from_response(
        response(404, json=err("The model 'o5' does not exist", "invalid_request_error", "model_not_found"))
    )
    assert e.hint == "see `o4 models list --remote` for the models this key can use"


def test_other_404_has_no_hint():
    assert error_from_response(response(404, json=err("No such file", "invalid_request_error"))).hint is None


def test_numeric_code_becomes_text():
    e = error_from_response(response(400, json={"error": {"message": "bad", "code": 1234}}))
    assert e.code == "1234"


@pytest.mark.parametrize(
    ("status", "text", "message"),
    [
        (502, "<html><body>Bad gateway</body></html>", "<html><body>Bad gateway</body></html>"),
        (500, "upstream\nconnect error", "upstream connect error"),
        (503, "", "Service Unavailable"),
        (500, "x" * 300, "x" * 200 + "…"),
    ],
    ids=["html", "newlines", "empty", "long"],
)
def test_non_json_body(status, text, message):
    e = error_from_response(response(status, text=text))
    assert isinstance(e, ServerError)
    assert e.message == message


def test_error_as_a_string():
    e = error_from_response(response(400, json={"error": "invalid model"}))
    assert e.message == "invalid model"
    assert e.type is None


def test_json_without_error_object_falls_back_to_the_text():
    e = error_from_response(response(400, json={"detail": "bad"}))
    assert e.message == '{"detail":"bad"}'


@pytest.mark.parametrize(
    "resp",
    [
        response(401, json=err(f"Incorrect API key provided: {KEY}.", "invalid_request_error", "invalid_api_key")),
        response(401, json={"error": f"bad key {KEY}"}),
        response(502, text=f"proxy refused Authorization: Bearer {KEY}"),
    ],
    ids=["error-object", "error-string", "text-body"],
)
def test_the_key_never_appears(resp):
    e = error_from_response(resp, secret=KEY)
    assert KEY not in e.message
    assert KEY not in e.describe()
    assert REDACTED in e.message


def test_the_key_never_appears_even_when_the_body_is_cut():
    # the key straddles the 200-character cut of a non-JSON body: no part of it may show
    resp = response(502, text="x" * 150 + " Authorization: Bearer " + KEY + " " + "y" * 50)
    e = error_from_response(resp, secret=KEY)
    assert "Q7xQ7x" not in e.message
    assert e.message == "x" * 150 + " Authorization: Bearer " + REDACTED + " " + "y" * 16 + "…"


# ------------------------------------------------------------------- Api


@pytest.fixture
def settings(tmp_path):
    def make(max_retries: int = 2) -> config.Settings:
        cfg = config.ConfigFile(tmp_path / "config.toml", {}, False)
        return config.resolve(
            cfg,
            env={"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": BASE},
            flags={"max_retries": max_retries},
            data=tmp_path / "data",
        )

    return make


class Script:
    """A MockTransport handler answering from a list; records every request."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def make_api(settings, script: Script, *, max_retries: int = 2, rand: float = 0.0):
    s = settings(max_retries)
    waits: list[float] = []
    notices: list[str] = []
    client = httpx.Client(transport=httpx.MockTransport(script), base_url=s.base_url + "/")
    api = Api(client, s, sleep=waits.append, rand=lambda: rand, notice=notices.append)
    return api, waits, notices


def ok(json=None) -> httpx.Response:
    return httpx.Response(200, json=json if json is not None else {"object": "list", "data": []})


def fail(status: int, headers=None, message: str = "try later") -> httpx.Response:
    return httpx.Response(status, json=err(message, "server_error"), headers=headers)


def test_retries_a_503_then_succeeds(settings):
    script = Script(fail(503), fail(503), ok({"data": [1]}))
    api, waits, _ = make_api(settings, script)
    resp = api.request("GET", "/models")
    assert resp.json() == {"data": [1]}
    assert len(script.requests) == 3
    assert waits == [0.5, 1.0]  # backoff at rand 0, recorded, never slept
    assert str(script.requests[0].url) == "https://api.test/v1/models"


def test_gives_up_after_max_retries(settings):
    script = Script(fail(503, message="The server is overloaded"))
    api, waits, _ = make_api(settings, script, max_retries=3)
    with pytest.raises(ServerError) as info:
        api.request("GET", "models")
    assert info.value.exit_code == ExitCode.NETWORK
    assert info.value.message == "The server is overloaded"
    assert len(script.requests) == 4  # the first try and three retries
    assert waits == [0.5, 1.0, 2.0]


def test_jitter_comes_from_rand(settings):
    script = Script(fail(500), fail(500), ok())
    api, waits, _ = make_api(settings, script, rand=1.0)
    api.request("GET", "models")
    assert waits == [0.375, 0.75]


def test_post_with_retry_false_is_sent_once(settings):
    script = Script(fail(503), ok())
    api, waits, _ = make_api(settings, script)
    with pytest.raises(ServerError):
        api.request("POST", "batches", retry=False, json={"input_file_id": "file-1"})
    assert len(script.requests) == 1
    assert script.requests[0].method == "POST"
    assert waits == []


def test_honours_retry_after(settings):
    script = Script(fail(429, {"retry-after": "3"}, "Rate limit reached"), ok())
    api, waits, notices = make_api(settings, script)
    api.request("GET", "models")
    assert waits == [3.0]
    assert notices == ["429, retrying in 3.0 s"]  # a wait of a second or more is announced


def test_short_waits_are_not_announced(settings):
    script = Script(fail(503), ok())
    api, waits, notices = make_api(settings, script)
    api.request("GET", "models")
    assert (waits, notices) == ([0.5], [])


def test_retry_after_too_long_fails_at_once(settings):
    script = Script(fail(429, {"retry-after": "600"}, "Rate limit reached"), ok())
    api, waits, _ = make_api(settings, script)
    with pytest.raises(RateLimitError):
        api.request("GET", "models")
    assert (len(script.requests), waits) == (1, [])


@pytest.mark.parametrize(("status", "cls"), [(400, ApiError), (401, AuthError), (404, ApiError), (422, ApiError)])
def test_client_errors_are_not_retried(settings, status, cls):
    script = Script(fail(status), ok())
    api, waits, _ = make_api(settings, script)
    with pytest.raises(cls):
        api.request("GET", "models")
    assert (len(script.requests), waits) == (1, [])


def test_insufficient_quota_is_not_retried(settings):
    quota = httpx.Response(429, json=err("You exceeded your current quota", "insufficient_quota", "insufficient_quota"))
    script = Script(quota, ok())
    api, waits, _ = make_api(settings, script)
    with pytest.raises(RateLimitError) as info:
        api.request("GET", "models")
    assert info.value.exit_code == 4
    assert "billing" in info.value.hint
    assert (len(script.requests), waits) == (1, [])


def test_network_errors_are_retried_then_named(settings):
    script = Script(httpx.ConnectError(f"connection refused (key {KEY})"))
    api, waits, _ = make_api(settings, script)
    with pytest.raises(NetworkError) as info:
        api.request("GET", "models")
    assert len(script.requests) == 3
    assert waits == [0.5, 1.0]
    assert info.value.message.startswith("cannot reach api.test: connection refused")
    assert KEY not in info.value.message
    assert info.value.exit_code == ExitCode.NETWORK


def test_timeout_names_what_it_waited_for(settings):
    script = Script(httpx.ReadTimeout("read timed out"))
    api, _, _ = make_api(settings, script, max_retries=0)
    with pytest.raises(NetworkError) as info:
        api.request("GET", "models")
    assert info.value.message == "timed out waiting for api.test (ReadTimeout)"


def test_request_json_retries_a_garbled_get(settings):
    script = Script(httpx.Response(200, text="<html>oops"), ok({"id": "batch_1"}))
    api, waits, _ = make_api(settings, script)
    assert api.request_json("GET", "batches/batch_1") == {"id": "batch_1"}
    assert waits == [0.5]


def test_request_json_does_not_resend_a_garbled_post(settings):
    script = Script(httpx.Response(200, text="<html>oops"), ok())
    api, waits, _ = make_api(settings, script)
    with pytest.raises(ServerError) as info:
        api.request_json("POST", "responses", json={})
    assert info.value.message == "POST responses answered 200 with a body that is not JSON"
    assert (len(script.requests), waits) == (1, [])
