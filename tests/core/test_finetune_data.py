"""core.finetune.data: every method's line rules, grader checks, hyperparameters, statistics
(pure, in tables); plus the pure helpers of create and jobs (request body, hash, metrics)."""

import json
from decimal import Decimal
from pathlib import Path

import pytest

from o4cli.core.errors import UsageError
from o4cli.core.finetune import create as ftc
from o4cli.core.finetune import data as fd
from o4cli.core.finetune import jobs as ftj

U = {"role": "user", "content": "What is 2 + 2?"}
D = {"role": "developer", "content": "Answer with a number."}
A = {"role": "assistant", "content": "4"}
SC = {"type": "string_check", "name": "exact", "input": "{{sample.output_text}}", "reference": "{{item.answer}}", "operation": "eq"}


def write(tmp_path: Path, lines: list, name: str = "in.jsonl") -> Path:
    p = tmp_path / name
    p.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    return p


def reasons(tmp_path, lines, method="reinforcement", grader=None, role="training"):
    report = fd.check_file(write(tmp_path, lines), method, role=role, grader=fd.check_grader(grader) if grader else None)
    return [(p.line, p.reason) for p in report.problems]


# ------------------------------------------------------------------ line rules


@pytest.mark.parametrize(
    "line, reason",
    [
        ({"messages": [D, U], "answer": "4"}, None),
        ({"messages": [U], "answer": "4", "tools": [{"type": "function", "function": {"name": "f"}}]}, None),
        ({"messages": [{"role": "user", "content": [{"type": "input_text", "text": "hi"}]}], "answer": "4"}, None),
        ({"answer": "4"}, "messages: missing or empty (a list of messages)"),
        ({"messages": "hi", "answer": "4"}, "messages: missing or empty"),
        ({"messages": [{"role": "system", "content": "x"}, U], "answer": "4"}, "messages[0].role: 'system' is not supported: use 'developer'"),
        ({"messages": [{"role": "robot", "content": "x"}, U], "answer": "4"}, "messages[0].role: 'robot' is not one of assistant, developer, tool, user"),
        ({"messages": [U, A], "answer": "4"}, "messages: the last message must be the user's, not 'assistant'"),
        ({"messages": [{"role": "user", "content": ""}], "answer": "4"}, "messages[0].content: empty"),
        ({"messages": [{"role": "user"}], "answer": "4"}, "messages[0].content: a string or a list of content parts"),
        ({"messages": [{"role": "user", "content": [{"text": "x"}]}], "answer": "4"}, "messages[0].content[0]: a content part with a type"),
        ({"messages": [{"role": "user", "content": [{"type": "text"}]}], "answer": "4"}, "messages[0].content[0].text: a string"),
        ({"messages": ["hi"], "answer": "4"}, "messages[0]: a message object"),
        ({"messages": [U], "answer": "4", "tools": {"f": 1}}, "tools: a list of tool objects"),
        ({"messages": [U]}, "no field 'answer': the grader reads {{item.answer}}"),
    ],
)
def test_reinforcement_line_rules(tmp_path, line, reason):
    got = reasons(tmp_path, [line], grader=SC)
    assert got == ([] if reason is None else [(1, got[0][1])]) and (reason is None or reason in got[0][1])


@pytest.mark.parametrize(
    "line, reason",
    [
        ({"messages": [{"role": "system", "content": "s"}, U, A]}, None),
        ({"messages": [U, {"role": "assistant", "content": None, "tool_calls": [{"id": "c"}]}, {"role": "tool", "content": "r"}, A]}, None),
        ({"messages": [U, {**A, "weight": 0}, U, A]}, None),
        ({"messages": [U]}, "messages: no assistant message to learn from"),
        ({"messages": [U, A, U]}, "messages: the last message must be the assistant's, not 'user'"),
        ({"messages": [U, {**A, "weight": 2}]}, "messages[1].weight: 0 or 1"),
        ({"messages": [U, {"role": "assistant", "content": None}]}, "messages[1].content: a string or a list"),
    ],
)
def test_supervised_line_rules(tmp_path, line, reason):
    got = reasons(tmp_path, [line] * 10, method="supervised")
    if reason is None:
        assert got == []
    else:
        assert len(got) == 10 and all(reason in r for _, r in got) and [n for n, _ in got] == list(range(1, 11))


PAIR = {"input": {"messages": [U]}, "preferred_output": [A], "non_preferred_output": [{"role": "assistant", "content": "5"}]}


