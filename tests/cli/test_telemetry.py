"""OpenTelemetry export through the real command, received by a real OTLP/HTTP receiver
(tests/otlp_receiver.py, decoding with the official opentelemetry-proto messages)."""

import socket
import subprocess
import sys
import threading
import time
from decimal import Decimal

import pytest

from tests.cli.helpers import in_process_only, ledger_rows
from tests.otlp_receiver import Receiver
from tests.runner import PROCESS_MODE


@pytest.fixture
def rx():
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


def otel(url: str) -> dict[str, str]:
    return {"OTEL_EXPORTER_OTLP_ENDPOINT": url}


def test_an_ask_exports_one_genai_span_and_the_client_metrics(o4, emulator, env, rx):
    emulator.answer(text="hi", input_tokens=1200, cached_tokens=1024, output_tokens=800, reasoning_tokens=640)
    r = o4("ask", "hello", "--max-output", "2000", extra_env=otel(rx.url))
    assert r.code == 0 and r.stdout == "hi\n", r.stderr
    assert "warning" not in r.stderr
    [(span, a)] = rx.spans()
    [row] = ledger_rows(env)
    assert span.name == "chat o4-mini" and span.kind == span.SPAN_KIND_CLIENT
    assert a["gen_ai.operation.name"] == "chat" and a["gen_ai.provider.name"] == "openai"
    assert a["gen_ai.request.model"] == "o4-mini" and a["gen_ai.response.model"] == row["model"]
    assert a["gen_ai.response.id"] == row["response_id"] and a["gen_ai.response.finish_reasons"] == ["stop"]
    assert (a["gen_ai.usage.input_tokens"], a["gen_ai.usage.cache_read.input_tokens"]) == (1200, 1024)
    assert (a["gen_ai.usage.output_tokens"], a["gen_ai.usage.reasoning.output_tokens"]) == (800, 640)
    assert a["gen_ai.request.max_tokens"] == 2000 and a["openai.response.service_tier"] == "default"
    assert Decimal(str(a["gen_ai.usage.cost.amount"])) == Decimal(row["cost_usd"])
    assert (a["gen_ai.usage.cost.currency"], a["gen_ai.usage.cost.source"]) == ("USD", "local")
    assert a["server.address"] == "127.0.0.1" and a["o4.command"] == "ask"
    assert rx.resources()[0]["service.name"] == "o4"
    m = rx.metrics()
    tokens = {attrs["gen_ai.token.type"]: p for p, attrs in m["gen_ai.client.token.usage"]}
    assert (tokens["input"].sum, tokens["output"].sum) == (1200, 800) and tokens["input"].count == 1
    [(duration, dattrs)] = m["gen_ai.client.operation.duration"]
    assert duration.count == 1 and 0 < duration.sum < 30 and dattrs["gen_ai.request.model"] == "o4-mini"
    [(spent, _)] = m["o4.client.cost"]
    assert Decimal(str(spent.as_double)) == Decimal(row["cost_usd"])


def test_a_refused_call_is_an_error_span(o4, emulator, rx):
    emulator.fault(status=400, body={"error": {"message": "bad", "type": "invalid_request_error", "param": None, "code": None}})
    assert o4("ask", "hello", extra_env=otel(rx.url)).code == 1
    [(span, a)] = rx.spans()
    assert a["error.type"] == "400" and span.status.code == span.status.STATUS_CODE_ERROR
    assert "gen_ai.usage.cost.amount" not in a


def test_batch_run_is_one_parent_span_with_a_child_per_request(o4, emulator, tmp_path, rx):
    p = tmp_path / "p.txt"
    p.write_text("one\ntwo\nthree\n")
    r = o4("batch", "run", str(p), "-o", str(tmp_path / "out.jsonl"), extra_env=otel(rx.url))
    assert r.code == 0, r.stderr
    spans = rx.spans()
    [(parent, pa)] = [(s, a) for s, a in spans if s.name == "batch run"]
    children = [(s, a) for s, a in spans if s.name != "batch run"]
    assert len(children) == 3 and pa["o4.requests.done"] == 3
    assert all(s.parent_span_id == parent.span_id and s.trace_id == parent.trace_id for s, _ in children)
    assert {a["o4.command"] for _, a in children} == {"batch run"}
    assert all(parent.start_time_unix_nano <= s.start_time_unix_nano for s, _ in children)
    assert sum(p.count for p, _ in rx.metrics()["gen_ai.client.operation.duration"]) == 3


