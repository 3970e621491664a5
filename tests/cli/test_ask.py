"""`o4 ask` end to end against the emulator, both APIs."""

import json
from decimal import Decimal

import pytest

from tests.cli.helpers import GIF_ANIMATED, GIF_STILL, PNG, SUMMARY, ledger_rows


def test_words_make_the_prompt_and_stdout_is_the_answer(o4, emulator, env):
    r = o4("ask", "hello", "world")
    assert r.code == 0, r.stderr
    assert r.stdout == "Echo: hello world\n"  # byte for byte when piped, plus a final newline
    assert SUMMARY.search(r.stderr), r.stderr
    (body,) = emulator.bodies("/v1/responses")
    assert body == {"model": "o4-mini", "input": "hello world", "reasoning": {"effort": "medium"}}
    (row,) = ledger_rows(env)
    assert (row["command"], row["endpoint"], row["status"], row["pricing"]) == ("ask", "/v1/responses", "ok", "standard")
    assert row["response_id"].startswith("resp_") and row["output_tokens"] > 0 and float(row["cost_usd"]) > 0


def test_stdin_alone_and_after_the_words(o4, emulator):
    assert o4("ask", input="just stdin\n").stdout == "Echo: just stdin\n"
    o4("ask", "summarize", input="piped text\n")
    bodies = emulator.bodies("/v1/responses")
    assert bodies[0]["input"] == "just stdin"
    assert bodies[1]["input"] == "summarize\n\npiped text"


def test_files_are_added_under_their_names(o4, emulator, tmp_path):
    f = tmp_path / "notes.md"
    f.write_text("line one\nline two\n")
    assert o4("ask", "review", "-f", str(f)).code == 0
    assert emulator.bodies()[0]["input"] == f"review\n\n## {f}\n\nline one\nline two"


@pytest.mark.parametrize(
    ("content", "fragment"),
    [(b"\x00\x01binary", "binary file, not text"), (b"\xff\xfe\xfa bad", "not UTF-8 text")],
)
def test_binary_file_is_refused_naming_it(o4, emulator, tmp_path, content, fragment):
    f = tmp_path / "blob.bin"
    f.write_bytes(content)
    r = o4("ask", "x", "-f", str(f))
    assert r.code == 2 and f"-f {f}: {fragment}" in r.stderr and emulator.log == []


def test_missing_file_is_refused(o4, emulator):
    r = o4("ask", "x", "-f", "nope.txt")
    assert r.code == 2 and "-f nope.txt: no such file" in r.stderr and emulator.log == []


def test_empty_prompt_is_refused(o4, emulator):
    r = o4("ask", input="  \n")
    assert r.code == 2 and "empty prompt" in r.stderr and emulator.log == []


def test_system_becomes_instructions_or_developer_message(o4, emulator):
    o4("ask", "-s", "Be terse.", "hi")
    o4("ask", "--api", "chat", "-s", "Be terse.", "hi")
    responses, chat = emulator.bodies("/v1/responses")[0], emulator.bodies("/v1/chat/completions")[0]
    assert responses["instructions"] == "Be terse."
    assert chat["messages"] == [{"role": "developer", "content": "Be terse."}, {"role": "user", "content": "hi"}]


def test_images_become_data_urls_with_detail(o4, emulator, tmp_path):
    png = tmp_path / "dot.png"
    png.write_bytes(PNG)
    gif = tmp_path / "still.gif"
    gif.write_bytes(GIF_STILL)
    r = o4("ask", "what is this", "-i", str(png), "-i", "https://example.com/cat.jpg", "-i", str(gif), "--detail", "low")
    assert r.code == 0, r.stderr
    content = emulator.bodies()[0]["input"][0]["content"]
    assert content[0] == {"type": "input_text", "text": "what is this"}
    assert content[1]["image_url"].startswith("data:image/png;base64,iVBORw0KGgo") and content[1]["detail"] == "low"
    assert content[2] == {"type": "input_image", "image_url": "https://example.com/cat.jpg", "detail": "low"}
    assert content[3]["image_url"].startswith("data:image/gif;base64,")
    o4("ask", "--api", "chat", "what", "-i", str(png))
    parts = emulator.bodies("/v1/chat/completions")[0]["messages"][0]["content"]
    assert parts[1]["type"] == "image_url" and parts[1]["image_url"]["detail"] == "auto"


