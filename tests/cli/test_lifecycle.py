"""Models through their life, against an emulator serving several: o4-mini shut down (the
server answering 404 model_not_found), gpt-5 deprecated, gpt-9 unknown to o4, and a
profile whose server demands the `api-key` header. The day is set with O4_TODAY."""

import json
import sqlite3
from decimal import Decimal
from pathlib import Path

from tests.cli.helpers import ledger_rows
from tests.emulator import TEST_KEY

AFTER_O4_MINI = {"O4_TODAY": "2026-11-01"}  # o4-mini shut down on 2026-10-23 (reported)
GPT5_DEPRECATED = {"O4_TODAY": "2026-07-01"}  # gpt-5 deprecated 2026-06-11, shuts down 2026-12-11

SWITCH = "switch to gpt-5.6-terra (substitute unconfirmed): o4 config set model gpt-5.6-terra  (or -m gpt-5.6-terra for one call)"


def models_toml(env, text: str) -> Path:
    path = Path(env["O4_CONFIG"]).parent / "models.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# ------------------------------------------------------------------ shut down


def test_a_model_past_its_shutdown_gets_one_warning_and_is_still_sent(o4, emulator):
    r = o4("ask", "hi", extra_env=AFTER_O4_MINI)
    assert r.code == 0 and r.stdout.startswith("Echo: hi")
    warnings = [line for line in r.stderr.splitlines() if "warning" in line]
    assert warnings == [
        "o4: warning: o4-mini was shut down on 2026-10-23 (unconfirmed); its substitute is gpt-5.6-terra; "
        "sending anyway (a server may still serve it; said once a day). " + SWITCH
    ]
    assert [b["model"] for b in emulator.bodies("/v1/responses")] == ["o4-mini"]
    again = o4("ask", "hi", extra_env=AFTER_O4_MINI)  # the same day, the same server: said already
    assert again.code == 0 and "warning" not in again.stderr
    other = o4("ask", "hi", extra_env={**AFTER_O4_MINI, "O4_TODAY": "2026-11-02"})
    assert "o4-mini was shut down on 2026-10-23" in other.stderr  # the next day: said again


def test_a_404_for_a_shut_down_model_says_so_with_the_command_to_switch(o4, emulator):
    emulator.retired = {"o4-mini"}
    r = o4("ask", "hi", extra_env=AFTER_O4_MINI)
    assert r.code == 1 and r.stdout == ""
    error, hint = r.stderr.splitlines()[-2:]
    assert error.startswith(
        "o4: error: 404 invalid_request_error (model_not_found): o4-mini was shut down on 2026-10-23 (unconfirmed): "
        "the API no longer serves it [request req_"
    )
    assert hint == "o4: hint: " + SWITCH
    # the command it gives works: the next call goes to the substitute
    assert o4("config", "set", "model", "gpt-5.6-terra").code == 0
    r = o4("ask", "hi", extra_env=AFTER_O4_MINI)
    assert r.code == 0 and "warning" not in r.stderr
    assert emulator.bodies("/v1/responses")[-1]["model"] == "gpt-5.6-terra"


def test_a_404_names_the_profile_and_streams_say_the_same(o4, emulator):
    emulator.retired = {"o4-mini"}
    o4("config", "set", "-p", "work", "tier", "2")
    r = o4("stream", "hi", "-p", "work", extra_env=AFTER_O4_MINI)
    assert r.code == 1
    assert r.stderr.splitlines()[-1] == (
        "o4: hint: switch to gpt-5.6-terra (substitute unconfirmed): o4 config set -p work model gpt-5.6-terra  "
        "(or -m gpt-5.6-terra for one call)"
    )


def test_a_404_for_an_active_model_keeps_the_generic_hint(o4, emulator):
    emulator.retired = {"gpt-5.4-mini"}
    r = o4("ask", "hi", "-m", "gpt-5.4-mini")
    assert r.code == 1 and "see `o4 models list --remote`" in r.stderr and "shut down" not in r.stderr