@pytest.mark.parametrize(
    "change, reason",
    [
        ({}, None),
        ({"input": [U]}, "input: an object with the prompt's messages"),
        ({"input": {"messages": [U, A]}}, "input.messages: the last message must not be the assistant's"),
        ({"preferred_output": []}, "preferred_output: a non-empty list of assistant messages"),
        ({"non_preferred_output": [U]}, "non_preferred_output[0].role: 'user' is not one of assistant"),
        ({"non_preferred_output": [A]}, "preferred_output and non_preferred_output are the same"),
    ],
)
def test_dpo_line_rules(tmp_path, change, reason):
    got = reasons(tmp_path, [{**PAIR, **change}] * 10, method="dpo")
    assert got == [] if reason is None else (got and all(reason in r for _, r in got))


def test_bad_lines_keep_their_numbers_and_blank_lines_warn(tmp_path):
    p = write(tmp_path, [{"messages": [U], "answer": "1"}, "", "{nope", "[]", '"text"', {"messages": [U], "answer": "1"}])
    p.write_bytes(p.read_bytes() + b'{"messages": [{"role": "user", "content": "\xff"}]}\n')
    rep = fd.check_file(p, "reinforcement")
    assert [(x.line, x.reason.split(" (")[0]) for x in rep.problems] == [(3, "not JSON"), (4, "not a JSON object"), (5, "not a JSON object"), (7, "not UTF-8")]
    assert [(w.line, w.reason[:10]) for w in rep.warnings] == [(2, "blank line")]
    assert rep.examples == 2


@pytest.mark.parametrize(
    "method, role, n, reason",
    [
        ("reinforcement", "validation", 1001, "1,001 examples: a reinforcement validation file takes at most 1,000"),
        ("reinforcement", "validation", 1000, None),
        ("supervised", "training", 9, "9 examples: a supervised training file needs at least 10"),
        ("reinforcement", "training", 0, "no examples: the file is empty"),
    ],
)
def test_file_limits(tmp_path, method, role, n, reason):
    line = {"messages": [U]} if method == "reinforcement" else {"messages": [U, A]}
    got = reasons(tmp_path, [line] * n, method=method, role=role)
    assert got == ([] if reason is None else [(0, reason)])


def test_nested_item_fields_from_templates_and_python(tmp_path):
    grader = {
        "type": "multi", "name": "m", "calculate_output": "max(a, b) ^ 2 / 2",
        "graders": {
            "a": {"type": "string_check", "name": "a", "input": "{{ sample.output_text }}", "reference": "{{ item.meta.answer }}", "operation": "ilike"},
            "b": {"type": "python", "name": "b", "source": "def grade(s, it):\n    return float(it['gold'] == s['output_text']) + it.get('bonus', 0)\n"},
        },
    }  # fmt: skip
    rep = fd.check_grader(grader)
    assert rep.problems == [] and [p.text for p in rep.item_paths] == ["item.meta.answer", "item.gold"]
    got = reasons(tmp_path, [{"messages": [U], "meta": {"answer": "4"}, "gold": "4"}, {"messages": [U], "meta": {}, "gold": "4"}, {"messages": [U], "meta": {"answer": "4"}}], grader=grader)
    assert got == [(2, "no field 'meta.answer': the grader reads {{item.meta.answer}}"), (3, "no field 'gold': the grader reads {{item.gold}}")]


