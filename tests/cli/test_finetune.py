"""`o4 finetune ...` end to end against the emulator's Files and fine-tuning APIs.

The live view of `status --watch` in a real terminal: tests/e2e/test_terminal.py."""

import json
import sqlite3
import time
from decimal import Decimal
from pathlib import Path

import pytest

FAST = {"validating_files": 0.05, "queued": 0.05, "step": 0.05}
GRADER = {"type": "string_check", "name": "exact", "input": "{{sample.output_text}}", "reference": "{{item.answer}}", "operation": "eq"}


@pytest.fixture
def emu(emulator):
    emulator.ft_timing = dict(FAST)
    return emulator


def rft_line(i: int, **extra) -> dict:
    return {
        "messages": [{"role": "developer", "content": "Answer with a number."}, {"role": "user", "content": f"What is {i} + {i}?"}],
        "answer": str(2 * i),
        **extra,
    }


def write_jsonl(tmp_path: Path, name: str, lines: list) -> Path:
    p = tmp_path / name
    p.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    return p


def rft_files(tmp_path: Path, n: int = 12, grader: dict = GRADER) -> tuple[Path, Path, Path]:
    train = write_jsonl(tmp_path, "train.jsonl", [rft_line(i) for i in range(n)])
    valid = write_jsonl(tmp_path, "valid.jsonl", [rft_line(100 + i) for i in range(3)])
    g = tmp_path / "grader.json"
    g.write_text(json.dumps(grader))
    return train, valid, g


def posts(emu, path: str) -> list:
    return [r for r in emu.log if r.method == "POST" and r.path.split("?")[0] == path]


def jobs_in_ledger(env) -> list[dict]:
    path = Path(env["O4_DATA_DIR"]) / "ledger.db"
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    rows = [dict(r) for r in db.execute("SELECT * FROM jobs WHERE kind = 'finetune' ORDER BY id")]
    db.close()
    for r in rows:
        r["state"] = json.loads(r["state"])
    return rows


def create(o4, tmp_path, *extra, n=12):
    train, valid, g = rft_files(tmp_path, n)
    r = o4("finetune", "create", "--train", str(train), "--valid", str(valid), "--grader", str(g), *extra)
    assert r.code == 0, r.stderr
    return r.stdout.strip()


def wait_until(emu, job_id: str, status: str, timeout: float = 10) -> dict:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        job = emu.ft_job(job_id)
        if job["status"] == status:
            return job
        time.sleep(0.02)
    raise AssertionError(f"{job_id} never became {status}: {emu.ft_job(job_id)['status']}")


# ------------------------------------------------------------------ validate


def test_validate_reports_every_problem_with_its_line_and_sends_nothing(o4, emu, tmp_path):
    train = write_jsonl(tmp_path, "t.jsonl", [
        rft_line(1),
        {"messages": [{"role": "system", "content": "x"}, {"role": "user", "content": "hi"}], "answer": "1"},
        {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "2"}], "answer": "2"},
        {"messages": [{"role": "user", "content": "hi"}]},
        "{oops",
        "",
        "[1, 2]",
        {"messages": []},
        rft_line(9),
    ])  # fmt: skip
    g = tmp_path / "g.json"
    g.write_text(json.dumps(GRADER))
    r = o4("finetune", "validate", str(train), "--grader", str(g))
    assert r.code == 2
    err = r.stderr
    assert f"{train}:2: messages[0].role: 'system' is not supported: use 'developer'" in err
    assert f"{train}:3: messages: the last message must be the user's, not 'assistant'" in err
    assert f"{train}:4: no field 'answer': the grader reads {{{{item.answer}}}}" in err
    assert f"{train}:5: not JSON" in err and f"{train}:7: not a JSON object" in err
    assert f"{train}:8: messages: missing or empty" in err
    assert f"{train}:6: warning: blank line" in err
    assert ":1:" not in err and ":9:" not in err
    assert "7 problems found" in err  # line 8 lacks both messages and answer
    assert "examples: 6" in r.stdout  # the statistics still print (6 JSON objects)
    assert emu.log == []


def test_validate_good_file_prints_statistics(o4, emu, tmp_path):
    train, _, g = rft_files(tmp_path, 11)
    r = o4("finetune", "validate", str(train), "--grader", str(g), "--json")
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout, parse_float=Decimal)
    assert doc["ok"] and doc["examples"] == 11 and doc["method"] == "reinforcement" and doc["problems"] == []
    t = doc["tokens"]
    assert 0 < t["min"] <= t["median"] <= t["max"] and t["total"] >= 11 * t["min"] and t["counting"] in ("heuristic", "o200k_base")
    assert doc["cost"]["billing"] == "per_training_hour" and doc["cost"]["hourly_usd"] == 100 and doc["cost"]["usd"] is None
    assert "cannot be estimated from tokens" in doc["cost"]["note"]
    assert doc["grader"]["item_fields"] == ["item.answer"] and doc["grader"]["remote_check"] is None
    plain = o4("finetune", "validate", str(train), "--grader", str(g))
    assert "examples: 11" in plain.stdout and "tokens per example: min" in plain.stdout and "$100/h" in plain.stdout
    nog = o4("finetune", "validate", str(train))
    assert nog.code == 0 and "warning: no --grader" in nog.stderr
    assert emu.log == []


