"""Settings: where they live, how they are checked, and how they are resolved.

The config file is TOML (design.md section 2)::

    default_profile = "default"
    [profiles.default]
    model = "o4-mini"

Reading is strict (an unknown key or a value of the wrong type is an error that
names it); writing is atomic and leaves the file at mode 0600.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from o4cli.core.errors import ConfigError, UsageError

DEFAULT_PROFILE = "default"
MAX_CONFIG_BYTES = 1024 * 1024  # read before the first check: a FIFO or /dev/zero as config must not hang o4
DEFAULT_KEY_ENV = "OPENAI_API_KEY"
CONFIG_ENV = "O4_CONFIG"
DATA_ENV = "O4_DATA_DIR"
PROFILE_ENV = "O4_PROFILE"
NO_LOG_ENV = "O4_NO_LOG"  # set (not 0): keep no prompts or answers in the history

# Environment variables that override a profile's setting (design.md section 2).
ENV_OVERRIDES = {
    "base_url": "OPENAI_BASE_URL",
    "organization": "OPENAI_ORG_ID",
    "project": "OPENAI_PROJECT_ID",
    "budget_daily": "O4_BUDGET_DAILY",
    "budget_monthly": "O4_BUDGET_MONTHLY",
}
DEFAULT_ADMIN_KEY_ENV = "OPENAI_ADMIN_KEY"


def _str(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")
    return value


def _control_or_space(c: str) -> bool:
    """A character no URL may hold: space, C0 and C1 controls, DEL (as ``render.text.safe``)."""
    return ord(c) <= 0x20 or 0x7F <= ord(c) < 0xA0


def _url(value: Any) -> str:
    from urllib.parse import urlsplit

    value = _str(value)
    if not re.match(r"^https?://[^/\s]+", value):
        raise ValueError("must be an http:// or https:// URL")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise ValueError(f"must be a valid URL ({exc})") from None
    if not parts.hostname:
        raise ValueError("must name a host")
    bad = next((c for c in value if _control_or_space(c)), None)
    if bad is not None:
        raise ValueError(f"must be a URL without spaces or control characters (found {bad!r})")
    host = parts.hostname
    if not host.startswith("["):  # an IPv6 literal has no labels to encode
        try:
            decoded = host.encode("idna").decode("idna")  # what the HTTP client will do: fail here, by name
        except UnicodeError as exc:
            raise ValueError(f"must name a valid host ({host!r}: {exc})") from None
        if any(_control_or_space(c) for c in decoded):
            raise ValueError(f"must name a valid host ({host!r} decodes to control characters)")
        if any(not label for label in host.split(".")[:-1]):
            raise ValueError(f"must name a valid host ({host!r} has an empty label)")
    return value.rstrip("/")


def _choice(*choices: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in choices:
            raise ValueError("must be one of " + ", ".join(choices))
        return value

    return check


def _int_range(lo: int, hi: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise ValueError(f"must be a whole number from {lo} to {hi}")
        return value

    return check


def _seconds(value: Any) -> float:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 86400:
        raise ValueError("must be a number of seconds above 0")
    return float(value)


def _bool(value: Any) -> bool:
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _usd(value: Any) -> float | None:
    """A budget in US dollars (0 or more); "off" or "none" (from the environment) means no budget."""
    if isinstance(value, str):
        if value.strip().lower() in ("off", "none"):
            return None
        try:
            value = float(value.strip().removeprefix("$"))
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1e9:
        raise ValueError("must be an amount of US dollars, 0 or more (like 5 or 2.50)")
    return float(value)


def _env_name(value: Any) -> str:
    value = _str(value)
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
        raise ValueError("must be the name of an environment variable")
    return value


_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
_OWN_HEADERS = {"authorization", "api-key", "openai-organization", "openai-project", "user-agent"}


def _str_table(what: str, *, headers: bool = False) -> Callable[[Any], dict[str, str]]:
    """A table of names to strings (``headers``, ``query``, ``deployments``): in the file
    only, as ``[profiles.NAME.headers]``."""

    def check(value: Any) -> dict[str, str]:
        if not isinstance(value, dict):
            raise ValueError(f"must be a table of {what} (write it in the file: [profiles.NAME.KEY])")
        out: dict[str, str] = {}
        for k, v in value.items():
            if not isinstance(v, str) or any(_control_or_space(c) and c != " " for c in v):
                raise ValueError(f"{k}: must be a string without control characters")
            if headers:
                if not _HEADER_NAME.match(k):
                    raise ValueError(f"{k!r} is not a valid header name")
                if k.lower() in _OWN_HEADERS:
                    raise ValueError(f"{k}: o4 sets this header itself (auth, organization, project)")
            out[str(k)] = v
        return out

    return check


# Every key a profile may hold, with the check its value must pass.
PROFILE_KEYS: dict[str, Callable[[Any], Any]] = {
    "base_url": _url,
    "api_key_env": _env_name,
    "api_key": _str,
    "organization": _str,
    "project": _str,
    "model": _str,
    "api": _choice("responses", "chat"),
    "effort": _choice("none", "minimal", "low", "medium", "high", "xhigh"),
    "tier": _int_range(1, 5),
    "timeout": _seconds,
    "max_retries": _int_range(0, 10),
    "resumable": _bool,  # o4 stream in background mode, resumed after a cut
    # compatible servers (Azure OpenAI v1, proxies): how the key is sent, fixed headers and
    # query parameters, and o4's model names -> the server's deployment names
    "auth": _choice("bearer", "api-key"),
    "headers": _str_table("header names to values", headers=True),
    "query": _str_table("query parameters to values"),
    "deployments": _str_table("model names to deployment names"),
    "budget_daily": _usd,
    "budget_monthly": _usd,
    "admin_key_env": _env_name,
    "log": _bool,  # keep prompts and answers in the history (``o4 logs``)
}

DEFAULTS: dict[str, Any] = {
    "base_url": "https://api.openai.com/v1",
    "api_key_env": DEFAULT_KEY_ENV,
    "model": "o4-mini",
    "api": "responses",
    "effort": "medium",
    "tier": 1,
    "timeout": 600.0,
    "max_retries": 2,
    "resumable": False,
    "auth": "bearer",
    "admin_key_env": DEFAULT_ADMIN_KEY_ENV,
    "log": True,
}


def config_path(env: Mapping[str, str]) -> Path:
    """The config file: ``$O4_CONFIG`` or the platform's user config folder."""
    if env.get(CONFIG_ENV):
        return Path(env[CONFIG_ENV]).expanduser()
    import platformdirs

    return platformdirs.user_config_path("o4cli") / "config.toml"


