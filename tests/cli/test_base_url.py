"""A base URL that cannot be used is a configuration error naming the setting, never an
internal error or a traceback, and nothing is sent."""

import pytest


@pytest.mark.parametrize(
    "url",
    [
        "http://exa mple.com/v1",
        "http://x\x01y/v1",
        "http://xn--a.com/v1",
        "http://a..b/v1",
        "http://[::1/v1",
        "ftp://example.com/v1",
        "http://example.com:99999/v1",
        "http://exa\x7fmple.com/v1",
    ],
)
def test_a_bad_base_url_is_refused_by_name(o4, url):
    r = o4("models", "list", "--remote", extra_env={"OPENAI_API_KEY": "sk-test-0123456789abcdef", "OPENAI_BASE_URL": url})
    assert r.code == 2 and "$OPENAI_BASE_URL: setting 'base_url'" in r.stderr, r.stderr
    assert "internal error" not in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/v1", "https://api.openai.com/v1", "http://[::1]:8080/v1", "http://münchen.de/v1"])
def test_good_base_urls_pass(o4, url):
    r = o4("config", "get", "base_url", extra_env={"OPENAI_BASE_URL": url})
    assert r.code == 0 and r.stdout.strip() == url


def test_a_key_sent_over_plain_http_to_another_host_gets_one_warning(o4, emulator):
    assert o4("config", "set", "max_retries", "0").code == 0
    r = o4("ask", "hi", extra_env={"OPENAI_BASE_URL": "http://llm.invalid/v1"})
    assert r.code == 5  # the host does not resolve: a network error
    warnings = [x for x in r.stderr.splitlines() if "travels unencrypted" in x]
    assert len(warnings) == 1 and warnings[0].startswith("o4: warning: base_url http://llm.invalid/v1")


def test_plain_http_on_this_machine_is_not_warned_about(o4, emulator):
    r = o4("ask", "hi")  # the emulator: http://127.0.0.1
    assert r.code == 0 and "unencrypted" not in r.stderr
