"""config.resolve: flag > environment > profile > default, tested with plain values."""

from pathlib import Path

import pytest

from o4cli.core import config
from o4cli.core.errors import ConfigError, UsageError

PATH = Path("/cfg/config.toml")


def cfg(data):
    return config.ConfigFile(PATH, config.validate(data, PATH), exists=True)


FILE = cfg(
    {
        "default_profile": "work",
        "profiles": {
            "work": {"model": "o4-mini-2025-04-16", "effort": "high", "tier": 3, "base_url": "https://work.example/v1"},
            "home": {"effort": "low", "api_key_env": "HOME_KEY", "organization": "org-home"},
        },
    }
)


def resolve(env=None, **kw):
    return config.resolve(FILE, env or {}, data=Path("/data"), **kw)


def test_defaults_without_a_file():
    s = config.resolve(config.ConfigFile(PATH, {}, False), {}, data=Path("/d"))
    assert (s.profile, s.model, s.effort, s.api, s.tier, s.max_retries, s.timeout) == (
        "default", "o4-mini", "medium", "responses", 1, 2, 600.0
    )
    assert s.base_url == "https://api.openai.com/v1"
    assert s.api_key is None


def test_profile_overrides_defaults():
    s = resolve()
    assert (s.profile, s.model, s.effort, s.tier) == ("work", "o4-mini-2025-04-16", "high", 3)
    assert s.sources["effort"] == "profile work"
    assert s.sources["api"] == "default"


def test_environment_overrides_profile():
    s = resolve({"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "OPENAI_ORG_ID": "org-env", "OPENAI_PROJECT_ID": "proj_env"})
    assert (s.base_url, s.organization, s.project) == ("http://127.0.0.1:9/v1", "org-env", "proj_env")
    assert s.sources["base_url"] == "$OPENAI_BASE_URL"


def test_flag_overrides_environment_and_profile():
    s = resolve({"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}, flags={"effort": "low", "base_url": "http://flag/v1", "model": None})
    assert (s.effort, s.base_url, s.model) == ("low", "http://flag/v1", "o4-mini-2025-04-16")
    assert s.sources["effort"] == "flag"


def test_profile_choice_flag_beats_o4_profile_beats_default_profile():
    assert resolve().profile == "work"
    assert resolve({"O4_PROFILE": "home"}).profile == "home"
    assert resolve({"O4_PROFILE": "home"}, profile="work").profile == "work"


def test_key_from_the_profile_named_variable():
    s = resolve({"OPENAI_API_KEY": "sk-general-1234567890", "HOME_KEY": "sk-home-1234567890"}, profile="home")
    assert s.api_key == "sk-home-1234567890" and s.api_key_source == "$HOME_KEY"
    s = resolve({"OPENAI_API_KEY": "sk-general-1234567890"})
    assert s.api_key == "sk-general-1234567890"


def test_environment_key_beats_file_key():
    f = cfg({"profiles": {"default": {"api_key": "sk-file-1234567890"}}})
    assert config.resolve(f, {}, data=Path("/d")).api_key == "sk-file-1234567890"
    assert config.resolve(f, {"OPENAI_API_KEY": "sk-env-1234567890"}, data=Path("/d")).api_key == "sk-env-1234567890"


def test_unknown_profile_lists_the_known_ones():
    with pytest.raises(ConfigError) as e:
        resolve(profile="wrok")
    assert "unknown profile 'wrok'" in e.value.message
    assert "home, work" in e.value.message and "did you mean 'work'" in e.value.message
    assert e.value.exit_code == 3


def test_default_profile_needs_no_table():
    assert resolve(profile="default").model == "o4-mini"


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"profiles": {"w": {"modle": "x"}}}, "unknown setting 'profiles.w.modle' (did you mean 'model'?)"),
        ({"profiles": {"w": {"tier": 9}}}, "setting 'profiles.w.tier' must be a whole number from 1 to 5"),
        ({"profiles": {"w": {"tier": "two"}}}, "'profiles.w.tier'"),
        ({"profiles": {"w": {"effort": "max"}}}, "'profiles.w.effort' must be one of none, minimal, low, medium, high, xhigh"),
        ({"profiles": {"w": {"api": "grpc"}}}, "'profiles.w.api' must be one of responses, chat"),
        ({"profiles": {"w": {"timeout": -1}}}, "'profiles.w.timeout'"),
        ({"profiles": {"w": {"base_url": "api.openai.com"}}}, "'profiles.w.base_url' must be an http"),
        ({"profiles": {"w": {"max_retries": True}}}, "'profiles.w.max_retries'"),
        ({"default_profil": "w"}, "unknown top-level key 'default_profil'"),
        ({"profiles": {"w": "x"}}, "'profiles.w' must be a table"),
    ],
)
def test_bad_values_are_refused_naming_the_key(data, fragment):
    with pytest.raises(UsageError) as e:
        config.validate(data, PATH)
    assert fragment in e.value.message
    assert str(PATH) in e.value.message


def test_bad_environment_value_names_the_variable():
    with pytest.raises(UsageError) as e:
        resolve({"OPENAI_BASE_URL": "nonsense"})
    assert "$OPENAI_BASE_URL" in e.value.message


def test_redact():
    assert config.redact("sk-proj-abcdefghijklmnop1234") == "sk-...1234"
    assert config.redact("short") == "***"
    assert config.redact(None) == ""


def test_settings_repr_never_shows_the_key():
    s = resolve({"OPENAI_API_KEY": "sk-secret-abcdefghijkl"})
    assert "sk-secret" not in repr(s)
    assert "sk-secret" not in str(s.public())


@pytest.mark.parametrize(
    "url, warned",
    [
        ("https://api.openai.com/v1", False),
        ("http://127.0.0.1:8080/v1", False),
        ("http://[::1]:8080/v1", False),
        ("http://localhost:4000/v1", False),
        ("http://proxy.localhost/v1", False),
        ("http://10.0.0.5:4000/v1", True),
        ("http://llm.internal/v1", True),
    ],
)
def test_a_key_over_plain_http_to_another_machine_is_warned_about(url, warned):
    s = resolve({"OPENAI_API_KEY": "sk-proj-secret0123456789", "OPENAI_BASE_URL": url})
    message = s.key_in_clear()
    assert (message is not None) == warned
    if message:
        assert url in message and "unencrypted" in message and "secret" not in message