def data_dir(env: Mapping[str, str]) -> Path:
    """The data folder (ledger, caches): ``$O4_DATA_DIR`` or the platform's."""
    if env.get(DATA_ENV):
        return Path(env[DATA_ENV]).expanduser()
    import platformdirs

    return platformdirs.user_data_path("o4cli")


def check_key(raw: str, source: str) -> str:
    """A key without surrounding whitespace; one with control or non-ASCII characters
    (a pasted key, a file saved with CRLF) is refused naming where it came from, never
    showing it: httpx would otherwise echo the whole header in its error."""
    key = raw.strip()
    if not key.isascii() or not key.isprintable() or any(c.isspace() for c in key):
        raise ConfigError(
            f"the API key in {source} has spaces, control or non-ASCII characters",
            hint="set it again without them (keys are one line of letters, digits, - and _)",
        )
    return key


def scrub(text: str, secret: str | None) -> str:
    """``text`` with ``secret`` replaced by its redacted form."""
    return text.replace(secret, redact(secret)) if secret and secret in text else text


def redact(secret: str | None) -> str:
    """Show a key as ``sk-...abcd``: enough to recognise, never enough to use."""
    if not secret:
        return ""
    if len(secret) < 12:
        return "***"
    return f"{secret[:3]}...{secret[-4:]}"


