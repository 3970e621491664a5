"""``o4 usage reconcile``: the ledger beside OpenAI's own books, per day and model.

OpenAI's side comes from the organization's Usage API (``GET /organization/usage/completions``,
1-day buckets grouped by model, batch and service tier) and Costs API (``GET
/organization/costs``, 1-day buckets grouped by line item), both paged, both read with an
admin key (``$OPENAI_ADMIN_KEY`` or the profile's ``admin_key_env``; never the API key).

What can be compared, and how:

* tokens per UTC day, model and pricing (standard, flex, batch): o4's input and output
  tokens beside the Usage API's;
* dollars per UTC day: o4's cost beside the Costs API's bill (it groups by line item or
  project, not by model); per model, OpenAI's tokens are priced at o4's prices instead.

A difference beyond ``tolerance`` (a fraction of the larger side) is *attributable* to
this ledger when o4 counts more than OpenAI (nothing else can add to o4's side), or, with
``--api-key-id``, either way (OpenAI's numbers are then only those keys'). Without it,
other keys and machines of the organization also spend: OpenAI counting more is shown,
not failed. A batch is recorded when its results are fetched, OpenAI counts it when it
runs: their days can differ.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from o4cli.core import catalog
from o4cli.core.cost import Usage, cost
from o4cli.core.errors import ConfigError, O4Error, UsageError

USAGE_PATH = "organization/usage/completions"
COSTS_PATH = "organization/costs"
USAGE_LIMIT = 31  # buckets a page: the Usage API's maximum for 1d buckets
COSTS_LIMIT = 180  # the Costs API's maximum
MAX_PAGES = 200  # a server that never stops paging is an error, not a hang
DEFAULT_TOLERANCE = Decimal("0.01")


@dataclass
class Side:
    requests: int = 0
    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    cost_usd: Decimal | None = None

    def add_cost(self, amount: Decimal | None) -> None:
        if amount is not None:
            self.cost_usd = (self.cost_usd or Decimal(0)) + amount


@dataclass
class Row:
    """One UTC day, model and pricing: o4's tokens beside OpenAI's."""

    day: str
    model: str
    pricing: str
    local: Side = field(default_factory=Side)
    remote: Side = field(default_factory=Side)  # remote.cost_usd: OpenAI's tokens at o4's prices
    differs: bool = False
    attributable: bool = False


@dataclass
class Day:
    """One UTC day's dollars: o4's cost beside the Costs API's bill."""

    day: str
    local_usd: Decimal = Decimal(0)
    billed_usd: Decimal = Decimal(0)
    differs: bool = False
    attributable: bool = False


@dataclass
class Reconciliation:
    since: str  # first UTC day
    until: str  # last UTC day
    tolerance: Decimal
    project: str | None
    api_key_id: str | None
    rows: list[Row] = field(default_factory=list)
    days: list[Day] = field(default_factory=list)
    line_items: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def percent(self) -> str:
        return f"{float(self.tolerance * 100):g}%"

    @property
    def attributable(self) -> int:
        return sum(r.attributable for r in self.rows) + sum(d.attributable for d in self.days)

    @property
    def error(self) -> O4Error | None:
        """Exit 1 when a difference beyond the tolerance is this ledger's own."""
        n = self.attributable
        if not n:
            return None
        return O4Error(
            f"{n} difference{'s' if n > 1 else ''} beyond the tolerance of {self.percent} "
            "attributable to this ledger's calls",
            hint="see the rows marked ! above; --tolerance sets how much difference is accepted",
        )


# ------------------------------------------------------------------ pure rules


def parse_tolerance(text: str) -> Decimal:
    """'1%' or '0.01' -> 0.01 (a fraction of the larger side)."""
    raw = text.strip()
    try:
        value = Decimal(raw[:-1]) / 100 if raw.endswith("%") else Decimal(raw)
    except ArithmeticError:
        value = Decimal(-1)
    if not value.is_finite() or not 0 <= value < 1:
        raise UsageError(f"--tolerance {text!r}: expected a fraction like 0.01 or a percentage like 1%")
    return value


