import pytest

from o4cli.core import tokens
from o4cli.core.ask import prompt, schema
from o4cli.core.errors import UsageError
from tests.cli.helpers import GIF_ANIMATED, GIF_STILL, PNG


def test_sniff_and_dimensions():
    assert prompt.sniff(PNG) == "png" and prompt.dimensions("png", PNG) == (2, 1)
    assert prompt.sniff(GIF_STILL) == "gif" and prompt.dimensions("gif", GIF_STILL) == (1, 1)
    assert prompt.sniff(b"\xff\xd8\xff\xe0") == "jpeg"
    assert prompt.sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "webp"
    assert prompt.sniff(b"%PDF-1.7") is None


def test_gif_frames():
    assert prompt.gif_frames(GIF_STILL) == 1
    assert prompt.gif_frames(GIF_ANIMATED) == 2


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((1024, 1024), 1762),  # 1,024 patches x 1.72
        ((1800, 2400), 2498),  # scaled to 1,452 patches (the vision guide's example)
        ((32, 32), 2),
        (None, 2642),  # unknown size: the 1,536-patch maximum
    ],
)
def test_image_tokens_patch_formula(size, expected):
    assert tokens.image_tokens(size) == expected


def test_heuristic_estimate_is_labelled():
    est = tokens.count_text("a" * 400)
    if est.method == "heuristic":
        assert est.tokens == 100 and est.label.startswith("~100 (estimate")


def test_build_joins_words_stdin_and_files(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("file body\n")
    p = prompt.build(["hello", "there"], "from stdin\n", [str(f)], [])
    assert p.text == f"hello there\n\nfrom stdin\n\n## {f}\n\nfile body"


def test_build_refuses_empty_and_bad_detail():
    with pytest.raises(UsageError):
        prompt.build([], "", [], [])
    with pytest.raises(UsageError):
        prompt.build(["x"], None, [], [], detail="max")


def test_concise_schema_is_strict():
    assert schema.concise("name, age int") == {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
        "additionalProperties": False,
    }


def test_strict_fills_in_what_strict_mode_requires():
    s = schema.strict({"type": "object", "properties": {"a": {"type": "object", "properties": {"b": {"type": "string"}}}}})
    assert s["required"] == ["a"] and s["additionalProperties"] is False
    assert s["properties"]["a"]["required"] == ["b"] and s["properties"]["a"]["additionalProperties"] is False


def test_strict_refuses_unsupported_keywords():
    with pytest.raises(UsageError, match="allOf"):
        schema.strict({"type": "object", "properties": {"a": {"allOf": []}}})
