"""Edge cases a user hits: odd keys, ids, files, flags; each gives a clear error, keeps
what it should, and never shows a key.

A pipe closed by `| head` and several processes at once: tests/e2e/test_processes.py."""

import json

import pytest

from tests.cli.helpers import ledger_rows

FAST = {"validating": 0.02, "in_progress": 0.1, "finalizing": 0.02}


def test_a_key_with_control_characters_is_refused_without_showing_it(o4, emulator, env):
    for key in ("sk-proj-verysecret\x01key1234567890", "sk-proj-verysecretké1234567890", "sk-proj-verysecret key1234567890"):
        r = o4("ask", "hi", extra_env={"OPENAI_API_KEY": key})
        assert r.code == 3 and "$OPENAI_API_KEY" in r.stderr and "Traceback" not in r.stderr
        assert "verysecret" not in r.output
    assert emulator.log == []
    assert "verysecret" not in json.dumps(ledger_rows(env))


def test_a_key_ending_in_a_carriage_return_is_trimmed_never_shown(o4, emulator, env):
    r = o4("ask", "hi", extra_env={"OPENAI_API_KEY": "sk-proj-verysecretkey1234567890\r"})
    assert r.code == 3 and "401" in r.stderr  # sent trimmed; the emulator does not know it
    assert "verysecret" not in r.output and "verysecret" not in json.dumps(ledger_rows(env))


def test_a_key_with_surrounding_spaces_is_trimmed(o4, emulator):
    from tests.emulator import TEST_KEY

    assert o4("ask", "hi", extra_env={"OPENAI_API_KEY": f"  {TEST_KEY}\n"}).code == 0


def test_custom_ids_with_spaces_keep_their_answers(o4, emulator, tmp_path):
    emulator.batch_timing = dict(FAST)
    p = tmp_path / "in.jsonl"
    rows = [{"custom_id": cid, "method": "POST", "url": "/v1/responses", "body": {"model": "o4-mini", "input": cid}} for cid in ("task 1", "task 2", "task-3")]
    p.write_text("".join(json.dumps(r) + "\n" for r in rows))
    bid = o4("batch", "submit", str(p)).stdout.strip()
    assert o4("batch", "status", bid, "--watch", "--interval", "0.05", "-q").code == 0
    r = o4("batch", "results", bid)
    assert r.code == 0, r.stderr
    assert [json.loads(line)["custom_id"] for line in r.stdout.splitlines()] == ["task 1", "task 2", "task-3"]


def test_batch_run_refuses_to_append_to_someone_elses_file(o4, emulator, tmp_path):
    p = tmp_path / "prompts.txt"
    p.write_text("one\ntwo\n")
    notes = tmp_path / "notes.txt"
    notes.write_text("my precious notes\n")
    r = o4("batch", "run", str(p), "-o", str(notes))
    assert r.code == 2 and "not a batch output line" in r.stderr
    assert notes.read_text() == "my precious notes\n" and emulator.log == []
    r = o4("batch", "run", str(p), "-o", str(p))
    assert r.code == 2 and p.read_text() == "one\ntwo\n"


def test_batch_run_refuses_to_resume_another_inputs_output(o4, emulator, tmp_path):
    day1, day2, out = tmp_path / "day1.txt", tmp_path / "day2.txt", tmp_path / "out.jsonl"
    day1.write_text("a\nb\n")
    day2.write_text("c\nd\n")
    assert o4("batch", "run", str(day1), "-o", str(out)).code == 0
    r = o4("batch", "run", str(day2), "-o", str(out))
    assert r.code == 2 and "results of another input" in r.stderr


def test_batch_run_stops_at_a_wall_with_the_right_exit_code(o4, emulator, tmp_path):
    p = tmp_path / "prompts.txt"
    p.write_text("".join(f"q{i}\n" for i in range(20)))
    r = o4("batch", "run", str(p), "-o", str(tmp_path / "o.jsonl"), "--concurrency", "2", extra_env={"OPENAI_API_KEY": "sk-wrong-key-000000000000"})
    assert r.code == 3 and "not sent" in r.stderr
    assert len([x for x in emulator.log if x.path == "/v1/responses"]) <= 3  # stopped, not 20 refusals
    emulator.reset()
    emulator.fault(status=429, path="/v1/responses", times=50, body={"error": {"message": "You exceeded your current quota.", "type": "insufficient_quota", "param": None, "code": "insufficient_quota"}})
    r = o4("batch", "run", str(p), "-o", str(tmp_path / "o2.jsonl"), "--concurrency", "1")
    assert r.code == 4 and "quota" in r.stderr


def test_retry_twice_and_retry_of_a_retry_are_merged(o4, emulator, tmp_path):
    emulator.batch_timing = dict(FAST)
    p = tmp_path / "p.txt"
    p.write_text("one\ntwo\nthree\n")
    emulator.batch_outcome(fail_custom_ids={"line-2"})
    orig = o4("batch", "submit", str(p)).stdout.strip()
    o4("batch", "status", orig, "--watch", "--interval", "0.05", "-q")
    emulator.batch_outcome(fail_custom_ids={"line-2"})  # the first retry fails it again
    r1 = o4("batch", "retry", orig).stdout.strip()
    o4("batch", "status", r1, "--watch", "--interval", "0.05", "-q")
    assert o4("batch", "results", orig, "-q").code == 1
    r2 = o4("batch", "retry", orig)  # a second retry of the original: a new batch
    assert r2.code == 0 and r2.stdout.strip() not in ("", r1)
    o4("batch", "status", r2.stdout.strip(), "--watch", "--interval", "0.05", "-q")
    r = o4("batch", "results", orig)
    assert r.code == 0, r.stderr
    assert [json.loads(line)["custom_id"] for line in r.stdout.splitlines()] == ["line-1", "line-2", "line-3"]


