"""Tools through the real command: local tools that are commands, consent, hand-back,
built-in tools and MCP, on both APIs, streamed and not. The emulator's model calls a tool
when the prompt says ``CALL name {args}`` (tests/fake_llm.py) and then answers with what
the tool returned."""

import json
from pathlib import Path

import pytest

from tests.cli.helpers import ledger_rows

CAT = ["cat"]  # a tool whose output is its arguments, as JSON


def tool_file(tmp_path: Path, name: str = "lookup", command=CAT, **more) -> str:
    """A TOML tool file; ``more`` adds keys (safe, timeout, strict ...)."""
    lines = [f'name = "{name}"', 'description = "Look something up"', f"command = {json.dumps(command)}"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in more.items()]
    lines += ["", "[parameters]", 'type = "object"', "properties = { q = { type = \"string\" } }", 'required = ["q"]']
    path = tmp_path / f"{name}.toml"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_two_step_chain_runs_the_tool_and_answers_with_its_output(o4, emulator, env, tmp_path):
    t = tool_file(tmp_path)
    r = o4("ask", "--tool", t, "--yes", "-s", "Be brief.", 'CALL lookup {"q": "paris"}')
    assert r.code == 0, r.stderr
    assert r.stdout == 'Tool said: {"q": "paris"}\n'
    assert 'o4: tool lookup {"q":"paris"} · ok · ' in r.stderr
    assert " · 2 turns · 1 tool step" in r.stderr
    first, second = emulator.bodies("/v1/responses")
    assert first["tools"] == [{"type": "function", "name": "lookup", "description": "Look something up",
                               "parameters": {"type": "object", "properties": {"q": {"type": "string"}},
                                              "required": ["q"]}, "strict": False}]  # fmt: skip
    call_id = emulator.responses[second["previous_response_id"]]["output"][1]["call_id"]
    assert second["input"] == [{"type": "function_call_output", "call_id": call_id, "output": '{"q": "paris"}'}]
    assert second["tools"] == first["tools"] and second["instructions"] == "Be brief."  # not carried over
    assert all("parallel_tool_calls" not in b for b in (first, second))  # o4-mini rejects it
    rows = ledger_rows(env)
    chains = {json.loads(row["extra"])["chain_id"] for row in rows}
    assert len(rows) == 2 and len(chains) == 1 and all(float(row["cost_usd"]) > 0 for row in rows)
    assert [json.loads(row["extra"])["turn"] for row in rows] == [1, 2]


def test_chat_completions_several_calls_in_one_turn_run_in_order(o4, emulator, tmp_path):
    t = tool_file(tmp_path)
    r = o4("ask", "--api", "chat", "--tool", t, "--yes", 'CALL lookup {"q": "a"} CALL lookup {"q": "b"}')
    assert r.code == 0, r.stderr
    assert r.stdout == 'Tool said: {"q": "a"}; {"q": "b"}\n'
    first, second = emulator.bodies("/v1/chat/completions")
    assert first["tools"][0] == {"type": "function", "function": {
        "name": "lookup", "description": "Look something up",
        "parameters": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}}}  # fmt: skip
    assistant, out_a, out_b = second["messages"][-3:]
    assert assistant["role"] == "assistant" and [c["function"]["arguments"] for c in assistant["tool_calls"]] == [
        '{"q": "a"}', '{"q": "b"}']  # fmt: skip
    assert (out_a["role"], out_a["tool_call_id"], out_a["content"]) == ("tool", assistant["tool_calls"][0]["id"], '{"q": "a"}')
    assert out_b["tool_call_id"] == assistant["tool_calls"][1]["id"]


@pytest.mark.parametrize("api", ["responses", "chat"])
def test_streaming_with_tools_shows_the_answer_after_the_steps(o4, emulator, tmp_path, api):
    t = tool_file(tmp_path, safe=True)
    r = o4("stream", "--api", api, "--tool", t, 'CALL lookup {"q": "streamed"}')
    assert r.code == 0, r.stderr
    assert r.stdout == 'Tool said: {"q": "streamed"}\n'
    assert "o4: tool lookup" in r.stderr and "2 turns · 1 tool step" in r.stderr
    bodies = emulator.bodies("/v1/")
    assert len(bodies) == 2 and all(b["stream"] is True for b in bodies)


