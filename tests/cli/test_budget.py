"""Budgets through the real command: ask, stream, batch submit and batch run refused at
the edge (exit 6, nothing sent), `o4 usage` showing spent and left, `batch run --max-cost`
and `--dry-run`. Eight processes at once: tests/e2e/test_budget_processes.py."""

import json
from decimal import Decimal

from tests.cli.helpers import ledger_rows


def worst(o4, *args) -> Decimal:
    doc = json.loads(o4("ask", "x", "--max-output", "1000", "--dry-run", "--json", *args).stdout, parse_float=Decimal)
    return doc["estimate"]["worst_case_cost_usd"]


def sent(emulator, path="/v1/responses"):
    return [r for r in emulator.log if r.path.split("?")[0] == path]


def test_asks_until_the_daily_budget_then_exit_6_naming_spent_budget_and_worst_case(o4, emulator, env):
    w = worst(o4)
    # two calls that each cost (nearly) their worst case fit; the third would pass the budget
    assert o4("config", "set", "budget_daily", str(w * 2 + Decimal("0.0001"))).code == 0
    for _ in range(3):
        emulator.answer(input_tokens=1, output_tokens=1000, reasoning_tokens=0)
    assert o4("ask", "x", "--max-output", "1000").code == 0
    assert o4("stream", "x", "--max-output", "1000").code == 0
    r = o4("ask", "x", "--max-output", "1000")
    assert r.code == 6 and r.stdout == ""
    assert "daily budget $" in r.stderr and "of profile 'default' (profile default)" in r.stderr
    spent = sum(Decimal(x["cost_usd"]) for x in ledger_rows(env))
    assert f"${spent:.6f} spent today" in r.stderr and f"worst case ${w:.6f}" in r.stderr
    assert len(sent(emulator)) == 2  # the refused call sent nothing
    # a smaller worst case still fits: the budget is about what a call can cost
    assert o4("ask", "x", "--max-output", "16").code == 0


def test_environment_budget_overrides_the_profile_and_usage_shows_spent_and_left(o4, emulator):
    o4("config", "set", "budget_daily", "100")
    emulator.answer(input_tokens=1_000_000, output_tokens=0, reasoning_tokens=0)  # $1.10
    assert o4("ask", "x", "--max-output", "16").code == 0
    r = o4("ask", "x", "--max-output", "16", extra_env={"O4_BUDGET_DAILY": "1"})
    assert r.code == 6 and "($O4_BUDGET_DAILY)" in r.stderr
    r = o4("usage", extra_env={"O4_BUDGET_MONTHLY": "5"})
    assert "daily budget of profile 'default': $1.100000 of $100.000000 spent today (UTC) · $98.900000 left" in r.stderr
    assert "monthly budget of profile 'default': $1.100000 of $5.000000 spent this month (UTC) · $3.900000 left" in r.stderr
    doc = json.loads(o4("usage", "--json").stdout, parse_float=Decimal)
    [daily] = doc["budgets"]
    assert daily["period"] == "daily" and daily["budget_usd"] == 100 and daily["left_usd"] == Decimal("98.9")
    assert o4("ask", "x", "--max-output", "16", extra_env={"O4_BUDGET_DAILY": "off"}).code == 0


def test_bad_budget_value_names_the_setting(o4):
    r = o4("config", "set", "budget_daily", "lots")
    assert r.code == 2 and "budget_daily" in r.stderr
    r = o4("ask", "x", "--dry-run", extra_env={"O4_BUDGET_MONTHLY": "-3"})
    assert r.code == 2 and "$O4_BUDGET_MONTHLY" in r.stderr


def test_batch_submit_over_budget_uploads_nothing_and_an_open_batch_counts_at_its_worst_case(o4, emulator, tmp_path):
    p = tmp_path / "p.txt"
    p.write_text("one\ntwo\n")
    plan = json.loads(o4("batch", "submit", str(p), "--max-output", "1000", "--dry-run", "--json").stdout,
                      parse_float=Decimal)["plan"]  # fmt: skip
    w = plan["worst_case_cost_usd"]
    o4("config", "set", "budget_daily", str(w * Decimal("1.5")))
    assert o4("batch", "submit", str(p), "--max-output", "1000").code == 0
    q = tmp_path / "q.txt"
    q.write_text("three\nfour\n")
    r = o4("batch", "submit", str(q), "--max-output", "1000")
    assert r.code == 6 and "this batch's worst case" in r.stderr and "in flight or in open batches" in r.stderr
    assert len([x for x in emulator.log if x.path == "/v1/files"]) == 1