@dataclass(frozen=True)
class Settings:
    """Everything a command needs to know, resolved once per invocation."""

    profile: str
    config_path: Path
    data_dir: Path
    base_url: str = DEFAULTS["base_url"]
    api_key: str | None = field(default=None, repr=False)
    api_key_source: str | None = None
    api_key_env: str = DEFAULT_KEY_ENV
    organization: str | None = None
    project: str | None = None
    model: str = DEFAULTS["model"]
    api: str = DEFAULTS["api"]
    effort: str = DEFAULTS["effort"]
    tier: int = DEFAULTS["tier"]
    timeout: float = DEFAULTS["timeout"]
    max_retries: int = DEFAULTS["max_retries"]
    auth: str = DEFAULTS["auth"]
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    deployments: dict[str, str] = field(default_factory=dict)
    resumable: bool = DEFAULTS["resumable"]  # `o4 stream` in background mode, resuming after a cut
    budget_daily: float | None = None  # USD a UTC day, this profile's calls (core/budget.py)
    budget_monthly: float | None = None  # USD a UTC calendar month
    admin_key_env: str = DEFAULT_ADMIN_KEY_ENV  # the admin key's variable (`o4 usage reconcile`)
    log: bool = True
    sources: dict[str, str] = field(default_factory=dict, compare=False)

    def deployment(self, model: str) -> str:
        """The name the server knows ``model`` by (``deployments``; itself when unmapped)."""
        return self.deployments.get(model, model)

    def require_key(self) -> str:
        """The API key, or a ConfigError that says how to provide one."""
        if self.api_key:
            return self.api_key
        raise ConfigError(
            f"no API key: ${self.api_key_env} is not set"
            + (f" and profile '{self.profile}' has no api_key" if self.profile else ""),
            hint=f"export {self.api_key_env}=sk-...  (or `o4 config set api_key_env NAME` to read another variable)",
        )

    def key_in_clear(self) -> str | None:
        """The warning to show when the key would travel unencrypted: plain ``http://`` to a
        host that is not this machine (a local proxy or server on loopback is fine)."""
        from urllib.parse import urlsplit

        parts = urlsplit(self.base_url)
        if parts.scheme != "http" or not self.api_key:
            return None
        host = (parts.hostname or "").lower()
        if host == "localhost" or host.endswith(".localhost") or _loopback(host):
            return None
        return (
            f"base_url {self.base_url} is plain http to another machine: the API key travels unencrypted "
            f"({self.sources.get('base_url', 'setting')}); use https"
        )

    def public(self) -> dict[str, Any]:
        """The settings as plain values, with the key redacted."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name == "sources":
                continue
            value = getattr(self, f.name)
            if f.name == "api_key":
                value = redact(value) or None
            elif f.name == "headers":
                value = {k: redact(v) if _secret_header(k) else v for k, v in value.items()}
            elif isinstance(value, Path):
                value = str(value)
            out[f.name] = value
        return out


def _secret_header(name: str) -> bool:
    """A header whose value is a credential (shown redacted, like the key)."""
    n = name.lower()
    return any(w in n for w in ("key", "token", "secret", "auth", "password", "signature", "cookie"))


# ---------------------------------------------------------------- the file


def _loopback(host: str) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass
class ConfigFile:
    """The parsed config file (empty when it does not exist)."""

    path: Path
    data: dict[str, Any]
    exists: bool
    text: str = ""  # the file as it is (edits keep its comments and layout)

    @property
    def profiles(self) -> dict[str, dict[str, Any]]:
        return self.data.get("profiles", {})

    @property
    def default_profile(self) -> str:
        return self.data.get("default_profile", DEFAULT_PROFILE)


def _toml_error(path: Path, exc: Exception) -> UsageError:  # a tomllib.TOMLDecodeError
    # Python 3.11's TOMLDecodeError carries the position only in its message.
    text = str(exc)
    m = re.search(r"\(at line (\d+), column (\d+)\)", text)
    reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", text) or "invalid TOML"
    where = f":{m.group(1)}:{m.group(2)}" if m else ""
    pos = f" line {m.group(1)}, column {m.group(2)}:" if m else ""
    return UsageError(
        f"config file {path}{where}: not valid TOML:{pos} {reason}",
        hint="fix the file, or move it aside and run `o4 config init`",
    )


def _suggest(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def check_value(key: str, value: Any, *, where: str = "") -> Any:
    """Check one profile value; return it normalised or raise naming the key."""
    label = f"{where}{key}"
    if key not in PROFILE_KEYS:
        raise UsageError(
            f"unknown setting '{label}'{_suggest(key, list(PROFILE_KEYS))}",
            hint="known settings: " + ", ".join(PROFILE_KEYS),
        )
    try:
        return PROFILE_KEYS[key](value)
    except ValueError as exc:
        raise UsageError(f"setting '{label}' {exc} (got {value!r})") from None


def validate(data: dict[str, Any], path: Path) -> dict[str, Any]:
    """Check the file's structure and values; every error names the key."""
    for key, value in data.items():
        if key == "default_profile":
            if not isinstance(value, str) or not value:
                raise UsageError(f"config file {path}: 'default_profile' must be a profile name")
        elif key == "log":
            if not isinstance(value, bool):
                raise UsageError(f"config file {path}: 'log' must be true or false (got {value!r})")
        elif key == "profiles":
            if not isinstance(value, dict):
                raise UsageError(f"config file {path}: 'profiles' must be a table of profiles")
            for name, profile in value.items():
                if not isinstance(profile, dict):
                    raise UsageError(f"config file {path}: 'profiles.{name}' must be a table")
                for k, v in profile.items():
                    try:
                        profile[k] = check_value(k, v, where=f"profiles.{name}.")
                    except UsageError as exc:
                        raise UsageError(f"config file {path}: {exc.message}", hint=exc.hint) from None
        else:
            raise UsageError(
                f"config file {path}: unknown top-level key '{key}'"
                + _suggest(key, ["default_profile", "log", "profiles"]),
                hint="the file holds 'default_profile', 'log' and [profiles.NAME] tables",
            )
    return data


