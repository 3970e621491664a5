"""Tool definitions: ``--tool FILE`` (TOML or JSON), checked, and their request shapes.

A file holds one tool, or several under ``[[tool]]`` (TOML) / a JSON array::

    name = "weather"
    description = "Current weather for a city"
    command = ["python3", "weather.py"]      # argv; never run through a shell
    cwd = "."                                # relative to the file's folder (default: o4's)
    env = { UNITS = "metric" }               # added to the (key-free) environment
    timeout = 30                             # seconds (default 60)
    safe = true                              # runs without asking (read-only tools)
    strict = true                            # strict schema, made strict as --schema does

    [parameters]
    type = "object"
    properties = { city = { type = "string" } }
    required = ["city"]

``check_tools`` checks the ``tools`` of a request body (batch input lines) the same way.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from o4cli.core import jsonload
from o4cli.core.ask import schema as schema_mod
from o4cli.core.errors import UsageError
from o4cli.core.files import read_capped

NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # the API's rule for function names
MAX_FILE = 1024 * 1024
DEFAULT_TIMEOUT = 60.0
KEYS = {"name", "description", "parameters", "command", "cwd", "env", "timeout", "safe", "strict"}
EMPTY_PARAMETERS: dict[str, Any] = {"type": "object", "properties": {}}


@dataclass(frozen=True)
class Tool:
    """One local tool: what the model is told, and the command that implements it."""

    name: str
    description: str
    parameters: dict[str, Any]
    command: tuple[str, ...]
    cwd: Path | None = None
    env: dict[str, str] = field(default_factory=dict)
    timeout: float = DEFAULT_TIMEOUT
    safe: bool = False
    strict: bool = False
    source: str = ""  # the file it came from

    def responses_tool(self) -> dict[str, Any]:
        """The Responses API's flat function tool."""
        return {
            "type": "function",
            "name": self.name,
            "description": self.description,
            "parameters": self.parameters,
            "strict": self.strict,
        }

    def chat_tool(self) -> dict[str, Any]:
        """Chat Completions' ``{"type": "function", "function": {...}}``."""
        fn: dict[str, Any] = {"name": self.name, "description": self.description, "parameters": self.parameters}
        if self.strict:
            fn["strict"] = True
        return {"type": "function", "function": fn}


def load_files(paths: list[str]) -> list[Tool]:
    """Every tool of every ``--tool FILE``; a name given twice is refused."""
    tools: list[Tool] = []
    seen: dict[str, str] = {}
    for path in paths:
        for tool in load(path):
            if tool.name in seen:
                raise UsageError(f"--tool {path}: tool {tool.name!r} is already defined in {seen[tool.name]}")
            seen[tool.name] = path
            tools.append(tool)
    return tools