def test_the_chain_stops_at_the_limit_with_what_happened(o4, emulator, env, tmp_path):
    t = tool_file(tmp_path, safe=True)
    prompt = 'CALL lookup {"q": "1"}\nCALL lookup {"q": "2"}\nCALL lookup {"q": "3"}'
    r = o4("ask", "--tool", t, "--chain-limit", "2", prompt)
    assert r.code == 1
    assert "--chain-limit 2: after 2 rounds of tool calls the model asked for 1 more (lookup)" in r.stderr
    assert r.stderr.count("o4: tool lookup") == 2 and "3 turns · 2 tool steps" in r.stderr
    assert len(emulator.bodies("/v1/responses")) == 3 and len(ledger_rows(env)) == 3


def test_a_failing_tool_is_an_error_the_model_sees(o4, emulator, tmp_path):
    t = tool_file(tmp_path, command=["sh", "-c", "echo partial; echo it broke >&2; exit 3"], safe=True)
    r = o4("ask", "--tool", t, 'CALL lookup {"q": "x"}')
    assert r.code == 0, r.stderr
    assert r.stdout == "Tool said: Error: the command failed (exit code 3): it broke\nOutput:\npartial\n"
    assert "o4: tool lookup" in r.stderr and "failed: the command failed (exit code 3): it broke" in r.stderr


def test_a_tool_that_times_out_or_cannot_start_is_reported_to_the_model(o4, emulator, tmp_path):
    slow = tool_file(tmp_path, name="slow", command=["sleep", "30"], safe=True, timeout=0.3)
    gone = tool_file(tmp_path, name="gone", command=["/no/such/program"], safe=True)
    r = o4("ask", "--tool", slow, "--tool", gone, 'CALL slow {"q": "x"} CALL gone {"q": "y"}')
    assert r.code == 0, r.stderr
    assert "Error: timed out after 0.3 s" in r.stdout
    assert "Error: the command '/no/such/program' could not start" in r.stdout


def test_invalid_arguments_and_unknown_tools_go_back_as_errors(o4, emulator, tmp_path):
    marker = tmp_path / "ran"
    t = tool_file(tmp_path, command=["touch", str(marker)], safe=True)
    r = o4("ask", "--tool", t, "CALL lookup {not json CALL ghost {}")
    assert r.code == 0, r.stderr
    assert "Error: the arguments are not valid JSON" in r.stdout
    assert "Error: there is no tool named 'ghost' (tools: lookup)" in r.stdout
    assert not marker.exists()


def test_without_a_terminal_or_yes_a_call_is_refused_and_the_model_told(o4, emulator, tmp_path):
    marker = tmp_path / "ran"
    t = tool_file(tmp_path, command=["touch", str(marker)])
    r = o4("ask", "--tool", t, 'CALL lookup {"q": "x"}')
    assert r.code == 0, r.stderr
    assert r.stdout == "Tool said: The user refused this tool call; it was not run.\n"
    assert "refused: no terminal to ask (pass --yes, or mark the tool safe = true)" in r.stderr
    assert not marker.exists()
    assert o4("ask", "--tool", t, "--yes", 'CALL lookup {"q": "x"}').code == 0 and marker.exists()


def test_tools_never_see_the_api_key(o4, emulator, tmp_path):
    t = tool_file(tmp_path, command=["env"], safe=True)
    r = o4("ask", "--tool", t, 'CALL lookup {"q": "x"}', extra_env={"O4_MCP_X_TOKEN": "mcp-secret", "KEEP": "1"})
    assert r.code == 0 and "KEEP=1" in r.stdout
    assert "sk-test" not in r.stdout and "OPENAI_API_KEY" not in r.stdout and "mcp-secret" not in r.stdout


def test_outputs_past_the_cap_are_cut_with_a_note(o4, emulator, tmp_path):
    t = tool_file(tmp_path, command=["sh", "-c", "head -c 70000 /dev/zero | tr '\\0' x"], safe=True)
    r = o4("ask", "--tool", t, 'CALL lookup {"q": "x"}')
    assert r.code == 0 and "[o4: output cut at 65,536 of 70,000 characters]" in r.stdout
    assert "(cut)" in r.stderr