def test_batch_run_max_cost_and_dry_run_send_nothing(o4, emulator, tmp_path):
    p = tmp_path / "p.txt"
    p.write_text("one\ntwo\nthree\n")
    r = o4("batch", "run", str(p), "--max-output", "1000", "--dry-run", "--json")
    assert r.code == 0, r.stderr
    plan = json.loads(r.stdout, parse_float=Decimal)
    assert plan["dry_run"] is True and plan["requests"] == 3 and plan["pricing"] == "standard"
    assert plan["worst_case_output_tokens"] == 3000 and plan["worst_case_cost_usd"] > Decimal("0.0132")
    human = o4("batch", "run", str(p), "--max-output", "1000", "--dry-run")
    assert "worst case (every output budget used)" in human.stdout and "standard price" in human.stdout
    r = o4("batch", "run", str(p), "--max-output", "1000", "--max-cost", "0.01")
    assert r.code == 6 and "--max-cost $0.010000: the worst case is" in r.stderr and "nothing was sent" in r.stderr
    assert sent(emulator) == []
    out = tmp_path / "out.jsonl"
    assert o4("batch", "run", str(p), "--max-output", "1000", "-o", str(out), "--max-cost", "1").code == 0
    assert len(sent(emulator)) == 3
    # a re-run plans only what is left: nothing
    again = json.loads(o4("batch", "run", str(p), "-o", str(out), "--max-output", "1000", "--dry-run", "--json").stdout)
    assert again["requests"] == 0 and again["worst_case_cost_usd"] == 0


def test_batch_run_over_the_budget_is_refused_whole(o4, emulator, tmp_path):
    p = tmp_path / "p.txt"
    p.write_text("one\ntwo\nthree\n")
    r = o4("batch", "run", str(p), "--max-output", "1000", extra_env={"O4_BUDGET_DAILY": "0.01"})
    assert r.code == 6 and "this run's worst case" in r.stderr and sent(emulator) == []


def test_a_background_call_counts_at_its_worst_case_until_it_is_settled(o4, emulator, env):
    emulator.bg_timing = {"queued": 1.0, "in_progress": 2.0}
    emulator.clock.tick_on_read = 0.5
    w = worst(o4)
    o4("config", "set", "budget_daily", str(w * Decimal("1.5")))
    emulator.answer(input_tokens=1, output_tokens=10, reasoning_tokens=0)
    sub = o4("ask", "--background", "x", "--max-output", "1000")
    assert sub.code == 0, sub.stderr
    r = o4("ask", "x", "--max-output", "1000")  # the first one may still cost its worst case
    assert r.code == 6 and "in flight or in open batches" in r.stderr
    assert o4("wait", "--interval", "0.01").code == 0  # settled: it cost $0.000045
    assert o4("ask", "x", "--max-output", "1000").code == 0


def test_each_turn_of_a_tool_chain_holds_its_own_worst_case(o4, emulator, env, tmp_path):
    from tests.cli.test_tools import tool_file

    o4("config", "set", "budget_daily", "0.009")
    emulator.answer(input_tokens=1000, output_tokens=900, reasoning_tokens=0)  # the first turn calls the tool
    r = o4("ask", "--tool", tool_file(tmp_path), "--yes", "--max-output", "1000", 'CALL lookup {"q": "x"}')
    assert r.code == 6 and "this turn's worst case" in r.stderr
    assert "would pass it; it was not sent (the chain's 1 turn before it is recorded)" in r.stderr
    assert len(sent(emulator)) == 1  # the second turn was not sent
    [row] = ledger_rows(env)  # the first turn is recorded, paid
    assert Decimal(row["cost_usd"]) == Decimal("0.00506")
