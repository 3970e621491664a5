"""`o4 chat` in a real pseudo-terminal: two turns, a cancelled one, /cost, /exit."""

import json

from tests.cli.helpers import ledger_rows
from tests.e2e.helpers import plain, spawn

LONG = "The quick brown fox jumps over the lazy dog. " * 8


def test_a_chat_session_in_a_terminal(env, emulator, o4):
    child = spawn(env, "chat", "-s", "Be brief.", emulator=emulator)
    child.expect("Ctrl-D leaves")
    child.expect("> ")
    emulator.answer(text="First **answer**.")
    child.sendline("hello")
    child.expect(r"\$0\.\d{6}")  # the turn's summary line
    child.expect("> ")
    emulator.answer(text=LONG, delay=0.05, chunk=4)  # 90 deltas over 4.5 s
    child.sendline("tell me a long story")
    child.expect("quick")  # the answer is streaming: Ctrl-C now cancels it
    child.sendintr()
    child.expect("cancelled; the conversation goes on")
    child.expect("> ")
    child.sendline("/effort high")
    child.expect("effort: high")
    child.expect("> ")
    child.sendline("and then?")
    child.expect(r"Echo: and then\?")
    child.expect("> ")
    child.sendline("/cost")
    child.expect(r"3 turns · \$0\.\d{6}")
    child.expect("> ")
    child.sendline("/exit")
    child.expect(r"chat: 3 turns · \$0\.\d{6} · conversation c_")
    out = plain(child.before + child.after)
    child.wait()
    child.close()
    assert child.exitstatus == 0, out
    bodies = emulator.bodies("/v1/responses")
    assert [b["input"] for b in bodies] == ["hello", "tell me a long story", "and then?"]
    assert all(b["instructions"] == "Be brief." and b["stream"] for b in bodies)
    # the cancelled turn is not context: the third chains from the first
    first_id = sorted(emulator.responses)[0]
    assert bodies[2]["previous_response_id"] == first_id
    assert bodies[2]["reasoning"]["effort"] == "high"
    assert [r["status"] for r in ledger_rows(env)] == ["ok", "interrupted", "ok"]
    turns = json.loads(o4("logs", "list", "--json").stdout)
    assert [(t["command"], t["status"]) for t in reversed(turns)] == [("chat", "ok"), ("chat", "interrupted"), ("chat", "ok")]
    assert len({t["conversation"] for t in turns}) == 1


def test_ctrl_d_leaves_and_piped_stdin_is_one_turn_a_line(env, emulator, o4):
    child = spawn(env, "chat", emulator=emulator)
    child.expect("> ")
    child.sendeof()
    child.expect_exact(["\n", "\r\n"])
    child.wait()
    child.close()
    assert child.exitstatus == 0
    r = o4("chat", input="one\ntwo\n")
    assert r.code == 0, r.stderr
    assert r.stdout == "Echo: one\nEcho: two\n" and "chat: 2 turns" in r.stderr
    assert emulator.bodies()[-1]["input"] == "two" and emulator.bodies()[-1]["previous_response_id"]


def test_logs_clear_asks_on_a_terminal(env, emulator, o4):
    o4("ask", "keep me")
    child = spawn(env, "logs", "clear")
    child.expect(r"erase all 1 turns of the history in .*\[y/N\] ")
    child.sendline("n")
    child.expect("nothing erased")
    child.wait()
    assert len(json.loads(o4("logs", "list", "--json").stdout)) == 1
    child = spawn(env, "logs", "clear")
    child.expect(r"\[y/N\] ")
    child.sendline("y")
    child.expect(r"erased the history \(1 turn\)")
    child.wait()
    assert json.loads(o4("logs", "list", "--json").stdout) == []