def test_bad_images_are_refused(o4, emulator, tmp_path):
    anim = tmp_path / "anim.gif"
    anim.write_bytes(GIF_ANIMATED)
    txt = tmp_path / "fake.png"
    txt.write_text("not an image")
    r = o4("ask", "x", "-i", str(anim))
    assert r.code == 2 and "animated GIFs are not accepted" in r.stderr
    r = o4("ask", "x", "-i", str(txt))
    assert r.code == 2 and f"-i {txt}: not a PNG, JPEG, WEBP or GIF image" in r.stderr
    r = o4("ask", "x", "-i", "missing.png")
    assert r.code == 2 and "-i missing.png: no such file" in r.stderr
    assert emulator.log == []


def test_chat_api_same_output_same_summary_same_ledger(o4, emulator, env):
    r1 = o4("ask", "same", "question")
    r2 = o4("ask", "--api", "chat", "same", "question", "--max-output", "5000", "-e", "low")
    assert r1.stdout == r2.stdout == "Echo: same question\n"
    assert SUMMARY.search(r2.stderr)
    body = emulator.bodies("/v1/chat/completions")[0]
    assert body == {
        "model": "o4-mini",
        "messages": [{"role": "user", "content": "same question"}],
        "reasoning_effort": "low",
        "max_completion_tokens": 5000,
    }
    rows = ledger_rows(env)
    assert [r["endpoint"] for r in rows] == ["/v1/responses", "/v1/chat/completions"]
    assert rows[1]["response_id"].startswith("chatcmpl-")


def test_profile_api_chat(o4, emulator):
    o4("config", "set", "api", "chat")
    assert o4("ask", "hi").code == 0
    assert emulator.log[0].path == "/v1/chat/completions"


def test_schema_file_inline_and_concise(o4, emulator, tmp_path):
    f = tmp_path / "person.json"
    f.write_text(json.dumps({"type": "object", "properties": {"name": {"type": "string"}}}))
    for spec in (str(f), '{"type":"object","properties":{"name":{"type":"string"}}}', "name"):
        r = o4("ask", "who", "--schema", spec)
        assert r.code == 0, r.stderr
        assert json.loads(r.stdout) == {"name": "text"}
    for body in emulator.bodies():
        fmt = body["text"]["format"]
        assert fmt["type"] == "json_schema" and fmt["strict"] is True
        assert fmt["schema"]["additionalProperties"] is False and fmt["schema"]["required"] == ["name"]


def test_concise_schema_types(o4, emulator):
    r = o4("ask", "x", "--schema", "name, age int, score float: 0 to 1, ok bool, tags list, ids list[int]", "--api", "chat")
    assert r.code == 0, r.stderr
    schema = emulator.bodies()[0]["response_format"]["json_schema"]["schema"]
    assert schema["properties"] == {
        "name": {"type": "string"},
        "age": {"type": "integer"},
        "score": {"type": "number", "description": "0 to 1"},
        "ok": {"type": "boolean"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "ids": {"type": "array", "items": {"type": "integer"}},
    }
    assert json.loads(r.stdout)["ids"] == [42]


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("name, age integerz", "unknown type 'integerz'"),
        ('{"type": "array"}', "root must be an object"),
        ('{"type": "object", "properties": {"a": {"type": "string"}}, "required": []}', "leaves a out of 'required'"),
        ("{broken", "not valid JSON"),
        ("missing/schema.json", "no such file"),
    ],
)
def test_bad_schema_is_refused(o4, emulator, spec, fragment):
    r = o4("ask", "x", "--schema", spec)
    assert r.code == 2 and fragment in r.stderr and emulator.log == []


def test_continue_and_cid(o4, emulator):
    o4("ask", "first")
    o4("ask", "-c", "second")
    o4("ask", "--cid", "resp_000001", "third")
    b = emulator.bodies()
    first_id = emulator.responses and sorted(emulator.responses)[0]
    assert "previous_response_id" not in b[0]
    assert b[1]["previous_response_id"] == first_id
    assert b[2]["previous_response_id"] == "resp_000001"


