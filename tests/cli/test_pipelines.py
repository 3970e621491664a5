"""Output hygiene for pipelines: a final newline, --no-stdin, -x/--extract."""

import pytest

ANSWER = "Here:\n\n```python\nprint('one')\n```\n\nand\n\n~~~~sh\necho two\n~~~~\n"


@pytest.mark.parametrize("cmd", ["ask", "stream"])
@pytest.mark.parametrize("api", ["responses", "chat"])
def test_answers_appended_to_one_file_stay_apart(o4, emulator, cmd, api):
    out = ""
    for word in ("one", "two"):
        emulator.answer(text=f"answer {word}")  # no final newline from the model
        out += o4(cmd, "--api", api, word, "-q").stdout
    assert out == "answer one\nanswer two\n"
    emulator.answer(text="ends with one\n")
    assert o4(cmd, "--api", api, "x", "-q").stdout == "ends with one\n"  # never doubled


def test_no_stdin_leaves_the_input_to_the_loop(o4, emulator):
    r = o4("ask", "--no-stdin", "hello", input="the rest of the loop's lines\n")
    assert r.code == 0 and emulator.bodies()[0]["input"] == "hello"
    r = o4("ask", "--no-stdin", input="only stdin\n")
    assert r.code == 2 and "empty prompt" in r.stderr


@pytest.mark.parametrize("cmd", ["ask", "stream"])
def test_extract_prints_the_first_code_block(o4, emulator, cmd):
    emulator.answer(text=ANSWER)
    assert o4(cmd, "-x", "write code", "-q").stdout == "print('one')\n"
    emulator.answer(text=ANSWER)
    assert o4(cmd, "--extract-all", "write code", "-q").stdout == "print('one')\necho two\n"
    emulator.answer(text="no code at all")
    r = o4(cmd, "-x", "write code")
    assert r.stdout == "no code at all\n" and "no fenced code block" in r.stderr


def test_extract_keeps_the_json_document_whole(o4, emulator):
    import json

    emulator.answer(text=ANSWER)
    assert json.loads(o4("ask", "-x", "x", "--json").stdout)["text"] == ANSWER



def test_extract_after_a_tool_chain(o4, emulator, tmp_path):
    from tests.cli.test_tools import tool_file

    r = o4("stream", "--tool", tool_file(tmp_path), "--yes", "-x", 'CALL lookup {"q": "x"}', "-q")
    assert r.code == 0, r.stderr
    assert r.stdout == 'Tool said: {"q": "x"}\n'  # no code block: the answer whole, not nothing
