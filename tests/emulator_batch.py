"""The Files and Batch APIs of the local OpenAI emulator (``tests/emulator.py``).

Wiring (``tests/emulator.py``)::

    from tests import emulator_batch

    class Emulator:
        def __init__(self):
            ...                                  # after self.routes / self._ids exist
            emulator_batch.install(self)         # routes + helpers (once) and fresh state

        def reset(self):
            with self.lock:
                ...
            emulator_batch.reset_state(self)     # clears files, batches, outcomes, timing

``install(emu)`` is idempotent: it registers the routes and attaches the helpers only
the first time, and clears the state on every call, so calling it from ``reset()`` is
fine too. Neither ``install`` nor ``reset_state`` takes ``emu.lock`` (a plain Lock, not
re-entrant), so both may be called inside or outside ``with emu.lock:``.

State and helpers on the emulator instance (plain attributes; the helpers are bound
methods set by ``install``, also available as module functions taking ``emu``):

* ``emu.files``: ``{file_id: file object}`` (the public JSON shape), in upload order;
  ``emu.file_data``: ``{file_id: bytes}``.
* ``emu.batches``: ``{batch_id: BatchState}``; ``emu.batch_object(batch_id)`` gives
  the current public Batch object (advanced to "now", like a GET).
* ``emu.batch_timing``: ``{"validating": 0.2, "in_progress": 0.6, "finalizing": 0.2}``
  seconds per phase, read when a batch is created (tests may shrink it).
* ``emu.batch_outcome(**kw) -> BatchOutcome`` queues how the NEXT created batch
  behaves (FIFO; default with none queued: every line succeeds); see ``BatchOutcome``.
* ``emu.put_file(data, filename="input.jsonl", purpose="batch") -> file object``
  stores a file without HTTP (fixtures for o4 commands).

Timing: a batch's status is a function of the time elapsed since its creation on
``emu.clock`` (the wall clock unless the test freezes, advances or ticks it per GET: see
``tests.emulator.Clock``), evaluated lazily whenever it is read (GET one, GET list, cancel, list files). With
phase lengths v, p, f: ``validating`` for [0, v); at v the input is validated (failed
batches end there, ``failed_at`` = created + v); ``in_progress`` for [v, v+p), the
first ``int(n * (t - v) / p)`` lines (input order) counting as processed, so
``request_counts`` grow linearly; ``finalizing`` for [v+p, v+p+f); then ``completed``
(or ``expired`` with ``expire_after``), when the output/error files are written.
Cancel at time c: ``cancelling`` until c + f, then ``cancelled`` with the lines
processed by c. Timestamps in the object are ``int(created + offset)``.

The handlers need the request's query string, which ``Emulator._dispatch`` does not
pass on: ``install`` wraps ``emu._dispatch`` (on the instance) to keep it in a
thread-local. If the emulator ever passes ``query=`` (raw string) to handlers, that
is used instead.
"""

from __future__ import annotations

import bisect
import json
import json.scanner
import random
import threading
import time
import types
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from tests import fake_llm

if TYPE_CHECKING:
    from tests.emulator import Emulator, Reply

DEFAULT_TIMING = {"validating": 0.2, "in_progress": 0.6, "finalizing": 0.2}

#: ``purpose`` values ``POST /v1/files`` accepts (spec ``CreateFileRequest``).
UPLOAD_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
#: Endpoints the spec allows for a batch; the emulator answers the first two only.
SPEC_ENDPOINTS = (
    "/v1/responses",
    "/v1/chat/completions",
    "/v1/embeddings",
    "/v1/completions",
    "/v1/moderations",
    "/v1/images/generations",
    "/v1/images/edits",
    "/v1/videos",
)
EMULATED_ENDPOINTS = ("/v1/responses", "/v1/chat/completions")
MAX_BATCH_LINES = 50_000
DAY = 24 * 3600

TOKEN_LIMIT_MESSAGE = (
    "Enqueued token limit reached for {model} in organization org-test. Limit: 1,000,000 enqueued tokens. "
    "Please try again once some in_progress batches have been completed."
)
EXPIRED_ERROR = {
    "code": "batch_expired",
    "message": "This request could not be executed before the completion window expired.",
}
#: The error body a line failed by ``fail_custom_ids`` / ``no_output_file`` gets by default.
DEFAULT_LINE_ERROR = {
    "message": "Unsupported value: 'temperature' does not support 0 with this model. "
    "Only the default (1) value is supported.",
    "type": "invalid_request_error",
    "param": "temperature",
    "code": "unsupported_value",
}

