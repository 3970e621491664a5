"""A real OTLP/HTTP receiver for the tests: ``POST /v1/traces`` and ``/v1/metrics`` bodies
decoded with the official ``opentelemetry-proto`` messages, kept for the test to read.

    rx = Receiver().start()        # rx.url -> http://127.0.0.1:PORT
    ... o4 with OTEL_EXPORTER_OTLP_ENDPOINT=rx.url ...
    rx.spans()                     # [(span, {attribute: value})]
    rx.metrics()                   # {name: [data point, ...]}
"""

from __future__ import annotations

import gzip
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)


def value(v: Any) -> Any:
    """An OTLP ``AnyValue`` as Python."""
    kind = v.WhichOneof("value")
    if kind == "array_value":
        return [value(x) for x in v.array_value.values]
    return getattr(v, kind) if kind else None


def attributes(kvs: Any) -> dict[str, Any]:
    return {kv.key: value(kv.value) for kv in kvs}


class Receiver:
    def __init__(self) -> None:
        self.traces: list[ExportTraceServiceRequest] = []
        self.metric_requests: list[ExportMetricsServiceRequest] = []
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    def start(self) -> Receiver:
        rx = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                if self.path == "/v1/traces":
                    req, reply = ExportTraceServiceRequest(), ExportTraceServiceResponse()
                    req.ParseFromString(body)
                    with rx.lock:
                        rx.traces.append(req)
                elif self.path == "/v1/metrics":
                    req, reply = ExportMetricsServiceRequest(), ExportMetricsServiceResponse()
                    req.ParseFromString(body)
                    with rx.lock:
                        rx.metric_requests.append(req)
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = reply.SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def resources(self) -> list[dict[str, Any]]:
        return [attributes(rs.resource.attributes) for req in self.traces for rs in req.resource_spans]

    def spans(self) -> list[tuple[Any, dict[str, Any]]]:
        with self.lock:
            return [
                (span, attributes(span.attributes))
                for req in self.traces
                for rs in req.resource_spans
                for ss in rs.scope_spans
                for span in ss.spans
            ]

    def metrics(self) -> dict[str, list[tuple[Any, dict[str, Any]]]]:
        """Metric name -> its data points (with their attributes)."""
        out: dict[str, list[tuple[Any, dict[str, Any]]]] = {}
        with self.lock:
            for req in self.metric_requests:
                for rm in req.resource_metrics:
                    for sm in rm.scope_metrics:
                        for m in sm.metrics:
                            points = getattr(m, m.WhichOneof("data")).data_points
                            out.setdefault(m.name, []).extend((p, attributes(p.attributes)) for p in points)
        return out
