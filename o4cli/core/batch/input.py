"""Batch input: read, check every line, turn prompts into requests, and cut shards.

Three input forms, told apart by the first non-blank line:

* Batch format, JSONL: ``{"custom_id", "method": "POST", "url", "body"}``;
* prompt JSONL: ``{"prompt", "custom_id"?, "system"?, "image"?}``;
* plain text: one prompt a line (blank lines skipped).

Generated custom_ids are ``line-N`` (N = the line's number), so the same file always
gives the same ids. The input is read once, line by line, keeping only a few numbers
per line in memory; request lines go straight into shard files when a folder is given.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from o4cli.core import catalog, jsonload
from o4cli.core.ask import request
from o4cli.core.ask.prompt import Prompt, load_image
from o4cli.core.errors import UsageError
from o4cli.core.problems import BOM, JSON_ARRAY, Problem, looks_like_json_array
from o4cli.core.tokens import body_text, count_body

MAX_REQUESTS = 50_000  # per batch input file
MAX_BYTES = 200 * 1000 * 1000  # 200 MB per batch input file
ENDPOINTS = {"responses": "/v1/responses", "chat": "/v1/chat/completions"}
INPUT_KEYS = {"/v1/responses": "input", "/v1/chat/completions": "messages"}


@dataclass(frozen=True)
class Defaults:
    """What prompt lines become requests with (and what batch lines are checked against)."""

    model: str
    endpoint: str | None = None  # "responses" | "chat"; None: from the lines, else responses
    effort: str | None = None
    system: str | None = None
    max_output: int | None = None
    api_default: str = "responses"  # for prompt lines when endpoint is None

    def key(self) -> str:
        return json.dumps([self.model, self.endpoint, self.effort, self.system, self.max_output, self.api_default])


@dataclass(frozen=True)
class Limits:
    requests: int = MAX_REQUESTS
    bytes: int = MAX_BYTES
    queue_tokens: int | None = None  # the tier's batch queue (enqueued input tokens)


@dataclass
class Shard:
    index: int
    first_line: int = 0
    last_line: int = 0
    requests: int = 0
    bytes: int = 0
    tokens: int = 0
    worst_output: int = 0
    path: Path | None = None


@dataclass
class Prepared:
    """The checked input: counts, custom_ids in order, shards and every problem."""

    source: str
    format: str = "text"
    endpoint: str | None = None
    model: str | None = None
    requests: int = 0
    tokens: int = 0
    exact: bool = True  # every line's text counted with the model's tokenizer
    worst_output: int = 0
    bytes: int = 0
    custom_ids: list[str] = field(default_factory=list)
    shards: list[Shard] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def input_hash(path: Path, defaults: Defaults, limits: Limits, salt: str = "") -> str:
    """A digest of the input's bytes and of what shapes its requests and shards."""
    h = hashlib.sha256(salt.encode())
    h.update(defaults.key().encode())
    h.update(json.dumps([limits.requests, limits.bytes, limits.queue_tokens]).encode())
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _lines(fh: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """Numbered lines; a UTF-8 byte-order mark at the start is not part of the first one
    (CRLF endings go with the strip of each line)."""
    for n, raw in enumerate(fh, start=1):
        yield n, raw[len(BOM) :] if n == 1 and raw.startswith(BOM) else raw


def _detect(path: Path) -> str:
    with path.open("rb") as fh:
        for _, raw in _lines(fh):
            text = raw.strip()
            if not text:
                continue
            if looks_like_json_array(text):
                return "array"
            if text.startswith(b"{"):
                try:
                    obj = jsonload.loads(text)
                except ValueError:
                    return "batch"  # a JSON-looking first line: report it as bad JSON
                return "prompts" if isinstance(obj, dict) and "prompt" in obj and "body" not in obj else "batch"
            return "text"
    return "text"


class _Sharder:
    """Cuts the request lines into contiguous shards that each fit the limits."""

    def __init__(self, limits: Limits, folder: Path | None) -> None:
        self.limits = limits
        self.folder = folder
        self.shards: list[Shard] = []
        self.fh: IO[bytes] | None = None

    def add(self, line_no: int, data: bytes, tokens: int, worst: int) -> None:
        cur = self.shards[-1] if self.shards else None
        q = self.limits.queue_tokens
        if (
            cur is None
            or cur.requests + 1 > self.limits.requests
            or cur.bytes + len(data) > self.limits.bytes
            or (q is not None and cur.tokens + tokens > q)
        ):
            cur = self._open(line_no)
        cur.requests += 1
        cur.bytes += len(data)
        cur.tokens += tokens
        cur.worst_output += worst
        cur.last_line = line_no
        if self.fh is not None:
            self.fh.write(data)

    def _open(self, line_no: int) -> Shard:
        self.close()
        shard = Shard(index=len(self.shards) + 1, first_line=line_no)
        if self.folder is not None:
            shard.path = self.folder / f"shard-{shard.index}.jsonl"
            self.fh = shard.path.open("wb")
        self.shards.append(shard)
        return shard

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()
            self.fh = None


def prepare(
    path: Path,
    defaults: Defaults,
    limits: Limits,
    *,
    folder: Path | None = None,
    source: str | None = None,
    count_tokens: bool = True,
) -> Prepared:
    """Check every line; write the request lines into shard files under ``folder``.

    ``count_tokens=False`` (``batch run``, which makes no plan) skips the input-token
    counts: the tokenizer's vocabulary alone costs ~45 MB and a tenth of a second."""
    prep = Prepared(source=source or str(path), format=_detect(path))
    if prep.format == "array":
        prep.problems.append(Problem(0, JSON_ARRAY))
        return prep
    model_entry = catalog.find(defaults.model)
    fixed_endpoint = ENDPOINTS[defaults.endpoint] if defaults.endpoint else None
    if prep.format != "batch":
        prep.endpoint = fixed_endpoint or ENDPOINTS[defaults.api_default]
        prep.model = defaults.model
    seen: dict[str, int] = {}
    sharder = _Sharder(limits, folder)
    try:
        with path.open("rb") as fh:
            for n, raw in _lines(fh):
                text = raw.strip()
                if not text:
                    continue
                if prep.format == "batch":
                    out = _batch_line(n, text, prep, fixed_endpoint, seen)
                elif prep.format == "prompts":
                    out = _prompt_json_line(n, text, prep, defaults, seen)
                else:
                    out = _prompt_line(n, text, prep, defaults, seen)
                if out is None:
                    continue
                custom_id, data, body = out
                entry = model_entry or catalog.find(str(body.get("model") or ""))
                problem = _rules(body, entry) or _tools_problem(body, prep.endpoint)
                if problem:
                    prep.problems.append(Problem(n, problem))
                    continue
                tokens = 1
                if count_tokens:
                    est = count_body(body, entry.tokenizer if entry else None, entry.image_tokens if entry else None)
                    tokens = max(1, est.tokens)
                    prep.exact = prep.exact and est.exact
                worst = worst_output(body, entry)
                if limits.queue_tokens is not None and tokens > limits.queue_tokens:
                    prep.problems.append(
                        Problem(
                            n, f"{tokens:,} input tokens alone exceed the batch queue limit of {limits.queue_tokens:,}"
                        )
                    )
                    continue
                if prep.problems:
                    # Keep checking the rest, but write nothing once a line is bad.
                    sharder.folder = None
                    sharder.close()
                prep.custom_ids.append(custom_id)
                prep.requests += 1
                prep.tokens += tokens
                prep.worst_output += worst
                prep.bytes += len(data)
                sharder.add(n, data, tokens, worst)
    finally:
        sharder.close()
    prep.shards = sharder.shards
    if prep.requests == 0 and not prep.problems:
        prep.problems.append(Problem(0, "no requests: the input is empty"))
    return prep


def worst_output(body: dict[str, Any], model: catalog.Model | None) -> int:
    cap = body.get("max_output_tokens") or body.get("max_completion_tokens")
    if isinstance(cap, int) and cap > 0:
        return cap
    return (model.max_output or 0) if model else 0


def _rules(body: dict[str, Any], model: catalog.Model | None) -> str | None:
    """What the line's model (its catalog entry) refuses: parameters, efforts, verbosity,
    output above its maximum, images it cannot see."""
    if body.get("stream"):
        return "body.stream: a batch request cannot stream"
    if model is None:
        return None
    for key in body:
        if key in model.rejected_params:
            return f"body.{key}: {model.id} does not accept it ({model.rejected_params[key]})"
    reasoning = body.get("reasoning") if isinstance(body.get("reasoning"), dict) else {}
    effort = reasoning.get("effort", body.get("reasoning_effort"))
    if effort is not None and model.efforts and effort not in model.efforts:
        return f"reasoning effort {effort!r}: {model.id} takes {', '.join(model.efforts)}"
    text = body.get("text") if isinstance(body.get("text"), dict) else {}
    verbosity = text.get("verbosity", body.get("verbosity"))
    if verbosity is not None and verbosity not in model.verbosity:
        takes = f"takes {', '.join(model.verbosity)}" if model.verbosity else "does not take a verbosity"
        return f"verbosity {verbosity!r}: {model.id} {takes}"
    cap = body.get("max_output_tokens") or body.get("max_completion_tokens")
    if isinstance(cap, int) and model.max_output and cap > model.max_output:
        return f"output cap {cap:,} is above {model.id}'s maximum of {model.max_output:,}"
    if not model.accepts_images and body_text(body)[1]:
        return f"an image: {model.id} takes {' and '.join(model.input_modalities)} input only"
    return None


def _tools_problem(body: dict[str, Any], endpoint: str | None) -> str | None:
    """A line's ``tools``, checked as o4 checks --tool files (shapes, names, schemas)."""
    if "tools" not in body:
        return None
    from o4cli.core.tools.definitions import check_tools

    problems = check_tools(body["tools"], chat=endpoint == ENDPOINTS["chat"])
    return "; ".join(f"body.{p}" for p in problems) or None


def _check_id(n: int, custom_id: Any, seen: dict[str, int], prep: Prepared) -> bool:
    if not isinstance(custom_id, str) or not custom_id:
        prep.problems.append(Problem(n, "missing custom_id"))
        return False
    if custom_id in seen:
        prep.problems.append(Problem(n, f"duplicate custom_id {custom_id!r} (first on line {seen[custom_id]})"))
        return False
    seen[custom_id] = n
    return True


def _json_object(n: int, text: bytes, prep: Prepared) -> dict[str, Any] | None:
    """The line as a JSON object, or None with the problem noted."""
    try:
        obj = jsonload.loads(text)
    except jsonload.TooDeep as exc:
        prep.problems.append(Problem(n, f"not JSON: {exc.msg}"))
        return None
    except ValueError as exc:
        prep.problems.append(Problem(n, f"not JSON ({exc})"))
        return None
    if not isinstance(obj, dict):
        prep.problems.append(Problem(n, "not a JSON object"))
        return None
    return obj


def _batch_line(
    n: int, text: bytes, prep: Prepared, fixed: str | None, seen: dict[str, int]
) -> tuple[str, bytes, dict[str, Any]] | None:
    obj = _json_object(n, text, prep)
    if obj is None:
        return None
    ok = _check_id(n, obj.get("custom_id"), seen, prep)
    if obj.get("method") != "POST":
        got = "missing" if obj.get("method") is None else f"got {obj.get('method')!r}"
        prep.problems.append(Problem(n, f"method must be POST ({got})"))
        ok = False
    url = obj.get("url")
    if url not in INPUT_KEYS:
        got = "missing" if url is None else f"got {url!r}"
        prep.problems.append(Problem(n, f"url must be /v1/responses or /v1/chat/completions ({got})"))
        return None
    if fixed and url != fixed:
        prep.problems.append(Problem(n, f"url {url} does not match --endpoint ({fixed})"))
        ok = False
    elif prep.endpoint is None:
        prep.endpoint = url
    elif url != prep.endpoint:
        prep.problems.append(Problem(n, f"mixed endpoints: {url} here, {prep.endpoint} before (one endpoint a file)"))
        ok = False
    body = obj.get("body")
    if not isinstance(body, dict):
        prep.problems.append(Problem(n, "body missing or not an object"))
        return None
    model = body.get("model")
    if not isinstance(model, str) or not model:
        prep.problems.append(Problem(n, "body has no model"))
        ok = False
    elif prep.model is None:
        prep.model = model
    elif model != prep.model:
        prep.problems.append(
            Problem(n, f"mixed models: {model} here, {prep.model} before (the Batch API takes one model a file)")
        )
        ok = False
    key = INPUT_KEYS[url]
    if not body.get(key):
        prep.problems.append(Problem(n, f"body has no {key}"))
        ok = False
    if not ok:
        return None
    return obj["custom_id"], text + b"\n", body


def _request_line(custom_id: str, endpoint: str, body: dict[str, Any]) -> bytes:
    line = {"custom_id": custom_id, "method": "POST", "url": endpoint, "body": body}
    return json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def _body(prep: Prepared, defaults: Defaults, text: str, system: str | None, images: tuple = ()) -> dict[str, Any]:
    api = "chat" if prep.endpoint == ENDPOINTS["chat"] else "responses"
    opts = request.Options(model=defaults.model, api=api, effort=defaults.effort, max_output=defaults.max_output)
    return request.build_body(Prompt(text=text, system=system, images=images), opts)


def _prompt_line(
    n: int, text: bytes, prep: Prepared, defaults: Defaults, seen: dict[str, int]
) -> tuple[str, bytes, dict[str, Any]] | None:
    try:
        prompt = text.decode("utf-8")
    except UnicodeDecodeError as exc:
        prep.problems.append(Problem(n, f"not UTF-8 text (byte {exc.start})"))
        return None
    custom_id = f"line-{n}"
    if not _check_id(n, custom_id, seen, prep):
        return None
    body = _body(prep, defaults, prompt, defaults.system)
    return custom_id, _request_line(custom_id, prep.endpoint or "", body), body


def _prompt_json_line(
    n: int, text: bytes, prep: Prepared, defaults: Defaults, seen: dict[str, int]
) -> tuple[str, bytes, dict[str, Any]] | None:
    obj = _json_object(n, text, prep)
    if obj is None:
        return None
    prompt = obj.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        prep.problems.append(Problem(n, "missing prompt"))
        return None
    unknown = set(obj) - {"prompt", "custom_id", "system", "image"}
    if unknown:
        prep.problems.append(
            Problem(
                n,
                f"unknown fields: {', '.join(sorted(unknown))} (a prompt line takes prompt, custom_id, system, image)",
            )
        )
        return None
    custom_id = obj.get("custom_id", f"line-{n}")
    if not _check_id(n, custom_id, seen, prep):
        return None
    images: tuple = ()
    if obj.get("image"):
        try:
            images = (load_image(str(obj["image"])),)
        except UsageError as exc:
            prep.problems.append(Problem(n, exc.message.replace("-i ", "image ")))
            return None
    system = obj.get("system", defaults.system)
    body = _body(prep, defaults, prompt, system, images)
    return custom_id, _request_line(custom_id, prep.endpoint or "", body), body
