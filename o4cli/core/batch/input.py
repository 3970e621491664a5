"""Batch input: read, check every line, turn prompts into requests, and cut shards.

Three input forms, told apart by the first non-blank line:

* Batch format, JSONL: ``{"custom_id", "method": "POST", "url", "body"}``;
* prompt JSONL: ``{"prompt", "custom_id"?, "system"?, "image"?}``;
* plain text: one prompt a line (blank lines skipped).

Generated custom_ids are ``line-N`` (N = the line's number), so the same file always
gives the same ids. The input is read once, 64 KB of lines at a time, keeping only a
few numbers per line in memory; request lines go straight into shard files when a folder
is given. What is the same for every prompt line (endpoint, model, effort, system, output
cap, and the model's checks of them) is built once, as a template cut around the line's
custom_id and text; plain-text lines are checked, escaped and sharded a block at a time.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import json
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from json.encoder import encode_basestring  # json.dumps(str, ensure_ascii=False), without the call layers
from pathlib import Path
from typing import IO, Any

from o4cli.core import catalog, jsonload
from o4cli.core.ask import request
from o4cli.core.ask.prompt import Prompt, load_image
from o4cli.core.errors import UsageError
from o4cli.core.problems import BOM, JSON_ARRAY, Problem, looks_like_json_array
from o4cli.core.tokens import CHARS_PER_TOKEN, MESSAGE_OVERHEAD, Estimate, body_text, count_body, count_text, encoding

_BLOCK_BYTES = 1 << 16  # lines are read (plain-text ones checked and escaped) 64 KB at a time: in the cache
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


@dataclass(slots=True)  # slots: updated once a line
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


def _blocks(fh: IO[bytes]) -> Iterator[tuple[int, list[bytes]]]:
    """The lines a block at a time (about 64 KB of them), each block with the number of its
    first line; a UTF-8 byte-order mark at the start is not part of the first line (CRLF
    endings go with the strip of each line)."""
    n = 1
    while block := fh.readlines(_BLOCK_BYTES):
        if n == 1 and block[0].startswith(BOM):
            block[0] = block[0][len(BOM) :]
        yield n, block
        n += len(block)


def _lines(fh: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """Numbered lines (of ``_blocks``)."""
    return itertools.chain.from_iterable(enumerate(block, start=n) for n, block in _blocks(fh))


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

    __slots__ = ("limits", "folder", "shards", "fh")

    def __init__(self, limits: Limits, folder: Path | None) -> None:
        self.limits = limits
        self.folder = folder
        self.shards: list[Shard] = []
        self.fh: IO[bytes] | None = None

    def add(self, line_no: int, data: bytes, tokens: int, worst: int) -> None:
        cur, size, limits = self.shards[-1] if self.shards else None, len(data), self.limits
        if (
            cur is None
            or cur.requests >= limits.requests
            or cur.bytes + size > limits.bytes
            or (limits.queue_tokens is not None and cur.tokens + tokens > limits.queue_tokens)
        ):
            cur = self._open(line_no)
        cur.requests += 1
        cur.bytes += size
        cur.tokens += tokens
        cur.worst_output += worst
        cur.last_line = line_no
        if self.fh is not None:
            self.fh.write(data)

    def add_many(self, numbers: list[int], sizes: list[int], tokens: list[int], worst: int, data: Any) -> None:
        """``add`` for many lines of the same worst-case output at once: where each shard
        ends is found by bisecting the running sums, and ``data(i, j)`` gives the bytes of
        lines i..j-1 (asked only when writing)."""
        total, i = len(sizes), 0
        sum_bytes, sum_tokens = list(itertools.accumulate(sizes)), list(itertools.accumulate(tokens))
        while i < total:
            cur = self.shards[-1] if self.shards else None
            room = self._room(cur, sum_bytes, sum_tokens, i) if cur else 0
            if room == 0:  # a new shard takes its first line whatever its size, as ``add`` does
                cur = self._open(numbers[i])
                room = max(1, self._room(cur, sum_bytes, sum_tokens, i))
            j = min(i + room, total)
            cur.requests += j - i
            cur.bytes += sum_bytes[j - 1] - (sum_bytes[i - 1] if i else 0)
            cur.tokens += sum_tokens[j - 1] - (sum_tokens[i - 1] if i else 0)
            cur.worst_output += worst * (j - i)
            cur.last_line = numbers[j - 1]
            if self.fh is not None:
                self.fh.write(data(i, j))
            i = j

    def _room(self, cur: Shard, sum_bytes: list[int], sum_tokens: list[int], i: int) -> int:
        """How many of the lines from i on still fit in ``cur`` (running sums of them all)."""
        limits = self.limits
        before_bytes, before_tokens = (sum_bytes[i - 1], sum_tokens[i - 1]) if i else (0, 0)
        room = min(
            limits.requests - cur.requests,
            bisect.bisect_right(sum_bytes, before_bytes + limits.bytes - cur.bytes, i) - i,
        )
        if limits.queue_tokens is not None:
            room = min(room, bisect.bisect_right(sum_tokens, before_tokens + limits.queue_tokens - cur.tokens, i) - i)
        return max(room, 0)

    def stop_writing(self) -> None:
        self.folder = None
        self.close()

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
    templates = _Templates(prep, defaults, model_entry, count_tokens)
    sharder = _Sharder(limits, folder)
    planner = _Planner(prep, limits, sharder)
    try:
        with path.open("rb") as fh:
            if prep.format == "text":
                _plan_text(_blocks(fh), prep, templates, planner)
            else:
                for n, out in _json_requests(_lines(fh), prep, fixed_endpoint, seen, model_entry, templates):
                    planner.take(n, out)
    finally:
        sharder.close()
    prep.shards = sharder.shards
    for shard in prep.shards:  # every good line is in one shard
        prep.requests += shard.requests
        prep.tokens += shard.tokens
        prep.worst_output += shard.worst_output
        prep.bytes += shard.bytes
    if prep.requests == 0 and not prep.problems:
        prep.problems.append(Problem(0, "no requests: the input is empty"))
    return prep


# A checked request line: (custom_id, the line's bytes, what the model refuses in it or
# None, its worst-case output tokens, its input tokens; None with a problem).
Line = tuple[str, bytes, str | None, int, Estimate | None]


def _json_requests(
    lines: Iterator[tuple[int, bytes]],
    prep: Prepared,
    fixed: str | None,
    seen: dict[str, int],
    model: catalog.Model | None,
    templates: _Templates,
) -> Iterator[tuple[int, Line | None]]:
    """Each non-blank line of a Batch-format or prompt JSONL input, checked (None: bad)."""
    for n, raw in lines:
        text = raw.strip()
        if not text:
            continue
        if prep.format == "batch":
            yield n, _batch_line(n, text, prep, fixed, seen, model, templates.count)
        else:
            yield n, _prompt_json_line(n, text, prep, templates.defaults, seen, templates)


class _Planner:
    """Takes checked lines into the plan: their problems, custom_ids and shards."""

    def __init__(self, prep: Prepared, limits: Limits, sharder: _Sharder) -> None:
        self.prep, self.limits, self.sharder = prep, limits, sharder

    def take(self, n: int, out: Line | None) -> None:
        """Line ``n``, checked (None: its problem is already noted)."""
        if out is None:
            return
        custom_id, data, problem, worst, est = out
        if problem:
            self.prep.problems.append(Problem(n, problem))
            return
        tokens = 1  # not counted (``count_tokens=False``)
        if est is not None:
            tokens = max(1, est.tokens)
            self.prep.exact = self.prep.exact and est.exact
        queue = self.limits.queue_tokens
        if queue is not None and tokens > queue:
            self.prep.problems.append(
                Problem(n, f"{tokens:,} input tokens alone exceed the batch queue limit of {queue:,}")
            )
            return
        self._keep_going()
        self.prep.custom_ids.append(custom_id)
        self.sharder.add(n, data, tokens, worst)

    def take_numbered(
        self, numbers: list[int], texts: list[str], escaped: list[bytes], template: _Template
    ) -> bool:
        """Plain-text lines ``numbers`` (``line-N``), decoded and escaped for JSON, at once;
        False, taking none, when one of them has a problem (then take them one by one)."""
        if template.problem:
            return False
        ids = [f"line-{n}" for n in numbers]
        fixed = len(template.head) + len(template.middle) + len(template.tail) + 4  # and 4 quotes
        sizes = [fixed + len(i) + len(e) for i, e in zip(ids, escaped, strict=True)]
        tokens, exact = template.counts(texts)
        queue = self.limits.queue_tokens
        if queue is not None and max(tokens) > queue:
            return False
        self.prep.exact = self.prep.exact and exact
        self._keep_going()
        self.prep.custom_ids.extend(ids)
        data = lambda i, j: template.lines(ids[i:j], escaped[i:j])  # noqa: E731
        self.sharder.add_many(numbers, sizes, tokens, template.worst, data)
        return True

    def _keep_going(self) -> None:
        if self.prep.problems and self.sharder.folder is not None:
            self.sharder.stop_writing()  # keep checking the rest, but write nothing once a line is bad


def _plan_text(
    blocks: Iterator[tuple[int, list[bytes]]], prep: Prepared, templates: _Templates, planner: _Planner
) -> None:
    """Plain-text prompt lines, a block at a time: one check that the block is UTF-8 with
    no control character but tab, its JSON escaping done at once, and its shards cut by
    running sums; a block that fails any of this goes line by line."""
    template = templates.get(templates.defaults.system)
    for first, block in blocks:
        texts = list(map(bytes.strip, block))
        numbers = list(range(first, first + len(block)))
        if not all(texts):  # blank lines are skipped, their numbers too
            numbers = [n for n, text in zip(numbers, texts, strict=True) if text]
            texts = [text for text in texts if text]
        checked = _escape_block(texts) if template is not None and texts else None
        if checked is not None and template is not None:
            if planner.take_numbered(numbers, *checked, template):
                continue
        for n, text in zip(numbers, texts, strict=True):
            planner.take(n, _prompt_line(n, text, prep, templates))


def _escape_block(texts: list[bytes]) -> tuple[list[str], list[bytes]] | None:
    """Each text decoded, and JSON-escaped (no quotes); None unless every text is UTF-8
    with no control character but tab."""
    joined = b"\n".join(texts)  # no text holds a line feed: it is the only one added
    if len(joined.translate(None, _CONTROL)) != len(joined) - (len(texts) - 1):
        return None
    try:
        decoded = joined.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return decoded.split("\n"), _escape(joined).split(b"\n")


def _checked(
    custom_id: str,
    data: bytes,
    body: dict[str, Any],
    model: catalog.Model | None,
    endpoint: str | None,
    count: bool = True,
) -> Line:
    """A request line with what its model refuses in it (or None), its worst-case output
    and (when ``count``) its input tokens."""
    entry = model or catalog.find(str(body.get("model") or ""))
    problem = _rules(body, entry) or _tools_problem(body, endpoint)
    if problem:
        return custom_id, data, problem, 0, None
    est = count_body(body, entry.tokenizer if entry else None, entry.image_tokens if entry else None) if count else None
    return custom_id, data, None, worst_output(body, entry), est


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
    n: int,
    text: bytes,
    prep: Prepared,
    fixed: str | None,
    seen: dict[str, int],
    entry: catalog.Model | None,
    count: bool = True,
) -> Line | None:
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
    return _checked(obj["custom_id"], text + b"\n", body, entry, prep.endpoint, count)


def _request_line(custom_id: str, endpoint: str, body: dict[str, Any]) -> bytes:
    line = {"custom_id": custom_id, "method": "POST", "url": endpoint, "body": body}
    return json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def _body(prep: Prepared, defaults: Defaults, text: str, system: str | None, images: tuple = ()) -> dict[str, Any]:
    api = "chat" if prep.endpoint == ENDPOINTS["chat"] else "responses"
    opts = request.Options(model=defaults.model, api=api, effort=defaults.effort, max_output=defaults.max_output)
    return request.build_body(Prompt(text=text, system=system, images=images), opts)


_NONCE = os.urandom(8).hex()
_ID_MARK, _TEXT_MARK = f"\x00o4-id-{_NONCE}", f"\x00o4-prompt-{_NONCE}"
_TEMPLATES = 64  # systems kept at once (a file may give every line its own)
_CONTROL = bytes(c for c in range(32) if c != 9)  # but tab


def _escape(utf8: bytes) -> bytes:
    """What JSON escapes in UTF-8 text that holds no control character but tab."""
    return utf8.replace(b"\\", b"\\\\").replace(b'"', b'\\"').replace(b"\t", b"\\t")


def _json_string(utf8: bytes) -> bytes:
    """UTF-8 text as a JSON string, byte for byte what ``json.dumps(text, ensure_ascii=False)``
    writes (it escapes only ``"``, ``\\`` and control characters), without decoding it."""
    if len(utf8.translate(None, _CONTROL)) == len(utf8):
        return b'"' + _escape(utf8) + b'"'
    return encode_basestring(utf8.decode("utf-8")).encode()


@dataclass(frozen=True)
class _Template:
    """The request line of a prompt without images, cut around its custom_id and its text:
    all the rest (endpoint, model, effort, system, output cap) is the same for every line,
    and so are the model's checks of it."""

    head: bytes
    middle: bytes
    tail: bytes
    problem: str | None
    worst: int
    tokenizer: str | None
    before: str  # the body's other texts, as ``count_body`` joins them around the prompt
    after: str
    overhead: int
    count: bool  # False: input tokens are not counted (``prepare(count_tokens=False)``)

    def estimate(self, text: str) -> Estimate:
        """The input tokens of this template's body with the prompt ``text`` in it: what
        ``count_body`` counts."""
        est = count_text(self.before + text + self.after, self.tokenizer)
        return Estimate(est.tokens + self.overhead, est.method)

    def counts(self, texts: list[str]) -> tuple[list[int], bool]:
        """``estimate`` of many prompts at once, as plain numbers, and whether they are
        exact: ``count_text``'s rule, the tokenizer when o4 has it, else 4 characters a
        token, without an ``Estimate`` a line. (Each is over 1, as ``take`` wants: the
        overhead alone is 6.)"""
        if not self.count:
            return [1] * len(texts), True
        before, after, overhead, ceil = self.before, self.after, self.overhead, math.ceil
        enc = encoding(self.tokenizer) if self.tokenizer else None
        if enc is None:
            fixed = len(before) + len(after)
            return [ceil((fixed + len(t)) / CHARS_PER_TOKEN) + overhead for t in texts], False
        encode = enc.encode
        return [len(encode(before + t + after, disallowed_special=())) + overhead for t in texts], True

    def line(self, custom_id: str, text: str, utf8: bytes) -> Line:
        """The line of ``custom_id`` and the prompt ``text`` (``utf8``: the same, encoded)."""
        data = b"".join((self.head, _json_string(custom_id.encode()), self.middle, _json_string(utf8), self.tail))
        if self.problem:
            return custom_id, data, self.problem, 0, None
        return custom_id, data, None, self.worst, self.estimate(text) if self.count else None

    def lines(self, custom_ids: list[str], escaped: list[bytes]) -> bytes:
        """The lines of many prompts at once: ids that need no escaping, prompts already
        escaped (``_escape``)."""
        open_id, open_text, close = self.head + b'"', b'"' + self.middle + b'"', b'"' + self.tail
        parts = ((open_id, i.encode(), open_text, e, close) for i, e in zip(custom_ids, escaped, strict=True))
        return b"".join(itertools.chain.from_iterable(parts))


class _Templates:
    """The templates of one input's prompt lines, one per system (built on first use)."""

    def __init__(self, prep: Prepared, defaults: Defaults, model: catalog.Model | None, count: bool) -> None:
        self.prep, self.defaults, self.model, self.count = prep, defaults, model, count
        self.by_system: dict[str | None, _Template | None] = {}

    def get(self, system: str | None) -> _Template | None:
        """The template for prompts with this system; None if it cannot be cut (then
        the line is built whole)."""
        if system in self.by_system:
            return self.by_system[system]
        if len(self.by_system) >= _TEMPLATES:
            self.by_system.clear()
        body = _body(self.prep, self.defaults, _TEXT_MARK, system)
        try:
            line = _request_line(_ID_MARK, self.prep.endpoint or "", body)
        except UnicodeEncodeError:  # a system with a lone surrogate: its lines are built whole (and refused)
            line = b""
        id_mark, text_mark = _json_string(_ID_MARK.encode()), _json_string(_TEXT_MARK.encode())
        texts, images = body_text(body)
        counted = "\n".join(texts)
        template = None
        if (
            line.count(id_mark) == 1
            and line.count(text_mark) == 1
            and line.index(id_mark) < line.index(text_mark)
            and counted.count(_TEXT_MARK) == 1
            and not images
        ):
            head, rest = line.split(id_mark)
            middle, tail = rest.split(text_mark)
            before, after = counted.split(_TEXT_MARK)
            _, _, problem, worst, _ = _checked(_ID_MARK, line, body, self.model, self.prep.endpoint, count=False)
            entry = self.model or catalog.find(self.defaults.model)
            tokenizer = entry.tokenizer if entry else None
            overhead = MESSAGE_OVERHEAD * (len(texts) + 1)
            template = _Template(head, middle, tail, problem, worst, tokenizer, before, after, overhead, self.count)
        self.by_system[system] = template
        return template

    def build(self, custom_id: str, prompt: str, system: Any, images: tuple = (), utf8: bytes | None = None) -> Line:
        """The request line of one prompt (``utf8``: the prompt's text, when already
        encoded): from the template when it has no images."""
        try:
            template = self.get(system) if not images and (system is None or isinstance(system, str)) else None
            if template is not None:
                return template.line(custom_id, prompt, prompt.encode() if utf8 is None else utf8)
            body = _body(self.prep, self.defaults, prompt, system, images)
            data = _request_line(custom_id, self.prep.endpoint or "", body)
            return _checked(custom_id, data, body, self.model, self.prep.endpoint, self.count)
        except UnicodeEncodeError as exc:  # a lone surrogate, from a JSON escape like "\ud800"
            char = exc.object[exc.start] if isinstance(exc.object, str) else "?"
            problem = f"not valid Unicode: a lone surrogate \\u{ord(char):04x} (JSON escapes must pair)"
            return custom_id, b"", problem, 0, None


def _prompt_line(n: int, text: bytes, prep: Prepared, templates: _Templates) -> Line | None:
    try:
        prompt = text.decode("utf-8")
    except UnicodeDecodeError as exc:
        prep.problems.append(Problem(n, f"not UTF-8 text (byte {exc.start})"))
        return None
    # line-N: unique in a plain-text file, no line can bring another id
    return templates.build(f"line-{n}", prompt, templates.defaults.system, utf8=text)


def _prompt_json_line(
    n: int, text: bytes, prep: Prepared, defaults: Defaults, seen: dict[str, int], templates: _Templates
) -> Line | None:
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
    return templates.build(custom_id, prompt, obj.get("system", defaults.system), images)
