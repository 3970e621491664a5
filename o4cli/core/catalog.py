"""What o4 knows about models without asking the API: facts, prices, limits, lifecycle.

The facts are data, in ``o4cli/data/models.toml`` (each with its source and the date it
was read; what could not be confirmed is marked so), extended and corrected by the user's
``models.toml`` next to the config file. Both are read only when a command first needs a
model (``active()``), never at start-up. Prices are USD per 1M tokens, as ``Decimal``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

from o4cli.core.errors import UsageError

MODES = ("standard", "batch", "flex", "priority")
USER_FILE = "models.toml"
TODAY_ENV = "O4_TODAY"  # YYYY-MM-DD: the day o4 judges lifecycles by (tests, "what if")
USER_SOURCE = "models.toml"


@dataclass(frozen=True)
class Price:
    """USD per 1M tokens; ``long`` applies to a call whose input is above ``long_above``."""

    input: Decimal
    cached_input: Decimal
    output: Decimal
    long_above: int | None = None
    long: Price | None = None

    def for_input(self, input_tokens: int) -> Price:
        """The rates that apply to a call of ``input_tokens`` (long-context pricing)."""
        if self.long is not None and self.long_above is not None and input_tokens > self.long_above:
            return self.long
        return self


@dataclass(frozen=True)
class TierLimit:
    tier: int
    rpm: int
    tpm: int
    batch_queue_tokens: int


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    url: str
    read: str  # YYYY-MM-DD


@dataclass(frozen=True)
class Lifecycle:
    released: date | None = None
    deprecated: date | None = None
    shutdown: date | None = None
    substitute: str | None = None

    def status(self, today: date) -> str:
        """``active``, ``deprecated`` (a shutdown is announced) or ``shut down``."""
        if self.shutdown is not None and today >= self.shutdown:
            return "shut down"
        if self.deprecated is not None:
            return "deprecated" if today >= self.deprecated else "active"  # not announced yet
        return "deprecated" if self.shutdown is not None else "active"


@dataclass(frozen=True)
class Model:
    id: str
    snapshot: str | None = None
    aliases: tuple[str, ...] = ()
    description: str = ""
    tokenizer: str | None = None
    context_window: int | None = None
    max_output: int | None = None
    knowledge_cutoff: str | None = None
    input_modalities: tuple[str, ...] = ()
    output_modalities: tuple[str, ...] = ()
    endpoints: tuple[str, ...] = ()
    features: dict[str, bool] = field(default_factory=dict)
    prices: dict[str, Price] = field(default_factory=dict)
    fine_tuned_prices: dict[str, Price] = field(default_factory=dict)
    tiers: tuple[TierLimit, ...] = ()
    efforts: tuple[str, ...] = ()
    default_effort: str | None = None
    verbosity: tuple[str, ...] = ()
    rejected_params: dict[str, str] = field(default_factory=dict)
    fine_tuning_methods: tuple[str, ...] = ()
    image_tokens: dict[str, Any] | None = None
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    notes: tuple[str, ...] = ()
    source: str | None = None
    field_sources: dict[str, str] = field(default_factory=dict)
    unconfirmed: frozenset[str] = frozenset()
    user_fields: frozenset[str] = frozenset()

    def tier(self, n: int) -> TierLimit | None:
        """The limits of usage tier ``n`` (1-5); None when the catalog has none."""
        return next((t for t in self.tiers if t.tier == n), None)

    def names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(n for n in (self.id, self.snapshot, *self.aliases) if n))

    def source_of(self, path: str) -> str | None:
        """The source id of a fact (dotted path): the user's file, else the longest
        ``sources`` prefix, else the model's ``source``."""
        if self.is_user(path):
            return USER_SOURCE
        best, best_len = self.source, -1
        for prefix, src in self.field_sources.items():
            if (path == prefix or path.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = src, len(prefix)
        return best

    def is_unconfirmed(self, path: str) -> bool:
        if self.is_user(path):
            return False  # the user's word is the user's word
        return any(path == u or path.startswith(u + ".") for u in self.unconfirmed)

    def is_user(self, path: str) -> bool:
        return any(path == u or path.startswith(u + ".") for u in self.user_fields)

    @property
    def accepts_images(self) -> bool:
        return "image" in self.input_modalities if self.input_modalities else True


@dataclass(frozen=True)
class Catalog:
    models: tuple[Model, ...]
    sources: dict[str, Source]
    user_path: Path | None = None  # the user's models.toml, when it exists

    def find(self, model_id: str) -> Model | None:
        """The entry for an id, alias, snapshot, dated snapshot or fine-tuned name."""
        base = model_id
        m = _FINE_TUNED.match(model_id)
        if m:
            base = m.group("base")
        for model in self.models:
            if base in model.names():
                return model
        dated = _DATED.match(base)
        if dated:
            for model in self.models:
                if dated.group("base") == model.id:
                    return model
        return None


_FINE_TUNED = re.compile(r"^ft:(?P<base>[^:]+)(:|$)")
_DATED = re.compile(r"^(?P<base>.+)-\d{4}-\d{2}-\d{2}$")


# ------------------------------------------------------------------ reading the files


def user_path(env: Mapping[str, str]) -> Path:
    """The user's catalog: ``models.toml`` in the config file's folder."""
    from o4cli.core.config import config_path

    return config_path(env).parent / USER_FILE


def active(env: Mapping[str, str] | None = None) -> Catalog:
    """The catalog in force: the packaged one with the user's file over it (read once
    per file version; the environment says where the config folder is)."""
    path = user_path(os.environ if env is None else env)
    try:
        st = path.stat()
        stamp: tuple[int, int] | None = (st.st_mtime_ns, st.st_size)
    except OSError:
        return _load(None, None)  # no user file: one packaged catalog for every folder
    return _load(str(path), stamp)


@lru_cache(maxsize=4)
def _load(path: str | None, stamp: tuple[int, int] | None) -> Catalog:
    user = _read_user(Path(path)) if path is not None else None
    return build(_builtin(), user, Path(path) if user is not None else None)


def _builtin() -> dict[str, Any]:
    """``o4cli/data/models.toml`` as parsed: ``catalog_data``, generated from it by
    scripts/gen_docs.py (tests/test_generated.py keeps it current). Parsing the TOML on each
    run cost about 6 ms, and importing tomllib 2 ms more, of a one-off call."""
    from o4cli.core.catalog_data import DATA

    return DATA


def _read_user(path: Path) -> dict[str, Any] | None:
    """The user's file as TOML (read as the config file is: type and size checked first)."""
    import tomllib

    from o4cli.core.config import MAX_CONFIG_BYTES
    from o4cli.core.files import read_capped

    if not path.exists():
        return None
    raw = read_capped(f"model catalog {path}", path, MAX_CONFIG_BYTES, "too large for a model catalog")
    try:
        return tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise UsageError(f"model catalog {path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        text = str(exc)
        m = re.search(r"\(at line (\d+), column (\d+)\)", text)
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", text)
        where = f":{m.group(1)}:{m.group(2)}" if m else ""
        raise UsageError(f"model catalog {path}{where}: not valid TOML: {reason}") from None


def build(raw: dict[str, Any], user: dict[str, Any] | None, path: Path | None) -> Catalog:
    """The catalog from the packaged data and the user's (both parsed TOML)."""
    where = str(path) if path else "o4cli/data/models.toml"
    user = user or {}
    for key in user:
        if key not in ("models", "sources", "rejected"):
            raise UsageError(
                f"model catalog {where}: unknown top-level key '{key}'{_suggest(key, ['models', 'sources'])}",
                hint="the file holds [models.NAME] tables (and optionally [sources.ID])",
            )
    sources = {k: _source(k, v, where) for k, v in {**raw.get("sources", {}), **user.get("sources", {})}.items()}
    if path is not None:
        sources[USER_SOURCE] = Source(USER_SOURCE, "your models.toml", str(path), date.today().isoformat())
    rejected_sets = {**raw.get("rejected", {}), **user.get("rejected", {})}
    user_models = user.get("models", {})
    if not isinstance(user_models, dict):
        raise UsageError(f"model catalog {where}: 'models' must be a table of [models.NAME] tables")
    models: list[Model] = []
    names = list(raw.get("models", {})) + [n for n in user_models if n not in raw.get("models", {})]
    for name in names:
        base = raw.get("models", {}).get(name, {})
        mine = user_models.get(name)
        if mine is not None and not isinstance(mine, dict):
            raise UsageError(f"model catalog {where}: 'models.{name}' must be a table")
        if mine and "like" in mine:
            like = mine["like"]
            if like not in raw.get("models", {}):
                raise UsageError(f"model catalog {where}: models.{name}.like: '{like}' is not a packaged model")
            base = {**raw["models"][like], "lifecycle": {}, "snapshot": None, "aliases": []}
            mine = {k: v for k, v in mine.items() if k != "like"}
        data = _merge(base, mine or {})
        user_fields = frozenset(_leaves(mine or {}))
        models.append(_model(name, data, user_fields, rejected_sets, sources, where))
    return Catalog(tuple(models), sources, path)


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _leaves(d: dict[str, Any], prefix: str = "") -> list[str]:
    out: list[str] = []
    for k, v in d.items():
        path = f"{prefix}{k}"
        if isinstance(v, dict) and v and k not in ("features", "sources"):
            out.extend(_leaves(v, path + "."))
        else:
            out.append(path)
    return out


def _suggest(name: str, known: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, known, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _source(key: str, v: Any, where: str) -> Source:
    if not isinstance(v, dict):
        raise UsageError(f"model catalog {where}: sources.{key} must be a table (title, url, read)")
    return Source(key, str(v.get("title", key)), str(v.get("url", "")), str(v.get("read", "")))


MODEL_KEYS = (
    "snapshot aliases description tokenizer context_window max_output knowledge_cutoff input_modalities "
    "output_modalities endpoints features prices fine_tuned_prices tiers efforts default_effort verbosity "
    "rejected rejected_extra fine_tuning_methods image_tokens lifecycle notes source sources unconfirmed like"
).split()


class _Bad(ValueError):
    pass


def _model(
    name: str,
    d: dict[str, Any],
    user_fields: frozenset[str],
    rejected_sets: dict[str, dict[str, str]],
    sources: dict[str, Source],
    where: str,
) -> Model:
    label = f"models.{name}"
    for key in d:
        if key not in MODEL_KEYS:
            raise UsageError(
                f"model catalog {where}: unknown key '{label}.{key}'{_suggest(key, MODEL_KEYS)}",
                hint="README 'Models' lists the keys a model takes",
            )
    try:
        rejected: dict[str, str] = {}
        if d.get("rejected"):
            if d["rejected"] not in rejected_sets:
                raise _Bad(f"rejected: no parameter set '{d['rejected']}'")
            rejected.update(rejected_sets[d["rejected"]])
        rejected.update(_str_map(d.get("rejected_extra", {}), "rejected_extra"))
        for key in ("source",):
            if d.get(key) and d[key] not in sources:
                raise _Bad(f"{key}: no source '{d[key]}'")
        field_sources = _str_map(d.get("sources", {}), "sources")
        for p, s in field_sources.items():
            if s not in sources:
                raise _Bad(f"sources.{p}: no source '{s}'")
        return Model(
            id=name,
            snapshot=_opt_str(d.get("snapshot"), "snapshot"),
            aliases=_strs(d.get("aliases", []), "aliases"),
            description=str(d.get("description", "")),
            tokenizer=_opt_str(d.get("tokenizer"), "tokenizer"),
            context_window=_opt_int(d.get("context_window"), "context_window"),
            max_output=_opt_int(d.get("max_output"), "max_output"),
            knowledge_cutoff=_opt_date_str(d.get("knowledge_cutoff"), "knowledge_cutoff"),
            input_modalities=_strs(d.get("input_modalities", []), "input_modalities"),
            output_modalities=_strs(d.get("output_modalities", []), "output_modalities"),
            endpoints=_strs(d.get("endpoints", []), "endpoints"),
            features={str(k): bool(v) for k, v in _table(d.get("features", {}), "features").items()},
            prices=_prices(d.get("prices", {}), "prices"),
            fine_tuned_prices=_prices(d.get("fine_tuned_prices", {}), "fine_tuned_prices"),
            tiers=tuple(_tier(t) for t in d.get("tiers", [])),
            efforts=_strs(d.get("efforts", []), "efforts"),
            default_effort=_opt_str(d.get("default_effort"), "default_effort"),
            verbosity=_strs(d.get("verbosity", []), "verbosity"),
            rejected_params=rejected,
            fine_tuning_methods=_strs(d.get("fine_tuning_methods", []), "fine_tuning_methods"),
            image_tokens=_table(d["image_tokens"], "image_tokens") if d.get("image_tokens") else None,
            lifecycle=_lifecycle(_table(d.get("lifecycle", {}), "lifecycle")),
            notes=_strs(d.get("notes", []), "notes"),
            source=d.get("source"),
            field_sources=field_sources,
            unconfirmed=frozenset(_strs(d.get("unconfirmed", []), "unconfirmed")),
            user_fields=user_fields,
        )
    except _Bad as exc:
        raise UsageError(f"model catalog {where}: {label}.{exc}") from None


def _table(v: Any, key: str) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise _Bad(f"{key} must be a table")
    return v


def _str_map(v: Any, key: str) -> dict[str, str]:
    return {str(k): str(x) for k, x in _table(v, key).items()}


def _strs(v: Any, key: str) -> tuple[str, ...]:
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise _Bad(f"{key} must be a list of strings")
    return tuple(v)


def _opt_str(v: Any, key: str) -> str | None:
    if v is None:
        return None
    if not isinstance(v, str):
        raise _Bad(f"{key} must be a string")
    return v


def _opt_int(v: Any, key: str) -> int | None:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
        raise _Bad(f"{key} must be a whole number above 0")
    return v


def _opt_date_str(v: Any, key: str) -> str | None:
    d = _date(v, key)
    return d.isoformat() if isinstance(d, date) else None


def _date(v: Any, key: str) -> date | None:
    if v is None:
        return None
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    if isinstance(v, str):
        try:
            return date.fromisoformat(v)
        except ValueError:
            pass
    raise _Bad(f"{key} must be a date like 2026-10-23 (got {v!r})")


def _money(v: Any, key: str) -> Decimal:
    if isinstance(v, bool) or not isinstance(v, (str, int, float)):
        raise _Bad(f'{key} must be a price in USD per 1M tokens, like "1.10"')
    try:
        d = Decimal(str(v))
    except InvalidOperation:
        raise _Bad(f'{key} must be a price in USD per 1M tokens, like "1.10" (got {v!r})') from None
    if not d.is_finite() or d < 0:
        raise _Bad(f"{key} must be a non-negative price")
    return d


PRICE_KEYS = ("input", "cached_input", "output", "long_context_above", "long_input", "long_cached_input", "long_output")


def _prices(v: Any, key: str) -> dict[str, Price]:
    out: dict[str, Price] = {}
    for mode, p in _table(v, key).items():
        label = f"{key}.{mode}"
        if mode not in MODES:
            raise _Bad(f"{label}: unknown pricing mode{_suggest(mode, list(MODES))} (modes: {', '.join(MODES)})")
        p = _table(p, label)
        for k in p:
            if k not in PRICE_KEYS:
                raise _Bad(f"{label}.{k}: unknown price key{_suggest(k, list(PRICE_KEYS))}")
        if "input" not in p or "output" not in p:
            raise _Bad(f"{label} needs at least input and output")
        inp = _money(p["input"], f"{label}.input")
        cached = _money(p["cached_input"], f"{label}.cached_input") if "cached_input" in p else inp
        price = Price(inp, cached, _money(p["output"], f"{label}.output"))
        if "long_context_above" in p:
            above = _opt_int(p["long_context_above"], f"{label}.long_context_above")
            long = Price(
                _money(p.get("long_input", price.input), f"{label}.long_input"),
                _money(p.get("long_cached_input", price.cached_input), f"{label}.long_cached_input"),
                _money(p.get("long_output", price.output), f"{label}.long_output"),
            )
            price = Price(price.input, price.cached_input, price.output, above, long)
        out[mode] = price
    return out


def _tier(t: Any) -> TierLimit:
    t = _table(t, "tiers[]")
    try:
        return TierLimit(int(t["tier"]), int(t["rpm"]), int(t["tpm"]), int(t["batch_queue_tokens"]))
    except (KeyError, TypeError, ValueError):
        raise _Bad("tiers: each is {tier, rpm, tpm, batch_queue_tokens}") from None


def _lifecycle(d: dict[str, Any]) -> Lifecycle:
    for k in d:
        if k not in ("released", "deprecated", "shutdown", "substitute"):
            raise _Bad(f"lifecycle.{k}: unknown key (released, deprecated, shutdown, substitute)")
    return Lifecycle(
        _date(d.get("released"), "lifecycle.released"),
        _date(d.get("deprecated"), "lifecycle.deprecated"),
        _date(d.get("shutdown"), "lifecycle.shutdown"),
        _opt_str(d.get("substitute"), "lifecycle.substitute"),
    )


# ------------------------------------------------------------------ lookups (the active catalog)


def today(env: Mapping[str, str] | None = None) -> date:
    """The day lifecycles are judged by: ``$O4_TODAY`` when set, else today (UTC)."""
    value = (os.environ if env is None else env).get(TODAY_ENV)
    if value:
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise UsageError(f"${TODAY_ENV} {value!r}: expected a date like 2026-10-23") from None
    return datetime.now(UTC).date()


def models() -> tuple[Model, ...]:
    return active().models


def find(model_id: str) -> Model | None:
    """The catalog entry for an id, alias, snapshot or fine-tuned model name."""
    return active().find(model_id)


def is_fine_tuned(model_id: str) -> bool:
    return bool(_FINE_TUNED.match(model_id))


def price_for(model_id: str, mode: str = "standard") -> Price | None:
    """Per-1M-token prices for a model in a pricing mode; None when unknown."""
    if mode not in MODES:
        raise ValueError(f"unknown pricing mode {mode!r}")
    model = find(model_id)
    if model is None:
        return None
    table = model.fine_tuned_prices if is_fine_tuned(model_id) else model.prices
    return table.get(mode)


def canonical(model_id: str) -> str:
    """The name a model's usage adds up under: the catalog id for its snapshots and
    aliases (``o4-mini-2025-04-16`` is ``o4-mini``); fine-tuned and unknown names as given."""
    if is_fine_tuned(model_id):
        return model_id
    entry = find(model_id)
    return entry.id if entry else model_id


def known_ids() -> list[str]:
    """Every id the catalog answers to."""
    ids: list[str] = []
    for model in models():
        for name in model.names():
            if name not in ids:
                ids.append(name)
    return ids
