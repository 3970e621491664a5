"""Every exit code of design.md section 3 that the commands so far can reach."""

import signal
import sys

import pexpect

from o4cli.core.errors import ExitCode
from tests.cli.helpers import ledger_rows, wait_for_request
from tests.emulator import TEST_KEY


def test_exit_code_values_are_the_design_table():
    assert {c.name: c.value for c in ExitCode} == {
        "OK": 0, "FAILURE": 1, "USAGE": 2, "CONFIG": 3, "RATE_LIMIT": 4, "NETWORK": 5, "BUDGET": 6, "INTERRUPTED": 130,
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


def test_130_ctrl_c_during_a_request(env, emulator):
    emulator.fault(delay=10)
    child = pexpect.spawn(
        sys.executable, ["-m", "o4cli", "models", "list", "--remote"],
        env={**env, "OPENAI_API_KEY": TEST_KEY, "OPENAI_BASE_URL": emulator.url}, encoding="utf-8", timeout=20,
    )
    wait_for_request(emulator)
    child.sendintr()
    out = child.read()
    child.close()
    assert child.exitstatus == 130, out
    assert "Traceback" not in out


def test_130_ctrl_c_while_ask_waits_is_recorded(env, emulator):
    emulator.fault(delay=10, path="/v1/responses")
    child = pexpect.spawn(
        sys.executable, ["-m", "o4cli", "ask", "x"],
        env={**env, "OPENAI_API_KEY": TEST_KEY, "OPENAI_BASE_URL": emulator.url}, encoding="utf-8", timeout=20,
    )
    wait_for_request(emulator)
    child.sendintr()
    out = child.read()
    child.close()
    assert child.exitstatus == 130, out
    assert "interrupted before the answer arrived" in out and "Traceback" not in out
    (row,) = ledger_rows(env)
    assert row["status"] == "interrupted" and row["command"] == "ask"
