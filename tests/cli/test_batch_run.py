"""`o4 batch run`: now, in parallel, within the rate limits, resumable, nothing lost or doubled."""

import json
from collections import Counter
from pathlib import Path

from tests.cli.helpers import in_process_only, ledger_rows
from tests.runner import ctrl_c_when


def prompts(tmp_path: Path, n: int) -> Path:
    p = tmp_path / "prompts.txt"
    p.write_text("".join(f"question {i}\n" for i in range(1, n + 1)))
    return p


def ids(path: Path) -> list[str]:
    return [json.loads(line)["custom_id"] for line in path.read_text().splitlines()]


def test_runs_every_line_and_writes_batch_format(o4, emulator, env, tmp_path):
    out = tmp_path / "out.jsonl"
    r = o4("batch", "run", str(prompts(tmp_path, 8)), "-o", str(out), "--concurrency", "4")
    assert r.code == 0, r.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(line["custom_id"] for line in lines) == sorted(f"line-{i}" for i in range(1, 9))
    first = lines[0]
    assert first["id"].startswith("batch_req_") and first["error"] is None
    assert first["response"]["status_code"] == 200 and first["response"]["body"]["object"] == "response"
    assert "8 done, 0 failed, 0 skipped" in r.stderr
    rows = [x for x in ledger_rows(env) if x["command"] == "batch run"]
    assert len(rows) == 8 and all(x["pricing"] == "standard" and float(x["cost_usd"]) > 0 for x in rows)


def test_rerun_skips_what_is_done_and_repairs_a_torn_line(o4, emulator, tmp_path):
    out = tmp_path / "out.jsonl"
    p = prompts(tmp_path, 5)
    assert o4("batch", "run", str(p), "-o", str(out)).code == 0
    # keep lines 1-3 as done, then a torn half line (a crash mid-write)
    kept = out.read_text().splitlines()[:3]
    out.write_text("\n".join(kept) + "\n" + kept[0][:40])
    before = len(emulator.log)
    r = o4("batch", "run", str(p), "-o", str(out))
    assert r.code == 0, r.stderr
    assert len(emulator.log) - before == 2 and "3 requests already in" in r.stderr
    assert Counter(ids(out)) == Counter(f"line-{i}" for i in range(1, 6))


def test_rate_limits_429s_lose_nothing_and_double_nothing(o4, emulator, tmp_path):
    limiter = emulator.rate_limit(rpm=600, tpm=1_000_000, burst=0.005)  # 3-request bucket, 10 a second
    out = tmp_path / "out.jsonl"
    r = o4("batch", "run", str(prompts(tmp_path, 20)), "-o", str(out), "--rpm", "6000", "--concurrency", "8")
    assert r.code == 0, r.stderr
    assert limiter.refused > 0  # the client believed in more room than there was
    assert Counter(ids(out)) == Counter(f"line-{i}" for i in range(1, 21))
    assert limiter.served == 20


def test_client_pacing_avoids_429s(o4, emulator, tmp_path):
    """Buckets like the API's (a minute's worth, refilled continuously) and --rpm to
    match: 61 requests against a 60-request bucket. The last can only be served after
    1 s of refill, so the limiter must hold the run back, and o4's own pacing keeps it
    from ever meeting a 429 (16 requests in flight at most)."""
    rpm, n = 60, 61
    limiter = emulator.rate_limit(rpm=rpm, tpm=10_000_000)
    out = tmp_path / "out.jsonl"
    r = o4("batch", "run", str(prompts(tmp_path, n)), "-o", str(out), "--rpm", str(rpm), "--json")
    assert r.code == 0, r.stderr
    assert sorted(ids(out)) == sorted(f"line-{i}" for i in range(1, n + 1))
    assert limiter.refused == 0 and limiter.served == n  # paced: not one 429
    assert json.loads(r.stdout)["rate_limited"] == 0
    span = emulator.received_at[-1] - emulator.received_at[0]
    assert span >= (n - rpm) * 60 / rpm - 0.05  # the limit was really in force: 1 s of refill


def test_server_errors_are_retried(o4, emulator, tmp_path):
    emulator.fault(status=500, path="/v1/responses", times=3)
    out = tmp_path / "out.jsonl"
    r = o4("batch", "run", str(prompts(tmp_path, 4)), "-o", str(out))
    assert r.code == 0, r.stderr
    assert Counter(ids(out)) == Counter(f"line-{i}" for i in range(1, 5))


