"""Input is checked before it is read whole: devices, FIFOs, endless or oversized files and
streams, binary stdin, documents nested past any real request. Each is refused with one
line naming the flag and the file, exit 2 (3 for the config file), nothing sent."""

import json
import os

import pytest

DEEP = "[" * 3000 + "]" * 3000  # past Python's own recursion limit
DEEPISH = "[" * 100 + "]" * 100  # under it, past o4's bound


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe"
    os.mkfifo(path)  # no writer: opening it for reading would block for ever
    return str(path)


def grader(tmp_path):
    g = tmp_path / "grader.json"
    g.write_text(json.dumps({"type": "string_check", "name": "g", "input": "{{sample.output_text}}", "reference": "{{item.a}}", "operation": "eq"}))
    return str(g)


CASES = {
    "-f": lambda path, tmp: ("ask", "-f", path, "hi"),
    "-i": lambda path, tmp: ("ask", "-i", path, "hi"),
    "--schema": lambda path, tmp: ("ask", "--schema", path, "hi"),
    "batch submit": lambda path, tmp: ("batch", "submit", path),
    "batch run": lambda path, tmp: ("batch", "run", path),
    "finetune validate": lambda path, tmp: ("finetune", "validate", path),
    "--train": lambda path, tmp: ("finetune", "create", "--train", path, "--grader", grader(tmp)),
    "--grader": lambda path, tmp: ("finetune", "validate", str(tmp / "t.jsonl"), "--grader", path),
}


@pytest.mark.parametrize("flag", list(CASES))
@pytest.mark.parametrize("kind", ["device", "fifo"])
def test_devices_and_fifos_are_refused_by_type_before_reading(o4, emulator, tmp_path, fifo, flag, kind):
    (tmp_path / "t.jsonl").write_text("")
    path = "/dev/zero" if kind == "device" else fifo
    r = o4(*CASES[flag](path, tmp_path), timeout=20)
    assert r.code == 2, r.output
    expected = "is a device, not a regular file" if kind == "device" else "is a pipe (FIFO), not a regular file"
    line = next(x for x in r.stderr.splitlines() if "error:" in x)
    assert path in line and expected in line
    assert "Traceback" not in r.output and emulator.log == []


def test_a_text_file_too_large_for_a_prompt_is_refused_by_its_size(o4, emulator, tmp_path):
    big = tmp_path / "big.txt"
    with big.open("wb") as fh:
        fh.truncate(21 * 2**20)  # sparse: 21 MB said, nothing read
    r = o4("ask", "-f", str(big), "hi")
    assert r.code == 2 and f"-f {big}: 21.0 MB is too large for a prompt (at most 20.0 MB)" in r.stderr
    assert emulator.log == []


def test_stdin_past_the_cap_is_refused_and_nul_bytes_are_binary(o4, emulator):
    r = o4("ask", input=b"a" * (20 * 2**20 + 1))
    assert r.code == 2 and "stdin: more than 20.0 MB is too large for a prompt" in r.stderr
    r = o4("ask", "summarise", input=b"PK\x03\x04\x00\x00binary")
    assert r.code == 2 and "stdin: binary data (a NUL byte at offset 4), not text" in r.stderr
    assert emulator.log == []


@pytest.mark.parametrize("doc", [DEEP, DEEPISH], ids=["past-python", "past-o4"])
def test_documents_nested_past_any_real_request_are_refused_not_a_recursion_error(o4, emulator, tmp_path, doc):
    line = json.dumps({"custom_id": "a", "method": "POST", "url": "/v1/responses", "body": {"model": "o4-mini", "input": "x"}})
    batch = tmp_path / "deep.jsonl"
    batch.write_text(line.replace('"x"', doc) + "\n")
    schema = tmp_path / "schema.json"
    n = doc.count("[")
    schema.write_text('{"type": "object", "properties": {"a": ' + '{"x": ' * n + "1" + "}" * n + "}}")
    runs = [
        o4("batch", "submit", str(batch), "--dry-run"),
        o4("batch", "run", str(batch)),
        o4("finetune", "validate", str(batch)),
        o4("ask", "--param", f"metadata={doc}", "hi"),
        o4("ask", "--schema", str(schema), "hi"),
    ]
    for r in runs:
        assert r.code == 2, r.output
        assert "nested deeper than 64 levels" in r.stderr, r.stderr
        assert "RecursionError" not in r.output and "internal error" not in r.output
    assert emulator.log == []


def test_a_server_answer_nested_past_the_bound_is_a_server_error_not_a_crash(o4, emulator):
    emulator.fault(status=200, body=json.loads("[" * 100 + "]" * 100), times=3)
    r = o4("ask", "hi")
    assert r.code == 5 and "not JSON" in r.stderr and "internal error" not in r.stderr


def test_a_config_file_that_is_a_device_is_a_configuration_error(o4, emulator, env):
    r = o4("ask", "hi", extra_env={"O4_CONFIG": "/dev/zero"}, timeout=20)
    assert r.code == 3 and "config file /dev/zero: is a device, not a regular file" in r.stderr


def test_a_byte_order_mark_never_enters_a_prompt_a_schema_a_grader_or_the_config(o4, emulator, env, tmp_path):
    bom = b"\xef\xbb\xbf"
    notes = tmp_path / "notes.txt"
    notes.write_bytes(bom + b"line one\r\nline two\r\n")
    schema = tmp_path / "s.json"
    schema.write_bytes(bom + b'{"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"], "additionalProperties": false}')
    assert o4("ask", "-f", str(notes), "--schema", str(schema), "summarise").code == 0
    assert o4("ask", "summarise", input=bom + b"from stdin").code == 0
    sent = json.dumps(emulator.bodies("/v1/responses"))
    assert "\\ufeff" not in sent and "line one" in sent and "from stdin" in sent
    g = tmp_path / "g.json"
    g.write_bytes(bom + json.dumps({"type": "string_check", "name": "g", "input": "{{sample.output_text}}", "reference": "x", "operation": "eq"}).encode())
    train = tmp_path / "t.jsonl"
    train.write_text(json.dumps({"messages": [{"role": "user", "content": "q"}]}) + "\n")
    r = o4("finetune", "validate", str(train), "--grader", str(g))
    assert "not JSON" not in r.stderr and "BOM" not in r.stderr, r.stderr
    config = tmp_path / "config.toml"
    config.write_bytes(bom + b'[profiles.default]\r\ntier = 2\r\n')
    assert o4("config", "get", "tier", extra_env={"O4_CONFIG": str(config)}).stdout.strip() == "2"
