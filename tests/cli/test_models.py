"""`o4 models list|show`: catalog facts, piped (in a real terminal: tests/e2e/test_terminal.py)."""

import json
import re
from decimal import Decimal

from o4cli import __version__


def test_show_json_has_the_catalog_facts(o4):
    r = o4("models", "show", "--json")
    assert r.code == 0 and r.stderr == ""
    v = json.loads(r.stdout, parse_float=Decimal)
    assert v["id"] == "o4-mini" and v["snapshot"] == "o4-mini-2025-04-16"
    assert (v["context_window"], v["max_output"], v["knowledge_cutoff"]) == (200000, 100000, "2024-06-01")
    assert v["input_modalities"] == ["text", "image"] and v["output_modalities"] == ["text"]
    assert v["features"]["fine_tuning"] is True and v["features"]["distillation"] is False
    assert v["prices"]["standard"] == {"input": Decimal("1.10"), "cached_input": Decimal("0.275"), "output": Decimal("4.40")}
    assert v["prices"]["batch"]["input"] == Decimal("0.55") and v["prices"]["flex"]["output"] == Decimal("2.20")
    assert v["rate_limits"][0] == {"tier": 1, "rpm": 1000, "tpm": 100000, "batch_queue_tokens": 1000000}
    assert "temperature" in v["rejected_parameters"]
    assert "/v1/batches" in v["endpoints"]


def test_show_works_without_key_network_or_ledger(o4, env, tmp_path):
    # a data folder that cannot hold a ledger must not matter to a read-only command
    bad = tmp_path / "not-a-dir"
    bad.write_text("x")
    r = o4("models", "show", "o4-mini-2025-04-16", extra_env={"O4_DATA_DIR": str(bad), "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"})
    assert r.code == 0 and "200,000" not in r.stdout  # piped: bare numbers
    assert "context window: 200000" in r.stdout


def test_show_piped_is_plain_text(o4):
    r = o4("models", "show")
    assert "\x1b[" not in r.stdout
    assert "snapshot: o4-mini-2025-04-16" in r.stdout
    assert "standard\t$1.10\t$0.275\t$4.40" in r.stdout
    assert "tier 1\t1000\t100000\t1000000" in r.stdout


def test_show_fine_tuned_model_gets_fine_tuned_prices(o4):
    v = json.loads(o4("models", "show", "ft:o4-mini-2025-04-16:acme:triage:abc", "--json").stdout, parse_float=Decimal)
    assert v["fine_tuned"] is True and v["prices"]["standard"]["input"] == Decimal("4.00")


def test_show_unknown_model_exits_2_naming_known_ones(o4):
    r = o4("models", "show", "gpt-9")
    assert r.code == 2 and "'gpt-9' is not in o4's catalog" in r.stderr and "gpt-5-mini" in r.stderr


def test_show_highlights_the_profile_tier(o4):
    o4("config", "set", "tier", "3")
    assert "this profile: tier 3" in o4("models", "show").stdout
    assert json.loads(o4("models", "show", "--json").stdout, parse_float=Decimal)["profile_tier"] == 3


def test_list_piped_is_tsv(o4):
    r = o4("models", "list")
    lines = r.stdout.splitlines()
    assert lines[0].split("\t")[0] == "model"
    assert lines[1].split("\t")[:3] == ["o4-mini", "200000", "100000"]


def test_version_is_the_package_version(o4):
    """`--version` is answered before typer; both entry points: tests/e2e/test_processes.py."""
    r = o4("--version")
    assert r.code == 0 and r.stdout == f"o4 {__version__}\n" and r.stderr == ""
    assert re.fullmatch(r"o4 \d+\.\d+\.\d+\S*\n", r.stdout)


def test_show_remote_adds_what_the_api_says(o4, emulator):
    v = json.loads(o4("models", "show", "--remote", "--json").stdout, parse_float=Decimal)
    assert v["remote"]["owned_by"] == "system" and v["remote"]["created_date"] == "2025-04-09"
    assert [r.path for r in emulator.log] == ["/v1/models/o4-mini"]


def test_plain_flag_and_no_color_piped(o4):
    """--plain and NO_COLOR keep plain text; piped it is plain anyway (in a terminal:
    tests/e2e/test_terminal.py::test_plain_flag_and_no_color_in_a_terminal)."""
    r = o4("models", "show", "--plain")
    assert r.code == 0 and "\x1b[" not in r.output and "snapshot: o4-mini-2025-04-16" in r.stdout
    r = o4("models", "list", extra_env={"NO_COLOR": "1"})
    assert r.code == 0 and "\x1b[" not in r.output and r.stdout.splitlines()[1].startswith("o4-mini\t")


def test_error_piped_is_not_red(o4):
    r = o4("models", "show", "gpt-9")
    assert r.code == 2 and r.stderr.startswith("o4: error: ") and "\x1b[" not in r.stderr