def test_failed_requests_go_to_errors_and_a_rerun_retries_them(o4, emulator, tmp_path):
    emulator.fault(status=400, path="/v1/responses", body={"error": {"message": "Invalid prompt: flagged.", "type": "invalid_request_error", "param": None, "code": "invalid_prompt"}})
    out, errs = tmp_path / "out.jsonl", tmp_path / "errors.jsonl"
    p = prompts(tmp_path, 3)
    r = o4("batch", "run", str(p), "-o", str(out), "--errors", str(errs), "--concurrency", "1")
    assert r.code == 1 and "1 requests failed" in r.stderr
    (err,) = [json.loads(line) for line in errs.read_text().splitlines()]
    assert err["response"]["status_code"] == 400 and err["response"]["body"]["error"]["code"] == "invalid_prompt"
    assert len(ids(out)) == 2
    r = o4("batch", "run", str(p), "-o", str(out), "--errors", str(errs))
    assert r.code == 0 and sorted(ids(out)) == sorted(f"line-{i}" for i in range(1, 4))
    assert errs.read_text() == ""


@in_process_only
def test_ctrl_c_keeps_what_finished(o4, emulator, tmp_path):
    """Ctrl-C once a first answer is written (to a real process: tests/e2e/test_signals.py)."""
    emulator.fault(delay=0.4, path="/v1/responses", times=100)  # 30 lines, 2 at a time: 6 s
    out = tmp_path / "out.jsonl"
    args = ("batch", "run", str(prompts(tmp_path, 30)), "-o", str(out), "--concurrency", "2")
    interrupt = ctrl_c_when(lambda: out.exists() and out.read_text().count("\n") >= 1)
    r = o4(*args)
    interrupt.join()
    assert r.code == 130, r.stderr
    assert "interrupted" in r.stderr and "Traceback" not in r.stderr
    first = ids(out)
    assert 0 < len(first) < 30 and len(set(first)) == len(first)
    emulator.faults.clear()
    r = o4(*args)
    assert r.code == 0, r.stderr
    assert Counter(ids(out)) == Counter(f"line-{i}" for i in range(1, 31))


def test_stdout_without_output_file_and_json_summary(o4, emulator, tmp_path):
    r = o4("batch", "run", str(prompts(tmp_path, 2)))
    assert r.code == 0 and len(r.stdout.splitlines()) == 2
    out = tmp_path / "o.jsonl"
    r = o4("batch", "run", str(prompts(tmp_path, 2)), "-o", str(out), "--json", "--flex")
    doc = json.loads(r.stdout)
    assert doc["done"] == 2 and doc["pricing"] == "flex" and doc["rate_limited"] == 0
    assert all(b["service_tier"] == "flex" for b in emulator.bodies("/v1/responses")[-2:])


def test_bad_input_is_refused_before_sending(o4, emulator, tmp_path):
    p = tmp_path / "bad.jsonl"
    p.write_text('{"custom_id": "a", "method": "POST", "url": "/v1/responses", "body": {"model": "o4-mini", "input": "x", "temperature": 0}}\n')
    r = o4("batch", "run", str(p))
    assert r.code == 2 and f"{p}:1: body.temperature" in r.stderr and emulator.log == []


def test_answers_without_their_ledger_row_are_recorded_on_resume(o4, emulator, env, tmp_path):
    import sqlite3

    p = tmp_path / "p.txt"
    p.write_text("".join(f"q{i}\n" for i in range(6)))
    out = tmp_path / "out.jsonl"
    assert o4("batch", "run", str(p), "-o", str(out)).code == 0
    db = sqlite3.connect(Path(env["O4_DATA_DIR"]) / "ledger.db")
    db.execute("DELETE FROM requests WHERE id IN (SELECT id FROM requests ORDER BY id DESC LIMIT 4)")  # lost in a crash
    db.commit()
    db.close()
    sent = len(emulator.log)
    r = o4("batch", "run", str(p), "-o", str(out))
    assert r.code == 0 and "4 answers in" in r.stderr and "had no ledger row" in r.stderr
    assert len(emulator.log) == sent  # nothing sent again
    rows = [x for x in ledger_rows(env) if x["command"] == "batch run"]
    ids = [json.loads(line)["response"]["body"]["id"] for line in out.read_text().splitlines()]
    assert sorted(x["response_id"] for x in rows) == sorted(ids) and all(float(x["cost_usd"]) > 0 for x in rows)
    assert "had no ledger row" not in o4("batch", "run", str(p), "-o", str(out)).stderr  # recorded once


