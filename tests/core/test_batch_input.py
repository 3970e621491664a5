"""batch_input.prepare: every input form, every bad-line reason with its number, shards."""

import json
from pathlib import Path

import pytest

from o4cli.core.batch.input import Defaults, Limits, input_hash, prepare
from o4cli.core.catalog import find

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


# ------------------------------------------- prompt lines: templates and blocks, same bytes

TRICKY = [
    'say "hi" to C:\\temp', "tab\tinside", "café naïve 東京 😀 \u2028 \x7f", "  padded  ", "ctrl \x01 \x1f here",
    "form\x0cfeed", "cr\rinside", "back\\\\slashes\\", "\u00a0nbsp\u200d", "plain words",
]  # fmt: skip


def reference(defaults, cid, text, system, endpoint):
    """The request line as json.dumps writes it from the full body builder, and the input
    tokens count_body counts in that body."""
    from o4cli.core.ask.prompt import Prompt
    from o4cli.core.ask.request import Options, build_body
    from o4cli.core.tokens import count_body

    api = "chat" if endpoint == "/v1/chat/completions" else "responses"
    opts = Options(model=defaults.model, api=api, effort=defaults.effort, max_output=defaults.max_output)
    line = {"custom_id": cid, "method": "POST", "url": endpoint, "body": build_body(Prompt(text, system), opts)}
    data = json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
    entry = find(defaults.model)
    return data, max(1, count_body(line["body"], entry.tokenizer if entry else None).tokens)


@pytest.mark.parametrize("defaults", [
    D,
    Defaults(model="o4-mini", endpoint="chat", system='be "terse"\t\\', max_output=500),
    Defaults(model="o4-mini", system="ctrl \x02 system"),
    Defaults(model="acme-private-1"),  # a model o4 has no tokenizer for: 4 characters a token
])  # fmt: skip
def test_prompt_lines_are_byte_for_byte_the_full_builders(tmp_path, monkeypatch, defaults):
    monkeypatch.setattr("o4cli.core.batch.input._BLOCK_BYTES", 64)  # many blocks, some all-clean
    texts = [TRICKY[i % len(TRICKY)] + f" {i}" if i % 7 else TRICKY[i % len(TRICKY)] for i in range(60)]
    plain = tmp_path / "p.txt"
    plain.write_bytes(b"\xef\xbb\xbf" + b"".join(t.encode() + (b"\r\n" if i % 3 else b"\n\n  \n") for i, t in enumerate(texts)))
    lines = [{"prompt": t, **({"system": f"s{i % 3}"} if i % 4 == 0 else {}), **({"custom_id": f'id "{i}"'} if i % 5 == 0 else {})}
             for i, t in enumerate(texts)]  # fmt: skip
    jsonl = write(tmp_path, lines, name="p.jsonl")
    for path, ids in ((plain, None), (jsonl, [ln.get("custom_id", f"line-{n}") for n, ln in enumerate(lines, 1)])):
        out = tmp_path / path.suffix[1:]
        out.mkdir()
        prep = prepare(path, defaults, Limits(requests=7), folder=out)
        assert prep.problems == []
        numbers = [n for n, raw in enumerate(path.read_bytes().split(b"\n"), 1) if raw.strip()]
        if ids is None:
            ids = [f"line-{n}" for n in numbers]
        expected = [
            reference(defaults, cid, t.strip(" \t\r\x0b\x0c") if path is plain else t,
                      lines[k].get("system", defaults.system) if path is jsonl else defaults.system, prep.endpoint)
            for k, (cid, t) in enumerate(zip(ids, texts, strict=True))
        ]  # fmt: skip
        written = b"".join((out / f"shard-{s.index}.jsonl").read_bytes() for s in prep.shards)
        assert written == b"".join(data for data, _ in expected)
        assert prep.custom_ids == ids and [s.requests for s in prep.shards] == [7] * 8 + [4]
        assert prep.bytes == len(written) and prep.exact == (find(defaults.model) is not None)
        assert prep.tokens == sum(tokens for _, tokens in expected)
        if path is plain:
            assert [(s.first_line, s.last_line) for s in prep.shards][0] == (1, numbers[6])