def beyond(a: int | Decimal, b: int | Decimal, tolerance: Decimal) -> bool:
    """Whether ``a`` and ``b`` differ by more than ``tolerance`` of the larger."""
    return abs(Decimal(a) - Decimal(b)) > tolerance * max(Decimal(a), Decimal(b))


def model_key(model: str | None) -> str:
    """Both sides' model names on one spelling: a snapshot as its catalog id."""
    if not model:
        return "-"
    if catalog.is_fine_tuned(model):
        return model
    entry = catalog.find(model)
    return entry.id if entry else model


def remote_pricing(result: Mapping[str, Any]) -> str:
    if result.get("batch"):
        return "batch"
    return "flex" if result.get("service_tier") == "flex" else "standard"


def day_of(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).date().isoformat()


def compare(
    local_rows: Iterable[Mapping[str, Any]],
    usage_buckets: Iterable[Mapping[str, Any]],
    cost_buckets: Iterable[Mapping[str, Any]],
    *,
    since: str,
    until: str,
    tolerance: Decimal,
    project: str | None = None,
    api_key_id: str | None = None,
) -> Reconciliation:
    """Put both sides side by side and mark the differences (pure)."""
    rec = Reconciliation(since, until, tolerance, project, api_key_id)
    rows: dict[tuple[str, str, str], Row] = {}
    days: dict[str, Day] = {}

    def row(day: str, model: str, pricing: str) -> Row:
        return rows.setdefault((day, model, pricing), Row(day, model, pricing))

    for r in local_rows:
        day = str(r["created_at"])[:10]
        if not since <= day <= until:
            continue
        side = row(day, model_key(r["model"]), r["pricing"] or "standard").local
        side.requests += 1
        side.input_tokens += r["input_tokens"] or 0
        side.cached_tokens += r["cached_tokens"] or 0
        side.output_tokens += r["output_tokens"] or 0
        amount = Decimal(r["cost_usd"]) if r["cost_usd"] is not None else None
        side.add_cost(amount)
        days.setdefault(day, Day(day)).local_usd += amount or 0
    for bucket in usage_buckets:
        day = day_of(int(bucket["start_time"]))
        for res in _results(bucket):
            pricing = remote_pricing(res)
            model = model_key(res.get("model"))
            side = row(day, model, pricing).remote
            side.requests += int(res.get("num_model_requests") or 0)
            side.input_tokens += int(res.get("input_tokens") or 0)
            side.cached_tokens += int(res.get("input_cached_tokens") or 0)
            side.output_tokens += int(res.get("output_tokens") or 0)
            price = catalog.price_for(res.get("model") or "", pricing)
            if price:
                tokens = (res.get("input_tokens"), res.get("input_cached_tokens"), res.get("output_tokens"))
                side.add_cost(cost(Usage(*(int(t or 0) for t in tokens)), price))
    for bucket in cost_buckets:
        day = day_of(int(bucket["start_time"]))
        for res in _results(bucket):
            amount = Decimal(str((res.get("amount") or {}).get("value") or 0))
            days.setdefault(day, Day(day)).billed_usd += amount
            rec.line_items.append({"day": day, "line_item": res.get("line_item"), "project_id": res.get("project_id"),
                                   "amount_usd": amount})  # fmt: skip
    for r in rows.values():
        pairs = [(r.local.input_tokens, r.remote.input_tokens), (r.local.output_tokens, r.remote.output_tokens)]
        off = [(a, b) for a, b in pairs if beyond(a, b, tolerance)]
        r.differs = bool(off)
        r.attributable = any(a > b or api_key_id is not None for a, b in off)
    for d in days.values():
        d.local_usd = d.local_usd.quantize(Decimal("0.000001"))
        d.billed_usd = d.billed_usd.quantize(Decimal("0.000001"))
        d.differs = beyond(d.local_usd, d.billed_usd, tolerance)
        d.attributable = d.differs and (d.local_usd > d.billed_usd or api_key_id is not None)
    rec.rows = sorted(rows.values(), key=lambda r: (r.day, r.model, r.pricing))
    rec.days = sorted(days.values(), key=lambda d: d.day)
    rec.notes = notes(api_key_id, project)
    return rec