_SCRIPT = fake_llm.Script()  # the default answer: "Echo: <prompt>", read-only
#: Request-body fields fake_llm copies into a Responses / Chat body (the template key).
_ECHO_KEYS = {
    "/v1/responses": ("service_tier", "previous_response_id", "reasoning", "max_output_tokens", "store"),
    "/v1/chat/completions": ("service_tier",),
}

_tls = threading.local()
_quote = json.encoder.encode_basestring_ascii  # type: ignore[attr-defined]  # what json.dumps does to a str, in C


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()


@dataclass
class BatchOutcome:
    """How one batch behaves (queue with ``emu.batch_outcome(**kw)``).

    fail_custom_ids: those lines fail with an HTTP-style error (``fail_status``,
        ``fail_error``) in the error file.
    expire_after: only the first N lines (input order) run; the batch ends
        ``expired`` (when N < lines) and the rest get ``batch_expired`` error lines.
    incomplete_custom_ids: those lines answer 200 ``incomplete`` (max_output_tokens) with no
        text, their reasoning billed: the empty-answer trap, in the output file.
    no_output_file: every line fails; ``completed`` with ``output_file_id`` null.
    token_limit: the batch fails after validating with ``token_limit_exceeded``.
    shuffle: output/error lines in random order (``seed`` makes it repeatable).
    timing: overrides ``emu.batch_timing`` (any subset of its keys) for this batch.
    """

    fail_custom_ids: frozenset[str] = frozenset()
    incomplete_custom_ids: frozenset[str] = frozenset()
    expire_after: int | None = None
    no_output_file: bool = False
    token_limit: bool = False
    shuffle: bool = True
    timing: dict[str, float] | None = None
    seed: int | None = None
    fail_status: int = 400
    fail_error: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        self.fail_custom_ids = frozenset(self.fail_custom_ids)
        self.incomplete_custom_ids = frozenset(self.incomplete_custom_ids)


class BatchState:
    """One batch: its settings, where it is, and (between validation and the end)
    one compact record per input line."""

    def __init__(
        self,
        emu: Emulator,
        bid: str,
        seq: int,
        payload: dict[str, Any],
        model: str | None,
        outcome: BatchOutcome,
    ) -> None:
        self.lock = threading.Lock()
        self.id = bid
        self.seq = seq
        self.endpoint: str = payload["endpoint"]
        self.input_file_id: str = payload["input_file_id"]
        self.completion_window: str = payload.get("completion_window", "24h")
        self.metadata = payload.get("metadata")
        self.model = model
        self.outcome = outcome
        timing = {**DEFAULT_TIMING, **emu.batch_timing, **(outcome.timing or {})}
        self.v, self.p, self.f = (
            max(0.0, float(timing[k])) for k in ("validating", "in_progress", "finalizing")
        )
        self.t0 = emu.clock()
        self.created = time.time()
        self.status = "validating"
        self.stamps: dict[str, int | None] = dict.fromkeys(
            (
                "in_progress_at",
                "finalizing_at",
                "completed_at",
                "failed_at",
                "expired_at",
                "cancelling_at",
                "cancelled_at",
            )
        )
        self.errors: dict[str, Any] | None = None
        self.validated = False
        self.n = 0  # lines
        self.limit = 0  # lines that get to run (n, or expire_after)
        self.records: list[tuple[Any, ...]] | None = None
        self.fail_idx: list[int] = []  # sorted indices of failing lines
        self.counts = {"total": 0, "completed": 0, "failed": 0}
        self.usage = _usage(0, 0, 0, 0)
        self.output_file_id: str | None = None
        self.error_file_id: str | None = None
        self.cancel_e: float | None = None
        self.cancel_k = 0
        self.final = False

    def stamp(self, name: str, offset: float) -> None:
        if self.stamps[name] is None:
            self.stamps[name] = int(self.created + offset)

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "batch",
            "endpoint": self.endpoint,
            "model": self.model,
            "errors": self.errors,
            "input_file_id": self.input_file_id,
            "completion_window": self.completion_window,
            "status": self.status,
            "output_file_id": self.output_file_id,
            "error_file_id": self.error_file_id,
            "created_at": int(self.created),
            "in_progress_at": self.stamps["in_progress_at"],
            "expires_at": int(self.created) + DAY,
            "finalizing_at": self.stamps["finalizing_at"],
            "completed_at": self.stamps["completed_at"],
            "failed_at": self.stamps["failed_at"],
            "expired_at": self.stamps["expired_at"],
            "cancelling_at": self.stamps["cancelling_at"],
            "cancelled_at": self.stamps["cancelled_at"],
            "request_counts": dict(self.counts),
            "usage": json.loads(json.dumps(self.usage)),
            "metadata": self.metadata,
        }