def test_batch_results_are_one_parent_span_with_a_child_per_batch_recorded_once(o4, emulator, env, tmp_path, rx):
    emulator.batch_timing = {"validating": 0.02, "in_progress": 0.05, "finalizing": 0.02}
    p = tmp_path / "p.txt"
    p.write_text("one\ntwo\n")
    bid = o4("batch", "submit", str(p)).stdout.strip()
    assert o4("batch", "status", bid, "--watch", "--interval", "0.05", "-q").code == 0
    assert o4("batch", "results", bid, "-q", extra_env=otel(rx.url)).code == 0
    [(parent, _)] = [(s, a) for s, a in rx.spans() if s.name == "batch results"]
    [(child, a)] = [(s, a) for s, a in rx.spans() if s.name != "batch results"]
    [row] = [r for r in ledger_rows(env) if r["command"] == "batch"]
    assert child.parent_span_id == parent.span_id and a["o4.batch.id"] == bid and a["o4.pricing"] == "batch"
    assert a["gen_ai.usage.input_tokens"] == row["input_tokens"] > 0
    assert Decimal(str(a["gen_ai.usage.cost.amount"])) == Decimal(row["cost_usd"])
    assert "gen_ai.client.operation.duration" not in rx.metrics()  # a day in the queue is no latency
    assert o4("batch", "results", bid, "-q", extra_env=otel(rx.url)).code == 0
    assert len([s for s, _ in rx.spans() if s.name != "batch results"]) == 1  # recorded, and exported, once


def test_a_background_call_is_exported_when_it_is_settled(o4, emulator, env, rx):
    emulator.bg_timing = {"queued": 1.0, "in_progress": 2.0}
    emulator.clock.tick_on_read = 0.5
    emulator.answer(text="later", input_tokens=300, output_tokens=40)
    rid = o4("ask", "--background", "x", extra_env=otel(rx.url)).stdout.strip()
    assert rx.spans() == []  # submitted, nothing billed yet
    assert o4("wait", rid, "--interval", "0.01", extra_env=otel(rx.url)).code == 0
    [(_, a)] = rx.spans()
    assert a["gen_ai.response.id"] == rid and a["gen_ai.usage.input_tokens"] == 300 and a["o4.command"] == "ask"


def test_a_tool_chain_is_one_parent_span_with_a_child_per_turn(o4, emulator, tmp_path, rx):
    from tests.cli.test_tools import tool_file

    r = o4("ask", "--tool", tool_file(tmp_path), "--yes", 'CALL lookup {"q": "x"}', extra_env=otel(rx.url))
    assert r.code == 0, r.stderr
    [(parent, _)] = [(s, a) for s, a in rx.spans() if s.name == "tool chain"]
    turns = [(s, a) for s, a in rx.spans() if s.name != "tool chain"]
    assert len(turns) == 2 and all(s.parent_span_id == parent.span_id for s, _ in turns)


def _black_hole():
    """A collector that accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    held = []
    threading.Thread(target=lambda: held.extend(iter(lambda: sock.accept(), None)), daemon=True).start()
    return sock, f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_an_unreachable_collector_costs_under_a_second_and_one_warning(o4, emulator, rx):
    assert o4("ask", "warm up", extra_env=otel(rx.url)).code == 0  # the SDK imported: the cost measured is the collector's
    started = time.monotonic()
    assert o4("ask", "hello", extra_env=otel(rx.url)).code == 0
    plain = time.monotonic() - started
    sock, url = _black_hole()
    try:
        started = time.monotonic()
        r = o4("ask", "hello", extra_env=otel(url))
        slower = time.monotonic() - started - plain
    finally:
        sock.close()
    assert r.code == 0 and r.stdout.strip()
    warnings = [line for line in r.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "OpenTelemetry: the collector did not take this command's traces" in warnings[0]
    if not PROCESS_MODE:  # as separate processes, two start-ups under load differ by more than the bound
        assert slower < 1.0, slower


@in_process_only  # it hides the SDK from this process
def test_without_the_extra_one_warning_says_how_to_install_it(o4, emulator, rx, monkeypatch):
    monkeypatch.setitem(sys.modules, "opentelemetry.sdk.resources", None)  # as if not installed
    r = o4("ask", "hello", extra_env=otel(rx.url))
    assert r.code == 0 and "pip install 'o4cli[otel]'" in r.stderr and rx.spans() == []


def test_not_configured_imports_nothing_of_it(env):
    code = (
        "import sys\nfrom o4cli.__main__ import main\nmain(['ask', 'x', '--dry-run', '-q'])\n"
        "print(sorted(m for m in sys.modules if m.startswith(('opentelemetry', 'google.protobuf', 'requests'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
