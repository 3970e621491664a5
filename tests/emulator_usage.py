"""The organization Usage and Costs APIs of the emulator (``o4 usage reconcile``).

Every answer the emulator gives (responses, chat, a finished batch) is noted as usage
at the time it was given, under the key's id (``key_test`` for ``TEST_KEY``) and the
request's project (``OpenAI-Project`` or ``proj_default``); tests add other keys' and
machines' spend with ``emu.org_usage(...)``. Then, as the API does:

* ``GET /v1/organization/usage/completions``: 1-day buckets (``bucket_width`` 1d) from
  ``start_time`` to ``end_time`` (default: now), empty ones included; ``group_by`` any of
  model, batch, service_tier, project_id, api_key_id (a field not grouped by is null);
  ``models``, ``api_key_ids``, ``project_ids`` filters; ``limit`` buckets a page (1d:
  default 7, max 31) and ``page`` / ``next_page`` paging;
* ``GET /v1/organization/costs``: the same buckets, ``amount`` in USD at the prices below,
  ``group_by`` line_item, project_id, api_key_id; ``limit`` 1-180, default 7.

Both need the admin key (``ADMIN_KEY``); another key gets a 403 (as the API answers a
key without the ``api.usage.read`` scope). ``emu.org_page_limit`` caps buckets a page
lower than ``limit``, so tests page through a few days.

The line item's text (``"o4-mini-2025-04-16, input"``) is unconfirmed: o4 only shows it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

if TYPE_CHECKING:
    from tests.emulator import Emulator, Reply

ADMIN_KEY = "sk-admin-test-o4cli-0123456789SECRET"
KEY_IDS = {"sk-test-o4cli-0123456789abcdefSECRET": "key_test"}
DAY = 86400
# The bill's prices per 1M tokens (input, cached input, output): the emulator's own, so
# that reconcile compares o4's pricing with an independent one.
PRICES = {"o4-mini-2025-04-16": (1.10, 0.275, 4.40), "o4-mini": (1.10, 0.275, 4.40)}


@dataclass
class Record:
    at: float
    model: str
    input_tokens: int
    cached_tokens: int
    output_tokens: int
    requests: int = 1
    batch: bool = False
    service_tier: str = "default"
    project_id: str = "proj_default"
    api_key_id: str = "key_test"

    def cost(self) -> dict[str, float]:
        """The line items of this record, in USD."""
        i, c, o = PRICES.get(self.model, (0.0, 0.0, 0.0))
        half = 0.5 if self.batch or self.service_tier == "flex" else 1.0
        return {
            f"{self.model}, input": (self.input_tokens - self.cached_tokens) * i / 1e6 * half,
            f"{self.model}, cached input": self.cached_tokens * c / 1e6 * half,
            f"{self.model}, output": self.output_tokens * o / 1e6 * half,
        }


def install(emu: Emulator) -> None:
    emu.keys.add(ADMIN_KEY)
    emu.route("GET", r"/v1/organization/usage/completions", lambda **kw: _usage(emu, **kw))
    emu.route("GET", r"/v1/organization/costs", lambda **kw: _costs(emu, **kw))
    emu.org_usage = lambda **kw: _add(emu, Record(**{"at": time.time(), **kw}))  # type: ignore[attr-defined]
    reset_state(emu)


def reset_state(emu: Emulator) -> None:
    emu.usage_records = []  # type: ignore[attr-defined]
    emu.org_page_limit = None  # type: ignore[attr-defined]


def _add(emu: Emulator, rec: Record) -> None:
    with emu.lock:
        emu.usage_records.append(rec)


def note(emu: Emulator, headers: Any, model: str, usage: dict[str, Any], *, batch: bool = False,
         service_tier: str | None = None, requests: int = 1) -> None:  # fmt: skip
    """Note an answer's usage (Responses or Chat Completions shape)."""
    key = (headers.get("Authorization", "") if headers else "").removeprefix("Bearer ").strip()
    inp = usage.get("input_tokens", usage.get("prompt_tokens", 0))
    details = usage.get("input_tokens_details") or usage.get("prompt_tokens_details") or {}
    out = usage.get("output_tokens", usage.get("completion_tokens", 0))
    _add(emu, Record(
        time.time(), model, int(inp), int(details.get("cached_tokens") or 0), int(out), requests=requests,
        batch=batch, service_tier=service_tier or "default",
        project_id=(headers.get("OpenAI-Project") if headers else None) or "proj_default",
        api_key_id=KEY_IDS.get(key, "key_other"),
    ))  # fmt: skip


def _query() -> dict[str, list[str]]:
    from tests import emulator_batch as eb

    return parse_qs(getattr(eb._tls, "query", "") or "", keep_blank_values=True)


