"""Every --json document has the keys the README's "JSON documents" tables list: the
tables are read from the README, the documents from the real command."""

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FAST = {"validating": 0.05, "in_progress": 0.1, "finalizing": 0.05}


def documented() -> dict[str, list[str]]:
    """README section -> the keys its table lists (first column)."""
    text = (ROOT / "README.md").read_text()
    body = text.split("## JSON documents", 1)[1].split("\n## ", 1)[0]
    out = {}
    for part in body.split("\n### ")[1:]:
        title, rest = part.split("\n", 1)
        out[title.strip()] = re.findall(r"^\| `([a-z_]+)` \|", rest, re.M)
    return out


DOCS = documented()
DOCS_TEXT = {
    part.split("\n", 1)[0].strip(): part
    for part in (ROOT / "README.md").read_text().split("## JSON documents", 1)[1].split("\n## ", 1)[0].split("\n### ")[1:]
}


def keys(title: str) -> set[str]:
    assert DOCS.get(title), f"README has no table for {title!r}"
    return set(DOCS[title])


def load(r) -> object:
    assert r.stdout.strip(), r.stderr
    return json.loads(r.stdout, parse_float=Decimal)


def test_every_documented_section_is_checked():
    checked = {"error", "ask", "ask --dry-run", "ask --tool", "ask --tool-calls", "batch submit", "batch status", "batch list", "batch results",
               "batch retry", "batch run", "usage", "models list", "models show", "config show", "config profiles"}  # fmt: skip
    tables = {t for t, k in DOCS.items() if k}
    checked |= {"finetune validate", "finetune cost", "finetune create", "finetune list", "finetune status"}
    checked |= {"ask --background", "jobs"}
    checked |= {"batch run --dry-run", "usage reconcile"}
    checked |= {"logs show", "logs list --conversations", "logs rm", "templates show"}
    assert checked <= tables and not tables - checked, tables - checked


def test_ask_and_dry_run_and_error(o4, emulator):
    assert set(load(o4("ask", "hi", "--json"))) == keys("ask")
    assert set(load(o4("stream", "hi", "--json"))) == keys("ask")
    dry = load(o4("ask", "hi", "--dry-run", "--json"))
    assert set(dry) == keys("ask --dry-run") and dry["request"]["input"] == "hi"
    emulator.fault(status=400, body={"error": {"message": "bad", "type": "invalid_request_error", "param": "x", "code": "c"}})
    r = o4("ask", "hi", "--json")
    doc = load(r)
    assert r.code == 1 and set(doc) == keys("error")
    assert set(doc["error"]) == {"message", "hint", "exit_code", "status", "type", "code", "param", "request_id"}
    assert doc["error"]["exit_code"] == 1 and doc["error"]["status"] == 400


def test_background_documents(o4, emulator):
    sub = load(o4("ask", "--background", "hi", "--json"))
    assert set(sub) == keys("ask --background") and sub["stream"] is False
    assert set(load(o4("stream", "--background", "hi", "--json"))) == keys("ask --background")
    assert set(load(o4("wait", sub["id"], "--interval", "0.01", "--json"))) == keys("ask")
    rows = load(o4("jobs", "--json"))
    assert len(rows) == 2 and all(set(r) == keys("jobs") for r in rows)
    assert set(load(o4("cancel", sub["id"], "--json"))) == keys("jobs")


def test_tool_documents(o4, emulator, tmp_path):
    tool = tmp_path / "t.json"
    tool.write_text('{"name": "t", "command": ["cat"], "safe": true}')
    doc = load(o4("ask", "--json", "--tool", str(tool), "CALL t {}"))
    assert set(doc) == keys("ask") | keys("ask --tool")
    (step,) = doc["steps"]
    row = DOCS_TEXT["ask --tool"].split("| `steps` |", 1)[1].split("\n", 1)[0]
    assert [k for k in step if f"`{k}`" not in row] == []  # every key of a step is documented
    calls = load(o4("ask", "--tool", str(tool), "--tool-calls", "CALL t {}"))
    assert set(calls) == keys("ask --tool-calls") and set(calls["calls"][0]) == {
        "id", "type", "name", "server", "arguments", "arguments_error", "arguments_text"}  # fmt: skip


def test_bad_input_error_document_lists_every_problem(o4, tmp_path):
    p = tmp_path / "in.jsonl"
    p.write_text('{"prompt": "a"}\nnot json\n{"prompt": "b", "temperature": 1}\n')
    r = o4("batch", "submit", str(p), "--dry-run", "--json")
    doc = load(r)
    assert r.code == 2 and [x["line"] for x in doc["error"]["problems"]] == [2, 3]
    assert all(x["file"] == str(p) for x in doc["error"]["problems"])


def test_usage_error_before_the_command_still_prints_a_document(o4):
    r = o4("models", "list", "--json", "--no-such-flag")
    assert r.code == 2 and load(r)["error"]["exit_code"] == 2