# ------------------------------------------------------------------ deprecated


def test_a_deprecated_model_gets_a_notice_at_most_once_a_day(o4, emulator, env):
    notice = (
        "o4: note: gpt-5 is deprecated; it shuts down on 2026-12-11. switch to gpt-6.1-sol (substitute unconfirmed): "
        "o4 config set model gpt-6.1-sol  (or -m gpt-6.1-sol for one call)"
    )
    first = o4("ask", "hi", "-m", "gpt-5", extra_env=GPT5_DEPRECATED)
    assert first.code == 0 and notice in first.stderr.splitlines()
    again = o4("ask", "hi", "-m", "gpt-5", extra_env=GPT5_DEPRECATED)
    assert again.code == 0 and "deprecated" not in again.stderr
    assert "deprecated" not in o4("stream", "hi", "-m", "gpt-5", extra_env=GPT5_DEPRECATED).stderr
    other = o4("ask", "hi", "-m", "gpt-5-mini", extra_env=GPT5_DEPRECATED)  # per model
    assert "o4: note: gpt-5-mini is deprecated" in other.stderr
    tomorrow = o4("ask", "hi", "-m", "gpt-5", extra_env={"O4_TODAY": "2026-07-02"})
    assert notice in tomorrow.stderr.splitlines()
    state = json.loads((Path(env["O4_DATA_DIR"]) / "notices.json").read_text())
    assert state == {"gpt-5": "2026-07-02", "gpt-5-mini": "2026-07-01"}
    assert "deprecated" not in o4("ask", "hi", "-q", "-m", "gpt-5", extra_env={"O4_TODAY": "2026-07-03"}).stderr


def test_before_the_deprecation_is_announced_a_model_is_active(o4, emulator):
    r = o4("ask", "hi", "-m", "gpt-5")  # O4_TODAY 2026-03-01 (conftest)
    assert r.code == 0 and "deprecated" not in r.stderr and "warning" not in r.stderr


# ------------------------------------------------------------------ models list / show


def test_models_list_shows_each_status_and_the_substitute(o4):
    lines = {line.split("\t")[0]: line.split("\t") for line in o4("models", "list", extra_env=GPT5_DEPRECATED).stdout.splitlines()}
    head = lines["model"]
    status, sub = head.index("status"), head.index("substitute")
    assert lines["o4-mini"][status] == "deprecated: shuts down ~2026-10-23"
    assert lines["gpt-5"][status] == "deprecated: shuts down 2026-12-11" and lines["gpt-5"][sub] == "~gpt-6.1-sol"
    assert lines["gpt-5.6-terra"][status] == "active"
    after = {line.split("\t")[0]: line.split("\t") for line in o4("models", "list", extra_env=AFTER_O4_MINI).stdout.splitlines()}
    assert after["o4-mini"][status] == "shut down ~2026-10-23" and after["o4-mini"][sub] == "~gpt-5.6-terra"


def test_models_list_remote_merges_the_apis_shutdown_date(o4, emulator):
    for m in emulator.models:
        if m["id"] == "gpt-5-mini":
            m["shutdown_date"] = "2027-01-15"  # the API moved it
    rows = {r["id"]: r for r in json.loads(o4("models", "list", "--remote", "--json", extra_env=GPT5_DEPRECATED).stdout)}
    mini = rows["gpt-5-mini"]["lifecycle"]
    assert (mini["shutdown"], mini["shutdown_source"], mini["status"]) == ("2027-01-15", "GET /models", "deprecated")
    assert rows["o3"]["lifecycle"]["shutdown"] == "2026-12-11" and rows["o3"]["available"] is True
    assert rows["gpt-5"]["available"] is False  # this key is not offered it
    assert rows["gpt-4.1-mini"]["in_catalog"] is False and rows["gpt-4.1-mini"]["price"] is None
    assert [r.path for r in emulator.log] == ["/v1/models"]


