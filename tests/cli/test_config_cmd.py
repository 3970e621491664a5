"""`o4 config ...` through the real command."""

import json
import os
import stat
from pathlib import Path


def cfg_path(env) -> Path:
    return Path(env["O4_CONFIG"])


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_path_names_the_config_file_and_data_folder(o4, env):
    assert o4("config", "path").stdout.strip() == env["O4_CONFIG"]
    assert o4("config", "path", "--data").stdout.strip() == env["O4_DATA_DIR"]


def test_init_writes_a_0600_file_and_refuses_to_overwrite(o4, env):
    r = o4("config", "init")
    assert r.code == 0 and r.stdout.strip() == env["O4_CONFIG"]
    assert mode(cfg_path(env)) == 0o600
    assert "[profiles.default]" in cfg_path(env).read_text()
    r = o4("config", "init")
    assert r.code == 1 and "already exists" in r.stderr and "--force" in r.stderr
    assert o4("config", "init", "--force").code == 0


def test_set_get_unset_round_trip(o4, env):
    assert o4("config", "set", "effort", "high").code == 0
    assert o4("config", "get", "effort").stdout == "high\n"
    assert mode(cfg_path(env)) == 0o600
    assert o4("config", "set", "tier", "3", "-p", "work").code == 0
    assert o4("config", "get", "tier", "-p", "work").stdout == "3\n"
    assert o4("-p", "work", "config", "get", "tier").stdout == "3\n"  # global position too
    assert 'tier = 3' in cfg_path(env).read_text()  # stored as a number, not a string
    assert o4("config", "unset", "effort").code == 0
    assert o4("config", "get", "effort").stdout == "medium\n"  # back to the default
    r = o4("config", "unset", "effort")
    assert r.code == 1 and "not set" in r.stderr


def test_get_of_an_unset_optional_key_exits_1_with_empty_stdout(o4):
    r = o4("config", "get", "organization")
    assert r.code == 1 and r.stdout == "" and "not set" in r.stderr


def test_set_refuses_bad_values_naming_the_key_and_keeps_the_file(o4, env):
    o4("config", "set", "model", "o4-mini-2025-04-16")
    before = cfg_path(env).read_text()
    r = o4("config", "set", "tier", "9")
    assert r.code == 2 and "'tier' must be a whole number from 1 to 5" in r.stderr
    r = o4("config", "set", "effrot", "low")
    assert r.code == 2 and "unknown setting 'effrot'" in r.stderr and "effort" in r.stderr
    r = o4("config", "set", "effort", "extreme")
    assert r.code == 2 and "'effort' must be one of none, minimal, low, medium, high, xhigh" in r.stderr
    assert cfg_path(env).read_text() == before


def test_environment_beats_profile_and_flag_beats_all(o4, env, tmp_path):
    o4("config", "set", "base_url", "https://profile.example/v1")
    assert o4("config", "get", "base_url").stdout.strip() == "https://profile.example/v1"
    r = o4("config", "get", "base_url", extra_env={"OPENAI_BASE_URL": "https://env.example/v1"})
    assert r.stdout.strip() == "https://env.example/v1"


def test_o4_profile_selects_the_profile(o4):
    o4("config", "set", "-p", "work", "effort", "low")
    assert o4("config", "get", "effort", extra_env={"O4_PROFILE": "work"}).stdout == "low\n"
    assert o4("config", "get", "effort").stdout == "medium\n"


def test_show_redacts_the_key_and_names_sources(o4):
    key = "sk-proj-verysecretvalue-9876"
    r = o4("config", "show", extra_env={"OPENAI_API_KEY": key})
    assert r.code == 0
    assert key not in r.output and "sk-...9876" in r.stdout
    assert "$OPENAI_API_KEY" in r.stdout
    data = json.loads(o4("config", "show", "--json", extra_env={"OPENAI_API_KEY": key}).stdout)
    assert data["api_key"] == "sk-...9876" and data["model"] == "o4-mini"
    assert data["sources"]["model"] == "default"


def test_show_without_a_key_says_how_to_set_one(o4):
    r = o4("config", "show")
    assert r.code == 0 and "not set (export OPENAI_API_KEY=...)" in r.stdout


def test_api_key_in_file_is_refused_when_others_can_read_it(o4, env):
    key = "sk-file-key-abcdefgh-5555"
    assert o4("config", "set", "api_key", key).code == 0
    text = cfg_path(env).read_text()
    assert key in text and mode(cfg_path(env)) == 0o600
    os.chmod(cfg_path(env), 0o644)
    r = o4("config", "show")
    assert r.code == 3
    assert "readable by others (mode 0644)" in r.stderr and f"chmod 600 {env['O4_CONFIG']}" in r.stderr
    assert key not in r.output
    os.chmod(cfg_path(env), 0o600)
    r = o4("config", "show")
    assert r.code == 0 and key not in r.output and "sk-...5555" in r.stdout