def test_batch_documents(o4, emulator, tmp_path):
    emulator.batch_timing = dict(FAST)
    p = tmp_path / "p.txt"
    p.write_text("one\ntwo\nthree\n")
    dry = load(o4("batch", "submit", str(p), "--dry-run", "--json"))
    assert set(dry) == keys("batch submit") and dry["dry_run"] is True and dry["batches"] == []
    sub = load(o4("batch", "submit", str(p), "--json"))
    assert set(sub) == keys("batch submit") and sub["dry_run"] is False and sub["results"] is None
    (bid,) = sub["batches"]
    st = load(o4("batch", "status", bid, "--watch", "--interval", "0.05", "--json"))
    assert keys("batch status") <= set(st) and st["id"] == bid and st["progress"]["total"] == 3
    (row,) = load(o4("batch", "list", "--json"))
    assert set(row) == keys("batch list") and row["id"] == bid and isinstance(row["estimated_cost_usd"], Decimal)
    res = load(o4("batch", "results", bid, "-o", str(tmp_path / "out.jsonl"), "--json"))
    assert set(res) == keys("batch results") and res["succeeded"] == 3 and isinstance(res["cost_usd"], Decimal)
    again = load(o4("batch", "retry", bid, "--json"))
    assert set(again) == keys("batch retry") and again["requests"] == 0 and again["batches"] == []
    waited = load(o4("batch", "submit", str(p), "--force", "--wait", "--interval", "0.05", "-o", str(tmp_path / "w.jsonl"), "--json"))
    assert set(waited) == keys("batch submit") and set(waited["results"]) == keys("batch results")
    run = load(o4("batch", "run", str(p), "-o", str(tmp_path / "run.jsonl"), "--json"))
    assert set(run) == keys("batch run") and run["done"] == 3
    dry = load(o4("batch", "run", str(p), "--dry-run", "--json"))
    assert set(dry) == keys("batch run --dry-run") and dry["requests"] == 3


def test_usage_models_config_documents(o4, emulator):
    o4("ask", "hi")
    doc = load(o4("usage", "--json", extra_env={"O4_BUDGET_DAILY": "5"}))
    assert set(doc) == keys("usage") and doc["rows"] and isinstance(doc["total"]["cost_usd"], Decimal)
    assert set(doc["budgets"][0]) == {"period", "budget_usd", "spent_usd", "pending_usd", "left_usd", "since", "source"}
    from tests.emulator_usage import ADMIN_KEY

    rec = load(o4("usage", "reconcile", "--json", extra_env={"OPENAI_ADMIN_KEY": ADMIN_KEY}))
    assert set(rec) == keys("usage reconcile") and rec["agree"] is True
    rows = load(o4("models", "list", "--json"))
    assert rows and all(set(r) == keys("models list") for r in rows)
    assert keys("models show") - {"remote"} == set(load(o4("models", "show", "--json")))
    assert set(load(o4("models", "show", "--remote", "--json"))) == keys("models show")
    assert keys("config show") <= set(load(o4("config", "show", "--json")))
    profiles = load(o4("config", "profiles", "--json"))
    assert profiles and all(set(r) == keys("config profiles") for r in profiles)
    assert load(o4("config", "path", "--json")).keys() == {"config", "data"}


@pytest.mark.parametrize("args", [("config", "get", "model"), ("config", "set", "tier", "2"), ("config", "unset", "tier")])
def test_config_get_set_unset(o4, args):
    if args[1] == "unset":
        o4("config", "set", "tier", "2")
    assert load(o4(*args, "--json")).keys() == {"key", "value", "profile"}


def test_finetune_tables_match_the_shapes_its_tests_pin():
    from tests.cli.test_finetune import SHAPES

    assert keys("finetune validate") == SHAPES["validate"]
    assert keys("finetune cost") == SHAPES["cost"]
    assert keys("finetune create") == SHAPES["create"]
    assert keys("finetune list") == SHAPES["list"] - SHAPES["create"]
    assert keys("finetune status") <= SHAPES["status"]


def test_logs_and_templates_documents(o4, emulator):
    assert o4("ask", "hi").code == 0
    shown = load(o4("logs", "show", "--json"))
    assert set(shown) == keys("logs show") and set(shown["usage"]) == {"input_tokens", "output_tokens", "reasoning_tokens"}
    (listed,) = load(o4("logs", "list", "--json"))
    assert set(listed) == keys("logs show")
    (found,) = load(o4("logs", "search", "hi", "--json"))
    assert set(found) == keys("logs show")
    (conv,) = load(o4("logs", "list", "--conversations", "--json"))
    assert set(conv) == keys("logs list --conversations")
    assert set(load(o4("logs", "rm", str(shown["id"]), "--json"))) == keys("logs rm")
    assert set(load(o4("logs", "clear", "--yes", "--json"))) == keys("logs rm")
    assert o4("templates", "save", "t", "-s", "be $tone").code == 0
    assert set(load(o4("templates", "show", "t", "--json"))) == keys("templates show")
    (tpl,) = load(o4("templates", "list", "--json"))
    assert set(tpl) == keys("templates show") and tpl["variables"] == ["tone"]
