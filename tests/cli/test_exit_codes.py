"""Every exit code of design.md section 3 that the commands so far can reach.

130 from a real terminal's Ctrl-C to a real process: tests/e2e/test_signals.py."""

from o4cli.core.errors import ExitCode
from tests.cli.helpers import in_process_only, ledger_rows
from tests.runner import ctrl_c_when


def test_exit_code_values_are_the_design_table():
    assert {c.name: c.value for c in ExitCode} == {
        "OK": 0, "FAILURE": 1, "USAGE": 2, "CONFIG": 3, "RATE_LIMIT": 4, "NETWORK": 5, "BUDGET": 6, "TOOL_CALLS": 7,
        "TIMEOUT": 124, "INTERRUPTED": 130,
    }


def test_0_success(o4):
    assert o4("models", "list").code == 0


def test_1_api_refusal(o4, emulator):
    emulator.fault(status=400)
    assert o4("models", "list", "--remote").code == 1


def test_2_bad_usage_nothing_sent(o4, emulator):
    r = o4("models", "show", "--bogus", "--remote")
    assert r.code == 2 and "--bogus" in r.stderr and emulator.log == []
    r = o4("config", "set", "tier")
    assert r.code == 2 and "VALUE" in r.stderr


def test_3_auth(o4, emulator):
    assert o4("models", "list", "--remote", extra_env={"OPENAI_API_KEY": "sk-nope-000000000000"}).code == 3


def test_4_rate_limit(o4, emulator):
    emulator.fault(status=429, headers={"Retry-After": "0"}, times=3)
    assert o4("models", "list", "--remote").code == 4


def test_5_server(o4, emulator):
    o4("config", "set", "max_retries", "0")
    emulator.fault(status=503)
    assert o4("models", "list", "--remote").code == 5


def test_7_tool_calls_handed_back(o4, emulator, tmp_path):
    tool = tmp_path / "t.json"
    tool.write_text('{"name": "t", "command": ["cat"]}')
    assert o4("ask", "--tool", str(tool), "--tool-calls", "CALL t {}").code == 7
    assert o4("ask", "--tool", str(tool), "--tool-calls", "no call").code == 0  # an answer: nothing handed back


def test_124_wait_timed_out_the_call_goes_on(o4, emulator):
    emulator.clock.freeze()  # the background call stays queued
    rid = o4("ask", "--background", "x").stdout.strip()
    r = o4("wait", rid, "--timeout", "0.05", "--interval", "0.01")
    assert r.code == 124 and "it goes on running" in r.stderr


@in_process_only
def test_130_ctrl_c_mid_request(o4, emulator):
    emulator.fault(delay=10)
    interrupt = ctrl_c_when(lambda: emulator.log)  # the request is out, its answer is not back
    r = o4("models", "list", "--remote")
    interrupt.join()
    assert r.code == 130, r.stderr
    assert r.stdout == "" and "Traceback" not in r.stderr


@in_process_only
def test_130_ctrl_c_while_ask_waits_records_it(o4, emulator, env):
    emulator.fault(delay=10, path="/v1/responses")
    interrupt = ctrl_c_when(lambda: emulator.log)
    r = o4("ask", "x")
    interrupt.join()
    assert r.code == 130, r.stderr
    assert "interrupted before the answer arrived" in r.stderr and "Traceback" not in r.stderr
    (row,) = ledger_rows(env)
    assert row["status"] == "interrupted" and row["command"] == "ask"
