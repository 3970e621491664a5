"""``ask.request``: the exact bodies sent to either API, the refusals made before
sending (model rules, context window, --max-cost) and ``-o KEY=VALUE`` parsing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from o4cli.core import catalog, tokens
from o4cli.core.ask.prompt import Image, Prompt
from o4cli.core.ask.request import (
    CHAT,
    RESPONSES,
    Options,
    build_body,
    check_model_rules,
    parse_option,
    plan,
)
from o4cli.core.errors import BudgetError, ExitCode, UsageError

SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string"}},
    "required": ["answer"],
    "additionalProperties": False,
}
PNG = Image(url="data:image/png;base64,iVBORw0KGgo=", source="cat.png", media_type="image/png", size=(64, 64))
URL_IMG = Image(url="https://example.com/dog.jpg", source="https://example.com/dog.jpg")
O4_MINI = catalog.find("o4-mini")


@pytest.fixture(autouse=True)
def heuristic_tokens(monkeypatch):
    """Estimates by the 4-characters-a-token rule, as for a model whose tokenizer o4 lacks
    (exact o200k_base counts: tests/core/test_tokens.py)."""
    monkeypatch.setattr(tokens, "encoding", lambda name: None)


# -------------------------------------------------------------- build_body


def test_responses_minimal_body():
    assert build_body(Prompt("hi"), Options(model="o4-mini")) == {"model": "o4-mini", "input": "hi"}


def test_chat_minimal_body():
    assert build_body(Prompt("hi"), Options(model="o4-mini", api=CHAT)) == {
        "model": "o4-mini",
        "messages": [{"role": "user", "content": "hi"}],
    }


def test_responses_full_body():
    opts = Options(
        model="o4-mini",
        effort="high",
        max_output=2000,
        schema=("verdict", SCHEMA),
        flex=True,
        previous_response_id="resp_prev",
        stream=True,
        summary=True,
    )
    assert build_body(Prompt("Is it?", system="Be terse."), opts) == {
        "model": "o4-mini",
        "input": "Is it?",
        "instructions": "Be terse.",
        "reasoning": {"effort": "high", "summary": "auto"},
        "max_output_tokens": 2000,
        "previous_response_id": "resp_prev",
        "text": {"format": {"type": "json_schema", "name": "verdict", "strict": True, "schema": SCHEMA}},
        "service_tier": "flex",
        "stream": True,
    }


def test_chat_full_body():
    opts = Options(
        model="o4-mini", api=CHAT, effort="low", max_output=2000, schema=("verdict", SCHEMA), flex=True, stream=True
    )
    assert build_body(Prompt("Is it?", system="Be terse."), opts) == {
        "model": "o4-mini",
        "messages": [{"role": "developer", "content": "Be terse."}, {"role": "user", "content": "Is it?"}],
        "reasoning_effort": "low",
        "max_completion_tokens": 2000,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "verdict", "strict": True, "schema": SCHEMA},
        },
        "service_tier": "flex",
        "stream": True,
        "stream_options": {"include_usage": True},
    }


@pytest.mark.parametrize("api", [RESPONSES, CHAT])
def test_no_reasoning_summary_or_stream_keys_unless_asked(api):
    body = build_body(Prompt("hi"), Options(model="o4-mini", api=api))
    for key in (
        "reasoning",
        "reasoning_effort",
        "stream",
        "stream_options",
        "service_tier",
        "instructions",
        "max_output_tokens",
        "max_completion_tokens",
        "text",
        "response_format",
    ):
        assert key not in body


def test_responses_stream_has_no_stream_options():
    body = build_body(Prompt("hi"), Options(model="o4-mini", stream=True))
    assert body["stream"] is True
    assert "stream_options" not in body


@pytest.mark.parametrize("detail", ["auto", "low", "high"])
def test_responses_images_with_detail(detail):
    body = build_body(Prompt("What is this?", images=(PNG, URL_IMG), detail=detail), Options(model="o4-mini"))
    assert body["input"] == [
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "What is this?"},
                {"type": "input_image", "image_url": PNG.url, "detail": detail},
                {"type": "input_image", "image_url": URL_IMG.url, "detail": detail},
            ],
        }
    ]


@pytest.mark.parametrize("detail", ["auto", "low", "high"])
def test_chat_images_with_detail(detail):
    body = build_body(
        Prompt("What is this?", system="sys", images=(PNG,), detail=detail), Options(model="o4-mini", api=CHAT)
    )
    assert body["messages"] == [
        {"role": "developer", "content": "sys"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is this?"},
                {"type": "image_url", "image_url": {"url": PNG.url, "detail": detail}},
            ],
        },
    ]


@pytest.mark.parametrize("api", [RESPONSES, CHAT])
def test_image_without_text_sends_no_empty_text_part(api):
    body = build_body(Prompt("", images=(PNG,)), Options(model="o4-mini", api=api))
    content = body["input"][0]["content"] if api == RESPONSES else body["messages"][0]["content"]
    assert len(content) == 1
    assert content[0]["type"] in ("input_image", "image_url")


def test_chat_refuses_previous_response_id():
    with pytest.raises(UsageError) as info:
        build_body(Prompt("more"), Options(model="o4-mini", api=CHAT, previous_response_id="resp_1"))
    assert info.value.message.startswith("--continue/--cid need the Responses API")
    assert info.value.hint == "drop --api chat (or set the profile's api to responses)"
    assert info.value.exit_code == ExitCode.USAGE


@pytest.mark.parametrize(("api", "key"), [(RESPONSES, "max_output_tokens"), (CHAT, "max_completion_tokens")])
def test_max_output_floor(api, key):
    with pytest.raises(UsageError, match="--max-output must be at least 16"):
        build_body(Prompt("hi"), Options(model="o4-mini", api=api, max_output=15))
    assert build_body(Prompt("hi"), Options(model="o4-mini", api=api, max_output=16))[key] == 16


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"store": False}, {"store": False}),
        ({"metadata.run": "1", "metadata.team": "a"}, {"metadata": {"run": "1", "team": "a"}}),
        ({"a.b.c": 1}, {"a": {"b": {"c": 1}}}),
        # a dotted key over a non-object replaces it with an object
        ({"input": "x", "input.deep": 2}, {"input": {"deep": 2}}),
    ],
)
def test_extra_keys_nest(extra, expected):
    body = build_body(Prompt("hi"), Options(model="o4-mini", extra=extra))
    for key, value in expected.items():
        assert body[key] == value
    assert body["model"] == "o4-mini"


def test_extra_dotted_key_merges_into_what_o4_built():
    # the README's example: --effort high --param reasoning.summary=auto
    opts = Options(
        model="o4-mini",
        schema=("verdict", SCHEMA),
        extra={"text.verbosity": "low", "reasoning.summary": "auto"},
        effort="high",
    )
    body = build_body(Prompt("hi"), opts)
    assert body["text"]["verbosity"] == "low"
    assert body["text"]["format"]["name"] == "verdict"  # kept
    assert body["reasoning"] == {"effort": "high", "summary": "auto"}


def test_extra_key_overrides_the_same_field():
    body = build_body(Prompt("hi"), Options(model="o4-mini", effort="high", extra={"reasoning.effort": "low"}))
    assert body["reasoning"] == {"effort": "low"}


# ------------------------------------------------------- check_model_rules


@pytest.mark.parametrize(
    ("opts", "message"),
    [
        (
            Options(model="o4-mini", extra={"temperature": 0.2}),
            "--param temperature: o4-mini does not accept 'temperature': "
            "reasoning models accept only the default; leave it out",
        ),
        (
            Options(model="o4-mini", extra={"max_tokens": 100}),
            "--param max_tokens: o4-mini does not accept 'max_tokens': "
            "use --max-output (max_completion_tokens / max_output_tokens)",
        ),
        (
            Options(model="ft:o4-mini-2025-04-16:acme:triage:abc123", extra={"top_p": 1}),
            "--param top_p: o4-mini does not accept 'top_p': reasoning models accept only the default; leave it out",
        ),
        (Options(model="o4-mini", effort="minimal"), "--effort minimal: o4-mini takes low, medium, high"),
        (Options(model="o4-mini", max_output=100_001), "--max-output 100,001 is above o4-mini's maximum of 100,000"),
    ],
    ids=["temperature", "max_tokens", "fine-tuned", "effort", "max-output"],
)
def test_model_rules_refuse(opts, message):
    with pytest.raises(UsageError) as info:
        check_model_rules(opts)
    assert info.value.message == message
    assert info.value.exit_code == ExitCode.USAGE


def test_model_rules_accept_what_o4_mini_takes():
    opts = Options(model="o4-mini", effort="high", max_output=100_000, extra={"store": False, "metadata.x": "1"})
    assert check_model_rules(opts) is O4_MINI


def test_unknown_model_is_not_second_guessed():
    assert check_model_rules(Options(model="gpt-9", effort="minimal", extra={"temperature": 1})) is None


# -------------------------------------------------------------------- plan


def words(tokens_wanted: int) -> str:
    """A prompt the heuristic counts as ``tokens_wanted`` tokens (6 more with the message overhead)."""
    return "x" * (tokens_wanted * 4)


def test_plan_worst_case_standard():
    p = plan(Prompt(words(994)), Options(model="o4-mini", max_output=10_000), O4_MINI, max_cost=None)
    # 1,000 input x $1.10 + 10,000 output x $4.40, per million
    assert (p.input.tokens, p.max_output, p.worst_cost, p.pricing) == (1000, 10_000, Decimal("0.0451"), "standard")


def test_plan_without_max_output_budgets_the_models_maximum():
    p = plan(Prompt(words(994)), Options(model="o4-mini"), O4_MINI, max_cost=None)
    assert (p.max_output, p.worst_cost) == (100_000, Decimal("0.4411"))


@pytest.mark.parametrize(
    ("flex", "fallback", "pricing", "worst"),
    [
        (False, False, "standard", Decimal("0.0451")),
        (True, False, "flex", Decimal("0.02255")),
        (True, True, "standard", Decimal("0.0451")),
    ],
)
def test_plan_pricing(flex, fallback, pricing, worst):
    p = plan(
        Prompt(words(994)),
        Options(model="o4-mini", max_output=10_000, flex=flex),
        O4_MINI,
        max_cost=None,
        fallback=fallback,
    )
    assert (p.pricing, p.worst_cost) == (pricing, worst)


@pytest.mark.parametrize(
    ("flex", "fallback", "refused"),
    [(False, False, True), (True, False, False), (True, True, True)],
    ids=["standard", "flex", "flex-fallback"],
)
def test_max_cost_between_flex_and_standard(flex, fallback, refused):
    opts = Options(model="o4-mini", max_output=10_000, flex=flex)
    if not refused:
        assert plan(
            Prompt(words(994)), opts, O4_MINI, max_cost=Decimal("0.03"), fallback=fallback
        ).worst_cost == Decimal("0.02255")
        return
    with pytest.raises(BudgetError) as info:
        plan(Prompt(words(994)), opts, O4_MINI, max_cost=Decimal("0.03"), fallback=fallback)
    e = info.value
    assert e.exit_code == ExitCode.BUDGET == 6
    assert e.message == (
        "--max-cost $0.030000: the worst case is $0.045100 (input ~1,000 (estimated: 4 characters a token) "
        "+ 10,000 output tokens at the standard price); nothing was sent"
    )
    assert e.hint == "lower --max-output, shorten the input, or raise --max-cost"


def test_max_cost_equal_to_the_worst_case_is_allowed():
    p = plan(Prompt(words(994)), Options(model="o4-mini", max_output=10_000), O4_MINI, max_cost=Decimal("0.0451"))
    assert p.worst_cost == Decimal("0.0451")


def test_max_cost_for_a_model_without_price():
    """Nothing bounds its cost: refused as bad usage (exit 2), pointing at models.toml."""
    with pytest.raises(UsageError, match="o4 has no standard price for 'gpt-9'") as info:
        plan(Prompt("hi"), Options(model="gpt-9"), None, max_cost=Decimal("1"))
    assert info.value.exit_code == 2 and 'models.toml ([models."gpt-9".prices]' in info.value.hint
    assert plan(Prompt("hi"), Options(model="gpt-9"), None, max_cost=None).worst_cost is None


def test_context_overflow_is_refused():
    with pytest.raises(UsageError) as info:
        plan(Prompt(words(199_994)), Options(model="o4-mini"), O4_MINI, max_cost=None)
    assert info.value.message.startswith("the prompt does not fit o4-mini's 200,000-token context: input ~200,000 ")
    assert info.value.hint == "shorten the input"


def test_context_overflow_counts_max_output():
    prompt = Prompt(words(149_994))  # 150,000 tokens
    assert plan(prompt, Options(model="o4-mini", max_output=50_000), O4_MINI, max_cost=None).input.tokens == 150_000
    with pytest.raises(UsageError) as info:
        plan(prompt, Options(model="o4-mini", max_output=50_001), O4_MINI, max_cost=None)
    assert info.value.message.endswith("plus --max-output 50,001")
    assert info.value.hint == "shorten the input or lower --max-output"


def test_system_and_images_count_toward_the_estimate():
    base = plan(Prompt(words(994)), Options(model="o4-mini"), O4_MINI, max_cost=None).input.tokens
    with_sys = plan(
        Prompt(words(994), system="abcd" * 10), Options(model="o4-mini"), O4_MINI, max_cost=None
    ).input.tokens
    with_img = plan(Prompt(words(994), images=(PNG,)), Options(model="o4-mini"), O4_MINI, max_cost=None).input.tokens
    assert with_sys == base + 10 + 3
    assert with_img == base + 7  # a 64x64 image: 4 patches x 1.72, rounded up


# ------------------------------------------------------------ parse_option


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("store=false", ("store", False)),
        ("store=true", ("store", True)),
        ("n=3", ("n", 3)),
        ("temperature=0.5", ("temperature", 0.5)),
        ("user=null", ("user", None)),
        ('metadata={"run":"1"}', ("metadata", {"run": "1"})),
        ("include=[1,2]", ("include", [1, 2])),
        ("text.verbosity=low", ("text.verbosity", "low")),
        ('name="quoted"', ("name", "quoted")),
        ("url=a=b", ("url", "a=b")),
        ("note=", ("note", "")),
        (" key =1", ("key", 1)),
    ],
)
def test_parse_option(item, expected):
    assert parse_option(item) == expected


@pytest.mark.parametrize("item", ["store", "=1", " =x", ""])
def test_parse_option_needs_key_and_equals(item):
    with pytest.raises(UsageError) as info:
        parse_option(item)
    assert info.value.message == f"--param {item!r}: expected KEY=VALUE"
    assert info.value.exit_code == ExitCode.USAGE
