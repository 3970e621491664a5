"""The history: every turn kept (text, options, cost), searchable, erasable, and nothing
kept when it is turned off (--no-log, log = false, O4_NO_LOG=1)."""

import hashlib
import json
from pathlib import Path

import pytest

from tests.cli.helpers import PNG, ledger_rows
from tests.emulator import TEST_KEY


def data_bytes(env) -> bytes:
    """Every byte of the data folder (the database, its WAL and journal files)."""
    return b"".join(p.read_bytes() for p in Path(env["O4_DATA_DIR"]).rglob("*") if p.is_file())


def test_a_turn_keeps_prompt_options_answer_and_its_ledger_row(o4, emulator, env, tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text("the notes")
    image = tmp_path / "dot.png"
    image.write_bytes(PNG)
    emulator.answer(text="Bonjour.", summary="Thinking in French.")
    r = o4("stream", "-s", "Answer in French", "-f", str(notes), "-i", str(image), "--max-output", "900", "--param", "metadata={\"k\":\"v\"}", "hello")
    assert r.code == 0, r.stderr
    doc = json.loads(o4("logs", "show", "--last", "--json").stdout)
    (row,) = ledger_rows(env)
    assert doc["prompt"] == f"hello\n\n## {notes}\n\nthe notes" and doc["system"] == "Answer in French"
    assert doc["answer"] == "Bonjour." and doc["reasoning_summary"] == "Thinking in French."
    assert doc["files"] == [str(notes)]
    (img,) = doc["images"]
    assert img["source"] == str(image) and img["bytes"] == len(PNG) and len(img["sha256"]) == 64
    assert doc["options"] == {"max_output": 900, "params": {"metadata": {"k": "v"}}}
    assert (doc["command"], doc["api"], doc["model"], doc["effort"], doc["status"]) == ("stream", "responses", "o4-mini", "medium", "ok")
    assert doc["ledger_id"] == row["id"] and doc["response_id"] == row["response_id"]
    assert abs(doc["cost_usd"] - float(row["cost_usd"])) < 1e-6 and doc["usage"]["output_tokens"] == row["output_tokens"]
    stored = data_bytes(env)
    assert TEST_KEY.encode() not in stored and b"iVBORw0KGgo" not in stored  # no key, no image bytes
    shown = o4("logs", "show", str(doc["id"]))
    assert shown.code == 0 and "## instructions\n\nAnswer in French" in shown.stdout and "## answer\n\nBonjour." in shown.stdout


def test_list_filters_and_search(o4, emulator):
    o4("ask", "how do magnets work")
    o4("ask", "-m", "o4-mini-2025-04-16", "what is a tardigrade")
    o4("ask", "magnets again, c++ -x \"quoted\" OR NOT*")
    listed = json.loads(o4("logs", "list", "--json").stdout)
    assert [t["prompt"][:8] for t in listed] == ["magnets ", "what is ", "how do m"]  # newest first
    assert len(json.loads(o4("logs", "list", "-n", "1", "--json").stdout)) == 1
    only = json.loads(o4("logs", "list", "-m", "o4-mini-2025-04-16", "--json").stdout)
    assert [t["prompt"] for t in only] == ["what is a tardigrade"]
    assert json.loads(o4("logs", "list", "--since", "2099-01-01", "--json").stdout) == []
    found = json.loads(o4("logs", "search", "magnets", "--json").stdout)
    assert {t["prompt"][:7] for t in found} == {"how do ", "magnets"}
    assert json.loads(o4("logs", "search", "tardigrade", "--json").stdout)[0]["answer"] == "Echo: what is a tardigrade"
    # query syntax in the words is text, not an FTS5 error
    r = o4("logs", "search", 'c++ -x "quoted" OR NOT*', "--json")
    assert r.code == 0 and len(json.loads(r.stdout)) == 1
    piped = o4("logs", "list")
    assert piped.stdout.splitlines()[0] == "id\twhen\tconversation\tmodel\tcost\tprompt\tanswer"
    assert o4("logs", "search", "nowhere-to-be-found").stderr.startswith("o4: no turn holds")


def test_conversations_list_with_cost(o4, emulator):
    o4("ask", "one")
    o4("ask", "-c", "two")
    o4("ask", "alone")
    convs = json.loads(o4("logs", "list", "--conversations", "--json").stdout)
    assert [(c["turns"], c["title"]) for c in convs] == [(1, "alone"), (2, "one")]
    turns = json.loads(o4("logs", "list", "--json").stdout)
    two = [t["cost_usd"] for t in turns if t["conversation"] == convs[1]["conversation"]]
    assert convs[1]["cost_usd"] == sum(two)


@pytest.mark.parametrize(
    ("args", "config", "extra_env"),
    [
        (["--no-log"], "", {}),
        ([], "log = false\n", {}),
        ([], "[profiles.default]\nlog = false\n", {}),
        ([], "", {"O4_NO_LOG": "1"}),
    ],
    ids=["--no-log", "global", "profile", "O4_NO_LOG"],
)
def test_history_off_leaves_no_text_behind(o4, emulator, env, args, config, extra_env):
    Path(env["O4_CONFIG"]).parent.mkdir(parents=True, exist_ok=True)
    Path(env["O4_CONFIG"]).write_text(config)
    r = o4("ask", *args, "-s", "hidden instructions", "my very private question", extra_env=extra_env)
    assert r.code == 0, r.stderr
    (row,) = ledger_rows(env)  # the cost is still recorded
    assert float(row["cost_usd"]) > 0
    stored = data_bytes(env)
    assert b"private question" not in stored and b"hidden instructions" not in stored
    assert json.loads(o4("logs", "list", "--json", extra_env=extra_env).stdout) == []


def test_rm_and_clear_erase_the_text(o4, emulator, env):
    o4("ask", "first secret alpaca")
    o4("ask", "-c", "second secret bison")
    o4("ask", "third secret cormorant")
    turns = json.loads(o4("logs", "list", "--json").stdout)
    r = o4("logs", "rm", str(turns[0]["id"]), "--json")
    assert r.code == 0 and json.loads(r.stdout) == {"removed": 1, "what": f"turn {turns[0]['id']}"}
    assert b"cormorant" not in data_bytes(env)  # overwritten: not in free pages, the index or the WAL
    assert b"alpaca" in data_bytes(env)
    r = o4("logs", "rm", turns[1]["conversation"])
    assert r.code == 0 and "erased conversation" in r.stderr and "2 turns" in r.stderr
    assert b"alpaca" not in data_bytes(env) and b"bison" not in data_bytes(env)
    assert o4("logs", "rm", "999").code == 2
    o4("ask", "fourth secret")
    r = o4("logs", "clear")
    assert r.code == 2 and "--yes" in r.stderr  # not a terminal: no question, no erasing
    assert len(json.loads(o4("logs", "list", "--json").stdout)) == 1
    r = o4("logs", "clear", "--yes")
    assert r.code == 0 and "erased the history (1 turn)" in r.stderr
    assert b"secret" not in data_bytes(env)  # vacuumed: not even in free pages
    assert len(ledger_rows(env)) == 4  # tokens and costs stay
    assert o4("logs", "show").code == 2


def test_logs_on_an_empty_history(o4):
    r = o4("logs", "list")
    assert r.code == 0 and r.stdout == "" and "no turns" in r.stderr
    assert json.loads(o4("logs", "list", "--json").stdout) == []
    r = o4("logs", "show", "--last")
    assert r.code == 2 and "history is empty" in r.stderr


def test_digest_of_an_image_is_its_data_url(tmp_path):
    from o4cli.core.ask.prompt import load_image
    from o4cli.core.history import image_record

    image = tmp_path / "dot.png"
    image.write_bytes(PNG)
    loaded = load_image(str(image))
    assert image_record(loaded)["sha256"] == hashlib.sha256(loaded.url.encode()).hexdigest()
    assert image_record(load_image("https://example.com/cat.png")) == {"source": "https://example.com/cat.png", "url": "https://example.com/cat.png"}


def test_a_tool_chain_is_one_turn_with_its_steps(o4, emulator, tmp_path):
    from tests.cli.test_tools import tool_file

    r = o4("ask", "--tool", tool_file(tmp_path), "--yes", 'CALL lookup {"q": "paris"}')
    assert r.code == 0, r.stderr
    doc = json.loads(o4("logs", "show", "--json").stdout)
    assert doc["answer"] == 'Tool said: {"q": "paris"}'
    (step,) = doc["steps"]
    assert (step["name"], step["arguments"], step["status"], step["output"]) == ("lookup", {"q": "paris"}, "ok", '{"q": "paris"}')
    shown = o4("logs", "show").stdout
    assert '## tool steps\n\n- lookup {"q": "paris"} → ok' in shown
    r = o4("ask", "-c", "and then?")  # the chain's last response is chained from
    assert r.code == 0 and emulator.bodies()[-1]["previous_response_id"] == doc["response_id"]