def _results(bucket: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    # The spec names the list `results`; some published references spell it `result`.
    return list(bucket.get("results") or bucket.get("result") or [])


def notes(api_key_id: str | None, project: str | None) -> list[str]:
    """What can and cannot be compared, in words."""
    out = [
        "the Costs API groups dollars by line item or project, not by model: dollars are compared per day; "
        "per model, OpenAI's tokens are priced at o4's prices (openai $*)",
        "a batch is in the ledger from when its results were fetched, in OpenAI's books from when it ran: "
        "its day can differ",
    ]
    if api_key_id is None:
        scope = f"project {project}" if project else "the whole organization"
        out.append(
            f"OpenAI's side is {scope}: other keys and machines spend there too, so only o4 counting more than "
            "OpenAI is this ledger's own difference (--api-key-id KEY_ID compares one key both ways)"
        )
    return out


# ------------------------------------------------------------------ the calls


def admin_key(settings: Any, env: Mapping[str, str]) -> str:
    """The admin key from ``$OPENAI_ADMIN_KEY`` (or the profile's ``admin_key_env``), never the API key."""
    from o4cli.core.config import check_key

    var = settings.admin_key_env
    raw = env.get(var, "").strip()
    if not raw:
        raise ConfigError(
            f"no admin key: ${var} is not set (the organization's Usage and Costs APIs need an admin key; "
            "o4 never sends the API key there)",
            hint=f"create one at platform.openai.com/settings/organization/admin-keys and export {var}=sk-admin-..."
            " (or `o4 config set admin_key_env NAME`)",
        )
    return check_key(raw, f"${var}")


def pages(api: Any, path: str, params: dict[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every bucket of a paged usage/costs list (``page`` = the last ``next_page``)."""
    page: str | None = None
    for _ in range(MAX_PAGES):
        doc = api.request_json("GET", path, params={**params, **({"page": page} if page else {})})
        yield from doc.get("data") or []
        page = doc.get("next_page")
        if not doc.get("has_more") or not page:
            return
    raise O4Error(f"GET /{path}: still more pages after {MAX_PAGES}; stopped")


def window(since: str | None, now: datetime) -> tuple[datetime, datetime]:
    """The UTC days from ``since`` (default 7 days back) through today."""
    from o4cli.core.usage_report import since_to_iso

    cutoff = datetime.fromisoformat(since_to_iso(since or "7d", now) or "")
    start = cutoff.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    end = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    if start >= end:
        raise UsageError(f"--since {since}: that is not in the past")
    return start, end


def reconcile(
    rt: Any,
    *,
    since: str | None,
    tolerance: str,
    project: str | None,
    api_key_id: str | None,
    profile: str | None,
    now: datetime | None = None,
) -> Reconciliation:
    """Read both sides for the window and compare them."""
    import os

    from o4cli.core.http.api import Api
    from o4cli.core.http.client import build_client

    tol = parse_tolerance(tolerance)
    start, end = window(since, now or datetime.now(UTC))
    settings = rt.settings
    key = admin_key(settings, getattr(rt, "env", os.environ))
    admin = replace(settings, api_key=key, api_key_source=f"${settings.admin_key_env}", project=None)
    common: dict[str, Any] = {"start_time": int(start.timestamp()), "end_time": int(end.timestamp())}
    common["bucket_width"] = "1d"
    if project:
        common["project_ids"] = [project]
    if api_key_id:
        common["api_key_ids"] = [api_key_id]
    client = build_client(admin, transport=getattr(rt, "transport", None))
    try:
        api = Api(client, admin, log=rt.log, notice=rt.notice)
        grouped = {**common, "group_by": ["model", "batch", "service_tier"], "limit": USAGE_LIMIT}
        usage = list(pages(api, USAGE_PATH, grouped))
        costs = list(pages(api, COSTS_PATH, {**common, "group_by": ["line_item"], "limit": COSTS_LIMIT}))
    finally:
        client.close()
    rows = rt.ledger.requests(start.isoformat(timespec="seconds"))
    if profile:
        rows = (r for r in rows if r["profile"] == profile)
    last = (end - timedelta(days=1)).date().isoformat()
    return compare(rows, usage, costs, since=start.date().isoformat(), until=last, tolerance=tol,
                   project=project, api_key_id=api_key_id)  # fmt: skip
