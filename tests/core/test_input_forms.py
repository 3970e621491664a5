"""Input files as editors and tools write them: a UTF-8 BOM, CRLF endings, a JSON array."""

import json

import pytest

from o4cli.core.batch.input import Defaults, Limits, prepare
from o4cli.core.finetune.data import check_file

D = Defaults(model="o4-mini", endpoint=None)
BOM = b"\xef\xbb\xbf"


def test_a_bom_does_not_turn_jsonl_into_text_prompts_nor_enter_the_first_prompt(tmp_path):
    p = tmp_path / "in.jsonl"
    p.write_bytes(BOM + b'{"prompt": "first"}\r\n{"prompt": "second"}\r\n')
    prep = prepare(p, D, Limits())
    assert prep.format == "prompts" and not prep.problems and prep.custom_ids == ["line-1", "line-2"]
    t = tmp_path / "in.txt"
    t.write_bytes(BOM + b"first question\r\nsecond question\r\n")
    (tmp_path / "shards").mkdir()
    prep = prepare(t, D, Limits(), folder=tmp_path / "shards")
    assert prep.format == "text" and not prep.problems
    first = json.loads((tmp_path / "shards" / "shard-1.jsonl").read_text().splitlines()[0])
    assert first["body"]["input"] == "first question"  # no BOM, no \r


@pytest.mark.parametrize("content", [b'[{"prompt": "a"}, {"prompt": "b"}]\n', b'[\n  {"prompt": "a"}\n]\n'])
def test_a_json_array_is_refused_with_the_way_to_convert_it(tmp_path, content):
    p = tmp_path / "in.json"
    p.write_bytes(content)
    prep = prepare(p, D, Limits())
    (problem,) = prep.problems
    assert "JSON array, not JSON Lines" in problem.reason and "jq -c '.[]'" in problem.reason


def test_a_text_prompt_starting_with_a_bracket_is_still_a_prompt(tmp_path):
    p = tmp_path / "in.txt"
    p.write_bytes(b"[INST] say hi\n")
    prep = prepare(p, D, Limits())
    assert prep.format == "text" and not prep.problems


def rft(i):
    return {"messages": [{"role": "user", "content": f"q{i}"}], "answer": str(i)}


def test_finetune_files_with_a_bom_and_crlf_are_checked_and_arrays_refused(tmp_path):
    p = tmp_path / "train.jsonl"
    p.write_bytes(BOM + b"".join(json.dumps(rft(i)).encode() + b"\r\n" for i in range(12)))
    rep = check_file(p, "reinforcement")
    assert rep.examples == 12 and not rep.problems
    assert any("byte-order mark" in w.reason for w in rep.warnings)
    a = tmp_path / "train.json"
    a.write_text(json.dumps([rft(i) for i in range(12)]))
    rep = check_file(a, "reinforcement")
    assert any("JSON array, not JSON Lines" in p.reason for p in rep.problems)