def test_models_show_json_has_lifecycle_and_sources(o4):
    v = json.loads(o4("models", "show", "--json", extra_env=AFTER_O4_MINI).stdout, parse_float=Decimal)
    assert v["lifecycle"] == {
        "status": "shut down", "released": "2025-04-16", "deprecated": "2026-04-22", "shutdown": "2026-10-23",
        "shutdown_source": "catalog", "substitute": "gpt-5.6-terra",
        "unconfirmed": ["deprecated", "shutdown", "substitute"],
    }  # fmt: skip
    assert v["sources"]["context_window"]["read"] == "2025-12-11"
    assert v["sources"]["lifecycle.shutdown"]["id"] == "shutdown-reports"
    assert "prices.batch.cached_input" in v["unconfirmed"] and v["user_fields"] == []
    text = o4("models", "show", extra_env=AFTER_O4_MINI).stdout
    assert "status: shut down ~2026-10-23" in text and "shutdown: ~2026-10-23 (unconfirmed)" in text
    assert "batch\t$0.55\t~$0.1375\t$2.20" in text and "# Sources" in text


# ------------------------------------------------------------------ the user's models.toml


def test_models_toml_overrides_a_price_and_show_says_so(o4, env):
    models_toml(env, '[models.o4-mini.prices.standard]\ninput = "1.00"\noutput = "4.00"\n')
    v = json.loads(o4("models", "show", "--json").stdout, parse_float=Decimal)
    assert v["prices"]["standard"] == {"input": Decimal("1.00"), "cached_input": Decimal("0.275"), "output": Decimal("4.00")}
    assert v["user_fields"] == ["prices.standard.input", "prices.standard.output"]
    assert v["sources"]["prices"]["id"] == "pricing"
    text = o4("models", "show").stdout
    assert "standard\t$1.00 (models.toml)\t$0.275\t$4.00 (models.toml)" in text


def test_models_toml_adds_a_model_that_is_then_priced_checked_and_counted(o4, emulator, env):
    models_toml(
        env,
        '[models.my-model]\nlike = "gpt-5-mini"\ncontext_window = 32000\n'
        '[models.my-model.prices.standard]\ninput = "2"\ncached_input = "1"\noutput = "8"\n',
    )
    row = {r["id"]: r for r in json.loads(o4("models", "list", "--json").stdout)}["my-model"]
    assert row["context_window"] == 32000 and row["user_fields"] and row["lifecycle"]["status"] == "active"
    r = o4("ask", "hi", "-m", "my-model", "--max-cost", "1", "--max-output", "1000")
    assert r.code == 0 and "unpriced" not in r.stderr
    assert ledger_rows(env)[-1]["cost_usd"] is not None and ledger_rows(env)[-1]["unpriced"] == 0
    r = o4("ask", "hi", "-m", "my-model", "-e", "xhigh")  # like gpt-5-mini: minimal..high
    assert r.code == 2 and "--effort xhigh: my-model takes minimal, low, medium, high" in r.stderr


def test_a_bad_models_toml_names_file_line_and_key(o4, env):
    path = models_toml(env, "[models.o4-mini]\ncontext_windw = 5\n")
    r = o4("models", "show")
    assert r.code == 2 and f"model catalog {path}: unknown key 'models.o4-mini.context_windw' (did you mean 'context_window'?)" in r.stderr
    models_toml(env, "[models.o4-mini\n")
    r = o4("ask", "hi", "--dry-run")
    assert r.code == 2 and f"model catalog {path}:1:" in r.stderr and "not valid TOML" in r.stderr
    models_toml(env, '[models.o4-mini.prices.standard]\ninput = "cheap"\noutput = "1"\n')
    r = o4("models", "list")
    assert r.code == 2 and "models.o4-mini.prices.standard.input must be a price in USD per 1M tokens" in r.stderr


# ------------------------------------------------------------------ never a silent $0


