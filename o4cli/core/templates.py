"""Templates: saved prompts, instructions and options, one TOML file each in the config
folder's ``templates/`` (``o4 templates``, ``-t NAME``, chat's ``/save NAME``)::

    description = "Review a diff"
    system = "You review $lang code. Be terse."
    prompt = "Review this:"          # put before the words; $input stands for the words
    model = "o4-mini"
    effort = "high"
    schema = "verdict, issues list"   # what --schema takes
    [params]                          # what --param takes
    store = false

``$NAME`` (or ``${NAME}``) in ``system`` and ``prompt`` is filled from ``--var NAME=VALUE``;
``$$`` is a dollar sign. A variable left without a value is an error that names it.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from string import Template as _Text
from typing import Any

from o4cli.core.errors import UsageError

KEYS = ("description", "system", "prompt", "model", "effort", "schema", "params")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
EFFORTS = ("low", "medium", "high")
MAX_BYTES = 256 * 1024
EXAMPLE = """\
# An o4 template: every key is optional. $NAME is filled from --var NAME=VALUE.
description = "What this template is for"
system = "You are a careful reviewer of $lang code."
prompt = "Review this:"   # put before the words; $input stands for the words
# model = "o4-mini"
# effort = "high"
# schema = "verdict, issues list"
# [params]
# store = false
"""


def folder(env: Mapping[str, str]) -> Path:
    """Where templates live: ``templates/`` next to the config file."""
    from o4cli.core.config import config_path

    return config_path(env).parent / "templates"


def path_of(env: Mapping[str, str], name: str) -> Path:
    if not NAME.fullmatch(name) or name.endswith(".toml"):
        raise UsageError(
            f"template name {name!r}: use letters, digits, '.', '_' and '-' (up to 64), without .toml",
        )
    return folder(env) / f"{name}.toml"


@dataclass(frozen=True)
class Template:
    name: str
    path: Path
    description: str | None = None
    system: str | None = None
    prompt: str | None = None
    model: str | None = None
    effort: str | None = None
    schema: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def variables(self) -> list[str]:
        """The ``$NAME`` variables it needs, in order (``$input`` is the words)."""
        seen: list[str] = []
        for text in (self.system, self.prompt):
            for m in _Text.pattern.finditer(text or ""):
                name = m.group("named") or m.group("braced")
                if name and name != "input" and name not in seen:
                    seen.append(name)
        return seen

    def apply(self, pairs: Iterable[str]) -> Applied:
        values: dict[str, str] = {}
        for item in pairs:
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise UsageError(f"--var {item!r}: expected KEY=VALUE")
            values[key.strip()] = value
        unknown = sorted(set(values) - set(self.variables()))
        if unknown:
            raise UsageError(
                f"--var {unknown[0]}: template '{self.name}' has no ${unknown[0]}",
                hint="its variables: " + (", ".join(self.variables()) or "none"),
            )
        missing = [v for v in self.variables() if v not in values]
        if missing:
            raise UsageError(
                f"template '{self.name}' needs --var {missing[0]}=VALUE",
                hint="its variables: " + ", ".join(self.variables()),
            )
        return Applied(self, values)

    def document(self) -> dict[str, Any]:
        """``templates show --json``."""
        return {
            "name": self.name,
            "path": str(self.path),
            **{k: getattr(self, k) for k in KEYS},
            "variables": self.variables(),
        }


@dataclass(frozen=True)
class Applied:
    """A template with its variables filled in, ready to lay under the command's flags."""

    template: Template
    values: dict[str, str]

    def _fill(self, text: str | None, words: str | None = None) -> str | None:
        if text is None:
            return None
        values = dict(self.values)
        if words is not None:
            values["input"] = words
        try:
            return _Text(text).substitute(values)
        except (KeyError, ValueError) as exc:
            raise UsageError(f"template '{self.template.name}': bad placeholder {exc}") from None

    @property
    def system(self) -> str | None:
        return self._fill(self.template.system)

    @property
    def model(self) -> str | None:
        return self.template.model

    @property
    def effort(self) -> str | None:
        return self.template.effort

    @property
    def schema(self) -> str | None:
        return self.template.schema

    @property
    def params(self) -> list[str]:
        return [f"{k}={json.dumps(v) if not isinstance(v, str) else v}" for k, v in self.template.params.items()]

    def prompt_words(self, words: Iterable[str]) -> list[str]:
        """The words the prompt is made of: the template's prompt, then the words (or the
        words in place of ``$input``)."""
        given = " ".join(words)
        prompt = self.template.prompt
        if prompt is None:
            return [given] if given else []
        if re.search(r"\$(input\b|\{input\})", prompt):
            return [self._fill(prompt, given) or ""]
        filled = self._fill(prompt) or ""
        return [filled, given] if given else [filled]


def parse(name: str, path: Path, text: str) -> Template:
    """A template file's content, checked: every error names the file and the key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"template {path}: {exc}") from None
    for key, value in data.items():
        if key not in KEYS:
            raise UsageError(f"template {path}: unknown key '{key}'", hint="known keys: " + ", ".join(KEYS))
        if key == "params":
            if not isinstance(value, dict):
                raise UsageError(f"template {path}: 'params' must be a table ([params])")
        elif not isinstance(value, str) or not value.strip():
            raise UsageError(f"template {path}: '{key}' must be a non-empty string")
    if data.get("effort") is not None and data["effort"] not in EFFORTS:
        raise UsageError(f"template {path}: 'effort' must be one of {', '.join(EFFORTS)}")
    return Template(name=name, path=path, **data)


def load(env: Mapping[str, str], name: str) -> Template:
    from o4cli.core.files import read_capped

    path = path_of(env, name)
    if not path.exists():
        names = names_in(env)
        raise UsageError(
            f"no template '{name}' in {folder(env)}",
            hint=("templates: " + ", ".join(names)) if names else "save one with `o4 templates save NAME -s ...`",
        )
    data = read_capped(f"template {name}", path, MAX_BYTES, "too large for a template", "")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"template {path}: not UTF-8 text") from None
    return parse(name, path, text)


def names_in(env: Mapping[str, str]) -> list[str]:
    where = folder(env)
    if not where.is_dir():
        return []
    return sorted(p.stem for p in where.glob("*.toml") if NAME.fullmatch(p.stem))


def all_templates(env: Mapping[str, str]) -> list[Template]:
    return [load(env, n) for n in names_in(env)]


def render(values: Mapping[str, Any]) -> str:
    """The TOML text of a template (keys in the documented order; params last)."""
    import tomlkit

    doc = tomlkit.document()
    for key in KEYS:
        value = values.get(key)
        if key != "params" and value:
            doc[key] = value
    if values.get("params"):
        table = tomlkit.table()
        for k, v in values["params"].items():
            table[k] = v
        doc["params"] = table
    return tomlkit.dumps(doc)


def save(env: Mapping[str, str], name: str, values: Mapping[str, Any], *, force: bool = False) -> Path:
    """Write a template atomically; an existing one needs ``force``."""
    from o4cli.core.files import write_atomic

    path = path_of(env, name)
    if path.exists() and not force:
        raise UsageError(f"template '{name}' exists ({path})", hint="add --force to replace it")
    text = render(values)
    parse(name, path, text)  # what is written must load
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_atomic(path, text.encode())
    return path


def remove(env: Mapping[str, str], name: str) -> Path:
    path = path_of(env, name)
    if not path.exists():
        raise UsageError(f"no template '{name}' in {folder(env)}")
    path.unlink()
    return path
