"""``--schema``: a JSON Schema file, inline JSON, or a concise field list, made strict.

Concise form: comma-separated fields, each ``name [type][: description]`` where type
is ``str`` (default), ``int``, ``float``, ``bool``, ``list`` (of strings) or
``list[int|float|bool|str]``::

    'name, age int, tags list, score float: confidence from 0 to 1'
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from o4cli.core import jsonload
from o4cli.core.errors import UsageError
from o4cli.core.files import read_capped

SCALARS = {
    "str": "string",
    "string": "string",
    "int": "integer",
    "integer": "integer",
    "float": "number",
    "number": "number",
    "bool": "boolean",
    "boolean": "boolean",
}
UNSUPPORTED = ("allOf", "not", "if", "then", "else", "dependentRequired", "dependentSchemas")
_FIELD = re.compile(
    r"^\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*(?P<type>[A-Za-z]+(?:\[[A-Za-z]+\])?)?\s*(?::\s*(?P<desc>.*))?$"
)

MAX_SCHEMA_FILE = 1024 * 1024  # a schema of a megabyte is far beyond what structured outputs accept


def load(spec: str) -> tuple[str, dict[str, Any]]:
    """(name, strict schema) from a file path, inline JSON or the concise form."""
    text, origin = spec, "--schema"
    stripped = spec.strip()
    if not stripped.startswith("{") and ("/" in spec or spec.endswith(".json") or Path(spec).exists()):
        data = read_capped(f"--schema {spec}", Path(spec), MAX_SCHEMA_FILE, "too large for a JSON Schema")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise UsageError(f"--schema {spec}: not UTF-8 (byte {exc.start + 1})") from None
        origin = f"--schema {spec}"
        stripped = text.strip()
        if not stripped:
            raise UsageError(f"--schema {spec}: the file is empty")
        if not stripped.startswith("{"):
            raise UsageError(f"--schema {spec}: a JSON Schema file holds one JSON object ({{...}})")
    if stripped.startswith("{"):
        try:
            schema = jsonload.loads(text)
        except json.JSONDecodeError as exc:
            raise UsageError(f"{origin}: not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
        if not isinstance(schema, dict):
            raise UsageError(f"{origin}: a JSON Schema must be an object")
        name = "answer"
        if "schema" in schema and isinstance(schema["schema"], dict):  # {name, schema, strict} wrapper
            name = str(schema.get("name") or name)
            schema = schema["schema"]
        return name, strict(schema, origin)
    return "answer", concise(spec)


def concise(spec: str) -> dict[str, Any]:
    """A strict object schema from 'name, age int, tags list'."""
    props: dict[str, Any] = {}
    for raw in _split(spec):
        m = _FIELD.match(raw)
        if not m:
            raise UsageError(
                f"--schema: cannot read field {raw.strip()!r}", hint="write fields like 'name, age int, tags list'"
            )
        name, kind, desc = m.group("name"), (m.group("type") or "str").lower(), m.group("desc")
        if name in props:
            raise UsageError(f"--schema: field {name!r} appears twice")
        prop = _type(kind, raw)
        if desc:
            prop["description"] = desc.strip()
        props[name] = prop
    if not props:
        raise UsageError("--schema: no fields given")
    return {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}


def _split(spec: str) -> list[str]:
    # commas split fields, except inside a description after ':'? Keep it simple: commas
    # split, newlines too; descriptions cannot hold commas in the concise form.
    return [p for p in re.split(r"[,\n]", spec) if p.strip()]


def _type(kind: str, raw: str) -> dict[str, Any]:
    if kind in SCALARS:
        return {"type": SCALARS[kind]}
    m = re.fullmatch(r"list(?:\[(\w+)\])?", kind)
    if m:
        item = (m.group(1) or "str").lower()
        if item not in SCALARS:
            raise UsageError(f"--schema: unknown list item type {item!r} in {raw.strip()!r}")
        return {"type": "array", "items": {"type": SCALARS[item]}}
    raise UsageError(
        f"--schema: unknown type {kind!r} in {raw.strip()!r}",
        hint="types: str, int, float, bool, list, list[int]",
    )


def strict(schema: dict[str, Any], origin: str = "--schema") -> dict[str, Any]:
    """Check a schema against strict mode's rules, adding what strict mode requires
    (``additionalProperties: false``, every property required) where it is missing."""
    if schema.get("type") != "object":
        raise UsageError(f'{origin}: the root must be an object schema ("type": "object")')
    return _strictify(schema, origin, "$")


def _strictify(node: Any, origin: str, where: str) -> Any:
    if isinstance(node, list):
        return [_strictify(x, origin, f"{where}[{i}]") for i, x in enumerate(node)]
    if not isinstance(node, dict):
        return node
    for key in UNSUPPORTED:
        if key in node:
            raise UsageError(f"{origin}: {where} uses {key!r}, which strict structured outputs do not support")
    out = {k: _strictify(v, origin, f"{where}.{k}") for k, v in node.items()}
    if out.get("type") == "object" or "properties" in out:
        props = out.get("properties") or {}
        out["properties"] = props
        out.setdefault("required", list(props))
        missing = [p for p in props if p not in out["required"]]
        if missing:
            raise UsageError(
                f"{origin}: {where} leaves {', '.join(missing)} out of 'required'; strict mode needs every property",
                hint='make a field optional with "type": ["string", "null"] instead',
            )
        out.setdefault("additionalProperties", False)
    return out
