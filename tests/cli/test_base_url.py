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