def test_continue_refusals(o4, emulator):
    r = o4("ask", "-c", "x")
    assert r.code == 2 and "no earlier conversation" in r.stderr
    r = o4("ask", "--api", "chat", "--cid", "resp_1", "x")
    assert r.code == 2 and "o4's history has no copy" in r.stderr and emulator.log == []
    r = o4("ask", "-c", "--cid", "c_1", "x")
    assert r.code == 2 and "not both" in r.stderr and emulator.log == []


def test_option_fields_parse_as_json(o4, emulator):
    o4("ask", "x", "-o", "store=false", "-o", 'metadata={"run":"7"}', "-o", "reasoning.summary=auto", "-o", "user=bob")
    body = emulator.bodies()[0]
    assert body["store"] is False and body["metadata"] == {"run": "7"} and body["user"] == "bob"
    assert body["reasoning"] == {"effort": "medium", "summary": "auto"}


@pytest.mark.parametrize(
    ("opt", "fragment"),
    [
        ("temperature=0", "does not accept 'temperature'"),
        ("top_p=0.9", "does not accept 'top_p'"),
        ("max_tokens=100", "use --max-output"),
        ("stop=END", "does not accept 'stop'"),
        ("parallel_tool_calls=false", "rejected even when false"),
        ("oops", "expected KEY=VALUE"),
    ],
)
def test_rejected_parameters_are_refused_before_sending(o4, emulator, opt, fragment):
    r = o4("ask", "x", "-o", opt)
    assert r.code == 2 and fragment in r.stderr and emulator.log == []


def test_bad_flag_values(o4, emulator):
    assert o4("ask", "x", "-e", "extreme").code == 2
    r = o4("ask", "x", "--max-output", "200000")
    assert r.code == 2 and "maximum of 100,000" in r.stderr
    r = o4("ask", "x", "--max-output", "5")
    assert r.code == 2 and "at least 16" in r.stderr
    r = o4("ask", "x", "--flex-fallback")
    assert r.code == 2 and "goes with --flex" in r.stderr
    assert emulator.log == []


def test_dry_run_prints_the_exact_body_and_needs_no_key(o4, emulator):
    r = o4("ask", "x", "-e", "high", "--max-output", "3000", "-s", "sys", "--dry-run", extra_env={"OPENAI_API_KEY": None})
    assert r.code == 0 and emulator.log == []
    dry = json.loads(r.stdout)
    assert "nothing sent" in r.stderr and "worst case $" in r.stderr and "up to 3,000 output tokens" in r.stderr
    o4("ask", "x", "-e", "high", "--max-output", "3000", "-s", "sys")
    assert emulator.bodies()[0] == dry


def test_max_cost_refuses_the_worst_case_exit_6(o4, emulator):
    r = o4("ask", "x", "--max-output", "25000", "--max-cost", "0.05")
    assert r.code == 6 and "worst case is $0.110" in r.stderr and emulator.log == []
    assert o4("ask", "x", "--max-output", "25000", "--max-cost", "0.20").code == 0
    # without --max-output the worst case is the model's whole 100,000-token output
    r = o4("ask", "x", "--max-cost", "0.40")
    assert r.code == 6 and "100,000 output tokens" in r.stderr
    assert o4("ask", "x", "--max-cost", "abc").code == 2


