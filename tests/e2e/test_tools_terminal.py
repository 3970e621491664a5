"""Tools in real processes: the consent prompt in a pseudo-terminal (y / n / a, arguments
made harmless, asked on the terminal when stdin is piped), and Ctrl-C while a tool runs."""

import io
import json
import os
import shlex
import signal
import sys
import time

import pexpect

from tests.cli.helpers import ledger_rows
from tests.cli.test_tools import tool_file
from tests.e2e.helpers import o4_env, plain, popen, spawn


def test_each_call_is_shown_and_needs_a_yes(env, emulator, tmp_path):
    lookup = tool_file(tmp_path)
    other = tool_file(tmp_path, name="other")
    prompt = 'CALL lookup {"q": "\\u001b[31mred"} CALL lookup {"q": "2"} CALL other {"q": "3"}'
    child = spawn(env, "ask", "--tool", lookup, "--tool", other, prompt, emulator=emulator)
    child.logfile_read = seen = io.StringIO()
    child.expect(r"run it\? \[y\]es, \[n\]o, \[a\]ll lookup calls this run: ")
    assert "\x1b[31mred" not in child.before and "\\u001b[31mred" in child.before  # shown, never obeyed
    child.sendline("maybe")  # not an answer: asked again
    child.expect("run it\\? ")
    child.sendline("a")  # every lookup call, this run
    child.expect(r"the model wants to run the tool other with \{\"q\":\"3\"\}")
    child.expect("run it\\? ")
    child.sendline("n")
    child.expect(pexpect.EOF)
    child.close()
    out = plain(seen.getvalue())
    assert child.exitstatus == 0, out
    assert out.count("the model wants to run") == 2  # the second lookup call was not asked
    assert "Tool said: " in out and '{"q": "2"}' in out
    assert "The user refused this tool call; it was not run." in out
    assert "other {\"q\":\"3\"} · refused: refused at the prompt" in out


def test_a_piped_prompt_still_asks_on_the_terminal(env, emulator, tmp_path):
    lookup = tool_file(tmp_path)
    (tmp_path / "prompt.txt").write_text('CALL lookup {"q": "piped"}\n')
    script = f"exec {shlex.quote(sys.executable)} -m o4cli ask --tool {shlex.quote(lookup)} < prompt.txt"
    child = pexpect.spawn("bash", ["-c", script], cwd=str(tmp_path), env=o4_env(env, emulator), encoding="utf-8",
                          dimensions=(40, 100), timeout=20)  # fmt: skip
    child.logfile_read = seen = io.StringIO()
    child.expect("run it\\? ")
    child.sendline("y")
    child.expect(pexpect.EOF)
    child.close()
    out = plain(seen.getvalue())
    assert child.exitstatus == 0, out
    assert 'Tool said: {"q": "piped"}' in out


def test_ctrl_c_while_a_tool_runs_ends_it_and_keeps_the_paid_turn(env, emulator, tmp_path):
    pid_file = tmp_path / "tool.pid"
    slow = tool_file(tmp_path, command=["sh", "-c", f"echo $$ > {pid_file}; exec sleep 30"], safe=True)
    proc = popen(env, "ask", "--tool", slow, 'CALL lookup {"q": "x"}', emulator=emulator)
    deadline = time.monotonic() + 20
    while not (pid_file.exists() and pid_file.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.02)  # the tool is running: Ctrl-C now is mid-step
    tool_pid = int(pid_file.read_text())
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert "interrupted while the tool 'lookup' ran" in err and "Traceback" not in err
    try:
        os.kill(tool_pid, 0)
        alive = True
    except ProcessLookupError:
        alive = False
    assert not alive  # the tool's process group went with it
    (row,) = ledger_rows(env)  # the turn that asked for the call was paid: it is recorded
    assert row["status"] == "ok" and json.loads(row["extra"])["turn"] == 1