def test_an_unknown_model_is_unpriced_everywhere_and_max_cost_refuses_it(o4, emulator, env):
    r = o4("ask", "hi", "-m", "gpt-9")
    assert r.code == 0 and " · unpriced · " in r.stderr
    row = ledger_rows(env)[-1]
    assert (row["model"], row["cost_usd"], row["unpriced"]) == ("gpt-9", None, 1)
    u = o4("usage", "--by", "model")
    assert "1 call to models o4 cannot price (gpt-9) are not in the cost" in u.stderr
    doc = json.loads(o4("usage", "--json").stdout)
    assert doc["total"]["unpriced_requests"] == 1 and doc["total"]["unpriced_models"] == ["gpt-9"]
    sent = len(emulator.log)
    r = o4("ask", "hi", "-m", "gpt-9", "--max-cost", "5")
    assert r.code == 2 and len(emulator.log) == sent
    assert "o4: error: --max-cost: o4 has no standard price for 'gpt-9', so it cannot promise a ceiling; nothing was sent" in r.stderr
    assert "o4: hint: give its prices in models.toml ([models.\"gpt-9\".prices]" in r.stderr


def test_a_failed_call_is_not_counted_as_unpriced(o4, emulator, env):
    emulator.fault(status=400)
    assert o4("ask", "hi").code == 1
    assert ledger_rows(env)[-1]["unpriced"] == 0
    assert json.loads(o4("usage", "--json").stdout)["total"]["unpriced_requests"] == 0


def test_snapshot_and_alias_add_up_as_one_model(o4, emulator):
    o4("ask", "hi")
    o4("ask", "hi", "-m", "o4-mini-2025-04-16")
    rows = json.loads(o4("usage", "--by", "model", "--json").stdout)["rows"]
    assert [(r["model"], r["requests"]) for r in rows] == [("o4-mini", 2)]


def test_old_ledger_rows_without_the_flag_still_count_as_unpriced(o4, emulator, env):
    o4("ask", "hi", "-m", "gpt-9")
    db = sqlite3.connect(Path(env["O4_DATA_DIR"]) / "ledger.db")
    db.execute("UPDATE requests SET unpriced = 0")  # as a row written before the column existed
    db.commit()
    db.close()
    assert json.loads(o4("usage", "--json").stdout)["total"]["unpriced_requests"] == 1


# ------------------------------------------------------------------ per-model pre-flight


def test_each_models_own_rules_before_sending(o4, emulator, tmp_path):
    png = tmp_path / "a.png"
    from tests.cli.helpers import PNG

    png.write_bytes(PNG)
    cases = [
        (("-e", "minimal"), "--effort minimal: o4-mini takes low, medium, high"),
        (("--param", "text.verbosity=low"), "verbosity 'low': o4-mini does not take a verbosity"),
        (("-m", "o3-mini", "-i", str(png)), "-i/--image: o3-mini takes text input, not images"),
        (("-m", "gpt-5", "--max-output", "200000"), "--max-output 200,000 is above gpt-5's maximum of 128,000"),
        (("-m", "gpt-5.6-terra", "-e", "minimal"), "--effort minimal: gpt-5.6-terra takes none, low, medium, high, xhigh"),
    ]
    for args, message in cases:
        r = o4("ask", "hi", *args)
        assert r.code == 2 and f"o4: error: {message}" in r.stderr, (args, r.stderr)
    assert "unconfirmed: correct it in models.toml" in o4("ask", "hi", "-m", "gpt-5.6-terra", "-e", "minimal").stderr
    assert emulator.log == []
    r = o4("ask", "hi", "-m", "gpt-5", "-e", "minimal", "--param", "text.verbosity=low")
    assert r.code == 0
    body = emulator.bodies("/v1/responses")[-1]
    assert body["reasoning"] == {"effort": "minimal"} and body["text"] == {"verbosity": "low"}