# ------------------------------------------------------------------ install


def install(emu: Emulator) -> None:
    """Add the Files and Batch routes and helpers to ``emu`` (once) and clear their state."""
    if not getattr(emu, "_batch_installed", False):
        emu._batch_installed = True  # type: ignore[attr-defined]
        _wrap_dispatch(emu)
        emu.route("POST", r"/v1/files", _handler(emu, _create_file))
        emu.route("GET", r"/v1/files", _handler(emu, _list_files))
        emu.route("GET", r"/v1/files/(?P<file_id>[^/]+)", _handler(emu, _get_file))
        emu.route("DELETE", r"/v1/files/(?P<file_id>[^/]+)", _handler(emu, _delete_file))
        emu.route("GET", r"/v1/files/(?P<file_id>[^/]+)/content", _handler(emu, _file_content))
        emu.route("POST", r"/v1/batches", _handler(emu, _create_batch))
        emu.route("GET", r"/v1/batches", _handler(emu, _list_batches))
        emu.route("GET", r"/v1/batches/(?P<batch_id>[^/]+)", _handler(emu, _get_batch))
        emu.route("POST", r"/v1/batches/(?P<batch_id>[^/]+)/cancel", _handler(emu, _cancel_batch))
        emu.batch_outcome = types.MethodType(batch_outcome, emu)  # type: ignore[attr-defined]
        emu.put_file = types.MethodType(put_file, emu)  # type: ignore[attr-defined]
        emu.batch_object = types.MethodType(batch_object, emu)  # type: ignore[attr-defined]
    reset_state(emu)


def installed(emu: Emulator) -> bool:
    return bool(getattr(emu, "_batch_installed", False))


def reset_state(emu: Emulator) -> None:
    """Forget every file, batch and queued outcome; restore the default timing.
    Does not take ``emu.lock`` (rebinding attributes is atomic)."""
    emu.files = {}  # type: ignore[attr-defined]
    emu.file_data = {}  # type: ignore[attr-defined]
    emu.batches = {}  # type: ignore[attr-defined]
    emu.batch_outcomes = []  # type: ignore[attr-defined]
    emu.batch_timing = dict(DEFAULT_TIMING)  # type: ignore[attr-defined]


def batch_outcome(emu: Emulator, **kw: Any) -> BatchOutcome:
    """Queue how the next created batch behaves (see ``BatchOutcome``)."""
    outcome = BatchOutcome(**kw)
    with emu.lock:
        emu.batch_outcomes.append(outcome)
    return outcome


def put_file(
    emu: Emulator,
    data: bytes,
    filename: str = "input.jsonl",
    purpose: str = "batch",
    expires_at: int | None = None,
) -> dict[str, Any]:
    """Store a file as if uploaded; returns its file object."""
    obj = {
        "id": emu.next_id("file-"),
        "object": "file",
        "bytes": len(data),
        "created_at": int(time.time()),
        "filename": filename,
        "purpose": purpose,
        "status": "processed",
        "expires_at": expires_at,
        "status_details": None,
    }
    with emu.lock:
        emu.files[obj["id"]] = obj
        emu.file_data[obj["id"]] = data
    return dict(obj)


def batch_object(emu: Emulator, batch_id: str) -> dict[str, Any]:
    """The batch's public object as a GET would return it now."""
    b = emu.batches[batch_id]
    with b.lock:
        _advance(emu, b)
        return b.public()


def _wrap_dispatch(emu: Emulator) -> None:
    original = emu._dispatch

    def dispatch(h: Any, *args: Any, **kwargs: Any) -> Any:
        _tls.query = urlsplit(getattr(h, "path", "")).query
        return original(h, *args, **kwargs)

    emu._dispatch = dispatch  # type: ignore[method-assign]


def _handler(emu: Emulator, fn: Any) -> Any:
    def handle(**kw: Any) -> Any:
        query = kw.pop("query", None)
        if query is None:
            query = getattr(_tls, "query", "")
        if not isinstance(query, dict):
            query = {k: v[-1] for k, v in parse_qs(query or "", keep_blank_values=True).items()}
        return fn(emu, query=query, **kw)

    return handle


def _reply(status: int, body: Any, headers: dict[str, str] | None = None) -> Reply:
    from tests.emulator import Reply  # lazy: tests.emulator imports this module

    return Reply(status, body, headers or {})


def _error(status: int, message: str, param: str | None = None, code: str | None = None) -> Reply:
    from tests.emulator import api_error

    return api_error(status, message, "invalid_request_error", code, param)


def _no_such_file(file_id: str) -> Reply:
    return _error(404, f"No such File object: {file_id}", param="id")


