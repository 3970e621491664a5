"""The HTTP layer end to end: `o4 models ... --remote` against the emulator.

Retries, Retry-After, errors, exit codes, headers, --verbose and key redaction.
"""

import json
import time
from email.utils import formatdate
from itertools import pairwise

import pytest

from tests.emulator import TEST_KEY


def gaps(emulator):
    t = emulator.received_at
    return [b - a for a, b in pairwise(t)]


def test_remote_list_sends_auth_org_project_and_user_agent(o4, emulator):
    r = o4("models", "list", "--remote", "--json", extra_env={"OPENAI_ORG_ID": "org-abc", "OPENAI_PROJECT_ID": "proj_xyz"})
    assert r.code == 0, r.stderr
    rows = {row["id"]: row for row in json.loads(r.stdout)}
    assert rows["o4-mini"]["available"] is True and rows["o4-mini"]["in_catalog"] is True
    assert rows["gpt-4.1-mini"]["in_catalog"] is False
    (req,) = emulator.log
    h = {k.lower(): v for k, v in req.headers.items()}
    assert req.method == "GET" and req.path == "/v1/models"
    assert h["authorization"] == f"Bearer {TEST_KEY}"
    assert h["openai-organization"] == "org-abc" and h["openai-project"] == "proj_xyz"
    assert h["user-agent"].startswith("o4cli/0.1.0 ")


def test_retry_after_seconds_is_waited(o4, emulator):
    emulator.fault(status=429, headers={"Retry-After": "1"})
    r = o4("models", "list", "--remote")
    assert r.code == 0, r.stderr
    assert len(emulator.log) == 2
    assert gaps(emulator)[0] >= 1.0
    assert "429, retrying in 1.0 s" in r.stderr


def test_retry_after_ms_is_waited(o4, emulator):
    emulator.fault(status=503, headers={"retry-after-ms": "400"})
    r = o4("models", "list", "--remote", "-q")
    assert r.code == 0 and len(emulator.log) == 2
    assert 0.4 <= gaps(emulator)[0] < 2.0
    assert r.stderr == ""  # -q: no notices


def test_retry_after_http_date_is_waited(o4, emulator):
    # HTTP dates have whole seconds: this one is 2 to 3 s away, far more than the backoff
    # o4 would use without it (0.5 s at most), and the retry must not come before it.
    when = int(time.time()) + 3
    emulator.fault(status=429, headers={"Retry-After": formatdate(when, usegmt=True)})
    r = o4("models", "list", "--remote")
    assert r.code == 0 and len(emulator.log) == 2
    wall = time.time() - time.monotonic()  # monotonic stamps to wall time
    assert emulator.received_at[0] + wall < when - 1.0  # asked well before the date
    assert emulator.received_at[1] + wall >= when - 0.01  # and again not before it


def test_rate_limit_still_hit_after_retries_exits_4(o4, emulator):
    emulator.fault(status=429, headers={"Retry-After": "0"}, times=5)
    r = o4("models", "list", "--remote")
    assert r.code == 4
    assert len(emulator.log) == 3  # max_retries 2: three tries
    assert "429 requests (rate_limit_exceeded): Rate limit reached" in r.stderr
    assert "[request req_" in r.stderr


def test_max_retries_comes_from_the_profile(o4, emulator):
    o4("config", "set", "max_retries", "0")
    emulator.fault(status=500, times=3)
    r = o4("models", "list", "--remote")
    assert r.code == 5 and len(emulator.log) == 1


def test_server_errors_are_retried_with_backoff_then_exit_5(o4, emulator):
    emulator.fault(status=502, times=3)
    r = o4("models", "list", "--remote")
    assert r.code == 5 and len(emulator.log) == 3
    g = gaps(emulator)
    assert g[0] >= 0.375 and g[1] >= 0.75  # 0.5 s then 1 s, less at most 25% jitter
    assert "502 server_error" in r.stderr


def test_server_error_then_success(o4, emulator):
    emulator.fault(status=500)
    r = o4("models", "list", "--remote", "--json")
    assert r.code == 0 and len(emulator.log) == 2 and json.loads(r.stdout)


def test_insufficient_quota_is_not_retried(o4, emulator):
    emulator.fault(
        status=429,
        headers={"Retry-After": "1"},
        body={"error": {"message": "You exceeded your current quota, please check your plan and billing details.", "type": "insufficient_quota", "param": None, "code": "insufficient_quota"}},
        times=3,
    )
    r = o4("models", "list", "--remote")
    assert r.code == 4 and len(emulator.log) == 1
    assert "exceeded your current quota" in r.stderr and "billing" in r.stderr