def test_tool_calls_hands_the_calls_back_then_tool_result_continues(o4, emulator, env, tmp_path):
    marker = tmp_path / "ran"
    t = tool_file(tmp_path, command=["touch", str(marker)], safe=True)
    r = o4("ask", "--tool", t, "--tool-calls", 'CALL lookup {"q": "x"} CALL lookup {"q": "y"}')
    assert r.code == 7, r.stderr
    doc = json.loads(r.stdout)
    assert [(c["name"], c["arguments"], c["type"]) for c in doc["calls"]] == [
        ("lookup", {"q": "x"}, "function"), ("lookup", {"q": "y"}, "function")]  # fmt: skip
    assert doc["response_id"].startswith("resp_") and not marker.exists()
    out = tmp_path / "out.txt"
    out.write_text("result x")
    first, second = (c["id"] for c in doc["calls"])
    r = o4("ask", "--tool-result", f"{first}={out}", "--tool-result", f"{second}=-", input="result y")
    assert r.code == 0, r.stderr
    assert r.stdout == "Tool said: result x; result y\n"
    last = emulator.bodies("/v1/responses")[-1]
    assert last["previous_response_id"] == doc["response_id"]
    assert last["input"] == [{"type": "function_call_output", "call_id": first, "output": "result x"},
                             {"type": "function_call_output", "call_id": second, "output": "result y"}]  # fmt: skip


def test_json_adds_the_steps_with_each_turns_tokens_and_cost(o4, emulator, tmp_path):
    t = tool_file(tmp_path, safe=True)
    doc = json.loads(o4("ask", "--json", "--tool", t, 'CALL lookup {"q": "j"}').stdout)
    assert doc["turns"] == 2 and doc["chain_id"].startswith("chain_") and doc["text"] == 'Tool said: {"q": "j"}'
    (step,) = doc["steps"]
    assert (step["turn"], step["type"], step["name"], step["arguments"], step["status"]) == (
        1, "function", "lookup", {"q": "j"}, "ok")  # fmt: skip
    assert step["output"] == '{"q": "j"}' and step["error"] is None and step["output_bytes"] == 10
    assert step["turn_cost_usd"] > 0 and doc["cost_usd"] > step["turn_cost_usd"]  # the chain's total
    assert doc["usage"]["input_tokens"] > step["turn_usage"]["input_tokens"]


def test_builtin_tools_and_mcp_go_in_the_request_body(o4, emulator, tmp_path):
    env = {"O4_MCP_DOCS_TOKEN": "tok-123"}
    args = ("--code-interpreter", "--file-search", "vs_abc", "--mcp", "docs=https://mcp.example.com/sse",
            "--mcp-allow", "search")  # fmt: skip
    dry = o4("ask", *args, "--dry-run", "hi", extra_env=env)
    assert dry.code == 0 and "tok-123" not in dry.stdout
    assert json.loads(dry.stdout)["tools"][2]["headers"] == {"Authorization": "***"}
    r = o4("ask", *args, "--yes", "CALL code_interpreter {\"code\": \"6*7\"}\nCALL docs.search {\"q\": \"x\"}",
           extra_env=env)  # fmt: skip
    assert r.code == 0, r.stderr
    assert r.stdout == "Tool said: search ran\n"
    first = emulator.bodies("/v1/responses")[0]
    assert first["tools"] == [
        {"type": "code_interpreter", "container": {"type": "auto"}},
        {"type": "file_search", "vector_store_ids": ["vs_abc"]},
        {"type": "mcp", "server_label": "docs", "server_url": "https://mcp.example.com/sse",
         "allowed_tools": ["search"], "headers": {"Authorization": "Bearer tok-123"}},
    ]  # fmt: skip
    assert 'o4: code interpreter {"code":"6*7"} · ok (run by OpenAI)' in r.stderr
    assert "mcp docs.search" in r.stderr and "approved" in r.stderr
    approval = emulator.bodies("/v1/responses")[-1]["input"]
    assert approval[0]["type"] == "mcp_approval_response" and approval[0]["approve"] is True
    assert "tok-123" not in r.stdout + r.stderr


