"""batch_input.prepare: every input form, every bad-line reason with its number, shards."""

import json
from pathlib import Path

import pytest

from o4cli.core.batch.input import Defaults, Limits, input_hash, prepare

D = Defaults(model="o4-mini", effort="low")


def write(tmp_path: Path, lines: list, name="in.jsonl") -> Path:
    p = tmp_path / name
    p.write_text("".join((json.dumps(line) if not isinstance(line, str) else line) + "\n" for line in lines))
    return p


def req(cid, url="/v1/responses", model="o4-mini", **body):
    key = "input" if url == "/v1/responses" else "messages"
    return {"custom_id": cid, "method": "POST", "url": url, "body": {"model": model, key: body.pop(key, "hi"), **body}}


def test_plain_text_one_prompt_a_line_with_stable_ids(tmp_path):
    p = tmp_path / "p.txt"
    p.write_text("first prompt\n\nsecond prompt\n")
    prep = prepare(p, D, Limits(), folder=tmp_path)
    assert prep.format == "text" and prep.problems == []
    assert prep.custom_ids == ["line-1", "line-3"]
    lines = [json.loads(line) for line in (tmp_path / "shard-1.jsonl").read_text().splitlines()]
    assert lines[0] == {"custom_id": "line-1", "method": "POST", "url": "/v1/responses",
                        "body": {"model": "o4-mini", "input": "first prompt", "reasoning": {"effort": "low"}}}
    assert prepare(p, D, Limits()).custom_ids == prep.custom_ids  # same file, same ids


def test_prompt_jsonl_with_system_custom_id_and_chat(tmp_path):
    p = write(tmp_path, [{"prompt": "a", "custom_id": "x1", "system": "terse"}, {"prompt": "b"}])
    prep = prepare(p, Defaults(model="o4-mini", endpoint="chat"), Limits(), folder=tmp_path)
    assert prep.format == "prompts" and prep.custom_ids == ["x1", "line-2"] and prep.endpoint == "/v1/chat/completions"
    first = json.loads((tmp_path / "shard-1.jsonl").read_text().splitlines()[0])
    assert first["body"]["messages"] == [{"role": "developer", "content": "terse"}, {"role": "user", "content": "a"}]


def test_batch_format_passes_through(tmp_path):
    p = write(tmp_path, [req("a"), req("b")])
    prep = prepare(p, D, Limits(), folder=tmp_path)
    assert prep.format == "batch" and prep.problems == [] and prep.model == "o4-mini"
    assert (tmp_path / "shard-1.jsonl").read_bytes() == p.read_bytes()


def test_every_bad_line_is_reported_with_its_number(tmp_path):
    p = write(tmp_path, [
        req("a"),
        "{not json",
        {**req("b"), "method": "GET"},
        req("a"),
        {k: v for k, v in req("c").items() if k != "custom_id"},
        req("d", url="/v1/chat/completions"),
        req("e", model="gpt-4.1"),
        {"custom_id": "f", "method": "POST", "url": "/v1/responses", "body": {"model": "o4-mini"}},
        req("g", temperature=0),
        {"custom_id": "h", "method": "POST", "url": "/v1/embeddings", "body": {}},
        req("i", stream=True),
    ])
    prep = prepare(p, D, Limits())
    got = {pr.line: pr.reason for pr in prep.problems}
    assert "not JSON" in got[2]
    assert "method must be POST" in got[3]
    assert "duplicate custom_id 'a' (first on line 1)" in got[4]
    assert "missing custom_id" in got[5]
    assert "mixed endpoints" in got[6]
    assert "mixed models" in got[7]
    assert "body has no input" in got[8]
    assert "body.temperature" in got[9]
    assert "url must be" in got[10]
    assert "cannot stream" in got[11]
    assert 1 not in got


def test_image_path_that_does_not_exist(tmp_path):
    p = write(tmp_path, [{"prompt": "see", "image": "nope.png"}, {"prompt": "x", "colour": 1}])
    got = {pr.line: pr.reason for pr in prepare(p, D, Limits()).problems}
    assert "image nope.png: no such file" in got[1]
    assert "unknown fields: colour" in got[2]


def test_endpoint_flag_must_match_batch_lines(tmp_path):
    p = write(tmp_path, [req("a")])
    prep = prepare(p, Defaults(model="o4-mini", endpoint="chat"), Limits())
    assert "does not match --endpoint" in prep.problems[0].reason


def test_empty_input(tmp_path):
    p = tmp_path / "e.txt"
    p.write_text("\n\n")
    assert "empty" in prepare(p, D, Limits()).problems[0].reason


@pytest.mark.parametrize(
    ("limits", "expected"),
    [
        (Limits(requests=2), [(1, 2), (3, 4), (5, 5)]),
        (Limits(bytes=300), None),  # checked below
        (Limits(queue_tokens=15), None),  # a line is 7 tokens: "hi" and the overhead
    ],
)
def test_shards_fit_every_limit(tmp_path, limits, expected):
    p = write(tmp_path, [req(f"r{i}") for i in range(5)])
    prep = prepare(p, D, limits, folder=tmp_path)
    assert prep.problems == []
    assert sum(s.requests for s in prep.shards) == 5
    for s in prep.shards:
        assert s.requests <= limits.requests and s.bytes <= limits.bytes
        assert limits.queue_tokens is None or s.tokens <= limits.queue_tokens
        assert len((tmp_path / f"shard-{s.index}.jsonl").read_text().splitlines()) == s.requests
    if expected:
        assert [(s.first_line, s.last_line) for s in prep.shards] == expected
    assert len(prep.shards) > 1


def test_a_line_larger_than_the_queue_is_a_problem(tmp_path):
    p = write(tmp_path, [req("a", input="x" * 1000)])
    assert "exceed the batch queue limit" in prepare(p, D, Limits(queue_tokens=10)).problems[0].reason


def test_hash_depends_on_bytes_defaults_and_limits(tmp_path):
    p = write(tmp_path, [req("a")])
    h = input_hash(p, D, Limits())
    assert h == input_hash(p, D, Limits())
    assert h != input_hash(p, Defaults(model="o4-mini", effort="high"), Limits())
    assert h != input_hash(p, D, Limits(requests=1))