def test_batch_lines_are_checked_against_their_models_entry(o4, emulator, tmp_path):
    lines = [
        {"custom_id": "a", "method": "POST", "url": "/v1/responses", "body": {"model": "gpt-5", "input": "hi", "reasoning": {"effort": "minimal"}}},
        {"custom_id": "b", "method": "POST", "url": "/v1/responses", "body": {"model": "gpt-5", "input": "hi", "text": {"verbosity": "loud"}}},
    ]
    f = tmp_path / "in.jsonl"
    f.write_text("".join(json.dumps(x) + "\n" for x in lines))
    for cmd in (("batch", "submit", str(f)), ("batch", "run", str(f), "-o", str(tmp_path / "out.jsonl"))):
        r = o4(*cmd, "-m", "gpt-5")
        assert r.code == 2 and "2: verbosity 'loud': gpt-5 takes low, medium, high" in r.stderr, r.stderr
        assert ":1:" not in r.stderr
    assert emulator.log == []


def test_finetune_refuses_a_model_without_a_method(o4, emulator, tmp_path):
    train = tmp_path / "t.jsonl"
    train.write_text(json.dumps({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}) + "\n")
    r = o4("finetune", "create", "--train", str(train), "--model", "gpt-5", "--method", "supervised")
    assert r.code == 2 and "gpt-5-2025-08-07 cannot be fine-tuned: o4's catalog lists no fine-tuning method for it" in r.stderr
    assert emulator.log == []


# ------------------------------------------------------------------ a server that wants `api-key`


def test_an_azure_style_profile_sends_the_api_key_header_query_and_deployment(o4, emulator, env):
    emulator.auth_header = "api-key"
    emulator.required_query = {"api-version": "preview"}
    Path(env["O4_CONFIG"]).parent.mkdir(parents=True, exist_ok=True)
    Path(env["O4_CONFIG"]).write_text(
        'default_profile = "azure"\n[profiles.azure]\n'
        f'base_url = "{emulator.url}"\napi_key_env = "AZURE_KEY"\nauth = "api-key"\n'
        '[profiles.azure.query]\napi-version = "preview"\n'
        '[profiles.azure.headers]\nx-ms-client = "o4"\nOcp-Apim-Subscription-Key = "sub-secret-0123456789"\n'
        '[profiles.azure.deployments]\no4-mini = "my-o4-deployment"\n'
    )
    azure = {"AZURE_KEY": TEST_KEY, "OPENAI_BASE_URL": None, "OPENAI_API_KEY": None}
    r = o4("ask", "hi", "-v", extra_env=azure)
    assert r.code == 0 and r.stdout.startswith("Echo: hi")
    req = emulator.log[-1]
    headers = {k.lower(): v for k, v in req.headers.items()}
    assert headers["api-key"] == TEST_KEY and "authorization" not in headers and headers["x-ms-client"] == "o4"
    assert req.path == "/v1/responses?api-version=preview"
    assert json.loads(req.body)["model"] == "my-o4-deployment"
    shown = o4("config", "show", "--json", extra_env=azure).stdout
    for secret in (TEST_KEY, "sub-secret-0123456789"):
        assert secret not in r.output and secret not in shown
    assert json.loads(shown)["headers"]["Ocp-Apim-Subscription-Key"] == "sub...6789"
    # the same server refuses a Bearer profile: 401, exit 3, the key never shown
    emulator.required_query = {}
    r = o4("ask", "hi", "-p", "default", extra_env={"OPENAI_BASE_URL": emulator.url, "OPENAI_API_KEY": TEST_KEY})
    assert r.code == 3 and "Send the key in the api-key header" in r.stderr and TEST_KEY not in r.output


def test_profile_tables_are_checked_by_name(o4, env):
    Path(env["O4_CONFIG"]).parent.mkdir(parents=True, exist_ok=True)
    Path(env["O4_CONFIG"]).write_text('[profiles.default.headers]\nAuthorization = "Bearer x"\n')
    r = o4("config", "show")
    assert r.code == 2 and "profiles.default.headers' Authorization: o4 sets this header itself" in r.stderr
    Path(env["O4_CONFIG"]).write_text("")
    r = o4("config", "set", "headers", "x")
    assert r.code == 2 and "must be a table of header names to values (write it in the file" in r.stderr
