"""OpenTelemetry export, opt-in: a span per paid call, and the GenAI client metrics.

Active only when the standard ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or its ``_TRACES_`` /
``_METRICS_`` variants) is set and ``OTEL_SDK_DISABLED`` is not ``true``; exported with the
official SDK and OTLP/HTTP exporter of the ``otel`` extra (``pip install 'o4cli[otel]'``).

While a command runs, calls are only noted (plain Python, no OpenTelemetry import): the
answer is never held up. When the command ends, ``finish`` builds the spans and metrics
and exports them in one request each, within ``FLUSH_SECONDS`` of network time (or
``OTEL_EXPORTER_OTLP_TIMEOUT``); a collector that cannot be reached costs that at most and
one warning line, never the exit code. Without the variables nothing here imports anything.

Attribute names follow the GenAI semantic conventions as the package
``opentelemetry-semantic-conventions`` 0.66b2 spells them (``gen_ai.usage.cache_read.input_tokens``,
``gen_ai.usage.reasoning.output_tokens``, ``openai.response.service_tier``, ...). The cost
attributes ``gen_ai.usage.cost.amount`` / ``.currency`` / ``.source`` are those *proposed*
in open-telemetry/semantic-conventions-genai#443 (unconfirmed: not in a release yet); the
cost counter is o4's own, ``o4.client.cost``, until the conventions name one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

ENDPOINTS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT")
FLUSH_SECONDS = 0.7  # the whole export at exit, unless OTEL_EXPORTER_OTLP_TIMEOUT (ms) says otherwise
SPANS_PER_REQUEST = 512
PROVIDER = "openai"
COST_METRIC = "o4.client.cost"
# Bucket boundaries the GenAI conventions advise for the two client histograms.
TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864]
DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]


@dataclass
class Call:
    """One call as the telemetry sees it (times are ``time.time_ns()``)."""

    command: str
    request_model: str
    start_ns: int
    end_ns: int
    base_url: str = ""
    api: str = "responses"  # or "chat" (openai.api.type)
    response_model: str | None = None
    response_id: str | None = None
    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: Decimal | None = None
    pricing: str = "standard"
    service_tier: str | None = None
    finish_reasons: tuple[str, ...] = ()
    max_output: int | None = None
    stream: bool = False
    error: str | None = None  # error.type when the call failed
    batch_id: str | None = None  # a batch's results (o4.batch.id)
    parent: int | None = None  # index in Recorder.groups


@dataclass
class Group:
    """A parent span over many calls (``batch run``)."""

    name: str
    start_ns: int
    end_ns: int = 0
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class Recorder:
    """What one invocation noted; exported by ``finish``."""

    env: Mapping[str, str]
    calls: list[Call] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)


_RECORDER: ContextVar[Recorder | None] = ContextVar("o4_telemetry", default=None)
_GROUP: ContextVar[int | None] = ContextVar("o4_telemetry_group", default=None)


def configured(env: Mapping[str, str]) -> bool:
    """Whether the environment asks for export (a pure look at the variables)."""
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    return any(env.get(name, "").strip() for name in ENDPOINTS)


def begin(env: Mapping[str, str]) -> Any:
    """Start noting calls for this invocation when export is configured; the token for ``end``."""
    return _RECORDER.set(Recorder(env) if configured(env) else None)


def active() -> bool:
    return _RECORDER.get() is not None


def record(call: Call) -> None:
    """Note one call (nothing when export is not configured)."""
    rec = _RECORDER.get()
    if rec is not None:
        if call.parent is None:
            call.parent = _GROUP.get()
        rec.calls.append(call)


def now_ns() -> int:
    return time.time_ns()


def started_ns(seconds: float) -> int:
    """The wall-clock start of something that took ``seconds`` and ended now."""
    return time.time_ns() - int(seconds * 1e9)


@contextmanager
def group(name: str, **attributes: Any) -> Iterator[dict[str, Any]]:
    """A parent span over the calls recorded inside (yields its attributes, to add to)."""
    rec = _RECORDER.get()
    if rec is None:
        yield {}
        return
    g = Group(name, time.time_ns(), attributes=dict(attributes))
    rec.groups.append(g)
    token = _GROUP.set(len(rec.groups) - 1)
    try:
        yield g.attributes
    finally:
        g.end_ns = time.time_ns()
        _GROUP.reset(token)


# ------------------------------------------------------- from the use cases' results


def _finish_reasons(status: str | None, incomplete_reason: str | None) -> tuple[str, ...]:
    if status in ("completed", "ok"):
        return ("stop",)
    if status == "incomplete":
        return (incomplete_reason or "length",)
    return ()


def _error_type(error: Any) -> str:
    """``error.type``: the HTTP status when the API answered one, else the error's class."""
    status = getattr(error, "status", None)
    return str(status) if status else type(error).__name__


