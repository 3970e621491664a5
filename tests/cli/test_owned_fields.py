"""Fields o4 sets itself cannot be overridden into breakage with --param (or -o)."""

import pytest


@pytest.mark.parametrize(
    ("param", "flag"),
    [
        ("stream=true", "o4 stream"),
        ("model=gpt-4.1", "-m/--model"),
        ("input=other", "the prompt"),
        ("instructions=x", "-s/--system"),
        ("previous_response_id=resp_1", "--cid"),
        ("max_output_tokens=10", "--max-output"),
        ("service_tier=flex", "--flex"),
        ("reasoning.effort=high", "-e/--effort"),
        ("text.format.type=json_object", "--schema"),
        ("background=true", "background"),
    ],
)
def test_an_owned_field_is_refused_before_sending(o4, emulator, param, flag):
    for spelling in ("--param", "-o"):
        r = o4("ask", "x", spelling, param)
        assert r.code == 2 and flag in r.stderr and "o4 sets" in r.stderr, r.stderr
    assert emulator.log == []


def test_other_fields_go_through(o4, emulator):
    r = o4("ask", "x", "--param", "store=false", "--param", "reasoning.summary=auto", "--param", "user=bob")
    assert r.code == 0, r.stderr
    body = emulator.bodies()[0]
    assert body["store"] is False and body["reasoning"]["summary"] == "auto" and body["user"] == "bob"