def test_malformed_toml_names_path_line_and_column(o4, env):
    p = cfg_path(env)
    p.parent.mkdir(parents=True)
    p.write_text('default_profile = "a"\n[profiles.a]\nmodel = o4-mini\n')
    r = o4("config", "show")
    assert r.code == 2
    assert f"{p}:3:9" in r.stderr and "line 3, column 9" in r.stderr
    # and a command that changes the file leaves it alone
    assert o4("config", "set", "effort", "low").code == 2
    assert p.read_text() == 'default_profile = "a"\n[profiles.a]\nmodel = o4-mini\n'


def test_unknown_key_in_the_file_is_named(o4, env):
    p = cfg_path(env)
    p.parent.mkdir(parents=True)
    p.write_text('[profiles.default]\nmodle = "o4-mini"\n')
    r = o4("models", "show")
    assert r.code == 2 and "profiles.default.modle" in r.stderr and "did you mean 'model'" in r.stderr


def test_unknown_profile_lists_known_ones_exit_3(o4):
    o4("config", "set", "-p", "work", "effort", "low")
    o4("config", "set", "-p", "home", "effort", "high")
    r = o4("models", "show", "-p", "wrk")
    assert r.code == 3
    assert "unknown profile 'wrk'" in r.stderr and "home, work" in r.stderr
    r = o4("config", "show", extra_env={"O4_PROFILE": "nope"})
    assert r.code == 3 and "$O4_PROFILE" in r.stderr


def test_profiles_lists_and_marks_the_default(o4):
    o4("config", "set", "-p", "work", "tier", "2")
    o4("config", "set", "default_profile", "work")
    rows = json.loads(o4("config", "profiles", "--json").stdout)
    assert [(r["name"], r["default"]) for r in rows] == [("work", True)]
    r = o4("config", "profiles")
    assert r.stdout.splitlines()[0].split("\t")[:3] == ["profile", "default", "model"]
    assert r.stdout.splitlines()[1].startswith("work\t*\t")


def test_writes_are_atomic_no_temp_files_left(o4, env):
    for i in range(3):
        o4("config", "set", "tier", str(i + 1))
    names = sorted(os.listdir(cfg_path(env).parent))
    assert names == [".config.toml.lock", "config.toml"]  # the writers' lock stays; no temp file does


def test_set_and_unset_keep_the_files_comments_and_layout(o4, env):
    assert o4("config", "init").code == 0
    path = Path(o4("config", "path").stdout.strip())
    path.write_text(path.read_text() + "\n# my own note: tier 3 from January\n[profiles.work]  # the office account\ntier = 2\n")
    before = path.read_text()
    assert o4("config", "set", "model", "o3").code == 0
    assert o4("config", "set", "-p", "work", "effort", "high").code == 0
    assert o4("config", "unset", "-p", "work", "tier").code == 0
    after = path.read_text()
    for line in before.splitlines():
        if line.startswith("#") or line.lstrip().startswith("# "):
            assert line in after  # the starter comments and the user's own
    assert "[profiles.work]  # the office account" in after
    assert 'model = "o3"' in after and 'effort = "high"' in after and "tier = 2" not in after
    assert o4("config", "get", "-p", "work", "effort").stdout.strip() == "high"


def test_set_and_unset_repair_a_key_file_others_can_read(o4, env):
    assert o4("config", "set", "api_key", "sk-proj-abcdefghijklmnopqrstuvwxyz").code == 0
    path = Path(o4("config", "path").stdout.strip())
    path.chmod(0o644)
    refused = o4("config", "show")
    assert refused.code == 3 and "readable by others (mode 0644)" in refused.stderr
    r = o4("config", "unset", "api_key")
    assert r.code == 0, r.stderr
    assert "was readable by others (mode 0644); it is 0600 now" in r.stderr
    assert path.stat().st_mode & 0o777 == 0o600
    assert "sk-proj" not in path.read_text()
    assert o4("config", "show").code == 0


def test_a_set_that_would_leave_a_bad_file_writes_nothing(o4, env):
    assert o4("config", "init").code == 0
    path = Path(o4("config", "path").stdout.strip())
    before = path.read_text()
    r = o4("config", "set", "tier", "9")
    assert r.code == 2 and path.read_text() == before