def test_statistics(tmp_path):
    lines = [{"messages": [{"role": "user", "content": "x" * n}]} for n in (40, 4, 400, 80)]
    rep = fd.check_file(write(tmp_path, lines), "reinforcement")
    t = rep.token_stats()
    assert rep.token_method in ("heuristic", "o200k_base") and rep.examples == 4
    if rep.token_method == "heuristic":  # ceil(chars / 4) + 3 per message + 3
        assert t == {"min": 7, "median": (16 + 26) // 2, "max": 106, "total": 7 + 16 + 26 + 106}


# ------------------------------------------------------------------ graders


@pytest.mark.parametrize(
    "grader, problem",
    [
        (SC, None),
        ({**SC, "operation": "contains"}, "grader.operation: 'contains' is not one of eq, ne, like, ilike"),
        ({k: v for k, v in SC.items() if k != "reference"}, "grader.reference: required for string_check graders"),
        ({**SC, "name": ""}, "grader.name: a non-empty string"),
        ({**SC, "input": 3}, "grader.input: a string"),
        ({**SC, "reference": "{{answer}}"}, "grader.reference: {{answer}}: templates read item.<field> or sample.<field>"),
        ({**SC, "reference": "{{item.}}"}, "grader.reference: cannot read the template {{item.}}"),
        ({**SC, "type": "regex"}, "grader.type: 'regex' is not one of string_check, text_similarity, score_model, python, multi"),
        ({**SC, "type": "label_model"}, "label_model only inside a multi grader"),
        ("not a grader", "grader: a grader is a JSON object"),
        ({"type": "text_similarity", "name": "t", "input": "{{sample.output_text}}", "reference": "{{item.a}}", "evaluation_metric": "rouge_l", "pass_threshold": 0.8}, None),
        ({"type": "text_similarity", "name": "t", "input": "x", "reference": "y", "evaluation_metric": "rouge"}, "grader.evaluation_metric: 'rouge' is not one of"),
        ({"type": "text_similarity", "name": "t", "input": "x", "reference": "y", "evaluation_metric": "bleu", "pass_threshold": "high"}, "grader.pass_threshold: a number"),
        ({"type": "python", "name": "p", "source": "def grade(sample, item):\n    return 1.0\n", "image_tag": "2025-05-08"}, None),
        ({"type": "python", "name": "p", "source": "def score(sample, item):\n    return 1\n"}, "defines no top-level grade(sample, item) function"),
        ({"type": "python", "name": "p", "source": "def grade(sample):\n    return 1\n"}, "grader.source line 1: grade() must take (sample, item)"),
        ({"type": "python", "name": "p", "source": "def grade(sample, item):\n  return (\n"}, "grader.source line 2:"),
        ({"type": "python", "name": "p", "source": "def grade(s, i):\n    return 1\n" + "#" * 262144}, "the limit is under 256 kB"),
        ({"type": "score_model", "name": "s", "model": "gpt-4.1-2025-04-14", "input": [{"role": "system", "content": "Rate {{sample.output_text}} against {{item.answer}}"}],
          "range": [0, 10], "sampling_params": {"temperature": 0.2, "seed": 1, "max_completions_tokens": 200}}, None),
        ({"type": "score_model", "name": "s", "model": "o3-2025-04-16", "input": [{"role": "user", "content": [{"type": "input_text", "text": "{{item.q}}"}, "{{sample.output_text}}"]}],
          "sampling_params": {"reasoning_effort": "low"}}, None),
        ({"type": "score_model", "name": "s", "model": "o3-2025-04-16", "input": []}, "grader.input: a non-empty list of messages"),
        ({"type": "score_model", "name": "s", "model": "o3-2025-04-16", "input": [{"role": "critic", "content": "x"}]}, "grader.input[0].role: 'critic' is not one of user, assistant, system, developer"),
        ({"type": "score_model", "name": "s", "model": "o3-2025-04-16", "input": [{"role": "user", "content": [{"type": "input_image"}]}]}, "grader.input[0].content[0].image_url: required for input_image parts"),
        ({"type": "score_model", "name": "s", "model": "o3-2025-04-16", "input": [U], "range": [1, 0]}, "grader.range: two numbers [low, high] with low < high"),
        ({"type": "score_model", "name": "s", "model": "o3-2025-04-16", "input": [U], "sampling_params": {"max_completion_tokens": 5}}, "the API spells it max_completions_tokens"),
        ({"type": "score_model", "name": "s", "model": "o3-2025-04-16", "input": [U], "sampling_params": {"top_p": 0.5}}, "is a reasoning model: leave temperature and top_p"),
        ({"type": "score_model", "name": "s", "model": "gpt-4.1-2025-04-14", "input": [U], "sampling_params": {"reasoning_effort": "low"}}, "gpt-4.1-2025-04-14 is not a reasoning model"),
        ({"type": "score_model", "name": "s", "model": "o3-2025-04-16", "input": [U], "sampling_params": {"reasoning_effort": "extreme"}}, "'extreme' is not one of none, minimal"),
        ({"type": "multi", "name": "m", "graders": {"a": SC}, "calculate_output": "a * 2 - 1"}, None),
        ({"type": "multi", "name": "m", "graders": SC, "calculate_output": "exact"}, None),
        ({"type": "multi", "name": "m", "graders": {"a": SC}, "calculate_output": "a + c"}, "grader.calculate_output: 'c' is neither a grader (a) nor a function"),
        ({"type": "multi", "name": "m", "graders": {"a": SC}, "calculate_output": "a +"}, "is not a well-formed formula"),
        ({"type": "multi", "name": "m", "graders": {"a": SC}, "calculate_output": "a % 2"}, "grader.calculate_output: unexpected '% 2'"),
        ({"type": "multi", "name": "m", "graders": {"a-b": SC}, "calculate_output": "1"}, "grader.graders.a-b: a key calculate_output can name"),
        ({"type": "multi", "name": "m", "graders": {"a": {"type": "multi", "name": "n", "graders": {}, "calculate_output": "1"}}, "calculate_output": "a"}, "cannot contain another multi grader"),
        ({"type": "multi", "name": "m", "graders": {"a": {"type": "label_model", "name": "l", "model": "gpt-4.1-2025-04-14", "input": [U], "labels": ["yes", "no"], "passing_labels": ["yes"]}}, "calculate_output": "a"}, None),
        ({"type": "multi", "name": "m", "graders": {"a": {"type": "label_model", "name": "l", "model": "gpt-4.1-2025-04-14", "input": [U], "labels": ["yes"], "passing_labels": ["maybe"]}}, "calculate_output": "a"}, "passing_labels: ['maybe'] are not in labels"),
    ],
)  # fmt: skip
def test_grader_checks(grader, problem):
    rep = fd.check_grader(grader)
    if problem is None:
        assert rep.problems == []
    else:
        assert any(problem in p for p in rep.problems), rep.problems


def test_grader_warnings_and_file_loading(tmp_path):
    rep = fd.check_grader({**SC, "input": "{{sample.output_json.answer}}", "extra": 1})
    assert rep.problems == []
    assert any("is filled only when the answer parses as JSON" in w for w in rep.warnings)
    assert any("grader.extra: not a field of string_check graders" in w for w in rep.warnings)
    rep = fd.check_grader({"type": "score_model", "name": "s", "model": "gpt-3.5-turbo", "input": [U]})
    assert rep.problems == [] and "not among the grader models" in rep.warnings[0]
    p = tmp_path / "g.json"
    p.write_text(json.dumps({"grader": SC}))  # the grader-validate request's shape
    assert fd.load_grader(p) == SC
    p.write_text("[1]")
    with pytest.raises(UsageError, match="a grader is a JSON object"):
        fd.load_grader(p)


# ------------------------------------------------------------------ hyperparameters and models


@pytest.mark.parametrize(
    "method, items, expected",
    [
        ("reinforcement", ["compute_multiplier=0.5", "eval_interval=3", "eval_samples=auto", "n_epochs=50", "batch_size=256"],
         {"compute_multiplier": 0.5, "eval_interval": 3, "eval_samples": "auto", "n_epochs": 50, "batch_size": 256}),
        ("reinforcement", ["compute_multiplier=10", "learning_rate_multiplier=1e-3"], {"compute_multiplier": 10.0, "learning_rate_multiplier": 0.001}),
        ("supervised", [" n_epochs = 3 "], {"n_epochs": 3}),
        ("dpo", ["beta=2"], {"beta": 2.0}),
    ],
)  # fmt: skip
def test_hyperparameters(method, items, expected):
    got = fd.parse_hyperparameters(items, method)
    assert got == expected and all(type(got[k]) is type(v) for k, v in expected.items())


@pytest.mark.parametrize(
    "method, item, message",
    [
        ("reinforcement", "compute_multiplier=0.00001", "out of range; expected a number > 1e-05 and <= 10, or auto"),
        ("reinforcement", "compute_multiplier=nan", "out of range"),
        ("reinforcement", "eval_interval=0", "expected an integer >= 1, or auto"),
        ("reinforcement", "n_epochs=3.0", "expected an integer >= 1 and <= 50, or auto"),
        ("reinforcement", "batch_size=257", "out of range"),
        ("reinforcement", "beta=1", "not a reinforcement hyperparameter"),
        ("reinforcement", "reasoning_effort=low", "use --effort"),
        ("supervised", "compute_multiplier=1", "not a supervised hyperparameter"),
        ("dpo", "beta=0", "out of range; expected a number > 0 and <= 2"),
        ("dpo", "learning_rate_multiplier=-1", "out of range"),
        ("dpo", "=1", "expected KEY=VALUE"),
        ("dpo", "beta=", "expected KEY=VALUE"),
    ],
)
def test_bad_hyperparameters(method, item, message):
    with pytest.raises(UsageError) as exc:
        fd.parse_hyperparameters([item], method)
    assert message in exc.value.message


def test_twice_is_an_error():
    with pytest.raises(UsageError, match="given twice"):
        fd.parse_hyperparameters(["n_epochs=1", "n_epochs=2"], "supervised")


def test_models_and_methods():
    assert fd.resolve_model(None) == fd.resolve_model("o4-mini") == "o4-mini-2025-04-16"
    assert fd.resolve_model("gpt-4.1-mini-2025-04-14") == "gpt-4.1-mini-2025-04-14"
    assert fd.resolve_model("ft:o4-mini-2025-04-16:org:x:1") == "ft:o4-mini-2025-04-16:org:x:1"
    assert fd.default_method("o4-mini-2025-04-16") == "reinforcement" and fd.default_method("gpt-4.1-mini-2025-04-14") == "supervised"
    fd.check_method("o4-mini-2025-04-16", "reinforcement")
    fd.check_method("gpt-4.1-mini-2025-04-14", "dpo")
    with pytest.raises(UsageError, match="fine-tuned by reinforcement only, not dpo"):
        fd.check_method("o4-mini-2025-04-16", "dpo")


def test_training_cost_says_what_it_can(tmp_path):
    rep = fd.check_file(write(tmp_path, [{"messages": [U, A]}] * 10), "supervised")
    rft = fd.training_cost("reinforcement", "o4-mini-2025-04-16", rep, {})
    assert rft.billing == "per_training_hour" and rft.hourly_usd == Decimal("100") and rft.usd is None
    assert "($100/h for o4-mini-2025-04-16)" in rft.note and "cannot be estimated from tokens" in rft.note
    sft = fd.training_cost("supervised", "gpt-4.1-mini-2025-04-14", rep, {"n_epochs": 3})
    total = rep.token_stats()["total"]
    assert sft.trained_tokens_per_epoch == total and sft.trained_tokens == 3 * total and sft.usd is None
    assert f"~{total:,} tokens an epoch, ~{3 * total:,} over 3 epochs" in sft.note and "no training price" in sft.note
    auto = fd.training_cost("supervised", "x", rep, {})
    assert auto.trained_tokens is None and "n_epochs auto" in auto.note


# ------------------------------------------------------------------ core.finetune, pure parts


def test_request_body_and_input_hash(tmp_path):
    train = write(tmp_path, [{"messages": [U]}], "t.jsonl")
    plan = ftc.Plan("o4-mini-2025-04-16", "reinforcement", train, None, SC, {"n_epochs": 2, "reasoning_effort": "low"}, "math", 3, {"team": "x"})
    body = ftc.request_body(plan, "file-1", None, "tag")
    assert body == {
        "model": "o4-mini-2025-04-16", "training_file": "file-1", "suffix": "math", "seed": 3,
        "method": {"type": "reinforcement", "reinforcement": {"grader": SC, "hyperparameters": {"n_epochs": 2, "reasoning_effort": "low"}}},
        "metadata": {"team": "x", "o4_input": "tag"},
    }  # fmt: skip
    sft = ftc.request_body(ftc.Plan("gpt-4.1-mini-2025-04-14", "supervised", train), "file-1", "file-2", "t")
    assert sft["method"] == {"type": "supervised", "supervised": {}} and sft["validation_file"] == "file-2"
    h = ftc.input_hash(plan)
    assert h == ftc.input_hash(plan)
    plan.hyperparameters = {"n_epochs": 3}
    assert ftc.input_hash(plan) != h
    train.write_text(train.read_text() + "\n")
    plan.hyperparameters = {"n_epochs": 2, "reasoning_effort": "low"}
    assert ftc.input_hash(plan) != h


def test_metrics_of_events():
    rft = {"type": "metrics", "data": {"step": 3, "total_steps": 10, "scores": {"train_reward_mean": 0.5, "graders": {}}, "full_valid_mean_reward": 0.4, "flag": True}}
    assert ftj.metrics_of(rft) == {"step": 3, "total_steps": 10, "full_valid_mean_reward": 0.4, "train_reward_mean": 0.5}
    sft = {"type": "metrics", "data": {"step": 1, "train_loss": 1.2, "valid_loss": 1.3}}
    assert ftj.metrics_of(sft) == {"step": 1, "train_loss": 1.2, "valid_loss": 1.3}
    assert ftj.metrics_of({"type": "message", "data": {"step": 1}}) is None
    assert ftj.metric_keys([{"step": 1, "zeta": 1, "valid_loss": 1, "train_reward_mean": 1}]) == ["train_reward_mean", "valid_loss", "zeta"]