def note_ask(
    rt: Any, command: str, opts: Any, seconds: float, *, answer: Any = None, usage: Any = None,
    cost_usd: Decimal | None = None, pricing: str = "standard", error: Any = None,
) -> None:  # fmt: skip
    """``ask``/``stream``: one span for the call, however it ended."""
    if not active():
        return
    u = usage if usage is not None else getattr(answer, "usage", None)
    record(
        Call(
            command=command, request_model=opts.model, start_ns=started_ns(seconds), end_ns=now_ns(),
            base_url=rt.settings.base_url, api=opts.api, stream=bool(opts.stream), max_output=opts.max_output,
            response_model=getattr(answer, "model", None), response_id=getattr(answer, "response_id", None),
            input_tokens=getattr(u, "input_tokens", 0), cached_tokens=getattr(u, "cached_tokens", 0),
            output_tokens=getattr(u, "output_tokens", 0), reasoning_tokens=getattr(u, "reasoning_tokens", 0),
            cost_usd=cost_usd, pricing=pricing, service_tier=getattr(answer, "service_tier", None),
            finish_reasons=_finish_reasons(getattr(answer, "status", None), getattr(answer, "incomplete_reason", None)),
            error=_error_type(error) if error is not None else None,
        )
    )  # fmt: skip


def note_row(row: Mapping[str, Any], request_model: str, seconds: float, base_url: str, body: Any = None) -> None:
    """One ledger row of ``batch run`` (or any row-shaped call): one span."""
    if not active():
        return
    u = row["usage"]
    failed = row["status"] == "error"
    record(
        Call(
            command=row["command"], request_model=request_model, start_ns=started_ns(seconds), end_ns=now_ns(),
            base_url=base_url, api="chat" if str(row.get("endpoint", "")).endswith("/completions") else "responses",
            response_model=row.get("model"), response_id=row.get("response_id"),
            input_tokens=u.input_tokens, cached_tokens=u.cached_tokens, output_tokens=u.output_tokens,
            reasoning_tokens=u.reasoning_tokens, cost_usd=row.get("cost_usd"), pricing=row.get("pricing", "standard"),
            service_tier=(body or {}).get("service_tier"),
            finish_reasons=_finish_reasons("incomplete" if row["status"] == "incomplete" else "ok", None)
            if not failed else (),
            error=str((row.get("extra") or {}).get("status") or "_OTHER") if failed else None,
        )
    )  # fmt: skip


def note_batch(batch: Mapping[str, Any], model: str, usage: Any, cost_usd: Decimal | None, base_url: str) -> None:
    """A batch's results, recorded once: one span from its creation to its end (its usage summed)."""
    if not active():
        return
    end = batch.get("completed_at") or batch.get("expired_at") or batch.get("cancelled_at") or batch.get("failed_at")
    start_ns = int(batch.get("created_at") or time.time()) * 10**9
    record(
        Call(
            command="batch", request_model=model, start_ns=start_ns, end_ns=int(end) * 10**9 if end else now_ns(),
            base_url=base_url, api="chat" if str(batch.get("endpoint", "")).endswith("/completions") else "responses",
            response_model=model, input_tokens=usage.input_tokens, cached_tokens=usage.cached_tokens,
            output_tokens=usage.output_tokens, reasoning_tokens=usage.reasoning_tokens, cost_usd=cost_usd,
            pricing="batch", batch_id=str(batch.get("id")),
        )
    )  # fmt: skip