def test_validate_supervised_and_dpo_rules(o4, emu, tmp_path):
    chat = lambda *roles: {"messages": [{"role": r, "content": f"{r} says"} for r in roles]}  # noqa: E731
    sft = write_jsonl(tmp_path, "sft.jsonl", [chat("system", "user", "assistant")] * 10 + [chat("user"), chat("user", "assistant", "user"), chat("user", "boss")])
    r = o4("finetune", "validate", str(sft), "--method", "supervised")
    assert r.code == 2
    assert f"{sft}:11: messages: no assistant message to learn from" in r.stderr
    assert f"{sft}:12: messages: the last message must be the assistant's, not 'user'" in r.stderr
    assert f"{sft}:13: messages[1].role: 'boss' is not one of" in r.stderr
    few = write_jsonl(tmp_path, "few.jsonl", [chat("user", "assistant")] * 3)
    r = o4("finetune", "validate", str(few), "--method", "supervised")
    assert r.code == 2 and "3 examples: a supervised training file needs at least 10" in r.stderr

    good = {"input": {"messages": [{"role": "user", "content": "q"}]}, "preferred_output": [{"role": "assistant", "content": "good"}],
            "non_preferred_output": [{"role": "assistant", "content": "bad"}]}  # fmt: skip
    dpo = write_jsonl(tmp_path, "dpo.jsonl", [good] * 10 + [{**good, "preferred_output": []}, {"input": {"messages": [{"role": "user", "content": "q"}]}, "preferred_output": good["preferred_output"], "non_preferred_output": good["preferred_output"]}])
    r = o4("finetune", "validate", str(dpo), "--method", "dpo", "--json")
    assert r.code == 2
    problems = {(p["line"], p["reason"]) for p in json.loads(r.stdout)["problems"]}
    assert (11, "preferred_output: a non-empty list of assistant messages") in problems
    assert (12, "preferred_output and non_preferred_output are the same") in problems
    ok = o4("finetune", "validate", str(write_jsonl(tmp_path, "d2.jsonl", [good] * 10)), "--method", "dpo", "--model", "gpt-4.1-mini-2025-04-14", "--json")
    assert ok.code == 0, ok.stderr
    assert json.loads(ok.stdout)["cost"]["billing"] == "per_trained_token"
    assert emu.log == []


def test_validate_grader_problems_name_their_json_path(o4, emu, tmp_path):
    train, _, _ = rft_files(tmp_path, 3)
    bad = {
        "type": "multi", "name": "mix", "calculate_output": "0.5 * exact + 0.5 * sim + bonus",
        "graders": {
            "exact": {"type": "string_check", "name": "e", "input": "{{sample.output_text}}", "reference": "{{item.answer}}", "operation": "equals"},
            "sim": {"type": "text_similarity", "name": "s", "input": "{{sample.output_text}}", "reference": "{{item.solution}}"},
            "judge": {"type": "score_model", "name": "j", "model": "o4-mini-2025-04-16", "input": [{"role": "user", "content": "Rate {{sample.output_text}}"}],
                      "sampling_params": {"max_completion_tokens": 100, "temperature": 0.2}},
            "code": {"type": "python", "name": "p", "source": "def grade(sample, item):\n    return item['answer'] ==\n"},
        },
    }  # fmt: skip
    g = tmp_path / "bad.json"
    g.write_text(json.dumps(bad))
    r = o4("finetune", "validate", str(train), "--grader", str(g))
    assert r.code == 2
    err = r.stderr
    assert f"{g}: grader.graders.exact.operation: 'equals' is not one of eq, ne, like, ilike" in err
    assert f"{g}: grader.graders.sim.evaluation_metric: required for text_similarity graders" in err
    assert f"{g}: grader.graders.judge.sampling_params.max_completion_tokens: the API spells it max_completions_tokens" in err
    assert "is a reasoning model: leave temperature and top_p at their defaults" in err
    assert f"{g}: grader.graders.code.source line 2: invalid syntax" in err
    assert "grader.calculate_output: 'bonus' is neither a grader" in err
    assert f"{train}:1: no field 'solution': the grader reads {{{{item.solution}}}}" in err
    assert emu.log == []


def test_validate_remote_check(o4, emu, tmp_path):
    train, _, g = rft_files(tmp_path, 3)
    r = o4("finetune", "validate", str(train), "--grader", str(g), "--remote-check", "--json")
    assert r.code == 0, r.stderr
    assert json.loads(r.stdout)["grader"]["remote_check"] == "passed" and "the API accepts the grader" in r.stderr
    (sent,) = posts(emu, "/v1/fine_tuning/alpha/graders/validate")
    assert json.loads(sent.body) == {"grader": GRADER}
    emu.grader_verdicts.append("operation 'eq' cannot compare an empty reference.")
    r = o4("finetune", "validate", str(train), "--grader", str(g), "--remote-check")
    assert r.code == 1 and "the API rejected the grader: Invalid grader: operation 'eq' cannot compare" in r.stderr
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**GRADER, "operation": "nope"}))
    r = o4("finetune", "validate", str(train), "--grader", str(bad), "--remote-check")
    assert r.code == 2 and len(posts(emu, "/v1/fine_tuning/alpha/graders/validate")) == 2  # a known-bad grader is not sent