def load_file(path: Path, *, check_mode: bool = True) -> ConfigFile:
    """Read and check the config file; a missing file is an empty config.

    ``check_mode`` refuses a file holding a key that others can read; the commands that
    repair a file (``config set``/``unset``, which write it back 0600) skip that check."""
    from o4cli.core.files import read_capped

    if not os.path.exists(path):
        return ConfigFile(path, {}, exists=False)
    import tomllib  # only for a file that exists

    try:
        raw = read_capped(f"config file {path}", path, MAX_CONFIG_BYTES, "too large for a config file")
    except UsageError as exc:
        raise ConfigError(exc.message) from None
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise UsageError(f"config file {path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(path, exc) from None
    cfg = ConfigFile(path, validate(data, path), exists=True)
    cfg.text = raw.decode("utf-8-sig")
    if check_mode:
        _check_key_permissions(cfg)
    return cfg


def _unsafe_mode(cfg: ConfigFile) -> int | None:
    """The file's mode when it holds a key and others can read it, else None."""
    if os.name != "posix" or not any("api_key" in p for p in cfg.profiles.values()):
        return None
    mode = stat.S_IMODE(cfg.path.stat().st_mode)
    return mode if mode & 0o077 else None


def _check_key_permissions(cfg: ConfigFile) -> None:
    holders = [n for n, p in cfg.profiles.items() if "api_key" in p]
    mode = _unsafe_mode(cfg)
    if mode is not None:
        raise ConfigError(
            f"config file {cfg.path} holds an api_key (profile '{holders[0]}') but is "
            f"readable by others (mode {mode:04o})",
            hint=f"run: chmod 600 {cfg.path}",
        )


def edit_file(cfg: ConfigFile, change: Callable[[Any], None]) -> None:
    """Apply ``change`` to the file's TOML document and write it back atomically, mode 0600,
    keeping its comments, order and layout (tomlkit). The result is checked as a whole
    before it is written: a change that would leave a bad file writes nothing."""
    import tomlkit

    from o4cli.core.files import write_atomic

    doc = tomlkit.parse(cfg.text) if cfg.text else tomlkit.document()
    change(doc)
    text = tomlkit.dumps(doc)
    import tomllib

    validate(tomllib.loads(text), cfg.path)
    write_atomic(cfg.path, text.encode("utf-8"))


def _profile_table(doc: Any, name: str) -> Any:
    """``[profiles.NAME]`` of a tomlkit document, made (as a ``[profiles.NAME]`` header) if need be."""
    import tomlkit

    if "profiles" not in doc:
        doc.add("profiles", tomlkit.table(is_super_table=True))
    profiles = doc["profiles"]
    if name not in profiles:
        profiles.add(name, tomlkit.table())
    return profiles[name]


# ------------------------------------------------------------ resolution


def resolve(
    cfg: ConfigFile,
    env: Mapping[str, str],
    *,
    profile: str | None = None,
    flags: Mapping[str, Any] | None = None,
    data: Path | None = None,
) -> Settings:
    """Resolve the settings for one invocation.

    Highest first:
      1. command-line flags (``flags``; ``profile`` picks the profile);
      2. the environment: ``O4_PROFILE``, the key in ``$OPENAI_API_KEY`` (or the
         variable the profile names in ``api_key_env``), ``OPENAI_BASE_URL``,
         ``OPENAI_ORG_ID``, ``OPENAI_PROJECT_ID``, ``O4_BUDGET_DAILY``, ``O4_BUDGET_MONTHLY``;
      3. the selected profile in the config file;
      4. built-in defaults (``DEFAULTS``).
    """
    if profile:
        name, chosen_by = profile, "--profile"
    elif env.get(PROFILE_ENV):
        name, chosen_by = env[PROFILE_ENV], f"${PROFILE_ENV}"
    else:
        name, chosen_by = cfg.default_profile, "default_profile"
    if name in cfg.profiles:
        stored = cfg.profiles[name]
    elif name == DEFAULT_PROFILE:
        stored = {}  # "default" needs no table: it is the built-in defaults
    else:
        known = ", ".join(sorted(cfg.profiles)) or "none"
        raise ConfigError(
            f"unknown profile '{name}' (from {chosen_by}); known profiles: {known}{_suggest(name, list(cfg.profiles))}",
            hint=f"create it with `o4 config set -p {name} model o4-mini`",
        )

    values: dict[str, Any] = dict(DEFAULTS)
    sources = {k: "default" for k in DEFAULTS}
    if "log" in cfg.data:  # the one setting that may also be global (top level of the file)
        values["log"], sources["log"] = cfg.data["log"], "config file"
    for key, value in stored.items():
        values[key] = value
        sources[key] = f"profile {name}"
    if env.get(NO_LOG_ENV, "") not in ("", "0"):
        values["log"], sources["log"] = False, f"${NO_LOG_ENV}"
    for key, var in ENV_OVERRIDES.items():
        if env.get(var):
            try:
                values[key] = check_value(key, env[var])
            except UsageError as exc:
                raise UsageError(f"${var}: {exc.message}") from None
            sources[key] = f"${var}"
    for key, value in (flags or {}).items():
        if value is not None:
            values[key] = check_value(key, value)
            sources[key] = "flag"

    # The key: the variable the profile names (default OPENAI_API_KEY), then the file.
    key_env = values["api_key_env"]
    api_key, key_source = None, None
    if env.get(key_env, "").strip():
        api_key, key_source = check_key(env[key_env], f"${key_env}"), f"${key_env}"
    elif stored.get("api_key"):
        where = f"profile {name} ({cfg.path})"
        api_key, key_source = check_key(stored["api_key"], f"api_key of {where}"), where
    values.pop("api_key", None)
    if key_source:
        sources["api_key"] = key_source

    return Settings(
        profile=name,
        config_path=cfg.path,
        data_dir=data if data is not None else data_dir(env),
        api_key=api_key,
        api_key_source=key_source,
        sources=sources,
        **{k: v for k, v in values.items() if k in _SETTING_FIELDS},
    )


_SETTING_FIELDS = set(PROFILE_KEYS) - {"api_key"}  # the key is resolved on its own


def load_settings(
    env: Mapping[str, str], *, profile: str | None = None, flags: Mapping[str, Any] | None = None
) -> Settings:
    """Read the config file named by the environment and resolve the settings."""
    return resolve(load_file(config_path(env)), env, profile=profile, flags=flags)


# ------------------------------------------------- `o4 config` (no printing here)

TEMPLATE = """\
# o4 configuration. Every key is optional; `o4 config --help` explains them.
# Keys are safest in an environment variable: api_key_env names it.
default_profile = "default"

[profiles.default]
model = "o4-mini"
api = "responses"        # or "chat" (Chat Completions), for compatible servers
effort = "medium"        # reasoning effort: low | medium | high
tier = 1                 # usage tier 1-5: drives rate and batch-queue limits
# base_url = "https://api.openai.com/v1"
# api_key_env = "OPENAI_API_KEY"
# organization = "org-..."
# project = "proj_..."
# timeout = 600
# max_retries = 2
# budget_daily = 5.00     # USD a UTC day: a call whose worst case would pass it is refused (exit 6)
# budget_monthly = 50.00  # USD a UTC month
# admin_key_env = "OPENAI_ADMIN_KEY"  # the admin key `o4 usage reconcile` reads
"""


def _locked(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run a read-modify-write of the config file under its lock: two ``o4 config set`` at
    once both land (the second reads what the first wrote)."""
    import functools

    @functools.wraps(fn)
    def wrapper(env: Mapping[str, str], *args: Any, **kwargs: Any) -> Any:
        from o4cli.core.locks import exclusive

        path = config_path(env)
        with exclusive(path.with_name(f".{path.name}.lock")):
            return fn(env, *args, **kwargs)

    return wrapper


def target_profile(profile: str | None, env: Mapping[str, str], cfg: ConfigFile) -> str:
    """The profile that set/unset change: --profile, $O4_PROFILE, default_profile."""
    return profile or env.get(PROFILE_ENV) or cfg.default_profile


@_locked
def init_file(env: Mapping[str, str], profile: str | None, *, force: bool) -> Path:
    """Write the commented starter file; refuse to replace one without ``force``."""
    from o4cli.core.errors import O4Error
    from o4cli.core.files import write_atomic

    path = config_path(env)
    if path.exists() and not force:
        raise O4Error(f"{path} already exists", hint="use --force to replace it, or `o4 config set` to change it")
    text = TEMPLATE
    if profile and profile != DEFAULT_PROFILE:
        text = text.replace('"default"', f'"{profile}"', 1).replace("[profiles.default]", f"[profiles.{profile}]")
    write_atomic(path, text.encode())
    return path


@_locked
def set_key(env: Mapping[str, str], profile: str | None, key: str, value: str) -> tuple[str, Any, list[str]]:
    """Set a profile key (or default_profile); return (profile, stored value, notes)."""
    path = config_path(env)
    cfg = load_file(path, check_mode=False)  # set repairs a file others can read: it is written 0600
    notes = []
    if key == "default_profile":
        if not value.strip():
            raise UsageError("default_profile must be a profile name")
        if value not in cfg.profiles and value != DEFAULT_PROFILE:
            notes.append(f"note: profile '{value}' does not exist yet; `o4 config set -p {value} KEY VALUE` creates it")
        name, stored = "", value

        def change(doc: Any) -> None:
            doc["default_profile"] = value
    else:
        stored = check_value(key, value)
        name = target_profile(profile, env, cfg)

        def change(doc: Any, value: Any = stored) -> None:
            _profile_table(doc, name)[key] = value

        if key == "api_key":
            notes.append(f"api_key stored in {path} (mode 0600); an environment variable (api_key_env) is safer")
            stored = redact(stored)
    notes.extend(_write_repairing(cfg, change))
    return name, stored, notes


def _write_repairing(cfg: ConfigFile, change: Callable[[Any], None]) -> list[str]:
    """``edit_file``, saying so when the write also made a key file private again."""
    mode = _unsafe_mode(cfg)
    edit_file(cfg, change)
    return [] if mode is None else [f"note: {cfg.path} was readable by others (mode {mode:04o}); it is 0600 now"]


@_locked
def unset_key(env: Mapping[str, str], profile: str | None, key: str) -> tuple[str, list[str]]:
    """Remove a profile key (or default_profile); return (the profile changed, notes)."""
    from o4cli.core.errors import O4Error

    path = config_path(env)
    cfg = load_file(path, check_mode=False)  # unset repairs a file others can read: it is written 0600
    if key == "default_profile":
        if "default_profile" not in cfg.data:
            raise O4Error("default_profile is not set")
        name = ""

        def change(doc: Any) -> None:
            del doc["default_profile"]
    else:
        if key not in PROFILE_KEYS:
            check_value(key, None)
        name = target_profile(profile, env, cfg)
        if key not in cfg.profiles.get(name, {}):
            raise O4Error(f"'{key}' is not set in profile '{name}' of {path}")

        def change(doc: Any) -> None:
            del doc["profiles"][name][key]

    return name, _write_repairing(cfg, change)


def profile_rows(env: Mapping[str, str]) -> list[dict[str, Any]]:
    """The profiles of the file (``default`` even when it has no table), default marked."""
    cfg = load_file(config_path(env))
    default = env.get(PROFILE_ENV) or cfg.default_profile
    names = list(cfg.profiles) or [DEFAULT_PROFILE]
    if default == DEFAULT_PROFILE and default not in names:
        names.insert(0, default)
    rows = []
    for name in names:
        p = cfg.profiles.get(name, {})
        rows.append(
            {
                "name": name,
                "default": name == default,
                "model": p.get("model", DEFAULTS["model"]),
                "base_url": p.get("base_url", DEFAULTS["base_url"]),
                "tier": p.get("tier", DEFAULTS["tier"]),
                "in_file": name in cfg.profiles,
            }
        )
    return rows