def test_prompt_that_cannot_fit_the_context_is_refused(o4, emulator, tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("word " * 205_000)  # 205,001 o200k_base tokens (" word" is one)
    r = o4("ask", "x", "-f", str(big))
    assert r.code == 2 and "does not fit o4-mini's 200,000-token context" in r.stderr and emulator.log == []
    mid = tmp_path / "mid.txt"
    mid.write_text("word " * 150_000)  # 150,001: fits alone, not with 60,000 more
    r = o4("ask", "x", "-f", str(mid), "--max-output", "60000")
    assert r.code == 2 and "plus --max-output 60,000" in r.stderr


def test_empty_answer_trap_responses(o4, emulator, env):
    emulator.answer(status="incomplete", text="", reasoning_tokens=500, output_tokens=500)
    r = o4("ask", "hard", "--max-output", "500")
    assert r.code == 1 and r.stdout == ""
    assert "reasoning used the whole output budget (500 of 500 output tokens were reasoning)" in r.stderr
    assert "25,000" in r.stderr and "--max-output" in r.stderr
    assert SUMMARY.search(r.stderr)
    (row,) = ledger_rows(env)
    assert row["status"] == "incomplete" and row["output_tokens"] == 500 and float(row["cost_usd"]) > 0


def test_empty_answer_trap_chat(o4, emulator, env):
    emulator.answer(status="incomplete", text="", reasoning_tokens=300, output_tokens=300)
    r = o4("ask", "--api", "chat", "hard", "--max-output", "300")
    assert r.code == 1 and "reasoning used the whole output budget" in r.stderr
    assert ledger_rows(env)[0]["status"] == "incomplete"


def test_answer_cut_at_max_output_keeps_the_text(o4, emulator):
    emulator.answer(status="incomplete", text="partial answ")
    r = o4("ask", "x", "--max-output", "100")
    assert r.code == 1 and r.stdout == "partial answ\n" and "cut at the output limit" in r.stderr


def test_json_output_shape(o4, emulator):
    emulator.answer(text="forty-two", input_tokens=1204, cached_tokens=1024, output_tokens=812, reasoning_tokens=640)
    r = o4("ask", "x", "--json")
    assert r.code == 0
    doc = json.loads(r.stdout, parse_float=Decimal)
    assert doc["text"] == "forty-two" and doc["status"] == "completed" and doc["api"] == "responses"
    assert doc["usage"] == {"input_tokens": 1204, "cached_tokens": 1024, "output_tokens": 812, "reasoning_tokens": 640, "estimated": False}
    assert doc["cost_usd"] == Decimal("0.004052") and doc["pricing"] == "standard"
    assert doc["response_id"].startswith("resp_") and doc["seconds"] > 0
    assert "o4-mini · in 1,204 (1,024 cached) · out 812 (640 reasoning) · $0.004052 · " in r.stderr


def test_quiet_drops_the_summary(o4, emulator):
    r = o4("ask", "x", "-q")
    assert r.code == 0 and r.stderr == ""


def test_flex_is_half_price(o4, emulator, env):
    emulator.answer(input_tokens=1_000_000, output_tokens=100_000, cached_tokens=250_000, service_tier="flex")
    r = o4("ask", "x", "--flex", "--json")
    assert emulator.bodies()[0]["service_tier"] == "flex"
    doc = json.loads(r.stdout, parse_float=Decimal)
    assert doc["pricing"] == "flex" and doc["cost_usd"] == Decimal("0.666875")
    assert ledger_rows(env)[0]["pricing"] == "flex"


FLEX_429 = {"error": {"message": "Resource Unavailable: flex capacity is exhausted, please retry later.", "type": "server_error", "param": None, "code": "resource_unavailable"}}


def test_flex_without_capacity_says_so(o4, emulator):
    o4("config", "set", "max_retries", "0")
    emulator.fault(status=429, body=FLEX_429)
    r = o4("ask", "x", "--flex")
    assert r.code == 4 and "--flex-fallback" in r.stderr and len(emulator.log) == 1


def test_flex_fallback_retries_at_the_standard_tier(o4, emulator, env):
    o4("config", "set", "max_retries", "0")
    emulator.fault(status=429, body=FLEX_429)
    r = o4("ask", "x", "--flex", "--flex-fallback")
    assert r.code == 0, r.stderr
    first, second = emulator.bodies()
    assert first["service_tier"] == "flex" and "service_tier" not in second
    assert "standard tier" in r.stderr
    assert ledger_rows(env)[0]["pricing"] == "standard"


def test_api_errors_and_exit_codes(o4, emulator, env):
    emulator.fault(status=400, body={"error": {"message": "Invalid prompt.", "type": "invalid_request_error", "param": "input", "code": "invalid_prompt"}})
    r = o4("ask", "x")
    assert r.code == 1 and "invalid_prompt" in r.stderr and r.stdout == ""
    row = ledger_rows(env)[0]
    assert row["status"] == "error" and row["cost_usd"] is None and "Invalid prompt." in row["extra"]
    assert o4("ask", "x", extra_env={"OPENAI_API_KEY": "sk-bad-000000000000"}).code == 3
    emulator.fault(status=429, headers={"Retry-After": "0"})
    r = o4("ask", "x")
    assert r.code == 0 and r.stdout == "Echo: x\n"
    o4("config", "set", "max_retries", "1")
    emulator.fault(status=503, times=2)
    assert o4("ask", "x").code == 5