def _admin(headers: Any) -> Reply | None:
    from tests.emulator import api_error

    key = (headers.get("Authorization", "") if headers else "").removeprefix("Bearer ").strip()
    if key != ADMIN_KEY:
        return api_error(
            403, "You have insufficient permissions for this operation. Missing scopes: api.usage.read.",
            "invalid_request_error",
        )  # fmt: skip
    return None


def _buckets(emu: Emulator, q: dict[str, list[str]], max_limit: int) -> tuple[list[tuple[int, int]], str | None] | Reply:
    from tests.emulator import api_error

    try:
        start = int(q["start_time"][0])
        end = int(q.get("end_time", [time.time()])[0])
        limit = int(q.get("limit", ["7"])[0])
    except (KeyError, ValueError):
        return api_error(400, "start_time is required and times are integers", "invalid_request_error", param="start_time")
    if q.get("bucket_width", ["1d"])[0] != "1d":
        return api_error(400, "o4's emulator serves 1d buckets only", "invalid_request_error", param="bucket_width")
    if not 1 <= limit <= max_limit:
        return api_error(400, f"limit must be between 1 and {max_limit}", "invalid_request_error", param="limit")
    first = start - start % DAY
    page = q.get("page", [None])[0]
    if page:
        first = int(page.removeprefix("page_"))
    days = list(range(first, end, DAY))
    per_page = min(limit, emu.org_page_limit or limit)
    shown = days[:per_page]
    more = len(days) > per_page
    return [(d, d + DAY) for d in shown], (f"page_{days[per_page]}" if more else None)


def _selected(emu: Emulator, q: dict[str, list[str]], lo: int, hi: int) -> list[Record]:
    with emu.lock:
        recs = [r for r in emu.usage_records if lo <= r.at < hi]
    for name, attr in (("models", "model"), ("api_key_ids", "api_key_id"), ("project_ids", "project_id")):
        if q.get(name):
            recs = [r for r in recs if getattr(r, attr) in q[name]]
    if q.get("batch"):
        want = q["batch"][0] == "true"
        recs = [r for r in recs if r.batch == want]
    return recs


def _page(buckets: list[dict[str, Any]], next_page: str | None) -> dict[str, Any]:
    return {"object": "page", "data": buckets, "has_more": next_page is not None, "next_page": next_page}


def _usage(emu: Emulator, headers: Any = None, **_: Any) -> Reply:
    from tests.emulator import Reply

    refused = _admin(headers)
    if refused:
        return refused
    q = _query()
    found = _buckets(emu, q, 31)
    if not isinstance(found, tuple):
        return found
    spans, next_page = found
    group = q.get("group_by", [])
    buckets = []
    for lo, hi in spans:
        grouped: dict[tuple[Any, ...], dict[str, Any]] = {}
        for r in _selected(emu, q, lo, hi):
            key = tuple(getattr(r, g) for g in group)
            row = grouped.setdefault(key, {
                "object": "organization.usage.completions.result", "input_tokens": 0, "output_tokens": 0,
                "input_cached_tokens": 0, "input_audio_tokens": 0, "output_audio_tokens": 0, "num_model_requests": 0,
                "project_id": None, "user_id": None, "api_key_id": None, "model": None, "batch": None,
                "service_tier": None, **dict(zip(group, key, strict=True)),
            })  # fmt: skip
            row["input_tokens"] += r.input_tokens
            row["input_cached_tokens"] += r.cached_tokens
            row["output_tokens"] += r.output_tokens
            row["num_model_requests"] += r.requests
        buckets.append({"object": "bucket", "start_time": lo, "end_time": hi, "results": list(grouped.values())})
    return Reply(200, _page(buckets, next_page))


def _costs(emu: Emulator, headers: Any = None, **_: Any) -> Reply:
    from tests.emulator import Reply

    refused = _admin(headers)
    if refused:
        return refused
    q = _query()
    found = _buckets(emu, q, 180)
    if not isinstance(found, tuple):
        return found
    spans, next_page = found
    group = q.get("group_by", [])
    buckets = []
    for lo, hi in spans:
        grouped: dict[tuple[Any, ...], dict[str, Any]] = {}
        for r in _selected(emu, q, lo, hi):
            for item, amount in r.cost().items():
                fields = {"line_item": item, "project_id": r.project_id, "api_key_id": r.api_key_id}
                key = tuple(fields[g] for g in group)
                row = grouped.setdefault(key, {
                    "object": "organization.costs.result", "amount": {"value": 0.0, "currency": "usd"},
                    "line_item": None, "project_id": None, "api_key_id": None, "quantity": None,
                    **{g: fields[g] for g in group},
                })  # fmt: skip
                row["amount"]["value"] += amount
        buckets.append({"object": "bucket", "start_time": lo, "end_time": hi, "results": list(grouped.values())})
    return Reply(200, _page(buckets, next_page))
