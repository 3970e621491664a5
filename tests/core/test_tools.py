"""The rules of core/tools, in-process: loading definitions, reading the model's calls,
running a command, and the chain's consent and limit (with a fake model turn)."""

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from o4cli.core.ask import request as req
from o4cli.core.ask.answer import Answer
from o4cli.core.cost import Usage
from o4cli.core.errors import UsageError
from o4cli.core.tools import calls, chain, definitions, runner
from o4cli.core.tools.definitions import Tool


def test_a_toml_file_may_hold_several_tools_and_cwd_is_relative_to_it(tmp_path):
    (tmp_path / "sub").mkdir()
    f = tmp_path / "tools.toml"
    f.write_text('[[tool]]\nname = "a"\ncommand = ["true"]\ncwd = "sub"\n\n[[tool]]\nname = "b"\ncommand = ["true"]\n')
    a, b = definitions.load(str(f))
    assert (a.name, a.cwd, b.name, b.cwd) == ("a", tmp_path / "sub", "b", None)
    assert a.parameters == {"type": "object", "properties": {}} and a.timeout == 60 and not a.safe


def test_a_name_defined_twice_across_files_is_refused(tmp_path):
    for name in ("one.json", "two.json"):
        (tmp_path / name).write_text('{"name": "same", "command": ["true"]}')
    with pytest.raises(UsageError, match="tool 'same' is already defined in"):
        definitions.load_files([str(tmp_path / "one.json"), str(tmp_path / "two.json")])


@pytest.mark.parametrize(
    ("tools", "chat", "problems"),
    [
        ([{"type": "function", "name": "a", "strict": False, "parameters": {"type": "object"}}], False, []),
        ([{"type": "function", "name": "a", "parameters": {"type": "object", "properties": {}}}], False,
         ['tools[0] (a): strict mode needs "additionalProperties": false on every object and every property in '
          "'required' (no \"strict\" given: the Responses API makes it strict; add \"strict\": false)"]),
        ([{"type": "function", "function": {"name": "a"}}], True, []),
        ([{"type": "code_interpreter", "container": {"type": "auto"}}], False, []),
        ([{"type": "code_interpreter"}], True, ["tools[0]: Chat Completions takes only function tools (got type 'code_interpreter')"]),
        ([{"type": "function", "name": "a"}], True, ['tools[0]: a Chat Completions tool is {"type": "function", "function": {...}}']),
        ([{"type": "rocket"}], False, ["tools[0]: unknown tool type 'rocket'"]),
        ("x", False, ["'tools' must be a list"]),
        ([{"type": "function", "name": "a", "parameters": {"type": "array"}}], False,
         ['tools[0] (a): the parameters schema must be an object schema ("type": "object")']),
        ([{"type": "function", "name": "a", "strict": True,
           "parameters": {"type": "object", "properties": {}, "additionalProperties": False, "required": []}}], False, []),
    ],
)  # fmt: skip
def test_check_tools(tools, chat, problems):
    assert definitions.check_tools(tools, chat=chat) == problems


@pytest.mark.parametrize(
    ("text", "parsed", "problem"),
    [
        ('{"a": 1}', {"a": 1}, None),
        ("", {}, None),
        ("[1]", None, "the arguments must be a JSON object, not list"),
        ("{nope", None, "the arguments are not valid JSON"),
        ("[" * 5000, None, "the arguments are not valid JSON"),
    ],
)
def test_arguments_are_parsed_defensively(text, parsed, problem):
    got, why = calls.parse_arguments(text)
    assert got == parsed
    assert (why is None) if problem is None else why.startswith(problem)


def test_the_output_cap_and_the_child_environment():
    assert runner.cap("abc", 5) == ("abc", False)
    assert runner.cap("abcdef", 5) == ("abcde\n[o4: output cut at 5 of 6 characters]", True)
    env = {"OPENAI_API_KEY": "sk", "MY_KEY": "k", "O4_MCP_X_TOKEN": "t", "PATH": "/bin"}
    assert runner.child_env(env, ("MY_KEY",)) == {"PATH": "/bin"}


def test_a_tool_gets_its_arguments_on_stdin_and_its_env(tmp_path):
    tool = Tool("t", "", {}, ("sh", "-c", 'cat; printf " $UNITS"'), env={"UNITS": "metric"})
    out = runner.run(tool, {"city": "Paris; rm -rf /"}, {"PATH": "/usr/bin:/bin"})
    assert out.error is None and out.output == '{"city": "Paris; rm -rf /"} metric' and out.size == len(out.output)


# ------------------------------------------------------------------ the loop, with a fake model


