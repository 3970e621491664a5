"""`o4 usage` on a ledger filled by real commands against the emulator.

The table in a real terminal: tests/e2e/test_terminal.py."""

import json
from decimal import Decimal


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