def test_validate_usage_errors(o4, emu, tmp_path):
    train, _, g = rft_files(tmp_path, 3)
    r = o4("finetune", "validate", str(tmp_path / "missing.jsonl"))
    assert r.code == 2 and f"o4: error: {tmp_path / 'missing.jsonl'}: no such file" in r.stderr  # no metavar in it
    r = o4("finetune", "validate", str(train), "--method", "supervised", "--model", "o4-mini")
    assert r.code == 2 and "fine-tuned by reinforcement only" in r.stderr
    assert o4("finetune", "validate", str(train), "--method", "dpo", "--grader", str(g)).code == 2
    nojson = tmp_path / "g2.json"
    nojson.write_text("{not json")
    r = o4("finetune", "validate", str(train), "--grader", str(nojson))
    assert r.code == 2 and "not JSON" in r.stderr
    assert emu.log == []


# ------------------------------------------------------------------ create


def test_create_with_every_option(o4, emu, env, tmp_path):
    job_id = create(
        o4, tmp_path, "--effort", "low", "--suffix", "math", "--seed", "7", "--metadata", "team=search",
        "--hp", "compute_multiplier=0.5", "--hp", "eval_interval=2", "--hp", "eval_samples=3",
        "--hp", "n_epochs=2", "--hp", "batch_size=auto", "--hp", "learning_rate_multiplier=1.5",
    )  # fmt: skip
    assert job_id.startswith("ftjob-") and job_id in emu.ft_jobs
    uploads = posts(emu, "/v1/files")
    assert len(uploads) == 2 and all(b'name="purpose"\r\n\r\nfine-tune' in u.body for u in uploads)
    (sent,) = posts(emu, "/v1/fine_tuning/jobs")
    body = json.loads(sent.body)
    assert body["model"] == "o4-mini-2025-04-16" and body["suffix"] == "math" and body["seed"] == 7
    assert body["method"] == {
        "type": "reinforcement",
        "reinforcement": {
            "grader": GRADER,
            "hyperparameters": {"compute_multiplier": 0.5, "eval_interval": 2, "eval_samples": 3, "n_epochs": 2,
                                "batch_size": "auto", "learning_rate_multiplier": 1.5, "reasoning_effort": "low"},
        },
    }  # fmt: skip
    assert body["metadata"]["team"] == "search" and body["metadata"]["o4_input"]
    files = {f["id"]: f for f in emu.files.values()}
    assert files[body["training_file"]]["purpose"] == "fine-tune" and files[body["validation_file"]]["bytes"] == (tmp_path / "valid.jsonl").stat().st_size
    (row,) = jobs_in_ledger(env)
    assert row["remote_id"] == job_id and row["model"] == "o4-mini-2025-04-16" and row["label"] == "math"
    st = row["state"]
    assert st["train_file_id"] == body["training_file"] and st["valid_file_id"] == body["validation_file"]
    assert st["method"] == "reinforcement" and st["examples"] == 12 and st["tokens"] > 0 and st["tag"] == body["metadata"]["o4_input"]


@pytest.mark.parametrize(
    "hp, message",
    [
        ("compute_multiplier=0", "out of range"),
        ("compute_multiplier=11", "out of range"),
        ("n_epochs=51", "out of range"),
        ("n_epochs=2.5", "expected an integer"),
        ("batch_size=0", "out of range"),
        ("eval_samples=lots", "expected an integer"),
        ("learning_rate_multiplier=0", "out of range"),
        ("beta=0.1", "not a reinforcement hyperparameter"),
        ("reasoning_effort=high", "use --effort"),
        ("n_epochs", "expected KEY=VALUE"),
    ],
)
def test_create_checks_hyperparameters_before_sending(o4, emu, tmp_path, hp, message):
    train, valid, g = rft_files(tmp_path, 3)
    r = o4("finetune", "create", "--train", str(train), "--grader", str(g), "--hp", hp)
    assert r.code == 2 and message in r.stderr
    assert emu.log == []


def test_create_refuses_bad_input_and_uploads_nothing(o4, emu, tmp_path):
    train, valid, g = rft_files(tmp_path, 3)
    bad_valid = write_jsonl(tmp_path, "bad.jsonl", [rft_line(1), {"messages": [{"role": "user", "content": "x"}]}])
    r = o4("finetune", "create", "--train", str(train), "--valid", str(bad_valid), "--grader", str(g))
    assert r.code == 2 and f"{bad_valid}:2: no field 'answer'" in r.stderr and "nothing was uploaded" in r.stderr
    cases = [
        (["--train", str(train)], "needs --grader FILE"),
        (["--train", str(train), "--grader", str(g), "--method", "supervised"], "fine-tuned by reinforcement only"),
        (["--train", str(train), "--model", "gpt-4.1-mini-2025-04-14", "--method", "supervised", "--effort", "low"], "--effort goes with --method reinforcement"),
        (["--train", str(train), "--grader", str(g), "--suffix", "x" * 65], "--suffix takes 1 to 64"),
        (["--train", str(train), "--grader", str(g), "--metadata", "o4_input=x"], "o4's own"),
        (["--train", str(train), "--grader", str(g), "--seed", "-1"], ""),
        (["--train", str(tmp_path / "none.jsonl"), "--grader", str(g)], f"--train {tmp_path / 'none.jsonl'}: no such file"),
        (["--train", str(train), "--valid", "nope.jsonl", "--grader", str(g)], "--valid nope.jsonl: no such file"),
        (["--train", str(train), "--grader", "nope.json"], "--grader nope.json: no such file"),
    ]
    for args, message in cases:
        r = o4("finetune", "create", *args)
        assert r.code == 2 and message in r.stderr, (args, r.stderr)
    many = write_jsonl(tmp_path, "big-valid.jsonl", [rft_line(i) for i in range(1001)])
    r = o4("finetune", "create", "--train", str(train), "--valid", str(many), "--grader", str(g))
    assert r.code == 2 and "1,001 examples: a reinforcement validation file takes at most 1,000" in r.stderr
    assert emu.log == []