def test_mcp_approval_is_refused_without_yes_off_a_terminal(o4, emulator):
    r = o4("ask", "--mcp", "docs=https://mcp.example.com/sse", 'CALL docs.search {"q": "x"}')
    assert r.code == 0, r.stderr
    assert r.stdout == "Tool said: (denied)\n"
    assert "denied: refused: no terminal to ask" in r.stderr
    assert emulator.bodies("/v1/responses")[-1]["input"][0]["approve"] is False


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--api", "chat", "--code-interpreter"), "--code-interpreter, --file-search and --mcp are Responses API"),
        (("--mcp", "docs=ftp://x"), "--mcp docs: 'ftp://x' is not an http(s) URL"),
        (("--mcp", "docs=https://u:p@x.example"), "no credentials in the URL"),
        (("--mcp-allow", "x"), "go with --tool, --mcp"),
        (("--code-interpreter", "--param", "parallel_tool_calls=false"), "rejected even when false"),
        (("--code-interpreter", "--chain-limit", "0"), "--chain-limit must be at least 1"),
        (("--tool-result", "call_1", "--cid", "resp_1"), "expected CALL_ID=FILE"),
        (("--code-interpreter", "--background"), "--background and --resumable do not take tools"),
    ],
)
def test_bad_tool_flags_are_refused_before_sending(o4, emulator, args, message):
    r = o4("ask", *args, "hi")
    assert r.code == 2 and message in r.stderr and emulator.log == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('name = "x"\ncommand = "rm -rf /"\n', "'command' must be a list of arguments, not a string"),
        ('name = "bad name"\ncommand = ["true"]\n', "'name' must be 1-64 letters"),
        ('name = "x"\ncommand = ["true"]\nshell = true\n', "unknown key 'shell'"),
        ('name = "x"\ncommand = ["true"]\nstrict = true\n[parameters]\ntype = "object"\n'
         'properties = { a = { type = "string" } }\nrequired = []\n', "leaves a out of 'required'"),
        ("name = \n", "not valid TOML"),
    ],
)
def test_bad_tool_files_name_the_file_and_send_nothing(o4, emulator, tmp_path, content, message):
    path = tmp_path / "t.toml"
    path.write_text(content)
    r = o4("ask", "--tool", str(path), "hi")
    assert r.code == 2 and f"--tool {path}" in r.stderr and message in r.stderr and emulator.log == []


def test_a_json_file_with_several_strict_tools(o4, emulator, tmp_path):
    path = tmp_path / "tools.json"
    schema = {"type": "object", "properties": {"q": {"type": "string"}, "n": {"type": "object", "properties": {}}}}
    path.write_text(json.dumps([{"name": "a", "command": ["cat"], "strict": True, "parameters": schema},
                                {"name": "b", "command": ["cat"]}]))  # fmt: skip
    r = o4("ask", "--tool", str(path), "hi")
    assert r.code == 0, r.stderr
    a, b = emulator.bodies("/v1/responses")[0]["tools"]
    assert a["strict"] is True and a["parameters"]["additionalProperties"] is False
    assert a["parameters"]["required"] == ["q", "n"] and a["parameters"]["properties"]["n"]["additionalProperties"] is False
    assert b["strict"] is False and b["parameters"] == {"type": "object", "properties": {}}


def batch_line(cid: str, url: str, body: dict) -> str:
    return json.dumps({"custom_id": cid, "method": "POST", "url": url, "body": {"model": "o4-mini", **body}})