def test_request_larger_than_tpm_is_not_retried(o4, emulator):
    emulator.fault(
        status=429,
        body={"error": {"message": "Request too large for o4-mini in organization org-x on tokens per min (TPM): Limit 30000, Requested 31538. The input or output tokens must be reduced in order to run successfully.", "type": "tokens", "param": None, "code": "rate_limit_exceeded"}},
        times=3,
    )
    r = o4("models", "list", "--remote")
    assert r.code == 4 and len(emulator.log) == 1
    assert "lower --max-output" in r.stderr


@pytest.mark.parametrize("status", [400, 404, 422])
def test_client_errors_are_not_retried_exit_1(o4, emulator, status):
    emulator.fault(
        status=status,
        body={"error": {"message": "Unsupported parameter: 'temperature'.", "type": "invalid_request_error", "param": "temperature", "code": "unsupported_parameter"}},
    )
    r = o4("models", "list", "--remote")
    assert r.code == 1 and len(emulator.log) == 1
    line = r.stderr.splitlines()[0]
    assert line.startswith(f"o4: error: {status} invalid_request_error (unsupported_parameter, param temperature): ")
    assert "Unsupported parameter: 'temperature'." in line and "[request req_" in line


def test_x_should_retry_false_is_honoured(o4, emulator):
    emulator.fault(status=503, headers={"x-should-retry": "false"})
    r = o4("models", "list", "--remote")
    assert r.code == 5 and len(emulator.log) == 1


def test_model_not_found(o4, emulator):
    r = o4("models", "show", "gpt-9", "--remote")
    assert r.code == 1 and len(emulator.log) == 1
    assert "model_not_found" in r.stderr and "o4 models list --remote" in r.stderr


def test_wrong_key_exits_3_and_is_redacted(o4, emulator):
    bad = "sk-wrong-key-do-not-print-4321"
    r = o4("models", "list", "--remote", "-v", extra_env={"OPENAI_API_KEY": bad})
    assert r.code == 3 and len(emulator.log) == 1
    assert bad not in r.output
    assert "401" in r.stderr and "sk-...4321" in r.stderr and "o4 config show" in r.stderr


def test_missing_key_says_how_to_set_one_exit_3(o4, emulator):
    r = o4("models", "list", "--remote", extra_env={"OPENAI_API_KEY": None})
    assert r.code == 3 and emulator.log == []
    assert "no API key" in r.stderr and "export OPENAI_API_KEY=" in r.stderr


def test_key_from_profile_named_variable(o4, emulator):
    o4("config", "set", "api_key_env", "WORK_OPENAI_KEY")
    r = o4("models", "list", "--remote", extra_env={"OPENAI_API_KEY": None, "WORK_OPENAI_KEY": TEST_KEY})
    assert r.code == 0, r.stderr
    r = o4("models", "list", "--remote", extra_env={"OPENAI_API_KEY": None})
    assert r.code == 3 and "WORK_OPENAI_KEY" in r.stderr


def test_garbage_body_is_retried_for_get_then_exit_5(o4, emulator):
    emulator.fault(garbage=True)
    assert o4("models", "list", "--remote").code == 0 and len(emulator.log) == 2
    emulator.reset()
    emulator.fault(garbage=True, times=3)
    r = o4("models", "list", "--remote")
    assert r.code == 5 and len(emulator.log) == 3 and "not JSON" in r.stderr


def test_slow_answer_times_out_and_is_retried(o4, emulator):
    o4("config", "set", "timeout", "0.5")
    emulator.fault(delay=1.5)
    r = o4("models", "list", "--remote", "-v")
    assert r.code == 0, r.stderr
    assert len(emulator.log) == 2
    assert "timed out waiting for 127.0.0.1" in r.stderr


def test_timeout_after_retries_exits_5(o4, emulator):
    o4("config", "set", "timeout", "0.3")
    o4("config", "set", "max_retries", "1")
    emulator.fault(delay=1.0, times=2)
    r = o4("models", "list", "--remote")
    assert r.code == 5 and "timed out" in r.stderr and "timeout" in r.stderr


def test_unreachable_server_exits_5(o4):
    r = o4("models", "list", "--remote", extra_env={"OPENAI_API_KEY": TEST_KEY, "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"})
    assert r.code == 5 and "cannot reach 127.0.0.1" in r.stderr


def test_verbose_logs_requests_and_retries_without_the_key(o4, emulator):
    emulator.fault(status=500)
    r = o4("-v", "models", "list", "--remote")
    assert r.code == 0
    lines = [line for line in r.stderr.splitlines() if line.startswith("o4: GET ")]
    assert len(lines) == 2
    assert f"GET {emulator.url}/models -> 500 in " in lines[0] and "(request req_" in lines[0]
    assert "-> 200" in lines[1]
    assert "retrying: 500; retry 1 of 2 in" in r.stderr and "(backoff)" in r.stderr
    assert TEST_KEY not in r.output and "Bearer" not in r.output