def test_create_dry_run_prints_the_request(o4, emu, tmp_path):
    train, valid, g = rft_files(tmp_path, 3)
    r = o4("finetune", "create", "--train", str(train), "--valid", str(valid), "--grader", str(g), "--hp", "n_epochs=3", "--dry-run",
           extra_env={"OPENAI_API_KEY": None})  # fmt: skip
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout, parse_float=Decimal)
    assert doc["dry_run"] is True and doc["id"] is None and doc["status"] is None and doc["model"] == "o4-mini-2025-04-16"
    assert doc["cost"]["hourly_usd"] == 100 and "dry run: would upload train.jsonl" in r.stderr
    assert doc["request"]["training_file"] == "<upload of train.jsonl>" and doc["request"]["method"]["reinforcement"]["hyperparameters"] == {"n_epochs": 3}
    assert [f["examples"] for f in doc["files"]] == [3, 3] and doc["cost"]["epochs"] == 3
    assert emu.log == []


def test_create_without_validation_file_warns(o4, emu, tmp_path):
    train, _, g = rft_files(tmp_path, 3)
    r = o4("finetune", "create", "--train", str(train), "--grader", str(g))
    assert r.code == 0 and "warning: no --valid" in r.stderr
    assert "validation_file" not in json.loads(posts(emu, "/v1/fine_tuning/jobs")[0].body)


def test_create_wait_prints_the_fine_tuned_model(o4, emu, tmp_path):
    train, valid, g = rft_files(tmp_path)
    r = o4("finetune", "create", "--train", str(train), "--valid", str(valid), "--grader", str(g), "--suffix", "math", "--wait", "--interval", "0.05")
    assert r.code == 0, r.stderr
    (job_id,) = emu.ft_jobs
    assert r.stdout == f"ft:o4-mini-2025-04-16:org-test:math:{job_id.split('-', 1)[1]}\n"
    assert f"created {job_id}" in r.stderr and "succeeded" in r.stderr


def test_create_wait_reports_a_failed_job(o4, emu, tmp_path):
    emu.ft_outcome(fail_at_step=3, error_message="The grader failed on 80% of samples.")
    train, valid, g = rft_files(tmp_path)
    r = o4("finetune", "create", "--train", str(train), "--valid", str(valid), "--grader", str(g), "--wait", "--interval", "0.05", "--json")
    assert r.code == 1
    assert "failed: grader_error: The grader failed on 80% of samples." in r.stderr
    doc = json.loads(r.stdout)
    assert doc["status"] == "failed" and doc["fine_tuned_model"] is None and doc["error"]["code"] == "grader_error"


def test_same_input_is_not_submitted_twice_unless_forced(o4, emu, tmp_path):
    first = create(o4, tmp_path)
    train, valid, g = (tmp_path / n for n in ("train.jsonl", "valid.jsonl", "grader.json"))
    again = o4("finetune", "create", "--train", str(train), "--valid", str(valid), "--grader", str(g))
    assert again.code == 0 and again.stdout.strip() == first and "submitted before" in again.stderr
    assert len(posts(emu, "/v1/files")) == 2 and len(emu.ft_jobs) == 1
    forced = o4("finetune", "create", "--train", str(train), "--valid", str(valid), "--grader", str(g), "--force")
    assert forced.code == 0 and forced.stdout.strip() != first and len(emu.ft_jobs) == 2
    changed = o4("finetune", "create", "--train", str(train), "--valid", str(valid), "--grader", str(g), "--hp", "n_epochs=2")
    assert changed.code == 0 and len(emu.ft_jobs) == 3  # other settings: another job


def test_interrupted_create_resumes_without_a_second_upload(o4, emu, env, tmp_path):
    train, valid, g = rft_files(tmp_path)
    args = ("finetune", "create", "--train", str(train), "--valid", str(valid), "--grader", str(g))
    emu.fault(status=503, method="POST", path="/v1/fine_tuning/jobs")
    r = o4(*args)
    assert r.code == 5 and "run the same command again to resume" in r.stderr
    assert len(posts(emu, "/v1/files")) == 2 and emu.ft_jobs == {}
    assert jobs_in_ledger(env)[0]["status"] == "creating"
    r = o4(*args)
    assert r.code == 0, r.stderr
    assert "resuming the earlier create" in r.stderr
    assert len(posts(emu, "/v1/files")) == 2 and list(emu.ft_jobs) == [r.stdout.strip()]
    (row,) = jobs_in_ledger(env)
    assert row["remote_id"] == r.stdout.strip()