# ---------------------------------------------------------------- the export


def span_attributes(c: Call) -> dict[str, Any]:
    """The GenAI span attributes of a call (pure)."""
    attrs: dict[str, Any] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": PROVIDER,
        "gen_ai.request.model": c.request_model,
        "openai.api.type": "chat_completions" if c.api == "chat" else "responses",
        "gen_ai.request.stream": c.stream,
        "gen_ai.usage.input_tokens": c.input_tokens,
        "gen_ai.usage.output_tokens": c.output_tokens,
        "gen_ai.usage.cache_read.input_tokens": c.cached_tokens,
        "gen_ai.usage.reasoning.output_tokens": c.reasoning_tokens,
        "o4.command": c.command,
        "o4.pricing": c.pricing,
    }
    host, port = _server(c.base_url)
    if host:
        attrs["server.address"] = host
        attrs["server.port"] = port
    optional = {
        "gen_ai.response.model": c.response_model,
        "gen_ai.response.id": c.response_id,
        "gen_ai.request.max_tokens": c.max_output,
        "openai.response.service_tier": c.service_tier,
        "error.type": c.error,
        "o4.batch.id": c.batch_id,
    }
    attrs.update({k: v for k, v in optional.items() if v is not None})
    if c.finish_reasons:
        attrs["gen_ai.response.finish_reasons"] = list(c.finish_reasons)
    if c.cost_usd is not None:
        attrs["gen_ai.usage.cost.amount"] = float(c.cost_usd)
        attrs["gen_ai.usage.cost.currency"] = "USD"
        attrs["gen_ai.usage.cost.source"] = "local"
    return attrs


def metric_attributes(c: Call) -> dict[str, Any]:
    """The attributes of a call's metric points (a few, low-cardinality)."""
    attrs = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": PROVIDER,
        "gen_ai.request.model": c.request_model,
    }
    if c.response_model:
        attrs["gen_ai.response.model"] = c.response_model
    host, _ = _server(c.base_url)
    if host:
        attrs["server.address"] = host
    if c.error:
        attrs["error.type"] = c.error
    return attrs


def _server(base_url: str) -> tuple[str | None, int | None]:
    parts = urlsplit(base_url)
    if not parts.hostname:
        return None, None
    return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)


def _flush_seconds(env: Mapping[str, str]) -> float:
    raw = env.get("OTEL_EXPORTER_OTLP_TIMEOUT", "").strip()
    try:
        return max(0.05, float(raw) / 1000) if raw else FLUSH_SECONDS
    except ValueError:
        return FLUSH_SECONDS


def end(token: Any, warn: Callable[[str], None]) -> None:
    """Export what this invocation noted (bounded), then stop noting."""
    rec = _RECORDER.get()
    _RECORDER.reset(token)
    if rec is None or not rec.calls:
        return
    try:
        _export(rec, warn)
    except ImportError:
        warn("OpenTelemetry export is configured (OTEL_EXPORTER_OTLP_*) but the otel extra is not installed: "
             "pip install 'o4cli[otel]'")  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - telemetry never fails a command
        warn(f"OpenTelemetry export failed: {type(exc).__name__}: {exc}")


def _export(rec: Recorder, warn: Callable[[str], None]) -> None:
    import logging

    # The SDK logs every failed export (with retries); o4 says it once, in its own words.
    logging.getLogger("opentelemetry").setLevel(logging.CRITICAL + 1)
    env = rec.env
    resource = _resource(env)
    _import_exporters()  # the import is not the collector's time: the bound is for the network
    deadline = time.monotonic() + _flush_seconds(env)
    signals = []
    if env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        if env.get("OTEL_TRACES_EXPORTER", "").strip().lower() != "none":
            signals.append(("traces", _export_traces))
    if env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"):
        if env.get("OTEL_METRICS_EXPORTER", "").strip().lower() != "none":
            signals.append(("metrics", _export_metrics))
    for name, export in signals:
        left = deadline - time.monotonic()
        if left <= 0.01 or not export(rec, resource, left):
            warn(
                f"OpenTelemetry: the collector did not take this command's {name} "
                f"({len(rec.calls)} call{'s' if len(rec.calls) != 1 else ''}); they were not exported "
                "(check OTEL_EXPORTER_OTLP_ENDPOINT)"
            )
            return  # the same collector: do not spend the rest of the time on the next signal