def _no_such_batch(batch_id: str) -> Reply:
    return _error(404, f"No batch found with id '{batch_id}'.", param="batch_id")


def _int_param(query: dict[str, str], name: str, default: int, lo: int, hi: int) -> int | Reply:
    raw = query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        return _error(400, f"Invalid '{name}': expected an integer, got '{raw}'.", param=name)
    if not lo <= value <= hi:
        return _error(
            400,
            f"Invalid '{name}': must be between {lo} and {hi}, got {value}.",
            param=name,
            code="integer_out_of_range",
        )
    return value


def _page(items: list[dict[str, Any]], after: str | None, limit: int) -> dict[str, Any] | None:
    """Cursor page over ``items`` (already in list order); None when ``after`` is unknown."""
    start = 0
    if after:
        ids = [it["id"] for it in items]
        if after not in ids:
            return None
        start = ids.index(after) + 1
    data = items[start : start + limit]
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": start + limit < len(items),
    }


# ------------------------------------------------------------------ files


def _parse_multipart(content_type: str, raw: bytes) -> dict[str, tuple[str | None, bytes]]:
    """``{field: (filename or None, data)}`` of a multipart/form-data body (stdlib only;
    a split on the boundary, so a 10 MB upload takes milliseconds)."""
    header = BytesHeaderParser().parsebytes(b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n")
    if header.get_content_type() != "multipart/form-data" or not header.get_boundary():
        raise ValueError("Expected a multipart/form-data body with a boundary.")
    delim = b"--" + header.get_boundary().encode("latin-1")
    fields: dict[str, tuple[str | None, bytes]] = {}
    chunks = raw.split(delim)
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break
        head, sep, data = chunk.partition(b"\r\n\r\n")
        if not sep:
            raise ValueError("Malformed multipart part.")
        if data.endswith(b"\r\n"):
            data = data[:-2]
        msg = BytesHeaderParser().parsebytes(head.lstrip(b"\r\n") + b"\r\n\r\n")
        name = msg.get_param("name", header="content-disposition")
        if isinstance(name, tuple):  # RFC 2231
            name = name[2]
        if name:
            fields[str(name)] = (msg.get_filename(), data)
    return fields


def _create_file(emu: Emulator, raw: bytes, headers: Any, **_: Any) -> Reply:
    try:
        form = _parse_multipart(headers.get("Content-Type") or "", raw)
    except ValueError as exc:
        return _error(400, str(exc))
    if "purpose" not in form:
        return _error(
            400, "Missing required parameter: 'purpose'.", param="purpose", code="missing_required_parameter"
        )
    if "file" not in form or form["file"][0] is None:
        return _error(
            400, "Missing required parameter: 'file'.", param="file", code="missing_required_parameter"
        )
    purpose = form["purpose"][1].decode("utf-8", "replace")
    if purpose not in UPLOAD_PURPOSES:
        return _error(
            400,
            f"'{purpose}' is not one of {list(UPLOAD_PURPOSES)!r} - 'purpose'",
            param="purpose",
            code="invalid_value",
        )
    filename, data = form["file"]
    assert filename is not None
    if purpose == "batch" and not filename.lower().endswith(".jsonl"):
        return _error(400, "Invalid file format for Batch API. Must be .jsonl", param="file")
    expires_at = None
    if "expires_after[seconds]" in form:
        try:
            expires_at = int(time.time()) + int(form["expires_after[seconds]"][1])
        except ValueError:
            return _error(
                400, "Invalid 'expires_after[seconds]': expected an integer.", param="expires_after"
            )
    return _reply(200, put_file(emu, data, filename, purpose, expires_at))


def _list_files(emu: Emulator, query: dict[str, str], **_: Any) -> Reply:
    _advance_all(emu)
    limit = _int_param(query, "limit", 10_000, 1, 10_000)
    if not isinstance(limit, int):
        return limit
    order = query.get("order", "desc")
    if order not in ("asc", "desc"):
        return _error(400, f"Invalid 'order': '{order}' is not one of ['asc', 'desc'].", param="order")
    with emu.lock:
        items = [dict(f) for f in emu.files.values()]
    if query.get("purpose"):
        items = [f for f in items if f["purpose"] == query["purpose"]]
    if order == "desc":
        items.reverse()
    page = _page(items, query.get("after"), limit)
    if page is None:
        return _no_such_file(query["after"])
    return _reply(200, page)


def _get_file(emu: Emulator, file_id: str, **_: Any) -> Reply:
    with emu.lock:
        obj = emu.files.get(file_id)
    return _reply(200, dict(obj)) if obj else _no_such_file(file_id)


def _delete_file(emu: Emulator, file_id: str, **_: Any) -> Reply:
    with emu.lock:
        obj = emu.files.pop(file_id, None)
        emu.file_data.pop(file_id, None)
    if not obj:
        return _no_such_file(file_id)
    return _reply(200, {"id": file_id, "object": "file", "deleted": True})


def _file_content(emu: Emulator, file_id: str, **_: Any) -> Reply:
    with emu.lock:
        data = emu.file_data.get(file_id)
    if data is None:
        return _no_such_file(file_id)
    return _reply(200, data, {"Content-Type": "application/octet-stream"})


# ------------------------------------------------------------------ batches


def _first_model(data: bytes) -> str | None:
    """The ``body.model`` of the first non-blank line, if readable (for the Batch's ``model``)."""
    for line in data.split(b"\n", 64)[:64]:
        if line.strip():
            try:
                model = json.loads(line).get("body", {}).get("model")
            except (ValueError, AttributeError):
                return None
            return model if isinstance(model, str) else None
    return None


def _create_batch(emu: Emulator, payload: dict[str, Any] | None, **_: Any) -> Reply:
    body = payload if isinstance(payload, dict) else {}
    for name in ("input_file_id", "endpoint", "completion_window"):
        if not isinstance(body.get(name), str):
            return _error(
                400, f"Missing required parameter: '{name}'.", param=name, code="missing_required_parameter"
            )
    endpoint = body["endpoint"]
    if endpoint not in SPEC_ENDPOINTS:
        return _error(
            400,
            f"Invalid value for 'endpoint': '{endpoint}'. Supported: {', '.join(SPEC_ENDPOINTS)}.",
            param="endpoint",
            code="invalid_value",
        )
    if endpoint not in EMULATED_ENDPOINTS:
        return _error(
            400,
            f"The test emulator only runs batches for {' and '.join(EMULATED_ENDPOINTS)}, not {endpoint}.",
            param="endpoint",
        )
    if body["completion_window"] != "24h":
        return _error(
            400,
            f"Invalid value for 'completion_window': '{body['completion_window']}'. "
            "Supported values are: '24h'.",
            param="completion_window",
            code="invalid_value",
        )
    fid = body["input_file_id"]
    with emu.lock:
        fobj = emu.files.get(fid)
        data = emu.file_data.get(fid)
    if fobj is None or data is None:
        return _error(404, f"No such File object: {fid}", param="input_file_id")
    if fobj["purpose"] != "batch":
        return _error(
            400,
            f"File {fid} has purpose '{fobj['purpose']}'; a batch input file must have purpose 'batch'.",
            param="input_file_id",
        )
    bid = emu.next_id("batch_")
    with emu.lock:
        outcome = emu.batch_outcomes.pop(0) if emu.batch_outcomes else BatchOutcome()
        seq = int("".join(ch for ch in bid if ch.isdigit()) or len(emu.batches) + 1)
        b = BatchState(emu, bid, seq, body, _first_model(data), outcome)
        emu.batches[bid] = b
        return _reply(200, b.public())


def _get_batch(emu: Emulator, batch_id: str, **_: Any) -> Reply:
    b = emu.batches.get(batch_id)
    if b is None:
        return _no_such_batch(batch_id)
    emu.clock.read()
    with b.lock:
        _advance(emu, b)
        return _reply(200, b.public())


def _list_batches(emu: Emulator, query: dict[str, str], **_: Any) -> Reply:
    limit = _int_param(query, "limit", 20, 1, 100)
    if not isinstance(limit, int):
        return limit
    with emu.lock:
        batches = sorted(emu.batches.values(), key=lambda b: b.seq, reverse=True)
    items = []
    for b in batches:
        with b.lock:
            _advance(emu, b)
            items.append(b.public())
    page = _page(items, query.get("after"), limit)
    if page is None:
        return _no_such_batch(query["after"])
    return _reply(200, page)


def _cancel_batch(emu: Emulator, batch_id: str, **_: Any) -> Reply:
    b = emu.batches.get(batch_id)
    if b is None:
        return _no_such_batch(batch_id)
    with b.lock:
        now = emu.clock()
        _advance(emu, b, now)
        if b.final:
            return _error(400, f"Cannot cancel a batch with status '{b.status}'.", param="batch_id")
        if b.cancel_e is None:
            e = now - b.t0
            b.cancel_e = e
            b.cancel_k = _progress(b, e) if b.validated else 0
            b.status = "cancelling"
            b.stamp("cancelling_at", e)
            if b.validated:
                _set_counts(b, b.cancel_k)
        return _reply(200, b.public())


def _advance_all(emu: Emulator) -> None:
    with emu.lock:
        batches = list(emu.batches.values())
    for b in batches:
        with b.lock:
            _advance(emu, b)


# ------------------------------------------------------------------ the clock


def _progress(b: BatchState, e: float) -> int:
    """Lines processed (input order) at ``e`` seconds after creation."""
    if e < b.v:
        return 0
    frac = 1.0 if b.p <= 0 else min(1.0, (e - b.v) / b.p)
    return min(int(b.n * frac), b.limit)


def _set_counts(b: BatchState, k: int, expired: int = 0) -> None:
    failed = bisect.bisect_left(b.fail_idx, k)
    b.counts = {"total": b.n, "completed": k - failed, "failed": failed + expired}


def _advance(emu: Emulator, b: BatchState, now: float | None = None) -> None:
    """Bring ``b`` to the status it has at ``now`` (caller holds ``b.lock``)."""
    if b.final:
        return
    e = (emu.clock() if now is None else now) - b.t0
    v, p, f = b.v, b.p, b.f
    if b.cancel_e is not None:
        if e >= b.cancel_e + f:
            _finish(emu, b, "cancelled", b.cancel_k, b.cancel_e + f)
        return
    if e < v:
        return
    if not b.validated:
        _validate(emu, b)
        if b.errors is None and b.outcome.token_limit:
            msg = TOKEN_LIMIT_MESSAGE.format(model=b.model or "o4-mini")
            b.errors = {
                "object": "list",
                "data": [{"code": "token_limit_exceeded", "message": msg, "param": None, "line": None}],
            }
        if b.errors is not None:
            b.records = None
            b.status = "failed"
            b.stamp("failed_at", v)
            b.final = True
            return
    b.stamp("in_progress_at", v)
    if e < v + p:
        b.status = "in_progress"
        _set_counts(b, _progress(b, e))
        return
    b.stamp("finalizing_at", v + p)
    if e < v + p + f:
        b.status = "finalizing"
        _set_counts(b, b.limit)
        return
    _finish(emu, b, "expired" if b.limit < b.n else "completed", b.limit, v + p + f)


# ------------------------------------------------------------------ validation


def _line_error(code: str, message: str, line: int | None) -> dict[str, Any]:
    return {"code": code, "message": message, "param": None, "line": line}


def _validate(emu: Emulator, b: BatchState) -> None:
    """Parse the input once: check every line, and keep one compact record per line
    ``(custom_id JSON, answer text JSON, input tokens, output tokens, template key)``."""
    b.validated = True
    with emu.lock:
        data = emu.file_data.get(b.input_file_id)
    errors: list[dict[str, Any]] = []
    if data is None:
        errors.append(_line_error("invalid_file", f"The input file {b.input_file_id} was deleted.", None))
        data = b""
    chat = b.endpoint == "/v1/chat/completions"
    echo_keys = _ECHO_KEYS[b.endpoint]
    no_echo = repr([_MISSING] * len(echo_keys))
    script = _SCRIPT
    fail_ids = b.outcome.fail_custom_ids
    fail_all = b.outcome.no_output_file
    records: list[tuple[Any, ...]] = []
    fail_idx: list[int] = []
    seen: set[str] = set()
    keys: dict[str, str] = {"": ""}
    model: str | None = None
    scan, dumps, quote = json.scanner.make_scanner(json.JSONDecoder()), json.dumps, _quote  # type: ignore[attr-defined]
    missing = _MISSING
    echo_cache: dict[str, str] = {}
    lines = data.decode("utf-8", "replace").split("\n")
    for lineno, line in enumerate(lines, 1):
        line = line.strip()
        if not line:
            continue
        try:
            req, end = scan(line, 0)  # json.loads without its per-call overhead
            if end != len(line):
                raise ValueError("extra data")
        except (ValueError, StopIteration):
            errors.append(_line_error("invalid_json_line", f"Line {lineno} is not valid JSON.", lineno))
            continue
        if not isinstance(req, dict):
            errors.append(_line_error("invalid_json_line", f"Line {lineno} is not a JSON object.", lineno))
            continue
        cid, body = req.get("custom_id"), req.get("body")
        if not isinstance(cid, str) or not cid:
            errors.append(
                _line_error("invalid_json_line", f"Line {lineno} is missing a string 'custom_id'.", lineno)
            )
            continue
        if req.get("method") != "POST":
            errors.append(
                _line_error(
                    "invalid_json_line",
                    f"Line {lineno}: 'method' must be 'POST', got {req.get('method')!r}.",
                    lineno,
                )
            )
            continue
        if not isinstance(body, dict) or not isinstance(body.get("model"), str):
            errors.append(
                _line_error(
                    "invalid_json_line", f"Line {lineno} is missing 'body' with a string 'model'.", lineno
                )
            )
            continue
        if cid in seen:
            errors.append(
                _line_error(
                    "duplicate_custom_id",
                    f"The custom_id '{cid}' on line {lineno} is a duplicate. "
                    "Each request in a batch must have a unique custom_id.",
                    lineno,
                )
            )
            continue
        seen.add(cid)
        if req.get("url") != b.endpoint:
            errors.append(
                _line_error(
                    "url_mismatch",
                    f"The url '{req.get('url')}' on line {lineno} does not match "
                    f"the batch endpoint '{b.endpoint}'.",
                    lineno,
                )
            )
            continue
        if model is None:
            model = body["model"]
        elif body["model"] != model:
            errors.append(
                _line_error(
                    "model_mismatch",
                    f"The model '{body['model']}' on line {lineno} does not match the model '{model}' "
                    "of the other lines. A batch must use one model.",
                    lineno,
                )
            )
            continue
        if errors:
            continue  # the batch fails: no need for records
        idx = len(records)
        if fail_all or cid in fail_ids:
            fail_idx.append(idx)
            records.append((quote(cid),))
            continue
        if cid in b.outcome.incomplete_custom_ids:
            records.append((cid, body))
            continue
        if body.get("tools") and fake_llm.call_lines(fake_llm.prompt_text(body, chat)):
            records.append((cid, body, "calls"))  # the model's first turn: its tool calls
            continue
        text = fake_llm.answer_text(script, body, chat)
        inp = max(1, len(dumps(body)) // 4)
        out = max(1, len(text) // 4) + script.reasoning_tokens
        # The template key: the body fields fake_llm echoes (repr is cheap; JSON once per distinct value).
        echo = repr([body.get(k, missing) for k in echo_keys])
        key = echo_cache.get(echo)
        if key is None:
            key = (
                dumps({k: body[k] for k in echo_keys if k in body}, sort_keys=True) if echo != no_echo else ""
            )
            echo_cache[echo] = key = keys.setdefault(key, key)
        records.append((quote(cid), quote(text), inp, out, key))
    if not errors and not seen:
        errors.append(
            _line_error("empty_file", "The input file is empty. A batch needs at least one request.", None)
        )
    if not errors and len(records) > MAX_BATCH_LINES:
        errors.append(
            _line_error(
                "too_many_tasks",
                f"The batch input file has {len(records)} requests; the maximum is {MAX_BATCH_LINES:,}.",
                None,
            )
        )
    if model:
        b.model = model
    if errors:
        b.errors = {"object": "list", "data": errors}
        return
    b.records = records
    b.fail_idx = fail_idx
    b.n = len(records)
    limit = b.outcome.expire_after
    b.limit = b.n if limit is None else max(0, min(b.n, limit))


# ------------------------------------------------------------------ output


def _to_format(obj: dict[str, Any]) -> str:
    """JSON of ``obj`` as a ``str.format`` template: ``"@@x@@"`` (a whole value) and
    ``@@x@@`` (inside a string) become ``{x}``."""
    s = json.dumps(obj).replace("{", "{{").replace("}", "}}")
    for name in ("cid", "text", "inp", "out", "tot"):
        s = s.replace(f'"@@{name}@@"', "{" + name + "}")
    return s.replace("@@u@@", "{u}")


def _success_template(endpoint: str, key: str) -> str:
    """The output line of a successful request, as a format template (fields u, cid,
    text, inp, out, tot); the body is built by fake_llm, so it is the normal body."""
    echo = json.loads(key) if key else {}
    counts = {
        "input": "@@inp@@",
        "cached": _SCRIPT.cached_tokens,
        "output": "@@out@@",
        "reasoning": _SCRIPT.reasoning_tokens,
    }
    if endpoint == "/v1/responses":
        body = fake_llm.response_object("resp_@@u@@", _SCRIPT, echo, "@@text@@")
        body["usage"] = fake_llm.responses_usage(counts)
    else:
        body = fake_llm.chat_object("chatcmpl-@@u@@", _SCRIPT, echo, "@@text@@")
        body["usage"] = fake_llm.chat_usage(counts)
    body["usage"]["total_tokens"] = "@@tot@@"
    line = {
        "id": "batch_req_@@u@@",
        "custom_id": "@@cid@@",
        "response": {"status_code": 200, "request_id": "req_@@u@@", "body": body},
        "error": None,
    }
    return _to_format(line)


def _finish(emu: Emulator, b: BatchState, status: str, k: int, at: float) -> None:
    """End ``b`` with ``status``: lines [0, k) ran; write the output/error files."""
    records = b.records or []
    outcome = b.outcome
    templates: dict[str, str] = {}
    fail_line = _to_format(
        {
            "id": "batch_req_@@u@@",
            "custom_id": "@@cid@@",
            "response": {
                "status_code": outcome.fail_status,
                "request_id": "req_@@u@@",
                "body": {"error": outcome.fail_error or DEFAULT_LINE_ERROR},
            },
            "error": None,
        }
    )
    expired_line = _to_format(
        {"id": "batch_req_@@u@@", "custom_id": "@@cid@@", "response": None, "error": EXPIRED_ERROR}
    )
    out: list[str] = []
    err: list[str] = []
    inp_sum = out_sum = ok = 0
    prefix = f"{b.seq:06x}"
    for i in range(min(k, len(records))):
        rec = records[i]
        u = f"{prefix}{i:06x}"
        if len(rec) == 1:
            err.append(fail_line.format(u=u, cid=rec[0]))
            continue
        if len(rec) == 3:  # tool calls, as fake_llm makes them for the first turn
            cid, body, _ = rec
            calls = fake_llm.call_lines(fake_llm.prompt_text(body, b.endpoint != "/v1/responses"))[0]
            if b.endpoint == "/v1/responses":
                resp = fake_llm.response_object(f"resp_{u}", _SCRIPT, body, "", items=fake_llm.call_items(calls, body, emu.next_id))
            else:
                resp = fake_llm.chat_object(f"chatcmpl-{u}", _SCRIPT, body, "", fake_llm.chat_tool_calls(calls, emu.next_id))
            line = {"id": f"batch_req_{u}", "custom_id": cid, "error": None,
                    "response": {"status_code": 200, "request_id": f"req_{u}", "body": resp}}  # fmt: skip
            out.append(json.dumps(line))
            ok += 1
            continue
        if len(rec) == 2:  # incomplete, no text: paid reasoning, no answer
            script = fake_llm.Script(status="incomplete", reasoning_tokens=_SCRIPT.reasoning_tokens)
            cid, body = rec
            if b.endpoint == "/v1/responses":
                resp = fake_llm.response_object(f"resp_{u}", script, body, "")
            else:
                resp = fake_llm.chat_object(f"chatcmpl-{u}", script, body, "")
            line = {"id": f"batch_req_{u}", "custom_id": cid, "error": None,
                    "response": {"status_code": 200, "request_id": f"req_{u}", "body": resp}}  # fmt: skip
            out.append(json.dumps(line))
            continue
        cid, text, inp, outt, key = rec
        tpl = templates.get(key)
        if tpl is None:
            tpl = templates[key] = _success_template(b.endpoint, key)
        out.append(tpl.format(u=u, cid=cid, text=text, inp=inp, out=outt, tot=inp + outt))
        inp_sum += inp
        out_sum += outt
        ok += 1
    expired = 0
    if status == "expired":
        for i in range(k, len(records)):
            err.append(expired_line.format(u=f"{prefix}{i:06x}", cid=records[i][0]))
            expired += 1
    b.records = None  # not needed any more
    if outcome.shuffle:
        rng = random.Random(outcome.seed)
        rng.shuffle(out)
        rng.shuffle(err)
    if out:
        b.output_file_id = put_file(emu, _jsonl(out), f"{b.id}_output.jsonl", "batch_output")["id"]
    if err:
        b.error_file_id = put_file(emu, _jsonl(err), f"{b.id}_error.jsonl", "batch_output")["id"]
    b.usage = _usage(inp_sum, out_sum, _SCRIPT.reasoning_tokens * ok, min(_SCRIPT.cached_tokens, inp_sum))
    if ok:  # the organization's Usage and Costs APIs see the batch's usage (tests/emulator_usage.py)
        from tests import emulator_usage
        from tests.emulator import TEST_KEY

        emulator_usage.note(emu, {"Authorization": f"Bearer {TEST_KEY}"}, b.model or "o4-mini", b.usage,
                            batch=True, requests=ok)  # fmt: skip
    if records:
        _set_counts(b, min(k, len(records)), expired)
    b.status = status
    b.stamp(f"{status}_at", at)
    b.final = True


def _jsonl(lines: list[str]) -> bytes:
    data = "\n".join(lines).encode()
    lines.clear()
    return data + b"\n"


def _usage(inp: int, out: int, reasoning: int, cached: int) -> dict[str, Any]:
    return {
        "input_tokens": inp,
        "input_tokens_details": {"cached_tokens": cached},
        "output_tokens": out,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": inp + out,
    }