def test_lost_answers_are_found_not_repeated(o4, emu, tmp_path):
    """The upload and the job arrived, but the answers did not (timeouts): nothing twice."""
    train, valid, g = rft_files(tmp_path)
    args = ("finetune", "create", "--train", str(train), "--valid", str(valid), "--grader", str(g))
    o4("config", "set", "timeout", "0.5")
    emu.fault(delay=1.2, method="POST", path="/v1/files")
    assert o4(*args).code == 5
    emu.wait_idle()  # the upload is stored after the client gave up
    emu.fault(delay=1.2, method="POST", path="/v1/fine_tuning/jobs")
    r = o4(*args)
    assert r.code == 5 and "found the earlier upload" in r.stderr
    emu.wait_idle()  # and so is the job
    assert len(emu.ft_jobs) == 1
    r = o4(*args)
    assert r.code == 0, r.stderr
    assert "found the earlier job" in r.stderr and r.stdout.strip() == next(iter(emu.ft_jobs))
    assert len([f for f in emu.files.values() if f["purpose"] == "fine-tune"]) == 2 and len(emu.ft_jobs) == 1


def test_supervised_and_dpo_jobs_use_the_same_commands(o4, emu, tmp_path):
    chat = {"messages": [{"role": "system", "content": "terse"}, {"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}
    sft = write_jsonl(tmp_path, "sft.jsonl", [chat] * 10)
    r = o4("finetune", "create", "--train", str(sft), "--method", "supervised", "--model", "gpt-4.1-mini-2025-04-14", "--hp", "n_epochs=3", "--hp", "learning_rate_multiplier=0.1")
    assert r.code == 0, r.stderr
    pair = {"input": {"messages": [{"role": "user", "content": "q"}]}, "preferred_output": [{"role": "assistant", "content": "good"}],
            "non_preferred_output": [{"role": "assistant", "content": "bad"}]}  # fmt: skip
    dpo = write_jsonl(tmp_path, "dpo.jsonl", [pair] * 10)
    r = o4("finetune", "create", "--train", str(dpo), "--method", "dpo", "--model", "gpt-4.1-mini-2025-04-14", "--hp", "beta=0.2", "--wait", "--interval", "0.05")
    assert r.code == 0, r.stderr
    assert r.stdout.startswith("ft:gpt-4.1-mini-2025-04-14:org-test::")
    sent = [json.loads(x.body)["method"] for x in posts(emu, "/v1/fine_tuning/jobs")]
    assert sent == [
        {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 3, "learning_rate_multiplier": 0.1}}},
        {"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.2}}},
    ]
    (dpo_id,) = [j for j in emu.ft_jobs if emu.ft_job(j)["method"]["type"] == "dpo"]
    table = o4("finetune", "checkpoints", dpo_id)
    assert table.code == 0 and "train_loss" in table.stdout.splitlines()[0] and "valid_loss" in table.stdout.splitlines()[0]


def test_multi_grader_in_both_shapes(o4, emu, tmp_path):
    sub = {"type": "text_similarity", "name": "sim", "input": "{{sample.output_text}}", "reference": "{{item.answer}}", "evaluation_metric": "fuzzy_match"}
    docs_form = {"type": "multi", "name": "mix", "graders": {"exact": GRADER, "sim": sub}, "calculate_output": "0.7 * exact + 0.3 * sim"}
    train, valid, g = rft_files(tmp_path, 3, grader=docs_form)
    r = o4("finetune", "validate", str(train), "--grader", str(g), "--json")
    assert r.code == 0, r.stderr
    assert json.loads(r.stdout)["grader"]["type"] == "multi"
    # The OpenAPI spec types multi.graders as one grader (the guides: a map of named graders);
    # the contract check enforces the spec, so only that form goes over the wire here.
    spec_form = {"type": "multi", "name": "mix", "graders": sub, "calculate_output": "min(sim, 1)"}
    g.write_text(json.dumps(spec_form))
    r = o4("finetune", "create", "--train", str(train), "--valid", str(valid), "--grader", str(g), "--remote-check")
    assert r.code == 0, r.stderr
    assert json.loads(posts(emu, "/v1/fine_tuning/jobs")[0].body)["method"]["reinforcement"]["grader"] == spec_form


# ------------------------------------------------------------------ reading


def test_status_list_events_checkpoints_after_success(o4, emu, env, tmp_path):
    job_id = create(o4, tmp_path, "--suffix", "math", "--hp", "eval_interval=2")
    wait_until(emu, job_id, "succeeded")

    st = o4("finetune", "status", job_id, "--json")
    assert st.code == 0, st.stderr
    doc = json.loads(st.stdout)
    assert doc["status"] == "succeeded" and doc["fine_tuned_model"].startswith("ft:o4-mini-2025-04-16:org-test:math:")
    assert doc["trained_tokens"] > 0 and doc["latest_metrics"]["step"] == 6 and doc["latest_metrics"]["total_steps"] == 6
    assert doc["latest_metrics"]["train_reward_mean"] == 0.8 and doc["latest_metrics"]["valid_reward_mean"] == 0.75
    plain = o4("finetune", "status")  # no id: the newest job in the ledger
    assert "status: succeeded" in plain.stdout and "latest metrics: step 6/6 · train_reward_mean 0.8" in plain.stdout
    assert jobs_in_ledger(env)[0]["status"] == "succeeded"
    assert jobs_in_ledger(env)[0]["state"]["fine_tuned_model"] == doc["fine_tuned_model"]

    rows = json.loads(o4("finetune", "list", "--json").stdout)
    assert [(r["id"], r["status"], r["method"], r["label"], r["in_ledger"]) for r in rows] == [(job_id, "succeeded", "reinforcement", "math", True)]
    table = o4("finetune", "list").stdout.splitlines()
    assert table[0].split("\t")[:3] == ["job", "status", "model"] and table[1].startswith(job_id)

    ev = o4("finetune", "events", job_id)
    lines = ev.stdout.splitlines()
    assert "Created fine-tuning job" in lines[0] and "successfully completed" in lines[-1]
    steps = [line for line in lines if "Step " in line]
    assert [s.split("Step ")[1].split(":")[0] for s in steps] == [f"{i}/6" for i in range(1, 7)]
    jl = [json.loads(line) for line in o4("finetune", "events", job_id, "--json").stdout.splitlines()]
    assert len(jl) == len(lines) and all(e["object"] == "fine_tuning.job.event" for e in jl)
    assert [e["created_at"] for e in jl] == sorted(e["created_at"] for e in jl)

    cp = o4("finetune", "checkpoints", job_id, "--json")
    points = json.loads(cp.stdout)
    assert [p["step_number"] for p in points] == [2, 4, 6]
    assert all("valid_reward_mean" in p["metrics"] for p in points)
    table = o4("finetune", "checkpoints", job_id).stdout.splitlines()
    assert table[0].split("\t") == ["step", "checkpoint", "created", "train_reward_mean", "valid_reward_mean", "full_valid_mean_reward"]
    assert table[-1].startswith("6\tft:o4-mini-2025-04-16:org-test:math:") and "ckpt-step-6" in table[-1]


def test_long_jobs_page_through_events_and_checkpoints(o4, emu, tmp_path):
    emu.ft_outcome(steps=250, timing={"step": 0.001})
    chat = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}
    sft = write_jsonl(tmp_path, "sft.jsonl", [chat] * 10)
    r = o4("finetune", "create", "--train", str(sft), "--method", "supervised", "--model", "gpt-4.1-mini-2025-04-14", "--wait", "--interval", "0.05")
    assert r.code == 0, r.stderr
    (job_id,) = emu.ft_jobs
    lines = o4("finetune", "events", job_id).stdout.splitlines()
    assert len(lines) == len(emu.ft_jobs[job_id].events) > 300 and len(set(lines)) == len(lines)
    assert [line.split("Step ")[1].split("/")[0] for line in lines if "Step " in line] == [str(i) for i in range(1, 251)]
    points = json.loads(o4("finetune", "checkpoints", job_id, "--json").stdout)
    assert [p["step_number"] for p in points] == list(range(2, 251, 2))
    pages = [x.path for x in emu.log if "/events" in x.path or "/checkpoints" in x.path]
    assert sum("after=" in p for p in pages) >= 4  # 100 a page: events and checkpoints took several


def test_events_follow_streams_until_the_end(o4, emu, tmp_path):
    emu.ft_timing = {"validating_files": 0.2, "queued": 0.2, "step": 0.1}
    job_id = create(o4, tmp_path)
    r = o4("finetune", "events", job_id, "--follow", "--interval", "0.05")
    assert r.code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert "Created fine-tuning job" in lines[0] and "successfully completed" in lines[-1]
    assert len(lines) == len(set(lines)) and sum("Step " in line for line in lines) == 6

    emu.ft_outcome(fail_validation=True)
    job2 = create(o4, tmp_path, "--force")
    r = o4("finetune", "events", job2, "--follow", "--interval", "0.05", "--json")
    assert r.code == 1 and "invalid_training_file" in r.stderr
    assert json.loads(r.stdout.splitlines()[-1])["level"] == "error"


def test_status_watch_piped_prints_one_line_per_change(o4, emu, tmp_path):
    # The job lives on the emulator's clock, which moves one phase or step at each poll
    # of the job (not with the wall clock): every poll sees a change, whatever the load.
    emu.ft_timing = {"validating_files": 1, "queued": 1, "step": 1}
    emu.clock.tick_on_read = 1.0
    emu.clock.freeze()  # the wall clock must not move the job between the create and the first poll
    job_id = create(o4, tmp_path)
    r = o4("finetune", "status", job_id, "--watch", "--interval", "0.03")
    assert r.code == 0, r.stderr
    head = f"o4: {job_id}: "
    lines = [line.removeprefix(head) for line in r.stderr.splitlines() if line.startswith(head)]
    assert len(lines) == len(set(lines))  # a line per change, never a repeat
    assert lines[0] == "queued"
    steps = [line.split(" · ")[1] for line in lines if line.startswith("running · ")]
    assert steps == [f"step {i}/6" for i in range(1, 6)]  # each step once, in order
    assert lines[-1].startswith("succeeded · step 6/6")
    assert "status: succeeded" in r.stdout and "\x1b[" not in r.stderr

    emu.ft_outcome(fail_at_step=2)
    job2 = create(o4, tmp_path, "--force")
    r = o4("finetune", "status", job2, "--watch", "--interval", "0.03", "-q")
    assert r.code == 1 and "failed: grader_error" in r.stderr and "status: failed" in r.stdout


def test_cancel_pause_resume_and_their_refusals(o4, emu, env, tmp_path):
    emu.ft_timing = {"validating_files": 60, "queued": 60, "step": 0.2}
    emu.ft_outcome(steps=40)
    job_id = create(o4, tmp_path)
    r = o4("finetune", "pause", job_id)
    assert r.code == 1 and f"cannot pause {job_id}: it is validating_files, and only a running job can be paused" in r.stderr
    r = o4("finetune", "resume", job_id)
    assert r.code == 1 and "only a paused job can be resumed" in r.stderr
    assert posts(emu, f"/v1/fine_tuning/jobs/{job_id}/pause") == []  # refused here, nothing sent

    emu.ft_jobs[job_id].retime(validating_files=0, queued=0)
    wait_until(emu, job_id, "running")
    emu.clock.freeze()  # from here the job moves only when the test says: it cannot end early
    r = o4("finetune", "pause", job_id)
    assert r.code == 0 and r.stdout == f"{job_id} paused\n", r.stderr
    emu.ft_job(job_id)
    n_events = len(emu.ft_jobs[job_id].events)
    emu.clock.advance(10)  # 50 steps' time: a paused job stays where it was
    assert emu.ft_job(job_id)["status"] == "paused" and len(emu.ft_jobs[job_id].events) == n_events
    assert jobs_in_ledger(env)[0]["status"] == "paused"
    r = o4("finetune", "pause", job_id)
    assert r.code == 1 and "o4 finetune resume" in r.stderr
    r = o4("finetune", "resume", job_id, "--json")
    assert r.code == 0 and json.loads(r.stdout)["status"] == "running"
    r = o4("finetune", "cancel", job_id)
    assert r.code == 0 and r.stdout == f"{job_id} cancelled\n"
    r = o4("finetune", "cancel", job_id)
    assert r.code == 1 and f"{job_id} has already cancelled: there is nothing to cancel" in r.stderr
    ev = o4("finetune", "events", job_id).stdout
    assert "paused at step" in ev and "resumed at step" in ev and "cancelled" in ev
    w = o4("finetune", "status", job_id, "--watch", "--interval", "0.05")
    assert w.code == 1 and "cancelled" in w.stderr


def test_the_emulator_refuses_actions_its_state_does_not_allow(emu):
    import httpx

    from tests.emulator import TEST_KEY

    emu.ft_timing = {"validating_files": 5, "queued": 5, "step": 5}
    fid = emu.put_file(b"{}\n", "t.jsonl", "fine-tune")["id"]
    h = {"Authorization": f"Bearer {TEST_KEY}"}
    body = {"model": "o4-mini-2025-04-16", "training_file": fid, "method": {"type": "reinforcement", "reinforcement": {"grader": GRADER}}}
    job = httpx.post(f"{emu.url}/fine_tuning/jobs", json=body, headers=h).json()
    r = httpx.post(f"{emu.url}/fine_tuning/jobs/{job['id']}/pause", headers=h)
    assert r.status_code == 400 and "only a job that is running can be paused" in r.json()["error"]["message"]
    r = httpx.post(f"{emu.url}/fine_tuning/jobs/{job['id']}/resume", headers=h)
    assert r.status_code == 400 and "its status is 'validating_files'" in r.json()["error"]["message"]
    r = httpx.post(f"{emu.url}/fine_tuning/jobs", json={**body, "model": "gpt-4.1-mini-2025-04-14"}, headers=h)
    assert r.status_code == 400 and "does not support reinforcement" in r.json()["error"]["message"]
    listing = httpx.get(f"{emu.url}/fine_tuning/jobs", params={"metadata[x]": "y"}, headers=h).json()
    assert listing["data"] == []


def test_api_refusals_and_unknown_jobs(o4, emu, tmp_path):
    r = o4("finetune", "status", "ftjob-nope")
    assert r.code == 1 and "No fine-tuning job found" in r.stderr
    assert o4("finetune", "status").code == 2  # empty ledger and no id
    train, valid, g = rft_files(tmp_path, 3)
    emu.fault(status=400, method="POST", path="/v1/fine_tuning/jobs",
              body={"error": {"message": "Fine-tuning is not available for this organization.", "type": "invalid_request_error", "param": None, "code": None}})  # fmt: skip
    r = o4("finetune", "create", "--train", str(train), "--valid", str(valid), "--grader", str(g))
    assert r.code == 1 and "not available for this organization" in r.stderr


# ------------------------------------------------------------------ the commands themselves

COMMANDS = ("validate", "create", "status", "list", "events", "checkpoints", "cancel", "pause", "resume")


def test_every_command_takes_the_global_options_and_its_help_shows_no_raw_types(o4):
    import re

    for name in COMMANDS:
        r = o4("finetune", name, "--help", extra_env={"COLUMNS": "200"})
        assert r.code == 0, (name, r.stderr)
        opts = re.findall(r"^  (?:-\w, )?(--[\w-]+)", r.stdout, re.M)
        assert opts[-6:] == ["--json", "--plain", "--quiet", "--profile", "--verbose", "--help"], (name, opts)
        raw = re.findall(r"INTEGER|FLOAT|TEXT|<int range>|<float range>|BOOLEAN", r.stdout)
        assert not raw, (name, raw, r.stdout)


def test_global_options_work_after_every_command(o4, emu, env, tmp_path):
    job_id = create(o4, tmp_path)
    wait_until(emu, job_id, "succeeded")
    for args in (["list"], ["status"], ["events"], ["checkpoints"]):
        r = o4("finetune", *args, "--json", "-q", "--plain", "-p", "default", "-v")
        assert r.code == 0, (args, r.stderr)
        lines = r.stdout.splitlines()
        docs = [json.loads(line) for line in lines] if args == ["events"] else [json.loads(r.stdout)]
        assert docs and "GET " in r.stderr  # -v logged the requests; -q hid the notices
    r = o4("finetune", "cancel", job_id, "--json", "-q")
    assert r.code == 1 and "has already succeeded" in r.stderr


# ------------------------------------------------------------------ the --json documents (the README's tables)

JOB_VIEW = {"id", "status", "model", "method", "created_at", "finished_at", "training_file", "validation_file",
            "trained_tokens", "fine_tuned_model", "suffix", "error"}  # fmt: skip
SHAPES = {
    "validate": {"file", "role", "examples", "bytes", "tokens", "method", "model", "ok", "cost", "grader", "problems", "warnings"},
    "create": JOB_VIEW | {"submitted_before", "dry_run", "request", "files", "cost"},
    "list": JOB_VIEW | {"label", "in_ledger"},
    "status": {"object", "id", "status", "model", "method", "created_at", "finished_at", "training_file", "validation_file",
               "trained_tokens", "fine_tuned_model", "user_provided_suffix", "error", "metadata", "latest_metrics"},  # fmt: skip
    "event": {"object", "id", "created_at", "level", "message", "type", "data"},
    "checkpoint": {"object", "id", "created_at", "step_number", "fine_tuned_model_checkpoint", "metrics", "fine_tuning_job_id"},
    "cost": {"billing", "usd", "hourly_usd", "trained_tokens_per_epoch", "trained_tokens", "epochs", "note"},
    "file": {"file", "role", "examples", "bytes", "tokens"},
    "tokens": {"min", "median", "max", "total", "counting"},
    "grader": {"file", "name", "type", "item_fields", "remote_check"},
    "problem": {"file", "line", "reason"},
}


def load(r):
    assert r.stdout.strip(), r.stderr
    return json.loads(r.stdout, parse_float=Decimal)


def test_every_document_has_one_shape(o4, emu, tmp_path):
    train, valid, g = rft_files(tmp_path)
    ok = load(o4("finetune", "validate", str(train), "--grader", str(g), "--json"))
    bad_file = write_jsonl(tmp_path, "bad.jsonl", [rft_line(1), "", {"messages": []}])
    r = o4("finetune", "validate", str(bad_file), "--grader", str(g), "--json")
    bad = load(r)  # one document: validate's own, with ok false (no error document after it)
    assert r.code == 2 and bad["ok"] is False and "error" not in bad
    for doc in (ok, bad):
        assert set(doc) == SHAPES["validate"] and set(doc["cost"]) == SHAPES["cost"] and set(doc["tokens"]) == SHAPES["tokens"]
        assert set(doc["grader"]) == SHAPES["grader"]
    assert bad["problems"] and all(set(p) == SHAPES["problem"] for p in bad["problems"] + bad["warnings"])
    assert isinstance(ok["cost"]["hourly_usd"], int) and ok["cost"]["hourly_usd"] == 100  # money: a number

    base = ("finetune", "create", "--train", str(train), "--valid", str(valid), "--grader", str(g))
    dry = load(o4(*base, "--dry-run", "--json"))
    made = load(o4(*base, "--json"))
    before = load(o4(*base, "--json"))
    waited = load(o4(*base, "--force", "--wait", "--interval", "0.05", "--json"))
    for doc in (dry, made, before, waited):
        assert set(doc) == SHAPES["create"] and set(doc["cost"]) == SHAPES["cost"]
        assert all(set(f) == SHAPES["file"] for f in doc["files"]) and [f["role"] for f in doc["files"]] == ["training", "validation"]
    assert (dry["dry_run"], made["dry_run"], dry["id"], made["status"]) == (True, False, None, "validating_files")
    assert before["submitted_before"] and before["id"] == made["id"] and before["request"] == made["request"]
    assert made["request"]["training_file"] == made["training_file"] and made["request"]["metadata"]["o4_input"]
    assert waited["status"] == "succeeded" and waited["fine_tuned_model"] and waited["id"] != made["id"]

    job_id = waited["id"]
    st = load(o4("finetune", "status", job_id, "--json"))
    assert SHAPES["status"] <= set(st) and set(st["latest_metrics"]) >= {"step", "total_steps"}
    rows = load(o4("finetune", "list", "--json"))
    assert len(rows) == 2 and all(set(r) == SHAPES["list"] for r in rows)
    lines = o4("finetune", "events", job_id, "--json").stdout.splitlines()
    assert lines and all(set(json.loads(x)) == SHAPES["event"] for x in lines)
    points = load(o4("finetune", "checkpoints", job_id, "--json"))
    assert points and all(set(p) == SHAPES["checkpoint"] for p in points)
    emu.ft_timing = {"validating_files": 60, "queued": 60, "step": 1}
    slow = load(o4(*base, "--force", "--json"))
    acted = load(o4("finetune", "cancel", slow["id"], "--json"))
    assert SHAPES["status"] - {"latest_metrics"} <= set(acted) and acted["status"] == "cancelled"