def test_every_bad_plain_line_is_reported_in_any_block(tmp_path, monkeypatch):
    monkeypatch.setattr("o4cli.core.batch.input._BLOCK_BYTES", 30)
    p = tmp_path / "p.txt"
    p.write_bytes(b"fine one\nbad \xff byte\nfine two\n" * 3 + b" ".join(b"w%d" % i for i in range(60)) + b"\n")
    (tmp_path / "out").mkdir()
    prep = prepare(p, D, Limits(queue_tokens=40), folder=tmp_path / "out")
    got = [(pr.line, pr.reason) for pr in prep.problems]
    assert got[:3] == [(2, "not UTF-8 text (byte 4)"), (5, "not UTF-8 text (byte 4)"), (8, "not UTF-8 text (byte 4)")]
    assert len(got) == 4 and got[3][0] == 10 and got[3][1].endswith(" input tokens alone exceed the batch queue limit of 40")
    assert prep.custom_ids == ["line-1", "line-3", "line-4", "line-6", "line-7", "line-9"]
    assert (tmp_path / "out" / "shard-1.jsonl").read_bytes().count(b"\n") == 1  # nothing written after line 2


def test_a_lone_surrogate_is_a_bad_line_not_a_crash(tmp_path):
    p = tmp_path / "p.jsonl"
    p.write_text('{"prompt": "a \\ud800 b"}\n{"prompt": "ok", "system": "\\udfff"}\n{"prompt": "ok", "system": ["x"]}\n')
    prep = prepare(p, D, Limits())
    assert [(pr.line, pr.reason) for pr in prep.problems] == [
        (1, "not valid Unicode: a lone surrogate \\ud800 (JSON escapes must pair)"),
        (2, "not valid Unicode: a lone surrogate \\udfff (JSON escapes must pair)"),
    ]
    assert prep.custom_ids == ["line-3"]  # a system that is no string is sent as given, as before


def test_json_strings_are_what_json_dumps_writes():
    from o4cli.core.batch.input import _json_string

    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    samples = chars[:256] + ["".join(chars[i : i + 4096]) for i in range(0, len(chars), 4096)]
    for s in samples:
        assert _json_string(s.encode()) == json.dumps(s, ensure_ascii=False).encode(), repr(s[:20])


def test_shards_cut_at_once_are_the_shards_cut_line_by_line():
    import random

    from o4cli.core.batch.input import _Sharder

    rng = random.Random(7)
    for _ in range(300):
        limits = Limits(requests=rng.randint(1, 6), bytes=rng.randint(50, 400),
                        queue_tokens=rng.choice([None, rng.randint(30, 120)]))  # fmt: skip
        n = rng.randint(1, 40)
        sizes = [rng.randint(10, 250) for _ in range(n)]  # some alone over the byte limit
        tokens = [max(1, s // 4) for s in sizes]
        tokens = [t for t in tokens if limits.queue_tokens is None or t <= limits.queue_tokens]  # others: problems
        sizes, numbers = [t * 4 for t in tokens], sorted(rng.sample(range(1, 200), len(tokens)))
        one, many = _Sharder(limits, None), _Sharder(limits, None)
        for line, size, tok in zip(numbers, sizes, tokens, strict=True):
            one.add(line, b"x" * size, tok, 5)
        i = 0
        while i < len(sizes):
            j = i + rng.randint(1, 10)
            many.add_many(numbers[i:j], sizes[i:j], tokens[i:j], 5, None)
            i = j
        assert many.shards == one.shards, (limits, sizes)


def test_without_counting_the_plan_is_the_same_but_its_tokens(tmp_path):
    plain = tmp_path / "p.txt"
    plain.write_text("".join(f"prompt {i}\n" for i in range(30)))
    jsonl = write(tmp_path, [{"prompt": f"p {i}"} for i in range(30)], name="p.jsonl")
    for path in (plain, jsonl):
        counted, uncounted = (prepare(path, D, Limits(requests=7), count_tokens=c) for c in (True, False))
        assert uncounted.custom_ids == counted.custom_ids and uncounted.bytes == counted.bytes
        assert [s.requests for s in uncounted.shards] == [s.requests for s in counted.shards]
        assert uncounted.tokens == 30 < counted.tokens