def test_incomplete_answers_without_text_are_failed_kept_out_of_output_and_resent(o4, emulator, env, tmp_path):
    p = prompts(tmp_path, 3)
    out, errs = tmp_path / "out.jsonl", tmp_path / "errors.jsonl"
    emulator.answer(text="first answer")
    emulator.answer(status="incomplete")  # reasoning used the whole budget: no text
    emulator.answer(text="third answer")
    r = o4("batch", "run", str(p), "-o", str(out), "--errors", str(errs), "--concurrency", "1", "--json")
    assert r.code == 1
    doc = json.loads(r.stdout)
    assert (doc["done"], doc["failed"], doc["unanswered"]) == (2, 1, 1)
    assert "1 of them paid but incomplete with no answer text (raise --max-output)" in r.stderr
    assert ids(out) == ["line-1", "line-3"] and ids(errs) == ["line-2"]
    rows = [x for x in ledger_rows(env) if x["command"] == "batch run"]
    assert sorted(x["status"] for x in rows) == ["incomplete", "ok", "ok"]
    assert all(float(x["cost_usd"]) > 0 for x in rows)  # the unanswered call was paid: it is in the ledger
    again = o4("batch", "run", str(p), "-o", str(out))
    assert again.code == 0, again.stderr
    assert sorted(ids(out)) == ["line-1", "line-2", "line-3"]
    assert len([r for r in emulator.log if r.path == "/v1/responses"]) == 4


def test_with_a_proxy_set_requests_go_through_httpx_with_the_same_results(o4, emulator, env, tmp_path):
    """A proxy in the environment: httpx sends (it honours NO_PROXY, so here it goes
    direct); the same lines, ledger rows and contract-checked bodies as the H1 pool."""
    out = tmp_path / "out.jsonl"
    proxy = {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9", "NO_PROXY": "127.0.0.1"}
    r = o4("batch", "run", str(prompts(tmp_path, 12)), "-o", str(out), extra_env=proxy)
    assert r.code == 0, r.stderr
    assert Counter(ids(out)) == Counter(f"line-{i}" for i in range(1, 13))
    assert len([x for x in ledger_rows(env) if x["command"] == "batch run"]) == 12


def test_a_profile_with_an_api_key_header_and_query_parameters_is_sent_as_configured(o4, emulator, env, tmp_path):
    """batch run's own HTTP/1.1 pool sends what httpx sends for ask: the api-key header,
    the profile's fixed headers and its query parameters."""
    from tests.emulator import TEST_KEY

    emulator.auth_header = "api-key"
    emulator.required_query = {"api-version": "preview"}
    Path(env["O4_CONFIG"]).parent.mkdir(parents=True, exist_ok=True)
    Path(env["O4_CONFIG"]).write_text(
        'default_profile = "azure"\n[profiles.azure]\n'
        f'base_url = "{emulator.url}"\napi_key_env = "AZURE_KEY"\nauth = "api-key"\n'
        '[profiles.azure.query]\napi-version = "preview"\n[profiles.azure.headers]\nx-ms-client = "o4"\n'
    )
    out = tmp_path / "out.jsonl"
    r = o4("batch", "run", str(prompts(tmp_path, 3)), "-o", str(out), extra_env={"AZURE_KEY": TEST_KEY, "OPENAI_BASE_URL": None, "OPENAI_API_KEY": None})
    assert r.code == 0, r.stderr
    assert sorted(ids(out)) == ["line-1", "line-2", "line-3"]
    for req in emulator.log:
        headers = {k.lower(): v for k, v in req.headers.items()}
        assert req.path == "/v1/responses?api-version=preview" and headers["api-key"] == TEST_KEY
        assert "authorization" not in headers and headers["x-ms-client"] == "o4"