def _import_exporters() -> None:
    import opentelemetry.exporter.otlp.proto.http.metric_exporter  # noqa: F401
    import opentelemetry.exporter.otlp.proto.http.trace_exporter  # noqa: F401
    import opentelemetry.sdk.metrics  # noqa: F401
    import opentelemetry.sdk.trace  # noqa: F401


def _resource(env: Mapping[str, str]) -> Any:
    from opentelemetry.sdk.resources import Resource

    from o4cli import __version__

    attrs = {"service.version": __version__}
    if not env.get("OTEL_SERVICE_NAME"):
        attrs["service.name"] = "o4"
    return Resource.create(attrs)


def _export_traces(rec: Recorder, resource: Any, seconds: float) -> bool:
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from o4cli import __version__

    kept = InMemorySpanExporter()
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(SimpleSpanProcessor(kept))
    tracer = provider.get_tracer("o4cli", __version__)
    parents = []
    for g in rec.groups:
        parents.append(tracer.start_span(g.name, start_time=g.start_ns, attributes=g.attributes))
    for c in rec.calls:
        context = trace.set_span_in_context(parents[c.parent]) if c.parent is not None else None
        span = tracer.start_span(
            f"chat {c.request_model}", context=context, kind=trace.SpanKind.CLIENT,
            start_time=c.start_ns, attributes=span_attributes(c),
        )  # fmt: skip
        if c.error:
            span.set_status(trace.Status(trace.StatusCode.ERROR, c.error))
        span.end(end_time=max(c.end_ns, c.start_ns))
    for g, span in zip(rec.groups, parents, strict=True):
        span.set_attributes(g.attributes)
        span.end(end_time=g.end_ns or time.time_ns())
    spans = kept.get_finished_spans()
    deadline = time.monotonic() + seconds
    for i in range(0, len(spans), SPANS_PER_REQUEST):
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        exporter = OTLPSpanExporter(timeout=left)
        try:
            if exporter.export(spans[i : i + SPANS_PER_REQUEST]) is not SpanExportResult.SUCCESS:
                return False
        finally:
            exporter.shutdown()
    return True


def _export_metrics(rec: Recorder, resource: Any, seconds: float) -> bool:
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricExportResult

    from o4cli import __version__

    reader = InMemoryMetricReader()
    provider = MeterProvider(resource=resource, metric_readers=[reader])
    meter = provider.get_meter("o4cli", __version__)
    tokens = meter.create_histogram(
        "gen_ai.client.token.usage", unit="{token}", description="Number of input and output tokens used.",
        explicit_bucket_boundaries_advisory=TOKEN_BUCKETS,
    )  # fmt: skip
    duration = meter.create_histogram(
        "gen_ai.client.operation.duration", unit="s", description="GenAI operation duration.",
        explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
    )  # fmt: skip
    spend = meter.create_counter(COST_METRIC, unit="USD", description="What the calls cost, priced by o4.")
    for c in rec.calls:
        attrs = metric_attributes(c)
        if c.batch_id is None:  # a batch's day in the queue is no operation latency
            duration.record(max(0, c.end_ns - c.start_ns) / 1e9, attrs)
        if not c.error:
            tokens.record(c.input_tokens, {**attrs, "gen_ai.token.type": "input"})
            tokens.record(c.output_tokens, {**attrs, "gen_ai.token.type": "output"})
        if c.cost_usd is not None:
            spend.add(float(c.cost_usd), {**attrs, "o4.pricing": c.pricing})
    data = reader.get_metrics_data()
    exporter = OTLPMetricExporter(timeout=seconds)
    try:
        return exporter.export(data, timeout_millis=seconds * 1000) is MetricExportResult.SUCCESS
    finally:
        exporter.shutdown()
        provider.shutdown()