def test_results_after_a_retry_of_a_batch_without_output_file(o4, emulator, tmp_path):
    emulator.batch_timing = dict(FAST)
    p = tmp_path / "p.txt"
    p.write_text("one\ntwo\n")
    emulator.batch_outcome(no_output_file=True)
    orig = o4("batch", "submit", str(p)).stdout.strip()
    o4("batch", "status", orig, "--watch", "--interval", "0.05", "-q")
    retry = o4("batch", "retry", orig).stdout.strip()
    o4("batch", "status", retry, "--watch", "--interval", "0.05", "-q")
    r = o4("batch", "results", orig, "-o", str(tmp_path / "o.jsonl"))
    assert r.code == 0, r.stderr
    assert len((tmp_path / "o.jsonl").read_text().splitlines()) == 2


def test_results_of_a_foreign_batch_are_recorded_once(o4, emulator, env, tmp_path):
    import httpx

    from tests.emulator import TEST_KEY

    emulator.batch_timing = dict(FAST)
    h = {"Authorization": f"Bearer {TEST_KEY}"}
    line = {"custom_id": "x", "method": "POST", "url": "/v1/responses", "body": {"model": "o4-mini", "input": "hi"}}
    f = httpx.post(f"{emulator.url}/files", headers=h, data={"purpose": "batch"}, files={"file": ("in.jsonl", json.dumps(line).encode() + b"\n", "application/jsonl")}).json()
    b = httpx.post(f"{emulator.url}/batches", headers=h, json={"input_file_id": f["id"], "endpoint": "/v1/responses", "completion_window": "24h"}).json()
    o4("batch", "status", b["id"], "--watch", "--interval", "0.05", "-q")
    for _ in range(3):
        assert o4("batch", "results", b["id"], "-q").code == 0
    assert len([r for r in ledger_rows(env) if r["command"] == "batch"]) == 1


def test_max_cost_with_flex_fallback_counts_the_standard_price(o4, emulator):
    # flex: 10,000 x 2.20 / 1M = $0.022 fits $0.03; the standard fallback ($0.044) does not
    assert o4("ask", "x", "--flex", "--max-output", "10000", "--max-cost", "0.03", "--dry-run").code == 0
    r = o4("ask", "x", "--flex", "--flex-fallback", "--max-output", "10000", "--max-cost", "0.03")
    assert r.code == 6 and "standard price" in r.stderr and emulator.log == []


def test_stdin_that_is_not_utf8_is_read_with_a_warning(o4, emulator):
    r = o4("ask", "review", input=b"caf\xe9 au lait\n")
    assert r.code == 0, r.stderr
    assert "not UTF-8" in r.stderr and "Traceback" not in r.stderr
    assert emulator.bodies()[0]["input"] == "review\n\ncaf\ufffd au lait"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["ask", "x", "--max-cost", "nan"], "--max-cost"),
        (["usage", "--since", "99999999d"], "too far back"),
        (["batch", "status", "batch_x", "--watch", "--interval", "0"], "--interval"),
    ],
)
def test_odd_flag_values_are_refused(o4, args, fragment):
    r = o4(*args)
    assert r.code == 2 and fragment in r.stderr and "Traceback" not in r.stderr


def test_a_bad_base_url_is_named(o4):
    r = o4("config", "set", "base_url", "http://[::1")
    assert r.code == 2 and "'base_url' must be a valid URL" in r.stderr


def test_output_paths_that_cannot_be_written(o4, emulator, tmp_path):
    p = tmp_path / "p.txt"
    p.write_text("one\n")
    r = o4("batch", "run", str(p), "-o", str(tmp_path))
    assert r.code == 2 and "is a folder" in r.stderr
    r = o4("batch", "run", str(p), "-o", str(tmp_path / "missing" / "o.jsonl"))
    assert r.code == 2 and "does not exist" in r.stderr
    assert emulator.log == []


def test_results_text_goes_to_the_output_file(o4, emulator, tmp_path):
    emulator.batch_timing = dict(FAST)
    p = tmp_path / "p.txt"
    p.write_text("one\n")
    bid = o4("batch", "submit", str(p)).stdout.strip()
    o4("batch", "status", bid, "--watch", "--interval", "0.05", "-q")
    out = tmp_path / "answers.tsv"
    r = o4("batch", "results", bid, "--text", "-o", str(out))
    assert r.code == 0 and r.stdout == "" and out.read_text() == "line-1\tEcho: one\n"


def test_usage_with_a_profile_counts_that_profile_only(o4, emulator):
    o4("config", "set", "-p", "work", "tier", "2")
    assert o4("ask", "x").code == 0
    assert o4("ask", "y", "-p", "work").code == 0
    assert json.loads(o4("usage", "-p", "work", "--json").stdout)["total"]["requests"] == 1
    assert json.loads(o4("usage", "--json").stdout)["total"]["requests"] == 2