@dataclass
class FakeResult:
    answer: Answer
    usage: Usage = field(default_factory=lambda: Usage(10, 0, 5, 2))
    cost_usd: Decimal | None = Decimal("0.001")
    error: Any = None


def call_turn(*names: str) -> FakeResult:
    items = [{"type": "function_call", "call_id": f"c{i}", "name": n, "arguments": "{}"} for i, n in enumerate(names)]
    return FakeResult(Answer(response_id="resp_1", items=items))


class Person:
    def __init__(self, answers: list[str], interactive: bool = True) -> None:
        self.answers, self.interactive, self.asked, self.steps = answers, interactive, [], []

    def confirm(self, call):
        self.asked.append(call.name)
        return self.answers.pop(0)

    def step(self, step):
        self.steps.append(step)


def run_chain(turns: list[FakeResult], observer, **options):
    tools = {n: Tool(n, "", {}, ("true",), safe=n == "safe") for n in ("a", "b", "safe")}
    ts = chain.Toolset(chain.ToolOptions(files=("x",), **options), tools, [], [], {"PATH": "/usr/bin:/bin"})
    sent = []

    def send(body, extra):
        sent.append((body, extra))
        return turns.pop(0)

    out = chain.run(ts, {"model": "o4-mini", "input": "hi"}, req.Options(model="o4-mini"), send, observer)
    return out, sent


def test_all_allows_the_rest_of_a_tools_calls_and_no_is_sent_back_refused():
    person = Person(["a", "n"])
    done, sent = run_chain([call_turn("a", "a", "b", "safe"), FakeResult(Answer(text="done"))], person)
    last, steps, turns, chain_id = done.last, done.steps, done.turns, done.chain_id
    assert person.asked == ["a", "b"]  # the second "a" was covered by 'all'; "safe" needs no yes
    assert [s.status for s in steps] == ["ok", "ok", "refused", "ok"] and turns == 2 and last.answer.text == "done"
    outputs = sent[1][0]["input"]
    assert [o["output"] for o in outputs][2] == chain.REFUSED and sent[1][0]["previous_response_id"] == "resp_1"
    assert {e["chain_id"] for _, e in sent} == {chain_id} and [e["turn"] for _, e in sent] == [1, 2]


def test_no_terminal_refuses_unless_yes():
    done, _ = run_chain([call_turn("a"), FakeResult(Answer(text="x"))], Person([], interactive=False))
    assert done.steps[0].status == "refused" and "no terminal" in done.steps[0].error
    done, _ = run_chain([call_turn("a"), FakeResult(Answer(text="x"))], Person([], interactive=False), yes=True)
    assert done.steps[0].status == "ok"


def test_the_limit_counts_rounds_of_calls():
    done, sent = run_chain([call_turn("safe"), call_turn("safe")], Person([]), chain_limit=1)
    assert done.turns == 2 and len(done.steps) == 1 and isinstance(done.last.error, chain.ChainLimitReached)
    assert "after 1 rounds of tool calls the model asked for 1 more (safe)" in done.last.error.message


def test_hand_back_runs_nothing():
    done, sent = run_chain([call_turn("a", "b")], Person([]), hand_back=True)
    assert [c.name for c in done.handed_back] == ["a", "b"] and [s.status for s in done.steps] == ["handed back"] * 2
    assert len(sent) == 1


def test_chat_turns_replay_the_whole_conversation():
    answer = Answer(tool_calls=[{"id": "call_1", "type": "function", "function": {"name": "safe", "arguments": "{}"}}])
    tools = {"safe": Tool("safe", "", {}, ("printf", "out"), safe=True)}
    ts = chain.Toolset(chain.ToolOptions(files=("x",)), tools, [], [], {"PATH": "/usr/bin:/bin"})
    turns, sent = [FakeResult(answer), FakeResult(Answer(text="ok"))], []
    first = {"model": "o4-mini", "messages": [{"role": "user", "content": "hi"}]}
    chain.run(ts, first, req.Options(model="o4-mini", api="chat"), lambda b, e: sent.append(b) or turns.pop(0), Person([]))
    assert sent[1]["messages"][1:] == [
        {"role": "assistant", "content": None, "tool_calls": answer.tool_calls},
        {"role": "tool", "tool_call_id": "call_1", "content": "out"},
    ]
    assert json.dumps(sent[1]).count("parallel_tool_calls") == 0


def test_a_ctrl_c_while_a_tool_starts_is_held_until_the_tool_can_be_ended():
    import os
    import signal

    before = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with runner._ctrl_c_held() as came:
            os.kill(os.getpid(), signal.SIGINT)  # would raise KeyboardInterrupt inside Popen()
        assert came == [True] and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, before)