def load(path: str) -> list[Tool]:
    """The tools of one file: JSON when it ends in .json (or, not ending in .toml, starts
    with ``{``), TOML otherwise."""
    label = f"--tool {path}"
    data = read_capped(label, Path(path), MAX_FILE, "too large for tool definitions")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{label}: not UTF-8 (byte {exc.start + 1})") from None
    as_json = path.endswith(".json") or (not path.endswith(".toml") and text.lstrip()[:1] == "{")
    if as_json:
        try:
            doc: Any = jsonload.loads(text)
        except json.JSONDecodeError as exc:
            raise UsageError(f"{label}: not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    else:
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise UsageError(f"{label}: not valid TOML: {exc}") from None
    if isinstance(doc, dict) and isinstance(doc.get("tool"), list) and "name" not in doc:
        entries = doc["tool"]
    elif isinstance(doc, list):
        entries = doc
    else:
        entries = [doc]
    if not entries:
        raise UsageError(f"{label}: no tools defined")
    folder = Path(path).resolve().parent
    return [_tool(entry, label if len(entries) == 1 else f"{label} (tool {i + 1})", folder, path)
            for i, entry in enumerate(entries)]  # fmt: skip


def _tool(entry: Any, label: str, folder: Path, source: str) -> Tool:
    if not isinstance(entry, dict):
        raise UsageError(f"{label}: a tool is a table/object with name, description, parameters and command")
    unknown = sorted(set(entry) - KEYS)
    if unknown:
        raise UsageError(f"{label}: unknown key {unknown[0]!r}", hint=f"keys: {', '.join(sorted(KEYS))}")
    name = entry.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        raise UsageError(f"{label}: 'name' must be 1-64 letters, digits, _ or - (got {name!r})")
    label = f"{label}: tool {name!r}"
    description = entry.get("description", "")
    if not isinstance(description, str):
        raise UsageError(f"{label}: 'description' must be a string")
    command = entry.get("command")
    if isinstance(command, str):
        raise UsageError(
            f"{label}: 'command' must be a list of arguments, not a string (o4 never runs a shell)",
            hint='command = ["python3", "tool.py"]',
        )
    if not isinstance(command, list) or not command or not all(isinstance(a, str) and a for a in command):
        raise UsageError(f"{label}: 'command' must be a non-empty list of strings")
    strict = entry.get("strict", False)
    safe = entry.get("safe", False)
    for key, value in (("strict", strict), ("safe", safe)):
        if not isinstance(value, bool):
            raise UsageError(f"{label}: {key!r} must be true or false")
    params = entry.get("parameters", EMPTY_PARAMETERS)
    params = check_parameters(params, label, strict=strict)
    timeout = entry.get("timeout", DEFAULT_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 3600:
        raise UsageError(f"{label}: 'timeout' must be a number of seconds from 0 to 3600")
    env = entry.get("env", {})
    if not isinstance(env, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in env.items()):
        raise UsageError(f"{label}: 'env' must map names to strings")
    cwd = entry.get("cwd")
    if cwd is not None:
        if not isinstance(cwd, str):
            raise UsageError(f"{label}: 'cwd' must be a path")
        resolved = (folder / cwd).resolve()
        if not resolved.is_dir():
            raise UsageError(f"{label}: cwd {cwd!r} is not a folder ({resolved})")
        cwd = resolved
    return Tool(name, description, params, tuple(command), cwd, dict(env), float(timeout), safe, strict, source)


def check_parameters(params: Any, label: str, *, strict: bool) -> dict[str, Any]:
    """A parameters schema: an object schema; made strict (as ``--schema``) when asked."""
    if not isinstance(params, dict):
        raise UsageError(f"{label}: 'parameters' must be a JSON Schema object")
    if params.get("type", "object") != "object":
        raise UsageError(f'{label}: the parameters schema must be an object schema ("type": "object")')
    params = {"type": "object", **params}
    params.setdefault("properties", {})
    if strict:
        params = schema_mod.strict(params, label)
    return params


# ------------------------------------------------------------ request bodies (batch)


def check_tools(tools: Any, *, chat: bool) -> list[str]:
    """What is wrong with a request body's ``tools`` (empty when nothing is)."""
    if not isinstance(tools, list):
        return ["'tools' must be a list"]
    problems: list[str] = []
    names: set[str] = set()
    for i, tool in enumerate(tools):
        where = f"tools[{i}]"
        if not isinstance(tool, dict):
            problems.append(f"{where} must be an object")
            continue
        kind = tool.get("type")
        if kind != "function":
            if chat:
                problems.append(f"{where}: Chat Completions takes only function tools (got type {kind!r})")
            elif kind not in BUILTIN_TYPES:
                problems.append(f"{where}: unknown tool type {kind!r}")
            continue
        fn = tool.get("function") if chat else tool
        if chat and not isinstance(fn, dict):
            problems.append(f'{where}: a Chat Completions tool is {{"type": "function", "function": {{...}}}}')
            continue
        if not chat and "function" in tool:
            problems.append(f"{where}: the Responses API takes flat function tools (name, parameters), no 'function'")
            continue
        name = fn.get("name")
        if not isinstance(name, str) or not NAME.match(name):
            problems.append(f"{where}: name must be 1-64 letters, digits, _ or - (got {name!r})")
        elif name in names:
            problems.append(f"{where}: tool {name!r} appears twice")
        else:
            names.add(name)
        params = fn.get("parameters")
        if params is None:
            continue
        # The Responses API makes a function strict unless told otherwise (its reference:
        # "strict ... Default true"); Chat Completions does not.
        strict = fn.get("strict") is True or (not chat and "strict" not in fn)
        unsaid = "" if "strict" in fn else STRICT_BY_DEFAULT
        try:
            shaped = check_parameters(params, f"{where} ({name})", strict=False)
        except UsageError as exc:
            problems.append(exc.message)
            continue
        try:
            made = check_parameters(params, f"{where} ({name})", strict=True) if strict else shaped
        except UsageError as exc:
            problems.append(exc.message + unsaid)
            continue
        if made != shaped:
            problems.append(
                f'{where} ({name}): strict mode needs "additionalProperties": false on every object '
                "and every property in 'required'" + unsaid
            )
    return problems


STRICT_BY_DEFAULT = ' (no "strict" given: the Responses API makes it strict; add "strict": false)'

BUILTIN_TYPES = {
    "code_interpreter", "file_search", "mcp", "web_search", "web_search_preview", "image_generation",
    "computer_use_preview", "local_shell", "custom",
}  # fmt: skip
