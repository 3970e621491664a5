"""`o4 usage` on a ledger filled by real commands against the emulator.

The table in a real terminal: tests/e2e/test_terminal.py."""

import json
from decimal import Decimal

from tests.core.test_ledger import OLD_ROWS, old_ledger


def fill(o4, emulator, tmp_path):
    emulator.batch_timing = {"validating": 0.02, "in_progress": 0.1, "finalizing": 0.02}
    emulator.answer(text="a", input_tokens=1_000_000, output_tokens=100_000, cached_tokens=250_000)
    assert o4("ask", "x").code == 0  # $1.33375 standard
    emulator.answer(text="b", input_tokens=1_000_000, output_tokens=100_000, cached_tokens=250_000, service_tier="flex")
    assert o4("stream", "y", "--flex", "-p", "work").code == 0
    p = tmp_path / "p.txt"
    p.write_text("one\ntwo\n")
    bid = o4("batch", "submit", str(p)).stdout.strip()
    assert o4("batch", "status", bid, "--watch", "--interval", "0.05", "-q").code == 0
    assert o4("batch", "results", bid, "-q").code == 0


def test_usage_groups_and_prices(o4, emulator, tmp_path):
    o4("config", "set", "-p", "work", "effort", "low")
    fill(o4, emulator, tmp_path)
    doc = json.loads(o4("usage", "--by", "pricing", "--json").stdout, parse_float=Decimal)
    rows = {r["pricing"]: r for r in doc["rows"]}
    assert set(rows) == {"standard", "flex", "batch"}
    assert Decimal(rows["standard"]["cost_usd"]) == Decimal("1.333750")
    assert Decimal(rows["flex"]["cost_usd"]) == Decimal("0.666875")
    assert rows["batch"]["requests"] == 1 and Decimal(rows["batch"]["cost_usd"]) > 0
    assert doc["total"]["requests"] == 3
    by_cmd = {r["command"]: r for r in json.loads(o4("usage", "--by", "command", "--json").stdout)["rows"]}
    assert set(by_cmd) == {"ask", "stream", "batch"}
    by_profile = {r["profile"] for r in json.loads(o4("usage", "--by", "profile", "--json").stdout)["rows"]}
    assert by_profile == {"default", "work"}
    piped = o4("usage", "--by", "model").stdout.splitlines()
    assert piped[0].split("\t") == ["model", "requests", "input", "cached", "output", "reasoning", "cost"]
    assert piped[-1].startswith("total\t3\t")


def test_since(o4, emulator, tmp_path):
    assert o4("ask", "x").code == 0
    assert json.loads(o4("usage", "--since", "1d", "--json").stdout)["total"]["requests"] == 1
    assert json.loads(o4("usage", "--since", "2999-01-01", "--json").stdout)["total"]["requests"] == 0
    r = o4("usage", "--since", "yesterday")
    assert r.code == 2 and "--since 'yesterday'" in r.stderr


def test_empty_ledger_says_so(o4):
    r = o4("usage")
    assert r.code == 0 and r.stdout == "" and "no calls recorded" in r.stderr


def test_a_ledger_from_before_the_sql_sums_keeps_its_calls_and_cents(o4, emulator, tmp_path):
    old_ledger(tmp_path / "data", OLD_ROWS)  # the first schema, as an older o4 left it
    emulator.answer(text="a", input_tokens=1_000_000, output_tokens=100_000, cached_tokens=250_000)
    assert o4("ask", "x").code == 0  # migrates the ledger, then adds $1.33375
    doc = json.loads(o4("usage", "--by", "profile", "--json").stdout, parse_float=Decimal)
    rows = {r["profile"]: r for r in doc["rows"]}
    assert rows["default"]["requests"] == 3 and rows["default"]["unpriced_requests"] == 1
    assert rows["default"]["cost_usd"] == Decimal("1.337802")  # 1.33375 + 0.0040524, to the micro-dollar
    assert rows["work"]["requests"] == 3 and rows["work"]["cost_usd"] == Decimal("0.000000")
    assert rows["default"]["unpriced_models"] == ["gpt-x"] and rows["work"]["unpriced_requests"] == 0
    assert doc["total"]["cost_usd"] == Decimal("1.337803") and doc["total"]["input_tokens"] == 1_001_222
    r = o4("usage", "--since", "2025-12-02")
    piped = r.stdout.splitlines()
    assert piped[1] == "2025-12-02\t3\t17\t0\t8\t0\t0.000000" and piped[-1].startswith("total\t4\t1000017\t")
    assert "1 call to models o4 cannot price (gpt-x)" in r.stderr