FN = {"type": "function", "name": "lookup", "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}}


def test_batch_lines_with_tools_are_checked_before_upload(o4, emulator, tmp_path):
    p = tmp_path / "in.jsonl"
    p.write_text("\n".join([
        batch_line("ok", "/v1/responses", {"input": "x", "tools": [{**FN, "strict": False}]}),
        batch_line("nested", "/v1/responses", {"input": "x", "tools": [{"type": "function", "function": FN}]}),
        batch_line("name", "/v1/responses", {"input": "x", "tools": [{**FN, "name": "no spaces"}]}),
        batch_line("strict", "/v1/responses", {"input": "x", "tools": [{**FN, "strict": True}]}),
        batch_line("twice", "/v1/responses", {"input": "x", "tools": [{**FN, "strict": False}] * 2}),
        batch_line("default", "/v1/responses", {"input": "x", "tools": [FN]}),
        batch_line("chat", "/v1/chat/completions", {"messages": [], "tools": [{"type": "function", "function": FN}]}),
    ]) + "\n")  # fmt: skip
    r = o4("batch", "submit", str(p))
    assert r.code == 2 and emulator.log == []
    assert f"{p}:2: body.tools[0]: the Responses API takes flat function tools" in r.stderr
    assert f"{p}:3: body.tools[0]: name must be 1-64 letters" in r.stderr
    assert f"{p}:4: body.tools[0] (lookup): strict mode needs" in r.stderr
    assert f"{p}:5: body.tools[1]: tool 'lookup' appears twice" in r.stderr
    assert f"{p}:6: body.tools[0] (lookup): strict mode needs" in r.stderr
    assert 'no "strict" given: the Responses API makes it strict; add "strict": false' in r.stderr
    assert f"{p}:7: mixed endpoints" in r.stderr  # one endpoint a file: checked too
    assert f"{p}:1:" not in r.stderr


@pytest.mark.parametrize("url", ["/v1/responses", "/v1/chat/completions"])
def test_batch_results_text_shows_the_calls(o4, emulator, tmp_path, url):
    from tests.cli.test_batch import FAST, submit_and_wait

    emulator.batch_timing = dict(FAST)
    chat = url.endswith("completions")
    tools = [{"type": "function", "function": FN}] if chat else [{**FN, "strict": False}]
    prompt = 'CALL lookup {"q": "a"}'
    body = {"messages": [{"role": "user", "content": prompt}]} if chat else {"input": prompt}
    p = tmp_path / "in.jsonl"
    p.write_text(batch_line("c1", url, {**body, "tools": tools}) + "\n" + batch_line("c2", url, {**body}) + "\n")
    (bid,) = submit_and_wait(o4, p)
    r = o4("batch", "results", bid, "--text")
    assert r.code == 0, r.stderr
    assert r.stdout.splitlines() == ['c1\t[call lookup {"q": "a"}]', f"c2\tEcho: {prompt}"]


def test_tool_calls_on_a_stream_keeps_stdout_the_document(o4, emulator, tmp_path):
    t = tool_file(tmp_path)
    r = o4("stream", "--api", "chat", "--tool", t, "--tool-calls", 'CALL lookup {"q": "x"}')
    assert r.code == 7 and json.loads(r.stdout)["calls"][0]["arguments"] == {"q": "x"}


def test_a_turn_that_fails_mid_chain_ends_it_and_every_turn_is_recorded(o4, emulator, env, tmp_path):
    t = tool_file(tmp_path, safe=True)
    emulator.answer()  # the first turn: the call
    emulator.answer(status="failed", error={"code": "server_error", "message": "The model failed."})
    r = o4("ask", "--tool", t, 'CALL lookup {"q": "x"}')
    assert r.code == 5 and "The model failed." in r.stderr and "2 turns · 1 tool step" in r.stderr
    rows = ledger_rows(env)
    assert [row["status"] for row in rows] == ["ok", "failed"]
    assert len({json.loads(row["extra"])["chain_id"] for row in rows}) == 1


def test_max_cost_covers_the_whole_chain(o4, emulator, env, tmp_path):
    t = tool_file(tmp_path, safe=True)
    prompt = 'CALL lookup {"q": "1"}\nCALL lookup {"q": "2"}'
    # a turn's worst case at --max-output 2000 is about $0.0089 (2000 x $4.40/M plus the input):
    # the first turn fits $0.009, the first plus the second's worst case do not
    r = o4("ask", "--tool", t, "--max-output", "2000", "--max-cost", "0.009", prompt)
    assert r.code == 6, r.stderr
    assert "--max-cost $0.009000: the chain has cost $0.000" in r.stderr and "stopped before sending it" in r.stderr
    assert len(emulator.bodies("/v1/responses")) == 1 and len(ledger_rows(env)) == 1
    assert o4("ask", "--tool", t, "--max-output", "2000", "--max-cost", "0.05", prompt).code == 0


def test_a_resumable_profile_streams_a_tool_chain_as_usual(o4, emulator, tmp_path):
    t = tool_file(tmp_path, safe=True)
    assert o4("config", "set", "resumable", "true").code == 0
    r = o4("stream", "--tool", t, 'CALL lookup {"q": "r"}')
    assert r.code == 0, r.stderr
    assert r.stdout == 'Tool said: {"q": "r"}\n' and all("background" not in b for b in emulator.bodies("/v1/responses"))
